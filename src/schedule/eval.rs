//! A compiled schedule and the one decision procedure behind "open at this instant?".

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

/// A weekly window as the operator wrote it, kept to explain decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Window {
    /// The weekday it starts on, Monday = 0.
    pub(super) day: u8,
    /// Start, minutes after local midnight (inclusive).
    pub(super) start: u16,
    /// End, minutes after local midnight (exclusive); at or before `start` when the window
    /// spans midnight.
    pub(super) end: u16,
}

/// The part of a [`Window`] that falls on one weekday: `start..end` minutes, never
/// crossing midnight, so a lookup is two comparisons.
#[derive(Debug, Clone, Copy)]
pub(super) struct Slot {
    /// Inclusive start, minutes after midnight.
    pub(super) start: u16,
    /// Exclusive end, minutes after midnight (up to 1440).
    pub(super) end: u16,
    /// The window this slice came from (the previous day's, for an after-midnight part).
    pub(super) window: Window,
}

/// Where a `closed`/`open` period ends.
#[derive(Debug, Clone, Copy)]
pub(super) enum PeriodEnd {
    /// Just before this local date-time.
    Before(DateTime),
    /// At the end of this local date (kept as a date so 9999-12-31 needs no "next day").
    Through(Date),
}

/// One `closed` or `open` entry, as a half-open range of local wall-clock date-times.
#[derive(Debug, Clone)]
pub(super) struct Period {
    /// First local date-time covered.
    pub(super) start: DateTime,
    /// Where coverage stops.
    pub(super) end: PeriodEnd,
    /// The entry as written (trimmed), for explanations.
    pub(super) label: String,
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
    pub(super) tz: TimeZone,
    /// `Some(true)` for `force: open`, `Some(false)` for `force: closed`.
    pub(super) force: Option<bool>,
    /// For each local weekday (Monday = 0), the slots open that day, sorted by start:
    /// the day's own windows plus the after-midnight parts of the previous day's.
    pub(super) week: [Vec<Slot>; 7],
    /// `closed` entries, in the order written.
    pub(super) closures: Vec<Period>,
    /// `open` entries, in the order written.
    pub(super) openings: Vec<Period>,
}

/// Why a schedule is open or closed at an instant; computed without allocating, so
/// [`Schedule::is_open`] and [`Schedule::explain`] share one decision procedure.
pub(super) enum Decision<'a> {
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
    pub(super) fn is_open(&self) -> bool {
        match self {
            Decision::Forced(open) => *open,
            Decision::Opening(..) | Decision::InWindow(..) => true,
            Decision::Closure(..) | Decision::OutsideHours(..) => false,
        }
    }
}

impl Schedule {
    /// Whether the schedule is open at `at`.
    #[must_use]
    pub fn is_open(&self, at: Timestamp) -> bool {
        self.decide(at).is_open()
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
    pub(super) fn decide(&self, at: Timestamp) -> Decision<'_> {
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
}

/// Monday = 0 … Sunday = 6 for a local date-time.
pub(super) fn weekday_index(local: DateTime) -> usize {
    usize::from(local.weekday().to_monday_zero_offset().unsigned_abs())
}
