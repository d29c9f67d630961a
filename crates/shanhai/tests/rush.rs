#![allow(clippy::expect_used)] // a test that cannot set up should stop with the reason
//! Flash crowds against real `shanhai serve` processes: many patients at once on one clinic
//! session must never overbook it, every 201 must be in the database, and a `kill -9` in the
//! middle of a rush must lose no booking whose confirmation went out.
//!
//! SQLite by default; PostgreSQL when `SHANHAI_TEST_DATABASE_URL` names a server (each test then
//! creates its own database, a copy of one demo load). The tests run one at a time: each one
//! loads the whole machine.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shanhai_store::Db;
use sqlx::Row;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CAPACITY: usize = 300;
const CLIENTS: u32 = 2000;

/// One rush at a time: each one uses both cores and a few thousand sockets.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A directory removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("shanhai-rush-{label}-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    fn sub(&self, name: &str) -> PathBuf {
        let dir = self.0.join(name);
        std::fs::create_dir_all(&dir).expect("sub dir");
        dir
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn postgres_base() -> Option<String> {
    std::env::var("SHANHAI_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
}

/// A new PostgreSQL database on the configured server, empty or a copy of `template`: its name
/// and URL.
async fn create_postgres(base: &str, template: Option<&str>) -> (String, String) {
    let name = format!("shanhai_rush_{}", uuid::Uuid::now_v7().simple());
    let admin = Db::connect(base).await.expect("connect to PostgreSQL");
    let from = template
        .map(|t| format!(" TEMPLATE {t}"))
        .unwrap_or_default();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}{from}")))
        .execute(admin.pool())
        .await
        .expect("create test database");
    admin.close().await;
    let (prefix, _) = base.rsplit_once('/').expect("database URL has a path");
    let url = format!("{prefix}/{name}");
    (name, url)
}

fn sqlite_url(data_dir: &Path) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("shanhai.db").display()
    )
}

/// The patient-data key of every demo load and server here: one key, so that a demo loaded once
/// can be copied into each test's data directory and database (and two hosts can share one
/// database, as a deployment must configure them).
const PATIENT_KEY: &str = "6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a6a";
const ENV: &[(&str, &str)] = &[("SHANHAI_PATIENT_KEY", PATIENT_KEY)];

/// The demo, loaded once per backend per run (about 15 s on SQLite and 45 s on PostgreSQL in a
/// debug build) into a data directory under the target's tmp folder; each test gets a copy.
static SQLITE_DEMO: tokio::sync::OnceCell<PathBuf> = tokio::sync::OnceCell::const_new();
static POSTGRES_DEMO: tokio::sync::OnceCell<(PathBuf, String)> = tokio::sync::OnceCell::const_new();

fn pristine_dir(backend: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("rush-demo-{backend}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("demo dir");
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// A copy of the demo on SQLite in `data`: its database URL.
async fn sqlite_demo(data: &Path) -> String {
    let pristine = SQLITE_DEMO
        .get_or_init(|| async {
            let dir = pristine_dir("sqlite");
            load_demo(&dir, &sqlite_url(&dir));
            dir
        })
        .await;
    copy_dir(pristine, data);
    sqlite_url(data)
}

/// A copy of the demo in a new PostgreSQL database (and its data directory in `data`): its URL.
async fn postgres_demo(base: &str, data: &Path) -> String {
    let (pristine, template) = POSTGRES_DEMO
        .get_or_init(|| async {
            let dir = pristine_dir("postgres");
            let (name, url) = create_postgres(base, None).await;
            load_demo(&dir, &url);
            (dir, name)
        })
        .await;
    copy_dir(pristine, data);
    create_postgres(base, Some(template)).await.1
}

/// A copy of the demo on the configured backend, with `data` as its data directory.
async fn demo_database(data: &Path) -> String {
    match postgres_base() {
        Some(base) => postgres_demo(&base, data).await,
        None => sqlite_demo(data).await,
    }
}

fn shanhai() -> Command {
    Command::new(env!("CARGO_BIN_EXE_shanhai"))
}

/// `shanhai demo`: the demo registry and accounts (admin / shanhai-demo).
fn load_demo(data_dir: &Path, url: &str) {
    let out = shanhai()
        .envs(ENV.iter().copied())
        .args(["--lang", "en", "demo", "--data-dir"])
        .arg(data_dir)
        .args(["--database-url", url])
        .output()
        .expect("run shanhai demo");
    assert!(
        out.status.success(),
        "shanhai demo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A `shanhai serve` process on a port of its own; killed (SIGKILL) when dropped.
struct Server {
    child: Arc<Mutex<Child>>,
    base: String,
    log: PathBuf,
}

impl Server {
    async fn start(data_dir: &Path, url: &str) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let log = data_dir.join(format!("serve-{port}.log"));
        let log_file = std::fs::File::create(&log).expect("log file");
        let mut cmd = shanhai();
        cmd.args(["--lang", "en", "serve", "--data-dir"])
            .arg(data_dir)
            .args(["--database-url", url])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .env("SHANHAI_PUBLIC_RATE_LIMIT", "0")
            .env("RUST_LOG", "warn")
            .envs(ENV.iter().copied())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log file"))
            .stderr(log_file);
        let child = cmd.spawn().expect("spawn shanhai serve");
        let server = Server {
            child: Arc::new(Mutex::new(child)),
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        server.wait_healthy().await;
        server
    }

    async fn wait_healthy(&self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = client.get(format!("{}/healthz", self.base)).send().await
                && r.status() == StatusCode::OK
            {
                return;
            }
            let exited = self
                .child
                .lock()
                .expect("child")
                .try_wait()
                .expect("try_wait");
            if let Some(status) = exited {
                panic!(
                    "shanhai serve exited ({status}) before answering: {}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "shanhai serve did not answer /healthz within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `kill -9`, then reap.
    fn kill(&self) {
        kill_child(&self.child);
    }
}

fn kill_child(child: &Mutex<Child>) {
    let mut child = child.lock().expect("child");
    let _ = child.kill();
    let _ = child.wait();
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A valid 18-character ID number, distinct for every `seq` below 28 000.
fn id_number(seq: u32) -> String {
    let body = format!("150203{}{:03}", 19700101 + (seq / 1000) % 28, seq % 1000);
    let check = shanhai_domain::bookings::check_char(&body).expect("17 digits");
    format!("{body}{check}")
}

fn phone(seq: u32) -> String {
    format!("138{seq:08}")
}

/// The demo admin's token.
async fn sign_in(base: &str) -> String {
    let r: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"username": "admin", "password": "shanhai-demo"}))
        .send()
        .await
        .expect("sign in")
        .json()
        .await
        .expect("token json");
    r["token"].as_str().expect("token").to_string()
}

/// A new session of `capacity` places for the first demo person at their own hospital,
/// `days_ahead` days from today (Asia/Shanghai).
async fn new_session(base: &str, token: &str, capacity: usize, days_ahead: u64) -> String {
    let client = reqwest::Client::new();
    let people: Value = client
        .get(format!("{base}/api/v1/people?per_page=1"))
        .bearer_auth(token)
        .send()
        .await
        .expect("people")
        .json()
        .await
        .expect("people json");
    let person = &people["items"][0];
    let date = (shanhai_store::today() + chrono::Days::new(days_ahead)).to_string();
    let r = client
        .post(format!("{base}/api/v1/clinic-sessions"))
        .bearer_auth(token)
        .json(
            &json!({"expert_id": person["id"], "institution_id": person["institution_id"],
                      "date": date, "start": "08:00", "end": "17:00", "capacity": capacity}),
        )
        .send()
        .await
        .expect("create session");
    assert_eq!(r.status(), StatusCode::CREATED, "create session");
    let session: Value = r.json().await.expect("session json");
    session["id"].as_str().expect("session id").to_string()
}

/// What the crowd got back.
#[derive(Default)]
struct Tally {
    /// (seq, booking code) of every 201.
    created: Vec<(u32, String)>,
    conflicts: usize,
    /// Any other status, with its body.
    other: Vec<String>,
    /// Requests that got no answer (connection refused or reset).
    failed: usize,
}

/// Every `seq` books once, each patient with a client (and so a connection) of their own,
/// released together; clients take turns between `bases`. With `in_flight`, at most that many
/// requests are outstanding at once. `created` counts the 201s as they arrive.
async fn rush(
    bases: &[String],
    session: &str,
    seqs: std::ops::Range<u32>,
    in_flight: Option<usize>,
    created: Arc<AtomicUsize>,
) -> Tally {
    let n = seqs.len();
    let start = Arc::new(tokio::sync::Barrier::new(n));
    let permits = Arc::new(tokio::sync::Semaphore::new(
        in_flight.unwrap_or(tokio::sync::Semaphore::MAX_PERMITS),
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, seq) in seqs.enumerate() {
        let url = format!(
            "{}/api/v1/public/sessions/{session}/bookings",
            bases[i % bases.len()]
        );
        let (start, permits, created) = (start.clone(), permits.clone(), created.clone());
        tasks.spawn(async move {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client");
            let body = json!({"name": "张三", "phone": phone(seq), "id_number": id_number(seq)});
            start.wait().await;
            let _permit = permits.acquire().await.expect("permit");
            // An answer counts only when it arrived whole (a kill can cut it short).
            let answer = match client.post(&url).json(&body).send().await {
                Ok(r) => {
                    let status = r.status();
                    r.json::<Value>().await.map(|b| (status, b))
                }
                Err(e) => Err(e),
            };
            if let Ok((StatusCode::CREATED, _)) = &answer {
                created.fetch_add(1, Ordering::SeqCst);
            }
            (seq, answer)
        });
    }
    let mut tally = Tally::default();
    while let Some(done) = tasks.join_next().await {
        let (seq, answer) = done.expect("client task");
        match answer {
            Ok((StatusCode::CREATED, b)) => {
                let code = b["booking_code"].as_str().expect("booking_code");
                assert_eq!(b["status"], "confirmed", "{b}");
                tally.created.push((seq, code.to_string()));
            }
            Ok((StatusCode::CONFLICT, _)) => tally.conflicts += 1,
            Ok((status, b)) => tally.other.push(format!("{status}: {b}")),
            Err(_) => tally.failed += 1,
        }
    }
    tally
}

/// The session as the database has it: the confirmed bookings' codes and `booked`.
async fn stored(url: &str, session: &str) -> (HashSet<String>, i64) {
    let db = Db::connect(url).await.expect("open database");
    let codes = sqlx::query(
        "SELECT booking_code FROM bookings WHERE session_id = $1 AND status = 'confirmed'",
    )
    .bind(session.to_string())
    .fetch_all(db.pool())
    .await
    .expect("bookings")
    .iter()
    .map(|r| r.try_get::<String, _>("booking_code").expect("code"))
    .collect();
    let booked = sqlx::query("SELECT booked FROM clinic_sessions WHERE id = $1")
        .bind(session.to_string())
        .fetch_one(db.pool())
        .await
        .expect("session")
        .try_get::<i64, _>("booked")
        .expect("booked");
    db.close().await;
    (codes, booked)
}

/// Exactly `CAPACITY` confirmed, every 201's code among them, `booked` agreeing.
fn assert_exactly_full(tally: &Tally, codes: &HashSet<String>, booked: i64) {
    assert!(
        tally.other.is_empty(),
        "unexpected answers: {:?}",
        &tally.other[..tally.other.len().min(5)]
    );
    assert_eq!(tally.failed, 0, "requests without an answer");
    assert_eq!(tally.created.len(), CAPACITY, "201 answers");
    assert_eq!(tally.conflicts, CLIENTS as usize - CAPACITY, "409 answers");
    assert_eq!(codes.len(), CAPACITY, "confirmed bookings in the database");
    for (seq, code) in &tally.created {
        assert!(
            codes.contains(code),
            "201 for patient {seq} ({code}) not in the database"
        );
    }
    assert_eq!(booked, CAPACITY as i64, "clinic_sessions.booked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rush_on_one_server() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let tmp = TempDir::new("one");
    let data = tmp.sub("data");
    let url = demo_database(&data).await;
    let server = Server::start(&data, &url).await;
    let token = sign_in(&server.base).await;
    let session = new_session(&server.base, &token, CAPACITY, 1).await;

    let began = Instant::now();
    let tally = rush(
        std::slice::from_ref(&server.base),
        &session,
        0..CLIENTS,
        None,
        Arc::default(),
    )
    .await;
    let took = began.elapsed();
    let (codes, booked) = stored(&url, &session).await;
    println!(
        "rush_on_one_server ({}): {CLIENTS} clients in {took:.1?}: {} × 201, {} × 409, {} other, {} failed; database: {} confirmed, booked = {booked}",
        backend_name(&url),
        tally.created.len(),
        tally.conflicts,
        tally.other.len(),
        tally.failed,
        codes.len()
    );
    assert_exactly_full(&tally, &codes, booked);
}

fn backend_name(url: &str) -> &'static str {
    if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rush_with_two_servers_on_postgres() {
    let Some(base) = postgres_base() else {
        println!(
            "rush_with_two_servers_on_postgres: skipped (SHANHAI_TEST_DATABASE_URL is not a postgres:// URL)"
        );
        return;
    };
    let _turn = ONE_AT_A_TIME.lock().await;
    let tmp = TempDir::new("two");
    // Two hosts: two data directories, one patient-data key (as a deployment must configure).
    let (data_a, data_b) = (tmp.sub("a"), tmp.sub("b"));
    let url = postgres_demo(&base, &data_a).await;
    let a = Server::start(&data_a, &url).await;
    let b = Server::start(&data_b, &url).await;
    let bases = [a.base.clone(), b.base.clone()];
    let token = sign_in(&a.base).await;
    let session = new_session(&a.base, &token, CAPACITY, 1).await;

    let began = Instant::now();
    let tally = rush(&bases, &session, 0..CLIENTS, None, Arc::default()).await;
    let took = began.elapsed();
    let (codes, booked) = stored(&url, &session).await;
    println!(
        "rush_with_two_servers_on_postgres: {CLIENTS} clients over 2 servers in {took:.1?}: {} × 201, {} × 409, {} other, {} failed; database: {} confirmed, booked = {booked}",
        tally.created.len(),
        tally.conflicts,
        tally.other.len(),
        tally.failed,
        codes.len()
    );
    assert_exactly_full(&tally, &codes, booked);

    // The same patient at both servers at the same instant gets one place, not two.
    let twice = new_session(&a.base, &token, 1000, 2).await;
    let people = 100u32;
    let seqs = 5000..5000 + people;
    let (first, second) = tokio::join!(
        rush(&bases[..1], &twice, seqs.clone(), None, Arc::default()),
        rush(&bases[1..], &twice, seqs, None, Arc::default()),
    );
    let (codes, booked) = stored(&url, &twice).await;
    println!(
        "rush_with_two_servers_on_postgres: {people} patients booking at both servers at once: {} + {} × 201, {} + {} × 409; database: {} confirmed",
        first.created.len(),
        second.created.len(),
        first.conflicts,
        second.conflicts,
        codes.len()
    );
    assert!(
        first.other.is_empty() && second.other.is_empty(),
        "{:?} {:?}",
        first.other,
        second.other
    );
    assert_eq!(first.created.len() + second.created.len(), people as usize);
    assert_eq!(codes.len(), people as usize);
    assert_eq!(booked, i64::from(people));
}

/// Once this many 201s have arrived, the server is killed.
const KILL_AFTER: usize = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_dash_nine_mid_rush_loses_no_confirmation() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let tmp = TempDir::new("kill");
    let data = tmp.sub("data");
    kill_mid_rush(&data, &demo_database(&data).await).await;
}

async fn kill_mid_rush(data: &Path, url: &str) {
    let server = Server::start(data, url).await;
    let token = sign_in(&server.base).await;
    let session = new_session(&server.base, &token, CAPACITY, 1).await;

    // At most 64 requests outstanding, so the kill lands while places are still being taken.
    let created = Arc::new(AtomicUsize::new(0));
    let watcher = {
        let (created, child) = (created.clone(), server.child.clone());
        tokio::spawn(async move {
            while created.load(Ordering::SeqCst) < KILL_AFTER {
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            kill_child(&child);
            created.load(Ordering::SeqCst)
        })
    };
    let tally = rush(
        std::slice::from_ref(&server.base),
        &session,
        0..CLIENTS,
        Some(64),
        created,
    )
    .await;
    let seen_at_kill = match tokio::time::timeout(Duration::from_secs(5), watcher).await {
        Ok(seen) => seen.expect("watcher"),
        Err(_) => panic!(
            "the rush ended with {} × 201, fewer than {KILL_AFTER}: {:?}",
            tally.created.len(),
            &tally.other[..tally.other.len().min(5)]
        ),
    };
    assert!(
        tally.other.is_empty(),
        "unexpected answers: {:?}",
        tally.other
    );

    // The same data directory and database, a new process.
    drop(server);
    let server = Server::start(data, url).await;
    let (codes, booked) = stored(url, &session).await;
    println!(
        "kill_dash_nine_mid_rush_loses_no_confirmation ({}): killed after {seen_at_kill} × 201; clients got {} × 201, {} × 409, {} without an answer; after restart: {} confirmed, booked = {booked}",
        backend_name(url),
        tally.created.len(),
        tally.conflicts,
        tally.failed,
        codes.len()
    );
    assert!(tally.created.len() >= KILL_AFTER);
    assert!(tally.failed > 0, "the kill came after the rush was over");
    assert!(codes.len() <= CAPACITY, "overbooked: {}", codes.len());
    assert_eq!(
        booked,
        codes.len() as i64,
        "booked disagrees with the bookings"
    );
    let client = reqwest::Client::new();
    for (seq, code) in &tally.created {
        assert!(
            codes.contains(code),
            "201 for patient {seq} ({code}) lost by the kill"
        );
        let r = client
            .post(format!("{}/api/v1/public/bookings/lookup", server.base))
            .json(&json!({"booking_code": code, "phone": phone(*seq)}))
            .send()
            .await
            .expect("lookup");
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "lookup of {code} after the restart"
        );
        let b: Value = r.json().await.expect("lookup json");
        assert_eq!(b["status"], "confirmed", "{b}");
    }

    // Everyone tries again: the session still fills to exactly its capacity.
    let again = rush(
        std::slice::from_ref(&server.base),
        &session,
        0..CLIENTS,
        None,
        Arc::default(),
    )
    .await;
    let (codes, booked) = stored(url, &session).await;
    println!(
        "kill_dash_nine_mid_rush_loses_no_confirmation ({}): everyone again: {} × 201, {} × 409; database: {} confirmed, booked = {booked}",
        backend_name(url),
        again.created.len(),
        again.conflicts,
        codes.len()
    );
    assert!(
        again.other.is_empty(),
        "unexpected answers: {:?}",
        again.other
    );
    assert_eq!(again.failed, 0);
    assert_eq!(codes.len(), CAPACITY);
    assert_eq!(booked, CAPACITY as i64);
    for (seq, code) in tally.created.iter().chain(&again.created) {
        assert!(
            codes.contains(code),
            "201 for patient {seq} ({code}) not in the database"
        );
    }
}
