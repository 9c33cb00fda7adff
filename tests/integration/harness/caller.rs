//! The simulated caller: drives the engine in process the way Twilio would, one webhook at
//! a time, following the action URL each response names; the flow text it calls; and
//! readers for what a response says and dials.

use switchboard::engine::action_url::{self, VoicePath};
use switchboard::engine::{self, Config, Entry, Outcome, Params};
use switchboard::flow::FlowSet;
use switchboard::twiml::{DialNoun, GatherChild, Verb};

use super::at;

/// The number the flows built by [`flow`] answer.
pub const MAIN: &str = "+14155550100";
/// The caller's number.
pub const CALLER: &str = "+12025550143";

/// A flow answering [`MAIN`] in New York, starting at `entry`, with the variable `line`
/// and these `steps` (YAML indented two spaces).
pub fn flow(steps: &str) -> String {
    format!(
        "numbers: [\"{MAIN}\"]\ntimezone: America/New_York\nstart: entry\nvars:\n  line: \"+14155550111\"\nsteps:\n{steps}"
    )
}

/// A call in progress: the parameters Twilio sends and the URL of the next webhook.
pub struct Call<'a> {
    /// The flows the call is routed through.
    pub set: &'a FlowSet,
    /// The engine's configuration for every webhook.
    pub cfg: Config,
    /// The instant every webhook of the call runs at.
    pub now: jiff::Timestamp,
    /// The caller's standard parameters.
    pub base: Vec<(String, String)>,
    /// `(flow, step, query)` of the pending action URL; `None` before the first webhook.
    pub pending: Option<(String, String, String)>,
    /// Every outcome so far.
    pub outcomes: Vec<Outcome>,
}

impl<'a> Call<'a> {
    pub fn new(set: &'a FlowSet, from: &str, to: &str) -> Call<'a> {
        Call {
            set,
            cfg: Config::default(),
            now: at("2026-11-30T10:00", "America/New_York"),
            base: vec![
                (
                    "CallSid".into(),
                    "CAeb235b73b619126b4828311b926f50d4".into(),
                ),
                ("From".into(), from.into()),
                ("To".into(), to.into()),
                ("CallStatus".into(), "in-progress".into()),
            ],
            pending: None,
            outcomes: Vec::new(),
        }
    }

    #[must_use]
    pub fn at(mut self, now: jiff::Timestamp) -> Self {
        self.now = now;
        self
    }

    /// Sends the next webhook with these extra parameters; returns the outcome.
    pub fn send(&mut self, extra: &[(&str, &str)]) -> &Outcome {
        // Extra parameters come first, so they win over the standard ones.
        let mut pairs: Vec<(String, String)> = extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        pairs.extend(self.base.iter().cloned());
        let params = Params::from_pairs(pairs);
        let out = match &self.pending {
            None => engine::run(self.set, &self.cfg, Entry::Incoming, &params, self.now),
            Some((f, s, q)) => engine::run(
                self.set,
                &self.cfg,
                Entry::Continue {
                    flow: f,
                    step: s,
                    query: q,
                },
                &params,
                self.now,
            ),
        };
        self.pending = action_of(&out);
        self.outcomes.push(out);
        self.outcomes.last().expect("just pushed")
    }

    /// The trace of every webhook so far, one line per event.
    pub fn transcript(&self) -> String {
        self.outcomes
            .iter()
            .flat_map(|o| o.trace.iter().map(|e| e.to_string()))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Names of every step entered so far, in order.
    pub fn path(&self) -> Vec<String> {
        self.outcomes
            .iter()
            .flat_map(|o| o.trace.iter())
            .filter_map(|e| match e {
                engine::Event::Enter { step, .. } => Some(step.clone()),
                _ => None,
            })
            .collect()
    }
}

/// The `/voice/{flow}/{step}?{query}` action of a response (Gather, Dial, Record, Enqueue).
pub fn action_of(out: &Outcome) -> Option<(String, String, String)> {
    let url = out.response.verbs.iter().find_map(|v| match v {
        Verb::Gather(g) => g.action.clone(),
        Verb::Dial(d) => d.action.clone(),
        Verb::Record(r) => r.action.clone(),
        Verb::Enqueue(e) => e.action.clone(),
        _ => None,
    })?;
    // The one parser of action URLs (the server's and the simulator's), on the path part.
    let at = url.find("/voice/")?;
    let action = action_url::parse_url(&url[at..], "")?;
    match action.path {
        VoicePath::Continue { flow, step } => {
            Some((flow.to_owned(), step.to_owned(), action.query.to_owned()))
        }
        VoicePath::Incoming => None,
    }
}

/// The numbers a response dials.
pub fn dialed(out: &Outcome) -> Vec<String> {
    out.response
        .verbs
        .iter()
        .filter_map(|v| match v {
            Verb::Dial(d) => Some(d.nouns.iter().map(|n| match n {
                DialNoun::Number(n) => n.number.clone(),
                DialNoun::Sip(s) => s.uri.clone(),
                DialNoun::Client(c) => format!("client:{}", c.identity),
                DialNoun::Conference(c) => format!("conference:{}", c.name),
                DialNoun::Queue(q) => format!("queue:{}", q.name),
            })),
            _ => None,
        })
        .flatten()
        .collect()
}

/// Everything said, in order.
pub fn said(out: &Outcome) -> Vec<String> {
    let mut v = Vec::new();
    for verb in &out.response.verbs {
        match verb {
            Verb::Say(s) => v.push(s.text.clone()),
            Verb::Gather(g) => {
                for c in &g.children {
                    if let GatherChild::Say(s) = c {
                        v.push(s.text.clone());
                    }
                }
            }
            _ => {}
        }
    }
    v
}
