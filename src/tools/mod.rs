//! The offline tools: run calls without Twilio. Plain library functions returning typed
//! results (or writing to a writer they are given); the command line (`cli`) maps
//! them to flags, output and exit codes.
//!
//! - [`simulate`] drives the engine through the same action-URL round trip as the server
//!   ([`crate::engine::action_url`] reads the URLs for both).
//! - [`call`] runs the simulator's loop as signed POSTs against a running server.
//! - [`flowtest`] is the flow-test format and its runner (`switchboard test`).
//! - [`replay`] runs recorded calls again against a flow set (`replay`, `calls export-test`).
//! - [`graph`] draws a flow; [`schema`] derives a JSON Schema from the loader's own types.

pub mod call;
pub mod flowtest;
pub mod graph;
pub mod graph_svg;
pub mod records;
pub mod replay;
pub mod schema;
pub mod simulate;
