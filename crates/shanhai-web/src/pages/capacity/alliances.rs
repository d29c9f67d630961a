//! Specialty alliances (专科联盟): the list and form, and an alliance's page with its members and
//! the form that adds one.

use super::*;

pub(super) struct AlliancesS;
impl Section for AlliancesS {
    type R = Alliance;
    type T = Alliances;
    type I = AllianceInput;
    const PATH: &'static str = "/alliances";
    const GROUP: &'static str = "specialty";
    const TITLE: &'static str = "ui.cap_alliances";
    const INTRO: &'static str = "ui.cap_specialty_intro";
    const NEW: &'static str = "ui.cap_new_alliance";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "field.name",
        "ui.cap_lead_institution",
        "field.specialty_code",
        "field.founded_on",
        "ui.cap_members",
    ];
    fn row(c: &Chrome, r: &Alliance) -> Vec<Cell> {
        vec![
            link(r.name.clone(), format!("/alliances/{}", r.id)),
            opt(&r.institution_name),
            cell(
                r.specialty_code
                    .as_deref()
                    .map(|s| c.specialty(s))
                    .unwrap_or_default(),
            ),
            cell(r.founded_on.clone()),
            num(r.member_count),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            text(c, "name", true),
            select(c, "specialty_code", false, c.specialty_options()),
            date(c, "founded_on", true),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn create(db: &Db, who: &Acting, input: &AllianceInput) -> ServiceResult<String> {
        let created = service::alliances::create(db, who, input).await?;
        Ok(format!("/alliances/{}", created.id))
    }
}

// ---- one alliance ----

#[derive(Template)]
#[template(path = "alliance.html")]
struct AlliancePage {
    c: Chrome,
    tabs: Vec<Tab>,
    d: AllianceDetail,
    can_write: bool,
    candidates: Vec<(String, String)>,
    error: Option<FormErrors>,
    values: FormData,
}

impl AlliancePage {
    fn err(&self, field: &str) -> Option<String> {
        self.error.as_ref().and_then(|e| e.at(field))
    }
}

async fn alliance_data(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    error: Option<FormErrors>,
    values: FormData,
) -> Result<AlliancePage, ApiError> {
    let shown = service::alliances::shown(&state.db, &viewer.acting(), id).await?;
    let c = Chrome::new(Some(viewer), NAV, format!("/alliances/{id}"));
    Ok(AlliancePage {
        tabs: tabs(&c, "specialty"),
        d: shown.detail,
        can_write: shown.may_write,
        candidates: shown
            .candidates
            .into_iter()
            .map(|i| (i.id, i.name))
            .collect(),
        error,
        values,
        c,
    })
}

pub(super) async fn alliance_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
) -> Response {
    let result = match id_or_404(&raw) {
        Ok(id) => alliance_data(&state, &viewer, &id, None, FormData::parse(b"")).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, NAV, here(&uri), e),
    }
}

/// Adds a member institution from the alliance's page.
pub(super) async fn alliance_member(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Form { viewer, data }: Form,
) -> Response {
    let back = format!("/alliances/{raw}");
    let id = match id_or_404(&raw) {
        Ok(id) => id,
        Err(e) => return error_page(&viewer, NAV, back, e),
    };
    let input = AllianceMemberInput {
        institution_id: data.get("institution_id"),
        joined_on: data.get("joined_on"),
    };
    let Err(e) = service::alliances::add_member(&state.db, &viewer.acting(), &id, &input).await
    else {
        return Redirect::to(&back).into_response();
    };
    form_failed(&viewer, NAV, back, e.into(), REFUSED, |error| {
        alliance_data(&state, &viewer, &id, Some(error), data)
    })
    .await
}
