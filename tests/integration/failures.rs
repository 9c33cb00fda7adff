//! Run-time failures: the safe document, on_error, the step cap, flows changing mid-call.

use super::menus::MENU;
use crate::harness::rng::Rng;
use crate::harness::*;
use switchboard::engine::{self, Config, Entry, Event, Params};
use switchboard::form;

#[test]
fn long_chains_hit_the_step_cap_and_fail_safe() {
    // The checker rejects loops, so the cap guards chains: 60 steps that never wait.
    let mut steps = String::new();
    for i in 0..60 {
        steps.push_str(&format!(
            "  s{i}:\n    say: \"{i}\"\n    next: s{}\n",
            i + 1
        ));
    }
    steps.push_str("  s60:\n    hangup: true\n");
    let yaml = flow(&steps.replacen("s0:", "entry:", 1));
    let set = load(&[("acme.yaml", &yaml)]);
    let mut call = Call::new(&set, CALLER, MAIN);
    let out = call.send(&[]).clone();
    assert!(out.failed);
    assert_eq!(
        said(&out),
        ["We're sorry, an application error has occurred."]
    );
    assert_eq!(structure(&out.twiml), ["Response", "Say", "Hangup"]);
    assert!(
        call.transcript().contains("more than 50 steps"),
        "{}",
        call.transcript()
    );
}

#[test]
fn route_without_match_fails_safe_to_on_error() {
    let yaml = format!(
        "on_error: sorry\n{}",
        flow(
            "  entry:\n    route:\n      - if: { From: nobody }\n        goto: hangup\n  sorry:\n    say: Sorry.\n"
        )
    );
    let loaded = load_any(&[("acme.yaml", &yaml)]);
    let loaded = loaded.into_servable().expect("no errors");
    let mut call = Call::new(&loaded, CALLER, MAIN);
    let out = call.send(&[]).clone();
    assert!(out.failed);
    assert_eq!(
        said(&out),
        ["We're sorry, an application error has occurred.", "Sorry."]
    );
    assert!(
        call.transcript().contains("error: no rule matched"),
        "{}",
        call.transcript()
    );
}

#[test]
fn a_call_survives_its_flow_changing() {
    let v1 = load(&[("acme.yaml", &flow(MENU))]);
    let mut call = Call::new(&v1, CALLER, MAIN);
    call.send(&[]);
    let pending = call.pending.clone().unwrap();
    // Version 2 renamed the menu step: the call restarts at the flow's start.
    let v2 = load(&[("acme.yaml", &flow("  entry:\n    say: New start\n"))]);
    let renamed = switchboard::flow::load_texts(vec![(
        "acme.yaml".into(),
        flow("  entry:\n    say: New start\n").replace("entry", "begin"),
    )]);
    let renamed = renamed.into_servable().expect("no errors");
    let params = Params::from_pairs(vec![
        ("Digits".into(), "1".into()),
        ("To".into(), MAIN.into()),
    ]);
    let out = engine::run(
        &renamed,
        &Config::default(),
        Entry::Continue {
            flow: &pending.0,
            step: &pending.1,
            query: &pending.2,
        },
        &params,
        call.now,
    );
    assert_eq!(said(&out), ["New start"]);
    assert!(matches!(out.trace[0], Event::Restart { .. }));
    // Version 2 kept the name but it is no longer a menu: the step is entered afresh.
    let out = engine::run(
        &v2,
        &Config::default(),
        Entry::Continue {
            flow: &pending.0,
            step: &pending.1,
            query: &pending.2,
        },
        &params,
        call.now,
    );
    assert_eq!(said(&out), ["New start"]);
    // The flow is gone entirely: route by number again, keeping the call's variables.
    // `x` is unreachable on purpose: it only makes `vars.account` a known call variable.
    let other_text = flow(
        "  entry:\n    say: \"Other {{vars.account}}\"\n  x:\n    ask: { prompt: p, save_as: account, next: hangup }\n",
    );
    let other = load_any(&[("other.yaml", &other_text)]);
    let other = (other.into_servable()).unwrap_or_else(|l| panic!("{}", l.render_diagnostics()));
    let query = format!("{}&v.account=42", pending.2);
    let out = engine::run(
        &other,
        &Config::default(),
        Entry::Continue {
            flow: &pending.0,
            step: &pending.1,
            query: &query,
        },
        &params,
        call.now,
    );
    assert_eq!(said(&out), ["Other 42"]);
}

#[test]
fn fixtures_drive_a_whole_call() {
    // The realistic webhook bodies: incoming call, then a Gather result, then a Dial result.
    let set = load(&[(
        "acme.yaml",
        &flow(
            MENU.replace(
                "say: Sales",
                "dial: { to: \"+14155550111\", on_fail: operator }",
            )
            .as_str(),
        ),
    )]);
    let incoming = form::parse_params(webhook("incoming-call").as_bytes()).unwrap();
    let now = at("2026-11-30T10:00", "America/New_York");
    let out = engine::run(&set, &Config::default(), Entry::Incoming, &incoming, now);
    let (f, s, q) = action_of(&out).unwrap();
    let gather = form::parse_params(webhook("gather-speech").as_bytes()).unwrap();
    let out = engine::run(
        &set,
        &Config::default(),
        Entry::Continue {
            flow: &f,
            step: &s,
            query: &q,
        },
        &gather,
        now,
    );
    assert_eq!(dialed(&out), ["+14155550111"]);
    let (f, s, q) = action_of(&out).unwrap();
    let dial = form::parse_params(webhook("dial-no-answer").as_bytes()).unwrap();
    let out = engine::run(
        &set,
        &Config::default(),
        Entry::Continue {
            flow: &f,
            step: &s,
            query: &q,
        },
        &dial,
        now,
    );
    assert_eq!(said(&out), ["Operator"]);
}

#[test]
fn documents_stay_under_64kb() {
    let long = "x".repeat(200);
    let mut steps = String::from("  entry:\n    say:\n");
    for _ in 0..400 {
        steps.push_str(&format!("      - say: \"{long}\"\n"));
    }
    let set = load(&[("acme.yaml", &flow(&steps))]);
    let out = Call::new(&set, CALLER, MAIN).send(&[]).clone();
    assert!(out.failed);
    assert!(out.twiml.len() < 1000, "{}", out.twiml.len());
    assert_eq!(structure(&out.twiml), ["Response", "Say", "Hangup"]);
}

/// A random word of up to 11 characters from `alphabet`.
fn word(rng: &mut Rng, alphabet: &[char]) -> String {
    let len = rng.below(12) as usize;
    (0..len).map(|_| *rng.pick(alphabet)).collect()
}

/// How many random requests [`random_requests_never_break_the_engine`] sends.
const RANDOM_REQUESTS: usize = 3000;

/// Random parameters and random (even forged) URL state against every step of the demo
/// flows: the engine always answers with a well-formed document.
#[test]
fn random_requests_never_break_the_engine() {
    let loaded = switchboard::flow::load_dir(&root().join("flows")).unwrap();
    let loaded = loaded.into_servable().expect("no errors");
    let set = &loaded;
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
    let alphabet: Vec<char> = "0123456789#*abc+&<>\"'%=;.\u{0}\u{7}\u{FFFF}é "
        .chars()
        .collect();
    let names = [
        "Digits",
        "SpeechResult",
        "DialCallStatus",
        "CallStatus",
        "To",
        "From",
        "RecordingDuration",
        "QueueResult",
    ];
    let statuses = ["completed", "busy", "no-answer", "failed", "canceled", ""];
    // A large number (`u32::MAX`) one time in four, else one below `n`.
    let count = |rng: &mut Rng, n: u64| {
        if rng.below(4) == 0 {
            u32::MAX as u64
        } else {
            rng.below(n)
        }
    };
    let mut sent = 0;
    // Every `(flow, step)` a continuation was forged for.
    let mut continued = std::collections::HashSet::new();
    for i in 0..RANDOM_REQUESTS {
        let flow = rng.pick(set.flows());
        let step = rng.pick(&flow.steps);
        let mut pairs = vec![("To".to_string(), "+14155550100".to_string())];
        for _ in 0..rng.below(5) {
            let k = *rng.pick(&names);
            let v = if k == "DialCallStatus" {
                rng.pick(&statuses).to_string()
            } else {
                word(&mut rng, &alphabet)
            };
            pairs.insert(0, (k.to_string(), v));
        }
        let kind = rng.pick(&["m", "a", "d", "r", "q", "c", "x"]);
        let attempt = count(&mut rng, 20);
        let leg = count(&mut rng, 5);
        let var = rng.pick(&["account", "x", "region"]);
        let value = word(&mut rng, &alphabet);
        let query = format!("k={kind}&n={attempt}&l={leg}&v.{var}={value}");
        let params = Params::from_pairs(pairs);
        let now =
            jiff::Timestamp::from_second(1_700_000_000 + rng.below(50_000_000) as i64).unwrap();
        let entry = if i % 10 == 0 {
            Entry::Incoming
        } else {
            continued.insert((&flow.name, &step.name));
            Entry::Continue {
                flow: &flow.name,
                step: &step.name,
                query: &query,
            }
        };
        let out = engine::run(set, &Config::default(), entry, &params, now);
        let tags = structure(&out.twiml);
        assert_eq!(tags[0], "Response", "{}", out.twiml);
        sent += 1;
    }
    assert_eq!(sent, RANDOM_REQUESTS, "sent {sent} random requests");
    let steps: usize = set.flows().iter().map(|f| f.steps.len()).sum();
    assert_eq!(
        continued.len(),
        steps,
        "continuations reached {} of {steps} steps",
        continued.len()
    );
}
