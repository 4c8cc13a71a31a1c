//! What the SDK-against-a-mock-server tests share: a client of a wiremock server,
//! holding a well-formed account key the tests can look for in requests.

use syncano::{Client, RetryPolicy};
use wiremock::MockServer;

/// The account key [`client`] sends.
pub const KEY: &str = "0123456789abcdef0123456789abcdef01234567";

/// A client of the mock server, with [`KEY`], no proxy (the server is on loopback) and
/// no retries (the tests using it are about other things; tests/retries.rs tests them).
pub fn client(server: &MockServer) -> Client {
    Client::builder()
        .api_root(server.uri())
        .api_key(KEY)
        .no_proxy()
        .retry(RetryPolicy::none())
        .build()
        .expect("client")
}
