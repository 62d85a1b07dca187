//! Request extractors whose failures answer with the API's error JSON instead of axum's
//! plain-text rejections.

use crate::error::ApiError;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A JSON body: syntax errors answer 400, a body of the wrong shape (missing or unknown
/// fields, wrong types) or text holding a NUL character answers 422.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let value = match axum::Json::<Value>::from_request(req, state).await {
            Ok(axum::Json(value)) => value,
            Err(JsonRejection::JsonDataError(e)) => return Err(ApiError::invalid("body", e.body_text())),
            Err(e) => return Err(ApiError::Malformed(e.body_text())),
        };
        if let Some(field) = nul_in(&value) {
            return Err(ApiError::InvalidField { field, message: "must not contain a NUL character".into() });
        }
        serde_json::from_value(value).map(ApiJson).map_err(|e| ApiError::invalid("body", e.to_string()))
    }
}

/// Where a JSON value holds a NUL character (`name`, `replies.0.text`), if anywhere. No text of
/// this API means one, and PostgreSQL's text cannot hold it: refused here, for every route.
fn nul_in(value: &Value) -> Option<String> {
    let path = nul_path(value)?;
    Some(if path.is_empty() { "body".to_string() } else { path.join(".") })
}

/// The keys leading to a NUL (empty: the value itself, or an object key, holds it).
fn nul_path(value: &Value) -> Option<Vec<String>> {
    let below = |key: String, inner: &Value| {
        nul_path(inner).map(|mut path| {
            path.insert(0, key);
            path
        })
    };
    match value {
        Value::String(text) => text.contains('\0').then(Vec::new),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| below(i.to_string(), item)),
        Value::Object(fields) => fields
            .iter()
            .find_map(|(key, inner)| if key.contains('\0') { Some(Vec::new()) } else { below(key.clone(), inner) }),
        _ => None,
    }
}

/// Query parameters; a bad one answers 422 naming it.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // A NUL, encoded, in any parameter: refused as in a JSON body.
        if parts.uri.query().is_some_and(|q| q.to_ascii_lowercase().contains("%00")) {
            return Err(ApiError::invalid("query", "must not contain a NUL character"));
        }
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(ApiError::invalid("query", e.body_text())),
            Err(e) => Err(ApiError::invalid("query", e.body_text())),
        }
    }
}

/// An object id in the path; anything that is not an id names no object, so it answers 404.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state).await.map_err(|_| ApiError::NotFound)?;
        raw.parse().map(Id).map_err(|_| ApiError::NotFound)
    }
}

/// Paging parameters shared by every list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 20).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// An RFC 3339 time from the request, in ms since the epoch; a clear error naming `field`.
pub fn time_ms(field: &'static str, text: &str) -> Result<i64, ApiError> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        .map_err(|_| ApiError::invalid(field, "must be a time such as 2026-11-21T09:00:00Z"))
}

impl Paging {
    pub fn cursor(&self) -> Result<Option<i64>, ApiError> {
        match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => Ok(None),
            Some(c) => {
                c.parse().map(Some).map_err(|_| ApiError::invalid("cursor", "is not a cursor this API gave out"))
            }
        }
    }

    pub fn limit(&self) -> Result<u64, ApiError> {
        match self.limit {
            None => Ok(20),
            Some(n @ 1..=200) => Ok(n),
            Some(_) => Err(ApiError::invalid("limit", "must be between 1 and 200")),
        }
    }
}

/// For PATCH bodies: tells a field set to null (`Some(None)`) from a field left out (`None`).
pub fn double_option<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

pub async fn unknown_route() -> ApiError {
    ApiError::NotFound
}

/// The request's declared media type, lower-cased and without parameters (`""` when absent).
pub fn content_type(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_ascii_lowercase())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::nul_in;
    use serde_json::json;

    #[test]
    fn a_nul_anywhere_is_found_and_named() {
        assert_eq!(nul_in(&json!({"account": "a\0b", "password": "x"})).as_deref(), Some("account"));
        assert_eq!(nul_in(&json!({"replies": [{"text": "ok"}, {"text": "\0"}]})).as_deref(), Some("replies.1.text"));
        assert_eq!(nul_in(&json!("\0")).as_deref(), Some("body"));
        assert_eq!(nul_in(&json!({"a\0": 1})).as_deref(), Some("body"));
        assert_eq!(nul_in(&json!({"name": "Nguyễn", "n": 1, "tags": ["x"], "none": null})), None);
    }
}
