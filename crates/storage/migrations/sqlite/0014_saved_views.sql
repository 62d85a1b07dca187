-- Saved views of the conversation list (INBOX-1): a name and the list's filters, per staff member.
CREATE TABLE saved_views (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    name TEXT NOT NULL,
    -- The filters as JSON: {"kind", "status", "who", "q", "unanswered"}.
    filters_json TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX saved_views_staff_name ON saved_views (staff_id, name);
