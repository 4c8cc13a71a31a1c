//! The `syncano-schema` binary: exit codes and outputs of check, diff, generate
//! and fetch (fetch against a one-shot HTTP server on loopback).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::mpsc;
use std::thread;

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_syncano-schema");

fn vendored() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/syncano-v1.1.json")
}

fn run(args: &[&str]) -> Output {
    match Command::new(BIN)
        .args(args)
        .env_remove("SYNCANO_API_KEY")
        .output()
    {
        Ok(o) => o,
        Err(e) => panic!("cannot run {BIN}: {e}"),
    }
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tmp() -> tempfile::TempDir {
    match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    }
}

fn write(dir: &Path, name: &str, v: &Value) -> String {
    let p = dir.join(name);
    if let Err(e) = std::fs::write(&p, v.to_string()) {
        panic!("write {}: {e}", p.display());
    }
    p.display().to_string()
}

fn base() -> Value {
    json!([
        {"name": "Class",
         "properties": {
            "name": {"type": "string", "required": true, "max_length": 64},
            "description": {"type": "string"},
            "objects_count": {"type": "integer", "read_only": true}},
         "endpoints": {
            "list": {"path": "/v1.1/instances/{instance}/classes/", "methods": ["get", "post"],
                     "properties": ["instance"]},
            "detail": {"path": "/v1.1/instances/{instance}/classes/{name}/",
                       "methods": ["get", "put", "patch", "delete"], "properties": ["instance", "name"]}}}
    ])
}

#[test]
fn diff_of_identical_documents_exits_0() {
    let d = tmp();
    let a = write(d.path(), "a.json", &base());
    let b = write(d.path(), "b.json", &base());
    let o = run(&["diff", &a, &b]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "No differences.\n");
}

#[test]
fn diff_with_breaking_changes_exits_1_in_text_and_json() {
    let d = tmp();
    let mut new = base();
    // field removed, type changed, resource added
    if let Some(p) = new[0]["properties"].as_object_mut() {
        p.remove("description");
    }
    new[0]["properties"]["objects_count"]["type"] = json!("string");
    if let Some(a) = new.as_array_mut() {
        a.push(json!({"name": "Group", "endpoints": {"list": {
            "path": "/v1.1/instances/{instance}/groups/", "methods": ["get"], "properties": ["instance"]}}}));
    }
    let a = write(d.path(), "old.json", &base());
    let b = write(d.path(), "new.json", &new);
    let o = run(&["diff", &a, &b]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("  BREAKING  field `description`: field removed (was string, optional)\n"),
        "{text}"
    );
    assert!(
        text.contains("  BREAKING  field `objects_count`: type changed from integer to string\n"),
        "{text}"
    );
    assert!(text.contains("Group\n  additive  resource"), "{text}");
    assert!(
        text.ends_with("2 breaking, 1 additive change(s).\n"),
        "{text}"
    );

    let o = run(&["diff", "--json", &a, &b]);
    assert_eq!(code(&o), 1);
    let j: Value = match serde_json::from_str(&stdout(&o)) {
        Ok(v) => v,
        Err(e) => panic!("--json output is not JSON: {e}\n{}", stdout(&o)),
    };
    assert_eq!(j["breaking"], json!(true));
    assert_eq!(j["summary"], json!({"breaking": 2, "additive": 1}));
    let changes = j["changes"].as_array().cloned().unwrap_or_default();
    let find = |field: &str| changes.iter().find(|c| c["field"] == json!(field)).cloned();
    assert_eq!(
        find("description").map(|c| (c["severity"].clone(), c["kind"].clone())),
        Some((json!("breaking"), json!("removed")))
    );
    assert_eq!(
        find("objects_count").map(|c| (c["severity"].clone(), c["kind"].clone())),
        Some((json!("breaking"), json!("changed")))
    );
    assert!(
        changes.iter().any(|c| c["resource"] == json!("Group")
            && c["target"] == json!("resource")
            && c["severity"] == json!("additive")),
        "{changes:#?}"
    );
}

#[test]
fn diff_with_additive_changes_only_exits_0() {
    let d = tmp();
    let mut new = base();
    new[0]["properties"]["metadata"] = json!({"type": "field"});
    new[0]["endpoints"]["list"]["methods"] = json!(["get", "post", "delete"]);
    let a = write(d.path(), "old.json", &base());
    let b = write(d.path(), "new.json", &new);
    let o = run(&["diff", &a, &b]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(
        stdout(&o).ends_with("0 breaking, 2 additive change(s).\n"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn diff_of_unreadable_documents_exits_2() {
    let d = tmp();
    let a = write(d.path(), "a.json", &base());
    let missing = d.path().join("missing.json").display().to_string();
    let o = run(&["diff", &a, &missing]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("missing.json"), "{}", stderr(&o));
    let bad = d.path().join("bad.json");
    if let Err(e) = std::fs::write(&bad, "[{") {
        panic!("{e}");
    }
    let o = run(&["diff", &a, &bad.display().to_string()]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("invalid JSON"), "{}", stderr(&o));
    // usage errors too
    assert_eq!(code(&run(&["diff", &a])), 2);
}

#[test]
fn check_accepts_the_vendored_snapshot() {
    let v = vendored().display().to_string();
    let o = run(&["check", &v]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let n = match syncano_codegen::schema::load(&vendored()) {
        Ok(s) => s.resources.len(),
        Err(e) => panic!("the vendored snapshot does not load: {e}"),
    };
    assert_eq!(stdout(&o), format!("{v}: ok ({n} resources)\n"));
}

#[test]
fn check_rejects_an_invalid_document_with_the_builds_message() {
    let d = tmp();
    for (name, doc) in [
        ("not-a-list.json", json!({"name": "Class"})),
        (
            "no-path.json",
            json!([{"name": "Class", "endpoints": {"list": {"methods": ["get"]}}}]),
        ),
    ] {
        let p = write(d.path(), name, &doc);
        let o = run(&["check", &p]);
        assert_eq!(code(&o), 1, "{name}: {}", stdout(&o));
        let expected = match syncano_codegen::schema::load(Path::new(&p)) {
            Ok(_) => panic!("{name} should not load"),
            Err(e) => e.to_string(),
        };
        assert!(
            stderr(&o).contains(&expected),
            "{name}: {} vs {expected}",
            stderr(&o)
        );
    }
}

#[test]
fn generate_writes_exactly_what_the_build_generates() {
    let d = tmp();
    let out = d.path().join("gen");
    let o = run(&[
        "generate",
        &vendored().display().to_string(),
        "--out",
        &out.display().to_string(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let written = match std::fs::read_to_string(out.join("syncano_generated.rs")) {
        Ok(s) => s,
        Err(e) => panic!("no generated file: {e}"),
    };
    let expected = match syncano_codegen::generate_from_path(
        &vendored(),
        &syncano_codegen::RuntimeNames::none(),
    ) {
        Ok(s) => s,
        Err(e) => panic!("generate_from_path: {e}"),
    };
    assert!(!written.is_empty());
    assert!(
        written == expected,
        "generated code differs from generate_from_path"
    );
    // an invalid document: exit 1, nothing written
    let bad = write(d.path(), "bad.json", &json!({"x": 1}));
    let out2 = d.path().join("gen2");
    let o = run(&["generate", &bad, "--out", &out2.display().to_string()]);
    assert_eq!(code(&o), 1);
    assert!(!out2.join("syncano_generated.rs").exists());
}

/// Serves one HTTP response on loopback; sends back the request head.
fn serve_once(status: u16, body: String) -> (String, mpsc::Receiver<String>) {
    let listener = match TcpListener::bind("127.0.0.1:0") {
        Ok(l) => l,
        Err(e) => panic!("bind: {e}"),
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => panic!("addr: {e}"),
    };
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let Ok((mut s, _)) = listener.accept() else {
            return;
        };
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let _ = tx.send(String::from_utf8_lossy(&head).into_owned());
        let resp = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = s.write_all(resp.as_bytes());
    });
    (format!("http://{addr}"), rx)
}

fn vendored_value() -> Value {
    let text = match std::fs::read_to_string(vendored()) {
        Ok(t) => t,
        Err(e) => panic!("vendored snapshot: {e}"),
    };
    match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => panic!("vendored snapshot: {e}"),
    }
}

#[test]
fn fetch_sends_the_key_and_writes_the_normal_form() {
    let doc = vendored_value();
    // served compact and with the resources reversed
    let mut shuffled = doc.clone();
    if let Some(a) = shuffled.as_array_mut() {
        a.reverse();
    }
    let (root, rx) = serve_once(200, shuffled.to_string());
    let d = tmp();
    let out = d.path().join("fetched.json");
    let key = "0123456789abcdef0123456789abcdef01234567";
    let o = run(&[
        "fetch",
        "--api-root",
        &root,
        "--api-key",
        key,
        "--out",
        &out.display().to_string(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let head = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap_or_default();
    assert!(head.starts_with("GET /v1.1/schema/ HTTP/1.1\r\n"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("x-api-key: {key}")),
        "{head}"
    );
    assert!(!stderr(&o).contains(key), "the key leaked: {}", stderr(&o));
    let written = std::fs::read_to_string(&out).unwrap_or_default();
    assert_eq!(written, syncano_codegen::normalize::normalize(&doc));
}

#[test]
fn fetch_fails_on_http_errors_and_invalid_documents() {
    let (root, _rx) = serve_once(404, r#"{"detail":"Not found."}"#.to_owned());
    let o = run(&["fetch", "--api-root", &root]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("HTTP 404"), "{}", stderr(&o));

    let (root, _rx) = serve_once(200, r#"{"not": "a schema"}"#.to_owned());
    let o = run(&["fetch", "--api-root", &root]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stdout(&o).is_empty());

    let o = run(&["fetch", "--api-root", "not-a-url"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn diff_of_the_recorded_2015_documents_finds_the_known_changes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/schema");
    let old = dir
        .join("syncano-v1-schema-2015-03.json")
        .display()
        .to_string();
    let new = dir
        .join("syncano-v1-schema-2015-07.json")
        .display()
        .to_string();
    let o = run(&["diff", &old, &new]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let text = stdout(&o);
    // between March and July 2015 instance names became read-only on update,
    // detail updates moved from POST to PUT, codebox schedules became a
    // top-level resource, and a runtime was added
    for line in [
        "Instance\n",
        "  BREAKING  field `name`: writable → read-only: writes setting it fail\n",
        "  BREAKING  endpoint `detail` (/v1/instances/{name}/) method POST: method removed\n",
        "  additive  endpoint `detail` (/v1/instances/{name}/) method PUT: method added\n",
        "CodeBoxSchedule\n  BREAKING  resource (/v1/instances/{}/codeboxes/{}/schedules/): resource removed\n",
        "Schedule\n  additive  resource (/v1/instances/{}/schedules/): resource added",
        "  additive  field `runtime_name`: choices widened: \"golang\" added (choice enums are non-exhaustive)\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
}
