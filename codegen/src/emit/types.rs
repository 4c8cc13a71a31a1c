//! Field types → Rust types.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::names::camel_part;
use crate::schema::{Field, FieldType};

/// The name of the generated type a field needs (choice enum, links struct, nested
/// struct): `{Owner}{FieldCamel}`; `None` for plain types.
pub fn aux_name(owner: &str, f: &Field) -> Option<String> {
    match &f.ty {
        FieldType::Choice if !f.choices.is_empty() => {
            Some(format!("{owner}{}", camel_part(&f.name)))
        }
        FieldType::Links => Some(format!("{owner}{}", camel_part(&f.name))),
        FieldType::Object(subs) if !subs.is_empty() => {
            Some(format!("{owner}{}", camel_part(&f.name)))
        }
        _ => None,
    }
}

/// The Rust type of a field owned by the struct `owner` (without `Option`).
pub fn rust_type(owner: &str, f: &Field) -> TokenStream {
    if let Some(name) = aux_name(owner, f) {
        let ident = format_ident!("{}", name);
        return quote!(#ident);
    }
    match &f.ty {
        FieldType::String
        | FieldType::Text
        | FieldType::Email
        | FieldType::Slug
        | FieldType::Url
        | FieldType::Choice => quote!(String),
        FieldType::Integer => quote!(i64),
        FieldType::Float => quote!(f64),
        FieldType::Decimal => quote!(crate::Decimal),
        FieldType::Boolean => quote!(bool),
        FieldType::Datetime => quote!(::chrono::DateTime<::chrono::Utc>),
        FieldType::Date => quote!(::chrono::NaiveDate),
        FieldType::Json => quote!(::serde_json::Value),
        // what a response says about a file; payloads take `crate::Upload` instead
        FieldType::File => quote!(crate::StoredFile),
        FieldType::Links | FieldType::Object(_) => {
            quote!(::serde_json::Map<String, ::serde_json::Value>)
        }
    }
}

/// Whether a field holds a secret (keys, passwords, tokens): `Debug` redacts it.
pub fn is_secret(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    if n.starts_with("has_") || n.starts_with("is_") {
        return false;
    }
    n == "key"
        || n.ends_with("_key")
        || n.contains("password")
        || n.contains("token")
        || n.contains("secret")
        || n.ends_with("certificate")
}
