//! Teaching activities (教学查房, 学术讲座, 手术示教…): the list and the form.

use super::*;

pub(super) struct TeachingS;
impl Section for TeachingS {
    type R = TeachingActivity;
    type T = TeachingActivities;
    type I = TeachingActivityInput;
    const PATH: &'static str = "/teaching-activities";
    const GROUP: &'static str = "teaching";
    const TITLE: &'static str = "ui.cap_teaching";
    const INTRO: &'static str = "ui.cap_teaching_intro";
    const NEW: &'static str = "ui.cap_new_teaching";
    const EMPTY: &'static str = "ui.cap_no_teaching";
    const HEADERS: &'static [&'static str] = &[
        "field.held_on",
        "field.kind",
        "field.topic",
        "field.institution_id",
        "field.host_id",
        "field.duration_minutes",
        "ui.cap_attendance",
    ];
    const KIND: Option<&'static str> = Some("field.kind");
    fn kinds(lang: Lang) -> Vec<(String, String)> {
        options_of!(TeachingKind, lang)
    }
    fn row(c: &Chrome, r: &TeachingActivity) -> Vec<Cell> {
        vec![
            cell(r.held_on.clone()),
            badge(r.kind.label(c.lang), "soft"),
            with_sub(
                cell(r.topic.clone()),
                if r.online {
                    Some(c.t("ui.cap_online"))
                } else {
                    r.place.clone()
                },
            ),
            opt(&r.institution_name),
            opt(&r.host_name),
            num(r.duration_minutes),
            num(r.attendance),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            select(c, "kind", true, options_of!(TeachingKind, c.lang)),
            text(c, "topic", true),
            date(c, "held_on", true),
            pick(
                c,
                "host_id",
                false,
                c.host_picks(),
                "specialty:department_id.specialty",
            ),
            pick(c, "department_id", false, c.department_picks(), ""),
            text(c, "place", false),
            Field::new(c, "online", "check", Json::Bool).label("ui.cap_online", c),
            number(c, "duration_minutes", true).default("60"),
            number(c, "attendance", false).help("ui.cap_attendance_help", c),
            select(c, "series_id", false, c.training.series.clone()),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn create(db: &Db, who: &Acting, input: &TeachingActivityInput) -> ServiceResult<String> {
        let created = service::teaching::create(db, who, input).await?;
        Ok(listed_at(Self::PATH, &created.institution_id))
    }
}
