//! Training schemes and their members (雏鹰行动, 跟岗), lecture series (云中课堂, 科研门诊; their
//! sessions are teaching activities), remote CME enrolments, department restructurings and
//! patients who came back for treatment: each a plain collection under the capacity rules.

/// Training schemes (进修, 跟岗, other).
pub mod training_schemes {
    use crate::capacity::{parse_into, plain_collection};
    use shanhai_domain::capacity::{NewTrainingScheme, TrainingScheme, TrainingSchemeInput};
    use shanhai_store::capacity::TrainingSchemes;

    parse_into!(TrainingSchemeInput => NewTrainingScheme);
    plain_collection!(TrainingSchemes, TrainingSchemeInput, TrainingScheme);
}

/// The members of training schemes: people or placements.
pub mod scheme_members {
    use crate::capacity::{parse_into, plain_collection};
    use shanhai_domain::capacity::{NewSchemeMember, SchemeMember, SchemeMemberInput};
    use shanhai_store::capacity::SchemeMembers;

    parse_into!(SchemeMemberInput => NewSchemeMember);
    plain_collection!(SchemeMembers, SchemeMemberInput, SchemeMember);
}

/// Lecture series; their sessions are teaching activities naming the series.
pub mod lecture_series {
    use crate::capacity::{parse_into, plain_collection};
    use shanhai_domain::capacity::{LectureSeries, LectureSeriesInput, NewLectureSeries};
    use shanhai_store::capacity::LectureSeriesSet;

    parse_into!(LectureSeriesInput => NewLectureSeries);
    plain_collection!(LectureSeriesSet, LectureSeriesInput, LectureSeries);
}

/// Remote CME enrolments (远程继续医学教育).
pub mod cme_enrolments {
    use crate::capacity::{parse_into, plain_collection};
    use shanhai_domain::capacity::{CmeEnrolment, CmeEnrolmentInput, NewCmeEnrolment};
    use shanhai_store::capacity::CmeEnrolments;

    parse_into!(CmeEnrolmentInput => NewCmeEnrolment);
    plain_collection!(CmeEnrolments, CmeEnrolmentInput, CmeEnrolment);
}

/// Departments created, merged, split or renamed (优化调整科室).
pub mod department_changes {
    use crate::capacity::{parse_into, plain_collection};
    use shanhai_domain::capacity::{DepartmentChange, DepartmentChangeInput, NewDepartmentChange};
    use shanhai_store::capacity::DepartmentChanges;

    parse_into!(DepartmentChangeInput => NewDepartmentChange);
    plain_collection!(DepartmentChanges, DepartmentChangeInput, DepartmentChange);
}

/// Patients who came back for local treatment, de-identified.
pub mod patient_returns {
    use crate::capacity::{parse_into, plain_collection};
    use shanhai_domain::capacity::{NewPatientReturn, PatientReturn, PatientReturnInput};
    use shanhai_store::capacity::PatientReturns;

    parse_into!(PatientReturnInput => NewPatientReturn);
    plain_collection!(PatientReturns, PatientReturnInput, PatientReturn);
}
