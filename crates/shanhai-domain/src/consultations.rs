//! Remote consultation (C4): a request from a recipient clinician to a donor specialty or named
//! experts, moving through a state machine that every layer obeys. The requesting side keeps
//! the clinical decision; experts advise.

use crate::access::{Principal, Refusal};
use crate::codes::Role;
use serde::{Deserialize, Serialize};
use std::time::Duration;

code_enum! {
    ConsultationType {
        General => "general", "普通会诊", "General consultation";
        Mdt => "mdt", "多学科MDT", "Multidisciplinary (MDT)";
        DifficultCase => "difficult-case", "疑难病例讨论", "Difficult case discussion";
        Imaging => "imaging", "影像会诊", "Imaging consultation";
        Pathology => "pathology", "病理会诊", "Pathology consultation";
        SurgicalGuidance => "surgical-guidance", "远程手术指导", "Remote surgical guidance";
    }
}

code_enum! {
    Urgency {
        Urgent => "urgent", "急会诊", "Urgent";
        Routine => "routine", "普通", "Routine";
    }
}

code_enum! {
    ConsultationState {
        Requested => "requested", "已申请", "Requested";
        Accepted => "accepted", "已接受", "Accepted";
        Declined => "declined", "已拒绝", "Declined";
        Scheduled => "scheduled", "已排期", "Scheduled";
        Held => "held", "已会诊", "Held";
        Signed => "signed", "报告已签发", "Report signed";
        Closed => "closed", "已结束", "Closed";
        Cancelled => "cancelled", "已撤销", "Cancelled";
    }
}

code_enum! {
    /// What can be done to a consultation; the API path `POST /consultations/{id}/{action}`.
    ConsultationAction {
        Accept => "accept", "接受", "Accept";
        Decline => "decline", "拒绝", "Decline";
        Schedule => "schedule", "排期", "Schedule";
        Hold => "hold", "开始会诊", "Hold";
        Sign => "sign", "签发报告", "Sign";
        Close => "close", "结束", "Close";
        Cancel => "cancel", "撤销", "Cancel";
    }
}

/// Which side of the consultation may take an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Side {
    /// The requesting clinician and their institution.
    Requester,
    /// The assigned experts and the donor specialty's coordinators.
    Consultant,
}

impl ConsultationAction {
    pub fn side(self) -> Side {
        match self {
            ConsultationAction::Close | ConsultationAction::Cancel => Side::Requester,
            _ => Side::Consultant,
        }
    }
}

impl ConsultationState {
    /// Nothing can happen to a consultation any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ConsultationState::Declined | ConsultationState::Closed | ConsultationState::Cancelled
        )
    }
}

/// The state machine: the state an action leads to, or `None` when the action is not allowed
/// in this state (the API answers 409 and changes nothing).
///
/// requested → accepted | declined; accepted → scheduled; scheduled → held; held → signed;
/// signed → closed (and signed → signed for an amendment); cancelled by the requester at any
/// point before the consultation is held.
pub fn transition(
    state: ConsultationState,
    action: ConsultationAction,
) -> Option<ConsultationState> {
    use ConsultationAction as A;
    use ConsultationState as S;
    match (state, action) {
        (S::Requested, A::Accept) => Some(S::Accepted),
        (S::Requested, A::Decline) => Some(S::Declined),
        (S::Accepted, A::Schedule) | (S::Scheduled, A::Schedule) => Some(S::Scheduled),
        (S::Scheduled, A::Hold) => Some(S::Held),
        (S::Held, A::Sign) | (S::Signed, A::Sign) => Some(S::Signed),
        (S::Signed, A::Close) => Some(S::Closed),
        (S::Requested | S::Accepted | S::Scheduled, A::Cancel) => Some(S::Cancelled),
        _ => None,
    }
}

/// Turnaround targets: how long acceptance and the signed report may take, by urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targets {
    pub urgent_accept: Duration,
    pub urgent_report: Duration,
    pub routine_accept: Duration,
    pub routine_report: Duration,
}

impl Default for Targets {
    /// 急会诊: accepted within 2 h, reported within 24 h; 普通: accepted within 24 h, reported
    /// within 48 h.
    fn default() -> Targets {
        let h = |n: u64| Duration::from_secs(n * 3600);
        Targets {
            urgent_accept: h(2),
            urgent_report: h(24),
            routine_accept: h(24),
            routine_report: h(48),
        }
    }
}

impl Targets {
    /// The deadline still ahead of a consultation in `state`, counted from its request: the
    /// acceptance target until accepted, then the report target until signed.
    pub fn due(&self, urgency: Urgency, state: ConsultationState) -> Option<Duration> {
        let (accept, report) = match urgency {
            Urgency::Urgent => (self.urgent_accept, self.urgent_report),
            Urgency::Routine => (self.routine_accept, self.routine_report),
        };
        match state {
            ConsultationState::Requested => Some(accept),
            ConsultationState::Accepted
            | ConsultationState::Scheduled
            | ConsultationState::Held => Some(report),
            _ => None,
        }
    }

    /// The acceptance and report targets for `urgency`.
    pub fn for_urgency(&self, urgency: Urgency) -> (Duration, Duration) {
        match urgency {
            Urgency::Urgent => (self.urgent_accept, self.urgent_report),
            Urgency::Routine => (self.routine_accept, self.routine_report),
        }
    }

    /// Checks a program's targets: whole minutes, at most 30 days, the report no sooner than
    /// the acceptance.
    pub fn validate(&self) -> Result<(), crate::Invalid> {
        let month = Duration::from_secs(30 * 24 * 3600);
        for (field, accept, report) in [
            ("urgent", self.urgent_accept, self.urgent_report),
            ("routine", self.routine_accept, self.routine_report),
        ] {
            if accept.is_zero() || report.is_zero() || accept > month || report > month {
                return Err(crate::Invalid::new(field, "error.target_range"));
            }
            if report < accept {
                return Err(crate::Invalid::new(field, "error.report_before_accept"));
            }
        }
        Ok(())
    }

    /// Whether a consultation requested `elapsed` ago is past its current target.
    pub fn is_overdue(
        &self,
        urgency: Urgency,
        state: ConsultationState,
        elapsed: Duration,
    ) -> bool {
        self.due(urgency, state).is_some_and(|due| elapsed > due)
    }
}

/// Who takes part in a consultation: the requesting and the consulted institution, and the
/// assigned experts (person ids).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parties {
    pub requesting_institution_id: String,
    pub target_institution_id: String,
    pub expert_person_ids: Vec<String>,
}

impl Parties {
    fn assigned(&self, person: Option<&str>) -> bool {
        person.is_some_and(|me| self.expert_person_ids.iter().any(|e| e == me))
    }
}

/// Which consultations a caller sees — the one rule for a single case, its attachments and
/// previews, the lists and the inbox (the store turns it into the lists' filter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsultationScope {
    /// The platform admin.
    All,
    /// Those requested by or asked of `institution_id` (set for its coordinators and
    /// clinicians only), and those `person_id` is assigned to. The default sees nothing.
    Parties {
        institution_id: Option<String>,
        person_id: Option<String>,
    },
}

impl Default for ConsultationScope {
    fn default() -> ConsultationScope {
        ConsultationScope::Parties {
            institution_id: None,
            person_id: None,
        }
    }
}

impl ConsultationScope {
    /// A caller's scope. A case's patient details are for the two hospitals' coordinators and
    /// clinicians and the experts assigned to it: an expert sees a consultation only once
    /// assigned, even one asked of their own hospital (its coordinators triage and assign); a
    /// program office sees none (it has the de-identified figures).
    pub fn of(principal: &Principal, person: Option<&str>) -> ConsultationScope {
        if principal.is_admin() {
            return ConsultationScope::All;
        }
        let staff = matches!(principal.role, Role::Coordinator | Role::Clinician);
        ConsultationScope::Parties {
            institution_id: principal.institution_id.clone().filter(|_| staff),
            person_id: person.map(str::to_string),
        }
    }

    pub fn admits(&self, p: &Parties) -> bool {
        match self {
            ConsultationScope::All => true,
            ConsultationScope::Parties {
                institution_id,
                person_id,
            } => {
                institution_id.as_deref().is_some_and(|i| {
                    i == p.requesting_institution_id || i == p.target_institution_id
                }) || p.assigned(person_id.as_deref())
            }
        }
    }
}

/// Whether a user (with their linked person, if any) sees the consultation.
pub fn sees(principal: &Principal, person: Option<&str>, p: &Parties) -> bool {
    ConsultationScope::of(principal, person).admits(p)
}

/// Whether a user may request a consultation from `requesting` (the platform admin from any
/// institution, a coordinator or clinician from their own); with `None`, whether their role may
/// request at all.
pub fn may_request(principal: &Principal, requesting: Option<&str>) -> Result<(), Refusal> {
    let role_may = matches!(
        principal.role,
        Role::PlatformAdmin | Role::Coordinator | Role::Clinician
    );
    let from_own = principal.is_admin()
        || requesting.is_none_or(|r| principal.institution_id.as_deref() == Some(r));
    if role_may && from_own {
        Ok(())
    } else {
        Err(Refusal::Forbidden("error.forbidden"))
    }
}

/// Whether a user may take `action` (whether the state allows it is the state machine's
/// question): an assigned expert signs; the consulted side's assigned experts and staff accept,
/// decline, schedule and hold; the requesting side's staff close and cancel. Whoever may act
/// sees the consultation.
pub fn may_act(
    principal: &Principal,
    person: Option<&str>,
    p: &Parties,
    action: ConsultationAction,
) -> bool {
    let assigned = p.assigned(person);
    let staff_of = |institution: &str| {
        principal.is_admin()
            || (matches!(principal.role, Role::Coordinator | Role::Clinician)
                && principal.institution_id.as_deref() == Some(institution))
    };
    match (action, action.side()) {
        (ConsultationAction::Sign, _) => assigned,
        (_, Side::Consultant) => assigned || staff_of(&p.target_institution_id),
        (_, Side::Requester) => staff_of(&p.requesting_institution_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConsultationAction as A;
    use ConsultationState as S;
    use proptest::prelude::*;

    #[test]
    fn the_normal_path_and_the_illegal_moves_the_issue_names() {
        let mut s = S::Requested;
        for a in [A::Accept, A::Schedule, A::Hold, A::Sign, A::Close] {
            s = transition(s, a).unwrap_or_else(|| panic!("{a:?} refused in {s:?}"));
        }
        assert_eq!(s, S::Closed);
        assert_eq!(transition(S::Scheduled, A::Sign), None, "sign before held");
        assert_eq!(
            transition(S::Cancelled, A::Accept),
            None,
            "accept a cancelled request"
        );
        assert_eq!(transition(S::Held, A::Cancel), None, "cancel once held");
        assert_eq!(
            transition(S::Signed, A::Sign),
            Some(S::Signed),
            "an amendment is a new signed version"
        );
    }

    #[test]
    fn overdue_follows_urgency_and_state() {
        let t = Targets::default();
        let h = |n: u64| Duration::from_secs(n * 3600);
        assert!(t.is_overdue(Urgency::Urgent, S::Requested, h(3)));
        assert!(!t.is_overdue(Urgency::Routine, S::Requested, h(3)));
        assert!(!t.is_overdue(Urgency::Urgent, S::Signed, h(300)));
    }

    fn arb_action() -> impl Strategy<Value = ConsultationAction> {
        prop::sample::select(ConsultationAction::ALL.to_vec())
    }

    proptest! {
        /// Along any sequence of attempted actions: final states never move, a report is never
        /// signed without the consultation having been held, and nothing is cancelled once held.
        #[test]
        fn no_sequence_breaks_the_rules(actions in prop::collection::vec(arb_action(), 0..40)) {
            let mut state = S::Requested;
            let mut held = false;
            for a in actions {
                if let Some(next) = transition(state, a) {
                    prop_assert!(!state.is_final(), "{state:?} moved");
                    if next == S::Signed { prop_assert!(held); }
                    if next == S::Cancelled { prop_assert!(!held); }
                    if next == S::Held { held = true; }
                    state = next;
                }
            }
        }

        /// Every state is reachable only through the table: each allowed move is listed.
        #[test]
        fn allowed_moves_match_the_sides(state in prop::sample::select(ConsultationState::ALL.to_vec()), a in arb_action()) {
            if transition(state, a) == Some(S::Cancelled) {
                prop_assert_eq!(a.side(), Side::Requester);
            }
            if transition(state, a) == Some(S::Signed) {
                prop_assert_eq!(a.side(), Side::Consultant);
            }
        }
    }

    fn principal(role: Role, institution: Option<&str>) -> Principal {
        Principal {
            user_id: "u".into(),
            username: "u".into(),
            role,
            program_id: None,
            institution_id: institution.map(str::to_string),
        }
    }

    fn parties() -> Parties {
        Parties {
            requesting_institution_id: "recipient".into(),
            target_institution_id: "donor".into(),
            expert_person_ids: vec!["assigned".into()],
        }
    }

    #[test]
    fn an_expert_of_the_consulted_hospital_sees_a_case_only_once_assigned() {
        let expert = principal(Role::Expert, Some("donor"));
        assert!(!sees(&expert, Some("other-expert"), &parties()));
        assert!(!sees(&expert, None, &parties()));
        assert!(sees(&expert, Some("assigned"), &parties()));
        for a in ConsultationAction::ALL {
            assert!(!may_act(&expert, Some("other-expert"), &parties(), *a));
        }
        assert!(may_act(&expert, Some("assigned"), &parties(), A::Sign));
    }

    #[test]
    fn the_two_hospitals_staff_see_it_and_offices_and_outsiders_do_not() {
        for role in [Role::Coordinator, Role::Clinician] {
            assert!(sees(&principal(role, Some("donor")), None, &parties()));
            assert!(sees(&principal(role, Some("recipient")), None, &parties()));
            assert!(!sees(&principal(role, Some("elsewhere")), None, &parties()));
        }
        assert!(sees(
            &principal(Role::PlatformAdmin, None),
            None,
            &parties()
        ));
        assert!(!sees(
            &principal(Role::ProgramOffice, Some("donor")),
            None,
            &parties()
        ));
        assert!(!sees(
            &principal(Role::Expert, Some("recipient")),
            None,
            &parties()
        ));
        assert!(
            !ConsultationScope::default().admits(&parties()),
            "a scope nobody set shows nothing"
        );
    }

    proptest! {
        /// Whoever may act on a consultation sees it, and the scope (the lists' filter) admits
        /// exactly the consultations the single-case rule shows.
        #[test]
        fn acting_implies_seeing_and_the_scope_is_the_rule(
            role in prop::sample::select(Role::ALL.to_vec()),
            institution in prop::sample::select(vec![None, Some("donor"), Some("recipient"), Some("elsewhere")]),
            person in prop::sample::select(vec![None, Some("assigned"), Some("other")]),
            a in arb_action(),
        ) {
            let p = principal(role, institution);
            let x = parties();
            prop_assert_eq!(ConsultationScope::of(&p, person).admits(&x), sees(&p, person, &x));
            if may_act(&p, person, &x, a) {
                prop_assert!(sees(&p, person, &x));
            }
            let staff = matches!(role, Role::Coordinator | Role::Clinician)
                && matches!(institution, Some("donor") | Some("recipient"));
            prop_assert_eq!(
                sees(&p, person, &x),
                role == Role::PlatformAdmin || staff || person == Some("assigned")
            );
        }
    }
}

/// The patient a consultation is about. Name and ID number are encrypted at rest and shown
/// masked; sex and age travel with the case.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct PatientInput {
    pub name: String,
    /// 18-character resident ID number, when known.
    #[serde(default)]
    pub id_number: Option<String>,
    #[schema(value_type = crate::codes::Gender)]
    pub sex: String,
    pub age: i64,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ConsultationInput {
    #[schema(value_type = ConsultationType)]
    pub r#type: String,
    #[schema(value_type = Urgency)]
    pub urgency: String,
    /// The requesting hospital (default: the caller's own).
    #[serde(default)]
    #[schema(format = Uuid)]
    pub requesting_institution_id: Option<String>,
    /// The donor hospital asked for advice.
    #[schema(format = Uuid)]
    pub target_institution_id: String,
    /// 诊疗科目 code of the specialty asked.
    #[serde(default)]
    pub target_specialty_code: Option<String>,
    /// Named experts (person ids); for an MDT the first one chairs.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub expert_ids: Vec<String>,
    pub patient: PatientInput,
    pub case_summary: String,
    pub question: String,
}

#[derive(Debug, Clone)]
pub struct NewConsultation {
    pub kind: ConsultationType,
    pub urgency: Urgency,
    pub requesting_institution_id: Option<String>,
    pub target_institution_id: String,
    pub target_specialty_code: Option<String>,
    pub expert_ids: Vec<String>,
    pub patient_name: String,
    pub patient_id_number: Option<crate::bookings::IdNumber>,
    pub patient_sex: crate::codes::Gender,
    pub patient_age: i64,
    pub case_summary: String,
    pub question: String,
}

impl ConsultationInput {
    /// The request described, or every problem of the input, each at its field.
    pub fn parse(&self) -> Result<NewConsultation, crate::Problems> {
        use crate::validate::{code, optional_reference, prose, reference, text};
        crate::every! {
            patient_age = if (0..=130).contains(&self.patient.age) {
                Ok(self.patient.age)
            } else {
                Err(crate::Invalid::new("patient.age", "error.age_range"))
            },
            expert_ids = if self.expert_ids.len() > 20 {
                Err(crate::Invalid::new("expert_ids", "error.items_at_most").with(&[20]))
            } else {
                self.expert_ids
                    .iter()
                    .map(|id| reference("expert_ids", id))
                    .collect::<Result<Vec<_>, _>>()
                    .map(|ids| {
                        let mut unique: Vec<String> = Vec::new();
                        for id in ids {
                            if !unique.contains(&id) {
                                unique.push(id);
                            }
                        }
                        unique
                    })
            },
            target_specialty_code = match self.target_specialty_code.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(c) => crate::specialty::find(c)
                    .map(|s| Some(s.code.clone()))
                    .ok_or_else(|| {
                        crate::Invalid::new("target_specialty_code", "error.unknown_specialty")
                    }),
            },
            patient_id_number = match self.patient.id_number.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(id) => crate::bookings::IdNumber::parse("patient.id_number", id).map(Some),
            },
            kind = code("type", &self.r#type, ConsultationType::parse),
            urgency = code("urgency", &self.urgency, Urgency::parse),
            requesting_institution_id = optional_reference(
                "requesting_institution_id",
                self.requesting_institution_id.as_deref(),
            ),
            target_institution_id = reference("target_institution_id", &self.target_institution_id),
            patient_name = text("patient.name", &self.patient.name, 30),
            patient_sex = code(
                "patient.sex",
                &self.patient.sex,
                crate::codes::Gender::parse,
            ),
            case_summary = prose("case_summary", &self.case_summary, 10_000),
            question = prose("question", &self.question, 2_000),
        }
        Ok(NewConsultation {
            kind,
            urgency,
            requesting_institution_id,
            target_institution_id,
            target_specialty_code,
            expert_ids,
            patient_name,
            patient_id_number,
            patient_sex,
            patient_age,
            case_summary,
            question,
        })
    }
}

/// What a transition may carry: a decline reason, the scheduled time, the opinion being
/// signed, the requester's decision when closing.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct TransitionInput {
    #[serde(default)]
    pub reason: Option<String>,
    /// `YYYY-MM-DDTHH:MM` local time (Asia/Shanghai), for `schedule`.
    #[serde(default)]
    #[schema(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub scheduled_at: Option<String>,
    /// The opinion (会诊意见), for `sign`.
    #[serde(default)]
    pub opinion: Option<String>,
    /// What the requesting clinician decided, for `close`.
    #[serde(default)]
    pub decision: Option<String>,
}

/// The checked content of a transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionDetail {
    None,
    Reason(String),
    ScheduledAt(String),
    Opinion(String),
    Decision(String),
}

impl TransitionInput {
    pub fn parse(&self, action: ConsultationAction) -> Result<TransitionDetail, crate::Invalid> {
        use crate::validate::prose;
        Ok(match action {
            ConsultationAction::Decline => TransitionDetail::Reason(prose(
                "reason",
                self.reason.as_deref().unwrap_or(""),
                1000,
            )?),
            ConsultationAction::Schedule => {
                let raw = self.scheduled_at.as_deref().unwrap_or("").trim();
                chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
                    .map_err(|_| crate::Invalid::new("scheduled_at", "error.datetime_format"))?;
                TransitionDetail::ScheduledAt(raw.to_string())
            }
            ConsultationAction::Sign => TransitionDetail::Opinion(prose(
                "opinion",
                self.opinion.as_deref().unwrap_or(""),
                20_000,
            )?),
            ConsultationAction::Close => TransitionDetail::Decision(prose(
                "decision",
                self.decision.as_deref().unwrap_or(""),
                5_000,
            )?),
            _ => TransitionDetail::None,
        })
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConsultationExpert {
    #[schema(format = Uuid)]
    pub person_id: String,
    pub name: Option<String>,
    pub institution_name: Option<String>,
    pub chair: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Opinion {
    pub version: i64,
    #[schema(format = Uuid)]
    pub author_person_id: Option<String>,
    pub author_name: String,
    /// The signer: name, title and institution.
    pub author: Option<crate::accounts::ActorLabel>,
    pub text: String,
    #[schema(format = DateTime)]
    pub signed_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConsultationEvent {
    #[schema(schema_with = event_action)]
    pub action: String,
    #[schema(schema_with = event_from_state)]
    pub from_state: String,
    #[schema(value_type = ConsultationState)]
    pub to_state: String,
    #[schema(format = DateTime)]
    pub at: String,
    pub actor_name: String,
    /// Who took the step: name, title and institution.
    pub actor: Option<crate::accounts::ActorLabel>,
    pub detail: Option<String>,
}

/// A timeline step's action: one of the actions, or the request that opened it.
fn event_action() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    ConsultationAction::schema_and(&[("request", "Request")])
}

/// The state a step left: empty for the request that opened the consultation.
fn event_from_state() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    ConsultationState::schema_and(&[("", "None (the request)")])
}

code_enum! {
    AttachmentKind {
        Dicom => "dicom", "DICOM 影像", "DICOM image";
        Pdf => "pdf", "PDF 文档", "PDF document";
        Image => "image", "图片", "Image";
    }
}

/// What a DICOM file says about itself; the patient's name and ID are kept only masked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DicomSummary {
    /// e.g. `CT`, `MR`, `DX`.
    pub modality: Option<String>,
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub study_date: Option<String>,
    pub study_description: Option<String>,
    pub series_description: Option<String>,
    pub body_part: Option<String>,
    pub patient_name_masked: Option<String>,
    pub patient_id_masked: Option<String>,
    pub rows: Option<u32>,
    pub columns: Option<u32>,
    pub frames: Option<u32>,
    pub transfer_syntax: Option<String>,
    /// The window the preview was rendered with, for CT: (centre, width).
    pub window: Option<(f64, f64)>,
}

/// A file attached to a consultation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Attachment {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub consultation_id: String,
    /// The name the uploader gave it (path stripped).
    pub file_name: String,
    /// The type recognised from the content.
    pub content_type: String,
    pub kind: AttachmentKind,
    pub size: i64,
    pub sha256: String,
    pub dicom: Option<DicomSummary>,
    /// Downloads the file.
    pub content_url: String,
    /// A PNG (DICOM) or the file itself (PDF, images) to show in the page; `None` when no
    /// preview could be made — `preview_error` says why.
    pub preview_url: Option<String>,
    pub preview_error: Option<String>,
    pub uploaded_by_name: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// A program's turnaround targets as the API shows and takes them, in hours.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetHours {
    pub accept_hours: f64,
    pub report_hours: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetsInput {
    pub urgent: TargetHours,
    pub routine: TargetHours,
}

impl TargetsInput {
    /// The targets checked: every value out of range at once (the order of accept and report
    /// is checked once each value is valid).
    pub fn parse(&self) -> Result<Targets, crate::Problems> {
        let minutes = |field: &'static str, h: f64| {
            if h.is_finite() && h > 0.0 && h <= 720.0 {
                Ok(Duration::from_secs(((h * 60.0).round() as u64).max(1) * 60))
            } else {
                Err(crate::Invalid::new(field, "error.target_range"))
            }
        };
        crate::every! {
            urgent_accept = minutes("urgent", self.urgent.accept_hours),
            urgent_report = minutes("urgent", self.urgent.report_hours),
            routine_accept = minutes("routine", self.routine.accept_hours),
            routine_report = minutes("routine", self.routine.report_hours),
        }
        let t = Targets {
            urgent_accept,
            urgent_report,
            routine_accept,
            routine_report,
        };
        t.validate()?;
        Ok(t)
    }
}

impl From<Targets> for TargetsInput {
    fn from(t: Targets) -> TargetsInput {
        let h = |d: Duration| d.as_secs() as f64 / 3600.0;
        TargetsInput {
            urgent: TargetHours {
                accept_hours: h(t.urgent_accept),
                report_hours: h(t.urgent_report),
            },
            routine: TargetHours {
                accept_hours: h(t.routine_accept),
                report_hours: h(t.routine_report),
            },
        }
    }
}

/// De-identified consultation figures for a program office: counts only, no patient details.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ConsultationFigures {
    pub total: i64,
    /// By type code (`general`, `mdt`, `difficult-case`, `imaging`, `pathology`,
    /// `surgical-guidance`).
    pub by_type: std::collections::BTreeMap<String, i64>,
    /// By state code.
    pub by_state: std::collections::BTreeMap<String, i64>,
    pub urgent: i64,
    /// With a signed opinion.
    pub reported: i64,
    /// Open and past their target now.
    pub overdue: i64,
    /// Accepted within the acceptance target, of those accepted.
    pub accepted_on_time: i64,
    pub accepted: i64,
    /// Reported within the report target, of those reported.
    pub reported_on_time: i64,
    /// Consultations per consulted institution, most first.
    pub by_target_institution: Vec<InstitutionCount>,
    /// Consultations per requesting institution, most first.
    pub by_requesting_institution: Vec<InstitutionCount>,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct InstitutionCount {
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub name: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Consultation {
    #[schema(format = Uuid)]
    pub id: String,
    pub r#type: ConsultationType,
    pub urgency: Urgency,
    pub state: ConsultationState,
    #[schema(format = Uuid)]
    pub requesting_institution_id: String,
    pub requesting_institution_name: Option<String>,
    pub requester_name: String,
    /// The requester: name, title and institution.
    pub requester: Option<crate::accounts::ActorLabel>,
    #[schema(format = Uuid)]
    pub target_institution_id: String,
    pub target_institution_name: Option<String>,
    pub target_specialty_code: Option<String>,
    pub patient_name_masked: String,
    pub patient_id_number_masked: Option<String>,
    pub patient_sex: crate::codes::Gender,
    pub patient_age: i64,
    pub case_summary: String,
    pub question: String,
    pub decline_reason: Option<String>,
    #[schema(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub scheduled_at: Option<String>,
    pub decision: Option<String>,
    #[schema(format = DateTime)]
    pub requested_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// Past its turnaround target for the current state.
    pub overdue: bool,
    /// The program whose pairing links the two hospitals, if any; its targets apply.
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    /// When acceptance is due, and when the signed report is due (from the program's targets).
    #[schema(format = DateTime)]
    pub accept_due_at: Option<String>,
    #[schema(format = DateTime)]
    pub report_due_at: Option<String>,
    pub experts: Vec<ConsultationExpert>,
    pub opinions: Vec<Opinion>,
    pub events: Vec<ConsultationEvent>,
    pub attachments: Vec<Attachment>,
}
