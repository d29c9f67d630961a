//! Grants, papers, patents and awards credited to local staff: list, read, create and change.

use super::*;

collection!(full research, ResearchOutputInput, ResearchOutput,
    "/api/v1/research-outputs", "/api/v1/research-outputs/{id}",
    "Grants, papers, patents and awards credited to local staff.");
