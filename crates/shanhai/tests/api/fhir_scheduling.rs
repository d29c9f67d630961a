//! FHIR R4 scheduling: Schedule, Slot and Appointment as a standard client uses them — find an
//! expert's free slots, book one, see it busy and on the coordinator's page, cancel it; a rush
//! on one place confirms exactly one; the patient only for those who run the clinic.

use crate::clinic_sessions::{id_number, phone};
use crate::helpers::*;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

const FHIR_JSON: &str = "application/fhir+json";

/// A day of next week (Monday + `weekday`), and that Monday.
fn next_week(weekday: i64) -> (String, String) {
    use chrono::Datelike;
    let today = shanhai_store::today();
    let monday = today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()))
        + chrono::Duration::days(7);
    (
        (monday + chrono::Duration::days(weekday)).to_string(),
        monday.to_string(),
    )
}

/// A session of the world's donor expert at the recipient, 08:30–11:30 on `date`.
async fn session_on(app: &TestApp, w: &World, expert: &str, date: &str, capacity: i64) -> String {
    let (s, b) = app
        .post(
            "/api/v1/clinic-sessions",
            &w.admin,
            json!({"expert_id": expert, "institution_id": w.recipient, "department_id": w.department_r,
                   "date": date, "start": "08:30", "end": "11:30", "capacity": capacity, "visit_type": "expert"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().expect("id").to_string()
}

/// A FHIR interaction: the status, the headers and the resource.
async fn fhir(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (StatusCode, header::HeaderMap, Value) {
    let mut req = app
        .client
        .request(method, app.url(path))
        .header(header::ACCEPT, FHIR_JSON);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req
            .header(header::CONTENT_TYPE, FHIR_JSON)
            .body(b.to_string());
    }
    let r = req.send().await.expect("request");
    let status = r.status();
    let headers = r.headers().clone();
    (status, headers, r.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, path: &str, token: &str) -> Value {
    let (status, headers, body) = fhir(app, Method::GET, path, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap_or("")
            .starts_with(FHIR_JSON)
    );
    body
}

/// A new Appointment for a slot, the patient contained (sequence `seq` picks name, phone
/// and ID number).
fn appointment(slot: &str, seq: u32, name: &str) -> Value {
    json!({
        "resourceType": "Appointment",
        "status": "booked",
        "slot": [{"reference": format!("Slot/{slot}")}],
        "contained": [{
            "resourceType": "Patient",
            "id": "patient",
            "name": [{"text": name}],
            "telecom": [{"system": "phone", "value": phone(seq), "use": "mobile"}],
            "identifier": [{"system": "https://shanhai.health/fhir/sid/resident-id", "value": id_number(seq)}],
        }],
        "participant": [{"actor": {"reference": "#patient"}, "status": "accepted"}],
    })
}

fn entries<'a>(bundle: &'a Value, mode: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter(|e| e["search"]["mode"] == mode)
                .map(|e| &e["resource"])
                .collect()
        })
        .unwrap_or_default()
}

/// The patient participant of an Appointment.
fn patient(appointment: &Value) -> &Value {
    appointment["participant"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["actor"]["type"] == "Patient"))
        .expect("a patient participant")
}

#[tokio::test]
async fn a_standard_client_finds_an_experts_free_slots_next_week_books_one_and_sees_it_busy_and_on_the_coordinators_page()
 {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (tuesday, monday) = next_week(1);
    let (thursday, _) = next_week(3);
    let (following_monday, _) = next_week(7);
    let one_place = session_on(&app, &w, &w.person_d, &tuesday, 1).await;
    let two_places = session_on(&app, &w, &w.person_d, &thursday, 2).await;
    let later = session_on(&app, &w, &w.person_d, &following_monday, 5).await;
    let other_expert = session_on(&app, &w, &w.person_r, &tuesday, 5).await;
    let coord = app.token("coord-r").await;

    // The CapabilityStatement, without a token, says what the client may use.
    let (status, _, metadata) = fhir(&app, Method::GET, "/fhir/R4/metadata", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let resources = metadata["rest"][0]["resource"]
        .as_array()
        .expect("resources");
    let of = |ty: &str| {
        resources
            .iter()
            .find(|r| r["type"] == ty)
            .unwrap_or_else(|| panic!("{ty} in the CapabilityStatement"))
    };
    let names = |r: &Value, key: &str, field: &str| -> Vec<String> {
        r[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p[field].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    for p in ["schedule", "start", "status"] {
        assert!(names(of("Slot"), "searchParam", "name").contains(&p.to_string()));
    }
    assert!(names(of("Appointment"), "interaction", "code").contains(&"create".to_string()));
    assert_eq!(of("Slot")["searchInclude"], json!(["Slot:schedule"]));

    // The expert's Schedule at the hospital, then its free slots next week.
    let schedules = get(
        &app,
        &format!("/fhir/R4/Schedule?actor=Practitioner/{}", w.person_d),
        &coord,
    )
    .await;
    assert_eq!(schedules["total"], 1, "{schedules}");
    let schedule = entries(&schedules, "match")[0].clone();
    let schedule_id = schedule["id"].as_str().expect("id").to_string();
    assert_eq!(schedule["actor"][0]["display"], "沈专家");
    assert_eq!(
        schedule["actor"][1]["reference"],
        format!("Location/{}", w.recipient)
    );
    assert_eq!(
        schedule["planningHorizon"]["start"],
        format!("{tuesday}T08:30:00+08:00")
    );
    let (sunday, _) = next_week(6);
    let free = format!(
        "/fhir/R4/Slot?schedule=Schedule/{schedule_id}&start=ge{monday}&start=le{sunday}&status=free&_include=Slot:schedule"
    );
    let bundle = get(&app, &free, &coord).await;
    assert_eq!(bundle["type"], "searchset");
    let slots = entries(&bundle, "match");
    let ids: Vec<&str> = slots.iter().filter_map(|s| s["id"].as_str()).collect();
    assert_eq!(ids, [one_place.as_str(), two_places.as_str()], "{bundle}");
    assert!(!ids.contains(&later.as_str()) && !ids.contains(&other_expert.as_str()));
    assert_eq!(slots[0]["status"], "free");
    assert_eq!(slots[0]["start"], format!("{tuesday}T08:30:00+08:00"));
    assert_eq!(slots[0]["end"], format!("{tuesday}T11:30:00+08:00"));
    assert_eq!(
        slots[0]["schedule"]["reference"],
        format!("Schedule/{schedule_id}")
    );
    let included = entries(&bundle, "include");
    assert_eq!(included.len(), 1, "the Schedule once: {bundle}");
    assert_eq!(included[0]["id"], schedule_id);

    // Book the one-place slot.
    let (status, headers, booked) = fhir(
        &app,
        Method::POST,
        "/fhir/R4/Appointment",
        Some(&coord),
        Some(&appointment(&one_place, 41, "王小明")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    let appointment_id = booked["id"].as_str().expect("id").to_string();
    let location = headers[header::LOCATION].to_str().expect("Location");
    assert!(
        location.ends_with(&format!("/fhir/R4/Appointment/{appointment_id}")),
        "{location}"
    );
    assert_eq!(booked["status"], "booked");
    assert_eq!(booked["slot"][0]["reference"], format!("Slot/{one_place}"));
    assert_eq!(patient(&booked)["actor"]["display"], "王**");
    let text = booked.to_string();
    assert!(!text.contains(&phone(41)) && !text.contains(&id_number(41)));
    assert!(text.contains("138****0041"), "{booked}");

    // The slot is busy now, and no longer among the free ones.
    let slot = get(&app, &format!("/fhir/R4/Slot/{one_place}"), &coord).await;
    assert_eq!(slot["status"], "busy", "{slot}");
    let bundle = get(&app, &free, &coord).await;
    let ids: Vec<&str> = entries(&bundle, "match")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(ids, [two_places.as_str()]);

    // The booking is on the coordinator's page of the session, masked.
    let browser = Browser::sign_in(&app, "coord-r").await;
    let (status, page) = browser.get(&format!("/clinic-sessions/{one_place}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("王**") && page.contains("138****0041"),
        "{page}"
    );

    // Booking through FHIR is audited as the coordinator's.
    let (_, log) = app
        .get("/api/v1/audit?entity=booking&action=create", &w.admin)
        .await;
    assert_eq!(log["total"], 1, "{log}");
    assert_eq!(log["items"][0]["actor_name"], "coord-r");

    // The coordinator finds it by expert, date and status; the read is audited.
    let reads =
        format!("/api/v1/audit?action=read&entity=clinic_session_bookings&entity_id={one_place}");
    let (_, before) = app.get(&reads, &w.admin).await;
    let found = get(
        &app,
        &format!(
            "/fhir/R4/Appointment?actor=Practitioner/{}&date=ge{monday}&status=booked&_include=Appointment:slot",
            w.person_d
        ),
        &coord,
    )
    .await;
    let matches = entries(&found, "match");
    assert_eq!(matches.len(), 1, "{found}");
    assert_eq!(matches[0]["id"], appointment_id);
    assert_eq!(patient(matches[0])["actor"]["display"], "王**");
    assert_eq!(entries(&found, "include")[0]["id"], one_place);
    let (_, after) = app.get(&reads, &w.admin).await;
    assert_eq!(
        after["total"].as_i64(),
        before["total"].as_i64().map(|n| n + 1),
        "{after}"
    );
    assert_eq!(after["items"][0]["actor_name"], "coord-r");

    // Cancelling is an update of the status; the place is free again.
    let mut cancelled = booked.clone();
    cancelled["status"] = json!("cancelled");
    let (status, _, after) = fhir(
        &app,
        Method::PUT,
        &format!("/fhir/R4/Appointment/{appointment_id}"),
        Some(&coord),
        Some(&cancelled),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["status"], "cancelled");
    let slot = get(&app, &format!("/fhir/R4/Slot/{one_place}"), &coord).await;
    assert_eq!(slot["status"], "free");
    let (status, _, again) = fhir(
        &app,
        Method::PUT,
        &format!("/fhir/R4/Appointment/{appointment_id}"),
        Some(&coord),
        Some(&json!({"resourceType": "Appointment", "id": appointment_id, "status": "booked"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{again}");
    assert_eq!(again["issue"][0]["expression"][0], "Appointment.status");
}

#[tokio::test]
async fn a_rush_of_fhir_bookings_on_a_one_place_slot_confirms_exactly_one() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (tuesday, _) = next_week(1);
    let slot = session_on(&app, &w, &w.person_d, &tuesday, 1).await;
    let coord = app.token("coord-r").await;
    let mut rush = tokio::task::JoinSet::new();
    for seq in 0..30u32 {
        let client = app.client.clone();
        let url = app.url("/fhir/R4/Appointment");
        let token = coord.clone();
        let body = appointment(&slot, 100 + seq, "赵六");
        rush.spawn(async move {
            let r = client
                .post(url)
                .bearer_auth(token)
                .header(header::CONTENT_TYPE, FHIR_JSON)
                .body(body.to_string())
                .send()
                .await
                .expect("send");
            let status = r.status();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        });
    }
    let answers = rush.join_all().await;
    let confirmed = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(confirmed, 1, "{answers:?}");
    for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(*status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["resourceType"], "OperationOutcome");
        assert_eq!(body["issue"][0]["code"], "conflict");
    }
    assert_eq!(
        shanhai_store::bookings::confirmed_count(&app.db, &slot)
            .await
            .expect("count"),
        1
    );
    let slot = get(&app, &format!("/fhir/R4/Slot/{slot}"), &coord).await;
    assert_eq!(slot["status"], "busy");
}

#[tokio::test]
async fn only_those_who_run_the_clinic_see_the_patient_or_book_and_anonymous_gets_401() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (tuesday, _) = next_week(1);
    let slot = session_on(&app, &w, &w.person_d, &tuesday, 3).await;
    let coord = app.token("coord-r").await;
    let (status, _, booked) = fhir(
        &app,
        Method::POST,
        "/fhir/R4/Appointment",
        Some(&coord),
        Some(&appointment(&slot, 7, "钱七")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    let id = booked["id"].as_str().expect("id").to_string();

    let unrelated = app.token("coord-u").await;
    let found = get(
        &app,
        &format!("/fhir/R4/Appointment?slot=Slot/{slot}"),
        &unrelated,
    )
    .await;
    let matches = entries(&found, "match");
    assert_eq!(
        matches.len(),
        1,
        "the booking, without its patient: {found}"
    );
    let text = found.to_string();
    assert!(
        !text.contains("钱*") && !text.contains("138****0007") && !text.contains("1502**"),
        "{found}"
    );
    assert!(
        matches[0]["identifier"].is_null(),
        "no booking code: {found}"
    );
    assert_eq!(
        patient(matches[0])["actor"]["extension"][0]["valueCode"],
        "masked"
    );
    let one = get(&app, &format!("/fhir/R4/Appointment/{id}"), &unrelated).await;
    assert!(!one.to_string().contains("钱*"), "{one}");
    let (_, log) = app
        .get(
            "/api/v1/audit?action=read&entity=clinic_session_bookings",
            &w.admin,
        )
        .await;
    assert_eq!(log["total"], 0, "no patient shown, no read recorded: {log}");

    // Nor may they book or cancel at another hospital's clinic.
    let (status, _, refused) = fhir(
        &app,
        Method::POST,
        "/fhir/R4/Appointment",
        Some(&unrelated),
        Some(&appointment(&slot, 8, "孙八")),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(refused["resourceType"], "OperationOutcome");
    let (status, _, _) = fhir(
        &app,
        Method::PATCH,
        &format!("/fhir/R4/Appointment/{id}"),
        Some(&unrelated),
        Some(&json!([{"op": "replace", "path": "/status", "value": "cancelled"}])),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The coordinator who runs it reads the patient masked; the read is audited.
    let one = get(&app, &format!("/fhir/R4/Appointment/{id}"), &coord).await;
    assert_eq!(patient(&one)["actor"]["display"], "钱*");
    let (_, log) = app
        .get(
            &format!("/api/v1/audit?action=read&entity=booking&entity_id={id}"),
            &w.admin,
        )
        .await;
    assert_eq!(log["total"], 1, "{log}");

    // A JSON Patch cancels too.
    let (status, _, after) = fhir(
        &app,
        Method::PATCH,
        &format!("/fhir/R4/Appointment/{id}"),
        Some(&coord),
        Some(&json!([{"op": "replace", "path": "/status", "value": "cancelled"}])),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["status"], "cancelled");

    for path in [
        "/fhir/R4/Slot?status=free".to_string(),
        "/fhir/R4/Schedule".to_string(),
        format!("/fhir/R4/Appointment/{id}"),
    ] {
        let (status, headers, body) = fhir(&app, Method::GET, &path, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(body["resourceType"], "OperationOutcome");
        assert!(headers.contains_key(header::WWW_AUTHENTICATE));
    }
}

#[tokio::test]
async fn every_problem_of_a_booking_is_reported_at_once_at_its_element_and_nothing_is_booked() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (tuesday, _) = next_week(1);
    let slot = session_on(&app, &w, &w.person_d, &tuesday, 3).await;
    let coord = app.token("coord-r").await;
    let mut bad = appointment(&slot, 9, "");
    bad["contained"][0]["telecom"][0]["value"] = json!("12345");
    bad["contained"][0]["identifier"][0]["value"] = json!("15020319800101");
    let (status, _, outcome) = fhir(
        &app,
        Method::POST,
        "/fhir/R4/Appointment",
        Some(&coord),
        Some(&bad),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{outcome}");
    let expressions: Vec<&str> = outcome["issue"]
        .as_array()
        .expect("issues")
        .iter()
        .filter_map(|i| i["expression"][0].as_str())
        .collect();
    assert_eq!(
        expressions,
        [
            "Appointment.contained[0].name",
            "Appointment.contained[0].telecom",
            "Appointment.contained[0].identifier"
        ],
        "{outcome}"
    );
    let mut no_slot = appointment(&slot, 9, "周九");
    no_slot["slot"] = json!([]);
    no_slot["status"] = json!("fulfilled");
    no_slot["participant"] =
        json!([{"actor": {"reference": "Practitioner/x"}, "status": "accepted"}]);
    let (status, _, outcome) = fhir(
        &app,
        Method::POST,
        "/fhir/R4/Appointment",
        Some(&coord),
        Some(&no_slot),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{outcome}");
    let expressions: Vec<&str> = outcome["issue"]
        .as_array()
        .expect("issues")
        .iter()
        .filter_map(|i| i["expression"][0].as_str())
        .collect();
    assert_eq!(
        expressions,
        [
            "Appointment.status",
            "Appointment.slot",
            "Appointment.participant"
        ]
    );
    assert_eq!(app.count("bookings").await, 0);

    // A search parameter this server does not know is refused, not ignored.
    let (status, _, outcome) = fhir(
        &app,
        Method::GET,
        "/fhir/R4/Slot?colour=red",
        Some(&coord),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{outcome}");
}

#[tokio::test]
async fn slots_page_with_links_and_count_zero_gives_the_total_only() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut ids = Vec::new();
    for day in 0..5 {
        let (date, _) = next_week(day);
        ids.push(session_on(&app, &w, &w.person_d, &date, 2).await);
    }
    let cancelled = ids[4].clone();
    let (status, _) = app
        .post(
            &format!("/api/v1/clinic-sessions/{cancelled}/cancel"),
            &w.admin,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let token = w.admin.clone();
    let total = get(&app, "/fhir/R4/Slot?_count=0", &token).await;
    assert_eq!(total["total"], 5);
    assert!(total["entry"].is_null());
    let first = get(&app, "/fhir/R4/Slot?status=free&_count=3", &token).await;
    assert_eq!(first["total"], 4);
    let next = first["link"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["relation"] == "next"))
        .and_then(|l| l["url"].as_str())
        .expect("a next link")
        .to_string();
    let path = next
        .split_once("/fhir/R4/")
        .map(|(_, p)| format!("/fhir/R4/{p}"))
        .expect("path");
    let second = get(&app, &path, &token).await;
    let seen: Vec<&str> = entries(&first, "match")
        .into_iter()
        .chain(entries(&second, "match"))
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(
        seen,
        ids[..4].iter().map(String::as_str).collect::<Vec<_>>()
    );
    let off = get(&app, "/fhir/R4/Slot?status=busy-unavailable", &token).await;
    assert_eq!(entries(&off, "match")[0]["id"], cancelled);
    let odd = get(&app, "/fhir/R4/Slot?_count=2&_offset=1", &token).await;
    let odd_ids: Vec<&str> = entries(&odd, "match")
        .into_iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(odd_ids, [ids[1].as_str(), ids[2].as_str()]);
}
