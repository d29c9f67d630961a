use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn programs_pairings_and_agreements_are_created_listed_and_filtered() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (s, list) = app
        .get(
            &format!("/api/v1/pairings?program={}", w.program_a),
            &w.admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["total"], 1);
    let p = &list["items"][0];
    assert_eq!(p["donor_name"], "上海交通大学医学院附属瑞金医院");
    assert_eq!(p["recipient_name"], "包头市中心医院");
    assert_eq!(p["program_name"], "沪蒙医疗协作");

    let (_, list) = app
        .get(
            &format!("/api/v1/pairings?institution={}", w.unrelated),
            &w.admin,
        )
        .await;
    assert_eq!(list["total"], 0);
    let (_, list) = app
        .get(
            &format!("/api/v1/institutions?program={}", w.program_a),
            &w.admin,
        )
        .await;
    assert_eq!(list["total"], 3, "donor, recipient and the office: {list}");
    let (_, list) = app
        .get("/api/v1/institutions?region=150000", &w.admin)
        .await;
    assert_eq!(list["total"], 3, "everything under 内蒙古: {list}");
    let (_, list) = app
        .get(
            &format!("/api/v1/programs?institution={}", w.donor),
            &w.admin,
        )
        .await;
    assert_eq!(list["total"], 1);

    let (s, a) = app
        .get(&format!("/api/v1/agreements/{}", w.agreement), &w.admin)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(a["expires_on"], "2024-12-31");
    assert_eq!(a["program_id"], w.program_a.as_str());
}

#[tokio::test]
async fn lists_page_with_totals() {
    let app = spawn_app().await;
    let w = world(&app).await;
    for i in 0..25 {
        person(&app, &w.admin, &w.recipient, &format!("医生{i:02}")).await;
    }
    let (_, p1) = app
        .get(
            &format!("/api/v1/people?institution={}&per_page=10", w.recipient),
            &w.admin,
        )
        .await;
    assert_eq!(p1["total"], 26);
    assert_eq!(p1["items"].as_array().map(Vec::len), Some(10));
    let (_, p3) = app
        .get(
            &format!(
                "/api/v1/people?institution={}&per_page=10&page=3",
                w.recipient
            ),
            &w.admin,
        )
        .await;
    assert_eq!(p3["items"].as_array().map(Vec::len), Some(6));
    assert_eq!(p3["page"], 3);
    let (_, big) = app.get("/api/v1/people?per_page=100000", &w.admin).await;
    assert_eq!(big["per_page"], 200);
    let (_, q) = app.get("/api/v1/people?q=医生0", &w.admin).await;
    assert_eq!(q["total"], 10);
}

#[tokio::test]
async fn a_department_pairing_needs_departments_and_codes_come_from_the_national_list() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let body = |departments: serde_json::Value| {
        json!({"program_id": w.program_a, "donor_id": w.donor, "recipient_id": w.recipient, "level": "department",
               "mode": "team-based", "departments": departments, "start_date": "2024-01-01"})
    };
    let (s, b) = app
        .post("/api/v1/pairings", &w.admin, body(json!([])))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["error"]["field"], "departments");
    let (s, _) = app
        .post("/api/v1/pairings", &w.admin, body(json!(["99.99"])))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, b) = app
        .post("/api/v1/pairings", &w.admin, body(json!(["07", "03.04"])))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["departments"], json!(["03.04", "07"]));
    let (s, _) = app
        .post("/api/v1/pairings", &w.admin, body(json!(["03.04", "07"])))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);

    let r = app
        .client
        .get(app.url("/api/v1/specialties"))
        .send()
        .await
        .expect("send");
    let list: serde_json::Value = r.json().await.expect("json");
    assert!(
        list.as_array()
            .is_some_and(|l| l.iter().any(|s| s["code"] == "03.04"))
    );
}

#[tokio::test]
async fn an_agreement_document_is_stored_with_its_checksum_and_only_documents_are_accepted() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n".to_vec();
    let upload = |bytes: Vec<u8>, name: &'static str| {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name);
        app.client
            .put(app.url(&format!("/api/v1/agreements/{}/document", w.agreement)))
            .bearer_auth(&w.admin)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
    };
    let r = upload(b"#!/bin/sh\nrm -rf /\n".to_vec(), "agreement.pdf")
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = upload(pdf.clone(), "沪蒙协议.pdf").await.expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    let a: serde_json::Value = r.json().await.expect("json");
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&pdf))
    };
    assert_eq!(a["document"]["sha256"], sha.as_str());
    assert_eq!(a["document"]["content_type"], "application/pdf");
    assert!(app.data_dir.join("documents").join(&sha).exists());
    let r = app
        .client
        .get(app.url(&format!("/api/v1/agreements/{}/document", w.agreement)))
        .bearer_auth(&w.admin)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.expect("bytes").to_vec(), pdf);
    let clinician = app.token("clinician-r").await;
    let r = app
        .client
        .get(app.url(&format!("/api/v1/agreements/{}/document", w.agreement)))
        .bearer_auth(&clinician)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    let doc: serde_json::Value = r.json().await.expect("json");
    for path in [
        "/api/v1/auth/token",
        "/api/v1/regions",
        "/api/v1/institutions",
        "/api/v1/departments",
        "/api/v1/people",
        "/api/v1/programs",
        "/api/v1/pairings",
        "/api/v1/agreements",
        "/api/v1/users",
        "/api/v1/audit",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from OpenAPI"
        );
    }
    let r = app
        .client
        .get(app.url("/api/docs/"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap_or_default().contains("swagger"));
    let r = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
}

/// Issue 15, finding 2: the 豫哈 office paired 宁德 (in its program) with 福鼎 (not in it) and from
/// then on read 福鼎's people. Here the donor is in the program and the unrelated hospital is not.
#[tokio::test]
async fn a_program_office_cannot_widen_its_own_reach_with_a_pairing() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let office = app.token("office").await;
    let pairings = app.count("pairings").await;
    let attack = json!({"program_id": w.program_a, "donor_id": w.donor, "recipient_id": w.unrelated,
                        "level": "hospital", "mode": "counterpart", "start_date": "2024-01-01"});
    let r = app
        .request(
            reqwest::Method::POST,
            "/api/v1/pairings",
            Some(&office),
            Some(&attack),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = r.json().await.expect("json");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("平台管理员"), "{body}");
    let r = app
        .client
        .post(app.url("/api/v1/pairings"))
        .bearer_auth(&office)
        .header(reqwest::header::ACCEPT_LANGUAGE, "en")
        .json(&attack)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = r.json().await.expect("json");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("platform admin"),
        "{body}"
    );
    assert_eq!(app.count("pairings").await, pairings, "nothing written");
    let (s, _) = app
        .get(&format!("/api/v1/people/{}", w.person_u), &office)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "still cannot read the outsider");
    let (_, people) = app.get("/api/v1/people", &office).await;
    assert!(!people.to_string().contains("六医生"), "{people}");

    // The same through the page.
    let browser = Browser::sign_in(&app, "office").await;
    let (s, html) = browser
        .get(&format!("/programs/{}/pairings/new", w.program_a))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("pairing-office-help"));
    assert!(
        !html.contains(&w.unrelated),
        "the form offers only the program's institutions"
    );
    let (s, html) = browser
        .post(
            &format!("/programs/{}/pairings", w.program_a),
            &format!(
                "donor_id={}&recipient_id={}&level=hospital&mode=counterpart&start_date=2024-01-01",
                w.donor, w.unrelated
            ),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(html.contains("须由平台管理员操作"), "the page says why");
    assert_eq!(app.count("pairings").await, pairings, "nothing written");

    // Naming the outsider as the program's office institution is the same widening.
    let (s, b) = app
        .put(
            &format!("/api/v1/programs/{}", w.program_a),
            &office,
            json!({"name": "沪蒙医疗协作", "kind": "east-west", "start_date": "2021-01-01",
                   "office_institution_id": w.unrelated}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let (s, _) = app
        .get(&format!("/api/v1/people/{}", w.person_u), &office)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Between institutions already in the program the office pairs as before.
    let (s, b) = app
        .post(
            "/api/v1/pairings",
            &office,
            json!({"program_id": w.program_a, "donor_id": w.donor, "recipient_id": w.office_inst,
                   "level": "hospital", "mode": "counterpart", "start_date": "2024-01-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let own = b["id"].as_str().expect("id").to_string();
    let (s, html) = browser
        .post(
            &format!("/programs/{}/pairings", w.program_a),
            &format!(
                "donor_id={}&recipient_id={}&level=hospital&mode=trusteeship&start_date=2024-01-01",
                w.office_inst, w.recipient
            ),
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{html}");

    // An update that swaps in the outsider is refused, and so is moving to another program.
    let before = app
        .get(&format!("/api/v1/pairings/{own}"), &w.admin)
        .await
        .1;
    for (program, recipient) in [(&w.program_a, &w.unrelated), (&w.program_b, &w.office_inst)] {
        let (s, b) = app
            .put(
                &format!("/api/v1/pairings/{own}"),
                &office,
                json!({"program_id": program, "donor_id": w.donor, "recipient_id": recipient,
                       "level": "hospital", "mode": "counterpart", "start_date": "2024-01-01"}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    }
    let (s, b) = app
        .put(
            &format!("/api/v1/pairings/{own}"),
            &office,
            json!({"program_id": w.program_a, "donor_id": w.recipient, "recipient_id": w.office_inst,
                   "level": "hospital", "mode": "counterpart", "start_date": "2024-01-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "a change within the program: {b}");
    assert_ne!(b, before);
    let (s, _) = app
        .get(&format!("/api/v1/people/{}", w.person_u), &office)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The platform admin brings the outsider in; then the office reaches it.
    let (s, b) = app.post("/api/v1/pairings", &w.admin, attack).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, _) = app
        .get(&format!("/api/v1/people/{}", w.person_u), &office)
        .await;
    assert_eq!(s, StatusCode::OK);
}
