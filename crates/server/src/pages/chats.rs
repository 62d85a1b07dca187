//! Chats & Group chats: the agent workspace. A filtered chat list, the open conversation with
//! every message kind, internal notes and the composer, and the controls to assign, snooze
//! and resolve; the page's script keeps it live.

use super::shell::Shell;
use super::{Page, render};
use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::views::rfc3339;
use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use rapport_app::i18n::Catalog;
use rapport_domain::status::ConversationStatus;
use rapport_domain::status::Direction;
use rapport_domain::{Grant, window};
use rapport_storage::conversations::{self, ConversationFilter, ConversationRow, MessageRow};
use rapport_storage::now_ms;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

#[derive(Deserialize, Default)]
pub struct Params {
    /// The open conversation.
    c: Option<i64>,
    /// Older messages than this one (paging up the history).
    before: Option<i64>,
    /// `direct` or `group`.
    kind: Option<String>,
    /// `open`, `snoozed` or `resolved`.
    status: Option<String>,
    /// `mine` or `unassigned`.
    who: Option<String>,
    q: Option<String>,
    /// Unanswered only.
    unanswered: Option<String>,
}

impl Params {
    fn filter(&self, me: i64) -> ConversationFilter {
        let non_empty = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
        ConversationFilter {
            groups: match non_empty(&self.kind).as_deref() {
                Some("group") => Some(true),
                Some("direct") => Some(false),
                _ => None,
            },
            status: non_empty(&self.status).as_deref().and_then(ConversationStatus::parse),
            staff_id: (self.who.as_deref() == Some("mine")).then_some(me),
            unassigned: self.who.as_deref() == Some("unassigned"),
            q: non_empty(&self.q),
            unanswered_for_ms: self.unanswered.as_deref().filter(|u| !u.is_empty()).map(|_| 0),
            ..ConversationFilter::default()
        }
    }

    /// The filter part of the address, kept when a chat is opened.
    fn query(&self) -> String {
        [
            ("kind", &self.kind),
            ("status", &self.status),
            ("who", &self.who),
            ("q", &self.q),
            ("unanswered", &self.unanswered),
        ]
        .iter()
        .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| format!("&{k}={}", crate::href::encode(v))))
        .collect()
    }
}

/// One of the viewer's saved views of the list.
pub struct ViewLink {
    pub id: i64,
    pub name: String,
    pub href: String,
    pub active: bool,
}

/// A staff member a chat can be assigned to.
pub struct Assignee {
    pub id: i64,
    pub name: String,
}

pub struct ChatItem {
    pub id: i64,
    pub name: String,
    pub group: bool,
    pub preview: String,
    pub at: String,
    pub unanswered: bool,
    /// The viewer's unread messages in it.
    pub unread: i64,
    pub active: bool,
}

/// One message as the chat shows it.
pub struct Bubble {
    pub id: i64,
    /// Meta's id, to reply or react to; empty while a send is queued and for notes.
    pub wamid: String,
    /// The reactions on this message (customer's and ours), newest per side.
    pub reactions: String,
    pub outbound: bool,
    /// An internal note, never sent.
    pub note: bool,
    /// The staff member who wrote an outbound message or note.
    pub author: String,
    /// Who wrote it, shown in group chats.
    pub sender: String,
    /// A short tag for non-text kinds (`📍 location`, `🖼 image` ...).
    pub badge: String,
    pub body: String,
    pub quote: String,
    pub at: String,
    /// ⏳ ✓ ✓✓ for outbound messages.
    pub ticks: &'static str,
    pub read: bool,
    pub error: String,
    /// The stored media file, when downloaded.
    pub media_url: String,
    pub is_image: bool,
    /// For documents: the file's name, as the link text.
    pub filename: String,
}

pub struct Open {
    pub id: i64,
    pub name: String,
    pub phone: String,
    pub window_open: bool,
    pub bubbles: Vec<Bubble>,
    /// The first shown message's id, when older ones exist.
    pub older_than: Option<i64>,
    pub responsible: Option<i64>,
    pub status: String,
    pub unanswered: bool,
    /// The customer card beside the chat (direct chats).
    pub card: Option<Card>,
}

/// What the agent knows of the customer while chatting (CONT-6's card, in short).
pub struct Card {
    pub name: String,
    pub phone: String,
    pub wa_id: String,
    pub responsible: String,
    pub number: String,
    /// Set when the viewer may open the customer's full card.
    pub contact_id: Option<i64>,
    /// Extended fields with a value: (name, value).
    pub fields: Vec<(String, String)>,
    /// The latest notes: (title, body).
    pub notes: Vec<(String, String)>,
}

impl Card {
    /// Adds what the customers module knows (extended fields, latest notes) when the viewer
    /// sees the contact there too; the short card stays as it is otherwise.
    async fn enrich(&mut self, state: &AppState, auth: &crate::auth::Auth, contact_id: i64) {
        let Ok(contact) = rapport_storage::contacts::get(&state.db, &auth.scope, contact_id).await else { return };
        self.contact_id = Some(contact_id);
        if let Ok(catalogue) = rapport_app::customers::Catalogue::load(&state.db, &auth.scope).await {
            self.fields = catalogue
                .fields
                .iter()
                .filter_map(|f| {
                    contact.fields.get(&f.key).map(|v| (f.name.clone(), rapport_app::customers::value_text(v)))
                })
                .collect();
        }
        if let Ok(notes) = rapport_storage::contact_notes::list(&state.db, &auth.scope, contact_id).await {
            self.notes = notes.into_iter().take(3).map(|n| (n.title, n.body)).collect();
        }
    }
}

/// An approved template the composer offers when the window is closed.
pub struct TemplateChoice {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "chats.html")]
struct ChatsPage<'a> {
    shell: Shell<'a>,
    t: &'a Catalog,
    chats: Vec<ChatItem>,
    open: Option<Open>,
    templates: Vec<TemplateChoice>,
    params: Params,
    /// The filters as an address suffix, kept when a chat is opened.
    keep: String,
    /// Who the viewer may assign chats to; empty when they may not assign.
    assignees: Vec<Assignee>,
    /// May write to customers (not quality control).
    may_write: bool,
    views: Vec<ViewLink>,
    /// Numbers the viewer may start a chat from (DIST-4).
    chat_numbers: Vec<ChatNumberOption>,
    /// Predefined texts for the composer (TEXT-1): (id, name).
    texts: Vec<(i64, String)>,
}

/// A number in the "new chat" dialog; `first` is the viewer's number to write first from.
pub struct ChatNumberOption {
    pub id: i64,
    pub label: String,
    pub first: bool,
}

pub async fn page(page: Page, Query(params): Query<Params>) -> Response {
    page.answer(build(&page, params).await)
}

async fn build(ctx: &Page, params: Params) -> ApiResult<Response> {
    let (state, auth, t) = (&ctx.state, &ctx.auth, ctx.t());
    auth.require(Grant::MenuChats)?;
    let list = conversations::list(&state.db, &auth.scope, &params.filter(auth.staff_id()), None, 100).await?.items;
    let open = match params.c {
        None => None,
        Some(id) => {
            let found = tokio::try_join!(
                conversations::get(&state.db, &auth.scope, id),
                conversations::recent(&state.db, &auth.scope, id, params.before, 200)
            );
            match found {
                // Reading the chat (its notification, Meta's blue ticks) is the page script's
                // POST to /api/v1/conversations/{id}/read: a GET changes nothing.
                Ok((c, (messages, more))) => Some({
                    Open {
                        id: c.id,
                        window_open: window::is_open(c.last_inbound_at, now_ms()),
                        older_than: messages.first().map(|m| m.id).filter(|_| more),
                        bubbles: bubbles(t, &messages, c.group_id.is_some()),
                        responsible: c.responsible_staff_id,
                        status: c.status.shown(c.snoozed_until, now_ms()).to_string(),
                        unanswered: c.unanswered,
                        card: c.group_id.is_none().then(|| Card {
                            name: c.contact_name.clone().unwrap_or_default(),
                            phone: c.contact_phone.clone().unwrap_or_default(),
                            wa_id: c.contact_wa_id.clone().unwrap_or_default(),
                            responsible: c.responsible_name.clone().unwrap_or_default(),
                            number: c.number_display.clone(),
                            contact_id: c.contact_id,
                            fields: Vec::new(),
                            notes: Vec::new(),
                        }),
                        name: title(t, &c),
                        phone: match &c.group_id {
                            Some(_) => t.get("chats.group").to_string(),
                            None => c.contact_phone.unwrap_or_default(),
                        },
                    }
                }),
                Err(e) => return Err(e.into()),
            }
        }
    };
    let mut open = open;
    if let Some(card) = open.as_mut().and_then(|o| o.card.as_mut())
        && let Some(contact_id) = card.contact_id.take()
    {
        card.enrich(state, auth, contact_id).await;
    }
    let chats = list
        .into_iter()
        .map(|c| ChatItem {
            active: Some(c.id) == params.c,
            at: c.last_message_at.map(rfc3339).unwrap_or_default(),
            id: c.id,
            name: title(t, &c),
            group: c.group_id.is_some(),
            preview: c.last_message_text,
            unanswered: c.unanswered,
            unread: c.unread,
        })
        .collect();
    let templates = match rapport_storage::templates::list(&state.db, auth.scope.company_id()).await {
        Ok(all) => all
            .into_iter()
            .filter(|tpl| tpl.status == rapport_domain::template::APPROVED)
            .map(|tpl| TemplateChoice {
                label: format!(
                    "{} ({}) · {} {}",
                    tpl.name,
                    tpl.language,
                    tpl.parameter_count,
                    t.get("chats.parameters")
                ),
                value: format!("{}|{}", tpl.name, tpl.language),
            })
            .collect(),
        Err(e) => return Err(e.into()),
    };
    let may_assign = auth.session.role().is_none_or(|r| r.may_assign());
    let assignees = if may_assign && open.is_some() {
        let everyone = rapport_storage::staff::StaffFilter {
            status: Some(rapport_domain::status::StaffStatus::Enabled),
            ..rapport_storage::staff::StaffFilter::default()
        };
        match rapport_storage::staff::list(&state.db, &auth.scope, &everyone, None, 200).await {
            Ok(page) => page.items.into_iter().map(|s| Assignee { id: s.id, name: s.name }).collect(),
            Err(e) => return Err(e.into()),
        }
    } else {
        Vec::new()
    };
    let views = match rapport_storage::views::list(&state.db, auth.staff_id()).await {
        Ok(all) => all
            .into_iter()
            .map(|v| {
                let view = crate::api::views::SavedViewView::from(v);
                let active = view.href.trim_start_matches("/chats?") == params.query().trim_start_matches('&');
                ViewLink { id: view.id, name: view.name, href: view.href, active }
            })
            .collect(),
        Err(e) => return Err(e.into()),
    };
    let chat_numbers = chat_numbers(state, &auth.scope).await?;
    let texts = match rapport_storage::texts::list(&state.db, &auth.scope, None, None, 200).await {
        Ok(page) => page.items.into_iter().map(|t| (t.id, t.name)).collect(),
        Err(e) => return Err(e.into()),
    };
    Ok(render(&ChatsPage {
        views,
        chat_numbers,
        texts,
        shell: ctx.shell("/chats"),
        t,
        chats,
        open,
        templates,
        keep: params.query(),
        params,
        assignees,
        may_write: auth.may_write(),
    }))
}

async fn chat_numbers(state: &AppState, scope: &rapport_storage::Scope) -> Result<Vec<ChatNumberOption>, ApiError> {
    let numbers = rapport_storage::write_first::choices(&state.db, scope).await?;
    Ok(numbers
        .into_iter()
        .map(|(n, first)| ChatNumberOption {
            first,
            label: format!("{} {}", n.display_phone_number, n.verified_name).trim().to_string(),
            id: n.id,
        })
        .collect())
}

/// What a chat is called: the customer's name, or the group's name (its id until it has one).
fn title(t: &Catalog, c: &ConversationRow) -> String {
    match (&c.group_id, &c.group_name) {
        (_, Some(name)) => name.clone(),
        (Some(id), None) => format!("{} {id}", t.get("chats.group")),
        (None, None) => c.contact_name.clone().unwrap_or_default(),
    }
}

/// Reactions shown on the message they react to, as on a phone: the latest emoji per person
/// (an empty one takes a reaction back).
fn reactions_by_target(messages: &[MessageRow]) -> HashMap<&str, Vec<(String, String)>> {
    let mut by_target: HashMap<&str, Vec<(String, String)>> = HashMap::new();
    for m in messages.iter().filter(|m| m.kind == "reaction") {
        let Some(target) = m.target_wamid.as_deref() else { continue };
        let who = format!("{}:{}", m.direction, m.sender_name.as_deref().unwrap_or_default());
        let emoji = m.text.clone().unwrap_or_default();
        let list = by_target.entry(target).or_default();
        list.retain(|(w, _)| *w != who);
        if !emoji.is_empty() {
            list.push((who, emoji));
        }
    }
    by_target
}

fn bubbles(t: &Catalog, messages: &[MessageRow], group: bool) -> Vec<Bubble> {
    let reactions = reactions_by_target(messages);
    let shown_here = |target: &Option<String>| target.as_deref().is_some_and(|t| messages.iter().any(|m| m.wamid == t));
    messages
        .iter()
        .filter(|m| m.kind != "reaction" || !shown_here(&m.target_wamid))
        .map(|m| {
            let raw: Value = serde_json::from_str(&m.raw_json).unwrap_or(Value::Null);
            let text = m.text.clone().unwrap_or_default();
            let (badge, body) = match m.kind.as_str() {
                "text" | "template" => (String::new(), text),
                "image" | "video" | "audio" | "sticker" | "document" => {
                    let icon = match m.kind.as_str() {
                        "image" => "🖼",
                        "video" => "🎬",
                        "audio" => "🎧",
                        "sticker" => "🏷",
                        _ => "📄",
                    };
                    let name = m.media_filename.clone().or_else(|| m.media_mime_type.clone()).unwrap_or_default();
                    (format!("{icon} {} {name}", t.get("chats.media")), text)
                }
                "location" => {
                    let loc = &raw["location"];
                    let coords = format!("{}, {}", loc["latitude"], loc["longitude"]);
                    ("📍".to_string(), if text.is_empty() { coords } else { format!("{text} ({coords})") })
                }
                "contacts" => ("👤".to_string(), text),
                "reaction" => {
                    (String::new(), format!("{} {}", t.get("chats.reacted"), if text.is_empty() { "∅" } else { &text }))
                }
                "revoke" => (String::new(), t.get("chats.deleted").to_string()),
                "note" => (format!("🔒 {}", t.get("chats.note")), text),
                "edit" => (format!("✎ {}", t.get("chats.edited")), text),
                other => (format!("[{other}]"), text),
            };
            let quote = m
                .reply_to
                .as_ref()
                .and_then(|id| messages.iter().find(|q| &q.wamid == id))
                .and_then(|q| q.text.clone())
                .unwrap_or_default();
            let ticks = match (m.direction, m.status.as_deref()) {
                (Direction::Out, Some("queued")) => "⏳",
                (Direction::Out, Some("sent")) => "✓",
                (Direction::Out, Some("delivered" | "read" | "played")) => "✓✓",
                (Direction::Out, Some("failed")) => "⚠",
                _ => "",
            };
            let real_wamid = !m.wamid.starts_with(rapport_storage::outbox::PLACEHOLDER_PREFIX)
                && m.direction != Direction::Note
                && !matches!(m.kind.as_str(), "reaction" | "revoke");
            Bubble {
                id: m.id,
                wamid: if real_wamid { m.wamid.clone() } else { String::new() },
                reactions: reactions
                    .get(m.wamid.as_str())
                    .map(|list| list.iter().map(|(_, e)| e.as_str()).collect::<Vec<_>>().join(" "))
                    .unwrap_or_default(),
                note: m.direction == Direction::Note,
                author: match (m.auto_reply_id, m.answers_message_id) {
                    (Some(rule), _) => format!("🤖 {} #{rule}", t.get("chats.auto_reply")),
                    (None, Some(_)) => format!("🤖 {}", t.get("chats.greeting")),
                    (None, None) => m.author_name.clone().unwrap_or_default(),
                },
                sender: if group { m.sender_name.clone().unwrap_or_default() } else { String::new() },
                media_url: m
                    .media_path
                    .as_ref()
                    .map(|_| format!("/api/v1/messages/{}/media", m.id))
                    .unwrap_or_default(),
                is_image: matches!(m.kind.as_str(), "image" | "sticker"),
                filename: m.media_filename.clone().unwrap_or_else(|| t.get("chats.media").to_string()),
                outbound: m.direction == Direction::Out,
                badge,
                body,
                quote,
                at: rfc3339(m.sent_at),
                ticks,
                read: matches!(m.status.as_deref(), Some("read" | "played")),
                error: match (&m.error_code, &m.error_title, &m.media_error) {
                    (Some(code), title, _) => format!("{} ({code})", title.clone().unwrap_or_default()),
                    (None, Some(title), _) => title.clone(),
                    (None, None, Some(media)) => media.clone(),
                    _ => String::new(),
                },
            }
        })
        .collect()
}
