//! `/webhooks/whatsapp` (WA-2): Meta's subscription handshake and signed deliveries.
//! Order of checks: a signature header must be present; the body must be a JSON object naming
//! a bounded number of numbers; those numbers route it (unknown ones are skipped, counted in one
//! debug line: an unsigned body must not make the log grow); the signature must match the app
//! secret of every number it routes to; only then is anything stored. A replayed signed body
//! stores nothing twice (messages by wamid, delivery reports by their content).

use crate::AppState;
use crate::error::ApiError;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rapport_channels::whatsapp::{signature, webhook};
use rapport_domain::template;
use rapport_storage::inbound::{Delivery, Target};
use rapport_storage::{numbers, templates};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// Distinct numbers one delivery may name (Meta sends one; a few leave room for batching).
const MAX_NUMBERS: usize = 64;

pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks/whatsapp", get(handshake).post(receive))
}

#[derive(Deserialize)]
struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// Meta's GET verification: echo the challenge when the verify token is one of ours.
async fn handshake(State(state): State<AppState>, Query(h): Query<Handshake>) -> Result<Response, ApiError> {
    let (Some("subscribe"), Some(token), Some(challenge)) = (h.mode.as_deref(), h.verify_token, h.challenge) else {
        return Err(ApiError::forbidden("expected hub.mode=subscribe with hub.verify_token and hub.challenge"));
    };
    if token.is_empty() || !numbers::verify_token_known(&state.db, &token).await? {
        return Err(ApiError::forbidden("unknown verify token"));
    }
    Ok(challenge.into_response())
}

async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<StatusCode, ApiError> {
    let Some(signature_header) = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok()) else {
        return Err(ApiError::BadSignature);
    };
    let envelope = webhook::parse(&body).map_err(|e| ApiError::Malformed(e.to_string()))?;
    let ids: BTreeSet<String> = envelope.changes.iter().filter_map(|c| c.phone_number_id.clone()).collect();
    if ids.len() > MAX_NUMBERS {
        return Err(ApiError::Malformed(format!("a delivery names at most {MAX_NUMBERS} numbers")));
    }
    let routes = numbers::routes(&state.db, &ids.iter().cloned().collect::<Vec<_>>()).await?;
    let unknown = ids.iter().filter(|id| !routes.iter().any(|r| &r.phone_number_id == *id)).count();
    if unknown > 0 {
        tracing::debug!(unknown, "webhook names numbers that are not connected here; skipped");
    }
    // Account-level events (template status updates) carry the WABA id instead of a number.
    let template_events: Vec<(String, Value)> = envelope
        .changes
        .iter()
        .filter(|c| c.field == "message_template_status_update")
        .filter_map(|c| Some((c.waba_id.clone()?, c.other.clone()?)))
        .collect();
    let wabas: Vec<String> =
        template_events.iter().map(|(w, _)| w.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let waba_secrets = numbers::secrets_by_waba(&state.db, &wabas).await?;
    if routes.is_empty() && waba_secrets.is_empty() {
        return Ok(StatusCode::OK);
    }
    let verifies = |sealed: &str| -> Result<bool, ApiError> {
        let secret = state.settings.secrets.open(sealed).map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(signature::verify(secret.as_bytes(), &body, signature_header))
    };
    // Message changes: every number they are for must have signed them.
    for route in &routes {
        if !verifies(&route.app_secret_sealed)? {
            return Err(ApiError::BadSignature);
        }
    }
    // Account events: applied for each company whose number under that account signed them, so
    // one tenant's misconfigured number can neither block nor forge another tenant's events.
    let mut signed_by: Vec<(&str, i64)> = Vec::new();
    for (waba_id, company_id, sealed) in &waba_secrets {
        if verifies(sealed)? {
            signed_by.push((waba_id, *company_id));
        }
    }
    if !waba_secrets.is_empty() && signed_by.is_empty() {
        return Err(ApiError::BadSignature);
    }
    for (waba_id, event) in &template_events {
        let (Some(name), Some(language)) =
            (event["message_template_name"].as_str(), event["message_template_language"].as_str())
        else {
            continue;
        };
        let status = template::status_from_event(event["event"].as_str().unwrap_or_default());
        for (_, company_id) in signed_by.iter().filter(|(w, _)| w == waba_id) {
            templates::apply_status(&state.db, *company_id, waba_id, name, language, &status, event["reason"].as_str())
                .await?;
        }
    }
    let deliveries: Vec<Delivery> = envelope
        .changes
        .into_iter()
        .filter_map(|change| {
            let route = routes.iter().find(|r| Some(&r.phone_number_id) == change.phone_number_id.as_ref())?;
            let carries = !(change.messages.is_empty() && change.echoes.is_empty() && change.statuses.is_empty());
            carries.then_some(Delivery {
                target: Target {
                    number_id: route.id,
                    company_id: route.company_id,
                    department_id: route.department_id,
                    sync: route.sync(),
                },
                contacts: change.contacts,
                messages: change.messages,
                echoes: change.echoes,
                statuses: change.statuses,
            })
        })
        .collect();
    if !deliveries.is_empty() {
        state.ingestor.submit(deliveries).await?;
    }
    Ok(StatusCode::OK)
}
