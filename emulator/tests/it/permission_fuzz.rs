//! The permission boundary under random request sequences: random callers create,
//! read, update, delete and list data objects with random permissions, move users in
//! and out of the objects' group, open and close the class, read and update users'
//! records, and call any other endpoint of the schema that leaves the callers' own
//! records alone. A model of the objects and their ACLs
//! says what each step must answer; after every step the stored objects must equal
//! the model. The invariants: no caller gets anything but the 403 refusal for what
//! the permission table denies, and no caller reads or changes an object its ACL
//! (the platform's `HasDataObjectPermission`) forbids.
//!
//! `PERMISSION_FUZZ_CASES` sets the number of sequences (default 300).

use axum::http::{Method, StatusCode};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};
use syncano_codegen::schema::{Endpoint, Resource, parse};
use syncano_emulator::permissions::{self, Op};

use crate::cast::{Accounts, Answer, Cast, Local, Who, is_refusal};
use crate::permissions::{body_of, destructive, http, path_of};

/// The object permission levels, by level.
const LEVELS: [&str; 4] = ["none", "read", "write", "full"];

/// The class permission levels, by level.
const CLASS_LEVELS: [&str; 3] = ["none", "read", "create_objects"];

/// The users of a sequence: `alice` (the cast's user, in the group `crew` at the
/// start), `bob` and `carl`.
const USERS: usize = 3;

/// Who sends a step: a caller kind of the cast; for [`Who::User`], which user.
#[derive(Clone, Copy, Debug)]
struct By {
    who: Who,
    user: usize,
}

/// One step of a sequence.
#[derive(Clone, Debug)]
enum Step {
    /// `POST objects/` with the permissions `[owner, group, other]`, the group
    /// `crew` or none, and an owner (kept by admins, replaced by a user's own id).
    Create {
        by: By,
        perms: [usize; 3],
        in_group: bool,
        owner: usize,
    },
    /// `GET` an object (an index into the objects made so far).
    Get { by: By, object: usize },
    /// `PATCH` an object: a new title, and maybe permissions, group and owner.
    Patch {
        by: By,
        object: usize,
        perms: [Option<usize>; 3],
        group: Option<bool>,
        owner: Option<usize>,
    },
    /// `DELETE` an object.
    Delete { by: By, object: usize },
    /// `GET objects/`.
    List { by: By },
    /// The owner admin adds a user to `crew`, or removes him.
    Membership { user: usize },
    /// The owner admin sets the class's `other_permissions` (a [`CLASS_LEVELS`]
    /// index).
    ClassAccess { level: usize },
    /// `GET` (or `PATCH {}`, `write`) a user's record: a user key reaches only its
    /// own user (`UserViewSet.get_queryset`).
    UserRecord { by: By, user: usize, write: bool },
    /// `GET users/`: a user key lists only itself.
    UserList { by: By },
    /// Another operation of the schema (an index into [`Pool`]).
    Other { by: By, op: usize },
}

fn by() -> impl Strategy<Value = By> {
    (0..Who::ALL.len(), 0..USERS).prop_map(|(w, user)| By {
        who: Who::ALL[w],
        user,
    })
}

fn level() -> impl Strategy<Value = usize> {
    0..LEVELS.len()
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (by(), [level(), level(), level()], any::<bool>(), 0..USERS).prop_map(
            |(by, perms, in_group, owner)| Step::Create { by, perms, in_group, owner }
        ),
        2 => (by(), any::<usize>()).prop_map(|(by, object)| Step::Get { by, object }),
        3 => (
            by(),
            any::<usize>(),
            [
                proptest::option::of(level()),
                proptest::option::of(level()),
                proptest::option::of(level()),
            ],
            proptest::option::weighted(0.2, any::<bool>()),
            proptest::option::weighted(0.2, 0..USERS),
        )
            .prop_map(|(by, object, perms, group, owner)| Step::Patch {
                by,
                object,
                perms,
                group,
                owner,
            }),
        2 => (by(), any::<usize>()).prop_map(|(by, object)| Step::Delete { by, object }),
        1 => by().prop_map(|by| Step::List { by }),
        1 => (0..USERS).prop_map(|user| Step::Membership { user }),
        1 => (0..CLASS_LEVELS.len()).prop_map(|level| Step::ClassAccess { level }),
        1 => (by(), 0..USERS, any::<bool>())
            .prop_map(|(by, user, write)| Step::UserRecord { by, user, write }),
        1 => by().prop_map(|by| Step::UserList { by }),
        3 => (by(), any::<usize>()).prop_map(|(by, op)| Step::Other { by, op }),
    ]
}

/// The operations of the schema a step may call: every endpoint and method except
/// those on data objects and memberships (the model's own) and those that would
/// take the callers' records away (deletes, whole-record writes, renames, new keys).
struct Pool<'a> {
    ops: Vec<(&'a Resource, &'a Endpoint, Method, Op<'a>)>,
}

impl<'a> Pool<'a> {
    fn of(resources: &'a [Resource]) -> Pool<'a> {
        let mut ops = Vec::new();
        for r in resources {
            if matches!(
                r.name.as_str(),
                "DataObject" | "GroupMembership" | "UserGroupMembership"
            ) {
                continue;
            }
            for e in &r.endpoints {
                for m in &e.methods {
                    let op = Op::of(&e.name, Some(*m));
                    if !destructive(op) {
                        ops.push((r, e, http(*m), op));
                    }
                }
            }
        }
        Pool { ops }
    }
}

/// An object as the model knows it.
#[derive(Clone, Debug, PartialEq)]
struct Object {
    id: i64,
    title: String,
    owner: Option<usize>,
    in_group: bool,
    perms: [usize; 3],
}

/// The model: the objects made so far by id (`None` once deleted), who is in
/// `crew`, and the class's `other_permissions`.
struct Model {
    objects: Vec<(i64, Option<Object>)>,
    members: [bool; USERS],
    class_other: usize,
}

impl Model {
    /// What `by` may do with the class (`HasKlassReadPermission`,
    /// `HasKlassCreateObjectPermission`): everything for admins and `ignore_acl` keys,
    /// else the class's other permission (the class has no group).
    fn class_level(&self, by: By) -> usize {
        if by.who.is_admin() || by.who == Who::IgnoreAcl {
            2
        } else {
            self.class_other
        }
    }

    /// Whether the class is closed to `by` for an operation that needs `need`.
    fn closed(&self, by: By, need: usize) -> bool {
        self.class_level(by) < need
    }

    /// The effective permission of `by` on `o` (`HasDataObjectPermission`): `full`
    /// for admins and `ignore_acl` keys; for a user, the other permission raised by
    /// the owner's if he owns it and the group's if he is a member; for a key without
    /// a user, the other permission.
    fn level(&self, by: By, o: &Object) -> usize {
        let [owner, group, other] = o.perms;
        match by.who {
            w if w.is_admin() || w == Who::IgnoreAcl => 3,
            Who::User => {
                let mut l = other;
                if o.owner == Some(by.user) {
                    l = l.max(owner);
                }
                if o.in_group && self.members[by.user] {
                    l = l.max(group);
                }
                l
            }
            _ => other,
        }
    }
}

/// A sequence's world: the emulator, the cast, the other users, the model.
struct World<'a> {
    stage: &'a Stage<'a>,
    /// The sequence's class.
    class: String,
    /// The sequence's group.
    crew: i64,
    model: Model,
    n: usize,
}

/// What the sequences share: the emulator, one instance with its callers, the users
/// `alice`, `bob` and `carl`, and the pool of other operations. Each sequence has a
/// class and a group of its own there, so that the model starts empty.
struct Stage<'a> {
    local: &'a Local,
    accounts: &'a Accounts,
    cast: Cast,
    /// The users' ids and user keys, `alice` first.
    users: Vec<(i64, String)>,
    pool: &'a Pool<'a>,
}

impl<'a> Stage<'a> {
    async fn new(local: &'a Local, accounts: &'a Accounts, pool: &'a Pool<'a>) -> Stage<'a> {
        let cast = Cast::callers(local, accounts, "fuzzing").await;
        let mut users = vec![cast.user.clone()];
        for username in ["bob", "carl"] {
            let u = local
                .expect(
                    (Method::POST, "/v1.1/instances/fuzzing/users/"),
                    &accounts.owner,
                    json!({"username": username, "password": "p"}),
                    StatusCode::CREATED,
                )
                .await;
            users.push((
                u["id"].as_i64().expect("user id"),
                u["user_key"].as_str().expect("user key").to_owned(),
            ));
        }
        Stage {
            local,
            accounts,
            cast,
            users,
            pool,
        }
    }
}

/// Fails the case with a message when `cond` does not hold.
fn ensure(cond: bool, what: impl FnOnce() -> String) -> Result<(), TestCaseError> {
    if cond {
        Ok(())
    } else {
        Err(TestCaseError::fail(what()))
    }
}

/// The answer must be the permission refusal.
fn refused(a: &Answer, step: &Step) -> Result<(), TestCaseError> {
    ensure(is_refusal(a), || {
        format!("{step:?}: the table denies it, got {} {}", a.status, a.body)
    })
}

/// The answer must have the status `want`.
fn status(a: &Answer, want: StatusCode, step: &Step) -> Result<(), TestCaseError> {
    ensure(a.status == want, || {
        format!("{step:?}: expected {want}, got {} {}", a.status, a.body)
    })
}

impl<'a> World<'a> {
    /// A sequence's world: the class `notes<n>` (other users may create objects)
    /// and the group `crew<n>` with `alice` in it.
    async fn new(stage: &'a Stage<'a>, n: usize) -> World<'a> {
        let (local, owner) = (stage.local, stage.accounts.owner.as_str());
        let base = "/v1.1/instances/fuzzing/";
        let class = format!("notes{n}");
        local
            .expect(
                (Method::POST, &format!("{base}classes/")),
                owner,
                json!({"name": class, "schema": [{"name": "title", "type": "string"}],
                       "other_permissions": "create_objects"}),
                StatusCode::CREATED,
            )
            .await;
        let crew = local
            .expect(
                (Method::POST, &format!("{base}groups/")),
                owner,
                json!({"label": format!("crew{n}")}),
                StatusCode::CREATED,
            )
            .await["id"]
            .as_i64()
            .expect("group id");
        local
            .expect(
                (Method::POST, &format!("{base}groups/{crew}/users/")),
                owner,
                json!({"user": stage.users[0].0}),
                StatusCode::CREATED,
            )
            .await;
        World {
            stage,
            class,
            crew,
            model: Model {
                objects: Vec::new(),
                members: [true, false, false],
                class_other: 2,
            },
            n: 0,
        }
    }

    fn base(&self) -> String {
        format!(
            "/v1.1/instances/{}/",
            self.stage.cast.param("*", "instance", Who::Owner)
        )
    }

    fn objects(&self) -> String {
        format!("{}classes/{}/objects/", self.base(), self.class)
    }

    /// The API key and user key of `by`.
    fn creds(&self, by: By) -> (Option<&str>, Option<&str>) {
        if by.who == Who::User {
            let (key, _) = self.stage.cast.credentials(self.stage.accounts, Who::User);
            (key, Some(self.stage.users[by.user].1.as_str()))
        } else {
            self.stage.cast.credentials(self.stage.accounts, by.who)
        }
    }

    /// Whether the table lets `by` perform `op` on data objects.
    fn table(by: By, op: Op<'_>) -> bool {
        permissions::allowed("DataObject", op).meets(by.who.kinds(true))
    }

    /// The object a step addresses: one made so far (deleted or not), or, before
    /// any, an id that never existed.
    fn pick(&self, index: usize) -> (i64, Option<Object>) {
        if self.model.objects.is_empty() {
            return (999_999, None);
        }
        self.model.objects[index % self.model.objects.len()].clone()
    }

    /// Replaces the model's object `id` (`None`: deleted).
    fn set(&mut self, id: i64, o: Option<Object>) {
        for slot in &mut self.model.objects {
            if slot.0 == id {
                slot.1 = o.clone();
            }
        }
    }

    fn user_id(&self, user: usize) -> i64 {
        self.stage.users[user].0
    }

    /// Runs one step and checks its answer against the model, then updates the model.
    async fn run(&mut self, step: &Step) -> Result<(), TestCaseError> {
        match step {
            Step::Create {
                by,
                perms,
                in_group,
                owner,
            } => {
                self.n += 1;
                let title = format!("t{}", self.n);
                let mut body = json!({
                    "title": title,
                    "owner": self.user_id(*owner),
                    "owner_permissions": LEVELS[perms[0]],
                    "group_permissions": LEVELS[perms[1]],
                    "other_permissions": LEVELS[perms[2]],
                });
                if *in_group {
                    body["group"] = json!(self.crew);
                }
                let a = self
                    .stage
                    .local
                    .call(Method::POST, &self.objects(), self.creds(*by), Some(&body))
                    .await;
                if !Self::table(*by, Op::Create) || self.model.closed(*by, 2) {
                    return refused(&a, step);
                }
                let user = (by.who == Who::User).then_some(by.user);
                if *in_group && user.is_some_and(|u| !self.model.members[u]) {
                    status(&a, StatusCode::BAD_REQUEST, step)?;
                    return ensure(
                        a.body == json!({"group": ["Invalid group specified."]}),
                        || format!("{step:?}: {}", a.body),
                    );
                }
                status(&a, StatusCode::CREATED, step)?;
                let o = Object {
                    id: a.body["id"].as_i64().expect("object id"),
                    title,
                    // a user's object is his own
                    owner: Some(user.unwrap_or(*owner)),
                    in_group: *in_group,
                    perms: *perms,
                };
                self.model.objects.push((o.id, Some(o)));
                Ok(())
            }
            Step::Get { by, object } => {
                let (id, o) = self.pick(*object);
                let a = self
                    .stage
                    .local
                    .call(
                        Method::GET,
                        &format!("{}{id}/", self.objects()),
                        self.creds(*by),
                        None,
                    )
                    .await;
                if !Self::table(*by, Op::Get) || self.model.closed(*by, 1) {
                    return refused(&a, step);
                }
                match o {
                    Some(o) if self.model.level(*by, &o) >= 1 => {
                        status(&a, StatusCode::OK, step)?;
                        ensure(a.body["title"] == json!(o.title), || {
                            format!("{step:?}: {} instead of {o:?}", a.body)
                        })
                    }
                    _ => status(&a, StatusCode::NOT_FOUND, step),
                }
            }
            Step::Patch {
                by,
                object,
                perms,
                group,
                owner,
            } => {
                self.patch(step, *by, *object, (*perms, *group, *owner))
                    .await
            }
            Step::Delete { by, object } => {
                let (id, o) = self.pick(*object);
                let a = self
                    .stage
                    .local
                    .call(
                        Method::DELETE,
                        &format!("{}{id}/", self.objects()),
                        self.creds(*by),
                        None,
                    )
                    .await;
                if !Self::table(*by, Op::Delete) || self.model.closed(*by, 1) {
                    return refused(&a, step);
                }
                let Some(o) = o else {
                    return status(&a, StatusCode::NOT_FOUND, step);
                };
                match self.model.level(*by, &o) {
                    0 => status(&a, StatusCode::NOT_FOUND, step),
                    3 => {
                        status(&a, StatusCode::NO_CONTENT, step)?;
                        self.set(o.id, None);
                        Ok(())
                    }
                    _ => refused(&a, step),
                }
            }
            Step::List { by } => {
                let a = self
                    .stage
                    .local
                    .call(
                        Method::GET,
                        &format!("{}?page_size=100", self.objects()),
                        self.creds(*by),
                        None,
                    )
                    .await;
                if !Self::table(*by, Op::List) || self.model.closed(*by, 1) {
                    return refused(&a, step);
                }
                status(&a, StatusCode::OK, step)?;
                let listed: Vec<i64> = a.body["objects"]
                    .as_array()
                    .map(|v| v.iter().filter_map(|o| o["id"].as_i64()).collect())
                    .unwrap_or_default();
                let want: Vec<i64> = self
                    .model
                    .objects
                    .iter()
                    .filter_map(|(_, o)| o.as_ref())
                    .filter(|o| self.model.level(*by, o) >= 1)
                    .map(|o| o.id)
                    .collect();
                ensure(listed == want, || {
                    format!("{step:?}: listed {listed:?}, the ACLs allow {want:?}")
                })
            }
            Step::Membership { user } => {
                let uid = self.user_id(*user);
                let groups = format!("{}groups/{}/users/", self.base(), self.crew);
                let owner = (Some(self.stage.accounts.owner.as_str()), None);
                if self.model.members[*user] {
                    let a = self
                        .stage
                        .local
                        .call(Method::DELETE, &format!("{groups}{uid}/"), owner, None)
                        .await;
                    status(&a, StatusCode::NO_CONTENT, step)?;
                } else {
                    let a = self
                        .stage
                        .local
                        .call(Method::POST, &groups, owner, Some(&json!({"user": uid})))
                        .await;
                    status(&a, StatusCode::CREATED, step)?;
                }
                self.model.members[*user] = !self.model.members[*user];
                Ok(())
            }
            Step::ClassAccess { level } => {
                let a = self
                    .stage
                    .local
                    .call(
                        Method::PATCH,
                        &format!("{}classes/{}/", self.base(), self.class),
                        (Some(self.stage.accounts.owner.as_str()), None),
                        Some(&json!({"other_permissions": CLASS_LEVELS[*level]})),
                    )
                    .await;
                status(&a, StatusCode::OK, step)?;
                self.model.class_other = *level;
                Ok(())
            }
            Step::UserRecord { by, user, write } => {
                let (method, op, body) = if *write {
                    (Method::PATCH, Op::Update, Some(json!({})))
                } else {
                    (Method::GET, Op::Get, None)
                };
                let path = format!("{}users/{}/", self.base(), self.user_id(*user));
                let a = self
                    .stage
                    .local
                    .call(method, &path, self.creds(*by), body.as_ref())
                    .await;
                if !permissions::allowed("User", op).meets(by.who.kinds(true)) {
                    return refused(&a, step);
                }
                if by.who == Who::User && by.user != *user {
                    return status(&a, StatusCode::NOT_FOUND, step);
                }
                status(&a, StatusCode::OK, step)?;
                ensure(a.body["id"] == json!(self.user_id(*user)), || {
                    format!("{step:?}: {}", a.body)
                })
            }
            Step::UserList { by } => {
                let path = format!("{}users/?page_size=100", self.base());
                let a = self
                    .stage
                    .local
                    .call(Method::GET, &path, self.creds(*by), None)
                    .await;
                if !permissions::allowed("User", Op::List).meets(by.who.kinds(true)) {
                    return refused(&a, step);
                }
                status(&a, StatusCode::OK, step)?;
                let listed: Vec<i64> = a.body["objects"]
                    .as_array()
                    .map(|v| v.iter().filter_map(|u| u["id"].as_i64()).collect())
                    .unwrap_or_default();
                if by.who == Who::User {
                    let own = self.user_id(by.user);
                    ensure(listed == vec![own], || {
                        format!("{step:?}: listed {listed:?}, only {own} is the user's own")
                    })
                } else {
                    let all = (0..USERS).all(|u| listed.contains(&self.user_id(u)));
                    ensure(all, || format!("{step:?}: listed {listed:?}"))
                }
            }
            Step::Other { by, op } => {
                let (r, e, method, op) =
                    self.stage.pool.ops[op % self.stage.pool.ops.len()].clone();
                let path = path_of(&self.stage.cast, r, e, by.who);
                let body = body_of(&self.stage.cast, r, e, op, &mut self.n);
                let creds = self.creds(*by);
                let a = self
                    .stage
                    .local
                    .call(method, &path, creds, body.as_ref())
                    .await;
                let in_instance = e.path.starts_with("/v1.1/instances/{");
                if !in_instance && by.who.is_key() {
                    return ensure(
                        a.status == StatusCode::FORBIDDEN
                            && a.body == json!({"detail": "No such API Key."}),
                        || format!("{step:?} {path}: {} {}", a.status, a.body),
                    );
                }
                let allowed = permissions::allowed(&r.name, op).meets(by.who.kinds(in_instance));
                if !allowed {
                    return ensure(is_refusal(&a), || {
                        format!(
                            "{step:?}: {} {op} {path} is denied by the table, got {} {}",
                            r.name, a.status, a.body
                        )
                    });
                }
                ensure(!a.status.is_server_error(), || {
                    format!("{step:?}: {} {op} {path}: {} {}", r.name, a.status, a.body)
                })
            }
        }
    }

    /// A `PATCH` step: the table, then the object's ACL, then the serializer rules
    /// (owner, group, permissions capped at the caller's level).
    async fn patch(
        &mut self,
        step: &Step,
        by: By,
        object: usize,
        (perms, group, owner): ([Option<usize>; 3], Option<bool>, Option<usize>),
    ) -> Result<(), TestCaseError> {
        let (id, o) = self.pick(object);
        self.n += 1;
        let title = format!("t{}", self.n);
        let mut body = json!({"title": title});
        for (i, name) in [
            "owner_permissions",
            "group_permissions",
            "other_permissions",
        ]
        .iter()
        .enumerate()
        {
            if let Some(l) = perms[i] {
                body[*name] = json!(LEVELS[l]);
            }
        }
        if let Some(g) = group {
            body["group"] = if g { json!(self.crew) } else { Value::Null };
        }
        if let Some(u) = owner {
            body["owner"] = json!(self.user_id(u));
        }
        let a = self
            .stage
            .local
            .call(
                Method::PATCH,
                &format!("{}{id}/", self.objects()),
                self.creds(by),
                Some(&body),
            )
            .await;
        if !Self::table(by, Op::Update) || self.model.closed(by, 1) {
            return refused(&a, step);
        }
        let Some(o) = o else {
            return status(&a, StatusCode::NOT_FOUND, step);
        };
        let level = self.model.level(by, &o);
        match level {
            0 => return status(&a, StatusCode::NOT_FOUND, step),
            1 => return refused(&a, step),
            _ => {}
        }
        let user = (by.who == Who::User).then_some(by.user);
        let mut errors = Vec::new();
        if let Some(u) = user {
            if owner.is_some_and(|w| Some(w) != o.owner) {
                errors.push("owner");
            }
            if group == Some(true) && !o.in_group && !self.model.members[u] {
                errors.push("group");
            }
        }
        if !errors.is_empty() {
            status(&a, StatusCode::BAD_REQUEST, step)?;
            for e in errors {
                ensure(a.body.get(e).is_some(), || {
                    format!("{step:?}: no {e} error in {}", a.body)
                })?;
            }
            return Ok(());
        }
        status(&a, StatusCode::OK, step)?;
        // a user's permission changes are capped at his own level on the object
        let cap = if user.is_some() { level } else { 3 };
        let mut next = o.clone();
        next.title = title;
        for (i, p) in perms.iter().enumerate() {
            if let Some(l) = p {
                next.perms[i] = (*l).min(cap);
            }
        }
        if let Some(g) = group {
            next.in_group = g;
        }
        if let (Some(u), None) = (owner, user) {
            next.owner = Some(u);
        }
        self.set(o.id, Some(next));
        Ok(())
    }

    /// The stored objects, as the owner admin lists them, equal the model.
    async fn verify(&self, step: &Step) -> Result<(), TestCaseError> {
        let a = self
            .stage
            .local
            .call(
                Method::GET,
                &format!("{}?page_size=100", self.objects()),
                (Some(self.stage.accounts.owner.as_str()), None),
                None,
            )
            .await;
        status(&a, StatusCode::OK, step)?;
        let stored: Vec<Object> = a.body["objects"]
            .as_array()
            .map(|v| v.iter().map(|o| self.object_of(o)).collect())
            .unwrap_or_default();
        let model: Vec<Object> = self
            .model
            .objects
            .iter()
            .filter_map(|(_, o)| o.clone())
            .collect();
        ensure(stored == model, || {
            format!("after {step:?}: stored {stored:?}, the model has {model:?}")
        })
    }

    /// A stored object in the model's terms.
    fn object_of(&self, o: &Value) -> Object {
        let level = |k: &str| {
            LEVELS
                .iter()
                .position(|l| o[k].as_str() == Some(*l))
                .unwrap_or(usize::MAX)
        };
        Object {
            id: o["id"].as_i64().unwrap_or(-1),
            title: o["title"].as_str().unwrap_or_default().to_owned(),
            owner: o["owner"]
                .as_i64()
                .and_then(|id| self.stage.users.iter().position(|u| u.0 == id)),
            in_group: o["group"].as_i64() == Some(self.crew),
            perms: [
                level("owner_permissions"),
                level("group_permissions"),
                level("other_permissions"),
            ],
        }
    }
}

#[test]
fn random_request_sequences_stay_inside_the_table_and_the_acls() {
    let cases = match std::env::var("PERMISSION_FUZZ_CASES") {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("PERMISSION_FUZZ_CASES={v:?} is not a number of cases")),
        Err(_) => 300,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let schema = parse(syncano_emulator::EMBEDDED_SCHEMA, "snapshot").expect("snapshot parses");
    let pool = Pool::of(&schema.resources);
    let local = Local::new();
    let accounts = rt.block_on(Accounts::register(&local));
    let stage = rt.block_on(Stage::new(&local, &accounts, &pool));
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let sequence = std::cell::Cell::new(0usize);
    let steps = std::cell::Cell::new(0usize);
    let started = std::time::Instant::now();
    let result = runner.run(&proptest::collection::vec(step(), 1..30), |seq| {
        sequence.set(sequence.get() + 1);
        steps.set(steps.get() + seq.len());
        rt.block_on(async {
            let mut world = World::new(&stage, sequence.get()).await;
            for step in &seq {
                world.run(step).await?;
                world.verify(step).await?;
            }
            Ok(())
        })
    });
    println!(
        "permission fuzz: {} sequences, {} steps, {:?}",
        sequence.get(),
        steps.get(),
        started.elapsed()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}
