//! Computing signatures the way Twilio does (§1.1, §1.2).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;

use super::keys::Secret;

pub(super) type HmacSha1 = Hmac<Sha1>;
pub(super) type HmacSha256 = Hmac<Sha256>;

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

#[allow(clippy::expect_used)] // the invariant is stated below
pub(super) fn new_mac<M: Mac + KeyInit>(key: &[u8]) -> M {
    // Only instantiated with `Hmac<_>`: HMAC is defined for keys of any length (long keys are
    // hashed, short ones zero-padded), so `new_from_slice` never returns `InvalidLength`.
    <M as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length")
}
