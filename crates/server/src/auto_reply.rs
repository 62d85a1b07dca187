//! Answers customers by the company's auto reply rules (AUTO-3). After a webhook batch is
//! durable, each new customer text is matched against the company's compiled rules (rebuilt
//! whenever the rules version moved, so an edit applies to the very next message on every
//! instance); the first matching rule, if its cool-down for this customer has passed, sends all
//! its reply contents in order through the outbound queue, marked as automatic and naming the
//! rule and the message it answers.

use crate::live::{EventKind, Live};
use crate::outbox::Outbox;
use rapport_channels::whatsapp::graph::{Outbound, PendingUpload, Recipient};
use rapport_domain::auto_reply::{Incoming, Matcher, Pattern, Reply, Rule, Scope};
use rapport_domain::template::check_parameters;
use rapport_storage::auto_replies::{self, AutoReply};
use rapport_storage::conversations::{self, ConversationRow};
use rapport_storage::inbound::CustomerText;
use rapport_storage::outbox::{Automatic, NewSend};
use rapport_storage::{Db, now_ms, templates, uploads};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A company's compiled rules, with the version they were built from and the stored rows.
struct Compiled {
    version: i64,
    matcher: Matcher,
    rows: HashMap<i64, AutoReply>,
}

#[derive(Clone)]
pub struct AutoReplier {
    db: Db,
    outbox: Outbox,
    live: Live,
    compiled: Arc<Mutex<HashMap<i64, Arc<Compiled>>>>,
}

impl AutoReplier {
    pub fn new(db: Db, outbox: Outbox, live: Live) -> AutoReplier {
        AutoReplier { db, outbox, live, compiled: Arc::default() }
    }

    /// Answers each customer text of a batch whose rule says so (the rules are looked up once
    /// per company and batch).
    pub async fn answer(&self, texts: &[CustomerText]) {
        let mut companies: Vec<i64> = texts.iter().map(|t| t.company_id).collect();
        companies.sort_unstable();
        companies.dedup();
        for company_id in companies {
            let compiled = match self.rules(company_id).await {
                Ok(compiled) => compiled,
                Err(e) => {
                    tracing::warn!(error = %e, company = company_id, "could not load the auto reply rules");
                    continue;
                }
            };
            if compiled.matcher.is_empty() {
                continue;
            }
            for text in texts.iter().filter(|t| t.company_id == company_id) {
                if let Err(e) = self.answer_one(&compiled, text).await {
                    tracing::warn!(error = %e, message = text.message_id, "could not auto-reply");
                }
            }
        }
    }

    async fn answer_one(&self, compiled: &Compiled, text: &CustomerText) -> Result<(), rapport_storage::StorageError> {
        let chat = conversations::get_unscoped(&self.db, text.company_id, text.conversation_id).await?;
        let incoming = Incoming { text: &text.text, number_owner: chat.number_owner_staff_id, group: text.group };
        let Some(rule) = compiled.matcher.find(&incoming) else { return Ok(()) };
        let Some(row) = compiled.rows.get(&rule.id) else { return Ok(()) };
        let now = now_ms();
        if !auto_replies::claim_answer(&self.db, row.id, text.contact_id, now, row.cooldown_minutes * 60_000).await? {
            tracing::debug!(rule = row.id, contact = text.contact_id, "auto reply cooling down");
            return Ok(());
        }
        let replies: Vec<Reply> = serde_json::from_str(&row.replies_json).unwrap_or_default();
        tracing::info!(rule = row.id, conversation = chat.id, answers = text.message_id, "auto reply");
        for reply in &replies {
            let Some((outbound, shown)) = self.outbound(text.company_id, &chat, reply).await? else { continue };
            let recipient = match (&chat.group_id, &chat.contact_wa_id) {
                (Some(group), _) => Recipient::Group(group),
                (None, Some(wa_id)) => Recipient::Individual(wa_id),
                (None, None) => return Ok(()),
            };
            let payload = outbound.to_json(recipient, None);
            let send = NewSend {
                company_id: text.company_id,
                conversation_id: chat.id,
                number_id: chat.number_id,
                kind: outbound.kind(),
                text: Some(&shown),
                reply_to: None,
                payload: &payload,
                staff_id: None,
                only_if_mine: false,
                automatic: Some(Automatic { rule_id: row.id, answers_message_id: text.message_id }),
            };
            rapport_storage::outbox::enqueue(&self.db, send).await?;
        }
        self.outbox.queued();
        self.live.changed(&self.db, text.company_id, &[(chat.id, EventKind::Message)]).await;
        Ok(())
    }

    /// What one reply content sends; `None` (and a warning) when it cannot be sent any more,
    /// as a template not approved in this number's account or a removed file.
    async fn outbound(
        &self,
        company_id: i64,
        chat: &ConversationRow,
        reply: &Reply,
    ) -> Result<Option<(Outbound, String)>, rapport_storage::StorageError> {
        Ok(match reply {
            Reply::Text { text } => Some((Outbound::Text { body: text.clone() }, text.clone())),
            Reply::Template { name, language, parameters } => {
                let known = templates::find(&self.db, company_id, &chat.number_waba_id, name, language).await?;
                match known {
                    Some(t)
                        if t.status == "approved"
                            && check_parameters(t.parameter_count as usize, parameters).is_ok() =>
                    {
                        let shown = format!("[{name}] {}", parameters.join(" · "));
                        let outbound = Outbound::Template {
                            name: name.clone(),
                            language: language.clone(),
                            parameters: parameters.clone(),
                        };
                        Some((outbound, shown))
                    }
                    _ => {
                        tracing::warn!(template = %name, language = %language, "auto reply template not sendable on this number");
                        None
                    }
                }
            }
            Reply::Image { upload_id, caption }
            | Reply::Video { upload_id, caption }
            | Reply::Document { upload_id, caption } => {
                self.media(company_id, reply, *upload_id, caption.clone()).await?
            }
            Reply::Audio { upload_id } => self.media(company_id, reply, *upload_id, None).await?,
        })
    }

    async fn media(
        &self,
        company_id: i64,
        reply: &Reply,
        upload_id: i64,
        caption: Option<String>,
    ) -> Result<Option<(Outbound, String)>, rapport_storage::StorageError> {
        let upload = match uploads::get(&self.db, company_id, None, upload_id).await {
            Ok(upload) => upload,
            Err(rapport_storage::StorageError::NotFound) => {
                tracing::warn!(upload = upload_id, "auto reply file is gone");
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let kind = match reply {
            Reply::Image { .. } => "image",
            Reply::Video { .. } => "video",
            Reply::Audio { .. } => "audio",
            _ => "document",
        };
        let shown = caption.clone().unwrap_or_else(|| upload.filename.clone());
        let upload = PendingUpload { path: upload.path, mime_type: upload.mime_type, filename: upload.filename };
        Ok(Some((Outbound::Media { kind: kind.into(), upload, caption }, shown)))
    }

    /// The company's compiled rules, rebuilt when they changed since the last build.
    async fn rules(&self, company_id: i64) -> Result<Arc<Compiled>, rapport_storage::StorageError> {
        let version = auto_replies::version(&self.db, company_id).await?;
        let cached = self.compiled.lock().ok().and_then(|c| c.get(&company_id).cloned());
        if let Some(compiled) = cached.filter(|c| c.version == version) {
            return Ok(compiled);
        }
        let rows = auto_replies::active(&self.db, company_id).await?;
        let compiled = Arc::new(Compiled {
            version,
            matcher: Matcher::new(rows.iter().filter_map(rule).collect()),
            rows: rows.into_iter().map(|r| (r.id, r)).collect(),
        });
        if let Ok(mut cache) = self.compiled.lock() {
            cache.insert(company_id, compiled.clone());
        }
        Ok(compiled)
    }
}

/// A stored rule as the matcher takes it (a row with an unknown pattern is skipped).
pub fn rule(row: &AutoReply) -> Option<Rule> {
    Some(Rule {
        id: row.id,
        scope: match row.owner_staff_id {
            Some(owner_staff_id) if row.scope == auto_replies::SCOPE_PRIVATE => Scope::Private { owner_staff_id },
            _ => Scope::Public,
        },
        pattern: Pattern::parse(&row.pattern)?,
        match_words: row.match_words.clone(),
        priority: row.priority,
        in_groups: row.in_groups,
    })
}
