//! Reading TwiML: the inverse of the writer, for `switchboard call`, which follows the
//! documents a running server answers.
//!
//! Parsed with `roxmltree` (no DTDs, so no entity expansion); elements switchboard does not
//! write are skipped with a note instead of failing the read.

use roxmltree::Node;

use super::{
    Client, Conference, Dial, DialNoun, Enqueue, Gather, GatherChild, Method, Number, Pause, Play,
    Queue, Record, Redirect, Reject, Response, Say, Sip, Verb,
};
/// Reads a TwiML document into typed verbs, with notes about what was skipped (elements
/// switchboard does not model, unreadable attribute values).
///
/// # Errors
///
/// When the text is not well-formed XML (or has a DTD) or the root is not `<Response>`.
pub fn read_twiml(xml: &str) -> Result<(Response, Vec<String>), String> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| e.to_string())?;
    let root = doc.root_element();
    let name = root.tag_name().name();
    if name != "Response" {
        return Err(format!("the root element is <{name}>, not <Response>"));
    }
    let mut r = Reader::default();
    let mut resp = Response::new();
    for node in elements(root) {
        match node.tag_name().name() {
            "Say" => resp.push(r.say(node)),
            "Play" => resp.push(r.play(node)),
            "Pause" => resp.push(r.pause(node)),
            "Gather" => resp.push(r.gather(node)),
            "Dial" => resp.push(r.dial(node)),
            "Record" => resp.push(r.record(node)),
            "Enqueue" => resp.push(Enqueue {
                name: text(node),
                action: attr(node, "action"),
                method: r.method(node, "method"),
                wait_url: attr(node, "waitUrl"),
                wait_url_method: r.method(node, "waitUrlMethod"),
            }),
            "Redirect" => resp.push(Redirect {
                url: text(node),
                method: r.method(node, "method"),
            }),
            "Hangup" => resp.push(Verb::Hangup),
            "Reject" => resp.push(Reject {
                reason: attr(node, "reason"),
            }),
            "Leave" => resp.push(Verb::Leave),
            other => r.skip(other, "<Response>"),
        }
    }
    Ok((resp, r.notes))
}

/// Collects notes while reading one document.
#[derive(Default)]
struct Reader {
    /// What was skipped, and why.
    notes: Vec<String>,
}

impl Reader {
    fn skip(&mut self, element: &str, parent: &str) {
        self.notes.push(format!(
            "<{element}> in {parent} is not something switchboard writes; ignored"
        ));
    }

    fn bad(&mut self, node: Node<'_, '_>, name: &str, value: &str) {
        self.notes.push(format!(
            "<{} {name}={value:?}>: unreadable value; ignored",
            node.tag_name().name()
        ));
    }

    fn num(&mut self, node: Node<'_, '_>, name: &str) -> Option<u32> {
        let v = node.attribute(name)?;
        v.trim().parse().map_err(|_| self.bad(node, name, v)).ok()
    }

    fn flag(&mut self, node: Node<'_, '_>, name: &str) -> Option<bool> {
        match node.attribute(name)? {
            "true" => Some(true),
            "false" => Some(false),
            v => {
                self.bad(node, name, v);
                None
            }
        }
    }

    fn method(&mut self, node: Node<'_, '_>, name: &str) -> Option<Method> {
        let v = node.attribute(name)?;
        match v.to_ascii_uppercase().as_str() {
            "GET" => Some(Method::Get),
            "POST" => Some(Method::Post),
            _ => {
                self.bad(node, name, v);
                None
            }
        }
    }

    fn say(&mut self, node: Node<'_, '_>) -> Say {
        Say {
            text: text(node),
            voice: attr(node, "voice"),
            language: attr(node, "language"),
            loop_count: self.num(node, "loop"),
        }
    }

    fn play(&mut self, node: Node<'_, '_>) -> Play {
        Play {
            url: text(node),
            loop_count: self.num(node, "loop"),
            digits: attr(node, "digits"),
        }
    }

    fn pause(&mut self, node: Node<'_, '_>) -> Pause {
        Pause {
            length: self.num(node, "length"),
        }
    }

    fn gather(&mut self, node: Node<'_, '_>) -> Gather {
        let mut children = Vec::new();
        for c in elements(node) {
            match c.tag_name().name() {
                "Say" => children.push(GatherChild::Say(self.say(c))),
                "Play" => children.push(GatherChild::Play(self.play(c))),
                "Pause" => children.push(GatherChild::Pause(self.pause(c))),
                other => self.skip(other, "<Gather>"),
            }
        }
        Gather {
            action: attr(node, "action"),
            method: self.method(node, "method"),
            input: attr(node, "input"),
            timeout: self.num(node, "timeout"),
            finish_on_key: attr(node, "finishOnKey"),
            num_digits: self.num(node, "numDigits"),
            action_on_empty_result: self.flag(node, "actionOnEmptyResult"),
            speech_timeout: attr(node, "speechTimeout"),
            speech_model: attr(node, "speechModel"),
            language: attr(node, "language"),
            hints: attr(node, "hints"),
            profanity_filter: self.flag(node, "profanityFilter"),
            children,
        }
    }

    fn dial(&mut self, node: Node<'_, '_>) -> Dial {
        // A bare number is the element's own text, before any noun.
        let own: String = node
            .children()
            .filter(Node::is_text)
            .filter_map(|t| t.text())
            .collect();
        let mut nouns = Vec::new();
        for c in elements(node) {
            match c.tag_name().name() {
                "Number" => nouns.push(DialNoun::Number(Number {
                    number: text(c),
                    send_digits: attr(c, "sendDigits"),
                    url: attr(c, "url"),
                    method: self.method(c, "method"),
                    status_callback: attr(c, "statusCallback"),
                    status_callback_event: attr(c, "statusCallbackEvent"),
                    status_callback_method: self.method(c, "statusCallbackMethod"),
                })),
                "Client" => nouns.push(DialNoun::Client(self.client(c))),
                "Sip" => nouns.push(DialNoun::Sip(Sip {
                    uri: text(c),
                    username: attr(c, "username"),
                    password: attr(c, "password"),
                    status_callback: attr(c, "statusCallback"),
                    status_callback_event: attr(c, "statusCallbackEvent"),
                    status_callback_method: self.method(c, "statusCallbackMethod"),
                })),
                "Conference" => nouns.push(DialNoun::Conference(self.conference(c))),
                "Queue" => nouns.push(DialNoun::Queue(Queue {
                    name: text(c),
                    url: attr(c, "url"),
                    method: self.method(c, "method"),
                })),
                other => self.skip(other, "<Dial>"),
            }
        }
        Dial {
            action: attr(node, "action"),
            method: self.method(node, "method"),
            timeout: self.num(node, "timeout"),
            time_limit: self.num(node, "timeLimit"),
            caller_id: attr(node, "callerId"),
            answer_on_bridge: self.flag(node, "answerOnBridge"),
            hangup_on_star: self.flag(node, "hangupOnStar"),
            record: attr(node, "record"),
            trim: attr(node, "trim"),
            recording_status_callback: attr(node, "recordingStatusCallback"),
            recording_status_callback_method: self.method(node, "recordingStatusCallbackMethod"),
            recording_status_callback_event: attr(node, "recordingStatusCallbackEvent"),
            ring_tone: attr(node, "ringTone"),
            sequential: self.flag(node, "sequential"),
            number: (!own.is_empty()).then_some(own),
            nouns,
        }
    }

    fn client(&mut self, node: Node<'_, '_>) -> Client {
        let mut identity = None;
        let mut parameters = Vec::new();
        for c in elements(node) {
            match c.tag_name().name() {
                "Identity" => identity = Some(text(c)),
                "Parameter" => parameters.push((
                    attr(c, "name").unwrap_or_default(),
                    attr(c, "value").unwrap_or_default(),
                )),
                other => self.skip(other, "<Client>"),
            }
        }
        Client {
            // Without <Identity>, the identity is the element's own text.
            identity: identity.unwrap_or_else(|| {
                node.children()
                    .filter(Node::is_text)
                    .filter_map(|t| t.text())
                    .collect()
            }),
            parameters,
            url: attr(node, "url"),
            method: self.method(node, "method"),
            status_callback: attr(node, "statusCallback"),
            status_callback_event: attr(node, "statusCallbackEvent"),
            status_callback_method: self.method(node, "statusCallbackMethod"),
        }
    }

    fn conference(&mut self, c: Node<'_, '_>) -> Conference {
        Conference {
            name: text(c),
            muted: self.flag(c, "muted"),
            beep: attr(c, "beep"),
            start_conference_on_enter: self.flag(c, "startConferenceOnEnter"),
            end_conference_on_exit: self.flag(c, "endConferenceOnExit"),
            wait_url: attr(c, "waitUrl"),
            wait_method: self.method(c, "waitMethod"),
            max_participants: self.num(c, "maxParticipants"),
            record: attr(c, "record"),
            trim: attr(c, "trim"),
            status_callback: attr(c, "statusCallback"),
            status_callback_event: attr(c, "statusCallbackEvent"),
            status_callback_method: self.method(c, "statusCallbackMethod"),
            recording_status_callback: attr(c, "recordingStatusCallback"),
            recording_status_callback_event: attr(c, "recordingStatusCallbackEvent"),
            recording_status_callback_method: self.method(c, "recordingStatusCallbackMethod"),
        }
    }

    fn record(&mut self, node: Node<'_, '_>) -> Record {
        Record {
            action: attr(node, "action"),
            method: self.method(node, "method"),
            timeout: self.num(node, "timeout"),
            finish_on_key: attr(node, "finishOnKey"),
            max_length: self.num(node, "maxLength"),
            play_beep: self.flag(node, "playBeep"),
            trim: attr(node, "trim"),
            recording_status_callback: attr(node, "recordingStatusCallback"),
            recording_status_callback_method: self.method(node, "recordingStatusCallbackMethod"),
            recording_status_callback_event: attr(node, "recordingStatusCallbackEvent"),
            transcribe: self.flag(node, "transcribe"),
            transcribe_callback: attr(node, "transcribeCallback"),
        }
    }
}

/// The element children of a node.
fn elements<'a, 'i>(node: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(Node::is_element)
}

/// All the text inside an element (SSML children of `<Say>` included), as written.
fn text(node: Node<'_, '_>) -> String {
    node.descendants()
        .filter(Node::is_text)
        .filter_map(|t| t.text())
        .collect()
}

fn attr(node: Node<'_, '_>, name: &str) -> Option<String> {
    node.attribute(name).map(str::to_owned)
}

#[cfg(test)]
mod tests;
