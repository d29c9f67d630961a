//! Export (`?format=csv|xlsx` on any list): the file holds exactly the list's items and total,
//! over every page, with the list's filters and the caller's scope; patient identifiers stay
//! masked; the export is audited; a bad format answers 422; the indicator table exports too; the
//! pages' session cookie is accepted for a download.

use crate::helpers::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

const TEACHING_HEADER: &str =
    "项目,机构*,科室,类型*,日期*,主题*,主讲人,主讲人单位,地点,线上,时长（分钟）*,参加人次";

async fn import_teaching(app: &TestApp, token: &str, institution: &str, rows: usize) {
    let mut csv = format!("{TEACHING_HEADER}\n");
    for i in 0..rows {
        let day = 1 + i % 28;
        csv.push_str(&format!(
            "沪蒙医疗协作,{institution},,教学查房,2025-03-{day:02},\"病例讨论, 第{i}讲 \"\"心衰\"\"\",沈专家,上海交通大学医学院附属瑞金医院,示教室,否,90,{}\n",
            10 + i % 50
        ));
    }
    let form = Form::new().part(
        "file",
        Part::bytes(csv.into_bytes()).file_name("t.csv".to_string()),
    );
    let r = app
        .client
        .post(app.url("/api/v1/imports/teaching-activities?dry_run=false"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    let b: Value = r.json().await.expect("json");
    assert_eq!(b["created"], json!(rows), "{b}");
}

/// Every item of a list, page by page, as the JSON API gives it.
async fn all_items(app: &TestApp, token: &str, path: &str) -> (Vec<Value>, i64) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut items = Vec::new();
    let mut total = 0;
    for page in 1.. {
        let (s, b) = app
            .get(&format!("{path}{sep}page={page}&per_page=200"), token)
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        total = b["total"].as_i64().expect("total");
        let got = b["items"].as_array().expect("items").clone();
        let done = got.is_empty();
        items.extend(got);
        if done || items.len() as i64 >= total {
            break;
        }
    }
    (items, total)
}

fn flatten(prefix: &str, v: &Value, out: &mut Map<String, Value>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        Value::Array(_) => {}
        other => {
            out.insert(prefix.to_string(), other.clone());
        }
    }
}

/// A JSON scalar as the CSV cell shows it.
fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn download(
    app: &TestApp,
    token: &str,
    path: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("send");
    let status = r.status();
    let headers = r.headers().clone();
    (status, headers, r.bytes().await.expect("body").to_vec())
}

/// The CSV's rows as maps from header to cell.
fn parse_csv(bytes: &[u8]) -> Vec<HashMap<String, String>> {
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "UTF-8 BOM first");
    let mut r = csv::ReaderBuilder::new().from_reader(&bytes[3..]);
    let header: Vec<String> = r
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    r.records()
        .map(|rec| {
            let rec = rec.expect("record");
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// The XLSX's first sheet: header and rows of cells.
fn parse_xlsx(bytes: Vec<u8>) -> (Vec<String>, Vec<Vec<calamine::Data>>) {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("xlsx");
    let range = book.worksheet_range_at(0).expect("a sheet").expect("range");
    let mut rows = range.rows();
    let header = rows
        .next()
        .expect("header")
        .iter()
        .map(|c| c.to_string())
        .collect();
    (header, rows.map(<[calamine::Data]>::to_vec).collect())
}

/// Checks a CSV and an XLSX export against the JSON list, item by item and cell by cell.
async fn export_equals_list(app: &TestApp, token: &str, path: &str) -> usize {
    let (items, total) = all_items(app, token, path).await;
    assert_eq!(items.len() as i64, total);
    let sep = if path.contains('?') { '&' } else { '?' };

    let (s, headers, bytes) = download(app, token, &format!("{path}{sep}format=csv")).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&bytes));
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/csv")
    );
    let disposition = headers["content-disposition"].to_str().unwrap_or("");
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("filename*=UTF-8''"),
        "{disposition}"
    );
    let rows = parse_csv(&bytes);
    assert_eq!(rows.len(), items.len(), "{path}: every item, every page");
    for (item, row) in items.iter().zip(&rows) {
        let mut flat = Map::new();
        flatten("", item, &mut flat);
        for (k, v) in &flat {
            assert_eq!(
                row.get(k).map(String::as_str),
                Some(cell_text(v).as_str()),
                "{path}: column {k}"
            );
        }
    }

    let (s, headers, bytes) = download(app, token, &format!("{path}{sep}format=xlsx")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let (header, rows) = parse_xlsx(bytes);
    assert_eq!(rows.len(), items.len());
    for (item, row) in items.iter().zip(&rows) {
        let mut flat = Map::new();
        flatten("", item, &mut flat);
        for (k, v) in &flat {
            let c = header.iter().position(|h| h == k).expect("column");
            let cell = row.get(c).cloned().unwrap_or(calamine::Data::Empty);
            match (v, &cell) {
                (Value::Number(n), calamine::Data::Float(f)) => {
                    assert_eq!(n.as_f64(), Some(*f), "{path}: {k}")
                }
                (Value::Number(n), calamine::Data::Int(i)) => {
                    assert_eq!(n.as_i64(), Some(*i), "{path}: {k}")
                }
                (Value::Null, calamine::Data::Empty) => {}
                (Value::Bool(b), calamine::Data::Bool(c)) => assert_eq!(b, c),
                (Value::String(s), calamine::Data::String(c)) => assert_eq!(s, c, "{path}: {k}"),
                (v, c) => panic!("{path}: {k}: {v} exported as {c:?}"),
            }
        }
    }
    items.len()
}

#[tokio::test]
async fn lists_export_every_page_as_csv_and_xlsx_equal_to_the_json() {
    let app = spawn_app().await;
    let w = world(&app).await;
    // More rows than one export page (1000) and than one API page (200).
    import_teaching(&app, &w.admin, "包头市中心医院", 2150).await;
    import_teaching(&app, &w.admin, "包头市第六医院", 40).await;

    let n = export_equals_list(
        &app,
        &w.admin,
        &format!("/api/v1/teaching-activities?institution={}", w.recipient),
    )
    .await;
    assert_eq!(n, 2150, "the filter holds across pages");
    assert_eq!(
        export_equals_list(&app, &w.admin, "/api/v1/teaching-activities").await,
        2190
    );
    export_equals_list(&app, &w.admin, "/api/v1/people").await;
    export_equals_list(&app, &w.admin, "/api/v1/institutions").await;
    export_equals_list(&app, &w.admin, "/api/v1/programs").await;

    // Every export is audited as a read.
    let (_, log) = app
        .get("/api/v1/audit?entity=export&action=read", &w.admin)
        .await;
    assert!(log["total"].as_i64().unwrap_or(0) >= 10, "{log}");

    // page and per_page are ignored: the whole list comes back.
    let (s, _, bytes) = download(
        &app,
        &w.admin,
        "/api/v1/teaching-activities?page=3&per_page=1&format=csv",
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(parse_csv(&bytes).len(), 2190);
}

#[tokio::test]
async fn a_bad_format_is_refused_and_other_formats_are_left_to_their_endpoints() {
    let app = spawn_app().await;
    let w = world(&app).await;
    for bad in ["pdf", "", "CSV2"] {
        let (s, b) = app
            .get(&format!("/api/v1/people?format={bad}"), &w.admin)
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {b}");
        assert_eq!(b["error"]["field"], "format");
    }
    // Anonymous: the list's own 401, not a file.
    let r = app
        .client
        .get(app.url("/api/v1/people?format=csv"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // The import template keeps its own `format`.
    let r = app
        .client
        .get(app.url("/api/v1/imports/people/template?format=csv"))
        .bearer_auth(&w.admin)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap_or("")
        .to_string();
    assert!(!disposition.contains("people-2"), "{disposition}");
    // Documented on every list.
    let (_, doc) = app.get("/api/openapi.json", &w.admin).await;
    for path in [
        "/api/v1/people",
        "/api/v1/consultations",
        "/api/v1/programs/{id}/indicators",
    ] {
        let params = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            params
                .iter()
                .any(|p| p["name"] == "format" && p["schema"]["enum"] == json!(["csv", "xlsx"])),
            "{path}"
        );
    }
    let template = doc["paths"]["/api/v1/imports/{kind}/template"]["get"]["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(template.iter().filter(|p| p["name"] == "format").count(), 1);
}

#[tokio::test]
async fn patient_lists_export_within_the_callers_scope_masked_and_audited() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let clinician = app.token("clinician-r").await;
    let c = crate::consultations::request(&app, &w, &clinician).await;
    let id_number = crate::clinic_sessions::id_number(42);

    let n = export_equals_list(&app, &clinician, "/api/v1/consultations").await;
    assert_eq!(n, 1);
    for format in ["csv", "xlsx"] {
        let (s, _, bytes) = download(
            &app,
            &clinician,
            &format!("/api/v1/consultations?format={format}"),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let text = if format == "csv" {
            String::from_utf8(bytes).expect("utf-8")
        } else {
            let (h, rows) = parse_xlsx(bytes);
            format!("{h:?}{rows:?}")
        };
        assert!(text.contains("王**"), "masked name exported");
        assert!(!text.contains("王小明"), "no full name");
        assert!(!text.contains(&id_number), "no resident ID number");
    }

    // A coordinator of an unrelated hospital gets the header and nothing else.
    let coord_u = app.token("coord-u").await;
    let (s, _, bytes) = download(&app, &coord_u, "/api/v1/consultations?format=csv").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(parse_csv(&bytes).len(), 0);
    assert!(!String::from_utf8_lossy(&bytes).contains(c["id"].as_str().expect("id")));
    // The program office sees no patient lists at all: the list's own refusal or nothing.
    let office = app.token("office").await;
    let (s_json, b_json) = app.get("/api/v1/consultations", &office).await;
    let (s, _, bytes) = download(&app, &office, "/api/v1/consultations?format=csv").await;
    assert_eq!(s, s_json);
    if s == StatusCode::OK {
        assert_eq!(
            parse_csv(&bytes).len() as i64,
            b_json["total"].as_i64().unwrap_or(0)
        );
    }

    // Audited: who exported what.
    let (_, log) = app
        .get("/api/v1/audit?entity=export&action=read", &w.admin)
        .await;
    let entries = log["items"].as_array().cloned().unwrap_or_default();
    assert!(
        entries
            .iter()
            .any(|e| e["actor_name"] == "clinician-r" && e["entity_id"] == "/api/v1/consultations"),
        "{log}"
    );
}

#[tokio::test]
async fn the_indicator_table_exports_and_the_pages_session_may_download() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let path = format!(
        "/api/v1/programs/{}/indicators?until=2030-12-31",
        w.program_a
    );
    let (s, table) = app.get(&path, &w.admin).await;
    assert_eq!(s, StatusCode::OK, "{table}");
    let table = table.as_array().expect("array").clone();
    assert!(!table.is_empty());
    let (s, _, bytes) = download(&app, &w.admin, &format!("{path}&format=csv")).await;
    assert_eq!(s, StatusCode::OK);
    let rows = parse_csv(&bytes);
    assert_eq!(rows.len(), table.len());
    for (item, row) in table.iter().zip(&rows) {
        assert_eq!(row["code"], item["code"].as_str().expect("code"));
        assert_eq!(row["value"], cell_text(&item["value"]));
    }
    let (s, _, bytes) = download(&app, &w.admin, &format!("{path}&format=xlsx")).await;
    assert_eq!(s, StatusCode::OK);
    let (header, rows) = parse_xlsx(bytes);
    assert_eq!(rows.len(), table.len());
    assert!(header.iter().any(|h| h == "records_url"));
    let bad = format!(
        "/api/v1/programs/{}/indicators?until=yesterday&format=xlsx",
        w.program_a
    );
    let (s, _, _) = download(&app, &w.admin, &bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "the list's own 422");

    // The pages' session cookie downloads too (GET only, no token).
    let user = shanhai_store::users::find_by_username(&app.db, "coord-r")
        .await
        .expect("find")
        .expect("coord-r");
    let session = shanhai_store::users::create_session(
        &app.db,
        &shanhai_store::audit::Actor::system("test"),
        &user,
    )
    .await
    .expect("session");
    let r = app
        .client
        .get(app.url("/api/v1/people?format=csv"))
        .header("cookie", format!("shanhai_session={}", session.cookie))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    // The list pages link to it.
    let page = app
        .client
        .get(app.url("/people?q=%E5%8C%85"))
        .header("cookie", format!("shanhai_session={}", session.cookie))
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("html")
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    assert!(
        page.contains("/api/v1/people?q=%E5%8C%85&format=xlsx")
            && page.contains("/api/v1/people?q=%E5%8C%85&format=csv"),
        "{page}"
    );
    // …but not the JSON API, which still wants a token.
    let r = app
        .client
        .get(app.url("/api/v1/people"))
        .header("cookie", format!("shanhai_session={}", session.cookie))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
