//! Teams (issue 18): a team with its leader, members and visits; the workload's rescues and
//! MDT participations; and every figure scoped to a team, a pairing or a dispatch scheme —
//! each counting exactly the records its `records_url` lists, indicators without a meaning in
//! the scope left out, read under the program's figures' access.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Setup {
    team: String,
    scheme: String,
    other_scheme: String,
    /// A donor expert on the team, and one who is not.
    member: String,
    outsider: String,
}

async fn scheme(app: &TestApp, w: &World, name: &str) -> String {
    let (s, b) = app
        .post(
            "/api/v1/dispatch-schemes",
            &w.admin,
            json!({"program_id": w.program_a, "name": name}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().expect("id").to_string()
}

/// Two batches of two schemes; the member serves in the first, the outsider in the second;
/// each files two months of workload; the team (led by the member) visits the recipient twice.
async fn setup(app: &TestApp, w: &World) -> Setup {
    let s1 = scheme(app, w, "柔性援疆").await;
    let s2 = scheme(app, w, "名医行").await;
    let outsider = person(app, &w.admin, &w.donor, "外专家").await;
    let mut assignments = Vec::new();
    for (n, s, p) in [(1, &s1, &w.person_d), (2, &s2, &outsider)] {
        let (st, b) = app
            .post(
                "/api/v1/batches",
                &w.admin,
                json!({"program_id": w.program_a, "pairing_id": w.pairing, "scheme_id": s, "number": n,
                       "start_date": "2025-01-01", "end_date": "2025-12-31"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
        let (st, a) = app
            .post(
                "/api/v1/assignments",
                &w.admin,
                json!({"batch_id": b["id"], "person_id": p, "institution_id": w.recipient,
                       "mode": "stationed", "post": "team-member", "start_date": "2025-01-10", "end_date": "2025-06-30"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{a}");
        assignments.push(a["id"].as_str().expect("id").to_string());
    }
    for (k, a) in assignments.iter().enumerate() {
        for (start, end) in [("2025-01-10", "2025-01-31"), ("2025-02-01", "2025-02-28")] {
            let k = k as i64;
            let (s, b) = app
                .post(
                    "/api/v1/workload-reports",
                    &w.admin,
                    json!({"assignment_id": a, "period_start": start, "period_end": end,
                           "outpatients": 100 + k, "admissions": 10, "operations": 3,
                           "rescues": 4 + k, "mdt_participations": 2}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
            assert_eq!(b["rescues"], json!(4 + k), "{b}");
        }
    }
    let (s, t) = app
        .post(
            "/api/v1/teams",
            &w.admin,
            json!({"program_id": w.program_a, "name": "沈专家团队", "kind": "academician",
                   "home_institution_id": w.donor, "host_institution_id": w.recipient,
                   "leader_id": w.person_d, "formed_on": "2024-12-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let team = t["id"].as_str().expect("id").to_string();
    assert_eq!(
        t["member_count"],
        json!(1),
        "the leader is the first member: {t}"
    );
    for (start, end) in [("2025-01-15", "2025-01-17"), ("2025-03-02", "2025-03-04")] {
        let (s, v) = app
            .post(
                &format!("/api/v1/teams/{team}/visits"),
                &w.admin,
                json!({"start_date": start, "end_date": end, "note": "门诊与手术"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["institution_id"], json!(w.recipient), "at the host: {v}");
    }
    Setup {
        team,
        scheme: s1,
        other_scheme: s2,
        member: w.person_d.clone(),
        outsider,
    }
}

/// The figures of the program narrowed by `query`, by code.
async fn figures(app: &TestApp, w: &World, query: &str) -> Vec<Value> {
    let (s, v) = app
        .get(
            &format!(
                "/api/v1/programs/{}/indicators?until=2025-12-31{query}",
                w.program_a
            ),
            &w.admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().expect("list").clone()
}

fn value(figs: &[Value], code: &str) -> Option<i64> {
    figs.iter()
        .find(|v| v["code"] == code)
        .and_then(|v| v["value"].as_i64())
}

/// Every figure's `records_url` lists exactly what it counts: as many records for counts, rows
/// whose `value`s add up to it for sums.
async fn each_figure_lists_its_records(app: &TestApp, token: &str, figs: &[Value]) {
    for f in figs {
        let url = f["records_url"].as_str().expect("url");
        assert!(!url.is_empty(), "{f}");
        if f["measure"] == "money" {
            continue;
        }
        let (s, list) = app.get(&format!("{url}&per_page=200"), token).await;
        assert_eq!(s, StatusCode::OK, "{url}: {list}");
        let counted = if f["measure"] == "count" {
            list["total"].as_i64().expect("total")
        } else {
            list["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|i| i["value"].as_i64().unwrap_or(0))
                .sum()
        };
        assert_eq!(
            Some(counted),
            f["value"].as_i64(),
            "{} over {url}",
            f["code"]
        );
    }
}

#[tokio::test]
async fn a_teams_figures_count_its_members_records_and_its_visits_and_list_them() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let x = setup(&app, &w).await;

    // The program: both experts, both schemes, the visits and the new workload counts.
    let all = figures(&app, &w, "").await;
    assert_eq!(value(&all, "experts-dispatched"), Some(2));
    assert_eq!(value(&all, "batches"), Some(2));
    assert_eq!(value(&all, "team-visits"), Some(2));
    assert_eq!(value(&all, "workload-rescues"), Some(4 + 4 + 5 + 5));
    assert_eq!(value(&all, "workload-mdt"), Some(8));
    each_figure_lists_its_records(&app, &w.admin, &all).await;

    // The team: its member's records and its visits; a team has no batches or consultations.
    let team = figures(&app, &w, &format!("&team={}", x.team)).await;
    assert_eq!(value(&team, "experts-dispatched"), Some(1));
    assert_eq!(value(&team, "team-visits"), Some(2));
    assert_eq!(value(&team, "workload-outpatients"), Some(200));
    assert_eq!(value(&team, "workload-rescues"), Some(8));
    for absent in ["batches", "consultations", "funding", "techniques"] {
        assert_eq!(
            value(&team, absent),
            None,
            "{absent} has no meaning for a team"
        );
    }
    each_figure_lists_its_records(&app, &w.admin, &team).await;
    let (_, experts) = app
        .get(
            team.iter()
                .find(|v| v["code"] == "experts-dispatched")
                .and_then(|v| v["records_url"].as_str())
                .expect("url"),
            &w.admin,
        )
        .await;
    assert_eq!(experts["items"][0]["id"], json!(x.member), "{experts}");

    // A member who joins counts from the day they joined: the outsider's January report (ends
    // 2025-01-31) stays out, February's comes in.
    let (s, m) = app
        .post(
            &format!("/api/v1/teams/{}/members", x.team),
            &w.admin,
            json!({"person_id": x.outsider, "joined_on": "2025-02-15"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(m["person_name"], json!("外专家"));
    assert_eq!(m["person_title"], json!("chief-physician"));
    let team = figures(&app, &w, &format!("&team={}", x.team)).await;
    assert_eq!(value(&team, "workload-outpatients"), Some(200 + 101));
    each_figure_lists_its_records(&app, &w.admin, &team).await;
    let (s, again) = app
        .post(
            &format!("/api/v1/teams/{}/members", x.team),
            &w.admin,
            json!({"person_id": x.outsider, "joined_on": "2025-02-15"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{again}");

    // A scheme: the records reached through its batches.
    let s1 = figures(&app, &w, &format!("&scheme={}", x.scheme)).await;
    assert_eq!(value(&s1, "batches"), Some(1));
    assert_eq!(value(&s1, "experts-dispatched"), Some(1));
    assert_eq!(value(&s1, "workload-rescues"), Some(8));
    assert_eq!(
        value(&s1, "team-visits"),
        None,
        "visits go through no batch"
    );
    each_figure_lists_its_records(&app, &w.admin, &s1).await;
    let s2 = figures(&app, &w, &format!("&scheme={}", x.other_scheme)).await;
    assert_eq!(value(&s2, "workload-rescues"), Some(10));

    // A pairing: both batches; capacity records without a pairing are left out.
    let p = figures(&app, &w, &format!("&pairing={}", w.pairing)).await;
    assert_eq!(value(&p, "batches"), Some(2));
    assert_eq!(value(&p, "experts-dispatched"), Some(2));
    assert_eq!(value(&p, "consultations"), None);
    each_figure_lists_its_records(&app, &w.admin, &p).await;

    // The roll-ups agree with a recount after all of this.
    let mismatches = shanhai_store::rollups::verify(&app.db)
        .await
        .expect("verify");
    assert!(mismatches.is_empty(), "{mismatches:?}");
    // And the roll-up API takes the team; an indicator without a meaning there is refused.
    let (s, r) = app
        .get(
            &format!(
                "/api/v1/rollups?program={}&team={}&indicator=team-visits&until=2025-12-31",
                w.program_a, x.team
            ),
            &w.admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["items"][0]["value"], json!(2), "{r}");
    let (s, r) = app
        .get(
            &format!(
                "/api/v1/rollups?program={}&team={}&indicator=batches",
                w.program_a, x.team
            ),
            &w.admin,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
}

#[tokio::test]
async fn scoped_figures_and_briefings_name_their_scope_and_are_read_as_the_programs_are() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let x = setup(&app, &w).await;
    let base = format!("/api/v1/programs/{}", w.program_a);

    // The briefing in every format, titled with the team.
    let (s, b) = app
        .get(
            &format!(
                "{base}/briefing?until=2025-12-31&team={}&format=json",
                x.team
            ),
            &w.admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(
        b["title"].as_str().expect("title").contains("沈专家团队"),
        "{b}"
    );
    assert_eq!(b["scope"], json!("沈专家团队"));
    let figs: Vec<Value> = b["figures"].as_array().expect("figures").clone();
    assert!(
        figs.iter()
            .any(|f| f["code"] == "team-visits" && f["value"] == json!(2)),
        "{b}"
    );
    assert!(!figs.iter().any(|f| f["code"] == "batches"), "{b}");
    for format in ["html", "docx"] {
        let r = app
            .request(
                Method::GET,
                &format!(
                    "{base}/briefing?until=2025-12-31&scheme={}&format={format}",
                    x.scheme
                ),
                Some(&w.admin),
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{format}");
        let bytes = r.bytes().await.expect("body");
        assert!(bytes.len() > 500, "{format}");
        if format == "html" {
            assert!(String::from_utf8_lossy(&bytes).contains("柔性援疆"));
        }
    }
    // Unknown scopes are problems at their fields, all at once.
    let (s, e) = app
        .get(
            &format!(
                "{base}/indicators?team=0190b6a8-5d3c-7a1e-9f00-000000000001&scheme=nope&pairing={}",
                w.agreement
            ),
            &w.admin,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let fields: Vec<&str> = e["error"]["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["team", "scheme", "pairing"], "{e}");

    // Access is the program's figures': the office and the admin list every scoped record;
    // a hospital lists those it takes part in; another program's office none.
    let records = format!(
        "{base}/indicators/workload-outpatients/records?until=2025-12-31&team={}",
        x.team
    );
    let office = app.token("office").await;
    let (s, l) = app.get(&records, &office).await;
    assert_eq!(s, StatusCode::OK, "{l}");
    assert_eq!(l["total"], json!(2));
    let coord_u = app.token("coord-u").await;
    let (s, l) = app.get(&records, &coord_u).await;
    assert_eq!(s, StatusCode::OK, "{l}");
    assert_eq!(
        l["total"],
        json!(0),
        "the unrelated hospital takes part in none"
    );
    let coord_r = app.token("coord-r").await;
    let (_, l) = app.get(&records, &coord_r).await;
    assert_eq!(l["total"], json!(2), "the host takes part in all");
    app.add_user("office-b", "program-office", Some(&w.program_b), None)
        .await;
    let office_b = app.token("office-b").await;
    let (s, _) = app.get(&records, &office_b).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A figure without a meaning in the scope has no list there.
    let (s, _) = app
        .get(
            &format!(
                "{base}/indicators/batches/records?until=2025-12-31&team={}",
                x.team
            ),
            &w.admin,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_team_is_formed_and_changed_by_whoever_changes_its_hosts_data_with_every_problem_at_once()
{
    let app = spawn_app().await;
    let w = world(&app).await;
    let coord_r = app.token("coord-r").await;
    let coord_u = app.token("coord-u").await;
    let body = json!({"program_id": w.program_a, "name": "心内科专科团队", "kind": "specialty",
        "home_institution_id": w.donor, "host_institution_id": w.recipient,
        "leader_id": w.person_d, "formed_on": "2025-01-01"});
    let (s, _) = app.post("/api/v1/teams", &coord_u, body.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "another hospital's coordinator");
    let (s, t) = app.post("/api/v1/teams", &coord_r, body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_str().expect("id").to_string();
    assert_eq!(t["leader_name"], json!("沈专家"));
    assert_eq!(t["host_institution_name"], json!("包头市中心医院"));
    // Every problem at once, each at its field; nothing changes.
    let (s, e) = app
        .post(
            "/api/v1/teams",
            &coord_r,
            json!({"name": "", "kind": "club", "home_institution_id": w.recipient,
                   "host_institution_id": w.recipient, "leader_id": "x", "formed_on": "2025-02-30"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let fields: Vec<&str> = e["error"]["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["field"].as_str()).collect())
        .unwrap_or_default();
    for f in ["name", "kind", "leader_id", "formed_on"] {
        assert!(fields.contains(&f), "{f}: {e}");
    }
    let (s, e) = app
        .post(
            "/api/v1/teams",
            &coord_r,
            json!({"name": "x", "kind": "other", "home_institution_id": "0190b6a8-5d3c-7a1e-9f00-000000000001",
                   "host_institution_id": w.recipient, "leader_id": "0190b6a8-5d3c-7a1e-9f00-000000000002",
                   "formed_on": "2025-02-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let fields: Vec<&str> = e["error"]["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["home_institution_id", "leader_id"], "{e}");
    let (_, list) = app.get("/api/v1/teams", &w.admin).await;
    assert_eq!(list["total"], json!(1));
    // A visit ends after it starts; the leader stays until another leads.
    let (s, e) = app
        .post(
            &format!("/api/v1/teams/{id}/visits"),
            &coord_r,
            json!({"start_date": "2025-03-05", "end_date": "2025-03-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "end_date");
    let r = app
        .request(
            Method::DELETE,
            &format!("/api/v1/teams/{id}/members/{}", w.person_d),
            Some(&coord_r),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // Changed, read with its members, removed.
    let mut changed = body.clone();
    changed["name"] = json!("心血管专科团队");
    let (s, t) = app
        .put(&format!("/api/v1/teams/{id}"), &coord_r, changed)
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let (s, d) = app.get(&format!("/api/v1/teams/{id}"), &coord_u).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{d}");
    let (s, d) = app.get(&format!("/api/v1/teams/{id}"), &coord_r).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["name"], json!("心血管专科团队"));
    assert_eq!(d["members"][0]["role"], json!("leader"));
    let r = app
        .request(
            Method::DELETE,
            &format!("/api/v1/teams/{id}"),
            Some(&coord_r),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (s, _) = app.get(&format!("/api/v1/teams/{id}"), &coord_r).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_team_pages_show_members_by_name_and_title_with_the_teams_figures_and_scoped_links() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let x = setup(&app, &w).await;
    let page = Browser::sign_in(&app, "office").await;
    let (s, html) = page.get("/teams").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("沈专家团队"), "{html}");
    let (s, html) = page.get(&format!("/teams/{}", x.team)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("沈专家"));
    assert!(html.contains("主任医师"), "members by name and title");
    assert!(html.contains("data-testid=\"team-dashboard\""), "{html}");
    assert!(html.contains(&format!("within=team:{}", x.team)), "{html}");
    assert!(
        html.contains(&format!("briefing?team={}", x.team)),
        "{html}"
    );
    assert!(html.contains("team-figure-link"));
    let (s, html) = page
        .get(&format!(
            "/dashboard?program={}&within=team:{}",
            w.program_a, x.team
        ))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("dash-scope-label"),
        "the dashboard names its scope"
    );
    assert!(html.contains("%26team%3D"), "headline links carry the team");
    let (s, html) = page
        .get(&format!(
            "/programs/{}/briefing?team={}",
            w.program_a, x.team
        ))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("沈专家团队"));
    // A visit recorded from the page; a wrong one keeps the input and says why at its field.
    let (s, html) = page
        .post(
            &format!("/teams/{}/visits", x.team),
            "start_date=2025-05-02&end_date=2025-04-01",
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("error-end_date"));
}
