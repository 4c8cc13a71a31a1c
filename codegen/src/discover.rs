//! Building a schema document for a server that serves none
//! (`syncano-schema discover`), by walking the API.
//!
//! # What it does
//! 1. creates a scratch instance (`POST /v1.1/instances/`, named
//!    `schema-discover-<random>`), so that nothing of yours is touched;
//! 2. walks breadth-first from `GET /v1.1/`, following the `links` of every
//!    answer and also trying the parent of every path reached (link roots such
//!    as `snippets/` are not always linked). Every path gets an `OPTIONS` request
//!    (the `Allow` header gives the methods; `actions.POST` / `actions.PUT` the
//!    fields) and, when allowed, a `GET`; long polls and runs (`poll`, `run`)
//!    get their `GET` only inside the scratch instance, with a 3 s limit;
//! 3. inside the scratch instance, creates one record of its own in every
//!    collection that allows `POST` (a class, an object, a user, a group, a
//!    script, a channel ...: bodies built from the required fields of the
//!    `OPTIONS` metadata, references to records made before, and a few known
//!    values), so that detail endpoints and the collections below them can be
//!    reached; creations that need records made later (a trigger needs a
//!    script and a class) are retried until nothing more can be made. An empty
//!    channel history or trace list is filled by publishing to the channel or
//!    running the script;
//! 4. with a known document ([`discover_with`]), tries each of its endpoint
//!    paths that the walk did not reach;
//! 5. without an `Allow` header, sends the scratch instance's records an empty
//!    `PATCH` and finally, children first, a `DELETE`, to learn whether they
//!    take them;
//! 6. deletes the scratch instance, also when the walk failed, and returns the
//!    document and the endpoints it could not reach or fully read.
//!
//! Other instances of the account are never entered; outside the scratch
//! instance only `OPTIONS` and `GET` are sent (plus the `POST` creating the
//! scratch instance).
//!
//! # How paths become templates
//! A collection's record paths (`links.self` of its items) become the
//! collection's path plus one parameter, named after the collection's last
//! literal segment in the singular (`classes` → `{class}`, `api_keys` →
//! `{api_key}`); every other path keeps the template of its longest known
//! prefix plus its own literal segments.
//!
//! # How endpoints are grouped and named (the naming rule)
//! - a path whose `GET` answers a page (`{"objects": [...]}`) of records living
//!   one segment below it is a **collection**: the `list` endpoint of a resource,
//!   whose `detail` endpoint is the collection path plus the parameter;
//! - a path whose `GET` answers a record whose `links.self` is the path itself,
//!   and that is not a collection's record path, is a singleton resource with
//!   only a `detail` endpoint (`/v1.1/account/`); so is a path whose `GET` is
//!   refused but whose `OPTIONS` view name ends in ` Detail` (` List`: a
//!   collection);
//! - every other path is a **custom endpoint** of the resource with the longest
//!   `detail` or `list` path that is a prefix of it (preferring prefixes after
//!   which only literal segments follow), named after those literal segments
//!   joined with `_` (`rename`, `reset_key`, `send_message`), or after its
//!   `OPTIONS` view name when that is the resource's name followed by words
//!   (`DataEndpoint Get objects` → `get_objects`); `_endpoint` is appended to
//!   names the generated managers already use (`get`, `create` ...); a path with
//!   no such prefix becomes a resource of its own;
//! - a resource is named after the view name its `OPTIONS` answer gives (`Class
//!   List` → `Class`, `Data Object Detail` → `DataObject`); without one, after its
//!   collection's last segment in the singular, in CamelCase (`api_keys` →
//!   `ApiKey`), prefixed by the parent resource's name when that is taken.
//!
//! Since names may differ from the vendored snapshot's, compare with
//! [`crate::diff`], which matches by path templates.
//!
//! # Fields and methods
//! Field metadata comes from the `OPTIONS` actions. Records seen while walking
//! add what metadata does not say: a writable field that never appears in a
//! record is `write_only`; the field whose value is a record's last path
//! segment is `primary_key`; the names of a `links` field's links (the field is
//! marked `"inferred": true`: a record shows only the links its data has); records that
//! carry the scratch class's own field (`discover_title`) make the resource
//! `extensible`; other record keys the metadata does not list become read-only
//! fields marked `"inferred": true` (types guessed from the values;
//! [`crate::diff`] then only compares their presence). A resource with no
//! metadata (read-only collections such as traces) gets all its fields that
//! way; one with neither metadata nor records gets `"fields_unknown": true`.
//! Methods come from `Allow`; without it, from the actions and the methods
//! that answered when tried, and an endpoint whose methods could not all be
//! tried is marked `"methods_incomplete": true`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::fetch::{Answer, FetchError, Http};
use crate::schema::{self, Schema, SchemaError};

/// Path segments whose `GET` is never sent (long polls, script runs).
const NO_GET: &[&str] = &["poll", "run"];
/// Collections in which discover never creates records (sending messages,
/// restoring backups, batch requests, histories and traces).
const NO_CREATE: &[&str] = &[
    "messages", "restores", "history", "traces", "batch", "admins",
];
/// The one field of the scratch class: records showing it are data objects
/// (the resource is extensible).
const USER_FIELD: &str = "discover_title";
/// The most segments of a path discover follows.
const MAX_DEPTH: usize = 16;
/// The most requests one discovery sends before it stops walking.
const MAX_REQUESTS: usize = 2_000;

/// An error that stops a discovery.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// A request failed at the transport level, or the API root is invalid.
    #[error(transparent)]
    Http(#[from] FetchError),
    /// The server does not look like a Syncano v1.1 API (no links at `/v1.1/`),
    /// or the scratch instance could not be created.
    #[error("{0}")]
    Setup(String),
    /// The known document does not parse or validate as a schema document.
    #[error("the known document: {0}")]
    Known(#[from] SchemaError),
}

/// An endpoint discover could not reach (or could only partly read).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreachable {
    /// The path template (or the concrete path when it has none).
    pub path: String,
    /// Why.
    pub reason: String,
}

/// The result of a discovery.
#[derive(Clone, Debug)]
pub struct Discovery {
    /// The schema document built (use [`crate::normalize::normalize`] to write it).
    pub document: Value,
    /// Endpoints it could not reach or read completely, sorted by path.
    pub unreachable: Vec<Unreachable>,
    /// The name of the scratch instance it created.
    pub scratch_instance: String,
    /// `Err` with a message when the scratch instance could not be deleted.
    pub cleanup: Result<(), String>,
    /// The number of requests sent.
    pub requests: usize,
}

/// Walks the API at `api_root` with the account key `api_key` and builds a
/// schema document (see the [module docs](self)).
///
/// # Errors
/// An invalid API root or key, a transport failure, no links at `/v1.1/`, or a
/// scratch instance that cannot be created. The scratch instance is deleted
/// before an error is returned.
pub fn discover(api_root: &str, api_key: &str) -> Result<Discovery, DiscoverError> {
    discover_with(api_root, api_key, None)
}

/// Like [`discover`]; with `known` (a schema document, e.g. the vendored
/// snapshot), also tries every endpoint path of that document the walk did not
/// reach: its parameters are filled from records met while walking (the record
/// one level below, else a record having a field named like the parameter,
/// else `0`), and it gets an `OPTIONS` and, unless risky, a `GET`. Endpoints
/// that are not linked from anywhere (a public script endpoint URL) are found
/// this way; known endpoints still missing are listed as unreachable.
///
/// # Errors
/// As [`discover`]; [`DiscoverError::Known`] (before any request) when `known`
/// is not a valid schema document (read by [`crate::schema::parse_value`], as
/// the build reads one).
pub fn discover_with(
    api_root: &str,
    api_key: &str,
    known: Option<&Value>,
) -> Result<Discovery, DiscoverError> {
    let known = known
        .map(|doc| schema::parse_value(doc, "known"))
        .transpose()?;
    let http = Http::new(api_root, Some(api_key))?;
    let root = http.send(Method::GET, "/v1.1/", None)?;
    let root_links = links_of(&root.body);
    if !root.ok() || root_links.is_empty() {
        return Err(DiscoverError::Setup(format!(
            "GET {} answered HTTP {} without links: not a Syncano v1.1 API root",
            http.url("/v1.1/"),
            root.status
        )));
    }
    let instances = root_links
        .iter()
        .find(|p| p.trim_end_matches('/').ends_with("/instances"))
        .cloned()
        .unwrap_or_else(|| "/v1.1/instances/".to_owned());
    let name = scratch_name();
    let created = http.send(
        Method::POST,
        &instances,
        Some(&json!({"name": name, "description": "scratch instance of syncano-schema discover; safe to delete"})),
    )?;
    let self_path = self_link(&created.body);
    let scratch = match (created.ok(), self_path) {
        (true, Some(p)) => p,
        (true, None) => {
            let p = format!("{instances}{name}/");
            // created, but without links: still delete it
            let _ = http.send(Method::DELETE, &p, None);
            return Err(DiscoverError::Setup(format!(
                "the scratch instance was created without links.self at POST {instances}"
            )));
        }
        (false, _) => {
            return Err(DiscoverError::Setup(format!(
                "could not create the scratch instance: POST {instances} answered HTTP {}: {}",
                created.status, created.body
            )));
        }
    };
    let mut w = Walker::new(&http, scratch.clone());
    w.requests = 2;
    w.register_item(&instances, &scratch);
    w.created
        .insert("instance".into(), Value::String(name.clone()));
    let walked = w
        .run(&root_links)
        .and_then(|()| w.probe_details())
        .and_then(|()| match &known {
            Some(doc) => w.probe_known(doc),
            None => Ok(()),
        })
        .and_then(|()| w.probe_methods());
    let cleanup = match http.send(Method::DELETE, &scratch, None) {
        Ok(a) if a.ok() => Ok(()),
        Ok(a) => Err(format!(
            "DELETE {scratch} answered HTTP {}: {}",
            a.status, a.body
        )),
        Err(e) => Err(e.to_string()),
    };
    walked?;
    // the clean-up tells whether instances take DELETE
    let scratch_t = w.template_of(&scratch);
    if let Some(o) = w.obs.get_mut(&scratch_t) {
        if o.allow.is_none() {
            o.probed.insert("delete".into(), cleanup.is_ok());
        }
    }
    let requests = w.requests + 1;
    let (document, unreachable) = w.build();
    Ok(Discovery {
        document,
        unreachable,
        scratch_instance: name,
        cleanup,
        requests,
    })
}

fn scratch_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mix = nanos ^ (u128::from(std::process::id()) << 64);
    let h = (mix as u64) ^ ((mix >> 64) as u64).rotate_left(17);
    format!("schema-discover-{h:016x}")
}

/// Turns a link value into a path (`/v1.1/...`, no query).
fn link_path(v: &Value) -> Option<String> {
    let s = v.as_str()?;
    let start = s.find("/v1.1/")?;
    let p = &s[start..];
    let p = p.split(['?', '#']).next().unwrap_or(p);
    let mut p = p.to_owned();
    if !p.ends_with('/') {
        p.push('/');
    }
    Some(p)
}

fn links_of(body: &Value) -> Vec<String> {
    body.get("links")
        .and_then(Value::as_object)
        .map(|m| m.values().filter_map(link_path).collect())
        .unwrap_or_default()
}

fn self_link(body: &Value) -> Option<String> {
    body.get("links")
        .and_then(|l| l.get("self"))
        .and_then(link_path)
}

fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

fn is_param(seg: &str) -> bool {
    seg.starts_with('{') && seg.ends_with('}')
}

/// `classes` → `class`, `api_keys` → `api_key`, `entries` → `entry`.
fn singular(word: &str) -> String {
    if let Some(s) = word.strip_suffix("ies") {
        format!("{s}y")
    } else if word.ends_with("sses") || word.ends_with("xes") || word.ends_with("ches") {
        word[..word.len() - 2].to_owned()
    } else if word.ends_with('s') && !word.ends_with("ss") && word.len() > 1 {
        word[..word.len() - 1].to_owned()
    } else {
        word.to_owned()
    }
}

fn camel(word: &str) -> String {
    word.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut cs = p.chars();
            match cs.next() {
                Some(c) => c.to_ascii_uppercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn last_literal(template: &str) -> Option<&str> {
    segments(template).into_iter().rev().find(|s| !is_param(s))
}

fn params_of(template: &str) -> Vec<String> {
    segments(template)
        .into_iter()
        .filter(|s| is_param(s))
        .map(|s| s[1..s.len() - 1].to_owned())
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
enum Kind {
    /// Not classified (no usable GET).
    #[default]
    Unknown,
    /// Only `links` (`/v1.1/`, `snippets/` ...): not an endpoint.
    LinkRoot,
    /// A page of records living one segment below.
    Collection,
    /// A record whose `links.self` is the path itself.
    Record,
    /// Anything else that answered.
    Other,
}

#[derive(Clone, Debug, Default)]
struct Obs {
    concrete: String,
    allow: Option<BTreeSet<String>>,
    get_ok: bool,
    options_ok: bool,
    actions: BTreeMap<String, Map<String, Value>>,
    view_name: Option<String>,
    kind: Kind,
    /// Records whose detail template this is.
    samples: Vec<Map<String, Value>>,
    /// What went wrong reading it.
    problems: Vec<String>,
    /// Methods tried without an `Allow` header: method → allowed.
    probed: BTreeMap<String, bool>,
}

struct Walker<'a> {
    http: &'a Http,
    scratch: String,
    tmpl: BTreeMap<String, String>,
    obs: BTreeMap<String, Obs>,
    visited: BTreeSet<String>,
    queue: VecDeque<String>,
    created: BTreeMap<String, Value>,
    pending: BTreeSet<String>,
    last_create_error: BTreeMap<String, String>,
    /// Known endpoints (from a document given) that were not found.
    missed: BTreeMap<String, String>,
    /// Set while trying known endpoints: their parents are not walked.
    probing_known: bool,
    /// Paths visited only because they are parents of paths reached: not
    /// reported when they do not exist.
    speculative: BTreeSet<String>,
    /// Keys of the scratch instance (an API key, a user key), never shown.
    scratch_api_key: Option<String>,
    scratch_user_key: Option<String>,
    user_creds: Option<(String, String)>,
    /// Paths refused before the scratch user existed.
    as_user_later: BTreeSet<String>,
    requests: usize,
}

impl<'a> Walker<'a> {
    fn new(http: &'a Http, scratch: String) -> Walker<'a> {
        let mut tmpl = BTreeMap::new();
        tmpl.insert("/v1.1/".to_owned(), "/v1.1/".to_owned());
        Walker {
            http,
            scratch,
            tmpl,
            obs: BTreeMap::new(),
            visited: BTreeSet::new(),
            queue: VecDeque::new(),
            created: BTreeMap::new(),
            pending: BTreeSet::new(),
            last_create_error: BTreeMap::new(),
            missed: BTreeMap::new(),
            probing_known: false,
            speculative: BTreeSet::new(),
            scratch_api_key: None,
            scratch_user_key: None,
            user_creds: None,
            as_user_later: BTreeSet::new(),
            requests: 0,
        }
    }

    fn send(&mut self, m: Method, path: &str, body: Option<&Value>) -> Result<Answer, FetchError> {
        self.requests += 1;
        self.http.send(m, path, body)
    }

    fn template_of(&self, concrete: &str) -> String {
        let best = self
            .tmpl
            .iter()
            .filter(|(k, _)| concrete.starts_with(k.as_str()))
            .max_by_key(|(k, _)| k.len());
        match best {
            Some((k, t)) => format!("{t}{}", &concrete[k.len()..]),
            None => concrete.to_owned(),
        }
    }

    /// Records that `item` (a record's self path) lives one segment below the
    /// collection `list`; returns false when it does not.
    fn register_item(&mut self, list: &str, item: &str) -> bool {
        let Some(rest) = item.strip_prefix(list) else {
            return false;
        };
        let seg = rest.trim_end_matches('/');
        if seg.is_empty() || seg.contains('/') {
            return false;
        }
        if self.tmpl.contains_key(item) {
            return true;
        }
        let lt = self.template_of(list);
        let base = last_literal(&lt)
            .map(singular)
            .unwrap_or_else(|| "id".into());
        let taken = params_of(&lt);
        let mut name = base.clone();
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{base}{n}");
            n += 1;
        }
        self.tmpl
            .insert(item.to_owned(), format!("{lt}{{{name}}}/"));
        true
    }

    /// A link of a record whose path embeds that record's own field values
    /// (`p/{public_link}/{name}/`): those segments become parameters named
    /// after the fields (string values of 8 characters or more only, so that
    /// literal segments are not mistaken for values).
    fn template_by_values(&mut self, link: &str, record: &Map<String, Value>) {
        if self.tmpl.contains_key(link) {
            return;
        }
        let Some((prefix, base)) = self
            .tmpl
            .iter()
            .filter(|(k, _)| link.starts_with(k.as_str()))
            .max_by_key(|(k, _)| k.len())
            .map(|(k, t)| (k.clone(), t.clone()))
        else {
            return;
        };
        let mut out = base;
        let mut changed = false;
        for seg in segments(&link[prefix.len()..]) {
            let field = record
                .iter()
                .find(|(_, v)| v.as_str().is_some_and(|s| s.len() >= 8 && s == seg));
            match field {
                Some((name, _)) => {
                    out.push_str(&format!("{{{name}}}/"));
                    changed = true;
                }
                None => {
                    out.push_str(seg);
                    out.push('/');
                }
            }
        }
        if changed {
            self.tmpl.insert(link.to_owned(), out);
        }
    }

    fn in_scope(&self, p: &str) -> bool {
        if !p.starts_with("/v1.1/") || p == crate::fetch::SCHEMA_PATH {
            return false;
        }
        let s = segments(p);
        // no API path is this deep; a server linking deeper is not followed
        if s.len() > MAX_DEPTH {
            return false;
        }
        // inside /v1.1/instances/<name>/...: only the scratch instance
        if s.len() >= 3 && s[1] == "instances" {
            return p.starts_with(&self.scratch);
        }
        true
    }

    fn enqueue(&mut self, p: String) {
        if self.in_scope(&p) && !self.visited.contains(&p) && !self.queue.contains(&p) {
            self.queue.push_back(p);
        }
    }

    /// Without an `Allow` header, finds out whether records inside the scratch
    /// instance take PATCH (an empty one) and DELETE (children first, at the
    /// very end). The scratch instance's own DELETE is the clean-up.
    fn probe_methods(&mut self) -> Result<(), DiscoverError> {
        let mut records: Vec<(String, String)> = self
            .obs
            .iter()
            .filter(|(_, o)| o.allow.is_none() && o.kind == Kind::Record && o.get_ok)
            .filter(|(_, o)| o.concrete.starts_with(&self.scratch))
            .map(|(t, o)| (t.clone(), o.concrete.clone()))
            .collect();
        for (t, c) in &records {
            let patchable = self
                .obs
                .get(t)
                .is_some_and(|o| o.actions.contains_key("put") || o.actions.contains_key("post"));
            if !patchable {
                continue;
            }
            let a = self.send(Method::PATCH, c, Some(&json!({})))?;
            if let Some(o) = self.obs.get_mut(t) {
                match a.status {
                    405 => {
                        o.probed.insert("patch".into(), false);
                    }
                    s if (200..300).contains(&s) || s == 400 => {
                        o.probed.insert("patch".into(), true);
                    }
                    _ => {}
                }
            }
        }
        records.retain(|(_, c)| *c != self.scratch);
        records.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.1.cmp(&b.1)));
        for (t, c) in &records {
            let a = self.send(Method::DELETE, c, None)?;
            if let Some(o) = self.obs.get_mut(t) {
                match a.status {
                    405 => {
                        o.probed.insert("delete".into(), false);
                    }
                    s if (200..300).contains(&s) => {
                        o.probed.insert("delete".into(), true);
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Records what `OPTIONS` answered for the path `p` of template `t`.
    fn record_options(&mut self, t: &str, p: &str, opt: &Answer) {
        let o = self.obs.entry(t.to_owned()).or_default();
        o.concrete = p.to_owned();
        if opt.ok() {
            o.options_ok = true;
            o.allow = opt.allow.clone().map(|v| v.into_iter().collect());
            o.view_name = opt
                .body
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_owned);
            if let Some(a) = opt.body.get("actions").and_then(Value::as_object) {
                for (m, fields) in a {
                    if let Some(f) = fields.as_object() {
                        o.actions.insert(m.to_ascii_lowercase(), f.clone());
                    }
                }
            }
        } else {
            o.problems.push(format!(
                "OPTIONS answered HTTP {}: {}",
                opt.status,
                short(&opt.body)
            ));
        }
    }

    /// Reads the paths refused before the scratch user existed as that user.
    fn read_as_user(&mut self) -> Result<(), DiscoverError> {
        let Some((api_key, user_key)) = self.user_creds.clone() else {
            return Ok(());
        };
        let paths: Vec<String> = std::mem::take(&mut self.as_user_later)
            .into_iter()
            .collect();
        for p in paths {
            let t = self.template_of(&p);
            if self.obs.get(&t).is_some_and(|o| !o.options_ok) {
                self.requests += 1;
                let opt = self
                    .http
                    .as_user(Method::OPTIONS, &p, &api_key, &user_key)?;
                if opt.ok() {
                    if let Some(o) = self.obs.get_mut(&t) {
                        o.problems
                            .retain(|x| !x.starts_with("OPTIONS answered HTTP 403"));
                    }
                    self.record_options(&t, &p, &opt);
                }
            }
            self.requests += 1;
            let a = self.http.as_user(Method::GET, &p, &api_key, &user_key)?;
            // (the answer may be another path's record: `/user/` is the user)
            if !a.ok() || !a.body.is_object() {
                continue;
            }
            let t = self.template_of(&p);
            if let (Some(o), Some(m)) = (self.obs.get_mut(&t), a.body.as_object()) {
                o.kind = Kind::Record;
                o.get_ok = true;
                o.probed.insert("get".into(), true);
                o.problems
                    .retain(|x| !x.starts_with("GET answered HTTP 403"));
                o.samples.push(m.clone());
            }
            for l in links_of(&a.body) {
                self.enqueue(l);
            }
        }
        self.drain()
    }

    /// Keeps the scratch instance's API key and user key from the records
    /// created there, to read what only a user may read (`/user/`).
    fn remember_keys(&mut self, body: &Value) {
        if let Some(k) = body.get("api_key").and_then(Value::as_str) {
            self.scratch_api_key.get_or_insert_with(|| k.to_owned());
        }
        if let Some(k) = body.get("user_key").and_then(Value::as_str) {
            self.scratch_user_key.get_or_insert_with(|| k.to_owned());
        }
        if let (Some(a), Some(u)) = (&self.scratch_api_key, &self.scratch_user_key) {
            self.user_creds = Some((a.clone(), u.clone()));
        }
    }

    /// Fills an empty history or trace collection by publishing to its channel
    /// or running its script (scratch instance only); returns the page read
    /// again afterwards.
    fn prime(&mut self, p: &str, last: &str) -> Result<Option<Vec<Value>>, DiscoverError> {
        let Some(parent) = parent_of(p) else {
            return Ok(None);
        };
        if !p.starts_with(&self.scratch) {
            return Ok(None);
        }
        let (action, body) = match last {
            "history" => ("publish/", json!({"payload": {"discover": true}})),
            "traces" => ("run/", json!({"payload": {}})),
            _ => return Ok(None),
        };
        let a = self.send(Method::POST, &format!("{parent}{action}"), Some(&body))?;
        if !a.ok() {
            return Ok(None);
        }
        let again = self.send(Method::GET, p, None)?;
        Ok(again
            .body
            .get("objects")
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty())
            .cloned())
    }

    /// Collections whose records could not be reached: asks `OPTIONS` of a
    /// record that does not exist (`<collection>/0/`), which tells whether the
    /// detail endpoint exists and what it takes, without touching anything.
    fn probe_details(&mut self) -> Result<(), DiscoverError> {
        let lists: Vec<(String, String)> = self
            .obs
            .iter()
            .filter(|(_, o)| o.kind == Kind::Collection)
            .map(|(t, o)| (t.clone(), o.concrete.clone()))
            .collect();
        for (t, concrete) in lists {
            let has_detail = self.obs.keys().any(|d| {
                parent_of(d).as_deref() == Some(t.as_str())
                    && segments(d).last().is_some_and(|x| is_param(x))
            });
            if has_detail || concrete.is_empty() {
                continue;
            }
            let probe = format!("{concrete}0/");
            if self.visited.contains(&probe) || !self.register_item(&concrete, &probe) {
                continue;
            }
            self.visited.insert(probe.clone());
            self.visit(&probe)?;
            let dt = self.template_of(&probe);
            let exists = self.obs.get(&dt).is_some_and(|o| o.options_ok);
            if !exists {
                // no such route: forget it
                self.obs.remove(&dt);
                self.tmpl.remove(&probe);
            }
        }
        self.drain()
    }

    /// Tries the endpoint paths of a known document that the walk missed.
    fn probe_known(&mut self, doc: &Schema) -> Result<(), DiscoverError> {
        let mut templates: Vec<String> = doc
            .resources
            .iter()
            .flat_map(|r| &r.endpoints)
            .map(|e| e.path.clone())
            .collect();
        templates.sort();
        templates.dedup();
        self.probing_known = true;
        for t in templates {
            let have: BTreeSet<String> = self
                .obs
                .iter()
                .filter(|(_, o)| o.options_ok || o.get_ok)
                .map(|(k, _)| crate::diff::normalize_path(k))
                .collect();
            if have.contains(&crate::diff::normalize_path(&t)) {
                continue;
            }
            let (c, mine) = self.instantiate(&t);
            if !self.in_scope(&c) || self.visited.contains(&c) {
                self.missed
                    .insert(t.clone(), "not reachable from the scratch instance".into());
                continue;
            }
            let mapped = self.template_of(&c);
            if crate::diff::normalize_path(&mapped) != crate::diff::normalize_path(&t) {
                self.tmpl.insert(c.clone(), mine);
            }
            self.visited.insert(c.clone());
            self.visit(&c)?;
            self.drain()?;
            let reached = self
                .obs
                .get(&self.template_of(&c))
                .is_some_and(|o| o.options_ok || o.get_ok);
            if !reached {
                // (the concrete path is not shown: it may hold values of records)
                self.missed
                    .insert(t.clone(), "known endpoint not found".to_owned());
            }
        }
        self.probing_known = false;
        Ok(())
    }

    /// A concrete path for a template of a known document, and its template
    /// in this discovery's own parameter names.
    fn instantiate(&self, t: &str) -> (String, String) {
        let mut cur = String::from("/");
        let mut mine = String::from("/");
        let mut last_record: Option<Map<String, Value>> = None;
        for seg in segments(t) {
            if !is_param(seg) {
                cur.push_str(seg);
                cur.push('/');
                mine.push_str(seg);
                mine.push('/');
                continue;
            }
            let name = &seg[1..seg.len() - 1];
            // a record registered one level below
            let child = self
                .tmpl
                .keys()
                .filter(|k| k.len() > cur.len() && k.starts_with(&cur))
                .find(|k| !k[cur.len()..].trim_end_matches('/').contains('/'))
                .cloned();
            if let Some(k) = child {
                last_record = self
                    .obs
                    .get(&self.template_of(&k))
                    .and_then(|o| o.samples.first().cloned());
                mine = self.template_of(&k);
                cur = k;
                continue;
            }
            // a field of that name: in the last record, else in any record
            let from_last = last_record.as_ref().and_then(|r| scalar(r.get(name)));
            let found = from_last.map(|v| (v, last_record.clone())).or_else(|| {
                self.obs
                    .values()
                    .flat_map(|o| o.samples.iter())
                    .find_map(|r| scalar(r.get(name)).map(|v| (v, Some(r.clone()))))
            });
            let value = match found {
                Some((v, rec)) => {
                    last_record = rec;
                    v
                }
                None => "0".to_owned(),
            };
            cur.push_str(&value);
            cur.push('/');
            mine.push_str(seg);
            mine.push('/');
        }
        (cur, mine)
    }

    fn drain(&mut self) -> Result<(), DiscoverError> {
        while let Some(p) = self.queue.pop_front() {
            if self.requests >= MAX_REQUESTS {
                return Ok(());
            }
            if self.visited.insert(p.clone()) {
                self.visit(&p)?;
            }
        }
        Ok(())
    }

    fn run(&mut self, root_links: &[String]) -> Result<(), DiscoverError> {
        self.visited.insert("/v1.1/".into());
        self.obs.entry("/v1.1/".into()).or_default().kind = Kind::LinkRoot;
        for l in root_links {
            self.enqueue(l.clone());
        }
        // the scratch instance need not be on the first page of instances
        let scratch = self.scratch.clone();
        self.enqueue(scratch);
        let mut rounds = 0;
        loop {
            self.drain()?;
            self.read_as_user()?;
            // retry creations that may have needed records made later
            rounds += 1;
            if self.pending.is_empty() || rounds > 4 {
                break;
            }
            let pending: Vec<String> = std::mem::take(&mut self.pending).into_iter().collect();
            let mut progress = false;
            for list in pending {
                if self.seed(&list)? {
                    progress = true;
                }
            }
            if !progress {
                break;
            }
        }
        Ok(())
    }

    fn visit(&mut self, p: &str) -> Result<(), DiscoverError> {
        // parents first: link roots are not always linked (`/snippets/`), and a
        // record's collection must be known before its record (a reference)
        if let Some(parent) = parent_of(p) {
            if !self.probing_known && self.in_scope(&parent) && self.visited.insert(parent.clone())
            {
                self.speculative.insert(parent.clone());
                self.visit(&parent)?;
            }
        }
        // a path one segment below a collection, linked from somewhere else
        // (a reference): if it is a record (or a missing one), it is that
        // collection's detail endpoint
        let mut pre_get: Option<Answer> = None;
        if let Some(parent) = parent_of(p) {
            let pt = self.template_of(&parent);
            let below_collection = self
                .obs
                .get(&pt)
                .is_some_and(|o| o.kind == Kind::Collection);
            let t0 = self.template_of(p);
            let last = segments(&t0).last().copied().unwrap_or_default();
            if below_collection && !is_param(last) && !NO_GET.contains(&last) {
                let a = self.send(Method::GET, p, None)?;
                let record = a.ok() && self_link(&a.body).as_deref() == Some(p);
                if (record || a.status == 404) && self.register_item(&parent, p) {
                    let dt = self.template_of(p);
                    let known = self.obs.get(&dt).is_some_and(|o| o.kind != Kind::Unknown);
                    if let (true, Some(m)) = (record, a.body.as_object()) {
                        self.obs.entry(dt).or_default().samples.push(m.clone());
                    }
                    if known || !record {
                        return Ok(());
                    }
                }
                pre_get = Some(a);
            }
        }
        let t = self.template_of(p);
        if self
            .obs
            .get(&t)
            .is_some_and(|o| o.kind != Kind::Unknown || o.get_ok)
        {
            return Ok(());
        }
        let opt = self.send(Method::OPTIONS, p, None)?;
        let inside = p.starts_with(&self.scratch);
        // OPTIONS is checked as a read: what only a user may read (`/user/`) answers
        // its metadata to the user alone
        let opt = match (opt.status, inside, self.user_creds.clone()) {
            (403, true, Some((a, u))) => {
                self.requests += 1;
                let again = self.http.as_user(Method::OPTIONS, p, &a, &u)?;
                if again.ok() { again } else { opt }
            }
            _ => opt,
        };
        self.record_options(&t, p, &opt);
        let last = segments(p).last().copied().unwrap_or_default();
        let allow_get = match self.obs.get(&t).and_then(|o| o.allow.as_ref()) {
            Some(a) => a.contains("get"),
            None => true,
        };
        // long polls and runs: only inside the scratch instance, with a short limit
        let risky = NO_GET.contains(&last);
        if !allow_get || (risky && !inside) {
            if let Some(o) = self.obs.get_mut(&t) {
                if o.options_ok {
                    o.kind = Kind::Other;
                }
            }
            return Ok(());
        }
        let got = if risky {
            self.requests += 1;
            match self
                .http
                .send_within(Method::GET, p, Duration::from_secs(3))?
            {
                Some(a) => a,
                None => {
                    // still waiting: a long poll, so GET is allowed
                    if let Some(o) = self.obs.get_mut(&t) {
                        o.probed.insert("get".into(), true);
                        o.kind = Kind::Other;
                    }
                    return Ok(());
                }
            }
        } else if let Some(a) = pre_get {
            a
        } else {
            self.send(Method::GET, p, None)?
        };
        // refused inside the scratch instance: try again as its user
        let got = match (got.status, inside, &self.user_creds) {
            (403, true, Some((api_key, user_key))) => {
                self.requests += 1;
                let (a, u) = (api_key.clone(), user_key.clone());
                let again = self.http.as_user(Method::GET, p, &a, &u)?;
                if again.ok() { again } else { got }
            }
            (403, true, None) => {
                // no user yet: again once the walk has made one
                self.as_user_later.insert(p.to_owned());
                got
            }
            _ => got,
        };
        if !got.ok() {
            if let Some(o) = self.obs.get_mut(&t) {
                if got.status == 405 {
                    o.probed.insert("get".into(), false);
                } else {
                    if got.status != 404 {
                        // refused or invalid, but routed: GET exists
                        o.probed.insert("get".into(), true);
                    }
                    o.problems.push(format!(
                        "GET answered HTTP {}: {}",
                        got.status,
                        short(&got.body)
                    ));
                }
                o.kind = match o.view_name.as_deref() {
                    Some(v) if v.ends_with(" Detail") && o.options_ok => Kind::Record,
                    Some(v) if v.ends_with(" List") && o.options_ok => Kind::Collection,
                    _ if o.options_ok => Kind::Other,
                    _ => Kind::Unknown,
                };
            }
            return Ok(());
        }
        if let Some(o) = self.obs.get_mut(&t) {
            o.get_ok = true;
            o.probed.insert("get".into(), true);
            if o.allow.is_none() {
                if let Some(a) = &got.allow {
                    o.allow = Some(a.iter().cloned().collect());
                }
            }
        }
        let body = got.body;
        let obj = body.as_object();
        if let Some(items) = obj.and_then(|m| m.get("objects")).and_then(Value::as_array) {
            self.collection(p, &t, items)?;
            return Ok(());
        }
        let only_links = obj.is_some_and(|m| m.len() == 1 && m.contains_key("links"));
        if only_links {
            if let Some(o) = self.obs.get_mut(&t) {
                o.kind = Kind::LinkRoot;
            }
            for l in links_of(&body) {
                self.enqueue(l);
            }
            return Ok(());
        }
        if self_link(&body).as_deref() == Some(p) {
            if let (Some(o), Some(m)) = (self.obs.get_mut(&t), obj) {
                o.kind = Kind::Record;
                o.samples.push(m.clone());
            }
            for l in links_of(&body) {
                if let Some(m) = obj {
                    self.template_by_values(&l, m);
                }
                self.enqueue(l);
            }
            return Ok(());
        }
        if let Some(o) = self.obs.get_mut(&t) {
            o.kind = Kind::Other;
        }
        Ok(())
    }

    fn collection(&mut self, p: &str, t: &str, items: &[Value]) -> Result<(), DiscoverError> {
        let mut records = Vec::new();
        for it in items {
            if let (Some(s), Some(m)) = (self_link(it), it.as_object()) {
                records.push((s, m.clone()));
            }
        }
        // a page of records living elsewhere (a data endpoint's `get/`): custom
        let foreign = records.iter().any(|(s, _)| {
            s.strip_prefix(p)
                .is_none_or(|r| r.trim_end_matches('/').contains('/') || r.is_empty())
        });
        if foreign {
            if let Some(o) = self.obs.get_mut(t) {
                o.kind = Kind::Other;
            }
            return Ok(());
        }
        if let Some(o) = self.obs.get_mut(t) {
            o.kind = Kind::Collection;
        }
        // inside the scratch instance: a record of our own first, so that what
        // is reached does not depend on what the server pre-creates
        let inside = p.starts_with(&self.scratch) && p != self.scratch;
        let last = last_literal(t).unwrap_or_default().to_owned();
        if inside && !NO_CREATE.contains(&last.as_str()) && self.seed(p)? {
            return Ok(());
        }
        // else the records there (for /v1.1/instances/: only the scratch one)
        let mut followed = 0;
        for (s, m) in records {
            if !self.in_scope(&s) || followed >= 1 {
                continue;
            }
            if self.register_item(p, &s) {
                followed += 1;
                if let (Some(k), Some(l)) = (segments(&s).last(), last_literal(t)) {
                    let key = match k.parse::<i64>() {
                        Ok(n) => json!(n),
                        Err(_) => json!(k),
                    };
                    self.created.entry(singular(l)).or_insert(key);
                }
                let dt = self.template_of(&s);
                self.obs.entry(dt).or_default().samples.push(m);
                self.enqueue(s);
            }
        }
        if followed == 0 {
            if let Some(items) = self.prime(p, &last)? {
                for it in items.iter().take(1) {
                    if let (Some(s), Some(m)) = (self_link(it), it.as_object()) {
                        if self.register_item(p, &s) {
                            let dt = self.template_of(&s);
                            self.obs.entry(dt).or_default().samples.push(m.clone());
                            self.enqueue(s);
                            return Ok(());
                        }
                    }
                }
            }
            if !inside {
                self.seed(p)?;
            }
        }
        Ok(())
    }

    /// Creates one record in the empty collection `list` (scratch instance only).
    /// Returns true when one was made.
    fn seed(&mut self, list: &str) -> Result<bool, DiscoverError> {
        let t = self.template_of(list);
        let last = last_literal(&t).unwrap_or_default().to_owned();
        let inside = list.starts_with(&self.scratch) && list != self.scratch;
        let post_fields = self
            .obs
            .get(&t)
            .and_then(|o| o.actions.get("post"))
            .cloned();
        let allows_post = self
            .obs
            .get(&t)
            .map(|o| {
                o.allow
                    .as_ref()
                    .map_or(post_fields.is_some(), |a| a.contains("post"))
            })
            .unwrap_or(false);
        if !inside || !allows_post || NO_CREATE.contains(&last.as_str()) {
            let why = if !inside {
                "it is outside the scratch instance".to_owned()
            } else if !allows_post {
                "its collection does not allow POST".to_owned()
            } else {
                format!("discover does not create records in `{last}`")
            };
            self.last_create_error.insert(
                t,
                format!("no record to reach it: the collection is empty and {why}"),
            );
            return Ok(false);
        }
        let body = self.seed_body(&t, post_fields.as_ref());
        let ans = self.send(Method::POST, list, Some(&body))?;
        let made = if ans.ok() { self_link(&ans.body) } else { None };
        match made {
            Some(s) if self.register_item(list, &s) => {
                self.remember_keys(&ans.body);
                let key = segments(&s).last().map(|k| match k.parse::<i64>() {
                    Ok(n) => json!(n),
                    Err(_) => json!(k),
                });
                if let Some(k) = key {
                    self.created.entry(singular(&last)).or_insert(k);
                }
                if let Some(m) = ans.body.as_object() {
                    let dt = self.template_of(&s);
                    self.obs.entry(dt).or_default().samples.push(m.clone());
                }
                self.last_create_error.remove(&t);
                self.enqueue(s);
                Ok(true)
            }
            _ => {
                self.last_create_error.insert(
                    t,
                    format!(
                        "no record to reach it: creating one answered HTTP {}: {}",
                        ans.status,
                        short(&ans.body)
                    ),
                );
                self.pending.insert(list.to_owned());
                Ok(false)
            }
        }
    }

    /// A body for creating a record: the required writable fields of the
    /// OPTIONS metadata with made-up values, references to records created
    /// earlier, and a few values known to be needed.
    fn seed_body(&self, t: &str, meta: Option<&Map<String, Value>>) -> Value {
        let mut body = Map::new();
        if let Some(meta) = meta {
            for (name, f) in meta {
                let required = f.get("required").and_then(Value::as_bool).unwrap_or(false);
                let ro = f.get("read_only").and_then(Value::as_bool).unwrap_or(false);
                if required && !ro {
                    body.insert(name.clone(), self.value_for(name, f));
                } else if !ro {
                    // optional references to records made earlier
                    if let Some(v) = self.created.get(name) {
                        body.insert(name.clone(), v.clone());
                    }
                }
            }
        }
        let known = known_seed(t);
        if let Value::Object(k) = known {
            for (name, v) in k {
                body.insert(name, v);
            }
        }
        // references by field name (`script`, `class`, `group`, `user` ...)
        let names: Vec<String> = body.keys().cloned().collect();
        for n in names {
            if let Some(v) = self.created.get(&n) {
                body.insert(n, v.clone());
            }
        }
        Value::Object(body)
    }

    fn value_for(&self, name: &str, f: &Value) -> Value {
        if let Some(v) = self.created.get(name) {
            return v.clone();
        }
        let ty = f.get("type").and_then(Value::as_str).unwrap_or("string");
        let min_len = f.get("min_length").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max_len = f
            .get("max_length")
            .and_then(Value::as_u64)
            .map(|n| n as usize);
        let text = |base: &str| {
            let mut s = base.to_owned();
            while s.len() < min_len {
                s.push('x');
            }
            if let Some(m) = max_len {
                s.truncate(m.max(1));
            }
            Value::String(s)
        };
        match ty {
            "email" => json!("schema-discover@example.com"),
            "url" => json!("https://example.com/"),
            "integer" => json!(
                f.get("min_value")
                    .and_then(Value::as_i64)
                    .unwrap_or(1)
                    .max(1)
            ),
            "float" | "decimal" => json!(f.get("min_value").and_then(Value::as_f64).unwrap_or(1.0)),
            "boolean" => json!(false),
            "datetime" => json!("2020-01-01T00:00:00.000000Z"),
            "date" => json!("2020-01-01"),
            "choice" => f
                .get("choices")
                .and_then(Value::as_array)
                .and_then(|c| {
                    c.iter()
                        .filter_map(|x| x.get("value"))
                        .find(|v| v.as_str() != Some(""))
                        .cloned()
                })
                .unwrap_or(Value::Null),
            "field" | "nested object" | "object" => json!({}),
            _ => text("discover1"),
        }
    }

    fn build(&self) -> (Value, Vec<Unreachable>) {
        let speculative: BTreeSet<String> = self
            .speculative
            .iter()
            .map(|p| self.template_of(p))
            .collect();
        let (doc, mut unreachable) = build_document(&self.obs, &self.last_create_error);
        unreachable.retain(|u| !speculative.contains(&u.path));
        if self.requests >= MAX_REQUESTS {
            unreachable.push(Unreachable {
                path: "(the rest of the API)".to_owned(),
                reason: format!("the walk stopped after {MAX_REQUESTS} requests"),
            });
        }
        for (path, reason) in &self.missed {
            unreachable.push(Unreachable {
                path: path.clone(),
                reason: reason.clone(),
            });
        }
        unreachable.sort_by(|a, b| a.path.cmp(&b.path));
        (doc, unreachable)
    }
}

fn scalar(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() && !s.contains('/') => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    s.chars().take(200).collect()
}

/// Values the metadata cannot supply (a class needs a schema, a script a
/// runtime, an APNs device a 64-hex token), by collection path suffix.
fn known_seed(t: &str) -> Value {
    let s = segments(t);
    let last = s.last().copied().unwrap_or_default();
    let prev = if s.len() >= 2 { s[s.len() - 2] } else { "" };
    match (prev, last) {
        (_, "classes") => {
            json!({"name": "discover_class", "description": "syncano-schema discover",
            "schema": [{"name": USER_FIELD, "type": "string", "filter_index": true, "order_index": true}]})
        }
        (_, "objects") => json!({ USER_FIELD: "discover" }),
        (_, "users") => json!({"username": "discover_user", "password": "discover-password-1"}),
        (_, "groups") if !is_param(prev) => {
            json!({"label": "discover_group", "name": "discover_group"})
        }
        ("snippets", "scripts") => {
            json!({"label": "discover", "source": "print(1)", "runtime_name": "python3"})
        }
        ("snippets", "templates") => {
            json!({"name": "discover_template", "content": "{{ 1 }}", "content_type": "text/plain"})
        }
        ("endpoints", "scripts") => json!({"name": "discover-script-endpoint", "public": true}),
        ("endpoints", "data") => json!({"name": "discover-data-endpoint"}),
        (_, "schedules") => json!({"label": "discover", "interval_sec": 3600}),
        (_, "triggers") => json!({"label": "discover", "signal": "post_create"}),
        (_, "channels") => json!({"name": "discover-channel"}),
        (_, "api_keys") => json!({"description": "syncano-schema discover"}),
        (_, "invitations") => json!({"email": "schema-discover@example.com", "role": "read"}),
        ("gcm", "devices") => {
            json!({"registration_id": "discover-gcm-device", "label": "discover"})
        }
        ("apns", "devices") => {
            json!({"registration_id": "d1s0c0de".repeat(8), "label": "discover"})
        }
        (_, "hosting") => json!({"name": "discover-hosting", "domains": ["discover-hosting"]}),
        (_, "full") => json!({"label": "discover"}),
        _ => json!({}),
    }
}

// ---------------------------------------------------------------------------
// from observations to a document

struct ResBuild {
    name: String,
    list: Option<String>,
    detail: Option<String>,
    customs: Vec<(String, String)>,
}

fn parent_of(t: &str) -> Option<String> {
    let s = segments(t);
    if s.len() < 2 {
        return None;
    }
    Some(format!("/{}/", s[..s.len() - 1].join("/")))
}

fn build_document(
    obs: &BTreeMap<String, Obs>,
    create_errors: &BTreeMap<String, String>,
) -> (Value, Vec<Unreachable>) {
    let mut unreachable: Vec<Unreachable> = Vec::new();
    let reached = |o: &Obs| o.options_ok || o.get_ok;
    // templates that are record paths of a collection
    let mut resources: Vec<ResBuild> = Vec::new();
    let mut owned: BTreeSet<&str> = BTreeSet::new();
    for (t, o) in obs {
        if o.kind != Kind::Collection {
            continue;
        }
        let detail = obs
            .iter()
            .find(|(d, od)| {
                parent_of(d).as_deref() == Some(t.as_str())
                    && segments(d).last().is_some_and(|s| is_param(s))
                    && reached(od)
            })
            .map(|(d, _)| d.clone());
        if detail.is_none() {
            let why = create_errors
                .get(t)
                .cloned()
                .unwrap_or_else(|| "no record to reach it".to_owned());
            unreachable.push(Unreachable {
                path: format!("{t}{{…}}/ (detail of {t})"),
                reason: why,
            });
        }
        owned.insert(t);
        if let Some(d) = &detail {
            if let Some((k, _)) = obs.get_key_value(d.as_str()) {
                owned.insert(k);
            }
        }
        resources.push(ResBuild {
            name: String::new(),
            list: Some(t.clone()),
            detail,
            customs: Vec::new(),
        });
    }
    for (t, o) in obs {
        if o.kind == Kind::Record && !owned.contains(t.as_str()) {
            owned.insert(t);
            resources.push(ResBuild {
                name: String::new(),
                list: None,
                detail: Some(t.clone()),
                customs: Vec::new(),
            });
        }
    }
    // everything else: custom endpoints of the resource with the longest prefix
    for (t, o) in obs {
        if owned.contains(t.as_str()) || o.kind == Kind::LinkRoot {
            continue;
        }
        if !reached(o) {
            unreachable.push(Unreachable {
                path: t.clone(),
                reason: o.problems.join("; "),
            });
            continue;
        }
        // (resource, prefix length, the rest has parameters)
        let mut best: Option<(usize, usize, bool)> = None;
        for (ri, r) in resources.iter().enumerate() {
            for base in [&r.detail, &r.list].into_iter().flatten() {
                if t.len() > base.len() && t.starts_with(base.as_str()) {
                    let rest = &t[base.len()..];
                    let params = segments(rest).iter().any(|s| is_param(s));
                    // literal-only rests win, then the longest prefix
                    let better = match best {
                        None => true,
                        Some((_, l, p)) => (p && !params) || (p == params && base.len() > l),
                    };
                    if better {
                        best = Some((ri, base.len(), params));
                    }
                }
            }
        }
        match best {
            Some((ri, len, _)) => {
                let lits: Vec<&str> = segments(&t[len..])
                    .into_iter()
                    .filter(|s| !is_param(s))
                    .collect();
                let name = if lits.is_empty() {
                    "endpoint".to_owned()
                } else {
                    lits.join("_")
                };
                if let Some(r) = resources.get_mut(ri) {
                    r.customs.push((name, t.clone()));
                }
            }
            None => {
                let name = if o.get_ok {
                    "list"
                } else {
                    last_literal(t).unwrap_or("endpoint")
                };
                resources.push(ResBuild {
                    name: String::new(),
                    list: None,
                    detail: None,
                    customs: vec![(name.to_owned(), t.clone())],
                });
            }
        }
        if !o.problems.is_empty() {
            unreachable.push(Unreachable {
                path: t.clone(),
                reason: format!("partly read: {}", o.problems.join("; ")),
            });
        }
    }
    // names
    resources.sort_by_key(|r| primary(r).to_owned());
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut by_primary: BTreeMap<String, String> = BTreeMap::new();
    for r in &mut resources {
        let p = primary(r).to_owned();
        let from_view = [&r.list, &r.detail]
            .into_iter()
            .flatten()
            .filter_map(|t| obs.get(t.as_str()))
            .find_map(|o| o.view_name.as_deref().and_then(view_resource_name));
        let from_path = last_literal(&p)
            .map(|l| camel(&singular(l)))
            .unwrap_or_default();
        let parent_name = parent_resource(&p, &by_primary);
        let mut candidates = Vec::new();
        if let Some(v) = from_view {
            candidates.push(v);
        }
        if !from_path.is_empty() {
            candidates.push(from_path.clone());
            if let Some(pn) = &parent_name {
                candidates.push(format!("{pn}{from_path}"));
            }
        }
        let mut name = candidates
            .iter()
            .find(|c| !taken.contains(*c))
            .cloned()
            .unwrap_or_default();
        if name.is_empty() {
            let base = candidates
                .first()
                .cloned()
                .unwrap_or_else(|| "Resource".into());
            let mut n = 2;
            name = format!("{base}{n}");
            while taken.contains(&name) {
                n += 1;
                name = format!("{base}{n}");
            }
        }
        taken.insert(name.clone());
        by_primary.insert(p, name.clone());
        r.name = name;
    }
    let mut doc = Vec::new();
    for r in &resources {
        doc.push(resource_json(r, obs));
    }
    unreachable.sort_by(|a, b| a.path.cmp(&b.path));
    unreachable.dedup();
    (Value::Array(doc), unreachable)
}

fn primary(r: &ResBuild) -> &str {
    r.list
        .as_deref()
        .or(r.detail.as_deref())
        .or_else(|| r.customs.first().map(|(_, t)| t.as_str()))
        .unwrap_or_default()
}

/// The name of the resource whose list or detail path is the closest ancestor.
fn parent_resource(p: &str, by_primary: &BTreeMap<String, String>) -> Option<String> {
    let mut cur = parent_of(p);
    while let Some(c) = cur {
        if let Some(n) = by_primary.get(&c) {
            return Some(n.clone());
        }
        // a detail path's collection
        if let Some(pp) = parent_of(&c) {
            if segments(&c).last().is_some_and(|s| is_param(s)) {
                if let Some(n) = by_primary.get(&pp) {
                    return Some(n.clone());
                }
            }
        }
        cur = parent_of(&c);
    }
    None
}

/// `Class List` → `Class`; `Data Object Detail` → `DataObject`.
fn view_resource_name(view: &str) -> Option<String> {
    let v = view.trim();
    let v = v
        .strip_suffix(" List")
        .or_else(|| v.strip_suffix(" Detail"))
        .unwrap_or(v);
    let n = camel(v);
    if n.is_empty() || n.starts_with(|c: char| c.is_ascii_digit()) {
        None
    } else {
        Some(n)
    }
}

fn resource_json(r: &ResBuild, obs: &BTreeMap<String, Obs>) -> Value {
    let mut eps = Map::new();
    let mut std_fields: Option<Map<String, Value>> = None;
    let mut extensible = false;
    let mut any_fields = false;
    let samples: Vec<&Map<String, Value>> = [&r.detail, &r.list]
        .into_iter()
        .flatten()
        .filter_map(|t| obs.get(t.as_str()))
        .flat_map(|o| o.samples.iter())
        .collect();
    for (name, t) in [("list", &r.list), ("detail", &r.detail)] {
        let Some(t) = t else { continue };
        let Some(o) = obs.get(t.as_str()) else {
            continue;
        };
        let mut e = endpoint_json(t, o);
        let meta = o.actions.get("put").or_else(|| o.actions.get("post"));
        if let Some(meta) = meta {
            let (fields, ext) = fields_json(meta, &samples);
            extensible |= ext;
            any_fields = true;
            std_fields.get_or_insert_with(|| fields.clone());
            if let Some(m) = e.as_object_mut() {
                m.insert("fields".into(), Value::Object(fields));
            }
        }
        eps.insert(name.to_owned(), e);
    }
    for (path_name, t) in &r.customs {
        let Some(o) = obs.get(t.as_str()) else {
            continue;
        };
        let base = custom_name(&r.name, path_name, o.view_name.as_deref());
        let mut name = base.clone();
        let mut n = 2;
        while eps.contains_key(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        let mut e = endpoint_json(t, o);
        let meta = o.actions.get("post").or_else(|| o.actions.get("put"));
        if let Some(meta) = meta {
            let (fields, _) = fields_json(meta, &[]);
            // a server that answers the resource's fields for a custom endpoint
            // declares no request body of its own
            let same = std_fields.as_ref().is_some_and(|s| {
                s.keys().collect::<BTreeSet<_>>() == fields.keys().collect::<BTreeSet<_>>()
            });
            if !same {
                if let Some(m) = e.as_object_mut() {
                    m.insert("fields".into(), Value::Object(fields));
                }
            }
        }
        eps.insert(name.clone(), e);
    }
    let mut res = Map::new();
    res.insert("name".into(), json!(r.name));
    if r.list.is_some() || r.detail.is_some() {
        if !any_fields {
            // read-only resources: fields from the records seen
            match sample_fields(&samples) {
                Some(f) => {
                    res.insert("properties".into(), Value::Object(f));
                }
                None => {
                    res.insert("fields_unknown".into(), json!(true));
                }
            }
        }
        if extensible {
            res.insert("extensible".into(), json!(true));
        }
    }
    res.insert("endpoints".into(), Value::Object(eps));
    Value::Object(res)
}

/// The methods of an endpoint: its `Allow` header; without one, the methods of
/// its OPTIONS actions plus those that answered when tried (`GET` on
/// everything, `PATCH` and `DELETE` on records of the scratch instance). A
/// record endpoint whose `PATCH` or `DELETE` could not be tried gets
/// `"methods_incomplete": true`, and so does any endpoint whose `GET` got no
/// telling answer (404, or not tried); lists and custom endpoints are taken to
/// allow nothing beyond `GET` and their actions.
/// Method names the generated managers already have: custom endpoints never
/// take them.
const RESERVED_ENDPOINT_NAMES: &[&str] = &[
    "list", "detail", "get", "get_raw", "create", "replace", "update", "delete", "new", "using",
    "save", "reload", "manager",
];

/// A custom endpoint's name: from its view name when that is the resource's
/// name followed by words (`DataEndpoint Get objects` → `get_objects`), else
/// from its path (`rename`); `_endpoint` is appended to a name the generated
/// managers already use.
fn custom_name(resource: &str, from_path: &str, view: Option<&str>) -> String {
    let from_view = view
        .and_then(|v| v.strip_prefix(resource))
        .and_then(|rest| rest.strip_prefix(' '))
        .map(|rest| {
            rest.trim()
                .to_ascii_lowercase()
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join("_")
        })
        .filter(|n| !n.is_empty() && n != "list" && n != "detail");
    let name = from_view.unwrap_or_else(|| from_path.to_owned());
    if RESERVED_ENDPOINT_NAMES.contains(&name.as_str()) {
        format!("{name}_endpoint")
    } else {
        name
    }
}

fn endpoint_json(t: &str, o: &Obs) -> Value {
    let mut incomplete = false;
    let methods: BTreeSet<String> = match &o.allow {
        Some(a) => a.clone(),
        None => {
            let mut m: BTreeSet<String> = o.actions.keys().cloned().collect();
            for (k, allowed) in &o.probed {
                if *allowed {
                    m.insert(k.clone());
                }
            }
            // GET unanswered (404, not tried) or an unprobed record
            incomplete = !o.probed.contains_key("get")
                || (o.kind == Kind::Record
                    && !(o.probed.contains_key("patch") && o.probed.contains_key("delete")));
            m
        }
    };
    let mut e = json!({
        "path": t,
        "methods": methods.into_iter().collect::<Vec<_>>(),
        "properties": params_of(t),
    });
    if incomplete {
        e["methods_incomplete"] = json!(true);
    }
    e
}

/// Schema fields from OPTIONS metadata, completed from records; also whether
/// the records carry keys the metadata does not list (extensible).
fn fields_json(
    meta: &Map<String, Value>,
    samples: &[&Map<String, Value>],
) -> (Map<String, Value>, bool) {
    let mut out = Map::new();
    for (name, m) in meta {
        let Some(m) = m.as_object() else { continue };
        let mut f = convert_meta(m);
        if !samples.is_empty() {
            let ro = m.get("read_only").and_then(Value::as_bool).unwrap_or(false);
            let present = samples.iter().any(|s| s.contains_key(name));
            if !present && !ro {
                f.insert("write_only".into(), json!(true));
            }
            let is_pk = samples.iter().any(|s| {
                let seg = self_link(&Value::Object((*s).clone()))
                    .and_then(|p| segments(&p).last().map(|x| (*x).to_owned()));
                match (seg, s.get(name)) {
                    (Some(seg), Some(Value::String(v))) => *v == seg,
                    (Some(seg), Some(Value::Number(n))) => n.to_string() == seg,
                    _ => false,
                }
            });
            if is_pk {
                f.insert("primary_key".into(), json!(true));
            }
            if f.get("type").and_then(Value::as_str) == Some("links") {
                let names: BTreeSet<String> = samples
                    .iter()
                    .filter_map(|s| s.get(name).and_then(Value::as_object))
                    .flat_map(|l| l.keys().cloned())
                    .collect();
                let links: Vec<Value> = names
                    .into_iter()
                    .map(|n| json!({"name": n, "type": "detail"}))
                    .collect();
                f.insert("links".into(), Value::Array(links));
            }
        }
        // the links a record shows depend on its data (a reference that is not
        // set has no link): the list is never complete
        if f.get("type").and_then(Value::as_str) == Some("links") {
            f.insert("inferred".into(), json!(true));
        }
        out.insert(name.clone(), Value::Object(f));
    }
    // the scratch class's own field is not part of the API: records (or
    // metadata) carrying it are data objects, so the resource is extensible;
    // other keys the metadata does not list are read-only fields
    let extensible =
        out.remove(USER_FIELD).is_some() || samples.iter().any(|s| s.contains_key(USER_FIELD));
    for s in samples {
        for (k, v) in s.iter() {
            if k == USER_FIELD || out.contains_key(k) {
                continue;
            }
            out.insert(
                k.clone(),
                json!({"type": guess_type(v), "read_only": true, "required": false, "inferred": true}),
            );
        }
    }
    (out, extensible)
}

fn convert_meta(m: &Map<String, Value>) -> Map<String, Value> {
    let mut f = Map::new();
    let ty = m.get("type").and_then(Value::as_str).unwrap_or("field");
    if ty == "nested object" || ty == "object" {
        f.insert("type".into(), json!("object"));
        let mut sub = Map::new();
        if let Some(children) = m
            .get("children")
            .or_else(|| m.get("fields"))
            .and_then(Value::as_object)
        {
            for (k, c) in children {
                if let Some(c) = c.as_object() {
                    sub.insert(k.clone(), Value::Object(convert_meta(c)));
                }
            }
        }
        f.insert("fields".into(), Value::Object(sub));
    } else if ty == "file upload" || ty == "image upload" {
        // DRF's OPTIONS name for a FileField / ImageField
        f.insert("type".into(), json!("file"));
    } else {
        f.insert("type".into(), json!(ty));
    }
    for k in [
        "required",
        "read_only",
        "label",
        "max_length",
        "min_length",
        "min_value",
        "max_value",
        "choices",
    ] {
        if let Some(v) = m.get(k) {
            f.insert(k.into(), v.clone());
        }
    }
    f
}

/// Fields guessed from records (no metadata): read-only, types from values.
fn sample_fields(samples: &[&Map<String, Value>]) -> Option<Map<String, Value>> {
    if samples.is_empty() {
        return None;
    }
    let mut out = Map::new();
    for s in samples {
        for (k, v) in s.iter() {
            let guess = guess_type(v);
            let entry = out.entry(k.clone()).or_insert_with(
                || json!({"type": guess, "read_only": true, "required": false, "inferred": true}),
            );
            // a null seen first: take a better guess from a later record
            if entry.get("type").and_then(Value::as_str) == Some("field") && guess != "field" {
                entry["type"] = json!(guess);
            }
            if guess == "links" {
                if let Some(l) = v.as_object() {
                    let links: Vec<Value> = l
                        .keys()
                        .map(|n| json!({"name": n, "type": "detail"}))
                        .collect();
                    entry["links"] = Value::Array(links);
                }
            }
        }
    }
    Some(out)
}

fn guess_type(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "float",
        Value::String(s) => {
            let b = s.as_bytes();
            let digits = |r: std::ops::Range<usize>| {
                b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit))
            };
            if b.len() >= 10
                && digits(0..4)
                && b[4] == b'-'
                && digits(5..7)
                && b[7] == b'-'
                && digits(8..10)
            {
                if b.len() > 10 { "datetime" } else { "date" }
            } else {
                "string"
            }
        }
        Value::Object(m) if m.values().all(Value::is_string) && m.contains_key("self") => "links",
        _ => "field",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drf_file_uploads_become_file_fields() {
        let meta = json!({"type": "file upload", "required": false, "read_only": false});
        let field = convert_meta(meta.as_object().expect("an object"));
        assert_eq!(field.get("type"), Some(&json!("file")));
    }

    #[test]
    fn words_are_singularized_and_camel_cased() {
        assert_eq!(singular("classes"), "class");
        assert_eq!(singular("api_keys"), "api_key");
        assert_eq!(singular("entries"), "entry");
        assert_eq!(singular("history"), "history");
        assert_eq!(camel("api_key"), "ApiKey");
        assert_eq!(
            view_resource_name("Data Object List").as_deref(),
            Some("DataObject")
        );
        assert_eq!(view_resource_name("Class Detail").as_deref(), Some("Class"));
    }

    #[test]
    fn links_become_paths() {
        assert_eq!(
            link_path(&json!("/v1.1/instances/x/?page=2")).as_deref(),
            Some("/v1.1/instances/x/")
        );
        assert_eq!(
            link_path(&json!("https://h/v1.1/account")).as_deref(),
            Some("/v1.1/account/")
        );
        assert_eq!(link_path(&json!(3)), None);
    }

    #[test]
    fn record_paths_become_templates() {
        let http = Http::new("http://127.0.0.1:9", Some("k"));
        let Ok(http) = http else { panic!("client") };
        let mut w = Walker::new(&http, "/v1.1/instances/s/".into());
        assert!(w.register_item("/v1.1/instances/", "/v1.1/instances/s/"));
        assert!(w.register_item(
            "/v1.1/instances/s/classes/",
            "/v1.1/instances/s/classes/book/"
        ));
        assert!(!w.register_item(
            "/v1.1/instances/s/classes/",
            "/v1.1/instances/s/other/book/"
        ));
        assert_eq!(
            w.template_of("/v1.1/instances/s/classes/book/objects/"),
            "/v1.1/instances/{instance}/classes/{class}/objects/"
        );
        assert!(w.in_scope("/v1.1/instances/s/users/"));
        assert!(!w.in_scope("/v1.1/instances/someone-elses/users/"));
        assert!(w.in_scope("/v1.1/account/"));
        assert!(!w.in_scope("/v1.1/schema/"));
    }

    #[test]
    fn observations_group_into_resources() {
        let mut obs = BTreeMap::new();
        let meta = json!({"name": {"type": "string", "required": true, "read_only": false},
                          "id": {"type": "integer", "required": false, "read_only": true},
                          "password": {"type": "string", "required": true, "read_only": false},
                          "links": {"type": "links", "required": false, "read_only": true}});
        let mut actions = BTreeMap::new();
        if let Value::Object(m) = meta {
            actions.insert("post".to_owned(), m);
        }
        obs.insert(
            "/v1.1/instances/{instance}/users/".to_owned(),
            Obs {
                kind: Kind::Collection,
                options_ok: true,
                get_ok: true,
                view_name: Some("User List".into()),
                actions: actions.clone(),
                allow: Some(["get", "post"].iter().map(|s| (*s).to_owned()).collect()),
                ..Obs::default()
            },
        );
        let mut detail_actions = actions;
        if let Some(p) = detail_actions.remove("post") {
            detail_actions.insert("put".into(), p);
        }
        let sample = json!({"id": 7, "name": "n", "extra": 1, "discover_title": "t", "links": {"self": "/v1.1/instances/s/users/7/", "reset-key": "/v1.1/instances/s/users/7/reset_key/"}});
        obs.insert(
            "/v1.1/instances/{instance}/users/{user}/".to_owned(),
            Obs {
                kind: Kind::Record,
                options_ok: true,
                get_ok: true,
                actions: detail_actions,
                samples: sample.as_object().cloned().into_iter().collect(),
                ..Obs::default()
            },
        );
        obs.insert(
            "/v1.1/instances/{instance}/users/{user}/reset_key/".to_owned(),
            Obs {
                kind: Kind::Other,
                options_ok: true,
                allow: Some(BTreeSet::from(["post".to_owned()])),
                ..Obs::default()
            },
        );
        obs.insert(
            "/v1.1/instances/{instance}/groups/".to_owned(),
            Obs {
                kind: Kind::Collection,
                options_ok: true,
                get_ok: true,
                ..Obs::default()
            },
        );
        let (doc, unreachable) = build_document(&obs, &BTreeMap::new());
        let users = doc
            .as_array()
            .and_then(|a| a.iter().find(|r| r["name"] == "User"))
            .cloned();
        let Some(users) = users else {
            panic!("no User in {doc:#}")
        };
        assert_eq!(users["extensible"], json!(true));
        let f = &users["endpoints"]["detail"]["fields"];
        assert_eq!(
            f["extra"],
            json!({"type": "integer", "read_only": true, "required": false, "inferred": true})
        );
        assert!(f.get(USER_FIELD).is_none());
        assert_eq!(f["password"]["write_only"], json!(true));
        assert_eq!(f["id"]["primary_key"], json!(true));
        assert_eq!(
            f["links"]["links"],
            json!([{"name": "reset-key", "type": "detail"}, {"name": "self", "type": "detail"}])
        );
        assert_eq!(users["endpoints"]["reset_key"]["methods"], json!(["post"]));
        assert_eq!(
            users["endpoints"]["detail"]["properties"],
            json!(["instance", "user"])
        );
        // the groups collection: no detail reached, no fields known
        let groups = doc
            .as_array()
            .and_then(|a| a.iter().find(|r| r["name"] == "Group"))
            .cloned();
        let Some(groups) = groups else {
            panic!("no Group in {doc:#}")
        };
        assert_eq!(groups["fields_unknown"], json!(true));
        assert_eq!(unreachable.len(), 1, "{unreachable:?}");
        assert!(
            unreachable[0]
                .path
                .starts_with("/v1.1/instances/{instance}/groups/")
        );
    }

    #[test]
    fn custom_endpoints_are_named_from_views_or_paths() {
        assert_eq!(
            custom_name("DataEndpoint", "get", Some("DataEndpoint Get objects")),
            "get_objects"
        );
        assert_eq!(
            custom_name("DataEndpoint", "get", Some("Data Endpoint Get")),
            "get_endpoint"
        );
        assert_eq!(custom_name("Instance", "rename", None), "rename");
        assert_eq!(custom_name("Script", "run", Some("Script List")), "run");
    }

    /// A loopback server whose every GET but `/v1.1/` answers broken JSON;
    /// reports each request line.
    fn broken_server() -> (String, std::sync::mpsc::Receiver<String>) {
        use std::io::{Read, Write};
        let Ok(listener) = std::net::TcpListener::bind("127.0.0.1:0") else {
            panic!("bind")
        };
        let Ok(addr) = listener.local_addr() else {
            panic!("addr")
        };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { return };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).into_owned();
                let line = head.lines().next().unwrap_or_default().to_owned();
                let _ = tx.send(line.clone());
                let (status, body) = if line.starts_with("GET /v1.1/ ") {
                    (
                        "200 OK",
                        r#"{"links":{"instances":"/v1.1/instances/"}}"#.to_owned(),
                    )
                } else if line.starts_with("POST /v1.1/instances/ ") {
                    (
                        "201 Created",
                        r#"{"name":"x","links":{"self":"/v1.1/instances/x/"}}"#.to_owned(),
                    )
                } else if line.starts_with("DELETE ") {
                    ("204 No Content", String::new())
                } else if line.starts_with("OPTIONS ") {
                    ("200 OK", "{}".to_owned())
                } else {
                    ("200 OK", "{not json".to_owned())
                };
                let resp = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes());
            }
        });
        (format!("http://{addr}"), rx)
    }

    #[test]
    fn the_scratch_instance_is_deleted_when_the_walk_fails() {
        let (root, rx) = broken_server();
        let result = discover(&root, "0123456789abcdef0123456789abcdef01234567");
        let Err(DiscoverError::Http(FetchError::Json { .. })) = result else {
            panic!("expected the broken JSON to stop the walk, got {result:?}")
        };
        let lines: Vec<String> = rx.try_iter().collect();
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("POST /v1.1/instances/ ")),
            "{lines:?}"
        );
        assert_eq!(
            lines.last().map(String::as_str),
            Some("DELETE /v1.1/instances/x/ HTTP/1.1"),
            "{lines:?}"
        );
    }

    #[test]
    fn types_are_guessed_from_values() {
        assert_eq!(
            guess_type(&json!("2026-11-22T17:37:25.474230Z")),
            "datetime"
        );
        assert_eq!(guess_type(&json!("2026-11-22")), "date");
        assert_eq!(guess_type(&json!("abc")), "string");
        assert_eq!(guess_type(&json!(3)), "integer");
        assert_eq!(guess_type(&json!(3.5)), "float");
        assert_eq!(guess_type(&json!({"self": "/x/"})), "links");
        assert_eq!(guess_type(&json!(null)), "field");
    }
}
