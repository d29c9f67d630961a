//! The findings of the hardening review (issue 15) that are not about one capability: redirects,
//! sign-in throttling, slow clients and shutdown, response headers, tokens, booking limits,
//! the public booking lookup, dates, and the records page.

use crate::clinic_sessions::{id_number, phone, session, today};
use crate::helpers::*;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn only_same_site_paths_are_followed_after_a_language_switch_or_sign_in() {
    let app = spawn_app().await;
    for next in [
        "/%09/127.0.0.1:18999/x",
        "/%0a/evil.example",
        "/%5Cevil.example",
        "//evil.example",
        "https://evil.example",
        "/%01",
    ] {
        let r = app
            .client
            .get(app.url(&format!("/lang/en?next={next}")))
            .send()
            .await
            .expect("send");
        assert!(r.status().is_redirection(), "{next}: {}", r.status());
        assert_eq!(
            r.headers()[header::LOCATION],
            "/",
            "{next} led elsewhere (home: each role's own)"
        );
        let form = app
            .client
            .get(app.url(&format!("/login?next={next}")))
            .send()
            .await
            .expect("send");
        assert_eq!(form.status(), StatusCode::OK, "{next}");
        let html = form.text().await.expect("text");
        assert!(
            html.contains(r#"name="next" value="/""#),
            "{next}: the sign-in form carries another target"
        );
    }
    let r = app
        .client
        .get(app.url("/lang/en?next=/clinic-sessions%3Fq%3D1"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.headers()[header::LOCATION], "/clinic-sessions?q=1");
}

async fn token_attempt(app: &TestApp, username: &str, password: &str) -> StatusCode {
    app.request(
        Method::POST,
        "/api/v1/auth/token",
        None,
        Some(&json!({"username": username, "password": password})),
    )
    .await
    .status()
}

#[tokio::test]
async fn parallel_wrong_passwords_are_throttled_and_one_address_cannot_try_many_usernames() {
    let app = spawn_app().await;
    app.add_user("office", "platform-admin", None, None).await;
    let mut attempts = tokio::task::JoinSet::new();
    for i in 0..40 {
        let (client, url) = (app.client.clone(), app.url("/api/v1/auth/token"));
        attempts.spawn(async move {
            client
                .post(url)
                .json(&json!({"username": "office", "password": format!("wrong-{i}")}))
                .send()
                .await
                .expect("send")
                .status()
        });
    }
    let statuses = attempts.join_all().await;
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!(
        (checked, refused),
        (5, 35),
        "40 parallel guesses: {statuses:?}"
    );

    let other = spawn_app().await;
    let mut first_refusal = None;
    for i in 0..60 {
        if token_attempt(&other, &format!("user{i}"), "123456").await
            == StatusCode::TOO_MANY_REQUESTS
        {
            first_refusal = Some(i);
            break;
        }
    }
    assert_eq!(
        first_refusal,
        Some(20),
        "one address tried 60 usernames unslowed"
    );
}

/// Opens connections that send half a request's headers and never the rest.
async fn half_open(addr: &str, n: usize) -> Vec<tokio::net::TcpStream> {
    let host = addr.trim_start_matches("http://");
    let mut streams = Vec::new();
    for _ in 0..n {
        let mut s = tokio::net::TcpStream::connect(host).await.expect("connect");
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .expect("write");
        streams.push(s);
    }
    streams
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let app = spawn_app_with_config(|c| c.header_read_timeout_ms = 1_000).await;
    let mut streams = half_open(&app.addr, 50).await;
    let started = Instant::now();
    for s in &mut streams {
        let mut buf = [0u8; 256];
        let closed = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
            .await
            .expect("the connection was still open after 10 s");
        assert!(
            matches!(closed, Ok(0) | Err(_)) || buf.starts_with(b"HTTP/1.1 408"),
            "the server answered a half-sent request"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    let (status, _) = app.get("/api/v1/auth/me", "no-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "still serving others");
}

#[tokio::test]
async fn a_stop_waits_for_requests_in_flight_no_longer_than_the_grace_period() {
    let tmp = TempDir::new();
    let database_url = fresh_database(&tmp.0).await;
    let db = shanhai_store::Db::connect(&database_url).await.expect("db");
    db.migrate().await.expect("migrate");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let config = shanhai_web::Config {
        shutdown_grace_seconds: 1,
        ..shanhai_web::Config::new(tmp.0.clone())
    };
    let state = shanhai_web::AppState::start(db, config)
        .await
        .expect("start");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(shanhai_web::serve_until(listener, state, async {
        let _ = stopped.await;
    }));
    // A request whose body never arrives keeps its handler waiting.
    let mut slow = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    slow.write_all(
        b"POST /api/v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
    )
    .await
    .expect("write");
    let _idle = half_open(&format!("http://{addr}"), 20).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server was still running 5 s after it was told to stop")
        .expect("join")
        .expect("serve");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        tokio::net::TcpStream::connect(&addr).await.is_err(),
        "still accepting after the stop"
    );
}

#[tokio::test]
async fn sigterm_stops_the_server_within_its_grace_period_despite_a_stuck_client() {
    let tmp = TempDir::new();
    let url = fresh_database(&tmp.0).await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_shanhai"))
        .args(["--database-url", &url, "--data-dir"])
        .arg(&tmp.0)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("SHANHAI_SHUTDOWN_SECONDS", "2")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn shanhai serve");
    let addr = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while tokio::net::TcpStream::connect(&addr).await.is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut stuck = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    stuck
        .write_all(b"POST /api/v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{")
        .await
        .expect("write");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("still running 10 s after SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn pages_have_a_content_security_policy_without_inline_script_and_case_json_is_not_stored() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let cookie = app.session_cookie("coord-r").await;
    for path in [
        "/login",
        "/public",
        "/public/booking",
        "/programs",
        "/dashboard",
        "/clinic-sessions",
    ] {
        let r = app
            .client
            .get(app.url(path))
            .header(header::COOKIE, &cookie)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let csp = r.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("ascii")
            .to_string();
        let script_src = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src"))
            .expect("a script-src directive");
        assert!(!script_src.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        let html = r.text().await.expect("text");
        assert!(
            !html.contains("<script>") && !html.contains(" onclick="),
            "{path} has inline script"
        );
    }
    let clinician = app.token("clinician-r").await;
    let consultation = crate::consultations::request(&app, &w, &clinician).await;
    let r = app
        .request(
            Method::GET,
            &format!(
                "/api/v1/consultations/{}",
                consultation["id"].as_str().expect("id")
            ),
            Some(&clinician),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    let r = app
        .request(Method::GET, "/api/v1/people", Some(&w.admin), None)
        .await;
    assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    let css = app
        .client
        .get(app.url("/assets/app.js"))
        .send()
        .await
        .expect("send");
    assert_eq!(css.status(), StatusCode::OK);
    assert!(
        css.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap_or("")
            .starts_with("text/javascript")
    );
}

#[tokio::test]
async fn a_password_change_revokes_the_tokens_and_tokens_expire() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.add_user("wang", "platform-admin", None, None).await;
    let (status, issued) = app
        .post_anon(
            "/api/v1/auth/token",
            json!({"username": "wang", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let token = issued["token"].as_str().expect("token").to_string();
    let expires =
        chrono::DateTime::parse_from_rfc3339(issued["expires_at"].as_str().expect("expires_at"))
            .expect("RFC 3339");
    let lifetime = expires.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(
        lifetime > chrono::Duration::days(29) && lifetime <= chrono::Duration::days(30),
        "{lifetime}"
    );
    assert_eq!(app.get("/api/v1/auth/me", &token).await.0, StatusCode::OK);
    let (_, list) = app.get("/api/v1/users?q=wang", &admin).await;
    let id = list["items"][0]["id"].as_str().expect("id").to_string();
    let (status, body) = app
        .put(
            &format!("/api/v1/users/{id}"),
            &admin,
            json!({"password": "another-horse-battery-staple"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        app.get("/api/v1/auth/me", &token).await.0,
        StatusCode::UNAUTHORIZED,
        "the token issued under the old password still works"
    );

    // A token older than its lifetime stops working.
    let short = spawn_app_with_config(|c| c.token_lifetime_hours = 1).await;
    let admin = short.admin().await;
    assert_eq!(short.get("/api/v1/auth/me", &admin).await.0, StatusCode::OK);
    let two_hours_ago = (chrono::Utc::now() - chrono::Duration::hours(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE api_tokens SET created_at = '{two_hours_ago}'"
    )))
    .execute(short.db.pool())
    .await
    .expect("age the token");
    assert_eq!(
        short.get("/api/v1/auth/me", &admin).await.0,
        StatusCode::UNAUTHORIZED
    );
}

async fn book_as(app: &TestApp, session: &str, phone: &str, seq: u32) -> (StatusCode, Value) {
    app.post_anon(
        &format!("/api/v1/public/sessions/{session}/bookings"),
        json!({"name": "张三", "phone": phone, "id_number": id_number(seq)}),
    )
    .await
}

#[tokio::test]
async fn one_phone_and_one_address_cannot_take_a_session_s_places() {
    let tmp = TempDir::new();
    let url = fresh_database(&tmp.0).await;
    // The public rate limit on (as in production), high enough not to interfere.
    let app = spawn_app_with(tmp, url, 100_000).await;
    let w = world(&app).await;
    let s = session(&app, &w, 300, &today()).await;
    let one_phone = phone(1);
    assert_eq!(
        book_as(&app, &s, &one_phone, 1).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        book_as(&app, &s, &one_phone, 2).await.0,
        StatusCode::CREATED
    );
    let (status, body) = book_as(&app, &s, &one_phone, 3).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or("");
    assert!(
        message.contains("手机号") && message.contains("2"),
        "{body}"
    );
    // Other phones from the same address: up to ten active bookings in one session.
    let mut confirmed = 2;
    let mut refused = None;
    for seq in 10..300 {
        let (status, body) = book_as(&app, &s, &phone(seq), seq).await;
        if status == StatusCode::CREATED {
            confirmed += 1;
        } else {
            refused = Some(body);
            break;
        }
    }
    assert_eq!(confirmed, 10, "one address took {confirmed} of 300 places");
    let refused = refused.expect("a refusal");
    let message = refused["error"]["message"].as_str().unwrap_or("");
    assert!(
        message.contains("网络地址") && message.contains("10"),
        "{refused}"
    );
    let (_, listed) = app
        .get(&format!("/api/v1/clinic-sessions/{s}"), &w.admin)
        .await;
    assert_eq!(listed["booked"], 10);

    // With the public limits off (a load test from one address) the address may book on.
    let open = spawn_app().await;
    let w = world(&open).await;
    let s = session(&open, &w, 300, &today()).await;
    for seq in 0..15 {
        assert_eq!(
            book_as(&open, &s, &phone(seq), seq).await.0,
            StatusCode::CREATED
        );
    }
}

#[tokio::test]
async fn a_malformed_phone_looks_up_as_a_wrong_one() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let s = session(&app, &w, 5, &today()).await;
    let (status, booked) = book_as(&app, &s, &phone(1), 1).await;
    assert_eq!(status, StatusCode::CREATED);
    let code = booked["booking_code"].as_str().expect("code");
    let real_code_bad_phone = app
        .post_anon(
            "/api/v1/public/bookings/lookup",
            json!({"booking_code": code, "phone": "12"}),
        )
        .await;
    let unknown_code = app
        .post_anon(
            "/api/v1/public/bookings/lookup",
            json!({"booking_code": "ZZZZZZZZZZ", "phone": "12"}),
        )
        .await;
    assert_eq!(real_code_bad_phone.0, StatusCode::NOT_FOUND);
    assert_eq!(real_code_bad_phone, unknown_code);
}

#[tokio::test]
async fn dates_outside_the_plausible_years_are_refused() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let before = app.count("regulations").await;
    for adopted_on in ["-001-01-01", "9999-12-31"] {
        let (status, body) = app
            .post(
                "/api/v1/regulations",
                &w.admin,
                json!({"program_id": w.program_a, "institution_id": w.recipient,
                       "title": "医疗质量安全核心制度", "area": "医疗质量", "adopted_on": adopted_on}),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{adopted_on}: {body}"
        );
        assert_eq!(body["error"]["field"], "adopted_on", "{body}");
    }
    assert_eq!(app.count("regulations").await, before);
}

#[tokio::test]
async fn the_records_page_opens_lists_only_and_only_from_the_site_itself() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let s = session(&app, &w, 5, &today()).await;
    let (status, booked) = book_as(&app, &s, &phone(1), 1).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, bookings) = app
        .get(&format!("/api/v1/clinic-sessions/{s}/bookings"), &w.admin)
        .await;
    let booking = bookings["items"][0]["id"].as_str().expect("booking id");
    assert_eq!(booked["status"], "confirmed");
    let cookie = app.session_cookie("coord-r").await;
    let reads = app.count("audit_log").await;
    for src in [
        format!("/api/v1/bookings/{booking}/contact"),
        format!("/api/v1/clinic-sessions/{s}/bookings"),
        "/api/v1/../v1/people".to_string(),
    ] {
        let r = app
            .client
            .get(app.url(&format!(
                "/records?src={}",
                src.replace('/', "%2F").replace('?', "%3F")
            )))
            .header(header::COOKIE, &cookie)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{src}");
    }
    assert_eq!(
        app.count("audit_log").await,
        reads,
        "a refused source was read"
    );
    let list = |site: &'static str| {
        app.client
            .get(app.url("/records?src=%2Fapi%2Fv1%2Fpeople"))
            .header(header::COOKIE, &cookie)
            .header("sec-fetch-site", site)
            .send()
    };
    assert_eq!(
        list("same-origin").await.expect("send").status(),
        StatusCode::OK
    );
    assert_eq!(list("none").await.expect("send").status(), StatusCode::OK);
    assert_eq!(
        list("cross-site").await.expect("send").status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn error_pages_answer_with_the_error_s_status() {
    let app = spawn_app().await;
    let _w = world(&app).await;
    let cookie = app.session_cookie("expert-d").await;
    let missing = uuid::Uuid::now_v7();
    for (path, status) in [
        ("/no-such-page".to_string(), StatusCode::NOT_FOUND),
        (format!("/clinic-sessions/{missing}"), StatusCode::NOT_FOUND),
        (format!("/consultations/{missing}"), StatusCode::NOT_FOUND),
        (
            "/clinic-sessions/not-an-id".to_string(),
            StatusCode::NOT_FOUND,
        ),
        ("/users".to_string(), StatusCode::FORBIDDEN),
        ("/audit".to_string(), StatusCode::FORBIDDEN),
        (
            "/records?src=x".to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (format!("/public/sessions/{missing}"), StatusCode::NOT_FOUND),
    ] {
        let r = app
            .client
            .get(app.url(&path))
            .header(header::COOKIE, &cookie)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), status, "{path}");
        let html = r.text().await.expect("text");
        assert!(html.contains("<h1>"), "{path}: no error page");
    }
}
