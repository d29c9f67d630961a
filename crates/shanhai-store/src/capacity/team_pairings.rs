//! Team pairings (团队带团队): a local team paired with a donor institution's team.

use super::{Collection, Ref, date_arg};
use crate::Result;
use crate::query::{Arg, opt_text, text};
use crate::record::Table;
use shanhai_domain::capacity::*;
use sqlx::any::AnyRow;

capacity_table!(
    TeamPairings,
    TeamPairing,
    "team_pairings",
    "team_pairing",
    "t.*, i.name AS institution_name, d.name AS donor_institution_name",
    "team_pairings t JOIN institutions i ON i.id = t.institution_id \
     JOIN institutions d ON d.id = t.donor_institution_id",
    "error.conflict",
    decode_team_pairing
);

fn decode_team_pairing(row: &AnyRow) -> Result<TeamPairing> {
    Ok(TeamPairing {
        id: text(row, "id")?,
        program_id: opt_text(row, "program_id")?,
        institution_id: text(row, "institution_id")?,
        institution_name: opt_text(row, "institution_name")?,
        department_id: opt_text(row, "department_id")?,
        local_team: text(row, "local_team")?,
        donor_institution_id: text(row, "donor_institution_id")?,
        donor_institution_name: opt_text(row, "donor_institution_name")?,
        donor_team: text(row, "donor_team")?,
        start_date: text(row, "start_date")?,
        end_date: opt_text(row, "end_date")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

impl Collection for TeamPairings {
    type New = NewTeamPairing;
    const COLUMNS: &'static [&'static str] = &[
        "program_id",
        "institution_id",
        "department_id",
        "local_team",
        "donor_institution_id",
        "donor_team",
        "start_date",
        "end_date",
    ];
    const SEARCH: &'static [&'static str] = &["t.local_team", "t.donor_team", "d.name"];
    const ORDER: &'static str = "t.start_date DESC, t.id";
    const DATE: &'static str = "t.start_date";

    fn args(n: &NewTeamPairing) -> Vec<Arg> {
        vec![
            n.program_id.clone().into(),
            n.institution_id.clone().into(),
            n.department_id.clone().into(),
            n.local_team.clone().into(),
            n.donor_institution_id.clone().into(),
            n.donor_team.clone().into(),
            n.start_date.to_string().into(),
            date_arg(n.end_date),
        ]
    }

    fn refs(n: &NewTeamPairing) -> Vec<Ref<'_>> {
        let mut refs = vec![Ref::Institution(
            "donor_institution_id",
            &n.donor_institution_id,
        )];
        if let Some(d) = &n.department_id {
            refs.push(Ref::Department("department_id", d, &n.institution_id));
        }
        refs
    }
}
