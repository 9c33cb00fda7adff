//! `switchboard replay`: recorded calls run again against a flow set
//! ([`crate::tools::replay`]): one call side by side, or the impact of a candidate flows
//! directory on every call of a window. Exit 1 when some call changes, so CI can require an
//! approval before an edit ships.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::calls::{Source, finish, found, with_database};
use super::exit;
use crate::calls::when::parse_instant;
use crate::calls::{Database, Filter, StoreError};
use crate::flow::FlowSet;
use crate::tools::records;
use crate::tools::replay::impact::Impact;
use crate::tools::replay::render::{self, Context};
use crate::tools::replay::{Flows, RecordedCall, Replay, When, load_version, replay};

/// `--help` after the options.
pub fn help() -> String {
    exit::help(
        "\
With a CALLSID, replays that call webhook by webhook through the interpreter, in process,
with its recorded parameters and inputs, and prints the recorded and replayed steps side by
side, marking the first webhook where they part and the decisions that differ. Without one,
replays every call of the window (--since, default 24h) and groups the calls whose path
changes by (recorded path ⇒ new path), with a count and an example each; calls that cannot
be replayed (the candidate waits where the call did not, a redacted input) are counted apart
with the reason.

--flows is a directory (the candidate; default flows) or `recorded`: each webhook against
the flow set version that answered it, from the store. --at recorded (default) runs each
webhook at the instant the server used, so schedules decide as they did; --at now (or an
RFC 3339 time) moves the call to start then.

Examples:
  switchboard replay CA0123456789abcdef0123456789abcdef --flows candidate/
  switchboard replay --since 24h --flows candidate/
  switchboard replay --since 7d --flow acme --flows candidate/ --format json
  switchboard replay --since 1h --flows recorded      # the store reproduces its calls",
        &[
            (exit::OK, "no replayed call changes"),
            (
                exit::ERRORS,
                "some call takes another path (or the candidate stops its replay)",
            ),
            (
                exit::USAGE,
                "bad usage, no such call, no database, or flows that cannot be loaded",
            ),
        ],
    )
}

/// How replays are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people: a call side by side, a window as counts and groups.
    #[value(alias = "text")]
    Table,
    /// One JSON document.
    Json,
}

/// `switchboard replay`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One call to replay (CA…); without it, every call of the window.
    #[arg(value_name = "CALLSID")]
    pub call_sid: Option<String>,
    /// The flows to replay against: a directory, or `recorded`.
    #[arg(long, value_name = "DIR|recorded", default_value = "flows")]
    pub flows: String,
    /// When each webhook runs: `recorded`, `now`, or an RFC 3339 time.
    #[arg(long, value_name = "WHEN", default_value = "recorded")]
    pub at: String,
    /// Calls from this time on: 30m, 1h, 2d back, or an RFC 3339 time (default 24h).
    #[arg(long, value_name = "WHEN", value_parser = parse_when, conflicts_with = "call_sid")]
    pub since: Option<i64>,
    /// Calls before this time.
    #[arg(long, value_name = "WHEN", value_parser = parse_when, conflicts_with = "call_sid")]
    pub until: Option<i64>,
    /// Only calls this flow answered.
    #[arg(long, value_name = "NAME", conflicts_with = "call_sid")]
    pub flow: Option<String>,
    /// Only calls to this number.
    #[arg(long, value_name = "NUMBER", conflicts_with = "call_sid")]
    pub number: Option<String>,
    /// Replay at most this many calls of the window, newest first.
    #[arg(long, value_name = "N", default_value_t = 100_000,
          value_parser = clap::value_parser!(u32).range(1..), conflicts_with = "call_sid")]
    pub limit: u32,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// The database.
    #[command(flatten)]
    pub source: Source,
}

/// The flows replays run against, once loaded.
pub enum Against {
    /// One directory's set.
    Dir(PathBuf, FlowSet),
    /// The versions in the store, loaded as calls need them, and those the store does not
    /// have (asked once).
    Recorded(HashMap<String, FlowSet>, std::collections::HashSet<String>),
}

impl Against {
    fn context(&self, when: When) -> Context {
        Context {
            flows: match self {
                Against::Dir(dir, _) => dir.display().to_string(),
                Against::Recorded(..) => "the recorded flows".to_string(),
            },
            at: match when {
                When::Recorded => "the recorded times".to_string(),
                When::StartingAt(t) => format!("calls moved to start at {t}"),
            },
        }
    }

    /// Loads from the store the versions `call` needs that are not loaded yet.
    pub async fn prepare(&mut self, db: &Database, call: &RecordedCall) -> Result<(), StoreError> {
        let Against::Recorded(sets, missing) = self else {
            return Ok(());
        };
        for v in call.versions() {
            if sets.contains_key(v) || missing.contains(v) {
                continue;
            }
            // A version the store does not have is left out: the replay reports it.
            match db.flow_set(v).await?.and_then(load_version) {
                Some(set) => {
                    sets.insert(v.to_string(), set);
                }
                None => {
                    missing.insert(v.to_string());
                }
            }
        }
        Ok(())
    }

    /// Replays one call.
    pub fn replay(&self, call: &RecordedCall, when: When) -> Replay {
        let flows = match self {
            Against::Dir(_, set) => Flows::Candidate(set),
            Against::Recorded(sets, _) => Flows::Recorded(sets),
        };
        replay(call, flows, when)
    }
}

/// Runs `switchboard replay`.
pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let when = match args.at.as_str() {
        "recorded" => When::Recorded,
        "now" => When::StartingAt(Timestamp::now()),
        other => match parse_instant(other, Timestamp::now().as_microsecond())
            .ok()
            .and_then(|t| Timestamp::from_microsecond(t).ok())
        {
            Some(t) => When::StartingAt(t),
            None => {
                let _ = writeln!(
                    err,
                    "error: --at is `recorded`, `now` or an RFC 3339 time, not {other:?}"
                );
                return exit::USAGE;
            }
        },
    };
    let mut against = if args.flows == "recorded" {
        Against::Recorded(HashMap::new(), std::collections::HashSet::new())
    } else {
        let dir = PathBuf::from(&args.flows);
        match super::load_flows(&dir, err) {
            Ok(set) => Against::Dir(dir, set),
            Err(_) => {
                let _ = writeln!(
                    err,
                    "error: the flows in {} cannot be loaded",
                    dir.display()
                );
                return exit::USAGE;
            }
        }
    };
    let ctx = against.context(when);
    match &args.call_sid {
        Some(sid) => one(args, sid.trim(), &mut against, when, &ctx, out, err),
        None => window(args, &mut against, when, &ctx, out, err),
    }
}

fn one(
    args: &Args,
    sid: &str,
    against: &mut Against,
    when: When,
    ctx: &Context,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let preparing = &mut *against;
    let read = with_database(&args.source, |db| async move {
        let Some(story) = db.story(sid).await? else {
            return Ok(None);
        };
        let call = RecordedCall::from_records(sid, story.records);
        preparing.prepare(&db, &call).await?;
        Ok(Some(call))
    });
    let call = match found(read, sid, &args.source, exit::USAGE, err) {
        Ok(call) => call,
        Err(code) => return code,
    };
    let r = against.replay(&call, when);
    let written = match args.format {
        Format::Table => render::replay_text(&call, &r, ctx, &TimeZone::system(), out),
        Format::Json => render::replay_json(&r, ctx, out),
    };
    match finish(written, err) {
        exit::OK if r.changed() => exit::ERRORS,
        code => code,
    }
}

/// Calls read from the store per query: with at most
/// [`MAX_REPLAY_WEBHOOKS`](crate::calls::query::MAX_REPLAY_WEBHOOKS) webhooks each, a page
/// stays within a few hundred megabytes whatever the calls.
const PAGE: u32 = 100;

fn window(
    args: &Args,
    against: &mut Against,
    when: When,
    ctx: &Context,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let now = Timestamp::now().as_microsecond();
    let since = args.since.unwrap_or(now - 24 * 3_600 * 1_000_000);
    let mut filter = Filter {
        since: Some(since),
        until: args.until,
        to: args.number.clone(),
        flow: args.flow.clone(),
        limit: PAGE,
        ..Filter::default()
    };
    let limit = args.limit as usize;
    let done = with_database(&args.source, |db| async move {
        let mut impact = Impact::default();
        let mut seen = 0usize;
        while seen < limit {
            let page = db.webhooks(filter.clone()).await?;
            for (c, recs) in page.items {
                // A dialed leg is part of its parent's call (its webhooks are the parent's).
                if c.parent_call_sid.is_some() {
                    continue;
                }
                if seen == limit {
                    break;
                }
                seen += 1;
                let call = RecordedCall::from_records(&c.call_sid, recs);
                against.prepare(&db, &call).await?;
                impact.add(&against.replay(&call, when));
            }
            match page.next.as_deref().and_then(crate::calls::Cursor::decode) {
                Some(cursor) => filter.cursor = Some(cursor),
                None => break,
            }
        }
        impact.finish();
        Ok(impact)
    });
    let impact = match done {
        Ok(i) => i,
        Err(msg) => {
            let _ = writeln!(err, "{msg}");
            return exit::USAGE;
        }
    };
    let tz = TimeZone::system();
    let window = format!(
        "from {} to {}",
        records::date_time(since, &tz),
        args.until
            .map_or_else(|| "now".to_string(), |u| records::date_time(u, &tz))
    );
    let written = match args.format {
        Format::Table => render::impact_text(&impact, ctx, &window, out),
        Format::Json => render::impact_json(&impact, ctx, &window, out),
    };
    match finish(written, err) {
        exit::OK if impact.has_changes() => exit::ERRORS,
        code => code,
    }
}

/// `--since`/`--until`: relative to the moment the command runs.
fn parse_when(s: &str) -> Result<i64, String> {
    parse_instant(s, Timestamp::now().as_microsecond())
}
