//! The JSON shapes the API answers with (and the OpenAPI schemas describing them).

use rapport_storage::audit::AuditRow;
use rapport_storage::departments::Department;
use rapport_storage::staff::StaffMember;
use serde::Serialize;
use utoipa::ToSchema;

pub use rapport_app::rfc3339;

/// A page of a list; pass `next_cursor` back as `cursor` for the next page.
#[derive(Serialize, ToSchema)]
pub struct List<T: ToSchema> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> List<T> {
    pub fn new(items: Vec<T>, next_cursor: Option<i64>) -> Self {
        List { items, next_cursor: next_cursor.map(|c| c.to_string()) }
    }
}

#[derive(Serialize, ToSchema)]
pub struct StaffView {
    pub id: i64,
    /// Login id; never changes after creation.
    pub account: String,
    pub name: String,
    pub nickname: String,
    pub notes: String,
    pub memo: String,
    pub department_id: i64,
    pub department_name: String,
    /// `enabled` or `disabled`.
    pub status: String,
    /// `quality_control`, `sales_rep`, `manager` or null.
    pub role: Option<String>,
    pub grants: Vec<String>,
    pub creator_id: Option<i64>,
    pub creator_name: Option<String>,
    pub created_at: String,
    /// Where the avatar image is served, when there is one.
    pub avatar_url: Option<String>,
    /// The number this person writes to customers first from (DIST-4).
    pub first_number_id: Option<i64>,
}

impl From<StaffMember> for StaffView {
    fn from(s: StaffMember) -> Self {
        StaffView {
            grants: s.grants().names().into_iter().map(String::from).collect(),
            avatar_url: s.avatar_updated_at.map(|t| format!("/api/v1/staff/{}/avatar?v={t}", s.id)),
            created_at: rfc3339(s.created_at),
            id: s.id,
            account: s.account,
            name: s.name,
            nickname: s.nickname,
            notes: s.notes,
            memo: s.memo,
            department_id: s.department_id,
            department_name: s.department_name,
            status: s.status.to_string(),
            role: s.role,
            creator_id: s.creator_id,
            creator_name: s.creator_name,
            first_number_id: s.first_number_id,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentView {
    pub id: i64,
    pub name: String,
    pub introduction: String,
    /// Null only for the company's top-level department.
    pub parent_id: Option<i64>,
    /// Depth below the top-level department (which is 0).
    pub depth: usize,
    pub staff_count: i64,
    pub child_count: i64,
    /// What new staff of this department receive.
    pub default_grants: Vec<String>,
    pub created_at: String,
}

impl From<Department> for DepartmentView {
    fn from(d: Department) -> Self {
        DepartmentView {
            default_grants: d.default_grants().names().into_iter().map(String::from).collect(),
            depth: d.depth(),
            created_at: rfc3339(d.created_at),
            id: d.id,
            name: d.name,
            introduction: d.introduction,
            parent_id: d.parent_id,
            staff_count: d.staff_count,
            child_count: d.child_count,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct GrantsView {
    pub grants: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginView {
    pub staff: StaffView,
    /// Send this as `X-CSRF-Token` with every state-changing call made with the session cookie.
    pub csrf_token: String,
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntryView {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<i64>,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub source: String,
    pub at: String,
}

impl From<AuditRow> for AuditEntryView {
    fn from(r: AuditRow) -> Self {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        AuditEntryView {
            id: r.id,
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            before: parse(r.before_json),
            after: parse(r.after_json),
            source: r.source,
            at: rfc3339(r.at),
        }
    }
}

/// A connected WhatsApp number; its secrets are never shown.
#[derive(Serialize, ToSchema)]
pub struct NumberView {
    pub id: i64,
    pub phone_number_id: String,
    pub waba_id: String,
    pub display_phone_number: String,
    pub verified_name: String,
    pub department_id: i64,
    pub department_name: String,
    pub owner_staff_id: Option<i64>,
    pub owner_name: Option<String>,
    /// `connected` or `disconnected`.
    pub status: String,
    pub last_activity_at: Option<String>,
    pub created_at: String,
    /// Which incoming chats are kept: `all`, `existing_contacts` or `all_except`.
    pub sync_filter: String,
    /// With `all_except`: the numbers left out.
    pub sync_except: Vec<String>,
}

impl From<rapport_storage::numbers::Number> for NumberView {
    fn from(n: rapport_storage::numbers::Number) -> Self {
        let sync = n.sync();
        NumberView {
            sync_filter: sync.mode().to_string(),
            sync_except: sync.except().to_vec(),
            last_activity_at: n.last_activity_at.map(rfc3339),
            created_at: rfc3339(n.created_at),
            id: n.id,
            phone_number_id: n.phone_number_id,
            waba_id: n.waba_id,
            display_phone_number: n.display_phone_number,
            verified_name: n.verified_name,
            department_id: n.department_id,
            department_name: n.department_name,
            owner_staff_id: n.owner_staff_id,
            owner_name: n.owner_name,
            status: n.status.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ContactRef {
    pub id: i64,
    pub name: String,
    pub phone: String,
    pub wa_id: Option<String>,
}

/// A WhatsApp group chat the number takes part in.
#[derive(Serialize, ToSchema)]
pub struct GroupRef {
    /// WhatsApp's group id.
    pub id: String,
    pub name: Option<String>,
    /// Who wrote in the group, by name (in `GET /api/v1/conversations/{id}`; lists leave it out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participants: Option<Vec<ParticipantView>>,
}

#[derive(Serialize, ToSchema)]
pub struct ParticipantView {
    pub wa_id: Option<String>,
    pub name: String,
}

impl From<rapport_storage::conversations::Participant> for ParticipantView {
    fn from(p: rapport_storage::conversations::Participant) -> Self {
        ParticipantView { wa_id: p.wa_id, name: p.name }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ConversationView {
    pub id: i64,
    /// `direct` (one customer) or `group`.
    #[schema(value_type = String, example = "direct")]
    pub kind: &'static str,
    /// The customer of a direct chat.
    pub contact: Option<ContactRef>,
    /// The group of a group chat.
    pub group: Option<GroupRef>,
    pub number_id: i64,
    pub responsible_staff_id: Option<i64>,
    /// True from a customer message until someone replies.
    pub unanswered: bool,
    /// Messages the caller was told of (as responsible, offered or managing) and has not read.
    pub unread: i64,
    /// Whether free-form replies are allowed (within 24 h of the customer's last message).
    pub window_open: bool,
    pub last_message_at: Option<String>,
    pub last_message_text: String,
    /// `open`, `snoozed` or `resolved`.
    pub status: String,
    /// While snoozed: when the chat comes back.
    pub snoozed_until: Option<String>,
}

impl ConversationView {
    pub fn new(c: rapport_storage::conversations::ConversationRow, now: i64) -> Self {
        ConversationView {
            window_open: rapport_domain::window::is_open(c.last_inbound_at, now),
            unread: c.unread,
            kind: if c.group_id.is_some() { "group" } else { "direct" },
            contact: c.contact_id.map(|id| ContactRef {
                id,
                name: c.contact_name.unwrap_or_default(),
                phone: c.contact_phone.unwrap_or_default(),
                wa_id: c.contact_wa_id,
            }),
            group: c.group_id.map(|id| GroupRef { id, name: c.group_name, participants: None }),
            last_message_at: c.last_message_at.map(rfc3339),
            status: c.status.shown(c.snoozed_until, now).to_string(),
            snoozed_until: c.snoozed_until.filter(|until| *until > now).map(rfc3339),
            id: c.id,
            number_id: c.number_id,
            responsible_staff_id: c.responsible_staff_id,
            unanswered: c.unanswered,
            last_message_text: c.last_message_text,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MessageView {
    pub id: i64,
    pub wamid: String,
    /// `in` (from the customer), `out`, or `note` (internal, never sent to the customer).
    pub direction: String,
    /// Who wrote a customer message (in group chats, the participant).
    pub sender_name: Option<String>,
    /// The staff member who wrote an outbound message or note.
    pub author_name: Option<String>,
    /// Meta's message type: `text`, `image`, `reaction`, `revoke`, ...
    #[serde(rename = "type")]
    pub kind: String,
    pub text: Option<String>,
    pub media_id: Option<String>,
    pub media_mime_type: Option<String>,
    pub media_filename: Option<String>,
    /// Where the stored media file is served, once downloaded.
    pub media_url: Option<String>,
    /// Why the media could not be downloaded, if so.
    pub media_error: Option<String>,
    /// The wamid this message replies to.
    pub reply_to: Option<String>,
    /// For reactions, edits and deletions: the wamid acted on.
    pub target_wamid: Option<String>,
    /// Delivery state of an outbound message: `sent`, `delivered`, `read`, `played`, `failed`.
    pub status: Option<String>,
    pub error_code: Option<i64>,
    pub error_title: Option<String>,
    pub sent_at: String,
    /// The message exactly as the channel delivered it (`null` for internal notes).
    #[schema(value_type = Option<Object>)]
    pub raw: serde_json::Value,
    /// An automatic reply: the rule that sent it, and the customer message it answered.
    pub auto_reply_id: Option<i64>,
    pub answers_message_id: Option<i64>,
}

impl From<rapport_storage::conversations::MessageRow> for MessageView {
    fn from(m: rapport_storage::conversations::MessageRow) -> Self {
        MessageView {
            raw: serde_json::from_str(&m.raw_json).unwrap_or(serde_json::Value::Null),
            sent_at: rfc3339(m.sent_at),
            id: m.id,
            wamid: m.wamid,
            direction: m.direction.to_string(),
            sender_name: m.sender_name,
            author_name: m.author_name,
            kind: m.kind,
            text: m.text,
            media_id: m.media_id,
            media_mime_type: m.media_mime_type,
            media_filename: m.media_filename,
            media_url: m.media_path.as_ref().map(|_| format!("/api/v1/messages/{}/media", m.id)),
            media_error: m.media_error,
            reply_to: m.reply_to,
            target_wamid: m.target_wamid,
            status: m.status,
            error_code: m.error_code,
            error_title: m.error_title,
            auto_reply_id: m.auto_reply_id,
            answers_message_id: m.answers_message_id,
        }
    }
}
