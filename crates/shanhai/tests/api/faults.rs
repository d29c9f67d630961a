//! Recovery and faults (issue 22): a restore that brings back the figures and refuses a running
//! server or another key; audit entries that leave only through an archive; PostgreSQL
//! restarted in a booking rush; `kill -9` in the middle of writes; a webhook receiver that is
//! down for a while; two servers on one database; the pg_dump/pg_restore round trip of the
//! README. The ones that need PostgreSQL skip on SQLite runs, the SQLite-only ones on PostgreSQL
//! runs.

use crate::helpers::*;
use crate::imports::{teaching_csv, upload};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

fn on_postgres() -> bool {
    std::env::var("SHANHAI_TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres"))
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// Runs the binary on this database and data directory, in English.
fn shanhai(database_url: &str, data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shanhai"))
        .args(["--lang", "en", "--database-url", database_url, "--data-dir"])
        .arg(data_dir)
        .args(args)
        .output()
        .expect("run shanhai")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `shanhai serve` as a child process, killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(database_url: &str, data_dir: &Path) -> Server {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_shanhai"))
            .args(["--database-url", database_url, "--data-dir"])
            .arg(data_dir)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("SHANHAI_PUBLIC_RATE_LIMIT", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn shanhai serve");
        let mut server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Ok(r) = client()
                .get(format!("{}/healthz", server.base))
                .send()
                .await
                && r.status() == StatusCode::OK
            {
                break;
            }
            assert!(
                server.child.try_wait().expect("wait").is_none(),
                "the server exited at start"
            );
            assert!(Instant::now() < deadline, "the server did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// The figures an operator would compare: every indicator's total, and one indicator by
/// program and by month.
async fn figures(base: &str, token: &str) -> Value {
    let mut out = serde_json::Map::new();
    for path in [
        "/api/v1/rollups",
        "/api/v1/rollups?indicator=teaching-activities&group=program",
        "/api/v1/rollups?indicator=teaching-activities&group=month&from=2025-01-01&until=2025-12-31",
    ] {
        let r = client()
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        out.insert(path.to_string(), r.json().await.expect("json"));
    }
    Value::Object(out)
}

/// A second data directory with the first one's patient-data key (several servers on one
/// database share the key).
fn sibling_data_dir(of: &Path) -> TempDir {
    let tmp = TempDir::new();
    std::fs::create_dir_all(tmp.0.join("keys")).expect("keys");
    std::fs::copy(
        of.join("keys").join("patient.key"),
        tmp.0.join("keys").join("patient.key"),
    )
    .expect("copy the key");
    tmp
}

async fn mismatches(database_url: &str) -> usize {
    let db = shanhai_store::Db::connect(database_url).await.expect("db");
    let checks = shanhai_store::rollups::check(&db).await.expect("check");
    db.close().await;
    checks.iter().map(|c| c.mismatches.len()).sum()
}

#[tokio::test]
async fn a_restore_refuses_a_running_server_and_another_key_and_brings_back_the_figures() {
    if on_postgres() {
        return; // PostgreSQL restores with pg_restore: see the round trip below.
    }
    let app = spawn_app().await;
    let w = world(&app).await;
    let (s, b) = upload(
        &app,
        &w.admin,
        "teaching-activities",
        "t.csv",
        teaching_csv(30).into_bytes(),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    shanhai_store::rollups::fold(&app.db).await.expect("fold");
    let before = figures(&app.addr, &w.admin).await;
    let backup = app.data_dir.join("backup.db");
    let out = shanhai(
        &app.database_url,
        &app.data_dir,
        &["backup", "--to", backup.to_str().expect("utf-8")],
    );
    assert!(out.status.success(), "{}", text(&out));

    // Work done after the backup, which the restore takes back.
    let (s, b) = upload(
        &app,
        &w.admin,
        "teaching-activities",
        "t.csv",
        teaching_csv(45).into_bytes(),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    shanhai_store::rollups::fold(&app.db).await.expect("fold");
    assert_ne!(figures(&app.addr, &w.admin).await, before);
    app.db.close().await;

    let restore = ["restore", "--from", backup.to_str().expect("utf-8")];
    {
        let _running = Server::start(&app.database_url, &app.data_dir).await;
        let out = shanhai(&app.database_url, &app.data_dir, &restore);
        assert!(!out.status.success(), "restored under a running server");
        assert!(
            text(&out).contains("a server is using this database"),
            "{}",
            text(&out)
        );
    }

    // Another data directory whose key is not the backup's.
    let stranger = TempDir::new();
    std::fs::create_dir_all(stranger.0.join("keys")).expect("keys");
    std::fs::write(stranger.0.join("keys").join("patient.key"), "ab".repeat(32)).expect("key");
    let stranger_url = format!(
        "sqlite://{}?mode=rwc",
        stranger.0.join("shanhai.db").display()
    );
    let out = shanhai(&stranger_url, &stranger.0, &restore);
    assert!(!out.status.success(), "restored under another key");
    assert!(
        text(&out).contains("another patient-data key"),
        "{}",
        text(&out)
    );
    assert!(
        !stranger.0.join("shanhai.db").exists(),
        "a refused restore wrote"
    );

    let out = shanhai(&app.database_url, &app.data_dir, &restore);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("every roll-up equals the recount"),
        "{}",
        text(&out)
    );
    let kept = std::fs::read_dir(&app.data_dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().contains(".before-restore-"));
    assert!(kept, "the replaced database is kept");
    let out = shanhai(&app.database_url, &app.data_dir, &["verify"]);
    assert!(out.status.success(), "{}", text(&out));
    let server = Server::start(&app.database_url, &app.data_dir).await;
    assert_eq!(figures(&server.base, &w.admin).await, before);

    let help = Command::new(env!("CARGO_BIN_EXE_shanhai"))
        .args(["--lang", "en", "restore", "--help"])
        .output()
        .expect("help");
    let help = text(&help);
    assert!(
        help.contains("Refused while a server uses the database") && help.contains("--from"),
        "{help}"
    );
}

#[tokio::test]
async fn scheduled_backups_rotate_and_postgres_is_told_to_use_pg_dump() {
    let tmp = TempDir::new();
    let url = fresh_database(&tmp.0).await;
    let port = free_port().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_shanhai"))
        .args(["--lang", "en", "--database-url", &url, "--data-dir"])
        .arg(&tmp.0)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--backup-every", "1s", "--backup-keep", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    if on_postgres() {
        let out = child.wait_with_output().expect("wait");
        assert!(
            !out.status.success(),
            "--backup-every accepted on PostgreSQL"
        );
        assert!(text(&out).contains("pg_dump"), "{}", text(&out));
        return;
    }
    let backups = tmp.0.join("backups");
    let listed = || -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&backups)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().to_string())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = BTreeSet::new();
    while seen.len() < 4 && Instant::now() < deadline {
        seen.extend(listed().into_iter().filter(|n| n.ends_with(".db")));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen.len() >= 4, "backups written: {seen:?}");
    let kept: Vec<String> = listed()
        .into_iter()
        .filter(|n| n.ends_with(".db"))
        .collect();
    assert!(kept.len() <= 2, "rotation keeps two: {kept:?}");
    let newest = backups.join(kept.last().expect("a backup"));
    let db = shanhai_store::Db::connect(&format!("sqlite://{}", newest.display()))
        .await
        .expect("open the backup");
    assert_eq!(db.integrity_check().await.expect("check"), ["ok"]);
    db.close().await;
}

#[tokio::test]
async fn audit_entries_leave_only_through_an_archive_and_never_younger_than_180_days() {
    let app = spawn_app().await;
    let _w = world(&app).await;
    let today = chrono::Utc::now().date_naive();
    let day = |n: i64| (today - chrono::Duration::days(n)).to_string();
    for (id, age) in [("old-1", 400), ("old-2", 181), ("young", 100)] {
        sqlx::query(
            "INSERT INTO audit_log (id, at, actor_id, actor_name, action, entity, entity_id, \
             before_json, after_json, ip) VALUES ($1, $2, NULL, 'admin', 'update', 'person', 'p1', \
             '{\"name\":\"a\"}', '{\"name\":\"b\"}', '10.0.0.1')",
        )
        .bind(id)
        .bind(format!("{}T10:00:00.000Z", day(age)))
        .execute(app.db.pool())
        .await
        .expect("an old entry");
    }
    let total = app.count("audit_log").await;

    let out = shanhai(
        &app.database_url,
        &app.data_dir,
        &["audit", "archive", "--before", &day(170)],
    );
    assert!(
        !out.status.success(),
        "archived entries younger than 180 days"
    );
    assert!(text(&out).contains("at least 180 days"), "{}", text(&out));
    let refused = sqlx::query("DELETE FROM audit_log WHERE id = 'old-1'")
        .execute(app.db.pool())
        .await;
    assert!(refused.is_err(), "an entry deleted without an archive");

    let out = shanhai(
        &app.database_url,
        &app.data_dir,
        &["audit", "archive", "--before", &day(180)],
    );
    assert!(out.status.success(), "{}", text(&out));
    let dir = app.data_dir.join("audit-archive");
    let file = std::fs::read_dir(&dir)
        .expect("archive dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .expect("an archive file");
    let body = std::fs::read(&file).expect("read");
    let lines: Vec<Value> = String::from_utf8(body.clone())
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(
        lines.iter().map(|l| l["id"].clone()).collect::<Vec<_>>(),
        [json!("old-1"), json!("old-2")],
        "oldest first"
    );
    assert_eq!(lines[0]["before_json"], "{\"name\":\"a\"}", "as stored");
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(&body));
    let recorded = std::fs::read_to_string(format!("{}.sha256", file.display())).expect("sha");
    assert!(recorded.starts_with(&sha), "{recorded} vs {sha}");
    let archives = shanhai_store::audit_archive::list(&app.db)
        .await
        .expect("list");
    assert_eq!(archives.len(), 1);
    assert_eq!((archives[0].2, archives[0].3.as_str()), (2, sha.as_str()));
    // Two entries left, the archive's own entry came in.
    assert_eq!(app.count("audit_log").await, total - 2 + 1);

    for sql in [
        "DELETE FROM audit_log WHERE id = 'young'",
        "UPDATE audit_log SET actor_name = 'x' WHERE id = 'young'",
        "DELETE FROM audit_archives",
        "UPDATE audit_archives SET entries = 0",
    ] {
        assert!(
            sqlx::query(sql).execute(app.db.pool()).await.is_err(),
            "allowed: {sql}"
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_shanhai"))
        .args(["--lang", "en", "--data-dir"])
        .arg(&app.data_dir)
        .args(["serve", "--audit-keep-days", "90"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(text(&out).contains("at least"), "{}", text(&out));
}

async fn book(
    client: &reqwest::Client,
    base: &str,
    session: &str,
    seq: u32,
) -> reqwest::Result<reqwest::Response> {
    client
        .post(format!("{base}/api/v1/public/sessions/{session}/bookings"))
        .json(
            &json!({"name": "张三", "phone": crate::clinic_sessions::phone(seq),
                      "id_number": crate::clinic_sessions::id_number(seq)}),
        )
        .send()
        .await
}

/// A PostgreSQL cluster of the test's own (scripts/pg.sh), stopped when dropped.
struct Cluster {
    dir: TempDir,
    port: u16,
}

fn pg_sh() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg.sh")
}

impl Cluster {
    fn start() -> Cluster {
        let dir = TempDir::new();
        let port = free_port();
        let cluster = Cluster { dir, port };
        cluster.up();
        cluster
    }

    fn up(&self) {
        let out = Command::new(pg_sh())
            .arg("start")
            .arg(&self.dir.0)
            .arg(self.port.to_string())
            .output()
            .expect("pg.sh");
        assert!(out.status.success(), "{}", text(&out));
    }

    fn down(&self) {
        let out = Command::new(pg_sh())
            .arg("stop")
            .arg(&self.dir.0)
            .output()
            .expect("pg.sh");
        assert!(out.status.success(), "{}", text(&out));
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(pg_sh()).arg("stop").arg(&self.dir.0).output();
    }
}

#[tokio::test]
async fn postgres_restarted_in_a_booking_rush_loses_no_confirmed_booking_and_answers_503_meanwhile()
{
    if !on_postgres() {
        return;
    }
    let cluster = Cluster::start();
    let tmp = TempDir::new();
    let app = spawn_app_on(tmp, cluster.url()).await;
    let w = world(&app).await;
    let session =
        crate::clinic_sessions::session(&app, &w, 10_000, &crate::clinic_sessions::today()).await;

    let stop = Arc::new(AtomicBool::new(false));
    let seq = Arc::new(AtomicU32::new(1));
    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let (stop, seq, base, session) =
            (stop.clone(), seq.clone(), app.addr.clone(), session.clone());
        clients.spawn(async move {
            let client = client();
            let mut seen = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let n = seq.fetch_add(1, Ordering::SeqCst);
                let at = started.elapsed();
                match book(&client, &base, &session, n).await {
                    Ok(r) => {
                        let status = r.status();
                        let retry = r.headers().contains_key(reqwest::header::RETRY_AFTER);
                        let body: Value = r.json().await.unwrap_or(Value::Null);
                        let code = body["booking_code"].as_str().map(str::to_string);
                        seen.push((at, started.elapsed(), Some(status), retry, code));
                    }
                    Err(_) => seen.push((at, started.elapsed(), None, false, None)),
                }
            }
            seen
        });
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let down_at = started.elapsed();
    cluster.down();
    tokio::time::sleep(Duration::from_secs(2)).await;
    cluster.up();
    let up_at = started.elapsed();
    tokio::time::sleep(Duration::from_secs(6)).await;
    stop.store(true, Ordering::SeqCst);
    let seen: Vec<_> = clients.join_all().await.into_iter().flatten().collect();

    let mut confirmed = BTreeSet::new();
    let mut by_status = BTreeMap::new();
    for (sent, answered, status, retry, code) in &seen {
        *by_status.entry(status.map(|s| s.as_u16())).or_insert(0) += 1;
        match status {
            Some(StatusCode::CREATED) => {
                confirmed.insert(code.clone().expect("a booking code"));
            }
            Some(StatusCode::SERVICE_UNAVAILABLE) => {
                assert!(retry, "503 without Retry-After");
                assert!(
                    *answered >= down_at && *sent <= up_at + Duration::from_secs(11),
                    "503 outside the restart window ({sent:?}..{answered:?}; down {down_at:?}, up {up_at:?})"
                );
            }
            other => panic!("{other:?} during the rush: {by_status:?}"),
        }
    }
    let after_restart = seen
        .iter()
        .filter(|(sent, _, status, _, _)| {
            *sent > up_at + Duration::from_secs(1) && *status == Some(StatusCode::CREATED)
        })
        .count();
    assert!(
        after_restart > 0,
        "no booking after the restart: {by_status:?}"
    );
    let stored: BTreeSet<String> =
        sqlx::query("SELECT booking_code FROM bookings WHERE session_id = $1")
            .bind(&session)
            .fetch_all(app.db.pool())
            .await
            .expect("bookings")
            .iter()
            .map(|r| sqlx::Row::get::<String, _>(r, "booking_code"))
            .collect();
    let lost: Vec<_> = confirmed.difference(&stored).collect();
    assert!(lost.is_empty(), "confirmed but not stored: {lost:?}");
    eprintln!("booking rush across a PostgreSQL restart: {by_status:?}");
    app.db.close().await;
}

/// A webhook receiver that remembers every delivery id and event it accepted.
#[derive(Clone, Default)]
struct Receiver {
    accepted: Arc<tokio::sync::Mutex<Vec<(String, String)>>>,
}

async fn accept(
    axum::extract::State(r): axum::extract::State<Receiver>,
    headers: axum::http::HeaderMap,
    body: String,
) -> axum::http::StatusCode {
    let id = headers
        .get("x-shanhai-delivery")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    r.accepted.lock().await.push((id, body));
    axum::http::StatusCode::OK
}

async fn receive_on(listener: tokio::net::TcpListener, receiver: Receiver) {
    let router = axum::Router::new()
        .route("/hook", axum::routing::post(accept))
        .with_state(receiver);
    let _ = axum::serve(listener, router).await;
}

async fn consultation(app: &TestApp, w: &World, clinician: &str) -> String {
    let (s, b) = app
        .post(
            "/api/v1/consultations",
            clinician,
            json!({"type": "general", "urgency": "routine", "target_institution_id": w.donor,
                   "patient": {"name": "王小明", "sex": "male", "age": 40},
                   "case_summary": "咳嗽两周", "question": "是否需要CT？"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().expect("id").to_string()
}

async fn register_hook(app: &TestApp, w: &World, url: &str) {
    let coord_d = app.token("coord-d").await;
    let (s, b) = app
        .post(
            "/api/v1/webhooks",
            &coord_d,
            json!({"institution_id": w.donor, "url": url, "secret": "s3cret-s3cret-s3cret"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

async fn outbox_rows(app: &TestApp) -> Vec<(String, i64, Option<String>, Option<String>)> {
    shanhai_store::webhooks::outbox(&app.db)
        .await
        .expect("outbox")
}

/// Waits until every outbox row is delivered (up to `limit`).
async fn all_delivered(
    app: &TestApp,
    limit: Duration,
) -> Vec<(String, i64, Option<String>, Option<String>)> {
    let deadline = Instant::now() + limit;
    loop {
        let rows = outbox_rows(app).await;
        if rows.iter().all(|r| r.2.is_some()) || Instant::now() > deadline {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn a_webhook_receiver_down_for_a_while_gets_every_event_once_when_it_returns() {
    let app = spawn_app().await;
    let w = world(&app).await;
    // A port with nothing listening: the receiver is down.
    let port = free_port();
    register_hook(&app, &w, &format!("http://127.0.0.1:{port}/hook")).await;
    let clinician = app.token("clinician-r").await;
    for _ in 0..5 {
        consultation(&app, &w, &clinician).await;
    }
    // Down for 12 s (minutes in production; the backoff doubles from 1 s: attempts at about
    // 0, 1, 3, 7 and 15 s), then back.
    tokio::time::sleep(Duration::from_secs(12)).await;
    let rows = outbox_rows(&app).await;
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|r| r.2.is_none()), "delivered to nobody");
    assert!(rows.iter().any(|r| r.1 >= 3), "retried: {rows:?}");
    let receiver = Receiver::default();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("the receiver's port again");
    tokio::spawn(receive_on(listener, receiver.clone()));
    for _ in 0..2 {
        consultation(&app, &w, &clinician).await;
    }
    let rows = all_delivered(&app, Duration::from_secs(60)).await;
    assert!(rows.iter().all(|r| r.2.is_some()), "undelivered: {rows:?}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let accepted = receiver.accepted.lock().await.clone();
    let ids: BTreeSet<&String> = accepted.iter().map(|(id, _)| id).collect();
    assert_eq!(accepted.len(), 7, "every event, once: {accepted:?}");
    assert_eq!(ids.len(), 7, "a delivery came twice");
}

#[tokio::test]
async fn two_servers_on_one_database_fold_and_deliver_without_double_counting() {
    let receiver = Receiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(receive_on(listener, receiver.clone()));

    let one = spawn_app().await;
    let w = world(&one).await;
    let two_dir = sibling_data_dir(&one.data_dir);
    let two = spawn_app_on(two_dir, one.database_url.clone()).await;
    register_hook(&one, &w, &url).await;
    let session =
        crate::clinic_sessions::session(&one, &w, 10_000, &crate::clinic_sessions::today()).await;
    let clinician = one.token("clinician-r").await;

    // Writes through both servers at once: consultations (webhook events, roll-up deltas) and
    // bookings; each server's folder and delivery worker run meanwhile.
    let mut writers = tokio::task::JoinSet::new();
    for (k, app) in [&one, &two].into_iter().enumerate() {
        let (base, token, session, donor) = (
            app.addr.clone(),
            clinician.clone(),
            session.clone(),
            w.donor.clone(),
        );
        writers.spawn(async move {
            let client = client();
            for i in 0..15u32 {
                let r = client
                    .post(format!("{base}/api/v1/consultations"))
                    .bearer_auth(&token)
                    .json(&json!({"type": "general", "urgency": "routine", "target_institution_id": donor,
                                  "patient": {"name": "王小明", "sex": "male", "age": 40},
                                  "case_summary": "咳嗽两周", "question": "是否需要CT？"}))
                    .send()
                    .await
                    .expect("send");
                assert_eq!(r.status(), StatusCode::CREATED);
                let seq = 1000 * (k as u32 + 1) + i;
                let r = book(&client, &base, &session, seq).await.expect("send");
                assert_eq!(r.status(), StatusCode::CREATED);
            }
        });
    }
    writers.join_all().await;
    // Both fold at the same moment too.
    let (a, b) = tokio::join!(
        shanhai_store::rollups::fold(&one.db),
        shanhai_store::rollups::fold(&two.db)
    );
    a.expect("fold one");
    b.expect("fold two");
    let rows = all_delivered(&one, Duration::from_secs(60)).await;
    assert_eq!(rows.len(), 30);
    assert!(rows.iter().all(|r| r.2.is_some()), "undelivered: {rows:?}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let accepted = receiver.accepted.lock().await.clone();
    let ids: BTreeSet<&String> = accepted.iter().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), 30, "every event");
    assert_eq!(accepted.len(), 30, "a delivery came twice");
    assert_eq!(mismatches(&one.database_url).await, 0, "double counting");
}

/// Every consultation's state is the one its last audit entry recorded: no transition is half
/// written.
async fn consultations_match_their_audit(database_url: &str) {
    let db = shanhai_store::Db::connect(database_url).await.expect("db");
    let rows = sqlx::query("SELECT id, state FROM consultations")
        .fetch_all(db.pool())
        .await
        .expect("consultations");
    for r in &rows {
        let id: String = sqlx::Row::get(r, "id");
        let state: String = sqlx::Row::get(r, "state");
        let last = sqlx::query(
            "SELECT after_json FROM audit_log WHERE entity = 'consultation' AND entity_id = $1 \
             AND after_json IS NOT NULL ORDER BY at DESC, id DESC LIMIT 1",
        )
        .bind(&id)
        .fetch_one(db.pool())
        .await
        .expect("an audit entry");
        let after: Value =
            serde_json::from_str(&sqlx::Row::get::<String, _>(&last, "after_json")).expect("json");
        assert_eq!(after["state"], json!(state), "consultation {id}");
    }
    db.close().await;
}

#[tokio::test]
async fn kill_9_during_an_import_transitions_and_folds_leaves_nothing_half_written() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let expert = crate::consultations::expert_account(&app, &w).await;
    let clinician = app.token("clinician-r").await;
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(
            crate::consultations::request(&app, &w, &clinician).await["id"]
                .as_str()
                .expect("id")
                .to_string(),
        );
    }
    let session =
        crate::clinic_sessions::session(&app, &w, 10_000, &crate::clinic_sessions::today()).await;
    let (database_url, data_dir) = (app.database_url.clone(), app.data_dir.clone());
    // From here on only the child servers write.
    app.db.close().await;

    let csv = teaching_csv(2_000).into_bytes();
    for (round, kill_after) in [(0u32, 700u64), (1, 1_500), (2, 2_500)] {
        let mut server = Server::start(&database_url, &data_dir).await;
        let base = server.base.clone();
        let mut work = tokio::task::JoinSet::new();
        {
            let (base, token, csv) = (base.clone(), w.admin.clone(), csv.clone());
            work.spawn(async move {
                let form = reqwest::multipart::Form::new().part(
                    "file",
                    reqwest::multipart::Part::bytes(csv).file_name("t.csv"),
                );
                let _ = client()
                    .post(format!(
                        "{base}/api/v1/imports/teaching-activities?dry_run=false"
                    ))
                    .bearer_auth(token)
                    .multipart(form)
                    .send()
                    .await;
            });
        }
        for id in ids.clone() {
            let (base, token) = (base.clone(), expert.clone());
            work.spawn(async move {
                let client = client();
                for (action, body) in [
                    ("accept", json!({})),
                    ("schedule", json!({"scheduled_at": "2026-11-23T09:00"})),
                    ("hold", json!({})),
                    ("sign", json!({"opinion": "建议急诊PCI。"})),
                ] {
                    let _ = client
                        .post(format!("{base}/api/v1/consultations/{id}/{action}"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await;
                }
            });
        }
        for c in 0..4u32 {
            let (base, session) = (base.clone(), session.clone());
            work.spawn(async move {
                let client = client();
                for i in 0..200u32 {
                    let _ = book(
                        &client,
                        &base,
                        &session,
                        10_000 * (round + 1) + 1_000 * c + i,
                    )
                    .await;
                }
            });
        }
        tokio::time::sleep(Duration::from_millis(kill_after)).await;
        server.kill9();
        work.abort_all();
        while work.join_next().await.is_some() {}

        let imported = {
            let db = shanhai_store::Db::connect(&database_url).await.expect("db");
            let n: i64 = sqlx::Row::get(
                &sqlx::query("SELECT COUNT(*) AS n FROM teaching_activities")
                    .fetch_one(db.pool())
                    .await
                    .expect("count"),
                "n",
            );
            db.close().await;
            n
        };
        eprintln!("kill -9 after {kill_after} ms: {imported} teaching activities imported");
        assert!(
            imported == 0 || imported == 2_000,
            "round {round}: a half-written import ({imported} rows)"
        );
        consultations_match_their_audit(&database_url).await;
        // A restart works, and the roll-ups equal the recount.
        let restarted = Server::start(&database_url, &data_dir).await;
        drop(restarted);
        let out = shanhai(&database_url, &data_dir, &["verify"]);
        assert!(out.status.success(), "round {round}: {}", text(&out));
    }
}

fn pg_tool(name: &str) -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin").join(name))
                .filter(|p| p.exists())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found.pop().unwrap_or_else(|| PathBuf::from(name))
}

#[tokio::test]
async fn the_readme_s_pg_dump_and_pg_restore_round_trip_keeps_the_figures() {
    if !on_postgres() {
        return;
    }
    let app = spawn_app().await;
    let w = world(&app).await;
    let (s, b) = upload(
        &app,
        &w.admin,
        "teaching-activities",
        "t.csv",
        teaching_csv(40).into_bytes(),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let clinician = app.token("clinician-r").await;
    consultation(&app, &w, &clinician).await;
    shanhai_store::rollups::fold(&app.db).await.expect("fold");
    let before = figures(&app.addr, &w.admin).await;

    // README, "Backups and restore": pg_dump --format=custom, then pg_restore into a new
    // database, then shanhai verify.
    let dump = app.data_dir.join("shanhai.dump");
    let out = Command::new(pg_tool("pg_dump"))
        .args(["--format=custom", "--no-owner", "--file"])
        .arg(&dump)
        .arg(&app.database_url)
        .output()
        .expect("pg_dump");
    assert!(out.status.success(), "{}", text(&out));
    let name = format!("shanhai_restored_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(app.db.pool())
        .await
        .expect("create database");
    let (prefix, _) = app.database_url.rsplit_once('/').expect("path");
    let restored_url = format!("{prefix}/{name}");
    let out = Command::new(pg_tool("pg_restore"))
        .args(["--no-owner", "--exit-on-error", "--dbname", &restored_url])
        .arg(&dump)
        .output()
        .expect("pg_restore");
    assert!(out.status.success(), "{}", text(&out));
    let out = shanhai(&restored_url, &app.data_dir, &["verify"]);
    assert!(out.status.success(), "{}", text(&out));
    let restored = spawn_app_on(sibling_data_dir(&app.data_dir), restored_url).await;
    assert_eq!(figures(&restored.addr, &w.admin).await, before);
}
