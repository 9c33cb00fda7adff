//! `switchboard call`: the binary against a real server on `127.0.0.1:0` (started in this
//! process, its own thread and runtime), plus a few canned servers for the failures a real
//! switchboard never produces (malformed TwiML, a 500). Every wait is bounded: the client's
//! own `--timeout`, read timeouts on the canned servers, a bounded join on shutdown.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};

use crate::harness::binary::Switchboard;
use crate::harness::server::{TOKEN, TestServer};
use crate::harness::{BOUND, FlowDir, root};

/// The acme line (flows/acme.yaml).
const MAIN: &str = "+14155550100";
/// A caller the acme line treats as a VIP, whatever the time.
const VIP: &str = "+12025550143";

/// The demo flows with the office schedule forced open, so menus are reached at any hour
/// and a server (which reads the clock) and `simulate` agree.
fn acme_open() -> FlowDir {
    let shared = std::fs::read_to_string(root().join("flows/_shared.yaml")).expect("shared");
    let forced = shared.replace(
        "    timezone: America/New_York\n    hours:",
        "    timezone: America/New_York\n    force: open\n    hours:",
    );
    assert_ne!(forced, shared, "flows/_shared.yaml changed shape");
    FlowDir::new()
        .file(
            "acme.yaml",
            &std::fs::read_to_string(root().join("flows/acme.yaml")).expect("acme"),
        )
        .file("_shared.yaml", &forced)
}

/// Runs the binary with `TWILIO_AUTH_TOKEN` set to `token` (or unset).
fn run(sub: &str, args: &[&str], token: Option<&str>) -> (i32, String, String) {
    let mut cmd = Switchboard::new(sub).args(args);
    if let Some(t) = token {
        cmd = cmd.env("TWILIO_AUTH_TOKEN", t);
    }
    cmd.run().parts()
}

/// `switchboard call URL ARGS` with the right token.
fn call(url: &str, args: &[&str]) -> (i32, String, String) {
    let mut all = vec![url, "--timeout", "10s"];
    all.extend_from_slice(args);
    run("call", &all, Some(TOKEN))
}

fn line<'a>(out: &'a str, prefix: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{out}"))
}

#[test]
fn help_has_an_example() {
    let (code, out, _) = run("call", &["--help"], None);
    assert_eq!(code, 0);
    assert!(
        out.contains("switchboard call http://127.0.0.1:8080/voice --to +14155550100 --input 1"),
        "{out}"
    );
    assert!(
        out.contains("--public-url") && out.contains("Exit codes"),
        "{out}"
    );
}

#[test]
fn a_vip_call_over_http_reads_like_simulate() {
    let server = TestServer::builder().start();
    let url = server.voice_url();
    let (code, out, err) = call(&url, &["--to", MAIN, "--from", VIP]);
    assert_eq!(code, 0, "{out}{err}");
    for want in [
        "call from +12025550143 to +14155550100 at ",
        " (America/New_York)",
        &format!("── 1. POST {url}  (incoming call)"),
        "number +14155550100 → flow acme (exact number)",
        "rule 1 matched: From in [+12025550143, +12025550188] → vip",
        "▸ hears \"Welcome back. Connecting you to your account manager.\"",
        "▸ dial +14155550113 (ring 20s)",
        "── 2. POST /voice/acme/vip_dial?k=d  (DialCallStatus=completed)",
        "vip_dial: dial completed (leg 1 of 1)",
        "path: entry → vip → vip_dial",
        "ended: hung up (<Hangup/>)",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    assert!(!out.contains("twiml:"), "no TwiML without --twiml");
    assert!(!out.contains(TOKEN) && !err.contains(TOKEN));
}

#[test]
fn menus_asks_and_dial_outcomes_are_followed() {
    let server = TestServer::builder().flows(acme_open()).start();
    let (code, out, err) = call(
        &server.voice_url(),
        &[
            "--to", MAIN, "--input", "3", "--input", "123456#", "--dial", "busy", "--twiml",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    for want in [
        "rule 2 matched: open office → menu",
        "▸ gather digits or speech (1 digit(s), timeout 5s)",
        "── 2. POST /voice/acme/menu?k=m&n=1  (caller pressed 3)",
        "(caller pressed 123456)",
        "params: Digits=123456\n   note: input stopped after 6 key(s); \"#\" not sent",
        "set vars.account = \"123456\"",
        "▸ hears \"Thank you. Connecting you to billing about account 123456.\"",
        "▸ dial +14155550116",
        "DialCallStatus=busy",
        "▸ record (max 120s)",
        "RecordingDuration=15",
        "path: entry → menu → account → billing → billing_dial → voicemail → goodbye",
        "ended: hung up (<Hangup/>)",
        r#"twiml: <?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/voice/acme/menu?k=m&amp;n=1""#,
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
}

#[test]
fn call_and_simulate_print_the_same_path_for_the_same_script() {
    let dir = acme_open();
    let flows = dir.path().to_string_lossy().into_owned();
    let server = TestServer::builder().flows(dir).start();
    let scripts: &[&[&str]] = &[
        &["--from", VIP],
        &["--input", "3", "--input", "123456#"],
        &[
            "--input",
            "2",
            "--dial",
            "no-answer",
            "--record-seconds",
            "30",
        ],
        &[
            "--input", "9", "--input", "", "--input", "sales", "--dial", "busy",
        ],
        &[],
    ];
    for script in scripts {
        let mut args = vec!["--to", MAIN];
        args.extend_from_slice(script);
        let (code, over_http, err) = call(&server.voice_url(), &args);
        assert_eq!(code, 0, "{script:?}: {over_http}{err}");
        let mut sim_args = vec!["--flows", flows.as_str()];
        sim_args.extend_from_slice(&args);
        let (code, simulated, err) = run("simulate", &sim_args, None);
        assert_eq!(code, 0, "{script:?}: {simulated}{err}");
        assert_eq!(
            line(&over_http, "path: "),
            line(&simulated, "path: "),
            "{script:?}"
        );
        assert_eq!(line(&over_http, "ended: "), line(&simulated, "ended: "));
        // Beyond the path: the same trace and the same verbs, line for line, once the
        // per-call values (time, SIDs) and the first URL (absolute over HTTP) are masked.
        assert_eq!(
            comparable(&over_http),
            comparable(&simulated),
            "{script:?}\n--- call:\n{over_http}\n--- simulate:\n{simulated}"
        );
    }
}

/// A transcript without what differs between two runs of the same call.
fn comparable(out: &str) -> Vec<String> {
    out.lines()
        .skip(1) // who, whom and when
        .map(|l| {
            if l.starts_with("── 1. POST ") {
                return "── 1. (incoming call)".to_owned();
            }
            let mut words: Vec<String> = Vec::new();
            for w in l.split(' ') {
                words.push(mask_sid(w));
            }
            words.join(" ")
        })
        .collect()
}

/// Replaces a SID (two letters and 32 hex digits) anywhere in a word.
fn mask_sid(word: &str) -> String {
    let b = word.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if i + 34 <= b.len()
            && b[i].is_ascii_uppercase()
            && b[i + 1].is_ascii_uppercase()
            && b[i + 2..i + 34].iter().all(u8::is_ascii_hexdigit)
        {
            out.push_str("SID");
            i += 34;
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

#[test]
fn absolute_action_urls_are_sent_to_the_server_and_signed_for_the_public_url() {
    let public = "https://ivr.example.com/ivr";
    let server = TestServer::builder()
        .flows(acme_open())
        .public_url(public)
        .start();
    let (code, out, err) = call(
        &server.voice_url(),
        &["--public-url", public, "--to", MAIN, "--input", "0"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("── 1. POST https://ivr.example.com/ivr/voice  (incoming call)"),
        "{out}"
    );
    assert!(
        out.contains(
            "── 2. POST https://ivr.example.com/ivr/voice/acme/menu?k=m&n=1  (caller pressed 0)"
        ),
        "{out}"
    );
    assert!(out.contains("path: entry → menu → operator"), "{out}");

    // Without --public-url the signature covers http://127.0.0.1:…, which this server
    // does not accept.
    let (code, out, _) = call(&server.voice_url(), &["--to", MAIN]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("HTTP 403 Forbidden: signature mismatch"),
        "{out}"
    );
}

#[test]
fn a_wrong_token_is_a_403_and_exit_1_and_the_token_is_never_shown() {
    let server = TestServer::builder().start();
    let wrong = "wrong-token-0123456789abcdef";
    let (code, out, err) = run(
        "call",
        &[&server.voice_url(), "--to", MAIN, "--from", VIP],
        Some(wrong),
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("ended: request failed: POST http://127.0.0.1:"),
        "{out}"
    );
    assert!(
        out.contains("HTTP 403 Forbidden: signature mismatch"),
        "{out}"
    );
    assert!(err.contains("error: POST") && err.contains("403"), "{err}");
    for text in [&out, &err] {
        assert!(!text.contains(wrong) && !text.contains(TOKEN), "{text}");
    }

    // The token from a file works the same.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{TOKEN}\n")).expect("write");
    let (code, out, err) = run(
        "call",
        &[
            &server.voice_url(),
            "--to",
            MAIN,
            "--from",
            VIP,
            "--auth-token-file",
            &file.to_string_lossy(),
        ],
        None,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("path: entry → vip → vip_dial"), "{out}");
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, err) = run("call", &["http://127.0.0.1:9/voice", "--to", MAIN], None);
    assert_eq!(code, 2);
    assert!(
        err.contains("no auth token") && err.contains("TWILIO_AUTH_TOKEN"),
        "{err}"
    );

    let (code, _, err) = run(
        "call",
        &["https://ivr.example.com/voice", "--to", MAIN],
        Some(TOKEN),
    );
    assert_eq!(code, 2);
    assert!(err.contains("plain HTTP only"), "{err}");
    assert!(
        err.contains("--public-url https://ivr.example.com"),
        "{err}"
    );

    let (code, _, _) = run("call", &["http://127.0.0.1:9/voice"], Some(TOKEN));
    assert_eq!(code, 2, "--to is required");
}

#[test]
fn no_server_is_exit_1_with_the_reason() {
    // A port that was just free: nothing listens on it any more.
    let addr = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port");
    let (code, out, err) = call(&format!("http://{addr}/voice"), &["--to", MAIN]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains(&format!("cannot connect to {addr}")), "{err}");
}

/// A server that answers its requests with `answers` in turn, one connection each:
/// `(status line, content type, body)`.
fn canned(answers: &[(&str, &str, &str)]) -> (SocketAddr, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let answers: Vec<String> = answers
        .iter()
        .map(|(status, ct, body)| {
            format!(
                "HTTP/1.1 {status}\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
        })
        .collect();
    let thread = std::thread::spawn(move || {
        for answer in answers {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            let _ = s.set_read_timeout(Some(BOUND));
            // Read the head and the declared body, then answer.
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Bounded by the read timeout and by the peer closing.
            while let Ok(k) = s.read(&mut chunk) {
                if k == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..k]);
                let text = String::from_utf8_lossy(&buf);
                if let Some(end) = text.find("\r\n\r\n") {
                    let len = text[..end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        break;
                    }
                }
            }
            let _ = s.write_all(answer.as_bytes());
        }
    });
    (addr, thread)
}

#[test]
fn malformed_twiml_and_server_errors_are_exit_1() {
    let cases: &[((&str, &str, &str), &str)] = &[
        (
            ("200 OK", "text/xml", "<Response><Say>cut short</R"),
            "malformed TwiML",
        ),
        (
            ("200 OK", "text/xml", "<Document/>"),
            "the root element is <Document>, not <Response>",
        ),
        (
            (
                "500 Internal Server Error",
                "text/plain",
                "internal error\n",
            ),
            "HTTP 500 Internal Server Error: internal error",
        ),
        (("200 OK", "application/json", "{}"), "not TwiML"),
    ];
    for (answer, want) in cases {
        let (addr, thread) = canned(&[*answer]);
        let (code, out, err) = call(&format!("http://{addr}/voice"), &["--to", MAIN]);
        assert_eq!(code, 1, "{want}: {out}{err}");
        assert!(
            out.contains(want) && err.contains(want),
            "{want}: {out}{err}"
        );
        thread.join().expect("canned server");
    }
}

#[test]
fn foreign_twiml_is_followed_without_a_trace() {
    // Not a switchboard: no trace header, a relative Redirect, then a hang-up.
    let (addr, thread) = canned(&[
        (
            "200 OK",
            "text/xml",
            "<Response><Say>Hi</Say><Redirect>next?x=1</Redirect></Response>",
        ),
        (
            "200 OK",
            "application/xml; charset=utf-8",
            "<Response><Say>Bye</Say><Hangup/></Response>",
        ),
    ]);
    let (code, out, err) = call(&format!("http://{addr}/app/voice"), &["--to", MAIN]);
    thread.join().expect("canned server");
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("note: the server sent no x-switchboard-trace header"),
        "{out}"
    );
    assert!(out.contains("▸ hears \"Hi\""), "{out}");
    assert!(out.contains("── 2. POST next?x=1  (redirect)"), "{out}");
    assert!(out.contains("▸ hears \"Bye\""), "{out}");
    assert!(out.contains("path: (no step)"), "{out}");
    assert!(out.contains("ended: hung up"), "{out}");
}
