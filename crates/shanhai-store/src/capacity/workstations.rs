//! Expert workstations (专家工作站).

use super::{Collection, Ref};
use crate::Result;
use crate::query::{self, Arg, int, opt_text, text};
use crate::record::Table;
use shanhai_domain::capacity::*;
use sqlx::any::AnyRow;

capacity_table!(
    Workstations,
    Workstation,
    "workstations",
    "workstation",
    "t.*, i.name AS institution_name, e.name AS lead_expert_name",
    "workstations t JOIN institutions i ON i.id = t.institution_id \
     LEFT JOIN people e ON e.id = t.lead_expert_id",
    "error.conflict",
    decode_workstation
);

fn decode_workstation(row: &AnyRow) -> Result<Workstation> {
    Ok(Workstation {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        department_id: opt_text(row, "department_id")?,
        kind: query::code(row, "kind", WorkstationKind::parse)?,
        name: text(row, "name")?,
        lead_expert_id: opt_text(row, "lead_expert_id")?,
        lead_expert_name: opt_text(row, "lead_expert_name")?,
        opened_on: text(row, "opened_on")?,
        visits: int(row, "visits")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for Workstations {
    type New = NewWorkstation;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "department_id",
        "kind",
        "name",
        "lead_expert_id",
        "opened_on",
        "visits",
    ];
    const SEARCH: &'static [&'static str] = &["t.name", "e.name"];
    const ORDER: &'static str = "t.opened_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.kind");
    const PERSON: &'static [&'static str] = &["t.lead_expert_id"];
    const DATE: &'static str = "t.opened_on";

    fn args(n: &NewWorkstation) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.department_id.clone().into(),
            n.kind.code().into(),
            n.name.clone().into(),
            n.lead_expert_id.clone().into(),
            n.opened_on.to_string().into(),
            n.visits.into(),
        ]
    }

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
