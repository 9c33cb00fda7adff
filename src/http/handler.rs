//! One request: route, checks, the endpoint, the answer and its log line.
//!
//! The order of checks is cheapest and least trusting first (see the [module docs](super)).
//! Everything after routing runs inside [`CatchUnwind`] and the per-request timeout, so a
//! panic anywhere below still produces an answer: the safe document for call webhooks (Twilio
//! must never see a `5xx` for a call that reached a flow), `204` for callbacks.

use std::any::Any;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Body, Incoming};
use hyper::header::{
    ALLOW, CACHE_CONTROL, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue,
};
use hyper::http::request::Parts;
use hyper::{Method, Request, Response, StatusCode};
use jiff::Timestamp;

use super::counters::{Counters, GaugeGuard, bump};
use super::throttle::{Throttle, Verdict};
use super::verify::{raw_target, signed_base, verify_webhook_decoded};
use super::{FlowStore, Limits, ServerConfig, Verification};
use crate::calls::record::Record;
use crate::engine::action_url::{self, VoicePath};
use crate::engine::trace_header;
use crate::engine::{self, Entry, Event, Routed};
use crate::form;
use crate::metrics;
use crate::twiml::MAX_DOCUMENT_BYTES;

mod keep;
mod scrape;

use keep::{Req, Webhook};

type Resp = Response<Full<Bytes>>;

const TEXT_XML: &str = "text/xml; charset=utf-8";
const TEXT_PLAIN: &str = "text/plain; charset=utf-8";
const APPLICATION_JSON: &str = "application/json";

/// Longest request-supplied string copied into a log line.
const LOG_CLIP: usize = 200;

/// State shared by every request.
pub(crate) struct App {
    /// The served flows.
    store: Arc<FlowStore>,
    /// The server's settings.
    config: ServerConfig,
    /// Settings for every interpreter run: base URL, callback paths, apology.
    engine: engine::Config,
    /// The answer for `/fallback` and for panics, rendered once at start-up.
    safe_document: Bytes,
    /// When the server started (for `/readyz`).
    started: Instant,
    /// What has been handled.
    pub(crate) counters: Counters,
    /// Limits "signature check failed" lines (a flood of forged requests).
    rejection_lines: Throttle,
    /// Limits "request refused" lines (a flood of bad paths, methods, bodies).
    refusal_lines: Throttle,
    /// The operator console, `None` when it is off (no admin token).
    console: Option<super::console::Console>,
}

/// Log lines of one kind let through per second under a flood; the rest are counted.
const LOG_LINES_PER_SECOND: u32 = 20;

/// Where a request goes, from its path alone.
#[derive(Debug, Clone, Copy)]
enum Route<'a> {
    Voice,
    Continue {
        flow: &'a str,
        step: &'a str,
    },
    Status,
    Recording,
    Transcription,
    Fallback,
    Healthz,
    Readyz,
    /// `/api/…`: the records API (`api`).
    Api,
    /// `/metrics`: Prometheus (`scrape`).
    Metrics,
    /// `/console…`: the operator console (`console`).
    Console,
    NotFound,
}

impl<'a> Route<'a> {
    fn parse(path: &'a str) -> Route<'a> {
        match path {
            "/status" => Route::Status,
            "/recording" => Route::Recording,
            "/transcription" => Route::Transcription,
            "/fallback" => Route::Fallback,
            "/healthz" => Route::Healthz,
            "/readyz" => Route::Readyz,
            "/metrics" => Route::Metrics,
            p if p == "/api" || p.starts_with("/api/") => Route::Api,
            p if p == "/console" || p.starts_with("/console/") => Route::Console,
            _ => match action_url::parse_path(path) {
                Some(VoicePath::Incoming) => Route::Voice,
                Some(VoicePath::Continue { flow, step }) => Route::Continue { flow, step },
                None => Route::NotFound,
            },
        }
    }

    fn name(self) -> &'static str {
        match self {
            Route::Voice => "voice",
            Route::Continue { .. } => "continue",
            Route::Status => "status",
            Route::Recording => "recording",
            Route::Transcription => "transcription",
            Route::Fallback => "fallback",
            Route::Healthz => "healthz",
            Route::Readyz => "readyz",
            Route::Api => "api",
            Route::Metrics => "metrics",
            Route::Console => "console",
            Route::NotFound => "unknown",
        }
    }

    /// The route's template in the metrics.
    fn label(self) -> metrics::Route {
        match self {
            Route::Voice => metrics::Route::Voice,
            Route::Continue { .. } => metrics::Route::Continue,
            Route::Status => metrics::Route::Status,
            Route::Recording => metrics::Route::Recording,
            Route::Transcription => metrics::Route::Transcription,
            Route::Fallback => metrics::Route::Fallback,
            Route::Healthz => metrics::Route::Healthz,
            Route::Readyz => metrics::Route::Readyz,
            Route::Api => metrics::Route::Api,
            Route::Metrics => metrics::Route::Metrics,
            Route::Console => metrics::Route::Console,
            Route::NotFound => metrics::Route::Other,
        }
    }

    fn answers_calls(self) -> bool {
        matches!(
            self,
            Route::Voice | Route::Continue { .. } | Route::Fallback
        )
    }
}

/// What the log line for a request says beyond method, path, status and latency.
#[derive(Debug, Default)]
struct Note {
    /// `CallSid` of the webhook.
    call_sid: Option<String>,
    /// The flow that answered.
    flow: Option<String>,
    /// The interpreter's trace, summarised.
    steps: Option<String>,
    /// The run hit a run-time failure (the caller heard the apology).
    failed: bool,
    /// Why the signature check refused the request.
    rejection: Option<String>,
    /// The panic message, if the handler panicked.
    panic: Option<String>,
    /// Callback details.
    callback: Option<Callback>,
    /// How a call webhook ended, when the status alone does not say (metrics).
    outcome: Option<metrics::Outcome>,
}

/// Fields of a callback worth a log line.
#[derive(Debug)]
enum Callback {
    Status {
        call_status: String,
        parent_call_sid: Option<String>,
        sequence: Option<String>,
        call_duration: Option<String>,
        direction: Option<String>,
    },
    Recording {
        recording_status: String,
        recording_sid: Option<String>,
        recording_duration: Option<String>,
        error_code: Option<String>,
    },
    Fallback {
        error_code: Option<String>,
        error_url: Option<String>,
    },
    Transcription {
        transcription_status: String,
        transcription_sid: Option<String>,
        recording_sid: Option<String>,
    },
}

impl App {
    pub(crate) fn new(store: Arc<FlowStore>, config: ServerConfig) -> App {
        let engine = engine::Config {
            base_url: config
                .public_url
                .as_ref()
                .map(|u| u.as_str().to_owned())
                .unwrap_or_default(),
            status_path: Some("/status".into()),
            recording_path: Some("/recording".into()),
            transcription_path: Some("/transcription".into()),
            apology: config.apology.clone(),
        };
        let safe_document = Bytes::from(engine::safe_document(
            &config.apology,
            config.fallback_operator.as_deref(),
        ));
        let console = match (&config.admin_token, config.console) {
            (Some(admin), Some(views)) => {
                let secure = config
                    .public_url
                    .as_ref()
                    .is_some_and(|u| u.as_str().starts_with("https://"));
                Some(super::console::Console::new(admin, views, secure))
            }
            _ => None,
        };
        App {
            console,
            store,
            config,
            engine,
            safe_document,
            started: Instant::now(),
            counters: Counters::default(),
            rejection_lines: Throttle::new(LOG_LINES_PER_SECOND, Duration::from_secs(1)),
            refusal_lines: Throttle::new(LOG_LINES_PER_SECOND, Duration::from_secs(1)),
        }
    }

    pub(crate) fn limits(&self) -> Limits {
        self.config.limits
    }

    pub(crate) fn open_connections(&self) -> u64 {
        self.counters
            .connections
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Answers one request and logs it. Never fails.
    pub(crate) async fn handle(&self, req: Request<Incoming>, peer: SocketAddr) -> Resp {
        let started = Instant::now();
        let _in_flight = GaugeGuard::new(&self.counters.in_flight);
        let (parts, body) = req.into_parts();
        let route = Route::parse(parts.uri.path());
        let mut note = Note::default();
        let work = CatchUnwind(Box::pin(
            self.dispatch(route, &parts, body, &mut note, started),
        ));
        let outcome = tokio::time::timeout(self.config.limits.request_timeout, work).await;
        let response = match outcome {
            Ok(Ok(resp)) => resp,
            Ok(Err(panic)) => {
                bump(&self.counters.panics);
                note.panic = Some(panic_message(panic.as_ref()));
                note.outcome = Some(metrics::Outcome::Panic);
                self.after_panic(route)
            }
            Err(_elapsed) => {
                bump(&self.counters.timeouts);
                close(text(StatusCode::REQUEST_TIMEOUT, "request timeout"))
            }
        };
        let elapsed = started.elapsed();
        let outcome = note
            .outcome
            .unwrap_or_else(|| metrics::Outcome::of_status(response.status().as_u16()));
        self.config.metrics.webhook(route.label(), outcome, elapsed);
        self.log(route, &parts, peer, response.status(), elapsed, &note);
        response
    }

    async fn dispatch(
        &self,
        route: Route<'_>,
        parts: &Parts,
        body: Incoming,
        note: &mut Note,
        started: Instant,
    ) -> Resp {
        let method = &parts.method;
        match route {
            Route::NotFound => return text(StatusCode::NOT_FOUND, "not found"),
            // Its own auth and methods; never the body, the form or the signature steps.
            Route::Api => {
                let (db, admin) = (&self.config.database, &self.config.admin_token);
                return super::api::answer(db.as_ref(), admin.as_ref(), parts).await;
            }
            // Its own optional token; never a Twilio signature.
            Route::Metrics => return self.scrape(parts),
            // The admin token once, then its cookie; its own methods and bodies.
            Route::Console => {
                let ctx = super::console::Ctx {
                    console: self.console.as_ref(),
                    db: self.config.database.as_ref(),
                    store: &self.store,
                };
                return super::console::answer(ctx, parts, body).await;
            }
            Route::Healthz | Route::Readyz => {
                if method != Method::GET && method != Method::HEAD {
                    return not_allowed("GET, HEAD");
                }
                return match route {
                    Route::Healthz => text(StatusCode::OK, "ok"),
                    _ => self.readyz(),
                };
            }
            _ => {}
        }
        if method != Method::GET && method != Method::POST {
            return not_allowed("GET, POST");
        }
        let is_post = method == Method::POST;
        if is_post
            && !body.is_end_stream()
            && !form::is_form(
                parts
                    .headers
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok()),
            )
        {
            return text(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported content type: webhooks are application/x-www-form-urlencoded",
            );
        }

        // The declared length is refused before reading anything; `Limited` catches chunked
        // bodies (and lying lengths) as they arrive.
        let limit = self.config.limits.body_bytes;
        let declared = parts
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return too_large();
        }
        let bytes = match Limited::new(body, limit).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) if e.is::<LengthLimitError>() => return too_large(),
            Err(_) => return close(text(StatusCode::BAD_REQUEST, "cannot read the body")),
        };

        // POST parameters are in the body; GET parameters are appended to the URL's query.
        let query = parts.uri.query().unwrap_or("");
        let fields = if is_post {
            &bytes[..]
        } else {
            query.as_bytes()
        };
        let params = match form::parse_params(fields) {
            Ok(params) => params,
            Err(e) => return text(StatusCode::BAD_REQUEST, &format!("malformed request: {e}")),
        };
        note.call_sid = params.get("CallSid").map(clip);

        if let Verification::Required(keys) = &self.config.verification {
            let base = signed_base(
                self.config.public_url.as_ref(),
                self.config.trust_forwarded,
                &parts.uri,
                &parts.headers,
            );
            let target = raw_target(&parts.uri);
            // A POST's parameters are the body's decoding: the signature check reuses them
            // instead of decoding the body a second time.
            let decoded = is_post.then_some(&params);
            if let Err(r) =
                verify_webhook_decoded(keys, &base, target, method, &parts.headers, &bytes, decoded)
            {
                bump(&self.counters.signature_rejections);
                self.config.metrics.signature_rejected();
                note.rejection = Some(r.to_string());
                return text(StatusCode::FORBIDDEN, r.reason());
            }
        }

        // Asked for by `switchboard call`, never by Twilio; only past the signature check.
        let trace = parts.headers.contains_key(trace_header::NAME);
        let req = Req {
            parts,
            params: &params,
            started,
        };
        match route {
            Route::Voice => self.voice(Entry::Incoming, &req, trace, note),
            Route::Continue { flow, step } => {
                // The query is the call state; with GET it also holds Twilio's parameters,
                // which state decoding ignores.
                self.voice(Entry::Continue { flow, step, query }, &req, trace, note)
            }
            Route::Status => self.status(&req, note).await,
            Route::Recording => self.recording(&req, note).await,
            Route::Transcription => self.transcription(&req, note).await,
            Route::Fallback => self.fallback(&req, note),
            Route::Healthz
            | Route::Readyz
            | Route::Api
            | Route::Metrics
            | Route::Console
            | Route::NotFound => text(StatusCode::NOT_FOUND, "not found"),
        }
    }

    /// `/voice` and `/voice/{flow}/{step}`: run the interpreter. With `trace`, the answer
    /// also carries the run's trace ([`trace_header`]). The run's record goes to the
    /// recorder without waiting.
    fn voice(&self, entry: Entry<'_>, req: &Req<'_>, trace: bool, note: &mut Note) -> Resp {
        let params = req.params;
        let served = self.store.current();
        let now = Timestamp::now();
        let mut outcome = (self.config.runner)(&served.set, &self.engine, entry, params, now);
        let unrouted = outcome.routed == Some(Routed::NoFlow);
        match entry {
            Entry::Incoming if unrouted => bump(&self.counters.unrouted),
            Entry::Incoming => bump(&self.counters.calls),
            Entry::Continue { .. } => bump(&self.counters.continuations),
        }
        self.count_run(entry, params, &outcome);
        note.failed = outcome.failed;
        note.flow = outcome.flow;
        note.steps = Some(trace_summary(&outcome.trace));
        // The interpreter guarantees the size; checked again because Twilio refuses the
        // whole call (11750) over it.
        let body = if outcome.twiml.len() > MAX_DOCUMENT_BYTES {
            note.failed = true;
            self.safe_document.clone()
        } else {
            Bytes::from(outcome.twiml)
        };
        if note.failed {
            bump(&self.counters.run_failures);
        }
        note.outcome = Some(match () {
            () if note.failed => metrics::Outcome::RunFailure,
            () if unrouted => metrics::Outcome::NoFlow,
            () => metrics::Outcome::Answered,
        });
        let mut resp = twiml(body.clone());
        if trace {
            let value = trace_header::encode(
                &served.set,
                &outcome.trace,
                note.flow.as_deref(),
                note.failed,
            );
            // The encoding is visible ASCII, so the conversion cannot fail; if it ever did,
            // the answer simply goes without a trace.
            if let Ok(v) = HeaderValue::from_str(&value) {
                resp.headers_mut()
                    .insert(HeaderName::from_static(trace_header::NAME), v);
            }
        }
        if let Some(records) = &self.config.records {
            let resumed = match entry {
                Entry::Continue { flow, step, .. } => Some(format!("{flow}/{step}")),
                Entry::Incoming => None,
            };
            let endpoint = if resumed.is_some() {
                "continue"
            } else {
                "voice"
            };
            let trace = std::mem::take(&mut outcome.trace);
            let w = Webhook {
                endpoint,
                resumed,
                now,
                served: &served,
                trace,
                twiml: &body,
                notices: &outcome.notices,
                secrets: &outcome.secrets,
            };
            self.keep_webhook(records, req, w, note);
        }
        resp
    }

    /// `/status`: count, log and keep; the reply content is ignored by Twilio.
    async fn status(&self, req: &Req<'_>, note: &mut Note) -> Resp {
        let params = req.params;
        let call_status = params.get("CallStatus").unwrap_or("");
        self.counters.call_status(call_status);
        self.config.metrics.call_status(call_status);
        note.callback = Some(Callback::Status {
            call_status: clip(call_status),
            parent_call_sid: params.get("ParentCallSid").map(clip),
            sequence: params.get("SequenceNumber").map(clip),
            call_duration: params.get("CallDuration").map(clip),
            direction: params.get("Direction").map(clip),
        });
        self.keep_callback(|a| Record::status(params, a)).await
    }

    /// `/recording`: count, log and keep.
    async fn recording(&self, req: &Req<'_>, note: &mut Note) -> Resp {
        let params = req.params;
        let status = params.get("RecordingStatus").unwrap_or("");
        self.counters.recording_status(status);
        self.config.metrics.recording(status);
        note.callback = Some(Callback::Recording {
            recording_status: clip(status),
            recording_sid: params.get("RecordingSid").map(clip),
            // Not the URL: recordings are often fetchable without authentication, so the URL
            // is as good as the recording. The Sid finds it in the Twilio Console.
            recording_duration: params.get("RecordingDuration").map(clip),
            error_code: params.get("ErrorCode").map(clip),
        });
        self.keep_callback(|a| Record::recording(params, a)).await
    }

    /// `/transcription`: log and keep (`record` steps with `transcribe: true`).
    async fn transcription(&self, req: &Req<'_>, note: &mut Note) -> Resp {
        let params = req.params;
        note.callback = Some(Callback::Transcription {
            transcription_status: clip(params.get("TranscriptionStatus").unwrap_or("")),
            transcription_sid: params.get("TranscriptionSid").map(clip),
            recording_sid: params.get("RecordingSid").map(clip),
        });
        self.keep_callback(|a| Record::transcription(params, a))
            .await
    }

    /// `/fallback`: Twilio could not use an answer; give the safe document (and keep the
    /// request: it says Twilio could not use an earlier answer).
    fn fallback(&self, req: &Req<'_>, note: &mut Note) -> Resp {
        let params = req.params;
        bump(&self.counters.fallbacks);
        note.callback = Some(Callback::Fallback {
            error_code: params.get("ErrorCode").map(clip),
            error_url: params.get("ErrorUrl").map(|u| clip(strip_query(u))),
        });
        if let Some(records) = &self.config.records {
            let served = self.store.current();
            let trace = vec![Event::Error {
                message: format!(
                    "Twilio could not use an answer (error {})",
                    params.get("ErrorCode").unwrap_or("?")
                ),
            }];
            let w = Webhook {
                endpoint: "fallback",
                resumed: None,
                now: Timestamp::now(),
                served: &served,
                trace,
                twiml: &self.safe_document,
                notices: &[],
                secrets: &[],
            };
            self.keep_webhook(records, req, w, note);
        }
        twiml(self.safe_document.clone())
    }

    /// `/readyz`: the served set, the last refused reload, the reload history (with the
    /// refused attempt's structured diagnostics) and the counters.
    fn readyz(&self) -> Resp {
        let served = self.store.current();
        let last_failure = self.store.last_failure().map(|f| {
            serde_json::json!({
                "at": f.at.to_string(),
                "errors": f.errors,
                "summary": f.summary,
            })
        });
        let body = serde_json::json!({
            "status": "ready",
            "flows": served.flows,
            "steps": served.steps,
            "warnings": served.warnings,
            "loaded_at": served.loaded_at.to_string(),
            "load_ms": served.load_time.as_secs_f64() * 1000.0,
            "last_reload_error": last_failure,
            "reload": self.store.reload_json(),
            "signature_verification": matches!(self.config.verification, Verification::Required(_)),
            "uptime_s": self.started.elapsed().as_secs(),
            "counters": self.counters.to_json(),
            "records": self.config.records.as_ref().map(|r| r.recorder.health()),
        });
        let mut resp = respond(StatusCode::OK, Bytes::from(body.to_string()));
        set_content_type(&mut resp, APPLICATION_JSON);
        resp
    }

    /// The answer after a panic: calls still get TwiML, callbacks their `204`.
    fn after_panic(&self, route: Route<'_>) -> Resp {
        match route {
            r if r.answers_calls() => twiml(self.safe_document.clone()),
            Route::Status | Route::Recording | Route::Transcription => no_content(),
            _ => text(StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
        }
    }

    /// One line per request. Never the token, the signature or the query (the call state
    /// holds what callers entered).
    fn log(
        &self,
        route: Route<'_>,
        parts: &Parts,
        peer: SocketAddr,
        status: StatusCode,
        elapsed: Duration,
        note: &Note,
    ) {
        let endpoint = route.name();
        let method = parts.method.as_str();
        let path = clip(parts.uri.path());
        let status = status.as_u16();
        let latency_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let call_sid = note.call_sid.as_deref();
        if let Some(panic) = &note.panic {
            tracing::error!(
                endpoint,
                method,
                path,
                status,
                latency_us,
                call_sid,
                panic,
                "handler panicked; answered safely"
            );
            return;
        }
        if let Some(reason) = &note.rejection {
            // Throttled: a flood of forged requests is counted (`signature_rejections`), not
            // logged line by line.
            if let Verdict::Log { left_out } = self.rejection_lines.check() {
                tracing::warn!(
                    endpoint, method, path, status, latency_us, call_sid, peer = %peer, reason,
                    left_out, "signature check failed"
                );
            }
            return;
        }
        match &note.callback {
            Some(Callback::Status {
                call_status,
                parent_call_sid,
                sequence,
                call_duration,
                direction,
            }) => tracing::info!(
                endpoint,
                method,
                path,
                status,
                latency_us,
                call_sid,
                call_status,
                parent_call_sid,
                sequence,
                call_duration,
                direction,
                "call status"
            ),
            Some(Callback::Recording {
                recording_status,
                recording_sid,
                recording_duration,
                error_code,
            }) => tracing::info!(
                endpoint,
                method,
                path,
                status,
                latency_us,
                call_sid,
                recording_status,
                recording_sid,
                recording_duration,
                error_code,
                "recording status"
            ),
            Some(Callback::Transcription {
                transcription_status,
                transcription_sid,
                recording_sid,
            }) => tracing::info!(
                endpoint,
                method,
                path,
                status,
                latency_us,
                call_sid,
                transcription_status,
                transcription_sid,
                recording_sid,
                "transcription"
            ),
            Some(Callback::Fallback {
                error_code,
                error_url,
            }) => tracing::warn!(
                endpoint,
                method,
                path,
                status,
                latency_us,
                call_sid,
                error_code,
                error_url,
                "fallback: Twilio could not use an answer"
            ),
            None if note.steps.is_some() => tracing::info!(
                endpoint,
                method,
                path,
                status,
                latency_us,
                call_sid,
                flow = note.flow.as_deref(),
                steps = note.steps.as_deref(),
                failed = note.failed,
                "call"
            ),
            // The path only: the token is a header and the query holds no secret.
            None if matches!(route, Route::Api) => tracing::info!(
                endpoint, method, path, status, latency_us, peer = %peer, "api"
            ),
            None if matches!(route, Route::Healthz | Route::Readyz | Route::Metrics)
                && status < 400 =>
            {
                tracing::debug!(endpoint, method, path, status, latency_us, "probe")
            }
            None => {
                if let Verdict::Log { left_out } = self.refusal_lines.check() {
                    tracing::info!(
                        endpoint, method, path, status, latency_us, call_sid, peer = %peer,
                        left_out, "request refused"
                    );
                }
            }
        }
    }
}

/// The trace as one short line: the steps entered and how the response ends. Leaves out
/// what callers said or entered and variable values (they may be private). Written into one
/// string: it is built for every call's log line.
/// Engine error messages quote the offending value in backticks (a rendered dial target may
/// hold what the caller said); the log keeps the message and drops the value.
fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for (i, part) in message.split('`').enumerate() {
        if i % 2 == 0 {
            out.push_str(part);
        } else {
            out.push_str("`…`");
        }
    }
    out
}

fn trace_summary(trace: &[Event]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(128);
    let mut sep = "";
    for e in trace {
        if matches!(
            e,
            Event::Number { .. } | Event::Resume { .. } | Event::Rule { .. } | Event::Set { .. }
        ) {
            continue;
        }
        // Writing to a `String` cannot fail.
        let _ = match e {
            Event::NoFlow { to } => write!(out, "{sep}no flow answers {}", clip(to)),
            Event::Restart { .. } => write!(out, "{sep}restart"),
            Event::Enter { flow, step, .. } => write!(out, "{sep}{flow}/{step}"),
            Event::Input { outcome, .. } | Event::Result { outcome, .. } => {
                write!(out, "{sep}{outcome}")
            }
            Event::Exhausted { .. } => write!(out, "{sep}out of tries"),
            Event::Wait { what, .. } => write!(out, "{sep}wait for {what}"),
            Event::Hangup => write!(out, "{sep}hangup"),
            Event::Error { message } => {
                write!(out, "{sep}error: {}", redact_quoted(message))
            }
            Event::OnError { step } => write!(out, "{sep}on_error {step}"),
            Event::Number { .. }
            | Event::Resume { .. }
            | Event::Rule { .. }
            | Event::Set { .. } => Ok(()),
        };
        sep = " > ";
    }
    out
}

/// [`form::clip`] at the log line's limit: one name for every call site below.
fn clip(s: &str) -> String {
    form::clip(s, LOG_CLIP)
}

fn strip_query(url: &str) -> &str {
    url.split_once('?').map_or(url, |(u, _)| u)
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .map_or_else(|| "non-string panic payload".into(), |s| clip(&s))
}

fn respond(status: StatusCode, body: Bytes) -> Resp {
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = status;
    resp
}

fn set_content_type(resp: &mut Resp, value: &'static str) {
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(value));
}

/// `200` with a TwiML document.
fn twiml(body: Bytes) -> Resp {
    let mut resp = respond(StatusCode::OK, body);
    set_content_type(&mut resp, TEXT_XML);
    // Twilio caches GET answers by validator headers; these answers depend on time and state.
    resp.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// A short plain-text answer (errors, `/healthz`).
fn text(status: StatusCode, msg: &str) -> Resp {
    let mut body = String::with_capacity(msg.len() + 1);
    body.push_str(msg);
    body.push('\n');
    let mut resp = respond(status, Bytes::from(body));
    set_content_type(&mut resp, TEXT_PLAIN);
    resp
}

fn no_content() -> Resp {
    respond(StatusCode::NO_CONTENT, Bytes::new())
}

fn not_allowed(allow: &'static str) -> Resp {
    let mut resp = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    resp.headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    resp
}

/// `413`; the connection closes, since the rest of the body was not read.
fn too_large() -> Resp {
    close(text(
        StatusCode::PAYLOAD_TOO_LARGE,
        "request body too large",
    ))
}

/// Asks hyper to close the connection after this answer.
fn close(mut resp: Resp) -> Resp {
    resp.headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    resp
}

/// Turns a panic while polling the inner future into an `Err` with the panic payload.
/// The boxed future is `Unpin`, so no unsafe pinning is needed; after a panic it is never
/// polled again.
struct CatchUnwind<F>(
    /// The wrapped future.
    Pin<Box<F>>,
);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        // Unwind safety: after a panic the future is dropped, never polled again, and the
        // shared state it touches (atomics, the immutable flow set) stays consistent.
        match std::panic::catch_unwind(AssertUnwindSafe(move || inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_errors_drop_quoted_values() {
        assert_eq!(
            redact_quoted("dial target `+1my ssn is 078051120` is not a number"),
            "dial target `…` is not a number"
        );
        assert_eq!(redact_quoted("no rule matched"), "no rule matched");
    }

    #[test]
    fn routes() {
        assert!(matches!(Route::parse("/voice"), Route::Voice));
        assert!(matches!(
            Route::parse("/voice/acme/menu"),
            Route::Continue {
                flow: "acme",
                step: "menu"
            }
        ));
        // Every malformed call path is `engine::action_url`'s to test; a few reach here.
        for bad in [
            "/voice/acme",
            "/voice/ac%20me/menu",
            "/Voice",
            "/status/",
            "/",
        ] {
            assert!(matches!(Route::parse(bad), Route::NotFound), "{bad}");
        }
    }

    #[test]
    fn form_content_types() {
        let v = |s: &'static str| form::is_form(HeaderValue::from_static(s).to_str().ok());
        assert!(v("application/x-www-form-urlencoded"));
        assert!(v("Application/X-WWW-Form-Urlencoded; charset=UTF-8"));
        assert!(!v("application/json"));
        assert!(!v("multipart/form-data; boundary=x"));
        assert!(!form::is_form(None));
    }

    #[test]
    fn summaries_leave_out_private_values() {
        let trace = vec![
            Event::Enter {
                flow: "acme".into(),
                step: "account".into(),
                kind: "ask",
            },
            Event::Input {
                step: "account".into(),
                heard: "123456".into(),
                outcome: "accepted".into(),
            },
            Event::Set {
                name: "account".into(),
                value: "123456".into(),
            },
            Event::Wait {
                step: "billing_dial".into(),
                what: "dial",
            },
        ];
        let s = trace_summary(&trace);
        assert_eq!(s, "acme/account > accepted > wait for dial");
        assert!(!s.contains("123456"));
    }

    #[test]
    fn clip_respects_char_boundaries() {
        let s = "é".repeat(150);
        let c = clip(&s);
        assert!(c.len() <= LOG_CLIP);
        assert!(s.starts_with(&c));
    }
}
