//! 师带徒 mentorships: the list and form, and a mentorship's page with its apprentices and
//! progress notes and the forms that add them.

use super::*;

pub(super) struct MentorshipsS;
impl Section for MentorshipsS {
    type R = Mentorship;
    type T = Mentorships;
    type I = MentorshipInput;
    const PATH: &'static str = "/mentorships";
    const GROUP: &'static str = "mentorships";
    const TITLE: &'static str = "ui.cap_mentorships";
    const INTRO: &'static str = "ui.cap_mentorships_intro";
    const NEW: &'static str = "ui.cap_new_mentorship";
    const EMPTY: &'static str = "ui.cap_no_mentorships";
    const HEADERS: &'static [&'static str] = &[
        "field.mentor_id",
        "field.institution_id",
        "ui.cap_term",
        "field.subject",
        "ui.cap_apprentices",
        "field.evaluation",
    ];
    fn row(c: &Chrome, r: &Mentorship) -> Vec<Cell> {
        vec![
            link(
                r.mentor_name.clone().unwrap_or_default(),
                format!("/mentorships/{}", r.id),
            ),
            opt(&r.institution_name),
            cell(format!("{} ~ {}", r.term_start, r.term_end)),
            opt(&r.subject),
            num(r.apprentice_count),
            match r.evaluation {
                Some(e) => badge(e.label(c.lang), "ok"),
                None => cell(""),
            },
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            pick(
                c,
                "mentor_id",
                true,
                c.expert_picks("clinical"),
                "specialty:department_id.specialty",
            ),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
            pick(c, "department_id", false, c.department_picks(), ""),
            date(c, "term_start", true),
            date(c, "term_end", false).help("ui.cap_term_help", c),
            text(c, "subject", false),
        ]
    }
    async fn create(db: &Db, who: &Acting, input: &MentorshipInput) -> ServiceResult<String> {
        let created = service::mentorships::create(db, who, input).await?;
        Ok(format!("/mentorships/{}", created.id))
    }
}

// ---- one mentorship ----

#[derive(Template)]
#[template(path = "mentorship.html")]
struct MentorshipPage {
    c: Chrome,
    tabs: Vec<Tab>,
    d: MentorshipDetail,
    settings: CapacitySettings,
    can_write: bool,
    can_note: bool,
    candidates: Vec<(String, String)>,
    failed: Option<(&'static str, FormErrors)>,
    values: FormData,
}

impl MentorshipPage {
    fn m(&self) -> &Mentorship {
        &self.d.mentorship
    }

    fn err(&self, form: &str, field: &str) -> Option<String> {
        self.failed
            .as_ref()
            .filter(|(f, _)| *f == form)
            .and_then(|(_, e)| e.at(field))
    }

    fn alert(&self, form: &str) -> Option<String> {
        self.failed
            .as_ref()
            .filter(|(f, _)| *f == form)
            .map(|(_, e)| e.summary())
    }

    fn value(&self, form: &str, field: &str, default: &str) -> String {
        if self.failed.as_ref().is_some_and(|(f, _)| *f == form) {
            self.values.get(field)
        } else {
            default.to_string()
        }
    }
}

async fn mentorship_data(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    failed: Option<(&'static str, FormErrors)>,
    values: FormData,
) -> Result<MentorshipPage, ApiError> {
    let shown = service::mentorships::shown(&state.db, &viewer.acting(), id).await?;
    let c = Chrome::new(Some(viewer), NAV, format!("/mentorships/{id}"));
    let lang = c.lang;
    let candidates = shown
        .candidates
        .into_iter()
        .map(|p| {
            let mut s = format!("{} · {}", p.name, p.title.label(lang));
            if let Some(dn) = &p.department_name {
                s.push_str(" · ");
                s.push_str(dn);
            }
            (p.id, s)
        })
        .collect();
    Ok(MentorshipPage {
        tabs: tabs(&c, "mentorships"),
        settings: shown.settings,
        can_write: shown.may_write,
        can_note: shown.may_note,
        candidates,
        failed,
        values,
        d: shown.detail,
        c,
    })
}

pub(super) async fn mentorship_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
) -> Response {
    let result = match id_or_404(&raw) {
        Ok(id) => mentorship_data(&state, &viewer, &id, None, FormData::parse(b"")).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(mut page) => {
            page.c.here = here(&uri);
            render(&page)
        }
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

/// Adds an apprentice from the mentorship's page.
pub(super) async fn mentorship_apprentice(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    form: Form,
) -> Response {
    let input = ApprenticeInput {
        person_id: form.data.get("person_id"),
        joined_on: form.data.opt("joined_on"),
    };
    on_mentorship(&state, form, &raw, "apprentice", |db, who, id| async move {
        service::mentorships::add_apprentice(db, &who, &id, &input)
            .await
            .map(drop)
    })
    .await
}

/// Adds a progress note from the mentorship's page.
pub(super) async fn mentorship_note(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    form: Form,
) -> Response {
    let input = NoteInput {
        written_on: form.data.get("written_on"),
        note: form.data.get("note"),
    };
    on_mentorship(&state, form, &raw, "note", |db, who, id| async move {
        service::mentorships::add_note(db, &who, &id, &input)
            .await
            .map(drop)
    })
    .await
}

/// A form posted on a mentorship's page: runs `act` and goes back to the form on the page, or
/// shows the page again with every problem beside its field.
async fn on_mentorship<'a, Fut>(
    state: &'a AppState,
    Form { viewer, data }: Form,
    raw: &str,
    form_name: &'static str,
    act: impl FnOnce(&'a Db, Acting, String) -> Fut,
) -> Response
where
    Fut: Future<Output = ServiceResult<()>>,
{
    let back = format!("/mentorships/{raw}");
    let id = match id_or_404(raw) {
        Ok(id) => id,
        Err(e) => return error_page(&viewer, NAV, back, e),
    };
    let Err(e) = act(&state.db, viewer.acting(), id.clone()).await else {
        return Redirect::to(&format!("{back}#{form_name}")).into_response();
    };
    form_failed(&viewer, NAV, back, e.into(), REFUSED, |error| {
        mentorship_data(state, &viewer, &id, Some((form_name, error)), data)
    })
    .await
}
