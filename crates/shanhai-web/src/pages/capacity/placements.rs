//! 进修 placements: the list and the form.

use super::*;

pub(super) struct PlacementsS;
impl Section for PlacementsS {
    type R = Placement;
    type T = Placements;
    type I = PlacementInput;
    const PATH: &'static str = "/placements";
    const GROUP: &'static str = "placements";
    const TITLE: &'static str = "ui.cap_placements";
    const INTRO: &'static str = "ui.cap_placements_intro";
    const NEW: &'static str = "ui.cap_new_placement";
    const EMPTY: &'static str = "ui.cap_no_placements";
    const HEADERS: &'static [&'static str] = &[
        "field.person_id",
        "field.institution_id",
        "field.host_institution_id",
        "field.subject",
        "ui.cap_period",
        "field.status",
        "field.outcome",
    ];
    const KIND: Option<&'static str> = Some("field.status");
    fn kinds(lang: Lang) -> Vec<(String, String)> {
        options_of!(PlacementStatus, lang)
    }
    fn row(c: &Chrome, r: &Placement) -> Vec<Cell> {
        vec![
            opt(&r.person_name),
            opt(&r.institution_name),
            opt(&r.host_institution_name),
            cell(r.subject.clone()),
            cell(period(&r.start_date, &r.end_date)),
            badge(
                r.status.label(c.lang),
                if r.status == PlacementStatus::ALL[0] {
                    ""
                } else {
                    "ok"
                },
            ),
            opt(&r.outcome),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            pick(c, "person_id", true, c.local_picks(), ""),
            pick(c, "host_institution_id", true, c.hospital_picks(), ""),
            text(c, "subject", true),
            date(c, "start_date", true),
            date(c, "end_date", false),
            select(c, "status", false, options_of!(PlacementStatus, c.lang)),
            text(c, "outcome", false),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn create(db: &Db, who: &Acting, input: &PlacementInput) -> ServiceResult<String> {
        let created = service::placements::create(db, who, input).await?;
        Ok(listed_at(Self::PATH, &created.institution_id))
    }
}
