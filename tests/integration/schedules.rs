//! Schedules in routes: local time, DST, midnight-spanning windows, holidays, shared.

use crate::harness::*;

#[test]
fn schedules_route_by_local_time_across_dst() {
    let yaml = "numbers: [\"+14155550100\"]\ntimezone: America/New_York\nschedules:\n  office:\n    hours:\n      daily: \"09:00-17:00\"\n      fri: \"22:00-02:00\"\n    closed: [2026-12-25]\nstart: entry\nsteps:\n  entry:\n    route:\n      - if: { open: office }\n        goto: open\n      - goto: closed\n  open:\n    say: Open\n  closed:\n    say: Closed\n";
    let set = load(&[("acme.yaml", yaml)]);
    let check = |civil: &str, want: &str| {
        let mut call = Call::new(&set, CALLER, MAIN).at(at(civil, "America/New_York"));
        let out = call.send(&[]).clone();
        assert_eq!(said(&out), [want], "{civil}");
    };
    // The day clocks go back (2026-11-01) and forward (2026-03-08): still 09:00-17:00 local.
    check("2026-11-01T08:59", "Closed");
    check("2026-11-01T09:00", "Open");
    check("2026-11-01T16:59", "Open");
    check("2026-03-08T09:30", "Open");
    check("2026-03-08T17:00", "Closed");
    // Friday 22:00 to Saturday 02:00 spans midnight.
    check("2026-11-27T23:30", "Open");
    check("2026-11-28T01:59", "Open");
    check("2026-11-28T02:00", "Closed");
    // A holiday.
    check("2026-12-25T10:00", "Closed");
    // The same instant, as UTC, is what the server passes: 14:00Z is 09:00 in New York in winter.
    let mut call = Call::new(&set, CALLER, MAIN).at("2026-12-01T14:00:00Z".parse().unwrap());
    assert_eq!(said(call.send(&[])), ["Open"]);
    assert!(
        call.transcript().contains("office: open"),
        "{}",
        call.transcript()
    );
}

#[test]
fn shared_schedules_and_vars() {
    let shared = "vars: { operator: \"+14155550199\" }\nschedules:\n  office:\n    timezone: Europe/London\n    hours: { weekdays: \"09:00-17:00\" }\n";
    let a = "numbers: [\"+442071234567\"]\nstart: e\nsteps:\n  e:\n    route:\n      - if: { closed: office }\n        goto: d\n      - goto: hangup\n  d:\n    dial: { to: \"{{vars.operator}}\" }\n";
    let set = load(&[("_shared.yaml", shared), ("a.yaml", a)]);
    let mut call =
        Call::new(&set, CALLER, "+442071234567").at(at("2026-11-28T12:00", "Europe/London"));
    assert_eq!(dialed(call.send(&[])), ["+14155550199"]);
}
