//! Users (with their `user_profile` object and `user_key`), the current user
//! (`I/user/`, user auth), groups memberships from both sides.

use axum::http::StatusCode;
use serde_json::{Value, json};
use syncano_codegen::schema::HttpMethod;

use crate::api::{HResult, Req, Resp};
use crate::auth;
use crate::behaviour::{Behaviour, Call, Op};
use crate::context::{Ctx, Target};
use crate::engine;
use crate::render;
use crate::spec::{Kind, join};
use crate::store::{Key, Record};
use crate::validate::Mode;

fn users_coll(base: &str) -> String {
    format!("{base}users/")
}

fn groups_coll(base: &str) -> String {
    format!("{base}groups/")
}

fn memberships_coll(base: &str) -> String {
    format!("{base}@memberships/")
}

fn resource_by_list(ctx: &Ctx<'_>, rel: &str) -> Option<usize> {
    let want = format!("/v1.1/instances/{{}}/{rel}");
    ctx.spec.routes.iter().find_map(|r| {
        let mut s = String::from("/");
        for seg in &r.segs {
            match seg {
                crate::spec::Seg::Lit(l) => s.push_str(l),
                crate::spec::Seg::Param(_) => s.push_str("{}"),
            }
            s.push('/');
        }
        (s == want).then_some(r.res)
    })
}

/// Renders a user: the schema fields, its profile object and its groups.
pub fn user_view(ctx: &Ctx<'_>, base: &str, res: Option<usize>, id: i64, rec: &Record) -> Value {
    let mut segs: Vec<String> = crate::spec::split(base)
        .into_iter()
        .map(str::to_owned)
        .collect();
    segs.push("users".into());
    segs.push(id.to_string());
    let res = res.or_else(|| resource_by_list(ctx, "users/{}/"));
    let mut v = match res {
        Some(r) => render::render(ctx.spec, r, Some(&segs), rec),
        None => json!({}),
    };
    if let Some(o) = v.as_object_mut() {
        o.insert("id".into(), json!(id));
        // no `created_at` / `updated_at`: the platform shows none for users
        // (`apps/users/v1/serializers.py`)
        let shown = ["username", "user_key"];
        render::copy_stored(o, rec, &shown);
        o.remove("password");
        let profile = rec
            .meta
            .profile_id
            .and_then(|pid| crate::objects::render_stored(ctx, base, "user_profile", pid));
        o.insert("profile".into(), profile.unwrap_or(Value::Null));
        o.insert("groups".into(), Value::Array(groups_of(ctx, base, id)));
    }
    v
}

fn group_brief(ctx: &Ctx<'_>, base: &str, gid: i64) -> Option<Value> {
    let g = ctx.store.get(&groups_coll(base), &Key::Int(gid))?;
    Some(json!({
        "id": gid,
        "label": g.get("label").cloned().unwrap_or(Value::Null),
        "name": g.get("name").cloned().unwrap_or(Value::Null),
        "description": g.get("description").cloned().unwrap_or(Value::Null),
    }))
}

fn memberships(ctx: &Ctx<'_>, base: &str) -> Vec<(i64, i64)> {
    ctx.store
        .collection(&memberships_coll(base))
        .map(|c| {
            c.values()
                .filter_map(|r| {
                    Some((
                        r.get("user").and_then(Value::as_i64)?,
                        r.get("group").and_then(Value::as_i64)?,
                    ))
                })
                .filter(|(u, g)| {
                    ctx.store.get(&users_coll(base), &Key::Int(*u)).is_some()
                        && ctx.store.get(&groups_coll(base), &Key::Int(*g)).is_some()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The groups of `user`: its memberships are keyed `<user>:<group>`, so they are
/// one range of the collection.
fn groups_of(ctx: &Ctx<'_>, base: &str, user: i64) -> Vec<Value> {
    let Some(all) = ctx.store.collection(&memberships_coll(base)) else {
        return Vec::new();
    };
    // `;` follows `:` in ASCII: the range holds exactly the keys `<user>:…`
    let from = Key::Str(format!("{user}:"));
    let to = Key::Str(format!("{user};"));
    all.range(from..to)
        .filter_map(|(_, r)| r.get("group").and_then(Value::as_i64))
        .filter_map(|g| group_brief(ctx, base, g))
        .collect()
}

/// Whether `user` belongs to `group`.
pub fn is_member(ctx: &Ctx<'_>, base: &str, user: i64, group: i64) -> bool {
    ctx.store
        .get(
            &memberships_coll(base),
            &Key::Str(format!("{user}:{group}")),
        )
        .is_some()
}

/// A username as the platform stores and looks it up (its model field is a
/// `LowercaseCharField`): trimmed and lowercased, so `Alice` and `alice` are one user.
fn stored_username(username: &str) -> String {
    username.trim().to_lowercase()
}

/// Lowercases the `username` of a write body ([`stored_username`]).
fn lowercase_username(body: &mut Value) {
    if let Some(Value::String(u)) = body.get_mut("username") {
        *u = stored_username(u);
    }
}

fn find_user(ctx: &Ctx<'_>, base: &str, username: &str) -> Option<(i64, Record)> {
    let username = stored_username(username);
    let username = username.as_str();
    ctx.store.collection(&users_coll(base)).and_then(|c| {
        c.iter().find_map(|(k, r)| match k {
            Key::Int(id) if r.get("username").and_then(Value::as_str) == Some(username) => {
                Some((*id, r.clone()))
            }
            _ => None,
        })
    })
}

fn id_from(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(o) => id_from(o.get("id")),
        _ => None,
    }
}

/// The resources of this module.
pub fn behaviours() -> Vec<Behaviour> {
    let membership: fn(&mut Ctx<'_>, &Call<'_>) -> HResult<Resp> = membership;
    vec![
        Behaviour::new("User")
            .on(Op::List, list_users)
            .on(Op::Create, create_user)
            .on(Op::Get, get_user)
            .on_write(write_user)
            .on(Op::Delete, delete_user)
            .on(Op::Endpoint("reset_key"), reset_user_key)
            .on_create(|rec| {
                rec.insert("user_key".into(), json!(auth::new_key()));
            }),
        Behaviour::new("CurrentUser")
            .on(Op::Get, get_current_user)
            .on_write(write_current_user)
            .on(Op::Endpoint("auth"), user_auth)
            .on(Op::Endpoint("auth_backend"), |_, _| {
                Err(Resp::detail(
                    StatusCode::BAD_REQUEST,
                    "Social authentication is not available in the emulator.",
                ))
            }),
        Behaviour::new("Group")
            .on(Op::Create, |ctx, call| {
                let body = group_body(ctx, call, None)?;
                engine::create_generic(ctx, call.target, &body, Record::new())
            })
            .on_write(|ctx, call| {
                let id = call.target.id_param("id");
                let body = group_body(ctx, call, id)?;
                let mut named = call.req.clone();
                named.body = Some(body);
                engine::write(
                    ctx,
                    &Call {
                        req: &named,
                        ..*call
                    },
                )
            }),
        Behaviour::new("GroupMembership")
            .on(Op::List, membership)
            .on(Op::Create, membership)
            .on(Op::Get, membership)
            .on(Op::Delete, membership),
        Behaviour::new("UserGroupMembership")
            .on(Op::List, membership)
            .on(Op::Create, membership)
            .on(Op::Get, membership)
            .on(Op::Delete, membership),
    ]
}

/// A group's write body with its `name` as the platform keeps it
/// (`apps/users/v1/serializers.py` `GroupSerializer`): lowercased, a slug, unique
/// among the instance's groups other than `except` (the group being written).
fn group_body(ctx: &Ctx<'_>, call: &Call<'_>, except: Option<i64>) -> HResult<Value> {
    let mut body = call.req.body_or_empty();
    let Some(Value::String(name)) = body.get_mut("name") else {
        return Ok(body);
    };
    *name = name.trim().to_lowercase();
    let name = name.clone();
    let errors = crate::validate::stripped_slug_errors(&name);
    if !errors.is_empty() {
        return Err(Resp::bad(json!({ "name": errors })));
    }
    let base = call.target.instance_path().unwrap_or_default();
    let taken = ctx.store.collection(&groups_coll(&base)).is_some_and(|c| {
        c.iter().any(|(k, r)| {
            let itself = matches!((k, except), (Key::Int(id), Some(e)) if *id == e);
            !itself && r.get("name").and_then(Value::as_str) == Some(name.as_str())
        })
    });
    if taken {
        return Err(Resp::field_error("name", crate::engine::UNIQUE));
    }
    Ok(body)
}

/// `POST users/`: a unique username, the profile object created beside the user.
fn create_user(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let t = call.target;
    let base = t.instance_path().unwrap_or_default();
    let mut body = call.req.body_or_empty();
    lowercase_username(&mut body);
    if let Some(u) = body.get("username").and_then(Value::as_str) {
        if find_user(ctx, &base, u).is_some() {
            return Err(Resp::field_error("username", crate::engine::UNIQUE));
        }
    }
    let profile = match body.get("profile").filter(|p| !p.is_null()) {
        Some(p) => crate::objects::check_profile(ctx, &base, p, None)?,
        None => crate::objects::ProfileWrite::default(),
    };
    let (key, mut rec) = engine::create_record(ctx, t, &body, Record::new())?;
    let Key::Int(id) = key else {
        return Err(Resp::internal("user key"));
    };
    rec.remove("profile");
    let pid = crate::objects::create_profile(ctx, &base, id, profile)?;
    rec.meta.profile_id = Some(pid);
    ctx.store
        .put(&users_coll(&base), Key::Int(id), rec.clone())?;
    Ok(Resp::created(user_view(ctx, &base, Some(t.res), id, &rec)))
}

/// The only user a user key reaches among the users: its own (the platform's
/// `UserViewSet.get_queryset`); `None` for admins and keys without a user key.
fn only_self(call: &Call<'_>) -> Option<i64> {
    call.caller.user()
}

/// `GET users/`: each with its profile and groups; a user key sees itself.
fn list_users(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let t = call.target;
    let base = t.instance_path().unwrap_or_default();
    let resp = engine::list_owned(ctx, call.req, t, "id", only_self(call))?;
    Ok(expand_users(ctx, &base, t.res, call.req, resp))
}

/// The user the detail path names: (instance path, id, record); 404 for another user
/// than its own to a user key.
fn addressed_user(ctx: &Ctx<'_>, call: &Call<'_>) -> HResult<(String, i64, Record)> {
    let t = call.target;
    let base = t.instance_path().unwrap_or_default();
    let id = t.id_param("id").ok_or_else(Resp::not_found)?;
    if only_self(call).is_some_and(|own| own != id) {
        return Err(Resp::not_found());
    }
    let rec = ctx
        .store
        .get(&users_coll(&base), &Key::Int(id))
        .cloned()
        .ok_or_else(Resp::not_found)?;
    Ok((base, id, rec))
}

/// `GET users/{id}/`.
fn get_user(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (base, id, rec) = addressed_user(ctx, call)?;
    Ok(Resp::ok(render::select(
        call.req,
        user_view(ctx, &base, Some(call.target.res), id, &rec),
    )))
}

/// `PUT` / `PATCH users/{id}/`.
fn write_user(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (base, id, rec) = addressed_user(ctx, call)?;
    update_user(ctx, call.req, call.target, &base, id, rec, call.method)
}

/// `DELETE users/{id}/`: the profile object goes with the user.
fn delete_user(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (base, id, rec) = addressed_user(ctx, call)?;
    if let Some(pid) = rec.meta.profile_id {
        ctx.store.remove(
            &crate::classes::objects_coll(&base, "user_profile"),
            &Key::Int(pid),
        )?;
    }
    ctx.store.remove(&users_coll(&base), &Key::Int(id))?;
    ctx.store.remove_prefix(&join(&call.target.m.segs))?;
    Ok(Resp::no_content())
}

/// `POST users/{id}/reset_key/`.
fn reset_user_key(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (base, id, mut rec) = addressed_user(ctx, call)?;
    rec.insert("user_key".into(), json!(auth::new_key()));
    ctx.store
        .put(&users_coll(&base), Key::Int(id), rec.clone())?;
    Ok(Resp::ok(user_view(ctx, &base, None, id, &rec)))
}

/// The user of the user key: (instance path, id, record).
fn current_user(ctx: &Ctx<'_>, call: &Call<'_>) -> HResult<(String, i64, Record)> {
    let base = call.target.instance_path().unwrap_or_default();
    let Some(uid) = call.caller.user() else {
        return Err(Resp::forbidden());
    };
    let rec = ctx
        .store
        .get(&users_coll(&base), &Key::Int(uid))
        .cloned()
        .ok_or_else(Resp::forbidden)?;
    Ok((base, uid, rec))
}

/// `GET user/`.
fn get_current_user(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (base, uid, rec) = current_user(ctx, call)?;
    Ok(Resp::ok(render::select(
        call.req,
        user_view(ctx, &base, None, uid, &rec),
    )))
}

/// `PUT` / `PATCH user/`.
fn write_current_user(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (base, uid, rec) = current_user(ctx, call)?;
    update_user(ctx, call.req, call.target, &base, uid, rec, call.method)
}

/// `POST user/auth/`: username and password give the user with its key.
fn user_auth(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let base = call.target.instance_path().unwrap_or_default();
    let body = call.req.body_or_empty();
    if !body.is_object() {
        return Err(Resp::bad(crate::validate::not_a_dict(&body)));
    }
    let mut errors = serde_json::Map::new();
    for k in ["username", "password"] {
        if !body.get(k).is_some_and(Value::is_string) {
            errors.insert(k.into(), json!(["This field is required."]));
        }
    }
    if !errors.is_empty() {
        return Err(Resp::bad(Value::Object(errors)));
    }
    let username = body.get("username").and_then(Value::as_str).unwrap_or("");
    let password = body.get("password").and_then(Value::as_str).unwrap_or("");
    let Some((id, rec)) = find_user(ctx, &base, username) else {
        return Err(Resp::detail(StatusCode::UNAUTHORIZED, "Invalid username."));
    };
    if rec.get("password").and_then(Value::as_str) != Some(password) {
        return Err(Resp::detail(StatusCode::UNAUTHORIZED, "Invalid password."));
    }
    Ok(Resp::ok(user_view(ctx, &base, None, id, &rec)))
}

fn update_user(
    ctx: &mut Ctx<'_>,
    req: &Req,
    t: &Target,
    base: &str,
    id: i64,
    rec: Record,
    hm: HttpMethod,
) -> HResult<Resp> {
    let mut lowered = req.clone();
    if let Some(body) = lowered.body.as_mut() {
        lowercase_username(body);
    }
    let req = &lowered;
    if let Some(u) = req
        .body
        .as_ref()
        .and_then(|b| b.get("username"))
        .and_then(Value::as_str)
    {
        if find_user(ctx, base, u).is_some_and(|(other, _)| other != id) {
            return Err(Resp::field_error("username", crate::engine::UNIQUE));
        }
    }
    let mode = if hm == HttpMethod::Patch {
        Mode::Update
    } else {
        Mode::Replace
    };
    let pid = rec.meta.profile_id;
    let profile = match req
        .body
        .as_ref()
        .and_then(|b| b.get("profile"))
        .filter(|p| !p.is_null())
    {
        Some(p) => Some(crate::objects::check_profile(ctx, base, p, pid)?),
        None => None,
    };
    let mut rec = engine::update_record(ctx, t, req, rec, mode)?;
    rec.remove("profile");
    if let (Some(data), Some(pid)) = (profile, pid) {
        crate::objects::write_profile(ctx, base, pid, data)?;
    }
    ctx.store
        .put(&users_coll(base), Key::Int(id), rec.clone())?;
    Ok(Resp::ok(user_view(ctx, base, None, id, &rec)))
}

fn expand_users(ctx: &Ctx<'_>, base: &str, res: usize, req: &Req, mut resp: Resp) -> Resp {
    for o in resp.listed_mut() {
        if let Some(id) = o.get("id").and_then(Value::as_i64) {
            if let Some(rec) = ctx.store.get(&users_coll(base), &Key::Int(id)) {
                *o = render::select(req, user_view(ctx, base, Some(res), id, rec));
            }
        }
    }
    resp
}

/// Memberships seen from either side: a user's groups (`users/{user_id}/groups/`,
/// `UserGroupMembership`) or a group's users (`groups/{group_id}/users/`,
/// `GroupMembership`).
fn membership(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (req, t, hm) = (call.req, call.target, call.method);
    let base_path = t.instance_path().unwrap_or_default();
    let base = base_path.as_str();
    let user_side = ctx
        .spec
        .resources
        .get(t.res)
        .is_some_and(|r| r.name == "UserGroupMembership");
    let parent_param = if user_side { "user_id" } else { "group_id" };
    let parent: i64 = t.id_param(parent_param).ok_or_else(Resp::not_found)?;
    // a user key reads its own memberships only: its own groups
    // (`IsMembershipForCurrentUser`, 403 for another user's) or its own row among a
    // group's users (the queryset, 404 for another's)
    let own = call.caller.user();
    if user_side && own.is_some_and(|u| u != parent) {
        return Err(Resp::forbidden());
    }
    let visible = |u: i64| own.is_none_or(|o| o == u);
    let view = |ctx: &Ctx<'_>, u: i64, g: i64| -> Value {
        // the membership's detail path, by the pair it joins
        let instance = t.instance.clone().unwrap_or_default();
        let (parent_list, parent_id, list, id) = if user_side {
            ("users", u, "groups", g)
        } else {
            ("groups", g, "users", u)
        };
        let segs: Vec<String> = [
            "v1.1".to_owned(),
            "instances".to_owned(),
            instance,
            parent_list.to_owned(),
            parent_id.to_string(),
            list.to_owned(),
            id.to_string(),
        ]
        .to_vec();
        let mut rec = Record::new();
        if user_side {
            rec.insert(
                "group".into(),
                group_brief(ctx, base, g).unwrap_or(Value::Null),
            );
        } else {
            let user = ctx
                .store
                .get(&users_coll(base), &Key::Int(u))
                .map(|r| user_view(ctx, base, None, u, r))
                .unwrap_or(Value::Null);
            rec.insert("user".into(), user);
        }
        let mut v = render::render(ctx.spec, t.res, Some(&segs), &rec);
        if let Some(o) = v.as_object_mut() {
            for (k, x) in rec {
                o.insert(k, x);
            }
        }
        v
    };
    let pair = |other: i64| {
        if user_side {
            (parent, other)
        } else {
            (other, parent)
        }
    };
    match (t.kind, hm) {
        (Kind::List, HttpMethod::Get) => {
            let mut items: Vec<(Key, Record)> = memberships(ctx, base)
                .into_iter()
                .filter(|(u, g)| {
                    visible(*u)
                        && if user_side {
                            *u == parent
                        } else {
                            *g == parent
                        }
                })
                .map(|(u, g)| {
                    let other = if user_side { g } else { u };
                    let mut r = Record::new();
                    r.insert("user".into(), json!(u));
                    r.insert("group".into(), json!(g));
                    (Key::Int(other), r)
                })
                .collect();
            items.sort_by(|a, b| a.0.cmp(&b.0));
            let mut resp = engine::page_records(ctx, req, t, items.clone())?;
            // a membership is rendered from the pair its link names
            for o in resp.listed_mut() {
                let link = o
                    .pointer("/links/self")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let other: Option<i64> = link
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .and_then(|s| s.parse().ok());
                if let Some(other) = other {
                    let (u, g) = pair(other);
                    *o = render::select(req, view(ctx, u, g));
                }
            }
            Ok(resp)
        }
        (Kind::List, HttpMethod::Post) => {
            let body = req.body_or_empty();
            if !body.is_object() {
                return Err(Resp::bad(crate::validate::not_a_dict(&body)));
            }
            let field = if user_side { "group" } else { "user" };
            let Some(other) = id_from(body.get(field)) else {
                return Err(Resp::field_error(field, "This field is required."));
            };
            let (u, g) = pair(other);
            let exists = if user_side {
                ctx.store.get(&groups_coll(base), &Key::Int(g)).is_some()
            } else {
                ctx.store.get(&users_coll(base), &Key::Int(u)).is_some()
            };
            if !exists {
                return Err(Resp::field_error(
                    field,
                    format!("Invalid pk \"{other}\" - object does not exist."),
                ));
            }
            if is_member(ctx, base, u, g) {
                // `apps/users/exceptions.py` `MembershipAlreadyExists`
                return Err(Resp::detail(
                    StatusCode::BAD_REQUEST,
                    "User is already a part of that group.",
                ));
            }
            let mut r = Record::new();
            r.insert("user".into(), json!(u));
            r.insert("group".into(), json!(g));
            r.insert("created_at".into(), json!(crate::time::now()));
            ctx.store
                .put(&memberships_coll(base), Key::Str(format!("{u}:{g}")), r)?;
            Ok(Resp::created(view(ctx, u, g)))
        }
        (Kind::Detail, _) => {
            let other_param = if user_side { "group_id" } else { "user_id" };
            let other: i64 = t.id_param(other_param).ok_or_else(Resp::not_found)?;
            let (u, g) = pair(other);
            let both_exist = ctx.store.get(&users_coll(base), &Key::Int(u)).is_some()
                && ctx.store.get(&groups_coll(base), &Key::Int(g)).is_some();
            if !visible(u) || !both_exist || !is_member(ctx, base, u, g) {
                return Err(Resp::not_found());
            }
            match hm {
                HttpMethod::Delete => {
                    ctx.store
                        .remove(&memberships_coll(base), &Key::Str(format!("{u}:{g}")))?;
                    Ok(Resp::no_content())
                }
                _ => Ok(Resp::ok(render::select(req, view(ctx, u, g)))),
            }
        }
        _ => engine::generic(ctx, call),
    }
}
