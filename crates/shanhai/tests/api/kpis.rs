//! Reported KPIs: a recipient's coordinator enters a period's figures and submits them, the
//! program office approves (the period locks) and reopens with a reason for a correction.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Row;

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

fn value_of<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["values"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["definition"] == code))
        .unwrap_or(&Value::Null)
}

async fn draft(app: &TestApp, token: &str, w: &World, period: &str) -> (StatusCode, Value) {
    app.post(
        "/api/v1/kpi-reports",
        token,
        json!({"institution_id": w.recipient, "program_id": w.program_a, "period": period,
               "values": [
                   {"definition": "licensing-first-pass", "value": "92", "baseline": "20", "target": "90"},
                   {"definition": "average-length-of-stay", "value": "8.69", "baseline": "9.00", "target": "8.50",
                    "note": "同比减少0.31天"}
               ]}),
    )
    .await
}

#[tokio::test]
async fn an_approved_period_is_locked_until_the_office_reopens_it_with_a_reason() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let coord = app.token("coord-r").await;
    let office = app.token("office").await;

    let (s, report) = draft(&app, &coord, &w, "2025").await;
    assert_eq!(s, StatusCode::CREATED, "{report}");
    let r = id(&report);
    assert_eq!(report["state"], "draft");
    assert_eq!(report["period_type"], "year");
    assert_eq!(report["period_start"], "2025-01-01");
    assert_eq!(report["period_end"], "2025-12-31");
    let pass = value_of(&report, "licensing-first-pass");
    assert_eq!(pass["value_scaled"], 9200);
    assert_eq!(pass["baseline_scaled"], 2000);
    assert_eq!(pass["target_scaled"], 9000);
    assert_eq!(pass["value"], "92.00");
    assert_eq!(pass["unit"], "%");
    let stay = value_of(&report, "average-length-of-stay");
    assert_eq!(stay["value_scaled"], 869);
    assert_eq!(stay["direction"], "lower");

    // Entering more while a draft: the whole set is replaced.
    let path = format!("/api/v1/kpi-reports/{r}");
    let values = json!({"values": [
        {"definition": "licensing-first-pass", "value": "92", "baseline": "20", "target": "90"},
        {"definition": "average-length-of-stay", "value": "8.69", "baseline": "9.00", "target": "8.50"},
        {"definition": "outpatient-visits", "value": "1685000", "baseline": "1507000"},
        {"definition": "cmi", "value": "0.9123"}
    ]});
    let (s, b) = app.put(&path, &coord, values).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(value_of(&b, "outpatient-visits")["value_scaled"], 1_685_000);
    assert_eq!(value_of(&b, "cmi")["value_scaled"], 9123);
    assert_eq!(value_of(&b, "cmi")["value"], "0.9123");

    // The institution submits; the office approves, not the institution.
    let (s, b) = app.post(&format!("{path}/submit"), &coord, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["state"], "submitted");
    assert_eq!(b["submitted_by"], "coord-r");
    let (s, b) = app
        .put(
            &path,
            &coord,
            json!({"values": [{"definition": "cmi", "value": "1"}]}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "a submitted report is not edited: {b}"
    );
    let (s, _) = app
        .post(&format!("{path}/approve"), &coord, json!({}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, approved) = app
        .post(&format!("{path}/approve"), &office, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{approved}");
    assert_eq!(approved["state"], "approved");
    assert_eq!(approved["approved_by"], "office");

    // Locked: a change is refused and nothing changes.
    let (s, b) = app
        .put(
            &path,
            &coord,
            json!({"values": [{"definition": "licensing-first-pass", "value": "99"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(b["error"]["code"], "conflict");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("锁定"),
        "{b}"
    );
    let (s, b) = app.put(&path, &office, json!({"values": []})).await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "the office approves, it does not enter: {b}"
    );
    let (_, after) = app.get(&path, &coord).await;
    assert_eq!(after["values"], approved["values"]);
    assert_eq!(after["state"], "approved");
    let (s, _) = app.post(&format!("{path}/submit"), &coord, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT);

    // Reopening needs a reason.
    let (s, b) = app
        .post(&format!("{path}/reopen"), &office, json!({}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "reason");
    let (s, _) = app
        .post(&format!("{path}/reopen"), &office, json!({"reason": "  "}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app
        .post(
            &format!("{path}/reopen"),
            &coord,
            json!({"reason": "录错了"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, still) = app.get(&path, &coord).await;
    assert_eq!(still["state"], "approved");

    let reason = "首考通过率应为93%，原报数据有误";
    let (s, reopened) = app
        .post(
            &format!("{path}/reopen"),
            &office,
            json!({"reason": reason}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{reopened}");
    assert_eq!(reopened["state"], "reopened");
    assert_eq!(reopened["approved_by"], Value::Null);
    let last = reopened["events"]
        .as_array()
        .and_then(|e| e.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(last["action"], "reopen");
    assert_eq!(last["reason"], reason);
    assert_eq!(last["actor_name"], "office");
    let audited = sqlx::query(
        "SELECT after_json FROM audit_log WHERE entity = 'kpi_report' AND entity_id = $1 \
         AND actor_name = 'office' ORDER BY at DESC, id DESC",
    )
    .bind(&r)
    .fetch_all(app.db.pool())
    .await
    .expect("audit");
    assert!(
        audited.iter().any(|row| row
            .try_get::<String, _>("after_json")
            .unwrap_or_default()
            .contains(reason)),
        "the reopen's reason is in the audit log"
    );

    // The correction, resubmitted and approved again.
    let (s, b) = app
        .put(
            &path,
            &coord,
            json!({"values": [
                {"definition": "licensing-first-pass", "value": "93", "baseline": "20", "target": "90"},
                {"definition": "average-length-of-stay", "value": "8.69", "baseline": "9.00", "target": "8.50"}
            ]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(value_of(&b, "licensing-first-pass")["value_scaled"], 9300);
    assert_eq!(
        value_of(&b, "cmi"),
        &Value::Null,
        "the whole set is replaced"
    );
    let (s, _) = app.post(&format!("{path}/submit"), &coord, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = app
        .post(&format!("{path}/approve"), &office, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let actions: Vec<&str> = b["events"]
        .as_array()
        .map(|e| e.iter().filter_map(|x| x["action"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        actions,
        ["create", "submit", "approve", "reopen", "submit", "approve"]
    );

    // The series shows approved figures only, unless asked.
    let (s, d) = draft(&app, &coord, &w, "2024").await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let series = format!(
        "/api/v1/kpi-series?definition=licensing-first-pass&institution={}",
        w.recipient
    );
    let (s, points) = app.get(&series, &office).await;
    assert_eq!(s, StatusCode::OK, "{points}");
    assert_eq!(points.as_array().map(Vec::len), Some(1), "{points}");
    let p = &points[0];
    assert_eq!(p["period"], "2025");
    assert_eq!(p["value"], "93.00");
    assert_eq!(p["value_scaled"], 9300);
    assert_eq!(p["baseline"], "20.00");
    assert_eq!(p["target"], "90.00");
    assert_eq!(p["direction"], "higher");
    assert_eq!(p["unit"], "%");
    assert_eq!(p["target_met"], true);
    let (_, all) = app
        .get(&format!("{series}&include_unapproved=true"), &office)
        .await;
    let periods: Vec<&str> = all
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["period"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(periods, ["2024", "2025"], "oldest first");
    let (_, by_program) = app
        .get(
            &format!(
                "/api/v1/kpi-series?definition=average-length-of-stay&program={}&from=2025&until=2025-12-31",
                w.program_a
            ),
            &office,
        )
        .await;
    assert_eq!(by_program.as_array().map(Vec::len), Some(1), "{by_program}");
    assert_eq!(
        by_program[0]["target_met"], false,
        "8.69 days is above the 8.50 target"
    );

    // Lists filter by state and period.
    let (_, list) = app.get("/api/v1/kpi-reports?state=approved", &office).await;
    assert_eq!(list["total"], 1);
    let (_, list) = app.get("/api/v1/kpi-reports?period=2024", &coord).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["state"], "draft");

    // Before and after: approve 2024 too; the standing runs from 2024 to 2025.
    let p2024 = format!("/api/v1/kpi-reports/{}", id(&d));
    let (s, _) = app
        .post(&format!("{p2024}/submit"), &coord, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .post(&format!("{p2024}/approve"), &office, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, standings) = app
        .get(
            &format!("/api/v1/kpi-standings?program={}", w.program_a),
            &office,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{standings}");
    let pass = standings
        .as_array()
        .and_then(|a| a.iter().find(|s| s["definition"] == "licensing-first-pass"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(pass["first_period"], "2024");
    assert_eq!(pass["first_value"], "92.00");
    assert_eq!(pass["latest_period"], "2025");
    assert_eq!(pass["latest_value_scaled"], 9300);
    assert_eq!(pass["baseline"], "20.00");
    assert_eq!(pass["change"], "73.00", "from the baseline");
    assert_eq!(pass["improved"], true);
    assert_eq!(pass["target_met"], true);
    assert_eq!(pass["periods"], 2);
    let stay = standings
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|s| s["definition"] == "average-length-of-stay")
        })
        .cloned()
        .unwrap_or_default();
    assert_eq!(stay["change"], "-0.31");
    assert_eq!(stay["improved"], true, "fewer days is better");
    assert_eq!(stay["target_met"], false);
    let (_, until_2024) = app
        .get(
            &format!(
                "/api/v1/kpi-standings?program={}&definition=licensing-first-pass&until=2024",
                w.program_a
            ),
            &office,
        )
        .await;
    assert_eq!(until_2024[0]["latest_period"], "2024");
}

#[tokio::test]
async fn only_the_institution_enters_and_only_its_program_office_approves() {
    let app = spawn_app().await;
    let w = world(&app).await;
    app.add_user("office-b", "program-office", Some(&w.program_b), None)
        .await;
    let coord = app.token("coord-r").await;
    for user in ["coord-d", "coord-u", "clinician-r", "expert-d", "office"] {
        let token = app.token(user).await;
        let (s, b) = draft(&app, &token, &w, "2025").await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{user} may not enter: {b}");
    }
    let r = app
        .request(
            Method::POST,
            "/api/v1/kpi-reports",
            None,
            Some(&json!({"institution_id": w.recipient, "period": "2025"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let (s, report) = draft(&app, &coord, &w, "2025").await;
    assert_eq!(s, StatusCode::CREATED, "{report}");
    let path = format!("/api/v1/kpi-reports/{}", id(&report));
    let (s, _) = app.post(&format!("{path}/submit"), &coord, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    for user in ["office-b", "coord-d", "coord-u", "coord-r"] {
        let token = app.token(user).await;
        let (s, _) = app
            .post(&format!("{path}/approve"), &token, json!({}))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{user} may not approve");
    }
    // Reads follow reach: the donor (read access) sees it, an unrelated hospital does not.
    let donor = app.token("coord-d").await;
    let (s, _) = app.get(&path, &donor).await;
    assert_eq!(s, StatusCode::OK);
    let unrelated = app.token("coord-u").await;
    let (s, _) = app.get(&path, &unrelated).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, list) = app.get("/api/v1/kpi-reports", &unrelated).await;
    assert_eq!(list["total"], 0);
    let (_, points) = app
        .get(
            "/api/v1/kpi-series?definition=licensing-first-pass&include_unapproved=true",
            &unrelated,
        )
        .await;
    assert_eq!(points, json!([]));

    // The office returns a submitted report with a reason; the admin may approve anything.
    let office = app.token("office").await;
    let (s, _) = app
        .post(&format!("{path}/return"), &office, json!({}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, b) = app
        .post(
            &format!("{path}/return"),
            &office,
            json!({"reason": "请补充门急诊人次"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["state"], "draft");
    let (s, _) = app.post(&format!("{path}/submit"), &coord, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = app
        .post(&format!("{path}/approve"), &w.admin, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    // Definitions: anyone signed in reads them; offices and the admin add them.
    let (s, defs) = app.get("/api/v1/kpi-definitions", &unrelated).await;
    assert_eq!(s, StatusCode::OK);
    let codes: Vec<&str> = defs
        .as_array()
        .map(|a| a.iter().filter_map(|d| d["code"].as_str()).collect())
        .unwrap_or_default();
    for code in [
        "patient-satisfaction",
        "average-length-of-stay",
        "grade4-surgery-share",
        "outpatient-visits",
        "licensing-first-pass",
        "residency-completion-pass",
        "chronic-disease-management",
        "health-literacy",
        "inpatient-surgery-share",
        "cmi",
    ] {
        assert!(codes.contains(&code), "{code} is built in");
    }
    let new = json!({"code": "biopsy-rate", "name_zh": "乳腺癌术前穿刺活检率", "name_en": "Pre-operative biopsy rate",
                     "unit": "%", "direction": "higher", "value_kind": "percent", "period_types": ["year"]});
    let (s, _) = app
        .post("/api/v1/kpi-definitions", &coord, new.clone())
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b) = app
        .post("/api/v1/kpi-definitions", &office, new.clone())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["scale"], 2);
    assert_eq!(b["builtin"], false);
    let (s, _) = app.post("/api/v1/kpi-definitions", &office, new).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // A definition with three mistakes hears of all three, each at its field.
    let bad = json!({"code": "Bad Code", "name_zh": "", "name_en": "Rate",
                     "unit": "%", "direction": "sideways", "value_kind": "percent"});
    let (s, b) = app.post("/api/v1/kpi-definitions", &office, bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let mut fields: Vec<&str> = b["error"]["errors"]
        .as_array()
        .expect("every problem listed")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["code", "direction", "name_zh"], "{b}");
}

#[tokio::test]
async fn bad_periods_and_values_are_refused_beside_their_field() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let coord = app.token("coord-r").await;
    let post = |period: &str, values: Value| {
        app.post(
            "/api/v1/kpi-reports",
            &coord,
            json!({"institution_id": w.recipient, "period": period, "values": values}),
        )
    };
    for bad in ["2025-13", "2025-Q5", "25", "2025/03", "2025-q1"] {
        let (s, b) = post(bad, json!([])).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {b}");
        assert_eq!(b["error"]["field"], "period");
    }
    let cases = [
        (
            json!([{"definition": "outpatient-visits", "value": "12.5"}]),
            "values[0].value",
        ),
        (
            json!([{"definition": "patient-satisfaction", "value": "101"}]),
            "values[0].value",
        ),
        (
            json!([{"definition": "patient-satisfaction", "target": "92.123"}]),
            "values[0].target",
        ),
        (
            json!([{"definition": "patient-satisfaction", "value": "9e1"}]),
            "values[0].value",
        ),
        (
            json!([{"definition": "no-such-kpi", "value": "1"}]),
            "values[0].definition",
        ),
        (
            json!([{"definition": "cmi", "value": "1"}, {"definition": "cmi", "value": "2"}]),
            "values[1].definition",
        ),
    ];
    for (values, field) in cases {
        let (s, b) = post("2025-Q1", values.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{values}: {b}");
        assert_eq!(b["error"]["field"], field, "{values}");
    }
    // A yearly KPI is not reported for a month.
    let (s, b) = post(
        "2025-03",
        json!([{"definition": "licensing-first-pass", "value": "92"}]),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "values[0].definition");
    assert_eq!(app.count("kpi_reports").await, 0, "nothing half-written");

    // One report per institution and period; an empty report is not submitted.
    let (s, b) = post("2025-Q1", json!([])).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let r = id(&b);
    let (s, _) = post("2025-Q1", json!([])).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, b) = app
        .post(
            &format!("/api/v1/kpi-reports/{r}/submit"),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (s, _) = app
        .post(
            &format!("/api/v1/kpi-reports/{r}/finish"),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, b) = app
        .get("/api/v1/kpi-series?definition=cmi&from=2025-Q9", &coord)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (s, _) = app
        .get("/api/v1/kpi-series?definition=no-such-kpi", &coord)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_migration_seeds_the_built_in_catalogue() {
    let app = spawn_app().await;
    let stored = shanhai_store::kpis::definitions(&app.db)
        .await
        .expect("definitions");
    assert_eq!(
        stored,
        shanhai_domain::kpis::builtin_catalogue(),
        "the same definitions, in the catalogue's order"
    );
}
