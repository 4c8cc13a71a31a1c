//! Instances: tenancy (each belongs to the account that created it), the
//! default contents of a new instance, rename, delete.

use axum::http::StatusCode;
use serde_json::{Value, json};
use syncano_codegen::schema::HttpMethod;

use crate::api::{HResult, Resp};
use crate::auth::{ACCOUNTS, Caller};
use crate::behaviour::{Behaviour, Call, Op};
use crate::context::{Ctx, Target};
use crate::engine;
use crate::render;
use crate::spec::{encode_segment, join};
use crate::store::{Key, Record};
use crate::validate::SlugRules;

/// The collection of instances.
pub const INSTANCES: &str = "/v1.1/instances/";

/// The platform's instance name rules (`apps/instances/models.py` `Instance.name`,
/// the serializer's minimum of 5): 5 to 64 characters, a slug without underscores and
/// without `--`, none of the names the platform keeps for itself.
pub const INSTANCE_NAME: SlugRules = SlugRules {
    hyphens: true,
    underscores: false,
    no_double_hyphens: true,
    reserved: &[
        "devcenter",
        "support",
        "sentry",
        "admin",
        "platform",
        "redirect",
        "media",
        "signup",
        "login",
        "instance_subdomain",
        "my_instance",
        "myinstance",
        "panel",
        "account",
        "noinstance",
        "public",
        "template1",
        "status",
    ],
};

/// The errors of an instance name (already lowercased and stripped).
pub fn name_errors(name: &str) -> Vec<String> {
    let n = name.chars().count();
    if n < 5 {
        return vec!["Ensure this field has at least 5 characters.".into()];
    }
    if n > 64 {
        return vec!["Ensure this field has no more than 64 characters.".into()];
    }
    INSTANCE_NAME.errors(name)
}

/// The role of an account in an instance: `full` for the owner, else the
/// role of its admin record (`full`, `write`, `read`); `None` without access.
pub fn admin_role(store: &crate::store::Store, instance: &str, account: i64) -> Option<String> {
    let rec = store.get(INSTANCES, &Key::Str(instance.to_owned()))?;
    if rec.meta.owner_account == Some(account) {
        return Some("full".into());
    }
    let admins = format!("{INSTANCES}{}/admins/", encode_segment(instance));
    store.get(&admins, &Key::Int(account)).map(|a| {
        a.get("role")
            .and_then(Value::as_str)
            .unwrap_or("read")
            .to_owned()
    })
}

/// Names are lowercased before validation, as on the platform.
fn lowercase(body: &mut Value, field: &str) {
    if let Some(Value::String(s)) = body.get_mut(field) {
        *s = s.trim().to_lowercase();
    }
}

fn owner_view(ctx: &Ctx<'_>, account: i64) -> Value {
    match ctx.store.get(ACCOUNTS, &Key::Int(account)) {
        Some(r) => json!({
            "id": account,
            "email": r.get("email").cloned().unwrap_or(Value::Null),
            "first_name": r.get("first_name").cloned().unwrap_or(Value::Null),
            "last_name": r.get("last_name").cloned().unwrap_or(Value::Null),
            "is_active": true,
            "has_password": true,
        }),
        None => Value::Null,
    }
}

fn view(ctx: &Ctx<'_>, res: usize, rec: &Record, caller: &Caller) -> Value {
    let name = rec
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let segs = vec!["v1.1".to_owned(), "instances".to_owned(), name.clone()];
    let mut v = render::render(ctx.spec, res, Some(&segs), rec);
    if let Some(o) = v.as_object_mut() {
        let owner = rec.meta.owner_account;
        if let Some(a) = owner {
            o.insert("owner".into(), owner_view(ctx, a));
        }
        let role = match caller {
            Caller::Admin { account } => {
                admin_role(ctx.store, &name, *account).unwrap_or_else(|| "full".into())
            }
            _ => "api_key".into(),
        };
        o.insert("role".into(), json!(role));
    }
    v
}

/// A record of the fields of the JSON object `v` (empty for anything else).
fn record(v: Value) -> Record {
    match v {
        Value::Object(m) => m.into(),
        _ => Record::new(),
    }
}

/// Creates the default contents of a new instance.
fn seed(ctx: &mut Ctx<'_>, name: &str, account: i64) -> HResult<()> {
    let base = format!("{INSTANCES}{}/", encode_segment(name));
    let now = crate::time::now();
    // the owner is the instance's first admin, with the full role
    if let Value::Object(mut admin) = owner_view(ctx, account) {
        admin.insert("role".into(), json!("full"));
        admin.insert("created_at".into(), json!(now));
        ctx.store
            .put(&format!("{base}admins/"), Key::Int(account), admin.into())?;
    }
    crate::classes::store_class(
        ctx,
        &base,
        "user_profile",
        json!({
            "name": "user_profile",
            "description": "Class that holds profiles for users.",
            "schema": [],
            "group_permissions": "none",
            "other_permissions": "read",
            "metadata": {},
        }),
    )?;
    // as on the platform (`apps/channels/signal_handlers.py`): messages may be
    // published to `default`, never to `eventlog`
    for (ch, ty, custom_publish) in [
        ("default", "default", true),
        ("eventlog", "separate_rooms", false),
    ] {
        let rec = record(json!({
            "name": ch,
            "description": "",
            "type": ty,
            "group": null,
            "group_permissions": "none",
            "other_permissions": "none",
            "custom_publish": custom_publish,
            "created_at": now,
            "updated_at": now,
        }));
        ctx.store
            .put(&format!("{base}channels/"), Key::Str(ch.to_owned()), rec)?;
    }
    for (name, tpl) in predefined_templates() {
        let mut rec = record(tpl);
        rec.insert("created_at".into(), json!(now));
        rec.insert("updated_at".into(), json!(now));
        ctx.store.put(
            &format!("{base}snippets/templates/"),
            Key::Str(name.into()),
            rec,
        )?;
    }
    Ok(())
}

/// The fields the predefined templates leave out of their output (their context's
/// `fields_to_skip`, as on the platform).
const FIELDS_TO_SKIP: &[&str] = &[
    "id",
    "channel",
    "channel_room",
    "group",
    "links",
    "group_permissions",
    "owner_permissions",
    "other_permissions",
    "owner",
    "revision",
    "updated_at",
    "created_at",
];

/// The response templates a new instance holds, as on the platform
/// (`apps/response_templates/predefined_templates.py`): `objects_html_table` and
/// `objects_csv`, with the platform's names, content types and contexts; their
/// content is the emulator's own wording of the same table and CSV (templates are
/// stored, never rendered here).
fn predefined_templates() -> [(&'static str, Value); 2] {
    let rows = "{% if action == 'list' %}{% set objects = response.objects %}\
{% elif action == 'retrieve' %}{% set objects = [response] %}\
{% else %}{% set objects = [] %}{% endif %}";
    let html = format!(
        "{rows}\n{{% if objects %}}<table{{% if table_classes %}} class=\"{{{{ table_classes }}}}\"{{% endif %}}>\
<tr{{% if tr_header_classes %}} class=\"{{{{ tr_header_classes }}}}\"{{% endif %}}>\
{{% for key in objects[0] if key not in fields_to_skip %}}\
<th{{% if th_header_classes %}} class=\"{{{{ th_header_classes }}}}\"{{% endif %}}>{{{{ key }}}}</th>{{% endfor %}}</tr>\
{{% for object in objects %}}<tr{{% if tr_row_classes %}} class=\"{{{{ tr_row_classes }}}}\"{{% endif %}}>\
{{% for key, value in object.items() if key not in fields_to_skip %}}\
<td{{% if td_row_classes %}} class=\"{{{{ td_row_classes }}}}\"{{% endif %}}>{{{{ value }}}}</td>{{% endfor %}}</tr>\
{{% endfor %}}</table>{{% endif %}}\n"
    );
    let csv = format!(
        "{rows}\n{{% if objects %}}\
{{% for key in objects[0] if key not in fields_to_skip %}}{{% if not loop.first %}}{{{{ delimiter }}}}{{% endif %}}{{{{ key }}}}{{% endfor %}}{{{{ newline }}}}\
{{% for object in objects %}}{{% for key, value in object.items() if key not in fields_to_skip %}}\
{{% if not loop.first %}}{{{{ delimiter }}}}{{% endif %}}\"{{{{ value }}}}\"{{% endfor %}}{{{{ newline }}}}{{% endfor %}}\
{{% endif %}}\n"
    );
    [
        (
            "objects_html_table",
            json!({
                "name": "objects_html_table",
                "content": html,
                "content_type": "text/html",
                "context": {
                    "table_classes": "",
                    "tr_header_classes": "",
                    "th_header_classes": "",
                    "tr_row_classes": "",
                    "td_row_classes": "",
                    "fields_to_skip": FIELDS_TO_SKIP,
                },
                "description": "",
            }),
        ),
        (
            "objects_csv",
            json!({
                "name": "objects_csv",
                "content": csv,
                "content_type": "text/csv",
                "context": {
                    "newline": "\n",
                    "delimiter": ",",
                    "fields_to_skip": FIELDS_TO_SKIP,
                },
                "description": "",
            }),
        ),
    ]
}

/// The resources of this module.
pub fn behaviours() -> Vec<Behaviour> {
    vec![
        Behaviour::new("Instance")
            .on(Op::List, list)
            .on(Op::Create, create)
            .on(Op::Get, get)
            .on_write(write)
            .on(Op::Delete, delete)
            .on(Op::Endpoint("rename"), rename),
    ]
}

/// `GET instances/`: the instances where the account has a role.
fn list(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let acc = call.caller.account()?;
    let items: Vec<(Key, Record)> = ctx
        .store
        .collection(INSTANCES)
        .map(|c| {
            c.iter()
                .filter(|(k, _)| admin_role(ctx.store, &k.to_string(), acc).is_some())
                .map(|(k, r)| (k.clone(), r.clone()))
                .collect()
        })
        .unwrap_or_default();
    let resp = engine::page_records(ctx, call.req, call.target, items)?;
    Ok(fix_list(ctx, call.target, resp, call.caller))
}

/// `POST instances/`: the name lowercased and checked, the instance seeded.
fn create(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (req, t, caller) = (call.req, call.target, call.caller);
    let acc = caller.account()?;
    let mut body = req.body_or_empty();
    lowercase(&mut body, "name");
    if let Some(n) = body.get("name").and_then(Value::as_str) {
        let errors = name_errors(n);
        if !errors.is_empty() {
            return Err(Resp::bad(json!({ "name": errors })));
        }
    }
    let mut base = Record::new();
    base.meta.owner_account = Some(acc);
    let (key, mut rec) = engine::create_record(ctx, t, &body, base)?;
    rec.entry("metadata").or_insert_with(|| json!({}));
    rec.entry("description").or_insert_with(|| json!(""));
    rec.insert("location".into(), json!("us1"));
    let Key::Str(name) = key.clone() else {
        return Err(Resp::internal("instance key"));
    };
    ctx.store.put(INSTANCES, key, rec.clone())?;
    seed(ctx, &name, acc)?;
    // the platform's serializer names the caller's role only on instances read
    // back through its admin-filtered queryset; a fresh one shows `api_key`
    let mut created = view(ctx, t.res, &rec, caller);
    if let Some(o) = created.as_object_mut() {
        o.insert("role".into(), json!("api_key"));
    }
    Ok(Resp::created(created))
}

/// `POST instances/{name}/rename/`: the new name lowercased and checked.
fn rename(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (req, t, caller) = (call.req, call.target, call.caller);
    caller.account()?;
    let mut body = req.body_or_empty();
    lowercase(&mut body, "new_name");
    if let Some(n) = body.get("new_name").and_then(Value::as_str) {
        let errors = name_errors(n);
        if !errors.is_empty() {
            return Err(Resp::bad(json!({ "new_name": errors })));
        }
    }
    let mut lowered = req.clone();
    lowered.body = Some(body);
    let lowered_call = Call {
        req: &lowered,
        ..*call
    };
    let resp = crate::record_actions::rename(ctx, &lowered_call)?;
    let name = resp
        .body
        .as_ref()
        .and_then(|b| b.get("name"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_default();
    let rec = ctx
        .store
        .get(INSTANCES, &Key::Str(name))
        .cloned()
        .ok_or_else(Resp::not_found)?;
    Ok(Resp::ok(view(ctx, t.res, &rec, caller)))
}

/// The instance the detail path names.
fn addressed(ctx: &Ctx<'_>, t: &Target) -> HResult<(Key, Record)> {
    let key = Key::Str(t.instance.clone().unwrap_or_default());
    let rec = ctx
        .store
        .get(INSTANCES, &key)
        .cloned()
        .ok_or_else(|| Resp::detail(StatusCode::NOT_FOUND, "Instance was not found."))?;
    Ok((key, rec))
}

/// `GET instances/{name}/`.
fn get(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (_, rec) = addressed(ctx, call.target)?;
    Ok(Resp::ok(render::select(
        call.req,
        view(ctx, call.target.res, &rec, call.caller),
    )))
}

/// `DELETE instances/{name}/`: with everything in it.
fn delete(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    call.caller.account()?;
    let (key, _) = addressed(ctx, call.target)?;
    ctx.store.remove(INSTANCES, &key)?;
    ctx.store.remove_prefix(&join(&call.target.m.segs))?;
    Ok(Resp::no_content())
}

/// `PUT` / `PATCH instances/{name}/`.
fn write(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    call.caller.account()?;
    let t = call.target;
    let (key, rec) = addressed(ctx, t)?;
    let mode = if call.method == HttpMethod::Patch {
        crate::validate::Mode::Update
    } else {
        crate::validate::Mode::Replace
    };
    let rec = engine::update_record(ctx, t, call.req, rec, mode)?;
    ctx.store.put(INSTANCES, key, rec.clone())?;
    Ok(Resp::ok(view(ctx, t.res, &rec, call.caller)))
}

fn fix_list(ctx: &Ctx<'_>, t: &Target, mut resp: Resp, caller: &Caller) -> Resp {
    for o in resp.listed_mut() {
        let name = o
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        if let Some(rec) = ctx.store.get(INSTANCES, &Key::Str(name)) {
            let full = view(ctx, t.res, rec, caller);
            let selected = o.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>());
            let mut full = full;
            if let (Some(keys), Some(fm)) = (selected, full.as_object_mut()) {
                fm.retain(|k, _| keys.contains(k) || k == "owner" || k == "role");
            }
            *o = full;
        }
    }
    resp
}
