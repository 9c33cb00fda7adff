//! Replay through the real binary: calls recorded by `switchboard serve` on SQLite, then
//! `switchboard replay` of one call and of the window against edited flows (a changed menu
//! option, a schedule change, a removed step), the unchanged and the recorded flows, and
//! `switchboard calls export-test` cases that pass under `switchboard test`.

use serde_json::Value;

use super::support::*;
use crate::harness::FlowDir;
use crate::harness::binary::{ServeProcess, Switchboard};
use crate::harness::server::attr;

/// A line that is always open (so the recorded paths do not depend on when the test runs).
const SHARED: &str =
    "schedules:\n  hours:\n    timezone: UTC\n    hours: { daily: \"00:00-24:00\" }\n";

const MAIN_FLOW: &str = r#"numbers: ["+14155550100"]
start: entry
steps:
  entry:
    route:
      - if: { open: hours }
        goto: menu
      - goto: closed
  menu:
    menu:
      prompt: "Press 1 for sales, 2 for support, 3 for billing."
      options: { "1": sales, "2": support, "3": billing }
  sales:
    dial:
      to: "+14155550111"
      on_fail: voicemail
  support:
    dial:
      to: "+14155550112"
      on_fail: voicemail
  billing:
    say: "Billing is closed today."
    next: voicemail
  closed:
    say: "We are closed."
    next: voicemail
  voicemail:
    record:
      prompt: "Leave a message."
      next: bye
  bye:
    say: "Goodbye."
"#;

/// One recorded call: what the caller (and Twilio) send after `/voice`, in order.
struct Scripted {
    sid: String,
    replies: Vec<Vec<(&'static str, &'static str)>>,
}

fn dial(status: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![("DialCallStatus", status)]
}

fn digits(d: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![("Digits", d)]
}

fn recording() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "RecordingUrl",
            "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE1",
        ),
        ("RecordingSid", "RE00000000000000000000000000000001"),
        ("RecordingDuration", "9"),
    ]
}

/// The five calls: sales answered; support unanswered then voicemail; billing then
/// voicemail; a caller who hangs up on the menu; sales busy then voicemail.
fn calls() -> Vec<Scripted> {
    let c = |n, replies| Scripted {
        sid: sid(n),
        replies,
    };
    vec![
        c(101, vec![digits("1"), dial("completed")]),
        c(102, vec![digits("2"), dial("no-answer"), recording()]),
        c(103, vec![digits("3"), recording()]),
        c(104, vec![]),
        c(105, vec![digits("1"), dial("busy"), recording()]),
    ]
}

/// Sends a call to the server, following the documents' action URLs as Twilio does.
fn place(serve: &ServeProcess, call: &Scripted) {
    let r = serve.post("/voice", &form(&call_params(&call.sid, "ringing")));
    assert_eq!(r.status, 200, "{}", r.body);
    let mut doc = r.twiml().to_string();
    for reply in &call.replies {
        let tag = match reply[0].0 {
            "DialCallStatus" => "Dial",
            "RecordingUrl" => "Record",
            _ => "Gather",
        };
        let url = attr(&doc, tag, "action").unwrap_or_else(|| panic!("no {tag} in {doc}"));
        let mut p = call_params(&call.sid, "in-progress");
        p.extend(reply.iter().copied());
        let r = serve.post(&url, &form(&p));
        assert_eq!(r.status, 200, "{}", r.body);
        doc = r.twiml().to_string();
    }
}

fn replay(db: &str, args: &[&str]) -> (i32, String, String) {
    Switchboard::new("replay")
        .args(args)
        .args(["--database", db])
        .run()
        .parts()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Flows with `edit` applied to the main flow (or the shared file).
fn candidate(main: &str, shared: &str) -> FlowDir {
    FlowDir::new()
        .file("main.yaml", main)
        .file("_shared.yaml", shared)
}

#[test]
fn replay_tells_what_an_edit_does_to_recorded_calls() {
    let flows = candidate(MAIN_FLOW, SHARED);
    let data = tempfile::tempdir().unwrap();
    let args = sqlite_args(data.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let serve = ServeProcess::start(flows.path(), &args);
    let calls = calls();
    for c in &calls {
        place(&serve, c);
    }
    let url = format!("sqlite:{}", data.path().join("calls.db").display());
    let db = open(&url);
    for c in &calls {
        let webhooks = c.replies.len() + 1;
        wait_for_story(&db, &c.sid, |s| {
            s.records
                .iter()
                .filter(|r| r.body.kind() == "webhook")
                .count()
                == webhooks
        });
    }

    unchanged(&url, &flows);
    let swapped = swapped_options(&url);
    closed_for_good(&url);
    billing_removed(&url);
    let dir = swapped.path().display().to_string();
    // Filters narrow the window; bad usage is 2.
    let (code, out, _) = replay(
        &url,
        &[
            "--since",
            "1h",
            "--flows",
            &dir,
            "--number",
            "+19995550000",
            "--format",
            "json",
        ],
    );
    assert_eq!((code, json(&out)["calls"].as_u64()), (0, Some(0)));
    let (code, _, err) = replay(
        &url,
        &["--since", "1h", "--flows", &dir, "--at", "yesterday-ish"],
    );
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = replay(&url, &[&sid(999), "--flows", &dir]);
    assert_eq!(code, 2);
    assert!(err.contains("no call"), "{err}");

    exported_tests(&url, &flows);
}

/// The flows that answered, from the store and from the directory: nothing changes.
fn unchanged(url: &str, flows: &FlowDir) {
    // The flows that answered, from the store and from the directory: nothing changes,
    // documents included.
    for against in ["recorded", &flows.path().display().to_string()] {
        let (code, out, err) = replay(
            url,
            &["--since", "1h", "--flows", against, "--format", "json"],
        );
        assert_eq!(code, 0, "{against}: {out}{err}");
        let v = json(&out);
        assert_eq!(
            (v["calls"].as_u64(), v["same"].as_u64()),
            (Some(5), Some(5)),
            "{v}"
        );
        assert_eq!(v["same_path_other_document"], 0, "{v}");
        assert_eq!(v["changes"], false);
    }
}

/// 1 and 2 swapped.
fn swapped_options(url: &str) -> FlowDir {
    // 1 and 2 swapped: three calls change, each in its own group; exit 1.
    let swapped = candidate(
        &MAIN_FLOW.replace(r#""1": sales, "2": support"#, r#""1": support, "2": sales"#),
        SHARED,
    );
    let dir = swapped.path().display().to_string();
    let (code, out, err) = replay(url, &["--since", "1h", "--flows", &dir, "--format", "json"]);
    assert_eq!(code, 1, "{out}{err}");
    let v = json(&out);
    assert_eq!(
        (v["same"].as_u64(), v["different_path"].as_u64()),
        (Some(2), Some(3)),
        "{v}"
    );
    let groups = v["changed"].as_array().unwrap();
    assert_eq!(groups.len(), 3, "{v}");
    let group = |recorded: &[&str]| {
        groups
            .iter()
            .find(|g| g["recorded"] == serde_json::json!(recorded))
            .unwrap_or_else(|| panic!("no group for {recorded:?} in {v}"))
    };
    let g = group(&["entry", "menu", "sales"]);
    assert_eq!(
        g["replayed"],
        serde_json::json!(["entry", "menu", "support"])
    );
    assert_eq!(
        (g["calls"].as_u64(), g["example"].as_str()),
        (Some(1), Some(sid(101).as_str()))
    );
    let g = group(&["entry", "menu", "support", "voicemail", "bye"]);
    assert_eq!(
        g["replayed"],
        serde_json::json!(["entry", "menu", "sales", "voicemail", "bye"])
    );
    // The same as a table.
    let (code, table, _) = replay(url, &["--since", "1h", "--flows", &dir]);
    assert_eq!(code, 1);
    assert!(table.contains("Replayed 5 calls"), "{table}");
    assert!(
        table.contains("entry → menu → sales  ⇒  entry → menu → support"),
        "{table}"
    );

    // One call, side by side: the first webhook that differs and the decision behind it.
    let (code, one, err) = replay(url, &[&sid(102), "--flows", &dir]);
    assert_eq!(code, 1, "{one}{err}");
    assert!(one.contains("◀ differs"), "{one}");
    assert!(
        one.contains("The path changes at webhook 2 (digits \"2\")"),
        "{one}"
    );
    assert!(
        one.contains("recorded: menu: heard \"2\": option 2 → main/support"),
        "{one}"
    );
    assert!(
        one.contains("replayed: menu: heard \"2\": option 2 → main/sales"),
        "{one}"
    );
    let (code, same_call, _) = replay(url, &[&sid(103), "--flows", &dir]);
    assert_eq!(code, 0, "{same_call}");
    assert!(
        same_call.contains("Same path and the same documents."),
        "{same_call}"
    );

    swapped
}

/// The schedule closes for good.
fn closed_for_good(url: &str) {
    // Closed for good: every call now hears the voicemail greeting first. Four callers
    // did something the candidate no longer asks for (counted apart, as the edit's);
    // the one who hung up on the menu takes the new path whole.
    let closed_shared = format!("{SHARED}    closed: [\"2020-01-01T00:00..2040-01-01T00:00\"]\n");
    let closed = candidate(MAIN_FLOW, &closed_shared);
    let (code, out, err) = replay(
        url,
        &[
            "--since",
            "1h",
            "--flows",
            &closed.path().display().to_string(),
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    let v = json(&out);
    assert_eq!(
        (v["different_path"].as_u64(), v["not_replayable"].as_u64()),
        (Some(1), Some(4)),
        "{v}"
    );
    assert_eq!(
        v["changed"][0]["replayed"],
        serde_json::json!(["entry", "closed", "voicemail"])
    );
    let reasons = v["unreplayable"].as_array().unwrap();
    assert!(reasons.iter().all(|g| g["change"] == true), "{v}");
    assert_eq!(
        reasons
            .iter()
            .map(|g| g["calls"].as_u64().unwrap())
            .sum::<u64>(),
        4
    );
    assert!(
        reasons[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("main/voicemail now waits for a recording; the recorded call sent"),
        "{v}"
    );
}

/// A step removed.
fn billing_removed(url: &str) {
    // billing removed (3 goes straight to voicemail): one call changes.
    let removed = candidate(
        &MAIN_FLOW
            .replace(r#""3": billing"#, r#""3": voicemail"#)
            .replace(
                "  billing:\n    say: \"Billing is closed today.\"\n    next: voicemail\n",
                "",
            ),
        SHARED,
    );
    let (code, out, err) = replay(
        url,
        &[
            "--since",
            "1h",
            "--flows",
            &removed.path().display().to_string(),
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    let v = json(&out);
    assert_eq!(
        (v["same"].as_u64(), v["different_path"].as_u64()),
        (Some(4), Some(1)),
        "{v}"
    );
    assert_eq!(v["changed"][0]["example"], sid(103));
    assert_eq!(
        v["changed"][0]["replayed"],
        serde_json::json!(["entry", "menu", "voicemail", "bye"])
    );
}

/// Recorded calls as flow tests.
fn exported_tests(url: &str, flows: &FlowDir) {
    // Recorded calls as flow tests, which pass under `switchboard test`.
    let tests = flows.path().join("tests");
    std::fs::create_dir(&tests).unwrap();
    for (n, name) in [(102, "support"), (104, "hang-up")] {
        let file = tests.join(format!("{name}.yaml"));
        let (code, out, err) = Switchboard::new("calls")
            .args(["export-test", &sid(n), "--database", url, "--out"])
            .arg(&file)
            .run()
            .parts();
        assert_eq!(code, 0, "{out}{err}");
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains(&sid(n)), "{text}");
    }
    let written = std::fs::read_to_string(tests.join("hang-up.yaml")).unwrap();
    assert!(written.contains("hang_up: true"), "{written}");
    let (code, out, err) = Switchboard::new("test").arg(&tests).run().parts();
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.matches("PASS").count(), 2, "{out}");
    // The exported case catches the swap.
    let (code, out, _) = Switchboard::new("test")
        .arg(tests.join("support.yaml"))
        .run()
        .parts();
    assert_eq!(code, 0, "{out}");
    std::fs::write(
        flows.path().join("main.yaml"),
        MAIN_FLOW.replace(r#""1": sales, "2": support"#, r#""1": support, "2": sales"#),
    )
    .unwrap();
    let (code, out, _) = Switchboard::new("test")
        .arg(tests.join("support.yaml"))
        .run()
        .parts();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL"), "{out}");
    // An existing file is not overwritten.
    let (code, _, err) = Switchboard::new("calls")
        .args(["export-test", &sid(102), "--database", url, "--out"])
        .arg(tests.join("support.yaml"))
        .run()
        .parts();
    assert_eq!(code, 2, "{err}");
}
