// Placeholder until the code generator lands: writes an empty generated module.
fn main() {
    let out_dir = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".to_string());
    let path = std::path::Path::new(&out_dir).join("syncano_generated.rs");
    if let Err(e) = std::fs::write(&path, "") {
        println!("cargo::error=cannot write {}: {e}", path.display());
    }
    println!("cargo::rerun-if-changed=build.rs");
}
