//! 进修 placements of local staff at donor hospitals.

use super::{parse_into, plain_collection};
use shanhai_domain::capacity::{NewPlacement, Placement, PlacementInput};
use shanhai_store::capacity::Placements;

parse_into!(PlacementInput => NewPlacement);
plain_collection!(Placements, PlacementInput, Placement);
