//! The vendored snapshot `schema/syncano-v1.1.json` against the API facts in
//! `tests/fixtures/syncano-v1.1-resources.md` (a copy of
//! `../shared/api/syncano-v1.1-resources.md`, compared with it when that checkout is
//! beside this one): every row of the resources table
//! is present with its paths and methods, and the document is well formed
//! (path parameters, unique names, known field types, normal form).
//!
//! Only `serde_json` is used, so these checks do not depend on the parser.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
const FIELD_TYPES: [&str; 16] = [
    "string", "text", "email", "slug", "url", "integer", "float", "decimal", "boolean", "datetime",
    "date", "choice", "field", "file", "links", "object",
];
const INSTANCE_PREFIX: &str = "/v1.1/instances/{instance}/";

fn manifest_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn read(rel: &str) -> String {
    let path = manifest_path(rel);
    match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    }
}

fn snapshot_text() -> String {
    read("../schema/syncano-v1.1.json")
}

fn snapshot() -> Vec<Value> {
    match serde_json::from_str::<Value>(&snapshot_text()) {
        Ok(Value::Array(items)) => items,
        Ok(_) => panic!("the snapshot is not a JSON list of resources"),
        Err(e) => panic!("the snapshot is not JSON: {e}"),
    }
}

fn resource_name(r: &Value) -> &str {
    r.get("name").and_then(Value::as_str).unwrap_or("")
}

fn endpoints(r: &Value) -> Vec<(&str, &Map<String, Value>)> {
    r.get("endpoints")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_object().map(|o| (k.as_str(), o)))
                .collect()
        })
        .unwrap_or_default()
}

fn str_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The `{param}` names of a path template, in order.
fn path_params(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                out.push(after[..end].to_owned());
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    out
}

/// A path with every `{param}` replaced by `{}`, for comparing templates whose
/// parameter names differ.
fn normalize_params(path: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in path.chars() {
        match c {
            '{' => {
                if depth == 0 {
                    out.push_str("{}");
                }
                depth += 1;
            }
            '}' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            _ => out.push(c),
        }
    }
    out
}

// ------------------------------------------------------------------ the table

/// One row of the resources table, its paths already expanded to full templates.
#[derive(Debug, Default)]
struct Row {
    number: String,
    resources: Vec<String>,
    /// (full path template, upper-case methods) the row requires.
    paths: Vec<(String, BTreeSet<String>)>,
    /// Parts of the row that could not be read (reported as failures).
    problems: Vec<String>,
}

/// Splits a table line into its cells (the leading and trailing `|` dropped).
fn cells(line: &str) -> Vec<String> {
    let trimmed = line.trim().trim_start_matches('|').trim_end_matches('|');
    trimmed.split('|').map(|c| c.trim().to_owned()).collect()
}

/// The first backtick-quoted text of a cell and the text after it.
fn first_code(text: &str) -> Option<(String, String)> {
    let start = text.find('`')?;
    let after = &text[start + 1..];
    let end = after.find('`')?;
    Some((after[..end].to_owned(), after[end + 1..].to_owned()))
}

/// Upper-case HTTP methods named as words in `text`.
fn methods_in(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| METHODS.contains(w))
        .map(str::to_owned)
        .collect()
}

/// Methods written after a path in a list/detail cell: the words before any
/// parenthesised remark.
fn cell_methods(after_path: &str) -> BTreeSet<String> {
    let head = after_path.split('(').next().unwrap_or("");
    methods_in(head)
}

/// `{a,b}` alternatives in a path expanded into several paths.
fn expand_alternatives(path: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let inner = &rest[start + 1..start + len];
        let literal = &rest[..start];
        if inner.contains(',') {
            let alts: Vec<&str> = inner.split(',').map(str::trim).collect();
            out = out
                .iter()
                .flat_map(|p| alts.iter().map(move |a| format!("{p}{literal}{a}")))
                .collect();
        } else {
            for p in &mut out {
                p.push_str(literal);
                p.push('{');
                p.push_str(inner);
                p.push('}');
            }
        }
        rest = &rest[start + len + 1..];
    }
    for p in &mut out {
        p.push_str(rest);
    }
    out
}

/// An absolute path for the table's shorthand (`I/…`, `account/…`, `/v1.1/…`).
fn absolute(path: &str) -> Option<String> {
    if let Some(rest) = path.strip_prefix("I/") {
        Some(format!("{INSTANCE_PREFIX}{rest}"))
    } else if path.starts_with("/v1.1/") {
        Some(path.to_owned())
    } else if path.starts_with("account/") {
        Some(format!("/v1.1/{path}"))
    } else {
        None
    }
}

fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

fn is_param(seg: &str) -> bool {
    seg.starts_with('{') && seg.ends_with('}')
}

fn join(segs: &[&str]) -> String {
    let mut out = String::from("/");
    for s in segs {
        out.push_str(s);
        out.push('/');
    }
    out
}

/// Resolves a path relative to `base`: its first segment is matched against the
/// last equal segment of `base` (any parameter matches a parameter), and the
/// relative path replaces everything from there.
fn splice(base: &str, rel: &str) -> Option<String> {
    let base_segs = segments(base);
    let rel_segs = segments(rel);
    let first = rel_segs.first()?;
    let idx = base_segs
        .iter()
        .rposition(|s| s == first || (is_param(s) && is_param(first)))?;
    let mut segs: Vec<&str> = base_segs[..idx].to_vec();
    segs.extend(rel_segs);
    Some(join(&segs))
}

/// Resolves the detail cell's `…/x/` against the list path: when the first
/// relative segment is the list path's last segment the two overlap, otherwise
/// the relative part is appended.
fn resolve_detail(list: &str, rel: &str) -> String {
    let list_segs = segments(list);
    let rel_segs = segments(rel);
    let mut segs: Vec<&str> = list_segs.clone();
    if let (Some(last), Some(first)) = (list_segs.last(), rel_segs.first()) {
        if last == first && !is_param(first) {
            segs.pop();
        }
    }
    segs.extend(rel_segs);
    join(&segs)
}

/// Splits a custom-endpoints cell on `;` outside parentheses and braces.
fn split_items(cell: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in cell.chars() {
        match c {
            '(' | '{' | '[' => depth += 1,
            ')' | '}' | ']' => depth -= 1,
            _ => {}
        }
        if c == ';' && depth <= 0 {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

fn resource_names(cell: &str) -> Vec<String> {
    let head = cell.split('(').next().unwrap_or("");
    head.split('/')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn parse_row(c: &[String]) -> Row {
    let mut row = Row {
        number: c.first().cloned().unwrap_or_default(),
        resources: resource_names(c.get(1).map(String::as_str).unwrap_or("")),
        ..Row::default()
    };
    let default_list: BTreeSet<String> = ["GET", "POST"].iter().map(|s| s.to_string()).collect();
    let default_detail: BTreeSet<String> = ["GET", "PUT", "PATCH", "DELETE"]
        .iter()
        .map(|s| s.to_string())
        .collect();

    let mut list_paths: Vec<String> = Vec::new();
    if let Some((p, after)) = c.get(2).and_then(|s| first_code(s)) {
        let mut methods = cell_methods(&after);
        if methods.is_empty() {
            methods = default_list.clone();
        }
        match absolute(&p) {
            Some(abs) => {
                for path in expand_alternatives(&abs) {
                    row.paths.push((path.clone(), methods.clone()));
                    list_paths.push(path);
                }
            }
            None => row
                .problems
                .push(format!("list path `{p}` is not understood")),
        }
    }

    let mut detail_paths: Vec<String> = Vec::new();
    if let Some((p, after)) = c.get(3).and_then(|s| first_code(s)) {
        let mut methods = cell_methods(&after);
        if methods.is_empty() {
            methods = default_detail.clone();
        }
        let resolved: Vec<String> = if let Some(rel) = p.strip_prefix('…') {
            list_paths.iter().map(|l| resolve_detail(l, rel)).collect()
        } else {
            match absolute(&p) {
                Some(abs) => expand_alternatives(&abs),
                None => {
                    row.problems
                        .push(format!("detail path `{p}` is not understood"));
                    Vec::new()
                }
            }
        };
        if resolved.is_empty() {
            row.problems.push(format!(
                "detail path `{p}` has no list path to be relative to"
            ));
        }
        for path in resolved {
            row.paths.push((path.clone(), methods.clone()));
            detail_paths.push(path);
        }
    }

    let bases: Vec<String> = if detail_paths.is_empty() {
        list_paths.clone()
    } else {
        detail_paths.clone()
    };
    if let Some(cell) = c.get(4) {
        for item in split_items(cell) {
            let Some(start) = item.find('`') else {
                continue;
            };
            let Some((p, _)) = first_code(&item) else {
                continue;
            };
            let methods = methods_in(&item[..start]);
            if methods.is_empty() {
                row.problems
                    .push(format!("custom endpoint `{p}` has no method in the table"));
                continue;
            }
            let resolved: Vec<String> = match absolute(&p) {
                Some(abs) => expand_alternatives(&abs),
                None => bases.iter().filter_map(|b| splice(b, &p)).collect(),
            };
            if resolved.is_empty() {
                row.problems.push(format!(
                    "custom endpoint `{p}` cannot be resolved to a full path"
                ));
            }
            for path in resolved {
                row.paths.push((path, methods.clone()));
            }
        }
    }
    row
}

/// The rows of the "Resources" table.
fn table_rows(doc: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut in_table = false;
    for line in doc.lines() {
        let t = line.trim();
        if !t.starts_with('|') {
            if in_table {
                break;
            }
            continue;
        }
        let c = cells(t);
        if c.first().is_some_and(|x| x == "#") {
            in_table = true;
            continue;
        }
        if !in_table || c.iter().all(|x| x.chars().all(|ch| ch == '-' || ch == ':')) {
            continue;
        }
        rows.push(parse_row(&c));
    }
    rows
}

/// The resources table vendored with the tests, so they run outside this checkout.
const RESOURCES_DOC: &str = "tests/fixtures/syncano-v1.1-resources.md";
/// Where the vendored copy comes from, when `../shared` is beside the workspace.
const SHARED_RESOURCES_DOC: &str = "../../shared/api/syncano-v1.1-resources.md";

fn resources_doc() -> String {
    read(RESOURCES_DOC)
}

// ------------------------------------------------------------------ tests

#[test]
fn vendored_resources_doc_matches_shared() {
    let shared = manifest_path(SHARED_RESOURCES_DOC);
    match std::fs::read_to_string(&shared) {
        Ok(text) => assert!(
            text == resources_doc(),
            "{RESOURCES_DOC} differs from {}: copy it again",
            shared.display()
        ),
        Err(e) => println!(
            "skipped: {} cannot be read ({e}); only the vendored copy is checked",
            shared.display()
        ),
    }
}

#[test]
fn table_parser_reads_every_row() {
    let rows = table_rows(&resources_doc());
    assert!(
        rows.len() >= 35,
        "expected at least 35 rows in the resources table, read {}",
        rows.len()
    );
    // spot checks of the shorthand expansion, so a broken parser cannot pass
    let objects = rows
        .iter()
        .find(|r| r.resources.iter().any(|n| n == "DataObject"));
    let Some(objects) = objects else {
        panic!("no DataObject row in the table")
    };
    let detail = objects
        .paths
        .iter()
        .find(|(p, _)| p.ends_with("/objects/{id}/"));
    let Some((path, methods)) = detail else {
        panic!("DataObject detail path not read: {:?}", objects.paths)
    };
    assert_eq!(
        path,
        "/v1.1/instances/{instance}/classes/{class}/objects/{id}/"
    );
    let want: BTreeSet<String> = ["GET", "POST", "PATCH", "DELETE"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(methods, &want, "the remark `(no PUT …)` must not add PUT");

    let devices = rows
        .iter()
        .find(|r| r.resources.iter().any(|n| n == "ApnsDevice"));
    let Some(devices) = devices else {
        panic!("no device row in the table")
    };
    let sends: Vec<&String> = devices
        .paths
        .iter()
        .map(|(p, _)| p)
        .filter(|p| p.ends_with("/send_message/"))
        .collect();
    assert_eq!(
        sends,
        vec![
            "/v1.1/instances/{instance}/push_notifications/gcm/devices/{registration_id}/send_message/",
            "/v1.1/instances/{instance}/push_notifications/apns/devices/{registration_id}/send_message/",
        ]
    );
    for row in &rows {
        assert!(
            row.problems.is_empty(),
            "row {}: {:?}",
            row.number,
            row.problems
        );
        assert!(
            !row.resources.is_empty(),
            "row {} names no resource",
            row.number
        );
        assert!(!row.paths.is_empty(), "row {} gives no path", row.number);
    }
}

#[test]
fn every_table_row_is_in_the_snapshot() {
    let snap = snapshot();
    let by_name: BTreeMap<&str, &Value> = snap.iter().map(|r| (resource_name(r), r)).collect();
    let rows = table_rows(&resources_doc());
    let mut missing: Vec<String> = Vec::new();
    for row in &rows {
        let mut have: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for name in &row.resources {
            let Some(r) = by_name.get(name.as_str()) else {
                missing.push(format!("row {}: resource {name} is missing", row.number));
                continue;
            };
            for (_, e) in endpoints(r) {
                let path = e.get("path").and_then(Value::as_str).unwrap_or("");
                let entry = have.entry(normalize_params(path)).or_default();
                for m in str_list(e.get("methods")) {
                    entry.insert(m.to_ascii_uppercase());
                }
            }
        }
        for problem in &row.problems {
            missing.push(format!("row {}: {problem}", row.number));
        }
        for (path, methods) in &row.paths {
            match have.get(&normalize_params(path)) {
                None => missing.push(format!(
                    "row {} ({}): no endpoint for {path} ({})",
                    row.number,
                    row.resources.join("/"),
                    methods.iter().cloned().collect::<Vec<_>>().join(" ")
                )),
                Some(got) if got != methods => missing.push(format!(
                    "row {} ({}): {path} has methods {:?}, the table gives {:?}",
                    row.number,
                    row.resources.join("/"),
                    got,
                    methods
                )),
                Some(_) => {}
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the snapshot does not cover the resources table:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn endpoint_parameters_match_their_paths() {
    let mut bad = Vec::new();
    for r in &snapshot() {
        for (name, e) in endpoints(r) {
            let path = e.get("path").and_then(Value::as_str).unwrap_or("");
            if !path.starts_with("/v1.1/") || !path.ends_with('/') {
                bad.push(format!(
                    "{}.{name}: path {path:?} must start with /v1.1/ and end with /",
                    resource_name(r)
                ));
            }
            let props = str_list(e.get("properties"));
            if path_params(path) != props {
                bad.push(format!(
                    "{}.{name}: path {path} has parameters {:?} but properties {:?}",
                    resource_name(r),
                    path_params(path),
                    props
                ));
            }
            let methods = str_list(e.get("methods"));
            if methods.is_empty() {
                bad.push(format!("{}.{name}: no methods", resource_name(r)));
            }
            for m in &methods {
                if !METHODS.iter().any(|k| k.to_ascii_lowercase() == *m) {
                    bad.push(format!(
                        "{}.{name}: method {m:?} is not a lowercase HTTP method",
                        resource_name(r)
                    ));
                }
            }
            if path.starts_with("/v1.1/instances/")
                && resource_name(r) != "Instance"
                && !path.starts_with(INSTANCE_PREFIX)
            {
                bad.push(format!(
                    "{}.{name}: instance-scoped path {path} must use {{instance}}",
                    resource_name(r)
                ));
            }
        }
    }
    assert!(bad.is_empty(), "bad endpoints:\n  {}", bad.join("\n  "));
}

#[test]
fn resource_names_are_unique_and_described() {
    let snap = snapshot();
    let mut seen = BTreeSet::new();
    let mut bad = Vec::new();
    for r in &snap {
        let name = resource_name(r);
        if name.is_empty() {
            bad.push("a resource without a name".to_owned());
        } else if !seen.insert(name) {
            bad.push(format!("{name} is declared twice"));
        }
        if r.get("description")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            bad.push(format!("{name} has no description"));
        }
        if endpoints(r).is_empty() {
            bad.push(format!("{name} has no endpoints"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

fn check_field(ctx: &str, f: &Value, bad: &mut Vec<String>) {
    let Some(obj) = f.as_object() else {
        bad.push(format!("{ctx}: a field definition must be an object"));
        return;
    };
    let Some(ty) = obj.get("type") else {
        // a nested object in the 2015 style: every key a sub-field
        if obj.is_empty() {
            bad.push(format!(
                "{ctx}: a field without type and without sub-fields"
            ));
        }
        for (k, v) in obj {
            check_field(&format!("{ctx}.{k}"), v, bad);
        }
        return;
    };
    let Some(ty) = ty.as_str() else {
        bad.push(format!("{ctx}: type must be a string"));
        return;
    };
    if !FIELD_TYPES.contains(&ty) {
        bad.push(format!("{ctx}: unknown type {ty:?}"));
    }
    for flag in ["read_only", "required", "write_only", "primary_key"] {
        if let Some(v) = obj.get(flag) {
            if !v.is_boolean() {
                bad.push(format!("{ctx}: {flag} must be a boolean"));
            }
        }
    }
    let flag = |k: &str| obj.get(k).and_then(Value::as_bool).unwrap_or(false);
    if flag("write_only") && flag("read_only") {
        bad.push(format!("{ctx}: write-only and read-only at once"));
    }
    for k in ["max_length", "min_length"] {
        if obj.get(k).is_some_and(|v| !v.is_u64()) {
            bad.push(format!("{ctx}: {k} must be a non-negative integer"));
        }
    }
    for k in ["min_value", "max_value"] {
        if obj.get(k).is_some_and(|v| !v.is_number()) {
            bad.push(format!("{ctx}: {k} must be a number"));
        }
    }
    match ty {
        "choice" => {
            let choices = obj.get("choices").and_then(Value::as_array);
            match choices {
                None => bad.push(format!("{ctx}: a choice field without choices")),
                Some(list) if list.is_empty() => bad.push(format!("{ctx}: empty choices")),
                Some(list) => {
                    for c in list {
                        let ok = c.get("display_name").is_some_and(Value::is_string)
                            && c.get("value").is_some_and(|v| v.is_string() || v.is_i64());
                        if !ok {
                            bad.push(format!(
                                "{ctx}: choice {c} needs display_name and a string or integer value"
                            ));
                        }
                    }
                    if let Some(d) = obj.get("default") {
                        if !d.is_null() && !list.iter().any(|c| c.get("value") == Some(d)) {
                            bad.push(format!("{ctx}: default {d} is not one of the choices"));
                        }
                    }
                }
            }
        }
        "links" => match obj.get("links").and_then(Value::as_array) {
            None => bad.push(format!("{ctx}: a links field without links")),
            Some(list) => {
                let mut seen = BTreeSet::new();
                for l in list {
                    let name = l.get("name").and_then(Value::as_str);
                    if name.is_none() || !l.get("type").is_some_and(Value::is_string) {
                        bad.push(format!("{ctx}: link {l} needs a name and a type"));
                    }
                    if let Some(n) = name {
                        if !seen.insert(n) {
                            bad.push(format!("{ctx}: link {n} is declared twice"));
                        }
                    }
                }
            }
        },
        "object" => match obj.get("fields").and_then(Value::as_object) {
            None => bad.push(format!("{ctx}: an object field without sub-fields")),
            Some(sub) => {
                for (k, v) in sub {
                    check_field(&format!("{ctx}.{k}"), v, bad);
                }
            }
        },
        _ => {}
    }
}

#[test]
fn every_field_has_a_known_type() {
    let snap = snapshot();
    let names: BTreeSet<&str> = snap.iter().map(resource_name).collect();
    let mut bad = Vec::new();
    for r in &snap {
        let rn = resource_name(r);
        match r.get("properties") {
            Some(Value::Object(props)) => {
                for (k, f) in props {
                    check_field(&format!("{rn}.{k}"), f, &mut bad);
                }
            }
            Some(_) => bad.push(format!("{rn}: properties must be an object")),
            None => bad.push(format!("{rn}: no properties (use {{}} for none)")),
        }
        for (en, e) in endpoints(r) {
            if let Some(fields) = e.get("fields") {
                match fields.as_object() {
                    Some(m) => {
                        for (k, f) in m {
                            check_field(&format!("{rn}.{en}.{k}"), f, &mut bad);
                        }
                    }
                    None => bad.push(format!("{rn}.{en}: fields must be an object")),
                }
            }
            if let Some(ret) = e.get("returns") {
                if !ret.as_str().is_some_and(|s| names.contains(s)) {
                    bad.push(format!(
                        "{rn}.{en}: returns {ret} is not a resource of the snapshot"
                    ));
                }
            }
            if let Some(st) = e.get("status") {
                if !st.as_u64().is_some_and(|s| (200..300).contains(&s)) {
                    bad.push(format!("{rn}.{en}: status {st} is not a 2xx code"));
                }
            }
        }
    }
    assert!(bad.is_empty(), "bad fields:\n  {}", bad.join("\n  "));
}

#[test]
fn key_fields_are_primary_keys() {
    let mut bad = Vec::new();
    for r in &snapshot() {
        let rn = resource_name(r);
        let props = r.get("properties").and_then(Value::as_object);
        let pks: Vec<&String> = props
            .map(|p| {
                p.iter()
                    .filter(|(_, f)| f.get("primary_key").and_then(Value::as_bool) == Some(true))
                    .map(|(k, _)| k)
                    .collect()
            })
            .unwrap_or_default();
        if pks.len() > 1 {
            bad.push(format!("{rn}: several primary keys {pks:?}"));
        }
        let detail = endpoints(r).into_iter().find(|(n, _)| *n == "detail");
        let Some((_, d)) = detail else { continue };
        let params = str_list(d.get("properties"));
        let Some(key) = params.last() else { continue };
        let list_params = endpoints(r)
            .into_iter()
            .find(|(n, _)| *n == "list")
            .map(|(_, l)| str_list(l.get("properties")))
            .unwrap_or_default();
        if list_params.contains(key) {
            continue; // a single-object resource: no own key in the path
        }
        if props.is_some_and(|p| p.contains_key(key.as_str())) && pks != vec![key] {
            bad.push(format!(
                "{rn}: the detail key {key} is not marked primary_key"
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn conventions_the_generator_and_emulator_rely_on() {
    let snap = snapshot();
    let get = |n: &str| snap.iter().find(|r| resource_name(r) == n);
    let Some(runtime) = get("Runtime") else {
        panic!("no Runtime resource")
    };
    let paginated = runtime
        .pointer("/endpoints/list/paginated")
        .and_then(Value::as_bool);
    assert_eq!(
        paginated,
        Some(false),
        "Runtime's list answers a plain object"
    );

    let Some(objects) = get("DataObject") else {
        panic!("no DataObject resource")
    };
    assert_eq!(
        objects.get("extensible").and_then(Value::as_bool),
        Some(true)
    );
    let query = str_list(objects.pointer("/endpoints/list/query_fields"));
    for f in [
        "id",
        "created_at",
        "updated_at",
        "revision",
        "owner",
        "group",
        "channel",
        "channel_room",
    ] {
        assert!(
            query.iter().any(|q| q == f),
            "DataObject query_fields lack {f}"
        );
    }
    let order = str_list(objects.pointer("/endpoints/list/order_fields"));
    for f in ["id", "created_at", "updated_at"] {
        assert!(
            order.iter().any(|q| q == f),
            "DataObject order_fields lack {f}"
        );
    }
    let detail_methods = str_list(objects.pointer("/endpoints/detail/methods"));
    assert!(
        !detail_methods.iter().any(|m| m == "put"),
        "DataObject detail has no PUT"
    );

    for (res, field) in [
        ("Class", "expected_revision"),
        ("DataObject", "expected_revision"),
        ("User", "password"),
    ] {
        let f = get(res).and_then(|r| r.pointer(&format!("/properties/{field}")));
        let wo = f.and_then(|f| f.get("write_only")).and_then(Value::as_bool);
        let ro = f.and_then(|f| f.get("read_only")).and_then(Value::as_bool);
        assert_eq!(
            (wo, ro),
            (Some(true), Some(false)),
            "{res}.{field} must be write-only"
        );
    }
}

/// Every object's keys are sorted (but a `properties` or `fields` object's, which keep
/// the server's field order), resources by name, method sets sorted and deduplicated,
/// pretty-printed with two spaces and a trailing newline.
#[test]
fn snapshot_is_in_normal_form() {
    fn walk(v: &Value, key: Option<&str>, at: &str, bad: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                let keys: Vec<&String> = m.keys().collect();
                let mut sorted = keys.clone();
                sorted.sort();
                let ordered_fields = matches!(key, Some("properties" | "fields"));
                if keys != sorted && !ordered_fields {
                    bad.push(format!("{at}: keys not sorted"));
                }
                for (k, child) in m {
                    walk(child, Some(k), &format!("{at}/{k}"), bad);
                }
            }
            Value::Array(items) => {
                if key.is_some_and(|k| ["methods", "query_fields", "order_fields"].contains(&k)) {
                    let list: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                    let mut sorted = list.clone();
                    sorted.sort();
                    sorted.dedup();
                    if list != sorted {
                        bad.push(format!("{at}: not sorted and deduplicated"));
                    }
                }
                for (i, child) in items.iter().enumerate() {
                    walk(child, None, &format!("{at}/{i}"), bad);
                }
            }
            _ => {}
        }
    }
    let text = snapshot_text();
    let doc: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => panic!("the snapshot is not JSON: {e}"),
    };
    let mut bad = Vec::new();
    walk(&doc, None, "", &mut bad);
    let names: Vec<&str> = doc
        .as_array()
        .map(|a| a.iter().map(resource_name).collect())
        .unwrap_or_default();
    let mut sorted = names.clone();
    sorted.sort();
    if names != sorted {
        bad.push("resources are not sorted by name".to_owned());
    }
    match serde_json::to_string_pretty(&doc) {
        Ok(pretty) if format!("{pretty}\n") == text => {}
        Ok(_) => {
            bad.push("not pretty-printed with a 2-space indent and one trailing newline".to_owned())
        }
        Err(e) => bad.push(format!("cannot re-serialize: {e}")),
    }
    assert!(
        bad.is_empty(),
        "the snapshot is not in normal form:\n  {}",
        bad.join("\n  ")
    );
}

/// The fields the API takes as multipart file parts (the resources table: a hosting file
/// is created by multipart `path` + `file`; APNs certificates are file uploads) are of
/// type `file`, and the hosting file's `file` is never returned.
#[test]
fn upload_fields_are_files() {
    let snap = snapshot();
    let field = |res: &str, name: &str| -> Value {
        snap.iter()
            .find(|r| resource_name(r) == res)
            .and_then(|r| r.get("properties"))
            .and_then(|p| p.get(name))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let file = field("HostingFile", "file");
    assert_eq!(file["type"], "file", "HostingFile.file: {file}");
    assert_eq!(file["write_only"], true, "HostingFile.file: {file}");
    assert_eq!(file["required"], true, "HostingFile.file: {file}");
    for cert in ["production_certificate", "development_certificate"] {
        let f = field("ApnsConfig", cert);
        assert_eq!(f["type"], "file", "ApnsConfig.{cert}: {f}");
        assert_ne!(
            f["write_only"], true,
            "ApnsConfig.{cert} is rendered (as set or not)"
        );
    }
    let files: Vec<String> = snap
        .iter()
        .flat_map(|r| {
            let rn = resource_name(r).to_string();
            r.get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .filter(|(_, f)| f["type"] == "file")
                .map(move |(k, _)| format!("{rn}.{k}"))
        })
        .collect();
    assert_eq!(
        files,
        [
            "ApnsConfig.development_certificate",
            "ApnsConfig.production_certificate",
            "HostingFile.file"
        ]
    );
}
