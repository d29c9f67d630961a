//! New techniques and projects (新技术新项目): the gap a technique fills, its stages from introduction to
//! independence, its case log.

use super::{NOTE_MAX, TITLE_MAX, optional_code, specialty_code};
use crate::validate::{self, code, optional_reference, optional_text, reference, text};
use crate::{Invalid, Problems};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    /// The recipient institution.
    #[schema(format = Uuid)]
    pub institution_id: String,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    pub name: String,
    /// 诊疗科目 code, e.g. `04.01`.
    pub specialty_code: String,
    /// 1–4 (一级–四级) where the technique is a procedure.
    #[serde(default)]
    pub surgical_grade: Option<i64>,
    /// `hospital`, `county`, `city` or `province` when it fills a gap.
    #[serde(default)]
    #[schema(value_type = Option<GapLevel>)]
    pub gap_level: Option<String>,
    /// The pairing that introduced it.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub pairing_id: Option<String>,
    /// The expert who introduced it.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub expert_id: Option<String>,
    #[schema(format = Date)]
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
    pub fn parse(&self) -> Result<NewTechnique, Problems> {
        crate::every! {
            surgical_grade = match self.surgical_grade {
                Some(g) if !(1..=4).contains(&g) => {
                    Err(Invalid::new("surgical_grade", "error.surgical_grade_range"))
                }
                g => Ok(g),
            },
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            institution_id = reference("institution_id", &self.institution_id),
            department_id = optional_reference("department_id", self.department_id.as_deref()),
            name = text("name", &self.name, TITLE_MAX),
            specialty_code = specialty_code("specialty_code", &self.specialty_code),
            gap_level = optional_code("gap_level", self.gap_level.as_deref(), GapLevel::parse),
            pairing_id = optional_reference("pairing_id", self.pairing_id.as_deref()),
            expert_id = optional_reference("expert_id", self.expert_id.as_deref()),
            introduced_on = validate::date("introduced_on", &self.introduced_on),
            description = optional_text("description", self.description.as_deref(), NOTE_MAX),
        }
        Ok(NewTechnique {
            program_id,
            institution_id,
            department_id,
            name,
            specialty_code,
            surgical_grade,
            gap_level,
            pairing_id,
            expert_id,
            introduced_on,
            description,
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
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    pub department_name: Option<String>,
    pub name: String,
    pub specialty_code: String,
    pub surgical_grade: Option<i64>,
    pub gap_level: Option<GapLevel>,
    #[schema(format = Uuid)]
    pub pairing_id: Option<String>,
    #[schema(format = Uuid)]
    pub expert_id: Option<String>,
    pub expert_name: Option<String>,
    pub stage: TechniqueStage,
    #[schema(format = Date)]
    pub introduced_on: String,
    /// The first case (首例): the earliest recorded case.
    #[schema(format = Date)]
    pub first_case_on: Option<String>,
    pub case_count: i64,
    pub local_case_count: i64,
    pub description: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TechniqueCaseInput {
    #[schema(format = Date)]
    pub performed_on: String,
    /// Who operated: local staff (a person of the technique's institution) or the expert.
    #[schema(format = Uuid)]
    pub operator_id: String,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub supervisor_id: Option<String>,
    #[schema(value_type = CaseOutcome)]
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
    pub fn parse(&self) -> Result<NewTechniqueCase, Problems> {
        crate::every! {
            performed_on = validate::date("performed_on", &self.performed_on),
            operator_id = reference("operator_id", &self.operator_id),
            supervisor_id = optional_reference("supervisor_id", self.supervisor_id.as_deref()),
            outcome = code("outcome", &self.outcome, CaseOutcome::parse),
            note = optional_text("note", self.note.as_deref(), 500),
        }
        Ok(NewTechniqueCase {
            performed_on,
            operator_id,
            supervisor_id,
            outcome,
            note,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TechniqueCase {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub technique_id: String,
    #[schema(format = Date)]
    pub performed_on: String,
    #[schema(format = Uuid)]
    pub operator_id: String,
    pub operator_name: Option<String>,
    /// Whether the operator works at the technique's institution.
    pub by_local_staff: bool,
    #[schema(format = Uuid)]
    pub supervisor_id: Option<String>,
    pub supervisor_name: Option<String>,
    pub outcome: CaseOutcome,
    pub note: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct StageInput {
    #[schema(value_type = TechniqueStage)]
    pub stage: String,
    /// Defaults to today.
    #[serde(default)]
    #[schema(format = Date)]
    pub on: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

impl StageInput {
    pub fn parse(&self) -> Result<(TechniqueStage, Option<NaiveDate>, Option<String>), Problems> {
        crate::every! {
            stage = code("stage", &self.stage, TechniqueStage::parse),
            on = validate::optional_date("on", self.on.as_deref()),
            note = optional_text("note", self.note.as_deref(), NOTE_MAX),
        }
        Ok((stage, on, note))
    }
}

/// One step of a technique's timeline from introduction to independence.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TechniqueEvent {
    #[schema(schema_with = event_action)]
    pub action: String,
    #[schema(value_type = TechniqueStage)]
    pub from_state: String,
    #[schema(value_type = TechniqueStage)]
    pub to_state: String,
    #[schema(format = DateTime)]
    pub at: String,
    pub actor_name: String,
    /// Who took the step: name, title and institution.
    pub actor: Option<crate::accounts::ActorLabel>,
    pub note: Option<String>,
}

/// A timeline step: the introduction, a stage reached or a case performed.
fn event_action() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    crate::codes::code_schema(&[
        ("introduce", "Introduced"),
        ("stage", "Stage reached"),
        ("case", "Case performed"),
    ])
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

scoped!(NewTechnique, Technique);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    fn arb_stage() -> impl Strategy<Value = TechniqueStage> {
        prop::sample::select(TechniqueStage::ALL.to_vec())
    }

    proptest! {
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
    }
}
