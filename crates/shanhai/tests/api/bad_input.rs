//! Bad input gets a clear 4xx in the error shape and changes nothing.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn assert_error_shape(body: &Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or("");
    assert!(!message.is_empty(), "{body}");
}

async fn raw_post(
    app: &TestApp,
    token: &str,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let r = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("send");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn malformed_json_wrong_types_and_oversized_bodies_are_refused_without_writing() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let institutions = app.count("institutions").await;
    let audit = app.count("audit_log").await;

    let (s, b) = raw_post(
        &app,
        &w.admin,
        "/api/v1/institutions",
        "application/json",
        b"{\"name\": \"x\",".to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error_shape(&b, "bad_request");

    let (s, b) = app
        .post(
            "/api/v1/institutions",
            &w.admin,
            json!({"name": 42, "kind": "hospital", "grade": "3A", "region_code": "150203"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error_shape(&b, "validation");

    let (s, b) = app
        .post(
            "/api/v1/institutions",
            &w.admin,
            json!(["not", "an", "object"]),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error_shape(&b, "validation");

    let (s, b) = raw_post(
        &app,
        &w.admin,
        "/api/v1/institutions",
        "text/plain",
        b"name=x".to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_error_shape(&b, "unsupported_media_type");

    let huge = json!({"name": "x".repeat(400_000), "kind": "hospital", "grade": "3A", "region_code": "150203"});
    let (s, b) = raw_post(
        &app,
        &w.admin,
        "/api/v1/institutions",
        "application/json",
        huge.to_string().into_bytes(),
    )
    .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error_shape(&b, "payload_too_large");

    let (s, b) = app
        .post(
            "/api/v1/institutions",
            &w.admin,
            json!({"name": "", "kind": "hospital", "grade": "3A", "region_code": "150203"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["error"]["field"], "name");

    let (s, b) = app
        .post(
            "/api/v1/institutions",
            &w.admin,
            json!({"name": "新院", "kind": "castle", "grade": "3A", "region_code": "150203"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["error"]["field"], "kind");

    let (s, b) = app
        .post(
            "/api/v1/institutions",
            &w.admin,
            json!({"name": "新院", "kind": "hospital", "grade": "3A", "region_code": "999999"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["error"]["field"], "region_code");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("区划"),
        "{b}"
    );

    let (s, b) = app.post("/api/v1/institutions", &w.admin, json!({"name": "包头市中心医院", "kind": "hospital", "grade": "3A", "region_code": "150203"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_error_shape(&b, "conflict");

    assert_eq!(app.count("institutions").await, institutions);
    assert_eq!(app.count("audit_log").await, audit);
}

#[tokio::test]
async fn unknown_ids_are_404_and_never_500() {
    let app = spawn_app().await;
    let w = world(&app).await;
    for path in [
        format!("/api/v1/institutions/{}", uuid::Uuid::now_v7()),
        "/api/v1/institutions/not-a-uuid".to_string(),
        "/api/v1/institutions/1%27%20OR%20%271%27%3D%271".to_string(),
        format!("/api/v1/people/{}", uuid::Uuid::now_v7()),
        format!("/api/v1/programs/{}", uuid::Uuid::now_v7()),
        format!("/api/v1/agreements/{}/document", w.agreement),
        "/api/v1/regions/000000".to_string(),
        "/api/v1/nothing-here".to_string(),
    ] {
        let (s, b) = app.get(&path, &w.admin).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {b}");
        assert_error_shape(&b, "not_found");
    }
    let (s, b) = app
        .put(
            &format!("/api/v1/programs/{}", uuid::Uuid::now_v7()),
            &w.admin,
            json!({"name": "x", "kind": "east-west", "start_date": "2024-01-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    let (s, b) = app
        .post(
            "/api/v1/pairings",
            &w.admin,
            json!({"program_id": w.program_a, "donor_id": uuid::Uuid::now_v7().to_string(), "recipient_id": w.recipient,
                   "level": "hospital", "mode": "counterpart", "start_date": "2024-01-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "donor_id");
    let (s, _) = app.get("/api/v1/people?page=abc", &w.admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn injection_strings_are_stored_and_searched_as_plain_text() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let evil = "'); DROP TABLE institutions; --";
    let (s, b) = app
        .post(
            "/api/v1/institutions",
            &w.admin,
            json!({"name": evil, "kind": "hospital", "grade": "3A", "region_code": "150203"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["name"], evil);
    let (s, b) = app
        .get("/api/v1/institutions?q=%27%20OR%201%3D1%20--", &w.admin)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["total"], 0);
    let (_, b) = app.get("/api/v1/institutions?q=%25", &w.admin).await;
    assert_eq!(b["total"], 0, "a % in the search matches literally");
    let (_, b) = app.get("/api/v1/institutions?q=DROP", &w.admin).await;
    assert_eq!(b["total"], 1);
    let (_, b) = app.get("/api/v1/institutions?per_page=200", &w.admin).await;
    assert_eq!(b["total"], 5);
    let (s, b) = app
        .post(
            "/api/v1/regions",
            &w.admin,
            json!({"code": "15'; --", "name": "x", "parent_code": "150200"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["error"]["field"], "code");
}

#[tokio::test]
async fn rejected_updates_leave_the_record_as_it_was() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let path = format!("/api/v1/programs/{}", w.program_a);
    let (_, before) = app.get(&path, &w.admin).await;
    let (s, b) = app.put(&path, &w.admin, json!({"name": "沪蒙", "kind": "east-west", "start_date": "2024-01-01", "end_date": "2023-01-01"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["error"]["field"], "end_date");
    let (s, _) = app
        .put(
            &path,
            &w.admin,
            json!({"name": "其他项目", "kind": "east-west", "start_date": "2024-01-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, after) = app.get(&path, &w.admin).await;
    assert_eq!(before, after);
}
