//! The embedded backend: one SQLite file in WAL mode, written by one connection (the
//! recorder's writer) and read by another.
//!
//! Blocking: the async side ([`super::Database`]) runs these on tokio's blocking pool.
//! Durability: `synchronous = FULL`, so a committed batch survives a power cut, not only a
//! crash; group commit makes that one fsync per batch, not per record.
//!
//! A deleted database file is noticed before every write (the open connection would
//! otherwise keep writing to the unlinked file and lose it all at the next start): the
//! writer copies what it has into a new file at the path (`VACUUM INTO`) and reopens it.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, ToSql, params_from_iter};

use super::StoreError;
use super::flowsets::{FlowSetInfo, FlowSetVersion};
use super::query::{Cursor, Filter, Page, Param, Story};
use super::record::Record;
use super::sql;
use super::summary::{Call, Recording, summarize};

mod outbox;

/// How long a statement waits for a lock held by another process (a reader, a second
/// `switchboard calls`), before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The SQLite store.
pub struct Sqlite {
    /// The database file.
    path: PathBuf,
    /// The writer's connection and the file identity it was opened on; `None` after a
    /// failure, reopened at the next write.
    writer: Mutex<Option<Writer>>,
    /// The readers' connection (reads never wait behind a commit in WAL mode).
    reader: Mutex<Option<Connection>>,
}

/// An open write connection.
struct Writer {
    /// The connection.
    conn: Connection,
    /// (device, inode) of the file it opened: a different one at the path means the file
    /// was deleted or replaced.
    id: (u64, u64),
}

fn err(context: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::new(format!("sqlite: {context}: {e}"))
}

/// Creates an empty database file that only its owner can read (call records are personal
/// data, and SQLite would create it by the umask, often world-readable); SQLite gives its
/// `-wal` and `-shm` files the same mode. An existing file is left as it is.
fn create_private(path: &Path) -> std::io::Result<()> {
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

/// `path` with `suffix` appended to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn file_id(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

impl Sqlite {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Sqlite, StoreError> {
        let s = Sqlite {
            path: path.to_path_buf(),
            writer: Mutex::new(None),
            reader: Mutex::new(None),
        };
        let w = s.open_writer()?;
        *lock(&s.writer) = Some(w);
        Ok(s)
    }

    /// Opens an existing database for reading only: nothing is created or migrated, so a
    /// reader (`switchboard calls`) pointed at the wrong path leaves no empty database behind.
    pub fn open_existing(path: &Path) -> Result<Sqlite, StoreError> {
        if !path.is_file() {
            return Err(StoreError::new(format!(
                "no database at {} (switchboard serve creates it)",
                path.display()
            )));
        }
        let s = Sqlite {
            path: path.to_path_buf(),
            writer: Mutex::new(None),
            reader: Mutex::new(None),
        };
        s.ping()?;
        Ok(s)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn open_writer(&self) -> Result<Writer, StoreError> {
        create_private(&self.path).map_err(|e| err("create", e))?;
        let mut conn = Connection::open(&self.path).map_err(|e| err("open", e))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| err("busy timeout", e))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| err("journal_mode=WAL", e))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| err("synchronous=FULL", e))?;
        // Keys and call ids are random, so every record touches leaf pages all over the
        // indexes: a page cache that holds them (64 MiB, not SQLite's 2 MiB) saves reading
        // them back, and rarer checkpoints write a hot page once for many commits.
        conn.pragma_update(None, "cache_size", -65_536)
            .map_err(|e| err("cache_size", e))?;
        conn.pragma_update(None, "wal_autocheckpoint", 8_192)
            .map_err(|e| err("wal_autocheckpoint", e))?;
        migrate(&mut conn)?;
        let id = file_id(&self.path)
            .ok_or_else(|| StoreError::new("sqlite: the database file vanished on open"))?;
        Ok(Writer { conn, id })
    }

    /// Stores records (those with a known key are dropped) and refolds the calls they
    /// touch, in one transaction, offering the CPU to other threads every [`YIELD_EVERY`]
    /// records when `yielding`. Returns how many were new.
    pub fn write_yielding(&self, records: &[Record], yielding: bool) -> Result<usize, StoreError> {
        self.with_writer(|conn| write_batch(conn, records, yielding))
    }

    /// Runs `f` on the write connection: the one already open if its file is still at the
    /// path, else a new one. After an error the connection is dropped (after an I/O error
    /// SQLite may need a fresh one) and the next call opens another.
    fn with_writer<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut guard = lock(&self.writer);
        let writer = match guard.take() {
            Some(w) => self.check_file(w)?,
            None => self.open_writer()?,
        };
        let out = f(&writer.conn)?;
        *guard = Some(writer);
        Ok(out)
    }

    /// A writer still on the file at the path; after a deletion, the data copied to a new
    /// file there and that opened.
    fn check_file(&self, w: Writer) -> Result<Writer, StoreError> {
        if file_id(&self.path) == Some(w.id) {
            // The open handle could still write, but a file made read-only says "no more
            // writes" (a backup, a migration): honoured until it is writable again.
            if std::fs::metadata(&self.path).is_ok_and(|m| m.permissions().readonly()) {
                return Err(StoreError::new(format!(
                    "sqlite: {} is read-only",
                    self.path.display()
                )));
            }
            return Ok(w);
        }
        if file_id(&self.path).is_some() {
            return Err(StoreError::new(format!(
                "sqlite: {} was replaced by another file; not writing to it",
                self.path.display()
            )));
        }
        tracing::error!(
            path = %self.path.display(),
            "the database file was deleted; copying the open database back to its path"
        );
        // Copied to a side file first: the old connections must close (checkpointing into
        // the deleted file and removing its `-wal`/`-shm` by name) before anything new
        // exists at the path, or a new database would meet the old one's WAL.
        let side = sibling(&self.path, ".restore");
        let _ = std::fs::remove_file(&side);
        // `VACUUM INTO` takes an empty file, and keeps its mode.
        create_private(&side).map_err(|e| err("copying the deleted database back", e))?;
        let copied = w
            .conn
            .execute("VACUUM INTO ?1", [side.to_string_lossy().as_ref()])
            .map_err(|e| err("copying the deleted database back", e));
        drop(w);
        *lock(&self.reader) = None;
        copied?;
        for leftover in [sibling(&self.path, "-wal"), sibling(&self.path, "-shm")] {
            let _ = std::fs::remove_file(leftover);
        }
        std::fs::rename(&side, &self.path).map_err(|e| err("restoring the database file", e))?;
        self.open_writer()
    }

    /// Runs `f` on the reader connection (opened on first use, reopened after an error).
    fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        let mut guard = lock(&self.reader);
        let conn = match guard.take() {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(|e| err("open for reading", e))?;
                c.busy_timeout(BUSY_TIMEOUT)
                    .map_err(|e| err("busy timeout", e))?;
                c
            }
        };
        let out = f(&conn).map_err(|e| err("read", e))?;
        *guard = Some(conn);
        Ok(out)
    }

    /// A page of calls.
    pub fn calls(&self, filter: &Filter) -> Result<Page<Call>, StoreError> {
        let (q, params) = filter.calls_sql();
        let rows = self.read(|c| {
            let mut st = c.prepare(&q)?;
            let rows = st.query_map(params_from_iter(params.iter().map(bind)), call_row)?;
            rows.collect::<rusqlite::Result<Vec<Call>>>()
        })?;
        Ok(filter.page(rows, |c| Cursor {
            at: c.first_seen,
            sid: c.call_sid.clone(),
        }))
    }

    /// A page of recordings.
    pub fn recordings(&self, filter: &Filter) -> Result<Page<Recording>, StoreError> {
        let (q, params) = filter.recordings_sql();
        let rows = self.read(|c| {
            let mut st = c.prepare(&q)?;
            let rows = st.query_map(params_from_iter(params.iter().map(bind)), recording_row)?;
            rows.collect::<rusqlite::Result<Vec<Recording>>>()
        })?;
        Ok(filter.page(rows, |r| Cursor {
            at: r.at,
            sid: r.recording_sid.clone(),
        }))
    }

    /// One call and everything recorded about it.
    pub fn story(&self, call_sid: &str) -> Result<Option<Story>, StoreError> {
        let (call, bodies, recordings, children) = self.read(|c| {
            let call = c
                .query_row(sql::CALL_BY_SID, [call_sid], call_row)
                .optional()?;
            let bodies = c
                .prepare(sql::CALL_RECORDS)?
                .query_map([call_sid], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            let recordings = c
                .prepare(sql::CALL_RECORDINGS)?
                .query_map([call_sid], recording_row)?
                .collect::<rusqlite::Result<Vec<Recording>>>()?;
            let children = c
                .prepare(sql::CALL_CHILDREN)?
                .query_map([call_sid], call_row)?
                .collect::<rusqlite::Result<Vec<Call>>>()?;
            Ok((call, bodies, recordings, children))
        })?;
        let Some(call) = call else { return Ok(None) };
        let truncated = bodies.len() > super::query::MAX_STORY_RECORDS;
        let records =
            super::decode_records(&bodies[..bodies.len().min(super::query::MAX_STORY_RECORDS)]);
        Ok(Some(Story {
            call,
            recordings,
            records,
            children,
            truncated,
            notifications: Vec::new(),
        }))
    }

    /// The stored bodies of the webhook records of these calls.
    pub fn webhook_bodies(&self, sids: &[String]) -> Result<Vec<String>, StoreError> {
        if sids.is_empty() {
            return Ok(Vec::new());
        }
        let q = super::query::webhooks_sql(sids.len());
        self.read(|c| {
            c.prepare(&q)?
                .query_map(params_from_iter(sids.iter()), |r| r.get(0))?
                .collect()
        })
    }

    /// Open calls with no record since `before` (µs), at most `limit`.
    pub fn stale(&self, before: i64, limit: i64) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            c.prepare(sql::STALE_CALLS)?
                .query_map([before, limit], |r| r.get(0))?
                .collect()
        })
    }

    /// Deletes calls with no record since `before`, at most `limit`; returns how many.
    pub fn prune(&self, before: i64, limit: i64) -> Result<usize, StoreError> {
        let sids: Vec<String> = self.read(|c| {
            c.prepare(sql::OLD_CALLS)?
                .query_map([before, limit], |r| r.get(0))?
                .collect()
        })?;
        self.with_writer(|conn| {
            let tx = conn.unchecked_transaction().map_err(|e| err("begin", e))?;
            for sid in &sids {
                for q in sql::DELETE_CALL {
                    tx.execute(q, [sid]).map_err(|e| err("prune", e))?;
                }
            }
            let [sets, names, texts] = sql::PRUNE_FLOW_SETS;
            let versions = tx.execute(sets, [before]).map_err(|e| err("prune", e))?;
            if versions > 0 {
                tracing::debug!(versions, "call store: pruned flow set versions");
                for q in [names, texts] {
                    tx.execute(q, []).map_err(|e| err("prune", e))?;
                }
            }
            tx.commit().map_err(|e| err("commit", e))
        })?;
        Ok(sids.len())
    }

    /// Stores a flow set version, its texts once each, in one transaction.
    pub fn keep_flow_set(&self, v: &FlowSetVersion) -> Result<(), StoreError> {
        let rows = super::flowsets::file_rows(v);
        let files = i64::try_from(rows.len()).unwrap_or(i64::MAX);
        self.with_writer(|conn| {
            let step = |e| err("keep flow set", e);
            let tx = conn.unchecked_transaction().map_err(|e| err("begin", e))?;
            for (name, digest, text) in &rows {
                tx.execute(sql::INSERT_FLOW_FILE, rusqlite::params![digest, text])
                    .map_err(step)?;
                tx.execute(
                    sql::INSERT_FLOW_SET_FILE,
                    rusqlite::params![v.version, name, digest],
                )
                .map_err(step)?;
            }
            tx.execute(
                sql::UPSERT_FLOW_SET,
                rusqlite::params![v.version, v.digest, v.served_at, files],
            )
            .map_err(step)?;
            tx.commit().map_err(|e| err("commit", e))?;
            // The texts just written sit in the writer's page cache (up to 64 MiB), where
            // a few reloads of a large flow set would keep megabytes of them that no
            // record write needs: given back now, once per version (the cache holds the
            // records' index pages again within moments).
            conn.execute_batch("PRAGMA shrink_memory")
                .map_err(|e| err("shrink_memory", e))
        })
    }

    /// A stored version's files, by name; `None` when it is not stored.
    pub fn flow_set(&self, version: &str) -> Result<Option<Vec<(String, String)>>, StoreError> {
        self.read(|c| {
            // One snapshot: a prune between the two reads cannot leave a version without
            // its files.
            let tx = c.unchecked_transaction()?;
            if !tx.prepare(sql::FLOW_SET_EXISTS)?.exists([version])? {
                return Ok(None);
            }
            let files = tx
                .prepare(sql::FLOW_SET_FILES)?
                .query_map([version], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            tx.finish()?;
            Ok(Some(files))
        })
    }

    /// The stored versions, newest first.
    pub fn flow_sets(&self, limit: i64) -> Result<Vec<FlowSetInfo>, StoreError> {
        self.read(|c| {
            c.prepare(sql::FLOW_SETS)?
                .query_map([limit], |r| {
                    Ok(FlowSetInfo {
                        version: r.get(0)?,
                        digest: r.get(1)?,
                        first_served: r.get(2)?,
                        last_served: r.get(3)?,
                        files: r.get(4)?,
                    })
                })?
                .collect()
        })
    }

    /// How many file texts are stored.
    pub fn flow_file_count(&self) -> Result<i64, StoreError> {
        self.read(|c| c.query_row(sql::COUNT_FLOW_FILES, [], |r| r.get(0)))
    }

    /// A version is still served at `at`.
    pub fn flow_set_served(&self, version: &str, at: i64) -> Result<(), StoreError> {
        self.with_writer(|conn| {
            conn.execute(sql::FLOW_SET_SERVED, rusqlite::params![at, version])
                .map(|_| ())
                .map_err(|e| err("flow set served", e))
        })
    }

    /// Whether the database answers.
    pub fn ping(&self) -> Result<(), StoreError> {
        self.read(|c| c.query_row("SELECT 1", [], |_| Ok(())))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves a connection that is still usable (SQLite rolls
    // back an open transaction when its handle drops), so a poisoned lock is taken over.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
        .map_err(|e| err("migrate", e))?;
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| err("migrate", e))?;
    let done: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version",
            [],
            |r| r.get(0),
        )
        .map_err(|e| err("migrate", e))?;
    let known = i64::try_from(sql::MIGRATIONS.len()).unwrap_or(i64::MAX);
    if done > known {
        return Err(StoreError::new(format!(
            "sqlite: the database has schema version {done}; this build knows {known} (it was written by a newer switchboard)"
        )));
    }
    for (i, m) in sql::MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(done).unwrap_or(0))
    {
        tx.execute_batch(m).map_err(|e| err("migrate", e))?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            [i64::try_from(i + 1).unwrap_or(i64::MAX)],
        )
        .map_err(|e| err("migrate", e))?;
    }
    tx.commit().map_err(|e| err("migrate", e))
}

/// Records the writer stores between two offers of the CPU to other threads, when it
/// yields. A batch is milliseconds of CPU; where the writer shares a core with the request
/// handlers (a small VM, the benchmark kit), a webhook arriving meanwhile would wait for the
/// scheduler's time slice (several ms). Yielding bounds that wait to a fraction of a ms. The
/// recorder asks for it only for webhooks alone (a callback waits for its commit) and only
/// while it keeps up with its queue: a writer that yields to handlers that are always busy
/// would fall behind until its queue overflows.
const YIELD_EVERY: usize = 8;

/// Before the `i`th record (or call) of a batch: every [`YIELD_EVERY`], when `yielding`,
/// lets other threads run.
fn offer_cpu(yielding: bool, i: usize) {
    if yielding && i % YIELD_EVERY == YIELD_EVERY - 1 {
        std::thread::yield_now();
    }
}

fn write_batch(conn: &Connection, records: &[Record], yielding: bool) -> Result<usize, StoreError> {
    let tx = conn.unchecked_transaction().map_err(|e| err("begin", e))?;
    let mut new = 0;
    // The records each touched call got in this batch.
    let mut fresh: BTreeMap<&str, Vec<Record>> = BTreeMap::new();
    {
        let mut insert = tx
            .prepare_cached(sql::INSERT_RECORD)
            .map_err(|e| err("prepare", e))?;
        for (i, r) in records.iter().enumerate() {
            offer_cpu(yielding, i);
            let body = serde_json::to_string(r).map_err(|e| err("encode", e))?;
            let view = r.fold_view();
            let fold = serde_json::to_string(&view).map_err(|e| err("encode", e))?;
            let n = insert
                .execute(rusqlite::params![
                    r.key,
                    r.call_sid,
                    r.body.kind(),
                    r.at,
                    r.replica,
                    body,
                    fold,
                    super::flowsets::flow_version(r)
                ])
                .map_err(|e| err("insert", e))?;
            if n > 0 {
                new += n;
                outbox::insert_raised(&tx, r)?;
                fresh.entry(&r.call_sid).or_default().push(view);
            }
        }
    }
    for (i, (sid, records)) in fresh.into_iter().enumerate() {
        offer_cpu(yielding, i);
        refold(&tx, sid, records)?;
    }
    tx.commit().map_err(|e| err("commit", e))?;
    Ok(new)
}

/// Rewrites a call's summary and recordings from all its records. A call with no summary
/// row has no records but `fresh` (the ones this transaction just stored): every
/// transaction that stores records writes their calls' rows, and pruning deletes both, so
/// a new call is folded without reading anything back. (The writer is the only one; the
/// PostgreSQL backend, shared by replicas, always reads.)
fn refold(
    tx: &rusqlite::Transaction<'_>,
    call_sid: &str,
    fresh: Vec<Record>,
) -> Result<(), StoreError> {
    let known = tx
        .prepare_cached(sql::CALL_EXISTS)
        .and_then(|mut st| st.exists([call_sid]))
        .map_err(|e| err("read call", e))?;
    let records = if known {
        let folds: Vec<String> = tx
            .prepare_cached(sql::CALL_FOLDS)
            .and_then(|mut st| {
                st.query_map([call_sid], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()
            })
            .map_err(|e| err("read records", e))?;
        super::decode_records(&folds)
    } else {
        fresh
    };
    let (call, recordings) = summarize(call_sid, &records);
    let params = super::call_params(&call);
    tx.prepare_cached(sql::UPSERT_CALL)
        .and_then(|mut st| st.execute(params_from_iter(params.iter().map(bind))))
        .map_err(|e| err("write call", e))?;
    for rec in &recordings {
        let params = super::recording_params(rec);
        tx.prepare_cached(sql::UPSERT_RECORDING)
            .and_then(|mut st| st.execute(params_from_iter(params.iter().map(bind))))
            .map_err(|e| err("write recording", e))?;
    }
    Ok(())
}

fn bind(p: &Param) -> &dyn ToSql {
    match p {
        Param::Int(i) => i,
        Param::Text(s) => s,
        Param::Null => &rusqlite::types::Null,
    }
}

impl super::Columns for rusqlite::Row<'_> {
    type Error = rusqlite::Error;
    fn text(&self, i: usize) -> rusqlite::Result<String> {
        self.get(i)
    }
    fn maybe_text(&self, i: usize) -> rusqlite::Result<Option<String>> {
        self.get(i)
    }
    fn int(&self, i: usize) -> rusqlite::Result<i64> {
        self.get(i)
    }
    fn maybe_int(&self, i: usize) -> rusqlite::Result<Option<i64>> {
        self.get(i)
    }
}

fn call_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Call> {
    super::call_from(r)
}

fn recording_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Recording> {
    super::recording_from(r)
}
