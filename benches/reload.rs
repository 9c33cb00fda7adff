//! Hot-reload benchmark (not a timed test): how long reloading 1,000 realistic flows takes,
//! and how long after a save the first request is answered by the new set.
//!
//! ```sh
//! cargo bench --bench reload                      # 1,000 flows, 10 runs each
//! cargo bench --bench reload -- --flows 200 --runs 20
//! ```
//!
//! Two measurements over the benchmark kit's generated flows (benches/support: each flow ~10
//! steps with a route, a schedule, menus, dials and a recording, plus a shared schedule
//! file):
//!
//! - `FlowStore::reload()` with one file changed (read, compile, check, swap) and with nothing
//!   changed (the same work, no swap);
//! - save → served: a real server on `127.0.0.1:0` with the real watcher; one flow is saved
//!   (temp file renamed over it) and a signed call to its number is sent every millisecond
//!   until the answer has the new text. This includes the watcher's debounce
//!   (`reload::DEFAULT_DEBOUNCE`), which dominates by design.
//!
//! The numbers are recorded in docs/operations.md.

// A benchmark program: it prints its report, and a failed setup may stop it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

#[path = "support/mod.rs"]
mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard::http::{FlowStore, Server, ServerConfig, Verification, reload};
use switchboard::signature::{Keys, Secret};

/// Longest wait for one save to be served before the benchmark gives up.
const BOUND: Duration = Duration::from_secs(30);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flows: usize = support::arg_or(&args, "--flows", 1000);
    let runs: usize = support::arg_or(&args, "--runs", 10).max(1);

    let dir = tempfile::tempdir().expect("temporary directory");
    support::write_flow_dir(dir.path(), flows).expect("write the benchmark flows");
    let started = Instant::now();
    let (store, report) = match FlowStore::open(dir.path()) {
        Ok(ok) => ok,
        Err(e) => panic!("the generated flows do not load: {e}"),
    };
    let first_load = started.elapsed();
    let store = Arc::new(store);
    let steps = store.current().steps;
    println!("reload benchmark: {flows} flows ({steps} steps), {runs} runs each");
    println!("first load: {}  ({})", ms(first_load), report.summary);

    // Reload with one file changed each time: the full work plus the swap.
    let mut changed = Vec::with_capacity(runs);
    for rev in 0..runs {
        save_revision(dir.path(), rev);
        let t = Instant::now();
        let report = store.reload().expect("a valid edit reloads");
        changed.push(t.elapsed());
        assert!(report.changed, "an edited file must swap the set");
    }
    // Reload with nothing changed: read and compile everything, compare, keep the old set.
    let mut unchanged = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let report = store.reload().expect("reload");
        unchanged.push(t.elapsed());
        assert!(!report.changed);
    }

    let mut served = save_to_served(dir.path(), store.clone(), runs);

    println!();
    println!("| measurement | median | p95 | min | max |");
    println!("|---|---|---|---|---|");
    row("reload, one file changed (swap)", &mut changed);
    row("reload, nothing changed (no swap)", &mut unchanged);
    row("save → first request served by the new set", &mut served);
    println!();
    println!(
        "(save → served includes the watcher's {} ms debounce; {} CPUs)",
        reload::DEFAULT_DEBOUNCE.as_millis(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
}

/// Rewrites flow 0 with `rev` in both of its greetings (open and closed hours), by a rename
/// as editors save, so the answer to a call shows which revision is served.
fn save_revision(dir: &Path, rev: usize) {
    let name = support::flow_name(0);
    let original = support::flow_yaml(0);
    let text = original
        .replace(
            "Thanks for calling line 0.",
            &format!("Thanks for calling line 0 (rev {rev})."),
        )
        .replace(
            "Line 0 is closed now;",
            &format!("Line 0 (rev {rev}) is closed now;"),
        );
    assert_ne!(
        text, original,
        "benches/support's flow text changed: update the greetings replaced here"
    );
    let tmp = dir.join(format!(".{name}.yaml.tmp"));
    std::fs::write(&tmp, text).expect("write the temporary file");
    std::fs::rename(&tmp, dir.join(format!("{name}.yaml"))).expect("rename over the flow");
}

/// Runs a server with the real watcher and measures, `runs` times, the delay from a save to
/// the first answer that has the saved text.
fn save_to_served(dir: &Path, store: Arc<FlowStore>, runs: usize) -> Vec<Duration> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let config = ServerConfig::new(Verification::Required(Keys {
        auth_tokens: vec![Secret::new(support::TOKEN)],
        shared_keys: vec![],
    }));
    let reloader = reload::Reloader::start(
        store.clone(),
        &reload::Options {
            watch: true,
            ..reload::Options::default()
        },
    );
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let server = Server::new(listener, store, config).expect("server");
            server
                .run(async {
                    let _ = stop_rx.await;
                })
                .await
        })
    });

    let call = support::webhook(
        &format!("http://{addr}"),
        "/voice",
        &support::incoming_params(&support::flow_number(0)),
    );
    // The watcher is up once a call is answered and the store reports it.
    let deadline = Instant::now() + BOUND;
    while !post(addr, &call).contains("<Gather") {
        assert!(Instant::now() < deadline, "the server never answered");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(reloader.mode().watch, "the watcher did not start");

    let mut delays = Vec::with_capacity(runs);
    for run in 0..runs {
        // Distinct from the revisions the reload measurement wrote.
        let rev = 1000 + run;
        let marker = format!("(rev {rev})");
        // Let the previous save's events settle so each save is measured on its own.
        std::thread::sleep(reload::DEFAULT_DEBOUNCE * 3);
        let saved = Instant::now();
        save_revision(dir, rev);
        loop {
            if post(addr, &call).contains(&marker) {
                delays.push(saved.elapsed());
                break;
            }
            assert!(saved.elapsed() < BOUND, "save {rev} was never served");
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let _ = stop_tx.send(());
    let _ = server.join();
    drop(reloader);
    delays
}

/// One signed webhook over a fresh connection; the whole answer as text.
fn post(addr: SocketAddr, hook: &support::Webhook) -> String {
    let Ok(mut c) = TcpStream::connect(addr) else {
        return String::new();
    };
    let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: {}\r\nContent-Length: {}\r\n\r\n",
        hook.target,
        hook.signature,
        hook.body.len()
    );
    if c.write_all(head.as_bytes()).is_err() || c.write_all(&hook.body).is_err() {
        return String::new();
    }
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn row(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "| {what} | {} | {} | {} | {} |",
        ms(at(0.5)),
        ms(at(0.95)),
        ms(samples[0]),
        ms(samples[samples.len() - 1])
    );
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}
