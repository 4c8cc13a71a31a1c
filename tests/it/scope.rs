//! The call sites the generated API offers against the emulator: the instance scope,
//! get-or-create by a unique name (also when creators race), `update_fields` with write
//! operators on a typed manager, and `Client::options`.
#![cfg(not(syncano_custom_schema))]

use serde::{Deserialize, Serialize};
use serde_json::json;
use syncano::object::ObjectPatch;
use syncano::{ChannelCreate, ClassCreate, DataObjectCreate, InstanceCreate, UserCreate};

use crate::support::{builder, emulator, emulator_admin};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Book {
    title: String,
    pages: i64,
}

/// Creates the instance `library` and returns its scope.
async fn library(client: &syncano::Client) -> syncano::InstanceScope {
    client
        .instances()
        .create(&InstanceCreate::new("library"))
        .await
        .expect("instance");
    client.instance("library")
}

fn book_schema() -> serde_json::Value {
    json!([{"name": "title", "type": "string"},
           {"name": "pages", "type": "integer", "filter_index": true}])
}

#[tokio::test]
async fn the_instance_scope_reaches_instance_scoped_managers() {
    let (server, client) = emulator_admin().await;
    client
        .instances()
        .create(&InstanceCreate::new("library").description("Books"))
        .await
        .expect("instance");
    let library = client.instance("library");
    assert_eq!(library.name(), "library");
    library
        .classes()
        .create(&ClassCreate::new("book", book_schema()))
        .await
        .expect("class");
    let ann = library
        .users()
        .create(&UserCreate::new("ann", "secret-1"))
        .await
        .expect("user");
    assert_eq!(ann.username, "ann");
    let books = library.objects_as::<Book>("book");
    let dune = books
        .create(&DataObjectCreate::new(Book {
            title: "Dune".into(),
            pages: 412,
        }))
        .await
        .expect("object");
    // the untyped form reads the same object as a map
    let raw = library.objects("book").get(dune.id).await.expect("raw");
    assert_eq!(raw.data["title"], json!("Dune"));
    // the long form still works
    let same = client
        .instances()
        .classes("library")
        .objects_as::<Book>("book")
        .get(dune.id)
        .await
        .expect("long form");
    assert_eq!(same.data, dune.data);
    // the scope's batch
    let results = library
        .batch()
        .create_object("book", &json!({"title": "Emma", "pages": 300}))
        .send()
        .await
        .expect("batch");
    assert_eq!(results.len(), 1);
    assert_eq!(books.list().collect().await.expect("list").len(), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn the_default_instance_comes_from_the_client_or_is_a_clear_error() {
    let server = emulator().await;
    let without = builder(&server).build().expect("client");
    let error = without.default_instance().expect_err("no default instance");
    assert!(
        error.to_string().contains("SYNCANO_INSTANCE"),
        "the error says how to set one: {error}"
    );
    let with = builder(&server)
        .api_key(server.account_key())
        .instance("library")
        .build()
        .expect("client");
    with.instances()
        .create(&InstanceCreate::new("library"))
        .await
        .expect("instance");
    let library = with.default_instance().expect("default instance");
    assert_eq!(library.name(), "library");
    let classes = library.classes().list().collect().await.expect("classes");
    assert!(classes.iter().any(|c| c.name == "user_profile"));
    server.shutdown().await;
}

#[tokio::test]
async fn get_or_create_returns_the_existing_record_and_only_for_a_taken_name() {
    let (server, client) = emulator_admin().await;
    let instances = client.instances();
    let created = instances
        .get_or_create(&InstanceCreate::new("library").description("first"))
        .await
        .expect("created");
    assert_eq!(created.description.as_deref(), Some("first"));
    // the name is taken: the existing record, as it is
    let existing = instances
        .get_or_create(&InstanceCreate::new("library").description("second"))
        .await
        .expect("existing");
    assert_eq!(existing.name, "library");
    assert_eq!(existing.description.as_deref(), Some("first"));
    // any other 400 is returned as it is
    let invalid = instances
        .get_or_create(&InstanceCreate::new("x"))
        .await
        .expect_err("a name too short is no 'already exists'");
    assert!(invalid.is_validation(), "{invalid}");
    assert!(
        instances
            .get("x")
            .await
            .expect_err("not created")
            .is_not_found(),
        "nothing was created"
    );
    let library = client.instance("library");
    let channel = library
        .channels()
        .get_or_create(&ChannelCreate::new("news").custom_publish(true))
        .await
        .expect("channel");
    let again = library
        .channels()
        .get_or_create(&ChannelCreate::new("news"))
        .await
        .expect("channel again");
    assert_eq!(again.custom_publish, channel.custom_publish);
    server.shutdown().await;
}

#[tokio::test]
async fn racing_creators_all_end_with_the_same_record() {
    let (server, client) = emulator_admin().await;
    let classes = library(&client).await.classes();
    let racers = (0..8).map(|_| {
        let classes = classes.clone();
        tokio::spawn(async move {
            classes
                .get_or_create(&ClassCreate::new("book", book_schema()))
                .await
        })
    });
    let mut names = Vec::new();
    for racer in racers {
        let class = racer
            .await
            .expect("task")
            .expect("every racer gets the class");
        names.push(class.name);
    }
    assert!(names.iter().all(|n| n == "book"), "{names:?}");
    let books: Vec<_> = classes
        .list()
        .collect()
        .await
        .expect("classes")
        .into_iter()
        .filter(|c| c.name == "book")
        .collect();
    assert_eq!(books.len(), 1, "created exactly once");
    server.shutdown().await;
}

#[tokio::test]
async fn update_fields_sends_write_operators_and_answers_the_typed_object() {
    let (server, client) = emulator_admin().await;
    let library = library(&client).await;
    library
        .classes()
        .create(&ClassCreate::new("book", book_schema()))
        .await
        .expect("class");
    let books = library.objects_as::<Book>("book");
    let dune = books
        .create(&DataObjectCreate::new(Book {
            title: "Dune".into(),
            pages: 412,
        }))
        .await
        .expect("object");
    let patch = ObjectPatch::new()
        .increment("pages", 8)
        .expected_revision(dune.revision.unwrap_or_default());
    let updated = books.update_fields(dune.id, &patch).await.expect("updated");
    assert_eq!(updated.data.pages, 420);
    assert_eq!(updated.data.title, "Dune");
    // the same patch again carries a stale revision
    let stale = books
        .update_fields(dune.id, &patch)
        .await
        .expect_err("stale");
    assert!(stale.is_revision_mismatch(), "{stale}");
    server.shutdown().await;
}

#[tokio::test]
async fn options_reads_an_endpoints_metadata() {
    let (server, client) = emulator_admin().await;
    library(&client).await;
    let options = client
        .options("/v1.1/instances/library/classes/")
        .await
        .expect("options");
    assert!(!options.name.is_empty());
    let post = options.actions.get("POST").expect("POST fields");
    assert!(post["name"].required);
    assert_eq!(post["name"].kind, "string");
    assert!(options.renders.iter().any(|r| r == "application/json"));
    server.shutdown().await;
}
