//! Streaming a whole class page by page (100 objects a page, following `next`),
//! for 10,000 and 100,000 objects: with paging by index a page costs the same
//! however long the list, so the 100k stream should take about ten times the 10k
//! one (the bound is twelve).

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use syncano_emulator::{Emulator, EmulatorConfig, RunningEmulator};

/// Objects created per batch request (the batch endpoint's limit).
const BATCH: usize = 50;

struct Fixture {
    _emu: RunningEmulator,
    http: reqwest::Client,
    base: String,
    key: String,
}

/// An emulator whose instance `bench` holds a class `row` of `count` objects.
async fn fixture(count: usize) -> Option<Fixture> {
    let emu = Emulator::start(EmulatorConfig::default()).await.ok()?;
    let http = reqwest::Client::new();
    let base = emu.base_url();
    let key = emu.account_key().to_owned();
    let post = |path: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .header("X-API-KEY", &key)
            .json(&body)
            .send()
    };
    post("/v1.1/instances/", json!({"name": "bench"}))
        .await
        .ok()?;
    post(
        "/v1.1/instances/bench/classes/",
        json!({"name": "row", "schema": [{"name": "n", "type": "integer"}]}),
    )
    .await
    .ok()?;
    for chunk in 0..count / BATCH {
        let reqs: Vec<Value> = (0..BATCH)
            .map(|i| json!({"method": "POST", "path": "/v1.1/instances/bench/classes/row/objects/", "body": {"n": chunk * BATCH + i}}))
            .collect();
        let r = post("/v1.1/instances/bench/batch/", json!({"requests": reqs}))
            .await
            .ok()?;
        if !r.status().is_success() {
            return None;
        }
    }
    Some(Fixture {
        _emu: emu,
        http,
        base,
        key,
    })
}

/// Reads every page of the class; returns how many objects came.
async fn stream(f: &Fixture) -> usize {
    let mut next = Some("/v1.1/instances/bench/classes/row/objects/?page_size=100".to_owned());
    let mut seen = 0;
    while let Some(path) = next.take() {
        let Ok(r) = f
            .http
            .get(format!("{}{path}", f.base))
            .header("X-API-KEY", &f.key)
            .send()
            .await
        else {
            break;
        };
        let Ok(page) = r.json::<Value>().await else {
            break;
        };
        seen += page["objects"].as_array().map_or(0, Vec::len);
        next = page["next"].as_str().map(str::to_owned);
    }
    seen
}

fn bench(c: &mut Criterion) {
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("skipped: no tokio runtime: {e}");
            return;
        }
    };
    let mut g = c.benchmark_group("stream_objects");
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(20));
    for count in [10_000usize, 100_000] {
        let Some(f) = rt.block_on(fixture(count)) else {
            eprintln!("skipped {count}: the emulator could not be filled");
            continue;
        };
        let streamed = rt.block_on(stream(&f));
        assert_eq!(streamed, count, "the stream returns every object once");
        g.throughput(Throughput::Elements(count as u64));
        g.bench_with_input(BenchmarkId::from_parameter(count), &f, |b, f| {
            b.to_async(&rt).iter(|| stream(f));
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
