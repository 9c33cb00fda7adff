//! Flow files that cannot be read, files caught half-written, and reloads refused for a
//! reason that passes (issue 10, defects 1, 5 and 6).

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard::diag::Kind;
use switchboard::flow;
use switchboard::http::{FlowStore, StoreError, reload};

use crate::harness::{BOUND, FlowDir, binary, line, wait_until};

/// The ways a flow-file name can fail to be a readable file, made in `dir`; each returns
/// the name it made.
#[cfg(unix)]
fn unreadable_entries(dir: &Path) -> Vec<&'static str> {
    use std::os::unix::fs::symlink;
    symlink(dir.join("gone.txt"), dir.join("dangling.yaml")).unwrap();
    symlink(dir.join("loop.yaml"), dir.join("loop.yaml")).unwrap();
    std::fs::create_dir(dir.join("directory.yaml")).unwrap();
    let mut made = vec!["dangling.yaml", "loop.yaml", "directory.yaml"];
    if mkfifo(&dir.join("fifo.yaml")) {
        made.push("fifo.yaml");
    }
    made
}

/// Makes a FIFO with mkfifo(1); false when the tool is missing.
fn mkfifo(path: &Path) -> bool {
    std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(unix)]
#[test]
fn a_flow_file_that_cannot_be_read_is_an_io_error_not_skipped() {
    let mut cases = 0;
    for bad in ["dangling.yaml", "loop.yaml", "directory.yaml", "fifo.yaml"] {
        let dir = FlowDir::new().file("acme.yaml", &line("+14155550100", "Hi."));
        let made = unreadable_entries(dir.path());
        if !made.contains(&bad) {
            continue; // no mkfifo here
        }
        for other in made.iter().filter(|m| **m != bad) {
            let p = dir.path().join(other);
            let _ = std::fs::remove_file(&p).or_else(|_| std::fs::remove_dir(&p));
        }
        let loaded = flow::load_dir(dir.path()).unwrap();
        assert!(!loaded.is_ok(), "{bad}: loaded as if it were not there");
        let io: Vec<_> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.kind == Kind::Io)
            .collect();
        assert_eq!(io.len(), 1, "{bad}: {:?}", loaded.diagnostics);
        assert!(io[0].loc.file.ends_with(bad), "{bad}: {:?}", io[0].loc);
        // The server refuses to start on it ...
        assert!(matches!(
            FlowStore::open(dir.path()),
            Err(StoreError::Invalid(_))
        ));
        // ... and flow-check says so, with exit code 1.
        let (code, stdout, stderr) = binary::Switchboard::new("flow-check")
            .arg(dir.path())
            .run()
            .parts();
        assert_eq!(code, 1, "{bad}: {stdout}{stderr}");
        assert!(stdout.contains("error[io]"), "{bad}: {stdout}");
        assert!(stdout.contains(bad), "{bad}: {stdout}");
        cases += 1;
    }
    assert!(cases >= 3, "ran {cases} cases");
}

#[cfg(unix)]
#[test]
fn a_reload_that_meets_a_broken_symlink_is_refused_and_the_flows_keep_serving() {
    let dir = FlowDir::new().file("acme.yaml", &line("+14155550100", "Hi."));
    let (store, _) = FlowStore::open(dir.path()).unwrap();
    // A deploy that swaps in a symlink to a release that is not there.
    std::fs::remove_file(dir.path().join("acme.yaml")).unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("release/acme.yaml"),
        dir.path().join("acme.yaml"),
    )
    .unwrap();
    let err = store.reload().unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert_eq!(store.current().flows, 1, "the old flows keep serving");
    let failure = store
        .last_failure()
        .expect("the refusal is recorded for /readyz");
    assert!(failure.items.iter().any(|d| d.kind == Kind::Io));
}

#[cfg(unix)]
#[test]
fn flow_check_given_a_fifo_by_name_does_not_hang() {
    let dir = FlowDir::new();
    let fifo = dir.path().join("acme.yaml");
    if !mkfifo(&fifo) {
        eprintln!("SKIPPED: mkfifo is not available");
        return;
    }
    let mut child = binary::command()
        .arg("flow-check")
        .arg(&fifo)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + BOUND;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("flow-check hung on a FIFO");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(1));
}

/// The full flow: two steps. Its first four lines alone are a valid one-step flow.
const FULL: &str = "numbers: [\"+14155550100\"]\nstart: hi\nsteps:\n  hi:\n    say: \"Hello.\"\n    next: bye\n  bye:\n    say: \"Goodbye.\"\n";

/// Rewrites `acme.yaml` in place the slow way (truncate, write a valid prefix, pause, write
/// the rest) while `reload` runs during the pause; returns how many steps were served.
fn in_place_write_during_reload(settle: Duration) -> usize {
    let dir = FlowDir::new().file("acme.yaml", &line("+14155550100", "Old."));
    let (store, _) = FlowStore::open(dir.path()).unwrap();
    let store = store.settle(settle);
    let cut = FULL.find("    next: bye").unwrap();
    assert!(flow::load_texts(vec![("acme.yaml".into(), FULL[..cut].into())]).is_ok());
    let path = dir.path().join("acme.yaml");
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(&FULL.as_bytes()[..cut]).unwrap();
    f.flush().unwrap();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(60));
        f.write_all(&FULL.as_bytes()[cut..]).unwrap();
    });
    // Caught mid-write: the prefix is on disk now.
    let _ = store.reload();
    writer.join().unwrap();
    store.current().steps
}

#[test]
fn a_file_written_in_place_is_never_served_half_written() {
    // Without settling, the reload serves the valid prefix: the defect, reproduced.
    assert_eq!(in_place_write_during_reload(Duration::ZERO), 1);
    // With it, the reload waits for the file to hold still and serves the whole of it.
    assert_eq!(in_place_write_during_reload(Duration::from_millis(150)), 2);
}

#[test]
fn files_that_never_hold_still_are_refused_not_served() {
    let dir = FlowDir::new().file("acme.yaml", &line("+14155550100", "v000000"));
    let (store, _) = FlowStore::open(dir.path()).unwrap();
    let store = Arc::new(store.settle(Duration::from_millis(20)));
    let path = dir.path().join("acme.yaml");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            // Overwritten in place at the same length, never truncated: every read finds a
            // whole, valid file, but never the same one twice.
            let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && n < 100_000 {
                n += 1;
                let text = line("+14155550100", &format!("v{n:06}"));
                std::io::Seek::rewind(&mut f).unwrap();
                f.write_all(text.as_bytes()).unwrap();
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    let result = store.reload();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    match result {
        Err(e @ StoreError::Unsettled { .. }) => assert!(e.is_transient()),
        // A writer paused by the scheduler for the whole settle time lets two reads agree;
        // what is served is then a whole file all the same.
        Ok(_) => assert_eq!(store.current().steps, 1),
        Err(e) => panic!("{e}"),
    }
}

#[cfg(unix)]
#[test]
fn a_reload_refused_for_a_reason_that_passes_is_retried_until_it_loads() {
    let dir = FlowDir::new().file("acme.yaml", &line("+14155550100", "Hi."));
    let (store, _) = FlowStore::open(dir.path()).unwrap();
    let store = Arc::new(store);
    // No watcher, no poller: only the retry can pick the fix up.
    let reloader = reload::Reloader::start(store.clone(), &reload::Options::default());
    std::os::unix::fs::symlink(dir.path().join("next.txt"), dir.path().join("beta.yaml")).unwrap();
    reloader.handle().request(reload::Trigger::Sighup);
    wait_until("the reload is refused", || store.last_failure().is_some());
    assert_eq!(store.current().flows, 1);
    // The missing file appears (a slow volume mount, descriptors freed): nobody saves a
    // flow file, nobody sends SIGHUP.
    std::fs::write(dir.path().join("next.txt"), line("+14155550101", "Beta.")).unwrap();
    wait_until("the retry loads the new file", || {
        store.current().flows == 2 && store.last_failure().is_none()
    });
    assert!(store.history().failed >= 1);
}
