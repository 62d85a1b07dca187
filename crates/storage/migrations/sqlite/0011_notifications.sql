-- In-app notifications (NOTIF-1), one per staff member and conversation: new messages add to
-- its count; "remind me" hides it until `remind_at`, when the reminder worker brings it back.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    -- `new_customer`, `message`, `assigned` or `reminder`.
    kind TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 1,
    unread BOOLEAN NOT NULL DEFAULT TRUE,
    remind_at INTEGER,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX notifications_staff_conversation ON notifications (staff_id, conversation_id);
CREATE INDEX notifications_due ON notifications (remind_at);
