//! Playing a document as Twilio does: verbs in order until one hands control back, and the
//! result parameters Twilio sends with the next webhook (`Digits`, `DialCallStatus`, …).

use crate::twiml::{DialNoun, Verb};

use super::input::{InputSource, Reply};
use super::setup::{Call, DialStatus};
use super::transcript::{Ending, Heard, Transcript};
use super::walk::{Request, Transport, seed, sid};

/// `Confidence` sent with every simulated speech result.
pub const SPEECH_CONFIDENCE: &str = "0.92";
/// What happens after a document has played.
pub(super) enum Follow {
    /// Twilio requests another URL.
    Next(Request),
    /// The call is over (as far as switchboard can follow it).
    End(Ending),
}

/// Plays a document as Twilio would: verbs in order until one hands control back.
///
/// `idx` is the index in `t.webhooks` of the webhook `verbs` came from, pushed by the loop
/// just before, so `t.webhooks[idx]` always exists. It records how far the document got
/// before the input source is asked, so a terminal prints what the caller heard first.
pub(super) fn follow(
    transport: &dyn Transport,
    call: &Call,
    verbs: &[Verb],
    idx: usize,
    t: &mut Transcript,
    dials: &mut usize,
    inputs: &mut dyn InputSource,
) -> Follow {
    let mut notes = Vec::new();
    for (i, verb) in verbs.iter().enumerate() {
        let request = |url: &str, result, input, notes| {
            Follow::Next(Request {
                url: url.to_string(),
                result,
                input,
                notes,
            })
        };
        match verb {
            Verb::Say(_) | Verb::Play(_) | Verb::Pause(_) | Verb::Leave => {}
            Verb::Gather(g) => {
                let Some(action) = &g.action else { continue };
                t.webhooks[idx].played = i + 1;
                let waiting = transport.waiting(g, action);
                let reply = inputs.reply(&waiting, &t.webhooks);
                let entry = match reply {
                    Reply::HangUp => return Follow::End(Ending::CallerHungUp),
                    Reply::Exhausted => {
                        notes.push("no more scripted input: silence".to_string());
                        String::new()
                    }
                    Reply::Entry(e) => e,
                };
                let (result, heard) = gather_result(g, &entry, &mut notes);
                if heard == Heard::Silence && g.action_on_empty_result != Some(true) {
                    // Without actionOnEmptyResult, Twilio skips the action on silence and
                    // goes on with the next verb.
                    notes.push("silence: Twilio goes on to the next verb".to_string());
                    continue;
                }
                return request(action, result, Some(heard), notes);
            }
            Verb::Dial(d) => {
                let Some(action) = &d.action else {
                    t.webhooks[idx].played = i + 1;
                    continue;
                };
                t.webhooks[idx].played = i + 1;
                let conference = d.nouns.iter().any(|n| matches!(n, DialNoun::Conference(_)));
                if conference {
                    // Twilio requests the action when the caller leaves the room, with no
                    // dial result to report.
                    notes.push("left the conference".to_string());
                    return request(action, Vec::new(), None, notes);
                }
                let status = call
                    .dial
                    .get(*dials)
                    .or(call.dial.last())
                    .copied()
                    .unwrap_or(DialStatus::Completed);
                *dials += 1;
                let mut result = vec![("DialCallStatus".to_string(), status.as_str().to_string())];
                if status.answered() {
                    result.push((
                        "DialCallSid".to_string(),
                        sid("CA", &format!("{}|dial", seed(call)), *dials as u64),
                    ));
                    result.push((
                        "DialCallDuration".to_string(),
                        call.dial_seconds.to_string(),
                    ));
                }
                return request(action, result, None, notes);
            }
            Verb::Record(r) => {
                let Some(action) = &r.action else { continue };
                if call.record_seconds == 0 {
                    notes.push(
                        "empty recording: Twilio skips the action and goes on to the next verb"
                            .to_string(),
                    );
                    continue;
                }
                t.webhooks[idx].played = i + 1;
                let rec = sid("RE", &format!("{}|rec", seed(call)), idx as u64);
                let result = vec![
                    (
                        "RecordingUrl".to_string(),
                        format!(
                            "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000/Recordings/{rec}"
                        ),
                    ),
                    ("RecordingSid".to_string(), rec),
                    (
                        "RecordingDuration".to_string(),
                        call.record_seconds.to_string(),
                    ),
                ];
                return request(action, result, None, notes);
            }
            Verb::Enqueue(e) => {
                let Some(action) = &e.action else { continue };
                t.webhooks[idx].played = i + 1;
                let result = vec![
                    ("QueueResult".to_string(), call.queue_result.clone()),
                    ("QueueSid".to_string(), sid("QU", &e.name, 0)),
                    ("QueueTime".to_string(), "30".to_string()),
                ];
                return request(action, result, None, notes);
            }
            Verb::Redirect(r) => {
                t.webhooks[idx].played = i + 1;
                return request(&r.url, Vec::new(), None, notes);
            }
            Verb::Hangup => {
                t.webhooks[idx].played = i + 1;
                return Follow::End(Ending::HungUp);
            }
            Verb::Reject(r) => {
                t.webhooks[idx].played = i + 1;
                return Follow::End(Ending::Rejected(r.reason.clone()));
            }
        }
    }
    t.webhooks[idx].played = verbs.len();
    if !notes.is_empty() {
        t.webhooks[idx].notes.extend(notes);
    }
    Follow::End(Ending::DocumentEnded)
}

/// What Twilio sends back for `entry` typed or said at gather `g`: keys stop at the finish
/// key or after `numDigits`; input the gather does not listen for is not heard.
pub(crate) fn gather_result(
    g: &crate::twiml::Gather,
    entry: &str,
    notes: &mut Vec<String>,
) -> (Vec<(String, String)>, Heard) {
    let input = g.input.as_deref().unwrap_or("dtmf");
    let entry = entry.trim();
    if entry.is_empty() {
        return (Vec::new(), Heard::Silence);
    }
    let is_dtmf = entry
        .chars()
        .all(|c| c.is_ascii_digit() || c == '*' || c == '#');
    if is_dtmf {
        if !input.contains("dtmf") {
            notes.push(format!(
                "keys {entry:?} ignored: this gather listens for speech only"
            ));
            return (Vec::new(), Heard::Silence);
        }
        // `None` is Twilio's default `#`; `Some("")` turns the finish key off.
        let finish = match &g.finish_on_key {
            None => Some('#'),
            Some(k) => k.chars().next(),
        };
        let mut digits = String::new();
        let mut finished = None;
        let mut used = 0;
        for c in entry.chars() {
            used += 1;
            if Some(c) == finish {
                finished = Some(c);
                break;
            }
            digits.push(c);
            if g.num_digits
                .is_some_and(|n| digits.chars().count() >= n as usize)
            {
                break;
            }
        }
        if used < entry.chars().count() {
            let dropped: String = entry.chars().skip(used).collect();
            notes.push(format!(
                "input stopped after {used} key(s); {dropped:?} not sent"
            ));
        }
        let mut result = vec![("Digits".to_string(), digits.clone())];
        if let Some(f) = finished {
            result.push(("FinishedOnKey".to_string(), f.to_string()));
        }
        return (result, Heard::Pressed(digits));
    }
    if !input.contains("speech") {
        notes.push(format!(
            "speech {entry:?} ignored: this gather listens for keypresses only"
        ));
        return (Vec::new(), Heard::Silence);
    }
    (
        vec![
            ("SpeechResult".to_string(), entry.to_string()),
            ("Confidence".to_string(), SPEECH_CONFIDENCE.to_string()),
        ],
        Heard::Said(entry.to_string()),
    )
}
