//! Generates the typed API from the schema snapshot (or `$SYNCANO_SCHEMA`) into
//! `$OUT_DIR/syncano_generated.rs`; see `codegen/` for the generator. The runtime's
//! own sources (`src/`) are read for the method names the generated code must not
//! take. With `$SYNCANO_SCHEMA` set, the crate is compiled with
//! `cfg(syncano_custom_schema)` so tests and examples written against the v1.1 snapshot
//! can step aside, and with `cfg(syncano_schema = "<file stem>")` so a test can target
//! one document.
use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-env-changed=SYNCANO_SCHEMA");
    println!("cargo::rustc-check-cfg=cfg(syncano_custom_schema)");
    println!("cargo::rustc-check-cfg=cfg(syncano_schema, values(any()))");
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let schema = match std::env::var_os("SYNCANO_SCHEMA") {
        Some(path) if !path.is_empty() => {
            println!("cargo::rustc-cfg=syncano_custom_schema");
            let path = dir.join(path);
            if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                println!("cargo::rustc-cfg=syncano_schema=\"{stem}\"");
            }
            path
        }
        _ => dir.join("schema/syncano-v1.1.json"),
    };
    let runtime_src = dir.join("src");
    println!("cargo::rerun-if-changed={}", schema.display());
    println!("cargo::rerun-if-changed={}", runtime_src.display());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let result = syncano_codegen::RuntimeNames::from_dir(&runtime_src)
        .and_then(|runtime| {
            syncano_codegen::generate_from_path(&schema, &runtime).map_err(|e| e.to_string())
        })
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
