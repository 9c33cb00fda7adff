//! Console sessions: a signed, expiring cookie, and the cross-site checks on every `POST`.
//!
//! The cookie is `v1.{expiry}.{tag}`: the expiry in seconds since the epoch and an
//! HMAC-SHA256 tag of `v1.{expiry}` under a key derived from the admin token
//! ([`AdminToken::derive_key`]). Nothing is kept on the server, so every replica that has
//! the same admin token accepts the same cookie, and a restart signs no one out. The price
//! of statelessness: signing out clears the cookie in that browser, but a copy of the
//! cookie taken before stays valid until it expires ([`LIFETIME`]); changing the admin
//! token ends every session at once (docs/console.md).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use hyper::header::{COOKIE, HOST, HeaderValue};
use hyper::http::request::Parts;
use sha2::Sha256;

use crate::http::api::AdminToken;

type HmacSha256 = Hmac<Sha256>;

/// The cookie's name.
pub const COOKIE_NAME: &str = "switchboard_console";

/// How long a sign-in lasts.
pub const LIFETIME_SECS: i64 = 12 * 3600;

/// What keys the console's cookies.
#[derive(Clone)]
pub struct Sessions {
    /// HMAC key derived from the admin token; never the token itself.
    key: [u8; 32],
    /// Mark the cookie `Secure` (the public URL is https).
    secure: bool,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("key", &"[redacted]")
            .field("secure", &self.secure)
            .finish()
    }
}

impl Sessions {
    /// Sessions signed under a key derived from `admin`.
    pub fn new(admin: &AdminToken, secure: bool) -> Sessions {
        Sessions {
            key: admin.derive_key(b"switchboard console session v1"),
            secure,
        }
    }

    #[allow(clippy::expect_used)] // the invariant is stated below
    fn tag(&self, payload: &str) -> HmacSha256 {
        // HMAC is defined for keys of any length: `new_from_slice` never fails.
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(payload.as_bytes());
        mac
    }

    /// A cookie value valid until `now + LIFETIME_SECS`.
    pub fn issue(&self, now: i64) -> String {
        let payload = format!("v1.{}", now.saturating_add(LIFETIME_SECS));
        let tag = self.tag(&payload).finalize().into_bytes();
        format!("{payload}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// Whether `value` is a cookie this key signed that has not expired at `now`.
    pub fn valid(&self, value: &str, now: i64) -> bool {
        let Some((payload, tag)) = value.rsplit_once('.') else {
            return false;
        };
        let Some(expiry) = payload
            .strip_prefix("v1.")
            .and_then(|e| e.parse::<i64>().ok())
        else {
            return false;
        };
        let Ok(tag) = URL_SAFE_NO_PAD.decode(tag) else {
            return false;
        };
        // Checked first, in constant time; then the expiry, which a forger cannot move
        // without breaking the tag. One issued "in the future" (a clock set back) counts
        // only up to a lifetime ahead.
        self.tag(payload).verify_slice(&tag).is_ok()
            && expiry > now
            && expiry <= now.saturating_add(LIFETIME_SECS)
    }

    /// Whether the request carries a valid session cookie.
    pub fn signed_in(&self, parts: &Parts, now: i64) -> bool {
        cookies(parts).any(|(name, value)| name == COOKIE_NAME && self.valid(value, now))
    }

    /// The `Set-Cookie` that signs in.
    pub fn set_cookie(&self, now: i64) -> HeaderValue {
        self.header(&self.issue(now), LIFETIME_SECS)
    }

    /// The `Set-Cookie` that signs out (an empty, expired cookie).
    pub fn clear_cookie(&self) -> HeaderValue {
        self.header("", 0)
    }

    fn header(&self, value: &str, max_age: i64) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        let text = format!(
            "{COOKIE_NAME}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
        );
        // Built from ASCII only (base64url, digits, fixed text).
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

/// The request's cookies, `name=value` pairs of every `Cookie` header.
fn cookies(parts: &Parts) -> impl Iterator<Item = (&str, &str)> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| {
            let (n, v) = pair.trim().split_once('=')?;
            Some((n.trim(), v.trim()))
        })
}

/// Whether a `POST` may come from another site: refused when the browser says so
/// (`Sec-Fetch-Site` other than `same-origin`/`none`) or, from a browser that does not send
/// that header, names an `Origin` whose host is not the one the request was sent to. `SameSite=Strict` already keeps the cookie off
/// cross-site requests; this also covers the sign-in form, which has no cookie yet. A
/// client that sends neither header (curl) is not a browser a page could drive.
pub fn cross_site(parts: &Parts) -> bool {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    // A browser that sends Fetch Metadata says it plainly; its word is final (a form POST
    // may carry `Origin: null` under some referrer policies).
    if let Some(site) = header("sec-fetch-site") {
        return site != "same-origin" && site != "none";
    }
    match header("origin") {
        None => false,
        Some(origin) => {
            let host = parts
                .headers
                .get(HOST)
                .and_then(|v| v.to_str().ok())
                .or_else(|| parts.uri.authority().map(|a| a.as_str()));
            let origin_host = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            !matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut b = hyper::Request::builder()
            .method("POST")
            .uri("/console/login");
        for (n, v) in headers {
            b = b.header(*n, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn cookies_are_signed_and_expire() {
        let admin = AdminToken::new("s3cret").unwrap();
        let s = Sessions::new(&admin, false);
        let now = 1_800_000_000;
        let c = s.issue(now);
        assert!(s.valid(&c, now));
        assert!(s.valid(&c, now + LIFETIME_SECS - 1));
        assert!(!s.valid(&c, now + LIFETIME_SECS), "expired");
        // Another token's key, a moved expiry, a cut tag, junk: all refused.
        let other = Sessions::new(&AdminToken::new("other").unwrap(), false);
        assert!(!other.valid(&c, now));
        let (payload, tag) = c.rsplit_once('.').unwrap();
        let later = format!("v1.{}.{tag}", now + LIFETIME_SECS + 100);
        assert!(!s.valid(&later, now));
        assert!(!s.valid(&format!("{payload}.{}", &tag[1..]), now));
        for junk in ["", "v1", "v1.x.y", "v2.1.AAAA", "..."] {
            assert!(!s.valid(junk, now), "{junk:?}");
        }
        // One signed too far ahead (a clock set back meanwhile) is refused.
        let ahead = s.issue(now + 2 * LIFETIME_SECS);
        assert!(!s.valid(&ahead, now));
    }

    #[test]
    fn the_cookie_header() {
        let admin = AdminToken::new("s3cret").unwrap();
        let plain = Sessions::new(&admin, false).set_cookie(1);
        let plain = plain.to_str().unwrap();
        assert!(plain.starts_with("switchboard_console=v1."), "{plain}");
        for attr in [
            "Path=/console",
            "HttpOnly",
            "SameSite=Strict",
            "Max-Age=43200",
        ] {
            assert!(plain.contains(attr), "{plain}");
        }
        assert!(!plain.contains("Secure"));
        let secure = Sessions::new(&admin, true).clear_cookie();
        assert!(secure.to_str().unwrap().ends_with("Max-Age=0; Secure"));
        let req = parts(&[(
            "cookie",
            &format!("a=b; {}", &plain[..plain.find(';').unwrap()]),
        )]);
        assert!(Sessions::new(&admin, false).signed_in(&req, 2));
        assert!(!Sessions::new(&admin, false).signed_in(&parts(&[]), 2));
    }

    #[test]
    fn cross_site_posts() {
        let cases: [(&[(&str, &str)], bool); 8] = [
            (&[], false),
            (
                &[("host", "sb.example"), ("origin", "https://sb.example")],
                false,
            ),
            (
                &[("host", "sb.example"), ("origin", "https://evil.example")],
                true,
            ),
            (&[("host", "sb.example"), ("origin", "null")], true),
            (&[("sec-fetch-site", "same-origin")], false),
            (&[("sec-fetch-site", "cross-site")], true),
            (&[("sec-fetch-site", "same-site")], true),
            (
                &[("sec-fetch-site", "same-origin"), ("origin", "null")],
                false,
            ),
        ];
        for (headers, refused) in &cases {
            assert_eq!(cross_site(&parts(headers)), *refused, "{headers:?}");
        }
        assert_eq!(cases.len(), 8);
    }
}
