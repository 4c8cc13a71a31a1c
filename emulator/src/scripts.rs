//! Code and what runs it: scripts, script endpoints, schedules, runtimes and
//! templates (`Script`, `ScriptEndpoint`, `Schedule`, `Runtime`, `Template`). The
//! emulator stores them but never runs code: `run` endpoints answer 400 with a
//! `detail`, and so does template `render`.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::api::{HResult, Resp};
use crate::behaviour::{Behaviour, Call, Op};
use crate::context::{Ctx, Target};
use crate::engine;
use crate::record_actions;
use crate::spec::Spec;
use crate::store::{Key, Record};

/// The resources of this module.
pub fn behaviours() -> Vec<Behaviour> {
    vec![
        Behaviour::new("Script")
            .on(Op::Endpoint("run"), |_, _| Err(execution_disabled()))
            .on(Op::Delete, delete_script),
        Behaviour::new("ScriptEndpoint")
            .slug_names()
            .on(Op::Endpoint("run"), |_, call| {
                crate::batch::not_in_batch(call.req)?;
                Err(execution_disabled())
            })
            .on(Op::Endpoint("public_run"), |ctx, call| {
                public_run(ctx, call.target)
            })
            .on(Op::Endpoint("reset_link"), record_actions::reset_secrets)
            .on_create(|rec| {
                rec.insert("public_link".into(), Value::String(crate::auth::new_key()));
            }),
        Behaviour::new("Runtime").on(Op::List, |ctx, _| Ok(runtimes(ctx.spec))),
        Behaviour::new("Schedule")
            .on_create(schedule_defaults)
            .check(check_crontab),
        Behaviour::new("Template")
            .slug_names()
            .on(Op::Endpoint("render"), |_, _| Err(rendering_disabled()))
            .on(Op::Endpoint("rename"), record_actions::rename),
    ]
}

/// Deleting a script deletes what runs it: its triggers, schedules and endpoints.
fn delete_script(ctx: &mut Ctx<'_>, call: &Call<'_>) -> HResult<Resp> {
    let resp = engine::delete(ctx, call)?;
    if let (Some(base), Some(id)) = (call.target.instance_path(), call.target.id_param("id")) {
        engine::cascade(
            ctx,
            &base,
            &["triggers/", "schedules/", "endpoints/scripts/"],
            "script",
            &json!(id),
        )?;
    }
    Ok(resp)
}

/// A new schedule runs in UTC unless told otherwise; with an interval, its next run
/// is one interval away.
fn schedule_defaults(rec: &mut Record) {
    rec.entry("timezone")
        .or_insert_with(|| Value::String("UTC".into()));
    let next = rec
        .get("interval_sec")
        .and_then(Value::as_i64)
        .map(|s| {
            Value::String(crate::time::format(
                chrono::Utc::now() + chrono::Duration::seconds(s),
            ))
        })
        .unwrap_or(Value::Null);
    rec.insert("scheduled_next".into(), next);
}

/// A crontab has five parts (the platform's schedule serializer).
fn check_crontab(clean: &Map<String, Value>) -> HResult<()> {
    if let Some(Value::String(c)) = clean.get("crontab") {
        if !c.trim().is_empty() && c.split_whitespace().count() != 5 {
            return Err(Resp::field_error(
                "crontab",
                "Crontab has to have 5 parts specified.",
            ));
        }
    }
    Ok(())
}

/// The message of every `run` endpoint.
pub const EXECUTION_DISABLED: &str =
    "Code execution is disabled in the emulator: scripts are stored but never run.";

/// The message of template `render`.
pub const RENDERING_DISABLED: &str =
    "Template rendering is disabled in the emulator: templates are stored but never rendered.";

/// 400 for `run`.
pub fn execution_disabled() -> Resp {
    Resp::detail(StatusCode::BAD_REQUEST, EXECUTION_DISABLED)
}

/// 400 for `render`.
pub fn rendering_disabled() -> Resp {
    Resp::detail(StatusCode::BAD_REQUEST, RENDERING_DISABLED)
}

/// The public run of a script endpoint (`I/endpoints/scripts/p/{public_link}/{name}/`):
/// 404 unless a public endpoint with that link exists, then the same 400.
pub fn public_run(ctx: &Ctx<'_>, t: &Target) -> HResult<Resp> {
    let base = t.instance_path().unwrap_or_default();
    let (Some(link), Some(name)) = (t.param("public_link"), t.param("name")) else {
        return Err(Resp::not_found());
    };
    let rec = ctx
        .store
        .get(
            &format!("{base}endpoints/scripts/"),
            &Key::Str(name.to_owned()),
        )
        .ok_or_else(Resp::not_found)?;
    let public = rec.get("public").and_then(Value::as_bool).unwrap_or(false);
    if !public || rec.get("public_link").and_then(Value::as_str) != Some(link) {
        return Err(Resp::not_found());
    }
    Err(execution_disabled())
}

/// The runtimes, from the choices of the schema's `runtime_name` fields.
pub fn runtimes(spec: &Spec) -> Resp {
    let mut out = Map::new();
    for r in &spec.resources {
        for f in r.fields.iter().filter(|f| f.name == "runtime_name") {
            for c in &f.choices {
                let name = match &c.value {
                    syncano_codegen::schema::ChoiceValue::Str(s) => s.clone(),
                    syncano_codegen::schema::ChoiceValue::Int(i) => i.to_string(),
                };
                out.entry(name.clone()).or_insert_with(
                    || json!({"name": name, "alias": c.display_name, "deprecated": false}),
                );
            }
        }
    }
    Resp::ok(Value::Object(out))
}
