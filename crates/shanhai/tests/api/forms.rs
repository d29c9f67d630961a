//! Forms: a form with three mistakes shows three errors, each at its field, and the API answers
//! the same input with 422 and three `errors[]`; messages state their rule (the configured
//! mentorship term); a successful save lands on a page that confirms it.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The `data-testid`s of the field errors a page shows.
fn field_errors(html: &str) -> Vec<String> {
    html.split("class=\"field-error\" data-testid=\"error-")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap_or("").to_string())
        .collect()
}

fn api_fields(body: &Value) -> Vec<String> {
    body["error"]["errors"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|e| e["field"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_user_form_with_three_mistakes_shows_three_errors_and_the_api_three_errors() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let before = app.count("users").await;
    // A username with a space, a short password, a coordinator without an institution.
    let (status, body) = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "a b", "password": "short", "role": "coordinator"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        api_fields(&body),
        vec!["username", "password", "institution_id"],
        "{body}"
    );

    app.add_user("boss", "platform-admin", None, None).await;
    let browser = Browser::sign_in(&app, "boss").await;
    let (status, html) = browser
        .post("/users", "username=a+b&password=short&role=coordinator")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_errors(&html),
        vec!["username", "password", "institution_id"],
        "{html}"
    );
    assert_eq!(app.count("users").await, before + 1, "only boss was added");
}

#[tokio::test]
async fn a_capacity_form_with_three_mistakes_shows_three_errors_and_the_api_three_errors() {
    let app = spawn_app().await;
    let w = world(&app).await;
    // No trainee, no host hospital, no subject.
    let (status, body) = app
        .post(
            "/api/v1/placements",
            &w.admin,
            json!({"institution_id": w.recipient, "person_id": "", "host_institution_id": "",
                   "subject": "", "start_date": "2025-03-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        api_fields(&body),
        vec!["person_id", "host_institution_id", "subject"],
        "{body}"
    );

    let coord = Browser::sign_in(&app, "coord-r").await;
    let (status, html) = coord
        .post(
            "/placements",
            &format!(
                "institution_id={}&person_id=&host_institution_id=&subject=&start_date=2025-03-01",
                w.recipient
            ),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    let mut shown = field_errors(&html);
    shown.sort();
    assert_eq!(
        shown,
        vec!["host_institution_id", "person_id", "subject"],
        "{html}"
    );
    assert_eq!(app.count("placements").await, 0);
}

#[tokio::test]
async fn a_mentorship_term_too_long_names_the_configured_months() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (status, body) = app
        .post(
            "/api/v1/mentorships",
            &w.admin,
            json!({"institution_id": w.recipient, "mentor_id": w.person_d,
                   "term_start": "2025-01-01", "term_end": "2025-06-30"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or("");
    assert!(message.contains("3 个月"), "{message}");
}

#[tokio::test]
async fn a_successful_save_lands_on_a_page_that_confirms_it() {
    let app = spawn_app().await;
    let _w = world(&app).await;
    app.add_user("boss", "platform-admin", None, None).await;
    let browser = Browser::sign_in(&app, "boss").await;
    let r = browser
        .post_response(
            "/programs",
            "name=%E6%96%B0%E9%A1%B9%E7%9B%AE&kind=east-west&start_date=2025-01-01&donor_access=read",
        )
        .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let to = r
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(to.ends_with("?saved=1"), "{to}");
    let (status, html) = browser.get(&to).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-testid=\"flash\""), "{html}");
    // Anywhere else, no confirmation.
    let (_, html) = browser.get("/programs").await;
    assert!(!html.contains("data-testid=\"flash\""));
}
