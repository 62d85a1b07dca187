-- Predefined texts (TEXT-1): a name and a body with merge fields; personal (owner set) or
-- shared with the whole company (no owner).
CREATE TABLE predefined_texts (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    owner_staff_id INTEGER REFERENCES staff (id),
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX predefined_texts_company ON predefined_texts (company_id, name);
