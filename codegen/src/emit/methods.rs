//! The intermediate form between a resource's endpoints and its manager's code: one
//! [`ManagerMethod`] per method the manager will have, with its [`MethodKind`] and the
//! endpoint and HTTP method it calls. Names are resolved here, before rendering.

use super::plan::ResPlan;
use super::resource::{Payloads, has_body};
use crate::schema::{Endpoint, Field, FieldType, HttpMethod};

/// What a manager method does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MethodKind {
    /// `GET` on a paged list: a lazy [`ListRequest`] of models.
    List,
    /// `GET` on a list that is not paged: the JSON answer.
    ListPlain,
    /// `POST` on the list with the create payload.
    Create,
    /// `POST` on the list, or the existing record when its key is taken (resources
    /// whose detail path ends in a create field, e.g. `{name}`).
    GetOrCreate {
        /// The key field's wire name.
        key: String,
    },
    /// `GET` on the detail, typed.
    Get,
    /// `GET` on the detail, as JSON.
    GetRaw,
    /// `PUT` (or a `POST` standing for it) on the detail with the create payload.
    Replace,
    /// `PATCH` on the detail with the update payload.
    Update,
    /// `PATCH` on the detail of an extensible resource with an `ObjectPatch`.
    UpdateFields,
    /// `DELETE` on the detail.
    Delete,
    /// A custom endpoint called with a body-carrying method.
    Action(ActionBody),
    /// A custom `GET`: paged, or with query parameters.
    Query {
        /// The answer is a paged list.
        paged: bool,
    },
    /// A custom endpoint called with `DELETE` (or another method without a body).
    Call,
}

/// What a custom action sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ActionBody {
    /// The generated request struct of that name.
    Request(String),
    /// Nothing: the endpoint declares no fields.
    Empty,
    /// Any serializable value (the schema does not describe it).
    Any,
}

/// One method of a manager, before rendering.
pub(crate) struct ManagerMethod<'a> {
    /// The name it would like; the namespace may add a suffix.
    pub preferred: String,
    /// The suffix taken on a clash.
    pub suffix: &'static str,
    pub kind: MethodKind,
    pub endpoint: &'a Endpoint,
    pub http: HttpMethod,
}

/// Names a custom endpoint method must not take (std trait methods clippy expects to
/// be trait implementations).
const TRAIT_METHODS: &[&str] = &[
    "add",
    "sub",
    "mul",
    "div",
    "rem",
    "neg",
    "not",
    "shl",
    "shr",
    "bitand",
    "bitor",
    "bitxor",
    "clone",
    "default",
    "deref",
    "deref_mut",
    "drop",
    "eq",
    "cmp",
    "partial_cmp",
    "from_iter",
    "from_str",
    "hash",
    "index",
    "index_mut",
    "into_iter",
    "next",
    "as_ref",
    "as_mut",
    "borrow",
    "borrow_mut",
    "fmt",
];

/// The field a name-keyed resource is looked up by: the detail path's last
/// parameter, when it is a required writable field of the create payload.
pub(crate) fn name_key<'a>(p: &ResPlan<'a>) -> Option<&'a Field> {
    let detail = p.res.detail()?;
    let last = detail.path_params.last()?;
    if detail.path_params.len() != p.scope.len() + 1 {
        return None;
    }
    p.res.fields.iter().find(|f| {
        &f.name == last
            && f.required
            && !f.read_only
            && matches!(
                f.ty,
                FieldType::String | FieldType::Slug | FieldType::Text | FieldType::Email
            )
    })
}

/// The methods of resource `p`'s manager, standard ones first (they keep their names
/// on a clash), custom endpoints last.
pub(crate) fn plan<'a>(p: &ResPlan<'a>, payloads: &Payloads<'_>) -> Vec<ManagerMethod<'a>> {
    let mut standard = Vec::new();
    let mut custom = Vec::new();
    let std_method = |kind: MethodKind, name: &str, e: &'a Endpoint, m: HttpMethod| ManagerMethod {
        preferred: name.to_string(),
        suffix: "_endpoint",
        kind,
        endpoint: e,
        http: m,
    };
    for e in &p.res.endpoints {
        for &m in &e.methods {
            let kinds: Vec<(MethodKind, &str)> = match (e.name.as_str(), m) {
                ("list", HttpMethod::Get) if e.is_paginated() => vec![(MethodKind::List, "list")],
                ("list", HttpMethod::Get) => vec![(MethodKind::ListPlain, "list")],
                ("list", HttpMethod::Post) if payloads.create.is_some() => {
                    let mut kinds = vec![(MethodKind::Create, "create")];
                    if let Some(key) = name_key(p) {
                        kinds.push((
                            MethodKind::GetOrCreate {
                                key: key.name.clone(),
                            },
                            "get_or_create",
                        ));
                    }
                    kinds
                }
                ("detail", HttpMethod::Get) => {
                    vec![(MethodKind::Get, "get"), (MethodKind::GetRaw, "get_raw")]
                }
                ("detail", HttpMethod::Put) if payloads.create.is_some() => {
                    vec![(MethodKind::Replace, "replace")]
                }
                ("detail", HttpMethod::Post)
                    if payloads.create.is_some() && !e.allows(HttpMethod::Put) =>
                {
                    vec![(MethodKind::Replace, "replace")]
                }
                ("detail", HttpMethod::Patch) if payloads.update.is_some() => {
                    let mut kinds = vec![(MethodKind::Update, "update")];
                    if p.generic() {
                        kinds.push((MethodKind::UpdateFields, "update_fields"));
                    }
                    kinds
                }
                ("detail", HttpMethod::Delete) => vec![(MethodKind::Delete, "delete")],
                _ => Vec::new(),
            };
            if !kinds.is_empty() {
                for (kind, name) in kinds {
                    standard.push(std_method(kind, name, e, m));
                }
                continue;
            }
            // a custom endpoint, or a standard one with an unusual method
            let base = crate::names::bare(&crate::names::snake_ok(&e.name)).to_string();
            let mut name = if e.is_standard() || e.methods.len() > 1 {
                format!("{base}_{}", m.as_str())
            } else {
                base
            };
            if TRAIT_METHODS.contains(&name.as_str()) {
                name.push_str("_endpoint");
            }
            let kind = if m == HttpMethod::Get {
                MethodKind::Query {
                    paged: e.paginated == Some(true),
                }
            } else if has_body(m) {
                let request = payloads
                    .requests
                    .iter()
                    .find(|(en, _)| en == &e.name)
                    .map(|(_, r)| r.clone());
                MethodKind::Action(match request {
                    Some(r) => ActionBody::Request(r),
                    None if sends_no_body(e, &p.res.name) => ActionBody::Empty,
                    None => ActionBody::Any,
                })
            } else {
                MethodKind::Call
            };
            custom.push(ManagerMethod {
                preferred: crate::names::snake_ok(&name),
                suffix: "_endpoint",
                kind,
                endpoint: e,
                http: m,
            });
        }
    }
    standard.extend(custom);
    standard
}

/// Whether a custom POST/PUT/PATCH endpoint without a request struct is an action
/// on the object that takes no body: it declares empty `fields`, or declares none and
/// answers the resource itself (`returns`) or nothing (`status: 204`).
fn sends_no_body(e: &Endpoint, resource: &str) -> bool {
    match &e.fields {
        Some(fields) => fields.is_empty(),
        None => e.status == Some(204) || e.returns.as_deref() == Some(resource),
    }
}
