//! Replay against the flows that answered (no difference), and against edits: a changed
//! menu option, a schedule change, a removed step, a dial turned into a menu; calls that
//! cannot be replayed; the impact's grouping; exported cases.

use std::path::PathBuf;

use jiff::Timestamp;

use super::impact::Impact;
use super::*;
use crate::tools::simulate::{Call, DialStatus, Scripted};

/// The example flows, with `edit` applied to acme.yaml's text.
fn acme(edit: impl Fn(String) -> String) -> FlowSet {
    let mut texts = Vec::new();
    for name in ["acme.yaml", "_shared.yaml"] {
        let path = PathBuf::from("flows").join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        let text = if name == "acme.yaml" {
            edit(text)
        } else {
            text
        };
        texts.push((PathBuf::from(name), text));
    }
    match crate::flow::load_texts(texts).into_servable() {
        Ok(set) => set,
        Err(l) => panic!("{}", l.render_diagnostics()),
    }
}

fn same(s: String) -> String {
    s
}

/// A call as the server records it (at `https://ivr.example.com`).
fn record(set: &FlowSet, call: &Call, inputs: &[&str], hang_up: bool) -> RecordedCall {
    let cfg = Config {
        base_url: "https://ivr.example.com".into(),
        ..Config::default()
    };
    let mut script = Scripted::new(inputs.iter().map(|s| s.to_string())).hanging_up(hang_up);
    let records = simulated_records(set, &cfg, call, &mut script, "v1", 0);
    let sid = records[0].call_sid.clone();
    RecordedCall::from_records(&sid, records)
}

/// Monday 2026-11-30 at `hh:mm` New York time.
fn monday(hh: u8, mm: u8) -> Timestamp {
    format!("2026-11-30T{hh:02}:{mm:02}:00-05:00")
        .parse()
        .unwrap()
}

fn call(from: &str, at: Timestamp, dial: &[DialStatus]) -> Call {
    let mut c = Call::new("+14155550100", at);
    c.from = from.to_string();
    c.dial = dial.to_vec();
    c
}

/// A batch of calls over every branch of acme: (call, inputs, caller hangs up).
fn batch() -> Vec<(Call, Vec<&'static str>, bool)> {
    use DialStatus::*;
    vec![
        (call("+12025550143", monday(10, 0), &[]), vec![], false),
        (
            call("+12025550188", monday(10, 0), &[Busy, Completed]),
            vec!["1"],
            false,
        ),
        (call("+12025550100", monday(10, 0), &[]), vec!["1"], false),
        (
            call("+12025550101", monday(16, 0), &[]),
            vec!["Sales, please."],
            false,
        ),
        (
            call("+12025550102", monday(14, 0), &[NoAnswer]),
            vec!["2"],
            false,
        ),
        (
            call("+12025550103", monday(10, 0), &[]),
            vec!["3", "123456#"],
            false,
        ),
        (
            call("+12025550104", monday(10, 0), &[]),
            vec!["3", "12#", "99#"],
            false,
        ),
        (
            call("+12025550105", monday(10, 0), &[]),
            vec!["7", "", "1"],
            false,
        ),
        (call("+12025550106", monday(10, 0), &[]), vec![], true),
        (call("+12025550107", monday(20, 0), &[]), vec![], false),
        (call("+12025550108", monday(12, 30), &[]), vec!["9"], true),
    ]
}

#[test]
fn the_flows_that_answered_reproduce_every_call_exactly() {
    let set = acme(same);
    let mut compared = 0;
    for (c, inputs, hang_up) in batch() {
        let rec = record(&set, &c, &inputs, hang_up);
        assert!(!rec.webhooks.is_empty(), "{inputs:?}");
        let r = replay(&rec, Flows::Candidate(&set), When::Recorded);
        assert_eq!(r.verdict, Verdict::Same, "{:?}", r.pairs);
        assert_eq!(r.recorded_path, r.replayed_path);
        for p in &r.pairs {
            let (a, b) = (p.recorded.as_ref().unwrap(), p.replayed.as_ref().unwrap());
            assert!(!a.twiml.is_empty());
            assert_eq!(a.twiml, b.twiml, "webhook documents differ");
            compared += 1;
        }
        assert!(!r.changed());
    }
    assert!(compared >= 30, "{compared} webhooks compared");
}

#[test]
fn a_changed_menu_option_shows_the_first_webhook_and_the_rule() {
    let set = acme(same);
    let rec = record(&set, &batch()[2].0, &["1"], false);
    // Pressing 1 now reaches support.
    let edited = acme(|s| s.replace(r#""1": sales, "2": support"#, r#""1": support, "2": sales"#));
    let r = replay(&rec, Flows::Candidate(&edited), When::Recorded);
    assert_eq!(r.verdict, Verdict::Changed { webhook: 1 });
    assert_eq!(r.recorded_path, ["entry", "menu", "sales"]);
    assert_eq!(r.replayed_path, ["entry", "menu", "support"]);
    let (recorded, replayed) = r.pairs[1].differing_verdicts();
    assert_eq!(recorded, ["menu: heard \"1\": option 1 → acme/sales"]);
    assert_eq!(replayed, ["menu: heard \"1\": option 1 → acme/support"]);
    assert!(r.changed());
}

#[test]
fn a_schedule_change_moves_a_call_and_time_can_be_replaced() {
    let set = acme(same);
    // 17:00 on Monday: open until 17:30.
    let rec = record(
        &set,
        &call("+12025550100", monday(17, 0), &[]),
        &["1"],
        false,
    );
    assert_eq!(
        replay(&rec, Flows::Candidate(&set), When::Recorded).verdict,
        Verdict::Same
    );
    let shared = std::fs::read_to_string("flows/_shared.yaml").unwrap();
    assert!(shared.contains("17:30"), "{shared}");
    let earlier = crate::flow::load_texts(vec![
        (
            PathBuf::from("acme.yaml"),
            std::fs::read_to_string("flows/acme.yaml").unwrap(),
        ),
        (
            PathBuf::from("_shared.yaml"),
            shared.replace("17:30", "16:30"),
        ),
    ])
    .into_servable()
    .unwrap();
    let r = replay(&rec, Flows::Candidate(&earlier), When::Recorded);
    // The caller pressed 1 at the menu; now they hear the voicemail greeting, and what
    // they would have done there is unknown.
    match &r.verdict {
        Verdict::Unreplayable { webhook: 1, reason } => {
            assert!(reason.is_change());
            assert_eq!(
                reason.to_string(),
                "acme/voicemail now waits for a recording; the recorded call sent digits \"1\""
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(r.first_difference(), Some(0));
    assert_eq!(r.recorded_path, ["entry", "menu", "sales"]);
    assert_eq!(r.replayed_path, ["entry", "closed", "voicemail"]);
    // A caller who hung up on the menu: the new path is whole.
    let hung_up = record(&set, &call("+12025550100", monday(17, 0), &[]), &[], true);
    let r = replay(&hung_up, Flows::Candidate(&earlier), When::Recorded);
    assert_eq!(r.verdict, Verdict::Changed { webhook: 0 });
    assert_eq!(r.recorded_path, ["entry", "menu"]);
    assert_eq!(r.replayed_path, ["entry", "closed", "voicemail"]);
    // The same call moved to Monday 10:00 keeps its path under the earlier closing time.
    let moved = replay(
        &rec,
        Flows::Candidate(&earlier),
        When::StartingAt(monday(10, 0)),
    );
    assert_eq!(moved.verdict, Verdict::Same);
}

#[test]
fn a_removed_step_and_a_new_wait_are_told_apart() {
    let set = acme(same);
    let rec = record(&set, &batch()[5].0, &["3", "123456#"], false);
    // billing removed: the ask goes straight to billing_dial.
    let removed = acme(|s| {
        s.replace("      next: billing\n", "      next: billing_dial\n")
            .replace(
                "  billing:\n    say: \"Thank you. Connecting you to billing about account {{vars.account}}.\"\n    next: billing_dial\n",
                "",
            )
    });
    let r = replay(&rec, Flows::Candidate(&removed), When::Recorded);
    assert_eq!(
        r.verdict,
        Verdict::Changed { webhook: 2 },
        "{:?}",
        r.replayed_path
    );
    assert!(!r.replayed_path.contains(&"billing".to_string()));
    // Support becomes a menu: the recorded dial outcome cannot be fed to it.
    let rec = record(&set, &batch()[4].0, &["2"], false);
    let menu = acme(|s| {
        s.replace(
            "  support:\n    dial:\n      to: [\"{{vars.support_line}}\", \"+14155550115\"]\n      strategy: sequential\n      timeout: 15\n      record: record-from-answer-dual\n      on_fail: voicemail\n",
            "  support:\n    menu:\n      prompt: \"Press 1 for hardware.\"\n      options: { \"1\": voicemail }\n",
        )
    });
    let r = replay(&rec, Flows::Candidate(&menu), When::Recorded);
    match &r.verdict {
        Verdict::Unreplayable { webhook: 2, reason } => {
            assert!(reason.is_change());
            assert!(reason.to_string().contains("acme/support"), "{reason}");
            assert!(reason.to_string().contains("dial"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(r.changed());
}

#[test]
fn redacted_input_fallback_and_missing_versions_are_not_the_edit() {
    let set = acme(same);
    let mut rec = record(&set, &batch()[5].0, &["3", "123456#"], false);
    rec.webhooks[2].redacted = true;
    rec.webhooks[2]
        .inputs
        .insert("Digits".into(), REDACTED.to_string());
    let r = replay(&rec, Flows::Candidate(&set), When::Recorded);
    match &r.verdict {
        Verdict::Unreplayable { webhook: 2, reason } => {
            assert!(!reason.is_change());
            assert_eq!(
                reason.group(),
                "what the caller entered at acme/account was redacted (sensitive ask)"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(!r.changed());
    // The recorded path stays whole, past where the replay stopped.
    assert_eq!(r.recorded_path.len(), 5);
    let sets = HashMap::new();
    let r = replay(&rec, Flows::Recorded(&sets), When::Recorded);
    assert_eq!(
        r.verdict,
        Verdict::Unreplayable {
            webhook: 0,
            reason: Reason::FlowsNotStored {
                version: "v1".into()
            }
        }
    );
    let mut partial = rec.clone();
    partial.webhooks.remove(0);
    let r = replay(&partial, Flows::Candidate(&set), When::Recorded);
    assert!(matches!(
        r.verdict,
        Verdict::Unreplayable {
            reason: Reason::NoStart,
            ..
        }
    ));
}

#[test]
fn the_impact_groups_paths_and_reasons_with_counts() {
    let set = acme(same);
    let edited = acme(|s| s.replace(r#""1": sales, "2": support"#, r#""1": support, "2": sales"#));
    let mut impact = Impact::default();
    let mut added = 0;
    for _ in 0..3 {
        for (c, inputs, hang_up) in batch() {
            impact.add(&replay(
                &record(&set, &c, &inputs, hang_up),
                Flows::Candidate(&edited),
                When::Recorded,
            ));
            added += 1;
        }
    }
    impact.finish();
    assert_eq!(added, 33);
    assert_eq!(impact.calls, 33);
    assert_eq!(
        impact.same + impact.changed_calls() + impact.unreplayable_calls(),
        33
    );
    assert!(impact.has_changes());
    // Pressing 1 to sales: three callers, three times each, plus "sales, please" by speech
    // (unchanged: speech still says sales).
    let to_support = impact
        .changed
        .iter()
        .find(|g| g.recorded == ["entry", "menu", "sales"])
        .expect("the sales group");
    assert_eq!(to_support.replayed, ["entry", "menu", "support"]);
    assert!(
        to_support.calls % 3 == 0 && to_support.calls >= 3,
        "{}",
        to_support.calls
    );
    assert!(impact.changed.windows(2).all(|w| w[0].calls >= w[1].calls));
    let unchanged = {
        let mut i = Impact::default();
        for (c, inputs, hang_up) in batch() {
            i.add(&replay(
                &record(&set, &c, &inputs, hang_up),
                Flows::Candidate(&set),
                When::Recorded,
            ));
        }
        i.finish();
        i
    };
    assert_eq!(unchanged.same, 11);
    assert!(!unchanged.has_changes());
}

#[test]
fn exported_cases_pass_and_say_how_the_call_ended() {
    let set = acme(same);
    let check = export::Check {
        set: &set,
        name: "flows",
    };
    let mut exported = 0;
    for (i, (c, inputs, hang_up)) in batch().into_iter().enumerate() {
        let rec = record(&set, &c, &inputs, hang_up);
        let text = export::export(&rec, None, &check).unwrap_or_else(|e| panic!("{inputs:?}: {e}"));
        let results = crate::tools::flowtest::run_text(&text, &set).unwrap();
        assert_eq!(results.len(), 1);
        assert!(results[0].1.is_empty(), "{text}\n{:?}", results[0].1);
        // Call 8 hangs up on the menu; call 10 (at lunch) never reaches one.
        let hung_up = text.contains("hang_up: true") && text.contains("ending: caller-hangup");
        assert_eq!(hung_up, i == 8, "{text}");
        exported += 1;
    }
    assert_eq!(exported, 11);
    // Against an edit, the same case fails: it is a regression test.
    let rec = record(&set, &batch()[2].0, &["1"], false);
    let text = export::export(&rec, Some("pressing 1"), &check).unwrap();
    assert!(text.contains("name: \"pressing 1\""), "{text}");
    let edited = acme(|s| s.replace(r#""1": sales, "2": support"#, r#""1": support, "2": sales"#));
    let results = crate::tools::flowtest::run_text(&text, &edited).unwrap();
    assert!(!results[0].1.is_empty());
    // A redacted input is refused with the step.
    let mut secret = record(&set, &batch()[5].0, &["3", "123456#"], false);
    secret.webhooks[2].redacted = true;
    let e = export::export(&secret, None, &check).unwrap_err();
    assert!(e.to_string().contains("acme/account"), "{e}");
}

#[test]
fn a_sensitive_answer_is_in_no_stored_form_and_stops_the_replay() {
    let flow = r#"numbers: ["+14155550100"]
start: code
steps:
  code:
    ask:
      prompt: "Say or key your code."
      input: dtmf speech
      finish_on_key: "*"
      save_as: code
      sensitive: true
      next: next
  next:
    menu:
      prompt: "Press 1 to hear your code again."
      options: { "1": next }
"#;
    let set = crate::flow::load_texts(vec![(PathBuf::from("vault.yaml"), flow.to_string())])
        .into_servable()
        .unwrap();
    let mut checked = 0;
    for (answer, forms) in [
        (
            "open sesame",
            &["open sesame", "open+sesame", "open%20sesame"][..],
        ),
        ("12#34", &["12#34", "12%2334"][..]),
    ] {
        let c = call("+12025550100", monday(10, 0), &[]);
        let rec = record(&set, &c, &[answer, "1"], true);
        assert_eq!(rec.webhooks.len(), 3, "{answer}");
        let json = serde_json::to_string(&rec.webhooks).unwrap();
        for form in forms {
            assert!(!json.contains(form), "{form:?} stored: {json}");
        }
        assert!(json.contains(REDACTED));
        let r = replay(&rec, Flows::Candidate(&set), When::Recorded);
        assert!(
            matches!(
                &r.verdict,
                Verdict::Unreplayable {
                    webhook: 1,
                    reason: Reason::Redacted { .. }
                }
            ),
            "{:?}",
            r.verdict
        );
        checked += 1;
    }
    assert_eq!(checked, 2);
}

#[test]
fn an_external_redirect_and_a_dropped_webhook_are_not_blamed_on_the_flows() {
    let flow = r#"numbers: ["+14155550100"]
start: hello
steps:
  hello:
    say: "Please hold."
    next: away
  away:
    redirect: { url: "https://elsewhere.example.com/twiml" }
"#;
    let set = crate::flow::load_texts(vec![(PathBuf::from("hold.yaml"), flow.to_string())])
        .into_servable()
        .unwrap();
    let rec = record(&set, &call("+12025550100", monday(10, 0), &[]), &[], false);
    let r = replay(&rec, Flows::Candidate(&set), When::Recorded);
    assert_eq!(r.verdict, Verdict::Same, "{:?}", r.pairs);
    assert!(!r.changed());

    // Webhook 2 of a billing call lost: the record is blamed, not the flows.
    let acme = acme(same);
    let mut rec = record(&acme, &batch()[5].0, &["3", "123456#"], false);
    assert_eq!(rec.webhooks.len(), 4);
    rec.webhooks.remove(2);
    let r = replay(&rec, Flows::Candidate(&acme), When::Recorded);
    match &r.verdict {
        Verdict::Unreplayable { webhook: 2, reason } => {
            assert!(matches!(reason, Reason::Gap { .. }), "{reason}");
            assert!(!reason.is_change());
        }
        other => panic!("{other:?}"),
    }
    assert!(!r.changed());
}

#[test]
fn the_candidates_gather_hears_the_recorded_keys_as_twilio_would() {
    let set = acme(same);
    let rec = record(&set, &batch()[5].0, &["3", "123456#"], false);
    // Four digits now: Twilio would have sent 1234 and the pattern, still six digits,
    // refuses it; with the pattern relaxed too the call reaches billing.
    let four = acme(|s| {
        s.replace("      digits: 6\n", "      digits: 4\n")
            .replace(r"'^(?P<region>\d{2})\d{4}$'", r"'^(?P<region>\d{2})\d{2}$'")
    });
    let r = replay(&rec, Flows::Candidate(&four), When::Recorded);
    assert_eq!(r.verdict, Verdict::Same, "{:?}", r.replayed_path);
    let replayed = r.pairs[2].replayed.as_ref().unwrap();
    assert!(
        replayed
            .events
            .iter()
            .any(|e| e.to_string().contains("heard \"1234\"")),
        "{:?}",
        replayed.events
    );
    // An ask that only listens for speech hears nothing of the keys: asked again.
    let speech = acme(|s| s.replace("      digits: 6\n", "      input: speech\n"));
    let r = replay(&rec, Flows::Candidate(&speech), When::Recorded);
    assert!(r.changed(), "{:?}", r.verdict);
    assert_eq!(
        r.replayed_path[..4],
        ["entry", "menu", "account", "account"]
    );
}

#[test]
fn exported_cases_carry_any_caller_text() {
    let set = acme(same);
    let odd = [
        "evil\u{9b}31m",
        "quote \" and \\ backslash",
        "# not a comment",
        "- not a list",
        "line\nbreak\r\n",
        "tab\there",
        "sep\u{2028}arator",
        "\u{feff}bom",
        "del\u{7f}",
        "☎ émoji 🎉",
    ];
    for (n, name) in odd.iter().enumerate() {
        let mut c = call("+12025550100", monday(10, 0), &[]);
        c.params.push(("CallerName".into(), name.to_string()));
        let rec = record(&set, &c, &["1"], false);
        let check = export::Check {
            set: &set,
            name: "flows",
        };
        let text = export::export(&rec, None, &check).unwrap_or_else(|e| panic!("{name:?}: {e}"));
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text}");
        let file: crate::tools::flowtest::RawTestFile = crate::flow::parse_yaml(&text).unwrap();
        let params = &file.tests[0].value.call.value.params.0;
        let got = params
            .iter()
            .find(|(k, _)| k.value == "CallerName")
            .unwrap();
        assert_eq!(got.1.value, *name, "case {n}");
    }
}
