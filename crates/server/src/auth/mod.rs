//! Who is asking: the session cookie (server-side session), the CSRF check on every
//! state-changing call made with that cookie, and the client address for audit and throttling.

pub mod password;

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::Engine;
use rand::RngCore;
use rapport_domain::Grant;
use rapport_storage::audit::Actor;
use rapport_storage::sessions::{self, SessionRow};
use rapport_storage::{Scope, now_ms};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "rapport_session";
/// The session cookie's name over https: a `__Host-` cookie is only ever set by this host,
/// over https, for the whole site, so no sibling subdomain can plant or shadow it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-rapport_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A random URL-safe token of 32 bytes.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Sessions are stored by the hash of their token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn session_cookie(token: String, secure: bool, max_age_ms: i64) -> Cookie<'static> {
    Cookie::build((if secure { SECURE_SESSION_COOKIE } else { SESSION_COOKIE }, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(time::Duration::milliseconds(max_age_ms))
        .build()
}

/// Removes the session cookie under whichever name it was set.
pub fn removal_cookie(secure: bool) -> Cookie<'static> {
    let name = if secure { SECURE_SESSION_COOKIE } else { SESSION_COOKIE };
    Cookie::build((name, "")).path("/").secure(secure).max_age(time::Duration::ZERO).build()
}

/// The signed-in staff member behind a request.
#[derive(Clone, Debug)]
pub struct Auth {
    pub session: SessionRow,
    pub scope: Scope,
    pub token_hash: String,
    pub client: String,
}

impl Auth {
    pub fn staff_id(&self) -> i64 {
        self.session.staff_id
    }

    /// Whether this person may write to customers and change their chats (quality control
    /// never does; the rule is `rapport_domain::role::may_write`).
    pub fn may_write(&self) -> bool {
        rapport_domain::role::may_write(self.session.role())
    }

    /// Refuses with 403 unless [`Auth::may_write`]; `what` ends "quality control reads
    /// conversations but never …".
    pub fn require_writer(&self, what: &str) -> Result<(), ApiError> {
        Ok(rapport_app::send::require_writer(self.session.role(), what)?)
    }

    pub fn has(&self, grant: Grant) -> bool {
        self.scope.viewer.has(grant)
    }

    /// Refuses with 403 unless the viewer holds `grant`.
    pub fn require(&self, grant: Grant) -> Result<(), ApiError> {
        if self.has(grant) { Ok(()) } else { Err(ApiError::forbidden(format!("this needs the `{grant}` permission"))) }
    }

    /// Refuses with 403 unless the viewer holds at least one of `grants`.
    pub fn require_any(&self, grants: &[Grant]) -> Result<(), ApiError> {
        if grants.iter().any(|g| self.has(*g)) {
            Ok(())
        } else {
            let names: Vec<_> = grants.iter().map(|g| format!("`{g}`")).collect();
            Err(ApiError::forbidden(format!("this needs one of the permissions {}", names.join(", "))))
        }
    }

    /// The same session as it stands now: `None` once it ended (logout, a disabled account, a
    /// password changed elsewhere), else with the grants and role the person holds now.
    pub async fn refreshed(&self, state: &AppState) -> Result<Option<Auth>, ApiError> {
        let Some(session) = sessions::lookup(&state.db, &self.token_hash, now_ms()).await? else { return Ok(None) };
        Ok(Some(Auth {
            scope: session.scope(),
            session,
            token_hash: self.token_hash.clone(),
            client: self.client.clone(),
        }))
    }

    pub fn actor(&self) -> Actor {
        Actor { company_id: self.scope.company_id(), staff_id: Some(self.staff_id()), source: self.client.clone() }
    }
}

/// The client's address as seen by this server.
pub fn client_address(parts: &Parts) -> String {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_default()
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let cookie = jar.get(SECURE_SESSION_COOKIE).or_else(|| jar.get(SESSION_COOKIE));
        let token = cookie.map(|c| c.value().to_string()).ok_or(ApiError::Unauthenticated)?;
        let hash = token_hash(&token);
        let session = sessions::lookup(&state.db, &hash, now_ms()).await?.ok_or(ApiError::Unauthenticated)?;
        if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            if !password::constant_time_eq(sent.as_bytes(), session.csrf_token.as_bytes()) {
                return Err(ApiError::Csrf);
            }
        }
        Ok(Auth { scope: session.scope(), session, token_hash: hash, client: client_address(parts) })
    }
}

/// For pages: the same as [`Auth`], but a visitor without a session is sent to the login page.
pub struct PageAuth(pub Auth);

pub struct LoginRedirect;

impl axum::response::IntoResponse for LoginRedirect {
    fn into_response(self) -> axum::response::Response {
        axum::response::Redirect::to("/login").into_response()
    }
}

impl FromRequestParts<AppState> for PageAuth {
    type Rejection = axum::response::Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        match Auth::from_request_parts(parts, state).await {
            Ok(auth) => Ok(PageAuth(auth)),
            Err(ApiError::Unauthenticated) => Err(LoginRedirect.into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// True when the request came over https (directly or as told by a proxy).
pub fn is_https(parts: &Parts) -> bool {
    parts.headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https")
        || parts.uri.scheme_str() == Some("https")
        || parts.headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()).is_some_and(|o| o.starts_with("https://"))
}
