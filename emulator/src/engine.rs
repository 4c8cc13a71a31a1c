//! The generic, schema-driven resource engine: list, create, get, update and
//! delete of any resource from its schema description, plus the building blocks
//! (validation into records, paging) the resource modules reuse. It knows no
//! resource by name: what a resource does differently comes in through
//! [`Target::behaviour`](crate::context::Target::behaviour) hooks or is registered
//! as a handler in [`crate::registry`].

use std::cmp::Ordering;
use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use syncano_codegen::schema::HttpMethod;

use crate::api::{HResult, Req, Resp};
use crate::behaviour::Call;
use crate::context::{Ctx, Target};
use crate::paging;
use crate::render;
use crate::spec::{KeySpec, Kind, join};
use crate::store::{self, Key, Record};
use crate::validate::{self, Mode};

/// DRF's message for a value that must be unique.
pub const UNIQUE: &str = "This field must be unique.";

/// The generic handler of any operation: list, create, detail read and writes, and
/// custom endpoints without semantics of their own.
pub fn generic(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let (req, t) = (call.req, call.target);
    match (t.kind, call.method) {
        (Kind::List, HttpMethod::Post) => create(ctx, call),
        (Kind::List, _) => list_kept(ctx, req, t, None),
        (Kind::Detail, HttpMethod::Get) => get(ctx, call),
        (Kind::Detail, HttpMethod::Delete) => delete(ctx, call),
        (Kind::Detail, _) => write(ctx, call),
        (Kind::Custom, _) => custom(ctx, req, t, call.method),
    }
}

/// The generic create (`POST` on a list).
pub fn create(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    create_generic(ctx, call.target, &call.req.body_or_empty(), Record::new())
}

/// The generic detail read.
pub fn get(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let t = call.target;
    let (coll, key) = detail_key(ctx, t)?;
    let rec = get_or_singleton(ctx, t, &coll, &key)?;
    Ok(Resp::ok(render::select(
        call.req,
        render::render(ctx.spec, t.res, Some(&t.m.segs), &rec),
    )))
}

/// The generic detail write: `PATCH` merges, `PUT` (and `POST`) replaces.
pub fn write(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let t = call.target;
    let (coll, key) = detail_key(ctx, t)?;
    let mode = if call.method == HttpMethod::Patch {
        Mode::Update
    } else {
        Mode::Replace
    };
    let rec = get_or_singleton(ctx, t, &coll, &key)?;
    let rec = update_record(ctx, t, call.req, rec, mode)?;
    ctx.store.put(&coll, key, rec.clone())?;
    Ok(Resp::ok(render::render(
        ctx.spec,
        t.res,
        Some(&t.m.segs),
        &rec,
    )))
}

/// The generic delete: the record and everything under its path.
pub fn delete(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let t = call.target;
    let (coll, key) = detail_key(ctx, t)?;
    if ctx.store.remove(&coll, &key)?.is_none() {
        return Err(Resp::not_found());
    }
    ctx.store.remove_prefix(&join(&t.m.segs))?;
    Ok(Resp::no_content())
}

/// The generic create: validates `body`, stores the record (starting from `base`,
/// the values the server sets) and answers it, 201.
pub fn create_generic(ctx: &mut Ctx<'_>, t: &Target, body: &Value, base: Record) -> HResult<Resp> {
    let coll = join(&t.m.segs);
    let (key, rec) = create_record(ctx, t, body, base)?;
    ctx.store.put(&coll, key.clone(), rec.clone())?;
    let mut segs = t.m.segs.clone();
    segs.push(key.to_string());
    Ok(Resp::created(render::render(
        ctx.spec,
        t.res,
        Some(&segs),
        &rec,
    )))
}

/// How the records of the target's resource are keyed.
fn key_spec(ctx: &Ctx<'_>, t: &Target) -> HResult<KeySpec> {
    ctx.spec
        .keys
        .get(t.res)
        .cloned()
        .ok_or_else(Resp::not_found)
}

/// The collection and key of a detail request.
pub fn detail_key(ctx: &Ctx<'_>, t: &Target) -> HResult<(String, Key)> {
    let ks = ctx.spec.keys.get(t.res).ok_or_else(Resp::not_found)?;
    if ks.param.is_none() {
        return Ok((join(&t.m.segs), Key::Str(String::new())));
    }
    let n = t.m.segs.len();
    if n == 0 {
        return Err(Resp::not_found());
    }
    let key = Key::from_segment(&t.m.segs[n - 1], ks.auto).ok_or_else(Resp::not_found)?;
    Ok((join(&t.m.segs[..n - 1]), key))
}

fn get_or_singleton(ctx: &Ctx<'_>, t: &Target, coll: &str, key: &Key) -> HResult<Record> {
    match ctx.store.get(coll, key) {
        Some(r) => Ok(r.clone()),
        None if ctx.spec.keys.get(t.res).is_some_and(|k| k.param.is_none()) => {
            // singletons (configs) exist implicitly with their defaults
            let mut r = Record::new();
            let now = crate::time::now();
            r.insert("created_at".into(), Value::String(now.clone()));
            r.insert("updated_at".into(), Value::String(now));
            Ok(r)
        }
        None => Err(Resp::not_found()),
    }
}

/// Deletes the records of the given instance collections whose `field`
/// equals `value` (with everything under them).
pub fn cascade(
    ctx: &mut Ctx<'_>,
    base: &str,
    colls: &[&str],
    field: &str,
    value: &Value,
) -> HResult<()> {
    for c in colls {
        let coll = format!("{base}{c}");
        let doomed: Vec<Key> = ctx
            .store
            .collection(&coll)
            .map(|items| {
                items
                    .iter()
                    .filter(|(_, r)| r.get(field) == Some(value))
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        for k in doomed {
            ctx.store.remove(&coll, &k)?;
            ctx.store.remove_prefix(&format!(
                "{coll}{}/",
                crate::spec::encode_segment(&k.to_string())
            ))?;
        }
    }
    Ok(())
}

/// Validates a create body and builds the record (not yet stored).
pub fn create_record(
    ctx: &mut Ctx<'_>,
    t: &Target,
    body: &Value,
    mut base: Record,
) -> HResult<(Key, Record)> {
    let fields = ctx.spec.write_fields(t.route);
    let clean = validate::validate(fields, body, Mode::Create, &[]).map_err(Resp::bad)?;
    check_refs(ctx, t, &clean)?;
    check_specific(t, &clean)?;
    let ks = key_spec(ctx, t)?;
    let coll = join(&t.m.segs);
    let key = if ks.auto {
        // invitation ids are global: accounts see them across instances
        let counter = match t.behaviour.and_then(|b| b.id_counter) {
            Some(global) => global.to_owned(),
            None => format!("{coll}#seq"),
        };
        Key::Int(ctx.store.next_id(&counter)?)
    } else {
        // the key field is settable on create even when the schema marks it
        // read-only (it is read-only on the detail endpoint)
        let v = clean
            .get(&ks.field)
            .or_else(|| body.get(&ks.field).filter(|v| v.is_string()))
            .cloned()
            .unwrap_or(Value::Null);
        let slug = t.behaviour.is_some_and(|b| b.slug_names);
        let v = match v {
            Value::String(s) if slug => Value::String(s.trim().to_lowercase()),
            other => other,
        };
        if let (true, Value::String(s)) = (slug, &v) {
            let errors = validate::stripped_slug_errors(s);
            if !s.is_empty() && !errors.is_empty() {
                return Err(Resp::bad(json!({ ks.field.as_str(): errors })));
            }
        }
        let s = match v {
            Value::String(s) if s.trim().is_empty() => {
                return Err(Resp::field_error(&ks.field, "This field may not be blank."));
            }
            Value::String(s) if s.contains('/') => {
                return Err(Resp::field_error(
                    &ks.field,
                    "Enter a valid value without \"/\".",
                ));
            }
            Value::String(s) => s,
            Value::Null => return Err(Resp::field_error(&ks.field, "This field is required.")),
            other => other.to_string(),
        };
        let key = Key::Str(s);
        if ctx.store.get(&coll, &key).is_some() {
            return Err(Resp::field_error(&ks.field, UNIQUE));
        }
        key
    };
    for (k, v) in clean {
        if k != "expected_revision" {
            base.insert(k, v);
        }
    }
    if !ks.field.is_empty() {
        base.insert(ks.field.clone(), key.to_json());
    }
    let now = crate::time::now();
    base.entry("created_at")
        .or_insert_with(|| Value::String(now.clone()));
    base.insert("updated_at".into(), Value::String(now));
    fill_generated(t, &mut base);
    Ok((key, base))
}

/// References by well-known field names inside an instance must point to
/// existing records: `script`, `group`, `backup`, `user` (ids) and `class`
/// (a name), with DRF's related-field messages.
fn check_refs(ctx: &Ctx<'_>, t: &Target, clean: &Map<String, Value>) -> HResult<()> {
    let Some(base) = t.instance_path() else {
        return Ok(());
    };
    let mut errors = Map::new();
    for (field, coll, by_name) in [
        ("script", "snippets/scripts/", false),
        ("group", "groups/", false),
        ("backup", "backups/full/", false),
        ("user", "users/", false),
        ("class", "classes/", true),
    ] {
        let Some(v) = clean.get(field) else { continue };
        if v.is_null() || v.is_object() || v.is_array() {
            continue;
        }
        let shown = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        let key = if by_name {
            Some(Key::Str(shown.clone()))
        } else {
            shown.parse::<i64>().ok().map(Key::Int)
        };
        let exists = key.is_some_and(|k| ctx.store.get(&format!("{base}{coll}"), &k).is_some());
        if !exists {
            let msg = if by_name {
                format!("Object with name={shown} does not exist.")
            } else {
                format!("Invalid pk \"{shown}\" - object does not exist.")
            };
            errors.insert(field.into(), json!([msg]));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Resp::bad(Value::Object(errors)))
    }
}

/// The checks of the target's resource that the schema cannot express.
fn check_specific(t: &Target, clean: &Map<String, Value>) -> HResult<()> {
    match t.behaviour.and_then(|b| b.check) {
        Some(check) => check(clean),
        None => Ok(()),
    }
}

/// The values the server sets on a new record of the target's resource.
fn fill_generated(t: &Target, rec: &mut Record) {
    if let Some(fill) = t.behaviour.and_then(|b| b.on_create) {
        fill(rec);
    }
}

/// Validates an update body and merges it into `rec`.
pub fn update_record(
    ctx: &mut Ctx<'_>,
    t: &Target,
    req: &Req,
    mut rec: Record,
    mode: Mode,
) -> HResult<Record> {
    let body = req.body_or_empty();
    let fields = ctx.spec.write_fields(t.route);
    let ks = key_spec(ctx, t)?;
    let ro: Vec<&str> = if ks.param.is_some() && !ks.field.is_empty() {
        vec![ks.field.as_str()]
    } else {
        vec![]
    };
    let clean = validate::validate(fields, &body, mode, &ro).map_err(Resp::bad)?;
    check_refs(ctx, t, &clean)?;
    check_specific(t, &clean)?;
    for (k, v) in clean {
        if k != "expected_revision" {
            rec.insert(k, v);
        }
    }
    rec.insert("updated_at".into(), Value::String(crate::time::now()));
    Ok(rec)
}

/// The generic list, restricted to the records whose integer `field` is `only` when
/// given (a caller's own records: its user, its key, its devices).
pub fn list_owned(
    ctx: &Ctx<'_>,
    req: &Req,
    t: &Target,
    field: &str,
    only: Option<i64>,
) -> HResult<Resp> {
    match only {
        None => list_kept(ctx, req, t, None),
        Some(v) => list(ctx, req, t, |r| {
            r.get(field).and_then(Value::as_i64) == Some(v)
        }),
    }
}

/// Generic list with an item filter.
pub fn list(ctx: &Ctx<'_>, req: &Req, t: &Target, keep: impl Fn(&Record) -> bool) -> HResult<Resp> {
    list_kept(ctx, req, t, Some(&keep))
}

/// Generic list of the records `keep` keeps (every record when `None`, which lets
/// `include_count` read the collection's length instead of walking it). A page is
/// read from its cursor on, in list order.
pub fn list_kept(
    ctx: &Ctx<'_>,
    req: &Req,
    t: &Target,
    keep: Option<&dyn Fn(&Record) -> bool>,
) -> HResult<Resp> {
    let ep = ctx.spec.endpoint(t.route);
    let paginated = ep.and_then(|e| e.paginated).unwrap_or(true);
    let coll = join(&t.m.segs);
    let kept = |r: &Record| keep.is_none_or(|k| k(r));
    if paginated {
        if let Some(c) = ctx.store.collection(&coll) {
            // records keyed by name: in creation order, which the store keeps
            if let Some(order) = ctx.store.creation_order(&coll) {
                let entry = |_: &Key, key: &Key| c.get_key_value(key);
                return page_index(ctx, req, t, c, order, entry, keep);
            }
            // records with integer ids: the collection is the index, in list order
            if c.keys().next().is_some_and(|k| matches!(k, Key::Int(_))) {
                let entry = |key, rec| Some((key, rec));
                return page_index(ctx, req, t, c, c, entry, keep);
            }
        }
    }
    let items: Vec<(Key, Record)> = ctx
        .store
        .collection(&coll)
        .map(|c| {
            c.iter()
                .filter(|(_, r)| kept(r))
                .map(|(k, r)| (k.clone(), r.clone()))
                .collect()
        })
        .unwrap_or_default();
    if !paginated {
        let mut m = Map::new();
        for (k, r) in items {
            m.insert(k.to_string(), render::render(ctx.spec, t.res, None, &r));
        }
        return Ok(Resp::ok(Value::Object(m)));
    }
    page_records(ctx, req, t, items)
}

/// A page of the collection `c` read from the cursor on ([`paging::index_page`]),
/// in the list order of `index`, whose keys are the list positions ([`store::list_position`],
/// the `last_pk` cursor) and whose entries name the records (`entry` finds the key
/// and record of one). `keep` filters the records (every one when `None`).
///
/// A page costs O(log n + page size + the records `keep` skips). The count of
/// `include_count` is the collection's length without a filter, but walks the whole
/// collection with one: O(n).
fn page_index<'a, V>(
    ctx: &Ctx<'_>,
    req: &Req,
    t: &Target,
    c: &'a store::Collection,
    index: &'a BTreeMap<Key, V>,
    entry: impl Fn(&'a Key, &'a V) -> Option<(&'a Key, &'a Record)>,
    keep: Option<&dyn Fn(&Record) -> bool>,
) -> HResult<Resp> {
    let p = paging::parse(req)?;
    let cursor: Option<Key> = match req.q("last_pk") {
        None | Some("") => None,
        Some(s) => Some(Key::from_segment(s.trim(), true).ok_or_else(paging::bad_page)?),
    };
    let kept = |r: &Record| keep.is_none_or(|k| k(r));
    let total = match (p.include_count, keep) {
        (false, _) => 0,
        (true, None) => c.len(),
        (true, Some(keep)) => c.values().filter(|r| keep(r)).count(),
    };
    let page: Vec<(&Key, &Key, &Record)> =
        paging::index_page(index, &p, p.desc, cursor.as_ref(), |k, v| {
            entry(k, v).is_some_and(|(_, r)| kept(r))
        })
        .into_iter()
        .filter_map(|(at, v)| entry(at, v).map(|(key, rec)| (at, key, rec)))
        .collect();
    let objects = rendered(ctx, req, t, page.iter().map(|(_, k, r)| (*k, *r)));
    let listing = paging::Listing {
        req,
        params: &p,
        carried: paging::LIST_LINK_PARAMS,
        cursor: &|(at, _, _): &(&Key, &Key, &Record)| vec![("last_pk".to_owned(), at.to_string())],
    };
    Ok(Resp::ok(listing.envelope(&page, objects, total)))
}

/// The records of a page as the API shows them, each under its own key.
fn rendered<'a>(
    ctx: &Ctx<'_>,
    req: &Req,
    t: &Target,
    rows: impl Iterator<Item = (&'a Key, &'a Record)>,
) -> Vec<Value> {
    rows.map(|(k, r)| {
        let mut segs = t.m.segs.clone();
        segs.push(k.to_string());
        render::select(req, render::render(ctx.spec, t.res, Some(&segs), r))
    })
    .collect()
}

/// Where a record stands in its list ([`store::list_position`]).
fn list_position((key, rec): &(Key, Record)) -> Key {
    store::list_position(key, rec)
}

/// Pages (key, record) pairs in list order, using `last_pk` (an integer): for
/// lists a handler builds itself; it sorts them, O(n log n) a page, where a
/// collection's own list ([`list`]) reads its page from an index.
pub fn page_records(
    ctx: &Ctx<'_>,
    req: &Req,
    t: &Target,
    mut items: Vec<(Key, Record)>,
) -> HResult<Resp> {
    let p = paging::parse(req)?;
    let cursor: Option<Key> = match req.q("last_pk") {
        None | Some("") => None,
        Some(s) => Some(Key::from_segment(s.trim(), true).ok_or_else(paging::bad_page)?),
    };
    items.sort_by_cached_key(list_position);
    let total = items.len();
    let cmp = cursor.map(|c| move |it: &(Key, Record)| -> Ordering { list_position(it).cmp(&c) });
    let page = paging::cut(
        items,
        &p,
        cmp.as_ref()
            .map(|f| f as &dyn Fn(&(Key, Record)) -> Ordering),
    );
    let objects = rendered(ctx, req, t, page.iter().map(|(k, r)| (k, r)));
    let listing = paging::Listing {
        req,
        params: &p,
        carried: paging::LIST_LINK_PARAMS,
        cursor: &|it: &(Key, Record)| vec![("last_pk".to_owned(), list_position(it).to_string())],
    };
    Ok(Resp::ok(listing.envelope(&page, objects, total)))
}

/// The record a custom endpoint acts on (the detail path it extends).
pub struct ActionRecord {
    /// The segments of its detail path.
    pub segs: Vec<String>,
    /// Its collection.
    pub coll: String,
    /// Its key there.
    pub key: Key,
    /// Its stored value (a singleton's defaults if it was never written).
    pub rec: Record,
}

/// The record a custom endpoint acts on; `Ok(None)` for custom endpoints that act on
/// no record.
pub fn action_record(ctx: &Ctx<'_>, t: &Target) -> HResult<Option<ActionRecord>> {
    let Some(tl) = ctx.spec.routes[t.route].target_len else {
        return Ok(None);
    };
    let ks = key_spec(ctx, t)?;
    let dsegs: Vec<String> = t.m.segs[..tl].to_vec();
    let (coll, key) = if ks.param.is_none() {
        (join(&dsegs), Key::Str(String::new()))
    } else {
        let key = Key::from_segment(&dsegs[tl - 1], ks.auto).ok_or_else(Resp::not_found)?;
        (join(&dsegs[..tl - 1]), key)
    };
    let rec = match ctx.store.get(&coll, &key) {
        Some(r) => r.clone(),
        None if ks.param.is_none() => Record::new(),
        None => return Err(Resp::not_found()),
    };
    Ok(Some(ActionRecord {
        segs: dsegs,
        coll,
        key,
        rec,
    }))
}

/// The validated body of a custom endpoint that declares one (empty otherwise).
pub fn action_body(ctx: &Ctx<'_>, req: &Req, t: &Target) -> HResult<Map<String, Value>> {
    let declared = ctx
        .spec
        .endpoint(t.route)
        .is_some_and(|e| e.fields.is_some());
    if !declared || req.method == axum::http::Method::GET {
        return Ok(Map::new());
    }
    validate::validate(
        ctx.spec.write_fields(t.route),
        &req.body_or_empty(),
        Mode::Create,
        &[],
    )
    .map_err(Resp::bad)
}

/// The answer of a custom endpoint about the record at `dsegs`, with the status the
/// schema declares for it (200 when it declares none).
pub fn action_answer(ctx: &Ctx<'_>, t: &Target, dsegs: &[String], rec: &Record) -> Resp {
    let st = ctx
        .spec
        .endpoint(t.route)
        .and_then(|e| e.status)
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    if st == StatusCode::NO_CONTENT {
        return Resp::no_content();
    }
    Resp::json(st, render::render(ctx.spec, t.res, Some(dsegs), rec))
}

/// Custom endpoints without semantics of their own: the body is validated against
/// the schema, and the answer is the record acted on (or the body echoed for an
/// endpoint that acts on no record), with the schema's status.
fn custom(ctx: &mut Ctx<'_>, req: &Req, t: &Target, hm: HttpMethod) -> HResult<Resp> {
    action_body(ctx, req, t)?;
    let status = ctx.spec.endpoint(t.route).and_then(|e| e.status);
    let Some(ActionRecord {
        segs: dsegs, rec, ..
    }) = action_record(ctx, t)?
    else {
        return Ok(match status {
            Some(s) if s != 204 => Resp::json(
                StatusCode::from_u16(s).unwrap_or(StatusCode::OK),
                req.body_or_empty(),
            ),
            _ => Resp::no_content(),
        });
    };
    if hm != HttpMethod::Get && status == Some(204) {
        return Ok(Resp::no_content());
    }
    Ok(action_answer(ctx, t, &dsegs, &rec))
}
