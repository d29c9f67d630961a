//! Research outputs: papers, grants, patents…

use super::{Collection, Ref, opt_int};
use crate::Result;
use crate::query::{self, Arg, opt_text, text};
use crate::record::Table;
use shanhai_domain::capacity::*;
use sqlx::any::AnyRow;

capacity_table!(
    ResearchOutputs,
    ResearchOutput,
    "research_outputs",
    "research_output",
    "t.*, i.name AS institution_name, p.name AS person_name",
    "research_outputs t JOIN institutions i ON i.id = t.institution_id JOIN people p ON p.id = t.person_id",
    "error.conflict",
    decode_research
);

fn decode_research(row: &AnyRow) -> Result<ResearchOutput> {
    Ok(ResearchOutput {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        kind: query::code(row, "kind", ResearchKind::parse)?,
        title: text(row, "title")?,
        person_id: text(row, "person_id")?,
        person_name: opt_text(row, "person_name")?,
        venue: opt_text(row, "venue")?,
        dated_on: text(row, "dated_on")?,
        amount_fen: opt_int(row, "amount_fen")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for ResearchOutputs {
    type New = NewResearchOutput;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "kind",
        "title",
        "person_id",
        "venue",
        "dated_on",
        "amount_fen",
    ];
    const SEARCH: &'static [&'static str] = &["t.title", "p.name", "t.venue"];
    const ORDER: &'static str = "t.dated_on DESC, t.id";
    const KIND: Option<&'static str> = Some("t.kind");
    const PERSON: &'static [&'static str] = &["t.person_id"];
    const DATE: &'static str = "t.dated_on";

    fn args(n: &NewResearchOutput) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.kind.code().into(),
            n.title.clone().into(),
            n.person_id.clone().into(),
            n.venue.clone().into(),
            n.dated_on.to_string().into(),
            n.amount_fen.into(),
        ]
    }

    fn refs(n: &NewResearchOutput) -> Vec<Ref<'_>> {
        vec![Ref::PersonAt("person_id", &n.person_id, &n.institution_id)]
    }
}
