//! `syncano-schema`: fetch, discover, diff, check and generate Syncano v1.1
//! schema documents. See `syncano-schema --help` and the README section
//! "When the API changes".

fn main() -> std::process::ExitCode {
    syncano_codegen::cli::main()
}
