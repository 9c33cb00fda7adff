//! The interpreter, end to end through the action-URL round trip: one test per step kind,
//! per condition operator, and for retries, schedules, templates and failures.

use crate::harness::*;
use switchboard::engine::{self, Config, Entry, Event, Params};

const MAIN: &str = "+14155550100";
const CALLER: &str = "+12025550143";

fn flow(steps: &str) -> String {
    format!(
        "numbers: [\"{MAIN}\"]\ntimezone: America/New_York\nstart: entry\nvars:\n  line: \"+14155550111\"\nsteps:\n{steps}"
    )
}

#[test]
fn say_then_hangup() {
    let set = load(&[("a.yaml", &flow("  entry:\n    say: \"Hello {{From}}.\"\n"))]);
    let mut call = Call::new(&set, CALLER, MAIN);
    let out = call.send(&[]);
    assert_eq!(
        out.twiml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hello +12025550143.</Say><Hangup /></Response>"#
    );
}

#[test]
fn voice_and_language_come_from_the_flow_unless_the_item_says_otherwise() {
    let yaml = format!(
        "voice: Polly.Joanna\nlanguage: en-US\n{}",
        flow(
            "  entry:\n    say:\n      - say: Hi\n      - say: Hola\n        voice: Polly.Lupe\n        language: es-US\n      - pause: 2\n      - play: https://cdn.example.com/a.mp3\n        loop: 2\n    next: hangup\n"
        )
    );
    let set = load(&[("a.yaml", &yaml)]);
    let out = Call::new(&set, CALLER, MAIN).send(&[]).twiml.clone();
    assert_eq!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say language="en-US" voice="Polly.Joanna">Hi</Say><Say language="es-US" voice="Polly.Lupe">Hola</Say><Pause length="2" /><Play loop="2">https://cdn.example.com/a.mp3</Play><Hangup /></Response>"#
    );
}

#[test]
fn play_pause_and_url_prompts() {
    let set = load(&[(
        "a.yaml",
        &flow(
            "  entry:\n    play: https://cdn.example.com/hello.mp3\n    next: p\n  p:\n    pause: 3\n    next: tones\n  tones:\n    play: { digits: ww12# }\n    next: url\n  url:\n    say: https://cdn.example.com/bye.wav\n",
        ),
    )]);
    let out = Call::new(&set, CALLER, MAIN).send(&[]).twiml.clone();
    assert!(out.contains("<Play>https://cdn.example.com/hello.mp3</Play><Pause length=\"3\" /><Play digits=\"ww12#\" /><Play>https://cdn.example.com/bye.wav</Play><Hangup />"), "{out}");
}

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

const MENU: &str = "  entry:\n    menu:\n      prompt: \"Sales 1, support 2.\"\n      options: { \"1\": sales, \"2\": support }\n      speech: { sales: sales }\n      attempts: 3\n      invalid: \"Not an option.\"\n      no_input: \"Nothing heard.\"\n      exhausted: operator\n  sales:\n    say: Sales\n  support:\n    say: Support\n  operator:\n    say: Operator\n";

#[test]
fn menu_renders_a_gather_with_state_in_the_action() {
    let set = load(&[("acme.yaml", &flow(MENU))]);
    let mut call = Call::new(&set, CALLER, MAIN);
    let out = call.send(&[]);
    assert_eq!(
        out.twiml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/voice/acme/entry?k=m&amp;n=1" actionOnEmptyResult="true" hints="sales" input="dtmf speech" numDigits="1" timeout="5"><Say>Sales 1, support 2.</Say></Gather></Response>"#
    );
}

#[test]
fn menu_digits_and_speech_choose_options() {
    let set = load(&[("acme.yaml", &flow(MENU))]);
    let mut call = Call::new(&set, CALLER, MAIN);
    call.send(&[]);
    call.send(&[("Digits", "2")]);
    assert_eq!(call.path(), ["entry", "support"]);
    let mut call = Call::new(&set, CALLER, MAIN);
    call.send(&[]);
    call.send(&[("SpeechResult", "Sales, please.")]);
    assert_eq!(call.path(), ["entry", "sales"]);
}

#[test]
fn menu_walks_invalid_then_no_input_then_exhausted() {
    let set = load(&[("acme.yaml", &flow(MENU))]);
    let mut call = Call::new(&set, CALLER, MAIN);
    call.send(&[]);
    let out = call.send(&[("Digits", "7")]);
    assert_eq!(said(out), ["Not an option.", "Sales 1, support 2."]);
    assert!(out.twiml.contains("k=m&amp;n=2"), "{}", out.twiml);
    let out = call.send(&[]);
    assert_eq!(said(out), ["Nothing heard.", "Sales 1, support 2."]);
    assert!(out.twiml.contains("k=m&amp;n=3"), "{}", out.twiml);
    let out = call.send(&[("Digits", "")]);
    assert_eq!(said(out), ["Nothing heard.", "Operator"]);
    assert_eq!(call.path(), ["entry", "entry", "entry", "operator"]);
    assert!(
        call.transcript().contains("no valid answer after 3 tries"),
        "{}",
        call.transcript()
    );
}

#[test]
fn menu_without_exhausted_says_goodbye_and_hangs_up() {
    let set = load(&[(
        "acme.yaml",
        &flow(
            "  entry:\n    menu:\n      prompt: Pick\n      options: { \"1\": a }\n      attempts: 1\n  a:\n    say: A\n",
        ),
    )]);
    let mut call = Call::new(&set, CALLER, MAIN);
    call.send(&[]);
    let out = call.send(&[("Digits", "9")]);
    assert!(
        out.twiml
            .ends_with("<Say>Goodbye.</Say><Hangup /></Response>"),
        "{}",
        out.twiml
    );
}

#[test]
fn ask_validates_saves_and_retries() {
    let yaml = flow(
        "  entry:\n    ask:\n      prompt: Account number\n      digits: 6\n      pattern: '^(?P<region>\\d{2})\\d{4}$'\n      save_as: account\n      attempts: 2\n      invalid: Wrong\n      next: done\n      exhausted: hangup\n  done:\n    say: \"Account {{vars.account}} in region {{vars.region}}.\"\n",
    );
    let set = load(&[("acme.yaml", &yaml)]);
    let mut call = Call::new(&set, CALLER, MAIN);
    let out = call.send(&[]);
    assert!(out.twiml.contains("finishOnKey=\"#\""), "{}", out.twiml);
    assert!(out.twiml.contains("numDigits=\"6\""), "{}", out.twiml);
    let out = call.send(&[("Digits", "12ab")]);
    assert_eq!(said(out), ["Wrong", "Account number"]);
    let out = call.send(&[("Digits", "123456")]);
    assert_eq!(said(out), ["Account 123456 in region 12."]);
    // The variables travel in the URL: a later webhook still has them.
    assert!(call.transcript().contains("set vars.account = \"123456\""));
}

#[test]
fn ask_exhausted() {
    let yaml = flow(
        "  entry:\n    ask:\n      prompt: P\n      save_as: x\n      attempts: 1\n      next: hangup\n      exhausted: bye\n  bye:\n    say: Bye\n",
    );
    let set = load(&[("acme.yaml", &yaml)]);
    let mut call = Call::new(&set, CALLER, MAIN);
    call.send(&[]);
    call.send(&[]);
    assert_eq!(call.path(), ["entry", "bye"]);
}

#[test]
fn simultaneous_dial_with_caller_id_and_status_callbacks() {
    let yaml = flow(
        "  entry:\n    dial:\n      to: [\"{{vars.line}}\", \"sip:desk@pbx.example.com\", \"client:alice\"]\n      timeout: 20\n      caller_id: \"{{To}}\"\n      answer_on_bridge: true\n      record: true\n      on_fail: vm\n  vm:\n    record: { max_length: 60, next: hangup }\n",
    );
    let set = load(&[("acme.yaml", &yaml)]);
    let mut call = Call::new(&set, CALLER, MAIN);
    call.cfg.base_url = "https://ivr.example.com".into();
    let out = call.send(&[]);
    assert_eq!(
        out.twiml,
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial action="https://ivr.example.com/voice/acme/entry?k=d" answerOnBridge="true" callerId="+14155550100" record="record-from-answer" recordingStatusCallback="https://ivr.example.com/recording" timeout="20">"#,
            r#"<Number statusCallback="https://ivr.example.com/status" statusCallbackEvent="initiated ringing answered completed">+14155550111</Number>"#,
            r#"<Sip statusCallback="https://ivr.example.com/status" statusCallbackEvent="initiated ringing answered completed">sip:desk@pbx.example.com</Sip>"#,
            r#"<Client statusCallback="https://ivr.example.com/status" statusCallbackEvent="initiated ringing answered completed">alice</Client>"#,
            r#"</Dial></Response>"#
        )
    );
    let out = call.send(&[("DialCallStatus", "no-answer")]);
    assert!(
        out.twiml
            .contains("<Record action=\"https://ivr.example.com/voice/acme/vm?k=r\""),
        "{}",
        out.twiml
    );
}

#[test]
fn sequential_dial_rings_one_leg_per_webhook() {
    let yaml = flow(
        "  entry:\n    dial:\n      to: [\"+14155550111\", \"+14155550112\", \"+14155550113\"]\n      strategy: sequential\n      timeout: 15\n      on_busy: busy\n      on_fail: vm\n  busy:\n    say: Busy\n  vm:\n    say: VM\n",
    );
    let set = load(&[("acme.yaml", &yaml)]);
    let mut call = Call::new(&set, CALLER, MAIN);
    assert_eq!(dialed(call.send(&[])), ["+14155550111"]);
    assert_eq!(
        dialed(call.send(&[("DialCallStatus", "no-answer")])),
        ["+14155550112"]
    );
    assert_eq!(
        dialed(call.send(&[("DialCallStatus", "failed")])),
        ["+14155550113"]
    );
    let out = call.send(&[("DialCallStatus", "busy")]);
    assert_eq!(said(out), ["Busy"]);
}

#[test]
fn dial_outcomes_branch() {
    let yaml = flow(
        "  entry:\n    dial:\n      to: \"+14155550111\"\n      next: after\n      on_busy: busy\n      on_no_answer: na\n      on_failed: failed\n  after:\n    say: After\n  busy:\n    say: Busy\n  na:\n    say: NA\n  failed:\n    say: Failed\n",
    );
    let set = load(&[("acme.yaml", &yaml)]);
    for (status, want) in [
        ("completed", "After"),
        ("busy", "Busy"),
        ("no-answer", "NA"),
        ("failed", "Failed"),
        ("canceled", "Failed"),
    ] {
        let mut call = Call::new(&set, CALLER, MAIN);
        call.send(&[]);
        let out = call.send(&[("DialCallStatus", status)]);
        assert_eq!(said(out), [want], "{status}");
    }
    // The caller hung up during the bridged call: nothing more to say.
    let mut call = Call::new(&set, CALLER, MAIN);
    call.send(&[]);
    let out = call.send(&[("DialCallStatus", "completed"), ("CallStatus", "completed")]);
    assert!(
        out.twiml.ends_with("<Response><Hangup /></Response>"),
        "{}",
        out.twiml
    );
}

#[test]
fn dynamic_dial_target_that_renders_to_nonsense_fails_safe() {
    let yaml = format!(
        "on_error: sorry\n{}",
        flow(
            "  entry:\n    set: { who: \"{{Digits}}\" }\n    next: d\n  d:\n    dial:\n      to: \"{{vars.who}}\"\n  sorry:\n    say: Transferring you to voicemail.\n"
        )
    );
    let set = load(&[("acme.yaml", &yaml)]);
    let mut call = Call::new(&set, CALLER, MAIN);
    call.base.push(("Digits".into(), "not a number".into()));
    let out = call.send(&[]);
    assert!(out.failed);
    assert_eq!(
        said(out),
        [
            "We're sorry, an application error has occurred.",
            "Transferring you to voicemail."
        ]
    );
}

#[test]
fn record_step() {
    let yaml = flow(
        "  entry:\n    record:\n      prompt: Leave a message.\n      max_length: 120\n      finish_on_key: \"#\"\n      beep: true\n      transcribe: true\n      trim: true\n      next: thanks\n  thanks:\n    say: \"Got {{RecordingDuration}} seconds.\"\n",
    );
    let set = load(&[("acme.yaml", &yaml)]);
    let mut call = Call::new(&set, CALLER, MAIN);
    let out = call.send(&[]);
    assert_eq!(
        out.twiml,
        r##"<?xml version="1.0" encoding="UTF-8"?><Response><Say>Leave a message.</Say><Record action="/voice/acme/entry?k=r" finishOnKey="#" maxLength="120" playBeep="true" recordingStatusCallback="/recording" recordingStatusCallbackEvent="completed absent" transcribe="true" trim="trim-silence" /><Redirect>/voice/acme/entry?k=r</Redirect></Response>"##
    );
    let out = call.send(&[
        ("RecordingDuration", "23"),
        ("RecordingUrl", "https://api.twilio.com/x"),
    ]);
    assert_eq!(said(out), ["Got 23 seconds."]);
}

#[test]
fn enqueue_and_conference() {
    let yaml = flow(
        "  entry:\n    enqueue: { queue: support, wait_url: /hold.xml, next: after }\n  after:\n    route:\n      - if: { QueueResult: bridged }\n        goto: hangup\n      - goto: conf\n  conf:\n    conference:\n      room: standup\n      start_on_enter: true\n      end_on_exit: false\n      beep: onEnter\n      max_participants: 10\n",
    );
    let set = load(&[("acme.yaml", &yaml)]);
    let mut call = Call::new(&set, CALLER, MAIN);
    let out = call.send(&[]);
    assert!(
        out.twiml.contains(
            r#"<Enqueue action="/voice/acme/entry?k=q" waitUrl="/hold.xml">support</Enqueue>"#
        ),
        "{}",
        out.twiml
    );
    let out = call.send(&[("QueueResult", "hangup")]);
    assert!(
        out.twiml.contains(r#"<Dial action="/voice/acme/conf?k=c"><Conference beep="onEnter" endConferenceOnExit="false" maxParticipants="10" startConferenceOnEnter="true">standup</Conference></Dial>"#),
        "{}",
        out.twiml
    );
}

#[test]
fn redirect_to_another_flow_and_to_a_url() {
    let a = flow(
        "  entry:\n    set: { from_a: \"yes\" }\n    next: go\n  go:\n    redirect: { flow: b }\n",
    );
    let b = "start: hello\nvars: { from_a: \"no\" }\nsteps:\n  hello:\n    say: \"b says {{vars.from_a}}\"\n    next: out\n  out:\n    redirect: { url: \"https://example.com/twiml?x=1\" }\n";
    let set = load(&[("a.yaml", &a), ("b.yaml", b)]);
    let mut call = Call::new(&set, CALLER, MAIN);
    let out = call.send(&[]);
    assert_eq!(said(out), ["b says yes"]);
    assert!(
        out.twiml
            .ends_with("<Redirect>https://example.com/twiml?x=1</Redirect></Response>"),
        "{}",
        out.twiml
    );
}

#[test]
fn reject_and_hangup_steps() {
    let set = load(&[("acme.yaml", &flow("  entry:\n    reject: busy\n"))]);
    let out = Call::new(&set, CALLER, MAIN).send(&[]).twiml.clone();
    assert!(out.ends_with("<Response><Reject reason=\"busy\" /></Response>"));
    let set = load(&[("acme.yaml", &flow("  entry:\n    hangup: true\n"))]);
    let out = Call::new(&set, CALLER, MAIN).send(&[]).twiml.clone();
    assert!(out.ends_with("<Response><Hangup /></Response>"));
}

#[test]
fn number_lookup_exact_prefix_default_and_reject() {
    let exact = "numbers: [\"+14155550100\"]\nstart: s\nsteps:\n  s:\n    say: exact\n";
    let prefix = "numbers: [\"+1415555*\"]\nstart: s\nsteps:\n  s:\n    say: prefix\n";
    let shorter = "numbers: [\"+1415*\", \"sip:desk@pbx.example.com\"]\nstart: s\nsteps:\n  s:\n    say: shorter\n";
    let dflt = "default: true\nstart: s\nsteps:\n  s:\n    say: default\n";
    let set = load(&[
        ("a.yaml", exact),
        ("b.yaml", prefix),
        ("c.yaml", shorter),
        ("d.yaml", dflt),
    ]);
    for (to, want) in [
        ("+14155550100", "exact"),
        ("+14155550199", "prefix"),
        ("+14150000000", "shorter"),
        ("sip:desk@pbx.example.com", "shorter"),
        ("+442071234567", "default"),
    ] {
        let out = Call::new(&set, CALLER, to).send(&[]).clone();
        assert_eq!(said(&out), [want], "{to}");
    }
    let set = load(&[("a.yaml", exact)]);
    let out = Call::new(&set, CALLER, "+19998887777")
        .send(&[])
        .twiml
        .clone();
    assert_eq!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Reject /></Response>"#
    );
}

#[test]
fn templates_with_hostile_values_cannot_change_the_document() {
    let yaml = flow(
        "  entry:\n    say: \"You said {{SpeechResult}} from {{FromCity}}.\"\n    next: d\n  d:\n    dial:\n      to: \"+14155550111\"\n      caller_id: \"{{CallerName}}\"\n",
    );
    let set = load(&[("acme.yaml", &yaml)]);
    let hostile = [
        "</Say><Dial>+1900</Dial><Say>",
        "& < > \" '",
        "bell\u{7}null\u{0}esc\u{1b}ffff\u{FFFF}",
        "]]><!-- <?xml?>",
        "line\nbreak\ttab",
    ];
    for h in hostile {
        let mut call = Call::new(&set, CALLER, MAIN);
        call.base.push(("SpeechResult".into(), h.into()));
        call.base.push(("FromCity".into(), h.into()));
        call.base.push(("CallerName".into(), h.into()));
        let out = call.send(&[]).clone();
        assert_eq!(
            structure(&out.twiml),
            ["Response", "Say", "Dial", "Number"],
            "{h:?}\n{}",
            out.twiml
        );
        let doc = roxmltree::Document::parse(&out.twiml).unwrap();
        let say = doc.descendants().find(|n| n.has_tag_name("Say")).unwrap();
        let expected: String = h.chars().filter(|c| !matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{FFFE}' | '\u{FFFF}')).collect();
        assert_eq!(
            say.text().unwrap(),
            format!("You said {expected} from {expected}.")
        );
    }
}

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
    assert!(loaded.is_ok());
    let mut call = Call::new(&loaded.set, CALLER, MAIN);
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
    assert!(renamed.is_ok());
    let params = Params::from_pairs(vec![
        ("Digits".into(), "1".into()),
        ("To".into(), MAIN.into()),
    ]);
    let out = engine::run(
        &renamed.set,
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
    // The flow is gone entirely: route by number again.
    let other = load(&[("other.yaml", &flow("  entry:\n    say: Other\n"))]);
    let out = engine::run(
        &other,
        &Config::default(),
        Entry::Continue {
            flow: &pending.0,
            step: &pending.1,
            query: &pending.2,
        },
        &params,
        call.now,
    );
    assert_eq!(said(&out), ["Other"]);
}

#[test]
fn schedules_route_by_local_time_across_dst() {
    let yaml = "numbers: [\"+14155550100\"]\ntimezone: America/New_York\nschedules:\n  office:\n    hours:\n      daily: \"09:00-17:00\"\n      fri: \"22:00-02:00\"\n    closed: [2026-12-25]\nstart: entry\nsteps:\n  entry:\n    route:\n      - if: { open: office }\n        goto: open\n      - goto: closed\n  open:\n    say: Open\n  closed:\n    say: Closed\n";
    let set = load(&[("acme.yaml", yaml)]);
    let check = |civil: &str, want: &str| {
        let mut call = Call::new(&set, CALLER, MAIN).at(at(civil, "America/New_York"));
        let out = call.send(&[]).clone();
        assert_eq!(said(&out), [want], "{civil}");
    };
    // The day clocks go back (2026-11-01) and forward (2026-03-08): still 09:00-17:00 local.
    check("2026-11-01T08:59", "Closed");
    check("2026-11-01T09:00", "Open");
    check("2026-11-01T16:59", "Open");
    check("2026-03-08T09:30", "Open");
    check("2026-03-08T17:00", "Closed");
    // Friday 22:00 to Saturday 02:00 spans midnight.
    check("2026-11-27T23:30", "Open");
    check("2026-11-28T01:59", "Open");
    check("2026-11-28T02:00", "Closed");
    // A holiday.
    check("2026-12-25T10:00", "Closed");
    // The same instant, as UTC, is what the server passes: 14:00Z is 09:00 in New York in winter.
    let mut call = Call::new(&set, CALLER, MAIN).at("2026-12-01T14:00:00Z".parse().unwrap());
    assert_eq!(said(call.send(&[])), ["Open"]);
    assert!(
        call.transcript().contains("office: open"),
        "{}",
        call.transcript()
    );
}

#[test]
fn shared_schedules_and_vars() {
    let shared = "vars: { operator: \"+14155550199\" }\nschedules:\n  office:\n    timezone: Europe/London\n    hours: { weekdays: \"09:00-17:00\" }\n";
    let a = "numbers: [\"+442071234567\"]\nstart: e\nsteps:\n  e:\n    route:\n      - if: { closed: office }\n        goto: d\n      - goto: hangup\n  d:\n    dial: { to: \"{{vars.operator}}\" }\n";
    let set = load(&[("_shared.yaml", shared), ("a.yaml", a)]);
    let mut call =
        Call::new(&set, CALLER, "+442071234567").at(at("2026-11-28T12:00", "Europe/London"));
    assert_eq!(dialed(call.send(&[])), ["+14155550199"]);
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
