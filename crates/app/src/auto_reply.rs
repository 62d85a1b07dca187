//! Answers customers by the company's auto reply rules (AUTO-3). After a webhook batch is
//! durable, each new customer text is matched against the company's compiled rules (rebuilt
//! whenever the rules version moved, so an edit applies to the very next message on every
//! instance); the first matching rule, if its cool-down for this customer has passed, sends all
//! its reply contents in order through the outbound queue, marked as automatic and naming the
//! rule and the message it answers.

use crate::send::{self, Content, Sender};
use crate::{App, Clock, Error};
use rapport_channels::whatsapp::graph::Outbound;
use rapport_domain::auto_reply::{Incoming, Matcher, Pattern, Reply, Rule, Scope};
use rapport_storage::Db;
use rapport_storage::auto_replies::{self, AutoReply};
use rapport_storage::conversations::{self, ConversationRow};
use rapport_storage::greetings::{self, Greetings};
use rapport_storage::inbound::CustomerMessage;
use rapport_storage::outbox::Automatic;
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
    app: App,
    db: Db,
    clock: Clock,
    compiled: Arc<Mutex<HashMap<i64, Arc<Compiled>>>>,
}

impl AutoReplier {
    pub fn new(app: &crate::App) -> AutoReplier {
        AutoReplier {
            app: app.clone(),
            db: app.db.clone(),
            clock: app.settings.clock.clone(),
            compiled: Arc::default(),
        }
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
                let content = Content::Message(Outbound::Text { body: text.clone() });
                self.send(message.company_id, &chat, content, automatic).await;
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
        let automatic = Automatic { rule_id: Some(row.id), answers_message_id: message.message_id };
        for reply in replies {
            self.send(message.company_id, &chat, content(reply), automatic).await;
        }
        Ok(())
    }

    /// Sends one automatic message the way every message is sent. One that cannot be sent any
    /// more (a disconnected number, a template no longer approved, a removed file) is skipped
    /// with a note in the log; the staff see the customer's message as usual.
    async fn send(&self, company_id: i64, chat: &ConversationRow, content: Content, automatic: Automatic) {
        let message = send::Message { chat, content, reply_to: None, sender: Sender::Automatic(automatic) };
        match send::send(&self.app, company_id, message).await {
            Ok(_) => {}
            Err(Error::Storage(e)) => {
                tracing::warn!(error = %e, conversation = chat.id, "could not queue an automatic message")
            }
            Err(e) => tracing::info!(reason = %e, conversation = chat.id, "automatic message not sendable; skipped"),
        }
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

/// What one stored reply content sends.
fn content(reply: Reply) -> Content {
    let media = |kind, upload_id, caption| Content::Media { kind, upload_id, caption };
    match reply {
        Reply::Text { text } => Content::Message(Outbound::Text { body: text }),
        Reply::Template { name, language, parameters } => {
            Content::Message(Outbound::Template { name, language, parameters })
        }
        Reply::Image { upload_id, caption } => media("image", upload_id, caption),
        Reply::Video { upload_id, caption } => media("video", upload_id, caption),
        Reply::Document { upload_id, caption } => media("document", upload_id, caption),
        Reply::Audio { upload_id } => media("audio", upload_id, None),
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
