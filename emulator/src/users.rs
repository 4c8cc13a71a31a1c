//! Users (with their `user_profile` object and `user_key`), the current user
//! (`I/user/`, user auth), groups memberships from both sides.

use axum::http::StatusCode;
use serde_json::{Value, json};
use syncano_codegen::schema::HttpMethod;

use crate::api::{HResult, Req, Resp};
use crate::auth::{self, Caller};
use crate::engine::{self, Ctx, Target};
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
            .get("__profile_id")
            .and_then(Value::as_i64)
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

fn groups_of(ctx: &Ctx<'_>, base: &str, user: i64) -> Vec<Value> {
    memberships(ctx, base)
        .into_iter()
        .filter(|(u, _)| *u == user)
        .filter_map(|(_, g)| group_brief(ctx, base, g))
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

fn find_user(ctx: &Ctx<'_>, base: &str, username: &str) -> Option<(i64, Record)> {
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

/// Handles users, the current user, and memberships. `Ok(None)` hands the
/// request to the generic engine (groups).
pub fn handle(
    ctx: &mut Ctx<'_>,
    req: &Req,
    t: &Target,
    caller: &Caller,
    hm: HttpMethod,
) -> HResult<Option<Resp>> {
    let base = t.instance_path().unwrap_or_default();
    let rel = t.rel.clone().unwrap_or_default();
    match rel.as_str() {
        "users/" => match hm {
            HttpMethod::Post => {
                let body = req.body_or_empty();
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
                rec.insert("user_key".into(), json!(auth::new_key()));
                let pid = crate::objects::create_profile(ctx, &base, id, profile)?;
                rec.insert("__profile_id".into(), json!(pid));
                ctx.store
                    .put(&users_coll(&base), Key::Int(id), rec.clone())?;
                Ok(Some(Resp::created(user_view(
                    ctx,
                    &base,
                    Some(t.res),
                    id,
                    &rec,
                ))))
            }
            _ => {
                let resp = engine::list(ctx, req, t, |_| true)?;
                Ok(Some(expand_users(ctx, &base, t.res, req, resp)))
            }
        },
        "users/{}/" => {
            let id = t.id_param("id").ok_or_else(Resp::not_found)?;
            let coll = users_coll(&base);
            let rec = ctx
                .store
                .get(&coll, &Key::Int(id))
                .cloned()
                .ok_or_else(Resp::not_found)?;
            match hm {
                HttpMethod::Get => Ok(Some(Resp::ok(render::select(
                    req,
                    user_view(ctx, &base, Some(t.res), id, &rec),
                )))),
                HttpMethod::Delete => {
                    if let Some(pid) = rec.get("__profile_id").and_then(Value::as_i64) {
                        ctx.store.remove(
                            &crate::classes::objects_coll(&base, "user_profile"),
                            &Key::Int(pid),
                        )?;
                    }
                    ctx.store.remove(&coll, &Key::Int(id))?;
                    ctx.store.remove_prefix(&join(&t.m.segs))?;
                    Ok(Some(Resp::no_content()))
                }
                _ => Ok(Some(update_user(ctx, req, t, &base, id, rec, hm)?)),
            }
        }
        "users/{}/reset_key/" => {
            let id = t.id_param("id").ok_or_else(Resp::not_found)?;
            let coll = users_coll(&base);
            let mut rec = ctx
                .store
                .get(&coll, &Key::Int(id))
                .cloned()
                .ok_or_else(Resp::not_found)?;
            rec.insert("user_key".into(), json!(auth::new_key()));
            ctx.store.put(&coll, Key::Int(id), rec.clone())?;
            Ok(Some(Resp::ok(user_view(ctx, &base, None, id, &rec))))
        }
        "user/" => {
            let Some(uid) = caller.user() else {
                return Err(Resp::forbidden());
            };
            let rec = ctx
                .store
                .get(&users_coll(&base), &Key::Int(uid))
                .cloned()
                .ok_or_else(Resp::forbidden)?;
            match hm {
                HttpMethod::Get => Ok(Some(Resp::ok(render::select(
                    req,
                    user_view(ctx, &base, None, uid, &rec),
                )))),
                _ => Ok(Some(update_user(ctx, req, t, &base, uid, rec, hm)?)),
            }
        }
        "user/auth/" => {
            let body = req.body_or_empty();
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
            Ok(Some(Resp::ok(user_view(ctx, &base, None, id, &rec))))
        }
        r if r.starts_with("user/auth/") => Err(Resp::detail(
            StatusCode::BAD_REQUEST,
            "Social authentication is not available in the emulator.",
        )),
        "users/{}/groups/" | "groups/{}/users/" | "users/{}/groups/{}/" | "groups/{}/users/{}/" => {
            membership(ctx, req, t, &base, &rel, hm).map(Some)
        }
        _ => Ok(None),
    }
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
    let pid = rec.get("__profile_id").and_then(Value::as_i64);
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

fn membership(
    ctx: &mut Ctx<'_>,
    req: &Req,
    t: &Target,
    base: &str,
    rel: &str,
    hm: HttpMethod,
) -> HResult<Resp> {
    let user_side = rel.starts_with("users/");
    let parent_param = if user_side { "user_id" } else { "group_id" };
    let parent: i64 = t.id_param(parent_param).ok_or_else(Resp::not_found)?;
    let view = |ctx: &Ctx<'_>, u: i64, g: i64| -> Value {
        let mut segs = t.m.segs[..6.min(t.m.segs.len())].to_vec();
        segs.truncate(6);
        segs.push(if user_side {
            g.to_string()
        } else {
            u.to_string()
        });
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
                    if user_side {
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
                return Err(Resp::bad(
                    json!({"non_field_errors": ["The fields user, group must make a unique set."]}),
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
            if !memberships(ctx, base).contains(&(u, g)) {
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
        _ => engine::generic(ctx, req, t, hm),
    }
}
