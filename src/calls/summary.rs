//! A call's summary and its recordings, folded from the call's records.
//!
//! The summary is a function of the *set* of a call's records: they are put in one canonical
//! order (arrival time, then key) before folding, and every field picks its value by a rule
//! that does not depend on the order they came in (the most advanced status wins; the first
//! known value of a field is kept and a missing one never erases it). So any arrival order,
//! with any duplicates (dropped by key before this), gives the same row. The backends call
//! this inside the transaction that stored the records, with the row locked.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::record::{Body, Record};
use crate::engine::Event;

/// One call leg as the store summarises it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// `CallSid`.
    pub call_sid: String,
    /// `ParentCallSid` (dialed legs).
    pub parent_call_sid: Option<String>,
    /// `AccountSid`.
    pub account_sid: Option<String>,
    /// `From`.
    pub from: Option<String>,
    /// `To`.
    pub to: Option<String>,
    /// `Direction`.
    pub direction: Option<String>,
    /// The flow that answered the first webhook.
    pub flow: Option<String>,
    /// The flow set version of the latest webhook.
    pub flow_version: Option<String>,
    /// The first record's arrival, µs since the epoch.
    pub first_seen: i64,
    /// The latest record's arrival.
    pub last_seen: i64,
    /// When the call was first reported `in-progress`.
    pub answered_at: Option<i64>,
    /// When its final status arrived.
    pub ended_at: Option<i64>,
    /// The most advanced status reported (`unknown` once closed without a final one).
    pub status: String,
    /// `status` is final: `completed`, `busy`, `no-answer`, `failed`, `canceled`, `unknown`.
    pub ended: bool,
    /// `CallDuration`, seconds.
    pub duration: Option<i64>,
    /// `SipResponseCode` of the final status.
    pub sip_response_code: Option<String>,
    /// An `ErrorCode` reported for the call.
    pub error_code: Option<String>,
    /// The steps the call went through, short: `menu > billing > billing_dial`.
    pub path: String,
    /// How many webhooks were answered.
    pub webhooks: i64,
    /// How many recordings it has.
    pub recordings: i64,
    /// Some webhook failed at run time (the caller heard the apology).
    pub failed: bool,
}

/// A recording and its transcript.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recording {
    /// `RecordingSid`.
    pub recording_sid: String,
    /// The call it belongs to.
    pub call_sid: String,
    /// The latest known status (`completed`, `absent`, `failed`, `in-progress`), or
    /// `reported` when only the `record` step's action webhook mentioned it.
    pub status: String,
    /// `RecordingUrl`.
    pub url: Option<String>,
    /// Seconds.
    pub duration: Option<i64>,
    /// First heard of, µs since the epoch.
    pub at: i64,
    /// `ErrorCode` when not `0`.
    pub error_code: Option<String>,
    /// The transcript, once transcribed.
    pub transcript: Option<String>,
    /// `TranscriptionStatus`.
    pub transcription_status: Option<String>,
}

/// How far along a call status is; higher wins. Final statuses share the top rank (ties go
/// to the higher `SequenceNumber`, then the later arrival, then the name).
pub fn status_rank(status: &str) -> u8 {
    match status {
        "queued" | "initiated" => 1,
        "ringing" => 2,
        "in-progress" | "answered" => 3,
        "unknown" => 4,
        "completed" | "busy" | "no-answer" | "failed" | "canceled" => 5,
        _ => 0,
    }
}

/// A status that ends the call (the store's own `unknown` included).
pub fn is_final(status: &str) -> bool {
    status_rank(status) >= 4
}

/// The status `unknown` the store closes calls with.
pub const UNKNOWN: &str = "unknown";

/// Folds a call's records (any order, no duplicate keys) into its summary and recordings.
pub fn summarize(call_sid: &str, records: &[Record]) -> (Call, Vec<Recording>) {
    let mut sorted: Vec<&Record> = records.iter().collect();
    sorted.sort_by(|a, b| (a.at, &a.key).cmp(&(b.at, &b.key)));
    let mut call = Call {
        call_sid: call_sid.to_string(),
        first_seen: sorted.first().map_or(0, |r| r.at),
        last_seen: sorted.last().map_or(0, |r| r.at),
        ..Call::default()
    };
    // (rank, sequence, at, status): the maximum is the call's status.
    let mut best: Option<(u8, i64, i64, &str)> = None;
    let mut best_status: Option<&super::record::Status> = None;
    let mut steps: Vec<&str> = Vec::new();
    let mut recordings: BTreeMap<&str, Recording> = BTreeMap::new();
    for r in &sorted {
        let (leg, status, seq) = match &r.body {
            Body::Webhook(w) => {
                call.webhooks += 1;
                call.failed |= w.failed;
                if call.flow.is_none() {
                    call.flow.clone_from(&w.flow);
                }
                call.flow_version = Some(w.flow_version.clone());
                for e in &w.trace.0 {
                    if let Event::Enter { step, .. } = e {
                        steps.push(step);
                    }
                }
                if let Some(sid) = w.inputs.get("RecordingSid") {
                    let rec = recordings
                        .entry(sid)
                        .or_insert_with(|| reported(sid, call_sid, r.at));
                    keep_first(&mut rec.url, w.inputs.get("RecordingUrl"));
                    if rec.duration.is_none() {
                        rec.duration = w
                            .inputs
                            .get("RecordingDuration")
                            .and_then(|d| d.parse().ok());
                    }
                }
                (Some(&w.leg), w.leg.call_status.as_deref(), -1)
            }
            Body::Status(s) => {
                keep_first(&mut call.error_code, s.error_code.as_ref());
                if s.leg.call_status.as_deref().is_some_and(is_final) {
                    let key = (
                        status_rank(s.leg.call_status.as_deref().unwrap_or("")),
                        s.sequence.unwrap_or(-1),
                        r.at,
                        s.leg.call_status.as_deref().unwrap_or(""),
                    );
                    if best.is_none_or(|b| key > b) {
                        best_status = Some(s);
                    }
                }
                (
                    Some(&s.leg),
                    s.leg.call_status.as_deref(),
                    s.sequence.unwrap_or(-1),
                )
            }
            Body::Recording(g) => {
                let rec = recordings
                    .entry(&g.recording_sid)
                    .or_insert_with(|| Recording {
                        recording_sid: g.recording_sid.clone(),
                        call_sid: call_sid.to_string(),
                        status: g.status.clone(),
                        at: r.at,
                        ..Recording::default()
                    });
                if recording_rank(&g.status) > recording_rank(&rec.status) {
                    rec.status.clone_from(&g.status);
                }
                keep_first(&mut rec.url, g.url.as_ref());
                rec.duration = rec.duration.or(g.duration);
                if g.error_code.as_deref().is_some_and(|c| c != "0") {
                    keep_first(&mut rec.error_code, g.error_code.as_ref());
                }
                keep_first(&mut call.account_sid, g.account_sid.as_ref());
                (None, None, -1)
            }
            Body::Transcription(t) => {
                if let Some(sid) = &t.recording_sid {
                    let rec = recordings
                        .entry(sid)
                        .or_insert_with(|| reported(sid, call_sid, r.at));
                    let better = match rec.transcription_status.as_deref() {
                        None => true,
                        Some(old) => transcription_rank(&t.status) > transcription_rank(old),
                    };
                    if better {
                        rec.transcription_status = Some(t.status.clone());
                        rec.transcript.clone_from(&t.text);
                    }
                }
                (Some(&t.leg), None, -1)
            }
            Body::Expired => (None, Some(UNKNOWN), -1),
        };
        if let Some(leg) = leg {
            keep_first(&mut call.account_sid, leg.account_sid.as_ref());
            keep_first(&mut call.parent_call_sid, leg.parent_call_sid.as_ref());
            keep_first(&mut call.from, leg.from.as_ref());
            keep_first(&mut call.to, leg.to.as_ref());
            keep_first(&mut call.direction, leg.direction.as_ref());
        }
        if let Some(status) = status {
            if matches!(status, "in-progress" | "answered") && call.answered_at.is_none() {
                call.answered_at = Some(r.at);
            }
            let key = (status_rank(status), seq, r.at, status);
            if best.is_none_or(|b| key > b) {
                best = Some(key);
                if is_final(status) {
                    call.ended_at = Some(r.at);
                }
            }
        }
    }
    call.status = best.map_or_else(String::new, |b| b.3.to_string());
    call.ended = is_final(&call.status);
    if let Some(s) = best_status {
        call.duration = s.duration;
        call.sip_response_code.clone_from(&s.sip_response_code);
    }
    call.path = short_path(&steps);
    call.recordings = i64::try_from(recordings.len()).unwrap_or(i64::MAX);
    (call, recordings.into_values().collect())
}

/// Steps joined with ` > `, a step repeated in a row (a menu retried) shown once.
fn short_path(steps: &[&str]) -> String {
    let mut out = String::new();
    let mut last = None;
    for s in steps {
        if last == Some(*s) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(" > ");
        }
        out.push_str(s);
        last = Some(*s);
    }
    out
}

/// A recording known only from a mention (the `record` step's action, a transcript), until
/// its own callback says more.
fn reported(sid: &str, call_sid: &str, at: i64) -> Recording {
    Recording {
        recording_sid: sid.to_string(),
        call_sid: call_sid.to_string(),
        status: "reported".into(),
        at,
        ..Recording::default()
    }
}

fn keep_first(slot: &mut Option<String>, value: Option<&String>) {
    if slot.is_none() {
        slot.clone_from(&value.cloned());
    }
}

fn recording_rank(status: &str) -> u8 {
    match status {
        "reported" => 0,
        "in-progress" => 1,
        "absent" | "failed" => 2,
        "completed" => 3,
        _ => 0,
    }
}

fn transcription_rank(status: &str) -> u8 {
    match status {
        "completed" => 2,
        "failed" => 1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests;
