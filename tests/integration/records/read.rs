//! `switchboard calls`, `calls show` and `recordings` against a filled database.

use serde_json::Value;
use switchboard::calls::{Call, Recording, Story};

use super::super::harness::binary::{Output, Switchboard};
use super::{CHILD, OTHER_CALLER, OTHERS, RECORDING, SID, fill, half_an_hour_ago};

/// A filled database (closed) in a temporary directory, and its `--database` value.
fn database() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.db");
    drop(fill(&path, half_an_hour_ago()));
    let url = format!("sqlite:{}", path.display());
    (dir, url)
}

fn run(subcommand: &str, url: &str, args: &[&str]) -> Output {
    Switchboard::new(subcommand)
        .args(args)
        .args(["--database", url])
        .env("TZ", "UTC")
        .run()
}

fn json_lines<T: serde::de::DeserializeOwned>(out: &Output) -> Vec<T> {
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

#[test]
fn calls_lists_filters_and_limits() {
    let (_dir, url) = database();
    let all: Vec<Call> = json_lines(&run("calls", &url, &["--format", "json"]));
    // The fixtures' call, its dialed leg, and the others.
    assert_eq!(all.len(), OTHERS + 2);
    assert!(all.windows(2).all(|w| w[0].first_seen >= w[1].first_seen));

    let mine: Vec<Call> = json_lines(&run(
        "calls",
        &url,
        &[
            "--from",
            "+12025550143",
            "--to",
            "+14155550100",
            "--format",
            "json",
        ],
    ));
    assert_eq!(mine.len(), 1);
    let call = &mine[0];
    assert_eq!(call.call_sid, SID);
    assert_eq!(call.status, "completed");
    assert_eq!(call.duration, Some(194));
    assert_eq!(call.path, "menu > billing_dial > voicemail");
    assert_eq!(call.recordings, 1);

    let missed: Vec<Call> = json_lines(&run(
        "calls",
        &url,
        &["--status", "no-answer", "--limit", "3", "--format", "json"],
    ));
    assert_eq!(missed.len(), 3);
    assert!(
        missed
            .iter()
            .all(|c| c.from.as_deref() == Some(OTHER_CALLER))
    );

    // The other calls are 1 to 7 minutes older than the fixtures' call (1950s: 32.5 min).
    let recent: Vec<Call> = json_lines(&run(
        "calls",
        &url,
        &[
            "--since",
            "1950s",
            "--until",
            "2026-01-01T00:00:00Z",
            "--format",
            "json",
        ],
    ));
    assert!(recent.is_empty());
    let recent: Vec<Call> = json_lines(&run(
        "calls",
        &url,
        &["--since", "1950s", "--format", "json"],
    ));
    assert_eq!(recent.len(), 2 + 2, "{recent:?}");
}

#[test]
fn the_calls_table() {
    let (_dir, url) = database();
    // The caller's call and the leg it dialed (which shows the caller's number too).
    let out = run("calls", &url, &["--from", "+12025550143"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        [
            "TIME",
            "(UTC)",
            "FROM",
            "TO",
            "FLOW",
            "PATH",
            "STATUS",
            "DURATION",
            "RECORDING"
        ]
    );
    assert!(
        lines[1].ends_with(
            "  +12025550143  +14155550199  -     -                                completed  3m07s     no"
        ),
        "{:?}",
        lines[1]
    );
    assert!(
        lines[2].ends_with(
            "  +12025550143  +14155550100  acme  menu > billing_dial > voicemail  completed  3m14s     yes"
        ),
        "{:?}",
        lines[2]
    );
}

#[test]
fn calls_show_tells_the_whole_story() {
    let (_dir, url) = database();
    let out = run("calls", &url, &["show", SID]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = out.stdout;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("Call {SID}"));
    assert_eq!(lines[1], "  from +12025550143 to +14155550100 (inbound)");
    assert_eq!(lines[2], "  flow acme (flow set 0123456789ab)");
    assert_eq!(lines[3], "  status completed, 3m14s");
    for line in [
        "   inputs: Digits=2",
        "     menu: heard \"2\": option billing",
        "   step acme/billing_dial (dial)",
        "   inputs: DialBridged=true DialCallDuration=187 DialCallSid=CA451c1f0280de01dcdfd95d195cfb33df DialCallStatus=completed",
        "   \"Hi, this is Dana from Northwind. Please call me back about invoice 4417 at 202 555 0143. Thanks.\"",
        "Recordings:",
        "Dialed legs:",
    ] {
        assert!(lines.contains(&line), "no line {line:?} in:\n{text}");
    }
    let starts = [
        "webhook voice",
        "webhook continue acme/menu",
        "webhook continue acme/menu",
        "webhook continue acme/menu",
        "status completed (sequence 0, 3m14s)",
        "recording REf080747abb7fe7b81a6b958e69ecff7b completed (23s) https://api.twilio.com/",
        "transcription TR3b1f5c0e8a2d4b6c9e7f0a1b2c3d4e5f of REf080747abb7fe7b81a6b958e69ecff7b completed",
    ];
    // Every record, in time order: `HH:MM:SS.mmm  what`.
    let records: Vec<&str> = lines
        .iter()
        .filter(|l| l.as_bytes().get(12) == Some(&b' ') && l.as_bytes().get(2) == Some(&b':'))
        .map(|l| &l[14..])
        .collect();
    assert_eq!(records.len(), starts.len(), "{text}");
    for (line, start) in records.iter().zip(starts) {
        assert!(
            line.starts_with(start),
            "{line:?} should start with {start:?}"
        );
    }
    assert!(text.contains(&format!(
        "  {CHILD}  +12025550143 → +14155550199  completed  3m07s"
    )));

    let out = run("calls", &url, &["show", SID, "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let story: Story = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(story.records.len(), 7);
    assert_eq!(story.recordings.len(), 1);
    assert_eq!(story.children.len(), 1);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["records"][0]["kind"], "webhook");
    assert_eq!(
        v["records"][0]["trace"][0]["e"], "enter",
        "{}",
        v["records"][0]
    );
}

#[test]
fn recordings_lists_them_with_their_call() {
    let (_dir, url) = database();
    let recs: Vec<Recording> = json_lines(&run("recordings", &url, &["--format", "json"]));
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].recording_sid, RECORDING);
    assert_eq!(recs[0].call_sid, SID);
    assert!(
        recs[0]
            .transcript
            .as_deref()
            .is_some_and(|t| t.starts_with("Hi, this is Dana"))
    );
    let out = run("recordings", &url, &["--since", "1h"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 2, "{}", out.stdout);
    assert!(
        out.stdout
            .lines()
            .nth(1)
            .unwrap()
            .contains(&format!("{SID}  {RECORDING}  completed  23s"))
    );
}

#[test]
fn readers_refuse_what_is_not_there() {
    let (dir, url) = database();
    let out = run(
        "calls",
        &url,
        &["show", "CA00000000000000000000000000000000"],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("error: no call CA00000000000000000000000000000000 in sqlite:"),
        "{}",
        out.stderr
    );

    let missing = dir.path().join("nothing.db");
    let url = format!("sqlite:{}", missing.display());
    for sub in [&["calls"][..], &["calls", "show", SID], &["recordings"]] {
        let out = run(sub[0], &url, &sub[1..]);
        assert_eq!(out.code, 2, "{sub:?}: {}", out.stderr);
        assert_eq!(
            out.stderr,
            format!(
                "error: no database at {} (switchboard serve creates it)\n",
                missing.display()
            )
        );
    }
    assert!(!missing.exists(), "a reader created the database");
}
