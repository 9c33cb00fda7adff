//! Micro-benchmarks (divan) of the pieces every webhook goes through: the signature check,
//! the number lookup (10 to 10,000 numbers, to show it is flat), rule evaluation, template
//! rendering, TwiML writing, form parsing, and one whole interpreter run.
//!
//! `cargo bench --bench micro` (all), `cargo bench --bench micro -- number_lookup` (some).
//! Inputs are the realistic 25-parameter webhooks of the load generator
//! (`support::incoming_params`).

// A benchmark program: it prints its report, and a failed setup may stop it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

#[path = "support/mod.rs"]
mod support;

use divan::{Bencher, black_box};
use switchboard::engine::{self, Config, Entry, Params};
use switchboard::flow::model::NumberIndex;
use switchboard::flow::{self, FlowSet};
use switchboard::signature::{self, Keys, Secret};
use switchboard::template::{self, Scope, Template};
use switchboard::twiml::{self, GatherChild, Response};

/// The interpreter settings a server runs with by default.
static ENGINE_DEFAULTS: std::sync::LazyLock<switchboard::engine::Config> =
    std::sync::LazyLock::new(Default::default);

/// A menu's answer, as a webhook record keeps it.
const RECORDED_TWIML: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?><Response><Gather input="dtmf speech" action="https://ivr.example.com/voice/acme/menu?k=m&amp;n=1" numDigits="1" timeout="5" actionOnEmptyResult="true"><Say voice="Polly.Joanna">Thanks for calling Acme. For sales, press 1. For support, press 2. For billing, press 3.</Say></Gather></Response>"#;

fn main() {
    divan::main();
}

const BASE: &str = "https://ivr.example.com";

/// A Tuesday at 10:00 in New York: the office schedule is open.
fn office_hours() -> jiff::Timestamp {
    "2026-11-24T15:00:00Z".parse().expect("a valid timestamp")
}

fn keys() -> Keys {
    Keys {
        auth_tokens: vec![Secret::new(support::TOKEN)],
        shared_keys: vec![],
    }
}

fn incoming_body() -> String {
    support::encode(&support::incoming_params(&support::flow_number(0)))
}

// ---------------------------------------------------------------------------------------
// Signature
// ---------------------------------------------------------------------------------------

/// HMAC-SHA1 over the URL and the 25 sorted parameters, as the server checks every webhook.
#[divan::bench]
fn signature_verify_incoming(b: Bencher) {
    let url = format!("{BASE}/voice");
    let hook = support::webhook(
        BASE,
        "/voice",
        &support::incoming_params(&support::flow_number(0)),
    );
    let keys = keys();
    b.bench(|| {
        let req = signature::Request {
            url: &url,
            method: "POST",
            content_type: Some("application/x-www-form-urlencoded"),
            body: &hook.body,
            signature: Some(&hook.signature),
            signature_settings: None,
        };
        signature::verify(black_box(&keys), black_box(&req))
    });
}

// ---------------------------------------------------------------------------------------
// Number lookup
// ---------------------------------------------------------------------------------------

/// An index of `n` exact numbers and `n` prefixes, like `n` flows with one of each.
fn index(n: usize) -> NumberIndex {
    // A lookup costs the same whichever flow a number maps to, so one flow's id serves all
    // (ids come only from a loaded set).
    let set = load(&[(
        "a.yaml",
        "start: s\nsteps:\n  s:\n    hangup: true\n".into(),
    )]);
    let Some((id, _)) = set.iter().next() else {
        panic!("one flow loaded");
    };
    let mut idx = NumberIndex::default();
    for i in 0..n {
        idx.insert(&format!("+1415{i:07}"), id);
        idx.insert(&format!("+1628{i:05}*"), id);
    }
    idx
}

const SIZES: [usize; 3] = [10, 1_000, 10_000];

/// An exact number: one hash probe, whatever the size.
#[divan::bench(args = SIZES)]
fn number_lookup_exact(b: Bencher, n: usize) {
    let idx = index(n);
    let to = format!("+1415{:07}", n / 2);
    b.bench(|| idx.lookup(black_box(&to)));
}

/// A number only a prefix claims: at most one probe per prefix length, whatever the size.
#[divan::bench(args = SIZES)]
fn number_lookup_prefix(b: Bencher, n: usize) {
    let idx = index(n);
    let to = format!("+1628{:05}99", n / 2);
    b.bench(|| idx.lookup(black_box(&to)));
}

// ---------------------------------------------------------------------------------------
// Rules, templates, TwiML, forms
// ---------------------------------------------------------------------------------------

const SHARED: &str = support::SHARED_YAML;

/// Four rules that do not match (a list, a conjunction, a regex, a negated schedule), then
/// the schedule rule that does, to a hangup: the run is almost all rule evaluation.
const RULES_FLOW: &str = r#"
numbers: ["+14156000000"]
timezone: America/New_York
start: entry
steps:
  entry:
    route:
      - if: { From: { in: ["+12025550188", "+12025550189", "+12025550190"] } }
        goto: done
      - if: { all: [ { FromState: CA }, { CallerCountry: US } ] }
        goto: done
      - if: { From: { matches: '^\+44(?P<area>\d{3})' } }
        goto: done
      - if: { not: { open: office }, Digits: { exists: true } }
        goto: done
      - if: { open: office }
        goto: done
      - goto: done
  done:
    hangup: true
"#;

fn load(files: &[(&str, String)]) -> FlowSet {
    let loaded = flow::load_texts(
        files
            .iter()
            .map(|(n, t)| (std::path::PathBuf::from(n), t.clone()))
            .collect(),
    );
    (loaded.into_servable()).unwrap_or_else(|l| panic!("{}", l.render_diagnostics()))
}

/// A route of five rules (list, conjunction, regex, negated schedule, schedule).
#[divan::bench]
fn rule_evaluation(b: Bencher) {
    let set = load(&[
        ("_shared.yaml", SHARED.to_owned()),
        ("rules.yaml", RULES_FLOW.to_owned()),
    ]);
    let cfg = Config::default();
    let params = Params::from_pairs(support::incoming_params("+14156000000"));
    let now = office_hours();
    b.bench(|| engine::run(&set, &cfg, Entry::Incoming, black_box(&params), now));
}

struct Vars<'a> {
    params: &'a Params,
}

impl Scope for Vars<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name)
    }
    fn var(&self, name: &str) -> Option<&str> {
        (name == "account").then_some("123456")
    }
}

/// A prompt with two parameters and a variable.
#[divan::bench]
fn template_render(b: Bencher) {
    let t = Template::compile(
        "Thanks for calling {{To}}. We see you are calling from {{FromCity}} about account {{vars.account}}.",
        template::is_twilio_param,
        |v| v == "account",
    )
    .expect("a valid template");
    let params = Params::from_pairs(support::incoming_params(&support::flow_number(0)));
    let scope = Vars { params: &params };
    b.bench(|| t.render(black_box(&scope)));
}

/// The menu document an incoming benchmark call gets.
#[divan::bench]
fn twiml_write(b: Bencher) {
    let say = |text: &str| {
        GatherChild::Say(twiml::Say {
            text: text.into(),
            voice: Some("Polly.Joanna".into()),
            language: Some("en-US".into()),
            loop_count: None,
        })
    };
    let mut resp = Response::new();
    resp.push(twiml::Gather {
        action: Some(format!("{BASE}/voice/line0000/menu?k=m&n=1")),
        timeout: Some(5),
        action_on_empty_result: Some(true),
        children: vec![
            say("Thanks for calling line 0. We see you are calling from WASHINGTON."),
            say("For sales, press 1 or say sales. For support, press 2 or say support."),
        ],
        ..Default::default()
    });
    b.bench(|| black_box(&resp).to_xml());
}

/// The server's strict form decoding of a 25-parameter body, into request parameters.
#[divan::bench]
fn form_parse(b: Bencher) {
    let body = incoming_body();
    b.bench(|| switchboard::form::parse_params(black_box(body.as_bytes())));
}

/// `Params::get` of the last parameter of 25 (the worst case of the linear lookup).
#[divan::bench]
fn params_get(b: Bencher) {
    let params = Params::from_pairs(support::incoming_params(&support::flow_number(0)));
    b.bench(|| black_box(&params).get(black_box("ToZip")));
}

// ---------------------------------------------------------------------------------------
// Whole interpreter runs on 1,000 benchmark flows
// ---------------------------------------------------------------------------------------

fn bench_set(flows: usize) -> FlowSet {
    let mut files = vec![("_shared.yaml".to_owned(), SHARED.to_owned())];
    for i in 0..flows {
        files.push((
            format!("{}.yaml", support::flow_name(i)),
            support::flow_yaml(i),
        ));
    }
    let loaded = flow::load_texts(
        files
            .into_iter()
            .map(|(n, t)| (std::path::PathBuf::from(n), t))
            .collect(),
    );
    (loaded.into_servable()).unwrap_or_else(|l| panic!("{}", l.render_diagnostics()))
}

/// An incoming call: number lookup, two rules (one a schedule), a menu with a template.
#[divan::bench]
fn engine_incoming(b: Bencher) {
    let set = bench_set(1000);
    let cfg = Config {
        base_url: BASE.into(),
        ..Config::default()
    };
    let params = Params::from_pairs(support::incoming_params(&support::flow_number(500)));
    let now = office_hours();
    b.bench(|| engine::run(&set, &cfg, Entry::Incoming, black_box(&params), now));
}

/// The menu's answer: state decoding, the option, a two-number dial with callbacks.
#[divan::bench]
fn engine_gather(b: Bencher) {
    let set = bench_set(1000);
    let cfg = Config {
        base_url: BASE.into(),
        ..Config::default()
    };
    let params = Params::from_pairs(support::gather_params(&support::flow_number(500), "1"));
    let now = office_hours();
    let entry = Entry::Continue {
        flow: "line0500",
        step: "menu",
        query: "k=m&n=1",
    };
    b.bench(|| engine::run(&set, &cfg, entry, black_box(&params), now));
}

// ---------------------------------------------------------------------------------------
// Call store (the request path's share, and the writer's)
// ---------------------------------------------------------------------------------------

/// What the handler adds to an incoming webhook with the store on: building its record
/// (key hash, inputs, the trace moved in). The writer's work is below.
#[divan::bench]
fn record_webhook_build(b: Bencher) {
    use switchboard::calls::record::{Answered, Arrival, Record};
    let set = bench_set(10);
    let params = Params::from_pairs(support::incoming_params(&support::flow_number(5)));
    let out = engine::run(
        &set,
        &Config::default(),
        Entry::Incoming,
        &params,
        office_hours(),
    );
    b.with_inputs(|| out.trace.clone()).bench_values(|trace| {
        let answered = Answered {
            endpoint: "voice",
            resumed: None,
            idempotency_token: None,
            signature: Some("0/KCTR6DLpKmkAf8muzZqo1nDgQ="),
            url: "/voice",
            now: 1,
            latency_us: 20,
            flow: out.flow.clone(),
            flow_version: "0123456789ab".into(),
            failed: false,
            trace,
            twiml: RECORDED_TWIML,
            engine: &ENGINE_DEFAULTS,
            notices: &[],
            secrets: &[],
        };
        Record::webhook(
            black_box(&params),
            Arrival {
                at: 2,
                replica: "r1",
            },
            answered,
        )
    });
}

/// The writer's serialisation of one webhook record (the `body` column and spool line).
#[divan::bench]
fn record_webhook_json(b: Bencher) {
    use switchboard::calls::record::{Answered, Arrival, Record};
    let set = bench_set(10);
    let params = Params::from_pairs(support::incoming_params(&support::flow_number(5)));
    let out = engine::run(
        &set,
        &Config::default(),
        Entry::Incoming,
        &params,
        office_hours(),
    );
    let r = Record::webhook(
        &params,
        Arrival {
            at: 2,
            replica: "r1",
        },
        Answered {
            endpoint: "voice",
            resumed: None,
            idempotency_token: None,
            signature: None,
            url: "/voice",
            now: 1,
            latency_us: 20,
            flow: out.flow.clone(),
            flow_version: "0123456789ab".into(),
            failed: false,
            trace: out.trace.clone(),
            twiml: RECORDED_TWIML,
            engine: &ENGINE_DEFAULTS,
            notices: &[],
            secrets: &[],
        },
    )
    .unwrap();
    b.bench(|| serde_json::to_string(black_box(&r)).unwrap());
}

/// Folding a call of its 4 status callbacks (what each new one costs the writer).
#[divan::bench]
fn summarize_call(b: Bencher) {
    use switchboard::calls::record::{Arrival, Record};
    let mut records = Vec::new();
    for i in 0..4 {
        let p = Params::from_pairs(support::status_params(i));
        records.push(
            Record::status(
                &p,
                Arrival {
                    at: i as i64,
                    replica: "r",
                },
            )
            .unwrap(),
        );
    }
    b.bench(|| switchboard::calls::summarize("CA0", black_box(&records)));
}

/// The writer's whole cost per record on SQLite: a batch of 256 webhooks of new calls
/// (serialise, insert, fold, upsert the call, commit with fsync), per batch.
#[divan::bench(sample_count = 30)]
fn sqlite_write_256_webhooks(b: Bencher) {
    use std::sync::Arc;
    use switchboard::calls::record::{Answered, Arrival, Record};
    use switchboard::calls::{Database, DatabaseUrl};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = rt
        .block_on(Database::open(&DatabaseUrl::Sqlite(
            dir.path().join("b.db"),
        )))
        .unwrap()
        .unwrap();
    let set = bench_set(10);
    let out = engine::run(
        &set,
        &Config::default(),
        Entry::Incoming,
        &Params::from_pairs(support::incoming_params(&support::flow_number(5))),
        office_hours(),
    );
    let mut n = 0u64;
    b.with_inputs(|| {
        let batch: Vec<Record> = (0..256)
            .map(|_| {
                n += 1;
                let mut pairs = support::incoming_params(&support::flow_number(5));
                for (k, v) in &mut pairs {
                    if k == "CallSid" {
                        *v = format!("CA{n:032x}");
                    }
                }
                let params = Params::from_pairs(pairs);
                Record::webhook(
                    &params,
                    Arrival {
                        at: n as i64,
                        replica: "r1",
                    },
                    Answered {
                        endpoint: "voice",
                        resumed: None,
                        idempotency_token: None,
                        signature: None,
                        url: "/voice",
                        now: 1,
                        latency_us: 20,
                        flow: out.flow.clone(),
                        flow_version: "0123456789ab".into(),
                        failed: false,
                        trace: out.trace.clone(),
                        twiml: RECORDED_TWIML,
                        engine: &ENGINE_DEFAULTS,
                        notices: &[],
                        secrets: &[],
                    },
                )
                .unwrap()
            })
            .collect();
        Arc::new(batch)
    })
    .bench_local_values(|batch| rt.block_on(db.write(batch)).unwrap());
}

/// The metrics work of one incoming call's request (`Metrics::webhook` with its latency,
/// `Metrics::call` by flow) on 1 and 2 threads: the per-request cost, and whether threads
/// counting into the same series slow each other down (BENCHMARKS.md, "Metrics").
#[divan::bench(threads = [1, 2], sample_size = 1000)]
fn metrics_per_request(b: Bencher) {
    use switchboard::metrics::{Metrics, Outcome, Route};
    static METRICS: std::sync::LazyLock<Metrics> = std::sync::LazyLock::new(|| {
        let m = Metrics::new();
        m.serving(
            (0..100)
                .map(|i| format!("flow{i}"))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str),
        );
        m.serving(["acme", "support", "billing"]);
        m
    });
    let m = &*METRICS;
    let elapsed = std::time::Duration::from_micros(180);
    b.bench(|| {
        m.webhook(Route::Voice, Outcome::Answered, black_box(elapsed));
        m.call(Some(black_box("acme")));
    });
}

/// The same work through prometheus-client's own `Family` of counters and `Family` of
/// histograms (an `RwLock` per lookup, a mutex per observation), for comparison.
#[divan::bench(threads = [1, 2], sample_size = 1000)]
fn metrics_per_request_with_family(b: Bencher) {
    use prometheus_client::metrics::counter::Counter;
    use prometheus_client::metrics::family::Family;
    use prometheus_client::metrics::histogram::Histogram;
    type Labels = Vec<(&'static str, &'static str)>;
    type Families = (
        Family<Labels, Counter>,
        Family<Labels, Histogram>,
        Family<Labels, Counter>,
    );
    static FAMILIES: std::sync::LazyLock<Families> = std::sync::LazyLock::new(|| {
        (
            Family::default(),
            Family::new_with_constructor(|| Histogram::new(switchboard::metrics::LATENCY_BUCKETS)),
            Family::default(),
        )
    });
    let (requests, latency, calls) = &*FAMILIES;
    b.bench(|| {
        let route = vec![("route", "/voice")];
        requests
            .get_or_create(&vec![("route", "/voice"), ("outcome", "answered")])
            .inc();
        latency.get_or_create(&route).observe(black_box(0.000_180));
        calls
            .get_or_create(&vec![("flow", black_box("acme"))])
            .inc();
    });
}

/// A scrape of `/metrics` (off the request path): 100 flows with counts, OpenMetrics.
#[divan::bench]
fn metrics_encode(b: Bencher) {
    use switchboard::metrics::{Menu, Metrics, Outcome, Route, Scrape};
    let m = Metrics::new();
    let names: Vec<String> = (0..100).map(|i| format!("flow{i}")).collect();
    m.serving(names.iter().map(String::as_str));
    for n in &names {
        m.call(Some(n));
        m.menu(n, Menu::Matched);
        m.dial(n, "no-answer");
    }
    for r in [
        Route::Voice,
        Route::Continue,
        Route::Status,
        Route::Recording,
    ] {
        m.webhook(r, Outcome::Answered, std::time::Duration::from_micros(300));
    }
    let scrape = Scrape {
        flow_set_version: "0123456789ab",
        ..Scrape::default()
    };
    b.bench(|| m.encode(black_box(&scrape), true).unwrap().len());
}

/// The office schedule of the benchmark flows, compiled (New York, weekdays 09:00–17:00).
fn office_schedule() -> switchboard::schedule::Schedule {
    #[derive(serde::Deserialize)]
    struct Doc {
        schedule: switchboard::schedule::ScheduleSpec,
    }
    let doc: Doc = serde_saphyr::from_str(
        "schedule:\n  timezone: America/New_York\n  hours:\n    mon-fri: 09:00-17:00\n",
    )
    .expect("a schedule");
    switchboard::schedule::Schedule::compile(&doc.schedule, &jiff::tz::TimeZone::UTC)
        .expect("compiles")
}

/// A schedule's verdict alone (what a rule needs to route).
#[divan::bench]
fn schedule_is_open(b: Bencher) {
    let s = office_schedule();
    let now = office_hours();
    b.bench(|| black_box(&s).is_open(black_box(now)));
}

/// The verdict with its words (what every schedule rule writes into the trace).
#[divan::bench]
fn schedule_explain(b: Bencher) {
    let s = office_schedule();
    let now = office_hours();
    b.bench(|| black_box(&s).explain(black_box(now)));
}

/// One request's JSON log line (the incoming call's fields), formatted by the server's
/// formatter into a sink: the formatting, not the write(2).
#[divan::bench]
fn log_line(b: Bencher) {
    let subscriber = tracing_subscriber::fmt()
        .event_format(switchboard::http::logline::JsonLines)
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .with_writer(|| LineSink)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let before = LINES.load(std::sync::atomic::Ordering::Relaxed);
    let call_sid = Some("CA5b9e1f0a8c2b7d4e6f9a3c1b0d8e7f6a");
    b.bench(|| {
        tracing::info!(
            endpoint = "voice",
            method = "POST",
            path = "/voice",
            status = 200u16,
            latency_us = black_box(85u64),
            call_sid,
            flow = Some("line0005"),
            steps = Some("route>menu gather"),
            failed = false,
            "call"
        );
    });
    // The lines were formatted here, not dropped by a missing subscriber.
    assert!(LINES.load(std::sync::atomic::Ordering::Relaxed) > before);
}

/// Counts the lines written to it and drops them.
static LINES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

struct LineSink;

impl std::io::Write for LineSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LINES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
