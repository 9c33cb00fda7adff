//! Run-time failures: the safe document, on_error, the step cap, flows changing mid-call.

use super::engine_common::{CALLER, MAIN, flow};
use super::menus::MENU;
use crate::harness::*;
use switchboard::engine::{self, Config, Entry, Event, Params};

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
    let incoming = Params::from_form(webhook("incoming-call").as_bytes());
    let now = at("2026-11-30T10:00", "America/New_York");
    let out = engine::run(&set, &Config::default(), Entry::Incoming, &incoming, now);
    let (f, s, q) = action_of(&out).unwrap();
    let gather = Params::from_form(webhook("gather-speech").as_bytes());
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
    let dial = Params::from_form(webhook("dial-no-answer").as_bytes());
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

/// Random parameters and random (even forged) URL state against every step of the demo
/// flows: the engine always answers with a well-formed document.
#[test]
fn random_requests_never_break_the_engine() {
    let loaded = switchboard::flow::load_dir(&root().join("flows")).unwrap();
    let loaded = loaded.into_servable().expect("no errors");
    let set = &loaded;
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let alphabet: Vec<char> = "0123456789#*abc+&<>\"'%=;.\u{0}\u{7}\u{FFFF}é "
        .chars()
        .collect();
    let word = |n: &mut dyn FnMut() -> u64| -> String {
        let len = (n() % 12) as usize;
        (0..len)
            .map(|_| alphabet[(n() % alphabet.len() as u64) as usize])
            .collect()
    };
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
    for i in 0..3000 {
        let flow = &set.flows()[(next() % set.flows().len() as u64) as usize];
        let step = &flow.steps[(next() % flow.steps.len() as u64) as usize];
        let mut pairs = vec![("To".to_string(), "+14155550100".to_string())];
        for _ in 0..(next() % 5) {
            let k = names[(next() % names.len() as u64) as usize];
            let v = if k == "DialCallStatus" {
                statuses[(next() % statuses.len() as u64) as usize].to_string()
            } else {
                word(&mut next)
            };
            pairs.insert(0, (k.to_string(), v));
        }
        let query = format!(
            "k={}&n={}&l={}&v.{}={}",
            ["m", "a", "d", "r", "q", "c", "x"][(next() % 7) as usize],
            if next() % 4 == 0 {
                u32::MAX as u64
            } else {
                next() % 20
            },
            if next() % 4 == 0 {
                u32::MAX as u64
            } else {
                next() % 5
            },
            ["account", "x", "region"][(next() % 3) as usize],
            word(&mut next)
        );
        let params = Params::from_pairs(pairs);
        let now =
            jiff::Timestamp::from_second(1_700_000_000 + (next() % 50_000_000) as i64).unwrap();
        let entry = if i % 10 == 0 {
            Entry::Incoming
        } else {
            Entry::Continue {
                flow: &flow.name,
                step: &step.name,
                query: &query,
            }
        };
        let out = engine::run(set, &Config::default(), entry, &params, now);
        let tags = structure(&out.twiml);
        assert_eq!(tags[0], "Response", "{}", out.twiml);
    }
}
