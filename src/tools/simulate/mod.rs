//! The simulated webhook loop behind `switchboard simulate` and `switchboard test`.
//!
//! A simulated call plays Twilio's part: it sends the incoming-call webhook, reads the TwiML
//! the interpreter answers with, "executes" its verbs (what the caller hears, a `<Gather>`
//! waiting for input, a `<Dial>` that rings), and sends the next webhook to the action URL
//! exactly as written in the document, with the result parameters Twilio would add
//! (`Digits`, `SpeechResult`, `DialCallStatus`, `RecordingUrl`, `QueueResult`, …). Each
//! webhook goes through [`crate::engine::run`], the function the server calls, and the call
//! state makes the same trip through the action URL's query string, so a path that works
//! here works on a real call.
//!
//! Input comes from an [`InputSource`]: [`Scripted`] replies (`--input`, a test case's
//! `inputs`) or [`Terminal`], which prints the call so far and asks for digits or speech like
//! a phone. Both go through the same loop; the terminal is only a different source.
//!
//! Where each webhook goes is a [`Transport`]: [`InProcess`] hands it to the interpreter
//! (`simulate`, `test`); [`crate::tools::call`] sends it, signed, to a running server
//! (`switchboard call`). The loop, the result parameters and the transcript are the same.
//!
//! The loop is bounded by [`Call::max_webhooks`]; in process it never touches the network or
//! the clock (the call's time is a parameter and stays fixed for the whole call).
//!
//! The parts: [`setup`] (the call and its outside world), [`input`] and [`terminal`] (where
//! the caller's replies come from), [`walk`] (the webhook loop and its transports), [`play`]
//! (what Twilio does with a document), [`transcript`] (what happened) and
//! [`render`](mod@render) (how it is printed).

pub mod input;
pub mod play;
pub mod render;
pub mod setup;
pub mod terminal;
pub mod transcript;
pub mod walk;

#[cfg(test)]
mod tests;

pub use input::{InputSource, Reply, Scripted, Waiting, waiting_for};
pub use play::SPEECH_CONFIDENCE;
pub use render::{Render, render, render_footer, render_header, render_webhook, run_scripted};
pub use setup::{
    Call, DEFAULT_FROM, DialStatus, MAX_WEBHOOKS, QUEUE_RESULTS, parse_at, parse_queue_result,
    zone_for,
};
pub use terminal::{Terminal, run_interactive};
pub use transcript::{Ending, Heard, Transcript, Webhook, dial_targets, path_of};
pub use walk::{InProcess, Sent, Transport, run, run_over};
