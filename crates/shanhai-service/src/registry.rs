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
    crate::allowed(who.principal.is_admin())
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

// ---- regions, institutions, departments, people ----

use shanhai_domain::access::Reach;
use shanhai_domain::registry::{
    Department, DepartmentInput, Institution, InstitutionInput, Person, PersonInput, Region,
    RegionInput,
};
use shanhai_store::people::PersonFilter;
use shanhai_store::{Page, PageRequest, departments, institutions, people, regions};

/// Refuses unless the caller keeps the region codes.
pub fn may_keep_regions(who: &Acting) -> ServiceResult<()> {
    Ok(who.principal.may_keep_regions()?)
}

pub async fn create_region(db: &Db, who: &Acting, input: &RegionInput) -> ServiceResult<Region> {
    may_keep_regions(who)?;
    let new = input.parse()?;
    Ok(regions::create(db, &who.actor, &new).await?)
}

pub async fn update_region(
    db: &Db,
    who: &Acting,
    code: &str,
    input: &RegionInput,
) -> ServiceResult<Region> {
    may_keep_regions(who)?;
    let new = input.parse()?;
    Ok(regions::update(db, &who.actor, code, &new).await?)
}

/// Refuses unless the caller adds institutions to the registry.
pub fn may_create_institution(who: &Acting) -> ServiceResult<()> {
    Ok(who.principal.may_create_institution()?)
}

pub async fn create_institution(
    db: &Db,
    who: &Acting,
    input: &InstitutionInput,
) -> ServiceResult<Institution> {
    may_create_institution(who)?;
    let new = input.parse()?;
    Ok(institutions::create(db, &who.actor, &new).await?)
}

/// Refuses unless the caller writes the institution's record (asked before the input is read).
pub async fn may_change_institution(db: &Db, who: &Acting, id: &str) -> ServiceResult<()> {
    institutions::get(db, id).await?;
    let facts = AccessFacts::load(db).await?;
    Ok(who
        .principal
        .may_change_institution(facts.access(&who.principal, id))?)
}

pub async fn update_institution(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &InstitutionInput,
) -> ServiceResult<Institution> {
    may_change_institution(db, who, id).await?;
    let new = input.parse()?;
    Ok(institutions::update(db, &who.actor, id, &new).await?)
}

/// Refuses a role that never keeps departments and staff (asked before the input is read).
pub fn may_keep_staff(who: &Acting) -> ServiceResult<()> {
    Ok(who.principal.may_keep_staff(None)?)
}

/// Refuses unless the caller keeps `institution_id`'s departments and staff.
async fn keeps_staff_of(db: &Db, who: &Acting, institution_id: &str) -> ServiceResult<()> {
    let facts = AccessFacts::load(db).await?;
    let access = facts.access(&who.principal, institution_id);
    Ok(who.principal.may_keep_staff(Some(access))?)
}

pub async fn create_department(
    db: &Db,
    who: &Acting,
    input: &DepartmentInput,
) -> ServiceResult<Department> {
    may_keep_staff(who)?;
    let new = input.parse()?;
    keeps_staff_of(db, who, &new.institution_id).await?;
    Ok(departments::create(db, &who.actor, &new).await?)
}

/// Refuses unless the caller keeps the department's institution (asked before the input is read).
pub async fn may_change_department(db: &Db, who: &Acting, id: &str) -> ServiceResult<()> {
    may_keep_staff(who)?;
    let before = departments::get(db, id).await?;
    keeps_staff_of(db, who, &before.institution_id).await
}

pub async fn update_department(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &DepartmentInput,
) -> ServiceResult<Department> {
    may_change_department(db, who, id).await?;
    let new = input.parse()?;
    Ok(departments::update(db, &who.actor, id, &new).await?)
}

/// The people of the institutions the caller reaches, filtered.
pub async fn list_people(
    db: &Db,
    who: &Acting,
    filter: &PersonFilter,
    page: PageRequest,
) -> ServiceResult<Page<Person>> {
    let reach: Reach = AccessFacts::load(db).await?.reach(&who.principal);
    Ok(people::list(db, filter, &reach, page).await?)
}

/// One person, for a caller who reads their institution.
pub async fn get_person(db: &Db, who: &Acting, id: &str) -> ServiceResult<Person> {
    let person = people::get(db, id).await?;
    let facts = AccessFacts::load(db).await?;
    if facts
        .access(&who.principal, &person.institution_id)
        .can_read()
    {
        Ok(person)
    } else {
        Err(ServiceError::forbidden())
    }
}

pub async fn create_person(db: &Db, who: &Acting, input: &PersonInput) -> ServiceResult<Person> {
    may_keep_staff(who)?;
    let new = input.parse()?;
    keeps_staff_of(db, who, &new.institution_id).await?;
    Ok(people::create(db, &who.actor, &new).await?)
}

/// Refuses unless the caller keeps the person's institution (asked before the input is read).
pub async fn may_change_person(db: &Db, who: &Acting, id: &str) -> ServiceResult<()> {
    may_keep_staff(who)?;
    let before = people::get(db, id).await?;
    keeps_staff_of(db, who, &before.institution_id).await
}

/// Changes a person; the caller keeps their institution before and after.
pub async fn update_person(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &PersonInput,
) -> ServiceResult<Person> {
    may_change_person(db, who, id).await?;
    let new = input.parse()?;
    keeps_staff_of(db, who, &new.institution_id).await?;
    Ok(people::update(db, &who.actor, id, &new).await?)
}

// ---- agreements ----

use shanhai_domain::Invalid;
use shanhai_domain::access::PairingLink;
use shanhai_domain::codes::DonorAccess;
use shanhai_domain::registry::{Agreement, AgreementInput};
use shanhai_store::StoreError;
use shanhai_store::agreements::{self, AgreementFilter, DocumentMeta};

/// The agreements the caller may read, filtered by pairing and program.
pub async fn list_agreements(
    db: &Db,
    who: &Acting,
    pairing: Option<String>,
    program: Option<String>,
    page: PageRequest,
) -> ServiceResult<Page<Agreement>> {
    let (program, institution) = who.principal.agreements_listed(program)?;
    let filter = AgreementFilter {
        pairing,
        program,
        institution,
    };
    Ok(agreements::list(db, &filter, page).await?)
}

/// The pairing an agreement belongs to, as the access policy sees it.
async fn agreement_link(db: &Db, agreement: &Agreement) -> ServiceResult<PairingLink> {
    let pairing = pairings::get(db, &agreement.pairing_id).await?;
    Ok(PairingLink {
        program_id: pairing.program_id,
        donor_id: pairing.donor_id,
        recipient_id: pairing.recipient_id,
        donor_access: DonorAccess::None,
        active: true,
    })
}

/// The program of the pairing an agreement names; an unknown pairing is a problem of the input.
async fn program_of_pairing(db: &Db, pairing_id: &str) -> ServiceResult<String> {
    match pairings::get(db, pairing_id).await {
        Err(StoreError::NotFound) => {
            Err(Invalid::new("pairing_id", "error.unknown_pairing").into())
        }
        other => Ok(other?.program_id),
    }
}

/// An agreement, for whoever may read it (its program's managers, its pairing's coordinators).
pub async fn get_agreement(db: &Db, who: &Acting, id: &str) -> ServiceResult<Agreement> {
    let agreement = agreements::get(db, id).await?;
    if who
        .principal
        .can_read_agreement(&agreement_link(db, &agreement).await?)
    {
        Ok(agreement)
    } else {
        Err(ServiceError::forbidden())
    }
}

/// Records an agreement for a pairing of a program the caller manages.
pub async fn create_agreement(
    db: &Db,
    who: &Acting,
    input: &AgreementInput,
) -> ServiceResult<Agreement> {
    may_pair(who)?;
    let new = input.parse()?;
    let program = program_of_pairing(db, &new.pairing_id).await?;
    may_manage_program(db, who, &program).await?;
    Ok(agreements::create(db, &who.actor, &new).await?)
}

/// Refuses unless the caller manages the agreement's program (asked before the input is read).
pub async fn may_change_agreement(db: &Db, who: &Acting, id: &str) -> ServiceResult<Agreement> {
    let before = agreements::get(db, id).await?;
    let link = agreement_link(db, &before).await?;
    if who.principal.can_manage_program(&link.program_id) {
        Ok(before)
    } else {
        Err(ServiceError::forbidden())
    }
}

/// Changes an agreement; the caller manages its program before and after.
pub async fn update_agreement(
    db: &Db,
    who: &Acting,
    id: &str,
    input: &AgreementInput,
) -> ServiceResult<Agreement> {
    may_change_agreement(db, who, id).await?;
    let new = input.parse()?;
    let program = program_of_pairing(db, &new.pairing_id).await?;
    if !who.principal.can_manage_program(&program) {
        return Err(ServiceError::forbidden());
    }
    Ok(agreements::update(db, &who.actor, id, &new).await?)
}

/// Attaches a stored document (already written under the data directory) to an agreement.
pub async fn attach_document(
    db: &Db,
    who: &Acting,
    id: &str,
    meta: &DocumentMeta,
) -> ServiceResult<Agreement> {
    may_change_agreement(db, who, id).await?;
    Ok(agreements::attach_document(db, &who.actor, id, meta).await?)
}
