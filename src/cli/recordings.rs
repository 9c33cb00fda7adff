//! `switchboard recordings`: the recordings Twilio reported, with their call, newest first
//! ([`crate::tools::records`]). Shares `calls`' database flag, filters and paging.

use std::io::Write;

use super::calls::{ListArgs, list};
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

/// `switchboard recordings`: the list flags `calls` has.
pub type Args = ListArgs;

/// Runs `switchboard recordings`.
pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    list(
        args,
        |db, f| async move { db.recordings(f).await },
        records::recordings_table,
        out,
        err,
    )
}
