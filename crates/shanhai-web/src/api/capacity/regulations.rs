//! Regulations (制度) drafted with the donor's help: list, read, create and change.

use super::*;

collection!(full regulations, RegulationInput, Regulation,
    "/api/v1/regulations", "/api/v1/regulations/{id}",
    "Regulations (制度) drafted with the donor's help; `kind` filters the area.");
