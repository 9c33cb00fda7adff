//! `switchboard recordings`: the recordings Twilio reported, with their call, newest first
//! ([`crate::tools::records`]). Shares `calls`' database flag, filters and paging.

use std::io::Write;

use jiff::tz::TimeZone;

use super::calls::{Filters, ListFormat, Source, fetch, finish, with_database};
use super::exit;
use crate::tools::records;

/// `--help` after the options.
pub fn help() -> String {
    exit::help(
        "\
The filters apply to the recording's time and status, and to its call's numbers and flow.
Times as in `switchboard calls --help`. A recording's URL is often fetchable without
authentication: treat the output like the recordings themselves.

Examples:
  switchboard recordings --since 1d
  switchboard recordings --flow voicemail --format json | jq -r .url",
        &[
            (exit::OK, "printed"),
            (
                exit::USAGE,
                "bad usage, no database at the path, or the database cannot be read",
            ),
        ],
    )
}

/// `switchboard recordings`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to list.
    #[command(flatten)]
    pub filters: Filters,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// The database.
    #[command(flatten)]
    pub source: Source,
}

/// Runs `switchboard recordings`.
pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let listed = with_database(&args.source, |db| async move {
        fetch(args.filters.filter(), args.filters.limit, |f| {
            db.recordings(f)
        })
        .await
    });
    let recordings = match listed {
        Ok(r) => r,
        Err(msg) => {
            let _ = writeln!(err, "{msg}");
            return exit::USAGE;
        }
    };
    let written = match args.format {
        ListFormat::Table => records::recordings_table(&recordings, &TimeZone::system(), out),
        ListFormat::Json => records::json_lines(&recordings, out),
    };
    finish(written, err)
}
