use std::collections::BTreeMap;

use super::*;
use crate::calls::record::{Leg, Recording as RecordingBody, Status, Trace, Transcription};
use crate::engine::Event;
use crate::flow::model::NumberMatch;

/// 2026-07-14T16:00:00Z in microseconds.
const T0: i64 = 1_784_044_800_000_000;
const SID: &str = "CA0000000000000000000000000000c0de";
const RE: &str = "RE0000000000000000000000000000beef";
const URL: &str = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1";

fn secs(n: i64) -> i64 {
    T0 + n * 1_000_000
}

fn leg(status: &str) -> Leg {
    Leg {
        from: Some("+12025550143".into()),
        to: Some("+14155550100".into()),
        direction: Some("inbound".into()),
        call_status: Some(status.into()),
        ..Leg::default()
    }
}

fn record(key: &str, at: i64, body: Body) -> Record {
    Record {
        key: key.into(),
        call_sid: SID.into(),
        at,
        replica: "r1".into(),
        body,
    }
}

fn call() -> Call {
    Call {
        call_sid: SID.into(),
        from: Some("+12025550143".into()),
        to: Some("+14155550100".into()),
        direction: Some("inbound".into()),
        flow: Some("acme".into()),
        flow_version: Some("0123456789ab".into()),
        first_seen: T0,
        last_seen: secs(200),
        answered_at: Some(secs(1)),
        ended_at: Some(secs(195)),
        status: "completed".into(),
        ended: true,
        duration: Some(194),
        sip_response_code: Some("200".into()),
        path: "menu > billing".into(),
        webhooks: 2,
        recordings: 1,
        ..Call::default()
    }
}

fn story() -> Story {
    let incoming = Webhook {
        endpoint: "voice".into(),
        resumed: None,
        leg: leg("ringing"),
        inputs: BTreeMap::new(),
        now: T0,
        latency_us: 1_250,
        flow: Some("acme".into()),
        flow_version: "0123456789ab".into(),
        failed: false,
        redacted: false,
        trace: Trace(vec![
            Event::Number {
                to: "+14155550100".into(),
                flow: "acme".into(),
                how: NumberMatch::Exact,
            },
            Event::Enter {
                flow: "acme".into(),
                step: "menu".into(),
                kind: "menu",
            },
            Event::Wait {
                step: "menu".into(),
                what: "input",
            },
        ]),
        params: crate::form::Params::default(),
        twiml: String::new(),
        base_url: String::new(),
        apology: None,
        notices: Vec::new(),
    };
    let mut inputs = BTreeMap::new();
    inputs.insert("Digits".to_string(), "[redacted]".to_string());
    let pressed = Webhook {
        endpoint: "continue".into(),
        resumed: Some("acme/menu".into()),
        inputs,
        now: secs(5),
        latency_us: 800,
        redacted: true,
        trace: Trace(vec![
            Event::Input {
                step: "menu".into(),
                heard: "[redacted]".into(),
                outcome: "option billing".into(),
            },
            Event::Enter {
                flow: "acme".into(),
                step: "billing".into(),
                kind: "record",
            },
        ]),
        ..incoming.clone()
    };
    Story {
        notifications: Vec::new(),
        call: call(),
        recordings: vec![Recording {
            recording_sid: RE.into(),
            call_sid: SID.into(),
            status: "completed".into(),
            url: Some(URL.into()),
            duration: Some(23),
            at: secs(196),
            transcript: Some("Please call me back.".into()),
            transcription_status: Some("completed".into()),
            ..Recording::default()
        }],
        records: vec![
            record("w1", T0, Body::Webhook(Box::new(incoming))),
            record("w2", secs(5), Body::Webhook(Box::new(pressed))),
            record(
                "s1",
                secs(195),
                Body::Status(Status {
                    leg: leg("completed"),
                    sequence: Some(3),
                    timestamp: None,
                    duration: Some(194),
                    sip_response_code: Some("200".into()),
                    error_code: None,
                    answered_by: None,
                }),
            ),
            record(
                "r1",
                secs(196),
                Body::Recording(RecordingBody {
                    recording_sid: RE.into(),
                    status: "completed".into(),
                    url: Some(URL.into()),
                    duration: Some(23),
                    error_code: None,
                    source: None,
                    account_sid: None,
                }),
            ),
            record(
                "t1",
                secs(200),
                Body::Transcription(Transcription {
                    transcription_sid: "TR1".into(),
                    recording_sid: Some(RE.into()),
                    status: "completed".into(),
                    text: Some("Please call me back.".into()),
                    url: None,
                    leg: Leg::default(),
                }),
            ),
        ],
        children: vec![Call {
            call_sid: "CA0000000000000000000000000000d1a1".into(),
            parent_call_sid: Some(SID.into()),
            from: Some("+14155550100".into()),
            to: Some("+14155550199".into()),
            status: "no-answer".into(),
            ..Call::default()
        }],
        truncated: false,
    }
}

fn text(f: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
    let mut out = Vec::new();
    f(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn the_story_reads_in_time_order() {
    let s = story();
    let shown = text(|o| story_text(&s, &TimeZone::UTC, o));
    let expected = format!(
        "\
Call {SID}
  from +12025550143 to +14155550100 (inbound)
  flow acme (flow set 0123456789ab)
  status completed, 3m14s, SIP 200
  first seen 2026-07-14 16:00:00 UTC, answered 16:00:01, ended 16:03:15
  path menu > billing

16:00:00.000  webhook voice  (flow set 0123456789ab, replica r1, 1.2 ms)
   number +14155550100 → flow acme (exact number)
   step acme/menu (menu)
     wait for input at menu
16:00:05.000  webhook continue acme/menu  (flow set 0123456789ab, replica r1, 0.8 ms)
   inputs: Digits=[redacted]
     menu: heard \"[redacted]\": option billing
   step acme/billing (record)
   (values a sensitive step heard are shown as [redacted])
16:03:15.000  status completed (sequence 3, 3m14s, SIP 200)
16:03:16.000  recording {RE} completed (23s) {URL}
16:03:20.000  transcription TR1 of {RE} completed
   \"Please call me back.\"

Recordings:
  {RE}  completed  23s  {URL}
    transcript (completed): \"Please call me back.\"

Dialed legs:
  CA0000000000000000000000000000d1a1  +14155550100 → +14155550199  no-answer  -
"
    );
    assert_eq!(shown, expected);
}

#[test]
fn a_record_on_another_day_shows_its_date() {
    let mut s = story();
    s.records.truncate(1);
    s.records
        .push(record("x", secs(86_400 + 60), Body::Expired));
    let shown = text(|o| story_text(&s, &TimeZone::UTC, o));
    let line = shown.lines().find(|l| l.contains("closed")).unwrap();
    assert_eq!(
        line,
        "2026-07-15 16:01:00 UTC  closed as unknown: no final status arrived in time"
    );
}

#[test]
fn the_calls_table_aligns_columns() {
    let mut open = call();
    open.call_sid = "CA2".into();
    open.first_seen = secs(3_600);
    open.status = String::new();
    open.duration = None;
    open.recordings = 0;
    open.from = Some("+1\u{1b}[31mred".into());
    open.path = "a > b > c > d > e > f > g > h > i > j > k > l".into();
    let shown = text(|o| calls_table(&[open, call()], &TimeZone::UTC, o));
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(
        lines,
        [
            "TIME (UTC)           FROM             TO            FLOW  PATH                                      STATUS     DURATION  RECORDING",
            "2026-07-14 17:00:00  +1\\u{1b}[31mred  +14155550100  acme  a > b > c > d > e > f > g > h > i > j >…  -          -         no",
            "2026-07-14 16:00:00  +12025550143     +14155550100  acme  menu > billing                            completed  3m14s     yes",
        ]
    );
}

#[test]
fn empty_lists_say_so() {
    assert_eq!(text(|o| calls_table(&[], &TimeZone::UTC, o)), "no calls\n");
    assert_eq!(
        text(|o| recordings_table(&[], &TimeZone::UTC, o)),
        "no recordings\n"
    );
}

#[test]
fn the_recordings_table() {
    let s = story();
    let shown = text(|o| recordings_table(&s.recordings, &TimeZone::UTC, o));
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[1],
        format!("2026-07-14 16:03:16  {SID}  {RE}  completed  23s       completed   {URL}")
    );
}

#[test]
fn json_round_trips() {
    let s = story();
    let lines = text(|o| json_lines(std::slice::from_ref(&s.call), o));
    assert_eq!(lines.lines().count(), 1);
    let back: Call = serde_json::from_str(lines.trim_end()).unwrap();
    assert_eq!(back, s.call);
    let doc = text(|o| story_json(&s, o));
    let back: Story = serde_json::from_str(&doc).unwrap();
    assert_eq!(back, s);
}

#[test]
fn durations_read_at_a_glance() {
    let cases = [
        (None, "-"),
        (Some(0), "0s"),
        (Some(59), "59s"),
        (Some(194), "3m14s"),
        (Some(3_725), "1h02m"),
    ];
    for (secs, shown) in cases {
        assert_eq!(duration(secs), shown);
    }
}
