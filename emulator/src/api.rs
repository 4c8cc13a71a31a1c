//! Request/response types shared by every handler, independent of axum so the
//! batch endpoint can dispatch sub-requests through the same code.

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};

/// A request as the handlers see it.
#[derive(Clone)]
pub struct Req {
    /// HTTP method.
    pub method: Method,
    /// The path, without the query string (still percent-encoded).
    pub path: String,
    /// Query parameters in order.
    pub query: Vec<(String, String)>,
    /// The key sent by X-API-KEY, `Authorization: <scheme> <key>` or `api_key`.
    pub api_key: Option<String>,
    /// The user key sent by X-USER-KEY.
    pub user_key: Option<String>,
    /// The parsed JSON body (None when the body is empty).
    pub body: Option<Value>,
    /// This request comes from a batch.
    pub in_batch: bool,
    /// `template_response` / `X-TEMPLATE-RESPONSE`: the response template asked for.
    pub template: Option<String>,
    /// The scheme and authority the client reached the emulator at
    /// (`http://127.0.0.1:8080`, from the `Host` header), which starts the absolute
    /// URLs of stored files; empty when file URLs are paths (the default, or a
    /// request without a `Host` header).
    pub origin: String,
    /// The API version the client addressed when it is not the schema's (`v1`, `v2`:
    /// served as `v1.1`, see [`crate::dispatch`]); batch items must name the same.
    pub version: Option<String>,
}

impl std::fmt::Debug for Req {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Req")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("user_key", &self.user_key.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

impl Req {
    /// The first value of a query parameter.
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body, or an empty object.
    pub fn body_or_empty(&self) -> Value {
        self.body
            .clone()
            .unwrap_or_else(|| Value::Object(Map::new()))
    }
}

/// One file part of a `multipart/form-data` request (the text parts go to
/// [`Req::body`] as strings, as a form's fields do).
#[derive(Clone)]
pub struct FilePart {
    /// The form field's name.
    pub name: String,
    /// The file name the client sent.
    pub file_name: String,
    /// The part's content type (`application/octet-stream` when the part had none).
    pub content_type: String,
    /// The bytes.
    pub bytes: axum::body::Bytes,
}

impl std::fmt::Debug for FilePart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilePart")
            .field("name", &self.name)
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// A response: status, optional JSON body, extra headers.
#[derive(Clone, Debug)]
pub struct Resp {
    /// Status code.
    pub status: StatusCode,
    /// JSON body; None for 204.
    pub body: Option<Value>,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
}

/// The internal header of a poll's 204 that names the channel's last change, so the
/// server's long poll waits for changes after it (a poll without `last_id` waits for
/// the next change, as on the platform); never sent to the client.
pub const POLL_AFTER: &str = "x-emulator-poll-after";

/// Handler result: the error side is a complete response too.
pub type HResult<T> = Result<T, Resp>;

impl Resp {
    /// A JSON response.
    pub fn json(status: StatusCode, body: Value) -> Resp {
        Resp {
            status,
            body: Some(body),
            headers: Vec::new(),
        }
    }

    /// 200 with a body.
    pub fn ok(body: Value) -> Resp {
        Resp::json(StatusCode::OK, body)
    }

    /// 201 with a body.
    pub fn created(body: Value) -> Resp {
        Resp::json(StatusCode::CREATED, body)
    }

    /// 204, empty.
    pub fn no_content() -> Resp {
        Resp {
            status: StatusCode::NO_CONTENT,
            body: None,
            headers: Vec::new(),
        }
    }

    /// `{"detail": msg}` with a status.
    pub fn detail(status: StatusCode, msg: impl Into<String>) -> Resp {
        Resp::json(status, json!({ "detail": msg.into() }))
    }

    /// 404 `Not found.`
    pub fn not_found() -> Resp {
        Resp::detail(StatusCode::NOT_FOUND, "Not found.")
    }

    /// 403 `You do not have permission to perform this action.`
    pub fn forbidden() -> Resp {
        Resp::detail(
            StatusCode::FORBIDDEN,
            "You do not have permission to perform this action.",
        )
    }

    /// 400 with a validation body.
    pub fn bad(body: Value) -> Resp {
        Resp::json(StatusCode::BAD_REQUEST, body)
    }

    /// 400 `{"field": ["msg"]}`.
    pub fn field_error(field: &str, msg: impl Into<String>) -> Resp {
        let mut m = Map::new();
        m.insert(field.to_owned(), json!([msg.into()]));
        Resp::bad(Value::Object(m))
    }

    /// 500 for storage failures.
    pub fn internal(msg: impl Into<String>) -> Resp {
        Resp::detail(StatusCode::INTERNAL_SERVER_ERROR, msg)
    }

    /// The items of a page (its `objects`), to rewrite in place; none for any other
    /// answer.
    pub fn listed_mut(&mut self) -> impl Iterator<Item = &mut Value> {
        self.body
            .as_mut()
            .and_then(|b| b.get_mut("objects"))
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
    }
}

impl From<crate::store::StoreError> for Resp {
    fn from(e: crate::store::StoreError) -> Resp {
        tracing::error!("{e}");
        Resp::internal("Storage error.")
    }
}
