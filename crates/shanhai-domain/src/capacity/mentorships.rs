//! 师带徒 mentorships: a mentor's term, apprentices and progress notes, and a program's mentorship
//! settings.

use super::{NOTE_MAX, TITLE_MAX, optional_code};
use crate::validate::{self, optional_reference, optional_text, reference, text};
use crate::{Invalid, Problems};
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How a program runs 师带徒: apprentices per mentor per term and the term's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MentorshipSettings {
    pub max_apprentices: i64,
    pub term_months: i64,
}

impl Default for MentorshipSettings {
    /// One mentor to at most three apprentices, three-month terms.
    fn default() -> Self {
        MentorshipSettings {
            max_apprentices: 3,
            term_months: 3,
        }
    }
}

impl MentorshipSettings {
    pub fn parse(max_apprentices: i64, term_months: i64) -> Result<MentorshipSettings, Invalid> {
        if !(1..=50).contains(&max_apprentices) {
            return Err(Invalid::new("max_apprentices", "error.count_between").with(&[1, 50]));
        }
        if !(1..=36).contains(&term_months) {
            return Err(Invalid::new("term_months", "error.count_between").with(&[1, 36]));
        }
        Ok(MentorshipSettings {
            max_apprentices,
            term_months,
        })
    }

    /// Whether a mentor who already has `current` apprentices in a term may take one more.
    pub fn admits(&self, current: i64) -> bool {
        current < self.max_apprentices
    }

    /// The last day of a term starting on `start`.
    pub fn term_end(&self, start: NaiveDate) -> NaiveDate {
        start
            .checked_add_months(Months::new(u32::try_from(self.term_months).unwrap_or(3)))
            .and_then(|d| d.pred_opt())
            .unwrap_or(start)
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CapacitySettingsInput {
    /// Apprentices a mentor may take per term (default 3).
    pub max_apprentices: i64,
    /// Length of a mentorship term in months (default 3).
    pub term_months: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CapacitySettings {
    #[schema(format = Uuid)]
    pub program_id: String,
    pub max_apprentices: i64,
    pub term_months: i64,
    /// False while the program uses the defaults.
    pub customised: bool,
}

code_enum! {
    /// The end-of-term evaluation of a mentorship.
    Evaluation {
        Excellent => "excellent", "优秀", "Excellent";
        Good => "good", "良好", "Good";
        Pass => "pass", "合格", "Pass";
        Fail => "fail", "不合格", "Fail";
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct MentorshipInput {
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    /// The local institution where the apprentices work.
    #[schema(format = Uuid)]
    pub institution_id: String,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    /// The mentor (usually a visiting expert).
    #[schema(format = Uuid)]
    pub mentor_id: String,
    #[schema(format = Date)]
    pub term_start: String,
    /// Defaults to the end of a term of the program's length.
    #[serde(default)]
    #[schema(format = Date)]
    pub term_end: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    /// End-of-term evaluation: `excellent`, `good`, `pass`, `fail`.
    #[serde(default)]
    #[schema(value_type = Option<Evaluation>)]
    pub evaluation: Option<String>,
    #[serde(default)]
    pub evaluation_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewMentorship {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub department_id: Option<String>,
    pub mentor_id: String,
    pub term_start: NaiveDate,
    pub term_end: Option<NaiveDate>,
    pub subject: Option<String>,
    pub evaluation: Option<Evaluation>,
    pub evaluation_note: Option<String>,
}

impl MentorshipInput {
    pub fn parse(&self) -> Result<NewMentorship, Problems> {
        crate::every! {
            term_start = validate::date("term_start", &self.term_start),
            term_end = validate::optional_date("term_end", self.term_end.as_deref()),
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            institution_id = reference("institution_id", &self.institution_id),
            department_id = optional_reference("department_id", self.department_id.as_deref()),
            mentor_id = reference("mentor_id", &self.mentor_id),
            subject = optional_text("subject", self.subject.as_deref(), TITLE_MAX),
            evaluation = optional_code("evaluation", self.evaluation.as_deref(), Evaluation::parse),
            evaluation_note = optional_text(
                "evaluation_note",
                self.evaluation_note.as_deref(),
                NOTE_MAX,
            ),
        }
        if term_end.is_some_and(|e| e < term_start) {
            return Err(Invalid::new("term_end", "error.end_before_start").into());
        }
        Ok(NewMentorship {
            program_id,
            institution_id,
            department_id,
            mentor_id,
            term_start,
            term_end,
            subject,
            evaluation,
            evaluation_note,
        })
    }
}

impl NewMentorship {
    /// The term's last day under the program's settings; an explicit end may not run past a
    /// full term.
    pub fn settle_term(&self, settings: &MentorshipSettings) -> Result<NaiveDate, Invalid> {
        let longest = settings.term_end(self.term_start);
        match self.term_end {
            None => Ok(longest),
            Some(end) if end <= longest => Ok(end),
            Some(_) => {
                Err(Invalid::new("term_end", "error.term_too_long").with(&[settings.term_months]))
            }
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Mentorship {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    #[schema(format = Uuid)]
    pub mentor_id: String,
    pub mentor_name: Option<String>,
    #[schema(format = Date)]
    pub term_start: String,
    #[schema(format = Date)]
    pub term_end: String,
    pub subject: Option<String>,
    pub evaluation: Option<Evaluation>,
    pub evaluation_note: Option<String>,
    pub apprentice_count: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ApprenticeInput {
    #[schema(format = Uuid)]
    pub person_id: String,
    /// Defaults to the term's start.
    #[serde(default)]
    #[schema(format = Date)]
    pub joined_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewApprentice {
    pub person_id: String,
    pub joined_on: Option<NaiveDate>,
}

impl ApprenticeInput {
    pub fn parse(&self) -> Result<NewApprentice, Problems> {
        crate::every! {
            person_id = reference("person_id", &self.person_id),
            joined_on = validate::optional_date("joined_on", self.joined_on.as_deref()),
        }
        Ok(NewApprentice {
            person_id,
            joined_on,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Apprentice {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub mentorship_id: String,
    #[schema(format = Uuid)]
    pub person_id: String,
    pub person_name: Option<String>,
    #[schema(format = Date)]
    pub joined_on: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NoteInput {
    #[schema(format = Date)]
    pub written_on: String,
    pub note: String,
}

impl NoteInput {
    pub fn parse(&self) -> Result<(NaiveDate, String), Problems> {
        crate::every! {
            written_on = validate::date("written_on", &self.written_on),
            note = text("note", &self.note, NOTE_MAX),
        }
        Ok((written_on, note))
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgressNote {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub mentorship_id: String,
    #[schema(format = Date)]
    pub written_on: String,
    pub note: String,
    pub author: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// A mentorship with its apprentices and progress notes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MentorshipDetail {
    #[serde(flatten)]
    pub mentorship: Mentorship,
    pub apprentices: Vec<Apprentice>,
    pub notes: Vec<ProgressNote>,
}

scoped!(NewMentorship, Mentorship);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn a_mentor_takes_three_apprentices_a_term_unless_the_program_allows_more() {
        let default = MentorshipSettings::default();
        assert!(default.admits(0) && default.admits(2));
        assert!(!default.admits(3));
        let generous = MentorshipSettings::parse(5, 6).unwrap_or_default();
        assert!(generous.admits(4) && !generous.admits(5));
        assert!(MentorshipSettings::parse(0, 3).is_err());
        assert!(MentorshipSettings::parse(3, 0).is_err());
    }

    #[test]
    fn a_term_lasts_the_program_s_months_and_no_longer() {
        let s = MentorshipSettings::default();
        assert_eq!(s.term_end(day("2025-01-01")), day("2025-03-31"));
        assert_eq!(s.term_end(day("2025-11-30")), day("2026-02-27"));
        let mut m = MentorshipInput {
            program_id: None,
            institution_id: crate::ids::new_id(),
            department_id: None,
            mentor_id: crate::ids::new_id(),
            term_start: "2025-01-01".into(),
            term_end: None,
            subject: None,
            evaluation: None,
            evaluation_note: None,
        };
        let parsed = m.parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.settle_term(&s), Ok(day("2025-03-31")));
        m.term_end = Some("2025-04-30".into());
        let parsed = m.parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            parsed.settle_term(&s).map_err(|e| e.key),
            Err("error.term_too_long")
        );
    }

    proptest! {
        #[test]
        fn a_mentor_never_holds_more_apprentices_than_allowed(
            max in 1i64..10,
            attempts in 0usize..30,
        ) {
            let settings = MentorshipSettings::parse(max, 3).unwrap_or_default();
            let mut held = 0i64;
            for _ in 0..attempts {
                if settings.admits(held) {
                    held += 1;
                }
            }
            prop_assert!(held <= max);
            prop_assert_eq!(held, (attempts as i64).min(max));
        }
    }
}
