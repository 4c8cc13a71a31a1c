//! Data-object fields of type `file`: multipart create and update, the
//! `{"type": "file", "value": url}` rendering, downloads from `/media/`, copying a
//! stored file by its URL, clearing with `null`, the platform's validation errors,
//! deletion with the object and its class, and persistence across a restart.

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use syncano_emulator::EmulatorConfig;

use crate::common::{Api, start, start_with};

const NOT_A_FILE: &str = "The submitted data was not a file. Check the encoding type on the form.";

fn file(name: &str, bytes: &[u8], content_type: &str) -> Part {
    Part::bytes(bytes.to_vec())
        .file_name(name.to_owned())
        .mime_str(content_type)
        .expect("a valid MIME type")
}

/// GETs a stored file's URL without any key: (status, content type, bytes).
async fn download(api: &Api, url: &str) -> (StatusCode, String, Vec<u8>) {
    let resp = api
        .http
        .get(format!("{}{url}", api.base))
        .send()
        .await
        .expect("request sent");
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, ct, resp.bytes().await.expect("body").to_vec())
}

/// The path of the URL of a rendered file field, checked for the platform's shape:
/// a path (`/media/...`, the default) or an absolute URL (`http://<host>/media/...`,
/// with `absolute_file_urls`). Tests compare paths, which stay the same when a
/// restarted emulator listens on another port.
fn url_of(field: &Value) -> String {
    assert_eq!(field["type"], "file", "{field}");
    let url = field["value"].as_str().expect("a URL");
    match url.strip_prefix("http://") {
        Some(rest) => rest[rest.find('/').expect("a path")..].to_owned(),
        None => url.to_owned(),
    }
}

/// An instance with a `books` class (`title` string, `pages` integer, `cover` and
/// `scan` files); returns the objects path.
async fn books(api: &Api, instance: &str) -> String {
    let inst = api.instance(instance).await;
    api.class(
        &inst,
        "books",
        json!([
            {"name": "title", "type": "string"},
            {"name": "pages", "type": "integer"},
            {"name": "cover", "type": "file"},
            {"name": "scan", "type": "file"}
        ]),
    )
    .await;
    format!("{inst}classes/books/objects/")
}

#[tokio::test]
async fn file_parts_are_stored_rendered_and_served() {
    let api = start().await;
    let objects = books(&api, "library").await;
    let form = Form::new()
        .text("title", "Dune")
        .text("pages", "412")
        .part("cover", file("Cover.PNG", b"\x89PNG fake", "image/png"));
    let r = api.form(Method::POST, &objects, form).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["title"], "Dune");
    assert_eq!(
        r.body["pages"], 412,
        "text parts are coerced like JSON values"
    );
    assert_eq!(r.body["revision"], 1);
    assert_eq!(r.body["scan"], Value::Null);
    let cover = url_of(&r.body["cover"]);
    let name = cover
        .strip_prefix("/media/library/books/")
        .expect("under the instance and class");
    assert_eq!(name.len(), 40 + ".png".len(), "{name}");
    assert!(name.ends_with(".png"));

    let (status, ct, bytes) = download(&api, &cover).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "image/png");
    assert_eq!(bytes, b"\x89PNG fake");

    // the object reads back the same, also in lists
    let detail = format!("{objects}{}/", r.body["id"]);
    assert_eq!(url_of(&api.get(&detail).await.body["cover"]), cover);
    let list = api.get(&objects).await;
    assert_eq!(url_of(&list.body["objects"][0]["cover"]), cover);

    // an unknown name under /media/ is not found
    let other = format!("/media/library/books/{}.png", "0".repeat(40));
    assert_eq!(download(&api, &other).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        download(&api, "/media/nowhere/books/x.png").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn updates_replace_copy_keep_and_clear_files() {
    let api = start().await;
    let objects = books(&api, "shelf").await;
    let form = Form::new().part("cover", file("a.txt", b"first", "text/plain"));
    let r = api.form(Method::POST, &objects, form).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let detail = format!("{objects}{}/", r.body["id"]);
    let first = url_of(&r.body["cover"]);

    // a new file part replaces the file: new URL, the old one is gone
    let form = Form::new()
        .text("title", "v2")
        .part("cover", file("b.txt", b"second", "text/plain"));
    let r = api.form(Method::PATCH, &detail, form).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["revision"], 2, "a file write is a write");
    let second = url_of(&r.body["cover"]);
    assert_ne!(second, first);
    assert_eq!(download(&api, &first).await.0, StatusCode::NOT_FOUND);
    assert_eq!(download(&api, &second).await.2, b"second");

    // a JSON write without the field keeps the file
    let r = api.patch(&detail, json!({"pages": 10})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["revision"], 3);
    assert_eq!(url_of(&r.body["cover"]), second);
    // a multipart write without a file part keeps it too
    let r = api
        .form(Method::PATCH, &detail, Form::new().text("title", "v3"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(url_of(&r.body["cover"]), second);

    // the URL of a stored file (as a string or in the rendered shape) copies it
    let r = api.patch(&detail, json!({"scan": second})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let copy = url_of(&r.body["scan"]);
    assert_ne!(copy, second);
    assert_eq!(download(&api, &copy).await.2, b"second");
    let r = api
        .post(&objects, json!({"cover": {"type": "file", "value": copy}}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let other = format!("{objects}{}/", r.body["id"]);
    let copied_again = url_of(&r.body["cover"]);
    assert_eq!(download(&api, &copied_again).await.2, b"second");
    assert_eq!(
        download(&api, &copy).await.0,
        StatusCode::OK,
        "the source stays"
    );

    // null clears the field and deletes the file
    let r = api.patch(&detail, json!({"cover": null})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["cover"], Value::Null);
    assert_eq!(r.body["revision"], 6);
    assert_eq!(download(&api, &second).await.0, StatusCode::NOT_FOUND);
    assert_eq!(download(&api, &copy).await.0, StatusCode::OK);

    // deleting an object deletes its files; deleting the class, all of them
    assert_eq!(api.delete(&detail).await.status, StatusCode::NO_CONTENT);
    assert_eq!(download(&api, &copy).await.0, StatusCode::NOT_FOUND);
    assert_eq!(download(&api, &copied_again).await.0, StatusCode::OK);
    assert_eq!(
        api.delete("/v1.1/instances/shelf/classes/books/")
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(download(&api, &copied_again).await.0, StatusCode::NOT_FOUND);
    assert_eq!(api.get(&other).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn file_values_are_validated_as_the_platform_does() {
    let api = start().await;
    let objects = books(&api, "strict").await;
    let elsewhere = books(&api, "elsewhere").await;
    let form = Form::new().part("cover", file("a.txt", b"x", "text/plain"));
    let r = api.form(Method::POST, &elsewhere, form).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let foreign = url_of(&r.body["cover"]);

    let invalid = json!({"cover": ["File URL is invalid."]});
    for bad in [
        json!("http://onet.pl/a.jpg"),
        json!("a.txt"),
        json!(foreign),
    ] {
        let r = api.post(&objects, json!({ "cover": bad })).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(r.body, invalid, "{bad}");
    }
    let gone = format!("/media/strict/books/{}.txt", "a".repeat(40));
    let r = api.post(&objects, json!({ "cover": gone })).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body, json!({"cover": ["Existing file does not exist."]}));
    let r = api.post(&objects, json!({"cover": 5})).await;
    assert_eq!(r.body, json!({"cover": [NOT_A_FILE]}));

    // a file part for a field of another kind, a too long extension
    let form = Form::new()
        .part("title", file("t.txt", b"x", "text/plain"))
        .part("pages", file("1", b"1", "text/plain"))
        .part(
            "cover",
            file("f.thisistoolongextension", b"x", "text/plain"),
        );
    let r = api.form(Method::POST, &objects, form).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({
            "title": ["Not a valid string."],
            "pages": ["A valid integer is required."],
            "cover": ["File provided has too long extension. Max 16 characters."]
        })
    );
    // nothing was created, and a part for a name that is no class field is ignored
    let form = Form::new().part("nope", file("n.txt", b"x", "text/plain"));
    let r = api.form(Method::POST, &objects, form).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert!(r.body.get("nope").is_none());
    assert_eq!(
        api.get(&objects).await.body["objects"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // a file over the request limit is refused before anything is parsed
    let api = start_with(EmulatorConfig {
        body_limit: 1024,
        ..EmulatorConfig::default()
    })
    .await;
    let objects = books(&api, "small").await;
    let form = Form::new().part(
        "cover",
        file("big.bin", &[7u8; 4096], "application/octet-stream"),
    );
    let r = api.form(Method::POST, &objects, form).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{:?}", r.body);
    assert_eq!(api.get(&objects).await.body["objects"], json!([]));
}

#[tokio::test]
async fn object_files_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = EmulatorConfig {
        data_dir: Some(dir.path().to_path_buf()),
        ..EmulatorConfig::default()
    };
    let api = start_with(cfg.clone()).await;
    let objects = books(&api, "durable").await;
    let bytes: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let form = Form::new().part("scan", file("scan.bin", &bytes, "application/octet-stream"));
    let r = api.form(Method::POST, &objects, form).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let detail = format!("{objects}{}/", r.body["id"]);
    let url = url_of(&r.body["scan"]);
    api.emu.shutdown().await;

    let api = start_with(cfg).await;
    assert_eq!(url_of(&api.get(&detail).await.body["scan"]), url);
    let (status, ct, got) = download(&api, &url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "application/octet-stream");
    assert_eq!(got, bytes);
}

#[tokio::test]
async fn a_profile_file_given_by_url_is_copied_into_the_profile() {
    let api = start().await;
    let objects = books(&api, "bookclub").await;
    let form = Form::new().part("cover", file("me.png", b"portrait", "image/png"));
    let r = api.form(Method::POST, &objects, form).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let book = format!("{objects}{}/", r.body["id"]);
    let source = url_of(&r.body["cover"]);

    let r = api
        .patch(
            "/v1.1/instances/bookclub/classes/user_profile/",
            json!({"schema": [{"name": "avatar", "type": "file"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // a string that is no file URL of the instance is refused, as on objects
    let r = api
        .post(
            "/v1.1/instances/bookclub/users/",
            json!({"username": "ann", "password": "pw", "profile": {"avatar": "https://elsewhere/x.png"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    assert_eq!(
        r.body,
        json!({"profile": {"avatar": ["File URL is invalid."]}})
    );

    // the URL of a stored file is copied into the profile object, on create ...
    let r = api
        .post(
            "/v1.1/instances/bookclub/users/",
            json!({"username": "ann", "password": "pw", "profile": {"avatar": source}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let user = format!("/v1.1/instances/bookclub/users/{}/", r.body["id"]);
    let avatar = url_of(&r.body["profile"]["avatar"]);
    assert_ne!(avatar, source, "a copy, not the book's file");
    assert!(
        avatar.starts_with("/media/bookclub/user_profile/"),
        "{avatar}"
    );
    // ... and survives the source's deletion
    assert_eq!(api.delete(&book).await.status, StatusCode::NO_CONTENT);
    assert_eq!(download(&api, &source).await.0, StatusCode::NOT_FOUND);
    let (status, content_type, bytes) = download(&api, &avatar).await;
    assert_eq!(
        (status, content_type.as_str(), bytes.as_slice()),
        (StatusCode::OK, "image/png", b"portrait".as_slice())
    );

    // on update, a copy of the profile's own file replaces it; null clears it
    let r = api
        .patch(&user, json!({"profile": {"avatar": avatar}}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let second = url_of(&r.body["profile"]["avatar"]);
    assert_ne!(second, avatar);
    assert_eq!(download(&api, &second).await.2, b"portrait");
    assert_eq!(
        download(&api, &avatar).await.0,
        StatusCode::NOT_FOUND,
        "the replaced file is deleted"
    );
    let r = api.patch(&user, json!({"profile": {"avatar": null}})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["profile"]["avatar"], Value::Null);
    assert_eq!(download(&api, &second).await.0, StatusCode::NOT_FOUND);
}
