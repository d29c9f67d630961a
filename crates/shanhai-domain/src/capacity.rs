//! What stays behind when the experts leave (带不走的医疗队): training (C6), technology transfer
//! (C7), specialty and management building (C8) and resources (C9).
//!
//! Every record belongs to one local institution (`institution_id`: where the trainee works,
//! where the technique is introduced, who receives the money) and, optionally, to a program;
//! access follows that institution.
//!
//! The rules that matter live here and are tested directly: a mentor's apprentices per term
//! ([`MentorshipSettings::admits`]), a technique's stages ([`TechniqueStage::may_move_to`]), the
//! area a "first in the region" claim is checked against ([`GapLevel::area_prefix`]) and money
//! in integer fen ([`yuan`], [`parse_yuan`]).

use crate::validate::{self, code, optional_reference, optional_text, reference, text};
use crate::{Invalid, specialty};
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const TITLE_MAX: usize = 200;
const NOTE_MAX: usize = 4000;
/// The largest amount of money a record may carry: ten billion yuan, in fen.
pub const MAX_FEN: i64 = 1_000_000_000_000;

/// What every capacity record and input names: the local institution it belongs to and the
/// program it was done under.
pub trait Scoped {
    fn institution_id(&self) -> &str;
    fn program_id(&self) -> Option<&str>;
}

macro_rules! scoped {
    ($($t:ty),+) => {$(
        impl Scoped for $t {
            fn institution_id(&self) -> &str {
                &self.institution_id
            }
            fn program_id(&self) -> Option<&str> {
                self.program_id.as_deref()
            }
        }
    )+};
}

fn specialty_code(field: &str, value: &str) -> Result<String, Invalid> {
    specialty::find(value.trim())
        .map(|s| s.code.clone())
        .ok_or_else(|| Invalid::new(field, "error.unknown_specialty"))
}

fn optional_specialty(field: &str, value: Option<&str>) -> Result<Option<String>, Invalid> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => specialty_code(field, v).map(Some),
    }
}

fn count(field: &str, value: i64, max: i64) -> Result<i64, Invalid> {
    if (0..=max).contains(&value) {
        Ok(value)
    } else {
        Err(Invalid::new(field, "error.out_of_range"))
    }
}

fn optional_code<T>(
    field: &str,
    value: Option<&str>,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, Invalid> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => code(field, v, parse).map(Some),
    }
}

// ---- money ----

/// An amount in fen written as yuan with two decimals, e.g. `8300000000` → `"83000000.00"`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Reads yuan written as a decimal (`"1234.5"`, `"83000000.00"`) into fen, exactly; more than two
/// decimals, signs, exponents and anything over [`MAX_FEN`] are refused.
pub fn parse_yuan(field: &str, value: &str) -> Result<i64, Invalid> {
    let bad = || Invalid::new(field, "error.money_format");
    let value = value.trim();
    let (whole, frac) = value.split_once('.').unwrap_or((value, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || whole.len() > 12
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    let fen = whole
        .checked_mul(100)
        .and_then(|f| f.checked_add(frac))
        .ok_or_else(bad)?;
    money("amount_fen", fen).map_err(|_| bad())
}

/// A non-negative amount in fen within [`MAX_FEN`].
pub fn money(field: &str, fen: i64) -> Result<i64, Invalid> {
    if (0..=MAX_FEN).contains(&fen) {
        Ok(fen)
    } else {
        Err(Invalid::new(field, "error.money_range"))
    }
}

/// An amount given either as integer fen or as a yuan decimal string; with both, they must agree.
fn amount(
    field: &str,
    fen: Option<i64>,
    yuan_text: Option<&str>,
    yuan_field: &str,
) -> Result<i64, Invalid> {
    match (fen, yuan_text.map(str::trim).filter(|s| !s.is_empty())) {
        (Some(f), None) => money(field, f),
        (None, Some(y)) => parse_yuan(yuan_field, y),
        (Some(f), Some(y)) if parse_yuan(yuan_field, y)? == f => money(field, f),
        (Some(_), Some(_)) => Err(Invalid::new(field, "error.money_disagrees")),
        (None, None) => Err(Invalid::new(field, "error.required")),
    }
}

/// Money totals over many records, summed as integers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MoneyTotals {
    /// How many records were summed.
    pub count: i64,
    pub amount_fen: i64,
    /// The same amount in yuan with two decimals, for display.
    pub amount_yuan: String,
}

impl MoneyTotals {
    pub fn new(count: i64, amount_fen: i64) -> MoneyTotals {
        MoneyTotals {
            count,
            amount_fen,
            amount_yuan: yuan(amount_fen),
        }
    }
}

// ---- program settings ----

/// How a program runs 师带徒: apprentices per mentor per term and the term's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MentorshipSettings {
    pub max_apprentices: i64,
    pub term_months: i64,
}

impl Default for MentorshipSettings {
    /// One mentor to at most three apprentices, three-month terms.
    fn default() -> Self {
        MentorshipSettings {
            max_apprentices: 3,
            term_months: 3,
        }
    }
}

impl MentorshipSettings {
    pub fn parse(max_apprentices: i64, term_months: i64) -> Result<MentorshipSettings, Invalid> {
        if !(1..=50).contains(&max_apprentices) {
            return Err(Invalid::new("max_apprentices", "error.out_of_range"));
        }
        if !(1..=36).contains(&term_months) {
            return Err(Invalid::new("term_months", "error.out_of_range"));
        }
        Ok(MentorshipSettings {
            max_apprentices,
            term_months,
        })
    }

    /// Whether a mentor who already has `current` apprentices in a term may take one more.
    pub fn admits(&self, current: i64) -> bool {
        current < self.max_apprentices
    }

    /// The last day of a term starting on `start`.
    pub fn term_end(&self, start: NaiveDate) -> NaiveDate {
        start
            .checked_add_months(Months::new(u32::try_from(self.term_months).unwrap_or(3)))
            .and_then(|d| d.pred_opt())
            .unwrap_or(start)
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CapacitySettingsInput {
    /// Apprentices a mentor may take per term (default 3).
    pub max_apprentices: i64,
    /// Length of a mentorship term in months (default 3).
    pub term_months: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CapacitySettings {
    pub program_id: String,
    pub max_apprentices: i64,
    pub term_months: i64,
    /// False while the program uses the defaults.
    pub customised: bool,
}

// ---- placements (进修) ----

code_enum! {
    PlacementStatus {
        Ongoing => "ongoing", "进修中", "Ongoing";
        Completed => "completed", "已结业", "Completed";
        Withdrawn => "withdrawn", "中止", "Withdrawn";
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PlacementInput {
    #[serde(default)]
    pub program_id: Option<String>,
    /// The trainee's own (local) institution.
    pub institution_id: String,
    /// The trainee, a person of `institution_id`.
    pub person_id: String,
    /// The donor hospital that hosts the placement.
    pub host_institution_id: String,
    #[serde(default)]
    pub host_department_id: Option<String>,
    pub subject: String,
    pub start_date: String,
    #[serde(default)]
    pub end_date: Option<String>,
    /// `ongoing` (default), `completed`, `withdrawn`.
    #[serde(default)]
    pub status: Option<String>,
    /// Skills learned or certificate obtained.
    #[serde(default)]
    pub outcome: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewPlacement {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub person_id: String,
    pub host_institution_id: String,
    pub host_department_id: Option<String>,
    pub subject: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub status: PlacementStatus,
    pub outcome: Option<String>,
}

impl PlacementInput {
    pub fn parse(&self) -> Result<NewPlacement, Invalid> {
        let start_date = validate::date("start_date", &self.start_date)?;
        let end_date = validate::optional_date("end_date", self.end_date.as_deref())?;
        validate::period(start_date, end_date)?;
        Ok(NewPlacement {
            program_id: optional_reference("program_id", self.program_id.as_deref())?,
            institution_id: reference("institution_id", &self.institution_id)?,
            person_id: reference("person_id", &self.person_id)?,
            host_institution_id: reference("host_institution_id", &self.host_institution_id)?,
            host_department_id: optional_reference(
                "host_department_id",
                self.host_department_id.as_deref(),
            )?,
            subject: text("subject", &self.subject, TITLE_MAX)?,
            start_date,
            end_date,
            status: optional_code("status", self.status.as_deref(), PlacementStatus::parse)?
                .unwrap_or(PlacementStatus::Ongoing),
            outcome: optional_text("outcome", self.outcome.as_deref(), NOTE_MAX)?,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Placement {
    pub id: String,
    pub program_id: Option<String>,
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub person_id: String,
    pub person_name: Option<String>,
    pub host_institution_id: String,
    pub host_institution_name: Option<String>,
    pub host_department_id: Option<String>,
    pub subject: String,
    pub start_date: String,
    pub end_date: Option<String>,
    pub status: PlacementStatus,
    pub outcome: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

// ---- mentorships (师带徒) ----

code_enum! {
    /// The end-of-term evaluation of a mentorship.
    Evaluation {
        Excellent => "excellent", "优秀", "Excellent";
        Good => "good", "良好", "Good";
        Pass => "pass", "合格", "Pass";
        Fail => "fail", "不合格", "Fail";
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct MentorshipInput {
    #[serde(default)]
    pub program_id: Option<String>,
    /// The local institution where the apprentices work.
    pub institution_id: String,
    #[serde(default)]
    pub department_id: Option<String>,
    /// The mentor (usually a visiting expert).
    pub mentor_id: String,
    pub term_start: String,
    /// Defaults to the end of a term of the program's length.
    #[serde(default)]
    pub term_end: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    /// End-of-term evaluation: `excellent`, `good`, `pass`, `fail`.
    #[serde(default)]
    pub evaluation: Option<String>,
    #[serde(default)]
    pub evaluation_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewMentorship {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub department_id: Option<String>,
    pub mentor_id: String,
    pub term_start: NaiveDate,
    pub term_end: Option<NaiveDate>,
    pub subject: Option<String>,
    pub evaluation: Option<Evaluation>,
    pub evaluation_note: Option<String>,
}

impl MentorshipInput {
    pub fn parse(&self) -> Result<NewMentorship, Invalid> {
        let term_start = validate::date("term_start", &self.term_start)?;
        let term_end = validate::optional_date("term_end", self.term_end.as_deref())?;
        if term_end.is_some_and(|e| e < term_start) {
            return Err(Invalid::new("term_end", "error.end_before_start"));
        }
        Ok(NewMentorship {
            program_id: optional_reference("program_id", self.program_id.as_deref())?,
            institution_id: reference("institution_id", &self.institution_id)?,
            department_id: optional_reference("department_id", self.department_id.as_deref())?,
            mentor_id: reference("mentor_id", &self.mentor_id)?,
            term_start,
            term_end,
            subject: optional_text("subject", self.subject.as_deref(), TITLE_MAX)?,
            evaluation: optional_code("evaluation", self.evaluation.as_deref(), Evaluation::parse)?,
            evaluation_note: optional_text(
                "evaluation_note",
                self.evaluation_note.as_deref(),
                NOTE_MAX,
            )?,
        })
    }
}

impl NewMentorship {
    /// The term's last day under the program's settings; an explicit end may not run past a
    /// full term.
    pub fn settle_term(&self, settings: &MentorshipSettings) -> Result<NaiveDate, Invalid> {
        let longest = settings.term_end(self.term_start);
        match self.term_end {
            None => Ok(longest),
            Some(end) if end <= longest => Ok(end),
            Some(_) => Err(Invalid::new("term_end", "error.term_too_long")),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Mentorship {
    pub id: String,
    pub program_id: Option<String>,
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub department_id: Option<String>,
    pub mentor_id: String,
    pub mentor_name: Option<String>,
    pub term_start: String,
    pub term_end: String,
    pub subject: Option<String>,
    pub evaluation: Option<Evaluation>,
    pub evaluation_note: Option<String>,
    pub apprentice_count: i64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ApprenticeInput {
    pub person_id: String,
    /// Defaults to the term's start.
    #[serde(default)]
    pub joined_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewApprentice {
    pub person_id: String,
    pub joined_on: Option<NaiveDate>,
}

impl ApprenticeInput {
    pub fn parse(&self) -> Result<NewApprentice, Invalid> {
        Ok(NewApprentice {
            person_id: reference("person_id", &self.person_id)?,
            joined_on: validate::optional_date("joined_on", self.joined_on.as_deref())?,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Apprentice {
    pub id: String,
    pub mentorship_id: String,
    pub person_id: String,
    pub person_name: Option<String>,
    pub joined_on: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NoteInput {
    pub written_on: String,
    pub note: String,
}

impl NoteInput {
    pub fn parse(&self) -> Result<(NaiveDate, String), Invalid> {
        Ok((
            validate::date("written_on", &self.written_on)?,
            text("note", &self.note, NOTE_MAX)?,
        ))
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgressNote {
    pub id: String,
    pub mentorship_id: String,
    pub written_on: String,
    pub note: String,
    pub author: String,
    pub created_at: String,
}

/// A mentorship with its apprentices and progress notes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MentorshipDetail {
    #[serde(flatten)]
    pub mentorship: Mentorship,
    pub apprentices: Vec<Apprentice>,
    pub notes: Vec<ProgressNote>,
}

// ---- 团队带团队 ----

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TeamPairingInput {
    #[serde(default)]
    pub program_id: Option<String>,
    /// The local institution whose team is coached.
    pub institution_id: String,
    #[serde(default)]
    pub department_id: Option<String>,
    pub local_team: String,
    pub donor_institution_id: String,
    pub donor_team: String,
    pub start_date: String,
    #[serde(default)]
    pub end_date: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTeamPairing {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub department_id: Option<String>,
    pub local_team: String,
    pub donor_institution_id: String,
    pub donor_team: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
}

impl TeamPairingInput {
    pub fn parse(&self) -> Result<NewTeamPairing, Invalid> {
        let start_date = validate::date("start_date", &self.start_date)?;
        let end_date = validate::optional_date("end_date", self.end_date.as_deref())?;
        validate::period(start_date, end_date)?;
        Ok(NewTeamPairing {
            program_id: optional_reference("program_id", self.program_id.as_deref())?,
            institution_id: reference("institution_id", &self.institution_id)?,
            department_id: optional_reference("department_id", self.department_id.as_deref())?,
            local_team: text("local_team", &self.local_team, TITLE_MAX)?,
            donor_institution_id: reference("donor_institution_id", &self.donor_institution_id)?,
            donor_team: text("donor_team", &self.donor_team, TITLE_MAX)?,
            start_date,
            end_date,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamPairing {
    pub id: String,
    pub program_id: Option<String>,
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub department_id: Option<String>,
    pub local_team: String,
    pub donor_institution_id: String,
    pub donor_institution_name: Option<String>,
    pub donor_team: String,
    pub start_date: String,
    pub end_date: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

// ---- teaching activities ----

code_enum! {
    TeachingKind {
        TeachingRound => "teaching-round", "教学查房", "Teaching round";
        Lecture => "lecture", "学术讲座", "Lecture";
        SurgicalDemonstration => "surgical-demonstration", "手术示教", "Surgical demonstration";
        CaseDiscussion => "case-discussion", "病例讨论", "Case discussion";
        Training => "training", "业务培训", "Skills training";
        RemoteTeaching => "remote-teaching", "远程教学", "Remote teaching";
        Competition => "competition", "教学竞赛", "Teaching competition";
        ResearchClinic => "research-clinic", "科研门诊", "Research clinic";
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TeachingActivityInput {
    #[serde(default)]
    pub program_id: Option<String>,
    /// The local institution the activity was held for.
    pub institution_id: String,
    #[serde(default)]
    pub department_id: Option<String>,
    pub kind: String,
    pub held_on: String,
    /// Who led it (usually a visiting expert).
    #[serde(default)]
    pub host_id: Option<String>,
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub online: bool,
    pub topic: String,
    pub duration_minutes: i64,
    /// Head count; at least the number of named attendees.
    #[serde(default)]
    pub attendance: Option<i64>,
    /// Named attendees (people); the activity is credited to each of them.
    #[serde(default)]
    pub attendee_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTeachingActivity {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub department_id: Option<String>,
    pub kind: TeachingKind,
    pub held_on: NaiveDate,
    pub host_id: Option<String>,
    pub place: Option<String>,
    pub online: bool,
    pub topic: String,
    pub duration_minutes: i64,
    pub attendance: i64,
    pub attendee_ids: Vec<String>,
}

impl TeachingActivityInput {
    pub fn parse(&self) -> Result<NewTeachingActivity, Invalid> {
        let mut attendee_ids = Vec::new();
        for a in &self.attendee_ids {
            let id = reference("attendee_ids", a)?;
            if !attendee_ids.contains(&id) {
                attendee_ids.push(id);
            }
        }
        if attendee_ids.len() > 2000 {
            return Err(Invalid::new("attendee_ids", "error.out_of_range"));
        }
        let named = attendee_ids.len() as i64;
        let attendance = count("attendance", self.attendance.unwrap_or(named), 100_000)?;
        if attendance < named {
            return Err(Invalid::new("attendance", "error.attendance_below_named"));
        }
        let place = optional_text("place", self.place.as_deref(), TITLE_MAX)?;
        if place.is_none() && !self.online {
            return Err(Invalid::new("place", "error.place_or_online"));
        }
        Ok(NewTeachingActivity {
            program_id: optional_reference("program_id", self.program_id.as_deref())?,
            institution_id: reference("institution_id", &self.institution_id)?,
            department_id: optional_reference("department_id", self.department_id.as_deref())?,
            kind: code("kind", &self.kind, TeachingKind::parse)?,
            held_on: validate::date("held_on", &self.held_on)?,
            host_id: optional_reference("host_id", self.host_id.as_deref())?,
            place,
            online: self.online,
            topic: text("topic", &self.topic, TITLE_MAX)?,
            duration_minutes: count("duration_minutes", self.duration_minutes, 24 * 60)?,
            attendance,
            attendee_ids,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeachingActivity {
    pub id: String,
    pub program_id: Option<String>,
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub department_id: Option<String>,
    pub kind: TeachingKind,
    pub held_on: String,
    pub host_id: Option<String>,
    pub host_name: Option<String>,
    pub place: Option<String>,
    pub online: bool,
    pub topic: String,
    pub duration_minutes: i64,
    pub attendance: i64,
    pub attendee_ids: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

// ---- training KPIs ----

code_enum! {
    TrainingIndicator {
        LicensingFirstPass => "licensing-first-pass", "执业医师首考通过率", "Licensing exam first-attempt pass rate";
        ResidencyCompletionPass => "residency-completion-pass", "住培结业考核通过率", "Residency completion exam pass rate";
    }
}

/// A rate `passed / candidates` as a percentage with two decimals, rounded half up, computed in
/// integers (`23 / 25` → `"92.00"`).
pub fn percent(passed: i64, candidates: i64) -> Option<String> {
    if candidates <= 0 {
        return None;
    }
    let hundredths = (passed * 10_000 * 2 + candidates) / (2 * candidates);
    Some(format!("{}.{:02}", hundredths / 100, hundredths % 100))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TrainingKpiInput {
    #[serde(default)]
    pub program_id: Option<String>,
    pub institution_id: String,
    pub indicator: String,
    pub year: i64,
    pub candidates: i64,
    pub passed: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTrainingKpi {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub indicator: TrainingIndicator,
    pub year: i64,
    pub candidates: i64,
    pub passed: i64,
}

impl TrainingKpiInput {
    pub fn parse(&self) -> Result<NewTrainingKpi, Invalid> {
        if !(1990..=2100).contains(&self.year) {
            return Err(Invalid::new("year", "error.out_of_range"));
        }
        let candidates = count("candidates", self.candidates, 1_000_000)?;
        let passed = count("passed", self.passed, candidates)?;
        Ok(NewTrainingKpi {
            program_id: optional_reference("program_id", self.program_id.as_deref())?,
            institution_id: reference("institution_id", &self.institution_id)?,
            indicator: code("indicator", &self.indicator, TrainingIndicator::parse)?,
            year: self.year,
            candidates,
            passed,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrainingKpi {
    pub id: String,
    pub program_id: Option<String>,
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub indicator: TrainingIndicator,
    pub year: i64,
    pub candidates: i64,
    pub passed: i64,
    /// `passed / candidates` in percent with two decimals.
    pub rate_percent: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

// ---- techniques (新技术新项目) ----

code_enum! {
    /// The gap a new technique fills (填补…空白).
    GapLevel {
        Hospital => "hospital", "院内空白", "First in the hospital";
        County => "county", "县域空白", "First in the county";
        City => "city", "市域空白", "First in the city";
        Province => "province", "省(区)域空白", "First in the province";
    }
}

impl GapLevel {
    /// The GB/T 2260 code prefix of the area the claim covers, for an institution in `region`:
    /// its county (6 digits), city (4) or province (2). `None` for a hospital-level claim, which
    /// is checked against the institution itself.
    pub fn area_prefix(self, region: &str) -> Option<&str> {
        let digits = match self {
            GapLevel::Hospital => return None,
            GapLevel::County => 6,
            GapLevel::City => 4,
            GapLevel::Province => 2,
        };
        region.get(..digits.min(region.len()))
    }
}

code_enum! {
    /// How far a technique has come at the recipient.
    TechniqueStage {
        Introduced => "introduced", "引进", "Introduced";
        Demonstrated => "demonstrated", "专家示范", "Demonstrated by the expert";
        Supervised => "supervised", "指导下开展", "Performed under supervision";
        Independent => "independent", "独立开展", "Performed independently";
    }
}

impl TechniqueStage {
    fn rank(self) -> u8 {
        match self {
            TechniqueStage::Introduced => 0,
            TechniqueStage::Demonstrated => 1,
            TechniqueStage::Supervised => 2,
            TechniqueStage::Independent => 3,
        }
    }

    /// A technique moves forward only (stages may be skipped), and becomes independent only once
    /// local staff have performed it: `local_cases` counts recorded cases whose operator works
    /// at the recipient.
    pub fn may_move_to(self, to: TechniqueStage, local_cases: i64) -> Result<(), &'static str> {
        if to.rank() <= self.rank() {
            return Err("error.stage_not_forward");
        }
        if to == TechniqueStage::Independent && local_cases < 1 {
            return Err("error.independent_needs_local_case");
        }
        Ok(())
    }
}

code_enum! {
    CaseOutcome {
        Success => "success", "成功", "Success";
        Complication => "complication", "出现并发症", "Complication";
        Failure => "failure", "未成功", "Failure";
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TechniqueInput {
    #[serde(default)]
    pub program_id: Option<String>,
    /// The recipient institution.
    pub institution_id: String,
    #[serde(default)]
    pub department_id: Option<String>,
    pub name: String,
    /// 诊疗科目 code, e.g. `04.01`.
    pub specialty_code: String,
    /// 1–4 (一级–四级) where the technique is a procedure.
    #[serde(default)]
    pub surgical_grade: Option<i64>,
    /// `hospital`, `county`, `city` or `province` when it fills a gap.
    #[serde(default)]
    pub gap_level: Option<String>,
    /// The pairing that introduced it.
    #[serde(default)]
    pub pairing_id: Option<String>,
    /// The expert who introduced it.
    #[serde(default)]
    pub expert_id: Option<String>,
    pub introduced_on: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTechnique {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub department_id: Option<String>,
    pub name: String,
    pub specialty_code: String,
    pub surgical_grade: Option<i64>,
    pub gap_level: Option<GapLevel>,
    pub pairing_id: Option<String>,
    pub expert_id: Option<String>,
    pub introduced_on: NaiveDate,
    pub description: Option<String>,
}

impl TechniqueInput {
    pub fn parse(&self) -> Result<NewTechnique, Invalid> {
        if self.surgical_grade.is_some_and(|g| !(1..=4).contains(&g)) {
            return Err(Invalid::new("surgical_grade", "error.surgical_grade_range"));
        }
        Ok(NewTechnique {
            program_id: optional_reference("program_id", self.program_id.as_deref())?,
            institution_id: reference("institution_id", &self.institution_id)?,
            department_id: optional_reference("department_id", self.department_id.as_deref())?,
            name: text("name", &self.name, TITLE_MAX)?,
            specialty_code: specialty_code("specialty_code", &self.specialty_code)?,
            surgical_grade: self.surgical_grade,
            gap_level: optional_code("gap_level", self.gap_level.as_deref(), GapLevel::parse)?,
            pairing_id: optional_reference("pairing_id", self.pairing_id.as_deref())?,
            expert_id: optional_reference("expert_id", self.expert_id.as_deref())?,
            introduced_on: validate::date("introduced_on", &self.introduced_on)?,
            description: optional_text("description", self.description.as_deref(), NOTE_MAX)?,
        })
    }
}

/// The name a technique is compared by when checking a "first in the region" claim: without
/// spaces, brackets' width or letter case, so "ECMO 技术" and "ecmo技术" are the same.
pub fn technique_key(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Technique {
    pub id: String,
    pub program_id: Option<String>,
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub department_id: Option<String>,
    pub department_name: Option<String>,
    pub name: String,
    pub specialty_code: String,
    pub surgical_grade: Option<i64>,
    pub gap_level: Option<GapLevel>,
    pub pairing_id: Option<String>,
    pub expert_id: Option<String>,
    pub expert_name: Option<String>,
    pub stage: TechniqueStage,
    pub introduced_on: String,
    /// The first case (首例): the earliest recorded case.
    pub first_case_on: Option<String>,
    pub case_count: i64,
    pub local_case_count: i64,
    pub description: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TechniqueCaseInput {
    pub performed_on: String,
    /// Who operated: local staff (a person of the technique's institution) or the expert.
    pub operator_id: String,
    #[serde(default)]
    pub supervisor_id: Option<String>,
    pub outcome: String,
    /// No patient identifiers: names, ID numbers and record numbers do not belong here.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTechniqueCase {
    pub performed_on: NaiveDate,
    pub operator_id: String,
    pub supervisor_id: Option<String>,
    pub outcome: CaseOutcome,
    pub note: Option<String>,
}

impl TechniqueCaseInput {
    pub fn parse(&self) -> Result<NewTechniqueCase, Invalid> {
        Ok(NewTechniqueCase {
            performed_on: validate::date("performed_on", &self.performed_on)?,
            operator_id: reference("operator_id", &self.operator_id)?,
            supervisor_id: optional_reference("supervisor_id", self.supervisor_id.as_deref())?,
            outcome: code("outcome", &self.outcome, CaseOutcome::parse)?,
            note: optional_text("note", self.note.as_deref(), 500)?,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TechniqueCase {
    pub id: String,
    pub technique_id: String,
    pub performed_on: String,
    pub operator_id: String,
    pub operator_name: Option<String>,
    /// Whether the operator works at the technique's institution.
    pub by_local_staff: bool,
    pub supervisor_id: Option<String>,
    pub supervisor_name: Option<String>,
    pub outcome: CaseOutcome,
    pub note: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct StageInput {
    pub stage: String,
    /// Defaults to today.
    #[serde(default)]
    pub on: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

impl StageInput {
    pub fn parse(&self) -> Result<(TechniqueStage, Option<NaiveDate>, Option<String>), Invalid> {
        Ok((
            code("stage", &self.stage, TechniqueStage::parse)?,
            validate::optional_date("on", self.on.as_deref())?,
            optional_text("note", self.note.as_deref(), NOTE_MAX)?,
        ))
    }
}

/// One step of a technique's timeline from introduction to independence.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TechniqueEvent {
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub at: String,
    pub actor_name: String,
    pub note: Option<String>,
}

/// A technique with its cases and timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TechniqueDetail {
    #[serde(flatten)]
    pub technique: Technique,
    pub cases: Vec<TechniqueCase>,
    pub timeline: Vec<TechniqueEvent>,
}

/// Something the caller should know about a record that was nonetheless created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Warning {
    /// Stable machine-readable code, e.g. `gap_already_filled`.
    pub code: String,
    /// Human-readable, in the request's language.
    pub message: String,
}

// ---- workstations (名医工作室 / 专家工作站 / 共建中心) ----

code_enum! {
    WorkstationKind {
        Studio => "studio", "名医工作室", "Renowned doctor studio";
        ExpertWorkstation => "expert-workstation", "专家工作站", "Expert workstation";
        AcademicianWorkstation => "academician-workstation", "院士工作站", "Academician workstation";
        CoBuiltCenter => "co-built-center", "共建中心", "Co-built centre";
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct WorkstationInput {
    #[serde(default)]
    pub program_id: Option<String>,
    pub institution_id: String,
    #[serde(default)]
    pub department_id: Option<String>,
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub lead_expert_id: Option<String>,
    pub opened_on: String,
    /// Visits by the lead expert's team so far.
    #[serde(default)]
    pub visits: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewWorkstation {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub department_id: Option<String>,
    pub kind: WorkstationKind,
    pub name: String,
    pub lead_expert_id: Option<String>,
    pub opened_on: NaiveDate,
    pub visits: i64,
}

impl WorkstationInput {
    pub fn parse(&self) -> Result<NewWorkstation, Invalid> {
        Ok(NewWorkstation {
            program_id: optional_reference("program_id", self.program_id.as_deref())?,
            institution_id: reference("institution_id", &self.institution_id)?,
            department_id: optional_reference("department_id", self.department_id.as_deref())?,
            kind: code("kind", &self.kind, WorkstationKind::parse)?,
            name: text("name", &self.name, TITLE_MAX)?,
            lead_expert_id: optional_reference("lead_expert_id", self.lead_expert_id.as_deref())?,
            opened_on: validate::date("opened_on", &self.opened_on)?,
            visits: count("visits", self.visits, 100_000)?,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Workstation {
    pub id: String,
    pub program_id: Option<String>,
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub department_id: Option<String>,
    pub kind: WorkstationKind,
    pub name: String,
    pub lead_expert_id: Option<String>,
    pub lead_expert_name: Option<String>,
    pub opened_on: String,
    pub visits: i64,
    pub created_at: String,
    pub updated_at: String,
}

// ---- alliances (专科联盟) ----

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AllianceInput {
    #[serde(default)]
    pub program_id: Option<String>,
    /// The lead institution.
    pub institution_id: String,
    pub name: String,
    #[serde(default)]
    pub specialty_code: Option<String>,
    pub founded_on: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAlliance {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub name: String,
    pub specialty_code: Option<String>,
    pub founded_on: NaiveDate,
}

impl AllianceInput {
    pub fn parse(&self) -> Result<NewAlliance, Invalid> {
        Ok(NewAlliance {
            program_id: optional_reference("program_id", self.program_id.as_deref())?,
            institution_id: reference("institution_id", &self.institution_id)?,
            name: text("name", &self.name, TITLE_MAX)?,
            specialty_code: optional_specialty("specialty_code", self.specialty_code.as_deref())?,
            founded_on: validate::date("founded_on", &self.founded_on)?,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Alliance {
    pub id: String,
    pub program_id: Option<String>,
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub name: String,
    pub specialty_code: Option<String>,
    pub founded_on: String,
    pub member_count: i64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AllianceMemberInput {
    pub institution_id: String,
    pub joined_on: String,
}

impl AllianceMemberInput {
    pub fn parse(&self) -> Result<(String, NaiveDate), Invalid> {
        Ok((
            reference("institution_id", &self.institution_id)?,
            validate::date("joined_on", &self.joined_on)?,
        ))
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AllianceMember {
    pub id: String,
    pub alliance_id: String,
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub joined_on: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AllianceDetail {
    #[serde(flatten)]
    pub alliance: Alliance,
    pub members: Vec<AllianceMember>,
}

// ---- specialty projects ----

code_enum! {
    SpecialtyLevel {
        National => "national", "国家级", "National";
        Provincial => "provincial", "省级", "Provincial";
        City => "city", "市级", "City";
        County => "county", "县级", "County";
        New => "new", "新建专科", "New specialty";
    }
}

code_enum! {
    AcceptanceResult {
        Pending => "pending", "待验收", "Pending";
        Passed => "passed", "通过验收", "Passed";
        Failed => "failed", "未通过", "Failed";
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Milestone {
    pub title: String,
    pub due_on: String,
    #[serde(default)]
    pub done_on: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SpecialtyProjectInput {
    #[serde(default)]
    pub program_id: Option<String>,
    pub institution_id: String,
    #[serde(default)]
    pub department_id: Option<String>,
    pub name: String,
    pub level: String,
    pub started_on: String,
    #[serde(default)]
    pub milestones: Vec<Milestone>,
    #[serde(default)]
    pub acceptance_result: Option<String>,
    #[serde(default)]
    pub accepted_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewSpecialtyProject {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub department_id: Option<String>,
    pub name: String,
    pub level: SpecialtyLevel,
    pub started_on: NaiveDate,
    pub milestones: Vec<Milestone>,
    pub acceptance_result: AcceptanceResult,
    pub accepted_on: Option<NaiveDate>,
}

impl SpecialtyProjectInput {
    pub fn parse(&self) -> Result<NewSpecialtyProject, Invalid> {
        let mut milestones = Vec::new();
        for m in self.milestones.iter().take(100) {
            milestones.push(Milestone {
                title: text("milestones", &m.title, TITLE_MAX)?,
                due_on: validate::date("milestones", &m.due_on)?.to_string(),
                done_on: validate::optional_date("milestones", m.done_on.as_deref())?
                    .map(|d| d.to_string()),
            });
        }
        let acceptance_result = optional_code(
            "acceptance_result",
            self.acceptance_result.as_deref(),
            AcceptanceResult::parse,
        )?
        .unwrap_or(AcceptanceResult::Pending);
        let accepted_on = validate::optional_date("accepted_on", self.accepted_on.as_deref())?;
        if acceptance_result != AcceptanceResult::Pending && accepted_on.is_none() {
            return Err(Invalid::new("accepted_on", "error.required"));
        }
        Ok(NewSpecialtyProject {
            program_id: optional_reference("program_id", self.program_id.as_deref())?,
            institution_id: reference("institution_id", &self.institution_id)?,
            department_id: optional_reference("department_id", self.department_id.as_deref())?,
            name: text("name", &self.name, TITLE_MAX)?,
            level: code("level", &self.level, SpecialtyLevel::parse)?,
            started_on: validate::date("started_on", &self.started_on)?,
            milestones,
            acceptance_result,
            accepted_on,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SpecialtyProject {
    pub id: String,
    pub program_id: Option<String>,
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub department_id: Option<String>,
    pub name: String,
    pub level: SpecialtyLevel,
    pub started_on: String,
    pub milestones: Vec<Milestone>,
    pub acceptance_result: AcceptanceResult,
    pub accepted_on: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

// ---- regulations (制度) ----

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RegulationInput {
    #[serde(default)]
    pub program_id: Option<String>,
    pub institution_id: String,
    pub title: String,
    /// e.g. 医疗质量, 护理管理, 院感防控, 行政管理.
    pub area: String,
    pub adopted_on: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewRegulation {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub title: String,
    pub area: String,
    pub adopted_on: NaiveDate,
}

impl RegulationInput {
    pub fn parse(&self) -> Result<NewRegulation, Invalid> {
        Ok(NewRegulation {
            program_id: optional_reference("program_id", self.program_id.as_deref())?,
            institution_id: reference("institution_id", &self.institution_id)?,
            title: text("title", &self.title, TITLE_MAX)?,
            area: text("area", &self.area, 60)?,
            adopted_on: validate::date("adopted_on", &self.adopted_on)?,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Regulation {
    pub id: String,
    pub program_id: Option<String>,
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub title: String,
    pub area: String,
    pub adopted_on: String,
    pub created_at: String,
    pub updated_at: String,
}

// ---- research outputs ----

code_enum! {
    ResearchKind {
        Grant => "grant", "科研课题", "Research grant";
        Paper => "paper", "论文", "Paper";
        Patent => "patent", "专利", "Patent";
        Award => "award", "科技奖励", "Award";
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ResearchOutputInput {
    #[serde(default)]
    pub program_id: Option<String>,
    pub institution_id: String,
    pub kind: String,
    pub title: String,
    /// The local staff member it is credited to.
    pub person_id: String,
    /// Journal, funder or issuing body.
    #[serde(default)]
    pub venue: Option<String>,
    pub dated_on: String,
    /// For grants: the amount awarded, in fen.
    #[serde(default)]
    pub amount_fen: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewResearchOutput {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub kind: ResearchKind,
    pub title: String,
    pub person_id: String,
    pub venue: Option<String>,
    pub dated_on: NaiveDate,
    pub amount_fen: Option<i64>,
}

impl ResearchOutputInput {
    pub fn parse(&self) -> Result<NewResearchOutput, Invalid> {
        Ok(NewResearchOutput {
            program_id: optional_reference("program_id", self.program_id.as_deref())?,
            institution_id: reference("institution_id", &self.institution_id)?,
            kind: code("kind", &self.kind, ResearchKind::parse)?,
            title: text("title", &self.title, 300)?,
            person_id: reference("person_id", &self.person_id)?,
            venue: optional_text("venue", self.venue.as_deref(), TITLE_MAX)?,
            dated_on: validate::date("dated_on", &self.dated_on)?,
            amount_fen: self
                .amount_fen
                .map(|f| money("amount_fen", f))
                .transpose()?,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResearchOutput {
    pub id: String,
    pub program_id: Option<String>,
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub kind: ResearchKind,
    pub title: String,
    pub person_id: String,
    pub person_name: Option<String>,
    pub venue: Option<String>,
    pub dated_on: String,
    pub amount_fen: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

// ---- accreditation goals ----

code_enum! {
    AccreditationGoalKind {
        Grade3A => "grade-3a", "创建三级甲等医院", "Grade 3A accreditation";
        Grade3B => "grade-3b", "创建三级乙等医院", "Grade 3B accreditation";
        ThousandCounties => "thousand-counties", "千县工程", "Thousand Counties Project";
        QualityUpgrade => "quality-upgrade", "提质达标", "Quality upgrade";
    }
}

code_enum! {
    GoalStatus {
        Planned => "planned", "计划中", "Planned";
        InProgress => "in-progress", "推进中", "In progress";
        Achieved => "achieved", "已达成", "Achieved";
        Missed => "missed", "未达成", "Missed";
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AccreditationGoalInput {
    #[serde(default)]
    pub program_id: Option<String>,
    pub institution_id: String,
    pub goal: String,
    pub status: String,
    #[serde(default)]
    pub target_on: Option<String>,
    #[serde(default)]
    pub achieved_on: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAccreditationGoal {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub goal: AccreditationGoalKind,
    pub status: GoalStatus,
    pub target_on: Option<NaiveDate>,
    pub achieved_on: Option<NaiveDate>,
    pub note: Option<String>,
}

impl AccreditationGoalInput {
    pub fn parse(&self) -> Result<NewAccreditationGoal, Invalid> {
        let status = code("status", &self.status, GoalStatus::parse)?;
        let achieved_on = validate::optional_date("achieved_on", self.achieved_on.as_deref())?;
        if status == GoalStatus::Achieved && achieved_on.is_none() {
            return Err(Invalid::new("achieved_on", "error.required"));
        }
        Ok(NewAccreditationGoal {
            program_id: optional_reference("program_id", self.program_id.as_deref())?,
            institution_id: reference("institution_id", &self.institution_id)?,
            goal: code("goal", &self.goal, AccreditationGoalKind::parse)?,
            status,
            target_on: validate::optional_date("target_on", self.target_on.as_deref())?,
            achieved_on,
            note: optional_text("note", self.note.as_deref(), NOTE_MAX)?,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccreditationGoal {
    pub id: String,
    pub program_id: Option<String>,
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub goal: AccreditationGoalKind,
    pub status: GoalStatus,
    pub target_on: Option<String>,
    pub achieved_on: Option<String>,
    pub note: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

// ---- funding and equipment (C9) ----

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct FundingItemInput {
    #[serde(default)]
    pub program_id: Option<String>,
    /// The recipient institution.
    pub institution_id: String,
    /// Integer fen (1 yuan = 100 fen). Give this or `amount_yuan`.
    #[serde(default)]
    pub amount_fen: Option<i64>,
    /// Yuan as a decimal string with at most two decimals, e.g. `"1250000.50"`.
    #[serde(default)]
    pub amount_yuan: Option<String>,
    /// Who pays, e.g. 上海市东西部协作资金.
    pub source: String,
    pub purpose: String,
    pub granted_on: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewFundingItem {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub amount_fen: i64,
    pub source: String,
    pub purpose: String,
    pub granted_on: NaiveDate,
}

impl FundingItemInput {
    pub fn parse(&self) -> Result<NewFundingItem, Invalid> {
        Ok(NewFundingItem {
            program_id: optional_reference("program_id", self.program_id.as_deref())?,
            institution_id: reference("institution_id", &self.institution_id)?,
            amount_fen: amount(
                "amount_fen",
                self.amount_fen,
                self.amount_yuan.as_deref(),
                "amount_yuan",
            )?,
            source: text("source", &self.source, TITLE_MAX)?,
            purpose: text("purpose", &self.purpose, TITLE_MAX)?,
            granted_on: validate::date("granted_on", &self.granted_on)?,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FundingItem {
    pub id: String,
    pub program_id: Option<String>,
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub amount_fen: i64,
    /// `amount_fen` as yuan with two decimals.
    pub amount_yuan: String,
    pub source: String,
    pub purpose: String,
    pub granted_on: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct EquipmentDonationInput {
    #[serde(default)]
    pub program_id: Option<String>,
    /// The recipient institution.
    pub institution_id: String,
    #[serde(default)]
    pub donor_institution_id: Option<String>,
    /// The donor's name when it is not an institution in the registry.
    #[serde(default)]
    pub donor_name: Option<String>,
    pub item: String,
    pub quantity: i64,
    /// Total value in integer fen. Give this or `value_yuan`.
    #[serde(default)]
    pub value_fen: Option<i64>,
    #[serde(default)]
    pub value_yuan: Option<String>,
    pub donated_on: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewEquipmentDonation {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub donor_institution_id: Option<String>,
    pub donor_name: Option<String>,
    pub item: String,
    pub quantity: i64,
    pub value_fen: i64,
    pub donated_on: NaiveDate,
}

impl EquipmentDonationInput {
    pub fn parse(&self) -> Result<NewEquipmentDonation, Invalid> {
        let donor_institution_id =
            optional_reference("donor_institution_id", self.donor_institution_id.as_deref())?;
        let donor_name = optional_text("donor_name", self.donor_name.as_deref(), TITLE_MAX)?;
        if donor_institution_id.is_none() && donor_name.is_none() {
            return Err(Invalid::new("donor_institution_id", "error.required"));
        }
        let quantity = count("quantity", self.quantity, 1_000_000)?;
        if quantity == 0 {
            return Err(Invalid::new("quantity", "error.out_of_range"));
        }
        Ok(NewEquipmentDonation {
            program_id: optional_reference("program_id", self.program_id.as_deref())?,
            institution_id: reference("institution_id", &self.institution_id)?,
            donor_institution_id,
            donor_name,
            item: text("item", &self.item, TITLE_MAX)?,
            quantity,
            value_fen: amount(
                "value_fen",
                self.value_fen,
                self.value_yuan.as_deref(),
                "value_yuan",
            )?,
            donated_on: validate::date("donated_on", &self.donated_on)?,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EquipmentDonation {
    pub id: String,
    pub program_id: Option<String>,
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub donor_institution_id: Option<String>,
    pub donor_name: Option<String>,
    pub item: String,
    pub quantity: i64,
    pub value_fen: i64,
    pub value_yuan: String,
    pub donated_on: String,
    pub created_at: String,
    pub updated_at: String,
}

scoped!(
    NewPlacement,
    Placement,
    NewMentorship,
    Mentorship,
    NewTeamPairing,
    TeamPairing,
    NewTeachingActivity,
    TeachingActivity,
    NewTrainingKpi,
    TrainingKpi,
    NewTechnique,
    Technique,
    NewWorkstation,
    Workstation,
    NewAlliance,
    Alliance,
    NewSpecialtyProject,
    SpecialtyProject,
    NewRegulation,
    Regulation,
    NewResearchOutput,
    ResearchOutput,
    NewAccreditationGoal,
    AccreditationGoal,
    NewFundingItem,
    FundingItem,
    NewEquipmentDonation,
    EquipmentDonation
);

// ---- what was built at an institution ----

/// How many of something, by a code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CodeCount {
    pub code: String,
    pub count: i64,
}

/// "What was built here": the capacity an institution has gained, counted from the records.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CapacitySummary {
    pub institution_id: String,
    pub techniques: i64,
    pub techniques_by_stage: Vec<CodeCount>,
    pub techniques_by_gap: Vec<CodeCount>,
    pub technique_cases: i64,
    pub placements: i64,
    pub mentorships: i64,
    pub apprentices: i64,
    pub team_pairings: i64,
    pub teaching_activities: i64,
    pub teaching_by_kind: Vec<CodeCount>,
    pub workstations: i64,
    pub workstations_by_kind: Vec<CodeCount>,
    pub alliances_led: i64,
    pub alliance_memberships: i64,
    pub specialty_projects: i64,
    pub regulations: i64,
    pub research_outputs: i64,
    pub accreditation_goals: Vec<AccreditationGoal>,
    pub funding: MoneyTotals,
    pub equipment: MoneyTotals,
    /// The most recent techniques, newest first.
    pub recent_techniques: Vec<Technique>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn a_mentor_takes_three_apprentices_a_term_unless_the_program_allows_more() {
        let default = MentorshipSettings::default();
        assert!(default.admits(0) && default.admits(2));
        assert!(!default.admits(3));
        let generous = MentorshipSettings::parse(5, 6).unwrap_or_default();
        assert!(generous.admits(4) && !generous.admits(5));
        assert!(MentorshipSettings::parse(0, 3).is_err());
        assert!(MentorshipSettings::parse(3, 0).is_err());
    }

    #[test]
    fn a_term_lasts_the_program_s_months_and_no_longer() {
        let s = MentorshipSettings::default();
        assert_eq!(s.term_end(day("2025-01-01")), day("2025-03-31"));
        assert_eq!(s.term_end(day("2025-11-30")), day("2026-02-27"));
        let mut m = MentorshipInput {
            program_id: None,
            institution_id: crate::ids::new_id(),
            department_id: None,
            mentor_id: crate::ids::new_id(),
            term_start: "2025-01-01".into(),
            term_end: None,
            subject: None,
            evaluation: None,
            evaluation_note: None,
        };
        let parsed = m.parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.settle_term(&s), Ok(day("2025-03-31")));
        m.term_end = Some("2025-04-30".into());
        let parsed = m.parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            parsed.settle_term(&s).map_err(|e| e.key),
            Err("error.term_too_long")
        );
    }

    #[test]
    fn independence_needs_a_case_by_local_staff() {
        use TechniqueStage::*;
        assert_eq!(
            Supervised.may_move_to(Independent, 0),
            Err("error.independent_needs_local_case")
        );
        assert_eq!(
            Introduced.may_move_to(Independent, 0),
            Err("error.independent_needs_local_case")
        );
        assert_eq!(Supervised.may_move_to(Independent, 1), Ok(()));
        assert_eq!(Introduced.may_move_to(Demonstrated, 0), Ok(()));
        assert_eq!(
            Supervised.may_move_to(Demonstrated, 5),
            Err("error.stage_not_forward")
        );
        assert_eq!(
            Independent.may_move_to(Independent, 5),
            Err("error.stage_not_forward")
        );
    }

    #[test]
    fn a_gap_claim_covers_the_institution_s_county_city_or_province() {
        assert_eq!(GapLevel::County.area_prefix("650502"), Some("650502"));
        assert_eq!(GapLevel::City.area_prefix("650502"), Some("6505"));
        assert_eq!(GapLevel::Province.area_prefix("650502"), Some("65"));
        assert_eq!(GapLevel::County.area_prefix("150122103"), Some("150122"));
        assert_eq!(GapLevel::Hospital.area_prefix("650502"), None);
    }

    #[test]
    fn technique_names_compare_without_spacing_or_case() {
        assert_eq!(technique_key("ECMO 技术"), technique_key("ecmo技术"));
        assert_eq!(
            technique_key("经皮冠状动脉介入治疗（PCI）"),
            technique_key("经皮冠状动脉介入治疗(pci)")
        );
        assert_ne!(technique_key("PCI"), technique_key("TAVI"));
    }

    #[test]
    fn money_is_read_and_written_exactly() {
        assert_eq!(yuan(8_300_000_000), "83000000.00");
        assert_eq!(yuan(1), "0.01");
        assert_eq!(yuan(-150), "-1.50");
        assert_eq!(parse_yuan("f", "83000000.00"), Ok(8_300_000_000));
        assert_eq!(parse_yuan("f", "0.1"), Ok(10));
        assert_eq!(parse_yuan("f", "12"), Ok(1200));
        for bad in [
            "",
            "1.234",
            "-1",
            "1e5",
            "1,000",
            ".5",
            "abc",
            "100000000000.00",
        ] {
            assert!(parse_yuan("f", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_amount_given_twice_must_agree() {
        assert_eq!(amount("a", Some(150), Some("1.50"), "y"), Ok(150));
        assert_eq!(
            amount("a", Some(150), Some("1.51"), "y").map_err(|e| e.key),
            Err("error.money_disagrees")
        );
        assert_eq!(
            amount("a", None, None, "y").map_err(|e| e.key),
            Err("error.required")
        );
        assert!(amount("a", Some(-1), None, "y").is_err());
    }

    #[test]
    fn pass_rates_are_exact_percentages() {
        assert_eq!(percent(23, 25).as_deref(), Some("92.00"));
        assert_eq!(percent(1, 5).as_deref(), Some("20.00"));
        assert_eq!(percent(2, 3).as_deref(), Some("66.67"));
        assert_eq!(percent(0, 0), None);
    }

    #[test]
    fn a_teaching_activity_is_somewhere_and_counts_its_named_attendees() {
        let a = crate::ids::new_id();
        let input = TeachingActivityInput {
            program_id: None,
            institution_id: crate::ids::new_id(),
            department_id: None,
            kind: "teaching-round".into(),
            held_on: "2025-05-06".into(),
            host_id: None,
            place: None,
            online: false,
            topic: "急性胸痛的鉴别诊断".into(),
            duration_minutes: 90,
            attendance: None,
            attendee_ids: vec![a.clone(), a],
        };
        assert_eq!(
            input.parse().map_err(|e| e.key),
            Err("error.place_or_online")
        );
        let online = TeachingActivityInput {
            online: true,
            ..input.clone()
        };
        let parsed = online.parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((parsed.attendance, parsed.attendee_ids.len()), (1, 1));
        let too_few = TeachingActivityInput {
            attendance: Some(0),
            ..online
        };
        assert_eq!(
            too_few.parse().map_err(|e| e.key),
            Err("error.attendance_below_named")
        );
    }

    fn arb_stage() -> impl Strategy<Value = TechniqueStage> {
        prop::sample::select(TechniqueStage::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn fen_survive_the_round_trip_through_yuan(fen in 0i64..=MAX_FEN) {
            prop_assert_eq!(parse_yuan("f", &yuan(fen)), Ok(fen));
        }

        #[test]
        fn sums_of_fen_equal_the_sum_of_their_yuan(items in prop::collection::vec(0i64..1_000_000_000, 0..200)) {
            let total: i64 = items.iter().sum();
            let from_text: i64 = items.iter().map(|f| parse_yuan("f", &yuan(*f)).unwrap_or(-1)).sum();
            prop_assert_eq!(total, from_text);
        }

        #[test]
        fn no_path_of_stage_changes_reaches_independence_without_a_local_case(
            path in prop::collection::vec(arb_stage(), 0..10),
            local_cases in 0i64..3,
        ) {
            let mut stage = TechniqueStage::Introduced;
            for to in path {
                if stage.may_move_to(to, local_cases).is_ok() {
                    prop_assert!(to.rank() > stage.rank());
                    stage = to;
                }
            }
            if local_cases == 0 {
                prop_assert_ne!(stage, TechniqueStage::Independent);
            }
        }

        #[test]
        fn a_mentor_never_holds_more_apprentices_than_allowed(
            max in 1i64..10,
            attempts in 0usize..30,
        ) {
            let settings = MentorshipSettings::parse(max, 3).unwrap_or_default();
            let mut held = 0i64;
            for _ in 0..attempts {
                if settings.admits(held) {
                    held += 1;
                }
            }
            prop_assert!(held <= max);
            prop_assert_eq!(held, (attempts as i64).min(max));
        }
    }
}
