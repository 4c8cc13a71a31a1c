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
    use std::process::ExitCode;
    use std::time::Instant;

    use futures::{StreamExt, TryStreamExt};
    use serde::{Deserialize, Serialize};
    use serde_json::json;
    use syncano::{ClassCreate, Client, DataObjectCreate, DataObjectUpdate, InstanceCreate};
    use syncano_emulator::{Emulator, EmulatorConfig, RunningEmulator};

    /// How many objects the quickstart creates.
    const OBJECTS: u32 = 1_000;
    /// How many create requests are in flight at once.
    const CONCURRENCY: usize = 16;

    /// The user-defined fields of one object of the `book` class.
    #[derive(Debug, Clone, Default, Serialize, Deserialize)]
    struct Book {
        title: String,
        pages: i64,
        genre: String,
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

    /// Connects to the server named by the environment, or starts the embedded one.
    async fn connect() -> Result<(Client, Option<RunningEmulator>), Box<dyn std::error::Error>> {
        let configured = std::env::var_os("SYNCANO_API_ROOT").is_some()
            && std::env::var_os("SYNCANO_API_KEY").is_some();
        if configured {
            let client = Client::from_env().await?;
            println!("server: {} (from SYNCANO_API_ROOT)", client.api_root());
            return Ok((client, None));
        }
        let server = Emulator::start(EmulatorConfig::default()).await?;
        let client = Client::builder()
            .api_root(server.base_url())
            .api_key(server.account_key())
            .build()?;
        println!("server: {} (embedded emulator)", server.base_url());
        Ok((client, Some(server)))
    }

    async fn run() -> Result<(), Box<dyn std::error::Error>> {
        let started = Instant::now();
        let (client, server) = connect().await?;

        // An instance of our own, named uniquely so that reruns against a real server work.
        let name = format!("quickstart-{}", std::process::id());
        let instance = client
            .instances()
            .create(&InstanceCreate::new(&name))
            .await?;
        println!("instance: {}", instance.name);

        // A class whose schema indexes `pages` for filtering and ordering.
        let schema = json!([
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

        // 1,000 objects, created with bounded concurrency.
        let books = library.objects_as::<Book>("book");
        let genres = ["poetry", "science", "history", "fiction"];
        let mut created = 0u32;
        let mut creates = futures::stream::iter(0..OBJECTS)
            .map(|n| {
                let books = books.clone();
                let book = Book {
                    title: format!("Book {n}"),
                    pages: i64::from(50 + (n * 37) % 900),
                    genre: genres[(n % 4) as usize].to_owned(),
                };
                async move { books.create(&DataObjectCreate::new(book)).await }
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
        let first_page = long_science.clone().page().await?;
        let mut pages = 1;
        let mut page = first_page.clone();
        while let Some(next) = page.next_page().await? {
            pages += 1;
            page = next;
        }
        let matching: Vec<_> = long_science.stream().try_collect().await?;
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
        let updated = books.update(longest.id, &update).await?;
        println!(
            "updated object {}: \"{}\", revision {revision} -> {}",
            updated.id,
            updated.data.title,
            updated.revision.unwrap_or_default()
        );

        // A second update with the stale revision is refused.
        let stale = books.update(longest.id, &update).await;
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
        let remaining = books.list().include_count().page_size(1).page().await?;
        println!(
            "deleted object {}; {} objects remain",
            victim.id,
            remaining
                .objects_count
                .map_or_else(|| "?".to_owned(), |n| n.to_string())
        );

        client.instances().delete(&instance.name).await?;
        if let Some(server) = server {
            server.shutdown().await;
        }
        println!(
            "done in {:.2?}: {created} objects created",
            started.elapsed()
        );
        Ok(())
    }
}
