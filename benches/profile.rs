//! The profiling driver of the benchmark kit: N signed webhooks through the full server path
//! in one process and one thread, for `valgrind --tool=callgrind`, whose instruction counts
//! stay stable on a busy machine where timings do not.
//!
//! ```text
//! cargo bench --bench profile -- [--server switchboard|baseline] [--kind incoming|gather]
//!     [--requests 2000] [--flows 1000] [--store sqlite|none]
//! valgrind --tool=callgrind --callgrind-out-file=cg.out target/release/deps/profile-HASH ...
//! callgrind_annotate --inclusive=yes cg.out | head -60
//! ```
//!
//! The server is the real one (`switchboard::http::Server`, the same handler, the same JSON
//! log line per request formatted into a sink) on `127.0.0.1:0`, serving generated benchmark
//! flows; the client is a hyper connection on the same current-thread runtime, so every
//! instruction is in the one thread callgrind follows. Per-request server cost is the
//! inclusive cost of `switchboard::http::server::connection` divided by N (the baseline's:
//! `support::serve_baseline`). Prints wall time per request too, which is only indicative.
//!
//! As `switchboard serve` runs by default, the server keeps call records in SQLite (a fresh
//! database in a temporary directory) and counts metrics; `--store none` keeps no records.
//! The recorder's writer runs its transactions on tokio's blocking pool (another thread
//! callgrind follows): its cost is the inclusive cost of
//! `switchboard::calls::sqlite::Sqlite::write_yielding`,
//! and the driver drains the recorder before it exits so every record is written inside the
//! measured run.

// A benchmark program: it prints its report, and a failed setup may stop it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::Instant;

use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue};
use hyper_util::rt::TokioIo;
use support::Kind;
use switchboard::calls::{CallStore, DatabaseUrl, RecorderConfig, StoreOptions};
use switchboard::http::{FlowStore, PublicUrl, Server, ServerConfig, Verification};
use switchboard::signature::{Keys, Secret};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let baseline = match support::arg(&args, "--server").as_deref() {
        None | Some("switchboard") => false,
        Some("baseline") => true,
        Some(other) => {
            eprintln!("error: --server switchboard|baseline, got {other}");
            std::process::exit(2);
        }
    };
    let kind = support::arg(&args, "--kind")
        .map(|k| {
            Kind::parse(&k).unwrap_or_else(|| {
                eprintln!("error: --kind incoming|gather, got {k}");
                std::process::exit(2)
            })
        })
        .unwrap_or(Kind::Incoming);
    let requests: usize = support::arg_or(&args, "--requests", 2000);
    let flows: usize = support::arg_or(&args, "--flows", 1000);
    let keep_records = match support::arg(&args, "--store").as_deref() {
        None | Some("sqlite") => true,
        Some("none") => false,
        Some(other) => {
            eprintln!("error: --store sqlite|none, got {other}");
            std::process::exit(2);
        }
    };

    // The same subscriber `switchboard serve` installs (cli.rs), writing into a sink: the
    // formatting is counted, the write(2) is not.
    let _ = tracing_subscriber::fmt()
        .event_format(switchboard::http::logline::JsonLines)
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .with_writer(std::io::sink)
        .try_init();

    let dir = tempfile::tempdir().expect("a temporary directory");
    support::write_flow_dir(dir.path(), flows).expect("benchmark flows written");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async move {
        let mut writer = None;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a local port");
        let addr = listener.local_addr().expect("the bound address");
        let base = format!("http://{addr}");
        if baseline {
            listener.set_nonblocking(true).expect("non-blocking socket");
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            tokio::spawn(support::serve_baseline(listener));
        } else {
            let (store, _) = FlowStore::open(dir.path()).expect("benchmark flows load");
            let mut config = ServerConfig::new(Verification::Required(Keys {
                auth_tokens: vec![Secret::new(support::TOKEN)],
                shared_keys: vec![],
            }));
            config.public_url = Some(PublicUrl::parse(&base).expect("a valid public URL"));
            // One connection carries the whole run (the server would otherwise close it
            // after its 1,000th answer).
            config.limits.max_requests_per_connection = u64::MAX;
            if keep_records {
                let opts = StoreOptions {
                    database: DatabaseUrl::Sqlite(dir.path().join("calls.db")),
                    spool: dir.path().join("spool"),
                    spool_max: 1 << 30,
                    recorder: RecorderConfig::default(),
                };
                let (calls, handle) = CallStore::open(&opts)
                    .await
                    .expect("the call store opens")
                    .expect("a SQLite store");
                config.database = Some(calls.database.clone());
                writer = Some((calls.recorder.clone(), handle));
                config.records = Some(calls);
            }
            let server = Server::new(listener, Arc::new(store), config).expect("the server");
            tokio::spawn(server.run(std::future::pending()));
        }

        let hooks = support::webhooks_count(kind, &base, flows, requests);
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let _ = stream.set_nodelay(true);
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        let host = HeaderValue::from_str(&addr.to_string()).expect("a host header");
        let started = Instant::now();
        for n in 0..requests {
            let hook = &hooks[n % hooks.len()];
            let req = Request::post(hook.target.as_str())
                .header(HOST, host.clone())
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header("user-agent", "TwilioProxy/1.1")
                .header("x-twilio-signature", hook.signature.as_str())
                .body(Full::new(hook.body.clone()))
                .expect("a request");
            let resp = sender.send_request(req).await.expect("an answer");
            let status = resp.status();
            let body = resp.into_body().collect().await.expect("a body").to_bytes();
            assert!(
                status == 200 && contains(&body, kind.expect()),
                "{status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        let per = started.elapsed() / u32::try_from(requests.max(1)).unwrap_or(u32::MAX);
        if let Some((recorder, handle)) = writer {
            recorder.shutdown();
            handle.await.expect("the recorder drains");
            let health = recorder.health();
            eprintln!(
                "records: {} committed in {} transactions",
                health.committed, health.batches
            );
        }
        eprintln!(
            "{} {}: {requests} requests, {per:?} per request (client and server, one thread)",
            if baseline { "baseline" } else { "switchboard" },
            kind.name()
        );
    });
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}
