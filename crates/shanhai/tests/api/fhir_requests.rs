//! FHIR ServiceRequest and Task over referrals and consultations: the JSON API's access, its
//! state machine and its messages, searches with paging, and the audit of patient-data reads.

use crate::consultations::{expert_account, request};
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const REFERRAL_STATE: &str = "https://shanhai.health/fhir/CodeSystem/referral-state";
const STEP_DETAIL: &str = "https://shanhai.health/fhir/CodeSystem/step-detail";

async fn refer(app: &TestApp, token: &str, to: &str, name: &str) -> String {
    let (s, r) = app
        .post(
            "/api/v1/referrals",
            token,
            json!({"direction": "up", "urgency": "urgent", "to_institution_id": to,
                   "patient": {"name": name, "sex": "female", "age": 58}, "reason": "肺部占位，需进一步诊治"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    r["id"].as_str().expect("id").to_string()
}

async fn patch(app: &TestApp, token: &str, path: &str, ops: Value) -> (StatusCode, Value) {
    let r = app
        .client
        .request(Method::PATCH, app.url(path))
        .bearer_auth(token)
        .header("content-type", "application/json-patch+json")
        .body(ops.to_string())
        .send()
        .await
        .expect("patch");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn state_of(app: &TestApp, token: &str, id: &str) -> String {
    let (s, r) = app.get(&format!("/api/v1/referrals/{id}"), token).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    r["state"].as_str().expect("state").to_string()
}

fn outcome_message(body: &Value) -> String {
    assert_eq!(body["resourceType"], "OperationOutcome", "{body}");
    body["issue"][0]["diagnostics"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn step(code: &str, key: &str, value: &str) -> Value {
    json!({"type": {"coding": [{"system": STEP_DETAIL, "code": code}]}, key: value})
}

/// Audit entries recording a read of this record by this account.
async fn reads(app: &TestApp, entity_id: &str, username: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(
        "SELECT COUNT(*) AS n FROM audit_log a JOIN users u ON u.id = a.actor_id \
         WHERE a.action = 'read' AND a.entity_id = $1 AND u.username = $2",
    )
    .bind(entity_id.to_string())
    .bind(username.to_string())
    .fetch_one(app.db.pool())
    .await
    .expect("audit count")
    .try_get::<i64, _>("n")
    .expect("n")
}

#[tokio::test]
async fn a_referral_moves_through_its_states_by_task_patch_as_the_json_api_sees_it() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let clinician = app.token("clinician-r").await;
    let coord_d = app.token("coord-d").await;
    let id = refer(&app, &clinician, &w.donor, "李桂兰").await;
    let task = format!("/fhir/R4/Task/{id}");

    let (s, t) = app.get(&task, &coord_d).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["resourceType"], "Task");
    assert_eq!(
        (t["status"].as_str(), t["intent"].as_str()),
        (Some("requested"), Some("order"))
    );
    assert_eq!(t["businessStatus"]["coding"][0]["system"], REFERRAL_STATE);
    assert_eq!(t["businessStatus"]["coding"][0]["code"], "created");
    assert_eq!(t["focus"]["reference"], format!("ServiceRequest/{id}"));
    assert_eq!(t["owner"]["reference"], format!("Organization/{}", w.donor));
    assert_eq!(
        t["requester"]["reference"],
        format!("Organization/{}", w.recipient)
    );
    assert_eq!(t["priority"], "urgent");

    // Accepting needs the appointment, the ward and a contact: the JSON API's rule and
    // messages, and nothing changes.
    let (s, o) = patch(
        &app,
        &coord_d,
        &task,
        json!([{"op": "replace", "path": "/status", "value": "accepted"}]),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{o}");
    assert_eq!(o["issue"].as_array().map(Vec::len), Some(4), "{o}");
    assert_eq!(state_of(&app, &clinician, &id).await, "created");

    // The sender may not accept (403), whatever the patch.
    let accept = json!([
        {"op": "test", "path": "/status", "value": "requested"},
        {"op": "replace", "path": "/status", "value": "accepted"},
        {"op": "add", "path": "/output", "value": [
            step("appointment-at", "valueDateTime", "2026-12-09T09:30:00+08:00"),
            step("ward", "valueString", "胸外科 2 病区 15 床"),
            step("contact-name", "valueString", "陈晓燕"),
            step("contact-phone", "valueString", "0371-65580123"),
        ]},
    ]);
    let (s, o) = patch(&app, &clinician, &task, accept.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{o}");
    let (s, t) = patch(&app, &coord_d, &task, accept.clone()).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["status"], "accepted");
    assert_eq!(t["businessStatus"]["coding"][0]["code"], "accepted");
    let (_, r) = app
        .get(&format!("/api/v1/referrals/{id}"), &clinician)
        .await;
    assert_eq!(r["state"], "accepted");
    assert_eq!(r["appointment_at"], "2026-12-09T09:30");
    assert_eq!(r["contact_phone"], "0371-65580123");
    // The same patch again: its test no longer holds.
    let (s, _) = patch(&app, &coord_d, &task, accept).await;
    assert_eq!(s, StatusCode::CONFLICT);

    // A step the state machine does not allow: the JSON API's 409 and message, nothing changes.
    let (s, api) = app
        .post(
            &format!("/api/v1/referrals/{id}/treat"),
            &coord_d,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, o) = patch(
        &app,
        &coord_d,
        &task,
        json!([{"op": "replace", "path": "/businessStatus", "value": {"coding": [{"system": REFERRAL_STATE, "code": "treated"}]}}]),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{o}");
    assert_eq!(
        outcome_message(&o),
        api["error"]["message"].as_str().unwrap_or("?")
    );
    assert_eq!(state_of(&app, &clinician, &id).await, "accepted");

    // Only the status and its companions may change.
    let (s, o) = patch(
        &app,
        &coord_d,
        &task,
        json!([{"op": "replace", "path": "/owner/reference", "value": format!("Organization/{}", w.unrelated)}]),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{o}");
    assert_eq!(o["issue"][0]["expression"][0], "Task.owner");

    // in-progress from accepted is the arrival; in-progress with businessStatus treated the
    // treatment.
    let (s, t) = patch(
        &app,
        &coord_d,
        &task,
        json!([{"op": "replace", "path": "/status", "value": "in-progress"}]),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["businessStatus"]["coding"][0]["code"], "arrived");
    let (s, t) = patch(
        &app,
        &coord_d,
        &task,
        json!([{"op": "replace", "path": "/businessStatus/coding/0/code", "value": "treated"}]),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(
        (
            t["status"].as_str(),
            t["businessStatus"]["coding"][0]["code"].as_str()
        ),
        (Some("in-progress"), Some("treated"))
    );
    // "completed" alone could be the down-referral or the close.
    let (s, o) = patch(
        &app,
        &coord_d,
        &task,
        json!([{"op": "replace", "path": "/status", "value": "completed"}]),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{o}");
    assert_eq!(state_of(&app, &clinician, &id).await, "treated");

    // A note without a step would be stored nowhere: 422 at the note, nothing changes.
    let (s, o) = patch(
        &app,
        &coord_d,
        &task,
        json!([{"op": "add", "path": "/note", "value": [{"text": "仅备注"}]}]),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{o}");
    assert_eq!(o["issue"][0]["expression"][0], "Task.note");
    assert_eq!(state_of(&app, &clinician, &id).await, "treated");

    // PUT the Task as read with the close and its outcome.
    let (_, mut t) = app.get(&task, &coord_d).await;
    t["status"] = json!("completed");
    t["businessStatus"] = json!({"coding": [{"system": REFERRAL_STATE, "code": "closed"}]});
    t["note"] = json!([{"text": "术后恢复良好，出院。"}]);
    let (s, t) = app.put(&task, &coord_d, t).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["status"], "completed");
    assert!(t["executionPeriod"]["end"].is_string(), "{t}");
    let (_, r) = app
        .get(&format!("/api/v1/referrals/{id}"), &clinician)
        .await;
    assert_eq!(r["state"], "closed");
    let steps: Vec<&str> = r["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(steps, ["create", "accept", "arrive", "treat", "close"]);
    assert_eq!(
        r["events"][4]["note"], "术后恢复良好，出院。",
        "the outcome is the close's note"
    );
}

#[tokio::test]
async fn only_the_parties_see_and_move_the_tasks_and_searches_page_through_both_kinds() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let clinician = app.token("clinician-r").await;
    let coord_r = app.token("coord-r").await;
    let coord_u = app.token("coord-u").await;
    let expert = expert_account(&app, &w).await;
    let mut referrals = Vec::new();
    for name in ["李桂兰", "张秀英", "王建华"] {
        referrals.push(refer(&app, &clinician, &w.donor, name).await);
    }
    let consultation = request(&app, &w, &clinician).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let all: BTreeSet<String> = referrals
        .iter()
        .cloned()
        .chain([consultation.clone()])
        .collect();

    // Anonymous: 401 with an OperationOutcome.
    let r = app.request(Method::GET, "/fhir/R4/Task", None, None).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().get("www-authenticate").is_some());
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(body["resourceType"], "OperationOutcome");

    // A coordinator of an unrelated hospital: 403 on the record, none in searches.
    for path in [
        format!("/fhir/R4/Task/{}", referrals[0]),
        format!("/fhir/R4/ServiceRequest/{}", referrals[0]),
        format!("/fhir/R4/Task/{consultation}"),
    ] {
        let (s, o) = app.get(&path, &coord_u).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}: {o}");
        assert_eq!(o["resourceType"], "OperationOutcome");
    }
    let (s, o) = patch(
        &app,
        &coord_u,
        &format!("/fhir/R4/Task/{}", referrals[0]),
        json!([{"op": "replace", "path": "/status", "value": "cancelled"}]),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{o}");
    for path in ["/fhir/R4/Task", "/fhir/R4/ServiceRequest"] {
        let (s, b) = app.get(path, &coord_u).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["total"], 0, "{path}: {b}");
    }
    let (s, _) = app
        .get(&format!("/fhir/R4/Task/{}", uuid_like()), &coord_r)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Paging: two at a time through both kinds, following the next links.
    let mut seen = BTreeSet::new();
    let mut next = Some(app.url("/fhir/R4/Task?_count=2"));
    let mut pages = 0;
    while let Some(url) = next {
        let path = url
            .split_once("/fhir/")
            .map(|(_, p)| format!("/fhir/{p}"))
            .expect("path");
        let (s, b) = app.get(&path, &coord_r).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["type"], "searchset");
        assert_eq!(b["total"], 4);
        for e in b["entry"].as_array().expect("entries") {
            assert_eq!(e["search"]["mode"], "match");
            seen.insert(e["resource"]["id"].as_str().expect("id").to_string());
        }
        next = b["link"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|l| l["relation"] == "next")
            .and_then(|l| l["url"].as_str())
            .map(str::to_string);
        pages += 1;
    }
    assert_eq!((pages, &seen), (2, &all));
    let (_, b) = app.get("/fhir/R4/Task?_count=2&_offset=1", &coord_r).await;
    assert_eq!(b["entry"].as_array().map(Vec::len), Some(2), "{b}");
    let (_, b) = app.get("/fhir/R4/Task?_count=0", &coord_r).await;
    assert_eq!((b["total"].as_i64(), b.get("entry")), (Some(4), None));

    // Filters.
    let ids = |b: &Value| -> BTreeSet<String> {
        b["entry"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["search"]["mode"] == "match")
            .filter_map(|e| e["resource"]["id"].as_str().map(str::to_string))
            .collect()
    };
    let (_, b) = app
        .get(
            &format!(
                "/fhir/R4/Task?owner=Organization/{}&status=requested",
                w.donor
            ),
            &coord_r,
        )
        .await;
    assert_eq!(ids(&b), all);
    let (_, b) = app
        .get(
            &format!("/fhir/R4/Task?business-status={REFERRAL_STATE}|created&_include=Task:focus"),
            &coord_r,
        )
        .await;
    assert_eq!(ids(&b).len(), 3);
    let included = b["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["search"]["mode"] == "include")
        .filter(|e| e["resource"]["resourceType"] == "ServiceRequest")
        .count();
    assert_eq!(included, 3, "{b}");
    let (_, b) = app.get("/fhir/R4/Task?status=completed", &coord_r).await;
    assert_eq!(b["total"], 0);
    let (_, b) = app
        .get(
            &format!("/fhir/R4/Task?focus=ServiceRequest/{consultation}"),
            &coord_r,
        )
        .await;
    assert_eq!(ids(&b), BTreeSet::from([consultation.clone()]));
    let (_, b) = app
        .get(
            "/fhir/R4/ServiceRequest?category=http://snomed.info/sct|11429006",
            &coord_r,
        )
        .await;
    assert_eq!(ids(&b), BTreeSet::from([consultation.clone()]));
    let (_, b) = app
        .get(
            &format!(
                "/fhir/R4/ServiceRequest?performer=Practitioner/{}",
                w.person_d
            ),
            &coord_r,
        )
        .await;
    assert_eq!(ids(&b), BTreeSet::from([consultation.clone()]));
    let (_, b) = app
        .get(
            &format!("/fhir/R4/ServiceRequest?requester=Organization/{}&status=active&authored=ge2020-01-01", w.recipient),
            &coord_r,
        )
        .await;
    assert_eq!(ids(&b), all);
    let (_, b) = app
        .get("/fhir/R4/ServiceRequest?authored=lt2020-01-01", &coord_r)
        .await;
    assert_eq!(b["total"], 0);
    let (_, b) = app
        .get("/fhir/R4/Task?_lastUpdated=gt2020-01-01", &coord_r)
        .await;
    assert_eq!(b["total"], 4);
    for bad in [
        "/fhir/R4/Task?colour=red",
        "/fhir/R4/Task?status:not=requested",
        "/fhir/R4/Task?_include=Task:owner",
    ] {
        let (s, o) = app.get(bad, &coord_r).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {o}");
    }

    // The patient as far as the caller may see: masked for the hospitals' staff, absent for
    // the assigned expert; the expert finds only the consultation.
    let (s, sr) = app
        .get(&format!("/fhir/R4/ServiceRequest/{consultation}"), &coord_r)
        .await;
    assert_eq!(s, StatusCode::OK, "{sr}");
    assert_eq!(
        (sr["status"].as_str(), sr["intent"].as_str()),
        (Some("active"), Some("order"))
    );
    assert!(
        sr["subject"]["display"]
            .as_str()
            .is_some_and(|d| d.starts_with("王**")),
        "{sr}"
    );
    assert_eq!(sr["priority"], "urgent");
    let (s, sr) = app
        .get(&format!("/fhir/R4/ServiceRequest/{consultation}"), &expert)
        .await;
    assert_eq!(s, StatusCode::OK, "{sr}");
    assert!(sr["subject"].get("display").is_none(), "{sr}");
    assert_eq!(sr["subject"]["extension"][0]["valueCode"], "masked");
    let (s, b) = app.get("/fhir/R4/ServiceRequest", &expert).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(ids(&b), BTreeSet::from([consultation.clone()]));
    let (s, _) = app
        .get(
            &format!("/fhir/R4/ServiceRequest/{}", referrals[0]),
            &expert,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

/// A well-formed id of no record.
fn uuid_like() -> String {
    "0190a6f4-8b2c-7d3e-9f10-1a2b3c4d5e6f".to_string()
}

#[tokio::test]
async fn every_read_of_a_referral_or_consultation_through_fhir_is_audited() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let clinician = app.token("clinician-r").await;
    let coord_d = app.token("coord-d").await;
    let referral = refer(&app, &clinician, &w.donor, "李桂兰").await;
    let consultation = request(&app, &w, &clinician).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(reads(&app, &referral, "coord-d").await, 0);
    let (s, _) = app
        .get(&format!("/fhir/R4/ServiceRequest/{referral}"), &coord_d)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(reads(&app, &referral, "coord-d").await, 1);
    let (s, _) = app
        .get(&format!("/fhir/R4/Task/{consultation}"), &coord_d)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(reads(&app, &consultation, "coord-d").await, 1);
    // A search reads every record it shows, and only those.
    let (s, b) = app.get("/fhir/R4/ServiceRequest?_count=1", &coord_d).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["total"], 2);
    assert_eq!(reads(&app, &referral, "coord-d").await, 2);
    assert_eq!(reads(&app, &consultation, "coord-d").await, 1);
    let (_, _) = app.get("/fhir/R4/Task?_count=0", &coord_d).await;
    assert_eq!(
        reads(&app, &consultation, "coord-d").await,
        1,
        "a count reads nothing"
    );
    let (_, _) = app.get("/fhir/R4/Task?_offset=1", &coord_d).await;
    assert_eq!(reads(&app, &consultation, "coord-d").await, 2);
    assert_eq!(reads(&app, &referral, "coord-d").await, 2);
}

#[tokio::test]
async fn a_consultation_moves_by_task_patch_and_refusals_speak_the_request_language() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let clinician = app.token("clinician-r").await;
    let coord_d = app.token("coord-d").await;
    let expert = expert_account(&app, &w).await;
    let id = request(&app, &w, &clinician).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let task = format!("/fhir/R4/Task/{id}");
    const STATE: &str = "https://shanhai.health/fhir/CodeSystem/consultation-state";
    let moves = [
        (
            &coord_d,
            json!([{"op": "replace", "path": "/status", "value": "accepted"}]),
            "accepted",
        ),
        (
            &coord_d,
            json!([
                {"op": "replace", "path": "/businessStatus", "value": {"coding": [{"system": STATE, "code": "scheduled"}]}},
                {"op": "add", "path": "/output", "value": [step("scheduled-at", "valueDateTime", "2027-01-05T02:30:00Z")]},
            ]),
            "scheduled",
        ),
        (
            &expert,
            json!([{"op": "replace", "path": "/status", "value": "in-progress"}]),
            "held",
        ),
        (
            &expert,
            json!([
                {"op": "replace", "path": "/status", "value": "completed"},
                {"op": "add", "path": "/output", "value": [step("opinion", "valueString", "建议急诊PCI。")]},
            ]),
            "signed",
        ),
    ];
    for (token, ops, state) in moves {
        let (s, t) = patch(&app, token, &task, ops).await;
        assert_eq!(s, StatusCode::OK, "{state}: {t}");
        assert_eq!(t["businessStatus"]["coding"][0]["code"], state, "{t}");
    }
    let (_, c) = app
        .get(&format!("/api/v1/consultations/{id}"), &clinician)
        .await;
    assert_eq!(c["state"], "signed");
    assert_eq!(
        c["scheduled_at"], "2027-01-05T10:30",
        "UTC 02:30 is 10:30 in Beijing"
    );
    assert_eq!(c["opinions"][0]["text"], "建议急诊PCI。");

    // Closing is the requester's; the consulted side is refused in the request's language.
    let close = json!([
        {"op": "replace", "path": "/businessStatus/coding/0/code", "value": "closed"},
        {"op": "add", "path": "/note", "value": [{"text": "已行急诊PCI。"}]},
    ]);
    let r = app
        .client
        .request(Method::PATCH, app.url(&task))
        .bearer_auth(&coord_d)
        .header("content-type", "application/json-patch+json")
        .header("accept-language", "en")
        .body(close.to_string())
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let o: Value = r.json().await.unwrap_or(Value::Null);
    let message = outcome_message(&o);
    assert!(message.is_ascii() && !message.is_empty(), "{message}");
    let (s, t) = patch(&app, &clinician, &task, close).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["status"], "completed");
    let (_, c) = app
        .get(&format!("/api/v1/consultations/{id}"), &clinician)
        .await;
    assert_eq!(
        (c["state"].as_str(), c["decision"].as_str()),
        (Some("closed"), Some("已行急诊PCI。"))
    );
}
