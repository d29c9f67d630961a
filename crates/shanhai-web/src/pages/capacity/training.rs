//! Training schemes and their members, lecture series, remote CME enrolments, department
//! restructurings and patients who came back for treatment: the lists and the forms.

use super::*;

/// What the training forms offer beyond the common choices: the lecture series held for the
/// institution, the training schemes in reach and the institution's placements.
#[derive(Default)]
pub struct TrainingChoices {
    pub series: Vec<(String, String)>,
    pub schemes: Vec<(String, String)>,
    pub placements: Vec<(String, String)>,
}

/// The choices a section's form needs (nothing for the others).
pub(super) async fn choices(
    db: &Db,
    who: &Acting,
    institution: &str,
    path: &str,
) -> ServiceResult<TrainingChoices> {
    let mut out = TrainingChoices::default();
    let all = PageRequest::new(Some(1), Some(200));
    let here = CapacityFilter {
        institution: Some(institution.to_string()),
        ..Default::default()
    };
    match path {
        "/teaching-activities" => {
            out.series = service::lecture_series::list(db, who, &here, all)
                .await?
                .items
                .into_iter()
                .map(|s| (s.id, s.name))
                .collect();
        }
        "/training-scheme-members" => {
            out.schemes = service::training_schemes::list(db, who, &CapacityFilter::default(), all)
                .await?
                .items
                .into_iter()
                .map(|s| {
                    let at = s.institution_name.unwrap_or_default();
                    (s.id, format!("{} · {at}", s.name))
                })
                .collect();
            out.placements = service::placements::list(db, who, &here, all)
                .await?
                .items
                .into_iter()
                .map(|p| {
                    let label = format!(
                        "{} · {} · {}",
                        p.person_name.clone().unwrap_or_default(),
                        p.subject,
                        p.start_date
                    );
                    (p.id, label)
                })
                .collect();
        }
        _ => {}
    }
    Ok(out)
}

pub(super) struct SchemesS;
impl Section for SchemesS {
    type R = TrainingScheme;
    type T = TrainingSchemes;
    type I = TrainingSchemeInput;
    const PATH: &'static str = "/training-schemes";
    const GROUP: &'static str = "teaching";
    const TITLE: &'static str = "ui.cap_schemes";
    const INTRO: &'static str = "ui.cap_schemes_intro";
    const NEW: &'static str = "ui.cap_new_scheme";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "field.name",
        "field.kind",
        "field.institution_id",
        "field.host_institution_id",
        "field.started_on",
        "ui.cap_scheme_members",
    ];
    const KIND: Option<&'static str> = Some("field.kind");
    fn kinds(lang: Lang) -> Vec<(String, String)> {
        options_of!(SchemeKind, lang)
    }
    fn row(c: &Chrome, r: &TrainingScheme) -> Vec<Cell> {
        vec![
            link(
                r.name.clone(),
                format!("/training-scheme-members?kind={}", r.id),
            ),
            badge(r.kind.label(c.lang), "soft"),
            opt(&r.institution_name),
            opt(&r.host_institution_name),
            cell(r.started_on.clone()),
            num(r.member_count),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            text(c, "name", true),
            select(c, "kind", true, options_of!(SchemeKind, c.lang)),
            pick(c, "host_institution_id", false, c.hospital_picks(), ""),
            date(c, "started_on", true),
            area(c, "note"),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn create(db: &Db, who: &Acting, input: &TrainingSchemeInput) -> ServiceResult<String> {
        let created = service::training_schemes::create(db, who, input).await?;
        Ok(listed_at(Self::PATH, &created.institution_id))
    }
}

pub(super) struct MembersS;
impl Section for MembersS {
    type R = SchemeMember;
    type T = SchemeMembers;
    type I = SchemeMemberInput;
    const PATH: &'static str = "/training-scheme-members";
    const GROUP: &'static str = "teaching";
    const TITLE: &'static str = "ui.cap_scheme_members";
    const INTRO: &'static str = "ui.cap_scheme_members_intro";
    const NEW: &'static str = "ui.cap_new_member";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "ui.cap_member_person",
        "ui.cap_scheme",
        "field.institution_id",
        "field.joined_on",
    ];
    fn row(c: &Chrome, r: &SchemeMember) -> Vec<Cell> {
        vec![
            with_sub(
                opt(&r.person_name),
                r.placement_id.as_ref().map(|_| c.t("ui.cap_via_placement")),
            ),
            link(
                r.scheme_name.clone().unwrap_or_default(),
                format!("/training-scheme-members?kind={}", r.scheme_id),
            ),
            opt(&r.institution_name),
            cell(r.joined_on.clone()),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            select(c, "scheme_id", true, c.training.schemes.clone()).label("ui.cap_scheme", c),
            pick(c, "person_id", false, c.local_picks(), "")
                .label("ui.cap_member_person", c)
                .help("ui.cap_member_help", c),
            select(c, "placement_id", false, c.training.placements.clone()),
            date(c, "joined_on", true),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn create(db: &Db, who: &Acting, input: &SchemeMemberInput) -> ServiceResult<String> {
        let created = service::scheme_members::create(db, who, input).await?;
        Ok(format!("{}?kind={}", Self::PATH, created.scheme_id))
    }
}

pub(super) struct SeriesS;
impl Section for SeriesS {
    type R = LectureSeries;
    type T = LectureSeriesSet;
    type I = LectureSeriesInput;
    const PATH: &'static str = "/lecture-series";
    const GROUP: &'static str = "teaching";
    const TITLE: &'static str = "ui.cap_series";
    const INTRO: &'static str = "ui.cap_series_intro";
    const NEW: &'static str = "ui.cap_new_series";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "field.name",
        "field.kind",
        "field.institution_id",
        "field.started_on",
        "ui.cap_sessions",
        "ui.cap_attendance",
    ];
    const KIND: Option<&'static str> = Some("field.kind");
    fn kinds(lang: Lang) -> Vec<(String, String)> {
        options_of!(SeriesKind, lang)
    }
    fn row(c: &Chrome, r: &LectureSeries) -> Vec<Cell> {
        vec![
            cell(r.name.clone()),
            badge(r.kind.label(c.lang), "soft"),
            opt(&r.institution_name),
            cell(r.started_on.clone()),
            num(r.sessions),
            num(r.attendance),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            text(c, "name", true),
            select(c, "kind", true, options_of!(SeriesKind, c.lang)),
            date(c, "started_on", true),
            area(c, "note"),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn create(db: &Db, who: &Acting, input: &LectureSeriesInput) -> ServiceResult<String> {
        let created = service::lecture_series::create(db, who, input).await?;
        Ok(listed_at(Self::PATH, &created.institution_id))
    }
}

pub(super) struct CmeS;
impl Section for CmeS {
    type R = CmeEnrolment;
    type T = CmeEnrolments;
    type I = CmeEnrolmentInput;
    const PATH: &'static str = "/cme-enrolments";
    const GROUP: &'static str = "teaching";
    const TITLE: &'static str = "ui.cap_cme";
    const INTRO: &'static str = "ui.cap_cme_intro";
    const NEW: &'static str = "ui.cap_new_cme";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "field.learner_name",
        "field.course",
        "field.specialty_code",
        "field.institution_id",
        "field.enrolled_on",
    ];
    fn row(c: &Chrome, r: &CmeEnrolment) -> Vec<Cell> {
        vec![
            opt(&r.learner_name),
            cell(r.course.clone()),
            cell(
                r.specialty_code
                    .as_deref()
                    .map(|s| specialty_name(c.lang, s))
                    .unwrap_or_default(),
            ),
            opt(&r.institution_name),
            cell(r.enrolled_on.clone()),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            pick(c, "learner_id", false, c.local_picks(), "").help("ui.cap_learner_help", c),
            text(c, "learner_name", false),
            text(c, "course", true),
            select(c, "specialty_code", false, c.specialty_options()),
            date(c, "enrolled_on", true),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn create(db: &Db, who: &Acting, input: &CmeEnrolmentInput) -> ServiceResult<String> {
        let created = service::cme_enrolments::create(db, who, input).await?;
        Ok(listed_at(Self::PATH, &created.institution_id))
    }
}

pub(super) struct ChangesS;
impl Section for ChangesS {
    type R = DepartmentChange;
    type T = DepartmentChanges;
    type I = DepartmentChangeInput;
    const PATH: &'static str = "/department-changes";
    const GROUP: &'static str = "specialty";
    const TITLE: &'static str = "ui.cap_department_changes";
    const INTRO: &'static str = "ui.cap_department_changes_intro";
    const NEW: &'static str = "ui.cap_new_department_change";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "field.name",
        "field.kind",
        "field.previous_name",
        "field.institution_id",
        "field.changed_on",
    ];
    const KIND: Option<&'static str> = Some("field.kind");
    fn kinds(lang: Lang) -> Vec<(String, String)> {
        options_of!(DepartmentChangeKind, lang)
    }
    fn row(c: &Chrome, r: &DepartmentChange) -> Vec<Cell> {
        vec![
            cell(r.name.clone()),
            badge(r.kind.label(c.lang), "soft"),
            opt(&r.previous_name),
            opt(&r.institution_name),
            cell(r.changed_on.clone()),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            select(c, "kind", true, options_of!(DepartmentChangeKind, c.lang)),
            text(c, "name", true),
            text(c, "previous_name", false).help("ui.cap_previous_name_help", c),
            pick(c, "department_id", false, c.department_picks(), ""),
            date(c, "changed_on", true),
            area(c, "note"),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn create(db: &Db, who: &Acting, input: &DepartmentChangeInput) -> ServiceResult<String> {
        let created = service::department_changes::create(db, who, input).await?;
        Ok(listed_at(Self::PATH, &created.institution_id))
    }
}

pub(super) struct ReturnsS;
impl Section for ReturnsS {
    type R = PatientReturn;
    type T = PatientReturns;
    type I = PatientReturnInput;
    const PATH: &'static str = "/patient-returns";
    const GROUP: &'static str = "specialty";
    const TITLE: &'static str = "ui.cap_patient_returns";
    const INTRO: &'static str = "ui.cap_patient_returns_intro";
    const NEW: &'static str = "ui.cap_new_patient_return";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "field.returned_on",
        "field.institution_id",
        "field.specialty_code",
        "field.treated_region_code",
    ];
    fn row(c: &Chrome, r: &PatientReturn) -> Vec<Cell> {
        vec![
            cell(r.returned_on.clone()),
            opt(&r.institution_name),
            cell(
                r.specialty_code
                    .as_deref()
                    .map(|s| specialty_name(c.lang, s))
                    .unwrap_or_default(),
            ),
            cell(
                r.treated_region_name
                    .clone()
                    .unwrap_or_else(|| r.treated_region_code.clone()),
            ),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            date(c, "returned_on", true),
            select(c, "specialty_code", false, c.specialty_options()),
            pick(c, "department_id", false, c.department_picks(), ""),
            text(c, "treated_region_code", true).help("ui.cap_treated_region_help", c),
            area(c, "note").help("ui.cap_return_note_help", c),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
        ]
    }
    async fn create(db: &Db, who: &Acting, input: &PatientReturnInput) -> ServiceResult<String> {
        let created = service::patient_returns::create(db, who, input).await?;
        Ok(listed_at(Self::PATH, &created.institution_id))
    }
}
