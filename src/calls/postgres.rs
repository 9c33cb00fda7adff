//! The shared backend: PostgreSQL through `tokio-postgres` and a `deadpool-postgres` pool,
//! for several replicas writing the same records.
//!
//! - No TLS (`NoTls`): the connection is plain TCP or a unix socket, so the database must be
//!   on a private network, on the same host, or behind a local TLS proxy (docs/deploy.md).
//! - Migrations run in one transaction under a transaction-scoped advisory lock
//!   ([`MIGRATION_LOCK`]), so replicas starting together run each migration once.
//! - A write is one transaction; each call it touches is refolded from all its records under
//!   a per-call lock, which is what makes concurrent replicas converge (see [`write_once`]).
//! - Errors never show the password: the URL is shown redacted, and any error text is
//!   scrubbed of the password before it leaves this module.

use std::str::FromStr;
use std::time::Duration;

use bytes::BytesMut;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use tokio_postgres::{NoTls, Row};

use super::StoreError;
use super::flowsets::{FlowSetInfo, FlowSetVersion};
use super::query::{Cursor, Filter, Page, Param, Story};
use super::record::Record;
use super::sql;
use super::summary::{Call, Recording, summarize};

mod outbox;

/// Connections one replica keeps open at most (the recorder's writer, the reaper and the
/// readers of the API share them). The server's `max_connections` must allow this many per
/// replica plus the operator's own.
pub const POOL_SIZE: usize = 8;

/// How long to wait for a free connection, a new connection, or a health check before
/// failing (the recorder spools instead of waiting longer).
const POOL_TIMEOUT: Duration = Duration::from_secs(10);

/// The TCP connect timeout when the URL sets none (`connect_timeout=` in the URL wins).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// `pg_advisory_xact_lock(bigint)` key held while migrating: "switchboard" in hex-ish
/// letters, outside the `int4` range so no other use of the lock space can meet it.
const MIGRATION_LOCK: i64 = 0x5357_4254_4348_0001;

/// `pg_advisory_xact_lock(bigint)` key held while storing or pruning flow set versions:
/// without it a prune could delete a file text (no version held it yet) that a replica
/// storing a new version has just found already there and is about to name.
const FLOW_SETS_LOCK: i64 = 0x5357_4254_4348_0002;

/// The first key of the two-key advisory lock taken per call (the second is
/// `hashtext(call_sid)`); two-key locks never meet the one-key [`MIGRATION_LOCK`].
const CALL_LOCK_CLASS: i32 = 0x5342_0011;

/// How many times a write is tried when PostgreSQL aborts it as a deadlock or
/// serialization failure (both mean "run it again", and the write is idempotent).
const WRITE_ATTEMPTS: u32 = 5;

/// Why the migrations did not run.
enum Migration {
    /// No connection to the server.
    Unreachable(StoreError),
    /// The server refused them (or the schema is newer than this build).
    Failed(StoreError),
}

/// The PostgreSQL store.
pub struct Postgres {
    /// The connections.
    pool: Pool,
    /// The URL's password (decoded and as written), scrubbed from every error message;
    /// empty when there is none.
    secrets: Vec<String>,
    /// Set once the migrations have run. A server that starts while PostgreSQL is
    /// unreachable runs them on first use instead (its records wait in the spool).
    migrated: tokio::sync::OnceCell<()>,
    /// The URL with the password hidden, for messages.
    shown: String,
}

impl Postgres {
    /// Connects and migrates. Fails when the URL cannot be read, the server cannot be
    /// reached, or the schema is newer than this build.
    pub async fn open(url: &str) -> Result<Postgres, StoreError> {
        let shown = super::redact_password(url);
        let mut secrets = raw_password(url).into_iter().collect::<Vec<_>>();
        let mut config = tokio_postgres::Config::from_str(url).map_err(|e| {
            StoreError::new(scrub(
                &format!("postgres: cannot read the URL {shown}: {}", describe(&e)),
                &secrets,
            ))
        })?;
        if let Some(p) = config.get_password() {
            secrets.push(String::from_utf8_lossy(p).into_owned());
        }
        secrets.retain(|s| !s.is_empty());
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("switchboard");
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                // A connection the server closed (a restart, an outage) is noticed and
                // replaced at checkout without a round trip.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_TIMEOUT))
            .create_timeout(Some(POOL_TIMEOUT))
            .recycle_timeout(Some(POOL_TIMEOUT))
            .build()
            .map_err(|e| StoreError::new(format!("postgres: pool for {shown}: {e}")))?;
        let db = Postgres {
            pool,
            secrets,
            migrated: tokio::sync::OnceCell::new(),
            shown,
        };
        match db.ensure_migrated().await {
            Ok(()) => {}
            // Unreachable now (a restart during an outage): serve anyway, spool, and
            // migrate once it answers. Anything the server itself said is fatal.
            Err(Migration::Unreachable(e)) => tracing::warn!(
                error = %e,
                "postgres is unreachable at start; records are spooled until it answers"
            ),
            Err(Migration::Failed(e)) => return Err(e),
        }
        Ok(db)
    }

    /// Runs the migrations unless they ran already.
    async fn ensure_migrated(&self) -> Result<(), Migration> {
        self.migrated
            .get_or_try_init(|| self.migrate())
            .await
            .map(|_| ())
    }

    fn err(&self, context: &str, e: impl std::error::Error + 'static) -> StoreError {
        let text = format!("postgres: {context}: {}", describe(&e));
        StoreError::new(scrub(&text, &self.secrets))
    }

    /// A pooled connection, to a migrated database.
    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        if self.migrated.get().is_none() {
            self.ensure_migrated()
                .await
                .map_err(|(Migration::Unreachable(e) | Migration::Failed(e))| e)?;
        }
        self.pool.get().await.map_err(|e| self.err("connect", e))
    }

    /// Runs the migrations not yet run, all in one transaction holding
    /// [`MIGRATION_LOCK`]: a replica that starts while another migrates waits for it, then
    /// finds the work done. `CREATE TABLE IF NOT EXISTS` alone is not enough, as two
    /// sessions running it at once can both try to create the table.
    async fn migrate(&self) -> Result<(), Migration> {
        let mut client = self.pool.get().await.map_err(|e| {
            // The server answered and refused (no such database, bad password): a
            // configuration error. No answer at all: an outage, waited out.
            let refused =
                matches!(&e, deadpool_postgres::PoolError::Backend(b) if b.code().is_some());
            let e = StoreError::new(format!(
                "{} (database {})",
                self.err("connect", e),
                self.shown
            ));
            if refused {
                Migration::Failed(e)
            } else {
                Migration::Unreachable(e)
            }
        })?;
        self.migrate_on(&mut client).await.map_err(|e| {
            Migration::Failed(StoreError::new(format!("{e} (database {})", self.shown)))
        })
    }

    async fn migrate_on(&self, client: &mut deadpool_postgres::Object) -> Result<(), StoreError> {
        let tx = client
            .transaction()
            .await
            .map_err(|e| self.err("migrate", e))?;
        let step = |e| self.err("migrate", e);
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(step)?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
            .await
            .map_err(step)?;
        let done: i64 = tx
            .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
            .await
            .and_then(|r| r.try_get(0))
            .map_err(step)?;
        let known = i64::try_from(sql::MIGRATIONS.len()).unwrap_or(i64::MAX);
        if done > known {
            return Err(StoreError::new(format!(
                "postgres: the database has schema version {done}; this build knows {known} (it was written by a newer switchboard)"
            )));
        }
        for (i, m) in sql::MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(done).unwrap_or(0))
        {
            tx.batch_execute(m).await.map_err(step)?;
            let version = i64::try_from(i + 1).unwrap_or(i64::MAX);
            tx.execute(
                "INSERT INTO schema_version (version) VALUES ($1)",
                &[&version],
            )
            .await
            .map_err(step)?;
        }
        tx.commit().await.map_err(step)
    }

    /// Stores records (those with a known key are dropped) and refolds the calls they
    /// touch, in one transaction, tried again on a deadlock or serialization failure.
    /// Returns how many were new.
    pub async fn write(&self, records: &[Record]) -> Result<usize, StoreError> {
        // Key order everywhere: two replicas inserting overlapping batches take the
        // unique-index locks in the same order, so they queue instead of deadlocking.
        let mut sorted: Vec<&Record> = records.iter().collect();
        sorted.sort_by(|a, b| a.key.cmp(&b.key));
        sorted.dedup_by(|a, b| a.key == b.key);
        let mut attempt = 1;
        loop {
            match self.write_once(&sorted).await {
                Ok(n) => return Ok(n),
                Err(Failure::Retry(e)) if attempt < WRITE_ATTEMPTS => {
                    let error = scrub(&describe(&e), &self.secrets);
                    tracing::debug!(attempt, %error, "retrying a write");
                    // A short pause that grows, so the transactions that collided do not
                    // collide again in lockstep.
                    tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt))).await;
                    attempt += 1;
                }
                Err(Failure::Retry(e) | Failure::Fatal(e)) => return Err(self.err("write", e)),
                Err(Failure::Store(e)) => return Err(e),
            }
        }
    }

    /// One try of [`Postgres::write`].
    ///
    /// Why replicas converge, under PostgreSQL's default READ COMMITTED: every transaction
    /// first inserts its new records, then, for each call it touched (in sorted order, so
    /// no two writers wait on each other in a cycle), takes the call's advisory lock and
    /// only then reads all the call's records and rewrites the summary from them. Each
    /// statement in READ COMMITTED sees everything committed before it began. Of two
    /// writers touching one call, the one that takes the lock second waits until the first
    /// commits, so its read sees the first one's records as well as its own: the summary
    /// written last is always the fold of every record committed so far. A record
    /// whose key another transaction is inserting blocks until that one commits and is then
    /// skipped (`ON CONFLICT DO NOTHING`); the other transaction folds it.
    async fn write_once(&self, records: &[&Record]) -> Result<usize, Failure> {
        let mut client = self.client().await.map_err(Failure::Store)?;
        let tx = client.transaction().await?;
        let insert = tx.prepare_cached(sql::INSERT_RECORD).await?;
        let mut new = 0;
        let mut touched: Vec<&str> = Vec::new();
        for r in records {
            let body =
                serde_json::to_string(r).map_err(|e| Failure::Store(self.err("encode", e)))?;
            let fold = serde_json::to_string(&r.fold_view())
                .map_err(|e| Failure::Store(self.err("encode", e)))?;
            let n = tx
                .execute(
                    &insert,
                    &[
                        &r.key,
                        &r.call_sid,
                        &r.body.kind(),
                        &r.at,
                        &r.replica,
                        &body,
                        &fold,
                        &super::flowsets::flow_version(r),
                    ],
                )
                .await?;
            if n > 0 {
                new += 1;
                outbox::insert_raised(&tx, r).await?;
                touched.push(&r.call_sid);
            }
        }
        touched.sort_unstable();
        touched.dedup();
        let lock = tx
            .prepare_cached("SELECT pg_advisory_xact_lock($1, hashtext($2))")
            .await?;
        let read = tx.prepare_cached(sql::CALL_FOLDS).await?;
        let upsert_call = tx.prepare_cached(sql::UPSERT_CALL).await?;
        let upsert_recording = tx.prepare_cached(sql::UPSERT_RECORDING).await?;
        for sid in touched {
            tx.execute(&lock, &[&CALL_LOCK_CLASS, &sid]).await?;
            let bodies = tx
                .query(&read, &[&sid])
                .await?
                .iter()
                .map(|row| row.try_get::<_, String>(0))
                .collect::<Result<Vec<String>, _>>()?;
            let (call, recordings) = summarize(sid, &super::decode_records(&bodies));
            let params = super::call_params(&call);
            tx.execute(&upsert_call, &binds(&params)).await?;
            for rec in &recordings {
                let params = super::recording_params(rec);
                tx.execute(&upsert_recording, &binds(&params)).await?;
            }
        }
        tx.commit().await?;
        Ok(new)
    }

    /// A page of calls.
    pub async fn calls(&self, filter: &Filter) -> Result<Page<Call>, StoreError> {
        let (q, params) = filter.calls_sql();
        let calls = self.query(&q, &params, call_row).await?;
        Ok(filter.page(calls, |c| Cursor {
            at: c.first_seen,
            sid: c.call_sid.clone(),
        }))
    }

    /// A page of recordings.
    pub async fn recordings(&self, filter: &Filter) -> Result<Page<Recording>, StoreError> {
        let (q, params) = filter.recordings_sql();
        let recordings = self.query(&q, &params, recording_row).await?;
        Ok(filter.page(recordings, |r| Cursor {
            at: r.at,
            sid: r.recording_sid.clone(),
        }))
    }

    /// The rows `q` returns, each read by `read`.
    async fn query<T>(
        &self,
        q: &str,
        params: &[Param],
        read: impl Fn(&Row) -> Result<T, tokio_postgres::Error>,
    ) -> Result<Vec<T>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(q, &binds(params))
            .await
            .map_err(|e| self.err("read", e))?;
        rows.iter()
            .map(read)
            .collect::<Result<Vec<T>, _>>()
            .map_err(|e| self.err("read", e))
    }

    /// One call and everything recorded about it, read from one snapshot (REPEATABLE
    /// READ) so the summary, records and recordings agree with each other.
    pub async fn story(&self, call_sid: &str) -> Result<Option<Story>, StoreError> {
        let step = |e| self.err("read story", e);
        let mut client = self.client().await?;
        let tx = snapshot(&mut client).await.map_err(step)?;
        let Some(row) = tx
            .query_opt(sql::CALL_BY_SID, &[&call_sid])
            .await
            .map_err(step)?
        else {
            return Ok(None);
        };
        let call = call_row(&row).map_err(step)?;
        let bodies = rows(&tx, sql::CALL_RECORDS, call_sid, |r| r.try_get(0))
            .await
            .map_err(step)?;
        let recordings = rows(&tx, sql::CALL_RECORDINGS, call_sid, recording_row)
            .await
            .map_err(step)?;
        let children = rows(&tx, sql::CALL_CHILDREN, call_sid, call_row)
            .await
            .map_err(step)?;
        tx.commit().await.map_err(step)?;
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
    pub async fn webhook_bodies(&self, sids: &[String]) -> Result<Vec<String>, StoreError> {
        if sids.is_empty() {
            return Ok(Vec::new());
        }
        let params: Vec<Param> = sids.iter().map(|s| Param::Text(s.clone())).collect();
        self.query(&super::query::webhooks_sql(sids.len()), &params, |r| {
            r.try_get(0)
        })
        .await
    }

    /// Open calls with no record since `before` (µs), at most `limit`.
    pub async fn stale(&self, before: i64, limit: i64) -> Result<Vec<String>, StoreError> {
        self.sids(sql::STALE_CALLS, before, limit).await
    }

    async fn sids(&self, q: &str, before: i64, limit: i64) -> Result<Vec<String>, StoreError> {
        self.query(q, &[Param::Int(before), Param::Int(limit)], |r| {
            r.try_get(0)
        })
        .await
    }

    /// Deletes calls with no record since `before`, at most `limit`; returns how many.
    pub async fn prune(&self, before: i64, limit: i64) -> Result<usize, StoreError> {
        let sids = self.sids(sql::OLD_CALLS, before, limit).await?;
        let step = |e| self.err("prune", e);
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(step)?;
        for sid in &sids {
            // The call's lock, so a write folding this call finishes first (and a later
            // one finds the call gone and starts it afresh from its new records).
            tx.execute(
                "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                &[&CALL_LOCK_CLASS, sid],
            )
            .await
            .map_err(step)?;
            for q in sql::DELETE_CALL {
                tx.execute(q, &[sid]).await.map_err(step)?;
            }
        }
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&FLOW_SETS_LOCK])
            .await
            .map_err(step)?;
        let [sets, names, texts] = sql::PRUNE_FLOW_SETS;
        let versions = tx.execute(sets, &[&before]).await.map_err(step)?;
        if versions > 0 {
            tracing::debug!(versions, "call store: pruned flow set versions");
            for q in [names, texts] {
                tx.execute(q, &[]).await.map_err(step)?;
            }
        }
        tx.commit().await.map_err(step)?;
        Ok(sids.len())
    }

    /// Stores a flow set version, its texts once each, in one transaction (under
    /// [`FLOW_SETS_LOCK`]).
    pub async fn keep_flow_set(&self, v: &FlowSetVersion) -> Result<(), StoreError> {
        let rows = super::flowsets::file_rows(v);
        let files = i64::try_from(rows.len()).unwrap_or(i64::MAX);
        let step = |e| self.err("keep flow set", e);
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(step)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&FLOW_SETS_LOCK])
            .await
            .map_err(step)?;
        let file = tx.prepare(sql::INSERT_FLOW_FILE).await.map_err(step)?;
        let name = tx.prepare(sql::INSERT_FLOW_SET_FILE).await.map_err(step)?;
        for (n, digest, text) in &rows {
            tx.execute(&file, &[digest, text]).await.map_err(step)?;
            tx.execute(&name, &[&v.version, n, digest])
                .await
                .map_err(step)?;
        }
        tx.execute(
            sql::UPSERT_FLOW_SET,
            &[&v.version, &v.digest, &v.served_at, &files],
        )
        .await
        .map_err(step)?;
        tx.commit().await.map_err(step)
    }

    /// A stored version's files, by name, read from one snapshot; `None` when it is not
    /// stored.
    pub async fn flow_set(
        &self,
        version: &str,
    ) -> Result<Option<Vec<(String, String)>>, StoreError> {
        let step = |e| self.err("read flow set", e);
        let mut client = self.client().await?;
        let tx = snapshot(&mut client).await.map_err(step)?;
        if tx
            .query_opt(sql::FLOW_SET_EXISTS, &[&version])
            .await
            .map_err(step)?
            .is_none()
        {
            return Ok(None);
        }
        let files = rows(&tx, sql::FLOW_SET_FILES, version, |r| {
            Ok((r.try_get(0)?, r.try_get(1)?))
        })
        .await
        .map_err(step)?;
        tx.commit().await.map_err(step)?;
        Ok(Some(files))
    }

    /// The stored versions, newest first.
    pub async fn flow_sets(&self, limit: i64) -> Result<Vec<FlowSetInfo>, StoreError> {
        self.query(sql::FLOW_SETS, &[Param::Int(limit)], |r| {
            Ok(FlowSetInfo {
                version: r.try_get(0)?,
                digest: r.try_get(1)?,
                first_served: r.try_get(2)?,
                last_served: r.try_get(3)?,
                files: r.try_get(4)?,
            })
        })
        .await
    }

    /// How many file texts are stored.
    pub async fn flow_file_count(&self) -> Result<i64, StoreError> {
        let n = self
            .query(sql::COUNT_FLOW_FILES, &[], |r| r.try_get(0))
            .await?;
        Ok(n.first().copied().unwrap_or(0))
    }

    /// A version is still served at `at`.
    pub async fn flow_set_served(&self, version: &str, at: i64) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(sql::FLOW_SET_SERVED, &[&at, &version])
            .await
            .map(|_| ())
            .map_err(|e| self.err("flow set served", e))
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .simple_query("SELECT 1")
            .await
            .map(|_| ())
            .map_err(|e| self.err("ping", e))
    }
}

/// Why a write attempt failed.
enum Failure {
    /// PostgreSQL aborted it to break a deadlock or a serialization conflict: try again.
    Retry(tokio_postgres::Error),
    /// Any other database error.
    Fatal(tokio_postgres::Error),
    /// Not a database error (no connection, a record that cannot be encoded).
    Store(StoreError),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Failure {
        let retry = matches!(
            e.code(),
            Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::T_R_DEADLOCK_DETECTED
        );
        if retry {
            Failure::Retry(e)
        } else {
            Failure::Fatal(e)
        }
    }
}

/// The password as written in `postgres://user:PASSWORD@host` (before percent-decoding),
/// so it can be scrubbed even from an error about a URL that does not parse.
fn raw_password(url: &str) -> Option<String> {
    // The credentials are everything before the first `@`, as tokio-postgres reads them.
    let (creds, _) = url.split_once("://")?.1.split_once('@')?;
    Some(creds.split_once(':')?.1.to_string())
}

/// An error and its causes, one line: tokio-postgres shows only "db error" for an error
/// the server reported, the server's message being its source.
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        // deadpool repeats its cause in its own message.
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        if let Some(db) = cause.downcast_ref::<tokio_postgres::error::DbError>() {
            out.push_str(&format!(" (SQLSTATE {})", db.code().code()));
        }
        source = cause.source();
    }
    out.replace('\n', "; ")
}

/// `text` with every secret replaced by `***`.
fn scrub(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(text.to_string(), |t, s| t.replace(s.as_str(), "***"))
}

/// SQL `NULL` for a parameter of any type (`Option<T>` would only fit `T`'s types).
#[derive(Debug)]
struct Null;

impl ToSql for Null {
    fn to_sql(
        &self,
        _: &Type,
        _: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        Ok(IsNull::Yes)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn binds(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| -> &(dyn ToSql + Sync) {
            match p {
                Param::Int(i) => i,
                Param::Text(s) => s,
                Param::Null => &Null,
            }
        })
        .collect()
}

/// A read-only transaction on one snapshot (REPEATABLE READ): its reads agree with each
/// other.
async fn snapshot(
    client: &mut tokio_postgres::Client,
) -> Result<tokio_postgres::Transaction<'_>, tokio_postgres::Error> {
    client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
}

/// The rows `q` returns for a call, each read by `read`.
async fn rows<T>(
    tx: &tokio_postgres::Transaction<'_>,
    q: &str,
    call_sid: &str,
    read: impl Fn(&Row) -> Result<T, tokio_postgres::Error>,
) -> Result<Vec<T>, tokio_postgres::Error> {
    tx.query(q, &[&call_sid]).await?.iter().map(read).collect()
}

impl super::Columns for Row {
    type Error = tokio_postgres::Error;
    fn text(&self, i: usize) -> Result<String, Self::Error> {
        self.try_get(i)
    }
    fn maybe_text(&self, i: usize) -> Result<Option<String>, Self::Error> {
        self.try_get(i)
    }
    fn int(&self, i: usize) -> Result<i64, Self::Error> {
        self.try_get(i)
    }
    fn maybe_int(&self, i: usize) -> Result<Option<i64>, Self::Error> {
        self.try_get(i)
    }
}

fn call_row(r: &Row) -> Result<Call, tokio_postgres::Error> {
    super::call_from(r)
}

fn recording_row(r: &Row) -> Result<Recording, tokio_postgres::Error> {
    super::recording_from(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_scrubbed_from_messages() {
        let url = "postgres://sb:p%40ss@db/calls";
        let raw = raw_password(url).unwrap();
        assert_eq!(raw, "p%40ss");
        let shown = scrub("auth failed for p%40ss and p@ss", &[raw, "p@ss".into()]);
        assert_eq!(shown, "auth failed for *** and ***");
        assert_eq!(raw_password("postgres://sb@db/calls"), None);
        assert_eq!(raw_password("postgres://db/calls"), None);
        let raw = raw_password("postgres://sb:hun/ter2@db/calls");
        assert_eq!(raw.as_deref(), Some("hun/ter2"));
        let config = tokio_postgres::Config::from_str("postgres://sb:hun/ter2@db/calls").unwrap();
        assert_eq!(
            config.get_password(),
            Some(&b"hun/ter2"[..]),
            "as tokio-postgres reads it"
        );
    }

    #[tokio::test]
    async fn a_url_that_does_not_parse_is_refused_without_its_password() {
        let Err(e) = Postgres::open("postgres://sb:hunter2@db:notaport/calls").await else {
            panic!("opened a database with a bad port");
        };
        let text = e.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(
            text.contains("postgres://sb:***@db:notaport/calls"),
            "{text}"
        );
    }
}
