//! Capacity building (C6), technology transfer (C7), specialty and management building (C8) and
//! resources (C9). Every record belongs to a local institution: whoever may change that
//! institution's data writes it (its coordinator, the donor side where the program grants write
//! access, the program office, the platform admin); whoever reaches it reads it.

use super::{ApiQuery, IdPath, JsonBody, PageParams, allow};
use crate::AppState;
use crate::auth::{AccessFacts, Caller};
use crate::error::{ApiResult, ErrorBody};
use crate::i18n;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shanhai_domain::Invalid;
use shanhai_domain::capacity::*;
use shanhai_domain::codes::Role;
use shanhai_store::capacity::{self as store, CapacityFilter, Collection, EarlierTechnique};
use shanhai_store::{Page, capacity::*};
use utoipa::{IntoParams, OpenApi, ToSchema};

/// The filters every capacity list takes.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CapacityQuery {
    program: Option<String>,
    /// The local institution.
    institution: Option<String>,
    /// Institutions in this region (GB/T 2260 code) or below.
    region: Option<String>,
    q: Option<String>,
    /// The collection's kind, stage, status, level or area (see each record's codes).
    kind: Option<String>,
    /// Records naming this person: trainee, mentor, host or attendee, expert, author.
    person: Option<String>,
    /// On or after this date (`YYYY-MM-DD`; a year for KPIs).
    from: Option<String>,
    /// On or before this date.
    until: Option<String>,
    /// Techniques only: the gap the technique fills (`hospital`, `county`, `city`, `province`).
    gap_level: Option<String>,
    /// Techniques only: at least this surgical grade (1–4).
    #[param(minimum = 1, maximum = 4)]
    min_grade: Option<i64>,
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
        }
    }
}

/// An input that parses into what a collection stores.
pub trait Parse {
    type New;
    fn parse(&self) -> Result<Self::New, Invalid>;
}

macro_rules! parse_into {
    ($($input:ty => $new:ty),+ $(,)?) => {$(
        impl Parse for $input {
            type New = $new;
            fn parse(&self) -> Result<$new, Invalid> {
                <$input>::parse(self)
            }
        }
    )+};
}

parse_into!(
    PlacementInput => NewPlacement,
    MentorshipInput => NewMentorship,
    TeamPairingInput => NewTeamPairing,
    TeachingActivityInput => NewTeachingActivity,
    TrainingKpiInput => NewTrainingKpi,
    TechniqueInput => NewTechnique,
    WorkstationInput => NewWorkstation,
    AllianceInput => NewAlliance,
    SpecialtyProjectInput => NewSpecialtyProject,
    RegulationInput => NewRegulation,
    ResearchOutputInput => NewResearchOutput,
    AccreditationGoalInput => NewAccreditationGoal,
    FundingItemInput => NewFundingItem,
    EquipmentDonationInput => NewEquipmentDonation,
);

/// Writing a record needs write access to its institution; a program office writes only under
/// its own program.
pub fn may_write(facts: &AccessFacts, caller: &Caller, record: &impl Scoped) -> ApiResult<()> {
    let p = &caller.principal;
    allow(
        facts.access(p, record.institution_id()).can_write()
            && record
                .program_id()
                .is_none_or(|prog| p.role != Role::ProgramOffice || p.can_manage_program(prog)),
    )
}

pub fn may_read(facts: &AccessFacts, caller: &Caller, record: &impl Scoped) -> ApiResult<()> {
    allow(
        facts
            .access(&caller.principal, record.institution_id())
            .can_read(),
    )
}

async fn list_of<T: Collection>(
    state: &AppState,
    caller: &Caller,
    page: &PageParams,
    q: CapacityQuery,
) -> ApiResult<Json<Page<T::Record>>> {
    let facts = AccessFacts::load(&state.db).await?;
    Ok(Json(
        store::list::<T>(
            &state.db,
            &q.filter(),
            &facts.reach(&caller.principal),
            page.request(),
        )
        .await?,
    ))
}

async fn get_of<T: Collection>(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> ApiResult<Json<T::Record>>
where
    T::Record: Scoped,
{
    let record = store::get::<T>(&state.db, id).await?;
    may_read(&AccessFacts::load(&state.db).await?, caller, &record)?;
    Ok(Json(record))
}

async fn create_of<T: Collection, I: Parse<New = T::New> + serde::de::DeserializeOwned>(
    state: &AppState,
    caller: &Caller,
    body: &JsonBody,
) -> ApiResult<(StatusCode, Json<T::Record>)> {
    let new = body.parse::<I>()?.parse()?;
    may_write(&AccessFacts::load(&state.db).await?, caller, &new)?;
    Ok((
        StatusCode::CREATED,
        Json(store::create::<T>(&state.db, &caller.actor(), &new).await?),
    ))
}

async fn update_of<T: Collection, I: Parse<New = T::New> + serde::de::DeserializeOwned>(
    state: &AppState,
    caller: &Caller,
    id: &str,
    body: &JsonBody,
) -> ApiResult<Json<T::Record>>
where
    T::Record: Scoped,
{
    let before = store::get::<T>(&state.db, id).await?;
    let facts = AccessFacts::load(&state.db).await?;
    may_write(&facts, caller, &before)?;
    let new = body.parse::<I>()?.parse()?;
    may_write(&facts, caller, &new)?;
    Ok(Json(
        store::update::<T>(&state.db, &caller.actor(), id, &new).await?,
    ))
}

/// The endpoints of a collection: `list` always; with `full`, also `get_one`, `create`,
/// `update` and a `router` for all four (the others write the rest by hand).
macro_rules! collection {
    (full $module:ident, $store:ident, $input:ident, $record:ident, $list:tt, $item:tt, $doc:tt) => {
        pub mod $module {
            use super::*;

            collection!(@list $store, $record, $list, $doc);

            #[doc = $doc]
            #[utoipa::path(get, path = $item, tag = "capacity", security(("bearer" = [])), params(("id" = String, Path)),
                responses((status = 200, body = $record), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
            pub async fn get_one(
                State(state): State<AppState>,
                caller: Caller,
                IdPath(id): IdPath,
            ) -> ApiResult<Json<$record>> {
                get_of::<$store>(&state, &caller, &id).await
            }

            #[doc = $doc]
            #[utoipa::path(post, path = $list, tag = "capacity", security(("bearer" = [])), request_body = $input,
                responses((status = 201, body = $record), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
            pub async fn create(
                State(state): State<AppState>,
                caller: Caller,
                body: JsonBody,
            ) -> ApiResult<(StatusCode, Json<$record>)> {
                create_of::<$store, $input>(&state, &caller, &body).await
            }

            #[doc = $doc]
            #[utoipa::path(put, path = $item, tag = "capacity", security(("bearer" = [])), params(("id" = String, Path)),
                request_body = $input,
                responses((status = 200, body = $record), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
            pub async fn update(
                State(state): State<AppState>,
                caller: Caller,
                IdPath(id): IdPath,
                body: JsonBody,
            ) -> ApiResult<Json<$record>> {
                update_of::<$store, $input>(&state, &caller, &id, &body).await
            }

            pub fn router() -> Router<AppState> {
                Router::new()
                    .route($list, get(list).post(create))
                    .route($item, get(get_one).put(update))
            }
        }
    };
    (list $module:ident, $store:ident, $record:ident, $list:tt, $doc:tt) => {
        pub mod $module {
            use super::*;

            collection!(@list $store, $record, $list, $doc);
        }
    };
    (@list $store:ident, $record:ident, $list:tt, $doc:tt) => {
        #[doc = $doc]
        #[utoipa::path(get, path = $list, tag = "capacity", security(("bearer" = [])), params(PageParams, CapacityQuery),
            responses((status = 200, body = Page<$record>), (status = 401, body = ErrorBody)))]
        pub async fn list(
            State(state): State<AppState>,
            caller: Caller,
            ApiQuery(page): ApiQuery<PageParams>,
            ApiQuery(q): ApiQuery<CapacityQuery>,
        ) -> ApiResult<Json<Page<$record>>> {
            list_of::<$store>(&state, &caller, &page, q).await
        }
    };
}

collection!(full placements, Placements, PlacementInput, Placement,
    "/api/v1/placements", "/api/v1/placements/{id}",
    "进修 placements of local staff at donor hospitals (`kind` filters the status).");
collection!(full team_pairings, TeamPairings, TeamPairingInput, TeamPairing,
    "/api/v1/team-pairings", "/api/v1/team-pairings/{id}",
    "团队带团队: a donor team paired with a local team.");
collection!(full teaching_activities, TeachingActivities, TeachingActivityInput, TeachingActivity,
    "/api/v1/teaching-activities", "/api/v1/teaching-activities/{id}",
    "Teaching activities (教学查房, 学术讲座, 手术示教…); `person` finds those a person hosted or attended.");
collection!(full training_kpis, TrainingKpis, TrainingKpiInput, TrainingKpi,
    "/api/v1/training-kpis", "/api/v1/training-kpis/{id}",
    "Exam pass rates per institution and year (执业医师首考通过率, 住培结业考核通过率); one per indicator and year.");
collection!(full workstations, Workstations, WorkstationInput, Workstation,
    "/api/v1/workstations", "/api/v1/workstations/{id}",
    "名医工作室, 专家工作站, 院士工作站 and co-built centres.");
collection!(full specialty_projects, SpecialtyProjects, SpecialtyProjectInput, SpecialtyProject,
    "/api/v1/specialty-projects", "/api/v1/specialty-projects/{id}",
    "Key-specialty and new-specialty projects with milestones and acceptance.");
collection!(full regulations, Regulations, RegulationInput, Regulation,
    "/api/v1/regulations", "/api/v1/regulations/{id}",
    "Regulations (制度) drafted with the donor's help; `kind` filters the area.");
collection!(full research_outputs, ResearchOutputs, ResearchOutputInput, ResearchOutput,
    "/api/v1/research-outputs", "/api/v1/research-outputs/{id}",
    "Grants, papers, patents and awards credited to local staff.");
collection!(full accreditation_goals, AccreditationGoals, AccreditationGoalInput, AccreditationGoal,
    "/api/v1/accreditation-goals", "/api/v1/accreditation-goals/{id}",
    "Accreditation goals (三甲, 千县工程, 提质达标) with their status.");
collection!(full funding_items, FundingItems, FundingItemInput, FundingItem,
    "/api/v1/funding-items", "/api/v1/funding-items/{id}",
    "Funding items (协作资金): amounts in integer fen, with the same in yuan for display.");
collection!(full equipment_donations, EquipmentDonations, EquipmentDonationInput, EquipmentDonation,
    "/api/v1/equipment-donations", "/api/v1/equipment-donations/{id}",
    "Equipment donations with their value in integer fen.");
collection!(list mentorships_list, Mentorships, Mentorship,
    "/api/v1/mentorships", "师带徒 mentorships; `person` finds a mentor's.");
collection!(list techniques_list, Techniques, Technique,
    "/api/v1/techniques", "New techniques and projects (新技术新项目); `kind` filters the stage.");
collection!(list alliances_list, Alliances, Alliance,
    "/api/v1/alliances", "Specialty alliances (专科联盟) led by an institution.");

// ---- mentorships ----

/// A mentorship: a mentor and a term at a local institution. The term ends where the program's
/// settings say unless an earlier end is given.
#[utoipa::path(post, path = "/api/v1/mentorships", tag = "capacity", security(("bearer" = [])), request_body = MentorshipInput,
    responses((status = 201, body = Mentorship), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_mentorship(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Mentorship>)> {
    let new = body.parse::<MentorshipInput>()?.parse()?;
    may_write(&AccessFacts::load(&state.db).await?, &caller, &new)?;
    Ok((
        StatusCode::CREATED,
        Json(store::create_mentorship(&state.db, &caller.actor(), &new).await?),
    ))
}

/// A mentorship with its apprentices and progress notes.
#[utoipa::path(get, path = "/api/v1/mentorships/{id}", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = MentorshipDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_mentorship(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<MentorshipDetail>> {
    let detail = store::mentorship_detail(&state.db, &id).await?;
    may_read(
        &AccessFacts::load(&state.db).await?,
        &caller,
        &detail.mentorship,
    )?;
    Ok(Json(detail))
}

/// Changes a mentorship, e.g. to record the end-of-term evaluation.
#[utoipa::path(put, path = "/api/v1/mentorships/{id}", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = MentorshipInput,
    responses((status = 200, body = Mentorship), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_mentorship(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<Mentorship>> {
    let before = store::get::<Mentorships>(&state.db, &id).await?;
    let facts = AccessFacts::load(&state.db).await?;
    may_write(&facts, &caller, &before)?;
    let new = body.parse::<MentorshipInput>()?.parse()?;
    may_write(&facts, &caller, &new)?;
    Ok(Json(
        store::update_mentorship(&state.db, &caller.actor(), &id, &new).await?,
    ))
}

/// Adds an apprentice (local staff). Refused (409) when the mentor already has as many
/// apprentices in the term as the program allows (3 unless its capacity settings say more).
#[utoipa::path(post, path = "/api/v1/mentorships/{id}/apprentices", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = ApprenticeInput,
    responses((status = 201, body = Apprentice), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_apprentice(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Apprentice>)> {
    let m = store::get::<Mentorships>(&state.db, &id).await?;
    may_write(&AccessFacts::load(&state.db).await?, &caller, &m)?;
    let new = body.parse::<ApprenticeInput>()?.parse()?;
    Ok((
        StatusCode::CREATED,
        Json(store::add_apprentice(&state.db, &caller.actor(), &id, &new).await?),
    ))
}

/// Adds a progress note: those who may change the mentorship, and the mentor.
#[utoipa::path(post, path = "/api/v1/mentorships/{id}/notes", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = NoteInput,
    responses((status = 201, body = ProgressNote), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_note(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<ProgressNote>)> {
    let m = store::get::<Mentorships>(&state.db, &id).await?;
    let is_mentor = caller.user.person_id.as_deref() == Some(m.mentor_id.as_str());
    if !is_mentor {
        may_write(&AccessFacts::load(&state.db).await?, &caller, &m)?;
    }
    let (written_on, note) = body.parse::<NoteInput>()?.parse()?;
    Ok((
        StatusCode::CREATED,
        Json(store::add_note(&state.db, &caller.actor(), &id, written_on, &note).await?),
    ))
}

/// A program's 师带徒 settings: apprentices per mentor per term and the term's length.
#[utoipa::path(get, path = "/api/v1/programs/{id}/capacity-settings", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = CapacitySettings), (status = 404, body = ErrorBody)))]
async fn get_settings(
    State(state): State<AppState>,
    _caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<CapacitySettings>> {
    Ok(Json(store::get_settings(&state.db, &id).await?))
}

/// Sets a program's 师带徒 settings (the program's managers).
#[utoipa::path(put, path = "/api/v1/programs/{id}/capacity-settings", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = CapacitySettingsInput,
    responses((status = 200, body = CapacitySettings), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_settings(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<CapacitySettings>> {
    allow(caller.principal.can_manage_program(&id))?;
    let input = body.parse::<CapacitySettingsInput>()?;
    let settings = MentorshipSettings::parse(input.max_apprentices, input.term_months)?;
    Ok(Json(
        store::set_settings(&state.db, &caller.actor(), &id, &settings).await?,
    ))
}

// ---- techniques ----

/// A record as created or changed, with what the caller should know about it.
#[derive(Serialize, ToSchema)]
pub struct TechniqueWithWarnings {
    #[serde(flatten)]
    pub technique: Technique,
    /// E.g. `gap_already_filled` when the claimed gap was already filled in the area.
    pub warnings: Vec<Warning>,
}

pub fn gap_warnings(earlier: &[EarlierTechnique]) -> Vec<Warning> {
    let template = i18n::t(i18n::current(), "error.gap_already_filled");
    earlier
        .iter()
        .map(|e| Warning {
            code: "gap_already_filled".into(),
            message: template
                .replace("{institution}", &e.institution_name)
                .replace("{date}", &e.introduced_on),
        })
        .collect()
}

/// Records a new technique at a recipient, at the `introduced` stage. When it claims a gap
/// (县域空白…) that an earlier record in the same area already filled, it is still created and
/// `warnings` names the earlier record.
#[utoipa::path(post, path = "/api/v1/techniques", tag = "capacity", security(("bearer" = [])), request_body = TechniqueInput,
    responses((status = 201, body = TechniqueWithWarnings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_technique(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<TechniqueWithWarnings>)> {
    let new = body.parse::<TechniqueInput>()?.parse()?;
    may_write(&AccessFacts::load(&state.db).await?, &caller, &new)?;
    let (technique, earlier) = store::create_technique(&state.db, &caller.actor(), &new).await?;
    Ok((
        StatusCode::CREATED,
        Json(TechniqueWithWarnings {
            technique,
            warnings: gap_warnings(&earlier),
        }),
    ))
}

/// A technique with its cases and its timeline from introduction to independence.
#[utoipa::path(get, path = "/api/v1/techniques/{id}", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = TechniqueDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_technique(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<TechniqueDetail>> {
    let detail = store::technique_detail(&state.db, &id).await?;
    may_read(
        &AccessFacts::load(&state.db).await?,
        &caller,
        &detail.technique,
    )?;
    Ok(Json(detail))
}

/// Changes a technique's details; the stage changes only through `POST …/stage`.
#[utoipa::path(put, path = "/api/v1/techniques/{id}", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = TechniqueInput,
    responses((status = 200, body = TechniqueWithWarnings), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_technique(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<TechniqueWithWarnings>> {
    let before = store::get::<Techniques>(&state.db, &id).await?;
    let facts = AccessFacts::load(&state.db).await?;
    may_write(&facts, &caller, &before)?;
    let new = body.parse::<TechniqueInput>()?.parse()?;
    may_write(&facts, &caller, &new)?;
    let (technique, earlier) =
        store::update_technique(&state.db, &caller.actor(), &id, &new).await?;
    Ok(Json(TechniqueWithWarnings {
        technique,
        warnings: gap_warnings(&earlier),
    }))
}

/// Logs a case (date, operator, supervising expert, outcome; no patient identifiers).
#[utoipa::path(post, path = "/api/v1/techniques/{id}/cases", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = TechniqueCaseInput,
    responses((status = 201, body = TechniqueCase), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record_case(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<TechniqueCase>)> {
    let technique = store::get::<Techniques>(&state.db, &id).await?;
    may_write(&AccessFacts::load(&state.db).await?, &caller, &technique)?;
    let new = body.parse::<TechniqueCaseInput>()?.parse()?;
    Ok((
        StatusCode::CREATED,
        Json(store::record_case(&state.db, &caller.actor(), &id, &new).await?),
    ))
}

/// Moves a technique to a later stage: introduced → demonstrated → supervised → independent.
/// Refused (409, nothing changes) backwards, and to `independent` before a case by local staff.
#[utoipa::path(post, path = "/api/v1/techniques/{id}/stage", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = StageInput,
    responses((status = 200, body = Technique), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn change_stage(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<Technique>> {
    let technique = store::get::<Techniques>(&state.db, &id).await?;
    may_write(&AccessFacts::load(&state.db).await?, &caller, &technique)?;
    let (stage, on, note) = body.parse::<StageInput>()?.parse()?;
    let note = match (on, note) {
        (Some(on), Some(note)) => Some(format!("{on} {note}")),
        (Some(on), None) => Some(on.to_string()),
        (None, note) => note,
    };
    Ok(Json(
        store::change_stage(&state.db, &caller.actor(), &id, stage, note).await?,
    ))
}

// ---- alliances ----

#[utoipa::path(post, path = "/api/v1/alliances", tag = "capacity", security(("bearer" = [])), request_body = AllianceInput,
    responses((status = 201, body = Alliance), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_alliance(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Alliance>)> {
    create_of::<Alliances, AllianceInput>(&state, &caller, &body).await
}

/// An alliance with its member institutions.
#[utoipa::path(get, path = "/api/v1/alliances/{id}", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = AllianceDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_alliance(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<AllianceDetail>> {
    let detail = store::alliance_detail(&state.db, &id).await?;
    may_read(
        &AccessFacts::load(&state.db).await?,
        &caller,
        &detail.alliance,
    )?;
    Ok(Json(detail))
}

#[utoipa::path(put, path = "/api/v1/alliances/{id}", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = AllianceInput,
    responses((status = 200, body = Alliance), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_alliance(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<Json<Alliance>> {
    update_of::<Alliances, AllianceInput>(&state, &caller, &id, &body).await
}

/// Adds a member institution (those who may change the lead institution's data).
#[utoipa::path(post, path = "/api/v1/alliances/{id}/members", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = AllianceMemberInput,
    responses((status = 201, body = AllianceMember), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<AllianceMember>)> {
    let alliance = store::get::<Alliances>(&state.db, &id).await?;
    may_write(&AccessFacts::load(&state.db).await?, &caller, &alliance)?;
    let (institution_id, joined_on) = body.parse::<AllianceMemberInput>()?.parse()?;
    Ok((
        StatusCode::CREATED,
        Json(store::add_member(&state.db, &caller.actor(), &id, &institution_id, joined_on).await?),
    ))
}

// ---- totals and the institution summary ----

/// Funding summed exactly (integer fen) over the items the filters select.
#[utoipa::path(get, path = "/api/v1/funding-items/totals", tag = "capacity", security(("bearer" = [])), params(CapacityQuery),
    responses((status = 200, body = MoneyTotals), (status = 401, body = ErrorBody)))]
async fn funding_totals(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CapacityQuery>,
) -> ApiResult<Json<MoneyTotals>> {
    let facts = AccessFacts::load(&state.db).await?;
    Ok(Json(
        store::funding_totals(&state.db, &q.filter(), &facts.reach(&caller.principal)).await?,
    ))
}

/// Donated equipment's value summed exactly (integer fen) over the donations the filters select.
#[utoipa::path(get, path = "/api/v1/equipment-donations/totals", tag = "capacity", security(("bearer" = [])), params(CapacityQuery),
    responses((status = 200, body = MoneyTotals), (status = 401, body = ErrorBody)))]
async fn equipment_totals(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CapacityQuery>,
) -> ApiResult<Json<MoneyTotals>> {
    let facts = AccessFacts::load(&state.db).await?;
    Ok(Json(
        store::equipment_totals(&state.db, &q.filter(), &facts.reach(&caller.principal)).await?,
    ))
}

/// "What was built here": techniques by stage and gap, training, workstations, alliances,
/// regulations, research, accreditation goals, funding and equipment at one institution.
#[utoipa::path(get, path = "/api/v1/institutions/{id}/capacity", tag = "capacity", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = CapacitySummary), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn institution_capacity(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<CapacitySummary>> {
    allow(
        AccessFacts::load(&state.db)
            .await?
            .access(&caller.principal, &id)
            .can_read(),
    )?;
    Ok(Json(store::summary(&state.db, &id).await?))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        placements::list,
        placements::get_one,
        placements::create,
        placements::update,
        team_pairings::list,
        team_pairings::get_one,
        team_pairings::create,
        team_pairings::update,
        teaching_activities::list,
        teaching_activities::get_one,
        teaching_activities::create,
        teaching_activities::update,
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
        research_outputs::list,
        research_outputs::get_one,
        research_outputs::create,
        research_outputs::update,
        accreditation_goals::list,
        accreditation_goals::get_one,
        accreditation_goals::create,
        accreditation_goals::update,
        funding_items::list,
        funding_items::get_one,
        funding_items::create,
        funding_items::update,
        equipment_donations::list,
        equipment_donations::get_one,
        equipment_donations::create,
        equipment_donations::update,
        mentorships_list::list,
        create_mentorship,
        get_mentorship,
        update_mentorship,
        add_apprentice,
        add_note,
        get_settings,
        put_settings,
        techniques_list::list,
        create_technique,
        get_technique,
        update_technique,
        record_case,
        change_stage,
        alliances_list::list,
        create_alliance,
        get_alliance,
        update_alliance,
        add_member,
        funding_totals,
        equipment_totals,
        institution_capacity,
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
    ))
)]
pub struct CapacityApi;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(placements::router())
        .merge(team_pairings::router())
        .merge(teaching_activities::router())
        .merge(training_kpis::router())
        .merge(workstations::router())
        .merge(specialty_projects::router())
        .merge(regulations::router())
        .merge(research_outputs::router())
        .merge(accreditation_goals::router())
        .merge(funding_items::router())
        .merge(equipment_donations::router())
        .route(
            "/api/v1/mentorships",
            get(mentorships_list::list).post(create_mentorship),
        )
        .route(
            "/api/v1/mentorships/{id}",
            get(get_mentorship).put(update_mentorship),
        )
        .route("/api/v1/mentorships/{id}/apprentices", post(add_apprentice))
        .route("/api/v1/mentorships/{id}/notes", post(add_note))
        .route(
            "/api/v1/programs/{id}/capacity-settings",
            get(get_settings).put(put_settings),
        )
        .route(
            "/api/v1/techniques",
            get(techniques_list::list).post(create_technique),
        )
        .route(
            "/api/v1/techniques/{id}",
            get(get_technique).put(update_technique),
        )
        .route("/api/v1/techniques/{id}/cases", post(record_case))
        .route("/api/v1/techniques/{id}/stage", post(change_stage))
        .route(
            "/api/v1/alliances",
            get(alliances_list::list).post(create_alliance),
        )
        .route(
            "/api/v1/alliances/{id}",
            get(get_alliance).put(update_alliance),
        )
        .route("/api/v1/alliances/{id}/members", post(add_member))
        .route("/api/v1/funding-items/totals", get(funding_totals))
        .route("/api/v1/equipment-donations/totals", get(equipment_totals))
        .route(
            "/api/v1/institutions/{id}/capacity",
            get(institution_capacity),
        )
}
