//! The secrets a signature is checked with, and which of them a request calls for.

use std::fmt;

use super::sign::{HmacSha1, HmacSha256, new_mac};
use super::verify::{REJECTION_CLIP, Rejection};
use crate::form::clip;

/// A secret (auth token or shared-key secret).
///
/// `Debug` and `Display` print `[redacted]`, so a secret can sit inside logged or debug-printed
/// structures without leaking. There is deliberately no accessor outside the signature module
/// and no `PartialEq` (which would not be constant-time).
#[derive(Clone)]
pub struct Secret {
    /// The secret text; the HMAC key is its UTF-8 bytes (§1.1 "Key bytes").
    text: String,
    /// HMAC-SHA1 keyed with it, nothing fed yet: verifying clones this instead of running
    /// the key schedule (two compressions of the hash) on every request.
    sha1: HmacSha1,
    /// The same for HMAC-SHA256 (shared keys).
    sha256: HmacSha256,
}

impl Secret {
    /// Wraps a secret. An empty secret is accepted here but never used for verification.
    #[must_use]
    pub fn new(s: impl Into<String>) -> Self {
        let text = s.into();
        Self {
            sha1: new_mac(text.as_bytes()),
            sha256: new_mac(text.as_bytes()),
            text,
        }
    }

    pub(super) fn as_bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }

    /// The secret itself, for the one library call that needs it (the SMTP client's
    /// credentials). Never formatted, logged or stored.
    pub fn expose(&self) -> &str {
        &self.text
    }

    pub(super) fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

/// A MAC that a [`Secret`] holds already keyed.
pub(super) trait Keyed: Sized {
    /// A copy of `secret`'s keyed state, ready to be fed.
    fn keyed(secret: &Secret) -> Self;
}

impl Keyed for HmacSha1 {
    fn keyed(secret: &Secret) -> Self {
        secret.sha1.clone()
    }
}

impl Keyed for HmacSha256 {
    fn keyed(secret: &Secret) -> Self {
        secret.sha256.clone()
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

/// Which hash and which secrets a request is verified with.
#[derive(Clone, Copy)]
pub(super) enum Scheme<'h> {
    /// HMAC-SHA1 with the auth tokens.
    Sha1,
    /// HMAC-SHA256 with the shared keys whose id equals this.
    Sha256 { key_id: &'h str },
}

impl Scheme<'_> {
    /// Length of the padded base64 tag: 20 bytes → 28 chars, 32 bytes → 44 chars.
    pub(super) fn b64_len(self) -> usize {
        match self {
            Self::Sha1 => 28,
            Self::Sha256 { .. } => 44,
        }
    }
}

/// The usable secrets for `scheme`: auth tokens for SHA-1, shared keys with the matching id for
/// SHA-256; empty secrets never.
pub(super) fn secrets<'k>(keys: &'k Keys, scheme: Scheme<'_>) -> impl Iterator<Item = &'k Secret> {
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

/// Parses `X-Twilio-Webhooks-Signature-Settings` (§1.1).
pub(super) fn parse_settings(header: Option<&str>) -> Result<Scheme<'_>, Rejection> {
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
        Some(other) => Err(Rejection::UnknownAlgorithm(clip(other, REJECTION_CLIP))),
    }
}
