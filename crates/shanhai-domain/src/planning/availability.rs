//! Availability posted for donor-side experts: a window in which an expert can go, the modes
//! they accept, their longest stint, and the dates inside it they cannot (blackouts). Title,
//! specialty and home institution come from the registry.
//!
//! Stored in `availability` (migration 0029): `modes` is a JSON list of [`AssignmentMode`]
//! codes; blackouts are rows of `availability_blackouts`.

use super::needs::NOTE_MAX;
use crate::codes::Title;
use crate::dispatch::AssignmentMode;
use crate::validate::{self, code, optional_text, reference};
use crate::{Invalid, Problems};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The shortest "longest stint" an expert may give, in days.
pub const SHORTEST_STINT_DAYS: i64 = 7;
/// The most blackouts one window holds.
pub const BLACKOUTS_MAX: usize = 50;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct BlackoutInput {
    #[schema(format = Date)]
    pub start_date: String,
    #[schema(format = Date)]
    pub end_date: String,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AvailabilityInput {
    /// A person of the donor side.
    #[schema(format = Uuid)]
    pub person_id: String,
    #[schema(format = Date)]
    pub start_date: String,
    #[schema(format = Date)]
    pub end_date: String,
    /// The modes the expert accepts (at least one).
    #[schema(value_type = Vec<AssignmentMode>)]
    pub modes: Vec<String>,
    /// The longest stint in days (at least 7; none: the whole window).
    #[serde(default)]
    pub longest_stint_days: Option<i64>,
    /// Dates inside the window the expert cannot go.
    #[serde(default)]
    pub blackouts: Vec<BlackoutInput>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewBlackout {
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAvailability {
    pub person_id: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub modes: Vec<AssignmentMode>,
    pub longest_stint_days: Option<i64>,
    pub blackouts: Vec<NewBlackout>,
    pub note: Option<String>,
}

impl AvailabilityInput {
    /// The window described, or every problem of the input, each at its field (a blackout's at
    /// `blackouts[i].start_date`, `blackouts[i].end_date`).
    pub fn parse(&self) -> Result<NewAvailability, Problems> {
        let mut p = Problems::new();
        let person_id = p.take(reference("person_id", &self.person_id));
        let start_date = p.take(validate::date("start_date", &self.start_date));
        let end_date = p.take(validate::date("end_date", &self.end_date));
        let mut modes = Vec::new();
        let mut modes_ok = true;
        for m in &self.modes {
            match p.take(code("modes", m, AssignmentMode::parse)) {
                Some(m) if !modes.contains(&m) => modes.push(m),
                Some(_) => {}
                None => modes_ok = false,
            }
        }
        if modes_ok && modes.is_empty() {
            p.push(Invalid::new("modes", "error.modes_required"));
        }
        let longest = match self.longest_stint_days {
            Some(d) if d < SHORTEST_STINT_DAYS => {
                p.push(
                    Invalid::new("longest_stint_days", "error.longest_stint_short")
                        .with(&[SHORTEST_STINT_DAYS]),
                );
                None
            }
            other => Some(other),
        };
        let note = p.take(optional_text("note", self.note.as_deref(), NOTE_MAX));
        let window = match (start_date, end_date) {
            (Some(s), Some(e)) if e < s => {
                p.push(Invalid::new("end_date", "error.end_before_start"));
                None
            }
            (Some(s), Some(e)) => Some((s, e)),
            _ => None,
        };
        if self.blackouts.len() > BLACKOUTS_MAX {
            p.push(
                Invalid::new("blackouts", "error.count_between").with(&[0, BLACKOUTS_MAX as i64]),
            );
        }
        let mut blackouts = Vec::new();
        for (i, b) in self.blackouts.iter().enumerate().take(BLACKOUTS_MAX) {
            let sf = format!("blackouts[{i}].start_date");
            let ef = format!("blackouts[{i}].end_date");
            let s = p.take(validate::date(&sf, &b.start_date));
            let e = p.take(validate::date(&ef, &b.end_date));
            let reason = p.take(optional_text(
                &format!("blackouts[{i}].reason"),
                b.reason.as_deref(),
                200,
            ));
            if let (Some(s), Some(e), Some(reason)) = (s, e, reason) {
                if e < s {
                    p.push(Invalid::new(ef, "error.end_before_start"));
                } else if let Some((ws, we)) = window
                    && (s < ws || e > we)
                {
                    p.push(Invalid::new(sf, "error.blackout_outside_window"));
                } else {
                    blackouts.push(NewBlackout {
                        start_date: s,
                        end_date: e,
                        reason,
                    });
                }
            }
        }
        p.finish()?;
        let (Some(person_id), Some((start_date, end_date)), Some(longest_stint_days), Some(note)) =
            (person_id, window, longest, note)
        else {
            return Err(Invalid::new("", "error.required").into());
        };
        blackouts.sort_by_key(|b| b.start_date);
        Ok(NewAvailability {
            person_id,
            start_date,
            end_date,
            modes,
            longest_stint_days,
            blackouts,
            note,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Blackout {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Date)]
    pub start_date: String,
    #[schema(format = Date)]
    pub end_date: String,
    pub reason: Option<String>,
}

/// A window as read, with the expert as the registry knows them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Availability {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub person_id: String,
    pub person_name: Option<String>,
    pub title: Option<Title>,
    pub specialty_code: Option<String>,
    /// The specialty's name (Chinese).
    pub specialty_name: Option<String>,
    pub specialty_name_en: Option<String>,
    /// The expert's home institution.
    #[schema(format = Uuid)]
    pub institution_id: Option<String>,
    pub institution_name: Option<String>,
    #[schema(format = Date)]
    pub start_date: String,
    #[schema(format = Date)]
    pub end_date: String,
    pub modes: Vec<AssignmentMode>,
    pub longest_stint_days: Option<i64>,
    pub blackouts: Vec<Blackout>,
    pub note: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl Availability {
    pub fn specialty_label(&self, lang: impl std::borrow::Borrow<crate::Lang>) -> String {
        let lang = *lang.borrow();
        match lang {
            crate::Lang::Zh => self.specialty_name.clone(),
            crate::Lang::En => self.specialty_name_en.clone(),
        }
        .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> AvailabilityInput {
        AvailabilityInput {
            person_id: crate::ids::new_id(),
            start_date: "2027-03-01".into(),
            end_date: "2027-12-31".into(),
            modes: vec!["stationed".into(), "weekly".into()],
            longest_stint_days: Some(180),
            blackouts: vec![BlackoutInput {
                start_date: "2027-05-01".into(),
                end_date: "2027-05-07".into(),
                reason: Some("年假".into()),
            }],
            note: None,
        }
    }

    #[test]
    fn a_good_window_parses() {
        let a = input().parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.modes.len(), 2);
        assert_eq!(a.blackouts.len(), 1);
    }

    #[test]
    fn every_problem_at_its_field() {
        let mut i = input();
        i.person_id = "x".into();
        i.modes = vec![];
        i.longest_stint_days = Some(3);
        i.blackouts.push(BlackoutInput {
            start_date: "2028-01-01".into(),
            end_date: "2028-01-05".into(),
            reason: None,
        });
        i.blackouts.push(BlackoutInput {
            start_date: "2027-06-05".into(),
            end_date: "2027-06-01".into(),
            reason: None,
        });
        let e: Vec<(String, &str)> = i
            .parse()
            .err()
            .map(|e| e.into_iter().map(|i| (i.field, i.key)).collect())
            .unwrap_or_default();
        for (f, k) in [
            ("person_id", "error.bad_reference"),
            ("modes", "error.modes_required"),
            ("longest_stint_days", "error.longest_stint_short"),
            ("blackouts[1].start_date", "error.blackout_outside_window"),
            ("blackouts[2].end_date", "error.end_before_start"),
        ] {
            assert!(e.contains(&(f.to_string(), k)), "{f} {k} in {e:?}");
        }
    }
}
