//! The operations log (手术): what a dispatched expert did in an operating room of a local
//! institution — operated (主刀), guided on site (指导), demonstrated for teaching (示教) or
//! guided remotely (远程指导) — with the local operators, the procedure (name, optional
//! ICD-9-CM-3 code), its grade (一级–四级), whether it was minimally invasive, the technique it
//! belongs to (a technique's earliest operation is its 首例) and the outcome. Never a patient
//! identifier: no name, ID number, bed or case number is asked for or stored.
//!
//! Access follows the capacity records (the local institution's side and the program office
//! write, whoever reaches the institution reads), and the expert logs their own operations
//! ([`crate::access::Principal::may_log_operation`]).

use crate::validate::{self, code, optional_reference, optional_text, reference, text};
use crate::{Invalid, Problems};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const NAME_MAX: usize = 200;
const NOTE_MAX: usize = 2000;
/// Local operators named on one operation, at most.
pub const OPERATORS_MAX: usize = 20;

code_enum! {
    /// What the dispatched expert did.
    ExpertRole {
        Operated => "operated", "主刀", "Operated";
        Guided => "guided", "现场指导", "Guided on site";
        Demonstration => "demonstration", "示教", "Teaching demonstration";
        RemoteGuidance => "remote-guidance", "远程指导", "Guided remotely";
    }
}

code_enum! {
    /// How the operation ended (no patient detail beyond this).
    OperationOutcome {
        Success => "success", "手术顺利", "Completed as planned";
        Complication => "complication", "出现并发症", "Complication";
        Converted => "converted", "中转开放或改变术式", "Converted to another approach";
        Transferred => "transferred", "术后转上级医院", "Transferred after surgery";
        Death => "death", "围术期死亡", "Perioperative death";
    }
}

/// The grades of the surgical grading (手术分级管理): 一级 to 四级.
pub const GRADES: std::ops::RangeInclusive<i64> = 1..=4;

/// A grade's label: `四级` or `Grade 4`.
pub fn grade_label(lang: crate::Lang, grade: i64) -> String {
    match lang {
        crate::Lang::Zh => {
            let n = ["一", "二", "三", "四"]
                .get(usize::try_from(grade - 1).unwrap_or(9))
                .copied()
                .unwrap_or("?");
            format!("{n}级")
        }
        crate::Lang::En => format!("Grade {grade}"),
    }
}

/// An ICD-9-CM-3 procedure code as written: `NN`, `NN.N` or `NN.NN` (e.g. `01.59`).
pub fn procedure_code(field: &str, value: &str) -> Result<String, Invalid> {
    let v = value.trim();
    let b = v.as_bytes();
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    let ok = match v.split_once('.') {
        None => b.len() == 2 && digits(b),
        Some((head, tail)) => {
            head.len() == 2
                && digits(head.as_bytes())
                && (1..=2).contains(&tail.len())
                && digits(tail.as_bytes())
        }
    };
    if ok {
        Ok(v.to_string())
    } else {
        Err(Invalid::new(field, "error.procedure_code"))
    }
}

/// A code chosen from a list: none chosen says so, an unknown one is not allowed.
fn chosen<T>(field: &str, value: &str, parse: fn(&str) -> Option<T>) -> Result<T, Invalid> {
    if value.trim().is_empty() {
        Err(Invalid::new(field, "error.choose_one"))
    } else {
        code(field, value, parse)
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct OperationInput {
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    /// The local institution where the operation was done.
    #[schema(format = Uuid)]
    pub institution_id: String,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    /// The dispatched expert's assignment the operation was done on, if known.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub assignment_id: Option<String>,
    /// The dispatched expert (a person).
    #[schema(format = Uuid)]
    pub expert_id: String,
    /// `YYYY-MM-DD`, not after today.
    #[schema(format = Date)]
    pub performed_on: String,
    pub procedure_name: String,
    /// ICD-9-CM-3: `NN`, `NN.N` or `NN.NN`.
    #[serde(default)]
    pub procedure_code: Option<String>,
    /// 1–4 (一级–四级).
    pub grade: i64,
    /// `operated` (主刀), `guided` (指导), `demonstration` (示教), `remote-guidance` (远程指导).
    #[schema(value_type = ExpertRole)]
    pub expert_role: String,
    #[serde(default)]
    pub minimally_invasive: bool,
    /// The technique it belongs to (a technique of the same institution).
    #[serde(default)]
    #[schema(format = Uuid)]
    pub technique_id: Option<String>,
    /// `success`, `complication`, `converted`, `transferred`, `death`.
    #[schema(value_type = OperationOutcome)]
    pub outcome: String,
    /// The local operator(s): people of the institution.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub local_operator_ids: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewOperation {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub department_id: Option<String>,
    pub assignment_id: Option<String>,
    pub expert_id: String,
    pub performed_on: NaiveDate,
    pub procedure_name: String,
    pub procedure_code: Option<String>,
    pub grade: i64,
    pub expert_role: ExpertRole,
    pub minimally_invasive: bool,
    pub technique_id: Option<String>,
    pub outcome: OperationOutcome,
    pub local_operator_ids: Vec<String>,
    pub note: Option<String>,
}

impl OperationInput {
    /// Every problem at once; `today` bounds the date.
    pub fn parse(&self, today: NaiveDate) -> Result<NewOperation, Problems> {
        let operators = || -> Result<Vec<String>, Invalid> {
            let mut ids: Vec<String> = Vec::new();
            for o in self
                .local_operator_ids
                .iter()
                .filter(|o| !o.trim().is_empty())
            {
                let id = reference("local_operator_ids", o)?;
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            if ids.len() > OPERATORS_MAX {
                return Err(Invalid::new("local_operator_ids", "error.count_between")
                    .with(&[0, OPERATORS_MAX as i64]));
            }
            Ok(ids)
        };
        let grade = || {
            if GRADES.contains(&self.grade) {
                Ok(self.grade)
            } else {
                Err(Invalid::new("grade", "error.operation_grade"))
            }
        };
        let performed_on = || {
            let d = validate::date("performed_on", &self.performed_on)?;
            if d > today {
                Err(Invalid::new("performed_on", "error.operation_in_future"))
            } else {
                Ok(d)
            }
        };
        crate::every! {
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            institution_id = reference("institution_id", &self.institution_id),
            department_id = optional_reference("department_id", self.department_id.as_deref()),
            assignment_id = optional_reference("assignment_id", self.assignment_id.as_deref()),
            expert_id = reference("expert_id", &self.expert_id),
            performed_on = performed_on(),
            procedure_name = text("procedure_name", &self.procedure_name, NAME_MAX),
            procedure_code = match self.procedure_code.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(c) => procedure_code("procedure_code", c).map(Some),
            },
            grade = grade(),
            expert_role = chosen("expert_role", &self.expert_role, ExpertRole::parse),
            technique_id = optional_reference("technique_id", self.technique_id.as_deref()),
            outcome = chosen("outcome", &self.outcome, OperationOutcome::parse),
            local_operator_ids = operators(),
            note = optional_text("note", self.note.as_deref(), NOTE_MAX),
        }
        if local_operator_ids.contains(&expert_id) {
            return Err(Invalid::new("local_operator_ids", "error.operator_is_expert").into());
        }
        Ok(NewOperation {
            program_id,
            institution_id,
            department_id,
            assignment_id,
            expert_id,
            performed_on,
            procedure_name,
            procedure_code,
            grade,
            expert_role,
            minimally_invasive: self.minimally_invasive,
            technique_id,
            outcome,
            local_operator_ids,
            note,
        })
    }
}

/// A person named on an operation, as a reader sees them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OperationPerson {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    /// The title's code (`chief-physician`…).
    pub title: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Operation {
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
    #[schema(format = Uuid)]
    pub assignment_id: Option<String>,
    #[schema(format = Uuid)]
    pub expert_id: String,
    pub expert_name: Option<String>,
    /// The expert's title code.
    pub expert_title: Option<String>,
    /// The expert's own institution.
    pub expert_institution_name: Option<String>,
    #[schema(format = Date)]
    pub performed_on: String,
    pub procedure_name: String,
    pub procedure_code: Option<String>,
    pub grade: i64,
    pub expert_role: ExpertRole,
    pub minimally_invasive: bool,
    #[schema(format = Uuid)]
    pub technique_id: Option<String>,
    pub technique_name: Option<String>,
    /// Whether this is its technique's earliest operation (首例).
    pub first_of_technique: bool,
    pub outcome: OperationOutcome,
    pub local_operators: Vec<OperationPerson>,
    pub note: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl crate::capacity::Scoped for NewOperation {
    fn institution_id(&self) -> &str {
        &self.institution_id
    }
    fn program_id(&self) -> Option<&str> {
        self.program_id.as_deref()
    }
}

impl crate::capacity::Scoped for Operation {
    fn institution_id(&self) -> &str {
        &self.institution_id
    }
    fn program_id(&self) -> Option<&str> {
        self.program_id.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> OperationInput {
        OperationInput {
            program_id: None,
            institution_id: crate::ids::new_id(),
            department_id: None,
            assignment_id: None,
            expert_id: crate::ids::new_id(),
            performed_on: "2025-05-22".into(),
            procedure_name: "窦旁脑膜瘤切除术".into(),
            procedure_code: Some("01.51".into()),
            grade: 4,
            expert_role: "operated".into(),
            minimally_invasive: false,
            technique_id: None,
            outcome: "success".into(),
            local_operator_ids: vec![],
            note: None,
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default()
    }

    #[test]
    fn procedure_codes_are_icd_9_cm_3() {
        for ok in ["01", "01.5", "01.59", " 38.7 "] {
            assert!(procedure_code("c", ok).is_ok(), "{ok}");
        }
        for bad in ["1", "001", "01.", "01.599", "ab.cd", "01-59", ".59", ""] {
            assert!(procedure_code("c", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_problem_of_an_operation_is_named_at_once() {
        assert!(input().parse(today()).is_ok());
        let bad = OperationInput {
            expert_id: String::new(),
            performed_on: "2027-01-01".into(),
            procedure_name: " ".into(),
            procedure_code: Some("1.234".into()),
            grade: 5,
            expert_role: "watched".into(),
            outcome: "fine".into(),
            ..input()
        };
        let problems: Vec<String> = bad
            .parse(today())
            .err()
            .map(|p| p.iter().map(|i| i.field.clone()).collect())
            .unwrap_or_default();
        for f in [
            "expert_id",
            "performed_on",
            "procedure_name",
            "procedure_code",
            "grade",
            "expert_role",
            "outcome",
        ] {
            assert!(problems.iter().any(|p| p == f), "{f}: {problems:?}");
        }
    }

    #[test]
    fn the_expert_is_not_their_own_local_operator() {
        let i = input();
        let same = OperationInput {
            local_operator_ids: vec![i.expert_id.clone()],
            ..i
        };
        assert_eq!(
            same.parse(today()).map_err(|e| e.into_first().key),
            Err("error.operator_is_expert")
        );
    }

    #[test]
    fn grades_read_as_people_write_them() {
        assert_eq!(grade_label(crate::Lang::Zh, 4), "四级");
        assert_eq!(grade_label(crate::Lang::En, 1), "Grade 1");
    }
}
