//! The webhook server over real sockets: [`TestServer::builder`] starts it on
//! `127.0.0.1:0` in its own thread and runtime, capturing its JSON logs; the tests speak
//! plain HTTP/1.1 to it over blocking std sockets, with read timeouts ([`BOUND`]) as the
//! bound on every wait.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use switchboard::form;
use switchboard::http::{
    FlowStore, PublicUrl, Server, ServerConfig, ShutdownReport, Verification, reload,
};
use switchboard::signature::{self, Keys, Secret};

use super::{BOUND, FlowDir, root};

/// The token the webhook fixtures were signed with (tests/data/webhooks/README.md).
pub const TOKEN: &str = "c4851beb21d4a12c322718f7dc11b6e4";
/// The public URL the fixtures were signed for.
pub const IVR: &str = "https://ivr.example.com";

/// Verification keys with these auth tokens and no shared keys.
pub fn keys(tokens: &[&str]) -> Keys {
    Keys {
        auth_tokens: tokens.iter().map(|t| Secret::new(*t)).collect(),
        shared_keys: vec![],
    }
}

/// Log output captured from one server's thread.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Every JSON log line so far.
    pub fn lines(&self) -> Vec<Value> {
        self.text()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("log line {l:?}: {e}")))
            .collect()
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// The first log line whose `key` is `value`; fails, showing the logs, if there is none.
    pub fn find(&self, key: &str, value: &str) -> Value {
        self.lines()
            .into_iter()
            .find(|l| l[key] == value)
            .unwrap_or_else(|| panic!("no log line with {key}={value:?} in:\n{}", self.text()))
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

/// A running server; shut down (waiting at most [`BOUND`]) when dropped.
pub struct TestServer {
    /// Where the server listens.
    pub addr: SocketAddr,
    /// What signatures are computed over: the public URL, or `http://{addr}`.
    base: String,
    /// The token requests are signed with.
    token: Secret,
    /// The server thread's log lines.
    pub logs: Logs,
    /// Starts graceful shutdown; taken when sent.
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    /// The server's thread (its own current-thread runtime); taken when joined.
    thread: Option<std::thread::JoinHandle<ShutdownReport>>,
    /// Keeps a temporary flows directory alive.
    _flows: Option<FlowDir>,
}

/// How to start a [`TestServer`]: by default the repository's `flows/`, verifying with
/// [`TOKEN`], no public URL, no reload.
#[must_use]
pub struct ServerBuilder {
    /// The flows directory served.
    flows: PathBuf,
    /// A temporary flows directory to keep alive while served.
    flow_dir: Option<FlowDir>,
    /// The server's configuration.
    config: ServerConfig,
    /// Hot reload for the server's flows directory (`None`: the flows never change).
    reload: Option<reload::Options>,
}

impl ServerBuilder {
    /// Reloads the flows as `options` say (a real watcher, a poller) while the server runs.
    pub fn reload(mut self, options: reload::Options) -> ServerBuilder {
        self.reload = Some(options);
        self
    }

    /// Serves a temporary flows directory instead of `flows/`.
    pub fn flows(mut self, dir: FlowDir) -> ServerBuilder {
        self.flows = dir.path().to_path_buf();
        self.flow_dir = Some(dir);
        self
    }

    pub fn public_url(mut self, url: &str) -> ServerBuilder {
        self.config.public_url = Some(PublicUrl::parse(url).unwrap());
        self
    }

    /// Any other configuration.
    pub fn with(mut self, f: impl FnOnce(&mut ServerConfig)) -> ServerBuilder {
        f(&mut self.config);
        self
    }

    pub fn start(self) -> TestServer {
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
    /// Serves the repository's `flows/`, verifying with [`TOKEN`]; see [`ServerBuilder`].
    pub fn builder() -> ServerBuilder {
        ServerBuilder {
            flows: root().join("flows"),
            flow_dir: None,
            config: ServerConfig::new(Verification::Required(keys(&[TOKEN]))),
            reload: None,
        }
    }

    /// The server's Voice URL on its own address.
    pub fn voice_url(&self) -> String {
        format!("http://{}/voice", self.addr)
    }

    pub fn connect(&self) -> TcpStream {
        connect(self.addr)
    }

    /// Sends one request (with `Connection: close`) and reads the whole answer.
    pub fn request(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        request(self.addr, method, target, headers, body)
    }

    pub fn sign(&self, url: &str, body: &str) -> String {
        signature::sign(&self.token, url, &form::parse(body.as_bytes()).unwrap())
    }

    /// A form POST signed as Twilio would sign it for `target`.
    pub fn post(&self, target: &str, body: &str) -> Reply {
        let sig = self.sign(&format!("{}{target}", self.base), body);
        self.post_signed(target, body, &sig, &[])
    }

    /// A form POST carrying `sig` as its `X-Twilio-Signature` (whatever it was computed
    /// over), and `extra` headers after it.
    pub fn post_signed(
        &self,
        target: &str,
        body: &str,
        sig: &str,
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut headers = vec![
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Twilio-Signature", sig),
        ];
        headers.extend_from_slice(extra);
        self.request("POST", target, &headers, body.as_bytes())
    }

    /// A GET signed over its URL alone.
    pub fn get(&self, target: &str) -> Reply {
        let sig = self.sign(&format!("{}{target}", self.base), "");
        self.request("GET", target, &[("X-Twilio-Signature", &sig)], b"")
    }

    /// POSTs to an absolute action URL the server wrote.
    pub fn follow(&self, action: &str, body: &str) -> Reply {
        self.post(self.target_of(action), body)
    }

    pub fn target_of<'a>(&self, url: &'a str) -> &'a str {
        url.strip_prefix(self.base.as_str())
            .unwrap_or_else(|| panic!("{url} does not start with {}", self.base))
    }

    pub fn readyz(&self) -> Value {
        let r = self.request("GET", "/readyz", &[], b"");
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("content-type"), Some("application/json"));
        serde_json::from_str(&r.body).unwrap()
    }

    /// A counter from `/readyz`, by its dotted path under `counters`.
    pub fn counter(&self, path: &str) -> u64 {
        let v = self.readyz();
        let mut c = &v["counters"];
        for part in path.split('.') {
            c = &c[part];
        }
        c.as_u64()
            .unwrap_or_else(|| panic!("no counter {path} in {v}"))
    }

    /// Starts graceful shutdown without waiting for it.
    pub fn begin_shutdown(&mut self) {
        let tx = self.shutdown.take().expect("shutdown already begun");
        tx.send(()).unwrap();
    }

    /// Triggers graceful shutdown and waits (bounded) for the server thread.
    pub fn stop(&mut self) -> ShutdownReport {
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
        // Waits (bounded, never failing: this may run while a test unwinds) so that servers
        // do not pile up across tests.
        if let Some(t) = self.thread.take() {
            let deadline = Instant::now() + BOUND;
            while !t.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

/// A connection to `addr` with [`BOUND`] as its read and write timeouts.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(BOUND)).unwrap();
    s.set_write_timeout(Some(BOUND)).unwrap();
    s
}

/// Sends one request to `addr` (with `Connection: close`) and reads the whole answer.
pub fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut s = connect(addr);
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    Reply::parse(&read_all(&mut s))
}

/// Reads until EOF, a reset, or the read timeout.
pub fn read_all(s: &mut TcpStream) -> Vec<u8> {
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

/// An HTTP answer, read whole.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// `(lower-case name, value)` of every header, in order.
    headers: Vec<(String, String)>,
    /// Everything after the head (lossily decoded).
    pub body: String,
}

impl Reply {
    pub fn parse(raw: &[u8]) -> Reply {
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

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Asserts a `200 text/xml` TwiML answer and returns the document.
    pub fn twiml(&self) -> &str {
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
pub fn attr(xml: &str, tag: &str, attr: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    doc.descendants()
        .find(|n| n.has_tag_name(tag))
        .and_then(|n| n.attribute(attr))
        .map(str::to_owned)
}

/// Text of every `<tag>` in document order.
pub fn texts(xml: &str, tag: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name(tag))
        .map(|n| n.text().unwrap_or("").to_owned())
        .collect()
}

/// The body of an incoming call from `from` to `to`.
pub fn incoming(from: &str, to: &str) -> String {
    form_body(&[
        ("CallSid", "CA00000000000000000000000000000001"),
        ("AccountSid", "AC00000000000000000000000000000001"),
        ("From", from),
        ("To", to),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
    ])
}

pub fn form_body(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}
