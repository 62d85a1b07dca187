//! `GET /api/v1/live`: the WebSocket an open inbox tab keeps (INBOX-3). The server sends
//! `{"type": "message" | "status" | "conversation" | "typing", "conversation_id": ...}` for
//! every change to a conversation the viewer may see (and nothing else), and
//! `{"type": "resync"}` when the tab fell behind; the tab sends
//! `{"type": "typing", "conversation_id": ...}` while its user writes.
//!
//! A socket holds no authorisation of its own: when told its person's access changed (and every
//! half minute besides) it takes the session as it stands, and closes once the session ended
//! (logout, a disabled account, a new password) or the chats grant is gone; events are filtered
//! by the grants held now. Only pages of this
//! site may open one (`Origin`), frames are small, and typing is announced at most every 2 s.

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use rapport_app::live::{Event, EventKind};
use rapport_domain::Grant;
use rapport_domain::chat_access::{ChatViewer, can_see_chat};
use rapport_storage::conversations;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

/// How often an open socket re-reads its session besides when told its access changed (a
/// change made outside the API, as the command line's password reset).
const REAUTHORIZE_EVERY: Duration = Duration::from_secs(30);
/// The most a tab's frame may carry (its messages are a few dozen bytes).
const MAX_FRAME: usize = 4 * 1024;
/// The least time between two typing announcements of one socket.
const TYPING_EVERY: Duration = Duration::from_secs(2);

/// Live updates for the inbox, over a WebSocket.
#[utoipa::path(get, path = "/api/v1/live", tag = "conversations",
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket upgrade request", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.chats`, or opened from another site (`Origin`)", body = ErrorBody),
    ))]
pub async fn live(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    auth.require(Grant::MenuChats)?;
    if !same_site(&headers) {
        return Err(ApiError::forbidden("the live updates open only from this site's pages"));
    }
    let Ok(ws) = ws else {
        return Err(ApiError::Malformed("this address speaks WebSocket: open it with an upgrade request".into()));
    };
    let ws = ws.max_frame_size(MAX_FRAME).max_message_size(MAX_FRAME);
    Ok(ws.on_upgrade(move |socket| serve(state, auth, socket)))
}

/// Whether a browser's `Origin` names this host (a socket carries the cookie, so another site
/// must not open one in a signed-in person's name); clients that send none are not browsers.
fn same_site(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let authority = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
    authority.is_some_and(|a| a.eq_ignore_ascii_case(host))
}

#[derive(Deserialize)]
struct FromTab {
    #[serde(rename = "type")]
    kind: String,
    conversation_id: i64,
}

async fn serve(state: AppState, mut auth: Auth, mut socket: WebSocket) {
    let mut events = state.settings.live.subscribe();
    let mut reauthorize = tokio::time::interval(REAUTHORIZE_EVERY);
    let mut last_typing: Option<Instant> = None;
    loop {
        let role = auth.session.role();
        tokio::select! {
            _ = reauthorize.tick() => {
                if !reauthorized(&state, &mut auth).await {
                    let _ = socket.send(Message::Close(None)).await;
                    break;
                }
            }
            event = events.recv() => {
                let frame = match event {
                    Ok(event) if event.kind == EventKind::Access => {
                        if event.for_staff == Some(auth.staff_id()) && !reauthorized(&state, &mut auth).await {
                            let _ = socket.send(Message::Close(None)).await;
                            break;
                        }
                        continue;
                    }
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
                    let due = last_typing.is_none_or(|at| at.elapsed() >= TYPING_EVERY);
                    if let Ok(message) = serde_json::from_str::<FromTab>(&text) && message.kind == "typing" && due {
                        last_typing = Some(Instant::now());
                        typing(&state, &auth, message.conversation_id).await;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            },
        }
    }
}

/// Takes the session as it stands; false once it ended or lost the chats grant (a failure to
/// read it keeps the socket as it was).
async fn reauthorized(state: &AppState, auth: &mut Auth) -> bool {
    match auth.refreshed(state).await {
        Ok(Some(now)) if now.has(Grant::MenuChats) => {
            *auth = now;
            true
        }
        Ok(_) => false,
        Err(e) => {
            tracing::warn!(error = %e, "could not re-read a live socket's session");
            true
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
