//! The admins of an instance and their invitations (`Admin`, `Invitation`): the
//! owner stays a full admin (nobody changes or removes the owner's admin record);
//! invitation ids are unique across instances, since an account sees the
//! invitations sent to it from every instance.

use serde_json::Value;

use crate::api::{HResult, Resp};
use crate::auth::Caller;
use crate::behaviour::{Behaviour, Call, Op};
use crate::context::Ctx;
use crate::engine;
use crate::store::Key;

/// The resources of this module.
pub fn behaviours() -> Vec<Behaviour> {
    vec![
        Behaviour::new("Admin")
            .on_write(|ctx, call| not_the_owner(ctx, call).and_then(|()| engine::write(ctx, call)))
            .on(Op::Delete, |ctx, call| {
                not_the_owner(ctx, call)?;
                leaving_or_full(ctx, call)?;
                engine::delete(ctx, call)
            }),
        Behaviour::new("Invitation")
            .ids_from("@invitations#seq")
            .on_create(|rec| {
                rec.insert("key".into(), Value::String(crate::auth::new_key()));
                rec.entry("state").or_insert(Value::String("new".into()));
                rec.entry("role").or_insert(Value::String("read".into()));
            }),
    ]
}

/// 403 unless the caller is a `full` admin or deletes its own role (leaves the
/// instance: `AllowSelfRoleDeletion`).
fn leaving_or_full(ctx: &Ctx<'_>, call: &Call<'_>) -> HResult<()> {
    let t = call.target;
    let Caller::Admin { account } = call.caller else {
        return Err(Resp::forbidden());
    };
    let inst = t.instance.clone().unwrap_or_default();
    let full = crate::instances::admin_role(ctx.store, &inst, *account).as_deref() == Some("full");
    if full || t.id_param("id") == Some(*account) {
        Ok(())
    } else {
        Err(Resp::forbidden())
    }
}

/// 403 when the admin record addressed is the instance owner's.
fn not_the_owner(ctx: &Ctx<'_>, call: &Call<'_>) -> HResult<()> {
    let t = call.target;
    let owner = ctx
        .store
        .get(
            "/v1.1/instances/",
            &Key::Str(t.instance.clone().unwrap_or_default()),
        )
        .and_then(|r| r.meta.owner_account);
    if owner.is_some() && t.id_param("id") == owner {
        return Err(Resp::forbidden());
    }
    Ok(())
}
