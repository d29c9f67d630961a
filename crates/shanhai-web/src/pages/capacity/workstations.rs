//! 名医工作室, 专家工作站 and co-built centres: the list and the form.

use super::*;

pub(super) struct WorkstationsS;
impl Section for WorkstationsS {
    type R = Workstation;
    type T = Workstations;
    type I = WorkstationInput;
    const PATH: &'static str = "/workstations";
    const GROUP: &'static str = "specialty";
    const TITLE: &'static str = "ui.cap_workstations";
    const INTRO: &'static str = "ui.cap_specialty_intro";
    const NEW: &'static str = "ui.cap_new_workstation";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "field.name",
        "field.kind",
        "field.institution_id",
        "field.lead_expert_id",
        "field.opened_on",
        "field.visits",
    ];
    const KIND: Option<&'static str> = Some("field.kind");
    fn kinds(lang: Lang) -> Vec<(String, String)> {
        options_of!(WorkstationKind, lang)
    }
    fn row(c: &Chrome, r: &Workstation) -> Vec<Cell> {
        vec![
            cell(r.name.clone()),
            badge(r.kind.label(c.lang), "soft"),
            opt(&r.institution_name),
            opt(&r.lead_expert_name),
            cell(r.opened_on.clone()),
            num(r.visits),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            text(c, "name", true),
            select(c, "kind", true, options_of!(WorkstationKind, c.lang)),
            pick(
                c,
                "lead_expert_id",
                false,
                c.expert_picks("doctor"),
                "specialty:department_id.specialty",
            ),
            pick(c, "department_id", false, c.department_picks(), ""),
            date(c, "opened_on", true),
            number(c, "visits", false),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn create(db: &Db, who: &Acting, input: &WorkstationInput) -> ServiceResult<String> {
        let created = service::workstations::create(db, who, input).await?;
        Ok(listed_at(Self::PATH, &created.institution_id))
    }
}
