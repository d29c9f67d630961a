//! Capacity building (C6), technology transfer (C7), specialty and management building (C8) and
//! resources (C9), one module per record kind. Every record belongs to a local institution:
//! whoever may change that institution's data writes it (its coordinator, the donor side where
//! the program grants write access, the program office, the platform admin); whoever reaches it
//! reads it. The use cases and those rules live in `shanhai_service::capacity` and the domain's
//! access policy; the handlers here read the request, call one use case and answer JSON.

pub mod accreditation;
pub mod alliances;
pub mod equipment;
pub mod funding;
pub mod mentorships;
pub mod placements;
pub mod regulations;
pub mod research;
pub mod specialty_projects;
pub mod teaching;
pub mod team_pairings;
pub mod techniques;
pub mod training;
pub mod training_kpis;
pub mod workstations;

pub use techniques::{TechniqueWithWarnings, gap_warnings};

use super::{ApiQuery, IdPath, JsonBody, PageParams};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shanhai_domain::capacity::*;
use shanhai_service::capacity::{self as service, CapacityFilter};
use shanhai_store::Page;
use utoipa::{IntoParams, OpenApi, ToSchema};

/// The filters every capacity list takes.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CapacityQuery {
    #[param(format = Uuid)]
    program: Option<String>,
    /// The local institution.
    #[param(format = Uuid)]
    institution: Option<String>,
    /// Institutions in this region (GB/T 2260 code) or below.
    region: Option<String>,
    q: Option<String>,
    /// The collection's kind, stage, status, level or area (see each record's codes).
    kind: Option<String>,
    /// Records naming this person: trainee, mentor, host or attendee, expert, author.
    #[param(format = Uuid)]
    person: Option<String>,
    /// On or after this date (`YYYY-MM-DD`; a year for KPIs).
    #[param(format = Date)]
    from: Option<String>,
    /// On or before this date.
    #[param(format = Date)]
    until: Option<String>,
    /// Techniques only: the gap the technique fills (`hospital`, `county`, `city`, `province`).
    gap_level: Option<String>,
    /// Techniques only: at least this surgical grade (1–4).
    #[param(minimum = 1, maximum = 4)]
    min_grade: Option<i64>,
    /// Teaching activities only: the sessions of this lecture series (`any`: of any series).
    #[param(format = Uuid)]
    series: Option<String>,
}

impl CapacityQuery {
    fn filter(self) -> CapacityFilter {
        CapacityFilter {
            program: self.program,
            institution: self.institution,
            region: self.region,
            q: self.q,
            kind: self.kind,
            person: self.person,
            from: self.from,
            until: self.until,
            gap_level: self.gap_level,
            min_grade: self.min_grade,
            series: self.series,
        }
    }
}

/// The endpoints of a collection: `list` always; with `full`, also `get_one`, `create`,
/// `update` and a `router` for all four (the others write the rest by hand). `$service` names the
/// collection's module in `shanhai_service::capacity`.
macro_rules! collection {
    (full $service:ident, $input:ident, $record:ident, $list:tt, $item:tt, $doc:tt) => {
        collection!(@list $service, $record, $list, $doc);

        #[doc = $doc]
        #[utoipa::path(get, path = $item, tag = "capacity", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
            responses((status = 200, body = $record), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
        pub async fn get_one(
            State(state): State<AppState>,
            caller: Caller,
            IdPath(id): IdPath,
        ) -> ApiResult<Json<$record>> {
            Ok(Json(service::$service::get(&state.db, &caller.acting(), &id).await?))
        }

        #[doc = $doc]
        #[utoipa::path(post, path = $list, tag = "capacity", security(("bearer" = [])), request_body = $input,
            responses((status = 201, body = $record), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
        pub async fn create(
            State(state): State<AppState>,
            caller: Caller,
            body: JsonBody,
        ) -> ApiResult<(StatusCode, Json<$record>)> {
            let input = body.parse::<$input>()?;
            let created = service::$service::create(&state.db, &caller.acting(), &input).await?;
            Ok((StatusCode::CREATED, Json(created)))
        }

        #[doc = $doc]
        #[utoipa::path(put, path = $item, tag = "capacity", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
            request_body = $input,
            responses((status = 200, body = $record), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
        pub async fn update(
            State(state): State<AppState>,
            caller: Caller,
            IdPath(id): IdPath,
            body: JsonBody,
        ) -> ApiResult<Json<$record>> {
            let input = body.parse::<$input>()?;
            Ok(Json(service::$service::update(&state.db, &caller.acting(), &id, &input).await?))
        }

        pub fn router() -> Router<AppState> {
            Router::new()
                .route($list, get(list).post(create))
                .route($item, get(get_one).put(update))
        }
    };
    (@list $service:ident, $record:ident, $list:tt, $doc:tt) => {
        #[doc = $doc]
        #[utoipa::path(get, path = $list, tag = "capacity", security(("bearer" = [])), params(PageParams, CapacityQuery),
            responses((status = 200, body = Page<$record>), (status = 401, body = ErrorBody)))]
        pub async fn list(
            State(state): State<AppState>,
            caller: Caller,
            ApiQuery(page): ApiQuery<PageParams>,
            ApiQuery(q): ApiQuery<CapacityQuery>,
        ) -> ApiResult<Json<Page<$record>>> {
            let acting = caller.acting();
            Ok(Json(
                service::$service::list(&state.db, &acting, &q.filter(), page.request()).await?,
            ))
        }
    };
}

pub(crate) use collection;

/// "What was built here": techniques by stage and gap, training, workstations, alliances,
/// regulations, research, accreditation goals, funding and equipment at one institution.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/capacity", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = CapacitySummary), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn institution_capacity(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<CapacitySummary>> {
    Ok(Json(
        service::summary(&state.db, &caller.acting(), &id).await?,
    ))
}

/// What `?kind=` filters in each list, `?gap_level=` and `?min_grade=` (techniques) and
/// `?series=` (teaching activities): the document describes each list's own, and leaves out a
/// filter a list ignores. Training KPIs count by year, so their `?from=` and `?until=` are years.
struct ListFilters;

impl utoipa::Modify for ListFilters {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::PartialSchema;
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
        let uuid = || -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(utoipa::openapi::schema::SchemaFormat::KnownFormat(
                    utoipa::openapi::schema::KnownFormat::Uuid,
                )))
                .into()
        };
        type SchemaFn = fn() -> RefOr<Schema>;
        let kinds: &[(&str, Option<SchemaFn>)] = &[
            ("/api/v1/accreditation-goals", Some(GoalStatus::schema)),
            (
                "/api/v1/alliances",
                Some(shanhai_domain::specialty::code_schema),
            ),
            ("/api/v1/equipment-donations", None),
            ("/api/v1/equipment-donations/totals", None),
            ("/api/v1/funding-items", None),
            ("/api/v1/funding-items/totals", None),
            ("/api/v1/mentorships", Some(Evaluation::schema)),
            ("/api/v1/placements", Some(PlacementStatus::schema)),
            ("/api/v1/regulations", None),
            ("/api/v1/research-outputs", Some(ResearchKind::schema)),
            ("/api/v1/specialty-projects", Some(SpecialtyLevel::schema)),
            ("/api/v1/teaching-activities", Some(TeachingKind::schema)),
            ("/api/v1/team-pairings", None),
            ("/api/v1/techniques", Some(TechniqueStage::schema)),
            ("/api/v1/training-schemes", Some(SchemeKind::schema)),
            ("/api/v1/training-scheme-members", Some(uuid)),
            ("/api/v1/lecture-series", Some(SeriesKind::schema)),
            (
                "/api/v1/cme-enrolments",
                Some(shanhai_domain::specialty::code_schema),
            ),
            (
                "/api/v1/department-changes",
                Some(DepartmentChangeKind::schema),
            ),
            (
                "/api/v1/patient-returns",
                Some(shanhai_domain::specialty::code_schema),
            ),
            ("/api/v1/training-kpis", Some(TrainingIndicator::schema)),
            ("/api/v1/workstations", Some(WorkstationKind::schema)),
        ];
        for (path, kind) in kinds {
            let Some(op) = doc
                .paths
                .paths
                .get_mut(*path)
                .and_then(|item| item.get.as_mut())
            else {
                continue;
            };
            let Some(params) = op.parameters.as_mut() else {
                continue;
            };
            params.retain(|p| match p.name.as_str() {
                "kind" => kind.is_some(),
                "gap_level" | "min_grade" => *path == "/api/v1/techniques",
                "series" => *path == "/api/v1/teaching-activities",
                _ => true,
            });
            for p in params.iter_mut() {
                match (p.name.as_str(), kind) {
                    ("kind", Some(schema)) => p.schema = Some(schema()),
                    ("gap_level", _) => p.schema = Some(GapLevel::schema()),
                    ("series", _) => {
                        p.schema = Some(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .pattern(Some(
                                    "^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|any)$",
                                ))
                                .description(Some("A lecture series' id, or `any`: of any series."))
                                .into(),
                        )
                    }
                    ("from" | "until", _) if *path == "/api/v1/training-kpis" => {
                        p.schema = Some(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .pattern(Some("^[0-9]{4}$"))
                                .description(Some("A year."))
                                .into(),
                        )
                    }
                    _ => {}
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    modifiers(&ListFilters),
    paths(
        placements::list,
        placements::get_one,
        placements::create,
        placements::update,
        team_pairings::list,
        team_pairings::get_one,
        team_pairings::create,
        team_pairings::update,
        teaching::list,
        teaching::get_one,
        teaching::create,
        teaching::update,
        training_kpis::list,
        training_kpis::get_one,
        training_kpis::create,
        training_kpis::update,
        workstations::list,
        workstations::get_one,
        workstations::create,
        workstations::update,
        specialty_projects::list,
        specialty_projects::get_one,
        specialty_projects::create,
        specialty_projects::update,
        regulations::list,
        regulations::get_one,
        regulations::create,
        regulations::update,
        research::list,
        research::get_one,
        research::create,
        research::update,
        accreditation::list,
        accreditation::get_one,
        accreditation::create,
        accreditation::update,
        funding::list,
        funding::get_one,
        funding::create,
        funding::update,
        equipment::list,
        equipment::get_one,
        equipment::create,
        equipment::update,
        mentorships::list,
        mentorships::create_mentorship,
        mentorships::get_mentorship,
        mentorships::update_mentorship,
        mentorships::add_apprentice,
        mentorships::add_note,
        mentorships::get_settings,
        mentorships::put_settings,
        techniques::list,
        techniques::create_technique,
        techniques::get_technique,
        techniques::update_technique,
        techniques::record_case,
        techniques::change_stage,
        alliances::list,
        alliances::create_alliance,
        alliances::get_alliance,
        alliances::update_alliance,
        alliances::add_member,
        funding::funding_totals,
        equipment::equipment_totals,
        institution_capacity,
        training::training_schemes::list,
        training::training_schemes::get_one,
        training::training_schemes::create,
        training::training_schemes::update,
        training::scheme_members::list,
        training::scheme_members::get_one,
        training::scheme_members::create,
        training::scheme_members::update,
        training::lecture_series::list,
        training::lecture_series::get_one,
        training::lecture_series::create,
        training::lecture_series::update,
        training::cme_enrolments::list,
        training::cme_enrolments::get_one,
        training::cme_enrolments::create,
        training::cme_enrolments::update,
        training::department_changes::list,
        training::department_changes::get_one,
        training::department_changes::create,
        training::department_changes::update,
        training::patient_returns::list,
        training::patient_returns::get_one,
        training::patient_returns::create,
        training::patient_returns::update,
    ),
    components(schemas(
        Placement,
        PlacementInput,
        PlacementStatus,
        Mentorship,
        MentorshipInput,
        MentorshipDetail,
        Apprentice,
        ApprenticeInput,
        ProgressNote,
        NoteInput,
        Evaluation,
        CapacitySettings,
        CapacitySettingsInput,
        TeamPairing,
        TeamPairingInput,
        TeachingActivity,
        TeachingActivityInput,
        TeachingKind,
        TrainingKpi,
        TrainingKpiInput,
        TrainingIndicator,
        Technique,
        TechniqueInput,
        TechniqueDetail,
        TechniqueWithWarnings,
        TechniqueCase,
        TechniqueCaseInput,
        TechniqueEvent,
        StageInput,
        TechniqueStage,
        GapLevel,
        CaseOutcome,
        Warning,
        Workstation,
        WorkstationInput,
        WorkstationKind,
        Alliance,
        AllianceInput,
        AllianceDetail,
        AllianceMember,
        AllianceMemberInput,
        SpecialtyProject,
        SpecialtyProjectInput,
        SpecialtyLevel,
        AcceptanceResult,
        Milestone,
        Regulation,
        RegulationInput,
        ResearchOutput,
        ResearchOutputInput,
        ResearchKind,
        AccreditationGoal,
        AccreditationGoalInput,
        AccreditationGoalKind,
        GoalStatus,
        FundingItem,
        FundingItemInput,
        EquipmentDonation,
        EquipmentDonationInput,
        MoneyTotals,
        CapacitySummary,
        CodeCount,
        TrainingScheme,
        TrainingSchemeInput,
        SchemeKind,
        SchemeMember,
        SchemeMemberInput,
        LectureSeries,
        LectureSeriesInput,
        SeriesKind,
        CmeEnrolment,
        CmeEnrolmentInput,
        DepartmentChange,
        DepartmentChangeInput,
        DepartmentChangeKind,
        PatientReturn,
        PatientReturnInput,
    ))
)]
pub struct CapacityApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(placements::router())
        .merge(team_pairings::router())
        .merge(teaching::router())
        .merge(training_kpis::router())
        .merge(workstations::router())
        .merge(specialty_projects::router())
        .merge(regulations::router())
        .merge(research::router())
        .merge(accreditation::router())
        .merge(funding::router())
        .merge(equipment::router())
        .merge(mentorships::router())
        .merge(techniques::router())
        .merge(alliances::router())
        .merge(training::router())
        .route("/api/v1/funding-items/totals", get(funding::funding_totals))
        .route(
            "/api/v1/equipment-donations/totals",
            get(equipment::equipment_totals),
        )
        .route(
            "/api/v1/institutions/{id}/capacity",
            get(institution_capacity),
        )
}
