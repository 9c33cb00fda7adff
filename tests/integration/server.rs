//! The webhook server over real sockets: the server runs on `127.0.0.1:0` in its own thread
//! and runtime; the tests speak plain HTTP/1.1 to it over blocking std sockets, with read
//! timeouts as the bound on every wait. The test server and client are `pub(crate)`: the
//! hot-reload tests (`reload`) drive the same server.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use switchboard::engine;
use switchboard::form;
use switchboard::http::{
    FlowStore, PublicUrl, Server, ServerConfig, ShutdownReport, Verification, reload,
    verify_webhook,
};
use switchboard::signature::{self, Keys, Secret};

use crate::harness::{self, FlowDir};

/// The token the webhook fixtures were signed with (tests/data/webhooks/README.md).
pub(crate) const TOKEN: &str = "c4851beb21d4a12c322718f7dc11b6e4";
/// The public URL the fixtures were signed for.
const IVR: &str = "https://ivr.example.com";
/// Upper bound on any single wait (a read, a poll loop); a hang fails instead of blocking.
pub(crate) const BOUND: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------------
// Test server and client
// ---------------------------------------------------------------------------------------------

/// Log output captured from one server's thread.
#[derive(Clone, Default)]
pub(crate) struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Every JSON log line so far.
    pub(crate) fn lines(&self) -> Vec<Value> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("log line {l:?}: {e}")))
            .collect()
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub(crate) struct TestServer {
    pub(crate) addr: SocketAddr,
    /// What signatures are computed over: the public URL, or `http://{addr}`.
    base: String,
    token: Secret,
    pub(crate) logs: Logs,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<ShutdownReport>>,
    /// Keeps a temporary flows directory alive.
    _flows: Option<FlowDir>,
}

pub(crate) struct Builder {
    flows: PathBuf,
    flow_dir: Option<FlowDir>,
    config: ServerConfig,
    /// Hot reload for the server's flows directory (`None`: the flows never change).
    reload: Option<reload::Options>,
}

fn keys(tokens: &[&str]) -> Keys {
    Keys {
        auth_tokens: tokens.iter().map(|t| Secret::new(*t)).collect(),
        shared_keys: vec![],
    }
}

impl Builder {
    /// Serves the repository's `flows/`, verifying with [`TOKEN`].
    pub(crate) fn new() -> Builder {
        Builder {
            flows: harness::root().join("flows"),
            flow_dir: None,
            config: ServerConfig::new(Verification::Required(keys(&[TOKEN]))),
            reload: None,
        }
    }

    /// Reloads the flows as `options` say (a real watcher, a poller) while the server runs.
    pub(crate) fn reload(mut self, options: reload::Options) -> Builder {
        self.reload = Some(options);
        self
    }

    pub(crate) fn flows(mut self, dir: FlowDir) -> Builder {
        self.flows = dir.path().to_path_buf();
        self.flow_dir = Some(dir);
        self
    }

    pub(crate) fn public_url(mut self, url: &str) -> Builder {
        self.config.public_url = Some(PublicUrl::parse(url).unwrap());
        self
    }

    pub(crate) fn with(mut self, f: impl FnOnce(&mut ServerConfig)) -> Builder {
        f(&mut self.config);
        self
    }

    pub(crate) fn start(self) -> TestServer {
        let (store, _) = FlowStore::open(&self.flows).expect("test flows load");
        let store = Arc::new(store);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let base = match &self.config.public_url {
            Some(u) => u.as_str().to_owned(),
            None => format!("http://{addr}"),
        };
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || writer.clone())
            .finish();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let config = self.config;
        let reload = self.reload;
        let thread = std::thread::spawn(move || {
            // A current-thread runtime keeps every task on this thread, where the capturing
            // subscriber is the default.
            let _log = tracing::subscriber::set_default(subscriber);
            // Started under that subscriber, so reload events are captured too; stopped when
            // the server has shut down.
            let _reloader = reload.map(|o| reload::Reloader::start(store.clone(), &o));
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let server = Server::new(listener, store, config).unwrap();
                server
                    .run(async {
                        let _ = rx.await;
                    })
                    .await
            })
        });
        TestServer {
            addr,
            base,
            token: Secret::new(TOKEN),
            logs,
            shutdown: Some(tx),
            thread: Some(thread),
            _flows: self.flow_dir,
        }
    }
}

impl TestServer {
    pub(crate) fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(BOUND)).unwrap();
        s.set_write_timeout(Some(BOUND)).unwrap();
        s
    }

    /// Sends one request (with `Connection: close`) and reads the whole answer.
    pub(crate) fn request(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut s = self.connect();
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        Reply::parse(&read_all(&mut s))
    }

    pub(crate) fn sign(&self, url: &str, body: &str) -> String {
        signature::sign(&self.token, url, &form::parse(body.as_bytes()).unwrap())
    }

    /// A form POST signed as Twilio would sign it for `target`.
    pub(crate) fn post(&self, target: &str, body: &str) -> Reply {
        let sig = self.sign(&format!("{}{target}", self.base), body);
        self.request(
            "POST",
            target,
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("X-Twilio-Signature", &sig),
            ],
            body.as_bytes(),
        )
    }

    /// A GET signed over its URL alone.
    pub(crate) fn get(&self, target: &str) -> Reply {
        let sig = self.sign(&format!("{}{target}", self.base), "");
        self.request("GET", target, &[("X-Twilio-Signature", &sig)], b"")
    }

    /// POSTs to an absolute action URL the server wrote.
    pub(crate) fn follow(&self, action: &str, body: &str) -> Reply {
        self.post(self.target_of(action), body)
    }

    pub(crate) fn target_of<'a>(&self, url: &'a str) -> &'a str {
        url.strip_prefix(self.base.as_str())
            .unwrap_or_else(|| panic!("{url} does not start with {}", self.base))
    }

    pub(crate) fn readyz(&self) -> Value {
        let r = self.request("GET", "/readyz", &[], b"");
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("content-type"), Some("application/json"));
        serde_json::from_str(&r.body).unwrap()
    }

    fn counter(&self, path: &str) -> u64 {
        let v = self.readyz();
        let mut c = &v["counters"];
        for part in path.split('.') {
            c = &c[part];
        }
        c.as_u64()
            .unwrap_or_else(|| panic!("no counter {path} in {v}"))
    }

    /// Triggers graceful shutdown and waits (bounded) for the server thread.
    pub(crate) fn stop(&mut self) -> ShutdownReport {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let thread = self.thread.take().expect("server already stopped");
        let deadline = Instant::now() + BOUND;
        while !thread.is_finished() {
            assert!(Instant::now() < deadline, "server did not stop");
            std::thread::sleep(Duration::from_millis(10));
        }
        thread.join().unwrap()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Reads until EOF, a reset, or the read timeout.
pub(crate) fn read_all(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("read failed after {} bytes: {e}", out.len()),
        }
    }
    out
}

#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn parse(raw: &[u8]) -> Reply {
        let text = String::from_utf8_lossy(raw);
        let (head, body) = text
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("no complete response in {text:?}"));
        let mut lines = head.lines();
        let status_line = lines.next().unwrap_or("");
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Reply {
            status,
            headers,
            body: body.to_owned(),
        }
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Asserts a `200 text/xml` TwiML answer and returns the document.
    pub(crate) fn twiml(&self) -> &str {
        assert_eq!(self.status, 200, "{self:?}");
        assert_eq!(self.header("content-type"), Some("text/xml; charset=utf-8"));
        assert!(
            self.body
                .starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><Response"#),
            "{}",
            self.body
        );
        roxmltree::Document::parse(&self.body).expect("well-formed TwiML");
        &self.body
    }
}

/// The first `attr` of the first `<tag>` in a TwiML document.
pub(crate) fn attr(xml: &str, tag: &str, attr: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    doc.descendants()
        .find(|n| n.has_tag_name(tag))
        .and_then(|n| n.attribute(attr))
        .map(str::to_owned)
}

/// Text of every `<tag>` in document order.
pub(crate) fn texts(xml: &str, tag: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name(tag))
        .map(|n| n.text().unwrap_or("").to_owned())
        .collect()
}

pub(crate) fn incoming(from: &str, to: &str) -> String {
    form_body(&[
        ("CallSid", "CA00000000000000000000000000000001"),
        ("AccountSid", "AC00000000000000000000000000000001"),
        ("From", from),
        ("To", to),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
    ])
}

pub(crate) fn form_body(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// Two small flows on two numbers.
fn two_flows() -> FlowDir {
    FlowDir::new()
        .file(
            "sales.yaml",
            "numbers: [\"+14155550100\"]\nstart: hi\nsteps:\n  hi:\n    say: \"Sales here.\"\n    next: menu\n  menu:\n    menu:\n      prompt: \"Press 1.\"\n      options: { \"1\": bye }\n  bye:\n    say: \"Bye.\"\n    next: hangup\n",
        )
        .file(
            "support.yaml",
            "numbers: [\"+14155550101\"]\nstart: hi\nsteps:\n  hi:\n    say: \"Support here.\"\n    next: hangup\n",
        )
}

// ---------------------------------------------------------------------------------------------
// Calls
// ---------------------------------------------------------------------------------------------

#[test]
fn incoming_call_is_answered_by_the_flow_for_its_number() {
    let s = Builder::new().flows(two_flows()).start();
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
    let line = s
        .logs
        .lines()
        .into_iter()
        .find(|l| l["flow"] == "support")
        .expect("a log line for the support call");
    assert_eq!(line["call_sid"], "CA00000000000000000000000000000001");
    assert_eq!(line["endpoint"], "voice");
    assert_eq!(line["status"], 200);
    assert_eq!(line["steps"], "support/hi > hangup");
    assert!(line["latency_us"].is_u64());
}

#[test]
fn fixture_signatures_from_twilio_python_verify_verbatim() {
    // Signatures computed by twilio-python for https://ivr.example.com (webhooks/README.md):
    // they check the URL the server rebuilds, independently of our own `sign`.
    let s = Builder::new().public_url(IVR).start();
    for (file, target, sig) in [
        ("incoming-call", "/voice", "bpcVev1+GWUH8Y9Z2lUvUseuTh4="),
        (
            "gather-digits",
            "/voice/acme/menu?attempt=1",
            "edH8MW7slJKA/jKW4ul35EOf/6E=",
        ),
        (
            "gather-speech",
            "/voice/acme/menu?attempt=1",
            "8Pxvy0e/zg1c1DmIkwG3OfHKY1E=",
        ),
        (
            "gather-timeout",
            "/voice/acme/menu?attempt=1",
            "AsGDY/XWpDBqWfFhsIaKiY0jDjc=",
        ),
    ] {
        let body = harness::webhook(file);
        let r = s.request(
            "POST",
            target,
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("X-Twilio-Signature", sig),
            ],
            body.as_bytes(),
        );
        r.twiml();
    }
    assert_eq!(s.counter("signature_rejections"), 0);
}

/// The acme line end to end, following the action URLs the server writes: a VIP's dial is
/// not answered (on_fail → menu), the menu takes `2` (support, a sequential dial), both legs
/// go unanswered (voicemail), and the recording ends with goodbye.
#[test]
fn a_call_walks_through_the_acme_flow() {
    let s = Builder::new().public_url(IVR).start();
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
    let s = Builder::new()
        .flows(two_flows())
        .public_url("https://example.com/ivr/")
        .start();
    let body = incoming("+12025550143", "+14155550100");
    let sig = s.sign("https://example.com/ivr/voice", &body);
    let r = s.request(
        "POST",
        "/voice",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Twilio-Signature", &sig),
        ],
        body.as_bytes(),
    );
    assert_eq!(
        attr(r.twiml(), "Gather", "action").as_deref(),
        Some("https://example.com/ivr/voice/sales/menu?k=m&n=1")
    );
    // Signed without the prefix: not the URL Twilio used.
    let sig = s.sign("https://example.com/voice", &body);
    let r = s.request(
        "POST",
        "/voice",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Twilio-Signature", &sig),
        ],
        body.as_bytes(),
    );
    assert_eq!(r.status, 403);
}

#[test]
fn get_webhooks_carry_their_parameters_in_the_query() {
    let s = Builder::new().public_url(IVR).start();
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
fn a_run_time_failure_still_answers_200_with_the_apology() {
    let flows = FlowDir::new().file(
        "broken.yaml",
        "numbers: [\"+14155550100\"]\nstart: call_back\nsteps:\n  call_back:\n    dial:\n      to: \"{{From}}\"\n",
    );
    let s = Builder::new()
        .flows(flows)
        .with(|c| c.apology = "Sorry, something broke.".into())
        .start();
    // `anonymous` is not a number: the dial fails at run time.
    let r = s.post("/voice", &incoming("anonymous", "+14155550100"));
    let xml = r.twiml();
    assert_eq!(texts(xml, "Say"), ["Sorry, something broke."]);
    assert!(xml.contains("<Hangup"), "{xml}");
    assert_eq!(s.counter("run_failures"), 1);
    let line = s
        .logs
        .lines()
        .into_iter()
        .find(|l| l["endpoint"] == "voice")
        .unwrap();
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
    let s = Builder::new()
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
    let line = s
        .logs
        .lines()
        .into_iter()
        .find(|l| l["level"] == "ERROR")
        .expect("an error line for the panic");
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
    }
}

#[test]
fn no_document_over_64_kb_is_sent() {
    let s = Builder::new().with(|c| c.runner = oversized_runner).start();
    let r = s.post("/voice", &harness::webhook("incoming-call"));
    let xml = r.twiml();
    assert!(xml.len() < 1000, "{} bytes", xml.len());
    assert!(xml.contains("<Hangup"), "{xml}");
    assert_eq!(s.counter("run_failures"), 1);
}

#[test]
fn fallback_answers_the_configured_safe_document() {
    let s = Builder::new()
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
    let line = s
        .logs
        .lines()
        .into_iter()
        .find(|l| l["endpoint"] == "fallback")
        .unwrap();
    assert_eq!(line["error_code"], "11205");
    // The failing URL is logged without its query (it may carry call state).
    assert_eq!(line["error_url"], "https://ivr.example.com/voice");

    // Without an operator: apology, then hang up.
    let s = Builder::new().start();
    let xml = s.post("/fallback", &body).twiml().to_owned();
    assert!(xml.contains("<Hangup") && !xml.contains("<Dial"), "{xml}");
}

// ---------------------------------------------------------------------------------------------
// Callbacks
// ---------------------------------------------------------------------------------------------

#[test]
fn status_and_recording_callbacks_are_accepted_counted_and_logged() {
    let s = Builder::new().start();
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
}

// ---------------------------------------------------------------------------------------------
// Signatures
// ---------------------------------------------------------------------------------------------

#[test]
fn bad_signatures_get_403_and_are_logged_without_secrets() {
    let s = Builder::new().public_url(IVR).start();
    let body = harness::webhook("incoming-call");
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let good = s.sign("https://ivr.example.com/voice", &body);

    let r = s.request("POST", "/voice", &form, body.as_bytes());
    assert_eq!(
        (r.status, r.body.as_str()),
        (403, "missing X-Twilio-Signature\n")
    );
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));

    let with_sig = |sig: &str, target: &str, body: &str| {
        s.request(
            "POST",
            target,
            &[form[0], ("X-Twilio-Signature", sig)],
            body.as_bytes(),
        )
    };
    // Wrong token.
    let other = signature::sign(
        &Secret::new("not-the-token"),
        "https://ivr.example.com/voice",
        &form::parse(body.as_bytes()).unwrap(),
    );
    assert_eq!(with_sig(&other, "/voice", &body).status, 403);
    // Garbage.
    assert_eq!(with_sig("AAAA", "/voice", &body).status, 403);
    // A parameter changed after signing.
    let tampered = body.replace("To=%2B14155550100", "To=%2B14155550101");
    assert_eq!(with_sig(&good, "/voice", &tampered).status, 403);
    // State in the URL changed after signing (a signature for /voice/acme/menu?k=m&n=1).
    let state_sig = s.sign("https://ivr.example.com/voice/acme/menu?k=m&n=1", &body);
    assert_eq!(
        with_sig(&state_sig, "/voice/acme/menu?k=m&n=3", &body).status,
        403
    );
    assert_eq!(
        with_sig(&state_sig, "/voice/acme/menu?k=m&n=1", &body).status,
        200
    );

    assert_eq!(s.counter("signature_rejections"), 5);
    let logs = s.logs.text();
    assert!(logs.contains("signature check failed"), "{logs}");
    for secret in [TOKEN, good.as_str(), other.as_str(), state_sig.as_str()] {
        assert!(!logs.contains(secret), "log leaks {secret}");
    }
    // The query (call state) is not logged either.
    assert!(!logs.contains("n=3"), "{logs}");
}

#[test]
fn forwarded_headers_are_ignored_unless_trusted() {
    let body = harness::webhook("incoming-call");
    let sig = signature::sign(
        &Secret::new(TOKEN),
        "https://ivr.example.com/voice",
        &form::parse(body.as_bytes()).unwrap(),
    );
    let headers = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("X-Twilio-Signature", sig.as_str()),
        ("X-Forwarded-Proto", "https"),
        ("X-Forwarded-Host", "ivr.example.com"),
    ];
    let s = Builder::new().start();
    assert_eq!(
        s.request("POST", "/voice", &headers, body.as_bytes())
            .status,
        403
    );
    let s = Builder::new().with(|c| c.trust_forwarded = true).start();
    s.request("POST", "/voice", &headers, body.as_bytes())
        .twiml();
}

#[test]
fn secondary_token_and_shared_keys_are_accepted() {
    let s = Builder::new()
        .public_url(IVR)
        .with(|c| {
            c.verification = Verification::Required(Keys {
                auth_tokens: vec![Secret::new(TOKEN), Secret::new("the-new-token")],
                shared_keys: vec![("KS0123".into(), Secret::new("shared-secret"))],
            })
        })
        .start();
    let body = harness::webhook("status-completed");
    let params = form::parse(body.as_bytes()).unwrap();
    let url = "https://ivr.example.com/status";
    let form = ("Content-Type", "application/x-www-form-urlencoded");

    let sig = signature::sign(&Secret::new("the-new-token"), url, &params);
    let r = s.request(
        "POST",
        "/status",
        &[form, ("X-Twilio-Signature", &sig)],
        body.as_bytes(),
    );
    assert_eq!(r.status, 204);

    let settings = (
        "X-Twilio-Webhooks-Signature-Settings",
        "key=KS0123,algorithm=HMAC_SHA256",
    );
    let sig = signature::sign_sha256(&Secret::new("shared-secret"), url, &params);
    let r = s.request(
        "POST",
        "/status",
        &[form, ("X-Twilio-Signature", &sig), settings],
        body.as_bytes(),
    );
    assert_eq!(r.status, 204);
    // A SHA-1 signature where the settings header says SHA-256.
    let sig = signature::sign(&Secret::new(TOKEN), url, &params);
    let r = s.request(
        "POST",
        "/status",
        &[form, ("X-Twilio-Signature", &sig), settings],
        body.as_bytes(),
    );
    assert_eq!(r.status, 403);
}

#[derive(serde::Deserialize)]
struct Vector {
    name: String,
    auth_token: String,
    algorithm: String,
    url: String,
    method: String,
    content_type: String,
    body: String,
    signature: String,
    valid: bool,
}

const SHARED_KEY_ID: &str = "KS0123456789abcdef0123456789abcdef";

fn vectors() -> Vec<Vector> {
    let text = std::fs::read_to_string(harness::data("signatures.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// `scheme://authority` and the request-target of a vector's URL.
fn split_url(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").unwrap() + 3;
    let cut = url[after_scheme..]
        .find(['/', '?'])
        .map_or(url.len(), |i| after_scheme + i);
    (&url[..cut], &url[cut..])
}

fn vector_headers(v: &Vector) -> Vec<(&'static str, String)> {
    let mut h = Vec::new();
    if !v.content_type.is_empty() {
        h.push(("content-type", v.content_type.clone()));
    }
    if !v.signature.is_empty() {
        h.push(("x-twilio-signature", v.signature.clone()));
    }
    if v.algorithm == "HMAC_SHA256" {
        h.push((
            "x-twilio-webhooks-signature-settings",
            format!("key={SHARED_KEY_ID},algorithm=HMAC_SHA256"),
        ));
    }
    h
}

/// Every vector through the function the handler calls, with the URL split the way the
/// server splits it: base (public URL) + raw request-target.
#[test]
fn every_signature_vector_through_the_servers_verification() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 52);
    let mut failures = Vec::new();
    for v in &vectors {
        let keys = if v.algorithm == "HMAC_SHA256" {
            Keys {
                auth_tokens: vec![Secret::new("unrelated-auth-token")],
                shared_keys: vec![(SHARED_KEY_ID.into(), Secret::new(&v.auth_token))],
            }
        } else {
            keys(&[&v.auth_token])
        };
        let mut headers = hyper::HeaderMap::new();
        for (k, val) in vector_headers(v) {
            headers.insert(k, val.parse().unwrap());
        }
        let (base, target) = split_url(&v.url);
        let method: hyper::Method = v.method.parse().unwrap();
        let got = verify_webhook(&keys, base, target, &method, &headers, v.body.as_bytes());
        if got.is_ok() != v.valid {
            failures.push(format!(
                "{}: expected valid={}, got {got:?}",
                v.name, v.valid
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The vectors whose path is a webhook endpoint, over real sockets. The server trusts
/// forwarded headers, so each request states the scheme and host its vector was signed for.
#[test]
fn signature_vectors_over_http() {
    let s = Builder::new().with(|c| c.trust_forwarded = true).start();
    let mut sent = 0;
    for v in vectors() {
        let (base, target) = split_url(&v.url);
        let path = target.split('?').next().unwrap();
        let routed = path == "/voice"
            || path
                .strip_prefix("/voice/")
                .and_then(|r| r.split_once('/'))
                .is_some_and(|(f, st)| !f.is_empty() && !st.is_empty() && !st.contains('/'));
        let kind_ok = v.method == "GET" || v.content_type == "application/x-www-form-urlencoded";
        if !routed || !kind_ok || v.auth_token != TOKEN || v.algorithm != "HMAC_SHA1" {
            continue;
        }
        let (proto, host) = base.split_once("://").unwrap();
        let mut headers: Vec<(&str, String)> = vector_headers(&v);
        headers.push(("x-forwarded-proto", proto.to_owned()));
        headers.push(("x-forwarded-host", host.to_owned()));
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = s.request(&v.method, target, &headers, v.body.as_bytes());
        let expected = if v.valid { 200 } else { 403 };
        assert_eq!(r.status, expected, "{}: {r:?}", v.name);
        sent += 1;
    }
    assert!(sent >= 20, "only {sent} vectors went over HTTP");
}

// ---------------------------------------------------------------------------------------------
// Hardening
// ---------------------------------------------------------------------------------------------

#[test]
fn wrong_paths_methods_types_and_forms_get_their_4xx() {
    let s = Builder::new().start();
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
    let s = Builder::new().public_url(IVR).start();
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
    let s = Builder::new().start();
    let mut c = s.connect();
    let big = "b".repeat(20 * 1024);
    let req = format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n");
    let _ = c.write_all(req.as_bytes());
    let r = Reply::parse(&read_all(&mut c));
    assert_eq!(r.status, 431);
}

#[test]
fn slow_clients_are_dropped_after_the_header_timeout() {
    let s = Builder::new()
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
    let s = Builder::new()
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
    let s = Builder::new().start();
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

#[test]
fn graceful_shutdown_finishes_in_flight_requests() {
    let mut s = Builder::new().public_url(IVR).start();
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
    let deadline = Instant::now() + BOUND;
    // Poll (bounded) until the handler is running: this probe plus the request in flight.
    while s.counter("in_flight") < 2 {
        assert!(Instant::now() < deadline, "request never got in flight");
        std::thread::sleep(Duration::from_millis(5));
    }

    let tx = s.shutdown.take().unwrap();
    tx.send(()).unwrap();
    // New connections are refused once the listener is closed.
    let deadline = Instant::now() + BOUND;
    while TcpStream::connect(s.addr).is_ok() {
        assert!(Instant::now() < deadline, "still accepting after shutdown");
        std::thread::sleep(Duration::from_millis(5));
    }

    // The in-flight request completes normally.
    c.write_all(rest.as_bytes()).unwrap();
    let r = Reply::parse(&read_all(&mut c));
    r.twiml();
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(s.stop(), ShutdownReport { drained: true });
}

#[test]
fn shutdown_grace_is_bounded() {
    let mut s = Builder::new()
        .with(|c| c.limits.shutdown_grace = Duration::from_millis(200))
        .start();
    // A connection stuck mid-body never finishes; shutdown gives up on it after the grace.
    let mut c = s.connect();
    c.write_all(b"POST /voice HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nTo=").unwrap();
    let deadline = Instant::now() + BOUND;
    while s.counter("in_flight") < 2 {
        assert!(Instant::now() < deadline, "request never got in flight");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(s.stop(), ShutdownReport { drained: false });
}

#[test]
fn insecure_mode_accepts_unsigned_requests() {
    let s = Builder::new()
        .with(|c| c.verification = Verification::InsecureSkip)
        .start();
    let body = harness::webhook("incoming-call");
    let r = s.request(
        "POST",
        "/voice",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    );
    r.twiml();
    assert_eq!(s.readyz()["signature_verification"], false);
}

#[test]
fn healthz_and_readyz() {
    let s = Builder::new().start();
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

// ---------------------------------------------------------------------------------------------
// The binary
// ---------------------------------------------------------------------------------------------

pub(crate) fn bin() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"));
    for var in [
        "TWILIO_AUTH_TOKEN",
        "TWILIO_SECONDARY_AUTH_TOKEN",
        "TWILIO_SHARED_KEY_SECRET",
    ] {
        c.env_remove(var);
    }
    for (var, _) in std::env::vars() {
        if var.starts_with("SWITCHBOARD_") {
            c.env_remove(var);
        }
    }
    c
}

#[test]
fn serve_refuses_to_start_without_a_token() {
    let out = bin()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no Twilio auth token"), "{err}");
    assert!(err.contains("TWILIO_AUTH_TOKEN"), "{err}");
}

#[test]
fn serve_refuses_flows_with_errors() {
    let flows = FlowDir::new().file(
        "bad.yaml",
        "start: nowhere\nsteps:\n  hi:\n    say: x\n    next: hangup\n",
    );
    let out = bin()
        .args(["serve", "--listen", "127.0.0.1:0", "--flows"])
        .arg(flows.path())
        .env("TWILIO_AUTH_TOKEN", "t")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error[") && err.contains("bad.yaml"), "{err}");
    assert!(err.contains("not serving flows with errors"), "{err}");
}

/// The real binary: starts, answers a signed call, stops cleanly on SIGTERM.
#[cfg(unix)]
#[test]
fn serve_binary_answers_and_stops_on_sigterm() {
    use std::io::BufRead;
    use std::process::Stdio;

    let flows: &Path = &harness::root().join("flows");
    let mut child = bin()
        .args(["serve", "--listen", "127.0.0.1:0", "--flows"])
        .arg(flows)
        .env("TWILIO_AUTH_TOKEN", TOKEN)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let next_json = |want: &str| -> Value {
        loop {
            let line = rx
                .recv_timeout(BOUND)
                .unwrap_or_else(|_| panic!("no {want:?} log line"));
            if let Ok(v) = serde_json::from_str::<Value>(&line)
                && v["message"] == want
            {
                return v;
            }
        }
    };
    let listening = next_json("listening");
    let addr: SocketAddr = listening["addr"].as_str().unwrap().parse().unwrap();

    let body = harness::webhook("incoming-call");
    let url = format!("http://{addr}/voice");
    let sig = signature::sign(
        &Secret::new(TOKEN),
        &url,
        &form::parse(body.as_bytes()).unwrap(),
    );
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(BOUND)).unwrap();
    write!(
        c,
        "POST /voice HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: {sig}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    Reply::parse(&read_all(&mut c)).twiml();
    let call = next_json("call");
    assert_eq!(call["flow"], "acme");

    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + BOUND;
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("serve did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    next_json("stopped");
}
