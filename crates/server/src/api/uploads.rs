//! Uploading a file to send (WA-3 attachments): checked for type and WhatsApp's size limit, kept
//! in the media store, then sent by id with `POST /api/v1/conversations/{id}/messages`.

use super::extract::ApiQuery;
use super::schema::ImageBytes;
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use rapport_domain::Grant;
use rapport_domain::attachment::{content_matches, kind_for};
use rapport_domain::values::required_text;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

/// The largest attachment WhatsApp takes (documents); smaller kinds have smaller limits.
pub const MAX_UPLOAD: usize = 100 * 1024 * 1024;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name, shown to the customer for documents.
    #[param(min_length = 1, max_length = 255)]
    pub filename: String,
}

#[derive(Serialize, ToSchema)]
pub struct UploadView {
    pub id: i64,
    pub filename: String,
    pub mime_type: String,
    pub size: i64,
    /// What it is sent as: `image`, `video`, `audio`, `document` or `sticker`.
    pub kind: String,
}

/// Upload a file to attach: the raw bytes as the body, its type as `Content-Type`.
#[utoipa::path(post, path = "/api/v1/uploads", tag = "conversations", params(UploadQuery),
    request_body(content = ImageBytes, content_type = "application/octet-stream",
        description = "The file; Content-Type names its type (image/jpeg, image/png, video/mp4, audio/ogg, application/pdf, ...)"),
    responses(
        (status = 201, description = "Stored", body = UploadView),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.chats`, or a wrong CSRF token", body = ErrorBody),
        (status = 413, description = "Larger than any attachment WhatsApp takes"),
        (status = 422, description = "A type WhatsApp does not take, too large for its kind, or content not matching the type", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(query): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<UploadView>)> {
    auth.require(Grant::MenuChats)?;
    let filename = required_text("filename", &query.filename, 255)?;
    let mime_type = super::extract::content_type(&headers);
    let kind = kind_for(&mime_type)
        .ok_or_else(|| ApiError::invalid("file", format!("WhatsApp does not take `{mime_type}` files")))?;
    if body.len() > kind.max_bytes {
        return Err(ApiError::invalid(
            "file",
            format!("a {} may be at most {} MB", kind.kind, kind.max_bytes / (1024 * 1024)),
        ));
    }
    if !content_matches(&mime_type, &body) {
        return Err(ApiError::invalid("file", format!("the content is not a {mime_type} file")));
    }
    let hex = hex::encode(Sha256::digest(&body));
    let relative = format!("uploads/{}/{hex}", auth.scope.company_id());
    let path = state.settings.media_dir.join(&relative);
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(|e| ApiError::Internal(format!("media store: {e}")))?;
    }
    // Through a temporary name: a send worker may be reading the same content-addressed file.
    let temporary = path.with_extension(format!("part{}", auth.staff_id()));
    tokio::fs::write(&temporary, &body).await.map_err(|e| ApiError::Internal(format!("media store: {e}")))?;
    tokio::fs::rename(&temporary, &path).await.map_err(|e| ApiError::Internal(format!("media store: {e}")))?;
    let upload = rapport_storage::uploads::create(
        &state.db,
        auth.scope.company_id(),
        auth.staff_id(),
        &filename,
        &mime_type,
        body.len() as i64,
        &relative,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(UploadView {
            id: upload.id,
            filename: upload.filename,
            mime_type: upload.mime_type,
            size: upload.size,
            kind: kind.kind.to_string(),
        }),
    ))
}
