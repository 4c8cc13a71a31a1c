//! Batches and permissions: `Client::batch` against the emulator (chunks of 50,
//! per-item results, errors per item) and against a request-recording mock (the exact
//! bodies sent); data-object permissions set, read back and enforced.
#![cfg(not(syncano_custom_schema))]

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use syncano::batch::MAX_BATCH_SIZE;
use syncano::permissions::ObjectPermissions;
use syncano::{Client, DataObjectOtherPermissions, DataObjectOwnerPermissions, Method, Object};
use syncano_emulator::RunningEmulator;

use crate::support;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Book {
    title: String,
    pages: i64,
}

/// An emulator with an instance `library` holding a class `book`, and its admin.
async fn library() -> (RunningEmulator, Client) {
    let emu = support::emulator().await;
    let admin = support::anonymous(&emu)
        .login(emu.account_email(), emu.account_password())
        .await
        .expect("login");
    let _: Value = admin
        .request(
            Method::POST,
            "/v1.1/instances/",
            Some(&json!({"name": "library"})),
        )
        .await
        .expect("instance");
    let _: Value = admin
        .request(
            Method::POST,
            "/v1.1/instances/library/classes/",
            Some(
                &json!({"name": "book", "other_permissions": "read", "schema": [
                    {"name": "title", "type": "string"},
                    {"name": "pages", "type": "integer"}
                ]}),
            ),
        )
        .await
        .expect("class");
    (emu, admin)
}

#[tokio::test]
async fn creates_in_chunks_of_fifty_and_returns_every_result() {
    let (_emu, admin) = library().await;
    let mut batch = admin.batch("library");
    for n in 0..120 {
        batch = batch.create_object(
            "book",
            &Book {
                title: format!("book {n}"),
                pages: n,
            },
        );
    }
    assert_eq!(batch.len(), 120);
    let results = batch.send().await.expect("batch");
    assert_eq!(results.len(), 120);
    let mut ids = Vec::new();
    for (n, result) in results.into_iter().enumerate() {
        assert_eq!(result.status(), 201, "{result:?}");
        assert_eq!(result.method(), &Method::POST);
        assert_eq!(
            result.path(),
            "/v1.1/instances/library/classes/book/objects/"
        );
        let book: Object<Book> = result.into_result().expect("a book");
        assert_eq!(book.data.title, format!("book {n}"), "results keep order");
        ids.push(book.id);
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 120);
    let count = admin
        .instances()
        .classes("library")
        .objects_as::<Book>("book")
        .list()
        .collect()
        .await
        .expect("list")
        .len();
    assert_eq!(count, 120);
}

#[tokio::test]
async fn mixed_requests_answer_per_item() {
    let (_emu, admin) = library().await;
    let created = admin
        .batch("library")
        .create_object("book", &json!({"title": "Dune", "pages": 412}))
        .create_object("book", &json!({"title": "Emma", "pages": 474}))
        .send()
        .await
        .expect("create");
    let ids: Vec<i64> = created
        .into_iter()
        .map(|r| r.into_result::<Object<Book>>().expect("created").id)
        .collect();
    let results = admin
        .batch("library")
        .update_object("book", ids[0], &json!({"pages": 413}))
        .delete_object("book", ids[1])
        .get(&format!("classes/book/objects/{}/", ids[1]))
        .create_object("book", &json!({"title": 5, "pages": "many"}))
        .get("/v1.1/instances/library/classes/book/")
        .send()
        .await
        .expect("batch");
    let statuses: Vec<u16> = results.iter().map(|r| r.status()).collect();
    assert_eq!(statuses, [200, 204, 404, 400, 200]);
    let mut results = results.into_iter();
    let updated: Object<Book> = results
        .next()
        .and_then(|r| r.into_result().ok())
        .expect("updated");
    assert_eq!((updated.id, updated.data.pages), (ids[0], 413));
    assert_eq!(updated.revision, Some(2));
    let deleted = results.next().expect("deleted");
    assert!(deleted.is_success() && deleted.body().is_null());
    deleted
        .into_result::<()>()
        .expect("an empty body decodes as ()");
    let missing = results.next().expect("missing");
    let error = missing
        .clone()
        .into_result::<Value>()
        .expect_err("not found");
    assert!(error.is_not_found(), "{error}");
    assert_eq!(
        error.api().map(|e| (e.method.clone(), e.path.clone())),
        Some((
            Method::GET,
            format!("/v1.1/instances/library/classes/book/objects/{}/", ids[1])
        ))
    );
    let invalid = results.next().and_then(|r| r.error()).expect("invalid");
    assert_eq!(invalid.status, 400);
    assert!(invalid.field("pages").is_some(), "{invalid:?}");
    let class = results.next().expect("class");
    assert_eq!(class.body()["name"], "book");
    // An empty batch sends nothing; a body that does not encode fails before sending.
    assert!(
        admin
            .batch("library")
            .send()
            .await
            .expect("empty")
            .is_empty()
    );
    let bad = admin
        .batch("library")
        .create_object("book", &NotJson)
        .send()
        .await
        .expect_err("encoding");
    assert!(
        matches!(bad.error(), syncano::Error::InvalidRequest(_)),
        "{bad}"
    );
    // nothing was sent: every request is left unsent
    assert_eq!((bad.answered().len(), bad.failed().len()), (0, 0));
    assert_eq!(bad.unsent().len(), 1);
    assert!(!bad.may_have_been_applied());
}

/// A value whose serialization fails.
struct NotJson;

impl Serialize for NotJson {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("not JSON"))
    }
}

#[tokio::test]
async fn permissions_set_read_and_enforced() {
    let (_emu, admin) = library().await;
    // An API key of the instance that reads like anyone (no ignore_acl): it sees what
    // `other_permissions` allows.
    let key: Value = admin
        .request(
            Method::POST,
            "/v1.1/instances/library/api_keys/",
            Some(&json!({"allow_anonymous_read": true})),
        )
        .await
        .expect("api key");
    let app = admin.with_api_key(key["api_key"].as_str().expect("key"));

    let public = ObjectPermissions::new().others(DataObjectOtherPermissions::Read);
    let results = admin
        .batch("library")
        .create_object(
            "book",
            &json!({"title": "Open", "pages": 1, "other_permissions": "read"}),
        )
        .create_object("book", &json!({"title": "Closed", "pages": 2}))
        .send()
        .await
        .expect("create");
    let books: Vec<Object<Book>> = results
        .into_iter()
        .map(|r| r.into_result().expect("created"))
        .collect();
    // Read back, typed.
    let open = ObjectPermissions::of(&books[0]);
    assert_eq!(
        open.other_permissions,
        Some(DataObjectOtherPermissions::Read)
    );
    assert_eq!(
        open.owner_permissions,
        Some(DataObjectOwnerPermissions::Full)
    );
    assert_eq!(
        books[1].other_permissions,
        Some(DataObjectOtherPermissions::None)
    );

    let objects = app
        .instances()
        .classes("library")
        .objects_as::<Book>("book");
    let visible: Vec<String> = objects
        .list()
        .collect()
        .await
        .expect("list")
        .into_iter()
        .map(|b| b.data.title)
        .collect();
    assert_eq!(visible, ["Open"]);
    let error = objects.get(books[1].id).await.expect_err("hidden");
    assert!(
        error.is_not_found(),
        "unreadable objects are hidden: {error}"
    );

    // Open the second one through a typed update, then close the first in a batch.
    let update = public.into_update();
    let reopened = admin
        .instances()
        .classes("library")
        .objects("book")
        .update(books[1].id, &update)
        .await
        .expect("update");
    assert_eq!(
        reopened.other_permissions,
        Some(DataObjectOtherPermissions::Read)
    );
    let closed = ObjectPermissions::new().others(DataObjectOtherPermissions::None);
    let results = admin
        .batch("library")
        .update_object("book", books[0].id, &closed)
        .send()
        .await
        .expect("batch update");
    let first: Object<Book> = results
        .into_iter()
        .next()
        .expect("one result")
        .into_result()
        .expect("updated");
    assert_eq!(
        ObjectPermissions::of(&first).other_permissions,
        Some(DataObjectOtherPermissions::None)
    );
    let visible: Vec<String> = objects
        .list()
        .collect()
        .await
        .expect("list")
        .into_iter()
        .map(|b| b.data.title)
        .collect();
    assert_eq!(visible, ["Closed"]);
}

/// Answers every batch with one 200 `{code, content}` per request, echoing the path.
struct Echo;

impl Respond for Echo {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let answers: Vec<Value> = body["requests"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|item| json!({"code": 200, "content": {"path": item["path"]}}))
                    .collect()
            })
            .unwrap_or_default();
        ResponseTemplate::new(200).set_body_json(answers)
    }
}

#[tokio::test]
async fn sends_the_documented_body_in_chunks() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.1/instances/my%20lib/batch/"))
        .respond_with(Echo)
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_root(server.uri())
        .no_proxy()
        .api_key("k")
        .build()
        .expect("client");
    let mut batch = client
        .batch("my lib")
        .update_object("my class", 7, &json!({"n": 1}))
        .delete("/v1.1/instances/my%20lib/api_keys/2/")
        .replace("channels/news/", &json!({"type": "default"}));
    for n in 0..(MAX_BATCH_SIZE - 1) {
        batch = batch.get(&format!("classes/book/objects/{n}/"));
    }
    let results = batch.send().await.expect("batch");
    assert_eq!(results.len(), MAX_BATCH_SIZE + 2);
    assert_eq!(
        results[51].body()["path"],
        "/v1.1/instances/my%20lib/classes/book/objects/48/"
    );
    let received = server.received_requests().await.unwrap_or_default();
    let bodies: Vec<Value> = received
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
        .collect();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0]["requests"].as_array().map(Vec::len), Some(50));
    assert_eq!(bodies[1]["requests"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        bodies[0]["requests"]
            .as_array()
            .map(|items| items[..3].to_vec()),
        Some(vec![
            json!({"method": "PATCH", "path": "/v1.1/instances/my%20lib/classes/my%20class/objects/7/", "body": {"n": 1}}),
            json!({"method": "DELETE", "path": "/v1.1/instances/my%20lib/api_keys/2/"}),
            json!({"method": "PUT", "path": "/v1.1/instances/my%20lib/channels/news/", "body": {"type": "default"}}),
        ])
    );
    assert_eq!(
        bodies[1]["requests"][1],
        json!({"method": "GET", "path": "/v1.1/instances/my%20lib/classes/book/objects/48/"})
    );
}

#[tokio::test]
async fn a_short_answer_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.1/instances/lib/batch/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"code": 204}])))
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_root(server.uri())
        .no_proxy()
        .build()
        .expect("client");
    let error = client
        .batch("lib")
        .delete("api_keys/1/")
        .delete("api_keys/2/")
        .send()
        .await
        .expect_err("one answer for two requests");
    assert!(error.error().is_decode(), "{error}");
    assert_eq!(error.failed().len(), 2, "both were in the call that failed");
}
