//! Notifications through the real server: a voicemail delivers one signed webhook (to a
//! receiver that fails three times first) and one email (to a real SMTP server running in
//! the test, `mailin-embedded`); a dial nobody answered delivers a missed-call webhook; two
//! replicas on PostgreSQL deliver once. Every attempt shows in `switchboard calls show`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::support::*;
use crate::harness::binary::{ServeProcess, Switchboard};
use crate::harness::postgres::PgServer;
use crate::harness::server::attr;
use crate::harness::{BOUND, FlowDir};

const NOTIFY_FLOW: &str = r#"numbers: ["+14155550100"]
start: menu
steps:
  menu:
    menu:
      prompt: "Press 1 for sales."
      options: { "1": sales }
  sales:
    dial:
      to: "+14155550111"
      on_fail: voicemail
      notify: [missed]
  voicemail:
    record:
      prompt: "Leave a message."
      notify: [hook, mail]
      next: bye
  bye:
    say: "Goodbye."
"#;

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Got {
    headers: HashMap<String, String>,
    body: String,
    answered: u16,
}

/// An HTTP receiver on 127.0.0.1:0 that answers 500 to its first `fail_first` requests.
struct Receiver {
    addr: SocketAddr,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Receiver {
    fn start(fail_first: usize) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let got: Arc<Mutex<Vec<Got>>> = Arc::default();
        let log = Arc::clone(&got);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut headers = HashMap::new();
                let mut line = String::new();
                reader.read_line(&mut line).unwrap_or(0);
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':') {
                        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                    }
                }
                let length: usize = headers
                    .get("content-length")
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let mut log = log.lock().unwrap();
                let answered = if log.len() < fail_first { 500 } else { 200 };
                log.push(Got {
                    headers,
                    body: String::from_utf8(body).unwrap(),
                    answered,
                });
                let reason = if answered == 200 {
                    "OK"
                } else {
                    "Internal Server Error"
                };
                let text = if answered == 200 { "ok" } else { "try again" };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {answered} {reason}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                    text.len()
                );
            }
        });
        Receiver { addr, got }
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    /// Waits (bounded) for `n` requests answered 200.
    fn wait_delivered(&self, n: usize) -> Vec<Got> {
        let deadline = Instant::now() + BOUND;
        loop {
            let got = self.got();
            if got.iter().filter(|g| g.answered == 200).count() >= n {
                return got;
            }
            assert!(Instant::now() < deadline, "only {got:?} arrived");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// One email the SMTP server took.
#[derive(Debug, Clone, Default)]
struct Mail {
    to: Vec<String>,
    data: String,
}

/// Collects each message's recipients and data.
#[derive(Clone, Default)]
struct Mailbox {
    current: Mail,
    kept: Arc<Mutex<Vec<Mail>>>,
}

impl mailin_embedded::Handler for Mailbox {
    fn data_start(
        &mut self,
        _: &str,
        _: &str,
        _: bool,
        to: &[String],
    ) -> mailin_embedded::Response {
        self.current = Mail {
            to: to.to_vec(),
            data: String::new(),
        };
        mailin_embedded::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.data.push_str(&String::from_utf8_lossy(buf));
        Ok(())
    }

    fn data_end(&mut self) -> mailin_embedded::Response {
        self.kept
            .lock()
            .unwrap()
            .push(std::mem::take(&mut self.current));
        mailin_embedded::response::OK
    }
}

/// A real SMTP server (no TLS) on 127.0.0.1; returns its address and what it received.
fn smtp_server() -> (SocketAddr, Arc<Mutex<Vec<Mail>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mailbox = Mailbox::default();
    let kept = Arc::clone(&mailbox.kept);
    let mut server = mailin_embedded::Server::new(mailbox);
    server
        .with_name("smtp.test")
        .with_ssl(mailin_embedded::SslConfig::None)
        .unwrap()
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    (addr, kept)
}

/// The shared file: the channels, pointing at the test's receivers.
fn shared(hook: &Receiver, missed: &Receiver, key_file: &std::path::Path) -> String {
    format!(
        "channels:\n  hook:\n    webhook: {{ url: \"{}\", secret_file: \"{}\" }}\n  missed:\n    webhook: {{ url: \"{}\" }}\n  mail:\n    email: {{ to: [\"ops@example.com\", \"oncall@example.com\"] }}\n",
        hook.url(),
        key_file.display(),
        missed.url()
    )
}

/// Places the call: the menu, `1`, a dial nobody answers, a 14-second voicemail.
fn voicemail_call(replicas: &[&ServeProcess], call: &str) {
    let post = |i: usize, path: &str, extra: &[(&str, &str)]| {
        let mut p = call_params(call, "in-progress");
        p.extend_from_slice(extra);
        let r = replicas[i % replicas.len()].post(path, &form(&p));
        assert_eq!(r.status, 200, "{}", r.body);
        r
    };
    let r = post(0, "/voice", &[]);
    let menu = attr(r.twiml(), "Gather", "action").unwrap();
    let r = post(1, &menu, &[("Digits", "1")]);
    let dial = attr(r.twiml(), "Dial", "action").unwrap();
    let r = post(2, &dial, &[("DialCallStatus", "no-answer")]);
    let record = attr(r.twiml(), "Record", "action").unwrap();
    post(
        3,
        &record,
        &[
            (
                "RecordingUrl",
                "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE9",
            ),
            ("RecordingSid", "RE00000000000000000000000000000009"),
            ("RecordingDuration", "14"),
        ],
    );
}

fn verify(got: &Got, key: &str) -> Value {
    let sig = &got.headers["x-switchboard-signature"];
    let (t, v1) = sig.split_once(",v1=").unwrap();
    let t = t.strip_prefix("t=").unwrap();
    let age = jiff::Timestamp::now().as_second() - t.parse::<i64>().unwrap();
    assert!((0..300).contains(&age), "timestamp {t} is {age} s old");
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", got.body).as_bytes());
    let want: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(v1, want, "signature");
    serde_json::from_str(&got.body).unwrap()
}

#[test]
fn a_voicemail_is_delivered_once_signed_and_by_email_after_three_failures() {
    let hook = Receiver::start(3);
    let missed = Receiver::start(0);
    let (smtp, mails) = smtp_server();
    let data = tempfile::tempdir().unwrap();
    let key_file = data.path().join("hook-key");
    std::fs::write(&key_file, "s3cret-signing-key\n").unwrap();
    let flows = FlowDir::new()
        .file("line.yaml", NOTIFY_FLOW)
        .file("_shared.yaml", &shared(&hook, &missed, &key_file));
    let mut args = sqlite_args(data.path());
    let smtp_url = format!("smtp://{smtp}?tls=none");
    args.extend(
        [
            "--smtp",
            &smtp_url,
            "--smtp-from",
            "switchboard@example.com",
            "--notify-backoff",
            "50ms",
        ]
        .map(String::from),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let serve = ServeProcess::start(flows.path(), &args);
    let call = sid(301);
    voicemail_call(&[&serve], &call);

    let got = hook.wait_delivered(1);
    assert_eq!(
        got.iter().map(|g| g.answered).collect::<Vec<_>>(),
        [500, 500, 500, 200]
    );
    let ids: Vec<&str> = got
        .iter()
        .map(|g| g.headers["x-switchboard-notification"].as_str())
        .collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "one notification, four attempts: {ids:?}"
    );
    let body = verify(&got[3], "s3cret-signing-key");
    assert_eq!(body["event"], "voicemail");
    assert_eq!(
        (body["flow"].as_str(), body["step"].as_str()),
        (Some("line"), Some("voicemail"))
    );
    assert_eq!(body["call_sid"], call.as_str());
    assert_eq!(
        (body["caller"].as_str(), body["dialed"].as_str()),
        (Some(CALLER), Some(MAIN))
    );
    assert_eq!(body["recording"]["duration"], 14);
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .starts_with("New voicemail from +12025550143"),
        "{body}"
    );

    let missed_got = missed.wait_delivered(1);
    assert_eq!(missed_got.len(), 1);
    assert!(
        !missed_got[0]
            .headers
            .contains_key("x-switchboard-signature"),
        "no key: unsigned"
    );
    let m: Value = serde_json::from_str(&missed_got[0].body).unwrap();
    assert_eq!(
        (m["event"].as_str(), m["dial_status"].as_str()),
        (Some("missed_call"), Some("no-answer"))
    );

    let deadline = Instant::now() + BOUND;
    while mails.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "no email arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Nothing more comes: each notification was delivered once.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(hook.got().len(), 4);
    assert_eq!(missed.got().len(), 1);
    let mails = mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].to, ["ops@example.com", "oncall@example.com"]);
    assert!(
        mails[0]
            .data
            .contains("Subject: Voicemail from +12025550143"),
        "{}",
        mails[0].data
    );
    assert!(
        mails[0].data.contains("New voicemail from +12025550143"),
        "{}",
        mails[0].data
    );

    // The story shows every attempt.
    let url = format!("sqlite:{}", data.path().join("calls.db").display());
    let (code, out, err) = Switchboard::new("calls")
        .args(["show", &call, "--database", &url])
        .run()
        .parts();
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("voicemail of line/voicemail → hook: delivered"),
        "{out}"
    );
    assert!(out.contains("attempt 1 at"), "{out}");
    assert!(out.contains("failed HTTP 500: try again"), "{out}");
    assert!(out.contains("delivered HTTP 200"), "{out}");
    assert!(
        out.contains("voicemail of line/voicemail → mail: delivered"),
        "{out}"
    );
    assert!(
        out.contains("missed call of line/sales → missed: delivered"),
        "{out}"
    );
    assert!(!out.contains("s3cret"), "{out}");
}

#[test]
fn two_replicas_on_postgres_deliver_once() {
    let Some(pg) = PgServer::shared() else { return };
    let url = block_on(pg.database("notify"));
    let hook = Receiver::start(0);
    let missed = Receiver::start(0);
    let data = tempfile::tempdir().unwrap();
    let key_file = data.path().join("hook-key");
    std::fs::write(&key_file, "k").unwrap();
    let flows = FlowDir::new()
        .file(
            "line.yaml",
            &NOTIFY_FLOW.replace("notify: [hook, mail]", "notify: [hook]"),
        )
        .file("_shared.yaml", &shared(&hook, &missed, &key_file));
    let replicas: Vec<ServeProcess> = (1..=2)
        .map(|n| {
            let spool = data.path().join(format!("spool-{n}"));
            let name = format!("r{n}");
            let args = [
                "--database",
                &url,
                "--spool",
                spool.to_str().unwrap(),
                "--replica",
                &name,
                "--notify-backoff",
                "50ms",
            ];
            ServeProcess::start(flows.path(), &args)
        })
        .collect();
    let refs: Vec<&ServeProcess> = replicas.iter().collect();
    for n in 0..5 {
        voicemail_call(&refs, &sid(400 + n));
    }
    hook.wait_delivered(5);
    missed.wait_delivered(5);
    // Both replicas poll the same outbox every few milliseconds: give a duplicate time.
    std::thread::sleep(Duration::from_millis(700));
    for r in [&hook, &missed] {
        let got = r.got();
        let mut ids: Vec<String> = got
            .iter()
            .map(|g| g.headers["x-switchboard-notification"].clone())
            .collect();
        assert_eq!(ids.len(), 5, "{got:?}");
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 5, "each notification once");
    }
}
