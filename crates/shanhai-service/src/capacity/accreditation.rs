//! Accreditation goals (三甲, 千县工程, 提质达标) with their status.

use super::{parse_into, plain_collection};
use shanhai_domain::capacity::{AccreditationGoal, AccreditationGoalInput, NewAccreditationGoal};
use shanhai_store::capacity::AccreditationGoals;

parse_into!(AccreditationGoalInput => NewAccreditationGoal);
plain_collection!(
    AccreditationGoals,
    AccreditationGoalInput,
    AccreditationGoal
);
