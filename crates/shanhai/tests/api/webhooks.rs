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
