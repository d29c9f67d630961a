//! Training KPIs: exam pass rates per institution and year (执业医师首考通过率, 住培结业考核通过率).

use super::{parse_into, plain_collection};
use shanhai_domain::capacity::{NewTrainingKpi, TrainingKpi, TrainingKpiInput};
use shanhai_store::capacity::TrainingKpis;

parse_into!(TrainingKpiInput => NewTrainingKpi);
plain_collection!(TrainingKpis, TrainingKpiInput, TrainingKpi);
