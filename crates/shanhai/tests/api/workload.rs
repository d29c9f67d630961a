//! Workload reports: an expert's monthly outpatients, admissions and operations under their
//! assignment — filed, corrected and removed with an audit trail, never twice for a day, and
//! summed by the `workload-*` indicators at each period's end.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A batch of program A and a stationed assignment of the donor's expert at the recipient,
/// 2025-01-10 to 2025-06-30.
async fn assignment(app: &TestApp, w: &World) -> String {
    let batch = batch_2025(app, w, 7).await;
    let (s, a) = app
        .post(
            "/api/v1/assignments",
            &w.admin,
            json!({"batch_id": batch, "person_id": w.person_d, "institution_id": w.recipient,
                   "mode": "stationed", "post": "team-member", "start_date": "2025-01-10", "end_date": "2025-06-30"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    a["id"].as_str().expect("id").to_string()
}

fn report(assignment: &str, start: &str, end: &str, counts: [i64; 3]) -> Value {
    json!({"assignment_id": assignment, "period_start": start, "period_end": end,
           "outpatients": counts[0], "admissions": counts[1], "operations": counts[2]})
}

async fn indicator(app: &TestApp, w: &World, code: &str, until: &str) -> i64 {
    let (s, values) = app
        .get(
            &format!("/api/v1/programs/{}/indicators?until={until}", w.program_a),
            &w.admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{values}");
    values
        .as_array()
        .expect("list")
        .iter()
        .find(|v| v["code"] == code)
        .and_then(|v| v["value"].as_i64())
        .expect(code)
}

#[tokio::test]
async fn workload_reports_are_filed_once_per_period_corrected_with_an_audit_and_summed() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let a = assignment(&app, &w).await;
    let coord_r = app.token("coord-r").await;
    // January (from the assignment's first day) and February.
    let (s, jan) = app
        .post(
            "/api/v1/workload-reports",
            &coord_r,
            report(&a, "2025-01-10", "2025-01-31", [310, 42, 9]),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{jan}");
    assert_eq!(jan["institution_id"], json!(w.recipient));
    assert_eq!(jan["program_id"], json!(w.program_a));
    let (s, feb) = app
        .post(
            "/api/v1/workload-reports",
            &coord_r,
            report(&a, "2025-02-01", "2025-02-28", [402, 51, 14]),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{feb}");
    // A period overlapping one already reported would count the work twice.
    let (s, b) = app
        .post(
            "/api/v1/workload-reports",
            &coord_r,
            report(&a, "2025-02-15", "2025-03-14", [1, 1, 1]),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    for (body, field) in [
        (
            report(&a, "2025-07-01", "2025-07-31", [1, 1, 1]),
            "period_start",
        ),
        (
            report(&a, "2025-03-31", "2025-03-01", [1, 1, 1]),
            "period_end",
        ),
        (
            report(&a, "2025-03-01", "2025-03-31", [-1, 1, 1]),
            "outpatients",
        ),
        (
            report(
                "0190b6a8-5d3c-7a1e-9f00-000000000001",
                "2025-03-01",
                "2025-03-31",
                [1, 1, 1],
            ),
            "assignment_id",
        ),
    ] {
        let (s, b) = app.post("/api/v1/workload-reports", &coord_r, body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(b["error"]["field"], field, "{b}");
    }
    // Someone with no hand in the assignment may read but not file.
    let coord_u = app.token("coord-u").await;
    let (s, _) = app
        .post(
            "/api/v1/workload-reports",
            &coord_u,
            report(&a, "2025-03-01", "2025-03-31", [1, 1, 1]),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Counted at the period's end: by 2025-01-31 January only, by 2025-02-28 both.
    assert_eq!(
        indicator(&app, &w, "workload-outpatients", "2025-01-30").await,
        0
    );
    assert_eq!(
        indicator(&app, &w, "workload-outpatients", "2025-01-31").await,
        310
    );
    assert_eq!(
        indicator(&app, &w, "workload-admissions", "2025-02-28").await,
        93
    );
    assert_eq!(
        indicator(&app, &w, "workload-operations", "2025-12-31").await,
        23
    );
    let (s, list) = app
        .get(
            &format!(
                "/api/v1/workload-reports?program={}&until=2025-02-28",
                w.program_a
            ),
            &coord_u,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["period_end"], "2025-02-28", "latest first");

    // A correction moves the figure and keeps what the report said before.
    let feb_id = feb["id"].as_str().expect("id");
    let (s, b) = app
        .put(
            &format!("/api/v1/workload-reports/{feb_id}"),
            &coord_r,
            report(&a, "2025-02-01", "2025-02-28", [420, 51, 14]),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        indicator(&app, &w, "workload-outpatients", "2025-12-31").await,
        730
    );
    let (_, log) = app
        .get(
            "/api/v1/audit?entity=workload_report&action=update",
            &w.admin,
        )
        .await;
    assert_eq!(log["total"], 1, "{log}");
    assert_eq!(log["items"][0]["before"]["outpatients"], 402);
    let r = app
        .request(
            Method::DELETE,
            &format!("/api/v1/workload-reports/{feb_id}"),
            Some(&coord_u),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .request(
            Method::DELETE,
            &format!("/api/v1/workload-reports/{feb_id}"),
            Some(&coord_r),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        indicator(&app, &w, "workload-outpatients", "2025-12-31").await,
        310
    );
    let (s, _) = app
        .get(&format!("/api/v1/workload-reports/{feb_id}"), &w.admin)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, log) = app
        .get(
            "/api/v1/audit?entity=workload_report&action=delete",
            &w.admin,
        )
        .await;
    assert_eq!(log["total"], 1, "{log}");
    // The roll-ups equal a recount after the inserts, the update and the delete.
    let mismatches = shanhai_store::rollups::verify(&app.db)
        .await
        .expect("verify");
    assert!(mismatches.is_empty(), "{mismatches:?}");
}

#[tokio::test]
async fn batches_count_once_they_have_begun() {
    let app = spawn_app().await;
    let w = world(&app).await;
    for (number, start) in [(1, "2024-03-01"), (2, "2024-09-01"), (3, "2025-03-01")] {
        let (s, b) = app
            .post(
                "/api/v1/batches",
                &w.admin,
                json!({"program_id": w.program_a, "number": number, "start_date": start, "end_date": "2025-12-31"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    assert_eq!(indicator(&app, &w, "batches", "2024-09-01").await, 2);
    let (s, list) = app
        .get(
            &format!("/api/v1/batches?program={}&until=2024-09-01", w.program_a),
            &w.admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 2);
}

/// Workload imported from a spreadsheet: rows matched to the expert's assignment at the
/// hospital, counted by the indicators, `verify` equal after; importing again creates nothing;
/// a file with a bad row writes nothing and names every problem by row and column.
#[tokio::test]
async fn workload_imports_from_a_spreadsheet_once_and_a_bad_row_writes_nothing() {
    let app = spawn_app().await;
    let w = world(&app).await;
    assignment(&app, &w).await;
    let header = "专家,专家单位,受援机构,期间开始,期间结束,门诊人次,住院人次,手术台次,备注";
    let good = format!(
        "{header}\n沈专家,,包头市中心医院,2025-02-01,2025-02-28,120,15,8,\n\
         沈专家,,包头市中心医院,2025-03-01,2025-03-31,130,12,6,三月\n"
    );
    let coord_r = app.token("coord-r").await;
    let (s, b) = crate::imports::upload(
        &app,
        &coord_r,
        "workload-reports",
        "w.csv",
        good.clone().into_bytes(),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["created"].as_i64(), b["unchanged"].as_i64()),
        (Some(2), Some(0)),
        "{b}"
    );
    assert_eq!(
        indicator(&app, &w, "workload-outpatients", "2025-12-31").await,
        250
    );
    assert_eq!(
        indicator(&app, &w, "workload-operations", "2025-12-31").await,
        14
    );
    let mismatches = shanhai_store::rollups::verify(&app.db)
        .await
        .expect("verify");
    assert!(mismatches.is_empty(), "{mismatches:?}");
    let (s, b) = crate::imports::upload(
        &app,
        &coord_r,
        "workload-reports",
        "w.csv",
        good.into_bytes(),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["created"].as_i64(), b["unchanged"].as_i64()),
        (Some(0), Some(2)),
        "{b}"
    );

    // Row 3: an unknown expert and a count that is not a number; row 4: a period the expert
    // did not serve in. Nothing of the file is written.
    let bad = format!(
        "{header}\n沈专家,,包头市中心医院,2025-04-01,2025-04-30,100,10,5,\n\
         无此人,,包头市中心医院,2025-05-01,2025-05-31,很多,10,5,\n\
         沈专家,,包头市中心医院,2026-05-01,2026-05-31,10,1,1,\n"
    );
    let (s, b) = crate::imports::upload(
        &app,
        &coord_r,
        "workload-reports",
        "bad.csv",
        bad.into_bytes(),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let found: Vec<(i64, String)> = b["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap_or(0),
                e["column"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert!(found.contains(&(3, "专家".into())), "{b}");
    assert!(found.contains(&(3, "门诊人次".into())), "{b}");
    assert!(found.contains(&(4, "受援机构".into())), "{b}");
    assert_eq!(
        indicator(&app, &w, "workload-outpatients", "2025-12-31").await,
        250
    );

    // Outside the caller's scope: the unrelated hospital's coordinator may not file them.
    let coord_u = app.token("coord-u").await;
    let other = format!("{header}\n沈专家,,包头市中心医院,2025-04-01,2025-04-30,100,10,5,\n");
    let (s, b) = crate::imports::upload(
        &app,
        &coord_u,
        "workload-reports",
        "o.csv",
        other.into_bytes(),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["errors"][0]["column"], json!("受援机构"), "{b}");
}

#[tokio::test]
async fn a_coordinator_files_and_corrects_workload_through_the_pages() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let a = assignment(&app, &w).await;
    let browser = Browser::sign_in(&app, "coord-r").await;
    // The form offers the assignment (the expert by name) and preselects it.
    let (s, html) = browser
        .get(&format!("/workload-reports/new?assignment={a}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(
        html.contains(&format!("<option value=\"{a}\" selected")),
        "{html}"
    );
    // A bad form: every problem at its field, nothing filed.
    let (s, html) = browser
        .post(
            "/workload-reports",
            "assignment_id=&period_start=&period_end=2025-03-31&outpatients=-5&rescues=abc",
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    for field in ["assignment_id", "period_start", "outpatients", "rescues"] {
        assert!(
            html.contains(&format!("data-testid=\"error-{field}\"")),
            "{field}: {html}"
        );
    }
    let (_, list) = app
        .get(
            &format!("/api/v1/workload-reports?assignment={a}"),
            &w.admin,
        )
        .await;
    assert_eq!(list["total"], 0, "{list}");
    // Filed: back to the list, which shows it and its totals.
    let r = browser
        .post_response(
            "/workload-reports",
            &format!(
                "assignment_id={a}&period_start=2025-03-01&period_end=2025-03-31&outpatients=280\
                 &admissions=33&operations=11&rescues=2&mdt_participations=4&note="
            ),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(to.starts_with("/workload-reports?assignment="), "{to}");
    let (s, html) = browser.get(&to).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("data-testid=\"workload-report\""), "{html}");
    assert!(html.contains(">280<"), "{html}");
    assert_eq!(
        indicator(&app, &w, "workload-outpatients", "2025-03-31").await,
        280
    );
    let (_, list) = app
        .get(
            &format!("/api/v1/workload-reports?assignment={a}"),
            &w.admin,
        )
        .await;
    let id = list["items"][0]["id"].as_str().expect("id").to_string();
    // A period overlapping it is refused beside the form, nothing changes.
    let (s, html) = browser
        .post(
            "/workload-reports",
            &format!(
                "assignment_id={a}&period_start=2025-03-15&period_end=2025-04-14&outpatients=1"
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{html}");
    // Corrected through its page; the indicator follows.
    let (s, html) = browser.get(&format!("/workload-reports/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("value=\"280\""), "{html}");
    let r = browser
        .post_response(
            &format!("/workload-reports/{id}"),
            &format!(
                "assignment_id={a}&period_start=2025-03-01&period_end=2025-03-31&outpatients=300\
                 &admissions=33&operations=11&rescues=2&mdt_participations=4"
            ),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        indicator(&app, &w, "workload-outpatients", "2025-03-31").await,
        300
    );
    // A bad correction changes nothing.
    let (s, html) = browser
        .post(
            &format!("/workload-reports/{id}"),
            &format!(
                "assignment_id={a}&period_start=2025-03-31&period_end=2025-03-01&outpatients=9"
            ),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("data-testid=\"error-period_end\""), "{html}");
    assert_eq!(
        indicator(&app, &w, "workload-outpatients", "2025-03-31").await,
        300
    );
    // Someone with no hand in it reads it, read-only, and may not change it.
    let other = Browser::sign_in(&app, "coord-u").await;
    let (s, html) = other.get(&format!("/workload-reports/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("data-testid=\"workload-readonly\""), "{html}");
    let (s, _) = other
        .post(&format!("/workload-reports/{id}/delete"), "")
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Deleted by the coordinator.
    let r = browser
        .post_response(&format!("/workload-reports/{id}/delete"), "")
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        indicator(&app, &w, "workload-outpatients", "2025-03-31").await,
        0
    );
}
