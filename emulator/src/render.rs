//! Turning stored records into response bodies: schema fields only (write-only
//! ones never), internal `__` keys dropped, `links` computed from the schema's
//! paths, and `fields` / `excluded_fields` applied.

use crate::schema_shim::FieldType;
use serde_json::{Map, Value};

use crate::api::Req;
use crate::spec::{Kind, Seg, Spec, join};
use crate::store::Record;

/// Prefix of keys the emulator keeps for itself inside records.
pub const INTERNAL: &str = "__";

/// Links of a record of resource `res` whose detail path has the concrete
/// segments `detail`.
pub fn links(spec: &Spec, res: usize, detail: &[String]) -> Map<String, Value> {
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
        out.entry(name)
            .or_insert_with(|| Value::String(join(&segs)));
    }
    // aliases for the link names the schema declares
    if let Some(r) = spec.resources.get(res) {
        for f in &r.fields {
            for l in &f.links {
                if out.contains_key(&l.name) {
                    continue;
                }
                let norm = l.name.replace('_', "-");
                if let Some(v) = out.get(&norm).cloned() {
                    out.insert(l.name.clone(), v);
                }
            }
        }
    }
    out
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
        out.insert(f.name.clone(), v);
    }
    if r.extensible {
        for (k, v) in rec {
            if k.starts_with(INTERNAL) || out.contains_key(k) || k == "links" {
                continue;
            }
            if r.fields.iter().any(|f| f.name == *k && f.write_only) {
                continue;
            }
            out.insert(k.clone(), v.clone());
        }
    }
    if let Some(d) = detail {
        out.insert("links".into(), Value::Object(links(spec, res, d)));
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
