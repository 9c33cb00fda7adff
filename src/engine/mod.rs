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

pub mod state;
mod trace;
pub mod trace_header;

use std::fmt::Write as _;

use jiff::Timestamp;

pub use state::{CallState, Wait};
pub use trace::Event;

use crate::flow::FlowSet;
use crate::flow::compile::{is_client, is_e164, is_sip, normalize_speech};
use crate::flow::model::*;
use crate::template::{Scope, Template};
use crate::twiml::{self, GatherChild, Response, Verb};

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
    /// What the caller hears when something goes wrong.
    pub apology: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_url: String::new(),
            status_path: Some("/status".into()),
            recording_path: Some("/recording".into()),
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

/// Request parameters, in the order received (the first value of a name wins).
///
/// Stored packed, every name and value back to back in one string, so building them for a
/// webhook of 25 parameters costs two allocations rather than fifty (the server builds one
/// per request).
#[derive(Clone, Default)]
pub struct Params {
    /// Every name and value as decoded, back to back.
    text: String,
    /// Per pair, in order: where its name ends and where its value ends in `text` (a name
    /// starts where the previous value ends).
    ends: Vec<(usize, usize)>,
}

impl Params {
    /// Room for `pairs` pairs of `bytes` bytes in total.
    pub fn with_capacity(pairs: usize, bytes: usize) -> Params {
        Params {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(pairs),
        }
    }

    /// From decoded pairs.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Params {
        let bytes = pairs.iter().map(|(k, v)| k.len() + v.len()).sum();
        let mut params = Params::with_capacity(pairs.len(), bytes);
        for (k, v) in &pairs {
            params.push(k, v);
        }
        params
    }

    /// Decodes an `application/x-www-form-urlencoded` body (or a query string).
    pub fn from_form(body: &[u8]) -> Params {
        let mut params = Params::with_capacity(0, body.len());
        for (k, v) in form_urlencoded::parse(body) {
            params.push(&k, &v);
        }
        params
    }

    /// Adds one pair after the existing ones.
    pub fn push(&mut self, name: &str, value: &str) {
        self.text.push_str(name);
        let name_end = self.text.len();
        self.text.push_str(value);
        self.ends.push((name_end, self.text.len()));
    }

    /// Adds pairs (e.g. GET webhook parameters in the query) after the existing ones.
    pub fn extend(&mut self, more: impl IntoIterator<Item = (String, String)>) {
        for (k, v) in more {
            self.push(&k, &v);
        }
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        // A linear scan (webhooks have about 25 parameters), comparing lengths before bytes.
        let mut start = 0;
        for &(name_end, value_end) in &self.ends {
            if name_end - start == name.len()
                && self.text.as_bytes().get(start..name_end) == Some(name.as_bytes())
            {
                return self.text.get(name_end..value_end);
            }
            start = value_end;
        }
        None
    }

    /// All pairs, in order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&(name_end, value_end)| {
            // The ends were recorded by `push` at `str` boundaries, in increasing order.
            let pair = (
                self.text.get(start..name_end).unwrap_or_default(),
                self.text.get(name_end..value_end).unwrap_or_default(),
            );
            start = value_end;
            pair
        })
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

impl std::fmt::Debug for Params {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The shape the derived `Debug` of a list of pairs had.
        struct Pairs<'a>(&'a Params);
        impl std::fmt::Debug for Pairs<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_list().entries(self.0.pairs()).finish()
            }
        }
        f.debug_struct("Params")
            .field("pairs", &Pairs(self))
            .finish()
    }
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
    /// True when a run-time failure produced the safe document.
    pub failed: bool,
}

/// Runs one webhook. Never panics and never fails: see the module invariant.
pub fn run(
    set: &FlowSet,
    cfg: &Config,
    entry: Entry<'_>,
    params: &Params,
    now: Timestamp,
) -> Outcome {
    let mut r = Run {
        set,
        cfg,
        params,
        now,
        state: CallState::default(),
        resp: Response::new(),
        trace: Vec::new(),
        steps: 0,
        flow: None,
    };
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

struct Run<'a> {
    set: &'a FlowSet,
    cfg: &'a Config,
    params: &'a Params,
    now: Timestamp,
    /// Call variables and counters, carried into action URLs.
    state: CallState,
    /// The document being built.
    resp: Response,
    trace: Vec<Event>,
    /// Steps run in this response (the loop guard).
    steps: usize,
    /// The flow currently running.
    flow: Option<FlowId>,
}

impl Scope for Run<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name)
    }
    fn var(&self, name: &str) -> Option<&str> {
        self.state.var(name).or_else(|| {
            self.flow
                .and_then(|f| self.set.flows.get(f))
                .and_then(|f| f.consts.get(name).map(|s| s.as_str()))
        })
    }
}

/// Where to continue after handling a step.
enum Next {
    /// Run this step.
    Go(FlowId, StepId),
    /// The response is complete (waiting for Twilio, or the call ends).
    Done,
}

impl<'a> Run<'a> {
    fn finish(mut self, result: Result<(), Failure>) -> Outcome {
        let mut failed = false;
        if let Err(e) = result {
            failed = true;
            self.fail(e);
        }
        let mut twiml = self.resp.to_xml();
        if twiml.len() > twiml::MAX_DOCUMENT_BYTES {
            failed = true;
            self.trace.push(Event::Error {
                message: format!(
                    "document of {} bytes is over Twilio's 64 kB limit",
                    twiml.len()
                ),
            });
            twiml = safe_document(&self.cfg.apology, None);
            self.resp = Response::new();
        }
        Outcome {
            twiml,
            response: self.resp,
            trace: self.trace,
            flow: self
                .flow
                .and_then(|f| self.set.flows.get(f))
                .map(|f| f.name.clone()),
            failed,
        }
    }

    /// The safe answer: apology, then `on_error` (once), else hang up.
    fn fail(&mut self, e: Failure) {
        self.trace.push(Event::Error {
            message: e.to_string(),
        });
        self.resp = Response::new();
        let apology = self.say(self.cfg.apology.clone());
        self.resp.push(apology);
        let on_error = self.flow.and_then(|f| {
            self.set
                .flows
                .get(f)
                .and_then(|fl| fl.on_error)
                .map(|s| (f, s))
        });
        if let Some((f, s)) = on_error {
            self.trace.push(Event::OnError {
                step: self.set.flows[f].steps[s].name.clone(),
            });
            self.steps = 0;
            let mark = self.resp.verbs.len();
            if let Err(e2) = self.run_from(Next::Go(f, s)) {
                // The error step failed too: keep the apology, end the call.
                self.trace.push(Event::Error {
                    message: e2.to_string(),
                });
                self.resp.verbs.truncate(mark);
                self.resp.push(Verb::Hangup);
            }
        } else {
            self.resp.push(Verb::Hangup);
        }
    }

    fn start(&mut self, entry: Entry<'_>) -> Result<(), Failure> {
        match entry {
            Entry::Incoming => self.incoming(),
            Entry::Continue { flow, step, query } => {
                self.state = CallState::decode(query);
                let Some((fid, fl)) = self.set.flow(flow) else {
                    self.trace.push(Event::Restart {
                        reason: format!("flow `{flow}` no longer exists; routing by number"),
                    });
                    // The call's variables survive; its place in the old flow does not.
                    self.state.wait = None;
                    self.state.attempt = 0;
                    self.state.leg = 0;
                    return self.incoming();
                };
                self.flow = Some(fid);
                let Some(sid) = fl.step(step) else {
                    self.trace.push(Event::Restart {
                        reason: format!(
                            "step `{step}` no longer exists in `{flow}`; restarting at its start"
                        ),
                    });
                    self.state.wait = None;
                    self.state.attempt = 0;
                    self.state.leg = 0;
                    return self.run_from(Next::Go(fid, fl.start));
                };
                let wait = self.state.wait.take();
                let next = match (wait, &fl.steps[sid].action) {
                    (Some(Wait::Menu), Action::Menu(m)) => self.menu_result(fid, sid, m)?,
                    (Some(Wait::Ask), Action::Ask(a)) => self.ask_result(fid, sid, a)?,
                    (Some(Wait::Dial), Action::Dial(d)) => self.dial_result(fid, sid, d)?,
                    (Some(Wait::Record), Action::Record(r)) => {
                        self.trace.push(Event::Result {
                            step: step.to_string(),
                            outcome: format!(
                                "recorded {}s",
                                self.params.get("RecordingDuration").unwrap_or("?")
                            ),
                        });
                        self.goto(fid, r.next)
                    }
                    (Some(Wait::Enqueue), Action::Enqueue(e)) => {
                        self.trace.push(Event::Result {
                            step: step.to_string(),
                            outcome: format!(
                                "left the queue: {}",
                                self.params.get("QueueResult").unwrap_or("unknown")
                            ),
                        });
                        self.goto(fid, e.next)
                    }
                    (Some(Wait::Conference), Action::Conference(c)) => {
                        self.trace.push(Event::Result {
                            step: step.to_string(),
                            outcome: "left the conference".into(),
                        });
                        self.goto(fid, c.next)
                    }
                    (Some(_), _) => {
                        // The flow changed under the call: the step is now something else.
                        self.trace.push(Event::Restart {
                            reason: format!("step `{step}` changed kind; entering it afresh"),
                        });
                        self.state.attempt = 0;
                        self.state.leg = 0;
                        Next::Go(fid, sid)
                    }
                    (None, _) => {
                        self.trace.push(Event::Resume {
                            flow: flow.to_string(),
                            step: step.to_string(),
                        });
                        Next::Go(fid, sid)
                    }
                };
                self.run_from(next)
            }
        }
    }

    fn incoming(&mut self) -> Result<(), Failure> {
        let to = self.params.get("To").unwrap_or("");
        match self.set.numbers.lookup(to) {
            Some((fid, how)) => {
                let Some(fl) = self.set.flows.get(fid) else {
                    return Err(Failure::Step("number index points at no flow".into()));
                };
                self.trace.push(Event::Number {
                    to: to.to_string(),
                    flow: fl.name.clone(),
                    how,
                });
                self.flow = Some(fid);
                self.run_from(Next::Go(fid, fl.start))
            }
            None => {
                self.trace.push(Event::NoFlow { to: to.to_string() });
                self.resp.push(twiml::Reject::default());
                Ok(())
            }
        }
    }

    /// Resolves a target to the next step; `hangup` ends the call here.
    fn goto(&mut self, from: FlowId, t: Target) -> Next {
        match t {
            Target::Step(s) => Next::Go(from, s),
            Target::Flow(f, s) => Next::Go(f, s),
            Target::FlowStart(f) => match self.set.flows.get(f) {
                Some(fl) => Next::Go(f, fl.start),
                None => Next::Done,
            },
            Target::Hangup => {
                self.resp.push(Verb::Hangup);
                self.trace.push(Event::Hangup);
                Next::Done
            }
        }
    }

    fn run_from(&mut self, mut next: Next) -> Result<(), Failure> {
        while let Next::Go(f, s) = next {
            self.steps += 1;
            if self.steps > MAX_STEPS_PER_RESPONSE {
                return Err(Failure::Loop);
            }
            let set = self.set;
            let Some(fl) = set.flows.get(f) else {
                return Err(Failure::Step("target flow is missing".into()));
            };
            let Some(step) = fl.steps.get(s) else {
                return Err(Failure::Step(format!(
                    "flow `{}` has no step #{s}",
                    fl.name
                )));
            };
            if self.flow != Some(f) {
                self.flow = Some(f);
            }
            self.trace.push(Event::Enter {
                flow: fl.name.clone(),
                step: step.name.clone(),
                kind: step.action.kind(),
            });
            next = self.step(f, s, &step.action)?;
        }
        Ok(())
    }

    fn step(&mut self, f: FlowId, s: StepId, action: &'a Action) -> Result<Next, Failure> {
        Ok(match action {
            Action::Prompt { prompt, next, .. } => {
                for v in self.prompt_verbs(prompt) {
                    self.resp.push(v);
                }
                self.goto(f, *next)
            }
            Action::Route { rules, otherwise } => {
                // Notes (schedule verdicts) from rules that did not match explain the one that
                // did: "otherwise → closed [office: closed: no hours on Sun …]".
                let mut notes = Vec::new();
                for (i, rule) in rules.iter().enumerate() {
                    let mut captures = Vec::new();
                    let ok = match &rule.cond {
                        None => true,
                        Some(c) => self.eval(c, &mut captures, &mut notes),
                    };
                    if ok {
                        for (k, v) in captures {
                            self.assign(&k, &v)?;
                        }
                        let to = self.target_name(f, rule.goto);
                        self.trace.push(Event::Rule {
                            index: Some(i + 1),
                            label: rule.label.clone(),
                            notes,
                            to,
                        });
                        return Ok(self.goto(f, rule.goto));
                    }
                }
                match otherwise {
                    Some(t) => {
                        let to = self.target_name(f, *t);
                        self.trace.push(Event::Rule {
                            index: None,
                            label: "no rule matched; next".into(),
                            notes,
                            to,
                        });
                        self.goto(f, *t)
                    }
                    None => {
                        return Err(Failure::Step(
                            "no rule matched and the route has no `next`".into(),
                        ));
                    }
                }
            }
            Action::Set { assigns, next } => {
                for (k, t) in assigns {
                    let v = t.render(self);
                    self.assign(k, &v)?;
                }
                self.goto(f, *next)
            }
            Action::Menu(m) => {
                self.state.attempt = 1;
                self.gather(f, s, Wait::Menu, &m.gather)?;
                Next::Done
            }
            Action::Ask(a) => {
                self.state.attempt = 1;
                self.gather(f, s, Wait::Ask, &a.gather)?;
                Next::Done
            }
            Action::Dial(d) => {
                self.state.leg = 0;
                self.dial(f, s, d)?;
                Next::Done
            }
            Action::Record(r) => {
                for v in self.prompt_verbs(&r.prompt) {
                    self.resp.push(v);
                }
                let action = self.action_url(f, s, Wait::Record)?;
                self.resp.push(twiml::Record {
                    action: Some(action.clone()),
                    max_length: r.max_length,
                    timeout: r.timeout,
                    finish_on_key: r.finish_on_key.clone(),
                    play_beep: r.beep,
                    transcribe: r.transcribe,
                    trim: r
                        .trim
                        .map(|t| if t { "trim-silence" } else { "do-not-trim" }.to_string()),
                    recording_status_callback: self.callback(&self.cfg.recording_path),
                    recording_status_callback_event: self
                        .cfg
                        .recording_path
                        .as_ref()
                        .map(|_| "completed absent".to_string()),
                    ..Default::default()
                });
                // Reference §6.6: whether an empty recording falls through is unverified, so a
                // redirect to the same action keeps the flow going either way.
                self.resp.push(twiml::Redirect {
                    url: action,
                    method: None,
                });
                self.wait_event(f, s, "record");
                Next::Done
            }
            Action::Enqueue(e) => {
                let name = e.queue.render(self);
                let action = self.action_url(f, s, Wait::Enqueue)?;
                self.resp.push(twiml::Enqueue {
                    name,
                    action: Some(action),
                    wait_url: e.wait_url.as_ref().map(|u| self.url(u)),
                    ..Default::default()
                });
                self.wait_event(f, s, "enqueue");
                Next::Done
            }
            Action::Conference(c) => {
                let action = self.action_url(f, s, Wait::Conference)?;
                let conf = twiml::Conference {
                    name: c.room.render(self),
                    start_conference_on_enter: c.start_on_enter,
                    end_conference_on_exit: c.end_on_exit,
                    muted: c.muted,
                    beep: c.beep.clone(),
                    wait_url: c.wait_url.as_ref().map(|u| self.url(u)),
                    max_participants: c.max_participants,
                    record: c.record.map(|r| {
                        if r {
                            "record-from-start"
                        } else {
                            "do-not-record"
                        }
                        .to_string()
                    }),
                    recording_status_callback: c
                        .record
                        .filter(|r| *r)
                        .and_then(|_| self.callback(&self.cfg.recording_path)),
                    ..Default::default()
                };
                self.resp.push(twiml::Dial {
                    action: Some(action),
                    nouns: vec![conf.into()],
                    ..Default::default()
                });
                self.wait_event(f, s, "conference");
                Next::Done
            }
            Action::Goto(t) => self.goto(f, *t),
            Action::RedirectUrl(u) => {
                let url = self.url(u);
                // Load-time checks keep call values out of the URL's start; this catches a
                // constant that is not a URL at all.
                if !(url.starts_with("https://")
                    || url.starts_with("http://")
                    || url.starts_with('/'))
                {
                    return Err(Failure::Step("redirect URL is not an http(s) URL".into()));
                }
                self.resp.push(twiml::Redirect { url, method: None });
                Next::Done
            }
            Action::Hangup => {
                self.resp.push(Verb::Hangup);
                self.trace.push(Event::Hangup);
                Next::Done
            }
            Action::Reject(reason) => {
                self.resp.push(twiml::Reject {
                    reason: Some(reason.clone()),
                });
                Next::Done
            }
        })
    }

    /// A `<Say>` of built-in text in the current flow's voice and language.
    fn say(&self, text: String) -> twiml::Say {
        let fl = self.flow.and_then(|f| self.set.flows.get(f));
        twiml::Say {
            text,
            voice: fl.and_then(|f| f.voice.clone()),
            language: fl.and_then(|f| f.language.clone()),
            loop_count: None,
        }
    }

    fn wait_event(&mut self, f: FlowId, s: StepId, what: &'static str) {
        let step = self.set.flows[f].steps[s].name.clone();
        self.trace.push(Event::Wait { step, what });
    }

    fn target_name(&self, from: FlowId, t: Target) -> String {
        let name = |f: FlowId, s: StepId| {
            let fl = &self.set.flows[f];
            let st = fl.steps.get(s).map(|x| x.name.as_str()).unwrap_or("?");
            if f == from {
                st.to_string()
            } else {
                format!("@{}.{st}", fl.name)
            }
        };
        match t {
            Target::Step(s) => name(from, s),
            Target::Flow(f, s) => name(f, s),
            Target::FlowStart(f) => format!(
                "@{}",
                self.set
                    .flows
                    .get(f)
                    .map(|x| x.name.as_str())
                    .unwrap_or("?")
            ),
            Target::Hangup => "hangup".into(),
        }
    }

    fn assign(&mut self, name: &str, value: &str) -> Result<(), Failure> {
        if !self.state.set_var(name, value) {
            return Err(Failure::Step(format!(
                "more than {} call variables",
                state::MAX_VARS
            )));
        }
        self.trace.push(Event::Set {
            name: name.to_string(),
            value: self.state.var(name).unwrap_or("").to_string(),
        });
        Ok(())
    }

    /// A template rendered as a URL: relative paths get the public base.
    fn url(&self, t: &Template) -> String {
        let u = t.render_url(self);
        if u.starts_with('/') {
            format!("{}{u}", self.cfg.base_url)
        } else {
            u
        }
    }

    fn callback(&self, path: &Option<String>) -> Option<String> {
        path.as_ref().map(|p| format!("{}{p}", self.cfg.base_url))
    }

    /// `{base}/voice/{flow}/{step}?{state}` with `wait` recorded.
    fn action_url(&self, f: FlowId, s: StepId, wait: Wait) -> Result<String, Failure> {
        let fl = &self.set.flows[f];
        let mut st = self.state.clone();
        st.wait = Some(wait);
        let mut url = String::with_capacity(128);
        let _ = write!(
            url,
            "{}/voice/{}/{}?",
            self.cfg.base_url, fl.name, fl.steps[s].name
        );
        let before = url.len();
        st.encode_into(&mut url);
        if url.len() - before > state::MAX_STATE_BYTES {
            return Err(Failure::Step(format!(
                "call state is over {} bytes",
                state::MAX_STATE_BYTES
            )));
        }
        Ok(url)
    }

    fn prompt_verbs(&self, p: &Prompt) -> Vec<Verb> {
        self.prompt_children(p)
            .into_iter()
            .map(|c| match c {
                GatherChild::Say(s) => Verb::Say(s),
                GatherChild::Play(p) => Verb::Play(p),
                GatherChild::Pause(p) => Verb::Pause(p),
            })
            .collect()
    }

    fn prompt_children(&self, p: &Prompt) -> Vec<GatherChild> {
        p.parts
            .iter()
            .map(|part| match part {
                PromptPart::Say {
                    text,
                    voice,
                    language,
                    loop_count,
                } => GatherChild::Say(twiml::Say {
                    text: text.render(self),
                    voice: voice.clone(),
                    language: language.clone(),
                    loop_count: *loop_count,
                }),
                PromptPart::Play {
                    url,
                    loop_count,
                    digits,
                } => GatherChild::Play(twiml::Play {
                    url: self.url(url),
                    loop_count: *loop_count,
                    digits: digits.clone(),
                }),
                PromptPart::Pause(n) => GatherChild::Pause(twiml::Pause { length: Some(*n) }),
            })
            .collect()
    }

    fn gather(
        &mut self,
        f: FlowId,
        s: StepId,
        wait: Wait,
        g: &GatherSettings,
    ) -> Result<(), Failure> {
        let action = self.action_url(f, s, wait)?;
        self.resp.push(twiml::Gather {
            action: Some(action),
            input: (g.input != "dtmf").then(|| g.input.to_string()),
            timeout: Some(g.timeout),
            num_digits: g.num_digits,
            finish_on_key: g.finish_on_key.clone(),
            // Twilio then calls back on silence too, so "no input" is handled here with its
            // own message and the shared attempt counter.
            action_on_empty_result: Some(true),
            language: if g.input == "dtmf" {
                None
            } else {
                g.language.clone()
            },
            hints: g.hints.clone(),
            speech_model: g.speech_model.clone(),
            speech_timeout: g.speech_timeout.clone(),
            children: self.prompt_children(&g.prompt),
            ..Default::default()
        });
        let what = if wait == Wait::Menu {
            "menu choice"
        } else {
            "input"
        };
        self.wait_event(f, s, what);
        Ok(())
    }

    /// A wrong answer or silence: say why, then ask again or give up.
    fn retry(
        &mut self,
        f: FlowId,
        s: StepId,
        wait: Wait,
        g: &GatherSettings,
        no_input: bool,
    ) -> Result<Next, Failure> {
        let msg = if no_input { &g.no_input } else { &g.invalid };
        let attempt = self.state.attempt.max(1);
        if attempt >= g.attempts {
            self.trace.push(Event::Exhausted {
                step: self.set.flows[f].steps[s].name.clone(),
                attempts: g.attempts,
            });
            for v in self.prompt_verbs(msg) {
                self.resp.push(v);
            }
            self.state.attempt = 0;
            if g.exhausted == Target::Hangup {
                let bye = self.say("Goodbye.".into());
                self.resp.push(bye);
            }
            return Ok(self.goto(f, g.exhausted));
        }
        for v in self.prompt_verbs(msg) {
            self.resp.push(v);
        }
        self.state.attempt = attempt + 1;
        let fl = &self.set.flows[f];
        self.trace.push(Event::Enter {
            flow: fl.name.clone(),
            step: fl.steps[s].name.clone(),
            kind: fl.steps[s].action.kind(),
        });
        self.gather(f, s, wait, g)?;
        Ok(Next::Done)
    }

    /// What the caller entered: digits, else speech (absent and empty are the same).
    fn input(&self) -> (Option<&'a str>, Option<&'a str>) {
        let digits = self.params.get("Digits").filter(|d| !d.is_empty());
        let speech = self
            .params
            .get("SpeechResult")
            .filter(|s| !s.trim().is_empty());
        (digits, speech)
    }

    fn menu_result(&mut self, f: FlowId, s: StepId, m: &Menu) -> Result<Next, Failure> {
        let step = self.set.flows[f].steps[s].name.clone();
        let (digits, speech) = self.input();
        let heard = digits.or(speech).unwrap_or("").to_string();
        let chosen = if let Some(d) = digits {
            m.options
                .iter()
                .find(|(k, _)| k == d)
                .map(|(k, t)| (format!("option {k}"), *t))
        } else if let Some(sp) = speech {
            let said = normalize_speech(sp);
            let padded = format!(" {said} ");
            m.speech
                .iter()
                .find(|(k, _)| padded.contains(&format!(" {k} ")))
                .map(|(k, t)| (format!("keyword \"{k}\""), *t))
                .or_else(|| {
                    m.options
                        .iter()
                        .find(|(k, _)| *k == said)
                        .map(|(k, t)| (format!("option {k} (spoken)"), *t))
                })
        } else {
            None
        };
        match chosen {
            Some((why, t)) => {
                self.trace.push(Event::Input {
                    step,
                    heard,
                    outcome: why,
                });
                self.state.attempt = 0;
                Ok(self.goto(f, t))
            }
            None => {
                let no_input = digits.is_none() && speech.is_none();
                let outcome = if no_input {
                    "no input"
                } else {
                    "not an option"
                };
                self.trace.push(Event::Input {
                    step,
                    heard,
                    outcome: format!(
                        "{outcome} (try {} of {})",
                        self.state.attempt.max(1),
                        m.gather.attempts
                    ),
                });
                self.retry(f, s, Wait::Menu, &m.gather, no_input)
            }
        }
    }

    fn ask_result(&mut self, f: FlowId, s: StepId, a: &Ask) -> Result<Next, Failure> {
        let step = self.set.flows[f].steps[s].name.clone();
        let (digits, speech) = self.input();
        let Some(value) = digits.or(speech) else {
            self.trace.push(Event::Input {
                step,
                heard: String::new(),
                outcome: format!(
                    "no input (try {} of {})",
                    self.state.attempt.max(1),
                    a.gather.attempts
                ),
            });
            return self.retry(f, s, Wait::Ask, &a.gather, true);
        };
        let value = value.trim();
        let mut captures = Vec::new();
        let ok = match &a.pattern {
            None => true,
            Some(re) => match re.captures(value) {
                Some(c) => {
                    for name in re.capture_names().flatten() {
                        if let Some(m) = c.name(name) {
                            captures.push((name.to_string(), m.as_str().to_string()));
                        }
                    }
                    true
                }
                None => false,
            },
        };
        if !ok {
            self.trace.push(Event::Input {
                step,
                heard: value.to_string(),
                outcome: format!(
                    "does not match the pattern (try {} of {})",
                    self.state.attempt.max(1),
                    a.gather.attempts
                ),
            });
            return self.retry(f, s, Wait::Ask, &a.gather, false);
        }
        self.trace.push(Event::Input {
            step,
            heard: value.to_string(),
            outcome: "accepted".into(),
        });
        self.state.attempt = 0;
        self.assign(&a.save_as, value)?;
        for (k, v) in captures {
            self.assign(&k, &v)?;
        }
        Ok(self.goto(f, a.next))
    }

    fn dial(&mut self, f: FlowId, s: StepId, d: &Dial) -> Result<(), Failure> {
        let legs: Vec<&DialTarget> = if d.sequential {
            d.to.get(self.state.leg as usize).into_iter().collect()
        } else {
            d.to.iter().collect()
        };
        let status_cb = self.callback(&self.cfg.status_path);
        let events = status_cb
            .as_ref()
            .map(|_| "initiated ringing answered completed".to_string());
        let mut nouns = Vec::new();
        for t in legs {
            let (kind, tpl) = match t {
                DialTarget::Number(t) => ("number", t),
                DialTarget::Sip(t) => ("sip", t),
                DialTarget::Client(t) => ("client", t),
                DialTarget::Dynamic(t) => ("dynamic", t),
            };
            let v = tpl.render(self);
            let v = v.trim();
            let kind = if kind == "dynamic" {
                if is_e164(v) {
                    "number"
                } else if is_sip(v) {
                    "sip"
                } else if is_client(v) {
                    "client-prefixed"
                } else {
                    return Err(Failure::Step(format!(
                        "dial target `{v}` is not a number, SIP URI or client"
                    )));
                }
            } else {
                kind
            };
            nouns.push(match kind {
                "number" => {
                    if !is_e164(v) {
                        return Err(Failure::Step(format!(
                            "dial target `{v}` is not an E.164 number"
                        )));
                    }
                    twiml::DialNoun::Number(twiml::Number {
                        number: v.to_string(),
                        send_digits: d.send_digits.clone(),
                        status_callback: status_cb.clone(),
                        status_callback_event: events.clone(),
                        ..Default::default()
                    })
                }
                "sip" => twiml::DialNoun::Sip(twiml::Sip {
                    uri: v.to_string(),
                    status_callback: status_cb.clone(),
                    status_callback_event: events.clone(),
                    ..Default::default()
                }),
                _ => twiml::DialNoun::Client(twiml::Client {
                    identity: v.strip_prefix("client:").unwrap_or(v).to_string(),
                    status_callback: status_cb.clone(),
                    status_callback_event: events.clone(),
                    ..Default::default()
                }),
            });
        }
        if nouns.is_empty() {
            return Err(Failure::Step("nobody to dial".into()));
        }
        let action = self.action_url(f, s, Wait::Dial)?;
        let caller_id = d
            .caller_id
            .as_ref()
            .map(|c| c.render(self))
            .filter(|c| !c.is_empty());
        self.resp.push(twiml::Dial {
            action: Some(action),
            timeout: d.timeout,
            time_limit: d.time_limit,
            caller_id,
            answer_on_bridge: d.answer_on_bridge,
            hangup_on_star: d.hangup_on_star,
            record: d.record.clone(),
            recording_status_callback: d
                .record
                .as_deref()
                .filter(|r| *r != "do-not-record")
                .and_then(|_| self.callback(&self.cfg.recording_path)),
            ring_tone: d.ring_tone.clone(),
            nouns,
            ..Default::default()
        });
        let what = if d.sequential {
            "dial (sequential leg)"
        } else {
            "dial"
        };
        self.wait_event(f, s, what);
        Ok(())
    }

    fn dial_result(&mut self, f: FlowId, s: StepId, d: &Dial) -> Result<Next, Failure> {
        let step = self.set.flows[f].steps[s].name.clone();
        let status = self
            .params
            .get("DialCallStatus")
            .unwrap_or("failed")
            .to_string();
        self.trace.push(Event::Result {
            step,
            outcome: format!(
                "dial {status} (leg {} of {})",
                self.state.leg.saturating_add(1),
                if d.sequential { d.to.len() } else { 1 }
            ),
        });
        if self.params.get("CallStatus") == Some("completed") {
            // The caller has hung up; nothing we return will play, so ring nobody else.
            self.state.leg = 0;
            self.trace.push(Event::Hangup);
            self.resp.push(Verb::Hangup);
            return Ok(Next::Done);
        }
        let answered = status == "completed" || status == "answered";
        if !answered && d.sequential && (self.state.leg as usize + 1) < d.to.len() {
            self.state.leg += 1;
            self.dial(f, s, d)?;
            return Ok(Next::Done);
        }
        self.state.leg = 0;
        let t = match status.as_str() {
            "completed" | "answered" => d.next,
            "busy" => d.on_busy,
            "no-answer" => d.on_no_answer,
            _ => d.on_failed,
        };
        Ok(self.goto(f, t))
    }

    fn eval(
        &self,
        c: &Cond,
        captures: &mut Vec<(String, String)>,
        notes: &mut Vec<String>,
    ) -> bool {
        match c {
            Cond::All(v) => {
                // Captures count only when the whole conjunction holds.
                let mut scratch = Vec::new();
                let ok = v.iter().all(|c| self.eval(c, &mut scratch, notes));
                if ok {
                    captures.extend(scratch);
                }
                ok
            }
            Cond::Any(v) => v.iter().any(|c| {
                // A branch that failed part-way must not leave its captures behind.
                let mut scratch = Vec::new();
                let ok = self.eval(c, &mut scratch, notes);
                if ok {
                    captures.extend(scratch);
                }
                ok
            }),
            Cond::Not(c) => {
                // Captures from inside a `not` would describe a failed match: drop them.
                let mut scratch = Vec::new();
                !self.eval(c, &mut scratch, notes)
            }
            Cond::Schedule {
                name,
                schedule,
                open,
            } => {
                let (is_open, why) = schedule.explain(self.now);
                notes.push(format!("{name}: {why}"));
                is_open == *open
            }
            Cond::Test { subject, op } => {
                let raw = match subject {
                    Subject::Param(p) => self.params.get(p),
                    Subject::Var(v) => self.var(v),
                };
                let present = raw.is_some();
                let owned;
                let value: &str = if subject.is_speech() {
                    owned = normalize_speech(raw.unwrap_or(""));
                    &owned
                } else {
                    raw.unwrap_or("")
                };
                let num = |x: f64, f: fn(f64, f64) -> bool| {
                    value
                        .trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|n| n.is_finite())
                        .is_some_and(|n| f(n, x))
                };
                match op {
                    Op::Eq(x) => value == x,
                    Op::Ne(x) => value != x,
                    Op::In(l) => l.iter().any(|x| x == value),
                    Op::NotIn(l) => !l.iter().any(|x| x == value),
                    Op::StartsWith(x) => value.starts_with(x.as_str()),
                    Op::EndsWith(x) => value.ends_with(x.as_str()),
                    Op::Contains(x) => value.contains(x.as_str()),
                    Op::Matches(re) => match re.captures(value) {
                        Some(caps) => {
                            for name in re.capture_names().flatten() {
                                if let Some(m) = caps.name(name) {
                                    captures.push((name.to_string(), m.as_str().to_string()));
                                }
                            }
                            true
                        }
                        None => false,
                    },
                    Op::Lt(x) => num(*x, |n, x| n < x),
                    Op::Le(x) => num(*x, |n, x| n <= x),
                    Op::Gt(x) => num(*x, |n, x| n > x),
                    Op::Ge(x) => num(*x, |n, x| n >= x),
                    Op::Exists(want) => present == *want,
                    Op::Empty(want) => value.is_empty() == *want,
                }
            }
        }
    }
}
