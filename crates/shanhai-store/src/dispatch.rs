//! Expert dispatch (C2): schemes, batches, assignments and the days actually served.

use crate::audit::{self, Action, Actor};
use crate::query::{self, Filter, Page, PageRequest, fetch_page, int};
use crate::record::{self, Table};
use crate::row::{Columns, Decode, row};
use crate::{Db, Result, StoreError, departments, institutions, people, programs};
use chrono::NaiveDate;
use shanhai_domain::Invalid;
use shanhai_domain::dispatch::*;
use sqlx::AnyConnection;

// ---- schemes ----

pub struct Schemes;

impl Table for Schemes {
    type Record = Scheme;
    const TABLE: &'static str = "dispatch_schemes";
    const ENTITY: &'static str = "dispatch_scheme";
    const SELECT: &'static str = "*";
    const FROM: &'static str = "dispatch_schemes";
    const ID: &'static str = "id";
    const CONFLICT: &'static str = "error.scheme_exists";
}

row! {
    read Scheme(row) {
        id: text,
        program_id: text,
        name: text,
        description: opt_text,
        created_at: text,
        updated_at: text,
    }
    write NewScheme(new) {
        program_id: clone,
        name: clone,
        description: clone,
    }
}

pub async fn create_scheme_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    new: &NewScheme,
) -> Result<Scheme> {
    programs::require(conn, "program_id", &new.program_id).await?;
    record::insert::<Schemes>(conn, actor, NewScheme::COLUMNS, new.args()).await
}

pub async fn create_scheme(db: &Db, actor: &Actor, new: &NewScheme) -> Result<Scheme> {
    let mut tx = db.begin_write().await?;
    let created = create_scheme_on(&mut tx, actor, new).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn get_scheme(db: &Db, id: &str) -> Result<Scheme> {
    record::get::<Schemes>(db, id).await
}

pub async fn update_scheme(db: &Db, actor: &Actor, id: &str, new: &NewScheme) -> Result<Scheme> {
    let mut tx = db.begin_write().await?;
    programs::require(&mut tx, "program_id", &new.program_id).await?;
    let after =
        record::update::<Schemes>(&mut tx, actor, id, NewScheme::COLUMNS, new.args()).await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn list_schemes(
    db: &Db,
    program: Option<&str>,
    page: PageRequest,
) -> Result<Page<Scheme>> {
    let mut filter = Filter::default();
    filter.eq("program_id", program);
    fetch_page(
        db.pool(),
        "*",
        "dispatch_schemes",
        &filter,
        "name, id",
        page,
        Schemes::decode,
    )
    .await
}

// ---- batches ----

pub struct Batches;

const BATCH_SELECT: &str = "b.*, s.name AS scheme_name, \
    (SELECT COUNT(*) FROM assignments a WHERE a.batch_id = b.id) AS assignment_count";
const BATCH_FROM: &str = "batches b LEFT JOIN dispatch_schemes s ON s.id = b.scheme_id";

impl Table for Batches {
    type Record = Batch;
    const TABLE: &'static str = "batches";
    const ENTITY: &'static str = "batch";
    const SELECT: &'static str = BATCH_SELECT;
    const FROM: &'static str = BATCH_FROM;
    const ID: &'static str = "b.id";
    const CONFLICT: &'static str = "error.batch_exists";
}

row! {
    read Batch(row) {
        id: text,
        program_id: text,
        scheme_id: opt_text,
        scheme_name: opt_text,
        pairing_id: opt_text,
        number: int,
        name: opt_text,
        start_date: text,
        end_date: text,
        assignment_count: int,
        created_at: text,
        updated_at: text,
    }
    write NewBatch(new) {
        program_id: clone,
        scheme_id: clone,
        pairing_id: clone,
        number: copy,
        name: clone,
        start_date: date,
        end_date: date,
    }
}

pub async fn get_batch(db: &Db, id: &str) -> Result<Batch> {
    record::get::<Batches>(db, id).await
}

async fn check_batch(conn: &mut AnyConnection, new: &NewBatch) -> Result<()> {
    programs::require(conn, "program_id", &new.program_id).await?;
    if let Some(scheme) = &new.scheme_id {
        let s =
            record::require::<Schemes>(conn, "scheme_id", scheme, "error.unknown_scheme").await?;
        if s.program_id != new.program_id {
            return Err(Invalid::new("scheme_id", "error.scheme_other_program").into());
        }
    }
    if let Some(pairing) = &new.pairing_id {
        let p = crate::pairings::require(conn, "pairing_id", pairing).await?;
        if p.program_id != new.program_id {
            return Err(Invalid::new("pairing_id", "error.pairing_other_program").into());
        }
    }
    Ok(())
}

pub async fn create_batch_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    new: &NewBatch,
) -> Result<Batch> {
    check_batch(conn, new).await?;
    record::insert::<Batches>(conn, actor, NewBatch::COLUMNS, new.args()).await
}

pub async fn create_batch(db: &Db, actor: &Actor, new: &NewBatch) -> Result<Batch> {
    let mut tx = db.begin_write().await?;
    let created = create_batch_on(&mut tx, actor, new).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn update_batch(db: &Db, actor: &Actor, id: &str, new: &NewBatch) -> Result<Batch> {
    let mut tx = db.begin_write().await?;
    record::get_on::<Batches>(&mut tx, id).await?;
    check_batch(&mut tx, new).await?;
    let outside: i64 = query::sql_with(
        "SELECT COUNT(*) AS n FROM assignments WHERE batch_id = $1 AND (start_date < $2 OR end_date > $3)".into(),
        vec![id.into(), new.start_date.to_string().into(), new.end_date.to_string().into()],
    )
    .fetch_one(&mut *tx)
    .await
    .map(|r| int(&r, "n"))??;
    if outside > 0 {
        return Err(Invalid::new("start_date", "error.batch_excludes_assignments").into());
    }
    let after =
        record::update::<Batches>(&mut tx, actor, id, NewBatch::COLUMNS, new.args()).await?;
    tx.commit().await?;
    Ok(after)
}

#[derive(Debug, Default, Clone)]
pub struct BatchFilter {
    pub program: Option<String>,
    pub scheme: Option<String>,
    pub pairing: Option<String>,
    /// Batches that had begun by this date (`start_date <= until`).
    pub until: Option<String>,
}

pub async fn list_batches(db: &Db, f: &BatchFilter, page: PageRequest) -> Result<Page<Batch>> {
    let mut filter = Filter::default();
    filter
        .eq("b.program_id", f.program.as_deref())
        .eq("b.scheme_id", f.scheme.as_deref())
        .eq("b.pairing_id", f.pairing.as_deref());
    if let Some(d) = f.until.as_deref().filter(|d| !d.is_empty()) {
        filter.raw("b.start_date <= {}", d.into());
    }
    fetch_page(
        db.pool(),
        BATCH_SELECT,
        BATCH_FROM,
        &filter,
        "b.start_date DESC, b.number DESC, b.id",
        page,
        Batches::decode,
    )
    .await
}

// ---- assignments ----

pub struct Assignments;

const ASSIGNMENT_SELECT: &str = "a.*, b.number AS batch_number, b.program_id AS program_id, \
    p.name AS person_name, p.title AS person_title, hi.name AS home_institution_name, \
    i.name AS institution_name, d.name AS department_name, \
    (SELECT COUNT(*) FROM service_days s WHERE s.assignment_id = a.id) AS days_served, \
    (SELECT COUNT(*) FROM service_days s WHERE s.assignment_id = a.id \
     AND s.confirmed_at IS NOT NULL) AS days_confirmed, \
    (SELECT COUNT(*) FROM leave_days l WHERE l.assignment_id = a.id) AS leave_days";
const ASSIGNMENT_FROM: &str = "assignments a JOIN batches b ON b.id = a.batch_id \
    JOIN people p ON p.id = a.person_id JOIN institutions hi ON hi.id = p.institution_id \
    JOIN institutions i ON i.id = a.institution_id LEFT JOIN departments d ON d.id = a.department_id";

impl Table for Assignments {
    type Record = Assignment;
    const TABLE: &'static str = "assignments";
    const ENTITY: &'static str = "assignment";
    const SELECT: &'static str = ASSIGNMENT_SELECT;
    const FROM: &'static str = ASSIGNMENT_FROM;
    const ID: &'static str = "a.id";
    const CONFLICT: &'static str = "error.assignment_exists";
}

row! {
    read Assignment(row) {
        id: text,
        batch_id: text,
        batch_number: opt_int,
        program_id: opt_text,
        person_id: text,
        person_name: opt_text,
        person_title: opt_text,
        home_institution_name: opt_text,
        institution_id: text,
        institution_name: opt_text,
        department_id: opt_text,
        department_name: opt_text,
        mode: code(AssignmentMode::parse),
        post: code(Post::parse),
        weekdays: json,
        start_date: text,
        end_date: text,
        days_served: int,
        days_confirmed: int,
        leave_days: int,
        planned_end_date: opt_text,
        created_at: text,
        updated_at: text,
    }
    write NewAssignment(new) {
        batch_id: clone,
        person_id: clone,
        institution_id: clone,
        department_id: clone,
        mode: code,
        post: code,
        weekdays: { query::json_arg(&new.weekdays.to_vec()) },
        start_date: date,
        end_date: date,
    }
}

pub async fn get_assignment_on(conn: &mut AnyConnection, id: &str) -> Result<Assignment> {
    record::get_on::<Assignments>(conn, id).await
}

pub async fn get_assignment(db: &Db, id: &str) -> Result<Assignment> {
    record::get::<Assignments>(db, id).await
}

pub(crate) fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

/// Checks references, the batch period and that the person is nowhere else on the same days.
async fn check_assignment(
    conn: &mut AnyConnection,
    new: &NewAssignment,
    id: Option<&str>,
) -> Result<()> {
    let batch =
        record::require::<Batches>(conn, "batch_id", &new.batch_id, "error.unknown_batch").await?;
    new.check_within(date(&batch.start_date), date(&batch.end_date))?;
    match people::get_on(conn, &new.person_id).await {
        Err(StoreError::NotFound) => {
            return Err(Invalid::new("person_id", "error.unknown_person").into());
        }
        other => other.map(|_| ())?,
    }
    institutions::require(conn, "institution_id", &new.institution_id).await?;
    if let Some(department) = &new.department_id {
        departments::require_in(conn, "department_id", department, &new.institution_id).await?;
    }
    let rows = query::sql_with(
        format!(
            "SELECT {ASSIGNMENT_SELECT} FROM {ASSIGNMENT_FROM} \
             WHERE a.person_id = $1 AND a.start_date <= $2 AND a.end_date >= $3 AND a.id <> $4"
        ),
        vec![
            new.person_id.clone().into(),
            new.end_date.to_string().into(),
            new.start_date.to_string().into(),
            id.unwrap_or("").into(),
        ],
    )
    .fetch_all(&mut *conn)
    .await?;
    let mine = new.presence();
    for row in &rows {
        let other = Assignments::decode(row)?;
        if other.presence().is_some_and(|p| p.clashes_with(&mine)) {
            return Err(StoreError::Conflict("error.assignment_clash"));
        }
    }
    Ok(())
}

pub async fn create_assignment_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    new: &NewAssignment,
) -> Result<Assignment> {
    check_assignment(conn, new, None).await?;
    record::insert::<Assignments>(conn, actor, NewAssignment::COLUMNS, new.args()).await
}

pub async fn create_assignment(db: &Db, actor: &Actor, new: &NewAssignment) -> Result<Assignment> {
    let mut tx = db.begin_write().await?;
    let created = create_assignment_on(&mut tx, actor, new).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn update_assignment(
    db: &Db,
    actor: &Actor,
    id: &str,
    new: &NewAssignment,
) -> Result<Assignment> {
    let mut tx = db.begin_write().await?;
    get_assignment_on(&mut tx, id).await?;
    check_assignment(&mut tx, new, Some(id)).await?;
    let after =
        record::update::<Assignments>(&mut tx, actor, id, NewAssignment::COLUMNS, new.args())
            .await?;
    tx.commit().await?;
    Ok(after)
}

#[derive(Debug, Default, Clone)]
pub struct AssignmentFilter {
    pub program: Option<String>,
    pub batch: Option<String>,
    /// The recipient institution.
    pub institution: Option<String>,
    pub person: Option<String>,
    /// The person's own (home, donor-side) institution.
    pub home: Option<String>,
    /// Assignments whose period includes this date.
    pub active_on: Option<String>,
    /// Recipient institutions in this region or below.
    pub region: Option<String>,
    /// Periods overlapping `[from, until]`.
    pub from: Option<String>,
    pub until: Option<String>,
    pub q: Option<String>,
}

fn assignment_filter(f: &AssignmentFilter) -> Filter {
    let mut filter = Filter::default();
    filter
        .eq("b.program_id", f.program.as_deref())
        .eq("a.batch_id", f.batch.as_deref())
        .eq("a.institution_id", f.institution.as_deref())
        .eq("a.person_id", f.person.as_deref())
        .eq("p.institution_id", f.home.as_deref())
        .search(&["p.name"], f.q.as_deref());
    if let Some(d) = f.active_on.as_deref().filter(|d| !d.is_empty()) {
        filter
            .raw("a.start_date <= {}", d.into())
            .raw("a.end_date >= {}", d.into());
    }
    if let Some(d) = f.until.as_deref().filter(|d| !d.is_empty()) {
        filter.raw("a.start_date <= {}", d.into());
    }
    if let Some(d) = f.from.as_deref().filter(|d| !d.is_empty()) {
        filter.raw("a.end_date >= {}", d.into());
    }
    filter.in_region("i.region_code", f.region.as_deref());
    filter
}

pub async fn list_assignments(
    db: &Db,
    f: &AssignmentFilter,
    page: PageRequest,
) -> Result<Page<Assignment>> {
    fetch_page(
        db.pool(),
        ASSIGNMENT_SELECT,
        ASSIGNMENT_FROM,
        &assignment_filter(f),
        "a.start_date DESC, p.name, a.id",
        page,
        Assignments::decode,
    )
    .await
}

/// Days served (recorded service days) within the assignments the filter selects, up to
/// `until` and from `from` when given.
pub async fn service_day_total(db: &Db, f: &AssignmentFilter) -> Result<i64> {
    let mut filter = assignment_filter(f);
    let mut days = String::new();
    if let Some(d) = f.until.as_deref().filter(|d| !d.is_empty()) {
        days.push_str(&format!(" AND sd.day <= {}", filter.next(d.into())));
    }
    if let Some(d) = f.from.as_deref().filter(|d| !d.is_empty()) {
        days.push_str(&format!(" AND sd.day >= {}", filter.next(d.into())));
    }
    let row = query::sql_with(
        format!(
            "SELECT COUNT(*) AS n FROM service_days sd WHERE sd.assignment_id IN \
             (SELECT a.id FROM {ASSIGNMENT_FROM}{}){days}",
            filter.sql()
        ),
        filter.args.clone(),
    )
    .fetch_one(db.pool())
    .await?;
    int(&row, "n")
}

/// Every assignment matching the filter (for calendars), at most `limit`.
pub async fn all_assignments(db: &Db, f: &AssignmentFilter, limit: i64) -> Result<Vec<Assignment>> {
    let filter = assignment_filter(f);
    let n = filter.args.len();
    let mut args = filter.args.clone();
    args.push(limit.into());
    let rows = query::sql_with(
        format!(
            "SELECT {ASSIGNMENT_SELECT} FROM {ASSIGNMENT_FROM}{} ORDER BY p.name, a.id LIMIT ${}",
            filter.sql(),
            n + 1
        ),
        args,
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(Assignments::decode).collect()
}

// ---- days served ----

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ServiceDay {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub assignment_id: String,
    #[schema(format = Date)]
    pub day: String,
    pub note: Option<String>,
    /// When a coordinator confirmed the day (none: checked in, not yet confirmed).
    #[schema(format = DateTime)]
    pub confirmed_at: Option<String>,
    /// Who confirmed it (their name as shown to others).
    pub confirmed_by: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

row! {
    read ServiceDay(row) {
        id: text,
        assignment_id: text,
        day: text,
        note: opt_text,
        confirmed_at: opt_text,
        confirmed_by: opt_text,
        created_at: text,
    }
}

/// A day of leave on an assignment (never counted as served).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LeaveDay {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub assignment_id: String,
    #[schema(format = Date)]
    pub day: String,
    pub note: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

row! {
    read LeaveDay(row) {
        id: text,
        assignment_id: text,
        day: text,
        note: opt_text,
        created_at: text,
    }
}

pub async fn service_days(db: &Db, assignment_id: &str) -> Result<Vec<ServiceDay>> {
    let rows = query::sql_with(
        "SELECT * FROM service_days WHERE assignment_id = $1 ORDER BY day".into(),
        vec![assignment_id.into()],
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(ServiceDay::decode).collect()
}

/// Records a day served (check-in). The day must fall inside the assignment's period.
pub async fn record_day(
    db: &Db,
    actor: &Actor,
    assignment_id: &str,
    day: NaiveDate,
    note: Option<String>,
) -> Result<ServiceDay> {
    let mut tx = db.begin_write().await?;
    let a = get_assignment_on(&mut tx, assignment_id).await?;
    if day < date(&a.start_date) || day > date(&a.end_date) {
        return Err(Invalid::new("day", "error.day_outside_assignment").into());
    }
    if leave_on(&mut tx, assignment_id, day).await?.is_some() {
        return Err(Invalid::new("day", "error.day_on_leave").into());
    }
    let created = insert_day(&mut tx, actor, assignment_id, day, note, None).await?;
    tx.commit().await?;
    Ok(created)
}

async fn insert_day(
    tx: &mut AnyConnection,
    actor: &Actor,
    assignment_id: &str,
    day: NaiveDate,
    note: Option<String>,
    confirmed_by: Option<&str>,
) -> Result<ServiceDay> {
    let id = shanhai_domain::ids::new_id();
    let now = crate::now();
    query::sql_with(
        query::insert_sql(
            "service_days",
            &[
                "id",
                "assignment_id",
                "day",
                "note",
                "confirmed_at",
                "confirmed_by",
                "created_at",
                "updated_at",
            ],
        ),
        vec![
            id.clone().into(),
            assignment_id.into(),
            day.to_string().into(),
            note.into(),
            confirmed_by.map(|_| now.clone()).into(),
            confirmed_by.map(str::to_string).into(),
            now.clone().into(),
            now.into(),
        ],
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| StoreError::on_unique(e, "error.day_already_recorded"))?;
    let row = query::sql_with(
        "SELECT * FROM service_days WHERE id = $1".into(),
        vec![id.clone().into()],
    )
    .fetch_one(&mut *tx)
    .await?;
    let created = ServiceDay::decode(&row)?;
    audit::record::<(), _>(
        &mut *tx,
        actor,
        Action::Create,
        "service_day",
        &id,
        None,
        Some(&created),
    )
    .await?;
    Ok(created)
}

/// Removes a day recorded by mistake; the audit log keeps what it was.
pub async fn remove_day(db: &Db, actor: &Actor, assignment_id: &str, day: NaiveDate) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let row = query::sql_with(
        "SELECT * FROM service_days WHERE assignment_id = $1 AND day = $2".into(),
        vec![assignment_id.into(), day.to_string().into()],
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let before = ServiceDay::decode(&row)?;
    query::sql_with(
        "DELETE FROM service_days WHERE id = $1".into(),
        vec![before.id.clone().into()],
    )
    .execute(&mut *tx)
    .await?;
    audit::record::<_, ()>(
        &mut tx,
        actor,
        Action::Delete,
        "service_day",
        &before.id,
        Some(&before),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn leave_on(
    conn: &mut AnyConnection,
    assignment_id: &str,
    day: NaiveDate,
) -> Result<Option<LeaveDay>> {
    let row = query::sql_with(
        "SELECT * FROM leave_days WHERE assignment_id = $1 AND day = $2".into(),
        vec![assignment_id.into(), day.to_string().into()],
    )
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(LeaveDay::decode).transpose()
}

async fn served_on(
    conn: &mut AnyConnection,
    assignment_id: &str,
    day: NaiveDate,
) -> Result<Option<ServiceDay>> {
    let row = query::sql_with(
        "SELECT * FROM service_days WHERE assignment_id = $1 AND day = $2".into(),
        vec![assignment_id.into(), day.to_string().into()],
    )
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(ServiceDay::decode).transpose()
}

pub async fn leave_days(db: &Db, assignment_id: &str) -> Result<Vec<LeaveDay>> {
    let rows = query::sql_with(
        "SELECT * FROM leave_days WHERE assignment_id = $1 ORDER BY day".into(),
        vec![assignment_id.into()],
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(LeaveDay::decode).collect()
}

async fn insert_leave(
    conn: &mut AnyConnection,
    actor: &Actor,
    assignment_id: &str,
    day: NaiveDate,
    note: Option<String>,
) -> Result<LeaveDay> {
    let id = shanhai_domain::ids::new_id();
    let now = crate::now();
    query::sql_with(
        query::insert_sql(
            "leave_days",
            &[
                "id",
                "assignment_id",
                "day",
                "note",
                "created_at",
                "updated_at",
            ],
        ),
        vec![
            id.clone().into(),
            assignment_id.into(),
            day.to_string().into(),
            note.clone().into(),
            now.clone().into(),
            now.clone().into(),
        ],
    )
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::on_unique(e, "error.day_already_on_leave"))?;
    let created = LeaveDay {
        id: id.clone(),
        assignment_id: assignment_id.to_string(),
        day: day.to_string(),
        note,
        created_at: now,
    };
    audit::record::<(), _>(
        &mut *conn,
        actor,
        Action::Create,
        "leave_day",
        &id,
        None,
        Some(&created),
    )
    .await?;
    Ok(created)
}

async fn delete_leave(conn: &mut AnyConnection, actor: &Actor, before: &LeaveDay) -> Result<()> {
    query::sql_with(
        "DELETE FROM leave_days WHERE id = $1".into(),
        vec![before.id.clone().into()],
    )
    .execute(&mut *conn)
    .await?;
    audit::record::<_, ()>(
        &mut *conn,
        actor,
        Action::Delete,
        "leave_day",
        &before.id,
        Some(before),
        None,
    )
    .await
}

async fn delete_day(conn: &mut AnyConnection, actor: &Actor, before: &ServiceDay) -> Result<()> {
    query::sql_with(
        "DELETE FROM service_days WHERE id = $1".into(),
        vec![before.id.clone().into()],
    )
    .execute(&mut *conn)
    .await?;
    audit::record::<_, ()>(
        &mut *conn,
        actor,
        Action::Delete,
        "service_day",
        &before.id,
        Some(before),
        None,
    )
    .await
}

/// Records days of leave on an assignment (days already on leave stay as they are). Every day
/// must fall inside the assignment, and none may be a day recorded as served.
pub async fn record_leave(
    db: &Db,
    actor: &Actor,
    assignment_id: &str,
    leave: &NewLeave,
) -> Result<Vec<LeaveDay>> {
    let mut tx = db.begin_write().await?;
    let a = get_assignment_on(&mut tx, assignment_id).await?;
    let (start, end) = (date(&a.start_date), date(&a.end_date));
    if leave.from < start || leave.from > end {
        return Err(Invalid::new("from", "error.day_outside_assignment").into());
    }
    if leave.until > end {
        return Err(Invalid::new("until", "error.day_outside_assignment").into());
    }
    let served: i64 = query::sql_with(
        "SELECT COUNT(*) AS n FROM service_days WHERE assignment_id = $1 AND day >= $2 AND day <= $3"
            .into(),
        vec![
            assignment_id.into(),
            leave.from.to_string().into(),
            leave.until.to_string().into(),
        ],
    )
    .fetch_one(&mut *tx)
    .await
    .map(|r| int(&r, "n"))??;
    if served > 0 {
        return Err(Invalid::new("from", "error.leave_on_served_day").into());
    }
    let mut out = Vec::new();
    for day in leave.from.iter_days().take_while(|d| *d <= leave.until) {
        if leave_on(&mut tx, assignment_id, day).await?.is_none() {
            out.push(insert_leave(&mut tx, actor, assignment_id, day, leave.note.clone()).await?);
        }
    }
    tx.commit().await?;
    Ok(out)
}

/// Removes a day of leave recorded by mistake (the audit log keeps it).
pub async fn remove_leave(
    db: &Db,
    actor: &Actor,
    assignment_id: &str,
    day: NaiveDate,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let before = leave_on(&mut tx, assignment_id, day)
        .await?
        .ok_or(StoreError::NotFound)?;
    delete_leave(&mut tx, actor, &before).await?;
    tx.commit().await?;
    Ok(())
}

/// What one cell of the week grid changed.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, utoipa::ToSchema)]
pub struct WeekOutcome {
    /// Days now recorded and confirmed as served that were not confirmed before.
    pub confirmed: i64,
    /// Days now recorded as leave that were not before.
    pub leave: i64,
    /// Days cleared (neither served nor on leave).
    pub cleared: i64,
}

/// Confirms or corrects days of assignments at once, in one transaction: a day served is
/// recorded if missing and confirmed by `confirmer`; a day of leave replaces a day served; a day
/// not on site clears both. A day outside its assignment is a problem at its entry.
pub async fn set_days(
    db: &Db,
    actor: &Actor,
    confirmer: &str,
    entries: &[(usize, DayEntry)],
) -> Result<WeekOutcome> {
    let mut tx = db.begin_write().await?;
    let mut periods: std::collections::HashMap<String, (NaiveDate, NaiveDate)> =
        std::collections::HashMap::new();
    let mut out = WeekOutcome::default();
    for (i, e) in entries {
        let (start, end) = match periods.get(&e.assignment_id) {
            Some(p) => *p,
            None => {
                let a = match get_assignment_on(&mut tx, &e.assignment_id).await {
                    Err(StoreError::NotFound) => {
                        return Err(Invalid::new(
                            format!("entries[{i}].assignment_id"),
                            "error.unknown_assignment",
                        )
                        .into());
                    }
                    other => other?,
                };
                let p = (date(&a.start_date), date(&a.end_date));
                periods.insert(e.assignment_id.clone(), p);
                p
            }
        };
        if e.day < start || e.day > end {
            return Err(
                Invalid::new(format!("entries[{i}].day"), "error.day_outside_assignment").into(),
            );
        }
        let served = served_on(&mut tx, &e.assignment_id, e.day).await?;
        let leave = leave_on(&mut tx, &e.assignment_id, e.day).await?;
        match e.mark {
            DayMark::Served => {
                if let Some(l) = &leave {
                    delete_leave(&mut tx, actor, l).await?;
                }
                match served {
                    Some(s) if s.confirmed_at.is_some() => {}
                    Some(s) => {
                        let now = crate::now();
                        query::sql_with(
                            "UPDATE service_days SET confirmed_at = $1, confirmed_by = $2, \
                             updated_at = $1 WHERE id = $3"
                                .into(),
                            vec![now.clone().into(), confirmer.into(), s.id.clone().into()],
                        )
                        .execute(&mut *tx)
                        .await?;
                        let mut after = s.clone();
                        after.confirmed_at = Some(now);
                        after.confirmed_by = Some(confirmer.to_string());
                        audit::record(
                            &mut tx,
                            actor,
                            Action::Update,
                            "service_day",
                            &s.id,
                            Some(&s),
                            Some(&after),
                        )
                        .await?;
                        out.confirmed += 1;
                    }
                    None => {
                        insert_day(
                            &mut tx,
                            actor,
                            &e.assignment_id,
                            e.day,
                            None,
                            Some(confirmer),
                        )
                        .await?;
                        out.confirmed += 1;
                    }
                }
            }
            DayMark::Leave => {
                if let Some(s) = &served {
                    delete_day(&mut tx, actor, s).await?;
                }
                if leave.is_none() {
                    insert_leave(&mut tx, actor, &e.assignment_id, e.day, None).await?;
                    out.leave += 1;
                }
            }
            DayMark::Absent => {
                if let Some(s) = &served {
                    delete_day(&mut tx, actor, s).await?;
                }
                if let Some(l) = &leave {
                    delete_leave(&mut tx, actor, l).await?;
                }
                if served.is_some() || leave.is_some() {
                    out.cleared += 1;
                }
            }
        }
    }
    tx.commit().await?;
    Ok(out)
}

/// The days served and on leave of some assignments between two dates, for the week grid.
pub async fn days_between(
    db: &Db,
    assignment_ids: &[String],
    from: NaiveDate,
    until: NaiveDate,
) -> Result<(Vec<ServiceDay>, Vec<LeaveDay>)> {
    if assignment_ids.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut served = Vec::new();
    let mut leave = Vec::new();
    for chunk in assignment_ids.chunks(200) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
        let mut args: Vec<query::Arg> = vec![from.to_string().into(), until.to_string().into()];
        args.extend(chunk.iter().map(|id| id.clone().into()));
        for (table, is_leave) in [("service_days", false), ("leave_days", true)] {
            let rows = query::sql_with(
                format!(
                    "SELECT * FROM {table} WHERE day >= $1 AND day <= $2 AND assignment_id IN ({})",
                    marks.join(", ")
                ),
                args.clone(),
            )
            .fetch_all(db.pool())
            .await?;
            for row in &rows {
                if is_leave {
                    leave.push(LeaveDay::decode(row)?);
                } else {
                    served.push(ServiceDay::decode(row)?);
                }
            }
        }
    }
    Ok((served, leave))
}

/// Days checked in but not yet confirmed, in the assignments the filter selects (up to today).
pub async fn unconfirmed_days(db: &Db, f: &AssignmentFilter) -> Result<i64> {
    let mut filter = assignment_filter(f);
    let today = filter.next(crate::today().to_string().into());
    let row = query::sql_with(
        format!(
            "SELECT COUNT(*) AS n FROM service_days sd WHERE sd.confirmed_at IS NULL \
             AND sd.day <= {today} AND sd.assignment_id IN (SELECT a.id FROM {ASSIGNMENT_FROM}{})",
            filter.sql()
        ),
        filter.args.clone(),
    )
    .fetch_one(db.pool())
    .await?;
    int(&row, "n")
}

/// Ends an assignment early: `last` becomes its end, the end it was planned with is kept. No
/// day served may come after the new end.
pub async fn end_early(db: &Db, actor: &Actor, id: &str, last: NaiveDate) -> Result<Assignment> {
    let mut tx = db.begin_write().await?;
    let before = get_assignment_on(&mut tx, id).await?;
    if last < date(&before.start_date) {
        return Err(Invalid::new("end_date", "error.end_before_start").into());
    }
    if last >= date(&before.end_date) {
        return Err(Invalid::new("end_date", "error.end_not_earlier").into());
    }
    let after_end: i64 = query::sql_with(
        "SELECT COUNT(*) AS n FROM service_days WHERE assignment_id = $1 AND day > $2".into(),
        vec![id.into(), last.to_string().into()],
    )
    .fetch_one(&mut *tx)
    .await
    .map(|r| int(&r, "n"))??;
    if after_end > 0 {
        return Err(Invalid::new("end_date", "error.days_served_after_end").into());
    }
    // Leave after the new end no longer means anything.
    query::sql_with(
        "DELETE FROM leave_days WHERE assignment_id = $1 AND day > $2".into(),
        vec![id.into(), last.to_string().into()],
    )
    .execute(&mut *tx)
    .await?;
    let planned = before
        .planned_end_date
        .clone()
        .unwrap_or_else(|| before.end_date.clone());
    let after = record::update::<Assignments>(
        &mut tx,
        actor,
        id,
        &["end_date", "planned_end_date"],
        vec![last.to_string().into(), planned.into()],
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Copies a batch with its assignments to a new start date, in one transaction: every
/// assignment moves by the same number of days (its planned end when it was ended early); the
/// one-place-a-day rule holds for each copy as for any new assignment.
pub async fn copy_batch(
    db: &Db,
    actor: &Actor,
    id: &str,
    copy: &BatchCopy,
) -> Result<(Batch, usize)> {
    let mut tx = db.begin_write().await?;
    let source = record::get_on::<Batches>(&mut tx, id).await?;
    let shift = copy.start_date - date(&source.start_date);
    let new = NewBatch {
        program_id: source.program_id.clone(),
        scheme_id: source.scheme_id.clone(),
        pairing_id: source.pairing_id.clone(),
        number: copy.number,
        name: copy.name.clone().or_else(|| source.name.clone()),
        start_date: copy.start_date,
        end_date: date(&source.end_date) + shift,
    };
    let batch = create_batch_on(&mut tx, actor, &new).await?;
    let rows = query::sql_with(
        format!("SELECT {ASSIGNMENT_SELECT} FROM {ASSIGNMENT_FROM} WHERE a.batch_id = $1 ORDER BY a.start_date, a.id"),
        vec![id.into()],
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut n = 0;
    for row in &rows {
        let a = Assignments::decode(row)?;
        let end = a.planned_end_date.as_deref().unwrap_or(&a.end_date);
        let new = NewAssignment {
            batch_id: batch.id.clone(),
            person_id: a.person_id.clone(),
            institution_id: a.institution_id.clone(),
            department_id: a.department_id.clone(),
            mode: a.mode,
            post: a.post,
            weekdays: Weekdays::parse(&a.weekdays).unwrap_or(Weekdays::ALL),
            start_date: date(&a.start_date) + shift,
            end_date: (date(end) + shift).min(new.end_date),
        };
        create_assignment_on(&mut tx, actor, &new).await?;
        n += 1;
    }
    let batch = record::get_on::<Batches>(&mut tx, &batch.id).await?;
    tx.commit().await?;
    Ok((batch, n))
}

/// Where an expert is today: the assignment that has them on site today (else one running
/// today), whether they have checked in and whether today is a day of leave.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TodayDuty {
    #[schema(format = Date)]
    pub date: String,
    pub assignment: Assignment,
    /// Whether today is a planned day on site under the assignment's pattern.
    pub planned: bool,
    pub checked_in: Option<ServiceDay>,
    pub on_leave: bool,
}
