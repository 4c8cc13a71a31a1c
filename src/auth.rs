//! Credentials and logins: [`ApiKey`], [`UserKey`], [`AuthMode`], and
//! [`Client::login`] / [`Client::user_login`].
//!
//! The API takes an account key or an instance API key in one of three forms
//! ([`AuthMode`]); a user of an instance is identified by a user key sent as
//! `X-USER-KEY` beside an instance API key. Key types print `REDACTED` in `Debug`
//! and have no `Display`, so they do not end up in logs by accident.
//!
//! ```no_run
//! # async fn demo() -> syncano::Result<()> {
//! use syncano::{AuthMode, Client};
//!
//! // An account (admin) logs in with email and password: the client then sends the
//! // account key.
//! let admin = Client::builder().build()?.login("admin@example.com", "secret").await?;
//!
//! // An app with an instance API key logs a user in: the client then also sends the
//! // user key.
//! let app = Client::builder()
//!     .api_key("0123456789abcdef0123456789abcdef01234567")
//!     .auth_mode(AuthMode::Authorization)
//!     .build()?;
//! let user = app.user_login("my-instance", "john", "p4ssw0rd").await?;
//! # let _ = (admin, user);
//! # Ok(())
//! # }
//! ```
//!
//! # Session expiry
//!
//! A client made by [`Client::login`] or [`Client::user_login`] (and so by
//! [`Client::from_env`] with `SYNCANO_EMAIL` / `SYNCANO_PASSWORD`) keeps the credentials
//! it logged in with (the password as a secret that `Debug` never prints). When the API
//! no longer accepts the key it answered — `403 {"detail": "No such API Key."}` after the
//! account key was reset, or `401` ([`Error::is_session_expired`]) — the client logs in
//! again once, replaces the key for itself and every clone sharing it (the managers hold
//! clones), and sends the failed request once more. A second failure, or a failing
//! re-login, is returned as it is. Concurrent requests that fail together trigger one
//! re-login. This is on by default for logged-in clients; clients given a key
//! ([`ClientBuilder::api_key`](crate::ClientBuilder::api_key),
//! [`Client::with_api_key`]) never log in. [`Client::without_relogin`] forgets the
//! credentials, and [`Client::relogin`] logs in again on demand.
//!
//! ```no_run
//! # async fn demo() -> syncano::Result<()> {
//! let admin = syncano::Client::builder().build()?.login("admin@example.com", "secret").await?;
//! assert!(admin.can_relogin());
//! // Keeps working after someone resets the account key elsewhere.
//! let account = admin.account().get().await?;
//! // A client that fails instead, and forgets the password.
//! let strict = admin.without_relogin();
//! # let _ = (account, strict);
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use futures::FutureExt;
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::path::segment;
use crate::{Client, Method};

/// Defines a key type wrapping a [`SecretString`] (zeroized when dropped): `new`,
/// `expose`, `From<&str>` and `From<String>`, equality of the keys, and a `Debug` that
/// prints `Name(REDACTED)`.
macro_rules! key_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(SecretString);

        impl $name {
            /// Wraps a key.
            pub fn new(key: impl Into<String>) -> Self {
                $name(SecretString::from(key.into()))
            }

            /// The key itself, for the few places that must send it.
            pub fn expose(&self) -> &str {
                self.0.expose_secret()
            }

            /// A copy of the key, for the client's key slot.
            pub(crate) fn into_string(self) -> String {
                self.0.expose_secret().to_owned()
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.expose() == other.expose()
            }
        }

        impl Eq for $name {}

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(REDACTED)"))
            }
        }

        impl From<&str> for $name {
            fn from(key: &str) -> Self {
                $name(SecretString::from(key))
            }
        }

        impl From<String> for $name {
            fn from(key: String) -> Self {
                $name::new(key)
            }
        }
    };
}

key_type!(
    /// An account key or an instance API key. `Debug` prints `ApiKey(REDACTED)`.
    ApiKey
);

key_type!(
    /// A user key of an instance's user, sent as `X-USER-KEY`. `Debug` prints
    /// `UserKey(REDACTED)`.
    UserKey
);

/// How the [`ApiKey`] travels with each request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AuthMode {
    /// The `X-API-KEY: <key>` header (the default, the API's preferred form).
    #[default]
    Header,
    /// The `Authorization: token <key>` header.
    Authorization,
    /// The `api_key=<key>` query parameter. Opt in only when headers cannot be used:
    /// URLs end up in proxy and server logs. (This crate's own logs redact it.)
    Query,
}

/// The body of both logins: a secret `password` never printed by `Debug`.
#[derive(Serialize)]
struct Credentials<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    password: &'a str,
}

/// What an account login answers (the admin, with its key).
#[derive(Deserialize)]
struct AccountAuth {
    account_key: String,
}

/// What a user login answers (the user, with its key).
#[derive(Deserialize)]
struct UserAuth {
    user_key: String,
}

/// Sends an account login and returns the answered `account_key`. `client` must
/// carry no key.
async fn account_key(client: &Client, email: &str, password: &str) -> Result<String> {
    let body = Credentials {
        email: Some(email),
        username: None,
        password,
    };
    let path = format!("/{}/account/auth/", crate::API_VERSION);
    let auth: AccountAuth = client.request(Method::POST, &path, Some(&body)).await?;
    Ok(auth.account_key)
}

/// Sends a user login and returns the answered `user_key`. `client` must carry the
/// instance API key and no user key.
async fn user_key(
    client: &Client,
    instance: &str,
    username: &str,
    password: &str,
) -> Result<String> {
    let body = Credentials {
        email: None,
        username: Some(username),
        password,
    };
    let path = format!(
        "/{}/instances/{}/user/auth/",
        crate::API_VERSION,
        segment(&instance)
    );
    let auth: UserAuth = client.request(Method::POST, &path, Some(&body)).await?;
    Ok(auth.user_key)
}

/// A password kept for logging in again: a [`SecretString`], which `Debug` prints as
/// `SecretBox<str>([REDACTED])` and which is zeroized when dropped.
type Password = SecretString;

/// How a [`Session`] logs in again.
#[derive(Debug)]
enum Login {
    /// `POST /v1.1/account/auth/`; renews the API key.
    Account { email: String, password: Password },
    /// `POST I/user/auth/`; renews the user key.
    User {
        instance: String,
        username: String,
        password: Password,
    },
}

/// A key obtained by logging in, shared by every client derived from the one that
/// logged in, and renewed by logging in again.
pub(crate) struct Session {
    login: Login,
    /// The key and its generation (bumped by every renewal).
    current: RwLock<(String, u64)>,
    /// Held while logging in again, so concurrent failures log in once.
    renewing: tokio::sync::Mutex<()>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("login", &self.login)
            .field("generation", &self.current().1)
            .finish_non_exhaustive()
    }
}

impl Session {
    fn new(login: Login, key: String) -> Self {
        Session {
            login,
            current: RwLock::new((key, 0)),
            renewing: tokio::sync::Mutex::new(()),
        }
    }

    /// The key and its generation.
    pub(crate) fn current(&self) -> (String, u64) {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Logs in again through `client` (whose own keys are dropped as the login needs)
    /// unless the key of generation `used` was already replaced meanwhile. Boxed: the
    /// login request may itself renew another session.
    pub(crate) fn renew<'a>(&'a self, client: &'a Client, used: u64) -> BoxFuture<'a, Result<()>> {
        async move {
            let _renewing = self.renewing.lock().await;
            if self.current().1 != used {
                return Ok(());
            }
            let key = match &self.login {
                Login::Account { email, password } => {
                    account_key(&client.without_keys(), email, password.expose_secret()).await?
                }
                Login::User {
                    instance,
                    username,
                    password,
                } => {
                    user_key(
                        &client.without_user_key(),
                        instance,
                        username,
                        password.expose_secret(),
                    )
                    .await?
                }
            };
            *self.current.write().unwrap_or_else(PoisonError::into_inner) = (key, used + 1);
            tracing::debug!(target: "syncano", generation = used + 1, "logged in again");
            Ok(())
        }
        .boxed()
    }
}

/// A key a client sends: given, or obtained by a login that can be repeated.
#[derive(Clone)]
pub(crate) enum KeySlot {
    /// A key given by the caller.
    Fixed(String),
    /// A key from a login.
    Session(Arc<Session>),
}

impl KeySlot {
    /// The key to send and its session generation (0 for a fixed key).
    pub(crate) fn current(&self) -> (String, u64) {
        match self {
            KeySlot::Fixed(key) => (key.clone(), 0),
            KeySlot::Session(session) => session.current(),
        }
    }

    /// The session, when the key came from a login.
    pub(crate) fn session(&self) -> Option<&Arc<Session>> {
        match self {
            KeySlot::Fixed(_) => None,
            KeySlot::Session(session) => Some(session),
        }
    }

    /// The same key, no longer renewed.
    pub(crate) fn fixed(&self) -> KeySlot {
        KeySlot::Fixed(self.current().0)
    }
}

impl Client {
    /// Logs an account (admin) in with `POST /v1.1/account/auth/ {email, password}` and
    /// returns a client that sends the account key it answered (`account_key`) in this
    /// client's [`AuthMode`]. The request itself is sent without any key.
    ///
    /// The returned client logs in again by itself when the key stops being accepted
    /// (see [Session expiry](crate::auth#session-expiry)).
    ///
    /// Wrong credentials give a 401 [`Error::Api`]
    /// ([`Error::is_unauthorized`]).
    pub async fn login(&self, email: &str, password: &str) -> Result<Client> {
        let key = account_key(&self.without_keys(), email, password).await?;
        let login = Login::Account {
            email: email.to_string(),
            password: Password::from(password),
        };
        let slot = KeySlot::Session(Arc::new(Session::new(login, key)));
        Ok(self.derive(|inner| inner.api_key = Some(slot)))
    }

    /// Logs a user of `instance` in with
    /// `POST /v1.1/instances/{instance}/user/auth/ {username, password}` (this client's
    /// instance API key is sent) and returns a client that also sends the answered
    /// `user_key` as `X-USER-KEY`.
    ///
    /// The returned client logs in again by itself when the user key stops being
    /// accepted (see [Session expiry](crate::auth#session-expiry)).
    pub async fn user_login(
        &self,
        instance: &str,
        username: &str,
        password: &str,
    ) -> Result<Client> {
        let key = user_key(&self.without_user_key(), instance, username, password).await?;
        let login = Login::User {
            instance: instance.to_string(),
            username: username.to_string(),
            password: Password::from(password),
        };
        let slot = KeySlot::Session(Arc::new(Session::new(login, key)));
        Ok(self.derive(|inner| inner.user_key = Some(slot)))
    }

    /// Whether this client logs in again when its key expires (it was made by a login
    /// and [`without_relogin`](Client::without_relogin) was not called).
    pub fn can_relogin(&self) -> bool {
        self.sessions().next().is_some()
    }

    /// A client sending the same keys that never logs in again, and does not keep the
    /// password.
    pub fn without_relogin(&self) -> Client {
        self.derive(|inner| {
            inner.api_key = inner.api_key.as_ref().map(KeySlot::fixed);
            inner.user_key = inner.user_key.as_ref().map(KeySlot::fixed);
        })
    }

    /// Logs in again now with the stored credentials (account first, then user) and
    /// replaces the keys for every clone sharing them. Fails with [`Error::Config`] when
    /// the client did not log in (or forgot the credentials), and with the login's error
    /// when a login fails.
    pub async fn relogin(&self) -> Result<()> {
        let sessions: Vec<Arc<Session>> = self.sessions().cloned().collect();
        if sessions.is_empty() {
            return Err(Error::Config(
                "the client has no login credentials to log in again with".into(),
            ));
        }
        for session in sessions {
            let used = session.current().1;
            session.renew(self, used).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let key = ApiKey::new("0123456789abcdef");
        let user = UserKey::from("fedcba9876543210".to_string());
        assert_eq!(format!("{key:?}"), "ApiKey(REDACTED)");
        assert_eq!(
            format!("{user:?} {:?}", Some(&key)),
            "UserKey(REDACTED) Some(ApiKey(REDACTED))"
        );
        assert_eq!(key.expose(), "0123456789abcdef");
        assert_eq!(user, UserKey::new("fedcba9876543210"));
        assert_ne!(key, ApiKey::new("another"));
    }

    #[test]
    fn stored_passwords_are_redacted() {
        let login = Login::User {
            instance: "my-instance".into(),
            username: "john".into(),
            password: Password::from("p4ssw0rd"),
        };
        let printed = format!("{login:?}");
        assert!(printed.contains("REDACTED"), "{printed}");
        assert!(!printed.contains("p4ssw0rd"), "{printed}");
        let Login::User { password, .. } = login else {
            unreachable!("built as a user login")
        };
        assert_eq!(password.expose_secret(), "p4ssw0rd");
    }
}
