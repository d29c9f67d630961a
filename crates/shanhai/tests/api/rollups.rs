//! Roll-ups equal recounts: random inserts, updates (moving records between programs,
//! institutions, dates and types, and moving batches between programs) and deletes on the source
//! tables, then `verify` finds nothing and every total, series and breakdown read from the
//! roll-ups equals the same figure counted by scanning the records. On the demo data, each
//! program's roll-up totals equal the indicator catalogue's list counts, and `shanhai verify`
//! exits 0 — and 1 once a roll-up row is tampered with.

use crate::helpers::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::StatusCode;
use serde_json::json;
use shanhai_store::Db;
use shanhai_store::rollups::{self, By, Grain, Scope};
use tokio::sync::Mutex;

/// The fixed registry the operations pick from.
struct Fixture {
    programs: Vec<String>,
    institutions: Vec<String>,
    people: Vec<String>,
    batches: Vec<String>,
    user: String,
    pairing: String,
}

/// What the operations have created so far (ids per table).
#[derive(Default)]
struct Live {
    consultations: Vec<String>,
    referrals: Vec<String>,
    teaching: Vec<String>,
    funding: Vec<String>,
    assignments: Vec<String>,
    service_days: Vec<(String, String)>,
    workload: Vec<(String, String)>,
    techniques: Vec<String>,
    seq: u64,
}

#[derive(Debug, Clone)]
enum Op {
    Consultation {
        program: usize,
        inst: usize,
        target: usize,
        day: u32,
        kind: usize,
    },
    MoveConsultation {
        pick: usize,
        program: usize,
        inst: usize,
        day: u32,
        kind: usize,
    },
    DeleteConsultation {
        pick: usize,
    },
    Referral {
        program: usize,
        from: usize,
        to: usize,
        day: u32,
        up: bool,
        leaves: bool,
    },
    MoveReferral {
        pick: usize,
        program: usize,
        from: usize,
        day: u32,
        up: bool,
    },
    DeleteReferral {
        pick: usize,
    },
    Teaching {
        program: usize,
        inst: usize,
        day: u32,
        attendance: i64,
    },
    MoveTeaching {
        pick: usize,
        program: usize,
        inst: usize,
        day: u32,
        attendance: i64,
    },
    DeleteTeaching {
        pick: usize,
    },
    Funding {
        program: usize,
        inst: usize,
        day: u32,
        fen: i64,
    },
    MoveFunding {
        pick: usize,
        program: usize,
        day: u32,
        fen: i64,
    },
    DeleteFunding {
        pick: usize,
    },
    Assignment {
        batch: usize,
        person: usize,
        inst: usize,
        day: u32,
    },
    MoveAssignment {
        pick: usize,
        batch: usize,
        person: usize,
        inst: usize,
        day: u32,
    },
    DeleteAssignment {
        pick: usize,
    },
    ServiceDay {
        pick: usize,
        day: u32,
    },
    DeleteServiceDay {
        pick: usize,
    },
    Workload {
        pick: usize,
        day: u32,
        counts: (i64, i64, i64),
    },
    MoveWorkload {
        pick: usize,
        day: u32,
        outpatients: i64,
    },
    DeleteWorkload {
        pick: usize,
    },
    Technique {
        program: usize,
        inst: usize,
        day: u32,
        gap: usize,
        grade: i64,
        paired: bool,
    },
    MoveTechnique {
        pick: usize,
        program: usize,
        day: u32,
        gap: usize,
        grade: i64,
    },
    DeleteTechnique {
        pick: usize,
    },
    MoveBatch {
        batch: usize,
        program: usize,
        paired: bool,
    },
    /// An institution's region changes (another province or another county): its records'
    /// contributions move with it.
    MoveInstitution {
        inst: usize,
        region: usize,
    },
}

/// The regions an institution may move between (all in the fixture's tree).
const INSTITUTION_REGIONS: [&str; 3] = ["150203", "310101", "150200"];

const DAYS: u32 = 800;

fn op() -> impl Strategy<Value = Op> {
    let p = 0..3usize; // 2 = no program (capacity records may have none)
    let i = 0..4usize;
    let d = 0..DAYS;
    let k = any::<usize>();
    prop_oneof![
        3 => (p.clone(), i.clone(), i.clone(), d.clone(), 0..3usize).prop_map(|(program, inst, target, day, kind)| Op::Consultation { program, inst, target, day, kind }),
        2 => (k, p.clone(), i.clone(), d.clone(), 0..3usize).prop_map(|(pick, program, inst, day, kind)| Op::MoveConsultation { pick, program, inst, day, kind }),
        1 => k.prop_map(|pick| Op::DeleteConsultation { pick }),
        3 => (p.clone(), i.clone(), i.clone(), d.clone(), any::<bool>(), any::<bool>()).prop_map(|(program, from, to, day, up, leaves)| Op::Referral { program, from, to, day, up, leaves }),
        2 => (k, p.clone(), i.clone(), d.clone(), any::<bool>()).prop_map(|(pick, program, from, day, up)| Op::MoveReferral { pick, program, from, day, up }),
        1 => k.prop_map(|pick| Op::DeleteReferral { pick }),
        2 => (p.clone(), i.clone(), d.clone(), 0..200i64).prop_map(|(program, inst, day, attendance)| Op::Teaching { program, inst, day, attendance }),
        2 => (k, p.clone(), i.clone(), d.clone(), 0..200i64).prop_map(|(pick, program, inst, day, attendance)| Op::MoveTeaching { pick, program, inst, day, attendance }),
        1 => k.prop_map(|pick| Op::DeleteTeaching { pick }),
        1 => (p.clone(), i.clone(), d.clone(), 1..10_000_000i64).prop_map(|(program, inst, day, fen)| Op::Funding { program, inst, day, fen }),
        1 => (k, p.clone(), d.clone(), 1..10_000_000i64).prop_map(|(pick, program, day, fen)| Op::MoveFunding { pick, program, day, fen }),
        1 => k.prop_map(|pick| Op::DeleteFunding { pick }),
        3 => (0..3usize, 0..3usize, i.clone(), d.clone()).prop_map(|(batch, person, inst, day)| Op::Assignment { batch, person, inst, day }),
        2 => (k, 0..3usize, 0..3usize, i.clone(), d.clone()).prop_map(|(pick, batch, person, inst, day)| Op::MoveAssignment { pick, batch, person, inst, day }),
        1 => k.prop_map(|pick| Op::DeleteAssignment { pick }),
        2 => (k, d.clone()).prop_map(|(pick, day)| Op::ServiceDay { pick, day }),
        1 => k.prop_map(|pick| Op::DeleteServiceDay { pick }),
        2 => (k, d.clone(), (0..500i64, 0..100i64, 0..40i64)).prop_map(|(pick, day, counts)| Op::Workload { pick, day, counts }),
        1 => (k, d.clone(), 0..500i64).prop_map(|(pick, day, outpatients)| Op::MoveWorkload { pick, day, outpatients }),
        1 => k.prop_map(|pick| Op::DeleteWorkload { pick }),
        2 => (p.clone(), i.clone(), d.clone(), 0..5usize, 1..5i64, any::<bool>()).prop_map(|(program, inst, day, gap, grade, paired)| Op::Technique { program, inst, day, gap, grade, paired }),
        1 => (k, p.clone(), d.clone(), 0..5usize, 1..5i64).prop_map(|(pick, program, day, gap, grade)| Op::MoveTechnique { pick, program, day, gap, grade }),
        1 => k.prop_map(|pick| Op::DeleteTechnique { pick }),
        1 => (0..3usize, 0..2usize, any::<bool>()).prop_map(|(batch, program, paired)| Op::MoveBatch { batch, program, paired }),
        1 => (i.clone(), 0..INSTITUTION_REGIONS.len()).prop_map(|(inst, region)| Op::MoveInstitution { inst, region }),
    ]
}

/// A dashboard question: who, when, which indicator and which shape.
#[derive(Debug, Clone)]
struct Ask {
    program: usize,
    institution: usize,
    region: usize,
    pairing: bool,
    from: Option<u32>,
    until: u32,
    indicator: usize,
}

fn ask() -> impl Strategy<Value = Ask> {
    (
        0..3usize,
        0..6usize,
        0..5usize,
        prop::bool::weighted(0.15),
        prop::option::of(0..DAYS + 60),
        0..DAYS + 60,
        any::<usize>(),
    )
        .prop_map(
            |(program, institution, region, pairing, from, until, indicator)| Ask {
                program,
                institution,
                region,
                pairing,
                from,
                until,
                indicator,
            },
        )
}

fn date(day: u32) -> String {
    let start = chrono::NaiveDate::from_ymd_opt(2023, 11, 1).expect("date");
    (start + chrono::Duration::days(i64::from(day))).to_string()
}

fn id(live: &mut Live) -> String {
    live.seq += 1;
    uuid::Uuid::now_v7().to_string()
}

fn pick(list: &[String], k: usize) -> Option<String> {
    (!list.is_empty()).then(|| list[k % list.len()].clone())
}

async fn exec(db: &Db, sql: &str, args: Vec<Option<String>>) {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
    for a in args {
        q = q.bind(a);
    }
    q.execute(db.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn s(v: impl ToString) -> Option<String> {
    Some(v.to_string())
}

const KINDS: [&str; 3] = ["general", "mdt", "difficult-case"];
const GAPS: [Option<&str>; 5] = [
    None,
    Some("hospital"),
    Some("county"),
    Some("city"),
    Some("province"),
];

async fn apply(db: &Db, f: &Fixture, live: &mut Live, op: &Op) {
    let program = |p: usize| f.programs.get(p).cloned();
    let inst = |i: usize| f.institutions[i].clone();
    let now = shanhai_store::now();
    match op.clone() {
        Op::Consultation {
            program: p,
            inst: i,
            target,
            day,
            kind,
        } => {
            let cid = id(live);
            exec(db, "INSERT INTO consultations (id, type, urgency, state, requesting_institution_id, requester_user_id, \
                requester_name, target_institution_id, patient_name_enc, patient_name_masked, patient_sex, patient_age, \
                case_summary, question, requested_at, created_at, updated_at, program_id) \
                VALUES ($1, $2, 'routine', 'requested', $3, $4, '医生', $5, 'x', '张*', 'female', 40, '病例', '问题', $6, $7, $7, $8)",
                vec![s(&cid), s(KINDS[kind]), s(inst(i)), s(&f.user), s(inst(target)), s(format!("{}T03:04:05.000Z", date(day))), s(&now), program(p % 2)]).await;
            live.consultations.push(cid);
        }
        Op::MoveConsultation {
            pick: k,
            program: p,
            inst: i,
            day,
            kind,
        } => {
            if let Some(c) = pick(&live.consultations, k) {
                exec(db, "UPDATE consultations SET program_id = $1, requesting_institution_id = $2, requested_at = $3, type = $4, state = 'accepted' WHERE id = $5",
                    vec![program(p % 2), s(inst(i)), s(format!("{}T23:59:59.000Z", date(day))), s(KINDS[kind]), s(c)]).await;
            }
        }
        Op::DeleteConsultation { pick: k } => {
            if let Some(c) = pick(&live.consultations, k) {
                exec(db, "DELETE FROM consultations WHERE id = $1", vec![s(&c)]).await;
                live.consultations.retain(|x| *x != c);
            }
        }
        Op::Referral {
            program: p,
            from,
            to,
            day,
            up,
            leaves,
        } => {
            let rid = id(live);
            exec(db, "INSERT INTO referrals (id, direction, urgency, state, from_institution_id, sender_user_id, sender_name, \
                to_institution_id, patient_name_enc, patient_name_masked, patient_sex, patient_age, reason, leaves_region, \
                created_at, updated_at, program_id) \
                VALUES ($1, $2, 'routine', 'sent', $3, $4, '医生', $5, 'x', '张*', 'male', 50, '原因', CAST($6 AS BIGINT), $7, $7, $8)",
                vec![s(&rid), s(if up { "up" } else { "down" }), s(inst(from)), s(&f.user), s(inst(to)), s(i64::from(leaves)),
                     s(format!("{}T12:00:00.000Z", date(day))), program(p % 2)]).await;
            live.referrals.push(rid);
        }
        Op::MoveReferral {
            pick: k,
            program: p,
            from,
            day,
            up,
        } => {
            if let Some(r) = pick(&live.referrals, k) {
                exec(db, "UPDATE referrals SET program_id = $1, from_institution_id = $2, created_at = $3, direction = $4, leaves_region = 1 - leaves_region WHERE id = $5",
                    vec![program(p % 2), s(inst(from)), s(format!("{}T00:00:00.000Z", date(day))), s(if up { "up" } else { "down" }), s(r)]).await;
            }
        }
        Op::DeleteReferral { pick: k } => {
            if let Some(r) = pick(&live.referrals, k) {
                exec(db, "DELETE FROM referrals WHERE id = $1", vec![s(&r)]).await;
                live.referrals.retain(|x| *x != r);
            }
        }
        Op::Teaching {
            program: p,
            inst: i,
            day,
            attendance,
        } => {
            let tid = id(live);
            exec(db, "INSERT INTO teaching_activities (id, program_id, institution_id, kind, held_on, online, topic, \
                duration_minutes, attendance, attendee_ids, created_at, updated_at) \
                VALUES ($1, $2, $3, 'lecture', $4, 0, '讲座', 60, CAST($5 AS INTEGER), '[]', $6, $6)",
                vec![s(&tid), program(p), s(inst(i)), s(date(day)), s(attendance), s(&now)]).await;
            live.teaching.push(tid);
        }
        Op::MoveTeaching {
            pick: k,
            program: p,
            inst: i,
            day,
            attendance,
        } => {
            if let Some(t) = pick(&live.teaching, k) {
                exec(db, "UPDATE teaching_activities SET program_id = $1, institution_id = $2, held_on = $3, attendance = CAST($4 AS INTEGER) WHERE id = $5",
                    vec![program(p), s(inst(i)), s(date(day)), s(attendance), s(t)]).await;
            }
        }
        Op::DeleteTeaching { pick: k } => {
            if let Some(t) = pick(&live.teaching, k) {
                exec(
                    db,
                    "DELETE FROM teaching_activities WHERE id = $1",
                    vec![s(&t)],
                )
                .await;
                live.teaching.retain(|x| *x != t);
            }
        }
        Op::Funding {
            program: p,
            inst: i,
            day,
            fen,
        } => {
            let fid = id(live);
            exec(db, "INSERT INTO funding_items (id, program_id, institution_id, amount_fen, source, purpose, granted_on, created_at, updated_at) \
                VALUES ($1, $2, $3, CAST($4 AS BIGINT), '财政', '设备', $5, $6, $6)",
                vec![s(&fid), program(p), s(inst(i)), s(fen), s(date(day)), s(&now)]).await;
            live.funding.push(fid);
        }
        Op::MoveFunding {
            pick: k,
            program: p,
            day,
            fen,
        } => {
            if let Some(x) = pick(&live.funding, k) {
                exec(db, "UPDATE funding_items SET program_id = $1, granted_on = $2, amount_fen = CAST($3 AS BIGINT) WHERE id = $4",
                    vec![program(p), s(date(day)), s(fen), s(x)]).await;
            }
        }
        Op::DeleteFunding { pick: k } => {
            if let Some(x) = pick(&live.funding, k) {
                exec(db, "DELETE FROM funding_items WHERE id = $1", vec![s(&x)]).await;
                live.funding.retain(|y| *y != x);
            }
        }
        Op::Assignment {
            batch,
            person,
            inst: i,
            day,
        } => {
            let aid = id(live);
            exec(db, "INSERT INTO assignments (id, batch_id, person_id, institution_id, mode, post, weekdays, start_date, end_date, created_at, updated_at) \
                VALUES ($1, $2, $3, $4, 'resident', 'member', '[]', $5, $6, $7, $7)",
                vec![s(&aid), s(&f.batches[batch]), s(&f.people[person]), s(inst(i)), s(date(day)), s(date(day + 90)), s(&now)]).await;
            live.assignments.push(aid);
        }
        Op::MoveAssignment {
            pick: k,
            batch,
            person,
            inst: i,
            day,
        } => {
            if let Some(a) = pick(&live.assignments, k) {
                exec(db, "UPDATE assignments SET batch_id = $1, person_id = $2, institution_id = $3, start_date = $4 WHERE id = $5",
                    vec![s(&f.batches[batch]), s(&f.people[person]), s(inst(i)), s(date(day)), s(a)]).await;
            }
        }
        Op::DeleteAssignment { pick: k } => {
            if let Some(a) = pick(&live.assignments, k) {
                exec(
                    db,
                    "DELETE FROM service_days WHERE assignment_id = $1",
                    vec![s(&a)],
                )
                .await;
                exec(
                    db,
                    "DELETE FROM workload_reports WHERE assignment_id = $1",
                    vec![s(&a)],
                )
                .await;
                live.workload.retain(|(x, _)| *x != a);
                exec(db, "DELETE FROM assignments WHERE id = $1", vec![s(&a)]).await;
                live.service_days.retain(|(x, _)| *x != a);
                live.assignments.retain(|x| *x != a);
            }
        }
        Op::ServiceDay { pick: k, day } => {
            if let Some(a) = pick(&live.assignments, k) {
                let sid = id(live);
                exec(db, "INSERT INTO service_days (id, assignment_id, day, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
                    ON CONFLICT (assignment_id, day) DO NOTHING",
                    vec![s(&sid), s(&a), s(date(day)), s(&now)]).await;
                live.service_days.push((a, sid));
            }
        }
        Op::DeleteServiceDay { pick: k } => {
            if !live.service_days.is_empty() {
                let (_, sid) = live.service_days.remove(k % live.service_days.len());
                exec(db, "DELETE FROM service_days WHERE id = $1", vec![s(&sid)]).await;
            }
        }
        Op::Workload {
            pick: k,
            day,
            counts: (outpatients, admissions, operations),
        } => {
            if let Some(a) = pick(&live.assignments, k) {
                let wid = id(live);
                exec(db, "INSERT INTO workload_reports (id, assignment_id, period_start, period_end, outpatients, admissions, \
                    operations, created_at, updated_at) VALUES ($1, $2, $3, $3, CAST($4 AS INTEGER), CAST($5 AS INTEGER), \
                    CAST($6 AS INTEGER), $7, $7) ON CONFLICT (assignment_id, period_start) DO NOTHING",
                    vec![s(&wid), s(&a), s(date(day)), s(outpatients), s(admissions), s(operations), s(&now)]).await;
                live.workload.push((a, wid));
            }
        }
        Op::MoveWorkload {
            pick: k,
            day,
            outpatients,
        } => {
            if !live.workload.is_empty() {
                let (_, wid) = live.workload[k % live.workload.len()].clone();
                // A later period end (the start stays, so the key stays unique).
                exec(db, "UPDATE workload_reports SET period_end = $1, outpatients = CAST($2 AS INTEGER) \
                    WHERE id = $3 AND period_start <= $1",
                    vec![s(date(day)), s(outpatients), s(&wid)]).await;
            }
        }
        Op::DeleteWorkload { pick: k } => {
            if !live.workload.is_empty() {
                let (_, wid) = live.workload.remove(k % live.workload.len());
                exec(
                    db,
                    "DELETE FROM workload_reports WHERE id = $1",
                    vec![s(&wid)],
                )
                .await;
            }
        }
        Op::Technique {
            program: p,
            inst: i,
            day,
            gap,
            grade,
            paired,
        } => {
            let tid = id(live);
            exec(db, "INSERT INTO techniques (id, program_id, institution_id, name, name_key, specialty_code, surgical_grade, \
                gap_level, pairing_id, stage, introduced_on, created_at, updated_at) \
                VALUES ($1, $2, $3, '技术', $1, '03', CAST($4 AS INTEGER), $5, $6, 'introduced', $7, $8, $8)",
                vec![s(&tid), program(p), s(inst(i)), s(grade), GAPS[gap].map(str::to_string),
                     paired.then(|| f.pairing.clone()), s(date(day)), s(&now)]).await;
            live.techniques.push(tid);
        }
        Op::MoveTechnique {
            pick: k,
            program: p,
            day,
            gap,
            grade,
        } => {
            if let Some(t) = pick(&live.techniques, k) {
                exec(db, "UPDATE techniques SET program_id = $1, introduced_on = $2, gap_level = $3, surgical_grade = CAST($4 AS INTEGER) WHERE id = $5",
                    vec![program(p), s(date(day)), GAPS[gap].map(str::to_string), s(grade), s(t)]).await;
            }
        }
        Op::DeleteTechnique { pick: k } => {
            if let Some(t) = pick(&live.techniques, k) {
                exec(db, "DELETE FROM techniques WHERE id = $1", vec![s(&t)]).await;
                live.techniques.retain(|x| *x != t);
            }
        }
        Op::MoveBatch {
            batch,
            program: p,
            paired,
        } => {
            // Batch numbers are unique per program: give the moved batch a fresh one.
            live.seq += 1;
            exec(db, "UPDATE batches SET program_id = $1, pairing_id = $2, number = CAST($3 AS INTEGER) WHERE id = $4",
                vec![program(p), paired.then(|| f.pairing.clone()), s(1000 + live.seq), s(&f.batches[batch])]).await;
        }
        Op::MoveInstitution { inst: i, region } => {
            exec(
                db,
                "UPDATE institutions SET region_code = $1 WHERE id = $2",
                vec![s(INSTITUTION_REGIONS[region]), s(inst(i))],
            )
            .await;
        }
    }
}

fn scope_of(f: &Fixture, a: &Ask) -> Scope {
    const REGIONS: [Option<&str>; 5] = [
        None,
        Some("150000"),
        Some("150200"),
        Some("310000"),
        Some("150203"),
    ];
    Scope {
        program: f.programs.get(a.program).cloned(),
        pairing: a.pairing.then(|| f.pairing.clone()),
        institution: f.institutions.get(a.institution).cloned(),
        region: REGIONS[a.region].map(str::to_string),
        from: a.from.map(date),
        until: date(a.until),
        ..Default::default()
    }
}

async fn check(db: &Db, f: &Fixture, asks: &[Ask]) -> Result<(), TestCaseError> {
    let mismatches = rollups::verify(db)
        .await
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(
        mismatches.is_empty(),
        "roll-ups differ from the recount: {mismatches:#?}"
    );
    for a in asks {
        let scope = scope_of(f, a);
        let fail = |e: shanhai_store::StoreError| TestCaseError::fail(format!("{scope:?}: {e}"));
        prop_assert_eq!(
            rollups::totals(db, &scope).await.map_err(fail)?,
            rollups::scan_totals(db, &scope).await.map_err(fail)?,
            "totals for {:?}",
            scope
        );
        let indicator = rollups::MEASURES[a.indicator % rollups::MEASURES.len()].indicator;
        for grain in [Grain::Month, Grain::Quarter, Grain::Year] {
            prop_assert_eq!(
                rollups::series(db, &scope, indicator, grain)
                    .await
                    .map_err(fail)?,
                rollups::scan_series(db, &scope, indicator, grain)
                    .await
                    .map_err(fail)?,
                "{} series {:?} for {:?}",
                indicator,
                grain,
                scope
            );
        }
        for by in [By::Program, By::Pairing, By::Institution, By::ChildRegion] {
            prop_assert_eq!(
                rollups::breakdown(db, &scope, indicator, by)
                    .await
                    .map_err(fail)?,
                rollups::scan_breakdown(db, &scope, indicator, by)
                    .await
                    .map_err(fail)?,
                "{} by {:?} for {:?}",
                indicator,
                by,
                scope
            );
        }
        let total = rollups::total(db, &scope, indicator).await.map_err(fail)?;
        prop_assert_eq!(
            total,
            rollups::recount(db, &scope, indicator)
                .await
                .map_err(fail)?
        );
    }
    Ok(())
}

async fn fixture(app: &TestApp) -> Fixture {
    let w = world(app).await;
    let user = {
        use sqlx::Row;
        sqlx::query("SELECT id FROM users ORDER BY username LIMIT 1")
            .fetch_one(app.db.pool())
            .await
            .expect("a user")
            .try_get::<String, _>("id")
            .expect("id")
    };
    let mut batches = Vec::new();
    for (n, program) in [&w.program_a, &w.program_a, &w.program_b]
        .iter()
        .enumerate()
    {
        let (s, b) = app
            .post(
                "/api/v1/batches",
                &w.admin,
                json!({"program_id": program, "number": n + 1, "start_date": "2023-01-01", "end_date": "2027-12-31",
                       "pairing_id": (n == 0).then(|| w.pairing.clone())}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        batches.push(b["id"].as_str().expect("id").to_string());
    }
    Fixture {
        programs: vec![w.program_a.clone(), w.program_b.clone()],
        institutions: vec![
            w.donor.clone(),
            w.recipient.clone(),
            w.unrelated.clone(),
            w.office_inst.clone(),
        ],
        people: vec![w.person_d.clone(), w.person_r.clone(), w.person_u.clone()],
        batches,
        user,
        pairing: w.pairing.clone(),
    }
}

/// Random histories of writes; after each, the roll-ups equal the recount and every read
/// equals the scan. The database carries over from case to case (and through shrinking), so
/// later cases start from a busy state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollups_equal_recounts_after_random_inserts_updates_and_deletes() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let live = Mutex::new(Live::default());
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases: 24,
        max_shrink_iters: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        prop::collection::vec(op(), 1..40),
        prop::collection::vec(ask(), 2..4),
    );
    let result = tokio::task::block_in_place(|| {
        runner.run(&strategy, |(ops, asks)| {
            handle.block_on(async {
                let mut live = live.lock().await;
                // Half the changes folded into the roll-ups, the rest still pending deltas
                // (the server's folder may fold any of them meanwhile, too).
                for (i, op) in ops.iter().enumerate() {
                    apply(&app.db, &f, &mut live, op).await;
                    if i == ops.len() / 2 {
                        rollups::fold(&app.db)
                            .await
                            .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    }
                }
                check(&app.db, &f, &asks).await
            })
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// On the demo data: `shanhai verify` passes, every program's roll-up totals equal the indicator
/// catalogue's counts (each from the list its `records_url` names), and a tampered roll-up row
/// makes `verify` fail. The demo takes a while to load, so this runs on SQLite only.
#[tokio::test]
async fn on_the_demo_data_rollups_equal_the_catalogue_and_verify_catches_tampering() {
    if std::env::var("SHANHAI_TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        return;
    }
    let app = spawn_app().await;
    let cipher = shanhai_store::crypto::PatientCipher::load(&app.data_dir).expect("patient key");
    shanhai_demo::load(&app.db, &cipher)
        .await
        .expect("demo loads");
    let verify = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_shanhai"))
            .args([
                "verify",
                "--lang",
                "en",
                "--database-url",
                &app.database_url,
            ])
            .arg("--data-dir")
            .arg(&app.data_dir)
            .output()
            .expect("run verify")
    };
    let out = verify();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("every roll-up equals the recount"),
        "{stdout}"
    );

    let (s, t) = app
        .post_anon(
            "/api/v1/auth/token",
            json!({"username": "admin", "password": shanhai_demo::DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let token = t["token"].as_str().expect("token").to_string();
    let (_, programs) = app.get("/api/v1/programs?per_page=50", &token).await;
    for program in programs["items"].as_array().expect("items") {
        let id = program["id"].as_str().expect("id");
        for until in ["2024-06-15", "2030-12-31"] {
            let (s, listed) = app
                .get(
                    &format!("/api/v1/programs/{id}/indicators?until={until}"),
                    &token,
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{listed}");
            let (s, rolled) = app
                .get(
                    &format!("/api/v1/rollups?program={id}&until={until}"),
                    &token,
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{rolled}");
            for item in listed.as_array().expect("list") {
                let code = item["code"].as_str().expect("code");
                let from_rollups = rolled["items"]
                    .as_array()
                    .expect("items")
                    .iter()
                    .find(|r| r["key"] == code)
                    .unwrap_or_else(|| panic!("{code} has no roll-up"));
                assert_eq!(
                    from_rollups["value"], item["value"],
                    "{code} of {} until {until}",
                    program["name"]
                );
            }
        }
    }

    // A tampered row of any level fails verify; `--repair --yes` rebuilds them all.
    let verify_with = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_shanhai"))
            .args([
                "verify",
                "--lang",
                "en",
                "--database-url",
                &app.database_url,
            ])
            .args(extra)
            .arg("--data-dir")
            .arg(&app.data_dir)
            .output()
            .expect("run verify")
    };
    for tamper in [
        "UPDATE rollups_yearly SET extra = extra + 1 WHERE rule = 'teaching-activities' \
         AND year = (SELECT MIN(year) FROM rollups_yearly WHERE rule = 'teaching-activities')",
        "UPDATE rollups SET value = value + 1 WHERE rule = 'consultations' \
         AND month = (SELECT MIN(month) FROM rollups WHERE rule = 'consultations')",
        "UPDATE rollups_program SET extra = extra + 1 WHERE rule = 'teaching-activities' \
         AND month = (SELECT MAX(month) FROM rollups_program WHERE rule = 'teaching-activities')",
        "UPDATE rollups_daily SET value = value - 1 WHERE rule = 'referrals' \
         AND day = (SELECT MAX(day) FROM rollups_daily WHERE rule = 'referrals')",
    ] {
        sqlx::query(tamper)
            .execute(app.db.pool())
            .await
            .expect("tamper");
        let out = verify();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert_eq!(out.status.code(), Some(1), "{stdout}");
        assert!(
            stdout.contains("consultations") && stdout.contains("teaching-activities"),
            "{stdout}"
        );
        let out = verify_with(&["--repair", "--yes"]);
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert_eq!(out.status.code(), Some(0), "{stdout}");
    }
}

/// The endpoint: totals, a series with every period, a region breakdown, and 422s naming the
/// field.
#[tokio::test]
async fn the_rollups_endpoint_answers_totals_series_and_breakdowns_and_names_bad_fields() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let token = app.token("admin").await;
    let mut live = Live::default();
    for (program, inst, day) in [(0, 1, 0), (0, 2, 40), (1, 0, 70), (0, 1, 75)] {
        apply(
            &app.db,
            &f,
            &mut live,
            &Op::Consultation {
                program,
                inst,
                target: 0,
                day,
                kind: 1,
            },
        )
        .await;
    }
    let (s, b) = app.get("/api/v1/rollups?until=2024-12-31", &token).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let consultations = b["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["key"] == "consultations")
        .expect("consultations");
    assert_eq!(consultations["value"], 4);
    let (s, b) = app
        .get(&format!("/api/v1/rollups?indicator=consultations-mdt&program={}&from=2023-11-01&until=2024-01-31&group=month", f.programs[0]), &token)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b["items"],
        json!([{"key": "2023-11", "value": 1}, {"key": "2023-12", "value": 1}, {"key": "2024-01", "value": 1}])
    );
    let (s, b) = app
        .get(
            "/api/v1/rollups?indicator=consultations&group=region&until=2024-12-31",
            &token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b["items"],
        json!([{"key": "150000", "value": 3}, {"key": "310000", "value": 1}])
    );
    let (s, b) = app
        .get(
            "/api/v1/rollups?indicator=consultations&group=region&region=150000&until=2024-12-31",
            &token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["items"], json!([{"key": "150200", "value": 3}]));
    for (query, field) in [
        ("indicator=nope", "indicator"),
        ("group=month", "indicator"),
        ("indicator=funding&group=week", "group"),
        ("region=12", "region"),
        ("program=x", "program"),
        ("until=2024-02-30", "until"),
        ("from=2024-03-01&until=2024-02-01", "until"),
    ] {
        let (s, b) = app.get(&format!("/api/v1/rollups?{query}"), &token).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {b}");
        assert_eq!(b["error"]["field"], field, "{query}: {b}");
    }
    let (s, _) = app.get("/api/v1/rollups", "no-token").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}
