//! A page and its API twin refuse the same invalid input the same way: 422, with the API's
//! field and message shown on the page (both come from one service function).

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

struct Twin {
    who: &'static str,
    api: String,
    body: serde_json::Value,
    page: String,
    form: String,
    field: &'static str,
}

#[tokio::test]
async fn a_page_and_its_api_twin_refuse_the_same_input_with_the_same_field_and_message() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let twins = [
        // Opening a KPI report for a period that is no period.
        Twin {
            who: "coord-r",
            api: "/api/v1/kpi-reports".into(),
            body: json!({"institution_id": w.recipient, "period": "2025-13"}),
            page: "/kpis".into(),
            form: format!("institution_id={}&period=2025-13", w.recipient),
            field: "period",
        },
        // A webhook to a scheme that is not http(s).
        Twin {
            who: "coord-r",
            api: "/api/v1/webhooks".into(),
            body: json!({"institution_id": w.recipient, "url": "ftp://example.org/x",
                         "secret": "a-secret-of-enough-length"}),
            page: "/webhooks".into(),
            form: format!(
                "institution_id={}&url=ftp%3A%2F%2Fexample.org%2Fx&secret=a-secret-of-enough-length",
                w.recipient
            ),
            field: "url",
        },
        // A program without a name.
        Twin {
            who: "admin",
            api: "/api/v1/programs".into(),
            body: json!({"name": " ", "kind": "east-west", "start_date": "2025-01-01"}),
            page: "/programs".into(),
            form: "name=+&kind=east-west&start_date=2025-01-01".into(),
            field: "name",
        },
        // A pairing starting on a day that does not exist.
        Twin {
            who: "office",
            api: "/api/v1/pairings".into(),
            body: json!({"program_id": w.program_a, "donor_id": w.donor, "recipient_id": w.recipient,
                         "level": "hospital", "mode": "counterpart", "start_date": "2025-02-30"}),
            page: format!("/programs/{}/pairings", w.program_a),
            form: format!(
                "donor_id={}&recipient_id={}&level=hospital&mode=counterpart&start_date=2025-02-30",
                w.donor, w.recipient
            ),
            field: "start_date",
        },
        // A capacity record (a regulation adopted) on a day that does not exist.
        Twin {
            who: "coord-r",
            api: "/api/v1/regulations".into(),
            body: json!({"program_id": w.program_a, "institution_id": w.recipient,
                         "title": "胸痛中心管理制度", "area": "医疗质量", "adopted_on": "2024-02-30"}),
            page: "/regulations".into(),
            form: format!(
                "program_id={}&institution_id={}&title=%E8%83%B8%E7%97%9B%E4%B8%AD%E5%BF%83%E7%AE%A1%E7%90%86%E5%88%B6%E5%BA%A6&area=%E5%8C%BB%E7%96%97%E8%B4%A8%E9%87%8F&adopted_on=2024-02-30",
                w.program_a, w.recipient
            ),
            field: "adopted_on",
        },
        // An account with a role that is no role.
        Twin {
            who: "admin",
            api: "/api/v1/users".into(),
            body: json!({"username": "twin-user", "password": "a-long-enough-password-1",
                         "role": "chief"}),
            page: "/users".into(),
            form: "username=twin-user&password=a-long-enough-password-1&role=chief".into(),
            field: "role",
        },
    ];
    for t in twins {
        let token = app.token(t.who).await;
        let (status, body) = app.post(&t.api, &token, t.body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{} {body}", t.api);
        assert_eq!(body["error"]["field"], t.field, "{} {body}", t.api);
        let message = body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let page = Browser::sign_in(&app, t.who).await;
        let (status, html) = page.post(&t.page, &t.form).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{} (page)",
            t.page
        );
        assert!(
            html.contains(&message),
            "{}: the page says what the API says ({message})",
            t.page
        );
    }
}

#[tokio::test]
async fn every_problem_of_a_referral_is_reported_at_once_by_the_api_and_the_page() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let before = app.count("referrals").await;
    let token = app.token("coord-r").await;
    let (status, body) = app
        .post(
            "/api/v1/referrals",
            &token,
            json!({"direction": "up", "urgency": "routine", "to_institution_id": w.donor,
                   "patient": {"name": " ", "sex": "male", "age": 200}, "reason": " "}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "patient.age", "{body}");
    let fields: Vec<&str> = body["error"]["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["patient.age", "patient.name", "reason"], "{body}");
    let page = Browser::sign_in(&app, "coord-r").await;
    let (status, html) = page
        .post(
            "/referrals",
            &format!(
                "direction=up&urgency=routine&to_institution_id={}&patient.name=+&patient.sex=male&patient.age=old&reason=+",
                w.donor
            ),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["patient.age", "patient.name", "reason"] {
        assert!(
            html.contains(&format!("data-testid=\"error-{field}\"")),
            "the page shows the problem at {field}"
        );
    }
    assert_eq!(app.count("referrals").await, before);
}
