use thiserror::Error;

/// What can go wrong in storage, in the terms callers act on.
#[derive(Debug, Error)]
pub enum StorageError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; holds the constraint's name.
    #[error("conflict with an existing row ({0})")]
    Conflict(String),
    /// A business rule checked inside a transaction refused the change.
    #[error("{0}")]
    Refused(&'static str),
    /// Changing a field's type would lose stored values; says how many.
    #[error("{0}")]
    ValuesDoNotConvert(String),
    /// A contact with the same phone or WhatsApp id exists: its id.
    #[error("a contact with this phone number exists already (#{0})")]
    DuplicateContact(i64),
    #[error(transparent)]
    Database(sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StorageError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StorageError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                // PostgreSQL names the constraint; SQLite names the columns in its message.
                StorageError::Conflict(db.constraint().map_or_else(|| db.message().to_string(), String::from))
            }
            _ => StorageError::Database(e),
        }
    }
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;
