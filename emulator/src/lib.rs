//! `syncano-emulator`: a local Syncano API v1.1 server driven by the schema
//! snapshot the SDK is generated from.
//!
//! Routes come from the schema model of `syncano-codegen`; the semantics
//! (auth, tenancy, classes and data objects, paging, batch, channels ...)
//! follow the API reference. State lives in memory, or in SQLite inside a data
//! directory (every acknowledged write is on disk before the answer leaves).
//!
//! ```no_run
//! # async fn demo() -> Result<(), syncano_emulator::Error> {
//! use syncano_emulator::{Emulator, EmulatorConfig};
//! let running = Emulator::start(EmulatorConfig::default()).await?;
//! println!("{} {}", running.base_url(), running.account_key());
//! running.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Tests of the API's logic need no socket: [`Emulator::in_process`] answers
//! requests through the same router in the test's own process.

pub mod dataobjects;
pub mod faults;

mod accounts;
mod admins;
mod api;
mod api_keys;
mod auth;
mod backups;
mod batch;
mod behaviour;
mod channels;
mod classes;
mod context;
mod dispatch;
mod engine;
mod host_check;
mod hosting;
mod instances;
mod listen;
mod object_files;
mod objects;
mod options;
mod paging;
pub mod permissions;
mod persist;
mod push;
mod query_bridge;
mod ratelimit;
mod record_actions;
mod registry;
mod render;
mod scripts;
mod server;
mod spec;
mod store;
mod time;
mod uploads;
mod users;
mod validate;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use scripts::{EXECUTION_DISABLED, RENDERING_DISABLED};

/// The schema snapshot compiled into the emulator (used unless
/// [`EmulatorConfig::schema_path`] names another document).
pub const EMBEDDED_SCHEMA: &str = include_str!("../schema/syncano-v1.1.json");

/// Default e-mail of the pre-registered admin account.
pub const DEFAULT_EMAIL: &str = "admin@example.com";

/// Errors starting the emulator.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The schema document could not be read or parsed.
    #[error("schema: {0}")]
    Schema(String),
    /// The data directory could not be opened.
    #[error("storage: {0}")]
    Storage(String),
    /// The address could not be bound.
    #[error("bind {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

/// How to start the emulator.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// Address to bind (default 127.0.0.1).
    pub bind: IpAddr,
    /// Port (0 = a free port, the default).
    pub port: u16,
    /// Directory for the SQLite store; `None` keeps everything in memory.
    pub data_dir: Option<PathBuf>,
    /// Another schema document instead of the embedded snapshot.
    pub schema_path: Option<PathBuf>,
    /// E-mail of the pre-registered admin.
    pub account_email: String,
    /// Password of the pre-registered admin; `None` (the default) draws a random one
    /// at every start ([`RunningEmulator::account_password`] tells it). With a data
    /// directory, the stored admin's password is set to this one at every start.
    pub account_password: Option<String>,
    /// A fixed account key for the pre-registered admin (40 hex characters
    /// recommended); `None` generates one (kept across restarts with a data dir).
    pub account_key: Option<String>,
    /// Maximum request body size in bytes (default 1 MiB).
    pub body_limit: usize,
    /// Rate limit (requests per second per key, anonymous); off when `None`.
    pub rate_limit: Option<(u32, u32)>,
    /// How long a channel `poll` waits for a change before answering 204
    /// (default 30 s).
    pub poll_timeout: std::time::Duration,
    /// Whether data objects show their files' URLs absolute
    /// (`http://<host>/media/...`, `<host>` from the request's `Host` header), as the
    /// platform's storage does (the default), or as paths (`/media/...`; the binary's
    /// `--relative-file-urls`).
    pub absolute_file_urls: bool,
    /// Host names, besides loopback ones (`localhost`, 127.0.0.0/8, `[::1]`), that
    /// requests may be addressed to (the `Host` header, compared without port and
    /// case); requests addressed to any other name are refused with 403. Binding to a
    /// non-loopback address needs the names the server is reached under here.
    pub allowed_hosts: Vec<String>,
    /// How long a client may take to send a request head before its connection is
    /// closed (default 30 s; server on a socket only).
    pub header_read_timeout: std::time::Duration,
    /// How long a connection may move no byte while none of its requests is being
    /// answered before it is closed (default 60 s; server on a socket only).
    pub idle_timeout: std::time::Duration,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            data_dir: None,
            schema_path: None,
            account_email: DEFAULT_EMAIL.into(),
            account_password: None,
            account_key: None,
            body_limit: 1024 * 1024,
            rate_limit: None,
            poll_timeout: std::time::Duration::from_secs(30),
            absolute_file_urls: true,
            allowed_hosts: Vec::new(),
            header_read_timeout: std::time::Duration::from_secs(30),
            idle_timeout: std::time::Duration::from_secs(60),
        }
    }
}

impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("bind", &self.bind)
            .field("port", &self.port)
            .field("data_dir", &self.data_dir)
            .field("schema_path", &self.schema_path)
            .field("account_email", &self.account_email)
            .field(
                "account_password",
                &self.account_password.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "account_key",
                &self.account_key.as_ref().map(|_| "<redacted>"),
            )
            .field("body_limit", &self.body_limit)
            .field("rate_limit", &self.rate_limit)
            .field("poll_timeout", &self.poll_timeout)
            .field("absolute_file_urls", &self.absolute_file_urls)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .finish()
    }
}

/// The emulator.
pub struct Emulator;

/// A running emulator; dropping it stops the server too.
pub struct RunningEmulator {
    addr: SocketAddr,
    account_key: String,
    account_email: String,
    account_password: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for RunningEmulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningEmulator")
            .field("addr", &self.addr)
            .field("account_email", &self.account_email)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Loads the schema, opens the store, binds and serves in the background
    /// on the current tokio runtime.
    pub async fn start(config: EmulatorConfig) -> Result<RunningEmulator, Error> {
        let (app, admin) = Emulator::prepare(&config)?;
        let addr = SocketAddr::new(config.bind, config.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| Error::Bind { addr, source })?;
        let router = router(app, &config);
        let timeouts = listen::Timeouts {
            header_read: config.header_read_timeout,
            idle: config.idle_timeout,
        };
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(listen::serve(listener, router, timeouts, async move {
            let _ = rx.await;
        }));
        Ok(RunningEmulator {
            addr,
            account_key: admin.key,
            account_email: config.account_email.clone(),
            account_password: admin.password,
            stop: Some(tx),
            task: Some(task),
        })
    }

    /// An emulator without a socket, for tests of the API's logic: each
    /// [`InProcess::send`] goes through the same stack as a request on the wire (the
    /// HTTP layer's body limit, key extraction, multipart parsing, dispatch, the
    /// storage commit), inside this process; `bind` and `port` do not apply.
    pub fn in_process(config: EmulatorConfig) -> Result<InProcess, Error> {
        let (app, admin) = Emulator::prepare(&config)?;
        Ok(InProcess {
            router: router(app, &config),
            account_key: admin.key,
            account_password: admin.password,
        })
    }

    /// Loads the schema, opens the store and makes sure the pre-registered admin
    /// exists: the application state and the admin's credentials.
    fn prepare(config: &EmulatorConfig) -> Result<(Arc<server::App>, Admin), Error> {
        let (text, source) = match &config.schema_path {
            Some(p) => (
                std::fs::read_to_string(p)
                    .map_err(|e| Error::Schema(format!("{}: {e}", p.display())))?,
                p.display().to_string(),
            ),
            None => (EMBEDDED_SCHEMA.to_owned(), "syncano-v1.1.json".to_owned()),
        };
        let schema = syncano_codegen::schema::parse(&text, &source)
            .map_err(|e| Error::Schema(e.to_string()))?;
        let document: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| Error::Schema(e.to_string()))?;
        let spec = spec::Spec::new(schema, document);
        let mut store = match &config.data_dir {
            Some(dir) => {
                let p = persist::Persist::open(dir).map_err(|e| Error::Storage(e.to_string()))?;
                store::Store::with_persist(p).map_err(|e| Error::Storage(e.to_string()))?
            }
            None => store::Store::memory(),
        };
        let password = config
            .account_password
            .clone()
            .unwrap_or_else(random_password);
        let key = ensure_admin(&mut store, config, &password)
            .map_err(|e| Error::Storage(e.to_string()))?;
        let app = Arc::new(server::App {
            spec,
            store: Mutex::new(store),
            settings: context::Settings {
                body_limit: config.body_limit,
                absolute_file_urls: config.absolute_file_urls,
                ..context::Settings::default()
            },
            limiter: config
                .rate_limit
                .map(|(k, a)| ratelimit::Limiter::new(k, a)),
            changes: tokio::sync::Notify::new(),
            poll_timeout: config.poll_timeout,
        });
        Ok((app, Admin { key, password }))
    }
}

/// The pre-registered admin's account key and password.
struct Admin {
    key: String,
    password: String,
}

/// A password of 24 random letters and digits (about 143 bits).
fn random_password() -> String {
    use rand::Rng;
    rand::thread_rng()
        .sample_iter(rand::distributions::Alphanumeric)
        .take(24)
        .map(char::from)
        .collect()
}

/// The router of every request: stored files under `/media/`, the API behind, and in
/// front of both the `Host` check.
fn router(app: Arc<server::App>, config: &EmulatorConfig) -> axum::Router {
    let allowed = Arc::new(host_check::AllowedHosts::new(&config.allowed_hosts));
    axum::Router::new()
        .route("/media/{*path}", axum::routing::get(server::media))
        .fallback(server::handle)
        .with_state(app)
        .layer(axum::middleware::from_fn_with_state(
            allowed,
            host_check::check,
        ))
}

/// An emulator answering in this process, without a socket (see
/// [`Emulator::in_process`]).
pub struct InProcess {
    router: axum::Router,
    account_key: String,
    account_password: String,
}

impl fmt::Debug for InProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InProcess").finish_non_exhaustive()
    }
}

impl InProcess {
    /// Answers one request as the server would answer it on the wire. A stored
    /// file's URL starts with `http://` and the request's `Host` header, when it has
    /// one; without, it is a path.
    pub async fn send(
        &self,
        request: axum::http::Request<axum::body::Body>,
    ) -> axum::response::Response {
        use tower::ServiceExt;
        match self.router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }

    /// The account key of the pre-registered admin.
    pub fn account_key(&self) -> &str {
        &self.account_key
    }

    /// The password of the pre-registered admin.
    pub fn account_password(&self) -> &str {
        &self.account_password
    }
}

/// Makes sure the pre-registered admin exists; returns its key.
fn ensure_admin(
    store: &mut store::Store,
    config: &EmulatorConfig,
    password: &str,
) -> Result<String, store::StoreError> {
    let existing = store.collection(auth::ACCOUNTS).and_then(|c| {
        c.iter()
            .find(|(_, r)| {
                r.get("email").and_then(serde_json::Value::as_str)
                    == Some(config.account_email.as_str())
            })
            .map(|(k, r)| (k.clone(), r.clone()))
    });
    let key = match existing {
        Some((k, mut rec)) => {
            let mut changed = false;
            if let Some(want) = &config.account_key {
                if rec.get("account_key").and_then(serde_json::Value::as_str) != Some(want) {
                    rec.insert("account_key".into(), serde_json::json!(want));
                    changed = true;
                }
            }
            if rec.get("password").and_then(serde_json::Value::as_str) != Some(password) {
                rec.insert("password".into(), serde_json::json!(password));
                changed = true;
            }
            let key = rec
                .get("account_key")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if changed {
                store.put(auth::ACCOUNTS, k, rec)?;
            }
            key
        }
        None => {
            let (_, rec) = accounts::create_account(
                store,
                &config.account_email,
                password,
                "Emulator",
                "Admin",
                config.account_key.clone(),
            )?;
            rec.get("account_key")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned()
        }
    };
    store.commit()?;
    Ok(key)
}

impl RunningEmulator {
    /// The base URL, e.g. `http://127.0.0.1:40123` (API paths start with `/v1.1/`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The account key of the pre-registered admin.
    pub fn account_key(&self) -> &str {
        &self.account_key
    }

    /// The e-mail of the pre-registered admin.
    pub fn account_email(&self) -> &str {
        &self.account_email
    }

    /// The password of the pre-registered admin.
    pub fn account_password(&self) -> &str {
        &self.account_password
    }

    /// Stops the server and waits for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}
