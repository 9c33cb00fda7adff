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
//!
//! # Layout
//!
//! `keys` holds the secrets and reads the settings header, `sign` computes signatures,
//! `verify` runs the checks above (decoding form bodies with [`crate::form`], the crate's one
//! decoder), and `url` owns the URLs involved: the [`PublicUrl`] a server is reached at and
//! the port candidates of §1.3. The header names live here too, so the server and the
//! `switchboard call` client name them from one place.

mod keys;
mod sign;
mod url;
mod verify;

pub use keys::{Keys, Secret};
pub use sign::{sign, sign_sha256};
pub use url::{PublicUrl, PublicUrlError};
pub use verify::{Rejection, Request, verify, verify_decoded};

/// `X-Twilio-Signature`.
pub const SIGNATURE_HEADER: &str = "x-twilio-signature";
/// `X-Twilio-Webhooks-Signature-Settings` (shared keys, HMAC-SHA256).
pub const SETTINGS_HEADER: &str = "x-twilio-webhooks-signature-settings";

#[cfg(test)]
mod tests;
