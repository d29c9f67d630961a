//! Key-specialty and new-specialty projects with milestones and acceptance.

use super::{parse_into, plain_collection};
use shanhai_domain::capacity::{NewSpecialtyProject, SpecialtyProject, SpecialtyProjectInput};
use shanhai_store::capacity::SpecialtyProjects;

parse_into!(SpecialtyProjectInput => NewSpecialtyProject);
plain_collection!(SpecialtyProjects, SpecialtyProjectInput, SpecialtyProject);
