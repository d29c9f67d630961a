//! The operations log (手术): logged through the API with every problem named at once, written
//! by the local institution's side, the program office and the expert for their own, listed with
//! filters, counted by the `operations…` indicators whose `records_url` lists exactly what they
//! count, and equal to a recount (`verify`) after every write.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shanhai_domain::accounts::UserInput;
use shanhai_store::audit::Actor;

fn operation(w: &World, day: &str, role: &str, grade: i64, mi: bool) -> Value {
    json!({
        "program_id": w.program_a,
        "institution_id": w.recipient,
        "department_id": w.department_r,
        "expert_id": w.person_d,
        "performed_on": day,
        "procedure_name": "腹腔镜下胆囊切除术",
        "procedure_code": "51.23",
        "grade": grade,
        "expert_role": role,
        "minimally_invasive": mi,
        "outcome": "success",
        "local_operator_ids": [w.person_r],
    })
}

/// An expert account that is the donor's person `person_d`.
async fn expert_account(app: &TestApp, w: &World) -> String {
    let new = UserInput {
        username: "expert-shen".into(),
        display_name: None,
        password: "correct horse battery staple".into(),
        role: "expert".into(),
        program_id: None,
        institution_id: Some(w.donor.clone()),
        person_id: Some(w.person_d.clone()),
    }
    .parse()
    .expect("valid user");
    shanhai_store::users::create(&app.db, &Actor::system("test"), &new)
        .await
        .expect("create user");
    let (s, b) = app
        .post_anon(
            "/api/v1/auth/token",
            json!({"username": "expert-shen", "password": "correct horse battery staple"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["token"].as_str().expect("token").to_string()
}

async fn values(app: &TestApp, w: &World, until: &str) -> Vec<Value> {
    let (s, v) = app
        .get(
            &format!("/api/v1/programs/{}/indicators?until={until}", w.program_a),
            &w.admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().expect("list").clone()
}

async fn verify_equal(app: &TestApp) {
    let mismatches = shanhai_store::rollups::verify(&app.db)
        .await
        .expect("verify");
    assert!(mismatches.is_empty(), "{mismatches:?}");
}

#[tokio::test]
async fn an_operation_names_every_problem_at_once_and_bad_input_changes_nothing() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let coord_r = app.token("coord-r").await;
    let bad = json!({
        "institution_id": w.recipient,
        "expert_id": "",
        "performed_on": "2099-01-01",
        "procedure_name": " ",
        "procedure_code": "1.234",
        "grade": 5,
        "expert_role": "watched",
        "outcome": "fine",
    });
    let (s, b) = app.post("/api/v1/operations", &coord_r, bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let text = b.to_string();
    for field in [
        "expert_id",
        "performed_on",
        "procedure_name",
        "procedure_code",
        "grade",
        "expert_role",
        "outcome",
    ] {
        assert!(text.contains(field), "{field} missing in {b}");
    }
    // A local operator of another institution and a technique elsewhere: both named.
    let mut o = operation(&w, "2025-03-01", "operated", 3, false);
    o["local_operator_ids"] = json!([w.person_u]);
    o["technique_id"] = json!(shanhai_domain::ids::new_id());
    let (s, b) = app.post("/api/v1/operations", &coord_r, o).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let text = b.to_string();
    assert!(
        text.contains("local_operator_ids") && text.contains("technique_id"),
        "{b}"
    );
    assert_eq!(app.count("operations").await, 0);
    // The expert is not their own local operator.
    let mut o = operation(&w, "2025-03-01", "operated", 3, false);
    o["local_operator_ids"] = json!([w.person_d]);
    let (s, b) = app.post("/api/v1/operations", &coord_r, o).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(app.count("operations").await, 0);
}

#[tokio::test]
async fn the_institution_s_side_the_office_and_the_expert_for_their_own_log_operations() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let o = operation(&w, "2025-03-01", "demonstration", 3, true);
    for user in ["coord-u", "clinician-r", "coord-d", "expert-d"] {
        let t = app.token(user).await;
        let (s, b) = app.post("/api/v1/operations", &t, o.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{user}: {b}");
    }
    let mut created = Vec::new();
    for user in ["coord-r", "office"] {
        let t = app.token(user).await;
        let (s, b) = app.post("/api/v1/operations", &t, o.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "{user}: {b}");
        created.push(b["id"].as_str().expect("id").to_string());
    }
    let expert = expert_account(&app, &w).await;
    // Not before they were dispatched there…
    let (s, b) = app.post("/api/v1/operations", &expert, o.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let batch = batch_2025(&app, &w, 3).await;
    let (s, a) = app
        .post(
            "/api/v1/assignments",
            &w.admin,
            json!({"batch_id": batch, "person_id": w.person_d, "institution_id": w.recipient,
                   "mode": "stationed", "post": "team-member", "start_date": "2025-01-10", "end_date": "2025-06-30"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let (s, own) = app.post("/api/v1/operations", &expert, o.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{own}");
    assert_eq!(own["expert_name"], json!("沈专家"));
    assert_eq!(own["local_operators"][0]["name"], json!("包医生"));
    let (s, mine) = app.get("/api/v1/operations", &expert).await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    assert_eq!(
        mine["total"],
        json!(3),
        "the expert reads the operations they took part in"
    );
    // … but not someone else's.
    let mut other = o.clone();
    other["expert_id"] = json!(w.person_r);
    other["local_operator_ids"] = json!([]);
    let (s, b) = app.post("/api/v1/operations", &expert, other).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    // The unrelated coordinator neither reads nor changes one; the recipient's does.
    let coord_u = app.token("coord-u").await;
    let (s, _) = app
        .get(&format!("/api/v1/operations/{}", created[0]), &coord_u)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let coord_r = app.token("coord-r").await;
    let mut changed = o.clone();
    changed["grade"] = json!(4);
    let (s, b) = app
        .put(
            &format!("/api/v1/operations/{}", created[0]),
            &coord_r,
            changed,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["grade"], json!(4));
    let r = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/operations/{}", created[1]),
            Some(&coord_u),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/operations/{}", created[1]),
            Some(&coord_r),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.count("operations").await, 2);
    verify_equal(&app).await;
}

#[tokio::test]
async fn operations_are_listed_by_filter_and_counted_by_grade_role_and_approach() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let coord_r = app.token("coord-r").await;
    let plan = [
        ("2025-01-05", "operated", 4, false),
        ("2025-02-05", "demonstration", 3, true),
        ("2025-03-05", "demonstration", 2, true),
        ("2025-04-05", "guided", 1, false),
        ("2025-05-05", "remote-guidance", 3, true),
    ];
    for (day, role, grade, mi) in plan {
        let (s, b) = app
            .post(
                "/api/v1/operations",
                &coord_r,
                operation(&w, day, role, grade, mi),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let list = |q: String| {
        let app = &app;
        let token = coord_r.clone();
        async move {
            let (s, b) = app.get(&format!("/api/v1/operations?{q}"), &token).await;
            assert_eq!(s, StatusCode::OK, "{b}");
            b["total"].as_i64().expect("total")
        }
    };
    assert_eq!(list(format!("program={}", w.program_a)).await, 5);
    assert_eq!(list(format!("institution={}", w.recipient)).await, 5);
    assert_eq!(list(format!("expert={}", w.person_d)).await, 5);
    assert_eq!(list(format!("expert={}", w.person_r)).await, 0);
    assert_eq!(list("from=2025-02-01&until=2025-04-05".into()).await, 3);
    assert_eq!(list("role=demonstration".into()).await, 2);
    assert_eq!(list("grade=3".into()).await, 2);
    assert_eq!(list("minimally_invasive=true".into()).await, 3);
    assert_eq!(
        list(format!("technique={}", shanhai_domain::ids::new_id())).await,
        0
    );
    // The indicators count them, and each one's list lists exactly that many.
    let vals = values(&app, &w, "2025-04-30").await;
    let expect = [
        ("operations", 4),
        ("operations-grade-4", 1),
        ("operations-grade-3", 1),
        ("operations-grade-2", 1),
        ("operations-grade-1", 1),
        ("operations-operated", 1),
        ("operations-demonstration", 2),
        ("operations-guided", 1),
        ("operations-remote-guidance", 0),
        ("operations-minimally-invasive", 2),
    ];
    for (code, n) in expect {
        let v = vals
            .iter()
            .find(|v| v["code"] == code)
            .unwrap_or_else(|| panic!("{code}"));
        assert_eq!(v["value"], json!(n), "{code}");
        let url = v["records_url"].as_str().expect("url");
        let (s, b) = app.get(url, &w.admin).await;
        assert_eq!(s, StatusCode::OK, "{url}: {b}");
        assert_eq!(b["total"], json!(n), "{code}: {url}");
    }
    // The briefing states the count and the demonstration share after it.
    let (s, b) = app
        .get(
            &format!(
                "/api/v1/programs/{}/briefing?until=2025-04-30&format=json",
                w.program_a
            ),
            &w.admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let text = b.to_string();
    assert!(text.contains("完成手术4台，其中示教手术占50.0%"), "{text}");
    verify_equal(&app).await;
}

async fn upload(app: &TestApp, token: &str, csv: String) -> (StatusCode, Value) {
    use reqwest::multipart::{Form, Part};
    let form = Form::new().part("file", Part::bytes(csv.into_bytes()).file_name("o.csv"));
    let r = app
        .client
        .post(app.url("/api/v1/imports/operations?dry_run=false"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("send");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

const HEADER: &str = "项目,机构*,科室,手术日期*,术式名称*,手术编码,手术分级*,派出专家*,专家单位,专家角色*,本院术者,微创,手术结果*,备注";

#[tokio::test]
async fn an_operations_sheet_imports_and_a_bad_row_imports_nothing_and_is_named() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let coord_r = app.token("coord-r").await;
    let good = |day: &str, role: &str| {
        format!(
            "沪蒙医疗协作,包头市中心医院,,{day},腹腔镜下胆囊切除术,51.23,三级,沈专家,上海交通大学医学院附属瑞金医院,{role},包医生,是,手术顺利,\n"
        )
    };
    // Row 3 names a bad code and an unknown grade: nothing is imported, the row and columns named.
    let bad = format!(
        "{HEADER}\n{}沪蒙医疗协作,包头市中心医院,,2025-03-02,胆囊切除术,5.123,五级,沈专家,,示教,,否,手术顺利,\n",
        good("2025-03-01", "示教")
    );
    let (s, b) = upload(&app, &coord_r, bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let errors = b["errors"].as_array().expect("errors");
    assert!(errors.iter().all(|e| e["row"] == json!(3)), "{b}");
    let columns: Vec<&str> = errors.iter().filter_map(|e| e["column"].as_str()).collect();
    assert!(
        columns.contains(&"手术编码") && columns.contains(&"手术分级"),
        "{b}"
    );
    assert_eq!(app.count("operations").await, 0);
    // A good sheet: counted, listed and equal to a recount.
    let csv = format!(
        "{HEADER}\n{}{}{}",
        good("2025-03-01", "示教"),
        good("2025-03-02", "主刀"),
        good("2025-03-03", "demonstration")
    );
    let (s, b) = upload(&app, &coord_r, csv).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["created"], json!(3), "{b}");
    let (s, list) = app
        .get("/api/v1/operations?role=demonstration", &coord_r)
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["total"], json!(2));
    assert_eq!(
        list["items"][0]["local_operators"][0]["name"],
        json!("包医生")
    );
    let vals = values(&app, &w, "2025-12-31").await;
    let n = |code: &str| {
        vals.iter()
            .find(|v| v["code"] == code)
            .map(|v| v["value"].clone())
    };
    assert_eq!(n("operations"), Some(json!(3)));
    assert_eq!(n("operations-grade-3"), Some(json!(3)));
    assert_eq!(n("operations-minimally-invasive"), Some(json!(3)));
    verify_equal(&app).await;
    // The template downloads with the sheet's headers.
    let r = app
        .client
        .get(app.url("/api/v1/imports/operations/template?format=csv"))
        .bearer_auth(&coord_r)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.expect("text");
    assert!(
        text.contains("术式名称*") && text.contains("专家角色*"),
        "{text}"
    );
}
