//! The records behind a program's figures, de-identified: what the program office (and the
//! hospitals taking part) open from any figure they read. Who may open which records is the
//! domain's `FigureRecords`; reads of records about patients are audited.

use crate::{Acting, ServiceResult};
use shanhai_domain::Invalid;
use shanhai_domain::indicators::{CATALOGUE, FigureRecord, FigureRecords, about_patients};
use shanhai_store::rollups::{self, RecordsFilter, Scope};
use shanhai_store::{Db, Page, PageRequest};

/// Which of a figure's records: the program, the indicator, the period and, optionally, the
/// institution the figure attributes them to or a region (GB/T 2260) they lie in.
#[derive(Debug, Clone, Default)]
pub struct FigureQuery {
    pub program: String,
    pub indicator: String,
    /// `YYYY-MM-DD`, inclusive; none: since the beginning.
    pub from: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub until: String,
    pub institution: Option<String>,
    pub region: Option<String>,
    /// A team's records (its members' while members, and its visits).
    pub team: Option<String>,
    /// The records reached through a dispatch scheme's batches.
    pub scheme: Option<String>,
    pub pairing: Option<String>,
}

/// One page of the records an indicator of a program counts, de-identified, as far as the
/// caller may open them (all of them for the program's office and the platform admin; those
/// its institution takes part in for a hospital's staff). `total` equals the figure for the
/// office. A read of records about patients is audited.
pub async fn records(
    db: &Db,
    who: &Acting,
    q: &FigureQuery,
    page: PageRequest,
) -> ServiceResult<Page<FigureRecord>> {
    shanhai_store::programs::get(db, &q.program).await?;
    let may = FigureRecords::of(&who.principal, &q.program)?;
    if !CATALOGUE.iter().any(|i| i.code == q.indicator) {
        return Err(Invalid::new("indicator", "error.figure_records_none").into());
    }
    let filter = RecordsFilter {
        scope: Scope {
            program: Some(q.program.clone()),
            institution: q.institution.clone().filter(|i| !i.is_empty()),
            region: q.region.clone().filter(|r| !r.is_empty()),
            team: q.team.clone().filter(|r| !r.is_empty()),
            scheme: q.scheme.clone().filter(|r| !r.is_empty()),
            pairing: q.pairing.clone().filter(|r| !r.is_empty()),
            from: q.from.clone().filter(|f| !f.is_empty()),
            until: q.until.clone(),
        },
        taking_part: match may {
            FigureRecords::All => None,
            FigureRecords::TakingPart(i) => Some(i),
        },
    };
    let audited = about_patients(&q.indicator).then_some(&who.actor);
    Ok(rollups::records(db, &q.indicator, &filter, page, audited).await?)
}
