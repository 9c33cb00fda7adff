//! Schedules (`switchboard::schedule`): across random instants and zones — DST gaps and
//! overlaps, leap days, windows that span midnight, closed days and dates — `is_open` agrees
//! minute by minute with a brute-force reference built from the same weekly windows, and
//! `explain` never panics and gives the same answer.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use proptest::prelude::*;
use switchboard::schedule::{Schedule, ScheduleSpec};

use super::check;

/// Zones with the awkward rules: DST north and south, negative DST (Dublin), half-hour DST
/// (Lord Howe), 45-minute offsets (Chatham), a skipped day (Apia), half-hour offsets, and
/// none at all.
const ZONES: &[&str] = &[
    "America/New_York",
    "Europe/London",
    "Europe/Dublin",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Pacific/Apia",
    "Asia/Kolkata",
    "America/St_Johns",
    "America/Sao_Paulo",
    "America/Santiago",
    "Africa/Casablanca",
    "Asia/Tehran",
    "Antarctica/Troll",
    "UTC",
];

const DAYS: &[&str] = &["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A window as minutes from local midnight: `end` is 1..=1440, or less than `start` when the
/// window spans midnight into the next day.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: u16,
    end: u16,
}

impl Window {
    fn text(self) -> String {
        let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        format!("{}-{}", hm(self.start), hm(self.end))
    }
}

/// A day: `None` is written `closed`; otherwise its windows (none: the key is left out).
type Day = Option<Vec<Window>>;

fn window() -> impl Strategy<Value = Window> {
    // Starts and lengths on a 15-minute grid half the time (so windows meet and overlap),
    // any minute otherwise.
    let minute = prop_oneof![(0u16..96).prop_map(|q| q * 15), 0u16..1440];
    let len = prop_oneof![(1u16..96).prop_map(|q| q * 15), 1u16..1440];
    (minute, len).prop_map(|(start, len)| {
        let end = start + len;
        // Ending exactly at midnight is written 24:00; past it, the window spans midnight.
        Window {
            start,
            end: if end > 1440 { end - 1440 } else { end },
        }
    })
}

/// Where the instants of a case start.
#[derive(Debug, Clone)]
enum Around {
    /// The zone's first transition after this many seconds since 1990, shifted by minutes.
    Transition(i64, i64),
    /// A minute of 28 February to 1 March in this leap year, local time.
    LeapDay(i16, i64),
    /// Any instant between 1970 and 2100.
    Anywhere(i64),
}

#[derive(Debug, Clone)]
struct Case {
    zone: &'static str,
    week: Vec<Day>,
    /// Closed dates, as days from the first instant's local date.
    closed: Vec<i64>,
    around: Around,
}

fn case() -> impl Strategy<Value = Case> {
    let day = prop_oneof![
        1 => Just(None),
        4 => proptest::collection::vec(window(), 0..3).prop_map(Some),
    ];
    let around = prop_oneof![
        (0i64..50 * 365 * 86_400, -75i64..15).prop_map(|(s, m)| Around::Transition(s, m)),
        ((498i16..524).prop_map(|q| q * 4), 0i64..3 * 1440)
            .prop_map(|(y, m)| Around::LeapDay(y, m)),
        (0i64..4_102_444_800).prop_map(Around::Anywhere),
    ];
    (
        proptest::sample::select(ZONES),
        proptest::collection::vec(day, 7),
        proptest::collection::vec(-1i64..3, 0..3),
        around,
    )
        .prop_map(|(zone, week, closed, around)| Case {
            zone,
            week,
            closed,
            around,
        })
}

fn first_instant(tz: &TimeZone, around: &Around) -> Timestamp {
    let ts = |s: i64| Timestamp::from_second(s).expect("in range");
    match *around {
        Around::Transition(after, minutes) => {
            let from = ts(631_152_000 + after);
            let at = tz.following(from).next().map_or(from, |t| t.timestamp());
            ts(at.as_second() + minutes * 60)
        }
        Around::LeapDay(year, minute) => {
            let dt = Date::new(year, 2, 28).expect("a date").at(0, 0, 0, 0);
            let dt = dt
                .checked_add(jiff::SignedDuration::from_mins(minute))
                .expect("in range");
            tz.to_timestamp(dt).expect("a local time")
        }
        Around::Anywhere(s) => ts(s),
    }
}

/// The documented rules, from the windows themselves: closed on a closed date; else open in
/// a window of the local weekday, or in the after-midnight part of one from the day before.
fn reference(c: &Case, tz: &TimeZone, closed: &[Date], at: Timestamp) -> bool {
    let local = tz.to_datetime(at);
    if closed.contains(&local.date()) {
        return false;
    }
    let m = local.hour() as u16 * 60 + local.minute() as u16;
    let day = usize::from(local.weekday().to_monday_zero_offset().unsigned_abs());
    let windows = |d: usize| c.week[d].iter().flatten().copied();
    let today = windows(day).any(|w| {
        if w.end > w.start {
            w.start <= m && m < w.end
        } else {
            m >= w.start
        }
    });
    let spill = windows((day + 6) % 7).any(|w| w.end < w.start && m < w.end);
    today || spill
}

fn spec(c: &Case, closed: &[Date]) -> String {
    let mut y = format!("timezone: {}\nhours:\n", c.zone);
    for (name, day) in DAYS.iter().zip(&c.week) {
        match day {
            None => y += &format!("  {name}: closed\n"),
            Some(w) if w.is_empty() => {}
            Some(w) => {
                let list: Vec<String> = w.iter().map(|w| w.text()).collect();
                y += &format!("  {name}: \"{}\"\n", list.join(", "));
            }
        }
    }
    if !closed.is_empty() {
        let list: Vec<String> = closed.iter().map(|d| d.to_string()).collect();
        y += &format!("closed: [{}]\n", list.join(", "));
    }
    y
}

#[test]
fn is_open_agrees_with_a_minute_by_minute_reference() {
    const MINUTES: i64 = 90;
    let ran = check(case(), |c| {
        let tz = TimeZone::get(c.zone).expect("a bundled zone");
        let first = first_instant(&tz, &c.around);
        let day0 = tz.to_datetime(first).date();
        let closed: Vec<Date> = c
            .closed
            .iter()
            .map(|d| {
                day0.checked_add(jiff::Span::new().days(*d))
                    .expect("in range")
            })
            .collect();
        let yaml = spec(&c, &closed);
        let spec: ScheduleSpec = serde_saphyr::from_str(&yaml)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
        let schedule = Schedule::compile(&spec, &TimeZone::UTC)
            .map_err(|e| TestCaseError::fail(format!("{e:?}\n{yaml}")))?;
        for k in 0..MINUTES {
            let at = Timestamp::from_second(first.as_second() + k * 60).expect("in range");
            let want = reference(&c, &tz, &closed, at);
            let local = tz.to_datetime(at);
            prop_assert_eq!(
                schedule.is_open(at),
                want,
                "at {} ({})\n{}",
                at,
                local,
                yaml
            );
            let (open, why) = schedule.explain(at);
            prop_assert_eq!(open, want, "explain: {}", why);
            prop_assert!(!why.is_empty());
        }
        Ok(())
    });
    assert!(ran > 0);
}
