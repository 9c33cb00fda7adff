//! `switchboard simulate`: a call through the flows in process, scripted or at a terminal.
//! Its caller flags ([`CallerArgs`]) are `call`'s too.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use jiff::Timestamp;

use super::{exit, load_flows};
use crate::engine::Config;
use crate::tools::simulate::{
    self as sim, Call, DEFAULT_FROM, DialStatus, InProcess, Render, parse_at, parse_queue_result,
    zone_for,
};

/// `--help` after the options.
pub fn help() -> String {
    exit::help(
        "\
Examples:
  switchboard simulate --to +14155550100 --from +12025550143
  switchboard simulate --to +14155550100 --at 2026-11-30T10:00 --input 3 --input 123456#
  switchboard simulate --to +14155550100 --input sales --dial no-answer --twiml
  switchboard simulate --to +14155550100            # on a terminal: asks at each menu

Replies: keys (0-9, * and #) are sent as Digits, anything else as SpeechResult; an empty
reply is silence. Once the --input list is used up, every gather hears silence.
Interactive: an empty line is silence; `.` or end of input hangs up.",
        &[
            (exit::OK, "the call ran (whatever it did)"),
            (exit::ERRORS, exit::FLOWS_HAVE_ERRORS),
            (exit::USAGE, exit::BAD_USAGE),
        ],
    )
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

/// Reads a `--param NAME=VALUE`.
pub fn parse_param(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("`{s}` is not NAME=VALUE")),
    }
}

/// Runs `switchboard simulate`. `stdin_is_terminal` picks interactive mode when no
/// `--input` is given; `--interactive` forces it (the terminal path, with piped input).
pub fn run(
    args: &Args,
    stdin: &mut dyn BufRead,
    stdin_is_terminal: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let loaded = match load_flows(&args.flows, err) {
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
                return exit::USAGE;
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
        sim::run_interactive(set, &cfg, &call, stdin, out, !stdin_is_terminal, opts);
    } else {
        let mut transport = InProcess::new(set, &cfg, call.at);
        sim::run_scripted(&mut transport, &call, &args.caller.inputs, &opts, out);
    }
    exit::OK
}
