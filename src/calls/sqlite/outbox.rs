//! The notification outbox on SQLite ([`crate::calls::outbox`]): one writer, so a claim
//! needs no row locks.

use rusqlite::OptionalExtension as _;

use super::{Sqlite, err, sql};
use crate::calls::StoreError;
use crate::calls::outbox::{self, Attempt, Claim, Claimed, Notification, Outcome};
use crate::calls::record::Record;

impl Sqlite {
    /// Claims due notifications (see [`Database::claim_notifications`](crate::calls::Database)).
    pub fn claim_notifications(&self, c: &Claim<'_>) -> Result<Vec<Claimed>, StoreError> {
        self.with_writer(|conn| {
            let step = |e| err("claim notifications", e);
            let tx = conn.unchecked_transaction().map_err(step)?;
            let rows = tx
                .prepare_cached(sql::CLAIM_NOTIFICATIONS_SQLITE)
                .and_then(|mut st| {
                    st.query_map(
                        rusqlite::params![c.replica, c.until, c.now, c.transcript_cutoff, c.limit],
                        |r| outbox::claimed_from(r),
                    )?
                    .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(step)?;
            let mut out = Vec::with_capacity(rows.len());
            for (mut claimed, recording) in rows {
                if let Some(sid) = &recording {
                    claimed.transcript = tx
                        .query_row(sql::RECORDING_TRANSCRIPT, [sid], |r| {
                            r.get::<_, Option<String>>(0)
                        })
                        .optional()
                        .map_err(step)?
                        .flatten();
                }
                out.push(claimed);
            }
            tx.commit().map_err(step)?;
            Ok(out)
        })
    }

    /// Records an attempt and the row's next state while `attempt.replica` holds the lease.
    pub fn finish_notification(
        &self,
        id: &str,
        attempt: &Attempt,
        outcome: &Outcome,
    ) -> Result<bool, StoreError> {
        self.with_writer(|conn| {
            let step = |e| err("finish notification", e);
            let tx = conn.unchecked_transaction().map_err(step)?;
            tx.execute(
                sql::INSERT_ATTEMPT,
                rusqlite::params![
                    id,
                    attempt.attempt,
                    attempt.at,
                    attempt.replica,
                    i64::from(attempt.ok),
                    attempt.detail
                ],
            )
            .map_err(step)?;
            let due = outcome.due(attempt.at);
            let n = tx
                .execute(
                    sql::FINISH_NOTIFICATION,
                    rusqlite::params![
                        attempt.attempt,
                        outcome.state(),
                        due,
                        attempt.detail,
                        id,
                        attempt.replica
                    ],
                )
                .map_err(step)?;
            tx.commit().map_err(step)?;
            Ok(n > 0)
        })
    }

    /// A call's notifications with their attempts.
    pub fn notifications(&self, call_sid: &str) -> Result<Vec<Notification>, StoreError> {
        let (list, attempts) = self.read(|c| {
            let list = c
                .prepare(sql::CALL_NOTIFICATIONS)?
                .query_map([call_sid], |r| outbox::notification_from(r))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let attempts = c
                .prepare(sql::CALL_ATTEMPTS)?
                .query_map([call_sid], |r| outbox::attempt_from(r))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((list, attempts))
        })?;
        Ok(outbox::attach(list, attempts))
    }
}

/// Writes the outbox rows a record just stored raises, in its transaction.
pub(super) fn insert_raised(tx: &rusqlite::Transaction<'_>, r: &Record) -> Result<(), StoreError> {
    for n in outbox::raised(r) {
        let payload = serde_json::to_string(&n.event).map_err(|e| err("encode", e))?;
        tx.prepare_cached(sql::INSERT_NOTIFICATION)
            .and_then(|mut st| {
                st.execute(rusqlite::params![
                    n.id,
                    r.call_sid,
                    n.event.event,
                    n.channel,
                    n.event.flow,
                    n.event.step,
                    payload,
                    n.event.recording_sid,
                    i64::from(n.transcribe),
                    r.at
                ])
            })
            .map_err(|e| err("insert notification", e))?;
    }
    Ok(())
}
