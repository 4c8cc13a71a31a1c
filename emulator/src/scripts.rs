//! Code execution: the emulator stores scripts, endpoints, triggers and
//! schedules, but never runs code. `run` endpoints answer 400 with a `detail`.

use axum::http::StatusCode;

use crate::api::Resp;

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
