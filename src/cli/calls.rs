//! `switchboard calls` and `switchboard calls show`: the call records, read from the
//! database `serve` writes ([`crate::calls::Database`]) and printed by
//! [`crate::tools::records`]. Also the pieces `recordings` shares: where the database is,
//! the filters, and fetching pages up to `--limit`.

use std::future::Future;
use std::io::Write;

use clap::{Subcommand, ValueEnum};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::exit;
use crate::calls::query::MAX_LIMIT;
use crate::calls::when::parse_instant;
use crate::calls::{DEFAULT_DATABASE, Database, DatabaseUrl, Filter, Page, StoreError};
use crate::tools::records;

/// `--help` after the options.
pub fn help() -> String {
    exit::help(
        "\
Times are shown in the local time zone (set TZ to change it, e.g. TZ=UTC); JSON carries
microseconds since the epoch. --since and --until take a duration back from now (90s, 30m,
1h, 2d, 1w) or an RFC 3339 time (2026-07-14T16:00:00Z). A reader never creates the
database: `switchboard serve` does.

Examples:
  switchboard calls --since 1h
  switchboard calls --status no-answer --since 1d
  switchboard calls --from +14155550142 --format json | jq .call_sid
  switchboard calls show CA0123456789abcdef0123456789abcdef
  switchboard calls --database postgres://switchboard@db/switchboard --flow acme",
        &[
            (exit::OK, "printed"),
            (
                exit::ERRORS,
                "`calls show`: there is no call with that CallSid",
            ),
            (
                exit::USAGE,
                "bad usage, no database at the path, or the database cannot be read",
            ),
        ],
    )
}

/// Where the records are (`--database`): the same flag and variable as `serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct Source {
    /// The database `switchboard serve` writes: `sqlite:PATH`, `postgres://…`.
    #[arg(long, env = "SWITCHBOARD_DATABASE", value_name = "URL",
          default_value = DEFAULT_DATABASE, value_parser = super::values::DatabaseParser)]
    pub database: DatabaseUrl,
}

/// Which calls (or recordings) to list.
#[derive(Debug, Clone, clap::Args)]
pub struct Filters {
    /// Only calls (recordings) from this time on: 30m, 1h, 2d back, or an RFC 3339 time.
    #[arg(long, value_name = "WHEN", value_parser = parse_when)]
    pub since: Option<i64>,
    /// Only calls (recordings) before this time.
    #[arg(long, value_name = "WHEN", value_parser = parse_when)]
    pub until: Option<i64>,
    /// Only calls from this number (as Twilio sends it, e.g. +14155550142).
    #[arg(long, value_name = "NUMBER")]
    pub from: Option<String>,
    /// Only calls to this number.
    #[arg(long, value_name = "NUMBER")]
    pub to: Option<String>,
    /// Only calls this flow answered.
    #[arg(long, value_name = "NAME")]
    pub flow: Option<String>,
    /// Only this status (completed, no-answer, busy, failed, canceled, unknown, in-progress…).
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,
    /// Show at most this many, newest first.
    #[arg(long, value_name = "N", default_value_t = 50,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: u32,
}

impl Filters {
    /// The filter for the first page.
    pub fn filter(&self) -> Filter {
        Filter {
            since: self.since,
            until: self.until,
            from: self.from.clone(),
            to: self.to.clone(),
            flow: self.flow.clone(),
            status: self.status.clone(),
            limit: 0,
            cursor: None,
            ..Filter::default()
        }
    }
}

/// How lists are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Aligned columns for people.
    Table,
    /// One JSON object per line, for scripts.
    Json,
}

/// How `calls show` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    /// The story for people, in time order.
    Text,
    /// The whole record as one JSON document.
    Json,
}

/// `switchboard calls`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    /// `show CALLSID`; without it, the list.
    #[command(subcommand)]
    pub command: Option<CallsCommand>,
    /// The list's flags.
    #[command(flatten)]
    pub list: ListArgs,
}

/// A list's flags (`calls`, `recordings`).
#[derive(Debug, clap::Args)]
pub struct ListArgs {
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

/// `switchboard calls …`.
#[derive(Debug, Subcommand)]
pub enum CallsCommand {
    /// One call's whole story: every webhook with the steps and rules that decided it, the
    /// status changes, recordings and transcripts, dialed legs.
    Show(ShowArgs),
    /// Write a flow-test case (the format of `switchboard test`) that reproduces a recorded
    /// call and expects its recorded path: a real call as a regression test.
    #[command(name = "export-test", after_help = export_help())]
    ExportTest(ExportArgs),
}

/// `switchboard calls export-test`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The call's CallSid (CA…).
    #[arg(value_name = "CALLSID")]
    pub call_sid: String,
    /// The case's name (default: the CallSid and the path).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The flows the case is checked against when the store does not hold the version that
    /// answered the call.
    #[arg(long, value_name = "DIR", default_value = "flows")]
    pub flows: std::path::PathBuf,
    /// Write the test file here (it must not exist yet) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
    /// The database.
    #[command(flatten)]
    pub source: Source,
}

fn export_help() -> String {
    exit::help(
        "\
The case holds the call's caller, number, first instant and extra parameters, the replies
at each menu or ask, the dial outcomes, recording length and queue result Twilio reported,
and `hang_up: true` when the caller hung up on a menu; it expects the recorded path and
ending. It is written only after it passed against the flow set version that answered the
call (from the store), or --flows when the store does not have it. A call whose input was
redacted (a `sensitive: true` ask) is refused: no case can reproduce a value never stored.

Examples:
  switchboard calls export-test CA0123456789abcdef0123456789abcdef
  switchboard calls export-test CA0123… --name \"VIP busy line\" --out flows/tests/vip-busy.yaml
  switchboard test flows/tests/vip-busy.yaml",
        &[
            (exit::OK, "written"),
            (
                exit::ERRORS,
                "the call cannot become a case (the reason is printed)",
            ),
            (
                exit::USAGE,
                "bad usage, no such call, no database, --out exists, or flows that cannot be loaded",
            ),
        ],
    )
}

/// `switchboard calls show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The call's CallSid (CA…).
    #[arg(value_name = "CALLSID")]
    pub call_sid: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
    pub format: ShowFormat,
    /// The database.
    #[command(flatten)]
    pub source: Source,
}

/// Runs `switchboard calls` (or `calls show`).
pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match &args.command {
        Some(CallsCommand::Show(show)) => return run_show(show, out, err),
        Some(CallsCommand::ExportTest(export)) => return run_export(export, out, err),
        None => {}
    }
    list(
        &args.list,
        |db, f| async move { db.calls(f).await },
        records::calls_table,
        out,
        err,
    )
}

/// A printed list (`calls`, `recordings`): up to `--limit` rows fetched with `page`, as
/// `table` prints them or as JSON lines.
pub fn list<T, P, Fut>(
    args: &ListArgs,
    page: P,
    table: fn(&[T], &TimeZone, &mut dyn Write) -> std::io::Result<()>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32
where
    T: serde::Serialize,
    P: Fn(Database, Filter) -> Fut,
    Fut: Future<Output = Result<Page<T>, StoreError>>,
{
    let filters = &args.filters;
    let listed = with_database(&args.source, |db| async move {
        fetch(filters.filter(), filters.limit, |f| page(db.clone(), f)).await
    });
    let rows = match listed {
        Ok(rows) => rows,
        Err(msg) => {
            let _ = writeln!(err, "{msg}");
            return exit::USAGE;
        }
    };
    let written = match args.format {
        ListFormat::Table => table(&rows, &TimeZone::system(), out),
        ListFormat::Json => records::json_lines(&rows, out),
    };
    finish(written, err)
}

fn run_show(args: &ShowArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let sid = args.call_sid.trim();
    let read = with_database(&args.source, |db| async move { db.story(sid).await });
    let story = match found(read, sid, &args.source, exit::ERRORS, err) {
        Ok(story) => story,
        Err(code) => return code,
    };
    let written = match args.format {
        ShowFormat::Text => records::story_text(&story, &TimeZone::system(), out),
        ShowFormat::Json => records::story_json(&story, out),
    };
    finish(written, err)
}

fn run_export(args: &ExportArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    use crate::tools::replay::RecordedCall;
    use crate::tools::replay::export::{Check, export};
    let sid = args.call_sid.trim();
    let read = with_database(&args.source, |db| async move {
        let Some(story) = db.story(sid).await? else {
            return Ok(None);
        };
        let call = RecordedCall::from_records(sid, story.records);
        // The set that answered the call's first webhook, when the store has it.
        let recorded = match call.versions().first() {
            Some(v) => db.flow_set(v).await?.map(|files| (v.to_string(), files)),
            None => None,
        };
        Ok(Some((call, recorded)))
    });
    let (call, recorded) = match found(read, sid, &args.source, exit::USAGE, err) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let recorded_set = recorded.and_then(|(v, files)| {
        let set = crate::tools::replay::load_version(files)?;
        Some((format!("the recorded flows (version {v})"), set))
    });
    let (name, set) = match recorded_set {
        Some(found) => found,
        None => match super::load_flows(&args.flows, err) {
            Ok(set) => (args.flows.display().to_string(), set),
            Err(_) => return exit::USAGE,
        },
    };
    let check = Check {
        set: &set,
        name: &name,
    };
    let text = match export(&call, args.name.as_deref(), &check) {
        Ok(text) => text,
        Err(e) => {
            let _ = writeln!(err, "error: {}", records::clean(&e.to_string()));
            return exit::ERRORS;
        }
    };
    match &args.out {
        None => finish(out.write_all(text.as_bytes()), err),
        Some(path) => {
            let written = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .and_then(|mut f| {
                    let done = f.write_all(text.as_bytes()).and_then(|()| f.sync_all());
                    if done.is_err() {
                        // Half a test file would fail `switchboard test` for the wrong
                        // reason; the file was created here, so it is ours to remove.
                        let _ = std::fs::remove_file(path);
                    }
                    done
                });
            match written {
                Ok(()) => {
                    let _ = writeln!(err, "wrote {}", path.display());
                    exit::OK
                }
                Err(e) => {
                    let _ = writeln!(err, "error: cannot write {}: {e}", path.display());
                    exit::USAGE
                }
            }
        }
    }
}

/// The value a one-call read found, or the exit code after saying why not: `missing` when
/// there is no such call, [`exit::USAGE`] when the database could not be read.
pub fn found<T>(
    read: Result<Option<T>, String>,
    sid: &str,
    source: &Source,
    missing: i32,
    err: &mut dyn Write,
) -> Result<T, i32> {
    match read {
        Ok(Some(v)) => Ok(v),
        Ok(None) => {
            let _ = writeln!(
                err,
                "error: no call {} in {} (check the CallSid, or --database)",
                records::clean(sid),
                source.database
            );
            Err(missing)
        }
        Err(msg) => {
            let _ = writeln!(err, "{msg}");
            Err(exit::USAGE)
        }
    }
}

/// Opens the database (never creating it), runs `work` on it in a small runtime, and turns
/// every failure into the line to print.
pub fn with_database<T, F, Fut>(source: &Source, work: F) -> Result<T, String>
where
    F: FnOnce(Database) -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("error: cannot start the async runtime: {e}"))?;
    rt.block_on(async {
        let db = match Database::open_existing(&source.database).await {
            Ok(Some(db)) => db,
            Ok(None) => {
                return Err(
                    "error: --database none keeps no records; there is nothing to read \
                     (pass the URL `switchboard serve` uses)"
                        .to_string(),
                );
            }
            Err(e) => return Err(format!("error: {e}")),
        };
        work(db).await.map_err(|e| format!("error: {e}"))
    })
}

/// Fetches pages until `limit` rows or the last page.
pub async fn fetch<T, F, Fut>(
    mut filter: Filter,
    limit: u32,
    mut page: F,
) -> Result<Vec<T>, StoreError>
where
    F: FnMut(Filter) -> Fut,
    Fut: Future<Output = Result<Page<T>, StoreError>>,
{
    let mut rows = Vec::new();
    let limit = limit as usize;
    while rows.len() < limit {
        let left = u32::try_from(limit - rows.len()).unwrap_or(MAX_LIMIT);
        filter.limit = left.min(MAX_LIMIT);
        let Page { items, next } = page(filter.clone()).await?;
        rows.extend(items);
        match next.as_deref().and_then(crate::calls::Cursor::decode) {
            Some(cursor) => filter.cursor = Some(cursor),
            None => break,
        }
    }
    rows.truncate(limit);
    Ok(rows)
}

/// The exit code after printing: a closed pipe (`| head`) is not an error worth a message.
pub fn finish(written: std::io::Result<()>, err: &mut dyn Write) -> i32 {
    match written {
        Ok(()) => exit::OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit::OK,
        Err(e) => {
            let _ = writeln!(err, "error: cannot write the output: {e}");
            exit::USAGE
        }
    }
}

/// `--since`/`--until`: relative to the moment the command runs.
fn parse_when(s: &str) -> Result<i64, String> {
    parse_instant(s, Timestamp::now().as_microsecond())
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::cli::{Cli, Command};

    fn calls_args(extra: &[&str]) -> Args {
        let mut argv = vec!["switchboard", "calls"];
        argv.extend_from_slice(extra);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Calls(a) => a,
            other => panic!("parsed {other:?}"),
        }
    }

    #[test]
    fn defaults_and_flags() {
        let a = calls_args(&[]);
        assert_eq!(a.list.filters.limit, 50);
        assert_eq!(a.list.format, ListFormat::Table);
        assert_eq!(a.list.source.database, DEFAULT_DATABASE.parse().unwrap());
        assert!(a.command.is_none());
        let a = calls_args(&["--since", "2026-07-14T16:00:00Z", "--status", "busy"]);
        assert_eq!(a.list.filters.since, Some(1_784_044_800_000_000));
        assert_eq!(a.list.filters.filter().status.as_deref(), Some("busy"));
        let a = calls_args(&[
            "show",
            "CA1",
            "--format",
            "json",
            "--database",
            "sqlite:x.db",
        ]);
        match a.command {
            Some(CallsCommand::Show(s)) => {
                assert_eq!(s.call_sid, "CA1");
                assert_eq!(s.format, ShowFormat::Json);
                assert_eq!(s.source.database, "sqlite:x.db".parse().unwrap());
            }
            other => panic!("not show: {other:?}"),
        }
        let a = calls_args(&["export-test", "CA1", "--name", "n", "--out", "t.yaml"]);
        match a.command {
            Some(CallsCommand::ExportTest(e)) => {
                assert_eq!((e.call_sid.as_str(), e.name.as_deref()), ("CA1", Some("n")));
                assert_eq!(e.out, Some("t.yaml".into()));
                assert_eq!(e.flows, std::path::PathBuf::from("flows"));
            }
            other => panic!("not export-test: {other:?}"),
        }
        for bad in [
            &["--since", "yesterday"][..],
            &["--limit", "0"],
            &["--database", "mysql://x"],
            &["--format", "yaml"],
            &["show"],
        ] {
            let mut argv = vec!["switchboard", "calls"];
            argv.extend_from_slice(bad);
            assert!(Cli::try_parse_from(argv).is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn fetch_pages_until_the_limit() {
        // 7 rows served 3 to a page (whatever the limit asked): the loop follows cursors.
        let all: Vec<i64> = (0..7).rev().collect();
        let served = std::cell::Cell::new(0);
        let page = |f: Filter| {
            served.set(served.get() + 1);
            let start = f
                .cursor
                .map_or(0, |c| all.iter().position(|&x| x == c.at).unwrap() + 1);
            let items: Vec<i64> = all.iter().skip(start).take(3).copied().collect();
            let next = (start + 3 < all.len()).then(|| {
                crate::calls::Cursor {
                    at: items[2],
                    sid: "CA".into(),
                }
                .encode()
            });
            async move { Ok(Page { items, next }) }
        };
        assert_eq!(
            fetch(Filter::default(), 5, page).await.unwrap(),
            [6, 5, 4, 3, 2]
        );
        assert_eq!(served.get(), 2);
        served.set(0);
        assert_eq!(fetch(Filter::default(), 50, page).await.unwrap().len(), 7);
        assert_eq!(served.get(), 3);
    }
}
