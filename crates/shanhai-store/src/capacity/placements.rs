//! Placements (进修): local staff sent to train at a host institution.

use super::{Collection, Ref, date_arg};
use crate::Result;
use crate::query::{self, Arg, opt_text, text};
use crate::record::Table;
use shanhai_domain::capacity::*;
use sqlx::any::AnyRow;

capacity_table!(
    Placements,
    Placement,
    "placements",
    "placement",
    "t.*, i.name AS institution_name, p.name AS person_name, h.name AS host_institution_name",
    "placements t JOIN institutions i ON i.id = t.institution_id JOIN people p ON p.id = t.person_id \
     JOIN institutions h ON h.id = t.host_institution_id",
    "error.conflict",
    decode_placement
);

fn decode_placement(row: &AnyRow) -> Result<Placement> {
    Ok(Placement {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        person_id: text(row, "person_id")?,
        person_name: opt_text(row, "person_name")?,
        host_institution_id: text(row, "host_institution_id")?,
        host_institution_name: opt_text(row, "host_institution_name")?,
        host_department_id: opt_text(row, "host_department_id")?,
        subject: text(row, "subject")?,
        start_date: text(row, "start_date")?,
        end_date: opt_text(row, "end_date")?,
        status: query::code(row, "status", PlacementStatus::parse)?,
        outcome: opt_text(row, "outcome")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for Placements {
    type New = NewPlacement;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "person_id",
        "host_institution_id",
        "host_department_id",
        "subject",
        "start_date",
        "end_date",
        "status",
        "outcome",
    ];
    const SEARCH: &'static [&'static str] = &["t.subject", "p.name", "h.name"];
    const ORDER: &'static str = "t.start_date DESC, t.id";
    const KIND: Option<&'static str> = Some("t.status");
    const PERSON: &'static [&'static str] = &["t.person_id"];
    const DATE: &'static str = "t.start_date";

    fn args(n: &NewPlacement) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.person_id.clone().into(),
            n.host_institution_id.clone().into(),
            n.host_department_id.clone().into(),
            n.subject.clone().into(),
            n.start_date.to_string().into(),
            date_arg(n.end_date),
            n.status.code().into(),
            n.outcome.clone().into(),
        ]
    }

    fn refs(n: &NewPlacement) -> Vec<Ref<'_>> {
        let mut refs = vec![
            Ref::PersonAt("person_id", &n.person_id, &n.institution_id),
            Ref::Institution("host_institution_id", &n.host_institution_id),
        ];
        if let Some(d) = &n.host_department_id {
            refs.push(Ref::Department(
                "host_department_id",
                d,
                &n.host_institution_id,
            ));
        }
        refs
    }
}
