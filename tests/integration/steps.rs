//! Each step kind and the TwiML it produces.

use crate::harness::*;

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
fn record_step() {
    let yaml = flow(
        "  entry:\n    record:\n      prompt: Leave a message.\n      max_length: 120\n      finish_on_key: \"#\"\n      beep: true\n      transcribe: true\n      trim: true\n      next: thanks\n  thanks:\n    say: \"Got {{RecordingDuration}} seconds.\"\n",
    );
    let set = load(&[("acme.yaml", &yaml)]);
    let mut call = Call::new(&set, CALLER, MAIN);
    let out = call.send(&[]);
    assert_eq!(
        out.twiml,
        r##"<?xml version="1.0" encoding="UTF-8"?><Response><Say>Leave a message.</Say><Record action="/voice/acme/entry?k=r" finishOnKey="#" maxLength="120" playBeep="true" recordingStatusCallback="/recording" recordingStatusCallbackEvent="completed absent" transcribe="true" transcribeCallback="/transcription" trim="trim-silence" /><Redirect>/voice/acme/entry?k=r</Redirect></Response>"##
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
    let b = "start: hello\nsteps:\n  hello:\n    say: \"b says {{vars.from_a}}\"\n    next: out\n  out:\n    redirect: { url: \"https://example.com/twiml?x=1\" }\n";
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
fn values_inside_urls_are_percent_encoded() {
    // Caller input in this step on purpose (`allow_caller_input`): the test is what the engine
    // does with it at run time.
    let yaml = flow(
        "  entry:\n    allow_caller_input: true\n    redirect: { url: \"{{vars.base}}/twiml?from={{From}}&said={{SpeechResult}}\" }\n",
    )
    .replace("vars:\n", "vars:\n  base: \"https://example.com/app\"\n");
    let set = load(&[("acme.yaml", &yaml)]);
    let mut call = Call::new(&set, CALLER, MAIN);
    call.base
        .push(("SpeechResult".into(), "yes&admin=1".into()));
    let out = call.send(&[]);
    assert!(
        out.twiml.contains("<Redirect>https://example.com/app/twiml?from=%2B12025550143&amp;said=yes%26admin%3D1</Redirect>"),
        "{}",
        out.twiml
    );
}

#[test]
fn built_in_phrases_use_the_flow_voice() {
    let yaml = format!(
        "voice: Polly.Amy\nlanguage: en-GB\n{}",
        flow(
            "  entry:\n    menu:\n      prompt: Pick\n      options: { \"1\": entry }\n      attempts: 1\n"
        )
    );
    let set = load(&[("acme.yaml", &yaml)]);
    let mut call = Call::new(&set, CALLER, MAIN);
    call.send(&[]);
    let out = call.send(&[("Digits", "9")]);
    assert!(
        out.twiml
            .contains(r#"<Say language="en-GB" voice="Polly.Amy">Goodbye.</Say>"#),
        "{}",
        out.twiml
    );
}
