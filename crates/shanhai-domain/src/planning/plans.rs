//! Plans: a solve's proposals, explanations and acceptance.
