//! Plans (issue 19): a solve in the background with explanations in words, pins surviving a
//! re-solve, withdrawn availability re-planned, acceptance as a batch of ordinary assignments
//! (once, never when stale), and who may do what.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shanhai_store::query;

/// The world, three 心血管内科 experts at the donor (a chief, an associate chief, an
/// attending), their availability through 2027, and four needs at the recipient in
/// March–August 2027: two the two senior experts cover, one nobody is left for (taken by
/// higher priorities), one of a specialty nobody has.
struct Planning {
    w: World,
    office: String,
    experts: [String; 3],
    needs: [String; 4],
}

async fn person_of(
    app: &TestApp,
    token: &str,
    institution: &str,
    name: &str,
    title: &str,
) -> String {
    let (s, b) = app
        .post(
            "/api/v1/people",
            token,
            json!({"name": name, "gender": "male", "title": title, "institution_id": institution,
                   "specialty_code": "03.04"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().expect("id").to_string()
}

async fn exec(app: &TestApp, sql: &str, args: Vec<query::Arg>) {
    query::sql_with(sql.to_string(), args)
        .execute(app.db.pool())
        .await
        .expect("sql");
}

async fn availability(app: &TestApp, person: &str) -> String {
    let id = shanhai_domain::ids::new_id();
    exec(
        app,
        "INSERT INTO availability (id, person_id, start_date, end_date, modes, longest_stint_days, \
         created_at, updated_at) VALUES ($1, $2, '2027-01-01', '2027-12-31', '[\"stationed\",\"weekly\"]', \
         NULL, '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z')",
        vec![id.clone().into(), person.into()],
    )
    .await;
    id
}

#[allow(clippy::too_many_arguments)]
async fn need(
    app: &TestApp,
    w: &World,
    specialty: &str,
    department: Option<&str>,
    post: &str,
    min_title: Option<&str>,
    priority: i64,
) -> String {
    let id = shanhai_domain::ids::new_id();
    exec(
        app,
        "INSERT INTO needs (id, program_id, institution_id, department_id, specialty_code, mode, \
         start_date, end_date, min_stay_days, post, min_title, priority, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'stationed', '2027-03-01', '2027-08-31', 90, $6, $7, $8, 'open', \
         '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z')",
        vec![
            id.clone().into(),
            w.program_a.clone().into(),
            w.recipient.clone().into(),
            department.map(str::to_string).into(),
            specialty.into(),
            post.into(),
            min_title.map(str::to_string).into(),
            priority.into(),
        ],
    )
    .await;
    id
}

async fn planning(app: &TestApp) -> Planning {
    let w = world(app).await;
    let chief = person_of(app, &w.admin, &w.donor, "张三", "chief-physician").await;
    let associate = person_of(app, &w.admin, &w.donor, "李四", "associate-chief-physician").await;
    let attending = person_of(app, &w.admin, &w.donor, "王五", "attending-physician").await;
    for p in [&chief, &associate, &attending] {
        availability(app, p).await;
    }
    let d = Some(w.department_r.as_str());
    let senior = Some("associate-chief-physician");
    let first = need(app, &w, "03.04", d, "department-head", senior, 5).await;
    let second = need(app, &w, "03.04", d, "team-member", senior, 3).await;
    let third = need(app, &w, "03.04", d, "team-member", senior, 1).await;
    let paediatrics = need(app, &w, "07", None, "team-member", None, 2).await;
    let office = app.token("office").await;
    Planning {
        w,
        office,
        experts: [chief, associate, attending],
        needs: [first, second, third, paediatrics],
    }
}

async fn start(app: &TestApp, p: &Planning) -> String {
    let (s, b) = app
        .post(
            "/api/v1/plans",
            &p.office,
            json!({"program_id": p.w.program_a, "name": "2027 年春季批次", "horizon_start": "2027-03-01",
                   "horizon_end": "2027-08-31", "time_limit_seconds": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    b["id"].as_str().expect("plan id").to_string()
}

/// Polls the plan until its solve is over; the plan as it then reads.
async fn settled(app: &TestApp, token: &str, id: &str) -> Value {
    for _ in 0..600 {
        let (s, b) = app.get(&format!("/api/v1/plans/{id}"), token).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        if b["status"] != "queued" && b["status"] != "running" {
            return b;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("plan {id} still solving after a minute");
}

fn item_of<'a>(plan: &'a Value, need: &str) -> Option<&'a Value> {
    plan["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["need_id"] == need)
}

fn explained<'a>(plan: &'a Value, need: &str) -> Option<&'a Value> {
    plan["explanations"]
        .as_array()
        .expect("explanations")
        .iter()
        .find(|e| e["need"]["id"] == need)
}

#[tokio::test]
async fn a_plan_solves_in_the_background_and_says_in_words_why_each_uncovered_need_is() {
    let app = spawn_app().await;
    let p = planning(&app).await;
    let id = start(&app, &p).await;
    let plan = settled(&app, &p.office, &id).await;
    assert_eq!(plan["status"], "done", "{plan}");
    assert_eq!(plan["objective_words"], "按优先级加权的需求覆盖天数");
    assert_eq!(plan["progress"], 1000);
    assert!(plan["objective"].as_i64().unwrap_or(0) > 0, "{plan}");
    assert!(
        plan["bound"].as_i64() >= plan["objective"].as_i64(),
        "{plan}"
    );
    assert!(plan["greedy_objective"].is_i64(), "{plan}");
    assert_eq!(plan["stale"], false);

    // The two senior experts cover the two highest priorities, in full, by name.
    for need in &p.needs[..2] {
        let item = item_of(&plan, need).unwrap_or_else(|| panic!("{need} planned: {plan}"));
        assert!(
            item["person_name"] == "张三" || item["person_name"] == "李四",
            "{item}"
        );
        assert_eq!(item["institution_name"], "包头市中心医院");
        assert!(
            item["need_label"]
                .as_str()
                .unwrap_or("")
                .contains("心血管内科"),
            "{item}"
        );
        assert!(explained(&plan, need).is_none(), "{plan}");
    }
    // Every need not fully covered says why, in words, with names not ids.
    let explanations = plan["explanations"].as_array().expect("explanations");
    assert!(explanations.len() >= 2, "{plan}");
    for e in explanations {
        let reason = e["reason"].as_str().unwrap_or("");
        assert!(!reason.is_empty(), "{e}");
        assert!(!reason.contains(&p.w.program_a), "{reason}");
        for n in &p.needs {
            assert!(!reason.contains(n.as_str()), "an id in words: {reason}");
        }
    }
    let taken = explained(&plan, &p.needs[2]).expect("the third is left");
    let words = taken["reason"].as_str().unwrap_or("");
    assert!(words.contains("张三") || words.contains("李四"), "{words}");
    assert!(words.contains("优先级"), "{words}");
    let none = explained(&plan, &p.needs[3]).expect("paediatrics is left");
    let words = none["reason"].as_str().unwrap_or("");
    assert!(
        words.starts_with("没有") && words.contains("2027-03-01"),
        "{words}"
    );
    assert_eq!(none["reasons"][0]["kind"], "no-candidate");
    let suggestion = none["suggestion"].as_str().unwrap_or("");
    assert!(suggestion.contains("即可覆盖"), "{none}");

    // English on request.
    let (_, en) = app
        .get(&format!("/api/v1/plans/{id}?lang=en"), &p.office)
        .await;
    let words = explained(&en, &p.needs[3]).expect("explained")["reason"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(words.starts_with("No ") && words.is_ascii(), "{words}");
    assert_eq!(en["objective_words"], "Priority-weighted need-days covered");

    // The program's parties' coordinators read; others do not; only managers run plans.
    for who in ["coord-d", "coord-r"] {
        let t = app.token(who).await;
        let (s, _) = app.get(&format!("/api/v1/plans/{id}"), &t).await;
        assert_eq!(s, StatusCode::OK, "{who} reads");
        let (s, list) = app
            .get(&format!("/api/v1/plans?program={}", p.w.program_a), &t)
            .await;
        assert_eq!(
            (s, list["total"].as_i64()),
            (StatusCode::OK, Some(1)),
            "{list}"
        );
        let (s, _) = app
            .post(
                "/api/v1/plans",
                &t,
                json!({"program_id": p.w.program_a, "horizon_start": "2027-03-01", "horizon_end": "2027-08-31"}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who} may not plan");
        let (s, _) = app
            .post(&format!("/api/v1/plans/{id}/accept"), &t, json!({}))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who} may not accept");
    }
    for who in ["coord-u", "expert-d", "clinician-r"] {
        let t = app.token(who).await;
        let (s, _) = app.get(&format!("/api/v1/plans/{id}"), &t).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who} reads nothing");
        let (_, list) = app.get("/api/v1/plans", &t).await;
        assert_eq!(list["total"], 0, "{who}: {list}");
        let (s, _) = app
            .post(&format!("/api/v1/plans/{id}/solve"), &t, json!({}))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who} may not re-solve");
    }

    // Where the attending would fit: nowhere the title rule allows but paediatrics is not his.
    let (s, fits) = app
        .get(
            &format!("/api/v1/plans/{id}/fits?person={}", p.experts[0]),
            &p.office,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{fits}");
    assert_eq!(fits["expert"]["name"], "张三");
    for f in fits["fits"].as_array().expect("fits") {
        assert!(!f["text"].as_str().unwrap_or("").is_empty(), "{f}");
    }
}

#[tokio::test]
async fn bad_plans_and_edits_are_refused_with_the_rule_at_the_field() {
    let app = spawn_app().await;
    let p = planning(&app).await;
    let (s, b) = app
        .post(
            "/api/v1/plans",
            &p.office,
            json!({"program_id": "nope", "horizon_start": "2027-09-01", "horizon_end": "2027-03-01",
                   "time_limit_seconds": 0}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let plans_before = app.count("plans").await;
    assert_eq!(plans_before, 0);

    let id = start(&app, &p).await;
    let plan = settled(&app, &p.office, &id).await;
    assert_eq!(plan["status"], "done", "{plan}");
    // The attending is below the need's least title: refused, at the person.
    let (s, b) = app
        .post(
            &format!("/api/v1/plans/{id}/items"),
            &p.office,
            json!({"need_id": p.needs[2], "person_id": p.experts[2], "start_date": "2027-03-01", "end_date": "2027-06-30"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "person_id", "{b}");
    // Shorter than the minimum stay: refused, at the dates.
    let item = item_of(&plan, &p.needs[0]).expect("planned")["id"]
        .as_str()
        .expect("item id")
        .to_string();
    let (s, b) = app
        .put(
            &format!("/api/v1/plans/{id}/items/{item}"),
            &p.office,
            json!({"start_date": "2027-03-01", "end_date": "2027-03-31"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "start_date", "{b}");
    let (s, _) = app
        .put(
            &format!("/api/v1/plans/{id}/items/{item}"),
            &p.office,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app
        .get(&format!("/api/v1/plans/{id}/fits?person=nobody"), &p.office)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app
        .get(
            "/api/v1/plans/00000000-0000-4000-8000-000000000000",
            &p.office,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_pinned_item_survives_a_re_solve_and_withdrawn_availability_is_re_planned() {
    let app = spawn_app().await;
    let p = planning(&app).await;
    let id = start(&app, &p).await;
    let plan = settled(&app, &p.office, &id).await;
    let second = item_of(&plan, &p.needs[1]).expect("second planned").clone();
    let first = item_of(&plan, &p.needs[0]).expect("first planned").clone();
    let kept = second["person_id"].as_str().expect("person").to_string();
    let gone = first["person_id"].as_str().expect("person").to_string();
    assert_ne!(kept, gone);

    // Pin the second need's proposal where the coordinator wants it (moved: pinned).
    let (s, moved) = app
        .put(
            &format!(
                "/api/v1/plans/{id}/items/{}",
                second["id"].as_str().expect("id")
            ),
            &p.office,
            json!({"start_date": "2027-04-01", "end_date": "2027-08-31"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!(moved["pinned"], true);
    let plan = settled(&app, &p.office, &id).await;
    assert_eq!(plan["status"], "done", "{plan}");
    let pinned = item_of(&plan, &p.needs[1]).expect("still planned");
    assert_eq!(pinned["person_id"], kept.as_str());
    assert_eq!(
        (pinned["start_date"].as_str(), pinned["pinned"].as_bool()),
        (Some("2027-04-01"), Some(true))
    );
    // A re-solve on request keeps it too.
    let (s, _) = app
        .post(&format!("/api/v1/plans/{id}/solve"), &p.office, json!({}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let plan = settled(&app, &p.office, &id).await;
    let pinned = item_of(&plan, &p.needs[1]).expect("still planned");
    assert_eq!(pinned["start_date"], "2027-04-01");

    // The expert covering the first need withdraws: the plan is stale, cannot be accepted...
    exec(
        &app,
        "DELETE FROM availability WHERE person_id = $1",
        vec![gone.clone().into()],
    )
    .await;
    let (_, stale) = app.get(&format!("/api/v1/plans/{id}"), &p.office).await;
    assert_eq!(stale["stale"], true, "{stale}");
    let (s, b) = app
        .post(&format!("/api/v1/plans/{id}/accept"), &p.office, json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert!(b.to_string().contains("请重新求解"), "{b}");
    // ...and a re-solve re-plans what they covered and explains what is left.
    let (s, _) = app
        .post(&format!("/api/v1/plans/{id}/solve"), &p.office, json!({}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let plan = settled(&app, &p.office, &id).await;
    assert_eq!(
        (plan["status"].as_str(), plan["stale"].as_bool()),
        (Some("done"), Some(false))
    );
    for item in plan["items"].as_array().expect("items") {
        assert_ne!(item["person_id"], gone.as_str(), "{item}");
    }
    assert_eq!(
        item_of(&plan, &p.needs[1]).expect("pinned")["person_id"],
        kept.as_str()
    );
    let first = explained(&plan, &p.needs[0]).expect("the first need is explained");
    assert!(
        !first["reason"].as_str().unwrap_or("").is_empty(),
        "{first}"
    );

    // Unpin, swap and remove re-solve too.
    let pinned_id = item_of(&plan, &p.needs[1]).expect("pinned")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let (s, b) = app
        .put(
            &format!("/api/v1/plans/{id}/items/{pinned_id}"),
            &p.office,
            json!({"pinned": false}),
        )
        .await;
    assert_eq!(
        (s, b["pinned"].as_bool()),
        (StatusCode::OK, Some(false)),
        "{b}"
    );
    let plan = settled(&app, &p.office, &id).await;
    // While a solve runs, edits wait for it.
    exec(
        &app,
        "UPDATE plans SET status = 'running' WHERE id = $1",
        vec![id.clone().into()],
    )
    .await;
    let any = plan["items"][0]["id"]
        .as_str()
        .expect("an item")
        .to_string();
    let (s, b) = app
        .put(
            &format!("/api/v1/plans/{id}/items/{any}"),
            &p.office,
            json!({"pinned": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "being solved: {b}");
    exec(
        &app,
        "UPDATE plans SET status = 'done' WHERE id = $1",
        vec![id.clone().into()],
    )
    .await;
    let any = plan["items"][0]["id"]
        .as_str()
        .expect("an item")
        .to_string();
    let r = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/plans/{id}/items/{any}"),
            Some(&p.office),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let plan = settled(&app, &p.office, &id).await;
    assert_eq!(plan["status"], "done", "{plan}");
}

#[tokio::test]
async fn an_accepted_plan_is_a_batch_of_ordinary_assignments_audited_and_accepted_once() {
    let app = spawn_app().await;
    let p = planning(&app).await;
    let id = start(&app, &p).await;
    let plan = settled(&app, &p.office, &id).await;
    let n = plan["items"].as_array().expect("items").len();
    assert!(n >= 2, "{plan}");

    let (s, accepted) = app
        .post(
            &format!("/api/v1/plans/{id}/accept"),
            &p.office,
            json!({"batch_name": "2027 年春季批次"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["status"], "accepted");
    let batch = accepted["batch_id"].as_str().expect("batch").to_string();
    assert_eq!(accepted["batch_number"], 1);
    for item in accepted["items"].as_array().expect("items") {
        assert!(item["assignment_id"].is_string(), "{item}");
    }

    // Ordinary assignments: the roster, the calendar, the audit log.
    let (_, roster) = app
        .get(&format!("/api/v1/assignments?batch={batch}"), &p.office)
        .await;
    assert_eq!(roster["total"].as_u64(), Some(n as u64), "{roster}");
    let a = &roster["items"][0];
    assert_eq!(a["institution_name"], "包头市中心医院");
    assert_eq!(a["mode"], "stationed");
    let (s, cal) = app
        .get(
            "/api/v1/dispatch/calendar?region=150000&week=2027-05-05",
            &p.office,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{cal}");
    assert!(
        cal.to_string().contains("张三") || cal.to_string().contains("李四"),
        "{cal}"
    );
    let (_, audit) = app
        .get("/api/v1/audit?entity=assignment&action=create", &p.w.admin)
        .await;
    assert_eq!(audit["total"].as_u64(), Some(n as u64), "{audit}");
    let (_, audit) = app.get("/api/v1/audit?entity=batch", &p.w.admin).await;
    assert_eq!(audit["total"], 1, "{audit}");
    let (_, audit) = app.get("/api/v1/audit?entity=plan", &p.w.admin).await;
    assert!(
        audit["total"].as_u64() >= Some(3),
        "created, solved, accepted: {audit}"
    );

    // Once only; an accepted plan is not edited or re-solved.
    let (s, b) = app
        .post(&format!("/api/v1/plans/{id}/accept"), &p.office, json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    let (s, _) = app
        .post(&format!("/api/v1/plans/{id}/solve"), &p.office, json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(app.count("batches").await, 1);

    // A second plan over the same needs meets the assignments now made: the experts are busy,
    // and accepting it cannot put anyone in two places.
    let second = start(&app, &p).await;
    let plan = settled(&app, &p.office, &second).await;
    assert_eq!(plan["status"], "done", "{plan}");
    for item in plan["items"].as_array().expect("items") {
        assert!(
            !(item["person_name"] == "张三" || item["person_name"] == "李四"),
            "busy experts planned again: {item}"
        );
    }
}

#[tokio::test]
async fn a_restart_fails_the_plans_it_interrupted() {
    let app = spawn_app().await;
    let p = planning(&app).await;
    let id = shanhai_domain::ids::new_id();
    exec(
        &app,
        "INSERT INTO plans (id, program_id, horizon_start, horizon_end, status, time_limit_seconds, \
         created_at, updated_at) VALUES ($1, $2, '2027-03-01', '2027-08-31', 'running', 10, \
         '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z')",
        vec![id.clone().into(), p.w.program_a.clone().into()],
    )
    .await;
    // The same database and data directory, served again.
    let again = spawn_app_on(TempDir(app.data_dir.clone()), app.database_url.clone()).await;
    let (s, plan) = again.get(&format!("/api/v1/plans/{id}"), &p.office).await;
    assert_eq!(s, StatusCode::OK, "{plan}");
    assert_eq!(plan["status"], "failed", "{plan}");
    assert!(
        plan["error"].as_str().unwrap_or("").contains("重启"),
        "{plan}"
    );
    // A failed plan is solved again on request.
    let (s, _) = again
        .post(&format!("/api/v1/plans/{id}/solve"), &p.office, json!({}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let plan = settled(&again, &p.office, &id).await;
    assert_eq!(plan["status"], "done", "{plan}");
}
