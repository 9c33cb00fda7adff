//! Hot reload end to end: a real temporary directory, the real watcher (or poller), the
//! server on `127.0.0.1:0`. Files are changed the ways editors, `cp`/`mv` and Kubernetes
//! change them; every assertion is on what a signed request to the running server returns
//! (or on `/readyz` and the logs), and every wait polls with a bound.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use switchboard::http::reload;

use crate::harness::binary::ServeProcess;
use crate::harness::server::{TestServer, attr, form_body, incoming, texts};
use crate::harness::{BOUND, FlowDir, line, wait_until};

const CALLER: &str = "+12025550143";
const SALES: &str = "+14155550100";
const SUPPORT: &str = "+14155550101";

/// A flow that greets, then waits in a menu whose `1` leads to a goodbye.
fn menu_line(greeting: &str, bye: &str) -> String {
    format!(
        "numbers: [\"{SALES}\"]\nstart: hi\nsteps:\n  hi:\n    say: \"{greeting}\"\n    next: menu\n  menu:\n    menu:\n      prompt: \"Press 1.\"\n      options: {{ \"1\": bye }}\n  bye:\n    say: \"{bye}\"\n    next: hangup\n"
    )
}

/// Dates the directory and its files an hour back, so the reloader's start-up check (files
/// changed since shortly before the first load) has nothing to catch up on and every reload
/// the test sees is the one it caused.
fn age(dir: &Path) {
    let past = std::time::SystemTime::now() - Duration::from_secs(3600);
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        // Writing a file's times needs it open for writing; a directory's, just open.
        let f = if path.is_dir() {
            std::fs::File::open(&path)
        } else {
            std::fs::File::options().append(true).open(&path)
        };
        f.unwrap().set_modified(past).unwrap();
    }
    std::fs::File::open(dir)
        .unwrap()
        .set_modified(past)
        .unwrap();
}

/// What a new call to `to` hears (empty when the number is rejected).
fn said(s: &TestServer, to: &str) -> Vec<String> {
    texts(s.post("/voice", &incoming(CALLER, to)).twiml(), "Say")
}

fn hears(s: &TestServer, to: &str, text: &str) -> bool {
    said(s, to) == [text]
}

/// A server whose flows directory is watched, once the watcher runs; returns it and the
/// directory's path.
fn watched(dir: FlowDir) -> (TestServer, std::path::PathBuf) {
    let path = dir.path().to_path_buf();
    age(&path);
    let s = TestServer::builder()
        .flows(dir)
        .reload(reload::Options {
            watch: true,
            ..reload::Options::default()
        })
        .start();
    ready(&s);
    (s, path)
}

/// Waits until `/readyz` says the reloader runs (its start-up check done): every change
/// made after this is seen by the watcher or the poller.
fn ready(s: &TestServer) {
    wait_until("the reloader runs", || {
        let r = s.readyz();
        r["reload"]["watch"] == true || !r["reload"]["poll_s"].is_null()
    });
}

/// Writes a file the way editors that "save by rename" do: a temporary file beside it,
/// then a rename over the original (atomic: readers see the old or the new file, whole).
fn save_by_rename(dir: &Path, name: &str, text: &str) {
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, dir.join(name)).unwrap();
}

/// Truncates and rewrites a file in place, in two writes (as a slow editor or `cat >` may).
fn save_in_place(dir: &Path, name: &str, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .create(true)
        .open(dir.join(name))
        .unwrap();
    let (a, b) = text.split_at(text.len() / 2);
    f.write_all(a.as_bytes()).unwrap();
    f.flush().unwrap();
    f.write_all(b.as_bytes()).unwrap();
}

#[test]
fn a_save_by_rename_is_served_by_the_next_call() {
    let (s, dir) = watched(FlowDir::new().file("sales.yaml", &line(SALES, "Version one.")));
    assert_eq!(said(&s, SALES), ["Version one."]);

    save_by_rename(&dir, "sales.yaml", &line(SALES, "Version two."));
    wait_until("the renamed file is served", || {
        hears(&s, SALES, "Version two.")
    });

    // vim's save: probe with `4913`, keep a `~` backup by renaming the original away,
    // write the new file, drop the backup; a `.swp` is written throughout.
    std::fs::write(dir.join(".sales.yaml.swp"), "swap").unwrap();
    std::fs::write(dir.join("4913"), "").unwrap();
    std::fs::remove_file(dir.join("4913")).unwrap();
    std::fs::rename(dir.join("sales.yaml"), dir.join("sales.yaml~")).unwrap();
    std::fs::write(dir.join("sales.yaml"), line(SALES, "Version three.")).unwrap();
    std::fs::remove_file(dir.join("sales.yaml~")).unwrap();
    wait_until("vim's save is served", || {
        hears(&s, SALES, "Version three.")
    });
    let v = s.readyz();
    assert!(v["last_reload_error"].is_null(), "{v}");
    assert_eq!(v["reload"]["watch"], true);
    assert!(v["reload"]["succeeded"].as_u64().unwrap() >= 2, "{v}");

    // Each change was logged as one JSON event naming its trigger.
    let reloaded: Vec<Value> = s
        .logs
        .lines()
        .into_iter()
        .filter(|l| l["message"] == "flows reloaded")
        .collect();
    assert!(reloaded.len() >= 2, "{}", s.logs.text());
    let last = reloaded.last().unwrap();
    assert_eq!(last["trigger"], "watch");
    assert_eq!(last["ok"], true);
    assert_eq!(last["flows"], 1);
    assert!(last["duration_ms"].is_f64(), "{last}");
}

#[test]
fn an_in_place_save_is_served_by_the_next_call() {
    let (s, dir) = watched(FlowDir::new().file("sales.yaml", &line(SALES, "Before.")));
    assert_eq!(said(&s, SALES), ["Before."]);
    save_in_place(&dir, "sales.yaml", &line(SALES, "After the in-place save."));
    wait_until("the rewritten file is served", || {
        hears(&s, SALES, "After the in-place save.")
    });
}

#[test]
fn an_invalid_edit_keeps_the_old_flows_until_it_is_fixed() {
    let (s, dir) = watched(
        FlowDir::new()
            .file("sales.yaml", &line(SALES, "Sales here."))
            .file("support.yaml", &line(SUPPORT, "Support here.")),
    );
    // A typo in a target: the whole set is refused, not just this file.
    let broken = line(SALES, "Broken sales.").replace("next: hangup", "next: hangpu");
    save_by_rename(&dir, "sales.yaml", &broken);
    save_by_rename(&dir, "support.yaml", &line(SUPPORT, "New support."));
    wait_until("/readyz reports the refused reload", || {
        !s.readyz()["reload"]["last_error"].is_null()
    });
    assert_eq!(said(&s, SALES), ["Sales here."]);
    assert_eq!(
        said(&s, SUPPORT),
        ["Support here."],
        "a set is swapped whole"
    );

    let v = s.readyz();
    assert_eq!(v["status"], "ready", "the old flows still serve");
    let reload = &v["reload"];
    assert!(reload["failed"].as_u64().unwrap() >= 1, "{v}");
    let err = &reload["last_error"];
    assert!(err["errors"].as_u64().unwrap() >= 1, "{v}");
    assert!(err["summary"].as_str().unwrap().contains("1 error"), "{v}");
    let d = err["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["severity"] == "error")
        .unwrap_or_else(|| panic!("no error diagnostic in {v}"));
    assert_eq!(d["kind"], "missing-target", "{v}");
    assert!(d["file"].as_str().unwrap().ends_with("sales.yaml"), "{v}");
    assert_eq!(d["line"], 6, "{v}");
    assert!(d["column"].as_u64().unwrap() > 0, "{v}");
    assert!(d["message"].as_str().unwrap().contains("hangpu"), "{v}");
    assert!(!v["last_reload_error"].is_null(), "the older field too");

    // The log has the event and the same rustc-style text as flow-check.
    let logs = s.logs.lines();
    let refused = logs
        .iter()
        .find(|l| l["message"] == "flow reload refused; the previous flows keep serving")
        .unwrap_or_else(|| panic!("no refusal logged:\n{}", s.logs.text()));
    assert_eq!(refused["level"], "ERROR");
    assert_eq!(refused["ok"], false);
    assert_eq!(refused["trigger"], "watch");
    let text = refused["diagnostics"].as_str().unwrap();
    assert!(text.contains("error[missing-target]"), "{text}");
    assert!(text.contains("sales.yaml:6:"), "{text}");

    // The next good save recovers, without a restart.
    save_by_rename(&dir, "sales.yaml", &line(SALES, "Fixed sales."));
    wait_until("the fixed set is served", || {
        hears(&s, SALES, "Fixed sales.")
    });
    assert_eq!(said(&s, SUPPORT), ["New support."]);
    let v = s.readyz();
    assert!(v["reload"]["last_error"].is_null(), "{v}");
    assert!(v["last_reload_error"].is_null(), "{v}");
    let (ok, attempt) = (
        v["reload"]["last_success_at"].as_str().unwrap(),
        v["reload"]["last_attempt_at"].as_str().unwrap(),
    );
    assert_eq!(ok, attempt, "the latest attempt succeeded: {v}");
    assert_eq!(v["flows"], 2);
}

#[test]
fn a_deleted_flow_stops_answering_and_a_new_one_starts() {
    let (s, dir) = watched(
        FlowDir::new()
            .file("sales.yaml", &line(SALES, "Sales here."))
            .file("support.yaml", &line(SUPPORT, "Support here.")),
    );
    std::fs::remove_file(dir.join("support.yaml")).unwrap();
    wait_until("the deleted flow's number is rejected", || {
        let r = s.post("/voice", &incoming(CALLER, SUPPORT));
        r.twiml().contains("<Reject")
    });
    assert_eq!(said(&s, SALES), ["Sales here."]);
    assert_eq!(s.readyz()["flows"], 1);

    // `cp` of a new file into the directory (created, then written).
    let elsewhere = FlowDir::new().file("help.yaml", &line("+14155550102", "Help here."));
    std::fs::copy(elsewhere.path().join("help.yaml"), dir.join("help.yaml")).unwrap();
    wait_until("the new flow answers its number", || {
        hears(&s, "+14155550102", "Help here.")
    });
    // `mv` from elsewhere on the same filesystem: one rename into the directory.
    std::fs::write(dir.join(".staging"), line(SUPPORT, "Support is back.")).unwrap();
    std::fs::rename(dir.join(".staging"), dir.join("support.yml")).unwrap();
    wait_until("the moved-in flow answers", || {
        hears(&s, SUPPORT, "Support is back.")
    });
    assert_eq!(s.readyz()["flows"], 3);
}

#[test]
fn a_burst_of_saves_ends_with_the_last_one_served() {
    let (s, dir) = watched(FlowDir::new().file("sales.yaml", &line(SALES, "Save -1.")));
    let served = |s: &TestServer| -> i64 {
        let said = said(s, SALES);
        let text = said.first().map(String::as_str).unwrap_or("");
        text.strip_prefix("Save ")
            .and_then(|t| t.strip_suffix('.'))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("unexpected answer {said:?}"))
    };
    let writing = AtomicBool::new(true);
    let mut seen = Vec::new();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            // Half in place, half by rename: in-place writes may be caught half-written,
            // which the loader refuses and the old set keeps serving.
            for i in 0..100 {
                let text = line(SALES, &format!("Save {i}."));
                if i % 2 == 0 {
                    save_in_place(&dir, "sales.yaml", &text);
                } else {
                    save_by_rename(&dir, "sales.yaml", &text);
                }
            }
            writing.store(false, Ordering::SeqCst);
        });
        // Sample while the saves land and afterwards, until the last one is served.
        let deadline = Instant::now() + BOUND;
        loop {
            let n = served(&s);
            seen.push(n);
            if n == 99 && !writing.load(Ordering::SeqCst) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "last save never served: {seen:?}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "the served save went backwards: {seen:?}"
    );
    assert!(s.readyz()["reload"]["last_error"].is_null());
}

/// The layout a Kubernetes ConfigMap volume has: the keys in a timestamped directory,
/// `..data` pointing at it, and one symlink per key through `..data`.
#[cfg(unix)]
#[test]
fn a_configmap_update_is_served() {
    use std::os::unix::fs::symlink;

    let flows = FlowDir::new();
    let dir = flows.path().to_path_buf();
    let version = |name: &str, files: &[(&str, String)]| {
        std::fs::create_dir(dir.join(name)).unwrap();
        for (file, text) in files {
            std::fs::write(dir.join(name).join(file), text).unwrap();
        }
    };
    version(
        "..2026_11_26_10_00_00.000000001",
        &[("sales.yaml", line(SALES, "ConfigMap one."))],
    );
    symlink("..2026_11_26_10_00_00.000000001", dir.join("..data")).unwrap();
    symlink("..data/sales.yaml", dir.join("sales.yaml")).unwrap();
    let path = dir.clone();
    let s = TestServer::builder()
        .flows(flows)
        .reload(reload::Options {
            watch: true,
            ..reload::Options::default()
        })
        .start();
    assert_eq!(said(&s, SALES), ["ConfigMap one."]);
    ready(&s);

    // What the kubelet does on an update: write the new version, point `..data_tmp` at it,
    // rename that over `..data` (atomic), link new keys, remove the old version.
    version(
        "..2026_11_26_10_05_00.000000002",
        &[
            ("sales.yaml", line(SALES, "ConfigMap two.")),
            ("support.yaml", line(SUPPORT, "Support from the ConfigMap.")),
        ],
    );
    symlink("..2026_11_26_10_05_00.000000002", path.join("..data_tmp")).unwrap();
    std::fs::rename(path.join("..data_tmp"), path.join("..data")).unwrap();
    symlink("..data/support.yaml", path.join("support.yaml")).unwrap();
    std::fs::remove_dir_all(path.join("..2026_11_26_10_00_00.000000001")).unwrap();

    wait_until("the new ConfigMap version is served", || {
        hears(&s, SALES, "ConfigMap two.") && hears(&s, SUPPORT, "Support from the ConfigMap.")
    });
    assert!(s.readyz()["reload"]["last_error"].is_null());
}

#[test]
fn a_removed_and_recreated_directory_is_watched_again() {
    let (s, dir) = watched(FlowDir::new().file("sales.yaml", &line(SALES, "Original.")));
    std::fs::remove_dir_all(&dir).unwrap();
    wait_until("the refused reload and the lost watch show", || {
        let r = s.readyz()["reload"].clone();
        r["watch"] == false && !r["last_error"].is_null()
    });
    assert_eq!(
        said(&s, SALES),
        ["Original."],
        "the loaded flows keep serving"
    );

    std::fs::create_dir(&dir).unwrap();
    save_by_rename(&dir, "sales.yaml", &line(SALES, "Recreated."));
    wait_until("the recreated directory is served", || {
        hears(&s, SALES, "Recreated.")
    });
    wait_until("the watch is back", || {
        s.readyz()["reload"]["watch"] == true
    });
    // And it is a live watch again, not a one-off reload.
    save_by_rename(&dir, "sales.yaml", &line(SALES, "Edited after."));
    wait_until("an edit in the recreated directory is served", || {
        hears(&s, SALES, "Edited after.")
    });
}

#[test]
fn requests_during_reloads_always_get_a_whole_document() {
    const A: &str = "Version A of the line.";
    const B: &str = "Version B, a little longer, of the line.";
    let (s, dir) = watched(FlowDir::new().file("sales.yaml", &line(SALES, A)));
    let stop = AtomicBool::new(false);
    let answered = AtomicUsize::new(0);
    let (seen_a, seen_b) = (AtomicBool::new(false), AtomicBool::new(false));
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                // Bounded: at most 2,000 requests each, however fast the machine.
                for _ in 0..2_000 {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let r = s.post("/voice", &incoming(CALLER, SALES));
                    assert_eq!(r.status, 200, "{r:?}");
                    assert_eq!(r.header("content-type"), Some("text/xml; charset=utf-8"));
                    let doc = roxmltree::Document::parse(&r.body)
                        .unwrap_or_else(|e| panic!("not XML ({e}): {}", r.body));
                    let says: Vec<&str> = doc
                        .descendants()
                        .filter(|n| n.has_tag_name("Say"))
                        .filter_map(|n| n.text())
                        .collect();
                    match says.as_slice() {
                        [t] if *t == A => seen_a.store(true, Ordering::SeqCst),
                        [t] if *t == B => seen_b.store(true, Ordering::SeqCst),
                        _ => panic!("neither version: {}", r.body),
                    }
                    assert!(r.body.contains("<Hangup"), "{}", r.body);
                    answered.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        // Ten swaps, alternating versions and save styles; each waits until it is served,
        // so every one is a real reload under load.
        for i in 0..10 {
            let (text, expect) = if i % 2 == 0 { (B, B) } else { (A, A) };
            if i % 4 < 2 {
                save_by_rename(&dir, "sales.yaml", &line(SALES, text));
            } else {
                save_in_place(&dir, "sales.yaml", &line(SALES, text));
            }
            wait_until("the swap is served", || hears(&s, SALES, expect));
        }
        stop.store(true, Ordering::SeqCst);
    });
    assert!(seen_a.load(Ordering::SeqCst) && seen_b.load(Ordering::SeqCst));
    assert!(
        answered.load(Ordering::SeqCst) >= 40,
        "too few requests to mean anything"
    );
    let v = s.readyz();
    assert!(v["reload"]["succeeded"].as_u64().unwrap() >= 10, "{v}");
    assert_eq!(v["counters"]["run_failures"], 0);
    assert_eq!(v["counters"]["panics"], 0);
}

#[test]
fn a_call_in_progress_continues_on_the_new_flow() {
    let (s, dir) = watched(FlowDir::new().file("sales.yaml", &menu_line("Hi.", "Old bye.")));
    let xml = s
        .post("/voice", &incoming(CALLER, SALES))
        .twiml()
        .to_owned();
    assert_eq!(texts(&xml, "Say"), ["Hi.", "Press 1."]);
    let menu = attr(&xml, "Gather", "action").unwrap();
    let press_1 = form_body(&[
        ("CallSid", "CA00000000000000000000000000000001"),
        ("From", CALLER),
        ("To", SALES),
        ("CallStatus", "in-progress"),
        ("Digits", "1"),
    ]);

    // The step the call waits in still exists: Twilio's answer is read against the new one.
    save_by_rename(&dir, "sales.yaml", &menu_line("Hello again.", "New bye."));
    wait_until("the new flow is served", || {
        said(&s, SALES).first().map(String::as_str) == Some("Hello again.")
    });
    let r = s.post(&menu, &press_1);
    assert_eq!(texts(r.twiml(), "Say"), ["New bye."]);

    // The step is gone: the call restarts at the flow's start.
    save_by_rename(&dir, "sales.yaml", &line(SALES, "Menu removed."));
    wait_until("the flow without the menu is served", || {
        hears(&s, SALES, "Menu removed.")
    });
    let r = s.post(&menu, &press_1);
    assert_eq!(texts(r.twiml(), "Say"), ["Menu removed."]);
}

#[test]
fn polling_picks_up_changes_without_a_watcher() {
    let flows = FlowDir::new().file("sales.yaml", &line(SALES, "Polled one."));
    let dir = flows.path().to_path_buf();
    let s = TestServer::builder()
        .flows(flows)
        .reload(reload::Options {
            watch: false,
            poll: Some(Duration::from_millis(100)),
            ..reload::Options::default()
        })
        .start();
    ready(&s);
    save_in_place(&dir, "sales.yaml", &line(SALES, "Polled two."));
    wait_until("the poller serves the change", || {
        hears(&s, SALES, "Polled two.")
    });

    // A rewrite the metadata cannot show: same size, same inode, and the modification time
    // put back, as on a filesystem whose clock ticks coarser than the two writes. Only the
    // re-check of a file changed shortly before the last reload reads it.
    let path = dir.join("sales.yaml");
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    save_in_place(&dir, "sales.yaml", &line(SALES, "Polled 3rd."));
    std::fs::File::options()
        .append(true)
        .open(&path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    wait_until("the poller's re-check serves the invisible rewrite", || {
        hears(&s, SALES, "Polled 3rd.")
    });
    let v = s.readyz();
    assert_eq!(v["reload"]["watch"], false);
    assert_eq!(v["reload"]["poll_s"], 0.1);
    let triggers: Vec<Value> = s
        .logs
        .lines()
        .into_iter()
        .filter(|l| l["message"] == "flows reloaded")
        .map(|l| l["trigger"].clone())
        .collect();
    assert!(
        triggers.iter().all(|t| t == "poll" || t == "start"),
        "{triggers:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The binary: watching by default, SIGHUP
// ---------------------------------------------------------------------------------------------

/// What a new call to `to` hears from the running binary.
fn served_by(serve: &ServeProcess, to: &str) -> Vec<String> {
    texts(serve.post("/voice", &incoming(CALLER, to)).twiml(), "Say")
}

#[cfg(unix)]
#[test]
fn serve_watches_the_flows_directory_by_default() {
    let flows = FlowDir::new().file("sales.yaml", &line(SALES, "Binary one."));
    age(flows.path());
    let serve = ServeProcess::start(flows.path(), &[]);
    wait_until("the binary watches", || {
        serve.readyz()["reload"]["watch"] == true
    });
    assert!(serve.readyz()["reload"]["poll_s"].is_null());
    save_by_rename(flows.path(), "sales.yaml", &line(SALES, "Binary two."));
    wait_until("the binary serves the saved file", || {
        served_by(&serve, SALES) == ["Binary two."]
    });
    let event = serve.next_log("flows reloaded");
    assert_eq!(event["trigger"], "watch");
}

#[cfg(unix)]
#[test]
fn serve_with_no_watch_reloads_on_sighup() {
    let flows = FlowDir::new().file("sales.yaml", &line(SALES, "Before the signal."));
    let serve = ServeProcess::start(flows.path(), &["--no-watch"]);
    assert_eq!(serve.readyz()["reload"]["watch"], false);
    save_by_rename(
        flows.path(),
        "sales.yaml",
        &line(SALES, "After the signal."),
    );
    // Not watching: still the old flows (checked once; the signal below is what changes it).
    assert_eq!(served_by(&serve, SALES), ["Before the signal."]);

    serve.signal("HUP");
    let event = serve.next_log("flows reloaded");
    assert_eq!(event["trigger"], "sighup");
    assert_eq!(served_by(&serve, SALES), ["After the signal."]);

    // A second SIGHUP with nothing changed: acknowledged, nothing swapped, still running.
    serve.signal("HUP");
    let event = serve.next_log("flows unchanged");
    assert_eq!(event["trigger"], "sighup");
    assert_eq!(served_by(&serve, SALES), ["After the signal."]);
    let v = serve.readyz();
    assert_eq!(v["reload"]["succeeded"], 2);
    assert_eq!(v["reload"]["unchanged"], 1);
}
