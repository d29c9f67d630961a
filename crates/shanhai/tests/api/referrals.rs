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

/// What an acceptance tells the sender.
fn acceptance() -> Value {
    json!({"appointment_at": "2026-12-09T09:30", "ward": "胸外科 2 病区 15 床",
           "contact_name": "陈晓燕", "contact_phone": "0371-65580123"})
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
    assert_eq!(
        r["program_id"],
        w.program_a.as_str(),
        "the pairing's program"
    );

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
        let body = if action == "accept" {
            acceptance()
        } else {
            json!({})
        };
        let (s, b) = app.post(&path(action), &coord_d, body).await;
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
            json!({"note": "术后返回当地康复。\n出院医嘱：\n1. 复查血常规"}),
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
    let (s, mine) = app.get("/api/v1/referrals/figures", &office).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        mine["total"], 1,
        "the office counts its program's pairings only: {mine}"
    );
    let (_, sent) = app
        .get("/api/v1/referrals/figures?region=150000", &w.admin)
        .await;
    assert_eq!(
        (sent["up"].as_i64(), sent["returned"].as_i64()),
        (Some(2), Some(1))
    );
    let (_, received) = app
        .get("/api/v1/referrals/figures?region=310000", &w.admin)
        .await;
    assert_eq!(
        (
            received["total"].as_i64(),
            received["up"].as_i64(),
            received["returned"].as_i64()
        ),
        (Some(1), Some(0), Some(0)),
        "Shanghai received one patient and sent none: {received}"
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

#[tokio::test]
async fn a_referral_names_the_clinic_session_or_consultation_it_came_from() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let clinician = app.token("clinician-r").await;
    let before = app.count("referrals").await;
    for field in ["clinic_session_id", "consultation_id"] {
        let (s, b) = app
            .post(
                "/api/v1/referrals",
                &clinician,
                json!({"direction": "up", "urgency": "routine", "to_institution_id": w.donor,
                       "patient": {"name": "李桂兰", "sex": "female", "age": 58}, "reason": "义诊发现肺部占位",
                       field: "0190b2a4-0000-7000-8000-000000000000"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(b["error"]["field"], field);
    }
    assert_eq!(app.count("referrals").await, before, "nothing written");
    let consultation = crate::consultations::request(&app, &w, &clinician).await;
    let (s, r) = app
        .post(
            "/api/v1/referrals",
            &clinician,
            json!({"direction": "up", "urgency": "urgent", "to_institution_id": w.donor,
                   "patient": {"name": "李桂兰", "sex": "female", "age": 58}, "reason": "会诊建议上转",
                   "consultation_id": consultation["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["consultation_id"], consultation["id"]);
}

/// Issue 15, finding 16: a referral cited a consultation its author could not read. Citing one
/// you do not see is refused exactly like an unknown id (422 on `consultation_id`), through the
/// API and the page, and nothing is written.
#[tokio::test]
async fn a_referral_cannot_cite_a_consultation_its_author_does_not_see() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let clinician = app.token("clinician-r").await;
    let consultation = crate::consultations::request(&app, &w, &clinician).await;
    let id = consultation["id"].as_str().expect("id").to_string();
    let coord_u = app.token("coord-u").await;
    let before = app.count("referrals").await;
    let cite = |consultation_id: &str| {
        json!({"direction": "up", "urgency": "routine", "to_institution_id": w.donor,
               "patient": {"name": "李桂兰", "sex": "female", "age": 58}, "reason": "会诊建议上转",
               "consultation_id": consultation_id})
    };
    let (s, unseen) = app.post("/api/v1/referrals", &coord_u, cite(&id)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{unseen}");
    assert_eq!(unseen["error"]["field"], "consultation_id");
    let (s, unknown) = app
        .post(
            "/api/v1/referrals",
            &coord_u,
            cite("0190b2a4-0000-7000-8000-000000000000"),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unseen, unknown, "existence does not leak");
    assert_eq!(app.count("referrals").await, before, "nothing written");

    let page = crate::helpers::Browser::sign_in(&app, "coord-u").await;
    let form = |consultation_id: &str| {
        format!(
            "direction=up&urgency=routine&to_institution_id={}&patient.name=%E6%9D%8E%E6%A1%82%E5%85%B0\
             &patient.sex=female&patient.age=58&reason=%E4%B8%8A%E8%BD%AC&consultation_id={consultation_id}",
            w.donor
        )
    };
    let (s, html) = page.post("/referrals", &form(&id)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    let (s, _) = page
        .post("/referrals", &form("0190b2a4-0000-7000-8000-000000000000"))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, prefilled) = page.get(&format!("/referrals/new?consultation={id}")).await;
    assert!(
        !prefilled.contains(&format!("name=\"to_institution_id\" value=\"{}\"", w.donor)),
        "the form does not reveal whom the unseen consultation asked"
    );
    assert_eq!(app.count("referrals").await, before, "nothing written");

    // Both hospitals' staff see it and may cite it.
    let coord_d = app.token("coord-d").await;
    let (s, r) = app
        .post(
            "/api/v1/referrals",
            &coord_d,
            json!({"direction": "down", "urgency": "routine", "to_institution_id": w.recipient,
                   "patient": {"name": "李桂兰", "sex": "female", "age": 58}, "reason": "康复期下转",
                   "consultation_id": id}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let page = crate::helpers::Browser::sign_in(&app, "clinician-r").await;
    let (s, html) = page.post("/referrals", &form(&id)).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{html}");
}

#[tokio::test]
async fn an_acceptance_names_appointment_ward_and_contact_every_problem_at_once() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let clinician = app.token("clinician-r").await;
    let coord_d = app.token("coord-d").await;
    let (_, r) = refer(&app, &clinician, &w.donor, "up").await;
    let id = r["id"].as_str().expect("id").to_string();
    let accept = format!("/api/v1/referrals/{id}/accept");

    let (s, b) = app
        .post(
            &accept,
            &coord_d,
            json!({"appointment_at": "next Tuesday", "contact_phone": "12345"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let mut fields: Vec<&str> = b["error"]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["appointment_at", "contact_name", "contact_phone", "ward"],
        "every problem at once: {b}"
    );
    let (_, unchanged) = app
        .get(&format!("/api/v1/referrals/{id}"), &clinician)
        .await;
    assert_eq!(
        unchanged["state"], "created",
        "a refused acceptance changes nothing"
    );
    assert_eq!(unchanged["appointment_at"], Value::Null);

    let (s, b) = app.post(&accept, &coord_d, acceptance()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, seen) = app
        .get(&format!("/api/v1/referrals/{id}"), &clinician)
        .await;
    assert_eq!(seen["state"], "accepted");
    assert_eq!(seen["appointment_at"], "2026-12-09T09:30");
    assert_eq!(seen["ward"], "胸外科 2 病区 15 床");
    assert_eq!(seen["contact_name"], "陈晓燕");
    assert_eq!(seen["contact_phone"], "0371-65580123");

    // The sender reads it on the referral page as well.
    let page = Browser::sign_in(&app, "clinician-r").await;
    let (s, html) = page.get(&format!("/referrals/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    for shown in [
        "2026-12-09 09:30",
        "胸外科 2 病区 15 床",
        "陈晓燕",
        "tel:0371-65580123",
    ] {
        assert!(html.contains(shown), "the sender sees {shown}");
    }
}

#[tokio::test]
async fn timelines_name_who_acted_by_person_title_and_institution() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let admin = w.admin.clone();
    // A coordinator of D who is a person in the registry: 沈专家, chief physician at D.
    let (s, b) = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "coord-shen", "password": "correct-horse-battery", "role": "coordinator",
                   "institution_id": w.donor, "person_id": w.person_d}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(
        b["display_name"], "沈专家",
        "an account linked to a person goes by its name"
    );
    let clinician = app.token("clinician-r").await;
    let shen = {
        let (s, b) = app
            .post_anon(
                "/api/v1/auth/token",
                json!({"username": "coord-shen", "password": "correct-horse-battery"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        b["token"].as_str().expect("token").to_string()
    };
    let (_, r) = refer(&app, &clinician, &w.donor, "up").await;
    let id = r["id"].as_str().expect("id").to_string();
    let (s, b) = app
        .post(
            &format!("/api/v1/referrals/{id}/accept"),
            &shen,
            acceptance(),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let accepted = &b["events"][1];
    assert_eq!(accepted["action"], "accept");
    assert_eq!(accepted["actor"]["name"], "沈专家");
    assert_eq!(accepted["actor"]["title"], "chief-physician");
    assert!(accepted["actor"]["institution"].is_string(), "{accepted}");

    let page = Browser::sign_in(&app, "clinician-r").await;
    let (_, html) = page.get(&format!("/referrals/{id}")).await;
    assert!(
        html.contains("沈专家 · 主任医师 · "),
        "the timeline reads name · title · institution"
    );
    assert!(!html.contains(">coord-shen<"), "never the login");
}

#[tokio::test]
async fn referrals_go_to_places_that_treat_patients_never_a_health_commission() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let clinician = app.token("clinician-r").await;
    let office = w.office_inst.clone();
    let (s, b) = refer(&app, &clinician, &office, "up").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "to_institution_id", "{b}");
    let page = Browser::sign_in(&app, "clinician-r").await;
    let (_, html) = page.get("/referrals/new").await;
    assert!(html.contains(&w.donor), "a hospital is offered");
    assert!(!html.contains(&office), "a health commission is not");
}

#[tokio::test]
async fn the_finished_list_holds_every_finished_referral_and_searches_them() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let clinician = app.token("clinician-r").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (_, r) = refer(&app, &clinician, &w.donor, "up").await;
        ids.push(r["id"].as_str().expect("id").to_string());
    }
    for id in &ids[..2] {
        let (s, b) = app
            .post(
                &format!("/api/v1/referrals/{id}/cancel"),
                &clinician,
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let (_, finished) = app.get("/api/v1/referrals?finished=true", &clinician).await;
    assert_eq!(finished["total"], 2, "{finished}");
    let (_, none) = app
        .get(
            "/api/v1/referrals?finished=true&q=%E6%97%A0%E6%AD%A4%E7%97%85",
            &clinician,
        )
        .await;
    assert_eq!(none["total"], 0, "a search for words in no reason");
    let page = Browser::sign_in(&app, "clinician-r").await;
    let (s, html) = page.get("/referrals/closed?q=%E8%82%BA%E9%83%A8").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(html.matches("data-testid=\"closed-referral\"").count(), 2);
    assert!(
        !html.contains(&ids[2]),
        "the open one is on the board, not here"
    );
}
