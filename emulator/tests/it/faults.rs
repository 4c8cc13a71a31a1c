//! The fault proxy (`syncano_emulator::faults`) in front of a real emulator, driven with
//! reqwest: each fault kind shows up to the client as the failure it stands for.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use syncano_emulator::faults::{FaultKind, FaultMix, FaultProxy};

use crate::common::start;

/// One POST creating an instance named `name` through `base`.
async fn create(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    name: &str,
) -> reqwest::Result<reqwest::Response> {
    http.post(format!("{base}/v1.1/instances/"))
        .header("X-API-KEY", key)
        .json(&json!({"name": name}))
        .send()
        .await
}

#[tokio::test]
async fn each_fault_kind_reaches_the_client_as_its_failure() {
    let api = start().await;
    let proxy = FaultProxy::start(
        api.emu.addr(),
        FaultMix::none().delay(Duration::from_millis(150)),
        1,
    )
    .await
    .expect("proxy starts");
    let base = proxy.base_url();
    let http = reqwest::Client::new();

    // forwarded untouched
    let ok = create(&http, &base, &api.key, "plain-one")
        .await
        .expect("forwarded");
    assert_eq!(ok.status(), StatusCode::CREATED);
    assert_eq!(ok.headers()["connection"], "close");

    // 503 and 429 with Retry-After, never reaching the server
    for (kind, status) in [
        (
            FaultKind::ServiceUnavailable,
            StatusCode::SERVICE_UNAVAILABLE,
        ),
        (FaultKind::TooManyRequests, StatusCode::TOO_MANY_REQUESTS),
    ] {
        proxy.script([Some(kind)]);
        let answer = create(&http, &base, &api.key, "refused-one")
            .await
            .expect("an answer");
        assert_eq!(answer.status(), status);
        assert_eq!(answer.headers()["retry-after"], "0");
        assert!(answer.text().await.unwrap().contains("fault proxy"));
    }

    // a reset: an error, nothing applied
    proxy.script([Some(FaultKind::ResetBeforeForward)]);
    let reset = create(&http, &base, &api.key, "reset-one").await;
    assert!(reset.is_err(), "{reset:?}");

    // dropped after forwarding: an error, but applied
    proxy.script([Some(FaultKind::DropAfterForward)]);
    let dropped = create(&http, &base, &api.key, "dropped-one").await;
    assert!(dropped.is_err(), "{dropped:?}");

    // truncated: the head arrives, the body does not decode
    proxy.script([Some(FaultKind::TruncateBody)]);
    let truncated = match create(&http, &base, &api.key, "truncated-one").await {
        Ok(answer) => answer.bytes().await.map(|_| ()),
        Err(e) => Err(e),
    };
    assert!(truncated.is_err(), "{truncated:?}");

    // late but whole
    proxy.script([Some(FaultKind::Delay)]);
    let started = Instant::now();
    let late = create(&http, &base, &api.key, "late-one")
        .await
        .expect("answered");
    assert_eq!(late.status(), StatusCode::CREATED);
    assert!(started.elapsed() >= Duration::from_millis(150));

    // what the server holds: the forwarded creates, and only those
    let list = api
        .call(
            reqwest::Method::GET,
            "/v1.1/instances/",
            Some(&api.key),
            None,
        )
        .await;
    let mut names: Vec<&str> = list.body["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["dropped-one", "late-one", "plain-one", "truncated-one"]
    );

    let stats = proxy.stats();
    assert_eq!(stats.requests, 7);
    assert_eq!(stats.forwarded, 4);
    assert_eq!(stats.total_faults(), 6);
    assert!(
        FaultKind::ALL.iter().all(|k| stats.faults(*k) == 1),
        "{stats}"
    );
    proxy.shutdown().await;
}

#[tokio::test]
async fn a_seeded_mix_faults_about_its_share_and_repeats_itself() {
    let api = start().await;
    let mut runs = Vec::new();
    for _ in 0..2 {
        let proxy = FaultProxy::start(
            api.emu.addr(),
            FaultMix::each(0.05).delay(Duration::ZERO),
            42,
        )
        .await
        .expect("proxy starts");
        let http = reqwest::Client::new();
        let mut outcomes = Vec::new();
        for _ in 0..100 {
            let answer = http
                .get(format!("{}/v1.1/instances/", proxy.base_url()))
                .header("X-API-KEY", &api.key)
                .send()
                .await;
            let outcome = match answer {
                Ok(a) => match a.bytes().await {
                    Ok(_) => "answered",
                    Err(_) => "cut",
                },
                Err(_) => "error",
            };
            outcomes.push(outcome);
        }
        let stats = proxy.stats();
        assert_eq!(stats.requests, 100, "{stats}");
        assert!((10..=55).contains(&stats.total_faults()), "{stats}");
        runs.push((outcomes, stats));
        proxy.shutdown().await;
    }
    assert_eq!(runs[0], runs[1], "the same seed gives the same faults");
}
