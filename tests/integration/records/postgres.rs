//! The PostgreSQL backend on a real server: the same contract SQLite keeps, writers on
//! separate connections (as separate replicas) converging on one summary, migrations racing,
//! and the pool getting over a server restart. The tests share one server (each in its own
//! database) except the one that stops it, and skip loudly when PostgreSQL is not installed.

use std::sync::Arc;

use switchboard::calls::record::{Answered, Arrival};
use switchboard::calls::{Database, DatabaseUrl, Record, conformance, summarize};
use switchboard::engine::Event;
use switchboard::form::Params;

use crate::harness::postgres::PgServer;
use crate::harness::rng::Rng;

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
fn whole_call() -> Vec<Record> {
    let leg = [
        ("CallSid", CALL),
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
    let mut out = Vec::new();
    for (i, step) in ["menu", "sales", "voicemail"].iter().enumerate() {
        let at = 1_000 + 10 * i as i64;
        let url = format!("https://sb.example/voice/main/{step}");
        let p = with(&[("Digits", &i.to_string())]);
        let answered = Answered {
            endpoint: if i == 0 { "voice" } else { "continue" },
            resumed: (i > 0).then(|| format!("main/{step}")),
            idempotency_token: None,
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
            ("RecordingSid", "RE000000000000000000000000000000aa"),
            ("RecordingStatus", status),
            ("RecordingUrl", "https://api.twilio.com/rec/REaa"),
            ("RecordingDuration", "12"),
        ]);
        out.push(Record::recording(&p, arrival(1_050)).unwrap());
    }
    let p = with(&[
        ("TranscriptionSid", "TR000000000000000000000000000000aa"),
        ("TranscriptionStatus", "completed"),
        ("TranscriptionText", "call me back"),
        ("RecordingSid", "RE000000000000000000000000000000aa"),
    ]);
    out.push(Record::transcription(&p, arrival(1_090)).unwrap());
    out
}

/// `items` shuffled in place (Fisher–Yates with the seeded source).
fn shuffle<T>(rng: &mut Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        items.swap(i, j);
    }
}

#[tokio::test]
async fn postgres_keeps_the_store_contract() {
    let Some(pg) = PgServer::shared() else { return };
    let db = open(&pg.database("contract").await).await;
    assert_eq!(conformance::run_all(&db).await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_writing_one_call_at_once_converge_on_one_row() {
    let Some(pg) = PgServer::shared() else { return };
    let url = pg.database("converge").await;
    let records = whole_call();
    assert_eq!(records.len(), 10);
    let (want, want_recordings) = summarize(CALL, &records);
    assert_eq!(want.status, "completed");
    assert_eq!(want.path, "menu > sales > voicemail");
    const WRITERS: u64 = 4;
    let mut handles = Vec::new();
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let db = open(&url).await;
        handles.push(db.clone());
        // Each replica gets every record at least once, some twice, in its own order, in
        // batches of 1..=4: every pair of writers overlaps on every key.
        let mut rng = Rng::new(0x5eed + w);
        let mut mine: Vec<Record> = records.clone();
        mine.extend(records.iter().filter(|_| rng.below(3) == 0).cloned());
        shuffle(&mut rng, &mut mine);
        let mut batches = Vec::new();
        while !mine.is_empty() {
            let n = (1 + rng.below(4) as usize).min(mine.len());
            batches.push(mine.drain(..n).collect::<Vec<_>>());
        }
        tasks.push(tokio::spawn(async move {
            let mut new = 0;
            for b in batches {
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
        stored,
        records.len(),
        "each record is new exactly once across replicas"
    );
    let reader = &handles[0];
    let story = reader
        .story(CALL)
        .await
        .unwrap()
        .expect("the call is there");
    assert_eq!(story.call, want);
    assert_eq!(story.records.len(), records.len());
    assert_eq!(story.recordings, want_recordings);
    assert_eq!(
        story.recordings[0].transcript.as_deref(),
        Some("call me back")
    );
    let all = reader
        .calls(switchboard::calls::Filter::default())
        .await
        .unwrap();
    assert_eq!(all.items.len(), 1, "exactly one call row");
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
async fn the_pool_gets_over_a_server_restart_and_errors_hide_the_password() {
    // Its own server: stopping the shared one would break the tests using it.
    let Some(pg) = PgServer::start() else { return };
    let url = pg.url();
    let db = open(&url).await;
    let records = whole_call();
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
    let err = Database::open(&bad.parse().unwrap())
        .await
        .err()
        .expect("no such database");
    let text = err.to_string();
    assert!(!text.contains("sekrit"), "{text}");
    assert!(text.contains("nowhere"), "{text}");
}
