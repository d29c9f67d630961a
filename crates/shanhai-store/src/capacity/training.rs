//! Training schemes and their members, lecture series (their sessions are teaching activities
//! with a `series_id`), remote CME enrolments, department restructurings and patients who came
//! back for treatment (de-identified).

use super::{CapacityFilter, Collection, Ref, TeachingActivities, money_totals};
use crate::record::Table;
use crate::row::row;
use crate::{Db, Result};
use shanhai_domain::access::Reach;
use shanhai_domain::capacity::*;

// ---- training schemes ----

capacity_table!(
    TrainingSchemes,
    TrainingScheme,
    "training_schemes",
    "training_scheme",
    "t.*, i.name AS institution_name, hi.name AS host_institution_name, \
     (SELECT COUNT(*) FROM training_scheme_members m WHERE m.scheme_id = t.id) AS member_count",
    "training_schemes t JOIN institutions i ON i.id = t.institution_id \
     LEFT JOIN institutions hi ON hi.id = t.host_institution_id",
    "error.conflict"
);

row! {
    read TrainingScheme(row) {
        id: text,
        program_id: opt_text,
        institution_id: text,
        institution_name: opt_text,
        name: text,
        kind: code(SchemeKind::parse),
        host_institution_id: opt_text,
        host_institution_name: opt_text,
        started_on: text,
        member_count: int,
        note: opt_text,
        created_at: text,
        updated_at: text,
    }
    write NewTrainingScheme(n) {
        program_id: clone,
        institution_id: clone,
        name: clone,
        kind: code,
        host_institution_id: clone,
        started_on: date,
        note: clone,
    }
}

impl Collection for TrainingSchemes {
    type New = NewTrainingScheme;
    const SEARCH: &'static [&'static str] = &["t.name", "hi.name"];
    const ORDER: &'static str = "t.started_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.kind");
    const DATE: &'static str = "t.started_on";

    fn refs(n: &NewTrainingScheme) -> Vec<Ref<'_>> {
        n.host_institution_id
            .iter()
            .map(|h| Ref::Institution("host_institution_id", h))
            .collect()
    }
}

// ---- a scheme's members ----

capacity_table!(
    SchemeMembers,
    SchemeMember,
    "training_scheme_members",
    "training_scheme_member",
    "t.*, i.name AS institution_name, s.name AS scheme_name, \
     COALESCE(p.name, pp.name) AS person_name",
    "training_scheme_members t JOIN institutions i ON i.id = t.institution_id \
     JOIN training_schemes s ON s.id = t.scheme_id \
     LEFT JOIN people p ON p.id = t.person_id \
     LEFT JOIN placements pl ON pl.id = t.placement_id \
     LEFT JOIN people pp ON pp.id = pl.person_id",
    "error.scheme_member_exists"
);

row! {
    read SchemeMember(row) {
        id: text,
        program_id: opt_text,
        institution_id: text,
        institution_name: opt_text,
        scheme_id: text,
        scheme_name: opt_text,
        person_id: opt_text,
        person_name: opt_text,
        placement_id: opt_text,
        joined_on: text,
        created_at: text,
        updated_at: text,
    }
    write NewSchemeMember(n) {
        program_id: clone,
        institution_id: clone,
        scheme_id: clone,
        person_id: clone,
        placement_id: clone,
        joined_on: date,
    }
}

impl Collection for SchemeMembers {
    type New = NewSchemeMember;
    const SEARCH: &'static [&'static str] = &["p.name", "pp.name", "s.name"];
    const ORDER: &'static str = "t.joined_on DESC, t.id";
    /// `?kind=` selects one scheme's members.
    const KIND: Option<&'static str> = Some("t.scheme_id");
    const PERSON: &'static [&'static str] = &["t.person_id", "pl.person_id"];
    const DATE: &'static str = "t.joined_on";

    fn refs(n: &NewSchemeMember) -> Vec<Ref<'_>> {
        let mut refs = vec![Ref::Row(
            "scheme_id",
            "training_schemes",
            &n.scheme_id,
            "error.unknown_training_scheme",
        )];
        if let Some(p) = &n.person_id {
            refs.push(Ref::PersonAt("person_id", p, &n.institution_id));
        }
        if let Some(p) = &n.placement_id {
            refs.push(Ref::Row(
                "placement_id",
                "placements",
                p,
                "error.unknown_placement",
            ));
        }
        refs
    }
}

// ---- lecture series ----

capacity_table!(
    LectureSeriesSet,
    LectureSeries,
    "lecture_series",
    "lecture_series",
    "t.*, i.name AS institution_name, \
     (SELECT COUNT(*) FROM teaching_activities a WHERE a.series_id = t.id) AS sessions, \
     (SELECT CAST(COALESCE(SUM(a.attendance), 0) AS BIGINT) FROM teaching_activities a \
      WHERE a.series_id = t.id) AS attendance",
    "lecture_series t JOIN institutions i ON i.id = t.institution_id",
    "error.conflict"
);

row! {
    read LectureSeries(row) {
        id: text,
        program_id: opt_text,
        institution_id: text,
        institution_name: opt_text,
        name: text,
        kind: code(SeriesKind::parse),
        started_on: text,
        sessions: int,
        attendance: int,
        note: opt_text,
        created_at: text,
        updated_at: text,
    }
    write NewLectureSeries(n) {
        program_id: clone,
        institution_id: clone,
        name: clone,
        kind: code,
        started_on: date,
        note: clone,
    }
}

impl Collection for LectureSeriesSet {
    type New = NewLectureSeries;
    const SEARCH: &'static [&'static str] = &["t.name"];
    const ORDER: &'static str = "t.started_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.kind");
    const DATE: &'static str = "t.started_on";

    fn refs(_: &NewLectureSeries) -> Vec<Ref<'_>> {
        Vec::new()
    }
}

/// The sessions (teaching activities) and attendance of the series the filter's `series`
/// names (`any`: every series), counted over the filter: (sessions, attendance).
pub async fn series_totals(db: &Db, f: &CapacityFilter) -> Result<(i64, i64)> {
    let t = money_totals::<TeachingActivities>(db, "t.attendance", f, &Reach::All).await?;
    Ok((t.count, t.amount_fen))
}

// ---- remote CME enrolments ----

capacity_table!(
    CmeEnrolments,
    CmeEnrolment,
    "cme_enrolments",
    "cme_enrolment",
    "t.*, i.name AS institution_name, COALESCE(p.name, t.learner_name) AS learner_label",
    "cme_enrolments t JOIN institutions i ON i.id = t.institution_id \
     LEFT JOIN people p ON p.id = t.learner_id",
    "error.conflict"
);

row! {
    read CmeEnrolment(row) {
        id: text,
        program_id: opt_text,
        institution_id: text,
        institution_name: opt_text,
        learner_id: opt_text,
        learner_name: opt_text("learner_label"),
        course: text,
        specialty_code: opt_text,
        enrolled_on: text,
        created_at: text,
        updated_at: text,
    }
    write NewCmeEnrolment(n) {
        program_id: clone,
        institution_id: clone,
        learner_id: clone,
        learner_name: clone,
        course: clone,
        specialty_code: clone,
        enrolled_on: date,
    }
}

impl Collection for CmeEnrolments {
    type New = NewCmeEnrolment;
    const SEARCH: &'static [&'static str] = &["t.course", "t.learner_name", "p.name"];
    const ORDER: &'static str = "t.enrolled_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.specialty_code");
    const PERSON: &'static [&'static str] = &["t.learner_id"];
    const DATE: &'static str = "t.enrolled_on";

    fn refs(n: &NewCmeEnrolment) -> Vec<Ref<'_>> {
        n.learner_id
            .iter()
            .map(|l| Ref::PersonAt("learner_id", l, &n.institution_id))
            .collect()
    }
}

// ---- departments restructured ----

capacity_table!(
    DepartmentChanges,
    DepartmentChange,
    "department_changes",
    "department_change",
    "t.*, i.name AS institution_name",
    "department_changes t JOIN institutions i ON i.id = t.institution_id",
    "error.conflict"
);

row! {
    read DepartmentChange(row) {
        id: text,
        program_id: opt_text,
        institution_id: text,
        institution_name: opt_text,
        department_id: opt_text,
        kind: code(DepartmentChangeKind::parse),
        name: text,
        previous_name: opt_text,
        changed_on: text,
        note: opt_text,
        created_at: text,
        updated_at: text,
    }
    write NewDepartmentChange(n) {
        program_id: clone,
        institution_id: clone,
        department_id: clone,
        kind: code,
        name: clone,
        previous_name: clone,
        changed_on: date,
        note: clone,
    }
}

impl Collection for DepartmentChanges {
    type New = NewDepartmentChange;
    const SEARCH: &'static [&'static str] = &["t.name", "t.previous_name"];
    const ORDER: &'static str = "t.changed_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.kind");
    const DATE: &'static str = "t.changed_on";

    fn refs(n: &NewDepartmentChange) -> Vec<Ref<'_>> {
        n.department_id
            .iter()
            .map(|d| Ref::Department("department_id", d, &n.institution_id))
            .collect()
    }
}

// ---- patients who came back for treatment ----

capacity_table!(
    PatientReturns,
    PatientReturn,
    "patient_returns",
    "patient_return",
    "t.*, i.name AS institution_name, r.name AS treated_region_name",
    "patient_returns t JOIN institutions i ON i.id = t.institution_id \
     LEFT JOIN regions r ON r.code = t.treated_region_code",
    "error.conflict"
);

row! {
    read PatientReturn(row) {
        id: text,
        program_id: opt_text,
        institution_id: text,
        institution_name: opt_text,
        department_id: opt_text,
        specialty_code: opt_text,
        returned_on: text,
        treated_region_code: text,
        treated_region_name: opt_text,
        note: opt_text,
        created_at: text,
        updated_at: text,
    }
    write NewPatientReturn(n) {
        program_id: clone,
        institution_id: clone,
        department_id: clone,
        specialty_code: clone,
        returned_on: date,
        treated_region_code: clone,
        note: clone,
    }
}

impl Collection for PatientReturns {
    type New = NewPatientReturn;
    const SEARCH: &'static [&'static str] = &["r.name", "t.note"];
    const ORDER: &'static str = "t.returned_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.specialty_code");
    const DATE: &'static str = "t.returned_on";

    fn refs(n: &NewPatientReturn) -> Vec<Ref<'_>> {
        n.department_id
            .iter()
            .map(|d| Ref::Department("department_id", d, &n.institution_id))
            .collect()
    }
}
