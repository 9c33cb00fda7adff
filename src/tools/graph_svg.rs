//! A flow's [`Graph`] drawn as SVG, for the operator console: no layout engine and no script,
//! just a small layered drawing.
//!
//! Layers come from a breadth-first walk from the nodes nothing points to (the incoming
//! call, the `on error` entry), so a step sits one row below the first step that reaches
//! it; nodes the walk never reaches go in a last row. One pass orders each row by the mean
//! position of its parents (fewer crossings). Edges going down are straight; edges along a
//! row bow under it; edges going back up (loops: a menu that repeats) curve to the right.
//! Every text passes through the TwiML writer's XML escaping; colours and fonts are
//! attributes and classes (the console's stylesheet), never a `style` attribute, so a
//! strict Content-Security-Policy allows the drawing inline.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;

use super::graph::{Graph, Shape};

/// Height of a row, node included.
const ROW: f64 = 90.0;
/// Height of a node's box.
const NODE_H: f64 = 46.0;
/// Horizontal gap between nodes of a row.
const GAP: f64 = 28.0;
/// Width of one character of node text (a monospace-ish estimate at 12 px).
const CHAR_W: f64 = 7.0;
/// Margin around the drawing (room for the loop curves on the right).
const MARGIN: f64 = 40.0;

/// Escapes text for SVG content and attribute values: the TwiML writer's XML escaping (the
/// crate's one), which also drops the characters XML 1.0 forbids.
fn escape(s: &str) -> String {
    crate::twiml::escaped(s, true)
}

/// Where each node goes.
struct Placed {
    /// Row of each node (index as in `Graph::nodes`).
    row: Vec<usize>,
    /// Centre x of each node.
    x: Vec<f64>,
    /// Width of each node.
    w: Vec<f64>,
    /// Width of the drawing.
    width: f64,
    /// Number of rows.
    rows: usize,
}

fn node_width(g: &Graph, i: usize) -> f64 {
    let n = &g.nodes[i];
    let chars = n
        .title
        .chars()
        .count()
        .max(n.detail.as_deref().map_or(0, |d| d.chars().count()));
    (chars as f64 * CHAR_W + 28.0).max(90.0)
}

/// Node id → position in `g.nodes`.
fn index_of(g: &Graph) -> HashMap<&str, usize> {
    g.nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect()
}

fn place(g: &Graph) -> Placed {
    let index = index_of(g);
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); g.nodes.len()];
    let mut has_parent = vec![false; g.nodes.len()];
    for e in &g.edges {
        if let (Some(&a), Some(&b)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) {
            children[a].push(b);
            if a != b {
                has_parent[b] = true;
            }
        }
    }
    let mut row: Vec<Option<usize>> = vec![None; g.nodes.len()];
    let mut queue: VecDeque<usize> = VecDeque::new();
    for (i, p) in has_parent.iter().enumerate() {
        if !p {
            row[i] = Some(0);
            queue.push_back(i);
        }
    }
    while let Some(a) = queue.pop_front() {
        let next = row[a].unwrap_or(0) + 1;
        for &b in &children[a] {
            if row[b].is_none() {
                row[b] = Some(next);
                queue.push_back(b);
            }
        }
    }
    let last = row.iter().flatten().max().map_or(0, |m| m + 1);
    let row: Vec<usize> = row.into_iter().map(|r| r.unwrap_or(last)).collect();
    let rows = row.iter().max().map_or(1, |m| m + 1);
    let w: Vec<f64> = (0..g.nodes.len()).map(|i| node_width(g, i)).collect();

    // Order within rows: first appearance, then by the mean position of parents above.
    let mut order: Vec<Vec<usize>> = vec![Vec::new(); rows];
    for (i, &r) in row.iter().enumerate() {
        order[r].push(i);
    }
    let mut pos = vec![0.0f64; g.nodes.len()];
    for (r, this_row) in order.iter_mut().enumerate() {
        if r > 0 {
            let key = |i: usize| {
                let parents: Vec<f64> = (0..g.nodes.len())
                    .filter(|&p| row[p] < r && children[p].contains(&i))
                    .map(|p| pos[p])
                    .collect();
                if parents.is_empty() {
                    f64::MAX
                } else {
                    parents.iter().sum::<f64>() / parents.len() as f64
                }
            };
            let mut keyed: Vec<(f64, usize)> = this_row.iter().map(|&i| (key(i), i)).collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            *this_row = keyed.into_iter().map(|(_, i)| i).collect();
        }
        for (k, &i) in this_row.iter().enumerate() {
            pos[i] = k as f64;
        }
    }
    let row_width = |r: &Vec<usize>| r.iter().map(|&i| w[i]).sum::<f64>() + GAP * r.len() as f64;
    let widest = order.iter().map(row_width).fold(0.0, f64::max);
    let mut x = vec![0.0f64; g.nodes.len()];
    for r in &order {
        let mut left = MARGIN + (widest - row_width(r)) / 2.0;
        for &i in r {
            x[i] = left + w[i] / 2.0;
            left += w[i] + GAP;
        }
    }
    Placed {
        row,
        x,
        w,
        width: widest + 2.0 * MARGIN + 60.0,
        rows,
    }
}

fn top(row: usize) -> f64 {
    MARGIN + row as f64 * ROW
}

/// The outline of one node, centred at `cx`, top at `y`, `w` wide.
fn outline(shape: Shape, cx: f64, y: f64, w: f64) -> String {
    let (l, r, b, m) = (cx - w / 2.0, cx + w / 2.0, y + NODE_H, y + NODE_H / 2.0);
    match shape {
        Shape::Decision => format!(
            "<polygon points=\"{cx},{y} {r},{m} {cx},{b} {l},{m}\" class=\"n-decision\"/>",
            l = l - 12.0,
            r = r + 12.0
        ),
        Shape::Input => format!(
            "<polygon points=\"{a},{y} {c},{y} {r},{m} {c},{b} {a},{b} {l},{m}\" class=\"n-input\"/>",
            a = l + 10.0,
            c = r - 10.0
        ),
        Shape::Start | Shape::End => format!(
            "<rect x=\"{l}\" y=\"{y}\" width=\"{w}\" height=\"{NODE_H}\" rx=\"23\" class=\"n-{}\"/>",
            if shape == Shape::Start {
                "start"
            } else {
                "end"
            }
        ),
        Shape::Connect => format!(
            "<rect x=\"{l}\" y=\"{y}\" width=\"{w}\" height=\"{NODE_H}\" class=\"n-connect\"/>\
             <line x1=\"{a}\" y1=\"{y}\" x2=\"{a}\" y2=\"{b}\" class=\"n-connect\"/>\
             <line x1=\"{c}\" y1=\"{y}\" x2=\"{c}\" y2=\"{b}\" class=\"n-connect\"/>",
            a = l + 6.0,
            c = r - 6.0
        ),
        Shape::Store => format!(
            "<rect x=\"{l}\" y=\"{y}\" width=\"{w}\" height=\"{NODE_H}\" rx=\"10\" class=\"n-store\"/>"
        ),
        Shape::Exit => format!(
            "<rect x=\"{l}\" y=\"{y}\" width=\"{w}\" height=\"{NODE_H}\" rx=\"4\" class=\"n-exit\"/>"
        ),
        Shape::Step => format!(
            "<rect x=\"{l}\" y=\"{y}\" width=\"{w}\" height=\"{NODE_H}\" rx=\"6\" class=\"n-step\"/>"
        ),
    }
}

/// The graph as an SVG element, sized to fit, with a title for screen readers.
pub fn svg(g: &Graph) -> String {
    let p = place(g);
    let height = top(p.rows) + MARGIN / 2.0;
    let mut out = String::new();
    let name = escape(&g.name);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"diagram\" role=\"img\" \
         aria-labelledby=\"diagram-title\" viewBox=\"0 0 {w:.0} {height:.0}\" \
         width=\"{w:.0}\" height=\"{height:.0}\">\
         <title id=\"diagram-title\">Diagram of flow {name}: {n} nodes</title>\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
         markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">\
         <path d=\"M0,0 L10,5 L0,10 z\" class=\"arrowhead\"/></marker></defs>",
        w = p.width,
        n = g.nodes.len()
    );
    let index = index_of(g);
    for (k, e) in g.edges.iter().enumerate() {
        let (Some(&a), Some(&b)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) else {
            continue;
        };
        edge(&mut out, &p, a, b, &e.labels.join(" / "), e.dashed, k);
    }
    for (i, n) in g.nodes.iter().enumerate() {
        let y = top(p.row[i]);
        let cx = p.x[i];
        let _ = write!(
            out,
            "<g class=\"node\" data-node=\"{id}\"><title>{t}</title>{shape}",
            id = escape(&n.id),
            t = escape(&format!(
                "{}{}",
                n.title,
                n.detail
                    .as_deref()
                    .map(|d| format!(" — {d}"))
                    .unwrap_or_default()
            )),
            shape = outline(n.shape, cx, y, p.w[i])
        );
        match &n.detail {
            Some(d) => {
                let _ = write!(
                    out,
                    "<text x=\"{cx}\" y=\"{a}\" class=\"n-title\">{t}</text>\
                     <text x=\"{cx}\" y=\"{b}\" class=\"n-detail\">{d}</text>",
                    a = y + 19.0,
                    b = y + 35.0,
                    t = escape(&n.title),
                    d = escape(d)
                );
            }
            None => {
                let _ = write!(
                    out,
                    "<text x=\"{cx}\" y=\"{a}\" class=\"n-title\">{t}</text>",
                    a = y + 28.0,
                    t = escape(&n.title)
                );
            }
        }
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}

/// One edge: straight down; along a row, a bow under it; back up (a loop), a curve on the
/// right.
fn edge(out: &mut String, p: &Placed, a: usize, b: usize, label: &str, dashed: bool, k: usize) {
    let class = if dashed { "edge dashed" } else { "edge" };
    let (ax, bx) = (p.x[a], p.x[b]);
    let (ra, rb) = (p.row[a], p.row[b]);
    let (path, lx, ly) = if rb > ra {
        let (y1, y2) = (top(ra) + NODE_H, top(rb));
        (
            format!("M{ax:.1},{y1:.1} L{bx:.1},{y2:.1}"),
            (ax + bx) / 2.0 + 4.0,
            (y1 + y2) / 2.0 + 4.0,
        )
    } else if ra == rb && a != b {
        // Under the row, between the two nodes' bottoms; each such edge a little deeper.
        let y = top(ra) + NODE_H;
        let depth = y + 18.0 + (k % 3) as f64 * 6.0;
        (
            format!("M{ax:.1},{y:.1} C{ax:.1},{depth:.1} {bx:.1},{depth:.1} {bx:.1},{y:.1}"),
            (ax + bx) / 2.0,
            depth + 2.0,
        )
    } else {
        // Up (a loop back) or to itself: leave from the right side, bow out, come back into
        // the target's right side; each such edge bows a little further out.
        let (y1, y2) = (top(ra) + NODE_H / 2.0, top(rb) + NODE_H / 2.0);
        let (x1, x2) = (ax + p.w[a] / 2.0, bx + p.w[b] / 2.0);
        let out_x = x1.max(x2) + 30.0 + (k % 4) as f64 * 8.0;
        (
            format!("M{x1:.1},{y1:.1} C{out_x:.1},{y1:.1} {out_x:.1},{y2:.1} {x2:.1},{y2:.1}"),
            out_x - 4.0,
            (y1 + y2) / 2.0,
        )
    };
    let _ = write!(
        out,
        "<path d=\"{path}\" class=\"{class}\" marker-end=\"url(#arrow)\"/>"
    );
    if !label.is_empty() {
        let _ = write!(
            out,
            "<text x=\"{lx:.1}\" y=\"{ly:.1}\" class=\"e-label\">{}</text>",
            escape(label)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::graph::build;

    fn graph(text: &str) -> Graph {
        let set = crate::flow::load_texts(vec![("acme.yaml".into(), text.into())])
            .into_servable()
            .unwrap_or_else(|l| panic!("{}", l.render_diagnostics()));
        let (fid, _) = set.flow("acme").unwrap();
        build(&set, fid)
    }

    const MENU: &str = "numbers: [\"+14155550100\"]\nstart: menu\nsteps:\n  menu:\n    menu:\n      prompt: \"Press <1> & 'so'\"\n      options:\n        \"1\": sales\n        \"2\": menu\n  sales:\n    dial:\n      to: \"+14155550111\"\n";

    #[test]
    fn every_node_and_edge_is_drawn_and_escaped() {
        let g = graph(MENU);
        let svg = svg(&g);
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<g class=\"node\"").count(), g.nodes.len());
        assert_eq!(svg.matches("class=\"edge").count(), g.edges.len());
        for step in ["menu", "sales", "incoming call"] {
            assert!(svg.contains(&format!(">{step}</text>")), "{step}: {svg}");
        }
        // The prompt's markup characters arrive as text, not markup.
        assert!(svg.contains("&lt;1&gt; &amp; 'so'"), "{svg}");
        assert!(!svg.contains("style="), "no inline style: CSP");
        // The menu's option back to itself is a curve.
        assert!(svg.contains(" C"), "{svg}");
    }

    #[test]
    fn rows_follow_the_walk() {
        let g = graph(MENU);
        let p = place(&g);
        let at = |id: &str| p.row[g.nodes.iter().position(|n| n.id == id).unwrap()];
        assert_eq!((at("incoming"), at("s0"), at("s1")), (0, 1, 2));
        assert_eq!(at("hangup"), 2, "the menu's exhausted way out");
        assert!(p.width > 0.0 && p.rows == 3, "{} rows", p.rows);
    }
}
