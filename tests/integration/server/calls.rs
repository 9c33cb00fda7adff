//! Calls over HTTP: routing by number, following the action URLs the server writes (POST
//! and GET), a public URL with a path prefix, and the status and recording callbacks.

use crate::harness;
use crate::harness::server::{IVR, TestServer, attr, incoming, texts};

use super::two_flows;

#[test]
fn incoming_call_is_answered_by_the_flow_for_its_number() {
    let s = TestServer::builder().flows(two_flows()).start();
    let r = s.post("/voice", &incoming("+12025550143", "+14155550101"));
    assert_eq!(texts(r.twiml(), "Say"), ["Support here."]);
    assert_eq!(r.header("cache-control"), Some("no-store"));

    let r = s.post("/voice", &incoming("+12025550143", "+14155550100"));
    let xml = r.twiml();
    assert_eq!(texts(xml, "Say"), ["Sales here.", "Press 1."]);
    // Without --public-url, action URLs are relative (Twilio resolves them).
    assert_eq!(
        attr(xml, "Gather", "action").as_deref(),
        Some("/voice/sales/menu?k=m&n=1")
    );

    // A number no flow answers is rejected, still with 200 TwiML.
    let r = s.post("/voice", &incoming("+12025550143", "+19995550000"));
    assert!(r.twiml().contains("<Reject"), "{}", r.body);

    assert_eq!(s.counter("calls"), 2);
    assert_eq!(s.counter("unrouted"), 1);
    let line = s.logs.find("flow", "support");
    assert_eq!(line["call_sid"], "CA00000000000000000000000000000001");
    assert_eq!(line["endpoint"], "voice");
    assert_eq!(line["status"], 200);
    assert_eq!(line["steps"], "support/hi > hangup");
    assert!(line["latency_us"].is_u64());
}

/// The acme line end to end, following the action URLs the server writes: a VIP's dial is
/// not answered (on_fail → menu), the menu takes `2` (support, a sequential dial), both legs
/// go unanswered (voicemail), and the recording ends with goodbye.
#[test]
fn a_call_walks_through_the_acme_flow() {
    let s = TestServer::builder().public_url(IVR).start();
    let no_answer = harness::webhook("dial-no-answer");

    let r = s.post("/voice", &harness::webhook("incoming-call"));
    let xml = r.twiml();
    assert_eq!(
        texts(xml, "Say"),
        ["Welcome back. Connecting you to your account manager."]
    );
    let dial = attr(xml, "Dial", "action").unwrap();
    assert_eq!(dial, "https://ivr.example.com/voice/acme/vip_dial?k=d");
    assert_eq!(
        attr(xml, "Number", "statusCallback").as_deref(),
        Some("https://ivr.example.com/status")
    );

    // Dial action with DialCallStatus=no-answer → on_fail: menu.
    let xml = s.follow(&dial, &no_answer).twiml().to_owned();
    let gather = attr(&xml, "Gather", "action").unwrap();
    assert_eq!(gather, "https://ivr.example.com/voice/acme/menu?k=m&n=1");

    // Gather action with Digits=2 → support: a sequential dial, first leg, recorded.
    let xml = s
        .follow(&gather, &harness::webhook("gather-digits"))
        .twiml()
        .to_owned();
    assert_eq!(texts(&xml, "Number"), ["+14155550112"]);
    assert_eq!(
        attr(&xml, "Dial", "recordingStatusCallback").as_deref(),
        Some("https://ivr.example.com/recording")
    );
    let dial = attr(&xml, "Dial", "action").unwrap();
    assert!(
        dial.starts_with("https://ivr.example.com/voice/acme/support?"),
        "{dial}"
    );

    // First leg unanswered → second leg; second unanswered → voicemail.
    let xml = s.follow(&dial, &no_answer).twiml().to_owned();
    assert_eq!(texts(&xml, "Number"), ["+14155550115"]);
    let dial = attr(&xml, "Dial", "action").unwrap();
    let xml = s.follow(&dial, &no_answer).twiml().to_owned();
    let record = attr(&xml, "Record", "action").unwrap();
    assert_eq!(
        attr(&xml, "Record", "recordingStatusCallback").as_deref(),
        Some("https://ivr.example.com/recording")
    );

    // Record action → goodbye, hang up.
    let xml = s
        .follow(&record, &harness::webhook("record-action"))
        .twiml()
        .to_owned();
    assert_eq!(texts(&xml, "Say"), ["Thank you for calling Acme. Goodbye."]);
    assert!(xml.contains("<Hangup"), "{xml}");

    assert_eq!(s.counter("calls"), 1);
    assert_eq!(s.counter("continuations"), 5);
    assert_eq!(s.counter("run_failures"), 0);
    let steps: Vec<String> = s
        .logs
        .lines()
        .iter()
        .filter(|l| l["endpoint"] == "continue")
        .map(|l| l["steps"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(steps.len(), 5);
    assert!(steps[0].starts_with("dial no-answer"), "{steps:?}");
    assert!(steps[0].contains("acme/menu"), "{steps:?}");
}

#[test]
fn a_path_prefix_in_the_public_url_is_signed_and_written_into_action_urls() {
    // The proxy serves https://example.com/ivr/… and strips /ivr before passing it on.
    let s = TestServer::builder()
        .flows(two_flows())
        .public_url("https://example.com/ivr/")
        .start();
    let body = incoming("+12025550143", "+14155550100");
    let sig = s.sign("https://example.com/ivr/voice", &body);
    let r = s.post_signed("/voice", &body, &sig, &[]);
    assert_eq!(
        attr(r.twiml(), "Gather", "action").as_deref(),
        Some("https://example.com/ivr/voice/sales/menu?k=m&n=1")
    );
    // Signed without the prefix: not the URL Twilio used.
    let sig = s.sign("https://example.com/voice", &body);
    let r = s.post_signed("/voice", &body, &sig, &[]);
    assert_eq!(r.status, 403);
}

#[test]
fn get_webhooks_carry_their_parameters_in_the_query() {
    let s = TestServer::builder().public_url(IVR).start();
    // Incoming call by GET: every parameter in the query, signed over the URL alone.
    let target = format!("/voice?{}", harness::webhook("incoming-call"));
    let xml = s.get(&target).twiml().to_owned();
    let dial = attr(&xml, "Dial", "action").unwrap();
    // The action by GET: Twilio appends its parameters to the action URL's own query.
    let target = format!(
        "{}&{}",
        s.target_of(&dial),
        harness::webhook("dial-no-answer")
    );
    let xml = s.get(&target).twiml().to_owned();
    assert!(
        attr(&xml, "Gather", "action").is_some(),
        "on_fail → menu: {xml}"
    );
    assert_eq!(s.counter("continuations"), 1);
}

#[test]
fn status_and_recording_callbacks_are_accepted_counted_and_logged() {
    let s = TestServer::builder().start();
    for (file, path) in [
        ("status-ringing", "/status"),
        ("status-busy", "/status"),
        ("status-completed", "/status"),
        ("recording-completed", "/recording"),
        ("recording-failed", "/recording"),
    ] {
        let r = s.post(path, &harness::webhook(file));
        assert_eq!(r.status, 204, "{file}: {r:?}");
        assert!(r.body.is_empty());
    }
    // GET works too.
    let r = s.get(&format!("/status?{}", harness::webhook("status-ringing")));
    assert_eq!(r.status, 204);

    let v = s.readyz();
    let c = &v["counters"];
    assert_eq!(c["call_status"]["ringing"], 2);
    assert_eq!(c["call_status"]["busy"], 1);
    assert_eq!(c["call_status"]["completed"], 1);
    assert_eq!(c["recording_status"]["completed"], 1);
    assert_eq!(c["recording_status"]["failed"], 1);

    let lines = s.logs.lines();
    let busy = lines
        .iter()
        .find(|l| l["call_status"] == "busy")
        .expect("a log line for the busy callback");
    assert_eq!(busy["message"], "call status");
    assert_eq!(busy["call_sid"], "CA451c1f0280de01dcdfd95d195cfb33df");
    assert_eq!(
        busy["parent_call_sid"],
        "CAeb235b73b619126b4828311b926f50d4"
    );
    assert_eq!(busy["sequence"], "2");
    assert_eq!(busy["status"], 204);
    let failed = lines
        .iter()
        .find(|l| l["recording_status"] == "failed")
        .expect("a log line for the failed recording");
    assert_eq!(failed["error_code"], "16105");
    assert_eq!(
        failed["recording_sid"],
        "REf080747abb7fe7b81a6b958e69ecff7b"
    );
    assert_eq!(failed["call_sid"], "CAeb235b73b619126b4828311b926f50d4");
    // Never the recording's URL: it is often fetchable without authentication.
    let logs = s.logs.text();
    assert!(!logs.contains("api.twilio.com"), "{logs}");
    assert!(!logs.contains("recording_url"), "{logs}");
}
