//! Days served: an expert's one-tap check-in, the coordinators' week confirmation, leave, and
//! the planning actions around them (a batch copied, an assignment ended early, the
//! one-place-a-day rule shown at the field of the page's form).

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shanhai_domain::accounts::UserInput;
use shanhai_store::audit::Actor;

fn day(offset: i64) -> String {
    (shanhai_store::today() + chrono::Duration::days(offset)).to_string()
}

/// A batch of program A (the pairing D → R) around today, and a stationed assignment of the
/// donor's person at the recipient in it.
async fn running_assignment(app: &TestApp, w: &World) -> (String, String) {
    let (s, b) = app
        .post(
            "/api/v1/batches",
            &w.admin,
            json!({"program_id": w.program_a, "pairing_id": w.pairing, "number": 7,
                   "name": "今日批次", "start_date": day(-20), "end_date": day(60)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let batch = b["id"].as_str().expect("batch").to_string();
    let (s, a) = app
        .post(
            "/api/v1/assignments",
            &w.admin,
            json!({"batch_id": batch, "person_id": w.person_d, "institution_id": w.recipient,
                   "mode": "stationed", "post": "team-member", "start_date": day(-20), "end_date": day(60)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    (batch, a["id"].as_str().expect("assignment").to_string())
}

/// An expert account linked to a person.
async fn expert_of(app: &TestApp, username: &str, person: &str, institution: &str) -> String {
    let new = UserInput {
        username: username.into(),
        display_name: None,
        password: PASSWORD.into(),
        role: "expert".into(),
        program_id: None,
        institution_id: Some(institution.into()),
        person_id: Some(person.into()),
    }
    .parse()
    .expect("valid user");
    shanhai_store::users::create(&app.db, &Actor::system("test"), &new)
        .await
        .expect("create user");
    app.token(username).await
}

fn indicator(values: &Value, code: &str) -> i64 {
    values
        .as_array()
        .expect("a list")
        .iter()
        .find(|v| v["code"] == code)
        .and_then(|v| v["value"].as_i64())
        .unwrap_or(-1)
}

#[tokio::test]
async fn an_expert_checks_in_once_today_and_coordinators_confirm_the_week() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (_, id) = running_assignment(&app, &w).await;
    let expert = expert_of(&app, "expert-p", &w.person_d, &w.donor).await;

    let (s, today) = app.get("/api/v1/me/today", &expert).await;
    assert_eq!(s, StatusCode::OK, "{today}");
    assert_eq!(today["assignment"]["id"], id.as_str());
    assert_eq!(today["planned"], true);
    assert!(today["checked_in"].is_null());

    let (s, first) = app.post("/api/v1/me/check-in", &expert, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    assert_eq!(first["day"], day(0).as_str());
    assert!(first["confirmed_at"].is_null());
    let (s, again) = app.post("/api/v1/me/check-in", &expert, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{again}");
    // An account without a person has nothing to check in to.
    let other = app.token("expert-d").await;
    let (s, none) = app.post("/api/v1/me/check-in", &other, json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{none}");

    let (_, a) = app
        .get(&format!("/api/v1/assignments/{id}"), &w.admin)
        .await;
    assert_eq!(a["days_served"], 1);
    assert_eq!(a["days_confirmed"], 0);
    let (s, values) = app
        .get(
            &format!("/api/v1/programs/{}/indicators", w.program_a),
            &w.admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{values}");
    assert_eq!(indicator(&values, "work-days"), 1, "the check-in counts");

    // The recipient's coordinator has one day to confirm; the expert confirms nothing.
    let coord_r = app.token("coord-r").await;
    let (_, n) = app.get("/api/v1/dispatch/days-to-confirm", &coord_r).await;
    assert_eq!(n["count"], 1);
    let (_, n) = app.get("/api/v1/dispatch/days-to-confirm", &expert).await;
    assert_eq!(n["count"], 0);
    let week = json!({"entries": [
        {"assignment_id": id, "day": day(0), "mark": "served"},
        {"assignment_id": id, "day": day(-1), "mark": "leave"},
        {"assignment_id": id, "day": day(-2), "mark": "served"},
        {"assignment_id": id, "day": day(-3), "mark": "absent"},
    ]});
    let (s, refused) = app
        .post("/api/v1/dispatch/day-confirmations", &expert, week.clone())
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{refused}");

    // Every bad cell at once, each at its entry; nothing written.
    let (s, bad) = app
        .post(
            "/api/v1/dispatch/day-confirmations",
            &coord_r,
            json!({"entries": [
                {"assignment_id": id, "day": day(0), "mark": "maybe"},
                {"assignment_id": id, "day": "2025-13-01", "mark": "served"},
            ]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let fields: Vec<String> = bad["error"]["errors"]
        .as_array()
        .map(|p| {
            p.iter()
                .map(|p| p["field"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        fields.contains(&"entries[0].mark".to_string())
            && fields.contains(&"entries[1].day".to_string()),
        "{bad}"
    );
    let (s, outside) = app
        .post(
            "/api/v1/dispatch/day-confirmations",
            &coord_r,
            json!({"entries": [
                {"assignment_id": id, "day": day(-4), "mark": "served"},
                {"assignment_id": id, "day": day(-40), "mark": "served"},
            ]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{outside}");
    assert_eq!(app.count("service_days").await, 1, "all cells or none");

    let (s, outcome) = app
        .post("/api/v1/dispatch/day-confirmations", &coord_r, week)
        .await;
    assert_eq!(s, StatusCode::OK, "{outcome}");
    assert_eq!(outcome["confirmed"], 2);
    assert_eq!(outcome["leave"], 1);
    let (_, a) = app
        .get(&format!("/api/v1/assignments/{id}"), &w.admin)
        .await;
    assert_eq!(a["days_served"], 2);
    assert_eq!(a["days_confirmed"], 2);
    assert_eq!(a["leave_days"], 1);
    let (_, n) = app.get("/api/v1/dispatch/days-to-confirm", &coord_r).await;
    assert_eq!(n["count"], 0);
    let (_, days) = app
        .get(&format!("/api/v1/assignments/{id}/service-days"), &w.admin)
        .await;
    assert!(
        days.as_array()
            .expect("days")
            .iter()
            .all(|d| d["confirmed_by"].is_string()),
        "{days}"
    );
    let (_, values) = app
        .get(
            &format!("/api/v1/programs/{}/indicators", w.program_a),
            &w.admin,
        )
        .await;
    assert_eq!(indicator(&values, "work-days"), 2, "leave never counts");
}

#[tokio::test]
async fn leave_is_kept_apart_from_days_served() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (_, id) = running_assignment(&app, &w).await;
    let coord_r = app.token("coord-r").await;
    let served = format!("/api/v1/assignments/{id}/service-days");
    let leave = format!("/api/v1/assignments/{id}/leave-days");
    assert_eq!(
        app.post(&served, &coord_r, json!({"day": day(-10)}))
            .await
            .0,
        StatusCode::CREATED
    );
    let (s, three) = app
        .post(
            &leave,
            &coord_r,
            json!({"from": day(-5), "until": day(-3), "note": "探亲"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{three}");
    assert_eq!(three.as_array().map(Vec::len), Some(3));
    let (s, over) = app
        .post(
            &leave,
            &coord_r,
            json!({"from": day(-11), "until": day(-9)}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{over}");
    assert_eq!(over["error"]["field"], "from", "{over}");
    let (s, backwards) = app
        .post(&leave, &coord_r, json!({"from": day(-3), "until": day(-5)}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{backwards}");
    assert_eq!(backwards["error"]["field"], "until");
    let (s, on_leave) = app.post(&served, &coord_r, json!({"day": day(-4)})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{on_leave}");
    let (_, a) = app
        .get(&format!("/api/v1/assignments/{id}"), &w.admin)
        .await;
    assert_eq!(
        (a["days_served"].clone(), a["leave_days"].clone()),
        (json!(1), json!(3))
    );
    let r = app
        .request(
            reqwest::Method::DELETE,
            &format!("{leave}/{}", day(-4)),
            Some(&coord_r),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (_, log) = app
        .get("/api/v1/audit?entity=leave_day&action=delete", &w.admin)
        .await;
    assert_eq!(log["total"], 1);
    let coord_u = app.token("coord-u").await;
    let (s, _) = app.post(&leave, &coord_u, json!({"from": day(-1)})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_batch_is_copied_with_its_assignments_and_an_assignment_ends_early() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let b = batch_2025(&app, &w, 1).await;
    let coord_d = app.token("coord-d").await;
    let mut ids = Vec::new();
    for (institution, mode, days) in [
        (&w.recipient, "weekly", json!([2, 3])),
        (&w.unrelated, "weekly", json!([5])),
    ] {
        let (s, a) = app
            .post(
                "/api/v1/assignments",
                &coord_d,
                json!({"batch_id": b, "person_id": w.person_d, "institution_id": institution,
                       "mode": mode, "post": "team-member", "weekdays": days,
                       "start_date": "2025-03-01", "end_date": "2025-06-30"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        ids.push(a["id"].as_str().expect("id").to_string());
    }
    // Ended early: the planned end is kept; a later "early" end, or one before a day served,
    // is refused at the field.
    let end = format!("/api/v1/assignments/{}/end", ids[0]);
    let served = format!("/api/v1/assignments/{}/service-days", ids[0]);
    assert_eq!(
        app.post(&served, &coord_d, json!({"day": "2025-05-06"}))
            .await
            .0,
        StatusCode::CREATED
    );
    let (s, later) = app
        .post(&end, &coord_d, json!({"end_date": "2025-07-31"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{later}");
    assert_eq!(later["error"]["field"], "end_date");
    let (s, before_served) = app
        .post(&end, &coord_d, json!({"end_date": "2025-04-30"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{before_served}");
    let (s, ended) = app
        .post(&end, &coord_d, json!({"end_date": "2025-05-31"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{ended}");
    assert_eq!(ended["end_date"], "2025-05-31");
    assert_eq!(ended["planned_end_date"], "2025-06-30");
    let coord_r = app.token("coord-r").await;
    let (s, _) = app
        .post(&end, &coord_r, json!({"end_date": "2025-05-20"}))
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "the recipient does not plan the batch"
    );

    // The copy moves every assignment by the same number of days (the planned end, not the
    // early one).
    let copy = format!("/api/v1/batches/{b}/copy");
    let (s, copied) = app
        .post(
            &copy,
            &coord_d,
            json!({"number": 2, "name": "2026年春季队", "start_date": "2026-01-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{copied}");
    assert_eq!(copied["assignments"], 2);
    assert_eq!(copied["batch"]["end_date"], "2026-12-31");
    assert_eq!(copied["batch"]["name"], "2026年春季队");
    let new_batch = copied["batch"]["id"].as_str().expect("id");
    let (_, roster) = app
        .get(&format!("/api/v1/assignments?batch={new_batch}"), &w.admin)
        .await;
    let periods: Vec<(String, String)> = roster["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| {
            (
                a["start_date"].as_str().unwrap_or("").to_string(),
                a["end_date"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        periods,
        vec![
            ("2026-03-01".to_string(), "2026-06-30".to_string()),
            ("2026-03-01".to_string(), "2026-06-30".to_string())
        ]
    );
    // A copy onto days the same people already serve is refused whole.
    let batches = app.count("batches").await;
    let (s, clash) = app
        .post(
            &copy,
            &coord_d,
            json!({"number": 3, "start_date": "2026-01-02"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{clash}");
    assert_eq!(app.count("batches").await, batches, "nothing copied");
    let (s, bad) = app
        .post(&copy, &coord_d, json!({"number": 0, "start_date": "soon"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad["error"]["errors"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn the_assignment_form_shows_the_one_place_a_day_rule_at_the_person() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let b = batch_2025(&app, &w, 1).await;
    let (s, _) = app
        .post(
            "/api/v1/assignments",
            &w.admin,
            json!({"batch_id": b, "person_id": w.person_d, "institution_id": w.recipient,
                   "mode": "stationed", "post": "team-member",
                   "start_date": "2025-03-01", "end_date": "2025-06-30"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let browser = Browser::sign_in(&app, "coord-d").await;
    let (s, form) = browser
        .get(&format!("/dispatch/assignments/new?batch={b}"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(form.contains("data-testid=\"assignment-form\""));
    let (s, page) = browser
        .post(
            "/dispatch/assignments/create",
            &format!(
                "batch_id={b}&person_id={}&institution_id={}&mode=one-off&post=team-member&start_date=2025-05-07&end_date=2025-05-07",
                w.person_d, w.unrelated
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{page}");
    assert!(page.contains("data-testid=\"error-person_id\""), "{page}");
    assert!(page.contains("data-testid=\"clashes\""), "{page}");
    assert!(
        page.contains("2025-03-01 – 2025-06-30"),
        "the clashing assignment is named"
    );
    // The week grid and the roster open for the coordinator.
    let (s, _) = browser.get("/dispatch/days").await;
    assert_eq!(s, StatusCode::OK);
    let (s, roster) = browser.get("/dispatch").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        roster.contains("data-testid=\"roster-scope\""),
        "opens on the coordinator's own experts"
    );
}
