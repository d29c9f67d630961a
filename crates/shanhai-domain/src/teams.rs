//! Teams (issue 18): a named team of experts — an academician's team (院士团队), a hospital's
//! team-based (组团式) team, a specialty team — from a home institution, serving a host
//! institution, with a leader and members (people, with the days they joined and left), and
//! its visits to the host ("院士团队已累计在包开展工作7次": seven visits of one team).
//!
//! A team's figures count its members' records while they are members (assignments, days
//! served, clinic sessions, workload) and its visits (`team-visits`).

use crate::validate::{self, code, optional_reference, reference, text};
use crate::{Invalid, Problems};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

code_enum! {
    /// What kind of team.
    TeamKind {
        Academician => "academician", "院士团队", "Academician's team";
        TeamBased => "team-based", "组团式帮扶团队", "Team-based support team";
        Specialty => "specialty", "专科团队", "Specialty team";
        Other => "other", "其他团队", "Other team";
    }
}

code_enum! {
    /// A member's part in a team.
    TeamRole {
        Leader => "leader", "团队负责人", "Team leader";
        Member => "member", "团队成员", "Member";
    }
}

/// The longest name of a team.
pub const NAME_MAX: usize = 100;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TeamInput {
    /// The program the team works under (optional).
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    pub name: String,
    /// `academician` | `team-based` | `specialty` | `other`.
    #[schema(value_type = TeamKind)]
    pub kind: String,
    /// The institution the team comes from.
    #[schema(format = Uuid)]
    pub home_institution_id: String,
    /// The institution the team serves (optional).
    #[serde(default)]
    #[schema(format = Uuid)]
    pub host_institution_id: Option<String>,
    /// The leader (a person); made a member when the team is created.
    #[schema(format = Uuid)]
    pub leader_id: String,
    /// `YYYY-MM-DD`
    #[schema(format = Date)]
    pub formed_on: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTeam {
    pub program_id: Option<String>,
    pub name: String,
    pub kind: TeamKind,
    pub home_institution_id: String,
    pub host_institution_id: Option<String>,
    pub leader_id: String,
    pub formed_on: NaiveDate,
    pub note: Option<String>,
}

impl TeamInput {
    /// The team described, or every problem of the input, each at its field.
    pub fn parse(&self) -> Result<NewTeam, Problems> {
        crate::every! {
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            name = text("name", &self.name, NAME_MAX),
            kind = code("kind", &self.kind, TeamKind::parse),
            home_institution_id = reference("home_institution_id", &self.home_institution_id),
            host_institution_id = optional_reference("host_institution_id", self.host_institution_id.as_deref()),
            leader_id = reference("leader_id", &self.leader_id),
            formed_on = validate::date("formed_on", &self.formed_on),
            note = validate::optional_text("note", self.note.as_deref(), 500),
        }
        if host_institution_id.as_deref() == Some(home_institution_id.as_str()) {
            return Err(Invalid::new("host_institution_id", "error.team_host_is_home").into());
        }
        Ok(NewTeam {
            program_id,
            name,
            kind,
            home_institution_id,
            host_institution_id,
            leader_id,
            formed_on,
            note,
        })
    }
}

impl NewTeam {
    /// The institution whose data the team belongs to: the host it serves, else its home.
    pub fn institution_id(&self) -> &str {
        self.host_institution_id
            .as_deref()
            .unwrap_or(&self.home_institution_id)
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Team {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    pub program_name: Option<String>,
    pub name: String,
    pub kind: TeamKind,
    #[schema(format = Uuid)]
    pub home_institution_id: String,
    pub home_institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub host_institution_id: Option<String>,
    pub host_institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub leader_id: String,
    pub leader_name: Option<String>,
    /// The leader's title (a code, e.g. `chief-physician`).
    pub leader_title: Option<String>,
    #[schema(format = Date)]
    pub formed_on: String,
    pub note: Option<String>,
    /// Members now (not left).
    pub member_count: i64,
    pub visit_count: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl Team {
    /// The institution whose data the team belongs to: the host it serves, else its home.
    pub fn institution_id(&self) -> &str {
        self.host_institution_id
            .as_deref()
            .unwrap_or(&self.home_institution_id)
    }
}

/// A team's data belongs to the institution it serves (else its home): whoever may change
/// that institution's capacity records changes the team (the capacity policy).
impl crate::capacity::Scoped for NewTeam {
    fn institution_id(&self) -> &str {
        NewTeam::institution_id(self)
    }
    fn program_id(&self) -> Option<&str> {
        self.program_id.as_deref()
    }
}

impl crate::capacity::Scoped for Team {
    fn institution_id(&self) -> &str {
        Team::institution_id(self)
    }
    fn program_id(&self) -> Option<&str> {
        self.program_id.as_deref()
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TeamMemberInput {
    #[schema(format = Uuid)]
    pub person_id: String,
    /// `leader` | `member` (default `member`).
    #[serde(default)]
    #[schema(value_type = Option<TeamRole>)]
    pub role: Option<String>,
    /// `YYYY-MM-DD`
    #[schema(format = Date)]
    pub joined_on: String,
    /// `YYYY-MM-DD`, on or after `joined_on`; none: still a member.
    #[serde(default)]
    #[schema(format = Date)]
    pub left_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTeamMember {
    pub person_id: String,
    pub role: TeamRole,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
}

impl TeamMemberInput {
    pub fn parse(&self) -> Result<NewTeamMember, Problems> {
        let role = self
            .role
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        crate::every! {
            person_id = reference("person_id", &self.person_id),
            role = match role {
                None => Ok(TeamRole::Member),
                Some(r) => code("role", r, TeamRole::parse),
            },
            joined_on = validate::date("joined_on", &self.joined_on),
            left_on = validate::optional_date("left_on", self.left_on.as_deref()),
        }
        if left_on.is_some_and(|l| l < joined_on) {
            return Err(Invalid::new("left_on", "error.end_before_start").into());
        }
        Ok(NewTeamMember {
            person_id,
            role,
            joined_on,
            left_on,
        })
    }
}

/// A member, shown by name, title and institution.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamMember {
    #[schema(format = Uuid)]
    pub team_id: String,
    #[schema(format = Uuid)]
    pub person_id: String,
    pub person_name: Option<String>,
    /// A code, e.g. `chief-physician`.
    pub person_title: Option<String>,
    pub institution_name: Option<String>,
    pub role: TeamRole,
    #[schema(format = Date)]
    pub joined_on: String,
    #[schema(format = Date)]
    pub left_on: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TeamVisitInput {
    /// Where the team went; default the team's host.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub institution_id: Option<String>,
    /// `YYYY-MM-DD`; the visit counts on this day.
    #[schema(format = Date)]
    pub start_date: String,
    /// `YYYY-MM-DD`, on or after `start_date`.
    #[schema(format = Date)]
    pub end_date: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTeamVisit {
    pub institution_id: Option<String>,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub note: Option<String>,
}

/// The longest visit, in days (a visit is days or weeks; a stay is an assignment).
pub const MAX_VISIT_DAYS: i64 = 92;

impl TeamVisitInput {
    pub fn parse(&self) -> Result<NewTeamVisit, Problems> {
        crate::every! {
            institution_id = optional_reference("institution_id", self.institution_id.as_deref()),
            start_date = validate::date("start_date", &self.start_date),
            end_date = validate::date("end_date", &self.end_date),
            note = validate::optional_text("note", self.note.as_deref(), 500),
        }
        if end_date < start_date {
            return Err(Invalid::new("end_date", "error.end_before_start").into());
        }
        if (end_date - start_date).num_days() >= MAX_VISIT_DAYS {
            return Err(Invalid::new("end_date", "error.team_visit_too_long")
                .with(&[MAX_VISIT_DAYS])
                .into());
        }
        Ok(NewTeamVisit {
            institution_id,
            start_date,
            end_date,
            note,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamVisit {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub team_id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    #[schema(format = Date)]
    pub start_date: String,
    #[schema(format = Date)]
    pub end_date: String,
    pub note: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// A team with its members (those who left too) and its visits, latest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamDetail {
    #[serde(flatten)]
    pub team: Team,
    pub members: Vec<TeamMember>,
    pub visits: Vec<TeamVisit>,
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    const ID: &str = "0190b6a8-5d3c-7a1e-9f00-000000000001";
    const ID2: &str = "0190b6a8-5d3c-7a1e-9f00-000000000002";

    #[test]
    fn a_team_states_every_problem_at_once() {
        let bad = TeamInput {
            program_id: None,
            name: " ".into(),
            kind: "club".into(),
            home_institution_id: "x".into(),
            host_institution_id: None,
            leader_id: "".into(),
            formed_on: "2024-13-01".into(),
            note: None,
        };
        let fields: Vec<String> = bad
            .parse()
            .expect_err("bad")
            .iter()
            .map(|p| p.field.clone())
            .collect();
        for f in [
            "name",
            "kind",
            "home_institution_id",
            "leader_id",
            "formed_on",
        ] {
            assert!(fields.iter().any(|x| x == f), "{f}: {fields:?}");
        }
        let good = TeamInput {
            name: "张志愿院士团队".into(),
            kind: "academician".into(),
            home_institution_id: ID.into(),
            host_institution_id: Some(ID2.into()),
            leader_id: ID.into(),
            formed_on: "2024-08-01".into(),
            ..bad
        };
        let t = good.parse().expect("good");
        assert_eq!(t.institution_id(), ID2);
        assert_eq!(t.kind, TeamKind::Academician);
    }

    #[test]
    fn a_visit_ends_after_it_starts_and_a_member_leaves_after_joining() {
        let v = TeamVisitInput {
            institution_id: None,
            start_date: "2025-06-25".into(),
            end_date: "2025-06-20".into(),
            note: None,
        };
        assert!(v.parse().is_err());
        let m = TeamMemberInput {
            person_id: ID.into(),
            role: None,
            joined_on: "2025-01-01".into(),
            left_on: Some("2024-12-31".into()),
        };
        assert!(m.parse().is_err());
        let m = TeamMemberInput { left_on: None, ..m };
        assert_eq!(m.parse().expect("member").role, TeamRole::Member);
    }
}
