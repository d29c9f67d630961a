//! A plan drawn as a timeline (SVG): one row per hospital or per expert, a bar per proposal
//! from its start to its end, a month axis, a line for today. Pure: bars in, an SVG string out.
//!
//! Readable on a phone: the picture has a least width in pixels (wide enough for a readable
//! month axis) and sits in a box that scrolls sideways on its own (`.timeline-box`), never the
//! page; on a desk it stretches to the box. Each row's label stands on its own line above its bars, so no label column eats width;
//! bars of one row that overlap are stacked in lanes.

use crate::charts::{FONT, PALETTE, esc};
use chrono::{Datelike, NaiveDate};
use shanhai_domain::Lang;
use std::fmt::Write;

/// One bar: a proposal (or, with `class` "need", a need's uncovered window behind them).
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The row it belongs to (a hospital's or an expert's name); rows keep first-seen order.
    pub row: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// The colour: an index into the palette (the specialty's, so both views agree).
    pub colour: usize,
    /// Written on the bar when it is wide enough (the expert in the hospital view, the
    /// hospital in the expert view).
    pub text: String,
    /// The whole story, shown on hover and read by screen readers.
    pub title: String,
    pub pinned: bool,
    /// Where a click on the bar goes (the proposal's card on the page).
    pub href: Option<String>,
}

/// Pixels per day at least: a month is about 62 px, enough for its label. A short horizon is
/// drawn wider, to about [`TARGET_W`] pixels.
const DAY_PX: f64 = 2.05;
const TARGET_W: f64 = 800.0;
const LEFT: f64 = 8.0;
const RIGHT: f64 = 12.0;
const AXIS_H: f64 = 36.0;
const LABEL_H: f64 = 18.0;
const LANE_H: f64 = 20.0;
const ROW_GAP: f64 = 8.0;

/// The SVG of `bars` over the horizon `start..=end`, with today's line when today lies in it.
/// An empty list still draws the axis (the page says in words that the plan is empty).
pub fn svg(
    lang: Lang,
    bars: &[Bar],
    start: NaiveDate,
    end: NaiveDate,
    today: NaiveDate,
    caption: &str,
) -> String {
    let end = end.max(start);
    let days = (end - start).num_days() + 1;
    let day_px = DAY_PX.max(TARGET_W / days as f64);
    let width = (LEFT + days as f64 * day_px + RIGHT).round();
    let x = |d: NaiveDate| {
        LEFT + (d.clamp(start, end + chrono::Days::new(1)) - start).num_days() as f64 * day_px
    };

    // Rows in first-seen order; in each, bars stacked in lanes so that none overlap.
    let mut rows: Vec<(String, Vec<(usize, &Bar)>)> = Vec::new();
    for bar in bars {
        let i = match rows.iter().position(|(name, _)| *name == bar.row) {
            Some(i) => i,
            None => {
                rows.push((bar.row.clone(), Vec::new()));
                rows.len() - 1
            }
        };
        let placed = &rows[i].1;
        let mut lane = 0;
        while placed
            .iter()
            .any(|(l, b)| *l == lane && b.start <= bar.end && bar.start <= b.end)
        {
            lane += 1;
        }
        rows[i].1.push((lane, bar));
    }
    let lanes = |r: &[(usize, &Bar)]| r.iter().map(|(l, _)| l + 1).max().unwrap_or(1);
    let body: f64 = rows
        .iter()
        .map(|(_, r)| LABEL_H + lanes(r) as f64 * LANE_H + ROW_GAP)
        .sum();
    let height = (AXIS_H + body.max(LANE_H) + 4.0).round();

    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{width}" height="{height}" viewBox="0 0 {width} {height}" style="min-width:{width}px" role="img" aria-label="{}" font-family="{}" font-size="12">"#,
        esc(caption),
        esc(FONT)
    );
    let _ = write!(s, "<title>{}</title>", esc(caption));

    // The month axis: a tick and a label at each month's first day (the year on January and on
    // the first label).
    let mut month = NaiveDate::from_ymd_opt(start.year(), start.month(), 1).unwrap_or(start);
    let mut first = true;
    while month <= end {
        // A horizon starting mid-month names its first month at the left edge, when there is
        // room before the next month's label.
        let next = month.checked_add_months(chrono::Months::new(1));
        let room = next.is_some_and(|n| (n - start).num_days() >= 20);
        if month < start && room {
            let label = match lang {
                Lang::Zh => format!("{}年{}月", month.year(), month.month()),
                Lang::En => month.format("%b %Y").to_string(),
            };
            first = false;
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{}" fill="#5f6b7a">{}</text>"##,
                LEFT + 1.0,
                AXIS_H - 6.0,
                esc(&label)
            );
        }
        if month >= start {
            let mx = x(month);
            let label = if first || month.month() == 1 {
                match lang {
                    Lang::Zh => format!("{}年{}月", month.year(), month.month()),
                    Lang::En => month.format("%b %Y").to_string(),
                }
            } else {
                match lang {
                    Lang::Zh => format!("{}月", month.month()),
                    Lang::En => month.format("%b").to_string(),
                }
            };
            first = false;
            let _ = write!(
                s,
                r##"<line x1="{mx:.1}" y1="{}" x2="{mx:.1}" y2="{height}" stroke="#dde3ea"/><text x="{:.1}" y="{}" fill="#5f6b7a">{}</text>"##,
                AXIS_H - 16.0,
                mx + 3.0,
                AXIS_H - 6.0,
                esc(&label)
            );
        }
        month = month
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(end + chrono::Days::new(1));
    }
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" y1="{AXIS_H}" x2="{:.1}" y2="{AXIS_H}" stroke="#98a2b3"/>"##,
        width - RIGHT
    );

    // Today's line, behind the bars, its word above the month labels.
    if today >= start && today <= end {
        let tx = x(today);
        let _ = write!(
            s,
            r##"<line x1="{tx:.1}" y1="14" x2="{tx:.1}" y2="{height}" stroke="#c0392b" stroke-width="1.5" stroke-dasharray="3 2"/><text x="{:.1}" y="11" fill="#c0392b" font-size="11">{}</text>"##,
            tx + 2.0,
            match lang {
                Lang::Zh => "今天",
                Lang::En => "today",
            }
        );
    }

    let mut y = AXIS_H + 4.0;
    for (name, placed) in &rows {
        let _ = write!(
            s,
            r##"<text x="{LEFT}" y="{:.1}" font-weight="600" fill="#1d2733">{}</text>"##,
            y + LABEL_H - 5.0,
            esc(name)
        );
        let top = y + LABEL_H;
        for (lane, bar) in placed {
            let bx = x(bar.start);
            let bw = (x(bar.end + chrono::Days::new(1)) - bx).max(3.0);
            let by = top + *lane as f64 * LANE_H + 2.0;
            let bh = LANE_H - 4.0;
            let (fill, opacity, stroke) = if bar.colour == NEED {
                (
                    "#eef2f6",
                    "1",
                    r##" stroke="#c0392b" stroke-dasharray="4 3""##.to_string(),
                )
            } else if bar.pinned {
                (
                    PALETTE[bar.colour % 7],
                    "0.95",
                    r##" stroke="#1d2733" stroke-width="2.5""##.to_string(),
                )
            } else {
                (PALETTE[bar.colour % 7], "0.8", String::new())
            };
            let open = bar
                .href
                .as_ref()
                .map(|h| format!(r#"<a href="{}">"#, esc(h)))
                .unwrap_or_default();
            let _ = write!(
                s,
                r#"{open}<g class="bar{}"><title>{}</title><rect x="{bx:.1}" y="{by:.1}" width="{bw:.1}" height="{bh}" rx="3" fill="{fill}" fill-opacity="{opacity}"{stroke}/>"#,
                if bar.pinned { " pinned" } else { "" },
                esc(&bar.title)
            );
            // The text on the bar when it fits (about 12 px a Chinese character, 7 a Latin one).
            let text = &bar.text;
            let need = text_width(text) + 8.0;
            if need <= bw {
                let ink = if bar.colour == NEED || light(bar.colour) {
                    "#1d2733"
                } else {
                    "#ffffff"
                };
                let _ = write!(
                    s,
                    r#"<text x="{:.1}" y="{:.1}" fill="{ink}" font-size="11">{}</text>"#,
                    bx + 4.0,
                    by + bh - 4.0,
                    esc(text)
                );
            }
            s.push_str("</g>");
            if !open.is_empty() {
                s.push_str("</a>");
            }
        }
        y = top + lanes(placed) as f64 * LANE_H + ROW_GAP;
    }

    s.push_str("</svg>");
    s
}

/// The colour index of a need's uncovered window (drawn pale, with a dashed red edge).
pub const NEED: usize = usize::MAX;

/// The palette's light colours, which take dark text.
fn light(colour: usize) -> bool {
    matches!(colour % 7, 1 | 4 | 6)
}

/// About how wide a text is at 11 px.
fn text_width(t: &str) -> f64 {
    t.chars()
        .map(|c| if c.is_ascii() { 6.5 } else { 11.5 })
        .sum()
}

/// A stable colour for a key (a specialty code): the same specialty, the same colour.
pub fn colour_of(key: &str) -> usize {
    let top = key.split('.').next().unwrap_or(key);
    top.bytes()
        .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize))
        % 7
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    fn bar(row: &str, start: &str, end: &str, pinned: bool) -> Bar {
        Bar {
            row: row.into(),
            start: d(start),
            end: d(end),
            colour: 0,
            text: "王<医生>".into(),
            title: "王医生 · 主任医师".into(),
            pinned,
            href: Some("#item-1".into()),
        }
    }

    #[test]
    fn rows_lanes_axis_and_today() {
        let bars = vec![
            bar("喀什地区第一人民医院", "2026-03-01", "2026-08-31", false),
            bar("喀什地区第一人民医院", "2026-05-01", "2026-06-30", true),
            bar("疏附县人民医院", "2026-09-01", "2026-12-31", false),
        ];
        let s = svg(
            Lang::Zh,
            &bars,
            d("2026-03-01"),
            d("2027-02-28"),
            d("2026-04-15"),
            "派驻方案",
        );
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        // Each row's label once, escaped text, the pinned mark, a link per bar.
        assert_eq!(s.matches("喀什地区第一人民医院</text>").count(), 1);
        assert!(s.contains("王&lt;医生&gt;"));
        assert!(!s.contains("王<医生>"));
        assert_eq!(s.matches("class=\"bar pinned\"").count(), 1);
        assert_eq!(s.matches("<a href=\"#item-1\">").count(), 3);
        // Months: the first with its year, January with its year, the others bare.
        assert!(s.contains("2026年3月"));
        assert!(s.contains(">4月<"));
        assert!(s.contains("2027年1月"));
        assert!(s.contains("今天"));
        // Two overlapping bars of one row stack: the second row's label sits below two lanes.
        let h: f64 = s
            .split("height=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        assert!(h >= AXIS_H + 2.0 * LABEL_H + 3.0 * LANE_H);
    }

    #[test]
    fn no_today_line_outside_the_horizon_and_english_months() {
        let s = svg(
            Lang::En,
            &[bar("A", "2026-03-01", "2026-03-31", false)],
            d("2026-03-01"),
            d("2026-06-30"),
            d("2025-01-01"),
            "Plan",
        );
        assert!(!s.contains("today"));
        assert!(s.contains("Mar 2026") && s.contains(">Apr<"));
        assert!(!s.contains('年'));
    }

    #[test]
    fn empty_plan_draws_the_axis() {
        let s = svg(
            Lang::Zh,
            &[],
            d("2026-03-01"),
            d("2026-04-30"),
            d("2026-03-10"),
            "x",
        );
        assert!(s.contains("2026年3月") && s.contains("</svg>"));
    }

    #[test]
    fn a_specialty_keeps_its_colour() {
        assert_eq!(colour_of("03.04"), colour_of("03"));
        assert!(colour_of("03") < 7);
    }
}
