//! A whole call through the real server on SQLite, its callbacks duplicated and shuffled,
//! read back from the database.

use switchboard::calls::Body;

use super::support::*;
use crate::harness::FlowDir;
use crate::harness::binary::{ServeProcess, Switchboard};
use crate::harness::rng::Rng;
use crate::harness::server::request;

#[test]
fn a_whole_call_is_recorded_whatever_the_callback_order() {
    let flows = FlowDir::new().file("acme.yaml", FLOW);
    let data = tempfile::tempdir().unwrap();
    let token_file = data.path().join("admin-token");
    std::fs::write(&token_file, "s3cret-admin-token\n").unwrap();
    let mut args = sqlite_args(data.path());
    args.extend([
        "--replica".into(),
        "r1".into(),
        "--admin-token-file".into(),
        token_file.display().to_string(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let serve = ServeProcess::start(flows.path(), &args);
    let call = sid(1);
    let webhooks = play_voicemail_call(&serve, &call);
    // Every callback twice, in a shuffled order.
    let mut cbs = callbacks(&call);
    cbs.extend(callbacks(&call));
    let mut rng = Rng::new(11);
    rng.shuffle(&mut cbs);
    for (path, body) in &cbs {
        let r = serve.post(path, body);
        assert_eq!(r.status, 204, "{path}: {}", r.body);
    }
    // A retried webhook (same URL, same body) is stored once.
    let r = serve.post("/voice", &form(&call_params(&call, "ringing")));
    assert_eq!(r.status, 200);

    let db = open(&format!(
        "sqlite:{}",
        data.path().join("calls.db").display()
    ));
    let story = wait_for_story(&db, &call, |s| {
        // Every callback but the dialed leg's is the call's own.
        s.records.len() == webhooks.len() + cbs.len() / 2 - 1
    });
    let c = &story.call;
    assert_eq!(c.status, "completed");
    assert!(c.ended);
    assert_eq!(c.duration, Some(41));
    assert_eq!(c.from.as_deref(), Some(CALLER));
    assert_eq!(c.to.as_deref(), Some(MAIN));
    assert_eq!(c.flow.as_deref(), Some("acme"));
    assert_eq!(c.path, "menu > sales > pin > check > voicemail > bye");
    assert_eq!(c.webhooks, 5);
    assert_eq!(story.children.len(), 1, "the dialed leg");
    assert_eq!(story.children[0].status, "no-answer");
    assert_eq!(story.children[0].sip_response_code.as_deref(), Some("487"));
    assert_eq!(story.recordings.len(), 1);
    let rec = &story.recordings[0];
    assert_eq!(rec.status, "completed");
    assert_eq!(
        rec.transcript.as_deref(),
        Some("Hi, it is Sam, please call me back.")
    );
    assert!(rec.url.as_deref().is_some_and(|u| u.ends_with("/RE1")));
    // Each webhook says who answered it, with which flow version, and what it decided.
    let hooks: Vec<_> = story
        .records
        .iter()
        .filter_map(|r| match &r.body {
            Body::Webhook(w) => Some((r, w)),
            _ => None,
        })
        .collect();
    assert_eq!(hooks.len(), 5);
    for (r, w) in &hooks {
        assert_eq!(r.replica, "r1");
        assert_eq!(w.flow_version.len(), 12);
        assert!(!w.trace.0.is_empty());
    }
    assert_eq!(
        hooks[1].1.inputs.get("Digits").map(String::as_str),
        Some("1")
    );
    assert_eq!(
        hooks[2].1.inputs.get("DialCallStatus").map(String::as_str),
        Some("no-answer")
    );
    // The PIN was asked with `sensitive: true`: nowhere in clear.
    let pin_hook = hooks[3].1;
    assert_eq!(
        pin_hook.inputs.get("Digits").map(String::as_str),
        Some("[redacted]")
    );
    assert!(pin_hook.redacted);
    let everything = serde_json::to_value(&story).unwrap();
    let (strings, clear) = strings_containing(&everything, "4321");
    assert!(strings > 50, "walked only {strings} strings");
    assert_eq!(clear, 0, "the PIN is stored in clear: {everything}");
    assert!(everything.to_string().contains("[redacted]"));
    // `/readyz` shows the store.
    let ready = serve.readyz();
    assert_eq!(ready["records"]["status"], "ok");
    assert!(ready["records"]["duplicates"].as_u64().unwrap() >= 6);

    // The same call through the API of the running server…
    let auth = ("Authorization", "Bearer s3cret-admin-token");
    let r = request(
        serve.addr,
        "GET",
        &format!("/api/calls/{call}"),
        &[auth],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let api: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(api["call"]["status"], "completed");
    assert_eq!(api["call"]["path"], c.path.as_str());
    assert_eq!(
        api["recordings"][0]["transcript"],
        "Hi, it is Sam, please call me back."
    );
    let r = request(
        serve.addr,
        "GET",
        "/api/calls?status=completed",
        &[auth],
        b"",
    );
    let list: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    // …and through `switchboard calls` / `calls show` while it runs.
    let url = format!("sqlite:{}", data.path().join("calls.db").display());
    let out = Switchboard::new("calls")
        .args(["--database", &url, "--since", "1h"])
        .env("TZ", "UTC")
        .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        // The table shortens long paths.
        out.stdout
            .contains("menu > sales > pin > check > voicemail"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("completed"), "{}", out.stdout);
    let out = Switchboard::new("calls")
        .args(["show", &call, "--database", &url])
        .env("TZ", "UTC")
        .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("Hi, it is Sam"), "{}", out.stdout);
    assert!(out.stdout.contains("[redacted]"), "{}", out.stdout);
    // Where the PIN would show: an input, a heard value, a variable (a hash may contain
    // any four digits, so not the bare digits).
    for clear in ["Digits=4321", "\"4321\"", "= 4321"] {
        assert!(!out.stdout.contains(clear), "{clear}: {}", out.stdout);
    }
}

/// How many strings `v` holds, and how many of them contain `needle` (numbers are not
/// strings: a microsecond timestamp may contain any four digits).
fn strings_containing(v: &serde_json::Value, needle: &str) -> (usize, usize) {
    use serde_json::Value;
    match v {
        Value::String(s) => (1, usize::from(s.contains(needle))),
        Value::Array(a) => a.iter().fold((0, 0), |(n, c), x| {
            let (n2, c2) = strings_containing(x, needle);
            (n + n2, c + c2)
        }),
        Value::Object(o) => o.iter().fold((0, 0), |(n, c), (k, x)| {
            let (n2, c2) = strings_containing(x, needle);
            (n + n2 + 1, c + c2 + usize::from(k.contains(needle)))
        }),
        _ => (0, 0),
    }
}

#[test]
fn database_none_keeps_nothing_and_answers_callbacks() {
    let flows = FlowDir::new().file("acme.yaml", FLOW);
    let serve = ServeProcess::start(flows.path(), &["--database", "none"]);
    for (path, body) in callbacks(&sid(2)) {
        assert_eq!(serve.post(path, &body).status, 204);
    }
    assert!(serve.readyz()["records"].is_null());
}

#[test]
fn callbacks_without_their_ids_are_refused_with_a_reason() {
    let flows = FlowDir::new().file("acme.yaml", FLOW);
    let data = tempfile::tempdir().unwrap();
    let args = sqlite_args(data.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let serve = ServeProcess::start(flows.path(), &args);
    let r = serve.post(
        "/recording",
        &form(&[("CallSid", &sid(3)), ("RecordingStatus", "completed")]),
    );
    assert_eq!(r.status, 400);
    assert!(r.body.contains("RecordingSid"), "{}", r.body);
    // A CallSid of 10 kB is not one Twilio sends: refused, not stored.
    let huge = format!("CA{}", "A".repeat(10_000));
    let r = serve.post("/status", &form(&call_params(&huge, "ringing")));
    assert_eq!(r.status, 400);
    assert!(r.body.contains("`CallSid` is not a SID"), "{}", r.body);
    assert_eq!(serve.readyz()["records"]["committed"], 0);
}

#[test]
fn calls_without_a_final_status_are_closed_and_old_calls_pruned() {
    let flows = FlowDir::new().file("acme.yaml", FLOW);
    let data = tempfile::tempdir().unwrap();
    let mut args = sqlite_args(data.path());
    args.extend(["--close-after".into(), "1s".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let serve = ServeProcess::start(flows.path(), &args);
    let call = sid(4);
    // Answered, then the last callback is lost.
    serve.post("/voice", &form(&call_params(&call, "ringing")));
    let db = open(&format!(
        "sqlite:{}",
        data.path().join("calls.db").display()
    ));
    let story = wait_for_story(&db, &call, |s| s.call.status == "unknown");
    assert!(story.call.ended);
    assert!(serve.readyz()["records"]["expired"].as_u64().unwrap() >= 1);
    // The final status arrives after all: it wins over `unknown`.
    let mut p = call_params(&call, "completed");
    p.extend([("SequenceNumber", "3"), ("CallDuration", "9")]);
    assert_eq!(serve.post("/status", &form(&p)).status, 204);
    wait_for_story(&db, &call, |s| s.call.status == "completed");
    drop(serve);

    // Retention: a server keeping 1 s of calls prunes this one.
    let mut args = sqlite_args(data.path());
    args.extend([
        "--retention".into(),
        "1s".into(),
        "--close-after".into(),
        "1s".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let serve = ServeProcess::start(flows.path(), &args);
    crate::harness::wait_until("the old call is pruned", || {
        block_on(db.story(&call)).unwrap().is_none()
    });
    assert!(serve.readyz()["records"]["pruned"].as_u64().unwrap() >= 1);
}
