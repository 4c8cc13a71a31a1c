//! Comparing two schema documents: what changed between an old and a new API
//! description, and whether each change breaks Rust code built on the crate
//! generated from the old one.
//!
//! Both documents are read by the reader the build uses ([`crate::schema::parse`]:
//! parsed and validated), so `diff` accepts exactly the documents the build
//! accepts and sees the same fields, types and merges the generated code is made
//! from.
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
//!   `status` (each only when both documents declare it: a document built by
//!   `discover` cannot know them), `query_fields`, `order_fields` (only when both
//!   lists are non-empty, for the same reason);
//! - the fields of a resource, merged as the model merges them
//!   ([`crate::schema::Resource::fields`]);
//! - the `fields` declared on a custom endpoint (its request body), when both
//!   documents declare them;
//! - per field: presence, type (nested objects recursively), `required`,
//!   `read_only`, `write_only`, `primary_key`, `choices`, `max_length`,
//!   `min_length`, `min_value`, `max_value`, `links`, and — only when both
//!   documents declare them — `label`, `default`;
//! - the order in which the document lists the required fields each generated
//!   constructor takes (a resource's create payload, a custom endpoint's
//!   request, a nested object).
//!
//! Descriptions are not compared. Three ext keys written by `discover` limit the
//! comparison to what is known: a field with `"inferred": true` (its attributes
//! were guessed from sample values) is compared by presence only, a resource
//! with `"fields_unknown": true` has its fields and `extensible` not compared,
//! and an endpoint with `"methods_incomplete": true` cannot show removed methods
//! (when new) or added ones (when old).
//!
//! # Breaking
//! A change is *breaking* when Rust code that compiles and works against the
//! crate generated from the old document can fail to compile or fail at run time
//! against the one generated from the new document. Every generated model,
//! payload, links and nested struct is `#[non_exhaustive]` (code reads their
//! fields but never writes struct literals) and every choice enum is too, so
//! **new optional fields, choice values, links, methods, endpoints and resources
//! are additive**. Payloads are built with `XCreate::new(required…)`, whose
//! arguments are the required writable fields **in the order the document lists
//! them**, plus one setter per optional field. So these are breaking:
//! - removal of a resource, endpoint, method, field, choice, query or order
//!   field or link;
//! - a field type change;
//! - a new required writable field, a field that becomes required or stops being
//!   required, a read-only field that becomes writable and required (each
//!   changes a constructor's arguments, or a model field between `T` and
//!   `Option<T>`), and two required fields listed in another order (the
//!   constructor's arguments swap, which may still compile);
//! - a writable field that becomes read-only; a returned field that becomes
//!   write-only;
//! - a lowered `max_length` / `max_value` or raised `min_length` / `min_value`
//!   (requests valid before are refused);
//! - a changed `returns`, `paginated` or `status`;
//! - a resource that becomes or stops being extensible (its types gain or lose
//!   the user-defined-fields parameter, its constructor the `data` argument).
//!
//! Everything else is *additive*. A resource whose name changed while its paths
//! stayed is reported as renamed (additive: the API is the same, but the
//! generated Rust type names follow the new name). A change of `primary_key`
//! alone is reported as additive although it can turn a model field between `T`
//! and `Option<T>`: a document built by `discover` marks primary keys only where
//! records show them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::schema::{
    self, ChoiceValue, Endpoint, Field, FieldType, HttpMethod, Resource, Schema, SchemaError,
};

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

/// Compares two documents given as text; the names name them in messages.
///
/// # Errors
/// When either does not parse or validate as a schema document (the build's
/// message, see [`crate::schema::parse`]).
pub fn diff_str(old: &str, old_name: &str, new: &str, new_name: &str) -> Result<Diff, SchemaError> {
    let o = schema::parse(old, old_name)?;
    let n = schema::parse(new, new_name)?;
    Ok(diff(&o, &n))
}

/// Compares two documents already read as JSON.
///
/// # Errors
/// As [`diff_str`].
pub fn diff_values(
    old: &Value,
    old_name: &str,
    new: &Value,
    new_name: &str,
) -> Result<Diff, SchemaError> {
    let o = schema::parse_value(old, old_name)?;
    let n = schema::parse_value(new, new_name)?;
    Ok(diff(&o, &n))
}

/// Compares two schema models.
pub fn diff(old: &Schema, new: &Schema) -> Diff {
    compare(&Doc::new(old), &Doc::new(new))
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
// the comparable view of a schema: endpoints keyed by normalized path

struct Ep<'a> {
    e: &'a Endpoint,
    norm: String,
}

struct Res<'a> {
    r: &'a Resource,
    /// Sorted by normalized path, then name.
    endpoints: Vec<Ep<'a>>,
    key: String,
}

struct Doc<'a> {
    resources: Vec<Res<'a>>,
    /// Some field of the document is a primary key.
    marks_keys: bool,
}

impl<'a> Doc<'a> {
    fn new(schema: &'a Schema) -> Doc<'a> {
        let mut resources: Vec<Res<'a>> = schema
            .resources
            .iter()
            .map(|r| {
                let mut endpoints: Vec<Ep<'a>> = r
                    .endpoints
                    .iter()
                    .map(|e| Ep {
                        e,
                        norm: normalize_path(&e.path),
                    })
                    .collect();
                endpoints.sort_by(|a, b| a.norm.cmp(&b.norm).then(a.e.name.cmp(&b.e.name)));
                let key = r
                    .list()
                    .or_else(|| r.detail())
                    .map(|e| normalize_path(&e.path))
                    .or_else(|| endpoints.first().map(|e| e.norm.clone()))
                    .unwrap_or_else(|| format!("<no endpoints: {}>", r.name));
                Res { r, endpoints, key }
            })
            .collect();
        resources.sort_by(|a, b| a.key.cmp(&b.key).then(a.r.name.cmp(&b.r.name)));
        let marks_keys = schema
            .resources
            .iter()
            .flat_map(|r| &r.fields)
            .any(|f| f.primary_key);
        Doc {
            resources,
            marks_keys,
        }
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

/// The names of the fields `XCreate::new` takes, in document order: the
/// required writable fields of the fields the create payload is made from
/// (the `list` endpoint's own fields, else `detail`'s, else the resource's, as
/// `emit::resource` picks them); none when the resource cannot be created.
fn create_arguments(r: &Resource) -> Vec<&str> {
    let (list, detail) = (r.list(), r.detail());
    let creates = list.is_some_and(|l| l.allows(HttpMethod::Post))
        || detail.is_some_and(|d| d.allows(HttpMethod::Put) || d.allows(HttpMethod::Post));
    if !creates {
        return Vec::new();
    }
    let source: &[Field] = match list.or(detail).and_then(|e| e.fields.as_deref()) {
        Some(fields) if !fields.is_empty() => fields,
        _ => &r.fields,
    };
    arguments(source, |f| !f.read_only && f.required)
}

/// The names of `fields` for which `takes` holds, in the model's order: the
/// document's for resource and endpoint fields, the name order for a nested
/// object's sub-fields — the order the generated constructors take them in.
fn arguments(fields: &[Field], takes: impl Fn(&Field) -> bool) -> Vec<&str> {
    fields
        .iter()
        .filter(|f| takes(f))
        .map(|f| f.name.as_str())
        .collect()
}

/// The names of the fields a custom endpoint's request `new` takes, in document
/// order (none when the endpoint sends no body, so has no request struct).
fn request_arguments(e: &Endpoint) -> Vec<&str> {
    let sends_body = e
        .methods
        .iter()
        .any(|m| matches!(m, HttpMethod::Post | HttpMethod::Put | HttpMethod::Patch));
    match &e.fields {
        Some(fields) if sends_body => arguments(fields, |f| !f.read_only && f.required),
        _ => Vec::new(),
    }
}

/// The names of the sub-fields a nested struct's `new` takes (the model keeps
/// sub-fields in name order, so their listing order never changes it).
fn nested_arguments(subs: &[Field]) -> Vec<&str> {
    arguments(subs, |f| f.required || f.primary_key)
}

/// The arguments of the constructor of the struct a list of fields makes, in
/// the old and in the new document (field names, in the constructor's order).
struct Args<'x> {
    /// What it is, for messages (`the create payload's `new``).
    what: &'static str,
    old: Vec<&'x str>,
    new: Vec<&'x str>,
}

impl Args<'_> {
    /// Whether the field `name` is an argument in the old / the new document.
    fn takes(&self, name: &str) -> (bool, bool) {
        (self.old.contains(&name), self.new.contains(&name))
    }
}

/// When the arguments both lists share come in another order: both orders.
fn reordered<'n>(old: &[&'n str], new: &[&'n str]) -> Option<(Vec<&'n str>, Vec<&'n str>)> {
    let o: Vec<&str> = old.iter().filter(|x| new.contains(x)).copied().collect();
    let n: Vec<&str> = new.iter().filter(|x| old.contains(x)).copied().collect();
    (o != n).then_some((o, n))
}

/// Reports a reordering of a constructor's arguments.
fn check_order(cx: &mut Ctx<'_>, target: Target, field: Option<&str>, args: &Args<'_>) {
    let what = args.what;
    if let Some((o, n)) = reordered(&args.old, &args.new) {
        let list = |v: &[&str]| {
            v.iter()
                .map(|x| format!("`{x}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        cx.push(
            Severity::Breaking,
            ChangeKind::Changed,
            target,
            None,
            field,
            format!(
                "required fields reordered from {} to {}: {what} takes them in the document's order",
                list(&o),
                list(&n)
            ),
        );
    }
}

// ---------------------------------------------------------------------------
// comparison

struct Ctx<'a> {
    resource: &'a str,
    endpoint: Option<&'a str>,
    path: Option<&'a str>,
    /// Whether `primary_key` is compared: both documents mark primary keys (a
    /// document marking none, like the March 2015 one, does not declare them).
    compare_keys: bool,
    out: Vec<Change>,
}

impl Ctx<'_> {
    fn push(
        &mut self,
        severity: Severity,
        kind: ChangeKind,
        target: Target,
        method: Option<HttpMethod>,
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
            method: method.map(|m| m.as_str().to_owned()),
            field: field.map(str::to_owned),
            detail,
        });
    }
}

fn compare(old: &Doc<'_>, new: &Doc<'_>) -> Diff {
    let compare_keys = old.marks_keys && new.marks_keys;
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
            groups.push((o.key.clone(), unmatched(o, new, &new_eps, compare_keys)));
            continue;
        };
        matched_new.insert(ni);
        let Some(n) = new.resources.get(ni) else {
            continue;
        };
        let mut cx = Ctx {
            resource: &n.r.name,
            endpoint: None,
            path: Some(&n.key),
            compare_keys,
            out: Vec::new(),
        };
        if o.r.name != n.r.name {
            cx.push(
                Severity::Additive,
                ChangeKind::Renamed,
                Target::Resource,
                None,
                None,
                format!(
                    "resource renamed from {} to {} (same paths; generated Rust names change)",
                    o.r.name, n.r.name
                ),
            );
        }
        let fields_known = !o.r.fields_unknown && !n.r.fields_unknown;
        if fields_known && o.r.extensible != n.r.extensible {
            cx.push(
                Severity::Breaking,
                ChangeKind::Changed,
                Target::Resource,
                None,
                None,
                if o.r.extensible {
                    "no longer extensible: user-defined fields dropped, the generated types lose their type parameter".into()
                } else {
                    "now extensible: the generated types gain a type parameter for user-defined fields and `new` a `data` argument".into()
                },
            );
        }
        cx.path = None;
        if fields_known {
            let args = Args {
                what: "the create payload's `new`",
                old: create_arguments(o.r),
                new: create_arguments(n.r),
            };
            compare_fields(&mut cx, "", &o.r.fields, &n.r.fields, &args);
            check_order(&mut cx, Target::Resource, None, &args);
        }
        // endpoints of the old resource
        for e in &o.endpoints {
            let mut ecx = Ctx {
                resource: &n.r.name,
                endpoint: Some(&e.e.name),
                path: Some(&e.e.path),
                compare_keys,
                out: Vec::new(),
            };
            match new_eps.get(e.norm.as_str()) {
                None => ecx.push(
                    Severity::Breaking,
                    ChangeKind::Removed,
                    Target::Endpoint,
                    None,
                    None,
                    format!("endpoint removed (was {})", methods_text(&e.e.methods)),
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
                                nr.r.name, ne.e.name
                            ),
                        );
                    }
                    compare_endpoint(&mut ecx, e.e, ne.e);
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
            resource: &n.r.name,
            endpoint: None,
            path: Some(&n.key),
            compare_keys,
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
                    n.r.fields.len()
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

/// The changes of an old resource whose key path the new document lacks:
/// regrouped when all its endpoints live on elsewhere, else removed.
fn unmatched(
    o: &Res<'_>,
    new: &Doc<'_>,
    new_eps: &BTreeMap<&str, (usize, usize)>,
    compare_keys: bool,
) -> Vec<Change> {
    let all_present = !o.endpoints.is_empty()
        && o.endpoints
            .iter()
            .all(|e| new_eps.contains_key(e.norm.as_str()));
    let mut cx = Ctx {
        resource: &o.r.name,
        endpoint: None,
        path: Some(&o.key),
        compare_keys,
        out: Vec::new(),
    };
    if !all_present {
        cx.push(
            Severity::Breaking,
            ChangeKind::Removed,
            Target::Resource,
            None,
            None,
            "resource removed".into(),
        );
        return cx.out;
    }
    let owners: BTreeSet<&str> = o
        .endpoints
        .iter()
        .filter_map(|e| new_eps.get(e.norm.as_str()))
        .filter_map(|(ri, _)| new.resources.get(*ri))
        .map(|r| r.r.name.as_str())
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
        let found = new_eps
            .get(e.norm.as_str())
            .and_then(|(ri, ei)| new.resources.get(*ri).and_then(|r| r.endpoints.get(*ei)));
        if let Some(ne) = found {
            let mut ecx = Ctx {
                resource: &o.r.name,
                endpoint: Some(&e.e.name),
                path: Some(&e.e.path),
                compare_keys,
                out: Vec::new(),
            };
            compare_endpoint(&mut ecx, e.e, ne.e);
            cx.out.extend(ecx.out);
        }
    }
    cx.out
}

/// Reports each endpoint of `n` whose normalized path the old document lacks as added.
fn added_endpoints(n: &Res<'_>, old_eps: &BTreeMap<&str, (usize, usize)>, out: &mut Vec<Change>) {
    // (no fields compared)
    let compare_keys = false;
    for e in n
        .endpoints
        .iter()
        .filter(|e| !old_eps.contains_key(e.norm.as_str()))
    {
        let mut ecx = Ctx {
            resource: &n.r.name,
            endpoint: Some(&e.e.name),
            path: Some(&e.e.path),
            compare_keys,
            out: Vec::new(),
        };
        ecx.push(
            Severity::Additive,
            ChangeKind::Added,
            Target::Endpoint,
            None,
            None,
            format!("endpoint added ({})", methods_text(&e.e.methods)),
        );
        out.extend(ecx.out);
    }
}

fn methods_text(m: &[HttpMethod]) -> String {
    if m.is_empty() {
        return "no methods".into();
    }
    m.iter().map(|x| x.as_http()).collect::<Vec<_>>().join(", ")
}

fn compare_endpoint(cx: &mut Ctx<'_>, o: &Endpoint, n: &Endpoint) {
    // a side whose method list is marked incomplete cannot show a removal
    // (new side) or an addition (old side)
    if !n.methods_incomplete {
        for m in o.methods.iter().filter(|m| !n.allows(**m)) {
            cx.push(
                Severity::Breaking,
                ChangeKind::Removed,
                Target::Method,
                Some(*m),
                None,
                "method removed".into(),
            );
        }
    }
    if !o.methods_incomplete {
        for m in n.methods.iter().filter(|m| !o.allows(**m)) {
            cx.push(
                Severity::Additive,
                ChangeKind::Added,
                Target::Method,
                Some(*m),
                None,
                "method added".into(),
            );
        }
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
        // compared when both documents list some (discover cannot know them)
        if a.is_empty() || b.is_empty() {
            continue;
        }
        for x in a.iter().filter(|x| !b.contains(x)) {
            cx.push(
                Severity::Breaking,
                ChangeKind::Removed,
                Target::Endpoint,
                None,
                None,
                format!("{what} `{x}` removed"),
            );
        }
        for x in b.iter().filter(|x| !a.contains(x)) {
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
    if let (false, Some(a), Some(b)) = (o.is_standard(), &o.fields, &n.fields) {
        let args = Args {
            what: "the request's `new`",
            old: request_arguments(o),
            new: request_arguments(n),
        };
        compare_fields(cx, "", a, b, &args);
        check_order(cx, Target::Endpoint, None, &args);
    }
}

fn describe(f: &Field) -> String {
    let mut s = f.ty.as_str().to_owned();
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

fn choice_text(v: &ChoiceValue) -> String {
    match v {
        ChoiceValue::Str(s) => format!("\"{s}\""),
        ChoiceValue::Int(i) => i.to_string(),
    }
}

/// Compares the fields of one struct; `args` are its constructor's arguments.
fn compare_fields(cx: &mut Ctx<'_>, prefix: &str, old: &[Field], new: &[Field], args: &Args<'_>) {
    let find = |fields: &'_ [Field], name: &str| -> Option<usize> {
        fields.iter().position(|f| f.name == name)
    };
    for o in old {
        let full = format!("{prefix}{}", o.name);
        match find(new, &o.name).and_then(|i| new.get(i)) {
            None => cx.push(
                Severity::Breaking,
                ChangeKind::Removed,
                Target::Field,
                None,
                Some(&full),
                format!("field removed (was {})", describe(o)),
            ),
            Some(n) => compare_field(cx, &full, o, n, args),
        }
    }
    for n in new.iter().filter(|n| find(old, &n.name).is_none()) {
        let full = format!("{prefix}{}", n.name);
        // structs are non-exhaustive: a new field only breaks when a constructor
        // must take it
        let breaking = args.takes(&n.name).1;
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
                    "new required field ({}): `new` takes one more argument and creates without it fail",
                    describe(n)
                )
            } else {
                format!("field added ({})", describe(n))
            },
        );
    }
}

/// A numeric limit's old and new value, and whether a lower value is the
/// stricter one.
fn compare_limit(
    push: &mut impl FnMut(Severity, String),
    what: &str,
    old: Option<f64>,
    new: Option<f64>,
    upper: bool,
) {
    use Severity::{Additive, Breaking};
    match (old, new) {
        (Some(a), Some(b)) if a != b => {
            let stricter = if upper { b < a } else { b > a };
            let verb = if b < a { "lowered" } else { "raised" };
            push(
                if stricter { Breaking } else { Additive },
                format!("{what} {verb} from {} to {}", fmt_num(a), fmt_num(b)),
            );
        }
        (None, Some(b)) => push(Breaking, format!("{what} {} introduced", fmt_num(b))),
        (Some(a), None) => push(Additive, format!("{what} {} lifted", fmt_num(a))),
        _ => {}
    }
}

fn compare_field(cx: &mut Ctx<'_>, name: &str, o: &Field, n: &Field, args: &Args<'_>) {
    let (old_argument, new_argument) = args.takes(&o.name);
    let compare_keys = cx.compare_keys;
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
    if o.ty.as_str() != n.ty.as_str() {
        push(
            Breaking,
            format!("type changed from {} to {}", o.ty.as_str(), n.ty.as_str()),
        );
    }
    if o.required != n.required {
        // what the generated code makes of it: a constructor argument (required
        // and writable) and a model field that is `T` rather than `Option<T>`
        // (required or primary key, and returned)
        let argument_changes = old_argument != new_argument;
        let model_changes = !o.write_only && !n.write_only && !o.primary_key && !n.primary_key;
        let (from, to) = if n.required {
            ("optional", "required on create")
        } else {
            ("required", "optional")
        };
        if argument_changes || model_changes {
            push(Breaking, format!("{from} → {to}"));
        } else {
            push(
                Additive,
                format!("{from} → {to} (no generated signature changes)"),
            );
        }
    }
    if !o.read_only && n.read_only {
        push(
            Breaking,
            "writable → read-only: writes setting it fail".into(),
        );
    } else if o.read_only && !n.read_only {
        if new_argument && o.required {
            push(
                Breaking,
                "read-only → writable and required: `new` takes one more argument".into(),
            );
        } else {
            push(Additive, "read-only → writable".into());
        }
    }
    if !o.write_only && n.write_only {
        push(Breaking, "now write-only: no longer returned".into());
    } else if o.write_only && !n.write_only {
        push(Additive, "no longer write-only: now returned".into());
    }
    if compare_keys && o.primary_key != n.primary_key {
        push(
            Additive,
            format!(
                "primary_key changed from {} to {}",
                o.primary_key, n.primary_key
            ),
        );
    }
    let as_f64 = |v: Option<u64>| v.map(|x| x as f64);
    compare_limit(
        &mut push,
        "max_length",
        as_f64(o.max_length),
        as_f64(n.max_length),
        true,
    );
    compare_limit(&mut push, "max_value", o.max_value, n.max_value, true);
    compare_limit(
        &mut push,
        "min_length",
        as_f64(o.min_length),
        as_f64(n.min_length),
        false,
    );
    compare_limit(&mut push, "min_value", o.min_value, n.min_value, false);
    // choices, by value
    let has = |list: &[schema::Choice], v: &ChoiceValue| list.iter().any(|c| &c.value == v);
    let removed: Vec<String> = o
        .choices
        .iter()
        .filter(|c| !has(&n.choices, &c.value))
        .map(|c| choice_text(&c.value))
        .collect();
    let added: Vec<String> = n
        .choices
        .iter()
        .filter(|c| !has(&o.choices, &c.value))
        .map(|c| choice_text(&c.value))
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
            format!(
                "choices widened: {} added (choice enums are non-exhaustive)",
                added.join(", ")
            ),
        );
    }
    for c in &o.choices {
        if let Some(c2) = n.choices.iter().find(|c2| c2.value == c.value)
            && c2.display_name != c.display_name
        {
            push(
                Additive,
                format!(
                    "display name of choice {} changed from {:?} to {:?}",
                    choice_text(&c.value),
                    c.display_name,
                    c2.display_name
                ),
            );
        }
    }
    // links of a `links` field
    if o.ty == FieldType::Links && n.ty == FieldType::Links {
        let names =
            |f: &Field| -> BTreeSet<String> { f.links.iter().map(|l| l.name.clone()).collect() };
        let (a, b) = (names(o), names(n));
        for l in a.difference(&b) {
            push(Breaking, format!("link `{l}` removed"));
        }
        for l in b.difference(&a) {
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
    if let (FieldType::Object(a), FieldType::Object(b)) = (&o.ty, &n.ty) {
        let args = Args {
            what: "the nested struct's `new`",
            old: nested_arguments(a),
            new: nested_arguments(b),
        };
        compare_fields(cx, &format!("{name}."), a, b, &args);
        check_order(cx, Target::Field, Some(name), &args);
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
        new[0]["endpoints"]["detail"]["properties"] = json!(["i", "class_name"]);
        new[0]["name"] = json!("DataClass");
        let d = run(&base(), &new);
        let c = only(&d);
        assert_eq!(c.kind, ChangeKind::Renamed);
        assert_eq!(c.severity, Severity::Additive);
        assert_eq!(c.resource, "DataClass");
    }

    // Rust-semver rule: new resources and endpoints only add types and methods.
    #[test]
    fn new_endpoint_is_additive() {
        let mut new = base();
        new[1]["endpoints"]["backup"] = json!({"path": "/v1.1/instances/{name}/backup/",
            "methods": ["post"], "properties": ["name"]});
        let d = run(&base(), &new);
        let c = only(&d);
        assert_eq!(
            (c.severity, c.kind, c.target),
            (Severity::Additive, ChangeKind::Added, Target::Endpoint)
        );
        assert_eq!(c.endpoint.as_deref(), Some("backup"));
        assert!(!d.is_breaking());
    }

    #[test]
    fn resource_added_is_additive() {
        let mut new = base();
        if let Some(a) = new.as_array_mut() {
            a.push(json!({"name": "Group", "properties": {"label": {"type": "string"}},
                "endpoints": {"list": {"path": "/v1.1/instances/{instance}/groups/", "methods": ["get"],
                                       "properties": ["instance"]}}}));
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

    // Rust-semver rule: code reading a removed field no longer compiles.
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

    // Rust-semver rule: generated structs are non-exhaustive, so code built on the
    // old crate never names every field; a new optional field only adds a setter.
    #[test]
    fn new_optional_field_is_additive() {
        let mut new = base();
        field_mut(&mut new, 0, "metadata").clone_from(&json!({"type": "field", "required": false}));
        let d = run(&base(), &new);
        let c = only(&d);
        assert_eq!(
            (c.severity, c.kind, c.target),
            (Severity::Additive, ChangeKind::Added, Target::Field)
        );
        assert_eq!(c.field.as_deref(), Some("metadata"));
        // so is a new read-only field that is required (returned, never written)
        field_mut(&mut new, 0, "metadata")
            .clone_from(&json!({"type": "field", "required": true, "read_only": true}));
        assert_eq!(only(&run(&base(), &new)).severity, Severity::Additive);
    }

    // Rust-semver rule: `XCreate::new` takes every required writable field.
    #[test]
    fn new_required_create_field_is_breaking() {
        let mut new = base();
        field_mut(&mut new, 0, "metadata").clone_from(&json!({"type": "field", "required": true}));
        let d = run(&base(), &new);
        let c = only(&d);
        assert_eq!(
            (c.severity, c.kind, c.target),
            (Severity::Breaking, ChangeKind::Added, Target::Field)
        );
        assert!(
            c.detail.contains("`new` takes one more argument"),
            "{}",
            c.detail
        );
    }

    #[test]
    fn new_required_field_of_a_resource_nobody_creates_is_additive() {
        // no POST on `list`, no PUT/POST on `detail`: no create payload, no `new`
        let mut old = base();
        old[1]["endpoints"]["list"]["methods"] = json!(["get"]);
        let mut new = old.clone();
        field_mut(&mut new, 1, "region").clone_from(&json!({"type": "string", "required": true}));
        let d = run(&old, &new);
        let c = only(&d);
        assert_eq!(
            (c.severity, c.kind),
            (Severity::Additive, ChangeKind::Added)
        );
    }

    /// A resource whose create payload has the required fields `first` and
    /// `second`, listed in that order, plus an optional one between them.
    fn two_required(first: &str, second: &str) -> Value {
        let mut props = serde_json::Map::new();
        props.insert(first.into(), json!({"type": "string", "required": true}));
        props.insert("note".into(), json!({"type": "string"}));
        props.insert(second.into(), json!({"type": "string", "required": true}));
        json!([{"name": "User", "properties": props, "endpoints": {
            "list": {"path": "/v1.1/instances/{instance}/users/", "methods": ["get", "post"],
                     "properties": ["instance"]}}}])
    }

    // Rust-semver rule: `XCreate::new` takes the required fields in the order the
    // document lists them; swapping two of the same type still compiles and sends
    // each value as the other field.
    #[test]
    fn reordered_required_create_fields_are_breaking() {
        let old = two_required("username", "password");
        let new = two_required("password", "username");
        let d = run(&old, &new);
        let c = only(&d);
        assert_eq!(
            (c.severity, c.kind, c.target),
            (Severity::Breaking, ChangeKind::Changed, Target::Resource)
        );
        assert_eq!(
            c.detail,
            "required fields reordered from `username`, `password` to `password`, `username`: \
             the create payload's `new` takes them in the document's order"
        );
        // the same order with the optional field moved is no change at all
        let mut moved = two_required("username", "password");
        if let Some(p) = moved[0]["properties"].as_object_mut()
            && let Some(note) = p.shift_remove("note")
        {
            p.insert("note".into(), note);
        }
        assert!(run(&old, &moved).is_empty());
        // nor is a reordering of a resource nobody creates (no `new`)
        let (mut old_ro, mut new_ro) = (old.clone(), new.clone());
        old_ro[0]["endpoints"]["list"]["methods"] = json!(["get"]);
        new_ro[0]["endpoints"]["list"]["methods"] = json!(["get"]);
        assert!(run(&old_ro, &new_ro).is_empty());
    }

    #[test]
    fn reordered_required_request_fields_of_a_custom_endpoint_are_breaking() {
        let mut old = base();
        old[1]["endpoints"]["rename"]["fields"] = json!({
            "new_name": {"type": "string", "required": true},
            "reason": {"type": "string", "required": true}});
        let mut new = base();
        new[1]["endpoints"]["rename"]["fields"] = json!({
            "reason": {"type": "string", "required": true},
            "new_name": {"type": "string", "required": true}});
        let d = run(&old, &new);
        let c = only(&d);
        assert_eq!(
            (c.severity, c.target, c.endpoint.as_deref()),
            (Severity::Breaking, Target::Endpoint, Some("rename"))
        );
        assert!(c.detail.contains("the request's `new`"), "{}", c.detail);
    }

    #[test]
    fn extensible_changes_are_breaking() {
        let mut new = base();
        new[0]["extensible"] = json!(true);
        let d = run(&base(), &new);
        let c = only(&d);
        assert_eq!(
            (c.severity, c.target),
            (Severity::Breaking, Target::Resource)
        );
        assert_eq!(only(&run(&new, &base())).severity, Severity::Breaking);
    }

    // Rust-semver rule: a field's Rust type follows its schema type.
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
    fn optional_to_required_and_back_are_breaking() {
        // `new` gains (loses) an argument, the model field loses (gains) its `Option`
        let mut new = base();
        field_mut(&mut new, 0, "description")["required"] = json!(true);
        let d = run(&base(), &new);
        let c = only(&d);
        assert_eq!(c.severity, Severity::Breaking);
        assert_eq!(c.detail, "optional → required on create");
        let d = run(&new, &base());
        let c = only(&d);
        assert_eq!(c.severity, Severity::Breaking);
        assert_eq!(c.detail, "required → optional");
    }

    #[test]
    fn required_flag_of_a_read_only_key_changes_no_signature() {
        // `id`-like: read-only primary key, a plain `T` in the model either way
        let mut old = base();
        field_mut(&mut old, 0, "id")
            .clone_from(&json!({"type": "integer", "read_only": true, "primary_key": true}));
        let mut new = old.clone();
        field_mut(&mut new, 0, "id")["required"] = json!(true);
        let d = run(&old, &new);
        assert_eq!(only(&d).severity, Severity::Additive);
    }

    // Rust-semver rule: choice enums are non-exhaustive, so a new value breaks no
    // `match`; a removed one breaks code naming it.
    #[test]
    fn new_choice_value_is_additive() {
        let mut new = base();
        if let Some(a) = field_mut(&mut new, 0, "other_permissions")["choices"].as_array_mut() {
            a.push(json!({"value": "full", "display_name": "Full"}));
        }
        let d = run(&base(), &new);
        let c = only(&d);
        assert_eq!(
            (c.severity, c.kind, c.target),
            (Severity::Additive, ChangeKind::Changed, Target::Field)
        );
        assert!(c.detail.contains("\"full\" added"), "{}", c.detail);
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
            a.push(json!({"name": "Group", "endpoints": {"list": {"path": "/v1.1/instances/{i}/groups/",
                "methods": ["get"], "properties": ["i"]}}}));
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
            Err(SchemaError::Json { .. })
        ));
        assert!(matches!(
            diff_str("{}", "a", "[]", "b"),
            Err(SchemaError::Malformed { .. })
        ));
        assert!(matches!(
            diff_str(
                "[{\"name\": \"X\", \"endpoints\": {\"list\": {}}}]",
                "a",
                "[]",
                "b"
            ),
            Err(SchemaError::Malformed { .. })
        ));
    }

    /// `diff_str(base, doc)` and the build's `schema::parse(doc)`: both refuse
    /// `doc` with the same error.
    fn both_refuse(doc: &Value) -> SchemaError {
        let text = doc.to_string();
        let build = crate::schema::parse(&text, "new");
        let diffed = diff_str(&base().to_string(), "old", &text, "new");
        match (build, diffed) {
            (Err(b), Err(d)) => {
                assert_eq!(b, d, "diff and the build refuse it differently");
                d
            }
            (b, d) => panic!("the build says {b:?}, diff says {d:?}"),
        }
    }

    #[test]
    fn diff_reads_documents_as_the_build_does() {
        // `nested object` is DRF's OPTIONS name for a nested serializer, no type
        // of the schema format: the build refuses it, so diff does too
        let mut new = base();
        field_mut(&mut new, 0, "owner")
            .clone_from(&json!({"type": "nested object", "fields": {"email": {"type": "email"}}}));
        let e = both_refuse(&new);
        assert!(matches!(e, SchemaError::UnknownFieldType { ref ty, .. } if ty == "nested object"));
        // a path parameter missing from the endpoint's `properties`: a validation
        // error, not only a parse error
        let mut new = base();
        new[0]["endpoints"]["detail"]["properties"] = json!(["instance"]);
        both_refuse(&new);
        // and the schema format's own nested object is read alike
        let mut new = base();
        field_mut(&mut new, 0, "owner")
            .clone_from(&json!({"type": "object", "fields": {"email": {"type": "email"}}}));
        let text = new.to_string();
        assert!(crate::schema::parse(&text, "new").is_ok());
        let d = match diff_str(&base().to_string(), "old", &text, "new") {
            Ok(d) => d,
            Err(e) => panic!("diff refuses what the build accepts: {e}"),
        };
        assert_eq!(only(&d).field.as_deref(), Some("owner"));
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
