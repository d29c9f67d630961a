//! Needs posted for a recipient institution or department.
