//! What stays behind when the experts leave (带不走的医疗队): training (C6), technology transfer
//! (C7), specialty and management building (C8) and resources (C9).
//!
//! Every record belongs to one local institution (`institution_id`: where the trainee works,
//! where the technique is introduced, who receives the money) and, optionally, to a program;
//! access follows that institution.
//!
//! The rules that matter live here and are tested directly: a mentor's apprentices per term
//! ([`MentorshipSettings::admits`]), a technique's stages ([`TechniqueStage::may_move_to`]), the
//! area a "first in the region" claim is checked against ([`GapLevel::area_prefix`]) and money
//! in integer fen ([`yuan`], [`parse_yuan`]).
//!
//! One module per record kind, each with its sub-records (a mentorship's apprentices and notes,
//! a technique's cases and stages, an alliance's members); what they share (the [`Scoped`]
//! trait, money, the institution summary) is here, and every kind is re-exported from here.

use crate::validate::code;
use crate::{Invalid, specialty};
use serde::Serialize;
use utoipa::ToSchema;

const TITLE_MAX: usize = 200;
const NOTE_MAX: usize = 4000;
/// The largest amount of money a record may carry: ten billion yuan, in fen.
pub const MAX_FEN: i64 = 1_000_000_000_000;

/// What every capacity record and input names: the local institution it belongs to and the
/// program it was done under.
pub trait Scoped {
    fn institution_id(&self) -> &str;
    fn program_id(&self) -> Option<&str>;
}

macro_rules! scoped {
    ($($t:ty),+) => {$(
        impl $crate::capacity::Scoped for $t {
            fn institution_id(&self) -> &str {
                &self.institution_id
            }
            fn program_id(&self) -> Option<&str> {
                self.program_id.as_deref()
            }
        }
    )+};
}

fn specialty_code(field: &str, value: &str) -> Result<String, Invalid> {
    specialty::find(value.trim())
        .map(|s| s.code.clone())
        .ok_or_else(|| Invalid::new(field, "error.unknown_specialty"))
}

fn optional_specialty(field: &str, value: Option<&str>) -> Result<Option<String>, Invalid> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => specialty_code(field, v).map(Some),
    }
}

fn count(field: &str, value: i64, max: i64) -> Result<i64, Invalid> {
    if (0..=max).contains(&value) {
        Ok(value)
    } else {
        Err(Invalid::new(field, "error.count_between").with(&[0, max]))
    }
}

fn optional_code<T>(
    field: &str,
    value: Option<&str>,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, Invalid> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => code(field, v, parse).map(Some),
    }
}

// ---- money ----

/// An amount in fen written as yuan with two decimals, e.g. `8300000000` → `"83000000.00"`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Reads yuan written as a decimal (`"1234.5"`, `"83000000.00"`) into fen, exactly; more than two
/// decimals, signs, exponents and anything over [`MAX_FEN`] are refused.
pub fn parse_yuan(field: &str, value: &str) -> Result<i64, Invalid> {
    let bad = || Invalid::new(field, "error.money_format");
    let value = value.trim();
    let (whole, frac) = value.split_once('.').unwrap_or((value, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || whole.len() > 12
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    let fen = whole
        .checked_mul(100)
        .and_then(|f| f.checked_add(frac))
        .ok_or_else(bad)?;
    money("amount_fen", fen).map_err(|_| bad())
}

/// A non-negative amount in fen within [`MAX_FEN`].
pub fn money(field: &str, fen: i64) -> Result<i64, Invalid> {
    if (0..=MAX_FEN).contains(&fen) {
        Ok(fen)
    } else {
        Err(Invalid::new(field, "error.money_range"))
    }
}

/// An amount given either as integer fen or as a yuan decimal string; with both, they must agree.
fn amount(
    field: &str,
    fen: Option<i64>,
    yuan_text: Option<&str>,
    yuan_field: &str,
) -> Result<i64, Invalid> {
    match (fen, yuan_text.map(str::trim).filter(|s| !s.is_empty())) {
        (Some(f), None) => money(field, f),
        (None, Some(y)) => parse_yuan(yuan_field, y),
        (Some(f), Some(y)) if parse_yuan(yuan_field, y)? == f => money(field, f),
        (Some(_), Some(_)) => Err(Invalid::new(field, "error.money_disagrees")),
        (None, None) => Err(Invalid::new(field, "error.required")),
    }
}

/// Money totals over many records, summed as integers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MoneyTotals {
    /// How many records were summed.
    pub count: i64,
    pub amount_fen: i64,
    /// The same amount in yuan with two decimals, for display.
    pub amount_yuan: String,
}

impl MoneyTotals {
    pub fn new(count: i64, amount_fen: i64) -> MoneyTotals {
        MoneyTotals {
            count,
            amount_fen,
            amount_yuan: yuan(amount_fen),
        }
    }
}

mod accreditation;
mod alliances;
mod equipment;
mod funding;
mod mentorships;
mod outreach;
mod placements;
mod regulations;
mod research;
mod specialty_projects;
mod teaching;
mod team_pairings;
mod techniques;
mod training;
mod training_kpis;
mod workstations;

pub use accreditation::*;
pub use alliances::*;
pub use equipment::*;
pub use funding::*;
pub use mentorships::*;
pub use outreach::*;
pub use placements::*;
pub use regulations::*;
pub use research::*;
pub use specialty_projects::*;
pub use teaching::*;
pub use team_pairings::*;
pub use techniques::*;
pub use training::*;
pub use training_kpis::*;
pub use workstations::*;

// ---- what was built at an institution ----

/// How many of something, by a code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CodeCount {
    pub code: String,
    pub count: i64,
}

/// "What was built here": the capacity an institution has gained, counted from the records.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CapacitySummary {
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub techniques: i64,
    pub techniques_by_stage: Vec<CodeCount>,
    pub techniques_by_gap: Vec<CodeCount>,
    pub technique_cases: i64,
    pub placements: i64,
    pub mentorships: i64,
    pub apprentices: i64,
    pub team_pairings: i64,
    pub teaching_activities: i64,
    pub teaching_by_kind: Vec<CodeCount>,
    pub workstations: i64,
    pub workstations_by_kind: Vec<CodeCount>,
    pub alliances_led: i64,
    pub alliance_memberships: i64,
    pub specialty_projects: i64,
    pub regulations: i64,
    pub research_outputs: i64,
    pub accreditation_goals: Vec<AccreditationGoal>,
    pub funding: MoneyTotals,
    pub equipment: MoneyTotals,
    /// The most recent techniques, newest first.
    pub recent_techniques: Vec<Technique>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn money_is_read_and_written_exactly() {
        assert_eq!(yuan(8_300_000_000), "83000000.00");
        assert_eq!(yuan(1), "0.01");
        assert_eq!(yuan(-150), "-1.50");
        assert_eq!(parse_yuan("f", "83000000.00"), Ok(8_300_000_000));
        assert_eq!(parse_yuan("f", "0.1"), Ok(10));
        assert_eq!(parse_yuan("f", "12"), Ok(1200));
        for bad in [
            "",
            "1.234",
            "-1",
            "1e5",
            "1,000",
            ".5",
            "abc",
            "100000000000.00",
        ] {
            assert!(parse_yuan("f", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_amount_given_twice_must_agree() {
        assert_eq!(amount("a", Some(150), Some("1.50"), "y"), Ok(150));
        assert_eq!(
            amount("a", Some(150), Some("1.51"), "y").map_err(|e| e.key),
            Err("error.money_disagrees")
        );
        assert_eq!(
            amount("a", None, None, "y").map_err(|e| e.key),
            Err("error.required")
        );
        assert!(amount("a", Some(-1), None, "y").is_err());
    }

    proptest! {
        #[test]
        fn fen_survive_the_round_trip_through_yuan(fen in 0i64..=MAX_FEN) {
            prop_assert_eq!(parse_yuan("f", &yuan(fen)), Ok(fen));
        }

        #[test]
        fn sums_of_fen_equal_the_sum_of_their_yuan(items in prop::collection::vec(0i64..1_000_000_000, 0..200)) {
            let total: i64 = items.iter().sum();
            let from_text: i64 = items.iter().map(|f| parse_yuan("f", &yuan(*f)).unwrap_or(-1)).sum();
            prop_assert_eq!(total, from_text);
        }
    }
}
