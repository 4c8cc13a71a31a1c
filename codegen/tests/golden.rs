//! Golden test: the code generated for `tests/golden/small-schema.json` must equal the
//! committed `tests/golden/small-schema.rs` byte for byte.
//!
//! After an intended change to the generator, refresh the expected file with
//!
//! ```text
//! SYNCANO_BLESS=1 cargo test -p syncano-codegen --test golden
//! ```
//!
//! and review the diff before committing it. The small schema exercises string,
//! integer and mixed choices, links, a nested object, custom endpoints (typed request,
//! 204, several methods), a child resource, an extensible resource, a single-object
//! resource, a non-paginated list, a write-only secret, a file field (multipart
//! payloads) and odd field names
//! (`type`, `self`, `3d`, `content-type`).

use std::path::PathBuf;

#[test]
fn small_schema_matches_the_committed_output() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let schema = dir.join("small-schema.json");
    let expected_path = dir.join("small-schema.rs");
    // a runtime whose `Client` already has `account`: the generated accessor steps aside
    let mut runtime = syncano_codegen::RuntimeNames::none();
    if let Err(e) = runtime.add_source("impl Client { pub fn account(&self) {} }") {
        panic!("{e}");
    }
    let code = match syncano_codegen::generate_from_path(&schema, &runtime) {
        Ok(code) => code,
        Err(e) => panic!("{e}"),
    };
    if std::env::var_os("SYNCANO_BLESS").is_some_and(|v| v == "1") {
        if let Err(e) = std::fs::write(&expected_path, &code) {
            panic!("cannot write {}: {e}", expected_path.display());
        }
        return;
    }
    let expected = match std::fs::read_to_string(&expected_path) {
        Ok(text) => text,
        Err(e) => panic!(
            "cannot read {}: {e} (create it with SYNCANO_BLESS=1 cargo test -p syncano-codegen --test golden)",
            expected_path.display()
        ),
    };
    if code != expected {
        let line = code
            .lines()
            .zip(expected.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || code.lines().count().min(expected.lines().count()) + 1,
                |i| i + 1,
            );
        panic!(
            "generated code differs from {} at line {line}:\n  generated: {:?}\n  expected:  {:?}\nrefresh with SYNCANO_BLESS=1 cargo test -p syncano-codegen --test golden",
            expected_path.display(),
            code.lines().nth(line - 1).unwrap_or(""),
            expected.lines().nth(line - 1).unwrap_or("")
        );
    }
}
