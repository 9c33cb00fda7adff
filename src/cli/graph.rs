//! `switchboard graph`: a flow as a Mermaid or Graphviz diagram ([`crate::tools::graph`]).

use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;
use clap::builder::PossibleValue;

use super::{exit, load_flows};
use crate::tools::graph::{self, Format};

/// `--help` after the options.
pub fn help() -> String {
    exit::help(
        "\
Examples:
  switchboard graph acme                          # Mermaid, for a ```mermaid block on GitHub
  switchboard graph flows/acme.yaml --format dot | dot -Tsvg > acme.svg
  switchboard graph main --flows examples/speech-menu",
        &[
            (exit::OK, "printed"),
            (exit::ERRORS, exit::FLOWS_HAVE_ERRORS),
            (
                exit::USAGE,
                "bad usage, an unknown flow, or a path that cannot be read",
            ),
        ],
    )
}

/// `switchboard graph`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The flow: its name (a file in --flows) or the path of a flow file.
    pub flow: String,
    /// The flows directory the flow belongs to (other flows and shared files resolve there).
    #[arg(long, value_name = "DIR", default_value = "flows")]
    pub flows: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Mermaid)]
    pub format: Format,
}

impl ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &[Format::Mermaid, Format::Dot]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            Format::Mermaid => PossibleValue::new("mermaid")
                .help("A Mermaid `flowchart` (paste into a ```mermaid block)"),
            Format::Dot => {
                PossibleValue::new("dot").help("Graphviz DOT (`| dot -Tsvg > flow.svg`)")
            }
        })
    }
}

/// Runs `switchboard graph`.
pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let (dir, name) = graph::locate(&args.flow, &args.flows);
    let loaded = match load_flows(&dir, err) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let Some((fid, _)) = loaded.flow(&name) else {
        let mut names: Vec<&str> = loaded.flows().iter().map(|f| f.name.as_str()).collect();
        names.sort_unstable();
        let _ = writeln!(
            err,
            "error: there is no flow `{name}` in {}; flows: {}",
            dir.display(),
            names.join(", ")
        );
        return exit::USAGE;
    };
    let text = graph::render(&graph::build(&loaded, fid), args.format);
    let _ = out.write_all(text.as_bytes());
    exit::OK
}
