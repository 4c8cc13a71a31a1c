//! Custom endpoints that several resources share, each acting on the record whose
//! detail path it extends: `rename`, `reset_key` / `reset_link`, `set_default`,
//! `enable_ssl` and `remove_certificate`. Resource modules register the ones they
//! have (see [`crate::registry`]).

use serde_json::{Value, json};

use crate::api::{HResult, Resp};
use crate::auth;
use crate::behaviour::Call;
use crate::context::Ctx;
use crate::engine::{self, ActionRecord, UNIQUE};
use crate::render;
use crate::spec::join;
use crate::store::{Key, Record};

/// The record the endpoint acts on; every action here has one.
fn target(ctx: &Ctx<'_>, call: &Call<'_>) -> HResult<ActionRecord> {
    engine::action_record(ctx, call.target)?.ok_or_else(Resp::not_found)
}

/// `reset_key` / `reset_link`: every secret the record holds gets a fresh value.
pub fn reset_secrets(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    engine::action_body(ctx, call.req, call.target)?;
    let ActionRecord {
        segs: dsegs,
        coll,
        key,
        mut rec,
    } = target(ctx, call)?;
    for f in ["api_key", "user_key", "public_link", "account_key"] {
        if rec.contains_key(f) {
            rec.insert(f.into(), Value::String(auth::new_key()));
        }
    }
    rec.insert("updated_at".into(), Value::String(crate::time::now()));
    ctx.store.put(&coll, key, rec.clone())?;
    Ok(engine::action_answer(ctx, call.target, &dsegs, &rec))
}

/// `set_default`: the record becomes its collection's only default.
pub fn set_default(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    engine::action_body(ctx, call.req, call.target)?;
    let ActionRecord {
        segs: dsegs,
        coll,
        key,
        mut rec,
    } = target(ctx, call)?;
    let others: Vec<(Key, Record)> = ctx
        .store
        .collection(&coll)
        .map(|c| {
            c.iter()
                .filter(|(k, r)| **k != key && r.get("is_default") == Some(&Value::Bool(true)))
                .map(|(k, r)| (k.clone(), r.clone()))
                .collect()
        })
        .unwrap_or_default();
    for (k, mut r) in others {
        r.insert("is_default".into(), Value::Bool(false));
        ctx.store.put(&coll, k, r)?;
    }
    rec.insert("is_default".into(), Value::Bool(true));
    rec.insert("updated_at".into(), json!(crate::time::now()));
    ctx.store.put(&coll, key, rec.clone())?;
    Ok(engine::action_answer(ctx, call.target, &dsegs, &rec))
}

/// `enable_ssl`: the certificate check starts (and, with no network, never ends).
pub fn enable_ssl(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    engine::action_body(ctx, call.req, call.target)?;
    let ActionRecord {
        segs: dsegs,
        coll,
        key,
        mut rec,
    } = target(ctx, call)?;
    rec.insert("ssl_status".into(), json!("checking"));
    ctx.store.put(&coll, key, rec.clone())?;
    Ok(engine::action_answer(ctx, call.target, &dsegs, &rec))
}

/// `remove_certificate`: drops the certificates the body names.
pub fn remove_certificate(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let clean = engine::action_body(ctx, call.req, call.target)?;
    let ActionRecord {
        segs: dsegs,
        coll,
        key,
        mut rec,
    } = target(ctx, call)?;
    for f in ["development_certificate", "production_certificate"] {
        if clean.get(f) == Some(&Value::Bool(true)) {
            ctx.store
                .remove_blob(&crate::store::blob_name(&coll, &key, f))?;
            rec.insert(f.into(), Value::Null);
            rec.insert(format!("{f}_name"), Value::Null);
            rec.insert(f.replace("certificate", "expiration_date"), Value::Null);
        }
    }
    ctx.store.put(&coll, key, rec.clone())?;
    Ok(engine::action_answer(ctx, call.target, &dsegs, &rec))
}

/// `rename`: the record moves to `new_name`, with everything under its path.
pub fn rename(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let t = call.target;
    let ActionRecord {
        segs: dsegs,
        coll,
        key,
        mut rec,
    } = target(ctx, call)?;
    let field = ctx
        .spec
        .keys
        .get(t.res)
        .map(|k| k.field.clone())
        .unwrap_or_default();
    let body = call.req.body_or_empty();
    let new_name = body
        .get("new_name")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Resp::field_error("new_name", "This field is required."))?;
    if new_name.is_empty() {
        return Err(Resp::field_error(
            "new_name",
            "This field may not be blank.",
        ));
    }
    let new_name = if t.behaviour.is_some_and(|b| b.slug_names) {
        let lowered = new_name.trim().to_lowercase();
        let errors = crate::validate::stripped_slug_errors(&lowered);
        if !errors.is_empty() {
            return Err(Resp::bad(json!({ "new_name": errors })));
        }
        lowered
    } else {
        new_name
    };
    let new_key = Key::Str(new_name.clone());
    if new_key != key && ctx.store.get(&coll, &new_key).is_some() {
        return Err(Resp::field_error("new_name", UNIQUE));
    }
    let max = ctx
        .spec
        .resources
        .get(t.res)
        .and_then(|r| r.fields.iter().find(|f| f.name == field))
        .and_then(|f| f.max_length);
    if let Some(max) = max {
        if new_name.chars().count() as u64 > max {
            return Err(Resp::field_error(
                "new_name",
                format!("Ensure this field has no more than {max} characters."),
            ));
        }
    }
    ctx.store.remove(&coll, &key)?;
    let mut nsegs = dsegs.clone();
    if let Some(last) = nsegs.last_mut() {
        *last = new_name.clone();
    }
    ctx.store.move_prefix(&join(&dsegs), &join(&nsegs))?;
    rec.insert(field, Value::String(new_name));
    rec.insert("updated_at".into(), Value::String(crate::time::now()));
    ctx.store.put(&coll, new_key, rec.clone())?;
    Ok(Resp::ok(render::render(
        ctx.spec,
        t.res,
        Some(&nsegs),
        &rec,
    )))
}
