//! `/metrics` and what a call webhook adds to the metrics ([`crate::metrics`]).

use std::sync::atomic::Ordering::Relaxed;

use bytes::Bytes;
use hyper::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use hyper::http::request::Parts;
use hyper::{Method, StatusCode};

use super::{App, Resp, not_allowed, respond, text};
use crate::engine::{self, Answer, Entry, MenuAnswer, Params, Routed};
use crate::metrics::{self, Menu, Scrape, StoreFigures};

impl App {
    /// `GET /metrics`: with a metrics token, only for its bearer (the records API's rule);
    /// never a Twilio signature. The format follows the `Accept` header: OpenMetrics for
    /// Prometheus (it asks for it first, and it is what prometheus-client writes natively),
    /// the classic text format (0.0.4) for anything else (curl, older scrapers), both from
    /// prometheus-client's encoders.
    pub(super) fn scrape(&self, parts: &Parts) -> Resp {
        if let Some(token) = &self.config.metrics_token
            && !super::super::api::authorized(token, parts)
        {
            let mut resp = text(
                StatusCode::UNAUTHORIZED,
                "/metrics needs Authorization: Bearer <metrics token>",
            );
            resp.headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return resp;
        }
        if parts.method != Method::GET && parts.method != Method::HEAD {
            return not_allowed("GET, HEAD");
        }
        let openmetrics = parts
            .headers
            .get_all(ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.contains("application/openmetrics-text"));
        let served = self.store.current();
        let history = self.store.history();
        let figures = Scrape {
            flow_set_version: served.version(),
            flows: served.flows as u64,
            steps: served.steps as u64,
            warnings: served.warnings as u64,
            load_time: served.load_time,
            loaded_at: served.loaded_at.as_millisecond() as f64 / 1000.0,
            reloads_ok: history.succeeded - history.unchanged,
            reloads_unchanged: history.unchanged,
            reloads_refused: history.failed,
            in_flight: self.counters.in_flight.load(Relaxed),
            connections: self.counters.connections.load(Relaxed),
            store: self.config.records.as_ref().map(|r| {
                let h = r.recorder.health();
                StoreFigures {
                    database_up: h.database_ok,
                    queue_depth: h.queue_depth,
                    queue_capacity: h.queue_capacity,
                    spool_bytes: h.spool_bytes,
                    spool_max_bytes: h.spool_max_bytes,
                    committed: h.committed,
                    spooled: h.spooled,
                    replayed: h.replayed,
                    dropped: h.dropped,
                    refused: h.refused,
                    quarantined: h.quarantined,
                    duplicates: h.duplicates,
                    flow_sets_kept: h.flow_sets_kept,
                    flow_sets_dropped: h.flow_sets_dropped,
                }
            }),
        };
        let body = match self.config.metrics.encode(&figures, openmetrics) {
            Ok(body) => body,
            Err(_) => return text(StatusCode::INTERNAL_SERVER_ERROR, "cannot encode metrics"),
        };
        let mut resp = respond(StatusCode::OK, Bytes::from(body));
        let content_type = if openmetrics {
            metrics::OPENMETRICS
        } else {
            metrics::PROMETHEUS_TEXT
        };
        let headers = resp.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        resp
    }

    /// Counts what a run did: the incoming call by flow, a menu's answer, a dial's status.
    /// Flow names come from the set (or the action URL) and are bounded by the metrics'
    /// table of served flows.
    pub(super) fn count_run(&self, entry: Entry<'_>, params: &Params, outcome: &engine::Outcome) {
        let m = &self.config.metrics;
        let flow = match entry {
            Entry::Incoming => {
                let unrouted = outcome.routed == Some(Routed::NoFlow);
                // A run that failed before choosing a flow is no flow's call.
                let answered_by = outcome.flow.as_deref().unwrap_or("other");
                m.call((!unrouted).then_some(answered_by));
                return;
            }
            // The menu or dial that waited is in the URL's flow.
            Entry::Continue { flow, .. } => flow,
        };
        match outcome.answer {
            Some(Answer::Menu(a)) => m.menu(
                flow,
                match a {
                    MenuAnswer::Matched => Menu::Matched,
                    MenuAnswer::Invalid => Menu::Invalid,
                    MenuAnswer::NoInput => Menu::NoInput,
                    MenuAnswer::Exhausted => Menu::Exhausted,
                },
            ),
            // As the dial step reads it: no status is a failure.
            Some(Answer::Dial) => m.dial(flow, params.get("DialCallStatus").unwrap_or("failed")),
            None => {}
        }
    }
}
