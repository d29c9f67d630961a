//! Teaching activities (教学查房, lectures, case discussions…) and their attendance.

use super::{CapacityFilter, Collection, Ref, money_totals};
use crate::record::Table;
use crate::row::row;
use crate::{Db, Result};
use shanhai_domain::access::Reach;
use shanhai_domain::capacity::*;

capacity_table!(
    TeachingActivities,
    TeachingActivity,
    "teaching_activities",
    "teaching_activity",
    "t.*, i.name AS institution_name, h.name AS host_name, ls.name AS series_name",
    "teaching_activities t JOIN institutions i ON i.id = t.institution_id \
     LEFT JOIN people h ON h.id = t.host_id LEFT JOIN lecture_series ls ON ls.id = t.series_id",
    "error.conflict"
);

row! {
    read TeachingActivity(row) {
        id: text,
        program_id: opt_text,
        institution_id: text,
        institution_name: opt_text,
        department_id: opt_text,
        kind: code(TeachingKind::parse),
        held_on: text,
        host_id: opt_text,
        host_name: opt_text,
        place: opt_text,
        online: bool,
        topic: text,
        duration_minutes: int,
        attendance: int,
        attendee_ids: json_list,
        series_id: opt_text,
        series_name: opt_text,
        created_at: text,
        updated_at: text,
    }
    write NewTeachingActivity(n) {
        program_id: clone,
        institution_id: clone,
        department_id: clone,
        kind: code,
        held_on: { shanhai_domain::validate::iso_date(n.held_on).into() },
        host_id: clone,
        place: clone,
        online: bool,
        topic: clone,
        duration_minutes: copy,
        attendance: copy,
        attendee_ids: json,
        series_id: clone,
    }
}

impl Collection for TeachingActivities {
    type New = NewTeachingActivity;
    const SEARCH: &'static [&'static str] = &["t.topic", "h.name", "t.place"];
    const ORDER: &'static str = "t.held_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.kind");
    const PERSON: &'static [&'static str] = &["t.host_id"];
    const PERSON_LIST: Option<&'static str> = Some("t.attendee_ids");
    const DATE: &'static str = "t.held_on";
    const SERIES: Option<&'static str> = Some("t.series_id");

    fn refs(n: &NewTeachingActivity) -> Vec<Ref<'_>> {
        let mut refs: Vec<Ref<'_>> = n
            .attendee_ids
            .iter()
            .map(|a| Ref::Person("attendee_ids", a))
            .collect();
        if let Some(h) = &n.host_id {
            refs.push(Ref::Person("host_id", h));
        }
        if let Some(s) = &n.series_id {
            refs.push(Ref::Row(
                "series_id",
                "lecture_series",
                s,
                "error.unknown_series",
            ));
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
