//! Who is told about what (NOTIF-1, DIST-3): a customer message notifies the responsible staff
//! member, or, while nobody is, everyone the number offers new customers to — and, when the
//! number says so, every manager who sees the chat; an assignment
//! notifies the assignee; a "remind me" comes back when due. Each notification also reaches the
//! person's open tabs live (the bell, and a desktop notification when allowed).

use crate::live::{Event, EventKind, Live};
use rapport_domain::chat_access::{ChatFacts, ChatViewer, can_see_chat};
use rapport_storage::inbound::Outcome;
use rapport_storage::{Db, Scope, conversations, notifications, now_ms, staff};
use std::time::Duration;

/// How often the reminder worker looks for due reminders.
const REMINDER_TICK: Duration = Duration::from_secs(2);

/// After a webhook batch is durable: live events for every changed conversation, and
/// notifications for customer messages.
pub async fn after_ingest(db: Db, live: Live, outcome: Outcome) {
    let (db, live) = (&db, &live);
    let mut companies: Vec<i64> = outcome.touched.iter().map(|t| t.company_id).collect();
    companies.sort_unstable();
    companies.dedup();
    for company_id in companies {
        let touched: Vec<_> = outcome.touched.iter().filter(|t| t.company_id == company_id).collect();
        let changes: Vec<(i64, EventKind)> = touched
            .iter()
            .map(|t| (t.conversation_id, if t.status_only { EventKind::Status } else { EventKind::Message }))
            .collect();
        let facts = live.changed(db, company_id, &changes).await;
        // Looked up once per batch, and only when some number asks for it.
        let mut managers: Option<Vec<Scope>> = None;
        for t in touched.iter().filter(|t| t.inbound) {
            let Some((_, facts)) = facts.iter().find(|(id, _)| *id == t.conversation_id) else { continue };
            let (mut staff, kind) = match facts.responsible {
                Some(responsible) => (vec![responsible], "message"),
                None => (facts.offered_to.clone(), "new_customer"),
            };
            if facts.notify_managers {
                if managers.is_none() {
                    managers = Some(staff::managers(db, company_id).await.unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "could not list managers to notify");
                        Vec::new()
                    }));
                }
                for manager in managers.iter().flatten() {
                    let who = ChatViewer {
                        viewer: &manager.viewer,
                        department_path: &manager.department_path,
                        role: manager.role,
                    };
                    if can_see_chat(&who, facts) && !staff.contains(&manager.viewer.staff_id) {
                        staff.push(manager.viewer.staff_id);
                    }
                }
            }
            tell(db, live, t.conversation_id, facts, &staff, kind).await;
        }
    }
}

/// An assignment: the new assignee hears of it.
pub async fn assigned(db: &Db, live: &Live, company_id: i64, conversation_id: i64, staff_id: i64) {
    match conversations::facts(db, company_id, &[conversation_id]).await {
        Ok(facts) => {
            if let Some((_, facts)) = facts.first() {
                tell(db, live, conversation_id, facts, &[staff_id], "assigned").await;
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not notify an assignment"),
    }
}

async fn tell(db: &Db, live: &Live, conversation_id: i64, facts: &ChatFacts, staff: &[i64], kind: &str) {
    if staff.is_empty() {
        return;
    }
    if let Err(e) = notifications::notify(db, facts.company_id, conversation_id, staff, kind, now_ms()).await {
        return tracing::warn!(error = %e, "could not store notifications");
    }
    for staff_id in staff {
        let event = Event {
            for_staff: Some(*staff_id),
            name: Some(kind.to_string()),
            ..Event::about(EventKind::Notification, conversation_id, facts.clone())
        };
        live.publish(event).await;
    }
}

/// Brings "remind me" notifications back when due, for the life of the process. Due times are
/// in the database, so reminders survive a restart; each fires once across instances.
pub fn start_reminders(db: Db, live: Live) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(REMINDER_TICK).await;
            // A closed database ends the worker (tests and benches close theirs).
            if db.is_closed() {
                return;
            }
            let due = match notifications::fire_due(&db, now_ms()).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "could not look for due reminders");
                    continue;
                }
            };
            for reminder in due {
                let Ok(facts) = conversations::facts(&db, reminder.company_id, &[reminder.conversation_id]).await
                else {
                    continue;
                };
                if let Some((_, facts)) = facts.into_iter().next() {
                    let event = Event {
                        for_staff: Some(reminder.staff_id),
                        name: Some("reminder".into()),
                        ..Event::about(EventKind::Notification, reminder.conversation_id, facts)
                    };
                    live.publish(event).await;
                }
            }
        }
    });
}
