//! Accreditation goals (三甲, 千县工程, 提质达标) with their status: list, read, create and change.

use super::*;

collection!(full accreditation, AccreditationGoalInput, AccreditationGoal,
    "/api/v1/accreditation-goals", "/api/v1/accreditation-goals/{id}",
    "Accreditation goals (三甲, 千县工程, 提质达标) with their status.");
