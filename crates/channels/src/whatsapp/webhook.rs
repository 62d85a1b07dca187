//! Webhook envelopes (`{"object":"whatsapp_business_account","entry":[{"changes":[...]}]}`)
//! read into typed events. Reading never fails on shape: a kind or field this code does not
//! know is carried as raw JSON, so a new kind from Meta is stored, never dropped.

use rapport_domain::message::{Contact, DeliveryStatus, Media, Message, Status};
use serde_json::Value;

/// Everything one webhook delivery carries, change by change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Envelope {
    pub changes: Vec<Change>,
}

/// One `entry[].changes[]` item.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Change {
    /// The WhatsApp Business Account id (`entry[].id`).
    pub waba_id: Option<String>,
    /// `value.metadata.phone_number_id`: which of our numbers this is about.
    pub phone_number_id: Option<String>,
    /// `messages`, `smb_message_echoes`, `account_update`, `message_template_status_update` ...
    pub field: String,
    pub contacts: Vec<Contact>,
    /// Customer messages (`value.messages`).
    pub messages: Vec<Message>,
    /// Messages the business sent from another app (`value.message_echoes`).
    pub echoes: Vec<Message>,
    pub statuses: Vec<Status>,
    /// The whole `value` of a change that is neither messages nor statuses (account events,
    /// template status updates ...), kept for whoever handles that field.
    pub other: Option<Value>,
}

/// Why a body is not a webhook at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    #[error("the body is JSON but not an object")]
    NotAnObject,
}

/// Reads a webhook body. Only a body that is not a JSON object is an error.
pub fn parse(body: &[u8]) -> Result<Envelope, ParseError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| ParseError::NotJson(e.to_string()))?;
    if !value.is_object() {
        return Err(ParseError::NotAnObject);
    }
    Ok(read_envelope(&value))
}

fn read_envelope(value: &Value) -> Envelope {
    let mut changes = Vec::new();
    for entry in array(value, "entry") {
        let waba_id = string(entry, "id");
        for change in array(entry, "changes") {
            changes.push(read_change(waba_id.clone(), change));
        }
    }
    Envelope { changes }
}

fn read_change(waba_id: Option<String>, change: &Value) -> Change {
    let value = change.get("value").unwrap_or(&Value::Null);
    let contacts: Vec<Contact> = array(value, "contacts").map(read_contact).collect();
    let messages: Vec<Message> = array(value, "messages").filter_map(|m| read_message(m, &contacts, false)).collect();
    let echoes: Vec<Message> =
        array(value, "message_echoes").filter_map(|m| read_message(m, &contacts, true)).collect();
    let statuses: Vec<Status> = array(value, "statuses").filter_map(read_status).collect();
    let carries_messages =
        value.get("messages").is_some() || value.get("message_echoes").is_some() || value.get("statuses").is_some();
    Change {
        waba_id,
        phone_number_id: value.get("metadata").and_then(|m| string(m, "phone_number_id")),
        field: string(change, "field").unwrap_or_default(),
        contacts,
        messages,
        echoes,
        statuses,
        other: (!carries_messages).then(|| value.clone()),
    }
}

fn read_contact(contact: &Value) -> Contact {
    Contact {
        wa_id: string(contact, "wa_id"),
        user_id: string(contact, "user_id"),
        name: contact.get("profile").and_then(|p| string(p, "name").or_else(|| string(p, "username"))),
    }
}

/// A message object; `None` only when it has no id (nothing could ever refer to it).
fn read_message(m: &Value, contacts: &[Contact], echo: bool) -> Option<Message> {
    let wamid = string(m, "id")?;
    let kind = string(m, "type").unwrap_or_else(|| "unknown".into());
    let (wa_id, user_id) =
        if echo { (string(m, "to"), string(m, "to_user_id")) } else { (string(m, "from"), string(m, "from_user_id")) };
    // The sender's user id may only be given in `contacts` (matched by wa_id, or the only one).
    let listed = contacts.iter().find(|c| c.wa_id.is_some() && c.wa_id == wa_id).or(match contacts {
        [only] => Some(only),
        _ => None,
    });
    let user_id = user_id.or_else(|| listed.and_then(|c| c.user_id.clone()));
    let body = m.get(kind.as_str()).unwrap_or(&Value::Null);
    let media = ["image", "video", "audio", "document", "sticker"].contains(&kind.as_str()).then(|| Media {
        id: string(body, "id"),
        mime_type: string(body, "mime_type"),
        sha256: string(body, "sha256"),
        filename: string(body, "filename"),
    });
    let target = match kind.as_str() {
        "reaction" => string(body, "message_id"),
        "edit" => string(body, "original_message_id").or_else(|| body.get("message").and_then(|x| string(x, "id"))),
        "revoke" => string(body, "original_message_id"),
        _ => None,
    };
    Some(Message {
        wamid,
        wa_id,
        user_id,
        group_id: string(m, "group_id"),
        timestamp: timestamp(m),
        text: readable_text(&kind, body),
        media,
        reply_to: m.get("context").and_then(|c| string(c, "id")),
        target,
        kind,
        raw: m.clone(),
    })
}

/// The words a person would read for this message, per kind.
fn readable_text(kind: &str, body: &Value) -> Option<String> {
    let text: Option<String> = match kind {
        "text" => string(body, "body"),
        "image" | "video" | "document" | "audio" | "sticker" => {
            string(body, "caption").or_else(|| string(body, "filename"))
        }
        "reaction" => string(body, "emoji"),
        "button" => string(body, "text"),
        "interactive" => ["button_reply", "list_reply", "nfm_reply"]
            .iter()
            .find_map(|k| body.get(*k))
            .and_then(|reply| string(reply, "title").or_else(|| string(reply, "body"))),
        "location" => {
            let parts: Vec<String> = ["name", "address"].iter().filter_map(|k| string(body, k)).collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }
        "contacts" => {
            let names: Vec<String> = body
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c.get("name").and_then(|n| string(n, "formatted_name")))
                .collect();
            (!names.is_empty()).then(|| names.join(", "))
        }
        "order" => string(body, "text"),
        "system" => string(body, "body"),
        "edit" => body.get("message").and_then(|inner| {
            let inner_kind = string(inner, "type").unwrap_or_default();
            readable_text(&inner_kind, inner.get(inner_kind.as_str()).unwrap_or(&Value::Null))
        }),
        _ => None,
    };
    text.filter(|t| !t.is_empty())
}

fn read_status(s: &Value) -> Option<Status> {
    let error = array(s, "errors").next();
    Some(Status {
        wamid: string(s, "id")?,
        status: DeliveryStatus::parse(&string(s, "status").unwrap_or_default()),
        timestamp: timestamp(s),
        recipient_id: string(s, "recipient_id"),
        error_code: error.and_then(|e| e.get("code")).and_then(Value::as_i64),
        error_title: error.and_then(|e| string(e, "title").or_else(|| string(e, "message"))),
        callback: string(s, "biz_opaque_callback_data"),
        raw: s.clone(),
    })
}

fn array<'a>(value: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    value.get(key).and_then(Value::as_array).into_iter().flatten()
}

/// A string field; numbers are accepted too (Meta sends some ids either way).
fn string(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Meta sends Unix seconds as a string.
fn timestamp(value: &Value) -> i64 {
    string(value, "timestamp").and_then(|t| t.parse().ok()).unwrap_or_default()
}
