//! Quickstart: the SDK end to end against a Syncano v1.1 server.
//!
//! By default it starts the embedded server (`syncano-emulator`) in-process on a free
//! loopback port. With `SYNCANO_API_ROOT` and `SYNCANO_API_KEY` set, it talks to that
//! server instead.
//!
//! It creates an instance, a class with a schema and 1,000 objects, pages through them
//! with a filter and an ordering, updates one with `expected_revision`, deletes one, and
//! prints a short summary.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! Every write is made so that it happens once however the connection fails: the
//! instance and the class with their managers' `create` (which checks by name before
//! sending again), the objects with
//! `create_idempotent` (each carries a token of its own), the update with
//! `idempotent::send_once`. To see it, put the fault proxy of `syncano-emulator` in
//! front of the embedded server, failing a share of requests in each of its ways
//! (503, 429, reset, drop after forwarding, truncated body, late answer); the
//! quickstart then checks, straight on the server, that exactly the 999 objects it
//! meant to leave are there, none twice:
//!
//! ```sh
//! SYNCANO_QUICKSTART_FAULTS=0.02 cargo run --example quickstart   # 2 % of requests in each way
//! SYNCANO_QUICKSTART_FAULTS=0.02 SYNCANO_QUICKSTART_SEED=7 cargo run --example quickstart
//! ```

#[cfg(not(syncano_custom_schema))]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    quickstart::main().await
}

/// Built with another schema (`SYNCANO_SCHEMA`), the v1.1 types this example uses may not exist.
#[cfg(syncano_custom_schema)]
fn main() {
    eprintln!("the quickstart needs the vendored v1.1 snapshot: unset SYNCANO_SCHEMA");
}

#[cfg(not(syncano_custom_schema))]
mod quickstart {
    use std::collections::BTreeSet;
    use std::process::ExitCode;
    use std::time::Instant;

    use futures::StreamExt;
    use serde::{Deserialize, Serialize};
    use serde_json::json;
    use syncano::idempotent::send_once;
    use syncano::{
        ClassCreate, Client, DataObjectCreate, DataObjectUpdate, InstanceCreate, ListRequest,
    };
    use syncano_emulator::faults::{FaultMix, FaultProxy};
    use syncano_emulator::{Emulator, EmulatorConfig, RunningEmulator};

    /// How many objects the quickstart creates.
    const OBJECTS: u32 = 1_000;
    /// How many create requests are in flight at once.
    const CONCURRENCY: usize = 16;

    /// The user-defined fields of one object of the `book` class.
    #[derive(Debug, Clone, Default, Serialize, Deserialize)]
    struct Book {
        /// Names the object the quickstart means, so it is created once only.
        token: String,
        title: String,
        pages: i64,
        genre: String,
    }

    /// The server the quickstart talks to.
    struct Connection {
        client: Client,
        /// The embedded server, when no other was configured.
        server: Option<RunningEmulator>,
        /// The fault proxy in front of the embedded server, and a client straight to
        /// the server (with `SYNCANO_QUICKSTART_FAULTS`).
        faults: Option<(FaultProxy, Client)>,
    }

    pub async fn main() -> ExitCode {
        match run().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("quickstart failed: {error}");
                ExitCode::FAILURE
            }
        }
    }

    /// The share of requests the fault proxy breaks in each of its ways, from
    /// `SYNCANO_QUICKSTART_FAULTS` (e.g. `0.02`); `None` when unset.
    fn fault_rate() -> Result<Option<f64>, Box<dyn std::error::Error>> {
        let Ok(text) = std::env::var("SYNCANO_QUICKSTART_FAULTS") else {
            return Ok(None);
        };
        match text.trim().parse::<f64>() {
            Ok(rate) if (0.0..=0.15).contains(&rate) => Ok(Some(rate)),
            _ => Err(format!(
                "SYNCANO_QUICKSTART_FAULTS={text:?}: expected a share from 0 to 0.15, such as 0.02"
            )
            .into()),
        }
    }

    /// Connects to the server named by the environment, or starts the embedded one
    /// (behind the fault proxy with `SYNCANO_QUICKSTART_FAULTS`).
    async fn connect() -> Result<Connection, Box<dyn std::error::Error>> {
        let configured = std::env::var_os("SYNCANO_API_ROOT").is_some()
            && std::env::var_os("SYNCANO_API_KEY").is_some();
        let rate = fault_rate()?;
        if configured {
            if rate.is_some() {
                return Err(
                    "SYNCANO_QUICKSTART_FAULTS works with the embedded server only: \
                            unset SYNCANO_API_ROOT"
                        .into(),
                );
            }
            let client = Client::from_env().await?;
            println!("server: {} (from SYNCANO_API_ROOT)", client.api_root());
            return Ok(Connection {
                client,
                server: None,
                faults: None,
            });
        }
        let server = Emulator::start(EmulatorConfig::default()).await?;
        let connect_to = |root: String| {
            Client::builder()
                .api_root(root)
                .api_key(server.account_key())
                .build()
        };
        let Some(rate) = rate else {
            let client = connect_to(server.base_url())?;
            println!("server: {} (embedded emulator)", server.base_url());
            return Ok(Connection {
                client,
                server: Some(server),
                faults: None,
            });
        };
        let seed = match std::env::var("SYNCANO_QUICKSTART_SEED") {
            Ok(text) => text
                .trim()
                .parse()
                .map_err(|_| format!("SYNCANO_QUICKSTART_SEED={text:?}: expected a number"))?,
            Err(_) => 1,
        };
        let proxy = FaultProxy::start(server.addr(), FaultMix::each(rate), seed).await?;
        let client = connect_to(proxy.base_url())?;
        let direct = connect_to(server.base_url())?;
        println!(
            "server: {} (embedded emulator, behind the fault proxy at {}: {:.1} % of requests fail in each of 6 ways, seed {seed})",
            server.base_url(),
            proxy.base_url(),
            rate * 100.0
        );
        Ok(Connection {
            client,
            server: Some(server),
            faults: Some((proxy, direct)),
        })
    }

    /// Reads again (reads are safe to repeat) when a read still fails after the
    /// client's own retries in a way worth another try, at most twice more.
    async fn read<T, F, Fut>(mut call: F) -> syncano::Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = syncano::Result<T>>,
    {
        let mut tries = 1;
        loop {
            match call().await {
                Err(error) if tries < 3 && error.is_retryable() => tries += 1,
                result => return result,
            }
        }
    }

    /// Every item of `list`, resuming from the cursor of a page that still fails after
    /// the client's retries (at most twice).
    async fn collect_all<T>(list: ListRequest<T>) -> syncano::Result<Vec<T>>
    where
        T: serde::de::DeserializeOwned + Send + 'static,
    {
        let mut items = Vec::new();
        let mut stream = list.clone().stream();
        let mut resumed = 0;
        while let Some(item) = stream.next().await {
            match item {
                Ok(item) => items.push(item),
                Err(stopped) => match stopped.cursor() {
                    Some(cursor) if resumed < 2 && stopped.is_retryable() => {
                        resumed += 1;
                        stream = list.clone().resume(cursor.clone()).stream();
                    }
                    _ => return Err(stopped.into_error()),
                },
            }
        }
        Ok(items)
    }

    async fn run() -> Result<(), Box<dyn std::error::Error>> {
        let started = Instant::now();
        let Connection {
            client,
            server,
            faults,
        } = connect().await?;

        // An instance of our own, named uniquely so that reruns against a real server
        // work; created once, even when the answer to the create is lost.
        let name = format!("quickstart-{}", std::process::id());
        // Creates of records keyed by a name check by that name before sending again
        // when an answer is lost.
        let instance = client
            .instances()
            .create(&InstanceCreate::new(&name))
            .await?;
        println!("instance: {}", instance.name);

        // A class whose schema indexes `pages` for filtering and ordering, and the
        // objects' `token` for finding an object whose create's answer was lost.
        let schema = json!([
            {"name": "token", "type": "string", "filter_index": true},
            {"name": "title", "type": "string"},
            {"name": "pages", "type": "integer", "filter_index": true, "order_index": true},
            {"name": "genre", "type": "string", "filter_index": true}
        ]);
        let library = client.instance(&instance.name);
        let class = library
            .classes()
            .create(&ClassCreate::new("book", schema))
            .await?;
        println!("class: {}", class.name);

        // 1,000 objects, created with bounded concurrency, each once.
        let books = library.objects_as::<Book>("book");
        let genres = ["poetry", "science", "history", "fiction"];
        let mut created = 0u32;
        let mut creates = futures::stream::iter(0..OBJECTS)
            .map(|n| {
                let books = books.clone();
                let book = Book {
                    token: format!("book-{n}"),
                    title: format!("Book {n}"),
                    pages: i64::from(50 + (n * 37) % 900),
                    genre: genres[(n % 4) as usize].to_owned(),
                };
                async move {
                    books
                        .create_idempotent(&DataObjectCreate::new(book), "token")
                        .await
                }
            })
            .buffer_unordered(CONCURRENCY);
        while let Some(result) = creates.next().await {
            result?;
            created += 1;
            if created % 100 == 0 {
                eprintln!("created {created}/{OBJECTS} objects");
            }
        }

        // Page through the long science books, longest first, 50 to a page.
        let long_science = books
            .list()
            .query(&json!({"genre": {"_eq": "science"}, "pages": {"_gte": 500}}))
            .order_by("-pages")
            .page_size(50);
        let first_page = read(|| long_science.clone().page()).await?;
        let mut pages = 1;
        let mut page = first_page.clone();
        loop {
            let next = read(|| page.next_page()).await?;
            let Some(next) = next else { break };
            pages += 1;
            page = next;
        }
        let matching = collect_all(long_science).await?;
        let ordered = matching
            .windows(2)
            .all(|pair| pair[0].data.pages >= pair[1].data.pages);
        println!(
            "query: {} science books with at least 500 pages, in {pages} pages of up to 50, ordered: {ordered}",
            matching.len()
        );

        // Update the longest one, guarded by the revision we read.
        let longest = first_page
            .objects
            .first()
            .ok_or("the filtered list came back empty")?;
        let revision = longest.revision.ok_or("the object has no revision")?;
        let mut book = longest.data.clone();
        book.title = format!("{} (second edition)", book.title);
        let update = DataObjectUpdate::new(book).expected_revision(revision);
        // Once applied, the object is past the revision read; a lost answer is
        // checked by reading the object before sending again.
        let updated = send_once(
            || books.update(longest.id, &update),
            || async {
                let now = books.get(longest.id).await?;
                Ok::<_, syncano::Error>(Some(now).filter(|now| now.revision > Some(revision)))
            },
        )
        .await?;
        println!(
            "updated object {}: \"{}\", revision {revision} -> {}",
            updated.id,
            updated.data.title,
            updated.revision.unwrap_or_default()
        );

        // A second update with the stale revision is refused (it cannot apply, so it
        // is sent again when its answer is lost).
        let mut stale = books.update(longest.id, &update).await;
        for _ in 0..5 {
            match &stale {
                Err(error) if error.may_have_been_applied() => {
                    stale = books.update(longest.id, &update).await;
                }
                _ => break,
            }
        }
        match stale {
            Err(error) if error.is_revision_mismatch() => {
                println!("stale update refused: {error}")
            }
            Err(error) => return Err(error.into()),
            Ok(_) => return Err("a stale expected_revision was accepted".into()),
        }

        // Delete another one and count what is left.
        let victim = matching.last().ok_or("nothing to delete")?;
        books.delete(victim.id).await?;
        let remaining = read(|| books.list().include_count().page_size(1).page()).await?;
        println!(
            "deleted object {}; {} objects remain",
            victim.id,
            remaining
                .objects_count
                .map_or_else(|| "?".to_owned(), |n| n.to_string())
        );

        if let Some((proxy, direct)) = &faults {
            let mut meant: BTreeSet<String> = (0..OBJECTS).map(|n| format!("book-{n}")).collect();
            meant.remove(&victim.data.token);
            check_objects(direct, &name, &meant).await?;
            println!("fault proxy: {}", proxy.stats());
        }

        client.instances().delete(&instance.name).await?;
        if let Some((proxy, _)) = faults {
            proxy.shutdown().await;
        }
        if let Some(server) = server {
            server.shutdown().await;
        }
        println!(
            "done in {:.2?}: {created} objects created",
            started.elapsed()
        );
        Ok(())
    }

    /// Checks, straight on the server, that the objects of the instance's `book` class
    /// are exactly the `meant` ones, each once.
    async fn check_objects(
        direct: &Client,
        instance: &str,
        meant: &BTreeSet<String>,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let books = direct.instance(instance).objects_as::<Book>("book");
        let stored = books.list().page_size(100).collect().await?;
        let tokens: BTreeSet<String> = stored.iter().map(|b| b.data.token.clone()).collect();
        println!(
            "check (straight on the server): {} objects, {} distinct tokens, {} meant",
            stored.len(),
            tokens.len(),
            meant.len()
        );
        if stored.len() != tokens.len() {
            return Err(
                format!("{} objects were created twice", stored.len() - tokens.len()).into(),
            );
        }
        if &tokens != meant {
            let missing = meant.difference(&tokens).count();
            let extra = tokens.difference(meant).count();
            return Err(format!("{missing} objects are missing and {extra} are extra").into());
        }
        Ok(())
    }
}
