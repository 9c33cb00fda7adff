//! Probes and shutdown: `/healthz` and `/readyz`, graceful and bounded shutdown in process,
//! and the real binary refusing bad start-ups and stopping on SIGTERM.

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use switchboard::http::ShutdownReport;

use crate::harness::binary::{ServeProcess, Switchboard};
use crate::harness::server::{IVR, Reply, TestServer, read_all};
use crate::harness::{self, FlowDir, wait_until};

#[test]
fn graceful_shutdown_finishes_in_flight_requests() {
    let mut s = TestServer::builder().public_url(IVR).start();
    let body = harness::webhook("incoming-call");
    let sig = s.sign("https://ivr.example.com/voice", &body);
    let (first, rest) = body.split_at(body.len() / 2);

    // A request in flight: head and half the body sent.
    let mut c = s.connect();
    let head = format!(
        "POST /voice HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: {sig}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    c.write_all(head.as_bytes()).unwrap();
    c.write_all(first.as_bytes()).unwrap();
    // The handler is running: this probe plus the request in flight.
    wait_until("the request is in flight", || s.counter("in_flight") >= 2);

    s.begin_shutdown();
    // New connections are refused once the listener is closed.
    wait_until("the listener is closed", || {
        TcpStream::connect(s.addr).is_err()
    });

    // The in-flight request completes normally.
    c.write_all(rest.as_bytes()).unwrap();
    let r = Reply::parse(&read_all(&mut c));
    r.twiml();
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(s.stop(), ShutdownReport { drained: true });
}

#[test]
fn shutdown_grace_is_bounded() {
    let mut s = TestServer::builder()
        .with(|c| c.limits.shutdown_grace = Duration::from_millis(200))
        .start();
    // A connection stuck mid-body never finishes; shutdown gives up on it after the grace.
    let mut c = s.connect();
    c.write_all(b"POST /voice HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nTo=").unwrap();
    wait_until("the request is in flight", || s.counter("in_flight") >= 2);
    assert_eq!(s.stop(), ShutdownReport { drained: false });
}

#[test]
fn healthz_and_readyz() {
    let s = TestServer::builder().start();
    let r = s.request("GET", "/healthz", &[], b"");
    assert_eq!((r.status, r.body.as_str()), (200, "ok\n"));
    let r = s.request("HEAD", "/healthz", &[], b"");
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    let v = s.readyz();
    assert_eq!(v["status"], "ready");
    assert_eq!(v["flows"], 1);
    assert!(v["steps"].as_u64().unwrap() > 5);
    assert!(v["load_ms"].is_f64());
    assert!(v["loaded_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(v["signature_verification"], true);
    assert!(v["last_reload_error"].is_null());
    assert!(v["counters"]["calls"].is_u64());
}

#[test]
fn serve_refuses_to_start_without_a_token() {
    let out = Switchboard::new("serve")
        .args(["--listen", "127.0.0.1:0"])
        .run();
    assert_eq!(out.code, 2);
    let err = out.stderr;
    assert!(err.contains("no Twilio auth token"), "{err}");
    assert!(err.contains("TWILIO_AUTH_TOKEN"), "{err}");
}

#[test]
fn serve_refuses_flows_with_errors() {
    let flows = FlowDir::new().file(
        "bad.yaml",
        "start: nowhere\nsteps:\n  hi:\n    say: x\n    next: hangup\n",
    );
    let out = Switchboard::new("serve")
        .args(["--listen", "127.0.0.1:0", "--flows"])
        .arg(flows.path())
        .env("TWILIO_AUTH_TOKEN", "t")
        .run();
    assert_eq!(out.code, 1);
    let err = out.stderr;
    assert!(err.contains("error[") && err.contains("bad.yaml"), "{err}");
    assert!(err.contains("not serving flows with errors"), "{err}");
}

/// The real binary: starts, answers a signed call, stops cleanly on SIGTERM.
#[cfg(unix)]
#[test]
fn serve_binary_answers_and_stops_on_sigterm() {
    let mut serve = ServeProcess::start(&harness::root().join("flows"), &[]);
    serve
        .post("/voice", &harness::webhook("incoming-call"))
        .twiml();
    let call = serve.next_log("call");
    assert_eq!(call["flow"], "acme");

    serve.signal("TERM");
    assert_eq!(serve.wait_exit().code(), Some(0));
    serve.next_log("stopped");
}
