//! The code generated at build time from the API schema (see `build.rs`): models,
//! create/update payloads, choice enums, links and managers, re-exported at the crate
//! root.

include!(concat!(env!("OUT_DIR"), "/syncano_generated.rs"));
