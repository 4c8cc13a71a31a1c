//! Paging: page_size (default/max 100), direction, last_pk, ordering,
//! order_by with last_value, include_count, relative next/prev.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Api, start};

fn ids(v: &Value) -> Vec<i64> {
    v["objects"]
        .as_array()
        .map(|a| a.iter().filter_map(|o| o["id"].as_i64()).collect())
        .unwrap_or_default()
}

async fn seed(api: &Api, n: i64) -> String {
    let inst = api.instance("pages").await;
    api.class(
        &inst,
        "row",
        json!([{"name": "score", "type": "integer", "order_index": true, "filter_index": true}]),
    )
    .await;
    let objs = format!("{inst}classes/row/objects/");
    // batch in chunks of 50 to keep it quick
    let mut left = n;
    let mut i = 0;
    while left > 0 {
        let take = left.min(50);
        let reqs: Vec<Value> = (0..take)
            .map(|k| json!({"method": "POST", "path": objs, "body": {"score": (i + k) % 7}}))
            .collect();
        let r = api
            .post(&format!("{inst}batch/"), json!({"requests": reqs}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        i += take;
        left -= take;
    }
    objs
}

#[tokio::test]
async fn pages_forward_and_back_with_relative_links() {
    let api = start().await;
    let objs = seed(&api, 250).await;
    let r = api.get(&objs).await;
    assert_eq!(ids(&r.body).len(), 100, "default page size");
    let r = api.get(&format!("{objs}?page_size=1000")).await;
    assert_eq!(ids(&r.body).len(), 100, "capped at 100");
    let r = api.get(&format!("{objs}?page_size=0")).await;
    assert_eq!(r.body["objects"], json!([]));
    assert_eq!(r.body["next"], Value::Null);
    let r = api
        .get(&format!("{objs}?page_size=99999999999999999999999"))
        .await;
    assert_eq!(ids(&r.body).len(), 100);
    for bad in ["-1", "abc", "1.5"] {
        let r = api.get(&format!("{objs}?page_size={bad}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            r.body,
            json!({"detail": "Incorrect page parameter provided."})
        );
    }

    // forward through every page; links carry page_size and the cursor only, so
    // the client re-sends include_count as a client of the platform does
    let mut seen = Vec::new();
    let mut next = Some(format!("{objs}?page_size=30"));
    let mut pages = 0;
    let mut last_body = Value::Null;
    while let Some(path) = next {
        let r = api.get(&format!("{path}&include_count=1")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["objects_count"], 250);
        seen.extend(ids(&r.body));
        if pages == 0 {
            assert_eq!(r.body["prev"], Value::Null, "a first page has no prev");
        }
        next = r.body["next"].as_str().map(str::to_owned);
        if let Some(n) = &next {
            let last = seen.last().expect("a full page");
            assert_eq!(
                n,
                &format!("{objs}?page_size=30&direction=1&last_pk={last}")
            );
        }
        pages += 1;
        last_body = r.body;
    }
    assert_eq!(pages, 9, "8 full pages, then 10 objects and no next");
    assert_eq!(seen, (1..=250).collect::<Vec<_>>());

    // and back from the last page: a page read backward links back while it is
    // full, so the walk ends on an empty page whose next is the first page
    let mut back = Vec::new();
    let mut prev = last_body["prev"].as_str().map(str::to_owned);
    back.extend(ids(&last_body).into_iter().rev());
    let mut last_back = Value::Null;
    while let Some(path) = prev {
        assert!(path.contains("direction=0"), "{path}");
        let r = api.get(&path).await;
        let mut page = ids(&r.body);
        page.reverse();
        back.extend(page);
        prev = r.body["prev"].as_str().map(str::to_owned);
        last_back = r.body;
    }
    assert_eq!(back, (1..=250).rev().collect::<Vec<_>>());
    assert_eq!(last_back["objects"], json!([]));
    assert_eq!(last_back["next"], format!("{objs}?page_size=30"));

    // ordering=desc is not carried by the links of data objects (only order_by is):
    // the client re-sends it
    let r = api.get(&format!("{objs}?ordering=desc&page_size=3")).await;
    assert_eq!(ids(&r.body), vec![250, 249, 248]);
    let n = r.body["next"].as_str().expect("next").to_owned();
    assert_eq!(n, format!("{objs}?page_size=3&direction=1&last_pk=248"));
    let r = api.get(&format!("{n}&ordering=desc")).await;
    assert_eq!(ids(&r.body), vec![247, 246, 245]);
}

#[tokio::test]
async fn order_by_field_with_last_value() {
    let api = start().await;
    let objs = seed(&api, 40).await;
    let score = |v: &Value| -> Vec<(i64, i64)> {
        v["objects"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|o| Some((o["score"].as_i64()?, o["id"].as_i64()?)))
                    .collect()
            })
            .unwrap_or_default()
    };
    for (param, desc) in [("score", false), ("-score", true)] {
        let mut all = Vec::new();
        let mut next = Some(format!("{objs}?order_by={param}&page_size=7"));
        while let Some(p) = next {
            let r = api.get(&p).await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
            all.extend(score(&r.body));
            next = r.body["next"].as_str().map(str::to_owned);
            if let Some(n) = &next {
                assert!(n.contains("last_value="), "{n}");
            }
        }
        let mut want = all.clone();
        want.sort();
        if desc {
            want.reverse();
        }
        assert_eq!(all.len(), 40);
        let keys: Vec<i64> = all.iter().map(|x| x.0).collect();
        let want_keys: Vec<i64> = want.iter().map(|x| x.0).collect();
        assert_eq!(keys, want_keys, "{param}");
        let mut uniq: Vec<i64> = all.iter().map(|x| x.1).collect();
        uniq.sort();
        uniq.dedup();
        assert_eq!(uniq.len(), 40, "no object twice, none lost ({param})");
    }
    let r = api.get(&format!("{objs}?order_by=nope")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

/// Plain lists link as the platform does: a full page always links onward (here the
/// last of 6 groups in pages of 3, onto an empty page), links keep `page_size` and
/// `ordering`, and a page read forward links back even when it is empty.
#[tokio::test]
async fn a_full_last_page_links_onto_an_empty_one() {
    let api = start().await;
    let inst = api.instance("fullpages").await;
    let groups = format!("{inst}groups/");
    for n in 1..=6 {
        let r = api
            .post(&groups, json!({"label": format!("group {n}")}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let r = api
        .get(&format!("{groups}?ordering=desc&page_size=3"))
        .await;
    assert_eq!(ids(&r.body), vec![6, 5, 4]);
    assert_eq!(r.body["prev"], Value::Null);
    let next = r.body["next"].as_str().expect("a full page links onward");
    assert_eq!(
        next,
        format!("{groups}?page_size=3&ordering=desc&direction=1&last_pk=4")
    );
    let r = api.get(next).await;
    assert_eq!(ids(&r.body), vec![3, 2, 1]);
    assert_eq!(
        r.body["prev"],
        format!("{groups}?page_size=3&ordering=desc&direction=0&last_pk=3")
    );
    let next = r.body["next"].as_str().expect("still full").to_owned();
    let r = api.get(&next).await;
    assert_eq!(r.body["objects"], json!([]));
    assert_eq!(r.body["next"], Value::Null);
    assert_eq!(
        r.body["prev"],
        format!("{groups}?page_size=3&ordering=desc&direction=0"),
        "an empty page read forward links back from the end"
    );
    let r = api.get(r.body["prev"].as_str().expect("prev")).await;
    assert_eq!(ids(&r.body), vec![3, 2, 1], "the last page, read backward");
    // without a direction, a last_pk is not a cursor
    let r = api.get(&format!("{groups}?last_pk=4")).await;
    assert_eq!(ids(&r.body), vec![1, 2, 3, 4, 5, 6]);
}

/// Records keyed by name (instances, classes ...) are listed in creation order, as
/// the platform lists them by its integer primary key, which is also their cursor.
#[tokio::test]
async fn named_records_page_in_creation_order_by_integer_cursor() {
    let api = start().await;
    for name in ["zeta-shop", "alpha-shop", "mid-shop"] {
        api.instance(name).await;
    }
    let r = api.get("/v1.1/instances/?page_size=2").await;
    let names: Vec<&str> = r.body["objects"]
        .as_array()
        .map(|a| a.iter().filter_map(|o| o["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["zeta-shop", "alpha-shop"]);
    let next = r.body["next"].as_str().expect("a full page");
    assert_eq!(next, "/v1.1/instances/?page_size=2&direction=1&last_pk=2");
    let r = api.get(next).await;
    assert_eq!(r.body["objects"][0]["name"], "mid-shop");
    assert_eq!(r.body["objects"].as_array().map(Vec::len), Some(1));
    let r = api
        .get("/v1.1/instances/?direction=1&last_pk=alpha-shop")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({"detail": "Incorrect page parameter provided."})
    );
    // the creation number stays hidden
    assert!(
        api.get("/v1.1/instances/zeta-shop/")
            .await
            .body
            .as_object()
            .is_some_and(|o| o.keys().all(|k| !k.starts_with("__")))
    );
}
