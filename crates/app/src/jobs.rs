//! Worker loops over the database job queue: claim a due job of one kind, handle it, repeat;
//! sleep until woken (or a short poll, for retries coming due) when there is nothing to do.

use rapport_storage::jobs::{self, Job};
use rapport_storage::{Db, StorageError};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How long a worker holds a claimed job before another may take it over.
pub const LEASE_MS: i64 = 60_000;
/// How often idle workers look for due retries.
const POLL: Duration = Duration::from_millis(500);

/// Starts `count` workers (possibly none) for jobs of `kind`; they run for the life of the process.
pub fn spawn_workers<F, Fut>(db: Db, kind: &'static str, count: usize, wake: Arc<Notify>, handle: F)
where
    F: Fn(Job) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), StorageError>> + Send,
{
    let handle = Arc::new(handle);
    for _ in 0..count {
        let (db, wake, handle) = (db.clone(), wake.clone(), handle.clone());
        tokio::spawn(async move {
            while !db.is_closed() {
                match jobs::claim(&db, kind, LEASE_MS).await {
                    Ok(Some(job)) => {
                        let id = job.id;
                        if let Err(e) = handle(job).await {
                            tracing::warn!(job = id, kind, error = %e, "job outcome not recorded; it runs again after its lease");
                        }
                    }
                    Ok(None) => {
                        let _ = tokio::time::timeout(POLL, wake.notified()).await;
                    }
                    Err(e) => {
                        tracing::warn!(kind, error = %e, "could not claim a job");
                        tokio::time::sleep(POLL).await;
                    }
                }
            }
        });
    }
}
