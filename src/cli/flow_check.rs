//! `switchboard flow-check`: the loader's diagnostics, as text or JSON.

use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;

use super::exit;
use crate::diag::render_json;
use crate::flow;

/// `--help` after the options.
pub fn help() -> String {
    exit::help(
        "\
Examples:
  switchboard flow-check                 # checks ./flows
  switchboard flow-check flows/ extra.yaml --format json
  switchboard flow-check --deny-warnings",
        &[
            (
                exit::OK,
                "no errors (warnings allowed unless --deny-warnings)",
            ),
            (exit::ERRORS, "at least one error"),
            (exit::USAGE, exit::BAD_USAGE),
            (exit::WARNINGS, "warnings only, with --deny-warnings"),
        ],
    )
}

/// `switchboard flow-check`.
#[derive(Debug, clap::Args)]
pub struct Args {
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

/// `switchboard flow-check`: load with the server's loader, print, pick the exit code.
pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
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
                    "flows": loaded.flow_count(),
                    "steps": loaded.step_count(),
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
