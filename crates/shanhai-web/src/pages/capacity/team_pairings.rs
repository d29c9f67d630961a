//! 团队带团队: the list of team pairings and the form.

use super::*;

pub(super) struct TeamPairingsS;
impl Section for TeamPairingsS {
    type R = TeamPairing;
    type T = TeamPairings;
    type I = TeamPairingInput;
    const PATH: &'static str = "/team-pairings";
    const GROUP: &'static str = "mentorships";
    const TITLE: &'static str = "ui.cap_team_pairings";
    const INTRO: &'static str = "ui.cap_team_pairings_intro";
    const NEW: &'static str = "ui.cap_new_team_pairing";
    const EMPTY: &'static str = "ui.no_results";
    const HEADERS: &'static [&'static str] = &[
        "field.local_team",
        "field.institution_id",
        "field.donor_team",
        "field.donor_institution_id",
        "ui.cap_period",
    ];
    fn row(_c: &Chrome, r: &TeamPairing) -> Vec<Cell> {
        vec![
            cell(r.local_team.clone()),
            opt(&r.institution_name),
            cell(r.donor_team.clone()),
            opt(&r.donor_institution_name),
            cell(period(&r.start_date, &r.end_date)),
        ]
    }
    fn fields(c: &FormCtx) -> Vec<Field> {
        vec![
            text(c, "local_team", true),
            pick(c, "department_id", false, c.department_picks(), ""),
            pick(c, "donor_institution_id", true, c.hospital_picks(), ""),
            text(c, "donor_team", true),
            select(c, "program_id", false, c.program_options()).default(c.default_program()),
            date(c, "start_date", true),
            date(c, "end_date", false),
        ]
    }
    async fn create(db: &Db, who: &Acting, input: &TeamPairingInput) -> ServiceResult<String> {
        let created = service::team_pairings::create(db, who, input).await?;
        Ok(listed_at(Self::PATH, &created.institution_id))
    }
}
