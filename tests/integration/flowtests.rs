//! `switchboard test`: the shipped tests of the demo flows and of every example pass, and
//! failures, malformed files, filters and bad paths are reported as documented.

use std::path::Path;

use crate::harness::binary::Switchboard;
use crate::harness::{FlowDir, example_dirs, root};

/// Runs `switchboard test ARGS` in `dir`.
fn test_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    Switchboard::new("test")
        .args(args)
        .current_dir(dir)
        .run()
        .parts()
}

/// The summary line, as `(passed, failed)`.
fn summary(out: &str) -> (usize, usize) {
    let last = out.lines().last().unwrap_or("");
    let (p, f) = last
        .strip_suffix(" failed")
        .and_then(|s| s.split_once(" passed, "))
        .unwrap_or_else(|| panic!("no summary line in:\n{out}"));
    (p.parse().expect("passed"), f.parse().expect("failed"))
}

#[test]
fn the_demo_flows_tests_pass() {
    let (code, out, err) = test_in(&root(), &[]);
    assert_eq!(code, 0, "{out}{err}");
    let (passed, failed) = summary(&out);
    assert!(passed >= 10, "{out}");
    assert_eq!(failed, 0);
    assert!(
        out.lines()
            .all(|l| l.starts_with("PASS ") || l.ends_with(" failed")),
        "{out}"
    );
}

#[test]
fn every_example_ships_with_tests_that_pass() {
    // `example_dirs` fails unless there are at least `MIN_EXAMPLES`.
    for dir in example_dirs() {
        let tests = dir.join("tests");
        let has_tests = std::fs::read_dir(&tests)
            .map(|rd| {
                rd.flatten()
                    .any(|e| switchboard::flow::is_flow_file(&e.path()))
            })
            .unwrap_or(false);
        assert!(has_tests, "{} has no tests/*.yaml", dir.display());
        let (code, out, err) = test_in(&root(), &[&tests.to_string_lossy()]);
        assert_eq!(code, 0, "{}:\n{out}{err}", dir.display());
        assert!(summary(&out).0 > 0, "{out}");
    }
}

const FLOW: &str = "numbers: [\"+14155550100\"]\ntimezone: America/New_York\nstart: entry\nsteps:\n  entry:\n    menu:\n      prompt: \"Sales 1, support 2.\"\n      options: { \"1\": sales, \"2\": support }\n      attempts: 1\n  sales:\n    dial: { to: \"+14155550111\" }\n  support:\n    say: Support is closed.\n";

/// A flows directory with `tests/t.yaml`.
fn fixture(test: &str) -> FlowDir {
    FlowDir::new()
        .file("line.yaml", FLOW)
        .file("tests/t.yaml", test)
}

#[test]
fn a_failing_case_shows_a_diff_and_exits_1() {
    let dir = fixture(
        "tests:\n  - name: one goes to sales\n    call: { to: \"+14155550100\", at: \"2026-11-30T10:00\" }\n    inputs: [\"1\"]\n    expect: { path: [entry, sales] }\n  - name: two goes to sales\n    call: { to: \"+14155550100\", at: \"2026-11-30T10:00\" }\n    inputs: [\"2\"]\n    expect:\n      path: [entry, sales]\n      hears: [\"Sales\"]\n      dials: [\"+14155550111\"]\n",
    );
    let (code, out, _) = test_in(dir.path(), &["tests"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(summary(&out), (1, 1));
    assert!(out.contains("PASS one goes to sales\n"), "{out}");
    assert!(
        out.contains("FAIL two goes to sales  [tests/t.yaml:6:5]"),
        "{out}"
    );
    assert!(
        out.contains("    path differs (- expected, + actual):\n        entry\n      - sales\n      + support\n"),
        "{out}"
    );
    assert!(
        out.contains("dials differ (- expected, + actual):\n      - +14155550111"),
        "{out}"
    );
    assert!(!out.contains("| ── 1."), "no transcript without -v:\n{out}");
    let (_, out, _) = test_in(dir.path(), &["tests", "-v", "--run", "two"]);
    assert!(
        out.contains("    | ── 1. POST /voice  (incoming call)"),
        "{out}"
    );
    assert_eq!(summary(&out), (0, 1));
}

#[test]
fn run_selects_cases_by_regex() {
    let dir = fixture(
        "tests:\n  - name: alpha\n    call: { to: \"+14155550100\", at: \"2026-11-30T10:00\" }\n    inputs: [\"1\"]\n    expect: { ends_at: sales }\n  - name: beta\n    call: { to: \"+14155550100\", at: \"2026-11-30T10:00\" }\n    inputs: [\"2\"]\n    expect: { ends_at: support, hears: [closed] }\n",
    );
    let (code, out, _) = test_in(dir.path(), &["--run", "^b", "tests/t.yaml"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out, "PASS beta\n1 passed, 0 failed\n");
    let (code, _, err) = test_in(dir.path(), &["--run", "(", "tests"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn malformed_files_are_reported_with_their_location() {
    let dir = fixture(
        "tests:\n  - name: typo\n    call: { to: \"+14155550100\", at: \"2026-11-30T10:00\" }\n    expcet: { ends_at: sales }\n",
    );
    let (code, out, _) = test_in(dir.path(), &["tests"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("error[unknown-key]: unknown key `expcet`\n --> tests/t.yaml:4:5"),
        "{out}"
    );
    assert!(out.contains("= help: did you mean `expect`?"), "{out}");
    assert_eq!(summary(&out), (0, 1));

    let dir = fixture(
        "tests:\n  - name: bad values\n    call: { to: \"+14155550100\", at: \"soon\" }\n    dial: [busy, maybe]\n    expect: { ending: gone }\n",
    );
    let (code, out, _) = test_in(dir.path(), &["tests"]);
    assert_eq!(code, 1);
    assert!(out.contains("--> tests/t.yaml:3:37"), "{out}");
    assert!(out.contains("`soon` is not a time"), "{out}");
    assert!(out.contains("--> tests/t.yaml:4:18"), "{out}");
    assert!(out.contains("`maybe` is not a dial outcome"), "{out}");
    assert!(out.contains("`ending` is one of"), "{out}");

    let dir = fixture(
        "tests:\n  - name: no time\n    call: { to: \"+14155550100\" }\n    expect: { ending: hangup }\n",
    );
    let (code, out, _) = test_in(dir.path(), &["tests"]);
    assert_eq!(code, 1);
    assert!(out.contains("missing field `at`"), "{out}");
}

#[test]
fn a_test_file_may_name_its_flows() {
    let dir = FlowDir::new().file("line.yaml", FLOW);
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let test = format!(
        "flows: {}\ntests:\n  - name: named flows\n    call: {{ to: \"+14155550100\", at: \"2026-11-30T10:00\" }}\n    inputs: [\"2\"]\n    expect: {{ ending: hangup, ends_at: support }}\n",
        dir.path().display()
    );
    std::fs::write(elsewhere.path().join("t.yaml"), test).expect("write");
    let (code, out, _) = test_in(elsewhere.path(), &["t.yaml"]);
    assert_eq!(code, 0, "{out}");
    // Without `flows:` and outside a tests/ directory, the file cannot say what it tests.
    std::fs::write(
        elsewhere.path().join("u.yaml"),
        "tests:\n  - name: x\n    call: { to: \"+1\", at: \"2026-11-30T10:00\" }\n    expect: { ending: hangup }\n",
    )
    .expect("write");
    let (code, out, _) = test_in(elsewhere.path(), &["u.yaml"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("cannot tell which flows this file tests"),
        "{out}"
    );
}

#[test]
fn unused_inputs_fail_the_case() {
    let dir = fixture(
        "tests:\n  - name: too many inputs\n    call: { to: \"+14155550100\", at: \"2026-11-30T10:00\" }\n    inputs: [\"1\", \"2\"]\n    expect: { ends_at: sales }\n",
    );
    let (code, out, _) = test_in(dir.path(), &["tests"]);
    assert_eq!(code, 1);
    assert!(out.contains("1 input(s) never asked for: \"2\""), "{out}");
}

#[test]
fn flows_with_errors_fail_their_tests() {
    let dir = FlowDir::new()
        .file("line.yaml", "start: nowhere\nsteps: {}\n")
        .file(
            "tests/t.yaml",
            "tests:\n  - name: x\n    call: { to: \"+1\", at: \"2026-11-30T10:00\" }\n    expect: { ending: hangup }\n",
        );
    let (code, out, _) = test_in(dir.path(), &["tests"]);
    assert_eq!(code, 1);
    assert!(out.contains("error[missing-target]"), "{out}");
    assert!(out.contains("cannot be loaded"), "{out}");
}

#[test]
fn unreadable_paths_are_usage_errors() {
    let (code, _, err) = test_in(&root(), &["no/such/tests"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read no/such/tests"), "{err}");
    let empty = tempfile::tempdir().expect("tempdir");
    let (code, _, err) = test_in(empty.path(), &[]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn help_has_an_example() {
    let (code, out, _) = test_in(&root(), &["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("Examples:\n  switchboard test "), "{out}");
}
