//! Hostile files against a real server process, whose peak resident memory is then read from
//! `/proc`: spreadsheets that promise little and deliver a lot (a declared dimension of 17
//! billion cells, a sparse cell a million rows down, a ZIP bomb, a large GB18030 CSV, an upload
//! past the limit) and a deflated DICOM declaring a 35,000 × 35,000 image. Each is answered
//! with the limit it broke, or handled in bounded memory, and leaves nothing behind. The
//! database is set up in process (as every API test does); the requests go to a `shanhai
//! serve` started on the same database and data directory, so that its memory is its own.

use crate::consultations::request;
use crate::helpers::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use std::io::Write;

/// The peak resident memory a server may reach while it handles the files below: 300 MB. The
/// unbounded reading these tests guard against went to 24 GB, 2.5 GB, 795 MB, 665 MB and 435 MB.
const MEMORY_BOUND_KB: u64 = 300 * 1024;

/// A `shanhai serve` process, killed when dropped.
struct Server {
    child: std::process::Child,
    addr: String,
    client: reqwest::Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the binary on the app's database and data directory, on a free port.
    async fn start(app: &TestApp) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_shanhai"))
            .arg("serve")
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--database-url", &app.database_url])
            .arg("--data-dir")
            .arg(&app.data_dir)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start shanhai serve");
        let server = Server {
            child,
            addr: format!("http://127.0.0.1:{port}"),
            client: crate::helpers::client(),
        };
        for _ in 0..300 {
            if server
                .client
                .get(format!("{}/api/openapi.json", server.addr))
                .send()
                .await
                .is_ok()
            {
                return server;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("shanhai serve did not start");
    }

    /// The process's peak resident memory so far (`VmHWM`), in KB.
    fn peak_rss_kb(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM")
    }

    async fn upload(
        &self,
        token: &str,
        path: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> (StatusCode, Value) {
        let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_string()));
        let r = self
            .client
            .post(format!("{}{path}", self.addr))
            .bearer_auth(token)
            .header("accept-language", "en")
            .multipart(form)
            .send()
            .await
            .expect("upload");
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

/// Files left in the data directory's scratch space.
fn scratch_files(app: &TestApp) -> Vec<String> {
    std::fs::read_dir(app.data_dir.join("tmp"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// An XLSX written by hand: one sheet with the given XML, and what a workbook needs around it.
fn xlsx_with_sheet(sheet_xml: impl FnOnce(&mut dyn Write)) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let parts: [(&str, &str); 4] = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
    ];
    for (name, xml) in parts {
        zip.start_file(name, options).expect("part");
        zip.write_all(xml.as_bytes()).expect("write part");
    }
    zip.start_file("xl/worksheets/sheet1.xml", options)
        .expect("sheet");
    sheet_xml(&mut zip);
    zip.finish().expect("zip").into_inner()
}

const SHEET_START: &str = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#;

fn inline(cell: &str, text: &str) -> String {
    format!(r#"<c r="{cell}" t="inlineStr"><is><t>{text}</t></is></c>"#)
}

/// The KPI template's header as inline cells of row 1.
fn kpi_header_row() -> String {
    let cells: String = ["机构", "指标", "报告期", "数值", "备注"]
        .iter()
        .zip(["A1", "B1", "C1", "D1", "E1"])
        .map(|(text, cell)| inline(cell, text))
        .collect();
    format!(r#"<row r="1">{cells}</row>"#)
}

#[tokio::test]
async fn hostile_spreadsheets_are_refused_or_read_in_bounded_memory_and_leave_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let server = Server::start(&app).await;
    let import = "/api/v1/imports/kpis?dry_run=true";

    // 1. A 1.6 KB workbook whose sheet declares A1:XFD1048576 and has a cell at each corner.
    let corners = xlsx_with_sheet(|w| {
        let xml = format!(
            r#"{SHEET_START}<dimension ref="A1:XFD1048576"/><sheetData><row r="1">{}</row><row r="1048576">{}</row></sheetData></worksheet>"#,
            inline("A1", "机构"),
            inline("XFD1048576", "x")
        );
        w.write_all(xml.as_bytes()).expect("write");
    });
    assert!(corners.len() < 2048, "{} bytes", corners.len());
    let (s, b) = server.upload(&admin, import, "corners.xlsx", corners).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let message = b["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("64 columns"), "{b}");

    // The same corners without a declared dimension: the far cell itself is refused.
    let undeclared = xlsx_with_sheet(|w| {
        let xml = format!(
            r#"{SHEET_START}<sheetData>{}<row r="1048576">{}</row></sheetData></worksheet>"#,
            kpi_header_row(),
            inline("XFD1048576", "x")
        );
        w.write_all(xml.as_bytes()).expect("write");
    });
    let (s, b) = server.upload(&admin, import, "far.xlsx", undeclared).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b.to_string().contains("64 columns"), "{b}");

    // 2. A sparse sheet: the KPI header and one cell at J1000000, read cell by cell; the
    // report still names the row as the spreadsheet numbers it.
    let sparse = xlsx_with_sheet(|w| {
        let xml = format!(
            r#"{SHEET_START}<dimension ref="A1:J1000000"/><sheetData>{}<row r="1000000">{}</row></sheetData></worksheet>"#,
            kpi_header_row(),
            inline("J1000000", "x")
        );
        w.write_all(xml.as_bytes()).expect("write");
    });
    let (s, b) = server.upload(&admin, import, "sparse.xlsx", sparse).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["rows"], 1, "{b}");
    assert!(
        b["errors"]
            .as_array()
            .is_some_and(|e| e.iter().all(|e| e["row"] == 1_000_000)),
        "{b}"
    );

    // 3. A ZIP bomb: a 400 MB sheet of identical rows in a few hundred KB.
    let bomb = xlsx_with_sheet(|w| {
        w.write_all(SHEET_START.as_bytes()).expect("write");
        w.write_all(b"<sheetData>").expect("write");
        w.write_all(kpi_header_row().as_bytes()).expect("write");
        let row = format!(
            "<row>{}</row>",
            inline("", "包头市中心医院").replace(r#" r="""#, "")
        );
        let chunk = row.repeat((1 << 20) / row.len());
        for _ in 0..400 {
            w.write_all(chunk.as_bytes()).expect("write");
        }
        w.write_all(b"</sheetData></worksheet>").expect("write");
    });
    assert!(bomb.len() < 4 << 20, "{} bytes", bomb.len());
    let (s, b) = server.upload(&admin, import, "bomb.xlsx", bomb).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b.to_string().contains("100 times"), "{b}");

    // 4. A 100 MB GB18030 CSV with the KPI header, every row naming an unknown institution:
    // decoded as it is read, every row checked, the first thousand problems listed.
    let note = "远程会诊满意度调查备注".repeat(45);
    let mut csv = String::from("机构,指标,报告期,数值,备注\n");
    let mut i = 0;
    while csv.len() < 150 << 20 {
        csv.push_str(&format!("不存在的医院{i},满意度,2025-03,95,{note}\n"));
        i += 1;
    }
    let (gb, _, _) = encoding_rs::GB18030.encode(&csv);
    let gb = gb.into_owned();
    drop(csv);
    assert!(gb.len() > 100 << 20, "{} bytes", gb.len());
    let (s, b) = server.upload(&admin, import, "kpis.csv", gb).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["rows"], i, "every row read");
    assert_eq!(
        b["errors"].as_array().map(Vec::len).unwrap_or(0)
            + b["more_errors"].as_u64().unwrap_or(0) as usize,
        i,
        "{}",
        b["errors"][0]
    );

    // 5. An upload past the import limit: 413 naming it, received to disk and removed. Just
    // past it, so that what the server leaves unread fits in the socket's buffers.
    let (s, b) = server
        .upload(
            &admin,
            import,
            "huge.csv",
            vec![b'a'; (256 << 20) + (64 << 10)],
        )
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{b}");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("256 MiB"),
        "{b}"
    );

    let peak = server.peak_rss_kb();
    eprintln!("peak resident memory of the server: {peak} kB");
    assert!(
        peak < MEMORY_BOUND_KB,
        "peak resident memory {peak} kB is over {MEMORY_BOUND_KB} kB"
    );
    assert_eq!(app.count("kpi_reports").await, 0);
    assert_eq!(app.count("imports").await, 0);
    assert_eq!(scratch_files(&app), Vec::<String>::new());
}

#[tokio::test]
async fn a_deflated_dicom_declaring_a_huge_image_is_stored_without_preview_in_bounded_memory() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let clinician = app.token("clinician-r").await;
    let c = request(&app, &w, &clinician).await;
    let id = c["id"].as_str().expect("id");
    let server = Server::start(&app).await;

    let mut bomb = Vec::new();
    shanhai_files::synthetic::deflated_zeros(35_000, 35_000, &mut bomb).expect("write");
    assert!(bomb.len() < 4 << 20, "{} bytes", bomb.len());
    let path = format!("/api/v1/consultations/{id}/attachments");
    let (s, a) = server.upload(&clinician, &path, "大图.dcm", bomb).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["kind"], "dicom");
    assert_eq!(a["dicom"]["rows"], 35_000);
    assert_eq!(a["preview_url"], Value::Null, "{a}");
    let reason = a["preview_error"].as_str().unwrap_or_default();
    assert!(reason.contains("too large to preview"), "{a}");

    let peak = server.peak_rss_kb();
    eprintln!("peak resident memory of the server: {peak} kB");
    assert!(
        peak < MEMORY_BOUND_KB,
        "peak resident memory {peak} kB is over {MEMORY_BOUND_KB} kB"
    );
    assert_eq!(scratch_files(&app), Vec::<String>::new());
}

#[tokio::test]
async fn a_restart_removes_the_uploads_a_crash_left_in_scratch_space() {
    let tmp = TempDir::new();
    let scratch = tmp.0.join("tmp");
    std::fs::create_dir_all(&scratch).expect("scratch");
    std::fs::write(
        scratch.join(".upload-0190c0de-left-by-a-crash"),
        b"half an upload",
    )
    .expect("write");
    std::fs::write(scratch.join("notes.txt"), b"not ours").expect("write");
    let url = fresh_database(&tmp.0).await;
    let app = spawn_app_on(tmp, url).await;
    assert_eq!(scratch_files(&app), vec!["notes.txt".to_string()]);
}
