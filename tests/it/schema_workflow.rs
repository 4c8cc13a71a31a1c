//! End to end: the "when the API changes" workflow of `syncano-schema`
//! (fetch, discover, diff) against the emulator on loopback.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use syncano_codegen::diff::{self, ChangeKind, Severity, Target};
use syncano_codegen::{discover, fetch, normalize};
use syncano_emulator::{EmulatorConfig, RunningEmulator};
use tokio::runtime::Runtime;

use crate::support;

fn vendored_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/syncano-v1.1.json")
}

fn vendored_text() -> String {
    match std::fs::read_to_string(vendored_path()) {
        Ok(t) => t,
        Err(e) => panic!("{}: {e}", vendored_path().display()),
    }
}

fn vendored_value() -> Value {
    match serde_json::from_str(&vendored_text()) {
        Ok(v) => v,
        Err(e) => panic!("vendored snapshot: {e}"),
    }
}

/// An emulator serving `schema` on a free loopback port, on its own runtime
/// (the workflow functions are blocking and run on the test thread).
struct Server {
    rt: Runtime,
    emu: Option<RunningEmulator>,
}

impl Server {
    fn start(schema: &Path) -> Server {
        let rt = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => panic!("runtime: {e}"),
        };
        let config = EmulatorConfig {
            schema_path: Some(schema.to_path_buf()),
            ..EmulatorConfig::default()
        };
        let emu = rt.block_on(support::emulator_with(config));
        Server { rt, emu: Some(emu) }
    }

    fn emu(&self) -> &RunningEmulator {
        match &self.emu {
            Some(e) => e,
            None => panic!("emulator stopped"),
        }
    }

    /// Names of the account's instances (to check discover cleaned up).
    fn instance_names(&self) -> Vec<String> {
        let url = format!("{}/v1.1/instances/?page_size=100", self.emu().base_url());
        let key = self.emu().account_key().to_owned();
        let body: Value = self.rt.block_on(async move {
            let resp = reqwest::Client::new()
                .get(url)
                .header("X-API-KEY", key)
                .send()
                .await;
            match resp {
                Ok(r) => r.json().await.unwrap_or(Value::Null),
                Err(e) => panic!("list instances: {e}"),
            }
        });
        body["objects"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|i| i["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(emu) = self.emu.take() {
            self.rt.block_on(emu.shutdown());
        }
    }
}

#[test]
fn fetch_reproduces_the_vendored_snapshot_byte_for_byte() {
    let server = Server::start(&vendored_path());
    let emu = server.emu();
    let fetched = match fetch::fetch(&emu.base_url(), Some(emu.account_key())) {
        Ok(t) => t,
        Err(e) => panic!("fetch: {e}"),
    };
    let vendored = vendored_text();
    assert!(
        fetched == vendored,
        "fetch did not reproduce schema/syncano-v1.1.json byte for byte \
         (is the snapshot in the normal form? {})",
        if normalize::normalize(&vendored_value()) == vendored {
            "yes"
        } else {
            "no"
        }
    );
    // and an unchanged API diffs to nothing
    let d = match diff::diff_str(&vendored, "vendored", &fetched, "fetched") {
        Ok(d) => d,
        Err(e) => panic!("diff: {e}"),
    };
    assert!(d.is_empty(), "{d}");
}

#[test]
fn discover_finds_the_vendored_api_unchanged_or_extended() {
    let server = Server::start(&vendored_path());
    let emu = server.emu();
    let vendored = vendored_value();
    let before = server.instance_names();

    // with the snapshot as a hint: every endpoint it knows is found again
    let d = match discover::discover_with(&emu.base_url(), emu.account_key(), Some(&vendored)) {
        Ok(d) => d,
        Err(e) => panic!("discover: {e}"),
    };
    assert!(d.cleanup.is_ok(), "{:?}", d.cleanup);
    assert_eq!(
        server.instance_names(),
        before,
        "the scratch instance was left behind"
    );
    let report = match diff::diff_values(&vendored, "vendored", &d.document, "discovered") {
        Ok(r) => r,
        Err(e) => panic!("diff: {e}"),
    };
    assert!(
        !report.is_breaking(),
        "discover --known found breaking differences:\n{report}\nunreachable: {:#?}",
        d.unreachable
    );
    // the discovered document is a valid document for the generator too
    let text = normalize::normalize(&d.document);
    if let Err(e) = syncano_codegen::check_str(&text, "discovered") {
        panic!("the discovered document does not validate: {e}\n{text}");
    }

    // by links alone: fields, types and methods of everything reached agree;
    // the only breaking differences are endpoints it could not reach
    let plain = match discover::discover(&emu.base_url(), emu.account_key()) {
        Ok(d) => d,
        Err(e) => panic!("discover: {e}"),
    };
    assert!(plain.cleanup.is_ok(), "{:?}", plain.cleanup);
    let report = match diff::diff_values(&vendored, "vendored", &plain.document, "discovered") {
        Ok(r) => r,
        Err(e) => panic!("diff: {e}"),
    };
    for c in report
        .changes
        .iter()
        .filter(|c| c.severity == Severity::Breaking)
    {
        assert!(
            c.kind == ChangeKind::Removed
                && matches!(c.target, Target::Endpoint | Target::Resource),
            "unexpected breaking difference by links alone: {c:?}\n{report}"
        );
    }
    let vendored_paths = endpoint_paths(&vendored);
    let found = endpoint_paths(&plain.document);
    // what no link names: the account's own endpoints (the account shows no `links`, as
    // on the platform), what only a user may read (`user/` and its `auth/`), and what
    // answers `POST` alone behind a record's links (`render`)
    let unlinked = |p: &str| {
        p.starts_with("/v1.1/account/")
            || p.starts_with("/v1.1/instances/{}/user/")
            || p.ends_with("/render/")
    };
    let missing: Vec<&String> = vendored_paths
        .iter()
        .filter(|p| !found.contains(*p))
        .collect();
    assert!(
        missing.iter().all(|p| unlinked(p)),
        "links alone missed endpoints that are linked: {missing:#?}"
    );
    let reached = vendored_paths.len() - missing.len();
    assert!(
        reached * 100 >= vendored_paths.len() * 85,
        "links reached only {reached} of {} endpoints; missing {missing:#?}",
        vendored_paths.len()
    );
    assert_eq!(server.instance_names(), before);
}

fn endpoint_paths(doc: &Value) -> Vec<String> {
    let mut out: Vec<String> = doc
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["endpoints"].as_object())
                .flat_map(|e| e.values())
                .filter_map(|e| e["path"].as_str())
                .map(diff::normalize_path)
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.dedup();
    out
}

/// Removes `field` from a resource wherever it is declared.
fn fields_of(resource: &mut Value) -> Vec<&mut serde_json::Map<String, Value>> {
    let mut out = Vec::new();
    let Some(obj) = resource.as_object_mut() else {
        return out;
    };
    for (k, v) in obj.iter_mut() {
        match k.as_str() {
            "properties" => {
                if let Some(m) = v.as_object_mut() {
                    out.push(m);
                }
            }
            "endpoints" => {
                if let Some(eps) = v.as_object_mut() {
                    for (name, e) in eps.iter_mut() {
                        if name != "list" && name != "detail" {
                            continue;
                        }
                        if let Some(m) = e.get_mut("fields").and_then(Value::as_object_mut) {
                            out.push(m);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn a_modified_api_is_classified_correctly() {
    let mut doc = vendored_value();
    let Some(list) = doc.as_array_mut() else {
        panic!("the snapshot is not a list")
    };
    let Some(class) = list.iter_mut().find(|r| r["name"] == json!("Class")) else {
        panic!("no Class resource in the snapshot")
    };
    let mut removed = false;
    let mut retyped = false;
    for fields in fields_of(class) {
        removed |= fields.remove("description").is_some();
        if let Some(f) = fields.get_mut("objects_count") {
            f["type"] = json!("string");
            retyped = true;
        }
    }
    assert!(
        removed && retyped,
        "Class lacks description or objects_count"
    );
    list.push(json!({
        "name": "Probe",
        "description": "a resource the vendored snapshot does not have",
        "properties": {
            "id": {"type": "integer", "read_only": true, "primary_key": true},
            "label": {"type": "string", "max_length": 64},
            "links": {"type": "links", "read_only": true, "links": [{"type": "detail", "name": "self"}]}
        },
        "endpoints": {
            "list": {"path": "/v1.1/instances/{instance}/probes/", "methods": ["get", "post"],
                     "properties": ["instance"]},
            "detail": {"path": "/v1.1/instances/{instance}/probes/{id}/", "methods": ["get", "delete"],
                       "properties": ["instance", "id"]}
        }
    }));
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let modified = dir.path().join("modified.json");
    if let Err(e) = std::fs::write(&modified, normalize::normalize(&doc)) {
        panic!("{e}");
    }

    // a server with the modified API; fetch it and compare with the snapshot
    let server = Server::start(&modified);
    let emu = server.emu();
    let fetched = match fetch::fetch(&emu.base_url(), Some(emu.account_key())) {
        Ok(t) => t,
        Err(e) => panic!("fetch: {e}"),
    };
    let report = match diff::diff_str(&vendored_text(), "vendored", &fetched, "fetched") {
        Ok(r) => r,
        Err(e) => panic!("diff: {e}"),
    };
    let summary: Vec<(Severity, ChangeKind, Target, String, Option<String>)> = report
        .changes
        .iter()
        .map(|c| {
            (
                c.severity,
                c.kind,
                c.target,
                c.resource.clone(),
                c.field.clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                Severity::Breaking,
                ChangeKind::Removed,
                Target::Field,
                "Class".to_owned(),
                Some("description".to_owned())
            ),
            (
                Severity::Breaking,
                ChangeKind::Changed,
                Target::Field,
                "Class".to_owned(),
                Some("objects_count".to_owned())
            ),
            (
                Severity::Additive,
                ChangeKind::Added,
                Target::Resource,
                "Probe".to_owned(),
                None
            ),
        ],
        "{report}"
    );
    assert!(report.is_breaking());
    assert_eq!(report.breaking_count(), 2);
}
