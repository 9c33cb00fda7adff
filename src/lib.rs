//! switchboard: a self-hosted Twilio Programmable Voice router driven by YAML flow files.
//!
//! The concepts, in the order a call meets them:
//!
//! - A **flow** ([`flow`]) is one YAML file describing a phone line: the numbers it
//!   answers, named **steps** (say, menu, dial, …) and the rules between them. The loader
//!   compiles a directory of flows into an immutable [`flow::FlowSet`], reporting every
//!   problem as a [`diag::Diagnostic`] with a file, line and column.
//! - The **engine** ([`engine`]) is the interpreter: given the flow set, a webhook's
//!   parameters, the state carried in the action URL and the current time, it returns a
//!   TwiML document and a trace of why. It is pure: no I/O, no clock, no panics.
//! - **TwiML** ([`twiml`]) is the only code that writes XML.
//! - **Schedules** ([`schedule`]) and **templates** ([`template`]) are the small languages
//!   inside flows: business hours in real time zones, and `{{From}}`-style substitution.
//! - The **signature** check ([`signature`]) proves a request came from Twilio.
//! - The **server** ([`http`]) answers Twilio's webhooks with the engine, behind the signature
//!   check (`switchboard serve`); it is the only module that knows hyper's server side. Call
//!   URLs (`/voice`, `/voice/{flow}/{step}?{state}`) are read by [`engine::action_url`].
//! - The **call store** ([`calls`]) remembers every webhook and callback (SQLite or
//!   PostgreSQL), and its outbox holds the **notifications** ([`notify`]) a voicemail or a
//!   missed call raises, which a dispatcher delivers to webhooks and email.
//! - **Metrics** ([`metrics`]) count what the server does for Prometheus (`/metrics`); the
//!   only module that knows `prometheus-client`.
//! - The **offline tools** ([`tools`]) run calls without Twilio: the simulator
//!   ([`tools::simulate`]) drives the engine through the same action-URL round trip as the
//!   server, [`tools::call`] runs that loop as signed POSTs against a running server, flow
//!   tests ([`tools::flowtest`]) assert on simulated calls, [`tools::graph`] draws a flow, and
//!   [`tools::schema`] derives a JSON Schema from the loader's own types. They are library
//!   functions: no exit codes, no argument parsing.
//! - The **CLI** ([`cli`]) wires these into subcommands, one module each (`serve`,
//!   `flow-check`, `simulate`, `call`, `test`, `graph`, `schema`, `sign`) owning its flags,
//!   help and exit codes ([`cli::exit`]); nothing imports it.

#![forbid(unsafe_code)]

pub mod calls;
pub mod cli;
pub mod diag;
pub mod engine;
pub mod flow;
pub mod form;
pub mod http;
pub mod metrics;
pub mod notify;
pub mod schedule;
pub mod signature;
pub mod template;
pub mod tools;
pub mod twiml;
