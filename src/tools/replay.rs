//! Replay: recorded calls run again through the interpreter, in process, against a flow set
//! (`switchboard replay`, `switchboard calls export-test`).
//!
//! A recorded call is the list of its webhook records ([`crate::calls::record::Webhook`]):
//! each holds the whole request (so the engine gets what it had: the caller, the digits,
//! the speech, the dial and recording outcomes, every other parameter), the instant the
//! engine used as "now", the trace of what it did and the document it answered. A replay
//! sends the first webhook to `/voice` and each later one to the URL the *replayed*
//! document would have made Twilio request, with the recorded inputs — so the call state
//! (attempts, variables) makes the same trip through action URLs as on a real call, and an
//! edit that changes where a call goes is seen as Twilio would see it.
//!
//! When the replayed document no longer fits what the caller did (the candidate waits for a
//! dial outcome where the caller pressed a key, or asks for input where the recorded call
//! ended), the replay stops: what the caller would have done is unknown. So does a call
//! whose inputs were redacted (a `sensitive: true` ask) or that Twilio finished through the
//! fallback URL. Those calls are [`Verdict::Unreplayable`], with a [`Reason`].
//!
//! Everything here is pure: the records and the flow sets come from the caller, time comes
//! from the records (or one instant given), nothing is read or written.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use serde::Serialize;

use crate::calls::record::{Body, Record, Webhook};
use crate::engine::action_url::{self, VoicePath};
use crate::engine::{self, Config, Entry, Event, Outcome, Params, REDACTED};
use crate::flow::FlowSet;
use crate::tools::simulate;
use crate::twiml::{DialNoun, Response, Verb};

pub mod export;
pub mod impact;
pub mod render;

#[cfg(test)]
mod tests;

/// Webhooks a replay follows after the last recorded one (redirects the candidate added
/// where the recorded call ended), at most.
pub const MAX_EXTRA_WEBHOOKS: usize = 50;

/// One recorded call: its webhooks, oldest first.
#[derive(Debug, Clone, Default)]
pub struct RecordedCall {
    /// The call's `CallSid`.
    pub call_sid: String,
    /// Its webhook records, in the order they arrived.
    pub webhooks: Vec<Webhook>,
}

impl RecordedCall {
    /// The webhooks among a call's records (any order: sorted by arrival here).
    pub fn from_records(call_sid: &str, records: impl IntoIterator<Item = Record>) -> Self {
        let mut hooks: Vec<(i64, String, Webhook)> = records
            .into_iter()
            .filter(|r| r.call_sid == call_sid)
            .filter_map(|r| match r.body {
                Body::Webhook(w) => Some((r.at, r.key, *w)),
                _ => None,
            })
            .collect();
        hooks.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        RecordedCall {
            call_sid: call_sid.to_string(),
            webhooks: hooks.into_iter().map(|(_, _, w)| w).collect(),
        }
    }

    /// The flow set versions that answered the call, in order of first use.
    pub fn versions(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for w in &self.webhooks {
            if !out.contains(&w.flow_version.as_str()) {
                out.push(&w.flow_version);
            }
        }
        out
    }

    /// The caller, the dialed number and when the call began (from its first webhook).
    pub fn header(&self) -> (Option<&str>, Option<&str>, Option<Timestamp>) {
        let first = self.webhooks.first();
        (
            first.and_then(|w| w.leg.from.as_deref()),
            first.and_then(|w| w.leg.to.as_deref()),
            first.and_then(|w| Timestamp::from_microsecond(w.now).ok()),
        )
    }
}

/// The records a server would have kept of a call the simulator plays against `set` (each
/// webhook's request, trace and document, with `flow_version` and the `engine` settings):
/// how tests and the benchmark kit fill a store without a server. Webhook `i` is stamped
/// `now` + `i` × 7 s and arrives at `arrived` + `i` µs.
pub fn simulated_records(
    set: &FlowSet,
    engine: &Config,
    call: &simulate::Call,
    inputs: &mut dyn simulate::InputSource,
    flow_version: &str,
    arrived: i64,
) -> Vec<Record> {
    use crate::calls::record::{Answered, Arrival};
    let t = simulate::run(set, engine, call, inputs);
    let mut records = Vec::with_capacity(t.webhooks.len());
    for (i, w) in (0i64..).zip(&t.webhooks) {
        let params = Params::from_pairs(w.params.clone());
        let resumed = match action_url::parse_url(&w.url, &engine.base_url).map(|a| a.path) {
            Some(VoicePath::Continue { flow, step }) => Some(format!("{flow}/{step}")),
            _ => None,
        };
        let mut trace = w.outcome.trace.clone();
        engine::redact(&mut trace, &w.outcome.secrets);
        let answered = Answered {
            endpoint: if resumed.is_some() {
                "continue"
            } else {
                "voice"
            },
            resumed,
            idempotency_token: None,
            signature: None,
            url: &w.url,
            now: call.at.as_microsecond() + i * 7_000_000,
            latency_us: 40,
            flow: w.outcome.flow.clone(),
            flow_version: flow_version.to_string(),
            failed: w.outcome.failed,
            trace,
            twiml: w.outcome.twiml.as_bytes(),
            engine,
            notices: &w.outcome.notices,
            secrets: &w.outcome.secrets,
        };
        let arrival = Arrival {
            at: arrived + i,
            replica: "simulated",
        };
        records.extend(Record::webhook(&params, arrival, answered));
    }
    records
}

/// Compiles a stored flow set version (`Database::flow_set`'s files) through the one
/// loader; `None` if it does not load (it did when it was served, so only a store written
/// by another build could hold one that does not).
pub fn load_version(files: Vec<(String, String)>) -> Option<FlowSet> {
    let texts = files
        .into_iter()
        .map(|(name, text)| (std::path::PathBuf::from(name), text))
        .collect();
    crate::flow::load_texts(texts).into_servable().ok()
}

/// The instant each webhook is replayed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// The instant the server used for it (schedules decide as they did).
    Recorded,
    /// The call moved to start at this instant, keeping the time between its webhooks.
    StartingAt(Timestamp),
}

/// The flows a call is replayed against.
#[derive(Debug, Clone, Copy)]
pub enum Flows<'a> {
    /// One set for every webhook (a candidate directory, the flows serving now).
    Candidate(&'a FlowSet),
    /// Each webhook against the version that answered it, by version.
    Recorded(&'a HashMap<String, FlowSet>),
}

impl<'a> Flows<'a> {
    fn for_version(&self, version: &str) -> Option<&'a FlowSet> {
        match self {
            Flows::Candidate(set) => Some(set),
            Flows::Recorded(sets) => sets.get(version),
        }
    }
}

/// One webhook as it was recorded, or as it was replayed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Side {
    /// The step the request resumed (`flow/step`), `None` for `/voice`.
    pub resumed: Option<String>,
    /// The steps entered (`flow/step`), in order.
    pub steps: Vec<String>,
    /// What the interpreter did and why.
    #[serde(serialize_with = "events_text")]
    pub events: Vec<Event>,
    /// The document answered (empty when the record predates documents being kept).
    pub twiml: String,
}

fn events_text<S: serde::Serializer>(events: &[Event], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(events.iter().map(|e| e.to_string().trim().to_string()))
}

impl Side {
    fn recorded(w: &Webhook) -> Side {
        Side {
            resumed: w.resumed.clone(),
            steps: entered(&w.trace.0),
            events: w.trace.0.clone(),
            twiml: w.twiml.clone(),
        }
    }

    fn replayed(resumed: Option<String>, outcome: &Outcome) -> Side {
        Side {
            resumed,
            steps: entered(&outcome.trace),
            events: outcome.trace.clone(),
            twiml: outcome.twiml.clone(),
        }
    }

    /// The same path: the same step resumed and the same steps entered.
    pub fn same_path(&self, other: &Side) -> bool {
        self.resumed == other.resumed && self.steps == other.steps
    }
}

fn entered(trace: &[Event]) -> Vec<String> {
    trace
        .iter()
        .filter_map(|e| match e {
            Event::Enter { flow, step, .. } => Some(format!("{flow}/{step}")),
            _ => None,
        })
        .collect()
}

/// One webhook of a replay: what the caller did, and both answers.
#[derive(Debug, Clone, Serialize)]
pub struct Pair {
    /// What the request carried from the caller or Twilio (`digits "2"`, `dial busy`, …).
    pub input: String,
    /// As recorded (`None` past the recorded end: a webhook only the replay made).
    pub recorded: Option<Side>,
    /// As replayed (`None` where the replay stopped or ended first).
    pub replayed: Option<Side>,
}

impl Pair {
    /// Both sides took the same path.
    pub fn same_path(&self) -> bool {
        match (&self.recorded, &self.replayed) {
            (Some(a), Some(b)) => a.same_path(b),
            _ => false,
        }
    }

    /// Both documents are known and differ.
    pub fn document_differs(&self) -> bool {
        match (&self.recorded, &self.replayed) {
            (Some(a), Some(b)) => !a.twiml.is_empty() && a.twiml != b.twiml,
            _ => false,
        }
    }

    /// The decisions (rules, inputs, results, errors) only one side made, in order, each
    /// with the step it led to: `(recorded only, replayed only)`. A menu that heard the
    /// same key on both sides but goes elsewhere shows as `menu: heard "1": option 1 →
    /// sales` against `… → support`.
    pub fn differing_verdicts(&self) -> (Vec<String>, Vec<String>) {
        let (a, b) = (decisions(&self.recorded), decisions(&self.replayed));
        let only = |x: &[String], y: &[String]| -> Vec<String> {
            x.iter().filter(|e| !y.contains(e)).cloned().collect()
        };
        (only(&a, &b), only(&b, &a))
    }
}

/// A side's decisions, each with the step entered next (before any other decision).
fn decisions(side: &Option<Side>) -> Vec<String> {
    let Some(side) = side else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, e) in side.events.iter().enumerate() {
        if !is_decision(e) {
            continue;
        }
        let mut line = e.to_string().trim().to_string();
        let already_says_where = matches!(e, Event::Rule { .. } | Event::Number { .. });
        let next = side.events[i + 1..]
            .iter()
            .take_while(|n| !is_decision(n))
            .find_map(|n| match n {
                Event::Enter { flow, step, .. } => Some(format!("{flow}/{step}")),
                _ => None,
            });
        if let (false, Some(step)) = (already_says_where, next) {
            line.push_str(&format!(" → {step}"));
        }
        out.push(line);
    }
    out
}

fn is_decision(e: &Event) -> bool {
    matches!(
        e,
        Event::Number { .. }
            | Event::NoFlow { .. }
            | Event::Restart { .. }
            | Event::Rule { .. }
            | Event::Input { .. }
            | Event::Result { .. }
            | Event::Exhausted { .. }
            | Event::Error { .. }
            | Event::Hangup
    )
}

/// What became of a replayed call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Every webhook took the recorded path.
    Same,
    /// The path differs from webhook `webhook` (0-based) on; the replay ran to the end.
    Changed {
        /// The first webhook where the paths part.
        webhook: usize,
    },
    /// The replay could not go on at webhook `webhook` (0-based).
    Unreplayable {
        /// The webhook it stopped at.
        webhook: usize,
        /// Why.
        reason: Reason,
    },
}

/// Why a call cannot be replayed (further).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// No webhook of the call was recorded (a dialed leg, or an outbound call).
    NoWebhooks,
    /// The call's first webhook (`/voice`) was not recorded.
    NoStart,
    /// Twilio used the fallback URL: the answer it got is not the flows'.
    Fallback,
    /// What the caller entered at a `sensitive: true` ask was not stored.
    Redacted {
        /// The step that heard it.
        step: String,
    },
    /// A webhook of the call is missing from the record (dropped under load, or not
    /// readable): the next recorded one is not where the recorded document pointed.
    Gap {
        /// The step the recorded webhook resumed.
        step: String,
    },
    /// The call has more webhooks than a replay reads.
    TooLong,
    /// The flow set version that answered is not stored.
    FlowsNotStored {
        /// The version.
        version: String,
    },
    /// The candidate waits for something other than what the recorded call did next.
    WaitsFor {
        /// The step that waits.
        step: String,
        /// What it waits for (`input`, `a dial outcome`, …).
        what: String,
        /// What the recorded call did instead (`ended`, `digits "2"`, …).
        recorded: String,
    },
    /// The recorded call answered something (`digits "2"`) the candidate does not ask for.
    NotAsked {
        /// Where the candidate goes instead.
        step: String,
        /// What the caller did.
        recorded: String,
    },
    /// The candidate sends the call to a URL outside switchboard.
    Leaves {
        /// The URL.
        url: String,
    },
}

impl Reason {
    /// True when the candidate flows caused it (a change a reviewer must see); false when
    /// the record itself cannot be replayed whatever the flows say.
    pub fn is_change(&self) -> bool {
        matches!(
            self,
            Reason::WaitsFor { .. } | Reason::NotAsked { .. } | Reason::Leaves { .. }
        )
    }

    /// The reason without the call's own values (for grouping calls).
    pub fn group(&self) -> String {
        match self {
            Reason::WaitsFor {
                step,
                what,
                recorded,
            } => {
                // `sent digits "2"` → `sent digits`: the kind of input, not its value.
                let kind: Vec<&str> = recorded.split(' ').take(2).collect();
                format!(
                    "{step} now waits for {what}; the recorded call {}",
                    kind.join(" ")
                )
            }
            Reason::NotAsked { step, recorded } => {
                let kind = recorded.split(' ').next().unwrap_or("");
                format!("the recorded {kind} is no longer asked for (the flows go on to {step})")
            }
            Reason::Leaves { .. } => "the call leaves for another URL".to_string(),
            Reason::Gap { .. } => "a webhook is missing from the record".to_string(),
            other => other.to_string(),
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::NoWebhooks => f.write_str("no webhook of this call was recorded"),
            Reason::NoStart => f.write_str("the call's first webhook (/voice) was not recorded"),
            Reason::Fallback => f.write_str("Twilio used the fallback URL"),
            Reason::Redacted { step } => write!(
                f,
                "what the caller entered at {step} was redacted (sensitive ask)"
            ),
            Reason::FlowsNotStored { version } => {
                write!(f, "flow set version {version} is not in the store")
            }
            Reason::Gap { step } => write!(
                f,
                "a webhook before {step} is missing from the record (dropped under load?)"
            ),
            Reason::TooLong => write!(
                f,
                "the call has more than {} webhooks",
                crate::calls::query::MAX_REPLAY_WEBHOOKS
            ),
            Reason::WaitsFor {
                step,
                what,
                recorded,
            } => write!(
                f,
                "{step} now waits for {what}; the recorded call {recorded}"
            ),
            Reason::NotAsked { step, recorded } => write!(
                f,
                "the recorded call sent {recorded}, which the flows no longer ask for (they go on to {step})"
            ),
            Reason::Leaves { url } => write!(f, "the flows send the call to {url}"),
        }
    }
}

/// A replayed call.
#[derive(Debug, Clone, Serialize)]
pub struct Replay {
    /// The call's `CallSid`.
    pub call_sid: String,
    /// Each webhook, recorded and replayed.
    pub pairs: Vec<Pair>,
    /// The outcome.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// The steps the recorded call entered (`@flow.step` outside its first flow).
    pub recorded_path: Vec<String>,
    /// The steps the replay entered.
    pub replayed_path: Vec<String>,
}

impl Replay {
    /// Webhooks whose document differs though the path is the same (a changed prompt).
    pub fn documents_differ(&self) -> usize {
        self.pairs
            .iter()
            .filter(|p| p.same_path() && p.document_differs())
            .count()
    }

    /// The first webhook whose paths part (the replay stopping there counts), if any.
    pub fn first_difference(&self) -> Option<usize> {
        self.pairs.iter().position(|p| !p.same_path())
    }

    /// True when the candidate changes what happens on this call: another path, or a
    /// replay the candidate stopped ([`Reason::is_change`]).
    pub fn changed(&self) -> bool {
        match &self.verdict {
            Verdict::Same => false,
            Verdict::Changed { .. } => true,
            Verdict::Unreplayable { reason, .. } => reason.is_change(),
        }
    }
}

/// Replays one call against `flows`.
pub fn replay(call: &RecordedCall, flows: Flows<'_>, when: When) -> Replay {
    let mut pairs = Vec::new();
    let stop = walk(call, flows, when, &mut pairs);
    let recorded_path = path_of(pairs.iter().filter_map(|p| p.recorded.as_ref()));
    let replayed_path = path_of(pairs.iter().filter_map(|p| p.replayed.as_ref()));
    let verdict = match (stop, pairs.iter().position(|p| !p.same_path())) {
        (Some((webhook, reason)), _) => Verdict::Unreplayable { webhook, reason },
        (None, Some(webhook)) => Verdict::Changed { webhook },
        (None, None) => Verdict::Same,
    };
    Replay {
        call_sid: call.call_sid.clone(),
        pairs,
        verdict,
        recorded_path,
        replayed_path,
    }
}

/// The call's path from its sides: `flow/step` names as the trace has them, shown like a
/// flow test's `path` (steps of the first flow by name, others as `@flow.step`).
fn path_of<'a>(sides: impl Iterator<Item = &'a Side>) -> Vec<String> {
    let events: Vec<&Event> = sides.flat_map(|s| s.events.iter()).collect();
    simulate::path_of(&events)
}

/// Where the replayed document sends the call next.
enum Next {
    /// Twilio requests this URL (with what the gather heard, when the candidate's gather
    /// hears the recorded input differently).
    Url(String, Option<Heard>),
    /// The call ends.
    End,
    /// The replay cannot go on.
    Stop(Reason),
}

/// Runs the webhooks, pushing a pair for each; the webhook and reason where it stopped.
fn walk(
    call: &RecordedCall,
    flows: Flows<'_>,
    when: When,
    pairs: &mut Vec<Pair>,
) -> Option<(usize, Reason)> {
    let Some(first) = call.webhooks.first() else {
        return Some((0, Reason::NoWebhooks));
    };
    if first.endpoint != "voice" {
        return Some((0, Reason::NoStart));
    }
    if call.webhooks.len() > crate::calls::query::MAX_REPLAY_WEBHOOKS {
        return Some((0, Reason::TooLong));
    }
    let start = first.now;
    let at = |now: i64| match when {
        When::Recorded => Timestamp::from_microsecond(now).unwrap_or(Timestamp::UNIX_EPOCH),
        When::StartingAt(t) => {
            let offset = jiff::SignedDuration::from_micros(now.saturating_sub(start));
            t.checked_add(offset).unwrap_or(t)
        }
    };
    let mut previous: Option<(Response, String)> = None;
    for (i, w) in call.webhooks.iter().enumerate() {
        let recorded = Side::recorded(w);
        let mut pair = Pair {
            input: if i == 0 {
                "incoming call".to_string()
            } else {
                describe_input(&w.inputs)
            },
            recorded: Some(recorded),
            replayed: None,
        };
        // Where the replay ends or stops, the rest of the recorded call is listed with no
        // replayed side, so both paths are whole.
        let stop = |pairs: &mut Vec<Pair>, pair: Pair, reason: Option<Reason>| {
            pairs.push(pair);
            pairs.extend(call.webhooks[i + 1..].iter().map(|w| Pair {
                input: describe_input(&w.inputs),
                recorded: Some(Side::recorded(w)),
                replayed: None,
            }));
            reason.map(|r| (i, r))
        };
        if w.endpoint == "fallback" {
            return stop(pairs, pair, Some(Reason::Fallback));
        }
        if w.redacted || w.inputs.values().any(|v| v.contains(REDACTED)) {
            let step = w.resumed.clone().unwrap_or_else(|| "/voice".into());
            return stop(pairs, pair, Some(Reason::Redacted { step }));
        }
        if i > 0 && gap(&call.webhooks[i - 1], w) {
            let step = w.resumed.clone().unwrap_or_else(|| "/voice".into());
            return stop(pairs, pair, Some(Reason::Gap { step }));
        }
        let (url, heard) = match &previous {
            None => ("/voice".to_string(), None),
            Some((doc, step)) => match next(doc, Some(&w.inputs), step) {
                Next::Url(u, heard) => (u, heard),
                // The replay hung up where the recorded call went on: the new path is
                // complete, and shorter.
                Next::End => return stop(pairs, pair, None),
                Next::Stop(reason) => return stop(pairs, pair, Some(reason)),
            },
        };
        let Some(set) = flows.for_version(&w.flow_version) else {
            let version = w.flow_version.clone();
            return stop(pairs, pair, Some(Reason::FlowsNotStored { version }));
        };
        let request = Request {
            recorded: w,
            heard: heard.as_ref(),
            call_sid: &call.call_sid,
        };
        let (outcome, resumed) = match run_one(set, &request, &url, at(w.now)) {
            Ok(r) => r,
            Err(reason) => return stop(pairs, pair, Some(reason)),
        };
        let wait_step = waiting_step(&outcome.trace);
        pair.replayed = Some(Side::replayed(resumed, &outcome));
        pairs.push(pair);
        previous = Some((outcome.response, wait_step));
    }
    let last = call.webhooks.last()?;
    follow_past_the_end(call, flows, pairs, previous, last, at)
}

/// After the last recorded webhook: when the recorded flow itself ended the call, the
/// caller was still listening, so whatever the candidate does without them (redirects) is
/// followed; a candidate that waits for them there cannot be replayed further.
fn follow_past_the_end(
    call: &RecordedCall,
    flows: Flows<'_>,
    pairs: &mut Vec<Pair>,
    previous: Option<(Response, String)>,
    last: &Webhook,
    at: impl Fn(i64) -> Timestamp,
) -> Option<(usize, Reason)> {
    let (mut doc, mut step) = previous?;
    if !ended_the_call(last) {
        // The recorded document waited for the caller, or sent Twilio on (a redirect) and
        // nothing more came: the caller hung up there, and hangs up at the same point of the
        // replay.
        return None;
    }
    let set = flows.for_version(&last.flow_version)?;
    let mut w = last.clone();
    w.inputs = BTreeMap::new();
    w.params = Params::from_pairs(
        w.params
            .pairs()
            .filter(|(k, _)| !GATHER_RESULTS.contains(k))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    for _ in 0..MAX_EXTRA_WEBHOOKS {
        let stopped = |pairs: &mut Vec<Pair>, reason| {
            // A row for the webhook the replay could not make, so the table shows it.
            pairs.push(Pair {
                input: "(the recorded call had ended)".to_string(),
                recorded: None,
                replayed: None,
            });
            Some((pairs.len() - 1, reason))
        };
        let url = match next(&doc, None, &step) {
            Next::Url(u, _) => u,
            Next::End => return None,
            Next::Stop(reason) => return stopped(pairs, reason),
        };
        let request = Request {
            recorded: &w,
            heard: None,
            call_sid: &call.call_sid,
        };
        let (outcome, resumed) = match run_one(set, &request, &url, at(last.now)) {
            Ok(r) => r,
            // Sent outside switchboard where the recorded call had ended: the replayed call
            // leaves too, complete.
            Err(Reason::Leaves { .. }) => return None,
            Err(reason) => return stopped(pairs, reason),
        };
        step = waiting_step(&outcome.trace);
        pairs.push(Pair {
            input: describe_input(&w.inputs),
            recorded: None,
            replayed: Some(Side::replayed(resumed, &outcome)),
        });
        doc = outcome.response;
    }
    None
}

/// Parameters a gather's result sets (replaced by what the candidate's gather makes of the
/// caller's input).
const GATHER_RESULTS: &[&str] = &["Digits", "SpeechResult", "Confidence", "FinishedOnKey"];

/// One request of a replay: the recorded webhook, and what the candidate's gather heard.
struct Request<'a> {
    /// The recorded webhook (its parameters).
    recorded: &'a Webhook,
    /// What the replayed gather made of the caller's input, when it differs.
    heard: Option<&'a Heard>,
    /// The call's `CallSid`.
    call_sid: &'a str,
}

impl Request<'_> {
    fn params(&self) -> Params {
        let mut pairs = self.recorded.request(self.call_sid);
        match self.heard {
            None => {}
            Some(Heard::Silence) => pairs.retain(|(k, _)| !GATHER_RESULTS.contains(&k.as_str())),
            Some(Heard::Digits(d)) => {
                pairs.retain(|(k, _)| k != "Digits");
                pairs.push(("Digits".to_string(), d.clone()));
            }
        }
        Params::from_pairs(pairs)
    }
}

/// What a replayed gather made of the recorded input, when Twilio would send something
/// other than what was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Heard {
    /// Nothing (keys at a speech-only gather, speech at a keys-only one).
    Silence,
    /// These digits (another `numDigits` or finish key).
    Digits(String),
}

/// Sends one recorded request to `url` (as written in the replayed document, or `/voice`).
fn run_one(
    set: &FlowSet,
    request: &Request<'_>,
    url: &str,
    now: Timestamp,
) -> Result<(Outcome, Option<String>), Reason> {
    let w = request.recorded;
    let cfg = Config {
        base_url: w.base_url.clone(),
        apology: w
            .apology
            .clone()
            .unwrap_or_else(|| Config::default().apology),
        ..Config::default()
    };
    let params = request.params();
    let path = if url == "/voice" {
        Some(action_url::ActionUrl {
            path: VoicePath::Incoming,
            query: "",
        })
    } else {
        action_url::parse_url(url, &cfg.base_url)
    };
    let Some(action) = path else {
        return Err(Reason::Leaves {
            url: url.to_string(),
        });
    };
    Ok(match action.path {
        VoicePath::Incoming => (engine::run(set, &cfg, Entry::Incoming, &params, now), None),
        VoicePath::Continue { flow, step } => {
            let entry = Entry::Continue {
                flow,
                step,
                query: action.query,
            };
            let outcome = engine::run(set, &cfg, entry, &params, now);
            (outcome, Some(format!("{flow}/{step}")))
        }
    })
}

/// The step a document waits at: the last step it entered (`flow/step`), else the step it
/// resumed.
fn waiting_step(trace: &[Event]) -> String {
    trace
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Enter { flow, step, .. } | Event::Resume { flow, step } => {
                Some(format!("{flow}/{step}"))
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// What a request carried, in words (`digits "2"`, `dial no-answer`, `nothing`).
pub fn describe_input(inputs: &BTreeMap<String, String>) -> String {
    let get = |k: &str| inputs.get(k).map(String::as_str);
    if get("RecordingUrl").is_some() {
        return match get("RecordingDuration") {
            Some(d) => format!("recording {d}s"),
            None => "recording".to_string(),
        };
    }
    if let Some(d) = get("Digits") {
        format!("digits {d:?}")
    } else if let Some(s) = get("SpeechResult") {
        format!("speech {s:?}")
    } else if let Some(s) = get("DialCallStatus") {
        format!("dial {s}")
    } else if let Some(q) = get("QueueResult") {
        format!("queue {q}")
    } else {
        "nothing".to_string()
    }
}

/// Digits or speech answering a gather (a recording's action also carries `Digits`, the
/// key or `hangup` that ended it: that is not an answer).
fn has_caller_input(inputs: &BTreeMap<String, String>) -> bool {
    !inputs.contains_key("RecordingUrl")
        && (inputs.contains_key("Digits") || inputs.contains_key("SpeechResult"))
}

/// What the candidate's gather `g` hears of the recorded input, when it differs from what
/// was recorded: keys pass through its `numDigits` and finish key (as Twilio applies
/// them); speech needs a gather that listens for speech, keys one that listens for keys.
fn heard_by(g: &crate::twiml::Gather, inputs: &BTreeMap<String, String>) -> Option<Heard> {
    let listens = g.input.as_deref().unwrap_or("dtmf");
    if inputs.contains_key("SpeechResult") && !inputs.contains_key("Digits") {
        return (!listens.contains("speech")).then_some(Heard::Silence);
    }
    let digits = inputs.get("Digits")?;
    if !listens.contains("dtmf") {
        return Some(Heard::Silence);
    }
    let mut keys = digits.clone();
    keys.push_str(inputs.get("FinishedOnKey").map_or("", String::as_str));
    let (result, _) = simulate::play::gather_result(g, &keys, &mut Vec::new());
    let heard = result
        .into_iter()
        .find(|(k, _)| k == "Digits")
        .map(|(_, v)| v);
    match heard {
        None => Some(Heard::Silence),
        Some(d) if d.is_empty() => Some(Heard::Silence),
        Some(d) if d == *digits => None,
        Some(d) => Some(Heard::Digits(d)),
    }
}

/// The recorded document ended the call itself (no wait, no redirect): the caller was still
/// on the line when it did.
fn ended_the_call(w: &Webhook) -> bool {
    let waited = w.trace.0.iter().any(|e| matches!(e, Event::Wait { .. }));
    if waited {
        return false;
    }
    if w.twiml.is_empty() {
        // A record from before documents were kept: the trace says whether it hung up.
        return w.trace.0.contains(&Event::Hangup);
    }
    !w.twiml.contains("<Redirect")
}

/// The record skips a webhook: `w` is not a request the previous recorded document could
/// have made (checked when that document is stored).
fn gap(before: &Webhook, w: &Webhook) -> bool {
    let Some(step) = &w.resumed else {
        // A second `/voice` for the same call.
        return true;
    };
    if before.twiml.is_empty() {
        return false;
    }
    let path = format!("/voice/{step}");
    !["?", "\"", "<"]
        .iter()
        .any(|end| before.twiml.contains(&format!("{path}{end}")))
}

fn has_outcome(inputs: &BTreeMap<String, String>) -> bool {
    has_caller_input(inputs)
        || ["DialCallStatus", "RecordingUrl", "QueueResult"]
            .iter()
            .any(|k| inputs.contains_key(*k))
}

/// Plays a replayed document as Twilio would, given what the recorded call did next
/// (`None`: nothing — the recorded flow ended the call there): which URL is requested.
fn next(doc: &Response, inputs: Option<&BTreeMap<String, String>>, step: &str) -> Next {
    let waits = |what: &str| {
        let recorded = match inputs {
            None => "ended there".to_string(),
            Some(i) => format!("sent {}", describe_input(i)),
        };
        Next::Stop(Reason::WaitsFor {
            step: step.to_string(),
            what: what.to_string(),
            recorded,
        })
    };
    for verb in &doc.verbs {
        match verb {
            Verb::Say(_) | Verb::Play(_) | Verb::Pause(_) | Verb::Leave => {}
            Verb::Gather(g) => {
                let Some(action) = &g.action else { continue };
                let heard = match inputs {
                    None => return waits("input"),
                    Some(i) if has_caller_input(i) => heard_by(g, i),
                    // A dial, recording or queue outcome is not a silent caller: the call
                    // was elsewhere when it was recorded.
                    Some(i) if has_outcome(i) => return waits("input"),
                    Some(_) => None,
                };
                let silent = match inputs {
                    Some(i) if has_caller_input(i) => heard == Some(Heard::Silence),
                    _ => true,
                };
                if !silent {
                    return Next::Url(action.clone(), heard);
                }
                // Silence: Twilio requests the action only with actionOnEmptyResult, else
                // it goes on to the next verb.
                if g.action_on_empty_result == Some(true) {
                    return Next::Url(action.clone(), Some(Heard::Silence));
                }
            }
            Verb::Dial(d) => {
                let Some(action) = &d.action else { continue };
                let conference = d.nouns.iter().any(|n| matches!(n, DialNoun::Conference(_)));
                match inputs {
                    Some(i) if i.contains_key("DialCallStatus") || conference => {
                        return Next::Url(action.clone(), None);
                    }
                    _ => return waits("a dial outcome"),
                }
            }
            Verb::Record(r) => {
                let Some(action) = &r.action else { continue };
                match inputs {
                    Some(i) if i.contains_key("RecordingUrl") => {
                        return Next::Url(action.clone(), None);
                    }
                    // An empty recording: Twilio goes on to the next verb.
                    Some(i) if !has_outcome(i) => {}
                    _ => return waits("a recording"),
                }
            }
            Verb::Enqueue(e) => {
                let Some(action) = &e.action else { continue };
                match inputs {
                    Some(i) if i.contains_key("QueueResult") => {
                        return Next::Url(action.clone(), None);
                    }
                    _ => return waits("the caller to leave the queue"),
                }
            }
            Verb::Redirect(r) => {
                if let Some(i) = inputs.filter(|i| has_outcome(i)) {
                    return Next::Stop(Reason::NotAsked {
                        step: step.to_string(),
                        recorded: describe_input(i),
                    });
                }
                return Next::Url(r.url.clone(), None);
            }
            Verb::Hangup | Verb::Reject(_) => return Next::End,
        }
    }
    Next::End
}
