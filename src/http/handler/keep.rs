//! Keeping records of what the handler answered: webhooks go to the recorder without
//! waiting; callbacks are answered once their record is durable (docs/records.md).

use std::time::{Duration, Instant};

use hyper::StatusCode;
use hyper::http::request::Parts;
use jiff::Timestamp;

use super::super::Served;
use super::super::verify::raw_target;
use super::{App, Note, Resp, no_content, text};
use crate::calls::CallStore;
use crate::calls::record::{self, Arrival, Record};
use crate::engine::{self, Event, Params};

/// What a call webhook's record says beyond the request itself.
pub(super) struct Webhook<'a> {
    /// `voice`, `continue` or `fallback`.
    pub(super) endpoint: &'static str,
    /// `flow/step` from the action URL.
    pub(super) resumed: Option<String>,
    /// The run's "now".
    pub(super) now: Timestamp,
    /// The set that answered.
    pub(super) served: &'a Served,
    /// The run's trace (redacted here).
    pub(super) trace: Vec<Event>,
    /// The document answered (redacted with the trace).
    pub(super) twiml: &'a [u8],
    /// The notifications the run raised.
    pub(super) notices: &'a [engine::Notice],
    /// The run's secrets.
    pub(super) secrets: &'a [String],
}

/// A request past its checks, as the endpoints see it.
pub(super) struct Req<'a> {
    /// Method, URI, headers.
    pub(super) parts: &'a Parts,
    /// The decoded parameters.
    pub(super) params: &'a Params,
    /// When it arrived (for the record's latency).
    pub(super) started: Instant,
}

/// Twilio's retry-stable id of a webhook request.
const IDEMPOTENCY_TOKEN: &str = "i-twilio-idempotency-token";

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

impl App {
    /// Hands a webhook's record to the recorder (never waits).
    pub(super) fn keep_webhook(
        &self,
        records: &CallStore,
        req: &Req<'_>,
        w: Webhook<'_>,
        note: &Note,
    ) {
        let Webhook {
            endpoint,
            resumed,
            now,
            served,
            mut trace,
            twiml,
            notices,
            secrets,
        } = w;
        engine::redact(&mut trace, secrets);
        let answered = record::Answered {
            endpoint,
            resumed,
            idempotency_token: req
                .parts
                .headers
                .get(IDEMPOTENCY_TOKEN)
                .and_then(|v| v.to_str().ok()),
            signature: req
                .parts
                .headers
                .get("x-twilio-signature")
                .and_then(|v| v.to_str().ok()),
            url: raw_target(&req.parts.uri),
            now: now.as_microsecond(),
            latency_us: micros(req.started.elapsed()),
            flow: note.flow.clone(),
            flow_version: served.version().to_string(),
            failed: note.failed,
            trace,
            twiml,
            engine: &self.engine,
            notices,
            secrets,
        };
        if let Some(r) = Record::webhook(req.params, self.arrival(), answered) {
            records.recorder.record(r);
        }
    }

    pub(super) fn arrival(&self) -> Arrival<'_> {
        Arrival {
            at: Timestamp::now().as_microsecond(),
            replica: self
                .config
                .records
                .as_ref()
                .map_or("", |r| r.recorder.replica()),
        }
    }

    /// Keeps a callback's record and answers once it is durable: `204`, or `503` when
    /// neither the database nor the spool took it (Twilio may retry), `400` when it lacks
    /// what identifies it. Without a store: `204`.
    pub(super) async fn keep_callback(
        &self,
        record: impl FnOnce(Arrival<'_>) -> Result<Record, record::Unusable>,
    ) -> Resp {
        let Some(records) = &self.config.records else {
            return no_content();
        };
        let r = match record(self.arrival()) {
            Ok(r) => r,
            Err(missing) => {
                return text(
                    StatusCode::BAD_REQUEST,
                    &format!("not a callback this server can record: {missing}"),
                );
            }
        };
        match records.recorder.acknowledge(r).await {
            Ok(()) => no_content(),
            Err(e) => text(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
        }
    }
}
