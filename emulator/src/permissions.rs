//! Who may do what: the platform's permission rules as one table, per schema
//! resource and operation.
//!
//! A row names the [`Callers`] that pass the platform's view-level permission
//! classes for one operation; the dispatcher refuses everyone else with 403
//! `You do not have permission to perform this action.` before any handler runs.
//! What the platform decides per record (data-object, channel and user ACLs, owner
//! and permission rules of the serializers) is not in this table: the resource
//! modules apply it to the records a caller passing the table asks for
//! (`objects.rs`, `channels.rs`, `users.rs`).
//!
//! The rows come from the platform's sources (`Syncano/syncano-platform`): the
//! views' `permission_classes`, the default classes of `settings/common.py`
//! (`AdminHasPermissions` with each model's `PERMISSION_CONFIG` for the admin
//! roles), `apps/apikeys/permissions.py` for API keys, and `apps/users/permissions.py`
//! for user keys. The test `emulator/tests/it/permissions.rs` asserts every row for
//! every caller kind against the running emulator.

use std::fmt;
use std::ops::BitOr;

use crate::auth::Caller;
pub use crate::behaviour::Op;

/// A set of caller kinds.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Callers(u16);

impl Callers {
    /// Nobody.
    pub const NONE: Callers = Callers(0);
    /// An admin (account key) on an account path or the instance list, outside any
    /// instance.
    pub const ACCOUNT: Callers = Callers(1);
    /// The admin who owns the instance.
    pub const OWNER: Callers = Callers(1 << 1);
    /// An admin of the instance with the `full` role.
    pub const FULL: Callers = Callers(1 << 2);
    /// An admin of the instance with the `write` role.
    pub const WRITE: Callers = Callers(1 << 3);
    /// An admin of the instance with the `read` role.
    pub const READ: Callers = Callers(1 << 4);
    /// An instance API key with `ignore_acl`.
    pub const IGNORE_ACL: Callers = Callers(1 << 5);
    /// An instance API key without `ignore_acl` (with or without a user key).
    pub const KEY: Callers = Callers(1 << 6);
    /// Any instance API key sent with a valid user key (`X-USER-KEY`).
    pub const USER: Callers = Callers(1 << 7);
    /// An instance API key with `allow_anonymous_read`.
    pub const ANONYMOUS_READ: Callers = Callers(1 << 8);
    /// An instance API key with `allow_user_create`.
    pub const USER_CREATE: Callers = Callers(1 << 9);
    /// An instance API key with `allow_group_create`.
    pub const GROUP_CREATE: Callers = Callers(1 << 10);
    /// A request without any key.
    pub const ANONYMOUS: Callers = Callers(1 << 11);

    /// Admins of the instance with the `full` role, the owner included.
    pub const FULL_ADMINS: Callers = Callers::OWNER.or(Callers::FULL);
    /// Admins with the `write` role or above.
    pub const WRITE_ADMINS: Callers = Callers::FULL_ADMINS.or(Callers::WRITE);
    /// Every admin of the instance.
    pub const ADMINS: Callers = Callers::WRITE_ADMINS.or(Callers::READ);
    /// Every instance API key.
    pub const KEYS: Callers = Callers::IGNORE_ACL.or(Callers::KEY);
    /// Everyone, with or without a key.
    pub const EVERYONE: Callers = Callers(u16::MAX);

    /// Every single kind, for tests that go through all of them.
    pub const KINDS: [(Callers, &'static str); 12] = [
        (Callers::ACCOUNT, "account"),
        (Callers::OWNER, "owner admin"),
        (Callers::FULL, "full admin"),
        (Callers::WRITE, "write admin"),
        (Callers::READ, "read admin"),
        (Callers::IGNORE_ACL, "ignore_acl key"),
        (Callers::KEY, "plain key"),
        (Callers::USER, "user key"),
        (Callers::ANONYMOUS_READ, "anonymous-read key"),
        (Callers::USER_CREATE, "user-create key"),
        (Callers::GROUP_CREATE, "group-create key"),
        (Callers::ANONYMOUS, "anonymous"),
    ];

    /// The union of two sets.
    pub const fn or(self, other: Callers) -> Callers {
        Callers(self.0 | other.0)
    }

    /// Whether the two sets share a kind.
    pub const fn meets(self, other: Callers) -> bool {
        self.0 & other.0 != 0
    }

    /// The kinds a caller counts as: an admin by its role in `role` (the instance in
    /// the path; `None` outside instances), a key by its flags and user key.
    pub fn of(caller: &Caller, role: Option<&str>) -> Callers {
        match caller {
            Caller::Anonymous => Callers::ANONYMOUS,
            Caller::Admin { .. } => match role {
                None => Callers::ACCOUNT,
                Some("owner") => Callers::OWNER,
                Some("full") => Callers::FULL,
                Some("write") => Callers::WRITE,
                Some(_) => Callers::READ,
            },
            Caller::Key {
                ignore_acl,
                allow_user_create,
                allow_group_create,
                allow_anonymous_read,
                user,
                ..
            } => {
                let flag = |on: bool, kind: Callers| if on { kind } else { Callers::NONE };
                flag(*ignore_acl, Callers::IGNORE_ACL)
                    | flag(!*ignore_acl, Callers::KEY)
                    | flag(user.is_some(), Callers::USER)
                    | flag(*allow_anonymous_read, Callers::ANONYMOUS_READ)
                    | flag(*allow_user_create, Callers::USER_CREATE)
                    | flag(*allow_group_create, Callers::GROUP_CREATE)
            }
        }
    }
}

impl BitOr for Callers {
    type Output = Callers;
    fn bitor(self, rhs: Callers) -> Callers {
        self.or(rhs)
    }
}

impl fmt::Debug for Callers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Callers::KINDS
            .iter()
            .filter(|(k, _)| self.meets(*k))
            .map(|(_, n)| *n)
            .collect();
        write!(f, "{{{}}}", names.join(", "))
    }
}

/// One row of the table: who may perform `op` on `resource`.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    /// The schema's resource name.
    pub resource: &'static str,
    /// The operation.
    pub op: Op<'static>,
    /// The callers allowed.
    pub allow: Callers,
    /// The platform source the row follows.
    pub source: &'static str,
}

/// The five standard rows of a resource: who lists and reads, creates, updates
/// (`PATCH` and `PUT`), deletes.
const fn crud(
    resource: &'static str,
    [read, create, update, delete]: [Callers; 4],
    source: &'static str,
) -> [Rule; 6] {
    [
        Rule {
            resource,
            op: Op::List,
            allow: read,
            source,
        },
        Rule {
            resource,
            op: Op::Get,
            allow: read,
            source,
        },
        Rule {
            resource,
            op: Op::Create,
            allow: create,
            source,
        },
        Rule {
            resource,
            op: Op::Update,
            allow: update,
            source,
        },
        Rule {
            resource,
            op: Op::Replace,
            allow: update,
            source,
        },
        Rule {
            resource,
            op: Op::Delete,
            allow: delete,
            source,
        },
    ]
}

/// One row.
const fn row(
    resource: &'static str,
    op: Op<'static>,
    allow: Callers,
    source: &'static str,
) -> Rule {
    Rule {
        resource,
        op,
        allow,
        source,
    }
}

use Callers as C;

/// `PERMISSION_CONFIG` `{write: all, read: {read}}`: every role reads, `write` and up
/// write (scripts, schedules, triggers, classes, objects, push ...).
const WCFG: [Callers; 4] = [C::ADMINS, C::WRITE_ADMINS, C::WRITE_ADMINS, C::WRITE_ADMINS];
/// `{full: all, write: {read}, read: {read}}`: every role reads, `full` writes
/// (invitations, templates, hosting).
const FCFG: [Callers; 4] = [C::ADMINS, C::FULL_ADMINS, C::FULL_ADMINS, C::FULL_ADMINS];
/// `{full: all}`: only `full` (and the owner) reads or writes (API keys, backups).
const FULL_ONLY: [Callers; 4] = [C::FULL_ADMINS; 4];
/// `{read: {read}}`: every role reads, nobody writes (traces).
const RCFG: [Callers; 4] = [C::ADMINS, C::NONE, C::NONE, C::NONE];

/// Who reads data objects (and channels): admins, `ignore_acl` keys, user keys and
/// keys allowing anonymous reads (`apps/data/v1/views.py` `ObjectViewSet`; the
/// class's and object's own permissions then apply to the last two).
const OBJECT_READERS: Callers = C::ADMINS
    .or(C::IGNORE_ACL)
    .or(C::USER)
    .or(C::ANONYMOUS_READ);
/// Who writes data objects: `write` admins and up, `ignore_acl` keys, user keys.
const OBJECT_WRITERS: Callers = C::WRITE_ADMINS.or(C::IGNORE_ACL).or(C::USER);
/// Admins and keys that manage what the ACLs protect, without users.
const ACL_MANAGERS: Callers = C::WRITE_ADMINS.or(C::IGNORE_ACL);
/// Every admin of the instance and every key.
const ADMINS_AND_KEYS: Callers = C::ADMINS.or(C::KEYS);

const ADMINS_DEFAULT: &str = "settings/common.py (AdminHasPermissions), apps/admins/permissions.py";
const INSTANCE_ACCESS: &str = "apps/instances/permissions.py (ProtectInstanceAccess)";
const OBJECTS: &str = "apps/data/v1/views.py (ObjectViewSet), apps/data/permissions.py";
const USERS: &str = "apps/users/v1/views.py (UserViewSet), apps/users/permissions.py";
const CHANNELS: &str = "apps/channels/v1/views.py (ChannelViewSet), apps/channels/permissions.py";
const DEVICES: &str =
    "apps/push_notifications/views.py (BaseDeviceViewSet), apps/push_notifications/permissions.py";
const ACCOUNT: &str = "apps/admins/views.py";

/// The table.
pub static TABLE: &[&[Rule]] = &[
    // the admin's own account, reached by the account key; register and log-in are open
    &[
        row("Account", Op::Get, C::ACCOUNT, ACCOUNT),
        row("Account", Op::Update, C::ACCOUNT, ACCOUNT),
        row("Account", Op::Replace, C::ACCOUNT, ACCOUNT),
        row("Account", Op::Endpoint("reset_key"), C::ACCOUNT, ACCOUNT),
        row("Account", Op::Endpoint("auth"), C::EVERYONE, ACCOUNT),
        row(
            "Account",
            Op::Endpoint("auth_backend"),
            C::EVERYONE,
            ACCOUNT,
        ),
        row("Account", Op::Endpoint("register"), C::EVERYONE, ACCOUNT),
        row(
            "AccountInvitation",
            Op::List,
            C::ACCOUNT,
            "apps/invitations/views.py",
        ),
        row(
            "AccountInvitation",
            Op::Get,
            C::ACCOUNT,
            "apps/invitations/views.py",
        ),
        row(
            "AccountInvitation",
            Op::Delete,
            C::ACCOUNT,
            "apps/invitations/views.py",
        ),
        row(
            "AccountInvitation",
            Op::Endpoint("accept"),
            C::ACCOUNT,
            "apps/invitations/views.py",
        ),
    ],
    // instances: listed and created by accounts; updated by `full`; renamed and
    // deleted by the owner only; read by every admin and by the instance's keys
    &[
        row(
            "Instance",
            Op::List,
            C::ACCOUNT,
            "apps/instances/v1/views.py (InstanceViewSet)",
        ),
        row(
            "Instance",
            Op::Create,
            C::ACCOUNT,
            "apps/instances/v1/views.py (InstanceViewSet)",
        ),
        row("Instance", Op::Get, ADMINS_AND_KEYS, INSTANCE_ACCESS),
        row("Instance", Op::Update, C::FULL_ADMINS, INSTANCE_ACCESS),
        row("Instance", Op::Replace, C::FULL_ADMINS, INSTANCE_ACCESS),
        row("Instance", Op::Delete, C::OWNER, INSTANCE_ACCESS),
        row(
            "Instance",
            Op::Endpoint("rename"),
            C::OWNER,
            INSTANCE_ACCESS,
        ),
    ],
    // admins: every role reads; `full` changes roles; anyone may leave (delete its own
    // role: `AllowSelfRoleDeletion`, checked by the handler); the owner's row stays
    &crud(
        "Admin",
        [C::ADMINS, C::FULL_ADMINS, C::FULL_ADMINS, C::ADMINS],
        "apps/admins/views.py (AdminViewSet), apps/admins/permissions.py (ProtectOwnerAccess, AllowSelfRoleDeletion)",
    ),
    &crud(
        "Invitation",
        FCFG,
        "apps/invitations/views.py (InvitationViewSet), apps/invitations/models.py",
    ),
    &[row(
        "Invitation",
        Op::Endpoint("resend"),
        C::FULL_ADMINS,
        "apps/invitations/models.py",
    )],
    // API keys: `full` only; a key reads its own record
    &crud(
        "ApiKey",
        [
            C::FULL_ADMINS.or(C::KEYS),
            C::FULL_ADMINS,
            C::FULL_ADMINS,
            C::FULL_ADMINS,
        ],
        "apps/apikeys/v1/views.py (ApiKeyViewSet), apps/apikeys/models.py",
    ),
    &[row(
        "ApiKey",
        Op::Endpoint("reset_key"),
        C::FULL_ADMINS,
        "apps/apikeys/models.py",
    )],
    // classes: keys read (the classes closed to them are hidden); objects under the ACLs
    &crud(
        "Class",
        [
            ADMINS_AND_KEYS,
            C::WRITE_ADMINS,
            C::WRITE_ADMINS,
            C::WRITE_ADMINS,
        ],
        "apps/data/v1/views.py (KlassViewSet), apps/apikeys/permissions.py (ApiKeyHasPermissions)",
    ),
    &crud(
        "DataObject",
        [
            OBJECT_READERS,
            OBJECT_WRITERS,
            OBJECT_WRITERS,
            OBJECT_WRITERS,
        ],
        OBJECTS,
    ),
    &crud(
        "DataEndpoint",
        [
            ADMINS_AND_KEYS,
            C::WRITE_ADMINS,
            C::WRITE_ADMINS,
            C::WRITE_ADMINS,
        ],
        "apps/high_level/v1/views.py, apps/high_level/models.py",
    ),
    &[
        row(
            "DataEndpoint",
            Op::Endpoint("rename"),
            C::WRITE_ADMINS,
            "apps/high_level/v1/views.py",
        ),
        // run through the objects view: its rules hold
        row(
            "DataEndpoint",
            Op::EndpointRead("get_objects"),
            OBJECT_READERS,
            OBJECTS,
        ),
        row(
            "DataEndpoint",
            Op::Endpoint("post_object"),
            OBJECT_WRITERS,
            OBJECTS,
        ),
    ],
    // code: admins only; custom endpoints read with `GET`, write with `POST`
    &crud(
        "Script",
        WCFG,
        "apps/codeboxes/v1/views.py (CodeBoxViewSet)",
    ),
    &[row(
        "Script",
        Op::Endpoint("run"),
        C::WRITE_ADMINS,
        "apps/codeboxes/v1/views.py (CodeBoxViewSet.run)",
    )],
    &crud("ScriptTrace", RCFG, "apps/codeboxes/models.py (Trace)"),
    &crud(
        "ScriptEndpoint",
        WCFG,
        "apps/webhooks/v1/views.py (WebhookViewSet)",
    ),
    &[
        row(
            "ScriptEndpoint",
            Op::Endpoint("reset_link"),
            C::WRITE_ADMINS,
            "apps/webhooks/v1/views.py",
        ),
        row(
            "ScriptEndpoint",
            Op::EndpointRead("run"),
            C::ADMINS,
            "apps/webhooks/v1/views.py (WebhookViewSet.run)",
        ),
        row(
            "ScriptEndpoint",
            Op::Endpoint("run"),
            C::WRITE_ADMINS,
            "apps/webhooks/v1/views.py (WebhookViewSet.run)",
        ),
        row(
            "ScriptEndpoint",
            Op::EndpointRead("public_run"),
            C::EVERYONE,
            "apps/webhooks/v1/views.py (WebhookPublicView)",
        ),
        row(
            "ScriptEndpoint",
            Op::Endpoint("public_run"),
            C::EVERYONE,
            "apps/webhooks/v1/views.py (WebhookPublicView)",
        ),
        row(
            "Runtime",
            Op::List,
            C::ADMINS,
            "apps/codeboxes/v1/views.py (RuntimeViewSet)",
        ),
    ],
    &crud("ScriptEndpointTrace", RCFG, ADMINS_DEFAULT),
    &crud(
        "Schedule",
        WCFG,
        "apps/codeboxes/v1/views.py (ScheduleViewSet)",
    ),
    &crud("ScheduleTrace", RCFG, ADMINS_DEFAULT),
    &crud(
        "Trigger",
        WCFG,
        "apps/triggers/v1/views.py (TriggerViewSet)",
    ),
    &crud("TriggerTrace", RCFG, ADMINS_DEFAULT),
    // templates: every role and every key reads; `full` writes and renders, and so may
    // keys (`AllowApiKeyRenderAccess`)
    &crud(
        "Template",
        [
            ADMINS_AND_KEYS,
            C::FULL_ADMINS,
            C::FULL_ADMINS,
            C::FULL_ADMINS,
        ],
        "apps/response_templates/views.py, apps/response_templates/models.py",
    ),
    &[
        row(
            "Template",
            Op::Endpoint("rename"),
            C::FULL_ADMINS,
            "apps/response_templates/models.py",
        ),
        row(
            "Template",
            Op::Endpoint("render"),
            C::FULL_ADMINS.or(C::KEYS),
            "apps/response_templates/permissions.py (AllowApiKeyRenderAccess)",
        ),
        row(
            "SnippetConfig",
            Op::Get,
            ADMINS_AND_KEYS,
            "apps/snippets/views.py (InstanceConfigView)",
        ),
        row("SnippetConfig", Op::Update, C::FULL_ADMINS, INSTANCE_ACCESS),
        row(
            "SnippetConfig",
            Op::Replace,
            C::FULL_ADMINS,
            INSTANCE_ACCESS,
        ),
    ],
    // users: a user key reaches only its own user (handler); groups: keys read, flags create
    &crud(
        "User",
        [
            ACL_MANAGERS.or(C::READ).or(C::USER),
            ACL_MANAGERS.or(C::USER_CREATE),
            ACL_MANAGERS.or(C::USER),
            ACL_MANAGERS,
        ],
        USERS,
    ),
    &[
        row(
            "User",
            Op::Endpoint("reset_key"),
            ACL_MANAGERS.or(C::USER),
            USERS,
        ),
        row(
            "CurrentUser",
            Op::Get,
            C::USER,
            "apps/users/v1/views.py (UserAccountView, HasUser)",
        ),
        row(
            "CurrentUser",
            Op::Update,
            C::USER,
            "apps/users/v1/views.py (UserAccountView, HasUser)",
        ),
        row(
            "CurrentUser",
            Op::Replace,
            C::USER,
            "apps/users/v1/views.py (UserAccountView, HasUser)",
        ),
        row(
            "CurrentUser",
            Op::Endpoint("auth"),
            ADMINS_AND_KEYS,
            "apps/users/v1/views.py (UserAuthView)",
        ),
        row(
            "CurrentUser",
            Op::Endpoint("auth_backend"),
            ADMINS_AND_KEYS,
            "apps/users/v1/views.py",
        ),
    ],
    &crud(
        "Group",
        [
            ADMINS_AND_KEYS,
            C::WRITE_ADMINS.or(C::GROUP_CREATE),
            C::WRITE_ADMINS,
            C::WRITE_ADMINS,
        ],
        "apps/users/v1/views.py (GroupViewSet), apps/users/permissions.py (HasCreateGroupPermission)",
    ),
    // memberships: a user key reads its own (handler); admins change them
    &crud(
        "GroupMembership",
        [
            C::ADMINS.or(C::USER),
            C::WRITE_ADMINS,
            C::WRITE_ADMINS,
            C::WRITE_ADMINS,
        ],
        "apps/users/v1/views.py (GroupMembershipViewSet)",
    ),
    &crud(
        "UserGroupMembership",
        [
            C::ADMINS.or(C::USER),
            C::WRITE_ADMINS,
            C::WRITE_ADMINS,
            C::WRITE_ADMINS,
        ],
        "apps/users/v1/views.py (UserMembershipViewSet), apps/users/permissions.py (IsMembershipForCurrentUser)",
    ),
    // channels: read and published to under their own permissions (handler)
    &crud(
        "Channel",
        [OBJECT_READERS, ACL_MANAGERS, ACL_MANAGERS, ACL_MANAGERS],
        CHANNELS,
    ),
    &[
        row("Channel", Op::Endpoint("publish"), OBJECT_WRITERS, CHANNELS),
        row(
            "Channel",
            Op::EndpointRead("poll"),
            OBJECT_READERS,
            CHANNELS,
        ),
        row(
            "ChannelChange",
            Op::List,
            OBJECT_READERS,
            "apps/channels/v1/views.py (ChangeViewSet)",
        ),
        row(
            "ChannelChange",
            Op::Get,
            OBJECT_READERS,
            "apps/channels/v1/views.py (ChangeViewSet)",
        ),
    ],
    // hosting: `full` writes
    &crud(
        "Hosting",
        FCFG,
        "apps/hosting/v1_1/views.py (HostingViewSet), apps/hosting/models.py",
    ),
    &[
        row(
            "Hosting",
            Op::Endpoint("set_default"),
            C::FULL_ADMINS,
            "apps/hosting/models.py",
        ),
        row(
            "Hosting",
            Op::Endpoint("enable_ssl"),
            C::FULL_ADMINS,
            "apps/hosting/models.py",
        ),
    ],
    &crud(
        "HostingFile",
        FCFG,
        "apps/hosting/v1_1/views.py (HostingFileViewSet)",
    ),
    // push: configs and messages for admins; devices also for keys (a user key: its own)
    &crud(
        "GcmConfig",
        WCFG,
        "apps/push_notifications/views.py (GCMConfigViewSet)",
    ),
    &crud(
        "ApnsConfig",
        WCFG,
        "apps/push_notifications/views.py (APNSConfigViewSet)",
    ),
    &[row(
        "ApnsConfig",
        Op::Endpoint("remove_certificate"),
        C::WRITE_ADMINS,
        "apps/push_notifications/views.py",
    )],
    &crud(
        "GcmDevice",
        [
            OBJECT_READERS,
            OBJECT_WRITERS,
            OBJECT_WRITERS,
            OBJECT_WRITERS,
        ],
        DEVICES,
    ),
    &crud(
        "ApnsDevice",
        [
            OBJECT_READERS,
            OBJECT_WRITERS,
            OBJECT_WRITERS,
            OBJECT_WRITERS,
        ],
        DEVICES,
    ),
    &[
        row(
            "GcmDevice",
            Op::Endpoint("send_message"),
            OBJECT_WRITERS,
            DEVICES,
        ),
        row(
            "ApnsDevice",
            Op::Endpoint("send_message"),
            OBJECT_WRITERS,
            DEVICES,
        ),
    ],
    &crud(
        "GcmMessage",
        WCFG,
        "apps/push_notifications/views.py (GCMMessageViewSet)",
    ),
    &crud(
        "ApnsMessage",
        WCFG,
        "apps/push_notifications/views.py (APNSMessageViewSet)",
    ),
    // backups: `full` only
    &crud(
        "FullBackup",
        FULL_ONLY,
        "apps/backups/views.py (FullBackupViewSet), apps/backups/models.py",
    ),
    &crud(
        "Restore",
        FULL_ONLY,
        "apps/backups/views.py (RestoreViewSet), apps/backups/models.py",
    ),
    // a batch is open to whoever may enter the instance; each item is checked on its own
    &[row(
        "Batch",
        Op::Endpoint("batch"),
        ADMINS_AND_KEYS,
        "apps/batch/views.py (BatchView)",
    )],
];

/// The rule for `op` on `resource`, if the table has one.
pub fn rule(resource: &str, op: Op<'_>) -> Option<&'static Rule> {
    TABLE
        .iter()
        .flat_map(|rows| rows.iter())
        .find(|r| r.resource == resource && r.op == op)
}

/// Who may perform `op` on `resource`. A resource the table does not know (one a
/// custom schema adds) is managed by admins as the platform's default permission
/// classes do: every role reads, `write` and above write.
///
/// A custom endpoint's read (`OPTIONS` on a `POST`-only endpoint) without a row of
/// its own is open to the callers of its write, and to every admin role where some
/// admin may write (DRF checks the same classes, reading needing the `read` role).
pub fn allowed(resource: &str, op: Op<'_>) -> Callers {
    match (rule(resource, op), op) {
        (Some(r), _) => r.allow,
        (None, Op::EndpointRead(name)) => match rule(resource, Op::Endpoint(name)) {
            Some(w) if w.allow.meets(Callers::ADMINS) => w.allow | Callers::ADMINS,
            Some(w) => w.allow,
            None => Callers::ACCOUNT | Callers::ADMINS,
        },
        (None, op) if op.is_read() => Callers::ACCOUNT | Callers::ADMINS,
        (None, _) => Callers::ACCOUNT | Callers::WRITE_ADMINS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_of_the_schema_has_exactly_one_row() {
        let schema = syncano_codegen::schema::parse(crate::EMBEDDED_SCHEMA, "embedded")
            .expect("the embedded schema parses");
        let mut missing = Vec::new();
        for r in &schema.resources {
            for e in &r.endpoints {
                for m in &e.methods {
                    let op = Op::of(&e.name, Some(*m));
                    if rule(&r.name, op).is_none() {
                        missing.push(format!("{} {op}", r.name));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "no row for {missing:?}");
        let mut seen = std::collections::HashSet::new();
        for row in TABLE.iter().flat_map(|rows| rows.iter()) {
            assert!(
                seen.insert((row.resource, row.op)),
                "two rows for {} {}",
                row.resource,
                row.op
            );
            assert!(
                !row.source.is_empty(),
                "{} {} names no source",
                row.resource,
                row.op
            );
        }
    }
}
