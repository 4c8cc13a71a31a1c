//! Emulator throughput: raw HTTP GET of one object and paged list reads,
//! through reqwest on loopback. (The SDK-side comparison lives in the root
//! crate's benches.)

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use syncano_emulator::{Emulator, EmulatorConfig};

fn bench(c: &mut Criterion) {
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("no runtime: {e}");
            return;
        }
    };
    let setup = rt.block_on(async {
        let emu = Emulator::start(EmulatorConfig::default()).await.ok()?;
        let http = reqwest::Client::new();
        let base = emu.base_url();
        let key = emu.account_key().to_owned();
        let post = |path: &str, body: serde_json::Value| {
            http.post(format!("{base}{path}"))
                .header("X-API-KEY", &key)
                .json(&body)
                .send()
        };
        post("/v1.1/instances/", json!({"name": "bench"})).await.ok()?;
        post(
            "/v1.1/instances/bench/classes/",
            json!({"name": "row", "schema": [{"name": "n", "type": "integer"}]}),
        )
        .await
        .ok()?;
        for chunk in 0..10 {
            let reqs: Vec<_> = (0..50)
                .map(|i| json!({"method": "POST", "path": "/v1.1/instances/bench/classes/row/objects/", "body": {"n": chunk * 50 + i}}))
                .collect();
            post("/v1.1/instances/bench/batch/", json!({"requests": reqs})).await.ok()?;
        }
        Some((emu, http, base, key))
    });
    let Some((emu, http, base, key)) = setup else {
        eprintln!("emulator setup failed");
        return;
    };
    let mut g = c.benchmark_group("emulator");
    g.throughput(Throughput::Elements(1));
    g.bench_function("raw_get_object", |b| {
        b.to_async(&rt).iter(|| async {
            let r = http
                .get(format!(
                    "{base}/v1.1/instances/bench/classes/row/objects/250/"
                ))
                .header("X-API-KEY", &key)
                .send()
                .await;
            if let Ok(r) = r {
                let _ = r.bytes().await;
            }
        })
    });
    g.bench_function("raw_list_page_100", |b| {
        b.to_async(&rt).iter(|| async {
            let r = http
                .get(format!(
                    "{base}/v1.1/instances/bench/classes/row/objects/?page_size=100&last_pk=200"
                ))
                .header("X-API-KEY", &key)
                .send()
                .await;
            if let Ok(r) = r {
                let _ = r.bytes().await;
            }
        })
    });
    g.finish();
    rt.block_on(emu.shutdown());
}

criterion_group!(benches, bench);
criterion_main!(benches);
