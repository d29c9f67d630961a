//! Team pairings (团队带团队): a local team paired with a donor institution's team.

use super::{Collection, Ref};
use crate::record::Table;
use crate::row::row;
use shanhai_domain::capacity::*;

capacity_table!(
    TeamPairings,
    TeamPairing,
    "team_pairings",
    "team_pairing",
    "t.*, i.name AS institution_name, d.name AS donor_institution_name",
    "team_pairings t JOIN institutions i ON i.id = t.institution_id \
     JOIN institutions d ON d.id = t.donor_institution_id",
    "error.conflict"
);

row! {
    read TeamPairing(row) {
        id: text,
        program_id: opt_text,
        institution_id: text,
        institution_name: opt_text,
        department_id: opt_text,
        local_team: text,
        donor_institution_id: text,
        donor_institution_name: opt_text,
        donor_team: text,
        start_date: text,
        end_date: opt_text,
        created_at: text,
        updated_at: text,
    }
    write NewTeamPairing(n) {
        program_id: clone,
        institution_id: clone,
        department_id: clone,
        local_team: clone,
        donor_institution_id: clone,
        donor_team: clone,
        start_date: date,
        end_date: opt_date,
    }
}

impl Collection for TeamPairings {
    type New = NewTeamPairing;
    const SEARCH: &'static [&'static str] = &["t.local_team", "t.donor_team", "d.name"];
    const ORDER: &'static str = "t.start_date DESC, t.id";
    const DATE: &'static str = "t.start_date";

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
