//! Small parsers shared by every input type.

use crate::Invalid;
use chrono::NaiveDate;

/// A trimmed, non-empty text of at most `max` characters without control characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<String, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Invalid::new(field, "error.required"));
    }
    if value.chars().count() > max {
        return Err(Invalid::new(field, "error.text_at_most").with(&[max as i64]));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(Invalid::new(field, "error.control_chars"));
    }
    Ok(value.to_string())
}

/// Like [`text`], for what people write in paragraphs (a case summary, an opinion): line breaks
/// and tabs are kept (`\r\n` becomes `\n`), other control characters are refused.
pub fn prose(field: &str, value: &str, max: usize) -> Result<String, Invalid> {
    let value = value.replace("\r\n", "\n").replace('\r', "\n");
    let value = value.trim();
    if value.is_empty() {
        return Err(Invalid::new(field, "error.required"));
    }
    if value.chars().count() > max {
        return Err(Invalid::new(field, "error.text_at_most").with(&[max as i64]));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Invalid::new(field, "error.control_chars"));
    }
    Ok(value.to_string())
}

/// Like [`text`], but empty or absent input means "no value".
pub fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, Invalid> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(field, v, max).map(Some),
    }
}

/// The years a record's date may fall in. The programs began in the 1990s, and a year like
/// `-001` or `9999` is a typing slip or a probe; kept out, it cannot reach a figure or a report.
pub const DATE_YEARS: std::ops::RangeInclusive<i32> = 1900..=2099;

/// A calendar date written `YYYY-MM-DD`, in [`DATE_YEARS`].
pub fn date(field: &str, value: &str) -> Result<NaiveDate, Invalid> {
    use chrono::Datelike;
    let d = any_date(field, value)?;
    if DATE_YEARS.contains(&d.year()) {
        Ok(d)
    } else {
        Err(Invalid::new(field, "error.date_range"))
    }
}

fn any_date(field: &str, value: &str) -> Result<NaiveDate, Invalid> {
    let value = value.trim();
    // The usual `YYYY-MM-DD` read directly (an import reads a million of them; chrono's format
    // parser is several times slower), anything else by the format, with the same result.
    let b = value.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    if b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10))
    {
        return NaiveDate::from_ymd_opt(y as i32, m, d)
            .ok_or_else(|| Invalid::new(field, "error.date_format"));
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| Invalid::new(field, "error.date_format"))
}

/// A date as `YYYY-MM-DD`, as `NaiveDate`'s `Display` writes it, without the formatting
/// machinery (a bulk import writes each row's date twice).
pub fn iso_date(d: NaiveDate) -> String {
    use chrono::Datelike;
    let (y, m, day) = (d.year(), d.month(), d.day());
    if !(0..=9999).contains(&y) {
        return d.to_string();
    }
    let mut out = String::with_capacity(10);
    for (n, width) in [(y as u32, 4), (m, 2), (day, 2)] {
        if width == 2 {
            out.push('-');
        }
        for p in (0..width).rev() {
            out.push(char::from(b'0' + (n / 10u32.pow(p) % 10) as u8));
        }
    }
    out
}

pub fn optional_date(field: &str, value: Option<&str>) -> Result<Option<NaiveDate>, Invalid> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => date(field, v).map(Some),
    }
}

/// A period whose end, when given, is not before its start.
pub fn period(start: NaiveDate, end: Option<NaiveDate>) -> Result<(), Invalid> {
    match end {
        Some(end) if end < start => Err(Invalid::new("end_date", "error.end_before_start")),
        _ => Ok(()),
    }
}

/// A canonical UUID naming another record.
pub fn reference(field: &str, value: &str) -> Result<String, Invalid> {
    if value.trim().is_empty() {
        return Err(Invalid::new(field, "error.choose_one"));
    }
    crate::ids::parse_id(value.trim()).ok_or_else(|| Invalid::new(field, "error.bad_reference"))
}

pub fn optional_reference(field: &str, value: Option<&str>) -> Result<Option<String>, Invalid> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => reference(field, v).map(Some),
    }
}

/// Parses a closed-vocabulary code with the given parser.
pub fn code<T>(field: &str, value: &str, parse: fn(&str) -> Option<T>) -> Result<T, Invalid> {
    parse(value.trim()).ok_or_else(|| Invalid::new(field, "error.unknown_code"))
}

#[cfg(test)]
mod tests {

    #[test]
    fn dates_read_fast_read_as_the_format_does() -> Result<(), Box<dyn std::error::Error>> {
        for v in [
            "2025-05-06",
            " 2025-05-06 ",
            "2024-02-29",
            "2025-02-29",
            "2025-13-01",
            "2025-5-6",
            "2025-05-6",
            "0099-01-01",
            "20250506",
            "2025-05-0x",
            "2025/05/06",
            "",
            "+2025-05-06",
        ] {
            let slow = NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok();
            assert_eq!(any_date("d", v).ok(), slow, "{v:?}");
        }
        for d in ["2025-05-06", "0001-01-01", "9999-12-31", "2024-02-29"] {
            let d: NaiveDate = d.parse()?;
            assert_eq!(iso_date(d), d.to_string());
        }
        for out_of_range in ["-001-01-01", "9999-12-31", "1899-12-31", "2100-01-01"] {
            assert_eq!(
                date("adopted_on", out_of_range).map_err(|e| e.key),
                Err("error.date_range"),
                "{out_of_range}"
            );
        }
        assert!(date("d", "1900-01-01").is_ok() && date("d", "2099-12-31").is_ok());
        let far = NaiveDate::from_ymd_opt(12345, 1, 2).ok_or("date")?;
        assert_eq!(iso_date(far), far.to_string());
        Ok(())
    }
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn prose_keeps_line_breaks_and_refuses_other_control_characters() {
        assert_eq!(
            prose("opinion", " 建议：\r\n1. 活检\n2.\t复查 ", 100),
            Ok("建议：\n1. 活检\n2.\t复查".to_string())
        );
        assert_eq!(
            prose("opinion", "a\u{7}b", 100).map_err(|e| e.key),
            Err("error.control_chars")
        );
        assert_eq!(
            prose("opinion", " \n ", 100).map_err(|e| e.key),
            Err("error.required")
        );
    }

    #[test]
    fn text_trims_and_rejects_blank_long_and_control() {
        assert_eq!(text("name", "  瑞金医院 ", 10), Ok("瑞金医院".to_string()));
        assert_eq!(
            text("name", "   ", 10).map_err(|e| e.key),
            Err("error.required")
        );
        assert_eq!(
            text("name", "一二三四五六", 5).map_err(|e| e.key),
            Err("error.text_at_most")
        );
        assert_eq!(
            text("name", "a\u{0}b", 5).map_err(|e| e.key),
            Err("error.control_chars")
        );
    }

    #[test]
    fn dates_and_periods() {
        assert!(date("d", "2025-04-30").is_ok());
        assert!(date("d", "2025-02-30").is_err());
        assert!(date("d", "30/04/2025").is_err());
        let start = date("d", "2025-01-01").unwrap_or_default();
        assert!(period(start, Some(start)).is_ok());
        assert!(period(start, start.pred_opt()).is_err());
    }

    proptest! {
        #[test]
        fn text_never_accepts_what_it_should_not(s in ".{0,80}") {
            if let Ok(v) = text("f", &s, 40) {
                prop_assert!(!v.is_empty());
                prop_assert!(v.chars().count() <= 40);
                prop_assert!(!v.chars().any(|c| c.is_control()));
            }
        }

        #[test]
        fn reference_accepts_only_uuids(s in "[0-9a-f-]{0,40}") {
            if let Ok(v) = reference("f", &s) {
                prop_assert!(uuid::Uuid::try_parse(&v).is_ok());
            }
        }
    }
}
