//! Comparing two schema documents: what changed between an old and a new API
//! description, and whether each change breaks code written against the old one.
//!
//! # Matching
//! Resources and endpoints are matched by their **normalized path templates**
//! (every `{parameter}` replaced by `{}`), never by name, so a document whose
//! names were derived differently (for example one built by `discover`) still
//! lines up with the vendored one:
//! - every endpoint is identified by its normalized path (methods of endpoints
//!   sharing one path are merged);
//! - a resource is identified by the path of its `list` endpoint, else of its
//!   `detail` endpoint, else of its first endpoint by path (its *key path*);
//! - an old resource whose key path is absent from the new document is
//!   *regrouped* (non-breaking) when every one of its endpoint paths still exists
//!   in the new document under other resources, and *removed* otherwise; a new
//!   resource none of whose paths existed before is *added*.
//!
//! # What is compared
//! - endpoints: presence, methods, and the ext keys `returns`, `paginated`,
//!   `status`, `query_fields`, `order_fields` (each only when both documents
//!   declare it: a document built by `discover` cannot know them);
//! - the fields of a resource, merged from its `properties` and the `fields` of
//!   its `list` and `detail` endpoints (detail over list over properties);
//! - the `fields` declared on a custom endpoint (its request body), when both
//!   documents declare them;
//! - per field: presence, type (nested objects recursively), `required`,
//!   `read_only`, `write_only`, `choices`, `max_length`, `min_length`,
//!   `min_value`, `max_value`, `links`, and — only when both documents declare
//!   them — `primary_key`, `label`, `default`.
//!
//! Descriptions are not compared. Two ext keys written by `discover` limit the
//! comparison to what is known: a field with `"inferred": true` (its attributes
//! were guessed from sample values) is compared by presence only, and a resource
//! with `"fields_unknown": true` has its fields and `extensible` not compared;
//! an endpoint with `"methods_incomplete": true` cannot show removed methods
//! (when new) or added ones (when old).
//!
//! # Breaking
//! A change is *breaking* when code or requests valid against the old document
//! can fail against the new one: removal of a resource, endpoint, method, field,
//! choice, query or order field or link; a field type change; a field that
//! becomes required on create (or a new required writable field); a writable
//! field that becomes read-only; a returned field that becomes write-only; a
//! lowered `max_length` / `max_value` or raised `min_length` / `min_value`; a
//! changed `returns`, `paginated` or `status`; an extensible resource that stops
//! being extensible. Everything else is *additive*. A resource whose name changed
//! while its paths stayed is reported as renamed (additive: the API is the same,
//! but the generated Rust type names follow the new name).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;
use serde_json::Value;

/// An error reading a document to compare.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// The text is not JSON.
    #[error("{source_name}: not valid JSON: {error}")]
    Json {
        /// The document's name (file name) for messages.
        source_name: String,
        /// The parser's error.
        error: serde_json::Error,
    },
    /// The JSON is not shaped like a schema document.
    #[error("{source_name}: {message}")]
    Shape {
        /// The document's name (file name) for messages.
        source_name: String,
        /// What is wrong.
        message: String,
    },
}

/// Whether a change can break existing users.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Code or requests valid against the old document can fail against the new one.
    Breaking,
    /// Everything valid before stays valid.
    Additive,
}

/// What happened to the thing a change is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// It exists only in the new document.
    Added,
    /// It exists only in the old document.
    Removed,
    /// It exists in both, with different attributes.
    Changed,
    /// A resource with the same paths under another name.
    Renamed,
    /// An endpoint that now belongs to another resource, or a resource whose
    /// endpoints all moved to other resources.
    Regrouped,
}

/// The kind of thing a change is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// A whole resource.
    Resource,
    /// An endpoint (a path).
    Endpoint,
    /// One HTTP method of an endpoint.
    Method,
    /// A field (of a resource, or of a custom endpoint's request body).
    Field,
}

/// One difference between two documents.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// Breaking or additive.
    pub severity: Severity,
    /// Added, removed, changed, ...
    pub kind: ChangeKind,
    /// Resource, endpoint, method or field.
    pub target: Target,
    /// The resource's name (the new document's name when it exists there).
    pub resource: String,
    /// The endpoint's name, when the change is about an endpoint, a method or an
    /// endpoint's field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// The endpoint's path template (or the resource's key path).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The method (lowercase), for method changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The field, dotted for nested sub-fields (`owner.email`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// A sentence saying what changed.
    pub detail: String,
}

/// The result of comparing two documents.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Diff {
    /// Every change, grouped by resource (key path order), breaking first
    /// within a resource.
    pub changes: Vec<Change>,
}

impl Diff {
    /// True when at least one change is breaking.
    pub fn is_breaking(&self) -> bool {
        self.changes
            .iter()
            .any(|c| c.severity == Severity::Breaking)
    }

    /// True when the documents describe the same API (as far as compared).
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The number of breaking changes.
    pub fn breaking_count(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| c.severity == Severity::Breaking)
            .count()
    }

    /// The number of additive changes.
    pub fn additive_count(&self) -> usize {
        self.changes.len() - self.breaking_count()
    }

    /// The JSON report: `{"breaking": bool, "summary": {...}, "changes": [...]}`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "breaking": self.is_breaking(),
            "summary": {"breaking": self.breaking_count(), "additive": self.additive_count()},
            "changes": self.changes,
        })
    }

    /// The human-readable report, grouped by resource.
    pub fn to_text(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.changes.is_empty() {
            return writeln!(f, "No differences.");
        }
        let mut current: Option<&str> = None;
        for c in &self.changes {
            if current != Some(c.resource.as_str()) {
                if current.is_some() {
                    writeln!(f)?;
                }
                writeln!(f, "{}", c.resource)?;
                current = Some(c.resource.as_str());
            }
            let tag = match c.severity {
                Severity::Breaking => "BREAKING",
                Severity::Additive => "additive",
            };
            let mut what = String::new();
            if let Some(e) = &c.endpoint {
                what.push_str(&format!("endpoint `{e}`"));
                if let Some(p) = &c.path {
                    what.push_str(&format!(" ({p})"));
                }
            } else if let (Target::Resource, Some(p)) = (c.target, &c.path) {
                what.push_str(&format!("resource ({p})"));
            }
            if let Some(m) = &c.method {
                what.push_str(&format!(" method {}", m.to_uppercase()));
            }
            if let Some(fl) = &c.field {
                if !what.is_empty() {
                    what.push(' ');
                }
                what.push_str(&format!("field `{fl}`"));
            }
            if what.is_empty() {
                writeln!(f, "  {tag:<8}  {}", c.detail)?;
            } else {
                writeln!(f, "  {tag:<8}  {}: {}", what.trim_start(), c.detail)?;
            }
        }
        writeln!(f)?;
        writeln!(
            f,
            "{} breaking, {} additive change(s).",
            self.breaking_count(),
            self.additive_count()
        )
    }
}

/// Compares two documents given as text.
///
/// # Errors
/// When either is not JSON or not shaped like a schema document.
pub fn diff_str(old: &str, old_name: &str, new: &str, new_name: &str) -> Result<Diff, DiffError> {
    let o: Value = serde_json::from_str(old).map_err(|error| DiffError::Json {
        source_name: old_name.to_owned(),
        error,
    })?;
    let n: Value = serde_json::from_str(new).map_err(|error| DiffError::Json {
        source_name: new_name.to_owned(),
        error,
    })?;
    diff_values(&o, old_name, &n, new_name)
}

/// Compares two parsed documents.
///
/// # Errors
/// When either is not shaped like a schema document (a list of resources, each
/// with a string `name`; endpoints with a string `path`).
pub fn diff_values(
    old: &Value,
    old_name: &str,
    new: &Value,
    new_name: &str,
) -> Result<Diff, DiffError> {
    let o = Doc::read(old, old_name)?;
    let n = Doc::read(new, new_name)?;
    Ok(compare(&o, &n))
}

/// Replaces every `{parameter}` of a path template by `{}` and makes sure it
/// ends in `/`.
pub fn normalize_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_param = false;
    for ch in path.chars() {
        match (in_param, ch) {
            (false, '{') => {
                in_param = true;
                out.push('{');
            }
            (true, '}') => {
                in_param = false;
                out.push('}');
            }
            (true, _) => {}
            (false, c) => out.push(c),
        }
    }
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

// ---------------------------------------------------------------------------
// the comparable view of a document

#[derive(Clone, Debug, PartialEq)]
struct FieldInfo {
    ty: String,
    sub: BTreeMap<String, FieldInfo>,
    read_only: bool,
    write_only: bool,
    required: bool,
    primary_key: Option<bool>,
    label: Option<String>,
    default: Option<Value>,
    max_length: Option<f64>,
    min_length: Option<f64>,
    min_value: Option<f64>,
    max_value: Option<f64>,
    choices: Vec<(Value, String)>,
    links: BTreeSet<String>,
    inferred: bool,
}

#[derive(Clone, Debug)]
struct Ep {
    name: String,
    path: String,
    norm: String,
    methods: BTreeSet<String>,
    methods_incomplete: bool,
    fields: Option<BTreeMap<String, FieldInfo>>,
    returns: Option<String>,
    paginated: Option<bool>,
    status: Option<i64>,
    query_fields: Option<BTreeSet<String>>,
    order_fields: Option<BTreeSet<String>>,
}

#[derive(Clone, Debug)]
struct Res {
    name: String,
    extensible: bool,
    fields_unknown: bool,
    fields: BTreeMap<String, FieldInfo>,
    endpoints: Vec<Ep>,
    key: String,
}

struct Doc {
    resources: Vec<Res>,
}

fn shape(source: &str, message: String) -> DiffError {
    DiffError::Shape {
        source_name: source.to_owned(),
        message,
    }
}

fn num(v: Option<&Value>) -> Option<f64> {
    v.and_then(Value::as_f64)
}

fn flag(m: &serde_json::Map<String, Value>, k: &str) -> bool {
    m.get(k).and_then(Value::as_bool).unwrap_or(false)
}

fn str_set(v: Option<&Value>) -> BTreeSet<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn read_fields(v: &Value) -> BTreeMap<String, FieldInfo> {
    let mut out = BTreeMap::new();
    if let Some(m) = v.as_object() {
        for (k, f) in m {
            if let Some(fi) = read_field(f) {
                out.insert(k.clone(), fi);
            }
        }
    }
    out
}

fn read_field(v: &Value) -> Option<FieldInfo> {
    let m = v.as_object()?;
    let (ty, sub) = match m.get("type").and_then(Value::as_str) {
        Some("object") | Some("nested object") => {
            let sub = m
                .get("fields")
                .or_else(|| m.get("children"))
                .map(read_fields)
                .unwrap_or_default();
            ("object".to_owned(), sub)
        }
        Some(t) => (t.to_owned(), BTreeMap::new()),
        // a field without a type: its object-valued keys are sub-fields
        None => {
            let mut sub = BTreeMap::new();
            for (k, s) in m {
                if let Some(fi) = s.is_object().then(|| read_field(s)).flatten() {
                    sub.insert(k.clone(), fi);
                }
            }
            ("object".to_owned(), sub)
        }
    };
    let choices = m
        .get("choices")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| {
                    let o = c.as_object()?;
                    let value = o.get("value")?.clone();
                    let name = o
                        .get("display_name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    Some((value, name))
                })
                .collect()
        })
        .unwrap_or_default();
    let links = m
        .get("links")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|l| l.get("name").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Some(FieldInfo {
        ty,
        sub,
        read_only: flag(m, "read_only"),
        write_only: flag(m, "write_only"),
        required: flag(m, "required"),
        primary_key: m.get("primary_key").and_then(Value::as_bool),
        label: m.get("label").and_then(Value::as_str).map(str::to_owned),
        default: m.get("default").cloned(),
        max_length: num(m.get("max_length")),
        min_length: num(m.get("min_length")),
        min_value: num(m.get("min_value")),
        max_value: num(m.get("max_value")),
        choices,
        links,
        inferred: flag(m, "inferred"),
    })
}

impl Doc {
    fn read(v: &Value, source: &str) -> Result<Doc, DiffError> {
        let list = v
            .as_array()
            .ok_or_else(|| shape(source, "expected a JSON list of resources".into()))?;
        let mut resources = Vec::new();
        for (i, r) in list.iter().enumerate() {
            let m = r
                .as_object()
                .ok_or_else(|| shape(source, format!("resource #{i} is not an object")))?;
            let name = m
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| shape(source, format!("resource #{i} has no string `name`")))?
                .to_owned();
            let mut endpoints = Vec::new();
            if let Some(eps) = m.get("endpoints") {
                let eps = eps.as_object().ok_or_else(|| {
                    shape(
                        source,
                        format!("resource {name}: `endpoints` is not an object"),
                    )
                })?;
                for (ename, e) in eps {
                    let em = e.as_object().ok_or_else(|| {
                        shape(source, format!("{name}.{ename}: endpoint is not an object"))
                    })?;
                    let path = em.get("path").and_then(Value::as_str).ok_or_else(|| {
                        shape(
                            source,
                            format!("{name}.{ename}: endpoint has no string `path`"),
                        )
                    })?;
                    endpoints.push(Ep {
                        name: ename.clone(),
                        path: path.to_owned(),
                        norm: normalize_path(path),
                        methods: str_set(em.get("methods"))
                            .into_iter()
                            .map(|s| s.to_ascii_lowercase())
                            .collect(),
                        methods_incomplete: flag(em, "methods_incomplete"),
                        fields: em.get("fields").map(read_fields),
                        returns: em.get("returns").and_then(Value::as_str).map(str::to_owned),
                        paginated: em.get("paginated").and_then(Value::as_bool),
                        status: em.get("status").and_then(Value::as_i64),
                        query_fields: em.get("query_fields").map(|v| str_set(Some(v))),
                        order_fields: em.get("order_fields").map(|v| str_set(Some(v))),
                    });
                }
            }
            endpoints.sort_by(|a, b| a.norm.cmp(&b.norm).then(a.name.cmp(&b.name)));
            let mut fields = m.get("properties").map(read_fields).unwrap_or_default();
            for std_name in ["list", "detail"] {
                if let Some(fs) = endpoints
                    .iter()
                    .find(|e| e.name == std_name)
                    .and_then(|e| e.fields.as_ref())
                {
                    for (k, f) in fs {
                        fields.insert(k.clone(), f.clone());
                    }
                }
            }
            let key = endpoints
                .iter()
                .find(|e| e.name == "list")
                .or_else(|| endpoints.iter().find(|e| e.name == "detail"))
                .or_else(|| endpoints.first())
                .map(|e| e.norm.clone())
                .unwrap_or_else(|| format!("<no endpoints: {name}>"));
            resources.push(Res {
                name,
                extensible: m
                    .get("extensible")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                fields_unknown: flag(m, "fields_unknown"),
                fields,
                endpoints,
                key,
            });
        }
        resources.sort_by(|a, b| a.key.cmp(&b.key).then(a.name.cmp(&b.name)));
        Ok(Doc { resources })
    }

    /// Normalized endpoint path → (resource index, endpoint index).
    fn endpoint_index(&self) -> BTreeMap<&str, (usize, usize)> {
        let mut out = BTreeMap::new();
        for (ri, r) in self.resources.iter().enumerate() {
            for (ei, e) in r.endpoints.iter().enumerate() {
                out.entry(e.norm.as_str()).or_insert((ri, ei));
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------
// comparison

struct Ctx<'a> {
    resource: &'a str,
    endpoint: Option<&'a str>,
    path: Option<&'a str>,
    out: Vec<Change>,
}

impl Ctx<'_> {
    fn push(
        &mut self,
        severity: Severity,
        kind: ChangeKind,
        target: Target,
        method: Option<&str>,
        field: Option<&str>,
        detail: String,
    ) {
        self.out.push(Change {
            severity,
            kind,
            target,
            resource: self.resource.to_owned(),
            endpoint: self.endpoint.map(str::to_owned),
            path: self.path.map(str::to_owned),
            method: method.map(str::to_owned),
            field: field.map(str::to_owned),
            detail,
        });
    }
}

fn compare(old: &Doc, new: &Doc) -> Diff {
    let old_eps = old.endpoint_index();
    let new_eps = new.endpoint_index();
    let new_by_key: BTreeMap<&str, usize> = new
        .resources
        .iter()
        .enumerate()
        .map(|(i, r)| (r.key.as_str(), i))
        .rev()
        .collect();
    let mut matched_new: BTreeSet<usize> = BTreeSet::new();
    // (sort key, changes) per resource
    let mut groups: Vec<(String, Vec<Change>)> = Vec::new();

    for o in &old.resources {
        let Some(&ni) = new_by_key.get(o.key.as_str()) else {
            // not matched by key path: regrouped or removed
            let all_present = !o.endpoints.is_empty()
                && o.endpoints
                    .iter()
                    .all(|e| new_eps.contains_key(e.norm.as_str()));
            let mut cx = Ctx {
                resource: &o.name,
                endpoint: None,
                path: Some(&o.key),
                out: Vec::new(),
            };
            if all_present {
                let owners: BTreeSet<&str> = o
                    .endpoints
                    .iter()
                    .filter_map(|e| new_eps.get(e.norm.as_str()))
                    .filter_map(|(ri, _)| new.resources.get(*ri))
                    .map(|r| r.name.as_str())
                    .collect();
                cx.push(
                    Severity::Additive,
                    ChangeKind::Regrouped,
                    Target::Resource,
                    None,
                    None,
                    format!(
                        "resource no longer stands alone; its endpoints are now under {}",
                        owners.into_iter().collect::<Vec<_>>().join(", ")
                    ),
                );
                for e in &o.endpoints {
                    let found = new_eps.get(e.norm.as_str()).and_then(|(ri, ei)| {
                        new.resources.get(*ri).and_then(|r| r.endpoints.get(*ei))
                    });
                    if let Some(ne) = found {
                        let mut ecx = Ctx {
                            resource: &o.name,
                            endpoint: Some(&e.name),
                            path: Some(&e.path),
                            out: Vec::new(),
                        };
                        compare_endpoint(&mut ecx, e, ne);
                        cx.out.extend(ecx.out);
                    }
                }
            } else {
                cx.push(
                    Severity::Breaking,
                    ChangeKind::Removed,
                    Target::Resource,
                    None,
                    None,
                    "resource removed".into(),
                );
            }
            groups.push((o.key.clone(), cx.out));
            continue;
        };
        matched_new.insert(ni);
        let Some(n) = new.resources.get(ni) else {
            continue;
        };
        let mut cx = Ctx {
            resource: &n.name,
            endpoint: None,
            path: Some(&n.key),
            out: Vec::new(),
        };
        if o.name != n.name {
            cx.push(
                Severity::Additive,
                ChangeKind::Renamed,
                Target::Resource,
                None,
                None,
                format!(
                    "resource renamed from {} to {} (same paths; generated Rust names change)",
                    o.name, n.name
                ),
            );
        }
        let fields_known = !o.fields_unknown && !n.fields_unknown;
        if !fields_known {
            // nothing to compare
        } else if o.extensible && !n.extensible {
            cx.push(
                Severity::Breaking,
                ChangeKind::Changed,
                Target::Resource,
                None,
                None,
                "no longer extensible (user-defined fields dropped)".into(),
            );
        } else if !o.extensible && n.extensible {
            cx.push(
                Severity::Additive,
                ChangeKind::Changed,
                Target::Resource,
                None,
                None,
                "now extensible (carries user-defined fields)".into(),
            );
        }
        cx.path = None;
        if fields_known {
            compare_fields(&mut cx, "", &o.fields, &n.fields);
        }
        // endpoints of the old resource
        for e in &o.endpoints {
            let mut ecx = Ctx {
                resource: &n.name,
                endpoint: Some(&e.name),
                path: Some(&e.path),
                out: Vec::new(),
            };
            match new_eps.get(e.norm.as_str()) {
                None => ecx.push(
                    Severity::Breaking,
                    ChangeKind::Removed,
                    Target::Endpoint,
                    None,
                    None,
                    format!(
                        "endpoint removed (was {})",
                        e.methods
                            .iter()
                            .map(|m| m.to_uppercase())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
                Some((ri, ei)) => {
                    let Some(nr) = new.resources.get(*ri) else {
                        continue;
                    };
                    let Some(ne) = nr.endpoints.get(*ei) else {
                        continue;
                    };
                    if *ri != ni {
                        ecx.push(
                            Severity::Additive,
                            ChangeKind::Regrouped,
                            Target::Endpoint,
                            None,
                            None,
                            format!(
                                "endpoint now belongs to resource {} as `{}`",
                                nr.name, ne.name
                            ),
                        );
                    }
                    compare_endpoint(&mut ecx, e, ne);
                }
            }
            cx.out.extend(ecx.out);
        }
        // endpoints only in the new resource
        added_endpoints(n, &old_eps, &mut cx.out);
        groups.push((n.key.clone(), cx.out));
    }

    // new resources not matched by key path
    for (ni, n) in new.resources.iter().enumerate() {
        if matched_new.contains(&ni) {
            continue;
        }
        let any_old = n
            .endpoints
            .iter()
            .any(|e| old_eps.contains_key(e.norm.as_str()));
        let mut cx = Ctx {
            resource: &n.name,
            endpoint: None,
            path: Some(&n.key),
            out: Vec::new(),
        };
        if !any_old {
            cx.push(
                Severity::Additive,
                ChangeKind::Added,
                Target::Resource,
                None,
                None,
                format!(
                    "resource added ({} endpoint(s), {} field(s))",
                    n.endpoints.len(),
                    n.fields.len()
                ),
            );
        } else {
            // it gathers endpoints that existed elsewhere; report only the new ones
            added_endpoints(n, &old_eps, &mut cx.out);
        }
        groups.push((n.key.clone(), cx.out));
    }

    groups.sort_by(|a, b| a.0.cmp(&b.0));
    let mut changes = Vec::new();
    for (_, mut g) in groups {
        // stable: breaking first, otherwise in the order found
        g.sort_by_key(|c| c.severity);
        changes.extend(g);
    }
    Diff { changes }
}

/// Reports each endpoint of `n` whose normalized path the old document lacks as added.
fn added_endpoints(n: &Res, old_eps: &BTreeMap<&str, (usize, usize)>, out: &mut Vec<Change>) {
    for e in n
        .endpoints
        .iter()
        .filter(|e| !old_eps.contains_key(e.norm.as_str()))
    {
        let mut ecx = Ctx {
            resource: &n.name,
            endpoint: Some(&e.name),
            path: Some(&e.path),
            out: Vec::new(),
        };
        ecx.push(
            Severity::Additive,
            ChangeKind::Added,
            Target::Endpoint,
            None,
            None,
            format!("endpoint added ({})", methods_text(&e.methods)),
        );
        out.extend(ecx.out);
    }
}

fn methods_text(m: &BTreeSet<String>) -> String {
    if m.is_empty() {
        return "no methods".into();
    }
    m.iter()
        .map(|x| x.to_uppercase())
        .collect::<Vec<_>>()
        .join(", ")
}

fn compare_endpoint(cx: &mut Ctx<'_>, o: &Ep, n: &Ep) {
    // a side whose method list is marked incomplete cannot show a removal
    // (new side) or an addition (old side)
    let removals: Vec<&String> = if n.methods_incomplete {
        Vec::new()
    } else {
        o.methods.difference(&n.methods).collect()
    };
    let additions: Vec<&String> = if o.methods_incomplete {
        Vec::new()
    } else {
        n.methods.difference(&o.methods).collect()
    };
    for m in removals {
        cx.push(
            Severity::Breaking,
            ChangeKind::Removed,
            Target::Method,
            Some(m),
            None,
            "method removed".into(),
        );
    }
    for m in additions {
        cx.push(
            Severity::Additive,
            ChangeKind::Added,
            Target::Method,
            Some(m),
            None,
            "method added".into(),
        );
    }
    if let Some((a, b)) = o
        .returns
        .as_ref()
        .zip(n.returns.as_ref())
        .filter(|(a, b)| a != b)
    {
        cx.push(
            Severity::Breaking,
            ChangeKind::Changed,
            Target::Endpoint,
            None,
            None,
            format!("response resource changed from {a} to {b}"),
        );
    }
    if let Some((a, b)) = o.paginated.zip(n.paginated).filter(|(a, b)| a != b) {
        cx.push(
            Severity::Breaking,
            ChangeKind::Changed,
            Target::Endpoint,
            None,
            None,
            format!("paginated changed from {a} to {b}"),
        );
    }
    if let Some((a, b)) = o.status.zip(n.status).filter(|(a, b)| a != b) {
        cx.push(
            Severity::Breaking,
            ChangeKind::Changed,
            Target::Endpoint,
            None,
            None,
            format!("success status changed from {a} to {b}"),
        );
    }
    for (what, a, b) in [
        ("query field", &o.query_fields, &n.query_fields),
        ("order field", &o.order_fields, &n.order_fields),
    ] {
        // compared when both documents declare the list
        let (Some(a), Some(b)) = (a, b) else {
            continue;
        };
        for x in a.difference(b) {
            cx.push(
                Severity::Breaking,
                ChangeKind::Removed,
                Target::Endpoint,
                None,
                None,
                format!("{what} `{x}` removed"),
            );
        }
        for x in b.difference(a) {
            cx.push(
                Severity::Additive,
                ChangeKind::Added,
                Target::Endpoint,
                None,
                None,
                format!("{what} `{x}` added"),
            );
        }
    }
    // request-body fields of custom endpoints (list/detail fields are compared
    // per resource)
    let standard = matches!(o.name.as_str(), "list" | "detail");
    if let (false, Some(a), Some(b)) = (standard, &o.fields, &n.fields) {
        compare_fields(cx, "", a, b);
    }
}

fn describe(f: &FieldInfo) -> String {
    let mut s = f.ty.clone();
    if f.read_only {
        s.push_str(", read-only");
    } else if f.required {
        s.push_str(", required");
    } else {
        s.push_str(", optional");
    }
    if f.write_only {
        s.push_str(", write-only");
    }
    s
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

fn choice_text(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}

fn compare_fields(
    cx: &mut Ctx<'_>,
    prefix: &str,
    old: &BTreeMap<String, FieldInfo>,
    new: &BTreeMap<String, FieldInfo>,
) {
    for (name, o) in old {
        let full = format!("{prefix}{name}");
        match new.get(name) {
            None => cx.push(
                Severity::Breaking,
                ChangeKind::Removed,
                Target::Field,
                None,
                Some(&full),
                format!("field removed (was {})", describe(o)),
            ),
            Some(n) => compare_field(cx, &full, o, n),
        }
    }
    for (name, n) in new {
        if old.contains_key(name) {
            continue;
        }
        let full = format!("{prefix}{name}");
        let breaking = n.required && !n.read_only;
        cx.push(
            if breaking {
                Severity::Breaking
            } else {
                Severity::Additive
            },
            ChangeKind::Added,
            Target::Field,
            None,
            Some(&full),
            if breaking {
                format!(
                    "new required field ({}): creates without it fail",
                    describe(n)
                )
            } else {
                format!("field added ({})", describe(n))
            },
        );
    }
}

fn compare_field(cx: &mut Ctx<'_>, name: &str, o: &FieldInfo, n: &FieldInfo) {
    let mut push = |sev: Severity, detail: String| {
        cx.push(
            sev,
            ChangeKind::Changed,
            Target::Field,
            None,
            Some(name),
            detail,
        );
    };
    use Severity::{Additive, Breaking};
    if o.inferred || n.inferred {
        // attributes guessed from sample values (discover): only presence counts
        return;
    }
    if o.ty != n.ty {
        push(Breaking, format!("type changed from {} to {}", o.ty, n.ty));
    }
    let writable = !n.read_only;
    if !o.required && n.required && writable {
        push(Breaking, "optional → required on create".into());
    } else if o.required && !n.required && !o.read_only {
        push(Additive, "required → optional".into());
    }
    if !o.read_only && n.read_only {
        push(
            Breaking,
            "writable → read-only: writes setting it fail".into(),
        );
    } else if o.read_only && !n.read_only {
        push(Additive, "read-only → writable".into());
    }
    if !o.write_only && n.write_only {
        push(Breaking, "now write-only: no longer returned".into());
    } else if o.write_only && !n.write_only {
        push(Additive, "no longer write-only: now returned".into());
    }
    if let Some((a, b)) = o.primary_key.zip(n.primary_key).filter(|(a, b)| a != b) {
        push(Additive, format!("primary_key changed from {a} to {b}"));
    }
    match (o.max_length, n.max_length) {
        (Some(a), Some(b)) if b < a => push(
            Breaking,
            format!("max_length lowered from {} to {}", fmt_num(a), fmt_num(b)),
        ),
        (Some(a), Some(b)) if b > a => push(
            Additive,
            format!("max_length raised from {} to {}", fmt_num(a), fmt_num(b)),
        ),
        (None, Some(b)) => push(Breaking, format!("max_length {} introduced", fmt_num(b))),
        (Some(a), None) => push(Additive, format!("max_length {} lifted", fmt_num(a))),
        _ => {}
    }
    match (o.max_value, n.max_value) {
        (Some(a), Some(b)) if b < a => push(
            Breaking,
            format!("max_value lowered from {} to {}", fmt_num(a), fmt_num(b)),
        ),
        (Some(a), Some(b)) if b > a => push(
            Additive,
            format!("max_value raised from {} to {}", fmt_num(a), fmt_num(b)),
        ),
        (None, Some(b)) => push(Breaking, format!("max_value {} introduced", fmt_num(b))),
        (Some(a), None) => push(Additive, format!("max_value {} lifted", fmt_num(a))),
        _ => {}
    }
    for (what, a, b) in [
        ("min_length", o.min_length, n.min_length),
        ("min_value", o.min_value, n.min_value),
    ] {
        match (a, b) {
            (Some(a), Some(b)) if b > a => push(
                Breaking,
                format!("{what} raised from {} to {}", fmt_num(a), fmt_num(b)),
            ),
            (Some(a), Some(b)) if b < a => push(
                Additive,
                format!("{what} lowered from {} to {}", fmt_num(a), fmt_num(b)),
            ),
            (None, Some(b)) => push(Breaking, format!("{what} {} introduced", fmt_num(b))),
            (Some(a), None) => push(Additive, format!("{what} {} lifted", fmt_num(a))),
            _ => {}
        }
    }
    // choices, by value
    let removed: Vec<String> = o
        .choices
        .iter()
        .filter(|(v, _)| !n.choices.iter().any(|(w, _)| w == v))
        .map(|(v, _)| choice_text(v))
        .collect();
    let added: Vec<String> = n
        .choices
        .iter()
        .filter(|(v, _)| !o.choices.iter().any(|(w, _)| w == v))
        .map(|(v, _)| choice_text(v))
        .collect();
    if !removed.is_empty() {
        push(
            Breaking,
            format!("choices narrowed: {} removed", removed.join(", ")),
        );
    }
    if !added.is_empty() {
        push(
            Additive,
            format!("choices widened: {} added", added.join(", ")),
        );
    }
    for (v, label) in &o.choices {
        if let Some((_, l2)) = n.choices.iter().find(|(w, _)| w == v)
            && l2 != label
            && !label.is_empty()
            && !l2.is_empty()
        {
            push(
                Additive,
                format!(
                    "display name of choice {} changed from {label:?} to {l2:?}",
                    choice_text(v)
                ),
            );
        }
    }
    // links of a `links` field
    if o.ty == "links" && n.ty == "links" {
        for l in o.links.difference(&n.links) {
            push(Breaking, format!("link `{l}` removed"));
        }
        for l in n.links.difference(&o.links) {
            push(Additive, format!("link `{l}` added"));
        }
    }
    if let Some((a, b)) = o
        .label
        .as_ref()
        .zip(n.label.as_ref())
        .filter(|(a, b)| a != b)
    {
        push(Additive, format!("label changed from {a:?} to {b:?}"));
    }
    if let Some((a, b)) = o
        .default
        .as_ref()
        .zip(n.default.as_ref())
        .filter(|(a, b)| a != b)
    {
        push(Additive, format!("default changed from {a} to {b}"));
    }
    if o.ty == "object" && n.ty == "object" {
        compare_fields(cx, &format!("{name}."), &o.sub, &n.sub);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!([
            {
                "name": "Class",
                "properties": {
                    "name": {"type": "string", "required": true, "max_length": 64, "primary_key": true},
                    "description": {"type": "string", "required": false},
                    "other_permissions": {"type": "choice", "required": false, "choices": [
                        {"value": "none", "display_name": "None"},
                        {"value": "read", "display_name": "Read"},
                        {"value": "create_objects", "display_name": "Create objects"}
                    ]},
                    "objects_count": {"type": "integer", "read_only": true},
                    "links": {"type": "links", "read_only": true,
                              "links": [{"type": "detail", "name": "self"}, {"type": "list", "name": "objects"}]}
                },
                "endpoints": {
                    "list": {"path": "/v1.1/instances/{instance}/classes/", "methods": ["get", "post"],
                             "properties": ["instance"]},
                    "detail": {"path": "/v1.1/instances/{instance}/classes/{name}/",
                               "methods": ["get", "put", "patch", "delete"], "properties": ["instance", "name"]}
                }
            },
            {
                "name": "Instance",
                "properties": {"name": {"type": "string", "required": true}},
                "endpoints": {
                    "list": {"path": "/v1.1/instances/", "methods": ["get", "post"], "properties": []},
                    "detail": {"path": "/v1.1/instances/{name}/", "methods": ["get", "patch", "delete"],
                               "properties": ["name"]},
                    "rename": {"path": "/v1.1/instances/{name}/rename/", "methods": ["post"],
                               "properties": ["name"], "fields": {"new_name": {"type": "string", "required": true}}}
                }
            }
        ])
    }

    fn run(old: &Value, new: &Value) -> Diff {
        match diff_values(old, "old", new, "new") {
            Ok(d) => d,
            Err(e) => panic!("diff failed: {e}"),
        }
    }

    fn field_mut<'a>(doc: &'a mut Value, res: usize, field: &str) -> &'a mut Value {
        &mut doc[res]["properties"][field]
    }

    fn only(d: &Diff) -> &Change {
        assert_eq!(
            d.changes.len(),
            1,
            "expected exactly one change, got {:#?}",
            d.changes
        );
        &d.changes[0]
    }

    #[test]
    fn identical_documents_have_no_changes() {
        let d = run(&base(), &base());
        assert!(d.is_empty());
        assert!(!d.is_breaking());
        assert_eq!(d.to_text(), "No differences.\n");
    }

    #[test]
    fn renamed_parameters_and_names_still_match_by_path() {
        let mut new = base();
        new[0]["endpoints"]["detail"]["path"] = json!("/v1.1/instances/{i}/classes/{class_name}/");
        new[0]["name"] = json!("DataClass");
        let d = run(&base(), &new);
        let c = only(&d);
        assert_eq!(c.kind, ChangeKind::Renamed);
        assert_eq!(c.severity, Severity::Additive);
        assert_eq!(c.resource, "DataClass");
    }

    #[test]
    fn resource_added_is_additive() {
        let mut new = base();
        if let Some(a) = new.as_array_mut() {
            a.push(json!({"name": "Group", "properties": {"label": {"type": "string"}},
                "endpoints": {"list": {"path": "/v1.1/instances/{instance}/groups/", "methods": ["get"]}}}));
        }
        let d = run(&base(), &new);
        let c = only(&d);
        assert_eq!(
            (c.severity, c.kind, c.target),
            (Severity::Additive, ChangeKind::Added, Target::Resource)
        );
        assert_eq!(c.resource, "Group");
        assert!(!d.is_breaking());
    }

    #[test]
    fn resource_removed_is_breaking() {
        let mut new = base();
        if let Some(a) = new.as_array_mut() {
            a.remove(0);
        }
        let d = run(&base(), &new);
        let c = only(&d);
        assert_eq!(
            (c.severity, c.kind, c.target),
            (Severity::Breaking, ChangeKind::Removed, Target::Resource)
        );
        assert_eq!(c.resource, "Class");
    }

    #[test]
    fn field_removed_is_breaking() {
        let mut new = base();
        if let Some(p) = new[0]["properties"].as_object_mut() {
            p.remove("description");
        }
        let d = run(&base(), &new);
        let c = only(&d);
        assert_eq!(
            (c.severity, c.kind, c.target),
            (Severity::Breaking, ChangeKind::Removed, Target::Field)
        );
        assert_eq!(c.field.as_deref(), Some("description"));
        assert!(d.is_breaking());
    }

    #[test]
    fn optional_field_added_is_additive_but_required_writable_is_breaking() {
        let mut new = base();
        field_mut(&mut new, 0, "metadata").clone_from(&json!({"type": "field", "required": false}));
        let d = run(&base(), &new);
        assert_eq!(only(&d).severity, Severity::Additive);
        field_mut(&mut new, 0, "metadata").clone_from(&json!({"type": "field", "required": true}));
        let d = run(&base(), &new);
        assert_eq!(only(&d).severity, Severity::Breaking);
    }

    #[test]
    fn type_change_is_breaking() {
        let mut new = base();
        field_mut(&mut new, 0, "objects_count")["type"] = json!("string");
        let d = run(&base(), &new);
        let c = only(&d);
        assert_eq!(
            (c.severity, c.kind),
            (Severity::Breaking, ChangeKind::Changed)
        );
        assert_eq!(c.detail, "type changed from integer to string");
    }

    #[test]
    fn optional_to_required_is_breaking_and_back_is_additive() {
        let mut new = base();
        field_mut(&mut new, 0, "description")["required"] = json!(true);
        let d = run(&base(), &new);
        let c = only(&d);
        assert_eq!(c.severity, Severity::Breaking);
        assert_eq!(c.detail, "optional → required on create");
        let d = run(&new, &base());
        assert_eq!(only(&d).severity, Severity::Additive);
    }

    #[test]
    fn narrowed_choices_are_breaking_widened_additive() {
        let mut new = base();
        if let Some(a) = field_mut(&mut new, 0, "other_permissions")["choices"].as_array_mut() {
            a.pop();
        }
        let d = run(&base(), &new);
        let c = only(&d);
        assert_eq!(c.severity, Severity::Breaking);
        assert!(c.detail.contains("\"create_objects\""), "{}", c.detail);
        let d = run(&new, &base());
        assert_eq!(only(&d).severity, Severity::Additive);
    }

    #[test]
    fn method_removed_is_breaking_added_is_additive() {
        let mut new = base();
        new[0]["endpoints"]["detail"]["methods"] = json!(["get", "patch", "delete"]);
        let d = run(&base(), &new);
        let c = only(&d);
        assert_eq!((c.severity, c.target), (Severity::Breaking, Target::Method));
        assert_eq!(c.method.as_deref(), Some("put"));
        assert_eq!(c.endpoint.as_deref(), Some("detail"));
        let d = run(&new, &base());
        assert_eq!(only(&d).severity, Severity::Additive);
    }

    #[test]
    fn endpoint_removed_is_breaking() {
        let mut new = base();
        if let Some(e) = new[1]["endpoints"].as_object_mut() {
            e.remove("rename");
        }
        let d = run(&base(), &new);
        let c = only(&d);
        assert_eq!(
            (c.severity, c.kind, c.target),
            (Severity::Breaking, ChangeKind::Removed, Target::Endpoint)
        );
        assert_eq!(c.endpoint.as_deref(), Some("rename"));
    }

    #[test]
    fn read_only_and_max_length_rules() {
        let mut new = base();
        field_mut(&mut new, 0, "description")["read_only"] = json!(true);
        field_mut(&mut new, 0, "name")["max_length"] = json!(32);
        let d = run(&base(), &new);
        assert_eq!(d.changes.len(), 2, "{:#?}", d.changes);
        assert!(d.changes.iter().all(|c| c.severity == Severity::Breaking));
        // the other way round: writable again, longer names allowed
        let d = run(&new, &base());
        assert_eq!(d.changes.len(), 2);
        assert!(d.changes.iter().all(|c| c.severity == Severity::Additive));
    }

    #[test]
    fn custom_endpoint_body_fields_are_compared() {
        let mut new = base();
        new[1]["endpoints"]["rename"]["fields"]["new_name"]["max_length"] = json!(10);
        let d = run(&base(), &new);
        let c = only(&d);
        assert_eq!(c.endpoint.as_deref(), Some("rename"));
        assert_eq!(c.field.as_deref(), Some("new_name"));
        assert_eq!(c.severity, Severity::Breaking);
    }

    #[test]
    fn shape_a_and_shape_b_compare_equal() {
        let mut new = base();
        let props = new[0]["properties"].clone();
        if let Some(o) = new[0].as_object_mut() {
            o.remove("properties");
        }
        new[0]["endpoints"]["list"]["fields"] = props.clone();
        new[0]["endpoints"]["detail"]["fields"] = props;
        assert!(run(&base(), &new).is_empty());
    }

    #[test]
    fn regrouped_endpoints_are_not_removals() {
        // a document that puts `rename` under its own resource
        let mut new = base();
        let rename = new[1]["endpoints"]["rename"].clone();
        if let Some(e) = new[1]["endpoints"].as_object_mut() {
            e.remove("rename");
        }
        if let Some(a) = new.as_array_mut() {
            a.push(json!({"name": "InstanceRename", "endpoints": {"list": rename}}));
        }
        let d = run(&base(), &new);
        assert!(!d.is_breaking(), "{d}");
        assert!(d.changes.iter().any(|c| c.kind == ChangeKind::Regrouped));
    }

    #[test]
    fn nested_object_fields_are_compared() {
        let old = json!([{"name": "Coupon", "properties": {
            "owner": {"email": {"type": "email"}, "id": {"type": "integer"}}},
            "endpoints": {"list": {"path": "/v1/coupons/", "methods": ["get"]}}}]);
        let new = json!([{"name": "Coupon", "properties": {
            "owner": {"type": "object", "fields": {"email": {"type": "email"}}}},
            "endpoints": {"list": {"path": "/v1/coupons/", "methods": ["get"]}}}]);
        let d = run(&old, &new);
        let c = only(&d);
        assert_eq!(c.field.as_deref(), Some("owner.id"));
        assert_eq!(c.kind, ChangeKind::Removed);
    }

    #[test]
    fn reports_are_readable_and_json_is_structured() {
        let mut new = base();
        field_mut(&mut new, 0, "objects_count")["type"] = json!("string");
        if let Some(a) = new.as_array_mut() {
            a.push(json!({"name": "Group", "endpoints": {"list": {"path": "/v1.1/instances/{i}/groups/", "methods": ["get"]}}}));
        }
        let d = run(&base(), &new);
        let text = d.to_text();
        assert!(
            text.contains(
                "Class\n  BREAKING  field `objects_count`: type changed from integer to string\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "Group\n  additive  resource (/v1.1/instances/{}/groups/): resource added"
            ),
            "{text}"
        );
        assert!(
            text.ends_with("1 breaking, 1 additive change(s).\n"),
            "{text}"
        );
        let j = d.to_json();
        assert_eq!(j["breaking"], json!(true));
        assert_eq!(j["summary"], json!({"breaking": 1, "additive": 1}));
        assert_eq!(j["changes"][0]["severity"], json!("breaking"));
        assert_eq!(j["changes"][0]["field"], json!("objects_count"));
    }

    #[test]
    fn malformed_documents_are_errors() {
        assert!(matches!(
            diff_str("{", "a", "[]", "b"),
            Err(DiffError::Json { .. })
        ));
        assert!(matches!(
            diff_str("{}", "a", "[]", "b"),
            Err(DiffError::Shape { .. })
        ));
        assert!(matches!(
            diff_str(
                "[{\"name\": \"X\", \"endpoints\": {\"list\": {}}}]",
                "a",
                "[]",
                "b"
            ),
            Err(DiffError::Shape { .. })
        ));
    }

    #[test]
    fn inferred_fields_and_unknown_fields_limit_the_comparison() {
        let mut new = base();
        new[0]["properties"]["objects_count"] =
            json!({"type": "string", "inferred": true, "read_only": true});
        assert!(run(&base(), &new).is_empty());
        if let Some(p) = new[0]["properties"].as_object_mut() {
            p.remove("objects_count");
        }
        assert_eq!(only(&run(&base(), &new)).kind, ChangeKind::Removed);
        new[0]["fields_unknown"] = json!(true);
        if let Some(o) = new[0].as_object_mut() {
            o.remove("properties");
        }
        assert!(run(&base(), &new).is_empty());
    }

    #[test]
    fn incomplete_method_lists_show_no_removals() {
        let mut new = base();
        new[0]["endpoints"]["detail"]["methods"] = json!(["get", "put"]);
        new[0]["endpoints"]["detail"]["methods_incomplete"] = json!(true);
        assert!(run(&base(), &new).is_empty());
        new[0]["endpoints"]["detail"]["methods"] = json!(["get", "put", "patch", "delete", "post"]);
        let d = run(&base(), &new);
        assert_eq!(only(&d).method.as_deref(), Some("post"));
    }

    #[test]
    fn query_and_order_fields_are_compared_when_both_declare_them() {
        let mut old = base();
        old[0]["endpoints"]["list"]["query_fields"] = json!(["name", "description"]);
        let mut new = old.clone();
        new[0]["endpoints"]["list"]["query_fields"] = json!(["name"]);
        let d = run(&old, &new);
        let c = only(&d);
        assert_eq!(c.severity, Severity::Breaking);
        assert_eq!(c.detail, "query field `description` removed");
        // not declared on one side: nothing to compare
        assert!(run(&old, &base()).is_empty());
    }

    #[test]
    fn normalize_path_blanks_parameters() {
        assert_eq!(
            normalize_path("/v1.1/instances/{instance}/classes/{name}/"),
            "/v1.1/instances/{}/classes/{}/"
        );
        assert_eq!(normalize_path("/v1.1/account"), "/v1.1/account/");
    }
}
