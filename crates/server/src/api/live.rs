//! `GET /api/v1/live`: the WebSocket an open inbox tab keeps (INBOX-3). The server sends
//! `{"type": "message" | "status" | "conversation" | "typing", "conversation_id": ...}` for
//! every change to a conversation the viewer may see (and nothing else), and
//! `{"type": "resync"}` when the tab fell behind; the tab sends
//! `{"type": "typing", "conversation_id": ...}` while its user writes.

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use rapport_app::live::{Event, EventKind};
use rapport_domain::Grant;
use rapport_domain::chat_access::{ChatViewer, can_see_chat};
use rapport_storage::conversations;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

/// Live updates for the inbox, over a WebSocket.
#[utoipa::path(get, path = "/api/v1/live", tag = "conversations",
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket upgrade request", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.chats`", body = ErrorBody),
    ))]
pub async fn live(
    State(state): State<AppState>,
    auth: Auth,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    auth.require(Grant::MenuChats)?;
    let Ok(ws) = ws else {
        return Err(ApiError::Malformed("this address speaks WebSocket: open it with an upgrade request".into()));
    };
    Ok(ws.on_upgrade(move |socket| serve(state, auth, socket)))
}

#[derive(Deserialize)]
struct FromTab {
    #[serde(rename = "type")]
    kind: String,
    conversation_id: i64,
}

async fn serve(state: AppState, auth: Auth, mut socket: WebSocket) {
    let mut events = state.settings.live.subscribe();
    let role = auth.session.role();
    loop {
        tokio::select! {
            event = events.recv() => {
                let frame = match event {
                    Ok(event) => {
                        let who = ChatViewer { viewer: &auth.scope.viewer, department_path: &auth.scope.department_path, role };
                        let mine = event.kind == EventKind::Typing && event.staff_id == Some(auth.staff_id());
                        let someone_elses = event.for_staff.is_some_and(|staff| staff != auth.staff_id());
                        let sees = can_see_chat(&who, &event.facts) || event.also_for.contains(&auth.staff_id());
                        if mine || someone_elses || !sees {
                            continue;
                        }
                        json!({"type": event.kind, "conversation_id": event.conversation_id, "staff_id": event.staff_id, "name": event.name})
                    }
                    Err(RecvError::Lagged(_)) => json!({"type": "resync"}),
                    Err(RecvError::Closed) => break,
                };
                if socket.send(Message::text(frame.to_string())).await.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if let Ok(message) = serde_json::from_str::<FromTab>(&text) && message.kind == "typing" {
                        typing(&state, &auth, message.conversation_id).await;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            },
        }
    }
}

/// Tells the colleagues who see the chat that this person is typing in it (only people who
/// may write to it announce anything).
async fn typing(state: &AppState, auth: &Auth, conversation_id: i64) {
    if !auth.may_write() {
        return;
    }
    let company_id = auth.scope.company_id();
    if conversations::get(&state.db, &auth.scope, conversation_id).await.is_err() {
        return;
    }
    let Ok(facts) = conversations::facts(&state.db, company_id, &[conversation_id]).await else { return };
    let Some((_, facts)) = facts.into_iter().next() else { return };
    let event = Event {
        kind: EventKind::Typing,
        conversation_id,
        facts,
        staff_id: Some(auth.staff_id()),
        name: Some(auth.session.name.clone()),
        for_staff: None,
        also_for: Vec::new(),
    };
    state.settings.live.publish(event).await;
}
