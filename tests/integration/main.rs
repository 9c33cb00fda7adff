//! The one integration-test binary (like casey/just's): each module covers one area, and
//! `harness` holds what they share: `harness::server` (the server builder and an HTTP
//! client), `harness::caller` (the simulated caller), `harness::binary` (runs the
//! `switchboard` binary), `harness::golden` (golden files, `BLESS=1`), `harness::rng` and
//! `harness::postgres` (a throwaway PostgreSQL server for the record store).

// Tests: a failed setup is a failed test, and a skip is said out loud.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod call;
mod checker;
mod conditions;
mod console;
mod dial;
mod failures;
mod flowtests;
mod graph;
mod harness;
mod load_faults;
mod menus;
mod numbers;
mod props;
mod records;
mod reload;
mod schedules;
mod schema;
mod server;
mod simulate;
mod steps;
mod templates;
