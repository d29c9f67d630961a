//! Running it in production (issue 22), what an operator observes and how it stops: `/metrics`
//! in the Prometheus text format (read by the `prometheus_client` parser from PyPI), JSON log
//! lines with the client's request id, a SIGTERM in the middle of a booking rush, and the
//! response headers beside the Content-Security-Policy.

use crate::clinic_sessions::{id_number, phone, session, today};
use crate::helpers::*;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The booking route's template, as metrics and logs name it.
const BOOKING_ROUTE: &str = "/api/v1/public/sessions/{id}/bookings";

/// Parses a Prometheus text exposition with `prometheus_client` (Python): every sample as
/// `{"name", "labels", "value"}`, and the families' types by name.
fn parse_exposition(text: &str) -> (Vec<Value>, BTreeMap<String, String>) {
    const SCRIPT: &str = r#"
import json, sys
try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("MISSING")
    sys.exit(3)
samples, types = [], {}
for family in text_string_to_metric_families(sys.stdin.read()):
    types[family.name] = family.type
    for s in family.samples:
        samples.append({"name": s.name, "labels": s.labels, "value": s.value})
print(json.dumps({"samples": samples, "types": types}))
"#;
    let parsed = python_json(
        SCRIPT,
        text,
        "python3 -m pip install prometheus_client==0.21.1",
    );
    let types = parsed["types"]
        .as_object()
        .expect("types")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
        .collect();
    (
        parsed["samples"].as_array().expect("samples").clone(),
        types,
    )
}

/// The value of the one sample named `name` whose labels include `labels`.
fn sample(samples: &[Value], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| s["name"] == name && labels.iter().all(|(k, v)| s["labels"][*k] == *v))
        .and_then(|s| s["value"].as_f64())
}

async fn book(app: &TestApp, session: &str, seq: u32) -> (StatusCode, Value) {
    app.post_anon(
        &format!("/api/v1/public/sessions/{session}/bookings"),
        json!({"name": "张三", "phone": phone(seq), "id_number": id_number(seq)}),
    )
    .await
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_count_the_bookings_made() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let s = session(&app, &w, 100, &today()).await;
    for seq in 0..8 {
        assert_eq!(book(&app, &s, seq).await.0, StatusCode::CREATED);
    }
    // A second booking by one patient is refused, and not counted.
    assert_eq!(book(&app, &s, 0).await.0, StatusCode::CONFLICT);

    // Platform admins' tokens only.
    let r = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let office = app.token("office").await;
    let r = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(&office)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(&w.admin)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap_or("")
            .starts_with("text/plain; version=0.0.4")
    );
    let text = r.text().await.expect("text");
    let (samples, types) = parse_exposition(&text);

    assert_eq!(types["shanhai_bookings"], "counter");
    assert_eq!(
        sample(&samples, "shanhai_bookings_total", &[]),
        Some(8.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &samples,
            "shanhai_http_requests_total",
            &[
                ("route", BOOKING_ROUTE),
                ("method", "POST"),
                ("status", "201")
            ]
        ),
        Some(8.0)
    );
    assert_eq!(
        sample(
            &samples,
            "shanhai_http_requests_total",
            &[
                ("route", BOOKING_ROUTE),
                ("method", "POST"),
                ("status", "409")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &samples,
            "shanhai_http_request_duration_seconds_count",
            &[("route", BOOKING_ROUTE), ("method", "POST")]
        ),
        Some(9.0)
    );
    // Route templates, never raw paths: no record id in any label.
    assert!(!text.contains(&s), "a raw path in the metrics:\n{text}");
    for (family, kind) in [
        ("shanhai_http_request_duration_seconds", "histogram"),
        ("shanhai_booking_queue_depth", "gauge"),
        ("shanhai_booking_group_size", "histogram"),
        ("shanhai_rollup_deltas_waiting", "gauge"),
        ("shanhai_rollup_fold_seconds", "histogram"),
        ("shanhai_outbox_backlog", "gauge"),
        ("shanhai_db_pool_connections", "gauge"),
        ("process_resident_memory_bytes", "gauge"),
    ] {
        assert_eq!(
            types.get(family).map(String::as_str),
            Some(kind),
            "{family}"
        );
    }
    assert!(sample(&samples, "process_resident_memory_bytes", &[]).unwrap_or(0.0) > 1e6);
    assert_eq!(
        sample(
            &samples,
            "shanhai_outbox_backlog",
            &[("outbox", "webhooks")]
        ),
        Some(0.0)
    );
    assert!(
        sample(
            &samples,
            "shanhai_db_pool_connections",
            &[("state", "in_use")]
        )
        .is_some()
    );
    if app.database_url.starts_with("sqlite") {
        // The booking writer committed the 9 booking requests in groups.
        assert_eq!(
            sample(&samples, "shanhai_booking_group_size_sum", &[]),
            Some(9.0)
        );
    }
}

#[tokio::test]
async fn responses_carry_permissions_policy_a_request_id_and_hsts_over_https() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/login"))
        .header("X-Request-Id", "probe-42")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    let policy = r.headers()["permissions-policy"].to_str().expect("ascii");
    for feature in ["camera=()", "microphone=()", "geolocation=()"] {
        assert!(policy.contains(feature), "{policy}");
    }
    assert_eq!(r.headers()["x-request-id"], "probe-42");
    assert!(r.headers().get(header::STRICT_TRANSPORT_SECURITY).is_none());
    let page = r.text().await.expect("page");
    assert!(page.contains(r#"<link rel="icon" href="/favicon.svg""#));

    // A request id that is not a sane token is replaced, not echoed.
    let r = app
        .client
        .get(app.url("/healthz"))
        .header("X-Request-Id", "a b\"<script>")
        .send()
        .await
        .expect("send");
    let id = r.headers()["x-request-id"].to_str().expect("ascii");
    assert!(
        id.len() >= 16 && id.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{id}"
    );

    for path in ["/favicon.ico", "/favicon.svg"] {
        let r = app.client.get(app.url(path)).send().await.expect("send");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "image/svg+xml");
        assert!(r.text().await.expect("svg").starts_with("<svg"));
    }

    let https = spawn_app_with_config(|c| c.secure_cookies = true).await;
    let r = https
        .client
        .get(https.url("/api/v1/public/sessions"))
        .send()
        .await
        .expect("send");
    assert!(
        r.headers()[header::STRICT_TRANSPORT_SECURITY]
            .to_str()
            .expect("ascii")
            .starts_with("max-age=")
    );
    assert!(r.headers().get("permissions-policy").is_some());
}

/// The real binary serving `app`'s database and data directory on a free port, its standard
/// error (the log) going to `log`.
fn serve(app: &TestApp, log: &std::path::Path) -> (Child, String) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let child = Command::new(env!("CARGO_BIN_EXE_shanhai"))
        .args(["--database-url", &app.database_url, "--data-dir"])
        .arg(&app.data_dir)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("SHANHAI_PUBLIC_RATE_LIMIT", "0")
        .env("SHANHAI_SHUTDOWN_SECONDS", "20")
        .env_remove("SHANHAI_LOG_FORMAT")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("log file"))
        .spawn()
        .expect("spawn shanhai serve");
    (child, format!("http://127.0.0.1:{port}"))
}

async fn wait_until_up(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = client().get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return;
        }
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn terminate(child: &Child) {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
}

async fn wait_for_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if started.elapsed() > within {
            let _ = child.kill();
            panic!("still running {within:?} after SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What one client saw of one booking request.
enum Seen {
    /// An answer: the status and, for a 201, the booking code.
    Answer(StatusCode, Option<String>),
    /// The connection was refused: the server had stopped accepting.
    Refused,
    /// The connection was made and then failed before an answer.
    Broken(String),
}

#[tokio::test]
async fn sigterm_during_a_booking_rush_loses_no_booking_and_logs_json_lines() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let s = session(&app, &w, 10_000, &today()).await;
    let log = app.data_dir.join("server.log");
    let (mut child, base) = serve(&app, &log);
    wait_until_up(&base).await;

    // One request with a request id of the client's.
    let r = client()
        .get(format!("{base}/api/v1/public/sessions/{s}"))
        .header("X-Request-Id", "observe-probe-1")
        .send()
        .await
        .expect("send");
    assert_eq!(r.headers()["x-request-id"], "observe-probe-1");

    // The rush: 32 clients, each request on a new connection (no kept-alive connection for the
    // stop to close between two requests), until the server refuses connections.
    let next = Arc::new(AtomicU32::new(1));
    let refused = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..32 {
        let (next, refused, base, s) = (next.clone(), refused.clone(), base.clone(), s.clone());
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client");
            let mut seen = Vec::new();
            while !refused.load(Ordering::Relaxed) {
                let seq = next.fetch_add(1, Ordering::Relaxed);
                let sent = http
                    .post(format!("{base}/api/v1/public/sessions/{s}/bookings"))
                    .header("X-Request-Id", format!("rush-{seq}"))
                    .json(
                        &json!({"name": "张三", "phone": phone(seq), "id_number": id_number(seq)}),
                    )
                    .send()
                    .await;
                let outcome = match sent {
                    Ok(r) => {
                        let status = r.status();
                        let body: Value = r.json().await.unwrap_or(Value::Null);
                        let code = body["booking_code"].as_str().map(str::to_string);
                        Seen::Answer(status, code)
                    }
                    Err(e) if e.is_connect() => {
                        refused.store(true, Ordering::Relaxed);
                        Seen::Refused
                    }
                    Err(e) => Seen::Broken(format!("{e:?}")),
                };
                seen.push((seq, outcome));
            }
            seen
        }));
    }
    // Let the rush run, then stop the server in the middle of it.
    let deadline = Instant::now() + Duration::from_secs(30);
    while next.load(Ordering::Relaxed) < 300 {
        assert!(Instant::now() < deadline, "the rush did not get going");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    terminate(&child);
    let status = wait_for_exit(&mut child, Duration::from_secs(40)).await;
    assert!(status.success(), "the server exited with {status}");
    refused.store(true, Ordering::Relaxed);

    let mut created = Vec::new();
    let mut answered = 0;
    let mut broken = Vec::new();
    for c in clients {
        for (seq, outcome) in c.await.expect("client") {
            match outcome {
                Seen::Answer(status, code) => {
                    answered += 1;
                    assert_eq!(status, StatusCode::CREATED, "booking {seq}");
                    created.push((seq, code.expect("a 201 carries its booking code")));
                }
                Seen::Refused => {}
                Seen::Broken(e) => broken.push((seq, e)),
            }
        }
    }
    eprintln!(
        "rush: {} bookings answered 201, {} connections broken (never served)",
        created.len(),
        broken.len()
    );
    assert!(created.len() >= 100, "only {} bookings", created.len());

    // The log: JSON lines only, no terminal escapes; the probe's line carries its request id.
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(!text.contains('\u{1b}'), "escape codes in the log file");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let served = |l: &&Value| l["message"] == "request served";
    let probe: Vec<&Value> = lines
        .iter()
        .filter(served)
        .filter(|l| l["span"]["request_id"] == "observe-probe-1")
        .collect();
    assert_eq!(probe.len(), 1, "{text}");
    assert_eq!(probe[0]["span"]["route"], "/api/v1/public/sessions/{id}");
    assert_eq!(probe[0]["status"], 200);
    assert!(!text.contains(&s), "a raw path in the log");
    // Never a patient identifier: no phone number or ID number of the rush in the log.
    for (seq, _) in created.iter().take(50) {
        assert!(!text.contains(&phone(*seq)) && !text.contains(&id_number(*seq)));
    }
    // Every booking request the server served got its answer to the client: none accepted and
    // then cut off. (A connection the kernel completed in the instant the server closed its
    // listening socket may fail; the server never saw its request.)
    let served_bookings: Vec<&Value> = lines
        .iter()
        .filter(served)
        .filter(|l| l["span"]["route"] == BOOKING_ROUTE)
        .collect();
    assert_eq!(
        served_bookings.len(),
        answered,
        "requests served but not answered; broken connections: {broken:?}"
    );
    for (seq, e) in &broken {
        let id = format!("rush-{seq}");
        assert!(
            !served_bookings
                .iter()
                .any(|l| l["span"]["request_id"] == id.as_str()),
            "booking {seq} was served, but its client saw {e}"
        );
    }
    assert!(
        broken.len() <= 2,
        "{} connections broken by the stop: {broken:?}",
        broken.len()
    );
    assert!(
        lines.iter().any(|l| l["message"] == "stopped"),
        "no clean stop in the log"
    );

    // Every 201 is in the database, and nothing else is.
    assert_eq!(
        shanhai_store::bookings::confirmed_count(&app.db, &s)
            .await
            .expect("count"),
        created.len() as i64
    );

    // After a restart on the same data, every booking code a client received is found.
    let (mut again, base) = serve(&app, &app.data_dir.join("server-2.log"));
    wait_until_up(&base).await;
    let http = client();
    for (seq, code) in &created {
        let r = http
            .post(format!("{base}/api/v1/public/bookings/lookup"))
            .json(&json!({"booking_code": code, "phone": phone(*seq)}))
            .send()
            .await
            .expect("lookup");
        assert_eq!(r.status(), StatusCode::OK, "booking {code} not found");
    }
    terminate(&again);
    assert!(
        wait_for_exit(&mut again, Duration::from_secs(30))
            .await
            .success()
    );
}

#[tokio::test]
async fn a_second_signal_stops_at_once() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app().await;
    let log = app.data_dir.join("server.log");
    // The grace period is 20 s (see `serve`): a request that never finishes would hold the
    // first stop that long.
    let (mut child, base) = serve(&app, &log);
    wait_until_up(&base).await;
    let mut stuck = tokio::net::TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .expect("connect");
    stuck
        .write_all(
            b"POST /api/v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 500\r\n\r\n{",
        )
        .await
        .expect("write");
    tokio::time::sleep(Duration::from_millis(300)).await;
    terminate(&child);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        child.try_wait().expect("wait").is_none(),
        "the first signal waits for the request in flight"
    );
    let started = Instant::now();
    terminate(&child);
    let status = wait_for_exit(&mut child, Duration::from_secs(10)).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(status.code(), Some(130));
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(text.contains("second stop signal"), "{text}");
}
