//! The fault-injection matrix: every fault kind of `syncano_emulator::faults` × every
//! kind of operation, through a client with DEFAULT settings talking to the embedded
//! server through the fault proxy, so reqwest's real error paths run.
//!
//! Each case makes the operation's request (for a stream: its second page) meet the
//! fault twice in a row, then checks, by reading the server's state straight from the
//! emulator (a second client, not through the proxy):
//! * no panic, and every read recovers with the right data;
//! * every write is either acknowledged and applied exactly once, or reported with
//!   `may_have_been_applied()` and applied at most once — never duplicated.
//!
//! The recovery table (operation × fault kind: recovered / reported unknown / failed)
//! is printed with `eprintln!` (`cargo test --test faults -- --nocapture` shows it).
//!
//! Beside the matrix: a stream whose page keeps failing resumes from its cursor; a
//! batch stopped by a failed call tells each request's fate; a seeded random mix of
//! faults over many creates never duplicates one; `create_named` leaves a record
//! someone else holds under the name alone.
#![cfg(not(syncano_custom_schema))]

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use syncano::object::ObjectPatch;
use syncano::{ClassCreate, Client, DataObjectCreate, DataObjectUpdate, InstanceCreate, Upload};
use syncano_emulator::faults::{FaultKind, FaultMix, FaultProxy};
use syncano_emulator::{Emulator, EmulatorConfig, RunningEmulator};

const INSTANCE: &str = "faults";
/// The class written to: a token to count objects by, a counter, a file.
const ITEMS: &str = "item";
/// The class read from: a few fixed rows.
const ROWS: &str = "row";
const ROW_COUNT: i64 = 5;

type Fields = Map<String, Value>;

/// What happened to one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// The call succeeded, and the server holds exactly its effect.
    Recovered,
    /// The call failed with `may_have_been_applied()`, and the server holds its
    /// effect at most once.
    ReportedUnknown,
    /// Anything else: the test fails.
    Failed,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Recovered => "recovered",
            Outcome::ReportedUnknown => "reported unknown",
            Outcome::Failed => "FAILED",
        })
    }
}

/// The kinds of operation tried under each fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Operation {
    Get,
    ListPage,
    Stream,
    Create,
    Update,
    Delete,
    Batch,
    Upload,
    Download,
    CreateIdempotent,
    CreateNamed,
}

impl Operation {
    const ALL: [Operation; 11] = [
        Operation::Get,
        Operation::ListPage,
        Operation::Stream,
        Operation::Create,
        Operation::Update,
        Operation::Delete,
        Operation::Batch,
        Operation::Upload,
        Operation::Download,
        Operation::CreateIdempotent,
        Operation::CreateNamed,
    ];

    fn name(self) -> &'static str {
        match self {
            Operation::Get => "get (GET)",
            Operation::ListPage => "list page (GET)",
            Operation::Stream => "stream, page 2 (GET)",
            Operation::Create => "create (POST)",
            Operation::Update => "update (PATCH)",
            Operation::Delete => "delete (DELETE)",
            Operation::Batch => "batch of 3 creates (POST)",
            Operation::Upload => "upload (multipart POST)",
            Operation::Download => "download (GET)",
            Operation::CreateIdempotent => "create_idempotent (POST)",
            Operation::CreateNamed => "create_named (POST)",
        }
    }
}

struct Rig {
    _server: RunningEmulator,
    proxy: FaultProxy,
    /// Straight to the emulator: the state as it is.
    direct: Client,
    key: String,
}

impl Rig {
    async fn start() -> Rig {
        let server = Emulator::start(EmulatorConfig::default())
            .await
            .expect("emulator starts");
        let mix = FaultMix::none().delay(Duration::from_millis(100));
        let proxy = FaultProxy::start(server.addr(), mix, 10)
            .await
            .expect("proxy starts");
        let key = server.account_key().to_owned();
        let direct = Client::builder()
            .api_root(server.base_url())
            .api_key(key.as_str())
            .build()
            .expect("direct client");
        direct
            .instances()
            .create(&InstanceCreate::new(INSTANCE))
            .await
            .expect("instance");
        let classes = direct.instances().classes(INSTANCE);
        let items = json!([
            {"name": "token", "type": "string", "filter_index": true},
            {"name": "views", "type": "integer"},
            {"name": "cover", "type": "file"}
        ]);
        classes
            .create(&ClassCreate::new(ITEMS, items))
            .await
            .expect("items class");
        let rows = json!([{"name": "n", "type": "integer", "order_index": true}]);
        classes
            .create(&ClassCreate::new(ROWS, rows))
            .await
            .expect("rows class");
        let rows = classes.objects_as::<Fields>(ROWS);
        for n in 0..ROW_COUNT {
            rows.create(&DataObjectCreate::new(fields(json!({"n": n}))))
                .await
                .expect("row");
        }
        Rig {
            _server: server,
            proxy,
            direct,
            key,
        }
    }

    /// A new client with default settings, through the proxy (a fresh one per case,
    /// so one case's retries never spend another's budget).
    fn faulty(&self) -> Client {
        Client::builder()
            .api_root(self.proxy.base_url())
            .api_key(self.key.as_str())
            .build()
            .expect("client through the proxy")
    }

    fn items(&self, client: &Client) -> syncano::DataObjectManager<Fields> {
        client
            .instances()
            .classes(INSTANCE)
            .objects_as::<Fields>(ITEMS)
    }

    fn rows(&self, client: &Client) -> syncano::DataObjectManager<Fields> {
        client
            .instances()
            .classes(INSTANCE)
            .objects_as::<Fields>(ROWS)
    }

    /// How many objects hold `token`, read straight from the emulator.
    async fn count(&self, token: &str) -> usize {
        self.items(&self.direct)
            .list()
            .query(&json!({"token": {"_eq": token}}))
            .collect()
            .await
            .expect("direct count")
            .len()
    }

    /// An object made straight on the emulator, for the operations that need one.
    async fn seed(&self, token: &str) -> syncano::DataObject<Fields> {
        self.items(&self.direct)
            .create(&DataObjectCreate::new(fields(
                json!({"token": token, "views": 0}),
            )))
            .await
            .expect("seed object")
    }
}

fn fields(value: Value) -> Fields {
    match value {
        Value::Object(map) => map,
        _ => Fields::new(),
    }
}

/// The outcome of a write whose effect the server holds `applied` times.
fn write_outcome<T>(case: &str, result: &Result<T, syncano::Error>, applied: usize) -> Outcome {
    assert!(applied <= 1, "{case}: applied {applied} times");
    match result {
        Ok(_) if applied == 1 => Outcome::Recovered,
        Ok(_) => panic!("{case}: acknowledged but not applied"),
        Err(error) if error.may_have_been_applied() => Outcome::ReportedUnknown,
        Err(error) => {
            assert_eq!(applied, 0, "{case}: applied, but reported as not: {error}");
            eprintln!("{case}: failed: {error}");
            Outcome::Failed
        }
    }
}

/// The outcome of a read: it must recover, with `expected`.
fn read_outcome<T: PartialEq + fmt::Debug>(
    case: &str,
    result: Result<T, syncano::Error>,
    expected: &T,
) -> Outcome {
    match result {
        Ok(got) => {
            assert_eq!(&got, expected, "{case}: wrong data");
            Outcome::Recovered
        }
        Err(error) => {
            eprintln!("{case}: failed: {error}");
            Outcome::Failed
        }
    }
}

/// Runs `operation` with its request meeting `kind` twice, and checks the state.
async fn run(rig: &Rig, operation: Operation, kind: FaultKind, case: &str) -> Outcome {
    let client = rig.faulty();
    let twice = [Some(kind), Some(kind)];
    let token = case.replace([' ', ',', '(', ')', '_'], "-");
    match operation {
        Operation::Get => {
            let seeded = rig.seed(&token).await;
            rig.proxy.script(twice);
            let got = rig.items(&client).get(seeded.id).await.map(|o| o.data);
            read_outcome(case, got, &seeded.data)
        }
        Operation::ListPage => {
            let expected: Vec<i64> = ids(rig.rows(&rig.direct).list().collect().await);
            rig.proxy.script(twice);
            let page = rig.rows(&client).list().page().await;
            let got = page.map(|p| p.objects.iter().map(|o| o.id).collect::<Vec<_>>());
            read_outcome(case, got, &expected)
        }
        Operation::Stream => {
            let expected: Vec<i64> = ids(rig.rows(&rig.direct).list().collect().await);
            rig.proxy.script([None, Some(kind), Some(kind)]);
            let got = rig.rows(&client).list().page_size(2).collect().await;
            read_outcome(
                case,
                got.map(|o| o.iter().map(|o| o.id).collect()),
                &expected,
            )
        }
        Operation::Create => {
            rig.proxy.script(twice);
            let object = DataObjectCreate::new(fields(json!({"token": token, "views": 0})));
            let result = rig.items(&client).create(&object).await;
            write_outcome(case, &result, rig.count(&token).await)
        }
        Operation::Update => {
            let seeded = rig.seed(&token).await;
            rig.proxy.script(twice);
            let changes =
                DataObjectUpdate::new(ObjectPatch::new().increment("views", 1).into_map());
            let result = rig.items(&client).update(seeded.id, &changes).await;
            let now = rig
                .items(&rig.direct)
                .get(seeded.id)
                .await
                .expect("read back");
            let views = now
                .data
                .get("views")
                .and_then(Value::as_u64)
                .expect("views");
            if let Ok(answer) = &result {
                assert_eq!(answer.data.get("views"), Some(&json!(1)), "{case}");
            }
            write_outcome(case, &result, usize::try_from(views).unwrap_or(usize::MAX))
        }
        Operation::Delete => {
            let seeded = rig.seed(&token).await;
            rig.proxy.script(twice);
            let result = rig.items(&client).delete(seeded.id).await;
            let gone = rig.count(&token).await == 0;
            write_outcome(case, &result, usize::from(gone))
        }
        Operation::Batch => {
            let tokens: Vec<String> = (0..3).map(|n| format!("{token}-{n}")).collect();
            let batch = tokens.iter().fold(client.batch(INSTANCE), |batch, t| {
                batch.create_object(ITEMS, &json!({"token": t, "views": 0}))
            });
            rig.proxy.script(twice);
            let result = batch.send().await;
            let mut counts = Vec::new();
            for t in &tokens {
                counts.push(rig.count(t).await);
            }
            assert!(
                counts.iter().all(|c| *c == counts[0]),
                "{case}: one call applied in part: {counts:?}"
            );
            match &result {
                Ok(results) => {
                    assert!(
                        results.iter().all(|r| r.status() == 201),
                        "{case}: {results:?}"
                    );
                    write_outcome(case, &Ok::<(), syncano::Error>(()), counts[0])
                }
                Err(stopped) => {
                    assert_eq!(stopped.fates().count(), 3, "{case}: every item has a fate");
                    if stopped.may_have_been_applied() {
                        assert!(counts[0] <= 1, "{case}: {counts:?}");
                        Outcome::ReportedUnknown
                    } else {
                        assert_eq!(counts[0], 0, "{case}: applied, reported as not: {stopped}");
                        eprintln!("{case}: failed: {stopped}");
                        Outcome::Failed
                    }
                }
            }
        }
        Operation::Upload => {
            rig.proxy.script(twice);
            let object = DataObjectCreate::new(fields(json!({"token": token, "views": 0})));
            let cover = Upload::from_bytes("cover.bin", vec![7u8; 3000]);
            let result = rig
                .items(&client)
                .create_with_files(&object, &[("cover", cover)])
                .await;
            write_outcome(case, &result, rig.count(&token).await)
        }
        Operation::Download => {
            let bytes: Vec<u8> = (0..=255u8).cycle().take(4000).collect();
            let object = DataObjectCreate::new(fields(json!({"token": token})));
            let stored = rig
                .items(&rig.direct)
                .create_with_files(
                    &object,
                    &[("cover", Upload::from_bytes("c.bin", bytes.clone()))],
                )
                .await
                .expect("seed a file");
            let url = stored.data["cover"]["value"]
                .as_str()
                .expect("file URL")
                .to_owned();
            rig.proxy.script(twice);
            let got = client.download(&url).await.map(|b| b.to_vec());
            read_outcome(case, got, &bytes)
        }
        Operation::CreateIdempotent => {
            rig.proxy.script(twice);
            let object = DataObjectCreate::new(fields(json!({"token": token, "views": 0})));
            let result = rig.items(&client).create_idempotent(&object, "token").await;
            write_outcome(case, &result, rig.count(&token).await)
        }
        Operation::CreateNamed => {
            let name = format!("named_{}", kind.name().replace('-', "_"));
            let list = format!("/v1.1/instances/{INSTANCE}/classes/");
            let detail = format!("{list}{name}/");
            let body = json!({"name": name, "schema": [{"name": "t", "type": "string"}]});
            rig.proxy.script(twice);
            let result: Result<Value, _> =
                syncano::idempotent::create_named(&client, &list, &detail, &body).await;
            let exists = rig
                .direct
                .instances()
                .classes(INSTANCE)
                .get(&name)
                .await
                .is_ok();
            if let Ok(class) = &result {
                assert_eq!(class["name"], json!(name), "{case}");
            }
            write_outcome(case, &result, usize::from(exists))
        }
    }
}

fn ids(objects: syncano::Result<Vec<syncano::DataObject<Fields>>>) -> Vec<i64> {
    objects.expect("direct list").iter().map(|o| o.id).collect()
}

#[tokio::test]
async fn every_fault_kind_against_every_operation_with_default_settings() {
    let started = Instant::now();
    let rig = Rig::start().await;
    let mut table: BTreeMap<(Operation, FaultKind), Outcome> = BTreeMap::new();
    for operation in Operation::ALL {
        for kind in FaultKind::ALL {
            let case = format!("{} {}", kind.name(), operation.name());
            let outcome = run(&rig, operation, kind, &case).await;
            rig.proxy.clear_script();
            table.insert((operation, kind), outcome);
        }
    }
    print_table(&table);
    eprintln!("proxy: {}; {:.1?}", rig.proxy.stats(), started.elapsed());
    let failed: Vec<String> = table
        .iter()
        .filter(|(_, outcome)| **outcome == Outcome::Failed)
        .map(|((op, kind), _)| format!("{} × {}", op.name(), kind.name()))
        .collect();
    assert!(failed.is_empty(), "failed cases: {failed:?}");
    for ((operation, kind), outcome) in &table {
        let must_recover = matches!(
            operation,
            Operation::Get
                | Operation::ListPage
                | Operation::Stream
                | Operation::Download
                | Operation::CreateIdempotent
                | Operation::CreateNamed
        ) || *kind == FaultKind::TooManyRequests;
        if must_recover {
            assert_eq!(
                *outcome,
                Outcome::Recovered,
                "{} × {}: reads, writes safe to repeat, and writes refused with 429 recover",
                operation.name(),
                kind.name()
            );
        }
    }
}

/// The recovery table, as a Markdown table on stderr.
fn print_table(table: &BTreeMap<(Operation, FaultKind), Outcome>) {
    let mut header = String::from("| operation \\ fault |");
    let mut rule = String::from("|---|");
    for kind in FaultKind::ALL {
        header.push_str(&format!(" {} |", kind.name()));
        rule.push_str("---|");
    }
    eprintln!("\nrecovery table (each fault twice in a row, default client settings)\n");
    eprintln!("{header}\n{rule}");
    for operation in Operation::ALL {
        let mut row = format!("| {} |", operation.name());
        for kind in FaultKind::ALL {
            let outcome = table
                .get(&(operation, kind))
                .copied()
                .unwrap_or(Outcome::Failed);
            row.push_str(&format!(" {outcome} |"));
        }
        eprintln!("{row}");
    }
    eprintln!();
}

#[tokio::test]
async fn a_stream_whose_page_keeps_failing_resumes_from_its_cursor() {
    let rig = Rig::start().await;
    let client = rig.faulty();
    let expected: Vec<i64> = ids(rig.rows(&rig.direct).list().collect().await);
    let list = rig.rows(&client).list().page_size(2);
    // page 2 fails more often than the client retries
    rig.proxy.script(
        std::iter::once(None).chain(std::iter::repeat_n(Some(FaultKind::ResetBeforeForward), 10)),
    );
    let mut stream = list.clone().stream();
    let mut got = Vec::new();
    let stopped = loop {
        use futures::StreamExt;
        match stream.next().await {
            Some(Ok(object)) => got.push(object.id),
            Some(Err(stopped)) => break stopped,
            None => panic!("the stream ended without the error"),
        }
    };
    assert_eq!(got, expected[..2], "the first page came through");
    let cursor = stopped.cursor().expect("a cursor").clone();
    assert!(
        cursor.params().iter().any(|(n, _)| n == "last_pk"),
        "{cursor:?}"
    );
    rig.proxy.clear_script();
    let requests_before = rig.proxy.stats().requests;
    let rest = list.resume(cursor).collect().await.expect("resumed");
    got.extend(rest.iter().map(|o| o.id));
    assert_eq!(got, expected, "nothing lost, nothing read twice");
    let pages = rig.proxy.stats().requests - requests_before;
    assert!(
        pages <= 3,
        "resuming reads only the pages left, read {pages}"
    );
}

#[tokio::test]
async fn a_batch_stopped_by_a_failed_call_tells_each_items_fate() {
    let rig = Rig::start().await;
    let client = rig.faulty();
    let tokens: Vec<String> = (0..120).map(|n| format!("fate-{n}")).collect();
    let batch = tokens.iter().fold(client.batch(INSTANCE), |batch, t| {
        batch.create_object(ITEMS, &json!({"token": t}))
    });
    // the first call goes through; the second is dropped after the server ran it
    rig.proxy.script([None, Some(FaultKind::DropAfterForward)]);
    let stopped = batch.send().await.expect_err("the second call fails");
    assert_eq!(stopped.answered().len(), 50);
    assert_eq!(stopped.failed().len(), 50);
    assert_eq!(stopped.unsent().len(), 20);
    assert!(stopped.may_have_been_applied(), "{stopped}");
    let fates: Vec<&str> = stopped
        .fates()
        .map(|fate| match fate {
            syncano::batch::BatchFate::Answered(_) => "answered",
            syncano::batch::BatchFate::Unknown(_) => "unknown",
            syncano::batch::BatchFate::NotApplied(_) => "not applied",
            syncano::batch::BatchFate::NotSent(_) => "not sent",
        })
        .collect();
    assert_eq!(fates[..50], ["answered"; 50]);
    assert_eq!(fates[50..100], ["unknown"; 50]);
    assert_eq!(fates[100..], ["not sent"; 20]);
    // the state agrees: the answered and the dropped call ran, the rest did not
    assert_eq!(rig.count("fate-0").await, 1);
    assert_eq!(rig.count("fate-99").await, 1);
    assert_eq!(rig.count("fate-100").await, 0);
    let message = stopped.to_string();
    assert!(message.contains("50 requests answered"), "{message}");
    let error: syncano::Error = stopped.into();
    assert!(error.may_have_been_applied(), "{error}");
}

#[tokio::test]
async fn a_seeded_mix_of_faults_never_duplicates_a_write() {
    let rig = Rig::start().await;
    rig.proxy
        .set_mix(FaultMix::each(0.04).delay(Duration::from_millis(50)));
    let client = rig.faulty();
    let items = rig.items(&client);
    let (mut acknowledged, mut unknown) = (Vec::new(), Vec::new());
    for n in 0..40 {
        let plain = format!("soak-plain-{n}");
        let object = DataObjectCreate::new(fields(json!({"token": plain, "views": 0})));
        match items.create(&object).await {
            Ok(_) => acknowledged.push(plain),
            Err(error) if error.may_have_been_applied() => unknown.push(plain),
            Err(error) => {
                assert!(error.is_retryable(), "a failure that did nothing: {error}");
                assert_eq!(
                    rig.count(&plain).await,
                    0,
                    "{plain}: reported as not applied"
                );
            }
        }
        let safe = format!("soak-safe-{n}");
        let object = DataObjectCreate::new(fields(json!({"token": safe, "views": 0})));
        items
            .create_idempotent(&object, "token")
            .await
            .expect("an idempotent create completes");
        acknowledged.push(safe);
    }
    let stats = rig.proxy.stats();
    rig.proxy.set_mix(FaultMix::none());
    for token in &acknowledged {
        assert_eq!(rig.count(token).await, 1, "{token}: acknowledged, once");
    }
    for token in &unknown {
        assert!(rig.count(token).await <= 1, "{token}: at most once");
    }
    eprintln!(
        "seeded mix: {} writes acknowledged and applied once, {} reported unknown; proxy: {stats}",
        acknowledged.len(),
        unknown.len()
    );
    assert!(
        stats.total_faults() > 0,
        "the mix faulted something: {stats}"
    );
}

#[tokio::test]
async fn create_named_does_not_take_over_someone_elses_record() {
    let rig = Rig::start().await;
    let list = format!("/v1.1/instances/{INSTANCE}/classes/");
    let detail = format!("{list}taken/");
    rig.direct
        .instances()
        .classes(INSTANCE)
        .create(&ClassCreate::new(
            "taken",
            json!([{"name": "a", "type": "string"}]),
        ))
        .await
        .expect("someone else's class");
    // our create's answer is lost; the record under the name is not what we sent
    rig.proxy.script([Some(FaultKind::ResetBeforeForward)]);
    let ours = json!({"name": "taken", "schema": [{"name": "b", "type": "integer"}]});
    let error = syncano::idempotent::create_named::<_, Value>(&rig.faulty(), &list, &detail, &ours)
        .await
        .expect_err("the name is taken");
    assert!(error.is_validation(), "the server's refusal: {error}");
    let class = rig
        .direct
        .instances()
        .classes(INSTANCE)
        .get("taken")
        .await
        .expect("still there");
    assert_eq!(class.schema, json!([{"name": "a", "type": "string"}]));
}
