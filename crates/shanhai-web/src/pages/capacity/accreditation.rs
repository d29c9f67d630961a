//! Accreditation goals (三甲, 千县工程, 提质达标): the list and the form.

use super::*;

pub(super) struct GoalsS;
impl Section for GoalsS {
    type R = AccreditationGoal;
    type T = AccreditationGoals;
    type I = AccreditationGoalInput;
    const PATH: &'static str = "/accreditation-goals";
    const GROUP: &'static str = "specialty";
    const TITLE: &'static str = "ui.cap_goals";
    const INTRO: &'static str = "ui.cap_specialty_intro";
    const NEW: &'static str = "ui.cap_new_goal";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "field.goal",
        "field.institution_id",
        "field.status",
        "field.target_on",
        "field.achieved_on",
        "field.note",
    ];
    const KIND: Option<&'static str> = Some("field.goal");
    fn kinds(lang: Lang) -> Vec<(String, String)> {
        options_of!(AccreditationGoalKind, lang)
    }
    fn row(c: &Chrome, r: &AccreditationGoal) -> Vec<Cell> {
        vec![
            cell(r.goal.label(c.lang)),
            opt(&r.institution_name),
            badge(
                r.status.label(c.lang),
                if r.achieved_on.is_some() {
                    "ok"
                } else {
                    "gold"
                },
            ),
            opt(&r.target_on),
            opt(&r.achieved_on),
            opt(&r.note),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            select(c, "goal", true, options_of!(AccreditationGoalKind, c.lang)),
            select(c, "status", true, options_of!(GoalStatus, c.lang)),
            date(c, "target_on", false),
            date(c, "achieved_on", false),
            text(c, "note", false),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn create(
        db: &Db,
        who: &Acting,
        input: &AccreditationGoalInput,
    ) -> ServiceResult<String> {
        let created = service::accreditation::create(db, who, input).await?;
        Ok(listed_at(Self::PATH, &created.institution_id))
    }
}
