-- Message templates per WhatsApp Business Account (WA-4).
CREATE TABLE templates (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    waba_id TEXT NOT NULL,
    name TEXT NOT NULL,
    language TEXT NOT NULL,
    category TEXT NOT NULL,
    -- approved | pending | rejected | paused | disabled | flagged | deleted
    status TEXT NOT NULL,
    reason TEXT,
    components_json TEXT NOT NULL,
    parameter_count INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX templates_identity ON templates (company_id, waba_id, name, language);
CREATE INDEX templates_waba ON templates (waba_id, name, language);
