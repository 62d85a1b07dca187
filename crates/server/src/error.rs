//! The API's one error type and its single mapping to HTTP: `{"error":{"code","message"}}`
//! with the status the public contract names.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rapport_domain::{Invalid, Refusal};
use rapport_storage::StorageError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("you are not logged in")]
    Unauthenticated,
    /// A webhook without a valid `X-Hub-Signature-256`.
    #[error("missing or wrong X-Hub-Signature-256")]
    BadSignature,
    /// 401 with a more specific message (a failed login).
    #[error("{0}")]
    LoginFailed(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("the CSRF token is missing or wrong")]
    Csrf,
    #[error("not found")]
    NotFound,
    /// A state conflict: `code` names it, `message` explains it.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{0}")]
    Invalid(Invalid),
    /// 422 naming a field known only at run time (an extended field's key, a filter's field).
    #[error("{field}: {message}")]
    InvalidField { field: String, message: String },
    /// 409: another contact has this phone; its id is given so the client can link to it.
    #[error("a contact with this phone number or WhatsApp id exists already")]
    DuplicateContact(i64),
    /// 422 for a business rule, named by `code` (e.g. `window_closed`).
    #[error("{message}")]
    Rule { code: &'static str, message: String },
    #[error("{0}")]
    Malformed(String),
    #[error("too many failed logins; try again in {0} s")]
    TooManyAttempts(i64),
    /// Every password-hashing turn is taken (a flood of logins): try again in a moment.
    #[error("the server is busy checking passwords; try again in a moment")]
    Busy,
    #[error("internal error")]
    Internal(String),
}

/// The error body every failing API call answers with.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `unauthenticated`, `forbidden`, `not_found`, `invalid`, ...
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
    /// For `invalid`: the offending field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `duplicate_contact`: the contact that has the phone already, and its card.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

impl ApiError {
    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::Forbidden(message.into())
    }

    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        ApiError::Invalid(Invalid::new(field, message))
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Conflict { code, message: message.into() }
    }

    fn parts(&self) -> (StatusCode, &'static str, Option<String>) {
        match self {
            ApiError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated", None),
            ApiError::LoginFailed(_) => (StatusCode::UNAUTHORIZED, "login_failed", None),
            ApiError::BadSignature => (StatusCode::UNAUTHORIZED, "bad_signature", None),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", None),
            ApiError::Csrf => (StatusCode::FORBIDDEN, "csrf_failed", None),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found", None),
            ApiError::Conflict { code, .. } => (StatusCode::CONFLICT, code, None),
            ApiError::Invalid(i) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some(i.field.to_string())),
            ApiError::InvalidField { field, .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some(field.clone())),
            ApiError::DuplicateContact(_) => (StatusCode::CONFLICT, "duplicate_contact", Some("phone".to_string())),
            ApiError::Rule { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code, None),
            ApiError::Malformed(_) => (StatusCode::BAD_REQUEST, "malformed_request", None),
            ApiError::TooManyAttempts(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", None),
            ApiError::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy", None),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", None),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, field) = self.parts();
        if let ApiError::Internal(cause) = &self {
            tracing::error!(%cause, "request failed");
        }
        let existing_id = match self {
            ApiError::DuplicateContact(id) => Some(id),
            _ => None,
        };
        let detail = ErrorDetail {
            code: code.to_string(),
            message: self.to_string(),
            field,
            existing_id,
            link: existing_id.map(|id| format!("/contacts/{id}")),
        };
        let body = ErrorBody { error: detail };
        let mut response = (status, Json(body)).into_response();
        let retry_after = match self {
            ApiError::TooManyAttempts(seconds) => Some(seconds),
            ApiError::Busy => Some(1),
            _ => None,
        };
        if let Some(value) = retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// Field and filter errors name their field as the application layer's errors do.
impl From<rapport_domain::fields::FieldError> for ApiError {
    fn from(e: rapport_domain::fields::FieldError) -> Self {
        rapport_app::Error::from(e).into()
    }
}

impl From<rapport_domain::contact_filter::FilterError> for ApiError {
    fn from(e: rapport_domain::contact_filter::FilterError) -> Self {
        rapport_app::Error::from(e).into()
    }
}

impl From<Invalid> for ApiError {
    fn from(i: Invalid) -> Self {
        ApiError::Invalid(i)
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => ApiError::NotFound,
            StorageError::Refused(refusal) => refusal.into(),
            StorageError::Conflict(index) => {
                ApiError::conflict("conflict", format!("conflicts with an existing record ({index})"))
            }
            StorageError::DuplicateContact(id) => ApiError::DuplicateContact(id),
            StorageError::ValuesDoNotConvert(message) => ApiError::Rule { code: "values_do_not_convert", message },
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// The application layer's errors, each to its status.
impl From<rapport_app::Error> for ApiError {
    fn from(e: rapport_app::Error) -> Self {
        match e {
            rapport_app::Error::Invalid(invalid) => ApiError::Invalid(invalid),
            rapport_app::Error::InvalidField { field, message } => ApiError::InvalidField { field, message },
            rapport_app::Error::Refused(refusal) => refusal.into(),
            rapport_app::Error::Forbidden(message) => ApiError::Forbidden(message),
            rapport_app::Error::Conflict { code, message } => ApiError::Conflict { code, message },
            rapport_app::Error::Rule { code, message } => ApiError::Rule { code, message },
            rapport_app::Error::Storage(e) => e.into(),
            rapport_app::Error::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

/// Every refusal in the words and status the API answers with: invalid input names its field
/// (422), a state that forbids the change is a conflict (409) under the refusal's own code.
impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        let conflict = |message: &str| ApiError::conflict(refusal.code(), message);
        match refusal {
            Refusal::ParentNotFound => ApiError::invalid("parent_id", "no such department"),
            Refusal::DepartmentNotFound => ApiError::invalid("department_id", "no such department"),
            Refusal::OwnerNotFound => ApiError::invalid("owner_staff_id", "no such staff member"),
            Refusal::MoveIntoOwnSubtree => ApiError::invalid(
                "parent_id",
                "a department cannot be moved under itself or one of its sub-departments",
            ),
            Refusal::RootCannotMove => ApiError::invalid("parent_id", "the top-level department has no parent"),
            Refusal::RootCannotBeDeleted => conflict("the top-level department of the company cannot be deleted"),
            Refusal::DepartmentHasSubdepartments => {
                conflict("the department still has sub-departments; move or delete them first")
            }
            Refusal::DepartmentHasStaff => {
                conflict("the department still has staff; move them to another department first")
            }
            Refusal::DepartmentHasNumbers => {
                conflict("the department still has WhatsApp numbers; move them to another department first")
            }
            Refusal::DepartmentHasContacts => {
                conflict("the department still has customers; move them to another department first")
            }
            Refusal::NumberNotFound => ApiError::invalid("number_id", "no such connected number in the company"),
            Refusal::NumberNotUsable => {
                ApiError::invalid("number_id", "you may not write from this number (or it is not connected)")
            }
            Refusal::NumberRequired => ApiError::invalid(
                "number_id",
                "choose the number to write from: you have several and none is set as the one to write first from",
            ),
            Refusal::ConversationTaken => {
                conflict("another colleague answered this new customer first; the chat is theirs now")
            }
            Refusal::ResponsibleNotFound => {
                ApiError::invalid("responsible_staff_id", "no such staff member in the company")
            }
            Refusal::ContactNotDeleted => conflict("the contact is not deleted"),
            Refusal::NoteNotYours => ApiError::forbidden("only its author may change or delete a note"),
            Refusal::MergeSameContact => ApiError::invalid("other_id", "a contact cannot be merged with itself"),
            Refusal::ImportStarted => conflict("this import has started already"),
            Refusal::ImportTakenOver => conflict("another worker took this import over"),
            Refusal::DuplicateMessage => conflict("this message is stored already"),
            Refusal::AccountTaken => conflict("this account already exists"),
            Refusal::NumberTaken => conflict("this phone number id is connected already"),
            Refusal::TemplateExists => {
                conflict("a template with this name and language exists already for the account")
            }
            Refusal::ViewExists => conflict("you have a view with this name already"),
            Refusal::FieldExists => conflict("a field with this key exists already"),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The error answers shared by many routes, documented once for the OpenAPI document.
mod documented {
    use super::ErrorBody;
    use std::collections::BTreeMap;
    use utoipa::openapi::{ContentBuilder, RefOr, Response, ResponseBuilder};
    use utoipa::{IntoResponses, PartialSchema};

    const MALFORMED: (&str, &str) = ("400", "Malformed JSON");
    const UNAUTHENTICATED: (&str, &str) = ("401", "Not logged in");
    const FORBIDDEN: (&str, &str) = ("403", "Missing permission, or a missing or wrong CSRF token on a change");
    const NOT_FOUND: (&str, &str) = ("404", "Unknown, or outside the caller's scope (the two look alike)");
    const INVALID: (&str, &str) = ("422", "Invalid input; `field` names the offending field");

    fn responses(list: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
        list.iter()
            .map(|(status, description)| {
                let content = ContentBuilder::new().schema(Some(ErrorBody::schema())).build();
                let response = ResponseBuilder::new().description(*description).content("application/json", content);
                (status.to_string(), RefOr::T(response.build()))
            })
            .collect()
    }

    /// 401, 403, 404: reading or deleting one object.
    pub struct ReadErrors;
    /// 400, 401, 403, 422: creating an object.
    pub struct WriteErrors;
    /// 400, 401, 403, 404, 422: changing one object.
    pub struct UpdateErrors;
    /// 503: every password-hashing turn is taken (routes that hash a password).
    pub struct HashingBusy;

    impl IntoResponses for HashingBusy {
        fn responses() -> BTreeMap<String, RefOr<Response>> {
            responses(&[("503", "Too many password checks at once; try again in a moment (Retry-After)")])
        }
    }

    impl IntoResponses for ReadErrors {
        fn responses() -> BTreeMap<String, RefOr<Response>> {
            responses(&[UNAUTHENTICATED, FORBIDDEN, NOT_FOUND])
        }
    }

    impl IntoResponses for WriteErrors {
        fn responses() -> BTreeMap<String, RefOr<Response>> {
            responses(&[MALFORMED, UNAUTHENTICATED, FORBIDDEN, INVALID])
        }
    }

    impl IntoResponses for UpdateErrors {
        fn responses() -> BTreeMap<String, RefOr<Response>> {
            responses(&[MALFORMED, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, INVALID])
        }
    }
}

pub use documented::{HashingBusy, ReadErrors, UpdateErrors, WriteErrors};

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Walks every refusal: each answers a 4xx with its own words, and a conflict carries the
    /// refusal's own code (never the generic `conflict`).
    #[test]
    fn every_refusal_answers_its_own_status_code_and_message() {
        let mut messages = HashSet::new();
        for &refusal in Refusal::ALL {
            let error = ApiError::from(StorageError::Refused(refusal));
            let (status, code, field) = error.parts();
            assert!(
                [StatusCode::FORBIDDEN, StatusCode::CONFLICT, StatusCode::UNPROCESSABLE_ENTITY].contains(&status),
                "{refusal:?} answers {status}"
            );
            match status {
                StatusCode::CONFLICT => assert_eq!(code, refusal.code(), "{refusal:?}"),
                StatusCode::UNPROCESSABLE_ENTITY => assert!(field.is_some(), "{refusal:?} names no field"),
                _ => {}
            }
            assert!(messages.insert(error.to_string()), "{refusal:?} repeats another refusal's message");
        }
    }
}
