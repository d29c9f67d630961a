//! Closed vocabularies: each value has one stable code (used in the API, the database and URLs)
//! and a label in Chinese and English.

use crate::Lang;

/// Declares a vocabulary enum whose serialized form is its code.
#[macro_export]
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $code:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $code)] $variant,)+
        }

        // By hand rather than derived: the derive does not see the `serde(rename)` of a macro's
        // literal and would list the variants' Rust names instead of the codes the API speaks.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::codes::code_schema(&[$(($code, $en)),+])
            }
        }

        impl utoipa::ToSchema for $name {}

        impl $name {
            /// The schema of these codes and a few more (with their English labels): a step
            /// of a timeline whose first step is not one of the actions, say.
            pub fn schema_and(
                more: &[(&'static str, &'static str)],
            ) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let mut codes = vec![$(($code, $en)),+];
                codes.extend_from_slice(more);
                $crate::codes::code_schema(&codes)
            }
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($code => Some($name::$variant),)+ _ => None }
            }

            /// The label in a language (taken by value or by reference, as templates pass it).
            pub fn label(self, lang: impl std::borrow::Borrow<$crate::Lang>) -> &'static str {
                match (self, *lang.borrow()) {
                    $(($name::$variant, $crate::Lang::Zh) => $zh, ($name::$variant, $crate::Lang::En) => $en,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

/// The OpenAPI schema of a vocabulary: a string that is one of the codes, each code's English
/// label in the description.
pub fn code_schema(
    codes: &[(&'static str, &'static str)],
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let labels: Vec<String> = codes
        .iter()
        .map(|(code, en)| match *code {
            "" => format!("`\"\"`: {en}"),
            code => format!("`{code}`: {en}"),
        })
        .collect();
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(codes.iter().map(|(code, _)| *code)))
        .description(Some(labels.join("; ")))
        .into()
}

code_enum! {
    /// Administrative level in the GB/T 2260 tree (townships use the 9-digit statistical code).
    RegionLevel {
        Province => "province", "省级", "Province";
        City => "city", "地级", "City";
        County => "county", "县级", "County";
        Township => "township", "乡级", "Township";
    }
}

code_enum! {
    InstitutionKind {
        Hospital => "hospital", "医院", "Hospital";
        RegionalCenter => "regional-center", "区域医疗中心", "Regional medical centre";
        TownshipHealthCenter => "township-health-center", "乡镇卫生院", "Township health centre";
        CommunityHealthCenter => "community-health-center", "社区卫生服务中心", "Community health centre";
        VillageClinic => "village-clinic", "村卫生室", "Village clinic";
        HealthCommission => "health-commission", "卫健委", "Health commission";
    }
}

code_enum! {
    /// Hospital grade (医院等级).
    Grade {
        Grade3A => "3A", "三级甲等", "Grade 3A";
        Grade3B => "3B", "三级乙等", "Grade 3B";
        Grade3C => "3C", "三级丙等", "Grade 3C";
        Grade2A => "2A", "二级甲等", "Grade 2A";
        Grade2B => "2B", "二级乙等", "Grade 2B";
        Grade2C => "2C", "二级丙等", "Grade 2C";
        Grade1 => "1", "一级", "Grade 1";
        Ungraded => "none", "未定级", "Ungraded";
    }
}

code_enum! {
    Gender {
        Male => "male", "男", "Male";
        Female => "female", "女", "Female";
    }
}

code_enum! {
    /// Professional title (专业技术职称).
    Title {
        ChiefPhysician => "chief-physician", "主任医师", "Chief physician";
        AssociateChiefPhysician => "associate-chief-physician", "副主任医师", "Associate chief physician";
        AttendingPhysician => "attending-physician", "主治医师", "Attending physician";
        ResidentPhysician => "resident-physician", "住院医师", "Resident physician";
        ChiefNurse => "chief-nurse", "主任护师", "Chief nurse";
        AssociateChiefNurse => "associate-chief-nurse", "副主任护师", "Associate chief nurse";
        SupervisorNurse => "supervisor-nurse", "主管护师", "Supervisor nurse";
        Nurse => "nurse", "护师", "Nurse";
        ChiefTechnician => "chief-technician", "主任技师", "Chief technician";
        Technician => "technician", "技师", "Technician";
        Researcher => "researcher", "研究员", "Researcher";
        Administrator => "administrator", "管理人员", "Administrator";
    }
}

/// The series a title belongs to (医师, 护师, 技师, 研究, 管理): ranks compare within a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TitleSeries {
    Physician,
    Nurse,
    Technician,
    Research,
    Administration,
}

impl Title {
    /// The title's series and rank in it: 4 正高 (主任), 3 副高 (副主任), 2 中级 (主治, 主管),
    /// 1 初级 (住院, 护师, 技师). A need's least title is met by a title of the same series and
    /// at least its rank.
    pub fn rank(self) -> (TitleSeries, u8) {
        use TitleSeries::*;
        match self {
            Title::ChiefPhysician => (Physician, 4),
            Title::AssociateChiefPhysician => (Physician, 3),
            Title::AttendingPhysician => (Physician, 2),
            Title::ResidentPhysician => (Physician, 1),
            Title::ChiefNurse => (Nurse, 4),
            Title::AssociateChiefNurse => (Nurse, 3),
            Title::SupervisorNurse => (Nurse, 2),
            Title::Nurse => (Nurse, 1),
            Title::ChiefTechnician => (Technician, 4),
            Title::Technician => (Technician, 1),
            Title::Researcher => (Research, 4),
            Title::Administrator => (Administration, 1),
        }
    }

    /// Whether this title meets `least` (same series, at least its rank).
    pub fn meets(self, least: Title) -> bool {
        let (series, rank) = self.rank();
        let (least_series, least_rank) = least.rank();
        series == least_series && rank >= least_rank
    }

    /// Whether the title is a physician's (医师): only physicians hold clinics as experts, not
    /// nurses, technicians, researchers or administrators.
    pub fn is_physician(self) -> bool {
        matches!(
            self,
            Title::ChiefPhysician
                | Title::AssociateChiefPhysician
                | Title::AttendingPhysician
                | Title::ResidentPhysician
        )
    }
}

impl InstitutionKind {
    /// Whether patients are treated there (a referral goes to one; a health commission is an
    /// office, not a care provider).
    pub fn treats_patients(self) -> bool {
        self != InstitutionKind::HealthCommission
    }
}

code_enum! {
    ProgramKind {
        EastWest => "east-west", "东西部协作", "East–west collaboration";
        CounterpartSupport => "counterpart-support", "对口支援", "Counterpart support";
        TeamBased => "team-based", "组团式帮扶", "Team-based aid";
        MedicalAlliance => "medical-alliance", "医联体", "Medical alliance";
        RegionalCenter => "regional-center", "区域医疗中心", "Regional medical centre";
    }
}

code_enum! {
    /// Which access a program grants a donor's staff to the data of the recipient it is paired with.
    DonorAccess {
        None => "none", "无", "None";
        Read => "read", "只读", "Read";
        Write => "write", "读写", "Read and write";
    }
}

code_enum! {
    PairingLevel {
        Hospital => "hospital", "院包院", "Hospital to hospital";
        Department => "department", "科包科", "Department to department";
    }
}

code_enum! {
    PairingMode {
        Counterpart => "counterpart", "对口帮扶", "Counterpart aid";
        TeamBased => "team-based", "组团式", "Team-based";
        Trusteeship => "trusteeship", "托管", "Trusteeship";
        CrossProvinceAlliance => "cross-province-alliance", "跨省医联体", "Cross-province alliance";
        Branch => "branch", "分院", "Branch hospital";
        CoBuiltCenter => "co-built-center", "共建中心", "Co-built centre";
    }
}

code_enum! {
    Role {
        PlatformAdmin => "platform-admin", "平台管理员", "Platform admin";
        ProgramOffice => "program-office", "项目办", "Program office";
        Coordinator => "coordinator", "医院协调员", "Institution coordinator";
        Expert => "expert", "专家", "Expert";
        Clinician => "clinician", "临床医生", "Clinician";
    }
}

/// The label of a code stored in a record's `field`, for showing any record generically (the
/// audit log shows before/after values this way).
pub fn label_for_field(field: &str, code: &str, lang: Lang) -> Option<&'static str> {
    match field {
        "kind" => InstitutionKind::parse(code)
            .map(|k| k.label(lang))
            .or_else(|| ProgramKind::parse(code).map(|k| k.label(lang))),
        "grade" => Grade::parse(code).map(|g| g.label(lang)),
        "level" => PairingLevel::parse(code)
            .map(|l| l.label(lang))
            .or_else(|| RegionLevel::parse(code).map(|l| l.label(lang))),
        "mode" => PairingMode::parse(code).map(|m| m.label(lang)),
        "donor_access" => DonorAccess::parse(code).map(|a| a.label(lang)),
        "title" => Title::parse(code).map(|t| t.label(lang)),
        "gender" => Gender::parse(code).map(|g| g.label(lang)),
        "role" => Role::parse(code).map(|r| r.label(lang)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_parse_and_serde() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()), Some(*role));
            let json = serde_json::to_string(role).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", role.code()));
        }
        for grade in Grade::ALL {
            assert_eq!(Grade::parse(grade.code()), Some(*grade));
        }
        assert_eq!(Grade::parse("三级甲等"), None);
    }

    #[test]
    fn stored_codes_are_shown_by_their_label() {
        assert_eq!(
            label_for_field("kind", "east-west", Lang::Zh),
            Some("东西部协作")
        );
        assert_eq!(
            label_for_field("kind", "hospital", Lang::En),
            Some("Hospital")
        );
        assert_eq!(label_for_field("name", "hospital", Lang::Zh), None);
    }

    #[test]
    fn labels_exist_in_both_languages() {
        for kind in InstitutionKind::ALL {
            assert!(!kind.label(Lang::Zh).is_empty());
            assert!(kind.label(Lang::En).is_ascii());
        }
    }
}

/// Code lists by the name the API documents them under (the OpenAPI schema component).
macro_rules! labels_by_schema {
    ($($module:ident :: $name:ident),+ $(,)?) => {
        /// The label of `code` in the code list the OpenAPI document names `schema`
        /// (`ConsultationType`, `Urgency`…), for pages that show API records generically.
        pub fn label_of(schema: &str, code: &str, lang: crate::Lang) -> Option<&'static str> {
            match schema {
                $(stringify!($name) => crate::$module::$name::parse(code).map(|c| c.label(lang)),)+
                _ => None,
            }
        }
    };
}

labels_by_schema! {
    bookings::BookingStatus,
    calendar::CalendarFeedKind,
    capacity::PlacementStatus,
    capacity::Evaluation,
    capacity::TeachingKind,
    capacity::TrainingIndicator,
    capacity::GapLevel,
    capacity::TechniqueStage,
    capacity::CaseOutcome,
    capacity::WorkstationKind,
    capacity::SpecialtyLevel,
    capacity::AcceptanceResult,
    capacity::ResearchKind,
    capacity::AccreditationGoalKind,
    capacity::GoalStatus,
    capacity::SchemeKind,
    capacity::SeriesKind,
    capacity::DepartmentChangeKind,
    capacity::OutreachKind,
    capacity::PlaceKind,
    clinic_sessions::VisitType,
    clinic_sessions::SessionStatus,
    codes::RegionLevel,
    codes::InstitutionKind,
    codes::Grade,
    codes::Gender,
    codes::Title,
    codes::ProgramKind,
    codes::DonorAccess,
    codes::PairingLevel,
    codes::PairingMode,
    codes::Role,
    consultations::ConsultationType,
    consultations::Urgency,
    consultations::ConsultationState,
    consultations::AttachmentKind,
    dispatch::AssignmentMode,
    dispatch::Post,
    kpis::PeriodType,
    kpis::KpiDirection,
    kpis::ValueKind,
    kpis::ReportState,
    referrals::Direction,
    referrals::ReferralState,
}

#[cfg(test)]
mod label_tests {
    use super::label_of;
    use crate::Lang;

    #[test]
    fn codes_read_as_labels_by_their_schema_name() {
        assert_eq!(
            label_of("ConsultationType", "imaging", Lang::Zh),
            Some("影像会诊")
        );
        assert_eq!(
            label_of("ConsultationState", "closed", Lang::En),
            Some("Closed")
        );
        assert_eq!(label_of("ConsultationType", "nonsense", Lang::Zh), None);
        assert_eq!(label_of("NoSuchList", "imaging", Lang::Zh), None);
    }
}
