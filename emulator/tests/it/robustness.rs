//! Bad input never brings the emulator down; parallel writers lose nothing.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::start;

#[tokio::test]
async fn oversized_malformed_and_wrong_shapes() {
    let api = start().await;
    let inst = api.instance("robust").await;
    api.class(&inst, "c", json!([{"name": "s", "type": "string"}]))
        .await;
    let objs = format!("{inst}classes/c/objects/");

    let big = format!("{{\"s\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let (status, b) = api.post_raw(&objs, "application/json", big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(b["detail"].is_string());

    let (status, b) = api.post_raw(&objs, "application/json", "{\"s\": ").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        b["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("JSON parse error - ")),
        "{b}"
    );

    let (status, b) = api
        .post_raw(&objs, "multipart/mixed; boundary=x", "--x--")
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        b,
        json!({"detail": "Unsupported media type \"multipart/mixed\" in request."})
    );
    // multipart forms are parsed (text parts are fields); a broken one is a parse error
    let (status, b) = api
        .post_raw(
            &objs,
            "multipart/form-data; boundary=x",
            "--x\r\nContent-Disposition: form-data; name=\"s\"\r\n\r\nfrom multipart\r\n--x--\r\n",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(b["s"], "from multipart");
    let (status, b) = api
        .post_raw(
            &objs,
            "multipart/form-data; boundary=x",
            "--x\r\nContent-Disposition: form-data; name=\"s\"\r\n\r\nnever closed",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        b["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("Multipart form parse error - ")),
        "{b}"
    );
    // form bodies are accepted
    let r = api
        .http
        .post(format!("{}{objs}", api.base))
        .header("X-API-KEY", &api.key)
        .form(&[("s", "from a form")])
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), StatusCode::CREATED);
    let b: Value = r.json().await.expect("json");
    assert_eq!(b["s"], "from a form");
    let r = api.post(&objs, json!([1, 2])).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})
    );
    let r = api
        .post(
            &format!("{inst}classes/"),
            json!({"name": 5, "schema": {"a": 1}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api
        .post(&format!("{inst}api_keys/"), json!({"ignore_acl": "maybe"}))
        .await;
    assert_eq!(
        r.body,
        json!({"ignore_acl": ["\"maybe\" is not a valid boolean."]})
    );
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,20}".prop_map(Value::String),
        prop_oneof![
            Just("_increment"),
            Just("_add"),
            Just("_gt"),
            Just("_in"),
            Just("_near")
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("name".to_owned()),
                    Just("schema".to_owned()),
                    Just("s".to_owned()),
                    Just("n".to_owned()),
                    Just("requests".to_owned()),
                    Just("expected_revision".to_owned()),
                    Just("_increment".to_owned()),
                    "[a-z_]{1,8}",
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn arbitrary_bodies_and_queries_never_fail_the_server() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let api = rt.block_on(async {
        let api = start().await;
        let inst = api.instance("fuzzing").await;
        api.class(
            &inst,
            "c",
            json!([
                {"name": "s", "type": "string", "filter_index": true, "order_index": true},
                {"name": "n", "type": "integer", "filter_index": true},
                {"name": "a", "type": "array", "filter_index": true}
            ]),
        )
        .await;
        api.post(
            &format!("{inst}classes/c/objects/"),
            json!({"s": "x", "n": 1}),
        )
        .await;
        api
    });
    let paths = [
        "/v1.1/instances/",
        "/v1.1/instances/fuzzing/",
        "/v1.1/instances/fuzzing/classes/",
        "/v1.1/instances/fuzzing/classes/c/",
        "/v1.1/instances/fuzzing/classes/c/objects/",
        "/v1.1/instances/fuzzing/classes/c/objects/1/",
        "/v1.1/instances/fuzzing/batch/",
        "/v1.1/instances/fuzzing/users/",
        "/v1.1/instances/fuzzing/channels/default/publish/",
        "/v1.1/instances/fuzzing/api_keys/",
        "/v1.1/account/",
        "/v1.1/account/auth/",
    ];
    let methods = [
        Method::GET,
        Method::POST,
        Method::PATCH,
        Method::PUT,
        Method::DELETE,
    ];
    let strategy = (
        prop_oneof![
            3 => (0..paths.len()).prop_map(|i| paths[i].to_owned()),
            1 => prop::collection::vec(
                prop_oneof![
                    Just("instances".to_owned()),
                    Just("fuzzing".to_owned()),
                    Just("classes".to_owned()),
                    Just("objects".to_owned()),
                    Just("c".to_owned()),
                    "[a-z0-9_.%-]{1,8}",
                    "[0-9]{1,20}",
                ],
                0..7,
            )
            .prop_map(|segs| format!("/v1.1/{}/", segs.join("/")).replace("//", "/")),
        ],
        0..methods.len(),
        json_value(),
        prop::collection::vec(
            (
                prop_oneof![
                    Just("page_size"),
                    Just("direction"),
                    Just("last_pk"),
                    Just("last_value"),
                    Just("order_by"),
                    Just("ordering"),
                    Just("query"),
                    Just("fields"),
                    Just("excluded_fields"),
                    Just("include_count")
                ],
                prop_oneof![
                    ".{0,12}".boxed(),
                    json_value().prop_map(|v| v.to_string()).boxed()
                ],
            ),
            0..4,
        ),
        any::<bool>(),
    );
    let mut runner = TestRunner::new(Config {
        cases: 300,
        ..Config::default()
    });
    let result = runner.run(&strategy, |(path, mi, body, query, raw)| {
        let path = path.as_str();
        // never delete the fixtures themselves
        let method = if methods[mi] == Method::DELETE && !path.ends_with("objects/1/") {
            Method::GET
        } else {
            methods[mi].clone()
        };
        let qs: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())))
            .finish();
        let url = format!("{}{path}?{qs}", api.base);
        if reqwest::Url::parse(&url).is_err() {
            return Ok(());
        }
        let (status, text) = rt.block_on(async {
            let mut rb = api
                .http
                .request(method.clone(), &url)
                .header("X-API-KEY", &api.key);
            rb = if raw {
                rb.header("content-type", "application/json")
                    .body(body.to_string().chars().rev().collect::<String>())
            } else {
                rb.json(&body)
            };
            let resp = rb.send().await.expect("server answers");
            let status = resp.status();
            (status, resp.text().await.expect("body"))
        });
        prop_assert!(
            !status.is_server_error(),
            "{method} {url} {body} -> {status} {text}"
        );
        if status != StatusCode::NO_CONTENT {
            let parsed: Result<Value, _> = serde_json::from_str(&text);
            prop_assert!(parsed.is_ok(), "{method} {url} -> non-JSON {text}");
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // still alive and consistent
    let r = rt.block_on(api.get("/v1.1/instances/fuzzing/classes/c/"));
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_writers_lose_nothing() {
    let api = std::sync::Arc::new(start().await);
    let inst = api.instance("parallel").await;
    api.class(
        &inst,
        "c",
        json!([{"name": "n", "type": "integer"}, {"name": "w", "type": "integer"}]),
    )
    .await;
    let objs = format!("{inst}classes/c/objects/");
    let counter = api.post(&objs, json!({"n": 0, "w": -1})).await.body["id"]
        .as_i64()
        .expect("id");

    let mut tasks = Vec::new();
    for w in 0..16 {
        let api = api.clone();
        let objs = objs.clone();
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for i in 0..50 {
                let r = api.post(&objs, json!({"n": i, "w": w})).await;
                assert_eq!(r.status, StatusCode::CREATED);
                let id = r.body["id"].as_i64().expect("id");
                let r = api
                    .patch(&format!("{objs}{id}/"), json!({"n": {"_increment": 1000}}))
                    .await;
                assert_eq!(r.status, StatusCode::OK);
                assert_eq!(r.body["revision"], 2);
                let r = api
                    .patch(
                        &format!("{objs}{counter}/"),
                        json!({"n": {"_increment": 1}}),
                    )
                    .await;
                assert_eq!(r.status, StatusCode::OK);
                acked.push((id, i + 1000));
            }
            acked
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("task"));
    }
    assert_eq!(all.len(), 800);
    let mut ids: Vec<i64> = all.iter().map(|x| x.0).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 800, "ids unique");
    for (id, n) in &all {
        let r = api.get(&format!("{objs}{id}/")).await;
        assert_eq!(r.body["n"], *n);
        assert_eq!(r.body["revision"], 2);
    }
    let r = api.get(&format!("{objs}{counter}/")).await;
    assert_eq!(r.body["n"], 800);
    assert_eq!(r.body["revision"], 801);
    let r = api
        .get(&format!("{objs}?include_count=1&page_size=1"))
        .await;
    assert_eq!(r.body["objects_count"], 801);
}
