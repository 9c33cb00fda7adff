//! Replay benchmark (not a timed test): how long `switchboard replay --since …` takes over
//! 10,000 recorded calls (issue 12's target: under 5 s on the 2-core machine).
//!
//! ```sh
//! cargo bench --bench replay                       # 10,000 calls, 3 runs
//! cargo bench --bench replay -- --calls 2000 --runs 5
//! ```
//!
//! The store is filled without a server: the simulator plays calls over every branch of
//! `flows/acme.yaml` (VIPs, the menu by key and by speech, busy and unanswered dials,
//! voicemail, the billing ask, callers who hang up), and each webhook becomes the record
//! the server's handler would have kept (`tools::replay::simulated_records`), written in
//! batches through `Database::write` with the flow set version stored as the server does.
//! Then the release binary replays the whole window against `flows/` (the candidate) and
//! against the recorded flows, and the replay core alone runs in process over the same
//! calls. The numbers are recorded in BENCHMARKS.md ("Replay").

// A benchmark program: it prints its report, and a failed setup may stop it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

#[path = "support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use switchboard::calls::{Database, DatabaseUrl, FlowSetVersion, Record};
use switchboard::engine::Config;
use switchboard::flow::FlowSet;
use switchboard::tools::replay::{Flows, RecordedCall, When, replay, simulated_records};
use switchboard::tools::simulate::{Call, DialStatus, Scripted};

/// The version the records name (any 12 hex digits: the benchmark stores the set under it).
const VERSION: &str = "be4c40000000";

/// One kind of call: caller, New York time (Monday 2026-11-30), dial outcomes, replies,
/// whether the caller hangs up when the replies run out.
type Kind = (
    &'static str,
    &'static str,
    &'static [DialStatus],
    &'static [&'static str],
    bool,
);

const KINDS: &[Kind] = &[
    ("+12025550143", "10:00", &[], &[], false),
    (
        "+12025550188",
        "10:00",
        &[DialStatus::Busy, DialStatus::Completed],
        &["1"],
        false,
    ),
    ("+12025550100", "10:00", &[], &["1"], false),
    ("+12025550101", "16:00", &[], &["Sales, please."], false),
    (
        "+12025550102",
        "14:00",
        &[DialStatus::NoAnswer],
        &["2"],
        false,
    ),
    ("+12025550103", "10:00", &[], &["3", "123456#"], false),
    ("+12025550104", "10:00", &[], &["3", "12#", "99#"], false),
    ("+12025550105", "10:00", &[], &["7", "", "1"], false),
    ("+12025550106", "10:00", &[], &[], true),
    ("+12025550107", "20:00", &[], &[], false),
    ("+12025550108", "12:30", &[], &[], false),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let calls: usize = support::arg_or(&args, "--calls", 10_000);
    let runs: usize = support::arg_or(&args, "--runs", 3).max(1);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let flows = root.join("flows");
    let set = load(&flows);
    let dir = tempfile::tempdir().expect("temporary directory");
    let db_path = dir.path().join("calls.db");
    let url = format!("sqlite:{}", db_path.display());

    let started = Instant::now();
    let (recorded, webhooks) = fill(&url, &set, &flows, calls);
    println!(
        "replay benchmark: {calls} calls ({webhooks} webhooks) recorded in {:.1} s, {:.1} MB of SQLite",
        started.elapsed().as_secs_f64(),
        std::fs::metadata(&db_path).map_or(0.0, |m| m.len() as f64 / 1e6)
    );

    // The replay core alone, in process, over the same calls.
    let mut core = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let mut same = 0;
        for c in &recorded {
            same += usize::from(!replay(c, Flows::Candidate(&set), When::Recorded).changed());
        }
        core.push(t.elapsed().as_secs_f64());
        assert_eq!(same, recorded.len(), "the recorded flows change nothing");
    }

    let bin = env!("CARGO_BIN_EXE_switchboard");
    let mut timings = Vec::new();
    for against in [flows.display().to_string(), "recorded".to_string()] {
        let mut secs = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let out = Command::new(bin)
                .args([
                    "replay", "--since", "30d", "--format", "json", "--flows", &against,
                ])
                .args(["--database", &url])
                .output()
                .expect("run switchboard replay");
            secs.push(t.elapsed().as_secs_f64());
            let report: serde_json::Value = serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
            assert_eq!(report["calls"], calls, "{report}");
            assert_eq!(report["same"], calls, "{report}");
        }
        timings.push((against, secs));
    }

    println!("\n| what | calls | median | runs |\n|---|---|---|---|");
    println!(
        "| replay core in process (engine only) | {calls} | {:.2} s | {} |",
        median(&mut core),
        runs
    );
    for (against, mut secs) in timings {
        let name = if against == "recorded" {
            "`switchboard replay --flows recorded` (SQLite read, versions from the store)"
        } else {
            "`switchboard replay --flows flows/` (SQLite read + replay + report)"
        };
        println!("| {name} | {calls} | {:.2} s | {runs} |", median(&mut secs));
    }
}

fn load(dir: &std::path::Path) -> FlowSet {
    match switchboard::flow::load_dir(dir)
        .expect("read flows/")
        .into_servable()
    {
        Ok(set) => set,
        Err(l) => panic!("{}", l.render_diagnostics()),
    }
}

/// Records `calls` simulated calls into the database at `url` (and the flow set under
/// [`VERSION`]); returns them as replay reads them, and the number of webhooks.
fn fill(
    url: &str,
    set: &FlowSet,
    flows: &std::path::Path,
    calls: usize,
) -> (Vec<RecordedCall>, usize) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url: DatabaseUrl = url.parse().unwrap();
    let db: Database = rt.block_on(Database::open(&url)).unwrap().unwrap();
    let files = ["acme.yaml", "_shared.yaml"]
        .iter()
        .map(|n| {
            let text = std::fs::read_to_string(flows.join(n)).unwrap();
            ((*n).to_string(), Arc::<str>::from(text))
        })
        .collect();
    let version = FlowSetVersion {
        version: VERSION.into(),
        digest: format!("{VERSION}{}", "0".repeat(52)),
        served_at: jiff::Timestamp::now().as_microsecond(),
        files,
    };
    rt.block_on(db.keep_flow_set(Arc::new(version))).unwrap();
    let cfg = Config {
        base_url: "https://ivr.example.com".into(),
        ..Config::default()
    };
    let now = jiff::Timestamp::now().as_microsecond();
    let mut recorded = Vec::with_capacity(calls);
    let mut batch: Vec<Record> = Vec::new();
    let mut webhooks = 0;
    for i in 0..calls {
        let (from, at, dial, replies, hang_up) = KINDS[i % KINDS.len()];
        let at: jiff::Timestamp = format!("2026-11-30T{at}:00-05:00").parse().unwrap();
        let mut call = Call::new(
            "+14155550100",
            at + jiff::SignedDuration::from_secs(i as i64),
        );
        call.from = format!("{from}{}", i / KINDS.len());
        // VIPs are recognised by their exact number.
        if from.ends_with("43") || from.ends_with("88") {
            call.from = from.to_string();
        }
        call.dial = dial.to_vec();
        let mut script = Scripted::new(replies.iter().map(|r| r.to_string())).hanging_up(hang_up);
        // Spread over the last day, newest last, a millisecond apart at least.
        let arrived = now - (calls - i) as i64 * 8_000;
        let records = simulated_records(set, &cfg, &call, &mut script, VERSION, arrived);
        webhooks += records.len();
        recorded.push(RecordedCall::from_records(
            &records[0].call_sid,
            records.clone(),
        ));
        batch.extend(records);
        if batch.len() >= 2_000 {
            rt.block_on(db.write(Arc::new(std::mem::take(&mut batch))))
                .unwrap();
        }
    }
    rt.block_on(db.write(Arc::new(batch))).unwrap();
    (recorded, webhooks)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
