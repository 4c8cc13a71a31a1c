//! The request dispatcher and the generic, schema-driven resource engine.
//!
//! Every request (including each sub-request of a batch) goes through
//! [`dispatch`]: match a route of the schema, answer OPTIONS / 405, resolve the
//! caller, check that every parent record in the path exists and belongs to
//! the caller's tenancy, then hand over to the module that owns the resource's
//! semantics, or to the generic list/detail engine.

use std::cmp::Ordering;

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};
use syncano_codegen::schema::HttpMethod;

use crate::api::{FilePart, HResult, Req, Resp};
use crate::auth::{self, Caller};
use crate::paging;
use crate::render;
use crate::spec::{KeySpec, Kind, Matched, Spec, join, method_of};
use crate::store::{self, Key, Record, Store};
use crate::validate::{self, Mode};

/// DRF's message for a value that must be unique.
pub const UNIQUE: &str = "This field must be unique.";

/// Emulator-wide settings the handlers read.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Maximum request body size in bytes.
    pub body_limit: usize,
    /// Maximum number of requests in one batch.
    pub batch_limit: usize,
    /// Whether file URLs start with the request's origin
    /// ([`crate::EmulatorConfig::absolute_file_urls`]).
    pub absolute_file_urls: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            body_limit: 1024 * 1024,
            batch_limit: 50,
            absolute_file_urls: true,
        }
    }
}

/// Everything a handler needs.
pub struct Ctx<'a> {
    /// The schema and routes.
    pub spec: &'a Spec,
    /// The state (locked for the duration of the request).
    pub store: &'a mut Store,
    /// Settings.
    pub settings: &'a Settings,
    /// The file parts of the request's `multipart/form-data` body (none for JSON
    /// bodies; batch sub-requests never see them, see [`Ctx::files_of`]).
    pub files: &'a [FilePart],
    /// The request's [`Req::origin`], which starts the absolute URLs of stored files.
    pub origin: &'a str,
}

impl Ctx<'_> {
    /// The file parts `req` carries: the request's own, none for a batch sub-request.
    pub fn files_of(&self, req: &Req) -> &[FilePart] {
        if req.in_batch { &[] } else { self.files }
    }
}

/// A request matched to a route of the schema.
#[derive(Clone, Debug)]
pub struct Target {
    /// Route index.
    pub route: usize,
    /// Resource index.
    pub res: usize,
    /// The match.
    pub m: Matched,
    /// The template with parameters written `{}`.
    pub norm: String,
    /// The template relative to `/v1.1/instances/{}/` (empty for the instance
    /// detail itself); `None` outside instances.
    pub rel: Option<String>,
    /// The instance named in the path.
    pub instance: Option<String>,
    /// Standard or custom endpoint.
    pub kind: Kind,
    /// The path parameters by the names the schema's path template gives them
    /// (`instance`, `class_name`, `id` ...), decoded.
    pub params: Vec<(String, String)>,
}

impl Target {
    /// The value of the path parameter `name` (as the schema's template names it).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path parameter `name` as an integer id.
    pub fn id_param(&self, name: &str) -> Option<i64> {
        self.param(name).and_then(|v| v.parse().ok())
    }

    /// The concrete path of the instance (`/v1.1/instances/<name>/`).
    pub fn instance_path(&self) -> Option<String> {
        self.instance
            .as_ref()
            .map(|i| join(&["v1.1".into(), "instances".into(), i.clone()]))
    }
}

fn norm_of(spec: &Spec, route: usize) -> String {
    let mut s = String::from("/");
    for seg in &spec.routes[route].segs {
        match seg {
            crate::spec::Seg::Lit(l) => s.push_str(l),
            crate::spec::Seg::Param(_) => s.push_str("{}"),
        }
        s.push('/');
    }
    s
}

/// The API versions the platform serves besides `v1.1` (`urls/backend.py`), each
/// the same API here, with links under its own prefix.
pub const OTHER_VERSIONS: &[&str] = &["v1", "v2"];

/// The version prefix every route of the schema has.
const SCHEMA_VERSION: &str = "v1.1";

/// Handles one request.
pub fn dispatch(ctx: &mut Ctx<'_>, req: &Req) -> Resp {
    let version = crate::spec::split(&req.path)
        .first()
        .copied()
        .filter(|v| OTHER_VERSIONS.contains(v))
        .map(str::to_owned);
    let Some(version) = version else {
        return match route(ctx, req) {
            Ok(r) | Err(r) => r,
        };
    };
    let mut as_schema = req.clone();
    as_schema.path = format!("/{SCHEMA_VERSION}{}", &req.path[1 + version.len()..]);
    let mut resp = match route(ctx, &as_schema) {
        Ok(r) | Err(r) => r,
    };
    if let Some(body) = resp.body.as_mut() {
        relink(
            body,
            &format!("/{SCHEMA_VERSION}/"),
            &format!("/{version}/"),
            false,
        );
    }
    resp
}

/// Moves the links of an answer (`links` members, `next` / `prev`) from the prefix
/// `from` to `to`; `in_links` tells that `v` is a value of a `links` object.
fn relink(v: &mut Value, from: &str, to: &str, in_links: bool) {
    match v {
        Value::String(s) if in_links => {
            if let Some(rest) = s.strip_prefix(from) {
                *s = format!("{to}{rest}");
            }
        }
        Value::Object(m) => {
            for (k, item) in m.iter_mut() {
                let link = in_links
                    || k == "links"
                    || (matches!(k.as_str(), "next" | "prev") && item.is_string());
                relink(item, from, to, link);
            }
        }
        Value::Array(items) => {
            for item in items {
                relink(item, from, to, in_links);
            }
        }
        _ => {}
    }
}

fn method_not_allowed(m: &Method) -> Resp {
    Resp::detail(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("Method \"{}\" not allowed.", m.as_str()),
    )
}

fn route(ctx: &mut Ctx<'_>, req: &Req) -> HResult<Resp> {
    let segs: Vec<String> = crate::spec::split(&req.path)
        .into_iter()
        .map(str::to_owned)
        .collect();
    if segs.first().map(String::as_str) != Some("v1.1") {
        return Err(Resp::not_found());
    }
    if segs.len() == 2 && segs[1] == "schema" && req.method == Method::GET {
        return Ok(Resp::ok(ctx.spec.document.clone()));
    }
    let matched = ctx.spec.match_path(&req.path);
    let Some(m) = matched else {
        return link_root(ctx, req, &segs);
    };
    let route = m.route;
    let res = ctx.spec.routes[route].res;
    let kind = ctx.spec.routes[route].kind;
    let norm = norm_of(ctx.spec, route);
    let (rel, instance) = match norm.strip_prefix("/v1.1/instances/{}/") {
        Some(rest) => (Some(rest.to_owned()), m.segs.get(2).cloned()),
        None => (None, None),
    };
    let params = ctx.spec.routes[route]
        .segs
        .iter()
        .zip(&m.segs)
        .filter_map(|(seg, value)| match seg {
            crate::spec::Seg::Param(name) => Some((name.clone(), value.clone())),
            crate::spec::Seg::Lit(_) => None,
        })
        .collect();
    let target = Target {
        route,
        res,
        m,
        norm,
        rel,
        instance,
        kind,
        params,
    };
    // every answer of a known endpoint says which methods it takes, as DRF does
    let allow = ctx
        .spec
        .endpoint(route)
        .map(|e| {
            let mut names: Vec<&str> = e.methods.iter().map(|m| m.as_http()).collect();
            if e.methods.contains(&HttpMethod::Get) {
                names.push("HEAD");
            }
            names.push("OPTIONS");
            names.join(", ")
        })
        .unwrap_or_default();
    match matched_route(ctx, req, target) {
        Ok(mut r) => {
            r.headers.push(("allow", allow));
            Ok(r)
        }
        Err(mut r) => {
            r.headers.push(("allow", allow));
            Err(r)
        }
    }
}

fn matched_route(ctx: &mut Ctx<'_>, req: &Req, target: Target) -> HResult<Resp> {
    let route = target.route;
    if req.method == Method::OPTIONS {
        let mut meta = crate::options::metadata(ctx.spec, route);
        if target
            .rel
            .as_deref()
            .is_some_and(|r| r.starts_with("classes/{}/objects/"))
        {
            crate::objects::add_class_metadata(ctx, &target, &mut meta);
        }
        return Ok(meta);
    }
    // public endpoints
    let public = target.norm == "/v1.1/schema/"
        || target.norm == "/v1.1/account/register/"
        || target.norm.starts_with("/v1.1/account/auth/")
        || target.norm.starts_with("/v1.1/account/password/")
        || target
            .rel
            .as_deref()
            .is_some_and(|r| r.starts_with("endpoints/scripts/p/"));
    // as in DRF, authentication comes before the method check: an unknown key
    // or no key at all is refused whatever the method
    let caller = auth::resolve(ctx.store, req, target.instance.as_deref())?;
    if !public && caller == Caller::Anonymous {
        return Err(Resp::forbidden());
    }
    let Some(hm) = method_of(&req.method) else {
        return Err(method_not_allowed(&req.method));
    };
    let allowed = ctx
        .spec
        .endpoint(route)
        .is_some_and(|e| e.methods.contains(&hm));
    if !allowed {
        return Err(method_not_allowed(&req.method));
    }
    if target.norm == "/v1.1/schema/" && hm == HttpMethod::Get {
        return Ok(Resp::ok(ctx.spec.document.clone()));
    }
    if !public {
        authorize(ctx, req, &target, &caller)?;
    }
    check_ancestors(ctx, &target)?;
    if let (Some(name), Some(base)) = (&req.template, target.instance_path()) {
        let known = ctx
            .store
            .get(
                &format!("{base}snippets/templates/"),
                &Key::Str(name.clone()),
            )
            .is_some();
        return Err(if known {
            crate::scripts::rendering_disabled()
        } else {
            Resp::detail(
                StatusCode::NOT_ACCEPTABLE,
                format!("Template \"{name}\" was not found."),
            )
        });
    }
    handle(ctx, req, &target, &caller, hm)
}

/// Coarse permission checks (tenancy and key rights).
fn authorize(ctx: &Ctx<'_>, req: &Req, t: &Target, caller: &Caller) -> HResult<()> {
    match caller {
        Caller::Anonymous => Err(Resp::forbidden()),
        Caller::Admin { account } => {
            if let Some(inst) = &t.instance {
                let exists = ctx
                    .store
                    .get("/v1.1/instances/", &Key::Str(inst.clone()))
                    .is_some();
                if !exists {
                    return Ok(()); // the ancestor check answers 404
                }
                let Some(role) = crate::instances::admin_role(ctx.store, inst, *account) else {
                    return Err(Resp::detail(
                        StatusCode::NOT_FOUND,
                        "Instance was not found.",
                    ));
                };
                let read = matches!(req.method, Method::GET | Method::HEAD);
                let rel = t.rel.as_deref().unwrap_or("");
                let owner_only = (rel.is_empty() && req.method == Method::DELETE)
                    || rel == "rename/"
                    || rel.starts_with("admins/")
                    || rel.starts_with("invitations/");
                let allowed = match role.as_str() {
                    "full" => true,
                    "write" => read || !owner_only,
                    _ => read,
                };
                if !allowed {
                    return Err(Resp::forbidden());
                }
            }
            Ok(())
        }
        Caller::Key { .. } => match &t.rel {
            None => Err(Resp::forbidden()),
            Some(rel) => {
                if auth::key_allows(caller, rel, &req.method) {
                    Ok(())
                } else {
                    Err(Resp::forbidden())
                }
            }
        },
    }
}

/// Every parent in the path must exist: 404 `<Resource> was not found.`
fn check_ancestors(ctx: &Ctx<'_>, t: &Target) -> HResult<()> {
    let route = &ctx.spec.routes[t.route];
    for (ar, k) in &route.ancestors {
        let ares = ctx.spec.routes[*ar].res;
        let Some(ks) = ctx.spec.keys.get(ares) else {
            continue;
        };
        let name = ctx
            .spec
            .resources
            .get(ares)
            .map(|r| r.name.clone())
            .unwrap_or_default();
        let missing = || Resp::detail(StatusCode::NOT_FOUND, format!("{name} was not found."));
        if *k == 0 || *k > t.m.segs.len() {
            continue;
        }
        let coll = join(&t.m.segs[..k - 1]);
        let key = Key::from_segment(&t.m.segs[k - 1], ks.auto).ok_or_else(missing)?;
        if ctx.store.get(&coll, &key).is_none() {
            return Err(missing());
        }
    }
    Ok(())
}

/// `GET /v1.1/` and the other link roots: `{"links": {...}}`.
fn link_root(ctx: &mut Ctx<'_>, req: &Req, segs: &[String]) -> HResult<Resp> {
    let children = ctx.spec.children_of(segs);
    if children.is_empty() {
        return Err(Resp::not_found());
    }
    if req.method != Method::GET && req.method != Method::HEAD && req.method != Method::OPTIONS {
        return Err(method_not_allowed(&req.method));
    }
    // under an instance: the caller must be allowed in and the instance must exist
    if segs.len() >= 3 && segs[1] == "instances" {
        let inst = segs[2].clone();
        let caller = auth::resolve(ctx.store, req, Some(&inst))?;
        match caller {
            Caller::Anonymous => return Err(Resp::forbidden()),
            Caller::Admin { account } => {
                if crate::instances::admin_role(ctx.store, &inst, account).is_none() {
                    return Err(Resp::detail(
                        StatusCode::NOT_FOUND,
                        "Instance was not found.",
                    ));
                }
            }
            Caller::Key { .. } => {}
        }
    }
    let mut links = Map::new();
    if segs.len() == 1 {
        links.insert("schema".into(), Value::String("/v1.1/schema/".into()));
    }
    for c in children {
        let mut p = segs.to_vec();
        p.push(c.clone());
        links.insert(c.replace('_', "-"), Value::String(join(&p)));
    }
    Ok(Resp::ok(json!({ "links": links })))
}

fn handle(
    ctx: &mut Ctx<'_>,
    req: &Req,
    t: &Target,
    caller: &Caller,
    hm: HttpMethod,
) -> HResult<Resp> {
    let ep_name = ctx
        .spec
        .endpoint(t.route)
        .map(|e| e.name.clone())
        .unwrap_or_default();
    if t.norm.starts_with("/v1.1/account/") || t.norm.starts_with("/v1.1/account") {
        return crate::accounts::handle(ctx, req, t, caller, hm);
    }
    if t.norm.starts_with("/v1.1/instances/")
        && t.rel
            .as_deref()
            .is_none_or(|r| r.is_empty() || r == "rename/")
    {
        return crate::instances::handle(ctx, req, t, caller, hm);
    }
    let rel = t.rel.clone().unwrap_or_default();
    if rel.starts_with("endpoints/scripts/p/") {
        return crate::scripts::public_run(ctx, t);
    }
    if ep_name == "run" || rel.ends_with("/run/") {
        return Err(crate::scripts::execution_disabled());
    }
    if rel == "snippets/scripts/runtimes/" && hm == HttpMethod::Get {
        return Ok(crate::scripts::runtimes(ctx.spec));
    }
    if let Some(own) = auth::own_key_only(caller).filter(|_| rel.starts_with("api_keys/")) {
        return match t.kind {
            Kind::List => list(ctx, req, t, |r| {
                r.get("id").and_then(Value::as_i64) == Some(own)
            }),
            _ if t.id_param("id") == Some(own) => generic(ctx, req, t, hm),
            _ => Err(Resp::not_found()),
        };
    }
    if matches!(rel.as_str(), "backups/full/" | "restores/")
        && t.kind == Kind::List
        && hm == HttpMethod::Post
    {
        return crate::backups::create(ctx, req, t, caller);
    }
    if rel == "batch/" {
        return crate::batch::handle(ctx, req, t, caller);
    }
    if rel.starts_with("hosting/{}/files/") {
        if let Some(r) = crate::uploads::hosting_files(ctx, req, t, hm)? {
            return Ok(r);
        }
    }
    if rel == "push_notifications/apns/config/" {
        if let Some(r) = crate::uploads::apns_config(ctx, req, t, hm)? {
            return Ok(r);
        }
    }
    if rel.starts_with("push_notifications/") {
        if rel.ends_with("/messages/") && t.kind == Kind::List && hm == HttpMethod::Post {
            return crate::push::create_message(ctx, req, t);
        }
        if ep_name == "send_message" {
            return crate::push::send_message(ctx, req, t);
        }
    }
    if rel == "classes/" || rel == "classes/{}/" {
        return crate::classes::handle(ctx, req, t, caller, hm);
    }
    if rel.starts_with("classes/{}/objects/") {
        return crate::objects::handle(ctx, req, t, caller, hm);
    }
    if rel.starts_with("endpoints/data/{}/get/") || rel.starts_with("endpoints/data/{}/post/") {
        return crate::objects::data_endpoint(ctx, req, t, caller, hm);
    }
    if rel.starts_with("users/") || rel.starts_with("user/") || rel.starts_with("groups/") {
        if let Some(r) = crate::users::handle(ctx, req, t, caller, hm)? {
            return Ok(r);
        }
    }
    if rel.starts_with("channels/") {
        if let Some(r) = crate::channels::handle(ctx, req, t, caller, hm)? {
            return Ok(r);
        }
    }
    if ep_name == "render" {
        return Err(crate::scripts::rendering_disabled());
    }
    if rel == "admins/{}/" && hm != HttpMethod::Get {
        // the owner stays a full admin
        let owner = ctx
            .store
            .get(
                "/v1.1/instances/",
                &Key::Str(t.instance.clone().unwrap_or_default()),
            )
            .and_then(|r| r.get("__owner_account"))
            .and_then(Value::as_i64);
        if owner.is_some() && t.id_param("id") == owner {
            return Err(Resp::forbidden());
        }
    }
    generic(ctx, req, t, hm)
}

/// The generic engine for list, detail and custom endpoints.
pub fn generic(ctx: &mut Ctx<'_>, req: &Req, t: &Target, hm: HttpMethod) -> HResult<Resp> {
    match (t.kind, hm) {
        (Kind::List, HttpMethod::Get) => list(ctx, req, t, |_| true),
        (Kind::List, HttpMethod::Post) => {
            create_generic(ctx, t, &req.body_or_empty(), Record::new())
        }
        (Kind::List, _) => Err(method_not_allowed(&req.method)),
        (Kind::Detail, _) => {
            let (coll, key) = detail_key(ctx, t)?;
            match hm {
                HttpMethod::Get => {
                    let rec = get_or_singleton(ctx, t, &coll, &key)?;
                    Ok(Resp::ok(render::select(
                        req,
                        render::render(ctx.spec, t.res, Some(&t.m.segs), &rec),
                    )))
                }
                HttpMethod::Put | HttpMethod::Patch | HttpMethod::Post => {
                    let mode = if hm == HttpMethod::Patch {
                        Mode::Update
                    } else {
                        Mode::Replace
                    };
                    let rec = get_or_singleton(ctx, t, &coll, &key)?;
                    let rec = update_record(ctx, t, req, rec, mode)?;
                    ctx.store.put(&coll, key, rec.clone())?;
                    Ok(Resp::ok(render::render(
                        ctx.spec,
                        t.res,
                        Some(&t.m.segs),
                        &rec,
                    )))
                }
                HttpMethod::Delete => {
                    if ctx.store.remove(&coll, &key)?.is_none() {
                        return Err(Resp::not_found());
                    }
                    ctx.store.remove_prefix(&join(&t.m.segs))?;
                    if t.rel.as_deref() == Some("snippets/scripts/{}/") {
                        if let Some(base) = t.instance_path() {
                            // what runs a script goes with it
                            cascade(
                                ctx,
                                &base,
                                &["triggers/", "schedules/", "endpoints/scripts/"],
                                "script",
                                &key.to_json(),
                            )?;
                        }
                    }
                    Ok(Resp::no_content())
                }
            }
        }
        (Kind::Custom, _) => custom(ctx, req, t, hm),
    }
}

/// The generic create: validates `body`, stores the record (starting from `base`,
/// the values the server sets) and answers it, 201.
pub fn create_generic(ctx: &mut Ctx<'_>, t: &Target, body: &Value, base: Record) -> HResult<Resp> {
    let coll = join(&t.m.segs);
    let (key, rec) = create_record(ctx, t, body, base)?;
    ctx.store.put(&coll, key.clone(), rec.clone())?;
    let mut segs = t.m.segs.clone();
    segs.push(key.to_string());
    Ok(Resp::created(render::render(
        ctx.spec,
        t.res,
        Some(&segs),
        &rec,
    )))
}

/// How the records of the target's resource are keyed.
fn key_spec(ctx: &Ctx<'_>, t: &Target) -> HResult<KeySpec> {
    ctx.spec
        .keys
        .get(t.res)
        .cloned()
        .ok_or_else(Resp::not_found)
}

/// The collection and key of a detail request.
pub fn detail_key(ctx: &Ctx<'_>, t: &Target) -> HResult<(String, Key)> {
    let ks = ctx.spec.keys.get(t.res).ok_or_else(Resp::not_found)?;
    if ks.param.is_none() {
        return Ok((join(&t.m.segs), Key::Str(String::new())));
    }
    let n = t.m.segs.len();
    if n == 0 {
        return Err(Resp::not_found());
    }
    let key = Key::from_segment(&t.m.segs[n - 1], ks.auto).ok_or_else(Resp::not_found)?;
    Ok((join(&t.m.segs[..n - 1]), key))
}

fn get_or_singleton(ctx: &Ctx<'_>, t: &Target, coll: &str, key: &Key) -> HResult<Record> {
    match ctx.store.get(coll, key) {
        Some(r) => Ok(r.clone()),
        None if ctx.spec.keys.get(t.res).is_some_and(|k| k.param.is_none()) => {
            // singletons (configs) exist implicitly with their defaults
            let mut r = Record::new();
            let now = crate::time::now();
            r.insert("created_at".into(), Value::String(now.clone()));
            r.insert("updated_at".into(), Value::String(now));
            Ok(r)
        }
        None => Err(Resp::not_found()),
    }
}

/// Deletes the records of the given instance collections whose `field`
/// equals `value` (with everything under them).
pub fn cascade(
    ctx: &mut Ctx<'_>,
    base: &str,
    colls: &[&str],
    field: &str,
    value: &Value,
) -> HResult<()> {
    for c in colls {
        let coll = format!("{base}{c}");
        let doomed: Vec<Key> = ctx
            .store
            .collection(&coll)
            .map(|items| {
                items
                    .iter()
                    .filter(|(_, r)| r.get(field) == Some(value))
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        for k in doomed {
            ctx.store.remove(&coll, &k)?;
            ctx.store.remove_prefix(&format!(
                "{coll}{}/",
                crate::spec::encode_segment(&k.to_string())
            ))?;
        }
    }
    Ok(())
}

/// Validates a create body and builds the record (not yet stored).
pub fn create_record(
    ctx: &mut Ctx<'_>,
    t: &Target,
    body: &Value,
    mut base: Record,
) -> HResult<(Key, Record)> {
    let fields = ctx.spec.write_fields(t.route);
    let clean = validate::validate(fields, body, Mode::Create, &[]).map_err(Resp::bad)?;
    check_refs(ctx, t, &clean)?;
    check_specific(t, &clean)?;
    let ks = key_spec(ctx, t)?;
    let coll = join(&t.m.segs);
    let key = if ks.auto {
        // invitation ids are global: accounts see them across instances
        let counter = if t.rel.as_deref() == Some("invitations/") {
            "@invitations#seq".to_owned()
        } else {
            format!("{coll}#seq")
        };
        Key::Int(ctx.store.next_id(&counter)?)
    } else {
        // the key field is settable on create even when the schema marks it
        // read-only (it is read-only on the detail endpoint)
        let v = clean
            .get(&ks.field)
            .or_else(|| body.get(&ks.field).filter(|v| v.is_string()))
            .cloned()
            .unwrap_or(Value::Null);
        let s = match v {
            Value::String(s) if s.trim().is_empty() => {
                return Err(Resp::field_error(&ks.field, "This field may not be blank."));
            }
            Value::String(s) if s.contains('/') => {
                return Err(Resp::field_error(
                    &ks.field,
                    "Enter a valid value without \"/\".",
                ));
            }
            Value::String(s) => s,
            Value::Null => return Err(Resp::field_error(&ks.field, "This field is required.")),
            other => other.to_string(),
        };
        let key = Key::Str(s);
        if ctx.store.get(&coll, &key).is_some() {
            return Err(Resp::field_error(&ks.field, UNIQUE));
        }
        key
    };
    for (k, v) in clean {
        if k != "expected_revision" {
            base.insert(k, v);
        }
    }
    if !ks.field.is_empty() {
        base.insert(ks.field.clone(), key.to_json());
    }
    let now = crate::time::now();
    base.entry("created_at")
        .or_insert_with(|| Value::String(now.clone()));
    base.insert("updated_at".into(), Value::String(now));
    fill_generated(t, &mut base);
    Ok((key, base))
}

/// References by well-known field names inside an instance must point to
/// existing records: `script`, `group`, `backup`, `user` (ids) and `class`
/// (a name), with DRF's related-field messages.
fn check_refs(ctx: &Ctx<'_>, t: &Target, clean: &Map<String, Value>) -> HResult<()> {
    let Some(base) = t.instance_path() else {
        return Ok(());
    };
    let mut errors = Map::new();
    for (field, coll, by_name) in [
        ("script", "snippets/scripts/", false),
        ("group", "groups/", false),
        ("backup", "backups/full/", false),
        ("user", "users/", false),
        ("class", "classes/", true),
    ] {
        let Some(v) = clean.get(field) else { continue };
        if v.is_null() || v.is_object() || v.is_array() {
            continue;
        }
        let shown = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        let key = if by_name {
            Some(Key::Str(shown.clone()))
        } else {
            shown.parse::<i64>().ok().map(Key::Int)
        };
        let exists = key.is_some_and(|k| ctx.store.get(&format!("{base}{coll}"), &k).is_some());
        if !exists {
            let msg = if by_name {
                format!("Object with name={shown} does not exist.")
            } else {
                format!("Invalid pk \"{shown}\" - object does not exist.")
            };
            errors.insert(field.into(), json!([msg]));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Resp::bad(Value::Object(errors)))
    }
}

/// Resource-specific checks the schema cannot express.
fn check_specific(t: &Target, clean: &Map<String, Value>) -> HResult<()> {
    let rel = t.rel.as_deref().unwrap_or("");
    if rel.starts_with("schedules/") {
        if let Some(Value::String(c)) = clean.get("crontab") {
            if !c.trim().is_empty() && c.split_whitespace().count() != 5 {
                return Err(Resp::field_error(
                    "crontab",
                    "Crontab has to have 5 parts specified.",
                ));
            }
        }
    }
    Ok(())
}

/// Server-generated values of generic resources.
fn fill_generated(t: &Target, rec: &mut Record) {
    let rel = t.rel.as_deref().unwrap_or("");
    match rel {
        "api_keys/" => {
            rec.insert("api_key".into(), Value::String(auth::new_key()));
            for f in [
                "ignore_acl",
                "allow_user_create",
                "allow_group_create",
                "allow_anonymous_read",
            ] {
                rec.entry(f).or_insert(Value::Bool(false));
            }
            rec.entry("description")
                .or_insert(Value::String(String::new()));
        }
        "channels/" => {
            rec.entry("type").or_insert(Value::String("default".into()));
            rec.entry("group_permissions")
                .or_insert(Value::String("none".into()));
            rec.entry("other_permissions")
                .or_insert(Value::String("none".into()));
            rec.entry("custom_publish").or_insert(Value::Bool(false));
            rec.entry("description")
                .or_insert(Value::String(String::new()));
        }
        "endpoints/scripts/" => {
            rec.insert("public_link".into(), Value::String(auth::new_key()));
        }
        "users/" => {
            rec.insert("user_key".into(), Value::String(auth::new_key()));
        }
        "schedules/" => {
            rec.entry("timezone")
                .or_insert_with(|| Value::String("UTC".into()));
            // when an interval is set, the next run is one interval away (never run)
            let next = rec
                .get("interval_sec")
                .and_then(Value::as_i64)
                .map(|s| {
                    Value::String(crate::time::format(
                        chrono::Utc::now() + chrono::Duration::seconds(s),
                    ))
                })
                .unwrap_or(Value::Null);
            rec.insert("scheduled_next".into(), next);
        }
        "hosting/" => {
            rec.insert("is_default".into(), Value::Bool(false));
            rec.insert("ssl_status".into(), Value::String("off".into()));
        }
        "invitations/" => {
            rec.insert("key".into(), Value::String(auth::new_key()));
            rec.entry("state").or_insert(Value::String("new".into()));
            rec.entry("role").or_insert(Value::String("read".into()));
        }
        _ => {}
    }
}

/// Validates an update body and merges it into `rec`.
pub fn update_record(
    ctx: &mut Ctx<'_>,
    t: &Target,
    req: &Req,
    mut rec: Record,
    mode: Mode,
) -> HResult<Record> {
    let body = req.body_or_empty();
    let fields = ctx.spec.write_fields(t.route);
    let ks = key_spec(ctx, t)?;
    let ro: Vec<&str> = if ks.param.is_some() && !ks.field.is_empty() {
        vec![ks.field.as_str()]
    } else {
        vec![]
    };
    let clean = validate::validate(fields, &body, mode, &ro).map_err(Resp::bad)?;
    check_refs(ctx, t, &clean)?;
    check_specific(t, &clean)?;
    for (k, v) in clean {
        if k != "expected_revision" {
            rec.insert(k, v);
        }
    }
    rec.insert("updated_at".into(), Value::String(crate::time::now()));
    Ok(rec)
}

/// Generic list with an item filter.
pub fn list(
    ctx: &mut Ctx<'_>,
    req: &Req,
    t: &Target,
    keep: impl Fn(&Record) -> bool,
) -> HResult<Resp> {
    let ep = ctx.spec.endpoint(t.route);
    let paginated = ep.and_then(|e| e.paginated).unwrap_or(true);
    let coll = join(&t.m.segs);
    if paginated {
        if let Some(c) = ctx.store.collection(&coll) {
            // records with integer ids: the collection is the index, in list order
            if c.keys().next().is_some_and(|k| matches!(k, Key::Int(_))) {
                return page_index(ctx, req, t, c, keep);
            }
        }
    }
    let items: Vec<(Key, Record)> = ctx
        .store
        .collection(&coll)
        .map(|c| {
            c.iter()
                .filter(|(_, r)| keep(r))
                .map(|(k, r)| (k.clone(), r.clone()))
                .collect()
        })
        .unwrap_or_default();
    if !paginated {
        let mut m = Map::new();
        for (k, r) in items {
            m.insert(k.to_string(), render::render(ctx.spec, t.res, None, &r));
        }
        return Ok(Resp::ok(Value::Object(m)));
    }
    page_records(ctx, req, t, items)
}

/// A page of a collection keyed by integer ids, read from the cursor on
/// ([`paging::index_page`]).
fn page_index(
    ctx: &Ctx<'_>,
    req: &Req,
    t: &Target,
    c: &store::Collection,
    keep: impl Fn(&Record) -> bool,
) -> HResult<Resp> {
    let p = paging::parse(req)?;
    let cursor: Option<Key> = match req.q("last_pk") {
        None | Some("") => None,
        Some(s) => Some(Key::from_segment(s.trim(), true).ok_or_else(paging::bad_page)?),
    };
    let total = if p.include_count {
        c.values().filter(|r| keep(r)).count()
    } else {
        0
    };
    let page = paging::index_page(c, &p, p.desc, cursor.as_ref(), &keep);
    let objects = rendered(ctx, req, t, page.iter().map(|(k, r)| (*k, *r)));
    let listing = paging::Listing {
        req,
        params: &p,
        carried: paging::LIST_LINK_PARAMS,
        cursor: &|(k, _): &(&Key, &Record)| vec![("last_pk".to_owned(), k.to_string())],
    };
    Ok(Resp::ok(listing.envelope(&page, objects, total)))
}

/// The records of a page as the API shows them, each under its own key.
fn rendered<'a>(
    ctx: &Ctx<'_>,
    req: &Req,
    t: &Target,
    rows: impl Iterator<Item = (&'a Key, &'a Record)>,
) -> Vec<Value> {
    rows.map(|(k, r)| {
        let mut segs = t.m.segs.clone();
        segs.push(k.to_string());
        render::select(req, render::render(ctx.spec, t.res, Some(&segs), r))
    })
    .collect()
}

/// Where a record stands in its list, which is also its `last_pk`: its integer key,
/// or for a record keyed by name its hidden creation number (the platform's primary
/// key), so such lists come in creation order as on the platform.
fn list_position((key, rec): &(Key, Record)) -> Key {
    match key {
        Key::Str(_) => rec
            .get(store::PK)
            .and_then(Value::as_i64)
            .map_or_else(|| key.clone(), Key::Int),
        Key::Int(_) => key.clone(),
    }
}

/// Pages (key, record) pairs in list order, using `last_pk` (an integer).
pub fn page_records(
    ctx: &Ctx<'_>,
    req: &Req,
    t: &Target,
    mut items: Vec<(Key, Record)>,
) -> HResult<Resp> {
    let p = paging::parse(req)?;
    let cursor: Option<Key> = match req.q("last_pk") {
        None | Some("") => None,
        Some(s) => Some(Key::from_segment(s.trim(), true).ok_or_else(paging::bad_page)?),
    };
    items.sort_by_cached_key(list_position);
    let total = items.len();
    let cmp = cursor.map(|c| move |it: &(Key, Record)| -> Ordering { list_position(it).cmp(&c) });
    let page = paging::cut(
        items,
        &p,
        cmp.as_ref()
            .map(|f| f as &dyn Fn(&(Key, Record)) -> Ordering),
    );
    let objects = rendered(ctx, req, t, page.iter().map(|(k, r)| (k, r)));
    let listing = paging::Listing {
        req,
        params: &p,
        carried: paging::LIST_LINK_PARAMS,
        cursor: &|it: &(Key, Record)| vec![("last_pk".to_owned(), list_position(it).to_string())],
    };
    Ok(Resp::ok(listing.envelope(&page, objects, total)))
}

/// Generic custom endpoints (those without dedicated semantics).
fn custom(ctx: &mut Ctx<'_>, req: &Req, t: &Target, hm: HttpMethod) -> HResult<Resp> {
    let name = ctx
        .spec
        .endpoint(t.route)
        .map(|e| e.name.clone())
        .unwrap_or_default();
    let status = ctx.spec.endpoint(t.route).and_then(|e| e.status);
    // the request body of endpoints that declare one
    let declared = ctx
        .spec
        .endpoint(t.route)
        .is_some_and(|e| e.fields.is_some());
    let clean = if declared && name != "rename" && hm != HttpMethod::Get {
        validate::validate(
            ctx.spec.write_fields(t.route),
            &req.body_or_empty(),
            Mode::Create,
            &[],
        )
        .map_err(Resp::bad)?
    } else {
        Map::new()
    };
    let Some(tl) = ctx.spec.routes[t.route].target_len else {
        // no record to act on
        if t.norm.contains("/auth/") {
            return Err(Resp::detail(
                StatusCode::BAD_REQUEST,
                "Social authentication is not available in the emulator.",
            ));
        }
        return Ok(match status {
            Some(s) if s != 204 => Resp::json(
                StatusCode::from_u16(s).unwrap_or(StatusCode::OK),
                req.body_or_empty(),
            ),
            _ => Resp::no_content(),
        });
    };
    let ks = key_spec(ctx, t)?;
    let dsegs: Vec<String> = t.m.segs[..tl].to_vec();
    let (coll, key) = if ks.param.is_none() {
        (join(&dsegs), Key::Str(String::new()))
    } else {
        let key = Key::from_segment(&dsegs[tl - 1], ks.auto).ok_or_else(Resp::not_found)?;
        (join(&dsegs[..tl - 1]), key)
    };
    let mut rec = match ctx.store.get(&coll, &key) {
        Some(r) => r.clone(),
        None if ks.param.is_none() => Record::new(),
        None => return Err(Resp::not_found()),
    };
    match name.as_str() {
        "set_default" => {
            let others: Vec<(Key, Record)> = ctx
                .store
                .collection(&coll)
                .map(|c| {
                    c.iter()
                        .filter(|(k, r)| {
                            **k != key && r.get("is_default") == Some(&Value::Bool(true))
                        })
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
            ctx.store.put(&coll, key.clone(), rec.clone())?;
        }
        "enable_ssl" => {
            rec.insert("ssl_status".into(), json!("checking"));
            ctx.store.put(&coll, key.clone(), rec.clone())?;
        }
        "remove_certificate" => {
            for f in ["development_certificate", "production_certificate"] {
                if clean.get(f) == Some(&Value::Bool(true)) {
                    ctx.store
                        .remove_blob(&crate::store::blob_name(&coll, &key, f))?;
                    rec.insert(f.into(), Value::Null);
                    rec.insert(format!("{f}_name"), Value::Null);
                    rec.insert(f.replace("certificate", "expiration_date"), Value::Null);
                }
            }
            ctx.store.put(&coll, key.clone(), rec.clone())?;
        }
        "reset_key" | "reset_link" => {
            for f in ["api_key", "user_key", "public_link", "account_key"] {
                if rec.contains_key(f) {
                    rec.insert(f.into(), Value::String(auth::new_key()));
                }
            }
            rec.insert("updated_at".into(), Value::String(crate::time::now()));
            ctx.store.put(&coll, key, rec.clone())?;
        }
        "rename" => {
            let body = req.body_or_empty();
            let new_name = body
                .get("new_name")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| Resp::field_error("new_name", "This field is required."))?;
            let new_key = Key::Str(new_name.clone());
            if new_name.is_empty() {
                return Err(Resp::field_error(
                    "new_name",
                    "This field may not be blank.",
                ));
            }
            if new_key != key && ctx.store.get(&coll, &new_key).is_some() {
                return Err(Resp::field_error("new_name", UNIQUE));
            }
            if let Some(max) = ctx
                .spec
                .resources
                .get(t.res)
                .and_then(|r| r.fields.iter().find(|f| f.name == ks.field))
                .and_then(|f| f.max_length)
            {
                if new_name.chars().count() as u64 > max {
                    return Err(Resp::field_error(
                        "new_name",
                        format!("Ensure this field has no more than {max} characters."),
                    ));
                }
            }
            ctx.store.remove(&coll, &key)?;
            let old_prefix = join(&dsegs);
            let mut nsegs = dsegs.clone();
            if let Some(last) = nsegs.last_mut() {
                *last = new_name.clone();
            }
            ctx.store.move_prefix(&old_prefix, &join(&nsegs))?;
            rec.insert(ks.field.clone(), Value::String(new_name));
            rec.insert("updated_at".into(), Value::String(crate::time::now()));
            ctx.store.put(&coll, new_key, rec.clone())?;
            return Ok(Resp::ok(render::render(
                ctx.spec,
                t.res,
                Some(&nsegs),
                &rec,
            )));
        }
        _ => {
            if hm != HttpMethod::Get && status == Some(204) {
                return Ok(Resp::no_content());
            }
        }
    }
    let st = status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    if st == StatusCode::NO_CONTENT {
        return Ok(Resp::no_content());
    }
    Ok(Resp::json(
        st,
        render::render(ctx.spec, t.res, Some(&dsegs), &rec),
    ))
}
