//! `cargo run --release -p shanhai-bench --bin soak -- [--backend postgres] [--minutes 30]`: a
//! real `shanhai serve` on the demo data under a steady mix — public bookings (create, look up,
//! cancel), searches (public session search, registry lists), dashboard reads (roll-ups and
//! program indicators) and consultations walked from request to close with the demo accounts'
//! tokens — offered at a fixed rate by several client tasks for `--minutes`.
//!
//! Every minute: throughput by kind, p50/p99 latency, the server's resident memory (VmRSS) and
//! the load average. At the end: a table of the minutes, memory at start and end, the last
//! minute's p99 against the first's (the baseline, measured in the same run), and a verdict.
//! The run fails (exit status 1) on any error — a 5xx, any status other than the one expected,
//! a transport error or timeout, the server exiting — or on memory that keeps growing (see
//! [`growth_verdict`] and bench/README.md).

use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, ValueEnum};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Value, json};
use shanhai_bench::pg::{Cluster, PgDatabase};
use shanhai_bench::serve::{
    Sample, Server, TempDir, booking_body, create_session, demo_registry, id_number, json_ok, ms,
    phone, server_binary, shared_client, status_kb,
};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Parser, Debug)]
#[command(
    name = "soak",
    about = "A steady mixed load on a real shanhai server for minutes; fails on any error or growing memory"
)]
struct Args {
    /// Database behind the server.
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: Backend,
    /// PostgreSQL server to use (a fresh database is created in it and dropped after);
    /// without it, a throwaway cluster is started with scripts/pg.sh.
    #[arg(long)]
    database_url: Option<String>,
    /// Length of the load.
    #[arg(long, default_value_t = 30)]
    minutes: u64,
    /// Requests per second offered, all kinds together.
    #[arg(long, default_value_t = 40.0)]
    rate: f64,
    /// Client tasks sharing the rate (each sends its next request on its own fixed schedule).
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Memory that keeps growing: the least-squares slope of RSS over the last two thirds of the
    /// run above this many MB per minute …
    #[arg(long, default_value_t = 1.0)]
    max_slope: f64,
    /// … and RSS at the end more than this many percent above RSS after the first minute.
    #[arg(long, default_value_t = 20.0)]
    max_growth: f64,
    /// The server's port (default: a free one).
    #[arg(long)]
    port: Option<u16>,
    /// The server's data directory, kept (default: a temporary one, removed at the end).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The server binary (default: target/release/shanhai, built when missing).
    #[arg(long)]
    server: Option<PathBuf>,
}

/// What a request is counted as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Book,
    Lookup,
    Cancel,
    Search,
    Registry,
    Dashboard,
    Consult,
}

impl Kind {
    const ALL: [Kind; 7] = [
        Kind::Book,
        Kind::Lookup,
        Kind::Cancel,
        Kind::Search,
        Kind::Registry,
        Kind::Dashboard,
        Kind::Consult,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::Book => "book",
            Kind::Lookup => "lookup",
            Kind::Cancel => "cancel",
            Kind::Search => "search",
            Kind::Registry => "registry",
            Kind::Dashboard => "dashboard",
            Kind::Consult => "consult",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The mix: each client walks this deck, one request per tick (starting at a different card).
/// 4 bookings, 3 look-ups and 2 cancellations (so the live bookings grow by 2 in 20), 3 public
/// searches, 2 registry lists, 3 dashboard reads and 3 consultation steps in every 20 requests.
const DECK: [Kind; 20] = [
    Kind::Book,
    Kind::Search,
    Kind::Dashboard,
    Kind::Lookup,
    Kind::Consult,
    Kind::Registry,
    Kind::Book,
    Kind::Search,
    Kind::Lookup,
    Kind::Cancel,
    Kind::Dashboard,
    Kind::Consult,
    Kind::Book,
    Kind::Registry,
    Kind::Search,
    Kind::Lookup,
    Kind::Dashboard,
    Kind::Consult,
    Kind::Book,
    Kind::Cancel,
];

/// How often the server's RSS is read.
const RSS_EVERY: Duration = Duration::from_secs(5);

/// What the client tasks share: the server, the tokens and ids of the demo accounts, the bench's
/// sessions.
struct World {
    client: reqwest::Client,
    base: String,
    office: String,
    clinician: String,
    expert: String,
    admin: String,
    program: String,
    expert_person: String,
    expert_institution: String,
    sessions: Vec<String>,
    regions: Vec<String>,
    next_person: AtomicU32,
}

/// Counts by minute (of the request's start).
#[derive(Default)]
struct Minute {
    kinds: Vec<Sample>,
    /// Ticks a client could not send on because its previous request was still running.
    missed: u64,
    rss_kb: Option<u64>,
    load: Option<f64>,
}

impl Minute {
    fn new() -> Minute {
        Minute {
            kinds: Kind::ALL.iter().map(|_| Sample::default()).collect(),
            ..Minute::default()
        }
    }

    fn requests(&self) -> u64 {
        self.kinds.iter().map(|s| s.ok + s.errors).sum()
    }

    fn errors(&self) -> u64 {
        self.kinds.iter().map(|s| s.errors).sum()
    }

    fn all(&self) -> Sample {
        let mut all = Sample::default();
        for s in &self.kinds {
            all.latencies.extend(&s.latencies);
        }
        all
    }
}

struct Stats {
    minutes: Vec<Minute>,
    /// (seconds since the load began, VmRSS kB).
    rss: Vec<(f64, u64)>,
    /// Errors printed as they happened (the first few).
    shown: usize,
    /// Why the run stopped early, if it did.
    fatal: Option<String>,
}

impl Stats {
    fn minute(&mut self, m: usize) -> &mut Minute {
        while self.minutes.len() <= m {
            self.minutes.push(Minute::new());
        }
        &mut self.minutes[m]
    }
}

type Shared = Arc<Mutex<Stats>>;

fn lock(stats: &Shared) -> std::sync::MutexGuard<'_, Stats> {
    stats.lock().unwrap_or_else(|e| e.into_inner())
}

/// One request: its latency and body, or what went wrong.
async fn call(
    request: RequestBuilder,
    expected: StatusCode,
    what: &str,
) -> (Duration, Result<Value, String>) {
    let started = Instant::now();
    let answer = match request.send().await {
        Ok(r) => {
            let status = r.status();
            match r.bytes().await {
                Ok(body) if status == expected => {
                    Ok(serde_json::from_slice(&body).unwrap_or(Value::Null))
                }
                Ok(body) => Err(format!(
                    "{what}: {status} (expected {expected}): {}",
                    String::from_utf8_lossy(&body)
                        .chars()
                        .take(300)
                        .collect::<String>()
                )),
                Err(e) => Err(format!("{what}: {status}, reading the body: {e}")),
            }
        }
        Err(e) => Err(format!("{what}: transport error: {e}")),
    };
    (started.elapsed(), answer)
}

/// A client's own state: the bookings it holds and the consultation it is walking.
#[derive(Default)]
struct Client {
    /// (booking code, phone), oldest first.
    bookings: VecDeque<(String, String)>,
    /// The consultation in progress and the next step (1 = accept … 5 = close).
    consultation: Option<(String, usize)>,
    turn: usize,
}

impl Client {
    /// Runs the card `kind`; a look-up or cancellation with no booking held books instead.
    async fn run(&mut self, kind: Kind, w: &World) -> (Kind, Duration, Result<(), String>) {
        self.turn += 1;
        let turn = self.turn;
        let kind = match kind {
            Kind::Lookup | Kind::Cancel if self.bookings.is_empty() => Kind::Book,
            k => k,
        };
        let (took, outcome) = match kind {
            Kind::Book => {
                let seq = w.next_person.fetch_add(1, Ordering::Relaxed);
                let session = &w.sessions[seq as usize % w.sessions.len()];
                let (took, r) = call(
                    w.client
                        .post(format!(
                            "{}/api/v1/public/sessions/{session}/bookings",
                            w.base
                        ))
                        .json(&booking_body(seq)),
                    StatusCode::CREATED,
                    "POST /api/v1/public/sessions/{id}/bookings",
                )
                .await;
                let r = r.and_then(|b| match b["booking_code"].as_str() {
                    Some(code) => {
                        self.bookings.push_back((code.to_string(), phone(seq)));
                        Ok(())
                    }
                    None => Err(format!("a booking without a code: {b}")),
                });
                (took, r)
            }
            Kind::Lookup => {
                // One of the newest 50 held.
                let n = self.bookings.len();
                let (code, phone) = &self.bookings[n - 1 - turn % n.min(50)];
                let (took, r) = call(
                    w.client
                        .post(format!("{}/api/v1/public/bookings/lookup", w.base))
                        .json(&json!({"booking_code": code, "phone": phone})),
                    StatusCode::OK,
                    "POST /api/v1/public/bookings/lookup",
                )
                .await;
                let r = r.and_then(|b| {
                    if b["booking_code"] == code.as_str() && b["status"] == "confirmed" {
                        Ok(())
                    } else {
                        Err(format!("lookup of {code}: {b}"))
                    }
                });
                (took, r)
            }
            Kind::Cancel => {
                let Some((code, phone)) = self.bookings.pop_front() else {
                    return (kind, Duration::ZERO, Err("nothing to cancel".into()));
                };
                let (took, r) = call(
                    w.client
                        .post(format!("{}/api/v1/public/bookings/cancel", w.base))
                        .json(&json!({"booking_code": code, "phone": phone})),
                    StatusCode::OK,
                    "POST /api/v1/public/bookings/cancel",
                )
                .await;
                (took, r.map(drop))
            }
            Kind::Search => {
                let (path, what) = match turn % 3 {
                    0 => (
                        format!(
                            "/api/v1/public/sessions?region={}",
                            w.regions[turn / 3 % w.regions.len()]
                        ),
                        "GET /api/v1/public/sessions?region=",
                    ),
                    1 => (
                        format!("/api/v1/public/sessions?page={}", 1 + turn / 3 % 3),
                        "GET /api/v1/public/sessions",
                    ),
                    _ => (
                        format!(
                            "/api/v1/public/sessions/{}",
                            w.sessions[turn / 3 % w.sessions.len()]
                        ),
                        "GET /api/v1/public/sessions/{id}",
                    ),
                };
                let (took, r) = call(
                    w.client.get(format!("{}{path}", w.base)),
                    StatusCode::OK,
                    what,
                )
                .await;
                (took, r.map(drop))
            }
            Kind::Registry => {
                let page = 1 + turn / 4 % 3;
                let (path, what) = match turn % 4 {
                    0 => (
                        format!("/api/v1/institutions?per_page=50&page={page}"),
                        "GET /api/v1/institutions",
                    ),
                    1 => (
                        format!("/api/v1/people?per_page=50&page={page}"),
                        "GET /api/v1/people",
                    ),
                    2 => ("/api/v1/programs".to_string(), "GET /api/v1/programs"),
                    _ => (
                        format!("/api/v1/departments?per_page=50&page={page}"),
                        "GET /api/v1/departments",
                    ),
                };
                let (took, r) = call(
                    w.client
                        .get(format!("{}{path}", w.base))
                        .bearer_auth(&w.admin),
                    StatusCode::OK,
                    what,
                )
                .await;
                (took, r.map(drop))
            }
            Kind::Dashboard => {
                let p = &w.program;
                let (path, what) = match turn % 4 {
                    0 => (
                        format!("/api/v1/rollups?program={p}"),
                        "GET /api/v1/rollups (program overview)",
                    ),
                    1 => (
                        format!("/api/v1/rollups?indicator=consultations&program={p}&group=month"),
                        "GET /api/v1/rollups (monthly trend)",
                    ),
                    2 => (
                        "/api/v1/rollups?indicator=consultations&group=region".to_string(),
                        "GET /api/v1/rollups (by province)",
                    ),
                    _ => (
                        format!("/api/v1/programs/{p}/indicators"),
                        "GET /api/v1/programs/{id}/indicators",
                    ),
                };
                let (took, r) = call(
                    w.client
                        .get(format!("{}{path}", w.base))
                        .bearer_auth(&w.office),
                    StatusCode::OK,
                    what,
                )
                .await;
                (took, r.map(drop))
            }
            Kind::Consult => self.consult_step(w).await,
        };
        (kind, took, outcome)
    }

    /// The next step of this client's consultation: request (the clinician), accept, schedule,
    /// hold and sign (the expert), close (the clinician).
    async fn consult_step(&mut self, w: &World) -> (Duration, Result<(), String>) {
        let Some((id, step)) = self.consultation.clone() else {
            let seq = w.next_person.fetch_add(1, Ordering::Relaxed);
            let (took, r) = call(
                w.client
                    .post(format!("{}/api/v1/consultations", w.base))
                    .bearer_auth(&w.clinician)
                    .json(&json!({
                        "type": "general", "urgency": "routine",
                        "target_institution_id": w.expert_institution,
                        "expert_ids": [w.expert_person],
                        "patient": {"name": "王五", "id_number": id_number(seq), "sex": "male", "age": 20 + seq % 60},
                        "case_summary": "胸痛3小时，心电图ST段抬高。",
                        "question": "是否需要急诊介入治疗？"
                    })),
                StatusCode::CREATED,
                "POST /api/v1/consultations",
            )
            .await;
            let r = r.and_then(|b| match b["id"].as_str() {
                Some(id) => {
                    self.consultation = Some((id.to_string(), 1));
                    Ok(())
                }
                None => Err(format!("a consultation without an id: {b}")),
            });
            return (took, r);
        };
        let tomorrow = shanhai_store::today() + chrono::Days::new(1);
        let (action, token, body) = match step {
            1 => ("accept", &w.expert, json!({})),
            2 => (
                "schedule",
                &w.expert,
                json!({"scheduled_at": format!("{tomorrow}T09:00")}),
            ),
            3 => ("hold", &w.expert, json!({})),
            4 => (
                "sign",
                &w.expert,
                json!({"opinion": "建议冠脉造影，术后双抗治疗。"}),
            ),
            _ => (
                "close",
                &w.clinician,
                json!({"decision": "按会诊意见转上级医院。"}),
            ),
        };
        let (took, r) = call(
            w.client
                .post(format!("{}/api/v1/consultations/{id}/{action}", w.base))
                .bearer_auth(token)
                .json(&body),
            StatusCode::OK,
            &format!("POST /api/v1/consultations/{{id}}/{action}"),
        )
        .await;
        // After an error the client starts a new consultation.
        self.consultation = match (&r, step) {
            (Ok(_), 1..=4) => Some((id, step + 1)),
            _ => None,
        };
        (took, r.map(drop))
    }
}

/// When the clients send: from `t0` to `end`, each every `period`, the `clients` spread evenly
/// over a period.
#[derive(Clone, Copy)]
struct Schedule {
    t0: Instant,
    end: Instant,
    period: Duration,
    clients: usize,
}

/// Client `i`: a request per tick of its own fixed schedule until the end (or `stop`).
async fn client_task(i: usize, at: Schedule, w: Arc<World>, stats: Shared, stop: Arc<AtomicBool>) {
    let Schedule {
        t0,
        end,
        period,
        clients,
    } = at;
    let mut me = Client::default();
    let mut card = i * 7 % DECK.len();
    let mut next = t0 + period.mul_f64(i as f64 / clients as f64);
    while next < end && !stop.load(Ordering::Relaxed) {
        tokio::time::sleep_until(next.into()).await;
        let started = Instant::now();
        let (kind, took, outcome) = me.run(DECK[card], &w).await;
        card = (card + 1) % DECK.len();
        let minute = (started - t0).as_secs() as usize / 60;
        {
            let mut s = lock(&stats);
            let show = outcome.is_err() && s.shown < 10;
            if show {
                s.shown += 1;
            }
            let sample = &mut s.minute(minute).kinds[kind.index()];
            match outcome {
                Ok(()) => {
                    sample.ok += 1;
                    sample.latencies.push(took);
                }
                Err(e) => {
                    if show {
                        eprintln!("  !! {} {e}", kind.name());
                    }
                    sample.error(e);
                }
            }
        }
        next += period;
        let now = Instant::now();
        if next < now {
            let behind = ((now - next).as_secs_f64() / period.as_secs_f64()).ceil();
            next += period.mul_f64(behind);
            let m = (now - t0).as_secs() as usize / 60;
            lock(&stats).minute(m).missed += behind as u64;
        }
    }
}

fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// The least-squares slope of `points` (x in seconds, y in kB), in MB per minute.
fn slope_mb_per_min(points: &[(f64, u64)]) -> f64 {
    let n = points.len() as f64;
    if points.len() < 2 {
        return 0.0;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1 as f64).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 as f64 - my)).sum();
    if sxx == 0.0 {
        return 0.0;
    }
    sxy / sxx * 60.0 / 1024.0
}

/// Memory that keeps growing: over the last two thirds of the run, RSS rises by more than
/// `max_slope` MB per minute (least squares over every sample, so one spike does not decide)
/// AND the run ends more than `max_growth` % above RSS after the first minute (the warm-up:
/// pools, caches and the allocator's arenas fill during it). Both, because a steady slope alone
/// can be a cache still filling towards its bound in a short run, and growth alone can be one
/// step that then stays flat. Returns (slope, growth %, grows).
fn growth_verdict(
    rss: &[(f64, u64)],
    start_kb: u64,
    end_kb: u64,
    seconds: f64,
    max_slope: f64,
    max_growth: f64,
) -> (f64, f64, bool) {
    let tail: Vec<(f64, u64)> = rss
        .iter()
        .copied()
        .filter(|(t, _)| *t >= seconds / 3.0)
        .collect();
    let slope = slope_mb_per_min(&tail);
    let growth = if start_kb == 0 {
        0.0
    } else {
        (end_kb as f64 - start_kb as f64) / start_kb as f64 * 100.0
    };
    (slope, growth, slope > max_slope && growth > max_growth)
}

fn rate_line(m: &mut Minute, secs: f64) -> String {
    Kind::ALL
        .iter()
        .map(|k| {
            let s = &mut m.kinds[k.index()];
            format!(
                "{} {:.1}/s {:.0}/{:.0} ms",
                k.name(),
                (s.ok + s.errors) as f64 / secs,
                ms(s.percentile(0.50)),
                ms(s.percentile(0.99))
            )
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    match run(args).await {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("soak: {e:#}");
            std::process::exit(2);
        }
    }
}

async fn run(args: Args) -> Result<bool> {
    if args.minutes == 0 || args.rate <= 0.0 || args.clients == 0 {
        bail!("--minutes, --rate and --clients must be above 0");
    }
    let bin = server_binary(args.server.as_deref())?;
    let (data_dir, _tmp) = match &args.dir {
        Some(d) => {
            if d.join("shanhai.db").exists() {
                bail!(
                    "{} already holds a database: give an empty directory",
                    d.display()
                );
            }
            (d.clone(), None)
        }
        None => {
            let tmp = TempDir(
                std::env::temp_dir().join(format!("shanhai-soak-{}", uuid::Uuid::now_v7())),
            );
            (tmp.0.join("data"), Some(tmp))
        }
    };
    std::fs::create_dir_all(&data_dir)?;
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
                    let (c, base) = Cluster::start(data_dir.join("pg"))?;
                    cluster = Some(c);
                    base
                }
            };
            let (db, url) = PgDatabase::create(&base).await?;
            pg = Some(db);
            url
        }
    };
    let outcome = soak(&args, &bin, &data_dir, &url).await;
    if let Some(pg) = &pg {
        pg.drop_database().await;
    }
    drop(cluster);
    outcome
}

/// The demo account's token and who it is (`/api/v1/auth/me`).
async fn sign_in(client: &reqwest::Client, base: &str, username: &str) -> Result<(String, Value)> {
    let token = json_ok(
        client
            .post(format!("{base}/api/v1/auth/token"))
            .json(&json!({"username": username, "password": "shanhai-demo"}))
            .send()
            .await?,
        StatusCode::CREATED,
        &format!("sign in as {username}"),
    )
    .await?["token"]
        .as_str()
        .ok_or_else(|| anyhow!("no token for {username}"))?
        .to_string();
    let me = json_ok(
        client
            .get(format!("{base}/api/v1/auth/me"))
            .bearer_auth(&token)
            .send()
            .await?,
        StatusCode::OK,
        &format!("{username}: /api/v1/auth/me"),
    )
    .await?;
    Ok((token, me))
}

fn field(v: &Value, key: &str, who: &str) -> Result<String> {
    v[key]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("the demo account {who} has no {key}"))
}

async fn soak(args: &Args, bin: &Path, data_dir: &Path, url: &str) -> Result<bool> {
    let built = std::fs::metadata(bin)
        .and_then(|m| m.modified())
        .map(|t| {
            chrono::DateTime::<chrono::Utc>::from(t)
                .format("%Y-%m-%d %H:%M UTC")
                .to_string()
        })
        .unwrap_or_default();
    println!(
        "soak: {:?} ({}), server {} (built {built}), {} cores, load average {:.2}",
        args.backend,
        shanhai_store::db::redact_url(url),
        bin.display(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        load_average().unwrap_or(f64::NAN)
    );
    let began = Instant::now();
    let out = Command::new(bin)
        .args(["--lang", "en", "demo", "--data-dir"])
        .arg(data_dir)
        .args(["--database-url", url])
        .output()
        .context("run shanhai demo")?;
    if !out.status.success() {
        bail!("shanhai demo: {}", String::from_utf8_lossy(&out.stderr));
    }
    println!(
        "[setup] demo data loaded in {:.0} s",
        began.elapsed().as_secs_f64()
    );
    let mut server = match args.port {
        Some(port) => Server::start_on(bin, data_dir, url, port).await?,
        None => Server::start(bin, data_dir, url).await?,
    };
    let pid = server
        .pid()
        .ok_or_else(|| anyhow!("the server is not running"))?;
    let client = shared_client()?;
    let base = server.base.clone();
    let (admin, people, institutions) = demo_registry(&client, &base).await?;
    let (office, office_me) = sign_in(&client, &base, "office").await?;
    let (clinician, _) = sign_in(&client, &base, "clinician").await?;
    let (expert, expert_me) = sign_in(&client, &base, "expert").await?;

    // Sessions for the bookings: 10,000 places each, enough for every booking the run offers
    // to stay confirmed (a 202 for the waiting list would be an error).
    let offered_bookings = args.rate * 60.0 * args.minutes as f64 * 4.0 / DECK.len() as f64;
    let count = (offered_bookings / 5_000.0).ceil().max(20.0) as usize;
    let mut sessions = Vec::with_capacity(count);
    let mut regions = Vec::new();
    for i in 0..count {
        let who = &people[(i + 1) % people.len()];
        sessions
            .push(create_session(&client, &base, &admin, who, 1 + (i % 7) as u64, 10_000).await?);
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
    let world = Arc::new(World {
        client,
        base,
        office,
        clinician,
        expert,
        admin,
        program: field(&office_me, "program_id", "office")?,
        expert_person: field(&expert_me, "person_id", "expert")?,
        expert_institution: field(&expert_me, "institution_id", "expert")?,
        sessions,
        regions,
        next_person: AtomicU32::new(1_000_000),
    });
    let rss_start = status_kb(pid, "VmRSS:").unwrap_or(0);
    println!(
        "[setup] server pid {pid} on {}, RSS after start {:.1} MB; {} sessions of 10,000 places in {} provinces",
        world.base,
        mb(rss_start),
        world.sessions.len(),
        world.regions.len()
    );
    println!(
        "[load]  {} min at {} requests/s offered by {} clients; every 20 requests: 4 book, 3 lookup, 2 cancel, 3 search, 2 registry, 3 dashboard, 3 consult",
        args.minutes, args.rate, args.clients
    );

    let stats: Shared = Arc::new(Mutex::new(Stats {
        minutes: Vec::new(),
        rss: Vec::new(),
        shown: 0,
        fatal: None,
    }));
    let stop = Arc::new(AtomicBool::new(false));
    let t0 = Instant::now();
    let seconds = args.minutes as f64 * 60.0;
    let end = t0 + Duration::from_secs(args.minutes * 60);
    let at = Schedule {
        t0,
        end,
        period: Duration::from_secs_f64(args.clients as f64 / args.rate),
        clients: args.clients,
    };
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..args.clients {
        tasks.spawn(client_task(
            i,
            at,
            world.clone(),
            stats.clone(),
            stop.clone(),
        ));
    }

    // The sampler and the minute lines, until the end (or the server exits).
    let mut printed = 0usize;
    let mut next_sample = t0;
    loop {
        tokio::time::sleep_until(next_sample.into()).await;
        let now = Instant::now();
        let t = (now - t0).as_secs_f64();
        if let Some(how) = server.exited() {
            let mut s = lock(&stats);
            s.fatal = Some(format!(
                "the server exited ({how}) after {t:.0} s; its log: {}",
                server.log.display()
            ));
            stop.store(true, Ordering::Relaxed);
            break;
        }
        if let Some(kb) = status_kb(pid, "VmRSS:") {
            let mut s = lock(&stats);
            s.rss.push((t, kb));
            // A sample at 60 s closes the first minute.
            let m = (((t - 0.001).max(0.0) / 60.0) as usize).min(args.minutes as usize - 1);
            let minute = s.minute(m);
            minute.rss_kb = Some(kb);
            minute.load = load_average();
        }
        // A minute is printed 2 s after it ends (its last requests are then nearly all done).
        while printed < args.minutes as usize
            && now >= t0 + Duration::from_secs(printed as u64 * 60 + 62)
        {
            let mut s = lock(&stats);
            let total = args.minutes;
            let m = s.minute(printed);
            let mut all = m.all();
            println!(
                "[{:>2}/{total}] {:.1} req/s (offered {:.1}), p50 {:.1} ms, p99 {:.1} ms, RSS {:.1} MB, errors {}, missed ticks {}, load {:.1}",
                printed + 1,
                m.requests() as f64 / 60.0,
                args.rate,
                ms(all.percentile(0.50)),
                ms(all.percentile(0.99)),
                m.rss_kb.map(mb).unwrap_or(f64::NAN),
                m.errors(),
                m.missed,
                m.load.unwrap_or(f64::NAN)
            );
            println!("        {}", rate_line(m, 60.0));
            printed += 1;
        }
        if now >= end + Duration::from_secs(2) {
            break;
        }
        next_sample += RSS_EVERY;
        if next_sample > end && now < end {
            next_sample = end;
        } else if next_sample > end {
            next_sample = end + Duration::from_secs(2);
        }
    }
    stop.store(true, Ordering::Relaxed);
    while let Some(done) = tasks.join_next().await {
        done?;
    }
    let rss_end = status_kb(pid, "VmRSS:").unwrap_or(0);
    let hwm = status_kb(pid, "VmHWM:").unwrap_or(0);
    let still_running = server.exited().is_none();
    server.stop();

    let mut s = lock(&stats);
    if let Some(fatal) = s.fatal.clone() {
        println!("FAIL: {fatal}");
        return Ok(false);
    }
    if !still_running {
        println!("FAIL: the server exited before the end");
        return Ok(false);
    }
    summary(args, &mut s, rss_start, rss_end, hwm, seconds)
}

fn summary(
    args: &Args,
    s: &mut Stats,
    rss_start: u64,
    rss_end: u64,
    hwm: u64,
    seconds: f64,
) -> Result<bool> {
    let minutes = args.minutes as usize;
    s.minute(minutes - 1);
    s.minutes.truncate(minutes);
    println!();
    println!(
        "minute   req/s {}   p50 ms   p99 ms   RSS MB  load",
        Kind::ALL
            .iter()
            .map(|k| format!("{:>10}", k.name()))
            .collect::<String>()
    );
    let mut total = Minute::new();
    // Per minute: requests/s, p99 of all, p99 by kind (for the degradation ratio).
    let mut figures: Vec<(f64, f64, Vec<f64>)> = Vec::new();
    for (i, m) in s.minutes.iter_mut().enumerate() {
        let mut all = m.all();
        figures.push((
            m.requests() as f64 / 60.0,
            ms(all.percentile(0.99)),
            m.kinds.iter_mut().map(|k| ms(k.percentile(0.99))).collect(),
        ));
        println!(
            "{:>6} {:>7.1} {}  {:>7.1}  {:>7.1}  {:>7.1}  {:>4.1}",
            i + 1,
            m.requests() as f64 / 60.0,
            Kind::ALL
                .iter()
                .map(|k| {
                    let x = &m.kinds[k.index()];
                    format!("{:>10.1}", (x.ok + x.errors) as f64 / 60.0)
                })
                .collect::<String>(),
            ms(all.percentile(0.50)),
            ms(all.percentile(0.99)),
            m.rss_kb.map(mb).unwrap_or(f64::NAN),
            m.load.unwrap_or(f64::NAN)
        );
        for (t, x) in total.kinds.iter_mut().zip(m.kinds.drain(..)) {
            t.merge(x);
        }
        m.kinds = Kind::ALL.iter().map(|_| Sample::default()).collect();
        total.missed += m.missed;
    }
    let requests = total.requests();
    let errors = total.errors();
    println!(
        "whole run: {requests} requests ({:.1}/s of {:.1} offered), {errors} errors, {} missed ticks",
        requests as f64 / seconds,
        args.rate,
        total.missed
    );
    println!("        {}", rate_line(&mut total, seconds));

    // Degradation: the last minute against the first (the baseline), in the same run.
    let (first, last) = (&figures[0], &figures[minutes - 1]);
    let ratio = |a: f64, b: f64| if a > 0.0 { b / a } else { f64::NAN };
    println!(
        "degradation: last minute's p99 ÷ first minute's = {:.2} ({}); throughput {:.2}",
        ratio(first.1, last.1),
        Kind::ALL
            .iter()
            .map(|k| format!(
                "{} {:.2}",
                k.name(),
                ratio(first.2[k.index()], last.2[k.index()])
            ))
            .collect::<Vec<_>>()
            .join(", "),
        ratio(first.0, last.0)
    );

    let start_kb = s
        .minutes
        .first()
        .and_then(|m| m.rss_kb)
        .unwrap_or(rss_start);
    let (slope, growth, grows) = growth_verdict(
        &s.rss,
        start_kb,
        rss_end,
        seconds,
        args.max_slope,
        args.max_growth,
    );
    println!(
        "memory: after start {:.1} MB, after the first minute (start) {:.1} MB, end {:.1} MB ({growth:+.1} %), peak (VmHWM) {:.1} MB; slope over the last two thirds {slope:+.2} MB/min (fails above {} MB/min and {} %)",
        mb(rss_start),
        mb(start_kb),
        mb(rss_end),
        mb(hwm),
        args.max_slope,
        args.max_growth
    );
    let mut failures = Vec::new();
    if errors > 0 {
        failures.push(format!("{errors} requests failed"));
        for k in Kind::ALL {
            for e in &total.kinds[k.index()].first_errors {
                println!("  e.g. {} {e}", k.name());
            }
        }
    }
    if grows {
        failures.push(format!(
            "memory keeps growing ({slope:+.2} MB/min over the last two thirds, {growth:+.1} % since the first minute)"
        ));
    }
    if failures.is_empty() {
        println!("verdict: PASS");
        Ok(true)
    } else {
        println!("verdict: FAIL: {}", failures.join("; "));
        Ok(false)
    }
}
