//! Get-or-create for records keyed by a unique name (instances, classes, channels,
//! script and data endpoints, templates …): the generated `get_or_create` methods.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Client, Error, Method, Result};

/// How many times a create is tried when the record it collided with is gone again
/// before it could be read.
const ATTEMPTS: usize = 3;

/// Creates the record (`POST list_path`) or, when the API refuses it because `key` is
/// taken, reads the existing one (`GET detail_path`). When that record was deleted in
/// between, the create is tried again.
pub(crate) async fn get_or_create<B, T>(
    client: &Client,
    list_path: &str,
    detail_path: &str,
    key: &str,
    body: &B,
) -> Result<T>
where
    B: Serialize + ?Sized,
    T: DeserializeOwned,
{
    let mut attempt = 1;
    loop {
        match client.request(Method::POST, list_path, Some(body)).await {
            Err(error) if is_taken(&error, key) => match client.get(detail_path).await {
                Err(gone) if gone.is_not_found() && attempt < ATTEMPTS => attempt += 1,
                found => return found,
            },
            created => return created,
        }
    }
}

/// Whether `error` is the API's answer to a create whose `key` is already taken:
/// `400 {"<key>": ["This field must be unique."]}` (the platform's unique validator;
/// Django's "… already exists." is accepted too). Any other `400` is not.
pub(crate) fn is_taken(error: &Error, key: &str) -> bool {
    error.status() == Some(crate::StatusCode::BAD_REQUEST)
        && error
            .api()
            .and_then(|api| api.field(key))
            .is_some_and(|messages| {
                messages
                    .iter()
                    .any(|m| m.contains("must be unique") || m.contains("already exists"))
            })
}
