//! Call records: whole calls through the real server, read back; faults.

mod e2e;
mod faults;
mod support;
