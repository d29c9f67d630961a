//! Remote consultations (C4): request, read, the state machine's transitions, the queue of
//! what waits on the caller, the program's figures and targets. Who sees a case and who may move
//! it is the domain's policy (`ConsultationScope`, `sees`, `may_act`, `may_request`).

use crate::{Acting, ServiceError, ServiceResult};
use shanhai_domain::Invalid;
use shanhai_domain::consultations::{
    Consultation, ConsultationAction, ConsultationFigures, ConsultationInput, ConsultationScope,
    Parties, Targets, TargetsInput, TransitionInput, may_act, may_request, sees,
};
use shanhai_store::consultations::{self, ConsultationFilter, FiguresFilter};
use shanhai_store::crypto::PatientCipher;
use shanhai_store::{Db, Page, PageRequest};

/// The consultations the caller sees, filtered; `filter.scope` is set from the caller.
pub async fn list(
    db: &Db,
    who: &Acting,
    mut filter: ConsultationFilter,
    page: PageRequest,
) -> ServiceResult<Page<Consultation>> {
    filter.scope = ConsultationScope::of(&who.principal, who.person());
    Ok(consultations::list(db, &filter, page).await?)
}

/// [`list`] for a view that shows each consultation's patient details (the FHIR searches):
/// every consultation on the page is read in full and audited.
pub async fn read_page(
    db: &Db,
    who: &Acting,
    filter: ConsultationFilter,
    page: PageRequest,
) -> ServiceResult<Page<Consultation>> {
    let mut found = list(db, who, filter, page).await?;
    let ids: Vec<String> = found.items.iter().map(|x| x.id.clone()).collect();
    found.items = shanhai_store::consultations::read_many(db, &who.actor, &ids).await?;
    Ok(found)
}

/// The consultations waiting on the caller, overdue first then the oldest request, optionally
/// only those in one state or only the overdue ones, a page at a time.
pub async fn waiting(
    db: &Db,
    who: &Acting,
    state: Option<&str>,
    overdue_only: bool,
    page: PageRequest,
) -> ServiceResult<Page<Consultation>> {
    let mut items = crate::inbox::inbox(db, who).await?.consultations;
    items.retain(|c| state.is_none_or(|s| c.state.code() == s) && (!overdue_only || c.overdue));
    items.sort_by(|a, b| {
        b.overdue
            .cmp(&a.overdue)
            .then_with(|| a.requested_at.cmp(&b.requested_at))
    });
    Ok(crate::page_of(items, page))
}

/// Requests a consultation from the caller's institution (or, for the platform admin, the one
/// named).
pub async fn request(
    db: &Db,
    cipher: &PatientCipher,
    who: &Acting,
    input: &ConsultationInput,
) -> ServiceResult<Consultation> {
    let p = &who.principal;
    may_request(p, None)?;
    let new = input.parse()?;
    let requesting = new
        .requesting_institution_id
        .clone()
        .or_else(|| p.institution_id.clone())
        .ok_or_else(|| Invalid::new("requesting_institution_id", "error.required"))?;
    may_request(p, Some(&requesting))?;
    Ok(consultations::create(db, cipher, &who.actor, &who.display_name, &requesting, &new).await?)
}

/// Who takes part in a consultation, for a caller who sees it (403 otherwise).
pub async fn parties(db: &Db, who: &Acting, id: &str) -> ServiceResult<Parties> {
    let parties = consultations::parties(db, id).await?;
    if sees(&who.principal, who.person(), &parties) {
        Ok(parties)
    } else {
        Err(ServiceError::forbidden())
    }
}

/// One consultation with its patient's details, for a caller who takes part (the read is
/// audited), and the actions the caller may take on it now.
pub async fn read(
    db: &Db,
    who: &Acting,
    id: &str,
) -> ServiceResult<(Consultation, Parties, Vec<ConsultationAction>)> {
    let parties = parties(db, who, id).await?;
    let x = consultations::read(db, &who.actor, id).await?;
    let actions = ConsultationAction::ALL
        .iter()
        .copied()
        .filter(|a| shanhai_domain::consultations::transition(x.state, *a).is_some())
        .filter(|a| may_act(&who.principal, who.person(), &parties, *a))
        .collect();
    Ok((x, parties, actions))
}

/// Moves a consultation: accept, decline, schedule, hold, sign, close, cancel.
pub async fn transition(
    db: &Db,
    who: &Acting,
    id: &str,
    action: ConsultationAction,
    input: &TransitionInput,
) -> ServiceResult<Consultation> {
    let parties = parties(db, who, id).await?;
    if !may_act(&who.principal, who.person(), &parties, action) {
        return Err(ServiceError::forbidden());
    }
    let detail = input.parse(action)?;
    Ok(consultations::transition(db, &who.actor, who.person(), id, action, &detail).await?)
}

/// A program's consultation figures (no patient details), for whoever may see its figures.
pub async fn figures(
    db: &Db,
    who: &Acting,
    program: Option<String>,
    region: Option<String>,
    from: Option<String>,
    until: Option<String>,
) -> ServiceResult<ConsultationFigures> {
    let program = who.principal.figures_program(program)?;
    let filter = FiguresFilter {
        program,
        region,
        from,
        until,
    };
    Ok(consultations::figures(db, &filter).await?)
}

/// A program's response-time targets.
pub async fn targets(db: &Db, program_id: &str) -> ServiceResult<Targets> {
    shanhai_store::programs::get(db, program_id).await?;
    Ok(consultations::targets(db, program_id).await?)
}

/// Sets a program's response-time targets (its office, or the platform admin).
pub async fn set_targets(
    db: &Db,
    who: &Acting,
    program_id: &str,
    input: &TargetsInput,
) -> ServiceResult<Targets> {
    shanhai_store::programs::get(db, program_id).await?;
    if !who.principal.can_manage_program(program_id) {
        return Err(ServiceError::forbidden());
    }
    let targets = input.parse()?;
    Ok(consultations::set_targets(db, &who.actor, program_id, &targets).await?)
}
