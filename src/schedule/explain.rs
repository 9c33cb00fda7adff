//! Words for a decision: why a schedule is open or closed, for call traces.

use std::fmt;

use jiff::Timestamp;
use jiff::civil::DateTime;

use super::eval::{Decision, Schedule, Window, weekday_index};

/// Short weekday names, Monday first (the index used everywhere in this module).
const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

impl Schedule {
    /// The same decision as [`Schedule::is_open`], with a short reason for call traces,
    /// e.g. `open: Mon 09:00-12:00 (America/New_York, Mon 2026-11-30 10:15)`,
    /// `closed: closure 2026-12-25 (…)`, `closed: forced`, `closed: no hours on Sun (…)`.
    /// Every reason that depended on the time ends with the zone and the local time.
    #[must_use]
    pub fn explain(&self, at: Timestamp) -> (bool, String) {
        let decision = self.decide(at);
        let open = decision.is_open();
        let reason = match decision {
            Decision::Forced(true) => "open: forced".to_string(),
            Decision::Forced(false) => "closed: forced".to_string(),
            Decision::Opening(period, local) => format!(
                "open: special opening {} {}",
                period.label,
                self.context(local, at)
            ),
            Decision::Closure(period, local) => {
                format!(
                    "closed: closure {} {}",
                    period.label,
                    self.context(local, at)
                )
            }
            Decision::InWindow(window, local) => {
                format!("open: {window} {}", self.context(local, at))
            }
            Decision::OutsideHours(local) => {
                let day = weekday_index(local);
                // Only the day's own windows: an after-midnight slot belongs to yesterday.
                let own: Vec<String> = self
                    .week
                    .get(day)
                    .into_iter()
                    .flatten()
                    .filter(|slot| usize::from(slot.window.day) == day)
                    .map(|slot| format!("{}-{}", Clock(slot.window.start), Clock(slot.window.end)))
                    .collect();
                if own.is_empty() {
                    format!(
                        "closed: no hours on {} {}",
                        day_name(day),
                        self.context(local, at)
                    )
                } else {
                    format!(
                        "closed: outside {} hours {} {}",
                        day_name(day),
                        own.join(", "),
                        self.context(local, at)
                    )
                }
            }
        };
        (open, reason)
    }

    /// `(America/New_York, Mon 2026-11-30 10:15)`: the zone and the local time used.
    fn context(&self, local: DateTime, at: Timestamp) -> String {
        let day = day_name(weekday_index(local));
        let (date, hour, minute) = (local.date(), local.hour(), local.minute());
        match self.tz.iana_name() {
            Some(zone) => format!("({zone}, {day} {date} {hour:02}:{minute:02})"),
            // A fixed-offset or unnamed system zone: the offset is the most useful name.
            None => format!(
                "(UTC{}, {day} {date} {hour:02}:{minute:02})",
                self.tz.to_offset(at)
            ),
        }
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}-{}",
            day_name(usize::from(self.day)),
            Clock(self.start),
            Clock(self.end)
        )
    }
}

/// `Mon` … `Sun`; `?` for an impossible index rather than a panic.
fn day_name(day: usize) -> &'static str {
    DAY_NAMES.get(day).copied().unwrap_or("?")
}

/// Minutes after midnight shown as `HH:MM` (1440 as `24:00`).
struct Clock(u16);

impl fmt::Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}
