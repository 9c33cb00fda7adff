//! Golden serializations, escaping and structure tests for the writer.

use super::*;

const DECL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

fn doc(verbs: Vec<Verb>) -> String {
    Response { verbs }.to_xml()
}

fn assert_golden(actual: &str, expected: &str) {
    assert_eq!(
        actual, expected,
        "\nactual:   {actual}\nexpected: {expected}"
    );
    roxmltree::Document::parse(actual).expect("golden output parses");
}

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

// ---- smaller behaviours ----

#[test]
fn write_xml_appends_to_existing_buffer() {
    let mut r = Response::new();
    r.push(Verb::Leave);
    let mut out = String::from("prefix|");
    r.write_xml(&mut out);
    assert_eq!(out, format!("prefix|{DECL}<Response><Leave /></Response>"));
    assert!(!r.to_xml().ends_with('\n'));
}

#[test]
fn numbers_are_decimal() {
    for (n, want) in [
        (0, "0"),
        (7, "7"),
        (10, "10"),
        (1000, "1000"),
        (u32::MAX, "4294967295"),
    ] {
        let out = doc(vec![Pause { length: Some(n) }.into()]);
        assert_eq!(
            out,
            format!(r#"{DECL}<Response><Pause length="{want}" /></Response>"#)
        );
    }
}

#[test]
fn methods_and_defaults() {
    assert_eq!(Method::Get.as_str(), "GET");
    assert_eq!(Method::Post.as_str(), "POST");
    assert_eq!(Method::default(), Method::Post);
    let out = doc(vec![
        Redirect {
            url: "/x".into(),
            method: Some(Method::Get),
        }
        .into(),
    ]);
    assert_eq!(
        out,
        format!(r#"{DECL}<Response><Redirect method="GET">/x</Redirect></Response>"#)
    );
}

#[test]
fn empty_dial_and_gather_are_self_closing() {
    let out = doc(vec![
        Dial::default().into(),
        Gather {
            timeout: Some(3),
            ..Default::default()
        }
        .into(),
    ]);
    assert_eq!(
        out,
        format!(r#"{DECL}<Response><Dial /><Gather timeout="3" /></Response>"#)
    );
}

#[test]
fn client_parameters_without_identity_omit_identity() {
    let out = doc(vec![
        Dial {
            nouns: vec![
                Client {
                    identity: "\u{0}".into(),
                    parameters: vec![("a".into(), "b".into())],
                    ..Default::default()
                }
                .into(),
            ],
            ..Default::default()
        }
        .into(),
    ]);
    assert_eq!(
        out,
        format!(
            r#"{DECL}<Response><Dial><Client><Parameter name="a" value="b" /></Client></Dial></Response>"#
        )
    );
}

#[test]
fn strip_forbidden_borrows_clean_input() {
    assert!(matches!(
        strip_forbidden("plain é\t\n\r"),
        Cow::Borrowed("plain é\t\n\r")
    ));
    let stripped =
        strip_forbidden("a\u{0}b\u{7}c\u{b}\u{c}\u{1b}\u{1f}d\u{fffe}e\u{ffff}f\u{7f}\u{fffd}");
    assert!(matches!(stripped, Cow::Owned(_)));
    assert_eq!(stripped, "abcdef\u{7f}\u{fffd}");
    assert_eq!(strip_forbidden(""), "");
}

// ---- hostile values ----

/// What an XML parser reports for text we wrote: stripped, and with
/// line ends normalized. Text keeps CR raw, as twilio-python does; XML
/// parsers read it back as LF (roxmltree misses a CR that ends a text
/// node, so parsed text goes through this too).
fn parsed_text(input: &str) -> String {
    strip_forbidden(input)
        .replace("\r\n", "\n")
        .replace('\r', "\n")
}

fn element_children<'a, 'i>(node: roxmltree::Node<'a, 'i>) -> Vec<roxmltree::Node<'a, 'i>> {
    node.children().filter(|n| n.is_element()).collect()
}

fn text_of(node: roxmltree::Node<'_, '_>) -> String {
    node.children()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

const INJECTION: &str = "</Say><Dial>+1900</Dial>";

#[test]
fn hostile_text_cannot_change_structure() {
    let text = format!(
        "{INJECTION} & \"dq\" 'sq' \u{0}nul\u{7}bel\u{1b}esc\u{fffe}\u{ffff} nl\ntab\tcr\r end"
    );
    let out = doc(vec![
        Say {
            text: text.clone(),
            ..Default::default()
        }
        .into(),
    ]);
    assert_eq!(
        out,
        format!(
            "{DECL}<Response><Say>&lt;/Say&gt;&lt;Dial&gt;+1900&lt;/Dial&gt; &amp; \"dq\" 'sq' nulbelesc nl\ntab\tcr\r end</Say></Response>"
        )
    );
    let parsed = roxmltree::Document::parse(&out).expect("parses");
    let root = parsed.root_element();
    assert_eq!(root.tag_name().name(), "Response");
    let kids = element_children(root);
    assert_eq!(kids.len(), 1);
    assert_eq!(kids[0].tag_name().name(), "Say");
    assert!(element_children(kids[0]).is_empty());
    assert_eq!(text_of(kids[0]), parsed_text(&text));
    assert_eq!(
        text_of(kids[0]),
        "</Say><Dial>+1900</Dial> & \"dq\" 'sq' nulbelesc nl\ntab\tcr\n end"
    );
}

#[test]
fn hostile_attribute_cannot_change_structure() {
    let voice = format!("x\" {INJECTION}<Say a='1' b=\"2\"> & \u{0}\u{7}\u{1b}\u{fffe}\n\t\r");
    let out = doc(vec![
        Say {
            text: "hi".into(),
            voice: Some(voice.clone()),
            language: s("'\"'"),
            ..Default::default()
        }
        .into(),
    ]);
    assert_eq!(
        out,
        format!(
            "{DECL}<Response><Say language=\"'&quot;'\" voice=\"x&quot; &lt;/Say&gt;&lt;Dial&gt;+1900&lt;/Dial&gt;&lt;Say a='1' b=&quot;2&quot;&gt; &amp; &#10;&#09;&#13;\">hi</Say></Response>"
        )
    );
    let parsed = roxmltree::Document::parse(&out).expect("parses");
    let kids = element_children(parsed.root_element());
    assert_eq!(kids.len(), 1);
    let say = kids[0];
    assert_eq!(say.tag_name().name(), "Say");
    assert_eq!(say.attributes().len(), 2);
    // Character references survive attribute-value normalization, so
    // the value reads back exactly, newline, tab and CR included.
    assert_eq!(say.attribute("voice"), Some(&*strip_forbidden(&voice)));
    assert_eq!(say.attribute("language"), Some("'\"'"));
    assert_eq!(text_of(say), "hi");
}

#[test]
fn hostile_values_in_client_parameters_and_dial_number() {
    let out = doc(vec![
        Dial {
            number: Some(format!("+1{INJECTION}\u{0}")),
            nouns: vec![
                Client {
                    identity: format!("bob{INJECTION}"),
                    parameters: vec![("n\"/><Parameter name=\"x".into(), "v\u{1}&\n".into())],
                    ..Default::default()
                }
                .into(),
            ],
            ..Default::default()
        }
        .into(),
    ]);
    assert_eq!(
        out,
        format!(
            "{DECL}<Response><Dial>+1&lt;/Say&gt;&lt;Dial&gt;+1900&lt;/Dial&gt;<Client><Identity>bob&lt;/Say&gt;&lt;Dial&gt;+1900&lt;/Dial&gt;</Identity><Parameter name=\"n&quot;/&gt;&lt;Parameter name=&quot;x\" value=\"v&amp;&#10;\" /></Client></Dial></Response>"
        )
    );
    let parsed = roxmltree::Document::parse(&out).expect("parses");
    let dial = element_children(parsed.root_element())[0];
    assert_eq!(text_of(dial), format!("+1{INJECTION}"));
    let client = element_children(dial);
    assert_eq!(client.len(), 1);
    let parts = element_children(client[0]);
    let names: Vec<_> = parts.iter().map(|n| n.tag_name().name()).collect();
    assert_eq!(names, ["Identity", "Parameter"]);
    assert_eq!(parts[1].attribute("name"), Some("n\"/><Parameter name=\"x"));
    assert_eq!(parts[1].attribute("value"), Some("v&\n"));
}

#[test]
fn text_of_only_forbidden_characters_is_empty_element() {
    let out = doc(vec![
        Say {
            text: "\u{0}\u{7}\u{fffe}\u{ffff}".into(),
            voice: s("\u{1b}"),
            ..Default::default()
        }
        .into(),
    ]);
    assert_eq!(
        out,
        format!(r#"{DECL}<Response><Say voice="" /></Response>"#)
    );
}

// ---- attribute order ----

fn full_say() -> Say {
    Say {
        text: "t".into(),
        voice: s("v"),
        language: s("l"),
        loop_count: Some(1),
    }
}

fn full_play() -> Play {
    Play {
        url: "u".into(),
        loop_count: Some(1),
        digits: s("1"),
    }
}

fn full_gather(children: Vec<GatherChild>) -> Gather {
    Gather {
        action: s("a"),
        method: Some(Method::Get),
        input: s("dtmf"),
        timeout: Some(1),
        finish_on_key: s("#"),
        num_digits: Some(1),
        action_on_empty_result: Some(true),
        speech_timeout: s("auto"),
        speech_model: s("m"),
        language: s("l"),
        hints: s("h"),
        profanity_filter: Some(false),
        children,
    }
}

fn full_dial(nouns: Vec<DialNoun>) -> Dial {
    Dial {
        action: s("a"),
        method: Some(Method::Get),
        timeout: Some(1),
        time_limit: Some(2),
        caller_id: s("c"),
        answer_on_bridge: Some(true),
        hangup_on_star: Some(true),
        record: s("r"),
        trim: s("t"),
        recording_status_callback: s("rsc"),
        recording_status_callback_method: Some(Method::Get),
        recording_status_callback_event: s("completed"),
        ring_tone: s("us"),
        sequential: Some(true),
        number: None,
        nouns,
    }
}

fn full_number() -> Number {
    Number {
        number: "+1".into(),
        send_digits: s("1"),
        url: s("u"),
        method: Some(Method::Get),
        status_callback: s("sc"),
        status_callback_event: s("e"),
        status_callback_method: Some(Method::Get),
    }
}

fn full_client() -> Client {
    Client {
        identity: "id".into(),
        parameters: vec![("n".into(), "v".into())],
        url: s("u"),
        method: Some(Method::Get),
        status_callback: s("sc"),
        status_callback_event: s("e"),
        status_callback_method: Some(Method::Get),
    }
}

fn full_sip() -> Sip {
    Sip {
        uri: "sip:x".into(),
        username: s("u"),
        password: s("p"),
        status_callback: s("sc"),
        status_callback_event: s("e"),
        status_callback_method: Some(Method::Get),
    }
}

fn full_conference() -> Conference {
    Conference {
        name: "room".into(),
        muted: Some(true),
        beep: s("onExit"),
        start_conference_on_enter: Some(true),
        end_conference_on_exit: Some(true),
        wait_url: s("w"),
        wait_method: Some(Method::Get),
        max_participants: Some(3),
        record: s("r"),
        trim: s("t"),
        status_callback: s("sc"),
        status_callback_event: s("e"),
        status_callback_method: Some(Method::Get),
        recording_status_callback: s("rsc"),
        recording_status_callback_event: s("re"),
        recording_status_callback_method: Some(Method::Get),
    }
}

fn full_queue() -> Queue {
    Queue {
        name: "q".into(),
        url: s("u"),
        method: Some(Method::Get),
    }
}

fn full_record() -> Record {
    Record {
        action: s("a"),
        method: Some(Method::Get),
        timeout: Some(1),
        finish_on_key: s("#"),
        max_length: Some(2),
        play_beep: Some(true),
        trim: s("t"),
        recording_status_callback: s("rsc"),
        recording_status_callback_method: Some(Method::Get),
        recording_status_callback_event: s("re"),
        transcribe: Some(true),
        transcribe_callback: s("tc"),
    }
}

fn full_enqueue() -> Enqueue {
    Enqueue {
        name: "q".into(),
        action: s("a"),
        method: Some(Method::Get),
        wait_url: s("w"),
        wait_url_method: Some(Method::Get),
    }
}

#[test]
fn attributes_are_sorted_for_every_element_fully_populated() {
    let r = Response {
        verbs: vec![
            full_say().into(),
            full_play().into(),
            Pause { length: Some(1) }.into(),
            full_gather(vec![
                full_say().into(),
                full_play().into(),
                Pause { length: Some(1) }.into(),
            ])
            .into(),
            full_dial(vec![
                full_number().into(),
                full_client().into(),
                full_sip().into(),
                full_conference().into(),
                full_queue().into(),
            ])
            .into(),
            full_record().into(),
            full_enqueue().into(),
            Redirect {
                url: "u".into(),
                method: Some(Method::Get),
            }
            .into(),
            Verb::Hangup,
            Reject { reason: s("busy") }.into(),
            Verb::Leave,
        ],
    };
    let out = r.to_xml();
    let parsed = roxmltree::Document::parse(&out).expect("parses");
    // One entry per element type: how many attributes a fully populated
    // instance must carry, so a forgotten field fails here too.
    let expected: &[(&str, usize)] = &[
        ("Response", 0),
        ("Say", 3),
        ("Play", 2),
        ("Pause", 1),
        ("Gather", 12),
        ("Dial", 14),
        ("Number", 6),
        ("Client", 5),
        ("Identity", 0),
        ("Parameter", 2),
        ("Sip", 5),
        ("Conference", 15),
        ("Queue", 2),
        ("Record", 12),
        ("Enqueue", 4),
        ("Redirect", 1),
        ("Hangup", 0),
        ("Reject", 1),
        ("Leave", 0),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for node in parsed.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        let names: Vec<&str> = node.attributes().map(|a| a.name()).collect();
        assert!(
            names.windows(2).all(|w| w[0].as_bytes() < w[1].as_bytes()),
            "<{name}> attributes not sorted: {names:?}"
        );
        let want = expected
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| *c)
            .unwrap_or_else(|| panic!("unexpected element <{name}>"));
        assert_eq!(names.len(), want, "<{name}> attributes: {names:?}");
        seen.insert(name);
    }
    assert_eq!(seen.len(), expected.len(), "saw only {seen:?}");
}

// ---- randomized structure check ----

/// Deterministic xorshift64* so failures reproduce without a crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn string(&mut self) -> String {
        const PIECES: &[&str] = &[
            "<",
            ">",
            "&",
            "\"",
            "'",
            "/",
            "=",
            " ",
            "]]>",
            "<!--",
            "-->",
            "<![CDATA[",
            "&amp;",
            "&#0;",
            "&#x1;",
            "<Say>",
            "</Say>",
            "<Dial>+1900</Dial>",
            "/>",
            "\u{0}",
            "\u{1}",
            "\u{7}",
            "\u{8}",
            "\u{b}",
            "\u{c}",
            "\u{e}",
            "\u{1b}",
            "\u{1f}",
            "\u{7f}",
            "\u{85}",
            "\u{2028}",
            "\u{fffd}",
            "\u{fffe}",
            "\u{ffff}",
            "\n",
            "\t",
            "\r",
            "\r\n",
            "a",
            "Z",
            "9",
            "é",
            "🎉",
            "ï",
        ];
        let len = self.below(12);
        let mut out = String::new();
        for _ in 0..len {
            if self.below(4) == 0 {
                // Any ASCII character, control characters included.
                out.push(char::from(self.below(128) as u8));
            } else {
                out.push_str(PIECES[self.below(PIECES.len())]);
            }
        }
        out
    }

    fn opt(&mut self) -> Option<String> {
        (self.below(8) != 0).then(|| self.string())
    }

    fn method(&mut self) -> Option<Method> {
        [None, Some(Method::Get), Some(Method::Post)][self.below(3)]
    }

    fn flag(&mut self) -> Option<bool> {
        [None, Some(true), Some(false)][self.below(3)]
    }

    fn num(&mut self) -> Option<u32> {
        (self.below(2) == 0).then(|| self.next() as u32)
    }
}

/// The tree a parser should see, built from the model independently of
/// the writer.
#[derive(Debug, PartialEq)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn new(name: &str) -> Self {
        Node {
            name: name.into(),
            attrs: Vec::new(),
            text: String::new(),
            children: Vec::new(),
        }
    }

    fn text(mut self, t: &str) -> Self {
        self.text = parsed_text(t);
        self
    }

    fn s(mut self, name: &str, v: &Option<String>) -> Self {
        if let Some(v) = v {
            self.attrs
                .push((name.into(), strip_forbidden(v).into_owned()));
        }
        self
    }

    fn m(mut self, name: &str, v: Option<Method>) -> Self {
        if let Some(v) = v {
            self.attrs.push((name.into(), v.as_str().into()));
        }
        self
    }

    fn b(mut self, name: &str, v: Option<bool>) -> Self {
        if let Some(v) = v {
            self.attrs.push((name.into(), v.to_string()));
        }
        self
    }

    fn n(mut self, name: &str, v: Option<u32>) -> Self {
        if let Some(v) = v {
            self.attrs.push((name.into(), v.to_string()));
        }
        self
    }

    fn child(mut self, c: Node) -> Self {
        self.children.push(c);
        self
    }

    fn from_parsed(node: roxmltree::Node<'_, '_>) -> Self {
        Node {
            name: node.tag_name().name().into(),
            attrs: node
                .attributes()
                .map(|a| (a.name().into(), a.value().into()))
                .collect(),
            text: parsed_text(&text_of(node)),
            children: element_children(node)
                .into_iter()
                .map(Node::from_parsed)
                .collect(),
        }
    }
}

fn expect_say(v: &Say) -> Node {
    Node::new("Say")
        .s("language", &v.language)
        .n("loop", v.loop_count)
        .s("voice", &v.voice)
        .text(&v.text)
}

fn expect_play(v: &Play) -> Node {
    Node::new("Play")
        .s("digits", &v.digits)
        .n("loop", v.loop_count)
        .text(&v.url)
}

fn expect_gather(g: &Gather) -> Node {
    let mut node = Node::new("Gather")
        .s("action", &g.action)
        .b("actionOnEmptyResult", g.action_on_empty_result)
        .s("finishOnKey", &g.finish_on_key)
        .s("hints", &g.hints)
        .s("input", &g.input)
        .s("language", &g.language)
        .m("method", g.method)
        .n("numDigits", g.num_digits)
        .b("profanityFilter", g.profanity_filter)
        .s("speechModel", &g.speech_model)
        .s("speechTimeout", &g.speech_timeout)
        .n("timeout", g.timeout);
    for c in &g.children {
        node = node.child(match c {
            GatherChild::Say(v) => expect_say(v),
            GatherChild::Play(v) => expect_play(v),
            GatherChild::Pause(v) => Node::new("Pause").n("length", v.length),
        });
    }
    node
}

fn expect_noun(noun: &DialNoun) -> Node {
    match noun {
        DialNoun::Number(v) => Node::new("Number")
            .m("method", v.method)
            .s("sendDigits", &v.send_digits)
            .s("statusCallback", &v.status_callback)
            .s("statusCallbackEvent", &v.status_callback_event)
            .m("statusCallbackMethod", v.status_callback_method)
            .s("url", &v.url)
            .text(&v.number),
        DialNoun::Client(v) => {
            let mut node = Node::new("Client")
                .m("method", v.method)
                .s("statusCallback", &v.status_callback)
                .s("statusCallbackEvent", &v.status_callback_event)
                .m("statusCallbackMethod", v.status_callback_method)
                .s("url", &v.url);
            if v.parameters.is_empty() {
                node = node.text(&v.identity);
            } else {
                if !strip_forbidden(&v.identity).is_empty() {
                    node = node.child(Node::new("Identity").text(&v.identity));
                }
                for (name, value) in &v.parameters {
                    node = node.child(
                        Node::new("Parameter")
                            .s("name", &Some(name.clone()))
                            .s("value", &Some(value.clone())),
                    );
                }
            }
            node
        }
        DialNoun::Sip(v) => Node::new("Sip")
            .s("password", &v.password)
            .s("statusCallback", &v.status_callback)
            .s("statusCallbackEvent", &v.status_callback_event)
            .m("statusCallbackMethod", v.status_callback_method)
            .s("username", &v.username)
            .text(&v.uri),
        DialNoun::Conference(v) => Node::new("Conference")
            .s("beep", &v.beep)
            .b("endConferenceOnExit", v.end_conference_on_exit)
            .n("maxParticipants", v.max_participants)
            .b("muted", v.muted)
            .s("record", &v.record)
            .s("recordingStatusCallback", &v.recording_status_callback)
            .s(
                "recordingStatusCallbackEvent",
                &v.recording_status_callback_event,
            )
            .m(
                "recordingStatusCallbackMethod",
                v.recording_status_callback_method,
            )
            .b("startConferenceOnEnter", v.start_conference_on_enter)
            .s("statusCallback", &v.status_callback)
            .s("statusCallbackEvent", &v.status_callback_event)
            .m("statusCallbackMethod", v.status_callback_method)
            .s("trim", &v.trim)
            .m("waitMethod", v.wait_method)
            .s("waitUrl", &v.wait_url)
            .text(&v.name),
        DialNoun::Queue(v) => Node::new("Queue")
            .m("method", v.method)
            .s("url", &v.url)
            .text(&v.name),
    }
}

fn expect_dial(d: &Dial) -> Node {
    let mut node = Node::new("Dial")
        .s("action", &d.action)
        .b("answerOnBridge", d.answer_on_bridge)
        .s("callerId", &d.caller_id)
        .b("hangupOnStar", d.hangup_on_star)
        .m("method", d.method)
        .s("record", &d.record)
        .s("recordingStatusCallback", &d.recording_status_callback)
        .s(
            "recordingStatusCallbackEvent",
            &d.recording_status_callback_event,
        )
        .m(
            "recordingStatusCallbackMethod",
            d.recording_status_callback_method,
        )
        .s("ringTone", &d.ring_tone)
        .b("sequential", d.sequential)
        .n("timeLimit", d.time_limit)
        .n("timeout", d.timeout)
        .s("trim", &d.trim)
        .text(d.number.as_deref().unwrap_or(""));
    for noun in &d.nouns {
        node = node.child(expect_noun(noun));
    }
    node
}

fn expect_record(r: &Record) -> Node {
    Node::new("Record")
        .s("action", &r.action)
        .s("finishOnKey", &r.finish_on_key)
        .n("maxLength", r.max_length)
        .m("method", r.method)
        .b("playBeep", r.play_beep)
        .s("recordingStatusCallback", &r.recording_status_callback)
        .s(
            "recordingStatusCallbackEvent",
            &r.recording_status_callback_event,
        )
        .m(
            "recordingStatusCallbackMethod",
            r.recording_status_callback_method,
        )
        .n("timeout", r.timeout)
        .b("transcribe", r.transcribe)
        .s("transcribeCallback", &r.transcribe_callback)
        .s("trim", &r.trim)
}

fn random_say(rng: &mut Rng) -> Say {
    Say {
        text: rng.string(),
        voice: rng.opt(),
        language: rng.opt(),
        loop_count: rng.num(),
    }
}

fn random_play(rng: &mut Rng) -> Play {
    Play {
        url: rng.string(),
        loop_count: rng.num(),
        digits: rng.opt(),
    }
}

fn random_gather(rng: &mut Rng) -> Gather {
    let mut children = Vec::new();
    for _ in 0..rng.below(4) {
        children.push(match rng.below(3) {
            0 => random_say(rng).into(),
            1 => random_play(rng).into(),
            _ => Pause { length: rng.num() }.into(),
        });
    }
    Gather {
        action: rng.opt(),
        method: rng.method(),
        input: rng.opt(),
        timeout: rng.num(),
        finish_on_key: rng.opt(),
        num_digits: rng.num(),
        action_on_empty_result: rng.flag(),
        speech_timeout: rng.opt(),
        speech_model: rng.opt(),
        language: rng.opt(),
        hints: rng.opt(),
        profanity_filter: rng.flag(),
        children,
    }
}

fn random_noun(rng: &mut Rng) -> DialNoun {
    match rng.below(5) {
        0 => Number {
            number: rng.string(),
            send_digits: rng.opt(),
            url: rng.opt(),
            method: rng.method(),
            status_callback: rng.opt(),
            status_callback_event: rng.opt(),
            status_callback_method: rng.method(),
        }
        .into(),
        1 => Client {
            identity: rng.string(),
            parameters: (0..rng.below(3))
                .map(|_| (rng.string(), rng.string()))
                .collect(),
            url: rng.opt(),
            method: rng.method(),
            status_callback: rng.opt(),
            status_callback_event: rng.opt(),
            status_callback_method: rng.method(),
        }
        .into(),
        2 => Sip {
            uri: rng.string(),
            username: rng.opt(),
            password: rng.opt(),
            status_callback: rng.opt(),
            status_callback_event: rng.opt(),
            status_callback_method: rng.method(),
        }
        .into(),
        3 => Conference {
            name: rng.string(),
            muted: rng.flag(),
            beep: rng.opt(),
            start_conference_on_enter: rng.flag(),
            end_conference_on_exit: rng.flag(),
            wait_url: rng.opt(),
            wait_method: rng.method(),
            max_participants: rng.num(),
            record: rng.opt(),
            trim: rng.opt(),
            status_callback: rng.opt(),
            status_callback_event: rng.opt(),
            status_callback_method: rng.method(),
            recording_status_callback: rng.opt(),
            recording_status_callback_event: rng.opt(),
            recording_status_callback_method: rng.method(),
        }
        .into(),
        _ => Queue {
            name: rng.string(),
            url: rng.opt(),
            method: rng.method(),
        }
        .into(),
    }
}

fn random_dial(rng: &mut Rng) -> Dial {
    Dial {
        action: rng.opt(),
        method: rng.method(),
        timeout: rng.num(),
        time_limit: rng.num(),
        caller_id: rng.opt(),
        answer_on_bridge: rng.flag(),
        hangup_on_star: rng.flag(),
        record: rng.opt(),
        trim: rng.opt(),
        recording_status_callback: rng.opt(),
        recording_status_callback_method: rng.method(),
        recording_status_callback_event: rng.opt(),
        ring_tone: rng.opt(),
        sequential: rng.flag(),
        number: rng.opt(),
        nouns: (0..rng.below(4)).map(|_| random_noun(rng)).collect(),
    }
}

fn random_record(rng: &mut Rng) -> Record {
    Record {
        action: rng.opt(),
        method: rng.method(),
        timeout: rng.num(),
        finish_on_key: rng.opt(),
        max_length: rng.num(),
        play_beep: rng.flag(),
        trim: rng.opt(),
        recording_status_callback: rng.opt(),
        recording_status_callback_method: rng.method(),
        recording_status_callback_event: rng.opt(),
        transcribe: rng.flag(),
        transcribe_callback: rng.opt(),
    }
}

#[test]
fn random_values_never_change_structure() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..3000 {
        let gather = random_gather(&mut rng);
        let dial = random_dial(&mut rng);
        let record = random_record(&mut rng);
        let say = random_say(&mut rng);
        let expected = Node::new("Response")
            .child(expect_gather(&gather))
            .child(expect_dial(&dial))
            .child(expect_record(&record))
            .child(expect_say(&say));
        let out = doc(vec![gather.into(), dial.into(), record.into(), say.into()]);
        assert!(out.starts_with(DECL));
        let parsed = roxmltree::Document::parse(&out)
            .unwrap_or_else(|e| panic!("round {round}: {e}\n{out}"));
        let actual = Node::from_parsed(parsed.root_element());
        assert_eq!(actual, expected, "round {round}\n{out}");
    }
}
