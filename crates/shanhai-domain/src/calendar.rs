//! Calendar feeds: an expert's schedule, or the visiting-expert sessions a hospital hosts, as an
//! iCalendar document (RFC 5545) a phone's calendar subscribes to. The events are written here
//! from the records; no patient appears in any of them (a session shows its booking count only).
//!
//! The serializer is our own and small: the feeds use a handful of properties, and the rules
//! that matter (CRLF, folding at 75 octets without splitting a character, TEXT escaping) are
//! tested below.

use crate::Lang;
use crate::clinic_sessions::{ClinicSession, SessionStatus};
use crate::codes::Title;
use crate::consultations::{ConsultationState, ConsultationType};
use crate::dispatch::Assignment;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};

code_enum! {
    /// Whose schedule a calendar feed carries.
    CalendarFeedKind {
        Expert => "expert", "专家出诊日程", "An expert's schedule";
        Institution => "institution", "医院外来专家出诊", "A hospital's visiting-expert sessions";
    }
}

/// A new feed as the API and the page send it.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct CalendarFeedInput {
    /// `expert`: the caller's own schedule; `institution`: a hospital's visiting-expert sessions.
    #[schema(value_type = CalendarFeedKind)]
    pub kind: String,
    /// The hospital of an `institution` feed; default: the caller's own.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub institution_id: Option<String>,
}

/// A new feed, checked: its kind, and the hospital of an `institution` feed when one was named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCalendarFeed {
    pub kind: CalendarFeedKind,
    pub institution_id: Option<String>,
}

impl CalendarFeedInput {
    pub fn parse(&self) -> Result<NewCalendarFeed, crate::Invalid> {
        let kind = crate::validate::code("kind", &self.kind, CalendarFeedKind::parse)?;
        let institution_id = match kind {
            CalendarFeedKind::Expert => None,
            CalendarFeedKind::Institution => crate::validate::optional_reference(
                "institution_id",
                self.institution_id.as_deref(),
            )?,
        };
        Ok(NewCalendarFeed {
            kind,
            institution_id,
        })
    }
}

/// The zone every time in a feed is given in.
pub const TIME_ZONE: &str = "Asia/Shanghai";

/// The days a feed covers: from 90 days before `today` to 365 days after, inclusive.
pub fn window(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    (today - Duration::days(90), today + Duration::days(365))
}

/// When an event happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    /// Whole days, `first` to `last` inclusive.
    Days { first: NaiveDate, last: NaiveDate },
    /// Local time in [`TIME_ZONE`].
    Timed {
        start: NaiveDateTime,
        end: NaiveDateTime,
    },
}

impl When {
    fn sort_key(&self) -> NaiveDateTime {
        match self {
            When::Days { first, .. } => first.and_time(NaiveTime::MIN),
            When::Timed { start, .. } => *start,
        }
    }
}

/// One VEVENT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Stable across fetches: `<record-kind>-<id>@shanhai`.
    pub uid: String,
    pub when: When,
    pub summary: String,
    pub location: Option<String>,
    pub description: Option<String>,
    pub cancelled: bool,
}

/// A whole feed: its name as calendars show it, and its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pub name: String,
    pub events: Vec<Event>,
}

/// A consultation with a time set, as a feed shows it: the hospitals, never the patient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledConsultation {
    pub id: String,
    pub kind: ConsultationType,
    pub state: ConsultationState,
    /// Local time, `YYYY-MM-DDTHH:MM`.
    pub scheduled_at: String,
    pub requesting_institution_name: Option<String>,
    pub target_institution_name: Option<String>,
}

/// How long a consultation is shown to last: its record has a start only.
pub const CONSULTATION_LENGTH: Duration = Duration::hours(1);

fn uid(kind: &str, id: &str) -> String {
    format!("{kind}-{id}@shanhai")
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn at(day: NaiveDate, hh_mm: &str) -> Option<NaiveDateTime> {
    NaiveTime::parse_from_str(hh_mm, "%H:%M")
        .ok()
        .map(|t| day.and_time(t))
}

fn joined(parts: &[Option<&str>], sep: &str) -> String {
    parts
        .iter()
        .flatten()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(sep)
}

/// An assignment (派驻) as whole days at the recipient hospital.
pub fn assignment_event(a: &Assignment) -> Option<Event> {
    let (first, last) = (date(&a.start_date)?, date(&a.end_date)?);
    let place = joined(
        &[a.institution_name.as_deref(), a.department_name.as_deref()],
        " ",
    );
    let mut description = vec![
        format!("派驻方式：{}", a.mode.label(Lang::Zh)),
        format!("岗位：{}", a.post.label(Lang::Zh)),
    ];
    if let Ok(days) = crate::dispatch::Weekdays::parse(&a.weekdays)
        && !days.is_empty()
    {
        description.push(format!("出诊日：{}", days.label(Lang::Zh)));
    }
    if let Some(n) = a.batch_number {
        description.push(format!("批次：第{n}批"));
    }
    Some(Event {
        uid: uid("assignment", &a.id),
        when: When::Days { first, last },
        summary: format!("{}·{}", a.mode.label(Lang::Zh), place),
        location: Some(place).filter(|p| !p.is_empty()),
        description: Some(description.join("\n")),
        cancelled: false,
    })
}

/// Whose view of a clinic session a feed gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionView {
    /// The expert's own: where the clinic is.
    Expert,
    /// The host's: who holds it, by name and title.
    Host,
}

/// A clinic session (出诊) at its local time; a cancelled one (停诊) as cancelled.
pub fn session_event(s: &ClinicSession, view: SessionView) -> Option<Event> {
    let day = date(&s.date)?;
    let (start, end) = (at(day, &s.start)?, at(day, &s.end)?);
    let cancelled = s.status == SessionStatus::Cancelled;
    let place = joined(
        &[s.institution_name.as_deref(), s.department_name.as_deref()],
        " ",
    );
    let visit = s.visit_type.label(Lang::Zh);
    let what = match view {
        SessionView::Expert => format!("出诊·{visit}·{place}"),
        SessionView::Host => {
            let title = s
                .expert_title
                .as_deref()
                .and_then(Title::parse)
                .map(|t| t.label(Lang::Zh));
            let who = joined(&[s.expert_name.as_deref(), title], " ");
            let dept = s.department_name.as_deref().unwrap_or_default();
            joined(&[Some(&who), Some(visit), Some(dept)], "·")
        }
    };
    let mut description = vec![format!("号源：{}，已预约：{}", s.capacity, s.booked)];
    if let Some(home) = s.home_institution_name.as_deref() {
        description.push(format!("派出医院：{home}"));
    }
    if cancelled {
        description.push("本次出诊已停诊".to_string());
    }
    Some(Event {
        uid: uid("clinic-session", &s.id),
        when: When::Timed { start, end },
        summary: if cancelled {
            format!("【停诊】{what}")
        } else {
            what
        },
        location: Some(place).filter(|p| !p.is_empty()),
        description: Some(description.join("\n")),
        cancelled,
    })
}

/// A scheduled remote consultation (远程会诊), an hour from its time; the requesting hospital
/// and the type, never the patient.
pub fn consultation_event(c: &ScheduledConsultation) -> Option<Event> {
    let start = NaiveDateTime::parse_from_str(&c.scheduled_at, "%Y-%m-%dT%H:%M").ok()?;
    let from = c.requesting_institution_name.as_deref().unwrap_or_default();
    let mut description = vec![format!("申请医院：{from}")];
    if let Some(to) = c.target_institution_name.as_deref() {
        description.push(format!("受邀医院：{to}"));
    }
    description.push(format!("状态：{}", c.state.label(Lang::Zh)));
    Some(Event {
        uid: uid("consultation", &c.id),
        when: When::Timed {
            start,
            end: start + CONSULTATION_LENGTH,
        },
        summary: format!("远程会诊·{}·{from}", c.kind.label(Lang::Zh)),
        location: Some("远程会诊".to_string()),
        description: Some(description.join("\n")),
        cancelled: c.state == ConsultationState::Cancelled,
    })
}

/// A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and line breaks escaped.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The longest a physical line may be, in octets, without its CRLF (RFC 5545 §3.1).
const LINE_OCTETS: usize = 75;

/// A content line folded (RFC 5545 §3.1): physical lines of at most 75 octets, each
/// continuation starting with a space, never splitting a UTF-8 character; CRLF after each.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / LINE_OCTETS * 3 + 2);
    let mut used = 0;
    for c in line.chars() {
        if used + c.len_utf8() > LINE_OCTETS {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

fn local(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

fn day(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

impl Calendar {
    /// The document, stamped `now`: events in time order, times in [`TIME_ZONE`].
    pub fn to_ics(&self, now: DateTime<Utc>) -> String {
        let mut lines: Vec<String> = vec![
            "BEGIN:VCALENDAR".into(),
            "VERSION:2.0".into(),
            "PRODID:-//Shanhai//Calendar feeds//ZH".into(),
            "CALSCALE:GREGORIAN".into(),
            "METHOD:PUBLISH".into(),
            format!("X-WR-CALNAME:{}", escape_text(&self.name)),
            format!("X-WR-TIMEZONE:{TIME_ZONE}"),
            "REFRESH-INTERVAL;VALUE=DURATION:PT1H".into(),
            "X-PUBLISHED-TTL:PT1H".into(),
            // China has kept +08:00 all year since 1991: one standard observance, no DST.
            "BEGIN:VTIMEZONE".into(),
            format!("TZID:{TIME_ZONE}"),
            "BEGIN:STANDARD".into(),
            "DTSTART:19910915T000000".into(),
            "TZOFFSETFROM:+0800".into(),
            "TZOFFSETTO:+0800".into(),
            "TZNAME:CST".into(),
            "END:STANDARD".into(),
            "END:VTIMEZONE".into(),
        ];
        let mut events: Vec<&Event> = self.events.iter().collect();
        events.sort_by(|a, b| (a.when.sort_key(), &a.uid).cmp(&(b.when.sort_key(), &b.uid)));
        for e in events {
            lines.push("BEGIN:VEVENT".into());
            lines.push(format!("UID:{}", e.uid));
            lines.push(format!("DTSTAMP:{}", stamp(now)));
            match e.when {
                When::Days { first, last } => {
                    lines.push(format!("DTSTART;VALUE=DATE:{}", day(first)));
                    // DTEND of a date is exclusive: the day after the last.
                    lines.push(format!(
                        "DTEND;VALUE=DATE:{}",
                        day(last + Duration::days(1))
                    ));
                    lines.push("TRANSP:TRANSPARENT".into());
                }
                When::Timed { start, end } => {
                    lines.push(format!("DTSTART;TZID={TIME_ZONE}:{}", local(start)));
                    lines.push(format!("DTEND;TZID={TIME_ZONE}:{}", local(end.max(start))));
                }
            }
            lines.push(format!("SUMMARY:{}", escape_text(&e.summary)));
            if let Some(l) = &e.location {
                lines.push(format!("LOCATION:{}", escape_text(l)));
            }
            if let Some(d) = &e.description {
                lines.push(format!("DESCRIPTION:{}", escape_text(d)));
            }
            lines.push(
                if e.cancelled {
                    "STATUS:CANCELLED"
                } else {
                    "STATUS:CONFIRMED"
                }
                .into(),
            );
            lines.push("END:VEVENT".into());
        }
        lines.push("END:VCALENDAR".into());
        lines.iter().map(|l| fold(l)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unfold(folded: &str) -> String {
        folded.replace("\r\n ", "")
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_a_character() {
        let line = format!(
            "SUMMARY:{}",
            "内蒙古自治区包头市中心医院心血管内科".repeat(5)
        );
        let folded = fold(&line);
        assert!(folded.ends_with("\r\n"));
        let physical: Vec<&str> = folded.trim_end_matches("\r\n").split("\r\n").collect();
        assert!(physical.len() > 1, "{folded}");
        for (i, p) in physical.iter().enumerate() {
            assert!(p.len() <= 75, "line {i} has {} octets", p.len());
            if i > 0 {
                assert!(p.starts_with(' '));
            }
        }
        assert_eq!(unfold(&folded), format!("{line}\r\n"));
    }

    #[test]
    fn a_line_of_exactly_75_octets_is_not_folded() {
        let line = "X".repeat(75);
        assert_eq!(fold(&line), format!("{line}\r\n"));
        assert_eq!(
            fold(&"X".repeat(76)),
            format!("{}\r\n X\r\n", "X".repeat(75))
        );
    }

    #[test]
    fn text_values_escape_separators_and_line_breaks() {
        assert_eq!(
            escape_text("a,b;c\\d\ne\r\nf"),
            "a\\,b\\;c\\\\d\\ne\\nf".to_string()
        );
        assert_eq!(escape_text("包头：心内科"), "包头：心内科");
    }

    fn event(when: When, cancelled: bool) -> Event {
        Event {
            uid: "clinic-session-1@shanhai".into(),
            when,
            summary: "出诊, 心内科".into(),
            location: None,
            description: None,
            cancelled,
        }
    }

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap_or_default()
    }

    #[test]
    fn a_calendar_has_crlf_lines_a_time_zone_and_its_events() {
        let d = |s: &str| date(s).unwrap_or_default();
        let cal = Calendar {
            name: "我的出诊日程".into(),
            events: vec![
                event(
                    When::Timed {
                        start: dt("2026-03-02T08:30"),
                        end: dt("2026-03-02T11:30"),
                    },
                    true,
                ),
                event(
                    When::Days {
                        first: d("2026-03-01"),
                        last: d("2026-03-31"),
                    },
                    false,
                ),
            ],
        };
        let now = DateTime::parse_from_rfc3339("2026-02-01T01:02:03Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let ics = cal.to_ics(now);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(!ics.replace("\r\n", "").contains('\n'));
        for needle in [
            "METHOD:PUBLISH",
            "CALSCALE:GREGORIAN",
            "X-WR-CALNAME:我的出诊日程",
            "TZID:Asia/Shanghai",
            "TZOFFSETFROM:+0800",
            "TZOFFSETTO:+0800",
            "DTSTAMP:20260201T010203Z",
            "DTSTART;VALUE=DATE:20260301",
            "DTEND;VALUE=DATE:20260401",
            "DTSTART;TZID=Asia/Shanghai:20260302T083000",
            "DTEND;TZID=Asia/Shanghai:20260302T113000",
            "STATUS:CANCELLED",
            "STATUS:CONFIRMED",
            "SUMMARY:出诊\\, 心内科",
        ] {
            assert!(ics.contains(&format!("{needle}\r\n")), "{needle} in\n{ics}");
        }
        // The all-day span starts first.
        let span = ics.find("VALUE=DATE:20260301").unwrap_or(usize::MAX);
        let timed = ics.find("20260302T083000").unwrap_or(0);
        assert!(span < timed);
    }

    #[test]
    fn the_window_runs_from_90_days_back_to_365_ahead() {
        let today = date("2026-01-01").unwrap_or_default();
        let (from, until) = window(today);
        assert_eq!(from.to_string(), "2025-10-03");
        assert_eq!(until.to_string(), "2027-01-01");
    }

    #[test]
    fn a_consultation_lasts_an_hour_and_names_no_patient() {
        let c = ScheduledConsultation {
            id: "c1".into(),
            kind: ConsultationType::Mdt,
            state: ConsultationState::Scheduled,
            scheduled_at: "2026-03-02T14:00".into(),
            requesting_institution_name: Some("包头市中心医院".into()),
            target_institution_name: Some("瑞金医院".into()),
        };
        let e = consultation_event(&c).map(|e| (e.when, e.uid, e.summary));
        assert_eq!(
            e,
            Some((
                When::Timed {
                    start: dt("2026-03-02T14:00"),
                    end: dt("2026-03-02T15:00")
                },
                "consultation-c1@shanhai".to_string(),
                "远程会诊·多学科MDT·包头市中心医院".to_string()
            ))
        );
    }
}
