//! Golden serializations: byte for byte what twilio-python 9.13.0 writes (§5).

use super::*;

// ---- §5 golden serializations (twilio-python 9.13.0) ----

#[test]
fn golden_empty_response() {
    let r = Response::new();
    assert!(r.is_empty());
    assert_golden(
        &r.to_xml(),
        r#"<?xml version="1.0" encoding="UTF-8"?><Response />"#,
    );
}

#[test]
fn golden_say_and_hangup() {
    let mut r = Response::new();
    r.push(Say {
        text: "Thanks for calling Acme.".into(),
        voice: s("Polly.Joanna"),
        language: s("en-US"),
        ..Default::default()
    });
    r.push(Verb::Hangup);
    assert!(!r.is_empty());
    assert_golden(
        &r.to_xml(),
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say language="en-US" voice="Polly.Joanna">Thanks for calling Acme.</Say><Hangup /></Response>"#,
    );
}

#[test]
fn golden_dial_bare_number() {
    let out = doc(vec![
        Dial {
            number: s("+14155550111"),
            sequential: Some(true),
            ..Default::default()
        }
        .into(),
    ]);
    assert_golden(
        &out,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial sequential="true">+14155550111</Dial></Response>"#,
    );
}

#[test]
fn golden_reject() {
    let busy = doc(vec![Reject { reason: s("busy") }.into()]);
    assert_golden(
        &busy,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Reject reason="busy" /></Response>"#,
    );
    let plain = doc(vec![Reject::default().into()]);
    assert_golden(
        &plain,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Reject /></Response>"#,
    );
}

#[test]
fn golden_enqueue() {
    let out = doc(vec![
        Enqueue {
            name: "support".into(),
            wait_url: s("/voice/hold"),
            action: s("/voice/acme/queue/done"),
            wait_url_method: Some(Method::Get),
            ..Default::default()
        }
        .into(),
    ]);
    assert_golden(
        &out,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Enqueue action="/voice/acme/queue/done" waitUrl="/voice/hold" waitUrlMethod="GET">support</Enqueue></Response>"#,
    );
}

#[test]
fn golden_dial_conference() {
    let out = doc(vec![
        Dial {
            nouns: vec![
                Conference {
                    name: "acme-standup".into(),
                    start_conference_on_enter: Some(true),
                    end_conference_on_exit: Some(false),
                    beep: s("onEnter"),
                    wait_url: s(""),
                    max_participants: Some(10),
                    ..Default::default()
                }
                .into(),
            ],
            ..Default::default()
        }
        .into(),
    ]);
    assert_golden(
        &out,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Conference beep="onEnter" endConferenceOnExit="false" maxParticipants="10" startConferenceOnEnter="true" waitUrl="">acme-standup</Conference></Dial></Response>"#,
    );
}

#[test]
fn golden_play_digits_pause() {
    let out = doc(vec![
        Play {
            url: "https://cdn.example.com/tone.wav".into(),
            loop_count: Some(0),
            ..Default::default()
        }
        .into(),
        Play {
            digits: s("ww12#"),
            ..Default::default()
        }
        .into(),
        Pause { length: Some(2) }.into(),
    ]);
    assert_golden(
        &out,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Play loop="0">https://cdn.example.com/tone.wav</Play><Play digits="ww12#" /><Pause length="2" /></Response>"#,
    );
}

#[test]
fn golden_non_ascii_stays_raw() {
    let out = doc(vec![
        Say {
            text: "Café 🎉 naïve".into(),
            ..Default::default()
        }
        .into(),
    ]);
    assert_golden(
        &out,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say>Café 🎉 naïve</Say></Response>"#,
    );
}

#[test]
fn golden_text_escaping_and_empty_say() {
    let out = doc(vec![
        Say {
            text: r#"Caller said </Say><Dial>+1900</Dial> & "quoted" 'single' > done"#.into(),
            ..Default::default()
        }
        .into(),
        Say::default().into(),
    ]);
    assert_golden(
        &out,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say>Caller said &lt;/Say&gt;&lt;Dial&gt;+1900&lt;/Dial&gt; &amp; "quoted" 'single' &gt; done</Say><Say /></Response>"#,
    );
}

#[test]
fn golden_attribute_escaping() {
    let out = doc(vec![
        Gather {
            action: s("/a?q=\"x\"&n=<1>\n"),
            hints: s("a\tb"),
            ..Default::default()
        }
        .into(),
    ]);
    assert_golden(
        &out,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/a?q=&quot;x&quot;&amp;n=&lt;1&gt;&#10;" hints="a&#09;b" /></Response>"#,
    );
}

#[test]
fn golden_dial_client_and_sip() {
    let out = doc(vec![
        Dial {
            sequential: Some(true),
            timeout: Some(15),
            nouns: vec![
                Client {
                    identity: "alice".into(),
                    ..Default::default()
                }
                .into(),
                Client {
                    identity: "bob".into(),
                    parameters: vec![("ticket".into(), "42".into())],
                    ..Default::default()
                }
                .into(),
                Sip {
                    uri: "sip:desk@pbx.example.com;transport=tcp".into(),
                    username: s("switch"),
                    password: s("s3cret"),
                    ..Default::default()
                }
                .into(),
            ],
            ..Default::default()
        }
        .into(),
    ]);
    assert_golden(
        &out,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial sequential="true" timeout="15"><Client>alice</Client><Client><Identity>bob</Identity><Parameter name="ticket" value="42" /></Client><Sip password="s3cret" username="switch">sip:desk@pbx.example.com;transport=tcp</Sip></Dial></Response>"#,
    );
}

#[test]
fn golden_menu() {
    let mut r = Response::new();
    r.push(Gather {
        input: s("dtmf speech"),
        action: s("/voice/acme/menu?attempt=2&v.account=123456"),
        method: Some(Method::Post),
        num_digits: Some(1),
        timeout: Some(5),
        hints: s("sales, support"),
        action_on_empty_result: Some(true),
        finish_on_key: s(""),
        children: vec![
            Say {
                text: "Sales, press 1. Support, press 2.".into(),
                ..Default::default()
            }
            .into(),
            Pause { length: Some(1) }.into(),
            Play {
                url: "https://cdn.example.com/menu.mp3".into(),
                loop_count: Some(1),
                ..Default::default()
            }
            .into(),
        ],
        ..Default::default()
    });
    r.push(Say {
        text: "Sorry, I did not hear anything.".into(),
        ..Default::default()
    });
    r.push(Redirect {
        url: "/voice/acme/menu?attempt=3".into(),
        method: Some(Method::Post),
    });
    assert_golden(
        &r.to_xml(),
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/voice/acme/menu?attempt=2&amp;v.account=123456" actionOnEmptyResult="true" finishOnKey="" hints="sales, support" input="dtmf speech" method="POST" numDigits="1" timeout="5"><Say>Sales, press 1. Support, press 2.</Say><Pause length="1" /><Play loop="1">https://cdn.example.com/menu.mp3</Play></Gather><Say>Sorry, I did not hear anything.</Say><Redirect method="POST">/voice/acme/menu?attempt=3</Redirect></Response>"#,
    );
}

#[test]
fn golden_simultaneous_dial() {
    let out = doc(vec![
        Dial {
            action: s("/voice/acme/sales/done"),
            timeout: Some(20),
            caller_id: s("+14155550100"),
            answer_on_bridge: Some(true),
            record: s("record-from-answer-dual"),
            hangup_on_star: Some(false),
            nouns: vec![
                Number {
                    number: "+14155550111".into(),
                    status_callback: s("/voice/status"),
                    status_callback_event: s("initiated ringing answered completed"),
                    status_callback_method: Some(Method::Post),
                    ..Default::default()
                }
                .into(),
                Number {
                    number: "+14155550112".into(),
                    send_digits: s("ww1234#"),
                    ..Default::default()
                }
                .into(),
            ],
            ..Default::default()
        }
        .into(),
    ]);
    assert_golden(
        &out,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial action="/voice/acme/sales/done" answerOnBridge="true" callerId="+14155550100" hangupOnStar="false" record="record-from-answer-dual" timeout="20"><Number statusCallback="/voice/status" statusCallbackEvent="initiated ringing answered completed" statusCallbackMethod="POST">+14155550111</Number><Number sendDigits="ww1234#">+14155550112</Number></Dial></Response>"#,
    );
}

#[test]
fn golden_voicemail() {
    let out = doc(vec![
        Say {
            text: "Leave a message after the tone.".into(),
            ..Default::default()
        }
        .into(),
        Record {
            action: s("/voice/acme/voicemail/done"),
            max_length: Some(120),
            finish_on_key: s("#"),
            play_beep: Some(true),
            transcribe: Some(true),
            transcribe_callback: s("/voice/transcription"),
            trim: s("trim-silence"),
            recording_status_callback: s("/voice/recording"),
            recording_status_callback_event: s("completed absent"),
            ..Default::default()
        }
        .into(),
    ]);
    assert_golden(
        &out,
        r##"<?xml version="1.0" encoding="UTF-8"?><Response><Say>Leave a message after the tone.</Say><Record action="/voice/acme/voicemail/done" finishOnKey="#" maxLength="120" playBeep="true" recordingStatusCallback="/voice/recording" recordingStatusCallbackEvent="completed absent" transcribe="true" transcribeCallback="/voice/transcription" trim="trim-silence" /></Response>"##,
    );
}
