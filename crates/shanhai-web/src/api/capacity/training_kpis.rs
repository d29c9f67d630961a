//! Exam pass rates per institution and year (执业医师首考通过率, 住培结业考核通过率): list, read, create and change.

use super::*;

collection!(full training_kpis, TrainingKpiInput, TrainingKpi,
    "/api/v1/training-kpis", "/api/v1/training-kpis/{id}",
    "Exam pass rates per institution and year (执业医师首考通过率, 住培结业考核通过率); one per indicator and year.");
