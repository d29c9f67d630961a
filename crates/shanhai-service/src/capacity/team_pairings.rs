//! 团队带团队: a donor team paired with a local team.

use super::{parse_into, plain_collection};
use shanhai_domain::capacity::{NewTeamPairing, TeamPairing, TeamPairingInput};
use shanhai_store::capacity::TeamPairings;

parse_into!(TeamPairingInput => NewTeamPairing);
plain_collection!(TeamPairings, TeamPairingInput, TeamPairing);
