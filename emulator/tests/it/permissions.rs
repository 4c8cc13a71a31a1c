//! The permission matrix, generated from the schema and the permission table
//! (`syncano_emulator::permissions`): every endpoint of the embedded schema × every
//! method it declares (and `OPTIONS`) × every kind of caller, the answer asserted
//! against what the table allows — a refusal is exactly 403 `You do not have
//! permission to perform this action.`, anything else passed the table. Then the
//! data objects' own ACLs (owner / group / other permissions × caller) and the
//! serializer rules of object writes, as the platform decides them
//! (`apps/data/permissions.py`, `apps/data/v1/serializers.py`; emulator/README.md,
//! "Permissions").

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};
use syncano_codegen::schema::{Endpoint, HttpMethod, Resource, parse};
use syncano_emulator::permissions::{self, Op};

use crate::cast::{Accounts, Answer, Cast, Local, Who, is_refusal, refusal};
use crate::schema_driven::{sample, special};

/// Checks where the emulator is known to disagree with the table or the platform's
/// rules (the platform sources each table row cites): the check (a matrix cell as
/// `resource | operation | caller`, or the name of a record-rule check) and what
/// happens instead. Each is skipped with its reason printed, until the emulator is
/// fixed; an entry that holds again fails the test, so that it is removed.
const KNOWN_DISAGREEMENTS: &[(&str, &str)] = &[(
    "an anonymous-read key reads any channel",
    "403: the platform's code lets it (derived: IsApiKeyAllowingAnonymousRead passes \
         for any channel on GET, though the list hides the channel); the emulator follows \
         the intended rule (emulator/README.md, Permissions)",
)];

/// The HTTP method of a schema method.
pub(crate) fn http(m: HttpMethod) -> Method {
    match m {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Delete => Method::DELETE,
    }
}

/// Whether `op`, when allowed, may change a seeded record the later cells use: a
/// delete, a whole-record write, a rename, a new key or link. Creates, `PATCH {}` and
/// the other custom writes (publish, run, render ...) leave the seeded records as
/// they are.
pub(crate) fn destructive(op: Op<'_>) -> bool {
    matches!(
        op,
        Op::Delete | Op::Replace | Op::Endpoint("rename" | "reset_key" | "reset_link")
    )
}

/// The request body of a write: the required writable fields of the endpoint, with
/// references to the cast's records; `{}` for a `PATCH`.
pub(crate) fn body_of(
    cast: &Cast,
    r: &Resource,
    e: &Endpoint,
    op: Op<'_>,
    n: &mut usize,
) -> Option<Value> {
    if op.is_read() {
        return None;
    }
    if op == Op::Update {
        return Some(json!({}));
    }
    if r.name == "Batch" {
        return Some(json!({"requests": []}));
    }
    let fields = e.fields.clone().unwrap_or_else(|| r.fields.clone());
    let mut body = Map::new();
    for f in fields.iter().filter(|f| f.required && !f.read_only) {
        *n += 1;
        let value = match f.name.as_str() {
            "script" => json!(cast.param("Script", "id", Who::Owner).parse::<i64>().ok()),
            "group" => json!(cast.param("Group", "id", Who::Owner).parse::<i64>().ok()),
            "user" => json!(cast.user.0),
            "class" => json!("things"),
            _ => special(&r.name, &f.name).unwrap_or_else(|| sample(f, *n)),
        };
        body.insert(f.name.clone(), value);
    }
    Some(Value::Object(body))
}

/// The concrete path of `e` for `who` in `cast`.
pub(crate) fn path_of(cast: &Cast, r: &Resource, e: &Endpoint, who: Who) -> String {
    let mut path = e.path.clone();
    for p in &e.path_params {
        let v = cast.param(&r.name, p, who);
        path = path.replace(&format!("{{{p}}}"), &v);
    }
    path
}

/// What a cell showed, when it is not what the table says.
struct Mismatch {
    /// `resource | operation | caller`, as [`KNOWN_DISAGREEMENTS`] names cells.
    id: String,
    cell: String,
    expected: &'static str,
    got: String,
}

/// How one answer compares with the table.
enum Outcome {
    /// The 403 refusal, where the table denies.
    Refused,
    /// Anything but the refusal (nor 405, nor 5xx), where the table allows.
    Passed,
    /// 403 `No such API Key.`: an instance key outside any instance.
    UnknownKey,
    /// Something else: what was expected, what came.
    Differs(&'static str, String),
}

/// Judges an answer: `allow` is the table's verdict, `unknown_key` that the caller
/// sent an instance key outside an instance.
fn judge(a: &Answer, allow: bool, unknown_key: bool) -> Outcome {
    let got = || format!("{} {}", a.status, a.body);
    if unknown_key {
        let ok =
            a.status == StatusCode::FORBIDDEN && a.body == json!({"detail": "No such API Key."});
        return if ok {
            Outcome::UnknownKey
        } else {
            Outcome::Differs("403 No such API Key.", got())
        };
    }
    match (allow, is_refusal(a)) {
        (false, true) => Outcome::Refused,
        (false, false) => Outcome::Differs("403 refusal", got()),
        (true, true) => Outcome::Differs("passes the table", got()),
        (true, false)
            if a.status == StatusCode::METHOD_NOT_ALLOWED || a.status.is_server_error() =>
        {
            Outcome::Differs("passes the table", got())
        }
        (true, false) => Outcome::Passed,
    }
}

/// Counts of the checked cells.
#[derive(Default)]
struct Tally {
    refused: usize,
    passed: usize,
    unknown_key: usize,
    batch_refused: usize,
    /// Cells that disagree as [`KNOWN_DISAGREEMENTS`] says.
    skipped: usize,
    fresh_instances: usize,
}

/// One request of the matrix: a path, a method (`None`: `OPTIONS`), a body.
struct Request<'a> {
    path: &'a str,
    method: Option<HttpMethod>,
    body: Option<&'a Value>,
}

/// The request as the only item of a batch to `cast`'s instance: the item's answer
/// must be the refusal too.
async fn in_a_batch(
    local: &Local,
    cast: &Cast,
    creds: (Option<&str>, Option<&str>),
    req: &Request<'_>,
) -> Outcome {
    let Some(m) = req.method else {
        return Outcome::Refused;
    };
    let item = json!({"method": m.as_http(), "path": req.path, "body": req.body});
    let b = local
        .call(
            Method::POST,
            &format!("/v1.1/instances/{}/batch/", cast.name()),
            creds,
            Some(&json!({"requests": [item]})),
        )
        .await;
    if b.status == StatusCode::OK && b.body == json!([{"code": 403, "content": refusal()}]) {
        Outcome::Refused
    } else {
        Outcome::Differs(
            "200 [{code: 403, content: refusal}]",
            format!("{} {}", b.status, b.body),
        )
    }
}

#[tokio::test]
async fn every_endpoint_method_and_caller_meets_the_table() {
    let started = std::time::Instant::now();
    let schema = parse(syncano_emulator::EMBEDDED_SCHEMA, "snapshot").expect("snapshot parses");
    let local = Local::new();
    let mut accounts = Accounts::register(&local).await;
    let shared = Cast::seed(&local, &accounts, "matrix").await;
    let mut tally = Tally::default();
    let mut mismatches = Vec::new();
    let mut n = 0;
    for r in &schema.resources {
        for e in &r.endpoints {
            let in_instance = e.path.starts_with("/v1.1/instances/{");
            let methods = e.methods.iter().copied().map(Some).chain([None]);
            for m in methods {
                let op = Op::of(&e.name, m);
                let allowed = permissions::allowed(&r.name, op);
                for who in Who::ALL {
                    let allow = allowed.meets(who.kinds(in_instance));
                    // an allowed destructive write runs in an instance of its own, so
                    // that what it changes (a deleted record, a new key) does not touch
                    // later cells
                    let fresh;
                    let cast = if in_instance && allow && destructive(op) {
                        tally.fresh_instances += 1;
                        let name = format!("fresh{}", tally.fresh_instances);
                        fresh = Cast::seed(&local, &accounts, &name).await;
                        &fresh
                    } else {
                        &shared
                    };
                    let path = path_of(cast, r, e, who);
                    let body = body_of(cast, r, e, op, &mut n);
                    let req = Request {
                        path: &path,
                        method: m,
                        body: body.as_ref(),
                    };
                    let (key, user_key) = cast.credentials(&accounts, who);
                    let (key, user_key) = (key.map(str::to_owned), user_key.map(str::to_owned));
                    let creds = (key.as_deref(), user_key.as_deref());
                    let method = m.map_or(Method::OPTIONS, http);
                    let a = local.call(method, &path, creds, req.body).await;
                    if let Some(k) = a.body.get("account_key").and_then(Value::as_str) {
                        if op == Op::Endpoint("reset_key") && r.name == "Account" {
                            accounts.set_key(who, k.to_owned());
                        }
                    }
                    let cell = format!(
                        "{} {} ({} {path}) {who:?}",
                        r.name,
                        op,
                        m.map_or("OPTIONS", |m| m.as_http()),
                    );
                    let id = format!("{} | {} | {:?}", r.name, op, who);
                    let mut outcomes = vec![(judge(&a, allow, !in_instance && who.is_key()), "")];
                    // a refused request is refused as an item of a batch too, for every
                    // caller who may send batches
                    let batchable =
                        permissions::allowed("Batch", Op::Endpoint("batch")).meets(who.kinds(true));
                    if !allow && in_instance && batchable && r.name != "Batch" && m.is_some() {
                        outcomes
                            .push((in_a_batch(&local, cast, creds, &req).await, " (in a batch)"));
                    }
                    for (outcome, how) in outcomes {
                        match outcome {
                            Outcome::Refused if how.is_empty() => tally.refused += 1,
                            Outcome::Refused => tally.batch_refused += 1,
                            Outcome::Passed => {
                                tally.passed += 1;
                                // `MATRIX_TRACE=1` shows what every allowed cell answered
                                if std::env::var_os("MATRIX_TRACE").is_some() {
                                    let shown: String =
                                        a.body.to_string().chars().take(100).collect();
                                    println!("PASS {} {cell} {shown}", a.status);
                                }
                            }
                            Outcome::UnknownKey => tally.unknown_key += 1,
                            Outcome::Differs(expected, got) => mismatches.push(Mismatch {
                                id: id.clone(),
                                cell: format!("{cell}{how}"),
                                expected,
                                got,
                            }),
                        }
                    }
                }
            }
        }
    }
    report(&mismatches, &mut tally, started.elapsed());
}

/// Prints the matrix's mismatches and counts; fails on a mismatch
/// [`KNOWN_DISAGREEMENTS`] does not list, and on a listed cell that holds again.
fn report(mismatches: &[Mismatch], tally: &mut Tally, took: std::time::Duration) {
    let mut by_cell = BTreeMap::new();
    let mut unknown = 0;
    for m in mismatches {
        by_cell.insert(&m.cell, m);
    }
    for (cell, m) in &by_cell {
        let (expected, got) = (m.expected, &m.got);
        match KNOWN_DISAGREEMENTS.iter().find(|(c, _)| *c == m.id) {
            Some((_, why)) => {
                println!(
                    "skipped (known disagreement): {cell}: expected {expected}, got {got} — {why}"
                );
                tally.skipped += 1;
            }
            None => {
                println!("MISMATCH {cell}: expected {expected}, got {got}");
                unknown += 1;
            }
        }
    }
    for (id, _) in KNOWN_DISAGREEMENTS
        .iter()
        .filter(|(c, _)| c.contains(" | "))
    {
        if !mismatches.iter().any(|m| m.id == *id) {
            println!("{id} holds now: remove it from KNOWN_DISAGREEMENTS");
            unknown += 1;
        }
    }
    let cells = tally.refused + tally.passed + tally.unknown_key + tally.batch_refused;
    println!(
        "permission matrix: {cells} cells checked ({} refused by the table, {} passed it, \
         {} refused as unknown keys outside instances, {} refused inside a batch), \
         {} skipped as known disagreements, {} fresh instances, {took:?}",
        tally.refused,
        tally.passed,
        tally.unknown_key,
        tally.batch_refused,
        tally.skipped,
        tally.fresh_instances,
    );
    assert_eq!(
        unknown, 0,
        "{unknown} cells disagree with the table (listed above)"
    );
    assert!(cells > 1000, "only {cells} cells");
}

/// The object permission levels, by level.
const LEVELS: [&str; 4] = ["none", "read", "write", "full"];

/// An instance for the record-level rules: a plain key, an anonymous-read key, an
/// `ignore_acl` key, users `ann` (who owns the objects), `ben` (member of the group
/// `crew`) and `cat` (neither), and a class `notes` every user may read and write
/// into.
struct Acl {
    local: Local,
    admin: String,
    base: String,
    plain: String,
    anonymous_read: String,
    ignore_acl: String,
    /// The ids of the plain and the anonymous-read keys.
    key_ids: [i64; 2],
    ann: (i64, String),
    ben: (i64, String),
    cat: (i64, String),
    crew: i64,
}

/// A caller of the ACL checks.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Reader {
    /// The object's owner, by user key.
    Owner,
    /// A member of the object's group, by user key.
    Member,
    /// Another user, by user key.
    Other,
    /// An `allow_anonymous_read` key without a user.
    AnonymousRead,
}

impl Acl {
    async fn new() -> Acl {
        let local = Local::new();
        let admin = local.admin_key();
        let base = "/v1.1/instances/acl-rules/".to_owned();
        local
            .expect(
                (Method::POST, "/v1.1/instances/"),
                &admin,
                json!({"name": "acl-rules"}),
                StatusCode::CREATED,
            )
            .await;
        let mut keys = Vec::new();
        let mut key_ids = Vec::new();
        for body in [
            json!({}),
            json!({"allow_anonymous_read": true}),
            json!({"ignore_acl": true}),
        ] {
            let k = local
                .expect(
                    (Method::POST, &format!("{base}api_keys/")),
                    &admin,
                    body,
                    StatusCode::CREATED,
                )
                .await;
            keys.push(k["api_key"].as_str().expect("api_key").to_owned());
            key_ids.push(k["id"].as_i64().expect("key id"));
        }
        let mut users = Vec::new();
        for name in ["ann", "ben", "cat"] {
            let u = local
                .expect(
                    (Method::POST, &format!("{base}users/")),
                    &admin,
                    json!({"username": name, "password": "p"}),
                    StatusCode::CREATED,
                )
                .await;
            users.push((
                u["id"].as_i64().expect("id"),
                u["user_key"].as_str().expect("user_key").to_owned(),
            ));
        }
        let crew = local
            .expect(
                (Method::POST, &format!("{base}groups/")),
                &admin,
                json!({"label": "crew"}),
                StatusCode::CREATED,
            )
            .await["id"]
            .as_i64()
            .expect("group id");
        local
            .expect(
                (Method::POST, &format!("{base}groups/{crew}/users/")),
                &admin,
                json!({"user": users[1].0}),
                StatusCode::CREATED,
            )
            .await;
        for class in ["notes", "board"] {
            local
                .expect(
                    (Method::POST, &format!("{base}classes/")),
                    &admin,
                    json!({"name": class, "schema": [{"name": "title", "type": "string"}],
                           "other_permissions": "create_objects"}),
                    StatusCode::CREATED,
                )
                .await;
        }
        let [plain, anonymous_read, ignore_acl] = <[String; 3]>::try_from(keys).expect("3 keys");
        let [ann, ben, cat] = <[(i64, String); 3]>::try_from(users).expect("3 users");
        Acl {
            local,
            admin,
            base,
            plain,
            anonymous_read,
            ignore_acl,
            key_ids: [key_ids[0], key_ids[1]],
            ann,
            ben,
            cat,
            crew,
        }
    }

    /// The objects of the class `notes`.
    fn objects(&self) -> String {
        self.objects_of("notes")
    }

    /// The objects of `class`.
    fn objects_of(&self, class: &str) -> String {
        format!("{}classes/{class}/objects/", self.base)
    }

    /// The API key and user key of `reader`.
    fn creds(&self, reader: Reader) -> (Option<&str>, Option<&str>) {
        match reader {
            Reader::Owner => (Some(&self.plain), Some(&self.ann.1)),
            Reader::Member => (Some(&self.plain), Some(&self.ben.1)),
            Reader::Other => (Some(&self.plain), Some(&self.cat.1)),
            Reader::AnonymousRead => (Some(&self.anonymous_read), None),
        }
    }

    /// Creates an object of `notes` owned by `ann` in the group `crew` with the
    /// permissions `[owner, group, other]`, as the admin; its id.
    async fn object(&self, perms: [usize; 3]) -> i64 {
        self.object_in("notes", perms).await
    }

    /// [`Acl::object`] in `class`.
    async fn object_in(&self, class: &str, [o, g, x]: [usize; 3]) -> i64 {
        self.local
            .expect(
                (Method::POST, &self.objects_of(class)),
                &self.admin,
                json!({"title": "t", "owner": self.ann.0, "group": self.crew,
                       "owner_permissions": LEVELS[o], "group_permissions": LEVELS[g],
                       "other_permissions": LEVELS[x]}),
                StatusCode::CREATED,
            )
            .await["id"]
            .as_i64()
            .expect("object id")
    }

    /// The object as the admin sees it (`Null` when gone).
    async fn stored(&self, id: i64) -> Value {
        let a = self
            .local
            .call(
                Method::GET,
                &format!("{}{id}/", self.objects()),
                (Some(&self.admin), None),
                None,
            )
            .await;
        if a.status == StatusCode::NOT_FOUND {
            Value::Null
        } else {
            a.body
        }
    }

    /// `method path` as the user key `user` (with the plain key).
    async fn as_user_path(&self, method: Method, path: &str, user: &(i64, String)) -> Answer {
        self.local
            .call(method, path, (Some(&self.plain), Some(&user.1)), None)
            .await
    }

    /// `method` on object `id` (or the list, `None`) as the user key `user`.
    async fn as_user(
        &self,
        method: Method,
        id: Option<i64>,
        user: &(i64, String),
        body: Value,
    ) -> Answer {
        let path = match id {
            Some(id) => format!("{}{id}/", self.objects()),
            None => self.objects(),
        };
        self.local
            .call(
                method,
                &path,
                (Some(&self.plain), Some(&user.1)),
                Some(&body),
            )
            .await
    }
}

/// The platform's effective permission of `reader` on an object owned by `ann` in the
/// group `crew` with `[owner, group, other]` (`HasDataObjectPermission`): the other
/// permission, raised by the owner permission for the owner and by the group
/// permission for a member; a key without a user has only the other permission.
fn effective(reader: Reader, [o, g, x]: [usize; 3]) -> usize {
    match reader {
        Reader::Owner => x.max(o),
        Reader::Member => x.max(g),
        Reader::Other | Reader::AnonymousRead => x,
    }
}

#[tokio::test]
async fn object_acls_decide_who_reads_updates_and_deletes() {
    let acl = Acl::new().await;
    let readers = [
        Reader::Owner,
        Reader::Member,
        Reader::Other,
        Reader::AnonymousRead,
    ];
    let mut combos = Vec::new();
    for o in 0..4 {
        for g in 0..4 {
            for x in 0..4 {
                combos.push([o, g, x]);
            }
        }
    }
    let mut cells = 0;
    let mut failures = Vec::new();
    let mut check = |cell: String, want: StatusCode, a: &Answer, failures: &mut Vec<String>| {
        cells += 1;
        // the 403 of these checks is always the permission refusal
        let ok = a.status == want && (want != StatusCode::FORBIDDEN || is_refusal(a));
        if !ok {
            failures.push(format!(
                "{cell}: expected {want}, got {} {}",
                a.status, a.body
            ));
        }
    };
    for perms in &combos {
        for reader in readers {
            let id = acl.object(*perms).await;
            let path = format!("{}{id}/", acl.objects());
            let level = effective(reader, *perms);
            let creds = acl.creds(reader);
            let cell = |op: &str| format!("{op} {reader:?} on owner/group/other {perms:?}");
            // GET: readable from `read` on; below it the object is filtered out (404)
            let a = acl.local.call(Method::GET, &path, creds, None).await;
            let want = if level >= 1 {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            check(cell("GET"), want, &a, &mut failures);
            // PATCH: `write` and up; a key without a user never writes (the table)
            let a = acl
                .local
                .call(
                    Method::PATCH,
                    &path,
                    creds,
                    Some(&json!({"title": "changed"})),
                )
                .await;
            let want = match (reader, level) {
                (Reader::AnonymousRead, _) => StatusCode::FORBIDDEN,
                (_, 0) => StatusCode::NOT_FOUND,
                (_, 1) => StatusCode::FORBIDDEN,
                _ => StatusCode::OK,
            };
            check(cell("PATCH"), want, &a, &mut failures);
            let title = acl.stored(id).await["title"].clone();
            let changed = json!(if want == StatusCode::OK {
                "changed"
            } else {
                "t"
            });
            if title != changed {
                failures.push(format!("{}: title is {title}", cell("PATCH")));
            }
            // DELETE: `full` only
            let a = acl.local.call(Method::DELETE, &path, creds, None).await;
            let want = match (reader, level) {
                (Reader::AnonymousRead, _) => StatusCode::FORBIDDEN,
                (_, 0) => StatusCode::NOT_FOUND,
                (_, 3) => StatusCode::NO_CONTENT,
                _ => StatusCode::FORBIDDEN,
            };
            check(cell("DELETE"), want, &a, &mut failures);
            let gone = acl.stored(id).await.is_null();
            if gone != (want == StatusCode::NO_CONTENT) {
                failures.push(format!("{}: object gone: {gone}", cell("DELETE")));
            }
        }
    }
    // a list shows exactly the objects the caller may read
    let mut ids = Vec::new();
    for perms in &combos {
        ids.push((acl.object_in("board", *perms).await, *perms));
    }
    for reader in readers {
        let a = acl
            .local
            .call(
                Method::GET,
                &format!("{}?page_size=100", acl.objects_of("board")),
                acl.creds(reader),
                None,
            )
            .await;
        let listed: Vec<i64> = a.body["objects"]
            .as_array()
            .map(|v| v.iter().filter_map(|o| o["id"].as_i64()).collect())
            .unwrap_or_default();
        let want: Vec<i64> = ids
            .iter()
            .filter(|(_, p)| effective(reader, *p) >= 1)
            .map(|(id, _)| *id)
            .collect();
        cells += 1;
        if listed != want {
            failures.push(format!(
                "list {reader:?}: expected {want:?}, got {listed:?}"
            ));
        }
    }
    println!(
        "object ACLs: {cells} checks ({} permission combinations × {} callers × GET/PATCH/DELETE, and lists)",
        combos.len(),
        readers.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The ids of a list answer's objects (a membership's user id; -1 for an object
/// without an id, such as a device).
fn ids_of(a: &Answer) -> Vec<i64> {
    a.body["objects"]
        .as_array()
        .map(|v| {
            v.iter()
                .map(|o| {
                    o["id"]
                        .as_i64()
                        .or_else(|| o["user"]["id"].as_i64())
                        .unwrap_or(-1)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One check of a record-level rule: its name, the request's answer, and what the
/// platform answers.
struct RuleCheck {
    name: &'static str,
    got: Answer,
    want: StatusCode,
    /// A member the answer's body must hold (`Null`: the whole body is not checked,
    /// except that a 403 is the permission refusal).
    body: Value,
    /// For a list: the ids it must show.
    ids: Option<Vec<i64>>,
}

impl RuleCheck {
    fn failure(&self) -> Option<String> {
        let body_ok = match &self.body {
            Value::Null if self.want == StatusCode::FORBIDDEN => is_refusal(&self.got),
            Value::Null => true,
            Value::Object(want) => want.iter().all(|(k, v)| self.got.body.get(k) == Some(v)),
            other => &self.got.body == other,
        };
        let listed = ids_of(&self.got);
        let ids_ok = self.ids.as_ref().is_none_or(|want| *want == listed);
        (self.got.status != self.want || !body_ok || !ids_ok).then(|| {
            let ids = match &self.ids {
                Some(want) => format!(" listing {want:?} (listed {listed:?})"),
                None => String::new(),
            };
            format!(
                "{}: expected {} {}{ids}, got {} {}",
                self.name, self.want, self.body, self.got.status, self.got.body
            )
        })
    }
}

#[tokio::test]
async fn serializer_and_record_rules_hold() {
    let acl = Acl::new().await;
    let (ann, ben, cat) = (&acl.ann, &acl.ben, &acl.cat);
    let b = acl.base.clone();
    let mut checks = Vec::new();
    let mut lists = Vec::new();
    let mut check = |name, got, want, body| {
        checks.push(RuleCheck {
            name,
            got,
            want,
            body,
            ids: None,
        })
    };
    // a user's new object is his own, whatever the body says
    let a = acl
        .as_user(
            Method::POST,
            None,
            ann,
            json!({"title": "mine", "owner": cat.0}),
        )
        .await;
    let own = a.body["id"].as_i64();
    check(
        "owner forced to the user on create",
        a,
        StatusCode::CREATED,
        json!({"owner": ann.0}),
    );
    // nobody but an admin (or an ignore_acl key) changes the owner
    let a = acl
        .as_user(Method::PATCH, own, ann, json!({"owner": cat.0}))
        .await;
    check(
        "a user cannot change an object's owner",
        a,
        StatusCode::BAD_REQUEST,
        json!({"owner": ["Cannot change owner of Data Object."]}),
    );
    let capped = acl.object([2, 2, 0]).await;
    let a = acl
        .local
        .call(
            Method::PATCH,
            &format!("{}{capped}/", acl.objects()),
            (Some(&acl.admin), None),
            Some(&json!({"owner": cat.0})),
        )
        .await;
    check(
        "an admin changes an object's owner",
        a,
        StatusCode::OK,
        json!({"owner": cat.0}),
    );
    // permissions above the caller's own level are lowered to it, silently
    let capped = acl.object([2, 2, 0]).await;
    let a = acl
        .as_user(
            Method::PATCH,
            Some(capped),
            ann,
            json!({"owner_permissions": "full", "other_permissions": "full",
                   "group_permissions": "read"}),
        )
        .await;
    check(
        "the owner's permission changes are capped at its own level",
        a,
        StatusCode::OK,
        json!({"owner_permissions": "write", "other_permissions": "write",
               "group_permissions": "read"}),
    );
    let a = acl
        .as_user(
            Method::PATCH,
            Some(capped),
            ben,
            json!({"other_permissions": "full"}),
        )
        .await;
    check(
        "a member's permission changes are capped at the group's level",
        a,
        StatusCode::OK,
        json!({"other_permissions": "write"}),
    );
    let a = acl
        .local
        .call(
            Method::PATCH,
            &format!("{}{capped}/", acl.objects()),
            (Some(&acl.ignore_acl), None),
            Some(&json!({"other_permissions": "full"})),
        )
        .await;
    check(
        "an ignore_acl key is not capped",
        a,
        StatusCode::OK,
        json!({"other_permissions": "full"}),
    );
    // a user puts objects only into his own groups
    let a = acl
        .as_user(Method::POST, None, cat, json!({"group": acl.crew}))
        .await;
    check(
        "a non-member cannot create an object in a group",
        a,
        StatusCode::BAD_REQUEST,
        json!({"group": ["Invalid group specified."]}),
    );
    let a = acl
        .as_user(Method::POST, None, ben, json!({"group": acl.crew}))
        .await;
    check(
        "a member creates an object in his group",
        a,
        StatusCode::CREATED,
        json!({"group": acl.crew}),
    );
    let loose = acl
        .local
        .expect(
            (Method::POST, &acl.objects()),
            &acl.admin,
            json!({"other_permissions": "write"}),
            StatusCode::CREATED,
        )
        .await["id"]
        .as_i64();
    let a = acl
        .as_user(Method::PATCH, loose, cat, json!({"group": acl.crew}))
        .await;
    check(
        "a non-member cannot move an object into a group",
        a,
        StatusCode::BAD_REQUEST,
        json!({"group": ["Invalid group specified."]}),
    );
    // channels: `custom_publish` for everyone, then the caller's publish right
    for (name, body) in [
        (
            "quiet",
            json!({"other_permissions": "publish", "custom_publish": false}),
        ),
        (
            "open",
            json!({"other_permissions": "subscribe", "group": acl.crew,
                   "group_permissions": "publish", "custom_publish": true}),
        ),
        ("closed", json!({"other_permissions": "none"})),
    ] {
        let mut body = body;
        body["name"] = json!(name);
        acl.local
            .expect(
                (Method::POST, &format!("{b}channels/")),
                &acl.admin,
                body,
                StatusCode::CREATED,
            )
            .await;
    }
    let publish = |channel: &str| format!("{b}channels/{channel}/publish/");
    let payload = json!({"payload": {"n": 1}});
    let quiet = json!({"detail": "Custom publish not allowed on this channel."});
    for (name, creds) in [
        (
            "custom publish off: admin",
            (Some(acl.admin.as_str()), None),
        ),
        (
            "custom publish off: ignore_acl key",
            (Some(acl.ignore_acl.as_str()), None),
        ),
        (
            "custom publish off: user with publish right",
            (Some(acl.plain.as_str()), Some(ann.1.as_str())),
        ),
    ] {
        let a = acl
            .local
            .call(Method::POST, &publish("quiet"), creds, Some(&payload))
            .await;
        check(name, a, StatusCode::FORBIDDEN, quiet.clone());
    }
    let a = acl
        .local
        .call(
            Method::POST,
            &publish("open"),
            (Some(&acl.plain), Some(&cat.1)),
            Some(&payload),
        )
        .await;
    check(
        "publish without the publish right",
        a,
        StatusCode::FORBIDDEN,
        Value::Null,
    );
    let a = acl
        .local
        .call(
            Method::POST,
            &publish("open"),
            (Some(&acl.plain), Some(&ben.1)),
            Some(&payload),
        )
        .await;
    check(
        "publish with the group's publish right",
        a,
        StatusCode::CREATED,
        Value::Null,
    );
    // an object written into a channel needs the right to publish there
    let a = acl
        .as_user(
            Method::POST,
            None,
            cat,
            json!({"title": "x", "channel": "open"}),
        )
        .await;
    check(
        "object into a channel without the publish right",
        a,
        StatusCode::FORBIDDEN,
        json!({"detail": "You do not have permission to publish data to specified channel."}),
    );
    let a = acl
        .as_user(
            Method::POST,
            None,
            ben,
            json!({"title": "x", "channel": "open"}),
        )
        .await;
    check(
        "object into a channel with the publish right",
        a,
        StatusCode::CREATED,
        json!({"channel": "open"}),
    );
    let a = acl
        .as_user(Method::PATCH, own, ann, json!({"channel": "quiet"}))
        .await;
    check(
        "channel is read-only on an object's update",
        a,
        StatusCode::OK,
        json!({"channel": null}),
    );
    // a channel the user may not subscribe to is refused (its lookup is not filtered);
    // an anonymous-read key reads any channel
    let a = acl
        .local
        .call(
            Method::GET,
            &format!("{b}channels/closed/"),
            (Some(&acl.plain), Some(&ann.1)),
            None,
        )
        .await;
    check(
        "a user reads a channel without the subscribe right",
        a,
        StatusCode::FORBIDDEN,
        Value::Null,
    );
    let a = acl
        .local
        .call(
            Method::GET,
            &format!("{b}channels/closed/"),
            (Some(&acl.anonymous_read), None),
            None,
        )
        .await;
    check(
        "an anonymous-read key reads any channel",
        a,
        StatusCode::OK,
        json!({"name": "closed"}),
    );
    // a user key reaches its own user and memberships only; a key its own record
    let a = acl
        .as_user_path(Method::GET, &format!("{b}users/{}/", ben.0), ann)
        .await;
    check(
        "a user reads another user",
        a,
        StatusCode::NOT_FOUND,
        Value::Null,
    );
    let a = acl
        .as_user_path(Method::GET, &format!("{b}users/{}/", ann.0), ann)
        .await;
    check(
        "a user reads himself",
        a,
        StatusCode::OK,
        json!({"id": ann.0}),
    );
    let a = acl
        .as_user_path(Method::GET, &format!("{b}users/"), ann)
        .await;
    lists.push(RuleCheck {
        name: "a user lists only himself",
        got: a,
        want: StatusCode::OK,
        body: Value::Null,
        ids: Some(vec![ann.0]),
    });
    let a = acl
        .local
        .call(
            Method::PATCH,
            &format!("{b}users/{}/", ben.0),
            (Some(&acl.plain), Some(&ann.1)),
            Some(&json!({"password": "taken"})),
        )
        .await;
    check(
        "a user updates another user",
        a,
        StatusCode::NOT_FOUND,
        Value::Null,
    );
    let a = acl
        .as_user_path(Method::POST, &format!("{b}users/{}/reset_key/", ben.0), ann)
        .await;
    check(
        "a user resets another user's key",
        a,
        StatusCode::NOT_FOUND,
        Value::Null,
    );
    let a = acl
        .as_user_path(Method::GET, &format!("{b}groups/{}/users/", acl.crew), ann)
        .await;
    lists.push(RuleCheck {
        name: "a user lists only his own memberships of a group",
        got: a,
        want: StatusCode::OK,
        body: Value::Null,
        ids: Some(Vec::new()),
    });
    let a = acl
        .as_user_path(Method::GET, &format!("{b}users/{}/groups/", ben.0), ann)
        .await;
    check(
        "a user lists another user's groups",
        a,
        StatusCode::FORBIDDEN,
        Value::Null,
    );
    let a = acl
        .local
        .call(
            Method::GET,
            &format!("{b}api_keys/{}/", acl.key_ids[1]),
            (Some(&acl.plain), None),
            None,
        )
        .await;
    check(
        "a key reads another key",
        a,
        StatusCode::NOT_FOUND,
        Value::Null,
    );
    let a = acl
        .local
        .call(
            Method::GET,
            &format!("{b}api_keys/{}/", acl.key_ids[0]),
            (Some(&acl.plain), None),
            None,
        )
        .await;
    check(
        "a key reads itself",
        a,
        StatusCode::OK,
        json!({"id": acl.key_ids[0]}),
    );
    acl.local
        .expect(
            (Method::POST, &format!("{b}push_notifications/gcm/devices/")),
            &acl.admin,
            json!({"registration_id": "ben-phone", "user": ben.0}),
            StatusCode::CREATED,
        )
        .await;
    let a = acl
        .as_user_path(
            Method::GET,
            &format!("{b}push_notifications/gcm/devices/ben-phone/"),
            ann,
        )
        .await;
    check(
        "a user reads another user's device",
        a,
        StatusCode::NOT_FOUND,
        Value::Null,
    );
    let a = acl
        .as_user_path(
            Method::GET,
            &format!("{b}push_notifications/gcm/devices/"),
            ann,
        )
        .await;
    lists.push(RuleCheck {
        name: "a user lists only his own devices",
        got: a,
        want: StatusCode::OK,
        body: Value::Null,
        ids: Some(Vec::new()),
    });
    let a = acl
        .as_user_path(
            Method::DELETE,
            &format!("{b}push_notifications/gcm/devices/ben-phone/"),
            ann,
        )
        .await;
    check(
        "a user deletes another user's device",
        a,
        StatusCode::NOT_FOUND,
        Value::Null,
    );
    checks.append(&mut lists);
    let total = checks.len();
    let mut failures = Vec::new();
    for c in &checks {
        let Some(f) = c.failure() else { continue };
        if let Some((_, why)) = KNOWN_DISAGREEMENTS.iter().find(|(n, _)| *n == c.name) {
            println!("skipped (known disagreement): {f} — {why}");
        } else {
            failures.push(f);
        }
    }
    for (name, _) in KNOWN_DISAGREEMENTS {
        let matrix_cell = name.contains(" | ");
        match checks.iter().find(|c| c.name == *name) {
            None if !matrix_cell => {
                failures.push(format!("unknown entry in KNOWN_DISAGREEMENTS: {name}"));
            }
            Some(c) if c.failure().is_none() => {
                failures.push(format!(
                    "{name} holds now: remove it from KNOWN_DISAGREEMENTS"
                ));
            }
            _ => {}
        }
    }
    println!("record and serializer rules: {total} checks");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
