//! 师带徒 mentorships: a mentor's term at a local institution, its apprentices and progress
//! notes, and a program's settings (apprentices per mentor per term, the term's length).

use super::{check_read, parse_into, parsed_change, parsed_for_writing, people_at, writable};
use crate::{AccessFacts, Acting, ServiceResult};
use shanhai_domain::capacity::{
    Apprentice, ApprenticeInput, CapacitySettings, CapacitySettingsInput, Mentorship,
    MentorshipDetail, MentorshipInput, MentorshipSettings, NewMentorship, NoteInput, ProgressNote,
};
use shanhai_domain::registry::Person;
use shanhai_store::capacity::{self as store, CapacityFilter, Mentorships};
use shanhai_store::{Db, Page, PageRequest};

parse_into!(MentorshipInput => NewMentorship);

/// The mentorships the filters select (`person` finds a mentor's), within reach.
pub async fn list(
    db: &Db,
    who: &Acting,
    filter: &CapacityFilter,
    page: PageRequest,
) -> ServiceResult<Page<Mentorship>> {
    super::list::<Mentorships>(db, who, filter, page).await
}

/// A mentorship: a mentor and a term at a local institution. The term ends where the program's
/// settings say unless an earlier end is given.
pub async fn create(db: &Db, who: &Acting, input: &MentorshipInput) -> ServiceResult<Mentorship> {
    let new = parsed_for_writing(db, who, input).await?;
    Ok(store::create_mentorship(db, &who.actor, &new).await?)
}

/// A mentorship with its apprentices and progress notes.
pub async fn get(db: &Db, who: &Acting, id: &str) -> ServiceResult<MentorshipDetail> {
    let detail = store::mentorship_detail(db, id).await?;
    check_read(db, who, &detail.mentorship).await?;
    Ok(detail)
}

/// Changes a mentorship, e.g. to record the end-of-term evaluation.
pub async fn update(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &MentorshipInput,
) -> ServiceResult<Mentorship> {
    let new = parsed_change::<Mentorships>(db, who, id, input).await?;
    Ok(store::update_mentorship(db, &who.actor, id, &new).await?)
}

/// Adds an apprentice (local staff). Refused (conflict) when the mentor already has as many
/// apprentices in the term as the program allows.
pub async fn add_apprentice(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &ApprenticeInput,
) -> ServiceResult<Apprentice> {
    writable::<Mentorships>(db, who, id).await?;
    let new = input.parse()?;
    Ok(store::add_apprentice(db, &who.actor, id, &new).await?)
}

/// Adds a progress note: those who may change the mentorship, and the mentor.
pub async fn add_note(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &NoteInput,
) -> ServiceResult<ProgressNote> {
    let m = store::get::<Mentorships>(db, id).await?;
    let facts = AccessFacts::load(db).await?;
    who.principal.may_note_mentorship(
        facts.access(&who.principal, &m.institution_id),
        m.program_id.as_deref(),
        &m.mentor_id,
        who.person_id.as_deref(),
    )?;
    let (written_on, note) = input.parse()?;
    Ok(store::add_note(db, &who.actor, id, written_on, &note).await?)
}

/// A program's 师带徒 settings, for anyone signed in.
pub async fn settings(db: &Db, program_id: &str) -> ServiceResult<CapacitySettings> {
    Ok(store::get_settings(db, program_id).await?)
}

/// Sets a program's 师带徒 settings (the program's managers).
pub async fn set_settings(
    db: &Db,
    who: &Acting,
    program_id: &str,
    input: &CapacitySettingsInput,
) -> ServiceResult<CapacitySettings> {
    who.principal.may_set_capacity_settings(program_id)?;
    let settings = MentorshipSettings::parse(input.max_apprentices, input.term_months)?;
    Ok(store::set_settings(db, &who.actor, program_id, &settings).await?)
}

/// A mentorship's page: the mentorship, its program's settings, what the viewer may do, and
/// whom they may add as an apprentice.
#[derive(Debug, Clone)]
pub struct MentorshipShown {
    pub detail: MentorshipDetail,
    pub settings: CapacitySettings,
    pub may_write: bool,
    pub may_note: bool,
    /// The institution's staff not yet apprentices (empty unless the viewer may write).
    pub candidates: Vec<Person>,
}

pub async fn shown(db: &Db, who: &Acting, id: &str) -> ServiceResult<MentorshipShown> {
    let detail = store::mentorship_detail(db, id).await?;
    let m = &detail.mentorship;
    let facts = AccessFacts::load(db).await?;
    let access = facts.access(&who.principal, &m.institution_id);
    who.principal.may_read_capacity(access)?;
    let program = m.program_id.as_deref();
    let may_write = who.principal.may_write_capacity(access, program).is_ok();
    let may_note = who
        .principal
        .may_note_mentorship(access, program, &m.mentor_id, who.person_id.as_deref())
        .is_ok();
    let settings = match program {
        Some(p) => store::get_settings(db, p).await?,
        None => CapacitySettings {
            program_id: String::new(),
            max_apprentices: MentorshipSettings::default().max_apprentices,
            term_months: MentorshipSettings::default().term_months,
            customised: false,
        },
    };
    let candidates = if may_write {
        people_at(db, &m.institution_id)
            .await?
            .into_iter()
            .filter(|p| !detail.apprentices.iter().any(|a| a.person_id == p.id))
            .collect()
    } else {
        Vec::new()
    };
    Ok(MentorshipShown {
        detail,
        settings,
        may_write,
        may_note,
        candidates,
    })
}
