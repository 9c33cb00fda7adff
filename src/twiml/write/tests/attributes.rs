//! Attributes are written sorted, for every element fully populated.

use super::*;

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
