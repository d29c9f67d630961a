//! Management regulations adopted by an institution.

use super::{Collection, Ref};
use crate::record::Table;
use crate::row::row;
use shanhai_domain::capacity::*;

capacity_table!(
    Regulations,
    Regulation,
    "regulations",
    "regulation",
    "t.*, i.name AS institution_name",
    "regulations t JOIN institutions i ON i.id = t.institution_id",
    "error.conflict"
);

row! {
    read Regulation(row) {
        id: text,
        program_id: opt_text,
        institution_id: text,
        institution_name: opt_text,
        title: text,
        area: text,
        adopted_on: text,
        created_at: text,
        updated_at: text,
    }
    write NewRegulation(n) {
        program_id: clone,
        institution_id: clone,
        title: clone,
        area: clone,
        adopted_on: date,
    }
}

impl Collection for Regulations {
    type New = NewRegulation;
    const SEARCH: &'static [&'static str] = &["t.title", "t.area"];
    const ORDER: &'static str = "t.adopted_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.area");
    const DATE: &'static str = "t.adopted_on";

    fn refs(_: &NewRegulation) -> Vec<Ref<'_>> {
        Vec::new()
    }
}
