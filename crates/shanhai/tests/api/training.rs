//! Training and management records (issue 18): training schemes and their members, lecture
//! series and their sessions, remote CME enrolments, department changes, accreditations achieved
//! and patients who came back — validated every problem at once, written by whoever may change
//! the institution's data, counted by the roll-ups exactly as their lists count them, and
//! `shanhai verify` equal afterwards.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

/// The fields an error names: every problem's, else the one at fault.
fn fields(b: &Value) -> Vec<String> {
    let all: Vec<String> = b["error"]["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if all.is_empty() {
        b["error"]["field"]
            .as_str()
            .map(str::to_string)
            .into_iter()
            .collect()
    } else {
        all
    }
}

async fn created(app: &TestApp, token: &str, path: &str, body: Value) -> String {
    let (s, b) = app.post(path, token, body).await;
    assert_eq!(s, StatusCode::CREATED, "{path}: {b}");
    id(&b)
}

#[tokio::test]
async fn every_problem_of_a_training_record_is_told_at_once_and_changes_nothing() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let coord = app.token("coord-r").await;
    let (s, b) = app
        .post(
            "/api/v1/training-schemes",
            &coord,
            json!({"institution_id": w.recipient, "name": " ", "kind": "holiday", "started_on": "2024-02-30"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let f = fields(&b);
    for field in ["name", "kind", "started_on"] {
        assert!(f.contains(&field.to_string()), "{field} in {b}");
    }
    let (s, b) = app
        .post(
            "/api/v1/training-scheme-members",
            &coord,
            json!({"institution_id": w.recipient, "scheme_id": "nope", "joined_on": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let f = fields(&b);
    for field in ["scheme_id", "joined_on", "person_id"] {
        assert!(f.contains(&field.to_string()), "{field} in {b}");
    }
    let (s, b) = app
        .post(
            "/api/v1/patient-returns",
            &coord,
            json!({"institution_id": w.recipient, "returned_on": "2025-01-01",
                   "treated_region_code": "12", "specialty_code": "no-such"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let f = fields(&b);
    for field in ["treated_region_code", "specialty_code"] {
        assert!(f.contains(&field.to_string()), "{field} in {b}");
    }
    let (s, b) = app
        .post(
            "/api/v1/department-changes",
            &coord,
            json!({"institution_id": w.recipient, "kind": "merged", "name": "", "changed_on": "2025-01-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let f = fields(&b);
    for field in ["previous_name", "name"] {
        assert!(f.contains(&field.to_string()), "{field} in {b}");
    }
    let (s, b) = app
        .post(
            "/api/v1/cme-enrolments",
            &coord,
            json!({"institution_id": w.recipient, "course": "", "enrolled_on": "2025-01-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let f = fields(&b);
    for field in ["learner_id", "course"] {
        assert!(f.contains(&field.to_string()), "{field} in {b}");
    }
    // A session naming a series that does not exist is refused at its field.
    let (s, b) = app
        .post(
            "/api/v1/teaching-activities",
            &coord,
            json!({"institution_id": w.recipient, "kind": "lecture", "held_on": "2025-01-01",
                   "online": true, "topic": "x", "duration_minutes": 60,
                   "series_id": "01a25113-6f97-776c-b62f-42bd4cf61497"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(fields(&b), vec!["series_id".to_string()], "{b}");
    for path in [
        "/api/v1/training-schemes",
        "/api/v1/training-scheme-members",
        "/api/v1/patient-returns",
        "/api/v1/department-changes",
        "/api/v1/cme-enrolments",
        "/api/v1/lecture-series",
    ] {
        let (s, b) = app.get(path, &w.admin).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(b["total"], 0, "{path}: bad input changed nothing");
    }
}

#[tokio::test]
async fn only_those_who_may_change_the_institution_record_and_outsiders_see_nothing() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let outsider = app.token("coord-u").await;
    let office = app.token("office").await;
    let body = json!({"program_id": w.program_a, "institution_id": w.recipient,
                      "name": "雏鹰行动", "kind": "further-study", "started_on": "2024-03-01"});
    let (s, b) = app
        .post("/api/v1/training-schemes", &outsider, body.clone())
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let scheme = created(&app, &office, "/api/v1/training-schemes", body).await;
    let (s, _) = app
        .get(&format!("/api/v1/training-schemes/{scheme}"), &outsider)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, list) = app.get("/api/v1/training-schemes", &outsider).await;
    assert_eq!(list["total"], 0);
    let (s, b) = app
        .post(
            "/api/v1/patient-returns",
            &outsider,
            json!({"institution_id": w.recipient, "returned_on": "2025-01-01", "treated_region_code": "310000"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
}

#[tokio::test]
async fn the_figures_count_exactly_the_records_their_lists_show_and_verify_agrees() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let coord = app.token("coord-r").await;
    let p = &w.program_a;
    let r = &w.recipient;
    // A scheme with a person and a placement; a member after the date does not count yet.
    let scheme = created(
        &app,
        &coord,
        "/api/v1/training-schemes",
        json!({"program_id": p, "institution_id": r, "name": "雏鹰行动", "kind": "further-study",
               "host_institution_id": w.donor, "started_on": "2024-03-01"}),
    )
    .await;
    let placement = created(
        &app,
        &coord,
        "/api/v1/placements",
        json!({"program_id": p, "institution_id": r, "person_id": w.person_r,
               "host_institution_id": w.donor, "subject": "心内科", "start_date": "2024-04-01"}),
    )
    .await;
    let other = person(&app, &w.admin, r, "学员乙").await;
    let later = person(&app, &w.admin, r, "学员丙").await;
    for (who, on) in [
        (json!({"placement_id": placement}), "2024-04-01"),
        (json!({"person_id": other}), "2024-05-01"),
        (json!({"person_id": later}), "2026-01-01"),
    ] {
        let mut body =
            json!({"program_id": p, "institution_id": r, "scheme_id": scheme, "joined_on": on});
        body.as_object_mut()
            .expect("object")
            .extend(who.as_object().expect("object").clone());
        created(&app, &coord, "/api/v1/training-scheme-members", body).await;
    }
    // The same person twice in a scheme is refused.
    let (s, b) = app
        .post(
            "/api/v1/training-scheme-members",
            &coord,
            json!({"program_id": p, "institution_id": r, "scheme_id": scheme, "person_id": other, "joined_on": "2024-06-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    // A series of two sessions and a lecture outside any series.
    let series = created(
        &app,
        &coord,
        "/api/v1/lecture-series",
        json!({"program_id": p, "institution_id": r, "name": "豫哈中原课堂", "kind": "classroom", "started_on": "2024-01-01"}),
    )
    .await;
    for (attendance, series_id) in [(300, Some(&series)), (200, Some(&series)), (50, None)] {
        created(
            &app,
            &coord,
            "/api/v1/teaching-activities",
            json!({"program_id": p, "institution_id": r, "kind": "remote-teaching", "held_on": "2024-06-01",
                   "online": true, "topic": "课堂", "duration_minutes": 60, "attendance": attendance,
                   "series_id": series_id}),
        )
        .await;
    }
    created(
        &app,
        &coord,
        "/api/v1/teaching-activities",
        json!({"program_id": p, "institution_id": r, "kind": "training", "held_on": "2024-06-02",
               "place": "示教室", "topic": "业务培训", "duration_minutes": 60, "attendance": 120}),
    )
    .await;
    created(
        &app,
        &coord,
        "/api/v1/cme-enrolments",
        json!({"program_id": p, "institution_id": r, "learner_name": "王敏", "course": "儿科进展",
               "specialty_code": "07", "enrolled_on": "2024-07-01"}),
    )
    .await;
    created(
        &app,
        &coord,
        "/api/v1/department-changes",
        json!({"program_id": p, "institution_id": r, "kind": "renamed", "name": "急诊医学科",
               "previous_name": "急诊科", "changed_on": "2024-02-01"}),
    )
    .await;
    created(
        &app,
        &coord,
        "/api/v1/patient-returns",
        json!({"program_id": p, "institution_id": r, "specialty_code": "19", "returned_on": "2024-08-01",
               "treated_region_code": "310000"}),
    )
    .await;
    let goal = created(
        &app,
        &coord,
        "/api/v1/accreditation-goals",
        json!({"program_id": p, "institution_id": r, "goal": "quality-upgrade", "status": "in-progress",
               "target_on": "2024-12-31"}),
    )
    .await;
    let (s, b) = app
        .put(
            &format!("/api/v1/accreditation-goals/{goal}"),
            &coord,
            json!({"program_id": p, "institution_id": r, "goal": "quality-upgrade", "status": "achieved",
                   "target_on": "2024-12-31", "achieved_on": "2024-09-15"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    let until = "2025-06-30";
    let (s, values) = app
        .get(
            &format!("/api/v1/programs/{p}/indicators?until={until}"),
            &w.admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{values}");
    let values = values.as_array().expect("list").clone();
    let value = |code: &str| -> (i64, String) {
        let v = values
            .iter()
            .find(|v| v["code"] == code)
            .unwrap_or_else(|| panic!("{code}"));
        (
            v["value"].as_i64().expect("value"),
            v["records_url"].as_str().expect("records_url").to_string(),
        )
    };
    for (code, expected) in [
        ("training-cohort-members", 2),
        ("lecture-series", 1),
        ("lecture-series-sessions", 2),
        ("lecture-series-attendance", 500),
        ("cme-learners", 1),
        ("departments-restructured", 1),
        ("accreditations-achieved", 1),
        ("patients-returned", 1),
        ("teaching-attendance-training", 120),
    ] {
        let (v, url) = value(code);
        assert_eq!(v, expected, "{code}");
        let (s, list) = app.get(&format!("{url}&per_page=100"), &w.admin).await;
        assert_eq!(s, StatusCode::OK, "{url}: {list}");
        let items = list["items"].as_array().expect("items");
        match code {
            "lecture-series-attendance" | "teaching-attendance-training" => {
                let sum: i64 = items
                    .iter()
                    .map(|i| {
                        i["value"]
                            .as_i64()
                            .or_else(|| i["attendance"].as_i64())
                            .unwrap_or(0)
                    })
                    .sum();
                assert_eq!(sum, expected, "{code}: {url}");
            }
            _ => assert_eq!(list["total"], json!(expected), "{code}: {url}"),
        }
    }
    // The series' own list counts its sessions and attendance; the briefing names it.
    let (_, s) = app
        .get(&format!("/api/v1/lecture-series/{series}"), &coord)
        .await;
    assert_eq!(
        (s["sessions"].clone(), s["attendance"].clone()),
        (json!(2), json!(500))
    );
    let (_, b) = app
        .get(
            &format!("/api/v1/programs/{p}/briefing?until={until}&format=json"),
            &w.admin,
        )
        .await;
    let text: String = b["paragraphs"]
        .as_array()
        .expect("paragraphs")
        .iter()
        .map(|p| p["text"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(text.contains("“雏鹰行动”选派学员2名"), "{text}");
    assert!(
        text.contains("“豫哈中原课堂”开展2期，参与500人次"),
        "{text}"
    );
    assert!(text.contains("1家医院通过评审验收（"), "{text}");

    let mismatches = shanhai_store::rollups::verify(&app.db)
        .await
        .expect("verify");
    assert!(mismatches.is_empty(), "{mismatches:?}");
    // Moving a session out of its series moves it out of the figures, and verify still agrees.
    let (_, sessions) = app
        .get(
            &format!("/api/v1/teaching-activities?series={series}"),
            &coord,
        )
        .await;
    let first = sessions["items"][0].clone();
    let mut changed = first.clone();
    changed["series_id"] = Value::Null;
    let (s, b) = app
        .put(
            &format!("/api/v1/teaching-activities/{}", id(&first)),
            &coord,
            changed,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let mismatches = shanhai_store::rollups::verify(&app.db)
        .await
        .expect("verify");
    assert!(mismatches.is_empty(), "{mismatches:?}");
    let (_, values) = app
        .get(
            &format!("/api/v1/programs/{p}/indicators?until={until}"),
            &w.admin,
        )
        .await;
    let sessions = values
        .as_array()
        .expect("list")
        .iter()
        .find(|v| v["code"] == "lecture-series-sessions")
        .and_then(|v| v["value"].as_i64());
    assert_eq!(sessions, Some(1));
}
