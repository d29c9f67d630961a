//! The inbox (待办): everything that waits for the caller's action now, and the counts the
//! navigation shows beside 待办 and beside each menu item with waiting work. An expert's home
//! (today) and the one search box's results are shaped here too.

use crate::clinic_sessions::ClinicSession;
use crate::consultations::Consultation;
use crate::dispatch::Assignment;
use crate::kpis::{KpiReport, ReportState};
use crate::referrals::Referral;
use crate::registry::Person;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Inbox {
    /// Consultations whose next step is the caller's (or their institution's).
    pub consultations: Vec<Consultation>,
    /// Referrals the caller's institution is to receive, treat or close.
    pub referrals: Vec<Referral>,
    /// KPI reports for the caller to submit (drafts and reports reopened for correction, at the
    /// institutions whose figures they enter) or to review (submitted reports of the programs
    /// they review).
    pub kpi_reports: Vec<KpiReport>,
    /// Days experts checked in that the caller has still to confirm (coordinators, offices).
    pub days_to_confirm: usize,
    pub counts: InboxCounts,
    /// Everything waiting, all kinds together.
    pub count: usize,
}

/// How many items of each kind wait; the navigation's badges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct InboxCounts {
    pub consultations: usize,
    pub referrals: usize,
    pub kpi_reports: usize,
    /// KPI reports among `kpi_reports` waiting for the caller's review.
    pub kpi_reports_to_review: usize,
    /// Days served waiting for the caller's confirmation (counted as one item of work).
    pub days_to_confirm: usize,
    pub total: usize,
}

impl Inbox {
    pub fn new(
        consultations: Vec<Consultation>,
        referrals: Vec<Referral>,
        kpi_reports: Vec<KpiReport>,
        days_to_confirm: usize,
    ) -> Inbox {
        let counts = InboxCounts {
            consultations: consultations.len(),
            referrals: referrals.len(),
            kpi_reports: kpi_reports.len(),
            kpi_reports_to_review: kpi_reports.iter().filter(|r| to_review(r.state)).count(),
            days_to_confirm,
            // A week of days to confirm is one piece of work: it counts once in the total.
            total: consultations.len()
                + referrals.len()
                + kpi_reports.len()
                + usize::from(days_to_confirm > 0),
        };
        Inbox {
            count: counts.total,
            counts,
            consultations,
            referrals,
            kpi_reports,
            days_to_confirm,
        }
    }
}

/// Whether a KPI report in this state waits for its reviewer (otherwise for whoever enters it).
pub fn to_review(state: ReportState) -> bool {
    state == ReportState::Submitted
}

/// An expert's day: where their assignments place them today, their clinic sessions today, and
/// what waits for them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Today {
    /// `YYYY-MM-DD`, Asia/Shanghai.
    #[schema(format = Date)]
    pub date: String,
    /// The signed-in user's person record, if the account is linked to one.
    pub person: Option<Person>,
    /// Assignments running today; `on_site_today` tells whether today is one of its days there.
    pub assignments: Vec<TodayAssignment>,
    /// The caller's clinic sessions today, earliest first.
    pub sessions: Vec<ClinicSession>,
    pub inbox: Inbox,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TodayAssignment {
    pub assignment: Assignment,
    /// Whether the assignment's pattern (weekdays, monthly or quarterly visits, remote) puts
    /// the expert on site today.
    pub on_site_today: bool,
}

/// What the one search box found, by kind, each list within the caller's scope; patients only
/// as masked names.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct SearchResults {
    /// The words searched for, trimmed.
    pub q: String,
    pub bookings: Vec<BookingHit>,
    pub people: Vec<Person>,
    pub institutions: Vec<crate::registry::Institution>,
    pub consultations: Vec<Consultation>,
    pub referrals: Vec<Referral>,
    /// How many of each kind match in all (each list shows the first few).
    pub totals: SearchTotals,
    /// Matches of every kind together.
    pub total: i64,
}

/// How many records of each kind match.
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct SearchTotals {
    pub bookings: i64,
    pub people: i64,
    pub institutions: i64,
    pub consultations: i64,
    pub referrals: i64,
}

/// A booking found by its code, with the session it is for.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BookingHit {
    pub booking: crate::bookings::Booking,
    pub session: ClinicSession,
}

impl SearchResults {
    /// Fills in `total` once the lists and their totals are in.
    pub fn counted(mut self) -> SearchResults {
        let t = &self.totals;
        self.total = t.bookings + t.people + t.institutions + t.consultations + t.referrals;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_submitted_reports_wait_for_review() {
        assert!(to_review(ReportState::Submitted));
        assert!(!to_review(ReportState::Draft));
        assert!(!to_review(ReportState::Reopened));
        assert!(!to_review(ReportState::Approved));
    }

    #[test]
    fn days_to_confirm_count_once_in_the_total() {
        let inbox = Inbox::new(Vec::new(), Vec::new(), Vec::new(), 12);
        assert_eq!(inbox.counts.days_to_confirm, 12);
        assert_eq!(inbox.count, 1);
    }

    #[test]
    fn an_empty_inbox_counts_nothing() {
        let inbox = Inbox::new(Vec::new(), Vec::new(), Vec::new(), 0);
        assert_eq!(inbox.count, 0);
        assert_eq!(inbox.counts, InboxCounts::default());
    }
}
