//! `switchboard schema`: the committed schemas in `schemas/` are what the binary prints
//! (`BLESS=1 cargo test schema` rewrites them), every shipped flow and test file validates
//! against them, and files the loader rejects for unknown keys or wrong shapes are rejected
//! by the schema too.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::binary::Switchboard;
use crate::harness::{data, golden, root, shipped_flow_dirs};

/// Runs `switchboard schema ARGS`: the exit code and standard output.
fn schema_cmd(args: &[&str]) -> (i32, String) {
    let out = Switchboard::new("schema").args(args).run();
    (out.code, out.stdout)
}

/// YAML read the way the loader reads it (only `true`/`false` are booleans, leading zeros
/// stay text), as JSON.
fn yaml(text: &str) -> Value {
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options.leading_zero_numbers_as_strings = true;
    serde_saphyr::from_str_with_options(text, options).expect("YAML reads as JSON")
}

fn validator(kind: &str) -> jsonschema::Validator {
    let (code, text) = schema_cmd(&[kind]);
    assert_eq!(code, 0);
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::draft7::new(&schema).expect("the schema is a valid draft-07 schema")
}

/// The schema's complaints about `text`, one line each.
fn errors(v: &jsonschema::Validator, text: &str) -> Vec<String> {
    let doc = yaml(text);
    v.iter_errors(&doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    switchboard::flow::list_dir(dir).unwrap_or_default()
}

#[test]
fn committed_schemas_are_current() {
    for (kind, file) in [
        ("flow", "flow.schema.json"),
        ("test", "flow-test.schema.json"),
    ] {
        let (code, text) = schema_cmd(&[kind]);
        assert_eq!(code, 0);
        if let Err(diff) = golden::check(&root().join("schemas").join(file), &text) {
            panic!("schemas/{file} is stale: switchboard schema {kind} > schemas/{file}\n{diff}");
        }
    }
    let (_, default) = schema_cmd(&[]);
    assert_eq!(default, schema_cmd(&["flow"]).1);
}

#[test]
fn every_shipped_flow_and_test_file_validates() {
    let flows = validator("flow");
    let tests = validator("test");
    let (mut flow_files, mut test_files) = (0, 0);
    // `shipped_flow_dirs` fails unless `examples/` holds at least `MIN_EXAMPLES`.
    for dir in shipped_flow_dirs() {
        for f in yaml_files(&dir) {
            let text = std::fs::read_to_string(&f).expect("read");
            let errs = errors(&flows, &text);
            assert!(errs.is_empty(), "{}:\n{}", f.display(), errs.join("\n"));
            flow_files += 1;
        }
        for f in yaml_files(&dir.join("tests")) {
            let text = std::fs::read_to_string(&f).expect("read");
            let errs = errors(&tests, &text);
            assert!(errs.is_empty(), "{}:\n{}", f.display(), errs.join("\n"));
            test_files += 1;
        }
    }
    let mut graph_files = 0;
    for f in yaml_files(&data("graph/flows")) {
        let errs = errors(&flows, &std::fs::read_to_string(&f).expect("read"));
        assert!(errs.is_empty(), "{}:\n{}", f.display(), errs.join("\n"));
        graph_files += 1;
    }
    assert!(flow_files >= 13, "validated {flow_files} flow files");
    assert!(test_files >= 9, "validated {test_files} test files");
    assert!(
        graph_files >= 2,
        "validated {graph_files} graph fixture files"
    );
}

#[test]
fn unknown_keys_and_wrong_shapes_are_rejected() {
    let flows = validator("flow");
    let ok = "numbers: [\"+14155550100\"]\nstart: a\nsteps:\n  a:\n    say: Hi\n";
    assert!(errors(&flows, ok).is_empty(), "{:?}", errors(&flows, ok));
    for (bad, why) in [
        (
            "numbers: []\nstart: a\nsteps:\n  a:\n    say: Hi\n    nxt: b\n",
            "unknown step key",
        ),
        ("numbrs: []\n", "unknown flow key"),
        (
            "start: a\nsteps:\n  a:\n    say: Hi\n    hangup: true\n",
            "two actions",
        ),
        ("start: a\nsteps:\n  a:\n    next: b\n", "no action"),
        (
            "start: a\nsteps:\n  a:\n    menu: { prompt: Hi, options: { \"1\": a }, optons: {} }\n",
            "unknown menu key",
        ),
        (
            "start: a\nsteps:\n  a:\n    route:\n      - if: { Form: x }\n        goto: a\n",
            "unknown parameter",
        ),
        (
            "start: a\nsteps:\n  a:\n    route:\n      - if: { From: { equal: x } }\n        goto: a\n",
            "unknown operator",
        ),
        (
            "start: a\nsteps:\n  a:\n    dial: { to: \"+1\", timeout: 2 }\n",
            "dial timeout out of range",
        ),
        (
            "start: a\nsteps:\n  a:\n    reject: now\n",
            "bad reject reason",
        ),
        ("steps:\n  a:\n    say: Hi\n", "steps without start"),
        (
            "schedules:\n  office:\n    hours: { mon: \"09:00-17:00\" }\n    force: maybe\n",
            "bad force",
        ),
    ] {
        assert!(!errors(&flows, bad).is_empty(), "accepted ({why}):\n{bad}");
    }
    let tests = validator("test");
    let good = "tests:\n  - name: x\n    call: { to: \"+1\", at: \"2026-11-30T10:00\" }\n    inputs: [1, \"\", sales]\n    dial: busy\n    expect: { path: [a] }\n";
    assert!(
        errors(&tests, good).is_empty(),
        "{:?}",
        errors(&tests, good)
    );
    for bad in [
        "tests:\n  - name: x\n    call: { to: \"+1\", at: \"2026-11-30T10:00\" }\n    expct: {}\n",
        "tests:\n  - name: x\n    call: { to: \"+1\" }\n    expect: { path: [a] }\n",
        "tests:\n  - name: x\n    call: { to: \"+1\", at: \"2026-11-30T10:00\" }\n    dial: maybe\n    expect: { path: [a] }\n",
    ] {
        assert!(!errors(&tests, bad).is_empty(), "accepted:\n{bad}");
    }
}

/// The loader's own unknown-key fixtures fail the schema too.
#[test]
fn the_checkers_unknown_key_fixtures_fail_the_schema() {
    let flows = validator("flow");
    let mut seen = 0;
    for name in ["unknown-key", "unknown-operator"] {
        let dir = data(&format!("check/{name}"));
        let rejected = yaml_files(&dir).iter().any(|f| {
            let text = std::fs::read_to_string(f).expect("read");
            !errors(&flows, &text).is_empty()
        });
        assert!(
            rejected,
            "{name}: the schema accepts what the loader rejects"
        );
        seen += 1;
    }
    assert_eq!(seen, 2);
}

#[test]
fn help_has_an_example() {
    let (_, text) = schema_cmd(&["--help"]);
    assert!(
        text.contains("Examples:\n  switchboard schema > schemas/flow.schema.json"),
        "{text}"
    );
}
