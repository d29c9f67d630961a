//! The inbox (待办) counts what waits for each user — here a KPI report waiting for the
//! office's approval — and the one search box stays within the caller's scope; each role's home
//! is where `/` sends them.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn inbox(app: &TestApp, token: &str) -> Value {
    let (s, b) = app.get("/api/v1/inbox", token).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

#[tokio::test]
async fn the_office_finds_a_kpi_report_waiting_for_approval_in_its_inbox() {
    let app = spawn_app().await;
    let w = world(&app).await;
    app.add_user("office-b", "program-office", Some(&w.program_b), None)
        .await;
    let (coord, office, office_b) = (
        app.token("coord-r").await,
        app.token("office").await,
        app.token("office-b").await,
    );
    assert_eq!(inbox(&app, &office).await["counts"]["kpi_reports"], 0);

    let (s, report) = app
        .post(
            "/api/v1/kpi-reports",
            &coord,
            json!({"institution_id": w.recipient, "program_id": w.program_a, "period": "2025",
                   "values": [{"definition": "licensing-first-pass", "value": "92"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{report}");
    let id = report["id"].as_str().expect("id").to_string();

    // A draft waits for its institution's coordinator to submit it, not for the office.
    let mine = inbox(&app, &coord).await;
    assert_eq!(mine["counts"]["kpi_reports"], 1, "{mine}");
    assert_eq!(mine["counts"]["kpi_reports_to_review"], 0);
    assert_eq!(mine["kpi_reports"][0]["id"], id.as_str());
    assert_eq!(inbox(&app, &office).await["counts"]["kpi_reports"], 0);

    let (s, b) = app
        .post(
            &format!("/api/v1/kpi-reports/{id}/submit"),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    let theirs = inbox(&app, &office).await;
    assert_eq!(theirs["counts"]["kpi_reports"], 1, "{theirs}");
    assert_eq!(theirs["counts"]["kpi_reports_to_review"], 1);
    assert_eq!(theirs["counts"]["total"], 1);
    assert_eq!(theirs["count"], 1);
    assert_eq!(theirs["kpi_reports"][0]["id"], id.as_str());
    assert_eq!(theirs["kpi_reports"][0]["state"], "submitted");
    assert_eq!(
        inbox(&app, &coord).await["counts"]["kpi_reports"],
        0,
        "submitted: nothing left for the coordinator"
    );
    assert_eq!(
        inbox(&app, &office_b).await["counts"]["kpi_reports"],
        0,
        "another program's office does not review it"
    );
    assert_eq!(
        inbox(&app, &app.token("coord-u").await).await["counts"]["total"],
        0
    );

    // The page and the navigation count the same report.
    let browser = Browser::sign_in(&app, "office").await;
    let (s, page) = browser.get("/inbox").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(&format!("href=\"/kpis/{id}\"")), "{page}");
    assert!(page.contains("data-count=\"1\""), "the 待办 badge: {page}");

    // Approved, it leaves the office's inbox.
    let (s, b) = app
        .post(
            &format!("/api/v1/kpi-reports/{id}/approve"),
            &office,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(inbox(&app, &office).await["counts"]["total"], 0);
}

#[tokio::test]
async fn the_search_box_finds_only_what_the_caller_may_see() {
    let app = spawn_app().await;
    let w = world(&app).await;
    app.add_user("clinician-u", "clinician", None, Some(&w.unrelated))
        .await;
    let clinician = app.token("clinician-r").await;
    let c = crate::consultations::request(&app, &w, &clinician).await;
    let id = c["id"].as_str().expect("id").to_string();

    let search = |who: &'static str, q: &'static str| {
        let app = &app;
        async move {
            let token = app.token(who).await;
            let (s, b) = app
                .get(&format!("/api/v1/search?q={}", urlencoding(q)), &token)
                .await;
            assert_eq!(s, StatusCode::OK, "{who}: {b}");
            b
        }
    };
    // The question's words find the consultation for its parties only.
    for (who, n) in [
        ("clinician-r", 1),
        ("coord-r", 1),
        ("coord-d", 1),
        ("admin", 1),
        ("clinician-u", 0),
        ("coord-u", 0),
        ("office", 0),
        ("expert-d", 0),
    ] {
        let found = search(who, "急诊PCI").await;
        assert_eq!(
            found["consultations"].as_array().map(Vec::len),
            Some(n),
            "{who}: {found}"
        );
        assert_eq!(found["totals"]["consultations"], n, "{who}");
        let text = found.to_string();
        assert!(
            !text.contains("王小明"),
            "{who}: the patient's name is masked"
        );
        if n == 1 {
            assert_eq!(found["consultations"][0]["id"], id.as_str());
            assert_eq!(found["consultations"][0]["patient_name_masked"], "王**");
        }
    }
    // The requesting hospital's name: the registry is open to every user, its consultations
    // are not.
    let found = search("clinician-u", "包头市中心医院").await;
    assert_eq!(
        found["institutions"][0]["id"],
        w.recipient.as_str(),
        "{found}"
    );
    assert_eq!(found["consultations"].as_array().map(Vec::len), Some(0));
    assert_eq!(found["referrals"].as_array().map(Vec::len), Some(0));
    let found = search("clinician-r", "包头市中心医院").await;
    assert_eq!(found["consultations"].as_array().map(Vec::len), Some(1));

    // People: those of the institutions the caller reaches.
    assert_eq!(
        search("coord-d", "沈专家").await["people"][0]["id"],
        w.person_d.as_str()
    );
    assert_eq!(
        search("coord-u", "沈专家").await["people"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    // One character finds nothing; control characters are dropped, not sent to the database.
    assert_eq!(search("admin", "包").await["total"], 0);
    let (s, b) = app
        .get("/api/v1/search?q=%00%E5%8C%85%E5%A4%B4%01", &w.admin)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["q"], "包头", "{b}");

    // The page shows the same: the unrelated clinician gets no link to the consultation.
    let page = |who: &'static str| {
        let app = &app;
        async move {
            let browser = Browser::sign_in(app, who).await;
            let (s, html) = browser
                .get(&format!("/search?q={}", urlencoding("急诊PCI")))
                .await;
            assert_eq!(s, StatusCode::OK);
            html
        }
    };
    assert!(
        page("clinician-r")
            .await
            .contains(&format!("/consultations/{id}"))
    );
    assert!(
        !page("clinician-u")
            .await
            .contains(&format!("/consultations/{id}"))
    );
}

/// Percent-encodes every byte but ASCII letters and digits.
fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn each_role_lands_on_its_home() {
    let app = spawn_app().await;
    let _w = world(&app).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for (who, home) in [
        ("admin", "/dashboard"),
        ("office", "/inbox"),
        ("coord-r", "/inbox"),
        ("clinician-r", "/inbox"),
        ("expert-d", "/today"),
    ] {
        let r = client
            .get(app.url("/"))
            .header(reqwest::header::COOKIE, app.session_cookie(who).await)
            .send()
            .await
            .expect("home");
        assert!(r.status().is_redirection(), "{who}: {}", r.status());
        assert_eq!(
            r.headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok()),
            Some(home),
            "{who}"
        );
    }
    // The expert's home answers, even for an account not linked to a person.
    let browser = Browser::sign_in(&app, "expert-d").await;
    let (s, html) = browser.get("/today").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("data-testid=\"today-no-person\""), "{html}");
}
