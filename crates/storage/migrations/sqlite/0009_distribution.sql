-- New-customer distribution (DIST-1): per number, who receives new customers and how.
CREATE TABLE distributions (
    number_id INTEGER PRIMARY KEY REFERENCES numbers (id),
    company_id INTEGER NOT NULL REFERENCES companies (id),
    -- `first_responder` or `in_turn`.
    mode TEXT NOT NULL,
    -- In turn: how many customers were handed out so far (the next one goes to turn % staff).
    turn INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
);
CREATE TABLE distribution_staff (
    number_id INTEGER NOT NULL REFERENCES numbers (id),
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    position INTEGER NOT NULL,
    PRIMARY KEY (number_id, staff_id)
);
CREATE INDEX distribution_staff_by_staff ON distribution_staff (staff_id);

-- Conversation status (INBOX-5): open, snoozed until a time, or resolved.
ALTER TABLE conversations ADD COLUMN status TEXT NOT NULL DEFAULT 'open';
ALTER TABLE conversations ADD COLUMN snoozed_until INTEGER;
CREATE INDEX conversations_responsible ON conversations (company_id, responsible_staff_id);
CREATE INDEX conversations_activity ON conversations (company_id, last_message_at, id);
DROP INDEX conversations_company_last;
-- Handing a leaving staff member's customers over.
CREATE INDEX contacts_responsible ON contacts (company_id, responsible_staff_id);

-- Which staff member wrote an outbound message ("replied by").
ALTER TABLE messages ADD COLUMN staff_id INTEGER REFERENCES staff (id);
