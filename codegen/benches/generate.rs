//! Parse + validate + generate for the full v1.1 snapshot and the 2015-07 fixture.
//!
//! `cargo bench -p syncano-codegen --bench generate` (target: under 100 ms each).

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let documents = [
        (
            "v1.1 snapshot",
            manifest.join("../schema/syncano-v1.1.json"),
        ),
        (
            "2015-07 fixture",
            manifest.join("../../shared/fixtures/schema/syncano-v1-schema-2015-07.json"),
        ),
    ];
    for (name, path) in documents {
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipping {name}: cannot read {}", path.display());
            continue;
        };
        c.bench_function(&format!("parse+validate+generate {name}"), |b| {
            b.iter(|| {
                let schema = syncano_codegen::schema::parse(black_box(&text), name);
                let code = schema.ok().and_then(|s| syncano_codegen::generate(&s, &syncano_codegen::RuntimeNames::none()).ok());
                black_box(code.map(|c| c.len()))
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
