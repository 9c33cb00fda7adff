//! The set-wide loop checks as they were before they were made linear (quadratic to cubic
//! in a long chain), kept word for word as the oracle the tests compare the new ones with:
//! every diagnostic must stay byte-identical for loops short enough to print whole.

use std::collections::HashSet;

use super::graph::{Node, resolve};
use crate::diag::{Diagnostic, Kind};
use crate::flow::compile::FlowMeta;
use crate::flow::model::{Action, FlowSet};

/// Finds loops made only of steps that do not wait for the caller (route, set, say, …):
/// at run time they would spin until the step cap. Iterative DFS with three colours.
pub(super) fn cycles(set: &FlowSet, metas: &[FlowMeta], diags: &mut Vec<Diagnostic>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        White,
        Grey,
        Black,
    }
    let mut colour: Vec<Vec<Colour>> = set
        .flows()
        .iter()
        .map(|f| vec![Colour::White; f.steps.len()])
        .collect();
    let edges = |(f, s): Node| -> Vec<Node> {
        let Some(step) = set.flows().get(f).and_then(|fl| fl.steps.get(s)) else {
            return Vec::new();
        };
        if step.action.waits() {
            return Vec::new();
        }
        step.action
            .targets()
            .into_iter()
            .filter_map(|(_, t)| resolve(set, f, t))
            .collect()
    };
    let mut reported: HashSet<Vec<Node>> = HashSet::new();
    for f in 0..set.flows().len() {
        for s in 0..set.flows()[f].steps.len() {
            if colour[f][s] != Colour::White {
                continue;
            }
            // Stack of (node, its successors, next successor index); `path` mirrors it.
            let mut stack: Vec<(Node, Vec<Node>, usize)> = vec![((f, s), edges((f, s)), 0)];
            colour[f][s] = Colour::Grey;
            while let Some((node, succ, i)) = stack.last_mut() {
                if *i >= succ.len() {
                    colour[node.0][node.1] = Colour::Black;
                    stack.pop();
                    continue;
                }
                let next = succ[*i];
                *i += 1;
                match colour.get(next.0).and_then(|c| c.get(next.1)).copied() {
                    Some(Colour::White) => {
                        colour[next.0][next.1] = Colour::Grey;
                        stack.push((next, edges(next), 0));
                    }
                    Some(Colour::Grey) => {
                        let start = stack.iter().position(|(n, _, _)| *n == next).unwrap_or(0);
                        let mut cycle: Vec<Node> =
                            stack[start..].iter().map(|(n, _, _)| *n).collect();
                        // Report each loop once, whichever step the search entered it by.
                        let mut key = cycle.clone();
                        key.sort_unstable();
                        if reported.insert(key) {
                            cycle.push(next);
                            let names: Vec<String> = cycle
                                .iter()
                                .map(|(cf, cs)| {
                                    let name = &set.flows()[*cf].steps[*cs].name;
                                    if *cf == next.0 {
                                        name.clone()
                                    } else {
                                        format!("@{}.{name}", set.flows()[*cf].name)
                                    }
                                })
                                .collect();
                            let loc = metas[next.0].step_locs[next.1].clone();
                            diags.push(
                                Diagnostic::error(
                                    Kind::Cycle,
                                    loc,
                                    format!("steps loop without ever waiting for the caller: {}", names.join(" → ")),
                                )
                                .with_help("put a menu, ask, dial or record in the loop, or end it with `hangup`"),
                            );
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Menus and asks whose `exhausted` path comes back to them. A caller who never presses a
/// key takes only `exhausted` edges and the edges of steps that do not wait, so a loop made
/// of those holds the call forever ("No menu can loop forever").
pub(super) fn menu_loops(set: &FlowSet, metas: &[FlowMeta], diags: &mut Vec<Diagnostic>) {
    // The edges a silent caller can take out of a step.
    let silent = |(f, s): Node| -> Vec<Node> {
        let Some(step) = set.flows().get(f).and_then(|fl| fl.steps.get(s)) else {
            return Vec::new();
        };
        let targets = match &step.action {
            Action::Menu(m) => vec![m.exhausted],
            Action::Ask(a) => vec![a.exhausted],
            a if a.waits() => Vec::new(),
            a => a.targets().into_iter().map(|(_, t)| t).collect(),
        };
        targets
            .into_iter()
            .filter_map(|t| resolve(set, f, t))
            .collect()
    };
    for (f, flow) in set.flows().iter().enumerate() {
        for (s, step) in flow.steps.iter().enumerate() {
            if !matches!(step.action, Action::Menu(_) | Action::Ask(_)) {
                continue;
            }
            // Depth-first from the gather, remembering the path to report it.
            let mut seen: HashSet<Node> = HashSet::new();
            let mut stack: Vec<(Node, Vec<Node>)> = vec![((f, s), vec![(f, s)])];
            let mut found: Option<Vec<Node>> = None;
            while let Some((node, path)) = stack.pop() {
                for next in silent(node) {
                    if next == (f, s) {
                        found = Some(path.clone());
                        break;
                    }
                    if seen.insert(next) {
                        let mut p = path.clone();
                        p.push(next);
                        stack.push((next, p));
                    }
                }
                if found.is_some() {
                    break;
                }
            }
            let Some(mut path) = found else { continue };
            path.push((f, s));
            let names: Vec<String> = path
                .iter()
                .map(|(pf, ps)| {
                    let name = &set.flows()[*pf].steps[*ps].name;
                    if *pf == f {
                        name.clone()
                    } else {
                        format!("@{}.{name}", set.flows()[*pf].name)
                    }
                })
                .collect();
            diags.push(
                Diagnostic::error(
                    Kind::MenuLoop,
                    metas[f].step_locs[s].clone(),
                    format!(
                        "a caller who never answers goes round forever: {}",
                        names.join(" → ")
                    ),
                )
                .with_help(
                    "send `exhausted` somewhere that ends: voicemail, an operator, or `hangup`",
                ),
            );
        }
    }
}
