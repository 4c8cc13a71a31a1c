//! Paging against a local mock server: one page, next/prev, lazy streams across pages,
//! limits, collect, include_count, raw mode and the list parameters.

mod mock;

use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use syncano::{Direction, ListRequest, Ordering};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use mock::{KEY, client};

const BOOKS: &str = "/v1.1/instances/lib/classes/book/objects/";

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Book {
    id: u64,
    title: String,
}

fn books(ids: std::ops::RangeInclusive<u64>) -> Vec<Value> {
    ids.map(|id| json!({"id": id, "title": format!("Book {id}")}))
        .collect()
}

/// The query of a received request as sorted pairs.
fn query(request: &Request) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = request
        .url
        .query_pairs()
        .map(|(n, v)| (n.into(), v.into()))
        .collect();
    pairs.sort();
    pairs
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = items
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    pairs.sort();
    pairs
}

/// Three pages of three books: ids 1–3, 4–6, 7–9, linked by relative next/prev paths.
async fn three_pages(server: &MockServer) {
    let page2 = format!("{BOOKS}?page_size=3&direction=1&last_pk=3");
    let page3 = format!("{BOOKS}?page_size=3&direction=1&last_pk=6");
    Mock::given(method("GET"))
        .and(path(BOOKS))
        .and(query_param("last_pk", "3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "objects": books(4..=6), "next": page3, "prev": format!("{BOOKS}?page_size=3&direction=0&last_pk=4")
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(BOOKS))
        .and(query_param("last_pk", "6"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "objects": books(7..=9), "next": null, "prev": format!("{BOOKS}?page_size=3&direction=0&last_pk=7")
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(BOOKS))
        .and(query_param("direction", "0"))
        .and(query_param("last_pk", "4"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "objects": books(1..=3), "next": page2, "prev": null
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(BOOKS))
        .and(query_param("page_size", "3"))
        .and(wiremock::matchers::query_param_is_missing("last_pk"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "objects": books(1..=3), "next": page2, "prev": null
        })))
        .mount(server)
        .await;
}

async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

#[tokio::test]
async fn one_page_then_next_and_prev() {
    let server = MockServer::start().await;
    three_pages(&server).await;
    let list = ListRequest::<Book>::new(client(&server), BOOKS.to_string()).page_size(3);
    let first = list.page().await.expect("first page");
    assert_eq!(
        first.objects.iter().map(|b| b.id).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(
        first.objects[0],
        Book {
            id: 1,
            title: "Book 1".into()
        }
    );
    assert!(first.has_next());
    assert!(!first.has_prev());
    assert_eq!(
        first.prev_page().await.expect("no prev").map(|p| p.len()),
        None
    );

    let second = first
        .next_page()
        .await
        .expect("second")
        .expect("has second");
    assert_eq!(
        second.iter().map(|b| b.id).collect::<Vec<_>>(),
        vec![4, 5, 6]
    );
    let back = second.prev_page().await.expect("prev").expect("has prev");
    assert_eq!(
        back.into_iter().map(|b| b.id).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );

    let requests = received(&server).await;
    assert_eq!(requests.len(), 3);
    assert!(
        requests
            .iter()
            .all(|r| r.method.as_str() == "GET" && r.url.path() == BOOKS)
    );
    assert!(
        requests
            .iter()
            .all(|r| r.headers.get("x-api-key").and_then(|v| v.to_str().ok()) == Some(KEY))
    );
    assert_eq!(query(&requests[0]), pairs(&[("page_size", "3")]));
    assert_eq!(
        query(&requests[1]),
        pairs(&[("page_size", "3"), ("direction", "1"), ("last_pk", "3")])
    );
    assert_eq!(
        query(&requests[2]),
        pairs(&[("page_size", "3"), ("direction", "0"), ("last_pk", "4")])
    );
    // The relative next path is followed as given, with nothing re-added.
    assert_eq!(
        requests[1].url.query(),
        Some("page_size=3&direction=1&last_pk=3")
    );
}

#[tokio::test]
async fn stream_fetches_pages_lazily() {
    let server = MockServer::start().await;
    three_pages(&server).await;
    let mut stream = ListRequest::<Book>::new(client(&server), BOOKS.to_string())
        .page_size(3)
        .stream();
    assert_eq!(
        received(&server).await.len(),
        0,
        "nothing is sent before the stream is polled"
    );

    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(stream.next().await.expect("item").expect("ok").id);
    }
    assert_eq!(ids, vec![1, 2, 3]);
    assert_eq!(
        received(&server).await.len(),
        1,
        "three items come from the first page"
    );

    ids.push(stream.next().await.expect("item").expect("ok").id);
    assert_eq!(
        received(&server).await.len(),
        2,
        "the fourth item needs the second page"
    );

    while let Some(item) = stream.next().await {
        ids.push(item.expect("ok").id);
    }
    assert_eq!(ids, (1..=9).collect::<Vec<_>>());
    let requests = received(&server).await;
    assert_eq!(
        requests.len(),
        3,
        "the last page has no next: no fourth request"
    );
    assert_eq!(
        query(&requests[2]),
        pairs(&[("page_size", "3"), ("direction", "1"), ("last_pk", "6")])
    );
}

#[tokio::test]
async fn limit_stops_early() {
    let server = MockServer::start().await;
    three_pages(&server).await;
    let list = ListRequest::<Book>::new(client(&server), BOOKS.to_string())
        .page_size(3)
        .limit(4);
    let items = list.collect().await.expect("collect");
    assert_eq!(
        items.iter().map(|b| b.id).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(
        received(&server).await.len(),
        2,
        "the third page is never fetched"
    );

    // A limit within the first page: one request, and the page is cut.
    let page = ListRequest::<Book>::new(client(&server), BOOKS.to_string())
        .page_size(3)
        .limit(2)
        .page()
        .await;
    assert_eq!(page.expect("page").objects.len(), 2);
    assert_eq!(received(&server).await.len(), 3);
}

#[tokio::test]
async fn limit_without_page_size_asks_for_that_many() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.1/instances/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "objects": [{"name": "a"}, {"name": "b"}], "next": "/v1.1/instances/?page_size=2&direction=1&last_pk=2", "prev": null
        })))
        .mount(&server)
        .await;
    let names: Vec<String> = ListRequest::<Value>::new(client(&server), "/v1.1/instances/".into())
        .limit(2)
        .collect()
        .await
        .expect("collect")
        .into_iter()
        .filter_map(|v| v["name"].as_str().map(str::to_string))
        .collect();
    assert_eq!(names, vec!["a", "b"]);
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    assert_eq!(query(&requests[0]), pairs(&[("page_size", "2")]));
}

#[tokio::test]
async fn collect_everything() {
    let server = MockServer::start().await;
    three_pages(&server).await;
    let all = ListRequest::<Book>::new(client(&server), BOOKS.to_string())
        .page_size(3)
        .collect()
        .await;
    assert_eq!(
        all.expect("all").iter().map(|b| b.id).collect::<Vec<_>>(),
        (1..=9).collect::<Vec<_>>()
    );
    assert_eq!(received(&server).await.len(), 3);
}

#[tokio::test]
async fn include_count_and_every_parameter() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(BOOKS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "objects": books(5..=5), "next": null, "prev": null, "objects_count": 42
        })))
        .mount(&server)
        .await;
    let page = ListRequest::<Book>::new(client(&server), BOOKS.to_string())
        .page_size(10)
        .direction(Direction::Backward)
        .last_pk(17)
        .last_value("2026-01-01")
        .ordering(Ordering::Desc)
        .order_by("-created_at")
        .query(&json!({"pages": {"_gte": 100}}))
        .fields(["id", "title"])
        .excluded_fields(vec!["owner".to_string()])
        .include_count()
        .param("expand", "author")
        .param("expand", "owner")
        .page()
        .await
        .expect("page");
    assert_eq!(page.objects_count, Some(42));
    assert_eq!(
        page.objects,
        vec![Book {
            id: 5,
            title: "Book 5".into()
        }]
    );
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    assert_eq!(
        query(&requests[0]),
        pairs(&[
            ("page_size", "10"),
            ("direction", "0"),
            ("last_pk", "17"),
            ("last_value", "2026-01-01"),
            ("ordering", "desc"),
            ("order_by", "-created_at"),
            ("query", r#"{"pages":{"_gte":100}}"#),
            ("fields", "id,title"),
            ("excluded_fields", "owner"),
            ("include_count", "1"),
            ("expand", "owner"),
        ])
    );
}

#[tokio::test]
async fn query_accepts_any_serialize() {
    #[derive(serde::Serialize)]
    struct Filter {
        title: std::collections::BTreeMap<&'static str, &'static str>,
    }
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(BOOKS))
        .and(query_param("query", r#"{"title":{"_startswith":"Du"}}"#))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"objects": [], "next": null, "prev": null})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let filter = Filter {
        title: [("_startswith", "Du")].into_iter().collect(),
    };
    let page = ListRequest::<Book>::new(client(&server), BOOKS.to_string())
        .query(&filter)
        .page()
        .await;
    assert!(page.expect("page").is_empty());
}

#[tokio::test]
async fn raw_mode_gives_json() {
    let server = MockServer::start().await;
    three_pages(&server).await;
    let list = ListRequest::<Book>::new(client(&server), BOOKS.to_string()).page_size(3);
    let envelope = list.clone().page_raw().await.expect("raw page");
    assert_eq!(envelope["objects"][2], json!({"id": 3, "title": "Book 3"}));
    assert_eq!(
        envelope["next"],
        json!(format!("{BOOKS}?page_size=3&direction=1&last_pk=3"))
    );
    let raw: Vec<Value> = list.raw().limit(5).collect().await.expect("raw items");
    assert_eq!(raw, books(1..=5));
}

#[tokio::test]
async fn stream_ends_after_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(BOOKS))
        .and(query_param("last_pk", "1"))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(BOOKS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "objects": books(1..=1), "next": format!("{BOOKS}?last_pk=1"), "prev": null
        })))
        .mount(&server)
        .await;
    let results: Vec<_> = ListRequest::<Book>::new(client(&server), BOOKS.to_string())
        .stream()
        .collect()
        .await;
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].as_ref().map(|b| b.id).ok(), Some(1));
    let error = results[1].as_ref().expect_err("second is an error");
    assert_eq!(
        error.status(),
        Some(syncano::StatusCode::INTERNAL_SERVER_ERROR)
    );
    assert!(error.is_retryable());
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn a_page_pointing_at_itself_does_not_loop() {
    let server = MockServer::start().await;
    let again = format!("{BOOKS}?last_pk=0");
    Mock::given(method("GET"))
        .and(path(BOOKS))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"objects": [], "next": again, "prev": null})),
        )
        .mount(&server)
        .await;
    let items = ListRequest::<Book>::new(client(&server), BOOKS.to_string())
        .collect()
        .await
        .expect("ends");
    assert!(items.is_empty());
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn using_runs_through_another_client() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.1/instances/"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"objects": [], "next": null, "prev": null})),
        )
        .mount(&server)
        .await;
    let other = client(&server).with_api_key("ffffffffffffffffffffffffffffffffffffffff");
    ListRequest::<Value>::new(client(&server), "/v1.1/instances/".into())
        .using(&other)
        .page()
        .await
        .expect("page");
    let requests = received(&server).await;
    assert_eq!(
        requests[0]
            .headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok()),
        Some("ffffffffffffffffffffffffffffffffffffffff")
    );
}

#[tokio::test]
async fn a_bad_envelope_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(BOOKS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"objects": [{"id": "x"}]})))
        .mount(&server)
        .await;
    let error = ListRequest::<Book>::new(client(&server), BOOKS.to_string())
        .page()
        .await
        .expect_err("decode");
    assert!(error.is_decode());
    let text = error.to_string();
    assert!(text.contains(BOOKS), "{text}");
    assert!(text.contains(r#"{"objects":[{"id":"x"}]}"#), "{text}");
}

#[tokio::test]
async fn first_asks_for_one_item() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(BOOKS))
        .and(query_param("page_size", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "objects": books(1..=1), "next": format!("{BOOKS}?page_size=1&direction=1&last_pk=1"), "prev": null
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.1/instances/lib/classes/empty/objects/"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"objects": [], "next": null, "prev": null})),
        )
        .mount(&server)
        .await;
    let first = ListRequest::<Book>::new(client(&server), BOOKS.to_string())
        .first()
        .await
        .expect("first");
    assert_eq!(
        first,
        Some(Book {
            id: 1,
            title: "Book 1".into()
        })
    );
    let none = ListRequest::<Book>::new(
        client(&server),
        "/v1.1/instances/lib/classes/empty/objects/".into(),
    )
    .first()
    .await
    .expect("empty");
    assert_eq!(none, None);
    let requests = received(&server).await;
    assert_eq!(requests.len(), 2);
    assert_eq!(query(&requests[0]), pairs(&[("page_size", "1")]));
}

/// The API's links keep only the page size, the ordering and the cursor; following one
/// re-sends the list's other parameters (not the old cursor, not what the link has).
/// The mock's links keep the page size only.
#[tokio::test]
async fn following_a_link_re_sends_what_it_lacks() {
    let server = MockServer::start().await;
    three_pages(&server).await;
    let filter = r#"{"title":{"_startswith":"Book"}}"#;
    let list = ListRequest::<Book>::new(client(&server), BOOKS.to_string())
        .page_size(3)
        .query(&serde_json::from_str::<Value>(filter).expect("json"))
        .fields(["id", "title"])
        .include_count()
        .order_by("title")
        .last_value("Book 0");
    let first = list.clone().page().await.expect("first page");
    let second = first.next_page().await.expect("second").expect("has next");
    second.prev_page().await.expect("prev").expect("has prev");
    let ids: Vec<u64> = list
        .stream()
        .map(|b| b.expect("ok").id)
        .collect::<Vec<_>>()
        .await;
    assert_eq!(ids, (1..=9).collect::<Vec<_>>());

    let requests = received(&server).await;
    let own = [
        ("query", filter),
        ("fields", "id,title"),
        ("include_count", "1"),
        ("order_by", "title"),
    ];
    let with_own = |cursor: &[(&'static str, &'static str)]| {
        let mut all = own.to_vec();
        all.extend_from_slice(cursor);
        pairs(&all)
    };
    let first_query = with_own(&[("page_size", "3"), ("last_value", "Book 0")]);
    let after_3 = with_own(&[("page_size", "3"), ("direction", "1"), ("last_pk", "3")]);
    let before_4 = with_own(&[("page_size", "3"), ("direction", "0"), ("last_pk", "4")]);
    let after_6 = with_own(&[("page_size", "3"), ("direction", "1"), ("last_pk", "6")]);
    let seen: Vec<_> = requests.iter().map(query).collect();
    assert_eq!(
        seen,
        vec![
            first_query.clone(),
            after_3.clone(),
            before_4,
            first_query,
            after_3,
            after_6
        ]
    );
    // The link's own parameters come first, as given; the re-sent ones follow.
    let raw = requests[1].url.query().expect("a query");
    assert!(
        raw.starts_with("page_size=3&direction=1&last_pk=3&"),
        "{raw}"
    );
}
