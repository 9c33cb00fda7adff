//! Checking a [`ScheduleSpec`] and parsing its small languages (day keys, windows,
//! `closed`/`open` periods, zone names) into a [`Schedule`], reporting every problem.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use serde_saphyr::Spanned;

use super::eval::{Period, PeriodEnd, Schedule, Slot, Window};
use super::spec::{Hours, ScheduleError, ScheduleSpec};

/// Minutes in a day; also the minute value of `24:00`.
const DAY_MINUTES: u16 = 24 * 60;

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
pub(super) fn parse_window(item: &str) -> Result<(u16, u16), Vec<String>> {
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
