//! Two-way referral through the API.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn refer(app: &TestApp, token: &str, to: &str, direction: &str) -> (StatusCode, Value) {
    app.post(
        "/api/v1/referrals",
        token,
        json!({"direction": direction, "urgency": "routine", "to_institution_id": to,
               "patient": {"name": "李桂兰", "sex": "female", "age": 58}, "reason": "肺部占位，需进一步诊治"}),
    )
    .await
}

#[tokio::test]
async fn a_patient_is_referred_up_arrives_is_treated_and_comes_back_down() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let clinician = app.token("clinician-r").await;
    let coord_d = app.token("coord-d").await;
    let (s, r) = refer(&app, &clinician, &w.donor, "up").await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let id = r["id"].as_str().expect("id").to_string();
    assert_eq!(r["leaves_region"], true, "包头 → 上海 leaves the province");
    assert_eq!(r["patient_name_masked"], "李**");

    let path = |a: &str| format!("/api/v1/referrals/{id}/{a}");
    assert_eq!(
        app.post(&path("treat"), &coord_d, json!({})).await.0,
        StatusCode::CONFLICT,
        "treat before arrival"
    );
    assert_eq!(
        app.post(&path("accept"), &clinician, json!({})).await.0,
        StatusCode::FORBIDDEN,
        "the sender cannot accept"
    );
    for action in ["accept", "arrive", "treat"] {
        let (s, b) = app.post(&path(action), &coord_d, json!({})).await;
        assert_eq!(s, StatusCode::OK, "{action}: {b}");
    }
    assert_eq!(
        app.post(&path("cancel"), &clinician, json!({})).await.0,
        StatusCode::CONFLICT,
        "no cancelling once arrived"
    );
    assert_eq!(
        app.post(&path("down-refer"), &coord_d, json!({})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the outcome is required"
    );
    let (s, b) = app
        .post(
            &path("down-refer"),
            &coord_d,
            json!({"note": "术后返回当地康复"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, seen) = app
        .get(&format!("/api/v1/referrals/{id}"), &clinician)
        .await;
    let actions: Vec<&str> = seen["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        ["create", "accept", "arrive", "treat", "down-refer"],
        "the sender sees the arrival"
    );

    let (s, _) = refer(&app, &clinician, &w.unrelated, "up").await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, figures) = app.get("/api/v1/referrals/figures", &w.admin).await;
    assert_eq!(figures["total"], 2);
    assert_eq!(figures["up"], 2);
    assert_eq!(figures["leaving_region"], 1);
    assert_eq!(figures["staying_in_region"], 1);
    assert_eq!(figures["returned"], 1);
    let office = app.token("office").await;
    assert_eq!(
        app.get("/api/v1/referrals/figures", &office).await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/api/v1/referrals/{id}"), &office).await.0,
        StatusCode::FORBIDDEN,
        "no patient details for the office"
    );
    let coord_u = app.token("coord-u").await;
    assert_eq!(
        app.get(&format!("/api/v1/referrals/{id}"), &coord_u)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}
