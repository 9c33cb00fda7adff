//! Routing and limits: wrong paths, methods, types and forms; body and header size limits;
//! header, request and keep-alive timeouts.

use std::io::{Read, Write};
use std::time::Duration;

use crate::harness;
use crate::harness::server::{IVR, Reply, TestServer, read_all};

#[test]
fn wrong_paths_methods_types_and_forms_get_their_4xx() {
    let s = TestServer::builder().start();
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    for target in [
        "/",
        "/nope",
        "/voice/",
        "/voice/acme",
        "/voice/acme/menu/extra",
        "/voice/ac%20me/menu",
        "/voice/../status",
        "/status/",
    ] {
        let r = s.request("POST", target, &[form], b"To=%2B1");
        assert_eq!(r.status, 404, "{target}");
    }
    for target in [
        "/voice",
        "/voice/acme/menu",
        "/status",
        "/recording",
        "/fallback",
    ] {
        let r = s.request("DELETE", target, &[], b"");
        assert_eq!(r.status, 405, "{target}");
        assert_eq!(r.header("allow"), Some("GET, POST"));
    }
    let r = s.request("POST", "/healthz", &[form], b"");
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, HEAD")));

    let r = s.request(
        "POST",
        "/voice",
        &[("Content-Type", "application/json")],
        b"{}",
    );
    assert_eq!(r.status, 415);
    let r = s.request("POST", "/voice", &[], b"To=%2B1");
    assert_eq!(r.status, 415, "no content type");

    let r = s.request("POST", "/voice", &[form], b"To=%ZZ");
    assert_eq!(r.status, 400);
    assert!(r.body.contains("malformed"), "{}", r.body);
    let r = s.request("POST", "/voice", &[form], b"To=%FF");
    assert_eq!(r.status, 400);
    let r = s.request("GET", "/voice?To=%E0%A4", &[], b"");
    assert_eq!(r.status, 400);
}

#[test]
fn bodies_over_the_limit_get_413_declared_or_chunked() {
    let s = TestServer::builder().public_url(IVR).start();
    // Declared too large: refused before reading.
    let mut c = s.connect();
    c.write_all(
        b"POST /voice HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 70000\r\n\r\n",
    )
    .unwrap();
    let r = Reply::parse(&read_all(&mut c));
    assert_eq!(r.status, 413);

    // Chunked, no length: counted as it arrives.
    let mut c = s.connect();
    c.write_all(
        b"POST /voice HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n",
    )
    .unwrap();
    let chunk = format!("2000\r\n{}\r\n", "a".repeat(0x2000));
    for _ in 0..9 {
        // 72 KiB in all; once the server has answered it may stop reading.
        if c.write_all(chunk.as_bytes()).is_err() {
            break;
        }
    }
    let _ = c.write_all(b"0\r\n\r\n");
    let r = Reply::parse(&read_all(&mut c));
    assert_eq!(r.status, 413);

    // Just under the limit is fine.
    let mut body = harness::webhook("incoming-call");
    body.push_str("&Padding=");
    body.push_str(&"p".repeat(60 * 1024));
    s.post("/voice", &body).twiml();
}

#[test]
fn oversized_headers_get_431() {
    let s = TestServer::builder().start();
    let mut c = s.connect();
    let big = "b".repeat(20 * 1024);
    let req = format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n");
    let _ = c.write_all(req.as_bytes());
    let r = Reply::parse(&read_all(&mut c));
    assert_eq!(r.status, 431);
    assert_eq!(r.body, "request head too large (see --max-header-bytes)\n");
}

#[test]
fn malformed_requests_get_400_with_a_reason() {
    let s = TestServer::builder().start();
    let mut cases = 0;
    for req in [
        "GET /healthz HTTP/1.1\r\nHost: x\r\nNot a header\r\n\r\n",
        "GARBAGE\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
    ] {
        let mut c = s.connect();
        let _ = c.write_all(req.as_bytes());
        let r = Reply::parse(&read_all(&mut c));
        assert_eq!(r.status, 400, "{req:?}");
        assert_eq!(
            r.body, "bad request: the request line or a header is malformed\n",
            "{req:?}"
        );
        assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
        cases += 1;
    }
    assert_eq!(cases, 3);
}

#[test]
fn slow_clients_are_dropped_after_the_header_timeout() {
    let s = TestServer::builder()
        .with(|c| c.limits.header_read_timeout = Duration::from_millis(200))
        .start();
    let mut c = s.connect();
    c.write_all(b"POST /voice HTTP/1.1\r\nHost: x\r\n").unwrap();
    // The server closes the connection without an answer; the read timeout (BOUND) is the
    // bound, and hitting it fails the test.
    assert!(read_all(&mut c).is_empty());

    // The same timeout ends idle keep-alive connections.
    let mut c = s.connect();
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let raw = read_all(&mut c);
    assert!(
        raw.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&raw)
    );
}

#[test]
fn slow_bodies_get_408_after_the_request_timeout() {
    let s = TestServer::builder()
        .with(|c| c.limits.request_timeout = Duration::from_millis(300))
        .start();
    let mut c = s.connect();
    c.write_all(
        b"POST /voice HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nTo=%2B1",
    )
    .unwrap();
    let r = Reply::parse(&read_all(&mut c));
    assert_eq!(r.status, 408);
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(s.counter("timeouts"), 1);
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let s = TestServer::builder().start();
    let mut c = s.connect();
    for _ in 0..3 {
        c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        // Read exactly one answer: head, then Content-Length bytes.
        let mut raw = Vec::new();
        let mut byte = [0u8; 1];
        while !raw.ends_with(b"\r\n\r\n") {
            assert_eq!(c.read(&mut byte).unwrap(), 1, "connection closed early");
            raw.push(byte[0]);
        }
        let head = Reply::parse(&raw);
        assert_eq!(head.status, 200);
        let len: usize = head.header("content-length").unwrap().parse().unwrap();
        let mut body = vec![0u8; len];
        c.read_exact(&mut body).unwrap();
        assert_eq!(body, b"ok\n");
    }
    assert_eq!(
        s.counter("connections"),
        2,
        "the keep-alive one and the /readyz one"
    );
}
