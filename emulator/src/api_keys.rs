//! Instance API keys (`ApiKey`): a new key gets its secret and its flags off; a key
//! calling sees only its own record among the instance's keys (the platform filters
//! the list for keys, `apps/apikeys/v1/views.py`); `reset_key` gives a new secret.

use serde_json::Value;

use crate::api::{HResult, Resp};
use crate::auth::{self, Caller};
use crate::behaviour::{Behaviour, Call, Op};
use crate::context::Ctx;
use crate::engine;
use crate::record_actions;

/// The resources of this module.
pub fn behaviours() -> Vec<Behaviour> {
    vec![
        Behaviour::new("ApiKey")
            .on(Op::List, list)
            .on(Op::Get, get)
            .on(Op::Endpoint("reset_key"), record_actions::reset_secrets)
            .on_create(|rec| {
                rec.insert("api_key".into(), Value::String(auth::new_key()));
                for f in [
                    "ignore_acl",
                    "allow_user_create",
                    "allow_group_create",
                    "allow_anonymous_read",
                ] {
                    rec.entry(f).or_insert(Value::Bool(false));
                }
                rec.entry("description")
                    .or_insert(Value::String(String::new()));
            }),
    ]
}

/// The id of the key calling, if a key is calling.
fn own_key(caller: &Caller) -> Option<i64> {
    match caller {
        Caller::Key { key_id, .. } => Some(*key_id),
        _ => None,
    }
}

/// The instance's keys; only itself for a key.
fn list(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    engine::list_owned(ctx, call.req, call.target, "id", own_key(call.caller))
}

/// A key; a key calling may read only itself (404 for the others).
fn get(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    match own_key(call.caller) {
        Some(own) if call.target.id_param("id") != Some(own) => Err(Resp::not_found()),
        _ => engine::get(ctx, call),
    }
}
