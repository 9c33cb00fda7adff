//! Call records: whole calls through the real server (`e2e`), faults (`faults`), and
//! read back: `switchboard calls`, `calls show`, `recordings` (`read`) and the
//! HTTP API (`api`), over a SQLite database filled here with records built from Twilio's
//! own webhook parameters (`../shared/fixtures/webhooks/`); the PostgreSQL backend on a
//! throwaway server (`postgres`, `harness::postgres`): the backend contract, concurrent
//! writers, racing migrations and three replicas sharing one database.

mod api;
mod e2e;
mod faults;
mod metrics;
mod notify;
mod postgres;
mod read;
mod replay;
pub(crate) mod support;
mod versions;

use std::path::Path;
use std::sync::Arc;

use switchboard::calls::record::Answered;
use switchboard::calls::{Arrival, Database, DatabaseUrl, Record};
use switchboard::engine::Event;
use switchboard::form::{self, Params};

use super::harness::root;

/// The interpreter settings a server runs with by default.
static ENGINE_DEFAULTS: std::sync::LazyLock<switchboard::engine::Config> =
    std::sync::LazyLock::new(Default::default);

/// The fixtures' call (every fixture belongs to it).
pub const SID: &str = "CAeb235b73b619126b4828311b926f50d4";
/// The leg the fixtures' dial placed.
pub const CHILD: &str = "CA451c1f0280de01dcdfd95d195cfb33df";
/// The fixtures' recording.
pub const RECORDING: &str = "REf080747abb7fe7b81a6b958e69ecff7b";
/// Calls besides the fixtures' (all from [`OTHER_CALLER`]).
pub const OTHERS: usize = 7;
/// Who the other calls are from.
pub const OTHER_CALLER: &str = "+14155550142";

/// A webhook fixture's parameters.
pub fn fixture(name: &str) -> Params {
    let path = root().join(format!("../shared/fixtures/webhooks/{name}.form"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    form::parse_params(text.trim().as_bytes()).unwrap()
}

/// `p` with `changes` applied (a value replaced, or added).
fn with(p: &Params, changes: &[(&str, &str)]) -> Params {
    let mut out = Params::default();
    for (k, v) in p.pairs() {
        let v = changes.iter().find(|(n, _)| *n == k).map_or(v, |(_, v)| *v);
        out.push(k, v);
    }
    for (k, v) in changes {
        if p.get(k).is_none() {
            out.push(k, v);
        }
    }
    out
}

fn enter(step: &str, kind: &'static str) -> Event {
    Event::Enter {
        flow: "acme".into(),
        step: step.into(),
        kind,
    }
}

fn webhook(p: &Params, at: i64, endpoint: &'static str, trace: Vec<Event>) -> Record {
    let resumed = (endpoint == "continue").then(|| "acme/menu".to_string());
    Record::webhook(
        p,
        Arrival { at, replica: "r1" },
        Answered {
            endpoint,
            resumed,
            idempotency_token: None,
            signature: None,
            url: "https://ivr.example.com/voice",
            now: at,
            latency_us: 900,
            flow: Some("acme".into()),
            flow_version: "0123456789ab".into(),
            failed: false,
            trace,
            twiml: b"<Response><Hangup/></Response>",
            engine: &ENGINE_DEFAULTS,
            notices: &[],
            secrets: &[],
        },
    )
    .unwrap()
}

/// One whole call from the fixtures (incoming → menu → dial → record, its status,
/// recording and transcription callbacks, and the dialed leg's status), `t0` on.
fn the_call(t0: i64) -> Vec<Record> {
    let s = |n: i64| t0 + n * 1_000_000;
    let here = |n: i64| Arrival {
        at: s(n),
        replica: "r2",
    };
    let child_status = with(
        &fixture("status-completed"),
        &[
            ("CallSid", CHILD),
            ("ParentCallSid", SID),
            ("Direction", "outbound-dial"),
            ("To", "+14155550199"),
            ("CallDuration", "187"),
        ],
    );
    vec![
        webhook(
            &fixture("incoming-call"),
            s(0),
            "voice",
            vec![
                enter("menu", "menu"),
                Event::Wait {
                    step: "menu".into(),
                    what: "input",
                },
            ],
        ),
        webhook(
            &fixture("gather-digits"),
            s(4),
            "continue",
            vec![
                Event::Input {
                    step: "menu".into(),
                    heard: "2".into(),
                    outcome: "option billing".into(),
                },
                enter("billing_dial", "dial"),
            ],
        ),
        webhook(
            &fixture("dial-completed"),
            s(190),
            "continue",
            vec![enter("voicemail", "record")],
        ),
        webhook(
            &fixture("record-action"),
            s(215),
            "continue",
            vec![Event::Hangup],
        ),
        Record::status(&child_status, here(191)).unwrap(),
        Record::status(&fixture("status-completed"), here(216)).unwrap(),
        Record::recording(&fixture("recording-completed"), here(217)).unwrap(),
        Record::transcription(&fixture("transcription-completed"), here(230)).unwrap(),
    ]
}

/// [`OTHERS`] short calls that were not answered, a minute apart before `t0`.
fn other_calls(t0: i64) -> Vec<Record> {
    (0..OTHERS)
        .map(|n| {
            let sid = format!("CA{:032x}", n + 1);
            let at = t0 - (n as i64 + 1) * 60_000_000;
            let p = with(
                &fixture("status-completed"),
                &[
                    ("CallSid", &sid),
                    ("From", OTHER_CALLER),
                    ("CallStatus", "no-answer"),
                ],
            );
            Record::status(&p, Arrival { at, replica: "r1" }).unwrap()
        })
        .collect()
}

/// Fills a new SQLite database at `path`: the fixtures' call `t0` on and [`OTHERS`] calls
/// before it. Drop the handle to close it, as when `serve` stops.
pub fn fill(path: &Path, t0: i64) -> Database {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let db = Database::open(&DatabaseUrl::Sqlite(path.to_path_buf()))
            .await
            .unwrap()
            .unwrap();
        let mut records = the_call(t0);
        records.extend(other_calls(t0));
        let n = records.len();
        assert_eq!(db.write(Arc::new(records)).await.unwrap(), n);
        db
    })
}

/// Half an hour ago, in microseconds since the epoch.
pub fn half_an_hour_ago() -> i64 {
    jiff::Timestamp::now().as_microsecond() - 1_800_000_000
}
