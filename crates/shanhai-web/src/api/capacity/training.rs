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

/// One training scheme or lecture series as a briefing names it: its name, a count (members;
/// sessions) with the list of exactly those records, and for a series its attendance.
#[derive(Debug, Clone)]
pub struct Named {
    pub name: String,
    pub count: i64,
    pub records_url: String,
    pub attendance: i64,
}

/// The filter of a briefing's scope: a program, optionally one institution and a period.
fn scoped(
    program: &str,
    institution: Option<&str>,
    from: Option<&str>,
    until: &str,
) -> CapacityFilter {
    CapacityFilter {
        program: Some(program.to_string()),
        institution: institution.map(str::to_string),
        from: from.map(str::to_string),
        until: Some(until.to_string()),
        ..Default::default()
    }
}

fn list_query(program: &str, institution: Option<&str>, from: Option<&str>, until: &str) -> String {
    let mut q = format!("program={program}&until={until}");
    if let Some(f) = from {
        q.push_str(&format!("&from={f}"));
    }
    if let Some(i) = institution {
        q.push_str(&format!("&institution={i}"));
    }
    q
}

/// Every training scheme of the program with members in the scope, oldest first: the briefing
/// names each ("“雏鹰行动”选派35名…"); their counts add up to `training-cohort-members`.
pub async fn schemes_named(
    db: &shanhai_store::Db,
    program: &str,
    institution: Option<&str>,
    from: Option<&str>,
    until: &str,
) -> shanhai_store::Result<Vec<Named>> {
    use shanhai_domain::access::Reach;
    use shanhai_store::PageRequest;
    use shanhai_store::capacity::{self as store, SchemeMembers, TrainingSchemes};
    let mut schemes = store::list::<TrainingSchemes>(
        db,
        &CapacityFilter {
            program: Some(program.to_string()),
            until: Some(until.to_string()),
            ..Default::default()
        },
        &Reach::All,
        PageRequest::new(Some(1), Some(200)),
    )
    .await?
    .items;
    schemes.sort_by(|a, b| (&a.started_on, &a.id).cmp(&(&b.started_on, &b.id)));
    let mut out = Vec::new();
    for s in schemes {
        let filter = CapacityFilter {
            kind: Some(s.id.clone()),
            ..scoped(program, institution, from, until)
        };
        let count = store::list::<SchemeMembers>(
            db,
            &filter,
            &Reach::All,
            PageRequest::new(Some(1), Some(1)),
        )
        .await?
        .total;
        if count > 0 {
            out.push(Named {
                name: s.name,
                count,
                records_url: format!(
                    "/api/v1/training-scheme-members?{}&kind={}",
                    list_query(program, institution, from, until),
                    s.id
                ),
                attendance: 0,
            });
        }
    }
    Ok(out)
}

/// Every lecture series of the program with sessions in the scope, the most sessions first,
/// with their attendance: their sessions add up to `lecture-series-sessions`.
pub async fn series_named(
    db: &shanhai_store::Db,
    program: &str,
    institution: Option<&str>,
    from: Option<&str>,
    until: &str,
) -> shanhai_store::Result<Vec<Named>> {
    use shanhai_domain::access::Reach;
    use shanhai_store::PageRequest;
    use shanhai_store::capacity::{self as store, LectureSeriesSet};
    let series = store::list::<LectureSeriesSet>(
        db,
        &CapacityFilter {
            program: Some(program.to_string()),
            until: Some(until.to_string()),
            ..Default::default()
        },
        &Reach::All,
        PageRequest::new(Some(1), Some(200)),
    )
    .await?
    .items;
    let mut out = Vec::new();
    for s in series {
        let filter = CapacityFilter {
            series: Some(s.id.clone()),
            ..scoped(program, institution, from, until)
        };
        let (count, attendance) = store::series_totals(db, &filter).await?;
        if count > 0 {
            out.push(Named {
                name: s.name,
                count,
                records_url: format!(
                    "/api/v1/teaching-activities?{}&series={}",
                    list_query(program, institution, from, until),
                    s.id
                ),
                attendance,
            });
        }
    }
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
    Ok(out)
}

/// The institutions whose accreditation goals of the program were achieved within the scope,
/// by name: the briefing says which (`accreditations-achieved`).
pub async fn achieved_named(
    db: &shanhai_store::Db,
    program: &str,
    institution: Option<&str>,
    from: Option<&str>,
    until: &str,
) -> shanhai_store::Result<Vec<String>> {
    use shanhai_domain::access::Reach;
    use shanhai_store::PageRequest;
    use shanhai_store::capacity::{self as store, AccreditationGoals};
    let goals = store::list::<AccreditationGoals>(
        db,
        &CapacityFilter {
            program: Some(program.to_string()),
            institution: institution.map(str::to_string),
            kind: Some("achieved".into()),
            ..Default::default()
        },
        &Reach::All,
        PageRequest::new(Some(1), Some(200)),
    )
    .await?
    .items;
    let mut names: Vec<String> = Vec::new();
    for g in goals {
        let Some(on) = g.achieved_on.as_deref() else {
            continue;
        };
        if on > until || from.is_some_and(|f| on < f) {
            continue;
        }
        let name = g.institution_name.unwrap_or_default();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Ok(names)
}
