//! Login and logout (AUTH-1, AUTH-3).

use super::extract::ApiJson;
use crate::AppState;
use crate::auth::password::{decoy_hash, verify_password};
use crate::auth::{self, Auth, client_address};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::views::{LoginView, StaffView};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use rapport_app::live::Event;
use rapport_domain::throttle::seconds_left;
use rapport_domain::values::{ACCOUNT_MAX, PASSWORD_MAX};
use rapport_storage::audit::{self, Entry};
use rapport_storage::{now_ms, sessions, staff, throttle};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub account: String,
    pub password: String,
}

/// The request's address and scheme, for throttling and cookie flags.
pub struct ClientInfo {
    address: String,
    https: bool,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientInfo { address: client_address(parts), https: auth::is_https(parts) })
    }
}

/// Log in with account and password; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", security(()), request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = LoginView),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Wrong account or password, or a disabled account", body = ErrorBody),
        (status = 422, description = "Invalid body", body = ErrorBody),
        (status = 429, description = "Too many failed logins; try again later", body = ErrorBody),
        (status = 503, description = "Too many logins at once; try again in a moment", body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    client: ClientInfo,
    jar: CookieJar,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<(CookieJar, Json<LoginView>)> {
    // Bounded before anything is looked up, stored or hashed.
    if body.account.chars().count() > ACCOUNT_MAX {
        return Err(ApiError::invalid("account", format!("must be at most {ACCOUNT_MAX} characters")));
    }
    if body.password.chars().count() > PASSWORD_MAX {
        return Err(ApiError::invalid("password", format!("must be at most {PASSWORD_MAX} characters")));
    }
    let account = body.account.trim().to_lowercase();
    let keys = [format!("account:{account}"), format!("address:{}", client.address)];
    let now = now_ms();
    for key in &keys {
        if let Some(until) = throttle::locked_until(&state.db, key, now).await? {
            return Err(ApiError::TooManyAttempts(seconds_left(until, now)));
        }
    }
    let credentials = staff::credentials_by_account(&state.db, &account).await?;
    let hash = credentials.as_ref().map_or_else(|| decoy_hash().to_string(), |c| c.password_hash.clone());
    let password_ok = verify_password(body.password, hash).await?;
    let found = credentials.filter(|_| password_ok);
    let Some(credentials) = found else {
        let mut lock = None;
        for key in &keys {
            lock = lock.max(throttle::record_failure(&state.db, key, now).await?);
        }
        let target = staff::credentials_by_account(&state.db, &account).await?;
        audit::record(
            &state.db,
            Entry {
                company_id: target.as_ref().map(|c| c.company_id),
                actor_id: None,
                action: "auth.login_failed",
                target_type: "staff",
                target_id: target.as_ref().map(|c| c.id),
                before: None,
                after: Some(serde_json::json!({ "account": account })),
                source: &client.address,
            },
        )
        .await?;
        return Err(match lock {
            Some(until) => ApiError::TooManyAttempts(seconds_left(until, now)),
            None => ApiError::LoginFailed("wrong account or password".into()),
        });
    };
    if credentials.status != rapport_domain::status::StaffStatus::Enabled {
        return Err(ApiError::LoginFailed("this account is disabled".into()));
    }
    for key in &keys {
        throttle::clear(&state.db, key).await?;
    }
    let token = auth::random_token();
    let csrf_token = auth::random_token();
    let ttl = state.config.session_ttl_ms;
    sessions::create(&state.db, &auth::token_hash(&token), credentials.id, &csrf_token, now + ttl).await?;
    let me = staff::get_unscoped(&state.db, credentials.company_id, credentials.id).await?;
    let secure = state.config.secure_cookies || client.https;
    let jar = jar.add(auth::session_cookie(token, secure, ttl));
    Ok((jar, Json(LoginView { staff: StaffView::from(me), csrf_token })))
}

/// Log out: ends this session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Missing or wrong CSRF token", body = ErrorBody),
    ))]
pub async fn logout(State(state): State<AppState>, auth: Auth, jar: CookieJar) -> ApiResult<(StatusCode, CookieJar)> {
    sessions::delete(&state.db, &auth.token_hash).await?;
    state.settings.live.publish(Event::access_changed(auth.staff_id())).await;
    let secure = jar.get(auth::SECURE_SESSION_COOKIE).is_some();
    Ok((StatusCode::NO_CONTENT, jar.add(auth::removal_cookie(secure))))
}
