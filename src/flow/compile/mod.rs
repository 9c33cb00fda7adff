//! Raw YAML model → compiled [`FlowSet`], collecting every problem as a [`Diagnostic`].
//!
//! Compilation never stops at the first problem: a bad value is reported and replaced by a
//! harmless placeholder so the rest of the file is still checked. The resulting set is only
//! served when no error was reported.

//!
//! The work is split by what is compiled: `flow` (a file's settings and
//! steps), `step` (one step's action, matched on the typed [`RawAction`]), `target`,
//! `prompt` (prompts, URLs, templates), `cond` (route conditions), `gather` (menus and
//! asks), `dial`, and `numbers` (the number index).

mod channels;
mod cond;
mod dial;
mod flow;
mod gather;
mod numbers;
mod prompt;
mod regexes;
mod step;
mod target;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use regex::Regex;
use serde_saphyr::Location;

use super::model::*;
use super::raw::*;
use crate::diag::{Diagnostic, Kind, Loc};
use crate::schedule::{Schedule, ScheduleSpec};
use crate::template::is_ident;

pub use cond::{OPERATORS, cond_label, normalize_speech};
pub use numbers::{NumberPattern, is_client, is_e164, is_sip, parse_number_pattern};

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
    /// Notification channels: where each is defined, and the channel (`None` when its
    /// definition has errors: steps may still name it).
    channels: HashMap<String, (Loc, Option<crate::flow::model::Channel>)>,
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
        by_name.insert(pf.name.clone(), FlowId::new(id));
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
            names.insert(k.value.clone(), StepId::new(i));
        }
        step_names.push(names);
    }
    let broken: HashSet<FlowId> = flows
        .iter()
        .enumerate()
        .filter(|(_, f)| f.broken)
        .map(|(i, _)| FlowId::new(i))
        .collect();
    let names = Names {
        flows: &by_name,
        broken: &broken,
        steps: &step_names,
    };

    // Names `set` and `save_as` assign anywhere: call variables travel with `@flow.step`,
    // so a flow may read one another flow assigns (constants cannot share these names:
    // `assigns-constant`).
    let set_wide: HashSet<String> = flows
        .iter()
        .flat_map(|pf| pf.raw.steps.0.iter())
        .flat_map(|(_, step)| {
            let s = &step.value;
            let set = s
                .set
                .iter()
                .flat_map(|m| m.value.0.iter().map(|(k, _)| k.value.clone()));
            let ask = s
                .ask
                .iter()
                .filter_map(|a| a.value.save_as.as_ref().map(|n| n.value.clone()));
            set.chain(ask).collect::<Vec<_>>()
        })
        .collect();

    // Pass 2: each flow.
    let mut regexes = regexes::Regexes::default();
    let mut shared_compiled = HashMap::new();
    let mut out = Vec::new();
    let mut metas = Vec::new();
    for (id, pf) in flows.iter_mut().enumerate() {
        let mut c = FlowCompiler {
            file: pf.file.clone(),
            text: pf.text.clone(),
            flow_id: FlowId::new(id),
            names: &names,
            shared: &shared,
            diags: &mut *diags,
            known_vars: set_wide.clone(),
            regexes: &mut regexes,
            shared_compiled: &mut shared_compiled,
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
        // Only the numbers are read after this (the number index): the rest of this raw
        // model (about 2 KB per step) goes now, so the loader's peak is not every raw model
        // and the whole compiled set at once.
        pf.raw = RawFlow {
            numbers: std::mem::take(&mut pf.raw.numbers),
            default: pf.raw.default.take(),
            ..RawFlow::default()
        };
    }

    let numbers = numbers::index_numbers(&flows, diags);
    let channels = channels::compiled(&shared);
    (FlowSet::new(out, by_name, numbers, channels), metas)
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
        for (k, v) in &ps.raw.channels.0 {
            let loc = Loc::at(&ps.file, k.referenced);
            if let Some((prev, _)) = out.channels.get(&k.value) {
                diags.push(Diagnostic::error(
                    Kind::Duplicate,
                    loc,
                    format!("channel `{}` is already defined at {prev}", k.value),
                ));
                continue;
            }
            let c = channels::channel(&ps.file, k, v, diags);
            out.channels.insert(k.value.clone(), (loc, c));
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
    /// Every regex of the set compiled so far, by its text: each is compiled once and
    /// shared by every flow and step that writes it.
    regexes: &'a mut regexes::Regexes,
    /// Schedules compiled for this flow's zone, by name.
    schedules: HashMap<String, Option<Arc<Schedule>>>,
    /// Shared schedules compiled so far for the whole set, by (name, flow's zone): a
    /// shared schedule is compiled once per zone that uses it and shared by those flows,
    /// not once per flow.
    shared_compiled: &'a mut HashMap<(String, String), Option<Arc<Schedule>>>,
    local_schedules: HashMap<String, ScheduleSpec>,
    tz: jiff::tz::TimeZone,
    voice: Option<String>,
    language: Option<String>,
}

impl FlowCompiler<'_> {
    fn loc(&self, l: Location) -> Loc {
        Loc::at(&self.file, l)
    }

    fn err(&mut self, kind: Kind, l: Location, msg: impl Into<String>) {
        let loc = self.loc(l);
        self.diags.push(Diagnostic::error(kind, loc, msg));
    }
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
    fn a_regex_over_the_size_limit_is_an_error_not_a_huge_compile() {
        // Compiled once, with the limit, even where only its capture names are wanted.
        let yaml = "start: r\nsteps:\n  r:\n    route:\n      - if: { From: { matches: '(?P<x>\\w{5000}){50}' } }\n        goto: hangup\n      - goto: hangup\n";
        let loaded = crate::flow::load_texts(vec![("acme.yaml".into(), yaml.into())]);
        assert!(
            loaded
                .diagnostics
                .iter()
                .any(|d| d.kind == Kind::BadRegex && d.message.contains("size limit")),
            "{}",
            loaded.render_diagnostics()
        );
    }

    #[test]
    fn identical_patterns_across_a_set_share_one_compiled_regex() {
        // Defect 8 (issue 10): each flow compiled its own copy of the same pattern, hundreds
        // of kilobytes apiece, so memory grew with every similar line.
        let flow = |n: usize| {
            let yaml = format!(
                "numbers: [\"+1415555{n:04}\"]\nstart: a\nsteps:\n  a:\n    ask:\n      prompt: Account\n      pattern: '^(?P<region>\\d{{2}})\\d{{4}}$'\n      save_as: account\n"
            );
            (format!("line{n}.yaml").into(), yaml)
        };
        let set = crate::flow::load_texts((0..3).map(flow).collect())
            .into_servable()
            .expect("loads");
        let patterns: Vec<&Arc<Regex>> = set
            .flows()
            .iter()
            .filter_map(|f| match &f.steps[0].action {
                Action::Ask(a) => a.pattern.as_ref(),
                _ => None,
            })
            .collect();
        assert_eq!(patterns.len(), 3);
        assert!(patterns.iter().all(|p| Arc::ptr_eq(p, patterns[0])));
        // `\d` in a flow pattern is ASCII 0-9 (docs/flows.md).
        assert!(patterns[0].is_match("415555"));
        assert!(!patterns[0].is_match("٤١٥٥٥٥"));
    }

    #[test]
    fn a_shared_schedule_is_compiled_once_per_zone_for_the_set() {
        // Defect 8 (issue 10): each flow compiled its own copy of the shared schedule.
        let flow = |n: usize, tz: &str| {
            let yaml = format!(
                "numbers: [\"+1415555{n:04}\"]\ntimezone: {tz}\nstart: r\nsteps:\n  r:\n    route:\n      - if: {{ open: office }}\n        goto: hangup\n      - goto: hangup\n"
            );
            (format!("line{n}.yaml").into(), yaml)
        };
        let shared = "schedules:\n  office:\n    hours:\n      mon-fri: \"09:00-17:00\"\n";
        let mut texts = vec![("_shared.yaml".into(), shared.to_string())];
        texts.extend((0..3).map(|n| flow(n, "America/New_York")));
        texts.push(flow(3, "Europe/Paris"));
        let set = crate::flow::load_texts(texts)
            .into_servable()
            .expect("loads");
        let schedules: Vec<&Arc<Schedule>> = set
            .flows()
            .iter()
            .filter_map(|f| match &f.steps[0].action {
                Action::Route { rules, .. } => match &rules[0].cond {
                    Some(Cond::Schedule { schedule, .. }) => Some(schedule),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        assert_eq!(schedules.len(), 4);
        assert!(Arc::ptr_eq(schedules[0], schedules[1]));
        assert!(Arc::ptr_eq(schedules[0], schedules[2]));
        // Another zone: the same definition, its own compiled copy.
        assert!(!Arc::ptr_eq(schedules[0], schedules[3]));
    }

    #[test]
    fn play_and_pause_steps_are_their_own_kind() {
        let yaml = "start: a\nsteps:\n  a:\n    play: https://x.example/a.mp3\n    next: b\n  b:\n    pause: 1\n    next: c\n  c:\n    say: https://x.example/b.mp3\n";
        let set = crate::flow::load_texts(vec![("acme.yaml".into(), yaml.into())])
            .into_servable()
            .expect("loads");
        let kinds: Vec<&str> = set.flows()[0]
            .steps
            .iter()
            .map(|s| s.action.kind())
            .collect();
        assert_eq!(kinds, ["play", "pause", "say"]);
    }

    #[test]
    fn speech_normalization() {
        assert_eq!(normalize_speech("Sales, please."), "sales please");
        assert_eq!(normalize_speech("  YES!  "), "yes");
        assert_eq!(normalize_speech("Café   au lait"), "café au lait");
    }
}
