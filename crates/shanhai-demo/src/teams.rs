//! Demo teams and the records the articles quote below a program:
//!
//! | program | what the article says | what is generated |
//! |---|---|---|
//! | 沪蒙 | 张志愿院士带领上海九院口腔颌面外科团队……院士团队已累计在包开展工作7次……门诊接诊患者110余人次 | the team 张志愿院士团队 (上海九院 → 国药一机医院): the 上海九院 experts dispatched to 国药一机医院, led by the academician; 7 visits 2024-08 – 2025-10 (their workload reports: `workload.rs`) |
//! | 沪蒙 | 上海市儿童医院选派10余名专家定期赴包出诊，累计为161名患儿……提供诊疗服务 | 12 clinic sessions of that pairing's experts at 包头市第四医院 by 2025-10-23 with 161 patients checked in (its 14 experts: `dispatch.rs`) |

use chrono::{Datelike, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shanhai_domain::bookings::{BookingLimits, BookingRequest, check_char};
use shanhai_domain::clinic_sessions::ClinicSessionInput;
use shanhai_domain::teams::{TeamInput, TeamMemberInput, TeamVisitInput};
use shanhai_store::audit::Actor;
use shanhai_store::crypto::PatientCipher;
use shanhai_store::query::{self, text};
use shanhai_store::{Result, StoreError, bookings, clinic_sessions, teams};
use sqlx::AnyConnection;
use std::collections::HashMap;

/// What the teams demo needs from the loaded registry.
pub struct Registry<'a> {
    pub programs: &'a HashMap<String, String>,
    pub institutions: &'a HashMap<String, String>,
}

/// What was written.
pub struct Summary {
    pub sessions: usize,
    pub bookings: usize,
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

fn key<'a>(map: &'a HashMap<String, String>, k: &str) -> Result<&'a String> {
    map.get(k)
        .ok_or_else(|| StoreError::Other(format!("demo teams: unknown {k}")))
}

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("demo {what}: {e}"))
}

/// The 院士团队's seven visits to 国药一机医院 (the sixth around the operation of 25 June 2025).
const VISITS: &[(&str, &str, &str)] = &[
    ("2024-08-20", "2024-08-22", "首次来包：门诊与疑难病例会诊"),
    ("2024-11-12", "2024-11-14", "口腔颌面外科门诊与手术指导"),
    ("2025-01-14", "2025-01-16", "门诊、查房与手术示教"),
    ("2025-03-25", "2025-03-27", "门诊与颌面肿瘤手术"),
    ("2025-05-20", "2025-05-22", "门诊与学科建设指导"),
    ("2025-06-24", "2025-06-26", "高难度肿瘤切除手术"),
    ("2025-10-14", "2025-10-16", "门诊、手术与带教"),
];

const HU_MENG_PATIENTS: i64 = 161;
const HU_MENG_SESSIONS: i64 = 12;

pub async fn load(
    conn: &mut AnyConnection,
    actor: &Actor,
    cipher: &PatientCipher,
    reg: &Registry<'_>,
) -> Result<Summary> {
    let program = key(reg.programs, "hu-meng")?.clone();
    let ninth = key(reg.institutions, "sh-ninth")?.clone();
    let yiji = key(reg.institutions, "bt-yiji")?.clone();
    // The 上海九院 experts dispatched to 国药一机医院 under 沪蒙, first dispatched first.
    let rows = query::sql_with(
        "SELECT a.person_id AS id, MIN(a.start_date) AS first, MAX(p.honours) AS honours, \
         MAX(p.title) AS title FROM assignments a JOIN batches b ON b.id = a.batch_id \
         JOIN people p ON p.id = a.person_id \
         WHERE b.program_id = $1 AND a.institution_id = $2 AND p.institution_id = $3 \
         GROUP BY a.person_id ORDER BY 2, 1"
            .into(),
        vec![
            program.clone().into(),
            yiji.clone().into(),
            ninth.clone().into(),
        ],
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut members = Vec::new();
    for r in &rows {
        members.push((text(r, "id")?, text(r, "honours")?, text(r, "title")?));
    }
    if members.is_empty() {
        return Err(StoreError::Other(
            "demo teams: no 上海九院 experts at 国药一机医院".into(),
        ));
    }
    // The academician among them leads; without one, the most senior is made the academician.
    let leader = members
        .iter()
        .position(|(_, h, _)| h.contains("院士"))
        .or_else(|| members.iter().position(|(_, _, t)| t == "chief-physician"))
        .unwrap_or(0);
    let leader_id = members[leader].0.clone();
    query::sql_with(
        "UPDATE people SET name = $1, title = $2, honours = $3 WHERE id = $4".into(),
        vec![
            "张志愿".into(),
            "chief-physician".into(),
            r#"["中国工程院院士"]"#.into(),
            leader_id.clone().into(),
        ],
    )
    .execute(&mut *conn)
    .await?;
    let formed = "2024-08-01";
    let team = teams::create_on(
        conn,
        actor,
        &TeamInput {
            program_id: Some(program.clone()),
            name: "张志愿院士团队".into(),
            kind: "academician".into(),
            home_institution_id: ninth.clone(),
            host_institution_id: Some(yiji.clone()),
            leader_id: leader_id.clone(),
            formed_on: formed.into(),
            note: Some("上海九院口腔颌面外科团队，“一对一”专科协作国药一机医院".into()),
        }
        .parse()
        .map_err(|e| bad("team", e))?,
    )
    .await?;
    for (id, _, _) in members.iter().filter(|(id, _, _)| *id != leader_id) {
        let new = TeamMemberInput {
            person_id: id.clone(),
            role: None,
            joined_on: formed.into(),
            left_on: None,
        }
        .parse()
        .map_err(|e| bad("team member", e))?;
        teams::add_member_on(conn, actor, &team.id, &new).await?;
    }
    for (start, end, note) in VISITS {
        let new = TeamVisitInput {
            institution_id: None,
            start_date: (*start).into(),
            end_date: (*end).into(),
            note: Some((*note).into()),
        }
        .parse()
        .map_err(|e| bad("team visit", e))?;
        teams::add_visit_on(conn, actor, &team.id, &new).await?;
    }
    let (sessions, booked) = childrens_clinics(conn, actor, cipher, reg, &program).await?;
    tracing::info!(teams = 1, sessions, booked, "demo teams");
    Ok(Summary {
        sessions,
        bookings: booked,
    })
}

/// 上海市儿童医院's experts' clinics at 包头市第四医院 by the article's date: 161 children seen
/// over 12 sessions of their assignments. Written as a clinic is lived: the session is opened,
/// booked and checked in, then dated on the day it was held.
async fn childrens_clinics(
    conn: &mut AnyConnection,
    actor: &Actor,
    cipher: &PatientCipher,
    reg: &Registry<'_>,
    program: &str,
) -> Result<(usize, usize)> {
    let childrens = key(reg.institutions, "sh-childrens")?;
    let fourth = key(reg.institutions, "bt-fourth")?;
    let as_of = crate::as_of("hu-meng");
    let rows = query::sql_with(
        "SELECT a.id, a.person_id, a.department_id, a.start_date, a.end_date FROM assignments a \
         JOIN batches b ON b.id = a.batch_id JOIN people p ON p.id = a.person_id \
         WHERE b.program_id = $1 AND a.institution_id = $2 AND p.institution_id = $3 \
         AND a.start_date <= $4 ORDER BY a.start_date, a.id"
            .into(),
        vec![
            program.into(),
            fourth.clone().into(),
            childrens.clone().into(),
            as_of.to_string().into(),
        ],
    )
    .fetch_all(&mut *conn)
    .await?;
    if rows.is_empty() {
        return Err(StoreError::Other(
            "demo teams: no 上海市儿童医院 experts at 包头市第四医院".into(),
        ));
    }
    let mut rng = StdRng::seed_from_u64(20_251_023);
    let public = Actor {
        user_id: None,
        name: "public".into(),
        ip: None,
    };
    let later = shanhai_store::today() + chrono::Duration::days(60);
    let mut booked = 0usize;
    let per = HU_MENG_PATIENTS / HU_MENG_SESSIONS;
    for k in 0..HU_MENG_SESSIONS {
        let r = &rows[k as usize % rows.len()];
        let (start, end) = (d(&text(r, "start_date")?), d(&text(r, "end_date")?));
        let last = end.min(as_of);
        let span = (last - start).num_days().max(0);
        let mut held = start + chrono::Duration::days(span * (k / rows.len() as i64 + 1) / 4);
        if held.weekday().number_from_monday() > 5 {
            held -= chrono::Duration::days(2);
        }
        let held = held.max(start).min(last);
        let patients = if k == HU_MENG_SESSIONS - 1 {
            HU_MENG_PATIENTS - per * (HU_MENG_SESSIONS - 1)
        } else {
            per
        };
        let new = ClinicSessionInput {
            expert_id: text(r, "person_id")?,
            institution_id: fourth.clone(),
            department_id: query::opt_text(r, "department_id")?,
            assignment_id: Some(text(r, "id")?),
            date: (later + chrono::Duration::days(k)).to_string(),
            start: "08:30".into(),
            end: "11:30".into(),
            capacity: 25,
            slot_minutes: None,
            visit_type: None,
            note: Some("上海市儿童医院专家门诊".into()),
        }
        .parse()
        .map_err(|e| bad("session", e))?;
        let session = clinic_sessions::create_on(conn, actor, &new).await?;
        for _ in 0..patients {
            let request = BookingRequest {
                name: format!(
                    "{}{}",
                    ["王", "李", "张", "刘", "陈", "杨", "赵", "高"][rng.gen_range(0..8)],
                    [
                        "小宇", "欣怡", "子涵", "浩然", "梓萱", "一诺", "俊熙", "雨桐"
                    ][rng.gen_range(0..8)]
                ),
                phone: format!(
                    "1{}{:09}",
                    rng.gen_range(3..=9),
                    rng.gen_range(0..1_000_000_000u64)
                ),
                id_number: child_id(&mut rng),
                waitlist: false,
            };
            let b = request.parse().map_err(|e| bad("booking", e))?;
            bookings::book_on(
                conn,
                cipher,
                &public,
                &session.id,
                &b,
                &BookingLimits::DEFAULT,
            )
            .await?;
            booked += 1;
        }
        query::sql_with(
            "UPDATE bookings SET status = 'checked-in' WHERE session_id = $1".into(),
            vec![session.id.clone().into()],
        )
        .execute(&mut *conn)
        .await?;
        query::sql_with(
            "UPDATE clinic_sessions SET date = $1 WHERE id = $2".into(),
            vec![held.to_string().into(), session.id.clone().into()],
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok((HU_MENG_SESSIONS as usize, booked))
}

/// A valid synthetic resident ID number of a child from 包头 (150200).
fn child_id(rng: &mut StdRng) -> String {
    let birth = NaiveDate::from_ymd_opt(
        rng.gen_range(2010..2024),
        rng.gen_range(1..=12),
        rng.gen_range(1..=28),
    )
    .unwrap_or_default();
    let body = format!(
        "150203{}{:03}",
        birth.format("%Y%m%d"),
        rng.gen_range(0..1000)
    );
    let check = check_char(&body).unwrap_or('0');
    format!("{body}{check}")
}
