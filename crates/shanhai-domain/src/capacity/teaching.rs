//! Teaching activities (教学查房, 学术讲座, 手术示教…) and who attended.

use super::{TITLE_MAX, count};
use crate::validate::{self, code, optional_reference, optional_text, reference, text};
use crate::{Invalid, Problems};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

code_enum! {
    TeachingKind {
        TeachingRound => "teaching-round", "教学查房", "Teaching round";
        Lecture => "lecture", "学术讲座", "Lecture";
        SurgicalDemonstration => "surgical-demonstration", "手术示教", "Surgical demonstration";
        CaseDiscussion => "case-discussion", "病例讨论", "Case discussion";
        Training => "training", "业务培训", "Skills training";
        RemoteTeaching => "remote-teaching", "远程教学", "Remote teaching";
        Competition => "competition", "教学竞赛", "Teaching competition";
        ResearchClinic => "research-clinic", "科研门诊", "Research clinic";
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TeachingActivityInput {
    #[serde(default)]
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    /// The local institution the activity was held for.
    #[schema(format = Uuid)]
    pub institution_id: String,
    #[serde(default)]
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    #[schema(value_type = TeachingKind)]
    pub kind: String,
    #[schema(format = Date)]
    pub held_on: String,
    /// Who led it (usually a visiting expert).
    #[serde(default)]
    #[schema(format = Uuid)]
    pub host_id: Option<String>,
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub online: bool,
    pub topic: String,
    pub duration_minutes: i64,
    /// Head count; at least the number of named attendees.
    #[serde(default)]
    pub attendance: Option<i64>,
    /// Named attendees (people); the activity is credited to each of them.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub attendee_ids: Vec<String>,
    /// The lecture series (云中课堂, 科研门诊…) the activity is a session of.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub series_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTeachingActivity {
    pub program_id: Option<String>,
    pub institution_id: String,
    pub department_id: Option<String>,
    pub kind: TeachingKind,
    pub held_on: NaiveDate,
    pub host_id: Option<String>,
    pub place: Option<String>,
    pub online: bool,
    pub topic: String,
    pub duration_minutes: i64,
    pub attendance: i64,
    pub attendee_ids: Vec<String>,
    pub series_id: Option<String>,
}

impl TeachingActivityInput {
    pub fn parse(&self) -> Result<NewTeachingActivity, Problems> {
        let attendee_ids = || -> Result<Vec<String>, Invalid> {
            let mut attendee_ids = Vec::new();
            for a in &self.attendee_ids {
                let id = reference("attendee_ids", a)?;
                if !attendee_ids.contains(&id) {
                    attendee_ids.push(id);
                }
            }
            if attendee_ids.len() > 2000 {
                return Err(Invalid::new("attendee_ids", "error.attendees_at_most"));
            }
            Ok(attendee_ids)
        };
        crate::every! {
            attendee_ids = attendee_ids(),
            place = optional_text("place", self.place.as_deref(), TITLE_MAX).and_then(|p| {
                if p.is_none() && !self.online {
                    Err(Invalid::new("place", "error.place_or_online"))
                } else {
                    Ok(p)
                }
            }),
            program_id = optional_reference("program_id", self.program_id.as_deref()),
            institution_id = reference("institution_id", &self.institution_id),
            department_id = optional_reference("department_id", self.department_id.as_deref()),
            kind = code("kind", &self.kind, TeachingKind::parse),
            held_on = validate::date("held_on", &self.held_on),
            host_id = optional_reference("host_id", self.host_id.as_deref()),
            topic = text("topic", &self.topic, TITLE_MAX),
            duration_minutes = count("duration_minutes", self.duration_minutes, 24 * 60),
            series_id = optional_reference("series_id", self.series_id.as_deref()),
        }
        let named = attendee_ids.len() as i64;
        let attendance = count("attendance", self.attendance.unwrap_or(named), 100_000)?;
        if attendance < named {
            return Err(Invalid::new("attendance", "error.attendance_below_named").into());
        }
        Ok(NewTeachingActivity {
            program_id,
            institution_id,
            department_id,
            kind,
            held_on,
            host_id,
            place,
            online: self.online,
            topic,
            duration_minutes,
            attendance,
            attendee_ids,
            series_id,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeachingActivity {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub program_id: Option<String>,
    #[schema(format = Uuid)]
    pub institution_id: String,
    pub institution_name: Option<String>,
    #[schema(format = Uuid)]
    pub department_id: Option<String>,
    pub kind: TeachingKind,
    #[schema(format = Date)]
    pub held_on: String,
    #[schema(format = Uuid)]
    pub host_id: Option<String>,
    pub host_name: Option<String>,
    pub place: Option<String>,
    pub online: bool,
    pub topic: String,
    pub duration_minutes: i64,
    pub attendance: i64,
    #[schema(format = Uuid)]
    pub attendee_ids: Vec<String>,
    #[schema(format = Uuid)]
    pub series_id: Option<String>,
    pub series_name: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

scoped!(NewTeachingActivity, TeachingActivity);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_teaching_activity_is_somewhere_and_counts_its_named_attendees() {
        let a = crate::ids::new_id();
        let input = TeachingActivityInput {
            program_id: None,
            institution_id: crate::ids::new_id(),
            department_id: None,
            kind: "teaching-round".into(),
            held_on: "2025-05-06".into(),
            host_id: None,
            place: None,
            online: false,
            topic: "急性胸痛的鉴别诊断".into(),
            duration_minutes: 90,
            attendance: None,
            attendee_ids: vec![a.clone(), a],
            series_id: None,
        };
        assert_eq!(
            input.parse().map_err(|e| e.into_first().key),
            Err("error.place_or_online")
        );
        let online = TeachingActivityInput {
            online: true,
            ..input.clone()
        };
        let parsed = online.parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((parsed.attendance, parsed.attendee_ids.len()), (1, 1));
        let too_few = TeachingActivityInput {
            attendance: Some(0),
            ..online
        };
        assert_eq!(
            too_few.parse().map_err(|e| e.into_first().key),
            Err("error.attendance_below_named")
        );
    }
}
