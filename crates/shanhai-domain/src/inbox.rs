//! The inbox: what needs the caller's action now.

use crate::consultations::Consultation;
use crate::referrals::Referral;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Inbox {
    /// Consultations whose next step is the caller's (or their institution's).
    pub consultations: Vec<Consultation>,
    /// Referrals the caller's institution is to receive, treat or close.
    pub referrals: Vec<Referral>,
    pub count: usize,
}

impl Inbox {
    pub fn new(consultations: Vec<Consultation>, referrals: Vec<Referral>) -> Inbox {
        Inbox {
            count: consultations.len() + referrals.len(),
            consultations,
            referrals,
        }
    }
}
