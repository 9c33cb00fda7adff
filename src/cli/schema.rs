//! `switchboard schema`: the JSON Schema of flow files or flow-test files
//! ([`crate::tools::schema`]).

use std::io::Write;

use clap::ValueEnum;
use clap::builder::PossibleValue;

use super::exit;
use crate::tools::schema::{self, Kind};

/// `switchboard schema`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which files the schema describes.
    #[arg(value_enum, default_value_t = Kind::Flow)]
    pub kind: Kind,
}

/// `--help` after the options.
pub const HELP: &str = "\
Examples:
  switchboard schema > schemas/flow.schema.json
  switchboard schema test > schemas/flow-test.schema.json

Then, in a flow file (YAML language server, e.g. VS Code's YAML extension or Neovim's
yamlls):
  # yaml-language-server: $schema=../schemas/flow.schema.json
See docs/editor.md.";

impl ValueEnum for Kind {
    fn value_variants<'a>() -> &'a [Self] {
        &[Kind::Flow, Kind::Test]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            Kind::Flow => PossibleValue::new("flow")
                .help("Flow files (`flows/*.yaml`), shared files (`_*.yaml`) included"),
            Kind::Test => PossibleValue::new("test").help("Flow-test files (`flows/tests/*.yaml`)"),
        })
    }
}

/// Runs `switchboard schema`.
pub fn run(args: &Args, out: &mut dyn Write) -> i32 {
    let _ = out.write_all(schema::render(args.kind).as_bytes());
    exit::OK
}
