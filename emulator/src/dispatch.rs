//! The request dispatcher: every request, each item of a batch included, goes
//! through [`dispatch`].
//!
//! In order: match a route of the schema (other API versions are served as `v1.1`
//! with their links moved back), authenticate the caller, refuse a method the
//! endpoint lacks (405), check tenancy (an admin's role in the instance), check the
//! [permission table](crate::permissions) for the resource and operation, check that
//! every parent record in the path exists (404), answer `OPTIONS`, then run the
//! resource's own handler from the [registry](crate::registry) or the generic
//! [engine](crate::engine).

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};
use syncano_codegen::schema::HttpMethod;

use crate::api::{HResult, Req, Resp};
use crate::auth::{self, Caller};
use crate::behaviour::{Call, Op};
use crate::context::{Ctx, Target};
use crate::engine;
use crate::permissions::{self, Callers};
use crate::spec::{Spec, join, method_of};
use crate::store::Key;

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
    as_schema.version = Some(version.clone());
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
    let Some(mut m) = matched else {
        return link_root(ctx, req, &segs);
    };
    let route = m.route;
    let res = ctx.spec.routes[route].res;
    let kind = ctx.spec.routes[route].kind;
    let in_instance = norm_of(ctx.spec, route).starts_with("/v1.1/instances/{}/");
    if in_instance {
        // instance names are lowercase: the platform lowercases the one in the path
        // before looking it up
        if let Some(name) = m.segs.get_mut(2) {
            *name = name.to_lowercase();
        }
    }
    let instance = in_instance.then(|| m.segs.get(2).cloned()).flatten();
    let params = ctx.spec.routes[route]
        .segs
        .iter()
        .zip(&m.segs)
        .filter_map(|(seg, value)| match seg {
            crate::spec::Seg::Param(name) => Some((name.clone(), value.clone())),
            crate::spec::Seg::Lit(_) => None,
        })
        .collect();
    let behaviour = ctx
        .spec
        .resources
        .get(res)
        .and_then(|r| crate::registry::behaviour(&r.name));
    let target = Target {
        route,
        res,
        m,
        instance,
        kind,
        params,
        behaviour,
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
    let endpoint = ctx.spec.endpoint(route);
    let endpoint_name = endpoint.map(|e| e.name.as_str()).unwrap_or_default();
    let resource = ctx
        .spec
        .resources
        .get(target.res)
        .map(|r| r.name.as_str())
        .unwrap_or_default();
    let method = method_of(&req.method);
    let declared = req.method == Method::OPTIONS
        || method.is_some_and(|m| endpoint.is_some_and(|e| e.methods.contains(&m)));
    let op = if declared {
        Op::of(endpoint_name, method)
    } else {
        Op::of_undeclared(endpoint_name, method)
    };
    let allowed = permissions::allowed(resource, op);
    // as in DRF, authentication comes first: an unknown key is refused whatever the
    // method, and so is a request without a key where the operation needs one
    let caller = auth::resolve(ctx.store, req, target.instance.as_deref())?;
    if caller == Caller::Anonymous && !allowed.meets(Callers::ANONYMOUS) {
        return Err(Resp::forbidden());
    }
    let role = tenancy(ctx, &target, &caller)?;
    if !allowed.meets(Callers::of(&caller, role)) {
        return Err(Resp::forbidden());
    }
    if !declared {
        return Err(method_not_allowed(&req.method));
    }
    // OPTIONS looks up the parents in the path, not the record a custom endpoint
    // acts on (DRF's metadata never fetches the object)
    check_ancestors(ctx, &target, req.method == Method::OPTIONS)?;
    if req.method == Method::OPTIONS {
        let mut meta = crate::options::metadata(ctx.spec, route);
        if resource == "DataObject" {
            crate::objects::add_class_metadata(ctx, &target, &caller, &mut meta)?;
        }
        return Ok(meta);
    }
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
    let call = Call {
        req,
        target: &target,
        caller: &caller,
        method: method.unwrap_or(HttpMethod::Get),
    };
    match target.behaviour.and_then(|b| b.handler(op)) {
        Some(handler) => handler(ctx, &call),
        None => engine::generic(ctx, &call),
    }
}

/// The caller's role in the instance of the path, as [`Callers::of`] names it: an
/// admin's role (`owner`, `full`, `write`, `read`); `None` outside instances, for
/// keys (their instance is where they were found). An admin gets 404 `Instance was
/// not found.` for an instance that does not exist and for one where it has no role.
fn tenancy(ctx: &Ctx<'_>, t: &Target, caller: &Caller) -> HResult<Option<&'static str>> {
    let (Caller::Admin { account }, Some(inst)) = (caller, &t.instance) else {
        return Ok(None);
    };
    let not_found = || Resp::detail(StatusCode::NOT_FOUND, "Instance was not found.");
    let Some(rec) = ctx.store.get("/v1.1/instances/", &Key::Str(inst.clone())) else {
        return Err(not_found());
    };
    if rec.meta.owner_account == Some(*account) {
        return Ok(Some("owner"));
    }
    match crate::instances::admin_role(ctx.store, inst, *account).as_deref() {
        Some("full") => Ok(Some("full")),
        Some("write") => Ok(Some("write")),
        Some(_) => Ok(Some("read")),
        None => Err(not_found()),
    }
}

/// Every parent in the path must exist: 404 `<Resource> was not found.` With
/// `parents_only`, the record a custom endpoint acts on is not looked up.
fn check_ancestors(ctx: &Ctx<'_>, t: &Target, parents_only: bool) -> HResult<()> {
    let route = &ctx.spec.routes[t.route];
    for (ar, k) in &route.ancestors {
        if parents_only && route.target_len == Some(*k) {
            continue;
        }
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
