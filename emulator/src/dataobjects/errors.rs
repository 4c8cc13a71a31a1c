//! Validation error bodies shared by the submodules.

use std::collections::BTreeMap;

/// Per-field validation errors, serialized as the API's 400 body
/// `{"field": ["message", ...], "non_field_errors": [...]}`.
///
/// A plain `BTreeMap`, so it serializes with `serde_json::to_value` directly and its
/// keys come out sorted.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// The key the API uses for errors that concern the object as a whole.
pub const NON_FIELD_ERRORS: &str = "non_field_errors";

/// Adds `message` under `field` in `errors`.
pub fn push_error(errors: &mut FieldErrors, field: &str, message: impl Into<String>) {
    errors
        .entry(field.to_owned())
        .or_default()
        .push(message.into());
}

/// Builds a [`FieldErrors`] holding a single message.
pub fn single_error(field: &str, message: impl Into<String>) -> FieldErrors {
    let mut errors = FieldErrors::new();
    push_error(&mut errors, field, message);
    errors
}
