//! Placements (进修): local staff sent to train at a host institution.

use super::{Collection, Ref};
use crate::record::Table;
use crate::row::row;
use shanhai_domain::capacity::*;

capacity_table!(
    Placements,
    Placement,
    "placements",
    "placement",
    "t.*, i.name AS institution_name, p.name AS person_name, h.name AS host_institution_name",
    "placements t JOIN institutions i ON i.id = t.institution_id JOIN people p ON p.id = t.person_id \
     JOIN institutions h ON h.id = t.host_institution_id",
    "error.conflict"
);

row! {
    read Placement(row) {
        id: text,
        program_id: opt_text,
        institution_id: text,
        institution_name: opt_text,
        person_id: text,
        person_name: opt_text,
        host_institution_id: text,
        host_institution_name: opt_text,
        host_department_id: opt_text,
        subject: text,
        start_date: text,
        end_date: opt_text,
        status: code(PlacementStatus::parse),
        outcome: opt_text,
        created_at: text,
        updated_at: text,
    }
    write NewPlacement(n) {
        program_id: clone,
        institution_id: clone,
        person_id: clone,
        host_institution_id: clone,
        host_department_id: clone,
        subject: clone,
        start_date: date,
        end_date: opt_date,
        status: code,
        outcome: clone,
    }
}

impl Collection for Placements {
    type New = NewPlacement;
    const SEARCH: &'static [&'static str] = &["t.subject", "p.name", "h.name"];
    const ORDER: &'static str = "t.start_date DESC, t.id";
    const KIND: Option<&'static str> = Some("t.status");
    const PERSON: &'static [&'static str] = &["t.person_id"];
    const DATE: &'static str = "t.start_date";

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
