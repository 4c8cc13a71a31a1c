//! `syncano-emulator`: run the local Syncano v1.1 server.

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;

use clap::Parser;
use syncano_emulator::{Emulator, EmulatorConfig};

/// A local Syncano API v1.1 server driven by the schema snapshot.
#[derive(Parser, Debug)]
#[command(name = "syncano-emulator", version, about)]
struct Args {
    /// Port to listen on (0 = a free port).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to bind. Requests are answered only when addressed to a loopback
    /// name (localhost, 127.0.0.0/8, [::1]) or a name given with --allow-host: binding
    /// to another address needs the names the server is reached under.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Also answer requests whose Host header names this host (a name or address,
    /// any port); repeatable. Others than loopback names are refused with 403.
    #[arg(long = "allow-host", value_name = "NAME")]
    allow_host: Vec<String>,
    /// Keep state in SQLite inside this directory (default: in memory).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Serve another schema document instead of the embedded snapshot.
    #[arg(long)]
    schema: Option<PathBuf>,
    /// Fixed account key for the pre-registered admin (default: generated, or
    /// $SYNCANO_EMULATOR_ACCOUNT_KEY).
    #[arg(long, env = "SYNCANO_EMULATOR_ACCOUNT_KEY", hide_env_values = true)]
    account_key: Option<String>,
    /// Password of the pre-registered admin (default: a random one at every start,
    /// printed below the key; or $SYNCANO_EMULATOR_ADMIN_PASSWORD).
    #[arg(long, env = "SYNCANO_EMULATOR_ADMIN_PASSWORD", hide_env_values = true)]
    admin_password: Option<String>,
    /// Maximum request body size in bytes.
    #[arg(long, default_value_t = 1024 * 1024)]
    body_limit: usize,
    /// Enable rate limiting: 60 requests/s per key, 10/s anonymous.
    #[arg(long)]
    rate_limit: bool,
    /// Show data objects' file URLs as paths (`/media/...`) rather than absolute
    /// URLs, as the platform shows them.
    #[arg(long)]
    relative_file_urls: bool,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    if !args.bind.is_loopback() && args.allow_host.is_empty() {
        eprintln!(
            "syncano-emulator: bound to {}, but only requests addressed to localhost, \
             127.0.0.0/8 or [::1] are answered; add --allow-host <name> for every name \
             the server is reached under",
            args.bind
        );
    }
    let config = EmulatorConfig {
        bind: args.bind,
        port: args.port,
        data_dir: args.data_dir,
        schema_path: args.schema,
        account_key: args.account_key,
        account_password: args.admin_password,
        allowed_hosts: args.allow_host,
        body_limit: args.body_limit,
        rate_limit: args.rate_limit.then_some((60, 10)),
        absolute_file_urls: !args.relative_file_urls,
        ..EmulatorConfig::default()
    };
    let running = match Emulator::start(config).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("syncano-emulator: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // Whoever started us may stop reading stdout once it has the address and key (a
    // test, `| head`): a closed pipe must not bring the server down, so write errors
    // are ignored rather than panicking as `println!` would. The banner goes to this
    // console only, never through `tracing`.
    let banner = format!(
        "Syncano emulator listening on {root}\nSYNCANO_API_ROOT={root}\nSYNCANO_API_KEY={key}\n\
         SYNCANO_EMAIL={email}\nSYNCANO_PASSWORD={password}\n",
        root = running.base_url(),
        key = running.account_key(),
        email = running.account_email(),
        password = running.account_password(),
    );
    let mut stdout = std::io::stdout();
    let _ = stdout
        .write_all(banner.as_bytes())
        .and_then(|()| stdout.flush());
    let _ = tokio::signal::ctrl_c().await;
    running.shutdown().await;
    std::process::ExitCode::SUCCESS
}
