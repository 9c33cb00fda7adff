//! The set-wide checks at scale, and against the oracle of how they used to answer.

use std::path::PathBuf;
use std::sync::Arc;

use super::reference;
use crate::diag::{Diagnostic, Kind};
use crate::flow::compile::{self, FlowMeta, ParsedFlow};
use crate::flow::{FlowSet, load_texts, parse_yaml};

/// Compiles flow texts (no shared files) into a set and its source positions.
fn compiled(texts: &[(&str, String)]) -> (FlowSet, Vec<FlowMeta>) {
    let flows = texts
        .iter()
        .map(|(name, text)| ParsedFlow {
            name: (*name).to_string(),
            file: Arc::from(PathBuf::from(format!("{name}.yaml")).as_path()),
            text: Arc::from(text.as_str()),
            raw: parse_yaml(text).expect("generated flows parse"),
            broken: false,
        })
        .collect();
    let mut diags = Vec::new();
    let out = compile::compile(flows, Vec::new(), &mut diags);
    assert!(
        diags
            .iter()
            .all(|d| d.severity == crate::diag::Severity::Warning),
        "{diags:?}"
    );
    out
}

/// A small deterministic generator (xorshift), so the cases are the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// A random flow: `n` steps of every kind that matters to the loop checks, whose targets
/// are steps of this flow, of `other`, `other`'s start, or `hangup`.
fn random_flow(rng: &mut Rng, n: usize, other: &str, other_n: usize, numbered: bool) -> String {
    let target = |rng: &mut Rng| match rng.below(10) {
        0 => "hangup".to_string(),
        1 => format!("\"@{other}\""),
        2 | 3 => format!("\"@{other}.s{}\"", rng.below(other_n)),
        _ => format!("s{}", rng.below(n)),
    };
    let mut out = String::new();
    if numbered {
        out.push_str("numbers: [\"+14155550100\"]\n");
    }
    out.push_str("start: s0\nsteps:\n");
    for i in 0..n {
        let step = match rng.below(6) {
            0 => format!(
                "    menu:\n      prompt: \"Press 1.\"\n      options: {{ \"1\": {} }}\n      exhausted: {}\n",
                target(rng),
                target(rng)
            ),
            1 => format!(
                "    ask:\n      prompt: \"Your number?\"\n      save_as: n\n      next: {}\n      exhausted: {}\n",
                target(rng),
                target(rng)
            ),
            2 => format!(
                "    route:\n      - if: {{ From: \"+12025550143\" }}\n        goto: {}\n      - if: {{ From: \"+12025550144\" }}\n        goto: {}\n      - goto: {}\n",
                target(rng),
                target(rng),
                target(rng)
            ),
            3 => format!(
                "    dial:\n      to: \"+14155550111\"\n      next: {}\n      on_busy: {}\n",
                target(rng),
                target(rng)
            ),
            _ => format!("    say: \"Hello.\"\n    next: {}\n", target(rng)),
        };
        out.push_str(&format!("  s{i}:\n{step}"));
    }
    out
}

fn of_kinds(diags: &[Diagnostic], kinds: &[Kind]) -> Vec<Diagnostic> {
    diags
        .iter()
        .filter(|d| kinds.contains(&d.kind))
        .cloned()
        .collect()
}

/// Loops short enough to print whole get exactly the diagnostics, in the same order, that
/// the old searches gave, on random sets of two flows that point into each other.
#[test]
fn loop_diagnostics_are_those_of_the_old_searches() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut cases = 0;
    let mut with_loops = 0;
    for _ in 0..400 {
        let (na, nb) = (1 + rng.below(9), 1 + rng.below(9));
        let a = random_flow(&mut rng, na, "b", nb, true);
        let b = random_flow(&mut rng, nb, "a", na, false);
        let (set, metas) = compiled(&[("a", a), ("b", b)]);
        let mut new = Vec::new();
        super::check(&set, &metas, &mut new);
        let new = of_kinds(&new, &[Kind::Cycle, Kind::MenuLoop]);
        let mut old = Vec::new();
        reference::cycles(&set, &metas, &mut old);
        reference::menu_loops(&set, &metas, &mut old);
        assert_eq!(new, old);
        cases += 1;
        with_loops += usize::from(!old.is_empty());
    }
    assert_eq!(cases, 400);
    // The generator must actually make loops, or the comparison says little.
    assert!(with_loops > 100, "only {with_loops} sets had loops");
}

/// `n` menus, `m0` … `m{n-1}` of flow `name`, each exhausted into the next; the last one's
/// `exhausted` is `last`.
fn menu_chain(name: &str, n: usize, numbered: bool, last: &str) -> (PathBuf, String) {
    let mut out = String::new();
    if numbered {
        out.push_str("numbers: [\"+14155550100\"]\n");
    }
    out.push_str("start: m0\nsteps:\n");
    for i in 0..n {
        let next = if i + 1 == n {
            last.to_string()
        } else {
            format!("m{}", i + 1)
        };
        out.push_str(&format!(
            "  m{i}:\n    menu:\n      prompt: \"Press 1.\"\n      options: {{ \"1\": hangup }}\n      exhausted: {next}\n"
        ));
    }
    (PathBuf::from(format!("{name}.yaml")), out)
}

/// Defect 3 of issue 10: an `exhausted` chain of 16,000 menus across two files took the
/// check 198 s (cubic). It is now linear: the chain is checked at once and has no loop.
/// A chain closed into a loop across two files reports every menu of it, with the way
/// round shortened (2,000 menus: long enough to be shortened, short enough that loading
/// it in a debug build stays quick). Seconds go to BENCHMARKS.md, "flow-check scale".
#[test]
fn a_chain_of_16000_menus_across_two_files() {
    const HALF: usize = 8_000;
    let chain = load_texts(vec![
        menu_chain("a", HALF, true, "\"@b.m0\""),
        menu_chain("b", HALF, false, "hangup"),
    ]);
    assert_eq!(chain.step_count(), 2 * HALF);
    assert_eq!(chain.errors(), 0, "{:?}", chain.diagnostics.first());
    assert_eq!(chain.warnings(), 0, "{:?}", chain.diagnostics.first());

    const RING: usize = 1_000;
    let ring = load_texts(vec![
        menu_chain("a", RING, true, "\"@b.m0\""),
        menu_chain("b", RING, false, "\"@a\""),
    ]);
    let loops = of_kinds(&ring.diagnostics, &[Kind::MenuLoop]);
    assert_eq!(loops.len(), 2 * RING);
    assert_eq!(ring.errors(), 2 * RING);
    // The first menu of the loop is walked in full, then printed by its ends.
    assert_eq!(
        loops[0].message,
        "a caller who never answers goes round forever: m0 → m1 → m2 → m3 → m4 → m5 → m6 → m7 \
         → … 1985 more … → @b.m993 → @b.m994 → @b.m995 → @b.m996 → @b.m997 → @b.m998 \
         → @b.m999 → m0"
    );
    assert_eq!(loops[0].loc.line, 4);
    // Every other one from the trees: its way to the first menu, then on round.
    let b10 = loops
        .iter()
        .find(|d| d.loc.file.ends_with("b.yaml") && d.loc.line == 3 + 5 * 10)
        .expect("b's m10 is reported");
    assert_eq!(
        b10.message,
        "a caller who never answers goes round forever: m10 → m11 → m12 → m13 → m14 → m15 → \
         m16 → m17 → … 1985 more … → m3 → m4 → m5 → m6 → m7 → m8 → m9 → m10"
    );
}

/// A loop of steps that never wait, longer than a message can usefully name, is reported
/// once with its ends; the same loop short is printed whole.
#[test]
fn long_loops_that_never_wait_are_printed_by_their_ends() {
    let says = |n: usize| {
        let mut out = String::from("numbers: [\"+14155550100\"]\nstart: s0\nsteps:\n");
        for i in 0..n {
            out.push_str(&format!(
                "  s{i}:\n    say: \"Hello.\"\n    next: s{}\n",
                (i + 1) % n
            ));
        }
        out
    };
    let long = load_texts(vec![(PathBuf::from("a.yaml"), says(1_000))]);
    let cycles = of_kinds(&long.diagnostics, &[Kind::Cycle]);
    assert_eq!(cycles.len(), 1);
    assert_eq!(
        cycles[0].message,
        "steps loop without ever waiting for the caller: s0 → s1 → s2 → s3 → s4 → s5 → s6 → \
         s7 → … 985 more … → s993 → s994 → s995 → s996 → s997 → s998 → s999 → s0"
    );
    let short = load_texts(vec![(PathBuf::from("a.yaml"), says(3))]);
    let cycles = of_kinds(&short.diagnostics, &[Kind::Cycle]);
    assert_eq!(cycles.len(), 1);
    assert_eq!(
        cycles[0].message,
        "steps loop without ever waiting for the caller: s0 → s1 → s2 → s0"
    );
}

/// Issue 10, defect 7: an `ask` in one flow saves under the name of a shared constant that
/// another flow dials. The save is refused; saved under its own name and dialed from the
/// other flow, the caller's answer is caller input reaching a dial target, allowed only
/// with `allow_caller_input: true`.
#[test]
fn caller_input_cannot_become_a_dial_target_in_another_flow() {
    let texts = |save_as: &str, dialed: &str, opt_in: &str| {
        vec![
            (
                PathBuf::from("_shared.yaml"),
                "vars:\n  operator: \"+14155550199\"\n".to_string(),
            ),
            (
                PathBuf::from("acme.yaml"),
                format!(
                    "numbers: [\"+14155550100\"]\nstart: collect\nsteps:\n  collect:\n    ask:\n      prompt: \"Extension?\"\n      save_as: {save_as}\n      next: \"@desk.op\"\n"
                ),
            ),
            (
                PathBuf::from("desk.yaml"),
                format!(
                    "start: op\nsteps:\n  op:\n{opt_in}    dial:\n      to: \"{{{{vars.{dialed}}}}}\"\n"
                ),
            ),
        ]
    };
    let kinds = |l: &crate::flow::Loaded| -> Vec<(Kind, String)> {
        l.diagnostics
            .iter()
            .map(|d| (d.kind, d.loc.file.display().to_string()))
            .collect()
    };
    // As in the issue: the caller's answer would have replaced the constant.
    let issue = load_texts(texts("operator", "operator", ""));
    assert_eq!(
        kinds(&issue),
        [(Kind::AssignsConstant, "acme.yaml".to_string())]
    );
    // Its own name, dialed by the other flow: caller input reaches the dial.
    let tainted = load_texts(texts("wanted", "wanted", ""));
    assert_eq!(
        kinds(&tainted),
        [(Kind::CallerInput, "desk.yaml".to_string())]
    );
    assert!(
        tainted.diagnostics[0]
            .message
            .contains("`wanted` is what the caller answers at `@acme.collect`"),
        "{}",
        tainted.diagnostics[0].message
    );
    // Said on purpose.
    let allowed = load_texts(texts("wanted", "wanted", "    allow_caller_input: true\n"));
    assert_eq!(kinds(&allowed), []);
    // The constant, dialed while the caller's answer has its own name: nothing to report.
    let clean = load_texts(texts("wanted", "operator", ""));
    assert_eq!(kinds(&clean), []);
}
