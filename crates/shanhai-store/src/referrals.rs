//! Two-way referrals: the request with protected patient details, each step with its time
//! (the arrival notice is the `arrive` event the sender sees), and the figures that follow.

use crate::audit::{self, Action, Actor};
use crate::crypto::PatientCipher;
use crate::query::{
    self, Filter, InstantRange, Page, PageRequest, fetch_page, int, opt_text, text,
};
use crate::row::{Decode, row};
use crate::{Db, Result, StoreError, departments, institutions};
use shanhai_domain::Invalid;
use shanhai_domain::bookings::mask_name;
use shanhai_domain::codes::Gender;
use shanhai_domain::consultations::Urgency;
use shanhai_domain::referrals::*;
use sqlx::AnyConnection;
use std::collections::BTreeSet;

const SELECT: &str = "r.*, fi.name AS from_institution_name, ti.name AS to_institution_name";
const FROM: &str = "referrals r JOIN institutions fi ON fi.id = r.from_institution_id \
    JOIN institutions ti ON ti.id = r.to_institution_id";

row! {
    read Referral(row) {
        id: text,
        direction: code(Direction::parse),
        urgency: code(Urgency::parse),
        state: code(ReferralState::parse),
        from_institution_id: text,
        from_institution_name: opt_text,
        sender_name: text,
        sender: { None },
        to_institution_id: text,
        to_institution_name: opt_text,
        to_department_id: opt_text,
        receiving_coordinator_id: opt_text,
        patient_name_masked: text,
        patient_id_number_masked: opt_text,
        patient_sex: code(Gender::parse),
        patient_age: int,
        reason: text,
        consultation_id: opt_text,
        clinic_session_id: opt_text,
        program_id: opt_text,
        leaves_region: bool,
        appointment_at: opt_text,
        ward: opt_text,
        contact_name: opt_text,
        contact_phone: opt_text,
        created_at: text,
        updated_at: text,
        events: { Vec::new() },
    }
}

pub async fn get_on(conn: &mut AnyConnection, id: &str) -> Result<Referral> {
    let row = query::sql_with(
        format!("SELECT {SELECT} FROM {FROM} WHERE r.id = $1"),
        vec![id.into()],
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    let mut r = Referral::decode(&row)?;
    let sender_id = text(&row, "sender_user_id")?;
    let events = query::sql_with(
        "SELECT * FROM referral_events WHERE referral_id = $1 ORDER BY at, id".into(),
        vec![id.into()],
    )
    .fetch_all(&mut *conn)
    .await?;
    let actors = crate::actors::of_steps_on(conn, &events).await?;
    r.events = events
        .iter()
        .zip(actors)
        .map(|(e, actor)| {
            Ok(ReferralEvent {
                action: text(e, "action")?,
                from_state: text(e, "from_state")?,
                to_state: text(e, "to_state")?,
                at: text(e, "at")?,
                actor_name: text(e, "actor_name")?,
                actor,
                note: opt_text(e, "note")?,
            })
        })
        .collect::<Result<_>>()?;
    r.sender = crate::actors::users_on(conn, [sender_id.as_str()])
        .await?
        .remove(&sender_id);
    Ok(r)
}

/// The two institutions of a referral.
pub async fn parties(db: &Db, id: &str) -> Result<(String, String)> {
    let row = query::sql_with(
        "SELECT from_institution_id, to_institution_id FROM referrals WHERE id = $1".into(),
        vec![id.into()],
    )
    .fetch_optional(db.pool())
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok((
        text(&row, "from_institution_id")?,
        text(&row, "to_institution_id")?,
    ))
}

/// Reads several referrals in full (each audited as a read of patient data), in order.
pub async fn read_many(db: &Db, actor: &Actor, ids: &[String]) -> Result<Vec<Referral>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = db.begin_write().await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(get_on(&mut tx, id).await?);
        audit::record::<(), ()>(&mut tx, actor, Action::Read, "referral", id, None, None).await?;
    }
    tx.commit().await?;
    Ok(out)
}

pub async fn read(db: &Db, actor: &Actor, id: &str) -> Result<Referral> {
    let mut tx = db.begin_write().await?;
    let r = get_on(&mut tx, id).await?;
    audit::record::<(), ()>(&mut tx, actor, Action::Read, "referral", id, None, None).await?;
    tx.commit().await?;
    Ok(r)
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
        "referral_events",
        "referral_id",
        "note",
        id,
        actor,
        step,
    )
    .await?;
    let row = query::sql_with(
        "SELECT from_institution_id, to_institution_id FROM referrals WHERE id = $1".into(),
        vec![id.into()],
    )
    .fetch_one(&mut *conn)
    .await?;
    let (a, b) = (
        text(&row, "from_institution_id")?,
        text(&row, "to_institution_id")?,
    );
    let name = format!("referral.{to}");
    let payload = serde_json::json!({"event": name, "referral_id": id, "action": action, "state": to, "at": crate::now()});
    crate::webhooks::enqueue(conn, &[a.as_str(), b.as_str()], &name, &payload).await
}

pub async fn create(
    db: &Db,
    cipher: &PatientCipher,
    actor: &Actor,
    sender_name: &str,
    from: &str,
    new: &NewReferral,
) -> Result<Referral> {
    let mut tx = db.begin_write().await?;
    let sender = institutions::require(&mut tx, "from_institution_id", from).await?;
    let receiver =
        institutions::require(&mut tx, "to_institution_id", &new.to_institution_id).await?;
    if sender.id == receiver.id {
        return Err(Invalid::new("to_institution_id", "error.refer_own_institution").into());
    }
    for (field, institution) in [
        ("from_institution_id", &sender),
        ("to_institution_id", &receiver),
    ] {
        if !institution.kind.treats_patients() {
            return Err(Invalid::new(field, "error.referral_needs_care_provider").into());
        }
    }
    if let Some(d) = &new.to_department_id {
        departments::require_in(&mut tx, "to_department_id", d, &receiver.id).await?;
    }
    for (field, table, value) in [
        ("consultation_id", "consultations", &new.consultation_id),
        (
            "clinic_session_id",
            "clinic_sessions",
            &new.clinic_session_id,
        ),
    ] {
        if let Some(value) = value {
            query::sql_with(
                format!("SELECT id FROM {table} WHERE id = $1"),
                vec![value.into()],
            )
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| Invalid::new(field, "error.bad_reference"))?;
        }
    }
    let program_id =
        crate::consultations::program_linking(&mut tx, &sender.id, &receiver.id).await?;
    let leaves_region = new.direction == Direction::Up
        && sender.region_code.get(..2) != receiver.region_code.get(..2);
    let id = shanhai_domain::ids::new_id();
    let now = crate::now();
    query::sql_with(
        query::insert_sql(
            "referrals",
            &[
                "id",
                "direction",
                "urgency",
                "state",
                "from_institution_id",
                "sender_user_id",
                "sender_name",
                "to_institution_id",
                "to_department_id",
                "receiving_coordinator_id",
                "patient_name_enc",
                "patient_id_number_enc",
                "patient_name_masked",
                "patient_id_number_masked",
                "patient_sex",
                "patient_age",
                "reason",
                "consultation_id",
                "clinic_session_id",
                "program_id",
                "leaves_region",
                "created_at",
                "updated_at",
            ],
        ),
        vec![
            id.clone().into(),
            new.direction.code().into(),
            new.urgency.code().into(),
            ReferralState::Created.code().into(),
            sender.id.clone().into(),
            actor.user_id.clone().unwrap_or_default().into(),
            sender_name.into(),
            receiver.id.clone().into(),
            new.to_department_id.clone().into(),
            new.receiving_coordinator_id.clone().into(),
            cipher.encrypt(&new.patient_name).into(),
            new.patient_id_number
                .as_ref()
                .map(|n| cipher.encrypt(n.as_str()))
                .into(),
            mask_name(&new.patient_name).into(),
            new.patient_id_number.as_ref().map(|n| n.masked()).into(),
            new.patient_sex.code().into(),
            new.patient_age.into(),
            new.reason.clone().into(),
            new.consultation_id.clone().into(),
            new.clinic_session_id.clone().into(),
            program_id.into(),
            i64::from(leaves_region).into(),
            now.clone().into(),
            now.into(),
        ],
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            Invalid::new("consultation_id", "error.bad_reference").into()
        }
        _ => StoreError::Database(e),
    })?;
    event(
        &mut tx,
        &id,
        "create",
        "",
        ReferralState::Created.code(),
        actor,
        None,
    )
    .await?;
    let created = get_on(&mut tx, &id).await?;
    audit::record::<(), _>(
        &mut tx,
        actor,
        Action::Create,
        "referral",
        &id,
        None,
        Some(&created),
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn transition(
    db: &Db,
    actor: &Actor,
    id: &str,
    action: ReferralAction,
    step: ReferralStep,
) -> Result<Referral> {
    let mut tx = db.begin_write().await?;
    let before = get_on(&mut tx, id).await?;
    let next = shanhai_domain::referrals::transition(before.state, action)
        .ok_or(StoreError::Conflict("error.illegal_transition"))?;
    let mut columns = vec!["state", "updated_at"];
    let mut args: Vec<query::Arg> = vec![next.code().into(), crate::now().into()];
    if let Some(a) = step.acceptance {
        columns.extend(["appointment_at", "ward", "contact_name", "contact_phone"]);
        args.extend([
            a.appointment_at.into(),
            a.ward.into(),
            a.contact_name.into(),
            a.contact_phone.into(),
        ]);
    }
    args.extend([id.into(), before.state.code().into()]);
    let changed = query::sql_with(
        format!(
            "{} AND state = ${}",
            query::update_sql("referrals", &columns, "id"),
            args.len()
        ),
        args,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(StoreError::Conflict("error.illegal_transition"));
    }
    event(
        &mut tx,
        id,
        action.code(),
        before.state.code(),
        next.code(),
        actor,
        step.note,
    )
    .await?;
    let after = get_on(&mut tx, id).await?;
    audit::record(
        &mut tx,
        actor,
        Action::Update,
        "referral",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

#[derive(Debug, Default, Clone)]
pub struct ReferralFilter {
    pub state: Option<String>,
    pub direction: Option<String>,
    /// Sent from or to this institution.
    pub institution: Option<String>,
    /// Limit to referrals touching this institution (anyone but the platform admin).
    pub visible_to_institution: Option<String>,
    /// Sending institutions in this region or below.
    pub region: Option<String>,
    /// Either side in this program's pairings.
    pub program: Option<String>,
    pub from: Option<String>,
    pub until: Option<String>,
    /// `Some(true)`: only patients leaving the province; `Some(false)`: only those staying.
    pub leaves_region: Option<bool>,
    /// Sent from this institution.
    pub from_institution: Option<String>,
    /// Sent to this institution.
    pub to_institution: Option<String>,
    /// Only finished referrals (declined, referred back down, closed, cancelled).
    pub finished: bool,
    /// Words in the reason, the sender's name, either hospital's name or the masked patient
    /// name (the closed column's list, the one search box).
    pub q: Option<String>,
    /// Only these referrals (`None`: any).
    pub ids: Option<BTreeSet<String>>,
    /// Only referrals in one of these states (`None`: any).
    pub states: Option<BTreeSet<String>>,
    /// Sent from one of these institutions (`None`: any).
    pub from_institutions: Option<BTreeSet<String>>,
    /// Sent to one of these institutions (`None`: any).
    pub to_institutions: Option<BTreeSet<String>>,
    /// Created within each of these ranges.
    pub created: Vec<InstantRange>,
    /// Last changed within each of these ranges.
    pub updated: Vec<InstantRange>,
}

/// The `LIKE` pattern for a GB/T 2260 region and everything below it.
fn region_prefix(region: Option<&str>) -> Option<String> {
    let region = region.map(str::trim).filter(|r| !r.is_empty())?;
    let prefix = shanhai_domain::registry::RegionCode::parse("region", region)
        .map(|c| c.prefix().to_string())
        .unwrap_or_else(|_| region.to_string());
    Some(format!("{prefix}%"))
}

fn filter_of(f: &ReferralFilter) -> Filter {
    let mut filter = Filter::default();
    filter
        .eq("r.state", f.state.as_deref())
        .eq("r.direction", f.direction.as_deref())
        .eq("r.from_institution_id", f.from_institution.as_deref())
        .eq("r.to_institution_id", f.to_institution.as_deref())
        .eq_any(
            &["r.from_institution_id", "r.to_institution_id"],
            f.institution.as_deref(),
        )
        .eq_any(
            &["r.from_institution_id", "r.to_institution_id"],
            f.visible_to_institution.as_deref(),
        );
    filter
        .within_opt("r.id", f.ids.as_ref())
        .within_opt("r.state", f.states.as_ref())
        .within_opt("r.from_institution_id", f.from_institutions.as_ref())
        .within_opt("r.to_institution_id", f.to_institutions.as_ref())
        .instants("r.created_at", &f.created)
        .instants("r.updated_at", &f.updated);
    if f.finished {
        let finished: BTreeSet<String> = ReferralState::ALL
            .iter()
            .filter(|s| s.is_final())
            .map(|s| s.code().to_string())
            .collect();
        filter.within("r.state", &finished);
    }
    if let Some(prefix) = region_prefix(f.region.as_deref()) {
        // A region's referrals: those sent from it, and those coming back down into it.
        filter.raw_each(
            "(fi.region_code LIKE {} OR ti.region_code LIKE {})",
            vec![prefix.clone().into(), prefix.into()],
        );
    }
    // The program whose pairing links the two hospitals (recorded when the referral is made).
    filter.eq("r.program_id", f.program.as_deref());
    if let Some(leaves) = f.leaves_region {
        filter.raw("r.leaves_region = {}", i64::from(leaves).into());
    }
    filter.dated("r.created_at", f.from.as_deref(), f.until.as_deref());
    filter.search(
        &[
            "r.reason",
            "r.sender_name",
            "fi.name",
            "ti.name",
            "r.patient_name_masked",
        ],
        f.q.as_deref(),
    );
    filter
}

pub async fn list(db: &Db, f: &ReferralFilter, page: PageRequest) -> Result<Page<Referral>> {
    fetch_page(
        db.pool(),
        SELECT,
        FROM,
        &filter_of(f),
        "r.created_at DESC, r.id",
        page,
        Referral::decode,
    )
    .await
}

/// Counts for a program, region or period (no patient details).
pub async fn figures(db: &Db, f: &ReferralFilter) -> Result<ReferralFigures> {
    let mut filter = filter_of(f);
    // Within a region, up-referrals count where they were sent from and returns where the
    // patient came back to; without one, every referral counts.
    let (sent_here, back_here) = match region_prefix(f.region.as_deref()) {
        Some(prefix) => {
            let a = filter.next(prefix.clone().into());
            let b = filter.next(prefix.into());
            (
                format!("fi.region_code LIKE {a}"),
                format!("ti.region_code LIKE {b}"),
            )
        }
        None => ("1 = 1".to_string(), "1 = 1".to_string()),
    };
    let row = query::sql_with(
        format!(
            "SELECT COUNT(*) AS total, \
             COALESCE(SUM(CASE WHEN r.direction = 'up' AND {sent_here} THEN 1 ELSE 0 END), 0) AS up, \
             COALESCE(SUM(CASE WHEN r.direction = 'down' AND {back_here} THEN 1 ELSE 0 END), 0) AS down, \
             COALESCE(SUM(CASE WHEN r.direction = 'up' AND r.leaves_region = 1 AND {sent_here} THEN 1 ELSE 0 END), 0) AS leaving, \
             COALESCE(SUM(CASE WHEN r.direction = 'up' AND r.leaves_region = 0 AND {sent_here} THEN 1 ELSE 0 END), 0) AS staying, \
             COALESCE(SUM(CASE WHEN (r.direction = 'down' AND {back_here}) \
                 OR (r.state = 'down-referred' AND {sent_here}) THEN 1 ELSE 0 END), 0) AS returned \
             FROM {FROM}{}",
            filter.sql()
        ),
        filter.args.clone(),
    )
    .fetch_one(db.pool())
    .await?;
    Ok(ReferralFigures {
        total: int(&row, "total")?,
        up: int(&row, "up")?,
        down: int(&row, "down")?,
        leaving_region: int(&row, "leaving")?,
        staying_in_region: int(&row, "staying")?,
        returned: int(&row, "returned")?,
    })
}

/// Referrals waiting for the receiving institution to act.
pub async fn awaiting(db: &Db, institution_id: &str) -> Result<Vec<Referral>> {
    let rows = query::sql_with(
        format!(
            "SELECT {SELECT} FROM {FROM} WHERE r.to_institution_id = $1 \
             AND r.state IN ('created', 'accepted', 'arrived', 'treated') ORDER BY r.created_at LIMIT 200"
        ),
        vec![institution_id.into()],
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(Referral::decode).collect()
}
