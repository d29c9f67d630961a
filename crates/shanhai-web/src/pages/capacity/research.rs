//! Research outputs (grants, papers, patents, awards): the list and the form.

use super::*;

pub(super) struct ResearchS;
impl Section for ResearchS {
    type R = ResearchOutput;
    type T = ResearchOutputs;
    type I = ResearchOutputInput;
    const PATH: &'static str = "/research-outputs";
    const GROUP: &'static str = "specialty";
    const TITLE: &'static str = "ui.cap_research";
    const INTRO: &'static str = "ui.cap_specialty_intro";
    const NEW: &'static str = "ui.cap_new_research";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "ui.cap_research_title",
        "field.kind",
        "field.person_id",
        "field.institution_id",
        "field.venue",
        "field.dated_on",
        "ui.cap_amount",
    ];
    const KIND: Option<&'static str> = Some("field.kind");
    fn kinds(lang: Lang) -> Vec<(String, String)> {
        options_of!(ResearchKind, lang)
    }
    fn row(c: &Chrome, r: &ResearchOutput) -> Vec<Cell> {
        vec![
            cell(r.title.clone()),
            badge(r.kind.label(c.lang), "soft"),
            opt(&r.person_name),
            opt(&r.institution_name),
            opt(&r.venue),
            cell(r.dated_on.clone()),
            Cell {
                num: true,
                ..cell(r.amount_fen.map(money).unwrap_or_default())
            },
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            select(c, "kind", true, options_of!(ResearchKind, c.lang)),
            text(c, "title", true).label("ui.cap_research_title", c),
            pick(c, "person_id", true, c.local_picks(), ""),
            text(c, "venue", false),
            date(c, "dated_on", true),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn create(db: &Db, who: &Acting, input: &ResearchOutputInput) -> ServiceResult<String> {
        let created = service::research::create(db, who, input).await?;
        Ok(listed_at(Self::PATH, &created.institution_id))
    }
}
