//! Accepting connections, serving them with hyper, and shutting down gracefully.
//!
//! Each connection runs in its own task with hyper's HTTP/1 connection builder: keep-alive on,
//! a header-read timeout (which also ends idle keep-alive connections), a maximum head size
//! (`431` above it). On shutdown the listener is dropped first (new connections are refused),
//! then every connection is told to finish the request it is on and close; the server waits
//! for them up to the grace period.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use hyper::header::{CONNECTION, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use super::counters::{GaugeGuard, bump};
use super::handler::App;
use super::io::Guarded;
use super::{FlowStore, HEADER_BYTES_RANGE, ServerConfig};

/// Read-buffer room beyond the largest request head: a body chunk (bodies stream through it).
const BUFFER_SLACK: usize = 16 * 1024;

/// A bound server, ready to [`run`](Server::run).
pub struct Server {
    /// The bound listening socket.
    listener: TcpListener,
    /// Everything requests share: flows, configuration, counters.
    app: Arc<App>,
}

/// How a shutdown went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownReport {
    /// True when every connection finished within the grace period.
    pub drained: bool,
}

impl Server {
    /// Wraps a bound std listener (e.g. on `127.0.0.1:0` in tests). Must be called inside a
    /// tokio runtime.
    ///
    /// # Errors
    ///
    /// When the socket cannot be switched to non-blocking or registered with the runtime.
    pub fn new(
        listener: std::net::TcpListener,
        store: Arc<FlowStore>,
        config: ServerConfig,
    ) -> std::io::Result<Server> {
        listener.set_nonblocking(true)?;
        Ok(Server::from_tokio(
            TcpListener::from_std(listener)?,
            store,
            config,
        ))
    }

    /// Wraps a bound tokio listener.
    pub fn from_tokio(
        listener: TcpListener,
        store: Arc<FlowStore>,
        config: ServerConfig,
    ) -> Server {
        // From here on every set put in service goes to the call store (or, with none,
        // its files are dropped at once).
        store.keep_versions(config.records.as_ref().map(|r| r.recorder.clone()));
        store.count_in(&config.metrics);
        Server {
            listener,
            app: Arc::new(App::new(store, config)),
        }
    }

    /// The address the server listens on (the real port when bound to port 0).
    ///
    /// # Errors
    ///
    /// When the socket has no local address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves, then shuts down gracefully.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> ShutdownReport {
        let Server { listener, app } = self;
        let limits = app.limits();
        let header_bytes = limits
            .max_header_bytes
            .clamp(*HEADER_BYTES_RANGE.start(), *HEADER_BYTES_RANGE.end());
        let mut builder = http1::Builder::new();
        // The timer must be set before any timeout: hyper panics on every connection when a
        // timeout is configured without one.
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .max_header_size(header_bytes)
            // Requests are small: a buffer just above the largest head (hyper's default is
            // ~400 kB) bounds what a client that pipelines without reading can make us hold.
            .max_buf_size(header_bytes + BUFFER_SLACK)
            .keep_alive(true);
        let builder = Arc::new(builder);

        if let Ok(addr) = listener.local_addr() {
            tracing::info!(addr = %addr, "listening");
        }
        let (closing_tx, closing_rx) = watch::channel(false);
        tokio::pin!(shutdown);
        // One permit per open connection: at the cap, new connections wait in the kernel's
        // accept queue until one closes (the timeouts bound how long that is).
        let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
        let mut saturated = false;
        loop {
            let permit = tokio::select! {
                biased;
                () = &mut shutdown => break,
                permit = permits.clone().acquire_owned() => match permit {
                    Ok(p) => p,
                    Err(_) => break, // never closed; the loop ends on shutdown
                },
            };
            if permits.available_permits() == 0 && !saturated {
                saturated = true;
                bump(&app.counters.connection_limit);
                tracing::warn!(
                    max_connections = limits.max_connections,
                    "connection limit reached; new connections wait until one closes"
                );
            } else if permits.available_permits() > limits.max_connections / 10 {
                saturated = false;
            }
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        // Answers are small and sent whole: don't let Nagle hold them back.
                        let _ = stream.set_nodelay(true);
                        tokio::spawn(connection(
                            stream,
                            peer,
                            app.clone(),
                            builder.clone(),
                            closing_rx.clone(),
                            permit,
                        ));
                    }
                    Err(e) => {
                        // Typically out of file descriptors: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
            }
        }

        drop(listener);
        drop(closing_rx);
        let open = app.open_connections();
        tracing::info!(
            open_connections = open,
            grace_ms = limits.shutdown_grace.as_millis() as u64,
            "stopped accepting; finishing in-flight requests"
        );
        let _ = closing_tx.send(true);
        let drained = tokio::time::timeout(limits.shutdown_grace, closing_tx.closed())
            .await
            .is_ok();
        if drained {
            tracing::info!("all connections closed");
        } else {
            tracing::warn!(
                open_connections = app.open_connections(),
                "grace period over; closing the remaining connections"
            );
        }
        ShutdownReport { drained }
    }
}

/// Serves one connection until it closes, or until shutdown asks it to finish.
///
/// Every answer after the connection's request cap, and every answer once shutdown has begun,
/// carries `Connection: close`, so hyper closes the connection right after it. On shutdown
/// the connection lingers for [`Limits::shutdown_linger`](super::Limits): a request the
/// client had already sent (still in the socket, not yet read) is answered instead of being
/// cut off, which is what `graceful_shutdown` alone does to it. A connection still idle after
/// the linger is closed.
async fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Arc<App>,
    builder: Arc<http1::Builder>,
    mut closing: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let _open = GaugeGuard::new(&app.counters.connections);
    let limits = app.limits();
    let last = Arc::new(LastCall {
        served: AtomicU64::new(0),
        max: limits.max_requests_per_connection.max(1),
        closing: AtomicBool::new(false),
    });
    let service_app = app.clone();
    let service_last = last.clone();
    let service = service_fn(move |req| {
        let app = service_app.clone();
        let last = service_last.clone();
        async move {
            let mut resp = app.handle(req, peer).await;
            if last.is_last() {
                resp.headers_mut()
                    .insert(CONNECTION, HeaderValue::from_static("close"));
            }
            Ok::<_, std::convert::Infallible>(resp)
        }
    });
    let io = Guarded::new(TokioIo::new(stream), limits.write_timeout);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let result = tokio::select! {
        r = conn.as_mut() => r,
        () = async {
            // The returned guard borrows the channel; drop it here, it is not `Send`.
            let _ = closing.wait_for(|c| *c).await;
        } => {
            last.closing.store(true, Ordering::Relaxed);
            match tokio::time::timeout(limits.shutdown_linger, conn.as_mut()).await {
                Ok(r) => r,
                Err(_) => {
                    conn.as_mut().graceful_shutdown();
                    conn.as_mut().await
                }
            }
        }
    };
    if let Err(e) = result {
        // Header and write timeouts, resets and malformed requests: the client's problem.
        tracing::debug!(peer = %peer, error = %e, "connection ended with an error");
    }
}

/// Decides which answer on a connection is its last.
struct LastCall {
    /// Requests answered on this connection so far.
    served: AtomicU64,
    /// The cap ([`Limits::max_requests_per_connection`](super::Limits)).
    max: u64,
    /// Set when shutdown begins: every later answer closes its connection.
    closing: AtomicBool,
}

impl LastCall {
    /// Counts one answer; true when it must close the connection.
    fn is_last(&self) -> bool {
        let n = self.served.fetch_add(1, Ordering::Relaxed) + 1;
        n >= self.max || self.closing.load(Ordering::Relaxed)
    }
}
