use super::*;
use crate::form::parse_params;

/// The interpreter settings a server runs with by default.
static ENGINE_DEFAULTS: std::sync::LazyLock<crate::engine::Config> =
    std::sync::LazyLock::new(Default::default);

fn fixture(name: &str) -> Params {
    let path = format!(
        "{}/../shared/fixtures/webhooks/{name}.form",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    parse_params(text.trim().as_bytes()).unwrap()
}

const HERE: Arrival<'static> = Arrival {
    at: 1_000,
    replica: "r1",
};

#[test]
fn status_callbacks_are_keyed_by_sequence_number() {
    let p = fixture("status-completed");
    let r = Record::status(&p, HERE).unwrap();
    let seq = p.get("SequenceNumber").unwrap();
    assert_eq!(r.key, format!("status:{}:{seq}", p.get("CallSid").unwrap()));
    let Body::Status(s) = &r.body else {
        panic!("{r:?}")
    };
    assert_eq!(s.leg.call_status.as_deref(), Some("completed"));
    assert!(s.duration.is_some());
    // Without a sequence number: status and timestamp.
    let mut q = Params::default();
    for (k, v) in p.pairs().filter(|(k, _)| *k != "SequenceNumber") {
        q.push(k, v);
    }
    let r2 = Record::status(&q, HERE).unwrap();
    assert!(
        r2.key.starts_with("status:CA") && r2.key.contains(":completed:"),
        "{}",
        r2.key
    );
}

#[test]
fn recording_and_transcription_keys() {
    let r = Record::recording(&fixture("recording-completed"), HERE).unwrap();
    assert!(
        r.key.starts_with("recording:RE") && r.key.ends_with(":completed"),
        "{}",
        r.key
    );
    let t = Record::transcription(&fixture("transcription-completed"), HERE).unwrap();
    assert!(
        t.key.starts_with("transcription:TR") && t.key.ends_with(":completed"),
        "{}",
        t.key
    );
    let Body::Transcription(b) = &t.body else {
        panic!()
    };
    assert!(b.text.as_deref().is_some_and(|s| !s.is_empty()));
}

#[test]
fn callbacks_without_their_ids_are_refused() {
    let empty = Params::default();
    assert_eq!(
        Record::status(&empty, HERE),
        Err(Unusable::Missing("CallSid"))
    );
    let mut p = Params::default();
    p.push("CallSid", "CA1");
    assert_eq!(
        Record::recording(&p, HERE),
        Err(Unusable::Missing("RecordingSid"))
    );
    assert_eq!(
        Record::status(&p, HERE),
        Err(Unusable::Missing("CallStatus"))
    );
}

#[test]
fn ids_that_are_not_sids_are_refused_and_long_keys_hashed() {
    let huge = format!("CA{}", "A".repeat(10_000));
    let cases = [huge.as_str(), "CA\0", "CA/../x", "CA\u{1b}[31m", "CA 1"];
    for bad in cases {
        let mut p = Params::default();
        p.push("CallSid", bad);
        p.push("CallStatus", "ringing");
        assert_eq!(
            Record::status(&p, HERE),
            Err(Unusable::NotASid("CallSid")),
            "{bad:?}"
        );
        let a = answered("https://x/voice", None, &[]);
        assert!(Record::webhook(&p, HERE, a).is_none(), "{bad:?}");
    }
    assert_eq!(cases.len(), 5);
    let mut p = Params::default();
    p.push("CallSid", "CA1");
    p.push("RecordingSid", "RE\u{1b}");
    p.push("RecordingStatus", "completed");
    assert_eq!(
        Record::recording(&p, HERE),
        Err(Unusable::NotASid("RecordingSid"))
    );
    // A status of kilobytes: the key is its hash, the same for a retry, and the NUL in
    // the stored value is gone.
    let mut p = Params::default();
    p.push("CallSid", "CA1");
    p.push("CallStatus", &format!("busy\0{}", "x".repeat(5_000)));
    let (a, b) = (
        Record::status(&p, HERE).unwrap(),
        Record::status(&p, HERE).unwrap(),
    );
    assert_eq!(a.key, b.key);
    assert!(
        a.key.starts_with("status:h") && a.key.len() < 64,
        "{}",
        a.key
    );
    let Body::Status(s) = &a.body else {
        panic!("{a:?}")
    };
    assert!(!s.leg.call_status.as_deref().unwrap_or("").contains('\0'));
}

fn answered<'a>(url: &'a str, token: Option<&'a str>, secrets: &'a [String]) -> Answered<'a> {
    Answered {
        endpoint: "continue",
        resumed: Some("acme/menu".into()),
        idempotency_token: token,
        signature: None,
        url,
        now: 5,
        latency_us: 7,
        flow: Some("acme".into()),
        flow_version: "abc".into(),
        failed: false,
        trace: vec![Event::Hangup],
        twiml: b"<Response><Hangup/></Response>",
        engine: &ENGINE_DEFAULTS,
        notices: &[],
        secrets,
    }
}

#[test]
fn a_webhook_keeps_the_whole_request_and_the_answer() {
    let p = fixture("gather-digits");
    let r = Record::webhook(&p, HERE, answered("https://x/voice/acme/menu", None, &[])).unwrap();
    let Body::Webhook(w) = &r.body else {
        panic!("{r:?}")
    };
    let mut sent: Vec<(String, String)> = p
        .pairs()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut kept = w.request(&r.call_sid);
    sent.sort();
    kept.sort();
    assert!(sent.len() > 10, "{sent:?}");
    assert_eq!(kept, sent);
    assert_eq!(w.twiml, "<Response><Hangup/></Response>");
    // The same through the JSON the store holds.
    let back: Record = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(back, r);
}

#[test]
fn a_sensitive_value_is_in_no_stored_parameter_or_document() {
    let mut p = fixture("gather-digits");
    p.push("UnstableSpeechResult", "my pin is 4321");
    let secrets = vec!["4321".to_string()];
    let mut a = answered("https://x/voice/acme/pin", None, &secrets);
    a.twiml = b"<Response><Redirect>/voice/acme/next?v.pin=4321</Redirect></Response>";
    let digits = p.get("Digits").unwrap().to_string();
    let secrets = vec![digits.clone(), "4321".to_string()];
    a.secrets = &secrets;
    let r = Record::webhook(&p, HERE, a).unwrap();
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("4321"), "{json}");
    assert!(json.contains("v.pin=[redacted]"), "{json}");
    assert!(json.contains("my pin is [redacted]"), "{json}");
    let Body::Webhook(w) = &r.body else {
        panic!("{r:?}")
    };
    assert_eq!(
        w.inputs.get("Digits").map(String::as_str),
        Some(crate::engine::REDACTED)
    );
}

#[test]
fn webhooks_are_keyed_by_token_or_request_hash() {
    let p = fixture("gather-digits");
    let a = Record::webhook(
        &p,
        HERE,
        answered("https://x/voice/acme/menu?a=1", Some("tok-1"), &[]),
    )
    .unwrap();
    assert_eq!(a.key, "webhook:tok-1");
    let b = Record::webhook(
        &p,
        HERE,
        answered("https://x/voice/acme/menu?a=1", None, &[]),
    )
    .unwrap();
    let c = Record::webhook(
        &p,
        HERE,
        answered("https://x/voice/acme/menu?a=1", None, &[]),
    )
    .unwrap();
    let d = Record::webhook(
        &p,
        HERE,
        answered("https://x/voice/acme/menu?a=2", None, &[]),
    )
    .unwrap();
    assert_eq!(b.key, c.key, "a retry hashes the same");
    assert_ne!(b.key, d.key, "another URL is another webhook");
    let mut signed = answered("https://x/voice/acme/menu?a=1", None, &[]);
    signed.signature = Some("0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    let s = Record::webhook(&p, HERE, signed).unwrap();
    assert!(
        s.key.starts_with("webhook:s") && s.key.len() == 41,
        "{}",
        s.key
    );
    assert!(
        !s.key.contains("0/KCTR6"),
        "the signature itself is not stored"
    );
    let Body::Webhook(w) = &b.body else { panic!() };
    assert_eq!(w.inputs.get("Digits").map(String::as_str), p.get("Digits"));
    // Round trip through JSON (the spool and the `body` column).
    let json = serde_json::to_string(&b).unwrap();
    assert_eq!(serde_json::from_str::<Record>(&json).unwrap(), b);
}

#[test]
fn secret_inputs_are_redacted() {
    let p = fixture("gather-digits");
    let digits = p.get("Digits").unwrap().to_string();
    let secrets = vec![digits.clone()];
    let r = Record::webhook(&p, HERE, answered("https://x/v", None, &secrets)).unwrap();
    let json = serde_json::to_string(&r).unwrap();
    let Body::Webhook(w) = &r.body else { panic!() };
    assert_eq!(
        w.inputs.get("Digits").map(String::as_str),
        Some(crate::engine::REDACTED)
    );
    assert!(w.redacted);
    assert!(!json.contains(&format!("\"{digits}\"")), "{json}");
}
