//! The notification outbox (docs/notifications.md): a row per (event, channel), written in
//! the transaction that stores the webhook record that raised it, so an event the store
//! has is an event that will be delivered, and a webhook stored twice raises nothing twice.
//!
//! Delivery is at least once, with one attempt chain per row across replicas: a replica
//! claims due rows with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the single writer
//! on SQLite), makes one attempt each, and records the attempt and the next state while
//! it still holds the lease. A replica that dies mid-attempt leaves the lease to run out;
//! another then continues the chain (the attempt may have reached the receiver: receivers
//! deduplicate by the notification id, which every attempt carries).

use serde::{Deserialize, Serialize};

use super::record::{Body, Record};
use super::{Columns, Database, StoreError, blocking};

/// What a notification says, as stored in the outbox and sent to channels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// `voicemail` or `missed_call`.
    pub event: String,
    /// The flow.
    pub flow: String,
    /// The `record` or `dial` step.
    pub step: String,
    /// The call's `CallSid`.
    pub call_sid: String,
    /// The caller (`From`).
    #[serde(default)]
    pub caller: Option<String>,
    /// The dialed number (`To`).
    #[serde(default)]
    pub dialed: Option<String>,
    /// When it happened (µs since the epoch: the webhook's arrival).
    pub at: i64,
    /// The recording's `RecordingSid`.
    #[serde(default)]
    pub recording_sid: Option<String>,
    /// The recording's URL.
    #[serde(default)]
    pub recording_url: Option<String>,
    /// The recording's length, seconds.
    #[serde(default)]
    pub recording_duration: Option<i64>,
    /// The dial's outcome (`busy`, `no-answer`, `failed`).
    #[serde(default)]
    pub dial_status: Option<String>,
}

/// An outbox row to write, from a webhook record just stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    /// `{record key}/{channel}`: stable, so a record stored twice raises it once.
    pub id: String,
    /// The channel.
    pub channel: String,
    /// Whether to wait for the transcript.
    pub transcribe: bool,
    /// The event.
    pub event: Event,
}

/// The outbox rows a record raises (none but for webhooks with notices).
pub fn raised(r: &Record) -> Vec<NewNotification> {
    let Body::Webhook(w) = &r.body else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for n in &w.notices {
        let input = |k: &str| w.inputs.get(k).cloned();
        let event = Event {
            event: n.kind.clone(),
            flow: n.flow.clone(),
            step: n.step.clone(),
            call_sid: r.call_sid.clone(),
            caller: w.leg.from.clone(),
            dialed: w.leg.to.clone(),
            at: r.at,
            recording_sid: input("RecordingSid"),
            recording_url: input("RecordingUrl"),
            recording_duration: input("RecordingDuration").and_then(|d| d.parse().ok()),
            dial_status: input("DialCallStatus"),
        };
        for channel in &n.channels {
            out.push(NewNotification {
                id: format!("{}/{}/{channel}", r.key, n.kind),
                channel: channel.clone(),
                transcribe: n.transcribe,
                event: event.clone(),
            });
        }
    }
    out
}

/// A notification claimed for one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// Its id (receivers deduplicate by it).
    pub id: String,
    /// The channel.
    pub channel: String,
    /// The event.
    pub event: Event,
    /// Attempts made before this one.
    pub attempts: i64,
    /// The transcript, when it came in time.
    pub transcript: Option<String>,
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The channel took it.
    Delivered,
    /// It failed; try again at this time (µs).
    Retry(i64),
    /// It failed for good (attempts used up, or the channel is gone).
    Failed,
}

impl Outcome {
    /// The row's state after it.
    pub fn state(&self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Retry(_) => "pending",
            Outcome::Failed => "failed",
        }
    }

    /// The row's `due` after an attempt made at `at` (µs): the retry's time, else `at`.
    pub fn due(&self, at: i64) -> i64 {
        match self {
            Outcome::Retry(when) => *when,
            Outcome::Delivered | Outcome::Failed => at,
        }
    }
}

/// One attempt, as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// 1, 2, …
    pub attempt: i64,
    /// When it was made (µs).
    pub at: i64,
    /// The replica that made it.
    pub replica: String,
    /// The channel took it.
    pub ok: bool,
    /// What happened (`HTTP 200`, `HTTP 500: …`, `SMTP 250 …`, the error).
    pub detail: String,
}

/// A call's notification, with its attempts (`calls show`, the API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Its id.
    pub id: String,
    /// `voicemail` or `missed_call`.
    pub kind: String,
    /// The channel.
    pub channel: String,
    /// The flow.
    pub flow: String,
    /// The step.
    pub step: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    /// When it was raised (µs).
    pub created: i64,
    /// Attempts made.
    pub attempts: Vec<Attempt>,
    /// The last attempt's result.
    pub last_result: Option<String>,
}

/// A claim: who, until when, and which rows are due.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    /// The claiming replica.
    pub replica: &'a str,
    /// Now (µs).
    pub now: i64,
    /// The lease ends (µs).
    pub until: i64,
    /// Rows raised before this (µs) go without the transcript they wait for.
    pub transcript_cutoff: i64,
    /// At most this many.
    pub limit: i64,
}

impl Database {
    /// Claims due notifications for one attempt each (see the module).
    pub async fn claim_notifications(&self, c: Claim<'_>) -> Result<Vec<Claimed>, StoreError> {
        match self {
            Database::Sqlite(db) => {
                let db = std::sync::Arc::clone(db);
                let replica = c.replica.to_string();
                blocking(move || {
                    db.claim_notifications(&Claim {
                        replica: &replica,
                        ..c
                    })
                })
                .await
            }
            Database::Postgres(db) => db.claim_notifications(&c).await,
        }
    }

    /// Records an attempt and the row's next state, if `replica` still holds its lease;
    /// returns whether it did.
    pub async fn finish_notification(
        &self,
        id: &str,
        attempt: &Attempt,
        outcome: &Outcome,
    ) -> Result<bool, StoreError> {
        match self {
            Database::Sqlite(db) => {
                let db = std::sync::Arc::clone(db);
                let (id, attempt, outcome) = (id.to_string(), attempt.clone(), outcome.clone());
                blocking(move || db.finish_notification(&id, &attempt, &outcome)).await
            }
            Database::Postgres(db) => db.finish_notification(id, attempt, outcome).await,
        }
    }

    /// A call's notifications, with their attempts.
    pub async fn notifications(&self, call_sid: &str) -> Result<Vec<Notification>, StoreError> {
        match self {
            Database::Sqlite(db) => {
                let db = std::sync::Arc::clone(db);
                let sid = call_sid.to_string();
                blocking(move || db.notifications(&sid)).await
            }
            Database::Postgres(db) => db.notifications(call_sid).await,
        }
    }
}

/// A [`CALL_NOTIFICATIONS`](super::sql::CALL_NOTIFICATIONS) row (its attempts are attached
/// after, [`attach`]).
pub(super) fn notification_from<R: Columns>(r: &R) -> Result<Notification, R::Error> {
    Ok(Notification {
        id: r.text(0)?,
        kind: r.text(1)?,
        channel: r.text(2)?,
        flow: r.text(3)?,
        step: r.text(4)?,
        state: r.text(5)?,
        created: r.int(6)?,
        attempts: Vec::new(),
        last_result: r.maybe_text(7)?,
    })
}

/// A [`CALL_ATTEMPTS`](super::sql::CALL_ATTEMPTS) row: the notification's id and the attempt.
pub(super) fn attempt_from<R: Columns>(r: &R) -> Result<(String, Attempt), R::Error> {
    Ok((
        r.text(0)?,
        Attempt {
            attempt: r.int(1)?,
            at: r.int(2)?,
            replica: r.text(3)?,
            ok: r.int(4)? != 0,
            detail: r.text(5)?,
        },
    ))
}

/// A claimed row (the claim's `RETURNING` columns), without its transcript, and the
/// recording whose transcript the backend reads next. A payload this build cannot read is
/// delivered with what the columns say.
pub(super) fn claimed_from<R: Columns>(r: &R) -> Result<(Claimed, Option<String>), R::Error> {
    let fallback = Event {
        event: r.text(2)?,
        flow: r.text(4)?,
        step: r.text(5)?,
        call_sid: r.text(1)?,
        caller: None,
        dialed: None,
        at: 0,
        recording_sid: None,
        recording_url: None,
        recording_duration: None,
        dial_status: None,
    };
    let claimed = Claimed {
        id: r.text(0)?,
        channel: r.text(3)?,
        event: serde_json::from_str(&r.text(6)?).unwrap_or(fallback),
        attempts: r.int(8)?,
        transcript: None,
    };
    Ok((claimed, r.maybe_text(7)?))
}

/// Attaches attempts `(notification id, attempt)` to their notifications.
pub(super) fn attach(
    mut list: Vec<Notification>,
    attempts: Vec<(String, Attempt)>,
) -> Vec<Notification> {
    for (id, a) in attempts {
        if let Some(n) = list.iter_mut().find(|n| n.id == id) {
            n.attempts.push(a);
        }
    }
    list
}
