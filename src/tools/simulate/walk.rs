//! The webhook loop: send a webhook over a [`Transport`], record the answer, play it, and
//! send the next one, until the call ends.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::engine::action_url::{self, VoicePath};
use crate::engine::{self, Config, Entry, Outcome, Params};
use crate::flow::FlowSet;

use super::input::{InputSource, Waiting, waiting_for};
use super::play::{Follow, follow};
use super::setup::{Call, zone_for};
use super::transcript::{Ending, Heard, Transcript, Webhook};

/// The next request the simulated Twilio makes.
pub(super) struct Request {
    /// The URL to request, as written in the document.
    pub(super) url: String,
    /// Result parameters of the previous document (`Digits`, `DialCallStatus`, …).
    pub(super) result: Vec<(String, String)>,
    /// What the caller entered, when answering a gather.
    pub(super) input: Option<Heard>,
    /// Simulator remarks to attach to the webhook.
    pub(super) notes: Vec<String>,
}

/// A deterministic Twilio-style SID (`CA` + 32 hex digits) from a seed, so transcripts of
/// the same call are identical run to run.
pub(super) fn sid(prefix: &str, seed: &str, n: u64) -> String {
    // FNV-1a: tiny and stable across platforms and Rust versions (std's hasher is neither
    // guaranteed nor meant for output).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes().chain(n.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let h2 = h.rotate_left(29) ^ 0x9e37_79b9_7f4a_7c15;
    format!("{prefix}{h:016x}{h2:016x}")
}

/// What makes one call's SIDs differ from another's.
pub(super) fn seed(call: &Call) -> String {
    format!("{}|{}|{}", call.from, call.to, call.at)
}

/// Where the simulated Twilio sends its webhooks.
///
/// [`InProcess`] hands them to [`engine::run`] (`simulate`, `test`); `tools::call`'s
/// transport signs them and POSTs them to a running server (`switchboard call`). Either way
/// [`run_over`] builds the parameters, plays the documents and writes the transcript.
pub trait Transport {
    /// The URL of the incoming-call webhook, as the transcript shows it.
    fn first_url(&self) -> String;

    /// Sends one webhook to `url` (the first URL, or a URL as written in the previous
    /// document) with `params`, in order.
    fn send(&mut self, url: &str, params: &[(String, String)]) -> Sent;

    /// The zone the call's time is shown in: the answering flow's, else UTC. Asked once the
    /// call is over (a server only says which flow answered in its answers).
    fn zone(&self, to: &str) -> TimeZone;

    /// Describes the gather `g` (whose action is `action`) for the input source.
    fn waiting(&self, g: &crate::twiml::Gather, action: &str) -> Waiting;
}

/// What became of one webhook.
#[derive(Debug)]
pub enum Sent {
    /// A document came back.
    Answered {
        /// The document, typed, with the interpreter's trace.
        outcome: Outcome,
        /// Remarks of the transport, shown with the webhook.
        notes: Vec<String>,
    },
    /// The URL leads outside switchboard; it is not followed.
    External,
    /// No usable answer; the call cannot go on.
    Failed(String),
}

/// The interpreter in this process: the transport of `simulate` and `test`.
pub struct InProcess<'a> {
    /// The flows.
    set: &'a FlowSet,
    /// The interpreter's settings (the base URL of action URLs).
    cfg: &'a Config,
    /// The instant every webhook of the call is run at.
    at: Timestamp,
}

impl<'a> InProcess<'a> {
    /// Runs webhooks through `set` at the instant `at`.
    pub fn new(set: &'a FlowSet, cfg: &'a Config, at: Timestamp) -> InProcess<'a> {
        InProcess { set, cfg, at }
    }
}

impl Transport for InProcess<'_> {
    fn first_url(&self) -> String {
        format!("{}/voice", self.cfg.base_url)
    }

    fn send(&mut self, url: &str, params: &[(String, String)]) -> Sent {
        let request = Params::from_pairs(params.to_vec());
        let Some(action) = action_url::parse_url(url, &self.cfg.base_url) else {
            return Sent::External;
        };
        let outcome = match action.path {
            VoicePath::Continue { flow, step } => engine::run(
                self.set,
                self.cfg,
                Entry::Continue {
                    flow,
                    step,
                    query: action.query,
                },
                &request,
                self.at,
            ),
            VoicePath::Incoming => {
                engine::run(self.set, self.cfg, Entry::Incoming, &request, self.at)
            }
        };
        Sent::Answered {
            outcome,
            notes: Vec::new(),
        }
    }

    fn zone(&self, to: &str) -> TimeZone {
        zone_for(self.set, to)
    }

    fn waiting(&self, g: &crate::twiml::Gather, action: &str) -> Waiting {
        waiting_for(self.set, &self.cfg.base_url, g, action)
    }
}

/// Runs a call through the interpreter, webhook after webhook, until it ends.
pub fn run(set: &FlowSet, cfg: &Config, call: &Call, inputs: &mut dyn InputSource) -> Transcript {
    run_over(&mut InProcess::new(set, cfg, call.at), call, inputs)
}

/// Runs a call over any transport, webhook after webhook, until it ends.
pub fn run_over(
    transport: &mut dyn Transport,
    call: &Call,
    inputs: &mut dyn InputSource,
) -> Transcript {
    let mut t = Transcript {
        to: call.to.clone(),
        from: call.from.clone(),
        at: call.at,
        zone: TimeZone::UTC,
        webhooks: Vec::new(),
        ending: Ending::TooManyWebhooks(call.max_webhooks),
    };
    if let Some(ending) = walk(transport, call, inputs, &mut t) {
        t.ending = ending;
    }
    t.zone = transport.zone(&call.to);
    t
}

/// The webhooks of one call, pushed onto `t.webhooks`; how the call ended, or `None` when it
/// hit [`Call::max_webhooks`].
fn walk(
    transport: &mut dyn Transport,
    call: &Call,
    inputs: &mut dyn InputSource,
    t: &mut Transcript,
) -> Option<Ending> {
    let call_sid = sid("CA", &seed(call), 0);
    let mut next = Request {
        url: transport.first_url(),
        result: Vec::new(),
        input: None,
        notes: Vec::new(),
    };
    let mut dials = 0usize;
    for n in 0..call.max_webhooks {
        // Result parameters first, then the caller's own, then the standard ones: the first
        // value of a name wins, so a `--param` can override a standard value but not a result.
        let mut params = next.result.clone();
        params.extend(call.params.iter().cloned());
        let status = if n == 0 { "ringing" } else { "in-progress" };
        for (k, v) in [
            ("CallSid", call_sid.as_str()),
            ("AccountSid", "AC00000000000000000000000000000000"),
            ("From", call.from.as_str()),
            ("Caller", call.from.as_str()),
            ("To", call.to.as_str()),
            ("Called", call.to.as_str()),
            ("CallStatus", status),
            ("Direction", "inbound"),
            ("ApiVersion", "2010-04-01"),
        ] {
            params.push((k.to_string(), v.to_string()));
        }
        let (outcome, notes) = match transport.send(&next.url, &params) {
            Sent::Answered { outcome, notes } => (outcome, notes),
            Sent::External => return Some(Ending::ExternalRedirect(next.url)),
            Sent::Failed(why) => return Some(Ending::Failed(why)),
        };
        let verbs = outcome.response.verbs.clone();
        let mut all_notes = next.notes;
        all_notes.extend(notes);
        t.webhooks.push(Webhook {
            url: next.url,
            params,
            result: next.result,
            input: next.input,
            notes: all_notes,
            outcome,
            played: verbs.len(),
        });
        let idx = t.webhooks.len() - 1;
        match follow(&*transport, call, &verbs, idx, t, &mut dials, inputs) {
            Follow::Next(r) => next = r,
            Follow::End(e) => return Some(e),
        }
    }
    None
}
