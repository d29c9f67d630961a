#![allow(clippy::expect_used)] // a test that cannot set up should stop with the reason
//! Black-box API tests: each test starts the real server on port 0 with a fresh database and
//! talks HTTP to it. The database is SQLite by default, PostgreSQL when
//! `SHANHAI_TEST_DATABASE_URL` names a server (each test then gets its own database).

mod helpers;

mod accounts;
mod articles;
mod attachments;
mod authorization;
mod bad_input;
mod briefing;
mod briefing_changes;
mod calendar;
mod capacity;
mod clinic_sessions;
mod consultations;
mod days_served;
mod demo;
mod dispatch;
mod exports;
mod faults;
mod fhir_registry;
mod fhir_requests;
mod fhir_scheduling;
mod figure_records;
mod forms;
mod hardening;
mod hostile_files;
mod imports;
mod inbox;
mod indicators;
mod kpis;
mod openapi_exact;
mod operations;
mod operations_observe;
mod outreach;
mod page_authorization;
mod pickers;
mod planning_needs;
mod planning_plans;
mod referrals;
mod registry;
mod rollups;
mod storage;
mod teams;
mod training;
mod validation_twins;
mod webhooks;
mod workload;
