//! The registry (C1): regions, institutions, departments, people, programs, pairings,
//! agreements and the national specialty list.

use super::{ApiQuery, IdPath, JsonBody, PageParams};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::body::Body;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use shanhai_domain::registry::*;
use shanhai_domain::specialty::{self, Specialty};
use shanhai_service::registry as service;
use shanhai_store::Page;
use shanhai_store::agreements::{self, DocumentMeta};
use shanhai_store::departments::{self, DepartmentFilter};
use shanhai_store::institutions::{self, InstitutionFilter};
use shanhai_store::pairings::{self, PairingFilter};
use shanhai_store::people::PersonFilter;
use shanhai_store::programs::{self, ProgramFilter};
use shanhai_store::regions::{self, RegionFilter};
use tokio::io::AsyncWriteExt;
use utoipa::{IntoParams, OpenApi};

#[derive(OpenApi)]
#[openapi(
    paths(
        list_regions,
        create_region,
        get_region,
        update_region,
        list_institutions,
        create_institution,
        get_institution,
        update_institution,
        list_departments,
        create_department,
        get_department,
        update_department,
        list_people,
        create_person,
        get_person,
        update_person,
        list_programs,
        create_program,
        get_program,
        update_program,
        list_pairings,
        create_pairing,
        get_pairing,
        update_pairing,
        list_agreements,
        create_agreement,
        get_agreement,
        update_agreement,
        upload_document,
        download_document,
        list_specialties,
    ),
    components(schemas(
        Region,
        RegionInput,
        Institution,
        InstitutionInput,
        Department,
        DepartmentInput,
        Person,
        PersonInput,
        Program,
        ProgramInput,
        Pairing,
        PairingInput,
        Agreement,
        AgreementInput,
        AgreementDocument,
        Specialty,
    ))
)]
pub struct RegistryApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/regions", get(list_regions).post(create_region))
        .route("/api/v1/regions/{code}", get(get_region).put(update_region))
        .route(
            "/api/v1/institutions",
            get(list_institutions).post(create_institution),
        )
        .route(
            "/api/v1/institutions/{id}",
            get(get_institution).put(update_institution),
        )
        .route(
            "/api/v1/departments",
            get(list_departments).post(create_department),
        )
        .route(
            "/api/v1/departments/{id}",
            get(get_department).put(update_department),
        )
        .route("/api/v1/people", get(list_people).post(create_person))
        .route("/api/v1/people/{id}", get(get_person).put(update_person))
        .route("/api/v1/programs", get(list_programs).post(create_program))
        .route(
            "/api/v1/programs/{id}",
            get(get_program).put(update_program),
        )
        .route("/api/v1/pairings", get(list_pairings).post(create_pairing))
        .route(
            "/api/v1/pairings/{id}",
            get(get_pairing).put(update_pairing),
        )
        .route(
            "/api/v1/agreements",
            get(list_agreements).post(create_agreement),
        )
        .route(
            "/api/v1/agreements/{id}",
            get(get_agreement).put(update_agreement),
        )
        .route(
            "/api/v1/agreements/{id}/document",
            get(download_document)
                .put(upload_document)
                .layer(axum::extract::DefaultBodyLimit::max(crate::UPLOAD_LIMIT)),
        )
        .route("/api/v1/specialties", get(list_specialties))
}

type Created<T> = ApiResult<(StatusCode, Json<T>)>;

fn created<T>(value: T) -> Created<T> {
    Ok((StatusCode::CREATED, Json(value)))
}

// ---- regions ----

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegionQuery {
    /// Children of this region code.
    #[param(pattern = r"^[0-9]{6}([0-9]{3})?$")]
    parent: Option<String>,
    /// `province`, `city`, `county` or `township`.
    #[param(value_type = Option<shanhai_domain::codes::RegionLevel>)]
    level: Option<String>,
    /// Search in name and code.
    q: Option<String>,
}

/// Administrative regions (GB/T 2260).
#[utoipa::path(get, path = "/api/v1/regions", tag = "registry", security(("bearer" = [])), params(PageParams, RegionQuery),
    responses((status = 200, body = Page<Region>), (status = 401, body = ErrorBody)))]
async fn list_regions(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<RegionQuery>,
) -> ApiResult<Json<Page<Region>>> {
    let filter = RegionFilter {
        parent: q.parent,
        level: q.level,
        q: q.q,
    };
    Ok(Json(
        regions::list(&state.db, &filter, page.request()).await?,
    ))
}

/// Adds a region (platform admin).
#[utoipa::path(post, path = "/api/v1/regions", tag = "registry", security(("bearer" = [])), request_body = RegionInput,
    responses((status = 201, body = Region), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_region(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> Created<Region> {
    let acting = caller.acting();
    service::may_keep_regions(&acting)?;
    let input = body.parse::<RegionInput>()?;
    created(service::create_region(&state.db, &acting, &input).await?)
}

/// One region by its code.
#[utoipa::path(get, path = "/api/v1/regions/{code}", tag = "registry", security(("bearer" = [])), params(("code" = String, Path, pattern = r"^[0-9]{6}([0-9]{3})?$")),
    responses((status = 200, body = Region), (status = 404, body = ErrorBody)))]
async fn get_region(
    State(state): State<AppState>,
    _caller: Caller,
    Path(code): Path<String>,
) -> ApiResult<Json<Region>> {
    Ok(Json(regions::get(&state.db, &code).await?))
}

/// Renames or re-parents a region (platform admin); the code itself does not change.
#[utoipa::path(put, path = "/api/v1/regions/{code}", tag = "registry", security(("bearer" = [])), params(("code" = String, Path, pattern = r"^[0-9]{6}([0-9]{3})?$")),
    request_body = RegionInput,
    responses((status = 200, body = Region), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_region(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    body: JsonBody,
) -> ApiResult<Json<Region>> {
    let acting = caller.acting();
    service::may_keep_regions(&acting)?;
    let input = body.parse::<RegionInput>()?;
    Ok(Json(
        service::update_region(&state.db, &acting, &code, &input).await?,
    ))
}

// ---- institutions ----

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InstitutionQuery {
    /// Search in the name.
    q: Option<String>,
    #[param(value_type = Option<shanhai_domain::codes::InstitutionKind>)]
    kind: Option<String>,
    /// A region code: institutions in it or anywhere below it.
    region: Option<String>,
    /// A program id: institutions on either side of its pairings, and its office.
    #[param(format = Uuid)]
    program: Option<String>,
    #[param(format = Uuid)]
    parent: Option<String>,
}

/// Institutions: hospitals, health centres, health commissions.
#[utoipa::path(get, path = "/api/v1/institutions", tag = "registry", security(("bearer" = [])), params(PageParams, InstitutionQuery),
    responses((status = 200, body = Page<Institution>), (status = 401, body = ErrorBody)))]
async fn list_institutions(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<InstitutionQuery>,
) -> ApiResult<Json<Page<Institution>>> {
    let filter = InstitutionFilter {
        q: q.q,
        kind: q.kind,
        region: q.region,
        program: q.program,
        parent: q.parent,
        ..Default::default()
    };
    Ok(Json(
        institutions::list(&state.db, &filter, page.request()).await?,
    ))
}

/// Adds an institution (platform admin, program office).
#[utoipa::path(post, path = "/api/v1/institutions", tag = "registry", security(("bearer" = [])), request_body = InstitutionInput,
    responses((status = 201, body = Institution), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_institution(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> Created<Institution> {
    let acting = caller.acting();
    service::may_create_institution(&acting)?;
    let input = body.parse::<InstitutionInput>()?;
    created(service::create_institution(&state.db, &acting, &input).await?)
}

#[utoipa::path(get, path = "/api/v1/institutions/{id}", tag = "registry", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Institution), (status = 404, body = ErrorBody)))]
async fn get_institution(
    State(state): State<AppState>,
    _caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Institution>> {
    Ok(Json(institutions::get(&state.db, &id).await?))
}

/// Changes an institution (platform admin, its program office, its own coordinator).
#[utoipa::path(put, path = "/api/v1/institutions/{id}", tag = "registry", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = InstitutionInput,
    responses((status = 200, body = Institution), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_institution(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<Institution>> {
    let acting = caller.acting();
    service::may_change_institution(&state.db, &acting, &id).await?;
    let input = body.parse::<InstitutionInput>()?;
    Ok(Json(
        service::update_institution(&state.db, &acting, &id, &input).await?,
    ))
}

// ---- departments ----

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DepartmentQuery {
    #[param(format = Uuid)]
    institution: Option<String>,
    /// A 诊疗科目 code; sub-specialties match their parent code too.
    specialty: Option<String>,
    q: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/departments", tag = "registry", security(("bearer" = [])), params(PageParams, DepartmentQuery),
    responses((status = 200, body = Page<Department>), (status = 401, body = ErrorBody)))]
async fn list_departments(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<DepartmentQuery>,
) -> ApiResult<Json<Page<Department>>> {
    let filter = DepartmentFilter {
        institution: q.institution,
        specialty: q.specialty,
        q: q.q,
    };
    Ok(Json(
        departments::list(&state.db, &filter, page.request()).await?,
    ))
}

/// Adds a department (anyone who may change the institution).
#[utoipa::path(post, path = "/api/v1/departments", tag = "registry", security(("bearer" = [])), request_body = DepartmentInput,
    responses((status = 201, body = Department), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_department(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> Created<Department> {
    let acting = caller.acting();
    service::may_keep_staff(&acting)?;
    let input = body.parse::<DepartmentInput>()?;
    created(service::create_department(&state.db, &acting, &input).await?)
}

#[utoipa::path(get, path = "/api/v1/departments/{id}", tag = "registry", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Department), (status = 404, body = ErrorBody)))]
async fn get_department(
    State(state): State<AppState>,
    _caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Department>> {
    Ok(Json(departments::get(&state.db, &id).await?))
}

#[utoipa::path(put, path = "/api/v1/departments/{id}", tag = "registry", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = DepartmentInput,
    responses((status = 200, body = Department), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_department(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<Department>> {
    let acting = caller.acting();
    service::may_change_department(&state.db, &acting, &id).await?;
    let input = body.parse::<DepartmentInput>()?;
    Ok(Json(
        service::update_department(&state.db, &acting, &id, &input).await?,
    ))
}

/// Experts and clinicians read the registry but do not maintain it.
// ---- people ----

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PersonQuery {
    #[param(format = Uuid)]
    institution: Option<String>,
    #[param(format = Uuid)]
    department: Option<String>,
    /// A professional title code, e.g. `chief-physician`.
    title: Option<String>,
    /// People at institutions paired in this program.
    #[param(format = Uuid)]
    program: Option<String>,
    /// Search in the name.
    q: Option<String>,
    /// People dispatched in this program (with an assignment in it) …
    #[param(format = Uuid)]
    dispatched_in: Option<String>,
    /// … by this date (`YYYY-MM-DD`).
    #[param(format = Date)]
    until: Option<String>,
}

/// People the caller may see: their own institution's, those a pairing gives them access to, or
/// all (platform admin); a program office sees its program's institutions.
#[utoipa::path(get, path = "/api/v1/people", tag = "registry", security(("bearer" = [])), params(PageParams, PersonQuery),
    responses((status = 200, body = Page<Person>), (status = 401, body = ErrorBody)))]
async fn list_people(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<PersonQuery>,
) -> ApiResult<Json<Page<Person>>> {
    let filter = PersonFilter {
        institution: q.institution,
        department: q.department,
        title: q.title,
        q: q.q,
        program: q.program,
        dispatched_in: q.dispatched_in,
        dispatched_until: q.until,
        ..Default::default()
    };
    Ok(Json(
        service::list_people(&state.db, &caller.acting(), &filter, page.request()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/people", tag = "registry", security(("bearer" = [])), request_body = PersonInput,
    responses((status = 201, body = Person), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_person(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> Created<Person> {
    let acting = caller.acting();
    service::may_keep_staff(&acting)?;
    let input = body.parse::<PersonInput>()?;
    created(service::create_person(&state.db, &acting, &input).await?)
}

#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "registry", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Person), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_person(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Person>> {
    Ok(Json(
        service::get_person(&state.db, &caller.acting(), &id).await?,
    ))
}

/// Changes a person; moving them to another institution needs write access to both.
#[utoipa::path(put, path = "/api/v1/people/{id}", tag = "registry", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = PersonInput,
    responses((status = 200, body = Person), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_person(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<Person>> {
    let acting = caller.acting();
    service::may_change_person(&state.db, &acting, &id).await?;
    let input = body.parse::<PersonInput>()?;
    Ok(Json(
        service::update_person(&state.db, &acting, &id, &input).await?,
    ))
}

// ---- programs ----

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgramQuery {
    q: Option<String>,
    #[param(value_type = Option<shanhai_domain::codes::ProgramKind>)]
    kind: Option<String>,
    /// Programs in which this institution is paired.
    #[param(format = Uuid)]
    institution: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/programs", tag = "registry", security(("bearer" = [])), params(PageParams, ProgramQuery),
    responses((status = 200, body = Page<Program>), (status = 401, body = ErrorBody)))]
async fn list_programs(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<ProgramQuery>,
) -> ApiResult<Json<Page<Program>>> {
    let filter = ProgramFilter {
        q: q.q,
        kind: q.kind,
        institution: q.institution,
    };
    Ok(Json(
        programs::list(&state.db, &filter, page.request()).await?,
    ))
}

/// Sets up a program (platform admin).
#[utoipa::path(post, path = "/api/v1/programs", tag = "registry", security(("bearer" = [])), request_body = ProgramInput,
    responses((status = 201, body = Program), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_program(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> Created<Program> {
    let acting = caller.acting();
    service::may_create_program(&acting)?;
    let input = body.parse::<ProgramInput>()?;
    created(service::create_program(&state.db, &acting, &input).await?)
}

#[utoipa::path(get, path = "/api/v1/programs/{id}", tag = "registry", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Program), (status = 404, body = ErrorBody)))]
async fn get_program(
    State(state): State<AppState>,
    _caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Program>> {
    Ok(Json(programs::get(&state.db, &id).await?))
}

/// Changes a program (platform admin, the program's office; an office names as its office
/// institution none or one already in the program, since it reaches that institution).
#[utoipa::path(put, path = "/api/v1/programs/{id}", tag = "registry", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = ProgramInput,
    responses((status = 200, body = Program), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_program(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<Program>> {
    let acting = caller.acting();
    service::may_manage_program(&state.db, &acting, &id).await?;
    let input = body.parse::<ProgramInput>()?;
    Ok(Json(
        service::update_program(&state.db, &acting, &id, &input).await?,
    ))
}

// ---- pairings ----

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PairingQuery {
    #[param(format = Uuid)]
    program: Option<String>,
    /// Pairings with this institution on either side.
    #[param(format = Uuid)]
    institution: Option<String>,
    #[param(format = Uuid)]
    donor: Option<String>,
    #[param(format = Uuid)]
    recipient: Option<String>,
    #[param(value_type = Option<shanhai_domain::codes::PairingMode>)]
    mode: Option<String>,
    /// Search in the donor's and recipient's names.
    q: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/pairings", tag = "registry", security(("bearer" = [])), params(PageParams, PairingQuery),
    responses((status = 200, body = Page<Pairing>), (status = 401, body = ErrorBody)))]
async fn list_pairings(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<PairingQuery>,
) -> ApiResult<Json<Page<Pairing>>> {
    let filter = PairingFilter {
        program: q.program,
        institution: q.institution,
        donor: q.donor,
        recipient: q.recipient,
        mode: q.mode,
        q: q.q,
    };
    Ok(Json(
        pairings::list(&state.db, &filter, page.request()).await?,
    ))
}

/// Pairs a donor with a recipient in a program: the platform admin any two institutions; the
/// program's office two institutions already in its program (a side of one of its pairings, or
/// its office institution) — bringing a new institution into a program needs the platform
/// admin (403 otherwise).
#[utoipa::path(post, path = "/api/v1/pairings", tag = "registry", security(("bearer" = [])), request_body = PairingInput,
    responses((status = 201, body = Pairing), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_pairing(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> Created<Pairing> {
    let acting = caller.acting();
    service::may_pair(&acting)?;
    let input = body.parse::<PairingInput>()?;
    created(service::create_pairing(&state.db, &acting, &input).await?)
}

#[utoipa::path(get, path = "/api/v1/pairings/{id}", tag = "registry", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Pairing), (status = 404, body = ErrorBody)))]
async fn get_pairing(
    State(state): State<AppState>,
    _caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Pairing>> {
    Ok(Json(pairings::get(&state.db, &id).await?))
}

/// Changes a pairing: the platform admin any; the program's office one of its program's, when
/// both the pairing as it was and as it becomes join institutions already in the program, and it
/// stays in that program.
#[utoipa::path(put, path = "/api/v1/pairings/{id}", tag = "registry", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = PairingInput,
    responses((status = 200, body = Pairing), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_pairing(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<Pairing>> {
    let acting = caller.acting();
    service::may_change_pairing(&state.db, &acting, &id).await?;
    let input = body.parse::<PairingInput>()?;
    Ok(Json(
        service::update_pairing(&state.db, &acting, &id, &input).await?,
    ))
}

// ---- agreements ----

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgreementQuery {
    #[param(format = Uuid)]
    pairing: Option<String>,
    #[param(format = Uuid)]
    program: Option<String>,
}

/// Agreements the caller may read: all (platform admin), its program's (program office), its own
/// institution's pairings' (coordinator).
#[utoipa::path(get, path = "/api/v1/agreements", tag = "registry", security(("bearer" = [])), params(PageParams, AgreementQuery),
    responses((status = 200, body = Page<Agreement>), (status = 403, body = ErrorBody)))]
async fn list_agreements(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(q): ApiQuery<AgreementQuery>,
) -> ApiResult<Json<Page<Agreement>>> {
    let acting = caller.acting();
    Ok(Json(
        service::list_agreements(&state.db, &acting, q.pairing, q.program, page.request()).await?,
    ))
}

/// Records an agreement for a pairing (platform admin, the program's office).
#[utoipa::path(post, path = "/api/v1/agreements", tag = "registry", security(("bearer" = [])), request_body = AgreementInput,
    responses((status = 201, body = Agreement), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_agreement(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> Created<Agreement> {
    let acting = caller.acting();
    service::may_pair(&acting)?;
    let input = body.parse::<AgreementInput>()?;
    created(service::create_agreement(&state.db, &acting, &input).await?)
}

#[utoipa::path(get, path = "/api/v1/agreements/{id}", tag = "registry", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Agreement), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_agreement(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Agreement>> {
    Ok(Json(
        service::get_agreement(&state.db, &caller.acting(), &id).await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/agreements/{id}", tag = "registry", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    request_body = AgreementInput,
    responses((status = 200, body = Agreement), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_agreement(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<Agreement>> {
    let acting = caller.acting();
    service::may_change_agreement(&state.db, &acting, &id).await?;
    let input = body.parse::<AgreementInput>()?;
    Ok(Json(
        service::update_agreement(&state.db, &acting, &id, &input).await?,
    ))
}

/// Content types accepted for agreement documents, recognised by their first bytes.
fn sniff_document(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if head.starts_with(&[0x89, b'P', b'N', b'G']) {
        Some("image/png")
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if head.starts_with(b"PK\x03\x04") {
        Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    } else {
        None
    }
}

/// Uploads the signed agreement (multipart, field `file`: PDF, PNG, JPEG or DOCX, at most 20 MiB).
/// The file streams to the data directory and is stored under its SHA-256.
#[utoipa::path(put, path = "/api/v1/agreements/{id}/document", tag = "registry", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 200, body = Agreement), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn upload_document(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    mut multipart: Multipart,
) -> ApiResult<Json<Agreement>> {
    let acting = caller.acting();
    service::may_change_agreement(&state.db, &acting, &id).await?;
    let dir = state.config.data_dir.join("documents");
    tokio::fs::create_dir_all(&dir).await?;
    while let Some(mut field) = multipart.next_field().await? {
        if field.name() != Some("file") {
            continue;
        }
        let file_name = field
            .file_name()
            .map(|n| {
                n.rsplit(['/', '\\'])
                    .next()
                    .unwrap_or(n)
                    .chars()
                    .take(200)
                    .collect::<String>()
            })
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "document".to_string());
        let tmp = dir.join(format!(".upload-{}", shanhai_domain::ids::new_id()));
        let mut out = tokio::fs::File::create(&tmp).await?;
        let mut hasher = Sha256::new();
        let mut size: i64 = 0;
        let mut head = Vec::new();
        let written: ApiResult<()> = async {
            while let Some(chunk) = field.chunk().await? {
                if head.len() < 8 {
                    head.extend_from_slice(&chunk[..chunk.len().min(8)]);
                }
                hasher.update(&chunk);
                size += i64::try_from(chunk.len()).unwrap_or(i64::MAX);
                out.write_all(&chunk).await?;
            }
            out.sync_all().await?;
            Ok(())
        }
        .await;
        let content_type = sniff_document(&head);
        let outcome = match (written, content_type) {
            (Err(e), _) => Err(e),
            (Ok(()), _) if size == 0 => {
                Err(shanhai_domain::Invalid::new("file", "error.empty_file").into())
            }
            (Ok(()), None) => {
                Err(shanhai_domain::Invalid::new("file", "error.document_type").into())
            }
            (Ok(()), Some(ct)) => Ok(ct),
        };
        let content_type = match outcome {
            Ok(ct) => ct,
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(e);
            }
        };
        let sha256 = hex::encode(hasher.finalize());
        let relative = format!("documents/{sha256}");
        tokio::fs::rename(&tmp, state.config.data_dir.join(&relative)).await?;
        let meta = DocumentMeta {
            file_name,
            content_type: content_type.to_string(),
            size,
            sha256,
            path: relative,
        };
        return Ok(Json(
            service::attach_document(&state.db, &acting, &id, &meta).await?,
        ));
    }
    Err(shanhai_domain::Invalid::new("file", "error.file_missing").into())
}

/// Downloads the agreement's document.
#[utoipa::path(get, path = "/api/v1/agreements/{id}/document", tag = "registry", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, description = "the document"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn download_document(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let agreement = service::get_agreement(&state.db, &caller.acting(), &id).await?;
    let (Some(doc), Some(path)) = (
        agreement.document,
        agreements::document_path(&state.db, &id).await?,
    ) else {
        return Err(ApiError::not_found());
    };
    let file = tokio::fs::File::open(state.config.data_dir.join(path))
        .await
        .map_err(|_| ApiError::not_found())?;
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let disposition = format!(
        "attachment; filename*=UTF-8''{}",
        percent_encode(&doc.file_name)
    );
    Ok((
        [
            (header::CONTENT_TYPE, doc.content_type),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

pub(crate) fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ---- specialties ----

/// The national list of 诊疗科目 codes used by departments and pairings.
#[utoipa::path(get, path = "/api/v1/specialties", tag = "registry", responses((status = 200, body = Vec<Specialty>)))]
async fn list_specialties() -> Json<&'static [Specialty]> {
    Json(specialty::all())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_recognised_by_content_not_name() {
        assert_eq!(sniff_document(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff_document(b"<html>"), None);
        assert_eq!(percent_encode("协议 v1.pdf"), "%E5%8D%8F%E8%AE%AE%20v1.pdf");
    }
}
