//! Messages as Rapport keeps them, whatever channel they came from: who wrote, what kind,
//! the readable text, media and references, and delivery states that only move forward.

use serde_json::Value;

/// A customer as `value.contacts[]` names them. Some users have no phone number, only a
/// business-scoped user id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    pub wa_id: Option<String>,
    pub user_id: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub wamid: String,
    /// The customer's WhatsApp id (for echoes: the recipient).
    pub wa_id: Option<String>,
    /// The customer's business-scoped user id, when Meta sends one.
    pub user_id: Option<String>,
    /// Set when the message was written in (or, for an echo, to) a group chat: the group's id.
    /// `wa_id` and `user_id` then name the participant who wrote it.
    pub group_id: Option<String>,
    /// Seconds since the Unix epoch.
    pub timestamp: i64,
    /// Meta's `type` as sent (`text`, `image`, `reaction`, `revoke` ...; `unknown` when absent).
    pub kind: String,
    /// A readable text for the message: the body, a caption, a button title, a location's
    /// name ... (searched and shown in lists).
    pub text: Option<String>,
    pub media: Option<Media>,
    /// The message this one replies to (`context.id`).
    pub reply_to: Option<String>,
    /// For reactions, edits and deletions: the message they act on.
    pub target: Option<String>,
    /// The original JSON object, kept whole.
    pub raw: Value,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Media {
    pub id: Option<String>,
    pub mime_type: Option<String>,
    pub sha256: Option<String>,
    pub filename: Option<String>,
}

/// A delivery state report for a message we sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub wamid: String,
    pub status: DeliveryStatus,
    pub timestamp: i64,
    pub recipient_id: Option<String>,
    pub error_code: Option<i64>,
    pub error_title: Option<String>,
    /// `biz_opaque_callback_data` as we sent it with the message: lets a report name a message
    /// whose send answer never reached us.
    pub callback: Option<String>,
    pub raw: Value,
}

/// Delivery states in the order they can only move forward; `failed` is final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryStatus {
    Sent,
    Delivered,
    Read,
    Played,
    Failed,
    /// A state this code does not know; recorded, never applied.
    Other(String),
}

impl DeliveryStatus {
    pub fn parse(name: &str) -> DeliveryStatus {
        match name {
            "sent" => DeliveryStatus::Sent,
            "delivered" => DeliveryStatus::Delivered,
            "read" => DeliveryStatus::Read,
            "played" => DeliveryStatus::Played,
            "failed" => DeliveryStatus::Failed,
            other => DeliveryStatus::Other(other.to_string()),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Read => "read",
            DeliveryStatus::Played => "played",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Other(name) => name,
        }
    }

    /// A status replaces the stored one only when its rank is higher, so reports arriving
    /// out of order never move a message backwards (a late `delivered` never undoes `read`).
    pub fn rank(&self) -> i64 {
        match self {
            DeliveryStatus::Other(_) => 0,
            DeliveryStatus::Sent => 1,
            DeliveryStatus::Delivered => 2,
            DeliveryStatus::Read => 3,
            DeliveryStatus::Played => 4,
            DeliveryStatus::Failed => 5,
        }
    }
}
