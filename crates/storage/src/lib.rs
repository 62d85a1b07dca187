//! Rapport's storage layer. Ordinary queries are written once with sea-query and rendered for
//! whichever backend [`Db`] was opened on (SQLite by default, PostgreSQL by URL); each backend
//! has its own migration folder. Every list query takes a [`Scope`] and filters in SQL.

mod db;
mod error;
mod json;
mod schema;
mod scope;

pub mod assignment;
pub mod audit;
pub mod auto_replies;
pub mod companies;
pub mod contact_fields;
pub mod contact_notes;
pub mod contacts;
pub mod conversations;
pub mod departments;
pub mod distribution;
pub mod generate;
pub mod greetings;
pub mod imports;
pub mod inbound;
pub mod jobs;
pub mod list_columns;
pub mod media;
pub mod notes;
pub mod notifications;
pub mod numbers;
pub mod outbox;
pub mod search;
pub mod secrets;
pub mod sessions;
pub mod staff;
pub mod templates;
pub mod testing;
pub mod texts;
pub mod throttle;
pub mod uploads;
pub mod views;
pub mod write_first;

pub use db::{Backend, Db, Tx};
pub use error::StorageError;
pub use scope::Scope;

/// The current time as Unix milliseconds, the unit every timestamp column uses.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}

/// A page of a keyset-paginated list: the rows and the cursor of the next page, if any.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<i64>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in id order.
    fn from_rows(mut rows: Vec<T>, limit: u64, id: impl Fn(&T) -> i64) -> Page<T> {
        let next_cursor = if rows.len() as u64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(id)
        } else {
            None
        };
        Page { items: rows, next_cursor }
    }
}
