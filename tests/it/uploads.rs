//! Uploads through the generated managers against the embedded server: hosting files
//! created, replaced and read back with the size and MD5 checksum the server computed,
//! the server's validation errors as typed errors, and APNs certificates set, refused
//! and removed.
#![cfg(not(syncano_custom_schema))]

use crate::support;

use syncano::{
    ApnsConfigRemoveCertificateRequest, ApnsConfigUpdate, HostingCreate, HostingFileCreate,
    HostingFileUpdate, InstanceCreate, StoredFile, Upload,
};

#[tokio::test]
async fn hosting_files_round_trip_through_the_generated_manager() {
    let (_server, client) = support::emulator_admin().await;
    client
        .instances()
        .create(&InstanceCreate::new("site-inst"))
        .await
        .expect("instance");
    let hosting = client
        .instances()
        .hosting("site-inst")
        .create(&HostingCreate::new("site"))
        .await
        .expect("hosting");
    let files = client.instances().hosting("site-inst").files(hosting.id);

    let page = Upload::from_bytes("index.html", "hello world");
    assert_eq!(page.mime_type(), "text/html");
    let created = files
        .create(&HostingFileCreate::new(page, "index.html"))
        .await
        .expect("created");
    assert_eq!(created.path, "index.html");
    assert_eq!(created.size, Some(11));
    assert_eq!(
        created.checksum.as_deref(),
        Some("5eb63bbbe01eeed093cb22bb8f5acdc3")
    );

    // from disk
    let dir = tempfile::tempdir().expect("tempdir");
    let css = dir.path().join("site.css");
    tokio::fs::write(&css, b"body{}").await.expect("written");
    let upload = Upload::from_path(&css).await.expect("read");
    assert_eq!(
        (upload.name(), upload.mime_type()),
        ("site.css", "text/css")
    );
    let style = files
        .create(&HostingFileCreate::new(upload, "css/site.css"))
        .await
        .expect("created from a path");
    assert_eq!(style.size, Some(6));
    assert_eq!(
        style.checksum.as_deref(),
        Some("aa676972bbd2b68e94ef8e91e81d20be")
    );
    let missing = Upload::from_path(dir.path().join("nope.css")).await;
    assert!(
        matches!(missing, Err(syncano::Error::Io { .. })),
        "{missing:?}"
    );

    // a new file through update (PATCH), then through replace (PUT)
    let update = HostingFileUpdate {
        file: Some(Upload::from_bytes("v2.html", "<h1>v2</h1>")),
        ..Default::default()
    };
    let updated = files.update(created.id, &update).await.expect("updated");
    assert_eq!(updated.path, "index.html");
    assert_eq!(updated.size, Some(11));
    assert_eq!(
        updated.checksum.as_deref(),
        Some("97f7d70d7c74e46e1702eb38e286dfba")
    );
    let replaced = files
        .replace(
            created.id,
            &HostingFileCreate::new(Upload::from_bytes("empty.html", ""), "ignored.html"),
        )
        .await
        .expect("replaced");
    assert_eq!(
        replaced.path, "index.html",
        "the path is read-only on detail"
    );
    assert_eq!(replaced.size, Some(0));

    let listed = files.list().collect().await.expect("listed");
    let mut paths: Vec<&str> = listed.iter().map(|f| f.path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(paths, ["css/site.css", "index.html"]);
    let got = files.get(style.id).await.expect("read back");
    assert_eq!(got, style);

    // the server's validation errors, typed
    let error = files
        .create(&HostingFileCreate::new(
            Upload::from_bytes("a.txt", "a"),
            "/absolute",
        ))
        .await
        .expect_err("bad path");
    assert!(error.is_validation(), "{error}");
    assert_eq!(
        error.api().map(|e| e.field_errors.get("path").cloned()),
        Some(Some(vec!["Invalid path specified.".to_string()]))
    );
    let error = files
        .create(&HostingFileCreate::new(
            Upload::from_bytes("a.txt", "a"),
            "index.html",
        ))
        .await
        .expect_err("taken");
    assert_eq!(
        error.api().map(|e| e.field_errors.get("path").cloned()),
        Some(Some(vec!["This field must be unique.".to_string()]))
    );

    files.delete(style.id).await.expect("deleted");
    assert!(files.get(style.id).await.expect_err("gone").is_not_found());
}

#[tokio::test]
async fn apns_certificates_are_uploaded_refused_and_removed() {
    let (_server, client) = support::emulator_admin().await;
    client
        .instances()
        .create(&InstanceCreate::new("push-inst"))
        .await
        .expect("instance");
    let config = client.instances().apns_config("push-inst");
    let before = config.get().await.expect("config");
    assert_eq!(before.production_certificate, Some(StoredFile::Set(false)));

    let certificate = Upload::from_bytes("production.p12", vec![0x30, 0x82, 0x01]);
    assert_eq!(certificate.mime_type(), "application/x-pkcs12");
    let update = ApnsConfigUpdate {
        production_certificate: Some(certificate),
        production_certificate_name: Some("Production".into()),
        ..Default::default()
    };
    let after = config.update(&update).await.expect("updated");
    assert!(
        after
            .production_certificate
            .as_ref()
            .is_some_and(StoredFile::is_set)
    );
    assert_eq!(
        after.production_certificate_name.as_deref(),
        Some("Production")
    );
    assert_eq!(after.development_certificate, Some(StoredFile::Set(false)));
    assert_eq!(after.production_expiration_date, None);

    // a certificate of another type is refused with the platform's message
    let update = ApnsConfigUpdate {
        development_certificate: Some(
            Upload::from_bytes("dev.bin", vec![1, 2, 3]).content_type("application/pkix-cert"),
        ),
        ..Default::default()
    };
    let error = config.update(&update).await.expect_err("wrong type");
    assert_eq!(
        error
            .api()
            .and_then(|e| e.field_errors.get("development_certificate").cloned()),
        Some(vec![
            "Invalid content type. Please upload different file.".to_string()
        ])
    );

    let request = ApnsConfigRemoveCertificateRequest {
        production_certificate: Some(true),
        ..Default::default()
    };
    let removed = config.remove_certificate(&request).await.expect("removed");
    assert_eq!(removed.production_certificate, Some(StoredFile::Set(false)));
    // save() sends the writable fields as JSON and never a certificate
    let mut saved = removed.clone();
    saved.production_bundle_identifier = Some("com.example.app".into());
    let saved = saved.save(&client).await.expect("saved");
    assert_eq!(
        saved.production_bundle_identifier.as_deref(),
        Some("com.example.app")
    );
    assert_eq!(saved.production_certificate, Some(StoredFile::Set(false)));
}
