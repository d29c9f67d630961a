use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

/// Both backends' migrations must produce the same tables and columns: each backend's run
/// compares itself with this snapshot.
#[tokio::test]
async fn the_schema_is_the_same_on_both_backends() {
    let app = spawn_app().await;
    let outline = app.db.schema_outline().await.expect("outline");
    let text: String = outline.iter().map(|(t, c)| format!("{t}.{c}\n")).collect();
    let snapshot_path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shanhai-store/schema.txt");
    if std::env::var("UPDATE_SCHEMA_SNAPSHOT").is_ok() {
        std::fs::write(&snapshot_path, &text).expect("write snapshot");
    }
    let snapshot = std::fs::read_to_string(&snapshot_path).expect("schema.txt snapshot");
    assert_eq!(
        text,
        snapshot,
        "schema differs from crates/shanhai-store/schema.txt on {:?}",
        app.db.backend()
    );
}

#[tokio::test]
async fn concurrent_writes_all_succeed() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let before = app.count("departments").await;
    let mut handles = Vec::new();
    for i in 0..40 {
        let client = app.client.clone();
        let url = app.url("/api/v1/departments");
        let token = w.admin.clone();
        let body = json!({"institution_id": w.recipient, "specialty_code": "07", "name": format!("儿科{i}病区")});
        handles.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .map(|r| r.status())
        }));
    }
    for h in handles {
        assert_eq!(h.await.expect("join").expect("send"), StatusCode::CREATED);
    }
    assert_eq!(app.count("departments").await, before + 40);
}

#[tokio::test]
async fn migrations_are_idempotent_and_a_sqlite_backup_is_a_working_database() {
    let app = spawn_app().await;
    let w = world(&app).await;
    assert!(app.db.migrate().await.expect("migrate again").is_empty());
    if app.db.backend() != shanhai_store::Backend::Sqlite {
        return;
    }
    let backup = app.data_dir.join("backup.db");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_shanhai"))
        .args(["backup", "--to"])
        .arg(&backup)
        .args(["--database-url", &app.database_url])
        .arg("--data-dir")
        .arg(&app.data_dir)
        .output()
        .expect("run backup");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let copy = shanhai_store::Db::connect(&format!("sqlite://{}", backup.display()))
        .await
        .expect("open backup");
    let program = shanhai_store::programs::get(&copy, &w.program_a)
        .await
        .expect("program in backup");
    assert_eq!(program.name, "沪蒙医疗协作");
}
