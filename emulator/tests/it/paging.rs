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

    // forward through every page
    let mut seen = Vec::new();
    let mut next = Some(format!("{objs}?page_size=30&include_count=1"));
    let mut pages = 0;
    let mut last_body = Value::Null;
    while let Some(path) = next {
        let r = api.get(&path).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["objects_count"], 250);
        seen.extend(ids(&r.body));
        next = r.body["next"].as_str().map(str::to_owned);
        if let Some(n) = &next {
            assert!(n.starts_with(&objs), "relative path: {n}");
            assert!(
                n.contains("page_size=30") && n.contains("include_count=1"),
                "{n}"
            );
            assert!(n.contains("direction=1"), "{n}");
        }
        pages += 1;
        last_body = r.body;
    }
    assert_eq!(pages, 9);
    assert_eq!(seen, (1..=250).collect::<Vec<_>>());

    // and back from the last page
    let mut back = Vec::new();
    let mut prev = last_body["prev"].as_str().map(str::to_owned);
    back.extend(ids(&last_body).into_iter().rev());
    while let Some(path) = prev {
        assert!(path.contains("direction=0"), "{path}");
        let r = api.get(&path).await;
        let mut page = ids(&r.body);
        page.reverse();
        back.extend(page);
        prev = r.body["prev"].as_str().map(str::to_owned);
    }
    assert_eq!(back, (1..=250).rev().collect::<Vec<_>>());

    // ordering=desc
    let r = api.get(&format!("{objs}?ordering=desc&page_size=3")).await;
    assert_eq!(ids(&r.body), vec![250, 249, 248]);
    let n = r.body["next"].as_str().expect("next").to_owned();
    let r = api.get(&n).await;
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
