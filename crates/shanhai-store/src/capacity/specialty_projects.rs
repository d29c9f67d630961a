//! Specialty building projects (重点专科建设) and their milestones.

use super::{Collection, Ref, date_arg, json};
use crate::Result;
use crate::query::{self, Arg, opt_text, text};
use crate::record::Table;
use shanhai_domain::capacity::*;
use sqlx::any::AnyRow;

capacity_table!(
    SpecialtyProjects,
    SpecialtyProject,
    "specialty_projects",
    "specialty_project",
    "t.*, i.name AS institution_name",
    "specialty_projects t JOIN institutions i ON i.id = t.institution_id",
    "error.conflict",
    decode_specialty_project
);

fn decode_specialty_project(row: &AnyRow) -> Result<SpecialtyProject> {
    Ok(SpecialtyProject {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        department_id: opt_text(row, "department_id")?,
        name: text(row, "name")?,
        level: query::code(row, "level", SpecialtyLevel::parse)?,
        started_on: text(row, "started_on")?,
        milestones: serde_json::from_str(&text(row, "milestones")?).unwrap_or_default(),
        acceptance_result: query::code(row, "acceptance_result", AcceptanceResult::parse)?,
        accepted_on: opt_text(row, "accepted_on")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for SpecialtyProjects {
    type New = NewSpecialtyProject;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "department_id",
        "name",
        "level",
        "started_on",
        "milestones",
        "acceptance_result",
        "accepted_on",
    ];
    const SEARCH: &'static [&'static str] = &["t.name"];
    const ORDER: &'static str = "t.started_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.level");
    const DATE: &'static str = "t.started_on";

    fn args(n: &NewSpecialtyProject) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.department_id.clone().into(),
            n.name.clone().into(),
            n.level.code().into(),
            n.started_on.to_string().into(),
            json(&n.milestones),
            n.acceptance_result.code().into(),
            date_arg(n.accepted_on),
        ]
    }

    fn refs(n: &NewSpecialtyProject) -> Vec<Ref<'_>> {
        n.department_id
            .iter()
            .map(|d| Ref::Department("department_id", d, &n.institution_id))
            .collect()
    }
}
