//! The application layer's one error type. The server maps it to HTTP in one place; the
//! command line prints it.

use rapport_domain::{Invalid, Refusal};
use rapport_storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Invalid input, naming a field known when the code was written.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Invalid input naming a field known only at run time (an extended field, a filter's field).
    #[error("{field}: {message}")]
    InvalidField { field: String, message: String },
    /// A named business rule said no.
    #[error("refused: {}", .0.code())]
    Refused(Refusal),
    /// The caller may not do this at all (quality control writing to a customer).
    #[error("{0}")]
    Forbidden(String),
    /// The state of things forbids it, named by `code` (`number_disconnected`).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// A business rule about the input, named by `code` (`window_closed`, `unknown_template`).
    #[error("{message}")]
    Rule { code: &'static str, message: String },
    #[error(transparent)]
    Storage(StorageError),
    /// Something this instance cannot do right now (a stopped worker).
    #[error("{0}")]
    Internal(String),
}

impl From<StorageError> for Error {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Refused(refusal) => Error::Refused(refusal),
            e => Error::Storage(e),
        }
    }
}

impl From<rapport_domain::fields::FieldError> for Error {
    fn from(e: rapport_domain::fields::FieldError) -> Self {
        Error::InvalidField { field: e.key, message: e.message }
    }
}

impl From<rapport_domain::contact_filter::FilterError> for Error {
    fn from(e: rapport_domain::contact_filter::FilterError) -> Self {
        Error::InvalidField { field: format!("filter.{}", e.field), message: e.message }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
