//! The briefing's (成果简报) wording: per program and figure, the exact number or the press's
//! rounding words. Anyone signed in reads a program's choices (the briefing is theirs to read);
//! its program office and the platform admin set them (`may_set_wording`), audited.

use crate::{Acting, ServiceError, ServiceResult};
use shanhai_domain::briefing::{BriefingPreference, BriefingPreferenceInput, may_set_wording};
use shanhai_store::{Db, StoreError};

/// The program's choices (codes without one are stated exactly).
pub async fn preferences(
    db: &Db,
    _who: &Acting,
    program_id: &str,
) -> ServiceResult<Vec<BriefingPreference>> {
    shanhai_store::programs::get(db, program_id).await?;
    Ok(shanhai_store::briefing::list(db, program_id).await?)
}

/// Whether a code names a figure the briefing states: an indicator or a reported KPI.
async fn known_codes(db: &Db) -> Result<Vec<String>, StoreError> {
    let mut codes: Vec<String> = shanhai_domain::indicators::CATALOGUE
        .iter()
        .map(|i| i.code.to_string())
        .collect();
    codes.extend(
        shanhai_store::kpis::definitions(db)
            .await?
            .into_iter()
            .map(|d| d.code),
    );
    Ok(codes)
}

/// Refuses unless the program exists (404) and the caller may word its briefing (403).
pub async fn may_word(db: &Db, who: &Acting, program_id: &str) -> ServiceResult<()> {
    shanhai_store::programs::get(db, program_id).await?;
    if may_set_wording(&who.principal, program_id) {
        Ok(())
    } else {
        Err(ServiceError::forbidden())
    }
}

/// Sets how the program's briefing states one figure.
pub async fn set_wording(
    db: &Db,
    who: &Acting,
    program_id: &str,
    input: &BriefingPreferenceInput,
) -> ServiceResult<BriefingPreference> {
    may_word(db, who, program_id).await?;
    let known = known_codes(db).await?;
    let (code, wording) = input.parse(|c| known.iter().any(|k| k == c))?;
    Ok(shanhai_store::briefing::set(db, &who.actor, program_id, &code, wording).await?)
}
