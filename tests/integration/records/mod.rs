//! The call records store against real backends: `postgres` runs the backend contract
//! (`switchboard::calls::conformance`), concurrent writers and concurrent migrations against
//! a throwaway PostgreSQL server (`harness::postgres`).

mod postgres;
