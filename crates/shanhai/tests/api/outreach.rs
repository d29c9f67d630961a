//! Outreach events (义诊, 巡回诊疗, 健康讲座/科普, 筛查): every problem at once, access as every
//! capacity record, the list's filters, the clinic sessions held at an event, the figures and
//! the records behind them, and the roll-ups equal to a recount after every write.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn event(w: &World, kind: &str, held_on: &str, served: i64) -> Value {
    json!({"program_id": w.program_a, "institution_id": w.recipient, "kind": kind, "held_on": held_on,
           "place_kind": "township", "place_name": "昆都仑区卜尔汉图镇", "region_code": "150203",
           "donor_institution_id": w.donor, "people_served": served, "screenings": served / 5,
           "referrals": served / 50, "local_staff": 4, "expert_ids": [w.person_d]})
}

async fn create(app: &TestApp, token: &str, body: Value) -> String {
    let (s, b) = app.post("/api/v1/outreach-events", token, body).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().expect("id").to_string()
}

async fn indicator(app: &TestApp, w: &World, code: &str, until: &str) -> (i64, String) {
    let (s, values) = app
        .get(
            &format!("/api/v1/programs/{}/indicators?until={until}", w.program_a),
            &w.admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{values}");
    let v = values
        .as_array()
        .expect("list")
        .iter()
        .find(|v| v["code"] == code)
        .expect(code)
        .clone();
    (
        v["value"].as_i64().expect("value"),
        v["records_url"].as_str().expect("records_url").to_string(),
    )
}

async fn verify_equal(app: &TestApp) {
    let mismatches = shanhai_store::rollups::verify(&app.db)
        .await
        .expect("verify");
    assert!(mismatches.is_empty(), "{mismatches:?}");
}

#[tokio::test]
async fn an_outreach_event_states_every_problem_at_once_and_bad_input_changes_nothing() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let coord = app.token("coord-r").await;
    let (s, b) = app
        .post(
            "/api/v1/outreach-events",
            &coord,
            json!({"institution_id": w.recipient, "kind": "party", "held_on": "2025-02-30",
                   "place_kind": "moon", "place_name": "", "region_code": "15",
                   "people_served": -3, "screenings": 5, "via_institution_id": w.donor}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let fields: Vec<&str> = b["error"]["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["field"].as_str()).collect())
        .unwrap_or_default();
    for f in [
        "kind",
        "held_on",
        "place_kind",
        "place_name",
        "region_code",
        "people_served",
        "donor_institution_id",
    ] {
        assert!(fields.contains(&f), "{f} missing from {b}");
    }
    // A well-formed code the regions table does not hold, and more screened than served.
    let mut bad = event(&w, "free-clinic", "2025-03-01", 10);
    bad["region_code"] = json!("150299");
    let (s, b) = app.post("/api/v1/outreach-events", &coord, bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "region_code", "{b}");
    let mut bad = event(&w, "free-clinic", "2025-03-01", 10);
    bad["screenings"] = json!(11);
    let (s, b) = app.post("/api/v1/outreach-events", &coord, bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "screenings", "{b}");
    assert_eq!(app.count("outreach_events").await, 0);
}

#[tokio::test]
async fn outreach_events_are_written_by_those_who_may_change_the_institution_and_read_within_reach()
{
    let app = spawn_app().await;
    let w = world(&app).await;
    let coord_r = app.token("coord-r").await;
    let coord_u = app.token("coord-u").await;
    let clinician = app.token("clinician-r").await;
    let office = app.token("office").await;
    let id = create(&app, &coord_r, event(&w, "free-clinic", "2025-03-01", 120)).await;
    let (s, _) = app
        .post(
            "/api/v1/outreach-events",
            &coord_u,
            event(&w, "free-clinic", "2025-03-02", 5),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post(
            "/api/v1/outreach-events",
            &clinician,
            event(&w, "free-clinic", "2025-03-02", 5),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .get(&format!("/api/v1/outreach-events/{id}"), &coord_u)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, got) = app
        .get(&format!("/api/v1/outreach-events/{id}"), &office)
        .await;
    assert_eq!(s, StatusCode::OK, "{got}");
    assert_eq!(got["experts"][0]["name"], "沈专家", "{got}");
    assert_eq!(
        got["donor_institution_name"],
        "上海交通大学医学院附属瑞金医院"
    );
    let (_, list) = app.get("/api/v1/outreach-events", &coord_u).await;
    assert_eq!(list["total"], 0, "{list}");
    // Changing and deleting: the writer only, audited.
    let mut changed = event(&w, "circuit", "2025-03-01", 130);
    changed["expert_ids"] = json!([]);
    let (s, _) = app
        .put(
            &format!("/api/v1/outreach-events/{id}"),
            &coord_u,
            changed.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b) = app
        .put(&format!("/api/v1/outreach-events/{id}"), &coord_r, changed)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["kind"].as_str(), b["experts"].as_array().map(Vec::len)),
        (Some("circuit"), Some(0))
    );
    let r = app
        .request(
            Method::DELETE,
            &format!("/api/v1/outreach-events/{id}"),
            Some(&coord_u),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .request(
            Method::DELETE,
            &format!("/api/v1/outreach-events/{id}"),
            Some(&coord_r),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (_, log) = app
        .get("/api/v1/audit?entity=outreach_event", &w.admin)
        .await;
    assert_eq!(log["total"], 3, "{log}");
    verify_equal(&app).await;
}

#[tokio::test]
async fn the_outreach_list_filters_by_program_institution_kind_region_and_dates() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let coord = app.token("coord-r").await;
    create(&app, &coord, event(&w, "free-clinic", "2025-01-10", 100)).await;
    create(&app, &coord, event(&w, "health-talk", "2025-02-10", 40)).await;
    let mut other = event(&w, "screening", "2025-03-10", 60);
    other["program_id"] = json!(w.program_b);
    other["region_code"] = json!("310101");
    create(&app, &w.admin, other).await;
    let total = |q: &str| {
        let app = &app;
        let admin = w.admin.clone();
        let q = q.to_string();
        async move {
            let (s, b) = app
                .get(&format!("/api/v1/outreach-events?{q}"), &admin)
                .await;
            assert_eq!(s, StatusCode::OK, "{b}");
            b["total"].as_i64().expect("total")
        }
    };
    assert_eq!(total("").await, 3);
    assert_eq!(total(&format!("program={}", w.program_a)).await, 2);
    assert_eq!(total(&format!("institution={}", w.recipient)).await, 3);
    assert_eq!(total(&format!("institution={}", w.donor)).await, 0);
    assert_eq!(total("kind=health-talk").await, 1);
    assert_eq!(total("region=150000").await, 2);
    assert_eq!(total("region=310101").await, 1);
    assert_eq!(total("from=2025-02-01").await, 2);
    assert_eq!(total("from=2025-02-01&until=2025-02-28").await, 1);
    assert_eq!(total("page=1&per_page=1").await, 3);
    let (s, _) = app
        .get("/api/v1/outreach-events?from=yesterday", &w.admin)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn an_outreach_clinic_session_links_to_its_event_and_the_event_lists_it() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let coord = app.token("coord-r").await;
    let id = create(&app, &coord, event(&w, "free-clinic", "2025-03-01", 80)).await;
    let day = (shanhai_store::today() + chrono::Duration::days(1)).to_string();
    let session = |visit: &str| {
        json!({"expert_id": w.person_d, "institution_id": w.recipient, "date": day,
               "start": "08:30", "end": "11:30", "capacity": 30, "visit_type": visit})
    };
    let (s, free) = app
        .post("/api/v1/clinic-sessions", &w.admin, session("free-clinic"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{free}");
    let free = free["id"].as_str().expect("id").to_string();
    let (s, expert) = app
        .post("/api/v1/clinic-sessions", &w.admin, session("expert"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{expert}");
    let expert = expert["id"].as_str().expect("id").to_string();
    let link = |s: &str| format!("/api/v1/clinic-sessions/{s}/outreach-event");
    let (s, b) = app
        .put(&link(&expert), &coord, json!({"outreach_event_id": id}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let coord_u = app.token("coord-u").await;
    let (s, _) = app
        .put(&link(&free), &coord_u, json!({"outreach_event_id": id}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let r = app
        .request(
            Method::PUT,
            &link(&free),
            Some(&coord),
            Some(&json!({"outreach_event_id": id})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (_, s1) = app
        .get(&format!("/api/v1/clinic-sessions/{free}"), &coord)
        .await;
    assert_eq!(s1["outreach_event_id"], json!(id));
    let (_, listed) = app
        .get(&format!("/api/v1/outreach-events/{id}/sessions"), &coord)
        .await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    // The event's page shows the session; unlinking empties it.
    let browser = Browser::sign_in(&app, "coord-r").await;
    let (s, html) = browser.get(&format!("/outreach-events/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("data-testid=\"outreach-session\"")
            && html.contains("<strong>上海交通大学医学院附属瑞金医院</strong>")
            && html.contains("→</span> <strong>昆都仑区卜尔汉图镇 / 昆都仑区</strong>"),
        "{html}"
    );
    let r = app
        .request(
            Method::PUT,
            &link(&free),
            Some(&coord),
            Some(&json!({"outreach_event_id": null})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (_, listed) = app
        .get(&format!("/api/v1/outreach-events/{id}/sessions"), &coord)
        .await;
    assert_eq!(listed.as_array().map(Vec::len), Some(0), "{listed}");
}

#[tokio::test]
async fn outreach_figures_equal_their_records_and_the_roll_ups_a_recount() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let coord = app.token("coord-r").await;
    create(&app, &coord, event(&w, "free-clinic", "2025-01-10", 300)).await;
    create(&app, &coord, event(&w, "free-clinic", "2025-02-10", 250)).await;
    create(&app, &coord, event(&w, "health-talk", "2025-02-20", 90)).await;
    let late = create(&app, &coord, event(&w, "circuit", "2025-06-01", 40)).await;
    let until = "2025-05-31";
    let expect = [
        ("outreach-events", 3),
        ("outreach-people-served", 640),
        ("outreach-free-clinic-served", 550),
        ("outreach-screenings", 60 + 50 + 18),
        ("outreach-referrals", 6 + 5 + 1),
    ];
    for (code, want) in expect {
        let (value, url) = indicator(&app, &w, code, until).await;
        assert_eq!(value, want, "{code}");
        let (s, list) = app.get(&url, &w.admin).await;
        assert_eq!(s, StatusCode::OK, "{code}: {list}");
        let items = list["items"].as_array().expect("items");
        if code == "outreach-events" {
            assert_eq!(list["total"].as_i64(), Some(want), "{code}: {list}");
        } else {
            let sum: i64 = items.iter().map(|i| i["value"].as_i64().unwrap_or(0)).sum();
            assert_eq!(sum, want, "{code}: {list}");
        }
    }
    // The briefing says it in words.
    let (s, b) = app
        .get(
            &format!(
                "/api/v1/programs/{}/briefing?until={until}&format=json",
                w.program_a
            ),
            &w.admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let text: String = b["paragraphs"]
        .as_array()
        .expect("paragraphs")
        .iter()
        .map(|p| p["text"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        text.contains("义诊550人次") && text.contains("惠及640名群众"),
        "{text}"
    );
    // A change moves the figure; the roll-ups stay equal to a recount.
    let mut moved = event(&w, "free-clinic", "2025-05-01", 40);
    moved["screenings"] = json!(0);
    let (s, _) = app
        .put(&format!("/api/v1/outreach-events/{late}"), &coord, moved)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        indicator(&app, &w, "outreach-free-clinic-served", until)
            .await
            .0,
        590
    );
    verify_equal(&app).await;
}

const IMPORT_HEADER: &str = "项目,计入机构*,类型*,日期*,活动名称,地点类型*,地点名称*,区划代码*,派出医院,经由区域医疗中心,服务人次*,筛查人次,转诊人次,当地参与人员数,派出专家,备注";

async fn upload(app: &TestApp, token: &str, csv: String) -> (StatusCode, Value) {
    use reqwest::multipart::{Form, Part};
    let form = Form::new().part(
        "file",
        Part::bytes(csv.into_bytes()).file_name("outreach.csv".to_string()),
    );
    let r = app
        .client
        .post(app.url("/api/v1/imports/outreach-events?dry_run=false"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("send");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn outreach_events_import_from_a_sheet_and_a_bad_row_imports_nothing() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let row = |i: usize, region: &str, served: &str| {
        format!(
            "沪蒙医疗协作,包头市中心医院,义诊,2025-03-{:02},,乡镇,卜尔汉图镇{i},{region},上海交通大学医学院附属瑞金医院,,{served},10,1,3,沈专家,\n",
            1 + i
        )
    };
    // Row 3 names a region the table does not hold, row 4 a count that is not a number: nothing
    // is written, and each problem names its row and column.
    let bad = format!(
        "{IMPORT_HEADER}\n{}{}{}",
        row(0, "150203", "100"),
        row(1, "150299", "100"),
        row(2, "150203", "很多")
    );
    let (s, b) = upload(&app, &w.admin, bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let errors = b["errors"].as_array().expect("errors");
    assert!(
        errors
            .iter()
            .any(|e| e["row"] == json!(4) && e["column"] == json!("服务人次")),
        "{b}"
    );
    assert_eq!(app.count("outreach_events").await, 0);
    let bad_region = format!(
        "{IMPORT_HEADER}\n{}{}",
        row(0, "150203", "100"),
        row(1, "150299", "100")
    );
    let (s, b) = upload(&app, &w.admin, bad_region).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["errors"][0]["row"], json!(3), "{b}");
    assert_eq!(b["errors"][0]["column"], json!("区划代码"), "{b}");
    assert_eq!(app.count("outreach_events").await, 0);

    let good = format!(
        "{IMPORT_HEADER}\n{}{}",
        row(0, "150203", "100"),
        row(1, "150203", "60")
    );
    let (s, b) = upload(&app, &w.admin, good).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["created"].as_i64(), Some(2), "{b}");
    let (_, list) = app
        .get(
            &format!("/api/v1/outreach-events?institution={}", w.recipient),
            &w.admin,
        )
        .await;
    assert_eq!(list["total"], 2, "{list}");
    assert_eq!(list["items"][0]["experts"][0]["name"], "沈专家", "{list}");
    let (value, _) = indicator(&app, &w, "outreach-people-served", "2025-12-31").await;
    assert_eq!(value, 160);
    verify_equal(&app).await;
    // The template names the columns.
    let (s, _) = app
        .get("/api/v1/imports/outreach-events/template", &w.admin)
        .await;
    assert_eq!(s, StatusCode::OK);
}
