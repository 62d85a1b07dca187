-- no-transaction
-- Group chats (Cloud API groups): a conversation is with one contact or with one group, and
-- every message names the contact who wrote it. SQLite cannot drop NOT NULL from a column, so
-- `conversations` is rebuilt the documented way (foreign keys off, copy, swap).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE conversations_new (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    number_id INTEGER NOT NULL REFERENCES numbers (id),
    -- Exactly one of the two: a direct chat's customer, or a group's WhatsApp id.
    contact_id INTEGER REFERENCES contacts (id),
    group_id TEXT,
    group_name TEXT,
    responsible_staff_id INTEGER REFERENCES staff (id),
    last_message_at INTEGER,
    last_message_text TEXT NOT NULL DEFAULT '',
    -- The 24-hour window is computed from this.
    last_inbound_at INTEGER,
    unanswered BOOLEAN NOT NULL DEFAULT FALSE,
    created_at INTEGER NOT NULL,
    CHECK ((contact_id IS NULL) <> (group_id IS NULL))
);
INSERT INTO conversations_new (id, company_id, number_id, contact_id, responsible_staff_id, last_message_at,
    last_message_text, last_inbound_at, unanswered, created_at)
SELECT id, company_id, number_id, contact_id, responsible_staff_id, last_message_at, last_message_text,
    last_inbound_at, unanswered, created_at
FROM conversations;
DROP TABLE conversations;
ALTER TABLE conversations_new RENAME TO conversations;
CREATE UNIQUE INDEX conversations_number_contact ON conversations (number_id, contact_id);
CREATE UNIQUE INDEX conversations_number_group ON conversations (number_id, group_id);
CREATE INDEX conversations_company_last ON conversations (company_id, last_message_at);

-- Who wrote a customer message (in a group: the participant).
ALTER TABLE messages ADD COLUMN sender_contact_id INTEGER REFERENCES contacts (id);
UPDATE messages SET sender_contact_id = (
    SELECT contact_id FROM conversations WHERE conversations.id = messages.conversation_id
) WHERE direction = 'in';
COMMIT;
PRAGMA foreign_keys = ON;
