//! Prometheus metrics (`GET /metrics`, docs/operations.md "Metrics"): the only module that
//! knows the `prometheus-client` crate.
//!
//! Other modules call plain methods on a shared [`Metrics`] (an `Arc`): the server per
//! request, the notification dispatcher per attempt. Those methods add to relaxed atomics
//! found by index or by one lock-free table lookup (`atomic`), so request threads never
//! wait for each other here (BENCHMARKS.md, "Metrics"). What only needs reading when
//! Prometheus scrapes (the served set, reloads, the call store's queue and spool) is
//! handed to [`Metrics::encode`] as a [`Scrape`] of plain numbers, so this module imports
//! nothing else of the crate.
//!
//! Label values are bounded: route templates, outcomes and statuses from fixed lists, flow
//! names from the set in service ([`Metrics::serving`]), notification channels up to
//! [`MAX_CHANNELS`]. Anything else is counted as `other`; no CallSid, number, digit or URL
//! ever becomes a label.

mod atomic;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::text;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

pub use atomic::LATENCY_BUCKETS;
use atomic::{Histogram, Kind, Series, Snapshot, Table, by_name, get_all, inc, slot};

/// `CallStatus` values of call status callbacks; anything else is counted as `other`.
pub const CALL_STATUSES: [&str; 9] = [
    "queued",
    "initiated",
    "ringing",
    "in-progress",
    "completed",
    "busy",
    "no-answer",
    "failed",
    "canceled",
];

/// `RecordingStatus` values of recording status callbacks.
pub const RECORDING_STATUSES: [&str; 4] = ["in-progress", "completed", "absent", "failed"];

/// `DialCallStatus` values of a dial's action request.
pub const DIAL_STATUSES: [&str; 6] = [
    "completed",
    "answered",
    "busy",
    "no-answer",
    "failed",
    "canceled",
];

/// A notification attempt's result ([`Metrics::notification`]).
pub const NOTIFICATION_RESULTS: [&str; 3] = ["delivered", "retry", "failed"];

/// Notification channels counted by name at most; more count as `other`. Channels come
/// from the operator's configuration, so this is a guard, not a limit anyone meets.
pub const MAX_CHANNELS: usize = 64;

/// The label of flows not in the set in service (and of channels past [`MAX_CHANNELS`]).
const OTHER: &str = "other";

/// Content type of the OpenMetrics text format, what Prometheus asks for first.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// Content type of the classic Prometheus text format (version 0.0.4).
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Defines a label enum with its label values, in order.
macro_rules! labels {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $value:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($(#[$vdoc])* $variant,)* }

        impl $name {
            /// Every label value, in variant order.
            pub const ALL: &'static [&'static str] = &[$($value,)*];

            /// The label value.
            pub fn as_str(self) -> &'static str {
                Self::ALL[self as usize]
            }
        }
    };
}

labels! {
    /// A request's route, as a template (never the path itself).
    Route {
        /// `/voice`
        Voice = "/voice",
        /// `/voice/{flow}/{step}`
        Continue = "/voice/{flow}/{step}",
        /// `/status`
        Status = "/status",
        /// `/recording`
        Recording = "/recording",
        /// `/transcription`
        Transcription = "/transcription",
        /// `/fallback`
        Fallback = "/fallback",
        /// `/api/…`
        Api = "/api",
        /// `/readyz`
        Readyz = "/readyz",
        /// `/healthz`
        Healthz = "/healthz",
        /// `/metrics`
        Metrics = "/metrics",
        /// `/console/…`
        Console = "/console",
        /// Any other path (answered `404`).
        Other = "other",
    }
}

labels! {
    /// How a request ended.
    Outcome {
        /// Answered as asked: TwiML from a flow, a callback kept (`204`), a probe, a page.
        Answered = "answered",
        /// A run-time failure: the caller heard the apology (still `200`).
        RunFailure = "run_failure",
        /// No flow answers the dialed number: the call was rejected.
        NoFlow = "no_flow",
        /// The handler panicked and answered safely.
        Panic = "panic",
        /// `400`: malformed form, or a callback missing what identifies it.
        BadRequest = "bad_request",
        /// `401`: a missing or wrong bearer token (`/api`, `/metrics`).
        Unauthorized = "unauthorized",
        /// `403`: the signature check refused it.
        Forbidden = "forbidden",
        /// `404`
        NotFound = "not_found",
        /// `405`
        MethodNotAllowed = "method_not_allowed",
        /// `408`: out of time reading the body or answering.
        Timeout = "timeout",
        /// `413`
        TooLarge = "too_large",
        /// `415`
        UnsupportedMediaType = "unsupported_media_type",
        /// `503`: the call store took neither the callback nor its spool, or the records
        /// database did not answer.
        Unavailable = "unavailable",
        /// Any other status.
        Error = "error",
    }
}

impl Outcome {
    /// The outcome an HTTP status says, for answers that did not say more.
    pub fn of_status(status: u16) -> Outcome {
        match status {
            200..=399 => Outcome::Answered,
            400 => Outcome::BadRequest,
            401 => Outcome::Unauthorized,
            403 => Outcome::Forbidden,
            404 => Outcome::NotFound,
            405 => Outcome::MethodNotAllowed,
            408 => Outcome::Timeout,
            413 => Outcome::TooLarge,
            415 => Outcome::UnsupportedMediaType,
            503 => Outcome::Unavailable,
            _ => Outcome::Error,
        }
    }
}

labels! {
    /// What a menu made of one answer.
    Menu {
        /// A key or keyword chose an option.
        Matched = "matched",
        /// Not an option, tries left.
        Invalid = "invalid",
        /// Silence, tries left.
        NoInput = "no_input",
        /// The last try failed: the menu gave up.
        Exhausted = "exhausted",
    }
}

const ROUTES: usize = Route::ALL.len();
const OUTCOMES: usize = Outcome::ALL.len();

/// The counters of one flow.
#[derive(Debug, Default)]
struct FlowCounters {
    /// Incoming calls it answered.
    calls: AtomicU64,
    /// Menu answers, by [`Menu`].
    menu: [AtomicU64; Menu::ALL.len()],
    /// Dial legs that came back, by [`DIAL_STATUSES`] then `other`.
    dial: [AtomicU64; DIAL_STATUSES.len() + 1],
}

/// The counters of one notification channel, by [`NOTIFICATION_RESULTS`] then `other`.
#[derive(Debug, Default)]
struct ChannelCounters([AtomicU64; NOTIFICATION_RESULTS.len() + 1]);

/// Every metric the server keeps between scrapes. Cheap to share (`Arc`); every method
/// takes `&self` and never blocks.
pub struct Metrics {
    /// Requests by route and outcome (`ROUTES × OUTCOMES`, row-major).
    requests: [AtomicU64; ROUTES * OUTCOMES],
    /// Latency by route.
    latency: [Histogram; ROUTES],
    /// Incoming calls no flow answers.
    unrouted: AtomicU64,
    /// Flows of the set in service and their counters ([`Metrics::serving`]).
    flows: Table<FlowCounters>,
    /// Status callbacks by [`CALL_STATUSES`] then `other`.
    call_status: [AtomicU64; CALL_STATUSES.len() + 1],
    /// Recording callbacks by [`RECORDING_STATUSES`] then `other`.
    recordings: [AtomicU64; RECORDING_STATUSES.len() + 1],
    /// Requests refused by the signature check.
    signature_rejections: AtomicU64,
    /// Notification attempts by channel and result.
    channels: Table<ChannelCounters>,
    /// Attempts of channels past [`MAX_CHANNELS`].
    other_channels: ChannelCounters,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// What only needs reading at scrape time, as plain numbers (the server fills it in from
/// the flow store and the call store's health).
#[derive(Debug, Clone, Default)]
pub struct Scrape<'a> {
    /// Version of the flow set in service.
    pub flow_set_version: &'a str,
    /// Flows in it.
    pub flows: u64,
    /// Steps in it.
    pub steps: u64,
    /// Warnings its load reported.
    pub warnings: u64,
    /// How long reading and compiling it took.
    pub load_time: Duration,
    /// When it went into service, in seconds since the Unix epoch.
    pub loaded_at: f64,
    /// Reloads that swapped in a new set.
    pub reloads_ok: u64,
    /// Reloads that found the files already served.
    pub reloads_unchanged: u64,
    /// Reloads refused (errors, unreadable files).
    pub reloads_refused: u64,
    /// Requests being answered now.
    pub in_flight: u64,
    /// Open client connections.
    pub connections: u64,
    /// The call store, when the server keeps records.
    pub store: Option<StoreFigures>,
}

/// The call store's figures (from its recorder's health).
#[derive(Debug, Clone, Default)]
pub struct StoreFigures {
    /// The database answers.
    pub database_up: bool,
    /// Records waiting in the writer's queue.
    pub queue_depth: u64,
    /// The queue's capacity.
    pub queue_capacity: u64,
    /// Bytes in the spool, waiting for the database.
    pub spool_bytes: u64,
    /// The spool's limit.
    pub spool_max_bytes: u64,
    /// Records committed to the database.
    pub committed: u64,
    /// Records written to the spool.
    pub spooled: u64,
    /// Records replayed from the spool.
    pub replayed: u64,
    /// Webhook records dropped (queue full).
    pub dropped: u64,
    /// Callbacks refused (`503`).
    pub refused: u64,
    /// Records the database refused, quarantined.
    pub quarantined: u64,
    /// Duplicate records ignored.
    pub duplicates: u64,
    /// Flow set versions stored.
    pub flow_sets_kept: u64,
    /// Flow set versions not stored.
    pub flow_sets_dropped: u64,
}

impl Metrics {
    /// All counters at zero, no flows yet.
    pub fn new() -> Metrics {
        Metrics {
            requests: std::array::from_fn(|_| AtomicU64::new(0)),
            latency: std::array::from_fn(|_| Histogram::default()),
            unrouted: AtomicU64::new(0),
            flows: Table::new(),
            call_status: Default::default(),
            recordings: Default::default(),
            signature_rejections: AtomicU64::new(0),
            channels: Table::new(),
            other_channels: ChannelCounters::default(),
        }
    }

    /// One request answered: its route, how it ended, how long it took.
    pub fn webhook(&self, route: Route, outcome: Outcome, elapsed: Duration) {
        inc(&self.requests[route as usize * OUTCOMES + outcome as usize]);
        self.latency[route as usize].observe(elapsed);
    }

    /// The flows of the set going into service: from now on these names are counted by
    /// name, and any other as `other`. Counters of flows that stay are kept; call it
    /// before the set is swapped in, off the request path (start-up, the reloader).
    pub fn serving<'a>(&self, flows: impl IntoIterator<Item = &'a str>) {
        self.flows.replace(flows.into_iter().chain([OTHER]));
    }

    /// An incoming call: answered by `flow`, or by none (`None`: rejected).
    pub fn call(&self, flow: Option<&str>) {
        match flow {
            None => inc(&self.unrouted),
            Some(f) => {
                self.flows.with(f, OTHER, |c| inc(&c.calls));
            }
        }
    }

    /// A menu answer in `flow`.
    pub fn menu(&self, flow: &str, outcome: Menu) {
        self.flows
            .with(flow, OTHER, |c| inc(&c.menu[outcome as usize]));
    }

    /// A dial leg in `flow` came back with `status` (`DialCallStatus`).
    pub fn dial(&self, flow: &str, status: &str) {
        let i = slot(&DIAL_STATUSES, status);
        self.flows.with(flow, OTHER, |c| inc(&c.dial[i]));
    }

    /// A status callback with `status` (`CallStatus`).
    pub fn call_status(&self, status: &str) {
        inc(&self.call_status[slot(&CALL_STATUSES, status)]);
    }

    /// A recording callback with `status` (`RecordingStatus`).
    pub fn recording(&self, status: &str) {
        inc(&self.recordings[slot(&RECORDING_STATUSES, status)]);
    }

    /// A request the signature check refused.
    pub fn signature_rejected(&self) {
        inc(&self.signature_rejections);
    }

    /// A notification attempt on `channel` (a channel name from the operator's
    /// configuration) with `result`: `delivered`, `retry` (failed, will be tried again) or
    /// `failed` (failed, no more tries); anything else counts as `other`.
    pub fn notification(&self, channel: &str, result: &str) {
        let i = slot(&NOTIFICATION_RESULTS, result);
        match self.channels.get_or_add(channel, MAX_CHANNELS) {
            Some(c) => inc(&c.0[i]),
            None => inc(&self.other_channels.0[i]),
        }
    }

    /// Everything, in the OpenMetrics text format (`openmetrics`) or the classic
    /// Prometheus text format, with `scrape`'s figures.
    ///
    /// # Errors
    ///
    /// Only if the encoder fails to write into a `String` (it does not).
    pub fn encode(
        &self,
        scrape: &Scrape<'_>,
        openmetrics: bool,
    ) -> Result<String, std::fmt::Error> {
        let flows = self.flows.entries();
        let channels = self.channels.entries();
        let mut registry = Registry::default();
        self.register_requests(&mut registry);
        register_flows(&mut registry, &flows, get_all(&self.unrouted));
        self.register_callbacks(&mut registry, &channels);
        register_scrape(&mut registry, scrape);
        let mut out = String::with_capacity(16 * 1024);
        if openmetrics {
            text::encode(&mut out, &registry)?;
        } else {
            prometheus_client::encoding::prometheus_text::encode(&mut out, &registry)?;
        }
        Ok(out)
    }

    fn register_requests(&self, r: &mut Registry) {
        let mut series: Vec<Series<'_>> = Vec::new();
        for (ri, route) in Route::ALL.iter().enumerate() {
            for (oi, outcome) in Outcome::ALL.iter().enumerate() {
                let n = get_all(&self.requests[ri * OUTCOMES + oi]);
                if n > 0 {
                    series.push((vec![("route", *route), ("outcome", *outcome)], n));
                }
            }
        }
        counter(
            r,
            "switchboard_webhook_requests",
            "Requests answered, by route template and outcome",
            series,
        );
        let histograms: Vec<(&'static str, _)> = Route::ALL
            .iter()
            .zip(&self.latency)
            .filter_map(|(route, h)| {
                let snap = h.snapshot();
                (snap.2 > 0).then_some((*route, snap))
            })
            .collect();
        if histograms.is_empty() {
            return;
        }
        r.register(
            "switchboard_webhook_duration_seconds",
            "Time from a request's arrival to its answer, by route template",
            atomic::Histograms(histograms),
        );
    }

    fn register_callbacks(&self, r: &mut Registry, channels: &[(Arc<str>, Arc<ChannelCounters>)]) {
        counter(
            r,
            "switchboard_call_status_callbacks",
            "Call status callbacks, by CallStatus",
            by_name("status", &CALL_STATUSES, &self.call_status),
        );
        counter(
            r,
            "switchboard_recordings",
            "Recording status callbacks, by RecordingStatus",
            by_name("status", &RECORDING_STATUSES, &self.recordings),
        );
        counter(
            r,
            "switchboard_signature_rejections",
            "Requests refused by the X-Twilio-Signature check",
            vec![(vec![], get_all(&self.signature_rejections))],
        );
        let mut series: Vec<Series<'_>> = Vec::new();
        let named = channels.iter().map(|(n, c)| (&**n, &**c));
        for (name, c) in named.chain([(OTHER, &self.other_channels)]) {
            for (result, n) in NOTIFICATION_RESULTS.iter().chain(&[OTHER]).zip(&c.0) {
                let n = get_all(n);
                if n > 0 {
                    series.push((vec![("channel", name), ("result", *result)], n));
                }
            }
        }
        counter(
            r,
            "switchboard_notifications",
            "Notification attempts, by channel and result (delivered, retry, failed)",
            series,
        );
    }
}

/// Registers a counter family (the registry ends `help` with a period).
fn counter(r: &mut Registry, name: &str, help: &str, series: Vec<Series<'_>>) {
    family(r, Kind::Counter, name, help, series);
}

/// Registers a gauge family.
fn gauge(r: &mut Registry, name: &str, help: &str, series: Vec<Series<'_>>) {
    family(r, Kind::Gauge, name, help, series);
}

fn family(r: &mut Registry, kind: Kind, name: &str, help: &str, series: Vec<Series<'_>>) {
    // A family without series is left out: nothing to say, and some parsers stumble on
    // HELP and TYPE lines with no sample after them.
    if series.is_empty() {
        return;
    }
    let series = series.into_iter().map(|(l, v)| (owned(l), v)).collect();
    r.register(name, help, Snapshot { kind, series });
}

/// Label values copied for the registry (which holds `'static` metrics); scrape-time only.
fn owned(labels: Vec<(&'static str, &str)>) -> Vec<(&'static str, String)> {
    labels.into_iter().map(|(k, v)| (k, v.to_owned())).collect()
}

/// The per-flow families.
fn register_flows(r: &mut Registry, flows: &[(Arc<str>, Arc<FlowCounters>)], unrouted: u64) {
    let mut calls: Vec<Series<'_>> = flows
        .iter()
        .map(|(name, c)| (vec![("flow", &**name)], get_all(&c.calls)))
        .collect();
    calls.push((vec![("flow", "no_flow")], unrouted));
    counter(
        r,
        "switchboard_calls",
        "Incoming calls answered, by flow (`no_flow`: no flow answers the number)",
        calls,
    );
    let mut menus: Vec<Series<'_>> = Vec::new();
    let mut dials: Vec<Series<'_>> = Vec::new();
    for (name, c) in flows {
        for (outcome, n) in Menu::ALL.iter().zip(&c.menu) {
            let n = get_all(n);
            if n > 0 {
                menus.push((vec![("flow", &**name), ("outcome", *outcome)], n));
            }
        }
        for (status, n) in DIAL_STATUSES.iter().chain(&[OTHER]).zip(&c.dial) {
            let n = get_all(n);
            if n > 0 {
                dials.push((vec![("flow", &**name), ("status", *status)], n));
            }
        }
    }
    counter(
        r,
        "switchboard_menu_outcomes",
        "Menu answers, by flow and outcome (matched, invalid, no_input, exhausted)",
        menus,
    );
    counter(
        r,
        "switchboard_dial_outcomes",
        "Dial legs that came back, by flow and DialCallStatus",
        dials,
    );
}

/// The scrape-time families: build, flow set, reloads, connections, the call store.
fn register_scrape(r: &mut Registry, s: &Scrape<'_>) {
    gauge(
        r,
        "switchboard_build_info",
        "Always 1; the version label says which build is running",
        vec![(vec![("version", env!("CARGO_PKG_VERSION"))], 1)],
    );
    gauge(
        r,
        "switchboard_flow_set_info",
        "Always 1; the version label is the flow set in service (as call records name it)",
        vec![(vec![("version", s.flow_set_version)], 1)],
    );
    let plain = |v: u64| vec![(vec![], v)];
    gauge(
        r,
        "switchboard_flows",
        "Flows in the set in service",
        plain(s.flows),
    );
    gauge(
        r,
        "switchboard_steps",
        "Steps in the set in service",
        plain(s.steps),
    );
    gauge(
        r,
        "switchboard_flow_set_warnings",
        "Warnings the set in service loaded with",
        plain(s.warnings),
    );
    r.register(
        "switchboard_flow_set_load_duration_seconds",
        "How long reading and compiling the set in service took",
        ConstGauge::new(s.load_time.as_secs_f64()),
    );
    r.register(
        "switchboard_flow_set_loaded_timestamp_seconds",
        "When the set in service went live, in seconds since the Unix epoch",
        ConstGauge::new(s.loaded_at),
    );
    counter(
        r,
        "switchboard_reloads",
        "Reloads, by result: ok (a new set in service), unchanged (same files), refused \
         (errors or unreadable files; the previous set keeps serving)",
        vec![
            (vec![("result", "ok")], s.reloads_ok),
            (vec![("result", "unchanged")], s.reloads_unchanged),
            (vec![("result", "refused")], s.reloads_refused),
        ],
    );
    gauge(
        r,
        "switchboard_requests_in_flight",
        "Requests being answered now",
        plain(s.in_flight),
    );
    gauge(
        r,
        "switchboard_connections",
        "Open client connections",
        plain(s.connections),
    );
    if let Some(st) = &s.store {
        register_store(r, st);
    }
}

/// The call store's families.
fn register_store(r: &mut Registry, st: &StoreFigures) {
    let plain = |v: u64| vec![(vec![], v)];
    gauge(
        r,
        "switchboard_store_database_up",
        "1 while the call store's database answers, 0 while records go to the spool",
        plain(u64::from(st.database_up)),
    );
    gauge(
        r,
        "switchboard_store_queue_depth",
        "Records waiting in the writer's queue",
        plain(st.queue_depth),
    );
    gauge(
        r,
        "switchboard_store_queue_capacity",
        "Capacity of the writer's queue",
        plain(st.queue_capacity),
    );
    gauge(
        r,
        "switchboard_store_spool_bytes",
        "Bytes in the spool, waiting for the database",
        plain(st.spool_bytes),
    );
    gauge(
        r,
        "switchboard_store_spool_max_bytes",
        "The spool's limit",
        plain(st.spool_max_bytes),
    );
    counter(
        r,
        "switchboard_store_records",
        "Records by what became of them: committed, spooled, replayed (from the spool), \
         dropped (queue full), refused (callbacks answered 503), quarantined (refused by \
         the database), duplicate",
        vec![
            (vec![("result", "committed")], st.committed),
            (vec![("result", "spooled")], st.spooled),
            (vec![("result", "replayed")], st.replayed),
            (vec![("result", "dropped")], st.dropped),
            (vec![("result", "refused")], st.refused),
            (vec![("result", "quarantined")], st.quarantined),
            (vec![("result", "duplicate")], st.duplicates),
        ],
    );
    counter(
        r,
        "switchboard_store_flow_sets",
        "Flow set versions handed to the call store: kept (stored) or dropped",
        vec![
            (vec![("result", "kept")], st.flow_sets_kept),
            (vec![("result", "dropped")], st.flow_sets_dropped),
        ],
    );
}

#[cfg(test)]
mod tests;
