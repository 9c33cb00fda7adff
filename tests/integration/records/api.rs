//! The records API on a running server: off without a token, closed to a wrong one, pages
//! and stories as JSON with the right one.

use serde_json::Value;
use switchboard::http::AdminToken;

use super::super::harness::server::{Reply, TestServer};
use super::{OTHERS, SID, fill, half_an_hour_ago};

const ADMIN: &str = "adm-9f86d081884c7d659a2feaa0c55ad015";

/// A server with a filled database, and the token if `token`.
fn server(token: bool) -> (tempfile::TempDir, TestServer) {
    let dir = tempfile::tempdir().unwrap();
    let db = fill(&dir.path().join("records.db"), half_an_hour_ago());
    let server = TestServer::builder()
        .with(|c| {
            c.database = Some(db);
            c.admin_token = if token { AdminToken::new(ADMIN) } else { None };
        })
        .start();
    (dir, server)
}

fn get(s: &TestServer, target: &str, token: &str) -> Reply {
    let auth = format!("Bearer {token}");
    s.request("GET", target, &[("Authorization", &auth)], b"")
}

fn json(r: &Reply) -> Value {
    assert_eq!(
        r.header("content-type"),
        Some("application/json"),
        "{}",
        r.body
    );
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{}: {e}", r.body))
}

#[test]
fn without_a_token_the_api_is_not_there() {
    let (_dir, s) = server(false);
    for target in [
        "/api/calls",
        &format!("/api/calls/{SID}"),
        "/api/recordings",
        "/api",
    ] {
        assert_eq!(get(&s, target, ADMIN).status, 404, "{target}");
        assert_eq!(s.request("GET", target, &[], b"").status, 404, "{target}");
    }
}

#[test]
fn a_missing_or_wrong_token_is_refused_and_not_logged() {
    let (_dir, s) = server(true);
    let wrong = "wrong-token-5e884898da28047151d0e56f8dc6292";
    for r in [
        s.request("GET", "/api/calls", &[], b""),
        get(&s, "/api/calls", wrong),
        get(&s, "/api/calls", ""),
        s.request("GET", "/api/calls", &[("Authorization", ADMIN)], b""),
        s.request("POST", "/api/calls", &[], b""),
        get(&s, "/api/nothing-here", wrong),
    ] {
        assert_eq!(r.status, 401, "{}", r.body);
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        assert!(json(&r)["error"].as_str().unwrap().contains("Bearer"));
    }
    // Two Authorization headers, one of them right: refused (which one would count?).
    let right = format!("Bearer {ADMIN}");
    let two = s.request(
        "GET",
        "/api/calls",
        &[("Authorization", "Bearer nope"), ("Authorization", &right)],
        b"",
    );
    assert_eq!(two.status, 401);
    // The admin token opens no webhook route: an unsigned call is still refused.
    let voice = s.request(
        "POST",
        "/voice",
        &[
            ("Authorization", &format!("Bearer {ADMIN}")),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        b"CallSid=CA1&To=%2B14155550100",
    );
    assert_eq!(voice.status, 403, "{}", voice.body);
    let logs = s.logs.text();
    assert!(!logs.contains(wrong) && !logs.contains(ADMIN), "{logs}");
    let line = s.logs.find("message", "api");
    assert_eq!(line["status"], 401);
    assert_eq!(line["path"], "/api/calls");
}

#[test]
fn calls_come_in_pages() {
    let (_dir, s) = server(true);
    let total = OTHERS + 2;
    let mut target = "/api/calls?limit=3".to_string();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let r = get(&s, &target, ADMIN);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("cache-control"), Some("no-store"));
        let page = json(&r);
        pages += 1;
        for c in page["items"].as_array().unwrap() {
            seen.push(c["call_sid"].as_str().unwrap().to_string());
        }
        match page["next"].as_str() {
            Some(next) => target = format!("/api/calls?limit=3&cursor={next}"),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, total.div_ceil(3));
    assert_eq!(pages, 3);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (total, total));

    // The same filters as the command line.
    let r = get(
        &s,
        "/api/calls?from=+12025550143&to=%2B14155550100&since=1h",
        ADMIN,
    );
    let page = json(&r);
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["items"][0]["call_sid"], SID);
    assert_eq!(page["next"], Value::Null);
    let r = get(&s, "/api/recordings", ADMIN);
    assert_eq!(r.status, 200);
    assert_eq!(json(&r)["items"][0]["call_sid"], SID);
}

#[test]
fn a_call_s_story() {
    let (_dir, s) = server(true);
    let r = get(&s, &format!("/api/calls/{SID}"), ADMIN);
    assert_eq!(r.status, 200, "{}", r.body);
    let story = json(&r);
    assert_eq!(story["call"]["status"], "completed");
    assert_eq!(story["records"].as_array().unwrap().len(), 7);
    assert_eq!(story["recordings"][0]["transcription_status"], "completed");
    assert_eq!(story["children"][0]["parent_call_sid"], SID);
    let r = get(&s, "/api/calls/CA0000", ADMIN);
    assert_eq!(
        (r.status, json(&r)["error"].as_str()),
        (404, Some("no call CA0000"))
    );
}

#[test]
fn bad_requests_say_why() {
    let (_dir, s) = server(true);
    let cases = [
        ("/api/calls?since=yesterday", 400, "`since`: invalid time"),
        (
            "/api/calls?limit=5000",
            400,
            "`limit` is a number from 1 to 1000",
        ),
        ("/api/recordings?cursor=nope", 400, "`cursor` is not one"),
        ("/api/calls?color=red", 400, "unknown parameter `color`"),
        ("/api/calls/CA%27x", 400, "a CallSid is letters and digits"),
        ("/api/elsewhere", 404, "not found"),
    ];
    for (target, status, reason) in cases {
        let r = get(&s, target, ADMIN);
        assert_eq!(r.status, status, "{target}: {}", r.body);
        let error = json(&r)["error"].as_str().unwrap().to_string();
        assert!(error.starts_with(reason), "{target}: {error}");
    }
    let auth = format!("Bearer {ADMIN}");
    let r = s.request("DELETE", "/api/calls", &[("Authorization", &auth)], b"");
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, HEAD")));
    let r = s.request("HEAD", "/api/calls", &[("Authorization", &auth)], b"");
    assert_eq!((r.status, r.body.as_str()), (200, ""));
}
