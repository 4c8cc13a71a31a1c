//! Rustdoc text for generated items: escaping schema prose for Markdown and
//! describing fields and endpoints.

use proc_macro2::TokenStream;
use quote::quote;

use crate::schema::{ChoiceValue, Endpoint, Field, FieldType};

/// Escapes schema text (labels, descriptions) so rustdoc reads it as plain prose:
/// no links, HTML, emphasis or bare URLs.
pub fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '~' | '/' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            _ => out.push(c),
        }
    }
    out.trim().to_string()
}

/// Text for inline code: backticks cannot appear inside a one-backtick span.
pub fn code(text: &str) -> String {
    if text.is_empty() {
        return "`\"\"`".to_string();
    }
    format!("`{}`", text.replace('`', "'"))
}

/// The text with its first letter in upper case.
pub fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `#[doc = "..."]` attributes, one per line (each line gets a leading space).
pub fn attrs(text: &str) -> TokenStream {
    let lines = text.lines().map(|l| {
        if l.is_empty() {
            String::new()
        } else {
            format!(" {l}")
        }
    });
    quote! { #( #[doc = #lines] )* }
}

/// The doc text of a field: its label, then its type and constraints.
pub fn field(f: &Field) -> String {
    let mut first = match &f.label {
        Some(l) if !md(l).is_empty() => capitalized(&md(l)),
        _ => format!("The {} field", code(&f.name)),
    };
    if !first.ends_with('.') {
        first.push('.');
    }
    format!("{first}\n\n{}", constraints(f))
}

/// `Field `name`: string; required; read-only; max length 64.`
pub fn constraints(f: &Field) -> String {
    let mut parts = vec![match &f.ty {
        FieldType::Object(_) => "object".to_string(),
        other => other.as_str().to_string(),
    }];
    if f.primary_key {
        parts.push("primary key".into());
    }
    if f.required {
        parts.push("required".into());
    }
    if f.read_only {
        parts.push("read-only".into());
    }
    if f.write_only {
        parts.push("write-only".into());
    }
    if let Some(n) = f.min_length {
        parts.push(format!("min length {n}"));
    }
    if let Some(n) = f.max_length {
        parts.push(format!("max length {n}"));
    }
    if let Some(n) = f.min_value {
        parts.push(format!("min {n}"));
    }
    if let Some(n) = f.max_value {
        parts.push(format!("max {n}"));
    }
    if let Some(d) = &f.default {
        parts.push(format!("default {}", code(&d.to_string())));
    }
    if !f.choices.is_empty() {
        let list: Vec<String> = f
            .choices
            .iter()
            .map(|c| match &c.value {
                ChoiceValue::Int(i) => code(&i.to_string()),
                ChoiceValue::Str(s) => code(s),
            })
            .collect();
        parts.push(format!("choices {}", list.join(", ")));
    }
    if !f.links.is_empty() {
        let list: Vec<String> = f.links.iter().map(|l| code(&l.name)).collect();
        parts.push(format!("links {}", list.join(", ")));
    }
    format!("Field {}: {}.", code(&f.name), parts.join("; "))
}

/// `GET, POST `/v1.1/instances/{instance}/classes/``
pub fn endpoint(e: &Endpoint) -> String {
    let methods: Vec<&str> = e.methods.iter().map(|m| m.as_http()).collect();
    format!("{} {}", methods.join(", "), code(&e.path))
}
