//! `multipart/form-data` writes: hosting files (path + file; size and MD5 checksum
//! from the bytes; path rules; read-only path on detail; replacing the file) and the
//! APNs certificates (content type and size rules, rendered as set or not), the
//! platform's errors for missing files and for files sent as JSON, and persistence
//! of the bytes across a restart.

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use syncano_emulator::EmulatorConfig;

use crate::common::{Api, start, start_with};

const NO_FILE: &str = "No file was submitted.";
const NOT_A_FILE: &str = "The submitted data was not a file. Check the encoding type on the form.";

/// Sends a multipart form with the account key.
fn file(name: &str, bytes: &'static [u8], content_type: &str) -> Part {
    Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(content_type)
        .expect("a valid MIME type")
}

/// An instance with one hosting; returns the hosting's files path.
async fn hosting_files(api: &Api, instance: &str) -> String {
    let inst = api.instance(instance).await;
    let r = api
        .post(&format!("{inst}hosting/"), json!({"name": "site"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_i64().expect("hosting id");
    format!("{inst}hosting/{id}/files/")
}

#[tokio::test]
async fn hosting_files_are_created_read_replaced_and_deleted() {
    let api = start().await;
    let files = hosting_files(&api, "uploads").await;

    let form = Form::new()
        .text("path", "index.html")
        .part("file", file("index.html", b"hello world", "text/html"));
    let r = api.form(Method::POST, &files, form).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["path"], "index.html");
    assert_eq!(r.body["size"], 11);
    assert_eq!(r.body["checksum"], "5eb63bbbe01eeed093cb22bb8f5acdc3");
    assert!(r.body.get("file").is_none(), "write-only: {}", r.body);
    let id = r.body["id"].as_i64().expect("id");
    let detail = format!("{files}{id}/");
    assert_eq!(r.body["links"]["self"], detail.as_str());

    let r = api.get(&detail).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["size"], 11);
    assert_eq!(r.body["checksum"], "5eb63bbbe01eeed093cb22bb8f5acdc3");
    let r = api.get(&files).await;
    assert_eq!(r.body["objects"].as_array().map(Vec::len), Some(1));

    // a new file replaces the old one (PATCH); the path is read-only on detail
    let form = Form::new()
        .text("path", "moved.html")
        .part("file", file("v2.html", b"<h1>v2</h1>", "text/html"));
    let r = api.form(Method::PATCH, &detail, form).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["path"], "index.html");
    assert_eq!(r.body["size"], 11);
    assert_eq!(r.body["checksum"], "97f7d70d7c74e46e1702eb38e286dfba");

    // PUT needs the file again; an empty one is allowed
    let r = api
        .form(Method::PUT, &detail, Form::new().text("path", "x"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body, json!({"file": [NO_FILE]}));
    let form = Form::new().part("file", file("empty.html", b"", "text/html"));
    let r = api.form(Method::PUT, &detail, form).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["size"], 0);
    assert_eq!(r.body["checksum"], "d41d8cd98f00b204e9800998ecf8427e");

    // a PATCH without a file keeps it
    let r = api
        .form(Method::PATCH, &detail, Form::new().text("path", "y"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["checksum"], "d41d8cd98f00b204e9800998ecf8427e");

    let r = api.delete(&detail).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(api.get(&detail).await.status, StatusCode::NOT_FOUND);
    // the path is free again
    let form = Form::new()
        .text("path", "index.html")
        .part("file", file("index.html", b"body{}", "text/html"));
    let r = api.form(Method::POST, &files, form).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["checksum"], "aa676972bbd2b68e94ef8e91e81d20be");
}

#[tokio::test]
async fn hosting_file_errors_are_the_platforms() {
    let api = start().await;
    let files = hosting_files(&api, "upload-errors").await;

    // no file, and a bad path, in one answer
    let r = api
        .form(Method::POST, &files, Form::new().text("path", "/abs"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({"file": [NO_FILE], "path": ["Invalid path specified."]})
    );
    // a file part without a file name is a text field to the platform (and to us)
    let form = Form::new()
        .text("path", "a.txt")
        .part("file", Part::bytes(&b"abc"[..]));
    let r = api.form(Method::POST, &files, form).await;
    assert_eq!(r.body, json!({"file": [NOT_A_FILE]}));
    // JSON instead of multipart: a validation error, not a crash
    let r = api
        .post(&files, json!({"path": "a.txt", "file": "aGVsbG8="}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body, json!({"file": [NOT_A_FILE]}));
    let r = api.post(&files, json!({"path": "a.txt"})).await;
    assert_eq!(r.body, json!({"file": [NO_FILE]}));
    let r = api
        .form(
            Method::POST,
            &files,
            Form::new().part("file", file("a.txt", b"a", "text/plain")),
        )
        .await;
    assert_eq!(r.body, json!({"path": ["This field is required."]}));
    for bad in ["dir/", "a//b", "sp ace.txt", "%zz"] {
        let form = Form::new()
            .text("path", bad)
            .part("file", file("a.txt", b"a", "text/plain"));
        let r = api.form(Method::POST, &files, form).await;
        assert_eq!(
            r.body,
            json!({"path": ["Invalid path specified."]}),
            "{bad}"
        );
    }
    // paths are unique within a hosting
    for expected in [StatusCode::CREATED, StatusCode::BAD_REQUEST] {
        let form = Form::new()
            .text("path", "css/site.css")
            .part("file", file("site.css", b"a", "text/css"));
        let r = api.form(Method::POST, &files, form).await;
        assert_eq!(r.status, expected, "{:?}", r.body);
        if expected == StatusCode::BAD_REQUEST {
            assert_eq!(r.body, json!({"path": ["This field must be unique."]}));
        }
    }
}

#[tokio::test]
async fn apns_certificates_are_checked_and_shown_as_set() {
    let api = start().await;
    let inst = api.instance("apns-config").await;
    let config = format!("{inst}push_notifications/apns/config/");
    let r = api.get(&config).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["production_certificate"], false);
    assert_eq!(r.body["development_certificate"], false);

    let form = Form::new()
        .text("production_certificate_name", "prod")
        .part(
            "production_certificate",
            file("prod.p12", b"not really pkcs12", "application/x-pkcs12"),
        );
    let r = api.form(Method::PATCH, &config, form).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["production_certificate"], true);
    assert_eq!(r.body["production_certificate_name"], "prod");
    assert_eq!(r.body["development_certificate"], false);
    // read from the certificate by the platform; the emulator cannot
    assert_eq!(r.body["production_expiration_date"], Value::Null);
    assert_eq!(api.get(&config).await.body["production_certificate"], true);

    // wrong content type and too large: both messages
    static BIG: [u8; 209_713] = [0; 209_713];
    let form = Form::new().part(
        "development_certificate",
        file("dev.pem", &BIG, "application/x-pem-file"),
    );
    let r = api.form(Method::PATCH, &config, form).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({"development_certificate": [
            "Invalid content type. Please upload different file.",
            "Please keep filesize under 209712."
        ]})
    );
    // exactly at the limit is fine
    let form = Form::new().part(
        "development_certificate",
        file("dev.p12", &BIG[1..], "application/x-pkcs12"),
    );
    let r = api.form(Method::PATCH, &config, form).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["development_certificate"], true);

    // a certificate sent as JSON is the platform's validation error
    let r = api
        .patch(&config, json!({"production_certificate": "MIIK..."}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body, json!({"production_certificate": [NOT_A_FILE]}));

    let r = api
        .post(
            &format!("{config}remove_certificate/"),
            json!({"production_certificate": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["production_certificate"], false);
    assert_eq!(r.body["development_certificate"], true);
}

#[tokio::test]
async fn uploaded_files_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = EmulatorConfig {
        data_dir: Some(dir.path().to_path_buf()),
        ..EmulatorConfig::default()
    };
    let api = start_with(cfg.clone()).await;
    let files = hosting_files(&api, "durable-files").await;
    let form = Form::new()
        .text("path", "index.html")
        .part("file", file("index.html", b"hello world", "text/html"));
    let r = api.form(Method::POST, &files, form).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let detail = format!("{files}{}/", r.body["id"]);
    let config = "/v1.1/instances/durable-files/push_notifications/apns/config/";
    let form = Form::new().part(
        "production_certificate",
        file("prod.p12", b"p12", "application/x-pkcs12"),
    );
    let r = api.form(Method::PUT, config, form).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    api.emu.shutdown().await;

    let api = start_with(cfg).await;
    let r = api.get(&detail).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["size"], 11);
    assert_eq!(r.body["checksum"], "5eb63bbbe01eeed093cb22bb8f5acdc3");
    assert_eq!(api.get(config).await.body["production_certificate"], true);
    // a PATCH without a file keeps what was stored
    let r = api.form(Method::PATCH, &detail, Form::new()).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["checksum"], "5eb63bbbe01eeed093cb22bb8f5acdc3");
}
