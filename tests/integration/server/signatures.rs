//! Signatures: Twilio's own fixture signatures, bad and tampered signatures, forwarded
//! headers, secondary tokens and shared keys, every vector of `tests/data/signatures.json`
//! (through the verification function and over HTTP), and the insecure mode.

use switchboard::engine::action_url;
use switchboard::form;
use switchboard::http::{Verification, verify_webhook};
use switchboard::signature::{self, Keys, Secret};

use crate::harness;
use crate::harness::server::{IVR, TOKEN, TestServer, keys};

#[test]
fn fixture_signatures_from_twilio_python_verify_verbatim() {
    // Signatures computed by twilio-python for https://ivr.example.com (webhooks/README.md):
    // they check the URL the server rebuilds, independently of our own `sign`.
    let s = TestServer::builder().public_url(IVR).start();
    for (file, target, sig) in [
        ("incoming-call", "/voice", "bpcVev1+GWUH8Y9Z2lUvUseuTh4="),
        (
            "gather-digits",
            "/voice/acme/menu?attempt=1",
            "edH8MW7slJKA/jKW4ul35EOf/6E=",
        ),
        (
            "gather-speech",
            "/voice/acme/menu?attempt=1",
            "8Pxvy0e/zg1c1DmIkwG3OfHKY1E=",
        ),
        (
            "gather-timeout",
            "/voice/acme/menu?attempt=1",
            "AsGDY/XWpDBqWfFhsIaKiY0jDjc=",
        ),
    ] {
        let body = harness::webhook(file);
        s.post_signed(target, &body, sig, &[]).twiml();
    }
    assert_eq!(s.counter("signature_rejections"), 0);
}

#[test]
fn bad_signatures_get_403_and_are_logged_without_secrets() {
    let s = TestServer::builder().public_url(IVR).start();
    let body = harness::webhook("incoming-call");
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let good = s.sign("https://ivr.example.com/voice", &body);

    let r = s.request("POST", "/voice", &form, body.as_bytes());
    assert_eq!(
        (r.status, r.body.as_str()),
        (403, "missing X-Twilio-Signature\n")
    );
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));

    let with_sig = |sig: &str, target: &str, body: &str| s.post_signed(target, body, sig, &[]);
    // Wrong token.
    let other = signature::sign(
        &Secret::new("not-the-token"),
        "https://ivr.example.com/voice",
        &form::parse(body.as_bytes()).unwrap(),
    );
    assert_eq!(with_sig(&other, "/voice", &body).status, 403);
    // Garbage.
    assert_eq!(with_sig("AAAA", "/voice", &body).status, 403);
    // A parameter changed after signing.
    let tampered = body.replace("To=%2B14155550100", "To=%2B14155550101");
    assert_eq!(with_sig(&good, "/voice", &tampered).status, 403);
    // State in the URL changed after signing (a signature for /voice/acme/menu?k=m&n=1).
    let state_sig = s.sign("https://ivr.example.com/voice/acme/menu?k=m&n=1", &body);
    assert_eq!(
        with_sig(&state_sig, "/voice/acme/menu?k=m&n=3", &body).status,
        403
    );
    assert_eq!(
        with_sig(&state_sig, "/voice/acme/menu?k=m&n=1", &body).status,
        200
    );

    assert_eq!(s.counter("signature_rejections"), 5);
    let logs = s.logs.text();
    assert!(logs.contains("signature check failed"), "{logs}");
    for secret in [TOKEN, good.as_str(), other.as_str(), state_sig.as_str()] {
        assert!(!logs.contains(secret), "log leaks {secret}");
    }
    // The query (call state) is not logged either.
    assert!(!logs.contains("n=3"), "{logs}");
}

#[test]
fn a_flood_of_forged_requests_is_counted_not_logged_line_by_line() {
    let s = TestServer::builder().start();
    let body = harness::webhook("incoming-call");
    const FORGED: u64 = 300;
    for _ in 0..FORGED {
        assert_eq!(s.post_signed("/voice", &body, "AAAA", &[]).status, 403);
    }
    assert_eq!(s.counter("signature_rejections"), FORGED);
    let lines = s
        .logs
        .lines()
        .into_iter()
        .filter(|l| l["message"] == "signature check failed")
        .count();
    // A few lines per second, however many requests; 300 requests take well under the
    // seconds that would let 300 lines through.
    assert!((1..FORGED as usize / 2).contains(&lines), "{lines} lines");
}

#[test]
fn forwarded_headers_are_ignored_unless_trusted() {
    let body = harness::webhook("incoming-call");
    let sig = signature::sign(
        &Secret::new(TOKEN),
        "https://ivr.example.com/voice",
        &form::parse(body.as_bytes()).unwrap(),
    );
    let headers = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("X-Twilio-Signature", sig.as_str()),
        ("X-Forwarded-Proto", "https"),
        ("X-Forwarded-Host", "ivr.example.com"),
    ];
    let s = TestServer::builder().start();
    assert_eq!(
        s.request("POST", "/voice", &headers, body.as_bytes())
            .status,
        403
    );
    let s = TestServer::builder()
        .with(|c| c.trust_forwarded = true)
        .start();
    s.request("POST", "/voice", &headers, body.as_bytes())
        .twiml();
}

#[test]
fn secondary_token_and_shared_keys_are_accepted() {
    let s = TestServer::builder()
        .public_url(IVR)
        .with(|c| {
            c.verification = Verification::Required(Keys {
                auth_tokens: vec![Secret::new(TOKEN), Secret::new("the-new-token")],
                shared_keys: vec![("KS0123".into(), Secret::new("shared-secret"))],
            })
        })
        .start();
    let body = harness::webhook("status-completed");
    let params = form::parse(body.as_bytes()).unwrap();
    let url = "https://ivr.example.com/status";

    let sig = signature::sign(&Secret::new("the-new-token"), url, &params);
    let r = s.post_signed("/status", &body, &sig, &[]);
    assert_eq!(r.status, 204);

    let settings = (
        "X-Twilio-Webhooks-Signature-Settings",
        "key=KS0123,algorithm=HMAC_SHA256",
    );
    let sig = signature::sign_sha256(&Secret::new("shared-secret"), url, &params);
    let r = s.post_signed("/status", &body, &sig, &[settings]);
    assert_eq!(r.status, 204);
    // A SHA-1 signature where the settings header says SHA-256.
    let sig = signature::sign(&Secret::new(TOKEN), url, &params);
    let r = s.post_signed("/status", &body, &sig, &[settings]);
    assert_eq!(r.status, 403);
}

#[derive(serde::Deserialize)]
struct Vector {
    name: String,
    auth_token: String,
    algorithm: String,
    url: String,
    method: String,
    content_type: String,
    body: String,
    signature: String,
    valid: bool,
}

const SHARED_KEY_ID: &str = "KS0123456789abcdef0123456789abcdef";

fn vectors() -> Vec<Vector> {
    let text = std::fs::read_to_string(harness::data("signatures.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// `scheme://authority` and the request-target of a vector's URL.
fn split_url(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").unwrap() + 3;
    let cut = url[after_scheme..]
        .find(['/', '?'])
        .map_or(url.len(), |i| after_scheme + i);
    (&url[..cut], &url[cut..])
}

fn vector_headers(v: &Vector) -> Vec<(&'static str, String)> {
    let mut h = Vec::new();
    if !v.content_type.is_empty() {
        h.push(("content-type", v.content_type.clone()));
    }
    if !v.signature.is_empty() {
        h.push(("x-twilio-signature", v.signature.clone()));
    }
    if v.algorithm == "HMAC_SHA256" {
        h.push((
            "x-twilio-webhooks-signature-settings",
            format!("key={SHARED_KEY_ID},algorithm=HMAC_SHA256"),
        ));
    }
    h
}

/// Every vector through the function the handler calls, with the URL split the way the
/// server splits it: base (public URL) + raw request-target.
#[test]
fn every_signature_vector_through_the_servers_verification() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 52);
    let mut failures = Vec::new();
    for v in &vectors {
        let keys = if v.algorithm == "HMAC_SHA256" {
            Keys {
                auth_tokens: vec![Secret::new("unrelated-auth-token")],
                shared_keys: vec![(SHARED_KEY_ID.into(), Secret::new(&v.auth_token))],
            }
        } else {
            keys(&[&v.auth_token])
        };
        let mut headers = hyper::HeaderMap::new();
        for (k, val) in vector_headers(v) {
            headers.insert(k, val.parse().unwrap());
        }
        let (base, target) = split_url(&v.url);
        let method: hyper::Method = v.method.parse().unwrap();
        let got = verify_webhook(&keys, base, target, &method, &headers, v.body.as_bytes());
        if got.is_ok() != v.valid {
            failures.push(format!(
                "{}: expected valid={}, got {got:?}",
                v.name, v.valid
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The vectors whose path is a webhook endpoint, over real sockets. The server trusts
/// forwarded headers, so each request states the scheme and host its vector was signed for.
#[test]
fn signature_vectors_over_http() {
    let s = TestServer::builder()
        .with(|c| c.trust_forwarded = true)
        .start();
    let mut sent = 0;
    for v in vectors() {
        let (base, target) = split_url(&v.url);
        let path = target.split('?').next().unwrap();
        let routed = action_url::parse_path(path).is_some();
        let kind_ok = v.method == "GET" || v.content_type == "application/x-www-form-urlencoded";
        if !routed || !kind_ok || v.auth_token != TOKEN || v.algorithm != "HMAC_SHA1" {
            continue;
        }
        let (proto, host) = base.split_once("://").unwrap();
        let mut headers: Vec<(&str, String)> = vector_headers(&v);
        headers.push(("x-forwarded-proto", proto.to_owned()));
        headers.push(("x-forwarded-host", host.to_owned()));
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = s.request(&v.method, target, &headers, v.body.as_bytes());
        let expected = if v.valid { 200 } else { 403 };
        assert_eq!(r.status, expected, "{}: {r:?}", v.name);
        sent += 1;
    }
    assert!(sent >= 20, "only {sent} vectors went over HTTP");
}

#[test]
fn insecure_mode_accepts_unsigned_requests() {
    let s = TestServer::builder()
        .with(|c| c.verification = Verification::InsecureSkip)
        .start();
    let body = harness::webhook("incoming-call");
    let r = s.request(
        "POST",
        "/voice",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    );
    r.twiml();
    assert_eq!(s.readyz()["signature_verification"], false);
}
