//! The company's own settings: its name and the country local phone numbers are read in
//! (CONT-1: a Russian company's `8 912 …`, a Romanian `0722 …`).

use super::extract::ApiJson;
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, ErrorBody};
use axum::Json;
use axum::extract::State;
use rapport_domain::Grant;
use rapport_domain::phone;
use rapport_domain::values::{NAME_MAX, required_text};
use rapport_storage::companies::{self, Settings};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct CompanyView {
    pub id: i64,
    pub name: String,
    /// ISO 3166 code (`RU`, `RO`, `VN` ...) in which local phone numbers are read.
    pub default_country: String,
}

fn view(id: i64, s: Settings) -> CompanyView {
    CompanyView { id, name: s.name, default_country: s.default_country }
}

/// The caller's company.
#[utoipa::path(get, path = "/api/v1/company", tag = "auth",
    responses(
        (status = 200, description = "The company", body = CompanyView),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn get_company(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<CompanyView>> {
    let id = auth.scope.company_id();
    Ok(Json(view(id, companies::settings(&state.db, id).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyPatch {
    #[schema(min_length = 1, max_length = 64)]
    pub name: Option<String>,
    #[schema(example = "RU")]
    pub default_country: Option<String>,
}

/// Change the company's settings (`menu.settings`).
#[utoipa::path(patch, path = "/api/v1/company", tag = "auth", request_body = CompanyPatch,
    responses(
        (status = 200, description = "Saved", body = CompanyView),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.settings`, or a wrong CSRF token", body = ErrorBody),
        (status = 422, description = "An unknown country code or a bad name", body = ErrorBody),
    ))]
pub async fn update_company(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<CompanyPatch>,
) -> ApiResult<Json<CompanyView>> {
    auth.require(Grant::MenuSettings)?;
    let id = auth.scope.company_id();
    let now = companies::settings(&state.db, id).await?;
    let new = Settings {
        name: match body.name {
            Some(name) => required_text("name", &name, NAME_MAX)?,
            None => now.name,
        },
        default_country: match body.default_country {
            Some(code) => phone::country(&code)?,
            None => now.default_country,
        },
    };
    Ok(Json(view(id, companies::set_settings(&state.db, &auth.actor(), id, &new).await?)))
}
