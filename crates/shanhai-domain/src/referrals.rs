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

code_enum! {
    /// What a step of a referral or a consultation records besides its new state: the details
    /// of an acceptance, the time set for a consultation, the signed opinion (FHIR
    /// `Task.output`, each carried by a FHIR client moving a Task).
    StepDetail {
        AppointmentAt => "appointment-at", "预约到院时间", "Expected arrival";
        Ward => "ward", "病区床位", "Ward or bed";
        ContactName => "contact-name", "对接联系人", "Contact";
        ContactPhone => "contact-phone", "联系电话", "Contact phone";
        ScheduledAt => "scheduled-at", "会诊时间", "Consultation time";
        Opinion => "opinion", "会诊意见", "Opinion";
    }
}

/// A referral's urgency in a referral's words (the shared [`Urgency`] labels name a
/// consultation's: "急会诊").
///
/// [`Urgency`]: crate::consultations::Urgency
pub fn urgency_label(
    urgency: impl std::borrow::Borrow<crate::consultations::Urgency>,
    lang: impl std::borrow::Borrow<crate::Lang>,
) -> &'static str {
    use crate::Lang;
    use crate::consultations::Urgency;
    match (*urgency.borrow(), *lang.borrow()) {
        (Urgency::Urgent, Lang::Zh) => "紧急转诊",
        (Urgency::Urgent, Lang::En) => "Urgent referral",
        (Urgency::Routine, Lang::Zh) => "常规转诊",
        (Urgency::Routine, Lang::En) => "Routine referral",
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
    fn an_acceptance_names_the_appointment_the_ward_and_a_contact_with_a_phone() {
        let problems = ReferralTransitionInput {
            appointment_at: Some("tomorrow".into()),
            contact_phone: Some("12345".into()),
            ..Default::default()
        }
        .parse(A::Accept)
        .err()
        .map(|p| p.into_iter().map(|i| (i.field, i.key)).collect::<Vec<_>>())
        .unwrap_or_default();
        assert_eq!(
            problems,
            vec![
                ("appointment_at".to_string(), "error.datetime_format"),
                ("ward".to_string(), "error.required"),
                ("contact_name".to_string(), "error.required"),
                ("contact_phone".to_string(), "error.contact_phone_format"),
            ]
        );
        let step = ReferralTransitionInput {
            appointment_at: Some("2026-12-08T09:30".into()),
            ward: Some("心内科 12 床".into()),
            contact_name: Some("李秀兰".into()),
            contact_phone: Some("0902 2231234".into()),
            ..Default::default()
        }
        .parse(A::Accept)
        .unwrap_or_else(|p| panic!("{p}"));
        assert_eq!(
            step.acceptance.map(|a| a.contact_phone),
            Some("0902-2231234".to_string())
        );
        assert_eq!(
            ReferralTransitionInput::default().parse(A::Arrive),
            Ok(ReferralStep::default())
        );
    }

    #[test]
    fn a_contact_phone_is_a_mobile_or_a_landline_with_its_area_code() {
        for ok in [
            "13912345678",
            "+86 139 1234 5678",
            "010-62345678",
            "0902-2231234",
            "09022231234",
            "021 64320000",
        ] {
            assert!(contact_phone("p", ok).is_ok(), "{ok}");
        }
        assert_eq!(
            contact_phone("p", "0902-2231234转806").ok().as_deref(),
            Some("0902-2231234-806")
        );
        for bad in [
            "",
            "12345",
            "2231234",
            "0902-22",
            "abc-12345678",
            "1391234567",
            "0902-2231234-abcdefg",
        ] {
            assert!(contact_phone("p", bad).is_err(), "{bad}");
        }
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
    #[schema(format = Uuid)]
    pub from_institution_id: Option<String>,
    #[schema(format = Uuid)]
    pub to_institution_id: String,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub to_department_id: Option<String>,
    /// The named coordinator who receives the patient (全程对接), a user id.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub receiving_coordinator_id: Option<String>,
    pub patient: crate::consultations::PatientInput,
    pub reason: String,
    /// The consultation that led to this referral, if any.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub consultation_id: Option<String>,
    /// The outreach clinic session (专家门诊/义诊) where the patient was seen, if any.
    #[serde(default)]
    #[schema(format = Uuid)]
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

/// What a referral transition may carry: a decline reason, a treatment note, the outcome; an
/// acceptance carries the appointment, the ward or bed and the contact the sender calls.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ReferralTransitionInput {
    #[serde(default)]
    pub note: Option<String>,
    /// Accepting: when the patient is expected (`YYYY-MM-DDTHH:MM`, Beijing time).
    #[serde(default)]
    #[schema(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub appointment_at: Option<String>,
    /// Accepting: the ward or bed the patient goes to.
    #[serde(default)]
    pub ward: Option<String>,
    /// Accepting: the named person the sender calls.
    #[serde(default)]
    pub contact_name: Option<String>,
    /// Accepting: that person's phone (mobile, or landline with its area code).
    #[serde(default)]
    pub contact_phone: Option<String>,
}

/// What an acceptance tells the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acceptance {
    pub appointment_at: String,
    pub ward: String,
    pub contact_name: String,
    pub contact_phone: String,
}

/// A parsed transition: its note and, for an acceptance, what the sender is told.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReferralStep {
    pub note: Option<String>,
    pub acceptance: Option<Acceptance>,
}

/// A phone number a hospital answers: a mainland mobile number (11 digits from 13–19), or a
/// landline with its area code (0 + 2–3 digits, then 7–8 digits, e.g. 0902-2231234), with an
/// optional extension after "-" or "转".
pub fn contact_phone(field: &str, raw: &str) -> Result<String, crate::Invalid> {
    let raw = raw.trim();
    if let Ok(mobile) = crate::bookings::Phone::parse(field, raw) {
        return Ok(mobile.as_str().to_string());
    }
    let invalid = || crate::Invalid::new(field, "error.contact_phone_format");
    let (number, extension) = match raw.split_once('转') {
        Some((n, e)) => (n.trim(), Some(e.trim())),
        None => (raw, None),
    };
    let parts: Vec<&str> = number.split(['-', ' ']).filter(|p| !p.is_empty()).collect();
    let digits = |s: &str, range: std::ops::RangeInclusive<usize>| {
        range.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let (area, local, ext) = match parts.as_slice() {
        [joined] if joined.starts_with('0') => {
            // Without a separator: Beijing's and the 02x cities' codes have 3 digits (010,
            // 021…), the others 4 (0902…).
            let split = if joined.starts_with("01") || joined.starts_with("02") {
                3
            } else {
                4
            };
            (
                joined.get(..split).unwrap_or(""),
                joined.get(split..).unwrap_or(""),
                None,
            )
        }
        [area, local] => (*area, *local, None),
        [area, local, ext] => (*area, *local, Some(*ext)),
        _ => return Err(invalid()),
    };
    let ext = extension.or(ext);
    let ok = area.starts_with('0')
        && digits(area, 3..=4)
        && digits(local, 7..=8)
        && ext.is_none_or(|e| digits(e, 1..=6));
    if !ok {
        return Err(invalid());
    }
    Ok(match ext {
        Some(e) => format!("{area}-{local}-{e}"),
        None => format!("{area}-{local}"),
    })
}

impl ReferralTransitionInput {
    /// Declining and closing need a note (the reason, the outcome); accepting needs the
    /// appointment, the ward or bed and a named contact with a phone number. Every problem at
    /// once, each at its field.
    pub fn parse(&self, action: ReferralAction) -> Result<ReferralStep, crate::Problems> {
        use crate::validate::{prose, text};
        let required = |field: &str, value: &Option<String>| -> Result<String, crate::Invalid> {
            match value.as_deref().map(str::trim) {
                None | Some("") => Err(crate::Invalid::new(field, "error.required")),
                Some(v) => Ok(v.to_string()),
            }
        };
        let needs_note = matches!(
            action,
            ReferralAction::Decline | ReferralAction::Close | ReferralAction::DownRefer
        );
        let note = match self.note.as_deref().map(str::trim) {
            None | Some("") if needs_note => Err(crate::Invalid::new("note", "error.required")),
            None | Some("") => Ok(None),
            Some(n) => prose("note", n, 5_000).map(Some),
        };
        if action != ReferralAction::Accept {
            return Ok(ReferralStep {
                note: note?,
                acceptance: None,
            });
        }
        crate::every! {
            note = note,
            appointment_at = required("appointment_at", &self.appointment_at).and_then(|raw| {
                chrono::NaiveDateTime::parse_from_str(&raw, "%Y-%m-%dT%H:%M")
                    .map(|_| raw)
                    .map_err(|_| crate::Invalid::new("appointment_at", "error.datetime_format"))
            }),
            ward = required("ward", &self.ward).and_then(|w| text("ward", &w, 100)),
            contact_name = required("contact_name", &self.contact_name)
                .and_then(|n| text("contact_name", &n, 50)),
            contact_phone = required("contact_phone", &self.contact_phone)
                .and_then(|p| contact_phone("contact_phone", &p)),
        }
        Ok(ReferralStep {
            note,
            acceptance: Some(Acceptance {
                appointment_at,
                ward,
                contact_name,
                contact_phone,
            }),
        })
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReferralEvent {
    #[schema(schema_with = event_action)]
    pub action: String,
    #[schema(schema_with = event_from_state)]
    pub from_state: String,
    #[schema(value_type = ReferralState)]
    pub to_state: String,
    #[schema(format = DateTime)]
    pub at: String,
    pub actor_name: String,
    /// Who took the step: name, title and institution.
    pub actor: Option<crate::accounts::ActorLabel>,
    pub note: Option<String>,
}

/// A timeline step's action: one of the actions, or the creation that opened it.
fn event_action() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    ReferralAction::schema_and(&[("create", "Create")])
}

/// The state a step left: empty for the creation.
fn event_from_state() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    ReferralState::schema_and(&[("", "None (the creation)")])
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Referral {
    #[schema(format = Uuid)]
    pub id: String,
    pub direction: Direction,
    pub urgency: crate::consultations::Urgency,
    pub state: ReferralState,
    #[schema(format = Uuid)]
    pub from_institution_id: String,
    pub from_institution_name: Option<String>,
    pub sender_name: String,
    /// The sender: name, title and institution.
    pub sender: Option<crate::accounts::ActorLabel>,
    #[schema(format = Uuid)]
    pub to_institution_id: String,
    pub to_institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub to_department_id: Option<String>,
    #[schema(format = Uuid)]
    pub receiving_coordinator_id: Option<String>,
    pub patient_name_masked: String,
    pub patient_id_number_masked: Option<String>,
    pub patient_sex: crate::codes::Gender,
    pub patient_age: i64,
    pub reason: String,
    #[schema(format = Uuid)]
    pub consultation_id: Option<String>,
    /// The outreach clinic session that produced it, if any.
    #[schema(format = Uuid)]
    pub clinic_session_id: Option<String>,
    /// The program whose pairing links the two institutions, if any.
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    /// Whether the patient leaves the sending institution's province.
    pub leaves_region: bool,
    /// What the receiver's acceptance tells the sender: when and where the patient is
    /// expected, and whom to call.
    #[schema(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub appointment_at: Option<String>,
    pub ward: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
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
