//! The briefing's (成果简报) own rules: how a number reads in the press's rounding words
//! ("5500余", "近200", "23.6万余", "8300余万元"), a program office's choice per figure between
//! the exact number and those words, and which funding items and donations the resources
//! paragraph lists by name.

use crate::access::Principal;
use crate::validate;
use crate::{Invalid, Lang, Problems};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

code_enum! {
    /// How the briefing states a figure.
    Wording {
        Exact => "exact", "精确数字（如“5,523”）", "Exact number (e.g. “5,523”)";
        Rounded => "rounded", "约数（如“5500余”“近200”“10.5万”）", "Rounded as the press writes it (e.g. “over 5,500”, “nearly 200”)";
    }
}

/// A program's choice for one figure (an indicator's code or a reported KPI's code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BriefingPreference {
    #[schema(format = Uuid)]
    pub program_id: String,
    pub code: String,
    pub wording: Wording,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// `PUT /programs/{id}/briefing-preferences`: one figure's wording.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct BriefingPreferenceInput {
    /// The indicator's code (`clinic-sessions`) or the reported KPI's code (`outpatient-visits`).
    pub code: String,
    /// `exact` or `rounded`.
    #[schema(value_type = Wording)]
    pub wording: String,
}

impl BriefingPreferenceInput {
    /// The choice checked, every problem at once: `known` says whether a code is a figure the
    /// briefing can state.
    pub fn parse(&self, known: impl Fn(&str) -> bool) -> Result<(String, Wording), Problems> {
        crate::every! {
            figure = {
                let c = self.code.trim();
                if known(c) {
                    Ok(c.to_string())
                } else {
                    Err(Invalid::new("code", "error.briefing_unknown_figure"))
                }
            },
            wording = validate::code("wording", &self.wording, Wording::parse),
        }
        Ok((figure, wording))
    }
}

/// Setting a program's briefing wording: its program office and the platform admin.
pub fn may_set_wording(p: &Principal, program_id: &str) -> bool {
    p.is_admin() || p.can_manage_program(program_id)
}

// ---- the press's rounding words ----

/// How a rounded number relates to the exact one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approx {
    /// The shown number is the exact one.
    Exact,
    /// The exact number is above the shown one ("5500余", "over 5,500").
    Over,
    /// The exact number is just below the shown one ("近200", "nearly 200").
    Near,
}

/// A number as the press rounds it: `shown` in the same units as the exact value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Press {
    pub approx: Approx,
    pub shown: i128,
}

/// The press rule, on a value in minor units (`unit` of them make one counted unit: 1 for
/// counts, 1,000,000 fen for 万元):
///
/// * below 100 units the number is stated exactly;
/// * from 100 to 9,999 units: two significant digits, rounded down, "余" when the exact number
///   is above ("5523" → "5500余"), except "近" when it lies within 5 % below the next number
///   with one significant digit ("196" → "近200", "960" → "近1000"; "5563" → "5500余", since
///   6000 is 7 % away);
/// * from 10,000 units: in 万 with one decimal, rounded down, "余" when the exact number is
///   above ("236,450" → "23.6万余", "21,549" → "2.1万余"), except "近" when it lies within a
///   quarter of 0.1万 below the next ("62,800" → "近6.3万").
pub fn press(value: i128, unit: i128) -> Press {
    let exact = Press {
        approx: Approx::Exact,
        shown: value,
    };
    if value < 0 || unit <= 0 {
        return exact;
    }
    let whole = value / unit;
    if whole < 100 {
        return exact;
    }
    if whole < 10_000 {
        let digits = whole.to_string().len() as u32;
        let step = 10i128.pow(digits - 2) * unit;
        let floor = value / step * step;
        let round_step = 10i128.pow(digits - 1) * unit;
        let next_round = (value / round_step + 1) * round_step;
        if (next_round - value) * 20 <= next_round {
            return Press {
                approx: Approx::Near,
                shown: next_round,
            };
        }
        return Press {
            approx: if value > floor {
                Approx::Over
            } else {
                Approx::Exact
            },
            shown: floor,
        };
    }
    let step = 1_000 * unit;
    let floor = value / step * step;
    if floor < value && (floor + step - value) * 4 <= step {
        return Press {
            approx: Approx::Near,
            shown: floor + step,
        };
    }
    Press {
        approx: if floor < value {
            Approx::Over
        } else {
            Approx::Exact
        },
        shown: floor,
    }
}

/// `n` tenths as `23.6`, `10`.
fn tenths(n: i128) -> String {
    if n % 10 == 0 {
        format!("{}", n / 10)
    } else {
        format!("{}.{}", n / 10, n % 10)
    }
}

/// A whole number as the press writes it in Chinese: `5500`, `23.6万`, `1.2亿`.
fn zh_number(n: i128) -> String {
    if n >= 100_000_000 {
        format!("{}亿", tenths(n / 10_000_000))
    } else if n >= 10_000 {
        format!("{}万", tenths(n / 1_000))
    } else {
        n.to_string()
    }
}

fn grouped(n: i128) -> String {
    crate::indicators::group_thousands(i64::try_from(n).unwrap_or(i64::MAX))
}

fn worded(lang: Lang, approx: Approx, zh: String, en: String) -> String {
    match (lang, approx) {
        (Lang::Zh, Approx::Exact) => zh,
        // "23.6万余", "5500余": 余 follows the number and its 万.
        (Lang::Zh, Approx::Over) => format!("{zh}余"),
        (Lang::Zh, Approx::Near) => format!("近{zh}"),
        (Lang::En, Approx::Exact) => en,
        (Lang::En, Approx::Over) => format!("over {en}"),
        (Lang::En, Approx::Near) => format!("nearly {en}"),
    }
}

/// A count in the press's words: `5500余`, `近200`, `10.5万余` (zh); `over 5,500`, `nearly
/// 200` (en). Below 100 the number itself.
pub fn press_count(lang: Lang, value: i64) -> String {
    let p = press(value as i128, 1);
    worded(lang, p.approx, zh_number(p.shown), grouped(p.shown))
}

/// Money (fen) in the press's words from 100万元: `8300余万元`, `600余万元`, `1.2亿余元`
/// (zh); `over CNY 83,000,000` (en). `None` below 100万元, where the exact amount is stated.
pub fn press_money(lang: Lang, fen: i64) -> Option<String> {
    const WAN_FEN: i128 = 1_000_000;
    let fen = fen as i128;
    if fen < 100 * WAN_FEN {
        return None;
    }
    let p = press(fen, WAN_FEN);
    let wan = p.shown / WAN_FEN;
    let zh = if wan >= 10_000 {
        format!("{}亿", tenths(wan / 1_000))
    } else {
        wan.to_string()
    };
    Some(match lang {
        Lang::Zh => match p.approx {
            Approx::Exact if wan >= 10_000 => format!("{zh}元"),
            Approx::Exact => format!("{zh}万元"),
            Approx::Over if wan >= 10_000 => format!("{zh}余元"),
            Approx::Over => format!("{zh}余万元"),
            Approx::Near if wan >= 10_000 => format!("近{zh}元"),
            Approx::Near => format!("近{zh}万元"),
        },
        Lang::En => worded(
            lang,
            p.approx,
            String::new(),
            format!("CNY {}", grouped(p.shown / 100)),
        ),
    })
}

// ---- money by item ----

/// The most items the resources paragraph names.
pub const SIGNIFICANT_ITEMS_MAX: usize = 10;

/// Which items the resources paragraph names (`amounts` in any order; the indices returned,
/// largest first): the largest items, at most [`SIGNIFICANT_ITEMS_MAX`], each at least 1 % of
/// the total — together most of the money, as the articles list it ("投入1200万元用于……；投入
/// 2200万元用于……"); smaller items are counted in the total only. Nothing is named when there
/// is a single item (the total says it).
pub fn significant_items(amounts: &[i64]) -> Vec<usize> {
    if amounts.len() < 2 {
        return Vec::new();
    }
    let total: i128 = amounts.iter().map(|a| *a as i128).sum();
    let mut order: Vec<usize> = (0..amounts.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(amounts[i]));
    order
        .into_iter()
        .take_while(|&i| amounts[i] as i128 * 100 >= total && amounts[i] > 0)
        .take(SIGNIFICANT_ITEMS_MAX)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_the_articles_round_them() {
        let zh = |v| press_count(Lang::Zh, v);
        assert_eq!(zh(5_523), "5500余");
        assert_eq!(zh(5_563), "5500余");
        assert_eq!(zh(196), "近200");
        assert_eq!(zh(190), "近200");
        assert_eq!(zh(189), "180余");
        assert_eq!(zh(200), "200");
        assert_eq!(zh(960), "近1000");
        assert_eq!(zh(312), "310余");
        assert_eq!(zh(4_612), "4600余");
        assert_eq!(zh(3_021), "3000余");
        assert_eq!(zh(3_000), "3000");
        assert_eq!(zh(9_600), "近1万");
        assert_eq!(zh(105_320), "10.5万余");
        assert_eq!(zh(105_000), "10.5万");
        assert_eq!(zh(236_450), "23.6万余");
        assert_eq!(zh(62_800), "近6.3万");
        assert_eq!(zh(21_137), "2.1万余");
        assert_eq!(zh(21_549), "2.1万余");
        assert_eq!(zh(62_934), "近6.3万");
        assert_eq!(zh(62_749), "6.2万余");
        assert_eq!(zh(236_207), "23.6万余");
        assert_eq!(zh(1_685_126), "168.5万余");
        assert_eq!(zh(99), "99");
        assert_eq!(zh(0), "0");
        assert_eq!(press_count(Lang::En, 5_523), "over 5,500");
        assert_eq!(press_count(Lang::En, 196), "nearly 200");
        assert_eq!(press_count(Lang::En, 236_450), "over 236,000");
        assert_eq!(press_count(Lang::En, 62_800), "nearly 63,000");
        assert_eq!(press_count(Lang::En, 42), "42");
    }

    #[test]
    fn money_reads_in_wan_as_the_articles_round_it() {
        let zh = |yuan: i64| press_money(Lang::Zh, yuan * 100);
        assert_eq!(zh(83_150_000).as_deref(), Some("8300余万元"));
        assert_eq!(zh(83_264_000).as_deref(), Some("8300余万元"));
        assert_eq!(zh(83_000_000).as_deref(), Some("8300万元"));
        assert_eq!(zh(6_048_000).as_deref(), Some("600余万元"));
        assert_eq!(zh(12_000_000).as_deref(), Some("1200万元"));
        assert_eq!(zh(1_960_000).as_deref(), Some("近200万元"));
        assert_eq!(zh(123_456_789).as_deref(), Some("1.2亿余元"));
        assert_eq!(zh(820_000), None);
        assert_eq!(
            press_money(Lang::En, 8_315_000_000).as_deref(),
            Some("over CNY 83,000,000")
        );
    }

    #[test]
    fn the_rounded_number_never_claims_more_or_much_less_than_the_record() {
        for v in (100i128..200_000).step_by(7) {
            let p = press(v, 1);
            match p.approx {
                Approx::Exact => assert_eq!(p.shown, v),
                Approx::Over => assert!(p.shown < v && (v - p.shown) * 10 < v, "{v}"),
                Approx::Near => assert!(p.shown > v && (p.shown - v) * 20 <= p.shown, "{v}"),
            }
        }
    }

    #[test]
    fn significant_items_are_the_large_ones_making_up_the_money() {
        // 沪滇: five named grants of 8,326.4万 and forty small ones.
        let mut amounts = vec![1_200, 2_200, 1_000, 840, 140];
        amounts.extend(std::iter::repeat_n(73, 40));
        let picked = significant_items(&amounts);
        assert_eq!(picked, vec![1, 0, 2, 3, 4]);
        assert!(significant_items(&[100]).is_empty());
        let many: Vec<i64> = (1..=30).map(|i| 1_000 + i).collect();
        assert_eq!(significant_items(&many).len(), SIGNIFICANT_ITEMS_MAX);
        assert_eq!(significant_items(&many)[0], 29);
    }

    #[test]
    fn a_preference_names_a_known_figure_and_a_wording() {
        let known = |c: &str| c == "clinic-sessions";
        let ok = BriefingPreferenceInput {
            code: " clinic-sessions ".into(),
            wording: "rounded".into(),
        };
        assert_eq!(
            ok.parse(known).ok(),
            Some(("clinic-sessions".to_string(), Wording::Rounded))
        );
        let bad = BriefingPreferenceInput {
            code: "nope".into(),
            wording: "approx".into(),
        };
        let problems = bad.parse(known).err().map(|p| p.iter().count());
        assert_eq!(problems, Some(2));
    }
}
