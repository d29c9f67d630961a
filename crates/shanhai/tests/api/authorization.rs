//! Walks every endpoint with every role, with a coordinator of an unrelated institution and with
//! the office of another program (`office-b`, of program B), and checks who is allowed and who
//! is refused.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};

const ROLES: &[&str] = &[
    "admin",
    "office",
    "coord-d",
    "coord-r",
    "coord-u",
    "expert-d",
    "clinician-r",
    "office-b",
];

struct Case {
    method: Method,
    path: String,
    body: Option<Box<dyn Fn(usize) -> Value>>,
    allowed: &'static [&'static str],
}

fn case(method: Method, path: String, allowed: &'static [&'static str]) -> Case {
    Case {
        method,
        path,
        body: None,
        allowed,
    }
}

fn with_body(
    method: Method,
    path: String,
    allowed: &'static [&'static str],
    body: impl Fn(usize) -> Value + 'static,
) -> Case {
    Case {
        method,
        path,
        body: Some(Box::new(body)),
        allowed,
    }
}

const EVERYONE: &[&str] = ROLES;
const ADMIN: &[&str] = &["admin"];

#[tokio::test]
async fn every_endpoint_allows_exactly_the_roles_it_should() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut tokens = Vec::new();
    for role in ROLES.iter().filter(|r| **r != "office-b") {
        tokens.push((
            role,
            if *role == "admin" {
                w.admin.clone()
            } else {
                app.token(role).await
            },
        ));
    }
    app.add_user("office-b", "program-office", Some(&w.program_b), None)
        .await;
    tokens.push((&"office-b", app.token("office-b").await));
    let n = std::sync::Arc::new(AtomicUsize::new(0));
    let (donor, recipient, unrelated) = (w.donor.clone(), w.recipient.clone(), w.unrelated.clone());
    let (program_a, program_b, pairing) =
        (w.program_a.clone(), w.program_b.clone(), w.pairing.clone());
    let r2 = recipient.clone();
    let r3 = recipient.clone();
    let u2 = unrelated.clone();
    let pa = program_a.clone();
    let (d2, r4) = (donor.clone(), recipient.clone());
    let r5 = recipient.clone();
    let pairing2 = pairing.clone();
    let (s_status, batch) = app
        .post(
            "/api/v1/batches",
            &w.admin,
            json!({"program_id": program_a, "pairing_id": pairing, "number": 99, "start_date": "2025-01-01", "end_date": "2025-12-31"}),
        )
        .await;
    assert_eq!(s_status, StatusCode::CREATED, "{batch}");
    let batch = batch["id"].as_str().expect("batch id").to_string();
    let session =
        crate::clinic_sessions::session(&app, &w, 10, &crate::clinic_sessions::today()).await;
    let (pa2, pa3, pairing3) = (program_a.clone(), program_a.clone(), pairing.clone());
    let (person_d, r6, r7, dep_r) = (
        w.person_d.clone(),
        recipient.clone(),
        recipient.clone(),
        w.department_r.clone(),
    );
    let (batch2, person_d2) = (batch.clone(), w.person_d.clone());
    // An expert's assignment (after the one-off visits the walk dispatches in March) and a
    // workload report under it, for the workload paths.
    let (s_status, stationed) = app
        .post(
            "/api/v1/assignments",
            &w.admin,
            json!({"batch_id": batch, "person_id": w.person_d, "institution_id": w.recipient, "mode": "stationed",
                   "post": "team-member", "start_date": "2025-04-01", "end_date": "2025-12-31"}),
        )
        .await;
    assert_eq!(s_status, StatusCode::CREATED, "{stationed}");
    let stationed = stationed["id"].as_str().expect("assignment id").to_string();
    let workload_body = move |day: i64| {
        let d = (chrono::NaiveDate::from_ymd_opt(2025, 4, 1).expect("date")
            + chrono::Duration::days(day))
        .to_string();
        json!({"assignment_id": stationed, "period_start": d, "period_end": d,
               "outpatients": 30, "admissions": 4, "operations": 1})
    };
    let (s_status, report) = app
        .post("/api/v1/workload-reports", &w.admin, workload_body(0))
        .await;
    assert_eq!(s_status, StatusCode::CREATED, "{report}");
    let report = report["id"].as_str().expect("report id").to_string();
    let workload_body2 = workload_body.clone();

    // Capacity building: one record of each collection at the recipient, created by the admin,
    // for the item paths; and people at the recipient to take as apprentices.
    let capacity_body = capacity_bodies(&w);
    let mut capacity_ids = std::collections::BTreeMap::new();
    for (collection, body) in &capacity_body {
        let (s, b) = app
            .post(&format!("/api/v1/{collection}"), &w.admin, body(0))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{collection}: {b}");
        let id = b["id"].as_str().expect("capacity id").to_string();
        capacity_ids.insert(*collection, id);
    }
    let mut apprentices = Vec::new();
    for k in 0..3 {
        let (s, b) = app
            .post(
                "/api/v1/people",
                &w.admin,
                json!({"name": format!("徒弟{k}"), "gender": "female", "title": "resident-physician", "institution_id": w.recipient}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        apprentices.push(b["id"].as_str().expect("person id").to_string());
    }
    let cases = vec![
        case(Method::GET, "/api/v1/auth/me".into(), EVERYONE),
        case(Method::GET, "/api/v1/regions".into(), EVERYONE),
        with_body(
            Method::POST,
            "/api/v1/regions".into(),
            ADMIN,
            |i| json!({"code": format!("1502{:02}", 10 + i), "name": "测试区", "parent_code": "150200"}),
        ),
        with_body(
            Method::PUT,
            "/api/v1/regions/150203".into(),
            ADMIN,
            |_| json!({"code": "150203", "name": "昆都仑区", "parent_code": "150200"}),
        ),
        case(Method::GET, "/api/v1/institutions".into(), EVERYONE),
        case(
            Method::GET,
            format!("/api/v1/institutions/{recipient}"),
            EVERYONE,
        ),
        with_body(
            Method::POST,
            "/api/v1/institutions".into(),
            &["admin", "office", "office-b"],
            |i| json!({"name": format!("测试医院{i}"), "kind": "hospital", "grade": "2A", "region_code": "150203"}),
        ),
        with_body(
            Method::PUT,
            format!("/api/v1/institutions/{recipient}"),
            &["admin", "office", "coord-r"],
            |_| json!({"name": "包头市中心医院", "kind": "hospital", "grade": "3A", "region_code": "150203"}),
        ),
        case(Method::GET, "/api/v1/departments".into(), EVERYONE),
        with_body(
            Method::POST,
            "/api/v1/departments".into(),
            &["admin", "office", "coord-r"],
            move |i| json!({"institution_id": r2, "specialty_code": "07", "name": format!("儿科{i}")}),
        ),
        with_body(
            Method::PUT,
            format!("/api/v1/departments/{}", w.department_r),
            &["admin", "office", "coord-r"],
            move |_| json!({"institution_id": r3, "specialty_code": "03.04", "name": "心血管内科"}),
        ),
        case(Method::GET, "/api/v1/people".into(), EVERYONE),
        case(
            Method::GET,
            format!("/api/v1/people/{}", w.person_r),
            &["admin", "office", "coord-d", "coord-r", "clinician-r"],
        ),
        case(
            Method::GET,
            format!("/api/v1/people/{}", w.person_d),
            &["admin", "office", "coord-d", "expert-d"],
        ),
        case(
            Method::GET,
            format!("/api/v1/people/{}", w.person_u),
            &["admin", "coord-u"],
        ),
        with_body(
            Method::PUT,
            format!("/api/v1/people/{}", w.person_r),
            &["admin", "office", "coord-r"],
            move |_| json!({"name": "包医生", "gender": "female", "title": "chief-physician", "institution_id": r4}),
        ),
        with_body(
            Method::POST,
            "/api/v1/people".into(),
            &["admin", "coord-u"],
            move |i| json!({"name": format!("新人{i}"), "gender": "male", "title": "resident-physician", "institution_id": u2}),
        ),
        case(Method::GET, "/api/v1/programs".into(), EVERYONE),
        case(
            Method::GET,
            format!("/api/v1/programs/{program_a}"),
            EVERYONE,
        ),
        case(
            Method::GET,
            format!("/api/v1/programs/{program_a}/briefing?until=2030-12-31"),
            EVERYONE,
        ),
        case(
            Method::GET,
            format!("/api/v1/programs/{program_a}/briefing?format=docx"),
            EVERYONE,
        ),
        with_body(
            Method::POST,
            "/api/v1/programs".into(),
            ADMIN,
            |i| json!({"name": format!("新项目{i}"), "kind": "team-based", "start_date": "2024-01-01"}),
        ),
        with_body(
            Method::PUT,
            format!("/api/v1/programs/{program_a}"),
            &["admin", "office"],
            |_| json!({"name": "沪蒙医疗协作", "kind": "east-west", "start_date": "2021-01-01"}),
        ),
        with_body(
            Method::PUT,
            format!("/api/v1/programs/{program_b}"),
            &["admin", "office-b"],
            |_| json!({"name": "其他项目", "kind": "east-west", "start_date": "2021-01-01"}),
        ),
        case(Method::GET, "/api/v1/pairings".into(), EVERYONE),
        case(Method::GET, format!("/api/v1/pairings/{pairing}"), EVERYONE),
        case(Method::GET, "/api/v1/rollups".into(), EVERYONE),
        case(
            Method::GET,
            format!("/api/v1/rollups?indicator=consultations&program={program_a}&group=month"),
            EVERYONE,
        ),
        with_body(
            Method::POST,
            "/api/v1/pairings".into(),
            &["admin", "office"],
            move |i| {
                let department = ["03", "04", "05", "07", "10", "11", "12"][i % 7];
                json!({"program_id": pa, "donor_id": d2, "recipient_id": r5, "level": "department", "mode": "counterpart",
                   "departments": [department], "start_date": "2022-01-01"})
            },
        ),
    ];
    let mut cases = cases;
    cases.extend(pairing_cases(&app, &w).await);
    cases.extend(vec![
        case(
            Method::GET,
            "/api/v1/agreements".into(),
            &["admin", "office", "coord-d", "coord-r", "coord-u", "office-b"],
        ),
        case(
            Method::GET,
            format!("/api/v1/agreements/{}", w.agreement),
            &["admin", "office", "coord-d", "coord-r"],
        ),
        with_body(
            Method::POST,
            "/api/v1/agreements".into(),
            &["admin", "office"],
            move |_| json!({"pairing_id": pairing2, "signed_on": "2024-05-01", "term_years": 3, "scope": "续签"}),
        ),
        case(Method::GET, "/api/v1/users".into(), ADMIN),
        with_body(
            Method::POST,
            "/api/v1/users".into(),
            ADMIN,
            |i| json!({"username": format!("new-user-{i}"), "password": "long-enough-password", "role": "platform-admin"}),
        ),
        case(Method::GET, "/api/v1/audit".into(), ADMIN),
        case(Method::GET, "/api/v1/dispatch-schemes".into(), EVERYONE),
        with_body(
            Method::POST,
            "/api/v1/dispatch-schemes".into(),
            &["admin", "office"],
            move |i| json!({"program_id": pa2, "name": format!("派驻方式{i}")}),
        ),
        case(Method::GET, "/api/v1/batches".into(), EVERYONE),
        with_body(
            Method::POST,
            "/api/v1/batches".into(),
            &["admin", "office", "coord-d"],
            move |i| json!({"program_id": pa3, "pairing_id": pairing3, "number": i + 100, "start_date": "2026-01-01", "end_date": "2026-06-30"}),
        ),
        case(Method::GET, "/api/v1/assignments".into(), EVERYONE),
        with_body(
            Method::POST,
            "/api/v1/assignments".into(),
            &["admin", "office", "coord-d"],
            move |i| {
                let day = format!("2025-03-{:02}", 1 + i % 28);
                json!({"batch_id": batch2, "person_id": person_d, "institution_id": r6, "mode": "one-off", "post": "team-member",
                   "start_date": day, "end_date": day})
            },
        ),
        case(
            Method::GET,
            "/api/v1/dispatch/calendar?region=150000".into(),
            EVERYONE,
        ),
        case(Method::GET, "/api/v1/workload-reports".into(), EVERYONE),
        case(
            Method::GET,
            format!("/api/v1/workload-reports/{report}"),
            EVERYONE,
        ),
        // Whoever may record the assignment's days: the recipient's side and the dispatchers.
        with_body(
            Method::POST,
            "/api/v1/workload-reports".into(),
            &["admin", "office", "coord-d", "coord-r"],
            move |i| workload_body(1 + (i % 270) as i64),
        ),
        with_body(
            Method::PUT,
            format!("/api/v1/workload-reports/{report}"),
            &["admin", "office", "coord-d", "coord-r"],
            move |_| workload_body2(0),
        ),
        case(Method::GET, "/api/v1/clinic-sessions".into(), EVERYONE),
        case(
            Method::GET,
            format!("/api/v1/clinic-sessions/{session}"),
            EVERYONE,
        ),
        with_body(
            Method::POST,
            "/api/v1/clinic-sessions".into(),
            &["admin", "office", "coord-r"],
            move |_| {
                json!({"expert_id": person_d2, "institution_id": r7, "department_id": dep_r, "date": "2030-01-02",
                   "start": "08:00", "end": "12:00", "capacity": 20})
            },
        ),
        case(
            Method::GET,
            format!("/api/v1/clinic-sessions/{session}/bookings"),
            &["admin", "office", "coord-r"],
        ),
    ]);
    cases.extend(capacity_cases(
        &w,
        &capacity_body,
        &capacity_ids,
        &apprentices,
    ));

    let mut failures = Vec::new();
    for c in &cases {
        let anon = app
            .request(
                c.method.clone(),
                &c.path,
                None,
                c.body.as_ref().map(|b| b(0)).as_ref(),
            )
            .await;
        if anon.status() != StatusCode::UNAUTHORIZED {
            failures.push(format!(
                "{} {} without a token: {}",
                c.method,
                c.path,
                anon.status()
            ));
        }
        for (role, token) in &tokens {
            let i = n.fetch_add(1, Ordering::SeqCst);
            let body = c.body.as_ref().map(|b| b(i));
            let r = app
                .request(c.method.clone(), &c.path, Some(token), body.as_ref())
                .await;
            let status = r.status();
            let allowed = c.allowed.contains(role);
            let ok = if allowed {
                status.is_success()
            } else {
                status == StatusCode::FORBIDDEN
            };
            if !ok {
                let text = r.text().await.unwrap_or_default();
                failures.push(format!(
                    "{} {} as {role}: {status} (expected {}) {text}",
                    c.method,
                    c.path,
                    if allowed { "2xx" } else { "403" }
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorization mismatches:\n{}",
        failures.join("\n")
    );
}

/// Who may read a recipient's capacity records: whoever reaches the recipient.
pub(crate) const CAPACITY_READ: &[&str] = &["admin", "office", "coord-d", "coord-r", "clinician-r"];
/// Who may write them: whoever may change the recipient's data (the program office under its
/// own program; this program gives the donor side read access only).
pub(crate) const CAPACITY_WRITE: &[&str] = &["admin", "office", "coord-r"];

pub(crate) type Body = Box<dyn Fn(usize) -> Value>;

/// A body for each capacity collection at the recipient under program A; `i` keeps the
/// records that must be unique apart.
pub(crate) fn capacity_bodies(w: &World) -> Vec<(&'static str, std::rc::Rc<Body>)> {
    let (p, r, d) = (w.program_a.clone(), w.recipient.clone(), w.donor.clone());
    let (pr, pd) = (w.person_r.clone(), w.person_d.clone());
    let body = |f: Box<dyn Fn(usize) -> Value>| std::rc::Rc::new(f);
    vec![
        (
            "placements",
            body({
                let (p, r, d, pr) = (p.clone(), r.clone(), d.clone(), pr.clone());
                Box::new(move |_| {
                    json!({"program_id": p, "institution_id": r, "person_id": pr, "host_institution_id": d,
                "subject": "心血管介入进修", "start_date": "2024-09-01"})
                })
            }),
        ),
        (
            "team-pairings",
            body({
                let (p, r, d) = (p.clone(), r.clone(), d.clone());
                Box::new(move |_| {
                    json!({"program_id": p, "institution_id": r, "local_team": "心内科团队",
                "donor_institution_id": d, "donor_team": "瑞金心脏团队", "start_date": "2024-01-01"})
                })
            }),
        ),
        (
            "teaching-activities",
            body({
                let (p, r) = (p.clone(), r.clone());
                Box::new(move |_| {
                    json!({"program_id": p, "institution_id": r, "kind": "teaching-round",
                "held_on": "2025-03-04", "place": "心内科病房", "topic": "急性心梗的再灌注策略", "duration_minutes": 90, "attendance": 25})
                })
            }),
        ),
        (
            "training-kpis",
            body({
                let (p, r) = (p.clone(), r.clone());
                // The record set up first is 2099's; the others take a year of their own.
                Box::new(move |i| {
                    json!({"program_id": p, "institution_id": r, "indicator": "licensing-first-pass",
                "year": if i == 0 { 2099 } else { 2000 + (i % 90) as i64 }, "candidates": 25, "passed": 23})
                })
            }),
        ),
        (
            "workstations",
            body({
                let (p, r, pd) = (p.clone(), r.clone(), pd.clone());
                Box::new(move |_| {
                    json!({"program_id": p, "institution_id": r, "kind": "studio",
                "name": "瑞金心脏名医工作室", "lead_expert_id": pd, "opened_on": "2023-05-01"})
                })
            }),
        ),
        (
            "specialty-projects",
            body({
                let (p, r) = (p.clone(), r.clone());
                Box::new(move |_| {
                    json!({"program_id": p, "institution_id": r, "name": "心血管内科重点专科",
                "level": "provincial", "started_on": "2023-01-01"})
                })
            }),
        ),
        (
            "regulations",
            body({
                let (p, r) = (p.clone(), r.clone());
                Box::new(move |i| {
                    json!({"program_id": p, "institution_id": r, "title": format!("胸痛中心管理制度{i}"),
                "area": "医疗质量", "adopted_on": "2024-01-01"})
                })
            }),
        ),
        (
            "research-outputs",
            body({
                let (p, r, pr) = (p.clone(), r.clone(), pr.clone());
                Box::new(move |_| {
                    json!({"program_id": p, "institution_id": r, "kind": "paper",
                "title": "急性心梗救治现状分析", "person_id": pr, "dated_on": "2024-10-01"})
                })
            }),
        ),
        (
            "accreditation-goals",
            body({
                let (p, r) = (p.clone(), r.clone());
                Box::new(move |_| {
                    json!({"program_id": p, "institution_id": r, "goal": "grade-3a", "status": "achieved",
                "achieved_on": "2024-12-01"})
                })
            }),
        ),
        // ---- training and management (issue 18, helper "training") ----
        (
            "training-schemes",
            body({
                let (p, r, d) = (p.clone(), r.clone(), d.clone());
                Box::new(move |i| {
                    json!({"program_id": p, "institution_id": r, "name": format!("雏鹰行动{i}"),
                "kind": "further-study", "host_institution_id": d, "started_on": "2024-03-01"})
                })
            }),
        ),
        (
            "lecture-series",
            body({
                let (p, r) = (p.clone(), r.clone());
                Box::new(move |i| {
                    json!({"program_id": p, "institution_id": r, "name": format!("中原课堂{i}"),
                "kind": "classroom", "started_on": "2024-03-01"})
                })
            }),
        ),
        (
            "cme-enrolments",
            body({
                let (p, r) = (p.clone(), r.clone());
                Box::new(move |i| {
                    json!({"program_id": p, "institution_id": r, "learner_name": format!("学员{i}"),
                "course": "儿童常见病诊治进展", "specialty_code": "07", "enrolled_on": "2024-09-01"})
                })
            }),
        ),
        (
            "department-changes",
            body({
                let (p, r) = (p.clone(), r.clone());
                Box::new(move |_| {
                    json!({"program_id": p, "institution_id": r, "kind": "renamed", "name": "急诊医学科",
                "previous_name": "急诊科", "changed_on": "2024-02-01"})
                })
            }),
        ),
        (
            "patient-returns",
            body({
                let (p, r) = (p.clone(), r.clone());
                Box::new(move |_| {
                    json!({"program_id": p, "institution_id": r, "specialty_code": "19",
                "returned_on": "2024-08-01", "treated_region_code": "310000"})
                })
            }),
        ),
        // ---- end training ----
        (
            "funding-items",
            body({
                let (p, r) = (p.clone(), r.clone());
                Box::new(move |_| {
                    json!({"program_id": p, "institution_id": r, "amount_yuan": "1000000.00",
                "source": "上海市对口支援资金", "purpose": "胸痛中心建设", "granted_on": "2024-03-01"})
                })
            }),
        ),
        (
            "equipment-donations",
            body({
                let (p, r, d) = (p.clone(), r.clone(), d.clone());
                Box::new(move |_| {
                    json!({"program_id": p, "institution_id": r, "donor_institution_id": d,
                "item": "便携式彩超", "quantity": 1, "value_yuan": "350000.00", "donated_on": "2024-05-01"})
                })
            }),
        ),
        (
            "mentorships",
            body({
                let (p, r, pd) = (p.clone(), r.clone(), pd.clone());
                Box::new(move |_| {
                    json!({"program_id": p, "institution_id": r, "mentor_id": pd,
                "term_start": "2025-01-01", "subject": "心血管介入"})
                })
            }),
        ),
        (
            "techniques",
            body({
                let (p, r, pd) = (p.clone(), r.clone(), pd.clone());
                Box::new(move |i| {
                    json!({"program_id": p, "institution_id": r, "name": format!("经桡动脉冠脉介入{i}"),
                "specialty_code": "03.04", "surgical_grade": 4, "expert_id": pd, "introduced_on": "2024-01-01"})
                })
            }),
        ),
        (
            "alliances",
            body({
                let (p, r) = (p.clone(), r.clone());
                Box::new(move |_| {
                    json!({"program_id": p, "institution_id": r, "name": "包头市心血管专科联盟",
                "specialty_code": "03.04", "founded_on": "2023-06-01"})
                })
            }),
        ),
    ]
}

/// A body that follows the walk's calls (without a token first, then each role in `ROLES`
/// order): the `k`th call gets `pick(k)`, so that each allowed role's request is one that can
/// succeed after the one before it.
fn in_call_order(pick: impl Fn(usize) -> Value + 'static) -> impl Fn(usize) -> Value + 'static {
    let calls = std::cell::Cell::new(0usize);
    move |_| {
        let k = calls.get();
        calls.set(k + 1);
        pick(k)
    }
}

fn capacity_cases(
    w: &World,
    bodies: &[(&'static str, std::rc::Rc<Body>)],
    ids: &std::collections::BTreeMap<&'static str, String>,
    apprentices: &[String],
) -> Vec<Case> {
    let mut cases = Vec::new();
    for (collection, body) in bodies {
        let id = &ids[collection];
        cases.push(case(Method::GET, format!("/api/v1/{collection}"), EVERYONE));
        cases.push(case(
            Method::GET,
            format!("/api/v1/{collection}/{id}"),
            CAPACITY_READ,
        ));
        let (b1, b2) = (body.clone(), body.clone());
        cases.push(with_body(
            Method::POST,
            format!("/api/v1/{collection}"),
            CAPACITY_WRITE,
            move |i| b1(i + 1),
        ));
        // The update keeps the record's unique fields as they were.
        cases.push(with_body(
            Method::PUT,
            format!("/api/v1/{collection}/{id}"),
            CAPACITY_WRITE,
            move |_| b2(0),
        ));
    }
    let (m, t, a) = (&ids["mentorships"], &ids["techniques"], &ids["alliances"]);
    // Calls: anonymous, admin, office, coord-d, coord-r, expert-d, clinician-r.
    let people = apprentices.to_vec();
    cases.push(with_body(
        Method::POST,
        format!("/api/v1/mentorships/{m}/apprentices"),
        CAPACITY_WRITE,
        in_call_order(move |k| {
            let who = [0, 0, 1, 2, 2, 2, 2][k.min(6)];
            json!({"person_id": people[who], "joined_on": "2025-01-15"})
        }),
    ));
    cases.push(with_body(
        Method::POST,
        format!("/api/v1/mentorships/{m}/notes"),
        CAPACITY_WRITE,
        |i| json!({"written_on": "2025-02-01", "note": format!("第{i}次带教")}),
    ));
    let (pr, pd) = (w.person_r.clone(), w.person_d.clone());
    cases.push(with_body(
        Method::POST,
        format!("/api/v1/techniques/{t}/cases"),
        CAPACITY_WRITE,
        move |i| {
            let operator = if i % 2 == 0 { &pr } else { &pd };
            json!({"performed_on": "2024-02-01", "operator_id": operator, "supervisor_id": pd, "outcome": "success"})
        },
    ));
    cases.push(with_body(
        Method::POST,
        format!("/api/v1/techniques/{t}/stage"),
        CAPACITY_WRITE,
        in_call_order(|k| {
            let stage = [
                "demonstrated",
                "demonstrated",
                "supervised",
                "independent",
                "independent",
            ][k.min(4)];
            json!({"stage": stage})
        }),
    ));
    let members = [w.donor.clone(), w.unrelated.clone(), w.office_inst.clone()];
    cases.push(with_body(
        Method::POST,
        format!("/api/v1/alliances/{a}/members"),
        CAPACITY_WRITE,
        in_call_order(move |k| {
            let who = [0, 0, 1, 2, 2, 2, 2][k.min(6)];
            json!({"institution_id": members[who], "joined_on": "2024-01-01"})
        }),
    ));
    cases.push(case(
        Method::GET,
        "/api/v1/funding-items/totals".into(),
        EVERYONE,
    ));
    cases.push(case(
        Method::GET,
        "/api/v1/equipment-donations/totals".into(),
        EVERYONE,
    ));
    cases.push(case(
        Method::GET,
        format!("/api/v1/institutions/{}/capacity", w.recipient),
        CAPACITY_READ,
    ));
    cases.push(case(
        Method::GET,
        format!("/api/v1/programs/{}/capacity-settings", w.program_a),
        EVERYONE,
    ));
    cases.push(with_body(
        Method::PUT,
        format!("/api/v1/programs/{}/capacity-settings", w.program_a),
        &["admin", "office"],
        |_| json!({"max_apprentices": 3, "term_months": 3}),
    ));
    cases
}

#[tokio::test]
async fn lists_of_people_are_scoped_to_what_each_role_may_see() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let names = |v: &Value| -> Vec<String> {
        let mut n: Vec<String> = v["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|p| p["name"].as_str().unwrap_or("").to_string())
            .collect();
        n.sort();
        n
    };
    let expect = [
        ("coord-u", vec!["六医生"]),
        ("coord-d", vec!["包医生", "沈专家"]),
        ("coord-r", vec!["包医生"]),
        ("clinician-r", vec!["包医生"]),
        ("office", vec!["包医生", "沈专家"]),
    ];
    for (user, want) in expect {
        let token = app.token(user).await;
        let (status, body) = app.get("/api/v1/people", &token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(names(&body), want, "{user}");
        assert_eq!(body["total"], want.len() as i64, "{user}");
    }
    let (_, all) = app.get("/api/v1/people", &w.admin).await;
    assert_eq!(all["total"], 3);

    let coord_u = app.token("coord-u").await;
    let (status, _) = app
        .get(&format!("/api/v1/people/{}", w.person_r), &coord_u)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let before = app
        .get(&format!("/api/v1/people/{}", w.person_r), &w.admin)
        .await
        .1;
    let (status, _) = app
        .put(
            &format!("/api/v1/people/{}", w.person_r),
            &coord_u,
            json!({"name": "改名", "gender": "male", "title": "resident-physician", "institution_id": w.recipient}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .put(
            &format!("/api/v1/people/{}", w.person_u),
            &coord_u,
            json!({"name": "调走", "gender": "male", "title": "resident-physician", "institution_id": w.recipient}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "moving a person into an unrelated institution"
    );
    let after = app
        .get(&format!("/api/v1/people/{}", w.person_r), &w.admin)
        .await
        .1;
    assert_eq!(before, after);
    assert!(!w.office_inst.is_empty());
}

/// Pairings created and changed by every role. An office pairs, in its own program only,
/// institutions already in it (a side of one of its pairings, or its office institution); a new
/// institution enters a program through the platform admin; an office never moves a pairing to
/// another program. Bodies that would let a later caller through (the admin's bringing an
/// institution in) are the admin's alone: the others ask for an institution nobody admits.
async fn pairing_cases(app: &TestApp, w: &World) -> Vec<Case> {
    let mut new_institution = Vec::new();
    for name in [
        "包头市第一医院",
        "包头市第二医院",
        "包头市第三医院",
        "包头市第四医院",
        "包头市第五医院",
        "包头市第七医院",
        "包头市第八医院",
        "包头市第九医院",
        "包头市第十医院",
        "包头市第十一医院",
    ] {
        new_institution.push(institution(app, &w.admin, name, "hospital", "150203").await);
    }
    let [b1, b2, x1, x2, m1, m2, in_a, in_b, outside, moved_in] =
        <[String; 10]>::try_from(new_institution).expect("ten institutions");
    let pairing = |program: &str, donor: &str, recipient: &str| {
        json!({"program_id": program, "donor_id": donor, "recipient_id": recipient,
               "level": "hospital", "mode": "counterpart", "start_date": "2023-01-01"})
    };
    let create = |body: Value| {
        let admin = w.admin.clone();
        async move {
            let (s, b) = app.post("/api/v1/pairings", &admin, body).await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
            b["id"].as_str().expect("pairing id").to_string()
        }
    };
    // Program B: B1 → B2. Program A: X1 → X2 (to swap a side of), M1 → M2 (to move).
    let pairing_b = create(pairing(&w.program_b, &b1, &b2)).await;
    let pairing_x = create(pairing(&w.program_a, &x1, &x2)).await;
    let pairing_m = create(pairing(&w.program_a, &m1, &m2)).await;
    let (a, b) = (w.program_a.clone(), w.program_b.clone());
    let (donor, recipient) = (w.donor.clone(), w.recipient.clone());
    let admin_first = |admin: Value, others: Value| {
        in_call_order(move |k| {
            if k == 1 {
                admin.clone()
            } else {
                others.clone()
            }
        })
    };
    let departments = |department: &str| {
        json!({"program_id": b, "donor_id": b1, "recipient_id": b2, "level": "department",
               "mode": "counterpart", "departments": [department], "start_date": "2022-01-01"})
    };
    vec![
        // Between institutions already in the program: its office too.
        with_body(
            Method::POST,
            "/api/v1/pairings".into(),
            &["admin", "office-b"],
            admin_first(departments("04"), departments("05")),
        ),
        // Bringing a new institution into program A (the attack of issue 15): the admin only.
        with_body(
            Method::POST,
            "/api/v1/pairings".into(),
            ADMIN,
            admin_first(pairing(&a, &donor, &in_a), pairing(&a, &donor, &outside)),
        ),
        with_body(
            Method::POST,
            "/api/v1/pairings".into(),
            ADMIN,
            admin_first(pairing(&b, &b1, &in_b), pairing(&b, &b1, &outside)),
        ),
        // Program B's institutions into program A: neither office may.
        with_body(
            Method::POST,
            "/api/v1/pairings".into(),
            ADMIN,
            admin_first(pairing(&b, &b2, &b1), pairing(&a, &b1, &b2)),
        ),
        // Changing a pairing, its sides staying in the program.
        with_body(
            Method::PUT,
            format!("/api/v1/pairings/{}", w.pairing),
            &["admin", "office"],
            {
                let body = json!({"program_id": a, "donor_id": donor, "recipient_id": recipient,
                                  "level": "hospital", "mode": "counterpart", "start_date": "2020-01-01"});
                move |_| body.clone()
            },
        ),
        with_body(
            Method::PUT,
            format!("/api/v1/pairings/{pairing_b}"),
            &["admin", "office-b"],
            {
                let body = pairing(&b, &b1, &b2);
                move |_| body.clone()
            },
        ),
        // Swapping in a new institution: the admin only.
        with_body(
            Method::PUT,
            format!("/api/v1/pairings/{pairing_x}"),
            ADMIN,
            admin_first(pairing(&a, &x1, &moved_in), pairing(&a, &x1, &outside)),
        ),
        // Moving a pairing to another program: the admin only (after the admin's move, program
        // B's office asks to move it back).
        with_body(
            Method::PUT,
            format!("/api/v1/pairings/{pairing_m}"),
            ADMIN,
            admin_first(pairing(&b, &m1, &m2), pairing(&a, &m1, &m2)),
        ),
        // Naming an outsider as the program's office institution: the admin only.
        with_body(
            Method::PUT,
            format!("/api/v1/programs/{}", w.program_a),
            ADMIN,
            admin_first(
                json!({"name": "沪蒙医疗协作", "kind": "east-west", "start_date": "2021-01-01",
                       "office_institution_id": w.office_inst}),
                json!({"name": "沪蒙医疗协作", "kind": "east-west", "start_date": "2021-01-01",
                       "office_institution_id": outside}),
            ),
        ),
    ]
}
