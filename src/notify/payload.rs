//! What a notification says: the JSON a webhook channel receives (with a Slack-compatible
//! `text`), its signature, and the email's subject and body. One text, written once.

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::calls::outbox::Claimed;

/// The header carrying the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`.
pub const SIGNATURE_HEADER: &str = "x-switchboard-signature";
/// The header carrying the notification's id (the same on every attempt: receivers
/// deduplicate by it, delivery being at least once).
pub const ID_HEADER: &str = "x-switchboard-notification";

/// The JSON body of a webhook notification.
#[derive(Debug, Serialize)]
pub struct Body<'a> {
    /// The notification's id (stable across attempts).
    pub id: &'a str,
    /// `voicemail` or `missed_call`.
    pub event: &'a str,
    /// The flow and the step that raised it.
    pub flow: &'a str,
    /// The step.
    pub step: &'a str,
    /// The call.
    pub call_sid: &'a str,
    /// The caller (`From`).
    pub caller: Option<&'a str>,
    /// The dialed number (`To`).
    pub dialed: Option<&'a str>,
    /// When it happened, RFC 3339.
    pub at: String,
    /// The recording, for a voicemail.
    pub recording: Option<Recording<'a>>,
    /// The dial's outcome, for a missed call.
    pub dial_status: Option<&'a str>,
    /// The transcript, when it came in time.
    pub transcript: Option<&'a str>,
    /// One line for people; a Slack incoming webhook shows it as is.
    pub text: String,
}

/// A voicemail's recording.
#[derive(Debug, Serialize)]
pub struct Recording<'a> {
    /// `RecordingSid`.
    pub sid: Option<&'a str>,
    /// Where Twilio keeps it (may need the account's credentials to fetch).
    pub url: Option<&'a str>,
    /// Its length in seconds.
    pub duration: Option<i64>,
}

/// The body for a claimed notification.
pub fn body(n: &Claimed) -> Body<'_> {
    let e = &n.event;
    let voicemail = e.event == "voicemail";
    Body {
        id: &n.id,
        event: &e.event,
        flow: &e.flow,
        step: &e.step,
        call_sid: &e.call_sid,
        caller: e.caller.as_deref(),
        dialed: e.dialed.as_deref(),
        at: jiff::Timestamp::from_microsecond(e.at)
            .map(|t| t.to_string())
            .unwrap_or_default(),
        recording: voicemail.then_some(Recording {
            sid: e.recording_sid.as_deref(),
            url: e.recording_url.as_deref(),
            duration: e.recording_duration,
        }),
        dial_status: e.dial_status.as_deref(),
        transcript: n.transcript.as_deref(),
        text: text(n),
    }
}

/// One line (two with a transcript) for people.
pub fn text(n: &Claimed) -> String {
    let e = &n.event;
    let caller = e.caller.as_deref().unwrap_or("an unknown caller");
    let dialed = e.dialed.as_deref().unwrap_or("?");
    let mut s = if e.event == "voicemail" {
        let length = e
            .recording_duration
            .map_or(String::new(), |d| format!(" ({d} s)"));
        let url = e
            .recording_url
            .as_deref()
            .map_or(String::new(), |u| format!(": {u}"));
        format!(
            "New voicemail from {caller} to {dialed}{length}, {}/{}{url}",
            e.flow, e.step
        )
    } else {
        let status = e.dial_status.as_deref().unwrap_or("not answered");
        format!(
            "Missed call from {caller} to {dialed}: {status} at {}/{}",
            e.flow, e.step
        )
    };
    if let Some(t) = n.transcript.as_deref().filter(|t| !t.is_empty()) {
        s.push_str(&format!("\nTranscript: {t}"));
    }
    s
}

/// The email's subject.
pub fn subject(n: &Claimed) -> String {
    let e = &n.event;
    let caller = e.caller.as_deref().unwrap_or("an unknown caller");
    if e.event == "voicemail" {
        format!("Voicemail from {caller}")
    } else {
        format!("Missed call from {caller}")
    }
}

/// The email's body: the line, then the details.
pub fn email_body(n: &Claimed) -> String {
    let e = &n.event;
    let mut s = text(n);
    s.push_str("\n\n");
    s.push_str(&format!(
        "Call: {}\nFlow: {}/{}\n",
        e.call_sid, e.flow, e.step
    ));
    if let Ok(t) = jiff::Timestamp::from_microsecond(e.at) {
        s.push_str(&format!("At: {t}\n"));
    }
    if let Some(sid) = &e.recording_sid {
        s.push_str(&format!("Recording: {sid}\n"));
    }
    s.push_str(&format!("Notification: {}\n", n.id));
    s
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>.<body>")>`: the timestamp is signed with
/// the body, so a receiver that refuses old timestamps refuses a replayed request.
pub fn signature(key: &[u8], unix_seconds: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(unix_seconds.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={unix_seconds},v1={hex}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::outbox::Event;

    fn claimed(event: &str, transcript: Option<&str>) -> Claimed {
        Claimed {
            id: "webhook:x/voicemail/ops".into(),
            channel: "ops".into(),
            event: Event {
                event: event.into(),
                flow: "acme".into(),
                step: if event == "voicemail" {
                    "voicemail"
                } else {
                    "sales"
                }
                .into(),
                call_sid: "CA1".into(),
                caller: Some("+12025550143".into()),
                dialed: Some("+14155550100".into()),
                at: 1_780_000_000_000_000,
                recording_sid: Some("RE1".into()),
                recording_url: Some("https://api.twilio.com/r/RE1".into()),
                recording_duration: Some(14),
                dial_status: (event == "missed_call").then(|| "no-answer".into()),
            },
            attempts: 0,
            transcript: transcript.map(Into::into),
        }
    }

    #[test]
    fn the_text_says_what_happened() {
        assert_eq!(
            text(&claimed("voicemail", Some("call me back"))),
            "New voicemail from +12025550143 to +14155550100 (14 s), acme/voicemail: https://api.twilio.com/r/RE1\nTranscript: call me back"
        );
        assert_eq!(
            text(&claimed("missed_call", None)),
            "Missed call from +12025550143 to +14155550100: no-answer at acme/sales"
        );
        let json = serde_json::to_value(body(&claimed("voicemail", None))).unwrap();
        assert_eq!(json["recording"]["duration"], 14);
        assert_eq!(json["at"], "2026-05-28T20:26:40Z");
        assert!(json["transcript"].is_null());
    }

    #[test]
    fn the_signature_is_hmac_sha256_over_timestamp_and_body() {
        // Computed independently (openssl and Python agree): printf '1780000000.{"a":1}' | openssl dgst -sha256 -hmac key
        let sig = signature(b"key", 1_780_000_000, br#"{"a":1}"#);
        assert_eq!(
            sig,
            "t=1780000000,v1=9845db0840a66e525b8fa97bb5ddc0b426356132c25bd8cede278501a66b6c75"
        );
    }
}
