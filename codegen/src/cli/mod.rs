//! The `syncano-schema` command line: `fetch`, `discover`, `diff`, `check`,
//! `generate` (feature `cli`).
//!
//! Exit codes: `0` success (for `diff`: nothing breaking); `1` a negative
//! answer (`diff`: something breaks; `check` / `generate` / `fetch`: the
//! document does not validate); `2` any other error (usage, files, network).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::diff;
use crate::discover;
use crate::fetch::{self, FetchError};
use crate::normalize::normalize;

/// The file `generate` writes into its output directory (the name `build.rs`
/// writes into `OUT_DIR`).
pub const GENERATED_FILE: &str = "syncano_generated.rs";

/// An API key given on the command line; `Debug` never shows it.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// The key itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl std::str::FromStr for ApiKey {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(ApiKey(s.to_owned()))
    }
}

/// Fetch, discover, compare, check and generate Syncano v1.1 schema documents.
#[derive(Debug, Parser)]
#[command(name = "syncano-schema", version, about, long_about = None)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Download `/v1.1/schema/`, validate it and write it in the normal form.
    Fetch {
        /// The API root, e.g. `https://api.syncano.io` or `http://127.0.0.1:8080`.
        #[arg(long)]
        api_root: String,
        /// An account key (sent as `X-API-KEY`), if the server wants one.
        #[arg(long, env = "SYNCANO_API_KEY", hide_env_values = true)]
        api_key: Option<ApiKey>,
        /// Where to write the document (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Build a schema document by walking the API from `/v1.1/` (for servers
    /// that serve no schema document). Creates and deletes a scratch instance.
    Discover {
        /// The API root.
        #[arg(long)]
        api_root: String,
        /// An account key (sent as `X-API-KEY`).
        #[arg(long, env = "SYNCANO_API_KEY", hide_env_values = true)]
        api_key: ApiKey,
        /// Where to write the document (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        /// A known schema document (e.g. the vendored snapshot) whose endpoint
        /// paths are tried too when the walk does not reach them.
        #[arg(long)]
        known: Option<PathBuf>,
    },
    /// Compare two schema documents; exit code 1 when a change breaks.
    Diff {
        /// The old document (e.g. the vendored `schema/syncano-v1.1.json`).
        old: PathBuf,
        /// The new document.
        new: PathBuf,
        /// Print the changes as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Validate a schema document the way the build does.
    Check {
        /// The document.
        file: PathBuf,
    },
    /// Write the Rust code the build would generate from a document.
    Generate {
        /// The document.
        file: PathBuf,
        /// The directory to write `syncano_generated.rs` into (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// The runtime's sources (the `syncano` crate's `src/`), whose method names the
        /// generated code avoids exactly as the build does; without it, none.
        #[arg(long)]
        runtime: Option<PathBuf>,
    },
}

/// Validates a schema document file exactly as the build does (the build's
/// [`crate::generate_from_path`]); returns the number of resources.
///
/// # Errors
/// The build's error message.
pub fn check_file(path: &Path) -> Result<usize, String> {
    crate::generate_from_path(path, &crate::RuntimeNames::none()).map_err(|e| e.to_string())?;
    let schema = crate::schema::load(path).map_err(|e| e.to_string())?;
    Ok(schema.resources.len())
}

/// Generates the Rust code for a schema document file, exactly what `build.rs`
/// writes, and writes it to `dir/syncano_generated.rs`; returns that path.
///
/// # Errors
/// `Err(Ok(message))` when the document does not validate, `Err(Err(message))`
/// when the file cannot be written.
pub fn generate_to_dir(
    file: &Path,
    dir: &Path,
    runtime: &crate::RuntimeNames,
) -> Result<PathBuf, Result<String, String>> {
    let code = crate::generate_from_path(file, runtime).map_err(|e| Ok(e.to_string()))?;
    fs::create_dir_all(dir).map_err(|e| Err(format!("{}: {e}", dir.display())))?;
    let out = dir.join(GENERATED_FILE);
    fs::write(&out, code).map_err(|e| Err(format!("{}: {e}", out.display())))?;
    Ok(out)
}

fn write_out(out: Option<&Path>, text: &str) -> Result<(), String> {
    match out {
        Some(p) => {
            if let Some(parent) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
            }
            fs::write(p, text).map_err(|e| format!("{}: {e}", p.display()))
        }
        None => {
            let mut so = std::io::stdout().lock();
            so.write_all(text.as_bytes())
                .and_then(|()| so.flush())
                .map_err(|e| format!("standard output: {e}"))
        }
    }
}

fn read_json(p: &Path) -> Result<serde_json::Value, String> {
    let text = fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not valid JSON: {e}", p.display()))
}

fn run_discover(
    api_root: &str,
    api_key: &ApiKey,
    known: Option<&serde_json::Value>,
    out: Option<&Path>,
) -> ExitCode {
    match discover::discover_with(api_root, api_key.expose(), known) {
        Ok(d) => {
            let text = normalize(&d.document);
            if let Err(e) = write_out(out, &text) {
                return fail(2, &e);
            }
            let n = d.document.as_array().map_or(0, Vec::len);
            eprintln!(
                "discovered {n} resources with {} requests (scratch instance {})",
                d.requests, d.scratch_instance
            );
            if d.unreachable.is_empty() {
                eprintln!("every endpoint reached was read completely");
            } else {
                eprintln!(
                    "could not reach or fully read {} endpoint(s):",
                    d.unreachable.len()
                );
                for u in &d.unreachable {
                    eprintln!("  {}: {}", u.path, u.reason);
                }
            }
            if let Err(e) = &d.cleanup {
                eprintln!(
                    "warning: the scratch instance {} was NOT deleted ({e}); delete it by hand",
                    d.scratch_instance
                );
            }
            if let Some(p) = &out {
                eprintln!("wrote {}", p.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(2, &e.to_string()),
    }
}

fn fail(code: u8, msg: &str) -> ExitCode {
    eprintln!("syncano-schema: {msg}");
    ExitCode::from(code)
}

/// Parses the process arguments and runs the command.
pub fn main() -> ExitCode {
    run(Cli::parse())
}

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Fetch {
            api_root,
            api_key,
            out,
        } => match fetch::fetch(&api_root, api_key.as_ref().map(ApiKey::expose)) {
            Ok(text) => match write_out(out.as_deref(), &text) {
                Ok(()) => {
                    if let Some(p) = &out {
                        eprintln!("wrote {}", p.display());
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(2, &e),
            },
            Err(FetchError::Invalid(msg)) => fail(1, &msg),
            Err(e) => fail(2, &e.to_string()),
        },
        Command::Discover {
            api_root,
            api_key,
            out,
            known,
        } => {
            let known_doc = match known.as_deref().map(read_json).transpose() {
                Ok(d) => d,
                Err(e) => return fail(2, &e),
            };
            run_discover(&api_root, &api_key, known_doc.as_ref(), out.as_deref())
        }
        Command::Diff { old, new, json } => {
            let read =
                |p: &Path| fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
            let (o, n) = match (read(&old), read(&new)) {
                (Ok(o), Ok(n)) => (o, n),
                (Err(e), _) | (_, Err(e)) => return fail(2, &e),
            };
            let d = match diff::diff_str(
                &o,
                &old.display().to_string(),
                &n,
                &new.display().to_string(),
            ) {
                Ok(d) => d,
                Err(e) => return fail(2, &e.to_string()),
            };
            let text = if json {
                let mut s = serde_json::to_string_pretty(&d.to_json()).unwrap_or_default();
                s.push('\n');
                s
            } else {
                d.to_text()
            };
            if let Err(e) = write_out(None, &text) {
                return fail(2, &e);
            }
            if d.is_breaking() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::Check { file } => match check_file(&file) {
            Ok(n) => {
                println!("{}: ok ({n} resources)", file.display());
                ExitCode::SUCCESS
            }
            Err(msg) => fail(1, &msg),
        },
        Command::Generate { file, out, runtime } => {
            let runtime = match runtime.as_deref().map(crate::RuntimeNames::from_dir) {
                None => crate::RuntimeNames::none(),
                Some(Ok(names)) => names,
                Some(Err(message)) => return fail(2, &message),
            };
            match generate_to_dir(&file, &out, &runtime) {
                Ok(p) => {
                    eprintln!("wrote {}", p.display());
                    ExitCode::SUCCESS
                }
                Err(Ok(msg)) => fail(1, &msg),
                Err(Err(msg)) => fail(2, &msg),
            }
        }
    }
}
