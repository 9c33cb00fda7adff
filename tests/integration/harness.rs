//! Builders shared by the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file under `tests/data/`.
pub fn data(rel: &str) -> PathBuf {
    root().join("tests/data").join(rel)
}

/// A raw webhook body from `tests/data/webhooks/` (copied from `../shared/fixtures`).
pub fn webhook(name: &str) -> String {
    let p = data(&format!("webhooks/{name}.form"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

/// A temporary flows directory built file by file.
pub struct FlowDir {
    pub dir: tempfile::TempDir,
}

impl FlowDir {
    pub fn new() -> FlowDir {
        FlowDir {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn file(self, name: &str, text: &str) -> FlowDir {
        std::fs::write(self.dir.path().join(name), text).expect("write flow");
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

use switchboard::engine::{self, Config, Entry, Outcome, Params};
use switchboard::flow::{self, FlowSet};
use switchboard::twiml::{DialNoun, Verb};

/// Loads flows from `(file name, text)` pairs and asserts there is no error.
pub fn load(files: &[(&str, &str)]) -> FlowSet {
    let loaded = load_any(files);
    match loaded.into_servable() {
        Ok(set) => set,
        Err(l) => panic!("flows have errors:\n{}", l.render_diagnostics()),
    }
}

/// Loads flows from `(file name, text)` pairs, errors or not.
pub fn load_any(files: &[(&str, &str)]) -> flow::Loaded {
    flow::load_texts(
        files
            .iter()
            .map(|(n, t)| (PathBuf::from(n), t.to_string()))
            .collect(),
    )
}

/// A civil time in a zone, as an instant.
pub fn at(civil: &str, tz: &str) -> jiff::Timestamp {
    let dt: jiff::civil::DateTime = civil.parse().expect("civil datetime");
    dt.in_tz(tz).expect("zone").timestamp()
}

/// A call in progress: the parameters Twilio sends and the URL of the next webhook.
pub struct Call<'a> {
    pub set: &'a FlowSet,
    pub cfg: Config,
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
    let rest = &url[url.find("/voice/")? + "/voice/".len()..];
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (flow, step) = path.split_once('/')?;
    Some((flow.to_string(), step.to_string(), query.to_string()))
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
                    if let switchboard::twiml::GatherChild::Say(s) = c {
                        v.push(s.text.clone());
                    }
                }
            }
            _ => {}
        }
    }
    v
}

/// Parses a document with an independent XML parser and returns its element names in
/// document order (proves it is well-formed and shows its structure).
pub fn structure(xml: &str) -> Vec<String> {
    let doc =
        roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("malformed XML ({e}):\n{xml}"));
    doc.descendants()
        .filter(|n| n.is_element())
        .map(|n| n.tag_name().name().to_string())
        .collect()
}
