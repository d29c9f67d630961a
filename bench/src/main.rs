//! `shanhai-bench`: load against a real `target/release/shanhai serve` on a fresh database with
//! the demo data, read against two baselines measured on the same machine.
//!
//! 1. baseline A: `GET /healthz` requests/s through the same client machinery;
//! 2. flash crowd: `--clients` patients at once on one session of `--slots` places (the run fails
//!    unless exactly `--slots` are confirmed and every 201 is in the database);
//! 3. sustained: bookings over many sessions plus public searches for `--seconds`;
//! 4. baseline B (storage limit): with the server stopped, a plain loop of single-booking
//!    transactions through `shanhai_store::bookings::book_on` on the same database.
//!
//! See bench/README.md for how to read the output.

use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, ValueEnum};
use reqwest::StatusCode;
use serde_json::Value;
use shanhai_domain::bookings::{BookingLimits, BookingRequest};
use shanhai_store::Db;
use shanhai_store::audit::Actor;
use shanhai_store::bookings::{self, BookOutcome};
use shanhai_store::crypto::PatientCipher;
use sqlx::Row;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use shanhai_bench::pg::{Cluster, PgDatabase};
use shanhai_bench::serve::{
    Sample, Server, TempDir, booking_body, create_session, demo_registry, id_number, phone,
    server_binary, shared_client,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Parser, Debug)]
#[command(
    name = "shanhai-bench",
    about = "Load benchmarks of a real shanhai server"
)]
struct Args {
    /// Database behind the server.
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: Backend,
    /// PostgreSQL server to use (a fresh database is created in it and dropped after);
    /// without it, a throwaway cluster is started with scripts/pg.sh.
    #[arg(long)]
    database_url: Option<String>,
    /// Flash crowd: patients arriving at once, each with a connection of their own.
    #[arg(long, default_value_t = 2000)]
    clients: u32,
    /// Flash crowd: places in the session.
    #[arg(long, default_value_t = 300)]
    slots: u32,
    /// Length of the sustained phase.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent keep-alive clients in the healthz baseline and the sustained phase.
    #[arg(long, default_value_t = 256)]
    workers: usize,
    /// Of the sustained phase's workers, how many search instead of booking.
    #[arg(long, default_value_t = 32)]
    searchers: usize,
    /// Sessions the sustained bookings are spread over (10 000 places each).
    #[arg(long, default_value_t = 200)]
    sessions: usize,
    /// Length of each baseline.
    #[arg(long, default_value_t = 3)]
    baseline_seconds: u64,
    /// Concurrent loops in the storage baseline (default: 1 on SQLite, which has one write
    /// lock; 16, the server's pool size, on PostgreSQL).
    #[arg(long)]
    storage_loops: Option<usize>,
    /// The server binary (default: target/release/shanhai, built when missing).
    #[arg(long)]
    server: Option<PathBuf>,
}

#[derive(Clone, Copy)]
enum Kind {
    Healthz,
    Book,
    Search,
}

/// What the closed-loop workers share.
struct Load {
    client: reqwest::Client,
    base: String,
    sessions: Vec<String>,
    regions: Vec<String>,
    next_person: AtomicU32,
}

/// One worker: requests back to back until `end`; only those started after `measure_from`
/// and finished by `end` count.
async fn worker(load: Arc<Load>, kind: Kind, measure_from: Instant, end: Instant) -> Sample {
    let mut sample = Sample::default();
    let mut turn = 0usize;
    loop {
        let started = Instant::now();
        if started >= end {
            break;
        }
        turn += 1;
        let (request, expected) = match kind {
            Kind::Healthz => (
                load.client.get(format!("{}/healthz", load.base)),
                StatusCode::OK,
            ),
            Kind::Book => {
                let seq = load.next_person.fetch_add(1, Ordering::Relaxed);
                let session = &load.sessions[seq as usize % load.sessions.len()];
                (
                    load.client
                        .post(format!(
                            "{}/api/v1/public/sessions/{session}/bookings",
                            load.base
                        ))
                        .json(&booking_body(seq)),
                    StatusCode::CREATED,
                )
            }
            Kind::Search => {
                let region = &load.regions[turn % load.regions.len()];
                (
                    load.client.get(format!(
                        "{}/api/v1/public/sessions?region={region}",
                        load.base
                    )),
                    StatusCode::OK,
                )
            }
        };
        let answer = match request.send().await {
            Ok(r) => {
                let status = r.status();
                r.bytes().await.map(|b| (status, b))
            }
            Err(e) => Err(e),
        };
        let done = Instant::now();
        if started < measure_from || done > end {
            continue;
        }
        match answer {
            Ok((status, _)) if status == expected => {
                sample.ok += 1;
                sample.latencies.push(done - started);
            }
            Ok((status, body)) => {
                sample.error(format!("{status}: {}", String::from_utf8_lossy(&body)));
            }
            Err(e) => sample.error(e.to_string()),
        }
    }
    sample
}

/// Runs `kinds` (one worker each) for `warmup` + `measure`; one merged sample per kind
/// position given by `group`, and the measured seconds.
async fn closed_loop(
    load: &Arc<Load>,
    kinds: &[Kind],
    warmup: Duration,
    measure: Duration,
) -> Result<(Vec<Sample>, f64)> {
    let measure_from = Instant::now() + warmup;
    let end = measure_from + measure;
    let mut tasks = tokio::task::JoinSet::new();
    for (i, kind) in kinds.iter().enumerate() {
        let load = load.clone();
        let kind = *kind;
        tasks.spawn(async move { (i, worker(load, kind, measure_from, end).await) });
    }
    let mut samples: Vec<Sample> = kinds.iter().map(|_| Sample::default()).collect();
    while let Some(done) = tasks.join_next().await {
        let (i, sample) = done?;
        samples[i] = sample;
    }
    Ok((samples, measure.as_secs_f64()))
}

/// The flash crowd's outcome.
struct Flash {
    ok: bool,
}

async fn flash_crowd(args: &Args, base: &str, url: &str, session: &str) -> Result<Flash> {
    let n = args.clients as usize;
    let start = Arc::new(tokio::sync::Barrier::new(n + 1));
    let mut tasks = tokio::task::JoinSet::new();
    for seq in 0..args.clients {
        let start = start.clone();
        let url = format!("{base}/api/v1/public/sessions/{session}/bookings");
        let client = reqwest::Client::builder()
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(120))
            .build()?;
        tasks.spawn(async move {
            let body = booking_body(seq);
            start.wait().await;
            let began = Instant::now();
            let answer = match client.post(&url).json(&body).send().await {
                Ok(r) => {
                    let status = r.status();
                    Ok((status, r.json::<Value>().await.unwrap_or(Value::Null)))
                }
                Err(e) => Err(e.to_string()),
            };
            (answer, began.elapsed())
        });
    }
    start.wait().await;
    let began = Instant::now();
    let mut sample = Sample::default();
    let (mut created, mut conflicts) = (Vec::new(), 0u64);
    while let Some(done) = tasks.join_next().await {
        let (answer, latency) = done?;
        sample.latencies.push(latency);
        match answer {
            Ok((StatusCode::CREATED, b)) => {
                created.push(b["booking_code"].as_str().unwrap_or_default().to_string());
            }
            Ok((StatusCode::CONFLICT, _)) => conflicts += 1,
            Ok((status, b)) => sample.error(format!("{status}: {b}")),
            Err(e) => sample.error(e),
        }
    }
    let took = began.elapsed();

    let db = Db::connect(url).await?;
    let codes: HashSet<String> = sqlx::query(
        "SELECT booking_code FROM bookings WHERE session_id = $1 AND status = 'confirmed'",
    )
    .bind(session.to_string())
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| r.try_get::<String, _>("booking_code"))
    .collect::<Result<_, _>>()?;
    let booked: i64 = sqlx::query("SELECT booked FROM clinic_sessions WHERE id = $1")
        .bind(session.to_string())
        .fetch_one(db.pool())
        .await?
        .try_get("booked")?;
    db.close().await;
    let all_present = created.iter().all(|c| codes.contains(c));
    let ok = codes.len() == args.slots as usize
        && booked == i64::from(args.slots)
        && created.len() == args.slots as usize
        && all_present
        && sample.errors == 0;
    println!(
        "[flash]     {} clients at once on {} slots: {:.0} attempts/s ({} answered in {:.2} s), {}",
        args.clients,
        args.slots,
        f64::from(args.clients) / took.as_secs_f64(),
        args.clients,
        took.as_secs_f64(),
        sample.p50_p99()
    );
    println!(
        "            answers: {} × 201, {conflicts} × 409, {} other; database: {} confirmed, booked = {booked}, every 201 in the database: {} => {}",
        created.len(),
        sample.errors,
        codes.len(),
        if all_present { "yes" } else { "NO" },
        if ok { "OK" } else { "FAILED" }
    );
    for e in &sample.first_errors {
        println!("            e.g. {e}");
    }
    Ok(Flash { ok })
}

/// Baseline B: single-booking transactions in a plain loop (or `loops` of them), no HTTP.
async fn storage_limit(
    url: &str,
    data_dir: &Path,
    sessions: &[String],
    loops: usize,
    seconds: u64,
) -> Result<(f64, u64)> {
    let db = Db::connect(url).await?;
    let cipher = Arc::new(
        PatientCipher::load(data_dir).context("the server's patient key in the data directory")?,
    );
    let next = Arc::new(AtomicU32::new(5_000_000));
    let sessions = Arc::new(sessions.to_vec());
    let measure_from = Instant::now() + Duration::from_millis(300);
    let end = measure_from + Duration::from_secs(seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..loops {
        let (db, cipher, next, sessions) =
            (db.clone(), cipher.clone(), next.clone(), sessions.clone());
        tasks.spawn(async move {
            let actor = Actor {
                user_id: None,
                name: "public".into(),
                ip: Some("127.0.0.1".into()),
            };
            let mut done = 0u64;
            loop {
                let started = Instant::now();
                if started >= end {
                    break;
                }
                let seq = next.fetch_add(1, Ordering::Relaxed);
                let session = &sessions[seq as usize % sessions.len()];
                let new = BookingRequest {
                    name: "王五".into(),
                    phone: phone(seq),
                    id_number: id_number(seq),
                    waitlist: false,
                }
                .parse()
                .map_err(|e| anyhow!("booking request: {e:?}"))?;
                let mut tx = db.begin_write().await?;
                let outcome = bookings::book_on(
                    &mut tx,
                    &cipher,
                    &actor,
                    session,
                    &new,
                    &BookingLimits::DEFAULT.without_address_limits(),
                )
                .await?;
                tx.commit().await?;
                if !matches!(outcome, BookOutcome::Confirmed(_)) {
                    bail!("storage loop: booking not confirmed");
                }
                if started >= measure_from && Instant::now() <= end {
                    done += 1;
                }
            }
            Ok::<u64, anyhow::Error>(done)
        });
    }
    let mut total = 0;
    while let Some(done) = tasks.join_next().await {
        total += done??;
    }
    db.close().await;
    Ok((total as f64 / seconds as f64, total))
}

/// How many `SELECT 1` one connection answers per second: the price of one statement's round
/// trip between the async side and the database (sqlx's SQLite driver runs each connection on a
/// thread of its own), which every statement of a booking pays.
async fn round_trips(url: &str, seconds: f64) -> Result<f64> {
    let db = Db::connect(url).await?;
    let mut conn = db.pool().acquire().await?;
    let began = Instant::now();
    let mut n = 0u64;
    while began.elapsed().as_secs_f64() < seconds {
        sqlx::query("SELECT 1").execute(&mut *conn).await?;
        n += 1;
    }
    let rate = n as f64 / began.elapsed().as_secs_f64();
    drop(conn);
    db.close().await;
    Ok(rate)
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    match run(args).await {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("shanhai-bench: {e:#}");
            std::process::exit(2);
        }
    }
}

async fn run(args: Args) -> Result<bool> {
    let bin = server_binary(args.server.as_deref())?;
    let tmp = TempDir(std::env::temp_dir().join(format!("shanhai-bench-{}", uuid::Uuid::now_v7())));
    let data_dir = tmp.0.join("data");
    std::fs::create_dir_all(&data_dir)?;

    // The database: SQLite in the data directory, or a fresh PostgreSQL database.
    let mut cluster = None;
    let mut pg = None;
    let url = match args.backend {
        Backend::Sqlite => format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("shanhai.db").display()
        ),
        Backend::Postgres => {
            let base = match &args.database_url {
                Some(base) => base.clone(),
                None => {
                    let (c, base) = Cluster::start(tmp.0.join("pg"))?;
                    cluster = Some(c);
                    base
                }
            };
            let (db, url) = PgDatabase::create(&base).await?;
            pg = Some(db);
            url
        }
    };
    let outcome = bench(&args, &bin, &data_dir, &url).await;
    if let Some(pg) = &pg {
        pg.drop_database().await;
    }
    drop(cluster);
    drop(tmp);
    outcome
}

async fn bench(args: &Args, bin: &Path, data_dir: &Path, url: &str) -> Result<bool> {
    let built = std::fs::metadata(bin)
        .and_then(|m| m.modified())
        .map(|t| {
            chrono::DateTime::<chrono::Utc>::from(t)
                .format("%Y-%m-%d %H:%M UTC")
                .to_string()
        })
        .unwrap_or_default();
    println!(
        "shanhai-bench: {:?} ({}), server {} (built {built}), {} cores",
        args.backend,
        shanhai_store::db::redact_url(url),
        bin.display(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    let out = Command::new(bin)
        .args(["--lang", "en", "demo", "--data-dir"])
        .arg(data_dir)
        .args(["--database-url", url])
        .output()
        .context("run shanhai demo")?;
    if !out.status.success() {
        bail!("shanhai demo: {}", String::from_utf8_lossy(&out.stderr));
    }
    let mut server = Server::start(bin, data_dir, url).await?;
    let client = shared_client()?;

    // Sessions: one for the flash crowd, `--sessions` large ones for the sustained phase.
    let (token, people, institutions) = demo_registry(&client, &server.base).await?;
    let flash_session =
        create_session(&client, &server.base, &token, &people[0], 1, args.slots).await?;
    let mut sessions = Vec::with_capacity(args.sessions);
    let mut regions = Vec::new();
    for i in 0..args.sessions {
        let who = &people[(i + 1) % people.len()];
        sessions.push(
            create_session(
                &client,
                &server.base,
                &token,
                who,
                1 + (i % 7) as u64,
                10_000,
            )
            .await?,
        );
        if let Some((_, code)) = institutions.iter().find(|(id, _)| *id == who.1) {
            let province = format!("{}0000", &code[..2.min(code.len())]);
            if !regions.contains(&province) {
                regions.push(province);
            }
        }
    }
    if regions.is_empty() {
        regions.push("110000".into());
    }
    let load = Arc::new(Load {
        client,
        base: server.base.clone(),
        sessions: sessions.clone(),
        regions: regions.clone(),
        next_person: AtomicU32::new(1_000_000),
    });
    let baseline = Duration::from_secs(args.baseline_seconds);
    let warmup = Duration::from_millis(500);

    // (1) Baseline A: the same client machinery on the cheapest endpoint.
    let (mut samples, secs) =
        closed_loop(&load, &vec![Kind::Healthz; args.workers], warmup, baseline).await?;
    let mut healthz = Sample::default();
    for s in samples.drain(..) {
        healthz.merge(s);
    }
    let healthz_rate = healthz.ok as f64 / secs;
    println!(
        "[A healthz] {} keep-alive clients, {secs:.0} s: {healthz_rate:.0} req/s, {}, {} errors",
        args.workers,
        healthz.p50_p99(),
        healthz.errors
    );

    // (2) Flash crowd.
    let flash = flash_crowd(args, &server.base, url, &flash_session).await?;

    // (3) Sustained bookings over many sessions, with public searches alongside.
    let searchers = args.searchers.min(args.workers.saturating_sub(1));
    let mut kinds = vec![Kind::Book; args.workers - searchers];
    kinds.extend(vec![Kind::Search; searchers]);
    let (samples, secs) =
        closed_loop(&load, &kinds, warmup, Duration::from_secs(args.seconds)).await?;
    let (mut booked, mut searched) = (Sample::default(), Sample::default());
    for (kind, s) in kinds.iter().zip(samples) {
        match kind {
            Kind::Book => booked.merge(s),
            _ => searched.merge(s),
        }
    }
    let booking_rate = booked.ok as f64 / secs;
    println!(
        "[sustained] {secs:.0} s, {} booking + {searchers} search clients over {} sessions in {} regions:",
        args.workers - searchers,
        sessions.len(),
        regions.len()
    );
    println!(
        "            bookings {booking_rate:.0}/s ({}), searches {:.0}/s ({}), errors {} + {}",
        booked.p50_p99(),
        searched.ok as f64 / secs,
        searched.p50_p99(),
        booked.errors,
        searched.errors
    );
    for e in booked.first_errors.iter().chain(&searched.first_errors) {
        println!("            e.g. {e}");
    }

    // (3b) The same bookings without the searches, to show what the searches cost them.
    let only = vec![Kind::Book; args.workers - searchers];
    let (samples, secs) =
        closed_loop(&load, &only, warmup, Duration::from_secs(args.seconds)).await?;
    let mut alone = Sample::default();
    for s in samples {
        alone.merge(s);
    }
    let alone_rate = alone.ok as f64 / secs;
    println!(
        "[bookings only] {secs:.0} s, {} booking clients, no searches: bookings {alone_rate:.0}/s ({}), errors {}",
        args.workers - searchers,
        alone.p50_p99(),
        alone.errors
    );

    // (4) Baseline B, with the server stopped (on SQLite it would compete for the write lock).
    server.stop();
    let loops = args.storage_loops.unwrap_or(match args.backend {
        Backend::Sqlite => 1,
        Backend::Postgres => 16,
    });
    let (storage_rate, _) =
        storage_limit(url, data_dir, &sessions, loops, args.baseline_seconds).await?;
    println!(
        "[B storage] {loops} loop(s) of BEGIN; book_on; COMMIT, no HTTP, {} s: {storage_rate:.0} tx/s",
        args.baseline_seconds
    );
    let probe = round_trips(url, 1.0).await?;
    println!(
        "[B probe]   SELECT 1 on one connection: {probe:.0} round trips/s ({:.0} µs each)",
        1e6 / probe
    );
    let ratio_b = booking_rate / storage_rate;
    println!(
        "ratios:     sustained bookings/s ÷ healthz req/s = {:.3}; sustained bookings/s ÷ storage tx/s = {ratio_b:.2}{}",
        booking_rate / healthz_rate,
        match args.backend {
            Backend::Sqlite if ratio_b >= 0.5 => " (goal ≥ 0.5 on SQLite: met)",
            Backend::Sqlite => " (goal ≥ 0.5 on SQLite: NOT met)",
            Backend::Postgres => "",
        }
    );
    println!(
        "            without searches: bookings/s ÷ storage tx/s = {:.2}",
        alone_rate / storage_rate
    );
    if !flash.ok {
        eprintln!("shanhai-bench: the flash crowd did not confirm exactly --slots bookings");
    }
    Ok(flash.ok && booked.errors == 0 && searched.errors == 0 && alone.errors == 0)
}
