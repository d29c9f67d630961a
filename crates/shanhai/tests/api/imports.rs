//! Spreadsheet import (C11): a good file imports and importing it again creates nothing; one bad
//! row among thousands — a wrong type, an unknown institution, a duplicate, bytes in no known
//! encoding — writes nothing and the report names the row and the column; GB18030 CSV and XLSX
//! read like UTF-8 CSV; rows outside the caller's scope are refused; the command line does the
//! same with a non-zero exit.

use crate::helpers::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const TEACHING_HEADER: &str =
    "项目,机构*,科室,类型*,日期*,主题*,主讲人,主讲人单位,地点,线上,时长（分钟）*,参加人次";

fn teaching_row(i: usize) -> String {
    let day = 1 + i % 28;
    format!(
        "沪蒙医疗协作,包头市中心医院,心血管内科,教学查房,2025-03-{day:02},病例讨论第{i}讲,沈专家,上海交通大学医学院附属瑞金医院,示教室,否,90,{}\n",
        10 + i % 50
    )
}

pub fn teaching_csv(rows: usize) -> String {
    let mut csv = format!("{TEACHING_HEADER}\n");
    for i in 0..rows {
        csv.push_str(&teaching_row(i));
    }
    csv
}

pub async fn upload(
    app: &TestApp,
    token: &str,
    kind: &str,
    file_name: &str,
    bytes: Vec<u8>,
    dry_run: bool,
) -> (StatusCode, Value) {
    let form = Form::new().part("file", Part::bytes(bytes).file_name(file_name.to_string()));
    let r = app
        .client
        .post(app.url(&format!("/api/v1/imports/{kind}?dry_run={dry_run}")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("send");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_good_file_imports_and_importing_it_again_creates_nothing() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let csv = teaching_csv(30).into_bytes();

    let (s, b) = upload(
        &app,
        &w.admin,
        "teaching-activities",
        "t.csv",
        csv.clone(),
        true,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["rows"].as_i64(), b["created"].as_i64()),
        (Some(30), Some(30))
    );
    assert_eq!(b["imported"], json!(false));
    assert_eq!(
        app.count("teaching_activities").await,
        0,
        "a dry run writes nothing"
    );

    let (s, b) = upload(
        &app,
        &w.admin,
        "teaching-activities",
        "t.csv",
        csv.clone(),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["created"].as_i64(), b["unchanged"].as_i64()),
        (Some(30), Some(0))
    );
    assert_eq!(app.count("teaching_activities").await, 30);
    let (s, list) = app
        .get(
            &format!("/api/v1/teaching-activities?institution={}", w.recipient),
            &w.admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["total"], json!(30));
    let first = &list["items"][0];
    assert_eq!(first["host_id"], json!(w.person_d));
    assert_eq!(first["department_id"], json!(w.department_r));
    assert_eq!(first["kind"], json!("teaching-round"));

    let (s, b) = upload(&app, &w.admin, "teaching-activities", "t.csv", csv, false).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["created"].as_i64(), b["unchanged"].as_i64()),
        (Some(0), Some(30))
    );
    assert_eq!(app.count("teaching_activities").await, 30);
    assert_eq!(
        app.count("imports").await,
        1,
        "an import that wrote nothing is not recorded"
    );
    // The import took the roll-up trigger away and put it back: the next start finds every
    // trigger in place and neither reinstalls nor rebuilds.
    let mut conn = app.db.pool().acquire().await.expect("conn");
    assert!(
        !shanhai_store::rollups::install_on(&mut conn, app.db.backend())
            .await
            .expect("install"),
        "the triggers are as installed after an import"
    );
}

/// Replaces data row `n` (1-based; spreadsheet row n + 1) of a 3,000-row file.
fn with_bad_row(n: usize, row: &[u8]) -> Vec<u8> {
    let csv = teaching_csv(3000);
    let mut out = Vec::new();
    for (i, line) in csv.lines().enumerate() {
        if i == n {
            out.extend_from_slice(row);
        } else {
            out.extend_from_slice(line.as_bytes());
        }
        out.push(b'\n');
    }
    out
}

#[tokio::test]
async fn one_bad_row_among_thousands_writes_nothing_and_is_named_by_row_and_column() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let wrong_type = teaching_row(1234).replace(",90,", ",九十,");
    let unknown = teaching_row(2000).replace("包头市中心医院", "不存在的医院");
    let duplicate = teaching_row(17);
    let mut bad_bytes = teaching_row(2999).into_bytes();
    bad_bytes.splice(0..0, b"\xff\xfe\xfd".iter().copied());
    let cases: Vec<(Vec<u8>, usize, &str, &str)> = vec![
        (
            with_bad_row(1235, wrong_type.trim_end().as_bytes()),
            1236,
            "时长（分钟）",
            "整数",
        ),
        (
            with_bad_row(2001, unknown.trim_end().as_bytes()),
            2002,
            "机构",
            "不存在",
        ),
        (
            with_bad_row(2500, duplicate.trim_end().as_bytes()),
            2501,
            "",
            "第 19 行",
        ),
        (
            with_bad_row(3000, bad_bytes.trim_ascii_end()),
            3001,
            "",
            "UTF-8",
        ),
    ];
    for (file, row, column, message) in cases {
        let (s, b) = upload(
            &app,
            &w.admin,
            "teaching-activities",
            "bad.csv",
            file,
            false,
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(b["rows"], json!(3000));
        let errors = b["errors"].as_array().expect("errors");
        assert_eq!(errors.len(), 1, "{b}");
        assert_eq!(errors[0]["row"], json!(row), "{b}");
        assert_eq!(errors[0]["column"], json!(column), "{b}");
        assert!(
            errors[0]["message"]
                .as_str()
                .is_some_and(|m| m.contains(message)),
            "{b}"
        );
        assert_eq!(b["imported"], json!(false));
        assert_eq!(app.count("teaching_activities").await, 0);
    }
}

#[tokio::test]
async fn gb18030_csv_imports_like_utf8() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let text = teaching_csv(5);
    let (gb, _, unmappable) = encoding_rs::GB18030.encode(&text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&gb).is_err(),
        "the file really is GB18030"
    );
    let (s, b) = upload(
        &app,
        &w.admin,
        "teaching-activities",
        "gb.csv",
        gb.into_owned(),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["created"], json!(5));
    let (_, list) = app
        .get("/api/v1/teaching-activities?q=病例讨论第3讲", &w.admin)
        .await;
    assert_eq!(list["total"], json!(1), "{list}");
}

#[tokio::test]
async fn xlsx_imports_people_with_their_assignments_once() {
    let app = spawn_app().await;
    let w = world(&app).await;
    batch_2025(&app, &w, 7).await;
    let people_before = app.count("people").await;

    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let rows: [&[&str]; 4] = [
        &[
            "姓名",
            "性别",
            "职称",
            "所在机构",
            "项目",
            "批次",
            "受援机构",
            "受援科室",
            "派驻方式",
            "岗位",
            "出诊星期",
            "开始日期",
            "结束日期",
        ],
        // A stored person (沈专家, chief physician at the donor) and a new one on two rows.
        &[
            "沈专家",
            "女",
            "主任医师",
            "上海交通大学医学院附属瑞金医院",
            "沪蒙医疗协作",
            "7",
            "包头市中心医院",
            "心血管内科",
            "常驻",
            "科主任",
            "",
            "2025-03-01",
            "2025-05-31",
        ],
        &[
            "陆医生",
            "男",
            "副主任医师",
            "上海交通大学医学院附属瑞金医院",
            "沪蒙医疗协作",
            "7",
            "包头市中心医院",
            "",
            "候鸟（每周固定日）",
            "队员",
            "周二、周四",
            "2025-03-01",
            "2025-03-31",
        ],
        &[
            "陆医生",
            "男",
            "副主任医师",
            "上海交通大学医学院附属瑞金医院",
            "沪蒙医疗协作",
            "7",
            "包头市中心医院",
            "",
            "weekly",
            "team-member",
            "2,4",
            "2025-06-01",
            "2025-06-30",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if r > 0 && c == 5 {
                sheet.write_number(r as u32, c as u16, 7.0).expect("number");
            } else {
                sheet.write_string(r as u32, c as u16, *cell).expect("cell");
            }
        }
    }
    let date = rust_xlsxwriter::ExcelDateTime::parse_from_str("2025-06-30").expect("date");
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    sheet
        .write_datetime_with_format(3, 12, &date, &date_format)
        .expect("date cell");
    let xlsx = book.save_to_buffer().expect("xlsx");

    let (s, b) = upload(&app, &w.admin, "people", "roster.xlsx", xlsx.clone(), false).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["rows"].as_i64(), b["created"].as_i64()),
        (Some(3), Some(3))
    );
    assert_eq!(
        app.count("people").await,
        people_before + 1,
        "陆医生 is created once"
    );
    assert_eq!(app.count("assignments").await, 3);

    let (s, b) = upload(&app, &w.admin, "people", "roster.xlsx", xlsx, false).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["created"].as_i64(), b["unchanged"].as_i64()),
        (Some(0), Some(3))
    );
    assert_eq!(app.count("people").await, people_before + 1);
    assert_eq!(app.count("assignments").await, 3);
}

#[tokio::test]
async fn an_expert_in_two_places_on_one_day_stops_the_whole_roster() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (s, b) = app
        .post(
            "/api/v1/batches",
            &w.admin,
            json!({"program_id": w.program_a, "pairing_id": w.pairing, "number": 1,
                   "start_date": "2025-01-01", "end_date": "2025-12-31"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let csv = "姓名,性别,职称,所在机构,项目,批次,受援机构,派驻方式,岗位,开始日期,结束日期\n\
        新医生,女,主治医师,上海交通大学医学院附属瑞金医院,沪蒙医疗协作,1,包头市中心医院,常驻,队员,2025-03-01,2025-03-31\n\
        新医生,女,主治医师,上海交通大学医学院附属瑞金医院,沪蒙医疗协作,1,包头市第六医院,常驻,队员,2025-03-15,2025-04-15\n";
    for dry_run in [true, false] {
        let (s, b) = upload(
            &app,
            &w.admin,
            "people",
            "r.csv",
            csv.as_bytes().to_vec(),
            dry_run,
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(b["errors"][0]["row"], json!(3), "{b}");
    }
    assert_eq!(app.count("assignments").await, 0);
    assert_eq!(
        app.count("people").await,
        3,
        "the new person was rolled back too"
    );
}

#[tokio::test]
async fn rows_outside_the_callers_scope_are_refused_by_row() {
    let app = spawn_app().await;
    world(&app).await;
    let csv = format!(
        "{TEACHING_HEADER}\n\
         ,包头市中心医院,,学术讲座,2025-04-01,讲座一,,,会议室,否,60,40\n\
         ,包头市第六医院,,学术讲座,2025-04-02,讲座二,,,会议室,否,60,40\n"
    );
    let coord_r = app.token("coord-r").await;
    let (s, b) = upload(
        &app,
        &coord_r,
        "teaching-activities",
        "s.csv",
        csv.clone().into_bytes(),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["errors"].as_array().map(Vec::len), Some(1), "{b}");
    assert_eq!(b["errors"][0]["row"], json!(3));
    assert_eq!(b["errors"][0]["column"], json!("机构"));
    assert_eq!(app.count("teaching_activities").await, 0);

    let coord_u = app.token("coord-u").await;
    let (s, b) = upload(
        &app,
        &coord_u,
        "teaching-activities",
        "s.csv",
        csv.into_bytes(),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["errors"][0]["row"], json!(2));

    let expert = app.token("expert-d").await;
    let (s, _) = upload(
        &app,
        &expert,
        "teaching-activities",
        "s.csv",
        b"x".to_vec(),
        true,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn clinic_sessions_and_techniques_import_and_templates_download() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let sessions = "专家,专家单位,出诊机构,科室,日期,开始时间,结束时间,号源数,号别\n\
        沈专家,上海交通大学医学院附属瑞金医院,包头市中心医院,心血管内科,2025-05-06,08:30,11:30,20,专家号\n\
        沈专家,,包头市中心医院,心血管内科,2025-05-07,08:30,11:30,20,\n";
    let (s, b) = upload(
        &app,
        &w.admin,
        "clinic-sessions",
        "c.csv",
        sessions.as_bytes().to_vec(),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["created"], json!(2));
    let (s, b) = upload(
        &app,
        &w.admin,
        "clinic-sessions",
        "c.csv",
        sessions.as_bytes().to_vec(),
        false,
    )
    .await;
    assert_eq!((s, b["unchanged"].clone()), (StatusCode::OK, json!(2)));
    assert_eq!(app.count("clinic_sessions").await, 2);

    let techniques = "机构,技术名称,专科,手术级别,填补空白,引进日期\n\
        包头市中心医院,经皮冠状动脉介入治疗,03.04,四级,县域空白,2025-03-18\n\
        包头市中心医院,ECMO 技术,03.04,,,2025-13-01\n";
    let (s, b) = upload(
        &app,
        &w.admin,
        "techniques",
        "t.csv",
        techniques.as_bytes().to_vec(),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(
        (
            b["errors"][0]["row"].clone(),
            b["errors"][0]["column"].clone()
        ),
        (json!(3), json!("引进日期"))
    );
    // A row with two mistakes names both, each at its column; nothing is written.
    let two = techniques.replace(",03.04,,,2025-13-01", ",03.04,9,,2025-13-01");
    let (s, b) = upload(
        &app,
        &w.admin,
        "techniques",
        "t.csv",
        two.into_bytes(),
        true,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let mut at: Vec<(Value, Value)> = b["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| (e["row"].clone(), e["column"].clone()))
        .collect();
    at.sort_by_key(|(_, c)| c.to_string());
    assert_eq!(
        at,
        vec![(json!(3), json!("引进日期")), (json!(3), json!("手术级别"))],
        "{b}"
    );
    assert_eq!(app.count("techniques").await, 0);
    let fixed = techniques.replace("2025-13-01", "2025-04-01");
    let (s, b) = upload(
        &app,
        &w.admin,
        "techniques",
        "t.csv",
        fixed.into_bytes(),
        false,
    )
    .await;
    assert_eq!((s, b["created"].clone()), (StatusCode::OK, json!(2)), "{b}");

    for (format, magic) in [
        ("csv", b"\xef\xbb\xbf".as_slice()),
        ("xlsx", b"PK".as_slice()),
    ] {
        let r = app
            .client
            .get(app.url(&format!("/api/v1/imports/people/template?format={format}")))
            .bearer_auth(&w.admin)
            .send()
            .await
            .expect("template");
        assert_eq!(r.status(), StatusCode::OK);
        let bytes = r.bytes().await.expect("bytes");
        assert!(bytes.starts_with(magic));
        if format == "csv" {
            assert!(String::from_utf8_lossy(&bytes).contains("所在机构*"));
        }
    }
    let (s, _) = app.get("/api/v1/imports/nonsense/template", &w.admin).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_command_line_imports_reports_and_exits_non_zero_on_a_bad_row() {
    let app = spawn_app().await;
    let _w = world(&app).await;
    let run = |args: &[&str], file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_shanhai"))
            .arg("import")
            .args(args)
            .arg(file)
            .args(["--database-url", &app.database_url])
            .arg("--data-dir")
            .arg(&app.data_dir)
            .output()
            .expect("run import")
    };
    let good = app.data_dir.join("good.csv");
    std::fs::write(&good, teaching_csv(200)).expect("write");
    let out = run(&["teaching-activities", "--dry-run"], &good);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("新建 200"));
    assert_eq!(app.count("teaching_activities").await, 0);

    let bad = app.data_dir.join("bad.csv");
    let no_institution = teaching_row(1499).replace("包头市中心医院", "");
    std::fs::write(
        &bad,
        with_bad_row(1500, no_institution.trim_end().as_bytes()),
    )
    .expect("write");
    let out = run(&["teaching-activities", "--lang", "en"], &bad);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("row 1501, Institution"), "{stdout}");
    assert!(stdout.contains("Nothing was written"), "{stdout}");
    assert_eq!(app.count("teaching_activities").await, 0);

    let out = run(&["teaching-activities"], &good);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(app.count("teaching_activities").await, 200);
}

const KPI_HEADER: &str = "机构*,指标*,报告期*,数值*,备注,项目";

fn kpi_csv(rows: &[&str]) -> Vec<u8> {
    let mut csv = format!("{KPI_HEADER}\n");
    for r in rows {
        csv.push_str(r);
        csv.push('\n');
    }
    csv.into_bytes()
}

const KPI_GOOD: &[&str] = &[
    "包头市中心医院,患者满意度,2025Q1,92.5,门诊与住院合计,沪蒙医疗协作",
    "包头市中心医院,average-length-of-stay,2025-03,8.69,,",
    "包头市中心医院,四级手术占比,2025-03,26.63,,",
    "包头市中心医院,门急诊人次,2025,1685000,,",
    "包头市第六医院,患者满意度,2025-Q1,88,,",
];

/// The recipient's 2025-03 average length of stay, as stored.
async fn month_value(app: &TestApp, admin: &str, recipient: &str) -> Value {
    let (_, list) = app
        .get(
            &format!("/api/v1/kpi-reports?institution={recipient}"),
            admin,
        )
        .await;
    let id = list["items"]
        .as_array()
        .and_then(|i| i.iter().find(|r| r["period"] == "2025-03"))
        .and_then(|r| r["id"].as_str())
        .expect("2025-03")
        .to_string();
    let (_, report) = app.get(&format!("/api/v1/kpi-reports/{id}"), admin).await;
    report["values"]
        .as_array()
        .and_then(|vs| {
            vs.iter()
                .find(|v| v["definition"] == "average-length-of-stay")
        })
        .map(|v| v["value_scaled"].clone())
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn reported_kpis_import_as_drafts_once_and_never_into_a_locked_period() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let coord = app.token("coord-r").await;
    let office = app.token("office").await;

    // The template names the kind's columns.
    let r = app
        .client
        .get(app.url("/api/v1/imports/kpis/template?format=csv"))
        .bearer_auth(&w.admin)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    let template = r.text().await.expect("text");
    assert!(
        template.contains("指标") && template.contains("报告期"),
        "{template}"
    );

    let (s, b) = upload(&app, &w.admin, "kpis", "k.csv", kpi_csv(KPI_GOOD), true).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["rows"].as_i64(), b["created"].as_i64()),
        (Some(5), Some(5)),
        "{b}"
    );
    assert_eq!(app.count("kpi_values").await, 0, "a dry run writes nothing");

    let (s, b) = upload(&app, &w.admin, "kpis", "k.csv", kpi_csv(KPI_GOOD), false).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["imported"], json!(true), "{b}");
    assert_eq!(app.count("kpi_values").await, 5);
    // One report per institution and period, as drafts.
    assert_eq!(app.count("kpi_reports").await, 4);
    let (_, list) = app
        .get(
            &format!("/api/v1/kpi-reports?institution={}", w.recipient),
            &w.admin,
        )
        .await;
    let items = list["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 3, "{list}");
    assert!(items.iter().all(|r| r["state"] == "draft"), "{list}");
    let q1 = items
        .iter()
        .find(|r| r["period"] == "2025-Q1")
        .expect("2025-Q1");
    assert_eq!(q1["program_id"], json!(w.program_a));
    let (_, q1) = app
        .get(
            &format!("/api/v1/kpi-reports/{}", q1["id"].as_str().expect("id")),
            &w.admin,
        )
        .await;
    let sat = &q1["values"][0];
    assert_eq!(sat["definition"], "patient-satisfaction");
    assert_eq!(sat["value_scaled"], 9250);
    assert_eq!(sat["note"], "门诊与住院合计");

    // Again: nothing new.
    let (s, b) = upload(&app, &w.admin, "kpis", "k.csv", kpi_csv(KPI_GOOD), false).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["created"].as_i64(), b["unchanged"].as_i64()),
        (Some(0), Some(5))
    );
    assert_eq!(app.count("kpi_values").await, 5);
    assert_eq!(app.count("kpi_reports").await, 4);

    // The coordinator submits the year, the office approves it: the period is locked.
    let year = items
        .iter()
        .find(|r| r["period"] == "2025")
        .and_then(|r| r["id"].as_str())
        .expect("2025")
        .to_string();
    let (s, b) = app
        .post(
            &format!("/api/v1/kpi-reports/{year}/submit"),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = app
        .post(
            &format!("/api/v1/kpi-reports/{year}/approve"),
            &office,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // The same file still imports (the locked value is unchanged)…
    let (s, b) = upload(
        &app,
        &coord,
        "kpis",
        "k.csv",
        kpi_csv(&KPI_GOOD[..4]),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["unchanged"], json!(4), "{b}");
    // …but a changed value for the locked year is the row's error, and a changed value for the
    // open month in the same file is not written either.
    let changed = [
        "包头市中心医院,average-length-of-stay,2025-03,8.50,,",
        "包头市中心医院,门急诊人次,2025,1700000,,",
    ];
    let (s, b) = upload(&app, &coord, "kpis", "k.csv", kpi_csv(&changed), false).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["imported"], json!(false));
    assert_eq!(b["errors"][0]["row"], json!(3), "{b}");
    assert_eq!(b["errors"][0]["column"], json!("报告期"), "{b}");
    assert_eq!(
        month_value(&app, &w.admin, &w.recipient).await,
        json!(869),
        "nothing written"
    );
    // An open period takes a corrected value.
    let (s, b) = upload(&app, &coord, "kpis", "k.csv", kpi_csv(&changed[..1]), false).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["created"], json!(1), "{b}");
    assert_eq!(app.count("kpi_values").await, 5);
    assert_eq!(month_value(&app, &w.admin, &w.recipient).await, json!(850));

    // The coordinator of another hospital may not report for this one.
    let coord_u = app.token("coord-u").await;
    let (s, b) = upload(
        &app,
        &coord_u,
        "kpis",
        "k.csv",
        kpi_csv(&KPI_GOOD[..1]),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["errors"][0]["column"], json!("机构"), "{b}");
}

#[tokio::test]
async fn bad_kpi_rows_write_nothing_and_are_named_by_row_and_column() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let cases: &[(&str, usize, &str)] = &[
        ("包头市中心医院,患者满意度,2025Q2,九十,,", 4, "数值"),
        ("包头市中心医院,患者满意度,2025Q2,92.555,,", 4, "数值"),
        ("包头市中心医院,患者满意度,2025Q2,120,,", 4, "数值"),
        ("不存在的医院,患者满意度,2025Q2,92,,", 4, "机构"),
        ("包头市中心医院,幸福指数,2025Q2,92,,", 4, "指标"),
        ("包头市中心医院,患者满意度,2025-13,92,,", 4, "报告期"),
        ("包头市中心医院,患者满意度,2025-04,92,,", 4, "报告期"),
        ("包头市中心医院,患者满意度,2025Q1,91,,", 4, ""),
    ];
    for (bad, row, column) in cases {
        let mut rows: Vec<&str> = KPI_GOOD.to_vec();
        rows.insert(2, bad);
        let (s, b) = upload(&app, &w.admin, "kpis", "k.csv", kpi_csv(&rows), false).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(b["imported"], json!(false), "{bad}: {b}");
        let errors = b["errors"].as_array().cloned().unwrap_or_default();
        assert_eq!(errors.len(), 1, "{bad}: {b}");
        assert_eq!(errors[0]["row"], json!(row), "{bad}: {b}");
        assert_eq!(errors[0]["column"], json!(column), "{bad}: {b}");
        assert_eq!(app.count("kpi_values").await, 0, "{bad}");
        assert_eq!(app.count("kpi_reports").await, 0, "{bad}");
    }
    // The duplicate names the earlier row.
    let mut rows: Vec<&str> = KPI_GOOD.to_vec();
    rows.push("包头市中心医院,四级手术占比,2025-03,27,,");
    let (_, b) = upload(&app, &w.admin, "kpis", "k.csv", kpi_csv(&rows), false).await;
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains('4'),
        "{b}"
    );
    // Bytes in no known encoding.
    let mut bytes = kpi_csv(KPI_GOOD);
    bytes.extend_from_slice(b"\xff\xfe\xfd,\x81\x30,2025,1,,\n");
    let (_, b) = upload(&app, &w.admin, "kpis", "k.csv", bytes, false).await;
    assert_eq!(b["imported"], json!(false), "{b}");
    assert_eq!(app.count("kpi_values").await, 0);
}

#[tokio::test]
async fn the_command_line_imports_reported_kpis() {
    let app = spawn_app().await;
    let _w = world(&app).await;
    let file = app.data_dir.join("kpis.csv");
    std::fs::write(&file, kpi_csv(KPI_GOOD)).expect("write");
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_shanhai"))
            .args(["import", "kpis"])
            .arg(&file)
            .args(["--database-url", &app.database_url])
            .arg("--data-dir")
            .arg(&app.data_dir)
            .output()
            .expect("run import")
    };
    let out = run();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(app.count("kpi_values").await, 5);
    let out = run();
    assert!(out.status.success());
    assert_eq!(app.count("kpi_values").await, 5);
    assert_eq!(app.count("kpi_reports").await, 4);
}

#[tokio::test]
async fn a_bulk_import_keeps_the_roll_ups_equal_to_a_recount() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let verify = || async {
        let mismatches = shanhai_store::rollups::verify(&app.db)
            .await
            .expect("verify");
        assert!(mismatches.is_empty(), "{mismatches:?}");
    };
    let (s, b) = upload(
        &app,
        &w.admin,
        "teaching-activities",
        "t.csv",
        teaching_csv(40).into_bytes(),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    verify().await;
    // More rows on top of stored ones: only the new rows are added.
    let (s, b) = upload(
        &app,
        &w.admin,
        "teaching-activities",
        "t.csv",
        teaching_csv(130).into_bytes(),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["created"], json!(90), "{b}");
    verify().await;
    let (_, rollups) = app
        .get(
            &format!(
                "/api/v1/programs/{}/indicators?until=2030-12-31",
                w.program_a
            ),
            &w.admin,
        )
        .await;
    let teaching = rollups
        .as_array()
        .and_then(|a| a.iter().find(|i| i["code"] == "teaching-activities"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(teaching["value"], json!(130), "{teaching}");
    if app.database_url.starts_with("sqlite") {
        use sqlx::Row;
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'trigger' \
             AND name = 'rollup_teaching_activities_ins'",
        )
        .fetch_one(app.db.pool())
        .await
        .expect("count")
        .try_get("n")
        .expect("n");
        assert_eq!(n, 1, "the insert trigger is back after the import");
    }
    // A load that more than doubles the table rebuilds its indexes instead of inserting into
    // them row by row; everything is back and still adds up.
    let (s, b) = upload(
        &app,
        &w.admin,
        "teaching-activities",
        "t.csv",
        teaching_csv(10_200).into_bytes(),
        false,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["created"], json!(10_070), "{b}");
    verify().await;
    if app.database_url.starts_with("sqlite") {
        use sqlx::Row;
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE tbl_name = 'teaching_activities' \
             AND (type = 'index' OR name = 'rollup_teaching_activities_ins')",
        )
        .fetch_one(app.db.pool())
        .await
        .expect("count")
        .try_get("n")
        .expect("n");
        assert_eq!(
            n, 6,
            "five indexes (the lecture series one too) and the insert trigger"
        );
        let ok: String = sqlx::query("PRAGMA integrity_check")
            .fetch_one(app.db.pool())
            .await
            .expect("check")
            .try_get(0)
            .expect("ok");
        assert_eq!(ok, "ok");
    }
}
