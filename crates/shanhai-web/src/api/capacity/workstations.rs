//! 名医工作室, 专家工作站, 院士工作站 and co-built centres: list, read, create and change.

use super::*;

collection!(full workstations, WorkstationInput, Workstation,
    "/api/v1/workstations", "/api/v1/workstations/{id}",
    "名医工作室, 专家工作站, 院士工作站 and co-built centres.");
