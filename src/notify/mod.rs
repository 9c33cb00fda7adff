//! Notifications (docs/notifications.md): a voicemail left at a `record` step, or a `dial`
//! nobody answered, told to the channels the step names — a signed JSON webhook or an
//! email.
//!
//! The engine raises the event ([`crate::engine::Notice`]); the call store writes it to its
//! outbox in the transaction that stores the webhook ([`crate::calls::outbox`]); the
//! [`Dispatcher`] here, one per server, claims due rows, makes one attempt each, and
//! records the attempt and what comes next (delivered, retry after a back-off, given up).
//! Any replica may deliver any row; one holds it at a time.
//!
//! A shell module: it does network I/O ([`deliver`]) and reads channel secrets from the
//! environment or files when it needs them, so a rotated key is used at the next attempt.

pub mod deliver;
pub mod payload;
pub mod settings;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

pub use settings::{Settings, Smtp, Tls, parse_smtp_url};

use crate::calls::Database;
use crate::calls::outbox::{Attempt, Claim, Claimed, Outcome};
use crate::flow::model::{Channel, Source};

/// Looks a channel up by name in the flows serving now.
pub type Channels = Arc<dyn Fn(&str) -> Option<Channel> + Send + Sync>;

/// Told of every attempt: the channel's name and `delivered`, `retry` or `failed`
/// (metrics).
pub type Report = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// Rows claimed per round.
const BATCH: i64 = 16;

/// Delivers the outbox.
pub struct Dispatcher {
    /// Where the outbox is.
    db: Database,
    /// This replica's name (in leases and attempts).
    replica: String,
    /// Retries, waits, timeouts, SMTP.
    settings: Settings,
    /// The channels of the flows serving now.
    channels: Channels,
    /// Told of every attempt.
    report: Option<Report>,
    /// The HTTP client webhooks go out on.
    http: deliver::HttpClient,
}

impl Dispatcher {
    /// A dispatcher for the outbox in `db`.
    pub fn new(
        db: Database,
        replica: &str,
        settings: Settings,
        channels: Channels,
        report: Option<Report>,
    ) -> Dispatcher {
        // rustls picks its crypto from the process-wide default, and refuses to guess when
        // the build has more than one provider: ring, chosen once for the process (an
        // error means one was installed already, which is what is needed).
        let _ = rustls::crypto::ring::default_provider().install_default();
        Dispatcher {
            db,
            replica: replica.to_string(),
            settings,
            channels,
            report,
            http: deliver::http_client(),
        }
    }

    /// Runs rounds until `stop` turns true: a round as soon as the last one found work,
    /// else after [`Settings::poll`].
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                return;
            }
            let busy = match self.round().await {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::warn!(error = %e, "notifications: cannot read the outbox");
                    false
                }
            };
            if busy {
                continue;
            }
            tokio::select! {
                _ = stop.changed() => {}
                () = tokio::time::sleep(self.settings.poll) => {}
            }
        }
    }

    /// One round: claims due notifications and makes one attempt each, concurrently.
    /// Returns how many it attempted.
    ///
    /// # Errors
    ///
    /// The outbox could not be read.
    pub async fn round(&self) -> Result<usize, crate::calls::StoreError> {
        let now = jiff::Timestamp::now().as_microsecond();
        let micros = |d: Duration| i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
        let claimed = self
            .db
            .claim_notifications(Claim {
                replica: &self.replica,
                now,
                until: now.saturating_add(micros(self.settings.lease())),
                transcript_cutoff: now.saturating_sub(micros(self.settings.transcript_wait)),
                limit: BATCH,
            })
            .await?;
        let n = claimed.len();
        // Concurrently: each attempt is bounded by its timeout, so a round takes at most
        // about one timeout however many receivers are down.
        futures_util::future::join_all(claimed.into_iter().map(|c| self.attempt(c))).await;
        Ok(n)
    }

    /// One attempt at one notification, recorded.
    async fn attempt(&self, n: Claimed) {
        let number = n.attempts.saturating_add(1);
        let (ok, detail) = match (self.channels)(&n.channel) {
            None => (
                false,
                format!("channel `{}` is no longer defined", n.channel),
            ),
            Some(channel) => self.send(&n, &channel).await,
        };
        let at = jiff::Timestamp::now().as_microsecond();
        let used_up = u32::try_from(number).unwrap_or(u32::MAX) >= self.settings.attempts;
        let outcome = if ok {
            Outcome::Delivered
        } else if used_up {
            Outcome::Failed
        } else {
            let wait = self
                .settings
                .backoff_after(u32::try_from(number).unwrap_or(u32::MAX));
            Outcome::Retry(at.saturating_add(i64::try_from(wait.as_micros()).unwrap_or(i64::MAX)))
        };
        let result = match outcome {
            Outcome::Delivered => "delivered",
            Outcome::Retry(_) => "retry",
            Outcome::Failed => "failed",
        };
        if let Some(report) = &self.report {
            report(&n.channel, result);
        }
        let attempt = Attempt {
            attempt: number,
            at,
            replica: self.replica.clone(),
            ok,
            detail,
        };
        match self.db.finish_notification(&n.id, &attempt, &outcome).await {
            Ok(true) => tracing::info!(
                channel = %n.channel,
                event = %n.event.event,
                call_sid = %n.event.call_sid,
                attempt = number,
                result,
                detail = %attempt.detail,
                "notification"
            ),
            // The lease ran out during the attempt and another replica has the row now:
            // it continues the chain (receivers deduplicate by the notification id).
            Ok(false) => tracing::warn!(
                channel = %n.channel,
                attempt = number,
                "notification: the lease ran out during the attempt"
            ),
            Err(e) => tracing::warn!(
                channel = %n.channel,
                error = %e,
                "notification: the attempt could not be recorded; it will be made again"
            ),
        }
    }

    async fn send(&self, n: &Claimed, channel: &Channel) -> deliver::Result {
        match channel {
            Channel::Webhook { url, secret } => {
                let url = match resolve(url) {
                    Ok(u) => u,
                    Err(e) => return (false, format!("the URL: {e}")),
                };
                let key = match secret.as_ref().map(resolve).transpose() {
                    Ok(k) => k,
                    Err(e) => return (false, format!("the signing key: {e}")),
                };
                let key = key.as_deref().map(str::as_bytes);
                deliver::webhook(&self.http, n, &url, key, self.settings.timeout).await
            }
            Channel::Email { to, from } => match &self.settings.smtp {
                None => (
                    false,
                    "email channels need `switchboard serve --smtp`".to_string(),
                ),
                Some(smtp) => deliver::email(smtp, n, to, from.as_deref()).await,
            },
        }
    }
}

/// A channel value: as written, or read now from the environment or a file (so a rotated
/// key is used at the next attempt). Errors name the variable or path, never a value.
fn resolve(source: &Source) -> Result<String, String> {
    match source {
        Source::Literal(v) => Ok(v.clone()),
        Source::Env(name) => std::env::var(name)
            .ok()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("environment variable {name} is not set")),
        Source::File(path) => match std::fs::read_to_string(path) {
            Ok(t) if !t.trim().is_empty() => Ok(t.trim().to_string()),
            Ok(_) => Err(format!("{path} is empty")),
            Err(e) => Err(format!("cannot read {path}: {e}")),
        },
    }
}
