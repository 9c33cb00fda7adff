//! `switchboard simulate`: the binary on the demo flows (scripted, interactive through piped
//! standard input, dial and record outcomes), and the library loop on edge cases (loops,
//! external redirects, other flows, queues, conferences, absolute URLs).

use crate::harness::binary::Switchboard;
use crate::harness::{FlowDir, at, load};
use switchboard::engine::Config;
use switchboard::tools::simulate::{self as sim, Call, DialStatus, Ending, Scripted};

const MAIN: &str = "+14155550100";
const VIP: &str = "+12025550143";
const MONDAY_10: &str = "2026-11-30T10:00";

/// Runs `switchboard simulate ARGS` in the repository root with `stdin` piped in.
fn simulate(args: &[&str], stdin: &str) -> (i32, String, String) {
    Switchboard::new("simulate")
        .args(args)
        .stdin(stdin)
        .run()
        .parts()
}

#[test]
fn prints_what_the_caller_hears_why_and_the_path() {
    let (code, out, err) = simulate(&["--to", MAIN, "--from", VIP, "--at", MONDAY_10], "");
    assert_eq!(code, 0, "{out}{err}");
    for want in [
        "call from +12025550143 to +14155550100 at 2026-11-30 10:00 EST (America/New_York)",
        "── 1. POST /voice  (incoming call)",
        "number +14155550100 → flow acme (exact number)",
        "rule 1 matched: From in [+12025550143, +12025550188] → vip",
        "▸ hears \"Welcome back. Connecting you to your account manager.\"",
        "▸ dial +14155550113 (ring 20s)",
        "── 2. POST /voice/acme/vip_dial?k=d  (DialCallStatus=completed)",
        "path: entry → vip → vip_dial",
        "ended: hung up (<Hangup/>)",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    assert!(!out.contains("<Response>"), "no TwiML without --twiml");
}

#[test]
fn scripted_inputs_feed_menus_and_asks_in_order() {
    let (code, out, _) = simulate(
        &[
            "--to", MAIN, "--at", MONDAY_10, "--input", "3", "--input", "123456#",
        ],
        "",
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("rule 2 matched: open office → menu [office: open"),
        "{out}"
    );
    assert!(
        out.contains("▸ gather digits or speech (1 digit(s), timeout 5s)"),
        "{out}"
    );
    assert!(out.contains("(caller pressed 3)"), "{out}");
    assert!(out.contains("(caller pressed 123456)"), "{out}");
    assert!(out.contains("set vars.account = \"123456\""), "{out}");
    assert!(
        out.contains("path: entry → menu → account → billing → billing_dial"),
        "{out}"
    );
}

#[test]
fn speech_goes_as_speech_result_and_twiml_is_shown_on_request() {
    let (code, out, _) = simulate(
        &[
            "--to",
            MAIN,
            "--at",
            MONDAY_10,
            "--input",
            "support please",
            "--twiml",
        ],
        "",
    );
    assert_eq!(code, 0);
    assert!(out.contains("(caller said \"support please\")"), "{out}");
    assert!(
        out.contains("params: SpeechResult=support please Confidence=0.92"),
        "{out}"
    );
    assert!(
        out.contains(r#"twiml: <?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/voice/acme/menu?k=m&amp;n=1""#),
        "{out}"
    );
}

#[test]
fn absolute_action_urls_are_followed_like_relative_ones() {
    let (code, out, _) = simulate(
        &[
            "--to",
            MAIN,
            "--at",
            MONDAY_10,
            "--input",
            "0",
            "--public-url",
            "https://ivr.example.com/",
        ],
        "",
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "── 2. POST https://ivr.example.com/voice/acme/menu?k=m&n=1  (caller pressed 0)"
        ),
        "{out}"
    );
    assert!(out.contains("path: entry → menu → operator"), "{out}");
}

#[test]
fn dial_and_record_outcomes_are_settable() {
    let (code, out, _) = simulate(
        &[
            "--to",
            MAIN,
            "--at",
            MONDAY_10,
            "--input",
            "2",
            "--dial",
            "no-answer",
            "--record-seconds",
            "30",
        ],
        "",
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("support: dial no-answer (leg 1 of 2)"),
        "{out}"
    );
    assert!(
        out.contains("support: dial no-answer (leg 2 of 2)"),
        "{out}"
    );
    assert!(out.contains("RecordingDuration=30"), "{out}");
    assert!(out.contains("voicemail: recorded 30s"), "{out}");
    assert!(
        out.contains("path: entry → menu → support → voicemail → goodbye"),
        "{out}"
    );
}

#[test]
fn extra_parameters_reach_the_rules() {
    let dir = FlowDir::new().file(
        "line.yaml",
        "numbers: [\"+14155550100\"]\nstart: entry\nsteps:\n  entry:\n    route:\n      - if: { FromCountry: GB }\n        goto: uk\n      - goto: other\n  uk:\n    say: Hello UK\n  other:\n    say: Hello\n",
    );
    let flows = dir.path().to_string_lossy().into_owned();
    let (code, out, _) = simulate(
        &["--flows", &flows, "--to", MAIN, "--param", "FromCountry=GB"],
        "",
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("path: entry → uk"), "{out}");
}

#[test]
fn without_inputs_and_without_a_terminal_every_gather_hears_silence() {
    let (code, out, _) = simulate(&["--to", MAIN, "--at", MONDAY_10], "1\n");
    assert_eq!(code, 0);
    assert!(!out.contains("? menu"), "not interactive:\n{out}");
    assert!(
        out.contains("note: no more scripted input: silence"),
        "{out}"
    );
    assert!(
        out.contains("path: entry → menu → menu → menu → operator"),
        "{out}"
    );
}

/// The interactive mode: the same terminal code path a person gets, with piped input
/// (`--interactive` forces it when standard input is not a terminal).
#[test]
fn interactive_asks_at_each_menu_like_a_phone() {
    let (code, out, _) = simulate(
        &["--to", MAIN, "--at", MONDAY_10, "--interactive"],
        "9\n\nsales\n",
    );
    assert_eq!(code, 0, "{out}");
    let prompt = "? menu `menu` waits for digits or speech [1, 2, 3, 0, \"sales\", \"support\", \"billing\"] (Enter = silence, . = hang up): ";
    assert_eq!(out.matches(prompt).count(), 3, "{out}");
    // What the caller hears is printed before the question, and the reply is echoed.
    let first_prompt = out.find(prompt).expect("prompt");
    let greeting = out
        .find("▸ hears \"Thanks for calling Acme.\"")
        .expect("greeting");
    assert!(greeting < first_prompt, "{out}");
    assert!(out.contains(&format!("{prompt}9\n")), "{out}");
    assert!(out.contains("(caller pressed 9)"), "{out}");
    assert!(out.contains("(silence)"), "{out}");
    assert!(out.contains("(caller said \"sales\")"), "{out}");
    assert!(
        out.contains("path: entry → menu → menu → menu → sales"),
        "{out}"
    );
    // Each webhook is printed once.
    assert_eq!(out.matches("── 1. POST /voice ").count(), 1, "{out}");
    assert_eq!(out.matches("── 5. POST").count(), 1, "{out}");
}

#[test]
fn interactive_hangs_up_on_a_dot_or_the_end_of_input() {
    let (code, out, _) = simulate(&["--to", MAIN, "--at", MONDAY_10, "--interactive"], ".\n");
    assert_eq!(code, 0);
    assert!(out.contains("ended: the caller hung up"), "{out}");
    assert!(out.contains("path: entry → menu\n"), "{out}");
    let (_, out, _) = simulate(&["--to", MAIN, "--at", MONDAY_10, "--interactive"], "3\n");
    assert!(out.contains("(end of input)"), "{out}");
    assert!(out.contains("ended: the caller hung up"), "{out}");
    assert!(out.contains("path: entry → menu → account\n"), "{out}");
}

#[test]
fn unused_inputs_are_pointed_out() {
    let (_, out, _) = simulate(
        &[
            "--to", MAIN, "--from", VIP, "--at", MONDAY_10, "--input", "1",
        ],
        "",
    );
    assert!(
        out.contains("note: 1 input(s) never asked for: \"1\""),
        "{out}"
    );
}

#[test]
fn times_are_read_in_the_flows_zone_or_as_instants() {
    // 15:00Z is 10:00 in New York: open.
    let (_, out, _) = simulate(
        &["--to", MAIN, "--at", "2026-11-30T15:00:00Z", "--input", "0"],
        "",
    );
    assert!(out.contains("path: entry → menu → operator"), "{out}");
    // 18:00 in New York is after hours; read as UTC it would be 13:00 there, and open.
    let (_, out, _) = simulate(&["--to", MAIN, "--at", "2026-11-30T18:00"], "");
    assert!(
        out.contains("path: entry → closed → voicemail → goodbye"),
        "{out}"
    );
}

#[test]
fn usage_errors_and_broken_flows_have_their_exit_codes() {
    let (code, _, err) = simulate(&["--to", MAIN, "--at", "yesterday"], "");
    assert_eq!(code, 2);
    assert!(
        err.contains("error: --at: `yesterday` is not a time"),
        "{err}"
    );
    let (code, _, err) = simulate(&["--to", MAIN, "--dial", "maybe"], "");
    assert_eq!(code, 2);
    assert!(err.contains("`maybe` is not a dial outcome"), "{err}");
    let (code, _, err) = simulate(&["--to", MAIN, "--flows", "no/such/dir"], "");
    assert_eq!(code, 2, "{err}");
    let broken = FlowDir::new().file("a.yaml", "start: nowhere\nsteps: {}\n");
    let flows = broken.path().to_string_lossy().into_owned();
    let (code, _, err) = simulate(&["--to", MAIN, "--flows", &flows], "");
    assert_eq!(code, 1);
    assert!(err.contains("error["), "{err}");
}

#[test]
fn help_has_an_example() {
    let (code, out, _) = simulate(&["--help"], "");
    assert_eq!(code, 0);
    assert!(
        out.contains("Examples:\n  switchboard simulate --to +14155550100"),
        "{out}"
    );
}

// ----- the library loop ----------------------------------------------------------------------

fn flow(steps: &str) -> String {
    format!("numbers: [\"{MAIN}\"]\ntimezone: America/New_York\nstart: entry\nsteps:\n{steps}")
}

fn run(files: &[(&str, &str)], call: Call, inputs: &[&str]) -> sim::Transcript {
    let set = load(files);
    let mut script = Scripted::new(inputs.iter().map(|s| s.to_string()));
    sim::run(&set, &Config::default(), &call, &mut script)
}

fn call() -> Call {
    Call::new(MAIN, at(MONDAY_10, "America/New_York"))
}

#[test]
fn a_flow_that_never_ends_is_stopped() {
    // A silent caller cannot loop (flow-check refuses menu loops), but a line that is
    // always busy can: each retry waits for a dial.
    let yaml = flow("  entry:\n    dial: { to: \"+14155550111\", on_busy: entry }\n");
    let mut busy = call();
    busy.dial = vec![sim::DialStatus::Busy];
    let t = run(&[("a.yaml", &yaml)], busy, &[]);
    assert_eq!(t.ending, Ending::TooManyWebhooks(sim::MAX_WEBHOOKS));
    assert_eq!(t.webhooks.len(), sim::MAX_WEBHOOKS);
    let mut short = call();
    short.dial = vec![sim::DialStatus::Busy];
    short.max_webhooks = 3;
    let t = run(&[("a.yaml", &yaml)], short, &[]);
    assert_eq!(t.webhooks.len(), 3);
}

#[test]
fn an_external_redirect_ends_the_simulation() {
    let yaml = flow("  entry:\n    redirect: { url: \"https://legacy.example.com/ivr.xml\" }\n");
    let t = run(&[("a.yaml", &yaml)], call(), &[]);
    assert_eq!(
        t.ending,
        Ending::ExternalRedirect("https://legacy.example.com/ivr.xml".into())
    );
    assert_eq!(t.path(), ["entry"]);
}

#[test]
fn steps_of_other_flows_are_named_like_targets() {
    let main = flow("  entry:\n    say: Hi\n    next: \"@billing.pay\"\n");
    let billing = "start: pay\nsteps:\n  pay:\n    menu:\n      prompt: Pay now?\n      options: { \"1\": done }\n  done:\n    say: Paid\n";
    let t = run(
        &[("main.yaml", &main), ("billing.yaml", billing)],
        call(),
        &["1"],
    );
    assert_eq!(t.path(), ["entry", "@billing.pay", "@billing.done"]);
    assert_eq!(t.heard(), ["Hi", "Pay now?", "Paid"]);
    assert_eq!(t.webhooks[1].url, "/voice/billing/pay?k=m&n=1");
}

#[test]
fn queues_and_conferences_report_their_results() {
    let yaml = flow(
        "  entry:\n    enqueue: { queue: support }\n    next: after\n  after:\n    route:\n      - if: { QueueResult: hangup }\n        goto: hangup\n      - goto: room\n  room:\n    conference: { room: \"r-{{From}}\" }\n    next: bye\n  bye:\n    say: Bye\n",
    );
    let mut c = call();
    c.queue_result = "redirected".into();
    c.dial = vec![DialStatus::Busy];
    let t = run(&[("a.yaml", &yaml)], c, &[]);
    assert_eq!(t.path(), ["entry", "after", "room", "bye"]);
    assert!(
        t.webhooks[1]
            .result
            .contains(&("QueueResult".into(), "redirected".into()))
    );
    // Leaving a conference sends no dial result (and uses no `--dial` outcome).
    assert!(t.webhooks[2].result.is_empty());
    assert_eq!(t.dialed(), ["conference:r-+15005550006"]);
    assert_eq!(t.ending, Ending::HungUp);
}

#[test]
fn absolute_action_urls_round_trip_through_the_base() {
    let yaml = flow(
        "  entry:\n    menu:\n      prompt: Pick\n      options: { \"1\": one }\n  one:\n    say: One\n",
    );
    let set = load(&[("a.yaml", &yaml)]);
    let cfg = Config {
        base_url: "https://ivr.example.com/sb".into(),
        ..Config::default()
    };
    let mut script = Scripted::new(["1".to_string()]);
    let t = sim::run(&set, &cfg, &call(), &mut script);
    assert_eq!(t.path(), ["entry", "one"]);
    assert_eq!(
        t.webhooks[1].url,
        "https://ivr.example.com/sb/voice/a/entry?k=m&n=1"
    );
}

#[test]
fn keys_a_gather_does_not_take_are_not_sent() {
    let yaml = flow(
        "  entry:\n    ask:\n      prompt: Say your name\n      input: speech\n      save_as: name\n      next: hi\n  hi:\n    say: \"Hi {{vars.name}}\"\n",
    );
    let t = run(&[("a.yaml", &yaml)], call(), &["123", "Ada"]);
    assert_eq!(t.path(), ["entry", "entry", "hi"]);
    assert!(
        t.webhooks[1].notes[0].contains("listens for speech only"),
        "{:?}",
        t.webhooks[1].notes
    );
    assert_eq!(t.heard().last().map(String::as_str), Some("Hi Ada"));
}

#[test]
fn the_call_parameters_look_like_twilios() {
    let yaml = flow("  entry:\n    say: Hi\n");
    let t = run(&[("a.yaml", &yaml)], call(), &[]);
    let p = &t.webhooks[0].params;
    for name in [
        "CallSid",
        "AccountSid",
        "From",
        "To",
        "Caller",
        "Called",
        "CallStatus",
        "Direction",
        "ApiVersion",
    ] {
        assert!(
            p.iter().any(|(k, _)| k == name),
            "{name} missing from {p:?}"
        );
    }
    assert_eq!(t.ending, Ending::HungUp);
}

#[test]
fn hostile_replies_never_break_the_loop() {
    let set = load(&[
        ("acme.yaml", include_str!("../../flows/acme.yaml")),
        ("_shared.yaml", include_str!("../../flows/_shared.yaml")),
    ]);
    let replies = [
        "\u{0}\u{1}<Response>",
        "#",
        "*#*#",
        &"9".repeat(5000),
        "🙂 sales 🙂",
        "]]>&amp;",
    ];
    for r in replies {
        let mut script = Scripted::new([r.to_string(), r.to_string()]);
        let t = sim::run(&set, &Config::default(), &call(), &mut script);
        assert!(t.webhooks.len() <= sim::MAX_WEBHOOKS);
        assert!(!t.path().is_empty());
    }
}
