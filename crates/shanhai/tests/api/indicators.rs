//! A program's derived indicators: each value is the `total` of the list its `records_url`
//! names, and records after the date or in another program do not count.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn every_indicator_equals_the_total_of_its_records_list() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let clinician = app.token("clinician-r").await;
    // Records of program A: a consultation, an up-referral, two regulations (one after the
    // date), funding; and a regulation of program B.
    crate::consultations::request(&app, &w, &clinician).await;
    let (s, b) = app
        .post(
            "/api/v1/referrals",
            &clinician,
            json!({"direction": "up", "urgency": "routine", "to_institution_id": w.donor,
                   "patient": {"name": "李桂兰", "sex": "female", "age": 58}, "reason": "肺部占位"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    for (program, adopted_on) in [
        (&w.program_a, "2024-03-01"),
        (&w.program_a, "2099-01-01"),
        (&w.program_b, "2024-03-01"),
    ] {
        let (s, b) = app
            .post(
                "/api/v1/regulations",
                &w.admin,
                json!({"program_id": program, "institution_id": w.recipient, "title": "医疗质量安全核心制度",
                       "area": "医疗质量", "adopted_on": adopted_on}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let (s, b) = app
        .post(
            "/api/v1/funding-items",
            &w.admin,
            json!({"program_id": w.program_a, "institution_id": w.recipient, "amount_fen": 123_456_789,
                   "source": "上海市对口支援资金", "purpose": "胸痛中心建设", "granted_on": "2024-05-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // Teaching activities of two kinds (one of program B): the per-kind indicators count them
    // through the list's `kind=` filter.
    for (program, kind, attendance) in [
        (&w.program_a, "lecture", 40),
        (&w.program_a, "lecture", 25),
        (&w.program_a, "teaching-round", 12),
        (&w.program_b, "lecture", 30),
    ] {
        let (s, b) = app
            .post(
                "/api/v1/teaching-activities",
                &w.admin,
                json!({"program_id": program, "institution_id": w.recipient, "kind": kind,
                       "held_on": "2024-04-02", "place": "示教室", "topic": "教学", "duration_minutes": 60,
                       "attendance": attendance}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    // A batch of program A (and one of program B), an expert's assignment under it and two
    // monthly workload reports (one ending after the date).
    let mut batch_a = String::new();
    for (program, number) in [(&w.program_a, 1), (&w.program_b, 1)] {
        let (s, b) = app
            .post(
                "/api/v1/batches",
                &w.admin,
                json!({"program_id": program, "number": number, "start_date": "2024-01-01", "end_date": "2031-12-31"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        if *program == w.program_a {
            batch_a = b["id"].as_str().expect("batch id").to_string();
        }
    }
    let (s, a) = app
        .post(
            "/api/v1/assignments",
            &w.admin,
            json!({"batch_id": batch_a, "person_id": w.person_d, "institution_id": w.recipient,
                   "mode": "stationed", "post": "team-leader", "start_date": "2030-11-01", "end_date": "2031-06-30"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    for (start, end, outpatients) in [
        ("2030-11-01", "2030-11-30", 380),
        ("2030-12-01", "2030-12-31", 402),
        ("2031-01-01", "2031-01-31", 999),
    ] {
        let (s, b) = app
            .post(
                "/api/v1/workload-reports",
                &w.admin,
                json!({"assignment_id": a["id"], "period_start": start, "period_end": end,
                       "outpatients": outpatients, "admissions": 40, "operations": 11}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }

    let until = "2030-12-31";
    let (s, values) = app
        .get(
            &format!("/api/v1/programs/{}/indicators?until={until}", w.program_a),
            &clinician,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{values}");
    let values = values.as_array().expect("a list").clone();
    assert!(values.len() >= 20);
    assert_narrowed_lists_count_the_rollup(&app, &w, &values).await;
    let value = |code: &str| {
        values
            .iter()
            .find(|v| v["code"] == code)
            .and_then(|v| v["value"].as_i64())
            .unwrap_or(-1)
    };
    assert_eq!(value("consultations"), 1);
    assert_eq!(value("consultations-mdt"), 1);
    assert_eq!(value("referrals-up"), 1);
    assert_eq!(value("referrals-leaving-region"), 1, "包头 → 上海");
    assert_eq!(
        value("regulations"),
        1,
        "not the later one, not program B's"
    );
    assert_eq!(value("funding"), 123_456_789);
    assert_eq!(value("teaching-activities"), 3);
    assert_eq!(value("teaching-attendance"), 77);
    assert_eq!(value("teaching-activities-lecture"), 2);
    assert_eq!(value("teaching-activities-teaching-round"), 1);
    assert_eq!(value("teaching-activities-training"), 0);
    assert_eq!(value("batches"), 1, "not program B's");
    assert_eq!(
        value("workload-outpatients"),
        782,
        "not the month after the date"
    );
    assert_eq!(value("workload-admissions"), 80);
    assert_eq!(value("workload-operations"), 22);
    // A sum's list holds exactly the records summed, each with what it adds.
    for (code, field) in [
        ("workload-outpatients", "value"),
        ("workload-admissions", "value"),
        ("workload-operations", "value"),
    ] {
        let v = values.iter().find(|v| v["code"] == code).expect(code);
        let url = v["records_url"].as_str().expect("records_url");
        let (s, list) = app.get(url, &clinician).await;
        assert_eq!(s, StatusCode::OK, "{url}: {list}");
        let sum: i64 = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i[field].as_i64().unwrap_or(0))
            .sum();
        assert_eq!(sum, value(code), "{code} → {url}");
    }
    assert_eq!(value("consultations-general"), 0);
    for kind in shanhai_domain::consultations::ConsultationType::ALL {
        assert!(
            value(&format!("consultations-{}", kind.code())) >= 0,
            "{kind:?}"
        );
    }
    for kind in shanhai_domain::capacity::TeachingKind::ALL {
        assert!(
            value(&format!("teaching-activities-{}", kind.code())) >= 0,
            "{kind:?}"
        );
    }
    let funding = values
        .iter()
        .find(|v| v["code"] == "funding")
        .expect("funding");
    assert_eq!(funding["display"], "1,234,567.89");
    for v in &values {
        assert!(!v["definition"].as_str().unwrap_or("").is_empty(), "{v}");
        if v["measure"] != "count" {
            continue;
        }
        let url = v["records_url"].as_str().expect("records_url");
        let (s, list) = app.get(url, &w.admin).await;
        assert_eq!(s, StatusCode::OK, "{url}: {list}");
        assert_eq!(list["total"], v["value"], "{} → {url}", v["code"]);
    }
    let (s, _) = app
        .get(
            &format!(
                "/api/v1/programs/{}/indicators?until=yesterday",
                w.program_a
            ),
            &clinician,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

/// The indicators of work in the field: days served, clinic sessions held, bookings and
/// patients seen, outreach, apprentices, gaps filled by level and grade-3/4 techniques.
#[tokio::test]
async fn field_work_training_and_technique_indicators_count_their_records() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (s, b) = app
        .post(
            "/api/v1/batches",
            &w.admin,
            json!({"program_id": w.program_a, "pairing_id": w.pairing, "number": 1,
                   "start_date": "2026-01-01", "end_date": "2027-12-31"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let batch = b["id"].as_str().expect("id").to_string();
    let (s, a) = app
        .post(
            "/api/v1/assignments",
            &w.admin,
            json!({"batch_id": batch, "person_id": w.person_d, "institution_id": w.recipient, "mode": "stationed",
                   "post": "team-member", "weekdays": [1, 2, 3, 4, 5, 6, 7],
                   "start_date": "2026-06-01", "end_date": "2027-06-30"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let assignment = a["id"].as_str().expect("id").to_string();
    for day in ["2026-06-02", "2026-06-03", "2026-06-04"] {
        let (s, b) = app
            .post(
                &format!("/api/v1/assignments/{assignment}/service-days"),
                &w.admin,
                json!({"day": day}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let today = shanhai_store::today().to_string();
    let mut sessions = Vec::new();
    for (visit_type, start, end) in [
        ("expert", "00:00", "23:58"),
        ("free-clinic", "23:58", "23:59"),
    ] {
        let (s, b) = app
            .post(
                "/api/v1/clinic-sessions",
                &w.admin,
                json!({"expert_id": w.person_d, "institution_id": w.recipient, "department_id": w.department_r,
                       "assignment_id": assignment, "date": today, "start": start, "end": end,
                       "capacity": 5, "visit_type": visit_type}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        sessions.push(b["id"].as_str().expect("id").to_string());
    }
    // Two bookings on the hospital clinic, one on the free clinic; two of them checked in.
    for (i, session) in [&sessions[0], &sessions[0], &sessions[1]]
        .into_iter()
        .enumerate()
    {
        let seq = 40 + i as u32;
        let (s, b) = app
            .post_anon(
                &format!("/api/v1/public/sessions/{session}/bookings"),
                json!({"name": "王芳", "phone": crate::clinic_sessions::phone(seq),
                       "id_number": crate::clinic_sessions::id_number(seq), "waitlist": false}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let mut bookings = Vec::new();
    for session in &sessions {
        let (s, b) = app
            .get(
                &format!("/api/v1/clinic-sessions/{session}/bookings"),
                &w.admin,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let first = b["items"][0]["id"].as_str().or(b[0]["id"].as_str());
        bookings.push(first.expect("a booking").to_string());
    }
    for booking in &bookings {
        let (s, b) = app
            .post(
                &format!("/api/v1/bookings/{booking}/check-in"),
                &w.admin,
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    // A mentorship with two apprentices.
    let (s, m) = app
        .post(
            "/api/v1/mentorships",
            &w.admin,
            json!({"program_id": w.program_a, "institution_id": w.recipient, "mentor_id": w.person_d,
                   "term_start": "2026-03-01", "subject": "心血管介入"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    for name in ["徒弟甲", "徒弟乙"] {
        let p = person(&app, &w.admin, &w.recipient, name).await;
        let (s, b) = app
            .post(
                &format!(
                    "/api/v1/mentorships/{}/apprentices",
                    m["id"].as_str().expect("id")
                ),
                &w.admin,
                json!({"person_id": p}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    // Techniques: a county gap at grade 4, a hospital gap at grade 2, no gap at grade 3.
    for (name, gap, grade) in [
        ("经皮冠状动脉介入治疗", Some("county"), 4),
        ("无痛胃肠镜", Some("hospital"), 2),
        ("腹腔镜胆囊切除术", None, 3),
    ] {
        let (s, b) = app
            .post(
                "/api/v1/techniques",
                &w.admin,
                json!({"program_id": w.program_a, "institution_id": w.recipient, "name": name,
                       "specialty_code": "03.04", "gap_level": gap, "surgical_grade": grade,
                       "introduced_on": "2026-04-01"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }

    let (s, values) = app
        .get(
            &format!(
                "/api/v1/programs/{}/indicators?until=2030-12-31",
                w.program_a
            ),
            &w.admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{values}");
    let values = values.as_array().expect("a list").clone();
    let value = |code: &str| {
        values
            .iter()
            .find(|v| v["code"] == code)
            .and_then(|v| v["value"].as_i64())
            .unwrap_or(-1)
    };
    assert_eq!(value("work-days"), 3);
    assert_eq!(value("clinic-sessions"), 2);
    assert_eq!(value("bookings"), 3);
    assert_eq!(value("patients-seen"), 2);
    assert_eq!(value("outreach-sessions"), 1);
    assert_eq!(value("outreach-patients"), 1);
    assert_eq!(value("apprentices"), 2);
    assert_eq!(value("techniques"), 3);
    assert_eq!(value("gaps-filled-county"), 1);
    assert_eq!(value("gaps-filled-hospital"), 1);
    assert_eq!(value("gaps-filled-city"), 0);
    assert_eq!(value("techniques-grade-3-4"), 2);
    for v in &values {
        if v["measure"] != "count" {
            continue;
        }
        let url = v["records_url"].as_str().expect("records_url");
        let (s, list) = app.get(url, &w.admin).await;
        assert_eq!(s, StatusCode::OK, "{url}: {list}");
        assert_eq!(list["total"], v["value"], "{} → {url}", v["code"]);
    }
    assert_narrowed_lists_count_the_rollup(&app, &w, &values).await;
    // Program B has none of it.
    let (s, other) = app
        .get(
            &format!(
                "/api/v1/programs/{}/indicators?until=2030-12-31",
                w.program_b
            ),
            &w.admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{other}");
    for v in other.as_array().expect("a list") {
        assert_eq!(v["value"], 0, "{v}");
    }
}

/// Narrowed to each institution the roll-up attributes records to, each counted indicator's
/// list still counts exactly what the roll-up holds for that institution.
async fn assert_narrowed_lists_count_the_rollup(
    app: &TestApp,
    w: &World,
    values: &[serde_json::Value],
) {
    let mut checked = 0;
    let scope = shanhai_store::rollups::Scope {
        program: Some(w.program_a.clone()),
        until: "2030-12-31".into(),
        ..Default::default()
    };
    for v in values {
        if v["measure"] != "count" {
            continue;
        }
        let code = v["code"].as_str().expect("code");
        let rows = shanhai_store::rollups::breakdown(
            &app.db,
            &scope,
            code,
            shanhai_store::rollups::By::Institution,
        )
        .await
        .expect("breakdown");
        for (institution, n) in rows {
            let within = shanhai_web::api::indicators::Within {
                program: &w.program_a,
                until: "2030-12-31",
                institution: Some(&institution),
                ..Default::default()
            };
            let Some(url) = shanhai_web::api::indicators::records_url(code, &within) else {
                continue;
            };
            let (s, list) = app.get(&url, &w.admin).await;
            assert_eq!(s, StatusCode::OK, "{url}: {list}");
            checked += 1;
            assert_eq!(list["total"], n, "{code} at {institution} → {url}");
        }
    }
    assert!(checked > 0, "no institution was checked");
}
