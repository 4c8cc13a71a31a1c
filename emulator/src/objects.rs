//! Data objects: system fields (owner, permissions, channel), class fields
//! validated by [`crate::dataobjects`], `revision` from 1 rising on every write,
//! `expected_revision`, ids from one sequence per instance, object ACLs,
//! `query` filtering, `order_by` paging with `last_value`, channel changes.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use syncano_codegen::schema::HttpMethod;

use crate::api::{FilePart, HResult, Req, Resp};
use crate::auth::Caller;
use crate::behaviour::{Behaviour, Call, Op};
use crate::classes::{class_fields, objects_coll};
use crate::context::{Ctx, Target};
use crate::dataobjects::ordering::{OrderBy, OrderKind, parse_last_pk, parse_order_by};
use crate::dataobjects::schema::ClassField;
use crate::dataobjects::validate::{RefResolver, represent_object, validate_object_with};
use crate::paging;
use crate::render;
use crate::spec::{Kind, join};
use crate::store::{Key, Record, Store};

/// The resources of this module: objects of every class, and the data endpoints'
/// `get` and `post` (their definitions are generic).
pub fn behaviours() -> Vec<Behaviour> {
    let object: fn(&mut Ctx<'_>, &Call<'_>) -> HResult<Resp> =
        |ctx, call| handle(ctx, call.req, call.target, call.caller, call.method);
    let endpoint: fn(&mut Ctx<'_>, &Call<'_>) -> HResult<Resp> =
        |ctx, call| data_endpoint(ctx, call.req, call.target, call.caller, call.method);
    vec![
        Behaviour::new("DataObject")
            .on(Op::List, object)
            .on(Op::Create, object)
            .on(Op::Get, object)
            .on_write(object)
            .on(Op::Delete, object),
        Behaviour::new("DataEndpoint")
            .slug_names()
            .on(Op::Endpoint("rename"), crate::record_actions::rename)
            .on(Op::Endpoint("get_objects"), endpoint)
            .on(Op::Endpoint("post_object"), endpoint),
    ]
}

/// Whether `caller` may see the class `rec` at all: the platform shows a key that
/// does not ignore ACLs only the classes its user (or anyone) may read
/// (`KlassViewSet.get_queryset`, `HasKlassReadPermission`).
pub fn may_see_class(ctx: &Ctx<'_>, base: &str, caller: &Caller, rec: &Record) -> bool {
    class_level(ctx, base, &Access::of(caller), rec) >= 1
}

/// System fields of every object, in the order responses show them.
pub const SYSTEM_FIELDS: &[&str] = &[
    "id",
    "created_at",
    "updated_at",
    "revision",
    "owner",
    "owner_permissions",
    "group",
    "group_permissions",
    "other_permissions",
    "channel",
    "channel_room",
];

const OBJECT_PERMS: &[&str] = &["none", "read", "write", "full"];

fn perm_level(p: Option<&str>) -> u8 {
    match p {
        Some("read") => 1,
        Some("write") => 2,
        Some("full") => 3,
        _ => 0,
    }
}

/// The counter of object ids of an instance (shared by all classes).
pub fn object_seq(base: &str) -> String {
    format!("{base}#objects")
}

/// A new object record with the system defaults.
pub fn new_object(id: i64, owner: Option<i64>) -> Record {
    let now = crate::time::now();
    let mut r = Record::new();
    r.insert("id".into(), json!(id));
    r.insert("created_at".into(), json!(now));
    r.insert("updated_at".into(), json!(now));
    r.insert("revision".into(), json!(1));
    r.insert("owner".into(), owner.map_or(Value::Null, Value::from));
    r.insert("owner_permissions".into(), json!("full"));
    r.insert("group".into(), Value::Null);
    r.insert("group_permissions".into(), json!("none"));
    r.insert("other_permissions".into(), json!("none"));
    r.insert("channel".into(), Value::Null);
    r.insert("channel_room".into(), Value::Null);
    r
}

/// A checked write of a user's profile (see [`check_profile`]).
#[derive(Debug, Default)]
pub struct ProfileWrite {
    /// The `profile` body as sent (its `file` values are URLs of files to copy).
    input: Map<String, Value>,
    /// The class-field data of the profile object after the write.
    data: Map<String, Value>,
    /// The `user_profile` class fields.
    fields: Vec<ClassField>,
}

impl ProfileWrite {
    /// Stores the profile's data on `rec`, the profile object `id`, copying the files
    /// whose URLs the body gave into the profile (as an object write does).
    fn apply(self, ctx: &mut Ctx<'_>, coll: &str, id: i64, rec: &mut Record) -> HResult<()> {
        let mut data = self.data;
        crate::object_files::FileWrite {
            coll,
            id,
            fields: &self.fields,
        }
        .apply(ctx, &self.input, &[], &mut data, rec)?;
        rec.retain(|k, _| SYSTEM_FIELDS.contains(&k.as_str()));
        rec.extend(data);
        Ok(())
    }
}

/// Creates the `user_profile` object of a new user; returns its id.
pub fn create_profile(
    ctx: &mut Ctx<'_>,
    base: &str,
    user: i64,
    profile: ProfileWrite,
) -> HResult<i64> {
    let id = ctx.store.next_id(&object_seq(base))?;
    let coll = objects_coll(base, "user_profile");
    let mut rec = new_object(id, Some(user));
    profile.apply(ctx, &coll, id, &mut rec)?;
    ctx.store.put(&coll, Key::Int(id), rec)?;
    Ok(id)
}

/// Validates a user's `profile` body against the `user_profile` class: the write to
/// make, or the 400 body `{"profile": {...}}`.
pub fn check_profile(
    ctx: &Ctx<'_>,
    base: &str,
    profile: &Value,
    existing: Option<i64>,
) -> HResult<ProfileWrite> {
    let Value::Object(input) = profile else {
        return Err(Resp::bad(json!({"profile": [
            format!("Expected a dictionary of items but got type \"{}\".", crate::validate::py_type(profile))
        ]})));
    };
    let fields = class_record(ctx.store, base, "user_profile")
        .map(|c| class_fields(&c))
        .unwrap_or_default();
    let coll = objects_coll(base, "user_profile");
    let current: Option<Map<String, Value>> = existing
        .and_then(|pid| ctx.store.get(&coll, &Key::Int(pid)))
        .map(|r| {
            r.iter()
                .filter(|(k, _)| !SYSTEM_FIELDS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        });
    let resolver = Resolver {
        store: ctx.store,
        base,
        class: "user_profile",
    };
    let data = validate_object_with(&fields, input, current.as_ref(), true, &resolver)
        .map_err(|e| Resp::bad(json!({ "profile": e })))?;
    Ok(ProfileWrite {
        input: input.clone(),
        data,
        fields,
    })
}

/// Replaces the class fields of a user's profile object (revision + 1).
pub fn write_profile(
    ctx: &mut Ctx<'_>,
    base: &str,
    pid: i64,
    profile: ProfileWrite,
) -> HResult<()> {
    let coll = objects_coll(base, "user_profile");
    let Some(mut rec) = ctx.store.get(&coll, &Key::Int(pid)).cloned() else {
        return Ok(());
    };
    profile.apply(ctx, &coll, pid, &mut rec)?;
    let rev = rec.get("revision").and_then(Value::as_i64).unwrap_or(1);
    rec.insert("revision".into(), json!(rev + 1));
    rec.insert("updated_at".into(), json!(crate::time::now()));
    ctx.store.put(&coll, Key::Int(pid), rec)?;
    Ok(())
}

fn class_record(store: &Store, base: &str, class: &str) -> Option<Record> {
    store
        .get(&format!("{base}classes/"), &Key::Str(class.to_owned()))
        .cloned()
}

fn data_object_res(ctx: &Ctx<'_>) -> Option<usize> {
    ctx.spec.routes.iter().find_map(|r| {
        let e = ctx.spec.resources.get(r.res)?.endpoints.get(r.ep)?;
        (e.name == "detail" && e.path.contains("/classes/{") && e.path.contains("/objects/{"))
            .then_some(r.res)
    })
}

/// Renders a stored object of `class` (API shape, with links).
pub fn render_object(
    ctx: &Ctx<'_>,
    base: &str,
    class: &str,
    fields: &[ClassField],
    rec: &Record,
) -> Value {
    let id = rec.get("id").and_then(Value::as_i64).unwrap_or(0);
    let mut segs: Vec<String> = crate::spec::split(base)
        .into_iter()
        .map(str::to_owned)
        .collect();
    segs.extend([
        "classes".to_owned(),
        class.to_owned(),
        "objects".to_owned(),
        id.to_string(),
    ]);
    let mut out = Map::new();
    for f in SYSTEM_FIELDS {
        out.insert((*f).into(), rec.get(*f).cloned().unwrap_or(Value::Null));
    }
    let stored: Map<String, Value> = rec
        .iter()
        .filter(|(k, _)| !SYSTEM_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, v) in represent_object(fields, &stored) {
        out.insert(k, v);
    }
    crate::object_files::show_urls(
        ctx.origin,
        &crate::object_files::instance_name(base),
        class,
        fields,
        &mut out,
    );
    let links = match data_object_res(ctx) {
        Some(res) => render::links(ctx.spec, res, &segs, rec),
        None => {
            let mut m = Map::new();
            m.insert("self".into(), Value::String(join(&segs)));
            m
        }
    };
    out.insert("links".into(), Value::Object(links));
    Value::Object(out)
}

/// Renders a stored object by id (used for user profiles).
pub fn render_stored(ctx: &Ctx<'_>, base: &str, class: &str, id: i64) -> Option<Value> {
    let rec = ctx.store.get(&objects_coll(base, class), &Key::Int(id))?;
    let fields = class_record(ctx.store, base, class)
        .map(|c| class_fields(&c))
        .unwrap_or_default();
    Some(render_object(ctx, base, class, &fields, rec))
}

struct Resolver<'a> {
    store: &'a Store,
    base: &'a str,
    class: &'a str,
}

impl RefResolver for Resolver<'_> {
    fn class_exists(&self, target: &str) -> bool {
        target == "self"
            || target == "user"
            || class_record(self.store, self.base, target).is_some()
    }

    fn object_exists(&self, target: &str, id: i64) -> bool {
        match target {
            "user" => self
                .store
                .get(&format!("{}users/", self.base), &Key::Int(id))
                .is_some(),
            "self" => self
                .store
                .get(&objects_coll(self.base, self.class), &Key::Int(id))
                .is_some(),
            other => self
                .store
                .get(&objects_coll(self.base, other), &Key::Int(id))
                .is_some(),
        }
    }

    fn check_file_url(&self, url: &str) -> Result<(), &'static str> {
        let instance = crate::object_files::instance_name(self.base);
        crate::object_files::check_url(self.store, &instance, url)
    }
}

/// 404 `Class was not found.`
fn class_not_found() -> Resp {
    Resp::detail(StatusCode::NOT_FOUND, "Class was not found.")
}

/// The stored record, fields and objects collection of `class`; 404 if it is not there.
fn open_class(
    store: &Store,
    base: &str,
    class: &str,
) -> HResult<(Record, Vec<ClassField>, String)> {
    let rec = class_record(store, base, class).ok_or_else(class_not_found)?;
    let fields = class_fields(&rec);
    Ok((rec, fields, objects_coll(base, class)))
}

/// The class an object request is about.
struct Cls<'a> {
    base: &'a str,
    class: &'a str,
    fields: &'a [ClassField],
    coll: &'a str,
}

struct Access {
    privileged: bool,
    user: Option<i64>,
}

impl Access {
    fn of(caller: &Caller) -> Access {
        match caller {
            Caller::Key {
                ignore_acl: false,
                user,
                ..
            } => Access {
                privileged: false,
                user: *user,
            },
            _ => Access {
                privileged: true,
                user: None,
            },
        }
    }
}

fn in_group(ctx: &Ctx<'_>, base: &str, user: Option<i64>, group: Option<i64>) -> bool {
    match (user, group) {
        (Some(u), Some(g)) => crate::users::is_member(ctx, base, u, g),
        _ => false,
    }
}

fn object_level(ctx: &Ctx<'_>, base: &str, a: &Access, rec: &Record) -> u8 {
    if a.privileged {
        return 3;
    }
    let s = |k: &str| rec.get(k).and_then(Value::as_str);
    let mut lvl = perm_level(s("other_permissions"));
    if a.user.is_some() && rec.get("owner").and_then(Value::as_i64) == a.user {
        lvl = lvl.max(perm_level(s("owner_permissions")));
    }
    if in_group(ctx, base, a.user, rec.get("group").and_then(Value::as_i64)) {
        lvl = lvl.max(perm_level(s("group_permissions")));
    }
    lvl
}

fn class_level(ctx: &Ctx<'_>, base: &str, a: &Access, class: &Record) -> u8 {
    if a.privileged {
        return 2;
    }
    let lv = |p: Option<&str>| match p {
        Some("read") => 1,
        Some("create_objects") => 2,
        _ => 0,
    };
    let mut l = lv(class.get("other_permissions").and_then(Value::as_str));
    if in_group(
        ctx,
        base,
        a.user,
        class.get("group").and_then(Value::as_i64),
    ) {
        l = l.max(lv(class.get("group_permissions").and_then(Value::as_str)));
    }
    l
}

fn id_value(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Who writes an object, for the platform's serializer rules on its system fields
/// (`apps/data/v1/serializers.py` `DataObjectSerializer`): a user creating an object
/// owns it whatever the body says; a user may not change an object's owner, and nobody
/// a user profile's; a key caller's permissions on an object are capped at its own
/// level there; a user may only put an object in a group he is a member of.
struct WriteRules {
    /// The user behind the request, if any.
    user: Option<i64>,
    /// On an update by a key caller: its own level on the object (the cap).
    cap: Option<u8>,
    /// The object is a user profile.
    user_profile: bool,
    /// A create (else an update of the record given to [`system_fields`]).
    creating: bool,
}

/// The names of the object permission levels, by level.
const LEVEL_NAMES: [&str; 4] = ["none", "read", "write", "full"];

/// Validates and applies the system fields of a write body under `rules`.
fn system_fields(
    ctx: &Ctx<'_>,
    base: &str,
    body: &Map<String, Value>,
    rec: &mut Record,
    errors: &mut Map<String, Value>,
    rules: &WriteRules,
) {
    for f in [
        "owner_permissions",
        "group_permissions",
        "other_permissions",
    ] {
        if let Some(v) = body.get(f) {
            match v.as_str() {
                Some(s) if OBJECT_PERMS.contains(&s) => {
                    // never more than the caller itself may do with the object
                    let level = perm_level(Some(s)).min(rules.cap.unwrap_or(3));
                    rec.insert(f.into(), json!(LEVEL_NAMES[usize::from(level)]));
                }
                _ => {
                    let shown = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    errors.insert(
                        f.into(),
                        json!([format!("\"{shown}\" is not a valid choice.")]),
                    );
                }
            }
        }
    }
    for (f, coll) in [("owner", "users/"), ("group", "groups/")] {
        if f == "owner" && rules.creating && rules.user.is_some() {
            // a user's new object is his own
            continue;
        }
        if let Some(v) = body.get(f) {
            let wanted = if v.is_null() { None } else { id_value(v) };
            let current = rec.get(f).and_then(Value::as_i64);
            let changed = rules.creating || wanted != current;
            if f == "owner" && !rules.creating && changed {
                if rules.user_profile {
                    errors.insert(
                        f.into(),
                        json!(["Cannot change owner of User Profile object."]),
                    );
                    continue;
                }
                if rules.user.is_some() {
                    errors.insert(f.into(), json!(["Cannot change owner of Data Object."]));
                    continue;
                }
            }
            if f == "group" && changed {
                if let (Some(user), Some(group)) = (rules.user, wanted) {
                    if !crate::users::is_member(ctx, base, user, group) {
                        errors.insert(f.into(), json!(["Invalid group specified."]));
                        continue;
                    }
                }
            }
            if v.is_null() {
                rec.insert(f.into(), Value::Null);
                continue;
            }
            match id_value(v) {
                Some(id)
                    if ctx
                        .store
                        .get(&format!("{base}{coll}"), &Key::Int(id))
                        .is_some() =>
                {
                    rec.insert(f.into(), json!(id));
                }
                Some(id) => {
                    errors.insert(
                        f.into(),
                        json!([format!("Invalid pk \"{id}\" - object does not exist.")]),
                    );
                }
                None => {
                    errors.insert(
                        f.into(),
                        json!([format!(
                            "Incorrect type. Expected pk value, received {}.",
                            crate::validate::py_type(v)
                        )]),
                    );
                }
            }
        }
    }
    if !rules.creating {
        // an object's channel and room are set on create only (read-only on detail)
        return;
    }
    if let Some(v) = body.get("channel") {
        match v {
            Value::Null => {
                rec.insert("channel".into(), Value::Null);
            }
            Value::String(s)
                if ctx
                    .store
                    .get(&format!("{base}channels/"), &Key::Str(s.clone()))
                    .is_some() =>
            {
                rec.insert("channel".into(), json!(s));
            }
            other => {
                let shown = other
                    .as_str()
                    .map_or_else(|| other.to_string(), str::to_owned);
                errors.insert(
                    "channel".into(),
                    json!([format!("Object with name={shown} does not exist.")]),
                );
            }
        }
    }
    if let Some(v) = body.get("channel_room") {
        match v {
            Value::Null => {
                rec.insert("channel_room".into(), Value::Null);
            }
            Value::String(s) if s.chars().count() <= 64 => {
                rec.insert("channel_room".into(), json!(s));
            }
            Value::String(_) => {
                errors.insert(
                    "channel_room".into(),
                    json!(["Ensure this field has no more than 64 characters."]),
                );
            }
            _ => {
                errors.insert("channel_room".into(), json!(["Not a valid string."]));
            }
        }
    }
}

fn unique_check(
    ctx: &Ctx<'_>,
    coll: &str,
    fields: &[ClassField],
    data: &Map<String, Value>,
    own_id: Option<i64>,
    errors: &mut Map<String, Value>,
) {
    let Some(c) = ctx.store.collection(coll) else {
        return;
    };
    for f in fields.iter().filter(|f| f.unique) {
        let Some(v) = data.get(&f.name) else { continue };
        let clash = c.iter().any(|(k, r)| {
            !matches!(k, Key::Int(i) if Some(*i) == own_id) && r.get(&f.name) == Some(v)
        });
        if clash {
            errors.insert(
                f.name.clone(),
                json!([crate::dataobjects::validate::UNIQUE_MESSAGE]),
            );
        }
    }
}

/// The platform's check after a user's write of an object in a channel
/// (`ObjectViewSet.check_channel_permission`): the user must be allowed to publish to
/// the channel, else 403 and the write is undone — here, refused before it is made.
fn check_channel_publish(ctx: &Ctx<'_>, base: &str, caller: &Caller, rec: &Record) -> HResult<()> {
    if caller.is_privileged() || caller.user().is_none() {
        return Ok(());
    }
    let Some(ch) = rec.get("channel").and_then(Value::as_str) else {
        return Ok(());
    };
    let Some(channel) = ctx
        .store
        .get(&format!("{base}channels/"), &Key::Str(ch.to_owned()))
    else {
        return Ok(());
    };
    if crate::channels::may_publish(ctx, base, caller, channel) {
        Ok(())
    } else {
        Err(Resp::detail(StatusCode::FORBIDDEN, PUBLISH_NOT_ALLOWED))
    }
}

/// The platform's 403 detail for a user's object write into a channel it may not
/// publish to (`ChannelPublishNotAllowed`).
pub const PUBLISH_NOT_ALLOWED: &str =
    "You do not have permission to publish data to specified channel.";

fn publish_change(
    ctx: &mut Ctx<'_>,
    base: &str,
    class: &str,
    rec: &Record,
    action: &str,
    author: Value,
    payload: Value,
) -> HResult<()> {
    let Some(ch) = rec
        .get("channel")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return Ok(());
    };
    if ctx
        .store
        .get(&format!("{base}channels/"), &Key::Str(ch.clone()))
        .is_none()
    {
        return Ok(());
    }
    let room = rec
        .get("channel_room")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let meta = json!({"type": "object", "class": class});
    crate::channels::append_change(
        ctx,
        base,
        &ch,
        crate::channels::Change {
            room: room.as_deref(),
            action,
            author,
            metadata: meta,
            payload,
        },
    )?;
    Ok(())
}

fn author_of(caller: &Caller) -> Value {
    match caller {
        Caller::Admin { account } => json!({"admin": account}),
        Caller::Key { user: Some(u), .. } => json!({"user": u}),
        _ => json!({}),
    }
}

/// Handles `classes/{name}/objects/` and `classes/{name}/objects/{id}/`.
fn handle(
    ctx: &mut Ctx<'_>,
    req: &Req,
    t: &Target,
    caller: &Caller,
    hm: HttpMethod,
) -> HResult<Resp> {
    let base = t.instance_path().unwrap_or_default();
    let class = t
        .param("class_name")
        .map(str::to_owned)
        .ok_or_else(Resp::not_found)?;
    let (class_rec, fields, coll) = open_class(ctx.store, &base, &class)?;
    let cls = Cls {
        base: &base,
        class: &class,
        fields: &fields,
        coll: &coll,
    };
    // who may call at all is the permission table's (`crate::permissions`); here,
    // the class's and the object's own permissions
    let access = Access::of(caller);
    match (t.kind, hm) {
        (Kind::List, HttpMethod::Get) => {
            if class_level(ctx, &base, &access, &class_rec) < 1 {
                return Err(Resp::forbidden());
            }
            list_objects(ctx, req, &cls, &access, None)
        }
        (Kind::List, HttpMethod::Post) => {
            if class == "user_profile" || class_level(ctx, &base, &access, &class_rec) < 2 {
                return Err(Resp::forbidden());
            }
            let body = req.body_or_empty();
            let files = ctx.files_of(req).to_vec();
            create_object(ctx, &cls, (&body, &files), caller, &access)
        }
        (Kind::Detail, _) => {
            // every object of a class the caller may not read is closed to it, whatever
            // the object's own permissions (`HasKlassReadPermission`)
            if class_level(ctx, &base, &access, &class_rec) < 1 {
                return Err(Resp::forbidden());
            }
            let id: i64 = t.id_param("id").ok_or_else(Resp::not_found)?;
            let rec = ctx
                .store
                .get(&coll, &Key::Int(id))
                .cloned()
                .ok_or_else(Resp::not_found)?;
            let level = object_level(ctx, &base, &access, &rec);
            if level < 1 {
                // objects the caller cannot read are filtered out, as on the platform
                return Err(Resp::not_found());
            }
            if class == "user_profile" && hm == HttpMethod::Delete {
                return Err(Resp::forbidden());
            }
            match hm {
                HttpMethod::Get => Ok(Resp::ok(render::select(
                    req,
                    render_object(ctx, &base, &class, &fields, &rec),
                ))),
                HttpMethod::Delete => {
                    if level < 3 {
                        return Err(Resp::forbidden());
                    }
                    check_channel_publish(ctx, &base, caller, &rec)?;
                    ctx.store.remove(&coll, &Key::Int(id))?;
                    publish_change(
                        ctx,
                        &base,
                        &class,
                        &rec,
                        "delete",
                        author_of(caller),
                        json!({"id": id}),
                    )?;
                    Ok(Resp::no_content())
                }
                _ => {
                    if level < 2 {
                        return Err(Resp::forbidden());
                    }
                    let body = req.body_or_empty();
                    let files = ctx.files_of(req).to_vec();
                    let rules = WriteRules {
                        user: access.user,
                        cap: (!access.privileged).then_some(level),
                        user_profile: class == "user_profile",
                        creating: false,
                    };
                    update_object(
                        ctx,
                        &cls,
                        (id, rec),
                        (&body, &files),
                        (caller, &rules),
                        hm == HttpMethod::Patch,
                    )
                }
            }
        }
        _ => Err(Resp::detail(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("Method \"{}\" not allowed.", req.method.as_str()),
        )),
    }
}

/// The body of an object write: its fields and the file parts of a multipart body.
type WriteBody<'a> = (&'a Value, &'a [FilePart]);

fn create_object(
    ctx: &mut Ctx<'_>,
    c: &Cls<'_>,
    (body, files): WriteBody<'_>,
    caller: &Caller,
    access: &Access,
) -> HResult<Resp> {
    let (base, class, fields, coll) = (c.base, c.class, c.fields, c.coll);
    let Value::Object(input) = body else {
        return Err(Resp::bad(crate::validate::not_a_dict(body)));
    };
    let mut rec = new_object(0, access.user);
    let mut errors = Map::new();
    let mut input = input.clone();
    let parts = crate::object_files::take_parts(fields, files, &mut input, &mut errors);
    let input = &input;
    let rules = WriteRules {
        user: access.user,
        cap: None,
        user_profile: class == "user_profile",
        creating: true,
    };
    system_fields(ctx, base, input, &mut rec, &mut errors, &rules);
    let resolver = Resolver {
        store: ctx.store,
        base,
        class,
    };
    let data = match validate_object_with(fields, input, None, false, &resolver) {
        Ok(d) => d,
        Err(e) => {
            for (k, v) in e {
                errors.insert(k, json!(v));
            }
            Map::new()
        }
    };
    unique_check(ctx, coll, fields, &data, None, &mut errors);
    if !errors.is_empty() {
        return Err(Resp::bad(Value::Object(errors)));
    }
    check_channel_publish(ctx, base, caller, &rec)?;
    let id = ctx.store.next_id(&object_seq(base))?;
    rec.insert("id".into(), json!(id));
    let mut data = data;
    crate::object_files::FileWrite { coll, id, fields }
        .apply(ctx, input, &parts, &mut data, &mut rec)?;
    for (k, v) in data {
        rec.insert(k, v);
    }
    ctx.store.put(coll, Key::Int(id), rec.clone())?;
    let view = render_object(ctx, base, class, fields, &rec);
    publish_change(
        ctx,
        base,
        class,
        &rec,
        "create",
        author_of(caller),
        view.clone(),
    )?;
    Ok(Resp::created(view))
}

fn update_object(
    ctx: &mut Ctx<'_>,
    c: &Cls<'_>,
    (id, mut rec): (i64, Record),
    (body, files): WriteBody<'_>,
    (caller, rules): (&Caller, &WriteRules),
    partial: bool,
) -> HResult<Resp> {
    let (base, class, fields, coll) = (c.base, c.class, c.fields, c.coll);
    let Value::Object(input) = body else {
        return Err(Resp::bad(crate::validate::not_a_dict(body)));
    };
    let mut input = input.clone();
    let mut file_errors = Map::new();
    let parts = crate::object_files::take_parts(fields, files, &mut input, &mut file_errors);
    let input = &input;
    let current = rec.get("revision").and_then(Value::as_i64).unwrap_or(1);
    if let Some(exp) = input.get("expected_revision").filter(|v| !v.is_null()) {
        match id_value(exp) {
            Some(e) if e == current => {}
            Some(e) => {
                return Err(Resp::bad(json!({
                    "expected_revision": format!("Revision mismatch. Expected {e}, got {current}.")
                })));
            }
            None => {
                return Err(Resp::field_error(
                    "expected_revision",
                    "A valid integer is required.",
                ));
            }
        }
    }
    let mut errors = file_errors;
    system_fields(ctx, base, input, &mut rec, &mut errors, rules);
    let existing: Map<String, Value> = rec
        .iter()
        .filter(|(k, _)| !SYSTEM_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let resolver = Resolver {
        store: ctx.store,
        base,
        class,
    };
    let data = match validate_object_with(fields, input, Some(&existing), partial, &resolver) {
        Ok(d) => Some(d),
        Err(e) => {
            for (k, v) in e {
                errors.insert(k, json!(v));
            }
            None
        }
    };
    if let Some(d) = &data {
        unique_check(ctx, coll, fields, d, Some(id), &mut errors);
    }
    if !errors.is_empty() {
        return Err(Resp::bad(Value::Object(errors)));
    }
    // refused before anything is written, files included
    check_channel_publish(ctx, base, caller, &rec)?;
    let mut data = data.unwrap_or_default();
    crate::object_files::FileWrite { coll, id, fields }
        .apply(ctx, input, &parts, &mut data, &mut rec)?;
    rec.retain(|k, _| SYSTEM_FIELDS.contains(&k.as_str()));
    for (k, v) in data {
        rec.insert(k, v);
    }
    rec.insert("revision".into(), json!(current + 1));
    rec.insert("updated_at".into(), json!(crate::time::now()));
    ctx.store.put(coll, Key::Int(id), rec.clone())?;
    let view = render_object(ctx, base, class, fields, &rec);
    publish_change(
        ctx,
        base,
        class,
        &rec,
        "update",
        author_of(caller),
        view.clone(),
    )?;
    Ok(Resp::ok(view))
}

/// Lists objects with `query`, `order_by` and keyset paging. `forced` is a
/// stored query and ordering (data endpoints).
///
/// A page starts at its cursor: ordered by id, in the collection itself; ordered by
/// a field, in the store's index of the class by that field (built on the first
/// list in that order, kept by every write). It costs O(log n + page size + the
/// objects the filter skips); `include_count` reads the class's length when every
/// object is visible and unfiltered, and walks the class otherwise: O(n).
fn list_objects(
    ctx: &mut Ctx<'_>,
    req: &Req,
    c: &Cls<'_>,
    access: &Access,
    forced: Option<(&Value, Option<&str>)>,
) -> HResult<Resp> {
    let (base, class, fields, coll) = (c.base, c.class, c.fields, c.coll);
    let p = paging::parse(req)?;
    let query_text: Option<String> = match forced {
        Some((q, _)) if !q.is_null() => Some(q.to_string()),
        _ => req.q("query").map(str::to_owned),
    };
    let filter = match query_text.as_deref() {
        None | Some("") => None,
        Some(q) => {
            Some(crate::query_bridge::parse(ctx.store, base, class, q, fields).map_err(Resp::bad)?)
        }
    };
    let order_text = forced
        .and_then(|(_, o)| o)
        .map(str::to_owned)
        .or_else(|| req.q("order_by").map(str::to_owned))
        .filter(|s| !s.trim().is_empty());
    let order = match order_text.as_deref() {
        Some(t) => parse_order_by(t.trim(), fields).map_err(|e| Resp::bad(e.body()))?,
        None => OrderBy::by_id(p.desc),
    };
    let last_pk: Option<i64> = match req.q("last_pk") {
        None | Some("") => None,
        Some(s) => Some(parse_last_pk(s).map_err(|e| Resp::bad(e.body()))?),
    };
    let last_value = order
        .parse_last_value(req.q("last_value").filter(|s| *s != "null"))
        .map_err(|e| Resp::bad(e.body()))?;
    let by_field = order.index_order();
    if order.kind != OrderKind::Id {
        ctx.store.ensure_field_index(coll, &by_field);
    }
    let ctx: &Ctx<'_> = ctx;
    let collection = ctx.store.collection(coll);
    let visible = |r: &Record| {
        object_level(ctx, base, access, r) >= 1 && filter.as_ref().is_none_or(|f| f.matches(r))
    };
    let total = match collection {
        _ if !p.include_count => 0,
        None => 0,
        Some(c) if access.privileged && filter.is_none() => c.len(),
        Some(c) => c.values().filter(|r| visible(r)).count(),
    };
    let page: Vec<&Record> = match collection {
        None => Vec::new(),
        // by id, the collection is the index: the page starts at the cursor
        Some(c) if order.kind == OrderKind::Id => {
            let cursor = last_pk.filter(|pk| *pk != 0).map(Key::Int);
            paging::index_page(c, &p, order.descending, cursor.as_ref(), |_, r| visible(r))
                .into_iter()
                .map(|(_, r)| r)
                .collect()
        }
        // by a field, the page starts at the cursor in the class's index by that field
        Some(c) => {
            let index = ctx
                .store
                .field_index(coll, &by_field)
                .ok_or_else(|| Resp::internal("the class's index by its order was not built"))?;
            let cursor = order.cursor_key(last_value.as_ref(), last_pk);
            let object = |key: &Key| c.get(key);
            paging::index_page(index, &p, order.descending, cursor.as_ref(), |_, key| {
                object(key).is_some_and(visible)
            })
            .into_iter()
            .filter_map(|(_, key)| object(key))
            .collect()
        }
    };
    let objects = page
        .iter()
        .map(|r| render::select(req, render_object(ctx, base, class, fields, r)))
        .collect();
    let cursor = |r: &&Record| -> Vec<(String, String)> {
        let mut c = vec![(
            "last_pk".to_owned(),
            r.get("id").and_then(Value::as_i64).unwrap_or(0).to_string(),
        )];
        if let Some(v) = order.cursor_value(r) {
            c.push(("last_value".to_owned(), v));
        }
        c
    };
    let listing = paging::Listing {
        req,
        params: &p,
        carried: paging::OBJECT_LINK_PARAMS,
        cursor: &cursor,
    };
    Ok(Resp::ok(listing.envelope(&page, objects, total)))
}

/// Data endpoints: `get` runs the stored query (paged like objects), `post`
/// creates an object in the endpoint's class.
fn data_endpoint(
    ctx: &mut Ctx<'_>,
    req: &Req,
    t: &Target,
    caller: &Caller,
    hm: HttpMethod,
) -> HResult<Resp> {
    let base = t.instance_path().unwrap_or_default();
    let name = t
        .param("name")
        .map(str::to_owned)
        .ok_or_else(Resp::not_found)?;
    let ep = ctx
        .store
        .get(&format!("{base}endpoints/data/"), &Key::Str(name))
        .cloned()
        .ok_or_else(Resp::not_found)?;
    let class = ep
        .get("class")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(class_not_found)?;
    let (class_rec, fields, coll) = open_class(ctx.store, &base, &class)?;
    let cls = Cls {
        base: &base,
        class: &class,
        fields: &fields,
        coll: &coll,
    };
    let access = Access::of(caller);
    if hm == HttpMethod::Post {
        // run as the class's objects create: never into `user_profile`
        // (`ProtectUserProfileDataObject`)
        if class == "user_profile" || class_level(ctx, &base, &access, &class_rec) < 2 {
            return Err(Resp::forbidden());
        }
        let body = req.body_or_empty();
        let files = ctx.files_of(req).to_vec();
        return create_object(ctx, &cls, (&body, &files), caller, &access);
    }
    if class_level(ctx, &base, &access, &class_rec) < 1 {
        return Err(Resp::forbidden());
    }
    let query = ep.get("query").cloned().unwrap_or(Value::Null);
    let query = if query.as_object().is_some_and(|m| m.is_empty()) {
        Value::Null
    } else {
        query
    };
    let order = ep
        .get("order_by")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let mut r = req.clone();
    if let Some(ps) = ep.get("page_size").and_then(Value::as_i64) {
        if r.q("page_size").is_none() && ps > 0 {
            r.query.push(("page_size".into(), ps.to_string()));
        }
    }
    let mut resp = list_objects(ctx, &r, &cls, &access, Some((&query, order.as_deref())))?;
    if let Some(ex) = ep.get("excluded_fields").and_then(Value::as_str) {
        let ex: Vec<&str> = ex
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        for o in resp.listed_mut() {
            if let Some(m) = o.as_object_mut() {
                m.retain(|k, _| !ex.contains(&k.as_str()));
            }
        }
    }
    Ok(resp)
}

/// Adds the class's own fields to the OPTIONS metadata of its objects.
/// A caller who may not read the class learns nothing of it: 403, as the platform's
/// view-level `HasKlassReadPermission` answers `OPTIONS`.
pub fn add_class_metadata(
    ctx: &Ctx<'_>,
    t: &Target,
    caller: &Caller,
    meta: &mut Resp,
) -> HResult<()> {
    let (Some(base), Some(class)) = (t.instance_path(), t.param("class_name")) else {
        return Ok(());
    };
    let Some(rec) = class_record(ctx.store, &base, class) else {
        return Ok(());
    };
    if !may_see_class(ctx, &base, caller, &rec) {
        return Err(Resp::forbidden());
    }
    let fields = class_fields(&rec);
    let Some(actions) = meta
        .body
        .as_mut()
        .and_then(|b| b.get_mut("actions"))
        .and_then(Value::as_object_mut)
    else {
        return Ok(());
    };
    for action in actions.values_mut() {
        if let Some(m) = action.as_object_mut() {
            for f in &fields {
                m.insert(
                    f.name.clone(),
                    json!({
                        "type": f.ty.as_str(),
                        "required": false,
                        "read_only": false,
                        "label": f.name,
                    }),
                );
            }
        }
    }
    Ok(())
}
