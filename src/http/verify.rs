//! Which URL Twilio signed, and the signature check the handler runs on every webhook.
//!
//! Twilio signs the URL it requested (reference §1.2, §1.7). Behind a proxy the server cannot
//! see that URL, so it is rebuilt as **base + raw request-target**: the base is the configured
//! `--public-url` (scheme, host, optional port and path prefix), and the target is the path and
//! query from the request line exactly as received, never decoded or re-encoded. Without a
//! public URL the base is `http://{Host}`, which only suits local tests. `X-Forwarded-Proto` and
//! `X-Forwarded-Host` are read only with `--trust-forwarded`, because the signature cannot vouch
//! for them (§1.7: a request signed for one host could be replayed with a forged header).

use std::borrow::Cow;

use hyper::header::{CONTENT_TYPE, HOST, HeaderMap, HeaderName};
use hyper::{Method, Uri};

use crate::engine::Params;
use crate::signature::{self, Keys, Rejection};

// The signature concept owns these; re-exported so `crate::http::{PublicUrl, …}` and
// `crate::http::verify::SIGNATURE_HEADER` keep naming them for the server.
pub use crate::signature::{PublicUrl, PublicUrlError, SETTINGS_HEADER, SIGNATURE_HEADER};

const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// The base (everything before the request-target) of the URL Twilio signed for this request.
pub fn signed_base<'a>(
    public: Option<&'a PublicUrl>,
    trust_forwarded: bool,
    uri: &Uri,
    headers: &HeaderMap,
) -> Cow<'a, str> {
    if let Some(p) = public {
        return Cow::Borrowed(p.as_str());
    }
    let host = header_str(headers, &HOST)
        .or_else(|| uri.authority().map(|a| a.as_str()))
        .unwrap_or("");
    if trust_forwarded {
        // Proxies append to these lists; the first entry is what the client (Twilio) used.
        let proto = first_item(headers, &X_FORWARDED_PROTO)
            .filter(|p| p.eq_ignore_ascii_case("https") || p.eq_ignore_ascii_case("http"))
            .map(|p| p.to_ascii_lowercase())
            .unwrap_or_else(|| "http".to_owned());
        let host = first_item(headers, &X_FORWARDED_HOST).unwrap_or(host);
        return Cow::Owned(format!("{proto}://{host}"));
    }
    Cow::Owned(format!("http://{host}"))
}

/// The raw request-target (path and query) as received.
pub fn raw_target(uri: &Uri) -> &str {
    uri.path_and_query().map_or("/", |pq| pq.as_str())
}

/// Checks a webhook's `X-Twilio-Signature` (reference §1): the URL is `base + target`, the
/// body is signed over when it is a form POST, bound by `bodySHA256` otherwise. This is exactly
/// what the HTTP handler calls.
///
/// # Errors
///
/// The [`Rejection`]; the handler answers `403` with [`Rejection::reason`].
pub fn verify_webhook(
    keys: &Keys,
    base: &str,
    target: &str,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), Rejection> {
    verify_webhook_decoded(keys, base, target, method, headers, body, None)
}

/// [`verify_webhook`] with the body already decoded by [`crate::form::parse_params`] (the
/// handler decodes it once, for the parameters and the signature): see
/// [`signature::verify_decoded`]. `None` decodes it here.
///
/// # Errors
///
/// As [`verify_webhook`].
pub fn verify_webhook_decoded(
    keys: &Keys,
    base: &str,
    target: &str,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
    form: Option<&Params>,
) -> Result<(), Rejection> {
    let mut url = String::with_capacity(base.len() + target.len());
    url.push_str(base);
    url.push_str(target);
    let req = signature::Request {
        url: &url,
        method: method.as_str(),
        content_type: header_str(headers, &CONTENT_TYPE),
        body,
        // A header that is not visible ASCII cannot be base64: it counts as present but wrong.
        signature: headers
            .get(SIGNATURE_HEADER)
            .map(|v| v.to_str().unwrap_or("\u{0}")),
        signature_settings: headers
            .get(SETTINGS_HEADER)
            .map(|v| v.to_str().unwrap_or("algorithm=\u{0}")),
    };
    match form {
        Some(form) => signature::verify_decoded(keys, &req, form.pairs()),
        None => signature::verify(keys, &req),
    }
}

fn header_str<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn first_item<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h str> {
    header_str(headers, name)
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn headers(list: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in list {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn base_selection() {
        let uri: Uri = "/voice?x=1".parse().unwrap();
        let h = headers(&[
            ("host", "10.0.0.5:8080"),
            ("x-forwarded-proto", "https, http"),
            ("x-forwarded-host", "ivr.example.com"),
        ]);
        let public = PublicUrl::parse("https://pub.example.com").unwrap();
        assert_eq!(
            signed_base(Some(&public), true, &uri, &h),
            "https://pub.example.com"
        );
        // Forwarded headers are ignored unless trusted.
        assert_eq!(signed_base(None, false, &uri, &h), "http://10.0.0.5:8080");
        assert_eq!(signed_base(None, true, &uri, &h), "https://ivr.example.com");
        // A junk proto falls back to http; a missing forwarded host falls back to Host.
        let h = headers(&[("host", "h:1"), ("x-forwarded-proto", "gopher")]);
        assert_eq!(signed_base(None, true, &uri, &h), "http://h:1");
        assert_eq!(raw_target(&uri), "/voice?x=1");
    }
}
