//! Internal notes in a conversation (INBOX-2): written by staff for staff, kept in the chat's
//! history beside the messages, never sent to the customer.

use crate::Db;
use crate::error::Result;
use crate::inbound::{MessageRow, insert_row};
use crate::now_ms;
use rand::RngCore;
use rapport_domain::Refusal;
use rapport_domain::message::Message;
use rapport_domain::status::Direction;

/// Adds a note to a conversation (the caller has checked the writer sees it); answers its id.
pub async fn add(db: &Db, company_id: i64, conversation_id: i64, staff_id: i64, text: &str) -> Result<i64> {
    let now = now_ms();
    let mut token = [0u8; 12];
    rand::rng().fill_bytes(&mut token);
    let message = Message {
        wamid: format!("note:{}", token.iter().map(|b| format!("{b:02x}")).collect::<String>()),
        wa_id: None,
        user_id: None,
        group_id: None,
        timestamp: now / 1000,
        kind: Direction::Note.as_str().into(),
        text: Some(text.into()),
        media: None,
        reply_to: None,
        target: None,
        raw: serde_json::Value::Null,
    };
    let tx = db.begin().await?;
    let row = MessageRow {
        company_id,
        conversation: conversation_id,
        sender: None,
        staff_id: Some(staff_id),
        message: &message,
        direction: Direction::Note,
        status: None,
        rank: 0,
        sent_at: now,
        now,
    };
    let id = insert_row(&tx, row).await?.ok_or(crate::StorageError::Refused(Refusal::DuplicateMessage))?;
    tx.commit().await?;
    Ok(id)
}
