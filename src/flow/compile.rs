//! Raw YAML model → compiled [`FlowSet`], collecting every problem as a [`Diagnostic`].
//!
//! Compilation never stops at the first problem: a bad value is reported and replaced by a
//! harmless placeholder so the rest of the file is still checked. The resulting set is only
//! served when no error was reported.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use regex::Regex;
use serde_saphyr::{Location, Spanned};

use super::model::*;
use super::raw::*;
use crate::diag::{Diagnostic, Kind, Loc};
use crate::schedule::{Schedule, ScheduleSpec};
use crate::template::{Template, is_ident, is_twilio_param};

/// Default number of tries for menus and asks.
pub const DEFAULT_ATTEMPTS: u32 = 3;
/// Default `<Gather timeout>`.
pub const DEFAULT_TIMEOUT: u32 = 5;
/// More tries than this is a mistake, and it bounds how long a menu can hold a call.
pub const MAX_ATTEMPTS: u32 = 10;

/// A parsed file, ready to compile.
pub struct ParsedFlow {
    /// File stem.
    pub name: String,
    pub file: Arc<Path>,
    pub text: Arc<str>,
    pub raw: RawFlow,
    /// The file did not parse: it exists (so targets naming it are not reported again) but
    /// has nothing to check.
    pub broken: bool,
}

/// A parsed shared file.
pub struct ParsedShared {
    pub file: Arc<Path>,
    pub raw: RawShared,
}

/// Shared definitions merged from every `_*.yaml`.
#[derive(Default)]
struct Shared {
    vars: HashMap<String, String>,
    schedules: HashMap<String, (Arc<Path>, ScheduleSpec)>,
}

/// Source positions the checker needs after compilation.
#[derive(Debug, Clone)]
pub struct FlowMeta {
    /// Where each step's name is.
    pub step_locs: Vec<Loc>,
    /// Where each route rule is, per step (empty for other steps).
    pub rule_locs: Vec<Vec<Loc>>,
    /// The file, for whole-file diagnostics.
    pub file: Arc<Path>,
}

/// Compiles the parsed files into a set. Diagnostics go to `diags`; the returned set is
/// complete but must not be served if any error was pushed.
pub fn compile(
    flows: Vec<ParsedFlow>,
    shared: Vec<ParsedShared>,
    diags: &mut Vec<Diagnostic>,
) -> (FlowSet, Vec<FlowMeta>) {
    let shared = merge_shared(shared, diags);
    let mut flows = flows;
    flows.sort_by(|a, b| a.name.cmp(&b.name));

    // Pass 1: names, so targets in any flow can point at any other flow's steps.
    let mut by_name = HashMap::new();
    let mut step_names: Vec<HashMap<String, StepId>> = Vec::new();
    for (id, pf) in flows.iter().enumerate() {
        if !is_name(&pf.name) {
            diags.push(
                Diagnostic::error(
                    Kind::BadName,
                    Loc::file(&pf.file),
                    format!(
                        "flow name `{}` (the file name) cannot be used in a URL",
                        pf.name
                    ),
                )
                .with_help("use letters, digits, `-` and `_` only"),
            );
        }
        by_name.insert(pf.name.clone(), id);
        let mut names = HashMap::new();
        for (i, (k, _)) in pf.raw.steps.0.iter().enumerate() {
            if !is_name(&k.value) || k.value == "hangup" {
                diags.push(
                    Diagnostic::error(
                        Kind::BadName,
                        Loc::at(&pf.file, k.referenced),
                        format!("`{}` cannot be a step name", k.value),
                    )
                    .with_help(
                        "use letters, digits, `-` and `_` only; `hangup` is reserved for ending the call",
                    ),
                );
            }
            names.insert(k.value.clone(), i);
        }
        step_names.push(names);
    }
    let broken: HashSet<FlowId> = flows
        .iter()
        .enumerate()
        .filter(|(_, f)| f.broken)
        .map(|(i, _)| i)
        .collect();
    let names = Names {
        flows: &by_name,
        broken: &broken,
        steps: &step_names,
    };

    // Pass 2: each flow.
    let mut out = Vec::new();
    let mut metas = Vec::new();
    for (id, pf) in flows.iter().enumerate() {
        let mut c = FlowCompiler {
            file: pf.file.clone(),
            text: pf.text.clone(),
            flow_id: id,
            names: &names,
            shared: &shared,
            diags: &mut *diags,
            known_vars: HashSet::new(),
            runtime_vars: HashSet::new(),
            consts: HashMap::new(),
            schedules: HashMap::new(),
            tz: jiff::tz::TimeZone::UTC,
            voice: None,
            language: None,
            local_schedules: HashMap::new(),
        };
        let (flow, meta) = c.flow(pf);
        out.push(flow);
        metas.push(meta);
    }

    let numbers = index_numbers(&flows, diags);
    (
        FlowSet {
            flows: out,
            by_name,
            numbers,
        },
        metas,
    )
}

fn merge_shared(shared: Vec<ParsedShared>, diags: &mut Vec<Diagnostic>) -> Shared {
    let mut out = Shared::default();
    let mut seen_vars: HashMap<String, Loc> = HashMap::new();
    let mut seen_sched: HashMap<String, Loc> = HashMap::new();
    for ps in shared {
        for (k, v) in ps.raw.vars.0 {
            let loc = Loc::at(&ps.file, k.referenced);
            if let Some(prev) = seen_vars.get(&k.value) {
                diags.push(Diagnostic::error(
                    Kind::Duplicate,
                    loc,
                    format!("shared variable `{}` is already defined at {prev}", k.value),
                ));
                continue;
            }
            if !is_ident(&k.value) {
                diags.push(Diagnostic::error(
                    Kind::BadName,
                    loc.clone(),
                    format!("`{}` is not a valid variable name", k.value),
                ));
            }
            seen_vars.insert(k.value.clone(), loc);
            out.vars.insert(k.value, v.value);
        }
        for (k, v) in ps.raw.schedules.0 {
            let loc = Loc::at(&ps.file, k.referenced);
            if let Some(prev) = seen_sched.get(&k.value) {
                diags.push(Diagnostic::error(
                    Kind::Duplicate,
                    loc,
                    format!("shared schedule `{}` is already defined at {prev}", k.value),
                ));
                continue;
            }
            // Check it once on its own (zone fallback UTC), so errors show even when unused.
            match Schedule::compile(&v.value, &jiff::tz::TimeZone::UTC) {
                Ok(s) => {
                    if s.never_open() {
                        diags.push(Diagnostic::warning(
                            Kind::NeverOpen,
                            loc.clone(),
                            format!("schedule `{}` is never open", k.value),
                        ));
                    }
                }
                Err(errs) => schedule_errors(&ps.file, errs, diags),
            }
            seen_sched.insert(k.value.clone(), loc);
            out.schedules.insert(k.value, (ps.file.clone(), v.value));
        }
    }
    out
}

fn schedule_errors(
    file: &Arc<Path>,
    errs: Vec<crate::schedule::ScheduleError>,
    diags: &mut Vec<Diagnostic>,
) {
    for e in errs {
        let kind = if e.message.contains("time zone") {
            Kind::BadTimezone
        } else {
            Kind::BadSchedule
        };
        diags.push(Diagnostic::error(kind, Loc::at(file, e.at), e.message));
    }
}

/// The shape of a number pattern.
#[derive(Debug, PartialEq, Eq)]
pub enum NumberPattern<'a> {
    Exact(&'a str),
    Prefix(&'a str),
}

/// Parses a `numbers:` entry.
pub fn parse_number_pattern(s: &str) -> Result<NumberPattern<'_>, String> {
    if let Some(prefix) = s.strip_suffix('*') {
        let digits = prefix.strip_prefix('+').ok_or_else(|| {
            format!("prefix pattern `{s}` must start with `+` (E.164), e.g. `+1415555*`")
        })?;
        if digits.is_empty() || digits.len() > 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "prefix pattern `{s}` must be `+`, 1 to 14 digits, then `*`"
            ));
        }
        return Ok(NumberPattern::Prefix(prefix));
    }
    if is_e164(s) || is_sip(s) || is_client(s) {
        Ok(NumberPattern::Exact(s))
    } else {
        Err(format!(
            "`{s}` is not an E.164 number (`+14155550100`), a SIP URI (`sip:desk@example.com`), a client (`client:alice`) or a prefix pattern (`+1415*`)"
        ))
    }
}

/// `+` then 2 to 15 digits, the first not zero.
pub fn is_e164(s: &str) -> bool {
    let Some(d) = s.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
}

/// `sip:` or `sips:` then a non-empty URI without spaces.
pub fn is_sip(s: &str) -> bool {
    let rest = s.strip_prefix("sip:").or_else(|| s.strip_prefix("sips:"));
    matches!(rest, Some(r) if !r.is_empty() && !r.chars().any(|c| c.is_whitespace() || c.is_control()))
}

/// `client:` then an identity of up to 256 characters without spaces.
pub fn is_client(s: &str) -> bool {
    matches!(s.strip_prefix("client:"), Some(r) if !r.is_empty() && r.len() <= 256 && !r.chars().any(|c| c.is_whitespace() || c.is_control()))
}

fn index_numbers(flows: &[ParsedFlow], diags: &mut Vec<Diagnostic>) -> NumberIndex {
    let mut idx = NumberIndex::default();
    let mut seen: HashMap<String, (FlowId, Loc)> = HashMap::new();
    let mut default_seen: Option<(FlowId, Loc)> = None;
    for (id, pf) in flows.iter().enumerate() {
        for n in &pf.raw.numbers {
            let loc = Loc::at(&pf.file, n.referenced);
            let key = match parse_number_pattern(&n.value) {
                Ok(NumberPattern::Exact(e)) => e.to_string(),
                Ok(NumberPattern::Prefix(p)) => format!("{p}*"),
                Err(msg) => {
                    diags.push(Diagnostic::error(Kind::BadNumber, loc, msg));
                    continue;
                }
            };
            if let Some((other, prev)) = seen.get(&key) {
                let msg = if *other == id {
                    format!("`{key}` is listed twice in this flow (first at {prev})")
                } else {
                    format!(
                        "`{key}` is already claimed by flow `{}` at {prev}",
                        flows[*other].name
                    )
                };
                diags.push(Diagnostic::error(Kind::DuplicateNumber, loc, msg));
                continue;
            }
            seen.insert(key.clone(), (id, loc));
            match key.strip_suffix('*') {
                Some(p) => {
                    idx.max_prefix = idx.max_prefix.max(p.len());
                    idx.prefixes.insert(p.to_string(), id);
                }
                None => {
                    idx.exact.insert(key, id);
                }
            }
        }
        if let Some(d) = &pf.raw.default
            && d.value
        {
            let loc = Loc::at(&pf.file, d.referenced);
            if let Some((other, prev)) = &default_seen {
                diags.push(Diagnostic::error(
                    Kind::DuplicateNumber,
                    loc,
                    format!(
                        "flow `{}` is already the default (at {prev}); only one flow can be",
                        flows[*other].name
                    ),
                ));
            } else {
                default_seen = Some((id, loc));
                idx.default = Some(id);
            }
        }
    }
    idx
}

/// Letters, digits, `-`, `_` (safe in a URL path without escaping).
pub fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

struct Names<'a> {
    flows: &'a HashMap<String, FlowId>,
    broken: &'a HashSet<FlowId>,
    steps: &'a [HashMap<String, StepId>],
}

struct FlowCompiler<'a> {
    file: Arc<Path>,
    text: Arc<str>,
    flow_id: FlowId,
    names: &'a Names<'a>,
    shared: &'a Shared,
    diags: &'a mut Vec<Diagnostic>,
    /// Every variable a template may name in this flow.
    known_vars: HashSet<String>,
    /// Variables assigned at run time (`set`, `save_as`, captures): their values are unknown
    /// here.
    runtime_vars: HashSet<String>,
    /// Constants of this flow (shared and own), to check templates that are only a constant.
    consts: HashMap<String, String>,
    /// Schedules compiled for this flow's zone, by name.
    schedules: HashMap<String, Option<Arc<Schedule>>>,
    local_schedules: HashMap<String, ScheduleSpec>,
    tz: jiff::tz::TimeZone,
    voice: Option<String>,
    language: Option<String>,
}

/// Which action fields a step sets.
fn actions_of(s: &RawStep) -> Vec<(&'static str, Location)> {
    let mut v = Vec::new();
    macro_rules! has {
        ($($f:ident),*) => {$(
            if let Some(x) = &s.$f { v.push((stringify!($f), x.referenced)); }
        )*};
    }
    has!(
        say, play, pause, route, menu, ask, dial, record, enqueue, conference, redirect, set,
        hangup, reject
    );
    v
}

impl FlowCompiler<'_> {
    fn loc(&self, l: Location) -> Loc {
        Loc::at(&self.file, l)
    }

    fn err(&mut self, kind: Kind, l: Location, msg: impl Into<String>) {
        let loc = self.loc(l);
        self.diags.push(Diagnostic::error(kind, loc, msg));
    }

    fn flow(&mut self, pf: &ParsedFlow) -> (Flow, FlowMeta) {
        let raw = &pf.raw;
        if pf.broken {
            return (
                Flow {
                    name: pf.name.clone(),
                    file: self.file.clone(),
                    tz: self.tz.clone(),
                    consts: HashMap::new(),
                    steps: Vec::new(),
                    step_index: HashMap::new(),
                    start: 0,
                    on_error: None,
                    voice: None,
                    language: None,
                },
                FlowMeta {
                    step_locs: Vec::new(),
                    rule_locs: Vec::new(),
                    file: self.file.clone(),
                },
            );
        }
        if let Some(tz) = &raw.timezone {
            match crate::schedule::parse_time_zone(&tz.value) {
                Ok(z) => self.tz = z,
                Err(m) => self.err(Kind::BadTimezone, tz.referenced, m),
            }
        }
        self.voice = raw.voice.as_ref().map(|v| v.value.clone());
        self.language = raw.language.as_ref().map(|v| v.value.clone());

        // Constants: shared first, the flow's own override them.
        let mut consts = self.shared.vars.clone();
        for (k, v) in &raw.vars.0 {
            if !is_ident(&k.value) {
                self.err(
                    Kind::BadName,
                    k.referenced,
                    format!("`{}` is not a valid variable name", k.value),
                );
            }
            consts.insert(k.value.clone(), v.value.clone());
        }
        self.known_vars.extend(consts.keys().cloned());
        self.consts = consts.clone();
        self.collect_defined_vars(raw);

        for (k, v) in &raw.schedules.0 {
            if self.local_schedules.contains_key(&k.value) {
                self.err(
                    Kind::Duplicate,
                    k.referenced,
                    format!("schedule `{}` is defined twice", k.value),
                );
                continue;
            }
            match Schedule::compile(&v.value, &self.tz) {
                Ok(s) => {
                    if s.never_open() {
                        let loc = self.loc(k.referenced);
                        self.diags.push(Diagnostic::warning(
                            Kind::NeverOpen,
                            loc,
                            format!("schedule `{}` is never open", k.value),
                        ));
                    }
                    self.schedules.insert(k.value.clone(), Some(Arc::new(s)));
                }
                Err(errs) => {
                    schedule_errors(&self.file, errs, self.diags);
                    self.schedules.insert(k.value.clone(), None);
                }
            }
            self.local_schedules
                .insert(k.value.clone(), v.value.clone());
        }

        let mut steps = Vec::new();
        let mut step_locs = Vec::new();
        let mut rule_locs = Vec::new();
        for (name, step) in &raw.steps.0 {
            let mut rl = Vec::new();
            let action = self.step(name, &step.value, &mut rl);
            steps.push(Step {
                name: name.value.clone(),
                action,
            });
            step_locs.push(self.loc(name.referenced));
            rule_locs.push(rl);
        }
        let step_index = self.names.steps[self.flow_id].clone();

        let start = match &raw.start {
            Some(s) => match step_index.get(&s.value) {
                Some(&id) => id,
                None => {
                    let help =
                        crate::diag::did_you_mean(&s.value, step_index.keys().map(|k| k.as_str()));
                    let mut d = Diagnostic::error(
                        Kind::MissingTarget,
                        self.loc(s.referenced),
                        format!("`start` names step `{}`, which does not exist", s.value),
                    );
                    if let Some(h) = help {
                        d = d.with_help(format!("did you mean `{h}`?"));
                    }
                    self.diags.push(d);
                    0
                }
            },
            None => {
                self.diags.push(
                    Diagnostic::error(
                        Kind::MissingStart,
                        Loc::file(&self.file),
                        "flow has no `start` step",
                    )
                    .with_help("add `start: <step name>` at the top level"),
                );
                0
            }
        };
        if raw.steps.0.is_empty() {
            self.diags.push(Diagnostic::error(
                Kind::MissingStart,
                Loc::file(&self.file),
                "flow has no steps",
            ));
        }
        let on_error = raw
            .on_error
            .as_ref()
            .and_then(|s| match step_index.get(&s.value) {
                Some(&id) => Some(id),
                None => {
                    self.err(
                        Kind::MissingTarget,
                        s.referenced,
                        format!("`on_error` names step `{}`, which does not exist", s.value),
                    );
                    None
                }
            });
        (
            Flow {
                name: pf.name.clone(),
                file: self.file.clone(),
                tz: self.tz.clone(),
                consts,
                steps,
                step_index,
                start,
                on_error,
                voice: self.voice.clone(),
                language: self.language.clone(),
            },
            FlowMeta {
                step_locs,
                rule_locs,
                file: self.file.clone(),
            },
        )
    }

    /// Names assigned anywhere in the flow: `set`, `ask.save_as`, named regex captures.
    fn collect_defined_vars(&mut self, raw: &RawFlow) {
        fn captures(re: &str, out: &mut HashSet<String>) {
            if let Ok(r) = Regex::new(re) {
                out.extend(r.capture_names().flatten().map(str::to_string));
            }
        }
        fn cond(c: &RawCond, out: &mut HashSet<String>) {
            for (_, part) in &c.0 {
                match part {
                    RawCondPart::All(v) | RawCondPart::Any(v) => {
                        v.iter().for_each(|c| cond(&c.value, out))
                    }
                    RawCondPart::Not(c) => cond(&c.value, out),
                    RawCondPart::Test(t) => {
                        if let RawTest::Ops(ops) = &t.value {
                            for (op, arg) in ops {
                                if op.value == "matches"
                                    && let RawOperand::Scalar(re) = &arg.value
                                {
                                    captures(re, out);
                                }
                            }
                        }
                    }
                    RawCondPart::Open(_) | RawCondPart::Closed(_) => {}
                }
            }
        }
        let mut out = HashSet::new();
        for (_, step) in &raw.steps.0 {
            let s = &step.value;
            if let Some(set) = &s.set {
                out.extend(set.value.0.iter().map(|(k, _)| k.value.clone()));
            }
            if let Some(ask) = &s.ask {
                if let Some(n) = &ask.value.save_as {
                    out.insert(n.value.clone());
                }
                if let Some(p) = &ask.value.pattern {
                    captures(&p.value, &mut out);
                }
            }
            if let Some(route) = &s.route {
                for r in &route.value {
                    if let Some(c) = &r.value.cond {
                        cond(&c.value, &mut out);
                    }
                }
            }
        }
        self.runtime_vars = out.clone();
        self.known_vars.extend(out);
    }

    fn step(&mut self, name: &S<String>, s: &RawStep, rule_locs: &mut Vec<Loc>) -> Action {
        let actions = actions_of(s);
        if actions.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    Kind::StepActions,
                    self.loc(name.referenced),
                    format!("step `{}` has no action", name.value),
                )
                .with_help("give it exactly one of: say, play, pause, route, menu, ask, dial, record, enqueue, conference, redirect, set, hangup, reject"),
            );
            return Action::Hangup;
        }
        if actions.len() > 1 {
            let list: Vec<&str> = actions.iter().map(|(n, _)| *n).collect();
            self.err(
                Kind::StepActions,
                actions[1].1,
                format!(
                    "step `{}` has {} actions ({}); a step does exactly one thing",
                    name.value,
                    actions.len(),
                    list.join(", ")
                ),
            );
        }
        let next = |c: &mut Self| c.target_opt(s.next.as_ref()).unwrap_or(Target::Hangup);
        let no_next = |c: &mut Self, what: &str| {
            if let Some(n) = &s.next {
                c.err(
                    Kind::Field,
                    n.referenced,
                    format!("`next` does nothing on a {what} step"),
                );
            }
        };
        let (kind, _) = actions[0];
        match kind {
            "say" => {
                let Some(p) = &s.say else {
                    return Action::Hangup;
                };
                let prompt = self.prompt(p);
                Action::Prompt {
                    prompt,
                    next: next(self),
                }
            }
            "play" => {
                let Some(p) = &s.play else {
                    return Action::Hangup;
                };
                let part = match &p.value {
                    RawPlay::Url(u) => PromptPart::Play {
                        url: self.url_template(u, p.referenced),
                        loop_count: None,
                        digits: None,
                    },
                    RawPlay::Full(f) => {
                        if f.url.is_none() && f.digits.is_none() {
                            self.err(Kind::Field, p.referenced, "`play` needs `url` or `digits`");
                        }
                        let digits = f.digits.as_ref().map(|d| {
                            self.check_dtmf(d, true);
                            d.value.clone()
                        });
                        PromptPart::Play {
                            url: f
                                .url
                                .as_ref()
                                .map(|u| self.url_template(&u.value, u.referenced))
                                .unwrap_or_default(),
                            loop_count: f.loop_count.as_ref().map(|l| l.value),
                            digits,
                        }
                    }
                };
                Action::Prompt {
                    prompt: Prompt { parts: vec![part] },
                    next: next(self),
                }
            }
            "pause" => {
                let Some(p) = &s.pause else {
                    return Action::Hangup;
                };
                if p.value == 0 {
                    self.err(
                        Kind::BadValue,
                        p.referenced,
                        "`pause` must be at least 1 second",
                    );
                }
                Action::Prompt {
                    prompt: Prompt {
                        parts: vec![PromptPart::Pause(p.value.max(1))],
                    },
                    next: next(self),
                }
            }
            "route" => {
                let Some(r) = &s.route else {
                    return Action::Hangup;
                };
                let mut rules = Vec::new();
                let mut unconditional: Option<Location> = None;
                for rule in &r.value {
                    rule_locs.push(self.loc(rule.referenced));
                    if let Some(u) = unconditional {
                        let loc = self.loc(rule.referenced);
                        let at = self.loc(u);
                        self.diags.push(Diagnostic::warning(
                            Kind::ShadowedRule,
                            loc,
                            format!("this rule can never match: the rule at {at} has no `if` and always matches first"),
                        ));
                    }
                    let cond = rule
                        .value
                        .cond
                        .as_ref()
                        .map(|c| self.cond(&c.value, c.referenced));
                    let label = rule
                        .value
                        .cond
                        .as_ref()
                        .map(|c| cond_label(&c.value))
                        .unwrap_or_else(|| "otherwise".into());
                    if cond.is_none() && unconditional.is_none() {
                        unconditional = Some(rule.referenced);
                    }
                    let goto = self.target(&rule.value.goto);
                    rules.push(Rule { cond, goto, label });
                }
                let otherwise = self.target_opt(s.next.as_ref());
                if let (Some(u), Some(n)) = (unconditional, &s.next) {
                    let loc = self.loc(n.referenced);
                    let at = self.loc(u);
                    self.diags.push(Diagnostic::warning(
                        Kind::ShadowedRule,
                        loc,
                        format!("`next` is never used: the rule at {at} always matches"),
                    ));
                }
                if unconditional.is_none() && otherwise.is_none() {
                    let loc = self.loc(r.referenced);
                    self.diags.push(
                        Diagnostic::warning(
                            Kind::NoFallthrough,
                            loc,
                            format!("route `{}` has no rule without `if` and no `next`; when nothing matches the caller hears an apology", name.value),
                        )
                        .with_help("add a last rule `- goto: <step>` for everything else"),
                    );
                }
                Action::Route { rules, otherwise }
            }
            "set" => {
                let Some(set) = &s.set else {
                    return Action::Hangup;
                };
                let mut assigns = Vec::new();
                for (k, v) in &set.value.0 {
                    if !is_ident(&k.value) {
                        self.err(
                            Kind::BadName,
                            k.referenced,
                            format!("`{}` is not a valid variable name", k.value),
                        );
                    }
                    let t = self.template(&v.value, v.referenced);
                    assigns.push((k.value.clone(), t));
                }
                Action::Set {
                    assigns,
                    next: next(self),
                }
            }
            "menu" => {
                no_next(self, "menu");
                let Some(m) = &s.menu else {
                    return Action::Hangup;
                };
                Action::Menu(Box::new(self.menu(&m.value, m.referenced)))
            }
            "ask" => {
                let Some(a) = &s.ask else {
                    return Action::Hangup;
                };
                Action::Ask(Box::new(self.ask(&a.value, a.referenced, s.next.as_ref())))
            }
            "dial" => {
                let Some(d) = &s.dial else {
                    return Action::Hangup;
                };
                Action::Dial(Box::new(self.dial(&d.value, d.referenced, s.next.as_ref())))
            }
            "record" => {
                let Some(r) = &s.record else {
                    return Action::Hangup;
                };
                let r_ = &r.value;
                let next = self.inner_next(r_.next.as_ref(), s.next.as_ref());
                if let Some(m) = &r_.max_length
                    && !(2..=14400).contains(&m.value)
                {
                    self.err(
                        Kind::BadValue,
                        m.referenced,
                        "`max_length` must be 2 to 14400 seconds",
                    );
                }
                if let Some(k) = &r_.finish_on_key {
                    self.check_dtmf(k, false);
                }
                Action::Record(Box::new(Record {
                    prompt: r_
                        .prompt
                        .as_ref()
                        .map(|p| self.prompt(p))
                        .unwrap_or_default(),
                    max_length: r_.max_length.as_ref().map(|v| v.value),
                    timeout: r_.timeout.as_ref().map(|v| v.value),
                    finish_on_key: r_.finish_on_key.as_ref().map(|v| v.value.clone()),
                    beep: r_.beep.as_ref().map(|v| v.value),
                    transcribe: r_.transcribe.as_ref().map(|v| v.value),
                    trim: r_.trim.as_ref().map(|v| v.value),
                    next,
                }))
            }
            "enqueue" => {
                let Some(e) = &s.enqueue else {
                    return Action::Hangup;
                };
                let e_ = &e.value;
                let next = self.inner_next(e_.next.as_ref(), s.next.as_ref());
                let queue = self.required_template(
                    e_.queue.as_ref(),
                    e.referenced,
                    "`enqueue` needs `queue` (the queue name)",
                );
                Action::Enqueue(Box::new(Enqueue {
                    queue,
                    wait_url: e_
                        .wait_url
                        .as_ref()
                        .map(|u| self.wait_url_template(&u.value, u.referenced)),
                    next,
                }))
            }
            "conference" => {
                let Some(c) = &s.conference else {
                    return Action::Hangup;
                };
                let c_ = &c.value;
                let next = self.inner_next(c_.next.as_ref(), s.next.as_ref());
                let room = self.required_template(
                    c_.room.as_ref(),
                    c.referenced,
                    "`conference` needs `room`",
                );
                let beep = c_.beep.as_ref().map(|b| {
                    if !["true", "false", "onEnter", "onExit"].contains(&b.value.0.as_str()) {
                        self.err(
                            Kind::BadValue,
                            b.referenced,
                            "`beep` is one of true, false, onEnter, onExit",
                        );
                    }
                    b.value.0.clone()
                });
                if let Some(m) = &c_.max_participants
                    && !(2..=250).contains(&m.value)
                {
                    self.err(
                        Kind::BadValue,
                        m.referenced,
                        "`max_participants` must be 2 to 250",
                    );
                }
                Action::Conference(Box::new(Conference {
                    room,
                    start_on_enter: c_.start_on_enter.as_ref().map(|v| v.value),
                    end_on_exit: c_.end_on_exit.as_ref().map(|v| v.value),
                    muted: c_.muted.as_ref().map(|v| v.value),
                    beep,
                    wait_url: c_
                        .wait_url
                        .as_ref()
                        .map(|u| self.wait_url_template(&u.value, u.referenced)),
                    max_participants: c_.max_participants.as_ref().map(|v| v.value),
                    record: c_.record.as_ref().map(|v| v.value),
                    next,
                }))
            }
            "redirect" => {
                no_next(self, "redirect");
                let Some(r) = &s.redirect else {
                    return Action::Hangup;
                };
                let r_ = &r.value;
                match (&r_.flow, &r_.url) {
                    (Some(f), None) => {
                        let t = match &r_.step {
                            Some(st) => format!("@{}.{}", f.value, st.value),
                            None => format!("@{}", f.value),
                        };
                        let spanned = Spanned::new(t, f.referenced, f.defined);
                        Action::Goto(self.target(&spanned))
                    }
                    (None, Some(u)) => {
                        if let Some(st) = &r_.step {
                            self.err(
                                Kind::Field,
                                st.referenced,
                                "`step` goes with `flow`, not `url`",
                            );
                        }
                        Action::RedirectUrl(self.url_template(&u.value, u.referenced))
                    }
                    _ => {
                        self.err(
                            Kind::Field,
                            r.referenced,
                            "`redirect` needs exactly one of `flow` or `url`",
                        );
                        Action::Hangup
                    }
                }
            }
            "hangup" => {
                no_next(self, "hangup");
                if let Some(h) = &s.hangup
                    && !h.value
                {
                    self.err(
                        Kind::BadValue,
                        h.referenced,
                        "write `hangup: true` (there is nothing to turn off)",
                    );
                }
                Action::Hangup
            }
            "reject" => {
                no_next(self, "reject");
                let Some(r) = &s.reject else {
                    return Action::Hangup;
                };
                if r.value != "busy" && r.value != "rejected" {
                    self.err(
                        Kind::BadValue,
                        r.referenced,
                        "`reject` is `busy` or `rejected`",
                    );
                }
                Action::Reject(r.value.clone())
            }
            _ => Action::Hangup,
        }
    }

    /// A template the action cannot do without; its absence is reported at the action.
    fn required_template(
        &mut self,
        v: Option<&S<String>>,
        at: Location,
        missing: &str,
    ) -> Template {
        match v {
            Some(v) => self.template(&v.value, v.referenced),
            None => {
                self.err(Kind::Field, at, missing);
                Template::default()
            }
        }
    }

    /// `next` may be inside the action (`record: { next: x }`) or beside it, not both.
    fn inner_next(&mut self, inner: Option<&S<String>>, outer: Option<&S<String>>) -> Target {
        if let (Some(_), Some(o)) = (inner, outer) {
            self.err(
                Kind::Field,
                o.referenced,
                "`next` is given twice (inside the action and beside it)",
            );
        }
        self.target_opt(inner.or(outer)).unwrap_or(Target::Hangup)
    }

    fn target_opt(&mut self, t: Option<&S<String>>) -> Option<Target> {
        t.map(|t| self.target(t))
    }

    /// Resolves `step`, `hangup`, `@flow` or `@flow.step`.
    fn target(&mut self, t: &S<String>) -> Target {
        let v = t.value.as_str();
        if v == "hangup" {
            return Target::Hangup;
        }
        if let Some(rest) = v.strip_prefix('@') {
            let (flow, step) = match rest.split_once('.') {
                Some((f, s)) => (f, Some(s)),
                None => (rest, None),
            };
            let Some(&fid) = self.names.flows.get(flow) else {
                let help =
                    crate::diag::did_you_mean(flow, self.names.flows.keys().map(|k| k.as_str()));
                let mut d = Diagnostic::error(
                    Kind::MissingTarget,
                    self.loc(t.referenced),
                    format!("there is no flow `{flow}`"),
                );
                if let Some(h) = help {
                    d = d.with_help(format!("did you mean `@{h}`?"));
                }
                self.diags.push(d);
                return Target::Hangup;
            };
            if self.names.broken.contains(&fid) {
                return Target::Hangup;
            }
            return match step {
                None => Target::FlowStart(fid),
                Some(s) => match self.names.steps[fid].get(s) {
                    Some(&sid) => Target::Flow(fid, sid),
                    None => {
                        self.err(
                            Kind::MissingTarget,
                            t.referenced,
                            format!("flow `{flow}` has no step `{s}`"),
                        );
                        Target::Hangup
                    }
                },
            };
        }
        match self.names.steps[self.flow_id].get(v) {
            Some(&id) => Target::Step(id),
            None => {
                let help = crate::diag::did_you_mean(
                    v,
                    self.names.steps[self.flow_id].keys().map(|k| k.as_str()),
                );
                let mut d = Diagnostic::error(
                    Kind::MissingTarget,
                    self.loc(t.referenced),
                    format!("there is no step `{v}` in this flow"),
                );
                d = match help {
                    Some(h) => d.with_help(format!("did you mean `{h}`?")),
                    None => d.with_help("name a step of this flow, `@flow` for another flow's start, `@flow.step`, or `hangup`"),
                };
                self.diags.push(d);
                Target::Hangup
            }
        }
    }

    fn prompt(&mut self, p: &S<RawPrompt>) -> Prompt {
        let mut parts = Vec::new();
        match &p.value {
            RawPrompt::Text(t) => parts.push(self.text_part(t, p.referenced, None, None, None)),
            RawPrompt::Items(items) => {
                for it in items {
                    let loc = if it.referenced == Location::UNKNOWN {
                        p.referenced
                    } else {
                        it.referenced
                    };
                    let i = &it.value;
                    let set = [i.say.is_some(), i.play.is_some(), i.pause.is_some()]
                        .iter()
                        .filter(|b| **b)
                        .count();
                    let digits_only = set == 0 && i.digits.is_some();
                    if set != 1 && !digits_only {
                        self.err(
                            Kind::StepActions,
                            loc,
                            "each prompt item has exactly one of `say`, `play`, `pause`",
                        );
                        continue;
                    }
                    let voice = i.voice.as_ref().map(|v| v.value.clone());
                    let language = i.language.as_ref().map(|v| v.value.clone());
                    let loop_count = i.loop_count.as_ref().map(|v| v.value);
                    if let Some(s) = &i.say {
                        parts.push(PromptPart::Say {
                            text: self.template(&s.value, s.referenced),
                            voice: voice.or_else(|| self.voice.clone()),
                            language: language.or_else(|| self.language.clone()),
                            loop_count,
                        });
                    } else if let Some(u) = &i.play {
                        let digits = i.digits.as_ref().map(|d| {
                            self.check_dtmf(d, true);
                            d.value.clone()
                        });
                        parts.push(PromptPart::Play {
                            url: self.url_template(&u.value, u.referenced),
                            loop_count,
                            digits,
                        });
                    } else if let Some(n) = &i.pause {
                        if n.value == 0 {
                            self.err(
                                Kind::BadValue,
                                n.referenced,
                                "`pause` must be at least 1 second",
                            );
                        }
                        parts.push(PromptPart::Pause(n.value.max(1)));
                    } else if let Some(d) = &i.digits {
                        self.check_dtmf(d, true);
                        parts.push(PromptPart::Play {
                            url: Template::default(),
                            loop_count,
                            digits: Some(d.value.clone()),
                        });
                    }
                }
            }
        }
        Prompt { parts }
    }

    /// A prompt string: an `http(s)://` URL is played, anything else said.
    fn text_part(
        &mut self,
        t: &str,
        l: Location,
        voice: Option<String>,
        language: Option<String>,
        loop_count: Option<u32>,
    ) -> PromptPart {
        if t.starts_with("https://") || t.starts_with("http://") {
            PromptPart::Play {
                url: self.template(t, l),
                loop_count,
                digits: None,
            }
        } else {
            PromptPart::Say {
                text: self.template(t, l),
                voice: voice.or_else(|| self.voice.clone()),
                language: language.or_else(|| self.language.clone()),
                loop_count,
            }
        }
    }

    fn check_dtmf(&mut self, d: &S<String>, allow_w: bool) {
        let ok = d
            .value
            .chars()
            .all(|c| c.is_ascii_digit() || c == '*' || c == '#' || (allow_w && c == 'w'));
        if !ok || d.value.is_empty() && allow_w {
            let what = if allow_w {
                "digits 0-9, `*`, `#` and `w` (half-second wait)"
            } else {
                "digits 0-9, `*` and `#`"
            };
            self.err(
                Kind::BadValue,
                d.referenced,
                format!("`{}` may contain only {what}", d.value),
            );
        }
    }

    /// A hold-music URL: empty is meaningful there (Twilio's `waitUrl=""` is silence).
    fn wait_url_template(&mut self, u: &str, l: Location) -> Template {
        if u.is_empty() {
            return Template::default();
        }
        self.url_template(u, l)
    }

    fn url_template(&mut self, u: &str, l: Location) -> Template {
        let t = self.template(u, l);
        let ok = u.starts_with("https://")
            || u.starts_with("http://")
            || u.starts_with('/')
            || u.starts_with("{{");
        if !ok {
            self.err(
                Kind::BadValue,
                l,
                format!("`{u}` is not a URL (expected `https://…` or a path starting with `/`)"),
            );
        }
        // A name that starts a URL supplies the whole URL, so it must come from the operator
        // (a constant), never from the caller: a spoken or typed URL would send the call to
        // any TwiML server, or forge call state in a `/voice/...` path that Twilio then signs.
        let caller_controlled = match t.pieces().first() {
            Some(crate::template::Piece::Param(p)) => Some(format!("{{{{{p}}}}}")),
            Some(crate::template::Piece::Var(v))
                if self.runtime_vars.contains(v) || !self.consts.contains_key(v) =>
            {
                Some(format!("{{{{vars.{v}}}}}"))
            }
            _ => None,
        };
        if let Some(name) = caller_controlled {
            self.diags.push(
                Diagnostic::error(
                    Kind::BadValue,
                    self.loc(l),
                    format!("a URL cannot start with `{name}`: its value is set during the call, so the caller could choose where the call goes"),
                )
                .with_help("start the URL with `https://`, `/`, or a constant from `vars:`; put call values after it (`…?account={{vars.account}}`)"),
            );
        }
        t
    }

    fn template(&mut self, text: &str, l: Location) -> Template {
        let known = &self.known_vars;
        match Template::compile(text, is_twilio_param, |v| known.contains(v)) {
            Ok(t) => t,
            Err(errs) => {
                for e in errs {
                    let loc = self.loc_in_scalar(l, text, e.offset);
                    let mut d = Diagnostic::error(Kind::BadTemplate, loc, e.message.clone());
                    if let Some(name) = e
                        .message
                        .strip_prefix("unknown variable `vars.")
                        .and_then(|m| m.strip_suffix('`'))
                    {
                        if let Some(h) = crate::diag::did_you_mean(
                            name,
                            self.known_vars.iter().map(|s| s.as_str()),
                        ) {
                            d = d.with_help(format!("did you mean `vars.{h}`?"));
                        } else {
                            d = d.with_help("define it under `vars:`, with `set:`, `ask: { save_as: … }` or a named capture");
                        }
                    } else if let Some(name) = e
                        .message
                        .strip_prefix("unknown request parameter `")
                        .and_then(|m| m.strip_suffix('`'))
                        && let Some(h) = crate::diag::did_you_mean(
                            name,
                            crate::template::TWILIO_PARAMS.iter().copied(),
                        )
                    {
                        d = d.with_help(format!("did you mean `{h}`?"));
                    }
                    self.diags.push(d);
                }
                Template::default()
            }
        }
    }

    /// The location of byte `offset` inside a scalar that starts at `l`, when the scalar is
    /// on one line and written plainly or quoted without escapes; else the scalar's start.
    fn loc_in_scalar(&self, l: Location, value: &str, offset: usize) -> Loc {
        let mut loc = self.loc(l);
        let Some(line) = self.text.lines().nth((loc.line as usize).saturating_sub(1)) else {
            return loc;
        };
        let from: String = line
            .chars()
            .skip((loc.col as usize).saturating_sub(1))
            .collect();
        let (skip, body) = match from.chars().next() {
            Some(q @ ('"' | '\'')) => (1, from[1..].split(q).next().unwrap_or("")),
            _ => (0, from.as_str()),
        };
        if body.starts_with(value) || (skip == 1 && body == value) {
            let chars = value.get(..offset).map(|p| p.chars().count()).unwrap_or(0);
            loc.col += (skip + chars) as u32;
            let name_len = value
                .get(offset..)
                .and_then(|r| r.find("}}"))
                .map(|e| e + 2)
                .unwrap_or(2);
            loc.len = name_len as u32;
        }
        loc
    }

    fn regex(&mut self, re: &str, l: Location) -> Option<Regex> {
        match regex::RegexBuilder::new(re).size_limit(1 << 20).build() {
            Ok(r) => {
                // Captures become call variables, so their names must be variable names.
                if let Some(bad) = r.capture_names().flatten().find(|n| !is_ident(n)) {
                    self.err(
                        Kind::BadRegex,
                        l,
                        format!(
                            "capture name `{bad}` is not a variable name (letters, digits and `_`)"
                        ),
                    );
                    return None;
                }
                Some(r)
            }
            Err(e) => {
                let msg = e.to_string();
                let last = msg
                    .lines()
                    .rfind(|l| !l.trim().is_empty())
                    .unwrap_or("invalid regex")
                    .trim();
                let last = last.strip_prefix("error: ").unwrap_or(last).to_string();
                self.err(
                    Kind::BadRegex,
                    l,
                    format!("invalid regular expression: {last}"),
                );
                None
            }
        }
    }

    fn schedule(&mut self, name: &S<String>) -> Option<Arc<Schedule>> {
        if let Some(s) = self.schedules.get(&name.value) {
            return s.clone();
        }
        let compiled = match self.shared.schedules.get(&name.value) {
            // Shared schedules are compiled in this flow's zone unless they name their own;
            // their errors were reported once, against the shared file.
            Some((_, spec)) => Schedule::compile(spec, &self.tz).ok().map(Arc::new),
            None => {
                let known: Vec<&str> = self
                    .local_schedules
                    .keys()
                    .chain(self.shared.schedules.keys())
                    .map(|s| s.as_str())
                    .collect();
                let mut d = Diagnostic::error(
                    Kind::UnknownSchedule,
                    self.loc(name.referenced),
                    format!("there is no schedule `{}`", name.value),
                );
                if let Some(h) = crate::diag::did_you_mean(&name.value, known.iter().copied()) {
                    d = d.with_help(format!("did you mean `{h}`?"));
                } else {
                    d = d.with_help(
                        "define it under `schedules:` in this flow or in a shared `_*.yaml` file",
                    );
                }
                self.diags.push(d);
                None
            }
        };
        self.schedules.insert(name.value.clone(), compiled.clone());
        compiled
    }

    fn cond(&mut self, c: &RawCond, at: Location) -> Cond {
        let mut all = Vec::new();
        if c.0.is_empty() {
            self.err(
                Kind::Type,
                at,
                "empty condition; omit `if` for a rule that always matches",
            );
        }
        for (key, part) in &c.0 {
            let cond = match part {
                RawCondPart::All(v) => Cond::All(
                    v.iter()
                        .map(|c| self.cond(&c.value, c.referenced))
                        .collect(),
                ),
                RawCondPart::Any(v) => Cond::Any(
                    v.iter()
                        .map(|c| self.cond(&c.value, c.referenced))
                        .collect(),
                ),
                RawCondPart::Not(c) => Cond::Not(Box::new(self.cond(&c.value, c.referenced))),
                RawCondPart::Open(n) | RawCondPart::Closed(n) => match self.schedule(n) {
                    Some(schedule) => Cond::Schedule {
                        name: n.value.clone(),
                        schedule,
                        open: matches!(part, RawCondPart::Open(_)),
                    },
                    None => Cond::All(Vec::new()),
                },
                RawCondPart::Test(t) => {
                    let subject = self.subject(key);
                    self.test(subject, &t.value, t.referenced)
                }
            };
            all.push(cond);
        }
        if all.len() == 1 {
            all.pop().unwrap_or(Cond::All(Vec::new()))
        } else {
            Cond::All(all)
        }
    }

    fn subject(&mut self, key: &S<String>) -> Subject {
        let k = key.value.as_str();
        if let Some(v) = k.strip_prefix("vars.") {
            if !self.known_vars.contains(v) {
                let mut d = Diagnostic::error(
                    Kind::BadTemplate,
                    self.loc(key.referenced),
                    format!("unknown variable `vars.{v}`"),
                );
                if let Some(h) =
                    crate::diag::did_you_mean(v, self.known_vars.iter().map(|s| s.as_str()))
                {
                    d = d.with_help(format!("did you mean `vars.{h}`?"));
                }
                self.diags.push(d);
            }
            return Subject::Var(v.to_string());
        }
        if !is_twilio_param(k) {
            let mut cands: Vec<&str> = crate::template::TWILIO_PARAMS.to_vec();
            cands.extend(["all", "any", "not", "open", "closed"]);
            let mut d = Diagnostic::error(
                Kind::UnknownKey,
                self.loc(key.referenced),
                format!("`{k}` is not a request parameter, `vars.` name or condition operator"),
            );
            if let Some(h) = crate::diag::did_you_mean(k, cands) {
                d = d.with_help(format!("did you mean `{h}`?"));
            }
            self.diags.push(d);
        }
        Subject::Param(k.to_string())
    }

    fn test(&mut self, subject: Subject, t: &RawTest, at: Location) -> Cond {
        let speech = subject.is_speech();
        let norm = |s: &str| {
            if speech {
                normalize_speech(s)
            } else {
                s.to_string()
            }
        };
        match t {
            RawTest::Eq(v) => Cond::Test {
                op: Op::Eq(norm(v)),
                subject,
            },
            RawTest::In(list) => Cond::Test {
                op: Op::In(list.iter().map(|s| norm(&s.value)).collect()),
                subject,
            },
            RawTest::Ops(ops) => {
                let mut conds = Vec::new();
                if ops.is_empty() {
                    self.err(Kind::Type, at, "no operator given");
                }
                for (op, arg) in ops {
                    let scalar = |c: &mut Self| match &arg.value {
                        RawOperand::Scalar(s) => Some(s.clone()),
                        RawOperand::List(_) => {
                            c.err(
                                Kind::Type,
                                arg.referenced,
                                format!("`{}` takes one value, not a list", op.value),
                            );
                            None
                        }
                    };
                    let list = |c: &mut Self| match &arg.value {
                        RawOperand::List(l) => {
                            Some(l.iter().map(|s| norm(&s.value)).collect::<Vec<_>>())
                        }
                        RawOperand::Scalar(_) => {
                            c.err(
                                Kind::Type,
                                arg.referenced,
                                format!("`{}` takes a list of values", op.value),
                            );
                            None
                        }
                    };
                    let number = |c: &mut Self| {
                        let s = scalar(c)?;
                        match s.trim().parse::<f64>() {
                            Ok(n) if n.is_finite() => Some(n),
                            _ => {
                                c.err(
                                    Kind::Type,
                                    arg.referenced,
                                    format!("`{}` takes a number, not `{s}`", op.value),
                                );
                                None
                            }
                        }
                    };
                    let boolean = |c: &mut Self| {
                        let s = scalar(c)?;
                        match s.as_str() {
                            "true" => Some(true),
                            "false" => Some(false),
                            _ => {
                                c.err(
                                    Kind::Type,
                                    arg.referenced,
                                    format!("`{}` takes true or false", op.value),
                                );
                                None
                            }
                        }
                    };
                    let compiled = match op.value.as_str() {
                        "eq" | "equals" => scalar(self).map(|s| Op::Eq(norm(&s))),
                        "ne" | "not_equals" => scalar(self).map(|s| Op::Ne(norm(&s))),
                        "in" => list(self).map(Op::In),
                        "not_in" => list(self).map(Op::NotIn),
                        "starts_with" => scalar(self).map(|s| Op::StartsWith(norm(&s))),
                        "ends_with" => scalar(self).map(|s| Op::EndsWith(norm(&s))),
                        "contains" => scalar(self).map(|s| Op::Contains(norm(&s))),
                        "matches" => scalar(self)
                            .and_then(|s| self.regex(&s, arg.referenced))
                            .map(Op::Matches),
                        "lt" => number(self).map(Op::Lt),
                        "le" => number(self).map(Op::Le),
                        "gt" => number(self).map(Op::Gt),
                        "ge" => number(self).map(Op::Ge),
                        "exists" => boolean(self).map(Op::Exists),
                        "empty" => boolean(self).map(Op::Empty),
                        other => {
                            let mut d = Diagnostic::error(
                                Kind::UnknownKey,
                                self.loc(op.referenced),
                                format!("unknown operator `{other}`"),
                            );
                            if let Some(h) =
                                crate::diag::did_you_mean(other, OPERATORS.iter().copied())
                            {
                                d = d.with_help(format!("did you mean `{h}`?"));
                            } else {
                                d = d.with_help(format!("operators: {}", OPERATORS.join(", ")));
                            }
                            self.diags.push(d);
                            None
                        }
                    };
                    if let Some(op) = compiled {
                        conds.push(Cond::Test {
                            subject: subject.clone(),
                            op,
                        });
                    }
                }
                if conds.len() == 1 {
                    conds.pop().unwrap_or(Cond::All(Vec::new()))
                } else {
                    Cond::All(conds)
                }
            }
        }
    }

    fn gather(
        &mut self,
        raw: RawGather<'_>,
        at: Location,
        default_invalid_text: &str,
    ) -> GatherSettings {
        let RawGather {
            prompt,
            timeout,
            attempts,
            invalid,
            no_input,
            exhausted,
        } = raw;
        let prompt = match prompt {
            Some(p) => self.prompt(p),
            None => {
                self.err(
                    Kind::Field,
                    at,
                    "needs a `prompt` (what the caller hears while choosing)",
                );
                Prompt::default()
            }
        };
        if let Some(t) = timeout
            && t.value == 0
        {
            self.err(
                Kind::BadValue,
                t.referenced,
                "`timeout` must be at least 1 second",
            );
        }
        let n = attempts.map(|a| a.value).unwrap_or(DEFAULT_ATTEMPTS);
        if let Some(a) = attempts
            && !(1..=MAX_ATTEMPTS).contains(&a.value)
        {
            self.err(
                Kind::BadValue,
                a.referenced,
                format!("`attempts` must be 1 to {MAX_ATTEMPTS}"),
            );
        }
        let default_invalid = Prompt {
            parts: vec![self.text_part(default_invalid_text, at, None, None, None)],
        };
        let default_no_input = Prompt {
            parts: vec![self.text_part("Sorry, I did not hear anything.", at, None, None, None)],
        };
        GatherSettings {
            prompt,
            timeout: timeout.map(|t| t.value.max(1)).unwrap_or(DEFAULT_TIMEOUT),
            attempts: n.clamp(1, MAX_ATTEMPTS),
            invalid: invalid.map(|p| self.prompt(p)).unwrap_or(default_invalid),
            no_input: no_input.map(|p| self.prompt(p)).unwrap_or(default_no_input),
            exhausted: self.target_opt(exhausted).unwrap_or(Target::Hangup),
            num_digits: None,
            finish_on_key: None,
            input: "dtmf",
            language: self.language.clone(),
            hints: None,
            speech_model: None,
            speech_timeout: None,
        }
    }

    fn menu(&mut self, m: &RawMenu, at: Location) -> Menu {
        let raw = RawGather {
            prompt: m.prompt.as_ref(),
            timeout: m.timeout.as_ref(),
            attempts: m.attempts.as_ref(),
            invalid: m.invalid.as_ref(),
            no_input: m.no_input.as_ref(),
            exhausted: m.exhausted.as_ref(),
        };
        let mut g = self.gather(raw, at, "Sorry, that is not a valid choice.");
        if m.options.0.is_empty() && m.speech.0.is_empty() {
            self.err(
                Kind::Field,
                at,
                "a menu needs `options` (digits) or `speech` (keywords)",
            );
        }
        let mut options = Vec::new();
        for (k, v) in &m.options.0 {
            if k.value.is_empty()
                || !k
                    .value
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
            {
                self.err(
                    Kind::BadValue,
                    k.referenced,
                    format!(
                        "option `{}` cannot be typed on a keypad (use 0-9, * and #)",
                        k.value
                    ),
                );
            }
            options.push((k.value.clone(), self.target(v)));
        }
        let mut speech = Vec::new();
        for (k, v) in &m.speech.0 {
            let n = normalize_speech(&k.value);
            if n.is_empty() {
                self.err(
                    Kind::BadValue,
                    k.referenced,
                    "a speech keyword needs at least one letter or digit",
                );
            }
            speech.push((n, self.target(v)));
        }
        let lens: HashSet<usize> = options.iter().map(|(k, _)| k.chars().count()).collect();
        let finish = m.finish_on_key.as_ref().map(|f| {
            if f.value.chars().count() > 1 {
                self.err(
                    Kind::BadValue,
                    f.referenced,
                    "`finish_on_key` is one key (0-9, * or #) or empty",
                );
            } else {
                self.check_dtmf(f, false);
            }
            f.value.clone()
        });
        // Every key the same length: answer as soon as that many are typed. `#` ends input by
        // default, so a menu with a `#` option turns the finish key off.
        let num_digits =
            m.digits.as_ref().map(|d| d.value).or_else(|| {
                (lens.len() == 1).then(|| lens.iter().copied().next().unwrap_or(1) as u32)
            });
        let finish = finish.or_else(|| {
            options
                .iter()
                .any(|(k, _)| k.contains('#'))
                .then(String::new)
        });
        for (k, _) in &m.options.0 {
            if let Some(nd) = num_digits
                && k.value.chars().count() > nd as usize
            {
                let loc = self.loc(k.referenced);
                self.diags.push(Diagnostic::warning(
                    Kind::UntypableOption,
                    loc,
                    format!(
                        "option `{}` can never be chosen: input stops after {nd} digit(s)",
                        k.value
                    ),
                ));
            }
            let fk = finish.as_deref().unwrap_or("#");
            if !fk.is_empty() && k.value.contains(fk) {
                let loc = self.loc(k.referenced);
                self.diags.push(Diagnostic::warning(
                    Kind::UntypableOption,
                    loc,
                    format!(
                        "option `{}` can never be chosen: `{fk}` ends the input",
                        k.value
                    ),
                ));
            }
        }
        if let Some(d) = &m.digits
            && d.value == 0
        {
            self.err(Kind::BadValue, d.referenced, "`digits` must be at least 1");
        }
        g.num_digits = num_digits;
        g.finish_on_key = finish;
        if !speech.is_empty() {
            g.input = "dtmf speech";
            g.hints = Some(
                m.hints
                    .as_ref()
                    .map(|h| h.value.clone())
                    .unwrap_or_else(|| {
                        m.speech
                            .0
                            .iter()
                            .map(|(k, _)| k.value.clone())
                            .collect::<Vec<_>>()
                            .join(", ")
                    }),
            );
        }
        if let Some(l) = &m.language {
            g.language = Some(l.value.clone());
        }
        g.speech_model = m.speech_model.as_ref().map(|v| v.value.clone());
        g.speech_timeout = m.speech_timeout.as_ref().map(|v| v.value.clone());
        let exhausted = g.exhausted;
        Menu {
            gather: g,
            options,
            speech,
            exhausted,
        }
    }

    fn ask(&mut self, a: &RawAsk, at: Location, outer_next: Option<&S<String>>) -> Ask {
        let raw = RawGather {
            prompt: a.prompt.as_ref(),
            timeout: a.timeout.as_ref(),
            attempts: a.attempts.as_ref(),
            invalid: a.invalid.as_ref(),
            no_input: a.no_input.as_ref(),
            exhausted: a.exhausted.as_ref(),
        };
        let mut g = self.gather(raw, at, "Sorry, that is not valid.");
        let next = self.inner_next(a.next.as_ref(), outer_next);
        let save_as = match &a.save_as {
            Some(n) => {
                if !is_ident(&n.value) {
                    self.err(
                        Kind::BadName,
                        n.referenced,
                        format!("`{}` is not a valid variable name", n.value),
                    );
                }
                n.value.clone()
            }
            None => {
                self.err(
                    Kind::Field,
                    at,
                    "`ask` needs `save_as` (the variable that gets the answer)",
                );
                String::new()
            }
        };
        let pattern = a
            .pattern
            .as_ref()
            .and_then(|p| self.regex(&p.value, p.referenced));
        g.input = match a.input.as_ref().map(|i| i.value.as_str()) {
            None | Some("dtmf") => "dtmf",
            Some("speech") => "speech",
            Some("both") | Some("dtmf speech") => "dtmf speech",
            Some(other) => {
                if let Some(i) = &a.input {
                    self.err(
                        Kind::BadValue,
                        i.referenced,
                        format!("`input` is dtmf, speech or both, not `{other}`"),
                    );
                }
                "dtmf"
            }
        };
        if let Some(d) = &a.digits
            && d.value == 0
        {
            self.err(Kind::BadValue, d.referenced, "`digits` must be at least 1");
        }
        g.num_digits = a.digits.as_ref().map(|d| d.value);
        g.finish_on_key = Some(match &a.finish_on_key {
            Some(f) => {
                if f.value.chars().count() > 1 {
                    self.err(
                        Kind::BadValue,
                        f.referenced,
                        "`finish_on_key` is one key (0-9, * or #) or empty",
                    );
                } else {
                    self.check_dtmf(f, false);
                }
                f.value.clone()
            }
            None => "#".into(),
        });
        if let Some(l) = &a.language {
            g.language = Some(l.value.clone());
        }
        g.hints = a.hints.as_ref().map(|v| v.value.clone());
        g.speech_model = a.speech_model.as_ref().map(|v| v.value.clone());
        g.speech_timeout = a.speech_timeout.as_ref().map(|v| v.value.clone());
        let exhausted = g.exhausted;
        Ask {
            gather: g,
            pattern,
            save_as,
            next,
            exhausted,
        }
    }

    fn dial(&mut self, d: &RawDial, at: Location, outer_next: Option<&S<String>>) -> Dial {
        let next = self.inner_next(d.next.as_ref(), outer_next);
        let mut to = Vec::new();
        match &d.to {
            None => self.err(
                Kind::Field,
                at,
                "`dial` needs `to` (a number, `sip:` URI or `client:` name, or a list)",
            ),
            Some(list) => {
                if list.value.0.is_empty() {
                    self.err(Kind::Field, list.referenced, "`to` lists nobody to dial");
                }
                if list.value.0.len() > 10 {
                    self.err(
                        Kind::BadValue,
                        list.referenced,
                        "Twilio dials at most 10 targets at once",
                    );
                }
                for t in &list.value.0 {
                    let l = if t.referenced == Location::UNKNOWN {
                        list.referenced
                    } else {
                        t.referenced
                    };
                    let tpl = self.template(&t.value, l);
                    let v = t.value.as_str();
                    // A target that is just a constant (`{{vars.sales_line}}`) is checked now.
                    if let [crate::template::Piece::Var(name)] = tpl.pieces()
                        && !self.runtime_vars.contains(name)
                        && let Some(value) = self.consts.get(name)
                        && !(is_e164(value) || is_sip(value) || is_client(value))
                    {
                        let value = value.clone();
                        self.err(
                            Kind::BadNumber,
                            l,
                            format!("`{v}` is `{value}`, which is not an E.164 number, a `sip:` URI or a `client:` name"),
                        );
                    }
                    let target = if !tpl.is_literal() || v.contains("{{") {
                        DialTarget::Dynamic(tpl)
                    } else if is_e164(v) {
                        DialTarget::Number(tpl)
                    } else if is_sip(v) {
                        DialTarget::Sip(tpl)
                    } else if let Some(id) = v.strip_prefix("client:") {
                        if !is_client(v) {
                            self.err(
                                Kind::BadNumber,
                                l,
                                format!("`{v}` is not a valid client identity"),
                            );
                        }
                        DialTarget::Client(Template::literal(id))
                    } else {
                        self.err(Kind::BadNumber, l, format!("`{v}` is not an E.164 number (`+14155550111`), a `sip:` URI or a `client:` name"));
                        DialTarget::Number(tpl)
                    };
                    to.push(target);
                }
            }
        }
        let sequential = match d.strategy.as_ref().map(|s| s.value.as_str()) {
            None | Some("simultaneous") => false,
            Some("sequential") => true,
            Some(other) => {
                if let Some(s) = &d.strategy {
                    self.err(
                        Kind::BadValue,
                        s.referenced,
                        format!("`strategy` is simultaneous or sequential, not `{other}`"),
                    );
                }
                false
            }
        };
        let record = d.record.as_ref().and_then(|r| {
            let v = r.value.0.as_str();
            match v {
                "true" => Some("record-from-answer".to_string()),
                "false" => None,
                "record-from-answer" | "record-from-ringing" | "record-from-answer-dual" | "record-from-ringing-dual" | "do-not-record" => Some(v.to_string()),
                _ => {
                    self.err(Kind::BadValue, r.referenced, format!("`record` is true, false, or a Twilio mode such as record-from-answer-dual, not `{v}`"));
                    None
                }
            }
        });
        if let Some(t) = &d.timeout
            && !(5..=600).contains(&t.value)
        {
            self.err(
                Kind::BadValue,
                t.referenced,
                "`timeout` must be 5 to 600 seconds",
            );
        }
        if let Some(sd) = &d.send_digits {
            self.check_dtmf(sd, true);
        }
        let fail = self.target_opt(d.on_fail.as_ref());
        let outcome = |c: &mut Self, t: Option<&S<String>>| {
            c.target_opt(t).or(fail).unwrap_or(Target::Hangup)
        };
        let on_busy = outcome(self, d.on_busy.as_ref());
        let on_no_answer = outcome(self, d.on_no_answer.as_ref());
        let on_failed = outcome(self, d.on_failed.as_ref());
        Dial {
            to,
            sequential,
            timeout: d.timeout.as_ref().map(|v| v.value),
            time_limit: d.time_limit.as_ref().map(|v| v.value),
            caller_id: d
                .caller_id
                .as_ref()
                .map(|c| self.template(&c.value, c.referenced)),
            record,
            answer_on_bridge: d.answer_on_bridge.as_ref().map(|v| v.value),
            hangup_on_star: d.hangup_on_star.as_ref().map(|v| v.value),
            ring_tone: d.ring_tone.as_ref().map(|v| v.value.clone()),
            send_digits: d.send_digits.as_ref().map(|v| v.value.clone()),
            next,
            on_busy,
            on_no_answer,
            on_failed,
        }
    }
}

/// The fields menus and asks share, borrowed from either.
struct RawGather<'r> {
    prompt: Option<&'r S<RawPrompt>>,
    timeout: Option<&'r S<u32>>,
    attempts: Option<&'r S<u32>>,
    invalid: Option<&'r S<RawPrompt>>,
    no_input: Option<&'r S<RawPrompt>>,
    exhausted: Option<&'r S<String>>,
}

/// Every operator a test may use.
pub const OPERATORS: &[&str] = &[
    "eq",
    "ne",
    "in",
    "not_in",
    "starts_with",
    "ends_with",
    "contains",
    "matches",
    "lt",
    "le",
    "gt",
    "ge",
    "exists",
    "empty",
];

/// Lower case, punctuation dropped, runs of spaces folded: "Sales, please." → "sales please".
pub fn normalize_speech(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(c.to_lowercase());
        } else if c.is_whitespace() {
            space = true;
        }
        // Other characters (punctuation) vanish without splitting words: "o'clock" → "oclock".
    }
    out
}

/// A short text form of a condition, for traces and graphs.
pub fn cond_label(c: &RawCond) -> String {
    let parts: Vec<String> =
        c.0.iter()
            .map(|(k, p)| match p {
                RawCondPart::All(v) => format!(
                    "all({})",
                    v.iter()
                        .map(|c| cond_label(&c.value))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                RawCondPart::Any(v) => format!(
                    "any({})",
                    v.iter()
                        .map(|c| cond_label(&c.value))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                RawCondPart::Not(c) => format!("not({})", cond_label(&c.value)),
                RawCondPart::Open(n) => format!("open {}", n.value),
                RawCondPart::Closed(n) => format!("closed {}", n.value),
                RawCondPart::Test(t) => match &t.value {
                    RawTest::Eq(v) => format!("{} = {v}", k.value),
                    RawTest::In(l) => format!(
                        "{} in [{}]",
                        k.value,
                        l.iter()
                            .map(|s| s.value.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    RawTest::Ops(ops) => ops
                        .iter()
                        .map(|(o, a)| match &a.value {
                            RawOperand::Scalar(s) => format!("{} {} {s}", k.value, o.value),
                            RawOperand::List(l) => format!(
                                "{} {} [{}]",
                                k.value,
                                o.value,
                                l.iter()
                                    .map(|s| s.value.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        })
                        .collect::<Vec<_>>()
                        .join(" and "),
                },
            })
            .collect();
    parts.join(" and ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_patterns() {
        assert_eq!(
            parse_number_pattern("+14155550100"),
            Ok(NumberPattern::Exact("+14155550100"))
        );
        assert_eq!(
            parse_number_pattern("+1415*"),
            Ok(NumberPattern::Prefix("+1415"))
        );
        assert_eq!(
            parse_number_pattern("sip:desk@pbx.example.com"),
            Ok(NumberPattern::Exact("sip:desk@pbx.example.com"))
        );
        assert_eq!(
            parse_number_pattern("client:alice"),
            Ok(NumberPattern::Exact("client:alice"))
        );
        assert!(parse_number_pattern("4155550100").is_err());
        assert!(parse_number_pattern("+0155").is_err());
        assert!(parse_number_pattern("+1415a*").is_err());
        assert!(parse_number_pattern("sip:").is_err());
        assert!(parse_number_pattern("+1234567890123456").is_err());
    }

    #[test]
    fn speech_normalization() {
        assert_eq!(normalize_speech("Sales, please."), "sales please");
        assert_eq!(normalize_speech("  YES!  "), "yes");
        assert_eq!(normalize_speech("Café   au lait"), "café au lait");
    }
}
