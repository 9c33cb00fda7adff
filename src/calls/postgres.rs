//! The shared backend: PostgreSQL through `tokio-postgres` and a `deadpool-postgres` pool.
//! (Being written: every method refuses until then.)

use super::StoreError;
use super::query::{Filter, Page, Story};
use super::record::Record;
use super::summary::{Call, Recording};

/// The PostgreSQL store.
pub struct Postgres {}

fn todo() -> StoreError {
    StoreError::new("postgres: not built yet")
}

impl Postgres {
    pub async fn open(_url: &str) -> Result<Postgres, StoreError> {
        Err(todo())
    }
    pub async fn write(&self, _records: &[Record]) -> Result<usize, StoreError> {
        Err(todo())
    }
    pub async fn calls(&self, _f: &Filter) -> Result<Page<Call>, StoreError> {
        Err(todo())
    }
    pub async fn recordings(&self, _f: &Filter) -> Result<Page<Recording>, StoreError> {
        Err(todo())
    }
    pub async fn story(&self, _sid: &str) -> Result<Option<Story>, StoreError> {
        Err(todo())
    }
    pub async fn stale(&self, _before: i64, _limit: i64) -> Result<Vec<String>, StoreError> {
        Err(todo())
    }
    pub async fn prune(&self, _before: i64, _limit: i64) -> Result<usize, StoreError> {
        Err(todo())
    }
    pub async fn ping(&self) -> Result<(), StoreError> {
        Err(todo())
    }
}
