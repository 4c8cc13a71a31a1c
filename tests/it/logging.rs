//! Request logging: method, path, status and duration are logged; keys, passwords and
//! `api_key` query values never are.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::json;
use syncano::{AuthMode, Client, Method};
use tracing_subscriber::fmt::MakeWriter;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3";
const USER_KEY: &str = "e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4";
const PASSWORD: &str = "hunter2-very-secret";

/// Collects everything the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        self.0
            .lock()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn subscriber(captured: &Captured) -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish()
}

#[tokio::test]
async fn requests_are_logged_without_secrets() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.1/instances/lib/classes/"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"objects": [], "next": null, "prev": null})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.1/account/auth/"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"detail": "Invalid password."})),
        )
        .mount(&server)
        .await;

    let captured = Captured::default();
    let _guard = tracing::subscriber::set_default(subscriber(&captured));

    let base = Client::builder()
        .api_root(server.uri())
        .api_key(KEY)
        .user_key(USER_KEY)
        .no_proxy()
        .build();
    let base = base.expect("client");
    for mode in [AuthMode::Header, AuthMode::Authorization, AuthMode::Query] {
        base.with_auth_mode(mode)
            .request_raw::<()>(
                Method::GET,
                "/v1.1/instances/lib/classes/?page_size=5",
                None,
            )
            .await
            .expect("list");
    }
    let error = base
        .login("admin@example.com", PASSWORD)
        .await
        .expect_err("401");
    let _ = format!("{error} {error:?}");

    let text = captured.text();
    assert!(!text.contains(KEY), "the API key leaked: {text}");
    assert!(!text.contains(USER_KEY), "the user key leaked: {text}");
    assert!(!text.contains(PASSWORD), "the password leaked: {text}");
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("request finished"))
        .collect();
    assert_eq!(lines.len(), 4, "{text}");
    for line in &lines[..3] {
        assert!(line.contains("method=GET"), "{line}");
        assert!(
            line.contains("path=/v1.1/instances/lib/classes/?page_size=5"),
            "{line}"
        );
        assert!(line.contains("status=200"), "{line}");
        assert!(line.contains("duration_ms="), "{line}");
        assert!(line.contains("syncano"), "{line}");
    }
    // The key sent in the query is logged redacted.
    assert!(text.contains("api_key=REDACTED"), "{text}");
    assert!(
        lines[3].contains("method=POST") && lines[3].contains("status=401"),
        "{}",
        lines[3]
    );
}

#[tokio::test]
async fn failures_are_logged_without_secrets() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port());
    let port = port.expect("port");
    let captured = Captured::default();
    let _guard = tracing::subscriber::set_default(subscriber(&captured));
    let client = Client::builder()
        .api_root(format!("http://127.0.0.1:{port}"))
        .api_key(KEY)
        .auth_mode(AuthMode::Query)
        .no_proxy()
        .build()
        .expect("client");
    let error = client
        .request_raw::<()>(Method::DELETE, "/v1.1/instances/x/", None)
        .await
        .expect_err("refused");
    assert!(!error.to_string().contains(KEY));
    assert!(!format!("{error:?}").contains(KEY));
    let text = captured.text();
    assert!(
        text.contains("request failed") && text.contains("method=DELETE"),
        "{text}"
    );
    assert!(!text.contains(KEY), "{text}");
}
