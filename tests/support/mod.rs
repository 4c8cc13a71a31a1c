//! What the SDK-against-emulator tests share: a fresh embedded server and a client
//! holding its admin account key.

use syncano::Client;
use syncano_emulator::{Emulator, EmulatorConfig, RunningEmulator};

/// Starts an in-memory emulator on a free loopback port and connects to it with the
/// pre-registered admin's account key.
pub async fn emulator_admin() -> (RunningEmulator, Client) {
    let server = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts");
    let client = Client::builder()
        .api_root(server.base_url())
        .api_key(server.account_key())
        .build()
        .expect("client");
    (server, client)
}
