//! Dispatch: batches, assignments, the one-place-a-day rule, days served, the week calendar.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn assignment(
    batch: &str,
    w: &World,
    institution: &str,
    mode: &str,
    days: Value,
    start: &str,
    end: &str,
) -> Value {
    json!({"batch_id": batch, "person_id": w.person_d, "institution_id": institution, "mode": mode, "post": "team-member",
           "weekdays": days, "start_date": start, "end_date": end})
}

#[tokio::test]
async fn a_person_is_not_in_two_places_on_one_day_and_assignments_stay_inside_their_batch() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let b = batch_2025(&app, &w, 1).await;
    let coord_d = app.token("coord-d").await;
    let (s, first) = app
        .post(
            "/api/v1/assignments",
            &coord_d,
            assignment(
                &b,
                &w,
                &w.recipient,
                "weekly",
                json!([2, 3, 4]),
                "2025-03-01",
                "2025-08-31",
            ),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::CREATED,
        "the donor's coordinator dispatches: {first}"
    );
    let (s, b2) = app
        .post(
            "/api/v1/assignments",
            &w.admin,
            assignment(
                &b,
                &w,
                &w.unrelated,
                "weekly",
                json!([5]),
                "2025-03-01",
                "2025-08-31",
            ),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::CREATED,
        "Fridays elsewhere do not clash: {b2}"
    );
    let (s, clash) = app
        .post(
            "/api/v1/assignments",
            &w.admin,
            assignment(
                &b,
                &w,
                &w.unrelated,
                "one-off",
                json!([]),
                "2025-05-07",
                "2025-05-07",
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{clash}");
    let (s, outside) = app
        .post(
            "/api/v1/assignments",
            &w.admin,
            assignment(
                &b,
                &w,
                &w.recipient,
                "remote",
                json!([]),
                "2024-12-01",
                "2025-01-31",
            ),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{outside}");
    let coord_u = app.token("coord-u").await;
    let (s, _) = app
        .post(
            "/api/v1/assignments",
            &coord_u,
            assignment(
                &b,
                &w,
                &w.recipient,
                "remote",
                json!([]),
                "2025-01-01",
                "2025-01-31",
            ),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (_, roster) = app
        .get(&format!("/api/v1/assignments?batch={b}"), &w.admin)
        .await;
    assert_eq!(roster["total"], 2);
    let (_, cal) = app
        .get(
            "/api/v1/dispatch/calendar?region=150000&week=2025-05-07",
            &w.admin,
        )
        .await;
    assert_eq!(cal["week_start"], "2025-05-05");
    assert_eq!(cal["experts_on_duty"], 1);
    let days: Vec<i64> = cal["days"]
        .as_array()
        .expect("days")
        .iter()
        .map(|d| d["experts"].as_i64().unwrap_or(-1))
        .collect();
    assert_eq!(days, [0, 1, 1, 1, 1, 0, 0]);
}

#[tokio::test]
async fn days_served_are_recorded_once_and_corrections_are_audited() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let b = batch_2025(&app, &w, 2).await;
    let (_, a) = app
        .post(
            "/api/v1/assignments",
            &w.admin,
            assignment(
                &b,
                &w,
                &w.recipient,
                "stationed",
                json!([]),
                "2025-01-01",
                "2025-06-30",
            ),
        )
        .await;
    let id = a["id"].as_str().expect("id");
    let coord_r = app.token("coord-r").await;
    let path = format!("/api/v1/assignments/{id}/service-days");
    assert_eq!(
        app.post(&path, &coord_r, json!({"day": "2025-02-03"}))
            .await
            .0,
        StatusCode::CREATED
    );
    assert_eq!(
        app.post(&path, &coord_r, json!({"day": "2025-02-03"}))
            .await
            .0,
        StatusCode::CONFLICT
    );
    assert_eq!(
        app.post(&path, &coord_r, json!({"day": "2025-07-01"}))
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.post(&path, &coord_r, json!({"day": "2025-02-04"}))
            .await
            .0,
        StatusCode::CREATED
    );
    let (_, a) = app
        .get(&format!("/api/v1/assignments/{id}"), &w.admin)
        .await;
    assert_eq!(a["days_served"], 2);
    let r = app
        .request(
            reqwest::Method::DELETE,
            &format!("{path}/2025-02-04"),
            Some(&coord_r),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (_, log) = app
        .get("/api/v1/audit?entity=service_day&action=delete", &w.admin)
        .await;
    assert_eq!(log["total"], 1);
    assert_eq!(log["items"][0]["before"]["day"], "2025-02-04");
}

#[tokio::test]
async fn an_assignments_pattern_generates_its_clinic_sessions() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let b = batch_2025(&app, &w, 3).await;
    let (_, a) = app
        .post(
            "/api/v1/assignments",
            &w.admin,
            assignment(
                &b,
                &w,
                &w.recipient,
                "weekly",
                json!([2, 4]),
                "2025-03-01",
                "2025-03-31",
            ),
        )
        .await;
    let id = a["id"].as_str().expect("id");
    let body = json!({"from": "2025-03-01", "until": "2025-03-16", "start": "08:30", "end": "11:30", "capacity": 20});
    let (s, sessions) = app
        .post(
            &format!("/api/v1/assignments/{id}/clinic-sessions"),
            &w.admin,
            body.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sessions}");
    let dates: Vec<&str> = sessions
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["date"].as_str())
        .collect();
    assert_eq!(
        dates,
        ["2025-03-04", "2025-03-06", "2025-03-11", "2025-03-13"]
    );
    let (_, again) = app
        .post(
            &format!("/api/v1/assignments/{id}/clinic-sessions"),
            &w.admin,
            body,
        )
        .await;
    assert_eq!(
        again.as_array().map(Vec::len),
        Some(0),
        "existing days are skipped"
    );
}
