//! Paging and filtering through the SDK against the embedded server: many pages in both
//! directions with an ordering that has ties, and every filter operator with the exact
//! set it must select.
#![cfg(not(syncano_custom_schema))]

mod support;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use syncano::{
    ClassCreate, Client, DataObject, DataObjectCreate, DataObjectManager, InstanceCreate, Page,
};
use syncano_emulator::RunningEmulator;

async fn connect(instance: &str) -> (RunningEmulator, Client) {
    let (server, client) = support::emulator_admin().await;
    client
        .instances()
        .create(&InstanceCreate::new(instance))
        .await
        .expect("instance");
    (server, client)
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Scored {
    n: i64,
    score: i64,
}

async fn scored(count: i64) -> (RunningEmulator, DataObjectManager<Scored>) {
    let (server, client) = connect("paging").await;
    let classes = client.instances().classes("paging");
    let schema = json!([
        {"name": "n", "type": "integer", "filter_index": true},
        {"name": "score", "type": "integer", "filter_index": true, "order_index": true}
    ]);
    classes
        .create(&ClassCreate::new("scored", schema))
        .await
        .expect("class");
    let objects = classes.objects::<Scored>("scored");
    for n in 0..count {
        objects
            .create(&DataObjectCreate::new(Scored { n, score: n % 7 }))
            .await
            .expect("object");
    }
    (server, objects)
}

fn ns(page: &Page<DataObject<Scored>>) -> Vec<i64> {
    page.objects.iter().map(|o| o.data.n).collect()
}

/// Walks forward to the end, then back to the start, checking every page both ways.
async fn walk(objects: &DataObjectManager<Scored>, order_by: &str, expected: &[i64]) {
    let mut forward = vec![
        objects
            .list()
            .order_by(order_by)
            .page_size(30)
            .page()
            .await
            .expect("first page"),
    ];
    while let Some(next) = forward
        .last()
        .expect("a page")
        .next_page()
        .await
        .expect("next")
    {
        forward.push(next);
    }
    let seen: Vec<i64> = forward.iter().flat_map(ns).collect();
    assert_eq!(seen, expected, "forward with order_by={order_by}");
    assert_eq!(forward.len(), expected.len().div_ceil(30));

    let mut page = forward.pop().expect("the last page");
    while let Some(previous) = page.prev_page().await.expect("prev") {
        if previous.is_empty() {
            // A page read backward links back while it is full, as on the platform:
            // the first page (full here) leads back to an empty page, which ends it.
            assert!(forward.is_empty(), "an empty page only before the first");
            assert!(!previous.has_prev());
            assert!(previous.has_next(), "an empty page links to the first page");
            break;
        }
        let expected_page = forward.pop().expect("as many pages back as forward");
        assert_eq!(
            ns(&previous),
            ns(&expected_page),
            "backward with order_by={order_by}"
        );
        page = previous;
    }
    assert!(forward.is_empty(), "walked back to the first page");
}

#[tokio::test]
async fn pages_forward_and_back_in_every_ordering() {
    let (server, objects) = scored(250).await;
    let mut by_id: Vec<i64> = (0..250).collect();
    walk(&objects, "id", &by_id).await;
    by_id.reverse();
    walk(&objects, "-id", &by_id).await;

    // Ties on score are broken by id, in the direction of the ordering.
    let mut by_score: Vec<i64> = (0..250).collect();
    by_score.sort_by_key(|n| (n % 7, *n));
    walk(&objects, "score", &by_score).await;
    by_score.reverse();
    walk(&objects, "-score", &by_score).await;

    let counted = objects
        .list()
        .include_count()
        .page_size(500)
        .page()
        .await
        .expect("page");
    assert_eq!(counted.objects.len(), 100, "page_size is capped at 100");
    assert_eq!(counted.objects_count, Some(250));

    let streamed: Vec<i64> = objects
        .list()
        .page_size(40)
        .collect()
        .await
        .expect("stream")
        .iter()
        .map(|o| o.data.n)
        .collect();
    assert_eq!(streamed, (0..250).collect::<Vec<_>>());
    let limited = objects.list().limit(45).collect().await.expect("limit");
    assert_eq!(limited.len(), 45);

    // The server's links carry only page_size, order_by and the cursor: the filter
    // and the field selection hold across pages because the SDK re-sends them.
    let filtered: Vec<i64> = objects
        .list()
        .query(&json!({"score": {"_gte": 4}}))
        .order_by("-score")
        .fields(["id", "n", "score"])
        .page_size(20)
        .collect()
        .await
        .expect("filtered stream")
        .iter()
        .map(|o| o.data.n)
        .collect();
    let mut want: Vec<i64> = (0..250).filter(|n| n % 7 >= 4).collect();
    want.sort_by_key(|n| std::cmp::Reverse((n % 7, *n)));
    assert!(want.len() > 40, "several pages: {}", want.len());
    assert_eq!(filtered, want);
    server.shutdown().await;
}

/// One object of the filter class, kept locally to compute the expected selections.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Row {
    n: i64,
    word: Option<String>,
    ratio: f64,
    flag: bool,
    tags: Vec<String>,
}

fn rows() -> Vec<Row> {
    let words = ["Apple", "banana", "apricot", "Cherry", "grape"];
    (0..10)
        .map(|n| Row {
            n,
            word: (n != 9).then(|| words[n as usize % 5].to_owned()),
            ratio: n as f64 / 4.0,
            flag: n % 2 == 0,
            tags: if n % 3 == 0 {
                vec!["red".into(), "big".into()]
            } else {
                vec!["blue".into()]
            },
        })
        .collect()
}

#[tokio::test]
async fn every_filter_operator_selects_exactly_its_objects() {
    let (server, client) = connect("filters").await;
    let classes = client.instances().classes("filters");
    let schema = json!([
        {"name": "n", "type": "integer", "filter_index": true},
        {"name": "word", "type": "string", "filter_index": true},
        {"name": "ratio", "type": "float", "filter_index": true},
        {"name": "flag", "type": "boolean", "filter_index": true},
        {"name": "tags", "type": "array", "filter_index": true},
        {"name": "spot", "type": "geopoint", "filter_index": true},
        {"name": "unindexed", "type": "integer"}
    ]);
    classes
        .create(&ClassCreate::new("rows", schema))
        .await
        .expect("class");
    let objects = classes.objects::<Value>("rows");
    let data = rows();
    for row in &data {
        let mut body = serde_json::to_value(row).expect("row");
        body["spot"] = json!({"latitude": 52.0 + row.n as f64, "longitude": 21.0});
        objects
            .create(&DataObjectCreate::new(body))
            .await
            .expect("object");
    }

    let select = |query: Value| {
        let objects = objects.clone();
        async move {
            objects.list().query(&query).collect().await.map(|found| {
                found
                    .iter()
                    .filter_map(|o| o.data["n"].as_i64())
                    .collect::<BTreeSet<_>>()
            })
        }
    };
    let expect = |f: &dyn Fn(&Row) -> bool| {
        data.iter()
            .filter(|r| f(r))
            .map(|r| r.n)
            .collect::<BTreeSet<_>>()
    };
    let word = |r: &Row| r.word.clone().unwrap_or_default();

    let cases: Vec<(Value, BTreeSet<i64>)> = vec![
        (json!({"n": {"_gt": 6}}), expect(&|r| r.n > 6)),
        (json!({"n": {"_gte": 6}}), expect(&|r| r.n >= 6)),
        (json!({"n": {"_lt": 3}}), expect(&|r| r.n < 3)),
        (json!({"n": {"_lte": 3}}), expect(&|r| r.n <= 3)),
        (json!({"n": {"_eq": 4}}), expect(&|r| r.n == 4)),
        (json!({"n": {"_neq": 4}}), expect(&|r| r.n != 4)),
        (
            json!({"n": {"_in": [1, 5, 8]}}),
            expect(&|r| [1, 5, 8].contains(&r.n)),
        ),
        (
            json!({"n": {"_nin": [1, 5, 8]}}),
            expect(&|r| ![1, 5, 8].contains(&r.n)),
        ),
        (json!({"ratio": {"_gte": 1.5}}), expect(&|r| r.ratio >= 1.5)),
        (json!({"flag": {"_eq": true}}), expect(&|r| r.flag)),
        (
            json!({"word": {"_exists": false}}),
            expect(&|r| r.word.is_none()),
        ),
        (
            json!({"word": {"_exists": true}}),
            expect(&|r| r.word.is_some()),
        ),
        (
            json!({"word": {"_contains": "an"}}),
            expect(&|r| word(r).contains("an")),
        ),
        (
            json!({"word": {"_icontains": "AP"}}),
            expect(&|r| word(r).to_lowercase().contains("ap")),
        ),
        (
            json!({"word": {"_startswith": "ap"}}),
            expect(&|r| word(r).starts_with("ap")),
        ),
        (
            json!({"word": {"_istartswith": "ap"}}),
            expect(&|r| word(r).to_lowercase().starts_with("ap")),
        ),
        (
            json!({"word": {"_endswith": "e"}}),
            expect(&|r| word(r).ends_with('e')),
        ),
        (
            json!({"word": {"_iendswith": "Y"}}),
            expect(&|r| word(r).to_lowercase().ends_with('y')),
        ),
        (
            json!({"word": {"_like": "%an%"}}),
            expect(&|r| word(r).contains("an")),
        ),
        (
            json!({"word": {"_ilike": "a%"}}),
            expect(&|r| word(r).to_lowercase().starts_with('a')),
        ),
        (
            json!({"word": {"_ieq": "apple"}}),
            expect(&|r| word(r).eq_ignore_ascii_case("apple")),
        ),
        (
            json!({"tags": {"_contains": ["red"]}}),
            expect(&|r| r.tags.contains(&"red".to_owned())),
        ),
        (
            json!({"spot": {"_near": {"latitude": 52.0, "longitude": 21.0, "distance_in_kilometers": 250}}}),
            // One degree of latitude is about 111 km: rows 0, 1 and 2 are within 250 km.
            expect(&|r| r.n <= 2),
        ),
        (
            json!({"n": {"_gte": 2}, "flag": {"_eq": false}}),
            expect(&|r| r.n >= 2 && !r.flag),
        ),
    ];
    for (query, expected) in cases {
        let found = select(query.clone())
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"));
        assert_eq!(found, expected, "query {query}");
    }

    let unknown = select(json!({"n": {"_between": [1, 2]}}))
        .await
        .expect_err("unknown operator");
    assert_eq!(
        unknown.status(),
        Some(syncano::StatusCode::BAD_REQUEST),
        "{unknown}"
    );
    assert!(unknown.is_validation(), "{unknown}");
    let api = unknown.api().expect("an API error");
    assert!(
        api.field_errors.contains_key("query"),
        "the message is under `query`: {api:?}"
    );

    let unindexed = select(json!({"unindexed": {"_eq": 1}}))
        .await
        .expect_err("not filterable");
    assert_eq!(
        unindexed.status(),
        Some(syncano::StatusCode::BAD_REQUEST),
        "{unindexed}"
    );
    server.shutdown().await;
}
