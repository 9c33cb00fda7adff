//! The baseline server of the benchmark kit: minimal hyper 1.x on tokio that reads each
//! request's body and answers a fixed TwiML document of the size switchboard answers. It is
//! the limit no router can beat on this machine; `scripts/bench.sh` runs it back to back
//! with switchboard and reports every throughput figure as a ratio to it.
//!
//! `cargo bench --bench baseline -- --listen 127.0.0.1:18081`
//!
//! Same runtime as `switchboard serve` (multi-threaded, one worker per CPU it may run on,
//! so `taskset -c 0` gives both one worker). Runs until killed.

// A benchmark program: it prints its report, and a failed setup may stop it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

#[path = "support/mod.rs"]
mod support;

use std::net::SocketAddr;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let listen: SocketAddr =
        support::arg_or(&args, "--listen", SocketAddr::from(([127, 0, 0, 1], 18081)));
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("baseline")
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    rt.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: cannot listen on {listen}: {e}");
                std::process::exit(1);
            }
        };
        eprintln!("baseline listening on {listen}");
        tokio::select! {
            () = support::serve_baseline(listener) => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    });
}
