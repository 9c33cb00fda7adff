//! Route conditions (`if:`): every operator, and `all`/`any`/`not` around them, over random
//! request parameters, decided by the engine exactly as a plain reference evaluation of the
//! documented rules decides them (docs/flows.md, "Conditions").

use proptest::prelude::*;
use switchboard::flow::compile::normalize_speech;

use super::check_cases;
use crate::harness::{CALLER, Call, MAIN, flow, load, said};

/// The parameters conditions look at; `SpeechResult` is compared ignoring case and
/// punctuation.
const SUBJECTS: &[&str] = &["FromCity", "CallerName", "Digits", "SpeechResult"];

/// Regex operands (ASCII classes only, so the reference agrees whatever `\d` means).
const PATTERNS: &[&str] = &[
    "^a", "b$", "^$", "a.*c", "^[0-9]+$", "(?i)^A", "^\\+1", "c|\\.",
];

/// One test on one parameter.
#[derive(Debug, Clone)]
enum Op {
    Eq(String),
    Ne(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    StartsWith(String),
    EndsWith(String),
    Contains(String),
    Matches(&'static str),
    Lt(f64),
    Le(f64),
    Gt(f64),
    Ge(f64),
    Exists(bool),
    Empty(bool),
}

/// A condition tree.
#[derive(Debug, Clone)]
enum Cond {
    Test(&'static str, Op),
    Not(Box<Cond>),
    All(Vec<Cond>),
    Any(Vec<Cond>),
}

/// Text from a small alphabet, so operands and values often match.
fn small() -> BoxedStrategy<String> {
    "[abc1 .+]{0,3}".boxed()
}

fn op() -> impl Strategy<Value = Op> {
    let list = || proptest::collection::vec(small(), 1..4);
    let num = || (-8i32..8).prop_map(|n| f64::from(n) / 2.0);
    prop_oneof![
        small().prop_map(Op::Eq),
        small().prop_map(Op::Ne),
        list().prop_map(Op::In),
        list().prop_map(Op::NotIn),
        small().prop_map(Op::StartsWith),
        small().prop_map(Op::EndsWith),
        small().prop_map(Op::Contains),
        proptest::sample::select(PATTERNS).prop_map(Op::Matches),
        num().prop_map(Op::Lt),
        num().prop_map(Op::Le),
        num().prop_map(Op::Gt),
        num().prop_map(Op::Ge),
        any::<bool>().prop_map(Op::Exists),
        any::<bool>().prop_map(Op::Empty),
    ]
}

fn cond() -> impl Strategy<Value = Cond> {
    let leaf = (proptest::sample::select(SUBJECTS), op()).prop_map(|(s, o)| Cond::Test(s, o));
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| Cond::Not(Box::new(c))),
            proptest::collection::vec(inner.clone(), 1..3).prop_map(Cond::All),
            proptest::collection::vec(inner, 1..3).prop_map(Cond::Any),
        ]
    })
}

/// A YAML double-quoted scalar (a JSON string is one).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

fn yaml(c: &Cond) -> String {
    let list = |l: &[String]| l.iter().map(|s| quoted(s)).collect::<Vec<_>>().join(", ");
    match c {
        Cond::Test(subject, op) => {
            let (name, arg) = match op {
                Op::Eq(s) => ("eq", quoted(s)),
                Op::Ne(s) => ("ne", quoted(s)),
                Op::In(l) => ("in", format!("[{}]", list(l))),
                Op::NotIn(l) => ("not_in", format!("[{}]", list(l))),
                Op::StartsWith(s) => ("starts_with", quoted(s)),
                Op::EndsWith(s) => ("ends_with", quoted(s)),
                Op::Contains(s) => ("contains", quoted(s)),
                Op::Matches(p) => ("matches", quoted(p)),
                Op::Lt(n) => ("lt", n.to_string()),
                Op::Le(n) => ("le", n.to_string()),
                Op::Gt(n) => ("gt", n.to_string()),
                Op::Ge(n) => ("ge", n.to_string()),
                Op::Exists(b) => ("exists", b.to_string()),
                Op::Empty(b) => ("empty", b.to_string()),
            };
            format!("{{ {subject}: {{ {name}: {arg} }} }}")
        }
        Cond::Not(c) => format!("{{ not: {} }}", yaml(c)),
        Cond::All(v) => format!(
            "{{ all: [{}] }}",
            v.iter().map(yaml).collect::<Vec<_>>().join(", ")
        ),
        Cond::Any(v) => format!(
            "{{ any: [{}] }}",
            v.iter().map(yaml).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// The documented rules, evaluated directly.
fn reference(c: &Cond, params: &[(&str, Option<String>)]) -> bool {
    match c {
        Cond::Not(c) => !reference(c, params),
        Cond::All(v) => v.iter().all(|c| reference(c, params)),
        Cond::Any(v) => v.iter().any(|c| reference(c, params)),
        Cond::Test(subject, op) => {
            let raw = params
                .iter()
                .find(|(n, _)| n == subject)
                .and_then(|(_, v)| v.as_deref());
            // Speech is compared normalized, operand and value alike (not regexes).
            let speech = *subject == "SpeechResult";
            let norm = |s: &str| {
                if speech {
                    normalize_speech(s)
                } else {
                    s.to_string()
                }
            };
            let value = norm(raw.unwrap_or(""));
            let number = value.trim().parse::<f64>().ok().filter(|n| n.is_finite());
            match op {
                Op::Eq(s) => value == norm(s),
                Op::Ne(s) => value != norm(s),
                Op::In(l) => l.iter().any(|s| norm(s) == value),
                Op::NotIn(l) => !l.iter().any(|s| norm(s) == value),
                Op::StartsWith(s) => value.starts_with(&norm(s)),
                Op::EndsWith(s) => value.ends_with(&norm(s)),
                Op::Contains(s) => value.contains(&norm(s)),
                Op::Matches(p) => regex::Regex::new(p).expect("pattern").is_match(&value),
                Op::Lt(x) => number.is_some_and(|n| n < *x),
                Op::Le(x) => number.is_some_and(|n| n <= *x),
                Op::Gt(x) => number.is_some_and(|n| n > *x),
                Op::Ge(x) => number.is_some_and(|n| n >= *x),
                Op::Exists(want) => raw.is_some() == *want,
                Op::Empty(want) => value.is_empty() == *want,
            }
        }
    }
}

/// A parameter's value: absent, from the operands' alphabet, numeric-looking, or anything.
fn value() -> impl Strategy<Value = Option<String>> {
    proptest::option::weighted(
        0.85,
        prop_oneof![
            small(),
            "[-+ ]?[0-9]{0,2}(\\.[0-9])? ?",
            proptest::sample::select(&["NaN", "inf", "-0", "1e1", "0x1", " 1 ", "A", "a,b"][..])
                .prop_map(str::to_string),
            ".{0,4}",
        ],
    )
}

#[test]
fn conditions_decide_like_the_reference() {
    const RULES: usize = 3;
    // Each case loads one flow and calls it with several sets of parameters.
    let case = (
        proptest::collection::vec(cond(), RULES),
        proptest::collection::vec(proptest::collection::vec(value(), SUBJECTS.len()), 8),
    );
    let ran = check_cases(32, case, |(conds, value_sets)| {
        // One route step per condition, chained, each saying Y or N.
        let mut steps = String::new();
        for (i, c) in conds.iter().enumerate() {
            let next = if i + 1 < RULES {
                format!("\n    next: c{}", i + 1)
            } else {
                String::new()
            };
            let entry = if i == 0 {
                "entry".to_string()
            } else {
                format!("c{i}")
            };
            steps += &format!(
                "  {entry}:\n    route:\n      - if: {}\n        goto: y{i}\n      - goto: n{i}\n  y{i}:\n    say: Y{next}\n  n{i}:\n    say: N{next}\n",
                yaml(c)
            );
        }
        let text = flow(&steps);
        let set = load(&[("a.yaml", &text)]);
        for values in value_sets {
            let mut call = Call::new(&set, CALLER, MAIN);
            let params: Vec<(&str, Option<String>)> = SUBJECTS
                .iter()
                .copied()
                .zip(values.iter().cloned())
                .collect();
            for (name, v) in &params {
                if let Some(v) = v {
                    call.base.push((name.to_string(), v.clone()));
                }
            }
            let got: Vec<String> = said(call.send(&[]))
                .into_iter()
                .map(|s| s.to_string())
                .collect();
            let want: Vec<String> = conds
                .iter()
                .map(|c| if reference(c, &params) { "Y" } else { "N" }.to_string())
                .collect();
            prop_assert_eq!(got, want, "{}\nparams {:?}", text, params);
        }
        Ok(())
    });
    assert!(ran > 0);
}
