//! Validation of a parsed schema, and [`SchemaError`]: one clear, one-line message
//! per problem, naming the file and the resource, endpoint or field at fault.
//!
//! Checked here (after [parsing](crate::schema::parse), which itself reports invalid
//! JSON with line and column, unknown field types, unknown HTTP methods and malformed
//! entries):
//! * resource names are unique, also once turned into Rust type names;
//! * every name (resource, endpoint, field, path parameter) can become a Rust
//!   identifier (see [`crate::emit::names`]), and sibling fields stay distinct;
//! * every endpoint declares at least one method;
//! * every `{parameter}` in an endpoint's `path` is listed in its `properties` and
//!   every listed one appears in the path;
//! * `returns` names a resource of the document.

use std::collections::BTreeMap;

use thiserror::Error;

use crate::emit::names;
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
        "{file}: {at}: unknown field type \"{ty}\" (known: string, text, email, slug, url, integer, float, decimal, boolean, datetime, date, choice, field, links, object)"
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
