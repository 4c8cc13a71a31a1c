//! Code execution: the emulator stores scripts, endpoints, triggers and
//! schedules, but never runs code. `run` endpoints answer 400 with a `detail`.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::api::{HResult, Resp};
use crate::engine::{Ctx, Target};
use crate::spec::Spec;
use crate::store::Key;

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
