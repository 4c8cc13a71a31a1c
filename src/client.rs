//! [`Client`], its [`ClientBuilder`], and [`Client::from_env`].
//!
//! A `Client` is a connection to one API root with one set of credentials. It is cheap
//! to clone (an `Arc` inside) and every manager holds one; the `with_*` methods derive a
//! client with other credentials that shares the same HTTP layer.
//!
//! ```no_run
//! # async fn demo() -> syncano::Result<()> {
//! use std::time::Duration;
//! use syncano::{Client, Method, RetryPolicy};
//!
//! let client = Client::builder()
//!     .api_key("0123456789abcdef0123456789abcdef01234567")
//!     .instance("my-instance")
//!     .timeout(Duration::from_secs(30))
//!     .operation_timeout(Duration::from_secs(90))
//!     .retry(RetryPolicy::standard().with_max_attempts(4))
//!     .build()?;
//! let account = client.get_raw("/v1.1/account/").await?;
//! println!("{}", account["email"]);
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, USER_AGENT,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::Method;
use crate::auth::{ApiKey, AuthMode, KeySlot, Session, UserKey};
use crate::error::{ApiError, Error, Result, redact_query};
use crate::retry::{Retrier, RetryPolicy};
use crate::transport::{
    HttpRequest, HttpResponse, LoggingTransport, RequestBody, ReqwestTransport, Transport,
};
use crate::upload::{Multipart, Upload};

/// The API root used unless configured otherwise.
pub const DEFAULT_API_ROOT: &str = "https://api.syncano.io";
/// The API version this crate speaks; every path starts with `/v1.1/`.
pub const API_VERSION: &str = "v1.1";
/// How long establishing a connection may take, by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a whole request may take, by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The `User-Agent` sent unless configured otherwise.
pub const DEFAULT_USER_AGENT: &str = concat!("syncano-rs/", env!("CARGO_PKG_VERSION"));

const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");
const X_USER_KEY: HeaderName = HeaderName::from_static("x-user-key");

/// A connection to the Syncano API. Clone it freely: clones share everything.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Clone)]
pub(crate) struct Inner {
    /// Scheme, host and optional path prefix, without a trailing slash.
    api_root: String,
    transport: Arc<dyn Transport>,
    pub(crate) api_key: Option<KeySlot>,
    pub(crate) user_key: Option<KeySlot>,
    auth_mode: AuthMode,
    instance: Option<String>,
    user_agent: HeaderValue,
    timeout: Option<Duration>,
    /// The retry policy, budget and operation timeout, shared by every derived client.
    retrier: Arc<Retrier>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("api_root", &self.inner.api_root)
            .field("api_key", &self.api_key())
            .field("user_key", &self.user_key())
            .field("auth_mode", &self.inner.auth_mode)
            .field("instance", &self.inner.instance)
            .field("timeout", &self.inner.timeout)
            .field("operation_timeout", &self.inner.retrier.operation_timeout())
            .field("retry", self.inner.retrier.policy())
            .field("relogin", &self.can_relogin())
            .finish_non_exhaustive()
    }
}

/// Configures a [`Client`]. Start with [`Client::builder`].
///
/// Defaults: API root [`DEFAULT_API_ROOT`], no key, [`AuthMode::Header`], connect
/// timeout [`DEFAULT_CONNECT_TIMEOUT`], request timeout [`DEFAULT_TIMEOUT`] per attempt,
/// no operation timeout, retries in [`RetryPolicy::standard`] mode (see
/// [`retry`](crate::retry)), the proxies named by the usual environment variables (`HTTPS_PROXY`, `ALL_PROXY`,
/// `NO_PROXY`, ...), redirects followed only within the API root's origin (so keys are
/// never sent to another host; a redirect elsewhere is returned as an
/// [`Error::Api`] with its 3xx status).
#[must_use]
pub struct ClientBuilder {
    api_root: String,
    api_key: Option<ApiKey>,
    user_key: Option<UserKey>,
    auth_mode: AuthMode,
    instance: Option<String>,
    user_agent: String,
    timeout: Option<Duration>,
    connect_timeout: Duration,
    http_client: Option<reqwest::Client>,
    transport: Option<Arc<dyn Transport>>,
    proxies: Vec<String>,
    no_proxy: bool,
    retry: RetryPolicy,
    operation_timeout: Option<Duration>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_root", &self.api_root)
            .field("api_key", &self.api_key)
            .field("user_key", &self.user_key)
            .field("auth_mode", &self.auth_mode)
            .field("instance", &self.instance)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("proxies", &self.proxies.len())
            .field("retry", &self.retry)
            .field("operation_timeout", &self.operation_timeout)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            api_root: DEFAULT_API_ROOT.to_string(),
            api_key: None,
            user_key: None,
            auth_mode: AuthMode::default(),
            instance: None,
            user_agent: DEFAULT_USER_AGENT.to_string(),
            timeout: Some(DEFAULT_TIMEOUT),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            http_client: None,
            transport: None,
            proxies: Vec::new(),
            no_proxy: false,
            retry: RetryPolicy::standard(),
            operation_timeout: None,
        }
    }
}

impl ClientBuilder {
    /// The API root: scheme, host, port and an optional path prefix, such as
    /// `https://api.syncano.io` or `http://127.0.0.1:8080`.
    pub fn api_root(mut self, root: impl Into<String>) -> Self {
        self.api_root = root.into();
        self
    }

    /// The account key or instance API key.
    pub fn api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// A user key, sent as `X-USER-KEY` beside the instance API key.
    pub fn user_key(mut self, key: impl Into<UserKey>) -> Self {
        self.user_key = Some(key.into());
        self
    }

    /// How the API key is sent (default [`AuthMode::Header`]).
    pub fn auth_mode(mut self, mode: AuthMode) -> Self {
        self.auth_mode = mode;
        self
    }

    /// The default instance name, for code that works in one instance
    /// ([`Client::instance_name`]).
    pub fn instance(mut self, name: impl Into<String>) -> Self {
        self.instance = Some(name.into());
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = agent.into();
        self
    }

    /// How long one attempt of a request may take (default [`DEFAULT_TIMEOUT`]). Long
    /// polls on channels need more than their poll time. See also
    /// [`ClientBuilder::operation_timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Lets requests take as long as they take.
    pub fn no_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// How long connecting may take (default [`DEFAULT_CONNECT_TIMEOUT`]). Ignored when
    /// a caller-supplied `reqwest::Client` or transport is used.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Uses a caller-configured `reqwest::Client` (its own proxy and timeout settings
    /// apply; the request timeout of this builder is still set on each request).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Uses another [`Transport`] beneath the logging and retry layers (middleware or a
    /// test double). Takes precedence over [`ClientBuilder::http_client`].
    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Sends every request through the proxy at `url` (`http://`, `https://` or
    /// `socks5://`); may be called more than once.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxies.push(url.into());
        self
    }

    /// Ignores the proxy environment variables.
    pub fn no_proxy(mut self) -> Self {
        self.no_proxy = true;
        self
    }

    /// When to retry failed calls (default [`RetryPolicy::standard`]; see
    /// [`retry`](crate::retry) for what is retried); [`RetryPolicy::none`] never retries.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How long one call may take in all: every attempt and every wait between
    /// attempts (default: unlimited; each attempt is still bounded by
    /// [`ClientBuilder::timeout`]). When it passes the call fails with an
    /// [`Error::GaveUp`] telling how many attempts were made in how long.
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = Some(timeout);
        self
    }

    /// Builds the client. Fails with [`Error::Config`] on a malformed API root, user
    /// agent, key or proxy URL, or if the HTTP client cannot be initialised.
    pub fn build(self) -> Result<Client> {
        let api_root = normalize_root(&self.api_root)?;
        let user_agent = HeaderValue::from_str(&self.user_agent)
            .map_err(|_| Error::Config("the user agent is not a valid header value".into()))?;
        if let Some(key) = &self.api_key {
            header_value(key.expose(), "API key")?;
        }
        if let Some(key) = &self.user_key {
            header_value(key.expose(), "user key")?;
        }
        let base: Arc<dyn Transport> = match (self.transport, self.http_client) {
            (Some(transport), _) => transport,
            (None, Some(client)) => Arc::new(ReqwestTransport::new(client)),
            (None, None) => {
                let mut builder = reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout)
                    .redirect(same_origin_redirects());
                if self.no_proxy {
                    builder = builder.no_proxy();
                }
                for url in &self.proxies {
                    let proxy = reqwest::Proxy::all(url.as_str()).map_err(|e| {
                        Error::Config(format!("invalid proxy URL: {}", e.without_url()))
                    })?;
                    builder = builder.proxy(proxy);
                }
                let client = builder
                    .build()
                    .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
                Arc::new(ReqwestTransport::new(client))
            }
        };
        let transport: Arc<dyn Transport> = Arc::new(LoggingTransport::new(base));
        Ok(Client {
            inner: Arc::new(Inner {
                api_root,
                transport,
                api_key: self.api_key.map(|k| KeySlot::Fixed(k.into_string())),
                user_key: self.user_key.map(|k| KeySlot::Fixed(k.into_string())),
                auth_mode: self.auth_mode,
                instance: self.instance,
                user_agent,
                timeout: self.timeout,
                retrier: Arc::new(Retrier::new(self.retry, self.operation_timeout)),
            }),
        })
    }
}

/// The retry policy named by `SYNCANO_RETRY_MODE` and `SYNCANO_MAX_ATTEMPTS`.
fn retry_policy_from(mode: Option<&str>, max_attempts: Option<&str>) -> Result<RetryPolicy> {
    let attempts = match max_attempts {
        None => None,
        Some(text) => match text.parse::<u32>() {
            Ok(n) if n >= 1 => Some(n),
            _ => {
                return Err(Error::Config(format!(
                    "SYNCANO_MAX_ATTEMPTS must be a whole number from 1, not {text:?}"
                )));
            }
        },
    };
    match mode.map(str::to_ascii_lowercase).as_deref() {
        None | Some("standard") => Ok(attempts.map_or_else(RetryPolicy::standard, |n| {
            RetryPolicy::standard().with_max_attempts(n)
        })),
        Some("off") => match attempts {
            Some(n) if n > 1 => Err(Error::Config(format!(
                "SYNCANO_RETRY_MODE=off contradicts SYNCANO_MAX_ATTEMPTS={n}"
            ))),
            _ => Ok(RetryPolicy::none()),
        },
        Some(other) => Err(Error::Config(format!(
            "SYNCANO_RETRY_MODE must be `off` or `standard`, not {other:?}"
        ))),
    }
}

/// Follows up to 10 redirects within the origin of the first request, and none
/// elsewhere: keys travel in custom headers that `reqwest` would forward to any host.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if same_origin && attempt.previous().len() <= 10 {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

/// Checks an API root and returns it without a trailing slash.
fn normalize_root(root: &str) -> Result<String> {
    let url = Url::parse(root.trim())
        .map_err(|e| Error::Config(format!("invalid API root {root:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::Config(format!(
            "the API root {root:?} is not an http(s) URL"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "the API root {root:?} must not have a query or fragment"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// A header value for a secret, marked sensitive so `Debug` hides it.
fn header_value(value: &str, what: &str) -> Result<HeaderValue> {
    let mut header = HeaderValue::from_str(value)
        .map_err(|_| Error::Config(format!("the {what} is not a valid header value")))?;
    header.set_sensitive(true);
    Ok(header)
}

impl Client {
    /// A builder with the defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client for the default API root with `api_key` sent as `X-API-KEY`.
    pub fn new(api_key: impl Into<ApiKey>) -> Result<Client> {
        Client::builder().api_key(api_key).build()
    }

    /// Builds a client from the environment; see [`Client::from_lookup`].
    pub async fn from_env() -> Result<Client> {
        Client::from_lookup(|name| std::env::var(name).ok()).await
    }

    /// Builds a client from variables read through `lookup` (empty values count as
    /// unset):
    ///
    /// * `SYNCANO_API_ROOT` — the API root (default [`DEFAULT_API_ROOT`]);
    /// * `SYNCANO_API_KEY` — an account key or instance API key;
    /// * `SYNCANO_EMAIL` and `SYNCANO_PASSWORD` — used to [`login`](Client::login) when no
    ///   API key is set (one without the other is an [`Error::Config`]);
    /// * `SYNCANO_INSTANCE` — the default instance name;
    /// * `SYNCANO_USER_KEY` — a user key sent as `X-USER-KEY`;
    /// * `SYNCANO_RETRY_MODE` — `standard` (the default) or `off`
    ///   ([`RetryPolicy::none`]);
    /// * `SYNCANO_MAX_ATTEMPTS` — how many attempts a call gets in all in standard mode
    ///   (a whole number from 1; default 3).
    ///
    /// A malformed value is an [`Error::Config`].
    ///
    /// The Python library's `SYNCANO_APIROOT` and `SYNCANO_APIKEY` are read when the
    /// names above are unset. Without any key the client is anonymous (only public
    /// endpoints answer).
    ///
    /// ```no_run
    /// # async fn demo() -> syncano::Result<()> {
    /// let vars = [("SYNCANO_API_KEY", "0123456789abcdef0123456789abcdef01234567"), ("SYNCANO_INSTANCE", "lib")];
    /// let client = syncano::Client::from_lookup(|name| {
    ///     vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
    /// })
    /// .await?;
    /// assert_eq!(client.instance_name(), Some("lib"));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn from_lookup<F>(lookup: F) -> Result<Client>
    where
        F: Fn(&str) -> Option<String>,
    {
        let get_one = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        // The Python library's spellings are accepted as fallbacks.
        let get = |name: &str| {
            get_one(name).or_else(|| match name {
                "SYNCANO_API_ROOT" => get_one("SYNCANO_APIROOT"),
                "SYNCANO_API_KEY" => get_one("SYNCANO_APIKEY"),
                _ => None,
            })
        };
        let mut builder = Client::builder();
        if let Some(root) = get("SYNCANO_API_ROOT") {
            builder = builder.api_root(root);
        }
        let api_key = get("SYNCANO_API_KEY");
        if let Some(key) = &api_key {
            builder = builder.api_key(key.as_str());
        }
        if let Some(instance) = get("SYNCANO_INSTANCE") {
            builder = builder.instance(instance);
        }
        if let Some(key) = get("SYNCANO_USER_KEY") {
            builder = builder.user_key(key);
        }
        builder = builder.retry(retry_policy_from(
            get("SYNCANO_RETRY_MODE").as_deref(),
            get("SYNCANO_MAX_ATTEMPTS").as_deref(),
        )?);
        let login = match (get("SYNCANO_EMAIL"), get("SYNCANO_PASSWORD")) {
            (Some(email), Some(password)) => Some((email, password)),
            (None, None) => None,
            _ => {
                return Err(Error::Config(
                    "SYNCANO_EMAIL and SYNCANO_PASSWORD must be set together".into(),
                ));
            }
        };
        let client = builder.build()?;
        match login {
            Some((email, password)) if api_key.is_none() => client.login(&email, &password).await,
            _ => Ok(client),
        }
    }

    /// The API root, without a trailing slash.
    pub fn api_root(&self) -> &str {
        &self.inner.api_root
    }

    /// The default instance name, if one was configured.
    pub fn instance_name(&self) -> Option<&str> {
        self.inner.instance.as_deref()
    }

    /// The API key sent now, if any (after a [re-login](crate::auth#session-expiry),
    /// the new one).
    pub fn api_key(&self) -> Option<ApiKey> {
        self.inner
            .api_key
            .as_ref()
            .map(|k| ApiKey::new(k.current().0))
    }

    /// The user key sent now, if any.
    pub fn user_key(&self) -> Option<UserKey> {
        self.inner
            .user_key
            .as_ref()
            .map(|k| UserKey::new(k.current().0))
    }

    /// The login sessions behind this client's keys (account first).
    pub(crate) fn sessions(&self) -> impl Iterator<Item = &Arc<Session>> {
        [&self.inner.api_key, &self.inner.user_key]
            .into_iter()
            .filter_map(|slot| slot.as_ref().and_then(KeySlot::session))
    }

    /// The retry policy of this client.
    pub fn retry_policy(&self) -> &RetryPolicy {
        self.inner.retrier.policy()
    }

    /// The tokens left in this client's retry budget (shared with its clones and
    /// derived clients), if the policy has a budget.
    pub fn retry_budget_tokens(&self) -> Option<u32> {
        self.inner.retrier.budget().map(|b| b.available())
    }

    /// How the API key is sent.
    pub fn auth_mode(&self) -> AuthMode {
        self.inner.auth_mode
    }

    pub(crate) fn derive(&self, change: impl FnOnce(&mut Inner)) -> Client {
        let mut inner = (*self.inner).clone();
        change(&mut inner);
        Client {
            inner: Arc::new(inner),
        }
    }

    /// A client sending `key` instead of this client's API key (same HTTP layer; an
    /// account login's credentials are dropped).
    pub fn with_api_key(&self, key: impl Into<ApiKey>) -> Client {
        let key = KeySlot::Fixed(key.into().into_string());
        self.derive(|inner| inner.api_key = Some(key))
    }

    /// A client also sending `key` as `X-USER-KEY` (a user login's credentials are
    /// dropped).
    pub fn with_user_key(&self, key: impl Into<UserKey>) -> Client {
        let key = KeySlot::Fixed(key.into().into_string());
        self.derive(|inner| inner.user_key = Some(key))
    }

    /// A client without a user key.
    pub fn without_user_key(&self) -> Client {
        self.derive(|inner| inner.user_key = None)
    }

    /// A client without any key (anonymous).
    pub fn without_keys(&self) -> Client {
        self.derive(|inner| {
            inner.api_key = None;
            inner.user_key = None;
        })
    }

    /// A client sending its API key in another form.
    pub fn with_auth_mode(&self, mode: AuthMode) -> Client {
        self.derive(|inner| inner.auth_mode = mode)
    }

    /// A client with another default instance name.
    pub fn with_instance(&self, name: impl Into<String>) -> Client {
        let name = name.into();
        self.derive(|inner| inner.instance = Some(name))
    }

    /// A client with another request timeout (`None`: unlimited), e.g. for long polls.
    pub fn with_timeout(&self, timeout: Option<Duration>) -> Client {
        self.derive(|inner| inner.timeout = timeout)
    }

    /// Sends `body` (if any) as JSON to `path` (relative to the API root, such as
    /// `/v1.1/instances/`, optionally with a query string) and decodes the JSON answer as
    /// `T`. An empty answer (204) decodes as JSON `null`, so `T = ()` works.
    ///
    /// Non-success answers give [`Error::Api`]; an answer that does not decode gives
    /// [`Error::Decode`] with the method, path and start of the body.
    pub async fn request<B, T>(&self, method: Method, path: &str, body: Option<&B>) -> Result<T>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        self.request_with_query(method, path, &[], body).await
    }

    /// [`Client::request`] decoding the answer as raw JSON.
    pub async fn request_raw<B>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<serde_json::Value>
    where
        B: Serialize + ?Sized,
    {
        self.request(method, path, body).await
    }

    /// [`Client::request`] with query parameters added to those already in `path`.
    pub async fn request_with_query<B, T>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&B>,
    ) -> Result<T>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let bytes = match body {
            Some(body) => Some(Bytes::from(serde_json::to_vec(body).map_err(|source| {
                Error::Encode {
                    method: method.clone(),
                    path: redact_query(path),
                    source,
                }
            })?)),
            None => None,
        };
        self.exchange(method, path, query, bytes.map(RequestBody::Bytes))
            .await
    }

    /// Sends a `multipart/form-data` body to `path` and decodes the JSON answer as `T`:
    /// every top-level field of `fields` (which must serialize as a JSON object) as a text
    /// part — strings as they are, other values as JSON text, `null`s left out — then
    /// every file of `files` that is `Some` as a file part. The generated managers send
    /// payloads with [`Upload`] fields this way.
    ///
    /// ```no_run
    /// # async fn demo(client: syncano::Client) -> syncano::Result<()> {
    /// use syncano::{Method, Upload};
    ///
    /// let page = Upload::from_bytes("index.html", "<h1>Hello</h1>");
    /// let file: serde_json::Value = client
    ///     .request_multipart(
    ///         Method::POST,
    ///         "/v1.1/instances/library/hosting/1/files/",
    ///         &serde_json::json!({"path": "index.html"}),
    ///         &[("file", Some(&page))],
    ///     )
    ///     .await?;
    /// println!("{} bytes", file["size"]);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// Errors as [`Client::request`]; [`Error::Encode`] when `fields` is not an object.
    pub async fn request_multipart<B, T>(
        &self,
        method: Method,
        path: &str,
        fields: &B,
        files: &[(&str, Option<&Upload>)],
    ) -> Result<T>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let mut form = Multipart::from_fields(fields).map_err(|source| Error::Encode {
            method: method.clone(),
            path: redact_query(path),
            source,
        })?;
        for (name, upload) in files {
            if let Some(upload) = upload {
                form = form.file(*name, (*upload).clone());
            }
        }
        self.exchange(method, path, &[], Some(RequestBody::Multipart(form)))
            .await
    }

    /// Downloads the bytes at `url`: the URL of a stored file
    /// ([`StoredFile::url`](crate::StoredFile::url), e.g. a data object's `file` field).
    ///
    /// A path (`/media/…`, as the emulator and the platform's local storage render
    /// them) or a URL under the [API root](Client::api_root) is fetched like any API
    /// request: with this client's keys, timeout and re-login. A URL on another host
    /// (the platform's cloud storage) is fetched without any key, so credentials never
    /// leave the API's origin.
    ///
    /// ```no_run
    /// # async fn demo(client: syncano::Client, cover: syncano::StoredFile) -> syncano::Result<()> {
    /// if let Some(url) = cover.url() {
    ///     let bytes = client.download(url).await?;
    ///     println!("{} bytes", bytes.len());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::Api`] for a non-success answer (404 for a file that is gone:
    /// [`Error::is_not_found`]), [`Error::InvalidRequest`] for a `url` that is neither a
    /// path nor an absolute URL, and the transport's errors.
    pub async fn download(&self, url: &str) -> Result<Bytes> {
        if self.relative_path(url).is_ok() {
            return Ok(self.send(Method::GET, url, &[], None).await?.body);
        }
        let absolute = Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| {
                Error::InvalidRequest(format!(
                    "cannot download {:?}: neither a path starting with '/' nor an http(s) URL",
                    redact_query(url)
                ))
            })?;
        let shown = crate::transport::display_path(&absolute);
        self.inner
            .retrier
            .run(&Method::GET, &shown, |_| async {
                let mut request = HttpRequest::new(Method::GET, absolute.clone());
                request
                    .headers
                    .insert(USER_AGENT, self.inner.user_agent.clone());
                request.timeout = self.inner.timeout;
                let response = self.inner.transport.send(request).await?;
                check_status(&Method::GET, url, response).map(|r| r.body)
            })
            .await
    }

    /// Sends one call (with its retries) and decodes the success answer as `T`; a `T`
    /// without data (`()`, a unit struct) ignores the body.
    pub(crate) async fn exchange<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<RequestBody>,
    ) -> Result<T> {
        self.attempts(method, path, query, body, decode).await
    }

    /// Sends one call (with its retries) and returns the success answer; non-success
    /// answers become [`Error::Api`].
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<RequestBody>,
    ) -> Result<HttpResponse> {
        self.attempts(method, path, query, body, |_, _, response| {
            Ok(response.clone())
        })
        .await
    }

    /// Runs the attempts of one call: each sends the request and passes the success
    /// answer to `finish` (decoding), under the client's [`Retrier`]. A DELETE answered
    /// 404 after an earlier attempt that may have been applied finishes as an empty
    /// success: that attempt deleted the resource.
    async fn attempts<T>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<RequestBody>,
        finish: impl Fn(&Method, &str, &HttpResponse) -> Result<T>,
    ) -> Result<T> {
        let shown = redact_query(path);
        self.inner
            .retrier
            .run(&method, &shown, |attempt| {
                let body = body.clone();
                let method = method.clone();
                let finish = &finish;
                async move {
                    match self.send_once(method.clone(), path, query, body).await {
                        Ok(response) => finish(&method, path, &response),
                        Err(error)
                            if method == Method::DELETE
                                && attempt.earlier_may_have_been_applied
                                && error.is_not_found() =>
                        {
                            tracing::debug!(
                                target: "syncano",
                                path = %redact_query(path),
                                "DELETE answered 404 after an earlier attempt that may have been applied: done"
                            );
                            finish(&method, path, &HttpResponse::new(204, Bytes::new()))
                                .map_err(|_| error)
                        }
                        Err(error) => Err(error),
                    }
                }
            })
            .await
    }

    /// Sends one attempt and returns the success answer; non-success answers become
    /// [`Error::Api`]. When a logged-in key is no longer accepted, logs in again and
    /// sends the request once more (see [Session expiry](crate::auth#session-expiry)).
    async fn send_once(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<RequestBody>,
    ) -> Result<HttpResponse> {
        let keys = self.current_keys();
        let result = self
            .send_with(&keys, method.clone(), path, query, body.clone())
            .await;
        let Err(error) = &result else {
            return result;
        };
        let Some((session, used)) = self.expired_session(error, &keys) else {
            return result;
        };
        session.renew(self, used).await?;
        self.send_with(&self.current_keys(), method, path, query, body)
            .await
    }

    /// The keys to send now, each with its session generation.
    fn current_keys(&self) -> SentKeys {
        SentKeys {
            api: self.inner.api_key.as_ref().map(KeySlot::current),
            user: self.inner.user_key.as_ref().map(KeySlot::current),
        }
    }

    /// The session to renew after `error`, with the generation of the key that failed:
    /// the account's on `403 No such API Key.`, the user's (else the account's) on 401.
    fn expired_session(&self, error: &Error, keys: &SentKeys) -> Option<(&Arc<Session>, u64)> {
        if !error.is_session_expired() {
            return None;
        }
        let api = (&self.inner.api_key, &keys.api);
        let user = (&self.inner.user_key, &keys.user);
        let candidates: &[_] = if error.is_unauthorized() {
            &[user, api]
        } else {
            &[api]
        };
        candidates.iter().find_map(|(slot, sent)| {
            let session = slot.as_ref()?.session()?;
            Some((session, sent.as_ref()?.1))
        })
    }

    /// Sends one request with the given keys.
    async fn send_with(
        &self,
        keys: &SentKeys,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<RequestBody>,
    ) -> Result<HttpResponse> {
        let api_key = keys.api.as_ref().map(|(key, _)| key.as_str());
        let url = self.url(path, query, api_key)?;
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, self.inner.user_agent.clone());
        // a multipart body's Content-Type (with its boundary) is the transport's to set
        if let Some(RequestBody::Bytes(_)) = &body {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        if let Some(key) = api_key {
            match self.inner.auth_mode {
                AuthMode::Header => {
                    headers.insert(X_API_KEY, header_value(key, "API key")?);
                }
                AuthMode::Authorization => {
                    headers.insert(
                        AUTHORIZATION,
                        header_value(&format!("token {key}"), "API key")?,
                    );
                }
                AuthMode::Query => {}
            }
        }
        if let Some((key, _)) = &keys.user {
            headers.insert(X_USER_KEY, header_value(key, "user key")?);
        }
        let mut request = HttpRequest::new(method.clone(), url);
        request.headers = headers;
        request.body = body;
        request.timeout = self.inner.timeout;
        let response = self.inner.transport.send(request).await?;
        check_status(&method, path, response)
    }

    /// The absolute URL of `path` with `query` appended (and `api_key`, in
    /// [`AuthMode::Query`]). An absolute `path` must be on the API root's origin.
    fn url(&self, path: &str, query: &[(&str, &str)], api_key: Option<&str>) -> Result<Url> {
        let relative = self.relative_path(path)?;
        let mut url = Url::parse(&format!("{}{relative}", self.inner.api_root)).map_err(|e| {
            Error::InvalidRequest(format!(
                "invalid request path {:?}: {e}",
                redact_query(path)
            ))
        })?;
        let query_key = api_key.filter(|_| self.inner.auth_mode == AuthMode::Query);
        if !query.is_empty() || query_key.is_some() {
            let existing: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(name, _)| query_key.is_none() || name != "api_key")
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect();
            url.set_query(None);
            {
                let mut pairs = url.query_pairs_mut();
                for (name, value) in &existing {
                    if !query.iter().any(|(n, _)| n == name) {
                        pairs.append_pair(name, value);
                    }
                }
                for (name, value) in query {
                    pairs.append_pair(name, value);
                }
                if let Some(key) = query_key {
                    pairs.append_pair("api_key", key);
                }
            }
            if url.query() == Some("") {
                url.set_query(None);
            }
        }
        Ok(url)
    }

    /// `path` relative to the API root: paths starting with `/` as they are, absolute
    /// URLs on the API root stripped of it.
    fn relative_path<'a>(&self, path: &'a str) -> Result<&'a str> {
        let relative = if path.starts_with('/') {
            Some(path)
        } else {
            path.strip_prefix(self.inner.api_root.as_str())
                .filter(|rest| rest.starts_with('/') || rest.starts_with('?'))
        };
        match relative {
            Some(relative) if crate::path::has_dot_segment(relative) => {
                Err(Error::InvalidRequest(format!(
                    "request path {:?} has a '.' or '..' segment, which would reach another resource than the one named",
                    redact_query(path)
                )))
            }
            Some(relative) => Ok(relative),
            None => Err(Error::InvalidRequest(format!(
                "request path {:?} is neither a path starting with '/' nor a URL under the API root",
                redact_query(path)
            ))),
        }
    }
}

/// The keys of one request, each with its session generation (0 for a fixed key).
struct SentKeys {
    api: Option<(String, u64)>,
    user: Option<(String, u64)>,
}

/// The answer if its status is a success, else its [`Error::Api`].
fn check_status(method: &Method, path: &str, response: HttpResponse) -> Result<HttpResponse> {
    if response.is_success() {
        return Ok(response);
    }
    let retry_after = response.retry_after();
    Err(ApiError::from_response(
        response.status,
        method.clone(),
        path,
        &response.body,
        retry_after,
    )
    .with_content_type(response.content_type())
    .into())
}

/// Decodes a success answer as `T`; an empty body reads as `null`, and a `T` that holds
/// no data (`()`, a unit struct: zero-sized and decoded from `null`) ignores the body.
pub(crate) fn decode<T: DeserializeOwned>(
    method: &Method,
    path: &str,
    response: &HttpResponse,
) -> Result<T> {
    if std::mem::size_of::<T>() == 0 {
        if let Ok(nothing) = serde_json::from_value::<T>(serde_json::Value::Null) {
            return Ok(nothing);
        }
    }
    let body: &[u8] = if response.body.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        &response.body
    };
    serde_json::from_slice(body).map_err(|source| {
        Error::decode(
            method.clone(),
            path,
            response.status,
            &response.body,
            source,
        )
    })
}
