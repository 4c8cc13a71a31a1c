//! Everything generated at build time from the API schema (see `build.rs`): models,
//! create/update payloads with their builders, choice enums, links and managers. All of
//! it is re-exported at the crate root; where the runtime has an item of the same name
//! there (a schema resource named `Client`, say), the runtime's wins at the root and the
//! generated one is reached here.

include!(concat!(env!("OUT_DIR"), "/syncano_generated.rs"));
