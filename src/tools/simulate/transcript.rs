//! The record of a simulated call: every webhook with its answer, how the call ended, and
//! the questions tests ask of it (path, what was heard, who was dialed).

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::engine::{Event, Outcome};
use crate::twiml::{DialNoun, GatherChild, Verb};

/// What the caller did at a gather, for the transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// Keys pressed (as sent in `Digits`).
    Pressed(String),
    /// Words said (as sent in `SpeechResult`).
    Said(String),
    /// Nothing (the gather timed out).
    Silence,
}

/// One webhook of the call: the request, the interpreter's answer, and how far Twilio got
/// through the document.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// The URL requested (`/voice` for the incoming call, then action URLs as written).
    pub url: String,
    /// Every request parameter, in the order sent.
    pub params: Vec<(String, String)>,
    /// The parameters that report the previous document's result (`Digits`, …).
    pub result: Vec<(String, String)>,
    /// What the caller entered, when this webhook answers a gather.
    pub input: Option<Heard>,
    /// Remarks of the simulator (input cut at `numDigits`, speech ignored, …).
    pub notes: Vec<String>,
    /// The interpreter's answer.
    pub outcome: Outcome,
    /// How many of the document's verbs ran (verbs after a `<Gather>`, `<Dial>`, … with an
    /// action never run).
    pub played: usize,
}

impl Webhook {
    /// The verbs of the document that ran.
    pub fn verbs(&self) -> &[Verb] {
        let v = &self.outcome.response.verbs;
        &v[..self.played.min(v.len())]
    }
}

/// How the simulated call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The document said `<Hangup/>`.
    HungUp,
    /// The document said `<Reject>` (with this reason, if any).
    Rejected(Option<String>),
    /// The document ran out of verbs, so Twilio ends the call.
    DocumentEnded,
    /// The caller hung up at a gather (interactive mode).
    CallerHungUp,
    /// A `<Redirect>` to TwiML outside switchboard; the simulation cannot follow it.
    ExternalRedirect(String),
    /// The call made [`Call::max_webhooks`](super::Call::max_webhooks) webhooks and was
    /// stopped.
    TooManyWebhooks(usize),
    /// A webhook got no usable answer (over HTTP: no connection, a status other than 200,
    /// malformed TwiML); Twilio would play its "application error" message and hang up.
    Failed(String),
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ending::HungUp => f.write_str("hung up (<Hangup/>)"),
            Ending::Rejected(Some(r)) => write!(f, "rejected ({r})"),
            Ending::Rejected(None) => f.write_str("rejected"),
            Ending::DocumentEnded => f.write_str("the document ran out of verbs (Twilio hangs up)"),
            Ending::CallerHungUp => f.write_str("the caller hung up"),
            Ending::ExternalRedirect(u) => write!(
                f,
                "redirected to external TwiML at {u} (not simulated; the call goes on there)"
            ),
            Ending::TooManyWebhooks(n) => write!(
                f,
                "stopped after {n} webhooks (does the flow loop without end?)"
            ),
            Ending::Failed(why) => write!(f, "request failed: {why}"),
        }
    }
}

/// A whole simulated call.
#[derive(Debug, Clone)]
pub struct Transcript {
    /// The dialed number.
    pub to: String,
    /// The caller.
    pub from: String,
    /// When the call happened.
    pub at: Timestamp,
    /// The zone of the flow that answered (UTC when none did).
    pub zone: TimeZone,
    /// Every webhook, in order.
    pub webhooks: Vec<Webhook>,
    /// How it ended.
    pub ending: Ending,
}

/// The steps a call's events entered, in order, named as [`Transcript::path`] names them:
/// steps of the flow the number chose as is, steps of other flows as `@flow.step` (replay
/// names recorded calls' paths the same way).
pub fn path_of(events: &[&Event]) -> Vec<String> {
    let home = events.iter().find_map(|e| match e {
        Event::Number { flow, .. } => Some(flow.as_str()),
        _ => None,
    });
    events
        .iter()
        .filter_map(|e| match e {
            Event::Enter { flow, step, .. } => Some(if home == Some(flow.as_str()) {
                step.clone()
            } else {
                format!("@{flow}.{step}")
            }),
            _ => None,
        })
        .collect()
}

impl Transcript {
    /// The flow the dialed number chose, if any.
    pub fn home_flow(&self) -> Option<&str> {
        self.events().find_map(|e| match e {
            Event::Number { flow, .. } => Some(flow.as_str()),
            _ => None,
        })
    }

    /// Every trace event of the call, in order.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.webhooks.iter().flat_map(|w| w.outcome.trace.iter())
    }

    /// The steps entered, in order (a menu asked again appears again). Steps of the flow the
    /// number chose are named as is; steps of other flows as `@flow.step`, like targets.
    pub fn path(&self) -> Vec<String> {
        path_of(&self.events().collect::<Vec<_>>())
    }

    /// The last step entered: where the call ends.
    pub fn ends_at(&self) -> Option<String> {
        self.path().pop()
    }

    /// What the caller heard, in order: the text of every `<Say>` and the URL of every
    /// `<Play>` that ran (prompts inside a gather included).
    pub fn heard(&self) -> Vec<String> {
        let mut out = Vec::new();
        for w in &self.webhooks {
            for v in w.verbs() {
                match v {
                    Verb::Say(s) => out.push(s.text.clone()),
                    Verb::Play(p) if !p.url.is_empty() => out.push(p.url.clone()),
                    Verb::Gather(g) => {
                        for c in &g.children {
                            match c {
                                GatherChild::Say(s) => out.push(s.text.clone()),
                                GatherChild::Play(p) if !p.url.is_empty() => {
                                    out.push(p.url.clone())
                                }
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        out
    }

    /// Every party dialed, in order (`+1…`, `sip:…`, `client:name`, `conference:room`).
    pub fn dialed(&self) -> Vec<String> {
        self.dials().into_iter().flatten().collect()
    }

    /// The targets of each `<Dial>` that ran, one list per dial.
    pub fn dials(&self) -> Vec<Vec<String>> {
        self.webhooks
            .iter()
            .flat_map(|w| w.verbs().iter())
            .filter_map(|v| match v {
                Verb::Dial(d) => Some(dial_targets(d)),
                _ => None,
            })
            .collect()
    }

    /// True when any webhook hit a run-time failure (the caller heard the apology).
    pub fn failed(&self) -> bool {
        self.webhooks.iter().any(|w| w.outcome.failed)
    }
}

/// The parties a `<Dial>` rings, written as in flow files.
pub fn dial_targets(d: &crate::twiml::Dial) -> Vec<String> {
    let mut out: Vec<String> = d.number.iter().cloned().collect();
    out.extend(d.nouns.iter().map(|n| match n {
        DialNoun::Number(n) => n.number.clone(),
        DialNoun::Sip(s) => s.uri.clone(),
        DialNoun::Client(c) => format!("client:{}", c.identity),
        DialNoun::Conference(c) => format!("conference:{}", c.name),
        DialNoun::Queue(q) => format!("queue:{}", q.name),
    }));
    out
}
