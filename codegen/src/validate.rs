//! Validation of a parsed schema, and [`SchemaError`]: one clear, one-line message
//! per problem, naming the file and the resource, endpoint or field at fault.
//!
//! Checked here (after [parsing](crate::schema::parse), which itself reports invalid
//! JSON with line and column, unknown field types, unknown HTTP methods and malformed
//! entries):
//! * resource names are unique, also once turned into Rust type names;
//! * every name (resource, endpoint, field, path parameter) can become a Rust
//!   identifier (see [`crate::names`]), and sibling fields stay distinct;
//! * every endpoint declares at least one method;
//! * every `{parameter}` in an endpoint's `path` is listed in its `properties` and
//!   every listed one appears in the path;
//! * `returns` names a resource of the document.

use std::collections::BTreeMap;

use thiserror::Error;

use crate::names;
use crate::schema::reader::At;
use crate::schema::{Field, FieldType, Schema};

/// Why a schema document cannot be used. `Display` is the one-line message the
/// build prints: it starts with the file name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The file could not be read.
    #[error("{file}: cannot read the schema document: {message}")]
    Io {
        /// The file.
        file: String,
        /// The operating system's message.
        message: String,
    },
    /// The text is not JSON.
    #[error("{file}:{line}:{column}: invalid JSON: {message}")]
    Json {
        /// The file.
        file: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the JSON parser found.
        message: String,
    },
    /// An entry has the wrong shape (a missing `name` or `path`, a string where a
    /// list belongs ...).
    #[error("{file}: {at}: {message}")]
    Malformed {
        /// The file.
        file: String,
        /// Where: `resource "Class", endpoint "detail"`.
        at: String,
        /// What is wrong.
        message: String,
    },
    /// A field's `type` is not one the format knows.
    #[error(
        "{file}: {at}: unknown field type \"{ty}\" (known: string, text, email, slug, url, integer, float, decimal, boolean, datetime, date, choice, field, file, links, object)"
    )]
    UnknownFieldType {
        /// The file.
        file: String,
        /// Where: `resource "Class", field "name"`.
        at: String,
        /// The type found.
        ty: String,
    },
    /// An endpoint lists a method that is not GET, POST, PUT, PATCH or DELETE.
    #[error(
        "{file}: {at}: unknown HTTP method \"{method}\" (known: get, post, put, patch, delete)"
    )]
    UnknownMethod {
        /// The file.
        file: String,
        /// Where: `resource "Class", endpoint "detail"`.
        at: String,
        /// The method found.
        method: String,
    },
    /// An endpoint declares no methods.
    #[error("{file}: {at}: the endpoint declares no methods")]
    NoMethods {
        /// The file.
        file: String,
        /// Where.
        at: String,
    },
    /// A `{parameter}` of the path is not listed in the endpoint's `properties`.
    #[error(
        "{file}: {at}: path parameter \"{param}\" of \"{path}\" is missing from the endpoint's \"properties\""
    )]
    PathParamNotDeclared {
        /// The file.
        file: String,
        /// Where.
        at: String,
        /// The parameter.
        param: String,
        /// The path template.
        path: String,
    },
    /// The endpoint's `properties` list a parameter its path does not contain.
    #[error(
        "{file}: {at}: \"properties\" lists \"{param}\", which does not appear in the path \"{path}\""
    )]
    PathParamNotInPath {
        /// The file.
        file: String,
        /// Where.
        at: String,
        /// The parameter.
        param: String,
        /// The path template.
        path: String,
    },
    /// Two resources have the same name (or names that give the same Rust type).
    #[error("{file}: resource \"{name}\" is declared twice{detail}")]
    DuplicateResource {
        /// The file.
        file: String,
        /// The name.
        name: String,
        /// Empty, or how the names collide.
        detail: String,
    },
    /// A name cannot become a Rust identifier, even escaped (or two sibling names give
    /// the same identifier).
    #[error("{file}: {at}: the name \"{name}\" cannot become a Rust identifier: {reason}")]
    InvalidName {
        /// The file.
        file: String,
        /// Where.
        at: String,
        /// The name.
        name: String,
        /// Why.
        reason: String,
    },
    /// `returns` names a resource the document does not declare.
    #[error("{file}: {at}: \"returns\" names the unknown resource \"{returns}\"")]
    UnknownReturns {
        /// The file.
        file: String,
        /// Where.
        at: String,
        /// The name found.
        returns: String,
    },
}

/// The `{parameter}` names of a path template, in order.
///
/// # Errors
/// A message when a brace is unbalanced.
pub fn template_params(path: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(format!("the path \"{path}\" has a '}}' without '{{'"));
        }
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("the path \"{path}\" has a '{{' without '}}'"))?;
        let name = &after[..close];
        if name.is_empty() || name.contains('{') {
            return Err(format!(
                "the path \"{path}\" has an empty or nested parameter"
            ));
        }
        out.push(name.to_string());
        rest = &after[close + 1..];
    }
    Ok(out)
}

/// Checks a parsed schema (see the module docs).
///
/// # Errors
/// The first problem found, in document order (resources by name).
pub fn validate(schema: &Schema, file: &str) -> Result<(), SchemaError> {
    let invalid = |at: &At, name: &str, reason: String| SchemaError::InvalidName {
        file: file.to_string(),
        at: at.to_string(),
        name: name.to_string(),
        reason,
    };
    let mut type_names: BTreeMap<String, &str> = BTreeMap::new();
    for r in &schema.resources {
        let at = At::resource(&r.name);
        let ty = names::camel(&r.name).map_err(|e| invalid(&at, &r.name, e))?;
        if let Some(prev) = type_names.insert(ty.clone(), &r.name) {
            let detail = if prev == r.name {
                String::new()
            } else {
                format!(
                    " (\"{prev}\" and \"{}\" both become the Rust type {ty})",
                    r.name
                )
            };
            return Err(SchemaError::DuplicateResource {
                file: file.to_string(),
                name: r.name.clone(),
                detail,
            });
        }
        check_fields(&r.fields, &at, file)?;
        for e in &r.endpoints {
            let eat = at.with("endpoint", &e.name);
            names::snake(&e.name).map_err(|why| invalid(&eat, &e.name, why))?;
            if e.methods.is_empty() {
                return Err(SchemaError::NoMethods {
                    file: file.to_string(),
                    at: eat.to_string(),
                });
            }
            if !e.path.starts_with('/') {
                return Err(SchemaError::Malformed {
                    file: file.to_string(),
                    at: eat.to_string(),
                    message: format!("the path \"{}\" does not start with '/'", e.path),
                });
            }
            let in_path = template_params(&e.path).map_err(|message| SchemaError::Malformed {
                file: file.to_string(),
                at: eat.to_string(),
                message,
            })?;
            for p in &in_path {
                if !e.path_params.contains(p) {
                    return Err(SchemaError::PathParamNotDeclared {
                        file: file.to_string(),
                        at: eat.to_string(),
                        param: p.clone(),
                        path: e.path.clone(),
                    });
                }
            }
            for p in &e.path_params {
                if !in_path.contains(p) {
                    return Err(SchemaError::PathParamNotInPath {
                        file: file.to_string(),
                        at: eat.to_string(),
                        param: p.clone(),
                        path: e.path.clone(),
                    });
                }
            }
            let mut seen: BTreeMap<String, &str> = BTreeMap::new();
            for p in &in_path {
                let pat = eat.with("path parameter", p);
                let ident = names::snake(p).map_err(|why| invalid(&pat, p, why))?;
                if let Some(prev) = seen.insert(ident.clone(), p) {
                    return Err(invalid(
                        &pat,
                        p,
                        format!(
                            "it appears twice in the path or becomes the same identifier `{ident}` as \"{prev}\""
                        ),
                    ));
                }
            }
            if let Some(ret) = &e.returns {
                if schema.resource(ret).is_none() {
                    return Err(SchemaError::UnknownReturns {
                        file: file.to_string(),
                        at: eat.to_string(),
                        returns: ret.clone(),
                    });
                }
            }
            if let Some(fields) = &e.fields {
                check_fields(fields, &eat, file)?;
            }
        }
    }
    Ok(())
}

fn check_fields(fields: &[Field], at: &At, file: &str) -> Result<(), SchemaError> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for f in fields {
        let fat = at.with("field", &f.name);
        let ident = names::snake(&f.name).map_err(|reason| SchemaError::InvalidName {
            file: file.to_string(),
            at: fat.to_string(),
            name: f.name.clone(),
            reason,
        })?;
        if let Some(prev) = seen.insert(names::bare(&ident).to_string(), &f.name) {
            return Err(SchemaError::InvalidName {
                file: file.to_string(),
                at: fat.to_string(),
                name: f.name.clone(),
                reason: format!("it becomes the same identifier `{ident}` as the field \"{prev}\""),
            });
        }
        if let FieldType::Object(subs) = &f.ty {
            check_fields(subs, &fat, file)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::schema::parse;

    fn err(doc: &str) -> String {
        match parse(doc, "bad.json") {
            Ok(_) => panic!("expected an error for {doc}"),
            Err(e) => e.to_string(),
        }
    }

    fn one(endpoint: &str, fields: &str) -> String {
        format!(r#"[{{"name": "Thing", "properties": {{{fields}}}, "endpoints": {{{endpoint}}}}}]"#)
    }

    const LIST: &str = r#""list": {"path": "/v1.1/things/", "methods": ["get"], "properties": []}"#;

    #[test]
    fn invalid_json_names_line_and_column() {
        assert_eq!(
            err("[\n  {\"name\": \"A\",,}\n]"),
            "bad.json:2:16: invalid JSON: key must be a string"
        );
        assert_eq!(
            err(""),
            "bad.json:1:0: invalid JSON: EOF while parsing a value"
        );
    }

    #[test]
    fn not_a_list() {
        assert_eq!(
            err(r#"{"name": "A"}"#),
            "bad.json: document: the document must be a JSON list of resources, found an object"
        );
    }

    #[test]
    fn unknown_field_type() {
        assert_eq!(
            err(&one(LIST, r#""size": {"type": "bignum"}"#)),
            "bad.json: resource \"Thing\", field \"size\": unknown field type \"bignum\" (known: string, text, email, slug, url, integer, float, decimal, boolean, datetime, date, choice, field, file, links, object)"
        );
        // also inside a nested object and on an endpoint
        let nested = one(LIST, r#""owner": {"name": {"type": "str"}}"#);
        assert!(err(&nested).starts_with("bad.json: resource \"Thing\", field \"owner\", field \"name\": unknown field type \"str\""));
        let on_endpoint = one(
            r#""list": {"path": "/t/", "methods": ["get"], "properties": [], "fields": {"x": {"type": 5}}}"#,
            "",
        );
        assert_eq!(
            err(&on_endpoint),
            "bad.json: resource \"Thing\", endpoint \"list\", field \"x\": \"type\" must be a string, found a number"
        );
    }

    #[test]
    fn path_parameter_missing_from_properties() {
        let doc = one(
            r#""detail": {"path": "/v1.1/things/{id}/", "methods": ["get"], "properties": []}"#,
            "",
        );
        assert_eq!(
            err(&doc),
            "bad.json: resource \"Thing\", endpoint \"detail\": path parameter \"id\" of \"/v1.1/things/{id}/\" is missing from the endpoint's \"properties\""
        );
    }

    #[test]
    fn property_missing_from_path() {
        let doc = one(
            r#""detail": {"path": "/v1.1/things/{id}/", "methods": ["get"], "properties": ["id", "instance"]}"#,
            "",
        );
        assert_eq!(
            err(&doc),
            "bad.json: resource \"Thing\", endpoint \"detail\": \"properties\" lists \"instance\", which does not appear in the path \"/v1.1/things/{id}/\""
        );
    }

    #[test]
    fn unbalanced_path() {
        let doc = one(
            r#""detail": {"path": "/v1.1/things/{id/", "methods": ["get"], "properties": ["id"]}"#,
            "",
        );
        assert_eq!(
            err(&doc),
            "bad.json: resource \"Thing\", endpoint \"detail\": the path \"/v1.1/things/{id/\" has a '{' without '}'"
        );
    }

    #[test]
    fn duplicate_resource_names() {
        let doc = r#"[{"name": "Thing", "endpoints": {}}, {"name": "Other"}, {"name": "Thing"}]"#;
        assert_eq!(err(doc), "bad.json: resource \"Thing\" is declared twice");
        let doc = r#"[{"name": "api_key"}, {"name": "ApiKey"}]"#;
        assert_eq!(
            err(doc),
            "bad.json: resource \"api_key\" is declared twice (\"ApiKey\" and \"api_key\" both become the Rust type ApiKey)"
        );
    }

    #[test]
    fn names_that_cannot_become_identifiers() {
        assert_eq!(
            err(r#"[{"name": "Thing$"}]"#),
            "bad.json: resource \"Thing$\": the name \"Thing$\" cannot become a Rust identifier: the name contains '$', which cannot be part of a Rust identifier (allowed: ASCII letters, digits, '_', '-', '.', ' ')"
        );
        assert_eq!(
            err(&one(LIST, r#""--": {"type": "string"}"#)),
            "bad.json: resource \"Thing\", field \"--\": the name \"--\" cannot become a Rust identifier: the name has no letter or digit"
        );
        assert_eq!(
            err(&one(
                r#""": {"path": "/t/", "methods": ["get"], "properties": []}"#,
                ""
            )),
            "bad.json: resource \"Thing\", endpoint \"\": the name \"\" cannot become a Rust identifier: the name is empty"
        );
        assert_eq!(
            err(&one(
                r#""list": {"path": "/t/{a/b}/", "methods": ["get"], "properties": ["a/b"]}"#,
                ""
            )),
            "bad.json: resource \"Thing\", endpoint \"list\", path parameter \"a/b\": the name \"a/b\" cannot become a Rust identifier: the name contains '/', which cannot be part of a Rust identifier (allowed: ASCII letters, digits, '_', '-', '.', ' ')"
        );
        // two fields that escape to the same identifier
        assert_eq!(
            err(&one(
                LIST,
                r#""content-type": {"type": "string"}, "content_type": {"type": "string"}"#
            )),
            "bad.json: resource \"Thing\", field \"content_type\": the name \"content_type\" cannot become a Rust identifier: it becomes the same identifier `content_type` as the field \"content-type\""
        );
    }

    #[test]
    fn endpoint_without_methods() {
        let doc = one(
            r#""list": {"path": "/v1.1/things/", "methods": [], "properties": []}"#,
            "",
        );
        assert_eq!(
            err(&doc),
            "bad.json: resource \"Thing\", endpoint \"list\": the endpoint declares no methods"
        );
        let doc = one(r#""list": {"path": "/v1.1/things/", "properties": []}"#, "");
        assert_eq!(
            err(&doc),
            "bad.json: resource \"Thing\", endpoint \"list\": the endpoint declares no methods"
        );
    }

    #[test]
    fn unknown_http_method() {
        let doc = one(
            r#""list": {"path": "/v1.1/things/", "methods": ["get", "fetch"], "properties": []}"#,
            "",
        );
        assert_eq!(
            err(&doc),
            "bad.json: resource \"Thing\", endpoint \"list\": unknown HTTP method \"fetch\" (known: get, post, put, patch, delete)"
        );
    }

    #[test]
    fn returns_unknown_resource() {
        let doc = one(
            r#""run": {"path": "/v1.1/things/run/", "methods": ["post"], "properties": [], "returns": "Trace"}"#,
            "",
        );
        assert_eq!(
            err(&doc),
            "bad.json: resource \"Thing\", endpoint \"run\": \"returns\" names the unknown resource \"Trace\""
        );
    }

    #[test]
    fn malformed_entries() {
        assert_eq!(
            err(r#"[{"endpoints": {}}]"#),
            "bad.json: resource #1: the resource has no \"name\""
        );
        assert_eq!(
            err(&one(r#""list": {"methods": ["get"]}"#, "")),
            "bad.json: resource \"Thing\", endpoint \"list\": the endpoint has no \"path\""
        );
        assert_eq!(
            err(&one(LIST, r#""n": {"type": "integer", "required": "yes"}"#)),
            "bad.json: resource \"Thing\", field \"n\": \"required\" must be true or false, found a string"
        );
        assert_eq!(
            err(&one(
                LIST,
                r#""c": {"type": "choice", "choices": [{"value": 1.5}]}"#
            )),
            "bad.json: resource \"Thing\", field \"c\": a choice value must be a string or an integer, found 1.5"
        );
    }

    #[test]
    fn load_reports_unreadable_files() {
        let missing = std::path::Path::new("/nonexistent/dir/schema.json");
        match crate::schema::load(missing) {
            Ok(_) => panic!("loaded a missing file"),
            Err(e) => assert!(
                e.to_string()
                    .starts_with("/nonexistent/dir/schema.json: cannot read the schema document: "),
                "{e}"
            ),
        }
    }
}
