-- The durable send queue (WA-3): one job per outbound message, claimed by workers with a lease.
CREATE TABLE send_jobs (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    message_id INTEGER NOT NULL REFERENCES messages (id),
    number_id INTEGER NOT NULL REFERENCES numbers (id),
    -- Meta's request body, built when the message was queued.
    payload_json TEXT NOT NULL,
    -- queued | sending | sent | dead
    state TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    locked_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX send_jobs_due ON send_jobs (state, next_attempt_at);
