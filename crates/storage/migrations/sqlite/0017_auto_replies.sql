-- Auto reply rules (AUTO-1..3): private rules answer on their owner's numbers, public rules on
-- every number of the company.
CREATE TABLE auto_replies (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    -- 'private' (owner_staff_id set) or 'public'.
    scope TEXT NOT NULL,
    owner_staff_id INTEGER REFERENCES staff (id),
    -- 'whole_text', 'contains_any' or 'equals_any'; match words are '|'-separated for the last two.
    pattern TEXT NOT NULL,
    match_words TEXT NOT NULL,
    -- The reply contents, sent in order: [{"type": "text", "text": ...}, ...].
    replies_json TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    priority INTEGER NOT NULL DEFAULT 0,
    in_groups BOOLEAN NOT NULL DEFAULT FALSE,
    cooldown_minutes INTEGER NOT NULL DEFAULT 60,
    created_by INTEGER REFERENCES staff (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX auto_replies_company ON auto_replies (company_id, id);

-- When a rule last answered a customer: the cool-down, claimed by one conditional write.
CREATE TABLE auto_reply_answers (
    rule_id INTEGER NOT NULL REFERENCES auto_replies (id) ON DELETE CASCADE,
    contact_id INTEGER NOT NULL REFERENCES contacts (id),
    answered_at INTEGER NOT NULL,
    PRIMARY KEY (rule_id, contact_id)
);

-- Moves on with every change to a company's rules, so each instance rebuilds its matcher.
CREATE TABLE auto_reply_versions (
    company_id INTEGER PRIMARY KEY REFERENCES companies (id),
    version INTEGER NOT NULL
);

-- The rule that sent a message (automatic replies), and why: the customer message it answered.
ALTER TABLE messages ADD COLUMN auto_reply_id INTEGER;
ALTER TABLE messages ADD COLUMN answers_message_id INTEGER;
