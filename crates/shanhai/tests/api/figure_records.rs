//! The records behind a program's figures: the program office opens every figure it reads to
//! exactly the records it counts, de-identified where patients are involved (date, type,
//! institutions, state, turnaround — no name, ID number or case text); the reads are audited;
//! a start date narrows the figures and their records alike.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Every row of an API list (page by page) and its `total`.
async fn all_rows(app: &TestApp, url: &str, token: &str) -> (StatusCode, i64, Vec<Value>) {
    let mut rows = Vec::new();
    let mut page = 1;
    loop {
        let sep = if url.contains('?') { '&' } else { '?' };
        let (s, list) = app
            .get(&format!("{url}{sep}page={page}&per_page=200"), token)
            .await;
        if s != StatusCode::OK {
            return (s, 0, rows);
        }
        let items = list["items"].as_array().cloned().unwrap_or_default();
        let total = list["total"].as_i64().unwrap_or(-1);
        let done = items.is_empty() || rows.len() + items.len() >= total as usize;
        rows.extend(items);
        if done {
            return (s, total, rows);
        }
        page += 1;
    }
}

/// Patient details the fixtures write, none of which a figure's records may show.
const PATIENT_DETAILS: &[&str] = &[
    "王小明",
    "李桂兰",
    "胸痛3小时",
    "是否急诊PCI",
    "肺部占位",
    "patient",
    "case_summary",
    "question",
    "reason",
];

/// Records of program A: two consultations from R to D (one accepted), an up-referral, two
/// regulations (2023 and 2024), a teaching activity and funding.
async fn fixtures(app: &TestApp, w: &World) {
    let clinician = app.token("clinician-r").await;
    let first = crate::consultations::request(app, w, &clinician).await;
    crate::consultations::request(app, w, &clinician).await;
    let coord_d = app.token("coord-d").await;
    let (s, b) = app
        .post(
            &format!(
                "/api/v1/consultations/{}/accept",
                first["id"].as_str().expect("id")
            ),
            &coord_d,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = app
        .post(
            "/api/v1/referrals",
            &clinician,
            json!({"direction": "up", "urgency": "routine", "to_institution_id": w.donor,
                   "patient": {"name": "李桂兰", "sex": "female", "age": 58}, "reason": "肺部占位"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    for adopted_on in ["2023-03-01", "2024-03-01"] {
        let (s, b) = app
            .post(
                "/api/v1/regulations",
                &w.admin,
                json!({"program_id": w.program_a, "institution_id": w.recipient, "title": "医疗质量安全核心制度",
                       "area": "医疗质量", "adopted_on": adopted_on}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let (s, b) = app
        .post(
            "/api/v1/teaching-activities",
            &w.admin,
            json!({"program_id": w.program_a, "institution_id": w.recipient, "kind": "lecture",
                   "held_on": "2024-04-02", "place": "示教室", "topic": "教学", "duration_minutes": 60,
                   "attendance": 35}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = app
        .post(
            "/api/v1/funding-items",
            &w.admin,
            json!({"program_id": w.program_a, "institution_id": w.recipient, "amount_fen": 500_000,
                   "source": "对口支援资金", "purpose": "胸痛中心建设", "granted_on": "2024-05-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

/// Each figure's records as `token` opens them: a count's `total` is its value, a sum's rows
/// add up to it; no row carries a patient detail. The rows of the `consultations` figure.
async fn every_figure_opens_to_its_records(app: &TestApp, values: &[Value], token: &str) {
    let mut opened = 0;
    for v in values {
        let code = v["code"].as_str().expect("code");
        let url = v["records_url"].as_str().expect("records_url");
        if url.is_empty() {
            continue;
        }
        let (s, total, rows) = all_rows(app, url, token).await;
        assert_eq!(s, StatusCode::OK, "{code} → {url}");
        let value = v["value"].as_i64().expect("value");
        if v["measure"] == "count" {
            assert_eq!(total, value, "{code} → {url}");
        } else if url.contains("/indicators/") {
            let sum: i64 = rows.iter().map(|r| r["value"].as_i64().unwrap_or(0)).sum();
            assert_eq!(sum, value, "{code} → {url}");
        }
        if url.contains("/indicators/") {
            let text = serde_json::to_string(&rows).expect("json");
            for detail in PATIENT_DETAILS {
                assert!(!text.contains(detail), "{code}: {detail} in {text}");
            }
        }
        opened += 1;
    }
    assert!(opened > 40, "only {opened} figures opened");
}

#[tokio::test]
async fn the_office_opens_every_figure_to_exactly_its_records_de_identified() {
    let app = spawn_app().await;
    let w = world(&app).await;
    fixtures(&app, &w).await;
    let office = app.token("office").await;
    let (s, values) = app
        .get(
            &format!(
                "/api/v1/programs/{}/indicators?until=2030-12-31",
                w.program_a
            ),
            &office,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{values}");
    let values = values.as_array().expect("a list").clone();
    every_figure_opens_to_its_records(&app, &values, &office).await;

    // The consultations figure: its two records, with date, type, institutions, state and
    // turnaround, and nothing about the patient.
    let figure = values
        .iter()
        .find(|v| v["code"] == "consultations")
        .expect("consultations");
    assert_eq!(figure["value"], 2);
    let url = figure["records_url"].as_str().expect("url");
    let (s, list) = app.get(url, &office).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 2, "{list}");
    let row = &list["items"][0];
    for key in [
        "date",
        "kind",
        "from_institution_name",
        "to_institution_name",
        "state",
        "urgency",
    ] {
        assert!(!row[key].is_null(), "{key} in {row}");
    }
    assert_eq!(row["kind"], "mdt");
    assert_eq!(row["from_institution_name"], "包头市中心医院");
    assert_eq!(row["to_institution_name"], "上海交通大学医学院附属瑞金医院");
    let keys: Vec<&String> = row.as_object().expect("object").keys().collect();
    for forbidden in [
        "patient_name_masked",
        "patient_id_number_masked",
        "case_summary",
    ] {
        assert!(!keys.iter().any(|k| k.as_str() == forbidden), "{keys:?}");
    }
    // The consultation's own list is still closed to the office: patient data stays with the
    // hospitals taking part.
    let (s, own) = app
        .get(
            &format!("/api/v1/consultations?program={}", w.program_a),
            &office,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{own}");
    assert_eq!(own["total"], 0, "{own}");

    // Each read of records about patients is audited, with the records listed.
    let (s, audit) = app
        .get("/api/v1/audit?entity=figure-records&action=read", &w.admin)
        .await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    let entries = audit["items"].as_array().expect("items");
    assert!(
        entries.iter().any(|e| e["entity_id"]
            .as_str()
            .is_some_and(|id| id.ends_with("/consultations"))),
        "{audit}"
    );

    // Narrowed to the requesting hospital, the list is the institution's share of the figure.
    let (s, narrowed) = app
        .get(&format!("{url}&institution={}", w.recipient), &office)
        .await;
    assert_eq!(s, StatusCode::OK, "{narrowed}");
    assert_eq!(narrowed["total"], 2);
    let (s, narrowed) = app
        .get(&format!("{url}&institution={}", w.donor), &office)
        .await;
    assert_eq!(s, StatusCode::OK, "{narrowed}");
    assert_eq!(narrowed["total"], 0);

    // A hospital's staff open the records their hospital takes part in (both sides); an
    // unrelated hospital's none; another program's office is refused.
    for (user, seen) in [("coord-d", 2), ("coord-r", 2), ("coord-u", 0)] {
        let token = app.token(user).await;
        let (s, list) = app.get(url, &token).await;
        assert_eq!(s, StatusCode::OK, "{user}: {list}");
        assert_eq!(list["total"], seen, "{user}");
    }
    app.add_user("office-b", "program-office", Some(&w.program_b), None)
        .await;
    let office_b = app.token("office-b").await;
    let (s, _) = app.get(url, &office_b).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Not an indicator, not a date: 422 naming the field.
    let (s, b) = app
        .get(
            &format!(
                "/api/v1/programs/{}/indicators/no-such-figure/records",
                w.program_a
            ),
            &office,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (s, b) = app.get(&format!("{url}&from=2024-13-01"), &office).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "from", "{b}");

    // The records page shows the same list with labels: no API address, no UUID, no code.
    let browser = Browser::sign_in(&app, "office").await;
    let (s, html) = browser
        .get(&format!(
            "/records?src={}&title=x&expect=2",
            url.replace('/', "%2F")
                .replace('?', "%3F")
                .replace('=', "%3D")
                .replace('&', "%26")
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("data-total=\"2\""), "{html}");
    assert!(html.contains("data-rows=\"2\""), "{html}");
    assert!(
        html.contains("包头市中心医院") && html.contains("多学科"),
        "{html}"
    );
    assert!(!html.contains("records-partial"), "no '0 visible' note");
    // What the page prints (its text, not the download links' addresses).
    let body: String = html
        .split("href=\"")
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part
            } else {
                part.split_once('"').map_or(part, |(_, rest)| rest)
            }
        })
        .collect();
    assert!(!body.contains("/api/v1/"), "{body}");
    assert!(!body.contains(&w.program_a), "{body}");
    for detail in ["王小明", "胸痛3小时", "是否急诊PCI"] {
        assert!(!html.contains(detail), "{detail}");
    }
}

#[tokio::test]
async fn a_start_date_narrows_the_figures_their_records_and_the_briefing() {
    let app = spawn_app().await;
    let w = world(&app).await;
    fixtures(&app, &w).await;
    let office = app.token("office").await;
    let get_values = |from: &'static str| {
        let (app, office, program) = (&app, office.clone(), w.program_a.clone());
        async move {
            let (s, values) = app
                .get(
                    &format!("/api/v1/programs/{program}/indicators?from={from}&until=2030-12-31"),
                    &office,
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{values}");
            values.as_array().expect("a list").clone()
        }
    };
    let value = |values: &[Value], code: &str| {
        values
            .iter()
            .find(|v| v["code"] == code)
            .and_then(|v| v["value"].as_i64())
            .unwrap_or(-1)
    };
    let all = get_values("").await;
    let since_2024 = get_values("2024-01-01").await;
    let first_half_2024 = {
        let (s, values) = app
            .get(
                &format!(
                    "/api/v1/programs/{}/indicators?from=2024-01-01&until=2024-06-30",
                    w.program_a
                ),
                &office,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{values}");
        values.as_array().expect("a list").clone()
    };
    assert_eq!(value(&all, "regulations"), 2);
    assert_eq!(value(&since_2024, "regulations"), 1, "not the 2023 one");
    assert_eq!(value(&first_half_2024, "regulations"), 1);
    assert_eq!(value(&first_half_2024, "teaching-attendance"), 35);
    assert_eq!(value(&first_half_2024, "funding"), 500_000);
    assert_eq!(
        value(&first_half_2024, "consultations"),
        0,
        "requested today"
    );
    assert_eq!(value(&since_2024, "consultations"), 2);
    for values in [&since_2024, &first_half_2024] {
        for v in values.iter() {
            let url = v["records_url"].as_str().expect("url");
            assert!(
                url.is_empty() || url.contains("from=2024-01-01"),
                "{url} keeps the start date"
            );
        }
        every_figure_opens_to_its_records(&app, values, &office).await;
    }
    // A start date after the end, or not a date: 422 naming the field; nothing else changes.
    for (query, field) in [
        ("from=2025-01-01&until=2024-01-01", "until"),
        ("from=01/01/2024", "from"),
    ] {
        let (s, b) = app
            .get(
                &format!("/api/v1/programs/{}/indicators?{query}", w.program_a),
                &office,
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {b}");
        assert_eq!(b["error"]["field"], field, "{query}: {b}");
    }
    // The old parameters still work: `until` alone.
    let (s, b) = app
        .get(
            &format!(
                "/api/v1/programs/{}/indicators?until=2030-12-31",
                w.program_a
            ),
            &office,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    // The briefing over a half year: its dateline names the period, its figures are the
    // period's, each linking to the period's records.
    let (s, b) = app
        .get(
            &format!(
                "/api/v1/programs/{}/briefing?from=2024-01-01&until=2024-06-30",
                w.program_a
            ),
            &office,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["from"], "2024-01-01");
    assert_eq!(b["until"], "2024-06-30");
    let figures = b["figures"].as_array().expect("figures");
    let regulations = figures
        .iter()
        .find(|f| f["code"] == "regulations")
        .expect("regulations quoted");
    assert_eq!(regulations["value"], 1);
    for f in figures.iter().filter(|f| f["counted"] == true) {
        let url = f["records_url"].as_str().expect("url");
        let (s, list) = app.get(url, &office).await;
        assert_eq!(s, StatusCode::OK, "{url}");
        assert_eq!(list["total"], f["value"], "{url}");
    }
    let (s, b) = app
        .get(
            &format!(
                "/api/v1/programs/{}/briefing?from=2024-07-01&until=2024-06-30",
                w.program_a
            ),
            &office,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    // The pages take the start date too.
    let browser = Browser::sign_in(&app, "office").await;
    let (s, html) = browser
        .get(&format!(
            "/programs/{}/briefing?from=2024-01-01&until=2024-06-30",
            w.program_a
        ))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("name=\"from\" value=\"2024-01-01\""),
        "{html}"
    );
    let (s, html) = browser
        .get("/dashboard?from=2024-01-01&until=2024-06-30")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("name=\"from\" value=\"2024-01-01\""),
        "{html}"
    );
    assert!(html.contains("2024-01-01 – 2024-06-30"), "{html}");
}
