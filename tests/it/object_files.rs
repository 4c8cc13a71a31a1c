//! Data-object `file` fields through the typed object manager against the embedded
//! server: `create_with_files` / `update_with_files` send multipart bodies, the
//! object reads back as a typed struct whose file field is a `StoredFile`, and
//! `Client::download` fetches the very bytes; typed errors for bad files and for
//! files that are gone.
#![cfg(not(syncano_custom_schema))]

use crate::support;

use serde::{Deserialize, Serialize};
use serde_json::json;
use syncano::object::ObjectPatch;
use syncano::{
    ClassCreate, Client, DataObjectCreate, DataObjectUpdate, InstanceCreate, StoredFile, Upload,
};
use syncano_emulator::RunningEmulator;

/// A book: plain fields written as text parts, a cover written as a file and read
/// back as a stored file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Book {
    title: String,
    pages: i64,
    tags: Vec<String>,
    #[serde(default, skip_serializing)]
    cover: Option<StoredFile>,
}

async fn library() -> (RunningEmulator, Client) {
    let (server, client) = support::emulator_admin().await;
    client
        .instances()
        .create(&InstanceCreate::new("library"))
        .await
        .expect("instance");
    let schema = json!([
        {"name": "title", "type": "string"},
        {"name": "pages", "type": "integer"},
        {"name": "tags", "type": "array"},
        {"name": "cover", "type": "file"}
    ]);
    client
        .instances()
        .classes("library")
        .create(&ClassCreate::new("books", schema))
        .await
        .expect("class");
    (server, client)
}

#[tokio::test]
async fn files_round_trip_through_the_typed_object_manager() {
    let (_server, client) = library().await;
    let books = client
        .instances()
        .classes("library")
        .objects_as::<Book>("books");
    let png: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    let book = Book {
        title: "Dune".into(),
        pages: 412,
        tags: vec!["sf".into(), "classic".into()],
        cover: None,
    };
    let created = books
        .create_with_files(
            &DataObjectCreate::new(book.clone()),
            &[("cover", Upload::from_bytes("cover.png", png.clone()))],
        )
        .await
        .expect("created with a file");
    // the other fields went as text parts, JSON-encoded where not strings
    assert_eq!(created.data.title, "Dune");
    assert_eq!(created.data.pages, 412);
    assert_eq!(created.data.tags, ["sf", "classic"]);
    assert_eq!(created.revision, Some(1));
    let cover = created.data.cover.clone().expect("a cover");
    // an absolute URL, as the platform's storage answers, downloadable as it is
    let url = cover.url().expect("a URL").to_owned();
    let root = client.api_root().trim_end_matches('/');
    assert!(
        url.starts_with(&format!("{root}/media/library/books/")) && url.ends_with(".png"),
        "{url}"
    );

    // read back as the typed struct, then the bytes through the client
    let read = books.get(created.id).await.expect("read");
    assert_eq!(read.data.cover, Some(StoredFile::Url(url.clone())));
    assert_eq!(client.download(&url).await.expect("downloaded"), png);
    // the path alone works too
    let relative = url.strip_prefix(root).expect("under the API root");
    assert_eq!(client.download(relative).await.expect("downloaded"), png);

    // an update with a new file replaces it; the other fields keep their values
    let changes = DataObjectUpdate::new(ObjectPatch::new().set("pages", 500));
    let raw = client
        .instances()
        .classes("library")
        .objects_as::<ObjectPatch>("books");
    let updated = raw
        .update_with_files(
            created.id,
            &changes,
            &[("cover", Upload::from_bytes("v2.txt", "second cover"))],
        )
        .await
        .expect("updated with a file");
    assert_eq!(updated.revision, Some(2), "a file write is a write");
    let read = books.get(created.id).await.expect("read");
    assert_eq!(read.data.pages, 500);
    assert_eq!(read.data.title, "Dune");
    let new_url = read
        .data
        .cover
        .as_ref()
        .and_then(StoredFile::url)
        .expect("URL");
    assert_ne!(new_url, url);
    assert_eq!(
        client.download(new_url).await.expect("downloaded"),
        "second cover"
    );
    // the replaced file is gone: a typed 404
    let gone = client.download(&url).await.expect_err("gone");
    assert!(gone.is_not_found(), "{gone:?}");

    // clearing goes through JSON: null
    let clear = DataObjectUpdate::new(ObjectPatch::new().set("cover", ()));
    let cleared = raw.update(created.id, &clear).await.expect("cleared");
    assert!(cleared.data.as_map()["cover"].is_null());
    let read = books.get(created.id).await.expect("read");
    assert_eq!(read.data.cover, None);
    assert!(
        client
            .download(new_url)
            .await
            .expect_err("deleted")
            .is_not_found()
    );
}

#[tokio::test]
async fn bad_files_are_typed_field_errors() {
    let (_server, client) = library().await;
    let books = client
        .instances()
        .classes("library")
        .objects_as::<Book>("books");
    let book = Book {
        title: "Emma".into(),
        pages: 1,
        tags: vec![],
        cover: None,
    };
    // a file for a field that is not a file field
    let err = books
        .create_with_files(
            &DataObjectCreate::new(book.clone()),
            &[("title", Upload::from_bytes("t.txt", "x"))],
        )
        .await
        .expect_err("refused");
    let api = err.api().expect("an API error");
    assert_eq!(api.status, 400);
    assert_eq!(api.field_errors["title"], ["Not a valid string."]);
    // a file name with a too long extension
    let err = books
        .create_with_files(
            &DataObjectCreate::new(book),
            &[("cover", Upload::from_bytes("c.thisistoolongextension", "x"))],
        )
        .await
        .expect_err("refused");
    assert_eq!(
        err.api().expect("an API error").field_errors["cover"],
        ["File provided has too long extension. Max 16 characters."]
    );
    // a URL that is no stored file of the instance, sent as the field's value
    let raw = client
        .instances()
        .classes("library")
        .objects_as::<ObjectPatch>("books");
    let err = raw
        .create(&DataObjectCreate::new(
            ObjectPatch::new().set("cover", "https://example.com/a.png"),
        ))
        .await
        .expect_err("refused");
    assert_eq!(
        err.api().expect("an API error").field_errors["cover"],
        ["File URL is invalid."]
    );
    // a download URL that is neither a path nor http(s) is an invalid request
    assert!(matches!(
        client.download("ftp://example.com/a.png").await,
        Err(syncano::Error::InvalidRequest(_))
    ));
    assert!(books.list().collect().await.expect("listed").is_empty());
}
