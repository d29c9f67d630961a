//! Two-way referrals (C5): the sending and receiving institutions' staff move a referral along;
//! figures carry no patient details.

use crate::{Acting, ServiceError, ServiceResult};
use shanhai_domain::Invalid;
use shanhai_domain::referrals::{
    Referral, ReferralAction, ReferralFigures, ReferralInput, ReferralTransitionInput, is_staff_of,
    may_act, may_cite_consultation, may_refer_from, transition as next_state, visible_to,
};
use shanhai_store::crypto::PatientCipher;
use shanhai_store::referrals::{self, ReferralFilter};
use shanhai_store::{Db, Page, PageRequest, StoreError};

/// Referrals sent from or to the caller's institution (all, for the platform admin), filtered.
pub async fn list(
    db: &Db,
    who: &Acting,
    mut filter: ReferralFilter,
    page: PageRequest,
) -> ServiceResult<Page<Referral>> {
    filter.visible_to_institution = visible_to(&who.principal)?;
    Ok(referrals::list(db, &filter, page).await?)
}

/// [`list`] for a view that shows each referral's patient details (the FHIR searches): every
/// referral on the page is read in full and audited.
pub async fn read_page(
    db: &Db,
    who: &Acting,
    filter: ReferralFilter,
    page: PageRequest,
) -> ServiceResult<Page<Referral>> {
    let mut found = list(db, who, filter, page).await?;
    let ids: Vec<String> = found.items.iter().map(|x| x.id.clone()).collect();
    found.items = shanhai_store::referrals::read_many(db, &who.actor, &ids).await?;
    Ok(found)
}

/// Refers a patient up or down from the caller's institution (or the one named, for the
/// platform admin), citing if need be a consultation the author sees.
pub async fn refer(
    db: &Db,
    cipher: &PatientCipher,
    who: &Acting,
    input: &ReferralInput,
) -> ServiceResult<Referral> {
    let p = &who.principal;
    visible_to(p)?;
    let new = input.parse()?;
    let from = new
        .from_institution_id
        .clone()
        .or_else(|| p.institution_id.clone())
        .ok_or_else(|| Invalid::new("from_institution_id", "error.required"))?;
    may_refer_from(p, &from)?;
    if let Some(cited) = &new.consultation_id {
        // A consultation the author does not see is refused exactly as an unknown one.
        let unknown = || Invalid::new("consultation_id", "error.bad_reference");
        let parties = match shanhai_store::consultations::parties(db, cited).await {
            Err(StoreError::NotFound) => return Err(unknown().into()),
            other => other?,
        };
        if !may_cite_consultation(p, who.person(), &parties) {
            return Err(unknown().into());
        }
    }
    Ok(referrals::create(db, cipher, &who.actor, &who.display_name, &from, &new).await?)
}

/// The sending and receiving institutions, for a caller on either side (403 otherwise).
pub async fn parties(db: &Db, who: &Acting, id: &str) -> ServiceResult<(String, String)> {
    let (from, to) = referrals::parties(db, id).await?;
    if is_staff_of(&who.principal, &from) || is_staff_of(&who.principal, &to) {
        Ok((from, to))
    } else {
        Err(ServiceError::forbidden())
    }
}

/// A referral with its steps (the read is audited), the sending institution, and the actions
/// the caller may take on it now.
pub async fn read(
    db: &Db,
    who: &Acting,
    id: &str,
) -> ServiceResult<(Referral, String, Vec<ReferralAction>)> {
    let (from, to) = parties(db, who, id).await?;
    let r = referrals::read(db, &who.actor, id).await?;
    let actions = ReferralAction::ALL
        .iter()
        .copied()
        .filter(|a| next_state(r.state, *a).is_some())
        .filter(|a| may_act(&who.principal, &from, &to, *a))
        .collect();
    Ok((r, from, actions))
}

/// Moves a referral: the receiver accepts, declines, notes arrival, treats, refers down or
/// closes; the sender cancels before arrival.
pub async fn act(
    db: &Db,
    who: &Acting,
    id: &str,
    action: ReferralAction,
    input: &ReferralTransitionInput,
) -> ServiceResult<Referral> {
    may_take(db, who, id, action).await?;
    let step = input.parse(action)?;
    Ok(referrals::transition(db, &who.actor, id, action, step).await?)
}

/// Refuses unless the caller may take `action` on the referral (asked before its input is read).
pub async fn may_take(
    db: &Db,
    who: &Acting,
    id: &str,
    action: ReferralAction,
) -> ServiceResult<()> {
    let (from, to) = referrals::parties(db, id).await?;
    crate::allowed(may_act(&who.principal, &from, &to, action))
}

/// Referral figures without patient details, for whoever may see the program's figures.
pub async fn figures(
    db: &Db,
    who: &Acting,
    program: Option<String>,
    region: Option<String>,
    from: Option<String>,
    until: Option<String>,
) -> ServiceResult<ReferralFigures> {
    let filter = ReferralFilter {
        program: who.principal.figures_program(program)?,
        region,
        from,
        until,
        ..Default::default()
    };
    Ok(referrals::figures(db, &filter).await?)
}
