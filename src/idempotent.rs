//! Creates that are safe to repeat: when a create fails in a way that leaves its
//! outcome unknown ([`Error::may_have_been_applied`]), these helpers find out whether
//! the server applied it before sending it again, so a flaky connection never leaves
//! two records where the caller meant one.
//!
//! * [`create_named`]: for resources keyed by name (instances, classes, channels …,
//!   whose detail path ends in `{name}`): after an unknown outcome it reads the detail
//!   path, and returns the record found there if it holds the fields that were sent.
//! * [`DataObjectManager::create_idempotent`](crate::DataObjectManager::create_idempotent):
//!   for data objects, which get ids from the server: the caller puts a token of its
//!   choosing in a `filter_index` field of the class, and after an unknown outcome the
//!   object is looked up by that token.
//!
//! Both send the create at most [`MAX_SENDS`] times, and only after a successful
//! lookup showed that no earlier send was applied; a lookup that fails is repeated (up
//! to [`MAX_LOOKUPS`] in all), never guessed. When they give up, the error is the last
//! unknown outcome, still [`may_have_been_applied`](Error::may_have_been_applied).
//!
//! ```no_run
//! # async fn demo(client: syncano::Client) -> syncano::Result<()> {
//! use serde_json::{Value, json};
//! use syncano::idempotent::create_named;
//!
//! let class: Value = create_named(
//!     &client,
//!     "/v1.1/instances/library/classes/",
//!     "/v1.1/instances/library/classes/book/",
//!     &json!({"name": "book", "schema": [{"name": "title", "type": "string"}]}),
//! )
//! .await?;
//! # let _ = class;
//! # Ok(())
//! # }
//! ```
//!
//! A lookup sees what the server holds when it runs: a create still in flight on the
//! server when its answer was lost (a client timeout while the server works on)
//! could land after the lookup. For data objects, making the token field `unique`
//! too closes that gap where the server supports it; the helpers then treat the
//! refusal of a re-send like an unknown outcome and look again.

use std::future::Future;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result, decode_value};
use crate::{Client, Method};

/// The most times a helper of this module sends one create.
pub const MAX_SENDS: u32 = 5;
/// The most lookups a helper of this module makes for one create.
pub const MAX_LOOKUPS: u32 = 8;

/// Creates the record `body` by `POST` on `list_path`, for a resource whose record
/// then lives at `detail_path` (the path ending in its name). When the outcome of a
/// send is unknown, `GET detail_path` decides: a record holding every field of `body`
/// that the record shows is returned as the create's answer; no record (404) sends
/// the create again; a record with other values is someone else's, and the create is
/// sent again so that the server's own refusal ("already exists") is the answer.
///
/// # Errors
/// As [`Client::request`]; after [`MAX_SENDS`] unknown outcomes, or [`MAX_LOOKUPS`]
/// failed lookups, the last unknown outcome.
pub async fn create_named<B, T>(
    client: &Client,
    list_path: &str,
    detail_path: &str,
    body: &B,
) -> Result<T>
where
    B: Serialize + ?Sized,
    T: DeserializeOwned,
{
    let sent = serde_json::to_value(body).map_err(|source| Error::Encode {
        method: Method::POST,
        path: list_path.to_owned(),
        source,
    })?;
    let send = || client.request::<Value, T>(Method::POST, list_path, Some(&sent));
    let look = || async {
        match client.get_raw(detail_path).await {
            Ok(record) if holds(&record, &sent) => {
                decode_value(&record, &Method::GET, detail_path, 200).map(Some)
            }
            Ok(_) => Ok(None),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    };
    send_once(send, look).await
}

/// Whether `record` holds what was `sent`: equal scalars, arrays of the same length
/// whose items hold the sent ones, and objects holding each sent field the record
/// shows (fields the server never returns, such as passwords, are not compared).
pub(crate) fn holds(record: &Value, sent: &Value) -> bool {
    match (record, sent) {
        (Value::Object(record), Value::Object(sent)) => sent
            .iter()
            .all(|(name, value)| record.get(name).is_none_or(|kept| holds(kept, value))),
        (Value::Array(record), Value::Array(sent)) => {
            record.len() == sent.len() && record.iter().zip(sent).all(|(r, s)| holds(r, s))
        }
        (Value::Number(record), Value::Number(sent)) => {
            record == sent || record.as_f64().is_some_and(|r| Some(r) == sent.as_f64())
        }
        (record, sent) => record == sent,
    }
}

/// Sends a write with `send` until it is acknowledged, or until `look` finds that an
/// earlier send whose outcome was unknown was applied: the building block of
/// [`create_named`] and
/// [`create_idempotent`](crate::DataObjectManager::create_idempotent), for any write
/// whose effect can be recognised by a read.
///
/// After a send fails with [`Error::may_have_been_applied`], `look` runs: `Some(answer)`
/// (the write is there) is returned, `None` (it is not) sends again, and an error runs
/// `look` again (at most [`MAX_LOOKUPS`] in all). A re-send refused by the API (an
/// [`Error::Api`]) gets one more `look` before the refusal is returned. Any other
/// failure is returned as it is.
///
/// ```no_run
/// # async fn demo(client: syncano::Client) -> syncano::Result<()> {
/// use syncano::object::ObjectPatch;
/// use syncano::idempotent::send_once;
///
/// // Set a title, guarded by revision 3: once applied, the revision is past 3.
/// let books = client.instance("library").objects("book");
/// let changes = ObjectPatch::new().set("title", "Dune").expected_revision(3);
/// let updated = send_once(
///     || books.update_fields(12, &changes),
///     || async {
///         let book = books.get(12).await?;
///         Ok::<_, syncano::Error>(Some(book).filter(|b| b.revision > Some(3)))
///     },
/// )
/// .await?;
/// # let _ = updated;
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// A failure of `send` that is not an unknown outcome; after [`MAX_SENDS`] unknown
/// outcomes, or [`MAX_LOOKUPS`] failed lookups, the last unknown outcome.
pub async fn send_once<T, S, SF, L, LF>(mut send: S, mut look: L) -> Result<T>
where
    S: FnMut() -> SF,
    SF: Future<Output = Result<T>>,
    L: FnMut() -> LF,
    LF: Future<Output = Result<Option<T>>>,
{
    let mut sends = 0;
    let mut lookups = 0;
    loop {
        sends += 1;
        let unknown = match send().await {
            Ok(created) => return Ok(created),
            Err(error) if error.may_have_been_applied() => error,
            // A re-send refused (e.g. the name or a unique token is taken): the earlier
            // send whose outcome was unknown may be what took it, so look once more.
            Err(error) if sends > 1 && error.api().is_some() => {
                return match look().await {
                    Ok(Some(found)) => Ok(found),
                    _ => Err(error),
                };
            }
            Err(error) => return Err(error),
        };
        loop {
            lookups += 1;
            match look().await {
                Ok(Some(found)) => return Ok(found),
                Ok(None) => break,
                Err(_) if lookups < MAX_LOOKUPS => {}
                Err(_) => return Err(unknown),
            }
        }
        if sends >= MAX_SENDS {
            return Err(unknown);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_hold_what_was_sent_beside_what_the_server_added() {
        let record = json!({"name": "book", "schema": [{"name": "t", "type": "string", "order_index": false}],
                            "revision": 1, "description": ""});
        assert!(holds(
            &record,
            &json!({"name": "book", "schema": [{"name": "t", "type": "string"}]})
        ));
        assert!(holds(
            &record,
            &json!({"name": "book", "password": "never returned"})
        ));
        assert!(!holds(
            &record,
            &json!({"name": "book", "description": "other"})
        ));
        assert!(!holds(&record, &json!({"schema": []})));
        assert!(holds(&json!({"n": 1.0}), &json!({"n": 1})));
    }
}
