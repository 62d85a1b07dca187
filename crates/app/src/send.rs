//! Sending a message to a customer (WA-3): the one path every sender takes — an agent from the
//! inbox, auto replies, welcome and away messages. It checks who may write and what may be
//! sent (connected number, a recipient, the 24-hour window, an approved template with its
//! parameters, an upload of the right kind), queues the message for the send workers, wakes
//! them and tells the open inboxes.

use crate::live::EventKind;
use crate::{App, Error, Result};
use rapport_channels::whatsapp::graph::{Outbound, PendingUpload, Recipient};
use rapport_domain::status::NumberStatus;
use rapport_domain::template::{ParameterRefusal, check_parameters};
use rapport_domain::values::multiline_text;
use rapport_domain::{Role, role, window};
use rapport_storage::conversations::{self, ConversationRow};
use rapport_storage::outbox::{self, Automatic, NewSend};
use rapport_storage::{StorageError, templates, uploads};

/// Longest text WhatsApp accepts in one message.
pub const TEXT_MAX: usize = 4096;
/// Longest caption of an attachment.
pub const CAPTION_MAX: usize = 1024;

/// Who sends.
#[derive(Clone, Copy, Debug)]
pub enum Sender {
    /// A staff member from the inbox; their role decides whether they may write at all and
    /// whether the chat must be theirs.
    Staff { staff_id: i64, role: Option<Role> },
    /// An auto reply rule, a welcome or an away message, answering the customer message that
    /// just arrived (so the 24-hour window is open by definition).
    Automatic(Automatic),
}

/// What is sent. Texts, templates and reactions are checked here; the rest of a request's
/// shape (coordinates, one emoji) is the caller's to parse.
#[derive(Clone, Debug)]
pub enum Content {
    /// Text, a template, a location or a reaction, as Meta takes it.
    Message(Outbound),
    /// An uploaded file: `kind` is Meta's (`image`, `video`, `audio`, `document`, `sticker`).
    Media { kind: &'static str, upload_id: i64, caption: Option<String> },
}

/// One message to send into `chat`, quoting `reply_to` (a wamid) if given.
pub struct Message<'a> {
    pub chat: &'a ConversationRow,
    pub content: Content,
    pub reply_to: Option<String>,
    pub sender: Sender,
}

/// Refuses unless a staff member with `role` may write to customers (quality control never does).
pub fn require_writer(role: Option<Role>, what: &str) -> Result<()> {
    if role::may_write(role) {
        return Ok(());
    }
    Err(Error::Forbidden(format!("quality control reads conversations but never {what}")))
}

/// Queues the message and answers its id. Nothing is queued when a rule refuses it.
pub async fn send(app: &App, company_id: i64, message: Message<'_>) -> Result<i64> {
    let Message { chat, content, reply_to, sender } = message;
    if let Sender::Staff { role, .. } = sender {
        require_writer(role, "writes to customers")?;
    }
    if chat.number_status != NumberStatus::Connected {
        return Err(Error::Conflict {
            code: "number_disconnected",
            message: "this chat's WhatsApp number is disconnected; reconnect it to send".into(),
        });
    }
    let recipient = match (&chat.group_id, &chat.contact_wa_id) {
        (Some(group), _) => Recipient::Group(group),
        (None, Some(wa_id)) => Recipient::Individual(wa_id),
        (None, None) => return Err(rule("no_recipient", "this customer has no WhatsApp id to write to")),
    };
    let (outbound, shown) = outbound(app, company_id, chat, content, sender).await?;
    let payload = outbound.to_json(recipient, reply_to.as_deref());
    let (staff_id, only_if_mine, automatic) = match sender {
        Sender::Staff { staff_id, role } => (Some(staff_id), role.is_some_and(|r| !r.sees_whole_scope()), None),
        Sender::Automatic(automatic) => (None, false, Some(automatic)),
    };
    let send = NewSend {
        company_id,
        conversation_id: chat.id,
        number_id: chat.number_id,
        kind: outbound.kind(),
        text: Some(&shown),
        reply_to: reply_to.as_deref(),
        payload: &payload,
        staff_id,
        only_if_mine,
        automatic,
    };
    let message_id = outbox::enqueue(&app.db, send).await?;
    app.outbox.queued();
    // A staff reply may have claimed an unclaimed chat: those it was offered to must see it go.
    let offered = match (staff_id, chat.responsible_staff_id) {
        (Some(_), None) => conversations::facts(&app.db, company_id, &[chat.id])
            .await?
            .into_iter()
            .flat_map(|(_, facts)| facts.offered_to)
            .collect(),
        _ => Vec::new(),
    };
    app.settings.live.changed_for(&app.db, company_id, &[(chat.id, EventKind::Message)], &offered).await;
    Ok(message_id)
}

/// Meta's message for `content`, and what the chat shows for it.
async fn outbound(
    app: &App,
    company_id: i64,
    chat: &ConversationRow,
    content: Content,
    sender: Sender,
) -> Result<(Outbound, String)> {
    // Free-form messages need the customer to have written in the last 24 hours (WA-4).
    let is_template = matches!(content, Content::Message(Outbound::Template { .. }));
    let window_needed = !is_template && matches!(sender, Sender::Staff { .. });
    if window_needed && !window::is_open(chat.last_inbound_at, app.settings.clock.now_ms()) {
        return Err(rule(
            "window_closed",
            "the 24-hour customer service window is closed: the customer has not written in the last 24 hours, \
             so only an approved template can be sent",
        ));
    }
    let outbound = match content {
        Content::Message(outbound) => outbound,
        Content::Media { kind, upload_id, caption } => {
            let staff_id = match sender {
                Sender::Staff { staff_id, .. } => Some(staff_id),
                Sender::Automatic(_) => None,
            };
            return media(app, company_id, staff_id, kind, upload_id, caption).await;
        }
    };
    Ok(match outbound {
        Outbound::Text { body } => {
            let text = multiline_text("text", &body, TEXT_MAX)?;
            if text.is_empty() {
                return Err(rapport_domain::Invalid::new("text", "is required").into());
            }
            (Outbound::Text { body: text.clone() }, text)
        }
        Outbound::Template { name, language, parameters } => {
            template(app, company_id, chat, name, language, parameters).await?
        }
        Outbound::Location { latitude, longitude, name, address } => {
            let shown = [name.clone(), address.clone()].into_iter().flatten().collect::<Vec<_>>().join(", ");
            (Outbound::Location { latitude, longitude, name, address }, shown)
        }
        Outbound::Reaction { message_id, emoji } => {
            if !conversations::has_message(&app.db, company_id, chat.id, &message_id).await? {
                return Err(rapport_domain::Invalid::new("message_id", "is not a message of this conversation").into());
            }
            (Outbound::Reaction { message_id, emoji: emoji.clone() }, emoji)
        }
        Outbound::Media { .. } => {
            return Err(rapport_domain::Invalid::new("upload_id", "send a file as an upload").into());
        }
    })
}

/// A template send: it must be in the number's catalogue, approved, with every parameter.
async fn template(
    app: &App,
    company_id: i64,
    chat: &ConversationRow,
    name: String,
    language: String,
    parameters: Vec<String>,
) -> Result<(Outbound, String)> {
    let Some(known) = templates::find(&app.db, company_id, &chat.number_waba_id, &name, &language).await? else {
        return Err(rule("unknown_template", format!("there is no template `{name}` in {language} in the catalogue")));
    };
    if known.status != rapport_domain::template::APPROVED {
        let message = format!("the template `{name}` is {}, not approved, so it cannot be sent", known.status);
        return Err(rule("template_not_approved", message));
    }
    check_parameters(known.parameter_count as usize, &parameters).map_err(|refusal| {
        let message = match refusal {
            ParameterRefusal::Missing(n) => format!("parameter {n} of the template `{name}` is missing"),
            ParameterRefusal::TooMany { expected, given } => {
                format!("the template `{name}` takes {expected} parameters, not {given}")
            }
        };
        rule("missing_parameter", message)
    })?;
    let shown = format!("[{name}] {}", parameters.join(" · "));
    Ok((Outbound::Template { name, language, parameters }, shown))
}

/// An attachment: the upload must be the company's (a staff member's own, when one sends) and
/// of the kind asked for; the send worker uploads it to Meta first.
async fn media(
    app: &App,
    company_id: i64,
    staff_id: Option<i64>,
    kind: &'static str,
    upload_id: i64,
    caption: Option<String>,
) -> Result<(Outbound, String)> {
    let upload = match uploads::get(&app.db, company_id, staff_id, upload_id).await {
        Ok(upload) => upload,
        Err(StorageError::NotFound) => return Err(rapport_domain::Invalid::new("upload_id", "no such upload").into()),
        Err(e) => return Err(e.into()),
    };
    let actual = rapport_domain::attachment::kind_for(&upload.mime_type).map(|k| k.kind);
    if actual != Some(kind) {
        let message = format!("this upload is a {}, not a {kind}", actual.unwrap_or("file"));
        return Err(rapport_domain::Invalid::new("upload_id", message).into());
    }
    let caption = caption.as_deref().map(|c| multiline_text("caption", c, CAPTION_MAX)).transpose()?;
    let caption = caption.filter(|c| !c.is_empty());
    let shown = caption.clone().unwrap_or_else(|| upload.filename.clone());
    let upload = PendingUpload { path: upload.path, mime_type: upload.mime_type, filename: upload.filename };
    Ok((Outbound::Media { kind: kind.to_string(), upload, caption }, shown))
}

fn rule(code: &'static str, message: impl Into<String>) -> Error {
    Error::Rule { code, message: message.into() }
}
