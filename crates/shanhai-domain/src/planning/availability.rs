//! Availability posted for donor-side experts, and the program's planning rules.
