//! Glue between the pure data-object logic ([`crate::dataobjects`]) and the
//! store: class lookups and nested `_is` resolution for `query`, and the
//! `order_by` parameter.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::classes::{class_fields, objects_coll};
use crate::dataobjects::query::{ClassLookup, NestedTarget, Query, parse_query_with};
use crate::dataobjects::schema::ClassField;
use crate::store::{Key, Store};

struct Lookup<'a> {
    store: &'a Store,
    base: &'a str,
}

impl ClassLookup for Lookup<'_> {
    fn class_fields(&self, name: &str) -> Option<Vec<ClassField>> {
        self.store
            .get(
                &format!("{}classes/", self.base),
                &Key::Str(name.to_owned()),
            )
            .map(class_fields)
    }
}

/// Parses a `query` and resolves its nested `_is` queries against the store.
pub fn parse(
    store: &Store,
    base: &str,
    class: &str,
    text: &str,
    fields: &[ClassField],
) -> Result<Query, Value> {
    let lookup = Lookup { store, base };
    let mut q = parse_query_with(text, fields, &lookup).map_err(|e| e.body())?;
    q.resolve_nested(|target, nested| {
        let mut ids = BTreeSet::new();
        match target {
            NestedTarget::User => {
                if let Some(users) = store.collection(&format!("{base}users/")) {
                    for (k, u) in users {
                        let Key::Int(uid) = k else { continue };
                        let mut view = u.clone();
                        if let Some(pid) = u.meta.profile_id {
                            if let Some(p) =
                                store.get(&objects_coll(base, "user_profile"), &Key::Int(pid))
                            {
                                for (pk, pv) in p {
                                    view.entry(pk.clone()).or_insert(pv.clone());
                                }
                            }
                        }
                        view.insert("id".into(), json!(uid));
                        if nested.matches(&view) {
                            ids.insert(*uid);
                        }
                    }
                }
            }
            NestedTarget::SelfClass | NestedTarget::Class(_) => {
                let cname = match target {
                    NestedTarget::Class(c) => c.as_str(),
                    _ => class,
                };
                if let Some(objs) = store.collection(&objects_coll(base, cname)) {
                    for (k, o) in objs {
                        if let Key::Int(id) = k {
                            if nested.matches(o) {
                                ids.insert(*id);
                            }
                        }
                    }
                }
            }
        }
        ids
    });
    Ok(q)
}
