//! Visiting-expert clinic sessions (出诊排班).

use crate::audit::Actor;
use crate::query::{self, Filter, Page, PageRequest, fetch_page, int};
use crate::record::{self, Table};
use crate::row::{Columns, row};
use crate::{Db, Result, StoreError, departments, dispatch, institutions, people};
use shanhai_domain::Invalid;
use shanhai_domain::clinic_sessions::*;
use sqlx::AnyConnection;

pub struct ClinicSessions;

const SELECT: &str = "c.*, p.name AS expert_name, p.title AS expert_title, p.honours AS expert_honours, \
    hi.name AS home_institution_name, i.name AS institution_name, i.region_code AS region_code, \
    r.name AS region_name, d.name AS department_name, COALESCE(d.specialty_code, p.specialty_code) AS specialty_code";
pub(crate) const FROM: &str = "clinic_sessions c JOIN people p ON p.id = c.expert_id \
    JOIN institutions hi ON hi.id = p.institution_id JOIN institutions i ON i.id = c.institution_id \
    LEFT JOIN regions r ON r.code = i.region_code LEFT JOIN departments d ON d.id = c.department_id";

impl Table for ClinicSessions {
    type Record = ClinicSession;
    const TABLE: &'static str = "clinic_sessions";
    const ENTITY: &'static str = "clinic_session";
    const SELECT: &'static str = SELECT;
    const FROM: &'static str = FROM;
    const ID: &'static str = "c.id";
    const CONFLICT: &'static str = "error.session_exists";
}

row! {
    read ClinicSession(row) {
        id: text,
        expert_id: text,
        expert_name: opt_text,
        expert_title: opt_text,
        expert_honours: { query::opt_json(row, "expert_honours")?.unwrap_or_default() },
        home_institution_name: opt_text,
        institution_id: text,
        institution_name: opt_text,
        region_code: opt_text,
        region_name: opt_text,
        department_id: opt_text,
        department_name: opt_text,
        specialty_code: opt_text,
        assignment_id: opt_text,
        date: text,
        start: text("start_time"),
        end: text("end_time"),
        capacity: int,
        booked: int,
        available: { (capacity - booked).max(0) },
        waitlisted: int,
        slot_minutes: int,
        visit_type: code(VisitType::parse),
        status: {
            SessionStatus::of_stored(&query::text(row, "status")?, &date, &end, capacity, booked, crate::local_now())
        },
        note: opt_text,
        outreach_event_id: opt_text,
        created_at: text,
        updated_at: text,
    }
    write NewClinicSession(new) {
        expert_id: clone,
        institution_id: clone,
        department_id: clone,
        assignment_id: clone,
        date: date,
        start_time: { new.window.start.format("%H:%M").to_string().into() },
        end_time: { new.window.end.format("%H:%M").to_string().into() },
        capacity: copy,
        slot_minutes: copy,
        visit_type: code,
        note: clone,
    }
}

/// The `status` filter for every session not cancelled.
pub const SCHEDULED: &str = "scheduled";

pub async fn get_on(conn: &mut AnyConnection, id: &str) -> Result<ClinicSession> {
    record::get_on::<ClinicSessions>(conn, id).await
}

pub async fn get(db: &Db, id: &str) -> Result<ClinicSession> {
    record::get::<ClinicSessions>(db, id).await
}

async fn check(conn: &mut AnyConnection, new: &NewClinicSession) -> Result<()> {
    match people::get_on(conn, &new.expert_id).await {
        Err(StoreError::NotFound) => {
            return Err(Invalid::new("expert_id", "error.unknown_person").into());
        }
        other => other.map(|_| ())?,
    }
    institutions::require(conn, "institution_id", &new.institution_id).await?;
    if let Some(d) = &new.department_id {
        departments::require_in(conn, "department_id", d, &new.institution_id).await?;
    }
    if let Some(a) = &new.assignment_id {
        let assignment = match dispatch::get_assignment_on(conn, a).await {
            Err(StoreError::NotFound) => {
                return Err(Invalid::new("assignment_id", "error.unknown_assignment").into());
            }
            other => other?,
        };
        if assignment.person_id != new.expert_id {
            return Err(Invalid::new("assignment_id", "error.assignment_other_person").into());
        }
    }
    Ok(())
}

pub async fn create_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    new: &NewClinicSession,
) -> Result<ClinicSession> {
    check(conn, new).await?;
    let mut columns = NewClinicSession::COLUMNS.to_vec();
    columns.extend(["booked", "waitlisted", "waitlist_seq", "status"]);
    let mut a = new.args();
    a.extend([
        0i64.into(),
        0i64.into(),
        0i64.into(),
        SessionStatus::Open.code().into(),
    ]);
    record::insert::<ClinicSessions>(conn, actor, &columns, a).await
}

pub async fn create(db: &Db, actor: &Actor, new: &NewClinicSession) -> Result<ClinicSession> {
    let mut tx = db.begin_write().await?;
    let created = create_on(&mut tx, actor, new).await?;
    tx.commit().await?;
    Ok(created)
}

/// Creates several sessions in one transaction: all of them or none.
pub async fn create_many(
    db: &Db,
    actor: &Actor,
    sessions: &[NewClinicSession],
) -> Result<Vec<ClinicSession>> {
    let mut tx = db.begin_write().await?;
    let mut created = Vec::with_capacity(sessions.len());
    for new in sessions {
        created.push(create_on(&mut tx, actor, new).await?);
    }
    tx.commit().await?;
    Ok(created)
}

/// Changes a session; the capacity cannot drop below the bookings already confirmed.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: &str,
    new: &NewClinicSession,
) -> Result<ClinicSession> {
    let mut tx = db.begin_write().await?;
    let before = get_on(&mut tx, id).await?;
    check(&mut tx, new).await?;
    if new.capacity < before.booked {
        return Err(Invalid::new("capacity", "error.capacity_below_booked").into());
    }
    let after =
        record::update::<ClinicSessions>(&mut tx, actor, id, NewClinicSession::COLUMNS, new.args())
            .await?;
    tx.commit().await?;
    Ok(after)
}

/// Cancels a session (停诊). Its bookings stay, so the coordinator can reach every patient.
pub async fn cancel(db: &Db, actor: &Actor, id: &str) -> Result<ClinicSession> {
    let mut tx = db.begin_write().await?;
    let before = get_on(&mut tx, id).await?;
    if before.status == SessionStatus::Cancelled {
        return Err(StoreError::Conflict("error.session_already_cancelled"));
    }
    let after = record::update::<ClinicSessions>(
        &mut tx,
        actor,
        id,
        &["status"],
        vec![SessionStatus::Cancelled.code().into()],
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

#[derive(Debug, Default, Clone)]
pub struct SessionFilter {
    pub institution: Option<String>,
    pub expert: Option<String>,
    pub assignment: Option<String>,
    /// Hospitals in this region or below.
    pub region: Option<String>,
    /// A 诊疗科目 code; sub-specialties match their parent.
    pub specialty: Option<String>,
    pub from: Option<String>,
    pub until: Option<String>,
    /// A booking state ([`SessionStatus`]): `open`, `full`, `ended` or `cancelled`, decided as
    /// [`SessionStatus::of`] decides it.
    /// A session state (`open`, `full`, `ended`, `cancelled`), or `scheduled`: every session
    /// not cancelled, whatever its time (what the figures count).
    pub status: Option<String>,
    /// Only sessions that still take bookings (open or full, not ended, not cancelled).
    pub bookable: bool,
    /// Search in the expert's and the hospital's names.
    pub q: Option<String>,
    /// Only sessions on hospitals in this set (a coordinator's reach).
    pub institutions_in: Option<std::collections::BTreeSet<String>>,
    /// Sessions held under an assignment of this program.
    pub program: Option<String>,
    /// Only outreach sessions (义诊, 巡回诊疗) when true; only hospital clinics when false.
    pub outreach: Option<bool>,
    /// Further conditions, all of which must hold (each an OR-list within): what a FHIR
    /// search asks of the sessions behind its Slots, Schedules and Appointments.
    pub conditions: Vec<SessionCondition>,
}

/// A range over a column that sorts as text (a local `YYYY-MM-DDTHH:MM:SS` start, an RFC 3339
/// UTC timestamp): values in `[from, before)`, or, when `outside`, every value not in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextRange {
    pub from: Option<String>,
    pub before: Option<String>,
    pub outside: bool,
}

impl TextRange {
    /// The SQL condition on `column` and its arguments (`{}` placeholders in order).
    pub fn clause(&self, column: &str) -> (String, Vec<query::Arg>) {
        let mut parts = Vec::new();
        let mut args: Vec<query::Arg> = Vec::new();
        if let Some(from) = &self.from {
            parts.push(format!("{column} >= {{}}"));
            args.push(from.clone().into());
        }
        if let Some(before) = &self.before {
            parts.push(format!("{column} < {{}}"));
            args.push(before.clone().into());
        }
        let clause = match (parts.is_empty(), self.outside) {
            (true, false) => "1 = 1".to_string(),
            (true, true) => "1 = 0".to_string(),
            (false, false) => format!("({})", parts.join(" AND ")),
            (false, true) => format!("NOT ({})", parts.join(" AND ")),
        };
        (clause, args)
    }
}

/// One condition on sessions; a list inside a condition is an OR-list (an empty list matches
/// nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionCondition {
    /// The session is one of these.
    Ids(Vec<String>),
    /// Held by one of these experts, or at one of these hosts.
    Actors {
        experts: Vec<String>,
        hosts: Vec<String>,
    },
    /// Held by this expert at this host, for one of the pairs.
    ExpertAt(Vec<(String, String)>),
    /// Its start (local time, `YYYY-MM-DDTHH:MM:SS`) in the range.
    Starts(TextRange),
    /// Its record last changed (RFC 3339 UTC) in the range.
    Updated(TextRange),
    /// In one of these booking states, as [`SessionStatus::of`] decides them.
    States(Vec<SessionStatus>),
    /// Of one of these visit types.
    VisitTypes(Vec<VisitType>),
    /// Of one of these 诊疗科目 codes (sub-specialties match their parent).
    Specialties(Vec<String>),
}

/// The local start of a session as a sortable `YYYY-MM-DDTHH:MM:SS` expression.
const START: &str = "(c.date || 'T' || c.start_time || ':00')";
const SPECIALTY: &str = "COALESCE(d.specialty_code, p.specialty_code)";

fn condition(filter: &mut Filter, condition: &SessionCondition) {
    let placeholders = |n: usize| vec!["{}"; n].join(", ");
    let none = || "1 = 0".to_string();
    let (clause, args): (String, Vec<query::Arg>) = match condition {
        SessionCondition::Ids(ids) if ids.is_empty() => (none(), vec![]),
        SessionCondition::Ids(ids) => (
            format!("c.id IN ({})", placeholders(ids.len())),
            ids.iter().map(|i| i.clone().into()).collect(),
        ),
        SessionCondition::Actors { experts, hosts } => {
            let mut parts = Vec::new();
            if !experts.is_empty() {
                parts.push(format!("c.expert_id IN ({})", placeholders(experts.len())));
            }
            if !hosts.is_empty() {
                parts.push(format!(
                    "c.institution_id IN ({})",
                    placeholders(hosts.len())
                ));
            }
            if parts.is_empty() {
                (none(), vec![])
            } else {
                (
                    format!("({})", parts.join(" OR ")),
                    experts
                        .iter()
                        .chain(hosts)
                        .map(|i| i.clone().into())
                        .collect(),
                )
            }
        }
        SessionCondition::ExpertAt(pairs) if pairs.is_empty() => (none(), vec![]),
        SessionCondition::ExpertAt(pairs) => (
            format!(
                "({})",
                vec!["(c.expert_id = {} AND c.institution_id = {})"; pairs.len()].join(" OR ")
            ),
            pairs
                .iter()
                .flat_map(|(e, i)| [e.clone().into(), i.clone().into()])
                .collect(),
        ),
        SessionCondition::Starts(range) => range.clause(START),
        SessionCondition::Updated(range) => range.clause("c.updated_at"),
        SessionCondition::States(states) if states.is_empty() => (none(), vec![]),
        SessionCondition::States(states) => {
            let mut parts = Vec::new();
            let mut args = Vec::new();
            for state in states {
                let (clause, a) = state_clause(*state);
                parts.push(clause);
                args.extend(a);
            }
            (format!("({})", parts.join(" OR ")), args)
        }
        SessionCondition::VisitTypes(types) if types.is_empty() => (none(), vec![]),
        SessionCondition::VisitTypes(types) => (
            format!("c.visit_type IN ({})", placeholders(types.len())),
            types.iter().map(|t| t.code().into()).collect(),
        ),
        SessionCondition::Specialties(codes) if codes.is_empty() => (none(), vec![]),
        SessionCondition::Specialties(codes) => (
            format!(
                "({})",
                vec![format!("({SPECIALTY} = {{}} OR {SPECIALTY} LIKE {{}} || '.%')"); codes.len()]
                    .join(" OR ")
            ),
            codes
                .iter()
                .flat_map(|c| [c.clone().into(), c.clone().into()])
                .collect(),
        ),
    };
    filter.raw_each(&clause, args);
}

/// The visit types that take doctors out to the patients.
pub const OUTREACH: &str = "('free-clinic', 'circuit')";

pub(crate) fn session_filter(f: &SessionFilter) -> Filter {
    let mut filter = Filter::default();
    filter
        .eq("c.institution_id", f.institution.as_deref())
        .eq("c.expert_id", f.expert.as_deref())
        .eq("c.assignment_id", f.assignment.as_deref())
        .search(&["p.name", "i.name"], f.q.as_deref());
    filter.dated("c.date", f.from.as_deref(), f.until.as_deref());
    filter.in_region("i.region_code", f.region.as_deref());
    state_filter(&mut filter, f);
    if let Some(s) = f.specialty.as_deref().filter(|s| !s.trim().is_empty()) {
        filter.raw(
            "(COALESCE(d.specialty_code, p.specialty_code) = {} OR COALESCE(d.specialty_code, p.specialty_code) LIKE {} || '.%')",
            s.trim().into(),
        );
    }
    if let Some(set) = &f.institutions_in {
        filter.within("c.institution_id", set);
    }
    if let Some(program) = f
        .program
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        filter.raw(
            "c.assignment_id IN (SELECT a.id FROM assignments a JOIN batches b ON b.id = a.batch_id \
             WHERE b.program_id = {})",
            program.into(),
        );
    }
    for c in &f.conditions {
        condition(&mut filter, c);
    }
    match f.outreach {
        Some(true) => {
            filter.raw_each(&format!("c.visit_type IN {OUTREACH}"), vec![]);
        }
        Some(false) => {
            filter.raw_each(&format!("c.visit_type NOT IN {OUTREACH}"), vec![]);
        }
        None => {}
    }
    filter
}

/// One booking state's condition, in SQL: [`SessionStatus::of`]'s rule over the stored columns
/// (`{}` placeholders for its arguments, in order).
fn state_clause(state: SessionStatus) -> (String, Vec<query::Arg>) {
    let ended = "(c.date < {} OR (c.date = {} AND c.end_time <= {}))";
    match state {
        SessionStatus::Cancelled => ("c.status = 'cancelled'".into(), vec![]),
        SessionStatus::Ended => (format!("(c.status = 'open' AND {ended})"), now_args()),
        SessionStatus::Full => (
            format!("(c.status = 'open' AND c.booked >= c.capacity AND {NOT_ENDED})"),
            now_args(),
        ),
        SessionStatus::Open => (
            format!("(c.status = 'open' AND c.booked < c.capacity AND {NOT_ENDED})"),
            now_args(),
        ),
    }
}

/// A session whose end time has not passed: the condition and [`now_args`].
const NOT_ENDED: &str = "(c.date > {} OR (c.date = {} AND c.end_time > {}))";

/// Today twice and the time now (local), for [`NOT_ENDED`] and its opposite.
fn now_args() -> Vec<query::Arg> {
    let now = crate::local_now();
    let today = now.date().to_string();
    vec![
        today.clone().into(),
        today.into(),
        now.time().format("%H:%M").to_string().into(),
    ]
}

/// The booking-state conditions of a filter.
fn state_filter(filter: &mut Filter, f: &SessionFilter) {
    if f.bookable {
        filter.raw_each(&format!("c.status = 'open' AND {NOT_ENDED}"), now_args());
    }
    let wanted = f
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| SessionStatus::parse(s).ok_or(s));
    match wanted {
        None => {}
        // Every session not cancelled, past or to come: what the figures count as held.
        Some(Err(SCHEDULED)) => {
            filter.raw_each("c.status = 'open'", vec![]);
        }
        Some(Ok(state)) => {
            let (clause, args) = state_clause(state);
            filter.raw_each(&clause, args);
        }
        // An unknown state matches nothing, as an unknown code always has.
        Some(Err(other)) => {
            filter.raw("c.status = {}", other.to_string().into());
        }
    }
}

/// Places booked (`booked`) over the sessions the filter selects, and the bookings checked in.
pub async fn booking_totals(db: &Db, f: &SessionFilter) -> Result<(i64, i64)> {
    let filter = session_filter(f);
    let row = query::sql_with(
        format!(
            "SELECT CAST(COALESCE(SUM(c.booked), 0) AS BIGINT) AS booked, \
             CAST(COALESCE(SUM((SELECT COUNT(*) FROM bookings bk WHERE bk.session_id = c.id \
             AND bk.status = 'checked-in')), 0) AS BIGINT) AS seen FROM {FROM}{}",
            filter.sql()
        ),
        filter.args.clone(),
    )
    .fetch_one(db.pool())
    .await?;
    Ok((int(&row, "booked")?, int(&row, "seen")?))
}

pub async fn list(db: &Db, f: &SessionFilter, page: PageRequest) -> Result<Page<ClinicSession>> {
    let filter = session_filter(f);
    fetch_page(
        db.pool(),
        SELECT,
        FROM,
        &filter,
        "c.date, c.start_time, i.name, c.id",
        page,
        ClinicSessions::decode,
    )
    .await
}

/// One expert's clinics at one host, over the sessions a filter selects: what a FHIR Schedule
/// shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpertClinics {
    pub expert_id: String,
    pub expert_name: String,
    pub institution_id: String,
    pub institution_name: String,
    /// The first session's start and the last one's end (local `YYYY-MM-DDTHH:MM`).
    pub first_start: String,
    pub last_end: String,
    pub sessions: i64,
    /// The sessions' 诊疗科目 codes (their departments', else the expert's); at most the
    /// first and the last in code order.
    pub specialties: Vec<String>,
    /// The sessions' visit types, at most the first and the last in code order.
    pub visit_types: Vec<VisitType>,
    /// When one of the sessions last changed.
    pub updated_at: String,
}

/// Experts' clinics per host, grouped from the sessions the filter selects, by expert and
/// host name.
pub async fn expert_clinics(db: &Db, f: &SessionFilter) -> Result<Vec<ExpertClinics>> {
    let filter = session_filter(f);
    let rows = query::sql_with(
        format!(
            "SELECT c.expert_id, c.institution_id, MIN(p.name) AS expert_name, \
             MIN(i.name) AS institution_name, MIN(c.date || 'T' || c.start_time) AS first_start, \
             MAX(c.date || 'T' || c.end_time) AS last_end, COUNT(*) AS sessions, \
             MIN({SPECIALTY}) AS specialty_first, MAX({SPECIALTY}) AS specialty_last, \
             MIN(c.visit_type) AS visit_first, MAX(c.visit_type) AS visit_last, \
             MAX(c.updated_at) AS updated_at FROM {FROM}{} \
             GROUP BY c.expert_id, c.institution_id \
             ORDER BY MIN(p.name), MIN(i.name), c.expert_id, c.institution_id",
            filter.sql()
        ),
        filter.args.clone(),
    )
    .fetch_all(db.pool())
    .await?;
    let pair = |first: Option<String>, last: Option<String>| -> Vec<String> {
        let mut v: Vec<String> = first.into_iter().chain(last).collect();
        v.dedup();
        v
    };
    rows.iter()
        .map(|row| {
            Ok(ExpertClinics {
                expert_id: query::text(row, "expert_id")?,
                expert_name: query::text(row, "expert_name")?,
                institution_id: query::text(row, "institution_id")?,
                institution_name: query::text(row, "institution_name")?,
                first_start: query::text(row, "first_start")?,
                last_end: query::text(row, "last_end")?,
                sessions: int(row, "sessions")?,
                specialties: pair(
                    query::opt_text(row, "specialty_first")?,
                    query::opt_text(row, "specialty_last")?,
                ),
                visit_types: pair(
                    query::opt_text(row, "visit_first")?,
                    query::opt_text(row, "visit_last")?,
                )
                .iter()
                .filter_map(|v| VisitType::parse(v))
                .collect(),
                updated_at: query::text(row, "updated_at")?,
            })
        })
        .collect()
}
