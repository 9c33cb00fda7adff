//! `switchboard flow-check`: every checker rule has a bad fixture under `tests/data/check/`
//! and a golden `expected.txt` with the exact output and exit code. Run with
//! `BLESS=1 cargo test checker` to rewrite the goldens after an intended change, then read
//! the diff.

use std::path::Path;

use crate::harness::binary::Switchboard;
use crate::harness::{example_dirs, golden, root, subdirs};

/// The fewest fixture directories `tests/data/check/` holds.
const MIN_CASES: usize = 20;

/// `switchboard flow-check ARGS` in the repository root: standard output then standard
/// error, and the exit code.
fn flow_check(args: &[&str]) -> (String, i32) {
    let out = Switchboard::new("flow-check").args(args).run();
    (out.stdout + &out.stderr, out.code)
}

/// The checker's fixture directories, sorted; at least [`MIN_CASES`].
fn cases() -> Vec<std::path::PathBuf> {
    let cases = subdirs(&root().join("tests/data/check"));
    assert!(
        cases.len() >= MIN_CASES,
        "ran {} fixture dirs under tests/data/check",
        cases.len()
    );
    cases
}

#[test]
fn golden_diagnostics() {
    let cases = cases();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let rel = format!("tests/data/check/{name}");
        let (text, code) = flow_check(&[&rel]);
        let got = format!("{text}exit code: {code}\n");
        if let Err(diff) = golden::check(&case.join("expected.txt"), &got) {
            failures.push(diff);
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every diagnostic kind the checker can report appears in at least one golden file, so no
/// rule goes untested.
#[test]
fn every_kind_has_a_fixture() {
    let mut all = String::new();
    for case in cases() {
        all.push_str(&std::fs::read_to_string(case.join("expected.txt")).unwrap_or_default());
    }
    let missing: Vec<&str> = switchboard::diag::Kind::ALL
        .iter()
        .map(|k| k.code())
        .filter(|c| *c != "io" && !all.contains(&format!("[{c}]")))
        .collect();
    assert!(missing.is_empty(), "no golden fixture shows: {missing:?}");
}

#[test]
fn demo_flows_are_clean() {
    let (text, code) = flow_check(&["--deny-warnings", "flows"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.starts_with("flows: "), "{text}");
    assert!(text.contains(", 0 errors, 0 warnings"), "{text}");
}

#[test]
fn every_example_is_clean() {
    // `example_dirs` fails unless there are at least `MIN_EXAMPLES`.
    for dir in example_dirs() {
        let rel = format!("examples/{}", dir.file_name().unwrap().to_string_lossy());
        let (text, code) = flow_check(&["--deny-warnings", &rel]);
        assert_eq!(code, 0, "{rel}:\n{text}");
    }
}

#[test]
fn exit_codes() {
    assert_eq!(flow_check(&["tests/data/check/cycle"]).1, 1);
    assert_eq!(flow_check(&["tests/data/check/unreachable"]).1, 0);
    assert_eq!(
        flow_check(&["--deny-warnings", "tests/data/check/unreachable"]).1,
        3
    );
    let (text, code) = flow_check(&["tests/data/no-such-dir"]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("cannot read tests/data/no-such-dir"),
        "{text}"
    );
    assert_eq!(flow_check(&["--no-such-flag"]).1, 2);
    let (help, code) = flow_check(&["--help"]);
    assert_eq!(code, 0);
    assert!(help.contains("Exit codes:"), "{help}");
}

#[test]
fn json_output() {
    let (text, code) = flow_check(&["--format", "json", "tests/data/check/missing-target"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let diags = v["diagnostics"].as_array().unwrap();
    assert_eq!(
        v["summary"]["errors"].as_u64().unwrap() as usize,
        diags.len()
    );
    let first = &diags[0];
    assert_eq!(first["kind"], "missing-target");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["file"], "tests/data/check/missing-target/flow.yaml");
    assert!(first["line"].as_u64().unwrap() > 0);
    assert!(first["help"].as_str().unwrap().contains("did you mean"));
}

#[test]
fn checking_files_and_directories_together() {
    // A flow file checked alone does not see the shared file, so its schedule is unknown…
    let (text, code) = flow_check(&["tests/data/check/never-open/flow.yaml"]);
    assert_eq!(code, 0, "{text}");
    // …and two paths are one set: the same number in both is a conflict.
    let (text, code) = flow_check(&[
        "tests/data/check/unreachable",
        "tests/data/check/no-fallthrough",
    ]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("[duplicate-number]") || text.contains("[duplicate]"),
        "{text}"
    );
}

#[test]
fn hostile_input_never_panics() {
    // Deeply nested, huge aliases, binary junk, empty: each is a diagnostic, never a crash.
    let nested = format!("steps: {}{}", "[".repeat(5000), "]".repeat(5000));
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
    for text in [
        nested.as_str(),
        bomb,
        "",
        "\u{0}\u{1}",
        "---\n---\n",
        "steps: !!binary aGVsbG8=",
        "numbers: [[[]]]",
    ] {
        let loaded = switchboard::flow::load_texts(vec![(
            Path::new("x.yaml").to_path_buf(),
            text.to_string(),
        )]);
        assert!(!loaded.is_ok(), "{text:?} was accepted");
        let rendered = loaded.render_diagnostics();
        assert!(rendered.contains("--> x.yaml"), "{rendered}");
    }
}
