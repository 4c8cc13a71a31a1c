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

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::path::segment;
use crate::{Client, Method};

/// An account key or an instance API key. `Debug` prints `ApiKey(REDACTED)`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    /// The key itself, for the few places that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(REDACTED)")
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        ApiKey::new(key)
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> Self {
        ApiKey(key)
    }
}

/// A user key of an instance's user, sent as `X-USER-KEY`. `Debug` prints
/// `UserKey(REDACTED)`.
#[derive(Clone, PartialEq, Eq)]
pub struct UserKey(String);

impl UserKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        UserKey(key.into())
    }

    /// The key itself, for the few places that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for UserKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserKey(REDACTED)")
    }
}

impl From<&str> for UserKey {
    fn from(key: &str) -> Self {
        UserKey::new(key)
    }
}

impl From<String> for UserKey {
    fn from(key: String) -> Self {
        UserKey(key)
    }
}

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

impl Client {
    /// Logs an account (admin) in with `POST /v1.1/account/auth/ {email, password}` and
    /// returns a client that sends the account key it answered (`account_key`) in this
    /// client's [`AuthMode`]. The request itself is sent without any key.
    ///
    /// Wrong credentials give a 401 [`Error::Api`](crate::Error::Api)
    /// ([`Error::is_unauthorized`](crate::Error::is_unauthorized)).
    pub async fn login(&self, email: &str, password: &str) -> Result<Client> {
        let body = Credentials {
            email: Some(email),
            username: None,
            password,
        };
        let anonymous = self.without_keys();
        let auth: AccountAuth = anonymous
            .request(
                Method::POST,
                &format!("/{}/account/auth/", crate::API_VERSION),
                Some(&body),
            )
            .await?;
        Ok(self.with_api_key(auth.account_key))
    }

    /// Logs a user of `instance` in with
    /// `POST /v1.1/instances/{instance}/user/auth/ {username, password}` (this client's
    /// instance API key is sent) and returns a client that also sends the answered
    /// `user_key` as `X-USER-KEY`.
    pub async fn user_login(
        &self,
        instance: &str,
        username: &str,
        password: &str,
    ) -> Result<Client> {
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
        let auth: UserAuth = self
            .without_user_key()
            .request(Method::POST, &path, Some(&body))
            .await?;
        Ok(self.with_user_key(auth.user_key))
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
    }
}
