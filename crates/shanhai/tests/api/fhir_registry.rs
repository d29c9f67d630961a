//! The registry's FHIR R4 face: Organization, OrganizationAffiliation, Practitioner,
//! PractitionerRole, CareTeam, Location and CodeSystem — what the CapabilityStatement declares,
//! searches with paging, the common parameters, errors as OperationOutcome, and the JSON API's
//! access (a coordinator sees in FHIR what the JSON API shows them).

use crate::helpers::*;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

/// A FHIR GET: status, the `Content-Type` and the body.
async fn fhir(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, String, Value) {
    let r = app.request(Method::GET, path, token, None).await;
    let status = r.status();
    let ctype = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, ctype, r.json().await.unwrap_or(Value::Null))
}

/// A search that must answer 200 with a searchset Bundle.
async fn bundle(app: &TestApp, path: &str, token: &str) -> Value {
    let (s, ctype, b) = fhir(app, path, Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{path}: {b}");
    assert!(
        ctype.starts_with("application/fhir+json"),
        "{path}: {ctype}"
    );
    assert_eq!(b["resourceType"], "Bundle", "{path}: {b}");
    assert_eq!(b["type"], "searchset", "{path}");
    b
}

fn ids(b: &Value) -> Vec<String> {
    b["entry"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter(|e| e["search"]["mode"] == "match")
                .map(|e| e["resource"]["id"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn link(b: &Value, relation: &str) -> Option<String> {
    b["link"].as_array()?.iter().find_map(|l| {
        (l["relation"] == relation).then(|| {
            let url = l["url"].as_str().unwrap_or("");
            // The path from /fhir/R4 on: the test talks to the server by its own address.
            url[url.find("/fhir/R4").unwrap_or(0)..].to_string()
        })
    })
}

#[tokio::test]
async fn fhir_metadata_declares_exactly_the_registry_interactions_and_parameters() {
    let app = spawn_app().await;
    let (s, ctype, cs) = fhir(&app, "/fhir/R4/metadata", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(ctype.starts_with("application/fhir+json"));
    let resources = cs["rest"][0]["resource"].as_array().expect("resources");
    let expected: &[(&str, &[&str])] = &[
        (
            "Organization",
            &["name", "type", "partof", "address", "active"],
        ),
        (
            "OrganizationAffiliation",
            &[
                "primary-organization",
                "participating-organization",
                "network",
                "active",
                "date",
                "specialty",
                "role",
            ],
        ),
        ("Practitioner", &["name", "gender", "qualification"]),
        (
            "PractitionerRole",
            &[
                "practitioner",
                "organization",
                "location",
                "date",
                "role",
                "active",
            ],
        ),
        ("CareTeam", &["participant", "status", "category"]),
        ("Location", &["name", "address", "organization", "type"]),
        ("CodeSystem", &["url", "name"]),
    ];
    for (ty, params) in expected {
        let r = resources
            .iter()
            .find(|r| r["type"] == *ty)
            .unwrap_or_else(|| panic!("{ty} in the CapabilityStatement"));
        let interactions: Vec<&str> = r["interaction"]
            .as_array()
            .expect("interactions")
            .iter()
            .filter_map(|i| i["code"].as_str())
            .collect();
        assert_eq!(interactions, ["read", "search-type"], "{ty}");
        let names: Vec<&str> = r["searchParam"]
            .as_array()
            .expect("params")
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        let mut want = vec!["_id", "_lastUpdated"];
        want.extend(params.iter());
        assert_eq!(names, want, "{ty}");
    }
}

#[tokio::test]
async fn fhir_organizations_are_institutions_departments_and_programs_searched_and_paged() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let t = &w.admin;
    // 4 institutions, 1 department, 2 programs.
    let all = bundle(&app, "/fhir/R4/Organization", t).await;
    assert_eq!(all["total"], 7, "{all}");
    let first = bundle(&app, "/fhir/R4/Organization?_count=3", t).await;
    assert_eq!(ids(&first).len(), 3);
    assert!(link(&first, "previous").is_none());
    let next = link(&first, "next").expect("a next link");
    let second = bundle(&app, &next, t).await;
    assert_eq!(ids(&second).len(), 3);
    assert!(ids(&second).iter().all(|i| !ids(&first).contains(i)));
    let back = bundle(&app, &link(&second, "previous").expect("previous"), t).await;
    assert_eq!(ids(&back), ids(&first));
    let third = bundle(&app, &link(&second, "next").expect("next"), t).await;
    assert_eq!(ids(&third).len(), 1);
    assert!(link(&third, "next").is_none());
    let only_total = bundle(&app, "/fhir/R4/Organization?_count=0", t).await;
    assert_eq!(only_total["total"], 7);
    assert!(only_total.get("entry").is_none());

    let by_id = bundle(
        &app,
        &format!("/fhir/R4/Organization?_id={}", w.recipient),
        t,
    )
    .await;
    assert_eq!(ids(&by_id), [w.recipient.as_str()]);
    let since = bundle(&app, "/fhir/R4/Organization?_lastUpdated=ge2020-01-01", t).await;
    assert_eq!(since["total"], 7);
    let before = bundle(&app, "/fhir/R4/Organization?_lastUpdated=lt2020-01-01", t).await;
    assert_eq!(before["total"], 0);

    let dept = bundle(
        &app,
        &format!("/fhir/R4/Organization?partof=Organization/{}", w.recipient),
        t,
    )
    .await;
    assert_eq!(ids(&dept), [w.department_r.as_str()]);
    let d = &dept["entry"][0]["resource"];
    assert_eq!(d["type"][0]["coding"][0]["code"], "dept");
    assert_eq!(
        d["partOf"]["reference"],
        format!("Organization/{}", w.recipient)
    );
    let govt = bundle(&app, "/fhir/R4/Organization?type=govt", t).await;
    assert_eq!(ids(&govt), [w.office_inst.as_str()]);
    let programs = bundle(&app, "/fhir/R4/Organization?type=other", t).await;
    assert_eq!(programs["total"], 2);
    // Inner Mongolia by code (and below) and by name.
    let by_code = bundle(&app, "/fhir/R4/Organization?address=150000", t).await;
    assert_eq!(by_code["total"], 3, "{by_code}");
    let by_name = bundle(&app, "/fhir/R4/Organization?address=包头市", t).await;
    assert_eq!(by_name["total"], 3);
    let named = bundle(&app, "/fhir/R4/Organization?name=包头市中心", t).await;
    assert_eq!(ids(&named), [w.recipient.as_str()]);
    let contains = bundle(&app, "/fhir/R4/Organization?name:contains=瑞金", t).await;
    assert_eq!(ids(&contains), [w.donor.as_str()]);

    let (s, _, org) = fhir(
        &app,
        &format!("/fhir/R4/Organization/{}", w.recipient),
        Some(t),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(org["resourceType"], "Organization");
    assert_eq!(org["name"], "包头市中心医院");
    let address = &org["address"][0];
    assert_eq!(address["state"], "内蒙古自治区");
    assert_eq!(address["city"], "包头市");
    assert_eq!(address["district"], "昆都仑区");
    assert_eq!(address["extension"][0]["valueCoding"]["code"], "150203");
    let kinds: Vec<&str> = org["type"]
        .as_array()
        .expect("types")
        .iter()
        .filter_map(|c| c["coding"][0]["code"].as_str())
        .collect();
    assert_eq!(kinds, ["prov", "hospital", "3A"]);

    let (s, _, oo) = fhir(&app, "/fhir/R4/Organization/no-such-id", Some(t)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(oo["resourceType"], "OperationOutcome");
    assert_eq!(oo["issue"][0]["code"], "not-found");
}

#[tokio::test]
async fn fhir_errors_are_operation_outcomes_and_anonymous_callers_get_401() {
    let app = spawn_app().await;
    let w = world(&app).await;
    for path in [
        "/fhir/R4/Organization?colour=red",
        "/fhir/R4/Practitioner?_count=many",
        "/fhir/R4/PractitionerRole?date=yesterday",
        "/fhir/R4/OrganizationAffiliation?active=maybe",
        "/fhir/R4/Organization?_include=Organization:partof",
        "/fhir/R4/Location?_sort=name",
    ] {
        let (s, ctype, oo) = fhir(&app, path, Some(&w.admin)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{path}: {oo}");
        assert!(ctype.starts_with("application/fhir+json"));
        assert_eq!(oo["resourceType"], "OperationOutcome");
        assert_eq!(oo["issue"][0]["code"], "invalid");
        assert_eq!(oo["issue"][0]["severity"], "error");
    }
    for path in [
        "/fhir/R4/Organization",
        "/fhir/R4/OrganizationAffiliation",
        "/fhir/R4/Practitioner",
        "/fhir/R4/PractitionerRole",
        "/fhir/R4/CareTeam",
        "/fhir/R4/Location",
    ] {
        let r = app.request(Method::GET, path, None, None).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(
            r.headers()
                .get(header::WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok()),
            Some("Bearer"),
            "{path}"
        );
        let oo: Value = r.json().await.expect("json");
        assert_eq!(oo["resourceType"], "OperationOutcome");
        assert_eq!(oo["issue"][0]["code"], "login");
    }
    // The CodeSystems hold no one's data: readable without a token.
    let (s, _, cs) = fhir(&app, "/fhir/R4/CodeSystem/pairing-mode", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(cs["content"], "complete");
    assert_eq!(
        cs["url"],
        "https://shanhai.health/fhir/CodeSystem/pairing-mode"
    );
    assert_eq!(cs["concept"].as_array().map(Vec::len), Some(6));
    let (s, _, _) = fhir(&app, "/fhir/R4/CodeSystem/no-such-system", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn fhir_affiliations_roles_teams_and_locations_follow_the_registry() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let t = &w.admin;
    let aff = bundle(
        &app,
        &format!(
            "/fhir/R4/OrganizationAffiliation?participating-organization=Organization/{}",
            w.recipient
        ),
        t,
    )
    .await;
    assert_eq!(ids(&aff), [w.pairing.as_str()]);
    let a = &aff["entry"][0]["resource"];
    assert_eq!(
        a["organization"]["reference"],
        format!("Organization/{}", w.donor)
    );
    assert_eq!(
        a["network"][0]["reference"],
        format!("Organization/{}", w.program_a)
    );
    assert_eq!(a["period"]["start"], "2020-01-01");
    assert_eq!(a["code"][1]["coding"][0]["code"], "counterpart");
    for (q, n) in [
        (format!("primary-organization={}", w.donor), 1),
        (format!("primary-organization={}", w.unrelated), 0),
        (format!("network={}", w.program_b), 0),
        ("active=true".to_string(), 1),
        ("date=ge2020-01-01".to_string(), 1),
        ("date=lt2019-01-01".to_string(), 0),
        ("role=counterpart".to_string(), 1),
        ("role=branch".to_string(), 0),
    ] {
        let b = bundle(&app, &format!("/fhir/R4/OrganizationAffiliation?{q}"), t).await;
        assert_eq!(b["total"], n, "{q}");
    }

    // An assignment of the donor's expert at the recipient through 2025, as a role.
    let batch = batch_2025(&app, &w, 1).await;
    let (s, asg) = app
        .post(
            "/api/v1/assignments",
            t,
            json!({"batch_id": batch, "person_id": w.person_d, "institution_id": w.recipient,
                   "mode": "weekly", "post": "department-head", "weekdays": [1, 3],
                   "start_date": "2025-03-01", "end_date": "2025-08-31"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{asg}");
    let asg = asg["id"].as_str().expect("id").to_string();
    for (q, n) in [
        (format!("practitioner=Practitioner/{}", w.person_d), 1),
        // eq: the period lies within 2025; ge/le: it overlaps June.
        (format!("organization={}&date=2025", w.recipient), 1),
        (format!("organization={}&date=2025-06", w.recipient), 0),
        (
            format!(
                "organization={}&date=ge2025-06-01&date=le2025-06-30",
                w.recipient
            ),
            1,
        ),
        (format!("organization={}&date=2026", w.recipient), 0),
        (format!("location=Location/{}", w.recipient), 1),
        ("role=department-head".to_string(), 1),
        ("role=team-member".to_string(), 0),
        ("active=true".to_string(), 0),
        ("active=false".to_string(), 1),
        (format!("_id={asg}"), 1),
    ] {
        let b = bundle(&app, &format!("/fhir/R4/PractitionerRole?{q}"), t).await;
        assert_eq!(b["total"], n, "{q}: {b}");
    }
    let (s, _, role) = fhir(&app, &format!("/fhir/R4/PractitionerRole/{asg}"), Some(t)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(role["period"]["start"], "2025-03-01");
    assert_eq!(role["code"][0]["coding"][0]["code"], "department-head");
    assert_eq!(
        role["availableTime"][0]["daysOfWeek"],
        json!(["mon", "wed"])
    );
    assert_eq!(
        role["practitioner"]["reference"],
        format!("Practitioner/{}", w.person_d)
    );

    // A team led by the donor's expert.
    let (s, team) = app
        .post(
            "/api/v1/teams",
            t,
            json!({"program_id": w.program_a, "name": "沈专家团队", "kind": "academician",
                   "home_institution_id": w.donor, "host_institution_id": w.recipient,
                   "leader_id": w.person_d, "formed_on": "2024-12-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{team}");
    let teams = bundle(
        &app,
        &format!("/fhir/R4/CareTeam?participant=Practitioner/{}", w.person_d),
        t,
    )
    .await;
    assert_eq!(ids(&teams), [team["id"].as_str().expect("id")]);
    let ct = &teams["entry"][0]["resource"];
    assert_eq!(
        ct["participant"][0]["member"]["reference"],
        format!("Practitioner/{}", w.person_d)
    );
    assert_eq!(
        ct["participant"][0]["role"][0]["coding"][0]["code"],
        "leader"
    );
    let none = bundle(
        &app,
        &format!("/fhir/R4/CareTeam?participant=Practitioner/{}", w.person_u),
        t,
    )
    .await;
    assert_eq!(none["total"], 0);

    // Premises of the hospitals (not of the health commission).
    let places = bundle(&app, "/fhir/R4/Location", t).await;
    assert_eq!(places["total"], 3, "{places}");
    let here = bundle(
        &app,
        &format!(
            "/fhir/R4/Location?organization=Organization/{}",
            w.recipient
        ),
        t,
    )
    .await;
    assert_eq!(ids(&here), [w.recipient.as_str()]);
    let (s, _, _) = fhir(
        &app,
        &format!("/fhir/R4/Location/{}", w.office_inst),
        Some(t),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let sh = bundle(&app, "/fhir/R4/Location?address=上海", t).await;
    assert_eq!(ids(&sh), [w.donor.as_str()]);
}

#[tokio::test]
async fn fhir_a_coordinator_sees_what_the_json_api_shows_them() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let coord_u = app.token("coord-u").await;
    let (s, people) = app.get("/api/v1/people?per_page=200", &coord_u).await;
    assert_eq!(s, StatusCode::OK);
    let json_ids: Vec<String> = people["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["id"].as_str().unwrap_or("").to_string())
        .collect();
    let practitioners = bundle(&app, "/fhir/R4/Practitioner?_count=200", &coord_u).await;
    assert_eq!(ids(&practitioners), json_ids);
    assert!(json_ids.contains(&w.person_u));
    assert!(!json_ids.contains(&w.person_d));
    let named = bundle(&app, "/fhir/R4/Practitioner?name=沈", &coord_u).await;
    assert_eq!(
        named["total"], 0,
        "another hospital's expert is out of reach"
    );
    let admin_named = bundle(&app, "/fhir/R4/Practitioner?name=沈", &w.admin).await;
    assert_eq!(ids(&admin_named), [w.person_d.as_str()]);

    let (json_status, _) = app
        .get(&format!("/api/v1/people/{}", w.person_d), &coord_u)
        .await;
    let (s, _, oo) = fhir(
        &app,
        &format!("/fhir/R4/Practitioner/{}", w.person_d),
        Some(&coord_u),
    )
    .await;
    assert_eq!(s, json_status);
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(oo["resourceType"], "OperationOutcome");
    assert_eq!(oo["issue"][0]["code"], "forbidden");
    let (s, _, p) = fhir(
        &app,
        &format!("/fhir/R4/Practitioner/{}", w.person_u),
        Some(&coord_u),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p["name"][0]["text"], "六医生");
    assert_eq!(
        p["qualification"][0]["code"]["coding"][0]["code"],
        "chief-physician"
    );

    // The registry itself (institutions, pairings) is read by every caller, as in the JSON API.
    let (_, insts) = app.get("/api/v1/institutions", &coord_u).await;
    let orgs = bundle(&app, "/fhir/R4/Organization?type=prov,govt", &coord_u).await;
    assert_eq!(orgs["total"], insts["total"]);
    let (_, pairings) = app.get("/api/v1/pairings", &coord_u).await;
    let affs = bundle(&app, "/fhir/R4/OrganizationAffiliation", &coord_u).await;
    assert_eq!(affs["total"], pairings["total"]);
}
