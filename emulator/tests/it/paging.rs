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

/// Walks every page of `first` forward, following `next`; (every object, the
/// `objects_count` of each page).
async fn walk(api: &Api, first: &str, count: bool) -> (Vec<Value>, Vec<Value>) {
    let (mut objects, mut counts) = (Vec::new(), Vec::new());
    let mut next = Some(first.to_owned());
    while let Some(path) = next {
        let path = if count {
            format!("{path}&include_count=1")
        } else {
            path
        };
        let r = api.get(&path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
        objects.extend(r.body["objects"].as_array().cloned().unwrap_or_default());
        counts.push(r.body["objects_count"].clone());
        next = r.body["next"].as_str().map(str::to_owned);
    }
    (objects, counts)
}

/// The (score, id) pairs of a list of objects.
fn scored(objects: &[Value]) -> Vec<(Option<i64>, i64)> {
    objects
        .iter()
        .filter_map(|o| Some((o["score"].as_i64(), o["id"].as_i64()?)))
        .collect()
}

/// A list ordered by a field pages through the class's index by that field, which
/// follows every write: an update moves an object, a delete takes it out, a create
/// adds it, an unset value sorts last. A filter still applies, and the count is the
/// count of what the filter keeps.
#[tokio::test]
async fn a_list_ordered_by_a_field_follows_every_write() {
    let api = start().await;
    let objs = seed(&api, 30).await;
    // the first list by score builds the index
    let (before, _) = walk(&api, &format!("{objs}?order_by=score&page_size=4"), false).await;
    assert_eq!(before.len(), 30);
    let r = api.patch(&format!("{objs}1/"), json!({"score": 100})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = api
        .patch(&format!("{objs}3/"), json!({"score": null}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = api.delete(&format!("{objs}2/")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = api.post(&objs, json!({"score": -1})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    // what the class holds now, read by id
    let (by_id, _) = walk(&api, &format!("{objs}?page_size=100"), false).await;
    let mut want = scored(&by_id);
    assert_eq!(want.len(), 30);
    // ascending: by score, unset last, ties by id
    want.sort_by_key(|(score, id)| (score.is_none(), *score, *id));
    let (asc, counts) = walk(&api, &format!("{objs}?order_by=score&page_size=4"), true).await;
    assert_eq!(scored(&asc), want);
    assert!(counts.iter().all(|c| *c == 30), "{counts:?}");
    let (desc, _) = walk(&api, &format!("{objs}?order_by=-score&page_size=4"), false).await;
    let mut want_desc = want.clone();
    want_desc.reverse();
    assert_eq!(scored(&desc), want_desc);

    // a filter applies to the pages and to the count
    let query = "query=%7B%22score%22%3A%7B%22_gte%22%3A3%7D%7D";
    let kept: Vec<(Option<i64>, i64)> = want
        .iter()
        .copied()
        .filter(|(s, _)| s.is_some_and(|s| s >= 3))
        .collect();
    let mut next = Some(format!("{objs}?order_by=score&page_size=4"));
    let mut filtered = Vec::new();
    while let Some(path) = next {
        let r = api.get(&format!("{path}&{query}&include_count=1")).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert_eq!(r.body["objects_count"], kept.len());
        filtered.extend(r.body["objects"].as_array().cloned().unwrap_or_default());
        next = r.body["next"].as_str().map(str::to_owned);
    }
    assert_eq!(scored(&filtered), kept);

    // backward from a cursor on an unset value: the objects before it
    let unset = want
        .iter()
        .position(|(s, _)| s.is_none())
        .expect("object 3");
    let r = api
        .get(&format!(
            "{objs}?order_by=score&page_size=2&direction=0&last_pk={}",
            want[unset].1
        ))
        .await;
    assert_eq!(
        scored(r.body["objects"].as_array().expect("a page")),
        want[unset - 2..unset]
    );
}

/// Records keyed by name page from their creation order, which follows creates,
/// deletes and renames, forward and backward, in either `ordering`; the count of a
/// list without a filter is the collection's length.
#[tokio::test]
async fn named_records_page_in_creation_order_through_writes() {
    let api = start().await;
    let inst = api.instance("named").await;
    let templates = format!("{inst}snippets/templates/");
    let names = |objects: &[Value]| -> Vec<String> {
        objects
            .iter()
            .filter_map(|o| o["name"].as_str().map(str::to_owned))
            .collect()
    };
    // a new instance holds its predefined templates first
    let (predefined, _) = walk(&api, &format!("{templates}?page_size=100"), false).await;
    let mut want = names(&predefined);
    for n in ["t-zeta", "t-alpha", "t-mid", "t-beta", "t-omega"] {
        let r = api
            .post(
                &templates,
                json!({"name": n, "content": "x", "content_type": "text/plain"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        want.push(n.to_owned());
    }
    let r = api.delete(&format!("{templates}t-mid/")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    want.retain(|n| n != "t-mid");
    let r = api
        .post(
            &format!("{templates}t-alpha/rename/"),
            json!({"new_name": "t-first"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    for n in want.iter_mut().filter(|n| *n == "t-alpha") {
        *n = "t-first".to_owned();
    }

    let (asc, counts) = walk(&api, &format!("{templates}?page_size=2"), true).await;
    assert_eq!(names(&asc), want);
    assert!(counts.iter().all(|c| *c == want.len()), "{counts:?}");
    let (desc, _) = walk(
        &api,
        &format!("{templates}?page_size=2&ordering=desc"),
        false,
    )
    .await;
    let mut want_desc = want.clone();
    want_desc.reverse();
    assert_eq!(names(&desc), want_desc);

    // backward from the end, page by page
    let mut back = Vec::new();
    let mut prev = Some(format!("{templates}?page_size=2&direction=0"));
    while let Some(path) = prev {
        let r = api.get(&path).await;
        let mut page = names(r.body["objects"].as_array().expect("a page"));
        page.reverse();
        back.extend(page);
        prev = r.body["prev"].as_str().map(str::to_owned);
    }
    back.reverse();
    assert_eq!(back, want);
}
