//! Hot reload: notice that the flows directory changed and reload it through the one loader.
//!
//! Three triggers, all ending in [`FlowStore::reload`] (which swaps the whole set or nothing):
//!
//! - **watch**: a file watcher (notify, debounced by [`DEFAULT_DEBOUNCE`]) on the directory
//!   itself, non-recursively like the loader. Watching the directory rather than the files
//!   keeps saves that replace a file (write a temp file, rename it over) and Kubernetes
//!   ConfigMap updates (the `..data` symlink swapped by a rename) visible. Only events that
//!   may change what the loader reads count: flow files ([`flow::is_flow_file`]) and
//!   ConfigMap entries (`..data`, `..2026_…`); editor droppings (`4913`, `.swp`, `~`, `.#…`)
//!   and other hidden files do not.
//! - **poll** (`--reload-poll`): for filesystems that send no events (NFS, some container
//!   mounts), a fingerprint of the flow files (name, size, mtime, inode, mode, following
//!   symlinks) is taken every interval; a difference reloads.
//! - **SIGHUP** ([`ReloadHandle::request`]), always available, even with `--no-watch`.
//!
//! One worker thread ([`Reloader`]) does every reload, so they run one at a time and never
//! on the async runtime: the watcher's callback and the signal task only send it a message.
//! Messages that arrive while it is busy are merged into one reload. Every attempt is logged
//! as one JSON event (`flows reloaded`, `flows unchanged` or `flow reload refused`, with
//! `trigger`, `duration_ms`, counts and, on refusal, the rustc-style diagnostics).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant, SystemTime};

use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
use notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, DebouncedEvent, Debouncer, RecommendedCache};

use super::store::{FlowStore, LoadReport, ReloadMode, StoreError};
use crate::flow;

/// How long the directory must be quiet before a change is acted on: long enough to cover an
/// editor's whole save (temp file, rename, backup removal) or `cp` of several files, short
/// enough that the next call uses the new flows.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(150);

/// The shortest `--reload-poll` interval: a poll lists and stats every flow file.
pub const MIN_POLL: Duration = Duration::from_millis(100);

/// File times within this much of a fingerprint may hide a later change of the same size in
/// the same clock tick (mtime granularity is up to 2 s on some filesystems): such a
/// fingerprint is re-checked by reloading (the "racy clean" problem git solves the same way).
const RACY: Duration = Duration::from_secs(2);

/// The first wait before retrying a reload that failed for a reason that may pass (out of
/// descriptors, unreadable files, a save in progress); it doubles up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_millis(250);

/// The longest wait between retries.
const RETRY_MAX: Duration = Duration::from_secs(10);

/// How often the worker tries to watch the directory again after it was removed or moved.
const REWATCH_EVERY: Duration = Duration::from_secs(1);

/// How the directory is watched. The default watches nothing (a library user or a test opts
/// in); `switchboard serve` watches unless `--no-watch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Run a file watcher on the directory.
    pub watch: bool,
    /// Also compare a fingerprint of the flow files this often.
    pub poll: Option<Duration>,
    /// Quiet time before watched changes are acted on.
    pub debounce: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            watch: false,
            poll: None,
            debounce: DEFAULT_DEBOUNCE,
        }
    }
}

/// What caused a reload (the `trigger` field of its log event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The start-up check found files changed since the first load.
    Start,
    /// The file watcher saw a relevant change.
    Watch,
    /// The poller's fingerprint changed.
    Poll,
    /// `SIGHUP`.
    Sighup,
    /// A retry after a reload that failed for a reason that may pass (files unreadable,
    /// out of descriptors, a save in progress).
    Retry,
}

impl Trigger {
    /// The name in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Start => "start",
            Trigger::Watch => "watch",
            Trigger::Poll => "poll",
            Trigger::Sighup => "sighup",
            Trigger::Retry => "retry",
        }
    }
}

/// What the worker is told.
#[derive(Debug)]
enum Msg {
    /// Reload now, whatever the files look like.
    Force(Trigger),
    /// The watcher saw changes.
    Changed(Change),
    /// The watcher reported errors (e.g. its event queue overflowed).
    WatchErrors(Vec<String>),
    /// The [`Reloader`] was dropped.
    Stop,
}

/// What a batch of watcher events amounts to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Change {
    /// A flow file or ConfigMap entry was created, written, renamed or removed: reload.
    content: bool,
    /// Only attributes changed (mode, times; also the access time our own reads update):
    /// reload only if the fingerprint differs.
    metadata: bool,
    /// The directory itself was removed or moved away: the watch is gone.
    dir_gone: bool,
}

impl Change {
    fn merge(&mut self, other: Change) {
        self.content |= other.content;
        self.metadata |= other.metadata;
        self.dir_gone |= other.dir_gone;
    }

    fn any(self) -> bool {
        self.content || self.metadata || self.dir_gone
    }
}

/// Asks the reload worker for a reload. Cheap to clone; usable from any thread or task.
#[derive(Debug, Clone)]
pub struct ReloadHandle {
    /// The worker's inbox.
    tx: mpsc::Sender<Msg>,
}

impl ReloadHandle {
    /// Queues a reload regardless of what changed (`SIGHUP`). Never blocks.
    pub fn request(&self, trigger: Trigger) {
        // The worker only stops when the reloader is dropped; a request after that has
        // nothing left to reload for.
        let _ = self.tx.send(Msg::Force(trigger));
    }
}

/// The reload worker and, when enabled, the file watcher feeding it. Dropping it stops both
/// (without waiting for a reload in progress, which finishes on its own).
#[derive(Debug)]
pub struct Reloader {
    /// The worker's inbox.
    tx: mpsc::Sender<Msg>,
    /// How reloads are triggered: `watch` is false when watching was asked for but failed.
    /// (The store reports the same once the worker has made its start-up check.)
    mode: ReloadMode,
}

impl Reloader {
    /// Starts the worker thread, the watcher (`options.watch`) and the poller
    /// (`options.poll`) for `store`'s directory. Never fails: when the watcher cannot start
    /// (e.g. the inotify limit is reached) that is logged and the server goes on with polling
    /// and `SIGHUP`. The worker logs through the subscriber current on the calling thread.
    ///
    /// When watching or polling, also checks once, in the background, whether a file changed
    /// between the store's first load and the watcher's start, and reloads if so.
    pub fn start(store: Arc<FlowStore>, options: &Options) -> Reloader {
        let (tx, rx) = mpsc::channel();
        let dir = store.dir().to_path_buf();
        // Event paths are absolute (notify joins a relative watch path to the working
        // directory); compare against the same form. Falls back to the path as given.
        let abs_dir = std::path::absolute(&dir).unwrap_or_else(|_| dir.clone());
        let debouncer = if options.watch {
            match watch(&dir, &abs_dir, options.debounce, tx.clone()) {
                Ok(d) => Some(d),
                Err(e) => {
                    tracing::error!(
                        dir = %dir.display(),
                        error = %e,
                        "cannot watch the flows directory; changes are picked up only by \
                         --reload-poll or SIGHUP"
                    );
                    None
                }
            }
        } else {
            None
        };
        let poll = options.poll.map(|p| p.max(MIN_POLL));
        let mode = ReloadMode {
            watch: debouncer.is_some(),
            poll,
        };
        let how = match (mode.watch, poll) {
            (true, _) => "watching the flows directory for changes; SIGHUP also reloads",
            (false, Some(_)) => "polling the flows directory for changes; SIGHUP also reloads",
            (false, None) => "not watching the flows directory; SIGHUP reloads",
        };
        tracing::info!(
            dir = %dir.display(),
            watch = mode.watch,
            poll_s = poll.map(|p| p.as_secs_f64()),
            "{how}"
        );
        let worker = Worker {
            store,
            abs_dir,
            rx,
            poll,
            want_watch: debouncer.is_some(),
            debouncer,
            debounce: options.debounce,
            tx: tx.clone(),
            last: None,
            recheck_racy: false,
            rewatch_at: None,
            retry: None,
        };
        // Threads do not inherit the thread-local default subscriber (tests install one per
        // server thread); carry it over so reload events land where the server's do.
        let dispatch = tracing::dispatcher::get_default(|d| d.clone());
        let spawned = std::thread::Builder::new()
            .name("switchboard-reload".into())
            .spawn(move || tracing::dispatcher::with_default(&dispatch, || worker.run()));
        if let Err(e) = spawned {
            // Without the worker nothing reloads, but the flows already loaded keep serving.
            tracing::error!(error = %e, "cannot start the reload thread; hot reload is off");
        }
        Reloader { tx, mode }
    }

    /// A handle to request reloads with (`SIGHUP`).
    pub fn handle(&self) -> ReloadHandle {
        ReloadHandle {
            tx: self.tx.clone(),
        }
    }

    /// How reloads are triggered.
    pub fn mode(&self) -> ReloadMode {
        self.mode
    }
}

impl Drop for Reloader {
    fn drop(&mut self) {
        // Handles may outlive the reloader; the explicit stop ends the worker anyway.
        let _ = self.tx.send(Msg::Stop);
    }
}

/// Reloads `store` now and logs the outcome as one event. What every trigger ends in.
///
/// # Errors
///
/// [`StoreError`] when the new set was refused (the old one keeps serving).
pub fn reload_and_log(store: &FlowStore, trigger: Trigger) -> Result<LoadReport, StoreError> {
    // A success after a refusal is news even when it changed nothing (the bad edit was
    // reverted): the operator watching the logs learns the error is gone.
    let recovered = store.last_failure().is_some();
    let started = Instant::now();
    let result = store.reload();
    // Includes waiting for a reload already in progress: the time the trigger took to land.
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let trigger_name = trigger.as_str();
    match &result {
        Ok(report) if report.changed => {
            let served = store.current();
            tracing::info!(
                trigger = trigger_name,
                ok = true,
                changed = true,
                recovered,
                flows = served.flows,
                steps = served.steps,
                warnings = served.warnings,
                errors = 0,
                duration_ms,
                load_ms = report.load_time.as_secs_f64() * 1000.0,
                summary = %report.summary,
                "flows reloaded"
            );
            if !report.warnings.is_empty() {
                tracing::warn!(
                    trigger = trigger_name,
                    warnings = served.warnings,
                    diagnostics = %report.warnings,
                    "reloaded flows have warnings"
                );
            }
        }
        Ok(report) => {
            // Nothing changed: worth a line when someone asked (SIGHUP) or an error went
            // away, noise otherwise (a file touched, a ConfigMap cleanup, a poll re-check).
            let flows = store.current().flows;
            let summary = report.summary.as_str();
            if trigger == Trigger::Sighup || recovered {
                tracing::info!(
                    trigger = trigger_name,
                    ok = true,
                    changed = false,
                    recovered,
                    flows,
                    duration_ms,
                    summary,
                    "flows unchanged"
                );
            } else {
                tracing::debug!(
                    trigger = trigger_name,
                    ok = true,
                    changed = false,
                    recovered,
                    flows,
                    duration_ms,
                    summary,
                    "flows unchanged"
                );
            }
        }
        Err(StoreError::Invalid(failed)) => {
            tracing::error!(
                trigger = trigger_name,
                ok = false,
                errors = failed.errors,
                duration_ms,
                summary = %failed.summary,
                diagnostics = %failed.diagnostics,
                "flow reload refused; the previous flows keep serving"
            );
        }
        Err(e @ (StoreError::Unreadable(_) | StoreError::Unsettled { .. })) => {
            tracing::error!(
                trigger = trigger_name,
                ok = false,
                errors = 0,
                duration_ms,
                summary = %e,
                "flow reload refused: cannot read the flows; the previous flows keep serving"
            );
        }
    }
    result
}

type Watcher = Debouncer<RecommendedWatcher, RecommendedCache>;

/// Starts a debounced, non-recursive watcher on `dir` whose callback (on notify's thread)
/// classifies events and sends the worker what they amount to.
fn watch(
    dir: &Path,
    abs_dir: &Path,
    debounce: Duration,
    tx: mpsc::Sender<Msg>,
) -> notify::Result<Watcher> {
    let root = abs_dir.to_path_buf();
    // The debouncer ticks every quarter of its timeout; a zero timeout would spin.
    let debounce = debounce.max(Duration::from_millis(10));
    let mut debouncer = notify_debouncer_full::new_debouncer(
        debounce,
        None,
        move |result: DebounceEventResult| {
            let msg = match result {
                Ok(events) => {
                    let change = classify(&root, &events);
                    change.any().then_some(Msg::Changed(change))
                }
                Err(errors) => Some(Msg::WatchErrors(
                    errors.iter().map(ToString::to_string).collect(),
                )),
            };
            if let Some(msg) = msg {
                // Fails only once the worker has stopped: nothing left to tell.
                let _ = tx.send(msg);
            }
        },
    )?;
    debouncer.watch(dir, RecursiveMode::NonRecursive)?;
    Ok(debouncer)
}

/// What a batch of debounced events means for the flows in `dir`.
fn classify(dir: &Path, events: &[DebouncedEvent]) -> Change {
    let mut change = Change::default();
    for event in events {
        if event.need_rescan() {
            // The kernel dropped events: anything may have changed.
            change.content = true;
            continue;
        }
        let kind = match event.kind {
            // Opening and reading (our own loads included) changes nothing; a file closed
            // after writing is the end of a save.
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => Kind::Content,
            EventKind::Access(_) => continue,
            EventKind::Modify(ModifyKind::Metadata(_)) => Kind::Metadata,
            _ => Kind::Content,
        };
        for path in &event.paths {
            if path == dir {
                // Events on the directory itself: only its removal or move matters.
                let gone = matches!(
                    event.kind,
                    EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(_))
                );
                change.dir_gone |= gone;
            } else if path.file_name().is_some_and(is_relevant_name) {
                match kind {
                    Kind::Content => change.content = true,
                    Kind::Metadata => change.metadata = true,
                }
            }
        }
    }
    change
}

/// How an event bears on the flows.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Content,
    Metadata,
}

/// True for a directory entry whose change can change what the loader reads: a flow file,
/// or a ConfigMap entry (`..data`, `..data_tmp`, `..2026_11_26_…`), through which the flow
/// files are symlinked. Editor droppings and other hidden files are not.
pub fn is_relevant_name(name: &OsStr) -> bool {
    let Some(name) = name.to_str() else {
        // The loader skips names that are not UTF-8 as well.
        return false;
    };
    (name.starts_with("..") && name.len() > 2) || flow::is_flow_file(Path::new(name))
}

/// The reload thread's state.
struct Worker {
    /// The served flows.
    store: Arc<FlowStore>,
    /// The watched directory, absolute.
    abs_dir: PathBuf,
    /// Messages from the watcher, the signal task and the [`Reloader`].
    rx: mpsc::Receiver<Msg>,
    /// The poll interval, if polling.
    poll: Option<Duration>,
    /// Watching was asked for (and worked at start): re-establish it if the directory goes.
    want_watch: bool,
    /// The watcher; owned here so it can be pointed at the directory again.
    debouncer: Option<Watcher>,
    /// The watcher's debounce, for re-creating it.
    debounce: Duration,
    /// A sender to our own inbox, for a re-created watcher.
    tx: mpsc::Sender<Msg>,
    /// The fingerprint taken just before the latest reload (or at start); `None` before the
    /// start-up check.
    last: Option<Fingerprint>,
    /// The latest reload's fingerprint was racy (a file changed within the mtime
    /// granularity before it): once that window has passed, the poller reloads once more.
    recheck_racy: bool,
    /// When to try watching the directory again after it went away.
    rewatch_at: Option<Instant>,
    /// After a reload that failed for a reason that may pass: when to try again, and the
    /// wait that led there (doubled after each failed retry, up to [`RETRY_MAX`]).
    retry: Option<(Instant, Duration)>,
}

impl Worker {
    fn run(mut self) {
        // Only when something watches: with SIGHUP alone, reloading is the operator's call.
        if self.want_watch || self.poll.is_some() {
            self.start_check();
        }
        // Only now: `/readyz` reporting the watcher means changes from here on are seen.
        self.set_watching(self.want_watch);
        let mut next_poll = self.poll.map(|p| Instant::now() + p);
        loop {
            let deadline = [next_poll, self.rewatch_at, self.retry.map(|(at, _)| at)]
                .into_iter()
                .flatten()
                .min();
            let received = match deadline {
                Some(at) => self
                    .rx
                    .recv_timeout(at.saturating_duration_since(Instant::now())),
                None => self.rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            let first = match received {
                Ok(msg) => msg,
                Err(RecvTimeoutError::Disconnected) => return,
                Err(RecvTimeoutError::Timeout) => {
                    let now = Instant::now();
                    if self.rewatch_at.is_some_and(|at| at <= now) {
                        self.rewatch();
                    }
                    if self.retry.is_some_and(|(at, _)| at <= now) {
                        self.reload(Trigger::Retry);
                    }
                    if let (Some(at), Some(every)) = (next_poll, self.poll)
                        && at <= now
                    {
                        self.poll_tick();
                        next_poll = Some(Instant::now() + every);
                    }
                    continue;
                }
            };
            // Everything already queued is answered by the same reload.
            let mut forced = None;
            let mut change = Change::default();
            let mut msg = Some(first);
            while let Some(m) = msg {
                match m {
                    Msg::Stop => return,
                    Msg::Force(t) => forced = forced.or(Some(t)),
                    Msg::Changed(c) => change.merge(c),
                    Msg::WatchErrors(errors) => {
                        tracing::warn!(errors = ?errors, "file watcher error; reloading to be safe");
                        change.content = true;
                    }
                }
                msg = self.rx.try_recv().ok();
            }
            if change.dir_gone && self.want_watch {
                self.set_watching(false);
                tracing::warn!(
                    dir = %self.abs_dir.display(),
                    "the flows directory was removed or moved; watching it again once it exists"
                );
                self.rewatch_at = Some(Instant::now());
                change.content = true;
            }
            if let Some(trigger) = forced {
                self.reload(trigger);
            } else if change.content {
                self.reload(Trigger::Watch);
            } else if change.metadata {
                // Attribute changes matter when they change what can be read (mode) or
                // mark a rewrite (mtime), not when our own reads update access times.
                let now = Fingerprint::take(&self.abs_dir);
                if self.last.as_ref() != Some(&now) {
                    self.reload(Trigger::Watch);
                }
            }
        }
    }

    /// Catches changes made between the store's first load and the watcher's start: any
    /// file (or the directory, for deletions) modified since shortly before that load.
    fn start_check(&mut self) {
        let fp = Fingerprint::take(&self.abs_dir);
        let served = self.store.current();
        let margin = i64::try_from((served.load_time + RACY).as_millis()).unwrap_or(i64::MAX);
        let load_started = served.loaded_at.as_millisecond().saturating_sub(margin);
        drop(served);
        let newest = fp
            .newest
            .and_then(|t| jiff::Timestamp::try_from(t).ok())
            .map(|t| t.as_millisecond());
        if newest.is_some_and(|t| t >= load_started) {
            self.reload(Trigger::Start);
        } else {
            self.last = Some(fp);
        }
    }

    /// A poll: reload when the fingerprint differs from the one taken before the latest
    /// reload. A racy one is re-checked by one more reload once the window has passed: from
    /// then on any write gets a newer mtime, and anything written inside the window is read.
    fn poll_tick(&mut self) {
        let fp = Fingerprint::take(&self.abs_dir);
        let changed = self.last.as_ref() != Some(&fp);
        if changed || (self.recheck_racy && !fp.is_racy()) {
            self.reload(Trigger::Poll);
        }
    }

    /// Fingerprints, then reloads: a change during the load leaves a fingerprint that
    /// differs from the recorded one, so the next poll catches it.
    fn reload(&mut self, trigger: Trigger) {
        let fp = Fingerprint::take(&self.abs_dir);
        // Only the poller needs it: the watcher hears every later write.
        self.recheck_racy = self.poll.is_some() && fp.is_racy();
        self.last = Some(fp);
        match reload_and_log(&self.store, trigger) {
            Err(e) if e.is_transient() => {
                let wait = match self.retry {
                    Some((_, last)) => (last * 2).min(RETRY_MAX),
                    None => RETRY_FIRST,
                };
                tracing::info!(
                    retry_in_ms = wait.as_millis() as u64,
                    "the reload failed for a reason that may pass; retrying"
                );
                self.retry = Some((Instant::now() + wait, wait));
            }
            // Loaded, or refused for a reason in the files: the next change tries again.
            _ => self.retry = None,
        }
    }

    /// Records in the store (for `/readyz`) whether the watcher is running.
    fn set_watching(&self, watch: bool) {
        self.store.set_reload_mode(ReloadMode {
            watch,
            poll: self.poll,
        });
    }

    /// Points the watcher at the directory again after it was removed or moved.
    fn rewatch(&mut self) {
        self.rewatch_at = None;
        if !self.abs_dir.is_dir() {
            self.rewatch_at = Some(Instant::now() + REWATCH_EVERY);
            return;
        }
        // A fresh watcher: the old one's state (its watch descriptor) died with the
        // directory.
        self.debouncer = None;
        match watch(&self.abs_dir, &self.abs_dir, self.debounce, self.tx.clone()) {
            Ok(d) => {
                self.debouncer = Some(d);
                self.set_watching(true);
                tracing::info!(dir = %self.abs_dir.display(), "watching the flows directory again");
                // Whatever happened while nothing was watching.
                self.reload(Trigger::Watch);
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch the flows directory yet; retrying");
                self.rewatch_at = Some(Instant::now() + REWATCH_EVERY);
            }
        }
    }
}

/// What the flow files of a directory look like from their metadata: cheap to take (one
/// listing and one `stat` per file), compared between polls.
#[derive(Debug, Clone)]
struct Fingerprint {
    /// Per flow file, sorted by name; `Err` with the error kind when the directory cannot be
    /// listed.
    files: Result<Vec<Stamp>, std::io::ErrorKind>,
    /// The newest modification time among the flow files and the directory itself (which
    /// changes when an entry is added, removed or renamed).
    newest: Option<SystemTime>,
    /// When it was taken.
    taken: SystemTime,
}

/// The metadata of one flow file (symlinks followed, so a ConfigMap's new target differs).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    /// The path.
    path: PathBuf,
    /// Size in bytes.
    len: u64,
    /// Modification time, when the filesystem has one.
    modified: Option<SystemTime>,
    /// Device, inode and mode: a file replaced by a rename has a new inode, a `chmod` changes
    /// what can be read.
    id: (u64, u64, u32),
}

impl PartialEq for Fingerprint {
    fn eq(&self, other: &Self) -> bool {
        // The directory's own time is left out: it changes with every swap file an editor
        // creates, which is no reason to reload. Added and removed flow files show in `files`.
        self.files == other.files
    }
}

impl Fingerprint {
    fn take(dir: &Path) -> Fingerprint {
        let taken = SystemTime::now();
        let dir_time = std::fs::metadata(dir).and_then(|m| m.modified()).ok();
        let files = match flow::list_dir(dir) {
            Ok(paths) => Ok(paths.into_iter().filter_map(stamp).collect::<Vec<_>>()),
            Err(flow::LoadError::Unreadable { source, .. }) => Err(source.kind()),
            Err(flow::LoadError::Empty { .. }) => Ok(Vec::new()),
        };
        let newest = files
            .as_ref()
            .ok()
            .into_iter()
            .flatten()
            .filter_map(|s| s.modified)
            .chain(dir_time)
            .max();
        Fingerprint {
            files,
            newest,
            taken,
        }
    }

    /// A file changed so shortly before the fingerprint that a further change in the same
    /// clock tick, of the same size, would not show. Times further in the future than the
    /// window (a network filesystem's skewed clock) are not racy: waiting would not help.
    fn is_racy(&self) -> bool {
        self.newest
            .is_some_and(|t| t + RACY >= self.taken && t <= self.taken + RACY)
    }
}

fn stamp(path: PathBuf) -> Option<Stamp> {
    // Following symlinks, like the loader. A file that vanished since the listing is simply
    // absent, which differs from the previous fingerprint anyway.
    let meta = std::fs::metadata(&path).ok()?;
    #[cfg(unix)]
    let id = {
        use std::os::unix::fs::MetadataExt as _;
        (meta.dev(), meta.ino(), meta.mode())
    };
    #[cfg(not(unix))]
    let id = (0, 0, u32::from(meta.permissions().readonly()));
    Some(Stamp {
        len: meta.len(),
        modified: meta.modified().ok(),
        id,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::Event;
    use notify::event::{CreateKind, DataChange, MetadataKind, RemoveKind, RenameMode};

    fn ev(kind: EventKind, paths: &[&str]) -> DebouncedEvent {
        let mut e = Event::new(kind);
        for p in paths {
            e = e.add_path(PathBuf::from(p));
        }
        DebouncedEvent::new(e, std::time::Instant::now())
    }

    fn of(events: &[DebouncedEvent]) -> Change {
        classify(Path::new("/flows"), events)
    }

    const CONTENT: Change = Change {
        content: true,
        metadata: false,
        dir_gone: false,
    };

    #[test]
    fn relevant_names() {
        for name in [
            "acme.yaml",
            "acme.yml",
            "_shared.yaml",
            "..data",
            "..data_tmp",
            "..2026_11_26_10_00_00.123456789",
        ] {
            assert!(is_relevant_name(OsStr::new(name)), "{name}");
        }
        for name in [
            "4913",
            ".acme.yaml.swp",
            ".acme.yaml.swx",
            "acme.yaml~",
            ".#acme.yaml",
            ".hidden.yaml",
            "acme.yaml.tmp",
            "README.md",
            "tests",
            "..",
            ".",
        ] {
            assert!(!is_relevant_name(OsStr::new(name)), "{name}");
        }
    }

    #[test]
    fn editor_droppings_and_reads_are_ignored() {
        let modify = EventKind::Modify(ModifyKind::Data(DataChange::Any));
        assert_eq!(
            of(&[
                ev(EventKind::Create(CreateKind::File), &["/flows/4913"]),
                ev(EventKind::Remove(RemoveKind::File), &["/flows/4913"]),
                ev(modify, &["/flows/.acme.yaml.swp"]),
                ev(modify, &["/flows/acme.yaml~"]),
                ev(
                    EventKind::Access(AccessKind::Open(AccessMode::Any)),
                    &["/flows/acme.yaml"]
                ),
                ev(
                    EventKind::Access(AccessKind::Open(AccessMode::Any)),
                    &["/flows"]
                ),
                // A subdirectory is not read by the loader.
                ev(EventKind::Create(CreateKind::Folder), &["/flows/tests"]),
            ]),
            Change::default()
        );
    }

    #[test]
    fn saves_renames_configmaps_and_removals_reload() {
        let rename = EventKind::Modify(ModifyKind::Name(RenameMode::Both));
        // vim: rename the original to a backup, write anew.
        assert_eq!(
            of(&[ev(rename, &["/flows/acme.yaml", "/flows/acme.yaml~"])]),
            CONTENT
        );
        // A temp file renamed over the flow.
        assert_eq!(
            of(&[ev(rename, &["/flows/.acme.yaml.tmp", "/flows/acme.yaml"])]),
            CONTENT
        );
        // The ConfigMap swap.
        assert_eq!(
            of(&[ev(rename, &["/flows/..data_tmp", "/flows/..data"])]),
            CONTENT
        );
        assert_eq!(
            of(&[ev(
                EventKind::Remove(RemoveKind::File),
                &["/flows/old.yaml"]
            )]),
            CONTENT
        );
        assert_eq!(
            of(&[ev(
                EventKind::Access(AccessKind::Close(AccessMode::Write)),
                &["/flows/acme.yaml"]
            )]),
            CONTENT
        );
        let attrib = EventKind::Modify(ModifyKind::Metadata(MetadataKind::Any));
        assert_eq!(
            of(&[ev(attrib, &["/flows/acme.yaml"])]),
            Change {
                metadata: true,
                ..Change::default()
            }
        );
        // The directory itself going away.
        assert!(of(&[ev(EventKind::Remove(RemoveKind::Folder), &["/flows"])]).dir_gone);
        assert!(!of(&[ev(attrib, &["/flows"])]).any());
    }

    #[test]
    fn fingerprints_see_content_swaps_and_ignore_droppings() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::write(p.join("a.yaml"), "one").unwrap();
        let before = Fingerprint::take(p);
        assert!(before.is_racy(), "just written");
        std::fs::write(p.join(".a.yaml.swp"), "x").unwrap();
        std::fs::write(p.join("4913"), "").unwrap();
        assert_eq!(Fingerprint::take(p), before, "droppings are not flow files");
        // Same size, replaced by a rename: a new inode.
        std::fs::write(p.join("tmp"), "two").unwrap();
        std::fs::rename(p.join("tmp"), p.join("a.yaml")).unwrap();
        let after = Fingerprint::take(p);
        assert_ne!(after, before);
        std::fs::write(p.join("b.yml"), "three").unwrap();
        assert_ne!(Fingerprint::take(p), after, "a new flow file");
        let gone = Fingerprint::take(&p.join("missing"));
        assert!(gone.files.is_err());
        assert_ne!(gone, after);
    }
}
