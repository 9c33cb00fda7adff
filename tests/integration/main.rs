//! The one integration-test binary (like casey/just's): each module covers one area, and
//! `harness` holds the small builders they share.

mod checker;
mod engine;
mod harness;
