//! One function per use case — publish a clinic session, check a patient in, transition a
//! consultation, accept a referral, approve a KPI report… Each takes the acting principal and
//! parsed domain input, asks the domain's access policy, validates (every problem at once, each
//! at its field), runs the store, and returns domain output or one [`ServiceError`].
//!
//! The JSON API (`shanhai-web/src/api`), the pages (`shanhai-web/src/pages`) and the command line
//! are thin views over these functions: they differ only in how they read input and render
//! output, so the two can no longer disagree about who may do what or what is valid.

pub mod capacity;
pub mod clinics;
mod error;
mod facts;

pub use error::{ServiceError, ServiceResult};
pub use facts::AccessFacts;

use shanhai_domain::access::Principal;
use shanhai_store::audit::Actor;

/// Who is acting: the access policy's view of them and the audit log's.
#[derive(Debug, Clone)]
pub struct Acting {
    pub principal: Principal,
    pub actor: Actor,
    /// The registry person the account belongs to (experts, clinicians), for the rules that
    /// name a person: a mentor writes its mentorship's notes.
    pub person_id: Option<String>,
}
