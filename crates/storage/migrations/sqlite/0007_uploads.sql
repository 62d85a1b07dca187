-- Files staff upload to send (WA-3 media sends), kept in the media store until sent.
CREATE TABLE uploads (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    staff_id INTEGER REFERENCES staff (id),
    filename TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    path TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
