//! With a data dir every acknowledged write survives a restart, including a
//! SIGKILL of the binary.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use syncano_emulator::EmulatorConfig;

use crate::common::start_with;

#[tokio::test]
async fn restart_keeps_every_write() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = EmulatorConfig {
        data_dir: Some(dir.path().to_path_buf()),
        ..EmulatorConfig::default()
    };
    let api = start_with(cfg.clone()).await;
    let key = api.key.clone();
    let inst = api.instance("durable").await;
    api.class(
        &inst,
        "thing",
        json!([{"name": "n", "type": "integer", "filter_index": true}]),
    )
    .await;
    let objs = format!("{inst}classes/thing/objects/");
    for i in 0..20 {
        let r = api.post(&objs, json!({"n": i})).await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    api.patch(&format!("{objs}5/"), json!({"n": {"_increment": 100}}))
        .await;
    api.delete(&format!("{objs}6/")).await;
    api.post(&format!("{inst}rename/"), json!({"new_name": "durable2"}))
        .await;
    api.emu.shutdown().await;

    let api = start_with(cfg).await;
    assert_eq!(api.key, key, "the admin key survives");
    let inst = "/v1.1/instances/durable2/";
    let objs = format!("{inst}classes/thing/objects/");
    let r = api.get(&format!("{objs}?page_size=100")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["objects"].as_array().map(Vec::len), Some(19));
    let r = api.get(&format!("{objs}5/")).await;
    assert_eq!(r.body["n"], 104);
    assert_eq!(r.body["revision"], 2);
    // the id sequence continues
    let r = api.post(&objs, json!({"n": 1})).await;
    assert_eq!(r.body["id"], 21);
}

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(dir: &std::path::Path) -> (Proc, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_syncano-emulator"))
        .args(["--port", "0", "--data-dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let out = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(out).lines();
    let mut base = String::new();
    let mut key = String::new();
    while base.is_empty() || key.is_empty() {
        let line = lines.next().expect("a line").expect("utf-8");
        if let Some(v) = line.strip_prefix("SYNCANO_API_ROOT=") {
            base = v.to_owned();
        }
        if let Some(v) = line.strip_prefix("SYNCANO_API_KEY=") {
            key = v.to_owned();
        }
    }
    (Proc(child), base, key)
}

#[tokio::test]
async fn killed_binary_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let http = Client::new();
    let (proc1, base, key) = spawn(dir.path());
    let post = |path: String, body: Value| {
        http.post(format!("{base}{path}"))
            .header("X-API-KEY", key.clone())
            .json(&body)
            .send()
    };
    let r = post("/v1.1/instances/".into(), json!({"name": "killme"}))
        .await
        .expect("sent");
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = post(
        "/v1.1/instances/killme/classes/".into(),
        json!({"name": "c", "schema": [{"name": "v", "type": "integer"}]}),
    )
    .await
    .expect("sent");
    assert_eq!(r.status(), StatusCode::CREATED);
    let mut acked = Vec::new();
    for i in 0..30 {
        let r = post(
            "/v1.1/instances/killme/classes/c/objects/".into(),
            json!({"v": i}),
        )
        .await
        .expect("sent");
        assert_eq!(r.status(), StatusCode::CREATED);
        let b: Value = r.json().await.expect("json");
        acked.push((b["id"].as_i64().expect("id"), i));
    }
    drop(proc1); // SIGKILL, no shutdown
    // A fresh client: the pool may hold a connection to the killed process, and the
    // new one can be given the same port.
    let http = Client::new();

    let (_proc2, base2, key2) = spawn(dir.path());
    assert_eq!(key2, key);
    for (id, v) in acked {
        let r = http
            .get(format!(
                "{base2}/v1.1/instances/killme/classes/c/objects/{id}/"
            ))
            .header("X-API-KEY", &key2)
            .send()
            .await
            .expect("sent");
        assert_eq!(r.status(), StatusCode::OK);
        let b: Value = r.json().await.expect("json");
        assert_eq!(b["v"], v);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_writes_on_disk_all_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = EmulatorConfig {
        data_dir: Some(dir.path().to_path_buf()),
        ..EmulatorConfig::default()
    };
    let api = std::sync::Arc::new(start_with(cfg.clone()).await);
    let inst = api.instance("disk-par").await;
    api.class(&inst, "c", json!([{"name": "n", "type": "integer"}]))
        .await;
    let objs = format!("{inst}classes/c/objects/");
    let mut tasks = Vec::new();
    for w in 0..8 {
        let api = api.clone();
        let objs = objs.clone();
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for i in 0..25 {
                let r = api.post(&objs, json!({"n": w * 100 + i})).await;
                assert_eq!(r.status, StatusCode::CREATED);
                acked.push((r.body["id"].as_i64().expect("id"), w * 100 + i));
            }
            acked
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("task"));
    }
    let Ok(api) = std::sync::Arc::try_unwrap(api) else {
        panic!("emulator still shared");
    };
    api.emu.shutdown().await;
    let api = start_with(cfg).await;
    for (id, n) in all {
        let r = api.get(&format!("{objs}{id}/")).await;
        assert_eq!(r.status, StatusCode::OK, "object {id}");
        assert_eq!(r.body["n"], n);
    }
}
