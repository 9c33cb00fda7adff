//! Business-hours schedules: "is the office open right now?".
//!
//! A flow file names schedules and a route rule such as `{ open: office }` asks whether
//! one is open at the moment a call arrives. A schedule is written in YAML:
//!
//! ```yaml
//! timezone: America/New_York        # optional IANA zone; else the caller's fallback zone
//! hours:                            # weekly hours, local wall-clock time
//!   mon-fri: "09:00-12:00, 13:00-17:30"
//!   sat: "10:00-14:00"
//!   fri: "22:00-02:00"              # ends before it starts: spans midnight into Saturday
//!   sun: closed                     # explicit: no hours that day
//! closed:                           # closures and holidays
//!   - 2026-12-25                    # one whole local day
//!   - 2026-12-24..2026-12-26        # an inclusive range of whole days
//!   - 2026-12-31T17:00..2027-01-02T09:00   # a local date-time range, end exclusive
//! open:                             # special openings, same syntax as `closed`
//!   - 2026-12-27T10:00..2026-12-27T14:00
//! force: open                       # optional override ("holiday mode"): open | closed
//! ```
//!
//! # `hours`
//!
//! Each key names one or more weekdays and each value lists that day's opening windows.
//!
//! * **Days** (case-insensitive): `mon tue wed thu fri sat sun` (the full English names,
//!   `monday` … `sunday`, are accepted too); ranges `mon-fri`, which may wrap around the
//!   week (`fri-mon` is Fri, Sat, Sun, Mon); comma lists `sat,sun` or `sat, sun`, whose
//!   items may themselves be ranges; and the aliases `daily`, `weekdays` (mon-fri) and
//!   `weekends` (sat, sun).
//! * **Windows**: `HH:MM-HH:MM` on a 24-hour clock (a one-digit hour, `9:00`, is accepted),
//!   several separated by commas, with optional whitespace around the commas and dashes.
//!   Times run `00:00` to `23:59`, and
//!   `24:00` may end a window (`00:00-24:00` is the whole day). The start is inclusive and
//!   the end exclusive: `09:00-17:00` is open at 09:00 and closed at 17:00. A window whose
//!   end is earlier than its start spans midnight: `fri: "22:00-02:00"` is open from Friday
//!   22:00 to Saturday 02:00. A window whose start equals its end is an error.
//! * **`closed`** (case-insensitive) as a value means the day has no hours of its own. It
//!   must be the whole value, and an empty value (`sun:`) is not a synonym: YAML reads that
//!   as null, which the loader rejects.
//!
//! A day named by several keys gets the union of their windows, and overlapping windows are
//! fine (open if any covers the time). The one exception is `closed`: a day that any key marks `closed` has no
//! windows, whatever other keys (typically an alias such as `daily`) give it, so
//! `daily: "09:00-17:00"` with `sun: closed` is closed all Sunday. A midnight-spanning window
//! belongs to the day it starts on, so it is dropped when *that* day is closed, not when the
//! day it spills into is.
//!
//! # `closed` and `open`
//!
//! Each entry is a string in one of these forms, all in the schedule's local time:
//!
//! * `YYYY-MM-DD`: that whole local day;
//! * `YYYY-MM-DD..YYYY-MM-DD`: every day from the first to the last, both included;
//! * `YYYY-MM-DDTHH:MM..YYYY-MM-DDTHH:MM`: from the first instant (included) to the second
//!   (excluded); a space or a lower-case `t` may stand for the `T`.
//!
//! The two ends of a range may mix forms: a date at the start means its 00:00, a date at
//! the end means "through the end of that day". A lone date-time is not a period and is an
//! error, as is a range that ends before it starts (or, for date-times, where it starts).
//! Whitespace around `..` is allowed.
//!
//! Entries do not look at the weekly hours: a date-only `open` entry opens the whole day,
//! around the clock, and a `closed` entry closes its period even in the middle of a window.
//!
//! # Deciding at an instant
//!
//! 1. `force: open` or `force: closed` decides, whatever the time.
//! 2. Otherwise the instant is converted to the schedule's zone, with the real IANA rules
//!    (daylight saving included), giving a local wall-clock date and time.
//! 3. If it falls in any `open` entry, the schedule is open.
//! 4. Otherwise, if it falls in any `closed` entry, the schedule is closed.
//! 5. Otherwise it is open if the local time falls in one of the local weekday's windows, or
//!    in the after-midnight part of a window that started the previous day.
//!
//! Everything is compared as local wall-clock time, never as elapsed time. So on the day
//! clocks spring forward (02:00 → 03:00 in New York), a `01:00-03:00` window is open for one
//! real hour; on the day they fall back, 01:30 happens twice and a window covering it is open
//! both times. The same holds for `closed`/`open` entries: a range ending at 01:30 on a
//! fall-back night stops applying at the first 01:30 and applies again from the second 01:00
//! until the second 01:30.
//!
//! # Errors
//!
//! [`Schedule::compile`] reports every problem it finds, not just the first, each as a
//! [`ScheduleError`] pointing at the offending YAML node: the key for a bad day name, the
//! value for everything else (the whole scalar; a value with two bad windows gets two errors
//! at the same place). Locations are the `referenced` ones, i.e. where an alias is used.
//!
//! # Layout
//!
//! `spec` is the YAML as written, `compile` checks it and parses its small languages
//! (days, windows, periods, zones) into a [`Schedule`], `eval` decides "open at this
//! instant?", and `explain` words that decision for call traces.

mod compile;
mod eval;
mod explain;
mod spec;

pub use compile::parse_time_zone;
pub use eval::Schedule;
pub use spec::{Hours, ScheduleError, ScheduleSpec};

#[cfg(test)]
mod tests;
