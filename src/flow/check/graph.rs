//! One graph over every step of the set, for the set-wide checks. Steps are numbered flow by
//! flow (so node order is flow order, then file order); edges are kept in one flat array in
//! the order `Action::targets` gives them, so every search visits them in the same order the
//! diagnostics were always computed in. Everything here is iterative: a chain of 16,000
//! steps across files must not overflow the stack.

use super::super::model::{Action, FlowSet, Target};

/// A step anywhere in the set: flow and step positions ([`crate::flow::FlowId::index`],
/// [`crate::flow::StepId::index`]).
pub(super) type Node = (usize, usize);

/// Loops longer than this many steps are printed shortened (first and last steps, and how
/// many are left out): a message naming 16,000 steps helps nobody, and printing one per
/// menu of such a loop would make the output quadratic in the size of the set.
pub(super) const FULL_PATH: usize = 64;

/// How many steps a shortened path shows at each end.
const ENDS: usize = 8;

/// Where a target leads from flow `from`; `None` for `hangup`.
pub(super) fn resolve(set: &FlowSet, from: usize, t: Target) -> Option<Node> {
    match t {
        Target::Step(s) => Some((from, s.index())),
        Target::Flow(f, s) => Some((f.index(), s.index())),
        Target::FlowStart(f) => set.get(f).map(|fl| (f.index(), fl.start.index())),
        Target::Hangup => None,
    }
}

/// The steps of a set as numbered nodes, with the edges one kind of search follows.
pub(super) struct Graph {
    /// Node → (flow, step).
    nodes: Vec<Node>,
    /// Flow → its first node.
    first: Vec<usize>,
    /// Node `u`'s edges are `edges[start[u]..start[u + 1]]`.
    start: Vec<usize>,
    /// Every edge's head, grouped by tail.
    edges: Vec<usize>,
}

impl Graph {
    /// The graph whose edges out of a step are `follow(action)` (targets to other flows
    /// resolved; `hangup` and targets that point nowhere dropped).
    pub(super) fn build(set: &FlowSet, follow: impl Fn(&Action) -> Vec<Target>) -> Graph {
        let mut first = Vec::with_capacity(set.len());
        let mut nodes = Vec::with_capacity(set.step_count());
        for (f, flow) in set.flows().iter().enumerate() {
            first.push(nodes.len());
            nodes.extend((0..flow.steps.len()).map(|s| (f, s)));
        }
        let mut g = Graph {
            nodes,
            first,
            start: Vec::with_capacity(set.step_count() + 1),
            edges: Vec::new(),
        };
        g.start.push(0);
        for (f, flow) in set.flows().iter().enumerate() {
            for step in &flow.steps {
                for t in follow(&step.action) {
                    if let Some(id) = resolve(set, f, t).and_then(|n| g.id(n)) {
                        g.edges.push(id);
                    }
                }
                g.start.push(g.edges.len());
            }
        }
        g
    }

    /// Number of nodes.
    pub(super) fn len(&self) -> usize {
        self.nodes.len()
    }

    /// The node of a step, if the step exists.
    pub(super) fn id(&self, (f, s): Node) -> Option<usize> {
        let base = *self.first.get(f)?;
        let end = self.first.get(f + 1).copied().unwrap_or(self.nodes.len());
        (base + s < end).then_some(base + s)
    }

    /// The step a node is.
    pub(super) fn node(&self, u: usize) -> Node {
        self.nodes[u]
    }

    /// The edges out of `u`, in order.
    pub(super) fn succ(&self, u: usize) -> &[usize] {
        &self.edges[self.start[u]..self.start[u + 1]]
    }

    /// The reversed graph (same nodes; edges in order of their tails).
    pub(super) fn reversed(&self) -> Graph {
        let n = self.len();
        let mut count = vec![0usize; n + 1];
        for &v in &self.edges {
            count[v + 1] += 1;
        }
        for i in 0..n {
            count[i + 1] += count[i];
        }
        let start = count.clone();
        let mut edges = vec![0usize; self.edges.len()];
        let mut fill = count;
        for u in 0..n {
            for &v in self.succ(u) {
                edges[fill[v]] = u;
                fill[v] += 1;
            }
        }
        Graph {
            nodes: self.nodes.clone(),
            first: self.first.clone(),
            start,
            edges,
        }
    }

    /// Strongly connected components (Tarjan's algorithm, iterative): the component of each
    /// node. Linear in nodes plus edges.
    pub(super) fn components(&self) -> Vec<usize> {
        const NONE: usize = usize::MAX;
        let n = self.len();
        let mut index = vec![NONE; n];
        let mut low = vec![0usize; n];
        let mut on_stack = vec![false; n];
        let mut comp = vec![NONE; n];
        let mut stack: Vec<usize> = Vec::new();
        let mut next_index = 0usize;
        let mut next_comp = 0usize;
        for root in 0..n {
            if index[root] != NONE {
                continue;
            }
            // Call stack of (node, next edge position).
            let mut calls: Vec<(usize, usize)> = vec![(root, self.start[root])];
            index[root] = next_index;
            low[root] = next_index;
            next_index += 1;
            stack.push(root);
            on_stack[root] = true;
            while let Some(&mut (u, ref mut pos)) = calls.last_mut() {
                if *pos < self.start[u + 1] {
                    let v = self.edges[*pos];
                    *pos += 1;
                    if index[v] == NONE {
                        index[v] = next_index;
                        low[v] = next_index;
                        next_index += 1;
                        stack.push(v);
                        on_stack[v] = true;
                        calls.push((v, self.start[v]));
                    } else if on_stack[v] {
                        low[u] = low[u].min(index[v]);
                    }
                    continue;
                }
                calls.pop();
                if let Some(&(parent, _)) = calls.last() {
                    low[parent] = low[parent].min(low[u]);
                }
                if low[u] == index[u] {
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp[w] = next_comp;
                        if w == u {
                            break;
                        }
                    }
                    next_comp += 1;
                }
            }
        }
        comp
    }
}

/// A path for a message: every step, or (for long ones) its two ends and how many steps
/// lie between them.
pub(super) enum Path {
    /// Every step, in order.
    Full(Vec<usize>),
    /// The first and last steps, with `left_out` steps between them not shown.
    Ends {
        /// The first steps.
        head: Vec<usize>,
        /// Steps not shown.
        left_out: usize,
        /// The last steps.
        tail: Vec<usize>,
    },
}

impl Path {
    /// A path given whole, shortened if it is longer than [`FULL_PATH`] steps plus the
    /// return to the first.
    pub(super) fn whole(mut nodes: Vec<usize>) -> Path {
        if nodes.len() <= FULL_PATH + 1 {
            return Path::Full(nodes);
        }
        let tail = nodes.split_off(nodes.len() - ENDS);
        let left_out = nodes.len() - ENDS;
        nodes.truncate(ENDS);
        Path::Ends {
            head: nodes,
            left_out,
            tail,
        }
    }

    /// The steps joined with arrows; steps of flows other than `home` are written
    /// `@flow.step`.
    pub(super) fn render(&self, set: &FlowSet, g: &Graph, home: usize) -> String {
        let name = |u: &usize| {
            let (f, s) = g.node(*u);
            let flow = &set.flows()[f];
            let step = &flow.steps[s].name;
            if f == home {
                step.clone()
            } else {
                format!("@{}.{step}", flow.name)
            }
        };
        let join = |us: &[usize]| us.iter().map(name).collect::<Vec<_>>().join(" → ");
        match self {
            Path::Full(all) => join(all),
            Path::Ends {
                head,
                left_out,
                tail,
            } => format!("{} → … {left_out} more … → {}", join(head), join(tail)),
        }
    }

    /// At most [`ENDS`] steps from each end of a long walk, when the walk is known only as
    /// its length and two iterators over its ends (first steps forward, last steps
    /// backward).
    pub(super) fn ends(
        len: usize,
        head: impl Iterator<Item = usize>,
        tail_backward: impl Iterator<Item = usize>,
    ) -> Path {
        let head: Vec<usize> = head.take(ENDS).collect();
        let mut tail: Vec<usize> = tail_backward.take(ENDS).collect();
        tail.reverse();
        Path::Ends {
            left_out: len.saturating_sub(head.len() + tail.len()),
            head,
            tail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A graph from an edge list (tests only: nodes are steps of one flow).
    fn graph(n: usize, edges: &[(usize, usize)]) -> Graph {
        let mut start = vec![0];
        let mut flat = Vec::new();
        for u in 0..n {
            flat.extend(edges.iter().filter(|e| e.0 == u).map(|e| e.1));
            start.push(flat.len());
        }
        Graph {
            nodes: (0..n).map(|s| (0, s)).collect(),
            first: vec![0],
            start,
            edges: flat,
        }
    }

    #[test]
    fn components_group_loops_and_leave_chains_apart() {
        // 0 → 1 → 2 → 0 is a loop; 3 → 4 a chain; 5 loops on itself.
        let g = graph(6, &[(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (5, 5)]);
        let c = g.components();
        assert_eq!(c[0], c[1]);
        assert_eq!(c[1], c[2]);
        assert_ne!(c[2], c[3]);
        assert_ne!(c[3], c[4]);
        assert_ne!(c[4], c[5]);
        let r = g.reversed();
        assert_eq!(r.succ(0), &[2]);
        assert_eq!(r.succ(3), &[2]);
        assert_eq!(r.succ(5), &[5]);
    }

    #[test]
    fn a_long_chain_does_not_overflow_the_stack() {
        let n = 200_000;
        let edges: Vec<(usize, usize)> = (0..n - 1).map(|i| (i, i + 1)).collect();
        let mut start = vec![0];
        let mut flat = Vec::new();
        for (_, v) in &edges {
            flat.push(*v);
            start.push(flat.len());
        }
        start.push(flat.len());
        let g = Graph {
            nodes: (0..n).map(|s| (0, s)).collect(),
            first: vec![0],
            start,
            edges: flat,
        };
        let c = g.components();
        let distinct: std::collections::HashSet<usize> = c.iter().copied().collect();
        assert_eq!(distinct.len(), n);
    }
}
