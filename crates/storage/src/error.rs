use rapport_domain::Refusal;
use thiserror::Error;

/// What can go wrong in storage, in the terms callers act on.
#[derive(Debug, Error)]
pub enum StorageError {
    #[error("not found")]
    NotFound,
    /// A unique index without a refusal of its own was broken (a race between writers);
    /// holds the index's name, or SQLite's description of it.
    #[error("conflict with an existing row ({0})")]
    Conflict(String),
    /// A business rule checked inside a transaction, or a unique index that stands for one,
    /// refused the change.
    #[error("refused: {}", .0.code())]
    Refused(Refusal),
    /// A backend-specific operation was called on the other backend (a bug, never input).
    #[error("{0}")]
    WrongBackend(&'static str),
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
                let index = unique_index(db.constraint(), db.message());
                match UNIQUE_REFUSALS.iter().find(|(name, _, _)| Some(*name) == index) {
                    Some((_, _, refusal)) => StorageError::Refused(*refusal),
                    None => StorageError::Conflict(index.map_or_else(|| db.message().to_string(), String::from)),
                }
            }
            _ => StorageError::Database(e),
        }
    }
}

/// The unique indexes that stand for a business rule: the index's name, the columns SQLite names
/// in its message for it (`UNIQUE constraint failed: staff.account`), and the refusal.
const UNIQUE_REFUSALS: &[(&str, &str, Refusal)] = &[
    ("staff_account", "staff.account", Refusal::AccountTaken),
    ("numbers_phone_number_id", "numbers.phone_number_id", Refusal::NumberTaken),
    (
        "templates_identity",
        "templates.company_id, templates.waba_id, templates.name, templates.language",
        Refusal::TemplateExists,
    ),
    ("saved_views_staff_name", "saved_views.staff_id, saved_views.name", Refusal::ViewExists),
    ("contact_fields_key", "contact_fields.company_id, contact_fields.key", Refusal::FieldExists),
];

/// The broken unique index's name: PostgreSQL names it; SQLite names its columns, which
/// [`UNIQUE_REFUSALS`] translates back.
fn unique_index<'a>(constraint: Option<&'a str>, message: &str) -> Option<&'a str> {
    if constraint.is_some() {
        return constraint;
    }
    let columns = message.strip_prefix("UNIQUE constraint failed: ")?;
    UNIQUE_REFUSALS.iter().find(|(_, sqlite, _)| *sqlite == columns).map(|(name, _, _)| *name)
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;
