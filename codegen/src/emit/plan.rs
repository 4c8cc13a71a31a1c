//! The analysis behind emission: each resource's Rust names, manager scope, the
//! parent/child relations between resources and the accessor names.

use std::collections::{BTreeMap, BTreeSet};

use super::GenerateError;
use super::structs::is_reserved;
use crate::names::{self, camel_ok, snake_ok};
use crate::schema::{Endpoint, FieldType, Resource, Schema};
use crate::validate::template_params;

/// What emission needs to know about one resource.
pub(crate) struct ResPlan<'a> {
    pub res: &'a Resource,
    /// The Rust type name of the model.
    pub ty: String,
    /// The scope parameters (path parameters shared by all endpoints), document names.
    pub scope: Vec<String>,
    /// The endpoint whose path is "the collection" (list, or a detail/custom endpoint
    /// with no parameters beyond the scope); children hang below it.
    pub base: Option<&'a Endpoint>,
    /// The accessor name on the client (root resources only).
    pub accessor: String,
    /// The children: (accessor name, child resource index).
    pub children: Vec<(String, usize)>,
    /// The parent used for examples: (parent index, accessor name).
    pub parent: Option<(usize, String)>,
}

impl ResPlan<'_> {
    pub fn is_root(&self) -> bool {
        self.scope.is_empty()
    }
    pub fn generic(&self) -> bool {
        self.res.extensible
    }
    /// Whether the model has a `links` field, which gives the model conveniences.
    pub fn links_field(&self) -> bool {
        self.res
            .fields
            .iter()
            .any(|f| f.name == "links" && f.ty == FieldType::Links && !f.write_only)
    }
}

/// A path template with the parameters replaced by `{}`.
fn shape(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}

/// The literal segments of a path suffix.
fn literal_segments(suffix: &str) -> Vec<&str> {
    suffix.split('/').filter(|s| !s.is_empty()).collect()
}

fn plural(snake: &str) -> String {
    if snake.ends_with('s') || snake.ends_with('x') {
        format!("{snake}es")
    } else if let Some(stem) = snake
        .strip_suffix('y')
        .filter(|s| !s.ends_with(['a', 'e', 'i', 'o', 'u']))
    {
        format!("{stem}ies")
    } else {
        format!("{snake}s")
    }
}

pub(crate) fn plan(schema: &Schema) -> Result<Vec<ResPlan<'_>>, GenerateError> {
    let mut plans: Vec<ResPlan<'_>> = schema
        .resources
        .iter()
        .map(|res| {
            let scope = common_prefix(res);
            let base = res
                .list()
                .or_else(|| res.detail().filter(|d| d.path_params.len() == scope.len()))
                .or_else(|| {
                    res.endpoints
                        .iter()
                        .filter(|e| e.path_params.len() == scope.len())
                        .min_by(|a, b| a.path.len().cmp(&b.path.len()).then(a.name.cmp(&b.name)))
                });
            ResPlan {
                res,
                ty: model_name(&res.name),
                scope,
                base,
                accessor: String::new(),
                children: Vec::new(),
                parent: None,
            }
        })
        .collect();

    // Accessor names: the last literal segment of a list path; the resource in snake
    // case for single objects. Siblings that collide use their plural resource name.
    let mut parent_of: Vec<Option<(usize, String)>> = vec![None; plans.len()];
    // (parent or None for the client) -> [(child, preferred name, fallback name)]
    let mut groups: BTreeMap<Option<usize>, Vec<(usize, String, String)>> = BTreeMap::new();
    for (ci, c) in plans.iter().enumerate() {
        let Some(base) = c.base else { continue };
        if template_params(&base.path)
            .map(|p| p.len())
            .unwrap_or(usize::MAX)
            != base.path_params.len()
        {
            continue;
        }
        let res_snake = names::bare(&snake_ok(&c.res.name)).to_string();
        let fallback = if base.name == "list" {
            plural(&res_snake)
        } else {
            res_snake.clone()
        };
        let preferred_from = |suffix: &str| -> String {
            if base.name == "list" {
                literal_segments(suffix)
                    .last()
                    .map(|s| names::bare(&snake_ok(s)).to_string())
                    .unwrap_or_else(|| fallback.clone())
            } else {
                res_snake.clone()
            }
        };
        if c.scope.is_empty() {
            // root: an accessor on the client (and maybe also on a single-object parent)
            groups.entry(None).or_default().push((
                ci,
                preferred_from(&base.path),
                fallback.clone(),
            ));
        }
        if base.path_params.len() != c.scope.len() {
            continue;
        }
        let c_shape = shape(&base.path);
        // the parent with the longest detail path that is a prefix
        let mut best: Option<(usize, usize)> = None;
        for (pi, p) in plans.iter().enumerate() {
            if pi == ci {
                continue;
            }
            let Some(pd) = p.res.detail() else { continue };
            if pd.path_params.len() != c.scope.len() {
                continue;
            }
            let p_shape = shape(&pd.path);
            if c_shape.len() > p_shape.len()
                && c_shape.starts_with(&p_shape)
                && !c_shape[p_shape.len()..].contains('{')
                && best.is_none_or(|(_, len)| p_shape.len() > len)
            {
                best = Some((pi, p_shape.len()));
            }
        }
        if let Some((pi, len)) = best {
            let suffix = &c_shape[len..];
            groups.entry(Some(pi)).or_default().push((
                ci,
                preferred_from(suffix),
                fallback.clone(),
            ));
        }
    }
    for (parent, members) in groups {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, pref, _) in &members {
            *counts.entry(pref.as_str()).or_default() += 1;
        }
        let mut taken: BTreeSet<String> = BTreeSet::new();
        let mut chosen = Vec::new();
        for (ci, pref, fallback) in &members {
            let name = if counts.get(pref.as_str()).copied().unwrap_or(0) > 1 {
                fallback.clone()
            } else {
                pref.clone()
            };
            if !taken.insert(name.clone()) {
                return Err(GenerateError::new(format!(
                    "resource \"{}\": its accessor `{name}` collides with a sibling's; rename one of the resources",
                    plans[*ci].res.name
                )));
            }
            chosen.push((*ci, name));
        }
        for (ci, name) in chosen {
            let rust_name = names::snake_ok(&name);
            if parent.is_none() {
                plans[ci].accessor = rust_name.clone();
            }
            if let Some(pi) = parent {
                parent_of[ci] = Some((pi, rust_name.clone()));
                plans[pi].children.push((rust_name, ci));
            }
        }
    }
    for (ci, p) in parent_of.into_iter().enumerate() {
        plans[ci].parent = p;
    }
    for p in &mut plans {
        p.children.sort();
    }
    Ok(plans)
}

/// The model's type name: the resource's name in CamelCase, with `Resource` added when
/// that is a name the generated code refers to unqualified (`Option`, `Result` …).
fn model_name(resource: &str) -> String {
    let ty = camel_ok(resource);
    if is_reserved(&ty) {
        format!("{ty}Resource")
    } else {
        ty
    }
}

/// The longest common prefix (by name) of all endpoints' path parameters.
fn common_prefix(res: &Resource) -> Vec<String> {
    let mut iter = res.endpoints.iter();
    let Some(first) = iter.next() else {
        return Vec::new();
    };
    let mut prefix: Vec<String> = first.path_params.clone();
    for e in iter {
        let n = prefix
            .iter()
            .zip(&e.path_params)
            .take_while(|(a, b)| a == b)
            .count();
        prefix.truncate(n);
    }
    prefix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_plurals() {
        assert_eq!(
            shape("/v1.1/instances/{name}/classes/"),
            "/v1.1/instances/{}/classes/"
        );
        assert_eq!(plural("script"), "scripts");
        assert_eq!(plural("class"), "classes");
        assert_eq!(plural("policy"), "policies");
        assert_eq!(plural("key"), "keys");
    }
}
