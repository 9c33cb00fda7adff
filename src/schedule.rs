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

use std::fmt;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_saphyr::{Location, Spanned};

/// Minutes in a day; also the minute value of `24:00`.
const DAY_MINUTES: u16 = 24 * 60;

/// Short weekday names, Monday first (the index used everywhere in this module).
const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// A schedule as written in YAML, before it is checked. The flow loader deserializes it
/// as part of a bigger document; [`Schedule::compile`] turns it into something that can
/// answer "open now?". Every string keeps its source span so errors can point at it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSpec {
    /// IANA zone name (`America/New_York`); when absent the caller's fallback zone is used.
    pub timezone: Option<Spanned<String>>,
    /// Weekly hours: day keys to window lists, in the order written.
    pub hours: Option<Hours>,
    /// Closures and holidays: dates, date ranges or date-time ranges.
    #[serde(default)]
    pub closed: Vec<Spanned<String>>,
    /// Special openings (same syntax as `closed`); they win over closures and hours.
    #[serde(default)]
    pub open: Vec<Spanned<String>>,
    /// Manual override, `open` or `closed`; beats everything else.
    pub force: Option<Spanned<String>>,
}

/// The `hours:` mapping: `(day key, windows)` pairs in the order they were written.
///
/// A plain map type would lose the order (and `Spanned` keys are not `Ord`), and the order
/// makes error lists and explanations follow the file, so this keeps a vector.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hours(pub Vec<(Spanned<String>, Spanned<String>)>);

impl<'de> Deserialize<'de> for Hours {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// Collects map entries in document order.
        struct HoursVisitor;

        impl<'de> Visitor<'de> for HoursVisitor {
            type Value = Hours;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of days to hours, e.g. `mon-fri: \"09:00-17:00\"`")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Hours, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(16));
                while let Some(entry) = map.next_entry::<Spanned<String>, Spanned<String>>()? {
                    entries.push(entry);
                }
                Ok(Hours(entries))
            }
        }

        deserializer.deserialize_map(HoursVisitor)
    }
}

/// A problem found while compiling a [`ScheduleSpec`].
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleError {
    /// Where: the source location of the offending value or key (`Location::UNKNOWN` for a
    /// spec built in code rather than parsed).
    pub at: Location,
    /// What is wrong, in one line.
    pub message: String,
}

impl ScheduleError {
    /// An error at `at`.
    fn new(at: Location, message: impl Into<String>) -> ScheduleError {
        ScheduleError {
            at,
            message: message.into(),
        }
    }
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}",
            self.at.line(),
            self.at.column(),
            self.message
        )
    }
}

impl std::error::Error for ScheduleError {}

/// A weekly window as the operator wrote it, kept to explain decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Window {
    /// The weekday it starts on, Monday = 0.
    day: u8,
    /// Start, minutes after local midnight (inclusive).
    start: u16,
    /// End, minutes after local midnight (exclusive); at or before `start` when the window
    /// spans midnight.
    end: u16,
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

/// The part of a [`Window`] that falls on one weekday: `start..end` minutes, never
/// crossing midnight, so a lookup is two comparisons.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// Inclusive start, minutes after midnight.
    start: u16,
    /// Exclusive end, minutes after midnight (up to 1440).
    end: u16,
    /// The window this slice came from (the previous day's, for an after-midnight part).
    window: Window,
}

/// Where a `closed`/`open` period ends.
#[derive(Debug, Clone, Copy)]
enum PeriodEnd {
    /// Just before this local date-time.
    Before(DateTime),
    /// At the end of this local date (kept as a date so 9999-12-31 needs no "next day").
    Through(Date),
}

/// One `closed` or `open` entry, as a half-open range of local wall-clock date-times.
#[derive(Debug, Clone)]
struct Period {
    /// First local date-time covered.
    start: DateTime,
    /// Where coverage stops.
    end: PeriodEnd,
    /// The entry as written (trimmed), for explanations.
    label: String,
}

impl Period {
    /// Whether the local wall-clock date-time `local` is covered.
    fn contains(&self, local: DateTime) -> bool {
        local >= self.start
            && match self.end {
                PeriodEnd::Before(end) => local < end,
                PeriodEnd::Through(last) => local.date() <= last,
            }
    }
}

/// A compiled schedule: immutable, cheap to clone (the zone is reference-counted) and
/// cheap to evaluate ([`Schedule::is_open`] does not allocate).
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The zone local times are read in.
    tz: TimeZone,
    /// `Some(true)` for `force: open`, `Some(false)` for `force: closed`.
    force: Option<bool>,
    /// For each local weekday (Monday = 0), the slots open that day, sorted by start:
    /// the day's own windows plus the after-midnight parts of the previous day's.
    week: [Vec<Slot>; 7],
    /// `closed` entries, in the order written.
    closures: Vec<Period>,
    /// `open` entries, in the order written.
    openings: Vec<Period>,
}

/// Why a schedule is open or closed at an instant; computed without allocating, so
/// [`Schedule::is_open`] and [`Schedule::explain`] share one decision procedure.
enum Decision<'a> {
    /// `force:` decided.
    Forced(bool),
    /// A special opening covers the local time.
    Opening(&'a Period, DateTime),
    /// A closure covers the local time.
    Closure(&'a Period, DateTime),
    /// A weekly window covers the local time.
    InWindow(Window, DateTime),
    /// Nothing covers the local time.
    OutsideHours(DateTime),
}

impl Decision<'_> {
    /// The yes/no answer.
    fn is_open(&self) -> bool {
        match self {
            Decision::Forced(open) => *open,
            Decision::Opening(..) | Decision::InWindow(..) => true,
            Decision::Closure(..) | Decision::OutsideHours(..) => false,
        }
    }
}

impl Schedule {
    /// Compiles a spec, checking everything and reporting every problem found (bad day
    /// names, bad times, empty windows, impossible dates, backwards ranges, an unknown zone,
    /// a bad `force`), each pointing at the offending key or value. Errors come sorted by
    /// position. `fallback_tz` is used when the spec names no zone.
    ///
    /// # Errors
    ///
    /// Every problem in the spec, in source order; never an empty vector.
    pub fn compile(
        spec: &ScheduleSpec,
        fallback_tz: &TimeZone,
    ) -> Result<Schedule, Vec<ScheduleError>> {
        let mut errors = Vec::new();

        let tz = match &spec.timezone {
            None => fallback_tz.clone(),
            Some(name) => match parse_time_zone(&name.value) {
                Ok(tz) => tz,
                Err(message) => {
                    errors.push(ScheduleError::new(name.referenced, message));
                    // Keep going with the fallback so the other fields are still checked.
                    fallback_tz.clone()
                }
            },
        };

        let week = match &spec.hours {
            Some(hours) => compile_hours(hours, &mut errors),
            None => Default::default(),
        };
        let closures = compile_periods(&spec.closed, "closed", &mut errors);
        let openings = compile_periods(&spec.open, "open", &mut errors);

        let force = match &spec.force {
            None => None,
            Some(value) => match value.value.trim().to_ascii_lowercase().as_str() {
                "open" => Some(true),
                "closed" => Some(false),
                _ => {
                    errors.push(ScheduleError::new(
                        value.referenced,
                        format!(
                            "bad force value \"{}\": expected `open` or `closed` \
                             (remove `force` to follow the hours)",
                            value.value
                        ),
                    ));
                    None
                }
            },
        };

        if errors.is_empty() {
            Ok(Schedule {
                tz,
                force,
                week,
                closures,
                openings,
            })
        } else {
            // Stable, so errors at one place keep the order they were found in.
            errors.sort_by_key(|e| (e.at.line(), e.at.column()));
            Err(errors)
        }
    }

    /// Whether the schedule is open at `at`.
    #[must_use]
    pub fn is_open(&self, at: Timestamp) -> bool {
        self.decide(at).is_open()
    }

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

    /// True when the schedule can never be open: forced closed, or no weekly windows and no
    /// special openings. (Openings that lie in the past still count: this does not read the
    /// clock.)
    #[must_use]
    pub fn never_open(&self) -> bool {
        match self.force {
            Some(open) => !open,
            None => self.week.iter().all(Vec::is_empty) && self.openings.is_empty(),
        }
    }

    /// The zone the schedule reads local time in (its own, or the fallback it was compiled
    /// with).
    #[must_use]
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The decision procedure shared by `is_open` and `explain`.
    fn decide(&self, at: Timestamp) -> Decision<'_> {
        if let Some(open) = self.force {
            return Decision::Forced(open);
        }
        let local = self.tz.to_datetime(at);
        if let Some(period) = self.openings.iter().find(|p| p.contains(local)) {
            return Decision::Opening(period, local);
        }
        if let Some(period) = self.closures.iter().find(|p| p.contains(local)) {
            return Decision::Closure(period, local);
        }
        // Minute resolution is exact: every boundary is a whole minute, so 16:59:59 has
        // minute 1019 and is inside a window ending at 17:00 (1020), while 17:00:00 is not.
        // A valid time has hour <= 23 and minute <= 59, so this is at most 1439.
        let minute =
            u16::from(local.hour().unsigned_abs()) * 60 + u16::from(local.minute().unsigned_abs());
        let slots = self
            .week
            .get(weekday_index(local))
            .map_or(&[][..], Vec::as_slice);
        match slots
            .iter()
            .find(|slot| slot.start <= minute && minute < slot.end)
        {
            Some(slot) => Decision::InWindow(slot.window, local),
            None => Decision::OutsideHours(local),
        }
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

/// Parses an IANA time zone name such as `America/New_York` (case-insensitively, as jiff
/// does). The error message says what is expected and, when the name looks like a
/// misspelling of a real zone (`America/New York`, `new_york`), suggests it.
///
/// # Errors
///
/// A one-line message for an empty or unknown name.
pub fn parse_time_zone(name: &str) -> Result<TimeZone, String> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(
            "empty time zone: expected an IANA name of the form Region/City, \
             e.g. \"America/New_York\""
                .to_string(),
        );
    }
    TimeZone::get(trimmed).map_err(|_| {
        let hint = suggest_zone(trimmed)
            .map(|zone| format!("; did you mean \"{zone}\"?"))
            .unwrap_or_default();
        format!(
            "unknown time zone \"{trimmed}\": expected an IANA name of the form \
             Region/City, e.g. \"America/New_York\" or \"Europe/London\"{hint}"
        )
    })
}

/// A real zone name that `name` is probably a misspelling of: equal ignoring case and
/// punctuation (`America/New York`), or the city part alone (`new_york`). Only answers when
/// exactly one zone matches, so a suggestion is never a guess between several.
fn suggest_zone(name: &str) -> Option<String> {
    /// Lower-case letters and digits only, so spaces, dashes and underscores compare equal.
    fn squash(s: &str) -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    }
    let wanted = squash(name);
    if wanted.is_empty() {
        return None;
    }
    let mut found: Option<String> = None;
    for zone in jiff::tz::db().available() {
        let zone = zone.as_str();
        let city = zone.rsplit('/').next().unwrap_or(zone);
        if squash(zone) == wanted || (zone.contains('/') && squash(city) == wanted) {
            if found.is_some() {
                return None;
            }
            found = Some(zone.to_string());
        }
    }
    found
}

/// Compiles `hours:` into per-weekday slots, adding any problems to `errors`.
fn compile_hours(hours: &Hours, errors: &mut Vec<ScheduleError>) -> [Vec<Slot>; 7] {
    let mut windows: Vec<Window> = Vec::new();
    // Bit `d` set: some key said day `d` is `closed`.
    let mut closed_days: u8 = 0;

    for (key, value) in &hours.0 {
        // Both sides are checked even when one is bad, so every problem is reported.
        let days = parse_days(&key.value).map_err(|messages| {
            errors.extend(
                messages
                    .into_iter()
                    .map(|m| ScheduleError::new(key.referenced, m)),
            );
        });
        let day_hours = parse_day_hours(&value.value).map_err(|messages| {
            errors.extend(
                messages
                    .into_iter()
                    .map(|m| ScheduleError::new(value.referenced, m)),
            );
        });
        let (Ok(days), Ok(day_hours)) = (days, day_hours) else {
            continue;
        };
        for day in (0..7u8).filter(|d| days & (1 << d) != 0) {
            match &day_hours {
                DayHours::Closed => closed_days |= 1 << day,
                DayHours::Windows(list) => {
                    windows.extend(list.iter().map(|&(start, end)| Window { day, start, end }))
                }
            }
        }
    }

    // `closed` is an explicit statement about a day, so it beats windows the day got from
    // a broader key such as `daily`, whichever was written first.
    windows.retain(|w| closed_days & (1 << w.day) == 0);
    // The same window from two keys (`daily` and `mon-fri`) would otherwise be listed twice
    // in explanations.
    windows.sort_unstable();
    windows.dedup();

    let mut week: [Vec<Slot>; 7] = Default::default();
    for window in windows {
        let day = usize::from(window.day);
        let next = (day + 1) % 7;
        if window.start < window.end {
            push_slot(&mut week, day, window.start, window.end, window);
        } else {
            // Spans midnight: the evening part today, the early-morning part tomorrow
            // (nothing tomorrow for an end of 00:00).
            push_slot(&mut week, day, window.start, DAY_MINUTES, window);
            if window.end > 0 {
                push_slot(&mut week, next, 0, window.end, window);
            }
        }
    }
    for slots in &mut week {
        slots.sort_by_key(|slot| (slot.start, slot.end));
    }
    week
}

/// Adds a slot to a day, ignoring an out-of-range day instead of panicking.
fn push_slot(week: &mut [Vec<Slot>; 7], day: usize, start: u16, end: u16, window: Window) {
    if let Some(slots) = week.get_mut(day) {
        slots.push(Slot { start, end, window });
    }
}

/// Compiles `closed:` or `open:` entries, adding any problems to `errors`.
fn compile_periods(
    entries: &[Spanned<String>],
    field: &str,
    errors: &mut Vec<ScheduleError>,
) -> Vec<Period> {
    let mut periods = Vec::with_capacity(entries.len());
    for entry in entries {
        match parse_period(&entry.value, field) {
            Ok(period) => periods.push(period),
            Err(messages) => errors.extend(
                messages
                    .into_iter()
                    .map(|m| ScheduleError::new(entry.referenced, m)),
            ),
        }
    }
    periods
}

/// Parses a day key (`mon`, `mon-fri`, `sat, sun`, `weekdays`, …) into a bit set of
/// weekdays (bit 0 = Monday). Reports every bad item.
fn parse_days(key: &str) -> Result<u8, Vec<String>> {
    let mut days = 0u8;
    let mut problems = Vec::new();
    for item in key.split(',') {
        let item = item.trim().to_ascii_lowercase();
        match item.as_str() {
            "" => problems.push(format!(
                "empty day in \"{key}\": expected days separated by single commas, e.g. sat,sun"
            )),
            "daily" => days |= 0b111_1111,
            "weekdays" => days |= 0b001_1111,
            "weekends" => days |= 0b110_0000,
            _ => match item.split_once('-') {
                None => match day_index(&item) {
                    Some(day) => days |= 1 << day,
                    None => problems.push(unknown_day(&item)),
                },
                Some((first, last)) => {
                    let (first, last) = (first.trim(), last.trim());
                    match (day_index(first), day_index(last)) {
                        (Some(first), Some(last)) => {
                            // Walk forward from `first`, wrapping after Sunday, so `fri-mon`
                            // is Fri, Sat, Sun, Mon.
                            let mut day = first;
                            loop {
                                days |= 1 << day;
                                if day == last {
                                    break;
                                }
                                day = (day + 1) % 7;
                            }
                        }
                        (a, b) => {
                            if a.is_none() {
                                problems.push(unknown_day(first));
                            }
                            if b.is_none() {
                                problems.push(unknown_day(last));
                            }
                        }
                    }
                }
            },
        }
    }
    if problems.is_empty() {
        Ok(days)
    } else {
        Err(problems)
    }
}

/// The message for a day name that is not one.
fn unknown_day(name: &str) -> String {
    format!(
        "unknown day \"{name}\": expected mon, tue, wed, thu, fri, sat or sun, a range such as \
         mon-fri, a list such as sat,sun, or daily, weekdays or weekends"
    )
}

/// Monday = 0 … Sunday = 6 for a lower-case short or full English day name.
fn day_index(name: &str) -> Option<u8> {
    const FULL: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    FULL.iter()
        .zip(0u8..)
        .find(|(full, _)| name == **full || full.get(..3) == Some(name))
        .map(|(_, day)| day)
}

/// The value of one `hours:` entry.
enum DayHours {
    /// `closed`: no hours of its own that day.
    Closed,
    /// `(start, end)` minute pairs; `end <= start` spans midnight.
    Windows(Vec<(u16, u16)>),
}

/// Parses `closed` or `HH:MM-HH:MM, HH:MM-HH:MM, …`. Reports every bad window.
fn parse_day_hours(value: &str) -> Result<DayHours, Vec<String>> {
    let trimmed = value.trim();
    if trimmed.eq_ignore_ascii_case("closed") {
        return Ok(DayHours::Closed);
    }
    if trimmed.is_empty() {
        return Err(vec![
            "no hours given: expected windows such as \"09:00-17:00\", or `closed`".to_string(),
        ]);
    }
    let mut windows = Vec::new();
    let mut problems = Vec::new();
    for item in trimmed.split(',') {
        match parse_window(item.trim()) {
            Ok(window) => windows.push(window),
            Err(mut messages) => problems.append(&mut messages),
        }
    }
    if problems.is_empty() {
        Ok(DayHours::Windows(windows))
    } else {
        Err(problems)
    }
}

/// Parses one `HH:MM-HH:MM` window into start and end minutes.
fn parse_window(item: &str) -> Result<(u16, u16), Vec<String>> {
    if item.is_empty() {
        return Err(vec![
            "empty window: expected HH:MM-HH:MM windows separated by single commas".to_string(),
        ]);
    }
    if item.eq_ignore_ascii_case("closed") {
        return Err(vec![
            "`closed` must be the whole value, not one window among others".to_string(),
        ]);
    }
    let Some((start, end)) = item.split_once('-') else {
        return Err(vec![format!(
            "bad window \"{item}\": expected HH:MM-HH:MM, e.g. 09:00-17:00"
        )]);
    };
    let (start_text, end_text) = (start.trim(), end.trim());
    let bad = |time: &str, why: &str| format!("bad time \"{time}\" in window \"{item}\": {why}");
    let start = parse_clock(start_text).map_err(|why| bad(start_text, why));
    let end = parse_clock(end_text).map_err(|why| bad(end_text, why));
    match (start, end) {
        (Ok(DAY_MINUTES), _) => Err(vec![format!(
            "bad window \"{item}\": 24:00 can only end a window; start at 00:00 instead"
        )]),
        (Ok(start), Ok(end)) if start == end => Err(vec![format!(
            "empty window \"{item}\": it starts and ends at the same time \
             (00:00-24:00 is the whole day)"
        )]),
        (Ok(start), Ok(end)) => Ok((start, end)),
        (start, end) => Err(start.err().into_iter().chain(end.err()).collect()),
    }
}

/// Parses `HH:MM` (or `H:MM`) on a 24-hour clock into minutes after midnight; `24:00`
/// gives 1440, which callers only accept as an end. The error is the reason only, so the
/// caller can say where the time was.
fn parse_clock(text: &str) -> Result<u16, &'static str> {
    const EXPECTED: &str = "expected HH:MM on a 24-hour clock, e.g. 09:00";
    let (hours, minutes) = text.split_once(':').ok_or(EXPECTED)?;
    let hours = digits(hours, 1..=2).ok_or(EXPECTED)?;
    let minutes = digits(minutes, 2..=2).ok_or(EXPECTED)?;
    if minutes > 59 {
        return Err("minutes run from 00 to 59");
    }
    match (hours, minutes) {
        (24, 0) => Ok(DAY_MINUTES),
        // At most 23 * 60 + 59: no overflow.
        (0..=23, _) => Ok(hours * 60 + minutes),
        _ => Err("hours run from 00 to 23 (24:00 may only end a window)"),
    }
}

/// The value of an all-ASCII-digit string whose length is in `len`; `None` otherwise.
/// Never panics: lengths are checked before the (at most four) digits are summed.
fn digits(text: &str, len: std::ops::RangeInclusive<usize>) -> Option<u16> {
    if !len.contains(&text.len()) || text.len() > 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        text.bytes()
            .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0')),
    )
}

/// One end of a `closed`/`open` entry.
#[derive(Clone, Copy)]
enum Point {
    /// `YYYY-MM-DD`.
    Date(Date),
    /// `YYYY-MM-DDTHH:MM`.
    DateTime(DateTime),
}

/// Parses a `closed`/`open` entry (`field` names the list, for messages).
fn parse_period(text: &str, field: &str) -> Result<Period, Vec<String>> {
    let label = text.trim();
    if label.is_empty() {
        return Err(vec![format!(
            "empty `{field}` entry: expected YYYY-MM-DD, YYYY-MM-DD..YYYY-MM-DD or \
             YYYY-MM-DDTHH:MM..YYYY-MM-DDTHH:MM"
        )]);
    }
    let Some((first, last)) = label.split_once("..") else {
        return match parse_point(label)? {
            Point::Date(date) => Ok(Period {
                start: date.to_datetime(Time::midnight()),
                end: PeriodEnd::Through(date),
                label: label.to_string(),
            }),
            Point::DateTime(_) => Err(vec![format!(
                "\"{label}\" is a single moment, not a period: write a range \
                 START..END, e.g. 2026-12-31T17:00..2027-01-02T09:00"
            )]),
        };
    };
    if last.contains("..") {
        return Err(vec![format!(
            "bad range \"{label}\": expected a single `..` between start and end"
        )]);
    }
    let (first, last) = (parse_point(first.trim()), parse_point(last.trim()));
    let (first, last) = match (first, last) {
        (Ok(first), Ok(last)) => (first, last),
        (first, last) => {
            return Err(first
                .err()
                .into_iter()
                .chain(last.err())
                .flatten()
                .collect());
        }
    };
    let start = match first {
        Point::Date(date) => date.to_datetime(Time::midnight()),
        Point::DateTime(dt) => dt,
    };
    let (end, ordered) = match last {
        Point::Date(date) => (PeriodEnd::Through(date), date >= start.date()),
        Point::DateTime(dt) => (PeriodEnd::Before(dt), dt > start),
    };
    if !ordered {
        let how = match last {
            Point::DateTime(dt) if dt == start => "is empty (it ends where it starts)",
            _ => "ends before it starts",
        };
        return Err(vec![format!("bad range \"{label}\": it {how}")]);
    }
    Ok(Period {
        start,
        end,
        label: label.to_string(),
    })
}

/// Parses `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` (`t` or a space may replace the `T`).
fn parse_point(text: &str) -> Result<Point, Vec<String>> {
    let expected = || {
        vec![format!(
            "bad date \"{text}\": expected YYYY-MM-DD or YYYY-MM-DDTHH:MM \
             (or a range START..END)"
        )]
    };
    // Fixed byte positions, but read with `get`, which answers `None` instead of
    // panicking when a multi-byte character straddles a position.
    let bytes = text.as_bytes();
    if bytes.len() < 10 || bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return Err(expected());
    }
    let (Some(year), Some(month), Some(day)) = (
        text.get(0..4).and_then(|s| digits(s, 4..=4)),
        text.get(5..7).and_then(|s| digits(s, 2..=2)),
        text.get(8..10).and_then(|s| digits(s, 2..=2)),
    ) else {
        return Err(expected());
    };
    let date =
        make_date(year, month, day).map_err(|m| vec![format!("bad date \"{text}\": {m}")])?;
    if bytes.len() == 10 {
        return Ok(Point::Date(date));
    }
    if !matches!(bytes.get(10), Some(b'T' | b't' | b' ')) {
        return Err(expected());
    }
    let clock = text.get(11..).ok_or_else(expected)?;
    let minutes = parse_clock(clock)
        .map_err(|why| vec![format!("bad time \"{clock}\" in \"{text}\": {why}")])?;
    if minutes == DAY_MINUTES {
        return Err(vec![format!(
            "bad date-time \"{text}\": 24:00 is not a time of day here; use 00:00 of the next day"
        )]);
    }
    // Hours 0..=23 and minutes 0..=59 fit in i8; `Time::new` checks again anyway.
    let hour = i8::try_from(minutes / 60).map_err(|_| expected())?;
    let minute = i8::try_from(minutes % 60).map_err(|_| expected())?;
    let time = Time::new(hour, minute, 0, 0).map_err(|_| expected())?;
    Ok(Point::DateTime(date.to_datetime(time)))
}

/// A calendar date from already-digit-checked parts, with a plain-words error.
fn make_date(year: u16, month: u16, day: u16) -> Result<Date, String> {
    if !(1..=12).contains(&month) {
        return Err(format!("month {month:02} is not 01..12"));
    }
    let (Ok(y), Ok(m), Ok(d)) = (i16::try_from(year), i8::try_from(month), i8::try_from(day))
    else {
        return Err("out of range".to_string());
    };
    Date::new(y, m, d).map_err(|_| format!("{year:04}-{month:02} has no day {day:02}"))
}

/// Monday = 0 … Sunday = 6 for a local date-time.
fn weekday_index(local: DateTime) -> usize {
    usize::from(local.weekday().to_monday_zero_offset().unsigned_abs())
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

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    /// A flow-file fragment holding one schedule, as the loader would see it.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        schedule: ScheduleSpec,
    }

    fn spec(yaml: &str) -> ScheduleSpec {
        match serde_saphyr::from_str::<Doc>(yaml) {
            Ok(doc) => doc.schedule,
            Err(e) => panic!("YAML did not parse: {e}"),
        }
    }

    fn compile(yaml: &str) -> Schedule {
        match Schedule::compile(&spec(yaml), &TimeZone::UTC) {
            Ok(s) => s,
            Err(errors) => panic!("schedule did not compile: {errors:#?}"),
        }
    }

    /// The errors, as `(line, column, message)`.
    fn errors(yaml: &str) -> Vec<(u64, u64, String)> {
        match Schedule::compile(&spec(yaml), &TimeZone::UTC) {
            Ok(_) => panic!("schedule compiled but should not have"),
            Err(errors) => errors
                .into_iter()
                .map(|e| (e.at.line(), e.at.column(), e.message))
                .collect(),
        }
    }

    fn tz(name: &str) -> TimeZone {
        TimeZone::get(name).expect("zone")
    }

    /// The instant at a local wall-clock time (the earlier one if it is ambiguous).
    fn at(zone: &str, y: i16, mo: i8, d: i8, h: i8, mi: i8, s: i8) -> Timestamp {
        tz(zone)
            .to_ambiguous_timestamp(date(y, mo, d).at(h, mi, s, 0))
            .earlier()
            .expect("instant")
    }

    fn utc(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    const OFFICE: &str = r#"
schedule:
  timezone: America/New_York
  hours:
    mon-fri: "09:00-12:00, 13:00-17:30"
    sat: "10:00-14:00"
    sun: closed
"#;

    #[test]
    fn plain_scalars_arrive_as_strings_with_spans() {
        let s = spec(
            "schedule:\n  hours:\n    mon-fri: 09:00-17:00\n    sun: closed\n    \
             sat: \"10:00-14:00\"\n  closed:\n    - 2026-12-25\n    - 2026-12-24..2026-12-26\n  \
             force: open\n",
        );
        let hours = s.hours.expect("hours");
        let pairs: Vec<(&str, &str)> = hours
            .0
            .iter()
            .map(|(k, v)| (k.value.as_str(), v.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("mon-fri", "09:00-17:00"),
                ("sun", "closed"),
                ("sat", "10:00-14:00")
            ]
        );
        let (key, value) = &hours.0[0];
        assert_eq!((key.referenced.line(), key.referenced.column()), (3, 5));
        assert_eq!(
            (value.referenced.line(), value.referenced.column()),
            (3, 14)
        );
        assert_eq!(s.closed[0].value, "2026-12-25");
        assert_eq!(
            (
                s.closed[0].referenced.line(),
                s.closed[0].referenced.column()
            ),
            (7, 7)
        );
        assert_eq!(s.closed[1].value, "2026-12-24..2026-12-26");
        assert_eq!(s.force.expect("force").value, "open");
    }

    #[test]
    fn unknown_fields_are_rejected_by_the_loader() {
        let result = serde_saphyr::from_str::<Doc>("schedule:\n  hours: {}\n  holidays: []\n");
        assert!(result.is_err());
    }

    #[test]
    fn several_windows_per_day_with_inclusive_start_and_exclusive_end() {
        let s = compile(OFFICE);
        let ny = "America/New_York";
        // Mon 2026-11-30.
        assert!(!s.is_open(at(ny, 2026, 11, 30, 8, 59, 59)));
        assert!(s.is_open(at(ny, 2026, 11, 30, 9, 0, 0)));
        assert!(s.is_open(at(ny, 2026, 11, 30, 11, 59, 59)));
        assert!(!s.is_open(at(ny, 2026, 11, 30, 12, 0, 0)));
        assert!(!s.is_open(at(ny, 2026, 11, 30, 12, 59, 0)));
        assert!(s.is_open(at(ny, 2026, 11, 30, 13, 0, 0)));
        assert!(s.is_open(at(ny, 2026, 11, 30, 17, 29, 59)));
        assert!(!s.is_open(at(ny, 2026, 11, 30, 17, 30, 0)));
        // Fri 2026-12-04, Sat 12-05, Sun 12-06.
        assert!(s.is_open(at(ny, 2026, 12, 4, 16, 0, 0)));
        assert!(s.is_open(at(ny, 2026, 12, 5, 10, 0, 0)));
        assert!(!s.is_open(at(ny, 2026, 12, 5, 14, 0, 0)));
        assert!(!s.is_open(at(ny, 2026, 12, 6, 12, 0, 0)));
    }

    #[test]
    fn end_of_day_24_00_and_whole_day() {
        let s =
            compile("schedule:\n  hours:\n    mon: \"20:00-24:00\"\n    tue: \"00:00-24:00\"\n");
        // Mon 2026-11-30, Tue 12-01, Wed 12-02 (UTC fallback zone).
        assert!(!s.is_open(utc("2026-11-30T19:59:59Z")));
        assert!(s.is_open(utc("2026-11-30T20:00:00Z")));
        assert!(s.is_open(utc("2026-11-30T23:59:59Z")));
        assert!(s.is_open(utc("2026-12-01T00:00:00Z")));
        assert!(s.is_open(utc("2026-12-01T23:59:59Z")));
        assert!(!s.is_open(utc("2026-12-02T00:00:00Z")));
    }

    #[test]
    fn day_ranges_lists_aliases_and_unions() {
        let days_open = |key: &str| -> Vec<bool> {
            let s = compile(&format!(
                "schedule:\n  hours:\n    {key}: \"12:00-13:00\"\n"
            ));
            // Mon 2026-12-07 … Sun 2026-12-13 at noon UTC.
            (0..7)
                .map(|i| s.is_open(at("UTC", 2026, 12, 7 + i, 12, 0, 0)))
                .collect()
        };
        let (t, f) = (true, false);
        assert_eq!(days_open("mon-fri"), [t, t, t, t, t, f, f]);
        assert_eq!(days_open("fri-mon"), [t, f, f, f, t, t, t]);
        assert_eq!(days_open("sat,sun"), [f, f, f, f, f, t, t]);
        assert_eq!(days_open("sat, sun"), [f, f, f, f, f, t, t]);
        assert_eq!(days_open("Mon , WED-thu"), [t, f, t, t, f, f, f]);
        assert_eq!(days_open("daily"), [t; 7]);
        assert_eq!(days_open("weekdays"), [t, t, t, t, t, f, f]);
        assert_eq!(days_open("weekends"), [f, f, f, f, f, t, t]);
        assert_eq!(days_open("Tuesday"), [f, t, f, f, f, f, f]);
        assert_eq!(days_open("sun-sun"), [f, f, f, f, f, f, t]);

        // Two keys naming Wednesday: the union of their windows.
        let s = compile(
            "schedule:\n  hours:\n    mon-fri: \"09:00-12:00\"\n    wed: \"14:00-16:00, 11:00-13:00\"\n",
        );
        assert!(s.is_open(at("UTC", 2026, 12, 2, 9, 30, 0)));
        assert!(s.is_open(at("UTC", 2026, 12, 2, 12, 30, 0)));
        assert!(s.is_open(at("UTC", 2026, 12, 2, 15, 0, 0)));
        assert!(!s.is_open(at("UTC", 2026, 12, 2, 13, 30, 0)));
        assert!(!s.is_open(at("UTC", 2026, 12, 1, 15, 0, 0)));
    }

    #[test]
    fn closed_day_beats_windows_from_a_broader_key() {
        for yaml in [
            "schedule:\n  hours:\n    daily: \"09:00-17:00\"\n    sun: closed\n",
            "schedule:\n  hours:\n    sun: CLOSED\n    daily: \"09:00-17:00\"\n",
        ] {
            let s = compile(yaml);
            assert!(s.is_open(at("UTC", 2026, 12, 5, 10, 0, 0)), "Saturday");
            assert!(!s.is_open(at("UTC", 2026, 12, 6, 10, 0, 0)), "Sunday");
        }
    }

    #[test]
    fn midnight_spanning_windows() {
        let s =
            compile("schedule:\n  hours:\n    fri: \"22:00-02:00\"\n    sun: \"22:00-02:00\"\n");
        // Fri 2026-12-04.
        assert!(!s.is_open(at("UTC", 2026, 12, 4, 21, 59, 59)));
        assert!(s.is_open(at("UTC", 2026, 12, 4, 22, 0, 0)));
        assert!(s.is_open(at("UTC", 2026, 12, 4, 23, 59, 59)));
        assert!(s.is_open(at("UTC", 2026, 12, 5, 0, 0, 0)));
        assert!(s.is_open(at("UTC", 2026, 12, 5, 1, 59, 0)));
        assert!(s.is_open(at("UTC", 2026, 12, 5, 1, 59, 59)));
        assert!(!s.is_open(at("UTC", 2026, 12, 5, 2, 0, 0)));
        // Thursday night is not Friday night.
        assert!(!s.is_open(at("UTC", 2026, 12, 4, 1, 0, 0)));
        // Sunday into Monday wraps around the week.
        assert!(s.is_open(at("UTC", 2026, 12, 6, 23, 0, 0)));
        assert!(s.is_open(at("UTC", 2026, 12, 7, 1, 0, 0)));
        assert!(!s.is_open(at("UTC", 2026, 12, 7, 2, 0, 0)));

        // A window ending at 00:00 runs to midnight and no further.
        let s = compile("schedule:\n  hours:\n    fri: \"22:00-00:00\"\n");
        assert!(s.is_open(at("UTC", 2026, 12, 4, 23, 59, 59)));
        assert!(!s.is_open(at("UTC", 2026, 12, 5, 0, 0, 0)));

        // Closing Saturday does not cut Friday night short; closing Friday removes it.
        let s = compile("schedule:\n  hours:\n    fri: \"22:00-02:00\"\n    sat: closed\n");
        assert!(s.is_open(at("UTC", 2026, 12, 5, 1, 0, 0)));
        let s = compile("schedule:\n  hours:\n    daily: \"22:00-02:00\"\n    fri: closed\n");
        assert!(!s.is_open(at("UTC", 2026, 12, 4, 23, 0, 0)));
        assert!(!s.is_open(at("UTC", 2026, 12, 5, 1, 0, 0)));
        assert!(s.is_open(at("UTC", 2026, 12, 4, 1, 0, 0)), "Thursday night");
    }

    #[test]
    fn new_york_2026_transition_dates() {
        // The rules the DST tests rely on: second Sunday of March, first of November.
        let ny = tz("America/New_York");
        let offset = |ts: &str| ny.to_offset(utc(ts)).seconds() / 3600;
        assert_eq!(offset("2026-03-08T06:59:59Z"), -5);
        assert_eq!(offset("2026-03-08T07:00:00Z"), -4);
        assert_eq!(offset("2026-11-01T05:59:59Z"), -4);
        assert_eq!(offset("2026-11-01T06:00:00Z"), -5);
    }

    #[test]
    fn spring_forward_window_is_open_one_real_hour() {
        let s = compile(
            "schedule:\n  timezone: America/New_York\n  hours:\n    sun: \"01:00-03:00\"\n",
        );
        // 2026-03-08: 01:00 EST = 06:00Z; clocks jump from 02:00 EST (07:00Z) to 03:00 EDT.
        assert!(!s.is_open(utc("2026-03-08T05:59:59Z")));
        assert!(s.is_open(utc("2026-03-08T06:00:00Z")));
        assert!(
            s.is_open(utc("2026-03-08T06:59:59Z")),
            "01:59:59 EST, just before"
        );
        assert!(
            !s.is_open(utc("2026-03-08T07:00:00Z")),
            "03:00 EDT, just after"
        );
        let open_seconds = (0..4 * 3600)
            .step_by(60)
            .filter(|&secs| {
                s.is_open(utc("2026-03-08T04:00:00Z") + jiff::SignedDuration::from_secs(secs))
            })
            .count()
            * 60;
        assert_eq!(open_seconds, 3600);
    }

    #[test]
    fn fall_back_window_is_open_both_times() {
        let s = compile(
            "schedule:\n  timezone: America/New_York\n  hours:\n    sun: \"01:00-01:45\"\n",
        );
        // 2026-11-01: 01:30 EDT = 05:30Z, and 01:30 EST = 06:30Z.
        assert!(s.is_open(utc("2026-11-01T05:30:00Z")), "first 01:30 (EDT)");
        assert!(!s.is_open(utc("2026-11-01T05:45:00Z")), "first 01:45 (EDT)");
        assert!(s.is_open(utc("2026-11-01T06:00:00Z")), "second 01:00 (EST)");
        assert!(s.is_open(utc("2026-11-01T06:30:00Z")), "second 01:30 (EST)");
        assert!(!s.is_open(utc("2026-11-01T06:45:00Z")));

        let s = compile(
            "schedule:\n  timezone: America/New_York\n  hours:\n    sun: \"01:00-03:00\"\n",
        );
        assert!(
            s.is_open(utc("2026-11-01T05:59:59Z")),
            "01:59:59 EDT, just before"
        );
        assert!(
            s.is_open(utc("2026-11-01T06:00:00Z")),
            "01:00 EST, just after"
        );
        assert!(s.is_open(utc("2026-11-01T07:59:59Z")), "02:59:59 EST");
        assert!(!s.is_open(utc("2026-11-01T08:00:00Z")), "03:00 EST");
    }

    #[test]
    fn a_nine_to_five_on_transition_days_is_eight_wall_clock_hours() {
        let s = compile(
            "schedule:\n  timezone: America/New_York\n  hours:\n    sun: \"09:00-17:00\"\n",
        );
        // (local midnight, first open second, last open second), all in UTC.
        for (midnight, first, last) in [
            // Spring forward: 09:00 and 17:00 are both EDT (UTC-4).
            (
                "2026-03-08T05:00:00Z",
                "2026-03-08T13:00:00Z",
                "2026-03-08T20:59:59Z",
            ),
            // Fall back: 09:00 and 17:00 are both EST (UTC-5).
            (
                "2026-11-01T04:00:00Z",
                "2026-11-01T14:00:00Z",
                "2026-11-01T21:59:59Z",
            ),
        ] {
            let second = jiff::SignedDuration::from_secs(1);
            assert!(!s.is_open(utc(first) - second));
            assert!(s.is_open(utc(first)));
            assert!(s.is_open(utc(last)));
            assert!(!s.is_open(utc(last) + second));
            // Sampled each minute over the whole (23- or 25-hour) day: 8 hours open.
            let open_minutes = (0..25 * 60)
                .filter(|&m| s.is_open(utc(midnight) + jiff::SignedDuration::from_mins(m)))
                .count();
            assert_eq!(open_minutes, 8 * 60);
        }
    }

    #[test]
    fn london_schedule_versus_the_same_instant_in_utc() {
        let yaml = |zone: &str| {
            format!("schedule:\n  timezone: {zone}\n  hours:\n    weekdays: \"09:00-17:00\"\n")
        };
        let london = compile(&yaml("Europe/London"));
        let utc_schedule = compile(&yaml("UTC"));
        // Summer (BST, UTC+1): 08:30Z is 09:30 in London.
        let summer = utc("2026-07-01T08:30:00Z");
        assert!(london.is_open(summer));
        assert!(!utc_schedule.is_open(summer));
        let summer_late = utc("2026-07-01T16:30:00Z");
        assert!(!london.is_open(summer_late));
        assert!(utc_schedule.is_open(summer_late));
        // Winter (GMT = UTC): both agree.
        let winter = utc("2026-12-01T08:30:00Z");
        assert!(!london.is_open(winter));
        assert!(!utc_schedule.is_open(winter));
        assert!(london.is_open(utc("2026-12-01T09:00:00Z")));
        assert_eq!(london.time_zone().iana_name(), Some("Europe/London"));
    }

    #[test]
    fn fallback_zone_is_used_without_a_timezone() {
        let s = match Schedule::compile(
            &spec("schedule:\n  hours:\n    daily: \"09:00-17:00\"\n"),
            &tz("Asia/Tokyo"),
        ) {
            Ok(s) => s,
            Err(e) => panic!("{e:?}"),
        };
        assert_eq!(s.time_zone().iana_name(), Some("Asia/Tokyo"));
        // 00:00Z is 09:00 in Tokyo.
        assert!(s.is_open(utc("2026-12-01T00:00:00Z")));
        assert!(!s.is_open(utc("2026-11-30T23:59:59Z")));
    }

    const HOLIDAYS: &str = r#"
schedule:
  timezone: America/New_York
  hours:
    daily: "09:00-17:00"
  closed:
    - 2026-12-25
    - 2026-12-28..2026-12-29
    - 2026-12-31T12:00..2027-01-02T09:00
    - 2026-12-20..2026-12-21T12:00
  open:
    - 2026-12-25T10:00..2026-12-25T12:00
    - 2027-01-01
"#;

    #[test]
    fn closures_and_special_openings() {
        let s = compile(HOLIDAYS);
        let ny = "America/New_York";
        // A whole-day closure covers the whole local day (and no more).
        assert!(s.is_open(at(ny, 2026, 12, 24, 16, 0, 0)));
        assert!(!s.is_open(at(ny, 2026, 12, 25, 9, 0, 0)));
        assert!(!s.is_open(at(ny, 2026, 12, 25, 16, 59, 0)));
        assert!(s.is_open(at(ny, 2026, 12, 26, 9, 0, 0)));
        // The special opening beats the closure, with its own boundaries.
        assert!(!s.is_open(at(ny, 2026, 12, 25, 9, 59, 59)));
        assert!(s.is_open(at(ny, 2026, 12, 25, 10, 0, 0)));
        assert!(!s.is_open(at(ny, 2026, 12, 25, 12, 0, 0)));
        // An inclusive date range.
        assert!(s.is_open(at(ny, 2026, 12, 27, 16, 0, 0)));
        assert!(!s.is_open(at(ny, 2026, 12, 28, 9, 0, 0)));
        assert!(!s.is_open(at(ny, 2026, 12, 29, 16, 59, 59)));
        assert!(s.is_open(at(ny, 2026, 12, 30, 9, 0, 0)));
        // A date-time range, end exclusive.
        assert!(s.is_open(at(ny, 2026, 12, 31, 11, 59, 59)));
        assert!(!s.is_open(at(ny, 2026, 12, 31, 12, 0, 0)));
        assert!(!s.is_open(at(ny, 2027, 1, 2, 8, 59, 59)));
        assert!(s.is_open(at(ny, 2027, 1, 2, 9, 0, 0)));
        // A whole-day special opening inside the closure opens even outside the hours.
        assert!(s.is_open(at(ny, 2027, 1, 1, 3, 0, 0)));
        assert!(s.is_open(at(ny, 2027, 1, 1, 23, 59, 59)));
        // Mixed range: from the start of the 20th to 12:00 on the 21st.
        assert!(!s.is_open(at(ny, 2026, 12, 20, 10, 0, 0)));
        assert!(!s.is_open(at(ny, 2026, 12, 21, 11, 59, 0)));
        assert!(s.is_open(at(ny, 2026, 12, 21, 12, 0, 0)));
    }

    #[test]
    fn mixed_range_with_a_date_end_runs_through_that_day() {
        let s = compile(
            "schedule:\n  hours:\n    daily: \"00:00-24:00\"\n  closed:\n    - 2026-12-24T17:00..2026-12-26\n",
        );
        assert!(s.is_open(at("UTC", 2026, 12, 24, 16, 59, 59)));
        assert!(!s.is_open(at("UTC", 2026, 12, 24, 17, 0, 0)));
        assert!(!s.is_open(at("UTC", 2026, 12, 26, 23, 59, 59)));
        assert!(s.is_open(at("UTC", 2026, 12, 27, 0, 0, 0)));
    }

    #[test]
    fn force_beats_everything() {
        let open = compile(&format!("{HOLIDAYS}  force: Open\n"));
        let closed = compile(&format!("{HOLIDAYS}  force: closed\n"));
        let ny = "America/New_York";
        for ts in [
            at(ny, 2026, 12, 25, 9, 0, 0),  // closure
            at(ny, 2026, 12, 25, 10, 0, 0), // special opening
            at(ny, 2026, 12, 24, 3, 0, 0),  // outside hours
            at(ny, 2026, 12, 24, 10, 0, 0), // inside hours
        ] {
            assert!(open.is_open(ts));
            assert!(!closed.is_open(ts));
        }
        assert_eq!(
            open.explain(at(ny, 2026, 12, 25, 9, 0, 0)),
            (true, "open: forced".to_string())
        );
        assert_eq!(
            closed.explain(at(ny, 2026, 12, 24, 10, 0, 0)),
            (false, "closed: forced".to_string())
        );
    }

    #[test]
    fn never_open() {
        assert!(!compile(OFFICE).never_open());
        assert!(compile(&format!("{OFFICE}  force: closed\n")).never_open());
        assert!(!compile("schedule:\n  force: open\n").never_open());
        assert!(compile("schedule: {}\n").never_open());
        assert!(compile("schedule:\n  hours: {}\n").never_open());
        assert!(compile("schedule:\n  hours:\n    daily: closed\n").never_open());
        assert!(
            compile("schedule:\n  hours:\n    weekends: \"09:00-10:00\"\n    sat,sun: closed\n")
                .never_open()
        );
        assert!(
            compile("schedule:\n  closed:\n    - 2026-12-25\n").never_open(),
            "closures alone never open"
        );
        assert!(!compile("schedule:\n  open:\n    - 2026-12-25\n").never_open());
    }

    #[test]
    fn explain_reasons() {
        let s = compile(&format!(
            "{OFFICE}    fri: \"22:00-02:00\"\n  closed:\n    - 2026-12-25\n  open:\n    - 2026-12-27T10:00..2026-12-27T14:00\n"
        ));
        let ny = "America/New_York";
        assert_eq!(
            s.explain(at(ny, 2026, 11, 30, 10, 15, 0)),
            (
                true,
                "open: Mon 09:00-12:00 (America/New_York, Mon 2026-11-30 10:15)".to_string()
            )
        );
        assert_eq!(
            s.explain(at(ny, 2026, 12, 25, 10, 0, 0)),
            (
                false,
                "closed: closure 2026-12-25 (America/New_York, Fri 2026-12-25 10:00)".to_string()
            )
        );
        assert_eq!(
            s.explain(at(ny, 2026, 12, 27, 11, 0, 0)),
            (
                true,
                "open: special opening 2026-12-27T10:00..2026-12-27T14:00 \
                 (America/New_York, Sun 2026-12-27 11:00)"
                    .to_string()
            )
        );
        assert_eq!(
            s.explain(at(ny, 2026, 12, 6, 11, 0, 0)),
            (
                false,
                "closed: no hours on Sun (America/New_York, Sun 2026-12-06 11:00)".to_string()
            )
        );
        assert_eq!(
            s.explain(at(ny, 2026, 12, 1, 12, 30, 0)),
            (
                false,
                "closed: outside Tue hours 09:00-12:00, 13:00-17:30 \
                 (America/New_York, Tue 2026-12-01 12:30)"
                    .to_string()
            )
        );
        // The after-midnight part of Friday's window is explained as Friday's window.
        assert_eq!(
            s.explain(at(ny, 2026, 12, 5, 1, 0, 0)),
            (
                true,
                "open: Fri 22:00-02:00 (America/New_York, Sat 2026-12-05 01:00)".to_string()
            )
        );
        // explain and is_open never disagree.
        for day in 1..=31 {
            for (hour, minute) in (0..24).flat_map(|h| [(h, 0), (h, 30)]) {
                let ts = at(ny, 2026, 12, day, hour, minute, 0);
                assert_eq!(s.explain(ts).0, s.is_open(ts));
            }
        }
        // A fixed-offset fallback zone has no name, so the offset stands in.
        let fixed = TimeZone::fixed(jiff::tz::offset(-5));
        let s = match Schedule::compile(&spec("schedule:\n  hours:\n    daily: closed\n"), &fixed) {
            Ok(s) => s,
            Err(e) => panic!("{e:?}"),
        };
        let (open, reason) = s.explain(utc("2026-12-01T15:00:00Z"));
        assert!(!open);
        assert!(
            reason.starts_with("closed: no hours on Tue (UTC-05"),
            "{reason}"
        );
        assert!(reason.ends_with("Tue 2026-12-01 10:00)"), "{reason}");
    }

    #[test]
    fn every_error_kind_points_at_its_value() {
        // Line and column of each value are fixed by this text; keep them in step.
        let yaml = "\
schedule:
  timezone: America/Nowhere
  hours:
    mon-fro: \"09:00-17:00\"
    tue: \"25:00-26:00\"
    wed: 9-5
    thu: \"09:00-09:00\"
    fri: \"24:00-02:00, 10:00-11:60\"
    sat: \"\"
    sun: \"09:00-12:00,\"
    mon,,tue: closed
  closed:
    - 2026-02-30
    - 2026-12-26..2026-12-24
    - 2026-12-31T17:00..2026-12-31T09:00
    - 2026-12-31T17:00
    - 12/25/2026
    - 2026-13-01
    - 2026-12-31T17:00..2026-12-31T17:00
  open:
    - 2026-12-31T24:00..2027-01-01T01:00
    - 2026-12-31T09:00..2026-12-31T10:00..2026-12-31T11:00
  force: sometimes
";
        let found = errors(yaml);
        let expect: &[(u64, u64, &str)] = &[
            (2, 13, "unknown time zone \"America/Nowhere\""),
            (4, 5, "unknown day \"fro\""),
            (
                5,
                10,
                "bad time \"25:00\" in window \"25:00-26:00\": hours run from 00 to 23",
            ),
            (5, 10, "bad time \"26:00\" in window \"25:00-26:00\""),
            (
                6,
                10,
                "bad time \"9\" in window \"9-5\": expected HH:MM on a 24-hour clock",
            ),
            (6, 10, "bad time \"5\" in window \"9-5\""),
            (7, 10, "empty window \"09:00-09:00\""),
            (8, 10, "24:00 can only end a window"),
            (
                8,
                10,
                "bad time \"11:60\" in window \"10:00-11:60\": minutes run",
            ),
            (9, 10, "no hours given"),
            (10, 10, "empty window"),
            (11, 5, "empty day in \"mon,,tue\""),
            (13, 7, "bad date \"2026-02-30\": 2026-02 has no day 30"),
            (
                14,
                7,
                "bad range \"2026-12-26..2026-12-24\": it ends before it starts",
            ),
            (15, 7, "it ends before it starts"),
            (16, 7, "is a single moment, not a period"),
            (17, 7, "bad date \"12/25/2026\": expected YYYY-MM-DD"),
            (18, 7, "bad date \"2026-13-01\": month 13 is not 01..12"),
            (19, 7, "is empty (it ends where it starts)"),
            (21, 7, "24:00 is not a time of day here"),
            (22, 7, "expected a single `..`"),
            (23, 10, "bad force value \"sometimes\""),
        ];
        assert_eq!(found.len(), expect.len(), "{found:#?}");
        for ((line, column, message), (want_line, want_column, want)) in found.iter().zip(expect) {
            assert_eq!((line, column), (want_line, want_column), "{message}");
            assert!(
                message.contains(want),
                "{message:?} should contain {want:?}"
            );
        }
    }

    #[test]
    fn bad_zone_alone_and_zone_suggestions() {
        assert_eq!(
            errors("schedule:\n  timezone: Mars/Olympus_Mons\n"),
            [(
                2,
                13,
                "unknown time zone \"Mars/Olympus_Mons\": expected an IANA name of the form \
                 Region/City, e.g. \"America/New_York\" or \"Europe/London\""
                    .to_string()
            )]
        );
        let message = |name: &str| parse_time_zone(name).err().unwrap_or_default();
        assert!(message("America/New York").ends_with("did you mean \"America/New_York\"?"));
        assert!(message("new york").ends_with("did you mean \"America/New_York\"?"));
        assert!(message("").starts_with("empty time zone"));
        assert!(parse_time_zone(" europe/london ").is_ok());
        assert!(parse_time_zone("UTC").is_ok());
    }

    #[test]
    fn odd_inputs_never_panic() {
        for value in [
            "",
            " ",
            ",",
            "-",
            ":",
            "::-::",
            "é",
            "09:00-",
            "-09:00",
            "0900-1700",
            "09:00 17:00",
            "9:00-17:00",
            "099:00-10:00",
            "09:000-10:00",
            "+9:00-10:00",
            "९:००-१०:००",
            "09:00-17:00-18:00",
            "2026-12-25",
            "24:00-24:00",
            "00:00-00:00",
        ] {
            let hours = Hours(vec![(
                Spanned::new("mon".to_string(), Location::UNKNOWN, Location::UNKNOWN),
                Spanned::new(value.to_string(), Location::UNKNOWN, Location::UNKNOWN),
            )]);
            let spec = ScheduleSpec {
                hours: Some(hours),
                ..ScheduleSpec::default()
            };
            let _ = Schedule::compile(&spec, &TimeZone::UTC);
        }
        for entry in [
            "",
            "..",
            "...",
            "é",
            "2026-12-25T",
            "2026-12-25T10",
            "2026-12-25x10:00",
            "éééééééééééé",
            "2026-12-2é",
            "0000-01-01",
            "9999-12-31",
            "9999-12-31T23:59..9999-12-31",
            "+2026-12-25",
            "2026-12-25T10:00:00..2026-12-25T11:00:00",
        ] {
            let spec = ScheduleSpec {
                closed: vec![Spanned::new(
                    entry.to_string(),
                    Location::UNKNOWN,
                    Location::UNKNOWN,
                )],
                ..ScheduleSpec::default()
            };
            if let Ok(s) = Schedule::compile(&spec, &TimeZone::UTC) {
                let _ = s.explain(Timestamp::MAX);
                let _ = s.explain(Timestamp::MIN);
            }
        }
        // 9:00 (one-digit hour) is accepted; 0900 is not.
        assert!(parse_window("9:00-17:00").is_ok());
        assert!(parse_window("0900-1700").is_err());
        // The very last day can be closed without computing a "next day".
        let spec =
            spec("schedule:\n  hours:\n    daily: \"00:00-24:00\"\n  closed:\n    - 9999-12-31\n");
        let plus_two = TimeZone::fixed(jiff::tz::offset(2));
        let s = match Schedule::compile(&spec, &plus_two) {
            Ok(s) => s,
            Err(e) => panic!("{e:?}"),
        };
        assert_eq!(
            plus_two.to_datetime(Timestamp::MAX).date(),
            date(9999, 12, 31)
        );
        assert!(!s.is_open(Timestamp::MAX));
        assert!(s.is_open(Timestamp::MAX - jiff::SignedDuration::from_hours(24)));
    }

    #[test]
    fn errors_display_with_position() {
        let e = ScheduleError::new(Location::UNKNOWN, "nope");
        assert_eq!(e.to_string(), "0:0: nope");
    }
}
