//! The compiled flow set: what the interpreter runs.
//!
//! Everything here was checked when it loaded: targets are resolved to indices, templates
//! and regexes compiled, schedules built. The set is immutable; a reload builds a new one and
//! swaps it in whole.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use regex::Regex;

use super::kind::StepKind;
use crate::schedule::Schedule;
use crate::template::Template;

/// A flow of a [`FlowSet`]: its position in the set. Only the loader makes them, and every
/// lookup by id is checked, so an id from another set finds nothing rather than panicking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowId(usize);

/// A step of a [`Flow`]: its position in the flow (see [`FlowId`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StepId(usize);

impl FlowId {
    /// The flow at position `i` of the set being built.
    pub(in crate::flow) fn new(i: usize) -> FlowId {
        FlowId(i)
    }

    /// Its position in the set (what [`FlowSet::flows`] is indexed by).
    pub fn index(self) -> usize {
        self.0
    }
}

impl StepId {
    /// The step at position `i` of the flow being built.
    pub(in crate::flow) fn new(i: usize) -> StepId {
        StepId(i)
    }

    /// Its position in the flow (what [`Flow::steps`] is indexed by).
    pub fn index(self) -> usize {
        self.0
    }
}

impl std::fmt::Display for FlowId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Display for StepId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Every flow loaded from one directory, with the number index.
///
/// Only the loader builds one ([`crate::flow::load_texts`]); [`Default`] is the empty set.
/// Its parts are read through accessors, so a set cannot be assembled by hand with ids that
/// point nowhere.
#[derive(Debug, Default)]
pub struct FlowSet {
    /// The flows, sorted by name.
    flows: Vec<Flow>,
    /// Flow name → id.
    by_name: HashMap<String, FlowId>,
    /// Dialed number → flow.
    numbers: NumberIndex,
    /// Notification channels by name (shared files' `channels:`).
    channels: std::collections::BTreeMap<String, Channel>,
}

/// A notification channel: where `notify` sends a voicemail or a missed call
/// (docs/flows.md "Notifications").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    /// A JSON POST signed with HMAC-SHA256.
    Webhook {
        /// Where to POST.
        url: Source,
        /// The signing key (`None`: unsigned).
        secret: Option<Source>,
    },
    /// An email over the server's SMTP relay.
    Email {
        /// The recipients.
        to: Vec<String>,
        /// The sender, if not the server's default.
        from: Option<String>,
    },
}

/// Where a channel's value comes from: written in the flow file (not a secret), or read
/// when it is needed from the environment or a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The value itself.
    Literal(String),
    /// An environment variable's name.
    Env(String),
    /// A file's path.
    File(String),
}

impl FlowSet {
    /// A set from compiled parts (the loader's last step).
    pub(in crate::flow) fn new(
        flows: Vec<Flow>,
        by_name: HashMap<String, FlowId>,
        numbers: NumberIndex,
        channels: std::collections::BTreeMap<String, Channel>,
    ) -> FlowSet {
        FlowSet {
            flows,
            by_name,
            numbers,
            channels,
        }
    }

    /// The notification channel with this name.
    pub fn channel(&self, name: &str) -> Option<&Channel> {
        self.channels.get(name)
    }

    /// Every notification channel, by name.
    pub fn channels(&self) -> impl Iterator<Item = (&str, &Channel)> {
        self.channels.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The flow with this name.
    pub fn flow(&self, name: &str) -> Option<(FlowId, &Flow)> {
        let id = *self.by_name.get(name)?;
        Some((id, self.get(id)?))
    }

    /// The flow with this id.
    pub fn get(&self, id: FlowId) -> Option<&Flow> {
        self.flows.get(id.0)
    }

    /// A step of a flow.
    pub fn step(&self, f: FlowId, s: StepId) -> Option<&Step> {
        self.get(f)?.get(s)
    }

    /// The flows, sorted by name (position = [`FlowId::index`]).
    pub fn flows(&self) -> &[Flow] {
        &self.flows
    }

    /// Every flow with its id, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (FlowId, &Flow)> + '_ {
        self.flows.iter().enumerate().map(|(i, f)| (FlowId(i), f))
    }

    /// Dialed number → flow.
    pub fn numbers(&self) -> &NumberIndex {
        &self.numbers
    }

    /// Number of flows.
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    /// True for the empty set.
    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// Total number of steps (for summaries).
    pub fn step_count(&self) -> usize {
        self.flows.iter().map(|f| f.steps.len()).sum()
    }
}

/// How a dialed number found its flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberMatch {
    /// The number is listed as is.
    Exact,
    /// The longest `prefix*` pattern that matches.
    Prefix,
    /// No flow claims it; the default flow answers.
    Default,
}

/// Dialed number → flow: exact beats longest prefix beats default. Exact lookups are one
/// hash probe; prefix lookups probe once per prefix length, longest first (O(length),
/// independent of how many numbers are configured).
#[derive(Debug, Default)]
pub struct NumberIndex {
    /// Exact numbers, SIP URIs and client names.
    pub(in crate::flow) exact: HashMap<String, FlowId>,
    /// Prefixes (without the `*`).
    pub(in crate::flow) prefixes: HashMap<String, FlowId>,
    /// Longest prefix length in bytes, to bound the probes.
    pub(in crate::flow) max_prefix: usize,
    /// The flow marked `default: true`.
    pub(in crate::flow) default: Option<FlowId>,
}

impl NumberIndex {
    /// Routes `pattern` to `flow`: a number as is, or a prefix written `prefix*`. A later
    /// entry for the same pattern replaces the earlier (the loader reports duplicates).
    pub fn insert(&mut self, pattern: &str, flow: FlowId) {
        match pattern.strip_suffix('*') {
            Some(p) => {
                self.max_prefix = self.max_prefix.max(p.len());
                self.prefixes.insert(p.to_string(), flow);
            }
            None => {
                self.exact.insert(pattern.to_string(), flow);
            }
        }
    }

    /// The numbers routed to `flow` as written (prefixes with their `*`), sorted.
    pub fn patterns_of(&self, flow: FlowId) -> Vec<String> {
        let mut out: Vec<String> = self
            .exact
            .iter()
            .filter(|(_, f)| **f == flow)
            .map(|(n, _)| n.clone())
            .chain(
                self.prefixes
                    .iter()
                    .filter(|(_, f)| **f == flow)
                    .map(|(p, _)| format!("{p}*")),
            )
            .collect();
        out.sort();
        out
    }

    /// The flow marked `default: true`, which answers numbers no flow lists.
    pub fn default_flow(&self) -> Option<FlowId> {
        self.default
    }

    /// The flow answering `to`.
    pub fn lookup(&self, to: &str) -> Option<(FlowId, NumberMatch)> {
        if let Some(&id) = self.exact.get(to) {
            return Some((id, NumberMatch::Exact));
        }
        let longest = self.max_prefix.min(to.len());
        for len in (0..=longest).rev() {
            if !to.is_char_boundary(len) {
                continue;
            }
            if let Some(&id) = self.prefixes.get(&to[..len]) {
                return Some((id, NumberMatch::Prefix));
            }
        }
        self.default.map(|id| (id, NumberMatch::Default))
    }
}

/// One flow (one file).
#[derive(Debug)]
pub struct Flow {
    /// The file stem; appears in action URLs.
    pub name: String,
    /// Where it was loaded from.
    pub file: Arc<Path>,
    /// Zone for schedules and time in traces.
    pub tz: jiff::tz::TimeZone,
    /// Constants (`vars:` here and in shared files; the flow's own win).
    pub consts: HashMap<String, String>,
    /// The steps, in file order (position = [`StepId::index`]).
    pub steps: Vec<Step>,
    /// Step name → index.
    pub step_index: HashMap<String, StepId>,
    /// The first step.
    pub start: StepId,
    /// Where run-time failures go after the apology.
    pub on_error: Option<StepId>,
    /// Default `<Say voice>` (also for the apology and "Goodbye.").
    pub voice: Option<String>,
    /// Default `<Say language>`.
    pub language: Option<String>,
}

impl Flow {
    /// The step with this name.
    pub fn step(&self, name: &str) -> Option<StepId> {
        self.step_index.get(name).copied()
    }

    /// The step with this id.
    pub fn get(&self, id: StepId) -> Option<&Step> {
        self.steps.get(id.0)
    }
}

/// One step.
#[derive(Debug)]
pub struct Step {
    /// Its name (appears in action URLs).
    pub name: String,
    /// What it does.
    pub action: Action,
    /// Its dial targets, caller id and URLs may be filled from caller input
    /// (`allow_caller_input: true`): the `caller-input` check leaves it alone.
    pub allow_caller_input: bool,
}

/// Where control goes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A step of the same flow.
    Step(StepId),
    /// A step of another flow (`@flow.step`).
    Flow(FlowId, StepId),
    /// Another flow's start (`@flow`).
    FlowStart(FlowId),
    /// End the call.
    Hangup,
}

/// What a step does.
#[derive(Debug)]
pub enum Action {
    /// `say`, `play`, `pause`: speak, then go on.
    Prompt {
        /// Which of the three keys the step was written with.
        kind: PromptKind,
        prompt: Prompt,
        next: Target,
    },
    /// Ordered rules; the first that matches wins; else `otherwise`.
    Route {
        rules: Vec<Rule>,
        otherwise: Option<Target>,
    },
    /// Assign call variables, then go on.
    Set {
        assigns: Vec<(String, Template)>,
        next: Target,
    },
    /// A `<Gather>` menu.
    Menu(Box<Menu>),
    /// A `<Gather>` that saves what the caller enters.
    Ask(Box<Ask>),
    /// A `<Dial>`.
    Dial(Box<Dial>),
    /// A `<Record>` (voicemail).
    Record(Box<Record>),
    /// An `<Enqueue>`.
    Enqueue(Box<Enqueue>),
    /// A `<Dial><Conference>`.
    Conference(Box<Conference>),
    /// Go to another flow, in the same response.
    Goto(Target),
    /// A `<Redirect>` to an external TwiML URL.
    RedirectUrl(Template),
    /// `<Hangup/>`.
    Hangup,
    /// `<Reject reason>`.
    Reject(String),
}

impl Action {
    /// The kind of step this action was written as.
    pub fn step_kind(&self) -> StepKind {
        match self {
            Action::Prompt { kind, .. } => kind.step_kind(),
            Action::Route { .. } => StepKind::Route,
            Action::Set { .. } => StepKind::Set,
            Action::Menu(_) => StepKind::Menu,
            Action::Ask(_) => StepKind::Ask,
            Action::Dial(_) => StepKind::Dial,
            Action::Record(_) => StepKind::Record,
            Action::Enqueue(_) => StepKind::Enqueue,
            Action::Conference(_) => StepKind::Conference,
            Action::Goto(_) | Action::RedirectUrl(_) => StepKind::Redirect,
            Action::Hangup => StepKind::Hangup,
            Action::Reject(_) => StepKind::Reject,
        }
    }

    /// The short name used in traces, graphs and URL state ([`StepKind::name`]).
    pub fn kind(&self) -> &'static str {
        self.step_kind().name()
    }

    /// True for actions after which Twilio calls back (the interpreter stops there).
    pub fn waits(&self) -> bool {
        matches!(
            self,
            Action::Menu(_)
                | Action::Ask(_)
                | Action::Dial(_)
                | Action::Record(_)
                | Action::Enqueue(_)
                | Action::Conference(_)
        )
    }

    /// Every target this step can go to, with the label a graph would put on the edge.
    pub fn targets(&self) -> Vec<(String, Target)> {
        let mut out = Vec::new();
        match self {
            Action::Prompt { next, .. } | Action::Set { next, .. } => {
                out.push(("next".into(), *next))
            }
            Action::Route { rules, otherwise } => {
                for (i, r) in rules.iter().enumerate() {
                    out.push((format!("rule {}", i + 1), r.goto));
                }
                if let Some(t) = otherwise {
                    out.push(("otherwise".into(), *t));
                }
            }
            Action::Menu(m) => {
                for (k, t) in &m.options {
                    out.push((k.clone(), *t));
                }
                for (k, t) in &m.speech {
                    out.push((format!("\"{k}\""), *t));
                }
                out.push(("exhausted".into(), m.exhausted));
            }
            Action::Ask(a) => {
                out.push(("next".into(), a.next));
                out.push(("exhausted".into(), a.exhausted));
            }
            Action::Dial(d) => {
                out.push(("answered".into(), d.next));
                out.push(("busy".into(), d.on_busy));
                out.push(("no-answer".into(), d.on_no_answer));
                out.push(("failed".into(), d.on_failed));
            }
            Action::Record(r) => out.push(("next".into(), r.next)),
            Action::Enqueue(e) => out.push(("next".into(), e.next)),
            Action::Conference(c) => out.push(("next".into(), c.next)),
            Action::Goto(t) => out.push(("redirect".into(), *t)),
            Action::RedirectUrl(_) | Action::Hangup | Action::Reject(_) => {}
        }
        out
    }
}

/// Which key wrote an [`Action::Prompt`] step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Say,
    Play,
    Pause,
}

impl PromptKind {
    /// The step kind it is.
    pub fn step_kind(self) -> StepKind {
        match self {
            PromptKind::Say => StepKind::Say,
            PromptKind::Play => StepKind::Play,
            PromptKind::Pause => StepKind::Pause,
        }
    }
}

/// Something the caller hears: a list of say / play / pause parts.
#[derive(Debug, Clone, Default)]
pub struct Prompt {
    /// The parts, in order.
    pub parts: Vec<PromptPart>,
}

/// One part of a prompt.
#[derive(Debug, Clone)]
pub enum PromptPart {
    /// `<Say>`, with voice and language resolved from the part, else the flow.
    Say {
        text: Template,
        voice: Option<String>,
        language: Option<String>,
        loop_count: Option<u32>,
    },
    /// `<Play>` an audio URL or DTMF digits.
    Play {
        url: Template,
        loop_count: Option<u32>,
        digits: Option<String>,
    },
    /// `<Pause length>`.
    Pause(u32),
}

/// One rule of a route.
#[derive(Debug)]
pub struct Rule {
    /// `None` = always.
    pub cond: Option<Cond>,
    /// Where it goes.
    pub goto: Target,
    /// The condition as written, short, for traces.
    pub label: String,
}

/// A compiled condition.
#[derive(Debug)]
pub enum Cond {
    /// Every one holds.
    All(Vec<Cond>),
    /// At least one holds.
    Any(Vec<Cond>),
    /// It does not hold.
    Not(Box<Cond>),
    /// The schedule is open (or closed, when `open` is false) now.
    Schedule {
        name: String,
        schedule: Arc<Schedule>,
        open: bool,
    },
    /// A test on one value.
    Test { subject: Subject, op: Op },
}

/// What a test looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A request parameter by its Twilio name.
    Param(String),
    /// A call variable or constant.
    Var(String),
}

impl Subject {
    /// Speech results are compared ignoring case and punctuation.
    pub fn is_speech(&self) -> bool {
        matches!(self, Subject::Param(p) if p == "SpeechResult" || p == "UnstableSpeechResult")
    }
}

/// A comparison. Operands of speech subjects are stored normalized.
#[derive(Debug)]
pub enum Op {
    Eq(String),
    Ne(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    StartsWith(String),
    EndsWith(String),
    Contains(String),
    /// Named captures become call variables when the rule matches.
    Matches(Arc<Regex>),
    Lt(f64),
    Le(f64),
    Gt(f64),
    Ge(f64),
    /// Present (any value, even empty) — or absent, with `false`.
    Exists(bool),
    /// Absent or empty — or non-empty, with `false`.
    Empty(bool),
}

/// Settings shared by menus and asks.
#[derive(Debug)]
pub struct GatherSettings {
    /// Said inside `<Gather>` (barge-in).
    pub prompt: Prompt,
    /// Seconds to wait for input.
    pub timeout: u32,
    /// Total tries before `exhausted`.
    pub attempts: u32,
    /// Said before re-prompting after a wrong answer.
    pub invalid: Prompt,
    /// Said before re-prompting after silence.
    pub no_input: Prompt,
    /// Where the call goes when the tries run out.
    pub exhausted: Target,
    /// `numDigits`.
    pub num_digits: Option<u32>,
    /// `finishOnKey`.
    pub finish_on_key: Option<String>,
    /// `input`: `dtmf`, `speech` or `dtmf speech`.
    pub input: &'static str,
    /// `language` for speech recognition.
    pub language: Option<String>,
    /// `hints`.
    pub hints: Option<String>,
    /// `speechModel`.
    pub speech_model: Option<String>,
    /// `speechTimeout`.
    pub speech_timeout: Option<String>,
}

/// A menu: digits or keywords to steps.
#[derive(Debug)]
pub struct Menu {
    /// Prompt, retries, gather attributes.
    pub gather: GatherSettings,
    /// Digit key → target.
    pub options: Vec<(String, Target)>,
    /// Normalized keyword → target.
    pub speech: Vec<(String, Target)>,
    /// Same as `gather.exhausted` (kept for `targets()`).
    pub exhausted: Target,
}

/// An ask: collect input into a variable.
#[derive(Debug)]
pub struct Ask {
    /// Prompt, retries, gather attributes.
    pub gather: GatherSettings,
    /// The input must match (named captures are saved too).
    pub pattern: Option<Arc<Regex>>,
    /// The variable to set.
    pub save_as: String,
    /// `sensitive: true`: what the caller enters is secret. The call store keeps it
    /// redacted; the engine reports it in [`Outcome::secrets`](crate::engine::Outcome).
    pub sensitive: bool,
    /// Where to go with valid input.
    pub next: Target,
    /// Same as `gather.exhausted`.
    pub exhausted: Target,
}

/// Who to dial.
#[derive(Debug, Clone)]
pub enum DialTarget {
    /// `+E164` (or a template that renders to one).
    Number(Template),
    /// `sip:…`.
    Sip(Template),
    /// `client:identity`.
    Client(Template),
    /// A template whose kind is known only once rendered.
    Dynamic(Template),
}

/// A dial.
#[derive(Debug)]
pub struct Dial {
    /// The targets, in order.
    pub to: Vec<DialTarget>,
    /// Ring one after another (each with `timeout`) rather than all at once.
    pub sequential: bool,
    /// Seconds to ring (per leg when sequential).
    pub timeout: Option<u32>,
    /// `timeLimit`.
    pub time_limit: Option<u32>,
    /// `callerId`.
    pub caller_id: Option<Template>,
    /// `record` mode.
    pub record: Option<String>,
    /// `answerOnBridge`.
    pub answer_on_bridge: Option<bool>,
    /// `hangupOnStar`.
    pub hangup_on_star: Option<bool>,
    /// `ringTone`.
    pub ring_tone: Option<String>,
    /// `sendDigits` on each number.
    pub send_digits: Option<String>,
    /// After a completed call, if the caller is still there.
    pub next: Target,
    /// Outcomes.
    pub on_busy: Target,
    pub on_no_answer: Target,
    pub on_failed: Target,
    /// Channels told when nobody answers (busy, no answer, failed).
    pub notify: Vec<String>,
}

/// A recording.
#[derive(Debug)]
pub struct Record {
    /// Said before the beep.
    pub prompt: Prompt,
    pub max_length: Option<u32>,
    pub timeout: Option<u32>,
    pub finish_on_key: Option<String>,
    pub beep: Option<bool>,
    pub transcribe: Option<bool>,
    pub trim: Option<bool>,
    pub next: Target,
    /// Channels told of the voicemail.
    pub notify: Vec<String>,
}

/// A queue.
#[derive(Debug)]
pub struct Enqueue {
    pub queue: Template,
    pub wait_url: Option<Template>,
    pub next: Target,
}

/// A conference.
#[derive(Debug)]
pub struct Conference {
    pub room: Template,
    pub start_on_enter: Option<bool>,
    pub end_on_exit: Option<bool>,
    pub muted: Option<bool>,
    pub beep: Option<String>,
    pub wait_url: Option<Template>,
    pub max_participants: Option<u32>,
    pub record: Option<bool>,
    pub next: Target,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_beats_longest_prefix_beats_default() {
        let mut idx = NumberIndex::default();
        idx.exact.insert("+14155550100".into(), FlowId(0));
        idx.prefixes.insert("+1415".into(), FlowId(1));
        idx.prefixes.insert("+1415555".into(), FlowId(2));
        idx.max_prefix = 8;
        idx.default = Some(FlowId(3));
        assert_eq!(
            idx.lookup("+14155550100"),
            Some((FlowId(0), NumberMatch::Exact))
        );
        assert_eq!(
            idx.lookup("+14155550199"),
            Some((FlowId(2), NumberMatch::Prefix))
        );
        assert_eq!(
            idx.lookup("+14150000000"),
            Some((FlowId(1), NumberMatch::Prefix))
        );
        assert_eq!(idx.lookup("+4420"), Some((FlowId(3), NumberMatch::Default)));
        assert_eq!(idx.lookup("é"), Some((FlowId(3), NumberMatch::Default)));
        idx.default = None;
        assert_eq!(idx.lookup("+4420"), None);
    }
}
