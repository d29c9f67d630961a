//! Remote consultation through the API: the state machine holds, opinions are immutable, and
//! only the parties see the case.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

pub async fn expert_account(app: &TestApp, w: &World) -> String {
    let (s, b) = app
        .post(
            "/api/v1/users",
            &w.admin,
            json!({"username": "dr-shen", "password": PASSWORD, "role": "expert", "institution_id": w.donor, "person_id": w.person_d}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    app.token("dr-shen").await
}

pub async fn request(app: &TestApp, w: &World, token: &str) -> Value {
    let (s, b) = app
        .post(
            "/api/v1/consultations",
            token,
            json!({"type": "mdt", "urgency": "urgent", "target_institution_id": w.donor, "target_specialty_code": "03.04",
                   "expert_ids": [w.person_d],
                   "patient": {"name": "王小明", "id_number": crate::clinic_sessions::id_number(42), "sex": "male", "age": 63},
                   "case_summary": "胸痛3小时，心电图ST段抬高。", "question": "是否急诊PCI？"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b
}

async fn act(
    app: &TestApp,
    token: &str,
    id: &str,
    action: &str,
    body: Value,
) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/consultations/{id}/{action}"), token, body)
        .await
}

#[tokio::test]
async fn a_consultation_runs_from_request_to_signed_opinion_and_illegal_moves_change_nothing() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let expert = expert_account(&app, &w).await;
    let clinician = app.token("clinician-r").await;
    let c = request(&app, &w, &clinician).await;
    let id = c["id"].as_str().expect("id").to_string();
    assert_eq!(c["state"], "requested");
    assert_eq!(c["patient_name_masked"], "王**");
    assert!(
        !c.to_string()
            .contains(&crate::clinic_sessions::id_number(42))
    );

    let inbox = |token: String| {
        let app = &app;
        async move {
            app.get("/api/v1/inbox", &token).await.1["count"]
                .as_i64()
                .unwrap_or(-1)
        }
    };
    assert_eq!(
        inbox(expert.clone()).await,
        1,
        "the assigned expert has it in the inbox"
    );
    assert_eq!(
        inbox(app.token("coord-d").await).await,
        1,
        "so does the consulted hospital's coordinator"
    );
    assert_eq!(
        inbox(clinician.clone()).await,
        0,
        "nothing for the requester yet"
    );

    let (s, _) = act(
        &app,
        &expert,
        &id,
        "sign",
        json!({"opinion": "建议急诊PCI"}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "sign before held");
    let (s, _) = act(&app, &expert, &id, "decline", json!({})).await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a decline needs a reason"
    );
    assert_eq!(
        app.get(&format!("/api/v1/consultations/{id}"), &expert)
            .await
            .1["state"],
        "requested"
    );

    for (action, body) in [
        ("accept", json!({})),
        ("schedule", json!({"scheduled_at": "2026-11-23T09:00"})),
        ("hold", json!({})),
        (
            "sign",
            json!({"opinion": "建议急诊PCI，术后双抗治疗12个月。"}),
        ),
    ] {
        let (s, b) = act(&app, &expert, &id, action, body).await;
        assert_eq!(s, StatusCode::OK, "{action}: {b}");
    }
    let (s, b) = act(
        &app,
        &expert,
        &id,
        "sign",
        json!({"opinion": "补充：术前查肾功能。"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "an amendment: {b}");
    let opinions = b["opinions"].as_array().expect("opinions");
    assert_eq!(opinions.len(), 2, "the first version stays visible");
    assert_eq!(opinions[0]["text"], "建议急诊PCI，术后双抗治疗12个月。");
    assert_eq!(opinions[1]["version"], 2);
    let update = sqlx::query("UPDATE consultation_opinions SET text = 'changed'")
        .execute(app.db.pool())
        .await;
    assert!(update.is_err(), "a signed opinion changed");

    assert_eq!(
        inbox(clinician.clone()).await,
        1,
        "the signed report waits for the requester's decision"
    );
    assert_eq!(inbox(expert.clone()).await, 0);
    let (s, _) = act(&app, &expert, &id, "close", json!({"decision": "x"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the requester keeps the decision");
    let (s, b) = act(
        &app,
        &clinician,
        &id,
        "close",
        json!({"decision": "行急诊PCI"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["state"], "closed");
    assert_eq!(b["decision"], "行急诊PCI");
    let actions: Vec<&str> = b["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "request", "accept", "schedule", "hold", "sign", "sign", "close"
        ]
    );
    let (s, _) = act(&app, &expert, &id, "accept", json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_cancelled_request_cannot_be_accepted_and_outsiders_see_nothing() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let expert = expert_account(&app, &w).await;
    let clinician = app.token("clinician-r").await;
    let id = request(&app, &w, &clinician).await["id"]
        .as_str()
        .expect("id")
        .to_string();

    let coord_u = app.token("coord-u").await;
    assert_eq!(
        app.get(&format!("/api/v1/consultations/{id}"), &coord_u)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/consultations", &coord_u).await.1["total"],
        0
    );
    assert_eq!(
        act(&app, &coord_u, &id, "accept", json!({})).await.0,
        StatusCode::FORBIDDEN
    );
    let office = app.token("office").await;
    assert_eq!(
        app.get(&format!("/api/v1/consultations/{id}"), &office)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/consultations", &expert).await.1["total"],
        1
    );
    let coord_d = app.token("coord-d").await;
    assert_eq!(
        app.get("/api/v1/consultations", &coord_d).await.1["total"],
        1
    );

    let (s, b) = act(&app, &clinician, &id, "cancel", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, _) = act(&app, &expert, &id, "accept", json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "accept a cancelled request");
    assert_eq!(
        app.get(&format!("/api/v1/consultations/{id}"), &expert)
            .await
            .0,
        StatusCode::OK
    );
    let (_, log) = app
        .get(
            &format!("/api/v1/audit?entity=consultation&entity_id={id}&action=read"),
            &w.admin,
        )
        .await;
    assert!(
        log["total"].as_i64().unwrap_or(0) >= 1,
        "reads of the case are audited"
    );
}

#[tokio::test]
async fn program_targets_set_the_deadlines_and_the_office_sees_only_figures() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let office = app.token("office").await;
    let coord_u = app.token("coord-u").await;
    let path = format!("/api/v1/programs/{}/consultation-targets", w.program_a);
    let (s, defaults) = app.get(&path, &office).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(defaults["urgent"]["accept_hours"], 2.0);
    assert_eq!(defaults["routine"]["report_hours"], 48.0);

    let targets = json!({"urgent": {"accept_hours": 1, "report_hours": 12},
                         "routine": {"accept_hours": 8, "report_hours": 72}});
    let (s, _) = app.put(&path, &coord_u, targets.clone()).await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "only the program's office or the admin"
    );
    let (s, b) = app
        .put(
            &path,
            &office,
            json!({"urgent": {"accept_hours": 5, "report_hours": 2},
                   "routine": {"accept_hours": 8, "report_hours": 72}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (s, b) = app.put(&path, &office, targets).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        app.get(&path, &office).await.1["urgent"]["accept_hours"],
        1.0
    );

    let clinician = app.token("clinician-r").await;
    let c = request(&app, &w, &clinician).await;
    assert_eq!(c["program_id"], w.program_a.as_str());
    let at = |field: &str| {
        chrono::DateTime::parse_from_rfc3339(c[field].as_str().expect(field)).expect(field)
    };
    assert_eq!(
        (at("accept_due_at") - at("requested_at")).num_minutes(),
        60,
        "urgent: accepted within the program's 1 h"
    );
    assert_eq!((at("report_due_at") - at("requested_at")).num_hours(), 12);
    let id = c["id"].as_str().expect("id");

    // Not overdue yet; once its deadline has passed it is, in the list and its count.
    let (_, list) = app
        .get("/api/v1/consultations?overdue=true", &clinician)
        .await;
    assert_eq!(list["total"], 0);
    sqlx::query(
        "UPDATE consultations SET accept_due_at = '2020-01-01T00:00:00.000Z' WHERE id = $1",
    )
    .bind(id)
    .execute(app.db.pool())
    .await
    .expect("move the deadline");
    let (_, list) = app
        .get("/api/v1/consultations?overdue=true&per_page=1", &clinician)
        .await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["overdue"], true);

    let (s, figures) = app
        .get(
            &format!("/api/v1/consultations/figures?program={}", w.program_a),
            &office,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{figures}");
    assert_eq!(figures["total"], 1);
    assert_eq!(figures["by_type"]["mdt"], 1);
    assert_eq!(figures["urgent"], 1);
    assert_eq!(figures["overdue"], 1);
    let text = figures.to_string();
    assert!(
        !text.contains("王") && !text.contains("胸痛"),
        "figures carry no patient details: {text}"
    );
    let (s, _) = app
        .get(
            &format!("/api/v1/consultations/figures?program={}", w.program_b),
            &office,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "another program's figures");
    let (s, _) = app.get("/api/v1/consultations/figures", &clinician).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

/// Issue 15, finding 7: an expert of the consulted (donor) hospital who is not assigned read
/// every consultation of their hospital, its attachments and previews. The README promises the
/// two hospitals and the assigned experts; the API, the lists, the inbox and the pages keep it.
#[tokio::test]
async fn an_expert_of_the_consulted_hospital_sees_a_case_only_once_assigned() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let assigned = expert_account(&app, &w).await;
    let colleague = person(&app, &w.admin, &w.donor, "沈二").await;
    let (s, b) = app
        .post(
            "/api/v1/users",
            &w.admin,
            json!({"username": "dr-shen-two", "password": PASSWORD, "role": "expert", "institution_id": w.donor, "person_id": colleague}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let unassigned = app.token("dr-shen-two").await;
    let without_person = app.token("expert-d").await;
    let clinician = app.token("clinician-r").await;
    let id = request(&app, &w, &clinician).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let study = shanhai_files::synthetic::SyntheticStudy {
        size: 64,
        ..Default::default()
    };
    let (s, a) = crate::attachments::upload(
        &app,
        &clinician,
        &id,
        "胸部CT.dcm",
        shanhai_files::synthetic::ct_slice(&study),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let attachment = a["id"].as_str().expect("attachment id").to_string();
    let paths = [
        format!("/api/v1/consultations/{id}"),
        format!("/api/v1/consultations/{id}/attachments"),
        format!("/api/v1/attachments/{attachment}"),
        format!("/api/v1/attachments/{attachment}/content"),
        format!("/api/v1/attachments/{attachment}/preview"),
    ];
    let listed = |token: String, query: String| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/consultations{query}"), &token)
                .await
                .1["total"]
                .as_i64()
                .unwrap_or(-1)
        }
    };
    let donor_filter = format!("?institution={}", w.donor);
    for (who, token) in [("unassigned", &unassigned), ("no person", &without_person)] {
        for path in &paths {
            let s = app
                .request(reqwest::Method::GET, path, Some(token), None)
                .await
                .status();
            assert_eq!(s, StatusCode::FORBIDDEN, "{who}: {path}");
        }
        assert_eq!(
            listed(token.clone(), String::new()).await,
            0,
            "{who}: the list"
        );
        assert_eq!(
            listed(token.clone(), donor_filter.clone()).await,
            0,
            "{who}"
        );
        let (_, inbox) = app.get("/api/v1/inbox", token).await;
        assert_eq!(inbox["count"], 0, "{who}: the inbox");
        assert_eq!(
            act(&app, token, &id, "accept", json!({})).await.0,
            StatusCode::FORBIDDEN,
            "{who}: accept"
        );
        let (s, _) =
            crate::attachments::upload(&app, token, &id, "x.pdf", b"%PDF-1.4\n".to_vec()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}: upload");
    }
    for path in &paths {
        let s = app
            .request(reqwest::Method::GET, path, Some(&assigned), None)
            .await
            .status();
        assert_eq!(s, StatusCode::OK, "assigned: {path}");
    }
    assert_eq!(listed(assigned.clone(), String::new()).await, 1);
    assert_eq!(listed(assigned.clone(), donor_filter.clone()).await, 1);
    for who in ["coord-d", "coord-r", "clinician-r"] {
        assert_eq!(
            listed(app.token(who).await, String::new()).await,
            1,
            "{who}"
        );
    }

    // The pages follow the same rule.
    let page = crate::helpers::Browser::sign_in(&app, "dr-shen-two").await;
    for path in [
        format!("/consultations/{id}"),
        format!("/attachments/{attachment}/content"),
        format!("/attachments/{attachment}/preview"),
    ] {
        assert_eq!(
            page.get(&path).await.0,
            StatusCode::FORBIDDEN,
            "page {path}"
        );
    }
    let (s, html) = page.get("/consultations?tab=all").await;
    assert_eq!(s, StatusCode::OK);
    assert!(!html.contains(&id), "the page's list");
    let (s, _) = page.post(&format!("/consultations/{id}/accept"), "").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "page accept");
    let page = crate::helpers::Browser::sign_in(&app, "dr-shen").await;
    assert_eq!(
        page.get(&format!("/consultations/{id}")).await.0,
        StatusCode::OK
    );
    let (_, html) = page.get("/consultations?tab=all").await;
    assert!(html.contains(&id));
}

/// Runs a consultation to a signed opinion by `dr-shen` (沈专家, a chief physician at D).
async fn signed(app: &TestApp, w: &World) -> String {
    let expert = expert_account(app, w).await;
    let clinician = app.token("clinician-r").await;
    let c = request(app, w, &clinician).await;
    let id = c["id"].as_str().expect("id").to_string();
    for (action, body) in [
        ("accept", json!({})),
        ("schedule", json!({"scheduled_at": "2026-11-23T09:00"})),
        ("hold", json!({})),
        (
            "sign",
            json!({"opinion": "建议急诊PCI，术后双抗治疗12个月。"}),
        ),
    ] {
        let (s, b) = act(app, &expert, &id, action, body).await;
        assert_eq!(s, StatusCode::OK, "{action}: {b}");
    }
    id
}

#[tokio::test]
async fn a_signed_opinion_and_the_timeline_name_the_expert_by_name_title_and_hospital() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = signed(&app, &w).await;
    let (_, c) = app
        .get(
            &format!("/api/v1/consultations/{id}"),
            &app.token("clinician-r").await,
        )
        .await;
    let author = &c["opinions"][0]["author"];
    assert_eq!(author["name"], "沈专家", "{c}");
    assert_eq!(author["title"], "chief-physician");
    assert_eq!(author["institution"], "上海交通大学医学院附属瑞金医院");
    let signing = c["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["action"] == "sign")
        .cloned()
        .unwrap_or_default();
    assert_eq!(signing["actor"]["name"], "沈专家", "{signing}");

    let page = Browser::sign_in(&app, "clinician-r").await;
    let (_, html) = page.get(&format!("/consultations/{id}")).await;
    assert!(html.contains("沈专家"), "the signer's name");
    assert!(html.contains("主任医师 · 上海交通大学医学院附属瑞金医院"));
    assert!(!html.contains(">dr-shen<"), "never the login");
    assert!(
        html.contains(&format!("/consultations/{id}/report")),
        "the report is linked once signed"
    );
}

#[tokio::test]
async fn the_printable_report_carries_the_signer_and_follows_the_consultations_access() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = signed(&app, &w).await;
    let report = format!("/consultations/{id}/report");
    for who in ["clinician-r", "coord-d", "dr-shen", "admin"] {
        let (s, html) = Browser::sign_in(&app, who).await.get(&report).await;
        assert_eq!(s, StatusCode::OK, "{who} takes part");
        assert!(html.contains("会诊报告单"));
        assert!(
            html.contains("沈专家") && html.contains("主任医师"),
            "{who}: the signer"
        );
        assert!(
            html.contains("上海交通大学医学院附属瑞金医院"),
            "the signer's hospital"
        );
        assert!(html.contains("是否急诊PCI？"), "the question");
        assert!(html.contains("王**"), "the patient, masked");
        assert!(
            !html.contains("王小明") && !html.contains(&crate::clinic_sessions::id_number(42)),
            "never the patient's name or ID number in full"
        );
    }
    for who in ["coord-u", "office", "expert-d"] {
        let (page, api) = (
            Browser::sign_in(&app, who).await.get(&report).await.0,
            app.get(
                &format!("/api/v1/consultations/{id}"),
                &app.token(who).await,
            )
            .await
            .0,
        );
        assert_eq!(page, StatusCode::FORBIDDEN, "{who} does not take part");
        assert_eq!(
            page, api,
            "{who}: the report decides as the consultation does"
        );
    }
}
