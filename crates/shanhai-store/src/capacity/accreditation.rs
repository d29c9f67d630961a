//! Accreditation goals (等级评审) and their status.

use super::{Collection, Ref, date_arg};
use crate::Result;
use crate::query::{self, Arg, opt_text, text};
use crate::record::Table;
use shanhai_domain::capacity::*;
use sqlx::any::AnyRow;

capacity_table!(
    AccreditationGoals,
    AccreditationGoal,
    "accreditation_goals",
    "accreditation_goal",
    "t.*, i.name AS institution_name",
    "accreditation_goals t JOIN institutions i ON i.id = t.institution_id",
    "error.conflict",
    decode_goal
);

fn decode_goal(row: &AnyRow) -> Result<AccreditationGoal> {
    Ok(AccreditationGoal {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        goal: query::code(row, "goal", AccreditationGoalKind::parse)?,
        status: query::code(row, "status", GoalStatus::parse)?,
        target_on: opt_text(row, "target_on")?,
        achieved_on: opt_text(row, "achieved_on")?,
        note: opt_text(row, "note")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for AccreditationGoals {
    type New = NewAccreditationGoal;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "goal",
        "status",
        "target_on",
        "achieved_on",
        "note",
    ];
    const SEARCH: &'static [&'static str] = &["i.name", "t.note"];
    const ORDER: &'static str = "i.name, t.goal, t.id";
    const KIND: Option<&'static str> = Some("t.status");
    const DATE: &'static str = "t.target_on";

    fn args(n: &NewAccreditationGoal) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.goal.code().into(),
            n.status.code().into(),
            date_arg(n.target_on),
            date_arg(n.achieved_on),
            n.note.clone().into(),
        ]
    }

    fn refs(_: &NewAccreditationGoal) -> Vec<Ref<'_>> {
        Vec::new()
    }
}
