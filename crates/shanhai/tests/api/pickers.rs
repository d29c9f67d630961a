//! The type-ahead pickers' sources (`/pick/people`, `/pick/institutions`, `/pick/departments`):
//! a page session's JSON, scoped like the API, at most 20 labelled matches, with 10,000 people in
//! the registry.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;

/// Adds `n` people at `institution` straight into the database (the API would take minutes):
/// physicians named 张某0…, and every tenth a nurse.
async fn many_people(app: &TestApp, institution: &str, department: &str, n: usize) {
    let mut tx = app.db.pool().begin().await.expect("begin");
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let mut sql = String::from(
            "INSERT INTO people (id, name, gender, title, honours, institution_id, department_id, \
             specialty_code, created_at, updated_at) VALUES ",
        );
        let rows: Vec<String> = chunk
            .iter()
            .map(|i| {
                let title = if i % 10 == 0 {
                    "nurse"
                } else {
                    "attending-physician"
                };
                format!(
                    "('00000000-0000-7000-8000-{i:012}', '张某{i}', 'male', '{title}', '[]', \
                     '{institution}', '{department}', NULL, '2024-01-01T00:00:00Z', \
                     '2024-01-01T00:00:00Z')"
                )
            })
            .collect();
        sql.push_str(&rows.join(", "));
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut *tx)
            .await
            .expect("insert people");
    }
    tx.commit().await.expect("commit");
}

async fn picks(browser: &Browser<'_>, path: &str) -> Vec<Value> {
    let (status, body) = browser.get(path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    let v: Value = serde_json::from_str(&body).expect("json");
    v["items"].as_array().expect("items").clone()
}

fn labels(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["label"].as_str().expect("label").to_string())
        .collect()
}

#[tokio::test]
async fn pickers_find_people_by_part_of_the_name_within_the_viewers_scope() {
    let app = spawn_app().await;
    let w = world(&app).await;
    many_people(&app, &w.recipient, &w.department_r, 10_000).await;

    let admin = Browser::sign_in(&app, "admin").await;
    // At most 20, each labelled name · title · department · institution, never a code.
    let all = picks(&admin, "/pick/people?q=%E5%BC%A0%E6%9F%90").await;
    assert_eq!(all.len(), 20, "{all:?}");
    for l in labels(&all) {
        assert!(l.starts_with("张某"), "{l}");
        assert!(l.contains(" · 包头市中心医院"), "{l}");
        assert!(!l.contains("physician") && !l.contains("03.04"), "{l}");
    }
    // Part of a name finds exactly that person.
    let one = picks(&admin, "/pick/people?q=%E6%9F%907777").await;
    assert_eq!(
        labels(&one),
        vec!["张某7777 · 主治医师 · 心血管内科 · 包头市中心医院"]
    );
    // Doctors only: the nurse 张某7770 is not offered as a doctor.
    let doctors = picks(&admin, "/pick/people?q=%E6%9F%90777&role=doctor").await;
    assert!(
        labels(&doctors).iter().all(|l| !l.starts_with("张某7770 ")),
        "{doctors:?}"
    );
    assert!(labels(&doctors).iter().any(|l| l.starts_with("张某7771 ")));
    // The department's specialty (03.04 心血管内科) and a specialty above it find them; another
    // specialty does not.
    let by_specialty = picks(&admin, "/pick/people?q=%E6%9F%907777&specialty=03").await;
    assert_eq!(by_specialty.len(), 1, "{by_specialty:?}");
    let other = picks(&admin, "/pick/people?q=%E6%9F%907777&specialty=04").await;
    assert!(other.is_empty(), "{other:?}");

    // A coordinator of an unrelated institution reaches none of them; R's coordinator does.
    let coord_u = Browser::sign_in(&app, "coord-u").await;
    assert!(
        picks(&coord_u, "/pick/people?q=%E5%BC%A0%E6%9F%90")
            .await
            .is_empty()
    );
    let mine = picks(&coord_u, "/pick/people").await;
    assert_eq!(labels(&mine), vec!["六医生 · 主任医师 · 包头市第六医院"]);
    let coord_r = Browser::sign_in(&app, "coord-r").await;
    assert_eq!(
        picks(&coord_r, "/pick/people?q=%E6%9F%907777").await.len(),
        1
    );

    // Without a session: 401, nothing listed.
    let anonymous = Browser::anonymous(&app);
    let (status, _) = anonymous.get("/pick/people?q=a").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn pickers_offer_hospitals_where_a_hospital_is_meant() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let admin = Browser::sign_in(&app, "admin").await;
    let hospitals = labels(&picks(&admin, "/pick/institutions?kind=hospital").await);
    assert!(
        hospitals.iter().all(|l| !l.contains("卫生健康委员会")),
        "{hospitals:?}"
    );
    assert!(
        hospitals
            .iter()
            .any(|l| l.starts_with("包头市中心医院 · 医院"))
    );
    let offices = labels(&picks(&admin, "/pick/institutions?kind=office").await);
    assert_eq!(offices.len(), 1, "{offices:?}");
    assert!(offices[0].starts_with("包头市卫生健康委员会"));
    // A program's institutions: its pairing's two sides and its office.
    let in_program = picks(
        &admin,
        &format!("/pick/institutions?program={}", w.program_a),
    )
    .await;
    assert_eq!(in_program.len(), 3, "{in_program:?}");
    // Departments carry their specialty for the people picker that follows them.
    let departments = picks(
        &admin,
        &format!("/pick/departments?institution={}", w.recipient),
    )
    .await;
    assert_eq!(departments.len(), 1);
    assert_eq!(departments[0]["specialty"], "03.04");
    assert!(
        departments[0]["label"]
            .as_str()
            .expect("label")
            .starts_with("心血管内科")
    );
}
