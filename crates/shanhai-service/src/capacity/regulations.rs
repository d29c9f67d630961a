//! Regulations (制度) drafted with the donor's help.

use super::{parse_into, plain_collection};
use shanhai_domain::capacity::{NewRegulation, Regulation, RegulationInput};
use shanhai_store::capacity::Regulations;

parse_into!(RegulationInput => NewRegulation);
plain_collection!(Regulations, RegulationInput, Regulation);
