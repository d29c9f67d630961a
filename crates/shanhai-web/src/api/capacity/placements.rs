//! 进修 placements of local staff at donor hospitals: list, read, create and change.

use super::*;

collection!(full placements, PlacementInput, Placement,
    "/api/v1/placements", "/api/v1/placements/{id}",
    "进修 placements of local staff at donor hospitals (`kind` filters the status).");
