//! The API's one error type and its single mapping to HTTP: `{"error":{"code","message"}}`
//! with the status the public contract names.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rapport_domain::Invalid;
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
        if let ApiError::TooManyAttempts(seconds) = self
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

impl From<rapport_domain::fields::FieldError> for ApiError {
    fn from(e: rapport_domain::fields::FieldError) -> Self {
        ApiError::InvalidField { field: e.key, message: e.message }
    }
}

impl From<rapport_domain::contact_filter::FilterError> for ApiError {
    fn from(e: rapport_domain::contact_filter::FilterError) -> Self {
        ApiError::InvalidField { field: format!("filter.{}", e.field), message: e.message }
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
            StorageError::Conflict(constraint) if constraint.contains("account") => {
                ApiError::conflict("account_taken", "this account already exists")
            }
            StorageError::Conflict(constraint) if constraint.contains("templates") => ApiError::conflict(
                "template_exists",
                "a template with this name and language exists already for the account",
            ),
            StorageError::Conflict(constraint) if constraint.contains("phone_number_id") => {
                ApiError::conflict("number_taken", "this phone number id is connected already")
            }
            StorageError::Conflict(constraint) if constraint.contains("saved_views") => {
                ApiError::conflict("view_exists", "you have a view with this name already")
            }
            StorageError::Conflict(constraint) => {
                ApiError::conflict("conflict", format!("conflicts with an existing record ({constraint})"))
            }
            StorageError::Refused(reason) => refusal(reason),
            StorageError::DuplicateContact(id) => ApiError::DuplicateContact(id),
            StorageError::ValuesDoNotConvert(message) => ApiError::Rule { code: "values_do_not_convert", message },
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// The storage layer's named refusals, in words and statuses for the API.
fn refusal(reason: &'static str) -> ApiError {
    match reason {
        "parent_not_found" => ApiError::invalid("parent_id", "no such department"),
        "department_not_found" => ApiError::invalid("department_id", "no such department"),
        "owner_not_found" => ApiError::invalid("owner_staff_id", "no such staff member"),
        "move_into_own_subtree" => {
            ApiError::invalid("parent_id", "a department cannot be moved under itself or one of its sub-departments")
        }
        "root_cannot_move" => ApiError::invalid("parent_id", "the top-level department has no parent"),
        "root_cannot_be_deleted" => {
            ApiError::conflict(reason, "the top-level department of the company cannot be deleted")
        }
        "department_has_subdepartments" => {
            ApiError::conflict(reason, "the department still has sub-departments; move or delete them first")
        }
        "department_has_staff" => {
            ApiError::conflict(reason, "the department still has staff; move them to another department first")
        }
        "department_has_numbers" => ApiError::conflict(
            reason,
            "the department still has WhatsApp numbers; move them to another department first",
        ),
        "department_has_contacts" => {
            ApiError::conflict(reason, "the department still has customers; move them to another department first")
        }
        "number_not_found" => ApiError::invalid("number_id", "no such connected number in the company"),
        "number_not_usable" => {
            ApiError::invalid("number_id", "you may not write from this number (or it is not connected)")
        }
        "number_required" => ApiError::invalid(
            "number_id",
            "choose the number to write from: you have several and none is set as the one to write first from",
        ),
        "conversation_taken" => {
            ApiError::conflict(reason, "another colleague answered this new customer first; the chat is theirs now")
        }
        "responsible_not_found" => ApiError::invalid("responsible_staff_id", "no such staff member in the company"),
        "contact_not_deleted" => ApiError::conflict(reason, "the contact is not deleted"),
        "note_not_yours" => ApiError::forbidden("only its author may change or delete a note"),
        "merge_same_contact" => ApiError::invalid("other_id", "a contact cannot be merged with itself"),
        "import_started" => ApiError::conflict(reason, "this import has started already"),
        other => ApiError::conflict(other, other.replace('_', " ")),
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

pub use documented::{ReadErrors, UpdateErrors, WriteErrors};
