//! Connection-level hardening: clients that never read their answers, the cap on open
//! connections, and shutdown under load (issue 10, defects 2 and 4).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use switchboard::http::ShutdownReport;

use crate::harness::BOUND;
use crate::harness::server::TestServer;

/// Open connections as `/readyz` counts them (the probe's own connection included).
fn open_connections(s: &TestServer) -> u64 {
    s.counter("connections")
}

/// Waits until `/readyz` counts exactly `want` open connections, for at most `bound`.
fn wait_for_connections(s: &TestServer, want: u64, bound: Duration) {
    let start = Instant::now();
    loop {
        let n = open_connections(s);
        if n == want {
            return;
        }
        assert!(start.elapsed() < bound, "{n} connections open, want {want}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A client socket with a tiny receive buffer, so that unread answers back up quickly.
fn stingy_client(addr: std::net::SocketAddr) -> TcpStream {
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    sock.connect(&addr.into()).unwrap();
    let s: TcpStream = sock.into();
    s.set_write_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    s
}

/// Writes pipelined `GET /readyz` requests until the server stops reading them (or
/// `budget` is spent). Returns how many were written whole.
fn pipeline_without_reading(s: &mut TcpStream, budget: usize) -> usize {
    let req = b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut sent = 0;
    while sent < budget {
        if s.write_all(req).is_err() {
            break;
        }
        sent += 1;
    }
    sent
}

#[test]
fn clients_that_never_read_are_closed_after_the_write_timeout() {
    let s = TestServer::builder()
        .with(|c| {
            c.limits.write_timeout = Duration::from_millis(300);
            c.limits.header_read_timeout = Duration::from_secs(60);
            // Only the write timeout may end these connections.
            c.limits.max_requests_per_connection = u64::MAX;
        })
        .start();
    const CLIENTS: usize = 2;
    let mut clients: Vec<TcpStream> = (0..CLIENTS).map(|_| stingy_client(s.addr)).collect();
    let mut sent = 0;
    for c in &mut clients {
        // ~20 MB of answers (~1 kB each): far more than the socket buffers on the way back
        // hold, so the server is left waiting to write.
        sent += pipeline_without_reading(c, 20_000);
    }
    assert!(sent >= CLIENTS * 100, "only {sent} requests sent");
    // Neither the header timeout (a minute here) nor the request cap (none) can end them:
    // only the write timeout. The bound is generous because the server first answers
    // thousands of requests (a debug build, on a busy machine) before its buffers fill.
    wait_for_connections(&s, 1, Duration::from_secs(45));
    drop(clients);
}

#[test]
fn a_keep_alive_connection_closes_after_its_request_cap() {
    let s = TestServer::builder()
        .with(|c| c.limits.max_requests_per_connection = 5)
        .start();
    let mut c = s.connect();
    c.write_all(&b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".repeat(20))
        .unwrap();
    let mut got = Vec::new();
    let _ = c.read_to_end(&mut got);
    let text = String::from_utf8_lossy(&got);
    let answers = text.matches("HTTP/1.1 200").count();
    assert_eq!(answers, 5, "{text}");
    assert_eq!(
        text.matches("connection: close").count(),
        1,
        "only the last answer closes: {text}"
    );
}

#[test]
fn connections_over_the_cap_wait_until_one_closes() {
    let s = TestServer::builder()
        .with(|c| c.limits.max_connections = 3)
        .start();
    // Three idle keep-alive connections take every slot ...
    let held: Vec<TcpStream> = (0..3).map(|_| s.connect()).collect();
    for mut c in held.iter() {
        c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut buf = [0u8; 512];
        assert!(c.read(&mut buf).unwrap() > 0);
    }
    // ... so a fourth is queued, not served ...
    let mut fourth = s.connect();
    fourth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    fourth
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut buf = [0u8; 512];
    assert!(
        fourth.read(&mut buf).is_err(),
        "served beyond the connection cap"
    );
    // ... until one closes.
    drop(held);
    fourth.set_read_timeout(Some(BOUND)).unwrap();
    let mut got = Vec::new();
    fourth.read_to_end(&mut got).unwrap();
    assert!(got.starts_with(b"HTTP/1.1 200"), "{got:?}");
    assert!(s.counter("connection_limit_reached") >= 1);
}

/// What one keep-alive client saw while the server shut down under it.
#[derive(Default)]
struct Seen {
    /// Answers read.
    answered: u64,
    /// Requests fully written whose connection then closed without an answer, though the
    /// previous answer did not say `Connection: close`.
    lost: u64,
}

/// Sends `GET /healthz` on one keep-alive connection after another until the server is
/// gone; counts answers and requests lost.
fn busy_client(addr: std::net::SocketAddr, stop: &AtomicBool) -> Seen {
    let mut seen = Seen::default();
    let started = Instant::now();
    'connections: while started.elapsed() < BOUND && !stop.load(Ordering::Relaxed) {
        let Ok(mut c) = TcpStream::connect(addr) else {
            break; // the listener is closed: shutdown has begun
        };
        c.set_read_timeout(Some(BOUND)).unwrap();
        loop {
            if c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                .is_err()
            {
                continue 'connections; // closed before we sent: not a lost request
            }
            let mut answer = Vec::new();
            let mut buf = [0u8; 1024];
            let complete = loop {
                match c.read(&mut buf) {
                    Ok(0) | Err(_) => break false,
                    Ok(n) => answer.extend_from_slice(&buf[..n]),
                }
                if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"ok\n") {
                    break true;
                }
            };
            if !complete {
                if answer.is_empty() {
                    seen.lost += 1;
                }
                continue 'connections;
            }
            seen.answered += 1;
            if String::from_utf8_lossy(&answer).contains("connection: close") {
                continue 'connections;
            }
        }
    }
    seen
}

#[test]
fn shutdown_under_load_answers_every_request_it_received() {
    let mut s = TestServer::builder().start();
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicU64::new(0));
    const CLIENTS: usize = 16;
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let stop = stop.clone();
            let addr = s.addr;
            std::thread::spawn(move || busy_client(addr, &stop))
        })
        .collect();
    // Let every client get going, then shut down under load.
    std::thread::sleep(Duration::from_millis(300));
    let report = s.stop();
    stop.store(true, Ordering::Relaxed);
    let mut lost = 0;
    for c in clients {
        let seen = c.join().unwrap();
        assert!(seen.answered > 0, "a client was never served");
        answered.fetch_add(seen.answered, Ordering::Relaxed);
        lost += seen.lost;
    }
    assert_eq!(report, ShutdownReport { drained: true });
    assert_eq!(
        lost,
        0,
        "requests lost on shutdown ({} answered)",
        answered.load(Ordering::Relaxed)
    );
}
