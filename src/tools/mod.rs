//! The offline tools: run calls without Twilio.
//!
//! - [`simulate`] drives the engine through the same action-URL round trip as the server.
//! - [`call`] runs the simulator's loop as signed POSTs against a running server.
//! - [`flowtest`] is the flow-test format and its runner (`switchboard test`).
//! - [`graph`] draws a flow; [`schema`] derives a JSON Schema from the loader's own types.

pub mod call;
pub mod flowtest;
pub mod graph;
pub mod schema;
pub mod simulate;
