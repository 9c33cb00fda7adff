//! The command line: argument definitions (one per flag) and the subcommands. `main.rs` only
//! calls [`main`] and exits with the code it returns.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::diag::render_json;
use crate::flow;

/// Exit codes (stable; documented in `--help`).
pub mod exit {
    /// Success: no errors (and no warnings with `--deny-warnings`).
    pub const OK: i32 = 0;
    /// The flows have errors.
    pub const ERRORS: i32 = 1;
    /// Bad usage, or a path that cannot be read.
    pub const USAGE: i32 = 2;
    /// Warnings only, with `--deny-warnings`.
    pub const WARNINGS: i32 = 3;
}

/// switchboard: a self-hosted Twilio voice router driven by YAML flow files.
#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check flow files exactly as the server loads them, and report every problem.
    #[command(after_help = FLOW_CHECK_HELP)]
    FlowCheck(FlowCheckArgs),
}

const FLOW_CHECK_HELP: &str = "\
Examples:
  switchboard flow-check                 # checks ./flows
  switchboard flow-check flows/ extra.yaml --format json
  switchboard flow-check --deny-warnings

Exit codes:
  0  no errors (warnings allowed unless --deny-warnings)
  1  at least one error
  2  bad usage, or a path that cannot be read
  3  warnings only, with --deny-warnings";

/// `switchboard flow-check`.
#[derive(Debug, clap::Args)]
pub struct FlowCheckArgs {
    /// Flow directories or files, checked together as one set [default: flows]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Exit with code 3 when there are warnings but no errors.
    #[arg(long)]
    pub deny_warnings: bool,
}

/// How `flow-check` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// rustc-style text with source lines and carets.
    Human,
    /// One JSON object: diagnostics and summary.
    Json,
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
    match cli.command {
        Command::FlowCheck(args) => {
            flow_check(&args, &mut std::io::stdout(), &mut std::io::stderr())
        }
    }
}

/// `switchboard flow-check`: load with the server's loader, print, pick the exit code.
pub fn flow_check(
    args: &FlowCheckArgs,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> i32 {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("flows")]
    } else {
        args.paths.clone()
    };
    let what = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let loaded = match flow::load_paths(&paths) {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return exit::USAGE;
        }
    };
    let summary = loaded.summary(&what);
    match args.format {
        Format::Human => {
            let text = loaded.render_diagnostics();
            if !text.is_empty() {
                let _ = writeln!(out, "{text}");
            }
            let _ = writeln!(out, "{summary}");
        }
        Format::Json => {
            let v = serde_json::json!({
                "diagnostics": render_json(&loaded.diagnostics),
                "summary": {
                    "files": loaded.files,
                    "flows": loaded.set.flows.len(),
                    "steps": loaded.set.step_count(),
                    "errors": loaded.errors(),
                    "warnings": loaded.warnings(),
                },
            });
            let _ = writeln!(out, "{v:#}");
        }
    }
    if loaded.errors() > 0 {
        exit::ERRORS
    } else if args.deny_warnings && loaded.warnings() > 0 {
        exit::WARNINGS
    } else {
        exit::OK
    }
}
