//! The emulator as a server on a developer's machine: the `Host` check, the random
//! admin password, the connection timeouts, how `/media/` files are served and the
//! modes of the data directory and its SQLite file.

use std::time::{Duration, Instant};

use axum::body::{Body, to_bytes};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use syncano_emulator::{Emulator, EmulatorConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{start, start_with};

/// Sends `head` (the request line and headers, without the blank line) on a new
/// connection and reads the whole answer: (status, JSON body).
async fn raw_request(addr: std::net::SocketAddr, head: &str) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    let request = format!("{head}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("request written");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("answered in time")
        .expect("answer read");
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {text}"));
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let body = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).unwrap_or_else(|_| panic!("a JSON body: {text}"))
    };
    (status, body)
}

#[tokio::test]
async fn requests_addressed_to_another_host_are_refused() {
    let api = start().await;
    let addr = api.emu.addr();
    let port = addr.port();
    let key = &api.key;
    for host in [
        "evil.example",
        "evil.example:8080",
        "localhost.evil.example",
        "10.1.2.3",
    ] {
        let (status, body) = raw_request(
            addr,
            &format!("GET /v1.1/instances/ HTTP/1.1\r\nHost: {host}\r\nX-API-KEY: {key}"),
        )
        .await;
        assert_eq!(status, 403, "{host}: {body}");
        let detail = body["detail"].as_str().expect("a detail");
        assert!(detail.contains("--allow-host"), "{detail}");
        assert!(detail.contains(host), "{detail}");
    }
    // /media/ is behind the same check
    let (status, _) = raw_request(addr, "GET /media/x/y.png HTTP/1.1\r\nHost: evil.example").await;
    assert_eq!(status, 403);
    // loopback names and addresses, any port, and no Host at all are answered
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        "127.0.0.2".to_owned(),
        format!("[::1]:{port}"),
    ] {
        let (status, body) = raw_request(
            addr,
            &format!("GET /v1.1/instances/ HTTP/1.1\r\nHost: {host}\r\nX-API-KEY: {key}"),
        )
        .await;
        assert_eq!(status, 200, "{host}: {body}");
    }
    let (status, body) = raw_request(
        addr,
        &format!("GET /v1.1/instances/ HTTP/1.0\r\nX-API-KEY: {key}"),
    )
    .await;
    assert_eq!(status, 200, "without Host: {body}");
}

#[tokio::test]
async fn an_allowed_host_is_answered() {
    let api = start_with(EmulatorConfig {
        allowed_hosts: vec!["Dev.Box".into()],
        ..EmulatorConfig::default()
    })
    .await;
    let key = &api.key;
    let addr = api.emu.addr();
    let (status, body) = raw_request(
        addr,
        &format!("GET /v1.1/instances/ HTTP/1.1\r\nHost: dev.box:8080\r\nX-API-KEY: {key}"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = raw_request(
        addr,
        &format!("GET /v1.1/instances/ HTTP/1.1\r\nHost: other.box\r\nX-API-KEY: {key}"),
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_host_check_applies_in_process() {
    let emu = Emulator::in_process(EmulatorConfig::default()).expect("the emulator starts");
    let request = |host: Option<&str>| {
        let mut builder =
            axum::http::Request::get("/v1.1/instances/").header("X-API-KEY", emu.account_key());
        if let Some(host) = host {
            builder = builder.header("Host", host);
        }
        builder.body(Body::empty()).expect("a valid request")
    };
    assert_eq!(emu.send(request(None)).await.status(), StatusCode::OK);
    assert_eq!(
        emu.send(request(Some("localhost"))).await.status(),
        StatusCode::OK
    );
    let refused = emu.send(request(Some("evil.example"))).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body = to_bytes(refused.into_body(), usize::MAX)
        .await
        .expect("a body");
    let body: Value = serde_json::from_slice(&body).expect("JSON");
    assert!(body["detail"].as_str().is_some(), "{body}");
}

/// `POST /v1.1/account/auth/` with the admin's e-mail and `password`: the status.
async fn login(api: &crate::common::Api, password: &str) -> StatusCode {
    api.call(
        Method::POST,
        "/v1.1/account/auth/",
        None,
        Some(json!({"email": api.emu.account_email(), "password": password})),
    )
    .await
    .status
}

#[tokio::test]
async fn the_admin_password_is_random_unless_given() {
    let one = start().await;
    let two = start().await;
    let (p1, p2) = (one.emu.account_password(), two.emu.account_password());
    assert_ne!(p1, p2, "two starts draw two passwords");
    assert!(p1.len() >= 20, "a long password");
    assert_eq!(login(&one, p1).await, StatusCode::OK);
    assert_ne!(login(&one, "syncano-emulator").await, StatusCode::OK);
    assert_ne!(login(&one, p2).await, StatusCode::OK);
    let chosen = start_with(EmulatorConfig {
        account_password: Some("chosen-for-the-test".into()),
        ..EmulatorConfig::default()
    })
    .await;
    assert_eq!(chosen.emu.account_password(), "chosen-for-the-test");
    assert_eq!(login(&chosen, "chosen-for-the-test").await, StatusCode::OK);
    let in_process = Emulator::in_process(EmulatorConfig::default()).expect("starts");
    assert!(in_process.account_password().len() >= 20);
    assert_ne!(in_process.account_password(), p1);
    // the config's Debug shows no password
    let config = EmulatorConfig {
        account_password: Some("chosen-for-the-test".into()),
        ..EmulatorConfig::default()
    };
    assert!(!format!("{config:?}").contains("chosen-for-the-test"));
}

#[tokio::test]
async fn a_stored_admin_takes_the_password_of_each_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = || EmulatorConfig {
        data_dir: Some(dir.path().join("data")),
        ..EmulatorConfig::default()
    };
    let first = start_with(config()).await;
    let old = first.emu.account_password().to_owned();
    assert_eq!(login(&first, &old).await, StatusCode::OK);
    let key = first.key.clone();
    first.emu.shutdown().await;
    let second = start_with(config()).await;
    assert_eq!(second.key, key, "the account key is kept");
    let new = second.emu.account_password().to_owned();
    assert_ne!(new, old);
    assert_eq!(login(&second, &new).await, StatusCode::OK);
    assert_ne!(login(&second, &old).await, StatusCode::OK);
}

#[tokio::test]
async fn the_binary_prints_its_password_or_takes_admin_password() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let http = reqwest::Client::new();
    for given in [None, Some("from-the-command-line")] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_syncano-emulator"));
        command
            .args(["--port", "0"])
            .env_remove("SYNCANO_EMULATOR_ADMIN_PASSWORD")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(password) = given {
            command.args(["--admin-password", password]);
        }
        let mut child = Kill(command.spawn().expect("binary starts"));
        let out = child.0.stdout.take().expect("stdout");
        let mut lines = BufReader::new(out).lines();
        let (mut root, mut email, mut password) = (None, None, None);
        while root.is_none() || email.is_none() || password.is_none() {
            let line = lines.next().expect("a line").expect("utf-8");
            if let Some(v) = line.strip_prefix("SYNCANO_API_ROOT=") {
                root = Some(v.to_owned());
            } else if let Some(v) = line.strip_prefix("SYNCANO_EMAIL=") {
                email = Some(v.to_owned());
            } else if let Some(v) = line.strip_prefix("SYNCANO_PASSWORD=") {
                password = Some(v.to_owned());
            }
        }
        let (root, email, password) = (
            root.expect("root"),
            email.expect("email"),
            password.expect("password"),
        );
        match given {
            Some(g) => assert_eq!(password, g),
            None => assert!(password.len() >= 20, "a random password: {password}"),
        }
        let status = http
            .post(format!("{root}/v1.1/account/auth/"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("sent")
            .status();
        assert_eq!(status, StatusCode::OK);
    }
}

/// Reads from `stream` until the server closes it; how long that took. Panics if it
/// stays open for 5 s.
async fn time_until_closed(stream: &mut TcpStream) -> Duration {
    let started = Instant::now();
    let mut sink = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut sink)).await {
            Ok(Ok(0) | Err(_)) => return started.elapsed(),
            Ok(Ok(_)) => {}
            Err(_) => panic!("the connection was still open after 5 s"),
        }
    }
}

#[tokio::test]
async fn a_half_sent_header_is_cut_after_the_header_read_timeout() {
    let api = start_with(EmulatorConfig {
        header_read_timeout: Duration::from_millis(300),
        ..EmulatorConfig::default()
    })
    .await;
    let mut stream = TcpStream::connect(api.emu.addr()).await.expect("connects");
    stream
        .write_all(b"GET /v1.1/instances/ HTTP/1.1\r\nHost: 127.0.0")
        .await
        .expect("written");
    let waited = time_until_closed(&mut stream).await;
    assert!(waited >= Duration::from_millis(250), "{waited:?}");
    // a trickle does not keep it open either: a byte every 100 ms
    let mut stream = TcpStream::connect(api.emu.addr()).await.expect("connects");
    let started = Instant::now();
    let mut closed = false;
    for byte in b"GET /v1.1/instances/ HTTP/1.1\r\nHost: localhost\r\nX-Long: aaaaaaaaaaaaaaaa" {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if stream.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        let mut probe = [0u8; 64];
        if let Ok(Ok(0)) =
            tokio::time::timeout(Duration::from_millis(1), stream.read(&mut probe)).await
        {
            closed = true;
            break;
        }
    }
    assert!(closed, "a trickled head was cut");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_the_idle_timeout() {
    let api = start_with(EmulatorConfig {
        idle_timeout: Duration::from_millis(300),
        ..EmulatorConfig::default()
    })
    .await;
    // a request announcing a body it never sends
    let mut stream = TcpStream::connect(api.emu.addr()).await.expect("connects");
    stream
        .write_all(
            b"POST /v1.1/instances/ HTTP/1.1\r\nHost: localhost\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"na",
        )
        .await
        .expect("written");
    let waited = time_until_closed(&mut stream).await;
    assert!(waited >= Duration::from_millis(250), "{waited:?}");
    // a kept-alive connection after its answer
    let mut stream = TcpStream::connect(api.emu.addr()).await.expect("connects");
    stream
        .write_all(b"GET /v1.1/ HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("written");
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).await.expect("an answer");
    assert!(first.starts_with(b"HTTP/1.1 "), "{first:?}");
    let waited = time_until_closed(&mut stream).await;
    assert!(waited < Duration::from_secs(2), "{waited:?}");
}

#[tokio::test]
async fn a_long_poll_outlives_the_idle_timeout() {
    let api = start_with(EmulatorConfig {
        idle_timeout: Duration::from_millis(200),
        poll_timeout: Duration::from_millis(700),
        ..EmulatorConfig::default()
    })
    .await;
    let inst = api.instance("polling").await;
    api.post(&format!("{inst}channels/"), json!({"name": "live"}))
        .await;
    let started = Instant::now();
    let r = api.get(&format!("{inst}channels/live/poll/")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    assert!(started.elapsed() >= Duration::from_millis(600));
}

#[tokio::test]
async fn media_files_cannot_run_as_pages_of_the_api() {
    let api = start().await;
    let inst = api.instance("uploads").await;
    api.class(
        &inst,
        "pages",
        json!([{"name": "page", "type": "file"}, {"name": "picture", "type": "file"}]),
    )
    .await;
    let html = Part::bytes(b"<script>alert(document.cookie)</script>".to_vec())
        .file_name("x.html")
        .mime_str("text/html")
        .expect("a MIME type");
    let png = Part::bytes(b"\x89PNG fake".to_vec())
        .file_name("x.png")
        .mime_str("image/png")
        .expect("a MIME type");
    let form = Form::new().part("page", html).part("picture", png);
    let r = api
        .form(Method::POST, &format!("{inst}classes/pages/objects/"), form)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    for (field, attachment) in [("page", true), ("picture", false)] {
        let url = r.body[field]["value"].as_str().expect("a URL");
        let path = &url[url.find("/media/").expect("a media path")..];
        let resp = api
            .http
            .get(format!("{}{path}", api.base))
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status(), StatusCode::OK);
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
        assert_eq!(
            header("content-security-policy").as_deref(),
            Some("sandbox")
        );
        assert_eq!(
            header("content-disposition").as_deref() == Some("attachment"),
            attachment,
            "{field}: {:?}",
            header("content-disposition")
        );
    }
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_dir_and_its_database_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let parent = tempfile::tempdir().expect("tempdir");
    let dir = parent.path().join("emulator-data");
    let api = start_with(EmulatorConfig {
        data_dir: Some(dir.clone()),
        ..EmulatorConfig::default()
    })
    .await;
    api.instance("private").await;
    assert_eq!(mode(&dir), 0o700);
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).expect("the data dir") {
        let path = entry.expect("an entry").path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
        files += 1;
    }
    assert!(dir.join("emulator.sqlite3").exists());
    assert!(files >= 1);
    api.emu.shutdown().await;
    // a database file left readable by an older version is made private again
    let db = dir.join("emulator.sqlite3");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let api = start_with(EmulatorConfig {
        data_dir: Some(dir.clone()),
        ..EmulatorConfig::default()
    })
    .await;
    assert_eq!(mode(&db), 0o600);
    api.emu.shutdown().await;
}
