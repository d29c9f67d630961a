//! Outreach events (义诊, 巡回诊疗, 健康讲座/科普, 筛查), their experts and the clinic sessions
//! held at them.

use super::{CapacityFilter, Collection, Ref, check};
use crate::audit::{self, Action, Actor};
use crate::query::{self, Arg, Page, PageRequest, opt_text, text};
use crate::record::{self, Table};
use crate::row::{Columns, row};
use crate::{Db, Result, StoreError, regions};
use shanhai_domain::Invalid;
use shanhai_domain::access::Reach;
use shanhai_domain::capacity::*;
use sqlx::AnyConnection;

capacity_table!(
    OutreachEvents,
    OutreachEvent,
    "outreach_events",
    "outreach_event",
    "t.*, i.name AS institution_name, r.name AS region_name, \
     dn.name AS donor_institution_name, vi.name AS via_institution_name",
    "outreach_events t JOIN institutions i ON i.id = t.institution_id \
     LEFT JOIN regions r ON r.code = t.region_code \
     LEFT JOIN institutions dn ON dn.id = t.donor_institution_id \
     LEFT JOIN institutions vi ON vi.id = t.via_institution_id",
    "error.conflict"
);

row! {
    read OutreachEvent(row) {
        id: text,
        program_id: opt_text,
        institution_id: text,
        institution_name: opt_text,
        kind: code(OutreachKind::parse),
        held_on: text,
        title: opt_text,
        place_kind: code(PlaceKind::parse),
        place_name: text,
        region_code: text,
        region_name: opt_text,
        donor_institution_id: opt_text,
        donor_institution_name: opt_text,
        via_institution_id: opt_text,
        via_institution_name: opt_text,
        people_served: int,
        screenings: int,
        referrals: int,
        local_staff: int,
        experts: { Vec::new() },
        note: opt_text,
        created_at: text,
        updated_at: text,
    }
    write NewOutreachEvent(n) {
        program_id: clone,
        institution_id: clone,
        kind: code,
        held_on: { shanhai_domain::validate::iso_date(n.held_on).into() },
        title: clone,
        place_kind: code,
        place_name: clone,
        region_code: clone,
        donor_institution_id: clone,
        via_institution_id: clone,
        people_served: copy,
        screenings: copy,
        referrals: copy,
        local_staff: copy,
        note: clone,
    }
}

impl Collection for OutreachEvents {
    type New = NewOutreachEvent;
    const SEARCH: &'static [&'static str] = &["t.place_name", "t.title", "r.name"];
    const ORDER: &'static str = "t.held_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.kind");
    const DATE: &'static str = "t.held_on";
    const REGION: &'static str = "t.region_code";

    fn refs(n: &NewOutreachEvent) -> Vec<Ref<'_>> {
        let mut refs: Vec<Ref<'_>> = Vec::new();
        if let Some(d) = &n.donor_institution_id {
            refs.push(Ref::Institution("donor_institution_id", d));
        }
        if let Some(v) = &n.via_institution_id {
            refs.push(Ref::Institution("via_institution_id", v));
        }
        refs.extend(n.expert_ids.iter().map(|e| Ref::Person("expert_ids", e)));
        refs
    }
}

/// Every reference of a new event, the place's region included.
async fn check_new(conn: &mut AnyConnection, new: &NewOutreachEvent) -> Result<()> {
    regions::require(conn, "region_code", &new.region_code).await?;
    let mut refs = vec![Ref::Institution("institution_id", &new.institution_id)];
    if let Some(p) = &new.program_id {
        refs.push(Ref::Program(p));
    }
    refs.extend(OutreachEvents::refs(new));
    check(conn, refs).await
}

/// The experts of some events, by event id.
async fn experts_of(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<std::collections::HashMap<String, Vec<OutreachExpert>>> {
    let mut out: std::collections::HashMap<String, Vec<OutreachExpert>> = Default::default();
    if ids.is_empty() {
        return Ok(out);
    }
    let marks: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
    let rows = query::sql_with(
        format!(
            "SELECT x.event_id, p.id AS person_id, p.name, p.title, p.institution_id, \
             i.name AS institution_name FROM outreach_event_experts x \
             JOIN people p ON p.id = x.person_id JOIN institutions i ON i.id = p.institution_id \
             WHERE x.event_id IN ({}) ORDER BY p.name, p.id",
            marks.join(", ")
        ),
        ids.iter().map(|i| Arg::from(i.clone())).collect(),
    )
    .fetch_all(&mut *conn)
    .await?;
    for r in &rows {
        out.entry(text(r, "event_id")?)
            .or_default()
            .push(OutreachExpert {
                person_id: text(r, "person_id")?,
                name: text(r, "name")?,
                title: text(r, "title")?,
                institution_id: text(r, "institution_id")?,
                institution_name: opt_text(r, "institution_name")?,
            });
    }
    Ok(out)
}

async fn with_experts(conn: &mut AnyConnection, events: &mut [OutreachEvent]) -> Result<()> {
    let ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
    let mut experts = experts_of(conn, &ids).await?;
    for e in events.iter_mut() {
        e.experts = experts.remove(&e.id).unwrap_or_default();
    }
    Ok(())
}

async fn set_experts(conn: &mut AnyConnection, id: &str, expert_ids: &[String]) -> Result<()> {
    query::sql_with(
        "DELETE FROM outreach_event_experts WHERE event_id = $1".into(),
        vec![id.into()],
    )
    .execute(&mut *conn)
    .await?;
    for p in expert_ids {
        query::sql_with(
            "INSERT INTO outreach_event_experts (event_id, person_id) VALUES ($1, $2)".into(),
            vec![id.into(), p.clone().into()],
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// One event with its experts.
pub async fn get_outreach_event_on(conn: &mut AnyConnection, id: &str) -> Result<OutreachEvent> {
    let mut e = record::get_on::<OutreachEvents>(conn, id).await?;
    with_experts(conn, std::slice::from_mut(&mut e)).await?;
    Ok(e)
}

pub async fn get_outreach_event(db: &Db, id: &str) -> Result<OutreachEvent> {
    get_outreach_event_on(&mut *db.pool().acquire().await?, id).await
}

/// The events the filters select, with their experts.
pub async fn list_outreach_events(
    db: &Db,
    f: &CapacityFilter,
    reach: &Reach,
    page: PageRequest,
) -> Result<Page<OutreachEvent>> {
    let mut items = super::list::<OutreachEvents>(db, f, reach, page).await?;
    with_experts(&mut *db.pool().acquire().await?, &mut items.items).await?;
    Ok(items)
}

/// Creates an event and names its experts, inside the caller's transaction (the demo loader
/// and the import write many this way).
pub async fn create_outreach_event_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    new: &NewOutreachEvent,
) -> Result<OutreachEvent> {
    check_new(conn, new).await?;
    let created =
        record::insert::<OutreachEvents>(conn, actor, NewOutreachEvent::COLUMNS, new.args())
            .await?;
    set_experts(conn, &created.id, &new.expert_ids).await?;
    get_outreach_event_on(conn, &created.id).await
}

pub async fn create_outreach_event(
    db: &Db,
    actor: &Actor,
    new: &NewOutreachEvent,
) -> Result<OutreachEvent> {
    let mut tx = db.begin_write().await?;
    let created = create_outreach_event_on(&mut tx, actor, new).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn update_outreach_event(
    db: &Db,
    actor: &Actor,
    id: &str,
    new: &NewOutreachEvent,
) -> Result<OutreachEvent> {
    let mut tx = db.begin_write().await?;
    record::get_on::<OutreachEvents>(&mut tx, id).await?;
    check_new(&mut tx, new).await?;
    record::update::<OutreachEvents>(&mut tx, actor, id, NewOutreachEvent::COLUMNS, new.args())
        .await?;
    set_experts(&mut tx, id, &new.expert_ids).await?;
    let after = get_outreach_event_on(&mut tx, id).await?;
    tx.commit().await?;
    Ok(after)
}

/// Deletes an event: its experts go with it, its sessions stay and lose the link.
pub async fn delete_outreach_event(db: &Db, actor: &Actor, id: &str) -> Result<()> {
    let mut tx = db.begin_write().await?;
    record::get_on::<OutreachEvents>(&mut tx, id).await?;
    query::sql_with(
        "UPDATE clinic_sessions SET outreach_event_id = NULL WHERE outreach_event_id = $1".into(),
        vec![id.into()],
    )
    .execute(&mut *tx)
    .await?;
    query::sql_with(
        "DELETE FROM outreach_event_experts WHERE event_id = $1".into(),
        vec![id.into()],
    )
    .execute(&mut *tx)
    .await?;
    record::delete::<OutreachEvents>(&mut tx, actor, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Links a clinic session to an event (or unlinks it: `None`). Only outreach sessions
/// (义诊, 巡回诊疗) belong to an event.
pub async fn link_session(
    db: &Db,
    actor: &Actor,
    session_id: &str,
    event_id: Option<&str>,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let session = match crate::clinic_sessions::get_on(&mut tx, session_id).await {
        Err(StoreError::NotFound) => {
            return Err(Invalid::new("session_id", "error.unknown_session").into());
        }
        other => other?,
    };
    if let Some(e) = event_id {
        match record::get_on::<OutreachEvents>(&mut tx, e).await {
            Err(StoreError::NotFound) => {
                return Err(
                    Invalid::new("outreach_event_id", "error.unknown_outreach_event").into(),
                );
            }
            other => other?,
        };
        use shanhai_domain::clinic_sessions::VisitType;
        if !matches!(
            session.visit_type,
            VisitType::FreeClinic | VisitType::Circuit
        ) {
            return Err(Invalid::new("session_id", "error.outreach_session_not_outreach").into());
        }
    }
    let before = session.outreach_event_id.clone();
    query::sql_with(
        "UPDATE clinic_sessions SET outreach_event_id = $1 WHERE id = $2".into(),
        vec![event_id.map(str::to_string).into(), session_id.into()],
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Action::Update,
        "clinic_session",
        session_id,
        Some(&serde_json::json!({ "outreach_event_id": before })),
        Some(&serde_json::json!({ "outreach_event_id": event_id })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The clinic sessions held at an event.
pub async fn sessions_of(
    db: &Db,
    event_id: &str,
) -> Result<Vec<shanhai_domain::clinic_sessions::ClinicSession>> {
    use crate::clinic_sessions::ClinicSessions;
    let rows = query::sql_with(
        format!(
            "SELECT {} FROM {} WHERE c.outreach_event_id = $1 ORDER BY c.date, c.start_time, c.id",
            ClinicSessions::SELECT,
            ClinicSessions::FROM
        ),
        vec![event_id.into()],
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(<shanhai_domain::clinic_sessions::ClinicSession as crate::row::Decode>::decode)
        .collect()
}
