//! `POST I/batch/`: up to 50 requests, each dispatched through the same router
//! with the caller's keys, answered as `[{code, content}]`.

use axum::http::Method;
use serde_json::{Value, json};

use crate::api::{HResult, Req, Resp};
use crate::behaviour::{Behaviour, Call, Op};
use crate::context::Ctx;

/// The resources of this module.
pub fn behaviours() -> Vec<Behaviour> {
    vec![Behaviour::new("Batch").on(Op::Endpoint("batch"), handle)]
}

/// 405 `Batching not allowed.` for an item of a batch that the platform runs only on
/// its own (`apps/batch/decorators.py` `disallow_batching`: a batch, a channel poll, a
/// script endpoint's run).
pub fn not_in_batch(req: &Req) -> HResult<()> {
    if req.in_batch {
        return Err(Resp::detail(
            axum::http::StatusCode::METHOD_NOT_ALLOWED,
            "Batching not allowed.",
        ));
    }
    Ok(())
}

/// Handles a batch: each item goes through the dispatcher as a request of its own.
fn handle(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (req, t) = (call.req, call.target);
    not_in_batch(req)?;
    let body = req.body_or_empty();
    let Value::Object(m) = &body else {
        return Err(Resp::bad(crate::validate::not_a_dict(&body)));
    };
    let Some(reqs) = m.get("requests") else {
        return Err(Resp::field_error("requests", "This field is required."));
    };
    let Value::Array(list) = reqs else {
        return Err(Resp::field_error(
            "requests",
            format!(
                "Expected a list of items but got type \"{}\".",
                crate::validate::py_type(reqs)
            ),
        ));
    };
    // items address the batch's own instance, in the API version the batch came in
    let base = match (&req.version, t.instance_path()) {
        (Some(v), Some(p)) => p
            .strip_prefix("/v1.1")
            .map_or_else(String::new, |rest| format!("/{v}{rest}")),
        (None, Some(p)) => p,
        (_, None) => String::new(),
    };
    // validate every item first
    let mut subs = Vec::with_capacity(list.len());
    let mut errors = Vec::new();
    let mut any_err = false;
    for item in list {
        let mut e = serde_json::Map::new();
        let method = item
            .get("method")
            .and_then(Value::as_str)
            .map(str::to_uppercase);
        let method = match method.as_deref() {
            Some(m @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE")) => {
                Method::from_bytes(m.as_bytes()).ok()
            }
            Some(other) => {
                e.insert(
                    "method".into(),
                    json!([format!("\"{other}\" is not a valid choice.")]),
                );
                None
            }
            None => {
                e.insert("method".into(), json!(["This field is required."]));
                None
            }
        };
        let path = item
            .get("path")
            .and_then(Value::as_str)
            .map(str::to_lowercase);
        match &path {
            None => {
                e.insert("path".into(), json!(["This field is required."]));
            }
            Some(p) if p.chars().count() > 8192 => {
                e.insert(
                    "path".into(),
                    json!(["Ensure this field has no more than 8192 characters."]),
                );
            }
            Some(p) if !p.starts_with(&base) => {
                e.insert(
                    "path".into(),
                    json!([
                        "Path needs to point to an endpoint within current instance and API version."
                    ]),
                );
            }
            Some(p) if !valid_path(p) => {
                e.insert("path".into(), json!(["Invalid path specified."]));
            }
            _ => {}
        }
        let body = item.get("body").cloned().filter(|b| !b.is_null());
        if let Some(b) = &body {
            if !b.is_object() {
                e.insert("body".into(), json!(["Invalid body format."]));
            }
        }
        any_err |= !e.is_empty();
        errors.push(Value::Object(e));
        if let (Some(method), Some(path)) = (method, path) {
            let (p, q) = match path.split_once('?') {
                Some((p, q)) => (p.to_owned(), q.to_owned()),
                None => (path.clone(), String::new()),
            };
            subs.push(Req {
                method,
                path: p,
                query: form_urlencoded::parse(q.as_bytes()).into_owned().collect(),
                api_key: req.api_key.clone(),
                user_key: req.user_key.clone(),
                body,
                in_batch: true,
                template: None,
                origin: req.origin.clone(),
                version: None,
            });
        }
    }
    if any_err {
        return Err(Resp::bad(json!({ "requests": errors })));
    }
    let limit = ctx.settings.batch_limit;
    if subs.len() > limit {
        return Err(Resp::detail(
            axum::http::StatusCode::BAD_REQUEST,
            format!("Max requests per batch exceeded ({limit})."),
        ));
    }
    let mut out = Vec::with_capacity(subs.len());
    for sub in &subs {
        let r = (ctx.dispatch)(ctx, sub);
        out.push(json!({"code": r.status.as_u16(), "content": r.body.unwrap_or(Value::Null)}));
    }
    Ok(Resp::ok(Value::Array(out)))
}

/// The platform's path rule: lowercase segments of letters, digits, `-`, `_`
/// and `.`, a trailing `/`, optionally one query string.
fn valid_path(p: &str) -> bool {
    let (path, query) = match p.split_once('?') {
        Some((a, b)) => (a, Some(b)),
        None => (p, None),
    };
    if query.is_some_and(|q| q.is_empty() || q.contains('?')) {
        return false;
    }
    let Some(inner) = path.strip_prefix('/').and_then(|x| x.strip_suffix('/')) else {
        return false;
    };
    !inner.is_empty()
        && inner.split('/').all(|seg| {
            !seg.is_empty()
                && seg.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
                })
        })
}
