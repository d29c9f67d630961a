//! The training and management figures the articles quote, each kept as records: training
//! schemes and their members (雏鹰行动 35 人, 跟岗 52 人), lecture series whose sessions are
//! teaching activities (云中课堂 40 期), remote CME enrolments (远程继续医学教育 817 名学员),
//! department restructurings (优化调整科室 22 个) and patients who came back for treatment
//! (300 多名肿瘤患者返回治疗) — de-identified: a date, a hospital, a specialty and the region
//! they had been treated in; never a name or an ID number.

use super::{NOTE_MAX, TITLE_MAX, optional_specialty};
use crate::registry::RegionCode;
use crate::validate::{self, code, optional_reference, optional_text, reference, text};
use crate::{Invalid, Problems};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

code_enum! {
    SchemeKind {
        FurtherStudy => "further-study", "进修", "Further study";
        Shadowing => "shadowing", "跟岗", "Shadowing";
        Other => "other", "其他培养", "Other training";
    }
}

code_enum! {
    SeriesKind {
        Classroom => "classroom", "系列课堂", "Classroom series";
        ResearchClinic => "research-clinic", "科研门诊", "Research clinic";
        LectureTour => "lecture-tour", "专家讲坛", "Expert lecture series";
        Other => "other", "其他系列", "Other series";
    }
}

code_enum! {
    DepartmentChangeKind {
        Created => "created", "新设", "Created";
        Merged => "merged", "合并", "Merged";
        Split => "split", "拆分", "Split";
        Renamed => "renamed", "更名", "Renamed";
    }
}

// ---- training schemes (雏鹰行动, 跟岗学习) ----

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TrainingSchemeInput {
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    /// The local institution that runs the scheme (whose staff it trains).
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub name: String,
    /// `further-study` (进修), `shadowing` (跟岗) or `other`.
    #[schema(value_type = SchemeKind)]
    pub kind: String,
    /// Where the members train (a donor hospital), if one.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub host_institution_id: Option<String>,
    #[schema(format = Date)]
    pub started_on: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTrainingScheme {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub name: String,
    pub kind: SchemeKind,
    pub host_institution_id: Option<String>,
    pub started_on: NaiveDate,
    pub note: Option<String>,
}

impl TrainingSchemeInput {
    pub fn parse(&self) -> Result<NewTrainingScheme, Problems> {
        crate::every! {
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            institution_id = reference("institution_id", &self.institution_id),
            name = text("name", &self.name, TITLE_MAX),
            kind = code("kind", &self.kind, SchemeKind::parse),
            host_institution_id = optional_reference("host_institution_id", self.host_institution_id.as_deref()),
            started_on = validate::date("started_on", &self.started_on),
            note = optional_text("note", self.note.as_deref(), NOTE_MAX),
        }
        Ok(NewTrainingScheme {
            program_id,
            institution_id,
            name,
            kind,
            host_institution_id,
            started_on,
            note,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrainingScheme {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub name: String,
    pub kind: SchemeKind,
    #[schema(format = Uuid)]
    pub host_institution_id: Option<String>,
    pub host_institution_name: Option<String>,
    #[schema(format = Date)]
    pub started_on: String,
    /// Its members so far (people or placements).
    pub member_count: i64,
    pub note: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// A member of a training scheme: a person, or a placement (进修) that belongs to the scheme
/// (its trainee is then the member).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SchemeMemberInput {
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    /// The member's own institution.
    #[schema(format = Uuid)]
    pub institution_id: String,
    #[schema(format = Uuid)]
    pub scheme_id: String,
    /// The member, a person of `institution_id`; or give `placement_id`.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub person_id: Option<String>,
    /// The placement through which the member trains.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub placement_id: Option<String>,
    #[schema(format = Date)]
    pub joined_on: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewSchemeMember {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub scheme_id: String,
    pub person_id: Option<String>,
    pub placement_id: Option<String>,
    pub joined_on: NaiveDate,
}

impl SchemeMemberInput {
    pub fn parse(&self) -> Result<NewSchemeMember, Problems> {
        let nobody = || -> Result<(), Invalid> {
            let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
            if blank(&self.person_id) && blank(&self.placement_id) {
                Err(Invalid::new(
                    "person_id",
                    "error.member_person_or_placement",
                ))
            } else {
                Ok(())
            }
        };
        crate::every! {
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            institution_id = reference("institution_id", &self.institution_id),
            scheme_id = reference("scheme_id", &self.scheme_id),
            person_id = optional_reference("person_id", self.person_id.as_deref()),
            placement_id = optional_reference("placement_id", self.placement_id.as_deref()),
            joined_on = validate::date("joined_on", &self.joined_on),
            named = nobody(),
        }
        let () = named;
        Ok(NewSchemeMember {
            program_id,
            institution_id,
            scheme_id,
            person_id,
            placement_id,
            joined_on,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SchemeMember {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub scheme_id: String,
    pub scheme_name: Option<String>,
    #[schema(format = Uuid)]
    pub person_id: Option<String>,
    /// The member's name (the placement's trainee where the member is a placement).
    pub person_name: Option<String>,
    #[schema(format = Uuid)]
    pub placement_id: Option<String>,
    #[schema(format = Date)]
    pub joined_on: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

// ---- lecture series (云中课堂, 科研门诊, 豫医论道东天山) ----

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct LectureSeriesInput {
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    /// The local institution the series is held for.
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub name: String,
    /// `classroom`, `research-clinic`, `lecture-tour` or `other`.
    #[schema(value_type = SeriesKind)]
    pub kind: String,
    #[schema(format = Date)]
    pub started_on: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewLectureSeries {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub name: String,
    pub kind: SeriesKind,
    pub started_on: NaiveDate,
    pub note: Option<String>,
}

impl LectureSeriesInput {
    pub fn parse(&self) -> Result<NewLectureSeries, Problems> {
        crate::every! {
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            institution_id = reference("institution_id", &self.institution_id),
            name = text("name", &self.name, TITLE_MAX),
            kind = code("kind", &self.kind, SeriesKind::parse),
            started_on = validate::date("started_on", &self.started_on),
            note = optional_text("note", self.note.as_deref(), NOTE_MAX),
        }
        Ok(NewLectureSeries {
            program_id,
            institution_id,
            name,
            kind,
            started_on,
            note,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LectureSeries {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub name: String,
    pub kind: SeriesKind,
    #[schema(format = Date)]
    pub started_on: String,
    /// Its sessions (teaching activities in the series) so far.
    pub sessions: i64,
    /// Their attendance, summed (人次).
    pub attendance: i64,
    pub note: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

// ---- remote CME enrolments (远程继续医学教育) ----

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CmeEnrolmentInput {
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    /// The learner's institution.
    #[schema(format = Uuid)]
    pub institution_id: String,
    /// The learner, a person of `institution_id`; or give `learner_name`.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub learner_id: Option<String>,
    #[serde(default)]
    pub learner_name: Option<String>,
    pub course: String,
    /// The course's specialty (a code or name of the specialty list).
    #[serde(default)]
    pub specialty_code: Option<String>,
    #[schema(format = Date)]
    pub enrolled_on: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewCmeEnrolment {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub learner_id: Option<String>,
    pub learner_name: Option<String>,
    pub course: String,
    pub specialty_code: Option<String>,
    pub enrolled_on: NaiveDate,
}

impl CmeEnrolmentInput {
    pub fn parse(&self) -> Result<NewCmeEnrolment, Problems> {
        let learner_name = || -> Result<Option<String>, Invalid> {
            let name = optional_text("learner_name", self.learner_name.as_deref(), 100)?;
            let no_id = self
                .learner_id
                .as_deref()
                .is_none_or(|s| s.trim().is_empty());
            if name.is_none() && no_id {
                return Err(Invalid::new("learner_id", "error.learner_person_or_name"));
            }
            Ok(name)
        };
        crate::every! {
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            institution_id = reference("institution_id", &self.institution_id),
            learner_id = optional_reference("learner_id", self.learner_id.as_deref()),
            learner_name = learner_name(),
            course = text("course", &self.course, TITLE_MAX),
            specialty_code = optional_specialty("specialty_code", self.specialty_code.as_deref()),
            enrolled_on = validate::date("enrolled_on", &self.enrolled_on),
        }
        Ok(NewCmeEnrolment {
            program_id,
            institution_id,
            learner_id,
            learner_name,
            course,
            specialty_code,
            enrolled_on,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CmeEnrolment {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub learner_id: Option<String>,
    /// The learner's name: the person's, else as entered.
    pub learner_name: Option<String>,
    pub course: String,
    pub specialty_code: Option<String>,
    #[schema(format = Date)]
    pub enrolled_on: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

// ---- departments restructured (优化调整科室) ----

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DepartmentChangeInput {
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    /// The department as it is after the change, where it is registered.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    /// `created`, `merged`, `split` or `renamed`.
    #[schema(value_type = DepartmentChangeKind)]
    pub kind: String,
    /// The department's name after the change.
    pub name: String,
    /// Its name (or the names merged) before.
    #[serde(default)]
    pub previous_name: Option<String>,
    #[schema(format = Date)]
    pub changed_on: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewDepartmentChange {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub department_id: Option<String>,
    pub kind: DepartmentChangeKind,
    pub name: String,
    pub previous_name: Option<String>,
    pub changed_on: NaiveDate,
    pub note: Option<String>,
}

impl DepartmentChangeInput {
    pub fn parse(&self) -> Result<NewDepartmentChange, Problems> {
        let kind = || -> Result<DepartmentChangeKind, Invalid> {
            let kind = code("kind", &self.kind, DepartmentChangeKind::parse)?;
            let before = self
                .previous_name
                .as_deref()
                .is_some_and(|s| !s.trim().is_empty());
            if kind != DepartmentChangeKind::Created && !before {
                return Err(Invalid::new("previous_name", "error.previous_name_needed"));
            }
            Ok(kind)
        };
        crate::every! {
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            institution_id = reference("institution_id", &self.institution_id),
            department_id = optional_reference("department_id", self.department_id.as_deref()),
            kind = kind(),
            name = text("name", &self.name, TITLE_MAX),
            previous_name = optional_text("previous_name", self.previous_name.as_deref(), TITLE_MAX),
            changed_on = validate::date("changed_on", &self.changed_on),
            note = optional_text("note", self.note.as_deref(), NOTE_MAX),
        }
        Ok(NewDepartmentChange {
            program_id,
            institution_id,
            department_id,
            kind,
            name,
            previous_name,
            changed_on,
            note,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepartmentChange {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    pub kind: DepartmentChangeKind,
    pub name: String,
    pub previous_name: Option<String>,
    #[schema(format = Date)]
    pub changed_on: String,
    pub note: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

// ---- patients who came back for treatment (返回本地治疗), de-identified ----

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PatientReturnInput {
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    /// The local hospital the patient came back to.
    #[schema(format = Uuid)]
    pub institution_id: String,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    /// The specialty treated (a code or name of the specialty list).
    #[serde(default)]
    pub specialty_code: Option<String>,
    #[schema(format = Date)]
    pub returned_on: String,
    /// Where the patient had been treated before (GB/T 2260 region code), e.g. `530100` 昆明.
    pub treated_region_code: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewPatientReturn {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub department_id: Option<String>,
    pub specialty_code: Option<String>,
    pub returned_on: NaiveDate,
    pub treated_region_code: String,
    pub note: Option<String>,
}

impl PatientReturnInput {
    pub fn parse(&self) -> Result<NewPatientReturn, Problems> {
        crate::every! {
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            institution_id = reference("institution_id", &self.institution_id),
            department_id = optional_reference("department_id", self.department_id.as_deref()),
            specialty_code = optional_specialty("specialty_code", self.specialty_code.as_deref()),
            returned_on = validate::date("returned_on", &self.returned_on),
            treated_region_code = RegionCode::parse("treated_region_code", &self.treated_region_code),
            note = optional_text("note", self.note.as_deref(), NOTE_MAX),
        }
        Ok(NewPatientReturn {
            program_id,
            institution_id,
            department_id,
            specialty_code,
            returned_on,
            treated_region_code: treated_region_code.as_str().to_string(),
            note,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PatientReturn {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    pub specialty_code: Option<String>,
    #[schema(format = Date)]
    pub returned_on: String,
    pub treated_region_code: String,
    /// The region's name, where the region is registered.
    pub treated_region_name: Option<String>,
    pub note: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

scoped!(
    NewTrainingScheme,
    TrainingScheme,
    NewSchemeMember,
    SchemeMember,
    NewLectureSeries,
    LectureSeries,
    NewCmeEnrolment,
    CmeEnrolment,
    NewDepartmentChange,
    DepartmentChange,
    NewPatientReturn,
    PatientReturn
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::new_id;

    /// The problems of a parse, as `field:key`; none when it parsed.
    fn keys<T>(parsed: Result<T, Problems>) -> Vec<String> {
        match parsed {
            Ok(_) => Vec::new(),
            Err(p) => p.iter().map(|i| format!("{}:{}", i.field, i.key)).collect(),
        }
    }

    #[test]
    fn a_member_is_a_person_or_a_placement_and_every_problem_is_told_at_once() {
        let bad = SchemeMemberInput {
            program_id: Some("x".into()),
            institution_id: String::new(),
            scheme_id: new_id(),
            person_id: None,
            placement_id: None,
            joined_on: "2024-13-01".into(),
        };
        let p = keys(bad.parse());
        assert_eq!(p.len(), 4, "{p:?}");
        assert!(p.contains(&"person_id:error.member_person_or_placement".to_string()));
        let good = SchemeMemberInput {
            program_id: None,
            institution_id: new_id(),
            person_id: Some(new_id()),
            joined_on: "2024-03-01".into(),
            ..bad
        };
        assert!(good.parse().is_ok());
    }

    #[test]
    fn a_return_names_a_region_never_a_patient_and_a_change_its_former_name() {
        let r = PatientReturnInput {
            program_id: None,
            institution_id: new_id(),
            department_id: None,
            specialty_code: None,
            returned_on: "2024-05-01".into(),
            treated_region_code: "53".into(),
            note: None,
        };
        assert_eq!(
            keys(r.parse()),
            vec!["treated_region_code:error.region_code_format"]
        );
        let c = DepartmentChangeInput {
            program_id: None,
            institution_id: new_id(),
            department_id: None,
            kind: "merged".into(),
            name: "心血管内科".into(),
            previous_name: None,
            changed_on: "2023-01-01".into(),
            note: None,
        };
        assert_eq!(
            keys(c.parse()),
            vec!["previous_name:error.previous_name_needed"]
        );
        let e = CmeEnrolmentInput {
            program_id: None,
            institution_id: new_id(),
            learner_id: None,
            learner_name: None,
            course: String::new(),
            specialty_code: None,
            enrolled_on: "2025-01-01".into(),
        };
        assert_eq!(
            keys(e.parse()),
            vec![
                "learner_id:error.learner_person_or_name",
                "course:error.required"
            ]
        );
    }
}
