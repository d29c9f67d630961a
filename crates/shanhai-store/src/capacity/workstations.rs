//! Expert workstations (专家工作站).

use super::{Collection, Ref};
use crate::record::Table;
use crate::row::row;
use shanhai_domain::capacity::*;

capacity_table!(
    Workstations,
    Workstation,
    "workstations",
    "workstation",
    "t.*, i.name AS institution_name, e.name AS lead_expert_name",
    "workstations t JOIN institutions i ON i.id = t.institution_id \
     LEFT JOIN people e ON e.id = t.lead_expert_id",
    "error.conflict"
);

row! {
    read Workstation(row) {
        id: text,
        program_id: opt_text,
        institution_id: text,
        institution_name: opt_text,
        department_id: opt_text,
        kind: code(WorkstationKind::parse),
        name: text,
        lead_expert_id: opt_text,
        lead_expert_name: opt_text,
        opened_on: text,
        visits: int,
        created_at: text,
        updated_at: text,
    }
    write NewWorkstation(n) {
        program_id: clone,
        institution_id: clone,
        department_id: clone,
        kind: code,
        name: clone,
        lead_expert_id: clone,
        opened_on: date,
        visits: copy,
    }
}

impl Collection for Workstations {
    type New = NewWorkstation;
    const SEARCH: &'static [&'static str] = &["t.name", "e.name"];
    const ORDER: &'static str = "t.opened_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.kind");
    const PERSON: &'static [&'static str] = &["t.lead_expert_id"];
    const DATE: &'static str = "t.opened_on";

    fn refs(n: &NewWorkstation) -> Vec<Ref<'_>> {
        let mut refs = Vec::new();
        if let Some(e) = &n.lead_expert_id {
            refs.push(Ref::Person("lead_expert_id", e));
        }
        if let Some(d) = &n.department_id {
            refs.push(Ref::Department("department_id", d, &n.institution_id));
        }
        refs
    }
}
