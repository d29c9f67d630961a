//! Remote consultations: the request with its protected patient details, the experts asked,
//! every transition with its time, and the signed opinions (never changed; amendments are new
//! versions).

use crate::audit::{self, Action, Actor};
use crate::crypto::PatientCipher;
use crate::query::{
    self, Filter, InstantRange, Page, PageRequest, fetch_page, int, opt_text, text,
};
use crate::row::{Decode, row};
use crate::{Db, Result, StoreError, institutions, people};
use shanhai_domain::Invalid;
use shanhai_domain::bookings::mask_name;
use shanhai_domain::codes::Gender;
use shanhai_domain::consultations::*;
use sqlx::AnyConnection;
use std::collections::BTreeSet;

const SELECT: &str =
    "c.*, ri.name AS requesting_institution_name, ti.name AS target_institution_name";
const FROM: &str = "consultations c JOIN institutions ri ON ri.id = c.requesting_institution_id \
    JOIN institutions ti ON ti.id = c.target_institution_id";

fn elapsed_since(rfc3339: &str) -> std::time::Duration {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .and_then(|t| {
            (chrono::Utc::now() - t.with_timezone(&chrono::Utc))
                .to_std()
                .ok()
        })
        .unwrap_or_default()
}

/// Whether the consultation is past its current deadline: the recorded deadlines when there are
/// some, else the default targets counted from the request.
fn past_due(
    urgency: Urgency,
    state: ConsultationState,
    requested_at: &str,
    accept_due_at: Option<&str>,
    report_due_at: Option<&str>,
) -> bool {
    let due = match state {
        ConsultationState::Requested => accept_due_at,
        ConsultationState::Accepted | ConsultationState::Scheduled | ConsultationState::Held => {
            report_due_at
        }
        _ => return false,
    };
    match due {
        Some(due) => crate::now().as_str() > due,
        None => Targets::default().is_overdue(urgency, state, elapsed_since(requested_at)),
    }
}

/// The SQL condition for "open and past its deadline", with the current time as `{}`.
const OVERDUE_SQL: &str = "((c.state = 'requested' AND c.accept_due_at < {}) \
    OR (c.state IN ('accepted', 'scheduled', 'held') AND c.report_due_at < {}))";

/// The program whose active pairing links the two institutions (either way round), if any.
pub async fn program_linking(conn: &mut AnyConnection, a: &str, b: &str) -> Result<Option<String>> {
    let row = query::sql_with(
        "SELECT program_id FROM pairings WHERE (donor_id = $1 AND recipient_id = $2) \
         OR (donor_id = $2 AND recipient_id = $1) ORDER BY start_date DESC LIMIT 1"
            .into(),
        vec![a.into(), b.into()],
    )
    .fetch_optional(conn)
    .await?;
    row.map(|r| text(&r, "program_id")).transpose()
}

/// The program's turnaround targets, or the defaults where it has set none.
pub async fn targets_on(conn: &mut AnyConnection, program_id: Option<&str>) -> Result<Targets> {
    let mut t = Targets::default();
    let Some(program_id) = program_id else {
        return Ok(t);
    };
    let rows = query::sql_with(
        "SELECT urgency, accept_minutes, report_minutes FROM consultation_targets WHERE program_id = $1"
            .into(),
        vec![program_id.into()],
    )
    .fetch_all(conn)
    .await?;
    for r in rows {
        let minutes = |col: &str| -> Result<std::time::Duration> {
            Ok(std::time::Duration::from_secs(
                u64::try_from(int(&r, col)?).unwrap_or(0) * 60,
            ))
        };
        match Urgency::parse(&text(&r, "urgency")?) {
            Some(Urgency::Urgent) => {
                t.urgent_accept = minutes("accept_minutes")?;
                t.urgent_report = minutes("report_minutes")?;
            }
            Some(Urgency::Routine) => {
                t.routine_accept = minutes("accept_minutes")?;
                t.routine_report = minutes("report_minutes")?;
            }
            None => {}
        }
    }
    Ok(t)
}

pub async fn targets(db: &Db, program_id: &str) -> Result<Targets> {
    let mut conn = db.pool().acquire().await?;
    targets_on(&mut conn, Some(program_id)).await
}

/// Sets a program's targets (audited, before and after). Consultations already filed keep the
/// deadlines they were given.
pub async fn set_targets(
    db: &Db,
    actor: &Actor,
    program_id: &str,
    targets: &Targets,
) -> Result<Targets> {
    let mut tx = db.begin_write().await?;
    crate::programs::get_on(&mut tx, program_id).await?;
    let before = targets_on(&mut tx, Some(program_id)).await?;
    let now = crate::now();
    for (urgency, (accept, report)) in [
        (Urgency::Urgent, targets.for_urgency(Urgency::Urgent)),
        (Urgency::Routine, targets.for_urgency(Urgency::Routine)),
    ] {
        let accept = i64::try_from(accept.as_secs() / 60).unwrap_or(i64::MAX);
        let report = i64::try_from(report.as_secs() / 60).unwrap_or(i64::MAX);
        let updated = query::sql_with(
            "UPDATE consultation_targets SET accept_minutes = $1, report_minutes = $2, updated_at = $3 \
             WHERE program_id = $4 AND urgency = $5"
                .into(),
            vec![
                accept.into(),
                report.into(),
                now.clone().into(),
                program_id.into(),
                urgency.code().into(),
            ],
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            query::sql_with(
                query::insert_sql(
                    "consultation_targets",
                    &[
                        "id",
                        "program_id",
                        "urgency",
                        "accept_minutes",
                        "report_minutes",
                        "created_at",
                        "updated_at",
                    ],
                ),
                vec![
                    shanhai_domain::ids::new_id().into(),
                    program_id.into(),
                    urgency.code().into(),
                    accept.into(),
                    report.into(),
                    now.clone().into(),
                    now.clone().into(),
                ],
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    audit::record(
        &mut tx,
        actor,
        Action::Update,
        "consultation_targets",
        program_id,
        Some(&TargetsInput::from(before)),
        Some(&TargetsInput::from(*targets)),
    )
    .await?;
    tx.commit().await?;
    Ok(*targets)
}

/// `at` plus `d`, as stored timestamps are written.
fn plus(at: &str, d: std::time::Duration) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| {
            (t.with_timezone(&chrono::Utc) + chrono::Duration::from_std(d).unwrap_or_default())
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        })
        .unwrap_or_else(|_| at.to_string())
}

row! {
    read Consultation(row) {
        id: text,
        r#type: code(ConsultationType::parse, "type"),
        urgency: code(Urgency::parse),
        state: code(ConsultationState::parse),
        requested_at: text,
        accept_due_at: opt_text,
        report_due_at: opt_text,
        overdue: {
            past_due(
                urgency,
                state,
                &requested_at,
                accept_due_at.as_deref(),
                report_due_at.as_deref(),
            )
        },
        program_id: opt_text,
        requesting_institution_id: text,
        requesting_institution_name: opt_text,
        requester_name: text,
        requester: { None },
        target_institution_id: text,
        target_institution_name: opt_text,
        target_specialty_code: opt_text,
        patient_name_masked: text,
        patient_id_number_masked: opt_text,
        patient_sex: code(Gender::parse),
        patient_age: int,
        case_summary: text,
        question: text,
        decline_reason: opt_text,
        scheduled_at: opt_text,
        decision: opt_text,
        updated_at: text,
        experts: { Vec::new() },
        opinions: { Vec::new() },
        events: { Vec::new() },
        attachments: { Vec::new() },
    }
}

/// The consultation with its experts, opinions and history.
pub async fn get_on(conn: &mut AnyConnection, id: &str) -> Result<Consultation> {
    let row = query::sql_with(
        format!("SELECT {SELECT} FROM {FROM} WHERE c.id = $1"),
        vec![id.into()],
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    let mut c = Consultation::decode(&row)?;
    let requester_id = text(&row, "requester_user_id")?;
    let experts = query::sql_with(
        "SELECT e.person_id, e.chair, p.name, i.name AS institution_name FROM consultation_experts e \
         JOIN people p ON p.id = e.person_id JOIN institutions i ON i.id = p.institution_id \
         WHERE e.consultation_id = $1 ORDER BY e.chair DESC, p.name"
            .into(),
        vec![id.into()],
    )
    .fetch_all(&mut *conn)
    .await?;
    c.experts = experts
        .iter()
        .map(|r| {
            Ok(ConsultationExpert {
                person_id: text(r, "person_id")?,
                name: opt_text(r, "name")?,
                institution_name: opt_text(r, "institution_name")?,
                chair: int(r, "chair")? != 0,
            })
        })
        .collect::<Result<_>>()?;
    let opinions = query::sql_with(
        "SELECT * FROM consultation_opinions WHERE consultation_id = $1 ORDER BY version".into(),
        vec![id.into()],
    )
    .fetch_all(&mut *conn)
    .await?;
    c.opinions = opinions
        .iter()
        .map(|r| {
            Ok(Opinion {
                version: int(r, "version")?,
                author_person_id: opt_text(r, "author_person_id")?,
                author_name: text(r, "author_name")?,
                author: None,
                text: text(r, "text")?,
                signed_at: text(r, "signed_at")?,
            })
        })
        .collect::<Result<_>>()?;
    let events = query::sql_with(
        "SELECT * FROM consultation_events WHERE consultation_id = $1 ORDER BY at, id".into(),
        vec![id.into()],
    )
    .fetch_all(&mut *conn)
    .await?;
    let actors = crate::actors::of_steps_on(conn, &events).await?;
    c.events = events
        .iter()
        .map(|r| {
            Ok(ConsultationEvent {
                action: text(r, "action")?,
                from_state: text(r, "from_state")?,
                to_state: text(r, "to_state")?,
                at: text(r, "at")?,
                actor_name: text(r, "actor_name")?,
                actor: None,
                detail: opt_text(r, "detail")?,
            })
        })
        .collect::<Result<_>>()?;
    // Who requested, who took each step and who signed: name, title and institution.
    for (e, actor) in c.events.iter_mut().zip(actors) {
        e.actor = actor;
    }
    c.requester = crate::actors::users_on(conn, [requester_id.as_str()])
        .await?
        .remove(&requester_id);
    let signers = crate::actors::people_on(
        conn,
        c.opinions
            .iter()
            .filter_map(|o| o.author_person_id.as_deref()),
    )
    .await?;
    for o in &mut c.opinions {
        o.author = o
            .author_person_id
            .as_ref()
            .and_then(|p| signers.get(p).cloned());
    }
    c.attachments = crate::attachments::list_on(conn, id).await?;
    Ok(c)
}

/// The consultation without auditing a read (for checks that show nothing of it).
pub async fn get(db: &Db, id: &str) -> Result<Consultation> {
    let mut conn = db.pool().acquire().await?;
    get_on(&mut conn, id).await
}

/// Reads a consultation with its patient details for someone entitled to them; the read is
/// audited.
/// Reads several consultations in full (each audited as a read of patient data), in order.
pub async fn read_many(db: &Db, actor: &Actor, ids: &[String]) -> Result<Vec<Consultation>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = db.begin_write().await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(get_on(&mut tx, id).await?);
        audit::record::<(), ()>(&mut tx, actor, Action::Read, "consultation", id, None, None)
            .await?;
    }
    tx.commit().await?;
    Ok(out)
}

pub async fn read(db: &Db, actor: &Actor, id: &str) -> Result<Consultation> {
    let mut tx = db.begin_write().await?;
    let c = get_on(&mut tx, id).await?;
    audit::record::<(), ()>(&mut tx, actor, Action::Read, "consultation", id, None, None).await?;
    tx.commit().await?;
    Ok(c)
}

/// Who takes part in the consultation, for the access policy.
pub async fn parties(db: &Db, id: &str) -> Result<Parties> {
    let row = query::sql_with(
        "SELECT requesting_institution_id, target_institution_id FROM consultations WHERE id = $1"
            .into(),
        vec![id.into()],
    )
    .fetch_optional(db.pool())
    .await?
    .ok_or(StoreError::NotFound)?;
    let experts = query::sql_with(
        "SELECT person_id FROM consultation_experts WHERE consultation_id = $1".into(),
        vec![id.into()],
    )
    .fetch_all(db.pool())
    .await?;
    Ok(Parties {
        requesting_institution_id: text(&row, "requesting_institution_id")?,
        target_institution_id: text(&row, "target_institution_id")?,
        expert_person_ids: experts
            .iter()
            .map(|r| text(r, "person_id"))
            .collect::<Result<_>>()?,
    })
}

/// Records a step of the timeline and tells the webhooks of both institutions, in the same
/// transaction (the event carries ids and states, never patient details).
async fn event(
    conn: &mut AnyConnection,
    id: &str,
    action: &str,
    from: &str,
    to: &str,
    actor: &Actor,
    note: Option<String>,
) -> Result<()> {
    let step = crate::record::Step {
        action,
        from,
        to,
        note,
    };
    crate::record::append_step(
        conn,
        "consultation_events",
        "consultation_id",
        "detail",
        id,
        actor,
        step,
    )
    .await?;
    let row = query::sql_with(
        "SELECT requesting_institution_id, target_institution_id FROM consultations WHERE id = $1"
            .into(),
        vec![id.into()],
    )
    .fetch_one(&mut *conn)
    .await?;
    let (a, b) = (
        text(&row, "requesting_institution_id")?,
        text(&row, "target_institution_id")?,
    );
    let name = format!("consultation.{to}");
    let payload = serde_json::json!({"event": name, "consultation_id": id, "action": action, "state": to, "at": crate::now()});
    crate::webhooks::enqueue(conn, &[a.as_str(), b.as_str()], &name, &payload).await
}

/// Files a request from `requesting_institution_id` by the signed-in requester.
pub async fn create(
    db: &Db,
    cipher: &PatientCipher,
    actor: &Actor,
    requester_name: &str,
    requesting_institution_id: &str,
    new: &NewConsultation,
) -> Result<Consultation> {
    let mut tx = db.begin_write().await?;
    institutions::require(
        &mut tx,
        "requesting_institution_id",
        requesting_institution_id,
    )
    .await?;
    institutions::require(&mut tx, "target_institution_id", &new.target_institution_id).await?;
    if new.target_institution_id == requesting_institution_id {
        return Err(Invalid::new("target_institution_id", "error.consult_own_institution").into());
    }
    for expert in &new.expert_ids {
        people::require(&mut tx, "expert_ids", expert).await?;
    }
    let id = shanhai_domain::ids::new_id();
    let now = crate::now();
    let program_id = program_linking(
        &mut tx,
        requesting_institution_id,
        &new.target_institution_id,
    )
    .await?;
    let (accept, report) = targets_on(&mut tx, program_id.as_deref())
        .await?
        .for_urgency(new.urgency);
    query::sql_with(
        query::insert_sql(
            "consultations",
            &[
                "program_id",
                "accept_due_at",
                "report_due_at",
                "id",
                "type",
                "urgency",
                "state",
                "requesting_institution_id",
                "requester_user_id",
                "requester_name",
                "target_institution_id",
                "target_specialty_code",
                "patient_name_enc",
                "patient_id_number_enc",
                "patient_name_masked",
                "patient_id_number_masked",
                "patient_sex",
                "patient_age",
                "case_summary",
                "question",
                "requested_at",
                "created_at",
                "updated_at",
            ],
        ),
        vec![
            program_id.into(),
            plus(&now, accept).into(),
            plus(&now, report).into(),
            id.clone().into(),
            new.kind.code().into(),
            new.urgency.code().into(),
            ConsultationState::Requested.code().into(),
            requesting_institution_id.into(),
            actor.user_id.clone().unwrap_or_default().into(),
            requester_name.into(),
            new.target_institution_id.clone().into(),
            new.target_specialty_code.clone().into(),
            cipher.encrypt(&new.patient_name).into(),
            new.patient_id_number
                .as_ref()
                .map(|n| cipher.encrypt(n.as_str()))
                .into(),
            mask_name(&new.patient_name).into(),
            new.patient_id_number.as_ref().map(|n| n.masked()).into(),
            new.patient_sex.code().into(),
            new.patient_age.into(),
            new.case_summary.clone().into(),
            new.question.clone().into(),
            now.clone().into(),
            now.clone().into(),
            now.into(),
        ],
    )
    .execute(&mut *tx)
    .await?;
    for (i, expert) in new.expert_ids.iter().enumerate() {
        query::sql_with(
            query::insert_sql(
                "consultation_experts",
                &[
                    "id",
                    "consultation_id",
                    "person_id",
                    "chair",
                    "created_at",
                    "updated_at",
                ],
            ),
            vec![
                shanhai_domain::ids::new_id().into(),
                id.clone().into(),
                expert.clone().into(),
                i64::from(i == 0).into(),
                crate::now().into(),
                crate::now().into(),
            ],
        )
        .execute(&mut *tx)
        .await?;
    }
    event(
        &mut tx,
        &id,
        "request",
        "",
        ConsultationState::Requested.code(),
        actor,
        None,
    )
    .await?;
    let created = get_on(&mut tx, &id).await?;
    audit::record::<(), _>(
        &mut tx,
        actor,
        Action::Create,
        "consultation",
        &id,
        None,
        Some(&created),
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

/// Moves a consultation through the state machine; an action the machine does not allow in
/// the current state is refused (409) and changes nothing.
pub async fn transition(
    db: &Db,
    actor: &Actor,
    author_person_id: Option<&str>,
    id: &str,
    action: ConsultationAction,
    detail: &TransitionDetail,
) -> Result<Consultation> {
    let mut tx = db.begin_write().await?;
    let before = get_on(&mut tx, id).await?;
    let next = shanhai_domain::consultations::transition(before.state, action)
        .ok_or(StoreError::Conflict("error.illegal_transition"))?;
    let (column, value, note): (Option<&str>, Option<String>, Option<String>) = match detail {
        TransitionDetail::Reason(r) => (Some("decline_reason"), Some(r.clone()), Some(r.clone())),
        TransitionDetail::ScheduledAt(t) => {
            (Some("scheduled_at"), Some(t.clone()), Some(t.clone()))
        }
        TransitionDetail::Decision(d) => (Some("decision"), Some(d.clone()), None),
        TransitionDetail::Opinion(_) | TransitionDetail::None => (None, None, None),
    };
    let mut sql = "UPDATE consultations SET state = $1, updated_at = $2".to_string();
    let mut args: Vec<query::Arg> = vec![next.code().into(), crate::now().into()];
    if let (Some(column), Some(value)) = (column, value) {
        sql.push_str(&format!(", {column} = $3"));
        args.push(value.into());
    }
    sql.push_str(&format!(
        " WHERE id = ${} AND state = ${}",
        args.len() + 1,
        args.len() + 2
    ));
    args.push(id.into());
    args.push(before.state.code().into());
    let changed = query::sql_with(sql, args)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if changed != 1 {
        return Err(StoreError::Conflict("error.illegal_transition"));
    }
    if let TransitionDetail::Opinion(opinion) = detail {
        let version = before.opinions.iter().map(|o| o.version).max().unwrap_or(0) + 1;
        let now = crate::now();
        query::sql_with(
            query::insert_sql(
                "consultation_opinions",
                &[
                    "id",
                    "consultation_id",
                    "version",
                    "author_person_id",
                    "author_name",
                    "text",
                    "signed_at",
                    "created_at",
                    "updated_at",
                ],
            ),
            vec![
                shanhai_domain::ids::new_id().into(),
                id.into(),
                version.into(),
                author_person_id.map(str::to_string).into(),
                actor.name.clone().into(),
                opinion.clone().into(),
                now.clone().into(),
                now.clone().into(),
                now.into(),
            ],
        )
        .execute(&mut *tx)
        .await?;
    }
    event(
        &mut tx,
        id,
        action.code(),
        before.state.code(),
        next.code(),
        actor,
        note,
    )
    .await?;
    let after = get_on(&mut tx, id).await?;
    audit::record(
        &mut tx,
        actor,
        Action::Update,
        "consultation",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Which consultations a list shows.
#[derive(Debug, Default, Clone)]
pub struct ConsultationFilter {
    pub state: Option<String>,
    /// Requested by or asked of this institution.
    pub institution: Option<String>,
    /// Requested by this institution only.
    pub requested_by: Option<String>,
    /// What the caller sees (the default sees nothing).
    pub scope: ConsultationScope,
    pub overdue_only: bool,
    /// The program linking the two hospitals.
    pub program: Option<String>,
    /// A type code (`mdt`, `difficult-case`…).
    pub kind: Option<String>,
    /// Requested on or after this date (`YYYY-MM-DD`) …
    pub from: Option<String>,
    /// … and on or before this one.
    pub until: Option<String>,
    /// Words in the question, the requester's name, either hospital's name or the masked
    /// patient name (the one search box).
    pub q: Option<String>,
    /// Only these consultations (`None`: any).
    pub ids: Option<BTreeSet<String>>,
    /// Only consultations in one of these states (`None`: any).
    pub states: Option<BTreeSet<String>>,
    /// Requested by one of these institutions (`None`: any).
    pub requesting_institutions: Option<BTreeSet<String>>,
    /// Asked of one of these institutions (`None`: any).
    pub target_institutions: Option<BTreeSet<String>>,
    /// Asked of one of these institutions, or with one of these people among the experts
    /// (`None`: any).
    pub performers: Option<BTreeSet<String>>,
    /// Requested within each of these ranges.
    pub requested: Vec<InstantRange>,
    /// Last changed within each of these ranges.
    pub updated: Vec<InstantRange>,
}

pub async fn list(
    db: &Db,
    f: &ConsultationFilter,
    page: PageRequest,
) -> Result<Page<Consultation>> {
    let mut filter = Filter::default();
    filter
        .eq("c.state", f.state.as_deref())
        .eq("c.program_id", f.program.as_deref())
        .eq("c.type", f.kind.as_deref())
        .eq("c.requesting_institution_id", f.requested_by.as_deref())
        .eq_any(
            &["c.requesting_institution_id", "c.target_institution_id"],
            f.institution.as_deref(),
        );
    // The SQL twin of `ConsultationScope::admits`; an absent institution or person is '' and
    // matches no row.
    if let ConsultationScope::Parties {
        institution_id,
        person_id,
    } = &f.scope
    {
        let institution = institution_id.clone().unwrap_or_default();
        let person = person_id.clone().unwrap_or_default();
        filter.raw_each(
            "(c.requesting_institution_id = {} OR c.target_institution_id = {} \
              OR c.id IN (SELECT consultation_id FROM consultation_experts WHERE person_id = {}))",
            vec![
                institution.clone().into(),
                institution.into(),
                person.into(),
            ],
        );
    }
    filter
        .within_opt("c.id", f.ids.as_ref())
        .within_opt("c.state", f.states.as_ref())
        .within_opt(
            "c.requesting_institution_id",
            f.requesting_institutions.as_ref(),
        )
        .within_opt("c.target_institution_id", f.target_institutions.as_ref())
        .instants("c.requested_at", &f.requested)
        .instants("c.updated_at", &f.updated);
    if let Some(performers) = &f.performers {
        if performers.is_empty() {
            filter.raw_each("1 = 0", vec![]);
        } else {
            let n = performers.len();
            let marks = vec!["{}"; n].join(", ");
            let mut values: Vec<query::Arg> = performers.iter().map(|p| p.into()).collect();
            values.extend(performers.iter().map(|p| p.into()));
            filter.raw_each(
                &format!(
                    "(c.target_institution_id IN ({marks}) OR c.id IN \
                     (SELECT consultation_id FROM consultation_experts WHERE person_id IN ({marks})))"
                ),
                values,
            );
        }
    }
    filter.dated("c.requested_at", f.from.as_deref(), f.until.as_deref());
    filter.search(
        &[
            "c.question",
            "c.requester_name",
            "ri.name",
            "ti.name",
            "c.patient_name_masked",
        ],
        f.q.as_deref(),
    );
    if f.overdue_only {
        let now = crate::now();
        filter.raw_each(OVERDUE_SQL, vec![now.clone().into(), now.into()]);
    }
    fetch_page(
        db.pool(),
        SELECT,
        FROM,
        &filter,
        "c.requested_at DESC, c.id",
        page,
        Consultation::decode,
    )
    .await
}

/// Consultations waiting for this person or institution to act: the consulted side's next step
/// until the report is signed, then the requester's decision.
pub async fn awaiting(
    db: &Db,
    institution_id: Option<&str>,
    person_id: Option<&str>,
) -> Result<Vec<Consultation>> {
    let (inst, person) = (
        institution_id.unwrap_or("").to_string(),
        person_id.unwrap_or("").to_string(),
    );
    let rows = query::sql_with(
        format!(
            "SELECT {SELECT} FROM {FROM} WHERE \
             ((c.target_institution_id = $1 OR c.id IN (SELECT consultation_id FROM consultation_experts WHERE person_id = $2)) \
               AND c.state IN ('requested', 'accepted', 'scheduled', 'held')) \
             OR (c.requesting_institution_id = $1 AND c.state = 'signed') \
             ORDER BY c.requested_at LIMIT 200"
        ),
        vec![inst.into(), person.into()],
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(Consultation::decode).collect()
}

/// Which consultations the figures count.
#[derive(Debug, Default, Clone)]
pub struct FiguresFilter {
    pub program: Option<String>,
    /// Requesting institutions in this region or below.
    pub region: Option<String>,
    /// Requested on or after this date (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Requested on or before this date.
    pub until: Option<String>,
}

/// De-identified figures: counts by type, state and institution, and turnaround against the
/// targets. Nothing about any patient.
pub async fn figures(db: &Db, f: &FiguresFilter) -> Result<ConsultationFigures> {
    let mut filter = Filter::default();
    filter.eq("c.program_id", f.program.as_deref());
    filter.in_region("ri.region_code", f.region.as_deref());
    filter.dated("c.requested_at", f.from.as_deref(), f.until.as_deref());
    let now = crate::now();
    let mut overdue = filter.clone();
    overdue.raw_each(OVERDUE_SQL, vec![now.clone().into(), now.into()]);
    let where_sql = filter.sql();
    let count_by = |column: &'static str| {
        let filter = filter.clone();
        let where_sql = where_sql.clone();
        async move {
            let rows = query::sql_with(
                format!(
                    "SELECT {column} AS k, COUNT(*) AS n FROM {FROM}{where_sql} GROUP BY {column}"
                ),
                filter.args.clone(),
            )
            .fetch_all(db.pool())
            .await?;
            rows.iter()
                .map(|r| Ok((text(r, "k")?, int(r, "n")?)))
                .collect::<Result<std::collections::BTreeMap<_, _>>>()
        }
    };
    let by_type = count_by("c.type").await?;
    let by_state = count_by("c.state").await?;
    // Turnaround: the first accept and the first signature against the deadlines.
    let row = query::sql_with(
        format!(
            "SELECT COUNT(*) AS total, \
             COALESCE(SUM(CASE WHEN c.urgency = 'urgent' THEN 1 ELSE 0 END), 0) AS urgent, \
             COALESCE(SUM(CASE WHEN acc.at IS NOT NULL THEN 1 ELSE 0 END), 0) AS accepted, \
             COALESCE(SUM(CASE WHEN acc.at IS NOT NULL AND acc.at <= c.accept_due_at THEN 1 ELSE 0 END), 0) AS accepted_on_time, \
             COALESCE(SUM(CASE WHEN sig.at IS NOT NULL THEN 1 ELSE 0 END), 0) AS reported, \
             COALESCE(SUM(CASE WHEN sig.at IS NOT NULL AND sig.at <= c.report_due_at THEN 1 ELSE 0 END), 0) AS reported_on_time \
             FROM {FROM} \
             LEFT JOIN (SELECT consultation_id, MIN(at) AS at FROM consultation_events WHERE action = 'accept' GROUP BY consultation_id) acc ON acc.consultation_id = c.id \
             LEFT JOIN (SELECT consultation_id, MIN(signed_at) AS at FROM consultation_opinions GROUP BY consultation_id) sig ON sig.consultation_id = c.id\
             {where_sql}"
        ),
        filter.args.clone(),
    )
    .fetch_one(db.pool())
    .await?;
    let overdue_row = query::sql_with(
        format!("SELECT COUNT(*) AS n FROM {FROM}{}", overdue.sql()),
        overdue.args.clone(),
    )
    .fetch_one(db.pool())
    .await?;
    let by_institution = |side: &'static str| {
        let filter = filter.clone();
        let where_sql = where_sql.clone();
        async move {
            let rows = query::sql_with(
                format!(
                    "SELECT {side}.id AS id, {side}.name AS name, COUNT(*) AS n FROM {FROM}{where_sql} \
                     GROUP BY {side}.id, {side}.name ORDER BY n DESC, name LIMIT 50"
                ),
                filter.args.clone(),
            )
            .fetch_all(db.pool())
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(InstitutionCount {
                        institution_id: text(r, "id")?,
                        name: text(r, "name")?,
                        count: int(r, "n")?,
                    })
                })
                .collect::<Result<Vec<_>>>()
        }
    };
    Ok(ConsultationFigures {
        total: int(&row, "total")?,
        by_type,
        by_state,
        urgent: int(&row, "urgent")?,
        reported: int(&row, "reported")?,
        overdue: int(&overdue_row, "n")?,
        accepted: int(&row, "accepted")?,
        accepted_on_time: int(&row, "accepted_on_time")?,
        reported_on_time: int(&row, "reported_on_time")?,
        by_target_institution: by_institution("ti").await?,
        by_requesting_institution: by_institution("ri").await?,
    })
}
