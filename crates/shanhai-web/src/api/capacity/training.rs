//! Training schemes and their members, lecture series, remote CME enrolments, department
//! restructurings and patients who came back for treatment: list, read, create and change.

use super::*;

pub mod training_schemes {
    use super::*;
    collection!(full training_schemes, TrainingSchemeInput, TrainingScheme,
        "/api/v1/training-schemes", "/api/v1/training-schemes/{id}",
        "Training schemes (雏鹰行动 further study, 跟岗 shadowing…) run by a local institution; `kind` is the scheme kind.");
}

pub mod scheme_members {
    use super::*;
    collection!(full scheme_members, SchemeMemberInput, SchemeMember,
        "/api/v1/training-scheme-members", "/api/v1/training-scheme-members/{id}",
        "The members of training schemes, people or placements; `kind` selects one scheme (its id), `person` a member.");
}

pub mod lecture_series {
    use super::*;
    collection!(full lecture_series, LectureSeriesInput, LectureSeries,
        "/api/v1/lecture-series", "/api/v1/lecture-series/{id}",
        "Lecture series (云中课堂, 科研门诊, 专家讲坛); their sessions are teaching activities (`GET /api/v1/teaching-activities?series=`).");
}

pub mod cme_enrolments {
    use super::*;
    collection!(full cme_enrolments, CmeEnrolmentInput, CmeEnrolment,
        "/api/v1/cme-enrolments", "/api/v1/cme-enrolments/{id}",
        "Remote continuing medical education enrolments (远程继续医学教育); `kind` is the course's specialty.");
}

pub mod department_changes {
    use super::*;
    collection!(full department_changes, DepartmentChangeInput, DepartmentChange,
        "/api/v1/department-changes", "/api/v1/department-changes/{id}",
        "Departments created, merged, split or renamed (优化调整科室).");
}

pub mod patient_returns {
    use super::*;
    collection!(full patient_returns, PatientReturnInput, PatientReturn,
        "/api/v1/patient-returns", "/api/v1/patient-returns/{id}",
        "Patients who came back from elsewhere for local treatment, de-identified (date, hospital, specialty, the region treated before); `kind` is the specialty.");
}

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(training_schemes::router())
        .merge(scheme_members::router())
        .merge(lecture_series::router())
        .merge(cme_enrolments::router())
        .merge(department_changes::router())
        .merge(patient_returns::router())
}
