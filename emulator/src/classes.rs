//! Classes: their `schema` (validated by [`crate::dataobjects`]), `revision`,
//! `status`, `objects_count`, `expected_revision`.

use serde_json::{Value, json};
use syncano_codegen::schema::HttpMethod;

use crate::api::{HResult, Req, Resp};
use crate::auth::Caller;
use crate::behaviour::{Behaviour, Call, Op};
use crate::context::{Ctx, Target};
use crate::dataobjects::schema::{
    ClassField, SchemaContext, parse_class_schema_with, schema_to_json,
};
use crate::engine;
use crate::render;
use crate::spec::join;
use crate::store::{Key, Record};
use crate::validate::{Mode, SlugRules};

/// Parses the stored schema of a class record.
pub fn class_fields(rec: &Record) -> Vec<ClassField> {
    let any = |_: &str| true;
    let v = rec.get("schema").cloned().unwrap_or(json!([]));
    parse_class_schema_with(
        &v,
        &SchemaContext {
            previous: None,
            class_exists: &any,
        },
    )
    .unwrap_or_default()
}

fn errors_body(e: crate::dataobjects::FieldErrors) -> Value {
    serde_json::to_value(e).unwrap_or_else(|_| json!({"schema": ["Invalid schema."]}))
}

/// The platform's class name rules (`apps/data/models.py` `Klass.name`): at most 64
/// characters, a slug without hyphens, none of `self`, `user`, `users`, `acl`.
pub const CLASS_NAME: SlugRules = SlugRules {
    hyphens: false,
    underscores: true,
    no_double_hyphens: false,
    reserved: &["self", "user", "users", "acl"],
};

/// The errors of a class name (already lowercased and stripped).
pub fn class_name_errors(name: &str) -> Vec<String> {
    if name.chars().count() > 64 {
        return vec!["Ensure this field has no more than 64 characters.".into()];
    }
    CLASS_NAME.errors(name)
}

/// Stores a class built from `body` (already validated) under `instance_base`
/// (`/v1.1/instances/<name>/`). Used for `user_profile`.
pub fn store_class(
    ctx: &mut Ctx<'_>,
    instance_base: &str,
    name: &str,
    body: Value,
) -> HResult<Record> {
    let now = crate::time::now();
    let mut rec = match body {
        Value::Object(m) => Record::from(m),
        _ => Record::new(),
    };
    rec.insert("name".into(), json!(name));
    rec.insert("status".into(), json!("ready"));
    rec.insert("revision".into(), json!(1));
    rec.entry("group").or_insert(Value::Null);
    rec.entry("group_permissions").or_insert(json!("none"));
    rec.entry("other_permissions")
        .or_insert(json!("create_objects"));
    rec.entry("metadata").or_insert(json!({}));
    rec.entry("description").or_insert(json!(""));
    rec.insert("created_at".into(), json!(now));
    rec.insert("updated_at".into(), json!(now));
    ctx.store.put(
        &format!("{instance_base}classes/"),
        Key::Str(name.to_owned()),
        rec.clone(),
    )?;
    Ok(rec)
}

/// The collection of a class's objects.
pub fn objects_coll(instance_base: &str, class: &str) -> String {
    format!(
        "{instance_base}classes/{}/objects/",
        crate::spec::encode_segment(class)
    )
}

fn view(ctx: &Ctx<'_>, t: &Target, segs: &[String], rec: &Record, status: Option<&str>) -> Value {
    let mut v = render::render(ctx.spec, t.res, Some(segs), rec);
    let count = ctx
        .store
        .collection(&format!("{}objects/", join(segs)))
        .map_or(0, |c| c.len());
    if let Some(o) = v.as_object_mut() {
        o.insert("objects_count".into(), json!(count));
        if let Some(s) = status {
            o.insert("status".into(), json!(s));
        }
    }
    v
}

fn check_schema(
    ctx: &Ctx<'_>,
    t: &Target,
    schema: &Value,
    previous: Option<&[ClassField]>,
    own_name: &str,
) -> HResult<Value> {
    let base = t.instance_path().unwrap_or_default();
    let classes = format!("{base}classes/");
    let own = own_name.to_lowercase();
    let exists = |n: &str| n == own || ctx.store.get(&classes, &Key::Str(n.to_owned())).is_some();
    let fields = parse_class_schema_with(
        schema,
        &SchemaContext {
            previous,
            class_exists: &exists,
        },
    )
    .map_err(|e| Resp::bad(errors_body(e)))?;
    Ok(schema_to_json(&fields))
}

fn check_revision(req: &Req, rec: &Record) -> HResult<()> {
    let current = rec.get("revision").and_then(Value::as_i64).unwrap_or(1);
    if let Some(exp) = req.body.as_ref().and_then(|b| b.get("expected_revision")) {
        if exp.is_null() {
            return Ok(());
        }
        let e = match exp {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        let Some(e) = e else {
            return Err(Resp::field_error(
                "expected_revision",
                "A valid integer is required.",
            ));
        };
        if e != current {
            return Err(Resp::bad(json!({
                "expected_revision": format!("Revision mismatch. Expected {e}, got {current}.")
            })));
        }
    }
    Ok(())
}

/// The resources of this module.
pub fn behaviours() -> Vec<Behaviour> {
    vec![
        Behaviour::new("Class")
            .on(Op::List, list)
            .on(Op::Create, create)
            .on(Op::Get, get)
            .on_write(write)
            .on(Op::Delete, delete),
    ]
}

/// Whether `caller` sees the class `rec`: a key that does not ignore ACLs does not
/// see classes closed to others (`other_permissions` `none`), unless its user may
/// read the class through ownership or a group.
fn visible(ctx: &Ctx<'_>, base: &str, caller: &Caller, rec: &Record) -> bool {
    crate::objects::may_see_class(ctx, base, caller, rec)
}

/// `GET classes/`: with each class's `objects_count`.
fn list(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (req, t) = (call.req, call.target);
    let base = t.instance_path().unwrap_or_default();
    let caller = call.caller;
    let mut resp = if caller.is_privileged() {
        engine::list_kept(ctx, req, t, None)?
    } else {
        engine::list(ctx, req, t, |r| visible(ctx, &base, caller, r))?
    };
    for o in resp.listed_mut() {
        if let Some(name) = o.get("name").and_then(Value::as_str) {
            let n = ctx
                .store
                .collection(&objects_coll(&base, name))
                .map_or(0, |c| c.len());
            if let Some(m) = o.as_object_mut() {
                if req
                    .q("fields")
                    .is_none_or(|f| f.split(',').any(|x| x.trim() == "objects_count"))
                {
                    m.insert("objects_count".into(), json!(n));
                }
            }
        }
    }
    Ok(resp)
}

/// `POST classes/`: the name lowercased, the schema checked.
fn create(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (req, t) = (call.req, call.target);
    let base = t.instance_path().unwrap_or_default();
    let mut body = req.body_or_empty();
    if let Some(Value::String(n)) = body.get_mut("name") {
        *n = n.trim().to_lowercase();
    }
    if let Some(n) = body.get("name").and_then(Value::as_str) {
        let errors = class_name_errors(n);
        if !errors.is_empty() {
            return Err(Resp::bad(json!({ "name": errors })));
        }
    }
    let (key, mut rec) = engine::create_record(ctx, t, &body, Record::new())?;
    let name = key.to_string();
    let schema = rec.get("schema").cloned().unwrap_or(json!([]));
    let schema = check_schema(ctx, t, &schema, None, &name)?;
    rec.insert("schema".into(), schema);
    let rec = store_class(ctx, &base, &name, rec.to_value())?;
    let mut segs = t.m.segs.clone();
    segs.push(name);
    Ok(Resp::created(view(ctx, t, &segs, &rec, Some("migrating"))))
}

/// The class the detail path names, if the caller may see it (404 otherwise).
fn open(ctx: &Ctx<'_>, call: &Call<'_>) -> HResult<(String, Key, Record)> {
    let t = call.target;
    let (coll, key) = engine::detail_key(ctx, t)?;
    let rec = ctx
        .store
        .get(&coll, &key)
        .cloned()
        .ok_or_else(Resp::not_found)?;
    let base = t.instance_path().unwrap_or_default();
    if !visible(ctx, &base, call.caller, &rec) {
        return Err(Resp::not_found());
    }
    Ok((coll, key, rec))
}

/// `GET classes/{name}/`.
fn get(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (_, _, rec) = open(ctx, call)?;
    let t = call.target;
    Ok(Resp::ok(render::select(
        call.req,
        view(ctx, t, &t.m.segs, &rec, None),
    )))
}

/// `DELETE classes/{name}/`: not `user_profile`; its triggers and data endpoints go
/// with it.
fn delete(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (coll, key, _) = open(ctx, call)?;
    let t = call.target;
    let base = t.instance_path().unwrap_or_default();
    if key == Key::Str("user_profile".into()) {
        return Err(Resp::forbidden());
    }
    ctx.store.remove(&coll, &key)?;
    ctx.store.remove_prefix(&join(&t.m.segs))?;
    engine::cascade(
        ctx,
        &base,
        &["triggers/", "endpoints/data/"],
        "class",
        &key.to_json(),
    )?;
    Ok(Resp::no_content())
}

/// `PUT` / `PATCH classes/{name}/`: `expected_revision` checked, a changed schema
/// bumps the revision and starts a migration.
fn write(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (coll, key, rec) = open(ctx, call)?;
    let (req, t) = (call.req, call.target);
    check_revision(req, &rec)?;
    let mode = if call.method == HttpMethod::Patch {
        Mode::Update
    } else {
        Mode::Replace
    };
    let old_schema = rec.get("schema").cloned().unwrap_or(json!([]));
    let previous = class_fields(&rec);
    let mut new = engine::update_record(ctx, t, req, rec, mode)?;
    let mut changed = false;
    if let Some(s) = new.get("schema").cloned() {
        let s = check_schema(ctx, t, &s, Some(&previous), &key.to_string())?;
        changed = s != old_schema;
        new.insert("schema".into(), s);
    }
    let rev = new.get("revision").and_then(Value::as_i64).unwrap_or(1);
    if changed {
        new.insert("revision".into(), json!(rev + 1));
    }
    ctx.store.put(&coll, key, new.clone())?;
    let status = changed.then_some("migrating");
    Ok(Resp::ok(view(ctx, t, &t.m.segs, &new, status)))
}
