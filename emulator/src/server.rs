//! The HTTP layer: axum fallback handler turning requests into [`Req`],
//! running [`dispatch::dispatch`] under the state lock on a blocking thread,
//! committing the disk transaction before answering.

use std::sync::{Arc, Mutex};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::api::{FilePart, Req, Resp};
use crate::context::{Ctx, Settings};
use crate::dispatch;
use crate::spec::Spec;
use crate::store::Store;

/// Shared application state.
pub struct App {
    /// Schema and routes.
    pub spec: Spec,
    /// The state.
    pub store: Mutex<Store>,
    /// Settings.
    pub settings: Settings,
    /// Optional rate limiter.
    pub limiter: Option<crate::ratelimit::Limiter>,
    /// Woken after every write, for long polls.
    pub changes: tokio::sync::Notify,
    /// How long a channel poll waits for a change.
    pub poll_timeout: std::time::Duration,
}

impl App {
    /// Runs one request (with the file parts of its multipart body) to completion
    /// (blocking).
    pub fn run(&self, req: &Req, files: &[FilePart]) -> Resp {
        let mut store = match self.store.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut ctx = Ctx {
            spec: &self.spec,
            store: &mut store,
            settings: &self.settings,
            files,
            origin: &req.origin,
            dispatch: dispatch::dispatch,
        };
        let resp = dispatch::dispatch(&mut ctx, req);
        match store.commit() {
            Ok(()) => resp,
            Err(e) => {
                store.rollback();
                Resp::from(e)
            }
        }
    }
}

/// Removes the header `name` from a response and returns its value.
fn take_header(resp: &mut Resp, name: &str) -> Option<String> {
    let at = resp.headers.iter().position(|(n, _)| *n == name)?;
    Some(resp.headers.remove(at).1)
}

fn header_str(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// Converts a [`Resp`] into an HTTP response.
pub fn to_response(r: Resp) -> Response {
    let mut resp = match &r.body {
        Some(v) => {
            let body = serde_json::to_vec(v).unwrap_or_else(|_| b"{}".to_vec());
            let mut resp = Response::new(Body::from(body));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            resp
        }
        None => Response::new(Body::empty()),
    };
    *resp.status_mut() = r.status;
    for (k, v) in r.headers {
        if let Ok(v) = HeaderValue::from_str(&v) {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}

/// Reads a `multipart/form-data` body the way Django does: parts with a file name
/// are files (an empty file name means no file was chosen: the part is dropped),
/// the others are text fields, gathered into a JSON object of strings (the last of
/// repeated names wins). A malformed body is answered as the platform's parser does.
async fn parse_multipart(
    content_type: &str,
    bytes: axum::body::Bytes,
) -> Result<(Value, Vec<FilePart>), Response> {
    let parse_error = |e: &dyn std::fmt::Display| {
        to_response(Resp::detail(
            StatusCode::BAD_REQUEST,
            format!("Multipart form parse error - {e}"),
        ))
    };
    let boundary = multer::parse_boundary(content_type).map_err(|e| parse_error(&e))?;
    let stream =
        futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(bytes) });
    let mut form = multer::Multipart::new(stream, boundary);
    let mut fields = Map::new();
    let mut files = Vec::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(parse_error(&e)),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map_or_else(
            || "application/octet-stream".to_owned(),
            ToString::to_string,
        );
        let data = field.bytes().await.map_err(|e| parse_error(&e))?;
        match file_name {
            Some(f) if f.is_empty() => {}
            Some(file_name) => {
                files.retain(|p: &FilePart| p.name != name);
                files.push(FilePart {
                    name,
                    file_name,
                    content_type,
                    bytes: data,
                });
            }
            None => {
                let text = String::from_utf8_lossy(&data).into_owned();
                fields.insert(name, Value::String(text));
            }
        }
    }
    Ok((Value::Object(fields), files))
}

fn parse_form(bytes: &[u8]) -> Value {
    let mut m = Map::new();
    for (k, v) in form_urlencoded::parse(bytes) {
        m.insert(k.into_owned(), Value::String(v.into_owned()));
    }
    Value::Object(m)
}

/// `GET /media/...`: the bytes of a file stored in a data object (outside the schema's
/// routes, as the platform's storage is), with the content type it was uploaded with;
/// 404 `Not found.` for any other path. No key is asked for: the URL's random name is
/// what keeps a file private, as on the platform's storage.
///
/// The files are served from the API's own origin, so a browser must not run them as
/// pages of that origin: every answer says `X-Content-Type-Options: nosniff` and
/// `Content-Security-Policy: sandbox` (no script, a unique origin), and a type a
/// browser would render as a document (HTML, XHTML, SVG, XML) comes as an attachment.
pub async fn media(State(app): State<Arc<App>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let found = tokio::task::spawn_blocking(move || {
        let store = match app.store.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        crate::object_files::find(&store, &path)
    })
    .await
    .ok()
    .flatten();
    let Some(file) = found else {
        return to_response(Resp::not_found());
    };
    let mut resp = Response::new(Body::from(file.bytes));
    let content_type = HeaderValue::from_str(&file.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    let document = is_document_type(&file.content_type);
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    if document {
        headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment"),
        );
    }
    resp
}

/// Whether a browser would render `content_type` as a document (with scripts).
fn is_document_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence.contains("html")
        || essence.contains("xml")
        || essence == "image/svg"
        || essence.is_empty()
}

/// The one handler behind every path.
pub async fn handle(State(app): State<Arc<App>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let limit = app.settings.body_limit;
    let too_large = || {
        to_response(Resp::detail(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Request body is too large (the limit is {limit} bytes)."),
        ))
    };
    if let Some(len) = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.parse::<u64>().ok())
    {
        if len > limit as u64 {
            return too_large();
        }
    }
    let bytes = match to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => return too_large(),
    };
    // from here on the request is being answered: the connection's idle timeout waits
    // (a channel poll may hold the answer for a while)
    let _answering = parts
        .extensions
        .get::<crate::listen::Answering>()
        .map(crate::listen::Answering::begin);
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let api_key = header_str(&parts.headers, "x-api-key")
        .or_else(|| {
            header_str(&parts.headers, "authorization")
                .and_then(|a| a.split_whitespace().nth(1).map(str::to_owned))
        })
        .or_else(|| {
            query
                .iter()
                .find(|(k, _)| k == "api_key" || k == "apikey")
                .map(|(_, v)| v.clone())
        });
    let user_key = header_str(&parts.headers, "x-user-key").or_else(|| {
        query
            .iter()
            .find(|(k, _)| k == "user_key" || k == "userkey")
            .map(|(_, v)| v.clone())
    });
    if let Some(l) = &app.limiter {
        if let Some(retry) = l.check(api_key.as_deref()) {
            let mut r = Resp::detail(
                StatusCode::TOO_MANY_REQUESTS,
                format!("Request was throttled. Expected available in {retry} seconds."),
            );
            r.headers.push(("retry-after", retry.to_string()));
            return to_response(r);
        }
    }
    let ct = header_str(&parts.headers, "content-type").unwrap_or_default();
    let mut files = Vec::new();
    let body = if bytes.iter().all(u8::is_ascii_whitespace) {
        None
    } else if ct.starts_with("multipart/form-data") {
        match parse_multipart(&ct, bytes).await {
            Ok((fields, parts)) => {
                files = parts;
                Some(fields)
            }
            Err(resp) => return resp,
        }
    } else {
        if ct.starts_with("multipart/") {
            let media = ct.split(';').next().unwrap_or_default().trim().to_owned();
            return to_response(Resp::detail(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("Unsupported media type \"{media}\" in request."),
            ));
        }
        if ct.starts_with("application/x-www-form-urlencoded") {
            Some(parse_form(&bytes))
        } else {
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(v) => Some(v),
                Err(e) => {
                    return to_response(Resp::json(
                        StatusCode::BAD_REQUEST,
                        json!({ "detail": format!("JSON parse error - {e}") }),
                    ));
                }
            }
        }
    };
    // keys may also travel in the body (`_api_key`, `_user_key`), to avoid preflights
    let body_key = |name: &str| {
        body.as_ref()
            .and_then(|b| b.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let api_key = api_key.or_else(|| body_key("_api_key"));
    let user_key = user_key.or_else(|| body_key("_user_key"));
    let template = header_str(&parts.headers, "x-template-response").or_else(|| {
        query
            .iter()
            .find(|(k, _)| k == "template_response")
            .map(|(_, v)| v.clone())
    });
    let req = Req {
        method: parts.method.clone(),
        path: parts.uri.path().to_owned(),
        query,
        api_key,
        user_key,
        body,
        in_batch: false,
        template,
        origin: header_str(&parts.headers, "host")
            .filter(|_| app.settings.absolute_file_urls)
            .map(|h| format!("http://{h}"))
            .unwrap_or_default(),
        version: None,
    };
    let head = req.method == axum::http::Method::HEAD;
    let is_poll = req.method == axum::http::Method::GET
        && req.path.contains("/channels/")
        && req.path.ends_with("/poll/");
    let is_write = !matches!(
        req.method,
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    let deadline = tokio::time::Instant::now() + app.poll_timeout;
    let mut req = Arc::new(req);
    let files: Arc<[FilePart]> = files.into();
    let resp = loop {
        // register interest before looking, so no change slips between the two
        let notified = app.changes.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let (app2, req2, files2) = (app.clone(), req.clone(), files.clone());
        let resp = match tokio::task::spawn_blocking(move || app2.run(&req2, &files2)).await {
            Ok(r) => r,
            Err(_) => Resp::internal("Internal server error."),
        };
        if is_write {
            app.changes.notify_waiters();
        }
        let mut resp = resp;
        let after = take_header(&mut resp, crate::api::POLL_AFTER);
        if !(is_poll && resp.status == StatusCode::NO_CONTENT) {
            break resp;
        }
        if let Some(last) = after {
            // from now on, the changes after the one that was last when the poll came
            let mut next = (*req).clone();
            next.query.retain(|(k, _)| k != "last_id");
            next.query.push(("last_id".into(), last));
            req = Arc::new(next);
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            break resp;
        }
    };
    tracing::debug!(
        method = %req.method,
        path = %req.path,
        status = resp.status.as_u16(),
        "request"
    );
    let mut out = to_response(resp);
    if head {
        *out.body_mut() = Body::empty();
    }
    out.into_response()
}
