//! Key-specialty and new-specialty projects with milestones and acceptance: list, read, create
//! and change.

use super::*;

collection!(full specialty_projects, SpecialtyProjectInput, SpecialtyProject,
    "/api/v1/specialty-projects", "/api/v1/specialty-projects/{id}",
    "Key-specialty and new-specialty projects with milestones and acceptance.");
