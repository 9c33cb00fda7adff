//! Schedules compiled from YAML, evaluated across time zones and DST, and explained.

use super::compile::parse_window;
use super::*;
use jiff::Timestamp;
use jiff::civil::date;
use jiff::tz::TimeZone;
use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

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
    let s = compile("schedule:\n  hours:\n    mon: \"20:00-24:00\"\n    tue: \"00:00-24:00\"\n");
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
    let s = compile("schedule:\n  hours:\n    fri: \"22:00-02:00\"\n    sun: \"22:00-02:00\"\n");
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
    let s =
        compile("schedule:\n  timezone: America/New_York\n  hours:\n    sun: \"01:00-03:00\"\n");
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
    let s =
        compile("schedule:\n  timezone: America/New_York\n  hours:\n    sun: \"01:00-01:45\"\n");
    // 2026-11-01: 01:30 EDT = 05:30Z, and 01:30 EST = 06:30Z.
    assert!(s.is_open(utc("2026-11-01T05:30:00Z")), "first 01:30 (EDT)");
    assert!(!s.is_open(utc("2026-11-01T05:45:00Z")), "first 01:45 (EDT)");
    assert!(s.is_open(utc("2026-11-01T06:00:00Z")), "second 01:00 (EST)");
    assert!(s.is_open(utc("2026-11-01T06:30:00Z")), "second 01:30 (EST)");
    assert!(!s.is_open(utc("2026-11-01T06:45:00Z")));

    let s =
        compile("schedule:\n  timezone: America/New_York\n  hours:\n    sun: \"01:00-03:00\"\n");
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
    let s =
        compile("schedule:\n  timezone: America/New_York\n  hours:\n    sun: \"09:00-17:00\"\n");
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
