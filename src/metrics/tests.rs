use std::time::Duration;

use super::atomic::Histogram;
use super::*;

fn ms(v: f64) -> Duration {
    Duration::from_secs_f64(v / 1000.0)
}

#[test]
fn histogram_buckets_hold_their_bounds() {
    let h = Histogram::default();
    // (observation, index of the bucket it lands in); `le` is inclusive.
    let cases = [
        (Duration::ZERO, 0),
        (ms(0.5), 0),
        (ms(0.5) + Duration::from_nanos(1), 1),
        (ms(1.0), 1),
        (ms(3.0), 3),
        (ms(100.0), 7),
        (Duration::from_secs(15), 14),
        (Duration::from_secs(15) + Duration::from_nanos(1), 15),
        (Duration::from_secs(3600), 15),
    ];
    for (d, _) in cases {
        h.observe(d);
    }
    let (buckets, sum, count) = h.snapshot();
    assert_eq!(buckets.len(), LATENCY_BUCKETS.len() + 1);
    assert_eq!(buckets[0].0, 0.0005);
    assert_eq!(buckets[14].0, 15.0);
    assert!(buckets[15].0.is_infinite());
    let mut expected = [0u64; 16];
    for (_, i) in cases {
        expected[i] += 1;
    }
    let got: Vec<u64> = buckets.iter().map(|(_, n)| *n).collect();
    assert_eq!(got, expected);
    assert_eq!(count, cases.len() as u64);
    let want: f64 = cases.iter().map(|(d, _)| d.as_secs_f64()).sum();
    assert!((sum - want).abs() < 1e-6, "{sum} vs {want}");
}

#[test]
fn bounds_are_increasing_and_end_at_twilios_timeout() {
    assert!(LATENCY_BUCKETS.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(LATENCY_BUCKETS[0], 0.0005);
    assert_eq!(LATENCY_BUCKETS[LATENCY_BUCKETS.len() - 1], 15.0);
}

fn scrape() -> Scrape<'static> {
    Scrape {
        flow_set_version: "abc123def456",
        flows: 2,
        ..Scrape::default()
    }
}

/// The value of the sample line `name{labels}` (exact text) in classic output.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn flows_outside_the_set_count_as_other() {
    let m = Metrics::new();
    m.serving(["acme", "support"]);
    m.call(Some("acme"));
    m.call(Some("acme"));
    m.call(Some("+14155550100"));
    m.call(None);
    m.menu("support", Menu::Invalid);
    m.dial("acme", "no-answer");
    m.dial("acme", "CA0123456789abcdef0123456789abcdef");
    let t = m.encode(&scrape(), false).unwrap();
    assert_eq!(
        sample(&t, r#"switchboard_calls_total{flow="acme"}"#),
        Some(2.0)
    );
    assert_eq!(
        sample(&t, r#"switchboard_calls_total{flow="other"}"#),
        Some(1.0)
    );
    assert_eq!(
        sample(&t, r#"switchboard_calls_total{flow="no_flow"}"#),
        Some(1.0)
    );
    assert_eq!(
        sample(&t, r#"switchboard_calls_total{flow="support"}"#),
        Some(0.0)
    );
    let menu = r#"switchboard_menu_outcomes_total{flow="support",outcome="invalid"}"#;
    assert_eq!(sample(&t, menu), Some(1.0));
    let dial = r#"switchboard_dial_outcomes_total{flow="acme",status="no-answer"}"#;
    assert_eq!(sample(&t, dial), Some(1.0));
    let dial = r#"switchboard_dial_outcomes_total{flow="acme",status="other"}"#;
    assert_eq!(sample(&t, dial), Some(1.0));
    assert!(!t.contains("+1415") && !t.contains("CA0123"), "{t}");

    // A reload keeps the counters of flows that stay, drops the others.
    m.serving(["acme", "billing"]);
    m.call(Some("support"));
    let t = m.encode(&scrape(), false).unwrap();
    assert_eq!(
        sample(&t, r#"switchboard_calls_total{flow="acme"}"#),
        Some(2.0)
    );
    assert_eq!(
        sample(&t, r#"switchboard_calls_total{flow="billing"}"#),
        Some(0.0)
    );
    assert_eq!(
        sample(&t, r#"switchboard_calls_total{flow="other"}"#),
        Some(2.0)
    );
    assert!(!t.contains(r#"flow="support""#), "{t}");
}

#[test]
fn notifications_by_channel_and_result() {
    let m = Metrics::new();
    m.notification("ops-email", "retry");
    m.notification("ops-email", "retry");
    m.notification("ops-email", "delivered");
    m.notification("slack-support", "failed");
    m.notification("slack-support", "weird");
    let t = m.encode(&scrape(), false).unwrap();
    let s = |c: &str, r: &str| {
        sample(
            &t,
            &format!(r#"switchboard_notifications_total{{channel="{c}",result="{r}"}}"#),
        )
    };
    assert_eq!(s("ops-email", "retry"), Some(2.0));
    assert_eq!(s("ops-email", "delivered"), Some(1.0));
    assert_eq!(s("slack-support", "failed"), Some(1.0));
    assert_eq!(s("slack-support", "other"), Some(1.0));

    // Past the cap, channels share `other`.
    let m = Metrics::new();
    for i in 0..MAX_CHANNELS + 3 {
        m.notification(&format!("c{i}"), "delivered");
    }
    let t = m.encode(&scrape(), false).unwrap();
    let series = t
        .lines()
        .filter(|l| l.starts_with("switchboard_notifications_total{"))
        .count();
    assert_eq!(series, MAX_CHANNELS + 1);
    let other = r#"switchboard_notifications_total{channel="other",result="delivered"}"#;
    assert_eq!(sample(&t, other), Some(3.0));
}

#[test]
fn both_formats_come_from_the_encoder() {
    let m = Metrics::new();
    m.webhook(Route::Voice, Outcome::Answered, ms(2.0));
    m.signature_rejected();
    let om = m.encode(&scrape(), true).unwrap();
    assert!(om.ends_with("# EOF\n"), "{om}");
    assert!(
        om.contains("# TYPE switchboard_webhook_requests counter"),
        "{om}"
    );
    let classic = m.encode(&scrape(), false).unwrap();
    assert!(!classic.contains("# EOF"), "{classic}");
    assert!(classic.contains("# TYPE switchboard_webhook_requests_total counter"));
    for t in [&om, &classic] {
        let line = r#"switchboard_webhook_requests_total{route="/voice",outcome="answered"} 1"#;
        assert!(t.contains(line), "{t}");
        // The two encoders order a bucket's labels differently.
        let bucket = t.lines().find(|l| {
            l.starts_with("switchboard_webhook_duration_seconds_bucket{")
                && l.contains(r#"le="0.0025""#)
                && l.contains(r#"route="/voice""#)
        });
        assert!(bucket.is_some_and(|l| l.ends_with("} 1")), "{t}");
        assert!(
            t.contains("switchboard_signature_rejections_total 1"),
            "{t}"
        );
        assert!(t.contains(r#"switchboard_flow_set_info{version="abc123def456"} 1"#));
    }
}

#[test]
fn statuses_map_to_outcomes() {
    let cases = [
        (200, Outcome::Answered),
        (204, Outcome::Answered),
        (400, Outcome::BadRequest),
        (401, Outcome::Unauthorized),
        (403, Outcome::Forbidden),
        (404, Outcome::NotFound),
        (408, Outcome::Timeout),
        (413, Outcome::TooLarge),
        (431, Outcome::Error),
        (503, Outcome::Unavailable),
        (500, Outcome::Error),
    ];
    for (status, outcome) in cases {
        assert_eq!(Outcome::of_status(status), outcome, "{status}");
    }
    assert_eq!(Route::Continue.as_str(), "/voice/{flow}/{step}");
    assert_eq!(Outcome::Error.as_str(), "error");
    assert_eq!(Menu::NoInput.as_str(), "no_input");
}
