//! 团队带团队: a donor team paired with a local team: list, read, create and change.

use super::*;

collection!(full team_pairings, TeamPairingInput, TeamPairing,
    "/api/v1/team-pairings", "/api/v1/team-pairings/{id}",
    "团队带团队: a donor team paired with a local team.");
