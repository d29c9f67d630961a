//! Research outputs: grants, papers, patents and awards credited to local staff.

use super::{parse_into, plain_collection};
use shanhai_domain::capacity::{NewResearchOutput, ResearchOutput, ResearchOutputInput};
use shanhai_store::capacity::ResearchOutputs;

parse_into!(ResearchOutputInput => NewResearchOutput);
plain_collection!(ResearchOutputs, ResearchOutputInput, ResearchOutput);
