//! Reading the audit log.

use super::extract::{ApiQuery, Paging};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, ErrorBody};
use crate::views::{AuditEntryView, List};
use axum::Json;
use axum::extract::State;
use rapport_domain::Grant;

/// The company's audit log, newest first (needs `menu.settings`).
#[utoipa::path(get, path = "/api/v1/audit-log", tag = "audit", params(Paging),
    responses(
        (status = 200, description = "A page of entries", body = List<AuditEntryView>),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Missing `menu.settings`", body = ErrorBody),
        (status = 422, description = "Bad paging parameters", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<List<AuditEntryView>>> {
    auth.require(Grant::MenuSettings)?;
    let page =
        rapport_storage::audit::list(&state.db, auth.scope.company_id(), paging.cursor()?, paging.limit()?).await?;
    Ok(Json(List::new(page.items.into_iter().map(Into::into).collect(), page.next_cursor)))
}
