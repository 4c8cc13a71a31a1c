//! `syncano-codegen`: the schema model of Syncano schema documents, their
//! validation, and the Rust code the `syncano` crate's build generates from them.
//!
//! * [`schema`]: the model, [`schema::parse`] and [`schema::load`];
//! * [`validate`]: the checks and [`SchemaError`];
//! * [`names`]: how schema names become Rust identifiers (used by both);
//! * [`emit`]: the emitters.
//!
//! That is all the `syncano` build script compiles. With the feature `cli`, the
//! `syncano-schema` tool and what it is made of: `fetch`, `discover`, `diff` (all
//! reading documents with [`schema::parse`]) and `normalize`.

#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "cli")]
pub mod diff;
#[cfg(feature = "cli")]
pub mod discover;
pub mod emit;
#[cfg(feature = "cli")]
pub mod fetch;
pub mod names;
#[cfg(feature = "cli")]
pub mod normalize;
pub mod runtime_names;
pub mod schema;
pub mod validate;

pub use emit::{GenerateError, generate};
pub use runtime_names::RuntimeNames;
pub use validate::SchemaError;

use std::path::Path;

/// Any error of [`generate_from_path`]: `Display` is the one-line message the build
/// prints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The document cannot be read, parsed or validated.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// The schema is valid but its generated names collide.
    #[error("{file}: {source}")]
    Generate {
        /// The document.
        file: String,
        /// The problem.
        source: GenerateError,
    },
}

/// Loads, validates and generates code for the schema document at `path`, next to a
/// runtime with the inherent methods `runtime` lists — exactly what the `syncano`
/// build script runs (with [`RuntimeNames::from_dir`] of its `src/`).
///
/// # Errors
/// [`Error::Schema`] for unreadable or invalid documents, [`Error::Generate`] when
/// generated names collide.
pub fn generate_from_path(path: &Path, runtime: &RuntimeNames) -> Result<String, Error> {
    let schema = schema::load(path)?;
    generate(&schema, runtime).map_err(|source| Error::Generate {
        file: path.display().to_string(),
        source,
    })
}

/// Validates a schema document given as text as the build validates a file
/// ([`schema::parse`], which validates, then [`generate`], here next to a runtime
/// with no methods: [`RuntimeNames::none`]); `source` names it in messages, as
/// the file name does in [`generate_from_path`]'s.
///
/// # Errors
/// [`Error::Schema`] for documents that do not parse or validate,
/// [`Error::Generate`] when generated names collide.
pub fn check_str(text: &str, source: &str) -> Result<(), Error> {
    let schema = schema::parse(text, source)?;
    generate(&schema, &RuntimeNames::none())
        .map(|_| ())
        .map_err(|e| Error::Generate {
            file: source.to_owned(),
            source: e,
        })
}
