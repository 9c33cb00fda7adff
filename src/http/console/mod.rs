//! The operator console (`/console/`, docs/console.md): recent calls, a call's story, the
//! flows as diagrams, in a browser, served by the same binary.
//!
//! On when the server has an admin token (the records API's), `404` everywhere otherwise.
//! One sign-in with the token gives a signed, expiring cookie (`session`); every page
//! needs it, and every `POST` must come from the console's own pages
//! (`session::cross_site`). Pages are HTML rendered here, every stored value escaped
//! (`html::esc`); the stylesheet and the one script are embedded at build time, and a
//! strict Content-Security-Policy keeps the pages from loading or running anything else.
//!
//! The text views come from the offline tools (`calls show`'s story, the `graph` drawing,
//! `replay`), which this module may not import (`http` and `tools` do not import each
//! other): the command line hands them in as plain functions ([`Views`]).

mod calls;
mod flows;
mod html;
mod session;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{
    ALLOW, CACHE_CONTROL, CONTENT_TYPE, HeaderName, HeaderValue, LOCATION, SET_COOKIE,
};
use hyper::http::request::Parts;
use hyper::{Method, Response, StatusCode};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::api::AdminToken;
use super::store::FlowStore;
use crate::calls::{Database, Story};
use crate::flow::FlowSet;
use crate::flow::model::FlowId;

pub use session::{COOKIE_NAME, LIFETIME_SECS};

type Resp = Response<Full<Bytes>>;

/// The offline tools' views the console shows, handed in by the command line.
#[derive(Debug, Clone, Copy)]
pub struct Views {
    /// A call's story as `calls show` prints it, times in the zone given.
    pub story: fn(&Story, &TimeZone) -> String,
    /// A flow as an SVG diagram (`switchboard graph`'s graph).
    pub diagram: fn(&FlowSet, FlowId) -> String,
    /// The call replayed against the set given at its recorded times, as `replay CALLSID`
    /// prints it; the text names the set with the label given.
    pub replay: fn(&Story, &FlowSet, &str, &TimeZone) -> String,
}

/// The console's state: on only with an admin token and the views.
#[derive(Debug, Clone)]
pub struct Console {
    /// The token a sign-in must present.
    admin: AdminToken,
    /// Signs and checks session cookies.
    sessions: session::Sessions,
    /// The tools' views.
    views: Views,
}

impl Console {
    /// The console for `admin`, its cookies `Secure` when `secure` (an https public URL).
    pub fn new(admin: &AdminToken, views: Views, secure: bool) -> Console {
        Console {
            admin: admin.clone(),
            sessions: session::Sessions::new(admin, secure),
            views,
        }
    }
}

/// What a console request may read.
pub(super) struct Ctx<'a> {
    /// The console, `None` when it is off.
    pub console: Option<&'a Console>,
    /// The records (`None`: `--database none`).
    pub db: Option<&'a Database>,
    /// The served flows.
    pub store: &'a FlowStore,
}

/// Largest sign-in form read.
const FORM_BYTES: usize = 4096;

/// Answers one `/console…` request.
pub(super) async fn answer(ctx: Ctx<'_>, parts: &Parts, body: Incoming) -> Resp {
    let Some(console) = ctx.console else {
        return plain(StatusCode::NOT_FOUND, "not found");
    };
    let path = parts.uri.path();
    let Some(rest) = path.strip_prefix("/console") else {
        return plain(StatusCode::NOT_FOUND, "not found");
    };
    let now = Timestamp::now().as_second();
    let method = &parts.method;
    let get = method == Method::GET || method == Method::HEAD;
    match rest {
        "" if get => return redirect("/console/"),
        "/assets/console.css" if get => return asset(html::CSS, "text/css; charset=utf-8"),
        "/assets/console.js" if get => {
            return asset(html::JS, "text/javascript; charset=utf-8");
        }
        "/assets/icon.svg" if get => return asset(html::ICON, "image/svg+xml"),
        "/login" if get => return page(StatusCode::OK, html::login(None)),
        "/login" if method == Method::POST => return sign_in(console, parts, body, now).await,
        "/logout" if method == Method::POST => {
            if session::cross_site(parts) {
                return cross_site_refused(parts);
            }
            let mut resp = redirect("/console/login");
            resp.headers_mut()
                .insert(SET_COOKIE, console.sessions.clear_cookie());
            return resp;
        }
        _ => {}
    }
    if !get {
        let mut resp = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
        resp.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return resp;
    }
    if !console.sessions.signed_in(parts, now) {
        // A fragment fetched by the page's script gets a status it can act on; a page, the
        // sign-in form.
        return if rest.starts_with("/calls/rows") {
            plain(StatusCode::UNAUTHORIZED, "signed out")
        } else {
            redirect("/console/login")
        };
    }
    let query = parts.uri.query().unwrap_or("");
    let tz = TimeZone::system();
    let views = &console.views;
    match rest {
        "/" => calls::list(ctx.db, ctx.store, query, &tz).await,
        "/calls/rows" => calls::rows(ctx.db, query, &tz).await,
        "/flows" => flows::overview(ctx.store),
        _ => {
            if let Some(name) = rest.strip_prefix("/flows/") {
                return flows::one(ctx.store, views, name);
            }
            if let Some(sid) = rest.strip_prefix("/calls/") {
                return match sid.strip_suffix("/replay") {
                    Some(sid) => calls::replay(ctx.db, ctx.store, views, sid, &tz).await,
                    None => calls::one(ctx.db, views, sid, &tz).await,
                };
            }
            page(StatusCode::NOT_FOUND, html::not_found())
        }
    }
}

/// `POST /console/login`: the token once, then the cookie.
async fn sign_in(console: &Console, parts: &Parts, body: Incoming, now: i64) -> Resp {
    if session::cross_site(parts) {
        return cross_site_refused(parts);
    }
    let bytes = match Limited::new(body, FORM_BYTES).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return plain(StatusCode::PAYLOAD_TOO_LARGE, "form too large"),
    };
    let token = crate::form::parse(&bytes)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "token"))
        .map(|(_, v)| v);
    // The admin token's own check: digests compared in constant time; the token is trimmed
    // as the server trims the configured one.
    if token.is_some_and(|t| console.admin.accepts(t.trim())) {
        let mut resp = redirect("/console/");
        resp.headers_mut()
            .insert(SET_COOKIE, console.sessions.set_cookie(now));
        tracing::info!("console: signed in");
        return resp;
    }
    tracing::warn!("console: a sign-in with a wrong token");
    page(
        StatusCode::UNAUTHORIZED,
        html::login(Some("That is not the admin token.")),
    )
}

/// `403` for a `POST` from another site; the log says what the browser sent.
fn cross_site_refused(parts: &Parts) -> Resp {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| crate::form::clip(v, 200))
    };
    tracing::warn!(
        origin = header("origin").as_deref(),
        sec_fetch_site = header("sec-fetch-site").as_deref(),
        host = header("host").as_deref(),
        "console: a cross-site POST refused"
    );
    plain(StatusCode::FORBIDDEN, "cross-site request refused")
}

/// The headers every console answer carries.
fn secure_headers(resp: &mut Resp) {
    let h = resp.headers_mut();
    // Nothing but this server: no inline script, no other host; recordings may play from
    // Twilio (preload="none": only when the operator presses play).
    h.insert(
        HeaderName::from_static("content-security-policy"),
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
             media-src 'self' https://api.twilio.com; connect-src 'self'; object-src 'none'; \
             base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        HeaderName::from_static("referrer-policy"),
        // Not `no-referrer`: with it Chromium sends `Origin: null` on the console's own form
        // posts. Other hosts (the recording links) still get no referrer.
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("x-frame-options"),
        HeaderValue::from_static("DENY"),
    );
}

fn respond(status: StatusCode, body: impl Into<Bytes>, content_type: &'static str) -> Resp {
    let mut resp = Response::new(Full::new(body.into()));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    secure_headers(&mut resp);
    resp
}

/// An HTML page or fragment; never cached (call records are personal data).
fn page(status: StatusCode, body: String) -> Resp {
    let mut resp = respond(status, body, "text/html; charset=utf-8");
    resp.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn plain(status: StatusCode, msg: &'static str) -> Resp {
    respond(status, msg, "text/plain; charset=utf-8")
}

fn asset(body: &'static str, content_type: &'static str) -> Resp {
    let mut resp = respond(StatusCode::OK, body, content_type);
    resp.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

/// `303 See Other` to a console path.
fn redirect(to: &'static str) -> Resp {
    let mut resp = respond(
        StatusCode::SEE_OTHER,
        Bytes::new(),
        "text/plain; charset=utf-8",
    );
    resp.headers_mut()
        .insert(LOCATION, HeaderValue::from_static(to));
    resp
}
