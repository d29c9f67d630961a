//! Teaching activities (教学查房, 学术讲座, 手术示教…): list, read, create and change.

use super::*;

collection!(full teaching, TeachingActivityInput, TeachingActivity,
    "/api/v1/teaching-activities", "/api/v1/teaching-activities/{id}",
    "Teaching activities (教学查房, 学术讲座, 手术示教…); `person` finds those a person hosted or attended.");
