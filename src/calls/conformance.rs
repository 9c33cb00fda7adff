//! One test suite for every backend: what `Database` promises, run against SQLite here and
//! against PostgreSQL by `tests/integration/records/postgres.rs`'s server (see
//! [`run_all`]). Public (hidden) so the integration tests can call it.
//!
//! Test code compiled into the library (the integration tests cannot reach `cfg(test)`
//! items): it panics on purpose when the backend breaks a promise.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use super::record::Arrival;
use super::{Database, Filter, FlowSetVersion, Record};
use crate::form::Params;

fn params(pairs: &[(&str, &str)]) -> Params {
    let mut p = Params::default();
    for (k, v) in pairs {
        p.push(k, v);
    }
    p
}

pub(crate) fn sid(n: u32) -> String {
    format!("CA{n:032x}")
}

pub(crate) fn status(call: &str, at: i64, seq: &str, st: &str, from: &str) -> Record {
    Record::status(
        &params(&[
            ("CallSid", call),
            ("CallStatus", st),
            ("SequenceNumber", seq),
            ("From", from),
            ("To", "+14155550100"),
            ("Direction", "inbound"),
        ]),
        Arrival { at, replica: "t" },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Runs every check against `db`, which must be empty. Returns how many checks ran.
pub async fn run_all(db: &Database) -> usize {
    duplicates_are_stored_once(db).await;
    filters_and_pages(db).await;
    stories_hold_every_record(db).await;
    stale_and_prune(db).await;
    hostile_values_are_kept(db).await;
    webhooks_of_a_page(db).await;
    outbox_rows_are_claimed_once(db).await;
    // Last: their prune deletes every call the checks above stored.
    flow_sets_are_kept_once(db).await;
    flow_sets_are_pruned_with_their_calls(db).await;
    9
}

/// A webhook that raised a voicemail notice for two channels.
fn voicemail(call: &str, at: i64, transcribe: bool) -> Record {
    let mut r = webhook(call, at, "v9");
    if let super::Body::Webhook(w) = &mut r.body {
        w.inputs
            .insert("RecordingSid".into(), format!("RE{:032x}", at));
        w.inputs
            .insert("RecordingUrl".into(), "https://api.twilio.com/r/1".into());
        w.inputs.insert("RecordingDuration".into(), "12".into());
        w.notices.push(super::record::Notice {
            kind: "voicemail".into(),
            flow: "acme".into(),
            step: "voicemail".into(),
            channels: vec!["ops-email".into(), "slack".into()],
            transcribe,
        });
    }
    r
}

/// The outbox: raised once however often the webhook is stored; claimed by one replica at
/// a time; an attempt by a replica that lost its lease changes nothing; retries come due;
/// a transcript is waited for until the cutoff; the story shows every attempt.
async fn outbox_rows_are_claimed_once(db: &Database) {
    use super::outbox::{Attempt, Claim, Outcome};
    let t = 8_000_000_000_000;
    let call = sid(80);
    let r = voicemail(&call, t, false);
    db.write(Arc::new(vec![r.clone(), r.clone()]))
        .await
        .unwrap();
    db.write(Arc::new(vec![r])).await.unwrap();
    let claim = |replica, now| Claim {
        replica,
        now,
        until: now + 60_000_000,
        transcript_cutoff: now - 120_000_000,
        limit: 10,
    };
    let a = db.claim_notifications(claim("a", t + 1)).await.unwrap();
    assert_eq!(a.len(), 2, "one row per channel, stored once: {a:?}");
    assert_eq!(a[0].event.recording_duration, Some(12));
    assert_eq!(a[0].event.caller.as_deref(), None);
    assert!(
        a.iter()
            .all(|c| c.attempts == 0 && c.event.call_sid == call)
    );
    // Leased: nobody else gets them.
    assert!(
        db.claim_notifications(claim("b", t + 2))
            .await
            .unwrap()
            .is_empty()
    );
    let attempt = |replica: &str, n, ok, detail: &str| Attempt {
        attempt: n,
        at: t + 3,
        replica: replica.into(),
        ok,
        detail: detail.into(),
    };
    let (first, second) = (&a[0].id, &a[1].id);
    // `b` holds no lease on it: its result does not change the row.
    assert!(
        !db.finish_notification(
            first,
            &attempt("b", 1, true, "HTTP 200"),
            &Outcome::Delivered
        )
        .await
        .unwrap()
    );
    assert!(
        db.finish_notification(
            first,
            &attempt("a", 1, false, "HTTP 500"),
            &Outcome::Retry(t + 10)
        )
        .await
        .unwrap()
    );
    assert!(
        db.finish_notification(
            second,
            &attempt("a", 1, true, "HTTP 200"),
            &Outcome::Delivered
        )
        .await
        .unwrap()
    );
    // Not due yet; then due, and claimed again with its attempt count.
    assert!(
        db.claim_notifications(claim("b", t + 5))
            .await
            .unwrap()
            .is_empty()
    );
    let again = db.claim_notifications(claim("b", t + 10)).await.unwrap();
    assert_eq!((again.len(), again[0].attempts), (1, 1), "{again:?}");
    assert!(
        db.finish_notification(
            first,
            &attempt("b", 2, true, "HTTP 204"),
            &Outcome::Delivered
        )
        .await
        .unwrap()
    );
    let story = db.story(&call).await.unwrap().unwrap();
    let states: Vec<(&str, &str, usize)> = story
        .notifications
        .iter()
        .map(|n| (n.channel.as_str(), n.state.as_str(), n.attempts.len()))
        .collect();
    assert_eq!(states.len(), 2);
    assert!(
        states.contains(&("ops-email", "delivered", 2))
            || states.contains(&("slack", "delivered", 2)),
        "{states:?}"
    );
    assert!(
        states.iter().all(|(_, st, _)| *st == "delivered"),
        "{states:?}"
    );
    // A lease that ran out is claimed by another replica.
    let waiting = sid(81);
    db.write(Arc::new(vec![voicemail(&waiting, t + 100, true)]))
        .await
        .unwrap();
    let early = Claim {
        transcript_cutoff: t,
        ..claim("a", t + 101)
    };
    assert!(
        db.claim_notifications(early).await.unwrap().is_empty(),
        "waits for the transcript"
    );
    let transcript = Record::transcription(
        &params(&[
            ("CallSid", &waiting),
            ("TranscriptionSid", "TR00000000000000000000000000000081"),
            ("TranscriptionStatus", "completed"),
            ("TranscriptionText", "call me back"),
            ("RecordingSid", &format!("RE{:032x}", t + 100)),
        ]),
        Arrival {
            at: t + 102,
            replica: "t",
        },
    )
    .unwrap();
    db.write(Arc::new(vec![transcript])).await.unwrap();
    let got = db
        .claim_notifications(Claim {
            transcript_cutoff: t,
            ..claim("a", t + 103)
        })
        .await
        .unwrap();
    assert_eq!(got.len(), 2, "the transcript is in");
    assert_eq!(got[0].transcript.as_deref(), Some("call me back"));
    let stolen = db
        .claim_notifications(claim("b", t + 103 + 60_000_001))
        .await
        .unwrap();
    assert_eq!(stolen.len(), 2, "the lease ran out");
}

/// What a replay reads: a page of calls, each with its webhook records only, in order.
async fn webhooks_of_a_page(db: &Database) {
    let t = 7_000_000_000_000;
    let (a, b, c) = (sid(70), sid(71), sid(72));
    let records = vec![
        webhook(&a, t + 30, "v7"),
        webhook(&a, t + 10, "v7"),
        status(&a, t + 40, "1", "completed", "+12025550170"),
        webhook(&b, t + 20, "v7"),
        status(&c, t + 50, "0", "busy", "+12025550172"),
    ];
    db.write(Arc::new(records)).await.unwrap();
    let filter = Filter {
        since: Some(t),
        limit: 2,
        ..Filter::default()
    };
    let page = db.webhooks(filter.clone()).await.unwrap();
    let got: Vec<(String, Vec<i64>)> = page
        .items
        .iter()
        .map(|(call, recs)| (call.call_sid.clone(), recs.iter().map(|r| r.at).collect()))
        .collect();
    // Newest first seen first (c, then b), two to a page.
    assert_eq!(got, [(c.clone(), vec![]), (b.clone(), vec![t + 20])]);
    let next = page.next.as_deref().and_then(super::Cursor::decode);
    assert!(next.is_some(), "a second page");
    let page = db
        .webhooks(Filter {
            cursor: next,
            ..filter
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let (call, recs) = &page.items[0];
    assert_eq!(call.call_sid, a);
    assert_eq!(
        recs.iter().map(|r| r.at).collect::<Vec<_>>(),
        [t + 10, t + 30]
    );
    assert!(recs.iter().all(|r| r.body.kind() == "webhook"));
    assert!(page.next.is_none());
}

async fn duplicates_are_stored_once(db: &Database) {
    let call = sid(1);
    let batch = vec![
        status(&call, 10, "0", "ringing", "+14155550142"),
        status(&call, 20, "1", "completed", "+14155550142"),
    ];
    let first = db.write(Arc::new(batch.clone())).await.unwrap();
    assert_eq!(first, 2);
    // The same records again, and in reverse order: nothing new.
    let mut again = batch.clone();
    again.reverse();
    assert_eq!(db.write(Arc::new(again)).await.unwrap(), 0);
    let story = db.story(&call).await.unwrap().unwrap();
    assert_eq!(story.records.len(), 2);
    assert_eq!(story.call.status, "completed");
}

async fn filters_and_pages(db: &Database) {
    let mut batch = Vec::new();
    for n in 100..125u32 {
        let from = if n % 2 == 0 {
            "+14155550001"
        } else {
            "+14155550002"
        };
        let st = if n % 5 == 0 { "no-answer" } else { "completed" };
        batch.push(status(&sid(n), 1_000 + i64::from(n), "0", st, from));
    }
    db.write(Arc::new(batch)).await.unwrap();
    let mut seen = Vec::new();
    let mut filter = Filter {
        since: Some(1_000),
        limit: 10,
        ..Filter::default()
    };
    for _ in 0..10 {
        let page = db.calls(filter.clone()).await.unwrap();
        seen.extend(page.items.iter().map(|c| c.call_sid.clone()));
        match page.next {
            Some(next) => filter.cursor = super::Cursor::decode(&next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 25, "three pages of 10, 10, 5");
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "newest first");
    let missed = db
        .calls(Filter {
            status: Some("no-answer".into()),
            since: Some(1_000),
            ..Filter::default()
        })
        .await
        .unwrap();
    assert_eq!(missed.items.len(), 5);
    let from = db
        .calls(Filter {
            from: Some("+14155550001".into()),
            since: Some(1_000),
            until: Some(1_112),
            ..Filter::default()
        })
        .await
        .unwrap();
    // 100..112 even: 100, 102, …, 110.
    assert_eq!(from.items.len(), 6);
    // The console's filters: a number on either side, missed calls, with a recording.
    let either = |number: &str, missed: bool, with_recording: bool| Filter {
        number: Some(number.into()),
        missed,
        with_recording,
        since: Some(1_000),
        limit: 100,
        ..Filter::default()
    };
    let got = db
        .calls(either("+14155550001", false, false))
        .await
        .unwrap();
    assert_eq!(got.items.len(), 13, "the even calls, from +14155550001");
    let got = db.calls(either("+14155550001", true, false)).await.unwrap();
    // 100, 110, 120: even and a multiple of 5.
    assert_eq!(got.items.len(), 3, "missed: no-answer");
    let got = db.calls(either("+14155550001", false, true)).await.unwrap();
    assert_eq!(got.items.len(), 0, "none has a recording");
    let got = db
        .calls(either("+14155550100", false, false))
        .await
        .unwrap();
    assert_eq!(got.items.len(), 25, "every call was to +14155550100");
}

async fn stories_hold_every_record(db: &Database) {
    let call = sid(2);
    let rec = Record::recording(
        &params(&[
            ("CallSid", &call),
            ("RecordingSid", "RE00000000000000000000000000000002"),
            ("RecordingStatus", "completed"),
            ("RecordingUrl", "https://api.twilio.com/x/RE2"),
            ("RecordingDuration", "9"),
        ]),
        Arrival {
            at: 50,
            replica: "t",
        },
    )
    .unwrap();
    let tr = Record::transcription(
        &params(&[
            ("CallSid", &call),
            ("TranscriptionSid", "TR00000000000000000000000000000002"),
            ("TranscriptionStatus", "completed"),
            ("TranscriptionText", "please call me back"),
            ("RecordingSid", "RE00000000000000000000000000000002"),
        ]),
        Arrival {
            at: 60,
            replica: "t",
        },
    )
    .unwrap();
    // Transcription before recording, in separate batches.
    db.write(Arc::new(vec![tr])).await.unwrap();
    db.write(Arc::new(vec![
        rec,
        status(&call, 40, "0", "completed", "+1"),
    ]))
    .await
    .unwrap();
    let story = db.story(&call).await.unwrap().unwrap();
    assert_eq!(story.records.len(), 3);
    assert_eq!(story.recordings.len(), 1);
    let r = &story.recordings[0];
    assert_eq!(r.status, "completed");
    assert_eq!(r.transcript.as_deref(), Some("please call me back"));
    assert_eq!(r.duration, Some(9));
    let listed = db
        .recordings(Filter {
            since: Some(0),
            ..Filter::default()
        })
        .await
        .unwrap();
    assert!(
        listed
            .items
            .iter()
            .any(|x| x.recording_sid == r.recording_sid)
    );
    assert!(db.story("CA_nobody").await.unwrap().is_none());
}

async fn stale_and_prune(db: &Database) {
    let call = sid(3);
    db.write(Arc::new(vec![status(&call, 5, "0", "ringing", "+1")]))
        .await
        .unwrap();
    let stale = db.stale(6, 100).await.unwrap();
    assert!(stale.contains(&call), "{stale:?}");
    db.write(Arc::new(vec![Record::expired(&call, 7, "t")]))
        .await
        .unwrap();
    let story = db.story(&call).await.unwrap().unwrap();
    assert_eq!(story.call.status, "unknown");
    assert!(!db.stale(8, 100).await.unwrap().contains(&call));
    // Everything last seen before 9 goes (this call, seen at 5 and 7).
    let pruned = db.prune(9, 1_000).await.unwrap();
    assert!(pruned >= 1);
    assert!(db.story(&call).await.unwrap().is_none());
    assert!(
        db.story(&sid(1)).await.unwrap().is_some(),
        "seen at 20, kept"
    );
}

/// `n` characters that do not compress (hex of a SHA-256 chain), so a backend's index
/// cannot shrink them under its row-size limit.
fn incompressible(n: usize) -> String {
    use sha2::{Digest, Sha256};
    let mut out = String::with_capacity(n + 64);
    let mut d = Sha256::digest(b"switchboard");
    while out.len() < n {
        out.extend(d.iter().map(|b| format!("{b:02x}")));
        d = Sha256::digest(d);
    }
    out.truncate(n);
    out
}

/// Whatever a request can carry (a NUL, values of kilobytes in the dedupe key) is stored,
/// read back and filtered on without failing the write: one such record must not fail
/// the batch it shares with others (PostgreSQL refuses NUL in text and index rows over
/// about 2.7 kB).
async fn hostile_values_are_kept(db: &Database) {
    let call = sid(4);
    let long = incompressible(8_000);
    let at = |at| Arrival { at, replica: "t" };
    let batch = vec![
        status(&call, 70, "0", "ringing", "+1\0\u{1b}[31m"),
        Record::status(
            &params(&[
                ("CallSid", &call),
                ("CallStatus", "busy\0"),
                ("Timestamp", &long),
            ]),
            at(71),
        )
        .unwrap(),
        Record::recording(
            &params(&[
                ("CallSid", &call),
                ("RecordingSid", "RE00000000000000000000000000000004"),
                ("RecordingStatus", &long),
            ]),
            at(72),
        )
        .unwrap(),
        Record::transcription(
            &params(&[
                ("CallSid", &call),
                ("TranscriptionSid", "TR00000000000000000000000000000004"),
                ("TranscriptionStatus", "completed"),
                ("TranscriptionText", "call\0me"),
            ]),
            at(73),
        )
        .unwrap(),
    ];
    assert_eq!(db.write(Arc::new(batch.clone())).await.unwrap(), 4);
    assert_eq!(
        db.write(Arc::new(batch)).await.unwrap(),
        0,
        "keys are stable"
    );
    let story = db.story(&call).await.unwrap().unwrap();
    assert_eq!(story.records.len(), 4);
    let from = story.call.from.clone().unwrap();
    assert!(from.starts_with("+1") && !from.contains('\0'), "{from:?}");
    let found = db
        .calls(Filter {
            from: Some("+1\0\u{1b}[31m".into()),
            since: Some(0),
            ..Filter::default()
        })
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1, "a filter matches the value as stored");
}

/// A flow set version of `files` (name, text), as the server hands it over.
fn flow_set(version: &str, served_at: i64, files: &[(&str, &str)]) -> FlowSetVersion {
    FlowSetVersion {
        version: version.into(),
        digest: format!("{version}{}", "0".repeat(52)),
        served_at,
        files: files
            .iter()
            .map(|(n, t)| ((*n).to_string(), Arc::from(*t)))
            .collect(),
    }
}

/// A webhook record answered by flow set `version` (built from its JSON form, as the
/// spool would hold it).
pub(crate) fn webhook(call: &str, at: i64, version: &str) -> Record {
    serde_json::from_value(serde_json::json!({
        "key": format!("webhook:{call}:{at}"),
        "call_sid": call,
        "at": at,
        "replica": "t",
        "kind": "webhook",
        "endpoint": "voice",
        "now": at,
        "latency_us": 1,
        "flow": "acme",
        "flow_version": version,
        "trace": [],
    }))
    .unwrap()
}

async fn flow_sets_are_kept_once(db: &Database) {
    // Texts as an editor may leave them: non-ASCII, CRLF, a lone CR, no final newline.
    let shared = "# répertoire partagé ☎\r\nprompts:\r\n  hi: \"Grüß Gott\"\r\n";
    let acme = "start: hi\nsteps:\n  hi:\n    say: \"日本語\"\r    next: hangup";
    let v1 = flow_set(
        "aaaaaaaaaaa1",
        1_000_000,
        &[("acme.yaml", acme), ("_shared.yaml", shared)],
    );
    db.keep_flow_set(Arc::new(v1.clone())).await.unwrap();
    db.keep_flow_set(Arc::new(v1.clone())).await.unwrap();
    let listed = db.flow_sets(10).await.unwrap();
    assert_eq!(listed.len(), 1, "stored twice, kept once: {listed:?}");
    assert_eq!(listed[0].version, "aaaaaaaaaaa1");
    assert_eq!(listed[0].digest, v1.digest);
    assert_eq!(listed[0].files, 2);
    assert_eq!(listed[0].first_served, 1_000_000);
    let files = db.flow_set("aaaaaaaaaaa1").await.unwrap().unwrap();
    assert_eq!(
        files,
        vec![
            ("_shared.yaml".to_string(), shared.to_string()),
            ("acme.yaml".to_string(), acme.to_string()),
        ],
        "sorted by name, texts byte for byte"
    );
    // A second version sharing `_shared.yaml`: its text is stored once for both.
    let acme2 = acme.replace("日本語", "hello");
    let v2 = flow_set(
        "aaaaaaaaaaa2",
        2_000_000,
        &[("acme.yaml", &acme2), ("_shared.yaml", shared)],
    );
    db.keep_flow_set(Arc::new(v2)).await.unwrap();
    let files = db.flow_set("aaaaaaaaaaa2").await.unwrap().unwrap();
    assert_eq!(files[0].1, shared);
    assert_eq!(files[1].1, acme2);
    let listed = db.flow_sets(10).await.unwrap();
    let versions: Vec<&str> = listed.iter().map(|v| v.version.as_str()).collect();
    assert_eq!(versions, ["aaaaaaaaaaa2", "aaaaaaaaaaa1"], "newest first");
    assert_eq!(db.flow_sets(1).await.unwrap().len(), 1, "the limit holds");
    assert_eq!(
        db.flow_file_count().await.unwrap(),
        3,
        "the shared text once"
    );
    assert!(db.flow_set("bbbbbbbbbbbb").await.unwrap().is_none());
}

/// The stored flow set versions, sorted.
pub async fn versions(db: &Database) -> Vec<String> {
    let mut v: Vec<String> = db
        .flow_sets(100)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.version)
        .collect();
    v.sort();
    v
}

async fn flow_sets_are_pruned_with_their_calls(db: &Database) {
    // v1 was served at 1_000_000 and v2 at 2_000_000 (above); v3 and v4 come later. A call
    // answered by v1 is seen at 3_000_000, one answered by v3 at 2_500_000 only.
    let v3 = flow_set("aaaaaaaaaaa3", 2_400_000, &[("acme.yaml", "start: v3\n")]);
    let v4 = flow_set("aaaaaaaaaaa4", 2_600_000, &[("acme.yaml", "start: v4\n")]);
    db.keep_flow_set(Arc::new(v3)).await.unwrap();
    db.keep_flow_set(Arc::new(v4)).await.unwrap();
    db.write(Arc::new(vec![
        webhook(&sid(10), 3_000_000, "aaaaaaaaaaa1"),
        webhook(&sid(11), 2_500_000, "aaaaaaaaaaa3"),
    ]))
    .await
    .unwrap();
    // Cutoff 2_550_000: the call seen at 2_500_000 goes, the one at 3_000_000 stays. v1 is
    // old but named by the call that stays; v2 and v3 are old and named by no call left;
    // v4 was served after the cutoff.
    assert!(db.prune(2_550_000, 1_000).await.unwrap() >= 1);
    assert!(db.story(&sid(11)).await.unwrap().is_none());
    assert!(db.story(&sid(10)).await.unwrap().is_some());
    assert_eq!(versions(db).await, ["aaaaaaaaaaa1", "aaaaaaaaaaa4"]);
    assert!(db.flow_set("aaaaaaaaaaa2").await.unwrap().is_none());
    assert_eq!(
        db.flow_set("aaaaaaaaaaa1").await.unwrap().unwrap().len(),
        2,
        "a kept version keeps every file, the one it shared with a pruned version too"
    );
    // The texts only v2 or v3 held are gone: v1's two and v4's one are left.
    assert_eq!(db.flow_file_count().await.unwrap(), 3);

    // v1 is still served (a retention round says so): kept past a cutoff after its load,
    // and now the one served last, so v4, older and named by no call, goes.
    db.flow_set_served("aaaaaaaaaaa1", 9_000_000).await.unwrap();
    db.prune(5_000_000, 1_000).await.unwrap();
    assert!(db.story(&sid(10)).await.unwrap().is_none());
    assert_eq!(versions(db).await, ["aaaaaaaaaaa1"]);
    // The version served last stays whatever the cutoff, with no call naming it.
    db.prune(i64::MAX, 1_000).await.unwrap();
    assert_eq!(versions(db).await, ["aaaaaaaaaaa1"]);
    assert_eq!(db.flow_file_count().await.unwrap(), 2);
}
