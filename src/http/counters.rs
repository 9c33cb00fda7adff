//! In-memory counters of what the server has handled, shown in `/readyz`.
//!
//! Plain relaxed atomics: each is an independent tally, nothing orders one against another, and
//! an increment costs a few nanoseconds on the hot path. They reset when the process restarts;
//! the call-records work persists events properly.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde_json::{Map, Value, json};

/// The statuses counted by name (anything else is `other`), shared with the metrics.
pub use crate::metrics::{CALL_STATUSES, RECORDING_STATUSES};

/// Every counter the server keeps.
#[derive(Debug, Default)]
pub struct Counters {
    /// Incoming calls answered by a flow (`/voice`).
    pub calls: AtomicU64,
    /// Incoming calls no flow answers (rejected with `<Reject>`).
    pub unrouted: AtomicU64,
    /// Action-URL requests that continued a call (`/voice/{flow}/{step}`).
    pub continuations: AtomicU64,
    /// Runs that hit a run-time failure and answered the safe document.
    pub run_failures: AtomicU64,
    /// Handler panics turned into a safe answer.
    pub panics: AtomicU64,
    /// Requests to `/fallback` (Twilio could not use a primary answer).
    pub fallbacks: AtomicU64,
    /// Requests refused with `403` by the signature check.
    pub signature_rejections: AtomicU64,
    /// Requests that ran out of the per-request time (`408`).
    pub timeouts: AtomicU64,
    /// Status callbacks by `CallStatus`, in [`CALL_STATUSES`] order, then `other`.
    pub call_status: [AtomicU64; CALL_STATUSES.len() + 1],
    /// Recording callbacks by `RecordingStatus`, in [`RECORDING_STATUSES`] order, then `other`.
    pub recording_status: [AtomicU64; RECORDING_STATUSES.len() + 1],
    /// Requests being handled right now (a gauge).
    pub in_flight: AtomicU64,
    /// Open client connections (a gauge).
    pub connections: AtomicU64,
    /// Times the open-connection cap was reached.
    pub connection_limit: AtomicU64,
}

/// Adds one.
pub fn bump(c: &AtomicU64) {
    c.fetch_add(1, Relaxed);
}

impl Counters {
    /// Counts a status callback.
    pub fn call_status(&self, status: &str) {
        bump(&self.call_status[slot(&CALL_STATUSES, status)]);
    }

    /// Counts a recording callback.
    pub fn recording_status(&self, status: &str) {
        bump(&self.recording_status[slot(&RECORDING_STATUSES, status)]);
    }

    /// All counters as JSON (for `/readyz`).
    pub fn to_json(&self) -> Value {
        let get = |c: &AtomicU64| c.load(Relaxed);
        let by = |names: &[&str], counts: &[AtomicU64]| {
            let mut m = Map::new();
            for (name, c) in names.iter().chain(&["other"]).zip(counts) {
                m.insert((*name).to_owned(), get(c).into());
            }
            Value::Object(m)
        };
        json!({
            "calls": get(&self.calls),
            "unrouted": get(&self.unrouted),
            "continuations": get(&self.continuations),
            "run_failures": get(&self.run_failures),
            "panics": get(&self.panics),
            "fallbacks": get(&self.fallbacks),
            "signature_rejections": get(&self.signature_rejections),
            "timeouts": get(&self.timeouts),
            "call_status": by(&CALL_STATUSES, &self.call_status),
            "recording_status": by(&RECORDING_STATUSES, &self.recording_status),
            "in_flight": get(&self.in_flight),
            "connections": get(&self.connections),
            "connection_limit_reached": get(&self.connection_limit),
        })
    }
}

/// Index of `value` in `names`, or the `other` slot after them.
fn slot(names: &[&str], value: &str) -> usize {
    names
        .iter()
        .position(|n| *n == value)
        .unwrap_or(names.len())
}

/// Decrements a gauge when dropped, so every exit path (including a panic or a dropped future)
/// gives back what it took.
pub struct GaugeGuard<'a>(
    /// The gauge this guard incremented.
    &'a AtomicU64,
);

impl<'a> GaugeGuard<'a> {
    /// Increments `gauge` until the guard drops.
    pub fn new(gauge: &'a AtomicU64) -> Self {
        gauge.fetch_add(1, Relaxed);
        GaugeGuard(gauge)
    }
}

impl Drop for GaugeGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_land_in_their_slot() {
        let c = Counters::default();
        c.call_status("busy");
        c.call_status("busy");
        c.call_status("weird");
        c.recording_status("completed");
        {
            let _g = GaugeGuard::new(&c.in_flight);
            assert_eq!(c.to_json()["in_flight"], 1);
        }
        let j = c.to_json();
        assert_eq!(j["call_status"]["busy"], 2);
        assert_eq!(j["call_status"]["other"], 1);
        assert_eq!(j["call_status"]["completed"], 0);
        assert_eq!(j["recording_status"]["completed"], 1);
        assert_eq!(j["in_flight"], 0);
    }
}
