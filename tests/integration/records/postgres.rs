//! The PostgreSQL backend on a real server: the same contract SQLite keeps, writers on
//! separate connections (as separate replicas) converging on one summary, migrations racing,
//! the pool getting over a server restart, and three `switchboard serve` replicas sharing
//! one database. The tests share one server (each in its own
//! database) except the one that stops it, and skip loudly when PostgreSQL is not installed.

use std::sync::Arc;

use switchboard::calls::record::{Answered, Arrival};
use switchboard::calls::{Database, DatabaseUrl, Record, conformance, summarize};
use switchboard::engine::Event;
use switchboard::form::Params;

use super::support::{self, FLOW, callbacks, play_voicemail_call_across, sid};
use crate::harness::FlowDir;
use crate::harness::binary::ServeProcess;
use crate::harness::postgres::PgServer;
use crate::harness::rng::Rng;

/// The interpreter settings a server runs with by default.
static ENGINE_DEFAULTS: std::sync::LazyLock<switchboard::engine::Config> =
    std::sync::LazyLock::new(Default::default);

async fn open(url: &str) -> Database {
    let url: DatabaseUrl = url.parse().unwrap();
    Database::open(&url)
        .await
        .unwrap_or_else(|e| panic!("open {url}: {e}"))
        .expect("a postgres URL opens a database")
}

fn params(pairs: &[(&str, &str)]) -> Params {
    let mut p = Params::default();
    for (k, v) in pairs {
        p.push(k, v);
    }
    p
}

const CALL: &str = "CA0000000000000000000000000000c0de";

/// One whole call as Twilio reports it: three webhooks walking `menu > sales > voicemail`,
/// status callbacks up to `completed`, a recording's callbacks and its transcription.
fn whole_call(call: &str) -> Vec<Record> {
    let leg = [
        ("CallSid", call),
        ("AccountSid", "AC00000000000000000000000000000001"),
        ("From", "+14155550142"),
        ("To", "+14155550100"),
        ("Direction", "inbound"),
    ];
    let with = |extra: &[(&str, &str)]| {
        let mut all = leg.to_vec();
        all.extend_from_slice(extra);
        params(&all)
    };
    let arrival = |at: i64| Arrival { at, replica: "r" };
    // The recording and transcription are the call's own (their keys hold their sids).
    let recording = format!("RE{}", &call[2..]);
    let transcription = format!("TR{}", &call[2..]);
    let mut out = Vec::new();
    for (i, step) in ["menu", "sales", "voicemail"].iter().enumerate() {
        let at = 1_000 + 10 * i as i64;
        let url = format!("https://sb.example/voice/main/{step}");
        let p = with(&[("Digits", &i.to_string())]);
        let answered = Answered {
            endpoint: if i == 0 { "voice" } else { "continue" },
            resumed: (i > 0).then(|| format!("main/{step}")),
            idempotency_token: None,
            signature: None,
            url: &url,
            now: at,
            latency_us: 100,
            flow: Some("main".into()),
            flow_version: "v1".into(),
            failed: false,
            trace: vec![Event::Enter {
                flow: "main".into(),
                step: (*step).into(),
                kind: "say",
            }],
            twiml: b"<Response><Hangup/></Response>",
            engine: &ENGINE_DEFAULTS,
            notices: &[],
            secrets: &[],
        };
        out.push(Record::webhook(&p, arrival(at), answered).unwrap());
    }
    for (seq, status) in ["initiated", "ringing", "in-progress", "completed"]
        .iter()
        .enumerate()
    {
        let seq = seq.to_string();
        let mut extra = vec![("CallStatus", *status), ("SequenceNumber", seq.as_str())];
        if *status == "completed" {
            extra.push(("CallDuration", "42"));
        }
        out.push(
            Record::status(
                &with(&extra),
                arrival(990 + 20 * i64::from(seq.parse::<u8>().unwrap())),
            )
            .unwrap(),
        );
    }
    for status in ["in-progress", "completed"] {
        let p = with(&[
            ("RecordingSid", &recording),
            ("RecordingStatus", status),
            ("RecordingUrl", "https://api.twilio.com/rec/REaa"),
            ("RecordingDuration", "12"),
        ]);
        out.push(Record::recording(&p, arrival(1_050)).unwrap());
    }
    let p = with(&[
        ("TranscriptionSid", &transcription),
        ("TranscriptionStatus", "completed"),
        ("TranscriptionText", "call me back"),
        ("RecordingSid", &recording),
    ]);
    out.push(Record::transcription(&p, arrival(1_090)).unwrap());
    out
}

#[tokio::test]
async fn postgres_keeps_the_store_contract() {
    let Some(pg) = PgServer::shared() else { return };
    let db = open(&pg.database("contract").await).await;
    assert_eq!(conformance::run_all(&db).await, 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_writing_the_same_calls_at_once_converge() {
    let Some(pg) = PgServer::shared() else { return };
    let url = pg.database("converge").await;
    const WRITERS: usize = 4;
    let calls: Vec<String> = (0..8).map(|n| format!("CA{:032x}", 0xc0de + n)).collect();
    let per_call: Vec<Vec<Record>> = calls.iter().map(|c| whole_call(c)).collect();
    let total: usize = per_call.iter().map(Vec::len).sum();
    assert_eq!(total, 80);
    let rounds = per_call[0].len().div_ceil(WRITERS);
    // Every writer (a replica of its own, with its own pool) starts each round together
    // with the others.
    let barrier = Arc::new(tokio::sync::Barrier::new(WRITERS));
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let db = open(&url).await;
        let mut rng = Rng::new(0x5eed + w as u64);
        // Round r: record r * WRITERS + w of every call, new and different from the other
        // writers' (so they race to fold the same calls), with records stored in earlier
        // rounds again; shuffled. A last round sends everything again.
        let mut batches = Vec::new();
        for r in 0..rounds {
            let mut batch = Vec::new();
            for records in &per_call {
                batch.extend(records.get(r * WRITERS + w).cloned());
                let stored = r * WRITERS;
                if stored > 0 {
                    batch.push(records[rng.below(stored as u64) as usize].clone());
                }
            }
            rng.shuffle(&mut batch);
            batches.push(batch);
        }
        let mut again: Vec<Record> = per_call.concat();
        rng.shuffle(&mut again);
        batches.push(again);
        let barrier = Arc::clone(&barrier);
        tasks.push(tokio::spawn(async move {
            let mut new = 0;
            for b in batches {
                barrier.wait().await;
                new += db.write(Arc::new(b)).await.unwrap();
            }
            new
        }));
    }
    let mut stored = 0;
    for t in tasks {
        stored += t.await.unwrap();
    }
    assert_eq!(
        stored, total,
        "each record is new exactly once across writers"
    );
    let reader = open(&url).await;
    for (call, records) in calls.iter().zip(&per_call) {
        let (want, want_recordings) = summarize(call, records);
        assert_eq!(want.status, "completed");
        assert_eq!(want.path, "menu > sales > voicemail");
        let story = reader
            .story(call)
            .await
            .unwrap()
            .expect("the call is there");
        assert_eq!(story.call, want, "{call}: the summary folds every record");
        assert_eq!(story.records.len(), records.len());
        assert_eq!(story.recordings, want_recordings);
        assert_eq!(
            story.recordings[0].transcript.as_deref(),
            Some("call me back")
        );
    }
    let all = reader
        .calls(switchboard::calls::Filter::default())
        .await
        .unwrap();
    assert_eq!(all.items.len(), 8, "one row per call");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn replicas_starting_together_migrate_once() {
    let Some(pg) = PgServer::shared() else { return };
    let url = pg.database("migrate").await;
    let opens: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { open(&url).await })
        })
        .collect();
    let mut dbs = Vec::new();
    for o in opens {
        dbs.push(o.await.unwrap());
    }
    for db in &dbs {
        db.ping().await.unwrap();
    }
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let versions: Vec<i64> = client
        .query("SELECT version FROM schema_version ORDER BY version", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let expected: Vec<i64> = (1..=versions.len() as i64).collect();
    assert!(!versions.is_empty());
    assert_eq!(versions, expected, "each migration recorded once");
}

#[tokio::test]
async fn the_pool_gets_over_a_server_restart_and_errors_say_why_without_the_password() {
    // Its own server: stopping the shared one would break the tests using it.
    let Some(pg) = PgServer::start() else { return };
    let url = pg.url();
    let db = open(&url).await;
    let records = whole_call(CALL);
    assert_eq!(db.write(Arc::new(records[..5].to_vec())).await.unwrap(), 5);
    pg.stop();
    let down = db.write(Arc::new(records[5..].to_vec())).await;
    assert!(down.is_err(), "a write with the server down fails");
    assert!(db.ping().await.is_err());
    pg.restart();
    db.ping().await.expect("the pool reconnects");
    assert_eq!(db.write(Arc::new(records[5..].to_vec())).await.unwrap(), 5);
    let story = db.story(CALL).await.unwrap().unwrap();
    assert_eq!(story.call.status, "completed");
    // A database that is not there: the error names the URL without its password.
    let bad = format!("postgres://postgres:sekrit@127.0.0.1:{}/nowhere", pg.port);
    let Err(err) = Database::open(&bad.parse().unwrap()).await else {
        panic!("opened a database that does not exist");
    };
    let text = err.to_string();
    assert!(!text.contains("sekrit"), "{text}");
    // The server's own words, not tokio-postgres's bare "db error".
    assert!(
        text.contains(r#"database "nowhere" does not exist (SQLSTATE 3D000)"#),
        "{text}"
    );
}

#[test]
fn three_replicas_sharing_one_database_keep_one_record_of_a_call() {
    let Some(pg) = PgServer::shared() else { return };
    let url = support::block_on(pg.database("replicas"));
    let flows = FlowDir::new().file("acme.yaml", FLOW);
    let spools = tempfile::tempdir().unwrap();
    let replicas: Vec<ServeProcess> = (1..=3)
        .map(|n| {
            let spool = spools.path().join(format!("spool-r{n}"));
            let name = format!("r{n}");
            let token = spools.path().join("admin-token");
            std::fs::write(&token, "replicas-admin-token").unwrap();
            let args = [
                "--public-url",
                "http://switchboard.test",
                "--database",
                &url,
                "--spool",
                spool.to_str().unwrap(),
                "--replica",
                &name,
                "--admin-token-file",
                token.to_str().unwrap(),
            ];
            ServeProcess::start(flows.path(), &args)
        })
        .collect();
    let replicas: Vec<&ServeProcess> = replicas.iter().collect();
    // Behind one load balancer: the same public URL, so a webhook retried on another
    // replica carries the same signature (its record's key).
    let call = sid(7);
    // Webhook i is answered by replica i % 3.
    let webhooks = play_voicemail_call_across(&replicas, &call);
    assert_eq!(webhooks.len(), 5);
    // Then every webhook retried, and every callback twice, shuffled, each to a replica
    // picked at random.
    let mut posts: Vec<(String, String, u16)> = webhooks
        .iter()
        .map(|(path, body)| (path.clone(), body.clone(), 200))
        .collect();
    let cbs = callbacks(&call);
    for (path, body) in cbs.iter().chain(&cbs) {
        posts.push((path.to_string(), body.clone(), 204));
    }
    let mut rng = Rng::new(0x3e91);
    rng.shuffle(&mut posts);
    for (path, body, status) in &posts {
        let r = rng.pick(&replicas).post(path, body);
        assert_eq!(r.status, *status, "{path}: {}", r.body);
    }

    let db = support::open(&url);
    // Every callback but the dialed leg's is the call's own.
    let unique = webhooks.len() + cbs.len() - 1;
    let story = support::wait_for_story(&db, &call, |s| s.records.len() == unique);
    let c = &story.call;
    assert_eq!(c.status, "completed");
    assert!(c.ended);
    assert_eq!(c.duration, Some(41));
    assert_eq!(c.flow.as_deref(), Some("acme"));
    assert_eq!(c.path, "menu > sales > pin > check > voicemail > bye");
    assert_eq!(c.webhooks, 5);
    assert_eq!(story.recordings.len(), 1);
    assert_eq!(story.children.len(), 1, "the dialed leg");
    assert_eq!(story.children[0].status, "no-answer");
    assert_eq!(
        story.recordings[0].transcript.as_deref(),
        Some("Hi, it is Sam, please call me back.")
    );
    // The summary is the fold of exactly the stored records, whichever replica wrote last.
    let (folded, _) = summarize(&call, &story.records);
    assert_eq!(*c, folded);
    let answered_by: std::collections::BTreeSet<&str> = story
        .records
        .iter()
        .filter(|r| r.body.kind() == "webhook")
        .map(|r| r.replica.as_str())
        .collect();
    assert_eq!(
        answered_by.into_iter().collect::<Vec<_>>(),
        ["r1", "r2", "r3"]
    );
    let all = support::block_on(db.calls(switchboard::calls::Filter::default())).unwrap();
    assert_eq!(
        all.items.len(),
        2,
        "exactly one row for the call and one for its leg"
    );
    for r in &replicas {
        assert_eq!(r.readyz()["records"]["status"], "ok");
        // Any replica's API tells the same story.
        let reply = crate::harness::server::request(
            r.addr,
            "GET",
            &format!("/api/calls/{call}"),
            &[("Authorization", "Bearer replicas-admin-token")],
            b"",
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        let api: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(api["call"]["path"], c.path.as_str());
    }
    // And `switchboard calls` / `calls show` read PostgreSQL too.
    let out = crate::harness::binary::Switchboard::new("calls")
        .args(["--database", &url, "--format", "json"])
        .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 2, "{}", out.stdout);
    let out = crate::harness::binary::Switchboard::new("calls")
        .args(["show", &call, "--database", &url])
        .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("Hi, it is Sam"), "{}", out.stdout);
}

/// PostgreSQL stops in the middle of calls: webhooks are still answered, callbacks still
/// acknowledged (spooled), `/readyz` shows it, and once the server is back every record is
/// there, with no restart of switchboard.
#[test]
fn an_outage_during_calls_is_spooled_and_replayed_without_restart() {
    use super::faults::{all_completed, send_finals};
    let Some(pg) = PgServer::start() else { return };
    let url = pg.url();
    let flows = FlowDir::new().file("acme.yaml", FLOW);
    let spool = tempfile::tempdir().unwrap();
    let spool_dir = spool.path().join("spool");
    let serve = ServeProcess::start(
        flows.path(),
        &[
            "--database",
            &url,
            "--spool",
            &spool_dir.display().to_string(),
            "--commit-timeout",
            "1s",
        ],
    );
    send_finals(&serve, 0..5);
    pg.stop();
    let r = serve.post(
        "/voice",
        &support::form(&support::call_params(&sid(100), "ringing")),
    );
    assert_eq!(r.status, 200);
    assert!(r.twiml().contains("<Gather"), "{}", r.body);
    send_finals(&serve, 5..30);
    crate::harness::wait_until("readyz shows the outage", || {
        serve.readyz()["records"]["status"] == "degraded"
    });
    assert!(serve.readyz()["records"]["spool_bytes"].as_u64().unwrap() > 0);
    pg.restart();
    crate::harness::wait_until("the spool drains into PostgreSQL", || {
        let r = serve.readyz()["records"].clone();
        r["status"] == "ok" && r["spool_bytes"] == 0
    });
    all_completed(&url, 0..30);
    let db = support::open(&url);
    support::wait_for_story(&db, &sid(100), |s| s.call.webhooks == 1);
}

/// A replica that starts while PostgreSQL is down serves calls anyway, spools, migrates
/// and replays once it answers.
#[test]
fn a_replica_started_during_an_outage_serves_and_catches_up() {
    use super::faults::{all_completed, send_finals};
    let Some(pg) = PgServer::start() else { return };
    let url = pg.url();
    pg.stop();
    let flows = FlowDir::new().file("acme.yaml", FLOW);
    let spool = tempfile::tempdir().unwrap();
    let spool_dir = spool.path().join("spool");
    let serve = ServeProcess::start(
        flows.path(),
        &[
            "--database",
            &url,
            "--spool",
            &spool_dir.display().to_string(),
            "--commit-timeout",
            "1s",
        ],
    );
    send_finals(&serve, 0..10);
    crate::harness::wait_until("readyz shows the outage", || {
        serve.readyz()["records"]["status"] == "degraded"
    });
    pg.restart();
    all_completed(&url, 0..10);
}

/// A spooled record PostgreSQL cannot hold (a NUL, from a spool written by an older build)
/// does not hold up the rest: it is set aside in the quarantine file and counted.
#[test]
fn a_record_the_database_refuses_is_quarantined_not_replayed_forever() {
    let Some(pg) = PgServer::shared() else { return };
    let url = support::block_on(pg.database("quarantine"));
    let spool = tempfile::tempdir().unwrap();
    let spool_dir = spool.path().join("spool");
    let mut p = Params::default();
    for (k, v) in support::call_params(&sid(300), "completed") {
        p.push(k, v);
    }
    p.push("SequenceNumber", "3");
    // Recent: retention would prune a call from 1970.
    let at = jiff::Timestamp::now().as_microsecond();
    let good = Record::status(&p, Arrival { at, replica: "old" }).unwrap();
    let mut bad = Record::status(&p, Arrival { at, replica: "old" }).unwrap();
    bad.key = "status:poison".into();
    bad.call_sid = sid(301);
    if let switchboard::calls::Body::Status(s) = &mut bad.body {
        s.leg.from = Some("+1\0".into());
    }
    switchboard::calls::Spool::open(&spool_dir, 1 << 20)
        .unwrap()
        .append(&[good, bad])
        .unwrap();
    let flows = FlowDir::new().file("acme.yaml", FLOW);
    let serve = ServeProcess::start(
        flows.path(),
        &[
            "--database",
            &url,
            "--spool",
            &spool_dir.display().to_string(),
        ],
    );
    crate::harness::wait_until("the spool is replayed", || {
        let r = serve.readyz()["records"].clone();
        r["spool_bytes"] == 0 && r["quarantined"] == 1
    });
    let db = support::open(&url);
    support::wait_for_story(&db, &sid(300), |s| s.call.status == "completed");
    let kept = std::fs::read_to_string(spool_dir.join("quarantine.jsonl")).unwrap();
    assert_eq!(kept.lines().count(), 1);
    assert!(kept.contains("status:poison"));
}
