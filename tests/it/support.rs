//! The one way the tests start an emulator: a fresh embedded server on a free loopback
//! port, and clients of it (anonymous, or holding its admin account key).

use syncano::{Client, ClientBuilder};
use syncano_emulator::{Emulator, EmulatorConfig, RunningEmulator};

/// Starts an in-memory emulator with `config` on a free loopback port.
pub async fn emulator_with(config: EmulatorConfig) -> RunningEmulator {
    Emulator::start(config).await.expect("emulator starts")
}

/// Starts an in-memory emulator with the default configuration (the vendored schema,
/// a pre-registered admin) on a free loopback port.
pub async fn emulator() -> RunningEmulator {
    emulator_with(EmulatorConfig::default()).await
}

/// A client builder for `server` without a key and without a proxy (the server is on
/// loopback).
pub fn builder(server: &RunningEmulator) -> ClientBuilder {
    Client::builder().api_root(server.base_url()).no_proxy()
}

/// A client of `server` without a key, to log in with.
pub fn anonymous(server: &RunningEmulator) -> Client {
    builder(server).build().expect("client")
}

/// A client of `server` holding the pre-registered admin's account key (only the
/// modules for the vendored schema use it).
#[cfg(not(syncano_custom_schema))]
pub fn admin(server: &RunningEmulator) -> Client {
    builder(server)
        .api_key(server.account_key())
        .build()
        .expect("client")
}

/// Starts an emulator with the default configuration and connects to it with the
/// pre-registered admin's account key (only the modules for the vendored schema use it).
#[cfg(not(syncano_custom_schema))]
pub async fn emulator_admin() -> (RunningEmulator, Client) {
    let server = emulator().await;
    let client = admin(&server);
    (server, client)
}
