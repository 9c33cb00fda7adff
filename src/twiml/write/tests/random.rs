//! A randomized structure check: random models written and parsed back.

use super::*;

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
