//! Menus and asks whose `exhausted` path comes back to them.
//!
//! A caller who never presses a key takes only `exhausted` edges and the edges of steps that
//! do not wait, so a loop made of those holds the call forever ("No menu can loop forever").
//! A gather is in such a loop exactly when its strongly connected component in that graph
//! is a loop (more than one step, or a step that goes to itself), so one linear pass
//! (Tarjan) finds them all, however long the chains that lead nowhere.
//!
//! The loop printed for each gather is the one the checker always printed: a search from the
//! gather that stays in its component (a path back to it cannot leave it). That search costs
//! the component's size per gather, so it is used for loops of at most [`FULL_PATH`] steps
//! (bounded work per step, and every message as before); in a longer loop each gather's way
//! round is read off two breadth-first trees of its component, built once, and printed
//! shortened.

use super::graph::{FULL_PATH, Graph, Path};
use super::{FlowMeta, FlowSet};
use crate::diag::{Diagnostic, Kind};
use crate::flow::model::{Action, Target};

/// The edges a silent caller can take out of a step.
fn silent(action: &Action) -> Vec<Target> {
    match action {
        Action::Menu(m) => vec![m.exhausted],
        Action::Ask(a) => vec![a.exhausted],
        a if a.waits() => Vec::new(),
        a => a.targets().into_iter().map(|(_, t)| t).collect(),
    }
}

/// Reports every menu and ask a silent caller goes round forever.
pub(super) fn menu_loops(set: &FlowSet, metas: &[FlowMeta], diags: &mut Vec<Diagnostic>) {
    let g = Graph::build(set, silent);
    let comp = g.components();
    let mut size = vec![0usize; g.len()];
    for &c in &comp {
        size[c] += 1;
    }
    let mut search = Search::new(g.len());
    let mut trees: Option<Trees> = None;
    for u in 0..g.len() {
        let (f, s) = g.node(u);
        if !matches!(
            set.flows()[f].steps[s].action,
            Action::Menu(_) | Action::Ask(_)
        ) {
            continue;
        }
        let c = comp[u];
        let path = if size[c] == 1 {
            if !g.succ(u).contains(&u) {
                continue;
            }
            Path::whole(vec![u, u])
        } else if size[c] <= FULL_PATH {
            Path::whole(search.way_back(&g, &comp, u))
        } else {
            trees
                .get_or_insert_with(|| Trees::new(&g))
                .way_back(&g, &comp, u)
        };
        diags.push(
            Diagnostic::error(
                Kind::MenuLoop,
                metas[f].step_locs[s].clone(),
                format!(
                    "a caller who never answers goes round forever: {}",
                    path.render(set, &g, f)
                ),
            )
            .with_help("send `exhausted` somewhere that ends: voicemail, an operator, or `hangup`"),
        );
    }
}

/// The checker's search for a way back to a gather, with its tables kept between gathers.
struct Search {
    /// `seen[v] == stamp` when `v` was reached in the current search (no clearing between
    /// searches).
    seen: Vec<usize>,
    /// The node `v` was first reached from, in the current search.
    parent: Vec<usize>,
    /// Which search is running (1-based, so the zeroed table means "not seen").
    stamp: usize,
}

impl Search {
    fn new(n: usize) -> Search {
        Search {
            seen: vec![0; n],
            parent: vec![0; n],
            stamp: 0,
        }
    }

    /// The loop from `s` back to `s`: a depth-first search (a stack, each node expanded
    /// once, the path to a node fixed when it is first seen) that stops at the first edge
    /// back to `s`. Nodes outside `s`'s component are skipped: none of them leads back, and
    /// skipping them changes neither the order in which the others are expanded nor the
    /// path found.
    fn way_back(&mut self, g: &Graph, comp: &[usize], s: usize) -> Vec<usize> {
        self.stamp += 1;
        let mut stack = vec![s];
        let mut found = None;
        'search: while let Some(u) = stack.pop() {
            for &v in g.succ(u) {
                if v == s {
                    found = Some(u);
                    break 'search;
                }
                if comp[v] == comp[s] && self.seen[v] != self.stamp {
                    self.seen[v] = self.stamp;
                    self.parent[v] = u;
                    stack.push(v);
                }
            }
        }
        let mut back = Vec::new();
        let mut at = found.unwrap_or(s);
        while at != s {
            back.push(at);
            at = self.parent[at];
        }
        let mut path = vec![s];
        path.extend(back.into_iter().rev());
        path.push(s);
        path
    }
}

/// For each long loop (a component of more than [`FULL_PATH`] steps), breadth-first trees
/// from one root: the shortest way from every step of the component to the root, and from
/// the root to every step. A gather's way round is its way to the root, then the root's way
/// to it. Built lazily, one component at a time; each node belongs to one component, so one
/// set of tables serves them all.
struct Trees {
    /// The reversed graph, for the ways to the root.
    rev: Graph,
    /// Component → its root, once its trees are built.
    root: Vec<Option<usize>>,
    /// Next step on the shortest way to the root.
    to_root: Vec<usize>,
    /// Steps from a node to its root.
    to_depth: Vec<usize>,
    /// Node reached by the search for the ways to the root.
    to_seen: Vec<bool>,
    /// Previous step on the shortest way from the root.
    from_root: Vec<usize>,
    /// Steps from the root to a node.
    from_depth: Vec<usize>,
    /// Node reached by the search for the ways from the root.
    from_seen: Vec<bool>,
}

/// One breadth-first tree: parent and depth of each node, and which nodes it reached.
struct Tree<'a> {
    /// Parent of each node (the root is its own).
    parent: &'a mut [usize],
    /// Edges from the root.
    depth: &'a mut [usize],
    /// Reached.
    seen: &'a mut [bool],
}

impl Tree<'_> {
    /// Breadth-first from `r` over `g`'s edges inside `r`'s component.
    fn grow(&mut self, g: &Graph, comp: &[usize], r: usize) {
        let mut queue = std::collections::VecDeque::from([r]);
        self.seen[r] = true;
        self.parent[r] = r;
        self.depth[r] = 0;
        while let Some(u) = queue.pop_front() {
            for &v in g.succ(u) {
                if comp[v] == comp[r] && !self.seen[v] {
                    self.seen[v] = true;
                    self.parent[v] = u;
                    self.depth[v] = self.depth[u] + 1;
                    queue.push_back(v);
                }
            }
        }
    }
}

impl Trees {
    fn new(g: &Graph) -> Trees {
        let n = g.len();
        Trees {
            rev: g.reversed(),
            root: vec![None; n],
            to_root: vec![0; n],
            to_depth: vec![0; n],
            to_seen: vec![false; n],
            from_root: vec![0; n],
            from_depth: vec![0; n],
            from_seen: vec![false; n],
        }
    }

    /// `s`'s way round, shortened for printing. The first gather of a component becomes its
    /// root; its own way round (the root's way to its nearest predecessor, then back) is
    /// walked once in full.
    fn way_back(&mut self, g: &Graph, comp: &[usize], s: usize) -> Path {
        let r = match self.root[comp[s]] {
            Some(r) => r,
            None => {
                Tree {
                    parent: &mut self.from_root,
                    depth: &mut self.from_depth,
                    seen: &mut self.from_seen,
                }
                .grow(g, comp, s);
                Tree {
                    parent: &mut self.to_root,
                    depth: &mut self.to_depth,
                    seen: &mut self.to_seen,
                }
                .grow(&self.rev, comp, s);
                self.root[comp[s]] = Some(s);
                s
            }
        };
        if s == r {
            // The root's predecessor nearest to it, and the way there.
            let last = self
                .rev
                .succ(r)
                .iter()
                .copied()
                .filter(|&p| comp[p] == comp[r])
                .min_by_key(|&p| self.from_depth[p])
                .unwrap_or(r);
            let mut back = Vec::new();
            let mut at = last;
            while at != r {
                back.push(at);
                at = self.from_root[at];
            }
            back.reverse();
            let mut walk = vec![r];
            walk.extend(back);
            walk.push(r);
            return Path::whole(walk);
        }
        let len = self.to_depth[s] + self.from_depth[s] + 1;
        let to_root = std::iter::successors(Some(s), |&u| (u != r).then(|| self.to_root[u]));
        let from_root = std::iter::successors(Some(s), |&u| (u != r).then(|| self.from_root[u]));
        if len <= FULL_PATH + 1 {
            // Short enough to print whole: the two halves can share steps; cut the detour.
            let mut walk: Vec<usize> = to_root.collect();
            let mut back: Vec<usize> = from_root.collect();
            back.reverse();
            walk.extend(back.into_iter().skip(1));
            return Path::whole(without_detours(walk));
        }
        Path::ends(len, to_root, from_root)
    }
}

/// A closed walk with every detour cut out: when a step comes round again, the steps
/// between its two visits are dropped. The first and last steps (the same gather) stay.
fn without_detours(walk: Vec<usize>) -> Vec<usize> {
    let Some((&last, inner)) = walk.split_last() else {
        return walk;
    };
    let mut out: Vec<usize> = Vec::with_capacity(walk.len());
    for &u in inner {
        if let Some(i) = out.iter().position(|&w| w == u) {
            out.truncate(i);
        }
        out.push(u);
    }
    out.push(last);
    out
}
