//! The call store: every webhook, status, recording and transcription callback Twilio sends,
//! kept so a call can be explained after the fact (docs/records.md).
//!
//! - [`Record`] is the unit of ingestion: built from a request's parameters, keyed so that
//!   storing it twice stores it once.
//! - [`summarize`] folds a call's records into its summary row ([`Call`]) and its
//!   [`Recording`]s; it depends only on the set of records, so arrival order and duplicates
//!   do not change the result.
//! - [`Database`] is the storage: SQLite (embedded, the default) or PostgreSQL (shared by
//!   replicas), both running the SQL in `sql`. This module is the only one that knows SQL.
//! - [`Recorder`] is the writer the server hands records to: group commit, and a local
//!   [spool](Spool) when the database is slow or down, replayed when it is back.
//!
//! Reading goes through [`Database`] too ([`Filter`], [`Page`], [`Story`]), for
//! `switchboard calls` and the HTTP API alike.

#[doc(hidden)]
pub mod conformance;
mod flowsets;
pub mod outbox;
mod postgres;
pub mod query;
pub mod record;
mod recorder;
mod spool;
mod sql;
mod sqlite;
pub mod summary;
pub mod when;

use std::path::PathBuf;
use std::sync::Arc;

pub use flowsets::{FlowSetInfo, FlowSetVersion};
pub use query::{Cursor, Filter, Page, Story};
pub use record::{Arrival, Body, Record};
pub use recorder::{Health, Recorder, RecorderConfig, Refused};
pub use spool::Spool;
pub use summary::{Call, Recording, summarize};

use query::Param;

/// Something went wrong talking to the database. The message never holds a password.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct StoreError {
    /// What failed.
    message: String,
}

impl StoreError {
    pub(crate) fn new(message: impl Into<String>) -> StoreError {
        StoreError {
            message: message.into(),
        }
    }
}

/// Where records are kept: `--database`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite:PATH`.
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…` (the whole URL, password included: never shown).
    Postgres(String),
    /// `none`: keep no records.
    None,
}

/// The default `--database`.
pub const DEFAULT_DATABASE: &str = "sqlite:switchboard.db";

impl std::str::FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "none" {
            return Ok(DatabaseUrl::None);
        }
        if let Some(path) = s.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err("`sqlite:` needs a path, e.g. sqlite:switchboard.db".into());
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(s.to_string()));
        }
        Err("expected sqlite:PATH, postgres://… or none".into())
    }
}

impl std::fmt::Display for DatabaseUrl {
    /// The URL with any password replaced, fit for logs and errors.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseUrl::Sqlite(p) => write!(f, "sqlite:{}", p.display()),
            DatabaseUrl::Postgres(url) => f.write_str(&redact_password(url)),
            DatabaseUrl::None => f.write_str("none"),
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`; also `password=`
/// in the query.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "postgres://***".into();
    };
    // As tokio-postgres reads the URL: the credentials are everything before the first
    // `@`, wherever it is (a password may hold an unencoded `/` or `?`), so that whatever
    // it takes as the password is what is hidden.
    let (authority, tail) = match rest.split_once('@') {
        Some((creds, after)) => {
            let cut = after.find(['/', '?']).unwrap_or(after.len());
            let (host, tail) = after.split_at(cut);
            let creds = match creds.split_once(':') {
                Some((name, _)) => format!("{name}:***"),
                None => creds.to_string(),
            };
            (format!("{creds}@{host}"), tail)
        }
        None => {
            let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
            (authority.to_string(), tail)
        }
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let q: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => kv.to_string(),
                })
                .collect();
            format!("{path}?{}", q.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// How to open the call store (`switchboard serve` flags).
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `--database`.
    pub database: DatabaseUrl,
    /// `--spool`.
    pub spool: PathBuf,
    /// `--spool-max` (bytes).
    pub spool_max: u64,
    /// The writer's settings.
    pub recorder: RecorderConfig,
}

/// The open call store a server uses: the database (to read) and the recorder (to write).
#[derive(Clone)]
pub struct CallStore {
    /// Reads go here.
    pub database: Database,
    /// Writes go here.
    pub recorder: Recorder,
}

impl std::fmt::Debug for CallStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallStore")
            .field("replica", &self.recorder.replica())
            .finish_non_exhaustive()
    }
}

impl CallStore {
    /// Opens the database and the spool and starts the recorder (inside a tokio runtime).
    /// `Ok(None)` for `--database none`. The handle ends once [`Recorder::shutdown`] has
    /// drained the queue.
    pub async fn open(
        opts: &StoreOptions,
    ) -> Result<Option<(CallStore, tokio::task::JoinHandle<()>)>, StoreError> {
        let Some(database) = Database::open(&opts.database).await? else {
            return Ok(None);
        };
        let spool = Spool::open(&opts.spool, opts.spool_max)
            .map_err(|e| StoreError::new(format!("spool {}: {e}", opts.spool.display())))?;
        let (recorder, handle) = Recorder::start(database.clone(), spool, opts.recorder.clone());
        Ok(Some((CallStore { database, recorder }, handle)))
    }
}

/// An open database.
#[derive(Clone)]
pub enum Database {
    /// The embedded store.
    Sqlite(Arc<sqlite::Sqlite>),
    /// The shared store.
    Postgres(Arc<postgres::Postgres>),
}

impl std::fmt::Debug for Database {
    /// The backend only (configurations holding a handle are debug-printed).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Database::Sqlite(_) => "Database(sqlite)",
            Database::Postgres(_) => "Database(postgres)",
        })
    }
}

impl Database {
    /// Opens and migrates the database; `Ok(None)` for `none`.
    pub async fn open(url: &DatabaseUrl) -> Result<Option<Database>, StoreError> {
        match url {
            DatabaseUrl::None => Ok(None),
            DatabaseUrl::Sqlite(path) => {
                let path = path.clone();
                let db = blocking(move || sqlite::Sqlite::open(&path)).await?;
                Ok(Some(Database::Sqlite(Arc::new(db))))
            }
            DatabaseUrl::Postgres(url) => {
                let db = postgres::Postgres::open(url).await?;
                Ok(Some(Database::Postgres(Arc::new(db))))
            }
        }
    }

    /// Opens a database that must already exist, for reading (`switchboard calls`): a
    /// missing SQLite file is an error, not created. `Ok(None)` for `none`.
    pub async fn open_existing(url: &DatabaseUrl) -> Result<Option<Database>, StoreError> {
        match url {
            DatabaseUrl::Sqlite(path) => {
                let path = path.clone();
                let db = blocking(move || sqlite::Sqlite::open_existing(&path)).await?;
                Ok(Some(Database::Sqlite(Arc::new(db))))
            }
            DatabaseUrl::None | DatabaseUrl::Postgres(_) => Database::open(url).await,
        }
    }

    /// Stores records (known keys dropped) and refolds the calls they touch, in one
    /// transaction. Returns how many were new.
    pub async fn write(&self, records: Arc<Vec<Record>>) -> Result<usize, StoreError> {
        self.write_yielding(records, false).await
    }

    /// [`Database::write`]; with `yielding`, SQLite's writer offers the CPU to other
    /// threads every few records (the recorder asks for it while it keeps up; see
    /// `sqlite::YIELD_EVERY`). PostgreSQL's work is on the server: nothing to yield.
    pub async fn write_yielding(
        &self,
        records: Arc<Vec<Record>>,
        yielding: bool,
    ) -> Result<usize, StoreError> {
        match self {
            Database::Sqlite(db) => {
                let db = Arc::clone(db);
                blocking(move || db.write_yielding(&records, yielding)).await
            }
            Database::Postgres(db) => db.write(&records).await,
        }
    }

    /// A page of calls, newest first.
    pub async fn calls(&self, filter: Filter) -> Result<Page<Call>, StoreError> {
        match self {
            Database::Sqlite(db) => {
                let db = Arc::clone(db);
                blocking(move || db.calls(&filter)).await
            }
            Database::Postgres(db) => db.calls(&filter).await,
        }
    }

    /// A page of recordings, newest first.
    pub async fn recordings(&self, filter: Filter) -> Result<Page<Recording>, StoreError> {
        match self {
            Database::Sqlite(db) => {
                let db = Arc::clone(db);
                blocking(move || db.recordings(&filter)).await
            }
            Database::Postgres(db) => db.recordings(&filter).await,
        }
    }

    /// One call's whole story, with its notifications.
    pub async fn story(&self, call_sid: &str) -> Result<Option<Story>, StoreError> {
        let story = match self {
            Database::Sqlite(db) => {
                let db = Arc::clone(db);
                let sid = call_sid.to_string();
                blocking(move || db.story(&sid)).await?
            }
            Database::Postgres(db) => db.story(call_sid).await?,
        };
        let Some(mut story) = story else {
            return Ok(None);
        };
        story.notifications = self.notifications(call_sid).await?;
        Ok(Some(story))
    }

    /// A page of calls (newest first, as [`Database::calls`]) with the webhook records of
    /// each, oldest first: what a replay of a window reads, two queries a page.
    pub async fn webhooks(&self, filter: Filter) -> Result<Page<(Call, Vec<Record>)>, StoreError> {
        let page = self.calls(filter).await?;
        let sids: Vec<String> = page.items.iter().map(|c| c.call_sid.clone()).collect();
        let bodies = match self {
            Database::Sqlite(db) => {
                let db = Arc::clone(db);
                blocking(move || db.webhook_bodies(&sids)).await?
            }
            Database::Postgres(db) => db.webhook_bodies(&sids).await?,
        };
        let mut by_call: std::collections::HashMap<String, Vec<Record>> =
            std::collections::HashMap::new();
        for r in decode_records(&bodies) {
            by_call.entry(r.call_sid.clone()).or_default().push(r);
        }
        let items = page
            .items
            .into_iter()
            .map(|c| {
                let records = by_call.remove(&c.call_sid).unwrap_or_default();
                (c, records)
            })
            .collect();
        Ok(Page {
            items,
            next: page.next,
        })
    }

    /// Open calls with no record since `before`.
    pub async fn stale(&self, before: i64, limit: i64) -> Result<Vec<String>, StoreError> {
        match self {
            Database::Sqlite(db) => {
                let db = Arc::clone(db);
                blocking(move || db.stale(before, limit)).await
            }
            Database::Postgres(db) => db.stale(before, limit).await,
        }
    }

    /// Deletes calls with no record since `before`; returns how many. Then the flow set
    /// versions last served before `before` that no remaining record names, except the
    /// one served last, and the file texts no version holds any more.
    pub async fn prune(&self, before: i64, limit: i64) -> Result<usize, StoreError> {
        match self {
            Database::Sqlite(db) => {
                let db = Arc::clone(db);
                blocking(move || db.prune(before, limit)).await
            }
            Database::Postgres(db) => db.prune(before, limit).await,
        }
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Database::Sqlite(db) => {
                let db = Arc::clone(db);
                blocking(move || db.ping()).await
            }
            Database::Postgres(db) => db.ping().await,
        }
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::new(format!("store task failed: {e}")))?
}

/// Stored record bodies back to records; a body this build cannot read is left out (and
/// logged), never an error that would hide the rest of the call.
fn decode_records(bodies: &[String]) -> Vec<Record> {
    let mut out = Vec::with_capacity(bodies.len());
    for b in bodies {
        match serde_json::from_str::<Record>(b) {
            Ok(r) => out.push(r),
            Err(e) => tracing::warn!(error = %e, "a stored record could not be read; left out"),
        }
    }
    out.sort_by(|a, b| (a.at, &a.key).cmp(&(b.at, &b.key)));
    out
}

fn text(v: &Option<String>) -> Param {
    v.as_ref().map_or(Param::Null, |s| Param::Text(s.clone()))
}

fn int(v: Option<i64>) -> Param {
    v.map_or(Param::Null, Param::Int)
}

/// A row of `sql::CALL_COLUMNS` or `sql::RECORDING_COLUMNS`, read by position. Each backend
/// says how to read its own row type; the column order is written once, in [`call_from`]
/// and [`recording_from`], beside the parameters that write it.
trait Columns {
    /// The backend's error.
    type Error;
    fn text(&self, i: usize) -> Result<String, Self::Error>;
    fn maybe_text(&self, i: usize) -> Result<Option<String>, Self::Error>;
    fn int(&self, i: usize) -> Result<i64, Self::Error>;
    fn maybe_int(&self, i: usize) -> Result<Option<i64>, Self::Error>;
}

/// A `calls` row.
fn call_from<R: Columns>(r: &R) -> Result<Call, R::Error> {
    Ok(Call {
        call_sid: r.text(0)?,
        parent_call_sid: r.maybe_text(1)?,
        account_sid: r.maybe_text(2)?,
        from: r.maybe_text(3)?,
        to: r.maybe_text(4)?,
        direction: r.maybe_text(5)?,
        flow: r.maybe_text(6)?,
        flow_version: r.maybe_text(7)?,
        first_seen: r.int(8)?,
        last_seen: r.int(9)?,
        answered_at: r.maybe_int(10)?,
        ended_at: r.maybe_int(11)?,
        status: r.text(12)?,
        ended: r.int(13)? != 0,
        duration: r.maybe_int(14)?,
        sip_response_code: r.maybe_text(15)?,
        error_code: r.maybe_text(16)?,
        path: r.text(17)?,
        webhooks: r.int(18)?,
        recordings: r.int(19)?,
        failed: r.int(20)? != 0,
    })
}

/// A `recordings` row.
fn recording_from<R: Columns>(r: &R) -> Result<Recording, R::Error> {
    Ok(Recording {
        recording_sid: r.text(0)?,
        call_sid: r.text(1)?,
        status: r.text(2)?,
        url: r.maybe_text(3)?,
        duration: r.maybe_int(4)?,
        at: r.int(5)?,
        error_code: r.maybe_text(6)?,
        transcript: r.maybe_text(7)?,
        transcription_status: r.maybe_text(8)?,
    })
}

/// `UPSERT_CALL`'s parameters.
fn call_params(c: &Call) -> Vec<Param> {
    vec![
        Param::Text(c.call_sid.clone()),
        text(&c.parent_call_sid),
        text(&c.account_sid),
        text(&c.from),
        text(&c.to),
        text(&c.direction),
        text(&c.flow),
        text(&c.flow_version),
        Param::Int(c.first_seen),
        Param::Int(c.last_seen),
        int(c.answered_at),
        int(c.ended_at),
        Param::Text(c.status.clone()),
        Param::Int(i64::from(c.ended)),
        int(c.duration),
        text(&c.sip_response_code),
        text(&c.error_code),
        Param::Text(c.path.clone()),
        Param::Int(c.webhooks),
        Param::Int(c.recordings),
        Param::Int(i64::from(c.failed)),
    ]
}

/// `UPSERT_RECORDING`'s parameters.
fn recording_params(r: &Recording) -> Vec<Param> {
    vec![
        Param::Text(r.recording_sid.clone()),
        Param::Text(r.call_sid.clone()),
        Param::Text(r.status.clone()),
        text(&r.url),
        int(r.duration),
        Param::Int(r.at),
        text(&r.error_code),
        text(&r.transcript),
        text(&r.transcription_status),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A call with more records than a story holds: the first ones, and `truncated`.
    #[tokio::test]
    async fn a_story_is_bounded() {
        let dir = std::env::temp_dir().join(format!("sb-story-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let db = Database::open(&DatabaseUrl::Sqlite(dir.join("calls.db")))
            .await
            .unwrap()
            .unwrap();
        let sid = "CA0000000000000000000000000000b0b0";
        let n = query::MAX_STORY_RECORDS + 3;
        let records: Vec<Record> = (0..n)
            .map(|i| {
                let mut p = crate::form::Params::default();
                p.push("CallSid", sid);
                p.push("CallStatus", "ringing");
                p.push("SequenceNumber", &i.to_string());
                let at = i64::try_from(i).unwrap();
                Record::status(&p, Arrival { at, replica: "t" }).unwrap()
            })
            .collect();
        assert_eq!(db.write(Arc::new(records)).await.unwrap(), n);
        let story = db.story(sid).await.unwrap().unwrap();
        assert!(story.truncated);
        assert_eq!(story.records.len(), query::MAX_STORY_RECORDS);
        assert_eq!(story.records[0].at, 0, "the first records, in order");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn sqlite_keeps_the_store_contract() {
        let dir = std::env::temp_dir().join(format!("sb-sqlite-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let url = DatabaseUrl::Sqlite(dir.join("calls.db"));
        let db = Database::open(&url).await.unwrap().unwrap();
        // Personal data: the owner alone reads the file (the umask may be 022).
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(dir.join("calls.db"))
                .unwrap()
                .permissions(),
        );
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        assert_eq!(conformance::run_all(&db).await, 9);
        // Reopening runs no migration twice.
        drop(db);
        let again = Database::open(&url).await.unwrap().unwrap();
        again.ping().await.unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn database_urls() {
        assert_eq!("none".parse::<DatabaseUrl>(), Ok(DatabaseUrl::None));
        assert_eq!(
            "sqlite:calls.db".parse::<DatabaseUrl>(),
            Ok(DatabaseUrl::Sqlite("calls.db".into()))
        );
        assert_eq!(
            "sqlite:///var/lib/sb.db".parse::<DatabaseUrl>(),
            Ok(DatabaseUrl::Sqlite("/var/lib/sb.db".into()))
        );
        assert!("sqlite:".parse::<DatabaseUrl>().is_err());
        assert!("mysql://x".parse::<DatabaseUrl>().is_err());
        let pg: DatabaseUrl =
            "postgres://sb:hunter2@db:5432/calls?sslmode=disable&password=hunter2"
                .parse()
                .unwrap();
        let shown = pg.to_string();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(
            shown,
            "postgres://sb:***@db:5432/calls?sslmode=disable&password=***"
        );
        assert_eq!(format!("{pg:?}"), shown);
        // tokio-postgres reads everything before the first `@` as the credentials, so a
        // password with an unencoded `/` or `?` is still one: never shown.
        let cases = [
            (
                "postgres://sb:hun/ter2@db/calls",
                "postgres://sb:***@db/calls",
            ),
            (
                "postgres://sb:hun?ter2@db/calls",
                "postgres://sb:***@db/calls",
            ),
            (
                "postgres://db/calls?application_name=a@b",
                "postgres://db/calls?application_name=a@b",
            ),
        ];
        for (url, want) in cases {
            assert_eq!(redact_password(url), want, "{url}");
        }
        assert_eq!(cases.len(), 3);
    }
}
