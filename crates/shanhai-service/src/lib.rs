//! One function per use case — publish a clinic session, check a patient in, transition a
//! consultation, accept a referral, approve a KPI report… Each takes the acting principal and
//! parsed domain input, asks the domain's access policy, validates (every problem at once, each
//! at its field), runs the store, and returns domain output or one [`ServiceError`].
//!
//! The JSON API (`shanhai-web/src/api`), the pages (`shanhai-web/src/pages`) and the command line
//! are thin views over these functions: they differ only in how they read input and render
//! output, so the two can no longer disagree about who may do what or what is valid.

pub mod accounts;
pub mod bookings;
pub mod briefing;
pub mod calendar_feeds;
pub mod capacity;
pub mod clinic_sessions;
pub mod consultations;
pub mod dispatch;
mod error;
mod facts;
pub mod figures;
pub mod imports;
pub mod inbox;
pub mod kpis;
pub mod operations;
pub mod planning;
pub mod referrals;
pub mod registry;
pub mod teams;
pub mod webhooks;
pub mod workload;

pub use error::{ServiceError, ServiceResult};
pub use facts::AccessFacts;

use shanhai_domain::access::Principal;
use shanhai_store::audit::Actor;

/// Who is acting: the access policy's view of them and the audit log's.
#[derive(Debug, Clone)]
pub struct Acting {
    pub principal: Principal,
    pub actor: Actor,
    /// The person record of the signed-in user (an expert's, a clinician's), if any.
    pub person_id: Option<String>,
    /// The user's name as shown to others (never the login).
    pub display_name: String,
}

impl Acting {
    pub fn person(&self) -> Option<&str> {
        self.person_id.as_deref()
    }
}

/// A yes/no decision of the access policy as a refusal (403) when it says no.
pub fn allowed(yes: bool) -> ServiceResult<()> {
    if yes {
        Ok(())
    } else {
        Err(ServiceError::forbidden())
    }
}

/// Every item of a paged store list, read a page at a time (`fetch` reads one page).
pub(crate) async fn all_pages<T, Fut>(
    mut fetch: impl FnMut(shanhai_store::PageRequest) -> Fut,
) -> ServiceResult<Vec<T>>
where
    Fut: Future<Output = Result<shanhai_store::Page<T>, shanhai_store::StoreError>>,
{
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let batch = fetch(shanhai_store::PageRequest::new(
            Some(page),
            Some(shanhai_store::PageRequest::MAX_PER_PAGE),
        ))
        .await?;
        let pages = batch.pages();
        out.extend(batch.items);
        if page >= pages {
            return Ok(out);
        }
        page += 1;
    }
}

/// One page of a list held in memory.
pub fn page_of<T>(
    mut items: Vec<T>,
    request: shanhai_store::PageRequest,
) -> shanhai_store::Page<T> {
    let total = i64::try_from(items.len()).unwrap_or(i64::MAX);
    let per_page = request.per_page.max(1);
    let pages = ((total + per_page - 1) / per_page).max(1);
    let page = request.page.clamp(1, pages);
    let start = usize::try_from((page - 1) * per_page).unwrap_or(usize::MAX);
    let items: Vec<T> = if start < items.len() {
        items
            .drain(start..)
            .take(usize::try_from(per_page).unwrap_or(usize::MAX))
            .collect()
    } else {
        Vec::new()
    };
    shanhai_store::Page {
        items,
        total,
        page,
        per_page,
    }
}
