//! Reading documents back, including everything the writer can produce.

use super::*;

fn rich_document() -> Response {
    let mut r = Response::new();
    r.push(Say {
        text: "Hello & <welcome> \"friend\"\n".into(),
        voice: Some("Polly.Joanna".into()),
        language: Some("en-US".into()),
        loop_count: Some(2),
    });
    r.push(Play {
        url: "https://x/a.mp3".into(),
        loop_count: Some(0),
        digits: Some("1w2".into()),
    });
    r.push(Pause { length: Some(3) });
    r.push(Gather {
        action: Some("/voice/acme/menu?k=m&n=1".into()),
        method: Some(Method::Post),
        input: Some("dtmf speech".into()),
        timeout: Some(5),
        finish_on_key: Some(String::new()),
        num_digits: Some(1),
        action_on_empty_result: Some(true),
        speech_timeout: Some("auto".into()),
        speech_model: Some("phone_call".into()),
        language: Some("en-GB".into()),
        hints: Some("sales, support".into()),
        profanity_filter: Some(false),
        children: vec![
            GatherChild::Say(Say {
                text: "Press 1".into(),
                ..Default::default()
            }),
            GatherChild::Play(Play {
                url: "https://x/b.mp3".into(),
                ..Default::default()
            }),
            GatherChild::Pause(Pause { length: None }),
        ],
    });
    r.push(Dial {
        action: Some("/voice/acme/d?k=d".into()),
        method: Some(Method::Get),
        timeout: Some(20),
        time_limit: Some(600),
        caller_id: Some("+14155550100".into()),
        answer_on_bridge: Some(true),
        hangup_on_star: Some(false),
        record: Some("record-from-answer-dual".into()),
        trim: Some("trim-silence".into()),
        recording_status_callback: Some("/recording".into()),
        recording_status_callback_method: Some(Method::Post),
        recording_status_callback_event: Some("completed".into()),
        ring_tone: Some("us".into()),
        sequential: Some(true),
        number: Some("+14155550111".into()),
        nouns: vec![
            DialNoun::Number(Number {
                number: "+14155550112".into(),
                send_digits: Some("ww1".into()),
                url: Some("/screen".into()),
                method: Some(Method::Post),
                status_callback: Some("/status".into()),
                status_callback_event: Some("initiated ringing".into()),
                status_callback_method: Some(Method::Post),
            }),
            DialNoun::Client(Client {
                identity: "alice".into(),
                ..Default::default()
            }),
            DialNoun::Client(Client {
                identity: "bob".into(),
                parameters: vec![("k".into(), "v & w".into())],
                ..Default::default()
            }),
            DialNoun::Sip(Sip {
                uri: "sip:a@b.example".into(),
                username: Some("u".into()),
                password: Some("p".into()),
                ..Default::default()
            }),
            DialNoun::Queue(Queue {
                name: "support".into(),
                url: Some("/about".into()),
                method: None,
            }),
        ],
    });
    r.push(Dial {
        nouns: vec![DialNoun::Conference(Conference {
            name: "room".into(),
            muted: Some(false),
            beep: Some("onEnter".into()),
            start_conference_on_enter: Some(true),
            end_conference_on_exit: Some(false),
            wait_url: Some(String::new()),
            wait_method: Some(Method::Get),
            max_participants: Some(10),
            record: Some("record-from-start".into()),
            trim: Some("do-not-trim".into()),
            status_callback: Some("/status".into()),
            status_callback_event: Some("start end".into()),
            status_callback_method: Some(Method::Post),
            recording_status_callback: Some("/recording".into()),
            recording_status_callback_event: Some("completed".into()),
            recording_status_callback_method: Some(Method::Post),
        })],
        ..Default::default()
    });
    r.push(Record {
        action: Some("/voice/acme/r?k=r".into()),
        method: Some(Method::Post),
        timeout: Some(5),
        finish_on_key: Some("#".into()),
        max_length: Some(120),
        play_beep: Some(true),
        trim: Some("trim-silence".into()),
        recording_status_callback: Some("/recording".into()),
        recording_status_callback_method: Some(Method::Post),
        recording_status_callback_event: Some("completed absent".into()),
        transcribe: Some(false),
        transcribe_callback: Some("/t".into()),
    });
    r.push(Enqueue {
        name: "support".into(),
        action: Some("/voice/acme/q?k=q".into()),
        method: Some(Method::Post),
        wait_url: Some("/hold".into()),
        wait_url_method: Some(Method::Get),
    });
    r.push(Redirect {
        url: "/voice/acme/next".into(),
        method: Some(Method::Post),
    });
    r.push(Verb::Leave);
    r.push(Verb::Hangup);
    r.push(Reject {
        reason: Some("busy".into()),
    });
    r
}

#[test]
fn what_the_serializer_writes_reads_back_the_same() {
    let doc = rich_document();
    let (read, notes) = read_twiml(&doc.to_xml()).expect("well-formed");
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(read, doc);
    let (empty, _) = read_twiml(&Response::new().to_xml()).expect("empty");
    assert!(empty.is_empty());
}

#[test]
fn foreign_twiml_is_read_with_notes_and_broken_twiml_refused() {
    let (r, notes) = read_twiml(
        "<Response><Say>Hi <break/>there</Say><Sms>x</Sms>\
         <Gather numDigits=\"one\"><Say>a</Say></Gather></Response>",
    )
    .expect("well-formed");
    assert_eq!(r.verbs.len(), 2);
    assert!(matches!(&r.verbs[0], Verb::Say(s) if s.text == "Hi there"));
    assert_eq!(notes.len(), 2, "{notes:?}");
    for bad in [
        "",
        "hello",
        "<Response><Say>unclosed</Response>",
        "<Document/>",
        "<!DOCTYPE r [<!ENTITY a \"aaaa\">]><Response/>",
    ] {
        assert!(read_twiml(bad).is_err(), "{bad}");
    }
}
