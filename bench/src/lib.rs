//! What the benchmarks in src/main.rs and src/bin/ share: the throwaway PostgreSQL cluster
//! and database ([`pg`]), and the server under test with what they say to it ([`serve`]).

pub mod pg;
pub mod serve;
