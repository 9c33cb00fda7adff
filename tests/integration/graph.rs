//! `switchboard graph`: goldens for a flow with every step kind (Mermaid and DOT), and
//! structural checks on the demo flow and every example. `BLESS=1 cargo test graph` rewrites
//! the goldens in `tests/data/graph/`; read the diff.

use std::collections::HashSet;
use std::path::Path;

use crate::harness::binary::Switchboard;
use crate::harness::{data, golden, root, shipped_flow_dirs};

/// Runs `switchboard graph ARGS` in the repository root.
fn graph(args: &[&str]) -> (i32, String, String) {
    Switchboard::new("graph").args(args).run().parts()
}

#[test]
fn every_step_kind_in_mermaid_and_dot() {
    for (format, file) in [("mermaid", "main.mmd"), ("dot", "main.dot")] {
        let (code, out, err) = graph(&[
            "main",
            "--flows",
            "tests/data/graph/flows",
            "--format",
            format,
        ]);
        assert_eq!(code, 0, "{err}");
        golden::assert(&data(&format!("graph/{file}")), &out);
    }
}

/// Node ids declared by a Mermaid flowchart, and the ids its edges use.
fn mermaid_ids(text: &str) -> (HashSet<String>, Vec<String>) {
    let mut declared = HashSet::new();
    let mut used = Vec::new();
    for line in text.lines().skip(1) {
        let line = line.trim();
        if let Some((from, rest)) = line
            .split_once(" --> ")
            .or_else(|| line.split_once(" -.-> "))
        {
            used.push(from.to_string());
            let to = rest.rsplit(' ').next().unwrap_or(rest);
            used.push(to.to_string());
        } else {
            let id: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert!(!id.is_empty(), "odd line {line:?}");
            declared.insert(id);
        }
    }
    (declared, used)
}

/// Every flow of every example and the demo: the diagram is well-formed (each edge joins
/// declared nodes; every step is a node; labels are quoted).
#[test]
fn every_shipped_flow_draws() {
    // `shipped_flow_dirs` fails unless `examples/` holds at least `MIN_EXAMPLES`.
    let sets = shipped_flow_dirs();
    let mut drawn = 0;
    for dir in sets {
        let loaded = switchboard::flow::load_dir(&dir).expect("loads");
        let loaded =
            (loaded.into_servable()).unwrap_or_else(|l| panic!("{}", l.render_diagnostics()));
        for (fid, flow) in loaded.iter() {
            let g = switchboard::tools::graph::build(&loaded, fid);
            let text = switchboard::tools::graph::mermaid(&g);
            assert!(text.starts_with("flowchart TD\n"));
            let (declared, used) = mermaid_ids(&text);
            for id in &used {
                assert!(
                    declared.contains(id),
                    "{}/{}: edge to undeclared {id}\n{text}",
                    dir.display(),
                    flow.name
                );
            }
            assert!(declared.len() > flow.steps.len(), "{text}");
            // Mermaid keywords cannot be node ids (`call` once broke every chart).
            for kw in [
                "call",
                "end",
                "click",
                "style",
                "class",
                "classDef",
                "linkStyle",
                "subgraph",
                "graph",
                "flowchart",
                "direction",
                "default",
                "href",
            ] {
                assert!(
                    !declared.contains(kw),
                    "node id `{kw}` is a Mermaid keyword"
                );
            }
            for line in text.lines().skip(1) {
                // A quote inside a label would end it early.
                assert_eq!(line.matches('"').count() % 2, 0, "{line}");
            }
            let dot = switchboard::tools::graph::dot(&g);
            assert!(
                dot.starts_with(&format!("digraph \"{}\" {{\n", flow.name)),
                "{dot}"
            );
            assert!(dot.ends_with("}\n"));
            drawn += 1;
        }
    }
    assert!(drawn >= 10, "drew {drawn} flows");
}

#[test]
fn the_demo_flow_by_name_or_path() {
    let (code, by_name, _) = graph(&["acme"]);
    assert_eq!(code, 0);
    let (code, by_path, _) = graph(&["flows/acme.yaml"]);
    assert_eq!(code, 0);
    assert_eq!(by_name, by_path);
    for want in [
        "    s0{\"entry<br/>route\"}",
        "    s3{{\"menu<br/>menu: #quot;Thanks for calling Acme.#quot;\"}}",
        "    s11[(\"voicemail<br/>record\")]",
        "    s0 -->|\"open office\"| s3",
        "    s3 -->|\"1 / #quot;sales#quot;\"| s4",
        "    s2 -->|\"busy / no-answer / failed\"| s3",
        "    onerror -.-> s9",
    ] {
        assert!(by_name.contains(want), "missing {want:?}:\n{by_name}");
    }
}

/// The picture in the docs is the demo flow's current diagram.
#[test]
fn the_docs_show_the_current_demo_diagram() {
    let (_, mermaid, _) = graph(&["acme"]);
    let docs = std::fs::read_to_string(root().join("docs/tools.md")).expect("docs/tools.md");
    assert!(
        docs.contains(&format!("```mermaid\n{mermaid}```")),
        "docs/tools.md's mermaid block is stale: paste `switchboard graph acme` into it"
    );
    let (_, dot, _) = graph(&["acme", "--format", "dot"]);
    let committed = std::fs::read_to_string(root().join("docs/acme.dot")).expect("docs/acme.dot");
    assert_eq!(
        dot, committed,
        "docs/acme.dot is stale: switchboard graph acme --format dot > docs/acme.dot, then dot -Tsvg docs/acme.dot > docs/acme.svg"
    );
    assert!(Path::new(&root().join("docs/acme.svg")).exists());
}

#[test]
fn unknown_flows_and_broken_sets_are_errors() {
    let (code, _, err) = graph(&["nope"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("there is no flow `nope` in flows; flows: acme"),
        "{err}"
    );
    let (code, _, _) = graph(&["acme", "--flows", "tests/data/check/missing-target"]);
    assert_eq!(code, 1);
}

#[test]
fn help_has_an_example() {
    let (code, out, _) = graph(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("Examples:\n  switchboard graph acme"), "{out}");
}
