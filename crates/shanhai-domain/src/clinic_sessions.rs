//! Visiting-expert clinic sessions (出诊): when and where an expert sees patients, how many, and
//! the dates an assignment's pattern produces.

use crate::dispatch::{AssignmentMode, Presence, Weekdays};
use crate::validate::{self, code, optional_reference, reference};
use crate::{Invalid, Problems};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

code_enum! {
    VisitType {
        Expert => "expert", "专家号", "Expert clinic";
        Academician => "academician", "院士号", "Academician clinic";
        FreeClinic => "free-clinic", "义诊", "Free outreach clinic";
        Circuit => "circuit", "巡回诊疗", "Circuit clinic";
    }
}

code_enum! {
    /// A session's booking state. Only `open` and `cancelled` are stored; `full` and `ended` are
    /// what an open session is when its places are taken or its end time has passed
    /// ([`SessionStatus::of`] decides, and every view shows its answer).
    SessionStatus {
        Open => "open", "可预约", "Open";
        Full => "full", "已满", "Full";
        Ended => "ended", "已结束", "Ended";
        Cancelled => "cancelled", "已停诊", "Cancelled";
    }
}

impl SessionStatus {
    /// The one rule for a session's booking state at `now` (Asia/Shanghai local time):
    /// cancelled (停诊) first; then ended once its end time has passed; then full once every
    /// place is taken (waitlisting still possible); otherwise open.
    pub fn of(
        cancelled: bool,
        date: NaiveDate,
        end: NaiveTime,
        capacity: i64,
        booked: i64,
        now: NaiveDateTime,
    ) -> SessionStatus {
        if cancelled {
            SessionStatus::Cancelled
        } else if now >= date.and_time(end) {
            SessionStatus::Ended
        } else if booked >= capacity {
            SessionStatus::Full
        } else {
            SessionStatus::Open
        }
    }

    /// [`SessionStatus::of`] for a session as stored: the stored status code, `YYYY-MM-DD` and
    /// `HH:MM`. A date or time that does not read counts as not yet ended.
    pub fn of_stored(
        stored: &str,
        date: &str,
        end: &str,
        capacity: i64,
        booked: i64,
        now: NaiveDateTime,
    ) -> SessionStatus {
        let ends = NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .ok()
            .zip(NaiveTime::parse_from_str(end, "%H:%M").ok());
        match ends {
            Some((d, e)) => SessionStatus::of(
                stored == SessionStatus::Cancelled.code(),
                d,
                e,
                capacity,
                booked,
                now,
            ),
            None if stored == SessionStatus::Cancelled.code() => SessionStatus::Cancelled,
            None if booked >= capacity => SessionStatus::Full,
            None => SessionStatus::Open,
        }
    }

    /// Whether the session still takes bookings (a full one: on its waitlist).
    pub fn takes_bookings(self) -> bool {
        matches!(self, SessionStatus::Open | SessionStatus::Full)
    }

    /// The message key that says why a session takes no bookings.
    pub fn refusal(self) -> Option<&'static str> {
        match self {
            SessionStatus::Ended => Some("error.session_ended"),
            SessionStatus::Cancelled => Some("error.session_closed"),
            SessionStatus::Open | SessionStatus::Full => None,
        }
    }

    /// The badge class a page shows the state with.
    pub fn badge(self) -> &'static str {
        match self {
            SessionStatus::Open => "ok",
            SessionStatus::Full => "gold",
            SessionStatus::Ended | SessionStatus::Cancelled => "off",
        }
    }
}

fn time(field: &str, s: &str) -> Result<NaiveTime, Invalid> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .map_err(|_| Invalid::new(field, "error.time_format"))
}

/// A time window within one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Window {
    pub fn parse(start: &str, end: &str) -> Result<Window, Invalid> {
        let (start, end) = (time("start", start)?, time("end", end)?);
        if end <= start {
            return Err(Invalid::new("end", "error.end_before_start"));
        }
        Ok(Window { start, end })
    }

    pub fn minutes(&self) -> i64 {
        (self.end - self.start).num_minutes()
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ClinicSessionInput {
    /// The expert (a person id).
    #[schema(format = Uuid)]
    pub expert_id: String,
    /// Where the clinic is held: a hospital, or for outreach a township health centre.
    #[schema(format = Uuid)]
    pub institution_id: String,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    /// The assignment the session belongs to, if any.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub assignment_id: Option<String>,
    /// `YYYY-MM-DD`
    #[schema(format = Date)]
    pub date: String,
    /// `HH:MM`
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub start: String,
    /// `HH:MM`
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub end: String,
    /// Number of slots (patients).
    pub capacity: i64,
    /// Minutes per slot; default: the window divided by the capacity.
    #[serde(default)]
    pub slot_minutes: Option<i64>,
    #[serde(default)]
    #[schema(value_type = Option<VisitType>)]
    pub visit_type: Option<String>,
    /// A note for patients, e.g. what to bring.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewClinicSession {
    pub expert_id: String,
    pub institution_id: String,
    pub department_id: Option<String>,
    pub assignment_id: Option<String>,
    pub date: NaiveDate,
    pub window: Window,
    pub capacity: i64,
    pub slot_minutes: i64,
    pub visit_type: VisitType,
    pub note: Option<String>,
}

pub const MAX_CAPACITY: i64 = 10_000;

impl ClinicSessionInput {
    /// The session described, or every problem found in the input, each at its field.
    pub fn parse(&self) -> Result<NewClinicSession, Problems> {
        let mut p = Problems::new();
        let window = p.take(Window::parse(&self.start, &self.end));
        let capacity = p.take(if (1..=MAX_CAPACITY).contains(&self.capacity) {
            Ok(self.capacity)
        } else {
            Err(Invalid::new("capacity", "error.capacity_range"))
        });
        let slot_minutes = p.take(match (self.slot_minutes, window, capacity) {
            (Some(m), _, _) if !(1..=480).contains(&m) => {
                Err(Invalid::new("slot_minutes", "error.slot_minutes_range"))
            }
            (Some(m), _, _) => Ok(m),
            (None, Some(w), Some(c)) => Ok((w.minutes() / c).max(1)),
            (None, _, _) => Ok(1),
        });
        let visit_type = p.take(match self.visit_type.as_deref().map(str::trim) {
            None | Some("") => Ok(VisitType::Expert),
            Some(v) => code("visit_type", v, VisitType::parse),
        });
        let expert_id = p.take(reference("expert_id", &self.expert_id));
        let institution_id = p.take(reference("institution_id", &self.institution_id));
        let department_id = p.take(optional_reference(
            "department_id",
            self.department_id.as_deref(),
        ));
        let assignment_id = p.take(optional_reference(
            "assignment_id",
            self.assignment_id.as_deref(),
        ));
        let date = p.take(validate::date("date", &self.date));
        let note = p.take(validate::optional_text("note", self.note.as_deref(), 500));
        match (
            window,
            capacity,
            slot_minutes,
            visit_type,
            expert_id,
            institution_id,
            department_id,
            assignment_id,
            date,
            note,
        ) {
            (
                Some(window),
                Some(capacity),
                Some(slot_minutes),
                Some(visit_type),
                Some(expert_id),
                Some(institution_id),
                Some(department_id),
                Some(assignment_id),
                Some(date),
                Some(note),
            ) => Ok(NewClinicSession {
                expert_id,
                institution_id,
                department_id,
                assignment_id,
                date,
                window,
                capacity,
                slot_minutes,
                visit_type,
                note,
            }),
            _ => Err(p),
        }
    }
}

impl NewClinicSession {
    /// A copy of a session moved by `days`, the rest unchanged.
    pub fn copied(s: &ClinicSession, days: i64) -> Option<NewClinicSession> {
        let date =
            NaiveDate::parse_from_str(&s.date, "%Y-%m-%d").ok()? + chrono::Duration::days(days);
        Some(NewClinicSession {
            expert_id: s.expert_id.clone(),
            institution_id: s.institution_id.clone(),
            department_id: s.department_id.clone(),
            assignment_id: s.assignment_id.clone(),
            date,
            window: Window::parse(&s.start, &s.end).ok()?,
            capacity: s.capacity,
            slot_minutes: s.slot_minutes,
            visit_type: s.visit_type,
            note: s.note.clone(),
        })
    }

    /// A session is published for today or a later day; one already past would only be a
    /// record of what happened, which is what an import is for.
    pub fn check_publishable(&self, today: NaiveDate) -> Result<(), Invalid> {
        if self.date < today {
            Err(Invalid::new("date", "error.session_in_past"))
        } else {
            Ok(())
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClinicSession {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub expert_id: String,
    pub expert_name: Option<String>,
    pub expert_title: Option<String>,
    pub expert_honours: Vec<String>,
    pub home_institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    pub department_name: Option<String>,
    pub specialty_code: Option<String>,
    #[schema(format = Uuid)]
    pub assignment_id: Option<String>,
    #[schema(format = Date)]
    pub date: String,
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub start: String,
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub end: String,
    pub capacity: i64,
    pub booked: i64,
    pub available: i64,
    pub waitlisted: i64,
    pub slot_minutes: i64,
    pub visit_type: VisitType,
    /// The booking state now: `open`, `full`, `ended` (its end time has passed) or `cancelled`.
    pub status: SessionStatus,
    pub note: Option<String>,
    /// The outreach event (义诊, 巡回诊疗) the session was held at, if any.
    #[schema(format = Uuid)]
    pub outreach_event_id: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// Copying one week's sessions at a host to another week, each on the same weekday.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CopyWeekInput {
    /// The host institution whose sessions are copied.
    #[schema(format = Uuid)]
    pub institution_id: String,
    /// Any day of the week to copy (`YYYY-MM-DD`); the week runs Monday to Sunday.
    #[schema(format = Date)]
    pub from_week: String,
    /// Any day of the week to copy to (`YYYY-MM-DD`).
    #[schema(format = Date)]
    pub to_week: String,
}

/// A checked [`CopyWeekInput`]: the host and the two Mondays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyWeek {
    pub institution_id: String,
    pub from_monday: NaiveDate,
    pub to_monday: NaiveDate,
}

/// The Monday of a date's week.
pub fn monday_of(date: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    date - chrono::Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

impl CopyWeekInput {
    /// Every problem at once: the host, both weeks, and the rule that the target is another
    /// week that has not yet ended.
    pub fn parse(&self, today: NaiveDate) -> Result<CopyWeek, Problems> {
        let mut p = Problems::new();
        let institution_id = p.take(reference("institution_id", &self.institution_id));
        let from = p.take(validate::date("from_week", &self.from_week));
        let to = p.take(validate::date("to_week", &self.to_week).and_then(|d| {
            if monday_of(d) + chrono::Duration::days(6) < today {
                Err(Invalid::new("to_week", "error.week_in_past"))
            } else {
                Ok(d)
            }
        }));
        if let (Some(f), Some(t)) = (from, to)
            && monday_of(f) == monday_of(t)
        {
            p.push(Invalid::new("to_week", "error.same_week"));
            return Err(p);
        }
        match (institution_id, from, to) {
            (Some(institution_id), Some(f), Some(t)) => Ok(CopyWeek {
                institution_id,
                from_monday: monday_of(f),
                to_monday: monday_of(t),
            }),
            _ => Err(p),
        }
    }
}

/// What copying a week came to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CopyWeekOutcome {
    /// The sessions created in the target week.
    pub created: Vec<ClinicSession>,
    /// Sessions not copied: the same expert already holds one at that time, or the day is past.
    pub skipped: i64,
}

/// Changing a published session: its time, department (room), capacity and note. Bookers keep
/// their bookings; the capacity cannot drop below the places already booked.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SessionChangeInput {
    /// `YYYY-MM-DD`
    #[schema(format = Date)]
    pub date: String,
    /// `HH:MM`
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub start: String,
    /// `HH:MM`
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub end: String,
    pub capacity: i64,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

impl SessionChangeInput {
    /// The session as changed: the rest (expert, host, visit type, assignment) as it was.
    pub fn apply(&self, s: &ClinicSession) -> ClinicSessionInput {
        ClinicSessionInput {
            expert_id: s.expert_id.clone(),
            institution_id: s.institution_id.clone(),
            department_id: self.department_id.clone(),
            assignment_id: s.assignment_id.clone(),
            date: self.date.clone(),
            start: self.start.clone(),
            end: self.end.clone(),
            capacity: self.capacity,
            slot_minutes: None,
            visit_type: Some(s.visit_type.code().to_string()),
            note: self.note.clone(),
        }
    }
}

/// Generating an assignment's sessions for a date range.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct GenerateSessionsInput {
    /// `YYYY-MM-DD`; default: the assignment's start.
    #[serde(default)]
    #[schema(format = Date)]
    pub from: Option<String>,
    /// `YYYY-MM-DD`; default: the assignment's end.
    #[serde(default)]
    #[schema(format = Date)]
    pub until: Option<String>,
    /// Weekdays (1–7) for stationed experts; weekly experts use their own.
    #[serde(default)]
    pub weekdays: Vec<i64>,
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub start: String,
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub end: String,
    pub capacity: i64,
    #[serde(default)]
    pub slot_minutes: Option<i64>,
    #[serde(default)]
    #[schema(value_type = Option<VisitType>)]
    pub visit_type: Option<String>,
}

/// The clinic dates an assignment's pattern gives within `[from, until]`: a weekly expert's
/// weekdays; a stationed expert's chosen weekdays; monthly, quarterly and one-off visits on the
/// day of the month the assignment started (or the month's last day when shorter). Remote
/// assignments hold no clinics.
pub fn clinic_dates(
    mode: AssignmentMode,
    own_weekdays: Weekdays,
    chosen_weekdays: Weekdays,
    assignment_start: NaiveDate,
    assignment_end: NaiveDate,
    from: NaiveDate,
    until: NaiveDate,
) -> Result<Vec<NaiveDate>, Invalid> {
    let from = from.max(assignment_start);
    let until = until.min(assignment_end);
    if until < from {
        return Ok(Vec::new());
    }
    if (until - from).num_days() > 3 * 366 {
        return Err(Invalid::new("until", "error.range_too_long"));
    }
    let weekdays = match mode {
        AssignmentMode::Remote => return Err(Invalid::new("mode", "error.remote_has_no_clinics")),
        AssignmentMode::Stationed if chosen_weekdays.is_empty() => {
            return Err(Invalid::new("weekdays", "error.weekdays_required"));
        }
        AssignmentMode::Stationed => chosen_weekdays,
        _ => own_weekdays,
    };
    let presence = Presence::of(mode, weekdays, assignment_start, assignment_end);
    Ok(from
        .iter_days()
        .take_while(|d| *d <= until)
        .filter(|d| presence.covers(*d))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn a_weekly_expert_holds_clinics_on_their_weekdays() {
        let tue_thu = Weekdays::parse(&[2, 4]).unwrap_or_default();
        let dates = clinic_dates(
            AssignmentMode::Weekly,
            tue_thu,
            Weekdays::default(),
            d("2025-03-01"),
            d("2025-03-31"),
            d("2025-03-01"),
            d("2025-03-16"),
        )
        .unwrap_or_default();
        let shown: Vec<String> = dates.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            shown,
            ["2025-03-04", "2025-03-06", "2025-03-11", "2025-03-13"]
        );
    }

    #[test]
    fn monthly_clinics_fall_on_the_starting_day_or_the_months_end() {
        let dates = clinic_dates(
            AssignmentMode::Monthly,
            Weekdays::ALL,
            Weekdays::default(),
            d("2025-01-31"),
            d("2025-04-30"),
            d("2025-01-01"),
            d("2025-12-31"),
        )
        .unwrap_or_default();
        let shown: Vec<String> = dates.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            shown,
            ["2025-01-31", "2025-02-28", "2025-03-31", "2025-04-30"]
        );
    }

    #[test]
    fn copying_a_week_needs_another_week_not_yet_over() {
        let input = |f: &str, t: &str| CopyWeekInput {
            institution_id: crate::ids::new_id(),
            from_week: f.into(),
            to_week: t.into(),
        };
        let today = d("2025-05-07");
        let ok = input("2025-05-08", "2025-05-14").parse(today);
        assert_eq!(ok.as_ref().map(|c| c.from_monday), Ok(d("2025-05-05")));
        assert_eq!(ok.map(|c| c.to_monday), Ok(d("2025-05-12")));
        let same = input("2025-05-05", "2025-05-11").parse(today);
        assert_eq!(same.map_err(|p| p.into_first().key), Err("error.same_week"));
        let past = input("2025-05-05", "2025-04-27").parse(today);
        assert_eq!(
            past.map_err(|p| p.into_first().key),
            Err("error.week_in_past")
        );
        let fields: Vec<String> = CopyWeekInput {
            institution_id: String::new(),
            from_week: "x".into(),
            to_week: "2025-02-30".into(),
        }
        .parse(today)
        .map_err(|p| p.into_iter().map(|i| i.field).collect())
        .err()
        .unwrap_or_default();
        assert_eq!(fields, ["institution_id", "from_week", "to_week"]);
    }

    #[test]
    fn one_rule_decides_open_full_ended_and_cancelled() {
        let at = |s: &str| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap_or_default()
        };
        let state = |now: &str, booked: i64| {
            SessionStatus::of_stored("open", "2025-05-06", "11:30", 15, booked, at(now))
        };
        assert_eq!(state("2025-05-06 08:00", 3), SessionStatus::Open);
        assert_eq!(state("2025-05-06 08:00", 15), SessionStatus::Full);
        assert_eq!(state("2025-05-06 11:29", 3), SessionStatus::Open);
        assert_eq!(state("2025-05-06 11:30", 3), SessionStatus::Ended);
        assert_eq!(state("2025-05-06 13:44", 15), SessionStatus::Ended);
        assert_eq!(state("2025-05-07 08:00", 0), SessionStatus::Ended);
        assert_eq!(
            SessionStatus::of_stored(
                "cancelled",
                "2025-05-06",
                "11:30",
                15,
                0,
                at("2025-05-01 08:00")
            ),
            SessionStatus::Cancelled
        );
        assert!(SessionStatus::Full.takes_bookings());
        assert_eq!(SessionStatus::Ended.refusal(), Some("error.session_ended"));
    }

    #[test]
    fn sessions_need_a_sensible_window_and_capacity() {
        let id = crate::ids::new_id();
        let mut input = ClinicSessionInput {
            expert_id: id.clone(),
            institution_id: id,
            department_id: None,
            assignment_id: None,
            date: "2025-05-06".into(),
            start: "08:30".into(),
            end: "11:30".into(),
            capacity: 30,
            slot_minutes: None,
            visit_type: None,
            note: None,
        };
        assert_eq!(input.parse().map(|s| s.slot_minutes), Ok(6));
        input.capacity = 0;
        assert_eq!(
            input.parse().map_err(|e| e.into_first().key),
            Err("error.capacity_range")
        );
        input.capacity = 10;
        input.end = "08:00".into();
        assert_eq!(
            input.parse().map_err(|e| e.into_first().key),
            Err("error.end_before_start")
        );
        input.end = "8点".into();
        assert_eq!(
            input.parse().map_err(|e| e.into_first().field),
            Err("end".to_string())
        );
        // Every problem at once, each at its field.
        input.capacity = 0;
        input.date = "2025-02-30".into();
        let fields: Vec<String> = input
            .parse()
            .map_err(|p| p.into_iter().map(|i| i.field).collect())
            .err()
            .unwrap_or_default();
        assert_eq!(fields, ["end", "capacity", "date"]);
        assert!(
            clinic_dates(
                AssignmentMode::Remote,
                Weekdays::ALL,
                Weekdays::ALL,
                d("2025-01-01"),
                d("2025-01-02"),
                d("2025-01-01"),
                d("2025-01-02")
            )
            .is_err()
        );
    }
}
