//! The admin account: register, auth (401 bodies), reset_key, the account
//! detail; account invitations go through the generic engine.

use axum::http::StatusCode;
use serde_json::{Value, json};
use syncano_codegen::schema::HttpMethod;

use crate::api::{HResult, Req, Resp};
use crate::auth::{self, ACCOUNTS};
use crate::behaviour::{Behaviour, Call, Op};
use crate::context::Ctx;
use crate::engine;
use crate::render;
use crate::store::{Key, Record, Store, StoreError};

/// An account as the platform shows it (`apps/admins/serializers.py`,
/// `AdminFullSerializer`): `account_key` only in the answers of register, auth and
/// reset_key (`with_key`), never on `GET /v1.1/account/`; no `links`.
pub fn account_view(
    ctx: &Ctx<'_>,
    res: Option<usize>,
    id: i64,
    rec: &Record,
    with_key: bool,
) -> Value {
    let segs = vec!["v1.1".to_owned(), "account".to_owned()];
    let mut v = match res {
        Some(r) => render::render(ctx.spec, r, Some(&segs), rec),
        None => json!({}),
    };
    if let Some(o) = v.as_object_mut() {
        o.insert("id".into(), json!(id));
        let shown = [
            "email",
            "first_name",
            "last_name",
            "account_key",
            "is_active",
            "has_password",
        ];
        render::copy_stored(o, rec, &shown);
        o.insert(
            "metadata".into(),
            rec.get("metadata").cloned().unwrap_or_else(|| json!({})),
        );
        o.remove("password");
        o.remove("links");
        if !with_key {
            o.remove("account_key");
        }
    }
    v
}

fn account_resource(ctx: &Ctx<'_>) -> Option<usize> {
    ctx.spec.routes.iter().find_map(|r| {
        let e = ctx.spec.resources.get(r.res)?.endpoints.get(r.ep)?;
        (e.path == "/v1.1/account/").then_some(r.res)
    })
}

/// Creates an account; returns its id and record.
pub fn create_account(
    store: &mut Store,
    email: &str,
    password: &str,
    first_name: &str,
    last_name: &str,
    key: Option<String>,
) -> Result<(i64, Record), StoreError> {
    let id = store.next_id(&format!("{ACCOUNTS}#seq"))?;
    let now = crate::time::now();
    let mut r = Record::new();
    r.insert("id".into(), json!(id));
    r.insert("email".into(), json!(email));
    r.insert("password".into(), json!(password));
    r.insert("first_name".into(), json!(first_name));
    r.insert("last_name".into(), json!(last_name));
    r.insert("is_active".into(), json!(true));
    r.insert("has_password".into(), json!(true));
    r.insert(
        "account_key".into(),
        json!(key.unwrap_or_else(auth::new_key)),
    );
    r.insert("created_at".into(), json!(now));
    store.put(ACCOUNTS, Key::Int(id), r.clone())?;
    Ok((id, r))
}

fn find_by_email(store: &Store, email: &str) -> Option<(i64, Record)> {
    let want = email.to_lowercase();
    store.collection(ACCOUNTS).and_then(|c| {
        c.iter().find_map(|(k, r)| match k {
            Key::Int(id)
                if r.get("email")
                    .and_then(Value::as_str)
                    .map(str::to_lowercase)
                    == Some(want.clone()) =>
            {
                Some((*id, r.clone()))
            }
            _ => None,
        })
    })
}

/// The body, email and password of a registration (`check_email`: the address must
/// look like one) or a login; 400 with every field's error otherwise.
fn credentials(req: &Req, check_email: bool) -> HResult<(Value, String, String)> {
    let body = req.body_or_empty();
    if !body.is_object() {
        return Err(Resp::bad(crate::validate::not_a_dict(&body)));
    }
    let mut errors = serde_json::Map::new();
    let email = str_field(&body, "email", &mut errors);
    let password = str_field(&body, "password", &mut errors);
    if check_email && !(email.is_empty() || email.contains('@') && email.len() <= 254) {
        errors.insert("email".into(), json!(["Enter a valid email address."]));
    }
    if !errors.is_empty() {
        return Err(Resp::bad(Value::Object(errors)));
    }
    Ok((body, email, password))
}

fn str_field(body: &Value, name: &str, errors: &mut serde_json::Map<String, Value>) -> String {
    match body.get(name) {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::String(_)) => {
            errors.insert(name.into(), json!(["This field may not be blank."]));
            String::new()
        }
        Some(Value::Null) | None => {
            errors.insert(name.into(), json!(["This field is required."]));
            String::new()
        }
        Some(_) => {
            errors.insert(name.into(), json!(["Not a valid string."]));
            String::new()
        }
    }
}

/// The resources of this module.
pub fn behaviours() -> Vec<Behaviour> {
    vec![
        Behaviour::new("Account")
            .on(Op::Endpoint("register"), register)
            .on(Op::Endpoint("auth"), log_in)
            .on(Op::Endpoint("auth_backend"), |_, _| {
                Err(Resp::detail(
                    StatusCode::BAD_REQUEST,
                    "Social authentication is not available in the emulator.",
                ))
            })
            .on(Op::Get, account)
            .on_write(account)
            .on(Op::Endpoint("reset_key"), reset_key),
        Behaviour::new("AccountInvitation")
            .on(Op::List, invitations_list)
            .on(Op::Get, invitation)
            .on(Op::Delete, invitation)
            .on(Op::Endpoint("accept"), accept),
    ]
}

/// `POST account/register/`.
fn register(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let req = call.req;
    let res = account_resource(ctx);

    let (body, email, password) = credentials(req, true)?;
    if find_by_email(ctx.store, &email).is_some() {
        return Err(Resp::field_error(
            "email",
            "This email address is already in use.",
        ));
    }
    let first = body.get("first_name").and_then(Value::as_str).unwrap_or("");
    let last = body.get("last_name").and_then(Value::as_str).unwrap_or("");
    let invitation = body
        .get("invitation_key")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
        .map(str::to_owned);
    if let Some(k) = &invitation {
        let valid = invitations(ctx).iter().any(|(_, _, r)| {
            r.get("key").and_then(Value::as_str) == Some(k.as_str())
                && r.get("state").and_then(Value::as_str) == Some("new")
        });
        if !valid {
            return Err(Resp::field_error(
                "invitation_key",
                "Invalid invitation key.",
            ));
        }
    }
    let (id, rec) = create_account(ctx.store, &email, &password, first, last, None)?;
    if let Some(k) = invitation {
        accept_invitation(ctx, id, &k)?;
    }
    Ok(Resp::created(account_view(ctx, res, id, &rec, true)))
}

/// `POST account/auth/`: email and password give the account with its key.
fn log_in(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let req = call.req;
    let res = account_resource(ctx);

    let (_, email, password) = credentials(req, false)?;
    let Some((id, rec)) = find_by_email(ctx.store, &email) else {
        return Err(Resp::detail(StatusCode::UNAUTHORIZED, "Invalid email."));
    };
    if rec.get("password").and_then(Value::as_str) != Some(password.as_str()) {
        return Err(Resp::detail(StatusCode::UNAUTHORIZED, "Invalid password."));
    }
    Ok(Resp::ok(account_view(ctx, res, id, &rec, true)))
}

/// `GET`, `PUT` and `PATCH account/`: names and metadata.
fn account(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (req, hm) = (call.req, call.method);
    let res = account_resource(ctx);
    let (account, mut rec) = own_account(ctx, call)?;
    if hm != HttpMethod::Get {
        let body = req.body_or_empty();
        if !body.is_object() {
            return Err(Resp::bad(crate::validate::not_a_dict(&body)));
        }
        let mut errors = serde_json::Map::new();
        for k in ["first_name", "last_name"] {
            match body.get(k) {
                Some(Value::String(s)) if s.chars().count() <= 35 => {
                    rec.insert(k.into(), json!(s));
                }
                Some(Value::String(_)) => {
                    errors.insert(
                        k.into(),
                        json!(["Ensure this field has no more than 35 characters."]),
                    );
                }
                Some(Value::Null) | None => {}
                Some(_) => {
                    errors.insert(k.into(), json!(["Not a valid string."]));
                }
            }
        }
        if let Some(m) = body.get("metadata") {
            match metadata_value(m) {
                Ok(v) => {
                    rec.insert("metadata".into(), v);
                }
                Err(e) => {
                    errors.insert("metadata".into(), e);
                }
            }
        }
        if !errors.is_empty() {
            return Err(Resp::bad(Value::Object(errors)));
        }
        ctx.store.put(ACCOUNTS, Key::Int(account), rec.clone())?;
    }
    Ok(Resp::ok(render::select(
        req,
        account_view(ctx, res, account, &rec, false),
    )))
}

/// The caller's own account: (id, record).
fn own_account(ctx: &Ctx<'_>, call: &Call<'_>) -> HResult<(i64, Record)> {
    let account = call.caller.account()?;
    let rec = ctx
        .store
        .get(ACCOUNTS, &Key::Int(account))
        .cloned()
        .ok_or_else(Resp::not_found)?;
    Ok((account, rec))
}

/// The invitations sent to the caller's email, from every instance: (id, instance,
/// record).
fn invitations_to(ctx: &Ctx<'_>, call: &Call<'_>) -> HResult<Vec<(i64, String, Record)>> {
    let email = account_email(ctx, call.caller.account()?);
    Ok(invitations(ctx)
        .into_iter()
        .filter(|(_, _, r)| {
            r.get("email")
                .and_then(Value::as_str)
                .map(str::to_lowercase)
                .as_deref()
                == Some(email.as_str())
        })
        .collect())
}

/// `POST account/reset_key/`.
fn reset_key(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let res = account_resource(ctx);
    let (account, mut rec) = own_account(ctx, call)?;
    rec.insert("account_key".into(), json!(auth::new_key()));
    ctx.store.put(ACCOUNTS, Key::Int(account), rec.clone())?;
    Ok(Resp::ok(account_view(ctx, res, account, &rec, true)))
}

/// `POST account/invitations/accept/`.
fn accept(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let req = call.req;
    let account = call.caller.account()?;
    let key = req
        .body
        .as_ref()
        .and_then(|b| b.get("invitation_key"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let Some(key) = key else {
        return Err(Resp::field_error(
            "invitation_key",
            "This field is required.",
        ));
    };
    accept_invitation(ctx, account, &key)?;
    Ok(Resp::no_content())
}

/// `GET account/invitations/`: the open invitations sent to the account's email.
fn invitations_list(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (req, t) = (call.req, call.target);
    let mut items: Vec<(Key, Record)> = invitations_to(ctx, call)?
        .into_iter()
        .filter(|(_, _, r)| r.get("state").and_then(Value::as_str) == Some("new"))
        .map(|(id, inst, r)| (Key::Int(id), invitation_view(&inst, r)))
        .collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    engine::page_records(ctx, req, t, items)
}

/// `GET` and `DELETE account/invitations/{id}/`.
fn invitation(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (req, t, hm) = (call.req, call.target, call.method);
    let id: i64 = t.id_param("id").ok_or_else(Resp::not_found)?;
    let found = invitations_to(ctx, call)?
        .into_iter()
        .find(|(i, _, _)| *i == id);
    let Some((_, inst, rec)) = found else {
        return Err(Resp::not_found());
    };
    if hm == HttpMethod::Delete {
        let coll = invitations_coll(&inst);
        ctx.store.remove(&coll, &Key::Int(id))?;
        return Ok(Resp::no_content());
    }
    let view = invitation_view(&inst, rec);
    Ok(Resp::ok(render::select(
        req,
        render::render(ctx.spec, t.res, Some(&t.m.segs), &view),
    )))
}

/// An account's `metadata` as written: a JSON object, or a string holding one
/// (the platform's `JSONField`); `""` and `null` are `{}`.
fn metadata_value(v: &Value) -> Result<Value, Value> {
    let v = match v {
        Value::Null => json!({}),
        Value::String(s) if s.is_empty() => json!({}),
        Value::String(s) => {
            serde_json::from_str(s).map_err(|_| json!([crate::validate::NOT_JSON]))?
        }
        other => other.clone(),
    };
    if v.is_object() {
        Ok(v)
    } else {
        Err(json!(["Metadata passed in invalid format."]))
    }
}

fn account_email(ctx: &Ctx<'_>, account: i64) -> String {
    ctx.store
        .get(ACCOUNTS, &Key::Int(account))
        .and_then(|r| r.get("email"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_lowercase()
}

fn invitations_coll(instance: &str) -> String {
    format!(
        "/v1.1/instances/{}/invitations/",
        crate::spec::encode_segment(instance)
    )
}

/// Every instance invitation: (id, instance name, record).
fn invitations(ctx: &Ctx<'_>) -> Vec<(i64, String, Record)> {
    let names: Vec<String> = ctx
        .store
        .collection("/v1.1/instances/")
        .map(|c| c.keys().map(|k| k.to_string()).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for inst in names {
        if let Some(c) = ctx.store.collection(&invitations_coll(&inst)) {
            for (k, r) in c {
                if let Key::Int(id) = k {
                    out.push((*id, inst.clone(), r.clone()));
                }
            }
        }
    }
    out
}

fn invitation_view(instance: &str, mut rec: Record) -> Record {
    rec.insert("instance".into(), json!(instance));
    rec
}

/// Makes the account an admin of the invitation's instance, with its role.
fn accept_invitation(ctx: &mut Ctx<'_>, account: i64, key: &str) -> HResult<()> {
    let found = invitations(ctx).into_iter().find(|(_, _, r)| {
        r.get("key").and_then(Value::as_str) == Some(key)
            && r.get("state").and_then(Value::as_str) == Some("new")
    });
    let Some((id, inst, mut inv)) = found else {
        return Err(Resp::field_error(
            "invitation_key",
            "Invalid invitation key.",
        ));
    };
    let role = inv
        .get("role")
        .and_then(Value::as_str)
        .unwrap_or("full")
        .to_owned();
    let acc = ctx
        .store
        .get(ACCOUNTS, &Key::Int(account))
        .cloned()
        .unwrap_or_default();
    let now = crate::time::now();
    let mut admin = Record::new();
    admin.insert("id".into(), json!(account));
    for k in ["email", "first_name", "last_name"] {
        admin.insert(k.into(), acc.get(k).cloned().unwrap_or(Value::Null));
    }
    admin.insert("role".into(), json!(role));
    admin.insert("created_at".into(), json!(now));
    let admins = format!(
        "/v1.1/instances/{}/admins/",
        crate::spec::encode_segment(&inst)
    );
    if ctx.store.get(&admins, &Key::Int(account)).is_none() {
        ctx.store.put(&admins, Key::Int(account), admin)?;
    }
    inv.insert("state".into(), json!("accepted"));
    inv.insert("updated_at".into(), json!(now));
    ctx.store.put(&invitations_coll(&inst), Key::Int(id), inv)?;
    Ok(())
}
