//! Teaching activities (教学查房, lectures, case discussions…) and their attendance.

use super::{CapacityFilter, Collection, Ref, json, money_totals};
use crate::query::{self, Arg, int, opt_text, text};
use crate::record::Table;
use crate::{Db, Result};
use shanhai_domain::access::Reach;
use shanhai_domain::capacity::*;
use sqlx::any::AnyRow;

capacity_table!(
    TeachingActivities,
    TeachingActivity,
    "teaching_activities",
    "teaching_activity",
    "t.*, i.name AS institution_name, h.name AS host_name",
    "teaching_activities t JOIN institutions i ON i.id = t.institution_id \
     LEFT JOIN people h ON h.id = t.host_id",
    "error.conflict",
    decode_teaching
);

fn decode_teaching(row: &AnyRow) -> Result<TeachingActivity> {
    Ok(TeachingActivity {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        department_id: opt_text(row, "department_id")?,
        kind: query::code(row, "kind", TeachingKind::parse)?,
        held_on: text(row, "held_on")?,
        host_id: opt_text(row, "host_id")?,
        host_name: opt_text(row, "host_name")?,
        place: opt_text(row, "place")?,
        online: int(row, "online")? != 0,
        topic: text(row, "topic")?,
        duration_minutes: int(row, "duration_minutes")?,
        attendance: int(row, "attendance")?,
        attendee_ids: query::json_list(row, "attendee_ids")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for TeachingActivities {
    type New = NewTeachingActivity;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "department_id",
        "kind",
        "held_on",
        "host_id",
        "place",
        "online",
        "topic",
        "duration_minutes",
        "attendance",
        "attendee_ids",
    ];
    const SEARCH: &'static [&'static str] = &["t.topic", "h.name", "t.place"];
    const ORDER: &'static str = "t.held_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.kind");
    const PERSON: &'static [&'static str] = &["t.host_id"];
    const PERSON_LIST: Option<&'static str> = Some("t.attendee_ids");
    const DATE: &'static str = "t.held_on";

    fn args(n: &NewTeachingActivity) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.department_id.clone().into(),
            n.kind.code().into(),
            shanhai_domain::validate::iso_date(n.held_on).into(),
            n.host_id.clone().into(),
            n.place.clone().into(),
            i64::from(n.online).into(),
            n.topic.clone().into(),
            n.duration_minutes.into(),
            n.attendance.into(),
            json(&n.attendee_ids),
        ]
    }

    fn refs(n: &NewTeachingActivity) -> Vec<Ref<'_>> {
        let mut refs: Vec<Ref<'_>> = n
            .attendee_ids
            .iter()
            .map(|a| Ref::Person("attendee_ids", a))
            .collect();
        if let Some(h) = &n.host_id {
            refs.push(Ref::Person("host_id", h));
        }
        if let Some(d) = &n.department_id {
            refs.push(Ref::Department("department_id", d, &n.institution_id));
        }
        refs
    }
}

/// The people attending the teaching activities the filter selects (人次), summed.
pub async fn attendance_total(db: &Db, f: &CapacityFilter) -> Result<i64> {
    Ok(
        money_totals::<TeachingActivities>(db, "t.attendance", f, &Reach::All)
            .await?
            .amount_fen,
    )
}
