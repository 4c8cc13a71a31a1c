//! The runtime against the local emulator (a schema-driven v1.1 server), with
//! hand-written structs only: logins, the three key modes, paging across pages, data
//! objects with write operators and `expected_revision`, and the API's error bodies.

use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use syncano::links::Links;
use syncano::object::ObjectPatch;
use syncano::{AuthMode, Client, ListRequest, Method};
use syncano_emulator::RunningEmulator;

use crate::support;

async fn admin(emu: &RunningEmulator) -> Client {
    support::anonymous(emu)
        .login(emu.account_email(), emu.account_password())
        .await
        .expect("login")
}

#[derive(Debug, Deserialize)]
struct Instance {
    name: String,
    links: Links,
}

#[derive(Debug, Deserialize)]
struct Book {
    id: u64,
    revision: u64,
    title: String,
    pages: i64,
    tags: Option<Vec<String>>,
}

#[tokio::test]
async fn login_and_key_modes() {
    let emu = support::emulator().await;
    let client = admin(&emu).await;
    assert_eq!(
        client.api_key().as_ref().map(syncano::auth::ApiKey::expose),
        Some(emu.account_key())
    );
    for mode in [AuthMode::Header, AuthMode::Authorization, AuthMode::Query] {
        let account: Value = client
            .with_auth_mode(mode)
            .request(Method::GET, "/v1.1/account/", None::<&()>)
            .await
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        assert_eq!(account["email"], emu.account_email(), "{mode:?}");
    }
    let bad = support::anonymous(&emu);
    let error = bad
        .login(emu.account_email(), "wrong password")
        .await
        .expect_err("bad password");
    assert!(error.is_unauthorized(), "{error}");
    let anonymous = bad
        .request_raw::<()>(Method::GET, "/v1.1/account/", None)
        .await
        .expect_err("no key");
    assert!(anonymous.is_permission_denied(), "{anonymous}");
    emu.shutdown().await;
}

#[tokio::test]
async fn instances_classes_objects_and_pages() {
    let emu = support::emulator().await;
    let client = admin(&emu).await;
    let instance: Instance = client
        .request(
            Method::POST,
            "/v1.1/instances/",
            Some(&json!({"name": "runtime-lib", "description": "books"})),
        )
        .await
        .expect("instance");
    assert_eq!(instance.name, "runtime-lib");
    let classes_path = instance
        .links
        .get("classes")
        .expect("classes link")
        .to_string();
    let class: Value = client
        .request(
            Method::POST,
            &classes_path,
            Some(&json!({"name": "book", "schema": [
                {"name": "title", "type": "string", "filter_index": true},
                {"name": "pages", "type": "integer", "filter_index": true, "order_index": true},
                {"name": "tags", "type": "array"}
            ]})),
        )
        .await
        .expect("class");
    assert_eq!(class["name"], "book");

    let objects = "/v1.1/instances/runtime-lib/classes/book/objects/";
    for n in 1..=7 {
        let _: Book = client
            .request(
                Method::POST,
                objects,
                Some(&json!({"title": format!("Book {n}"), "pages": n * 100})),
            )
            .await
            .expect("object");
    }

    // Pages of 3: 3 + 3 + 1, streamed lazily and collected.
    let list = ListRequest::<Book>::new(client.clone(), objects.to_string()).page_size(3);
    let first = list.clone().page().await.expect("page");
    assert_eq!(first.objects.len(), 3);
    let second = first.next_page().await.expect("next").expect("second page");
    assert_eq!(second.objects.len(), 3);
    let back = second
        .prev_page()
        .await
        .expect("prev")
        .expect("first again");
    assert_eq!(
        back.objects.iter().map(|b| b.id).collect::<Vec<_>>(),
        first.objects.iter().map(|b| b.id).collect::<Vec<_>>()
    );
    let all = list.clone().collect().await.expect("all");
    assert_eq!(all.len(), 7);
    let titles: Vec<String> = list
        .clone()
        .limit(4)
        .stream()
        .map(|b| b.map(|b| b.title))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("titles");
    assert_eq!(titles.len(), 4);

    // Filter, order and count.
    let big = ListRequest::<Book>::new(client.clone(), objects.to_string())
        .query(&json!({"pages": {"_gte": 500}}))
        .order_by("-pages")
        .include_count()
        .page()
        .await
        .expect("filtered");
    assert_eq!(
        big.objects.iter().map(|b| b.pages).collect::<Vec<_>>(),
        vec![700, 600, 500]
    );
    assert_eq!(big.objects_count, Some(3));

    // Write operators and optimistic concurrency.
    let target = &all[0];
    let path = format!("{objects}{}/", target.id);
    let patch = ObjectPatch::new()
        .increment("pages", 5)
        .add("tags", ["classic"])
        .expected_revision(target.revision);
    let updated: Book = client
        .request(Method::PATCH, &path, Some(&patch))
        .await
        .expect("patched");
    assert_eq!(updated.pages, target.pages + 5);
    assert_eq!(updated.tags, Some(vec!["classic".to_string()]));
    assert_eq!(updated.revision, target.revision + 1);
    let stale = client
        .request_raw(
            Method::PATCH,
            &path,
            Some(
                &ObjectPatch::new()
                    .set("title", "x")
                    .expected_revision(target.revision),
            ),
        )
        .await;
    let stale = stale.expect_err("stale revision");
    assert!(stale.is_revision_mismatch(), "{stale}");

    // Error bodies: field errors, query errors, not found.
    let invalid = client
        .request_raw(
            Method::POST,
            "/v1.1/instances/",
            Some(&json!({"description": "no name"})),
        )
        .await;
    let invalid = invalid.expect_err("name required");
    assert!(invalid.is_validation());
    assert!(
        invalid.api().and_then(|a| a.field("name")).is_some(),
        "{invalid:?}"
    );
    let bad_query = ListRequest::<Book>::new(client.clone(), objects.to_string())
        .query(&json!({"tags": {"_gt": 1}}))
        .page()
        .await;
    let bad_query = bad_query.expect_err("tags has no filter index");
    assert!(
        bad_query.api().and_then(|a| a.field("query")).is_some(),
        "{bad_query:?}"
    );
    let missing = client
        .request_raw::<()>(Method::GET, &format!("{objects}9999/"), None)
        .await
        .expect_err("404");
    assert!(missing.is_not_found(), "{missing}");

    // Delete answers 204: `()`.
    client
        .request::<(), ()>(Method::DELETE, &path, None)
        .await
        .expect("deleted");
    emu.shutdown().await;
}

#[tokio::test]
async fn user_login_with_an_instance_key() {
    let emu = support::emulator().await;
    let client = admin(&emu).await;
    let _: Value = client
        .request(
            Method::POST,
            "/v1.1/instances/",
            Some(&json!({"name": "runtime-users"})),
        )
        .await
        .expect("instance");
    let key: Value = client
        .request(
            Method::POST,
            "/v1.1/instances/runtime-users/api_keys/",
            Some(&json!({"allow_user_create": true})),
        )
        .await
        .expect("api key");
    let app = client.with_api_key(key["api_key"].as_str().expect("api_key"));
    let _: Value = app
        .request(
            Method::POST,
            "/v1.1/instances/runtime-users/users/",
            Some(&json!({"username": "john", "password": "pw"})),
        )
        .await
        .expect("user");
    let user = app
        .user_login("runtime-users", "john", "pw")
        .await
        .expect("user login");
    let me: Value = user
        .request(
            Method::GET,
            "/v1.1/instances/runtime-users/user/",
            None::<&()>,
        )
        .await
        .expect("me");
    assert_eq!(me["username"], "john");
    let error = app
        .user_login("runtime-users", "john", "nope")
        .await
        .expect_err("bad password");
    assert!(error.is_unauthorized(), "{error}");
    emu.shutdown().await;
}
