//! `/metrics` after real calls through the real binary (with a call store), parsed back by
//! a grammar-based exposition-format parser (`openmetrics-parser`), and its bearer-token
//! rule.

use std::collections::BTreeMap;

use openmetrics_parser::openmetrics::parse_openmetrics;
use openmetrics_parser::prometheus::parse_prometheus;
use openmetrics_parser::{OpenMetricsValue, PrometheusValue};

use super::support::*;
use crate::harness::binary::ServeProcess;
use crate::harness::server::{Reply, request};
use crate::harness::{FlowDir, wait_until};

/// One series: its family, its labels, and its value (a histogram's: its bucket counts,
/// cumulative, `+Inf` last).
#[derive(Debug, PartialEq)]
struct Series {
    family: String,
    labels: BTreeMap<String, String>,
    value: Vec<f64>,
}

/// What Prometheus asks for.
const PROMETHEUS_ACCEPT: &str =
    "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";

/// `/metrics` in OpenMetrics (what Prometheus asks for), parsed; checked against the
/// classic format of the same scrape, parsed too.
fn scrape(serve: &ServeProcess, headers: &[(&str, &str)]) -> (Reply, Vec<Series>) {
    let mut with_accept = headers.to_vec();
    with_accept.push(("Accept", PROMETHEUS_ACCEPT));
    let r = request(serve.addr, "GET", "/metrics", &with_accept, b"");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    let om = parse_openmetrics(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body));
    let mut series = Vec::new();
    for (name, family) in &om.families {
        for sample in family.iter_samples() {
            let value = match &sample.value {
                OpenMetricsValue::Counter(c) => vec![c.value.as_f64()],
                OpenMetricsValue::Gauge(n) | OpenMetricsValue::Unknown(n) => vec![n.as_f64()],
                OpenMetricsValue::Histogram(h) => {
                    h.buckets.iter().map(|b| b.count.as_f64()).collect()
                }
                other => panic!("{name}: unexpected {other:?}"),
            };
            series.push(Series {
                family: name.clone(),
                labels: labels_of(sample.get_labelset().unwrap().iter()),
                value,
            });
        }
    }
    series.sort_by(|a, b| (&a.family, &a.labels).cmp(&(&b.family, &b.labels)));
    (r, series)
}

fn labels_of<'a>(
    pairs: impl Iterator<Item = (&'a String, &'a String)>,
) -> BTreeMap<String, String> {
    pairs.map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// The classic text format of `/metrics`, parsed into the same shape (counter families
/// lose the `_total` their TYPE line carries in this format).
fn scrape_classic(serve: &ServeProcess) -> Vec<Series> {
    let r = request(serve.addr, "GET", "/metrics", &[], b"");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let parsed = parse_prometheus(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body));
    let mut series = Vec::new();
    for (name, family) in &parsed.families {
        for sample in family.iter_samples() {
            let (family, value) = match &sample.value {
                PrometheusValue::Counter(c) => (
                    name.trim_end_matches("_total").to_string(),
                    vec![c.value.as_f64()],
                ),
                PrometheusValue::Gauge(n) | PrometheusValue::Unknown(n) => {
                    (name.clone(), vec![n.as_f64()])
                }
                PrometheusValue::Histogram(h) => (
                    name.clone(),
                    h.buckets.iter().map(|b| b.count.as_f64()).collect(),
                ),
                other => panic!("{name}: unexpected {other:?}"),
            };
            series.push(Series {
                family,
                labels: labels_of(sample.get_labelset().unwrap().iter()),
                value,
            });
        }
    }
    series.sort_by(|a, b| (&a.family, &a.labels).cmp(&(&b.family, &b.labels)));
    series
}

/// The value of the one series of `family` whose labels are exactly `labels`.
fn value(series: &[Series], family: &str, labels: &[(&str, &str)]) -> f64 {
    let want: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let found: Vec<&Series> = series
        .iter()
        .filter(|s| s.family == family && s.labels == want)
        .collect();
    assert_eq!(found.len(), 1, "{family} {labels:?}");
    assert_eq!(found[0].value.len(), 1, "{family}: not a number");
    found[0].value[0]
}

/// How many observations a route's latency histogram holds (its `+Inf` bucket).
fn observed(series: &[Series], route: &str) -> f64 {
    let h = series
        .iter()
        .find(|s| {
            s.family == "switchboard_webhook_duration_seconds"
                && s.labels.get("route").map(String::as_str) == Some(route)
        })
        .unwrap_or_else(|| panic!("no histogram for {route}"));
    assert_eq!(h.value.len(), 16, "15 bounds and +Inf");
    h.value[15]
}

#[test]
fn metrics_count_real_calls_with_bounded_labels() {
    let flows = FlowDir::new().file("acme.yaml", FLOW);
    let data = tempfile::tempdir().unwrap();
    let mut args = sqlite_args(data.path());
    args.push("--no-watch".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let serve = ServeProcess::start(flows.path(), &args);

    // Call 1: incoming, menu `1` (matched), a dial nobody answers, the PIN, a recording;
    // then its status, recording and transcription callbacks.
    let call = sid(1);
    play_voicemail_call(&serve, &call);
    for (path, body) in callbacks(&call) {
        assert_eq!(serve.post(path, &body).status, 204, "{path}");
    }
    // Call 2: incoming, then a key that is not an option.
    let (second, third) = (sid(2), sid(3));
    let r = serve.post("/voice", &form(&call_params(&second, "ringing")));
    let menu = crate::harness::server::attr(r.twiml(), "Gather", "action").unwrap();
    let mut p = call_params(&second, "in-progress");
    p.push(("Digits", "9"));
    assert_eq!(serve.post(&menu, &form(&p)).status, 200);
    // Call 3: a number no flow answers.
    let mut p = call_params(&third, "ringing");
    p.retain(|(k, _)| *k != "To");
    p.push(("To", "+14155550999"));
    assert_eq!(serve.post("/voice", &form(&p)).status, 200);
    // A forged signature.
    let body = form(&call_params(&sid(4), "ringing"));
    let forged = request(
        serve.addr,
        "POST",
        "/voice",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Twilio-Signature", "bm90IGEgc2lnbmF0dXJl"),
        ],
        body.as_bytes(),
    );
    assert_eq!(forged.status, 403);
    // A refused reload.
    std::fs::write(
        flows.path().join("broken.yaml"),
        "start: nowhere\nsteps: {}\n",
    )
    .unwrap();
    serve.signal("HUP");
    wait_until("the reload is refused", || {
        serve.readyz()["reload"]["failed"] == 1
    });
    let readyz = serve.readyz();

    let (reply, s) = scrape(&serve, &[]);
    let requests = |route: &str, outcome: &str| {
        value(
            &s,
            "switchboard_webhook_requests",
            &[("route", route), ("outcome", outcome)],
        )
    };
    assert_eq!(requests("/voice", "answered"), 2.0);
    assert_eq!(requests("/voice", "no_flow"), 1.0);
    assert_eq!(requests("/voice", "forbidden"), 1.0);
    // Call 1: menu, dial, PIN, recording; call 2: the wrong key.
    assert_eq!(requests("/voice/{flow}/{step}", "answered"), 5.0);
    assert_eq!(requests("/status", "answered"), 5.0);
    assert_eq!(requests("/recording", "answered"), 1.0);
    assert_eq!(requests("/transcription", "answered"), 1.0);
    assert_eq!(observed(&s, "/voice"), 4.0);
    assert_eq!(observed(&s, "/voice/{flow}/{step}"), 5.0);

    let calls = |flow: &str| value(&s, "switchboard_calls", &[("flow", flow)]);
    assert_eq!(calls("acme"), 2.0);
    assert_eq!(calls("no_flow"), 1.0);
    assert_eq!(calls("other"), 0.0);
    let menu = |o: &str| {
        let labels = [("flow", "acme"), ("outcome", o)];
        value(&s, "switchboard_menu_outcomes", &labels)
    };
    assert_eq!(menu("matched"), 1.0);
    assert_eq!(menu("invalid"), 1.0);
    let dial = [("flow", "acme"), ("status", "no-answer")];
    assert_eq!(value(&s, "switchboard_dial_outcomes", &dial), 1.0);
    let status = |st: &str| value(&s, "switchboard_call_status_callbacks", &[("status", st)]);
    for st in [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
        "no-answer",
    ] {
        assert_eq!(status(st), 1.0, "{st}");
    }
    assert_eq!(status("busy"), 0.0);
    let rec = [("status", "completed")];
    assert_eq!(value(&s, "switchboard_recordings", &rec), 1.0);
    assert_eq!(value(&s, "switchboard_signature_rejections", &[]), 1.0);
    let reloads = |r: &str| value(&s, "switchboard_reloads", &[("result", r)]);
    assert_eq!(reloads("refused"), 1.0);
    assert_eq!(reloads("ok"), 0.0);
    assert_eq!(
        reloads("unchanged"),
        readyz["reload"]["unchanged"].as_f64().unwrap()
    );
    // One series: the set in service, named as call records name it (12 hex digits).
    let info: Vec<_> = s
        .iter()
        .filter(|x| x.family == "switchboard_flow_set_info")
        .collect();
    assert_eq!(info.len(), 1, "{info:?}");
    let version = &info[0].labels["version"];
    assert!(version.len() == 12 && version.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        value(&s, "switchboard_flow_set_info", &[("version", version)]),
        1.0
    );
    assert_eq!(value(&s, "switchboard_flows", &[]), 1.0);
    assert_eq!(value(&s, "switchboard_store_database_up", &[]), 1.0);
    let dropped = [("result", "dropped")];
    assert_eq!(value(&s, "switchboard_store_records", &dropped), 0.0);
    let build = [("version", env!("CARGO_PKG_VERSION"))];
    assert_eq!(value(&s, "switchboard_build_info", &build), 1.0);

    // No CallSid, number, digit or URL ever becomes a label.
    for private in [
        call.as_str(),
        CALLER,
        MAIN,
        CHILD_LEG,
        "+14155550999",
        "4321",
        "api.twilio.com",
        "RE0000",
    ] {
        assert!(!reply.body.contains(private), "{private} in /metrics");
    }

    assert!(reply.body.ends_with("# EOF\n"), "{}", reply.body);
    // The classic format (curl, older scrapers) says the same, apart from the gauges that
    // moved between the two scrapes (this one is in flight).
    let classic = scrape_classic(&serve);
    let moving = [
        "switchboard_requests_in_flight",
        "switchboard_connections",
        "switchboard_webhook",
    ];
    let steady = |all: Vec<Series>| -> Vec<Series> {
        all.into_iter()
            .filter(|x| !moving.iter().any(|m| x.family.starts_with(m)))
            .collect()
    };
    let (_, again) = scrape(&serve, &[]);
    assert_eq!(steady(classic), steady(again));
}

#[test]
fn a_metrics_token_guards_metrics_like_the_admin_api() {
    let flows = FlowDir::new().file("acme.yaml", FLOW);
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("metrics-token");
    std::fs::write(&token_file, "m3trics-token\n").unwrap();
    let token_arg = token_file.display().to_string();
    let serve = ServeProcess::start(flows.path(), &["--metrics-token-file", &token_arg]);
    let get = |headers: &[(&str, &str)]| request(serve.addr, "GET", "/metrics", headers, b"");
    let cases: [(&[(&str, &str)], u16); 6] = [
        (&[], 401),
        (&[("Authorization", "Bearer wrong")], 401),
        (&[("Authorization", "Basic m3trics-token")], 401),
        (
            &[
                ("Authorization", "Bearer m3trics-token"),
                ("Authorization", "Bearer m3trics-token"),
            ],
            401,
        ),
        (&[("Authorization", "Bearer m3trics-token")], 200),
        (&[("Authorization", "bearer  m3trics-token ")], 200),
    ];
    for (headers, status) in cases {
        let r = get(headers);
        assert_eq!(r.status, status, "{headers:?}: {}", r.body);
        if status == 401 {
            assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        } else {
            assert!(r.body.contains("switchboard_build_info"), "{}", r.body);
            assert!(!r.body.contains("m3trics"));
        }
    }
    // The refusals are counted too, under their route.
    let (_, s) = scrape(&serve, &[("Authorization", "Bearer m3trics-token")]);
    let refused = [("route", "/metrics"), ("outcome", "unauthorized")];
    assert_eq!(value(&s, "switchboard_webhook_requests", &refused), 4.0);

    // Without a token /metrics is open, and never asks for a Twilio signature.
    drop(serve);
    let open = ServeProcess::start(flows.path(), &[]);
    let (_, s) = scrape(&open, &[]);
    assert_eq!(value(&s, "switchboard_signature_rejections", &[]), 0.0);
}
