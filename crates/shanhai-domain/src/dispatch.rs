//! Expert dispatch (C2): schemes, batches (批次) and assignments of a person to a recipient for a
//! period, with a mode and a post. A person cannot be in two places on the same day, and an
//! assignment lies inside its batch.

use crate::validate::{self, code, optional_reference, reference, text};
use crate::{Invalid, Lang, Problems};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

code_enum! {
    /// How an expert serves the recipient.
    AssignmentMode {
        Stationed => "stationed", "常驻", "Stationed";
        Weekly => "weekly", "候鸟（每周固定日）", "Weekly on fixed weekdays";
        Monthly => "monthly", "每月出诊", "Monthly clinic";
        Quarterly => "quarterly", "季度巡诊", "Quarterly visit";
        OneOff => "one-off", "单次下沉", "One-off visit";
        Remote => "remote", "远程", "Remote";
    }
}

code_enum! {
    /// The post an expert holds at the recipient.
    Post {
        ActingPresident => "acting-president", "挂职院长", "Acting president";
        ExecutiveDirector => "executive-director", "执行主任", "Executive director";
        DualHeadDonor => "dual-head-donor", "双主任（支援方）", "Dual head (donor side)";
        DualHeadLocal => "dual-head-local", "双主任（受援方）", "Dual head (local side)";
        DepartmentHead => "department-head", "科主任", "Head of department";
        TeamLeader => "team-leader", "队长", "Team leader";
        TeamMember => "team-member", "队员", "Team member";
    }
}

impl AssignmentMode {
    /// Whether the expert is physically at the recipient on the days the assignment covers.
    pub fn on_site(self) -> bool {
        self != AssignmentMode::Remote
    }
}

/// ISO weekdays 1 (Monday) … 7 (Sunday) as a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Weekdays(u8);

impl Weekdays {
    pub const ALL: Weekdays = Weekdays(0b111_1111);

    pub fn parse(days: &[i64]) -> Result<Weekdays, Invalid> {
        let mut bits = 0u8;
        for d in days {
            if !(1..=7).contains(d) {
                return Err(Invalid::new("weekdays", "error.weekday_range"));
            }
            bits |= 1 << (d - 1);
        }
        Ok(Weekdays(bits))
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        self.0 & (1 << date.weekday().number_from_monday().saturating_sub(1)) != 0
    }

    pub fn intersects(self, other: Weekdays) -> bool {
        self.0 & other.0 != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn to_vec(self) -> Vec<i64> {
        (1..=7).filter(|d| self.0 & (1 << (d - 1)) != 0).collect()
    }

    pub fn label(self, lang: Lang) -> String {
        const ZH: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
        const EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let names = match lang {
            Lang::Zh => ZH,
            Lang::En => EN,
        };
        let sep = match lang {
            Lang::Zh => "、",
            Lang::En => ", ",
        };
        self.to_vec()
            .iter()
            .map(|d| names[(*d - 1) as usize])
            .collect::<Vec<_>>()
            .join(sep)
    }
}

/// The days an assignment keeps a person at one place: every day of the period on its weekdays,
/// or — for monthly and quarterly clinics — one day every `every_months` months, on the day of
/// the month the period starts (the month's last day when it is shorter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presence {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub weekdays: Weekdays,
    pub every_months: Option<u32>,
    pub on_site: bool,
}

fn last_day_of_month(date: NaiveDate) -> u32 {
    date.with_day(1)
        .and_then(|first| first.checked_add_months(chrono::Months::new(1)))
        .and_then(|next| next.pred_opt())
        .map_or(28, |last| last.day())
}

impl Presence {
    pub fn of(
        mode: AssignmentMode,
        weekdays: Weekdays,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Presence {
        let every_months = match mode {
            AssignmentMode::Monthly => Some(1),
            AssignmentMode::Quarterly => Some(3),
            _ => None,
        };
        Presence {
            start,
            end,
            weekdays,
            every_months,
            on_site: mode.on_site(),
        }
    }

    pub fn covers(&self, date: NaiveDate) -> bool {
        if !self.on_site || date < self.start || date > self.end || !self.weekdays.contains(date) {
            return false;
        }
        match self.every_months {
            None => true,
            Some(n) => {
                let months = (date.year() - self.start.year()) * 12 + date.month() as i32
                    - self.start.month() as i32;
                months % n.max(1) as i32 == 0
                    && date.day() == self.start.day().min(last_day_of_month(date))
            }
        }
    }

    /// Whether both keep the person somewhere on at least one common day.
    pub fn clashes_with(&self, other: &Presence) -> bool {
        if !self.on_site || !other.on_site || self.end < other.start || other.end < self.start {
            return false;
        }
        if !self.weekdays.intersects(other.weekdays) {
            return false;
        }
        let from = self.start.max(other.start);
        let to = self.end.min(other.end);
        // Weekday patterns repeat every week; a monthly day can take years to meet another.
        let horizon = if self.every_months.is_none() && other.every_months.is_none() {
            7
        } else {
            4 * 366
        };
        from.iter_days()
            .take_while(|d| *d <= to)
            .take(horizon)
            .any(|d| self.covers(d) && other.covers(d))
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SchemeInput {
    #[schema(format = Uuid)]
    pub program_id: String,
    /// e.g. 柔性援疆, 中组部援疆, 名医行, 公卫小组团
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewScheme {
    pub program_id: String,
    pub name: String,
    pub description: Option<String>,
}

impl SchemeInput {
    /// The scheme described, or every problem of the input, each at its field.
    pub fn parse(&self) -> Result<NewScheme, Problems> {
        crate::every! {
            program_id = reference("program_id", &self.program_id),
            name = text("name", &self.name, 60),
            description =
                validate::optional_text("description", self.description.as_deref(), 2000),
        }
        Ok(NewScheme {
            program_id,
            name,
            description,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Scheme {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: String,
    pub name: String,
    pub description: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct BatchInput {
    #[schema(format = Uuid)]
    pub program_id: String,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub scheme_id: Option<String>,
    /// The pairing the batch serves, when it serves one.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub pairing_id: Option<String>,
    /// Batch number within the program (第 N 批).
    pub number: i64,
    #[serde(default)]
    pub name: Option<String>,
    #[schema(format = Date)]
    pub start_date: String,
    #[schema(format = Date)]
    pub end_date: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewBatch {
    pub program_id: String,
    pub scheme_id: Option<String>,
    pub pairing_id: Option<String>,
    pub number: i64,
    pub name: Option<String>,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
}

impl BatchInput {
    /// The batch described, or every problem of the input, each at its field.
    pub fn parse(&self) -> Result<NewBatch, Problems> {
        let mut problems = Problems::new();
        let start = problems.take(validate::date("start_date", &self.start_date));
        let end = problems.take(validate::date("end_date", &self.end_date));
        // The order of the dates is a problem of its own, told with the others.
        if let (Some(s), Some(e)) = (start, end) {
            problems.take(validate::period(s, Some(e)));
        }
        let number = problems.take(if (1..=10_000).contains(&self.number) {
            Ok(self.number)
        } else {
            Err(Invalid::new("number", "error.batch_number_range"))
        });
        let program_id = problems.take(reference("program_id", &self.program_id));
        let scheme_id = problems.take(optional_reference("scheme_id", self.scheme_id.as_deref()));
        let pairing_id =
            problems.take(optional_reference("pairing_id", self.pairing_id.as_deref()));
        let name = problems.take(validate::optional_text("name", self.name.as_deref(), 100));
        let (
            Some(start_date),
            Some(end_date),
            Some(number),
            Some(program_id),
            Some(scheme_id),
            Some(pairing_id),
            Some(name),
        ) = (start, end, number, program_id, scheme_id, pairing_id, name)
        else {
            return Err(problems);
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(NewBatch {
            program_id,
            scheme_id,
            pairing_id,
            number,
            name,
            start_date,
            end_date,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Batch {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: String,
    #[schema(format = Uuid)]
    pub scheme_id: Option<String>,
    pub scheme_name: Option<String>,
    #[schema(format = Uuid)]
    pub pairing_id: Option<String>,
    pub number: i64,
    pub name: Option<String>,
    #[schema(format = Date)]
    pub start_date: String,
    #[schema(format = Date)]
    pub end_date: String,
    pub assignment_count: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AssignmentInput {
    #[schema(format = Uuid)]
    pub batch_id: String,
    #[schema(format = Uuid)]
    pub person_id: String,
    /// The recipient institution.
    #[schema(format = Uuid)]
    pub institution_id: String,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    #[schema(value_type = AssignmentMode)]
    pub mode: String,
    #[schema(value_type = Post)]
    pub post: String,
    /// ISO weekdays (1 = Monday … 7 = Sunday) for `weekly` assignments.
    #[serde(default)]
    pub weekdays: Vec<i64>,
    #[schema(format = Date)]
    pub start_date: String,
    #[schema(format = Date)]
    pub end_date: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAssignment {
    pub batch_id: String,
    pub person_id: String,
    pub institution_id: String,
    pub department_id: Option<String>,
    pub mode: AssignmentMode,
    pub post: Post,
    pub weekdays: Weekdays,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
}

impl AssignmentInput {
    /// The assignment described, or every problem of the input, each at its field.
    pub fn parse(&self) -> Result<NewAssignment, Problems> {
        crate::every! {
            mode = code("mode", &self.mode, AssignmentMode::parse),
            start_date = validate::date("start_date", &self.start_date),
            end_date = validate::date("end_date", &self.end_date),
            batch_id = reference("batch_id", &self.batch_id),
            person_id = reference("person_id", &self.person_id),
            institution_id = reference("institution_id", &self.institution_id),
            department_id = optional_reference("department_id", self.department_id.as_deref()),
            post = code("post", &self.post, Post::parse),
        }
        crate::every! {
            weekdays = match mode {
                AssignmentMode::Weekly => Weekdays::parse(&self.weekdays).and_then(|w| {
                    if w.is_empty() {
                        Err(Invalid::new("weekdays", "error.weekdays_required"))
                    } else {
                        Ok(w)
                    }
                }),
                _ => Ok(Weekdays::ALL),
            },
            _ordered = validate::period(start_date, Some(end_date)),
        }
        Ok(NewAssignment {
            batch_id,
            person_id,
            institution_id,
            department_id,
            mode,
            post,
            weekdays,
            start_date,
            end_date,
        })
    }
}

impl NewAssignment {
    pub fn presence(&self) -> Presence {
        Presence::of(self.mode, self.weekdays, self.start_date, self.end_date)
    }

    /// The assignment must lie inside its batch's period.
    pub fn check_within(
        &self,
        batch_start: NaiveDate,
        batch_end: NaiveDate,
    ) -> Result<(), Invalid> {
        if self.start_date < batch_start || self.end_date > batch_end {
            return Err(Invalid::new("start_date", "error.assignment_outside_batch"));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Assignment {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub batch_id: String,
    pub batch_number: Option<i64>,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub person_id: String,
    pub person_name: Option<String>,
    pub person_title: Option<String>,
    pub home_institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    pub department_name: Option<String>,
    pub mode: AssignmentMode,
    pub post: Post,
    pub weekdays: Vec<i64>,
    #[schema(format = Date)]
    pub start_date: String,
    #[schema(format = Date)]
    pub end_date: String,
    /// Days recorded as served (checked in or confirmed).
    pub days_served: i64,
    /// Days served a coordinator has confirmed.
    pub days_confirmed: i64,
    /// Days of leave recorded.
    pub leave_days: i64,
    /// The end first planned, when the assignment was ended early.
    #[schema(format = Date)]
    pub planned_end_date: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl Assignment {
    pub fn presence(&self) -> Option<Presence> {
        Some(Presence::of(
            self.mode,
            Weekdays::parse(&self.weekdays).ok()?,
            NaiveDate::parse_from_str(&self.start_date, "%Y-%m-%d").ok()?,
            NaiveDate::parse_from_str(&self.end_date, "%Y-%m-%d").ok()?,
        ))
    }
}

code_enum! {
    /// What a day of an assignment was, as a coordinator confirms or corrects it.
    DayMark {
        Served => "served", "在岗", "On duty";
        Leave => "leave", "请假", "On leave";
        Absent => "absent", "未到岗", "Not on site";
    }
}

/// A copy of a batch: the same program, scheme, pairing and assignments, from a new start date
/// (every assignment moves by the same number of days).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CopyBatchInput {
    /// The new batch's number within the program (第 N 批).
    pub number: i64,
    #[serde(default)]
    pub name: Option<String>,
    /// The new batch's first day (`YYYY-MM-DD`).
    #[schema(format = Date)]
    pub start_date: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BatchCopy {
    pub number: i64,
    pub name: Option<String>,
    pub start_date: NaiveDate,
}

impl CopyBatchInput {
    /// The copy described, or every problem of the input, each at its field.
    pub fn parse(&self) -> Result<BatchCopy, Problems> {
        crate::every! {
            number = if (1..=10_000).contains(&self.number) {
                Ok(self.number)
            } else {
                Err(Invalid::new("number", "error.batch_number_range"))
            },
            name = validate::optional_text("name", self.name.as_deref(), 100),
            start_date = validate::date("start_date", &self.start_date),
        }
        Ok(BatchCopy {
            number,
            name,
            start_date,
        })
    }
}

/// Ends an assignment before its planned end: the expert's last day at the recipient.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct EndAssignmentInput {
    /// The last day (`YYYY-MM-DD`), not after the planned end.
    #[schema(format = Date)]
    pub end_date: String,
}

/// Days of leave on an assignment, from one day to another (both included).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct LeaveInput {
    /// The first day of leave (`YYYY-MM-DD`).
    #[schema(format = Date)]
    pub from: String,
    /// The last day of leave (default: the first).
    #[serde(default)]
    #[schema(format = Date)]
    pub until: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewLeave {
    pub from: NaiveDate,
    pub until: NaiveDate,
    pub note: Option<String>,
}

impl LeaveInput {
    /// The leave described, or every problem of the input, each at its field.
    pub fn parse(&self) -> Result<NewLeave, Problems> {
        crate::every! {
            from = validate::date("from", &self.from),
            until = validate::optional_date("until", self.until.as_deref()),
            note = validate::optional_text("note", self.note.as_deref(), 200),
        }
        let until = until.unwrap_or(from);
        if until < from {
            return Err(Invalid::new("until", "error.end_before_start").into());
        }
        if (until - from).num_days() >= 366 {
            return Err(Invalid::new("until", "error.leave_too_long").into());
        }
        Ok(NewLeave { from, until, note })
    }
}

/// One cell of the week grid: what an assignment's day was.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct WeekEntry {
    #[schema(format = Uuid)]
    pub assignment_id: String,
    /// `YYYY-MM-DD`
    #[schema(format = Date)]
    pub day: String,
    #[schema(value_type = DayMark)]
    pub mark: String,
}

/// A week (or any set of days) of assignments confirmed or corrected at once: each day served
/// is recorded and confirmed, each day of leave recorded as leave, each day not on site cleared.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct WeekInput {
    pub entries: Vec<WeekEntry>,
}

/// The most cells one confirmation may carry (a week of 500 assignments).
pub const MAX_WEEK_ENTRIES: usize = 3_500;

#[derive(Debug, Clone, PartialEq)]
pub struct DayEntry {
    pub assignment_id: String,
    pub day: NaiveDate,
    pub mark: DayMark,
}

impl WeekInput {
    /// The cells described, or every problem of the input, each at its field
    /// (`entries[3].day`).
    pub fn parse(&self) -> Result<Vec<DayEntry>, Problems> {
        if self.entries.is_empty() {
            return Err(Invalid::new("entries", "error.entries_required").into());
        }
        if self.entries.len() > MAX_WEEK_ENTRIES {
            return Err(Invalid::new("entries", "error.too_many_entries").into());
        }
        let mut problems = Problems::new();
        let mut out = Vec::with_capacity(self.entries.len());
        for (i, e) in self.entries.iter().enumerate() {
            let id = problems.take(
                reference("assignment_id", &e.assignment_id)
                    .map_err(|p| Invalid::new(format!("entries[{i}].assignment_id"), p.key)),
            );
            let day = problems.take(
                validate::date("day", &e.day)
                    .map_err(|p| Invalid::new(format!("entries[{i}].day"), p.key)),
            );
            let mark =
                problems.take(DayMark::parse(&e.mark).ok_or_else(|| {
                    Invalid::new(format!("entries[{i}].mark"), "error.unknown_code")
                }));
            if let (Some(assignment_id), Some(day), Some(mark)) = (id, day, mark) {
                out.push(DayEntry {
                    assignment_id,
                    day,
                    mark,
                });
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(out)
    }
}

/// Monday of the ISO week containing `date`.
pub fn week_start(date: NaiveDate) -> NaiveDate {
    date - chrono::Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    fn presence(start: &str, end: &str, days: &[i64], on_site: bool) -> Presence {
        let mode = if on_site {
            AssignmentMode::Stationed
        } else {
            AssignmentMode::Remote
        };
        Presence::of(
            mode,
            Weekdays::parse(days).unwrap_or_default(),
            d(start),
            d(end),
        )
    }

    #[test]
    fn weekly_experts_on_different_days_do_not_clash() {
        let tue_thu = presence("2025-01-01", "2025-06-30", &[2, 3, 4], true);
        let fri = presence("2025-01-01", "2025-06-30", &[5], true);
        let wed = presence("2025-03-01", "2025-03-31", &[3], true);
        assert!(!tue_thu.clashes_with(&fri));
        assert!(tue_thu.clashes_with(&wed));
        let remote = presence("2025-01-01", "2025-06-30", &[1, 2, 3, 4, 5, 6, 7], false);
        assert!(!tue_thu.clashes_with(&remote));
    }

    #[test]
    fn a_short_overlap_clashes_only_if_a_shared_weekday_falls_in_it() {
        // 2025-01-04 is a Saturday, 2025-01-05 a Sunday.
        let sat_sun = presence("2025-01-04", "2025-01-05", &[1, 2, 3, 4, 5, 6, 7], true);
        let weekdays = presence("2025-01-01", "2025-01-31", &[1, 2, 3, 4, 5], true);
        assert!(!sat_sun.clashes_with(&weekdays));
    }

    #[test]
    fn an_assignment_lies_inside_its_batch_and_weekly_needs_days() {
        let id = crate::ids::new_id();
        let mut input = AssignmentInput {
            batch_id: id.clone(),
            person_id: id.clone(),
            institution_id: id,
            department_id: None,
            mode: "weekly".into(),
            post: "team-member".into(),
            weekdays: vec![],
            start_date: "2025-01-01".into(),
            end_date: "2025-12-31".into(),
        };
        assert_eq!(
            input.parse().map_err(|e| e.into_first().key),
            Err("error.weekdays_required")
        );
        input.weekdays = vec![2, 3, 4];
        let a = input.parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(a.check_within(d("2025-01-01"), d("2025-12-31")).is_ok());
        assert!(a.check_within(d("2025-02-01"), d("2025-12-31")).is_err());
        assert_eq!(a.weekdays.label(Lang::Zh), "周二、周三、周四");
    }

    #[test]
    fn a_monthly_expert_is_only_on_site_on_their_clinic_day() {
        let monthly = Presence::of(
            AssignmentMode::Monthly,
            Weekdays::ALL,
            d("2025-01-31"),
            d("2025-12-31"),
        );
        assert!(monthly.covers(d("2025-02-28")));
        assert!(!monthly.covers(d("2025-02-27")));
        let stationed_in_between =
            presence("2025-02-01", "2025-02-27", &[1, 2, 3, 4, 5, 6, 7], true);
        assert!(!monthly.clashes_with(&stationed_in_between));
        let quarterly = Presence::of(
            AssignmentMode::Quarterly,
            Weekdays::ALL,
            d("2025-01-15"),
            d("2025-12-31"),
        );
        assert!(quarterly.covers(d("2025-04-15")) && !quarterly.covers(d("2025-02-15")));
        assert!(quarterly.clashes_with(&presence(
            "2025-04-15",
            "2025-04-15",
            &[1, 2, 3, 4, 5, 6, 7],
            true
        )));
    }

    fn arb_presence() -> impl Strategy<Value = Presence> {
        let every = prop::sample::select(vec![None, Some(1u32), Some(3)]);
        (0i64..60, 0i64..100, 1u8..128, any::<bool>(), every).prop_map(
            |(a, len, bits, on_site, every_months)| {
                let start = d("2025-01-01") + chrono::Duration::days(a);
                Presence {
                    start,
                    end: start + chrono::Duration::days(len),
                    weekdays: Weekdays(bits),
                    every_months,
                    on_site,
                }
            },
        )
    }

    proptest! {
        /// A clash is exactly a shared day on which both keep the person somewhere.
        #[test]
        fn clashes_are_exactly_shared_days(a in arb_presence(), b in arb_presence()) {
            let shared = d("2025-01-01").iter_days().take(170).any(|day| a.covers(day) && b.covers(day));
            prop_assert_eq!(a.clashes_with(&b), shared);
            prop_assert_eq!(a.clashes_with(&b), b.clashes_with(&a));
        }
    }
}
