//! Resources written with `multipart/form-data` file parts: hosting files (`path` +
//! `file`; size and MD5 checksum computed from the bytes) and the APNs configuration
//! (the production / development certificates). The bytes are kept as blobs of the
//! store (see [`crate::store::blob_name`]), so they persist with `--data-dir`.
//!
//! The emulator cannot read PKCS#12: a certificate is checked for its content type
//! and size (the platform's validators), never opened, so what the platform derives
//! from its contents (the expiration dates) stays `null`.

use md5::{Digest, Md5};
use serde_json::{Map, Value, json};
use syncano_codegen::schema::{FieldType, HttpMethod};

use crate::api::{FilePart, HResult, Resp};
use crate::behaviour::Call;
use crate::context::{Ctx, Target};
use crate::engine::{UNIQUE, detail_key};
use crate::render;
use crate::spec::{Kind, join};
use crate::store::{FileMeta, Key, Record, blob_name};
use crate::validate::{self, Mode};

/// The only content type the platform accepts for an APNs certificate.
pub const PKCS12: &str = "application/x-pkcs12";

/// The largest APNs certificate the platform accepts, in bytes ("200 KB").
pub const CERTIFICATE_LIMIT: usize = 209_712;

/// The platform's message for a certificate of another content type.
pub const BAD_CONTENT_TYPE: &str = "Invalid content type. Please upload different file.";

/// The platform's message for an invalid hosting file path.
pub const BAD_PATH: &str = "Invalid path specified.";

/// Whether a hosting file path is valid, as the platform's pattern says: segments of
/// unreserved characters (or `%hh` escapes) joined by single slashes, neither
/// starting nor ending with one.
pub fn valid_path(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|seg| {
            if seg.is_empty() {
                return false;
            }
            let b = seg.as_bytes();
            let mut i = 0;
            while i < b.len() {
                let c = b[i];
                if c == b'%' {
                    let hex = b.get(i + 1..i + 3);
                    if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                        return false;
                    }
                    i += 3;
                    continue;
                }
                if !(c.is_ascii_alphanumeric() || b"-._~!*'():@&+$,".contains(&c)) {
                    return false;
                }
                i += 1;
            }
            true
        })
}

/// The writes of a hosting file (create, replace, update); reads and deletes are
/// generic.
pub fn write_hosting_file(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (req, t, hm) = (call.req, call.target, call.method);
    let creating = t.kind == Kind::List;
    let files: Vec<FilePart> = ctx.files_of(req).to_vec();
    let given: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let body = req.body_or_empty();
    let mode = match hm {
        HttpMethod::Post => Mode::Create,
        HttpMethod::Put => Mode::Replace,
        _ => Mode::Update,
    };
    // the path is read-only on a file's detail endpoint
    let read_only: &[&str] = if creating { &[] } else { &["path"] };
    let fields = ctx.spec.write_fields(t.route);
    let (clean, mut errors) =
        match validate::validate_with_files(fields, &body, mode, read_only, &given) {
            Ok(clean) => (clean, Map::new()),
            Err(Value::Object(errors)) => (Map::new(), errors),
            Err(other) => return Err(Resp::bad(other)),
        };
    if creating && !errors.contains_key("path") {
        if let Some(Value::String(path)) = body.get("path") {
            if !valid_path(path) {
                errors.insert("path".into(), json!([BAD_PATH]));
            }
        }
    }
    if !errors.is_empty() {
        return Err(Resp::bad(Value::Object(errors)));
    }
    let file = files.iter().find(|f| f.name == "file");
    if creating {
        let coll = join(&t.m.segs);
        let path = clean.get("path").cloned().unwrap_or(Value::Null);
        let taken = ctx
            .store
            .collection(&coll)
            .is_some_and(|c| c.values().any(|r| r.get("path") == Some(&path)));
        if taken {
            return Err(Resp::field_error("path", UNIQUE));
        }
        let Some(file) = file else {
            return Err(Resp::field_error("file", validate::NO_FILE));
        };
        let id = ctx.store.next_id(&format!("{coll}#seq"))?;
        let key = Key::Int(id);
        let now = crate::time::now();
        let mut rec = Record::new();
        rec.insert("id".into(), json!(id));
        rec.insert("path".into(), path);
        rec.insert("created_at".into(), json!(now));
        rec.insert("updated_at".into(), json!(now));
        store_file(ctx, &coll, &key, &mut rec, file)?;
        ctx.store.put(&coll, key.clone(), rec.clone())?;
        let mut segs = t.m.segs.clone();
        segs.push(key.to_string());
        return Ok(Resp::created(render::render(
            ctx.spec,
            t.res,
            Some(&segs),
            &rec,
        )));
    }
    let (coll, key) = detail_key(ctx, t)?;
    let mut rec = ctx
        .store
        .get(&coll, &key)
        .cloned()
        .ok_or_else(Resp::not_found)?;
    for (k, v) in clean {
        rec.insert(k, v);
    }
    if let Some(file) = file {
        store_file(ctx, &coll, &key, &mut rec, file)?;
    }
    save_updated(ctx, t, &coll, key, rec)
}

/// Stores the bytes of a hosting file and records their size and MD5 checksum.
fn store_file(
    ctx: &mut Ctx<'_>,
    coll: &str,
    key: &Key,
    rec: &mut Record,
    file: &FilePart,
) -> HResult<()> {
    let checksum: String = Md5::digest(&file.bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    rec.insert("size".into(), json!(file.bytes.len()));
    rec.insert("checksum".into(), json!(checksum));
    remember(rec, "file", file);
    ctx.store
        .put_blob(&blob_name(coll, key, "file"), file.bytes.clone())?;
    Ok(())
}

/// Keeps the name and content type the client sent with a file.
fn remember(rec: &mut Record, field: &str, file: &FilePart) {
    rec.meta.files.insert(
        field.to_owned(),
        FileMeta {
            name: file.file_name.clone(),
            content_type: file.content_type.clone(),
        },
    );
}

/// PUT / PATCH of the APNs configuration: the certificates come as file parts
/// (checked for the platform's content type and size), the other fields as usual.
pub fn write_apns_config(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (req, t, hm) = (call.req, call.target, call.method);
    let fields = ctx.spec.write_fields(t.route);
    let certificates: Vec<String> = fields
        .iter()
        .filter(|f| matches!(f.ty, FieldType::File))
        .map(|f| f.name.clone())
        .collect();
    let files: Vec<FilePart> = ctx
        .files_of(req)
        .iter()
        .filter(|f| certificates.contains(&f.name))
        .cloned()
        .collect();
    let given: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let mode = if hm == HttpMethod::Put {
        Mode::Replace
    } else {
        Mode::Update
    };
    let body = req.body_or_empty();
    let (clean, mut errors) = match validate::validate_with_files(fields, &body, mode, &[], &given)
    {
        Ok(clean) => (clean, Map::new()),
        Err(Value::Object(errors)) => (Map::new(), errors),
        Err(other) => return Err(Resp::bad(other)),
    };
    for file in &files {
        let mut problems = Vec::new();
        if file.content_type != PKCS12 {
            problems.push(json!(BAD_CONTENT_TYPE));
        }
        if file.bytes.len() > CERTIFICATE_LIMIT {
            problems.push(json!(format!(
                "Please keep filesize under {CERTIFICATE_LIMIT}."
            )));
        }
        if !problems.is_empty() {
            errors.insert(file.name.clone(), Value::Array(problems));
        }
    }
    if !errors.is_empty() {
        return Err(Resp::bad(Value::Object(errors)));
    }
    let (coll, key) = detail_key(ctx, t)?;
    let mut rec = match ctx.store.get(&coll, &key) {
        Some(r) => r.clone(),
        None => {
            let mut r = Record::new();
            r.insert("created_at".into(), json!(crate::time::now()));
            r
        }
    };
    for (k, v) in clean {
        rec.insert(k, v);
    }
    for file in &files {
        ctx.store
            .put_blob(&blob_name(&coll, &key, &file.name), file.bytes.clone())?;
        rec.insert(file.name.clone(), Value::Bool(true));
        remember(&mut rec, &file.name, file);
        // derived from the certificate's contents, which the emulator cannot read
        let expiration = file.name.replace("certificate", "expiration_date");
        rec.insert(expiration, Value::Null);
    }
    save_updated(ctx, t, &coll, key, rec)
}

/// Stamps `updated_at` on an updated record, stores it and answers with it.
fn save_updated(
    ctx: &mut Ctx<'_>,
    t: &Target,
    coll: &str,
    key: Key,
    mut rec: Record,
) -> HResult<Resp> {
    rec.insert("updated_at".into(), json!(crate::time::now()));
    ctx.store.put(coll, key, rec.clone())?;
    Ok(Resp::ok(render::render(
        ctx.spec,
        t.res,
        Some(&t.m.segs),
        &rec,
    )))
}

#[cfg(test)]
mod tests {
    use super::valid_path;

    #[test]
    fn paths_follow_the_platform_pattern() {
        for ok in [
            "index.html",
            "css/site.css",
            "a/b/c.d",
            "%20x",
            "Caps~!*'():@&+$,.txt",
        ] {
            assert!(valid_path(ok), "{ok}");
        }
        for bad in [
            "",
            "/index.html",
            "dir/",
            "a//b",
            "spa ce",
            "%2",
            "%zz",
            "ą.txt",
            "a?b",
            "a#b",
        ] {
            assert!(!valid_path(bad), "{bad}");
        }
    }
}
