//! Specialty building projects (重点专科建设) and their milestones.

use super::{Collection, Ref};
use crate::record::Table;
use crate::row::row;
use shanhai_domain::capacity::*;

capacity_table!(
    SpecialtyProjects,
    SpecialtyProject,
    "specialty_projects",
    "specialty_project",
    "t.*, i.name AS institution_name",
    "specialty_projects t JOIN institutions i ON i.id = t.institution_id",
    "error.conflict"
);

row! {
    read SpecialtyProject(row) {
        id: text,
        program_id: opt_text,
        institution_id: text,
        institution_name: opt_text,
        department_id: opt_text,
        name: text,
        level: code(SpecialtyLevel::parse),
        started_on: text,
        milestones: json,
        acceptance_result: code(AcceptanceResult::parse),
        accepted_on: opt_text,
        created_at: text,
        updated_at: text,
    }
    write NewSpecialtyProject(n) {
        program_id: clone,
        institution_id: clone,
        department_id: clone,
        name: clone,
        level: code,
        started_on: date,
        milestones: json,
        acceptance_result: code,
        accepted_on: opt_date,
    }
}

impl Collection for SpecialtyProjects {
    type New = NewSpecialtyProject;
    const SEARCH: &'static [&'static str] = &["t.name"];
    const ORDER: &'static str = "t.started_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.level");
    const DATE: &'static str = "t.started_on";

    fn refs(n: &NewSpecialtyProject) -> Vec<Ref<'_>> {
        n.department_id
            .iter()
            .map(|d| Ref::Department("department_id", d, &n.institution_id))
            .collect()
    }
}
