//! Key-specialty and new-specialty projects: the list and the form.

use super::*;

pub(super) struct ProjectsS;
impl Section for ProjectsS {
    type R = SpecialtyProject;
    type T = SpecialtyProjects;
    type I = SpecialtyProjectInput;
    const PATH: &'static str = "/specialty-projects";
    const GROUP: &'static str = "specialty";
    const TITLE: &'static str = "ui.cap_projects";
    const INTRO: &'static str = "ui.cap_specialty_intro";
    const NEW: &'static str = "ui.cap_new_project";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "field.name",
        "ui.cap_project_level",
        "field.institution_id",
        "field.started_on",
        "field.milestones",
        "field.acceptance_result",
    ];
    const KIND: Option<&'static str> = Some("ui.cap_project_level");
    fn kinds(lang: Lang) -> Vec<(String, String)> {
        options_of!(SpecialtyLevel, lang)
    }
    fn row(c: &Chrome, r: &SpecialtyProject) -> Vec<Cell> {
        let done = r.milestones.iter().filter(|m| m.done_on.is_some()).count();
        vec![
            cell(r.name.clone()),
            badge(r.level.label(c.lang), "soft"),
            opt(&r.institution_name),
            cell(r.started_on.clone()),
            cell(format!("{done} / {}", r.milestones.len())),
            with_sub(
                badge(r.acceptance_result.label(c.lang), ""),
                r.accepted_on.clone(),
            ),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            text(c, "name", true),
            select(c, "level", true, options_of!(SpecialtyLevel, c.lang))
                .label("ui.cap_project_level", c),
            pick(c, "department_id", false, c.department_picks(), ""),
            date(c, "started_on", true),
            select(
                c,
                "acceptance_result",
                false,
                options_of!(AcceptanceResult, c.lang),
            ),
            date(c, "accepted_on", false),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn create(db: &Db, who: &Acting, input: &SpecialtyProjectInput) -> ServiceResult<String> {
        let created = service::specialty_projects::create(db, who, input).await?;
        Ok(listed_at(Self::PATH, &created.institution_id))
    }
}
