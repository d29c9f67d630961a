//! Row plumbing declared once per record type: how a record is read from a row ([`Decode`]) and
//! which columns an input writes, with which values ([`Columns`]). Both come from one [`row!`]
//! declaration, so a column list and its values cannot drift apart.
//!
//! ```ignore
//! row! {
//!     read Placement(row) {
//!         id: text,
//!         program_id: opt_text,
//!         status: code(PlacementStatus::parse),
//!         start: text("start_time"),        // a column named otherwise
//!         rate_percent: { percent(passed, candidates) }, // computed from fields read before
//!     }
//!     write NewPlacement(n) {
//!         program_id: clone,
//!         start_date: date,
//!         end_date: opt_date,
//!         status: code,
//!         name_key: { technique_key(&n.name).into() }, // any expression giving an `Arg`
//!     }
//! }
//! ```
//!
//! Readers (the column is the field's name unless given as a string):
//! `text`, `opt_text`, `int`, `opt_int`, `bool` (an integer, non-zero), `json_list` (a JSON list
//! of strings), `json` (JSON text, the type's default when unreadable), `opt_json` (optional JSON
//! text, `None` when unreadable), `code(Enum::parse)`,
//! `opt_code(Enum::parse)` (an unknown code reads as `None`), or `{ expression }` over `row` and
//! the fields read before it.
//!
//! Writers (the column is the input's field of the same name): `clone`, `copy` (integers and
//! flags' integers as they are), `date` (`YYYY-MM-DD`), `opt_date`, `code`, `opt_code`, `bool`
//! (0 or 1), `json` (JSON text, `[]` if it cannot be written), or `{ expression }` over the
//! input giving an [`Arg`].

use crate::Result;
use crate::query::Arg;
use sqlx::any::AnyRow;

/// A record read from a row.
pub trait Decode: Sized {
    fn decode(row: &AnyRow) -> Result<Self>;
}

/// An input written as a row.
pub trait Columns {
    /// The columns written, in the order of [`Columns::args`].
    const COLUMNS: &'static [&'static str];
    /// The values of [`Columns::COLUMNS`].
    fn args(&self) -> Vec<Arg>;
}

/// Declares a record's [`Decode`] (`read`), an input's [`Columns`] (`write`), or both.
macro_rules! row {
    (
        $(read $rec:ident($row:ident) {
            $($field:ident: $how:tt $(($($arg:tt)*))?),* $(,)?
        })?
        $(write $new:ident($n:ident) {
            $($col:ident: $put:tt $(($($parg:tt)*))?),* $(,)?
        })?
    ) => {
        $(
            impl $crate::row::Decode for $rec {
                fn decode($row: &::sqlx::any::AnyRow) -> $crate::Result<$rec> {
                    $(let $field = $crate::row::read_field!($row, $field, $how $(($($arg)*))?);)*
                    Ok($rec { $($field),* })
                }
            }
        )?
        $(
            impl $crate::row::Columns for $new {
                const COLUMNS: &'static [&'static str] = &[$(stringify!($col)),*];

                fn args(&self) -> Vec<$crate::query::Arg> {
                    let $n = self;
                    vec![$($crate::row::put_field!($n, $col, $put $(($($parg)*))?)),*]
                }
            }
        )?
    };
}
pub(crate) use row;

/// One field of a [`row!`] `read`.
macro_rules! read_field {
    ($row:ident, $f:ident, { $($e:tt)* }) => {{ $($e)* }};
    ($row:ident, $f:ident, $how:ident) => {
        $crate::row::read_field!($row, $f, $how(stringify!($f)))
    };
    ($row:ident, $f:ident, code($parse:path)) => {
        $crate::query::code($row, stringify!($f), $parse)?
    };
    ($row:ident, $f:ident, opt_code($parse:path)) => {
        $crate::query::opt_code($row, stringify!($f), $parse)?
    };
    ($row:ident, $f:ident, code($parse:path, $col:expr)) => {
        $crate::query::code($row, $col, $parse)?
    };
    ($row:ident, $f:ident, opt_code($parse:path, $col:expr)) => {
        $crate::query::opt_code($row, $col, $parse)?
    };
    ($row:ident, $f:ident, text($col:expr)) => {
        $crate::query::text($row, $col)?
    };
    ($row:ident, $f:ident, opt_text($col:expr)) => {
        $crate::query::opt_text($row, $col)?
    };
    ($row:ident, $f:ident, int($col:expr)) => {
        $crate::query::int($row, $col)?
    };
    ($row:ident, $f:ident, opt_int($col:expr)) => {
        $crate::query::opt_int($row, $col)?
    };
    ($row:ident, $f:ident, bool($col:expr)) => {
        $crate::query::int($row, $col)? != 0
    };
    ($row:ident, $f:ident, json_list($col:expr)) => {
        $crate::query::json_list($row, $col)?
    };
    ($row:ident, $f:ident, opt_json($col:expr)) => {
        $crate::query::opt_json($row, $col)?
    };
    ($row:ident, $f:ident, json($col:expr)) => {
        ::serde_json::from_str(&$crate::query::text($row, $col)?).unwrap_or_default()
    };
}
pub(crate) use read_field;

/// One column of a [`row!`] `write`.
macro_rules! put_field {
    ($n:ident, $c:ident, { $($e:tt)* }) => {{ $($e)* }};
    ($n:ident, $c:ident, clone) => {
        $crate::query::Arg::from($n.$c.clone())
    };
    ($n:ident, $c:ident, copy) => {
        $crate::query::Arg::from($n.$c)
    };
    ($n:ident, $c:ident, date) => {
        $crate::query::Arg::from($n.$c.to_string())
    };
    ($n:ident, $c:ident, opt_date) => {
        $crate::query::Arg::from($n.$c.map(|d| d.to_string()))
    };
    ($n:ident, $c:ident, code) => {
        $crate::query::Arg::from($n.$c.code())
    };
    ($n:ident, $c:ident, opt_code) => {
        $crate::query::Arg::from($n.$c.map(|e| e.code().to_string()))
    };
    ($n:ident, $c:ident, bool) => {
        $crate::query::Arg::from(i64::from($n.$c))
    };
    ($n:ident, $c:ident, json) => {
        $crate::query::json_arg(&$n.$c)
    };
}
pub(crate) use put_field;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use shanhai_domain::codes::Gender;

    struct NewThing {
        name: String,
        note: Option<String>,
        count: i64,
        limit: Option<i64>,
        on: NaiveDate,
        until: Option<NaiveDate>,
        sex: Gender,
        maybe: Option<Gender>,
        online: bool,
        tags: Vec<String>,
    }

    row! {
        write NewThing(n) {
            name: clone,
            note: clone,
            count: copy,
            limit: copy,
            on: date,
            until: opt_date,
            sex: code,
            maybe: opt_code,
            online: bool,
            tags: json,
            name_key: { n.name.to_lowercase().into() },
        }
    }

    #[test]
    fn written_columns_and_values_come_in_the_declared_order() {
        let on = NaiveDate::from_ymd_opt(2025, 4, 30).unwrap_or_default();
        let n = NewThing {
            name: "Ab".into(),
            note: None,
            count: 3,
            limit: Some(7),
            on,
            until: None,
            sex: Gender::Female,
            maybe: Some(Gender::Male),
            online: true,
            tags: vec!["x".into(), "y".into()],
        };
        assert_eq!(
            NewThing::COLUMNS,
            &[
                "name", "note", "count", "limit", "on", "until", "sex", "maybe", "online", "tags",
                "name_key"
            ]
        );
        assert_eq!(
            n.args(),
            vec![
                Arg::Text("Ab".into()),
                Arg::OptText(None),
                Arg::Int(3),
                Arg::OptInt(Some(7)),
                Arg::Text("2025-04-30".into()),
                Arg::OptText(None),
                Arg::Text("female".into()),
                Arg::OptText(Some("male".into())),
                Arg::Int(1),
                Arg::Text(r#"["x","y"]"#.into()),
                Arg::Text("ab".into()),
            ]
        );
    }
}
