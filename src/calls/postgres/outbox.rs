//! The notification outbox on PostgreSQL ([`crate::calls::outbox`]): replicas claim rows
//! with `FOR UPDATE SKIP LOCKED`, so one row is in one replica's hands at a time.

use super::{Postgres, sql};
use crate::calls::StoreError;
use crate::calls::outbox::{self, Attempt, Claim, Claimed, Notification, Outcome};
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
        for row in &rows {
            let (mut claimed, recording) = outbox::claimed_from(row).map_err(step)?;
            if let Some(sid) = &recording {
                claimed.transcript = tx
                    .query_opt(sql::RECORDING_TRANSCRIPT, &[sid])
                    .await
                    .map_err(step)?
                    .map(|r| r.try_get::<_, Option<String>>(0))
                    .transpose()
                    .map_err(step)?
                    .flatten();
            }
            out.push(claimed);
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
        let due = outcome.due(attempt.at);
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
        let rows = client
            .query(sql::CALL_NOTIFICATIONS, &[&call_sid])
            .await
            .map_err(step)?;
        let list = rows
            .iter()
            .map(outbox::notification_from)
            .collect::<Result<Vec<_>, _>>()
            .map_err(step)?;
        let rows = client
            .query(sql::CALL_ATTEMPTS, &[&call_sid])
            .await
            .map_err(step)?;
        let attempts = rows
            .iter()
            .map(outbox::attempt_from)
            .collect::<Result<Vec<_>, _>>()
            .map_err(step)?;
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
