//! What is acknowledged is never lost: SIGKILL after acknowledged callbacks; the database
//! read-only, full or deleted under a running server. Webhooks keep being answered, the
//! fault shows in `/readyz`, and the records are complete once it clears, with no restart.
//!
//! The disk-full test mounts a small tmpfs for the database (root only); elsewhere it says
//! loudly that it skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::support::*;
use crate::harness::binary::ServeProcess;
use crate::harness::{FlowDir, wait_until};

fn start(flows: &FlowDir, db_dir: &Path, spool: &Path, extra: &[&str]) -> ServeProcess {
    let mut args = vec![
        "--database".to_string(),
        format!("sqlite:{}", db_dir.join("calls.db").display()),
        "--spool".into(),
        spool.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ServeProcess::start(flows.path(), &args)
}

/// Sends a final status callback for calls `range`; each must be acknowledged.
pub(super) fn send_finals(serve: &ServeProcess, range: std::ops::Range<u32>) {
    for n in range {
        let call = sid(n);
        let mut p = call_params(&call, "completed");
        p.extend([("SequenceNumber", "3"), ("CallDuration", "5")]);
        let r = serve.post("/status", &form(&p));
        assert_eq!(r.status, 204, "call {n}: {}", r.body);
    }
}

pub(super) fn all_completed(db_url: &str, range: std::ops::Range<u32>) {
    let db = open(db_url);
    for n in range {
        let story = wait_for_story(&db, &sid(n), |s| s.call.status == "completed");
        assert_eq!(story.call.duration, Some(5));
    }
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite:{}", dir.join("calls.db").display())
}

#[cfg(unix)]
#[test]
fn sigkill_after_acknowledged_callbacks_loses_none() {
    let flows = FlowDir::new().file("acme.yaml", FLOW);
    let data = tempfile::tempdir().unwrap();
    let spool = data.path().join("spool");
    let serve = start(&flows, data.path(), &spool, &[]);
    send_finals(&serve, 0..60);
    serve.signal("KILL");
    drop(serve);
    let again = start(&flows, data.path(), &spool, &[]);
    all_completed(&sqlite_url(data.path()), 0..60);
    drop(again);
}

/// A tmpfs of `size` mounted for the test; unmounted when dropped.
struct Mount {
    /// The mount point.
    path: PathBuf,
    /// Keeps the directory alive.
    _dir: tempfile::TempDir,
}

impl Mount {
    fn tmpfs(size: &str) -> Option<Mount> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m");
        std::fs::create_dir(&path).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("SKIPPED: cannot mount a tmpfs here (needs root); the fault is not tested");
            return None;
        }
        Some(Mount { path, _dir: dir })
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

/// Spooled while the fault lasts, visible in `/readyz`, complete after it clears.
fn fault_then_clear(db_dir: &Path, fault: impl FnOnce(), clear: impl FnOnce(), extra: &[&str]) {
    let flows = FlowDir::new().file("acme.yaml", FLOW);
    let spool_dir = tempfile::tempdir().unwrap();
    let spool = spool_dir.path().join("spool");
    let serve = start(&flows, db_dir, &spool, extra);
    send_finals(&serve, 0..5);
    fault();
    // Calls are still answered; callbacks still acknowledged (spooled).
    let r = serve.post("/voice", &form(&call_params(&sid(100), "ringing")));
    assert_eq!(r.status, 200);
    assert!(r.twiml().contains("<Gather"), "{}", r.body);
    send_finals(&serve, 5..40);
    wait_until("readyz shows the fault", || {
        serve.readyz()["records"]["status"] == "degraded"
    });
    let ready = serve.readyz();
    assert!(
        ready["records"]["spool_bytes"].as_u64().unwrap() > 0,
        "{ready}"
    );
    assert!(ready["records"]["last_error"].is_string(), "{ready}");
    clear();
    wait_until("the spool drains", || {
        let r = serve.readyz()["records"].clone();
        r["status"] == "ok" && r["spool_bytes"] == 0
    });
    all_completed(&sqlite_url(db_dir), 0..40);
    // The webhook sent during the fault is there too.
    let db = open(&sqlite_url(db_dir));
    wait_for_story(&db, &sid(100), |s| s.call.webhooks == 1);
    drop(serve);
}

/// A database file made read-only (by an operator, for a backup) is not written, even
/// though the open handle could; writes resume once it is writable again.
#[cfg(unix)]
#[test]
fn a_read_only_database_spools_and_recovers_without_restart() {
    use std::os::unix::fs::PermissionsExt;
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("calls.db");
    let mode = |m: u32| {
        let file = file.clone();
        move || std::fs::set_permissions(&file, std::fs::Permissions::from_mode(m)).unwrap()
    };
    fault_then_clear(data.path(), mode(0o444), mode(0o644), &[]);
}

#[test]
fn a_full_disk_spools_and_recovers_without_restart() {
    let Some(mount) = Mount::tmpfs("4m") else {
        return;
    };
    let ballast = mount.path.join("ballast");
    fault_then_clear(
        &mount.path,
        || {
            // Fill the disk to the last block.
            let _ = Command::new("dd")
                .args(["if=/dev/zero", "bs=64k"])
                .arg(format!("of={}", ballast.display()))
                .stderr(std::process::Stdio::null())
                .status();
        },
        || std::fs::remove_file(&ballast).unwrap(),
        &["--commit-timeout", "1s"],
    );
}

#[test]
fn a_deleted_database_file_is_restored_with_everything_in_it() {
    let flows = FlowDir::new().file("acme.yaml", FLOW);
    let data = tempfile::tempdir().unwrap();
    let spool = data.path().join("spool");
    let serve = start(&flows, data.path(), &spool, &[]);
    send_finals(&serve, 0..10);
    std::fs::remove_file(data.path().join("calls.db")).unwrap();
    send_finals(&serve, 10..20);
    all_completed(&sqlite_url(data.path()), 0..20);
    let ready = serve.readyz();
    assert_eq!(ready["records"]["status"], "ok", "{ready}");
    // And it survives a restart: it is a real file now, not the deleted one.
    drop(serve);
    let _again = start(&flows, data.path(), &spool, &[]);
    all_completed(&sqlite_url(data.path()), 0..20);
}

/// Callbacks acknowledged from the spool (the database refused them) survive a SIGKILL:
/// the next start replays them.
#[cfg(unix)]
#[test]
fn sigkill_with_records_in_the_spool_loses_none() {
    use std::os::unix::fs::PermissionsExt;
    let flows = FlowDir::new().file("acme.yaml", FLOW);
    let data = tempfile::tempdir().unwrap();
    let spool = data.path().join("spool");
    let file = data.path().join("calls.db");
    let serve = start(&flows, data.path(), &spool, &[]);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
    send_finals(&serve, 0..30);
    assert!(serve.readyz()["records"]["spooled"].as_u64().unwrap() >= 30);
    serve.signal("KILL");
    drop(serve);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let _again = start(&flows, data.path(), &spool, &[]);
    all_completed(&sqlite_url(data.path()), 0..30);
}
