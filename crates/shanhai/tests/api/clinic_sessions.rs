//! Clinics and public booking through the API.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A valid 18-character ID number for a sequence number.
pub fn id_number(seq: u32) -> String {
    let body = format!("150203{}{:03}", 19700101 + (seq / 1000) % 28, seq % 1000);
    let check = shanhai_domain::bookings::check_char(&body).expect("17 digits");
    format!("{body}{check}")
}

pub fn phone(seq: u32) -> String {
    format!("138{:08}", seq)
}

pub async fn session(app: &TestApp, w: &World, capacity: i64, date: &str) -> String {
    let (s, b) = app
        .post(
            "/api/v1/clinic-sessions",
            &w.admin,
            json!({"expert_id": w.person_d, "institution_id": w.recipient, "department_id": w.department_r,
                   "date": date, "start": "08:30", "end": "23:59", "capacity": capacity, "visit_type": "expert"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().expect("id").to_string()
}

pub fn today() -> String {
    shanhai_store::today().to_string()
}

async fn book(app: &TestApp, session: &str, seq: u32, waitlist: bool) -> (StatusCode, Value) {
    app.post_anon(
        &format!("/api/v1/public/sessions/{session}/bookings"),
        json!({"name": "张三", "phone": phone(seq), "id_number": id_number(seq), "waitlist": waitlist}),
    )
    .await
}

#[tokio::test]
async fn a_patient_books_without_an_account_and_a_full_session_answers_409() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let s = session(&app, &w, 2, &today()).await;

    let r = app
        .client
        .get(app.url("/api/v1/public/sessions?region=150000"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    let found: Value = r.json().await.expect("json");
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["expert_name"], "沈专家");
    assert_eq!(found["items"][0]["available"], 2);

    let (status, b) = book(&app, &s, 1, false).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let code = b["booking_code"].as_str().expect("code").to_string();
    assert_eq!(b["status"], "confirmed");
    assert!(
        b["id_number_masked"]
            .as_str()
            .unwrap_or("")
            .starts_with("1502**********")
    );
    assert!(
        !b.to_string().contains(&id_number(1)),
        "ID number in the answer"
    );
    assert!(!b.to_string().contains(&phone(1)), "phone in the answer");

    let (status, b) = book(&app, &s, 1, false).await;
    assert_eq!(status, StatusCode::CONFLICT, "duplicate: {b}");
    assert_eq!(book(&app, &s, 2, false).await.0, StatusCode::CREATED);
    let (status, b) = book(&app, &s, 3, false).await;
    assert_eq!(status, StatusCode::CONFLICT, "full: {b}");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("已满")
    );

    let (status, b) = app
        .post_anon(
            "/api/v1/public/bookings/lookup",
            json!({"booking_code": code, "phone": phone(1)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "confirmed");
    let (status, _) = app
        .post_anon(
            "/api/v1/public/bookings/lookup",
            json!({"booking_code": code, "phone": phone(9)}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        shanhai_store::bookings::confirmed_count(&app.db, &s)
            .await
            .expect("count"),
        2
    );
}

#[tokio::test]
async fn bad_id_numbers_and_phones_are_422_naming_the_field_and_book_nothing() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let s = session(&app, &w, 5, &today()).await;
    let mut wrong_check = id_number(7);
    let last = if wrong_check.ends_with('1') { "2" } else { "1" };
    wrong_check.replace_range(17.., last);
    for (body, field) in [
        (
            json!({"name": "李四", "phone": phone(7), "id_number": wrong_check}),
            "id_number",
        ),
        (
            json!({"name": "李四", "phone": phone(7), "id_number": "15020319800101"}),
            "id_number",
        ),
        (
            json!({"name": "李四", "phone": "12345", "id_number": id_number(7)}),
            "phone",
        ),
        (
            json!({"name": "", "phone": phone(7), "id_number": id_number(7)}),
            "name",
        ),
    ] {
        let (status, b) = app
            .post_anon(&format!("/api/v1/public/sessions/{s}/bookings"), body)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(b["error"]["field"], field, "{b}");
    }
    assert_eq!(app.count("bookings").await, 0);
}

#[tokio::test]
async fn the_waitlist_is_promoted_in_order_when_a_patient_cancels() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let s = session(&app, &w, 1, &today()).await;
    let (_, first) = book(&app, &s, 1, false).await;
    let (status, second) = book(&app, &s, 2, true).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{second}");
    assert_eq!(second["waitlist_position"], 1);
    let (status, third) = book(&app, &s, 3, true).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(third["waitlist_position"], 2);

    let cancel = json!({"booking_code": first["booking_code"], "phone": phone(1)});
    let (status, b) = app
        .post_anon("/api/v1/public/bookings/cancel", cancel.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "cancelled");
    let (status, _) = app
        .post_anon("/api/v1/public/bookings/cancel", cancel)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (_, b) = app
        .post_anon(
            "/api/v1/public/bookings/lookup",
            json!({"booking_code": second["booking_code"], "phone": phone(2)}),
        )
        .await;
    assert_eq!(b["status"], "confirmed");
    let (_, b) = app
        .post_anon(
            "/api/v1/public/bookings/lookup",
            json!({"booking_code": third["booking_code"], "phone": phone(3)}),
        )
        .await;
    assert_eq!(b["status"], "waitlisted");
    assert_eq!(b["waitlist_position"], 1);
    let (_, session) = app
        .get(&format!("/api/v1/clinic-sessions/{s}"), &w.admin)
        .await;
    assert_eq!(session["booked"], 1);
    assert_eq!(session["waitlisted"], 1);
}

#[tokio::test]
async fn coordinators_see_masked_bookings_check_in_and_reach_patients_of_a_cancelled_session() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let s = session(&app, &w, 3, &today()).await;
    let (_, b) = book(&app, &s, 4, false).await;
    let coord = app.token("coord-r").await;
    let (status, list) = app
        .get(&format!("/api/v1/clinic-sessions/{s}/bookings"), &coord)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 1);
    let item = &list["items"][0];
    assert_eq!(item["name_masked"], "张*");
    assert_eq!(item["phone_masked"], "138****0004");
    assert!(!list.to_string().contains(&id_number(4)) && !list.to_string().contains(&phone(4)));
    let booking_id = item["id"].as_str().expect("id").to_string();

    let coord_u = app.token("coord-u").await;
    assert_eq!(
        app.get(&format!("/api/v1/clinic-sessions/{s}/bookings"), &coord_u)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let clinician = app.token("clinician-r").await;
    assert_eq!(
        app.get(&format!("/api/v1/clinic-sessions/{s}/bookings"), &clinician)
            .await
            .0,
        StatusCode::FORBIDDEN
    );

    let (status, checked) = app
        .post(
            &format!("/api/v1/bookings/{booking_id}/check-in"),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{checked}");
    assert_eq!(checked["status"], "checked-in");
    assert_eq!(
        app.post(
            &format!("/api/v1/bookings/{booking_id}/no-show"),
            &coord,
            json!({})
        )
        .await
        .0,
        StatusCode::CONFLICT
    );

    let (status, cancelled) = app
        .post(
            &format!("/api/v1/clinic-sessions/{s}/cancel"),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cancelled["status"], "cancelled");
    let (status, contact) = app
        .get(&format!("/api/v1/bookings/{booking_id}/contact"), &coord)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(contact["phone"], phone(4));
    let (_, log) = app
        .get(
            &format!("/api/v1/audit?entity=booking_contact&entity_id={booking_id}"),
            &w.admin,
        )
        .await;
    assert_eq!(log["total"], 1, "reading the contact is audited");
    assert_eq!(log["items"][0]["actor_name"], "coord-r");
    let (status, _) = book(&app, &s, 5, false).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a cancelled session takes no bookings"
    );
    assert!(b["booking_code"].is_string());
}

#[tokio::test]
async fn identifiers_are_encrypted_at_rest() {
    use sqlx::Row;
    let app = spawn_app().await;
    let w = world(&app).await;
    let s = session(&app, &w, 3, &today()).await;
    book(&app, &s, 6, false).await;
    let rows = sqlx::query("SELECT * FROM bookings")
        .fetch_all(app.db.pool())
        .await
        .expect("rows");
    for row in rows {
        for col in [
            "name_enc",
            "phone_enc",
            "id_number_enc",
            "person_hash",
            "phone_hash",
            "id_number_masked",
        ] {
            let v: String = row.try_get(col).expect(col);
            assert!(
                !v.contains(&id_number(6)) && !v.contains(&phone(6)) && !v.contains("张三"),
                "{col} = {v}"
            );
        }
    }
    let (_, log) = app.get("/api/v1/audit?entity=booking", &w.admin).await;
    assert!(!log.to_string().contains(&id_number(6)) && !log.to_string().contains(&phone(6)));
}

#[tokio::test]
async fn public_requests_are_rate_limited_per_address_with_retry_after() {
    let tmp = TempDir(std::env::temp_dir().join(format!("shanhai-rate-{}", uuid::Uuid::now_v7())));
    std::fs::create_dir_all(&tmp.0).expect("dir");
    let url = fresh_database(&tmp.0).await;
    let app = spawn_app_with(tmp, url, 5).await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let r = app
            .client
            .get(app.url("/api/v1/public/sessions"))
            .send()
            .await
            .expect("send");
        statuses.push((r.status(), r.headers().get("retry-after").is_some()));
    }
    assert!(
        statuses[..5].iter().all(|(s, _)| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(statuses[5], (StatusCode::TOO_MANY_REQUESTS, true));
    let r = app
        .client
        .get(app.url("/api/v1/public/sessions"))
        .send()
        .await
        .expect("send");
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "too_many_requests");
}

#[tokio::test]
async fn servers_sharing_a_database_must_share_the_patient_key() {
    let first = spawn_app().await;
    let other_dir =
        TempDir(std::env::temp_dir().join(format!("shanhai-key-{}", uuid::Uuid::now_v7())));
    std::fs::create_dir_all(&other_dir.0).expect("dir");
    let config = shanhai_web::Config {
        public_rate_limit: 0,
        ..shanhai_web::Config::new(other_dir.0.clone())
    };
    let refused = shanhai_web::AppState::start(first.db.clone(), config).await;
    let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("SHANHAI_PATIENT_KEY"),
        "a second key was accepted: {message}"
    );
    let same = shanhai_web::Config {
        public_rate_limit: 0,
        ..shanhai_web::Config::new(first.data_dir.clone())
    };
    assert!(
        shanhai_web::AppState::start(first.db.clone(), same)
            .await
            .is_ok()
    );
}

/// Issue 15, finding 6: the program office read a booking's plaintext name and phone for an
/// open session. A patient's contact is revealed to the host institution's coordinators only,
/// and only once the session is cancelled (409 before); the API and the page agree, and each
/// reveal is an audited read.
#[tokio::test]
async fn a_bookings_contact_is_for_the_hosts_coordinators_once_the_session_is_cancelled() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let s = session(&app, &w, 3, &today()).await;
    let (status, b) = book(&app, &s, 7, false).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let coord = app.token("coord-r").await;
    let (_, list) = app
        .get(&format!("/api/v1/clinic-sessions/{s}/bookings"), &coord)
        .await;
    let booking = list["items"][0]["id"].as_str().expect("id").to_string();
    let contact = format!("/api/v1/bookings/{booking}/contact");
    let mut others = vec![("admin", w.admin.clone())];
    for who in ["office", "coord-d", "coord-u", "expert-d", "clinician-r"] {
        others.push((who, app.token(who).await));
    }
    let audited = || async {
        app.get(
            &format!("/api/v1/audit?entity=booking_contact&entity_id={booking}"),
            &w.admin,
        )
        .await
        .1["total"]
            .as_i64()
            .unwrap_or(-1)
    };

    let (status, b) = app.get(&contact, &coord).await;
    assert_eq!(status, StatusCode::CONFLICT, "an open session: {b}");
    assert!(!b.to_string().contains(&phone(7)));
    for (who, token) in &others {
        let (status, b) = app.get(&contact, token).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}, open session: {b}");
    }
    let host = crate::helpers::Browser::sign_in(&app, "coord-r").await;
    let (status, html) = host.get(&format!("/clinic-sessions/{s}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("reveal-contact"),
        "nothing offered while open"
    );
    let (status, html) = host
        .post(
            &format!("/clinic-sessions/{s}/bookings/{booking}/contact"),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "the page agrees");
    assert!(!html.contains(&phone(7)));
    assert_eq!(audited().await, 0, "nothing revealed, nothing read");

    let (status, _) = app
        .post(
            &format!("/api/v1/clinic-sessions/{s}/cancel"),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for (who, token) in &others {
        let (status, b) = app.get(&contact, token).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}, cancelled: {b}");
        assert!(!b.to_string().contains(&phone(7)));
    }
    let office = crate::helpers::Browser::sign_in(&app, "office").await;
    let (status, html) = office.get(&format!("/clinic-sessions/{s}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("reveal-contact"),
        "not offered to the office"
    );
    let (status, html) = office
        .post(
            &format!("/clinic-sessions/{s}/bookings/{booking}/contact"),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the page agrees");
    assert!(!html.contains(&phone(7)));
    assert_eq!(audited().await, 0);

    let (status, b) = app.get(&contact, &coord).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["phone"], phone(7));
    let (status, html) = host.get(&format!("/clinic-sessions/{s}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("reveal-contact"));
    let (status, html) = host
        .post(
            &format!("/clinic-sessions/{s}/bookings/{booking}/contact"),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&phone(7)));
    assert_eq!(audited().await, 2, "each reveal is an audited read");
}

/// A past-dated session is refused the same way through the API and the page: 422 at `date`,
/// nothing stored (issue 16's acceptance check; one rule in the domain).
#[tokio::test]
async fn a_past_dated_session_is_refused_the_same_way_by_the_api_and_the_page() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let yesterday = (shanhai_store::today() - chrono::Duration::days(1)).to_string();
    let before = app.count("clinic_sessions").await;
    let (status, body) = app
        .post(
            "/api/v1/clinic-sessions",
            &w.admin,
            json!({"expert_id": w.person_d, "institution_id": w.recipient, "department_id": w.department_r,
                   "date": yesterday, "start": "08:30", "end": "11:30", "capacity": 5}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "date", "{body}");
    let page = Browser::sign_in(&app, "coord-r").await;
    let (status, html) = page
        .post(
            "/clinic-sessions",
            &format!(
                "expert_id={}&institution_id={}&department_id={}&date={yesterday}&start=08%3A30&end=11%3A30&capacity=5",
                w.person_d, w.recipient, w.department_r
            ),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("data-testid=\"error-date\""),
        "the page shows it at the field"
    );
    assert_eq!(app.count("clinic_sessions").await, before);
    let today = shanhai_store::today().to_string();
    let (status, body) = app
        .post(
            "/api/v1/clinic-sessions",
            &w.admin,
            json!({"expert_id": w.person_d, "institution_id": w.recipient, "department_id": w.department_r,
                   "date": today, "start": "08:30", "end": "11:30", "capacity": 5}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "today is fine: {body}");
}

#[tokio::test]
async fn every_problem_of_a_clinic_session_is_reported_at_once_by_the_api_and_the_page() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let before = app.count("clinic_sessions").await;
    let (status, body) = app
        .post(
            "/api/v1/clinic-sessions",
            &w.admin,
            json!({"expert_id": w.person_d, "institution_id": w.recipient,
                   "date": "2030-02-30", "start": "09:00", "end": "08:00", "capacity": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "end", "the first problem: {body}");
    let fields: Vec<&str> = body["error"]["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["end", "capacity", "date"], "{body}");
    let page = Browser::sign_in(&app, "coord-r").await;
    let (status, html) = page
        .post(
            "/clinic-sessions",
            &format!(
                "expert_id={}&institution_id={}&date=2030-02-30&start=09%3A00&end=08%3A00&capacity=none",
                w.person_d, w.recipient
            ),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["end", "capacity", "date"] {
        assert!(
            html.contains(&format!("data-testid=\"error-{field}\"")),
            "the page shows the problem at {field}"
        );
    }
    assert_eq!(app.count("clinic_sessions").await, before);
}

#[tokio::test]
async fn the_clinic_session_pages_earlier_address_redirects_to_the_new_one() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let page = Browser::sign_in(&app, "coord-r").await;
    for (old, new) in [
        ("/clinics", "/clinic-sessions"),
        (
            "/clinics?from=2030-01-01",
            "/clinic-sessions?from=2030-01-01",
        ),
        (
            &format!("/clinics/{}", w.recipient) as &str,
            &format!("/clinic-sessions/{}", w.recipient) as &str,
        ),
    ] {
        let r = page.response(old.to_string()).await.expect("old address");
        assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT, "{old}");
        assert_eq!(r.headers()[reqwest::header::LOCATION], new, "{old}");
    }
}

/// A session at R on `date` from `start` to `end`.
async fn session_at(
    app: &TestApp,
    w: &World,
    capacity: i64,
    date: &str,
    start: &str,
    end: &str,
) -> String {
    let (s, b) = app
        .post(
            "/api/v1/clinic-sessions",
            &w.admin,
            json!({"expert_id": w.person_d, "institution_id": w.recipient, "department_id": w.department_r,
                   "date": date, "start": start, "end": end, "capacity": capacity}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().expect("id").to_string()
}

async fn booking_ids(app: &TestApp, w: &World, session: &str) -> Vec<String> {
    let (s, list) = app
        .get(
            &format!("/api/v1/clinic-sessions/{session}/bookings"),
            &w.admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|b| b["id"].as_str().expect("id").to_string())
        .collect()
}

#[tokio::test]
async fn a_session_of_today_whose_end_time_has_passed_takes_no_booking_in_the_api_or_the_page() {
    let app = spawn_app().await;
    let w = world(&app).await;
    // 00:00–00:01 today (Beijing time): ended for the rest of the day.
    let s = session_at(&app, &w, 10, &today(), "00:00", "00:01").await;
    let (status, b) = app
        .get(&format!("/api/v1/clinic-sessions/{s}"), &w.admin)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(b["status"], "ended", "{b}");

    let (status, b) = book(&app, &s, 1, false).await;
    assert_eq!(status, StatusCode::CONFLICT, "{b}");
    let message = b["error"]["message"].as_str().unwrap_or("");
    assert!(message.contains("已结束"), "the reason: {message}");
    let r = app
        .client
        .post(app.url(&format!("/api/v1/public/sessions/{s}/bookings")))
        .header("Accept-Language", "en")
        .json(&json!({"name": "张三", "phone": phone(2), "id_number": id_number(2), "waitlist": true}))
        .send()
        .await
        .expect("send");
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "the waitlist is closed too"
    );
    let b: Value = r.json().await.expect("json");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("ended"),
        "{b}"
    );
    assert_eq!(app.count("bookings").await, 0);

    // Not offered in the public lists; the page shows it ended, with no booking form.
    let r = app
        .client
        .get(app.url("/api/v1/public/sessions"))
        .send()
        .await
        .expect("send");
    let found: Value = r.json().await.expect("json");
    assert_eq!(found["total"], 0, "{found}");
    let visitor = Browser::anonymous(&app);
    let (status, html) = visitor.get(&format!("/public/sessions/{s}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-testid=\"not-bookable\""));
    assert!(!html.contains("data-testid=\"booking-form\""));
    assert!(html.contains("已结束"));
    let (_, html) = visitor.get("/public").await;
    assert!(!html.contains(&s), "the public list does not offer it");
    // The page's form, posted anyway (with the token of a page that has a form): refused
    // with the reason.
    let r = visitor
        .post_public(
            "/public/booking",
            &format!("/public/sessions/{s}"),
            &format!(
                "name=%E5%BC%A0%E4%B8%89&phone={}&id_number={}",
                phone(3),
                id_number(3)
            ),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.expect("html").contains("已结束"));
    assert_eq!(app.count("bookings").await, 0);

    // A session later today still takes bookings.
    let later = session_at(&app, &w, 10, &today(), "00:00", "23:59").await;
    assert_eq!(book(&app, &later, 4, false).await.0, StatusCode::CREATED);
}

#[tokio::test]
async fn a_full_session_reads_full_in_the_api_the_lists_and_the_pages() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let s = session(&app, &w, 1, &today()).await;
    assert_eq!(book(&app, &s, 1, false).await.0, StatusCode::CREATED);
    let (_, b) = app
        .get(&format!("/api/v1/clinic-sessions/{s}"), &w.admin)
        .await;
    assert_eq!(b["status"], "full", "{b}");
    let (_, list) = app
        .get("/api/v1/clinic-sessions?status=full", &w.admin)
        .await;
    assert_eq!(list["total"], 1, "{list}");
    let (_, list) = app
        .get("/api/v1/clinic-sessions?status=open", &w.admin)
        .await;
    assert_eq!(list["total"], 0, "{list}");
    // Still offered to the public: a full session takes waitlist bookings.
    let r = app
        .client
        .get(app.url("/api/v1/public/sessions"))
        .send()
        .await
        .expect("send");
    let found: Value = r.json().await.expect("json");
    assert_eq!(found["items"][0]["status"], "full");
    let page = Browser::sign_in(&app, "coord-r").await;
    let (_, html) = page.get("/clinic-sessions").await;
    assert!(
        html.contains("data-testid=\"session-state\">已满")
            && !html.contains("data-testid=\"session-state\">可预约"),
        "list"
    );
    let (_, html) = page.get(&format!("/clinic-sessions/{s}")).await;
    assert!(html.contains("已满"), "session page");
}

#[tokio::test]
async fn a_coordinator_undoes_a_check_in_and_a_no_show_audited_and_checks_in_several_at_once() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let s = session(&app, &w, 10, &today()).await;
    for seq in 1..=4 {
        assert_eq!(book(&app, &s, seq, false).await.0, StatusCode::CREATED);
    }
    let ids = booking_ids(&app, &w, &s).await;
    let coord = app.token("coord-r").await;

    let (status, b) = app
        .post(
            &format!("/api/v1/bookings/{}/check-in", ids[0]),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(
        (status, b["status"].as_str()),
        (StatusCode::OK, Some("checked-in"))
    );
    let (status, b) = app
        .post(
            &format!("/api/v1/bookings/{}/undo", ids[0]),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(
        (status, b["status"].as_str()),
        (StatusCode::OK, Some("confirmed")),
        "{b}"
    );
    let (status, _) = app
        .post(
            &format!("/api/v1/bookings/{}/undo", ids[0]),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing to undo");
    let (_, log) = app
        .get(
            &format!("/api/v1/audit?entity=booking&entity_id={}", ids[0]),
            &w.admin,
        )
        .await;
    let log = log.to_string();
    assert!(
        log.contains("checked-in") && log.contains("confirmed"),
        "{log}"
    );
    // An expert cannot undo.
    let expert = app.token("expert-d").await;
    let (status, _) = app
        .post(
            &format!("/api/v1/bookings/{}/undo", ids[0]),
            &expert,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Bulk: one booking not confirmed refuses all; then two at once.
    app.post(
        &format!("/api/v1/bookings/{}/no-show", ids[3]),
        &coord,
        json!({}),
    )
    .await;
    let (status, _) = app
        .post(
            &format!("/api/v1/clinic-sessions/{s}/check-ins"),
            &coord,
            json!({"booking_ids": [ids[1], ids[3]]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, done) = app
        .post(
            &format!("/api/v1/clinic-sessions/{s}/check-ins"),
            &coord,
            json!({"booking_ids": [ids[1], ids[2]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done.as_array().map(Vec::len), Some(2));
    let (_, list) = app
        .get(
            &format!("/api/v1/clinic-sessions/{s}/bookings?status=checked-in"),
            &w.admin,
        )
        .await;
    assert_eq!(list["total"], 2, "{list}");

    // The page twin: undo the no-show, then bulk check-in what is left.
    let page = Browser::sign_in(&app, "coord-r").await;
    let (status, _) = page
        .post(
            &format!("/clinic-sessions/{s}/bookings/{}/undo", ids[3]),
            "",
        )
        .await;
    assert!(status.is_success() || status.is_redirection(), "{status}");
    let (status, html) = page
        .post(
            &format!("/clinic-sessions/{s}/check-ins"),
            &format!("booking={}&booking={}", ids[0], ids[3]),
        )
        .await;
    assert!(status.is_success() || status.is_redirection(), "{status}");
    let _ = html;
    let (_, list) = app
        .get(
            &format!("/api/v1/clinic-sessions/{s}/bookings?status=checked-in"),
            &w.admin,
        )
        .await;
    assert_eq!(list["total"], 4, "{list}");
}

#[tokio::test]
async fn a_published_session_is_changed_and_its_bookers_keep_their_bookings() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let day = (shanhai_store::today() + chrono::Duration::days(3)).to_string();
    let s = session(&app, &w, 3, &day).await;
    assert_eq!(book(&app, &s, 1, false).await.0, StatusCode::CREATED);
    assert_eq!(book(&app, &s, 2, false).await.0, StatusCode::CREATED);
    let patch = |body: Value| {
        let app = &app;
        let s = s.clone();
        let token = w.admin.clone();
        async move {
            let r = app
                .request(
                    Method::PATCH,
                    &format!("/api/v1/clinic-sessions/{s}"),
                    Some(&token),
                    Some(&body),
                )
                .await;
            let status = r.status();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, b) =
        patch(json!({"date": day, "start": "14:00", "end": "13:00", "capacity": 1})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (status, b) =
        patch(json!({"date": day, "start": "14:00", "end": "17:00", "capacity": 1})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(
        b["error"]["field"], "capacity",
        "not below the 2 booked: {b}"
    );
    let (status, b) =
        patch(json!({"date": day, "start": "14:00", "end": "17:00", "capacity": 2, "note": "门诊楼3楼5诊室"})).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(
        (b["start"].as_str(), b["booked"].as_i64()),
        (Some("14:00"), Some(2))
    );
    assert_eq!(b["status"], "full");
    assert_eq!(b["expert_id"], w.person_d.as_str(), "the rest as it was");
    assert_eq!(
        booking_ids(&app, &w, &s).await.len(),
        2,
        "bookers keep their bookings"
    );
    // The page twin refuses a capacity below the bookings at the field.
    let page = Browser::sign_in(&app, "coord-r").await;
    let (status, html) = page
        .post(
            &format!("/clinic-sessions/{s}/edit"),
            &format!("date={day}&start=14%3A00&end=17%3A00&capacity=1"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("data-testid=\"error-capacity\""));
    // A cancelled session is not changed.
    app.post(
        &format!("/api/v1/clinic-sessions/{s}/cancel"),
        &w.admin,
        json!({}),
    )
    .await;
    let (status, _) =
        patch(json!({"date": day, "start": "14:00", "end": "17:00", "capacity": 5})).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_weeks_sessions_are_copied_to_another_week_on_the_same_weekdays() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let monday = shanhai_domain::clinic_sessions::monday_of(shanhai_store::today())
        + chrono::Duration::days(7);
    let tue = (monday + chrono::Duration::days(1)).to_string();
    let thu = (monday + chrono::Duration::days(3)).to_string();
    session(&app, &w, 10, &tue).await;
    session(&app, &w, 20, &thu).await;
    let gone = session(
        &app,
        &w,
        20,
        &(monday + chrono::Duration::days(4)).to_string(),
    )
    .await;
    app.post(
        &format!("/api/v1/clinic-sessions/{gone}/cancel"),
        &w.admin,
        json!({}),
    )
    .await;
    let coord = app.token("coord-r").await;
    let body = json!({"institution_id": w.recipient, "from_week": thu, "to_week": (monday + chrono::Duration::days(14)).to_string()});
    let (status, b) = app
        .post("/api/v1/clinic-sessions/copy-week", &coord, body.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let dates: Vec<&str> = b["created"]
        .as_array()
        .expect("created")
        .iter()
        .filter_map(|s| s["date"].as_str())
        .collect();
    assert_eq!(
        dates,
        [
            (monday + chrono::Duration::days(15)).to_string(),
            (monday + chrono::Duration::days(17)).to_string()
        ]
    );
    assert_eq!(b["skipped"], 0);
    let (status, b) = app
        .post("/api/v1/clinic-sessions/copy-week", &coord, body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    assert_eq!(
        (b["created"].as_array().map(Vec::len), b["skipped"].as_i64()),
        (Some(0), Some(2))
    );
    // Every problem at once; the same week is refused at its field.
    let (status, b) = app
        .post(
            "/api/v1/clinic-sessions/copy-week",
            &coord,
            json!({"institution_id": w.recipient, "from_week": tue, "to_week": thu}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["error"]["field"], "to_week", "{b}");
    // Another hospital's coordinator may not.
    let other = app.token("coord-d").await;
    let (status, _) = app
        .post(
            "/api/v1/clinic-sessions/copy-week",
            &other,
            json!({"institution_id": w.recipient, "from_week": tue, "to_week": (monday + chrono::Duration::days(21)).to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn only_physicians_hold_clinics() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (s, nurse) = app
        .post(
            "/api/v1/people",
            &w.admin,
            json!({"name": "护士长", "gender": "female", "title": "chief-nurse", "institution_id": w.recipient}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{nurse}");
    let (status, b) = app
        .post(
            "/api/v1/clinic-sessions",
            &w.admin,
            json!({"expert_id": nurse["id"], "institution_id": w.recipient, "date": today(),
                   "start": "08:30", "end": "23:59", "capacity": 5}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "expert_id");
    let page = Browser::sign_in(&app, "coord-r").await;
    let (_, html) = page
        .get(&format!("/clinic-sessions/new?institution={}", w.recipient))
        .await;
    assert!(!html.contains("护士长"), "the form does not offer a nurse");
}

/// A patient's booking with three mistakes hears of all three at once, each at its field, and
/// nothing is booked.
#[tokio::test]
async fn a_booking_with_three_mistakes_names_all_three() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let day = (shanhai_store::today() + chrono::Duration::days(2)).to_string();
    let s = session(&app, &w, 5, &day).await;
    let before = app.count("bookings").await;
    let (status, body) = app
        .post_anon(
            &format!("/api/v1/public/sessions/{s}/bookings"),
            json!({"name": " ", "phone": "123", "id_number": "110101199003071235", "waitlist": false}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let mut fields: Vec<&str> = body["error"]["errors"]
        .as_array()
        .expect("every problem listed")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["id_number", "name", "phone"], "{body}");
    assert_eq!(app.count("bookings").await, before);
}

#[tokio::test]
async fn the_hosts_desk_books_and_cancels_on_a_patients_behalf_by_the_public_rules() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let s = session(&app, &w, 1, &today()).await;
    let coord = app.token("coord-r").await;
    let url = format!("/api/v1/clinic-sessions/{s}/bookings");
    let patient = |seq: u32, waitlist: bool| json!({"name": "李四", "phone": phone(seq), "id_number": id_number(seq), "waitlist": waitlist});

    // Only the host's coordinators book on someone's behalf.
    for who in ["coord-u", "clinician-r"] {
        let token = app.token(who).await;
        let (status, body) = app.post(&url, &token, patient(7, false)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}: {body}");
    }
    // Every bad field at once, nothing booked.
    let (status, body) = app
        .post(
            &url,
            &coord,
            json!({"name": "", "phone": "12", "id_number": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["field"].is_string(), "{body}");
    assert_eq!(app.count("bookings").await, 0);

    let (status, booked) = app.post(&url, &coord, patient(7, false)).await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    assert_eq!(booked["status"], "confirmed");
    assert_eq!(booked["name_masked"], "李*");
    assert!(!booked.to_string().contains(&id_number(7)));
    // Full: 409 as for the public, or the waiting list when asked for.
    let (status, body) = app.post(&url, &coord, patient(8, false)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, waiting) = app.post(&url, &coord, patient(8, true)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{waiting}");
    assert_eq!(waiting["status"], "waitlisted");

    // The patient finds the desk's booking with their code and phone.
    let (status, found) = app
        .post_anon(
            "/api/v1/public/bookings/lookup",
            json!({"booking_code": booked["booking_code"], "phone": phone(7)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");

    // Cancel on the patient's behalf: the waiting patient gets the place; a second cancel is 409.
    let id = booked["id"].as_str().expect("id");
    let coord_u = app.token("coord-u").await;
    let cancel = format!("/api/v1/bookings/{id}/cancel");
    assert_eq!(
        app.post(&cancel, &coord_u, json!({})).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, cancelled) = app.post(&cancel, &coord, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(
        app.post(&cancel, &coord, json!({})).await.0,
        StatusCode::CONFLICT
    );
    let (_, list) = app.get(&format!("{url}?status=confirmed"), &coord).await;
    assert_eq!(list["items"][0]["id"], waiting["id"], "{list}");
}
