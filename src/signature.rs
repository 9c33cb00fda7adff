//! Verification of Twilio's `X-Twilio-Signature` webhook header.
//!
//! Authoritative spec: `shared/reference/twilio-voice.md` §1 ("Request signature validation").
//! The vectors in `tests/data/signatures.json` (§1.8) were checked with twilio-python 9.13.0.
//!
//! # Algorithm
//!
//! 1. **Key and hash** (§1.1). Without an `X-Twilio-Webhooks-Signature-Settings` header (or
//!    with an empty one, or one without `algorithm`), the key is each configured auth token and
//!    the hash is HMAC-SHA1. With `algorithm=HMAC_SHA256` the key is the shared-key secret whose
//!    id equals the header's `key=` and the hash is HMAC-SHA256. Any other algorithm fails.
//! 2. **Signed string** (§1.2). The URL exactly as Twilio requested it (public base URL + raw
//!    request-target, never decoded or re-encoded, §1.7), then, for a form-encoded POST body,
//!    every distinct decoded `(key, value)` pair sorted by UTF-8 bytes, each appended as
//!    `key + value` with no separators. Sorting the pairs as tuples is exactly "sort the
//!    distinct keys, then each key's de-duplicated values".
//! 3. **GET and `bodySHA256`** (§1.4, §1.5). A GET appends nothing. If the URL's query carries
//!    `bodySHA256`, the body is opaque bytes: its lowercase-hex SHA-256 must equal that value
//!    (constant-time), and the signature covers the URL alone.
//! 4. **URL candidates** (§1.3). The signature may have been made over the URL as received, over
//!    the URL with the scheme's default port added (when it has no port), or over the URL with
//!    its port removed (when it has one). The authority is parsed properly, so `user:pass@` and
//!    IPv6 literals such as `[::1]:8080` are handled.
//! 5. **Comparison** (§1.6). The header must be padded standard base64 of exactly the tag length
//!    (28 characters for SHA-1, 44 for SHA-256); it is decoded once and checked against each
//!    (key × URL candidate) with [`hmac::Mac::verify_slice`], which compares in constant time.
//!
//! # Decisions where the reference leaves room
//!
//! * **Unsigned bodies are rejected.** A non-empty body that is neither form-encoded (and so
//!   signed over) nor bound by `bodySHA256` is not covered by the signature at all: anyone who
//!   captured one validly signed request could replay it with an arbitrary body (say, a forged
//!   JSON event) and it would pass. Such a request is rejected with
//!   [`Rejection::BodyHashMismatch`]. The same applies to a GET that carries a body. Empty
//!   bodies are fine whatever their content type.
//! * **`bodySHA256` wins over the content type** (§1.5): when it is present the body is never
//!   form-decoded. Every `bodySHA256` occurrence in the query must match.
//! * **Shared keys are chosen by id only.** `key=` must name a configured shared key, even when
//!   exactly one is configured; otherwise [`Rejection::UnknownSharedKey`] (carrying the id, for
//!   the log). Trying every secret would be no less secure, but a strict match turns a
//!   misconfigured or rotated id into a clear log line instead of a bare mismatch. Several
//!   entries with the same id are all tried, which allows rotating a secret under one id.
//! * **Only `HMAC_SHA256` is accepted as an explicit algorithm**, matched case-sensitively like
//!   the SDK constants. Twilio sends the settings header only for shared keys (§1.1), and what
//!   `algorithm=HMAC_SHA1` would mean there is undocumented, so it fails closed as unknown, as
//!   does a present but empty `algorithm=`. Settings names and values are trimmed of ASCII
//!   whitespace; pairs without `=` are ignored; a repeated name keeps its last value (the
//!   SDK parses the header into a dict). The header is not covered by the signature, so
//!   nothing here can weaken verification: every path still needs a configured secret.
//! * **Empty secrets are ignored.** An HMAC keyed with `""` is computable by anyone, so an
//!   empty auth token or shared secret is treated as not configured.
//! * **Form decoding is strict** (§1.2): invalid percent-encoding or a decoded component that
//!   is not UTF-8 is [`Rejection::MalformedBody`] rather than being "repaired", because a
//!   lossy decoder could make two different bodies sign identically. Empty `&&` segments are
//!   skipped and a segment without `=` is a key with an empty value, as `parse_qsl` does.
//!   Any `charset` parameter on the content type is ignored: bodies are UTF-8 (§6.9).
//! * **Check order**: missing header, then settings and keys, then the header's base64 shape,
//!   then the body, then the HMACs. Cheap, input-only checks run before any hashing.
//! * Strings from request headers kept in a [`Rejection`] are clipped to 64 bytes so a hostile
//!   header cannot flood the logs; [`Rejection`]'s `Display` escapes them.

use std::fmt;
use std::ops::Range;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;

/// A secret (auth token or shared-key secret).
///
/// `Debug` and `Display` print `[redacted]`, so a secret can sit inside logged or debug-printed
/// structures without leaking. There is deliberately no accessor outside this module and no
/// `PartialEq` (which would not be constant-time).
#[derive(Clone)]
pub struct Secret(
    /// The secret text; the HMAC key is its UTF-8 bytes (§1.1 "Key bytes").
    String,
);

impl Secret {
    /// Wraps a secret. An empty secret is accepted here but never used for verification.
    #[must_use]
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// What the server verifies with.
#[derive(Clone, Debug, Default)]
pub struct Keys {
    /// Account auth tokens for HMAC-SHA1: the primary, plus optionally the secondary during a
    /// rotation. A signature made with any of them is accepted. Empty tokens are ignored.
    pub auth_tokens: Vec<Secret>,
    /// Shared keys for HMAC-SHA256, as `(key id, secret)`; the id is matched against `key=` in
    /// `X-Twilio-Webhooks-Signature-Settings`. Empty secrets are ignored.
    pub shared_keys: Vec<(String, Secret)>,
}

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

type HmacSha1 = Hmac<Sha1>;
type HmacSha256 = Hmac<Sha256>;

/// Which hash and which secrets a request is verified with.
#[derive(Clone, Copy)]
enum Scheme<'h> {
    /// HMAC-SHA1 with the auth tokens.
    Sha1,
    /// HMAC-SHA256 with the shared keys whose id equals this.
    Sha256 { key_id: &'h str },
}

impl Scheme<'_> {
    /// Length of the padded base64 tag: 20 bytes → 28 chars, 32 bytes → 44 chars.
    fn b64_len(self) -> usize {
        match self {
            Self::Sha1 => 28,
            Self::Sha256 { .. } => 44,
        }
    }
}

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
            Scheme::Sha256 { key_id } => Rejection::UnknownSharedKey(clip(key_id)),
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

    let suffix = signed_suffix(req, form)?;
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

/// Computes the signature Twilio would send with HMAC-SHA1: `key` over `url` followed by the
/// distinct `params` sorted by UTF-8 bytes (§1.2). Used by tests and the `switchboard call`
/// client; pass an empty `params` for GET and `bodySHA256` requests.
#[must_use]
pub fn sign(key: &Secret, url: &str, params: &[(String, String)]) -> String {
    sign_with::<HmacSha1>(key, url, params)
}

/// Like [`sign`], with HMAC-SHA256, as used with shared keys (§1.1).
#[must_use]
pub fn sign_sha256(key: &Secret, url: &str, params: &[(String, String)]) -> String {
    sign_with::<HmacSha256>(key, url, params)
}

fn sign_with<M: Mac + KeyInit>(key: &Secret, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // Tuple order on `str` is byte order: distinct keys sorted, each key's values sorted.
    sorted.sort_unstable();
    sorted.dedup();
    let mut mac = new_mac::<M>(key.as_bytes());
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    STANDARD.encode(mac.finalize().into_bytes())
}

fn new_mac<M: Mac + KeyInit>(key: &[u8]) -> M {
    // Only instantiated with `Hmac<_>`: HMAC is defined for keys of any length (long keys are
    // hashed, short ones zero-padded), so `new_from_slice` never returns `InvalidLength`.
    <M as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length")
}

/// The usable secrets for `scheme`: auth tokens for SHA-1, shared keys with the matching id for
/// SHA-256; empty secrets never.
fn secrets<'k>(keys: &'k Keys, scheme: Scheme<'_>) -> impl Iterator<Item = &'k Secret> {
    let (use_tokens, key_id) = match scheme {
        Scheme::Sha1 => (true, None),
        Scheme::Sha256 { key_id } => (false, Some(key_id)),
    };
    keys.auth_tokens
        .iter()
        .filter(move |_| use_tokens)
        .chain(
            keys.shared_keys
                .iter()
                .filter(move |(id, _)| key_id == Some(id.as_str()))
                .map(|(_, secret)| secret),
        )
        .filter(|secret| !secret.is_empty())
}

/// Tries every (secret × URL candidate). The keyed state and the shared URL head are computed
/// once per secret and cloned per candidate; nothing is allocated.
fn any_match<M: Mac + KeyInit + Clone>(
    keys: &Keys,
    scheme: Scheme<'_>,
    candidates: &UrlCandidates<'_>,
    suffix: &Suffix<'_>,
    tag: &[u8],
) -> bool {
    for secret in secrets(keys, scheme) {
        let mut head = new_mac::<M>(secret.as_bytes());
        head.update(candidates.head.as_bytes());
        for port in candidates.ports() {
            let mut mac = head.clone();
            mac.update(port.as_bytes());
            mac.update(candidates.tail.as_bytes());
            suffix.feed(&mut mac);
            // Constant-time; returning early on success leaks only that it succeeded.
            if mac.verify_slice(tag).is_ok() {
                return true;
            }
        }
    }
    false
}

/// Parses `X-Twilio-Webhooks-Signature-Settings` (§1.1).
fn parse_settings(header: Option<&str>) -> Result<Scheme<'_>, Rejection> {
    let Some(header) = header else {
        return Ok(Scheme::Sha1);
    };
    let mut algorithm = None;
    let mut key = None;
    for pair in header.split(',') {
        let Some((name, value)) = pair.split_once('=') else {
            continue;
        };
        match name.trim_ascii() {
            "algorithm" => algorithm = Some(value.trim_ascii()),
            "key" => key = Some(value.trim_ascii()),
            _ => {}
        }
    }
    match algorithm {
        None => Ok(Scheme::Sha1),
        Some("HMAC_SHA256") => Ok(Scheme::Sha256 {
            // A missing `key=` can match no configured id (ids are compared exactly, and an
            // empty id is still an id), so it ends up as UnknownSharedKey("").
            key_id: key.unwrap_or(""),
        }),
        Some(other) => Err(Rejection::UnknownAlgorithm(clip(other))),
    }
}

/// Copies at most 64 bytes of a request-supplied string, cut on a char boundary.
fn clip(s: &str) -> String {
    let mut end = s.len().min(64);
    // A short loop rather than `str::floor_char_boundary`, which needs a newer toolchain than
    // the crate's `rust-version`.
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// What is appended to the URL (§1.2 steps 2–3): the distinct parameters, sorted, each as
/// `key + value`. Fed to the MAC piece by piece rather than copied into one buffer.
enum Suffix<'a> {
    /// Nothing (GET, `bodySHA256`, an empty body).
    Empty,
    /// Decoded here from the body.
    Decoded(FormParams),
    /// Decoded by the caller ([`verify_decoded`]), sorted and de-duplicated here.
    Given(Vec<(&'a str, &'a str)>),
}

impl Suffix<'_> {
    fn feed<M: Mac>(&self, mac: &mut M) {
        match self {
            Suffix::Empty => {}
            Suffix::Decoded(form) => {
                for (k, v) in form.iter() {
                    mac.update(k);
                    mac.update(v);
                }
            }
            Suffix::Given(pairs) => {
                for (k, v) in pairs {
                    mac.update(k.as_bytes());
                    mac.update(v.as_bytes());
                }
            }
        }
    }
}

/// What is appended to the URL (§1.2 steps 2–3), after checking the body is covered.
/// `form`, when given, is the caller's decoding of the body ([`verify_decoded`]).
fn signed_suffix<'a>(
    req: &Request<'_>,
    form: Option<impl IntoIterator<Item = (&'a str, &'a str)>>,
) -> Result<Suffix<'a>, Rejection> {
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
        return Ok(Suffix::Empty);
    }
    if !req.method.eq_ignore_ascii_case("GET") && is_form(req.content_type) {
        return Ok(match form {
            Some(pairs) => {
                let mut sorted: Vec<(&str, &str)> = pairs.into_iter().collect();
                // Tuple order on `str` is byte order, as in `FormParams::decode`.
                sorted.sort_unstable();
                sorted.dedup();
                Suffix::Given(sorted)
            }
            None => Suffix::Decoded(FormParams::decode(req.body)?),
        });
    }
    // GET, or a non-form body without bodySHA256: nothing is appended, so a non-empty body
    // would be unauthenticated (see the module docs).
    if req.body.is_empty() {
        Ok(Suffix::Empty)
    } else {
        Err(Rejection::BodyHashMismatch)
    }
}

/// Whether the media type is `application/x-www-form-urlencoded`, ignoring parameters such as
/// `charset` and ASCII case.
fn is_form(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        let media = ct.split(';').next().unwrap_or("");
        media
            .trim_ascii()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    })
}

/// Raw (undecoded) values of query parameter `name` in `url`. The query runs from the first
/// `?` to any `#`. A segment `name` without `=` yields an empty value, so it still counts.
fn query_values<'u>(url: &'u str, name: &'u str) -> impl Iterator<Item = &'u str> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    query.split('&').filter_map(move |segment| {
        let (key, value) = segment.split_once('=').unwrap_or((segment, ""));
        (key == name).then_some(value)
    })
}

/// Lowercase hex of a SHA-256 digest, on the stack (§1.5 compares against lowercase hex).
fn hex_lower(bytes: &[u8]) -> [u8; 64] {
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

/// A decoded form body: all components decoded into one buffer, pairs as ranges into it,
/// sorted and de-duplicated. Two allocations in total, however many parameters.
struct FormParams {
    /// Decoded bytes of every key and value, back to back.
    buf: Vec<u8>,
    /// `(key, value)` ranges into `buf`, sorted by bytes and de-duplicated.
    pairs: Vec<(Range<usize>, Range<usize>)>,
}

impl FormParams {
    /// Decodes `application/x-www-form-urlencoded` (§1.2): `+` → space, then `%XX` → byte;
    /// the raw body and each decoded component must be valid UTF-8.
    fn decode(body: &[u8]) -> Result<Self, Rejection> {
        // One pass over the raw body; components split at ASCII `&`/`=` stay valid UTF-8.
        if std::str::from_utf8(body).is_err() {
            return Err(Rejection::MalformedBody);
        }
        let mut buf = Vec::with_capacity(body.len());
        let mut pairs = Vec::with_capacity(body.iter().filter(|&&b| b == b'&').count() + 1);
        for segment in body.split(|&b| b == b'&') {
            if segment.is_empty() {
                continue;
            }
            let (key, value) = match segment.iter().position(|&b| b == b'=') {
                Some(i) => (&segment[..i], &segment[i + 1..]),
                None => (segment, &b""[..]),
            };
            let key = decode_component(key, &mut buf)?;
            let value = decode_component(value, &mut buf)?;
            pairs.push((key, value));
        }
        // Byte order equals code-point order for UTF-8 (§1.2); tuple order sorts keys first.
        pairs.sort_unstable_by(|(ka, va), (kb, vb)| {
            (&buf[ka.clone()], &buf[va.clone()]).cmp(&(&buf[kb.clone()], &buf[vb.clone()]))
        });
        pairs.dedup_by(|(ka, va), (kb, vb)| {
            buf[ka.clone()] == buf[kb.clone()] && buf[va.clone()] == buf[vb.clone()]
        });
        Ok(Self { buf, pairs })
    }

    /// Iterates the sorted, distinct `(key, value)` pairs as bytes.
    fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.pairs
            .iter()
            .map(|(k, v)| (&self.buf[k.clone()], &self.buf[v.clone()]))
    }

    /// `key + value` for every pair, in order.
    #[cfg(test)]
    fn suffix(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.buf.len());
        for (k, v) in self.iter() {
            out.extend_from_slice(k);
            out.extend_from_slice(v);
        }
        out
    }
}

/// Appends the decoded `raw` to `buf` and returns its range; fails on a bad `%` escape or a
/// non-UTF-8 result. `raw` must be valid UTF-8 (the caller checks the whole body once), so only
/// components with a `%` escape need checking again. That check is per component, not on the
/// whole buffer: `%C3` as a key and `%A9` as its value are valid only when glued together.
fn decode_component(raw: &[u8], buf: &mut Vec<u8>) -> Result<Range<usize>, Rejection> {
    let start = buf.len();
    let mut escaped = false;
    let mut rest = raw;
    // Copy runs of plain bytes in bulk; most components have no `+` or `%` at all.
    while let Some(i) = rest.iter().position(|&b| b == b'+' || b == b'%') {
        buf.extend_from_slice(&rest[..i]);
        if rest[i] == b'+' {
            buf.push(b' ');
            rest = &rest[i + 1..];
        } else {
            let hi = rest.get(i + 1).and_then(|&c| hex_value(c));
            let lo = rest.get(i + 2).and_then(|&c| hex_value(c));
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return Err(Rejection::MalformedBody);
            };
            buf.push((hi << 4) | lo);
            escaped = true;
            // In bounds: `rest[i + 2]` exists, as `lo` was read from it.
            rest = &rest[i + 3..];
        }
    }
    buf.extend_from_slice(rest);
    let range = start..buf.len();
    if escaped && std::str::from_utf8(&buf[range.clone()]).is_err() {
        return Err(Rejection::MalformedBody);
    }
    Ok(range)
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The URLs a signature may have been made over (§1.3), without allocating: each candidate is
/// `head + port + tail`, for each entry of [`UrlCandidates::ports`]. The first is always the
/// URL exactly as given.
#[derive(Clone, Copy, Debug)]
struct UrlCandidates<'a> {
    /// Everything before the port position: `scheme://[userinfo@]host`.
    head: &'a str,
    /// `[as given, alternative]`: `[":1234", ""]` with a port, `["", ":443"]` without one.
    port_variants: [&'a str; 2],
    /// How many of `port_variants` apply: 1 if the URL could not be parsed, else 2.
    count: usize,
    /// Everything after the authority: path, query, fragment.
    tail: &'a str,
}

impl<'a> UrlCandidates<'a> {
    /// The port pieces to splice between `head` and `tail`, the URL as given first.
    fn ports(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.port_variants.into_iter().take(self.count)
    }

    #[cfg(test)]
    fn to_strings(self) -> Vec<String> {
        self.ports()
            .map(|port| [self.head, port, self.tail].concat())
            .collect()
    }
}

/// URL candidates per §1.3: as given; with the default port (`:443` for https, `:80`
/// otherwise) added when there is none; with the port removed when there is one. The port is
/// found in a parsed authority, so `user:pass@` and `[v6]:port` are handled (§1.3 warns about
/// `netloc.split(":")`). A URL whose authority cannot be parsed yields only itself.
fn url_candidates(url: &str) -> UrlCandidates<'_> {
    let only_itself = UrlCandidates {
        head: url,
        port_variants: ["", ""],
        count: 1,
        tail: "",
    };
    let Some(scheme_end) = url.find("://") else {
        return only_itself;
    };
    let scheme = &url[..scheme_end];
    // RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). Guards against a "://" that only
    // appears later in the path or query.
    let scheme_ok = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return only_itself;
    }
    let auth_start = scheme_end + 3;
    let auth_end = url[auth_start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| auth_start + i);
    let authority = &url[auth_start..auth_end];
    // The host cannot contain '@', so the userinfo ends at the last one.
    let host_start = authority.rfind('@').map_or(0, |i| i + 1);
    let host_port = &authority[host_start..];

    // Offset of the ':' before the port within `host_port`, if there is a port.
    let port_colon = if host_port.starts_with('[') {
        let Some(close) = host_port.find(']') else {
            return only_itself;
        };
        match &host_port[close + 1..] {
            "" => None,
            rest if rest.starts_with(':') => Some(close + 1),
            _ => return only_itself,
        }
    } else {
        host_port.find(':')
    };

    let default_port = if scheme.eq_ignore_ascii_case("https") {
        ":443"
    } else {
        ":80"
    };
    match port_colon {
        Some(colon) => {
            let port = &host_port[colon + 1..];
            // An empty port ("h:") counts as a port and is removed like any other.
            if !port.bytes().all(|b| b.is_ascii_digit()) {
                return only_itself;
            }
            let port_start = auth_start + host_start + colon;
            UrlCandidates {
                head: &url[..port_start],
                port_variants: [&url[port_start..auth_end], ""],
                count: 2,
                tail: &url[auth_end..],
            }
        }
        None => UrlCandidates {
            head: &url[..auth_end],
            port_variants: ["", default_port],
            count: 2,
            tail: &url[auth_end..],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let text = std::fs::read_to_string(VECTORS)
            .unwrap_or_else(|e| panic!("cannot read {VECTORS}: {e}"));
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
            let decoded = FormParams::decode(v.body.as_bytes()).expect(&v.name);
            let got: Vec<(String, String)> = decoded
                .iter()
                .map(|(k, val)| {
                    (
                        String::from_utf8(k.to_vec()).unwrap(),
                        String::from_utf8(val.to_vec()).unwrap(),
                    )
                })
                .collect();
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
        let suffix = FormParams::decode(EX_BODY.as_bytes()).unwrap().suffix();
        assert_eq!([EX_URL.as_bytes(), &suffix].concat(), EX_SIGNED.as_bytes());

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
        let decode = |body: &str| {
            FormParams::decode(body.as_bytes()).map(|f| String::from_utf8(f.suffix()).unwrap())
        };
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
            FormParams::decode(b"a=\xff").map(|_| ()),
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
            let _ = FormParams::decode(body);
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
}
