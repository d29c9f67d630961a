//! Research outputs: papers, grants, patents…

use super::{Collection, Ref};
use crate::record::Table;
use crate::row::row;
use shanhai_domain::capacity::*;

capacity_table!(
    ResearchOutputs,
    ResearchOutput,
    "research_outputs",
    "research_output",
    "t.*, i.name AS institution_name, p.name AS person_name",
    "research_outputs t JOIN institutions i ON i.id = t.institution_id JOIN people p ON p.id = t.person_id",
    "error.conflict"
);

row! {
    read ResearchOutput(row) {
        id: text,
        program_id: opt_text,
        institution_id: text,
        institution_name: opt_text,
        kind: code(ResearchKind::parse),
        title: text,
        person_id: text,
        person_name: opt_text,
        venue: opt_text,
        dated_on: text,
        amount_fen: opt_int,
        created_at: text,
        updated_at: text,
    }
    write NewResearchOutput(n) {
        program_id: clone,
        institution_id: clone,
        kind: code,
        title: clone,
        person_id: clone,
        venue: clone,
        dated_on: date,
        amount_fen: copy,
    }
}

impl Collection for ResearchOutputs {
    type New = NewResearchOutput;
    const SEARCH: &'static [&'static str] = &["t.title", "p.name", "t.venue"];
    const ORDER: &'static str = "t.dated_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.kind");
    const PERSON: &'static [&'static str] = &["t.person_id"];
    const DATE: &'static str = "t.dated_on";

    fn refs(n: &NewResearchOutput) -> Vec<Ref<'_>> {
        vec![Ref::PersonAt("person_id", &n.person_id, &n.institution_id)]
    }
}
