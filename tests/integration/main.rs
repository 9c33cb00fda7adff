//! The one integration-test binary (like casey/just's): each module covers one area, and
//! `harness` holds the small builders they share.

mod call;
mod checker;
mod conditions;
mod dial;
mod engine_common;
mod failures;
mod flowtests;
mod graph;
mod harness;
mod menus;
mod numbers;
mod reload;
mod schedules;
mod schema;
mod server;
mod simulate;
mod steps;
mod templates;
