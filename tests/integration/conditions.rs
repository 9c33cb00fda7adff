//! Route rules: every condition operator, all/any/not, captures, speech.

use crate::harness::*;

#[test]
fn route_first_match_wins_and_trace_says_why() {
    let set = load(&[(
        "a.yaml",
        &flow(
            "  entry:\n    route:\n      - if: { From: \"+19999999999\" }\n        goto: a\n      - if: { From: { starts_with: \"+1202\" } }\n        goto: b\n      - goto: c\n  a:\n    say: A\n  b:\n    say: B\n  c:\n    say: C\n",
        ),
    )]);
    let mut call = Call::new(&set, CALLER, MAIN);
    call.send(&[]);
    assert_eq!(call.path(), ["entry", "b"]);
    let t = call.transcript();
    assert!(
        t.contains("rule 2 matched: From starts_with +1202 → b"),
        "{t}"
    );
}

/// Each operator, on a parameter, as (condition, value, expected).
#[test]
fn every_condition_operator() {
    let cases: &[(&str, Option<&str>, bool)] = &[
        ("{ eq: abc }", Some("abc"), true),
        ("abc", Some("abd"), false),
        ("{ ne: abc }", Some("abd"), true),
        ("{ ne: abc }", None, true),
        ("{ in: [a, b] }", Some("b"), true),
        ("[a, b]", Some("c"), false),
        ("{ not_in: [a, b] }", Some("c"), true),
        ("{ not_in: [a, b] }", Some("a"), false),
        ("{ starts_with: \"+44\" }", Some("+4420"), true),
        ("{ ends_with: \"99\" }", Some("+1299"), true),
        ("{ ends_with: \"99\" }", Some("+1298"), false),
        ("{ contains: mid }", Some("amidst"), true),
        ("{ matches: '^\\+1\\d{10}$' }", Some("+12025550143"), true),
        ("{ matches: '^\\+1\\d{10}$' }", Some("+4420"), false),
        ("{ lt: 5 }", Some("4"), true),
        ("{ lt: 5 }", Some("5"), false),
        ("{ le: 5 }", Some("5"), true),
        ("{ gt: 0.5 }", Some("0.92"), true),
        ("{ ge: 10 }", Some("9.99"), false),
        ("{ gt: 1 }", Some("lots"), false),
        ("{ lt: 1 }", Some("lots"), false),
        ("{ lt: 1 }", None, false),
        ("{ exists: true }", Some(""), true),
        ("{ exists: true }", None, false),
        ("{ exists: false }", None, true),
        ("{ empty: true }", Some(""), true),
        ("{ empty: true }", None, true),
        ("{ empty: false }", Some("x"), true),
        ("{ gt: 1, lt: 10 }", Some("5"), true),
        ("{ gt: 1, lt: 10 }", Some("50"), false),
    ];
    for (cond, value, want) in cases {
        let yaml = flow(&format!(
            "  entry:\n    route:\n      - if: {{ FromCity: {cond} }}\n        goto: yes\n      - goto: no\n  yes:\n    say: Y\n  no:\n    say: N\n"
        ));
        let set = load(&[("a.yaml", &yaml)]);
        let mut call = Call::new(&set, CALLER, MAIN);
        if let Some(v) = value {
            call.base.push(("FromCity".into(), v.to_string()));
        }
        call.send(&[]);
        let got = call.path()[1] == "yes";
        assert_eq!(got, *want, "FromCity {cond} with {value:?}");
    }
}

#[test]
fn all_any_not_and_vars() {
    let yaml = flow(
        "  entry:\n    set: { tier: gold }\n    next: r\n  r:\n    route:\n      - if: { all: [ { vars.tier: gold }, { not: { From: { starts_with: \"+44\" } } } ], any: [ { FromCountry: US }, { FromCountry: CA } ] }\n        goto: yes\n      - goto: no\n  yes:\n    say: Y\n  no:\n    say: N\n",
    );
    let set = load(&[("a.yaml", &yaml)]);
    let mut call = Call::new(&set, CALLER, MAIN);
    call.base.push(("FromCountry".into(), "CA".into()));
    call.send(&[]);
    assert_eq!(call.path(), ["entry", "r", "yes"]);
    let mut call = Call::new(&set, CALLER, MAIN);
    call.base.push(("FromCountry".into(), "MX".into()));
    call.send(&[]);
    assert_eq!(call.path(), ["entry", "r", "no"]);
}

#[test]
fn named_captures_become_call_variables() {
    let yaml = flow(
        "  entry:\n    route:\n      - if: { From: { matches: '^\\+1(?P<area>\\d{3})' } }\n        goto: yes\n      - goto: hangup\n  yes:\n    say: \"Area {{vars.area}}.\"\n",
    );
    let set = load(&[("a.yaml", &yaml)]);
    let mut call = Call::new(&set, CALLER, MAIN);
    let out = call.send(&[]);
    assert_eq!(said(out), ["Area 202."]);
}

#[test]
fn speech_comparisons_ignore_case_and_punctuation() {
    let yaml = flow(
        "  entry:\n    route:\n      - if: { SpeechResult: \"yes\" }\n        goto: yes\n      - if: { SpeechResult: { contains: \"Sales!\" } }\n        goto: sales\n      - goto: no\n  yes:\n    say: Y\n  sales:\n    say: S\n  no:\n    say: N\n",
    );
    let set = load(&[("a.yaml", &yaml)]);
    for (speech, want) in [
        ("Yes.", "yes"),
        ("YES!", "yes"),
        ("Sales, please.", "sales"),
        ("no", "no"),
    ] {
        let mut call = Call::new(&set, CALLER, MAIN);
        call.base.push(("SpeechResult".into(), speech.into()));
        call.send(&[]);
        assert_eq!(call.path()[1], want, "{speech}");
    }
}

#[test]
fn captures_from_a_failed_branch_do_not_leak() {
    let yaml = flow(
        "  entry:\n    route:\n      - if: { any: [ { all: [ { From: { matches: '^\\+1(?P<area>\\d{3})' } }, { FromCountry: XX } ] }, { FromCountry: US } ] }\n        goto: yes\n      - goto: hangup\n  yes:\n    say: \"[{{vars.area}}]\"\n",
    );
    let set = load(&[("a.yaml", &yaml)]);
    let mut call = Call::new(&set, CALLER, MAIN);
    call.base.push(("FromCountry".into(), "US".into()));
    assert_eq!(said(call.send(&[])), ["[]"]);
}
