//! Consultation attachments through the API: DICOM parsed and previewed, fake DICOM refused,
//! files seen only by the parties, reads audited; and the same through S3-compatible storage
//! when a local S3 server is given (`SHANHAI_TEST_S3_ENDPOINT`, as ./test.sh does with moto).

use crate::consultations::{expert_account, request};
use crate::helpers::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use shanhai_files::synthetic::{SyntheticStudy, ct_slice, undecodable_slice};

pub async fn upload(
    app: &TestApp,
    token: &str,
    consultation: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_string()));
    let r = app
        .client
        .post(app.url(&format!("/api/v1/consultations/{consultation}/attachments")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn fetch(app: &TestApp, token: &str, path: &str) -> (StatusCode, String, Vec<u8>) {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, ct, r.bytes().await.expect("body").to_vec())
}

fn study() -> SyntheticStudy {
    SyntheticStudy {
        patient_name: "Wang^Xiaoming".into(),
        patient_id: "BT20269999".into(),
        size: 96,
        ..SyntheticStudy::default()
    }
}

/// Files under the data directory's file store (scratch space excluded).
fn stored_files(app: &TestApp) -> usize {
    fn walk(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| {
                        let p = e.path();
                        if p.is_dir() { walk(&p) } else { 1 }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(&app.data_dir.join("files"))
}

/// Uploads a CT slice and checks what comes back; returns the attachment's id.
async fn dicom_round_trip(app: &TestApp) -> String {
    let w = world(app).await;
    let expert = expert_account(app, &w).await;
    let clinician = app.token("clinician-r").await;
    let c = request(app, &w, &clinician).await;
    let id = c["id"].as_str().expect("id");

    let (s, a) = upload(app, &clinician, id, "胸部CT.dcm", ct_slice(&study())).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["kind"], "dicom");
    assert_eq!(a["dicom"]["modality"], "CT");
    assert_eq!(a["dicom"]["study_date"], "2026-11-01");
    assert_eq!(a["dicom"]["body_part"], "CHEST");
    assert_eq!(a["dicom"]["window"], serde_json::json!([40.0, 400.0]));
    assert_eq!(a["sha256"].as_str().map(str::len), Some(64));
    let text = a.to_string();
    assert!(
        !text.contains("Xiaoming") && !text.contains("BT20269999"),
        "the patient's name and ID in the file are masked: {text}"
    );
    let preview = a["preview_url"].as_str().expect("preview_url");
    let (s, ct, png) = fetch(app, &expert, preview).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ct, "image/png");
    assert!(png.starts_with(&[0x89, b'P', b'N', b'G']));
    let (s, _, bytes) = fetch(app, &expert, a["content_url"].as_str().expect("url")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        bytes,
        ct_slice(&study()),
        "the file comes back byte for byte"
    );

    // The consultation lists it; an unrelated hospital and the program office see nothing.
    let (_, full) = app
        .get(&format!("/api/v1/consultations/{id}"), &expert)
        .await;
    assert_eq!(full["attachments"][0]["id"], a["id"]);
    let attachment = a["id"].as_str().expect("id");
    for who in ["coord-u", "office"] {
        let token = app.token(who).await;
        for path in [
            format!("/api/v1/attachments/{attachment}"),
            format!("/api/v1/attachments/{attachment}/content"),
            format!("/api/v1/attachments/{attachment}/preview"),
            format!("/api/v1/consultations/{id}/attachments"),
        ] {
            let (s, _, _) = fetch(app, &token, &path).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{who} {path}");
        }
        let (s, _) = upload(app, &token, id, "x.dcm", ct_slice(&study())).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who} uploads");
    }
    let (s, _, _) = fetch(app, &expert, "/api/v1/attachments/not-an-id/content").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (_, log) = app
        .get(
            &format!("/api/v1/audit?entity=attachment&entity_id={attachment}&action=read"),
            &w.admin,
        )
        .await;
    assert_eq!(log["total"], 2, "content and preview reads are audited");
    attachment.to_string()
}

#[tokio::test]
async fn a_dicom_file_is_parsed_previewed_and_seen_only_by_the_parties() {
    let app = spawn_app().await;
    dicom_round_trip(&app).await;
}

#[tokio::test]
async fn fake_and_unsupported_files_are_refused_and_nothing_is_kept() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let clinician = app.token("clinician-r").await;
    let c = request(&app, &w, &clinician).await;
    let id = c["id"].as_str().expect("id");

    let (s, b) = upload(
        &app,
        &clinician,
        id,
        "scan.dcm",
        b"this is a text file, not an image\n".repeat(20),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "file");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("DICOM"),
        "{b}"
    );
    let (s, _) = upload(&app, &clinician, id, "notes.txt", b"plain text".to_vec()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = upload(&app, &clinician, id, "empty.pdf", Vec::new()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // Broken after the DICOM marker.
    let mut broken = vec![0u8; 128];
    broken.extend_from_slice(b"DICM\x02\x00\x00\x00garbage");
    let (s, b) = upload(&app, &clinician, id, "broken.dcm", broken).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(app.count("attachments").await, 0);
    assert_eq!(stored_files(&app), 0, "refused files are not kept");

    // PDFs are accepted whatever their name, and are their own preview.
    let (s, pdf) = upload(
        &app,
        &clinician,
        id,
        "病理报告",
        b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n".to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{pdf}");
    assert_eq!(pdf["kind"], "pdf");
    // Larger than the JSON body limit: attachments stream past it.
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(3 * 1024 * 1024, b' ');
    let (s, b) = upload(&app, &clinician, id, "scan.pdf", big).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["size"], 3 * 1024 * 1024);
    assert_eq!(pdf["content_type"], "application/pdf");
    assert!(pdf["dicom"].is_null());
    assert!(pdf["preview_url"].as_str().is_some());
}

#[tokio::test]
async fn an_undecodable_dicom_file_is_kept_with_the_reason_for_no_preview() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let clinician = app.token("clinician-r").await;
    let c = request(&app, &w, &clinician).await;
    let id = c["id"].as_str().expect("id");
    let (s, a) = upload(&app, &clinician, id, "j2k.dcm", undecodable_slice(&study())).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["dicom"]["modality"], "CT");
    assert!(a["preview_url"].is_null(), "{a}");
    assert!(!a["preview_error"].as_str().unwrap_or("").is_empty(), "{a}");
    let (_, list) = app
        .get(
            &format!("/api/v1/consultations/{id}/attachments"),
            &clinician,
        )
        .await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
}

/// Runs the DICOM round trip with files in S3-compatible storage, then checks that a second
/// server on the same database and bucket serves the same file.
#[tokio::test]
async fn attachments_live_in_s3_compatible_storage_when_configured() {
    let Ok(endpoint) = std::env::var("SHANHAI_TEST_S3_ENDPOINT") else {
        eprintln!("SHANHAI_TEST_S3_ENDPOINT not set: S3 storage test skipped (./test.sh sets it)");
        return;
    };
    let bucket = std::env::var("SHANHAI_TEST_S3_BUCKET").unwrap_or_else(|_| "shanhai-test".into());
    let s3 = shanhai_files::S3Config {
        bucket,
        endpoint: Some(endpoint),
        region: Some("us-east-1".into()),
        access_key_id: Some("testing".into()),
        secret_access_key: Some("testing".into()),
    };
    let tmp = TempDir::new();
    let url = fresh_database(&tmp.0).await;
    let app = spawn_app_configured(tmp, url.clone(), Some(s3.clone())).await;
    let attachment = dicom_round_trip(&app).await;
    assert_eq!(stored_files(&app), 0, "nothing went to the local directory");

    // A second server: its own data directory (with the instance's patient key), the same
    // database and bucket.
    let second = TempDir::new();
    std::fs::create_dir_all(second.0.join("keys")).expect("keys dir");
    std::fs::copy(
        app.data_dir.join("keys/patient.key"),
        second.0.join("keys/patient.key"),
    )
    .expect("copy the patient key");
    let other = spawn_app_configured(second, url, Some(s3)).await;
    let expert = other.token("dr-shen").await;
    let (s, _, bytes) = fetch(
        &other,
        &expert,
        &format!("/api/v1/attachments/{attachment}/content"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(bytes, ct_slice(&study()));
}
