//! The interpreter's own tests: how a webhook is routed, and step kinds in the trace.

use super::*;
use crate::flow::StepKind;
use crate::flow::model::NumberMatch;

fn load(yaml: &str) -> FlowSet {
    crate::flow::load_texts(vec![("acme.yaml".into(), yaml.to_string())])
        .into_servable()
        .unwrap_or_else(|l| panic!("{}", l.render_diagnostics()))
}

const FLOW: &str = "numbers: [\"+14155550100\"]\nstart: hi\nsteps:\n  hi:\n    play: https://x.example/a.mp3\n    next: wait\n  wait:\n    pause: 2\n    next: menu\n  menu:\n    menu:\n      prompt: Press 1.\n      options: { \"1\": bye }\n  bye:\n    say: Bye.\n";

fn params(to: &str) -> Params {
    Params::from_pairs(vec![("To".into(), to.into())])
}

#[test]
fn the_outcome_says_how_the_call_was_routed() {
    let set = load(FLOW);
    let cfg = Config::default();
    let now = Timestamp::UNIX_EPOCH;
    let (acme, _) = set.flow("acme").expect("loaded");
    let out = run(&set, &cfg, Entry::Incoming, &params("+14155550100"), now);
    assert_eq!(out.routed, Some(Routed::Number(acme, NumberMatch::Exact)));
    let out = run(&set, &cfg, Entry::Incoming, &params("+1999"), now);
    assert_eq!(out.routed, Some(Routed::NoFlow));
    let cont = Entry::Continue {
        flow: "acme",
        step: "menu",
        query: "",
    };
    let out = run(&set, &cfg, cont, &params("+1999"), now);
    assert_eq!(out.routed, Some(Routed::Url(acme)));
    // A continuation whose flow is gone is routed by number again.
    let gone = Entry::Continue {
        flow: "gone",
        step: "menu",
        query: "",
    };
    let out = run(&set, &cfg, gone, &params("+1999"), now);
    assert_eq!(out.routed, Some(Routed::NoFlow));
}

#[test]
fn play_and_pause_steps_enter_as_their_own_kind() {
    let set = load(FLOW);
    let out = run(
        &set,
        &Config::default(),
        Entry::Incoming,
        &params("+14155550100"),
        Timestamp::UNIX_EPOCH,
    );
    let kinds: Vec<&str> = out
        .trace
        .iter()
        .filter_map(|e| match e {
            Event::Enter { kind, .. } => Some(*kind),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        [StepKind::Play, StepKind::Pause, StepKind::Menu].map(StepKind::name)
    );
}

#[test]
fn the_empty_set_answers_every_webhook() {
    let set = FlowSet::default();
    let cfg = Config::default();
    for entry in [
        Entry::Incoming,
        Entry::Continue {
            flow: "acme",
            step: "menu",
            query: "w=m&a=2",
        },
    ] {
        let out = run(&set, &cfg, entry, &params("+1"), Timestamp::UNIX_EPOCH);
        assert!(out.twiml.contains("<Reject"), "{}", out.twiml);
        assert_eq!(out.routed, Some(Routed::NoFlow));
    }
}

/// Issue 10, defect 7: a `v.NAME` in an action URL that names a constant does not override
/// it, so a forged (or stale) URL cannot change whom a dial rings.
#[test]
fn a_call_variable_in_the_url_never_overrides_a_constant() {
    let set = load(
        "numbers: [\"+14155550100\"]\nvars:\n  operator: \"+14155550199\"\nstart: menu\nsteps:\n  menu:\n    menu:\n      prompt: Press 1.\n      options: { \"1\": op }\n  op:\n    dial:\n      to: \"{{vars.operator}}\"\n",
    );
    let forged = Entry::Continue {
        flow: "acme",
        step: "menu",
        query: "k=m&n=1&v.operator=%2B19005550000",
    };
    let params = Params::from_pairs(vec![
        ("To".into(), "+14155550100".into()),
        ("Digits".into(), "1".into()),
    ]);
    let out = run(
        &set,
        &Config::default(),
        forged,
        &params,
        Timestamp::UNIX_EPOCH,
    );
    assert!(out.twiml.contains("+14155550199"), "{}", out.twiml);
    assert!(!out.twiml.contains("+19005550000"), "{}", out.twiml);
}

/// `Outcome::answer`: what the server's metrics count, one value per resumed menu or dial.
#[test]
fn the_outcome_types_a_menus_or_dials_answer() {
    let set = load(&format!(
        "{FLOW}  call:\n    dial:\n      to: \"+14155550111\"\n      next: bye\n"
    ));
    let answer = |step: &str, query: &str, extra: &[(&str, &str)]| {
        let mut pairs = vec![("To".to_string(), "+14155550100".to_string())];
        pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let entry = Entry::Continue {
            flow: "acme",
            step,
            query,
        };
        let p = Params::from_pairs(pairs);
        run(&set, &Config::default(), entry, &p, Timestamp::UNIX_EPOCH).answer
    };
    let menu = |a| Some(Answer::Menu(a));
    let cases = [
        (
            answer("menu", "k=m&n=1", &[("Digits", "1")]),
            menu(MenuAnswer::Matched),
        ),
        (
            answer("menu", "k=m&n=1", &[("Digits", "9")]),
            menu(MenuAnswer::Invalid),
        ),
        (answer("menu", "k=m&n=1", &[]), menu(MenuAnswer::NoInput)),
        (
            answer("menu", "k=m&n=3", &[("Digits", "9")]),
            menu(MenuAnswer::Exhausted),
        ),
        (answer("menu", "k=m&n=3", &[]), menu(MenuAnswer::Exhausted)),
        (
            answer("call", "k=d", &[("DialCallStatus", "no-answer")]),
            Some(Answer::Dial),
        ),
        (answer("call", "k=d", &[]), Some(Answer::Dial)),
        // Not waiting for anything: no answer.
        (answer("bye", "", &[("Digits", "1")]), None),
    ];
    for (i, (got, want)) in cases.iter().enumerate() {
        assert_eq!(got, want, "case {i}");
    }
    assert_eq!(cases.len(), 8);
}
