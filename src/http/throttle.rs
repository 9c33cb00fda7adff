//! Rate-limited log lines.
//!
//! A flood of forged or unsigned requests must not become a flood of log lines: at 100,000
//! requests a second one WARN line each is ~28 MB/s of logs, which fills disks and drowns
//! everything else. A [`Throttle`] lets a few lines per window through and counts the rest;
//! the first line of the next window says how many were left out, so the count survives.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Lets at most `per_window` events through per window; counts the others.
#[derive(Debug)]
pub(crate) struct Throttle {
    /// When the throttle was made; windows are counted from here.
    origin: Instant,
    /// The window length in milliseconds.
    window_ms: u64,
    /// Events let through per window.
    per_window: u32,
    /// The current window's index (high 32 bits) and events let through in it (low 32).
    state: AtomicU64,
    /// Events left out since the last line that reported them.
    left_out: AtomicU64,
}

/// What to do with one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Log it, saying that this many earlier events were left out (0: none).
    Log {
        /// Events left out before this one, since the last logged line.
        left_out: u64,
    },
    /// Count it, don't log it.
    Skip,
}

impl Throttle {
    /// At most `per_window` lines per `window`.
    pub(crate) fn new(per_window: u32, window: Duration) -> Throttle {
        Throttle {
            origin: Instant::now(),
            window_ms: u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1),
            per_window: per_window.max(1),
            state: AtomicU64::new(0),
            left_out: AtomicU64::new(0),
        }
    }

    /// Decides for one event now.
    pub(crate) fn check(&self) -> Verdict {
        self.check_at(Instant::now())
    }

    /// Decides for one event at `now` (tests pass their own clock).
    fn check_at(&self, now: Instant) -> Verdict {
        let elapsed = u64::try_from(now.saturating_duration_since(self.origin).as_millis())
            .unwrap_or(u64::MAX);
        // Window indexes wrap after 2^32 windows; two windows that far apart never compare.
        let window = (elapsed / self.window_ms) & 0xFFFF_FFFF;
        let mut current = self.state.load(Ordering::Relaxed);
        loop {
            let (w, n) = (current >> 32, current & 0xFFFF_FFFF);
            let next = if w != window {
                (window << 32) | 1
            } else if n < u64::from(self.per_window) {
                current + 1
            } else {
                self.left_out.fetch_add(1, Ordering::Relaxed);
                return Verdict::Skip;
            };
            match self.state.compare_exchange_weak(
                current,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    return Verdict::Log {
                        left_out: self.left_out.swap(0, Ordering::Relaxed),
                    };
                }
                Err(actual) => current = actual,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_is_cut_to_a_few_lines_and_the_rest_is_counted() {
        let t = Throttle::new(3, Duration::from_secs(1));
        let start = t.origin;
        let verdicts: Vec<Verdict> = (0..1000).map(|_| t.check_at(start)).collect();
        let logged = verdicts.iter().filter(|v| **v != Verdict::Skip).count();
        assert_eq!(logged, 3);
        assert!(
            verdicts[..3]
                .iter()
                .all(|v| *v == Verdict::Log { left_out: 0 })
        );
        // The next window's first line reports what the last one left out.
        assert_eq!(
            t.check_at(start + Duration::from_millis(1500)),
            Verdict::Log { left_out: 997 }
        );
        assert_eq!(
            t.check_at(start + Duration::from_millis(1600)),
            Verdict::Log { left_out: 0 }
        );
    }
}
