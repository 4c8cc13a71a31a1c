//! Generates the typed API from the schema snapshot (or `$SYNCANO_SCHEMA`) into
//! `$OUT_DIR/syncano_generated.rs`; see `codegen/` for the generator.
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=SYNCANO_SCHEMA");
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let schema = match std::env::var_os("SYNCANO_SCHEMA") {
        Some(path) if !path.is_empty() => dir.join(path),
        _ => dir.join("schema/syncano-v1.1.json"),
    };
    println!("cargo:rerun-if-changed={}", schema.display());
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("syncano_generated.rs");
    let result = syncano_codegen::generate_from_path(&schema)
        .map_err(|e| e.to_string())
        .and_then(|code| std::fs::write(&out, code).map_err(|e| format!("{}: {e}", out.display())));
    if let Err(message) = result {
        println!("cargo::error={message}");
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}
