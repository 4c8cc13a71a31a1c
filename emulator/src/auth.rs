//! Who is calling: account keys (admins), instance API keys (with their flags)
//! and user keys. What each may do is decided in [`crate::permissions`].

use axum::http::StatusCode;
use serde_json::Value;

use crate::api::{HResult, Req, Resp};
use crate::store::{Key, Record, Store};

/// Collection holding the accounts (internal, not a schema path).
pub const ACCOUNTS: &str = "@accounts/";

/// The caller of a request.
#[derive(Clone, PartialEq)]
pub enum Caller {
    /// No key.
    Anonymous,
    /// An account key: the admin.
    Admin {
        /// Account id.
        account: i64,
    },
    /// An instance API key, possibly with a user key.
    Key {
        /// The instance the key belongs to.
        instance: String,
        /// The key's id.
        key_id: i64,
        /// `ignore_acl`.
        ignore_acl: bool,
        /// `allow_user_create`.
        allow_user_create: bool,
        /// `allow_group_create`.
        allow_group_create: bool,
        /// `allow_anonymous_read`.
        allow_anonymous_read: bool,
        /// The user of the X-USER-KEY.
        user: Option<i64>,
    },
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Caller::Anonymous => f.write_str("Anonymous"),
            Caller::Admin { account } => write!(f, "Admin({account})"),
            Caller::Key {
                instance,
                key_id,
                user,
                ..
            } => {
                write!(f, "Key({instance}#{key_id}, user {user:?})")
            }
        }
    }
}

impl Caller {
    /// Full access inside the instance (admin or `ignore_acl`).
    pub fn is_privileged(&self) -> bool {
        matches!(
            self,
            Caller::Admin { .. }
                | Caller::Key {
                    ignore_acl: true,
                    ..
                }
        )
    }

    /// The account of an admin caller; 403 for anyone else.
    pub fn account(&self) -> HResult<i64> {
        match self {
            Caller::Admin { account } => Ok(*account),
            _ => Err(Resp::forbidden()),
        }
    }

    /// The user of the user key.
    pub fn user(&self) -> Option<i64> {
        match self {
            Caller::Key { user, .. } => *user,
            _ => None,
        }
    }
}

/// 403 `No such API Key.`
pub fn no_such_key() -> Resp {
    Resp::detail(StatusCode::FORBIDDEN, "No such API Key.")
}

fn flag(r: &Record, k: &str) -> bool {
    r.get(k).and_then(Value::as_bool).unwrap_or(false)
}

/// Finds the account holding `key`.
pub fn account_by_key(store: &Store, key: &str) -> Option<(i64, Record)> {
    store.collection(ACCOUNTS).and_then(|c| {
        c.iter().find_map(|(k, r)| match k {
            Key::Int(id) if r.get("account_key").and_then(Value::as_str) == Some(key) => {
                Some((*id, r.clone()))
            }
            _ => None,
        })
    })
}

/// Resolves the caller; `instance` is the instance named in the path, if any.
pub fn resolve(store: &Store, req: &Req, instance: Option<&str>) -> HResult<Caller> {
    let Some(key) = req.api_key.as_deref() else {
        return Ok(Caller::Anonymous);
    };
    if let Some((account, _)) = account_by_key(store, key) {
        return Ok(Caller::Admin { account });
    }
    let Some(inst) = instance else {
        return Err(no_such_key());
    };
    let coll = format!(
        "/v1.1/instances/{}/api_keys/",
        crate::spec::encode_segment(inst)
    );
    let found = store.collection(&coll).and_then(|c| {
        c.iter().find_map(|(k, r)| match k {
            Key::Int(id) if r.get("api_key").and_then(Value::as_str) == Some(key) => {
                Some((*id, r.clone()))
            }
            _ => None,
        })
    });
    let Some((key_id, rec)) = found else {
        return Err(no_such_key());
    };
    let user = match req.user_key.as_deref() {
        None => None,
        Some(uk) => {
            let coll = format!(
                "/v1.1/instances/{}/users/",
                crate::spec::encode_segment(inst)
            );
            let u = store.collection(&coll).and_then(|c| {
                c.iter().find_map(|(k, r)| match k {
                    Key::Int(id) if r.get("user_key").and_then(Value::as_str) == Some(uk) => {
                        Some(*id)
                    }
                    _ => None,
                })
            });
            // an unknown user key is ignored, as on the platform
            u
        }
    };
    Ok(Caller::Key {
        instance: inst.to_owned(),
        key_id,
        ignore_acl: flag(&rec, "ignore_acl"),
        allow_user_create: flag(&rec, "allow_user_create"),
        allow_group_create: flag(&rec, "allow_group_create"),
        allow_anonymous_read: flag(&rec, "allow_anonymous_read"),
        user,
    })
}

/// A fresh 40-hex-character key.
pub fn new_key() -> String {
    use rand::RngCore;
    let mut b = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}
