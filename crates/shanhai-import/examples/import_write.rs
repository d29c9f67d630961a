//! `cargo run --release -p shanhai-import --example import_write -- DATABASE_URL KIND FILE`:
//! one import through the library, timed — for profiling the write path without the server
//! crates (the benchmark proper is `bench/`'s `import`). Migrates the database first.

use shanhai_import::{NoProgress, Upload, Who};
use shanhai_store::Db;
use shanhai_store::audit::Actor;
use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, kind, file] = args.as_slice() else {
        return Err("usage: import_write DATABASE_URL KIND FILE".into());
    };
    let db = Db::connect(url).await?;
    db.migrate().await?;
    let start = Instant::now();
    let outcome = shanhai_import::import(
        &db,
        kind,
        &Actor::system("bench"),
        Who::System,
        Upload {
            file_name: file,
            path: std::path::Path::new(file),
            sha256: None,
        },
        false,
        &NoProgress,
    )
    .await?
    .ok_or("unknown kind")?;
    println!(
        "{} rows, {} created, {} unchanged, {} problems in {:.2} s",
        outcome.rows,
        outcome.created,
        outcome.unchanged,
        outcome.problems.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
