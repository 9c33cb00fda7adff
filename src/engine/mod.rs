//! The interpreter: (flow set, request parameters, URL state, time) → TwiML + trace.
//!
//! One call of [`run`] answers one webhook. It runs steps that need nothing from Twilio
//! (route, set, say, …) one after another until it reaches one that makes Twilio call back
//! (menu, ask, dial, record, enqueue, conference) or ends the call. The state Twilio must
//! hand back travels in the action URL ([`state`]). Time is a parameter, so runs are
//! deterministic, and there is no I/O: the HTTP server, the simulator and the tests all call
//! this same function.
//!
//! Invariant: [`run`] always returns a complete TwiML document. Any failure at run time
//! (a dial target that renders to nonsense, a loop that hits the step cap, state too large)
//! becomes a short apology followed by the flow's `on_error` step, or `<Hangup/>`.

pub mod action_url;
mod dial;
mod eval;
mod gather;
mod runner;
pub mod state;
mod step;
mod trace;
pub mod trace_header;

use jiff::Timestamp;

pub use crate::form::Params;
pub use state::{CallState, Wait};
pub use trace::{Event, REDACTED, redact, redact_document, redact_text};

use crate::flow::FlowSet;
use crate::flow::model::{FlowId, NumberMatch};
use crate::twiml::{self, Response, Verb};
use runner::Run;

/// Steps one response may run before the call is treated as looping.
pub const MAX_STEPS_PER_RESPONSE: usize = 50;

/// Settings the server (or simulator) passes to every run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Prefix of every URL written into TwiML: the public base URL
    /// (`https://ivr.example.com`, with any path prefix), or empty for relative URLs.
    pub base_url: String,
    /// Path (under `base_url`) of the call status callback set on dialed legs.
    pub status_path: Option<String>,
    /// Path (under `base_url`) of the recording status callback.
    pub recording_path: Option<String>,
    /// Path (under `base_url`) of the transcription callback (`record` with
    /// `transcribe: true`).
    pub transcription_path: Option<String>,
    /// What the caller hears when something goes wrong.
    pub apology: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_url: String::new(),
            status_path: Some("/status".into()),
            recording_path: Some("/recording".into()),
            transcription_path: Some("/transcription".into()),
            apology: "We're sorry, an application error has occurred.".into(),
        }
    }
}

/// Which webhook this is.
#[derive(Debug, Clone, Copy)]
pub enum Entry<'a> {
    /// The number's Voice URL: pick the flow by `To`, run its start.
    Incoming,
    /// An action URL `/voice/{flow}/{step}?{query}` written by an earlier response.
    Continue {
        /// Flow name from the path.
        flow: &'a str,
        /// Step name from the path.
        step: &'a str,
        /// The raw query string (the call state).
        query: &'a str,
    },
}

/// The answer to one webhook.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The TwiML document, always complete and under Twilio's 64 kB limit.
    pub twiml: String,
    /// The same document, typed (the simulator follows its action URLs).
    pub response: Response,
    /// What the interpreter did and why.
    pub trace: Vec<Event>,
    /// The flow that answered, if any.
    pub flow: Option<String>,
    /// How the webhook found its flow; `None` only when the run failed before any flow was
    /// chosen.
    pub routed: Option<Routed>,
    /// True when a run-time failure produced the safe document.
    pub failed: bool,
    /// What `notify` channels must hear of: a voicemail left at a `record` step, a `dial`
    /// nobody answered. Empty for steps without `notify`.
    pub notices: Vec<Notice>,
    /// Values that must not be stored in clear: what the caller entered at a
    /// `sensitive: true` ask, and the current values of the variables such asks set. Empty
    /// for flows without one. The call store passes the trace through [`redact`] with them.
    pub secrets: Vec<String>,
    /// What a menu or dial made of Twilio's answer in this run, typed (the trace says it in
    /// words, for people): what the server counts in its metrics. `None` when the run
    /// resumed no menu or dial.
    pub answer: Option<Answer>,
}

/// What Twilio's answer to a waiting menu or dial came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// A menu's answer.
    Menu(MenuAnswer),
    /// A dial leg came back (its `DialCallStatus` is Twilio's parameter; the dial step
    /// treats a missing one as `failed`).
    Dial,
}

/// A menu's answer; every answer is exactly one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuAnswer {
    /// A key or keyword chose an option.
    Matched,
    /// Something that is not an option, with tries left.
    Invalid,
    /// Silence, with tries left.
    NoInput,
    /// A wrong answer or silence on the last try: the menu gave up.
    Exhausted,
}

/// Something a flow's `notify` list must be told of (docs/flows.md "Notifications").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// What happened.
    pub kind: NoticeKind,
    /// The flow.
    pub flow: String,
    /// The `record` or `dial` step.
    pub step: String,
    /// The channels to tell, as the step names them.
    pub channels: Vec<String>,
    /// The recording will be transcribed: worth waiting a little for the transcript.
    pub transcribe: bool,
}

/// The events notifications are sent for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// A `record` step got a recording.
    Voicemail,
    /// Nobody answered a `dial` step (busy, no answer, failed).
    MissedCall,
}

impl NoticeKind {
    /// Its name in records, payloads and metrics: `voicemail`, `missed_call`.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Voicemail => "voicemail",
            NoticeKind::MissedCall => "missed_call",
        }
    }
}

/// How a webhook found its flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routed {
    /// The dialed number chose the flow (`/voice`, or a continuation whose flow is gone).
    Number(FlowId, NumberMatch),
    /// The action URL named the flow (a continuation).
    Url(FlowId),
    /// No flow answers the dialed number: the call was rejected.
    NoFlow,
}

/// Runs one webhook. Never panics and never fails: see the module invariant.
pub fn run(
    set: &FlowSet,
    cfg: &Config,
    entry: Entry<'_>,
    params: &Params,
    now: Timestamp,
) -> Outcome {
    let mut r = Run::new(set, cfg, params, now);
    let result = r.start(entry);
    r.finish(result)
}

/// The document for `/fallback` and for anything that goes wrong outside a flow: an apology,
/// then a forward to `operator` if given, else hang up.
pub fn safe_document(apology: &str, operator: Option<&str>) -> String {
    let mut resp = Response::new();
    resp.push(twiml::Say {
        text: apology.to_string(),
        ..Default::default()
    });
    match operator {
        Some(op) => resp.push(twiml::Dial {
            number: Some(op.to_string()),
            ..Default::default()
        }),
        None => resp.push(Verb::Hangup),
    }
    resp.to_xml()
}

/// Why a run could not finish normally.
#[derive(Debug)]
enum Failure {
    /// Too many steps in one response.
    Loop,
    /// A step needs something it does not have.
    Step(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Loop => write!(
                f,
                "more than {MAX_STEPS_PER_RESPONSE} steps without waiting for the caller"
            ),
            Failure::Step(m) => f.write_str(m),
        }
    }
}

#[cfg(test)]
mod tests;
