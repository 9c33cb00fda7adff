//! The notification outbox on PostgreSQL ([`crate::calls::outbox`]): replicas claim rows
//! with `FOR UPDATE SKIP LOCKED`, so one row is in one replica's hands at a time.

use super::{Postgres, sql};
use crate::calls::StoreError;
use crate::calls::outbox::{self, Attempt, Claim, Claimed, Notification, Outcome, fallback_event};
use crate::calls::record::Record;

impl Postgres {
    /// Claims due notifications (see [`Database::claim_notifications`](crate::calls::Database)).
    pub async fn claim_notifications(&self, c: &Claim<'_>) -> Result<Vec<Claimed>, StoreError> {
        let step = |e| self.err("claim notifications", e);
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(step)?;
        let rows = tx
            .query(
                sql::CLAIM_NOTIFICATIONS_POSTGRES,
                &[&c.replica, &c.until, &c.now, &c.transcript_cutoff, &c.limit],
            )
            .await
            .map_err(step)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let get = |i| row.try_get::<_, String>(i);
            let (id, call_sid, kind, channel, flow, step_name, payload) = (
                get(0).map_err(step)?,
                get(1).map_err(step)?,
                get(2).map_err(step)?,
                get(3).map_err(step)?,
                get(4).map_err(step)?,
                get(5).map_err(step)?,
                get(6).map_err(step)?,
            );
            let recording: Option<String> = row.try_get(7).map_err(step)?;
            let attempts: i64 = row.try_get(8).map_err(step)?;
            let transcript = match &recording {
                Some(sid) => tx
                    .query_opt(sql::RECORDING_TRANSCRIPT, &[sid])
                    .await
                    .map_err(step)?
                    .map(|r| r.try_get::<_, Option<String>>(0))
                    .transpose()
                    .map_err(step)?
                    .flatten(),
                None => None,
            };
            let fallback = fallback_event(kind, flow, step_name, call_sid);
            out.push(Claimed {
                id,
                channel,
                event: outbox::event_of(&payload, fallback),
                attempts,
                transcript,
            });
        }
        tx.commit().await.map_err(step)?;
        Ok(out)
    }

    /// Records an attempt and the row's next state while `attempt.replica` holds the lease.
    pub async fn finish_notification(
        &self,
        id: &str,
        attempt: &Attempt,
        outcome: &Outcome,
    ) -> Result<bool, StoreError> {
        let step = |e| self.err("finish notification", e);
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(step)?;
        tx.execute(
            sql::INSERT_ATTEMPT,
            &[
                &id,
                &attempt.attempt,
                &attempt.at,
                &attempt.replica,
                &i64::from(attempt.ok),
                &attempt.detail,
            ],
        )
        .await
        .map_err(step)?;
        let due = match outcome {
            Outcome::Retry(at) => *at,
            _ => attempt.at,
        };
        let n = tx
            .execute(
                sql::FINISH_NOTIFICATION,
                &[
                    &attempt.attempt,
                    &outcome.state(),
                    &due,
                    &attempt.detail,
                    &id,
                    &attempt.replica,
                ],
            )
            .await
            .map_err(step)?;
        tx.commit().await.map_err(step)?;
        Ok(n > 0)
    }

    /// A call's notifications with their attempts.
    pub async fn notifications(&self, call_sid: &str) -> Result<Vec<Notification>, StoreError> {
        let step = |e| self.err("read notifications", e);
        let client = self.client().await?;
        let mut list = Vec::new();
        for r in client
            .query(sql::CALL_NOTIFICATIONS, &[&call_sid])
            .await
            .map_err(step)?
        {
            list.push(outbox::notification((
                r.try_get(0).map_err(step)?,
                r.try_get(1).map_err(step)?,
                r.try_get(2).map_err(step)?,
                r.try_get(3).map_err(step)?,
                r.try_get(4).map_err(step)?,
                r.try_get(5).map_err(step)?,
                r.try_get(6).map_err(step)?,
                r.try_get(7).map_err(step)?,
                r.try_get(8).map_err(step)?,
            )));
        }
        let mut attempts = Vec::new();
        for r in client
            .query(sql::CALL_ATTEMPTS, &[&call_sid])
            .await
            .map_err(step)?
        {
            attempts.push((
                r.try_get::<_, String>(0).map_err(step)?,
                Attempt {
                    attempt: r.try_get(1).map_err(step)?,
                    at: r.try_get(2).map_err(step)?,
                    replica: r.try_get(3).map_err(step)?,
                    ok: r.try_get::<_, i64>(4).map_err(step)? != 0,
                    detail: r.try_get(5).map_err(step)?,
                },
            ));
        }
        Ok(outbox::attach(list, attempts))
    }
}

/// Writes the outbox rows a record just stored raises, in its transaction.
pub(super) async fn insert_raised(
    tx: &deadpool_postgres::Transaction<'_>,
    r: &Record,
) -> Result<(), super::Failure> {
    for n in outbox::raised(r) {
        let payload = serde_json::to_string(&n.event)
            .map_err(|e| super::Failure::Store(StoreError::new(format!("encode: {e}"))))?;
        let st = tx.prepare_cached(sql::INSERT_NOTIFICATION).await?;
        tx.execute(
            &st,
            &[
                &n.id,
                &r.call_sid,
                &n.event.event,
                &n.channel,
                &n.event.flow,
                &n.event.step,
                &payload,
                &n.event.recording_sid,
                &i64::from(n.transcribe),
                &r.at,
            ],
        )
        .await?;
    }
    Ok(())
}
