//! The TwiML serializer and its escaping: the only XML writer in switchboard.
//!
//! # Output format
//!
//! Documents are written byte-for-byte like twilio-python 9.13.0's
//! `VoiceResponse.to_xml()`, so the golden serializations in the protocol
//! reference (§5) can be compared as strings:
//!
//! - `<?xml version="1.0" encoding="UTF-8"?>` directly followed by the root,
//!   with no newline or indentation anywhere and no trailing newline;
//! - attributes sorted by name; `None` is omitted, `Some("")` is written;
//!   booleans are `true`/`false` and numbers are decimal;
//! - an element with neither text nor children is written `<Hangup />`;
//! - text escapes `&`, `<`, `>`; attribute values also escape `"` and write
//!   newline, tab and carriage return as `&#10;`, `&#09;`, `&#13;`;
//! - non-ASCII text stays raw UTF-8.
//!
//! Attributes are emitted in a fixed order per element that is already
//! sorted, so nothing is sorted at run time; a unit test proves the order for
//! every element type.
//!
//! # Security
//!
//! Unlike twilio-python, every string (text and attribute values) is first
//! stripped of the characters XML 1.0 forbids: C0 controls other than tab,
//! LF and CR, plus U+FFFE and U+FFFF. Together with the escaping this means
//! no caller-controlled value can make the document unparseable or change
//! its element structure. [`strip_forbidden`] exposes the same filter for
//! code that needs to sanitize values elsewhere (for example before logging
//! them next to the document).
//!
//! Documents are not size-checked here; the engine enforces
//! [`MAX_DOCUMENT_BYTES`].

use std::borrow::Cow;

use super::MAX_DOCUMENT_BYTES;
use super::model::*;

const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

impl Response {
    /// Serializes the whole document, declaration included.
    #[must_use]
    pub fn to_xml(&self) -> String {
        // A guess sized for typical IVR documents, so most writes never
        // reallocate; a wrong guess only costs a regrow.
        let capacity = DECLARATION
            .len()
            .saturating_add(24)
            .saturating_add(self.verbs.len().saturating_mul(160));
        let mut out = String::with_capacity(capacity.min(MAX_DOCUMENT_BYTES));
        self.write_xml(&mut out);
        out
    }

    /// Appends the whole document, declaration included, to `out`.
    pub fn write_xml(&self, out: &mut String) {
        out.push_str(DECLARATION);
        open(out, "Response");
        let body = close_start_tag(out);
        for verb in &self.verbs {
            verb.write(out);
        }
        end(out, "Response", body);
    }
}

impl Verb {
    fn write(&self, out: &mut String) {
        match self {
            Verb::Say(v) => v.write(out),
            Verb::Play(v) => v.write(out),
            Verb::Pause(v) => v.write(out),
            Verb::Gather(v) => v.write(out),
            Verb::Dial(v) => v.write(out),
            Verb::Record(v) => v.write(out),
            Verb::Enqueue(v) => v.write(out),
            Verb::Redirect(v) => v.write(out),
            Verb::Hangup => out.push_str("<Hangup />"),
            Verb::Reject(v) => v.write(out),
            Verb::Leave => out.push_str("<Leave />"),
        }
    }
}

impl Say {
    fn write(&self, out: &mut String) {
        open(out, "Say");
        attr(out, "language", &self.language);
        attr(out, "loop", &self.loop_count);
        attr(out, "voice", &self.voice);
        let body = close_start_tag(out);
        push_escaped(out, &self.text, false);
        end(out, "Say", body);
    }
}

impl Play {
    fn write(&self, out: &mut String) {
        open(out, "Play");
        attr(out, "digits", &self.digits);
        attr(out, "loop", &self.loop_count);
        let body = close_start_tag(out);
        push_escaped(out, &self.url, false);
        end(out, "Play", body);
    }
}

impl Pause {
    fn write(&self, out: &mut String) {
        open(out, "Pause");
        attr(out, "length", &self.length);
        let body = close_start_tag(out);
        end(out, "Pause", body);
    }
}

impl GatherChild {
    fn write(&self, out: &mut String) {
        match self {
            GatherChild::Say(v) => v.write(out),
            GatherChild::Play(v) => v.write(out),
            GatherChild::Pause(v) => v.write(out),
        }
    }
}

impl Gather {
    fn write(&self, out: &mut String) {
        open(out, "Gather");
        attr(out, "action", &self.action);
        attr(out, "actionOnEmptyResult", &self.action_on_empty_result);
        attr(out, "finishOnKey", &self.finish_on_key);
        attr(out, "hints", &self.hints);
        attr(out, "input", &self.input);
        attr(out, "language", &self.language);
        attr(out, "method", &self.method);
        attr(out, "numDigits", &self.num_digits);
        attr(out, "profanityFilter", &self.profanity_filter);
        attr(out, "speechModel", &self.speech_model);
        attr(out, "speechTimeout", &self.speech_timeout);
        attr(out, "timeout", &self.timeout);
        let body = close_start_tag(out);
        for child in &self.children {
            child.write(out);
        }
        end(out, "Gather", body);
    }
}

impl Dial {
    fn write(&self, out: &mut String) {
        open(out, "Dial");
        attr(out, "action", &self.action);
        attr(out, "answerOnBridge", &self.answer_on_bridge);
        attr(out, "callerId", &self.caller_id);
        attr(out, "hangupOnStar", &self.hangup_on_star);
        attr(out, "method", &self.method);
        attr(out, "record", &self.record);
        attr(
            out,
            "recordingStatusCallback",
            &self.recording_status_callback,
        );
        attr(
            out,
            "recordingStatusCallbackEvent",
            &self.recording_status_callback_event,
        );
        attr(
            out,
            "recordingStatusCallbackMethod",
            &self.recording_status_callback_method,
        );
        attr(out, "ringTone", &self.ring_tone);
        attr(out, "sequential", &self.sequential);
        attr(out, "timeLimit", &self.time_limit);
        attr(out, "timeout", &self.timeout);
        attr(out, "trim", &self.trim);
        let body = close_start_tag(out);
        if let Some(number) = &self.number {
            push_escaped(out, number, false);
        }
        for noun in &self.nouns {
            noun.write(out);
        }
        end(out, "Dial", body);
    }
}

impl DialNoun {
    fn write(&self, out: &mut String) {
        match self {
            DialNoun::Number(v) => v.write(out),
            DialNoun::Client(v) => v.write(out),
            DialNoun::Sip(v) => v.write(out),
            DialNoun::Conference(v) => v.write(out),
            DialNoun::Queue(v) => v.write(out),
        }
    }
}

impl Number {
    fn write(&self, out: &mut String) {
        open(out, "Number");
        attr(out, "method", &self.method);
        attr(out, "sendDigits", &self.send_digits);
        attr(out, "statusCallback", &self.status_callback);
        attr(out, "statusCallbackEvent", &self.status_callback_event);
        attr(out, "statusCallbackMethod", &self.status_callback_method);
        attr(out, "url", &self.url);
        let body = close_start_tag(out);
        push_escaped(out, &self.number, false);
        end(out, "Number", body);
    }
}

impl Client {
    fn write(&self, out: &mut String) {
        open(out, "Client");
        attr(out, "method", &self.method);
        attr(out, "statusCallback", &self.status_callback);
        attr(out, "statusCallbackEvent", &self.status_callback_event);
        attr(out, "statusCallbackMethod", &self.status_callback_method);
        attr(out, "url", &self.url);
        let body = close_start_tag(out);
        if self.parameters.is_empty() {
            push_escaped(out, &self.identity, false);
        } else {
            // An empty <Identity /> names no client; leave it out, as
            // twilio-python does when no identity is set.
            if has_text(&self.identity) {
                open(out, "Identity");
                let body = close_start_tag(out);
                push_escaped(out, &self.identity, false);
                end(out, "Identity", body);
            }
            for (name, value) in &self.parameters {
                out.push_str("<Parameter");
                write_attr(out, "name", name);
                write_attr(out, "value", value);
                out.push_str(" />");
            }
        }
        end(out, "Client", body);
    }
}

impl Sip {
    fn write(&self, out: &mut String) {
        open(out, "Sip");
        attr(out, "password", &self.password);
        attr(out, "statusCallback", &self.status_callback);
        attr(out, "statusCallbackEvent", &self.status_callback_event);
        attr(out, "statusCallbackMethod", &self.status_callback_method);
        attr(out, "username", &self.username);
        let body = close_start_tag(out);
        push_escaped(out, &self.uri, false);
        end(out, "Sip", body);
    }
}

impl Conference {
    fn write(&self, out: &mut String) {
        open(out, "Conference");
        attr(out, "beep", &self.beep);
        attr(out, "endConferenceOnExit", &self.end_conference_on_exit);
        attr(out, "maxParticipants", &self.max_participants);
        attr(out, "muted", &self.muted);
        attr(out, "record", &self.record);
        attr(
            out,
            "recordingStatusCallback",
            &self.recording_status_callback,
        );
        attr(
            out,
            "recordingStatusCallbackEvent",
            &self.recording_status_callback_event,
        );
        attr(
            out,
            "recordingStatusCallbackMethod",
            &self.recording_status_callback_method,
        );
        attr(
            out,
            "startConferenceOnEnter",
            &self.start_conference_on_enter,
        );
        attr(out, "statusCallback", &self.status_callback);
        attr(out, "statusCallbackEvent", &self.status_callback_event);
        attr(out, "statusCallbackMethod", &self.status_callback_method);
        attr(out, "trim", &self.trim);
        attr(out, "waitMethod", &self.wait_method);
        attr(out, "waitUrl", &self.wait_url);
        let body = close_start_tag(out);
        push_escaped(out, &self.name, false);
        end(out, "Conference", body);
    }
}

impl Queue {
    fn write(&self, out: &mut String) {
        open(out, "Queue");
        attr(out, "method", &self.method);
        attr(out, "url", &self.url);
        let body = close_start_tag(out);
        push_escaped(out, &self.name, false);
        end(out, "Queue", body);
    }
}

impl Record {
    fn write(&self, out: &mut String) {
        open(out, "Record");
        attr(out, "action", &self.action);
        attr(out, "finishOnKey", &self.finish_on_key);
        attr(out, "maxLength", &self.max_length);
        attr(out, "method", &self.method);
        attr(out, "playBeep", &self.play_beep);
        attr(
            out,
            "recordingStatusCallback",
            &self.recording_status_callback,
        );
        attr(
            out,
            "recordingStatusCallbackEvent",
            &self.recording_status_callback_event,
        );
        attr(
            out,
            "recordingStatusCallbackMethod",
            &self.recording_status_callback_method,
        );
        attr(out, "timeout", &self.timeout);
        attr(out, "transcribe", &self.transcribe);
        attr(out, "transcribeCallback", &self.transcribe_callback);
        attr(out, "trim", &self.trim);
        let body = close_start_tag(out);
        end(out, "Record", body);
    }
}

impl Enqueue {
    fn write(&self, out: &mut String) {
        open(out, "Enqueue");
        attr(out, "action", &self.action);
        attr(out, "method", &self.method);
        attr(out, "waitUrl", &self.wait_url);
        attr(out, "waitUrlMethod", &self.wait_url_method);
        let body = close_start_tag(out);
        push_escaped(out, &self.name, false);
        end(out, "Enqueue", body);
    }
}

impl Redirect {
    fn write(&self, out: &mut String) {
        open(out, "Redirect");
        attr(out, "method", &self.method);
        let body = close_start_tag(out);
        push_escaped(out, &self.url, false);
        end(out, "Redirect", body);
    }
}

impl Reject {
    fn write(&self, out: &mut String) {
        open(out, "Reject");
        attr(out, "reason", &self.reason);
        let body = close_start_tag(out);
        end(out, "Reject", body);
    }
}

/// Removes the characters XML 1.0 forbids (C0 controls other than tab, LF
/// and CR; U+FFFE; U+FFFF), borrowing when there are none.
///
/// The serializer applies the same filter to every string it writes; this
/// is exposed for code that must sanitize values outside a document.
#[must_use]
pub fn strip_forbidden(s: &str) -> Cow<'_, str> {
    if s.chars().any(is_forbidden) {
        Cow::Owned(s.chars().filter(|&c| !is_forbidden(c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

fn is_forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// True when `s` still has something to write after stripping.
fn has_text(s: &str) -> bool {
    s.chars().any(|c| !is_forbidden(c))
}

/// Starts `<name`; attributes follow, then [`close_start_tag`].
fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
}

/// Ends the start tag and returns where the element's content begins, so
/// [`end`] can tell whether anything was written inside.
fn close_start_tag(out: &mut String) -> usize {
    out.push('>');
    out.len()
}

/// Closes an element; if nothing was written since `body`, turns it into
/// the `<name />` form twilio-python uses for empty elements.
///
/// Deciding after the fact avoids scanning every text twice just to learn
/// whether stripping would leave it empty.
fn end(out: &mut String, name: &str, body: usize) {
    if out.len() == body {
        // The last byte is the '>' pushed by close_start_tag.
        out.pop();
        out.push_str(" />");
    } else {
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
}

/// A value that can appear in an attribute.
trait AttrValue {
    fn write_value(&self, out: &mut String);
}

impl AttrValue for String {
    fn write_value(&self, out: &mut String) {
        push_escaped(out, self, true);
    }
}

impl AttrValue for bool {
    fn write_value(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

impl AttrValue for Method {
    fn write_value(&self, out: &mut String) {
        out.push_str(self.as_str());
    }
}

impl AttrValue for u32 {
    fn write_value(&self, out: &mut String) {
        // Formatting by hand skips the fmt machinery and its Result, which
        // could never be an error for a String anyway.
        let mut digits = [0u8; 10];
        let mut n = *self;
        let mut len = 0;
        for slot in digits.iter_mut() {
            *slot = b'0' + (n % 10) as u8;
            len += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for &d in digits.iter().take(len).rev() {
            out.push(char::from(d));
        }
    }
}

/// Writes ` name="value"`, or nothing when the value is `None`.
fn attr<T: AttrValue>(out: &mut String, name: &str, value: &Option<T>) {
    if let Some(v) = value {
        write_attr(out, name, v);
    }
}

fn write_attr(out: &mut String, name: &str, value: &impl AttrValue) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    value.write_value(out);
    out.push('"');
}

/// `s` as the writer puts it in a document: in text, or in a double-quoted attribute value.
pub fn escaped(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s, attribute);
    out
}

/// Appends `s` stripped of forbidden characters and escaped for text
/// (`attribute == false`) or for a double-quoted attribute value.
///
/// Works on bytes because every character it acts on is ASCII except U+FFFE
/// and U+FFFF, and copies the untouched runs between them in one go.
fn push_escaped(out: &mut String, s: &str, attribute: bool) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let (replacement, skip) = match b {
            b'&' => ("&amp;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'"' if attribute => ("&quot;", 1),
            // Attribute-value normalization would turn raw whitespace into
            // spaces on parse; character references survive it.
            b'\n' if attribute => ("&#10;", 1),
            b'\t' if attribute => ("&#09;", 1),
            b'\r' if attribute => ("&#13;", 1),
            b'\n' | b'\t' | b'\r' => continue,
            0x00..=0x1f => ("", 1),
            // U+FFFE and U+FFFF are EF BF BE and EF BF BF in UTF-8.
            0xef if matches!(bytes.get(i + 1..i + 3), Some([0xbf, 0xbe | 0xbf])) => ("", 3),
            _ => continue,
        };
        // Both bounds sit at an ASCII byte or a UTF-8 lead byte, so these
        // slices are always on char boundaries; `get` keeps that a non-panic.
        out.push_str(s.get(start..i).unwrap_or_default());
        out.push_str(replacement);
        start = i + skip;
    }
    out.push_str(s.get(start..).unwrap_or_default());
}

#[cfg(test)]
mod tests;
