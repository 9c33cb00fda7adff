//! The webhook server (`switchboard serve`): hyper 1.x HTTP/1.1 on tokio, the only module that
//! knows hyper.
//!
//! Twilio calls these endpoints (GET and POST both accepted on each):
//!
//! | Path | What |
//! |---|---|
//! | `/voice` | the number's Voice URL: the flow is chosen by `To` |
//! | `/voice/{flow}/{step}?{state}` | action URLs the interpreter writes: continue the call |
//! | `/status` | call status callbacks (the number's, and each dialed leg's): `204` once kept |
//! | `/recording` | recording status callbacks: `204` once kept |
//! | `/transcription` | transcription callbacks (`record` with `transcribe: true`): `204` once kept |
//! | `/fallback` | the number's Fallback URL: the configured safe document |
//!
//! plus `/healthz` (the process answers) and `/readyz` (flows loaded, counters), unsigned,
//! `/metrics` (Prometheus; its own optional bearer token, [`crate::metrics`]), and the
//! records API under `/api/` (`api`: a bearer token, no Twilio signature), and the operator
//! console under `/console/` ([`console`]: the same token, once, then a signed cookie).
//!
//! A request goes through, in order: route (`404`), method (`405`), content type (`415`),
//! body size (`413`), body read (`400`, `408`), form decoding (`400`), the signature
//! (`403`), then the endpoint. Once a call reaches a flow the answer is always `200` with
//! TwiML: a run-time failure or even a panic becomes the safe document, never a `5xx`.
//!
//! The modules: [`store`] holds the served flow set, [`verify`] rebuilds the signed URL and
//! checks the signature (bodies are decoded by [`crate::form`]), [`counters`] counts,
//! `handler` answers one request, `server` runs connections (limits, graceful shutdown) over
//! `io`'s guarded sockets, `throttle` keeps floods out of the log, and [`reload`] watches the
//! flows directory (and `SIGHUP`) and reloads the store. The other side of the wire,
//! `switchboard call`, is an offline tool ([`crate::tools::call`]); it reads the
//! interpreter's trace from the header [`crate::engine::trace_header`] defines.

mod api;
pub mod console;
pub mod counters;
mod handler;
mod io;
pub mod logline;
pub mod reload;
mod server;
pub mod store;
mod throttle;
pub mod verify;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use crate::engine::{self, Entry, Outcome, Params};
use crate::flow::FlowSet;
use crate::signature::Keys;

pub use api::AdminToken;
pub use server::{Server, ShutdownReport};
pub use store::{FailedLoad, FlowStore, LoadReport, ReloadHistory, ReloadMode, Served, StoreError};
pub use verify::{PublicUrl, PublicUrlError, verify_webhook};

/// The interpreter entry point the server calls: [`engine::run`] in production. Tests put a
/// function that panics here to check the handler's panic safety.
pub type Runner = fn(&FlowSet, &engine::Config, Entry<'_>, &Params, Timestamp) -> Outcome;

/// How webhooks are authenticated.
#[derive(Debug, Clone)]
pub enum Verification {
    /// Every webhook must carry a valid `X-Twilio-Signature` for one of these keys.
    Required(Keys),
    /// No check at all (`--insecure-skip-signature`): local experiments only.
    InsecureSkip,
}

/// Size and time limits (the hardening knobs).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body accepted, chunked or not (`413` above it).
    pub body_bytes: usize,
    /// Largest request head (request line and headers) accepted (`431` above it).
    pub max_header_bytes: usize,
    /// Time a client has to send a complete request head; also how long an idle keep-alive
    /// connection stays open. Slow clients are disconnected.
    pub header_read_timeout: Duration,
    /// Time to read a body and answer (`408` after it). Twilio itself gives up after 15 s.
    pub request_timeout: Duration,
    /// How long shutdown waits for in-flight requests before closing their connections.
    pub shutdown_grace: Duration,
    /// How long a write may wait for a client that does not read its answers (pipelined
    /// requests never read) before the connection is closed.
    pub write_timeout: Duration,
    /// Answers on one keep-alive connection; the last carries `Connection: close`. Bounds
    /// how many answers a client that pipelines without reading can queue up.
    pub max_requests_per_connection: u64,
    /// Open connections at most; further ones wait in the kernel's accept queue. Keep it
    /// below the descriptor limit (`ulimit -n`) with room for flow files and logs.
    pub max_connections: usize,
    /// On shutdown, how long an idle keep-alive connection stays open so that a request
    /// already on its way is answered (with `Connection: close`) instead of cut off.
    pub shutdown_linger: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 64 * 1024,
            max_header_bytes: 16 * 1024,
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            max_requests_per_connection: 1000,
            max_connections: 768,
            shutdown_linger: Duration::from_millis(500),
        }
    }
}

/// Bounds on [`Limits::max_header_bytes`]: hyper needs a read buffer of at least 8 KiB, and
/// the head must fit the action URLs the interpreter writes (state up to 2 KiB).
pub const HEADER_BYTES_RANGE: std::ops::RangeInclusive<usize> = 4 * 1024..=256 * 1024;

/// Everything the server needs besides the flows.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The base URL Twilio uses (`--public-url`); action URLs are built from it. `None`:
    /// signatures are checked against `http://{Host}` and action URLs are relative.
    pub public_url: Option<PublicUrl>,
    /// Take scheme and host from `X-Forwarded-Proto`/`X-Forwarded-Host` when there is no
    /// public URL. Only behind a proxy that sets (and overwrites) them.
    pub trust_forwarded: bool,
    /// The signature check.
    pub verification: Verification,
    /// Size and time limits.
    pub limits: Limits,
    /// What callers hear when something goes wrong (run-time failures, `/fallback`, panics).
    pub apology: String,
    /// E.164 number `/fallback` and panics forward the caller to; `None` hangs up.
    pub fallback_operator: Option<String>,
    /// The interpreter ([`engine::run`]).
    pub runner: Runner,
    /// The call store's writer side; `None` keeps no records (`--database none`).
    pub records: Option<crate::calls::CallStore>,
    /// Where the records API reads (`--database`; `run` sets it from the opened store);
    /// `None`: the API has nothing to show.
    pub database: Option<crate::calls::Database>,
    /// The records API's bearer token; `None` turns `/api/…` off (404).
    pub admin_token: Option<AdminToken>,
    /// How notifications are delivered (with a call store: the outbox is in it).
    pub notify: crate::notify::Settings,
    /// What `/metrics` shows; shared with whoever else counts (the notifier).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// `/metrics`' bearer token (`--metrics-token-file`); `None`: `/metrics` is open.
    pub metrics_token: Option<AdminToken>,
    /// The tools' views the console shows (the command line hands them in); the console
    /// is on when these and an admin token are set, `404` otherwise.
    pub console: Option<console::Views>,
}

impl ServerConfig {
    /// Defaults for everything but the (deliberately explicit) verification.
    pub fn new(verification: Verification) -> ServerConfig {
        ServerConfig {
            public_url: None,
            trust_forwarded: false,
            verification,
            limits: Limits::default(),
            apology: engine::Config::default().apology,
            fallback_operator: None,
            runner: engine::run,
            records: None,
            database: None,
            admin_token: None,
            notify: crate::notify::Settings::default(),
            metrics: Arc::default(),
            metrics_token: None,
            console: None,
        }
    }
}

/// Why [`run`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The tokio runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// The call store could not be opened.
    #[error("cannot open the call store: {0}")]
    Records(crate::calls::StoreError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address given.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// Serves until `SIGTERM` or `SIGINT`, then shuts down gracefully: stop accepting, let
/// in-flight requests finish for up to [`Limits::shutdown_grace`] (a second signal ends the
/// wait at once). Blocks the calling thread; builds its own runtime.
///
/// Meanwhile the flows are reloaded as `reload` says (watching, polling) and on `SIGHUP`.
///
/// # Errors
///
/// [`ServeError`] when the runtime cannot start or the address cannot be bound.
pub fn run(
    store: Arc<FlowStore>,
    mut config: ServerConfig,
    listen: SocketAddr,
    reload: &reload::Options,
    records: Option<&crate::calls::StoreOptions>,
) -> Result<ShutdownReport, ServeError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("switchboard")
        .build()
        .map_err(ServeError::Runtime)?;
    let report = rt.block_on(async move {
        // Installed first: a SIGHUP from here on is queued for the reloader, not fatal.
        #[cfg(unix)]
        let hup = hangup_signal();
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|source| ServeError::Bind {
                addr: listen,
                source,
            })?;
        let mut writer = None;
        let mut dispatcher = None;
        let flows = store.clone();
        if let Some(opts) = records
            && let Some((store, handle)) = crate::calls::CallStore::open(opts)
                .await
                .map_err(ServeError::Records)?
        {
            tracing::info!(
                database = %opts.database,
                spool = %opts.spool.display(),
                replica = store.recorder.replica(),
                "call store open"
            );
            writer = Some((store.recorder.clone(), handle));
            config.database = Some(store.database.clone());
            dispatcher = Some(start_dispatcher(&store, &flows, &config));
            config.records = Some(store);
        }
        // Reloads run on the reloader's own thread, never on the runtime's; starting it only
        // sets up the watcher. It stops when this block ends.
        let reloader = reload::Reloader::start(store.clone(), reload);
        #[cfg(unix)]
        if let Some(hup) = hup {
            tokio::spawn(hangups(hup, reloader.handle()));
        }
        let server = Server::from_tokio(listener, store, config);
        let (first_tx, first_rx) = tokio::sync::oneshot::channel::<()>();
        let signals = async move {
            let mut signals = Signals::new();
            let name = signals.next().await;
            tracing::info!(signal = name, "shutdown requested");
            let _ = first_tx.send(());
            let name = signals.next().await;
            tracing::warn!(signal = name, "second signal: closing connections now");
        };
        let report = tokio::select! {
            report = server.run(async { let _ = first_rx.await; }) => report,
            () = signals => ShutdownReport { drained: false },
        };
        // An attempt under way finishes (each is bounded by its timeout); the rest wait in
        // the outbox for the next start or another replica.
        if let Some((stop, handle)) = dispatcher {
            let _ = stop.send(true);
            let _ = tokio::time::timeout(Duration::from_secs(15), handle).await;
        }
        // Whatever the recorder holds is committed or spooled before the process ends.
        if let Some((recorder, handle)) = writer {
            recorder.shutdown();
            if tokio::time::timeout(Duration::from_secs(10), handle)
                .await
                .is_err()
            {
                tracing::error!("call store: the writer did not finish within 10 s");
            }
        }
        Ok(report)
    });
    // Tasks still running (connections past the grace period) are dropped, not awaited.
    rt.shutdown_timeout(Duration::from_millis(100));
    report
}

/// Starts delivering the outbox: the channels are looked up in the flows serving at each
/// attempt.
fn start_dispatcher(
    calls: &crate::calls::CallStore,
    flows: &Arc<FlowStore>,
    config: &ServerConfig,
) -> (
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinHandle<()>,
) {
    let flows = Arc::clone(flows);
    let channels: crate::notify::Channels =
        Arc::new(move |name: &str| flows.current().set.channel(name).cloned());
    let metrics = Arc::clone(&config.metrics);
    let report: crate::notify::Report =
        Arc::new(move |channel: &str, result: &str| metrics.notification(channel, result));
    let dispatcher = crate::notify::Dispatcher::new(
        calls.database.clone(),
        calls.recorder.replica(),
        config.notify.clone(),
        channels,
        Some(report),
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    (stop, tokio::spawn(dispatcher.run(stopped)))
}

/// Listens for `SIGHUP`; from then on the signal no longer ends the process (its default
/// action). Must be called inside the runtime.
#[cfg(unix)]
fn hangup_signal() -> Option<tokio::signal::unix::Signal> {
    use tokio::signal::unix::{SignalKind, signal};
    signal(SignalKind::hangup())
        .map_err(|e| tracing::warn!(error = %e, "cannot listen for SIGHUP; it will not reload"))
        .ok()
}

/// Turns each `SIGHUP` into a reload request, for as long as the server runs.
#[cfg(unix)]
async fn hangups(mut hup: tokio::signal::unix::Signal, reloads: reload::ReloadHandle) {
    while hup.recv().await.is_some() {
        tracing::info!(signal = "SIGHUP", "reload requested");
        reloads.request(reload::Trigger::Sighup);
    }
}

/// `SIGTERM` and `SIGINT` (Ctrl-C), as one stream of names.
struct Signals {
    /// `SIGTERM` (systemd, Kubernetes, `docker stop`); `None` when it cannot be installed.
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Signals {
        Signals {
            #[cfg(unix)]
            term: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .map_err(|e| tracing::warn!(error = %e, "cannot listen for SIGTERM"))
                .ok(),
        }
    }

    /// Waits for the next signal and names it.
    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            let term = async {
                match self.term.as_mut() {
                    Some(t) => {
                        t.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = term => "SIGTERM",
                _ = tokio::signal::ctrl_c() => "SIGINT",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        }
    }
}
