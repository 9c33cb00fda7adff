//! The recorder: the one writer between the server and the database.
//!
//! Handlers hand it records and never touch the database. Call webhooks do not wait at all
//! ([`Recorder::record`]); status, recording and transcription callbacks wait until their
//! record is durable ([`Recorder::acknowledge`]): committed, or fsync'ed to the spool.
//!
//! The writer task takes whatever is queued (up to `batch_max`) and commits it in one
//! transaction: while one commit runs, the next batch gathers, so a busy server commits
//! large batches (group commit) and an idle one commits each record at once. A batch of
//! webhook records alone (nobody waits for them) first gathers for up to `webhook_window`
//! (25 ms) more: a commit's fixed costs (the fsync, the pages every commit rewrites) are
//! then shared by many records instead of a few dozen. A callback in the batch ends the
//! wait. A commit that fails or takes longer than `commit_timeout` sends the batch to the
//! spool instead, and the
//! database is left alone for a back-off (so callbacks are not each held up by a dead
//! database); the spool is replayed into it once it answers again.
//!
//! The same task closes calls that never got a final status (`close_after`) and prunes
//! calls past `retention`.
//!
//! It also stores the flow set versions the server puts in service
//! ([`Recorder::keep_flow_set`]), before its next batch. They are held in memory only (at
//! most [`PENDING_FLOW_SETS`], the newest), never spooled: a version lost to a crash or a
//! long outage is stored again at the next start, since the same files give the same
//! version.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::spool::{Spool, SpoolError};
use super::{Database, FlowSetVersion, Record, StoreError};

/// How the recorder runs (`switchboard serve` flags).
#[derive(Debug, Clone)]
pub struct RecorderConfig {
    /// This replica's name, written into every record.
    pub replica: String,
    /// Records waiting for the writer before webhooks' records are dropped (and counted).
    pub queue: usize,
    /// Most records in one transaction.
    pub batch_max: usize,
    /// How long a batch of webhook records alone waits for more before its commit (a
    /// callback's record, which its request waits for, commits at once).
    pub webhook_window: Duration,
    /// A commit slower than this goes to the spool.
    pub commit_timeout: Duration,
    /// Calls with no record for this long and no final status are closed as `unknown`.
    pub close_after: Duration,
    /// Calls older than this are deleted; `None` keeps everything.
    pub retention: Option<Duration>,
    /// How often the writer looks at the spool, stale calls and retention.
    pub tick: Duration,
}

impl Default for RecorderConfig {
    fn default() -> Self {
        RecorderConfig {
            replica: "switchboard".into(),
            queue: 65_536,
            batch_max: 2_048,
            webhook_window: Duration::from_millis(25),
            commit_timeout: Duration::from_secs(2),
            close_after: Duration::from_secs(4 * 3600),
            retention: Some(Duration::from_secs(30 * 86_400)),
            tick: Duration::from_secs(1),
        }
    }
}

/// Why a callback's record could not be made durable: answer `503` so Twilio may retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Neither the database nor the spool took it.
    #[error("the record could not be stored: {0}")]
    NotDurable(String),
    /// The recorder has stopped (the server is shutting down).
    #[error("the recorder has stopped")]
    Stopped,
}

/// One queued record.
struct Item {
    /// The record.
    record: Record,
    /// Told once the record is durable (callbacks only).
    ack: Option<oneshot::Sender<Result<(), Refused>>>,
}

/// What `/readyz` shows about the store.
#[derive(Debug, Default)]
struct HealthState {
    /// The last commit failed or timed out (records go to the spool).
    db_down: AtomicBool,
    /// The spool refused the last append (full or failing disk).
    spool_failing: AtomicBool,
    /// The latest error, for `/readyz` (never holds a password).
    last_error: Mutex<Option<String>>,
    /// Records committed to the database.
    committed: AtomicU64,
    /// Records that were already stored (duplicates dropped by key).
    duplicates: AtomicU64,
    /// Records written to the spool.
    spooled: AtomicU64,
    /// Records replayed from the spool into the database.
    replayed: AtomicU64,
    /// Webhook records dropped because the queue was full.
    dropped: AtomicU64,
    /// Callbacks refused (neither database nor spool took them).
    refused: AtomicU64,
    /// Transactions committed.
    batches: AtomicU64,
    /// Calls closed as `unknown`.
    expired: AtomicU64,
    /// Calls deleted by retention.
    pruned: AtomicU64,
    /// Records the database refused while it worked, set aside in the quarantine file.
    quarantined: AtomicU64,
    /// Spooled bytes waiting for replay.
    spool_bytes: AtomicU64,
    /// Flow set versions stored.
    flow_sets_kept: AtomicU64,
    /// Flow set versions never stored: pushed out of the pending queue by newer ones, or
    /// refused by a database that answers.
    flow_sets_dropped: AtomicU64,
}

/// A snapshot of the store's health.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Health {
    /// `ok`, or `degraded` while the database is down or the spool is failing.
    pub status: &'static str,
    /// The database answers.
    pub database_ok: bool,
    /// The spool takes records.
    pub spool_ok: bool,
    /// Bytes in the spool, waiting for the database.
    pub spool_bytes: u64,
    /// The spool's limit.
    pub spool_max_bytes: u64,
    /// Records waiting in the writer's queue.
    pub queue_depth: u64,
    /// The queue's capacity.
    pub queue_capacity: u64,
    /// The latest error.
    pub last_error: Option<String>,
    /// Counters since start.
    pub committed: u64,
    /// Duplicates dropped.
    pub duplicates: u64,
    /// Spooled.
    pub spooled: u64,
    /// Replayed from the spool.
    pub replayed: u64,
    /// Webhook records dropped (queue full).
    pub dropped: u64,
    /// Callbacks refused with 503.
    pub refused: u64,
    /// Transactions.
    pub batches: u64,
    /// Calls closed as `unknown`.
    pub expired: u64,
    /// Calls pruned.
    pub pruned: u64,
    /// Records the database refused, kept in the spool's quarantine file.
    pub quarantined: u64,
    /// Flow set versions stored.
    pub flow_sets_kept: u64,
    /// Flow set versions not stored (more were waiting than are held, or the database
    /// refused one).
    pub flow_sets_dropped: u64,
}

/// The handle the server holds.
#[derive(Clone)]
pub struct Recorder {
    /// The writer's queue.
    tx: mpsc::Sender<Item>,
    /// Shared with the writer.
    health: Arc<HealthState>,
    /// The spool's limit (for the health snapshot).
    spool_max: u64,
    /// This replica.
    replica: Arc<str>,
    /// Tells the writer to drain the queue and stop ([`Recorder::shutdown`]).
    stop: Arc<tokio::sync::Notify>,
    /// Flow set versions waiting for the writer.
    flow_sets: Arc<PendingSets>,
}

/// The flow set versions handed over and not yet stored.
#[derive(Default)]
struct PendingSets {
    /// Oldest first; at most [`PENDING_FLOW_SETS`].
    queue: Mutex<VecDeque<Arc<FlowSetVersion>>>,
    /// Wakes the writer when one is added.
    added: tokio::sync::Notify,
}

impl PendingSets {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Arc<FlowSetVersion>>> {
        // The queue is whole after any panic (push and pop only).
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Flow set versions held for the writer at most: a database down for a while, during
/// which the flows are edited many times, must not make the recorder hold every version's
/// texts. The newest are kept; the ones pushed out are counted (`flow_sets_dropped`).
pub const PENDING_FLOW_SETS: usize = 4;

impl Recorder {
    /// Starts the writer on the current tokio runtime. The returned handle completes when
    /// every sender is dropped and the queue is drained.
    pub fn start(
        db: Database,
        spool: Spool,
        cfg: RecorderConfig,
    ) -> (Recorder, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(cfg.queue.max(1));
        let health = Arc::new(HealthState::default());
        health.spool_bytes.store(spool.bytes(), Relaxed);
        let recorder = Recorder {
            tx,
            health: Arc::clone(&health),
            spool_max: spool.max_bytes(),
            replica: Arc::from(cfg.replica.as_str()),
            stop: Arc::new(tokio::sync::Notify::new()),
            flow_sets: Arc::default(),
        };
        let writer = Writer {
            db,
            spool: Arc::new(spool),
            cfg,
            health,
            down_until: None,
            backoff: BACKOFF_MIN,
            last_maintenance: None,
            flow_sets: Arc::clone(&recorder.flow_sets),
            serving: None,
            suspect: None,
        };
        let handle = tokio::spawn(writer.run(rx, Arc::clone(&recorder.stop)));
        (recorder, handle)
    }

    /// Stops taking records; the writer commits (or spools) what is queued and ends. Await
    /// the handle [`Recorder::start`] returned to know it has.
    pub fn shutdown(&self) {
        self.stop.notify_one();
    }

    /// This replica's name.
    pub fn replica(&self) -> &str {
        &self.replica
    }

    /// Queues a webhook's record; never waits. A full queue drops it (counted in
    /// `/readyz` as `dropped`).
    pub fn record(&self, record: Record) {
        if self.tx.try_send(Item { record, ack: None }).is_err() {
            self.health.dropped.fetch_add(1, Relaxed);
        }
    }

    /// Queues a callback's record and waits until it is durable.
    pub async fn acknowledge(&self, record: Record) -> Result<(), Refused> {
        let (ack, done) = oneshot::channel();
        let item = Item {
            record,
            ack: Some(ack),
        };
        if self.tx.send(item).await.is_err() {
            return Err(Refused::Stopped);
        }
        done.await.unwrap_or(Err(Refused::Stopped))
    }

    /// Hands over a flow set version the server put in service, to be stored with the
    /// writer's next write. Never waits (the reload thread calls it): when more than
    /// `PENDING_FLOW_SETS` (4) are waiting, the oldest is dropped and counted.
    pub fn keep_flow_set(&self, version: FlowSetVersion) {
        let dropped = {
            let mut queue = self.flow_sets.lock();
            queue.push_back(Arc::new(version));
            let over = queue.len().saturating_sub(PENDING_FLOW_SETS);
            queue.drain(..over).count()
        };
        if dropped > 0 {
            self.health
                .flow_sets_dropped
                .fetch_add(dropped as u64, Relaxed);
            tracing::warn!(
                dropped,
                "call store: flow set versions waiting for the database were dropped for newer ones"
            );
        }
        self.flow_sets.added.notify_one();
    }

    /// The store's health.
    pub fn health(&self) -> Health {
        let h = &self.health;
        let db_ok = !h.db_down.load(Relaxed);
        let spool_ok = !h.spool_failing.load(Relaxed);
        Health {
            status: if db_ok && spool_ok { "ok" } else { "degraded" },
            database_ok: db_ok,
            spool_ok,
            spool_bytes: h.spool_bytes.load(Relaxed),
            spool_max_bytes: self.spool_max,
            queue_depth: (self.tx.max_capacity() - self.tx.capacity()) as u64,
            queue_capacity: self.tx.max_capacity() as u64,
            last_error: h
                .last_error
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone(),
            committed: h.committed.load(Relaxed),
            duplicates: h.duplicates.load(Relaxed),
            spooled: h.spooled.load(Relaxed),
            replayed: h.replayed.load(Relaxed),
            dropped: h.dropped.load(Relaxed),
            refused: h.refused.load(Relaxed),
            batches: h.batches.load(Relaxed),
            expired: h.expired.load(Relaxed),
            pruned: h.pruned.load(Relaxed),
            quarantined: h.quarantined.load(Relaxed),
            flow_sets_kept: h.flow_sets_kept.load(Relaxed),
            flow_sets_dropped: h.flow_sets_dropped.load(Relaxed),
        }
    }
}

/// The first back-off after a failed commit; it doubles up to [`BACKOFF_MAX`].
const BACKOFF_MIN: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(15);
/// Records replayed per transaction.
const REPLAY_CHUNK: usize = 1_000;
/// How long one maintenance round replays before going back to the queue.
const REPLAY_SLICE: Duration = Duration::from_millis(200);
/// Calls closed or pruned per maintenance round.
const MAINTENANCE_CHUNK: i64 = 1_000;

/// The writer task's state.
struct Writer {
    /// The database.
    db: Database,
    /// The spool.
    spool: Arc<Spool>,
    /// Settings.
    cfg: RecorderConfig,
    /// Shared with the handles.
    health: Arc<HealthState>,
    /// While set, batches go straight to the spool.
    down_until: Option<Instant>,
    /// The next back-off.
    backoff: Duration,
    /// When stale calls and retention were last looked at.
    last_maintenance: Option<Instant>,
    /// Flow set versions to store.
    flow_sets: Arc<PendingSets>,
    /// The version this replica stored last (the one it serves): each retention round
    /// tells the database it is still served, however long no call came in.
    serving: Option<String>,
    /// The version whose last write failed, and how many batches had been committed then
    /// (see [`Writer::keep_flow_sets`]).
    suspect: Option<(String, u64)>,
}

impl Writer {
    async fn run(mut self, mut rx: mpsc::Receiver<Item>, stop: Arc<tokio::sync::Notify>) {
        let mut tick = tokio::time::interval(self.cfg.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut batch = Vec::with_capacity(self.cfg.batch_max);
        loop {
            tokio::select! {
                n = rx.recv_many(&mut batch, self.cfg.batch_max) => {
                    if n == 0 {
                        break;
                    }
                    let holds_callback = self.gather(&mut rx, &mut batch).await;
                    // The writer may yield the CPU to request handlers while it writes
                    // (`Database::write_yielding`) when the batch is webhooks alone (a
                    // callback's request waits for this commit) and it keeps up: the batch
                    // is not full and nothing more waits. Once a full batch is waiting it
                    // writes without yielding until it has caught up.
                    let yielding =
                        !holds_callback && batch.len() < self.cfg.batch_max && rx.is_empty();
                    self.commit(std::mem::take(&mut batch), yielding).await;
                }
                _ = tick.tick() => self.maintain().await,
                () = self.flow_sets.added.notified() => self.keep_flow_sets().await,
                () = stop.notified() => {
                    // New sends fail from here (callbacks answer 503); what is queued is
                    // still received, then `recv_many` returns 0.
                    rx.close();
                }
            }
        }
        // Shutdown: the queue is drained; one last try to empty the spool.
        self.replay().await;
        self.keep_flow_sets().await;
    }

    /// Adds to a batch of webhook records alone what arrives within `webhook_window` of its
    /// start, up to `batch_max`; returns at once when the batch holds a callback (its
    /// request is waiting) or the queue is closed. Returns whether the batch holds a
    /// callback (each item is looked at once).
    async fn gather(&self, rx: &mut mpsc::Receiver<Item>, batch: &mut Vec<Item>) -> bool {
        // A window too long to add to the clock (a misconfiguration) gathers nothing rather
        // than panicking.
        let deadline = tokio::time::Instant::now().checked_add(self.cfg.webhook_window);
        let mut seen = 0;
        loop {
            if batch
                .get(seen..)
                .unwrap_or_default()
                .iter()
                .any(|i| i.ack.is_some())
            {
                return true;
            }
            seen = batch.len();
            let Some(deadline) = deadline.filter(|_| batch.len() < self.cfg.batch_max) else {
                return false;
            };
            let room = self.cfg.batch_max - batch.len();
            match tokio::time::timeout_at(deadline, rx.recv_many(batch, room)).await {
                Ok(0) | Err(_) => return false,
                Ok(_) => {}
            }
        }
    }

    fn database_resting(&self) -> bool {
        self.down_until.is_some_and(|t| Instant::now() < t)
    }

    fn failed(&mut self, e: &str) {
        if !self.health.db_down.swap(true, Relaxed) {
            tracing::error!(
                error = e,
                "call store: the database failed; records go to the spool"
            );
        }
        self.set_error(e);
        self.down_until = Some(Instant::now() + self.backoff);
        self.backoff = (self.backoff * 2).min(BACKOFF_MAX);
    }

    fn recovered(&mut self) {
        self.down_until = None;
        self.backoff = BACKOFF_MIN;
        if self.health.db_down.swap(false, Relaxed) {
            tracing::info!("call store: the database is back");
        }
    }

    fn set_error(&self, e: &str) {
        *self
            .health
            .last_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(e.to_string());
    }

    /// One database transaction, bounded by `commit_timeout`.
    async fn write(&self, records: Arc<Vec<Record>>, yielding: bool) -> Result<usize, StoreError> {
        let write = self.db.write_yielding(records, yielding);
        match tokio::time::timeout(self.cfg.commit_timeout, write).await {
            Ok(r) => r,
            Err(_) => Err(StoreError::new(format!(
                "a commit took longer than {} ms",
                self.cfg.commit_timeout.as_millis()
            ))),
        }
    }

    async fn commit(&mut self, items: Vec<Item>, yielding: bool) {
        let (records, acks): (Vec<Record>, Vec<_>) =
            items.into_iter().map(|i| (i.record, i.ack)).unzip();
        let records = Arc::new(records);
        let mut result = Err(Refused::NotDurable("database resting".into()));
        self.keep_flow_sets().await;
        if !self.database_resting() {
            match self.write(Arc::clone(&records), yielding).await {
                Ok(new) => {
                    self.recovered();
                    self.count_commit(records.len(), new);
                    result = Ok(());
                }
                Err(e) => self.failed(&e.to_string()),
            }
        }
        if result.is_err() {
            result = self.spool(&records).await;
        }
        if result.is_err() {
            let webhooks = acks.iter().filter(|a| a.is_none()).count() as u64;
            self.health.dropped.fetch_add(webhooks, Relaxed);
            self.health
                .refused
                .fetch_add(acks.len() as u64 - webhooks, Relaxed);
        }
        for ack in acks.into_iter().flatten() {
            // The callback may have timed out and gone; nothing to tell then.
            let _ = ack.send(result.clone());
        }
    }

    fn count_commit(&self, total: usize, new: usize) {
        self.health.committed.fetch_add(new as u64, Relaxed);
        self.health
            .duplicates
            .fetch_add((total - new) as u64, Relaxed);
        self.health.batches.fetch_add(1, Relaxed);
    }

    async fn spool(&self, records: &Arc<Vec<Record>>) -> Result<(), Refused> {
        let spool = Arc::clone(&self.spool);
        let recs = Arc::clone(records);
        let outcome = tokio::task::spawn_blocking(move || spool.append(&recs))
            .await
            .unwrap_or_else(|e| Err(SpoolError::Io(std::io::Error::other(e.to_string()))));
        self.health.spool_bytes.store(self.spool.bytes(), Relaxed);
        match outcome {
            Ok(()) => {
                self.health.spooled.fetch_add(records.len() as u64, Relaxed);
                if self.health.spool_failing.swap(false, Relaxed) {
                    tracing::info!("call store: the spool takes records again");
                }
                Ok(())
            }
            Err(e) => {
                let msg = format!("spool {}: {e}", self.spool.dir().display());
                if !self.health.spool_failing.swap(true, Relaxed) {
                    tracing::error!(error = %msg, "call store: records cannot be kept; callbacks are refused with 503");
                }
                self.set_error(&msg);
                Err(Refused::NotDurable(msg))
            }
        }
    }

    async fn maintain(&mut self) {
        if self.database_resting() {
            return;
        }
        if self.health.spool_bytes.load(Relaxed) > 0 || self.health.db_down.load(Relaxed) {
            self.replay().await;
        }
        self.keep_flow_sets().await;
        let every = (self.cfg.close_after / 4).clamp(self.cfg.tick, Duration::from_secs(60));
        if self.last_maintenance.is_some_and(|t| t.elapsed() < every) {
            return;
        }
        self.last_maintenance = Some(Instant::now());
        self.close_stale().await;
        self.prune().await;
    }

    /// Moves spooled records into the database; stops at the first failure.
    async fn replay(&mut self) {
        let spool = Arc::clone(&self.spool);
        let segments = tokio::task::spawn_blocking(move || {
            spool.rotate();
            spool.segments()
        })
        .await;
        let segments = match segments {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return self.set_error(&format!("spool: {e}")),
            Err(_) => return,
        };
        if segments.is_empty() && self.health.db_down.load(Relaxed) {
            // Nothing spooled: probe so `/readyz` shows the database back.
            if tokio::time::timeout(self.cfg.commit_timeout, self.db.ping())
                .await
                .is_ok_and(|r| r.is_ok())
            {
                self.recovered();
            } else {
                self.failed("the database does not answer");
            }
            return;
        }
        // Bounded, so callbacks queued meanwhile wait at most about this long (plus one
        // segment); the rest goes on at the next tick.
        let started = Instant::now();
        for path in segments {
            if started.elapsed() > REPLAY_SLICE {
                break;
            }
            let p = path.clone();
            let seg = match tokio::task::spawn_blocking(move || Spool::read(&p)).await {
                Ok(Ok(seg)) => seg,
                Ok(Err(e)) => return self.set_error(&format!("spool {}: {e}", path.display())),
                Err(_) => return,
            };
            if seg.skipped > 0 {
                tracing::warn!(
                    segment = %path.display(),
                    skipped = seg.skipped,
                    "spool: lines torn by a crash were skipped (they were never acknowledged)"
                );
            }
            for chunk in seg.records.chunks(REPLAY_CHUNK) {
                let chunk = Arc::new(chunk.to_vec());
                match self.write(Arc::clone(&chunk), false).await {
                    Ok(new) => {
                        self.recovered();
                        self.count_commit(chunk.len(), new);
                        self.health.replayed.fetch_add(chunk.len() as u64, Relaxed);
                    }
                    Err(e) => {
                        if !self.isolate(&chunk).await {
                            return self.failed(&e.to_string());
                        }
                    }
                }
            }
            if let Err(e) = self.spool.remove(&path) {
                return self.set_error(&format!("spool {}: {e}", path.display()));
            }
            self.health.spool_bytes.store(self.spool.bytes(), Relaxed);
            tracing::info!(segment = %path.display(), records = seg.records.len(), "spool: replayed into the database");
        }
    }

    /// A chunk the database refused while it answers: the records one by one. When some
    /// go in and others do not, the others are the problem (a value this database cannot
    /// hold), not the database: they are set aside in the spool's quarantine file, kept,
    /// counted in `/readyz`, and replay goes on. `false` when the database itself fails
    /// (it does not answer, or refuses every record): the caller backs off as usual.
    async fn isolate(&mut self, chunk: &[Record]) -> bool {
        let answers = tokio::time::timeout(self.cfg.commit_timeout, self.db.ping())
            .await
            .is_ok_and(|r| r.is_ok());
        if !answers || chunk.len() < 2 {
            return false;
        }
        let mut refused = Vec::new();
        let mut stored = 0;
        for r in chunk {
            match self.write(Arc::new(vec![r.clone()]), false).await {
                Ok(new) => {
                    stored += 1;
                    self.count_commit(1, new);
                    self.health.replayed.fetch_add(1, Relaxed);
                }
                Err(e) => refused.push((r.clone(), e.to_string())),
            }
        }
        if stored == 0 {
            return false;
        }
        let spool = Arc::clone(&self.spool);
        let records: Vec<Record> = refused.iter().map(|(r, _)| r.clone()).collect();
        let kept = tokio::task::spawn_blocking(move || spool.quarantine(&records))
            .await
            .is_ok_and(|r| r.is_ok());
        if !kept {
            return false;
        }
        self.health
            .quarantined
            .fetch_add(refused.len() as u64, Relaxed);
        for (r, e) in &refused {
            tracing::error!(key = %r.key, error = %e, "call store: the database refuses this record; kept in the spool's quarantine file");
        }
        true
    }

    /// Stores the waiting flow set versions, oldest first, unless the database is resting.
    /// A failure is the database's (the usual back-off) unless the same version fails
    /// again after records were committed in between: then the database refuses that
    /// version (a text it cannot hold), which is dropped and counted, so it cannot hold
    /// the others, or the records, up for good.
    async fn keep_flow_sets(&mut self) {
        while !self.database_resting() {
            let Some(v) = self.flow_sets.lock().front().cloned() else {
                return;
            };
            let kept = tokio::time::timeout(
                self.cfg.commit_timeout,
                self.db.keep_flow_set(Arc::clone(&v)),
            )
            .await
            .unwrap_or_else(|_| Err(StoreError::new("storing a flow set version timed out")));
            match kept {
                Ok(()) => {
                    self.recovered();
                    self.health.flow_sets_kept.fetch_add(1, Relaxed);
                    self.serving = Some(v.version.clone());
                }
                Err(e) => {
                    // Failed before, and records were committed since: the database works
                    // but will not take this version. Otherwise the database failed.
                    let batches = self.health.batches.load(Relaxed);
                    let refused = self
                        .suspect
                        .take()
                        .is_some_and(|(s, then)| s == v.version && batches > then);
                    if !refused {
                        self.suspect = Some((v.version.clone(), batches));
                        return self.failed(&e.to_string());
                    }
                    self.health.flow_sets_dropped.fetch_add(1, Relaxed);
                    tracing::error!(version = %v.version, error = %e, "call store: the database refuses this flow set version; not kept");
                }
            }
            // Gone already if newer versions pushed it out meanwhile.
            self.flow_sets.lock().retain(|x| !Arc::ptr_eq(x, &v));
        }
    }

    /// Closes open calls with no record for `close_after`.
    async fn close_stale(&mut self) {
        let now = jiff::Timestamp::now().as_microsecond();
        let cutoff = now - micros(self.cfg.close_after);
        let sids = match self.db.stale(cutoff, MAINTENANCE_CHUNK).await {
            Ok(s) => s,
            Err(e) => return self.failed(&e.to_string()),
        };
        if sids.is_empty() {
            return;
        }
        let records: Vec<Record> = sids
            .iter()
            .map(|sid| Record::expired(sid, now, &self.cfg.replica))
            .collect();
        let n = records.len();
        match self.write(Arc::new(records), false).await {
            Ok(new) => {
                self.count_commit(n, new);
                self.health.expired.fetch_add(new as u64, Relaxed);
                tracing::info!(
                    calls = n,
                    "call store: closed calls with no final status as `unknown`"
                );
            }
            Err(e) => self.failed(&e.to_string()),
        }
    }

    /// Deletes calls past retention.
    async fn prune(&mut self) {
        let Some(keep) = self.cfg.retention else {
            return;
        };
        let now = jiff::Timestamp::now().as_microsecond();
        if let Some(v) = &self.serving
            && let Err(e) = self.db.flow_set_served(v, now).await
        {
            return self.failed(&e.to_string());
        }
        let cutoff = now - micros(keep);
        match self.db.prune(cutoff, MAINTENANCE_CHUNK).await {
            Ok(0) => {}
            Ok(n) => {
                self.health.pruned.fetch_add(n as u64, Relaxed);
                tracing::info!(calls = n, "call store: pruned calls past retention");
            }
            Err(e) => self.failed(&e.to_string()),
        }
    }
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::DatabaseUrl;

    /// A SQLite database and a spool of 1 MiB in `dir`.
    async fn sqlite_store(dir: &std::path::Path) -> (Database, Spool) {
        let db = Database::open(&DatabaseUrl::Sqlite(dir.join("calls.db")))
            .await
            .unwrap()
            .unwrap();
        (db, Spool::open(&dir.join("spool"), 1 << 20).unwrap())
    }

    /// Webhook records alone gather for `webhook_window` before their commit (here: until
    /// the batch is full, the window being an hour); a callback's record, whose request
    /// waits, ends the wait at once.
    #[tokio::test(flavor = "current_thread")]
    async fn webhooks_gather_and_a_callback_ends_the_wait() {
        use crate::calls::conformance::{sid, status, webhook};
        let dir = tempfile::tempdir().unwrap();
        let (db, spool) = sqlite_store(dir.path()).await;
        let cfg = RecorderConfig {
            webhook_window: Duration::from_secs(3600),
            batch_max: 4,
            ..RecorderConfig::default()
        };
        let (recorder, handle) = Recorder::start(db, spool, cfg);
        // Recent calls: neither closed as stale nor pruned by the writer's maintenance.
        let now = jiff::Timestamp::now().as_microsecond();
        // The first record reaches the writer alone (it runs while this test sleeps), and
        // waits there for the other three.
        recorder.record(webhook(&sid(1), now + 1, "v1"));
        tokio::time::sleep(Duration::from_millis(20)).await;
        for n in 2..=4 {
            recorder.record(webhook(&sid(n), now + i64::from(n), "v1"));
        }
        // Bounded: 10 s at most, then the assertions below say what happened.
        for _ in 0..1000 {
            if recorder.health().committed >= 4 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let h = recorder.health();
        assert_eq!(
            (h.committed, h.batches),
            (4, 1),
            "four webhooks, one commit"
        );
        // One webhook waits for more; the callback behind it is acknowledged without
        // waiting out the hour (the bound only keeps a failure from hanging the suite).
        recorder.record(webhook(&sid(5), now + 5, "v1"));
        let ack = recorder.acknowledge(status(&sid(5), now + 6, "1", "ringing", "+1"));
        let acked = tokio::time::timeout(Duration::from_secs(30), ack).await;
        assert_eq!(acked, Ok(Ok(())));
        let h = recorder.health();
        assert_eq!(
            (h.committed, h.batches),
            (6, 2),
            "the webhook and the callback, together"
        );
        recorder.shutdown();
        handle.await.unwrap();
    }

    /// Versions handed over faster than they are written: the newest
    /// [`PENDING_FLOW_SETS`] are stored, the older ones counted as dropped, and the
    /// caller never waits.
    #[tokio::test(flavor = "current_thread")]
    async fn the_newest_pending_flow_sets_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (db, spool) = sqlite_store(dir.path()).await;
        let (recorder, handle) = Recorder::start(db.clone(), spool, RecorderConfig::default());
        // On this thread the writer runs only once the test awaits: all six wait at once.
        let handed = PENDING_FLOW_SETS + 2;
        for n in 0..handed {
            recorder.keep_flow_set(FlowSetVersion {
                version: format!("{n:012x}"),
                digest: format!("{n:064x}"),
                // Now, so the writer's first retention round keeps them all.
                served_at: jiff::Timestamp::now().as_microsecond(),
                files: vec![("acme.yaml".into(), Arc::from(format!("start: s{n}\n")))],
            });
        }
        assert_eq!(recorder.health().flow_sets_dropped, 2);
        recorder.shutdown();
        handle.await.unwrap();
        let stored = crate::calls::conformance::versions(&db).await;
        let newest: Vec<String> = (2..handed).map(|n| format!("{n:012x}")).collect();
        assert_eq!(stored, newest);
        assert_eq!(recorder.health().flow_sets_kept, 4);
    }
}
