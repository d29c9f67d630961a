//! Management regulations adopted by an institution.

use super::{Collection, Ref};
use crate::Result;
use crate::query::{Arg, opt_text, text};
use crate::record::Table;
use shanhai_domain::capacity::*;
use sqlx::any::AnyRow;

capacity_table!(
    Regulations,
    Regulation,
    "regulations",
    "regulation",
    "t.*, i.name AS institution_name",
    "regulations t JOIN institutions i ON i.id = t.institution_id",
    "error.conflict",
    decode_regulation
);

fn decode_regulation(row: &AnyRow) -> Result<Regulation> {
    Ok(Regulation {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        title: text(row, "title")?,
        area: text(row, "area")?,
        adopted_on: text(row, "adopted_on")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for Regulations {
    type New = NewRegulation;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "title",
        "area",
        "adopted_on",
    ];
    const SEARCH: &'static [&'static str] = &["t.title", "t.area"];
    const ORDER: &'static str = "t.adopted_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.area");
    const DATE: &'static str = "t.adopted_on";

    fn args(n: &NewRegulation) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.title.clone().into(),
            n.area.clone().into(),
            n.adopted_on.to_string().into(),
        ]
    }

    fn refs(_: &NewRegulation) -> Vec<Ref<'_>> {
        Vec::new()
    }
}
