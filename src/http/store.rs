//! The flow set being served, swappable while the server runs.
//!
//! Every request takes the current set with one atomic load ([`arc_swap::ArcSwap`]) and keeps
//! that `Arc` until it has answered, so a reload never blocks a request and never changes the
//! flows under one half-way through. A reload goes through the one loader ([`flow::load_dir`])
//! and swaps only when the new set has no errors; otherwise the old set stays and the failed
//! attempt is kept for `/readyz` and the logs. A reload that finds exactly the files already
//! served succeeds without swapping. Hot reload (file watching, polling, `SIGHUP`:
//! [`super::reload`]) calls [`FlowStore::reload`]; the store counts every attempt
//! ([`ReloadHistory`]) for `/readyz`.
//!
//! The files of every set put in service (the first load and each reload that swaps) go to
//! the call store's recorder ([`FlowStore::keep_versions`]), which keeps each version once
//! so a call can be replayed against the flows that answered it. The served set itself
//! never holds the texts.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::{ArcSwap, ArcSwapOption};
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::calls::{FlowSetVersion, Recorder};
use crate::diag::{Diagnostic, Kind, render_json};
use crate::flow::{self, FlowSet, LoadError};
use crate::metrics::Metrics;

/// At most this many diagnostics of a refused reload are listed in `/readyz` (the logs have
/// them all): a broken directory of a thousand flows must not make the probe's answer huge.
pub const READYZ_DIAGNOSTICS: usize = 50;

/// A loaded, error-free flow set and what is known about its load.
#[derive(Debug)]
pub struct Served {
    /// The compiled flows.
    pub set: FlowSet,
    /// When the load finished.
    pub loaded_at: Timestamp,
    /// How long reading and compiling took.
    pub load_time: Duration,
    /// Number of flows (files not starting with `_`).
    pub flows: usize,
    /// Number of steps across all flows.
    pub steps: usize,
    /// Number of warnings the load reported.
    pub warnings: usize,
    /// The warnings rendered rustc-style (empty when there are none), for the console
    /// behind the admin token: they quote source lines.
    pub warnings_text: String,
    /// Digest of every file's path and text ([`Sources::digest`]): a reload that reads the
    /// same files with the same text changed nothing and keeps this set (no swap, not logged
    /// as a change). A digest, not the texts: the set must not hold a second copy of every
    /// file for as long as it is served.
    pub(crate) digest: [u8; 32],
    /// The set's version as call records show it: the digest's first 12 hex digits.
    version: String,
}

impl Served {
    /// The version of the flow set: the first 12 hex digits of its digest. Records say
    /// which version answered each webhook.
    pub fn version(&self) -> &str {
        &self.version
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn version_of(digest: &[u8; 32]) -> String {
    hex(&digest[..6])
}

/// Where the files of each set put in service go.
enum Keeper {
    /// Nobody has said yet (between [`FlowStore::open`] and the server's start): the newest
    /// set's files wait here.
    Waiting(Option<FlowSetVersion>),
    /// Handed to the call store's recorder.
    Recorder(Recorder),
    /// No call store: dropped at once.
    Off,
}

impl std::fmt::Debug for Keeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Keeper::Waiting(_) => "Waiting",
            Keeper::Recorder(_) => "Recorder",
            Keeper::Off => "Off",
        })
    }
}

/// A load attempt that was refused (the previous set, if any, stays in service).
#[derive(Debug, Clone)]
pub struct FailedLoad {
    /// When the attempt finished.
    pub at: Timestamp,
    /// Number of errors (0 when the directory could not be read at all).
    pub errors: usize,
    /// The diagnostics rendered rustc-style, or the reason the directory could not be read.
    /// Logged, and shown only in the console behind the admin token (never `/readyz`): the
    /// rendering quotes source lines, and flow files may hold private numbers.
    pub diagnostics: String,
    /// Every diagnostic (errors and warnings), structured: `/readyz` lists them (kind, file,
    /// line, column, message). Empty when the directory could not be read.
    pub items: Vec<Diagnostic>,
    /// One line: `flows: 2 flows, 30 steps, 1 error, 0 warnings`.
    pub summary: String,
}

/// Why a load was refused.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The directory (or a file in it) could not be read.
    #[error(transparent)]
    Unreadable(#[from] LoadError),
    /// The flows have errors.
    #[error("{}", .0.summary)]
    Invalid(FailedLoad),
    /// The flow files kept changing while they were read: a save in progress.
    #[error(
        "the flow files kept changing for {} ms while being read (a save in progress?)",
        .waited.as_millis()
    )]
    Unsettled {
        /// How long the loader waited for them to hold still.
        waited: Duration,
    },
}

impl StoreError {
    /// True when the failure may go away by itself: the files could not be read (out of
    /// descriptors, a directory being replaced, a save in progress), as opposed to flows
    /// whose text has errors. The reloader retries such failures with backoff.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Unreadable(_) | StoreError::Unsettled { .. } => true,
            StoreError::Invalid(f) => f.items.iter().any(|d| d.kind == Kind::Io),
        }
    }
}

/// How many times a reload re-reads files that keep changing before it gives up (the next
/// change, or the reloader's retry, tries again).
const SETTLE_ROUNDS: u32 = 20;

/// What a successful load reports.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// One line: `flows: 2 flows, 30 steps, 0 errors, 1 warning`.
    pub summary: String,
    /// Warnings rendered rustc-style (empty when there are none).
    pub warnings: String,
    /// False when a reload read exactly the files already served: nothing was swapped.
    pub changed: bool,
    /// How long reading and compiling took.
    pub load_time: Duration,
}

/// What the store knows about reloads since it was opened (the first load is not one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReloadHistory {
    /// Reloads that loaded without errors, including those that changed nothing.
    pub succeeded: u64,
    /// Of the successful reloads, those that read exactly the files already served.
    pub unchanged: u64,
    /// Reloads refused (errors in the flows, or an unreadable directory).
    pub failed: u64,
    /// When the latest successful reload finished.
    pub last_success_at: Option<Timestamp>,
    /// When the latest reload, successful or not, finished.
    pub last_attempt_at: Option<Timestamp>,
}

/// How reloads are triggered, as reported in `/readyz` (set by [`super::reload::Reloader`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReloadMode {
    /// A file watcher on the directory is running.
    pub watch: bool,
    /// The directory is also checked for changes this often.
    pub poll: Option<Duration>,
}

/// The served flow set and its load history.
#[derive(Debug)]
pub struct FlowStore {
    /// The directory every (re)load reads.
    dir: PathBuf,
    /// The set in service; replaced whole by a successful reload.
    current: ArcSwap<Served>,
    /// The latest refused reload, cleared by the next successful one.
    last_failure: ArcSwapOption<FailedLoad>,
    /// Counts and times of reloads. Replaced whole after each attempt while `reload_lock` is
    /// held (so no update is lost), read without a lock by `/readyz`.
    history: ArcSwap<ReloadHistory>,
    /// How reloads are triggered, for `/readyz`.
    mode: ArcSwap<ReloadMode>,
    /// Serialises reloads, so a slow attempt cannot finish after a newer one and swap an
    /// older view of the directory back in.
    reload_lock: Mutex<()>,
    /// How long the files must hold still before a reload uses them ([`FlowStore::settle`]).
    settle: Duration,
    /// Where the files of each set put in service go ([`FlowStore::keep_versions`]).
    keeper: Mutex<Keeper>,
    /// Told the flow names of each set put in service ([`FlowStore::count_in`]).
    metrics: std::sync::OnceLock<Arc<Metrics>>,
}

impl FlowStore {
    /// Loads `dir` for the first time. Fails when it cannot be read or has errors: the server
    /// must not start without a valid set.
    ///
    /// # Errors
    ///
    /// [`StoreError`], with the rendered diagnostics for [`StoreError::Invalid`].
    pub fn open(dir: &Path) -> Result<(FlowStore, LoadReport), StoreError> {
        let (served, report, version) = load(dir, Duration::ZERO)?;
        let store = FlowStore {
            dir: dir.to_path_buf(),
            current: ArcSwap::from_pointee(served),
            last_failure: ArcSwapOption::empty(),
            history: ArcSwap::from_pointee(ReloadHistory::default()),
            mode: ArcSwap::from_pointee(ReloadMode::default()),
            reload_lock: Mutex::new(()),
            settle: Duration::ZERO,
            keeper: Mutex::new(Keeper::Waiting(Some(version))),
            metrics: std::sync::OnceLock::new(),
        };
        Ok((store, report))
    }

    /// Says where the files of the set in service, and of every set a reload puts in
    /// service from now on, go: to `recorder` (the call store keeps each version once), or
    /// nowhere (`None`: `--database none`, dropped at once). Until this is called the files
    /// of the newest set wait in the store (one set's worth); the server calls it as it
    /// starts ([`super::Server::from_tokio`]).
    pub fn keep_versions(&self, recorder: Option<Recorder>) {
        let mut keeper = self.keeper();
        let waiting = match std::mem::replace(&mut *keeper, Keeper::Off) {
            Keeper::Waiting(v) => v,
            Keeper::Recorder(_) | Keeper::Off => None,
        };
        if let Some(recorder) = recorder {
            if let Some(v) = waiting {
                recorder.keep_flow_set(v);
            }
            *keeper = Keeper::Recorder(recorder);
        }
    }

    /// Counts the flows of the set in service, and of every set a reload puts in service
    /// from now on, by name in `metrics` ([`Metrics::serving`]). The first call wins; the
    /// server makes it as it starts.
    pub fn count_in(&self, metrics: &Arc<Metrics>) {
        if self.metrics.set(Arc::clone(metrics)).is_ok() {
            metrics.serving(flow_names(&self.current().set));
        }
    }

    fn keeper(&self) -> std::sync::MutexGuard<'_, Keeper> {
        // Every update replaces the value whole: a panic cannot leave it half-made.
        self.keeper
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Hands a set just put in service to whoever keeps versions. Never waits on the
    /// database ([`Recorder::keep_flow_set`] only queues).
    fn hand_over(&self, version: FlowSetVersion) {
        match &mut *self.keeper() {
            Keeper::Waiting(slot) => *slot = Some(version),
            Keeper::Recorder(r) => r.keep_flow_set(version),
            Keeper::Off => {}
        }
    }

    /// Makes every reload wait until the flow files hold still: after reading them, it waits
    /// `settle` and reads them again, and uses them only when nothing changed (else it reads
    /// again, up to 20 times). A file being written in place (an editor that
    /// truncates and writes, `cat > acme.yaml`, a slow copy) is then never served as the valid
    /// prefix of itself, as long as the writer does not pause for longer than `settle`. Saves
    /// that write a temporary file and rename it over the old one are atomic and need no
    /// settling (docs/operations.md). Zero (the default) reads once.
    #[must_use]
    pub fn settle(mut self, settle: Duration) -> FlowStore {
        self.settle = settle;
        self
    }

    /// The set in service. Cheap (one atomic load and reference count); hold it for one
    /// request, not longer, so replaced sets are freed.
    pub fn current(&self) -> Arc<Served> {
        self.current.load_full()
    }

    /// The directory flows are loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The latest refused reload, if no successful one came after it.
    pub fn last_failure(&self) -> Option<Arc<FailedLoad>> {
        self.last_failure.load_full()
    }

    /// Counts and times of the reloads so far.
    pub fn history(&self) -> Arc<ReloadHistory> {
        self.history.load_full()
    }

    /// How reloads are triggered (what `/readyz` reports).
    pub fn reload_mode(&self) -> ReloadMode {
        **self.mode.load()
    }

    /// Records how reloads are triggered, for `/readyz`.
    pub fn set_reload_mode(&self, mode: ReloadMode) {
        self.mode.store(Arc::new(mode));
    }

    /// Loads the directory again and swaps the new set in when it has no errors and differs
    /// from the one in service. On failure the old set keeps serving and the attempt is
    /// remembered ([`FlowStore::last_failure`]). Blocking (file I/O): call it from a blocking
    /// context.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the new set was refused.
    pub fn reload(&self) -> Result<LoadReport, StoreError> {
        // A poisoned lock only means another reload panicked; the data it guards is `()`.
        let _serial = self
            .reload_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let result = load(&self.dir, self.settle);
        let mut history = ReloadHistory::clone(&self.history.load());
        let now = Timestamp::now();
        history.last_attempt_at = Some(now);
        match result {
            Ok((served, mut report, version)) => {
                history.succeeded += 1;
                history.last_success_at = Some(now);
                // Same files, same text: the compiled set would be the same. Keeping the old
                // one keeps `loaded_at` meaning "when these flows went live".
                report.changed = self.current.load().digest != served.digest;
                if !report.changed {
                    history.unchanged += 1;
                }
                // The record first, the set last: whoever is answered by the new set finds
                // the reload already counted in `/readyz`.
                self.history.store(Arc::new(history));
                self.last_failure.store(None);
                if report.changed {
                    // The names first: requests answered by the new set find their flows.
                    if let Some(m) = self.metrics.get() {
                        m.serving(flow_names(&served.set));
                    }
                    self.current.store(Arc::new(served));
                    self.hand_over(version);
                }
                Ok(report)
            }
            Err(e) => {
                history.failed += 1;
                let failed = match &e {
                    StoreError::Invalid(f) => f.clone(),
                    StoreError::Unreadable(_) | StoreError::Unsettled { .. } => FailedLoad {
                        at: now,
                        errors: 0,
                        diagnostics: e.to_string(),
                        items: Vec::new(),
                        summary: format!("{}: {e}", self.dir.display()),
                    },
                };
                self.history.store(Arc::new(history));
                self.last_failure.store(Some(Arc::new(failed)));
                Err(e)
            }
        }
    }

    /// The `reload` object of `/readyz`: counts, times, how reloads are triggered, and the
    /// refused attempt with its diagnostics (structured, without source lines; at most
    /// [`READYZ_DIAGNOSTICS`]).
    pub fn reload_json(&self) -> Value {
        let history = self.history();
        let mode = self.reload_mode();
        let time = |t: Option<Timestamp>| t.map(|t| t.to_string());
        let last_error = self.last_failure().map(|f| {
            let shown = f.items.len().min(READYZ_DIAGNOSTICS);
            json!({
                "at": f.at.to_string(),
                "errors": f.errors,
                "summary": f.summary,
                "diagnostics": render_json(&f.items[..shown]),
                "diagnostics_omitted": f.items.len() - shown,
            })
        });
        json!({
            "watch": mode.watch,
            "poll_s": mode.poll.map(|p| p.as_secs_f64()),
            "succeeded": history.succeeded,
            "unchanged": history.unchanged,
            "failed": history.failed,
            "last_success_at": time(history.last_success_at),
            "last_attempt_at": time(history.last_attempt_at),
            "last_error": last_error,
        })
    }
}

fn flow_names(set: &FlowSet) -> impl Iterator<Item = &str> {
    set.flows().iter().map(|f| f.name.as_str())
}

/// What [`read_settled`] read, and how long it slept waiting for the files to hold still.
type SettledRead = (Vec<(PathBuf, std::io::Result<String>)>, Duration);

/// Reads the flow files of `dir`; with a `settle` time, reads them again after it until two
/// reads agree.
fn read_settled(dir: &Path, settle: Duration) -> Result<SettledRead, StoreError> {
    let paths = [dir.to_path_buf()];
    let mut read = flow::read_all(&flow::files_of(&paths)?);
    if settle.is_zero() {
        return Ok((read, Duration::ZERO));
    }
    let started = Instant::now();
    for round in 1..=SETTLE_ROUNDS {
        std::thread::sleep(settle);
        let again = flow::read_all(&flow::files_of(&paths)?);
        if same_reads(&read, &again) {
            return Ok((again, settle * round));
        }
        tracing::debug!(
            dir = %dir.display(),
            "flow files changed while being read; waiting for them to hold still"
        );
        read = again;
    }
    Err(StoreError::Unsettled {
        waited: started.elapsed(),
    })
}

/// Two reads of the same files found the same names, the same texts and the same errors.
fn same_reads(
    a: &[(PathBuf, std::io::Result<String>)],
    b: &[(PathBuf, std::io::Result<String>)],
) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|((pa, ra), (pb, rb))| {
            pa == pb
                && match (ra, rb) {
                    (Ok(ta), Ok(tb)) => ta == tb,
                    (Err(ea), Err(eb)) => ea.kind() == eb.kind(),
                    _ => false,
                }
        })
}

/// Reads and compiles `dir`: the set, its report, and its files for the call store.
fn load(dir: &Path, settle: Duration) -> Result<(Served, LoadReport, FlowSetVersion), StoreError> {
    let started = Instant::now();
    let (read, slept) = read_settled(dir, settle)?;
    let mut loaded = flow::load_read(read);
    // Reading and compiling, not the settle time spent sleeping between reads.
    let load_time = started.elapsed().saturating_sub(slept);
    let summary = loaded.summary(&dir.display().to_string());
    let (flows, steps, warnings) = (loaded.flow_count(), loaded.step_count(), loaded.warnings());
    let rendered = loaded.render_diagnostics();
    let digest = loaded.sources.digest();
    // The texts were needed here to render diagnostics, done above; they leave now, to
    // the call store (a refused set's are dropped), so the served set never holds them.
    let files = std::mem::take(&mut loaded.sources).into_files();
    let set = match loaded.into_servable() {
        Ok(set) => set,
        Err(loaded) => {
            return Err(StoreError::Invalid(FailedLoad {
                at: Timestamp::now(),
                errors: loaded.errors(),
                diagnostics: rendered,
                items: loaded.diagnostics,
                summary,
            }));
        }
    };
    let report = LoadReport {
        summary,
        warnings: if warnings > 0 {
            rendered
        } else {
            String::new()
        },
        changed: true,
        load_time,
    };
    let loaded_at = Timestamp::now();
    let version = FlowSetVersion {
        version: version_of(&digest),
        digest: hex(&digest),
        served_at: loaded_at.as_microsecond(),
        files: files
            .into_iter()
            .map(|(path, text)| (file_name(&path), text))
            .collect(),
    };
    let served = Served {
        flows,
        steps,
        warnings,
        warnings_text: report.warnings.clone(),
        set,
        loaded_at,
        load_time,
        version: version.version.clone(),
        digest,
    };
    Ok((served, report, version))
}

/// A flow file's name as the call store keeps it: relative to the flows directory, which
/// the loader reads without descending, so the file name alone (the whole path if it has
/// none, which the loader never gives).
fn file_name(path: &Path) -> String {
    path.file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str =
        "numbers: [\"+14155550100\"]\nstart: hi\nsteps:\n  hi:\n    say: Hello\n    next: hangup\n";

    /// The metrics count a flow by name from the reload that puts it in service on.
    #[test]
    fn a_reload_tells_the_metrics_its_flows() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.yaml"), GOOD).unwrap();
        let (store, _) = FlowStore::open(dir.path()).unwrap();
        let metrics = Arc::new(Metrics::new());
        store.count_in(&metrics);
        let count = |m: &Metrics| {
            m.call(Some("main"));
            m.call(Some("other_line"));
            let text = m.encode(&crate::metrics::Scrape::default(), false).unwrap();
            text.lines()
                .filter(|l| l.starts_with("switchboard_calls_total{"))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        let before = count(&metrics);
        assert!(before.contains(&r#"switchboard_calls_total{flow="main"} 1"#.to_owned()));
        assert!(before.contains(&r#"switchboard_calls_total{flow="other"} 1"#.to_owned()));
        let second = GOOD.replace("0100", "0101");
        std::fs::write(dir.path().join("other_line.yaml"), second).unwrap();
        store.reload().unwrap();
        let after = count(&metrics);
        assert!(after.contains(&r#"switchboard_calls_total{flow="main"} 2"#.to_owned()));
        let named = r#"switchboard_calls_total{flow="other_line"} 1"#;
        assert!(after.contains(&named.to_owned()), "{after:?}");
        assert!(after.contains(&r#"switchboard_calls_total{flow="other"} 1"#.to_owned()));
    }

    #[test]
    fn reload_swaps_only_valid_sets() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.yaml"), GOOD).unwrap();
        let (store, report) = FlowStore::open(dir.path()).unwrap();
        assert!(report.summary.contains("1 flow"), "{}", report.summary);
        let first = store.current();
        assert_eq!(first.flows, 1);

        // A broken file: the reload is refused, the old set keeps serving.
        std::fs::write(dir.path().join("other.yaml"), "steps: [").unwrap();
        let err = store.reload().unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
        assert!(Arc::ptr_eq(&first, &store.current()));
        let failure = store.last_failure().unwrap();
        assert!(failure.errors >= 1);
        assert!(
            failure.diagnostics.contains("other.yaml"),
            "{}",
            failure.diagnostics
        );

        // Fixed: the new set is swapped in and the failure is forgotten.
        std::fs::write(dir.path().join("other.yaml"), GOOD.replace("0100", "0101")).unwrap();
        store.reload().unwrap();
        assert_eq!(store.current().flows, 2);
        assert!(store.last_failure().is_none());

        // Unreadable directory: refused, remembered.
        let gone = FlowStore {
            dir: dir.path().join("missing"),
            current: ArcSwap::new(store.current()),
            last_failure: ArcSwapOption::empty(),
            history: ArcSwap::from_pointee(ReloadHistory::default()),
            mode: ArcSwap::from_pointee(ReloadMode::default()),
            reload_lock: Mutex::new(()),
            settle: Duration::ZERO,
            keeper: Mutex::new(Keeper::Off),
            metrics: std::sync::OnceLock::new(),
        };
        assert!(matches!(gone.reload(), Err(StoreError::Unreadable(_))));
        assert!(gone.last_failure().is_some());
        assert_eq!(gone.history().failed, 1);
    }

    #[test]
    fn a_reload_of_the_same_files_keeps_the_set_and_is_counted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.yaml"), GOOD).unwrap();
        let (store, report) = FlowStore::open(dir.path()).unwrap();
        assert!(report.changed);
        assert_eq!(*store.history(), ReloadHistory::default());
        let first = store.current();

        let report = store.reload().unwrap();
        assert!(!report.changed);
        assert!(Arc::ptr_eq(&first, &store.current()), "no swap");

        std::fs::write(dir.path().join("main.yaml"), GOOD.replace("Hello", "Hi")).unwrap();
        assert!(store.reload().unwrap().changed);
        assert!(!Arc::ptr_eq(&first, &store.current()));

        std::fs::write(dir.path().join("main.yaml"), "start: nowhere\n").unwrap();
        store.reload().unwrap_err();
        let h = store.history();
        assert_eq!((h.succeeded, h.unchanged, h.failed), (2, 1, 1));
        assert!(h.last_attempt_at.unwrap() >= h.last_success_at.unwrap());

        let j = store.reload_json();
        assert_eq!(j["failed"], 1);
        assert_eq!(j["watch"], false);
        let err = &j["last_error"];
        assert!(err["errors"].as_u64().unwrap() >= 1, "{j}");
        let d = &err["diagnostics"][0];
        assert!(d["file"].as_str().unwrap().ends_with("main.yaml"), "{j}");
        assert!(d["line"].as_u64().is_some() && d["kind"].is_string(), "{j}");
        assert_eq!(err["diagnostics_omitted"], 0);

        // Putting the served text back is a successful, unchanged reload that clears the error.
        std::fs::write(dir.path().join("main.yaml"), GOOD.replace("Hello", "Hi")).unwrap();
        assert!(!store.reload().unwrap().changed);
        assert!(store.last_failure().is_none());
        assert!(store.reload_json()["last_error"].is_null());
    }

    #[test]
    fn open_refuses_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bad.yaml"), "start: nowhere\nsteps: {}\n").unwrap();
        match FlowStore::open(dir.path()) {
            Err(StoreError::Invalid(f)) => assert!(f.errors >= 1),
            other => panic!("expected Invalid, got {other:?}"),
        }
    }
}
