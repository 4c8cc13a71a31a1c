//! Downloading the schema document a server serves at `/v1.1/schema/`
//! (`syncano-schema fetch`), validating it like the build does and writing it in
//! the [normal form](crate::normalize).
//!
//! Also holds the small blocking HTTP client shared with [`crate::discover`].

use std::fmt;
use std::time::Duration;

use reqwest::blocking::{Client, Response};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::Value;

/// The path of the schema document on a Syncano v1.1 server.
pub const SCHEMA_PATH: &str = "/v1.1/schema/";

/// An error fetching or validating a schema document.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The API root is not an `http://` or `https://` URL.
    #[error("invalid API root {0:?}: expected an http:// or https:// URL")]
    ApiRoot(String),
    /// The API key cannot be sent as a header.
    #[error("the API key contains characters that cannot be sent in a header")]
    ApiKey,
    /// The request failed (connection, timeout, TLS ...).
    #[error("{method} {url}: {error}")]
    Transport {
        /// The method.
        method: String,
        /// The URL requested.
        url: String,
        /// What went wrong.
        error: String,
    },
    /// The server answered with an unexpected status.
    #[error("{method} {url}: HTTP {status}: {body}")]
    Status {
        /// The method.
        method: String,
        /// The URL requested.
        url: String,
        /// The status code.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// The response is not JSON.
    #[error("{url}: the response is not JSON: {error}")]
    Json {
        /// The URL requested.
        url: String,
        /// The parser's error.
        error: String,
    },
    /// The document does not pass the generator's validation.
    #[error("{0}")]
    Invalid(String),
}

/// A response: status, `Allow` methods (lowercase, without `head` and `options`)
/// and the body as JSON (`Null` when empty).
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub status: u16,
    pub allow: Option<Vec<String>>,
    pub body: Value,
}

impl Answer {
    pub(crate) fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A blocking JSON client for one API root and key. The key never appears in
/// `Debug` output.
pub(crate) struct Http {
    client: Client,
    root: String,
    has_key: bool,
}

impl fmt::Debug for Http {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Http")
            .field("root", &self.root)
            .field(
                "api_key",
                &if self.has_key { "<redacted>" } else { "<none>" },
            )
            .finish()
    }
}

/// Strips a trailing `/` and a trailing `/v1.1` from an API root.
pub(crate) fn clean_root(api_root: &str) -> Result<String, FetchError> {
    let t = api_root.trim();
    if !(t.starts_with("http://") || t.starts_with("https://")) {
        return Err(FetchError::ApiRoot(api_root.to_owned()));
    }
    let mut r = t.trim_end_matches('/').to_owned();
    if let Some(s) = r.strip_suffix("/v1.1") {
        r = s.to_owned();
    }
    Ok(r)
}

fn preview(text: &str) -> String {
    let t: String = text.chars().take(300).collect();
    t.replace('\n', " ")
}

impl Http {
    pub(crate) fn new(api_root: &str, api_key: Option<&str>) -> Result<Http, FetchError> {
        let root = clean_root(api_root)?;
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(k) = api_key {
            let mut v = HeaderValue::from_str(k).map_err(|_| FetchError::ApiKey)?;
            v.set_sensitive(true);
            headers.insert("X-API-KEY", v);
        }
        let client = Client::builder()
            .default_headers(headers)
            .timeout(Duration::from_secs(20))
            .user_agent(concat!("syncano-schema/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Transport {
                method: "-".into(),
                url: root.clone(),
                error: e.to_string(),
            })?;
        Ok(Http {
            client,
            root,
            has_key: api_key.is_some(),
        })
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.root, path)
    }

    /// Sends one request; any status is an [`Answer`], transport failures and
    /// non-JSON bodies are errors.
    pub(crate) fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, FetchError> {
        let url = self.url(path);
        let mut req = self.client.request(method.clone(), &url);
        if let Some(b) = body {
            req = req
                .header(CONTENT_TYPE, "application/json")
                .body(b.to_string());
        }
        let resp = req.send().map_err(|e| FetchError::Transport {
            method: method.to_string(),
            url: url.clone(),
            error: e.to_string(),
        })?;
        read_answer(resp, &method, &url)
    }

    /// A request as a user of an instance: that instance's API key and the
    /// user's key instead of the account key.
    pub(crate) fn as_user(
        &self,
        method: reqwest::Method,
        path: &str,
        api_key: &str,
        user_key: &str,
    ) -> Result<Answer, FetchError> {
        let url = self.url(path);
        let mut k = HeaderValue::from_str(api_key).map_err(|_| FetchError::ApiKey)?;
        k.set_sensitive(true);
        let mut u = HeaderValue::from_str(user_key).map_err(|_| FetchError::ApiKey)?;
        u.set_sensitive(true);
        let resp = self
            .client
            .request(method.clone(), &url)
            .header("X-API-KEY", k)
            .header("X-USER-KEY", u)
            .send()
            .map_err(|e| FetchError::Transport {
                method: method.to_string(),
                url: url.clone(),
                error: e.to_string(),
            })?;
        read_answer(resp, &method, &url)
    }

    /// Like [`Http::send`] with a shorter time limit; `Ok(None)` when the
    /// server did not answer in time (a long poll).
    pub(crate) fn send_within(
        &self,
        method: reqwest::Method,
        path: &str,
        timeout: Duration,
    ) -> Result<Option<Answer>, FetchError> {
        let url = self.url(path);
        let sent = self
            .client
            .request(method.clone(), &url)
            .timeout(timeout)
            .send();
        match sent {
            Ok(resp) => match read_answer(resp, &method, &url) {
                Ok(a) => Ok(Some(a)),
                Err(FetchError::Transport { error, .. })
                    if error == "timed out reading the body" =>
                {
                    Ok(None)
                }
                Err(e) => Err(e),
            },
            Err(e) if e.is_timeout() => Ok(None),
            Err(e) => Err(FetchError::Transport {
                method: method.to_string(),
                url,
                error: e.to_string(),
            }),
        }
    }
}

fn read_answer(resp: Response, method: &reqwest::Method, url: &str) -> Result<Answer, FetchError> {
    let status = resp.status().as_u16();
    let allow = resp
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .map(|s| {
            let mut m: Vec<String> = s
                .split(',')
                .map(|x| x.trim().to_ascii_lowercase())
                .filter(|x| !x.is_empty() && x != "head" && x != "options")
                .collect();
            m.sort();
            m.dedup();
            m
        });
    let text = resp.text().map_err(|e| FetchError::Transport {
        method: method.to_string(),
        url: url.to_owned(),
        error: if e.is_timeout() {
            "timed out reading the body".to_owned()
        } else {
            e.to_string()
        },
    })?;
    let body = if text.trim().is_empty() {
        Value::Null
    } else {
        match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) if (200..300).contains(&status) => {
                return Err(FetchError::Json {
                    url: url.to_owned(),
                    error: e.to_string(),
                });
            }
            // error pages need not be JSON
            Err(_) => Value::String(preview(&text)),
        }
    };
    Ok(Answer {
        status,
        allow,
        body,
    })
}

/// Downloads `/v1.1/schema/` from `api_root` (sending `api_key` as
/// `X-API-KEY` when given), validates it with the generator's validation and
/// returns it in the normal form.
///
/// # Errors
/// Transport failures, a non-2xx status, a body that is not JSON, or a document
/// that does not validate (the message is the one the build prints).
pub fn fetch(api_root: &str, api_key: Option<&str>) -> Result<String, FetchError> {
    let http = Http::new(api_root, api_key)?;
    let ans = http.send(reqwest::Method::GET, SCHEMA_PATH, None)?;
    if !ans.ok() {
        return Err(FetchError::Status {
            method: "GET".into(),
            url: http.url(SCHEMA_PATH),
            status: ans.status,
            body: preview(&ans.body.to_string()),
        });
    }
    let text = crate::normalize::normalize(&ans.body);
    crate::check_str(&text, &http.url(SCHEMA_PATH))
        .map_err(|e| FetchError::Invalid(e.to_string()))?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_roots_are_cleaned() {
        assert_eq!(
            clean_root("http://127.0.0.1:8080/").ok().as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            clean_root("https://api.example/v1.1/").ok().as_deref(),
            Some("https://api.example")
        );
        assert!(matches!(clean_root("ftp://x"), Err(FetchError::ApiRoot(_))));
    }

    #[test]
    fn debug_never_shows_the_key() {
        let secret = "0123456789abcdef0123456789abcdef01234567";
        let http = Http::new("http://127.0.0.1:1", Some(secret));
        let shown = format!("{http:?}");
        assert!(!shown.contains(secret), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}
