//! Accreditation goals (等级评审) and their status.

use super::{Collection, Ref};
use crate::record::Table;
use crate::row::row;
use shanhai_domain::capacity::*;

capacity_table!(
    AccreditationGoals,
    AccreditationGoal,
    "accreditation_goals",
    "accreditation_goal",
    "t.*, i.name AS institution_name",
    "accreditation_goals t JOIN institutions i ON i.id = t.institution_id",
    "error.conflict"
);

row! {
    read AccreditationGoal(row) {
        id: text,
        program_id: opt_text,
        institution_id: text,
        institution_name: opt_text,
        goal: code(AccreditationGoalKind::parse),
        status: code(GoalStatus::parse),
        target_on: opt_text,
        achieved_on: opt_text,
        note: opt_text,
        created_at: text,
        updated_at: text,
    }
    write NewAccreditationGoal(n) {
        program_id: clone,
        institution_id: clone,
        goal: code,
        status: code,
        target_on: opt_date,
        achieved_on: opt_date,
        note: clone,
    }
}

impl Collection for AccreditationGoals {
    type New = NewAccreditationGoal;
    const SEARCH: &'static [&'static str] = &["i.name", "t.note"];
    const ORDER: &'static str = "i.name, t.goal, t.id";
    const KIND: Option<&'static str> = Some("t.status");
    const DATE: &'static str = "t.target_on";

    fn refs(_: &NewAccreditationGoal) -> Vec<Ref<'_>> {
        Vec::new()
    }
}
