//! Needs posted for a recipient institution or department: one post to fill (a specialty, a
//! mode, a window, a minimum stay, the post and the least title, a priority), optionally one
//! part of a 组团式 team (needs sharing a team name at one institution, exactly one of them the
//! leader's).
//!
//! Stored in `needs` (migration 0029): `weekdays` is a JSON list of ISO weekdays (1 = Monday)
//! for `weekly` needs and NULL otherwise; `mode`, `post`, `min_title`, `team_role` and `status`
//! are the codes of [`AssignmentMode`], [`Post`], [`Title`], [`TeamRole`] and [`NeedStatus`].

use crate::codes::Title;
use crate::dispatch::{AssignmentMode, Post, Weekdays};
use crate::validate::{self, code, optional_reference, optional_text, reference};
use crate::{Invalid, Problems};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest team name and note.
pub const TEAM_NAME_MAX: usize = 100;
pub const NOTE_MAX: usize = 2000;

code_enum! {
    /// A need's place in its 组团式 team.
    TeamRole {
        Leader => "leader", "团队负责人", "Team leader";
        Member => "member", "团队成员", "Team member";
    }
}

code_enum! {
    /// Whether a need is still to be filled.
    NeedStatus {
        Open => "open", "待派", "Open";
        Withdrawn => "withdrawn", "已撤回", "Withdrawn";
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NeedInput {
    #[schema(format = Uuid)]
    pub program_id: String,
    /// The dispatch scheme (派驻方式) the need belongs to.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub scheme_id: Option<String>,
    /// The recipient institution.
    #[schema(format = Uuid)]
    pub institution_id: String,
    /// A department of that institution.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    /// A 诊疗科目 code such as `03.04`.
    pub specialty_code: String,
    #[schema(value_type = AssignmentMode)]
    pub mode: String,
    /// ISO weekdays (1 = Monday … 7 = Sunday) for `weekly` needs.
    #[serde(default)]
    pub weekdays: Vec<i64>,
    /// Earliest start (`YYYY-MM-DD`).
    #[schema(format = Date)]
    pub start_date: String,
    /// Latest end (`YYYY-MM-DD`).
    #[schema(format = Date)]
    pub end_date: String,
    /// The shortest stay that serves the need, in days.
    pub min_stay_days: i64,
    #[schema(value_type = Post)]
    pub post: String,
    /// The least professional title.
    #[serde(default)]
    #[schema(value_type = Option<Title>)]
    pub min_title: Option<String>,
    /// 1 (lowest) … 5 (highest).
    pub priority: i64,
    /// The 组团式 team this need is part of (with `team_role`).
    #[serde(default)]
    pub team_name: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<TeamRole>)]
    pub team_role: Option<String>,
    /// `open` (default) or `withdrawn`.
    #[serde(default)]
    #[schema(value_type = Option<NeedStatus>)]
    pub status: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewNeed {
    pub program_id: String,
    pub scheme_id: Option<String>,
    pub institution_id: String,
    pub department_id: Option<String>,
    pub specialty_code: String,
    pub mode: AssignmentMode,
    /// `None` unless the mode is weekly.
    pub weekdays: Option<Weekdays>,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub min_stay_days: i64,
    pub post: Post,
    pub min_title: Option<Title>,
    pub priority: i64,
    pub team_name: Option<String>,
    pub team_role: Option<TeamRole>,
    pub status: NeedStatus,
    pub note: Option<String>,
}

/// A specialty code of the national list.
pub fn specialty(field: &str, value: &str) -> Result<String, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Invalid::new(field, "error.choose_one"));
    }
    crate::specialty::find(value)
        .map(|s| s.code.clone())
        .ok_or_else(|| Invalid::new(field, "error.unknown_specialty"))
}

fn optional_code<T>(
    field: &str,
    value: Option<&str>,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, Invalid> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => code(field, v, parse).map(Some),
    }
}

/// Days from `start` to `end`, both included.
pub fn days_between(start: NaiveDate, end: NaiveDate) -> i64 {
    (end - start).num_days() + 1
}

impl NeedInput {
    /// The need described, or every problem of the input, each at its field.
    pub fn parse(&self) -> Result<NewNeed, Problems> {
        let mut p = Problems::new();
        let program_id = p.take(reference("program_id", &self.program_id));
        let scheme_id = p.take(optional_reference("scheme_id", self.scheme_id.as_deref()));
        let institution_id = p.take(reference("institution_id", &self.institution_id));
        let department_id = p.take(optional_reference(
            "department_id",
            self.department_id.as_deref(),
        ));
        let specialty_code = p.take(specialty("specialty_code", &self.specialty_code));
        let mode = p.take(code("mode", &self.mode, AssignmentMode::parse));
        let start_date = p.take(validate::date("start_date", &self.start_date));
        let end_date = p.take(validate::date("end_date", &self.end_date));
        let post = p.take(code("post", &self.post, Post::parse));
        let min_title = p.take(optional_code(
            "min_title",
            self.min_title.as_deref(),
            Title::parse,
        ));
        let priority = p.take(if (1..=5).contains(&self.priority) {
            Ok(self.priority)
        } else {
            Err(Invalid::new("priority", "error.count_between").with(&[1, 5]))
        });
        let team_name = p.take(optional_text(
            "team_name",
            self.team_name.as_deref(),
            TEAM_NAME_MAX,
        ));
        let team_role = p.take(optional_code(
            "team_role",
            self.team_role.as_deref(),
            TeamRole::parse,
        ));
        let status = p.take(
            optional_code("status", self.status.as_deref(), NeedStatus::parse)
                .map(|s| s.unwrap_or(NeedStatus::Open)),
        );
        let note = p.take(optional_text("note", self.note.as_deref(), NOTE_MAX));
        // Rules across fields, each reported at the field it is about.
        let weekdays = match mode {
            Some(AssignmentMode::Weekly) => p.take(Weekdays::parse(&self.weekdays).and_then(|w| {
                if w.is_empty() {
                    Err(Invalid::new("weekdays", "error.weekdays_required"))
                } else {
                    Ok(Some(w))
                }
            })),
            _ => Some(None),
        };
        if let (Some(s), Some(e)) = (start_date, end_date)
            && e < s
        {
            p.push(Invalid::new("end_date", "error.end_before_start"));
        }
        let min_stay_days = if self.min_stay_days < 1 {
            p.push(Invalid::new("min_stay_days", "error.min_stay_at_least_one"));
            None
        } else if let (Some(s), Some(e)) = (start_date, end_date)
            && e >= s
            && self.min_stay_days > days_between(s, e)
        {
            p.push(Invalid::new(
                "min_stay_days",
                "error.min_stay_longer_than_window",
            ));
            None
        } else {
            Some(self.min_stay_days)
        };
        if let (Some(name), Some(role)) = (&team_name, &team_role) {
            match (name, role) {
                (Some(_), None) => p.push(Invalid::new("team_role", "error.team_role_required")),
                (None, Some(_)) => p.push(Invalid::new("team_name", "error.team_name_required")),
                _ => {}
            }
        }
        p.finish()?;
        let (
            Some(program_id),
            Some(scheme_id),
            Some(institution_id),
            Some(department_id),
            Some(specialty_code),
            Some(mode),
            Some(weekdays),
            Some(start_date),
            Some(end_date),
            Some(min_stay_days),
            Some(post),
            Some(min_title),
            Some(priority),
            Some(team_name),
            Some(team_role),
            Some(status),
            Some(note),
        ) = (
            program_id,
            scheme_id,
            institution_id,
            department_id,
            specialty_code,
            mode,
            weekdays,
            start_date,
            end_date,
            min_stay_days,
            post,
            min_title,
            priority,
            team_name,
            team_role,
            status,
            note,
        )
        else {
            return Err(Invalid::new("", "error.required").into());
        };
        Ok(NewNeed {
            program_id,
            scheme_id,
            institution_id,
            department_id,
            specialty_code,
            mode,
            weekdays,
            start_date,
            end_date,
            min_stay_days,
            post,
            min_title,
            priority,
            team_name,
            team_role,
            status,
            note,
        })
    }
}

/// A need as read, with the names and labels a page shows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Need {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: String,
    pub program_name: Option<String>,
    #[schema(format = Uuid)]
    pub scheme_id: Option<String>,
    pub scheme_name: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    pub department_name: Option<String>,
    pub specialty_code: String,
    /// The specialty's name (Chinese).
    pub specialty_name: Option<String>,
    /// The specialty's name in English.
    pub specialty_name_en: Option<String>,
    pub mode: AssignmentMode,
    pub weekdays: Vec<i64>,
    #[schema(format = Date)]
    pub start_date: String,
    #[schema(format = Date)]
    pub end_date: String,
    pub min_stay_days: i64,
    pub post: Post,
    pub min_title: Option<Title>,
    pub priority: i64,
    pub team_name: Option<String>,
    pub team_role: Option<TeamRole>,
    pub status: NeedStatus,
    pub note: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl Need {
    /// The specialty's name in a language (its code when the list does not know it).
    pub fn specialty_label(&self, lang: impl std::borrow::Borrow<crate::Lang>) -> String {
        let lang = *lang.borrow();
        let name = match lang {
            crate::Lang::Zh => self.specialty_name.as_deref(),
            crate::Lang::En => self.specialty_name_en.as_deref(),
        };
        name.unwrap_or(&self.specialty_code).to_string()
    }
}

/// The text of a team name check: one leader per team at an institution in a program.
pub fn one_leader(existing_leaders: usize) -> Result<(), Invalid> {
    if existing_leaders > 0 {
        Err(Invalid::new("team_role", "error.team_has_leader"))
    } else {
        Ok(())
    }
}

/// A program's planning rules as written (`PUT /api/v1/programs/{id}/planning-rules`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PlanningRulesInput {
    /// Free days between two stints of one expert (0–90, default 14).
    pub rest_days: i64,
    /// Whether an expert's title must meet the need's least title (default true).
    #[serde(default = "yes")]
    pub check_title: bool,
    /// Whether a team member's stay lies inside the leader's (default true).
    #[serde(default = "yes")]
    pub team_within_leader: bool,
    /// Whether consecutive stints of different experts may fill one need (default true).
    #[serde(default = "yes")]
    pub split_needs: bool,
}

fn yes() -> bool {
    true
}

/// A program's planning rules; the defaults while the program has set none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PlanningRules {
    #[schema(format = Uuid)]
    pub program_id: String,
    pub rest_days: i64,
    pub check_title: bool,
    pub team_within_leader: bool,
    pub split_needs: bool,
    /// False while the program uses the defaults.
    pub customised: bool,
}

impl PlanningRules {
    pub const DEFAULT_REST_DAYS: i64 = 14;

    pub fn defaults(program_id: &str) -> PlanningRules {
        PlanningRules {
            program_id: program_id.to_string(),
            rest_days: Self::DEFAULT_REST_DAYS,
            check_title: true,
            team_within_leader: true,
            split_needs: true,
            customised: false,
        }
    }
}

impl PlanningRulesInput {
    pub fn parse(&self, program_id: &str) -> Result<PlanningRules, Problems> {
        if !(0..=90).contains(&self.rest_days) {
            return Err(Invalid::new("rest_days", "error.count_between")
                .with(&[0, 90])
                .into());
        }
        Ok(PlanningRules {
            program_id: program_id.to_string(),
            rest_days: self.rest_days,
            check_title: self.check_title,
            team_within_leader: self.team_within_leader,
            split_needs: self.split_needs,
            customised: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{PairingLink, Principal};

    fn input() -> NeedInput {
        NeedInput {
            program_id: crate::ids::new_id(),
            scheme_id: None,
            institution_id: crate::ids::new_id(),
            department_id: None,
            specialty_code: "03.04".into(),
            mode: "stationed".into(),
            weekdays: vec![],
            start_date: "2027-03-01".into(),
            end_date: "2027-08-31".into(),
            min_stay_days: 90,
            post: "department-head".into(),
            min_title: Some("associate-chief-physician".into()),
            priority: 4,
            team_name: None,
            team_role: None,
            status: None,
            note: None,
        }
    }

    fn fields(e: Problems) -> Vec<(String, &'static str)> {
        e.into_iter().map(|i| (i.field, i.key)).collect()
    }

    #[test]
    fn a_good_need_parses() {
        let n = input().parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(n.mode, AssignmentMode::Stationed);
        assert_eq!(n.weekdays, None);
        assert_eq!(n.status, NeedStatus::Open);
    }

    #[test]
    fn every_problem_is_found_at_once() {
        let mut i = input();
        i.program_id = String::new();
        i.specialty_code = "99.99".into();
        i.mode = "weekly".into();
        i.end_date = "2027-02-01".into();
        i.min_stay_days = 0;
        i.priority = 6;
        i.team_name = Some("第一组".into());
        i.min_title = Some("boss".into());
        let e = i.parse().err().map(fields).unwrap_or_default();
        for (field, key) in [
            ("program_id", "error.choose_one"),
            ("specialty_code", "error.unknown_specialty"),
            ("weekdays", "error.weekdays_required"),
            ("end_date", "error.end_before_start"),
            ("min_stay_days", "error.min_stay_at_least_one"),
            ("priority", "error.count_between"),
            ("team_role", "error.team_role_required"),
            ("min_title", "error.unknown_code"),
        ] {
            assert!(
                e.contains(&(field.to_string(), key)),
                "{field} {key} in {e:?}"
            );
        }
    }

    #[test]
    fn the_minimum_stay_fits_in_the_window() {
        let mut i = input();
        i.min_stay_days = 185;
        assert_eq!(
            i.parse().err().map(fields),
            Some(vec![(
                "min_stay_days".to_string(),
                "error.min_stay_longer_than_window"
            )])
        );
        i.min_stay_days = 184;
        assert!(i.parse().is_ok());
    }

    #[test]
    fn team_name_and_role_come_together() {
        let mut i = input();
        i.team_role = Some("leader".into());
        assert_eq!(
            i.parse().err().map(fields),
            Some(vec![("team_name".to_string(), "error.team_name_required")])
        );
        i.team_name = Some("组团一队".into());
        assert!(i.parse().is_ok());
        assert!(one_leader(1).is_err() && one_leader(0).is_ok());
    }

    fn who(role: crate::codes::Role, program: Option<&str>, inst: Option<&str>) -> Principal {
        Principal {
            user_id: "u".into(),
            username: "u".into(),
            role,
            program_id: program.map(str::to_string),
            institution_id: inst.map(str::to_string),
        }
    }

    fn links() -> Vec<PairingLink> {
        vec![PairingLink {
            program_id: "A".into(),
            donor_id: "D".into(),
            recipient_id: "R".into(),
            donor_access: crate::codes::DonorAccess::Read,
            active: true,
        }]
    }

    #[test]
    fn needs_are_written_by_the_recipient_side_and_the_office_and_read_by_the_donor_side() {
        use crate::codes::Role::*;
        let l = links();
        let write = |p: Principal| p.may_write_need("A", "R", &l).is_ok();
        let read = |p: Principal| p.may_read_need("A", "R", &l).is_ok();
        assert!(write(who(PlatformAdmin, None, None)));
        assert!(write(who(ProgramOffice, Some("A"), None)));
        assert!(!write(who(ProgramOffice, Some("B"), None)));
        assert!(write(who(Coordinator, None, Some("R"))));
        assert!(!write(who(Coordinator, None, Some("D"))));
        assert!(!write(who(Expert, None, Some("R"))));
        assert!(read(who(Coordinator, None, Some("D"))));
        assert!(read(who(Expert, None, Some("D"))));
        assert!(!read(who(Clinician, None, Some("D"))));
        assert!(!read(who(Coordinator, None, Some("U"))));
        assert!(!read(who(ProgramOffice, Some("B"), None)));
    }

    #[test]
    fn availability_is_written_by_the_donor_side_and_the_expert_for_themself() {
        use crate::codes::Role::*;
        let l = links();
        let write =
            |p: Principal, me: Option<&str>| p.may_write_availability("P", "D", me, &l).is_ok();
        assert!(write(who(PlatformAdmin, None, None), None));
        assert!(write(who(ProgramOffice, Some("A"), None), None));
        assert!(!write(who(ProgramOffice, Some("B"), None), None));
        assert!(write(who(Coordinator, None, Some("D")), None));
        assert!(!write(who(Coordinator, None, Some("R")), None));
        assert!(write(who(Expert, None, Some("D")), Some("P")));
        assert!(!write(who(Expert, None, Some("D")), Some("Q")));
        assert!(!write(who(Clinician, None, Some("D")), Some("P")));
    }

    #[test]
    fn rules_default_and_range() {
        let d = PlanningRules::defaults("p");
        assert_eq!(d.rest_days, 14);
        assert!(d.check_title && d.team_within_leader && d.split_needs && !d.customised);
        let bad = PlanningRulesInput {
            rest_days: 91,
            check_title: true,
            team_within_leader: true,
            split_needs: true,
        };
        assert!(bad.parse("p").is_err());
    }
}
