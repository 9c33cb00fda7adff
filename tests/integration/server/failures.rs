//! Failures the caller must never hear as silence: a run-time failure, a panic in the
//! handler, an oversized document, and Twilio's fallback URL.

use switchboard::engine;

use crate::harness::server::{TestServer, incoming, texts};
use crate::harness::{self, FlowDir};

#[test]
fn a_run_time_failure_still_answers_200_with_the_apology() {
    // Caller input in this step on purpose (`allow_caller_input`): the test is what the engine
    // does with it at run time.
    let flows = FlowDir::new().file(
        "broken.yaml",
        "numbers: [\"+14155550100\"]\nstart: call_back\nsteps:\n  call_back:\n    allow_caller_input: true\n    dial:\n      to: \"{{From}}\"\n",
    );
    let s = TestServer::builder()
        .flows(flows)
        .with(|c| c.apology = "Sorry, something broke.".into())
        .start();
    // `anonymous` is not a number: the dial fails at run time.
    let r = s.post("/voice", &incoming("anonymous", "+14155550100"));
    let xml = r.twiml();
    assert_eq!(texts(xml, "Say"), ["Sorry, something broke."]);
    assert!(xml.contains("<Hangup"), "{xml}");
    assert_eq!(s.counter("run_failures"), 1);
    let line = s.logs.find("endpoint", "voice");
    assert_eq!(line["failed"], true);
    assert!(
        line["steps"]
            .as_str()
            .unwrap()
            .contains("error: dial target"),
        "{line}"
    );
}

fn panicking_runner(
    _: &switchboard::flow::FlowSet,
    _: &engine::Config,
    _: engine::Entry<'_>,
    _: &engine::Params,
    _: jiff::Timestamp,
) -> engine::Outcome {
    panic!("injected panic for the panic-safety test")
}

#[test]
fn a_panic_in_the_handler_still_answers_the_safe_document() {
    let s = TestServer::builder()
        .with(|c| {
            c.runner = panicking_runner;
            c.fallback_operator = Some("+14155550199".into());
        })
        .start();
    let r = s.post("/voice", &harness::webhook("incoming-call"));
    let xml = r.twiml();
    assert_eq!(texts(xml, "Dial"), ["+14155550199"]);
    assert_eq!(s.counter("panics"), 1);
    // The server keeps serving.
    let r = s.post("/voice/acme/menu", &harness::webhook("gather-digits"));
    r.twiml();
    assert_eq!(s.counter("panics"), 2);
    let line = s.logs.find("level", "ERROR");
    assert!(
        line["panic"].as_str().unwrap().contains("injected panic"),
        "{line}"
    );
    assert_eq!(line["call_sid"], "CAeb235b73b619126b4828311b926f50d4");
}

fn oversized_runner(
    _: &switchboard::flow::FlowSet,
    _: &engine::Config,
    _: engine::Entry<'_>,
    _: &engine::Params,
    _: jiff::Timestamp,
) -> engine::Outcome {
    engine::Outcome {
        twiml: format!("<Response><Say>{}</Say></Response>", "x".repeat(70_000)),
        response: switchboard::twiml::Response::new(),
        trace: vec![],
        flow: None,
        routed: None,
        failed: false,
        secrets: vec![],
        notices: vec![],
        answer: None,
    }
}

#[test]
fn no_document_over_64_kb_is_sent() {
    let s = TestServer::builder()
        .with(|c| c.runner = oversized_runner)
        .start();
    let r = s.post("/voice", &harness::webhook("incoming-call"));
    let xml = r.twiml();
    assert!(xml.len() < 1000, "{} bytes", xml.len());
    assert!(xml.contains("<Hangup"), "{xml}");
    assert_eq!(s.counter("run_failures"), 1);
}

#[test]
fn fallback_answers_the_configured_safe_document() {
    let s = TestServer::builder()
        .with(|c| {
            c.apology = "We are having trouble.".into();
            c.fallback_operator = Some("+14155550199".into());
        })
        .start();
    let body = format!(
        "{}&ErrorCode=11205&ErrorUrl=https%3A%2F%2Fivr.example.com%2Fvoice%3Fsecret%3D1",
        harness::webhook("incoming-call")
    );
    let r = s.post("/fallback", &body);
    let xml = r.twiml();
    assert_eq!(texts(xml, "Say"), ["We are having trouble."]);
    assert_eq!(texts(xml, "Dial"), ["+14155550199"]);
    assert_eq!(s.counter("fallbacks"), 1);
    let line = s.logs.find("endpoint", "fallback");
    assert_eq!(line["error_code"], "11205");
    // The failing URL is logged without its query (it may carry call state).
    assert_eq!(line["error_url"], "https://ivr.example.com/voice");

    // Without an operator: apology, then hang up.
    let s = TestServer::builder().start();
    let xml = s.post("/fallback", &body).twiml().to_owned();
    assert!(xml.contains("<Hangup") && !xml.contains("<Dial"), "{xml}");
}
