//! `POST I/batch/`: up to 50 requests, each dispatched through the same router
//! with the caller's keys, answered as `[{code, content}]`.

use axum::http::Method;
use serde_json::{Value, json};

use crate::api::{HResult, Req, Resp};
use crate::auth::Caller;
use crate::engine::{self, Ctx, Target};

/// Handles a batch.
pub fn handle(ctx: &mut Ctx<'_>, req: &Req, t: &Target, _caller: &Caller) -> HResult<Resp> {
    if req.in_batch {
        return Err(Resp::field_error(
            "requests",
            "Nested batch requests are not allowed.",
        ));
    }
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
    let limit = ctx.settings.batch_limit;
    if list.len() > limit {
        return Err(Resp::field_error(
            "requests",
            format!("Ensure this field has no more than {limit} elements."),
        ));
    }
    if list.is_empty() {
        return Err(Resp::field_error("requests", "This list may not be empty."));
    }
    let base = t.instance_path().unwrap_or_default();
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
        let path = item.get("path").and_then(Value::as_str).map(str::to_owned);
        match &path {
            None => {
                e.insert("path".into(), json!(["This field is required."]));
            }
            Some(p) if !p.starts_with(&base) => {
                e.insert(
                    "path".into(),
                    json!(["Invalid path: it must point inside the same instance."]),
                );
            }
            Some(p) if p.trim_start_matches(&base).starts_with("batch") => {
                e.insert(
                    "path".into(),
                    json!(["Nested batch requests are not allowed."]),
                );
            }
            _ => {}
        }
        let body = item.get("body").cloned().filter(|b| !b.is_null());
        if let Some(b) = &body {
            if !b.is_object() && !b.is_array() {
                e.insert(
                    "body".into(),
                    json!(["Invalid body: expected a dictionary."]),
                );
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
            });
        }
    }
    if any_err {
        return Err(Resp::bad(json!({ "requests": errors })));
    }
    let mut out = Vec::with_capacity(subs.len());
    for sub in &subs {
        let r = engine::dispatch(ctx, sub);
        out.push(json!({"code": r.status.as_u16(), "content": r.body.unwrap_or(Value::Null)}));
    }
    Ok(Resp::ok(Value::Array(out)))
}
