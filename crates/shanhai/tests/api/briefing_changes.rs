//! The briefing's reported KPIs as the articles state them — the change between consecutive
//! periods ("平均住院日同比减少0.31天", "三四级手术同比增长6.11%") and from the first figure
//! ("由2020年的17.17%提升至2023年的22.29%，提升了5.12个百分点") — its money by item before the
//! total, and the press's rounding words a program office chooses per figure (exact by
//! default; audited; only the program's own office).

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

/// A report of the recipient under program A for `period`, submitted and approved.
async fn approved(app: &TestApp, w: &World, period: &str, values: Value) {
    let (coord, office) = (app.token("coord-r").await, app.token("office").await);
    let (s, r) = app
        .post(
            "/api/v1/kpi-reports",
            &coord,
            json!({"institution_id": w.recipient, "program_id": w.program_a, "period": period,
                   "values": values}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let id = r["id"].as_str().expect("id").to_string();
    let (s, b) = app
        .post(
            &format!("/api/v1/kpi-reports/{id}/submit"),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = app
        .post(
            &format!("/api/v1/kpi-reports/{id}/approve"),
            &office,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

async fn briefing(app: &TestApp, w: &World, token: &str, lang: &str) -> Value {
    let (s, b) = app
        .get(
            &format!(
                "/api/v1/programs/{}/briefing?until=2030-12-31&lang={lang}",
                w.program_a
            ),
            token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

fn text(b: &Value) -> String {
    b["paragraphs"]
        .as_array()
        .expect("paragraphs")
        .iter()
        .map(|p| p["text"].as_str().expect("text").to_string())
        .collect()
}

fn figures(b: &Value, measure: &str) -> Vec<Value> {
    b["figures"]
        .as_array()
        .expect("figures")
        .iter()
        .filter(|f| f["measure"] == json!(measure))
        .cloned()
        .collect()
}

#[tokio::test]
async fn kpi_changes_read_in_the_articles_words_with_their_reports() {
    let app = spawn_app().await;
    let w = world(&app).await;
    approved(
        &app,
        &w,
        "2024",
        json!([{"definition": "average-length-of-stay", "value": "8.92"},
               {"definition": "grade34-surgeries", "value": "5253"},
               {"definition": "drug-consumable-share", "value": "28.45"},
               {"definition": "grade4-surgery-share", "value": "26.63"}]),
    )
    .await;
    approved(
        &app,
        &w,
        "2025",
        json!([{"definition": "average-length-of-stay", "value": "8.61", "baseline": "8.92"},
               {"definition": "grade34-surgeries", "value": "5574"},
               {"definition": "drug-consumable-share", "value": "27.43"}]),
    )
    .await;
    approved(
        &app,
        &w,
        "2020",
        json!([{"definition": "health-literacy", "value": "17.17"}]),
    )
    .await;
    approved(
        &app,
        &w,
        "2023",
        json!([{"definition": "health-literacy", "value": "22.29"}]),
    )
    .await;

    let clinician = app.token("clinician-r").await;
    let b = briefing(&app, &w, &clinician, "zh").await;
    let all = text(&b);
    for words in [
        "2025年平均住院日为8.61天，同比减少0.31天（下降3.48%）",
        "2025年三四级手术例数为5,574例，同比增长6.11%（增加321例）",
        "2025年药耗占比为27.43%，同比下降了1.02个百分点（相对下降3.59%）",
        "居民健康素养水平由2020年的17.17%提升至2023年的22.29%，提升了5.12个百分点（相对提升29.82%）",
        "四级手术占比达26.63%",
    ] {
        assert!(all.contains(words), "{words} in {all}");
    }
    // Each change is a figure: the difference and the relative change (signed values, the
    // words say which way), listing the two reports it is computed from.
    let changes = figures(&b, "kpi-change");
    let stay: Vec<&Value> = changes
        .iter()
        .filter(|f| f["code"] == json!("average-length-of-stay"))
        .collect();
    assert_eq!(stay.len(), 2, "{changes:?}");
    assert_eq!(
        (&stay[0]["value"], &stay[0]["display"]),
        (&json!(-31), &json!("0.31天"))
    );
    assert_eq!(
        (&stay[1]["value"], &stay[1]["display"]),
        (&json!(-348), &json!("3.48%"))
    );
    let url = stay[0]["records_url"].as_str().expect("url");
    assert!(
        url.contains("from=2024") && url.contains("until=2025"),
        "{url}"
    );
    let (s, series) = app.get(url, &clinician).await;
    assert_eq!(s, StatusCode::OK, "{series}");
    let periods: Vec<&str> = series
        .as_array()
        .expect("points")
        .iter()
        .filter_map(|p| p["period"].as_str())
        .collect();
    assert_eq!(periods, ["2024", "2025"]);
    let ops = changes
        .iter()
        .find(|f| f["code"] == json!("grade34-surgeries"))
        .expect("grade-3/4 change");
    assert_eq!(
        (&ops["value"], &ops["display"]),
        (&json!(611), &json!("6.11%"))
    );
    let points = changes
        .iter()
        .find(|f| f["code"] == json!("health-literacy"))
        .expect("literacy change");
    assert_eq!(points["display"], json!("5.12个百分点"));
    assert!(
        figures(&b, "kpi").iter().any(
            |f| f["code"] == json!("average-length-of-stay") && f["display"] == json!("8.61天")
        )
    );

    // English: units in English, the same numbers.
    let en = text(&briefing(&app, &w, &clinician, "en").await);
    assert!(
        en.contains("Average length of stay was 8.61 days in 2025, year on year down 0.31 days (3.48% lower)"),
        "{en}"
    );
    assert!(en.contains("up 5.12 percentage points"), "{en}");
    assert!(!en.contains('天'), "{en}");

    // The standing says the same (the KPI pages and dashboards read it).
    let (s, standings) = app
        .get(
            &format!(
                "/api/v1/kpi-standings?program={}&definition=grade34-surgeries",
                w.program_a
            ),
            &clinician,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{standings}");
    let previous = &standings[0]["previous"];
    assert_eq!(previous["from_period"], json!("2024"));
    assert_eq!(previous["delta"], json!("321"));
    assert_eq!(previous["relative"], json!("6.11"));
    assert_eq!(previous["improved"], json!(true));
}

#[tokio::test]
async fn the_resources_paragraph_names_the_significant_items_before_their_total() {
    let app = spawn_app().await;
    let w = world(&app).await;
    for (yuan, purpose, on) in [
        (
            12_000_000i64,
            "建设覆盖全市的“全球影像”医疗云服务平台",
            "2022-03-15",
        ),
        (22_000_000, "新建科研综合楼", "2022-06-01"),
        (50_000, "办公用品", "2022-07-01"),
    ] {
        let (s, b) = app
            .post(
                "/api/v1/funding-items",
                &w.admin,
                json!({"program_id": w.program_a, "institution_id": w.recipient, "amount_fen": yuan * 100,
                       "source": "上海市对口支援资金", "purpose": purpose, "granted_on": on}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    for (yuan, item, quantity) in [
        (6_730_000i64, "彩色超声诊断仪", 3),
        (820_000, "全高清光通内镜设备", 1),
    ] {
        let (s, b) = app
            .post(
                "/api/v1/equipment-donations",
                &w.admin,
                json!({"program_id": w.program_a, "institution_id": w.recipient, "donor_name": "上海市东西部协作",
                       "item": item, "quantity": quantity, "value_fen": yuan * 100, "donated_on": "2023-05-10"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let clinician = app.token("clinician-r").await;
    let b = briefing(&app, &w, &clinician, "zh").await;
    let all = text(&b);
    for words in [
        "投入2,200万元，用于新建科研综合楼；向",
        "投入1,200万元，用于建设覆盖全市的“全球影像”医疗云服务平台，累计投入协作资金3,405万元",
        "捐赠价值673万元的彩色超声诊断仪3台；为",
        "捐赠价值82万元的全高清光通内镜设备，累计捐赠医疗设备价值755万元",
    ] {
        assert!(all.contains(words), "{words} in {all}");
    }
    assert!(
        !all.contains("办公用品"),
        "an item under 1 % of the total is not named: {all}"
    );
    let items = figures(&b, "money-item");
    let values: Vec<i64> = items.iter().filter_map(|f| f["value"].as_i64()).collect();
    assert_eq!(
        values,
        [2_200_000_000, 1_200_000_000, 673_000_000, 82_000_000]
    );
    assert_eq!(items[0]["code"], json!("funding-item"));
    assert_eq!(items[2]["code"], json!("equipment-item"));
    // Each amount lists its item; the total lists them all.
    for f in &items {
        let (s, list) = app
            .get(f["records_url"].as_str().expect("url"), &clinician)
            .await;
        assert_eq!(s, StatusCode::OK, "{list}");
        assert_eq!(list["total"], json!(1), "{}", f["records_url"]);
        let amount = list["items"][0]["amount_fen"]
            .as_i64()
            .or(list["items"][0]["value_fen"].as_i64());
        assert_eq!(amount, f["value"].as_i64());
    }
    let total = b["figures"]
        .as_array()
        .expect("figures")
        .iter()
        .find(|f| f["code"] == json!("funding"))
        .expect("funding total")
        .clone();
    assert_eq!(total["value"], json!(3_405_000_000i64));
    let (_, list) = app
        .get(total["records_url"].as_str().expect("url"), &clinician)
        .await;
    assert_eq!(list["total"], json!(3), "{list}");

    let en = text(&briefing(&app, &w, &clinician, "en").await);
    assert!(
        en.contains("3 × 彩色超声诊断仪 worth CNY 6,730,000.00 were donated to"),
        "{en}"
    );
}

#[tokio::test]
async fn the_office_chooses_the_press_rounding_per_figure_exact_by_default() {
    let app = spawn_app().await;
    let w = world(&app).await;
    app.add_user("office-b", "program-office", Some(&w.program_b), None)
        .await;
    let (s, b) = app
        .post(
            "/api/v1/funding-items",
            &w.admin,
            json!({"program_id": w.program_a, "institution_id": w.recipient, "amount_fen": 8_326_400_000i64,
                   "source": "上海市东西部协作资金", "purpose": "基础设施改善", "granted_on": "2024-01-10"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (office, clinician) = (app.token("office").await, app.token("clinician-r").await);
    let path = format!("/api/v1/programs/{}/briefing-preferences", w.program_a);
    let funding = |b: &Value| {
        b["figures"]
            .as_array()
            .expect("figures")
            .iter()
            .find(|f| f["code"] == json!("funding"))
            .cloned()
            .expect("funding")
    };

    // Exact by default.
    let (s, prefs) = app.get(&path, &clinician).await;
    assert_eq!((s, prefs), (StatusCode::OK, json!([])));
    let before = briefing(&app, &w, &clinician, "zh").await;
    assert_eq!(funding(&before)["display"], json!("8,326.4万元"));

    // Refused: another program's office, a clinician; bad input names both fields.
    for token in [app.token("office-b").await, clinician.clone()] {
        let (s, b) = app
            .put(
                &path,
                &token,
                json!({"code": "funding", "wording": "rounded"}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    }
    let (s, b) = app
        .put(
            &path,
            &office,
            json!({"code": "no-such-figure", "wording": "about"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let fields: Vec<&str> = b["error"]["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["code", "wording"], "{b}");
    let (_, prefs) = app.get(&path, &clinician).await;
    assert_eq!(prefs, json!([]), "bad input changes nothing");
    let unchanged = briefing(&app, &w, &clinician, "zh").await;
    assert_eq!(funding(&unchanged)["display"], json!("8,326.4万元"));

    // The office sets the press's words: the figure keeps its exact value.
    let (s, saved) = app
        .put(
            &path,
            &office,
            json!({"code": "funding", "wording": "rounded"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{saved}");
    assert_eq!(saved["wording"], json!("rounded"));
    let after = briefing(&app, &w, &clinician, "zh").await;
    let f = funding(&after);
    assert_eq!(f["display"], json!("8300余万元"));
    assert_eq!(f["value"], json!(8_326_400_000i64));
    assert!(
        text(&after).contains("投入协作资金8300余万元"),
        "{}",
        text(&after)
    );
    let en = briefing(&app, &w, &clinician, "en").await;
    assert_eq!(funding(&en)["display"], json!("over CNY 83,000,000"));
    // The printable page gives the exact number in the link's title.
    let r = app
        .request(
            reqwest::Method::GET,
            &format!(
                "/api/v1/programs/{}/briefing?until=2030-12-31&format=html",
                w.program_a
            ),
            Some(&clinician),
            None,
        )
        .await;
    let html = r.text().await.expect("html");
    assert!(
        html.contains("title=\"精确数：8,326.4万元（点击查看记录）\""),
        "{html}"
    );
    assert!(html.contains(">8300余万元</a>"));

    // Audited, with who and what.
    let audited = sqlx::query(
        "SELECT actor_name, after_json FROM audit_log WHERE entity = 'briefing_preference' \
         AND entity_id = $1",
    )
    .bind(format!("{}/funding", w.program_a))
    .fetch_all(app.db.pool())
    .await
    .expect("audit");
    assert_eq!(audited.len(), 1);
    assert_eq!(
        audited[0]
            .try_get::<String, _>("actor_name")
            .expect("actor"),
        "office"
    );
    assert!(
        audited[0]
            .try_get::<String, _>("after_json")
            .expect("after")
            .contains("rounded")
    );

    // And back to exact.
    let (s, _) = app
        .put(
            &path,
            &office,
            json!({"code": "funding", "wording": "exact"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let back = briefing(&app, &w, &clinician, "zh").await;
    assert_eq!(funding(&back)["display"], json!("8,326.4万元"));
}
