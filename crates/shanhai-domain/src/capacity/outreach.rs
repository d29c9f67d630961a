//! Outreach events (义诊, 巡回诊疗, 健康讲座/科普, 筛查): a day's work of a team out among the
//! people — where (a village, township, school, community or hospital, with its GB/T 2260
//! region), for which local institution it counts, who went (the dispatched experts by name and
//! the number of local staff), what it produced (people served, screenings, referrals) and, for
//! 两次下沉, the chain of institutions the experts came down: donor → regional centre → place.

use super::{NOTE_MAX, TITLE_MAX, count};
use crate::registry::RegionCode;
use crate::validate::{self, code, optional_reference, optional_text, reference, text};
use crate::{Invalid, Problems};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

code_enum! {
    OutreachKind {
        FreeClinic => "free-clinic", "义诊", "Free clinic";
        Circuit => "circuit", "巡回诊疗", "Circuit clinic";
        HealthTalk => "health-talk", "健康讲座/科普", "Health talk";
        Screening => "screening", "筛查", "Screening";
    }
}

code_enum! {
    PlaceKind {
        Village => "village", "村", "Village";
        Township => "township", "乡镇", "Township";
        School => "school", "学校", "School";
        Community => "community", "社区", "Community";
        Hospital => "hospital", "医院", "Hospital";
    }
}

/// The most people one event may record as served, and the most experts named on it.
pub const PEOPLE_MAX: i64 = 1_000_000;
pub const EXPERTS_MAX: usize = 200;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct OutreachEventInput {
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    /// The local institution the event counts at.
    #[schema(format = Uuid)]
    pub institution_id: String,
    /// `free-clinic` 义诊, `circuit` 巡回诊疗, `health-talk` 健康讲座/科普, `screening` 筛查.
    #[schema(value_type = OutreachKind)]
    pub kind: String,
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub held_on: String,
    /// A name for the event, e.g. 情系彝蒙·健康彝良.
    #[serde(default)]
    pub title: Option<String>,
    /// `village`, `township`, `school`, `community` or `hospital`.
    #[schema(value_type = PlaceKind)]
    pub place_kind: String,
    pub place_name: String,
    /// The place's GB/T 2260 region (6 or 9 digits), one of the regions table.
    pub region_code: String,
    /// 两次下沉: the hospital the experts come from…
    #[serde(default)]
    #[schema(format = Uuid)]
    pub donor_institution_id: Option<String>,
    /// …and the regional centre they come down through.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub via_institution_id: Option<String>,
    /// People served (人次).
    pub people_served: i64,
    #[serde(default)]
    pub screenings: i64,
    /// Referrals the event produced.
    #[serde(default)]
    pub referrals: i64,
    /// Local staff taking part (a number).
    #[serde(default)]
    pub local_staff: i64,
    /// The dispatched experts who went (people ids).
    #[serde(default)]
    #[schema(format = Uuid)]
    pub expert_ids: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewOutreachEvent {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub kind: OutreachKind,
    pub held_on: NaiveDate,
    pub title: Option<String>,
    pub place_kind: PlaceKind,
    pub place_name: String,
    pub region_code: String,
    pub donor_institution_id: Option<String>,
    pub via_institution_id: Option<String>,
    pub people_served: i64,
    pub screenings: i64,
    pub referrals: i64,
    pub local_staff: i64,
    pub expert_ids: Vec<String>,
    pub note: Option<String>,
}

impl OutreachEventInput {
    /// The event, or every problem of the input, each at its field.
    pub fn parse(&self) -> Result<NewOutreachEvent, Problems> {
        let expert_ids = || -> Result<Vec<String>, Invalid> {
            let mut ids = Vec::new();
            for e in &self.expert_ids {
                let id = reference("expert_ids", e)?;
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            if ids.len() > EXPERTS_MAX {
                return Err(Invalid::new("expert_ids", "error.count_between")
                    .with(&[0, EXPERTS_MAX as i64]));
            }
            Ok(ids)
        };
        let donor =
            optional_reference("donor_institution_id", self.donor_institution_id.as_deref());
        let via = optional_reference("via_institution_id", self.via_institution_id.as_deref())
            .and_then(|v| {
                if v.is_some() && matches!(donor, Ok(None)) {
                    Err(Invalid::new(
                        "donor_institution_id",
                        "error.outreach_via_needs_donor",
                    ))
                } else {
                    Ok(v)
                }
            });
        crate::every! {
            kind = code("kind", &self.kind, OutreachKind::parse),
            held_on = validate::date("held_on", &self.held_on),
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            institution_id = reference("institution_id", &self.institution_id),
            title = optional_text("title", self.title.as_deref(), TITLE_MAX),
            place_kind = code("place_kind", &self.place_kind, PlaceKind::parse),
            place_name = text("place_name", &self.place_name, TITLE_MAX),
            region_code = RegionCode::parse("region_code", &self.region_code),
            donor_institution_id = donor,
            via_institution_id = via,
            people_served = count("people_served", self.people_served, PEOPLE_MAX),
            screenings = count("screenings", self.screenings, PEOPLE_MAX),
            referrals = count("referrals", self.referrals, PEOPLE_MAX),
            local_staff = count("local_staff", self.local_staff, 10_000),
            expert_ids = expert_ids(),
            note = optional_text("note", self.note.as_deref(), NOTE_MAX),
        }
        let mut problems = Problems::new();
        if screenings > people_served {
            problems.push(Invalid::new("screenings", "error.outreach_above_served"));
        }
        if referrals > people_served {
            problems.push(Invalid::new("referrals", "error.outreach_above_served"));
        }
        if via_institution_id.is_some() && via_institution_id == donor_institution_id {
            problems.push(Invalid::new(
                "via_institution_id",
                "error.outreach_via_is_donor",
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(NewOutreachEvent {
            program_id,
            institution_id,
            kind,
            held_on,
            title,
            place_kind,
            place_name,
            region_code: region_code.as_str().to_string(),
            donor_institution_id,
            via_institution_id,
            people_served,
            screenings,
            referrals,
            local_staff,
            expert_ids,
            note,
        })
    }
}

/// An expert who went, by name, title and institution.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutreachExpert {
    #[schema(format = Uuid)]
    pub person_id: String,
    pub name: String,
    /// The title's code (`chief-physician`…); pages show its label.
    pub title: String,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutreachEvent {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    pub kind: OutreachKind,
    #[schema(format = Date)]
    pub held_on: String,
    pub title: Option<String>,
    pub place_kind: PlaceKind,
    pub place_name: String,
    pub region_code: String,
    pub region_name: Option<String>,
    #[schema(format = Uuid)]
    pub donor_institution_id: Option<String>,
    pub donor_institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub via_institution_id: Option<String>,
    pub via_institution_name: Option<String>,
    pub people_served: i64,
    pub screenings: i64,
    pub referrals: i64,
    pub local_staff: i64,
    /// The dispatched experts who went (filled in by the store after the row is read).
    pub experts: Vec<OutreachExpert>,
    pub note: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl OutreachEvent {
    /// The 两次下沉 chain as names: donor → via → place (those present), e.g.
    /// 北京大学肿瘤医院 → 北京大学肿瘤医院内蒙古医院 → 伍什家乡镇卫生院 / 托克托县.
    pub fn chain(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(d) = &self.donor_institution_name {
            out.push(d.clone());
        }
        if let Some(v) = &self.via_institution_name {
            out.push(v.clone());
        }
        let place = match &self.region_name {
            Some(r) => format!("{} / {r}", self.place_name),
            None => self.place_name.clone(),
        };
        out.push(place);
        out
    }
}

scoped!(NewOutreachEvent, OutreachEvent);

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> OutreachEventInput {
        OutreachEventInput {
            program_id: None,
            institution_id: crate::ids::new_id(),
            kind: "free-clinic".into(),
            held_on: "2025-04-16".into(),
            title: None,
            place_kind: "township".into(),
            place_name: "伍什家乡镇卫生院".into(),
            region_code: "150122".into(),
            donor_institution_id: Some(crate::ids::new_id()),
            via_institution_id: Some(crate::ids::new_id()),
            people_served: 300,
            screenings: 40,
            referrals: 3,
            local_staff: 6,
            expert_ids: vec![],
            note: None,
        }
    }

    #[test]
    fn an_outreach_event_parses_and_states_every_problem_at_once() {
        let ok = input().parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (ok.kind, ok.place_kind),
            (OutreachKind::FreeClinic, PlaceKind::Township)
        );
        let bad = OutreachEventInput {
            kind: "party".into(),
            held_on: "2025-13-01".into(),
            place_kind: "moon".into(),
            place_name: " ".into(),
            region_code: "12".into(),
            people_served: -1,
            ..input()
        };
        let fields: Vec<String> = bad
            .parse()
            .err()
            .map(|p| p.iter().map(|i| i.field.clone()).collect())
            .unwrap_or_default();
        for f in [
            "kind",
            "held_on",
            "place_kind",
            "place_name",
            "region_code",
            "people_served",
        ] {
            assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
        }
        let above = OutreachEventInput {
            screenings: 400,
            referrals: 500,
            ..input()
        };
        assert_eq!(above.parse().err().map(|p| p.iter().count()), Some(2));
        let via_alone = OutreachEventInput {
            donor_institution_id: None,
            ..input()
        };
        assert_eq!(
            via_alone.parse().map_err(|e| e.into_first().key),
            Err("error.outreach_via_needs_donor")
        );
    }
}
