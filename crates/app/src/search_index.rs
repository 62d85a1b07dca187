//! Keeps SQLite's chat-history index filled just behind the writes (PostgreSQL indexes as it
//! writes, so nothing runs there); see `rapport_storage::search::index_pending`.

use rapport_storage::Backend;
use rapport_storage::Db;
use std::time::Duration;

/// How soon after being stored a message is in the index (until then search scans it).
const TICK: Duration = Duration::from_millis(500);

pub fn start(db: Db) {
    if db.backend() != Backend::Sqlite {
        return;
    }
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(TICK).await;
            // A closed database ends the worker (tests and benches close theirs).
            if db.is_closed() {
                return;
            }
            loop {
                match rapport_storage::search::index_pending(&db).await {
                    Ok(0) => break,
                    Ok(_) => continue,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not index new messages for search");
                        break;
                    }
                }
            }
        }
    });
}
