//! The briefing (成果简报): its numbers are the indicators' values, each figure's records list
//! has that many records, every number is a link in HTML and a hyperlink in DOCX, Chinese fonts
//! are named in the DOCX; bad input is refused. And the demo: each seed program's briefing, up to
//! its article's date, quotes the article's headline figures.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Read;

/// A program with records of several kinds, its briefing as JSON, and the clinician's token.
async fn program_with_records(app: &TestApp, w: &World) -> String {
    let clinician = app.token("clinician-r").await;
    crate::consultations::request(app, w, &clinician).await;
    for (program, adopted_on) in [
        (&w.program_a, "2024-03-01"),
        (&w.program_a, "2024-04-01"),
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
            json!({"program_id": w.program_a, "institution_id": w.recipient, "amount_fen": 8_300_000_000i64,
                   "source": "上海市对口支援资金", "purpose": "胸痛中心建设", "granted_on": "2024-05-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    clinician
}

async fn get_raw(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.request(reqwest::Method::GET, path, Some(token), None)
        .await
}

fn figures(b: &Value) -> Vec<Value> {
    b["figures"].as_array().expect("figures").clone()
}

/// Follows every counted figure's `records_url` and checks the list's `total`.
async fn every_counted_figure_lists_that_many_records(app: &TestApp, b: &Value, token: &str) {
    for f in figures(b) {
        if f["counted"] != json!(true) {
            continue;
        }
        let url = f["records_url"].as_str().expect("records_url");
        let (s, list) = app.get(url, token).await;
        assert_eq!(s, StatusCode::OK, "{url}: {list}");
        assert_eq!(list["total"], f["value"], "{url} for {}", f["code"]);
    }
}

fn unzip(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip file");
    let mut file = zip.by_name(name).expect("entry");
    let mut text = String::new();
    file.read_to_string(&mut text).expect("UTF-8 XML");
    text
}

/// `application/x-www-form-urlencoded` as the server writes it.
fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The UI page listing a figure's records (what HTML and DOCX link to).
/// The records page a figure links to; a counted figure passes its count along (`expect`).
fn records_page(f: &Value) -> String {
    let expect = if f["counted"] == json!(true) {
        format!("&expect={}", f["value"])
    } else {
        String::new()
    };
    format!(
        "/records?src={}&title={}{expect}",
        form_encode(f["records_url"].as_str().expect("url")),
        form_encode(f["name"].as_str().expect("name"))
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[tokio::test]
async fn the_briefing_quotes_the_indicators_and_links_every_number_to_its_records() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let clinician = program_with_records(&app, &w).await;
    let until = "2030-12-31";
    let base = format!("/api/v1/programs/{}", w.program_a);

    let (s, b) = app
        .get(&format!("{base}/briefing?until={until}"), &clinician)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["program"]["id"], json!(w.program_a));
    assert_eq!(b["until"], json!(until));
    assert!(b["title"].as_str().expect("title").contains("成果简报"));
    let first = b["paragraphs"][0]["text"].as_str().expect("text");
    assert!(first.starts_with("截至2030年12月31日，"), "{first}");

    // Every number is an indicator's value, with the indicator's records list.
    let (s, values) = app
        .get(&format!("{base}/indicators?until={until}"), &clinician)
        .await;
    assert_eq!(s, StatusCode::OK);
    let by_code: HashMap<String, Value> = values
        .as_array()
        .expect("list")
        .iter()
        .map(|v| (v["code"].as_str().expect("code").to_string(), v.clone()))
        .collect();
    let figs = figures(&b);
    for f in &figs {
        let code = f["code"].as_str().expect("code");
        let v = &by_code[code];
        assert_eq!(f["value"], v["value"], "{code}");
        assert_eq!(f["records_url"], v["records_url"], "{code}");
    }
    // Zero figures are left out; the ones recorded are in, regulations up to the date only.
    let fig = |code: &str| figs.iter().find(|f| f["code"] == json!(code)).cloned();
    assert_eq!(fig("regulations").expect("regulations")["value"], json!(2));
    assert_eq!(
        fig("consultations").expect("consultations")["value"],
        json!(1)
    );
    let funding = fig("funding").expect("funding");
    assert_eq!(funding["value"], json!(8_300_000_000i64));
    assert_eq!(funding["display"], json!("8,300万元"));
    assert!(fig("techniques").is_none());
    // Each paragraph's text shows its figures in order, and the whole list is theirs together.
    let mut all = Vec::new();
    for p in b["paragraphs"].as_array().expect("paragraphs") {
        let text = p["text"].as_str().expect("text");
        let mut at = 0;
        for f in p["figures"].as_array().expect("figures") {
            let shown = f["display"].as_str().expect("display");
            let found = text[at..].find(shown).expect("figure in text");
            at += found + shown.len();
            all.push(f.clone());
        }
    }
    assert_eq!(all, figs);
    every_counted_figure_lists_that_many_records(&app, &b, &clinician).await;

    // Narrowed to the recipient: its records, each list narrowed to it; nothing at an
    // unrelated hospital; an unknown institution is refused.
    let (s, at) = app
        .get(
            &format!("{base}/briefing?until={until}&institution={}", w.recipient),
            &clinician,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{at}");
    assert_eq!(at["institution"]["id"], json!(w.recipient));
    let at_figs = figures(&at);
    let value_at = |code: &str| {
        at_figs
            .iter()
            .find(|f| f["code"] == json!(code))
            .map(|f| f["value"].clone())
    };
    assert_eq!(value_at("regulations"), Some(json!(2)));
    assert_eq!(value_at("funding"), Some(json!(8_300_000_000i64)));
    assert_eq!(value_at("consultations"), Some(json!(1)));
    assert!(at_figs.iter().all(|f| {
        f["records_url"]
            .as_str()
            .is_some_and(|u| u.contains(&w.recipient))
    }));
    every_counted_figure_lists_that_many_records(&app, &at, &clinician).await;
    let (s, none) = app
        .get(
            &format!("{base}/briefing?until={until}&institution={}", w.unrelated),
            &clinician,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(figures(&none).is_empty(), "{none}");
    let (s, b404) = app
        .get(
            &format!("{base}/briefing?institution={}", uuid::Uuid::now_v7()),
            &clinician,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b404["error"]["field"], json!("institution"));

    // An earlier date counts less.
    let (_, early) = app
        .get(&format!("{base}/briefing?until=2024-03-15"), &clinician)
        .await;
    let regs = figures(&early)
        .into_iter()
        .find(|f| f["code"] == json!("regulations"))
        .expect("regulations");
    assert_eq!(regs["value"], json!(1));

    // English on request.
    let (_, en) = app
        .get(
            &format!("{base}/briefing?until={until}&lang=en"),
            &clinician,
        )
        .await;
    assert!(en["title"].as_str().expect("title").contains("briefing"));
    assert!(
        en["paragraphs"][0]["text"]
            .as_str()
            .expect("text")
            .starts_with("As of 31 December 2030, ")
    );
    assert_eq!(figures(&en).len(), figs.len());

    // HTML: a printable page, every number a link to its records.
    let r = get_raw(
        &app,
        &format!("{base}/briefing?until={until}&format=html"),
        &clinician,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .expect("type")
            .starts_with("text/html")
    );
    let html = r.text().await.expect("html");
    assert!(html.contains("@page") && html.contains("Noto Serif CJK SC"));
    for f in &figs {
        let link = format!(
            "{}\" data-records-url=\"{}\" data-code=\"{}\" data-value=\"{}\">{}</a>",
            xml_escape(&records_page(f)),
            xml_escape(f["records_url"].as_str().expect("url")),
            f["code"].as_str().expect("code"),
            f["value"],
            f["display"].as_str().expect("display"),
        );
        assert!(html.contains(&link), "{link} in {html}");
    }

    // DOCX: an attachment with a UTF-8 file name that opens as a Word document, quotes every
    // number as a hyperlink and names the Chinese fonts.
    let r = get_raw(
        &app,
        &format!("{base}/briefing?until={until}&format=docx"),
        &clinician,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()[reqwest::header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let disposition = r.headers()[reqwest::header::CONTENT_DISPOSITION]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(
        disposition.contains("filename*=UTF-8''") && disposition.contains("%E6%88%90%E6%9E%9C"),
        "{disposition}"
    );
    let bytes = r.bytes().await.expect("bytes");
    let document = unzip(&bytes, "word/document.xml");
    let rels = unzip(&bytes, "word/_rels/document.xml.rels");
    assert!(document.contains("w:eastAsia=\"宋体\""), "body font");
    assert!(document.contains("w:eastAsia=\"黑体\""), "heading font");
    assert!(document.contains("w:ascii=\"Times New Roman\""));
    assert!(document.contains(&xml_escape(b["title"].as_str().expect("title"))));
    let hyperlinks = document.matches("<w:hyperlink").count();
    assert_eq!(hyperlinks, figs.len(), "one hyperlink per number");
    for f in &figs {
        let shown = xml_escape(f["display"].as_str().expect("display"));
        assert!(document.contains(&format!(">{shown}</w:t>")), "{shown}");
        let url = xml_escape(&records_page(f));
        assert!(rels.contains(&url), "{url} in the relationships");
    }
}

#[tokio::test]
async fn bad_dates_formats_and_programs_are_refused() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let token = app.token("clinician-r").await;
    let base = format!("/api/v1/programs/{}/briefing", w.program_a);
    for (query, field) in [
        ("?until=2025-13-01", "until"),
        ("?until=yesterday", "until"),
        ("?format=pdf", "format"),
        ("?until=2025-04-30&format=DOCX", "format"),
    ] {
        let (s, b) = app.get(&format!("{base}{query}"), &token).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {b}");
        assert_eq!(b["error"]["field"], json!(field), "{query}");
    }
    let unknown = uuid::Uuid::now_v7();
    for format in ["json", "html", "docx"] {
        let (s, _) = app
            .get(
                &format!("/api/v1/programs/{unknown}/briefing?format={format}"),
                &token,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{format}");
    }
    let r = app.request(reqwest::Method::GET, &base, None, None).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Default: today, JSON.
    let (s, b) = app.get(&base, &token).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(b["paragraphs"][0]["figures"].is_array());
}

/// The suite's one load of the whole demo: the briefings here, the demo's own scale and
/// consistency in [`crate::demo`].
#[tokio::test]
async fn each_seed_programs_briefing_quotes_its_articles_headline_figures() {
    let app = spawn_app().await;
    let cipher = shanhai_store::crypto::PatientCipher::load(&app.data_dir).expect("patient key");
    let loaded = crate::demo::load_once(&app.db, &cipher).await;
    crate::demo::has_consultations_and_referrals_at_the_seed_scale(&app.db, &cipher, &loaded).await;
    crate::demo::compositions_add_up_to_the_roll_ups(&app.db, &loaded).await;
    let (s, t) = app
        .post_anon(
            "/api/v1/auth/token",
            json!({"username": "admin", "password": shanhai_demo::DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let token = t["token"].as_str().expect("token").to_string();
    let (_, programs) = app.get("/api/v1/programs?per_page=50", &token).await;
    let id_of = |name: &str| {
        programs["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|p| p["name"] == json!(name))
            .and_then(|p| p["id"].as_str())
            .expect("program")
            .to_string()
    };
    let dates = shanhai_demo::article_dates();
    assert_eq!(dates.len(), 5);
    let demo = crate::articles::Demo {
        app: &app,
        token: &token,
        institutions: &loaded.institutions,
    };
    // Each article on its own: every statement it makes, every problem reported.
    let mut problems = Vec::new();
    for a in dates {
        let id = id_of(&a.name);
        problems.extend(crate::articles::check(&demo, &a.key, &id, &a.as_of.to_string()).await);
        let (s, b) = app
            .get(
                &format!("/api/v1/programs/{id}/briefing?until={}", a.as_of),
                &token,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{}: {b}", a.key);
        workload_figures_sum_their_records(&app, &b, &token).await;
    }
    assert!(
        problems.is_empty(),
        "{} statements not met:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Follows every workload figure's `records_url` (all pages) and sums what each report adds.
async fn workload_figures_sum_their_records(app: &TestApp, b: &Value, token: &str) {
    for f in figures(b) {
        if !f["code"]
            .as_str()
            .is_some_and(|c| c.starts_with("workload-"))
        {
            continue;
        }
        let url = f["records_url"].as_str().expect("records_url");
        let (mut sum, mut page) = (0, 1);
        loop {
            let (s, list) = app
                .get(&format!("{url}&per_page=200&page={page}"), token)
                .await;
            assert_eq!(s, StatusCode::OK, "{url}: {list}");
            let items = list["items"].as_array().expect("items");
            sum += items
                .iter()
                .map(|i| i["value"].as_i64().unwrap_or(0))
                .sum::<i64>();
            if items.len() < 200 {
                break;
            }
            page += 1;
        }
        assert_eq!(sum, f["value"].as_i64().expect("value"), "{url}");
    }
}

#[tokio::test]
async fn the_briefing_page_shows_the_text_with_links_and_downloads_under_the_session() {
    let app = spawn_app().await;
    let w = world(&app).await;
    program_with_records(&app, &w).await;
    let browser = Browser::sign_in(&app, "clinician-r").await;
    let page = |path: String| browser.response(path);

    // The program page links to its briefing.
    let program = page(format!("/programs/{}", w.program_a))
        .await
        .expect("program page")
        .text()
        .await
        .expect("html");
    assert!(program.contains(&format!("/programs/{}/briefing", w.program_a)));

    let base = format!("/programs/{}/briefing", w.program_a);
    let r = page(format!("{base}?until=2030-12-31"))
        .await
        .expect("page");
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("html");
    assert!(html.contains("截至2030年12月31日，"));
    assert!(
        html.contains("8,300万元</a>"),
        "the funding figure is a link"
    );
    assert!(html.contains(&format!(
        "/records?src=%2Fapi%2Fv1%2Fprograms%2F{}%2Findicators%2Ffunding%2Frecords",
        w.program_a
    )));
    assert!(html.contains(&format!("{base}?until=2030-12-31&amp;format=docx")));

    // The downloads are the API's bytes.
    let r = page(format!("{base}?until=2030-12-31&format=docx"))
        .await
        .expect("docx");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()[reqwest::header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let document = unzip(&r.bytes().await.expect("bytes"), "word/document.xml");
    assert!(document.contains("8,300万元"));
    let r = page(format!("{base}?until=2030-12-31&format=json"))
        .await
        .expect("json");
    assert!(
        r.headers()[reqwest::header::CONTENT_DISPOSITION]
            .to_str()
            .expect("ascii")
            .starts_with("attachment;")
    );
    let b: Value = r.json().await.expect("json");
    assert_eq!(b["until"], json!("2030-12-31"));
    // Without a session: the sign-in page.
    let r = app
        .client
        .get(app.url(&base))
        .send()
        .await
        .expect("anonymous");
    assert!(r.status().is_redirection(), "{}", r.status());
}
