//! Rust names for schema names: predictable escaping of keywords and odd names.
//!
//! * Fields, path parameters and endpoint names become snake_case identifiers:
//!   `-`, `.` and spaces become `_`, camelCase is split (`firstName` → `first_name`),
//!   a leading digit gets a `_` prefix (`3d` → `_3d`), keywords that may be raw become
//!   raw identifiers (`type` → `r#type`) and those that may not get a trailing `_`
//!   (`self` → `self_`, `crate` → `crate_`, `super` → `super_`, `Self` → `Self_`).
//! * Resources and generated types become UpperCamelCase identifiers; a name that
//!   already is one is kept as is (`CodeBoxTrace`), a leading digit gets an `N` prefix.
//!
//! A name is accepted when it consists of ASCII letters, digits, `_`, `-`, `.` and
//! spaces and contains at least one letter or digit; anything else (empty names,
//! `$`, `/`, non-ASCII text ...) cannot become a Rust identifier.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Keywords of Rust 2024 (strict and reserved) that are valid raw identifiers.
const RAW_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers.
const NON_RAW_KEYWORDS: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Why a name cannot become a Rust identifier.
fn check_chars(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the name is empty".to_string());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ')))
    {
        return Err(format!(
            "the name contains {c:?}, which cannot be part of a Rust identifier (allowed: ASCII letters, digits, '_', '-', '.', ' ')"
        ));
    }
    if !name.chars().any(|c| c.is_ascii_alphanumeric()) {
        return Err("the name has no letter or digit".to_string());
    }
    Ok(())
}

/// The snake_case Rust identifier for a field, path parameter or endpoint name, as
/// source text (it may be a raw identifier such as `r#type`).
///
/// # Errors
/// The reason when the name cannot become an identifier.
pub fn snake(name: &str) -> Result<String, String> {
    check_chars(name)?;
    let mapped: String = name
        .chars()
        .map(|c| if matches!(c, '-' | '.' | ' ') { '_' } else { c })
        .collect();
    let s = if mapped.chars().any(|c| c.is_ascii_uppercase()) {
        mapped.to_snake_case()
    } else {
        // already lower case (heck would drop a leading `_`)
        mapped
    };
    if s.is_empty() || !s.chars().any(|c| c.is_ascii_alphanumeric()) {
        return Err("the name has no letter or digit".to_string());
    }
    // runs of `_` inside a name are not snake case: keep one
    let leading = s.starts_with('_');
    let mut s = s
        .split('_')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    if leading || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    Ok(escape_keyword(s))
}

/// The UpperCamelCase Rust identifier for a resource or generated type name.
///
/// # Errors
/// The reason when the name cannot become an identifier.
pub fn camel(name: &str) -> Result<String, String> {
    check_chars(name)?;
    let already = name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
        && name.chars().any(|c| c.is_ascii_lowercase());
    let mut s = if already {
        name.to_string()
    } else {
        name.to_upper_camel_case()
    };
    if s.is_empty() {
        return Err("the name has no letter or digit".to_string());
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'N');
    }
    Ok(escape_keyword(s))
}

/// A keyword made usable: raw when allowed, else with a trailing `_`.
fn escape_keyword(s: String) -> String {
    if NON_RAW_KEYWORDS.contains(&s.as_str()) {
        format!("{s}_")
    } else if RAW_KEYWORDS.contains(&s.as_str()) {
        format!("r#{s}")
    } else {
        s
    }
}

/// The identifier without a raw prefix (`r#type` → `type`), for building other names.
pub fn bare(ident: &str) -> &str {
    ident.strip_prefix("r#").unwrap_or(ident)
}

/// `snake` for names already checked by validation; falls back to a mangled but valid
/// identifier so code generation never panics.
pub fn snake_ok(name: &str) -> String {
    snake(name).unwrap_or_else(|_| {
        let cleaned: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        format!("x_{cleaned}")
    })
}

/// `camel` for names already checked by validation (see [`snake_ok`]).
pub fn camel_ok(name: &str) -> String {
    camel(name).unwrap_or_else(|_| {
        let cleaned: String = name.chars().filter(char::is_ascii_alphanumeric).collect();
        format!("X{cleaned}")
    })
}

/// The UpperCamelCase form of a field or endpoint name, used inside type names
/// (`runtime_name` → `RuntimeName`, `type` → `Type`).
pub fn camel_part(name: &str) -> String {
    let c = camel_ok(name);
    bare(&c).trim_end_matches('_').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_escaped_predictably() {
        assert_eq!(snake("type").as_deref(), Ok("r#type"));
        assert_eq!(snake("class").as_deref(), Ok("class"));
        assert_eq!(snake("match").as_deref(), Ok("r#match"));
        assert_eq!(snake("async").as_deref(), Ok("r#async"));
        assert_eq!(snake("gen").as_deref(), Ok("r#gen"));
        assert_eq!(snake("self").as_deref(), Ok("self_"));
        assert_eq!(snake("super").as_deref(), Ok("super_"));
        assert_eq!(snake("crate").as_deref(), Ok("crate_"));
        assert_eq!(snake("Self").as_deref(), Ok("self_"));
        assert_eq!(camel("Self").as_deref(), Ok("Self_"));
        assert_eq!(camel("type").as_deref(), Ok("Type"));
    }

    #[test]
    fn odd_names_are_mapped() {
        assert_eq!(snake("3d").as_deref(), Ok("_3d"));
        assert_eq!(snake("content-type").as_deref(), Ok("content_type"));
        assert_eq!(snake("a.b c").as_deref(), Ok("a_b_c"));
        assert_eq!(snake("firstName").as_deref(), Ok("first_name"));
        assert_eq!(
            snake("codebox_schedule__codebox_id").as_deref(),
            Ok("codebox_schedule_codebox_id")
        );
        assert_eq!(snake("trailing_").as_deref(), Ok("trailing"));
        assert_eq!(camel("GCM").as_deref(), Ok("Gcm"));
        assert_eq!(snake("_private").as_deref(), Ok("_private"));
        assert_eq!(camel("CodeBoxTrace").as_deref(), Ok("CodeBoxTrace"));
        assert_eq!(camel("api_key").as_deref(), Ok("ApiKey"));
        assert_eq!(camel("3d-model").as_deref(), Ok("N3dModel"));
        assert_eq!(camel_part("runtime_name"), "RuntimeName");
        assert_eq!(camel_part("self"), "Self");
    }

    #[test]
    fn impossible_names_are_rejected() {
        assert!(snake("").is_err());
        assert!(snake("---").is_err());
        assert!(snake("a$b").is_err());
        assert!(snake("naïve").is_err());
        assert!(camel("a/b").is_err());
        assert!(snake("_").is_err());
    }
}
