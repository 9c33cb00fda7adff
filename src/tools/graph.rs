//! `switchboard graph`: a flow as a diagram, in Mermaid (renders on GitHub as is) or
//! Graphviz DOT.
//!
//! Steps are nodes, shaped by kind (route: rhombus, menu/ask: hexagon, dial: subroutine,
//! record: cylinder, hangup/reject: circle, the rest rounded). Edges come from
//! [`Action::targets`], the same list the checker walks, labelled with the menu key, the
//! keyword, the rule's condition (its short form, as traces print it) or the outcome; edges
//! between the same two nodes are merged into one with the labels joined. Steps of other
//! flows and external URLs are drawn as separate "exit" nodes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::flow::FlowSet;
use crate::flow::model::{Action, DialTarget, FlowId, Prompt, PromptPart, Target};
use crate::template::{Piece, Template};

/// Labels longer than this many characters are cut with `…`.
const MAX_LABEL_CHARS: usize = 40;

/// How a node is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The call arriving (stadium).
    Start,
    /// Route (rhombus).
    Decision,
    /// Menu, ask (hexagon).
    Input,
    /// Dial, enqueue, conference (subroutine: the call leaves for a while).
    Connect,
    /// Record (cylinder: something is stored).
    Store,
    /// Hangup, reject (circle).
    End,
    /// Everything else (rounded box).
    Step,
    /// Another flow or an external URL.
    Exit,
}

/// A node.
#[derive(Debug, Clone)]
pub struct Node {
    /// Identifier, safe in both formats.
    pub id: String,
    /// First line: the step name (or what the node stands for).
    pub title: String,
    /// Second line: kind and a short detail, if any.
    pub detail: Option<String>,
    /// How it is drawn.
    pub shape: Shape,
}

/// An edge.
#[derive(Debug, Clone)]
pub struct Edge {
    /// Source node id.
    pub from: String,
    /// Target node id.
    pub to: String,
    /// Labels of every way from `from` to `to`, in the step's order.
    pub labels: Vec<String>,
    /// Drawn dashed (the `on_error` entry).
    pub dashed: bool,
}

/// A flow as nodes and edges, independent of the output format.
#[derive(Debug, Clone)]
pub struct Graph {
    /// The flow's name.
    pub name: String,
    /// Nodes in order of first appearance.
    pub nodes: Vec<Node>,
    /// Edges in the steps' order.
    pub edges: Vec<Edge>,
}

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A Mermaid `flowchart` (paste into a ```mermaid block).
    Mermaid,
    /// Graphviz DOT (`| dot -Tsvg > flow.svg`).
    Dot,
}

/// Cuts a label to [`MAX_LABEL_CHARS`].
fn short(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > MAX_LABEL_CHARS {
        let cut: String = s.chars().take(MAX_LABEL_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    } else {
        s
    }
}

/// A template as written in the flow (`{{vars.x}}` kept).
fn template_text(t: &Template) -> String {
    t.pieces()
        .iter()
        .map(|p| match p {
            Piece::Lit(s) => s.clone(),
            Piece::Param(n) => format!("{{{{{n}}}}}"),
            Piece::Var(n) => format!("{{{{vars.{n}}}}}"),
        })
        .collect()
}

/// What a prompt starts with: `say: "…"`, `play: URL`, `tones: 1w2` or `pause: 2s`.
fn prompt_detail(p: &Prompt) -> Option<String> {
    p.parts.first().map(|part| match part {
        PromptPart::Say { text, .. } => format!("say: \"{}\"", template_text(text)),
        PromptPart::Play { url, digits, .. } => {
            let u = template_text(url);
            if u.is_empty() {
                format!("tones: {}", digits.as_deref().unwrap_or(""))
            } else {
                format!("play: {u}")
            }
        }
        PromptPart::Pause(n) => format!("pause: {n}s"),
    })
}

/// The second line of a step's node.
fn detail(action: &Action) -> String {
    let kind = action.kind();
    let more = match action {
        // A say step may play or pause: its first part names it better than its kind.
        Action::Prompt { prompt, .. } => {
            return prompt_detail(prompt)
                .map(|d| short(&d))
                .unwrap_or_else(|| kind.to_string());
        }
        Action::Menu(m) => prompt_detail(&m.gather.prompt)
            .map(|d| d.strip_prefix("say: ").map(str::to_string).unwrap_or(d)),
        Action::Set { assigns, .. } => Some(
            assigns
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Action::Ask(a) => Some(format!("vars.{}", a.save_as)),
        Action::Dial(d) => Some(format!(
            "{}{}",
            d.to.iter()
                .map(|t| match t {
                    DialTarget::Number(t) | DialTarget::Sip(t) | DialTarget::Dynamic(t) => {
                        template_text(t)
                    }
                    DialTarget::Client(t) => format!("client:{}", template_text(t)),
                })
                .collect::<Vec<_>>()
                .join(", "),
            if d.sequential { " (in turn)" } else { "" }
        )),
        Action::Enqueue(e) => Some(template_text(&e.queue)),
        Action::Conference(c) => Some(template_text(&c.room)),
        Action::RedirectUrl(u) => Some(template_text(u)),
        Action::Reject(r) => Some(r.clone()),
        _ => None,
    };
    match more {
        Some(m) if !m.is_empty() => short(&format!("{kind}: {m}")),
        _ => kind.to_string(),
    }
}

fn shape(action: &Action) -> Shape {
    match action {
        Action::Route { .. } => Shape::Decision,
        Action::Menu(_) | Action::Ask(_) => Shape::Input,
        Action::Dial(_) | Action::Enqueue(_) | Action::Conference(_) => Shape::Connect,
        Action::Record(_) => Shape::Store,
        Action::Hangup | Action::Reject(_) => Shape::End,
        Action::Goto(_) | Action::RedirectUrl(_) => Shape::Step,
        Action::Prompt { .. } | Action::Set { .. } => Shape::Step,
    }
}

/// Builds the graph of flow `fid`.
pub fn build(set: &FlowSet, fid: FlowId) -> Graph {
    let Some(flow) = set.get(fid) else {
        return Graph {
            name: String::new(),
            nodes: Vec::new(),
            edges: Vec::new(),
        };
    };
    let mut g = Graph {
        name: flow.name.clone(),
        nodes: Vec::new(),
        edges: Vec::new(),
    };
    // Ids are `s<N>` for steps and plain words for the rest, none of them a Mermaid keyword
    // (`call`, `end`, `click`, … would break the chart).
    g.nodes.push(Node {
        id: "incoming".into(),
        title: "incoming call".into(),
        detail: None,
        shape: Shape::Start,
    });
    for (i, step) in flow.steps.iter().enumerate() {
        g.nodes.push(Node {
            id: format!("s{i}"),
            title: step.name.clone(),
            detail: Some(detail(&step.action)),
            shape: shape(&step.action),
        });
    }
    let mut extra: Vec<Node> = Vec::new();
    let node_for = |t: Target, extra: &mut Vec<Node>| -> String {
        let (id, title) = match t {
            Target::Step(s) => return format!("s{s}"),
            Target::Flow(f, s) if f == fid => return format!("s{s}"),
            Target::FlowStart(f) if f == fid => return format!("s{}", flow.start),
            Target::Hangup => ("hangup".to_string(), "hang up".to_string()),
            Target::Flow(f, s) => {
                let fl = set.get(f);
                let step = fl
                    .and_then(|x| x.get(s))
                    .map(|x| x.name.as_str())
                    .unwrap_or("?");
                (
                    format!("x{f}_{s}"),
                    format!("@{}.{step}", fl.map(|x| x.name.as_str()).unwrap_or("?")),
                )
            }
            Target::FlowStart(f) => (
                format!("x{f}"),
                format!("@{}", set.get(f).map(|x| x.name.as_str()).unwrap_or("?")),
            ),
        };
        if !extra.iter().any(|n| n.id == id) {
            extra.push(Node {
                id: id.clone(),
                title,
                detail: None,
                shape: if id == "hangup" {
                    Shape::End
                } else {
                    Shape::Exit
                },
            });
        }
        id
    };
    let mut edges: Vec<Edge> = Vec::new();
    let mut add = |from: String, to: String, label: String, dashed: bool| match edges
        .iter_mut()
        .find(|e| e.from == from && e.to == to && e.dashed == dashed)
    {
        Some(e) => e.labels.push(label),
        None => edges.push(Edge {
            from,
            to,
            labels: vec![label],
            dashed,
        }),
    };
    add(
        "incoming".into(),
        format!("s{}", flow.start),
        String::new(),
        false,
    );
    if let Some(e) = flow.on_error {
        extra.push(Node {
            id: "onerror".into(),
            title: "on error".into(),
            detail: None,
            shape: Shape::Start,
        });
        add("onerror".into(), format!("s{e}"), String::new(), true);
    }
    for (i, step) in flow.steps.iter().enumerate() {
        let from = format!("s{i}");
        let rule_labels: Vec<&str> = match &step.action {
            Action::Route { rules, .. } => rules.iter().map(|r| r.label.as_str()).collect(),
            _ => Vec::new(),
        };
        let mut rule = 0;
        for (label, t) in step.action.targets() {
            // `targets()` names route rules "rule N"; the condition says more.
            let label = if label.starts_with("rule ") && rule < rule_labels.len() {
                rule += 1;
                rule_labels[rule - 1].to_string()
            } else {
                label
            };
            let to = node_for(t, &mut extra);
            add(from.clone(), to, short(&label), false);
        }
        if let Action::RedirectUrl(u) = &step.action {
            let id = format!("u{i}");
            extra.push(Node {
                id: id.clone(),
                title: short(&template_text(u)),
                detail: None,
                shape: Shape::Exit,
            });
            add(from.clone(), id, "redirect".into(), false);
        }
    }
    g.nodes.extend(extra);
    g.edges = edges;
    g
}

/// Escapes text for a quoted Mermaid label (entity codes; `#` first, since the others
/// introduce it).
fn mermaid_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '|' => out.push_str("#124;"),
            '`' => out.push_str("#96;"),
            // Braces would read as shape delimiters (`{{vars.x}}` in a hexagon's label).
            '{' => out.push_str("#123;"),
            '}' => out.push_str("#125;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The graph as a Mermaid flowchart.
pub fn mermaid(g: &Graph) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "flowchart TD");
    for n in &g.nodes {
        let mut label = mermaid_escape(&n.title);
        if let Some(d) = &n.detail {
            let _ = write!(label, "<br/>{}", mermaid_escape(d));
        }
        let (open, close) = match n.shape {
            Shape::Start => ("([", "])"),
            Shape::Decision => ("{", "}"),
            Shape::Input => ("{{", "}}"),
            Shape::Connect => ("[[", "]]"),
            Shape::Store => ("[(", ")]"),
            Shape::End => ("((", "))"),
            Shape::Step => ("(", ")"),
            Shape::Exit => (">", "]"),
        };
        let _ = writeln!(out, "    {}{open}\"{label}\"{close}", n.id);
    }
    for e in &g.edges {
        let arrow = if e.dashed { "-.->" } else { "-->" };
        let label = e
            .labels
            .iter()
            .filter(|l| !l.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(" / ");
        if label.is_empty() {
            let _ = writeln!(out, "    {} {arrow} {}", e.from, e.to);
        } else {
            let _ = writeln!(
                out,
                "    {} {arrow}|\"{}\"| {}",
                e.from,
                mermaid_escape(&label),
                e.to
            );
        }
    }
    out
}

/// Escapes text for a quoted DOT string.
fn dot_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The graph in Graphviz DOT.
pub fn dot(g: &Graph) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", dot_escape(&g.name));
    let _ = writeln!(out, "    rankdir=TB;");
    let _ = writeln!(
        out,
        "    node [fontname=\"Helvetica\", fontsize=11, shape=box, style=rounded];"
    );
    let _ = writeln!(out, "    edge [fontname=\"Helvetica\", fontsize=9];");
    for n in &g.nodes {
        let mut label = dot_escape(&n.title);
        if let Some(d) = &n.detail {
            let _ = write!(label, "\\n{}", dot_escape(d));
        }
        let attrs = match n.shape {
            Shape::Start => "shape=oval, style=filled, fillcolor=\"#e8e8e8\"",
            Shape::Decision => "shape=diamond, style=solid",
            Shape::Input => "shape=hexagon, style=solid",
            Shape::Connect => "shape=box, style=solid, peripheries=2",
            Shape::Store => "shape=cylinder, style=solid",
            Shape::End => "shape=circle, style=solid",
            Shape::Step => "shape=box, style=rounded",
            Shape::Exit => "shape=cds, style=solid",
        };
        let _ = writeln!(out, "    {} [label=\"{label}\", {attrs}];", n.id);
    }
    for e in &g.edges {
        let label = e
            .labels
            .iter()
            .filter(|l| !l.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(" / ");
        let mut attrs = Vec::new();
        if !label.is_empty() {
            attrs.push(format!("label=\"{}\"", dot_escape(&label)));
        }
        if e.dashed {
            attrs.push("style=dashed".to_string());
        }
        if attrs.is_empty() {
            let _ = writeln!(out, "    {} -> {};", e.from, e.to);
        } else {
            let _ = writeln!(out, "    {} -> {} [{}];", e.from, e.to, attrs.join(", "));
        }
    }
    let _ = writeln!(out, "}}");
    out
}

/// The flows directory and flow name `flow` means: a path to a flow file means "that
/// file's directory, that flow"; anything else is a flow name in `flows`.
pub fn locate(flow: &str, flows: &Path) -> (PathBuf, String) {
    let as_path = Path::new(flow);
    if crate::flow::is_flow_file(as_path) && as_path.is_file() {
        let dir = match as_path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let stem = as_path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        (dir, stem)
    } else {
        (flows.to_path_buf(), flow.to_string())
    }
}

/// The graph in `format`.
pub fn render(g: &Graph, format: Format) -> String {
    match format {
        Format::Mermaid => mermaid(g),
        Format::Dot => dot(g),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_for_each_format() {
        assert_eq!(
            mermaid_escape(r#"say "hi" <b> #1 | `x` {{vars.x}}"#),
            "say #quot;hi#quot; #lt;b#gt; #35;1 #124; #96;x#96; #123;#123;vars.x#125;#125;"
        );
        assert_eq!(dot_escape(r#"a "b" \n"#), r#"a \"b\" \\n"#);
    }

    #[test]
    fn long_labels_are_cut() {
        let s = short(&"word ".repeat(20));
        assert_eq!(s.chars().count(), MAX_LABEL_CHARS);
        assert!(s.ends_with('…'));
    }
}
