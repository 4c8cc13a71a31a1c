//! Full backups and restores as the platform answers them (`apps/backups/`): the
//! creating admin as `author`, the instance's name as `instance`, and `status`
//! `scheduled` — the platform's worker then runs them; the emulator runs nothing, so
//! they stay scheduled (as push messages do).

use serde_json::{Value, json};

use crate::api::{HResult, Resp};
use crate::auth::{ACCOUNTS, Caller};
use crate::behaviour::{Behaviour, Call, Op};
use crate::context::Ctx;
use crate::engine;
use crate::store::{Key, Record};

/// The resources of this module.
pub fn behaviours() -> Vec<Behaviour> {
    vec![
        Behaviour::new("FullBackup").on(Op::Create, |ctx, call| create(ctx, call, true)),
        Behaviour::new("Restore").on(Op::Create, |ctx, call| create(ctx, call, false)),
    ]
}

/// The status a new backup or restore has.
pub const SCHEDULED: &str = "scheduled";

/// The `author` of a backup or restore made by `caller`: the admin as the
/// platform's `AdminFullSerializer` shows it (no key); `null` for anyone else.
fn author(ctx: &Ctx<'_>, caller: &Caller) -> Value {
    let Caller::Admin { account } = caller else {
        return Value::Null;
    };
    match ctx.store.get(ACCOUNTS, &Key::Int(*account)) {
        Some(rec) => crate::accounts::account_view(ctx, None, *account, rec, false),
        None => Value::Null,
    }
}

/// `POST .../backups/full/` and `POST .../restores/`: the generic create, with the
/// author, the instance (backups) and the scheduled status.
fn create(ctx: &mut Ctx<'_>, call: &Call<'_>, backup: bool) -> HResult<Resp> {
    let t = call.target;
    let mut base = Record::new();
    base.insert("author".into(), author(ctx, call.caller));
    if backup {
        let instance = t.instance.clone().map_or(Value::Null, Value::String);
        base.insert("instance".into(), instance);
        base.insert("details".into(), json!({}));
    }
    base.insert("status".into(), json!(SCHEDULED));
    base.insert("status_info".into(), json!(""));
    engine::create_generic(ctx, t, &call.req.body_or_empty(), base)
}
