//! 名医工作室, 专家工作站, 院士工作站 and co-built centres.

use super::{parse_into, plain_collection};
use shanhai_domain::capacity::{NewWorkstation, Workstation, WorkstationInput};
use shanhai_store::capacity::Workstations;

parse_into!(WorkstationInput => NewWorkstation);
plain_collection!(Workstations, WorkstationInput, Workstation);
