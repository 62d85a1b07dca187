//! Live events (INBOX-3): what changed in which conversation, delivered to every open browser
//! tab whose viewer may see that conversation. In one process a broadcast channel carries
//! them; with `NATS_URL` every instance publishes to NATS and relays what NATS delivers, so an
//! event on instance A reaches a browser connected to instance B.

use rapport_domain::chat_access::ChatFacts;
use rapport_storage::{Db, conversations};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::broadcast;

/// NATS subjects: `rapport.live.<company id>`.
const SUBJECT_PREFIX: &str = "rapport.live";
/// Events a slow tab may fall behind by before it is told to resynchronise.
const BACKLOG: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A new message, in either direction.
    Message,
    /// Delivery ticks moved.
    Status,
    /// Assignment, state or unanswered flag changed.
    Conversation,
    /// A colleague is typing.
    Typing,
    /// The bell: a notification for one staff member (new customer, message, assignment,
    /// reminder).
    Notification,
    /// A staff member's access changed (logout, disabled, new password, grants or role): their
    /// open sockets re-read their session at once. Never sent to browsers.
    Access,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Event {
    pub kind: EventKind,
    pub conversation_id: i64,
    /// Who may see it; never sent to browsers.
    pub facts: ChatFacts,
    /// For typing: who.
    pub staff_id: Option<i64>,
    pub name: Option<String>,
    /// Only this staff member's tabs get it (notifications).
    pub for_staff: Option<i64>,
    /// Staff who get it although they may no longer see the chat: they just lost it (a
    /// colleague claimed it, or it was reassigned) and their lists must drop it.
    #[serde(default)]
    pub also_for: Vec<i64>,
}

impl Event {
    pub fn about(kind: EventKind, conversation_id: i64, facts: ChatFacts) -> Event {
        Event { kind, conversation_id, facts, staff_id: None, name: None, for_staff: None, also_for: Vec::new() }
    }

    /// Tells `staff_id`'s open sockets that their access changed.
    pub fn access_changed(staff_id: i64) -> Event {
        Event { for_staff: Some(staff_id), ..Event::about(EventKind::Access, 0, ChatFacts::default()) }
    }
}

#[derive(Clone)]
pub struct Live {
    local: broadcast::Sender<Arc<Event>>,
    nats: Option<async_nats::Client>,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.nats.is_some() { "Live(NATS)" } else { "Live(in process)" })
    }
}

impl Default for Live {
    fn default() -> Self {
        Live::in_process()
    }
}

impl Live {
    /// Events stay inside this process.
    pub fn in_process() -> Live {
        Live { local: broadcast::channel(BACKLOG).0, nats: None }
    }

    /// Events go through the NATS server at `url`, shared with every other instance.
    pub async fn nats(url: &str) -> Result<Live, async_nats::Error> {
        let client = async_nats::connect(url).await?;
        let mut subscription = client.subscribe(format!("{SUBJECT_PREFIX}.>")).await?;
        let live = Live { local: broadcast::channel(BACKLOG).0, nats: Some(client) };
        let local = live.local.clone();
        tokio::spawn(async move {
            use futures_util::StreamExt;
            while let Some(message) = subscription.next().await {
                match serde_json::from_slice::<Event>(&message.payload) {
                    Ok(event) => drop(local.send(Arc::new(event))),
                    Err(e) => tracing::warn!(error = %e, "ignored a malformed live event from NATS"),
                }
            }
            tracing::warn!("the NATS subscription for live events ended");
        });
        Ok(live)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.local.subscribe()
    }

    pub async fn publish(&self, event: Event) {
        match &self.nats {
            None => drop(self.local.send(Arc::new(event))),
            Some(client) => {
                let subject = format!("{SUBJECT_PREFIX}.{}", event.facts.company_id);
                let result = match serde_json::to_vec(&event) {
                    Ok(payload) => client.publish(subject, payload.into()).await.map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                if let Err(e) = result {
                    tracing::warn!(error = %e, "could not publish a live event to NATS");
                }
            }
        }
    }

    /// Publishes one event per changed conversation, with who may see it looked up once;
    /// answers what it looked up (for whoever also notifies people).
    pub async fn changed(&self, db: &Db, company_id: i64, changes: &[(i64, EventKind)]) -> Vec<(i64, ChatFacts)> {
        self.changed_for(db, company_id, changes, &[]).await
    }

    /// As [`Live::changed`], also telling `lost_sight` (staff who saw these chats a moment ago).
    pub async fn changed_for(
        &self,
        db: &Db,
        company_id: i64,
        changes: &[(i64, EventKind)],
        lost_sight: &[i64],
    ) -> Vec<(i64, ChatFacts)> {
        let mut ids: Vec<i64> = changes.iter().map(|(id, _)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        let facts = match conversations::facts(db, company_id, &ids).await {
            Ok(facts) => facts,
            Err(e) => {
                tracing::warn!(error = %e, "could not route live events");
                return Vec::new();
            }
        };
        for (id, kind) in changes {
            if let Some((_, facts)) = facts.iter().find(|(f, _)| f == id) {
                let event = Event { also_for: lost_sight.to_vec(), ..Event::about(*kind, *id, facts.clone()) };
                self.publish(event).await;
            }
        }
        facts
    }
}
