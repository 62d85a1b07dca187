//! One's own profile (AUTH-2): information, password, avatar.

use super::extract::ApiJson;
use super::schema::{ImageBytes, LongText, NameText, NewPassword, ShortText};
use crate::AppState;
use crate::auth::Auth;
use crate::auth::password::{hash_password_async, verify_password};
use crate::error::{ApiError, ApiResult, ErrorBody, HashingBusy, WriteErrors};
use crate::views::StaffView;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use rapport_app::live::Event;
use rapport_domain::values::{NAME_MAX, NOTE_MAX, Password, multiline_text, optional_text, required_text};
use rapport_storage::staff::{self, StaffChanges};
use serde::Deserialize;
use utoipa::ToSchema;

/// The signed-in staff member, with grants and role.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses(
        (status = 200, description = "The signed-in staff member", body = StaffView),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn get_me(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<StaffView>> {
    Ok(Json(staff::get(&state.db, &auth.scope, auth.staff_id()).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdate {
    /// Real name.
    #[schema(value_type = Option<NameText>)]
    pub name: Option<String>,
    #[schema(value_type = Option<ShortText>)]
    pub nickname: Option<String>,
    #[schema(value_type = Option<LongText>)]
    pub memo: Option<String>,
}

/// Change one's own real name, nickname and memo.
#[utoipa::path(patch, path = "/api/v1/me", tag = "auth", request_body = ProfileUpdate,
    responses(
        (status = 200, description = "Updated", body = StaffView),
        WriteErrors,
    ))]
pub async fn update_me(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<ProfileUpdate>,
) -> ApiResult<Json<StaffView>> {
    let changes = StaffChanges {
        name: body.name.as_deref().map(|n| required_text("name", n, NAME_MAX)).transpose()?,
        nickname: body.nickname.as_deref().map(|n| optional_text("nickname", n, NAME_MAX)).transpose()?,
        memo: body.memo.as_deref().map(|m| multiline_text("memo", m, NOTE_MAX)).transpose()?,
        ..Default::default()
    };
    let me = staff::update(&state.db, &auth.scope, &auth.actor(), auth.staff_id(), changes, None).await?;
    Ok(Json(me.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    #[schema(value_type = NewPassword)]
    pub new_password: String,
    pub confirm_password: String,
}

/// Change one's own password. Other sessions of the account end; this one stays.
#[utoipa::path(put, path = "/api/v1/me/password", tag = "auth", request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed"),
        WriteErrors,
        HashingBusy,
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    let new = Password::parse_confirmed(&body.new_password, &body.confirm_password)
        .map_err(|e| if e.field == "password" { rapport_domain::Invalid { field: "new_password", ..e } } else { e })?;
    let credentials = staff::credentials_by_id(&state.db, auth.scope.company_id(), auth.staff_id()).await?;
    if !verify_password(body.current_password, credentials.password_hash).await? {
        return Err(ApiError::invalid("current_password", "is wrong"));
    }
    let hash = hash_password_async(new.expose().to_string()).await?;
    let changes = StaffChanges { password_hash: Some(hash), ..Default::default() };
    staff::update(&state.db, &auth.scope, &auth.actor(), auth.staff_id(), changes, Some(&auth.token_hash)).await?;
    state.settings.live.publish(Event::access_changed(auth.staff_id())).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Largest avatar accepted.
pub const AVATAR_MAX_BYTES: usize = 1024 * 1024;

/// Replace one's own avatar: the image bytes as the body, with its content type.
#[utoipa::path(put, path = "/api/v1/me/avatar", tag = "auth",
    request_body(content = ImageBytes, content_type = "application/octet-stream",
        description = "The bytes of a PNG, JPEG, GIF or WebP image of at most 1 MiB; the Content-Type may also name the image type"),
    responses(
        (status = 204, description = "Saved"),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Missing or wrong CSRF token", body = ErrorBody),
        (status = 413, description = "Larger than the server accepts at all"),
        (status = 422, description = "Not an accepted image, or too large", body = ErrorBody),
    ))]
pub async fn set_avatar(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let declared = super::extract::content_type(&headers);
    let declared = declared.as_str();
    let content_type =
        image_type(&body).ok_or_else(|| ApiError::invalid("avatar", "must be a PNG, JPEG, GIF or WebP image"))?;
    if !declared.is_empty() && declared != content_type && declared != "application/octet-stream" {
        return Err(ApiError::invalid("avatar", format!("the content is {content_type}, not {declared}")));
    }
    if body.len() > AVATAR_MAX_BYTES {
        return Err(ApiError::invalid("avatar", "must be at most 1 MiB"));
    }
    staff::set_own_avatar(&state.db, &auth.actor(), auth.staff_id(), content_type, body.to_vec()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The image type by the file's magic bytes (what the browser will be told when it is served).
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0x89, b'P', b'N', b'G', ..] => Some("image/png"),
        [0xFF, 0xD8, 0xFF, ..] => Some("image/jpeg"),
        [b'G', b'I', b'F', b'8', ..] => Some("image/gif"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some("image/webp"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::image_type;

    #[test]
    fn images_are_recognised_by_content_not_name() {
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(image_type(b"\xFF\xD8\xFF\xE0"), Some("image/jpeg"));
        assert_eq!(image_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(image_type(b"<svg xmlns=...>"), None);
        assert_eq!(image_type(b""), None);
    }
}
