//! The flow set versions the server served, kept beside the calls they answered
//! (docs/records.md, "Flow set versions"): so a call can be replayed against the very flows
//! that answered it, and a flow shown as it was.
//!
//! Content-addressed: a file text is stored once (keyed by its SHA-256) however many
//! versions hold it, and a version once (keyed by the 12-hex version webhook records carry).
//! The server hands each set it puts in service to the [`Recorder`](super::Recorder), which
//! writes it with its next write; retention deletes a version once no stored record names
//! it (see [`Database::prune`]).

use std::sync::Arc;

use super::{Database, Record, StoreError, blocking};
use crate::calls::record::Body;

/// One version of the flow set, as the server served it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowSetVersion {
    /// The 12-hex version webhook records name (`Webhook::flow_version`).
    pub version: String,
    /// The whole digest of the set (64 hex digits; the version is its start).
    pub digest: String,
    /// When the server put it in service, microseconds since the epoch.
    pub served_at: i64,
    /// Its files: the name relative to the flows directory (`acme.yaml`, `_shared.yaml`)
    /// and the text exactly as read.
    pub files: Vec<(String, Arc<str>)>,
}

/// A stored version, without its texts (what a listing shows).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FlowSetInfo {
    /// The 12-hex version.
    pub version: String,
    /// The whole digest (64 hex digits).
    pub digest: String,
    /// When a server first put it in service, µs since the epoch.
    pub first_served: i64,
    /// When a server last put it in service (or, at a retention round, still served it).
    pub last_served: i64,
    /// How many files it has.
    pub files: i64,
}

/// What the backends write for a version: each file's name, the SHA-256 (hex) of its text,
/// and the text.
pub(super) fn file_rows(v: &FlowSetVersion) -> Vec<(&str, String, &str)> {
    use sha2::Digest as _;
    v.files
        .iter()
        .map(|(name, text)| {
            let digest = sha2::Sha256::digest(text.as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            (name.as_str(), hex, &**text)
        })
        .collect()
}

/// The `flow_version` column of a record: the version that answered a webhook.
pub(super) fn flow_version(r: &Record) -> Option<&str> {
    match &r.body {
        Body::Webhook(w) => Some(w.flow_version.as_str()),
        _ => None,
    }
}

impl Database {
    /// Stores a flow set version (its texts once each) in one transaction. Idempotent: a
    /// version already stored keeps its files and only has `last_served` moved forward.
    pub async fn keep_flow_set(&self, v: Arc<FlowSetVersion>) -> Result<(), StoreError> {
        match self {
            Database::Sqlite(db) => {
                let db = Arc::clone(db);
                blocking(move || db.keep_flow_set(&v)).await
            }
            Database::Postgres(db) => db.keep_flow_set(&v).await,
        }
    }

    /// A stored version's files (name relative to the flows directory, text), sorted by
    /// name; `None` when that version is not stored.
    pub async fn flow_set(
        &self,
        version: &str,
    ) -> Result<Option<Vec<(String, String)>>, StoreError> {
        match self {
            Database::Sqlite(db) => {
                let db = Arc::clone(db);
                let version = version.to_string();
                blocking(move || db.flow_set(&version)).await
            }
            Database::Postgres(db) => db.flow_set(version).await,
        }
    }

    /// The stored versions, newest (first served) first, at most `limit`.
    pub async fn flow_sets(&self, limit: i64) -> Result<Vec<FlowSetInfo>, StoreError> {
        match self {
            Database::Sqlite(db) => {
                let db = Arc::clone(db);
                blocking(move || db.flow_sets(limit)).await
            }
            Database::Postgres(db) => db.flow_sets(limit).await,
        }
    }

    /// A server still serves `version` at `at` (µs): moves its `last_served` forward so
    /// retention keeps it however long no call comes in. Nothing happens when it is not
    /// stored (yet).
    pub async fn flow_set_served(&self, version: &str, at: i64) -> Result<(), StoreError> {
        match self {
            Database::Sqlite(db) => {
                let db = Arc::clone(db);
                let version = version.to_string();
                blocking(move || db.flow_set_served(&version, at)).await
            }
            Database::Postgres(db) => db.flow_set_served(version, at).await,
        }
    }

    /// How many file texts are stored (for the conformance checks: what a prune frees).
    pub(super) async fn flow_file_count(&self) -> Result<i64, StoreError> {
        match self {
            Database::Sqlite(db) => {
                let db = Arc::clone(db);
                blocking(move || db.flow_file_count()).await
            }
            Database::Postgres(db) => db.flow_file_count().await,
        }
    }
}
