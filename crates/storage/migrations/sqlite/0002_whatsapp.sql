-- WhatsApp numbers, customers (contacts), conversations and messages (issue 3).

CREATE TABLE numbers (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    department_id INTEGER NOT NULL REFERENCES departments (id),
    owner_staff_id INTEGER REFERENCES staff (id),
    phone_number_id TEXT NOT NULL,
    waba_id TEXT NOT NULL,
    display_phone_number TEXT NOT NULL DEFAULT '',
    verified_name TEXT NOT NULL DEFAULT '',
    -- Sealed with the installation's secret key; never returned by the API.
    access_token_sealed TEXT NOT NULL,
    app_secret_sealed TEXT NOT NULL,
    verify_token TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'connected',
    last_activity_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX numbers_phone_number_id ON numbers (phone_number_id);
CREATE INDEX numbers_company_department ON numbers (company_id, department_id);

CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    department_id INTEGER NOT NULL REFERENCES departments (id),
    responsible_staff_id INTEGER REFERENCES staff (id),
    name TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    -- WhatsApp id and business-scoped user id; a contact may have either or both.
    wa_id TEXT,
    user_id TEXT,
    source TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX contacts_wa_id ON contacts (company_id, wa_id);
CREATE UNIQUE INDEX contacts_user_id ON contacts (company_id, user_id);

CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    number_id INTEGER NOT NULL REFERENCES numbers (id),
    contact_id INTEGER NOT NULL REFERENCES contacts (id),
    responsible_staff_id INTEGER REFERENCES staff (id),
    last_message_at INTEGER,
    last_message_text TEXT NOT NULL DEFAULT '',
    -- The 24-hour window is computed from this.
    last_inbound_at INTEGER,
    unanswered BOOLEAN NOT NULL DEFAULT FALSE,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX conversations_number_contact ON conversations (number_id, contact_id);
CREATE INDEX conversations_company_last ON conversations (company_id, last_message_at);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    wamid TEXT NOT NULL,
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT,
    media_id TEXT,
    media_mime_type TEXT,
    media_sha256 TEXT,
    media_filename TEXT,
    reply_to TEXT,
    -- For reactions, edits and deletions: the message acted on (history is kept).
    target_wamid TEXT,
    status TEXT,
    status_rank INTEGER NOT NULL DEFAULT 0,
    error_code INTEGER,
    error_title TEXT,
    raw_json TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX messages_wamid ON messages (company_id, wamid);
CREATE INDEX messages_conversation ON messages (conversation_id, id);

-- Every delivery report as received, in arrival order.
CREATE TABLE message_statuses (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    wamid TEXT NOT NULL,
    status TEXT NOT NULL,
    error_code INTEGER,
    error_title TEXT,
    raw_json TEXT NOT NULL,
    reported_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX message_statuses_wamid ON message_statuses (company_id, wamid);
