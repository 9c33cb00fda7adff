//! What the store ingests: one [`Record`] per webhook or callback, with the key that makes
//! ingestion idempotent.
//!
//! Records are built on the request path from the decoded parameters (cheap: a few owned
//! strings; the trace is moved, not copied) and serialised to JSON only by the writer, off
//! the request path. The same JSON is what the spool holds, so a spooled record replays into
//! exactly the row it would have made.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::engine::{Event, trace_header};
use crate::form::Params;

/// One thing Twilio told us (or one thing the store decided, [`Body::Expired`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The dedupe key: a record with a key already stored is dropped ([`keys`](self)).
    pub key: String,
    /// The call leg it belongs to.
    pub call_sid: String,
    /// When it arrived, microseconds since the Unix epoch (the receiving replica's clock).
    pub at: i64,
    /// The replica that received it (`--replica`).
    pub replica: String,
    /// What it says.
    #[serde(flatten)]
    pub body: Body,
}

/// The kinds of record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Body {
    /// A call webhook (`/voice`, `/voice/{flow}/{step}`, `/fallback`) and how it was answered.
    Webhook(Box<Webhook>),
    /// A call status callback (`/status`).
    Status(Status),
    /// A recording status callback (`/recording`).
    Recording(Recording),
    /// A transcription callback (`/transcription`).
    Transcription(Transcription),
    /// The store closed a call that never got a final status (`--close-after`).
    Expired,
}

impl Body {
    /// The `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Body::Webhook(_) => "webhook",
            Body::Status(_) => "status",
            Body::Recording(_) => "recording",
            Body::Transcription(_) => "transcription",
            Body::Expired => "expired",
        }
    }
}

/// The call parameters every webhook and status callback carries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Leg {
    /// `AccountSid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_sid: Option<String>,
    /// `ParentCallSid` (child legs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_call_sid: Option<String>,
    /// `From`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// `To`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// `Direction`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    /// `CallStatus` as this request reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_status: Option<String>,
}

/// The parameters [`Leg`] keeps, by their Twilio names.
const LEG_PARAMS: &[&str] = &[
    "AccountSid",
    "ParentCallSid",
    "From",
    "To",
    "Direction",
    "CallStatus",
];

impl Leg {
    fn from_params(p: &Params) -> Leg {
        Leg {
            account_sid: owned(p, "AccountSid"),
            parent_call_sid: owned(p, "ParentCallSid"),
            from: owned(p, "From"),
            to: owned(p, "To"),
            direction: owned(p, "Direction"),
            call_status: owned(p, "CallStatus"),
        }
    }
}

/// A call webhook and the answer it got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    /// `voice`, `continue` or `fallback`.
    pub endpoint: String,
    /// The step the action URL named (`flow/step`), for continuations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed: Option<String>,
    /// The call's parameters.
    #[serde(flatten)]
    pub leg: Leg,
    /// The inputs it carried (`Digits`, `SpeechResult`, `DialCallStatus`, …; [`INPUTS`]),
    /// redacted where a sensitive ask heard them.
    #[serde(default)]
    pub inputs: BTreeMap<String, String>,
    /// The instant the engine used as "now", microseconds since the epoch.
    pub now: i64,
    /// How long the answer took, microseconds.
    pub latency_us: i64,
    /// The flow that answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<String>,
    /// The version of the flow set that answered: the first 12 hex digits of its digest.
    pub flow_version: String,
    /// The run failed and the caller heard the apology.
    #[serde(default)]
    pub failed: bool,
    /// Something was redacted (a sensitive ask).
    #[serde(default)]
    pub redacted: bool,
    /// The interpreter's trace, in `engine::trace_header`'s JSON per event.
    pub trace: Trace,
    /// Every other request parameter, as sent (`CallerName`, `FromCountry`, empty values
    /// of the names above, …), redacted as the inputs are: with the call parameters and
    /// the inputs, the whole request, so a replay hands the engine what it had (a flow may
    /// read any parameter). Empty in records written before replay existed.
    /// Packed ([`Params`]): two allocations for the whole list instead of two a pair on
    /// every webhook's request path; stored as a list of `[name, value]` pairs.
    #[serde(default, skip_serializing_if = "Params::is_empty")]
    pub params: Params,
    /// The TwiML document the caller got, with sensitive values replaced by
    /// [`REDACTED`](crate::engine::REDACTED). Empty in records written before replay
    /// existed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub twiml: String,
    /// The public base URL the document's URLs were written under (`--public-url`; empty
    /// for relative URLs): a replay writes its documents the same way.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub base_url: String,
    /// The apology the caller heard, when the run failed and the server's differs from the
    /// default (`--apology`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apology: Option<String>,
    /// The notifications the run raised (a voicemail, a missed call): the store writes
    /// their outbox rows in the transaction that stores this record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<Notice>,
}

/// A notification a run raised ([`crate::engine::Notice`]), as a record keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// `voicemail` or `missed_call`.
    pub kind: String,
    /// The flow.
    pub flow: String,
    /// The `record` or `dial` step.
    pub step: String,
    /// The channels to tell.
    pub channels: Vec<String>,
    /// The recording will be transcribed.
    #[serde(default)]
    pub transcribe: bool,
}

impl Webhook {
    /// The request's parameters as the engine saw them (redacted values stay redacted):
    /// `CallSid`, the call parameters, the inputs and the rest.
    pub fn request(&self, call_sid: &str) -> Vec<(String, String)> {
        let leg = &self.leg;
        let mut out = vec![("CallSid".to_string(), call_sid.to_string())];
        for (name, v) in LEG_PARAMS.iter().zip([
            &leg.account_sid,
            &leg.parent_call_sid,
            &leg.from,
            &leg.to,
            &leg.direction,
            &leg.call_status,
        ]) {
            if let Some(v) = v {
                out.push(((*name).to_string(), v.clone()));
            }
        }
        out.extend(self.inputs.iter().map(|(k, v)| (k.clone(), v.clone())));
        out.extend(
            self.params
                .pairs()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        out
    }
}

/// Webhook parameters kept as inputs: what the caller did and what Twilio reports about it.
pub const INPUTS: &[&str] = &[
    "Digits",
    "SpeechResult",
    "Confidence",
    "FinishedOnKey",
    "DialCallStatus",
    "DialCallSid",
    "DialCallDuration",
    "DialBridged",
    "RecordingUrl",
    "RecordingSid",
    "RecordingDuration",
    "QueueResult",
    "QueueTime",
    "AnsweredBy",
    "ErrorCode",
    "ErrorUrl",
];

/// Inputs that hold what the caller entered (redacted at a sensitive ask).
const CALLER_INPUTS: &[&str] = &["Digits", "SpeechResult"];

/// The engine's trace. Kept as events until the writer serialises it, so the request path
/// never formats JSON.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace(
    /// The events, in order.
    pub Vec<Event>,
);

impl Serialize for Trace {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(trace_header::EventJson))
    }
}

impl<'de> Deserialize<'de> for Trace {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let values = Vec::<serde_json::Value>::deserialize(d)?;
        // An event this build does not know (written by a newer one) is left out rather
        // than failing the whole record.
        Ok(Trace(
            values
                .iter()
                .filter_map(trace_header::event_from_json)
                .collect(),
        ))
    }
}

/// A call status callback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// The call's parameters (`CallStatus` is the new status).
    #[serde(flatten)]
    pub leg: Leg,
    /// `SequenceNumber`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<i64>,
    /// `Timestamp` (RFC 2822, as sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// `CallDuration`, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<i64>,
    /// `SipResponseCode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_response_code: Option<String>,
    /// `ErrorCode`, when Twilio sends one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `AnsweredBy` (answering-machine detection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<String>,
}

/// A recording status callback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    /// `RecordingSid`.
    pub recording_sid: String,
    /// `RecordingStatus`.
    pub status: String,
    /// `RecordingUrl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `RecordingDuration`, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<i64>,
    /// `ErrorCode` (`0` is none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `RecordingSource`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `AccountSid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_sid: Option<String>,
}

/// A transcription callback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcription {
    /// `TranscriptionSid`.
    pub transcription_sid: String,
    /// `RecordingSid` of the transcribed recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_sid: Option<String>,
    /// `TranscriptionStatus`.
    pub status: String,
    /// `TranscriptionText`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// `TranscriptionUrl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The call's parameters.
    #[serde(flatten)]
    pub leg: Leg,
}

/// Why a callback cannot be recorded: what identifies it is missing or is not a SID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unusable {
    /// The parameter is absent or empty.
    #[error("missing `{0}`")]
    Missing(&'static str),
    /// The parameter is not a SID ([`is_sid`]).
    #[error("`{0}` is not a SID (letters and digits, at most 64)")]
    NotASid(&'static str),
}

/// Whether `s` can be a Twilio SID (`CA`, `RE`, `TR` and 32 hex digits; up to 64 letters
/// and digits are taken). A SID is a record's identity, a primary key and part of the
/// API's paths and cursors, so anything else is refused rather than clipped: clipping
/// would file different requests under one id, and Twilio never sends anything else.
pub fn is_sid(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A request's value as the store keeps it: a NUL becomes U+FFFD, since PostgreSQL text
/// cannot hold one (and the two backends must store the same). Filters go through the
/// same so they match what was stored.
pub fn storable(v: &str) -> String {
    storable_cow(v).into_owned()
}

/// [`storable`], borrowing `v` when it has nothing to replace.
fn storable_cow(v: &str) -> std::borrow::Cow<'_, str> {
    if v.contains('\0') {
        std::borrow::Cow::Owned(v.replace('\0', "\u{fffd}"))
    } else {
        std::borrow::Cow::Borrowed(v)
    }
}

/// Keys longer than this are kept as their hash: a key is a primary key, and PostgreSQL
/// refuses index rows over about 2.7 kB (a `Timestamp` or `CallStatus` of kilobytes
/// would otherwise fail the whole batch, and its replay, for good).
const MAX_KEY: usize = 160;

/// `key`, or `{kind}:h{hash}` when it is longer than [`MAX_KEY`]; the same request
/// always gives the same key either way.
fn bounded(key: String) -> String {
    if key.len() <= MAX_KEY {
        return key;
    }
    let kind = key.split(':').next().unwrap_or("");
    format!("{kind}:h{}", hex16(&Sha256::digest(key.as_bytes())))
}

/// Where and when a request arrived.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    /// Microseconds since the epoch.
    pub at: i64,
    /// The receiving replica.
    pub replica: &'a str,
}

fn owned(p: &Params, name: &str) -> Option<String> {
    p.get(name).filter(|v| !v.is_empty()).map(storable)
}

fn number(p: &Params, name: &str) -> Option<i64> {
    p.get(name).and_then(|v| v.trim().parse().ok())
}

fn required(p: &Params, name: &'static str) -> Result<String, Unusable> {
    owned(p, name).ok_or(Unusable::Missing(name))
}

fn sid(p: &Params, name: &'static str) -> Result<String, Unusable> {
    let v = required(p, name)?;
    if is_sid(&v) {
        Ok(v)
    } else {
        Err(Unusable::NotASid(name))
    }
}

/// What the handler knows about a webhook it answered.
#[derive(Debug)]
pub struct Answered<'a> {
    /// `voice`, `continue` or `fallback`.
    pub endpoint: &'static str,
    /// `flow/step` from the action URL.
    pub resumed: Option<String>,
    /// `I-Twilio-Idempotency-Token`, when Twilio sent one.
    pub idempotency_token: Option<&'a str>,
    /// `X-Twilio-Signature`, when the request had one: an HMAC Twilio already computed
    /// over the URL and parameters, so a retry carries the same. Only its hash is kept (a
    /// stored signature would let a reader of the database replay the request).
    pub signature: Option<&'a str>,
    /// The URL the signature covers (scheme, host, path and query).
    pub url: &'a str,
    /// The run's "now", microseconds.
    pub now: i64,
    /// Latency of the answer, microseconds.
    pub latency_us: i64,
    /// The flow that answered.
    pub flow: Option<String>,
    /// Digest prefix of the served set.
    pub flow_version: String,
    /// The run failed.
    pub failed: bool,
    /// The run's trace, already redacted.
    pub trace: Vec<Event>,
    /// The document answered (redacted here).
    pub twiml: &'a [u8],
    /// The engine's settings the document was written with.
    pub engine: &'a crate::engine::Config,
    /// The notifications the run raised.
    pub notices: &'a [crate::engine::Notice],
    /// The run's secrets (to redact the inputs).
    pub secrets: &'a [String],
}

impl Record {
    /// A webhook. `None` without a `CallSid` that [`is_sid`] (nothing to file it under).
    pub fn webhook(p: &Params, arrival: Arrival<'_>, a: Answered<'_>) -> Option<Record> {
        let call_sid = sid(p, "CallSid").ok()?;
        let key = match (
            a.idempotency_token.filter(|t| !t.is_empty()),
            a.signature.filter(|s| !s.is_empty()),
        ) {
            (Some(token), _) => format!("webhook:{token}"),
            (None, Some(sig)) => format!("webhook:s{}", hex16(&Sha256::digest(sig.as_bytes()))),
            (None, None) => format!("webhook:{}", request_hash(a.url, p)),
        };
        let key = bounded(key);
        let mut redacted = false;
        let mut inputs = BTreeMap::new();
        for name in INPUTS {
            if let Some(v) = p.get(name).filter(|v| !v.is_empty()) {
                let secret = CALLER_INPUTS.contains(name) && a.secrets.iter().any(|s| s == v);
                redacted |= secret;
                let v = if secret { crate::engine::REDACTED } else { v };
                inputs.insert((*name).to_string(), storable(v));
            }
        }
        redacted |= !a.secrets.is_empty();
        let bytes = p.pairs().map(|(k, v)| k.len() + v.len()).sum();
        let mut params = Params::with_capacity(p.len(), bytes);
        for (name, v) in p.pairs().filter(|(name, v)| {
            v.is_empty()
                || !(*name == "CallSid" || LEG_PARAMS.contains(name) || INPUTS.contains(name))
        }) {
            // Copied into the packed list as they are, unless there is something to change.
            let name = storable_cow(name);
            if a.secrets.is_empty() {
                params.push(&name, &storable_cow(v));
            } else {
                let mut v = storable(v);
                crate::engine::redact_text(&mut v, a.secrets);
                params.push(&name, &v);
            }
        }
        // The server's own writer made the document, so it is UTF-8: checking is cheaper
        // than the lossy conversion, which stays for anything else.
        let mut twiml = match std::str::from_utf8(a.twiml) {
            Ok(text) => storable(text),
            Err(_) => storable(&String::from_utf8_lossy(a.twiml)),
        };
        crate::engine::redact_document(&mut twiml, a.secrets);
        Some(Record {
            key,
            call_sid,
            at: arrival.at,
            replica: arrival.replica.to_string(),
            body: Body::Webhook(Box::new(Webhook {
                endpoint: a.endpoint.to_string(),
                resumed: a.resumed,
                leg: Leg::from_params(p),
                inputs,
                now: a.now,
                latency_us: a.latency_us,
                flow: a.flow,
                flow_version: a.flow_version,
                failed: a.failed,
                redacted,
                trace: Trace(a.trace),
                params,
                twiml,
                notices: a
                    .notices
                    .iter()
                    .map(|n| Notice {
                        kind: n.kind.as_str().to_string(),
                        flow: n.flow.clone(),
                        step: n.step.clone(),
                        channels: n.channels.clone(),
                        transcribe: n.transcribe,
                    })
                    .collect(),
                base_url: a.engine.base_url.clone(),
                apology: (a.failed && a.engine.apology != crate::engine::Config::default().apology)
                    .then(|| a.engine.apology.clone()),
            })),
        })
    }

    /// A call status callback. Keyed by (`CallSid`, `SequenceNumber`), or by status and
    /// `Timestamp` when there is no sequence number.
    pub fn status(p: &Params, arrival: Arrival<'_>) -> Result<Record, Unusable> {
        let call_sid = sid(p, "CallSid")?;
        let status = required(p, "CallStatus")?;
        let sequence = number(p, "SequenceNumber");
        let timestamp = owned(p, "Timestamp");
        let key = match (sequence, &timestamp) {
            (Some(n), _) => format!("status:{call_sid}:{n}"),
            (None, Some(t)) => format!("status:{call_sid}:{status}:{t}"),
            (None, None) => format!("status:{call_sid}:{status}"),
        };
        let key = bounded(key);
        Ok(Record {
            key,
            call_sid,
            at: arrival.at,
            replica: arrival.replica.to_string(),
            body: Body::Status(Status {
                leg: Leg::from_params(p),
                sequence,
                timestamp,
                duration: number(p, "CallDuration"),
                sip_response_code: owned(p, "SipResponseCode"),
                error_code: owned(p, "ErrorCode"),
                answered_by: owned(p, "AnsweredBy"),
            }),
        })
    }

    /// A recording status callback, keyed by (`RecordingSid`, `RecordingStatus`).
    pub fn recording(p: &Params, arrival: Arrival<'_>) -> Result<Record, Unusable> {
        let call_sid = sid(p, "CallSid")?;
        let sid = sid(p, "RecordingSid")?;
        let status = required(p, "RecordingStatus")?;
        Ok(Record {
            key: bounded(format!("recording:{sid}:{status}")),
            call_sid,
            at: arrival.at,
            replica: arrival.replica.to_string(),
            body: Body::Recording(Recording {
                recording_sid: sid,
                status,
                url: owned(p, "RecordingUrl"),
                duration: number(p, "RecordingDuration"),
                error_code: owned(p, "ErrorCode"),
                source: owned(p, "RecordingSource"),
                account_sid: owned(p, "AccountSid"),
            }),
        })
    }

    /// A transcription callback, keyed by (`TranscriptionSid`, `TranscriptionStatus`).
    pub fn transcription(p: &Params, arrival: Arrival<'_>) -> Result<Record, Unusable> {
        let call_sid = sid(p, "CallSid")?;
        let sid = sid(p, "TranscriptionSid")?;
        let status = required(p, "TranscriptionStatus")?;
        Ok(Record {
            key: bounded(format!("transcription:{sid}:{status}")),
            call_sid,
            at: arrival.at,
            replica: arrival.replica.to_string(),
            body: Body::Transcription(Transcription {
                transcription_sid: sid,
                recording_sid: owned(p, "RecordingSid"),
                status,
                text: owned(p, "TranscriptionText"),
                url: owned(p, "TranscriptionUrl"),
                leg: Leg::from_params(p),
            }),
        })
    }

    /// What [`summarize`](super::summarize) reads of this record: a webhook without its
    /// trace (but the steps it entered) and without inputs other than the recording's.
    /// `summarize(views) == summarize(records)`, tested.
    pub fn fold_view(&self) -> Record {
        let body = match &self.body {
            Body::Webhook(w) => Body::Webhook(Box::new(Webhook {
                endpoint: String::new(),
                resumed: None,
                leg: w.leg.clone(),
                inputs: w
                    .inputs
                    .iter()
                    .filter(|(k, _)| k.starts_with("Recording"))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                now: 0,
                latency_us: 0,
                flow: w.flow.clone(),
                flow_version: w.flow_version.clone(),
                failed: w.failed,
                redacted: false,
                trace: Trace(
                    w.trace
                        .0
                        .iter()
                        .filter(|e| matches!(e, Event::Enter { .. }))
                        .cloned()
                        .collect(),
                ),
                params: Params::default(),
                twiml: String::new(),
                base_url: String::new(),
                apology: None,
                notices: Vec::new(),
            })),
            other => other.clone(),
        };
        Record {
            key: self.key.clone(),
            call_sid: self.call_sid.clone(),
            at: self.at,
            replica: String::new(),
            body,
        }
    }

    /// The store's own record closing a call with no final status.
    pub fn expired(call_sid: &str, at: i64, replica: &str) -> Record {
        Record {
            key: format!("expired:{call_sid}"),
            call_sid: call_sid.to_string(),
            at,
            replica: replica.to_string(),
            body: Body::Expired,
        }
    }
}

/// A hash of the signed request (URL and parameters, order-free): a retried webhook without
/// an idempotency token hashes the same.
fn request_hash(url: &str, p: &Params) -> String {
    let mut pairs: Vec<(&str, &str)> = p.pairs().collect();
    pairs.sort_unstable();
    let mut h = Sha256::new();
    h.update(url.as_bytes());
    for (k, v) in pairs {
        h.update([0]);
        h.update(k.as_bytes());
        h.update([1]);
        h.update(v.as_bytes());
    }
    hex16(&h.finalize())
}

/// The first 16 bytes of a digest in hex.
fn hex16(digest: &[u8]) -> String {
    let mut out = String::with_capacity(32);
    for b in digest.iter().take(16) {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests;
