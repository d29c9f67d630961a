//! The deployment planner (issue 19, C13): needs, availability and the program's planning
//! rules (`needs`, `availability`), and plans — a solve's proposals, their explanations, and
//! their acceptance as a batch (`plans`).

pub mod availability;
pub mod needs;
pub mod plans;
