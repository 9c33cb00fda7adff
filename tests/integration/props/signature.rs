//! Signatures (`switchboard::signature`): a request signed the way Twilio signs passes
//! verification, and any single change to it — one byte of the URL, one parameter's key or
//! value, the token, one character of the signature — fails.

use proptest::prelude::*;
use switchboard::signature::{self, Keys, Rejection, Request, Secret};

use super::check;

/// A signed form POST as Twilio would send it.
#[derive(Debug, Clone)]
struct Signed {
    /// The full URL (public base plus request-target), ASCII like every URL Twilio calls.
    url: String,
    /// The parameters, in body order (repeats allowed).
    params: Vec<(String, String)>,
    /// The auth token (SHA-1) or shared-key secret (SHA-256).
    token: String,
    /// True for a shared key with HMAC-SHA256, false for the auth token with HMAC-SHA1.
    sha256: bool,
}

impl Signed {
    fn body(&self, params: &[(String, String)]) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish()
    }

    fn signature(&self) -> String {
        let key = Secret::new(self.token.clone());
        if self.sha256 {
            signature::sign_sha256(&key, &self.url, &self.params)
        } else {
            signature::sign(&key, &self.url, &self.params)
        }
    }

    fn keys(&self, token: &str) -> Keys {
        let secret = Secret::new(token.to_string());
        if self.sha256 {
            Keys {
                auth_tokens: Vec::new(),
                shared_keys: vec![("kid".into(), secret)],
            }
        } else {
            Keys {
                auth_tokens: vec![secret],
                shared_keys: Vec::new(),
            }
        }
    }

    /// Verifies `url`, `params` and `sig` against `token` (each possibly changed).
    fn verify(
        &self,
        url: &str,
        params: &[(String, String)],
        token: &str,
        sig: &str,
    ) -> Result<(), Rejection> {
        let body = self.body(params);
        let req = Request {
            url,
            method: "POST",
            content_type: Some("application/x-www-form-urlencoded"),
            body: body.as_bytes(),
            signature: Some(sig),
            signature_settings: self.sha256.then_some("key=kid,algorithm=HMAC_SHA256"),
        };
        signature::verify(&self.keys(token), &req)
    }
}

/// Parameter keys: Twilio-style names, each unique in its request, none a prefix of
/// another's key-plus-value (see [`a_boundary_shift_is_not_caught`] for why that matters).
const KEYS: &[&str] = &[
    "AccountSid",
    "CallSid",
    "From",
    "To",
    "CallStatus",
    "Digits",
    "SpeechResult",
    "Caller",
];

fn signed() -> impl Strategy<Value = Signed> {
    let url = (
        prop_oneof![Just("https"), Just("http")],
        "[a-z][a-z0-9.-]{0,12}",
        prop_oneof![Just(String::new()), (1u16..).prop_map(|p| format!(":{p}"))],
        "(/[A-Za-z0-9._~%-]{0,8}){0,3}",
        prop_oneof![Just(String::new()), "\\?[A-Za-z0-9=&%+._-]{0,20}"],
    )
        .prop_map(|(s, host, port, path, query)| format!("{s}://{host}{port}{path}{query}"));
    let params = proptest::sample::subsequence(KEYS, 0..=KEYS.len()).prop_flat_map(|keys| {
        let n = keys.len();
        (Just(keys), proptest::collection::vec(".{0,12}", n))
    });
    (url, params, "[!-~]{1,40}", any::<bool>()).prop_map(|(url, (keys, values), token, sha256)| {
        Signed {
            url,
            params: keys.iter().map(|k| k.to_string()).zip(values).collect(),
            token,
            sha256,
        }
    })
}

#[test]
fn a_request_signed_like_twilio_verifies() {
    let ran = check(signed(), |s| {
        let sig = s.signature();
        prop_assert_eq!(s.verify(&s.url, &s.params, &s.token, &sig), Ok(()));
        // The parameters' order in the body does not matter: they are sorted before signing.
        let mut reversed = s.params.clone();
        reversed.reverse();
        prop_assert_eq!(s.verify(&s.url, &reversed, &s.token, &sig), Ok(()));
        Ok(())
    });
    assert!(ran > 0);
}

/// One change to a signed request.
#[derive(Debug, Clone)]
enum Change {
    /// Replace the URL's byte at this index with another printable ASCII byte.
    UrlByte(prop::sample::Index, u8),
    /// Replace one parameter's key with a different one.
    Key(prop::sample::Index, String),
    /// Replace one parameter's value with a different one.
    Value(prop::sample::Index, String),
    /// Verify with another token.
    Token(String),
    /// Replace one character of the signature with another base64 character.
    Signature(prop::sample::Index, prop::sample::Index),
}

const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (any::<prop::sample::Index>(), 0x21u8..0x7f).prop_map(|(i, b)| Change::UrlByte(i, b)),
        (any::<prop::sample::Index>(), "[A-Za-z]{1,12}").prop_map(|(i, k)| Change::Key(i, k)),
        (any::<prop::sample::Index>(), ".{0,12}").prop_map(|(i, v)| Change::Value(i, v)),
        "[!-~]{1,40}".prop_map(Change::Token),
        (any::<prop::sample::Index>(), any::<prop::sample::Index>())
            .prop_map(|(i, c)| Change::Signature(i, c)),
    ]
}

#[test]
fn any_single_change_fails_verification() {
    let ran = check((signed(), change()), |(s, change)| {
        let sig = s.signature();
        let (mut url, mut params, mut token, mut sig2) = (
            s.url.clone(),
            s.params.clone(),
            s.token.clone(),
            sig.clone(),
        );
        match &change {
            Change::UrlByte(i, b) => {
                let mut bytes = url.into_bytes();
                let i = i.index(bytes.len());
                // A different byte (the printable range has 94 others to step to).
                bytes[i] = match *b {
                    b if b != bytes[i] => b,
                    0x7e => 0x21,
                    b => b + 1,
                };
                url = String::from_utf8(bytes).expect("ASCII stays UTF-8");
            }
            Change::Key(i, k) if !params.is_empty() => {
                let i = i.index(params.len());
                // A key that is not already there (no parameter may simply be renamed onto
                // another's name and value).
                prop_assume!(params.iter().all(|(key, _)| key != k));
                params[i].0 = k.clone();
            }
            Change::Value(i, v) if !params.is_empty() => {
                let i = i.index(params.len());
                prop_assume!(&params[i].1 != v);
                params[i].1 = v.clone();
            }
            Change::Token(t) => {
                prop_assume!(t != &token);
                token = t.clone();
            }
            Change::Signature(i, c) => {
                let mut bytes = sig2.into_bytes();
                let i = i.index(bytes.len());
                let mut new = BASE64[c.index(BASE64.len())];
                if new == bytes[i] {
                    new = BASE64[(c.index(BASE64.len()) + 1) % BASE64.len()];
                }
                bytes[i] = new;
                sig2 = String::from_utf8(bytes).expect("base64 is ASCII");
            }
            // A key or value change on a request without parameters: nothing to change;
            // adding a parameter instead is a change too.
            Change::Key(..) | Change::Value(..) => params.push(("Extra".into(), String::new())),
        }
        let got = s.verify(&url, &params, &token, &sig2);
        prop_assert!(got.is_err(), "{change:?} still verifies");
        Ok(())
    });
    assert!(ran > 0);
}

/// The documented limit (docs/security.md): the signed string is the URL followed by each
/// key and value with no separator, so moving text across a key/value boundary — `Digits=12`
/// signed, `Digits1=2` sent — keeps the signature valid. The property above avoids it by
/// keeping keys distinct; this pins the limit so a change to it is noticed.
#[test]
fn a_boundary_shift_is_not_caught() {
    let ran = check((signed(), "[0-9]{1,6}", "[0-9]{1,6}"), |(s, head, tail)| {
        let signed = Signed {
            params: vec![("Digits".into(), format!("{head}{tail}"))],
            ..s
        };
        let sig = signed.signature();
        let shifted = vec![(format!("Digits{head}"), tail)];
        prop_assert_eq!(
            signed.verify(&signed.url, &shifted, &signed.token, &sig),
            Ok(())
        );
        Ok(())
    });
    assert!(ran > 0);
}
