//! Generates the typed API from the schema snapshot (or `$SYNCANO_SCHEMA`) into
//! `$OUT_DIR/syncano_generated.rs`; see `codegen/` for the generator. With
//! `$SYNCANO_SCHEMA` set, the crate is compiled with `cfg(syncano_custom_schema)` so
//! tests and examples written against the v1.1 snapshot can step aside.
use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-env-changed=SYNCANO_SCHEMA");
    println!("cargo::rustc-check-cfg=cfg(syncano_custom_schema)");
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let schema = match std::env::var_os("SYNCANO_SCHEMA") {
        Some(path) if !path.is_empty() => {
            println!("cargo::rustc-cfg=syncano_custom_schema");
            dir.join(path)
        }
        _ => dir.join("schema/syncano-v1.1.json"),
    };
    println!("cargo::rerun-if-changed={}", schema.display());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let result = syncano_codegen::generate_from_path(&schema)
        .map_err(|e| e.to_string())
        .and_then(|code| {
            let file = out.join("syncano_generated.rs");
            std::fs::write(&file, code).map_err(|e| format!("{}: {e}", file.display()))
        });
    if let Err(message) = result {
        println!("cargo::error={message}");
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}
