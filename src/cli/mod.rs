//! The command line: one module per subcommand, each owning its flags, its `--help` text and
//! the mapping of its results to exit codes ([`exit`]). `main.rs` only calls [`main`] and
//! exits with the code it returns. Nothing else in the crate imports this module.
//!
//! The subcommands call the library: [`crate::flow`] (`flow-check`), [`crate::http`]
//! (`serve`), [`crate::tools`] (`simulate`, `call`, `test`, `graph`, `schema`, and with
//! [`crate::calls`] `calls`, `recordings` and `replay`) and [`crate::signature`] (`sign`). Shared
//! pieces: [`secrets`] (auth tokens from the environment or files) and [`values`] (flag
//! value parsers).

use std::io::Write;
use std::path::Path;

use clap::{Parser, Subcommand};

use crate::flow;

pub mod call;
pub mod calls;
pub mod console;
pub mod exit;
pub mod flow_check;
pub mod graph;
pub mod notifications;
pub mod recordings;
pub mod replay;
pub mod schema;
pub mod secrets;
pub mod serve;
pub mod sign;
pub mod simulate;
pub mod test;
pub mod values;

/// switchboard: a self-hosted Twilio voice router driven by YAML flow files.
#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about, long_about = None)]
pub struct Cli {
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check flow files exactly as the server loads them, and report every problem.
    #[command(after_help = flow_check::help())]
    FlowCheck(flow_check::Args),
    /// Run a call through the flows in-process (no server, no network) and show what the
    /// caller hears, which rules match and why, and the step path.
    #[command(after_help = simulate::help())]
    Simulate(simulate::Args),
    /// Place a signed call against a running server over HTTP, as Twilio would, and show the
    /// same transcript as `simulate` (the smoke test after a deploy).
    #[command(after_help = call::help())]
    Call(Box<call::Args>),
    /// Run flow tests (YAML files of simulated calls and what must happen).
    #[command(after_help = test::help())]
    Test(test::Args),
    /// Draw a flow as a Mermaid or Graphviz diagram.
    #[command(after_help = graph::help())]
    Graph(graph::Args),
    /// Print the JSON Schema of flow files (or of flow-test files), for editors.
    #[command(after_help = schema::HELP)]
    Schema(schema::Args),
    /// Serve the flows to Twilio: the webhook server.
    #[command(after_help = serve::help())]
    Serve(Box<serve::Args>),
    /// Print the X-Twilio-Signature Twilio would send, to place signed test requests.
    #[command(after_help = sign::HELP)]
    Sign(sign::Args),
    /// List the calls `serve` recorded (`calls show CALLSID`: one call's whole story).
    #[command(after_help = calls::help())]
    Calls(calls::Args),
    /// List the recordings `serve` recorded, with their call.
    #[command(after_help = recordings::help())]
    Recordings(recordings::Args),
    /// Replay recorded calls against a flows directory: one call side by side, or what an
    /// edit changes on every call of a window.
    #[command(after_help = replay::help())]
    Replay(replay::Args),
}

/// Parses arguments and runs; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return code;
        }
    };
    let (out, err) = (&mut std::io::stdout(), &mut std::io::stderr());
    match cli.command {
        Command::FlowCheck(args) => flow_check::run(&args, out, err),
        Command::Simulate(args) => {
            use std::io::IsTerminal as _;
            let stdin = std::io::stdin();
            let tty = stdin.is_terminal();
            simulate::run(&args, &mut stdin.lock(), tty, out, err)
        }
        Command::Call(args) => call::run(&args, &process_env, out, err),
        Command::Test(args) => test::run(&args, out, err),
        Command::Graph(args) => graph::run(&args, out, err),
        Command::Schema(args) => schema::run(&args, out),
        Command::Serve(args) => serve::run(&args, &process_env, err),
        Command::Sign(args) => sign::run(&args, &process_env, out, err),
        Command::Calls(args) => calls::run(&args, out, err),
        Command::Recordings(args) => recordings::run(&args, out, err),
        Command::Replay(args) => replay::run(&args, out, err),
    }
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Loads a flows directory for a tool; on failure prints why and returns the exit code.
pub(crate) fn load_flows(dir: &Path, err: &mut dyn Write) -> Result<flow::FlowSet, i32> {
    let loaded = match flow::load_dir(dir) {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Err(exit::USAGE);
        }
    };
    loaded.into_servable().map_err(|loaded| {
        let _ = writeln!(err, "{}", loaded.render_diagnostics());
        let _ = writeln!(err, "{}", loaded.summary(&dir.display().to_string()));
        exit::ERRORS
    })
}

/// An environment of fixed variables, for tests.
#[cfg(test)]
fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |k| {
        pairs
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    }
}
