//! The registry (C1): regions, institutions, departments, people, programs, pairings, agreements.
//! Each `*Input` is what a client sends; `parse` turns it into a value that cannot be invalid.

use crate::codes::*;
use crate::validate::{self, code, optional_reference, optional_text, reference, text};
use crate::{Invalid, Problems, specialty};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const NAME_MAX: usize = 100;
const TEXT_MAX: usize = 2000;

/// A GB/T 2260 administrative division code: six digits for province, city and county; nine for a
/// township (the statistical extension).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(field: &str, s: &str) -> Result<RegionCode, Invalid> {
        let s = s.trim();
        let shape_ok = (s.len() == 6 || s.len() == 9) && s.bytes().all(|b| b.is_ascii_digit());
        if !shape_ok || &s[..2] == "00" {
            return Err(Invalid::new(field, "error.region_code_format"));
        }
        if s.len() == 6 && &s[2..4] == "00" && &s[4..6] != "00" {
            return Err(Invalid::new(field, "error.region_code_format"));
        }
        if s.len() == 9 && (&s[4..6] == "00" || &s[6..9] == "000") {
            return Err(Invalid::new(field, "error.region_code_format"));
        }
        Ok(RegionCode(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The level follows from the shape of the code.
    pub fn level(&self) -> RegionLevel {
        let s = &self.0;
        if s.len() == 9 {
            RegionLevel::Township
        } else if &s[2..6] == "0000" {
            RegionLevel::Province
        } else if &s[4..6] == "00" {
            RegionLevel::City
        } else {
            RegionLevel::County
        }
    }

    /// The digits every descendant's code starts with.
    pub fn prefix(&self) -> &str {
        match self.level() {
            RegionLevel::Province => &self.0[..2],
            RegionLevel::City => &self.0[..4],
            RegionLevel::County => &self.0[..6],
            RegionLevel::Township => &self.0,
        }
    }

    /// Whether `parent` can be the parent of this code: a higher level whose prefix this code
    /// continues (a county may hang directly under its province, as 省直辖县级行政区 do).
    pub fn may_have_parent(&self, parent: &RegionCode) -> bool {
        let (child, up) = (self.level(), parent.level());
        let level_ok = match child {
            RegionLevel::Province => false,
            RegionLevel::City => up == RegionLevel::Province,
            RegionLevel::County => matches!(up, RegionLevel::Province | RegionLevel::City),
            RegionLevel::Township => up == RegionLevel::County,
        };
        level_ok && self.0.starts_with(parent.prefix())
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RegionInput {
    /// GB/T 2260 code, e.g. `150200`.
    #[schema(pattern = "^[1-9][0-9]{5}([0-9]{3})?$")]
    pub code: String,
    pub name: String,
    /// Parent region code; required except for provinces.
    #[serde(default)]
    pub parent_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewRegion {
    pub code: RegionCode,
    pub name: String,
    pub level: RegionLevel,
    pub parent_code: Option<RegionCode>,
}

impl RegionInput {
    /// The region described, or every problem of the input, each at its field (the parent is
    /// checked against the code once both read).
    pub fn parse(&self) -> Result<NewRegion, Problems> {
        crate::every! {
            code = RegionCode::parse("code", &self.code),
            name = text("name", &self.name, NAME_MAX),
            parent_code = match self.parent_code.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(p) => RegionCode::parse("parent_code", p).map(Some),
            },
        }
        match (&parent_code, code.level()) {
            (None, RegionLevel::Province) => {}
            (None, _) => {
                return Err(Invalid::new("parent_code", "error.region_parent_required").into());
            }
            (Some(parent), _) if !code.may_have_parent(parent) => {
                return Err(Invalid::new("parent_code", "error.region_parent_mismatch").into());
            }
            (Some(_), _) => {}
        }
        Ok(NewRegion {
            level: code.level(),
            code,
            name,
            parent_code,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub level: RegionLevel,
    pub parent_code: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct InstitutionInput {
    pub name: String,
    #[schema(value_type = InstitutionKind)]
    pub kind: String,
    #[schema(value_type = Grade)]
    pub grade: String,
    pub region_code: String,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub parent_id: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewInstitution {
    pub name: String,
    pub kind: InstitutionKind,
    pub grade: Grade,
    pub region_code: RegionCode,
    pub parent_id: Option<String>,
    pub address: Option<String>,
}

impl InstitutionInput {
    /// The institution described, or every problem of the input, each at its field.
    pub fn parse(&self) -> Result<NewInstitution, Problems> {
        crate::every! {
            name = text("name", &self.name, NAME_MAX),
            kind = code("kind", &self.kind, InstitutionKind::parse),
            grade = code("grade", &self.grade, Grade::parse),
            region_code = RegionCode::parse("region_code", &self.region_code),
            parent_id = optional_reference("parent_id", self.parent_id.as_deref()),
            address = optional_text("address", self.address.as_deref(), 200),
        }
        Ok(NewInstitution {
            name,
            kind,
            grade,
            region_code,
            parent_id,
            address,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Institution {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub kind: InstitutionKind,
    pub grade: Grade,
    pub region_code: String,
    pub region_name: Option<String>,
    #[schema(format = Uuid)]
    pub parent_id: Option<String>,
    pub address: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DepartmentInput {
    #[schema(format = Uuid)]
    pub institution_id: String,
    /// 诊疗科目 code from `GET /api/v1/specialties`, e.g. `03.04`.
    pub specialty_code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewDepartment {
    pub institution_id: String,
    pub specialty_code: String,
    pub name: String,
}

fn specialty_code(field: &str, value: &str) -> Result<String, Invalid> {
    specialty::find(value.trim())
        .map(|s| s.code.clone())
        .ok_or_else(|| Invalid::new(field, "error.unknown_specialty"))
}

impl DepartmentInput {
    /// The department described, or every problem of the input, each at its field.
    pub fn parse(&self) -> Result<NewDepartment, Problems> {
        crate::every! {
            institution_id = reference("institution_id", &self.institution_id),
            specialty_code = specialty_code("specialty_code", &self.specialty_code),
            name = text("name", &self.name, NAME_MAX),
        }
        Ok(NewDepartment {
            institution_id,
            specialty_code,
            name,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Department {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub specialty_code: String,
    pub specialty_name: Option<String>,
    pub name: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PersonInput {
    pub name: String,
    #[schema(value_type = Gender)]
    pub gender: String,
    #[schema(value_type = Title)]
    pub title: String,
    /// Honours such as 院士 or 国务院特殊津贴专家.
    #[serde(default)]
    pub honours: Vec<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    #[serde(default)]
    pub specialty_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewPerson {
    pub name: String,
    pub gender: Gender,
    pub title: Title,
    pub honours: Vec<String>,
    pub institution_id: String,
    pub department_id: Option<String>,
    pub specialty_code: Option<String>,
}

impl PersonInput {
    /// The person described, or every problem of the input, each at its field.
    pub fn parse(&self) -> Result<NewPerson, Problems> {
        crate::every! {
            honours = if self.honours.len() > 20 {
                Err(Invalid::new("honours", "error.items_at_most").with(&[20]))
            } else {
                self.honours
                    .iter()
                    .map(|h| text("honours", h, 50))
                    .collect::<Result<Vec<_>, _>>()
            },
            specialty_code = match self.specialty_code.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(c) => specialty_code("specialty_code", c).map(Some),
            },
            name = text("name", &self.name, 50),
            gender = code("gender", &self.gender, Gender::parse),
            title = code("title", &self.title, Title::parse),
            institution_id = reference("institution_id", &self.institution_id),
            department_id = optional_reference("department_id", self.department_id.as_deref()),
        }
        Ok(NewPerson {
            name,
            gender,
            title,
            honours,
            institution_id,
            department_id,
            specialty_code,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Person {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub gender: Gender,
    pub title: Title,
    pub honours: Vec<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    pub department_name: Option<String>,
    pub specialty_code: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ProgramInput {
    pub name: String,
    #[schema(value_type = ProgramKind)]
    pub kind: String,
    #[serde(default)]
    pub description: Option<String>,
    /// `YYYY-MM-DD`
    #[schema(format = Date)]
    pub start_date: String,
    #[serde(default)]
    #[schema(format = Date)]
    pub end_date: Option<String>,
    /// The health commission or office that runs the program.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub office_institution_id: Option<String>,
    /// Access the donor side gets to the recipient's data through a pairing; default `read`.
    #[serde(default)]
    #[schema(value_type = Option<DonorAccess>)]
    pub donor_access: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewProgram {
    pub name: String,
    pub kind: ProgramKind,
    pub description: Option<String>,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub office_institution_id: Option<String>,
    pub donor_access: DonorAccess,
}

impl ProgramInput {
    /// The program described, or every problem of the input, each at its field.
    pub fn parse(&self) -> Result<NewProgram, Problems> {
        crate::every! {
            start_date = validate::date("start_date", &self.start_date),
            end_date = validate::optional_date("end_date", self.end_date.as_deref()),
            donor_access = match self.donor_access.as_deref().map(str::trim) {
                None | Some("") => Ok(DonorAccess::Read),
                Some(a) => code("donor_access", a, DonorAccess::parse),
            },
            name = text("name", &self.name, NAME_MAX),
            kind = code("kind", &self.kind, ProgramKind::parse),
            description = optional_text("description", self.description.as_deref(), TEXT_MAX),
            office_institution_id = optional_reference(
                "office_institution_id",
                self.office_institution_id.as_deref(),
            ),
        }
        validate::period(start_date, end_date)?;
        Ok(NewProgram {
            name,
            kind,
            description,
            start_date,
            end_date,
            office_institution_id,
            donor_access,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Program {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub kind: ProgramKind,
    pub description: Option<String>,
    #[schema(format = Date)]
    pub start_date: String,
    #[schema(format = Date)]
    pub end_date: Option<String>,
    #[schema(format = Uuid)]
    pub office_institution_id: Option<String>,
    pub donor_access: DonorAccess,
    pub pairing_count: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PairingInput {
    #[schema(format = Uuid)]
    pub program_id: String,
    #[schema(format = Uuid)]
    pub donor_id: String,
    #[schema(format = Uuid)]
    pub recipient_id: String,
    #[schema(value_type = PairingLevel)]
    pub level: String,
    #[schema(value_type = PairingMode)]
    pub mode: String,
    /// 诊疗科目 codes in scope; empty for a whole-hospital pairing.
    #[serde(default)]
    pub departments: Vec<String>,
    #[schema(format = Date)]
    pub start_date: String,
    #[serde(default)]
    #[schema(format = Date)]
    pub end_date: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewPairing {
    pub program_id: String,
    pub donor_id: String,
    pub recipient_id: String,
    pub level: PairingLevel,
    pub mode: PairingMode,
    pub departments: Vec<String>,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
}

impl PairingInput {
    /// The pairing described, or every problem of the input, each at its field.
    pub fn parse(&self) -> Result<NewPairing, Problems> {
        crate::every! {
            donor_id = reference("donor_id", &self.donor_id),
            recipient_id = reference("recipient_id", &self.recipient_id),
            level = code("level", &self.level, PairingLevel::parse),
            departments = if self.departments.len() > 100 {
                Err(Invalid::new("departments", "error.items_at_most").with(&[100]))
            } else {
                self.departments
                    .iter()
                    .map(|c| specialty_code("departments", c))
                    .collect::<Result<Vec<_>, _>>()
            },
            start_date = validate::date("start_date", &self.start_date),
            end_date = validate::optional_date("end_date", self.end_date.as_deref()),
            program_id = reference("program_id", &self.program_id),
            mode = code("mode", &self.mode, PairingMode::parse),
        }
        // What the values say together, once each is valid.
        let mut departments = departments;
        departments.sort();
        departments.dedup();
        crate::every! {
            _different = if donor_id == recipient_id {
                Err(Invalid::new("recipient_id", "error.pairing_same_institution"))
            } else {
                Ok(())
            },
            _scoped = if level == PairingLevel::Department && departments.is_empty() {
                Err(Invalid::new("departments", "error.pairing_departments_required"))
            } else {
                Ok(())
            },
            _ordered = validate::period(start_date, end_date),
        }
        Ok(NewPairing {
            program_id,
            donor_id,
            recipient_id,
            level,
            mode,
            departments,
            start_date,
            end_date,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Pairing {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: String,
    pub program_name: Option<String>,
    #[schema(format = Uuid)]
    pub donor_id: String,
    pub donor_name: Option<String>,
    #[schema(format = Uuid)]
    pub recipient_id: String,
    pub recipient_name: Option<String>,
    pub level: PairingLevel,
    pub mode: PairingMode,
    pub departments: Vec<String>,
    #[schema(format = Date)]
    pub start_date: String,
    #[schema(format = Date)]
    pub end_date: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AgreementInput {
    #[schema(format = Uuid)]
    pub pairing_id: String,
    /// `YYYY-MM-DD`
    #[schema(format = Date)]
    pub signed_on: String,
    /// Term in years (1–30).
    pub term_years: i64,
    pub scope: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAgreement {
    pub pairing_id: String,
    pub signed_on: NaiveDate,
    pub term_years: i64,
    pub scope: String,
}

impl AgreementInput {
    /// The agreement described, or every problem of the input, each at its field.
    pub fn parse(&self) -> Result<NewAgreement, Problems> {
        crate::every! {
            term_years = if (1..=30).contains(&self.term_years) {
                Ok(self.term_years)
            } else {
                Err(Invalid::new("term_years", "error.term_years_range"))
            },
            pairing_id = reference("pairing_id", &self.pairing_id),
            signed_on = validate::date("signed_on", &self.signed_on),
            scope = text("scope", &self.scope, TEXT_MAX),
        }
        Ok(NewAgreement {
            pairing_id,
            signed_on,
            term_years,
            scope,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgreementDocument {
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Agreement {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub pairing_id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Date)]
    pub signed_on: String,
    pub term_years: i64,
    /// The last day the agreement runs, derived from the signing date and term.
    #[schema(format = Date)]
    pub expires_on: String,
    pub scope: String,
    pub document: Option<AgreementDocument>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// The day before the anniversary `term_years` after signing.
pub fn agreement_expiry(signed_on: NaiveDate, term_years: i64) -> NaiveDate {
    let months = u32::try_from(term_years.clamp(0, 100) * 12).unwrap_or(0);
    signed_on
        .checked_add_months(chrono::Months::new(months))
        .and_then(|d| d.pred_opt())
        .unwrap_or(signed_on)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse("code", s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn region_levels_follow_the_code() {
        assert_eq!(code("150000").level(), RegionLevel::Province);
        assert_eq!(code("150200").level(), RegionLevel::City);
        assert_eq!(code("150203").level(), RegionLevel::County);
        assert_eq!(code("150203001").level(), RegionLevel::Township);
        for bad in [
            "15020",
            "1502000",
            "00000",
            "000000",
            "15a200",
            "150001",
            "150200000",
        ] {
            assert!(RegionCode::parse("code", bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn region_parents_must_be_a_higher_level_with_the_same_prefix() {
        assert!(code("150200").may_have_parent(&code("150000")));
        assert!(code("150203").may_have_parent(&code("150200")));
        assert!(code("419001").may_have_parent(&code("410000")));
        assert!(!code("150200").may_have_parent(&code("310000")));
        assert!(!code("150203").may_have_parent(&code("150300")));
        assert!(!code("150000").may_have_parent(&code("150000")));
        let input = RegionInput {
            code: "150203".into(),
            name: "昆都仑区".into(),
            parent_code: None,
        };
        assert_eq!(
            input.parse().map_err(|e| e.into_first().key),
            Err("error.region_parent_required")
        );
    }

    #[test]
    fn a_pairing_needs_two_institutions_and_department_scope_for_department_level() {
        let id_a = crate::ids::new_id();
        let id_b = crate::ids::new_id();
        let mut input = PairingInput {
            program_id: crate::ids::new_id(),
            donor_id: id_a.clone(),
            recipient_id: id_a.clone(),
            level: "department".into(),
            mode: "counterpart".into(),
            departments: vec![],
            start_date: "2024-01-01".into(),
            end_date: Some("2023-12-31".into()),
        };
        assert_eq!(
            input.parse().map_err(|e| e.into_first().key),
            Err("error.pairing_same_institution")
        );
        input.recipient_id = id_b;
        assert_eq!(
            input.parse().map_err(|e| e.into_first().key),
            Err("error.pairing_departments_required")
        );
        input.departments = vec!["03".into(), "03".into()];
        assert_eq!(
            input.parse().map_err(|e| e.into_first().key),
            Err("error.end_before_start")
        );
        input.end_date = None;
        assert_eq!(
            input.parse().map(|p| p.departments),
            Ok(vec!["03".to_string()])
        );
    }

    #[test]
    fn agreement_expiry_is_the_day_before_the_anniversary() {
        let signed = NaiveDate::from_ymd_opt(2021, 5, 20).unwrap_or_default();
        assert_eq!(agreement_expiry(signed, 5).to_string(), "2026-05-19");
    }

    proptest! {
        #[test]
        fn every_accepted_code_has_a_consistent_level_and_prefix(s in "[0-9]{6}|[0-9]{9}") {
            if let Ok(c) = RegionCode::parse("code", &s) {
                prop_assert!(c.as_str().starts_with(c.prefix()));
                let expected_len = match c.level() {
                    RegionLevel::Province => 2,
                    RegionLevel::City => 4,
                    RegionLevel::County => 6,
                    RegionLevel::Township => 9,
                };
                prop_assert_eq!(c.prefix().len(), expected_len);
            }
        }

        #[test]
        fn a_parent_is_always_strictly_above_its_child(a in "[1-6][0-9]{5}", b in "[1-6][0-9]{5}") {
            if let (Ok(child), Ok(parent)) = (RegionCode::parse("c", &a), RegionCode::parse("p", &b))
                && child.may_have_parent(&parent) {
                    prop_assert!(parent.level() != child.level());
                    prop_assert!(!parent.may_have_parent(&child));
                }
        }
    }
}
