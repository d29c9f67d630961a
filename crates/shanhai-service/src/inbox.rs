//! The inbox (待办) — everything waiting for the caller, one function used by the 待办 page, the
//! navigation's counts and `GET /api/v1/inbox` — an expert's day (their home), and the one search
//! box, each within what the access policy lets the caller see.

use crate::{AccessFacts, Acting, ServiceResult};
use shanhai_domain::access::Reach;
use shanhai_domain::codes::Role;
use shanhai_domain::consultations::ConsultationScope;
use shanhai_domain::inbox::{BookingHit, Inbox, SearchResults, Today, TodayAssignment};
use shanhai_domain::kpis::{KpiReport, ReportState, may_enter, may_review};
use shanhai_domain::referrals::visible_to;
use shanhai_store::clinic_sessions::{self, SessionFilter};
use shanhai_store::consultations::{self, ConsultationFilter};
use shanhai_store::dispatch::{self, AssignmentFilter};
use shanhai_store::institutions::{self, InstitutionFilter};
use shanhai_store::kpis::{self, KpiReportFilter};
use shanhai_store::people::{self, PersonFilter};
use shanhai_store::referrals::{self, ReferralFilter};
use shanhai_store::{Db, PageRequest, StoreError, search};

/// How many KPI reports of one state the inbox reads at most.
const KPI_LIMIT: i64 = 200;
/// How many hits of each kind the search box shows.
pub const SEARCH_LIMIT: i64 = 20;
/// The longest search the box takes, in characters.
const SEARCH_MAX_CHARS: usize = 100;

/// Everything waiting for the caller now: consultations whose next step is theirs (or their
/// institution's), referrals their institution is to receive, treat or close, KPI reports to
/// submit (coordinators, for the institutions whose figures they enter) or to approve (program
/// offices and the platform admin). Patient details masked.
pub async fn inbox(db: &Db, who: &Acting) -> ServiceResult<Inbox> {
    let p = &who.principal;
    let staff = matches!(p.role, Role::Coordinator | Role::Clinician);
    let institution = p.institution_id.as_deref().filter(|_| staff);
    let consultations = consultations::awaiting(db, institution, who.person()).await?;
    let referrals = match institution {
        Some(i) => referrals::awaiting(db, i).await?,
        None => Vec::new(),
    };
    let kpi_reports = kpi_reports_waiting(db, who).await?;
    Ok(Inbox::new(consultations, referrals, kpi_reports))
}

/// The KPI reports waiting for the caller: to submit (drafts, reopened) where they enter the
/// figures — coordinators only, the platform admin enters but is not asked to — and to review
/// (submitted) where they review.
async fn kpi_reports_waiting(db: &Db, who: &Acting) -> ServiceResult<Vec<KpiReport>> {
    let p = &who.principal;
    let (enters, reviews) = match p.role {
        Role::Coordinator => (true, false),
        Role::ProgramOffice | Role::PlatformAdmin => (false, true),
        Role::Expert | Role::Clinician => (false, false),
    };
    if !enters && !reviews {
        return Ok(Vec::new());
    }
    let facts = AccessFacts::load(db).await?;
    let reach = facts.reach(p);
    let mut states = Vec::new();
    if enters {
        states.extend([ReportState::Draft, ReportState::Reopened]);
    }
    if reviews {
        states.push(ReportState::Submitted);
    }
    let mut out = Vec::new();
    for state in states {
        let filter = KpiReportFilter {
            state: Some(state.code().to_string()),
            // An office reviews its own program's reports (and those under no program).
            program: None,
            ..Default::default()
        };
        let page = kpis::list(
            db,
            &filter,
            &reach,
            PageRequest::new(Some(1), Some(KPI_LIMIT)),
        )
        .await?;
        out.extend(page.items.into_iter().filter(|r| {
            let access = facts.access(p, &r.institution_id);
            if state == ReportState::Submitted {
                may_review(p, r.program_id.as_deref(), access)
            } else {
                may_enter(p, access)
            }
        }));
    }
    // Oldest period first: the report longest overdue comes first.
    out.sort_by(|a, b| {
        a.period_start
            .cmp(&b.period_start)
            .then_with(|| a.institution_name.cmp(&b.institution_name))
    });
    Ok(out)
}

/// An expert's day (their home page): the assignments running today and whether today is one
/// of their days on site, their clinic sessions today, and their inbox.
pub async fn today(db: &Db, who: &Acting) -> ServiceResult<Today> {
    let date = shanhai_store::today();
    let inbox = inbox(db, who).await?;
    let Some(person_id) = who.person() else {
        return Ok(Today {
            date: date.to_string(),
            person: None,
            assignments: Vec::new(),
            sessions: Vec::new(),
            inbox,
        });
    };
    let person = match people::get(db, person_id).await {
        Ok(p) => Some(p),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let assignments = dispatch::list_assignments(
        db,
        &AssignmentFilter {
            person: Some(person_id.to_string()),
            active_on: Some(date.to_string()),
            ..Default::default()
        },
        PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE)),
    )
    .await?
    .items
    .into_iter()
    .map(|a| TodayAssignment {
        on_site_today: a.presence().is_some_and(|p| p.covers(date)),
        assignment: a,
    })
    .collect();
    let mut sessions = clinic_sessions::list(
        db,
        &SessionFilter {
            expert: Some(person_id.to_string()),
            from: Some(date.to_string()),
            until: Some(date.to_string()),
            ..Default::default()
        },
        PageRequest::new(Some(1), Some(PageRequest::MAX_PER_PAGE)),
    )
    .await?
    .items;
    sessions.sort_by(|a, b| a.start.cmp(&b.start));
    Ok(Today {
        date: date.to_string(),
        person,
        assignments,
        sessions,
        inbox,
    })
}

/// The one search box: a booking by its code (for whoever runs the session's clinics), people
/// of the institutions the caller reaches, institutions (the registry is open to every user),
/// and the consultations and referrals the caller sees — patients as masked names only. Fewer
/// than two characters find nothing (except a booking code).
pub async fn search(db: &Db, who: &Acting, q: &str) -> ServiceResult<SearchResults> {
    // Control characters (PostgreSQL refuses NUL in text) are dropped; 100 characters suffice.
    let q: String = q
        .chars()
        .filter(|c| !c.is_control())
        .take(SEARCH_MAX_CHARS)
        .collect();
    let q = q.trim();
    let mut out = SearchResults {
        q: q.to_string(),
        ..Default::default()
    };
    if q.chars().count() < 2 {
        return Ok(out);
    }
    let limit = PageRequest::new(Some(1), Some(SEARCH_LIMIT));
    let facts = AccessFacts::load(db).await?;
    let p = &who.principal;
    if let Some(booking) = search::booking_by_code(db, q).await? {
        let session = clinic_sessions::get(db, &booking.session_id).await?;
        if p.may_run_clinics(facts.access(p, &session.institution_id))
            .is_ok()
        {
            search::record_booking_read(db, &who.actor, &booking).await?;
            out.bookings.push(BookingHit { booking, session });
            out.totals.bookings = 1;
        }
    }
    let reach: Reach = facts.reach(p);
    let found = people::list(
        db,
        &PersonFilter {
            q: Some(q.to_string()),
            ..Default::default()
        },
        &reach,
        limit,
    )
    .await?;
    (out.totals.people, out.people) = (found.total, found.items);
    let found = institutions::list(
        db,
        &InstitutionFilter {
            q: Some(q.to_string()),
            ..Default::default()
        },
        limit,
    )
    .await?;
    (out.totals.institutions, out.institutions) = (found.total, found.items);
    let found = consultations::list(
        db,
        &ConsultationFilter {
            q: Some(q.to_string()),
            scope: ConsultationScope::of(p, who.person()),
            ..Default::default()
        },
        limit,
    )
    .await?;
    (out.totals.consultations, out.consultations) = (found.total, found.items);
    // Referrals are for the two institutions' staff (and the platform admin); others see none.
    if let Ok(visible) = visible_to(p) {
        let found = referrals::list(
            db,
            &ReferralFilter {
                q: Some(q.to_string()),
                visible_to_institution: visible,
                ..Default::default()
            },
            limit,
        )
        .await?;
        (out.totals.referrals, out.referrals) = (found.total, found.items);
    }
    Ok(out.counted())
}
