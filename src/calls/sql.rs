//! The SQL both backends run: the schema's migrations and every statement. One text per
//! statement where the dialects agree (numbered `$n` parameters in order of appearance work
//! in SQLite and PostgreSQL alike); the few that differ are in pairs.
//!
//! Times are `BIGINT` microseconds since the Unix epoch and flags `BIGINT` 0/1 in both, so
//! rows read back the same from either (every integer column is `BIGINT`: one Rust type,
//! `i64`, binds and reads them all in PostgreSQL, where `INTEGER` would be 32-bit).

/// The schema, one migration per entry; `schema_version` holds how many have run. Append
/// only: a released migration never changes.
pub const MIGRATIONS: &[&str] = &[
    // 1: records, the call summary, recordings.
    "CREATE TABLE records (
        key TEXT PRIMARY KEY,
        call_sid TEXT NOT NULL,
        kind TEXT NOT NULL,
        at BIGINT NOT NULL,
        replica TEXT NOT NULL,
        body TEXT NOT NULL,
        fold TEXT NOT NULL
    );
    CREATE INDEX records_call ON records (call_sid, at);
    CREATE TABLE calls (
        call_sid TEXT PRIMARY KEY,
        parent_call_sid TEXT,
        account_sid TEXT,
        from_number TEXT,
        to_number TEXT,
        direction TEXT,
        flow TEXT,
        flow_version TEXT,
        first_seen BIGINT NOT NULL,
        last_seen BIGINT NOT NULL,
        answered_at BIGINT,
        ended_at BIGINT,
        status TEXT NOT NULL,
        ended BIGINT NOT NULL,
        duration BIGINT,
        sip_response_code TEXT,
        error_code TEXT,
        path TEXT NOT NULL,
        webhooks BIGINT NOT NULL,
        recordings BIGINT NOT NULL,
        failed BIGINT NOT NULL
    );
    CREATE INDEX calls_first_seen ON calls (first_seen, call_sid);
    CREATE INDEX calls_open ON calls (ended, last_seen);
    CREATE TABLE recordings (
        recording_sid TEXT PRIMARY KEY,
        call_sid TEXT NOT NULL,
        status TEXT NOT NULL,
        url TEXT,
        duration BIGINT,
        at BIGINT NOT NULL,
        error_code TEXT,
        transcript TEXT,
        transcription_status TEXT
    );
    CREATE INDEX recordings_at ON recordings (at, recording_sid);
    CREATE INDEX recordings_call ON recordings (call_sid);",
    // 2: the flow set versions served (docs/records.md, "Flow set versions"): each
    // distinct file text once (`flow_files`, keyed by its SHA-256), each version once
    // (`flow_sets`, keyed by the 12-hex version records carry) and which texts, under
    // which names, make it up (`flow_set_files`). `records.flow_version` says which
    // version answered a webhook, so retention keeps the versions stored calls still use
    // (records stored before this migration have none: their versions were never kept).
    "ALTER TABLE records ADD COLUMN flow_version TEXT;
    CREATE INDEX records_flow_version ON records (flow_version)
        WHERE flow_version IS NOT NULL;
    CREATE TABLE flow_files (
        digest TEXT PRIMARY KEY,
        text TEXT NOT NULL
    );
    CREATE TABLE flow_sets (
        version TEXT PRIMARY KEY,
        digest TEXT NOT NULL,
        first_served BIGINT NOT NULL,
        last_served BIGINT NOT NULL,
        files BIGINT NOT NULL
    );
    CREATE INDEX flow_sets_last_served ON flow_sets (last_served);
    CREATE TABLE flow_set_files (
        version TEXT NOT NULL,
        name TEXT NOT NULL,
        file_digest TEXT NOT NULL,
        PRIMARY KEY (version, name)
    );
    CREATE INDEX flow_set_files_file ON flow_set_files (file_digest);",
    // 3: the notification outbox (docs/notifications.md): one row per (event, channel),
    // written in the transaction that stores the webhook that raised it; claimed by one
    // replica at a time (`claimed_by` until `claimed_until`); every attempt kept.
    "CREATE TABLE notifications (
        id TEXT PRIMARY KEY,
        call_sid TEXT NOT NULL,
        kind TEXT NOT NULL,
        channel TEXT NOT NULL,
        flow TEXT NOT NULL,
        step TEXT NOT NULL,
        payload TEXT NOT NULL,
        recording_sid TEXT,
        transcribe BIGINT NOT NULL,
        created BIGINT NOT NULL,
        due BIGINT NOT NULL,
        attempts BIGINT NOT NULL,
        state TEXT NOT NULL,
        claimed_by TEXT,
        claimed_until BIGINT,
        last_result TEXT
    );
    CREATE INDEX notifications_due ON notifications (state, due);
    CREATE INDEX notifications_call ON notifications (call_sid);
    CREATE TABLE notification_attempts (
        notification_id TEXT NOT NULL,
        attempt BIGINT NOT NULL,
        at BIGINT NOT NULL,
        replica TEXT NOT NULL,
        ok BIGINT NOT NULL,
        detail TEXT NOT NULL,
        PRIMARY KEY (notification_id, attempt)
    );",
];

/// A notification raised by a webhook just stored (the outbox row), unless it is there.
pub const INSERT_NOTIFICATION: &str = "INSERT INTO notifications (id, call_sid, kind,
     channel, flow, step, payload, recording_sid, transcribe, created, due, attempts, state)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, 0, 'pending')
     ON CONFLICT (id) DO NOTHING";

/// Claims up to `$5` due notifications for `$1` until `$2` (µs), at `$3`: pending, not
/// claimed by a live lease, and — when the recording is transcribed — with its transcript
/// (or its failure) in, or raised before `$4` (the transcript wait is over). PostgreSQL
/// adds `FOR UPDATE SKIP LOCKED` to the inner select ([`claim_notifications`]), so two
/// replicas never claim one row.
macro_rules! claim_notifications {
    ($lock:literal) => {
        concat!(
            "UPDATE notifications SET claimed_by = $1, claimed_until = $2
             WHERE id IN (SELECT n.id FROM notifications n
                 WHERE n.state = 'pending' AND n.due <= $3
                   AND (n.claimed_until IS NULL OR n.claimed_until < $3)
                   AND (n.transcribe = 0 OR n.created <= $4 OR EXISTS (
                        SELECT 1 FROM recordings r WHERE r.recording_sid = n.recording_sid
                          AND r.transcription_status IS NOT NULL))
                 ORDER BY n.due, n.id LIMIT $5 ",
            $lock,
            ")
             RETURNING id, call_sid, kind, channel, flow, step, payload, recording_sid, attempts"
        )
    };
}

/// [`claim_notifications!`] for SQLite (one writer: no row locks to skip).
pub const CLAIM_NOTIFICATIONS_SQLITE: &str = claim_notifications!("");
/// [`claim_notifications!`] for PostgreSQL.
pub const CLAIM_NOTIFICATIONS_POSTGRES: &str = claim_notifications!("FOR UPDATE SKIP LOCKED");

/// The transcript of a recording, once its transcription callback came.
pub const RECORDING_TRANSCRIPT: &str = "SELECT transcript FROM recordings WHERE recording_sid = $1";

/// One attempt, kept whatever became of the lease.
pub const INSERT_ATTEMPT: &str = "INSERT INTO notification_attempts (notification_id, attempt,
     at, replica, ok, detail) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (notification_id, attempt) DO NOTHING";

/// After an attempt: the new state, the next due time, the lease released; only by the
/// replica holding the lease.
pub const FINISH_NOTIFICATION: &str = "UPDATE notifications SET attempts = $1, state = $2,
     due = $3, last_result = $4, claimed_by = NULL, claimed_until = NULL
     WHERE id = $5 AND claimed_by = $6";

/// A call's notifications, in the order they were raised.
pub const CALL_NOTIFICATIONS: &str = "SELECT id, kind, channel, flow, step, state, created,
     last_result FROM notifications WHERE call_sid = $1 ORDER BY created, id";

/// The attempts of a call's notifications.
pub const CALL_ATTEMPTS: &str = "SELECT a.notification_id, a.attempt, a.at, a.replica, a.ok,
     a.detail FROM notification_attempts a JOIN notifications n ON n.id = a.notification_id
     WHERE n.call_sid = $1 ORDER BY a.notification_id, a.attempt";

/// Stores a record unless one with its key is there: `body` is the whole record, `fold`
/// the part [`summarize`](super::summarize) reads ([`Record::fold_view`](super::Record)),
/// a fraction of the size, so refolding a call does not parse every trace again.
/// `flow_version` is the webhook's [`Webhook::flow_version`](super::record::Webhook), null
/// for other records.
pub const INSERT_RECORD: &str = "INSERT INTO records (key, call_sid, kind, at, replica, body, fold,
     flow_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (key) DO NOTHING";

/// A call's records, whole (to show them): the first
/// [`MAX_STORY_RECORDS`](super::query::MAX_STORY_RECORDS), and one more to tell that there
/// are more.
pub const CALL_RECORDS: &str =
    "SELECT body FROM records WHERE call_sid = $1 ORDER BY at, key LIMIT 5001";

/// A call's records as the fold reads them.
pub const CALL_FOLDS: &str = "SELECT fold FROM records WHERE call_sid = $1";

/// Whether a call has a summary row.
pub const CALL_EXISTS: &str = "SELECT 1 FROM calls WHERE call_sid = $1";

/// The columns of `calls`, in the order every statement uses.
pub const CALL_COLUMNS: &str = call_columns!();

/// [`CALL_COLUMNS`] as a literal, for `concat!`.
macro_rules! call_columns {
    () => {
        "call_sid, parent_call_sid, account_sid, from_number, to_number, direction, flow, \
         flow_version, first_seen, last_seen, answered_at, ended_at, status, ended, duration, \
         sip_response_code, error_code, path, webhooks, recordings, failed"
    };
}
use call_columns;

/// One call's row.
pub const CALL_BY_SID: &str = concat!(
    "SELECT ",
    call_columns!(),
    " FROM calls WHERE call_sid = $1"
);

/// A call's dialed legs, in order.
pub const CALL_CHILDREN: &str = concat!(
    "SELECT ",
    call_columns!(),
    " FROM calls WHERE parent_call_sid = $1 ORDER BY first_seen"
);

/// Writes a call's summary.
pub const UPSERT_CALL: &str = "INSERT INTO calls (call_sid, parent_call_sid, account_sid,
     from_number, to_number, direction, flow, flow_version, first_seen, last_seen,
     answered_at, ended_at, status, ended, duration, sip_response_code, error_code, path,
     webhooks, recordings, failed)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
     $19, $20, $21)
     ON CONFLICT (call_sid) DO UPDATE SET parent_call_sid = excluded.parent_call_sid,
     account_sid = excluded.account_sid, from_number = excluded.from_number,
     to_number = excluded.to_number, direction = excluded.direction, flow = excluded.flow,
     flow_version = excluded.flow_version, first_seen = excluded.first_seen,
     last_seen = excluded.last_seen, answered_at = excluded.answered_at,
     ended_at = excluded.ended_at, status = excluded.status, ended = excluded.ended,
     duration = excluded.duration, sip_response_code = excluded.sip_response_code,
     error_code = excluded.error_code, path = excluded.path, webhooks = excluded.webhooks,
     recordings = excluded.recordings, failed = excluded.failed";

/// The columns of `recordings`, in the order every statement uses.
pub const RECORDING_COLUMNS: &str = recording_columns!();

/// [`RECORDING_COLUMNS`] as a literal, for `concat!`.
macro_rules! recording_columns {
    () => {
        "recording_sid, call_sid, status, url, duration, at, error_code, transcript, \
         transcription_status"
    };
}
use recording_columns;

/// A call's recordings, in order.
pub const CALL_RECORDINGS: &str = concat!(
    "SELECT ",
    recording_columns!(),
    " FROM recordings WHERE call_sid = $1 ORDER BY at"
);

/// Writes a recording.
pub const UPSERT_RECORDING: &str = "INSERT INTO recordings (recording_sid, call_sid, status,
     url, duration, at, error_code, transcript, transcription_status)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (recording_sid) DO UPDATE SET call_sid = excluded.call_sid,
     status = excluded.status, url = excluded.url, duration = excluded.duration,
     at = excluded.at, error_code = excluded.error_code, transcript = excluded.transcript,
     transcription_status = excluded.transcription_status";

/// Calls still open whose last record is older than `$1` (to close as `unknown`).
pub const STALE_CALLS: &str =
    "SELECT call_sid FROM calls WHERE ended = 0 AND last_seen < $1 ORDER BY last_seen LIMIT $2";

/// Retention, oldest first: the calls to prune.
pub const OLD_CALLS: &str =
    "SELECT call_sid FROM calls WHERE last_seen < $1 ORDER BY last_seen LIMIT $2";
/// Retention: a pruned call's rows.
pub const DELETE_CALL: [&str; 5] = [
    "DELETE FROM notification_attempts WHERE notification_id IN
         (SELECT id FROM notifications WHERE call_sid = $1)",
    "DELETE FROM notifications WHERE call_sid = $1",
    "DELETE FROM records WHERE call_sid = $1",
    "DELETE FROM recordings WHERE call_sid = $1",
    "DELETE FROM calls WHERE call_sid = $1",
];

/// Keeps a flow file's text once, whichever versions hold it.
pub const INSERT_FLOW_FILE: &str =
    "INSERT INTO flow_files (digest, text) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING";

/// Keeps a version; one served again (a restart, a reload back to it) only moves
/// `last_served` forward.
pub const UPSERT_FLOW_SET: &str = "INSERT INTO flow_sets (version, digest, first_served,
     last_served, files) VALUES ($1, $2, $3, $3, $4)
     ON CONFLICT (version) DO UPDATE SET last_served = CASE
         WHEN excluded.last_served > flow_sets.last_served THEN excluded.last_served
         ELSE flow_sets.last_served END";

/// Names one file of a version.
pub const INSERT_FLOW_SET_FILE: &str = "INSERT INTO flow_set_files (version, name, file_digest)
     VALUES ($1, $2, $3) ON CONFLICT (version, name) DO NOTHING";

/// A replica still serves a version (`$2`) at `$1`: retention must not take it. (`$1`
/// first: SQLite numbers parameters in order of appearance.)
pub const FLOW_SET_SERVED: &str =
    "UPDATE flow_sets SET last_served = $1 WHERE version = $2 AND last_served < $1";

/// Whether a version is stored.
pub const FLOW_SET_EXISTS: &str = "SELECT 1 FROM flow_sets WHERE version = $1";

/// A version's files, by name.
pub const FLOW_SET_FILES: &str = "SELECT s.name, f.text FROM flow_set_files s
     JOIN flow_files f ON f.digest = s.file_digest WHERE s.version = $1 ORDER BY s.name";

/// The stored versions, newest first.
pub const FLOW_SETS: &str = "SELECT version, digest, first_served, last_served, files
     FROM flow_sets ORDER BY first_served DESC, version DESC LIMIT $1";

/// How many file texts are stored (the conformance checks).
pub const COUNT_FLOW_FILES: &str = "SELECT COUNT(*) FROM flow_files";

/// Retention, after the calls: versions last served before `$1` that no record names,
/// except the one served last; then the names and the texts nothing refers to any more.
pub const PRUNE_FLOW_SETS: [&str; 3] = [
    "DELETE FROM flow_sets WHERE last_served < $1
         AND version <> (SELECT version FROM flow_sets
                         ORDER BY last_served DESC, version DESC LIMIT 1)
         AND NOT EXISTS (SELECT 1 FROM records WHERE records.flow_version = flow_sets.version)",
    "DELETE FROM flow_set_files WHERE NOT EXISTS
         (SELECT 1 FROM flow_sets WHERE flow_sets.version = flow_set_files.version)",
    "DELETE FROM flow_files WHERE NOT EXISTS
         (SELECT 1 FROM flow_set_files WHERE flow_set_files.file_digest = flow_files.digest)",
];
