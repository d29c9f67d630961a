//! A program's derived indicators: each value is the `total` of the list its `records_url`
//! names, and records after the date or in another program do not count.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn every_indicator_equals_the_total_of_its_records_list() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let clinician = app.token("clinician-r").await;
    // Records of program A: a consultation, an up-referral, two regulations (one after the
    // date), funding; and a regulation of program B.
    crate::consultations::request(&app, &w, &clinician).await;
    let (s, b) = app
        .post(
            "/api/v1/referrals",
            &clinician,
            json!({"direction": "up", "urgency": "routine", "to_institution_id": w.donor,
                   "patient": {"name": "李桂兰", "sex": "female", "age": 58}, "reason": "肺部占位"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    for (program, adopted_on) in [
        (&w.program_a, "2024-03-01"),
        (&w.program_a, "2099-01-01"),
        (&w.program_b, "2024-03-01"),
    ] {
        let (s, b) = app
            .post(
                "/api/v1/regulations",
                &w.admin,
                json!({"program_id": program, "institution_id": w.recipient, "title": "医疗质量安全核心制度",
                       "area": "医疗质量", "adopted_on": adopted_on}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let (s, b) = app
        .post(
            "/api/v1/funding-items",
            &w.admin,
            json!({"program_id": w.program_a, "institution_id": w.recipient, "amount_fen": 123_456_789,
                   "source": "上海市对口支援资金", "purpose": "胸痛中心建设", "granted_on": "2024-05-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    let until = "2030-12-31";
    let (s, values) = app
        .get(
            &format!("/api/v1/programs/{}/indicators?until={until}", w.program_a),
            &clinician,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{values}");
    let values = values.as_array().expect("a list").clone();
    assert!(values.len() >= 20);
    let value = |code: &str| {
        values
            .iter()
            .find(|v| v["code"] == code)
            .and_then(|v| v["value"].as_i64())
            .unwrap_or(-1)
    };
    assert_eq!(value("consultations"), 1);
    assert_eq!(value("consultations-mdt"), 1);
    assert_eq!(value("referrals-up"), 1);
    assert_eq!(value("referrals-leaving-region"), 1, "包头 → 上海");
    assert_eq!(
        value("regulations"),
        1,
        "not the later one, not program B's"
    );
    assert_eq!(value("funding"), 123_456_789);
    let funding = values
        .iter()
        .find(|v| v["code"] == "funding")
        .expect("funding");
    assert_eq!(funding["display"], "1,234,567.89");
    for v in &values {
        assert!(!v["definition"].as_str().unwrap_or("").is_empty(), "{v}");
        if v["measure"] != "count" {
            continue;
        }
        let url = v["records_url"].as_str().expect("records_url");
        let (s, list) = app.get(url, &w.admin).await;
        assert_eq!(s, StatusCode::OK, "{url}: {list}");
        assert_eq!(list["total"], v["value"], "{} → {url}", v["code"]);
    }
    let (s, _) = app
        .get(
            &format!(
                "/api/v1/programs/{}/indicators?until=yesterday",
                w.program_a
            ),
            &clinician,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}
