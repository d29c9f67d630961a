use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn the_cli_adds_a_user_who_gets_a_token_and_no_token_means_401() {
    let tmp = TempDir(std::env::temp_dir().join(format!("shanhai-cli-{}", uuid::Uuid::now_v7())));
    std::fs::create_dir_all(&tmp.0).expect("dir");
    let url = fresh_database(&tmp.0).await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_shanhai"))
        .args([
            "user",
            "add",
            "--username",
            "li.office",
            "--role",
            "platform-admin",
            "--password-stdin",
            "--lang",
            "en",
        ])
        .args(["--database-url", &url, "--data-dir"])
        .arg(&tmp.0)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run shanhai user add");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        writeln!(stdin, "{PASSWORD}").expect("write password");
    }
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created user li.office"));

    let app = spawn_app_on(tmp, url).await;
    let token = app.token("li.office").await;
    let (status, me) = app.get("/api/v1/auth/me", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["role"], "platform-admin");
    assert!(me.get("password_hash").is_none());

    let anon = app
        .request(Method::GET, "/api/v1/programs", None, None)
        .await;
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = anon.json().await.expect("json");
    assert_eq!(body["error"]["code"], "unauthorized");
    let bogus = app
        .request(
            Method::GET,
            "/api/v1/programs",
            Some("shk_not-a-token"),
            None,
        )
        .await;
    assert_eq!(bogus.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_revoked_token_stops_working_and_a_deactivated_user_loses_access() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.add_user("wang", "platform-admin", None, None).await;
    let token = app.token("wang").await;
    assert_eq!(app.get("/api/v1/auth/me", &token).await.0, StatusCode::OK);
    let revoke = app
        .request(Method::DELETE, "/api/v1/auth/token", Some(&token), None)
        .await;
    assert_eq!(revoke.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/auth/me", &token).await.0,
        StatusCode::UNAUTHORIZED
    );

    let token = app.token("wang").await;
    let (_, list) = app.get("/api/v1/users?q=wang", &admin).await;
    let id = list["items"][0]["id"].as_str().expect("id").to_string();
    let (status, body) = app
        .put(
            &format!("/api/v1/users/{id}"),
            &admin,
            json!({"active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        app.get("/api/v1/auth/me", &token).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = app
        .post_anon(
            "/api/v1/auth/token",
            json!({"username": "wang", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn wrong_passwords_are_throttled_and_the_message_follows_the_language() {
    let app = spawn_app().await;
    app.admin().await;
    let wrong = json!({"username": "admin", "password": "not-the-password"});
    let r = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .header("accept-language", "en-US")
        .json(&wrong)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"]["message"], "Wrong username or password");
    let (_, zh) = app.post_anon("/api/v1/auth/token", wrong.clone()).await;
    assert_eq!(zh["error"]["message"], "用户名或密码不正确");
    for _ in 0..3 {
        app.post_anon("/api/v1/auth/token", wrong.clone()).await;
    }
    let r = app
        .request(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(&json!({"username": "admin", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get("retry-after").is_some());
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_hashes() {
    use sqlx::Row;
    let app = spawn_app().await;
    app.admin().await;
    let row = sqlx::query("SELECT password_hash FROM users WHERE username = 'admin'")
        .fetch_one(app.db.pool())
        .await
        .expect("row");
    let hash: String = row.try_get("password_hash").expect("hash");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(PASSWORD));
}

#[tokio::test]
async fn every_write_is_in_the_audit_log_with_its_author_and_before_and_after() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let office = app.token("office").await;
    let (status, body) = app
        .put(
            &format!("/api/v1/institutions/{}", w.recipient),
            &office,
            json!({"name": "包头市中心医院（沪蒙协作）", "kind": "hospital", "grade": "3A", "region_code": "150203"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, log) = app
        .get(
            &format!("/api/v1/audit?entity=institution&entity_id={}", w.recipient),
            &w.admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = log["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{log}");
    assert_eq!(items[0]["action"], "update");
    assert_eq!(items[0]["actor_name"], "office");
    assert_eq!(items[0]["before"]["name"], "包头市中心医院");
    assert_eq!(items[0]["after"]["name"], "包头市中心医院（沪蒙协作）");
    assert_eq!(items[1]["action"], "create");
    assert_eq!(items[1]["actor_name"], "admin");

    let (_, all) = app.get("/api/v1/audit?per_page=200", &w.admin).await;
    for entity in [
        "region",
        "institution",
        "department",
        "person",
        "program",
        "pairing",
        "agreement",
        "user",
    ] {
        assert!(
            all["items"]
                .as_array()
                .expect("items")
                .iter()
                .any(|e| e["entity"] == entity && e["action"] == "create"),
            "no create entry for {entity}"
        );
    }
    let office_view = app.get("/api/v1/audit", &office).await.0;
    assert_eq!(office_view, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_audit_log_cannot_be_rewritten() {
    let app = spawn_app().await;
    app.admin().await;
    assert!(app.count("audit_log").await > 0);
    let update = sqlx::query("UPDATE audit_log SET actor_name = 'someone else'")
        .execute(app.db.pool())
        .await;
    assert!(update.is_err(), "UPDATE on audit_log succeeded");
    let delete = sqlx::query("DELETE FROM audit_log")
        .execute(app.db.pool())
        .await;
    assert!(delete.is_err(), "DELETE on audit_log succeeded");
}
