//! The checks run on one request (§1), in the order the module docs give.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::Mac;
use sha2::Sha256;

use super::keys::{Keyed, Keys, Scheme, parse_settings, secrets};
use super::sign::{HmacSha1, HmacSha256};
use super::url::{UrlCandidates, url_candidates};
use crate::form::{self, Params, clip};

/// Bytes of a request-supplied string a [`Rejection`] keeps (see the module docs).
pub(super) const REJECTION_CLIP: usize = 64;

/// One request as received.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// Public base URL (`scheme://host[:port][/prefix]`, no trailing `/`) followed by the raw
    /// request-target exactly as received (§1.7). Never rebuilt from `Host`/`X-Forwarded-*`.
    /// There is no fragment: it never reaches the server (§1.3).
    pub url: &'a str,
    /// The HTTP method, e.g. `"GET"` or `"POST"`.
    pub method: &'a str,
    /// The `Content-Type` header, if any.
    pub content_type: Option<&'a str>,
    /// The raw request body.
    pub body: &'a [u8],
    /// The `X-Twilio-Signature` header, if present.
    pub signature: Option<&'a str>,
    /// The `X-Twilio-Webhooks-Signature-Settings` header, if present.
    pub signature_settings: Option<&'a str>,
}

/// Why a request was rejected. None of the variants carries a secret or the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// `X-Twilio-Signature` is absent or empty.
    MissingSignature,
    /// No configured key and URL candidate reproduces the signature, or the header is not
    /// padded standard base64 of the right length.
    Mismatch,
    /// The body does not hash to the URL's `bodySHA256`, or a non-form body is not covered by
    /// the signature at all (no `bodySHA256`, or a GET with a body).
    BodyHashMismatch,
    /// A form body with invalid percent-encoding or non-UTF-8 content.
    MalformedBody,
    /// The settings header names an algorithm other than `HMAC_SHA256` (clipped to 64 bytes).
    UnknownAlgorithm(String),
    /// The settings header names a shared key id that is not configured (clipped to 64 bytes).
    UnknownSharedKey(String),
    /// HMAC-SHA1 is called for but no (non-empty) auth token is configured.
    NoKeys,
}

impl Rejection {
    /// Short plain text suitable for a 403 body; never includes a secret, the signature or any
    /// request-supplied text.
    #[must_use]
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MissingSignature => "missing X-Twilio-Signature",
            Self::Mismatch => "signature mismatch",
            Self::BodyHashMismatch => "body not covered by signature (bodySHA256 missing or wrong)",
            Self::MalformedBody => "malformed form body",
            Self::UnknownAlgorithm(_) => "unknown signature algorithm",
            Self::UnknownSharedKey(_) => "unknown shared key",
            Self::NoKeys => "no auth token configured",
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{:?}` on the request-supplied strings escapes control characters (log injection).
        match self {
            Self::UnknownAlgorithm(a) => write!(f, "{} {a:?}", self.reason()),
            Self::UnknownSharedKey(id) => write!(f, "{} {id:?}", self.reason()),
            _ => f.write_str(self.reason()),
        }
    }
}

impl std::error::Error for Rejection {}

/// Verifies one request against the configured keys (§1).
///
/// Returns `Ok(())` if any (key × URL candidate) reproduces the signature and the body is
/// covered by it (signed form parameters, a matching `bodySHA256`, or an empty body).
///
/// # Errors
///
/// The first failed check, as a [`Rejection`]; all of them mean "answer 403". The checks run
/// in this order: header present, settings/keys usable, header shape, body, HMAC.
pub fn verify(keys: &Keys, req: &Request<'_>) -> Result<(), Rejection> {
    verify_impl(keys, req, None::<[(&str, &str); 0]>)
}

/// [`verify`] for a caller that has already decoded the body, so it is not decoded twice on
/// the server's hot path. `form` must be the strict decoding (§1.2) of `req.body`, pairs in
/// any order, as [`crate::form::parse`] returns it (same rules; the server answers
/// `400` before verifying when the body does not decode). It is used only where [`verify`]
/// would decode the body (a form POST without `bodySHA256`) and ignored otherwise; the
/// result is the same as [`verify`]'s.
///
/// # Errors
///
/// As [`verify`].
pub fn verify_decoded<'f>(
    keys: &Keys,
    req: &Request<'_>,
    form: impl IntoIterator<Item = (&'f str, &'f str)>,
) -> Result<(), Rejection> {
    verify_impl(keys, req, Some(form))
}

fn verify_impl<'f>(
    keys: &Keys,
    req: &Request<'_>,
    form: Option<impl IntoIterator<Item = (&'f str, &'f str)>>,
) -> Result<(), Rejection> {
    let signature = match req.signature {
        Some(s) if !s.is_empty() => s,
        _ => return Err(Rejection::MissingSignature),
    };

    let scheme = parse_settings(req.signature_settings)?;
    // Check that at least one usable secret exists before doing any work.
    if secrets(keys, scheme).next().is_none() {
        return Err(match scheme {
            Scheme::Sha1 => Rejection::NoKeys,
            Scheme::Sha256 { key_id } => Rejection::UnknownSharedKey(clip(key_id, REJECTION_CLIP)),
        });
    }

    // Decode the header once, into a stack buffer. The length pre-check rejects truncated or
    // unpadded values and guarantees the buffer is large enough; STANDARD also rejects
    // non-canonical padding and trailing bits.
    if signature.len() != scheme.b64_len() {
        return Err(Rejection::Mismatch);
    }
    let mut tag_buf = [0u8; 48];
    let tag_len = STANDARD
        .decode_slice(signature.as_bytes(), &mut tag_buf)
        .map_err(|_| Rejection::Mismatch)?;
    let tag = tag_buf.get(..tag_len).ok_or(Rejection::Mismatch)?;

    // The pairs appended to the URL: the caller's decoding, or the body's own, which
    // `decoded` keeps alive while `suffix` borrows it.
    let decoded;
    let suffix = match coverage(req)? {
        Coverage::UrlOnly => Vec::new(),
        Coverage::Form => match form {
            Some(pairs) => sorted_pairs(pairs),
            None => {
                decoded = decode_form(req.body)?;
                sorted_pairs(decoded.pairs())
            }
        },
    };
    let candidates = url_candidates(req.url);

    let matched = match scheme {
        Scheme::Sha1 => any_match::<HmacSha1>(keys, scheme, &candidates, &suffix, tag),
        Scheme::Sha256 { .. } => any_match::<HmacSha256>(keys, scheme, &candidates, &suffix, tag),
    };
    if matched {
        Ok(())
    } else {
        Err(Rejection::Mismatch)
    }
}

/// Tries every (secret × URL candidate). The keyed state and the shared URL head are computed
/// once per secret and cloned per candidate; nothing is allocated.
fn any_match<M: Mac + Keyed + Clone>(
    keys: &Keys,
    scheme: Scheme<'_>,
    candidates: &UrlCandidates<'_>,
    suffix: &[(&str, &str)],
    tag: &[u8],
) -> bool {
    for secret in secrets(keys, scheme) {
        let mut head = M::keyed(secret);
        head.update(candidates.head.as_bytes());
        for port in candidates.ports() {
            let mut mac = head.clone();
            mac.update(port.as_bytes());
            mac.update(candidates.tail.as_bytes());
            for (k, v) in suffix {
                mac.update(k.as_bytes());
                mac.update(v.as_bytes());
            }
            // Constant-time; returning early on success leaks only that it succeeded.
            if mac.verify_slice(tag).is_ok() {
                return true;
            }
        }
    }
    false
}

/// What the signature covers besides the URL (§1.2 steps 2–3, §1.5).
enum Coverage {
    /// The URL alone: a GET, a body bound by `bodySHA256`, or an empty body.
    UrlOnly,
    /// The URL followed by the form body's parameters.
    Form,
}

/// Decides what the signature covers, checking that the body is covered at all (see the
/// module docs) and that every `bodySHA256` matches.
fn coverage(req: &Request<'_>) -> Result<Coverage, Rejection> {
    let mut hashes = query_values(req.url, "bodySHA256").peekable();
    if hashes.peek().is_some() {
        // §1.5: opaque body, bound by its hash; the signature covers the URL alone.
        let digest = <Sha256 as sha2::Digest>::digest(req.body);
        let hex = hex_lower(digest.as_slice());
        for value in hashes {
            if !ct_eq(value.as_bytes(), &hex) {
                return Err(Rejection::BodyHashMismatch);
            }
        }
        return Ok(Coverage::UrlOnly);
    }
    if !req.method.eq_ignore_ascii_case("GET") && form::is_form(req.content_type) {
        return Ok(Coverage::Form);
    }
    // GET, or a non-form body without bodySHA256: nothing is appended, so a non-empty body
    // would be unauthenticated (see the module docs).
    if req.body.is_empty() {
        Ok(Coverage::UrlOnly)
    } else {
        Err(Rejection::BodyHashMismatch)
    }
}

/// Decodes a form body with the crate's one strict decoder (§1.2): anything it refuses is
/// [`Rejection::MalformedBody`].
fn decode_form(body: &[u8]) -> Result<Params, Rejection> {
    form::parse_params(body).map_err(|_| Rejection::MalformedBody)
}

/// The distinct pairs sorted by UTF-8 bytes (§1.2): tuple order on `str` is byte order, so
/// this sorts the distinct keys, then each key's de-duplicated values.
fn sorted_pairs<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<(&'a str, &'a str)> {
    let mut sorted: Vec<(&str, &str)> = pairs.into_iter().collect();
    sorted.sort_unstable();
    sorted.dedup();
    sorted
}

/// The signed suffix of a form body, `key + value` for every sorted distinct pair, as one
/// string (tests compare it with what Twilio's SDKs sign).
#[cfg(test)]
pub(super) fn form_suffix(body: &[u8]) -> Result<String, Rejection> {
    let params = decode_form(body)?;
    Ok(sorted_pairs(params.pairs())
        .into_iter()
        .flat_map(|(k, v)| [k, v])
        .collect())
}

/// The decoded body's pairs, sorted and distinct, as owned strings (tests compare them with
/// what Python decoded).
#[cfg(test)]
pub(super) fn form_pairs(body: &[u8]) -> Result<Vec<(String, String)>, Rejection> {
    let params = decode_form(body)?;
    Ok(sorted_pairs(params.pairs())
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect())
}

/// Raw (undecoded) values of query parameter `name` in `url`. The query runs from the first
/// `?` to any `#`. A segment `name` without `=` yields an empty value, so it still counts.
pub(super) fn query_values<'u>(url: &'u str, name: &'u str) -> impl Iterator<Item = &'u str> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    query.split('&').filter_map(move |segment| {
        let (key, value) = segment.split_once('=').unwrap_or((segment, ""));
        (key == name).then_some(value)
    })
}

/// Lowercase hex of a SHA-256 digest, on the stack (§1.5 compares against lowercase hex).
pub(super) fn hex_lower(bytes: &[u8]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (pair, byte) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0x0f)];
    }
    out
}

/// Constant-time equality for equal lengths; lengths are public, so a mismatch fails fast.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // black_box keeps the optimiser from turning the fold into an early-exit comparison.
    std::hint::black_box(diff) == 0
}
