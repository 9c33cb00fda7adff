//! The TwiML writer (`switchboard::twiml`): any string in any slot gives a well-formed
//! document whose element structure is the model's (parsed back with roxmltree, an
//! independent parser), and reading the document with `read_twiml` and writing it again
//! gives the same document, up to XML's end-of-line normalization of text.

use proptest::prelude::*;
use switchboard::twiml::*;

use super::{check, hostile_string};
use crate::harness::structure;

/// Values to fill a document's slots from, in order (cycled when a document needs more).
#[derive(Debug, Clone)]
struct Fill {
    /// Which verb (and noun, child) comes next.
    shapes: Vec<u8>,
    /// Every string slot.
    strings: Vec<String>,
    /// Every number slot.
    nums: Vec<u32>,
    /// Whether each optional slot is set, and each flag's value.
    bits: Vec<bool>,
}

/// Draws from a [`Fill`] in order.
struct Draw<'f> {
    /// The values.
    fill: &'f Fill,
    /// How many of each kind were drawn.
    at: [usize; 4],
}

impl Draw<'_> {
    fn next<'v, T>(at: &mut usize, from: &'v [T]) -> Option<&'v T> {
        let v = from.get(*at % from.len().max(1));
        *at += 1;
        v
    }
    fn shape(&mut self, n: u8) -> u8 {
        Self::next(&mut self.at[0], &self.fill.shapes).map_or(0, |s| s % n)
    }
    fn s(&mut self) -> String {
        Self::next(&mut self.at[1], &self.fill.strings)
            .cloned()
            .unwrap_or_default()
    }
    fn bit(&mut self) -> bool {
        Self::next(&mut self.at[3], &self.fill.bits)
            .copied()
            .unwrap_or(false)
    }
    fn opt(&mut self) -> Option<String> {
        self.bit().then(|| self.s())
    }
    fn num(&mut self) -> Option<u32> {
        let n = Self::next(&mut self.at[2], &self.fill.nums)
            .copied()
            .unwrap_or(0);
        self.bit().then_some(n)
    }
    fn flag(&mut self) -> Option<bool> {
        self.bit().then(|| self.bit())
    }
    fn method(&mut self) -> Option<Method> {
        self.bit().then(|| {
            if self.bit() {
                Method::Get
            } else {
                Method::Post
            }
        })
    }

    fn say(&mut self) -> Say {
        Say {
            text: self.s(),
            voice: self.opt(),
            language: self.opt(),
            loop_count: self.num(),
        }
    }
    fn play(&mut self) -> Play {
        Play {
            url: self.s(),
            loop_count: self.num(),
            digits: self.opt(),
        }
    }
    fn gather(&mut self) -> Gather {
        let children = (0..self.shape(4))
            .map(|_| match self.shape(3) {
                0 => GatherChild::Say(self.say()),
                1 => GatherChild::Play(self.play()),
                _ => GatherChild::Pause(Pause { length: self.num() }),
            })
            .collect();
        Gather {
            action: self.opt(),
            method: self.method(),
            input: self.opt(),
            timeout: self.num(),
            finish_on_key: self.opt(),
            num_digits: self.num(),
            action_on_empty_result: self.flag(),
            speech_timeout: self.opt(),
            speech_model: self.opt(),
            language: self.opt(),
            hints: self.opt(),
            profanity_filter: self.flag(),
            children,
        }
    }
    fn noun(&mut self) -> DialNoun {
        match self.shape(5) {
            0 => DialNoun::Number(Number {
                number: self.s(),
                send_digits: self.opt(),
                url: self.opt(),
                method: self.method(),
                status_callback: self.opt(),
                status_callback_event: self.opt(),
                status_callback_method: self.method(),
            }),
            1 => DialNoun::Client(Client {
                identity: self.s(),
                parameters: (0..self.shape(3)).map(|_| (self.s(), self.s())).collect(),
                url: self.opt(),
                method: self.method(),
                status_callback: self.opt(),
                status_callback_event: self.opt(),
                status_callback_method: self.method(),
            }),
            2 => DialNoun::Sip(Sip {
                uri: self.s(),
                username: self.opt(),
                password: self.opt(),
                status_callback: self.opt(),
                status_callback_event: self.opt(),
                status_callback_method: self.method(),
            }),
            3 => DialNoun::Conference(Conference {
                name: self.s(),
                muted: self.flag(),
                beep: self.opt(),
                start_conference_on_enter: self.flag(),
                end_conference_on_exit: self.flag(),
                wait_url: self.opt(),
                wait_method: self.method(),
                max_participants: self.num(),
                record: self.opt(),
                trim: self.opt(),
                status_callback: self.opt(),
                status_callback_event: self.opt(),
                status_callback_method: self.method(),
                recording_status_callback: self.opt(),
                recording_status_callback_event: self.opt(),
                recording_status_callback_method: self.method(),
            }),
            _ => DialNoun::Queue(Queue {
                name: self.s(),
                url: self.opt(),
                method: self.method(),
            }),
        }
    }
    fn dial(&mut self) -> Dial {
        let nouns = (0..self.shape(4)).map(|_| self.noun()).collect();
        Dial {
            action: self.opt(),
            method: self.method(),
            timeout: self.num(),
            time_limit: self.num(),
            caller_id: self.opt(),
            answer_on_bridge: self.flag(),
            hangup_on_star: self.flag(),
            record: self.opt(),
            trim: self.opt(),
            recording_status_callback: self.opt(),
            recording_status_callback_method: self.method(),
            recording_status_callback_event: self.opt(),
            ring_tone: self.opt(),
            sequential: self.flag(),
            number: self.opt(),
            nouns,
        }
    }
    fn record(&mut self) -> Record {
        Record {
            action: self.opt(),
            method: self.method(),
            timeout: self.num(),
            finish_on_key: self.opt(),
            max_length: self.num(),
            play_beep: self.flag(),
            trim: self.opt(),
            recording_status_callback: self.opt(),
            recording_status_callback_method: self.method(),
            recording_status_callback_event: self.opt(),
            transcribe: self.flag(),
            transcribe_callback: self.opt(),
        }
    }
    fn verb(&mut self) -> Verb {
        match self.shape(11) {
            0 => Verb::Say(self.say()),
            1 => Verb::Play(self.play()),
            2 => Verb::Pause(Pause { length: self.num() }),
            3 => Verb::Gather(self.gather()),
            4 => Verb::Dial(self.dial()),
            5 => Verb::Record(self.record()),
            6 => Verb::Enqueue(Enqueue {
                name: self.s(),
                action: self.opt(),
                method: self.method(),
                wait_url: self.opt(),
                wait_url_method: self.method(),
            }),
            7 => Verb::Redirect(Redirect {
                url: self.s(),
                method: self.method(),
            }),
            8 => Verb::Hangup,
            9 => Verb::Reject(Reject { reason: self.opt() }),
            _ => Verb::Leave,
        }
    }
}

fn document() -> impl Strategy<Value = Response> {
    let fill = (
        proptest::collection::vec(any::<u8>(), 1..24),
        proptest::collection::vec(hostile_string(), 1..12),
        proptest::collection::vec(any::<u32>(), 1..4),
        proptest::collection::vec(any::<bool>(), 1..16),
        0usize..6,
    );
    fill.prop_map(|(shapes, strings, nums, bits, verbs)| {
        let fill = Fill {
            shapes,
            strings,
            nums,
            bits,
        };
        let mut draw = Draw {
            fill: &fill,
            at: [0; 4],
        };
        let mut r = Response::new();
        for _ in 0..verbs {
            r.push(draw.verb());
        }
        r
    })
}

/// The element names a parser should see, in document order, from the model alone.
fn expected_structure(r: &Response) -> Vec<String> {
    let mut out = vec!["Response".to_string()];
    let mut push = |s: &str| out.push(s.to_string());
    for v in &r.verbs {
        match v {
            Verb::Say(_) => push("Say"),
            Verb::Play(_) => push("Play"),
            Verb::Pause(_) => push("Pause"),
            Verb::Gather(g) => {
                push("Gather");
                for c in &g.children {
                    push(match c {
                        GatherChild::Say(_) => "Say",
                        GatherChild::Play(_) => "Play",
                        GatherChild::Pause(_) => "Pause",
                    });
                }
            }
            Verb::Dial(d) => {
                push("Dial");
                for n in &d.nouns {
                    match n {
                        DialNoun::Number(_) => push("Number"),
                        DialNoun::Client(c) => {
                            push("Client");
                            if !c.parameters.is_empty() {
                                // The identity moves into its own element when there are
                                // parameters, and is left out when nothing of it remains.
                                if !strip_forbidden(&c.identity).is_empty() {
                                    push("Identity");
                                }
                                c.parameters.iter().for_each(|_| push("Parameter"));
                            }
                        }
                        DialNoun::Sip(_) => push("Sip"),
                        DialNoun::Conference(_) => push("Conference"),
                        DialNoun::Queue(_) => push("Queue"),
                    }
                }
            }
            Verb::Record(_) => push("Record"),
            Verb::Enqueue(_) => push("Enqueue"),
            Verb::Redirect(_) => push("Redirect"),
            Verb::Hangup => push("Hangup"),
            Verb::Reject(_) => push("Reject"),
            Verb::Leave => push("Leave"),
        }
    }
    out
}

/// XML's end-of-line handling, which a parser applies to the raw CRs the writer leaves in
/// text (attributes carry them as `&#13;`, which survives).
fn eol(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

#[test]
fn any_string_in_any_slot_keeps_the_document_well_formed_and_its_structure() {
    let ran = check(document(), |r| {
        let xml = r.to_xml();
        // `structure` parses with roxmltree and fails on a malformed document.
        prop_assert_eq!(structure(&xml), expected_structure(&r), "{}", xml);
        Ok(())
    });
    assert!(ran > 0);
}

#[test]
fn reading_a_written_document_and_writing_it_again_gives_it_back() {
    let ran = check(document(), |r| {
        let xml = r.to_xml();
        let (read, notes) =
            read_twiml(&xml).map_err(|e| TestCaseError::fail(format!("{e}: {xml}")))?;
        prop_assert!(notes.is_empty(), "notes {notes:?} reading {xml}");
        let again = read.to_xml();
        prop_assert_eq!(eol(&again), eol(&xml));
        // And the model read back is a fixed point.
        let (twice, _) =
            read_twiml(&again).map_err(|e| TestCaseError::fail(format!("{e}: {again}")))?;
        prop_assert_eq!(twice, read);
        Ok(())
    });
    assert!(ran > 0);
}
