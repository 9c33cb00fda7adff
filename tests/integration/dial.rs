//! Dial: simultaneous and sequential, caller id, callbacks, outcome branches.

use crate::harness::*;

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
    // Caller input in this step on purpose (`allow_caller_input`): the test is what the engine
    // does with it at run time.
    let yaml = format!(
        "on_error: sorry\n{}",
        flow(
            "  entry:\n    set: { who: \"{{Digits}}\" }\n    next: d\n  d:\n    allow_caller_input: true\n    dial:\n      to: \"{{vars.who}}\"\n  sorry:\n    say: Transferring you to voicemail.\n"
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
fn sequential_dial_stops_when_the_caller_hangs_up() {
    let yaml = flow(
        "  entry:\n    dial:\n      to: [\"+14155550111\", \"+14155550112\"]\n      strategy: sequential\n",
    );
    let set = load(&[("acme.yaml", &yaml)]);
    let mut call = Call::new(&set, CALLER, MAIN);
    call.send(&[]);
    let out = call.send(&[("DialCallStatus", "no-answer"), ("CallStatus", "completed")]);
    assert!(dialed(out).is_empty());
    assert!(
        out.twiml.ends_with("<Response><Hangup /></Response>"),
        "{}",
        out.twiml
    );
}
