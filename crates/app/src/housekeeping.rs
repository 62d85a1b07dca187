//! Clears what only grows otherwise: expired sessions and login-failure counters whose window
//! and lock are over. Every instance may run it; the deletes are idempotent.

use rapport_storage::{Db, now_ms, sessions, throttle};
use std::time::Duration;

/// How often the tables are swept.
const EVERY: Duration = Duration::from_secs(3600);

/// Sweeps now and then every [`EVERY`] until the database is closed.
pub fn start(db: Db) {
    tokio::spawn(async move {
        while !db.is_closed() {
            let now = now_ms();
            match (sessions::purge_expired(&db, now).await, throttle::purge(&db, now).await) {
                (Ok(sessions), Ok(counters)) if sessions + counters > 0 => {
                    tracing::info!(sessions, counters, "cleared expired sessions and login counters");
                }
                (Ok(_), Ok(_)) => {}
                (Err(e), _) | (_, Err(e)) => {
                    if !db.is_closed() {
                        tracing::warn!(error = %e, "could not clear expired sessions or login counters");
                    }
                }
            }
            tokio::time::sleep(EVERY).await;
        }
    });
}
