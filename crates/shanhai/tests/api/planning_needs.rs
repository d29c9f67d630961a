//! Needs, availability and planning rules (issue 19): validation (every problem at once, each
//! at its field; bad input changes nothing), access (who posts and reads), the stale marking of
//! a program's open plans, and the rules' defaults.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shanhai_domain::accounts::UserInput;
use shanhai_store::audit::Actor;

/// An expert account for person D (the expert edits their own availability).
async fn expert_of_d(app: &TestApp, w: &World) {
    let new = UserInput {
        username: "dr-shen".into(),
        display_name: None,
        password: PASSWORD.into(),
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
}

fn need(w: &World) -> Value {
    json!({
        "program_id": w.program_a,
        "institution_id": w.recipient,
        "department_id": w.department_r,
        "specialty_code": "03.04",
        "mode": "stationed",
        "start_date": "2027-03-01",
        "end_date": "2027-08-31",
        "min_stay_days": 90,
        "post": "department-head",
        "min_title": "associate-chief-physician",
        "priority": 4
    })
}

fn window(w: &World) -> Value {
    json!({
        "person_id": w.person_d,
        "start_date": "2027-01-01",
        "end_date": "2027-12-31",
        "modes": ["stationed", "weekly"],
        "longest_stint_days": 180,
        "blackouts": [{"start_date": "2027-05-01", "end_date": "2027-05-07", "reason": "年假"}]
    })
}

fn fields(body: &Value) -> Vec<String> {
    body["error"]["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_else(|| {
            body["error"]["field"]
                .as_str()
                .map(|f| vec![f.to_string()])
                .unwrap_or_default()
        })
}

async fn delete(app: &TestApp, path: &str, token: &str) -> StatusCode {
    app.request(Method::DELETE, path, Some(token), None)
        .await
        .status()
}

/// A plan of program A (as the plans part writes it), open or accepted.
async fn plan(app: &TestApp, program: &str, status: &str) -> String {
    let id = shanhai_domain::ids::new_id();
    sqlx::query(
        "INSERT INTO plans (id, program_id, horizon_start, horizon_end, status, \
         time_limit_seconds, created_at, updated_at) \
         VALUES ($1, $2, '2027-01-01', '2027-12-31', $3, 5, '2026-12-01', '2026-12-01')",
    )
    .bind(&id)
    .bind(program)
    .bind(status)
    .execute(app.db.pool())
    .await
    .expect("plan");
    id
}

async fn stale(app: &TestApp, plan: &str) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT stale FROM plans WHERE id = $1")
        .bind(plan)
        .fetch_one(app.db.pool())
        .await
        .expect("plan")
        .try_get::<i64, _>("stale")
        .expect("stale")
}

/// The open plan of program A is stale, the accepted one and program B's are not; then all
/// are made fresh again for the next step.
async fn check(app: &TestApp, [open, accepted, other]: [&str; 3], what: &str) {
    assert_eq!(stale(app, open).await, 1, "{what}: the open plan is stale");
    assert_eq!(
        stale(app, accepted).await,
        0,
        "{what}: an accepted plan stays"
    );
    assert_eq!(
        stale(app, other).await,
        0,
        "{what}: another program's stays"
    );
    unstale(app).await;
}

async fn unstale(app: &TestApp) {
    sqlx::query("UPDATE plans SET stale = 0")
        .execute(app.db.pool())
        .await
        .expect("unstale");
}

#[tokio::test]
async fn a_need_shows_every_problem_at_its_field_and_changes_nothing() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let office = app.token("office").await;
    let audit = app.count("audit_log").await;
    let (s, b) = app
        .post(
            "/api/v1/needs",
            &office,
            json!({
                "program_id": "",
                "institution_id": w.recipient,
                "specialty_code": "99.99",
                "mode": "weekly",
                "start_date": "2027-03-01",
                "end_date": "2027-02-01",
                "min_stay_days": 0,
                "post": "boss",
                "min_title": "king",
                "priority": 6,
                "team_name": "第一组"
            }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let f = fields(&b);
    for field in [
        "program_id",
        "specialty_code",
        "weekdays",
        "end_date",
        "min_stay_days",
        "post",
        "min_title",
        "priority",
        "team_role",
    ] {
        assert!(f.contains(&field.to_string()), "{field} in {f:?}");
    }
    // The minimum stay must fit in the window, said at the field.
    let mut long = need(&w);
    long["min_stay_days"] = json!(185);
    let (s, b) = app.post("/api/v1/needs", &office, long).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "min_stay_days", "{b}");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("最短驻派期长于需求时段"),
        "{b}"
    );
    // The institution is a recipient of the program; the department is the institution's.
    let mut elsewhere = need(&w);
    elsewhere["institution_id"] = json!(w.unrelated);
    let (s, b) = app.post("/api/v1/needs", &office, elsewhere).await;
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::UNPROCESSABLE_ENTITY,
        "{s} {b}"
    );
    let admin = w.admin.clone();
    let mut elsewhere = need(&w);
    elsewhere["institution_id"] = json!(w.unrelated);
    elsewhere["department_id"] = Value::Null;
    let (s, b) = app.post("/api/v1/needs", &admin, elsewhere).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "institution_id", "{b}");
    let mut other_department = need(&w);
    other_department["institution_id"] = json!(w.recipient);
    other_department["department_id"] =
        json!(department(&app, &admin, &w.unrelated, "03", "内科").await);
    let (s, b) = app.post("/api/v1/needs", &admin, other_department).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "department_id", "{b}");
    assert_eq!(app.count("needs").await, 0, "nothing was written");
    // One department was added above (audited); no need was.
    assert_eq!(app.count("audit_log").await, audit + 1);

    // A good one, read back with its labels.
    let (s, b) = app.post("/api/v1/needs", &office, need(&w)).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["institution_name"], "包头市中心医院");
    assert_eq!(b["department_name"], "心血管内科");
    assert_eq!(b["specialty_name"], "心血管内科专业");
    assert_eq!(b["status"], "open");
    let id = b["id"].as_str().expect("id").to_string();
    // One leader per team name at an institution in a program.
    let mut leader = need(&w);
    leader["team_name"] = json!("组团一队");
    leader["team_role"] = json!("leader");
    let (s, b) = app.post("/api/v1/needs", &office, leader.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = app.post("/api/v1/needs", &office, leader).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "team_role", "{b}");
    // Filters and paging.
    let (s, b) = app
        .get(
            &format!(
                "/api/v1/needs?program={}&institution={}&specialty=03&status=open&per_page=1",
                w.program_a, w.recipient
            ),
            &office,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["total"], 2, "{b}");
    assert_eq!(b["items"].as_array().map(Vec::len), Some(1));
    // Deleted when no plan names it.
    assert_eq!(
        delete(&app, &format!("/api/v1/needs/{id}"), &office).await,
        StatusCode::OK
    );
    let (s, _) = app.get(&format!("/api/v1/needs/{id}"), &office).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn needs_are_posted_by_the_recipient_side_and_the_office_and_read_by_the_donor_side() {
    let app = spawn_app().await;
    let w = world(&app).await;
    expert_of_d(&app, &w).await;
    for (who, want) in [
        ("admin", StatusCode::CREATED),
        ("office", StatusCode::CREATED),
        ("coord-r", StatusCode::CREATED),
        ("coord-d", StatusCode::FORBIDDEN),
        ("coord-u", StatusCode::FORBIDDEN),
        ("expert-d", StatusCode::FORBIDDEN),
        ("clinician-r", StatusCode::FORBIDDEN),
        ("dr-shen", StatusCode::FORBIDDEN),
    ] {
        let t = app.token(who).await;
        let (s, b) = app.post("/api/v1/needs", &t, need(&w)).await;
        assert_eq!(s, want, "{who}: {b}");
    }
    assert_eq!(app.count("needs").await, 3);
    let (_, list) = app.get("/api/v1/needs", &w.admin).await;
    let id = list["items"][0]["id"].as_str().expect("id").to_string();
    for (who, total, read) in [
        ("coord-d", 3, StatusCode::OK),
        ("dr-shen", 3, StatusCode::OK),
        ("coord-r", 3, StatusCode::OK),
        ("coord-u", 0, StatusCode::FORBIDDEN),
        ("clinician-r", 0, StatusCode::FORBIDDEN),
    ] {
        let t = app.token(who).await;
        let (s, b) = app.get("/api/v1/needs", &t).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["total"], total, "{who}: {b}");
        let (s, _) = app.get(&format!("/api/v1/needs/{id}"), &t).await;
        assert_eq!(s, read, "{who}");
    }
    // Changing and withdrawing: the writers only.
    let coord_d = app.token("coord-d").await;
    let (s, _) = app
        .put(&format!("/api/v1/needs/{id}"), &coord_d, need(&w))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        delete(&app, &format!("/api/v1/needs/{id}"), &coord_d).await,
        StatusCode::FORBIDDEN
    );
    let coord_r = app.token("coord-r").await;
    let mut changed = need(&w);
    changed["priority"] = json!(5);
    let (s, b) = app
        .put(&format!("/api/v1/needs/{id}"), &coord_r, changed)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["priority"], 5);
}

#[tokio::test]
async fn availability_is_posted_by_the_donor_side_and_the_expert_for_themself() {
    let app = spawn_app().await;
    let w = world(&app).await;
    expert_of_d(&app, &w).await;
    let coord_d = app.token("coord-d").await;
    let audit = app.count("audit_log").await;
    // Every problem at once, each at its field; nothing written.
    let (s, b) = app
        .post(
            "/api/v1/availability",
            &coord_d,
            json!({
                "person_id": "nobody",
                "start_date": "2027-03-01",
                "end_date": "2027-12-31",
                "modes": [],
                "longest_stint_days": 3,
                "blackouts": [
                    {"start_date": "2028-01-01", "end_date": "2028-01-05"},
                    {"start_date": "2027-06-05", "end_date": "2027-06-01"}
                ]
            }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let f = fields(&b);
    for field in [
        "person_id",
        "modes",
        "longest_stint_days",
        "blackouts[0].start_date",
        "blackouts[1].end_date",
    ] {
        assert!(f.contains(&field.to_string()), "{field} in {f:?}");
    }
    // A person of a recipient is not on the donor side.
    let admin = w.admin.clone();
    let mut recipient_person = window(&w);
    recipient_person["person_id"] = json!(w.person_r);
    let (s, b) = app
        .post("/api/v1/availability", &admin, recipient_person)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "person_id");
    assert_eq!(app.count("availability").await, 0);
    assert_eq!(app.count("audit_log").await, audit);

    for (who, want) in [
        ("admin", StatusCode::CREATED),
        ("office", StatusCode::CREATED),
        ("coord-d", StatusCode::CREATED),
        ("dr-shen", StatusCode::CREATED),
        ("coord-r", StatusCode::FORBIDDEN),
        ("coord-u", StatusCode::FORBIDDEN),
        ("expert-d", StatusCode::FORBIDDEN),
        ("clinician-r", StatusCode::FORBIDDEN),
    ] {
        let t = app.token(who).await;
        let (s, b) = app.post("/api/v1/availability", &t, window(&w)).await;
        assert_eq!(s, want, "{who}: {b}");
    }
    let (s, b) = app
        .get(
            &format!("/api/v1/availability?program={}&per_page=2", w.program_a),
            &coord_d,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["total"], 4, "{b}");
    let first = &b["items"][0];
    assert_eq!(first["person_name"], "沈专家");
    assert_eq!(first["title"], "chief-physician");
    assert_eq!(first["institution_name"], "上海交通大学医学院附属瑞金医院");
    assert_eq!(first["blackouts"][0]["reason"], "年假");
    let id = first["id"].as_str().expect("id").to_string();
    // The expert edits their own window, not another expert's.
    let shen = app.token("dr-shen").await;
    let mut changed = window(&w);
    changed["blackouts"] = json!([]);
    let (s, b) = app
        .put(
            &format!("/api/v1/availability/{id}"),
            &shen,
            changed.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["blackouts"], json!([]));
    let other = person(&app, &admin, &w.donor, "林专家").await;
    let mut theirs = window(&w);
    theirs["person_id"] = json!(other);
    let (s, b) = app
        .post("/api/v1/availability", &coord_d, theirs.clone())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let other_window = b["id"].as_str().expect("id").to_string();
    let (s, _) = app
        .put(
            &format!("/api/v1/availability/{other_window}"),
            &shen,
            theirs.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.post("/api/v1/availability", &shen, theirs).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        delete(&app, &format!("/api/v1/availability/{other_window}"), &shen).await,
        StatusCode::FORBIDDEN
    );
    let (s, _) = app
        .get(&format!("/api/v1/availability/{other_window}"), &shen)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The recipient side does not read the donor's calendars.
    let coord_r = app.token("coord-r").await;
    let (_, b) = app.get("/api/v1/availability", &coord_r).await;
    assert_eq!(b["total"], 0, "{b}");
    assert_eq!(
        delete(&app, &format!("/api/v1/availability/{id}"), &shen).await,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn every_write_marks_the_program_s_open_plans_stale() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let office = app.token("office").await;
    let open = plan(&app, &w.program_a, "done").await;
    let accepted = plan(&app, &w.program_a, "accepted").await;
    let other = plan(&app, &w.program_b, "done").await;
    let plans = [open.as_str(), accepted.as_str(), other.as_str()];
    let (s, b) = app.post("/api/v1/needs", &office, need(&w)).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let id = b["id"].as_str().expect("id").to_string();
    check(&app, plans, "posting a need").await;
    let (s, _) = app
        .put(&format!("/api/v1/needs/{id}"), &office, need(&w))
        .await;
    assert_eq!(s, StatusCode::OK);
    check(&app, plans, "changing a need").await;
    let (s, b) = app.post("/api/v1/availability", &office, window(&w)).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let window_id = b["id"].as_str().expect("id").to_string();
    check(&app, plans, "posting availability").await;
    let (s, _) = app
        .put(
            &format!("/api/v1/availability/{window_id}"),
            &office,
            window(&w),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    check(&app, plans, "changing availability").await;
    assert_eq!(
        delete(&app, &format!("/api/v1/availability/{window_id}"), &office).await,
        StatusCode::NO_CONTENT
    );
    check(&app, plans, "removing availability").await;
    let (s, _) = app
        .put(
            &format!("/api/v1/programs/{}/planning-rules", w.program_a),
            &office,
            json!({"rest_days": 7}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    check(&app, plans, "setting the rules").await;
    // A need a plan names is withdrawn, not deleted.
    sqlx::query(
        "INSERT INTO plan_items (id, plan_id, need_id, person_id, start_date, end_date, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, '2027-03-01', '2027-06-01', \
         '2026-12-01', '2026-12-01')",
    )
    .bind(shanhai_domain::ids::new_id())
    .bind(&open)
    .bind(&id)
    .bind(&w.person_d)
    .execute(app.db.pool())
    .await
    .expect("plan item");
    let r = app
        .request(
            Method::DELETE,
            &format!("/api/v1/needs/{id}"),
            Some(&office),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let b: Value = r.json().await.expect("json");
    assert_eq!(b["outcome"], "withdrawn");
    check(&app, plans, "withdrawing a need").await;
    let (s, b) = app.get(&format!("/api/v1/needs/{id}"), &office).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["status"], "withdrawn");
    // Refused writes mark nothing.
    let coord_u = app.token("coord-u").await;
    let (s, _) = app.post("/api/v1/needs", &coord_u, need(&w)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(stale(&app, &open).await, 0);
}

#[tokio::test]
async fn planning_rules_default_until_the_program_s_managers_set_them() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let coord_d = app.token("coord-d").await;
    let path = format!("/api/v1/programs/{}/planning-rules", w.program_a);
    let (s, b) = app.get(&path, &coord_d).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b,
        json!({"program_id": w.program_a, "rest_days": 14, "check_title": true,
               "team_within_leader": true, "split_needs": true, "customised": false})
    );
    let (s, _) = app.put(&path, &coord_d, json!({"rest_days": 7})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let office_b = {
        app.add_user("office-b", "program-office", Some(&w.program_b), None)
            .await;
        app.token("office-b").await
    };
    let (s, _) = app.put(&path, &office_b, json!({"rest_days": 7})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let office = app.token("office").await;
    let (s, b) = app.put(&path, &office, json!({"rest_days": 91})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "rest_days");
    let (s, b) = app
        .put(
            &path,
            &office,
            json!({"rest_days": 0, "check_title": false, "split_needs": false}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, b) = app.get(&path, &coord_d).await;
    assert_eq!(
        b,
        json!({"program_id": w.program_a, "rest_days": 0, "check_title": false,
               "team_within_leader": true, "split_needs": false, "customised": true})
    );
    let (s, _) = app
        .get(
            &format!(
                "/api/v1/programs/{}/planning-rules",
                shanhai_domain::ids::new_id()
            ),
            &office,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(app.db.pool())
        .await
        .expect("query")
        .try_get::<i64, _>(0)
        .expect("a number")
}

/// The demo's next batch (2027): 豫哈's needs across its four schemes, 沪滇's three teams each
/// with one leader, 宁德's weekly needs, availability for the donor experts, and exactly one
/// need whose specialty no expert with availability in its program has. SQLite only (the
/// demo takes a while to load).
#[tokio::test]
async fn the_demo_posts_the_next_batch_s_needs_and_availability() {
    if std::env::var("SHANHAI_TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        return;
    }
    let app = spawn_app().await;
    let cipher = shanhai_store::crypto::PatientCipher::load(&app.data_dir).expect("patient key");
    shanhai_demo::load(&app.db, &cipher)
        .await
        .expect("demo loads");
    let yu_ha = "(SELECT id FROM programs WHERE name LIKE '%豫哈%')";
    let n = scalar(
        &app,
        &format!("SELECT COUNT(*) FROM needs WHERE program_id = {yu_ha}"),
    )
    .await;
    assert!((30..=40).contains(&n), "豫哈's needs: {n}");
    let schemes = scalar(
        &app,
        &format!("SELECT COUNT(DISTINCT scheme_id) FROM needs WHERE program_id = {yu_ha}"),
    )
    .await;
    assert_eq!(schemes, 4, "豫哈's four schemes");
    let teams = scalar(
        &app,
        "SELECT COUNT(*) FROM (SELECT team_name FROM needs WHERE team_name IS NOT NULL \
         GROUP BY institution_id, team_name \
         HAVING SUM(CASE WHEN team_role = 'leader' THEN 1 ELSE 0 END) = 1 \
         AND COUNT(*) BETWEEN 4 AND 5) t",
    )
    .await;
    assert_eq!(
        teams, 3,
        "three 组团式 teams, one leader and 3–4 members each"
    );
    let weekly = scalar(
        &app,
        "SELECT COUNT(*) FROM needs WHERE mode = 'weekly' AND weekdays IS NOT NULL",
    )
    .await;
    assert!(weekly >= 8, "候鸟 needs: {weekly}");
    let windows = scalar(&app, "SELECT COUNT(*) FROM availability").await;
    assert!(windows >= 80, "availability: {windows}");
    // A need is coverable when someone with availability, working at a donor of its program,
    // has its specialty.
    let uncoverable = scalar(
        &app,
        "SELECT COUNT(*) FROM needs n WHERE NOT EXISTS ( \
           SELECT 1 FROM availability a JOIN people p ON p.id = a.person_id \
           JOIN pairings pr ON pr.donor_id = p.institution_id AND pr.program_id = n.program_id \
           WHERE p.specialty_code = n.specialty_code)",
    )
    .await;
    assert_eq!(uncoverable, 1, "exactly one need nobody can cover");
    // Every window's person is on one program's donor side only once: no two windows of one
    // expert overlap.
    let overlapping = scalar(
        &app,
        "SELECT COUNT(*) FROM availability a JOIN availability b ON a.person_id = b.person_id \
         AND a.id < b.id AND a.start_date <= b.end_date AND b.start_date <= a.end_date",
    )
    .await;
    assert_eq!(overlapping, 0);
}
