//! Teaching activities (教学查房, 学术讲座, 手术示教…).

use super::{parse_into, plain_collection};
use shanhai_domain::capacity::{NewTeachingActivity, TeachingActivity, TeachingActivityInput};
use shanhai_store::capacity::TeachingActivities;

parse_into!(TeachingActivityInput => NewTeachingActivity);
plain_collection!(TeachingActivities, TeachingActivityInput, TeachingActivity);
