//! Two-way referral (C5, 双向转诊): up (上转) to a higher tier or down (下转) for rehabilitation,
//! with a named receiving coordinator, acceptance, an arrival notice back to the sender and an
//! outcome.

use crate::access::{Principal, Refusal};
use crate::codes::Role;
use serde::{Deserialize, Serialize};

code_enum! {
    Direction {
        Up => "up", "上转", "Up-referral";
        Down => "down", "下转", "Down-referral";
    }
}

code_enum! {
    ReferralState {
        Created => "created", "已发起", "Created";
        Accepted => "accepted", "已接收", "Accepted";
        Declined => "declined", "已拒收", "Declined";
        Arrived => "arrived", "患者已到达", "Patient arrived";
        Treated => "treated", "已诊治", "Treated";
        DownReferred => "down-referred", "已下转", "Referred back down";
        Closed => "closed", "已结案", "Closed";
        Cancelled => "cancelled", "已撤销", "Cancelled";
    }
}

code_enum! {
    ReferralAction {
        Accept => "accept", "接收", "Accept";
        Decline => "decline", "拒收", "Decline";
        Arrive => "arrive", "确认到达", "Confirm arrival";
        Treat => "treat", "记录诊治", "Record treatment";
        DownRefer => "down-refer", "下转", "Refer back down";
        Close => "close", "结案", "Close";
        Cancel => "cancel", "撤销", "Cancel";
    }
}

/// Who takes an action: the sending institution or the receiving one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Party {
    Sender,
    Receiver,
}

impl ReferralAction {
    pub fn party(self) -> Party {
        match self {
            ReferralAction::Cancel => Party::Sender,
            _ => Party::Receiver,
        }
    }
}

impl ReferralState {
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ReferralState::Declined
                | ReferralState::DownReferred
                | ReferralState::Closed
                | ReferralState::Cancelled
        )
    }
}

/// created → accepted | declined; accepted → arrived (the arrival notice returns to the sender);
/// arrived → treated; treated → down-referred | closed (with the outcome); the sender cancels
/// before the patient arrives.
pub fn transition(state: ReferralState, action: ReferralAction) -> Option<ReferralState> {
    use ReferralAction as A;
    use ReferralState as S;
    match (state, action) {
        (S::Created, A::Accept) => Some(S::Accepted),
        (S::Created, A::Decline) => Some(S::Declined),
        (S::Accepted, A::Arrive) => Some(S::Arrived),
        (S::Arrived, A::Treat) => Some(S::Treated),
        (S::Treated, A::DownRefer) => Some(S::DownReferred),
        (S::Treated, A::Close) => Some(S::Closed),
        (S::Created | S::Accepted, A::Cancel) => Some(S::Cancelled),
        _ => None,
    }
}

/// Clinicians and coordinators of the institution, or the platform admin: who refer patients
/// from it and receive them there.
pub fn is_staff_of(p: &Principal, institution: &str) -> bool {
    p.is_admin()
        || (matches!(p.role, Role::Coordinator | Role::Clinician)
            && p.institution_id.as_deref() == Some(institution))
}

/// Whose referrals a user sees: `None` for all (the platform admin), else those sent from or to
/// their institution (coordinators and clinicians with one); anyone else works without referrals.
pub fn visible_to(p: &Principal) -> Result<Option<String>, Refusal> {
    if p.is_admin() {
        return Ok(None);
    }
    match (&p.role, &p.institution_id) {
        (Role::Coordinator | Role::Clinician, Some(i)) => Ok(Some(i.clone())),
        _ => Err(Refusal::Forbidden("error.forbidden")),
    }
}

/// Whether a user may refer a patient from `from`: its staff, or the platform admin.
pub fn may_refer_from(p: &Principal, from: &str) -> Result<(), Refusal> {
    if is_staff_of(p, from) {
        Ok(())
    } else {
        Err(Refusal::Forbidden("error.forbidden"))
    }
}

/// Whether a user may take `action` on a referral from `from` to `to` (whether the state allows
/// it is the state machine's question): the sender cancels, the receiver does the rest.
pub fn may_act(p: &Principal, from: &str, to: &str, action: ReferralAction) -> bool {
    match action.party() {
        Party::Sender => is_staff_of(p, from),
        Party::Receiver => is_staff_of(p, to),
    }
}

/// A referral cites only a consultation its author sees (the consultation's own rule): citing
/// one would otherwise tie its case to a referral both hospitals read. Callers refuse the id
/// exactly as an unknown one, so that a consultation's existence does not leak.
pub fn may_cite_consultation(
    p: &Principal,
    person: Option<&str>,
    consultation: &crate::consultations::Parties,
) -> bool {
    crate::consultations::sees(p, person, consultation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReferralAction as A;
    use ReferralState as S;
    use proptest::prelude::*;

    #[test]
    fn a_patient_goes_up_is_treated_and_comes_back_down() {
        let mut s = S::Created;
        for a in [A::Accept, A::Arrive, A::Treat, A::DownRefer] {
            s = transition(s, a).unwrap_or_else(|| panic!("{a:?} refused in {s:?}"));
        }
        assert_eq!(s, S::DownReferred);
        assert_eq!(
            transition(S::Arrived, A::Cancel),
            None,
            "no cancelling once the patient is there"
        );
        assert_eq!(transition(S::Created, A::Treat), None);
    }

    #[test]
    fn a_referral_cites_only_a_consultation_its_author_sees() {
        let consultation = crate::consultations::Parties {
            requesting_institution_id: "recipient".into(),
            target_institution_id: "donor".into(),
            expert_person_ids: vec!["expert".into()],
        };
        let clinician = |institution: &str| Principal {
            user_id: "u".into(),
            username: "u".into(),
            role: Role::Clinician,
            program_id: None,
            institution_id: Some(institution.into()),
        };
        assert!(may_cite_consultation(
            &clinician("recipient"),
            None,
            &consultation
        ));
        assert!(may_cite_consultation(
            &clinician("donor"),
            None,
            &consultation
        ));
        assert!(!may_cite_consultation(
            &clinician("elsewhere"),
            None,
            &consultation
        ));
        assert!(may_cite_consultation(
            &clinician("elsewhere"),
            Some("expert"),
            &consultation
        ));
    }

    proptest! {
        #[test]
        fn final_states_never_move_and_treatment_needs_arrival(
            actions in prop::collection::vec(prop::sample::select(ReferralAction::ALL.to_vec()), 0..30)
        ) {
            let mut state = S::Created;
            let mut arrived = false;
            for a in actions {
                if let Some(next) = transition(state, a) {
                    prop_assert!(!state.is_final());
                    if next == S::Treated { prop_assert!(arrived); }
                    if next == S::Arrived { arrived = true; }
                    if next == S::Cancelled { prop_assert!(!arrived); prop_assert_eq!(a.party(), Party::Sender); }
                    state = next;
                }
            }
        }
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ReferralInput {
    #[schema(value_type = Direction)]
    pub direction: String,
    #[schema(value_type = crate::consultations::Urgency)]
    pub urgency: String,
    /// The sending institution (default: the caller's own).
    #[serde(default)]
    pub from_institution_id: Option<String>,
    pub to_institution_id: String,
    #[serde(default)]
    pub to_department_id: Option<String>,
    /// The named coordinator who receives the patient (全程对接), a user id.
    #[serde(default)]
    pub receiving_coordinator_id: Option<String>,
    pub patient: crate::consultations::PatientInput,
    pub reason: String,
    /// The consultation that led to this referral, if any.
    #[serde(default)]
    pub consultation_id: Option<String>,
    /// The outreach clinic session (专家门诊/义诊) where the patient was seen, if any.
    #[serde(default)]
    pub clinic_session_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewReferral {
    pub direction: Direction,
    pub urgency: crate::consultations::Urgency,
    pub from_institution_id: Option<String>,
    pub to_institution_id: String,
    pub to_department_id: Option<String>,
    pub receiving_coordinator_id: Option<String>,
    pub patient_name: String,
    pub patient_id_number: Option<crate::bookings::IdNumber>,
    pub patient_sex: crate::codes::Gender,
    pub patient_age: i64,
    pub reason: String,
    pub consultation_id: Option<String>,
    pub clinic_session_id: Option<String>,
}

impl ReferralInput {
    /// The referral described, or every problem of the input, each at its field.
    pub fn parse(&self) -> Result<NewReferral, crate::Problems> {
        use crate::validate::{code, optional_reference, reference, text};
        crate::every! {
            patient_age = if (0..=130).contains(&self.patient.age) {
                Ok(self.patient.age)
            } else {
                Err(crate::Invalid::new("patient.age", "error.age_range"))
            },
            patient_id_number = match self.patient.id_number.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(id) => crate::bookings::IdNumber::parse("patient.id_number", id).map(Some),
            },
            direction = code("direction", &self.direction, Direction::parse),
            urgency = code(
                "urgency",
                &self.urgency,
                crate::consultations::Urgency::parse,
            ),
            from_institution_id = optional_reference(
                "from_institution_id",
                self.from_institution_id.as_deref(),
            ),
            to_institution_id = reference("to_institution_id", &self.to_institution_id),
            to_department_id = optional_reference(
                "to_department_id",
                self.to_department_id.as_deref(),
            ),
            receiving_coordinator_id = optional_reference(
                "receiving_coordinator_id",
                self.receiving_coordinator_id.as_deref(),
            ),
            patient_name = text("patient.name", &self.patient.name, 30),
            patient_sex = code(
                "patient.sex",
                &self.patient.sex,
                crate::codes::Gender::parse,
            ),
            reason = crate::validate::prose("reason", &self.reason, 5_000),
            consultation_id = optional_reference(
                "consultation_id",
                self.consultation_id.as_deref(),
            ),
            clinic_session_id = optional_reference(
                "clinic_session_id",
                self.clinic_session_id.as_deref(),
            ),
        }
        Ok(NewReferral {
            direction,
            urgency,
            from_institution_id,
            to_institution_id,
            to_department_id,
            receiving_coordinator_id,
            patient_name,
            patient_id_number,
            patient_sex,
            patient_age,
            reason,
            consultation_id,
            clinic_session_id,
        })
    }
}

/// What a referral transition may carry: a decline reason, a treatment note, the outcome.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ReferralTransitionInput {
    #[serde(default)]
    pub note: Option<String>,
}

impl ReferralTransitionInput {
    /// Declining and closing need a note (the reason, the outcome).
    pub fn parse(&self, action: ReferralAction) -> Result<Option<String>, crate::Invalid> {
        let note = match self.note.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(n) => Some(crate::validate::prose("note", n, 5_000)?),
        };
        if matches!(
            action,
            ReferralAction::Decline | ReferralAction::Close | ReferralAction::DownRefer
        ) && note.is_none()
        {
            return Err(crate::Invalid::new("note", "error.required"));
        }
        Ok(note)
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReferralEvent {
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub at: String,
    pub actor_name: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Referral {
    pub id: String,
    pub direction: Direction,
    pub urgency: crate::consultations::Urgency,
    pub state: ReferralState,
    pub from_institution_id: String,
    pub from_institution_name: Option<String>,
    pub sender_name: String,
    pub to_institution_id: String,
    pub to_institution_name: Option<String>,
    pub to_department_id: Option<String>,
    pub receiving_coordinator_id: Option<String>,
    pub patient_name_masked: String,
    pub patient_id_number_masked: Option<String>,
    pub patient_sex: crate::codes::Gender,
    pub patient_age: i64,
    pub reason: String,
    pub consultation_id: Option<String>,
    /// The outreach clinic session that produced it, if any.
    pub clinic_session_id: Option<String>,
    /// The program whose pairing links the two institutions, if any.
    pub program_id: Option<String>,
    /// Whether the patient leaves the sending institution's province.
    pub leaves_region: bool,
    pub created_at: String,
    pub updated_at: String,
    pub events: Vec<ReferralEvent>,
}

/// Referral figures for a program, region or period.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ReferralFigures {
    pub total: i64,
    pub up: i64,
    pub down: i64,
    /// Up-referrals to an institution in another province (大病出区).
    pub leaving_region: i64,
    /// Up-referrals kept within the province (大病不出区).
    pub staying_in_region: i64,
    /// Patients who came back for care locally: down-referrals, and up-referrals referred back.
    pub returned: i64,
}
