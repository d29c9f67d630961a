//! Capacity building, technology transfer, specialty building and resources (C6–C9): the rules a
//! coordinator meets through the API.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shanhai_domain::capacity::{FundingItemInput, yuan};
use shanhai_store::audit::Actor;
use shanhai_store::capacity::{self, FundingItems};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

async fn mentorship(app: &TestApp, token: &str, w: &World, term_start: &str) -> String {
    let (s, b) = app
        .post(
            "/api/v1/mentorships",
            token,
            json!({"program_id": w.program_a, "institution_id": w.recipient, "mentor_id": w.person_d,
                   "term_start": term_start, "subject": "心血管介入"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    id(&b)
}

#[tokio::test]
async fn a_fourth_apprentice_in_a_term_is_refused_unless_the_program_allows_more() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let coord = app.token("coord-r").await;
    let m = mentorship(&app, &coord, &w, "2025-03-01").await;
    let (_, detail) = app.get(&format!("/api/v1/mentorships/{m}"), &coord).await;
    assert_eq!(
        detail["term_end"], "2025-05-31",
        "a default term is three months"
    );

    let mut locals = Vec::new();
    for name in ["徒弟甲", "徒弟乙", "徒弟丙", "徒弟丁"] {
        locals.push(person(&app, &w.admin, &w.recipient, name).await);
    }
    let path = format!("/api/v1/mentorships/{m}/apprentices");
    for p in &locals[..3] {
        let (s, b) = app.post(&path, &coord, json!({"person_id": p})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let (s, b) = app
        .post(&path, &coord, json!({"person_id": locals[3]}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(b["error"]["code"], "conflict");
    let message = b["error"]["message"].as_str().unwrap_or("");
    assert!(
        message.contains("已满额") && message.contains('3'),
        "{message}"
    );
    let r = app
        .request(
            Method::POST,
            &format!("{path}?lang=en"),
            Some(&coord),
            Some(&json!({"person_id": locals[3]})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let b: Value = r.json().await.expect("json");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("as many apprentices in this term as the program allows"),
        "{b}"
    );

    // A second mentorship of the same mentor in an overlapping term shares the limit.
    let other = mentorship(&app, &coord, &w, "2025-04-01").await;
    let (s, _) = app
        .post(
            &format!("/api/v1/mentorships/{other}/apprentices"),
            &coord,
            json!({"person_id": locals[3]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // The next term starts afresh.
    let next = mentorship(&app, &coord, &w, "2025-06-01").await;
    let (s, b) = app
        .post(
            &format!("/api/v1/mentorships/{next}/apprentices"),
            &coord,
            json!({"person_id": locals[3]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    // Only the program's managers change the settings; then a fourth is welcome.
    let settings = format!("/api/v1/programs/{}/capacity-settings", w.program_a);
    let (s, _) = app
        .put(
            &settings,
            &coord,
            json!({"max_apprentices": 4, "term_months": 3}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let office = app.token("office").await;
    let (s, b) = app
        .put(
            &settings,
            &office,
            json!({"max_apprentices": 4, "term_months": 6}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["customised"], true);
    let (s, b) = app
        .post(&path, &coord, json!({"person_id": locals[3]}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = app
        .post(&path, &coord, json!({"person_id": locals[3]}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "the same apprentice twice: {b}");

    // Apprentices are local staff; notes and the evaluation complete the record.
    let (s, b) = app
        .post(&path, &w.admin, json!({"person_id": w.person_u}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "person_id");
    let (s, b) = app
        .post(
            &format!("/api/v1/mentorships/{m}/notes"),
            &coord,
            json!({"written_on": "2025-04-15", "note": "已能独立完成冠脉造影"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = app
        .put(
            &format!("/api/v1/mentorships/{m}"),
            &coord,
            json!({"program_id": w.program_a, "institution_id": w.recipient, "mentor_id": w.person_d,
                   "term_start": "2025-03-01", "term_end": "2025-05-31", "evaluation": "excellent"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, detail) = app.get(&format!("/api/v1/mentorships/{m}"), &coord).await;
    assert_eq!(detail["apprentices"].as_array().map(Vec::len), Some(4));
    assert_eq!(detail["notes"][0]["note"], "已能独立完成冠脉造影");
    assert_eq!(detail["evaluation"], "excellent");
    let (_, list) = app
        .get(
            &format!("/api/v1/mentorships?person={}", w.person_d),
            &coord,
        )
        .await;
    assert_eq!(list["total"], 3);
}

async fn technique(app: &TestApp, token: &str, body: Value) -> Value {
    let (s, b) = app.post("/api/v1/techniques", token, body).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b
}

#[tokio::test]
async fn a_technique_becomes_independent_only_after_a_case_by_local_staff() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let coord = app.token("coord-r").await;
    let t = technique(
        &app,
        &coord,
        json!({"program_id": w.program_a, "institution_id": w.recipient, "department_id": w.department_r,
               "name": "经导管主动脉瓣置换术（TAVR）", "specialty_code": "03.04", "surgical_grade": 4,
               "pairing_id": w.pairing, "expert_id": w.person_d, "introduced_on": "2025-02-10"}),
    )
    .await;
    assert_eq!(t["stage"], "introduced");
    assert_eq!(t["warnings"], json!([]));
    let t = id(&t);
    let stage = format!("/api/v1/techniques/{t}/stage");
    let cases = format!("/api/v1/techniques/{t}/cases");

    let (s, b) = app
        .post(&stage, &coord, json!({"stage": "demonstrated"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = app
        .post(&stage, &coord, json!({"stage": "independent"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("本院人员")
    );
    let (_, now) = app.get(&format!("/api/v1/techniques/{t}"), &coord).await;
    assert_eq!(
        now["stage"], "demonstrated",
        "a refused change changes nothing"
    );

    // The expert's own case does not count as local staff's.
    let (s, b) = app
        .post(
            &cases,
            &coord,
            json!({"performed_on": "2025-02-20", "operator_id": w.person_d, "outcome": "success"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["by_local_staff"], false);
    let (s, _) = app
        .post(&stage, &coord, json!({"stage": "independent"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);

    let (s, b) = app
        .post(
            &cases,
            &coord,
            json!({"performed_on": "2025-03-15", "operator_id": w.person_r, "supervisor_id": w.person_d,
                   "outcome": "success"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["by_local_staff"], true);
    let (s, b) = app
        .post(
            &stage,
            &coord,
            json!({"stage": "independent", "on": "2025-04-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["stage"], "independent");
    let (s, _) = app
        .post(&stage, &coord, json!({"stage": "supervised"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "stages do not go back");

    let (_, detail) = app.get(&format!("/api/v1/techniques/{t}"), &coord).await;
    assert_eq!(detail["first_case_on"], "2025-02-20");
    assert_eq!(detail["case_count"], 2);
    assert_eq!(detail["local_case_count"], 1);
    assert_eq!(detail["cases"].as_array().map(Vec::len), Some(2));
    let steps: Vec<&str> = detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| e["to_state"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        steps,
        [
            "introduced",
            "demonstrated",
            "demonstrated",
            "demonstrated",
            "independent"
        ]
    );

    let (_, summary) = app
        .get(
            &format!("/api/v1/institutions/{}/capacity", w.recipient),
            &coord,
        )
        .await;
    assert_eq!(summary["techniques"], 1);
    assert_eq!(
        summary["techniques_by_stage"],
        json!([{"code": "independent", "count": 1}])
    );
    assert_eq!(summary["technique_cases"], 2);
}

#[tokio::test]
async fn claiming_a_gap_already_filled_in_the_area_warns_and_names_the_earlier_record() {
    let app = spawn_app().await;
    let w = world(&app).await;
    region(&app, &w.admin, "150204", "青山区", Some("150200")).await;
    let elsewhere = institution(&app, &w.admin, "包头市青山区医院", "hospital", "150204").await;
    let first = technique(
        &app,
        &w.admin,
        json!({"institution_id": w.recipient, "name": "ECMO 体外膜肺氧合", "specialty_code": "03.04",
               "gap_level": "county", "introduced_on": "2024-06-18"}),
    )
    .await;
    assert_eq!(first["warnings"], json!([]));

    // Same county (150203): the claim is recorded, with a warning naming the earlier record.
    let second = technique(
        &app,
        &w.admin,
        json!({"institution_id": w.unrelated, "name": "ecmo体外膜肺氧合", "specialty_code": "03.04",
               "gap_level": "county", "introduced_on": "2025-01-05"}),
    )
    .await;
    assert_eq!(second["stage"], "introduced");
    let warnings = second["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{second}");
    assert_eq!(warnings[0]["code"], "gap_already_filled");
    let message = warnings[0]["message"].as_str().unwrap_or("");
    assert!(
        message.contains("包头市中心医院") && message.contains("2024-06-18"),
        "{message}"
    );
    let (_, all) = app.get("/api/v1/techniques", &w.admin).await;
    assert_eq!(all["total"], 2);

    // Another county is not the same area, but the same city is.
    let other_county = technique(
        &app,
        &w.admin,
        json!({"institution_id": elsewhere, "name": "ECMO体外膜肺氧合", "specialty_code": "03.04",
               "gap_level": "county", "introduced_on": "2025-02-01"}),
    )
    .await;
    assert_eq!(other_county["warnings"], json!([]));
    let r = app
        .request(
            Method::POST,
            "/api/v1/techniques?lang=en",
            Some(&w.admin),
            Some(&json!({"institution_id": elsewhere, "name": "ECMO 体外膜肺氧合", "specialty_code": "03.04",
                   "gap_level": "city", "introduced_on": "2025-03-01"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let city: Value = r.json().await.expect("json");
    let warnings = city["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 3, "{city}");
    assert!(
        warnings[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("already recorded in the area")
    );
    // A different specialty is a different technique; no claim, no check.
    let unclaimed = technique(
        &app,
        &w.admin,
        json!({"institution_id": w.unrelated, "name": "ECMO 体外膜肺氧合", "specialty_code": "03.04",
               "introduced_on": "2025-03-01"}),
    )
    .await;
    assert_eq!(unclaimed["warnings"], json!([]));
}

#[tokio::test]
async fn money_totals_are_exact_to_the_fen_across_thousands_of_items() {
    let app = spawn_app().await;
    let w = world(&app).await;
    // Amounts whose sum in floating-point yuan would drift: dimes and odd fen.
    let amounts: Vec<i64> = (0..3000_i64)
        .map(|i| match i % 4 {
            0 => 10,
            1 => 1_234_567_891,
            2 => 33,
            _ => 99_999_999 + i,
        })
        .collect();
    let mut tx = app.db.begin_write().await.expect("tx");
    for (i, fen) in amounts.iter().enumerate() {
        let new = FundingItemInput {
            program_id: Some(w.program_a.clone()),
            institution_id: w.recipient.clone(),
            amount_fen: Some(*fen),
            amount_yuan: None,
            source: "上海市东西部协作资金".into(),
            purpose: format!("设备购置 {i}"),
            granted_on: "2024-05-01".into(),
        }
        .parse()
        .expect("valid");
        capacity::create_on::<FundingItems>(&mut tx, &Actor::system("test"), &new)
            .await
            .expect("create");
    }
    tx.commit().await.expect("commit");
    let coord = app.token("coord-r").await;
    let (s, b) = app
        .post(
            "/api/v1/funding-items",
            &coord,
            json!({"program_id": w.program_a, "institution_id": w.recipient, "amount_yuan": "0.10",
                   "source": "上海市东西部协作资金", "purpose": "人才培养", "granted_on": "2024-06-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["amount_fen"], 10);
    assert_eq!(b["amount_yuan"], "0.10");
    let expected: i64 = amounts.iter().sum::<i64>() + 10;

    let (s, totals) = app
        .get(
            &format!("/api/v1/funding-items/totals?program={}", w.program_a),
            &coord,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{totals}");
    assert_eq!(totals["count"], 3001);
    assert_eq!(totals["amount_fen"], expected);
    assert_eq!(totals["amount_yuan"], yuan(expected));
    let (_, by_region) = app
        .get("/api/v1/funding-items/totals?region=150000", &coord)
        .await;
    assert_eq!(by_region["amount_fen"], expected);
    let (_, other) = app
        .get("/api/v1/funding-items/totals?region=310000", &coord)
        .await;
    assert_eq!(other["amount_fen"], 0);
    assert_eq!(other["amount_yuan"], "0.00");
    let (_, page) = app
        .get("/api/v1/funding-items?per_page=5&q=人才", &coord)
        .await;
    assert_eq!(page["total"], 1);

    for (body, field) in [
        (json!({"amount_yuan": "1.234"}), "amount_yuan"),
        (json!({"amount_fen": -5}), "amount_fen"),
        (
            json!({"amount_fen": 100, "amount_yuan": "1.01"}),
            "amount_fen",
        ),
    ] {
        let mut full = json!({"program_id": w.program_a, "institution_id": w.recipient, "source": "s",
                              "purpose": "p", "granted_on": "2024-06-01"});
        for (k, v) in body.as_object().expect("object") {
            full[k] = v.clone();
        }
        let (s, b) = app.post("/api/v1/funding-items", &coord, full).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(b["error"]["field"], field);
    }

    let (s, b) = app
        .post(
            "/api/v1/equipment-donations",
            &coord,
            json!({"program_id": w.program_a, "institution_id": w.recipient, "donor_institution_id": w.donor,
                   "item": "彩色多普勒超声诊断仪", "quantity": 2, "value_yuan": "1860000.00", "donated_on": "2024-07-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["value_fen"], 186_000_000);
    let (_, eq) = app.get("/api/v1/equipment-donations/totals", &coord).await;
    assert_eq!(eq["amount_yuan"], "1860000.00");
}

#[tokio::test]
async fn records_are_written_by_the_institution_s_side_and_read_within_reach() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let regulation = |institution: &str| {
        json!({"program_id": w.program_a, "institution_id": institution, "title": "医疗质量安全核心制度",
               "area": "医疗质量", "adopted_on": "2024-03-01"})
    };
    let r = app
        .request(Method::GET, "/api/v1/regulations", None, None)
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    for (user, status) in [
        ("coord-u", StatusCode::FORBIDDEN),
        ("coord-d", StatusCode::FORBIDDEN),
        ("clinician-r", StatusCode::FORBIDDEN),
        ("expert-d", StatusCode::FORBIDDEN),
        ("office", StatusCode::CREATED),
        ("coord-r", StatusCode::CREATED),
    ] {
        let token = app.token(user).await;
        let (s, b) = app
            .post("/api/v1/regulations", &token, regulation(&w.recipient))
            .await;
        assert_eq!(s, status, "{user}: {b}");
    }
    let (_, created) = app
        .post("/api/v1/regulations", &w.admin, regulation(&w.recipient))
        .await;
    let path = format!("/api/v1/regulations/{}", id(&created));
    for (user, status, total) in [
        ("coord-u", StatusCode::FORBIDDEN, 0),
        ("coord-d", StatusCode::OK, 3),
        ("clinician-r", StatusCode::OK, 3),
        ("office", StatusCode::OK, 3),
    ] {
        let token = app.token(user).await;
        let (s, _) = app.get(&path, &token).await;
        assert_eq!(s, status, "{user}");
        let (_, list) = app.get("/api/v1/regulations", &token).await;
        assert_eq!(list["total"], total, "{user}");
    }
    let coord_u = app.token("coord-u").await;
    let (s, _) = app.put(&path, &coord_u, regulation(&w.unrelated)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "moving another's record");
    let coord_r = app.token("coord-r").await;
    let (s, _) = app.put(&path, &coord_r, regulation(&w.unrelated)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "moving a record out of reach");
    let (s, b) = app
        .put(
            &path,
            &coord_r,
            json!({"institution_id": w.recipient, "title": "危急值报告制度", "area": "医疗质量",
                   "adopted_on": "2024-03-02"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["title"], "危急值报告制度");
    let (s, _) = app
        .get(
            &format!("/api/v1/institutions/{}/capacity", w.recipient),
            &coord_u,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, audit) = app.get("/api/v1/audit?entity=regulation", &w.admin).await;
    assert!(audit["total"].as_i64().unwrap_or(0) >= 4, "{audit}");
}

#[tokio::test]
async fn every_collection_takes_its_records_and_filters_them() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let t = app.token("coord-r").await;
    let (p, r, d) = (&w.program_a, &w.recipient, &w.donor);
    let cases = [
        (
            "placements",
            json!({"program_id": p, "institution_id": r, "person_id": w.person_r, "host_institution_id": d,
            "subject": "心血管介入进修", "start_date": "2024-09-01", "end_date": "2025-02-28", "status": "completed",
            "outcome": "取得介入培训合格证"}),
        ),
        (
            "team-pairings",
            json!({"program_id": p, "institution_id": r, "local_team": "心内科团队", "donor_institution_id": d,
            "donor_team": "瑞金心脏团队", "start_date": "2024-01-01"}),
        ),
        (
            "teaching-activities",
            json!({"program_id": p, "institution_id": r, "kind": "teaching-round", "held_on": "2025-03-04",
            "host_id": w.person_d, "place": "心内科病房", "topic": "急性心梗的再灌注策略", "duration_minutes": 90,
            "attendance": 25, "attendee_ids": [w.person_r]}),
        ),
        (
            "training-kpis",
            json!({"program_id": p, "institution_id": r, "indicator": "licensing-first-pass", "year": 2024,
            "candidates": 25, "passed": 23}),
        ),
        (
            "workstations",
            json!({"program_id": p, "institution_id": r, "kind": "studio", "name": "瑞金心脏名医工作室",
            "lead_expert_id": w.person_d, "opened_on": "2023-05-01", "visits": 12}),
        ),
        (
            "specialty-projects",
            json!({"program_id": p, "institution_id": r, "department_id": w.department_r,
            "name": "心血管内科自治区级重点专科", "level": "provincial", "started_on": "2023-01-01",
            "milestones": [{"title": "胸痛中心通过认证", "due_on": "2023-12-31", "done_on": "2023-11-20"}],
            "acceptance_result": "passed", "accepted_on": "2025-01-10"}),
        ),
        (
            "research-outputs",
            json!({"program_id": p, "institution_id": r, "kind": "paper", "title": "包头地区急性心梗救治现状分析",
            "person_id": w.person_r, "venue": "中华心血管病杂志", "dated_on": "2024-10-01"}),
        ),
        (
            "accreditation-goals",
            json!({"program_id": p, "institution_id": r, "goal": "grade-3a", "status": "achieved",
            "achieved_on": "2024-12-01"}),
        ),
        (
            "alliances",
            json!({"program_id": p, "institution_id": r, "name": "包头市心血管专科联盟", "specialty_code": "03.04",
            "founded_on": "2023-06-01"}),
        ),
    ];
    for (collection, body) in cases {
        let (s, b) = app.post(&format!("/api/v1/{collection}"), &t, body).await;
        assert_eq!(s, StatusCode::CREATED, "{collection}: {b}");
        let (s, one) = app
            .get(&format!("/api/v1/{collection}/{}", id(&b)), &t)
            .await;
        assert_eq!(s, StatusCode::OK, "{collection}");
        assert_eq!(one["institution_id"], *r);
        let (_, list) = app
            .get(
                &format!("/api/v1/{collection}?institution={r}&region=1502"),
                &t,
            )
            .await;
        assert_eq!(list["total"], 1, "{collection}");
        let (_, none) = app
            .get(&format!("/api/v1/{collection}?region=31"), &t)
            .await;
        assert_eq!(none["total"], 0, "{collection}");
    }
    let (_, kpis) = app.get("/api/v1/training-kpis", &t).await;
    assert_eq!(kpis["items"][0]["rate_percent"], "92.00");
    let (_, credited) = app
        .get(
            &format!("/api/v1/teaching-activities?person={}", w.person_r),
            &t,
        )
        .await;
    assert_eq!(
        credited["total"], 1,
        "attendance is credited to the attendee"
    );
    let (_, alliances) = app.get("/api/v1/alliances", &t).await;
    let alliance = alliances["items"][0]["id"]
        .as_str()
        .expect("alliance")
        .to_string();
    let (s, b) = app
        .post(
            &format!("/api/v1/alliances/{alliance}/members"),
            &t,
            json!({"institution_id": w.unrelated, "joined_on": "2023-07-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (_, detail) = app.get(&format!("/api/v1/alliances/{alliance}"), &t).await;
    assert_eq!(detail["member_count"], 1);
    assert_eq!(detail["members"][0]["institution_name"], "包头市第六医院");
    let (s, b) = app
        .post(
            "/api/v1/teaching-activities",
            &t,
            json!({"institution_id": r, "kind": "lecture", "held_on": "2025-03-04", "topic": "讲座",
                   "duration_minutes": 60}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "place");

    let (_, summary) = app
        .get(&format!("/api/v1/institutions/{r}/capacity"), &t)
        .await;
    for key in [
        "placements",
        "team_pairings",
        "teaching_activities",
        "workstations",
        "specialty_projects",
        "research_outputs",
        "alliances_led",
    ] {
        assert_eq!(summary[key], 1, "{key}: {summary}");
    }
    assert_eq!(summary["accreditation_goals"][0]["goal"], "grade-3a");
}

/// The workstation form leaves "visits" empty unless the coordinator counts them: an empty
/// number field means the input's default (0 visits), not a malformed body.
#[tokio::test]
async fn a_workstation_recorded_from_its_page_without_visits_has_none() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let browser = Browser::sign_in(&app, "coord-r").await;
    let form = format!(
        "institution_id={}&name=%E5%90%8D%E5%8C%BB%E5%B7%A5%E4%BD%9C%E5%AE%A4&kind=studio&lead_expert_id=&department_id=&opened_on=2023-05-01&visits=&program_id={}",
        w.recipient, w.program_a
    );
    let r = browser.post_response("/workstations", &form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_string();
    // The list, with the confirmation that the record was saved.
    assert_eq!(
        location,
        format!("/workstations?institution={}&saved=1", w.recipient)
    );
    let t = app.token("coord-r").await;
    let (_, list) = app
        .get(
            &format!("/api/v1/workstations?institution={}", w.recipient),
            &t,
        )
        .await;
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["name"], "名医工作室");
    assert_eq!(list["items"][0]["visits"], 0);
}
