//! The records API (`/api/…`, docs/records.md): the call store as JSON for dashboards and
//! scripts, on the same server as the webhooks.
//!
//! | Path | Answer |
//! |---|---|
//! | `GET /api/calls?since=&until=&from=&to=&flow=&status=&limit=&cursor=` | `{"items": [Call], "next": cursor or null}` |
//! | `GET /api/calls/{CallSid}` | the call's [`Story`](crate::calls::Story) |
//! | `GET /api/recordings?…` (the same filters) | `{"items": [Recording], "next": …}` |
//!
//! Off (every path `404`) unless an admin token is configured. Every request then needs
//! `Authorization: Bearer <token>` (`401` with `WWW-Authenticate: Bearer` otherwise), checked
//! before anything else about it. The token is kept only as its SHA-256 digest and compared
//! digest to digest in constant time, so neither the comparison's timing nor a memory dump
//! of the configuration gives it away. It is the API's only key: Twilio's signature is not
//! asked for here, and the token opens no webhook route. Errors are JSON
//! (`{"error": "…"}`): `400` for a bad parameter (the reason says which), `503` when the
//! database does not answer (the detail goes to the log, not the client).

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{
    ALLOW, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE,
};
use hyper::http::request::Parts;
use hyper::{Method, Response, StatusCode};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::calls::query::MAX_LIMIT;
use crate::calls::when::parse_instant;
use crate::calls::{Cursor, Database, Filter, StoreError};
use crate::form;

type Resp = Response<Full<Bytes>>;

/// The API's bearer token (`SWITCHBOARD_ADMIN_TOKEN`, `--admin-token-file`), kept as its
/// SHA-256 digest only.
#[derive(Clone)]
pub struct AdminToken {
    /// SHA-256 of the token.
    digest: [u8; 32],
}

impl AdminToken {
    /// The token, trimmed (secret files end in a newline); `None` when that leaves nothing,
    /// since an empty token would open the API to anyone who sends `Bearer `.
    pub fn new(token: &str) -> Option<AdminToken> {
        let token = token.trim();
        (!token.is_empty()).then(|| AdminToken {
            digest: Sha256::digest(token.as_bytes()).into(),
        })
    }

    /// A key for `purpose`, derived from the token (HMAC-SHA256 keyed by its digest): the
    /// console signs its cookies with one, so no cookie carries or reveals the token.
    #[allow(clippy::expect_used)] // the invariant is stated below
    pub(in crate::http) fn derive_key(&self, purpose: &[u8]) -> [u8; 32] {
        use hmac::Mac as _;
        // HMAC is defined for keys of any length: `new_from_slice` never fails.
        let mut mac =
            hmac::Hmac::<Sha256>::new_from_slice(&self.digest).expect("HMAC takes any key length");
        mac.update(purpose);
        mac.finalize().into_bytes().into()
    }

    /// Whether `presented` is the token, in time independent of where they differ.
    pub(in crate::http) fn accepts(&self, presented: &str) -> bool {
        let theirs: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let diff = self
            .digest
            .iter()
            .zip(theirs.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        diff == 0
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken([redacted])")
    }
}

/// Answers one `/api/…` request. `db` is `None` with `--database none`.
pub(super) async fn answer(
    db: Option<&Database>,
    admin: Option<&AdminToken>,
    parts: &Parts,
) -> Resp {
    let Some(admin) = admin else {
        // No token configured: the API does not exist.
        return error(StatusCode::NOT_FOUND, "not found");
    };
    if !authorized(admin, parts) {
        let mut resp = error(
            StatusCode::UNAUTHORIZED,
            "this API needs Authorization: Bearer <admin token>",
        );
        resp.headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return resp;
    }
    if parts.method != Method::GET && parts.method != Method::HEAD {
        let mut resp = error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
        resp.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return resp;
    }
    let Some(db) = db else {
        return error(
            StatusCode::NOT_FOUND,
            "this server keeps no records (--database none)",
        );
    };
    let now = jiff::Timestamp::now().as_microsecond();
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or("");
    match path.strip_prefix("/api/") {
        Some("calls") => match filter(query, now) {
            Ok(f) => reply(db.calls(f).await),
            Err(reason) => error(StatusCode::BAD_REQUEST, &reason),
        },
        Some("recordings") => match filter(query, now) {
            Ok(f) => reply(db.recordings(f).await),
            Err(reason) => error(StatusCode::BAD_REQUEST, &reason),
        },
        Some(rest) => match rest.strip_prefix("calls/") {
            Some(sid) if crate::calls::record::is_sid(sid) => match db.story(sid).await {
                Ok(Some(story)) => json(StatusCode::OK, &story),
                Ok(None) => error(StatusCode::NOT_FOUND, &format!("no call {sid}")),
                Err(e) => unavailable(&e),
            },
            Some(_) => error(
                StatusCode::BAD_REQUEST,
                "a CallSid is letters and digits (CA…)",
            ),
            None => error(StatusCode::NOT_FOUND, "not found"),
        },
        None => error(StatusCode::NOT_FOUND, "not found"),
    }
}

/// Whether the request carries `token` in its one `Authorization: Bearer` header (the
/// records API's rule, also `/metrics`' when it has a token).
pub(super) fn authorized(token: &AdminToken, parts: &Parts) -> bool {
    // Exactly one Authorization header: with two, proxies and this server might not agree
    // on which one counts.
    let mut given = parts.headers.get_all(AUTHORIZATION).iter();
    let presented = match (given.next(), given.next()) {
        (Some(v), None) => v.to_str().ok().and_then(bearer),
        _ => None,
    };
    presented.is_some_and(|t| token.accepts(t))
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The list filters from a query string; the error names the parameter and what it takes.
fn filter(query: &str, now: i64) -> Result<Filter, String> {
    let pairs = form::parse(query.as_bytes()).map_err(|e| format!("malformed query: {e}"))?;
    let mut f = Filter::default();
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in &pairs {
        if seen.contains(&name.as_str()) {
            return Err(format!("`{name}` is given twice"));
        }
        seen.push(name);
        let time = |v: &str| parse_instant(v, now).map_err(|e| format!("`{name}`: {e}"));
        match name.as_str() {
            "since" => f.since = Some(time(value)?),
            "until" => f.until = Some(time(value)?),
            "from" => f.from = Some(number(value)),
            "to" => f.to = Some(number(value)),
            "flow" => f.flow = Some(value.clone()),
            "status" => f.status = Some(value.clone()),
            "limit" => {
                f.limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| format!("`limit` is a number from 1 to {MAX_LIMIT}"))?;
            }
            "cursor" => {
                f.cursor = Some(Cursor::decode(value).ok_or_else(|| {
                    "`cursor` is not one this API gave (pass `next` as it came)".to_string()
                })?);
            }
            _ => {
                return Err(format!(
                    "unknown parameter `{name}`: the filters are since, until, from, to, flow, \
                     status, limit and cursor"
                ));
            }
        }
    }
    Ok(f)
}

/// A number as the query carried it: an unencoded `+` (`from=+14155550142`) decodes as a
/// space, and no phone number starts with one, so it is read back as the `+` it was.
fn number(value: &str) -> String {
    match value.strip_prefix(' ') {
        Some(rest) => format!("+{rest}"),
        None => value.to_string(),
    }
}

fn reply<T: Serialize>(result: Result<T, StoreError>) -> Resp {
    match result {
        Ok(page) => json(StatusCode::OK, &page),
        Err(e) => unavailable(&e),
    }
}

/// `503`: the database failed. The client gets a short reason; the log, the error.
fn unavailable(e: &StoreError) -> Resp {
    tracing::warn!(error = %e, "records API: the database failed");
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "the records database is unavailable; see the server log",
    )
}

fn error(status: StatusCode, reason: &str) -> Resp {
    json(status, &serde_json::json!({ "error": reason }))
}

fn json<T: Serialize>(status: StatusCode, value: &T) -> Resp {
    let body = match serde_json::to_vec(value) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "records API: cannot serialise the answer");
            return error(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        }
    };
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    // Call records are personal data: no proxy or browser cache keeps them.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_by_digest() {
        let t = AdminToken::new(" s3cret\n").unwrap();
        assert!(t.accepts("s3cret"));
        for wrong in ["", "s3cre", "s3cret ", "S3CRET", "s3cret2"] {
            assert!(!t.accepts(wrong), "{wrong:?}");
        }
        assert!(AdminToken::new(" \n").is_none());
        assert_eq!(format!("{t:?}"), "AdminToken([redacted])");
    }

    #[test]
    fn bearer_headers() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
    }

    #[test]
    fn query_filters() {
        let now = 1_784_044_800_000_000;
        let f = filter("since=1h&from=+14155550142&to=%2B14155550100&limit=3", now).unwrap();
        assert_eq!(f.since, Some(now - 3_600_000_000));
        assert_eq!(f.from.as_deref(), Some("+14155550142"));
        assert_eq!(f.to.as_deref(), Some("+14155550100"));
        assert_eq!(f.limit, 3);
        assert_eq!(filter("", now), Ok(Filter::default()));
        let cases = [
            ("since=yesterday", "`since`: invalid time"),
            ("limit=0", "`limit` is a number"),
            ("limit=1001", "`limit` is a number"),
            ("cursor=x", "`cursor` is not one"),
            ("flow=a&flow=b", "`flow` is given twice"),
            ("sice=1h", "unknown parameter `sice`"),
        ];
        for (q, reason) in cases {
            let e = filter(q, now).unwrap_err();
            assert!(e.starts_with(reason), "{q}: {e}");
        }
        assert_eq!(cases.len(), 6);
    }
}
