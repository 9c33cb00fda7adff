//! Whole-set checks that need every flow compiled: loops that never wait for the caller,
//! menus a silent caller goes round forever, steps nothing reaches, and caller input that
//! reaches a dial target, caller id or URL (`taint`).
//!
//! Each is linear (or near: a hash set of reported loops) in the number of steps and
//! targets of the whole set, since chains cross files and a set has no size limit; see
//! `graph`.

mod graph;
mod loops;
#[cfg(test)]
mod reference;
mod taint;
#[cfg(test)]
mod tests;

use std::collections::HashSet;

use super::compile::FlowMeta;
use super::model::{Action, FlowSet};
use crate::diag::{Diagnostic, Kind};
use graph::{FULL_PATH, Graph, Node, Path, resolve};

/// Runs the set-wide checks.
pub fn check(set: &FlowSet, metas: &[FlowMeta], diags: &mut Vec<Diagnostic>) {
    cycles(set, metas, diags);
    loops::menu_loops(set, metas, diags);
    unreachable(set, metas, diags);
    taint::check(set, metas, diags);
}

/// Finds loops made only of steps that do not wait for the caller (route, set, say, …):
/// at run time they would spin until the step cap. Iterative DFS with three colours; each
/// edge back to a step on the search path closes one loop.
fn cycles(set: &FlowSet, metas: &[FlowMeta], diags: &mut Vec<Diagnostic>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        White,
        Grey,
        Black,
    }
    let g = Graph::build(set, |a| {
        if a.waits() {
            Vec::new()
        } else {
            a.targets().into_iter().map(|(_, t)| t).collect()
        }
    });
    let mut colour = vec![Colour::White; g.len()];
    // Where a grey node sits on the search stack, so a loop is found without a scan.
    let mut depth = vec![0usize; g.len()];
    // Two rules of a route can go to the same step: report a loop once, by its closing edge
    // (a loop is a stretch of the search path, so its edge back names it).
    let mut reported: HashSet<(usize, usize)> = HashSet::new();
    for root in 0..g.len() {
        if colour[root] != Colour::White {
            continue;
        }
        // Stack of (node, next successor index): the search path.
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        colour[root] = Colour::Grey;
        while let Some(&mut (u, ref mut i)) = stack.last_mut() {
            let Some(&next) = g.succ(u).get(*i) else {
                colour[u] = Colour::Black;
                stack.pop();
                continue;
            };
            *i += 1;
            match colour[next] {
                Colour::White => {
                    colour[next] = Colour::Grey;
                    depth[next] = stack.len();
                    stack.push((next, 0));
                }
                Colour::Grey if reported.insert((next, u)) => {
                    let on_loop = &stack[depth[next]..];
                    let len = on_loop.len() + 1;
                    let path = if len <= FULL_PATH + 1 {
                        Path::whole(on_loop.iter().map(|(n, _)| *n).chain([next]).collect())
                    } else {
                        Path::ends(
                            len,
                            on_loop.iter().map(|(n, _)| *n),
                            std::iter::once(next).chain(on_loop.iter().rev().map(|(n, _)| *n)),
                        )
                    };
                    let (nf, ns) = g.node(next);
                    diags.push(
                        Diagnostic::error(
                            Kind::Cycle,
                            metas[nf].step_locs[ns].clone(),
                            format!(
                                "steps loop without ever waiting for the caller: {}",
                                path.render(set, &g, nf)
                            ),
                        )
                        .with_help(
                            "put a menu, ask, dial or record in the loop, or end it with `hangup`",
                        ),
                    );
                }
                _ => {}
            }
        }
    }
}

/// Steps no path reaches from any flow's start or error step.
fn unreachable(set: &FlowSet, metas: &[FlowMeta], diags: &mut Vec<Diagnostic>) {
    let mut seen: Vec<Vec<bool>> = set
        .flows()
        .iter()
        .map(|f| vec![false; f.steps.len()])
        .collect();
    let mut work: Vec<Node> = Vec::new();
    for (f, flow) in set.flows().iter().enumerate() {
        if !flow.steps.is_empty() {
            work.push((f, flow.start.index()));
        }
        if let Some(e) = flow.on_error {
            work.push((f, e.index()));
        }
    }
    while let Some((f, s)) = work.pop() {
        let Some(slot) = seen.get_mut(f).and_then(|v| v.get_mut(s)) else {
            continue;
        };
        if *slot {
            continue;
        }
        *slot = true;
        let action: &Action = &set.flows()[f].steps[s].action;
        work.extend(
            action
                .targets()
                .into_iter()
                .filter_map(|(_, t)| resolve(set, f, t)),
        );
    }
    for (f, flow) in set.flows().iter().enumerate() {
        for (s, step) in flow.steps.iter().enumerate() {
            if !seen[f][s] {
                diags.push(Diagnostic::warning(
                    Kind::Unreachable,
                    metas[f].step_locs[s].clone(),
                    format!("step `{}` is never reached", step.name),
                ));
            }
        }
    }
}
