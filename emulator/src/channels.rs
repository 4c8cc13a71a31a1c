//! Channels: publish (201) appends a change to the history; history filtered
//! by `room` and `last_id`; poll answers with the first newer change, or 204
//! (the HTTP layer holds a 204 poll open until a change or its timeout).

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::api::{HResult, Resp};
use crate::auth::Caller;
use crate::behaviour::{Behaviour, Call, Op};
use crate::context::Ctx;
use crate::engine;
use crate::render;
use crate::spec::join;
use crate::store::{Key, Record};

/// Whether the channel keeps a history per room (`type` `separate_rooms`).
fn separate_rooms(ch: &Record) -> bool {
    ch.get("type").and_then(Value::as_str) == Some("separate_rooms")
}

/// 400 `{"room": "This field is required for channels with separate rooms."}` — the
/// platform's `RoomRequired` (`apps/channels/exceptions.py`), a field error given as a
/// string.
fn room_required() -> Resp {
    Resp::bad(json!({"room": "This field is required for channels with separate rooms."}))
}

/// The platform's 403 detail for a publish on a channel without `custom_publish`.
pub const CUSTOM_PUBLISH_NOT_ALLOWED: &str = "Custom publish not allowed on this channel.";

fn history_res(ctx: &Ctx<'_>) -> Option<usize> {
    ctx.spec.routes.iter().find_map(|r| {
        let e = ctx.spec.resources.get(r.res)?.endpoints.get(r.ep)?;
        (e.name == "list" && e.path.ends_with("/history/") && e.path.contains("/channels/"))
            .then_some(r.res)
    })
}

/// One change to append to a channel's history.
pub struct Change<'a> {
    /// The room, if any.
    pub room: Option<&'a str>,
    /// `custom`, `create`, `update` or `delete`.
    pub action: &'a str,
    /// Who made it.
    pub author: Value,
    /// Metadata.
    pub metadata: Value,
    /// Payload.
    pub payload: Value,
}

/// Appends a change to a channel's history (used by publish and by object
/// writes on objects that name a channel). `base` is the instance path.
pub fn append_change(
    ctx: &mut Ctx<'_>,
    base: &str,
    channel: &str,
    change: Change<'_>,
) -> HResult<(i64, Record)> {
    let Change {
        room,
        action,
        author,
        metadata,
        payload,
    } = change;
    let coll = format!(
        "{base}channels/{}/history/",
        crate::spec::encode_segment(channel)
    );
    let id = ctx.store.next_id(&format!("{coll}#seq"))?;
    let mut r = Record::new();
    r.insert("id".into(), json!(id));
    r.insert("created_at".into(), json!(crate::time::now()));
    r.insert("action".into(), json!(action));
    r.insert("author".into(), author);
    r.insert("metadata".into(), metadata);
    r.insert("payload".into(), payload);
    r.insert("room".into(), room.map_or(Value::Null, |s| json!(s)));
    ctx.store.put(&coll, Key::Int(id), r.clone())?;
    Ok((id, r))
}

fn change_view(ctx: &Ctx<'_>, history_segs: &[String], id: i64, rec: &Record) -> Value {
    let mut segs = history_segs.to_vec();
    segs.push(id.to_string());
    let mut v = match history_res(ctx) {
        Some(res) => render::render(ctx.spec, res, Some(&segs), rec),
        None => json!({}),
    };
    if let Some(o) = v.as_object_mut() {
        let shown = [
            "id",
            "created_at",
            "action",
            "author",
            "metadata",
            "payload",
        ];
        render::copy_stored(o, rec, &shown);
        if let Some(Value::String(room)) = rec.get("room") {
            if let Some(Value::Object(m)) = o.get_mut("metadata") {
                m.insert("room".into(), json!(room));
            }
        }
    }
    v
}

/// A key's permission on a channel: 0 none, 1 subscribe, 2 publish.
/// Whether `caller` may publish to the channel `ch` (its own `publish`, the group's
/// for members, or full access).
pub fn may_publish(ctx: &Ctx<'_>, base: &str, caller: &Caller, ch: &Record) -> bool {
    level(ctx, base, caller, ch) >= 2
}

fn level(ctx: &Ctx<'_>, base: &str, caller: &Caller, ch: &Record) -> u8 {
    if caller.is_privileged() {
        return 2;
    }
    let lv = |p: Option<&str>| match p {
        Some("subscribe") => 1,
        Some("publish") => 2,
        _ => 0,
    };
    let mut l = lv(ch.get("other_permissions").and_then(Value::as_str));
    if let (Some(u), Some(g)) = (caller.user(), ch.get("group").and_then(Value::as_i64)) {
        if crate::users::is_member(ctx, base, u, g) {
            l = l.max(lv(ch.get("group_permissions").and_then(Value::as_str)));
        }
    }
    l
}

/// The resources of this module.
pub fn behaviours() -> Vec<Behaviour> {
    vec![
        Behaviour::new("Channel")
            .slug_names()
            .on(Op::List, list_channels)
            .on(Op::Get, |ctx, call| {
                readable(ctx, call)?;
                engine::get(ctx, call)
            })
            .on(Op::Delete, delete_channel)
            .on(Op::Endpoint("publish"), publish)
            .on(Op::Endpoint("poll"), |ctx, call| {
                crate::batch::not_in_batch(call.req)?;
                changes(ctx, call, true)
            })
            .on_create(|rec| {
                rec.entry("type").or_insert(Value::String("default".into()));
                rec.entry("group_permissions")
                    .or_insert(Value::String("none".into()));
                rec.entry("other_permissions")
                    .or_insert(Value::String("none".into()));
                rec.entry("custom_publish").or_insert(Value::Bool(false));
                rec.entry("description")
                    .or_insert(Value::String(String::new()));
            }),
        Behaviour::new("ChannelChange")
            .on(Op::List, |ctx, call| changes(ctx, call, false))
            .on(Op::Get, change),
    ]
}

/// `GET channels/`: keys see the channels they may subscribe to.
fn list_channels(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (caller, t) = (call.caller, call.target);
    if caller.is_privileged() {
        return engine::list_kept(ctx, call.req, t, None);
    }
    let base = t.instance_path().unwrap_or_default();
    engine::list(ctx, call.req, t, |r| level(ctx, &base, caller, r) >= 1)
}

/// The channel of the path (`name` on its own endpoints, `channel_name` under its
/// history): (instance path, name, record); 404 when it does not exist, 403 when the
/// caller may not subscribe to it (the platform looks a channel up unfiltered, then
/// checks the caller's right: `CacheableObjectMixin`, `HasSubscribePermission`).
fn readable(ctx: &Ctx<'_>, call: &Call<'_>) -> HResult<(String, String, Record)> {
    let (base, name, ch) = channel_of(ctx, call)?;
    if level(ctx, &base, call.caller, &ch) < 1 {
        return Err(Resp::forbidden());
    }
    Ok((base, name, ch))
}

/// The channel of the path, whatever the caller may do with it.
fn channel_of(ctx: &Ctx<'_>, call: &Call<'_>) -> HResult<(String, String, Record)> {
    let t = call.target;
    let base = t.instance_path().unwrap_or_default();
    let name = t
        .param("name")
        .or_else(|| t.param("channel_name"))
        .map(str::to_owned)
        .ok_or_else(Resp::not_found)?;
    let ch = ctx
        .store
        .get(&format!("{base}channels/"), &Key::Str(name.clone()))
        .cloned()
        .ok_or_else(Resp::not_found)?;
    Ok((base, name, ch))
}

/// `DELETE channels/{name}/`: the built-in channels stay, for every caller
/// (`ProtectBuiltinChannel`).
fn delete_channel(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    if matches!(call.target.param("name"), Some("default" | "eventlog")) {
        return Err(Resp::forbidden());
    }
    engine::delete(ctx, call)
}

/// `POST channels/{name}/publish/`: a custom message into the channel's history.
fn publish(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (req, caller) = (call.req, call.caller);
    let (base, channel, ch) = channel_of(ctx, call)?;

    // as on the platform (`apps/channels/v1/views.py`, `permissions.py`): the
    // caller's right to publish first, then the channel's `custom_publish`,
    // which holds for admins too
    if !caller.is_privileged() && level(ctx, &base, caller, &ch) < 2 {
        return Err(Resp::forbidden());
    }
    let custom = ch
        .get("custom_publish")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if !custom {
        return Err(Resp::detail(
            StatusCode::FORBIDDEN,
            CUSTOM_PUBLISH_NOT_ALLOWED,
        ));
    }
    let body = req.body_or_empty();
    if !body.is_object() {
        return Err(Resp::bad(crate::validate::not_a_dict(&body)));
    }
    let payload = match body.get("payload") {
        None => json!({}),
        Some(Value::String(s)) if s.is_empty() => json!({}),
        Some(Value::String(s)) => serde_json::from_str(s)
            .map_err(|_| Resp::field_error("payload", crate::validate::NOT_JSON))?,
        Some(v) => v.clone(),
    };
    if !payload.is_object() {
        return Err(Resp::field_error(
            "payload",
            "Invalid payload format. Expected a dictionary.",
        ));
    }
    let room = match body.get("room") {
        Some(Value::String(s)) if s.chars().count() <= 128 => Some(s.clone()),
        Some(Value::String(_)) => {
            return Err(Resp::field_error(
                "room",
                "Ensure this field has no more than 128 characters.",
            ));
        }
        None | Some(Value::Null) => None,
        Some(_) => return Err(Resp::field_error("room", "Not a valid string.")),
    };
    if separate_rooms(&ch) && room.as_deref().is_none_or(str::is_empty) {
        return Err(room_required());
    }
    let author = match caller {
        Caller::Admin { account } => json!({"admin": account}),
        Caller::Key { user: Some(u), .. } => json!({"user": u}),
        _ => json!({}),
    };
    let (id, rec) = append_change(
        ctx,
        &base,
        &channel,
        Change {
            room: room.as_deref(),
            action: "custom",
            author,
            metadata: json!({"type": "message"}),
            payload,
        },
    )?;
    let hsegs = history_segs(call, &channel);
    Ok(Resp::json(
        StatusCode::CREATED,
        change_view(ctx, &hsegs, id, &rec),
    ))
}

/// `GET channels/{name}/history/` (a page of changes) and `.../poll/` (the first
/// newer change, or 204), filtered by `room` and `last_id`.
fn changes(ctx: &mut Ctx<'_>, call: &Call<'_>, poll: bool) -> HResult<Resp> {
    let (req, t) = (call.req, call.target);
    let (_, channel, ch) = readable(ctx, call)?;
    // a poll's room is lowercased and its `last_id` validated; the history takes
    // them as given and ignores a `last_id` that is no number (`ChangeViewSet.initial`)
    let room = req
        .q("room")
        .filter(|r| !r.is_empty())
        .map(|r| if poll { r.to_lowercase() } else { r.to_owned() });
    if separate_rooms(&ch) && room.is_none() {
        return Err(room_required());
    }
    let last_id: Option<i64> = match req.q("last_id") {
        None | Some("") => None,
        Some(s) if poll => Some(
            s.parse()
                .map_err(|_| Resp::field_error("last_id", "A valid integer is required."))?,
        ),
        Some(s) => s.parse().ok(),
    };
    let hsegs = history_segs(call, &channel);
    let coll = join(&hsegs);
    let keep = |r: &Record| {
        let room_ok = room
            .as_deref()
            .is_none_or(|want| r.get("room").and_then(Value::as_str) == Some(want));
        let id_ok = last_id.is_none_or(|l| r.get("id").and_then(Value::as_i64) > Some(l));
        room_ok && id_ok
    };
    if poll {
        let history = ctx.store.collection(&coll);
        let Some(last_id) = last_id else {
            // no `last_id`: wait for the next change (the server keeps polling after
            // the last one there is now)
            let last = history
                .and_then(|c| c.keys().next_back())
                .and_then(|k| match k {
                    Key::Int(i) => Some(*i),
                    Key::Str(_) => None,
                })
                .unwrap_or(0);
            let mut waiting = Resp::no_content();
            waiting
                .headers
                .push((crate::api::POLL_AFTER, last.to_string()));
            return Ok(waiting);
        };
        // the first change after `last_id`: read from there on
        let from = Key::Int(last_id.saturating_add(1));
        let first = history.and_then(|c| c.range(from..).find(|(_, r)| keep(r)));
        return Ok(match first {
            Some((Key::Int(id), r)) => Resp::ok(change_view(ctx, &hsegs, *id, r)),
            _ => Resp::no_content(),
        });
    }
    // a page read from the history's own order (ids) on, as any list by id
    let mut resp = engine::list(ctx, req, t, keep)?;
    for o in resp.listed_mut() {
        if let Some(id) = o.get("id").and_then(Value::as_i64) {
            if let Some(r) = ctx.store.get(&coll, &Key::Int(id)) {
                *o = render::select(req, change_view(ctx, &hsegs, id, r));
            }
        }
    }
    Ok(resp)
}

/// The segments of a channel's history list (`/v1.1/instances/<instance>/channels/
/// <name>/history/`), by the path's parameters.
fn history_segs(call: &Call<'_>, channel: &str) -> Vec<String> {
    let instance = call.target.instance.clone().unwrap_or_default();
    [
        "v1.1",
        "instances",
        &instance,
        "channels",
        channel,
        "history",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// `GET channels/{name}/history/{id}/`.
fn change(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (req, t) = (call.req, call.target);
    let (_, channel, ch) = readable(ctx, call)?;
    // `EnsureChannelRoom` holds for the history's records too
    if separate_rooms(&ch) && req.q("room").is_none_or(str::is_empty) {
        return Err(room_required());
    }
    let id: i64 = t.id_param("id").ok_or_else(Resp::not_found)?;
    let hsegs = history_segs(call, &channel);
    let r = ctx
        .store
        .get(&join(&hsegs), &Key::Int(id))
        .cloned()
        .ok_or_else(Resp::not_found)?;
    Ok(Resp::ok(render::select(
        req,
        change_view(ctx, &hsegs, id, &r),
    )))
}
