//! Answers customers by the company's auto reply rules (AUTO-3). After a webhook batch is
//! durable, each new customer text is matched against the company's compiled rules (rebuilt
//! whenever the rules version moved, so an edit applies to the very next message on every
//! instance); the first matching rule, if its cool-down for this customer has passed, sends all
//! its reply contents in order through the outbound queue, marked as automatic and naming the
//! rule and the message it answers.

use crate::Clock;
use crate::live::{EventKind, Live};
use crate::outbox::Outbox;
use rapport_channels::whatsapp::graph::{Outbound, PendingUpload, Recipient};
use rapport_domain::auto_reply::{Incoming, Matcher, Pattern, Reply, Rule, Scope};
use rapport_domain::template::check_parameters;
use rapport_storage::auto_replies::{self, AutoReply};
use rapport_storage::conversations::{self, ConversationRow};
use rapport_storage::greetings::{self, Greetings};
use rapport_storage::inbound::CustomerMessage;
use rapport_storage::outbox::{Automatic, NewSend};
use rapport_storage::{Db, templates, uploads};
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
    clock: Clock,
    compiled: Arc<Mutex<HashMap<i64, Arc<Compiled>>>>,
}

impl AutoReplier {
    pub fn new(db: Db, outbox: Outbox, live: Live, clock: Clock) -> AutoReplier {
        AutoReplier { db, outbox, live, clock, compiled: Arc::default() }
    }

    /// Greets and answers the customer messages of a batch: the welcome for a customer's
    /// first message ever, the away message outside working hours, and the first matching
    /// rule (rules are looked up once per company and batch).
    pub async fn answer(&self, messages: &[CustomerMessage]) {
        let mut companies: Vec<i64> = messages.iter().map(|m| m.company_id).collect();
        companies.sort_unstable();
        companies.dedup();
        let mut greetings: HashMap<i64, Greetings> = HashMap::new();
        for company_id in companies {
            let of_company = messages.iter().filter(|m| m.company_id == company_id);
            let compiled = match self.rules(company_id).await {
                Ok(compiled) => compiled,
                Err(e) => {
                    tracing::warn!(error = %e, company = company_id, "could not load the auto reply rules");
                    continue;
                }
            };
            for message in of_company {
                if let std::collections::hash_map::Entry::Vacant(slot) = greetings.entry(message.number_id) {
                    match greetings::get(&self.db, message.number_id).await {
                        Ok(g) => {
                            slot.insert(g);
                        }
                        Err(e) => tracing::warn!(error = %e, "could not load a number's greetings"),
                    }
                }
                let result = async {
                    if let Some(g) = greetings.get(&message.number_id) {
                        self.greet(g, message).await?;
                    }
                    if !compiled.matcher.is_empty() {
                        self.answer_one(&compiled, message).await?;
                    }
                    Ok::<_, rapport_storage::StorageError>(())
                };
                if let Err(e) = result.await {
                    tracing::warn!(error = %e, message = message.message_id, "could not auto-reply");
                }
            }
        }
    }

    /// The welcome and away messages (AUTO-4), each at most once per period per customer.
    async fn greet(&self, g: &Greetings, message: &CustomerMessage) -> Result<(), rapport_storage::StorageError> {
        if message.group || !(g.welcome_enabled || g.away_enabled) {
            return Ok(());
        }
        let now = self.clock.now_ms();
        let period = g.period_minutes * 60_000;
        let mut due = Vec::new();
        if g.welcome_enabled && message.new_contact {
            due.push(("welcome", &g.welcome_text));
        }
        if g.away_enabled && !open_at(g, now) {
            due.push(("away", &g.away_text));
        }
        for (kind, text) in due {
            if greetings::claim(&self.db, message.number_id, message.contact_id, kind, now, period).await? {
                let chat = conversations::get_unscoped(&self.db, message.company_id, message.conversation_id).await?;
                let automatic = Automatic { rule_id: None, answers_message_id: message.message_id };
                tracing::info!(kind, conversation = chat.id, "greeting");
                self.send(message.company_id, &chat, Outbound::Text { body: text.clone() }, text.clone(), automatic)
                    .await?;
            }
        }
        Ok(())
    }

    async fn answer_one(
        &self,
        compiled: &Compiled,
        message: &CustomerMessage,
    ) -> Result<(), rapport_storage::StorageError> {
        let Some(text) = &message.text else { return Ok(()) };
        let chat = conversations::get_unscoped(&self.db, message.company_id, message.conversation_id).await?;
        let incoming = Incoming { text, number_owner: chat.number_owner_staff_id, group: message.group };
        let Some(rule) = compiled.matcher.find(&incoming) else { return Ok(()) };
        let Some(row) = compiled.rows.get(&rule.id) else { return Ok(()) };
        let now = self.clock.now_ms();
        if !auto_replies::claim_answer(&self.db, row.id, message.contact_id, now, row.cooldown_minutes * 60_000).await?
        {
            tracing::debug!(rule = row.id, contact = message.contact_id, "auto reply cooling down");
            return Ok(());
        }
        let replies: Vec<Reply> = serde_json::from_str(&row.replies_json).unwrap_or_default();
        tracing::info!(rule = row.id, conversation = chat.id, answers = message.message_id, "auto reply");
        for reply in &replies {
            let Some((outbound, shown)) = self.outbound(message.company_id, &chat, reply).await? else { continue };
            let automatic = Automatic { rule_id: Some(row.id), answers_message_id: message.message_id };
            self.send(message.company_id, &chat, outbound, shown, automatic).await?;
        }
        Ok(())
    }

    /// Queues one automatic message and tells the open inboxes.
    async fn send(
        &self,
        company_id: i64,
        chat: &ConversationRow,
        outbound: Outbound,
        shown: String,
        automatic: Automatic,
    ) -> Result<(), rapport_storage::StorageError> {
        // A disconnected number sends nothing; staff see the customer's message as usual.
        if chat.number_status != rapport_storage::numbers::STATUS_CONNECTED {
            return Ok(());
        }
        let recipient = match (&chat.group_id, &chat.contact_wa_id) {
            (Some(group), _) => Recipient::Group(group),
            (None, Some(wa_id)) => Recipient::Individual(wa_id),
            (None, None) => return Ok(()),
        };
        let payload = outbound.to_json(recipient, None);
        let send = NewSend {
            company_id,
            conversation_id: chat.id,
            number_id: chat.number_id,
            kind: outbound.kind(),
            text: Some(&shown),
            reply_to: None,
            payload: &payload,
            staff_id: None,
            only_if_mine: false,
            automatic: Some(automatic),
        };
        rapport_storage::outbox::enqueue(&self.db, send).await?;
        self.outbox.queued();
        self.live.changed(&self.db, company_id, &[(chat.id, EventKind::Message)]).await;
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
fn rule(row: &AutoReply) -> Option<Rule> {
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

/// Whether the number's working hours are on at `now` (ms) in its time zone. Both are checked
/// when saved; a row changed by hand to something unreadable counts as open (no away message)
/// and an unknown zone as UTC.
fn open_at(g: &Greetings, now: i64) -> bool {
    let Ok(hours) = g.schedule() else { return true };
    local_time(now, &g.time_zone).is_some_and(|at| hours.is_open(&at))
}

/// `now` in a time zone's local time.
fn local_time(now: i64, time_zone: &str) -> Option<rapport_domain::working_hours::LocalTime> {
    let zone = jiff::tz::TimeZone::get(time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let zoned = jiff::Timestamp::from_millisecond(now).ok()?.to_zoned_datetime(zone);
    Some(rapport_domain::working_hours::LocalTime {
        weekday: zoned.weekday().to_monday_zero_offset() as usize,
        minute: zoned.hour() as u16 * 60 + zoned.minute() as u16,
        date: zoned.date().to_string(),
    })
}
