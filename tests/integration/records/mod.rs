//! Call records: whole calls through the real server, read back; faults; and the PostgreSQL
//! backend on a throwaway server (`harness::postgres`): the backend contract
//! (`switchboard::calls::conformance`), concurrent writers, racing migrations and replicas.

mod e2e;
mod faults;
mod postgres;
mod support;
