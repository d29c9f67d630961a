//! Webhooks: events reach a receiver that fails its first attempts, signed, each accepted once.

use crate::helpers::*;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Mutex;

#[derive(Clone, Default)]
struct Receiver {
    attempts: Arc<AtomicUsize>,
    accepted: Arc<Mutex<Vec<(String, String, String)>>>,
}

async fn receive(
    axum::extract::State(r): axum::extract::State<Receiver>,
    headers: HeaderMap,
    body: String,
) -> AxumStatus {
    if r.attempts.fetch_add(1, Ordering::SeqCst) < 2 {
        return AxumStatus::INTERNAL_SERVER_ERROR;
    }
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    r.accepted.lock().await.push((
        header("x-shanhai-delivery"),
        header("x-shanhai-signature"),
        body,
    ));
    AxumStatus::OK
}

#[tokio::test]
async fn webhook_events_survive_a_receiver_that_fails_the_first_attempts() {
    let receiver = Receiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let app_router = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(receiver.clone());
    tokio::spawn(async move { axum::serve(listener, app_router).await });

    let app = spawn_app().await;
    let w = world(&app).await;
    let coord_d = app.token("coord-d").await;
    let secret = "s3cret-s3cret-s3cret";
    let (s, b) = app
        .post(
            "/api/v1/webhooks",
            &coord_d,
            json!({"institution_id": w.donor, "url": url, "secret": secret}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let coord_u = app.token("coord-u").await;
    let (s, _) = app
        .post(
            "/api/v1/webhooks",
            &coord_u,
            json!({"institution_id": w.donor, "url": url, "secret": secret}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post(
            "/api/v1/webhooks",
            &coord_d,
            json!({"institution_id": w.donor, "url": "ftp://x", "secret": secret}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let clinician = app.token("clinician-r").await;
    let (s, b) = app
        .post(
            "/api/v1/consultations",
            &clinician,
            json!({"type": "general", "urgency": "routine", "target_institution_id": w.donor,
                   "patient": {"name": "王小明", "sex": "male", "age": 40}, "case_summary": "咳嗽两周", "question": "是否需要CT？"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while receiver.accepted.lock().await.is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let accepted = receiver.accepted.lock().await.clone();
    assert_eq!(
        accepted.len(),
        1,
        "delivered once after the failures: {accepted:?}"
    );
    assert_eq!(receiver.attempts.load(Ordering::SeqCst), 3);
    let (_, signature, body) = &accepted[0];
    assert_eq!(
        signature,
        &shanhai_web::api::webhooks::signature(secret, body)
    );
    let event: serde_json::Value = serde_json::from_str(body).expect("json");
    assert_eq!(event["event"], "consultation.requested");
    assert!(
        !body.contains("王小明"),
        "no patient details in webhook events"
    );
    let outbox = shanhai_store::webhooks::outbox(&app.db)
        .await
        .expect("outbox");
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].1, 3, "three attempts recorded");
    assert!(outbox[0].2.is_some(), "marked delivered");
}

/// A local HTTP server; its address as `http://127.0.0.1:PORT`.
async fn serve_locally(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

/// A receiver counting the requests it gets, answering `status`.
async fn counting_receiver(status: AxumStatus) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let base = serve_locally(axum::Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            status
        }
    }))
    .await;
    (base, hits)
}

/// A consultation from the recipient to the donor: one event for each institution's webhooks.
async fn request_consultation(app: &TestApp, w: &World, clinician: &str) {
    let (s, b) = app
        .post(
            "/api/v1/consultations",
            clinician,
            json!({"type": "general", "urgency": "routine", "target_institution_id": w.donor,
                   "patient": {"name": "王小明", "sex": "male", "age": 40}, "case_summary": "咳嗽两周", "question": "是否需要CT？"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

async fn register(app: &TestApp, token: &str, institution: &str, url: &str) -> String {
    let (s, b) = app
        .post(
            "/api/v1/webhooks",
            token,
            json!({"institution_id": institution, "url": url, "secret": "s3cret-s3cret-s3cret"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{url}: {b}");
    b["id"].as_str().expect("id").to_string()
}

/// Waits up to 20 s until the webhook's deliveries satisfy `done`; answers them.
async fn deliveries_until(
    app: &TestApp,
    token: &str,
    hook: &str,
    done: impl Fn(&[serde_json::Value]) -> bool,
) -> Vec<serde_json::Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (s, b) = app
            .get(&format!("/api/v1/webhooks/{hook}/deliveries"), token)
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let list = b.as_array().expect("list").clone();
        if done(&list) || std::time::Instant::now() > deadline {
            return list;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

const INTERNAL: &[&str] = &[
    "http://127.0.0.1:18999/x",
    "http://localhost:18999/",
    "http://api.localhost/",
    "http://2130706433:18999/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://0.0.0.0/",
    "http://[::1]:18999/",
    "http://[::ffff:127.0.0.1]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.1.2.3/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://224.0.0.1/",
];

#[tokio::test]
async fn a_webhook_to_an_internal_address_is_refused_when_registered_by_api_and_page() {
    let app = spawn_app_with_config(|c| c.webhook_allow = Default::default()).await;
    let w = world(&app).await;
    let coord_d = app.token("coord-d").await;
    for url in INTERNAL {
        let r = app
            .client
            .post(app.url("/api/v1/webhooks"))
            .bearer_auth(&coord_d)
            .header(reqwest::header::ACCEPT_LANGUAGE, "en")
            .json(&json!({"institution_id": w.donor, "url": url, "secret": "s3cret-s3cret-s3cret"}))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        let b: serde_json::Value = r.json().await.expect("json");
        assert_eq!(b["error"]["field"], "url", "{url}: {b}");
        let message = b["error"]["message"].as_str().expect("message");
        assert!(message.contains("internal network"), "{url}: {message}");
    }
    let (s, b) = app
        .post(
            "/api/v1/webhooks",
            &coord_d,
            json!({"institution_id": w.donor, "url": "http://2130706433:18999/", "secret": "s3cret-s3cret-s3cret"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        b["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("内部网络")),
        "{b}"
    );
    assert_eq!(app.count("webhooks").await, 0, "nothing was stored");

    // The page form refuses the same URLs, at the field.
    let session = Browser::sign_in(&app, "coord-d").await;
    for url in [
        "http://2130706433:18999/",
        "http://[::1]/",
        "http://localhost/",
    ] {
        let (status, html) = session
            .post(
                "/webhooks",
                &format!(
                    "institution_id={}&url={}&secret=s3cret-s3cret-s3cret",
                    w.donor,
                    form_encode(url)
                ),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        let at_field = html
            .split("data-testid=\"error-url\">")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .unwrap_or_default();
        assert!(at_field.contains("内部网络"), "{url}: {at_field}");
    }
    assert_eq!(app.count("webhooks").await, 0, "nothing was stored");

    // A public name is accepted (and stored as it will be dialled).
    let id = register(&app, &coord_d, &w.donor, "HTTPS://His.Example.CN/events").await;
    let (_, hooks) = app
        .get(
            &format!("/api/v1/webhooks?institution={}", w.donor),
            &coord_d,
        )
        .await;
    assert_eq!(hooks[0]["id"], json!(id));
    assert_eq!(hooks[0]["url"], "https://his.example.cn/events");
}

#[tokio::test]
async fn a_stored_internal_webhook_is_not_dialled_at_delivery_without_the_allow_list() {
    // As if registered before the policy, or before the allow-list was narrowed.
    let app = spawn_app_with_config(|c| c.webhook_allow = Default::default()).await;
    let w = world(&app).await;
    let (base, hits) = counting_receiver(AxumStatus::OK).await;
    let port = base.rsplit(':').next().expect("port").to_string();
    let mut hooks = Vec::new();
    for url in [
        format!("{base}/hook"),
        format!("http://localhost:{port}/hook"),
        format!("http://2130706433:{port}/hook"),
    ] {
        let hook = shanhai_store::webhooks::create(
            &app.db,
            &shanhai_store::audit::Actor::system("test"),
            &w.donor,
            &url,
            "s3cret-s3cret-s3cret",
        )
        .await
        .expect("stored");
        hooks.push(hook.id);
    }
    let clinician = app.token("clinician-r").await;
    request_consultation(&app, &w, &clinician).await;
    let coord_d = app.token("coord-d").await;
    for hook in &hooks {
        let list = deliveries_until(&app, &coord_d, hook, |l| {
            l.first().is_some_and(|d| d["attempts"].as_i64() >= Some(1))
        })
        .await;
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["delivered_at"], json!(null));
        assert_eq!(list[0]["last_error"], "failed");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the receiver was reached");
}

#[tokio::test]
async fn redirects_are_not_followed_and_failures_do_not_tell_open_ports_from_closed() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let coord_d = app.token("coord-d").await;
    let (inside, inside_hits) = counting_receiver(AxumStatus::OK).await;
    let target = format!("{inside}/admin");
    let redirecting = serve_locally(axum::Router::new().fallback(move || {
        let target = target.clone();
        async move { (AxumStatus::FOUND, [(axum::http::header::LOCATION, target)]) }
    }))
    .await;
    // A closed port, and an open one that hangs up without answering.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}/hook", l.local_addr().expect("addr"))
    };
    let open = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let open_url = format!("http://{}/hook", open.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((stream, _)) = open.accept().await {
            drop(stream);
        }
    });
    let (failing, _) = counting_receiver(AxumStatus::SERVICE_UNAVAILABLE).await;

    let redirect_hook = register(&app, &coord_d, &w.donor, &format!("{redirecting}/hook")).await;
    let closed_hook = register(&app, &coord_d, &w.donor, &closed).await;
    let open_hook = register(&app, &coord_d, &w.donor, &open_url).await;
    let failing_hook = register(&app, &coord_d, &w.donor, &format!("{failing}/hook")).await;
    let clinician = app.token("clinician-r").await;
    request_consultation(&app, &w, &clinician).await;

    let tried =
        |l: &[serde_json::Value]| l.first().is_some_and(|d| d["attempts"].as_i64() >= Some(1));
    let redirected = deliveries_until(&app, &coord_d, &redirect_hook, tried).await;
    assert_eq!(redirected[0]["last_error"], "http_3xx", "{redirected:?}");
    assert_eq!(
        redirected[0]["delivered_at"],
        json!(null),
        "a 3xx is no delivery"
    );
    assert_eq!(
        inside_hits.load(Ordering::SeqCst),
        0,
        "the redirect was followed"
    );
    let to_closed = deliveries_until(&app, &coord_d, &closed_hook, tried).await;
    let to_open = deliveries_until(&app, &coord_d, &open_hook, tried).await;
    assert_eq!(to_closed[0]["last_error"], "failed");
    assert_eq!(to_open[0]["last_error"], "failed");
    let to_failing = deliveries_until(&app, &coord_d, &failing_hook, tried).await;
    assert_eq!(to_failing[0]["last_error"], "http_5xx");

    let session = Browser::sign_in(&app, "coord-d").await;
    let (_, html) = session.get("/webhooks?lang=en").await;
    for word in [
        "connection refused",
        "connection closed",
        "connection reset",
        "timed out",
        "error sending request",
        "tcp connect",
    ] {
        assert!(
            !html.to_lowercase().contains(word),
            "the deliveries page says {word:?}"
        );
    }
    assert!(
        html.contains("data-testid=\"delivery-error\""),
        "no error shown"
    );
}

/// Counts the requests in flight, and the most seen at once.
#[derive(Clone, Default)]
struct Slow {
    now: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
}

struct InFlight(Slow);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn slow_receive(axum::extract::State(slow): axum::extract::State<Slow>) -> AxumStatus {
    let n = slow.now.fetch_add(1, Ordering::SeqCst) + 1;
    slow.most.fetch_max(n, Ordering::SeqCst);
    let _guard = InFlight(slow);
    tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    AxumStatus::OK
}

#[tokio::test]
async fn slow_receivers_of_one_hospital_do_not_delay_another_hospitals_events() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let slow = Slow::default();
    let slow_base = serve_locally(
        axum::Router::new()
            .route("/slow/{n}", axum::routing::post(slow_receive))
            .with_state(slow.clone()),
    )
    .await;
    let fast = Receiver::default();
    let fast_base = serve_locally(
        axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(fast.clone()),
    )
    .await;
    // The fast receiver fails its first two attempts; count them as accepted instead.
    fast.attempts.store(2, Ordering::SeqCst);

    let coord_d = app.token("coord-d").await;
    for n in 0..6 {
        register(&app, &coord_d, &w.donor, &format!("{slow_base}/slow/{n}")).await;
    }
    let coord_r = app.token("coord-r").await;
    register(&app, &coord_r, &w.recipient, &format!("{fast_base}/hook")).await;
    let clinician = app.token("clinician-r").await;

    for round in 1..=2 {
        let filed = std::time::Instant::now();
        request_consultation(&app, &w, &clinician).await;
        while fast.accepted.lock().await.len() < round
            && filed.elapsed() < std::time::Duration::from_secs(15)
        {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let waited = filed.elapsed();
        assert_eq!(fast.accepted.lock().await.len(), round, "round {round}");
        assert!(
            waited < std::time::Duration::from_secs(3),
            "round {round}: the other hospital's event waited {waited:?} behind slow receivers"
        );
        if round == 1 {
            // Let the slow receivers fill the donor's quota before the second event.
            let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
            while slow.now.load(Ordering::SeqCst) < 4 && std::time::Instant::now() < until {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            assert_eq!(
                slow.now.load(Ordering::SeqCst),
                4,
                "deliveries in flight to the donor"
            );
        }
    }
    assert_eq!(
        slow.most.load(Ordering::SeqCst),
        4,
        "at most four deliveries in flight per institution"
    );
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
