//! Turning stored records into response bodies: schema fields only (write-only
//! ones never), internal `__` keys dropped, `links` computed from the schema's
//! paths (only the names the schema declares, where it declares any), and
//! `fields` / `excluded_fields` applied.

use serde_json::{Map, Value};
use syncano_codegen::schema::FieldType;

use crate::api::Req;
use crate::spec::{Kind, Seg, Spec, join};
use crate::store::Record;

/// Links of a record of resource `res` whose detail path has the concrete
/// segments `detail`.
pub fn links(spec: &Spec, res: usize, detail: &[String], rec: &Record) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("self".into(), Value::String(join(detail)));
    let Some(dr) = spec.detail_route(res) else {
        return out;
    };
    let dsegs = &spec.routes[dr].segs;
    for r in &spec.routes {
        if r.segs.len() <= dsegs.len() {
            continue;
        }
        // own custom endpoints, other resources' lists and singletons
        let relevant = match r.kind {
            Kind::Custom => r.res == res,
            Kind::List => true,
            Kind::Detail => matches!(r.segs.last(), Some(Seg::Lit(_))),
        };
        if !relevant {
            continue;
        }
        let same = r.segs[..dsegs.len()]
            .iter()
            .zip(dsegs)
            .all(|(a, b)| match (a, b) {
                (Seg::Lit(x), Seg::Lit(y)) => x == y,
                (Seg::Param(_), Seg::Param(_)) => true,
                _ => false,
            });
        if !same {
            continue;
        }
        let mut tail = Vec::new();
        let mut ok = true;
        for s in &r.segs[dsegs.len()..] {
            match s {
                Seg::Lit(l) => tail.push(l.clone()),
                Seg::Param(_) => ok = false,
            }
        }
        if !ok || tail.is_empty() {
            continue;
        }
        let name = if r.res == res && r.kind == Kind::Custom {
            spec.endpoint_name(r).replace('_', "-")
        } else {
            tail.last().cloned().unwrap_or_default().replace('_', "-")
        };
        let mut segs = detail.to_vec();
        segs.extend(tail);
        let path = Value::String(join(&segs));
        let alt = name.replace('-', "_");
        if alt != name {
            out.entry(alt).or_insert_with(|| path.clone());
        }
        out.entry(name).or_insert(path);
    }
    // own custom endpoints also under their last path segment (`get`, `post`)
    for r in &spec.routes {
        if r.res != res || r.kind != Kind::Custom || r.segs.len() <= dsegs.len() {
            continue;
        }
        if let (Some(Seg::Lit(last)), true) = (r.segs.last(), r.target_len == Some(dsegs.len())) {
            let tail: Vec<String> = r.segs[dsegs.len()..]
                .iter()
                .filter_map(|s| match s {
                    Seg::Lit(l) => Some(l.clone()),
                    Seg::Param(_) => None,
                })
                .collect();
            if tail.len() == r.segs.len() - dsegs.len() {
                let mut segs = detail.to_vec();
                segs.extend(tail);
                out.entry(last.clone())
                    .or_insert_with(|| Value::String(join(&segs)));
            }
        }
    }
    // the link names the schema declares
    if let Some(r) = spec.resources.get(res) {
        for f in &r.fields {
            for l in &f.links {
                if out.contains_key(&l.name) {
                    continue;
                }
                if let Some(v) = declared_link(spec, detail, rec, &l.name, &out) {
                    out.insert(l.name.clone(), v);
                }
            }
        }
        // where the schema names the links, the API sends those and no others
        let declared: Vec<&str> = r
            .fields
            .iter()
            .flat_map(|f| f.links.iter().map(|l| l.name.as_str()))
            .collect();
        if !declared.is_empty() {
            out.retain(|name, _| name == "self" || declared.contains(&name.as_str()));
        }
    }
    out
}

/// Resolves a link name the schema declares: an alias of a computed link
/// (`reset-key` / `reset_key`), a link root or sibling collection found by
/// walking up the path (`snippets`, `runtimes`, `config`), or a reference held
/// by the record (`script`, `class`, `group`, `owner`, `channel`, `profile`,
/// `instance`, `public-link`).
fn declared_link(
    spec: &Spec,
    detail: &[String],
    rec: &Record,
    name: &str,
    out: &Map<String, Value>,
) -> Option<Value> {
    for alt in [name.replace('_', "-"), name.replace('-', "_")] {
        if let Some(v) = out.get(&alt) {
            return Some(v.clone());
        }
    }
    let under = name.replace('-', "_");
    let instance_base: Option<Vec<String>> =
        (detail.len() >= 3 && detail[1] == "instances").then(|| detail[..3].to_vec());
    let val = |k: &str| {
        rec.get(k).filter(|v| !v.is_null()).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    };
    if let Some(base) = &instance_base {
        let reference: Option<Vec<&str>> = match under.as_str() {
            "script" => Some(vec!["snippets", "scripts"]),
            "class" => Some(vec!["classes"]),
            "group" => Some(vec!["groups"]),
            "owner" | "user" => Some(vec!["users"]),
            "channel" => Some(vec!["channels"]),
            _ => None,
        };
        if let (Some(coll), Some(v)) = (reference, val(&under)) {
            let mut segs = base.clone();
            segs.extend(coll.into_iter().map(str::to_owned));
            segs.push(v);
            return Some(Value::String(join(&segs)));
        }
        if under == "profile" {
            if let Some(pid) = rec.meta.profile_id.map(|p| p.to_string()) {
                let mut segs = base.clone();
                segs.extend(["classes", "user_profile", "objects"].map(str::to_owned));
                segs.push(pid);
                return Some(Value::String(join(&segs)));
            }
        }
        if under == "public_link" {
            if let (Some(link), Some(n)) = (val("public_link"), val("name")) {
                let mut segs = base.clone();
                segs.extend(["endpoints", "scripts", "p"].map(str::to_owned));
                segs.push(link);
                segs.push(n);
                return Some(Value::String(join(&segs)));
            }
        }
    }
    if under == "instance" {
        if let Some(v) = val("instance") {
            return Some(Value::String(join(&[
                "v1.1".to_owned(),
                "instances".to_owned(),
                v,
            ])));
        }
    }
    // references without a value have no link
    if matches!(
        under.as_str(),
        "script"
            | "class"
            | "group"
            | "owner"
            | "user"
            | "channel"
            | "profile"
            | "instance"
            | "public_link"
    ) {
        return None;
    }
    // walk up: a literal child of the path or of one of its ancestors
    for k in (2..=detail.len()).rev() {
        for cand in [under.clone(), format!("{under}s")] {
            let mut prefix: Vec<String> = detail[..k].to_vec();
            prefix.push(cand.clone());
            let known = spec.routes.iter().any(|r| {
                r.segs.len() >= prefix.len()
                    && matches!(r.segs.get(k), Some(Seg::Lit(l)) if *l == cand)
                    && r.segs.iter().zip(&prefix).all(|(t, s)| match t {
                        Seg::Lit(l) => l == s,
                        Seg::Param(_) => true,
                    })
            });
            if known {
                return Some(Value::String(join(&prefix)));
            }
        }
    }
    None
}

/// Renders a record of resource `res`.
pub fn render(spec: &Spec, res: usize, detail: Option<&[String]>, rec: &Record) -> Value {
    let mut out = Map::new();
    let Some(r) = spec.resources.get(res) else {
        return Value::Object(out);
    };
    for f in &r.fields {
        if f.write_only {
            continue;
        }
        if matches!(f.ty, FieldType::Links) {
            continue;
        }
        let v = rec
            .get(&f.name)
            .cloned()
            .or_else(|| f.default.clone())
            .unwrap_or(Value::Null);
        // a file is rendered as whether one is set (APNs certificates); the bytes
        // are never sent back
        let v = if matches!(f.ty, FieldType::File) {
            Value::Bool(!matches!(v, Value::Null | Value::Bool(false)))
        } else {
            v
        };
        out.insert(f.name.clone(), v);
    }
    if r.extensible {
        for (k, v) in rec {
            if out.contains_key(k) || k == "links" {
                continue;
            }
            if r.fields.iter().any(|f| f.name == *k && f.write_only) {
                continue;
            }
            out.insert(k.clone(), v.clone());
        }
    }
    if let Some(d) = detail {
        out.insert("links".into(), Value::Object(links(spec, res, d, rec)));
    }
    Value::Object(out)
}

/// Applies `fields=` / `excluded_fields=` of a GET request.
pub fn select(req: &Req, v: Value) -> Value {
    let Value::Object(mut m) = v else { return v };
    if let Some(f) = req.q("fields") {
        let keep: Vec<&str> = f
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if !keep.is_empty() {
            m.retain(|k, _| keep.contains(&k.as_str()));
        }
    }
    if let Some(f) = req.q("excluded_fields") {
        for k in f.split(',').map(str::trim) {
            m.remove(k);
        }
    }
    Value::Object(m)
}

/// Copies the `keys` that `rec` has into `view` (stored values shown as stored).
pub fn copy_stored(view: &mut Map<String, Value>, rec: &Record, keys: &[&str]) {
    for k in keys {
        if let Some(x) = rec.get(*k) {
            view.insert((*k).to_owned(), x.clone());
        }
    }
}
