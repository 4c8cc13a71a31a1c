//! SDK against raw HTTP, side by side in one run, both against one in-process emulator:
//! a single object (typed, raw JSON through the SDK, plain reqwest) and a page of 100
//! objects (typed, raw, plain reqwest). The ratio typed / plain is the SDK's overhead.
//!
//! ```sh
//! cargo bench --bench sdk_throughput
//! ```

#[cfg(not(syncano_custom_schema))]
criterion::criterion_group!(benches, sdk::throughput);
#[cfg(not(syncano_custom_schema))]
criterion::criterion_main!(benches);

/// Built with another schema (`SYNCANO_SCHEMA`), the v1.1 types this benchmark uses may not exist.
#[cfg(syncano_custom_schema)]
fn main() {
    eprintln!("sdk_throughput needs the vendored v1.1 snapshot: unset SYNCANO_SCHEMA");
}

#[cfg(not(syncano_custom_schema))]
mod sdk {
    use std::time::Duration;

    use criterion::Criterion;
    use serde::{Deserialize, Serialize};
    use serde_json::{Value, json};
    use syncano::{ClassCreate, Client, DataObject, DataObjectCreate, InstanceCreate, ListRequest};
    use syncano_emulator::{Emulator, EmulatorConfig, RunningEmulator};
    use tokio::runtime::Runtime;

    #[derive(Debug, Clone, Serialize, Deserialize)]
    struct Item {
        n: i64,
        label: String,
    }

    struct Fixture {
        _server: RunningEmulator,
        client: Client,
        http: reqwest::Client,
        base: String,
        key: String,
        object_path: String,
        list_path: String,
    }

    async fn fixture() -> Fixture {
        let server = Emulator::start(EmulatorConfig::default())
            .await
            .expect("emulator");
        let client = Client::builder()
            .api_root(server.base_url())
            .api_key(server.account_key())
            .build()
            .expect("client");
        let instance = client
            .instances()
            .create(&InstanceCreate::new("bench"))
            .await
            .expect("instance");
        let classes = client.instances().classes(&instance.name);
        let schema = json!([{"name": "n", "type": "integer"}, {"name": "label", "type": "string"}]);
        classes
            .create(&ClassCreate::new("item", schema))
            .await
            .expect("class");
        let items = classes.objects_as::<Item>("item");
        let mut first = None;
        for n in 0..100 {
            let item = Item {
                n,
                label: format!("item {n}"),
            };
            let created = items
                .create(&DataObjectCreate::new(item))
                .await
                .expect("object");
            first.get_or_insert(created.id);
        }
        let list_path = "/v1.1/instances/bench/classes/item/objects/".to_owned();
        Fixture {
            base: server.base_url(),
            key: server.account_key().to_owned(),
            object_path: format!("{list_path}{}/", first.expect("an object")),
            list_path,
            _server: server,
            client,
            http: reqwest::Client::new(),
        }
    }

    pub fn throughput(c: &mut Criterion) {
        let runtime = Runtime::new().expect("tokio runtime");
        let fx = runtime.block_on(fixture());

        let mut get = c.benchmark_group("get one object");
        get.sample_size(20).measurement_time(Duration::from_secs(3));
        get.bench_function("sdk typed", |b| {
            b.to_async(&runtime).iter(|| async {
                let object: DataObject<Item> = fx
                    .client
                    .request::<(), _>(syncano::Method::GET, &fx.object_path, None)
                    .await
                    .expect("get");
                object
            })
        });
        get.bench_function("sdk raw", |b| {
            b.to_async(&runtime).iter(|| async {
                fx.client
                    .request_raw::<()>(syncano::Method::GET, &fx.object_path, None)
                    .await
                    .expect("get")
            })
        });
        get.bench_function("plain reqwest", |b| {
            b.to_async(&runtime).iter(|| async {
                let answer = fx
                    .http
                    .get(format!("{}{}", fx.base, fx.object_path))
                    .header("X-API-KEY", &fx.key)
                    .send()
                    .await
                    .expect("send");
                answer.json::<Value>().await.expect("json")
            })
        });
        get.finish();

        let mut page = c.benchmark_group("page of 100 objects");
        page.sample_size(20)
            .measurement_time(Duration::from_secs(3));
        page.bench_function("sdk typed", |b| {
            b.to_async(&runtime).iter(|| async {
                let page =
                    ListRequest::<DataObject<Item>>::new(fx.client.clone(), fx.list_path.clone())
                        .page_size(100)
                        .page()
                        .await
                        .expect("page");
                assert_eq!(page.objects.len(), 100);
                page
            })
        });
        page.bench_function("sdk raw", |b| {
            b.to_async(&runtime).iter(|| async {
                ListRequest::<Value>::new(fx.client.clone(), fx.list_path.clone())
                    .page_size(100)
                    .page_raw()
                    .await
                    .expect("raw page")
            })
        });
        page.bench_function("plain reqwest", |b| {
            b.to_async(&runtime).iter(|| async {
                let answer = fx
                    .http
                    .get(format!("{}{}?page_size=100", fx.base, fx.list_path))
                    .header("X-API-KEY", &fx.key)
                    .send()
                    .await
                    .expect("send");
                answer.json::<Value>().await.expect("json")
            })
        });
        page.finish();
    }
}
