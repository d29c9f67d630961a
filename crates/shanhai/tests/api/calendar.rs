//! Calendar feeds: an expert's schedule and a hospital's visiting-expert sessions as iCalendar
//! documents at secret URLs, read by an independent parser (Python's `icalendar`), revocable.

use crate::clinic_sessions::{id_number, phone, session};
use crate::consultations::{expert_account, request};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The events of an iCalendar document as `icalendar` reads them: uid, summary, status, and
/// start and end as ISO text with the start's TZID.
#[allow(clippy::expect_used)]
fn parse_ics(text: &str) -> Vec<Value> {
    const SCRIPT: &str = r#"
import json, sys
try:
    import icalendar
except ImportError:
    print("MISSING")
    sys.exit(3)
cal = icalendar.Calendar.from_ical(sys.stdin.read())
assert cal.get("VERSION") == "2.0", "VERSION"
events = []
for e in cal.walk("VEVENT"):
    start, end = e.get("DTSTART"), e.get("DTEND")
    events.append({
        "uid": str(e.get("UID")),
        "summary": str(e.get("SUMMARY")),
        "location": str(e.get("LOCATION", "")),
        "description": str(e.get("DESCRIPTION", "")),
        "status": str(e.get("STATUS", "")),
        "start": start.dt.isoformat(),
        "end": end.dt.isoformat(),
        "tzid": start.params.get("TZID", ""),
        "zone": str(getattr(start.dt, "tzinfo", "") or ""),
    })
print(json.dumps(events))
"#;
    let parsed = python_json(SCRIPT, text, "python3 -m pip install icalendar==6.1.0");
    parsed.as_array().expect("events").clone()
}

fn day(offset: i64) -> String {
    (shanhai_store::today() + chrono::Duration::days(offset)).to_string()
}

/// GET without any account: status, content type, body.
#[allow(clippy::expect_used)]
async fn fetch(app: &TestApp, url: &str) -> (StatusCode, String, String) {
    let r = app.client.get(url).send().await.expect("send");
    let status = r.status();
    let kind = r
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, kind, r.text().await.unwrap_or_default())
}

#[allow(clippy::expect_used)]
fn event<'a>(events: &'a [Value], uid: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["uid"] == uid)
        .unwrap_or_else(|| panic!("{uid} in {events:#?}"))
}

#[tokio::test]
#[allow(clippy::expect_used)]
async fn an_expert_subscribes_to_their_schedule_and_revoking_the_feed_makes_it_404() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let expert = expert_account(&app, &w).await;

    // An assignment around today, two clinic sessions (one cancelled, one booked by a patient)
    // and a scheduled consultation.
    let (s, b) = app
        .post(
            "/api/v1/batches",
            &w.admin,
            json!({"program_id": w.program_a, "pairing_id": w.pairing, "number": 7,
                   "start_date": day(-30), "end_date": day(60)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, assignment) = app
        .post(
            "/api/v1/assignments",
            &w.admin,
            json!({"batch_id": b["id"], "person_id": w.person_d, "institution_id": w.recipient,
                   "department_id": w.department_r, "mode": "stationed", "post": "team-member",
                   "weekdays": [], "start_date": day(-10), "end_date": day(20)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{assignment}");
    let held = session(&app, &w, 5, &day(1)).await;
    let cancelled = session(&app, &w, 5, &day(2)).await;
    let (s, b) = app
        .post(
            &format!("/api/v1/clinic-sessions/{cancelled}/cancel"),
            &w.admin,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = app
        .post_anon(
            &format!("/api/v1/public/sessions/{held}/bookings"),
            json!({"name": "张三丰", "phone": phone(7), "id_number": id_number(7)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let clinician = app.token("clinician-r").await;
    let consultation = request(&app, &w, &clinician).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    for (action, body) in [
        ("accept", json!({})),
        (
            "schedule",
            json!({"scheduled_at": format!("{}T09:00", day(3))}),
        ),
    ] {
        let (s, b) = app
            .post(
                &format!("/api/v1/consultations/{consultation}/{action}"),
                &expert,
                body,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{action}: {b}");
    }

    let (s, created) = app
        .post("/api/v1/calendar-feeds", &expert, json!({"kind": "expert"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let url = created["url"].as_str().expect("url").to_string();
    let token = created["token"].as_str().expect("token");
    assert!(url.ends_with(&format!("/calendar/{token}.ics")), "{url}");
    assert!(
        created["webcal_url"]
            .as_str()
            .expect("webcal")
            .starts_with("webcal://")
    );
    assert_eq!(created["feed"]["kind"], "expert");

    // No account, no cookie: the token is the key.
    let (s, kind, ics) = fetch(&app, &url).await;
    assert_eq!(s, StatusCode::OK, "{ics}");
    assert_eq!(kind, "text/calendar; charset=utf-8");
    assert!(
        ics.contains("\r\nX-WR-CALNAME:沈专家 出诊日程 · 山海\r\n"),
        "{ics}"
    );
    for secret in ["张三丰", "王小明", &phone(7), &id_number(7), &id_number(42)] {
        assert!(!ics.contains(secret), "{secret} leaked into the feed");
    }
    let events = parse_ics(&ics);
    assert_eq!(events.len(), 4, "{events:#?}");

    let a = event(
        &events,
        &format!(
            "assignment-{}@shanhai",
            assignment["id"].as_str().expect("id")
        ),
    );
    assert_eq!(a["start"], day(-10), "an all-day span from its first day");
    assert_eq!(a["end"], day(21), "DTEND is the day after the last");
    assert!(a["summary"].as_str().expect("s").contains("包头市中心医院"));

    let h = event(&events, &format!("clinic-session-{held}@shanhai"));
    assert_eq!(h["start"], format!("{}T08:30:00+08:00", day(1)));
    assert_eq!(h["end"], format!("{}T23:59:00+08:00", day(1)));
    assert_eq!(h["tzid"], "Asia/Shanghai");
    assert_eq!(h["status"], "CONFIRMED");
    assert!(h["location"].as_str().expect("l").contains("心血管内科"));
    assert!(
        h["description"].as_str().expect("d").contains("已预约：1"),
        "{h}"
    );
    let c = event(&events, &format!("clinic-session-{cancelled}@shanhai"));
    assert_eq!(c["status"], "CANCELLED");
    assert_eq!(c["start"], format!("{}T08:30:00+08:00", day(2)));

    let k = event(&events, &format!("consultation-{consultation}@shanhai"));
    assert_eq!(k["start"], format!("{}T09:00:00+08:00", day(3)));
    assert_eq!(k["end"], format!("{}T10:00:00+08:00", day(3)));
    assert!(k["summary"].as_str().expect("s").contains("包头市中心医院"));

    // The owner lists it; someone else may not revoke it; the owner does, and the URL is gone —
    // with the same answer as a token that never existed.
    let (s, list) = app.get("/api/v1/calendar-feeds", &expert).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let id = created["feed"]["id"].as_str().expect("id");
    app.post(
        "/api/v1/users",
        &w.admin,
        json!({"username": "dr-bao", "password": PASSWORD, "role": "expert", "institution_id": w.recipient, "person_id": w.person_r}),
    )
    .await;
    let other = app.token("dr-bao").await;
    let (s, b) = app
        .post(
            &format!("/api/v1/calendar-feeds/{id}/revoke"),
            &other,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(fetch(&app, &url).await.0, StatusCode::OK);
    let (s, b) = app
        .post(
            &format!("/api/v1/calendar-feeds/{id}/revoke"),
            &expert,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(b["revoked_at"].is_string(), "{b}");
    let (revoked, _, revoked_body) = fetch(&app, &url).await;
    assert_eq!(revoked, StatusCode::NOT_FOUND);
    let unknown = url.replace(token, &format!("shc_{}", "0".repeat(64)));
    let (never, _, never_body) = fetch(&app, &unknown).await;
    assert_eq!(never, StatusCode::NOT_FOUND);
    assert_eq!(revoked_body, never_body);

    // Creating and revoking are in the audit log, without the token.
    let (s, audit) = app
        .get("/api/v1/audit?entity=calendar_feed&per_page=10", &w.admin)
        .await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    assert_eq!(audit["total"], 2, "{audit}");
    assert!(!audit.to_string().contains(token));
}

#[tokio::test]
#[allow(clippy::expect_used)]
async fn a_coordinator_subscribes_to_their_hospitals_visiting_experts_and_not_to_another() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let s1 = session(&app, &w, 3, &day(1)).await;

    let coord = app.token("coord-r").await;
    let (s, created) = app
        .post(
            "/api/v1/calendar-feeds",
            &coord,
            json!({"kind": "institution"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    assert_eq!(created["feed"]["subject_id"], w.recipient.as_str());
    assert_eq!(created["feed"]["subject_name"], "包头市中心医院");
    let (s, _, ics) = fetch(&app, created["url"].as_str().expect("url")).await;
    assert_eq!(s, StatusCode::OK);
    let events = parse_ics(&ics);
    assert_eq!(events.len(), 1, "{events:#?}");
    let e = event(&events, &format!("clinic-session-{s1}@shanhai"));
    let summary = e["summary"].as_str().expect("summary");
    assert!(
        summary.contains("沈专家") && summary.contains("主任医师"),
        "{summary}"
    );
    assert_eq!(e["start"], format!("{}T08:30:00+08:00", day(1)));

    // Another hospital's coordinator may not subscribe to this one; nor may an expert account
    // with no registry person subscribe to a schedule; a bad kind is refused at its field.
    let other = app.token("coord-u").await;
    let (s, b) = app
        .post(
            "/api/v1/calendar-feeds",
            &other,
            json!({"kind": "institution", "institution_id": w.recipient}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let unlinked = app.token("expert-d").await;
    let (s, b) = app
        .post(
            "/api/v1/calendar-feeds",
            &unlinked,
            json!({"kind": "expert"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let (s, b) = app
        .post("/api/v1/calendar-feeds", &coord, json!({"kind": "weekly"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "kind", "{b}");

    // The admin may revoke anyone's feed.
    let id = created["feed"]["id"].as_str().expect("id");
    let (s, _) = app
        .post(
            &format!("/api/v1/calendar-feeds/{id}/revoke"),
            &w.admin,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = fetch(&app, created["url"].as_str().expect("url")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
#[allow(clippy::expect_used)]
async fn the_calendar_page_shows_a_new_feeds_address_once_and_revokes_it() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let page = Browser::sign_in(&app, "coord-r").await;

    let (s, html) = page.get("/calendar-feeds").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("data-testid=\"nav-calendar\""),
        "in the user's menu"
    );
    assert!(html.contains("data-testid=\"calendar-empty\""));
    assert!(html.contains("data-testid=\"calendar-new-institution\""));
    assert!(!html.contains("data-testid=\"calendar-new-expert\""));

    let (s, html) = page
        .post(
            "/calendar-feeds",
            &format!("kind=institution&institution_id={}", w.recipient),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let url = html
        .split("data-testid=\"calendar-url\"")
        .next()
        .and_then(|before| before.rsplit("value=\"").next())
        .and_then(|v| v.split('"').next())
        .expect("the address")
        .to_string();
    assert!(
        url.contains("/calendar/shc_") && url.ends_with(".ics"),
        "{url}"
    );
    assert!(html.contains("href=\"webcal://"), "{html}");
    assert!(html.contains("包头市中心医院外来专家出诊"));
    assert_eq!(fetch(&app, &url).await.0, StatusCode::OK);

    // Shown once: the list does not carry it again.
    let (_, html) = page.get("/calendar-feeds").await;
    assert!(!html.contains("shc_"), "the address is shown only once");
    assert!(html.contains("包头市中心医院外来专家出诊"));
    let (_, list) = app
        .get("/api/v1/calendar-feeds", &app.token("coord-r").await)
        .await;
    let id = list[0]["id"].as_str().expect("id");
    assert!(html.contains(&format!("/calendar-feeds/{id}/revoke")));

    let (s, _) = page.post(&format!("/calendar-feeds/{id}/revoke"), "").await;
    assert!(s.is_success() || s.is_redirection(), "{s}");
    assert_eq!(fetch(&app, &url).await.0, StatusCode::NOT_FOUND);
    let (_, html) = page.get("/calendar-feeds").await;
    assert!(html.contains("已吊销"));

    // An expert linked to a person sees their own schedule's form; English is there too.
    expert_account(&app, &w).await;
    let expert = Browser::sign_in(&app, "dr-shen").await;
    let (_, html) = expert.get("/calendar-feeds?lang=en").await;
    assert!(html.contains("data-testid=\"calendar-new-expert\""));
    assert!(html.contains("Calendar feeds"));
}
