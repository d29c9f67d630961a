//! Two-way referral (C5, 双向转诊): up (上转) to a higher tier or down (下转) for rehabilitation,
//! with a named receiving coordinator, acceptance, an arrival notice back to the sender and an
//! outcome.

use serde::{Deserialize, Serialize};

code_enum! {
    Direction {
        Up => "up", "上转", "Up-referral";
        Down => "down", "下转", "Down-referral";
    }
}

code_enum! {
    ReferralState {
        Created => "created", "已发起", "Created";
        Accepted => "accepted", "已接收", "Accepted";
        Declined => "declined", "已拒收", "Declined";
        Arrived => "arrived", "患者已到达", "Patient arrived";
        Treated => "treated", "已诊治", "Treated";
        DownReferred => "down-referred", "已下转", "Referred back down";
        Closed => "closed", "已结案", "Closed";
        Cancelled => "cancelled", "已撤销", "Cancelled";
    }
}

code_enum! {
    ReferralAction {
        Accept => "accept", "接收", "Accept";
        Decline => "decline", "拒收", "Decline";
        Arrive => "arrive", "确认到达", "Confirm arrival";
        Treat => "treat", "记录诊治", "Record treatment";
        DownRefer => "down-refer", "下转", "Refer back down";
        Close => "close", "结案", "Close";
        Cancel => "cancel", "撤销", "Cancel";
    }
}

/// Who takes an action: the sending institution or the receiving one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Party {
    Sender,
    Receiver,
}

impl ReferralAction {
    pub fn party(self) -> Party {
        match self {
            ReferralAction::Cancel => Party::Sender,
            _ => Party::Receiver,
        }
    }
}

impl ReferralState {
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ReferralState::Declined
                | ReferralState::DownReferred
                | ReferralState::Closed
                | ReferralState::Cancelled
        )
    }
}

/// created → accepted | declined; accepted → arrived (the arrival notice returns to the sender);
/// arrived → treated; treated → down-referred | closed (with the outcome); the sender cancels
/// before the patient arrives.
pub fn transition(state: ReferralState, action: ReferralAction) -> Option<ReferralState> {
    use ReferralAction as A;
    use ReferralState as S;
    match (state, action) {
        (S::Created, A::Accept) => Some(S::Accepted),
        (S::Created, A::Decline) => Some(S::Declined),
        (S::Accepted, A::Arrive) => Some(S::Arrived),
        (S::Arrived, A::Treat) => Some(S::Treated),
        (S::Treated, A::DownRefer) => Some(S::DownReferred),
        (S::Treated, A::Close) => Some(S::Closed),
        (S::Created | S::Accepted, A::Cancel) => Some(S::Cancelled),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReferralAction as A;
    use ReferralState as S;
    use proptest::prelude::*;

    #[test]
    fn a_patient_goes_up_is_treated_and_comes_back_down() {
        let mut s = S::Created;
        for a in [A::Accept, A::Arrive, A::Treat, A::DownRefer] {
            s = transition(s, a).unwrap_or_else(|| panic!("{a:?} refused in {s:?}"));
        }
        assert_eq!(s, S::DownReferred);
        assert_eq!(
            transition(S::Arrived, A::Cancel),
            None,
            "no cancelling once the patient is there"
        );
        assert_eq!(transition(S::Created, A::Treat), None);
    }

    proptest! {
        #[test]
        fn final_states_never_move_and_treatment_needs_arrival(
            actions in prop::collection::vec(prop::sample::select(ReferralAction::ALL.to_vec()), 0..30)
        ) {
            let mut state = S::Created;
            let mut arrived = false;
            for a in actions {
                if let Some(next) = transition(state, a) {
                    prop_assert!(!state.is_final());
                    if next == S::Treated { prop_assert!(arrived); }
                    if next == S::Arrived { arrived = true; }
                    if next == S::Cancelled { prop_assert!(!arrived); prop_assert_eq!(a.party(), Party::Sender); }
                    state = next;
                }
            }
        }
    }
}
