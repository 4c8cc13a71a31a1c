//! Streaming a whole list page by page (100 a page, following `next`), for 10,000
//! and 100,000 records, in each listing order that pages from an index:
//!
//! - `stream_objects`: data objects by id (the collection is the index);
//! - `stream_objects_by_field`: data objects by a class field (`order_by=n`, the
//!   class's index by that field);
//! - `stream_templates`: records keyed by name, in creation order (the store's
//!   creation-order index).
//!
//! With paging by index a page costs the same however long the list, so each 100k
//! stream should take about ten times the 10k one (the bound is twelve).

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use syncano_emulator::{Emulator, EmulatorConfig, RunningEmulator};

/// Records created per batch request (the batch endpoint's limit).
const BATCH: usize = 50;

/// The instance the fixture fills.
const INSTANCE: &str = "/v1.1/instances/bench/";

struct Fixture {
    _emu: RunningEmulator,
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Fixture {
    async fn post(&self, path: &str, body: Value) -> Option<reqwest::Response> {
        self.http
            .post(format!("{}{path}", self.base))
            .header("X-API-KEY", &self.key)
            .json(&body)
            .send()
            .await
            .ok()
            .filter(|r| r.status().is_success())
    }

    async fn get(&self, path: &str) -> Option<Value> {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("X-API-KEY", &self.key)
            .send()
            .await
            .ok()?;
        r.json::<Value>().await.ok()
    }

    /// Creates `count` records through batches of [`BATCH`] `POST`s to `path`, the
    /// body of the `i`-th made by `body`.
    async fn fill(&self, path: &str, count: usize, body: impl Fn(usize) -> Value) -> Option<()> {
        for chunk in 0..count / BATCH {
            let reqs: Vec<Value> = (0..BATCH)
                .map(|i| json!({"method": "POST", "path": path, "body": body(chunk * BATCH + i)}))
                .collect();
            self.post(&format!("{INSTANCE}batch/"), json!({"requests": reqs}))
                .await?;
        }
        Some(())
    }
}

/// One listing order: its benchmark group and the first page of its list.
struct Order {
    group: &'static str,
    first_page: &'static str,
}

const ORDERS: [Order; 3] = [
    Order {
        group: "stream_objects",
        first_page: "/v1.1/instances/bench/classes/row/objects/?page_size=100",
    },
    Order {
        group: "stream_objects_by_field",
        first_page: "/v1.1/instances/bench/classes/row/objects/?page_size=100&order_by=n",
    },
    Order {
        group: "stream_templates",
        first_page: "/v1.1/instances/bench/snippets/templates/?page_size=100",
    },
];

/// An emulator whose instance `bench` holds a class `row` of `count` objects (with an
/// ordered integer field `n`, filled in reverse so that its order is not the ids')
/// and `count` templates besides its predefined ones.
async fn fixture(count: usize) -> Option<Fixture> {
    let emu = Emulator::start(EmulatorConfig::default()).await.ok()?;
    let f = Fixture {
        http: reqwest::Client::new(),
        base: emu.base_url(),
        key: emu.account_key().to_owned(),
        _emu: emu,
    };
    f.post("/v1.1/instances/", json!({"name": "bench"})).await?;
    f.post(
        &format!("{INSTANCE}classes/"),
        json!({"name": "row", "schema": [{"name": "n", "type": "integer", "order_index": true}]}),
    )
    .await?;
    f.fill(
        &format!("{INSTANCE}classes/row/objects/"),
        count,
        |i| json!({"n": count - i}),
    )
    .await?;
    f.fill(
        &format!("{INSTANCE}snippets/templates/"),
        count,
        |i| json!({"name": format!("t{i}"), "content": "{{ i }}", "content_type": "text/plain"}),
    )
    .await?;
    Some(f)
}

/// Reads every page from `first_page` on; returns how many records came.
async fn stream(f: &Fixture, first_page: &str) -> usize {
    let mut next = Some(first_page.to_owned());
    let mut seen = 0;
    while let Some(path) = next.take() {
        let Some(page) = f.get(&path).await else {
            break;
        };
        seen += page["objects"].as_array().map_or(0, Vec::len);
        next = page["next"].as_str().map(str::to_owned);
    }
    seen
}

/// How many records the list of `first_page` holds (`include_count`).
async fn listed(f: &Fixture, first_page: &str) -> Option<usize> {
    let page = f.get(&format!("{first_page}&include_count=1")).await?;
    page["objects_count"]
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
}

fn bench(c: &mut Criterion) {
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("skipped: no tokio runtime: {e}");
            return;
        }
    };
    for count in [10_000usize, 100_000] {
        let Some(f) = rt.block_on(fixture(count)) else {
            eprintln!("skipped {count}: the emulator could not be filled");
            continue;
        };
        for order in &ORDERS {
            let total = rt.block_on(listed(&f, order.first_page));
            let streamed = rt.block_on(stream(&f, order.first_page));
            assert_eq!(
                Some(streamed),
                total,
                "{}: the stream returns every record once",
                order.group
            );
            assert!(streamed >= count, "{}: {streamed} records", order.group);
            let mut g = c.benchmark_group(order.group);
            g.sample_size(10);
            g.warm_up_time(Duration::from_secs(1));
            g.measurement_time(Duration::from_secs(20));
            g.throughput(Throughput::Elements(streamed as u64));
            g.bench_with_input(BenchmarkId::from_parameter(count), &f, |b, f| {
                b.to_async(&rt).iter(|| stream(f, order.first_page));
            });
            g.finish();
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
