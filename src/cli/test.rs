//! `switchboard test`: run flow-test files ([`crate::tools::flowtest`]).

use std::io::Write;
use std::path::PathBuf;

use regex::Regex;

use super::exit;
use crate::tools::flowtest;

/// `--help` after the options.
pub fn help() -> String {
    exit::help(
        "\
Examples:
  switchboard test                               # every file in flows/tests/
  switchboard test examples/queue/tests/         # a directory of test files
  switchboard test flows/tests/acme.yaml --run 'vip|closed'

A test file tests the flows in the directory above its tests/ directory, unless it says
`flows: <dir>` (relative to the file). See docs/tools.md for the format.",
        &[
            (exit::OK, "every case passed"),
            (
                exit::ERRORS,
                "a case failed, a test file is malformed, or the flows have errors",
            ),
            (exit::USAGE, exit::BAD_USAGE),
        ],
    )
}

/// `switchboard test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Test files or directories of them [default: flows/tests]
    pub paths: Vec<PathBuf>,
    /// Run only the cases whose name matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub run: Option<String>,
    /// Print the whole simulated call of each failing case.
    #[arg(short, long)]
    pub verbose: bool,
}

/// Runs `switchboard test`.
pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let filter = match args.run.as_deref().map(Regex::new).transpose() {
        Ok(f) => f,
        Err(e) => {
            let _ = writeln!(err, "error: --run: {e}");
            return exit::USAGE;
        }
    };
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("flows/tests")]
    } else {
        args.paths.clone()
    };
    let summary = match flowtest::run(&paths, filter.as_ref(), args.verbose, out) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return exit::USAGE;
        }
    };
    if summary.selected == 0 && summary.failed == 0 && filter.is_some() {
        let _ = writeln!(err, "note: no case matches --run");
    }
    let _ = writeln!(out, "{summary}");
    if summary.failed > 0 {
        exit::ERRORS
    } else {
        exit::OK
    }
}
