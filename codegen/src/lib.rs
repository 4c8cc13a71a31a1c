//! `syncano-codegen`: the schema model of Syncano schema documents, their
//! validation, and the Rust code the `syncano` crate's build generates from them.
//!
//! * [`schema`]: the model, [`schema::parse`] and [`schema::load`];
//! * [`validate`]: the checks and [`SchemaError`];
//! * [`emit`]: the emitters.

#[cfg(feature = "cli")]
pub mod cli;
pub mod diff;
#[cfg(feature = "cli")]
pub mod discover;
pub mod emit;
#[cfg(feature = "cli")]
pub mod fetch;
pub mod normalize;
pub mod schema;
pub mod validate;

pub use validate::SchemaError;
