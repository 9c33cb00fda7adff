use super::*;
use crate::calls::record::{Arrival, Record};
use crate::form::Params;

/// The interpreter settings a server runs with by default.
static ENGINE_DEFAULTS: std::sync::LazyLock<crate::engine::Config> =
    std::sync::LazyLock::new(Default::default);

fn params(pairs: &[(&str, &str)]) -> Params {
    let mut p = Params::default();
    for (k, v) in pairs {
        p.push(k, v);
    }
    p
}

const SID: &str = "CA00000000000000000000000000000001";

fn status(at: i64, seq: &str, s: &str, extra: &[(&str, &str)]) -> Record {
    let mut pairs = vec![
        ("CallSid", SID),
        ("CallStatus", s),
        ("SequenceNumber", seq),
        ("From", "+14155550142"),
        ("To", "+14155550100"),
    ];
    pairs.extend_from_slice(extra);
    Record::status(&params(&pairs), Arrival { at, replica: "r" }).unwrap()
}

fn story() -> Vec<Record> {
    let rec = |at, st: &str| {
        Record::recording(
            &params(&[
                ("CallSid", SID),
                ("RecordingSid", "RE1"),
                ("RecordingStatus", st),
                ("RecordingUrl", "https://api.twilio.com/rec/RE1"),
                ("RecordingDuration", "12"),
            ]),
            Arrival { at, replica: "r" },
        )
        .unwrap()
    };
    vec![
        status(10, "0", "initiated", &[]),
        status(20, "1", "ringing", &[]),
        status(30, "2", "in-progress", &[]),
        status(
            90,
            "3",
            "completed",
            &[("CallDuration", "60"), ("SipResponseCode", "200")],
        ),
        rec(80, "in-progress"),
        rec(95, "completed"),
        Record::expired(SID, 100, "r"),
    ]
}

/// Every order of the records (7! = 5040) folds to the same summary.
#[test]
fn any_arrival_order_gives_the_same_summary() {
    let records = story();
    let (want, want_recs) = summarize(SID, &records);
    assert_eq!(
        want.status, "completed",
        "a real final status beats `unknown`"
    );
    assert!(want.ended);
    assert_eq!(want.duration, Some(60));
    assert_eq!(want.sip_response_code.as_deref(), Some("200"));
    assert_eq!(want.answered_at, Some(30));
    assert_eq!(want.ended_at, Some(90));
    assert_eq!(want.from.as_deref(), Some("+14155550142"));
    assert_eq!(want_recs.len(), 1);
    assert_eq!(want_recs[0].status, "completed");
    let mut order: Vec<usize> = (0..records.len()).collect();
    let mut checked = 0;
    permute(&mut order, 0, &mut |o| {
        let shuffled: Vec<Record> = o.iter().map(|&i| records[i].clone()).collect();
        assert_eq!(
            summarize(SID, &shuffled),
            (want.clone(), want_recs.clone()),
            "{o:?}"
        );
        checked += 1;
    });
    assert_eq!(checked, 5040);
}

fn permute(v: &mut Vec<usize>, k: usize, f: &mut dyn FnMut(&[usize])) {
    if k == v.len() {
        return f(v);
    }
    for i in k..v.len() {
        v.swap(k, i);
        permute(v, k + 1, f);
        v.swap(k, i);
    }
}

#[test]
fn a_call_without_a_final_status_is_open_until_expired() {
    let open = &story()[..3];
    let (c, _) = summarize(SID, open);
    assert_eq!(c.status, "in-progress");
    assert!(!c.ended);
    let mut closed = open.to_vec();
    closed.push(Record::expired(SID, 500, "r"));
    let (c, _) = summarize(SID, &closed);
    assert_eq!(c.status, UNKNOWN);
    assert!(c.ended);
    assert_eq!(c.ended_at, Some(500));
}

#[test]
fn a_missing_value_never_erases_a_known_one() {
    let mut records = story();
    // A late callback without From/To.
    records.push(
        Record::status(
            &params(&[
                ("CallSid", SID),
                ("CallStatus", "completed"),
                ("SequenceNumber", "4"),
            ]),
            Arrival {
                at: 200,
                replica: "r",
            },
        )
        .unwrap(),
    );
    let (c, _) = summarize(SID, &records);
    assert_eq!(c.from.as_deref(), Some("+14155550142"));
    assert_eq!(c.to.as_deref(), Some("+14155550100"));
}

#[test]
fn paths_collapse_retries() {
    assert_eq!(
        short_path(&["menu", "menu", "billing", "menu"]),
        "menu > billing > menu"
    );
    assert_eq!(short_path(&[]), "");
}

/// The `fold` column holds `fold_view`s: folding them gives what folding the records does.
#[test]
fn fold_views_fold_like_the_records() {
    use crate::calls::record::Answered;
    use crate::engine::Event;
    let mut records = story();
    let p = params(&[
        ("CallSid", SID),
        ("CallStatus", "completed"),
        ("From", "+14155550142"),
        ("RecordingSid", "RE2"),
        ("RecordingUrl", "https://api.twilio.com/rec/RE2"),
        ("RecordingDuration", "7"),
        ("Digits", "hangup"),
    ]);
    let trace = vec![
        Event::Enter {
            flow: "acme".into(),
            step: "voicemail".into(),
            kind: "record",
        },
        Event::Result {
            step: "voicemail".into(),
            outcome: "recorded 7s".into(),
        },
        Event::Hangup,
    ];
    records.push(
        Record::webhook(
            &p,
            Arrival {
                at: 85,
                replica: "r",
            },
            Answered {
                endpoint: "continue",
                resumed: Some("acme/voicemail".into()),
                idempotency_token: None,
                signature: None,
                url: "/voice/acme/voicemail",
                now: 85,
                latency_us: 3,
                flow: Some("acme".into()),
                flow_version: "abc".into(),
                failed: true,
                trace,
                twiml: b"",
                engine: &ENGINE_DEFAULTS,
                notices: &[],
                secrets: &[],
            },
        )
        .unwrap(),
    );
    let views: Vec<Record> = records.iter().map(Record::fold_view).collect();
    let whole = summarize(SID, &records);
    assert_eq!(summarize(SID, &views), whole);
    assert_eq!(whole.0.path, "voicemail");
    assert_eq!(whole.1.len(), 2, "RE1 from callbacks, RE2 from the action");
    // And the view is smaller: no outcome text, no endpoint.
    let json = |r: &Record| serde_json::to_string(r).unwrap().len();
    assert!(json(&views[7]) < json(&records[7]));
}
