//! `switchboard call URL`: the walk of `simulate`, against a running server over HTTP.
//!
//! The call plays Twilio: every webhook is a form-encoded POST with the parameters Twilio
//! sends, signed with the auth token (`X-Twilio-Signature`) over the URL Twilio would
//! request. The loop is [`crate::tools::simulate::run_over`], the one behind `simulate`; this
//! module is only its [`Transport`]: send one webhook, read the TwiML that comes back, hand it
//! to the loop as a typed [`Response`](crate::twiml::Response), which follows Gather, Dial,
//! Record and Enqueue actions and Redirects exactly as it does in process.
//!
//! - **Where to send and what to sign.** The positional URL says where the server is and
//!   which path the number's Voice URL has. Requests go to `--connect` (default: the URL's
//!   host and port) with the URL's authority as `Host`; signatures cover `--public-url`
//!   (default: the URL's scheme and host) followed by the request-target, which is how the
//!   server rebuilds the signed URL. URLs written in documents are resolved like a browser
//!   resolves links (absolute, `/path`, `path`), then must lie under the public base; the
//!   rest is the request-target. A URL elsewhere ends the call as an external redirect.
//! - **Plain HTTP only.** There is no TLS stack here: behind a TLS proxy, point `call` at
//!   the server's own address and set `--public-url` to the public base.
//! - **The trace.** TwiML does not say which rules matched or which steps ran, so each
//!   request asks for the interpreter's trace ([`crate::engine::trace_header`]), which the server
//!   returns to signed requests only. Without it the transcript still shows what the caller
//!   hears and every URL, but no steps.
//! - **Reading TwiML.** [`read_twiml`] parses with `roxmltree` (no DTDs, so no entity
//!   expansion) into the crate's own TwiML types; `twiml` stays the only code that writes
//!   XML. Unknown elements are noted, not fatal; a document that is not XML, or whose root is
//!   not `<Response>`, fails the call, as it fails on Twilio.
//!
//! Every request is bounded by `--timeout`, every answer by [`READ_LIMIT`], and the call by
//! [`crate::tools::simulate::MAX_WEBHOOKS`]. The auth token is held as a [`Secret`] and only ever used to
//! sign: it appears in no output and no error.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{ACCEPT, CONNECTION, CONTENT_TYPE, HOST, USER_AGENT};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use jiff::tz::TimeZone;

use crate::engine::Outcome;
use crate::engine::trace_header;
use crate::flow::FlowSet;
use crate::signature::{self, PublicUrl, SIGNATURE_HEADER, Secret};
use crate::tools::simulate::{self as sim, Sent, Transport, Waiting};
use crate::twiml::{Gather, MAX_DOCUMENT_BYTES, read_twiml};

/// Largest answer read. Far above Twilio's 64 kB, so an oversized document is reported as
/// such instead of being cut; a server streaming without end is cut here.
pub const READ_LIMIT: usize = 1024 * 1024;

/// The `User-Agent` Twilio sends.
const TWILIO_USER_AGENT: &str = "TwilioProxy/1.1";

/// Longest part of an error answer's body quoted in the transcript.
const REASON_CLIP: usize = 200;

// ---------------------------------------------------------------------------------------------
// Where requests go and what is signed
// ---------------------------------------------------------------------------------------------

/// Where `call` sends its webhooks and which URLs it signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The address the TCP connection goes to, `host:port`.
    pub connect: String,
    /// The `Host` header: the authority of the URL given.
    pub host: String,
    /// The public base Twilio requests, without a trailing `/`: `--public-url`, or the URL's
    /// scheme and authority. Signed URLs are this followed by the request-target.
    pub base: String,
    /// The request-target of the incoming-call webhook: the URL's path and query.
    pub first_target: String,
}

impl Endpoint {
    /// Reads the positional URL (`http://HOST[:PORT][/PATH][?QUERY]`) with the optional
    /// `--public-url` and `--connect`.
    ///
    /// # Errors
    ///
    /// Why the URL cannot be used, with what to do instead (for `https://`: the proxy's
    /// internal address and `--public-url`).
    pub fn new(
        url: &str,
        public: Option<&PublicUrl>,
        connect: Option<&str>,
    ) -> Result<Endpoint, String> {
        let url = url.trim();
        if url
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err("the URL contains whitespace or control characters".into());
        }
        let Some(rest) = strip_prefix_ci(url, "http://") else {
            if let Some(rest) = strip_prefix_ci(url, "https://") {
                let (authority, path) = split_authority(rest);
                let path = if path.is_empty() { "/voice" } else { path };
                return Err(format!(
                    "`call` speaks plain HTTP only: it has no TLS support.\n\
                     \x20 help: point it at the server behind the proxy (its internal address) \
                     and give the public base with --public-url, so the signatures match what \
                     the server checks:\n\
                     \x20     switchboard call http://127.0.0.1:8080{path} --public-url \
                     https://{authority} --to NUMBER"
                ));
            }
            return Err("the URL must start with http://, e.g. http://127.0.0.1:8080/voice".into());
        };
        let (authority, target) = split_authority(rest);
        if authority.is_empty() {
            return Err("the URL has no host".into());
        }
        if authority.contains('@') {
            return Err("the URL must not contain credentials (user:pass@)".into());
        }
        // A fragment never reaches the server.
        let target = target.split('#').next().unwrap_or("");
        let first_target = match target.chars().next() {
            None => "/".to_owned(),
            Some('?') => format!("/{target}"),
            Some(_) => target.to_owned(),
        };
        let connect = match connect {
            Some(c) if !c.trim().is_empty() => c.trim().to_owned(),
            Some(_) => return Err("--connect is empty; give HOST:PORT".into()),
            None if has_port(authority) => authority.to_owned(),
            None => format!("{authority}:80"),
        };
        Ok(Endpoint {
            connect,
            host: authority.to_owned(),
            base: public.map_or_else(|| format!("http://{authority}"), |p| p.as_str().to_owned()),
            first_target,
        })
    }

    /// The public URL of the incoming-call webhook.
    pub fn first_url(&self) -> String {
        format!("{}{}", self.base, self.first_target)
    }

    /// The request-target of an absolute URL, when it lies under the public base: scheme and
    /// host compare without case, the path prefix exactly.
    pub fn target(&self, url: &str) -> Option<String> {
        let url = url.split('#').next().unwrap_or("");
        let origin_len = origin(&self.base).len();
        let (base_origin, base_prefix) = self.base.split_at(origin_len);
        let rest = strip_prefix_ci(url, base_origin)?;
        let rest = rest.strip_prefix(base_prefix)?;
        match rest.chars().next() {
            None => Some("/".to_owned()),
            Some('/') => Some(rest.to_owned()),
            // `https://host/ivrx` is not under `https://host/ivr`; a bare query after a
            // prefix has no request-target the server would sign the same way.
            Some(_) => None,
        }
    }
}

/// `authority` and what follows it (path, query, fragment) in a URL without its scheme.
fn split_authority(rest: &str) -> (&str, &str) {
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    rest.split_at(end)
}

/// True when an authority names a port (`host:8080`, `[::1]:8080`, not `[::1]`).
fn has_port(authority: &str) -> bool {
    match authority.rfind(']') {
        Some(i) => authority[i..].contains(':'),
        None => authority.contains(':'),
    }
}

/// `scheme://authority` of an absolute URL (the whole string when it has no path).
fn origin(url: &str) -> &str {
    let Some(i) = url.find("://") else { return "" };
    let (_, rest) = url.split_at(i + 3);
    let (authority, _) = split_authority(rest);
    &url[..i + 3 + authority.len()]
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// True when `url` starts with a scheme (`http:`, `tel:`, …), i.e. is absolute.
fn has_scheme(url: &str) -> bool {
    let Some(colon) = url.find(':') else {
        return false;
    };
    let scheme = &url[..colon];
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Resolves a URL written in a document against the absolute URL of the request that
/// returned the document (RFC 3986 §5.2, without the rarely used corners).
pub fn resolve(written: &str, current: &str) -> String {
    let written = written.trim();
    if has_scheme(written) {
        return written.to_owned();
    }
    let current = current.split('#').next().unwrap_or("");
    let origin = origin(current);
    let path_and_query = &current[origin.len()..];
    let path = path_and_query.split('?').next().unwrap_or("");
    if let Some(rest) = written.strip_prefix("//") {
        let scheme = current.split("://").next().unwrap_or("http");
        return format!("{scheme}://{rest}");
    }
    if written.is_empty() || written.starts_with('#') {
        return current.to_owned();
    }
    if written.starts_with('?') {
        return format!("{origin}{path}{written}");
    }
    let (w_path, w_query) = match written.find('?') {
        Some(i) => written.split_at(i),
        None => (written, ""),
    };
    let merged = if w_path.starts_with('/') {
        w_path.to_owned()
    } else {
        let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        if dir.is_empty() {
            format!("/{w_path}")
        } else {
            format!("{dir}{w_path}")
        }
    };
    format!("{origin}{}{w_query}", remove_dot_segments(&merged))
}

/// Removes `.` and `..` segments from an absolute path.
fn remove_dot_segments(path: &str) -> String {
    if !path.split('/').any(|s| s == "." || s == "..") {
        return path.to_owned();
    }
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/').skip(1) {
        match seg {
            "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let dir = path.ends_with("/.") || path.ends_with("/..");
    format!("/{}{}", out.join("/"), if dir { "/" } else { "" })
}

// ---------------------------------------------------------------------------------------------
// The transport
// ---------------------------------------------------------------------------------------------

/// One HTTP answer, read whole.
#[derive(Debug)]
struct Reply {
    /// The status.
    status: StatusCode,
    /// `Content-Type`, if any.
    content_type: Option<String>,
    /// `X-Switchboard-Trace`, if any.
    trace: Option<String>,
    /// The body; empty when it was longer than [`READ_LIMIT`].
    body: Bytes,
    /// The body was longer than [`READ_LIMIT`] and was not kept.
    too_large: bool,
}

/// Sends webhooks to a running server, signed as Twilio signs them.
pub struct HttpTransport {
    /// Runs the requests, one at a time.
    rt: tokio::runtime::Runtime,
    /// Where requests go and what is signed.
    endpoint: Endpoint,
    /// The auth token the signatures are made with.
    token: Secret,
    /// Bound on each request, from connecting to the last byte of the answer.
    timeout: Duration,
    /// The public URL of the last request: relative URLs in its answer resolve against it.
    current: String,
    /// The zone of the flow that answered, from the first trace that names one.
    zone: Option<TimeZone>,
    /// The note about a missing trace was given (once per call is enough).
    told_no_trace: bool,
}

impl HttpTransport {
    /// A transport to `endpoint`, signing with `token`, each request bounded by `timeout`.
    ///
    /// # Errors
    ///
    /// When the async runtime cannot start.
    pub fn new(
        endpoint: Endpoint,
        token: Secret,
        timeout: Duration,
    ) -> std::io::Result<HttpTransport> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(HttpTransport {
            rt,
            current: endpoint.first_url(),
            endpoint,
            token,
            timeout,
            zone: None,
            told_no_trace: false,
        })
    }

    /// Turns an answer into the typed document the loop follows, or the reason it cannot.
    fn answer(&mut self, public: &str, reply: Reply) -> Sent {
        if reply.status != StatusCode::OK {
            let mut why = format!("POST {public}: HTTP {}", reply.status);
            let reason = body_reason(&reply.body);
            if !reason.is_empty() {
                why.push_str(": ");
                why.push_str(&reason);
            }
            if reply.status == StatusCode::FORBIDDEN {
                why.push_str(
                    " (the server refused the signature: is the auth token the server's, and \
                     --public-url the server's --public-url?)",
                );
            }
            return Sent::Failed(why);
        }
        let ct = reply.content_type.as_deref().unwrap_or("");
        if !ct.to_ascii_lowercase().contains("xml") {
            return Sent::Failed(format!(
                "POST {public}: the answer is {:?}, not TwiML (text/xml)",
                if ct.is_empty() { "untyped" } else { ct }
            ));
        }
        if reply.too_large || reply.body.len() > MAX_DOCUMENT_BYTES {
            let size = if reply.too_large {
                format!("over {READ_LIMIT}")
            } else {
                reply.body.len().to_string()
            };
            return Sent::Failed(format!(
                "POST {public}: the document is {size} bytes; Twilio refuses more than \
                 {MAX_DOCUMENT_BYTES} (error 11750)"
            ));
        }
        let Ok(text) = String::from_utf8(reply.body.to_vec()) else {
            return Sent::Failed(format!("POST {public}: the document is not UTF-8"));
        };
        let (response, mut notes) = match read_twiml(&text) {
            Ok(r) => r,
            Err(e) => return Sent::Failed(format!("POST {public}: malformed TwiML: {e}")),
        };
        let mut outcome = Outcome {
            twiml: text,
            response,
            trace: Vec::new(),
            flow: None,
            routed: None,
            failed: false,
            secrets: Vec::new(),
            notices: Vec::new(),
            answer: None,
        };
        match reply.trace.as_deref().map(trace_header::decode) {
            Some(Ok(d)) => {
                if self.zone.is_none()
                    && let Some(z) = d.zone.as_deref()
                {
                    self.zone = TimeZone::get(z).ok();
                }
                if d.truncated {
                    notes.push("the server cut this trace short (too long for a header)".into());
                }
                if d.skipped > 0 {
                    notes.push(format!(
                        "{} trace event(s) of kinds this switchboard does not know skipped",
                        d.skipped
                    ));
                }
                outcome.trace = d.events;
                outcome.flow = d.flow;
                outcome.failed = d.failed;
            }
            Some(Err(e)) => notes.push(format!("unreadable trace from the server: {e}")),
            None if !self.told_no_trace => {
                self.told_no_trace = true;
                notes.push(format!(
                    "the server sent no {} header (an older switchboard, or a proxy dropped \
                     it): steps and rules are not shown",
                    trace_header::NAME
                ));
            }
            None => {}
        }
        Sent::Answered { outcome, notes }
    }
}

impl Transport for HttpTransport {
    fn first_url(&self) -> String {
        self.endpoint.first_url()
    }

    fn send(&mut self, url: &str, params: &[(String, String)]) -> Sent {
        let resolved = resolve(url, &self.current);
        let Some(target) = self.endpoint.target(&resolved) else {
            return Sent::External;
        };
        let public = format!("{}{target}", self.endpoint.base);
        self.current.clone_from(&public);
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let sig = signature::sign(&self.token, &public, params);
        let request = post(&self.endpoint, &target, body, sig);
        // The timer is made inside the runtime: tokio's timers need its context.
        let timeout = self.timeout;
        match self
            .rt
            .block_on(async move { tokio::time::timeout(timeout, request).await })
        {
            Ok(Ok(reply)) => self.answer(&public, reply),
            Ok(Err(e)) => Sent::Failed(format!("POST {public}: {e}")),
            Err(_) => Sent::Failed(format!(
                "POST {public}: no complete answer within {} (Twilio gives up after 15s)",
                human(self.timeout)
            )),
        }
    }

    fn zone(&self, _to: &str) -> TimeZone {
        self.zone.clone().unwrap_or(TimeZone::UTC)
    }

    fn waiting(&self, g: &Gather, action: &str) -> Waiting {
        // The flows are on the server: the gather is described from its URL alone.
        sim::waiting_for(&FlowSet::default(), &self.endpoint.base, g, action)
    }
}

/// One signed form POST over a fresh connection, read whole.
async fn post(ep: &Endpoint, target: &str, body: String, sig: String) -> Result<Reply, String> {
    let stream = tokio::net::TcpStream::connect(&ep.connect)
        .await
        .map_err(|e| {
            format!(
                "cannot connect to {}: {e} (is `switchboard serve` running there?)",
                ep.connect
            )
        })?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake with {} failed: {e}", ep.connect))?;
    // The connection runs as its own task; it ends once the answer is read and `sender` is
    // dropped (the request says `Connection: close`), or with the runtime.
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let req = Request::post(target)
        .header(HOST, &ep.host)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, "*/*")
        .header(USER_AGENT, TWILIO_USER_AGENT)
        .header(SIGNATURE_HEADER, sig)
        .header(trace_header::NAME, "1")
        .header(CONNECTION, "close")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("cannot build a request for {target:?}: {e}"))?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| format!("the request failed: {e}"))?;
    let header = |name| {
        resp.headers()
            .get(name)
            .and_then(|v: &hyper::header::HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let status = resp.status();
    let content_type = header(CONTENT_TYPE.as_str());
    let trace = header(trace_header::NAME);
    let (body, too_large) = match Limited::new(resp.into_body(), READ_LIMIT).collect().await {
        Ok(b) => (b.to_bytes(), false),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => (Bytes::new(), true),
        Err(e) => return Err(format!("cannot read the answer: {e}")),
    };
    Ok(Reply {
        status,
        content_type,
        trace,
        body,
        too_large,
    })
}

/// The first line of an error answer, clipped and without control characters.
fn body_reason(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let line = text.lines().next().unwrap_or("").trim();
    line.chars()
        .filter(|c| !c.is_control())
        .take(REASON_CLIP)
        .collect()
}

/// `15s`, `250ms`.
fn human(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(url: &str, public: Option<&str>) -> Endpoint {
        let p = public.map(|p| PublicUrl::parse(p).expect("valid public URL"));
        Endpoint::new(url, p.as_ref(), None).expect("usable URL")
    }

    #[test]
    fn the_url_gives_address_host_base_and_first_target() {
        let e = ep("http://127.0.0.1:8080/voice", None);
        assert_eq!(e.connect, "127.0.0.1:8080");
        assert_eq!(e.host, "127.0.0.1:8080");
        assert_eq!(e.base, "http://127.0.0.1:8080");
        assert_eq!(e.first_url(), "http://127.0.0.1:8080/voice");
        let e = ep("HTTP://localhost?x=1#frag", None);
        assert_eq!(
            (e.connect.as_str(), e.first_target.as_str()),
            ("localhost:80", "/?x=1")
        );
        assert_eq!(ep("http://[::1]/voice", None).connect, "[::1]:80");
        assert_eq!(ep("http://[::1]:9/voice", None).connect, "[::1]:9");
        let e = ep(
            "http://10.0.0.5:8080/voice",
            Some("https://ivr.example.com/ivr/"),
        );
        assert_eq!(e.first_url(), "https://ivr.example.com/ivr/voice");
        assert_eq!(e.host, "10.0.0.5:8080");
        let e = Endpoint::new("http://h/voice", None, Some("127.0.0.1:1")).expect("ok");
        assert_eq!((e.connect.as_str(), e.host.as_str()), ("127.0.0.1:1", "h"));
    }

    #[test]
    fn unusable_urls_say_why() {
        let err = Endpoint::new("https://ivr.example.com/voice", None, None).unwrap_err();
        assert!(err.contains("no TLS"), "{err}");
        assert!(
            err.contains("--public-url https://ivr.example.com"),
            "{err}"
        );
        for bad in [
            "ivr.example.com/voice",
            "http:///voice",
            "http://u:p@h/voice",
            "http://h/a b",
        ] {
            assert!(Endpoint::new(bad, None, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_resolve_like_links() {
        let cur = "https://h.example/ivr/voice/acme/menu?k=m&n=1";
        assert_eq!(
            resolve("/voice/a/b?k=d", cur),
            "https://h.example/voice/a/b?k=d"
        );
        assert_eq!(resolve("http://o.example/x", cur), "http://o.example/x");
        assert_eq!(resolve("//o.example/x", cur), "https://o.example/x");
        assert_eq!(
            resolve("next?x=1", cur),
            "https://h.example/ivr/voice/acme/next?x=1"
        );
        assert_eq!(resolve("../b/c", cur), "https://h.example/ivr/voice/b/c");
        assert_eq!(
            resolve("?k=a", cur),
            "https://h.example/ivr/voice/acme/menu?k=a"
        );
        assert_eq!(resolve("", cur), cur);
        assert_eq!(resolve(" /voice ", "http://h"), "http://h/voice");
        assert_eq!(resolve("x", "http://h"), "http://h/x");
    }

    #[test]
    fn only_urls_under_the_public_base_are_sent() {
        let e = ep(
            "http://127.0.0.1:8080/voice",
            Some("https://ivr.example.com/ivr"),
        );
        let t = |u: &str| e.target(u);
        assert_eq!(
            t("https://IVR.example.com/ivr/voice/a/b?k=m").as_deref(),
            Some("/voice/a/b?k=m")
        );
        assert_eq!(t("https://ivr.example.com/ivr").as_deref(), Some("/"));
        assert_eq!(t("https://ivr.example.com/ivrx/voice"), None);
        assert_eq!(t("https://ivr.example.com/IVR/voice"), None);
        assert_eq!(t("https://other.example.com/ivr/voice"), None);
        assert_eq!(t("http://ivr.example.com/ivr/voice"), None);
    }

    #[test]
    fn error_bodies_are_quoted_clipped_and_clean() {
        assert_eq!(body_reason(b"signature mismatch\n"), "signature mismatch");
        assert_eq!(body_reason(b"a\x1b[31mb\nsecond"), "a[31mb");
        assert_eq!(body_reason(&[b'x'; 500]).len(), REASON_CLIP);
    }
}
