//! The load generator of the benchmark kit: realistic webhooks, signed the way Twilio signs
//! them, over keep-alive HTTP/1.1 connections (tokio + hyper client), for a bounded time;
//! reports throughput and latency percentiles (HdrHistogram).
//!
//! ```text
//! cargo bench --bench loadgen -- gen-flows DIR [--flows 1000]
//! cargo bench --bench loadgen -- run --target http://127.0.0.1:18080 --kind incoming|gather|status
//!     [--client raw|hyper] [--connections 32] [--duration 10] [--warmup 2] [--rate RPS]
//!     [--flows 1000] [--base-url URL] [--expect TEXT] [--server-pid PID] [--name NAME]
//!     [--out results.jsonl]
//! cargo bench --bench loadgen -- report --in results.jsonl [--json results.json]
//! ```
//!
//! `run` sends one signed webhook per benchmark flow, round robin, so requests spread over
//! the number index like real traffic; every request is verified by the server. The
//! webhooks carry the headers Twilio sends. Two clients: `hyper` (hyper's HTTP/1 client
//! connection) and `raw` (the default: each request serialized once, written whole, the
//! answer parsed by hand), which costs a fraction of hyper's CPU per request; on a
//! two-core machine the load generator has one core, and only the cheap client can keep a
//! bare hyper server on the other core busy. Without
//! `--rate` each connection sends its next request as soon as the answer is in (maximum
//! throughput). With `--rate` requests are sent on a fixed schedule and a request held up by
//! a slow answer is timed from when it should have gone out (no coordinated omission). Any
//! answer that is not `200` with the expected TwiML counts as an error, so a misconfigured
//! run cannot pass for a fast one. With `--server-pid` the server's CPU time is read from
//! `/proc` before and after: microseconds of server CPU per request is the figure that does
//! not depend on whether the load generator or the server ran out of CPU first.
//!
//! `report` turns the JSON lines `scripts/bench.sh` collects into one table (ratios to the
//! baseline, targets met or missed) and one JSON document.

// A benchmark program: it prints its report, and a failed setup may stop it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

#[path = "loadgen/report.rs"]
mod report;
#[path = "support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::header::{
    ACCEPT, CACHE_CONTROL, CONTENT_TYPE, HOST, HeaderName, HeaderValue, USER_AGENT,
};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use support::{Kind, Webhook};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("gen-flows") => gen_flows(&args),
        Some("run") => run(&args),
        Some("report") => report::report(&args),
        _ => {
            eprintln!(
                "usage: loadgen gen-flows DIR [--flows N] | run --target URL --kind incoming|gather [...] | report --in FILE [--json OUT]"
            );
            2
        }
    };
    std::process::exit(code);
}

// ---------------------------------------------------------------------------------------
// gen-flows
// ---------------------------------------------------------------------------------------

fn gen_flows(args: &[String]) -> i32 {
    let Some(dir) = args.get(1).filter(|a| !a.starts_with("--")) else {
        eprintln!("usage: loadgen gen-flows DIR [--flows N]");
        return 2;
    };
    let flows: usize = support::arg_or(args, "--flows", 1000);
    match support::write_flow_dir(&PathBuf::from(dir), flows) {
        Ok(()) => {
            eprintln!("wrote {flows} benchmark flows to {dir}");
            0
        }
        Err(e) => {
            eprintln!("error: cannot write {dir}: {e}");
            1
        }
    }
}

// ---------------------------------------------------------------------------------------
// run
// ---------------------------------------------------------------------------------------

/// What one run is asked to do.
struct Plan {
    addr: SocketAddr,
    kind: Kind,
    client: Client,
    /// Text every answer must contain.
    expect: String,
    hooks: Vec<Webhook>,
    /// Per webhook: its headers (hyper client).
    headers: Vec<Vec<(HeaderName, HeaderValue)>>,
    /// Per webhook: the whole request (raw client).
    raw: Vec<Vec<u8>>,
    connections: usize,
    warmup: Duration,
    duration: Duration,
    /// Requests per second over all connections; `None` = as fast as answers come.
    rate: Option<f64>,
}

/// What one connection measured.
struct Tally {
    latency: Histogram<u64>,
    /// Answers completed inside the measured window.
    completed: u64,
    /// Non-200 answers, unexpected bodies and connection failures inside the window.
    errors: u64,
    /// The first problem seen, for the report.
    first_error: Option<String>,
}

/// CPU tick counters `(server, load generator)` when the measured window opened and closed.
type CpuWindow = ((Option<u64>, Option<u64>), (Option<u64>, Option<u64>));

fn run(args: &[String]) -> i32 {
    let plan = match plan_of(args) {
        Ok(plan) => Arc::new(plan),
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let name = support::arg(args, "--name").unwrap_or_else(|| plan.kind.name().to_owned());
    let server_pid: Option<u32> = support::arg(args, "--server-pid").and_then(|p| p.parse().ok());
    let (tallies, cpu) = match drive(&plan, server_pid) {
        Ok(measured) => measured,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return 1;
        }
    };
    let (result, ok) = summarize(&plan, &name, tallies, cpu);
    println!("{result}");
    if let Some(out) = support::arg(args, "--out")
        && let Err(e) = append_line(&out, &result)
    {
        eprintln!("error: cannot write {out}: {e}");
        return 1;
    }
    if ok { 0 } else { 1 }
}

/// The run the arguments ask for, its webhooks built and serialized once; `Err` is a usage
/// message.
fn plan_of(args: &[String]) -> Result<Plan, String> {
    let target = support::arg(args, "--target").ok_or("--target http://HOST:PORT is required")?;
    let authority = target
        .strip_prefix("http://")
        .map(|t| t.trim_end_matches('/'))
        .ok_or("--target must be http://HOST:PORT")?;
    let addr = authority
        .parse::<SocketAddr>()
        .map_err(|_| format!("--target must name an IP address and port, got {authority}"))?;
    let base = support::arg(args, "--base-url").unwrap_or_else(|| format!("http://{authority}"));
    let kind = support::arg(args, "--kind")
        .as_deref()
        .and_then(Kind::parse)
        .ok_or("--kind incoming|gather is required")?;
    let flows: usize = support::arg_or(args, "--flows", 1000);
    let rate: f64 = support::arg_or(args, "--rate", 0.0);
    let client = match support::arg(args, "--client").as_deref() {
        None | Some("raw") => Client::Raw,
        Some("hyper") => Client::Hyper,
        Some(other) => return Err(format!("--client raw|hyper, got {other}")),
    };
    let hooks = support::webhooks(kind, &base, flows);
    let headers: Vec<_> = hooks.iter().map(|h| twilio_headers(authority, h)).collect();
    let raw = hooks
        .iter()
        .zip(&headers)
        .map(|(h, hs)| serialize(h, hs))
        .collect();
    Ok(Plan {
        addr,
        kind,
        client,
        expect: support::arg(args, "--expect").unwrap_or_else(|| kind.expect().to_owned()),
        hooks,
        headers,
        raw,
        connections: support::arg_or(args, "--connections", 32usize).max(1),
        warmup: Duration::from_secs_f64(support::arg_or(args, "--warmup", 2.0)),
        duration: Duration::from_secs_f64(support::arg_or(args, "--duration", 10.0)),
        rate: (rate > 0.0).then_some(rate),
    })
}

/// Runs every connection of `plan` to the end and reads the CPU counters of the server
/// (`server_pid`) and of this process when the measured window opens and closes.
fn drive(
    plan: &Arc<Plan>,
    server_pid: Option<u32>,
) -> std::io::Result<(Vec<Tally>, Option<CpuWindow>)> {
    // One thread: the load generator is pinned to its own core by the script, and a single
    // thread makes its cost per request as small as the hyper client allows.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let measure_start = Instant::now() + plan.warmup;
    let measured = plan.duration;
    // The CPU counters are read when the measured window opens and closes, from a task of
    // their own, so warm-up and connection set-up are left out.
    Ok(rt.block_on(async {
        let mut tasks = Vec::new();
        for i in 0..plan.connections {
            tasks.push(tokio::spawn(connection(plan.clone(), i)));
        }
        let cpu = tokio::spawn(async move {
            let read = || {
                (
                    server_pid.and_then(cpu_ticks),
                    cpu_ticks(std::process::id()),
                )
            };
            tokio::time::sleep_until(measure_start.into()).await;
            let start = read();
            tokio::time::sleep_until((measure_start + measured).into()).await;
            (start, read())
        });
        let mut tallies = Vec::new();
        for t in tasks {
            match t.await {
                Ok(tally) => tallies.push(tally),
                Err(e) => eprintln!("a connection task failed: {e}"),
            }
        }
        (tallies, cpu.await.ok())
    }))
}

/// The run's figures as one JSON object (also summed up on stderr), and whether it passed:
/// at least one answer and no errors.
fn summarize(
    plan: &Plan,
    name: &str,
    tallies: Vec<Tally>,
    cpu: Option<CpuWindow>,
) -> (Value, bool) {
    let mut latency = new_histogram();
    let (mut completed, mut errors, mut first_error) = (0u64, 0u64, None);
    for t in tallies {
        let _ = latency.add(&t.latency);
        completed += t.completed;
        errors += t.errors;
        if first_error.is_none() {
            first_error = t.first_error;
        }
    }
    let secs = plan.duration.as_secs_f64();
    let rps = completed as f64 / secs;
    let ticks = clock_ticks_per_second();
    let cpu_share = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => Some((b.saturating_sub(a)) as f64 / ticks / secs),
        _ => None,
    };
    let (server_cpu, client_cpu) = match cpu {
        Some(((s0, c0), (s1, c1))) => (cpu_share(s0, s1), cpu_share(c0, c1)),
        None => (None, None),
    };
    let us = |q: f64| latency.value_at_quantile(q);
    let result = json!({
        "name": name,
        "type": "load",
        "kind": plan.kind.name(),
        "client": format!("{:?}", plan.client).to_lowercase(),
        "connections": plan.connections,
        "duration_s": secs,
        "rate_target": plan.rate,
        "requests": completed,
        "errors": errors,
        "first_error": first_error,
        "rps": round1(rps),
        "p50_us": us(0.50),
        "p90_us": us(0.90),
        "p99_us": us(0.99),
        "p999_us": us(0.999),
        "max_us": latency.max(),
        "mean_us": round1(latency.mean()),
        "server_cpu": server_cpu.map(round3),
        "server_cpu_us_per_req": server_cpu
            .filter(|_| completed > 0)
            .map(|c| round1(c * secs * 1e6 / completed as f64)),
        "client_cpu": client_cpu.map(round3),
    });
    eprintln!(
        "{name}: {:.0} req/s, p50 {} µs, p90 {} µs, p99 {} µs, max {} µs, {errors} errors{}",
        rps,
        us(0.5),
        us(0.9),
        us(0.99),
        latency.max(),
        server_cpu
            .map(|c| format!(", server CPU {:.0}%", c * 100.0))
            .unwrap_or_default()
    );
    if let Some(e) = &first_error {
        eprintln!("first error: {e}");
    }
    (result, errors == 0 && completed > 0)
}

fn new_histogram() -> Histogram<u64> {
    // 1 µs to 60 s, 3 significant digits. The bounds are constants that `new_with_bounds`
    // accepts (low ≥ 1, high ≥ 2 × low, sigfig ≤ 5).
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// One keep-alive connection: send, wait for the whole answer, check it, repeat.
async fn connection(plan: Arc<Plan>, index: usize) -> Tally {
    let mut tally = Tally {
        latency: new_histogram(),
        completed: 0,
        errors: 0,
        first_error: None,
    };
    let t0 = Instant::now();
    let measure_start = t0 + plan.warmup;
    let end = measure_start + plan.duration;
    // With a rate, this connection's share of it, its first slot staggered from the others'.
    let interval = plan
        .rate
        .map(|r| Duration::from_secs_f64(plan.connections as f64 / r));
    let mut next_slot = interval.map(|i| t0 + i.mul_f64(index as f64 / plan.connections as f64));
    let mut prev_done = t0;
    let mut conn: Option<Conn> = None;
    // Connections start at different webhooks (a prime stride), so they spread over flows.
    let mut n = index * 7919;
    let mut checked = false;

    while Instant::now() < end {
        if conn.is_none() {
            match Conn::open(&plan).await {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    note_error(&mut tally, Instant::now() >= measure_start, e);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let started = match (next_slot, interval) {
            (Some(slot), Some(i)) => {
                next_slot = Some(slot + i);
                wait_until(slot).await;
                // Held up by a slow answer: timed from the slot it missed. On time: timed
                // from now, so any lateness of the client's own wake-up is not counted.
                if prev_done > slot {
                    slot
                } else {
                    Instant::now()
                }
            }
            _ => Instant::now(),
        };
        if started >= end {
            break;
        }
        let i = n % plan.hooks.len();
        n += 1;
        let outcome = c.roundtrip(&plan, i).await;
        let done = Instant::now();
        // The server's per-connection request cap: its last answer closes the connection.
        let reopen = outcome.is_ok() && c.closing();
        prev_done = done;
        let in_window = started >= measure_start && done <= end;
        match outcome {
            Ok(status) if status == plan.kind.ok_status() => {
                if !checked {
                    checked = true;
                    let body = c.body();
                    if !contains(body, &plan.expect) {
                        let text = String::from_utf8_lossy(body).into_owned();
                        note_error(
                            &mut tally,
                            true,
                            format!("answer lacks {:?}: {text}", plan.expect),
                        );
                        return tally;
                    }
                }
                if in_window {
                    tally.completed += 1;
                    let us =
                        u64::try_from(done.duration_since(started).as_micros()).unwrap_or(u64::MAX);
                    tally.latency.saturating_record(us.max(1));
                }
            }
            Ok(status) => {
                let text = String::from_utf8_lossy(c.body()).trim().to_owned();
                note_error(&mut tally, in_window, format!("{status}: {text}"));
            }
            Err(e) => {
                note_error(&mut tally, in_window, e);
                conn = None;
            }
        }
        if reopen {
            conn = None;
        }
    }
    tally
}

/// Waits until `at`, to within microseconds. tokio's timer has millisecond granularity:
/// sleeping to the slot would wake every connection due in the same millisecond at once and
/// send them as a burst, which queues at the server and measures the load generator, not
/// the server. So sleep to a millisecond before the slot, then yield until it (the load
/// generator has a core of its own to spin on).
async fn wait_until(at: Instant) {
    let margin = Duration::from_millis(1);
    if let Some(early) = at.checked_sub(margin)
        && early > Instant::now()
    {
        tokio::time::sleep_until(early.into()).await;
    }
    while Instant::now() < at {
        tokio::task::yield_now().await;
    }
}

/// Which HTTP client a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Client {
    /// hyper's HTTP/1 client connection.
    Hyper,
    /// Pre-serialized requests written to the socket and answers parsed by hand
    /// (`Content-Length` bodies only, which is what both servers send): a fraction of
    /// hyper's cost per request, so one core of load can saturate one core of server.
    Raw,
}

/// One open connection, of either client.
enum Conn {
    Hyper {
        sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
        body: Bytes,
        /// The last answer said `Connection: close` (the server's per-connection cap).
        closing: bool,
    },
    Raw(RawConn),
}

impl Conn {
    async fn open(plan: &Plan) -> Result<Conn, String> {
        let stream = tokio::net::TcpStream::connect(plan.addr)
            .await
            .map_err(|e| format!("connect {}: {e}", plan.addr))?;
        let _ = stream.set_nodelay(true);
        match plan.client {
            Client::Hyper => {
                let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                    .await
                    .map_err(|e| format!("handshake: {e}"))?;
                tokio::spawn(async move {
                    let _ = conn.await;
                });
                Ok(Conn::Hyper {
                    sender,
                    body: Bytes::new(),
                    closing: false,
                })
            }
            Client::Raw => Ok(Conn::Raw(RawConn {
                stream,
                buf: Vec::with_capacity(8192),
                body: 0..0,
                closing: false,
            })),
        }
    }

    /// Sends webhook `i` and reads the whole answer; its status.
    async fn roundtrip(&mut self, plan: &Plan, i: usize) -> Result<u16, String> {
        match self {
            Conn::Hyper {
                sender,
                body,
                closing,
            } => {
                let hook = &plan.hooks[i];
                let mut req = Request::post(hook.target.as_str())
                    .body(Full::new(hook.body.clone()))
                    .map_err(|e| e.to_string())?;
                let h = req.headers_mut();
                for (name, value) in &plan.headers[i] {
                    h.insert(name.clone(), value.clone());
                }
                let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
                let status = resp.status().as_u16();
                *closing = says_close(resp.headers());
                *body = resp
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| e.to_string())?
                    .to_bytes();
                Ok(status)
            }
            Conn::Raw(raw) => raw.roundtrip(&plan.raw[i]).await,
        }
    }

    /// The server closes this connection after its last answer: open a new one.
    fn closing(&self) -> bool {
        match self {
            Conn::Hyper { closing, .. } => *closing,
            Conn::Raw(raw) => raw.closing,
        }
    }

    /// The body of the last answer.
    fn body(&self) -> &[u8] {
        match self {
            Conn::Hyper { body, .. } => body,
            Conn::Raw(raw) => &raw.buf[raw.body.clone()],
        }
    }
}

/// The hand-rolled HTTP/1.1 client connection.
struct RawConn {
    stream: tokio::net::TcpStream,
    /// The last answer, head and body.
    buf: Vec<u8>,
    /// Where the body is in `buf`.
    body: std::ops::Range<usize>,
    /// The last answer said `Connection: close`.
    closing: bool,
}

impl RawConn {
    async fn roundtrip(&mut self, request: &[u8]) -> Result<u16, String> {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        self.stream
            .write_all(request)
            .await
            .map_err(|e| format!("write: {e}"))?;
        self.buf.clear();
        let mut head: Option<(u16, usize)> = None;
        loop {
            if let Some((status, body_start)) = head {
                // `204 No Content` has no body and no length.
                let len = match status {
                    204 | 304 => 0,
                    _ => content_length(&self.buf[..body_start])
                        .ok_or("answer without Content-Length")?,
                };
                if self.buf.len() >= body_start + len {
                    if self.buf.len() > body_start + len {
                        return Err("more bytes than the answer (pipelining?)".into());
                    }
                    self.body = body_start..body_start + len;
                    self.closing = header_says_close(&self.buf[..body_start]);
                    return Ok(status);
                }
            }
            let n = self
                .stream
                .read_buf(&mut self.buf)
                .await
                .map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err("the server closed the connection".into());
            }
            if head.is_none()
                && let Some(end) = find(&self.buf, b"\r\n\r\n")
            {
                let status = self
                    .buf
                    .get(9..12)
                    .and_then(|s| std::str::from_utf8(s).ok())
                    .and_then(|s| s.parse().ok())
                    .ok_or("bad status line")?;
                head = Some((status, end + 4));
            }
        }
    }
}

/// Whether an answer's headers close the connection.
fn says_close(headers: &hyper::HeaderMap) -> bool {
    headers
        .get(hyper::header::CONNECTION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("close"))
}

/// The same for a raw answer head.
fn header_says_close(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    text.split("\r\n").any(|line| {
        line.split_once(':').is_some_and(|(n, v)| {
            n.eq_ignore_ascii_case("connection") && v.trim().eq_ignore_ascii_case("close")
        })
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The `Content-Length` of an answer head.
fn content_length(head: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(head).ok()?;
    text.split("\r\n").find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())
            .flatten()
    })
}

/// The headers Twilio sends with a webhook (besides `Content-Length`), for webhook `hook`.
fn twilio_headers(host: &str, hook: &Webhook) -> Vec<(HeaderName, HeaderValue)> {
    let v = |s: &str| HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static(""));
    vec![
        (HOST, v(host)),
        (USER_AGENT, v("TwilioProxy/1.1")),
        (ACCEPT, v("*/*")),
        (CACHE_CONTROL, v("max-age=259200")),
        (CONTENT_TYPE, v("application/x-www-form-urlencoded")),
        (
            // One per request, as Twilio sends (a retry would repeat it): a server keeping
            // records dedupes on it.
            HeaderName::from_static("i-twilio-idempotency-token"),
            v(&format!("bench-{}", hook.signature)),
        ),
        (HeaderName::from_static("x-home-region"), v("us1")),
        (
            HeaderName::from_static("x-twilio-signature"),
            v(&hook.signature),
        ),
    ]
}

/// The whole request, as the raw client writes it.
fn serialize(hook: &Webhook, headers: &[(HeaderName, HeaderValue)]) -> Vec<u8> {
    let mut out = format!("POST {} HTTP/1.1\r\n", hook.target).into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("content-length: {}\r\n\r\n", hook.body.len()).as_bytes());
    out.extend_from_slice(&hook.body);
    out
}

fn note_error(tally: &mut Tally, counted: bool, e: String) {
    if counted {
        tally.errors += 1;
    }
    if tally.first_error.is_none() {
        tally.first_error = Some(e.chars().take(300).collect());
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    // `windows(0)` panics; every answer contains the empty text (the `status` kind's `204`).
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
}

/// utime + stime of a process, in clock ticks (`/proc/PID/stat` fields 14 and 15).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces; fields after it follow the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// `sysconf(_SC_CLK_TCK)`: 100 on every Linux this runs on; `getconf` is asked to be sure.
fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

fn append_line(path: &str, value: &Value) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    writeln!(f, "{value}")
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
