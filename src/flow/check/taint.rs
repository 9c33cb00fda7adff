//! Caller input must not choose whom a call dials, the number it shows, or where its audio
//! and TwiML come from, unless the flow says so (issue 10, defect 7: an `ask` with
//! `save_as: operator`, then a move to a flow whose `dial` uses `{{vars.operator}}`, dialed
//! what the caller typed).
//!
//! Two rules, over the whole set (call variables travel across flows with `@flow.step`):
//!
//! - **Constants stay constant** (`assigns-constant`): no `set`, `save_as` or named group
//!   anywhere may assign a name that is under `vars:` in any flow or shared file. The engine
//!   reads a constant before a call variable of the same name, so a forged action URL cannot
//!   override one either.
//! - **Taint** (`caller-input`): a call variable is caller input when an `ask` saves it
//!   (and its named groups), when a `matches` on caller input captures it, or when a `set`
//!   builds it from caller input; a request parameter is caller input as
//!   [`crate::template::caller_param`] says. A dial target, `caller_id` or URL (`play`,
//!   `wait_url`, `redirect`) that caller input can fill is an error unless its step has
//!   `allow_caller_input: true`.
//!
//! Linear: one pass over the steps for the assignments, a breadth-first spread of taint
//! over "variable read by an assignment" edges, one pass over the sinks.

use std::collections::{HashMap, VecDeque};

use super::{FlowMeta, FlowSet};
use crate::diag::{Diagnostic, Kind};
use crate::flow::model::{Action, Cond, Op, Prompt, PromptPart, Subject};
use crate::template::{Piece, Template, caller_param};

/// Where an assigned value comes from.
enum Source<'a> {
    /// Caller input itself (an ask's answer, or a named group of its pattern).
    Input(String),
    /// Read from these request parameters and variables.
    Reads(Vec<&'a Subject>),
    /// Read from a template.
    Template(&'a Template),
}

/// One assignment: the step it is in, the name, where the value comes from.
struct Assign<'a> {
    /// Flow and step index.
    at: (usize, usize),
    /// The variable assigned.
    name: &'a str,
    /// What it is made from.
    source: Source<'a>,
}

/// Named groups of the `matches` tests in a condition, with the subject each one reads.
fn captures<'a>(c: &'a Cond, out: &mut Vec<(&'a Subject, &'a str)>) {
    match c {
        Cond::All(v) | Cond::Any(v) => v.iter().for_each(|c| captures(c, out)),
        Cond::Not(c) => captures(c, out),
        Cond::Test {
            subject,
            op: Op::Matches(re),
        } => out.extend(re.capture_names().flatten().map(|n| (subject, n))),
        Cond::Test { .. } | Cond::Schedule { .. } => {}
    }
}

/// Every assignment of the set, in flow and step order.
fn assignments(set: &FlowSet) -> Vec<Assign<'_>> {
    let mut out = Vec::new();
    for (f, flow) in set.flows().iter().enumerate() {
        let here = |s: usize| {
            format!(
                "what the caller answers at `@{}.{}`",
                flow.name, flow.steps[s].name
            )
        };
        for (s, step) in flow.steps.iter().enumerate() {
            let at = (f, s);
            match &step.action {
                Action::Set { assigns, .. } => {
                    for (name, t) in assigns {
                        out.push(Assign {
                            at,
                            name,
                            source: Source::Template(t),
                        });
                    }
                }
                Action::Ask(a) => {
                    out.push(Assign {
                        at,
                        name: &a.save_as,
                        source: Source::Input(here(s)),
                    });
                    for g in a.pattern.iter().flat_map(|re| re.capture_names().flatten()) {
                        out.push(Assign {
                            at,
                            name: g,
                            source: Source::Input(here(s)),
                        });
                    }
                }
                Action::Route { rules, .. } => {
                    let mut caps = Vec::new();
                    for r in rules {
                        if let Some(c) = &r.cond {
                            captures(c, &mut caps);
                        }
                    }
                    for (subject, name) in caps {
                        out.push(Assign {
                            at,
                            name,
                            source: Source::Reads(vec![subject]),
                        });
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// Why a piece of a template is caller input, if it is.
/// A constant of the running flow is read before any call variable, so it is never
/// tainted.
fn tainted_piece(
    p: &Piece,
    tainted: &HashMap<&str, String>,
    consts: &HashMap<String, String>,
) -> Option<String> {
    match p {
        Piece::Param(n) => caller_param(n).map(|why| format!("`{{{{{n}}}}}` is {why}")),
        Piece::Var(v) if consts.contains_key(v) => None,
        Piece::Var(v) => tainted.get(v.as_str()).cloned(),
        Piece::Lit(_) => None,
    }
}

/// A template as written.
fn written(t: &Template) -> String {
    t.pieces()
        .iter()
        .map(|p| match p {
            Piece::Lit(s) => s.clone(),
            Piece::Param(n) => format!("{{{{{n}}}}}"),
            Piece::Var(v) => format!("{{{{vars.{v}}}}}"),
        })
        .collect()
}

/// Runs both rules.
pub(super) fn check(set: &FlowSet, metas: &[FlowMeta], diags: &mut Vec<Diagnostic>) {
    let assigns = assignments(set);

    // Constants: every name under `vars:` of a flow (shared ones included), with the first
    // flow that has it.
    let mut consts: HashMap<&str, &str> = HashMap::new();
    for flow in set.flows() {
        for name in flow.consts.keys() {
            consts.entry(name.as_str()).or_insert(flow.name.as_str());
        }
    }
    for a in &assigns {
        if let Some(owner) = consts.get(a.name) {
            let (f, s) = a.at;
            diags.push(
                Diagnostic::error(
                    Kind::AssignsConstant,
                    metas[f].step_locs[s].clone(),
                    format!(
                        "step `{}` assigns `{}`, a constant in flow `{owner}` (its `vars:` or a shared file's): a call variable cannot replace a constant",
                        set.flows()[f].steps[s].name,
                        a.name
                    ),
                )
                .with_help("give the call variable its own name"),
            );
        }
    }

    // Taint: seeds, then along "read by" edges, breadth first (each name once).
    let mut tainted: HashMap<&str, String> = HashMap::new();
    let mut readers: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut queue: VecDeque<&str> = VecDeque::new();
    for (i, a) in assigns.iter().enumerate() {
        let why = match &a.source {
            Source::Input(what) => Some(format!("`{}` is {what}", a.name)),
            Source::Reads(subjects) => subjects.iter().find_map(|s| match s {
                Subject::Param(p) => {
                    caller_param(p).map(|why| format!("`{}` is matched from `{p}`, {why}", a.name))
                }
                Subject::Var(v) => {
                    readers.entry(v.as_str()).or_default().push(i);
                    None
                }
            }),
            Source::Template(t) => t.pieces().iter().find_map(|p| match p {
                Piece::Param(n) => caller_param(n)
                    .map(|why| format!("`{}` is set from `{{{{{n}}}}}`, {why}", a.name)),
                Piece::Var(v) => {
                    readers.entry(v.as_str()).or_default().push(i);
                    None
                }
                Piece::Lit(_) => None,
            }),
        };
        if let Some(why) = why
            && !tainted.contains_key(a.name)
        {
            tainted.insert(a.name, why);
            queue.push_back(a.name);
        }
    }
    while let Some(v) = queue.pop_front() {
        let why = tainted.get(v).cloned().unwrap_or_default();
        for &i in readers.get(v).map(Vec::as_slice).unwrap_or(&[]) {
            let name = assigns[i].name;
            if !tainted.contains_key(name) {
                tainted.insert(name, format!("`{name}` is set from `{v}`; {why}"));
                queue.push_back(name);
            }
        }
    }

    for (f, flow) in set.flows().iter().enumerate() {
        for (s, step) in flow.steps.iter().enumerate() {
            if step.allow_caller_input {
                continue;
            }
            for (what, t) in sinks(&step.action) {
                if what == "caller id" && shows_the_caller(t) {
                    continue;
                }
                // A URL that starts with a parameter or call variable is already refused
                // (`bad-value`): say it once.
                if what.ends_with("URL")
                    && matches!(t.pieces().first(), Some(Piece::Param(_)))
                        | matches!(t.pieces().first(), Some(Piece::Var(v)) if !flow.consts.contains_key(v))
                {
                    continue;
                }
                let Some(why) = t
                    .pieces()
                    .iter()
                    .find_map(|p| tainted_piece(p, &tainted, &flow.consts))
                else {
                    continue;
                };
                diags.push(
                    Diagnostic::error(
                        Kind::CallerInput,
                        metas[f].step_locs[s].clone(),
                        format!(
                            "the {what} `{}` of step `{}` can be filled from caller input: {why}",
                            written(t),
                            step.name
                        ),
                    )
                    .with_help(
                        "use a constant from `vars:` or a literal; if the caller must choose it, check the value with a route first and set `allow_caller_input: true` on the step",
                    ),
                );
                // One diagnostic per step: the first sink says what to fix.
                break;
            }
        }
    }
}

/// A caller id that is only the caller's own number (`{{From}}`, `{{Caller}}`): Twilio shows
/// that number anyway when `callerId` is left out, so it gives the caller nothing new.
fn shows_the_caller(t: &Template) -> bool {
    matches!(t.pieces(), [Piece::Param(p)] if p == "From" || p == "Caller")
}

/// The URLs of a prompt's `play` parts.
fn prompt_urls<'a>(p: &'a Prompt, out: &mut Vec<(&'static str, &'a Template)>) {
    for part in &p.parts {
        if let PromptPart::Play { url, .. } = part {
            out.push(("play URL", url));
        }
    }
}

/// The templates of a step that pick whom to call, what number to show, or a URL to fetch.
fn sinks(action: &Action) -> Vec<(&'static str, &Template)> {
    let mut out = Vec::new();
    match action {
        Action::Dial(d) => {
            for t in &d.to {
                use crate::flow::model::DialTarget as T;
                let (T::Number(t) | T::Sip(t) | T::Client(t) | T::Dynamic(t)) = t;
                out.push(("dial target", t));
            }
            if let Some(c) = &d.caller_id {
                out.push(("caller id", c));
            }
        }
        Action::Prompt { prompt, .. } => prompt_urls(prompt, &mut out),
        Action::Menu(m) => {
            for p in [&m.gather.prompt, &m.gather.invalid, &m.gather.no_input] {
                prompt_urls(p, &mut out);
            }
        }
        Action::Ask(a) => {
            for p in [&a.gather.prompt, &a.gather.invalid, &a.gather.no_input] {
                prompt_urls(p, &mut out);
            }
        }
        Action::Record(r) => prompt_urls(&r.prompt, &mut out),
        Action::Enqueue(e) => out.extend(e.wait_url.iter().map(|u| ("wait URL", u))),
        Action::Conference(c) => out.extend(c.wait_url.iter().map(|u| ("wait URL", u))),
        Action::RedirectUrl(u) => out.push(("redirect URL", u)),
        Action::Route { .. } | Action::Set { .. } | Action::Goto(_) => {}
        Action::Hangup | Action::Reject(_) => {}
    }
    out
}
