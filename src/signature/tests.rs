//! Verification against the SDK-checked vectors, the worked example, URL candidates, key
//! rotation and hostile input.

use super::url::url_candidates;
use super::verify::{form_pairs, form_suffix, hex_lower, query_values};
use super::*;
use sha2::Sha256;
use std::collections::BTreeMap;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/signatures.json");
const SHARED_KEY_ID: &str = "KS0123456789abcdef0123456789abcdef";

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Vector {
    name: String,
    auth_token: String,
    algorithm: String,
    url: String,
    method: String,
    content_type: String,
    body: String,
    params: BTreeMap<String, Vec<String>>,
    signature: String,
    valid: bool,
}

fn load_vectors() -> Vec<Vector> {
    let text =
        std::fs::read_to_string(VECTORS).unwrap_or_else(|e| panic!("cannot read {VECTORS}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("cannot parse {VECTORS}: {e}"))
}

fn run_vector(v: &Vector) -> Result<(), Rejection> {
    let sha256 = match v.algorithm.as_str() {
        "HMAC_SHA1" => false,
        "HMAC_SHA256" => true,
        other => panic!("{}: unknown algorithm {other}", v.name),
    };
    let settings = format!("key={SHARED_KEY_ID},algorithm=HMAC_SHA256");
    let keys = if sha256 {
        // An unrelated auth token is configured too, as it would be in production.
        Keys {
            auth_tokens: vec![Secret::new("unrelated-auth-token")],
            shared_keys: vec![(SHARED_KEY_ID.to_owned(), Secret::new(&v.auth_token))],
        }
    } else {
        Keys {
            auth_tokens: vec![Secret::new(&v.auth_token)],
            shared_keys: vec![],
        }
    };
    let req = Request {
        url: &v.url,
        method: &v.method,
        content_type: Some(v.content_type.as_str()).filter(|s| !s.is_empty()),
        body: v.body.as_bytes(),
        signature: Some(v.signature.as_str()).filter(|s| !s.is_empty()),
        signature_settings: sha256.then_some(settings.as_str()),
    };
    verify(&keys, &req)
}

#[test]
fn all_vectors() {
    let vectors = load_vectors();
    assert_eq!(vectors.len(), 52, "signatures.json should hold 52 vectors");
    let failures: Vec<String> = vectors
        .iter()
        .filter_map(|v| {
            let got = run_vector(v);
            (got.is_ok() != v.valid)
                .then(|| format!("{} (expected valid={}, got {got:?})", v.name, v.valid))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} failing vectors:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The decoder agrees with the `params` Python decoded for each form vector.
#[test]
fn vector_params_match_decoder() {
    for v in load_vectors() {
        if v.method != "POST" || v.content_type != "application/x-www-form-urlencoded" {
            continue;
        }
        let got = form_pairs(v.body.as_bytes()).expect(&v.name);
        let mut want: Vec<(String, String)> = v
            .params
            .iter()
            .flat_map(|(k, vals)| vals.iter().map(move |val| (k.clone(), val.clone())))
            .collect();
        want.sort();
        want.dedup();
        assert_eq!(got, want, "{}", v.name);
    }
}

fn form_request<'a>(url: &'a str, body: &'a str, signature: &'a str) -> Request<'a> {
    Request {
        url,
        method: "POST",
        content_type: Some("application/x-www-form-urlencoded"),
        body: body.as_bytes(),
        signature: Some(signature),
        signature_settings: None,
    }
}

fn token_keys(tokens: &[&str]) -> Keys {
    Keys {
        auth_tokens: tokens.iter().map(|t| Secret::new(*t)).collect(),
        shared_keys: vec![],
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

// §1.2 worked example.
const EX_URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
const EX_BODY: &str = "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212";
const EX_SIGNED: &str = "https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+14158675309Digits1234From+14158675309To+18005551212";
const EX_SIG: &str = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

#[test]
fn worked_example() {
    let suffix = form_suffix(EX_BODY.as_bytes()).unwrap();
    assert_eq!([EX_URL, &suffix].concat(), EX_SIGNED);

    let params = pairs(&[
        ("To", "+18005551212"),
        ("CallSid", "CA1234567890ABCDE"),
        ("Digits", "1234"),
        ("Caller", "+14158675309"),
        ("From", "+14158675309"),
    ]);
    assert_eq!(sign(&Secret::new("12345"), EX_URL, &params), EX_SIG);
    // HMAC over the literal signed string from the reference gives the same value.
    assert_eq!(sign(&Secret::new("12345"), EX_SIGNED, &[]), EX_SIG);

    let keys = token_keys(&["12345"]);
    assert_eq!(
        verify(&keys, &form_request(EX_URL, EX_BODY, EX_SIG)),
        Ok(())
    );
    let tampered = EX_BODY.replace("Digits=1234", "Digits=1235");
    assert_eq!(
        verify(&keys, &form_request(EX_URL, &tampered, EX_SIG)),
        Err(Rejection::Mismatch)
    );
}

#[test]
fn port_candidate_table() {
    // (request URL, URL Twilio signed) from §1.3: all must be accepted.
    let table = [
        ("https://h/p", "https://h:443/p"),
        ("https://h:443/p", "https://h/p"),
        ("https://h:1234/p", "https://h/p"),
        ("http://h:1234/p", "http://h:1234/p"),
        ("http://h/p", "http://h:80/p"),
    ];
    let keys = token_keys(&["12345"]);
    for (request_url, signed_url) in table {
        let cands = url_candidates(request_url).to_strings();
        assert!(
            cands.iter().any(|c| c == signed_url),
            "{request_url}: {cands:?}"
        );
        let sig = sign(&Secret::new("12345"), signed_url, &[]);
        let req = Request {
            url: request_url,
            method: "GET",
            content_type: None,
            body: b"",
            signature: Some(&sig),
            signature_settings: None,
        };
        assert_eq!(
            verify(&keys, &req),
            Ok(()),
            "{request_url} signed as {signed_url}"
        );
    }
}

#[test]
fn candidates_parse_the_authority() {
    let cases: &[(&str, &[&str])] = &[
        ("https://h/p", &["https://h/p", "https://h:443/p"]),
        ("http://h/p", &["http://h/p", "http://h:80/p"]),
        ("HTTPS://h/p", &["HTTPS://h/p", "HTTPS://h:443/p"]),
        ("https://h:443/p", &["https://h:443/p", "https://h/p"]),
        ("http://h:1234/p", &["http://h:1234/p", "http://h/p"]),
        // Userinfo: its ':' is not a port separator, and it is kept as it stands.
        (
            "https://user:pass@h/p?q=1",
            &["https://user:pass@h/p?q=1", "https://user:pass@h:443/p?q=1"],
        ),
        (
            "https://user:pass@h:8443/p",
            &["https://user:pass@h:8443/p", "https://user:pass@h/p"],
        ),
        (
            "https://user@h/p",
            &["https://user@h/p", "https://user@h:443/p"],
        ),
        // IPv6 literals.
        (
            "http://[::1]:8080/p",
            &["http://[::1]:8080/p", "http://[::1]/p"],
        ),
        (
            "https://[2001:db8::1]/p",
            &["https://[2001:db8::1]/p", "https://[2001:db8::1]:443/p"],
        ),
        (
            "https://u:p@[::1]:443/p",
            &["https://u:p@[::1]:443/p", "https://u:p@[::1]/p"],
        ),
        // No path; colons and '@' in the query or path are not part of the authority.
        ("https://h", &["https://h", "https://h:443"]),
        ("https://h:443", &["https://h:443", "https://h"]),
        (
            "https://h?x=a:b@c",
            &["https://h?x=a:b@c", "https://h:443?x=a:b@c"],
        ),
        (
            "https://h/a:b/c@d",
            &["https://h/a:b/c@d", "https://h:443/a:b/c@d"],
        ),
        ("https://h#f:1", &["https://h#f:1", "https://h:443#f:1"]),
        // Unparseable authorities yield only the URL itself.
        ("not a url", &["not a url"]),
        ("/voice?x=http://h:1/", &["/voice?x=http://h:1/"]),
        ("https://[::1/p", &["https://[::1/p"]),
        ("https://[::1]x/p", &["https://[::1]x/p"]),
        ("https://h:12a/p", &["https://h:12a/p"]),
        ("https://h:1:2/p", &["https://h:1:2/p"]),
        ("", &[""]),
    ];
    for (url, want) in cases {
        assert_eq!(url_candidates(url).to_strings(), *want, "{url}");
    }
}

#[test]
fn secondary_token_rotation() {
    let keys = token_keys(&["primary-token", "secondary-token"]);
    let params = pairs(&[("CallSid", "CA1"), ("Digits", "5")]);
    let body = "CallSid=CA1&Digits=5";
    for token in ["primary-token", "secondary-token"] {
        let sig = sign(&Secret::new(token), EX_URL, &params);
        assert_eq!(
            verify(&keys, &form_request(EX_URL, body, &sig)),
            Ok(()),
            "{token}"
        );
    }
    let sig = sign(&Secret::new("retired-token"), EX_URL, &params);
    assert_eq!(
        verify(&keys, &form_request(EX_URL, body, &sig)),
        Err(Rejection::Mismatch)
    );
}

#[test]
fn empty_secrets_are_never_used() {
    let sig = sign(&Secret::new(""), EX_URL, &[]);
    let req = Request {
        url: EX_URL,
        method: "GET",
        content_type: None,
        body: b"",
        signature: Some(&sig),
        signature_settings: None,
    };
    assert_eq!(verify(&token_keys(&[""]), &req), Err(Rejection::NoKeys));
    assert_eq!(verify(&Keys::default(), &req), Err(Rejection::NoKeys));
    assert_eq!(
        verify(&token_keys(&["", "real"]), &req),
        Err(Rejection::Mismatch)
    );
    let shared = Keys {
        auth_tokens: vec![],
        shared_keys: vec![("KS1".into(), Secret::new(""))],
    };
    let sig256 = sign_sha256(&Secret::new(""), EX_URL, &[]);
    let req = Request {
        signature: Some(&sig256),
        signature_settings: Some("key=KS1,algorithm=HMAC_SHA256"),
        ..req
    };
    assert_eq!(
        verify(&shared, &req),
        Err(Rejection::UnknownSharedKey("KS1".into()))
    );
}

#[test]
fn sign_round_trips_through_verify() {
    let params = pairs(&[
        ("Digits", "5678"),
        ("Digits", "1234"),
        ("Digits", "1234"),
        ("SpeechResult", "Café 🎉 naïve + 100% sure & done = yes"),
        ("FromCity", ""),
        ("B", "x"),
        ("a", "y"),
        ("", "empty key"),
    ]);
    let body = serde_urlencoded::to_string(&params).unwrap();
    let url = "https://ivr.example.com/voice/acme/menu?attempt=2&v.account=123";
    let keys = Keys {
        auth_tokens: vec![Secret::new("tok")],
        shared_keys: vec![("KS1".into(), Secret::new("shh"))],
    };

    let sig = sign(&Secret::new("tok"), url, &params);
    assert_eq!(verify(&keys, &form_request(url, &body, &sig)), Ok(()));

    let sig256 = sign_sha256(&Secret::new("shh"), url, &params);
    assert_eq!(sig256.len(), 44);
    let req = Request {
        signature: Some(&sig256),
        signature_settings: Some(" key = KS1 , algorithm = HMAC_SHA256 "),
        ..form_request(url, &body, "")
    };
    assert_eq!(verify(&keys, &req), Ok(()));
    // A SHA-256 signature without the settings header is checked as SHA-1 and fails.
    let req = Request {
        signature_settings: None,
        ..req
    };
    assert_eq!(verify(&keys, &req), Err(Rejection::Mismatch));

    // The order of pairs in the body does not matter; their content does.
    let mut reversed = params.clone();
    reversed.reverse();
    let body = serde_urlencoded::to_string(&reversed).unwrap();
    assert_eq!(verify(&keys, &form_request(url, &body, &sig)), Ok(()));
    let body = format!("{body}&Extra=1");
    assert_eq!(
        verify(&keys, &form_request(url, &body, &sig)),
        Err(Rejection::Mismatch)
    );
}

#[test]
fn secrets_are_redacted() {
    let keys = Keys {
        auth_tokens: vec![
            Secret::new("TOKEN-PRIMARY-0001"),
            Secret::new("TOKEN-SECONDARY-0002"),
        ],
        shared_keys: vec![("KS1".into(), Secret::new("SHARED-SECRET-0003"))],
    };
    let printed = [
        format!("{keys:?}"),
        format!("{keys:#?}"),
        format!("{}", keys.auth_tokens[0]),
        format!("{:?}", keys.shared_keys[0]),
    ];
    for text in &printed {
        for secret in ["TOKEN-PRIMARY", "TOKEN-SECONDARY", "SHARED-SECRET"] {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
        assert!(text.contains("[redacted]"), "{text}");
    }
    // Rejections never carry the secret or the signature either.
    let sig = sign(&Secret::new("SHARED-SECRET-0003"), EX_URL, &[]);
    for settings in [
        "key=nope,algorithm=HMAC_SHA256",
        "key=KS1,algorithm=HMAC_MD5",
        "",
    ] {
        let req = Request {
            url: EX_URL,
            method: "GET",
            content_type: None,
            body: b"",
            signature: Some(&sig),
            signature_settings: Some(settings),
        };
        let err = verify(&keys, &req).unwrap_err();
        for text in [
            format!("{err}"),
            format!("{err:?}"),
            err.reason().to_owned(),
        ] {
            assert!(
                !text.contains("SHARED-SECRET") && !text.contains(&sig),
                "{text}"
            );
        }
    }
}

fn get_request<'a>(signature: &'a str, settings: Option<&'a str>) -> Request<'a> {
    Request {
        url: EX_URL,
        method: "GET",
        content_type: None,
        body: b"",
        signature: Some(signature),
        signature_settings: settings,
    }
}

#[test]
fn unknown_algorithm_is_rejected() {
    let keys = Keys {
        auth_tokens: vec![Secret::new("tok")],
        shared_keys: vec![("KS1".into(), Secret::new("shh"))],
    };
    let sig = sign(&Secret::new("tok"), EX_URL, &[]);
    for (settings, algorithm) in [
        ("key=KS1,algorithm=HMAC_SHA512", "HMAC_SHA512"),
        ("algorithm=HMAC_SHA1", "HMAC_SHA1"),
        ("key=KS1,algorithm=hmac_sha256", "hmac_sha256"),
        ("key=KS1,algorithm=", ""),
        ("algorithm=HMAC_SHA256,algorithm=NONE", "NONE"),
    ] {
        assert_eq!(
            verify(&keys, &get_request(&sig, Some(settings))),
            Err(Rejection::UnknownAlgorithm(algorithm.into())),
            "{settings}"
        );
    }
    // Long, hostile values are clipped (on a char boundary) and escaped when displayed.
    let long = format!("{}\n{}", "é".repeat(40), "X".repeat(100));
    let settings = format!("algorithm={long}");
    let err = verify(&keys, &get_request(&sig, Some(&settings))).unwrap_err();
    let Rejection::UnknownAlgorithm(kept) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(kept, &"é".repeat(32));
    assert!(!err.to_string().contains('\n'));
    assert_eq!(err.reason(), "unknown signature algorithm");
}

#[test]
fn settings_without_algorithm_mean_sha1() {
    let keys = token_keys(&["tok"]);
    let sig = sign(&Secret::new("tok"), EX_URL, &[]);
    for settings in [None, Some(""), Some("key=KS1"), Some("junk,,=x")] {
        assert_eq!(
            verify(&keys, &get_request(&sig, settings)),
            Ok(()),
            "{settings:?}"
        );
    }
}

#[test]
fn missing_shared_key_is_rejected() {
    let sig = sign_sha256(&Secret::new("shh"), EX_URL, &[]);
    let one_key = Keys {
        auth_tokens: vec![Secret::new("tok")],
        shared_keys: vec![("KS1".into(), Secret::new("shh"))],
    };
    // Even with a single shared key configured, the id must match.
    assert_eq!(
        verify(
            &one_key,
            &get_request(&sig, Some("key=KS2,algorithm=HMAC_SHA256"))
        ),
        Err(Rejection::UnknownSharedKey("KS2".into()))
    );
    assert_eq!(
        verify(&one_key, &get_request(&sig, Some("algorithm=HMAC_SHA256"))),
        Err(Rejection::UnknownSharedKey(String::new()))
    );
    assert_eq!(
        verify(
            &token_keys(&["tok"]),
            &get_request(&sig, Some("key=KS1,algorithm=HMAC_SHA256"))
        ),
        Err(Rejection::UnknownSharedKey("KS1".into()))
    );
    assert_eq!(
        verify(
            &one_key,
            &get_request(&sig, Some("key=KS1,algorithm=HMAC_SHA256"))
        ),
        Ok(())
    );
    // Two secrets under one id (rotation): both are tried.
    let rotating = Keys {
        auth_tokens: vec![],
        shared_keys: vec![
            ("KS1".into(), Secret::new("old")),
            ("KS1".into(), Secret::new("shh")),
        ],
    };
    assert_eq!(
        verify(
            &rotating,
            &get_request(&sig, Some("key=KS1,algorithm=HMAC_SHA256"))
        ),
        Ok(())
    );
}

#[test]
fn missing_or_malformed_signature() {
    let keys = token_keys(&["tok"]);
    let good = sign(&Secret::new("tok"), EX_URL, &[]);
    let mut req = get_request(&good, None);
    assert_eq!(verify(&keys, &req), Ok(()));
    req.signature = None;
    assert_eq!(verify(&keys, &req), Err(Rejection::MissingSignature));
    req.signature = Some("");
    assert_eq!(verify(&keys, &req), Err(Rejection::MissingSignature));
    let unpadded = good.trim_end_matches('=');
    let spaced = format!(" {good}");
    let sha256_len = "A".repeat(43) + "=";
    let not_b64 = "!".repeat(27) + "=";
    for bad in [unpadded, &good[..24], &spaced, &sha256_len, &not_b64] {
        req.signature = Some(bad);
        assert_eq!(verify(&keys, &req), Err(Rejection::Mismatch), "{bad:?}");
    }
}

#[test]
fn json_body_needs_body_sha256() {
    let keys = token_keys(&["tok"]);
    let body = br#"{"CallStatus":"completed"}"#;
    let hash = hex_lower(<Sha256 as sha2::Digest>::digest(body).as_slice());
    let hash = std::str::from_utf8(&hash).unwrap();

    // With bodySHA256: the URL alone is signed and the body is bound by the hash.
    let url = format!("https://h/events?bodySHA256={hash}");
    let sig = sign(&Secret::new("tok"), &url, &[]);
    let req = Request {
        url: &url,
        method: "POST",
        content_type: Some("application/json"),
        body,
        signature: Some(&sig),
        signature_settings: None,
    };
    assert_eq!(verify(&keys, &req), Ok(()));
    // bodySHA256 takes precedence over a form content type.
    let as_form = Request {
        content_type: Some("application/x-www-form-urlencoded"),
        ..req
    };
    assert_eq!(verify(&keys, &as_form), Ok(()));
    let tampered = Request {
        body: br#"{"CallStatus":"failed"}"#,
        ..req
    };
    assert_eq!(verify(&keys, &tampered), Err(Rejection::BodyHashMismatch));
    // Uppercase hex is not what Twilio sends (§1.5).
    let upper_url = format!("https://h/events?bodySHA256={}", hash.to_uppercase());
    let upper_sig = sign(&Secret::new("tok"), &upper_url, &[]);
    let upper = Request {
        url: &upper_url,
        signature: Some(&upper_sig),
        ..req
    };
    assert_eq!(verify(&keys, &upper), Err(Rejection::BodyHashMismatch));

    // Without bodySHA256 the body would be unauthenticated: an attacker replaying a signed
    // URL could attach any JSON. It must not be accepted, even with a valid URL signature.
    let bare_url = "https://h/events";
    let bare_sig = sign(&Secret::new("tok"), bare_url, &[]);
    let unsigned = Request {
        url: bare_url,
        signature: Some(&bare_sig),
        ..req
    };
    assert_eq!(verify(&keys, &unsigned), Err(Rejection::BodyHashMismatch));
    // ... nor with no content type, nor on a GET; an empty body is fine.
    let no_ct = Request {
        content_type: None,
        ..unsigned
    };
    assert_eq!(verify(&keys, &no_ct), Err(Rejection::BodyHashMismatch));
    let get = Request {
        method: "GET",
        content_type: Some("application/x-www-form-urlencoded"),
        body: b"Digits=1",
        ..unsigned
    };
    assert_eq!(verify(&keys, &get), Err(Rejection::BodyHashMismatch));
    for empty in [no_ct, get, unsigned] {
        assert_eq!(verify(&keys, &Request { body: b"", ..empty }), Ok(()));
    }
}

#[test]
fn form_content_type_variants() {
    let keys = token_keys(&["12345"]);
    for ct in [
        "application/x-www-form-urlencoded; charset=UTF-8",
        "Application/X-WWW-Form-Urlencoded",
        " application/x-www-form-urlencoded ;charset=utf-8",
    ] {
        let req = Request {
            content_type: Some(ct),
            ..form_request(EX_URL, EX_BODY, EX_SIG)
        };
        assert_eq!(verify(&keys, &req), Ok(()), "{ct}");
    }
}

#[test]
fn form_decoding() {
    let decode = |body: &str| form_suffix(body.as_bytes());
    assert_eq!(decode("").unwrap(), "");
    assert_eq!(decode("b=2&&a=1&").unwrap(), "a1b2");
    assert_eq!(decode("k&j=").unwrap(), "jk");
    assert_eq!(decode("a=x+y%2B%20z%c3%a9").unwrap(), "ax y+ zé");
    assert_eq!(decode("a=b=c").unwrap(), "ab=c");
    assert_eq!(decode("é=%F0%9F%8E%89").unwrap(), "é🎉");
    // Keys are sorted first, then each key's distinct values (prefix keys stay apart).
    assert_eq!(
        decode("From=anonymous&FromCity=X&From=a&From=a").unwrap(),
        "FromaFromanonymousFromCityX"
    );
    for bad in [
        "a=%",
        "a=%2",
        "a=%zz",
        "a=%C3",
        "%C3=%A9",
        "a=%FF",
        "a=\u{0}%80",
    ] {
        assert_eq!(decode(bad), Err(Rejection::MalformedBody), "{bad}");
    }
    assert_eq!(
        form_suffix(b"a=\xff").map(|_| ()),
        Err(Rejection::MalformedBody)
    );
    let keys = token_keys(&["12345"]);
    assert_eq!(
        verify(&keys, &form_request(EX_URL, "Digits=%G1", EX_SIG)),
        Err(Rejection::MalformedBody)
    );
}

#[test]
fn rejection_text() {
    let all = [
        Rejection::MissingSignature,
        Rejection::Mismatch,
        Rejection::BodyHashMismatch,
        Rejection::MalformedBody,
        Rejection::UnknownAlgorithm("X".into()),
        Rejection::UnknownSharedKey("KS9".into()),
        Rejection::NoKeys,
    ];
    for r in &all {
        assert!(!r.reason().is_empty());
        assert!(r.to_string().starts_with(r.reason()));
    }
    assert_eq!(
        Rejection::UnknownSharedKey("KS9".into()).to_string(),
        "unknown shared key \"KS9\""
    );
    let _: &dyn std::error::Error = &Rejection::Mismatch;
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Concatenates random pieces: structural tokens plus random bytes (made UTF-8 lossily).
    fn text(&mut self, tokens: &[&str], max_pieces: usize) -> String {
        let mut out = String::new();
        for _ in 0..self.below(max_pieces + 1) {
            if self.below(4) == 0 {
                let bytes: Vec<u8> = (0..self.below(6)).map(|_| self.next() as u8).collect();
                out.push_str(&String::from_utf8_lossy(&bytes));
            } else {
                out.push_str(tokens[self.below(tokens.len())]);
            }
        }
        out
    }
}

#[test]
fn never_panics_on_random_input() {
    const URL_TOKENS: &[&str] = &[
        "https://",
        "http://",
        "://",
        "h",
        "example.com",
        ":",
        ":443",
        ":80",
        ":8080",
        "@",
        "user:pass@",
        "[",
        "]",
        "[::1]",
        "/",
        "/voice",
        "?",
        "&",
        "=",
        "#",
        "bodySHA256",
        "bodySHA256=",
        "%",
        "é",
        "🎉",
        "'",
        "+",
    ];
    const BODY_TOKENS: &[&str] = &[
        "&",
        "=",
        "+",
        "%",
        "%2B",
        "%C3",
        "%A9",
        "%zz",
        "%F0%9F%8E%89",
        "Digits",
        "From",
        "1",
        "é",
        "\u{0}",
        "",
    ];
    const SETTINGS_TOKENS: &[&str] = &[
        "key",
        "algorithm",
        "=",
        ",",
        " ",
        "HMAC_SHA256",
        "HMAC_SHA1",
        "KS1",
        "",
    ];
    const CONTENT_TYPES: &[Option<&str>] = &[
        None,
        Some("application/x-www-form-urlencoded"),
        Some("application/x-www-form-urlencoded; charset=utf-8"),
        Some("application/json"),
        Some(";;"),
        Some(""),
    ];
    let keys = Keys {
        auth_tokens: vec![Secret::new("tok"), Secret::new("")],
        shared_keys: vec![("KS1".into(), Secret::new("shh"))],
    };
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut accepted = 0;
    for i in 0..5000 {
        let url = rng.text(URL_TOKENS, 10);
        let body_text = rng.text(BODY_TOKENS, 12);
        let raw: Vec<u8> = (0..rng.below(16)).map(|_| rng.next() as u8).collect();
        let body = if rng.below(3) == 0 {
            &raw
        } else {
            body_text.as_bytes()
        };
        let settings = rng.text(SETTINGS_TOKENS, 6);
        let settings = (rng.below(3) > 0).then_some(settings.as_str());
        let b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
        let random_sig: String = (0..[0, 27, 28, 43, 44, 50][rng.below(6)])
            .map(|_| b64.as_bytes()[rng.below(b64.len())] as char)
            .collect();
        // Every fourth iteration carries a genuine signature over the URL alone, so the
        // accepting paths are exercised too.
        let sig = if i % 4 == 0 {
            sign(&Secret::new("tok"), &url, &[])
        } else {
            random_sig
        };
        let method = ["GET", "POST", "get", ""][rng.below(4)];
        let req = Request {
            url: &url,
            method,
            content_type: CONTENT_TYPES[rng.below(CONTENT_TYPES.len())],
            body,
            signature: Some(&sig),
            signature_settings: settings,
        };
        let result = verify(&keys, &req);
        if result.is_ok() {
            accepted += 1;
        }
        // A genuine URL-only signature on a bodiless GET must always verify (unless the URL
        // demands a body hash, which an empty body does not have).
        if i % 4 == 0 && query_values(&url, "bodySHA256").next().is_none() {
            let clean = Request {
                method: "GET",
                body: b"",
                signature_settings: None,
                ..req
            };
            assert_eq!(verify(&keys, &clean), Ok(()), "{url:?}");
        }
        let _ = url_candidates(&url).to_strings();
        let _ = form_suffix(body);
        // The server's path: the body decoded once by the form parser, handed over.
        if let Ok(params) = crate::form::parse_params(body) {
            assert_eq!(
                verify_decoded(&keys, &req, params.pairs()),
                result,
                "{url:?} {body:?}"
            );
        }
        let _ = result.map_err(|e| (e.to_string(), e.reason()));
    }
    assert!(accepted > 0);
}

#[test]
fn decoded_forms_verify_like_raw_bodies() {
    let keys = token_keys(&["12345"]);
    let good = form_request(EX_URL, EX_BODY, EX_SIG);
    let params = crate::form::parse_params(EX_BODY.as_bytes()).unwrap();
    assert_eq!(verify_decoded(&keys, &good, params.pairs()), Ok(()));
    // Order does not matter and duplicates count once, as for the raw body.
    let mut pairs: Vec<(&str, &str)> = params.pairs().collect();
    pairs.reverse();
    pairs.push(pairs[0]);
    assert_eq!(verify_decoded(&keys, &good, pairs.iter().copied()), Ok(()));
    // A parameter the body does not have is a mismatch.
    pairs.push(("Digits", "9"));
    assert_eq!(
        verify_decoded(&keys, &good, pairs.iter().copied()),
        Err(Rejection::Mismatch)
    );
}

#[test]
fn public_url_validation() {
    let ok = |s: &str| PublicUrl::parse(s).map(|p| p.as_str().to_owned());
    assert_eq!(
        ok("https://ivr.example.com/").unwrap(),
        "https://ivr.example.com"
    );
    assert_eq!(
        ok("https://example.com/ivr").unwrap(),
        "https://example.com/ivr"
    );
    assert_eq!(
        ok("http://127.0.0.1:8080").unwrap(),
        "http://127.0.0.1:8080"
    );
    assert_eq!(ok("ftp://x"), Err(PublicUrlError::Scheme));
    assert_eq!(ok("ivr.example.com"), Err(PublicUrlError::Scheme));
    assert_eq!(ok("https:///voice"), Err(PublicUrlError::NoHost));
    assert_eq!(ok("https://u:p@h"), Err(PublicUrlError::Credentials));
    assert_eq!(ok("https://h/?a=1"), Err(PublicUrlError::QueryOrFragment));
    assert_eq!(ok("https://h/a b"), Err(PublicUrlError::BadCharacter));
}
