//! The callers of the permission tests: an in-process emulator, three invited
//! admins (`full`, `write`, `read`), and instances seeded with one record of each
//! resource and every kind of caller (the owner admin, the invited admins, API keys
//! with each flag, a user behind the plain key, nobody).

use std::collections::HashMap;

use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use syncano_emulator::permissions::Callers;
use syncano_emulator::{Emulator, EmulatorConfig, InProcess};

/// The emulator, in this process.
pub struct Local {
    /// The emulator, for requests the helpers do not build.
    pub emu: InProcess,
}

/// An answer: status and JSON body (`Null` when empty).
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Local {
    /// A fresh in-memory emulator whose `poll` answers at once.
    pub fn new() -> Local {
        Local::with_config(EmulatorConfig {
            poll_timeout: std::time::Duration::from_millis(1),
            ..EmulatorConfig::default()
        })
    }

    /// A fresh in-process emulator with `config`.
    pub fn with_config(config: EmulatorConfig) -> Local {
        Local {
            emu: Emulator::in_process(config).expect("the emulator starts"),
        }
    }

    /// The pre-registered admin's account key.
    pub fn admin_key(&self) -> String {
        self.emu.account_key().to_owned()
    }

    /// `method path` with an optional API key, user key and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        (key, user_key): (Option<&str>, Option<&str>),
        body: Option<&Value>,
    ) -> Answer {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(k) = key {
            builder = builder.header("X-API-KEY", k);
        }
        if let Some(u) = user_key {
            builder = builder.header("X-USER-KEY", u);
        }
        let request = match body {
            Some(b) => builder
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => builder.body(Body::empty()),
        }
        .expect("a valid request");
        let response = self.emu.send(request).await;
        let status = response.status();
        let bytes = to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("a body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Answer { status, body }
    }

    /// `method path` with the account key `key`; asserts the status `want` and
    /// returns the body.
    pub async fn expect(
        &self,
        (method, path): (Method, &str),
        key: &str,
        body: Value,
        want: StatusCode,
    ) -> Value {
        let a = self
            .call(method.clone(), path, (Some(key), None), Some(&body))
            .await;
        assert_eq!(a.status, want, "{method} {path} {body}: {}", a.body);
        a.body
    }
}

/// The 403 body of a permission refusal.
pub fn refusal() -> Value {
    json!({"detail": "You do not have permission to perform this action."})
}

/// Whether an answer is the permission refusal.
pub fn is_refusal(a: &Answer) -> bool {
    a.status == StatusCode::FORBIDDEN && a.body == refusal()
}

/// The three invited admins' accounts: e-mail and (current) account key.
pub struct Accounts {
    pub owner: String,
    pub full: (String, String),
    pub write: (String, String),
    pub read: (String, String),
}

impl Accounts {
    /// Registers the accounts of the invited admins.
    pub async fn register(local: &Local) -> Accounts {
        let mut keys = Vec::new();
        for role in ["full", "write", "read"] {
            let email = format!("{role}-admin@example.com");
            let a = local
                .call(
                    Method::POST,
                    "/v1.1/account/register/",
                    (None, None),
                    Some(&json!({"email": email, "password": "pw"})),
                )
                .await;
            assert_eq!(
                a.status,
                StatusCode::CREATED,
                "register {email}: {}",
                a.body
            );
            let key = a.body["account_key"].as_str().expect("a key").to_owned();
            keys.push((email, key));
        }
        let read = keys.pop().expect("read");
        let write = keys.pop().expect("write");
        let full = keys.pop().expect("full");
        Accounts {
            owner: local.admin_key(),
            full,
            write,
            read,
        }
    }

    /// The account key of an admin caller.
    pub fn key_of(&self, who: Who) -> Option<&str> {
        match who {
            Who::Owner => Some(&self.owner),
            Who::Full => Some(&self.full.1),
            Who::Write => Some(&self.write.1),
            Who::Read => Some(&self.read.1),
            _ => None,
        }
    }

    /// Replaces the account key of an admin caller (after `account/reset_key/`).
    pub fn set_key(&mut self, who: Who, key: String) {
        match who {
            Who::Owner => self.owner = key,
            Who::Full => self.full.1 = key,
            Who::Write => self.write.1 = key,
            Who::Read => self.read.1 = key,
            _ => {}
        }
    }
}

/// One kind of caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Who {
    Owner,
    Full,
    Write,
    Read,
    IgnoreAcl,
    Plain,
    User,
    AnonymousRead,
    UserCreate,
    GroupCreate,
    Anonymous,
}

impl Who {
    /// Every caller.
    pub const ALL: [Who; 11] = [
        Who::Owner,
        Who::Full,
        Who::Write,
        Who::Read,
        Who::IgnoreAcl,
        Who::Plain,
        Who::User,
        Who::AnonymousRead,
        Who::UserCreate,
        Who::GroupCreate,
        Who::Anonymous,
    ];

    /// Whether the caller is an admin (an account key).
    pub fn is_admin(self) -> bool {
        matches!(self, Who::Owner | Who::Full | Who::Write | Who::Read)
    }

    /// Whether the caller sends an instance API key.
    pub fn is_key(self) -> bool {
        !self.is_admin() && self != Who::Anonymous
    }

    /// The kinds the caller counts as in the permission table, inside an instance or
    /// (`in_instance` false) on an account path or the instance list.
    pub fn kinds(self, in_instance: bool) -> Callers {
        match self {
            Who::Owner | Who::Full | Who::Write | Who::Read if !in_instance => Callers::ACCOUNT,
            Who::Owner => Callers::OWNER,
            Who::Full => Callers::FULL,
            Who::Write => Callers::WRITE,
            Who::Read => Callers::READ,
            Who::IgnoreAcl => Callers::IGNORE_ACL,
            Who::Plain => Callers::KEY,
            Who::User => Callers::KEY | Callers::USER,
            Who::AnonymousRead => Callers::KEY | Callers::ANONYMOUS_READ,
            Who::UserCreate => Callers::KEY | Callers::USER_CREATE,
            Who::GroupCreate => Callers::KEY | Callers::GROUP_CREATE,
            Who::Anonymous => Callers::ANONYMOUS,
        }
    }
}

/// One seeded instance: its callers' keys and the ids of its records.
pub struct Cast {
    /// The API key of each key caller.
    pub keys: HashMap<Who, (i64, String)>,
    /// The admin-role id of each admin caller.
    pub admins: HashMap<Who, i64>,
    /// The user behind [`Who::User`]: id and user key.
    pub user: (i64, String),
    /// The values of the path parameters, by `(resource, parameter)` (resource `*`:
    /// any).
    pub params: HashMap<(&'static str, &'static str), String>,
}

/// The API key flags of each key caller.
const KEY_FLAGS: [(Who, &str); 5] = [
    (Who::IgnoreAcl, "ignore_acl"),
    (Who::Plain, ""),
    (Who::AnonymousRead, "allow_anonymous_read"),
    (Who::UserCreate, "allow_user_create"),
    (Who::GroupCreate, "allow_group_create"),
];

impl Cast {
    /// Creates the instance `name` owned by the pre-registered admin, invites the
    /// three admins, makes the keys and the user, and seeds one record of each
    /// resource the matrix addresses.
    pub async fn seed(local: &Local, accounts: &Accounts, name: &str) -> Cast {
        Cast::make(local, accounts, name, true).await
    }

    /// [`Cast::seed`] with only the callers: the admins, the keys, the user and his
    /// group `crew`; the other records' parameters are ids that do not exist.
    pub async fn callers(local: &Local, accounts: &Accounts, name: &str) -> Cast {
        Cast::make(local, accounts, name, false).await
    }

    async fn make(local: &Local, accounts: &Accounts, name: &str, records: bool) -> Cast {
        let owner = accounts.owner.as_str();
        let base = format!("/v1.1/instances/{name}/");
        let post = |rel: &str| (Method::POST, format!("{base}{rel}"));
        local
            .expect(
                (Method::POST, "/v1.1/instances/"),
                owner,
                json!({"name": name}),
                StatusCode::CREATED,
            )
            .await;
        for (role, (email, key)) in [
            ("full", &accounts.full),
            ("write", &accounts.write),
            ("read", &accounts.read),
        ] {
            let (m, p) = post("invitations/");
            let inv = local
                .expect(
                    (m, &p),
                    owner,
                    json!({"email": email, "role": role}),
                    StatusCode::CREATED,
                )
                .await;
            local
                .expect(
                    (Method::POST, "/v1.1/account/invitations/accept/"),
                    key,
                    json!({"invitation_key": inv["key"]}),
                    StatusCode::NO_CONTENT,
                )
                .await;
        }
        let listed = local
            .expect(
                (Method::GET, &format!("{base}admins/")),
                owner,
                Value::Null,
                StatusCode::OK,
            )
            .await;
        let mut admins = HashMap::new();
        for a in listed["objects"].as_array().expect("admins") {
            // the owner is listed with the role `full`: tell the admins by e-mail
            let email = a["email"].as_str();
            let who = if email == Some(accounts.full.0.as_str()) {
                Who::Full
            } else if email == Some(accounts.write.0.as_str()) {
                Who::Write
            } else if email == Some(accounts.read.0.as_str()) {
                Who::Read
            } else {
                Who::Owner
            };
            admins.insert(who, a["id"].as_i64().expect("an admin id"));
        }
        assert_eq!(admins.len(), 4, "{listed}");
        let mut keys = HashMap::new();
        for (who, flag) in KEY_FLAGS {
            let body = if flag.is_empty() {
                json!({})
            } else {
                json!({ flag: true })
            };
            let (m, p) = post("api_keys/");
            let k = local
                .expect((m, &p), owner, body, StatusCode::CREATED)
                .await;
            keys.insert(
                who,
                (
                    k["id"].as_i64().expect("key id"),
                    k["api_key"].as_str().expect("api_key").to_owned(),
                ),
            );
        }
        let mut seeded = Seeder {
            local,
            owner,
            base: &base,
            params: HashMap::new(),
        };
        let user = seeded
            .create(
                "users/",
                json!({"username": "alice", "password": "p"}),
                &[("User", "id"), ("*", "user_id")],
            )
            .await;
        let user = (
            user["id"].as_i64().expect("user id"),
            user["user_key"].as_str().expect("user key").to_owned(),
        );
        let uid = user.0;
        let group = seeded
            .create(
                "groups/",
                json!({"label": "crew"}),
                &[("Group", "id"), ("*", "group_id")],
            )
            .await;
        let gid = group["id"].as_i64().expect("group id");
        seeded
            .create(&format!("groups/{gid}/users/"), json!({"user": uid}), &[])
            .await;
        if records {
            seeded.records(uid).await;
        }
        let mut params = seeded.params;
        params.insert(("Instance", "name"), name.to_owned());
        params.insert(("*", "instance"), name.to_owned());
        params.insert(("*", "backend"), "facebook".to_owned());
        Cast {
            keys,
            admins,
            user,
            params,
        }
    }

    /// The instance's name.
    pub fn name(&self) -> &str {
        &self.params[&("*", "instance")]
    }

    /// The API key and user key `who` sends inside this instance.
    pub fn credentials<'a>(
        &'a self,
        accounts: &'a Accounts,
        who: Who,
    ) -> (Option<&'a str>, Option<&'a str>) {
        match who {
            Who::Anonymous => (None, None),
            Who::User => (
                self.keys.get(&Who::Plain).map(|k| k.1.as_str()),
                Some(self.user.1.as_str()),
            ),
            w if w.is_admin() => (accounts.key_of(w), None),
            w => (self.keys.get(&w).map(|k| k.1.as_str()), None),
        }
    }

    /// The value of the path parameter `param` of `resource`'s endpoints when `who`
    /// calls: a record that exists, the caller's own where the table lets a caller
    /// reach only its own (its admin role, its API key).
    pub fn param(&self, resource: &str, param: &str, who: Who) -> String {
        match (resource, param) {
            ("Admin", "id") => {
                let own = if matches!(who, Who::Write | Who::Read) {
                    who
                } else {
                    Who::Write
                };
                self.admins[&own].to_string()
            }
            ("ApiKey", "id") => {
                let own = if who.is_key() && who != Who::User {
                    who
                } else {
                    Who::Plain
                };
                self.keys[&own].0.to_string()
            }
            _ => self
                .params
                .iter()
                .find(|((r, p), _)| *p == param && *r == resource)
                .or_else(|| {
                    self.params
                        .iter()
                        .find(|((r, p), _)| *p == param && *r == "*")
                })
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| "1".to_owned()),
        }
    }
}

/// Creates the seed records of an instance as its owner.
struct Seeder<'a> {
    local: &'a Local,
    owner: &'a str,
    base: &'a str,
    params: HashMap<(&'static str, &'static str), String>,
}

impl Seeder<'_> {
    /// One record of each resource the matrix addresses, `uid` the cast's user.
    async fn records(&mut self, uid: i64) {
        let seeded = self;
        seeded
            .create(
                "classes/",
                json!({"name": "things", "schema": [{"name": "title", "type": "string"}],
                       "other_permissions": "create_objects"}),
                &[("Class", "name"), ("*", "class_name")],
            )
            .await;
        seeded
            .create(
                "classes/things/objects/",
                json!({"title": "t", "owner": uid, "other_permissions": "full"}),
                &[("DataObject", "id")],
            )
            .await;
        seeded
            .create(
                "endpoints/data/",
                json!({"name": "things-all", "class": "things"}),
                &[("DataEndpoint", "name")],
            )
            .await;
        let script = seeded
            .create(
                "snippets/scripts/",
                json!({"runtime_name": "python3", "source": "print(1)"}),
                &[("Script", "id"), ("*", "script_id")],
            )
            .await;
        let sid = script["id"].as_i64().expect("script id");
        let hook = seeded
            .create(
                "endpoints/scripts/",
                json!({"name": "hook", "script": sid, "public": true}),
                &[("ScriptEndpoint", "name"), ("*", "endpoint_name")],
            )
            .await;
        if let Some(link) = hook["public_link"].as_str() {
            seeded.params.insert(("*", "public_link"), link.to_owned());
        }
        seeded
            .create(
                "schedules/",
                json!({"script": sid, "interval_sec": 3600, "label": "hourly"}),
                &[("Schedule", "id"), ("*", "schedule_id")],
            )
            .await;
        seeded
            .create(
                "triggers/",
                json!({"script": sid, "class": "things", "signal": "post_create", "label": "t"}),
                &[("Trigger", "id"), ("*", "trigger_id")],
            )
            .await;
        seeded
            .create(
                "snippets/templates/",
                json!({"name": "tpl", "content": "{{ 1 }}", "content_type": "text/plain"}),
                &[("Template", "name")],
            )
            .await;
        seeded
            .create(
                "channels/",
                json!({"name": "news", "other_permissions": "publish", "custom_publish": true}),
                &[("Channel", "name"), ("*", "channel_name")],
            )
            .await;
        seeded
            .create(
                "channels/news/publish/",
                json!({"payload": {"n": 1}}),
                &[("ChannelChange", "id")],
            )
            .await;
        seeded
            .create(
                "hosting/",
                json!({"name": "site", "domains": ["site"]}),
                &[("Hosting", "id"), ("*", "hosting_id")],
            )
            .await;
        seeded
            .write(
                Method::PATCH,
                "push_notifications/gcm/config/",
                json!({"development_api_key": "AIza-matrix"}),
            )
            .await;
        seeded
            .create(
                "push_notifications/gcm/devices/",
                json!({"registration_id": "gcm-dev", "user": uid}),
                &[("GcmDevice", "registration_id")],
            )
            .await;
        seeded
            .create(
                "push_notifications/apns/devices/",
                json!({"registration_id": "a".repeat(64), "user": uid}),
                &[("ApnsDevice", "registration_id")],
            )
            .await;
        seeded
            .create(
                "push_notifications/gcm/messages/",
                json!({"content": {"registration_ids": ["gcm-dev"], "environment": "development"}}),
                &[("GcmMessage", "id")],
            )
            .await;
        seeded
            .create("backups/full/", json!({}), &[("FullBackup", "id")])
            .await;
        seeded
            .create(
                "invitations/",
                json!({"email": "pending@example.com", "role": "read"}),
                &[("Invitation", "id")],
            )
            .await;
    }

    /// POSTs `body` to `rel` (201 expected) and remembers the new record's key (its
    /// `id`, `name` or `registration_id`) as the value of the given parameters.
    async fn create(
        &mut self,
        rel: &str,
        body: Value,
        names: &[(&'static str, &'static str)],
    ) -> Value {
        let created = self
            .local
            .expect(
                (Method::POST, &format!("{}{rel}", self.base)),
                self.owner,
                body,
                StatusCode::CREATED,
            )
            .await;
        for (resource, param) in names {
            let field = if param.ends_with("name") {
                "name"
            } else if *param == "registration_id" {
                "registration_id"
            } else {
                "id"
            };
            let key = match &created[field] {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.clone(),
                other => panic!("{rel}: no {field} in {other} ({created})"),
            };
            self.params.insert((resource, param), key);
        }
        created
    }

    /// A write that answers 200.
    async fn write(&mut self, method: Method, rel: &str, body: Value) {
        self.local
            .expect(
                (method, &format!("{}{rel}", self.base)),
                self.owner,
                body,
                StatusCode::OK,
            )
            .await;
    }
}
