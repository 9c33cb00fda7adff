//! The simulated webhook loop behind `switchboard simulate` and `switchboard test`.
//!
//! A simulated call plays Twilio's part: it sends the incoming-call webhook, reads the TwiML
//! the interpreter answers with, "executes" its verbs (what the caller hears, a `<Gather>`
//! waiting for input, a `<Dial>` that rings), and sends the next webhook to the action URL
//! exactly as written in the document, with the result parameters Twilio would add
//! (`Digits`, `SpeechResult`, `DialCallStatus`, `RecordingUrl`, `QueueResult`, …). Each
//! webhook goes through [`engine::run`], the function the server calls, and the call state
//! makes the same trip through the action URL's query string, so a path that works here works
//! on a real call.
//!
//! Input comes from an [`InputSource`]: [`Scripted`] replies (`--input`, a test case's
//! `inputs`) or [`Terminal`], which prints the call so far and asks for digits or speech like
//! a phone. Both go through the same loop; the terminal is only a different source.
//!
//! Where each webhook goes is a [`Transport`]: [`InProcess`] hands it to the interpreter
//! (`simulate`, `test`); `http::client` sends it, signed, to a running server
//! (`switchboard call`). The loop, the result parameters and the transcript are the same.
//!
//! The loop is bounded by [`Call::max_webhooks`]; in process it never touches the network or
//! the clock (the call's time is a parameter and stays fixed for the whole call).

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::{BufRead, Write};
use std::path::PathBuf;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::engine::{self, Config, Entry, Event, Outcome, Params};
use crate::flow::compile::is_name;
use crate::flow::model::Action;
use crate::flow::{self, FlowSet};
use crate::twiml::{DialNoun, GatherChild, Verb};

/// Webhooks one simulated call may make before it is stopped (a flow that loops through
/// menus forever would otherwise never end).
pub const MAX_WEBHOOKS: usize = 100;

/// The caller's number when none is given: Twilio's magic "valid" test number.
pub const DEFAULT_FROM: &str = "+15005550006";

/// `Confidence` sent with every simulated speech result.
pub const SPEECH_CONFIDENCE: &str = "0.92";

/// How a simulated `<Dial>` ends: Twilio's `DialCallStatus` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialStatus {
    /// The called party answered and the call ended normally.
    Completed,
    /// The called party answered (Twilio sends this while bridged in some flows).
    Answered,
    /// The line was busy.
    Busy,
    /// Nobody answered before the timeout.
    NoAnswer,
    /// The call could not be placed.
    Failed,
    /// The dial was cancelled.
    Canceled,
}

impl DialStatus {
    /// Every status, for help texts and errors.
    pub const ALL: &'static [DialStatus] = &[
        DialStatus::Completed,
        DialStatus::Answered,
        DialStatus::Busy,
        DialStatus::NoAnswer,
        DialStatus::Failed,
        DialStatus::Canceled,
    ];

    /// The value Twilio sends in `DialCallStatus`.
    pub fn as_str(self) -> &'static str {
        match self {
            DialStatus::Completed => "completed",
            DialStatus::Answered => "answered",
            DialStatus::Busy => "busy",
            DialStatus::NoAnswer => "no-answer",
            DialStatus::Failed => "failed",
            DialStatus::Canceled => "canceled",
        }
    }

    /// Parses a `DialCallStatus` value.
    pub fn parse(s: &str) -> Result<DialStatus, String> {
        DialStatus::ALL
            .iter()
            .copied()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "`{s}` is not a dial outcome; expected one of: {}",
                    DialStatus::ALL
                        .iter()
                        .map(|d| d.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }

    /// True when someone picked up.
    fn answered(self) -> bool {
        matches!(self, DialStatus::Completed | DialStatus::Answered)
    }
}

/// Twilio's `QueueResult` values, for checking `--queue-result`.
pub const QUEUE_RESULTS: &[&str] = &[
    "bridged",
    "bridging-in-process",
    "error",
    "hangup",
    "leave",
    "queue-full",
    "redirected",
    "redirected-from-bridged",
    "system-error",
];

/// Checks a `QueueResult` value.
pub fn parse_queue_result(s: &str) -> Result<String, String> {
    if QUEUE_RESULTS.contains(&s) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not a queue result; expected one of: {}",
            QUEUE_RESULTS.join(", ")
        ))
    }
}

/// One simulated call: who calls whom, when, and how the outside world behaves.
#[derive(Debug, Clone)]
pub struct Call {
    /// The dialed number (`To`), which picks the flow.
    pub to: String,
    /// The caller (`From`).
    pub from: String,
    /// Extra request parameters (`FromCountry`, `CallerName`, …), sent with every webhook.
    /// They win over the simulator's standard parameters of the same name.
    pub params: Vec<(String, String)>,
    /// The instant of the call; every webhook of the call uses it.
    pub at: Timestamp,
    /// Outcomes of successive dials, in order; the last one repeats, and with none every
    /// dial is `completed`.
    pub dial: Vec<DialStatus>,
    /// `DialCallDuration` of an answered dial.
    pub dial_seconds: u32,
    /// `RecordingDuration` of a recording; 0 simulates an empty recording.
    pub record_seconds: u32,
    /// `QueueResult` when the caller leaves a queue.
    pub queue_result: String,
    /// At most this many webhooks (see [`MAX_WEBHOOKS`]).
    pub max_webhooks: usize,
}

impl Call {
    /// A call to `to` at `at`, with the defaults for everything else.
    pub fn new(to: &str, at: Timestamp) -> Call {
        Call {
            to: to.to_string(),
            from: DEFAULT_FROM.to_string(),
            params: Vec::new(),
            at,
            dial: Vec::new(),
            dial_seconds: 60,
            record_seconds: 15,
            queue_result: "bridged".to_string(),
            max_webhooks: MAX_WEBHOOKS,
        }
    }
}

/// The zone a call's civil times are read in: the zone of the flow that answers `to`, else
/// UTC (a call no flow answers is rejected whatever the time).
pub fn zone_for(set: &FlowSet, to: &str) -> TimeZone {
    set.numbers()
        .lookup(to)
        .and_then(|(fid, _)| set.get(fid))
        .map(|f| f.tz.clone())
        .unwrap_or(TimeZone::UTC)
}

/// Reads `--at`: an RFC 3339 instant (`2026-12-24T18:30:00Z`, `…-05:00`), or a civil date
/// and time (`2026-12-24T18:30`, `2026-12-24 18:30`) in `tz`.
pub fn parse_at(s: &str, tz: &TimeZone) -> Result<Timestamp, String> {
    let s = s.trim();
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Ok(ts);
    }
    match s.parse::<jiff::civil::DateTime>() {
        Ok(dt) => dt
            .to_zoned_datetime(tz.clone())
            .map(|z| z.timestamp())
            .map_err(|e| format!("`{s}` is not a time in the flow's zone: {e}")),
        Err(_) => Err(format!(
            "`{s}` is not a time; write `2026-12-24T18:30` (in the flow's time zone) or an \
             RFC 3339 instant such as `2026-12-24T23:30:00Z`"
        )),
    }
}

/// What the caller does when a `<Gather>` waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Keypresses (only `0-9`, `*`, `#`) or, for anything else, speech. Empty is silence.
    Entry(String),
    /// The script has no more entries: silence, noted as such.
    Exhausted,
    /// The caller hangs up (the call ends; Twilio sends no more webhooks).
    HangUp,
}

/// A `<Gather>` waiting for the caller, as an input source sees it.
#[derive(Debug, Clone)]
pub struct Waiting {
    /// The flow of the waiting step.
    pub flow: String,
    /// The waiting step.
    pub step: String,
    /// `menu` or `ask` (or `gather` for a gather the flow set does not explain).
    pub kind: &'static str,
    /// `dtmf`, `speech` or `dtmf speech`.
    pub input: String,
    /// The menu's keys and keywords (empty for an ask).
    pub choices: Vec<String>,
    /// Seconds of silence before the gather gives up.
    pub timeout: Option<u32>,
}

/// Where replies to `<Gather>` come from: a script or a person at a terminal.
pub trait InputSource {
    /// The reply to the gather `waiting`; `so_far` is every webhook of the call up to and
    /// including the one whose document is waiting.
    fn reply(&mut self, waiting: &Waiting, so_far: &[Webhook]) -> Reply;
}

/// Replies from a list, in order; silence once the list is used up.
#[derive(Debug, Clone, Default)]
pub struct Scripted {
    /// Replies not yet given.
    queue: VecDeque<String>,
}

impl Scripted {
    /// A script of replies.
    pub fn new(replies: impl IntoIterator<Item = String>) -> Scripted {
        Scripted {
            queue: replies.into_iter().collect(),
        }
    }

    /// Replies the call never asked for (usually a mistake in the script), as one line:
    /// `2 input(s) never asked for: "1", "sales"`.
    pub fn unused_note(&self) -> Option<String> {
        if self.queue.is_empty() {
            return None;
        }
        let list: Vec<String> = self.queue.iter().map(|u| format!("{u:?}")).collect();
        Some(format!(
            "{} input(s) never asked for: {}",
            list.len(),
            list.join(", ")
        ))
    }
}

impl InputSource for Scripted {
    fn reply(&mut self, _: &Waiting, _: &[Webhook]) -> Reply {
        match self.queue.pop_front() {
            Some(r) => Reply::Entry(r),
            None => Reply::Exhausted,
        }
    }
}

/// A person at a terminal: before each gather it prints the webhooks not yet shown, then
/// asks for a line. An empty line is silence; `.` or end of input hangs up.
pub struct Terminal<'a> {
    /// Where the caller's lines come from.
    input: &'a mut dyn BufRead,
    /// Where the call is printed.
    out: &'a mut dyn Write,
    /// Echo each line read (when input is piped, so the output reads as a conversation).
    echo: bool,
    /// How webhooks are printed.
    render: Render,
    /// Webhooks already printed.
    printed: usize,
    /// Lines read (bounds a runaway input; see [`Terminal::MAX_LINE_BYTES`]).
    lines: usize,
}

impl<'a> Terminal<'a> {
    /// A line longer than this is cut: nobody types more into a phone.
    pub const MAX_LINE_BYTES: u64 = 4096;

    /// A terminal reading `input` and printing to `out`.
    pub fn new(
        input: &'a mut dyn BufRead,
        out: &'a mut dyn Write,
        echo: bool,
        render: Render,
    ) -> Terminal<'a> {
        Terminal {
            input,
            out,
            echo,
            render,
            printed: 0,
            lines: 0,
        }
    }

    /// How many webhooks have been printed (the caller prints the rest).
    pub fn printed(&self) -> usize {
        self.printed
    }

    /// Lines the caller typed.
    pub fn lines(&self) -> usize {
        self.lines
    }

    fn read_line(&mut self) -> Option<String> {
        let mut buf = Vec::new();
        // `Read::take` by path: on the trait object itself it would need `Sized`.
        let n = std::io::Read::take(&mut *self.input, Self::MAX_LINE_BYTES)
            .read_until(b'\n', &mut buf)
            .ok()?;
        if n == 0 {
            return None;
        }
        if buf.last() != Some(&b'\n') && n as u64 == Self::MAX_LINE_BYTES {
            // Discard the rest of an over-long line so it does not become the next reply.
            let mut rest = Vec::new();
            let _ = std::io::Read::take(&mut *self.input, 1 << 20).read_until(b'\n', &mut rest);
        }
        self.lines += 1;
        Some(
            String::from_utf8_lossy(&buf)
                .trim_end_matches(['\n', '\r'])
                .trim()
                .to_string(),
        )
    }
}

impl InputSource for Terminal<'_> {
    fn reply(&mut self, waiting: &Waiting, so_far: &[Webhook]) -> Reply {
        for (i, w) in so_far.iter().enumerate().skip(self.printed) {
            let _ = self
                .out
                .write_all(render_webhook(w, i + 1, &self.render).as_bytes());
        }
        self.printed = so_far.len();
        let what = match waiting.input.as_str() {
            "speech" => "speech",
            "dtmf speech" => "digits or speech",
            _ => "digits",
        };
        let choices = if waiting.choices.is_empty() {
            String::new()
        } else {
            format!(" [{}]", waiting.choices.join(", "))
        };
        let _ = write!(
            self.out,
            "? {} `{}` waits for {what}{choices} (Enter = silence, . = hang up): ",
            waiting.kind, waiting.step
        );
        let _ = self.out.flush();
        let line = self.read_line();
        if self.echo {
            let _ = writeln!(self.out, "{}", line.as_deref().unwrap_or("(end of input)"));
        } else if line.is_none() {
            let _ = writeln!(self.out);
        }
        match line {
            None => Reply::HangUp,
            Some(l) if l == "." => Reply::HangUp,
            Some(l) => Reply::Entry(l),
        }
    }
}

/// What the caller did at a gather, for the transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// Keys pressed (as sent in `Digits`).
    Pressed(String),
    /// Words said (as sent in `SpeechResult`).
    Said(String),
    /// Nothing (the gather timed out).
    Silence,
}

/// One webhook of the call: the request, the interpreter's answer, and how far Twilio got
/// through the document.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// The URL requested (`/voice` for the incoming call, then action URLs as written).
    pub url: String,
    /// Every request parameter, in the order sent.
    pub params: Vec<(String, String)>,
    /// The parameters that report the previous document's result (`Digits`, …).
    pub result: Vec<(String, String)>,
    /// What the caller entered, when this webhook answers a gather.
    pub input: Option<Heard>,
    /// Remarks of the simulator (input cut at `numDigits`, speech ignored, …).
    pub notes: Vec<String>,
    /// The interpreter's answer.
    pub outcome: Outcome,
    /// How many of the document's verbs ran (verbs after a `<Gather>`, `<Dial>`, … with an
    /// action never run).
    pub played: usize,
}

impl Webhook {
    /// The verbs of the document that ran.
    pub fn verbs(&self) -> &[Verb] {
        let v = &self.outcome.response.verbs;
        &v[..self.played.min(v.len())]
    }
}

/// How the simulated call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The document said `<Hangup/>`.
    HungUp,
    /// The document said `<Reject>` (with this reason, if any).
    Rejected(Option<String>),
    /// The document ran out of verbs, so Twilio ends the call.
    DocumentEnded,
    /// The caller hung up at a gather (interactive mode).
    CallerHungUp,
    /// A `<Redirect>` to TwiML outside switchboard; the simulation cannot follow it.
    ExternalRedirect(String),
    /// The call made [`Call::max_webhooks`] webhooks and was stopped.
    TooManyWebhooks(usize),
    /// A webhook got no usable answer (over HTTP: no connection, a status other than 200,
    /// malformed TwiML); Twilio would play its "application error" message and hang up.
    Failed(String),
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ending::HungUp => f.write_str("hung up (<Hangup/>)"),
            Ending::Rejected(Some(r)) => write!(f, "rejected ({r})"),
            Ending::Rejected(None) => f.write_str("rejected"),
            Ending::DocumentEnded => f.write_str("the document ran out of verbs (Twilio hangs up)"),
            Ending::CallerHungUp => f.write_str("the caller hung up"),
            Ending::ExternalRedirect(u) => write!(
                f,
                "redirected to external TwiML at {u} (not simulated; the call goes on there)"
            ),
            Ending::TooManyWebhooks(n) => write!(
                f,
                "stopped after {n} webhooks (does the flow loop without end?)"
            ),
            Ending::Failed(why) => write!(f, "request failed: {why}"),
        }
    }
}

/// A whole simulated call.
#[derive(Debug, Clone)]
pub struct Transcript {
    /// The dialed number.
    pub to: String,
    /// The caller.
    pub from: String,
    /// When the call happened.
    pub at: Timestamp,
    /// The zone of the flow that answered (UTC when none did).
    pub zone: TimeZone,
    /// Every webhook, in order.
    pub webhooks: Vec<Webhook>,
    /// How it ended.
    pub ending: Ending,
}

impl Transcript {
    /// The flow the dialed number chose, if any.
    pub fn home_flow(&self) -> Option<&str> {
        self.events().find_map(|e| match e {
            Event::Number { flow, .. } => Some(flow.as_str()),
            _ => None,
        })
    }

    /// Every trace event of the call, in order.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.webhooks.iter().flat_map(|w| w.outcome.trace.iter())
    }

    /// The steps entered, in order (a menu asked again appears again). Steps of the flow the
    /// number chose are named as is; steps of other flows as `@flow.step`, like targets.
    pub fn path(&self) -> Vec<String> {
        let home = self.home_flow().map(str::to_string);
        self.events()
            .filter_map(|e| match e {
                Event::Enter { flow, step, .. } => Some(if home.as_deref() == Some(flow) {
                    step.clone()
                } else {
                    format!("@{flow}.{step}")
                }),
                _ => None,
            })
            .collect()
    }

    /// The last step entered: where the call ends.
    pub fn ends_at(&self) -> Option<String> {
        self.path().pop()
    }

    /// What the caller heard, in order: the text of every `<Say>` and the URL of every
    /// `<Play>` that ran (prompts inside a gather included).
    pub fn heard(&self) -> Vec<String> {
        let mut out = Vec::new();
        for w in &self.webhooks {
            for v in w.verbs() {
                match v {
                    Verb::Say(s) => out.push(s.text.clone()),
                    Verb::Play(p) if !p.url.is_empty() => out.push(p.url.clone()),
                    Verb::Gather(g) => {
                        for c in &g.children {
                            match c {
                                GatherChild::Say(s) => out.push(s.text.clone()),
                                GatherChild::Play(p) if !p.url.is_empty() => {
                                    out.push(p.url.clone())
                                }
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        out
    }

    /// Every party dialed, in order (`+1…`, `sip:…`, `client:name`, `conference:room`).
    pub fn dialed(&self) -> Vec<String> {
        self.dials().into_iter().flatten().collect()
    }

    /// The targets of each `<Dial>` that ran, one list per dial.
    pub fn dials(&self) -> Vec<Vec<String>> {
        self.webhooks
            .iter()
            .flat_map(|w| w.verbs().iter())
            .filter_map(|v| match v {
                Verb::Dial(d) => Some(dial_targets(d)),
                _ => None,
            })
            .collect()
    }

    /// True when any webhook hit a run-time failure (the caller heard the apology).
    pub fn failed(&self) -> bool {
        self.webhooks.iter().any(|w| w.outcome.failed)
    }
}

/// The parties a `<Dial>` rings, written as in flow files.
pub fn dial_targets(d: &crate::twiml::Dial) -> Vec<String> {
    let mut out: Vec<String> = d.number.iter().cloned().collect();
    out.extend(d.nouns.iter().map(|n| match n {
        DialNoun::Number(n) => n.number.clone(),
        DialNoun::Sip(s) => s.uri.clone(),
        DialNoun::Client(c) => format!("client:{}", c.identity),
        DialNoun::Conference(c) => format!("conference:{}", c.name),
        DialNoun::Queue(q) => format!("queue:{}", q.name),
    }));
    out
}

/// Where a URL in a document leads.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    /// The incoming-call webhook (`/voice`).
    Incoming,
    /// An action URL the interpreter wrote.
    Continue {
        /// The flow named in the path.
        flow: String,
        /// The step named in the path.
        step: String,
        /// The query string: the call state.
        query: String,
    },
    /// Somewhere else.
    External,
}

/// Routes a URL as the server would: strip the public base (or take a relative path), then
/// `/voice` or `/voice/{flow}/{step}?{state}` with URL-safe names.
fn route(url: &str, base: &str) -> Route {
    let rest = if !base.is_empty() && url.starts_with(base) {
        &url[base.len()..]
    } else if url.starts_with('/') && !url.starts_with("//") {
        url
    } else {
        return Route::External;
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path == "/voice" {
        return Route::Incoming;
    }
    match path.strip_prefix("/voice/").and_then(|r| r.split_once('/')) {
        Some((flow, step)) if is_name(flow) && is_name(step) => Route::Continue {
            flow: flow.to_string(),
            step: step.to_string(),
            query: query.to_string(),
        },
        _ => Route::External,
    }
}

/// The next request the simulated Twilio makes.
struct Request {
    /// The URL to request, as written in the document.
    url: String,
    /// Result parameters of the previous document (`Digits`, `DialCallStatus`, …).
    result: Vec<(String, String)>,
    /// What the caller entered, when answering a gather.
    input: Option<Heard>,
    /// Simulator remarks to attach to the webhook.
    notes: Vec<String>,
}

/// A deterministic Twilio-style SID (`CA` + 32 hex digits) from a seed, so transcripts of
/// the same call are identical run to run.
fn sid(prefix: &str, seed: &str, n: u64) -> String {
    // FNV-1a: tiny and stable across platforms and Rust versions (std's hasher is neither
    // guaranteed nor meant for output).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes().chain(n.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let h2 = h.rotate_left(29) ^ 0x9e37_79b9_7f4a_7c15;
    format!("{prefix}{h:016x}{h2:016x}")
}

/// What makes one call's SIDs differ from another's.
fn seed(call: &Call) -> String {
    format!("{}|{}|{}", call.from, call.to, call.at)
}

/// Where the simulated Twilio sends its webhooks.
///
/// [`InProcess`] hands them to [`engine::run`] (`simulate`, `test`); `http::client`'s
/// transport signs them and POSTs them to a running server (`switchboard call`). Either way
/// [`run_over`] builds the parameters, plays the documents and writes the transcript.
pub trait Transport {
    /// The URL of the incoming-call webhook, as the transcript shows it.
    fn first_url(&self) -> String;

    /// Sends one webhook to `url` (the first URL, or a URL as written in the previous
    /// document) with `params`, in order.
    fn send(&mut self, url: &str, params: &[(String, String)]) -> Sent;

    /// The zone the call's time is shown in: the answering flow's, else UTC. Asked once the
    /// call is over (a server only says which flow answered in its answers).
    fn zone(&self, to: &str) -> TimeZone;

    /// Describes the gather `g` (whose action is `action`) for the input source.
    fn waiting(&self, g: &crate::twiml::Gather, action: &str) -> Waiting;
}

/// What became of one webhook.
#[derive(Debug)]
pub enum Sent {
    /// A document came back.
    Answered {
        /// The document, typed, with the interpreter's trace.
        outcome: Outcome,
        /// Remarks of the transport, shown with the webhook.
        notes: Vec<String>,
    },
    /// The URL leads outside switchboard; it is not followed.
    External,
    /// No usable answer; the call cannot go on.
    Failed(String),
}

/// The interpreter in this process: the transport of `simulate` and `test`.
pub struct InProcess<'a> {
    /// The flows.
    set: &'a FlowSet,
    /// The interpreter's settings (the base URL of action URLs).
    cfg: &'a Config,
    /// The instant every webhook of the call is run at.
    at: Timestamp,
}

impl<'a> InProcess<'a> {
    /// Runs webhooks through `set` at the instant `at`.
    pub fn new(set: &'a FlowSet, cfg: &'a Config, at: Timestamp) -> InProcess<'a> {
        InProcess { set, cfg, at }
    }
}

impl Transport for InProcess<'_> {
    fn first_url(&self) -> String {
        format!("{}/voice", self.cfg.base_url)
    }

    fn send(&mut self, url: &str, params: &[(String, String)]) -> Sent {
        let request = Params::from_pairs(params.to_vec());
        let outcome = match route(url, &self.cfg.base_url) {
            Route::External => return Sent::External,
            Route::Continue { flow, step, query } => engine::run(
                self.set,
                self.cfg,
                Entry::Continue {
                    flow: &flow,
                    step: &step,
                    query: &query,
                },
                &request,
                self.at,
            ),
            Route::Incoming => engine::run(self.set, self.cfg, Entry::Incoming, &request, self.at),
        };
        Sent::Answered {
            outcome,
            notes: Vec::new(),
        }
    }

    fn zone(&self, to: &str) -> TimeZone {
        zone_for(self.set, to)
    }

    fn waiting(&self, g: &crate::twiml::Gather, action: &str) -> Waiting {
        waiting_for(self.set, &self.cfg.base_url, g, action)
    }
}

/// Runs a call through the interpreter, webhook after webhook, until it ends.
pub fn run(set: &FlowSet, cfg: &Config, call: &Call, inputs: &mut dyn InputSource) -> Transcript {
    run_over(&mut InProcess::new(set, cfg, call.at), call, inputs)
}

/// Runs a call over any transport, webhook after webhook, until it ends.
pub fn run_over(
    transport: &mut dyn Transport,
    call: &Call,
    inputs: &mut dyn InputSource,
) -> Transcript {
    let mut t = Transcript {
        to: call.to.clone(),
        from: call.from.clone(),
        at: call.at,
        zone: TimeZone::UTC,
        webhooks: Vec::new(),
        ending: Ending::TooManyWebhooks(call.max_webhooks),
    };
    if let Some(ending) = walk(transport, call, inputs, &mut t) {
        t.ending = ending;
    }
    t.zone = transport.zone(&call.to);
    t
}

/// The webhooks of one call, pushed onto `t.webhooks`; how the call ended, or `None` when it
/// hit [`Call::max_webhooks`].
fn walk(
    transport: &mut dyn Transport,
    call: &Call,
    inputs: &mut dyn InputSource,
    t: &mut Transcript,
) -> Option<Ending> {
    let call_sid = sid("CA", &seed(call), 0);
    let mut next = Request {
        url: transport.first_url(),
        result: Vec::new(),
        input: None,
        notes: Vec::new(),
    };
    let mut dials = 0usize;
    for n in 0..call.max_webhooks {
        // Result parameters first, then the caller's own, then the standard ones: the first
        // value of a name wins, so a `--param` can override a standard value but not a result.
        let mut params = next.result.clone();
        params.extend(call.params.iter().cloned());
        let status = if n == 0 { "ringing" } else { "in-progress" };
        for (k, v) in [
            ("CallSid", call_sid.as_str()),
            ("AccountSid", "AC00000000000000000000000000000000"),
            ("From", call.from.as_str()),
            ("Caller", call.from.as_str()),
            ("To", call.to.as_str()),
            ("Called", call.to.as_str()),
            ("CallStatus", status),
            ("Direction", "inbound"),
            ("ApiVersion", "2010-04-01"),
        ] {
            params.push((k.to_string(), v.to_string()));
        }
        let (outcome, notes) = match transport.send(&next.url, &params) {
            Sent::Answered { outcome, notes } => (outcome, notes),
            Sent::External => return Some(Ending::ExternalRedirect(next.url)),
            Sent::Failed(why) => return Some(Ending::Failed(why)),
        };
        let verbs = outcome.response.verbs.clone();
        let mut all_notes = next.notes;
        all_notes.extend(notes);
        t.webhooks.push(Webhook {
            url: next.url,
            params,
            result: next.result,
            input: next.input,
            notes: all_notes,
            outcome,
            played: verbs.len(),
        });
        let idx = t.webhooks.len() - 1;
        match follow(&*transport, call, &verbs, idx, t, &mut dials, inputs) {
            Follow::Next(r) => next = r,
            Follow::End(e) => return Some(e),
        }
    }
    None
}

/// What happens after a document has played.
enum Follow {
    /// Twilio requests another URL.
    Next(Request),
    /// The call is over (as far as switchboard can follow it).
    End(Ending),
}

/// Plays a document as Twilio would: verbs in order until one hands control back.
///
/// `idx` is the index in `t.webhooks` of the webhook `verbs` came from, pushed by [`run`]
/// just before, so `t.webhooks[idx]` always exists. It records how far the document got
/// before the input source is asked, so a terminal prints what the caller heard first.
fn follow(
    transport: &dyn Transport,
    call: &Call,
    verbs: &[Verb],
    idx: usize,
    t: &mut Transcript,
    dials: &mut usize,
    inputs: &mut dyn InputSource,
) -> Follow {
    let mut notes = Vec::new();
    for (i, verb) in verbs.iter().enumerate() {
        let request = |url: &str, result, input, notes| {
            Follow::Next(Request {
                url: url.to_string(),
                result,
                input,
                notes,
            })
        };
        match verb {
            Verb::Say(_) | Verb::Play(_) | Verb::Pause(_) | Verb::Leave => {}
            Verb::Gather(g) => {
                let Some(action) = &g.action else { continue };
                t.webhooks[idx].played = i + 1;
                let waiting = transport.waiting(g, action);
                let reply = inputs.reply(&waiting, &t.webhooks);
                let entry = match reply {
                    Reply::HangUp => return Follow::End(Ending::CallerHungUp),
                    Reply::Exhausted => {
                        notes.push("no more scripted input: silence".to_string());
                        String::new()
                    }
                    Reply::Entry(e) => e,
                };
                let (result, heard) = gather_result(g, &entry, &mut notes);
                if heard == Heard::Silence && g.action_on_empty_result != Some(true) {
                    // Without actionOnEmptyResult, Twilio skips the action on silence and
                    // goes on with the next verb.
                    notes.push("silence: Twilio goes on to the next verb".to_string());
                    continue;
                }
                return request(action, result, Some(heard), notes);
            }
            Verb::Dial(d) => {
                let Some(action) = &d.action else {
                    t.webhooks[idx].played = i + 1;
                    continue;
                };
                t.webhooks[idx].played = i + 1;
                let conference = d.nouns.iter().any(|n| matches!(n, DialNoun::Conference(_)));
                if conference {
                    // Twilio requests the action when the caller leaves the room, with no
                    // dial result to report.
                    notes.push("left the conference".to_string());
                    return request(action, Vec::new(), None, notes);
                }
                let status = call
                    .dial
                    .get(*dials)
                    .or(call.dial.last())
                    .copied()
                    .unwrap_or(DialStatus::Completed);
                *dials += 1;
                let mut result = vec![("DialCallStatus".to_string(), status.as_str().to_string())];
                if status.answered() {
                    result.push((
                        "DialCallSid".to_string(),
                        sid("CA", &format!("{}|dial", seed(call)), *dials as u64),
                    ));
                    result.push((
                        "DialCallDuration".to_string(),
                        call.dial_seconds.to_string(),
                    ));
                }
                return request(action, result, None, notes);
            }
            Verb::Record(r) => {
                let Some(action) = &r.action else { continue };
                if call.record_seconds == 0 {
                    notes.push(
                        "empty recording: Twilio skips the action and goes on to the next verb"
                            .to_string(),
                    );
                    continue;
                }
                t.webhooks[idx].played = i + 1;
                let rec = sid("RE", &format!("{}|rec", seed(call)), idx as u64);
                let result = vec![
                    (
                        "RecordingUrl".to_string(),
                        format!(
                            "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000/Recordings/{rec}"
                        ),
                    ),
                    ("RecordingSid".to_string(), rec),
                    (
                        "RecordingDuration".to_string(),
                        call.record_seconds.to_string(),
                    ),
                ];
                return request(action, result, None, notes);
            }
            Verb::Enqueue(e) => {
                let Some(action) = &e.action else { continue };
                t.webhooks[idx].played = i + 1;
                let result = vec![
                    ("QueueResult".to_string(), call.queue_result.clone()),
                    ("QueueSid".to_string(), sid("QU", &e.name, 0)),
                    ("QueueTime".to_string(), "30".to_string()),
                ];
                return request(action, result, None, notes);
            }
            Verb::Redirect(r) => {
                t.webhooks[idx].played = i + 1;
                return request(&r.url, Vec::new(), None, notes);
            }
            Verb::Hangup => {
                t.webhooks[idx].played = i + 1;
                return Follow::End(Ending::HungUp);
            }
            Verb::Reject(r) => {
                t.webhooks[idx].played = i + 1;
                return Follow::End(Ending::Rejected(r.reason.clone()));
            }
        }
    }
    t.webhooks[idx].played = verbs.len();
    if !notes.is_empty() {
        t.webhooks[idx].notes.extend(notes);
    }
    Follow::End(Ending::DocumentEnded)
}

/// Describes a gather for the input source, with the menu's choices when the flow set
/// knows the step; `base_url` is stripped from an absolute action URL.
pub fn waiting_for(
    set: &FlowSet,
    base_url: &str,
    g: &crate::twiml::Gather,
    action: &str,
) -> Waiting {
    let mut w = Waiting {
        flow: String::new(),
        step: String::new(),
        kind: "gather",
        input: g.input.clone().unwrap_or_else(|| "dtmf".to_string()),
        choices: Vec::new(),
        timeout: g.timeout,
    };
    if let Route::Continue { flow, step, .. } = route(action, base_url) {
        if let Some((_, fl)) = set.flow(&flow)
            && let Some(sid) = fl.step(&step)
            && let Some(st) = fl.get(sid)
        {
            match &st.action {
                Action::Menu(m) => {
                    w.kind = "menu";
                    w.choices = m.options.iter().map(|(k, _)| k.clone()).collect();
                    w.choices
                        .extend(m.speech.iter().map(|(k, _)| format!("\"{k}\"")));
                }
                Action::Ask(_) => w.kind = "ask",
                _ => {}
            }
        }
        w.flow = flow;
        w.step = step;
    }
    w
}

/// What Twilio sends back for `entry` typed or said at gather `g`: keys stop at the finish
/// key or after `numDigits`; input the gather does not listen for is not heard.
fn gather_result(
    g: &crate::twiml::Gather,
    entry: &str,
    notes: &mut Vec<String>,
) -> (Vec<(String, String)>, Heard) {
    let input = g.input.as_deref().unwrap_or("dtmf");
    let entry = entry.trim();
    if entry.is_empty() {
        return (Vec::new(), Heard::Silence);
    }
    let is_dtmf = entry
        .chars()
        .all(|c| c.is_ascii_digit() || c == '*' || c == '#');
    if is_dtmf {
        if !input.contains("dtmf") {
            notes.push(format!(
                "keys {entry:?} ignored: this gather listens for speech only"
            ));
            return (Vec::new(), Heard::Silence);
        }
        // `None` is Twilio's default `#`; `Some("")` turns the finish key off.
        let finish = match &g.finish_on_key {
            None => Some('#'),
            Some(k) => k.chars().next(),
        };
        let mut digits = String::new();
        let mut finished = None;
        let mut used = 0;
        for c in entry.chars() {
            used += 1;
            if Some(c) == finish {
                finished = Some(c);
                break;
            }
            digits.push(c);
            if g.num_digits
                .is_some_and(|n| digits.chars().count() >= n as usize)
            {
                break;
            }
        }
        if used < entry.chars().count() {
            let dropped: String = entry.chars().skip(used).collect();
            notes.push(format!(
                "input stopped after {used} key(s); {dropped:?} not sent"
            ));
        }
        let mut result = vec![("Digits".to_string(), digits.clone())];
        if let Some(f) = finished {
            result.push(("FinishedOnKey".to_string(), f.to_string()));
        }
        return (result, Heard::Pressed(digits));
    }
    if !input.contains("speech") {
        notes.push(format!(
            "speech {entry:?} ignored: this gather listens for keypresses only"
        ));
        return (Vec::new(), Heard::Silence);
    }
    (
        vec![
            ("SpeechResult".to_string(), entry.to_string()),
            ("Confidence".to_string(), SPEECH_CONFIDENCE.to_string()),
        ],
        Heard::Said(entry.to_string()),
    )
}

/// How transcripts are printed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Render {
    /// Print each TwiML document.
    pub twiml: bool,
}

/// One webhook, as `simulate` prints it.
pub fn render_webhook(w: &Webhook, n: usize, opts: &Render) -> String {
    let mut out = String::new();
    let what = match (&w.input, n) {
        (_, 1) => "incoming call".to_string(),
        (Some(Heard::Pressed(d)), _) => format!("caller pressed {d}"),
        (Some(Heard::Said(s)), _) => format!("caller said {s:?}"),
        (Some(Heard::Silence), _) => "silence".to_string(),
        (None, _) => match w.result.first() {
            Some((k, v)) => format!("{k}={v}"),
            None => "redirect".to_string(),
        },
    };
    let _ = writeln!(out, "── {n}. POST {}  ({what})", w.url);
    let shown: Vec<String> = if n == 1 {
        w.params
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "AccountSid" | "ApiVersion" | "Caller" | "Called"
                )
            })
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    } else {
        w.result.iter().map(|(k, v)| format!("{k}={v}")).collect()
    };
    if !shown.is_empty() {
        let _ = writeln!(out, "   params: {}", shown.join(" "));
    }
    for note in &w.notes {
        let _ = writeln!(out, "   note: {note}");
    }
    for e in &w.outcome.trace {
        let line = e.to_string();
        let _ = writeln!(out, "   {}", line.trim_end());
    }
    for v in w.verbs() {
        verb_lines(v, &mut out);
    }
    if w.played < w.outcome.response.verbs.len() {
        let _ = writeln!(
            out,
            "   ({} verb(s) after this not run: Twilio requests the action URL instead)",
            w.outcome.response.verbs.len() - w.played
        );
    }
    if opts.twiml {
        let _ = writeln!(out, "   twiml: {}", w.outcome.twiml);
    }
    out
}

/// The lines for one verb the caller experienced.
fn verb_lines(v: &Verb, out: &mut String) {
    let prompt = |c: &GatherChild, out: &mut String| match c {
        GatherChild::Say(s) => {
            let _ = writeln!(out, "   ▸ hears {:?}", s.text);
        }
        GatherChild::Play(p) => play_line(p, out),
        GatherChild::Pause(p) => {
            let _ = writeln!(out, "   ▸ pause {}s", p.length.unwrap_or(1));
        }
    };
    match v {
        Verb::Say(s) => prompt(&GatherChild::Say(s.clone()), out),
        Verb::Play(p) => play_line(p, out),
        Verb::Pause(p) => prompt(&GatherChild::Pause(p.clone()), out),
        Verb::Gather(g) => {
            let input = match g.input.as_deref() {
                Some("speech") => "speech",
                Some("dtmf speech") => "digits or speech",
                _ => "digits",
            };
            let mut attrs = Vec::new();
            if let Some(n) = g.num_digits {
                attrs.push(format!("{n} digit(s)"));
            }
            if let Some(t) = g.timeout {
                attrs.push(format!("timeout {t}s"));
            }
            let _ = writeln!(
                out,
                "   ▸ gather {input}{}",
                if attrs.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", attrs.join(", "))
                }
            );
            for c in &g.children {
                prompt(c, out);
            }
        }
        Verb::Dial(d) => {
            let targets = dial_targets(d);
            let timeout = d
                .timeout
                .map(|t| format!(" (ring {t}s)"))
                .unwrap_or_default();
            let _ = writeln!(out, "   ▸ dial {}{timeout}", targets.join(", "));
        }
        Verb::Record(r) => {
            let max = r
                .max_length
                .map(|m| format!(" (max {m}s)"))
                .unwrap_or_default();
            let _ = writeln!(out, "   ▸ record{max}");
        }
        Verb::Enqueue(e) => {
            let _ = writeln!(out, "   ▸ enqueue in {:?}", e.name);
        }
        Verb::Redirect(r) => {
            let _ = writeln!(out, "   ▸ redirect to {}", r.url);
        }
        Verb::Hangup => {
            let _ = writeln!(out, "   ▸ hang up");
        }
        Verb::Reject(r) => {
            let _ = writeln!(
                out,
                "   ▸ reject{}",
                r.reason
                    .as_ref()
                    .map(|x| format!(" ({x})"))
                    .unwrap_or_default()
            );
        }
        Verb::Leave => {
            let _ = writeln!(out, "   ▸ leave the queue");
        }
    }
}

fn play_line(p: &crate::twiml::Play, out: &mut String) {
    if let Some(d) = &p.digits {
        let _ = writeln!(out, "   ▸ tones {d}");
    }
    if !p.url.is_empty() {
        let _ = writeln!(out, "   ▸ plays {}", p.url);
    }
}

/// The call's first line: who, whom, when.
pub fn render_header(t: &Transcript) -> String {
    let local = t.at.to_zoned_datetime(t.zone.clone());
    format!(
        "call from {} to {} at {} ({})\n",
        t.from,
        t.to,
        local.strftime("%Y-%m-%d %H:%M %Z"),
        t.zone.iana_name().unwrap_or("UTC")
    )
}

/// The call's last lines: the step path and how it ended.
pub fn render_footer(t: &Transcript) -> String {
    let mut out = String::new();
    let path = t.path();
    let _ = writeln!(
        out,
        "path: {}",
        if path.is_empty() {
            "(no step)".to_string()
        } else {
            path.join(" → ")
        }
    );
    let _ = writeln!(out, "ended: {}", t.ending);
    out
}

/// A whole transcript, as `simulate` prints it.
pub fn render(t: &Transcript, opts: &Render) -> String {
    let mut out = render_header(t);
    for (i, w) in t.webhooks.iter().enumerate() {
        out.push_str(&render_webhook(w, i + 1, opts));
    }
    out.push_str(&render_footer(t));
    out
}

/// The caller and what happens on the call: shared by `simulate` and `call`, so each flag
/// has one definition.
#[derive(Debug, Clone, clap::Args)]
pub struct CallerArgs {
    /// The dialed number (`To`); it picks the flow.
    #[arg(long, value_name = "NUMBER")]
    pub to: String,
    /// The caller's number (`From`).
    #[arg(long, value_name = "NUMBER", default_value = DEFAULT_FROM)]
    pub from: String,
    /// An extra request parameter, e.g. `--param FromCountry=US` (repeatable).
    #[arg(long = "param", value_name = "K=V", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
    /// The caller's reply at the next menu or ask: keys (`1`, `123456#`) or speech
    /// (`sales`); an empty string is silence (repeatable, used in order).
    #[arg(long = "input", value_name = "KEYS|SPEECH", allow_hyphen_values = true)]
    pub inputs: Vec<String>,
    /// Outcome of the next dial: completed, answered, busy, no-answer, failed, canceled
    /// (repeatable, used in order; the last repeats) [default: completed]
    #[arg(long = "dial", value_name = "STATUS", value_parser = DialStatus::parse)]
    pub dial: Vec<DialStatus>,
    /// `DialCallDuration` of an answered dial.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub dial_seconds: u32,
    /// Length of each recording; 0 simulates an empty one.
    #[arg(long, value_name = "SECONDS", default_value_t = 15)]
    pub record_seconds: u32,
    /// `QueueResult` when the caller leaves a queue.
    #[arg(long, value_name = "RESULT", default_value = "bridged", value_parser = parse_queue_result)]
    pub queue_result: String,
}

impl CallerArgs {
    /// The call these flags describe, placed at `at`.
    pub fn call(&self, at: Timestamp) -> Call {
        let mut call = Call::new(&self.to, at);
        call.from.clone_from(&self.from);
        call.params.clone_from(&self.params);
        call.dial.clone_from(&self.dial);
        call.dial_seconds = self.dial_seconds;
        call.record_seconds = self.record_seconds;
        call.queue_result.clone_from(&self.queue_result);
        call
    }
}

/// `switchboard simulate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The flows directory.
    #[arg(long, value_name = "DIR", default_value = "flows")]
    pub flows: PathBuf,
    /// Who calls whom, and the caller's script.
    #[command(flatten)]
    pub caller: CallerArgs,
    /// When the call happens: `2026-12-24T18:30` in the flow's time zone, or an RFC 3339
    /// instant [default: now]
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Print each TwiML document.
    #[arg(long)]
    pub twiml: bool,
    /// Ask for each reply on standard input, even when it is not a terminal (the default
    /// when it is one and no `--input` is given).
    #[arg(long, conflicts_with = "inputs")]
    pub interactive: bool,
    /// Public base URL written into action URLs, as `serve --public-url` does (the
    /// simulation follows them all the same) [default: relative URLs]
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
}

/// `--help` examples for `simulate`.
pub const HELP: &str = "\
Examples:
  switchboard simulate --to +14155550100 --from +12025550143
  switchboard simulate --to +14155550100 --at 2026-11-30T10:00 --input 3 --input 123456#
  switchboard simulate --to +14155550100 --input sales --dial no-answer --twiml
  switchboard simulate --to +14155550100            # on a terminal: asks at each menu

Replies: keys (0-9, * and #) are sent as Digits, anything else as SpeechResult; an empty
reply is silence. Once the --input list is used up, every gather hears silence.
Interactive: an empty line is silence; `.` or end of input hangs up.

Exit codes:
  0  the call ran (whatever it did)
  1  the flows have errors
  2  bad usage, or a path that cannot be read";

/// Reads a `--param NAME=VALUE`.
pub fn parse_param(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("`{s}` is not NAME=VALUE")),
    }
}

/// Loads a flows directory for a tool; on failure prints why and returns the exit code.
pub fn load_for_tool(dir: &std::path::Path, err: &mut dyn Write) -> Result<FlowSet, i32> {
    let loaded = match flow::load_dir(dir) {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Err(crate::cli::exit::USAGE);
        }
    };
    loaded.into_servable().map_err(|loaded| {
        let _ = writeln!(err, "{}", loaded.render_diagnostics());
        let _ = writeln!(err, "{}", loaded.summary(&dir.display().to_string()));
        crate::cli::exit::ERRORS
    })
}

/// Runs `switchboard simulate`. `stdin_is_terminal` picks interactive mode when no
/// `--input` is given; `--interactive` forces it (the terminal path, with piped input).
pub fn command(
    args: &Args,
    stdin: &mut dyn BufRead,
    stdin_is_terminal: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let loaded = match load_for_tool(&args.flows, err) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let set = &loaded;
    let at = match &args.at {
        None => Timestamp::now(),
        Some(s) => match parse_at(s, &zone_for(set, &args.caller.to)) {
            Ok(t) => t,
            Err(e) => {
                let _ = writeln!(err, "error: --at: {e}");
                return crate::cli::exit::USAGE;
            }
        },
    };
    let call = args.caller.call(at);
    let cfg = Config {
        base_url: args
            .public_url
            .as_deref()
            .unwrap_or("")
            .trim_end_matches('/')
            .to_string(),
        ..Config::default()
    };
    let opts = Render { twiml: args.twiml };
    let interactive = args.interactive || (stdin_is_terminal && args.caller.inputs.is_empty());
    if interactive {
        let _ = out.write_all(render_header_for(set, &call).as_bytes());
        let mut term = Terminal::new(stdin, out, !stdin_is_terminal, opts);
        let t = run(set, &cfg, &call, &mut term);
        let printed = term.printed();
        for (i, w) in t.webhooks.iter().enumerate().skip(printed) {
            let _ = out.write_all(render_webhook(w, i + 1, &opts).as_bytes());
        }
        let _ = out.write_all(render_footer(&t).as_bytes());
    } else {
        let mut script = Scripted::new(args.caller.inputs.iter().cloned());
        let t = run(set, &cfg, &call, &mut script);
        let _ = out.write_all(render(&t, &opts).as_bytes());
        if let Some(note) = script.unused_note() {
            let _ = writeln!(out, "note: {note}");
        }
    }
    crate::cli::exit::OK
}

/// The header line before any webhook has run (interactive mode prints it first).
fn render_header_for(set: &FlowSet, call: &Call) -> String {
    render_header(&Transcript {
        to: call.to.clone(),
        from: call.from.clone(),
        at: call.at,
        zone: zone_for(set, &call.to),
        webhooks: Vec::new(),
        ending: Ending::DocumentEnded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::twiml::Gather;

    #[test]
    fn routes_like_the_server() {
        assert_eq!(route("/voice", ""), Route::Incoming);
        assert_eq!(
            route("/voice/acme/menu?k=m&n=1", ""),
            Route::Continue {
                flow: "acme".into(),
                step: "menu".into(),
                query: "k=m&n=1".into()
            }
        );
        assert_eq!(
            route(
                "https://ivr.example.com/x/voice/acme/menu?k=m",
                "https://ivr.example.com/x"
            ),
            Route::Continue {
                flow: "acme".into(),
                step: "menu".into(),
                query: "k=m".into()
            }
        );
        assert_eq!(
            route("https://elsewhere.example.com/twiml", ""),
            Route::External
        );
        assert_eq!(route("//evil.example.com/voice", ""), Route::External);
        assert_eq!(route("/voice/acme/menu/x", ""), Route::External);
        assert_eq!(route("/voice/ac%20me/menu", ""), Route::External);
        assert_eq!(route("/hold.xml", ""), Route::External);
    }

    fn gather(input: Option<&str>, num: Option<u32>, finish: Option<&str>) -> Gather {
        Gather {
            input: input.map(str::to_string),
            num_digits: num,
            finish_on_key: finish.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn keys_stop_at_the_finish_key_and_num_digits() {
        let mut notes = Vec::new();
        let (r, h) = gather_result(&gather(None, None, None), "123456#", &mut notes);
        assert_eq!(h, Heard::Pressed("123456".into()));
        assert_eq!(
            r,
            vec![
                ("Digits".to_string(), "123456".to_string()),
                ("FinishedOnKey".to_string(), "#".to_string())
            ]
        );
        assert!(notes.is_empty());
        let (_, h) = gather_result(&gather(None, Some(1), None), "12", &mut notes);
        assert_eq!(h, Heard::Pressed("1".into()));
        assert_eq!(notes.len(), 1, "{notes:?}");
        let (_, h) = gather_result(&gather(None, None, Some("")), "1#", &mut notes);
        assert_eq!(h, Heard::Pressed("1#".into()));
    }

    #[test]
    fn input_the_gather_does_not_listen_for_is_silence() {
        let mut notes = Vec::new();
        let (_, h) = gather_result(&gather(None, None, None), "sales", &mut notes);
        assert_eq!(h, Heard::Silence);
        let (_, h) = gather_result(&gather(Some("speech"), None, None), "1", &mut notes);
        assert_eq!(h, Heard::Silence);
        let (r, h) = gather_result(
            &gather(Some("dtmf speech"), None, None),
            "Sales!",
            &mut notes,
        );
        assert_eq!(h, Heard::Said("Sales!".into()));
        assert_eq!(
            r[1],
            ("Confidence".to_string(), SPEECH_CONFIDENCE.to_string())
        );
        let (r, h) = gather_result(&gather(None, None, None), "  ", &mut notes);
        assert_eq!((r.len(), h), (0, Heard::Silence));
    }

    #[test]
    fn times_are_civil_in_the_zone_or_instants() {
        let tz = TimeZone::get("America/New_York").expect("bundled zone");
        let civil = parse_at("2026-11-30T10:00", &tz).expect("civil");
        assert_eq!(civil.to_string(), "2026-11-30T15:00:00Z");
        let instant = parse_at("2026-11-30T10:00:00Z", &tz).expect("instant");
        assert_eq!(instant.to_string(), "2026-11-30T10:00:00Z");
        assert!(parse_at("tomorrow", &tz).is_err());
    }

    #[test]
    fn sids_are_stable_and_well_formed() {
        let a = sid("CA", "x", 1);
        assert_eq!(a, sid("CA", "x", 1));
        assert_ne!(a, sid("CA", "x", 2));
        assert_eq!(a.len(), 34);
        assert!(a[2..].chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn terminal_reads_lines_and_hangs_up_on_dot_or_eof() {
        let w = Waiting {
            flow: "f".into(),
            step: "menu".into(),
            kind: "menu",
            input: "dtmf".into(),
            choices: vec!["1".into()],
            timeout: Some(5),
        };
        let mut input: &[u8] = b"1\n\n.\n";
        let mut out = Vec::new();
        let mut term = Terminal::new(&mut input, &mut out, true, Render::default());
        assert_eq!(term.reply(&w, &[]), Reply::Entry("1".into()));
        assert_eq!(term.reply(&w, &[]), Reply::Entry(String::new()));
        assert_eq!(term.reply(&w, &[]), Reply::HangUp);
        assert_eq!(term.reply(&w, &[]), Reply::HangUp);
        assert_eq!(term.lines(), 3);
        let text = String::from_utf8(out).expect("utf-8");
        assert!(
            text.contains("? menu `menu` waits for digits [1]"),
            "{text}"
        );
    }

    #[test]
    fn an_over_long_line_is_cut_and_the_rest_discarded() {
        let mut data = vec![b'1'; 10_000];
        data.extend_from_slice(b"\n2\n");
        let mut input: &[u8] = &data;
        let mut out = Vec::new();
        let w = Waiting {
            flow: String::new(),
            step: String::new(),
            kind: "gather",
            input: "dtmf".into(),
            choices: vec![],
            timeout: None,
        };
        let mut term = Terminal::new(&mut input, &mut out, false, Render::default());
        match term.reply(&w, &[]) {
            Reply::Entry(e) => assert_eq!(e.len() as u64, Terminal::MAX_LINE_BYTES),
            other => panic!("{other:?}"),
        }
        assert_eq!(term.reply(&w, &[]), Reply::Entry("2".into()));
    }
}
