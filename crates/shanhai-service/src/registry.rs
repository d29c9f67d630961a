//! The registry's programs and pairings: setting up a program, changing it, pairing a donor with
//! a recipient. Who may is the domain's policy (`Principal::may_create_pairing`,
//! `may_change_pairing`, `may_change_program`).

use crate::{AccessFacts, Acting, ServiceError, ServiceResult};
use shanhai_domain::access::PairingSides;
use shanhai_domain::codes::Role;
use shanhai_domain::registry::{NewPairing, Pairing, PairingInput, Program, ProgramInput};
use shanhai_store::{Db, pairings, programs};

fn sides(p: &NewPairing) -> PairingSides<'_> {
    PairingSides {
        program_id: &p.program_id,
        donor_id: &p.donor_id,
        recipient_id: &p.recipient_id,
    }
}

/// Refuses unless the caller sets up programs (the platform admin).
pub fn may_create_program(who: &Acting) -> ServiceResult<()> {
    if who.principal.is_admin() {
        Ok(())
    } else {
        Err(ServiceError::forbidden())
    }
}

/// Sets up a program.
pub async fn create_program(db: &Db, who: &Acting, input: &ProgramInput) -> ServiceResult<Program> {
    may_create_program(who)?;
    let new = input.parse()?;
    Ok(programs::create(db, &who.actor, &new).await?)
}

/// Refuses unless the caller manages the program (asked before the input is read).
pub async fn may_manage_program(db: &Db, who: &Acting, id: &str) -> ServiceResult<Program> {
    let program = programs::get(db, id).await?;
    if who.principal.can_manage_program(id) {
        Ok(program)
    } else {
        Err(ServiceError::forbidden())
    }
}

/// Changes a program (platform admin, the program's office; an office names as its office
/// institution none or one already in the program, since it reaches that institution).
pub async fn update_program(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &ProgramInput,
) -> ServiceResult<Program> {
    may_manage_program(db, who, id).await?;
    let new = input.parse()?;
    let facts = AccessFacts::load(db).await?;
    who.principal.may_change_program(
        id,
        new.office_institution_id.as_deref(),
        &facts.links,
        &facts.programs,
    )?;
    Ok(programs::update(db, &who.actor, id, &new).await?)
}

/// Refuses unless the caller's role pairs institutions at all (the platform admin, offices).
pub fn may_pair(who: &Acting) -> ServiceResult<()> {
    if matches!(
        who.principal.role,
        Role::PlatformAdmin | Role::ProgramOffice
    ) {
        Ok(())
    } else {
        Err(ServiceError::forbidden())
    }
}

/// Pairs a donor with a recipient in a program: the platform admin any two institutions; the
/// program's office two already in its program — a new institution needs the platform admin.
pub async fn create_pairing(db: &Db, who: &Acting, input: &PairingInput) -> ServiceResult<Pairing> {
    may_pair(who)?;
    let new = input.parse()?;
    let facts = AccessFacts::load(db).await?;
    who.principal
        .may_create_pairing(sides(&new), &facts.links, &facts.programs)?;
    Ok(pairings::create(db, &who.actor, &new).await?)
}

/// Refuses unless the caller manages the pairing's program (asked before the input is read).
pub async fn may_change_pairing(db: &Db, who: &Acting, id: &str) -> ServiceResult<Pairing> {
    let before = pairings::get(db, id).await?;
    if who.principal.can_manage_program(&before.program_id) {
        Ok(before)
    } else {
        Err(ServiceError::forbidden())
    }
}

/// Changes a pairing: the platform admin any; the program's office one of its program's when
/// the pairing as it was and as it becomes join institutions already in the program.
pub async fn update_pairing(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &PairingInput,
) -> ServiceResult<Pairing> {
    let before = may_change_pairing(db, who, id).await?;
    let new = input.parse()?;
    let facts = AccessFacts::load(db).await?;
    let was = PairingSides {
        program_id: &before.program_id,
        donor_id: &before.donor_id,
        recipient_id: &before.recipient_id,
    };
    who.principal
        .may_change_pairing(was, sides(&new), &facts.links, &facts.programs)?;
    Ok(pairings::update(db, &who.actor, id, &new).await?)
}
