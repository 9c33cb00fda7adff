//! `switchboard flow-check`: every checker rule has a bad fixture under `tests/data/check/`
//! and a golden `expected.txt` with the exact output and exit code. Run with
//! `BLESS=1 cargo test checker` to rewrite the goldens after an intended change, then read
//! the diff.

use std::path::Path;
use std::process::Command;

use crate::harness::root;

fn flow_check(args: &[&str]) -> (String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("flow-check")
        .args(args)
        .current_dir(root())
        .output()
        .expect("run switchboard");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (text, out.status.code().unwrap_or(-1))
}

#[test]
fn golden_diagnostics() {
    let dir = root().join("tests/data/check");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/data/check")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 20, "only {} cases", cases.len());
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let rel = format!("tests/data/check/{name}");
        let (text, code) = flow_check(&[&rel]);
        let got = format!("{text}exit code: {code}\n");
        let golden = case.join("expected.txt");
        if bless {
            std::fs::write(&golden, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_default();
        if got != want {
            failures.push(format!("=== {name}: expected\n{want}=== got\n{got}"));
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
    for e in std::fs::read_dir(root().join("tests/data/check"))
        .unwrap()
        .flatten()
    {
        all.push_str(&std::fs::read_to_string(e.path().join("expected.txt")).unwrap_or_default());
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
    let dir = root().join("examples");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("examples/").flatten() {
        if e.path().is_dir() {
            n += 1;
            let rel = format!("examples/{}", e.file_name().to_string_lossy());
            let (text, code) = flow_check(&["--deny-warnings", &rel]);
            assert_eq!(code, 0, "{rel}:\n{text}");
        }
    }
    assert!(n >= 8, "expected at least 8 examples, found {n}");
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
