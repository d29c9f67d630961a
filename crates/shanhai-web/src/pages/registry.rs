//! Registry pages: programs with their pairings, institutions, people.

use super::pick::{self, Pick};
use super::{
    Chrome, ErrorsAt, Form, FormData, FormErrors, Pager, Viewer, error_page, id_or_404, render,
};
use crate::AppState;
use crate::auth::AccessFacts;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use shanhai_domain::access::in_program;
use shanhai_domain::codes::{InstitutionKind, PairingLevel, PairingMode, ProgramKind, Title};
use shanhai_domain::registry::*;
use shanhai_domain::specialty::{self, Specialty};
use shanhai_service::registry as service;
use shanhai_store::departments::{self, DepartmentFilter};
use shanhai_store::institutions::{self, InstitutionFilter};
use shanhai_store::pairings::{self, PairingFilter};
use shanhai_store::people::{self, PersonFilter};
use shanhai_store::programs::{self, ProgramFilter};
use shanhai_store::{Page, PageRequest, agreements, regions};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/programs", get(program_list).post(program_create))
        .route("/programs/new", get(program_new))
        .route("/programs/{id}", get(program_page))
        .route(
            "/programs/{id}/pairings",
            axum::routing::post(pairing_create),
        )
        .route("/programs/{id}/pairings/new", get(pairing_new))
        .route("/institutions", get(institution_list))
        .route("/institutions/{id}", get(institution_page))
        .route("/people", get(people_list))
}

#[derive(Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    kind: Option<String>,
    region: Option<String>,
    institution: Option<String>,
    title: Option<String>,
    program: Option<String>,
    page: Option<i64>,
}

impl ListQuery {
    fn page(&self) -> PageRequest {
        PageRequest::new(self.page, Some(20))
    }
}

fn here(uri: &OriginalUri) -> String {
    uri.0
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_else(|| "/".into())
}

// ---- programs ----

#[derive(Template)]
#[template(path = "programs.html")]
struct ProgramsPage {
    c: Chrome,
    q: String,
    programs: Page<Program>,
    pager: Pager,
    can_create: bool,
}

async fn program_list(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<ListQuery>,
) -> Response {
    let filter = ProgramFilter {
        q: q.q.clone(),
        kind: q.kind.clone(),
        institution: None,
    };
    match programs::list(&state.db, &filter, q.page()).await {
        Ok(page) => {
            let pager = Pager::new(&page, "/programs", &[("q", q.q.as_deref())]);
            render(&ProgramsPage {
                c: Chrome::new(Some(&viewer), "programs", here(&uri)),
                q: q.q.unwrap_or_default(),
                can_create: viewer.principal.is_admin(),
                programs: page,
                pager,
            })
        }
        Err(e) => error_page(&viewer, "programs", here(&uri), e.into()),
    }
}

#[derive(Template)]
#[template(path = "program_form.html")]
struct ProgramFormPage {
    c: Chrome,
    kinds: &'static [ProgramKind],
    offices: Vec<Pick>,
    values: FormData,
    error: Option<FormErrors>,
}

async fn offices(state: &AppState) -> Vec<Pick> {
    let q = pick::PickQuery {
        kind: Some("office".into()),
        ..Default::default()
    };
    pick::find_institutions(state, &q, PageRequest::MAX_PER_PAGE)
        .await
        .unwrap_or_default()
}

async fn program_new(State(state): State<AppState>, viewer: Viewer, uri: OriginalUri) -> Response {
    if let Err(e) = service::may_create_program(&viewer.acting()) {
        return error_page(&viewer, "programs", here(&uri), e.into());
    }
    render(&ProgramFormPage {
        c: Chrome::new(Some(&viewer), "programs", here(&uri)),
        kinds: ProgramKind::ALL,
        offices: offices(&state).await,
        values: FormData::parse(b"donor_access=read"),
        error: None,
    })
}

async fn program_create(
    State(state): State<AppState>,
    uri: OriginalUri,
    Form { viewer, data: form }: Form,
) -> Response {
    let acting = viewer.acting();
    if let Err(e) = service::may_create_program(&acting) {
        return error_page(&viewer, "programs", here(&uri), e.into());
    }
    let input = ProgramInput {
        name: form.get("name"),
        kind: form.get("kind"),
        description: form.opt("description"),
        start_date: form.get("start_date"),
        end_date: form.opt("end_date"),
        office_institution_id: form.opt("office_institution_id"),
        donor_access: form.opt("donor_access"),
    };
    let result = service::create_program(&state.db, &acting, &input).await;
    match result.map_err(ApiError::from) {
        Ok(program) => Redirect::to(&format!("/programs/{}", program.id)).into_response(),
        Err(e) => {
            let page = ProgramFormPage {
                c: Chrome::new(Some(&viewer), "programs", "/programs/new".into()),
                kinds: ProgramKind::ALL,
                offices: offices(&state).await,
                values: form,
                error: Some(FormErrors::from_api(&e)),
            };
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "program.html")]
struct ProgramPage {
    c: Chrome,
    program: Program,
    office: Option<Institution>,
    pairings: Vec<Pairing>,
    donors: Vec<Institution>,
    recipients: Vec<Institution>,
    people: Page<Person>,
    agreements: Vec<Agreement>,
    can_manage: bool,
}

async fn program_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
) -> Response {
    match program_page_data(&state, &viewer, &raw, here(&uri)).await {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, "programs", here(&uri), e),
    }
}

async fn program_page_data(
    state: &AppState,
    viewer: &Viewer,
    raw: &str,
    here: String,
) -> Result<ProgramPage, ApiError> {
    let id = id_or_404(raw)?;
    let program = programs::get(&state.db, &id).await?;
    let office = match &program.office_institution_id {
        Some(o) => institutions::get(&state.db, o).await.ok(),
        None => None,
    };
    let all = PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE));
    let pairings = pairings::list(
        &state.db,
        &PairingFilter {
            program: Some(id.clone()),
            ..Default::default()
        },
        all,
    )
    .await?
    .items;
    let mut donors: Vec<Institution> = Vec::new();
    let mut recipients: Vec<Institution> = Vec::new();
    for p in &pairings {
        if !donors.iter().any(|i| i.id == p.donor_id) {
            donors.push(institutions::get(&state.db, &p.donor_id).await?);
        }
        if !recipients.iter().any(|i| i.id == p.recipient_id) {
            recipients.push(institutions::get(&state.db, &p.recipient_id).await?);
        }
    }
    let facts = AccessFacts::load(&state.db).await?;
    let people = people::list(
        &state.db,
        &PersonFilter {
            program: Some(id.clone()),
            ..Default::default()
        },
        &facts.reach(&viewer.principal),
        PageRequest::new(Some(1), Some(10)),
    )
    .await?;
    let can_manage = viewer.principal.can_manage_program(&id);
    let agreements = if can_manage {
        agreements::list(
            &state.db,
            &agreements::AgreementFilter {
                program: Some(id.clone()),
                ..Default::default()
            },
            all,
        )
        .await?
        .items
    } else {
        Vec::new()
    };
    Ok(ProgramPage {
        c: Chrome::new(Some(viewer), "programs", here),
        program,
        office,
        pairings,
        donors,
        recipients,
        people,
        agreements,
        can_manage,
    })
}

#[derive(Template)]
#[template(path = "pairing_form.html")]
struct PairingFormPage {
    c: Chrome,
    program: Program,
    /// Who may give: hospitals and regional centres.
    donors: Vec<Pick>,
    /// Who may receive: every kind that treats patients.
    recipients: Vec<Pick>,
    /// Where the pickers look: the program's institutions for its office, else everyone's.
    donor_source: String,
    recipient_source: String,
    /// The viewer is the program's office: the choice is its program's institutions.
    office_only: bool,
    levels: &'static [PairingLevel],
    modes: &'static [PairingMode],
    specialties: Vec<&'static Specialty>,
    values: FormData,
    error: Option<FormErrors>,
}

impl PairingFormPage {
    fn checked(&self, code: &str) -> bool {
        self.values.all("departments").iter().any(|c| c == code)
    }
}

async fn pairing_form(
    state: &AppState,
    viewer: &Viewer,
    program: Program,
    values: FormData,
    error: Option<FormErrors>,
) -> PairingFormPage {
    let filter = InstitutionFilter::default();
    let mut institutions = institutions::list(
        &state.db,
        &filter,
        PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE)),
    )
    .await
    .map(|p| p.items)
    .unwrap_or_default();
    // An office chooses among its program's institutions: only those can it pair.
    let office_only = !viewer.principal.is_admin();
    if office_only && let Ok(facts) = AccessFacts::load(&state.db).await {
        institutions.retain(|i| in_program(&program.id, &i.id, &facts.links, &facts.programs));
    }
    let lang = crate::i18n::current();
    let of_kinds = |kind: &str| -> Vec<Pick> {
        let kinds = pick::kinds(Some(kind));
        institutions
            .iter()
            .filter(|i| kinds.iter().any(|k| k == i.kind.code()))
            .map(|i| pick::institution_pick(lang, i))
            .collect()
    };
    let scope = if office_only {
        format!("&program={}", program.id)
    } else {
        String::new()
    };
    PairingFormPage {
        c: Chrome::new(
            Some(viewer),
            "programs",
            format!("/programs/{}/pairings/new", program.id),
        ),
        donors: of_kinds("hospital"),
        recipients: of_kinds("care"),
        donor_source: format!("/pick/institutions?kind=hospital{scope}"),
        recipient_source: format!("/pick/institutions?kind=care{scope}"),
        program,
        office_only,
        levels: PairingLevel::ALL,
        modes: PairingMode::ALL,
        specialties: specialty::all()
            .iter()
            .filter(|s| s.parent.is_none())
            .collect(),
        values,
        error,
    }
}

async fn pairing_new(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
) -> Response {
    let program = match id_or_404(&raw) {
        Ok(id) => service::may_manage_program(&state.db, &viewer.acting(), &id)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    let program = match program {
        Ok(p) => p,
        Err(e) => return error_page(&viewer, "programs", here(&uri), e),
    };
    let today = shanhai_store::today().to_string();
    let defaults = format!("level=hospital&mode=counterpart&start_date={today}");
    render(
        &pairing_form(
            &state,
            &viewer,
            program,
            FormData::parse(defaults.as_bytes()),
            None,
        )
        .await,
    )
}

async fn pairing_create(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(raw): Path<String>,
    Form { viewer, data: form }: Form,
) -> Response {
    let acting = viewer.acting();
    let program = match id_or_404(&raw) {
        Ok(id) => service::may_manage_program(&state.db, &acting, &id)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    let program = match program {
        Ok(p) => p,
        Err(e) => return error_page(&viewer, "programs", here(&uri), e),
    };
    let input = PairingInput {
        program_id: program.id.clone(),
        donor_id: form.get("donor_id"),
        recipient_id: form.get("recipient_id"),
        level: form.get("level"),
        mode: form.get("mode"),
        departments: form.all("departments"),
        start_date: form.get("start_date"),
        end_date: form.opt("end_date"),
    };
    let result = service::create_pairing(&state.db, &acting, &input).await;
    match result.map_err(ApiError::from) {
        Ok(_) => Redirect::to(&format!("/programs/{}", program.id)).into_response(),
        Err(e) => {
            // The policy's refusal (a new institution needs the platform admin) keeps its 403.
            let status = if e.status == StatusCode::FORBIDDEN {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let page = pairing_form(
                &state,
                &viewer,
                program,
                form,
                Some(FormErrors::from_api(&e)),
            )
            .await;
            (status, render(&page)).into_response()
        }
    }
}

// ---- institutions ----

#[derive(Template)]
#[template(path = "institutions.html")]
struct InstitutionsPage {
    c: Chrome,
    q: String,
    kind: String,
    region: String,
    kinds: &'static [InstitutionKind],
    institutions: Page<Institution>,
    pager: Pager,
}

async fn institution_list(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<ListQuery>,
) -> Response {
    let filter = InstitutionFilter {
        q: q.q.clone(),
        kind: q.kind.clone(),
        region: q.region.clone(),
        program: q.program.clone(),
        parent: None,
        ..Default::default()
    };
    match institutions::list(&state.db, &filter, q.page()).await {
        Ok(page) => {
            let pager = Pager::new(
                &page,
                "/institutions",
                &[
                    ("q", q.q.as_deref()),
                    ("kind", q.kind.as_deref()),
                    ("region", q.region.as_deref()),
                    ("program", q.program.as_deref()),
                ],
            );
            render(&InstitutionsPage {
                c: Chrome::new(Some(&viewer), "institutions", here(&uri)),
                q: q.q.unwrap_or_default(),
                kind: q.kind.unwrap_or_default(),
                region: q.region.unwrap_or_default(),
                kinds: InstitutionKind::ALL,
                institutions: page,
                pager,
            })
        }
        Err(e) => error_page(&viewer, "institutions", here(&uri), e.into()),
    }
}

#[derive(Template)]
#[template(path = "institution.html")]
struct InstitutionPage {
    c: Chrome,
    institution: Institution,
    lineage: Vec<Region>,
    departments: Vec<Department>,
    pairings: Vec<Pairing>,
    /// `None` when the viewer may not see this institution's people.
    people: Option<Page<Person>>,
    /// "What was built here", when the viewer may read the institution's data.
    built: Option<super::capacity::Built>,
}

async fn institution_page(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Path(raw): Path<String>,
) -> Response {
    match institution_page_data(&state, &viewer, &raw, here(&uri)).await {
        Ok(page) => render(&page),
        Err(e) => error_page(&viewer, "institutions", here(&uri), e),
    }
}

async fn institution_page_data(
    state: &AppState,
    viewer: &Viewer,
    raw: &str,
    here: String,
) -> Result<InstitutionPage, ApiError> {
    let id = id_or_404(raw)?;
    let institution = institutions::get(&state.db, &id).await?;
    let lineage = regions::lineage(&state.db, &institution.region_code)
        .await
        .unwrap_or_default();
    let all = PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE));
    let departments = departments::list(
        &state.db,
        &DepartmentFilter {
            institution: Some(id.clone()),
            ..Default::default()
        },
        all,
    )
    .await?
    .items;
    let pairings = pairings::list(
        &state.db,
        &PairingFilter {
            institution: Some(id.clone()),
            ..Default::default()
        },
        all,
    )
    .await?
    .items;
    let facts = AccessFacts::load(&state.db).await?;
    let people = if facts.access(&viewer.principal, &id).can_read() {
        let filter = PersonFilter {
            institution: Some(id.clone()),
            ..Default::default()
        };
        Some(
            people::list(
                &state.db,
                &filter,
                &facts.reach(&viewer.principal),
                PageRequest::new(Some(1), Some(50)),
            )
            .await?,
        )
    } else {
        None
    };
    let c = Chrome::new(Some(viewer), "institutions", here);
    Ok(InstitutionPage {
        c,
        institution,
        lineage,
        departments,
        pairings,
        people,
        built: super::capacity::built_here(state, viewer, &id).await,
    })
}

// ---- people ----

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    c: Chrome,
    q: String,
    title: String,
    titles: &'static [Title],
    people: Page<Person>,
    pager: Pager,
}

async fn people_list(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: OriginalUri,
    Query(q): Query<ListQuery>,
) -> Response {
    let facts = match AccessFacts::load(&state.db).await {
        Ok(f) => f,
        Err(e) => return error_page(&viewer, "people", here(&uri), e.into()),
    };
    let filter = PersonFilter {
        q: q.q.clone(),
        title: q.title.clone(),
        institution: q.institution.clone(),
        program: q.program.clone(),
        department: None,
        ..Default::default()
    };
    match people::list(
        &state.db,
        &filter,
        &facts.reach(&viewer.principal),
        q.page(),
    )
    .await
    {
        Ok(page) => {
            let pager = Pager::new(
                &page,
                "/people",
                &[
                    ("q", q.q.as_deref()),
                    ("title", q.title.as_deref()),
                    ("institution", q.institution.as_deref()),
                    ("program", q.program.as_deref()),
                ],
            );
            render(&PeoplePage {
                c: Chrome::new(Some(&viewer), "people", here(&uri)),
                q: q.q.unwrap_or_default(),
                title: q.title.unwrap_or_default(),
                titles: Title::ALL,
                people: page,
                pager,
            })
        }
        Err(e) => error_page(&viewer, "people", here(&uri), e.into()),
    }
}
