//! Regulations (制度): the list and the form.

use super::*;

pub(super) struct RegulationsS;
impl Section for RegulationsS {
    type R = Regulation;
    type T = Regulations;
    type I = RegulationInput;
    const PATH: &'static str = "/regulations";
    const GROUP: &'static str = "specialty";
    const TITLE: &'static str = "ui.cap_regulations";
    const INTRO: &'static str = "ui.cap_specialty_intro";
    const NEW: &'static str = "ui.cap_new_regulation";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "ui.cap_regulation_title",
        "field.area",
        "field.institution_id",
        "field.adopted_on",
    ];
    fn row(_c: &Chrome, r: &Regulation) -> Vec<Cell> {
        vec![
            cell(r.title.clone()),
            badge(r.area.clone(), "soft"),
            opt(&r.institution_name),
            cell(r.adopted_on.clone()),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            text(c, "title", true).label("ui.cap_regulation_title", c),
            text(c, "area", true),
            date(c, "adopted_on", true),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn create(db: &Db, who: &Acting, input: &RegulationInput) -> ServiceResult<String> {
        let created = service::regulations::create(db, who, input).await?;
        Ok(listed_at(Self::PATH, &created.institution_id))
    }
}
