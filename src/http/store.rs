//! The flow set being served, swappable while the server runs.
//!
//! Every request takes the current set with one atomic load ([`arc_swap::ArcSwap`]) and keeps
//! that `Arc` until it has answered, so a reload never blocks a request and never changes the
//! flows under one half-way through. A reload goes through the one loader ([`flow::load_dir`])
//! and swaps only when the new set has no errors; otherwise the old set stays and the failed
//! attempt is kept for `/readyz` and the logs. Hot reload (file watching, `SIGHUP`) calls
//! [`FlowStore::reload`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::{ArcSwap, ArcSwapOption};
use jiff::Timestamp;

use crate::flow::{self, FlowSet, LoadError};

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
}

/// A load attempt that was refused (the previous set, if any, stays in service).
#[derive(Debug, Clone)]
pub struct FailedLoad {
    /// When the attempt finished.
    pub at: Timestamp,
    /// Number of errors (0 when the directory could not be read at all).
    pub errors: usize,
    /// The diagnostics rendered rustc-style, or the reason the directory could not be read.
    /// Not served over HTTP: flow files may hold private numbers.
    pub diagnostics: String,
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
}

/// What a successful load reports.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// One line: `flows: 2 flows, 30 steps, 0 errors, 1 warning`.
    pub summary: String,
    /// Warnings rendered rustc-style (empty when there are none).
    pub warnings: String,
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
    /// Serialises reloads, so a slow attempt cannot finish after a newer one and swap an
    /// older view of the directory back in.
    reload_lock: Mutex<()>,
}

impl FlowStore {
    /// Loads `dir` for the first time. Fails when it cannot be read or has errors: the server
    /// must not start without a valid set.
    ///
    /// # Errors
    ///
    /// [`StoreError`], with the rendered diagnostics for [`StoreError::Invalid`].
    pub fn open(dir: &Path) -> Result<(FlowStore, LoadReport), StoreError> {
        let (served, report) = load(dir)?;
        let store = FlowStore {
            dir: dir.to_path_buf(),
            current: ArcSwap::from_pointee(served),
            last_failure: ArcSwapOption::empty(),
            reload_lock: Mutex::new(()),
        };
        Ok((store, report))
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

    /// Loads the directory again and swaps the new set in when it has no errors. On failure
    /// the old set keeps serving and the attempt is remembered ([`FlowStore::last_failure`]).
    /// Blocking (file I/O): call it from a blocking context.
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
        match load(&self.dir) {
            Ok((served, report)) => {
                self.current.store(Arc::new(served));
                self.last_failure.store(None);
                Ok(report)
            }
            Err(e) => {
                let failed = match &e {
                    StoreError::Invalid(f) => f.clone(),
                    StoreError::Unreadable(le) => FailedLoad {
                        at: Timestamp::now(),
                        errors: 0,
                        diagnostics: le.to_string(),
                        summary: format!("{}: {le}", self.dir.display()),
                    },
                };
                self.last_failure.store(Some(Arc::new(failed)));
                Err(e)
            }
        }
    }
}

fn load(dir: &Path) -> Result<(Served, LoadReport), StoreError> {
    let started = Instant::now();
    let loaded = flow::load_dir(dir)?;
    let load_time = started.elapsed();
    let summary = loaded.summary(&dir.display().to_string());
    if !loaded.is_ok() {
        return Err(StoreError::Invalid(FailedLoad {
            at: Timestamp::now(),
            errors: loaded.errors(),
            diagnostics: loaded.render_diagnostics(),
            summary,
        }));
    }
    let warnings = loaded.warnings();
    let report = LoadReport {
        summary,
        warnings: if warnings > 0 {
            loaded.render_diagnostics()
        } else {
            String::new()
        },
    };
    let served = Served {
        flows: loaded.set.flows.len(),
        steps: loaded.set.step_count(),
        warnings,
        set: loaded.set,
        loaded_at: Timestamp::now(),
        load_time,
    };
    Ok((served, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str =
        "numbers: [\"+14155550100\"]\nstart: hi\nsteps:\n  hi:\n    say: Hello\n    next: hangup\n";

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
            reload_lock: Mutex::new(()),
        };
        assert!(matches!(gone.reload(), Err(StoreError::Unreadable(_))));
        assert!(gone.last_failure().is_some());
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
