-- Customers (CONT-1..6) and extended fields (FIELD-1..2).

-- Local phone numbers typed by staff are read in this country (ISO 3166 code).
ALTER TABLE companies ADD COLUMN default_country TEXT NOT NULL DEFAULT 'US';

-- The phone as the person typed it; `phone` holds its E.164 form.
ALTER TABLE contacts ADD COLUMN phone_typed TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN address TEXT NOT NULL DEFAULT '';
-- Extended field values keyed by the field's key, in their canonical JSON form.
ALTER TABLE contacts ADD COLUMN fields TEXT NOT NULL DEFAULT '{}';
-- Lower-cased name, e-mail and phone digits for the quick search (Unicode lower case is done by
-- the application: SQLite's lower() folds ASCII only).
ALTER TABLE contacts ADD COLUMN search TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN updated_at INTEGER;
-- Soft delete: restorable by an administrator.
ALTER TABLE contacts ADD COLUMN deleted_at INTEGER;
ALTER TABLE contacts ADD COLUMN import_id INTEGER;
UPDATE contacts SET search = lower(name) || ' ' || replace(phone, '+', '');
CREATE INDEX contacts_company_order ON contacts (company_id, id);
CREATE INDEX contacts_company_name ON contacts (company_id, name, id);
CREATE INDEX contacts_company_department ON contacts (company_id, department_id, id);
CREATE UNIQUE INDEX contacts_phone ON contacts (company_id, phone) WHERE phone <> '';

CREATE TABLE contact_fields (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    field_type TEXT NOT NULL,
    -- JSON array of the choices of a choice field.
    options TEXT NOT NULL DEFAULT '[]',
    tip TEXT NOT NULL DEFAULT '',
    required BOOLEAN NOT NULL DEFAULT FALSE,
    -- Public fields are the whole company's; the others belong to the departments listed.
    public BOOLEAN NOT NULL DEFAULT TRUE,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    position INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX contact_fields_key ON contact_fields (company_id, key);

CREATE TABLE contact_field_departments (
    field_id INTEGER NOT NULL REFERENCES contact_fields (id),
    department_id INTEGER NOT NULL REFERENCES departments (id),
    PRIMARY KEY (field_id, department_id)
);

-- Notes / tickets on a customer ("phiếu ghi"): title, body, author, time.
CREATE TABLE contact_notes (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    contact_id INTEGER NOT NULL REFERENCES contacts (id),
    author_staff_id INTEGER REFERENCES staff (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX contact_notes_contact ON contact_notes (contact_id, created_at);

-- Which columns of a list a staff member shows, in order (CONT-2).
CREATE TABLE list_columns (
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    list TEXT NOT NULL,
    columns TEXT NOT NULL,
    page_size INTEGER NOT NULL DEFAULT 10,
    PRIMARY KEY (staff_id, list)
);

-- Contact imports (CONT-3): a background job working through a stored file in batches; it
-- resumes at `next_row` after a restart.
CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    staff_id INTEGER REFERENCES staff (id),
    file_name TEXT NOT NULL,
    path TEXT NOT NULL,
    -- JSON: the field key each column goes to (null: skipped).
    mapping TEXT NOT NULL DEFAULT '[]',
    -- JSON array of staff ids the contacts are handed to, in turn.
    staff_ids TEXT NOT NULL DEFAULT '[]',
    department_id INTEGER REFERENCES departments (id),
    source TEXT NOT NULL DEFAULT 'import',
    -- `mapping` (waiting for the mapping step), `queued`, `running`, `done`, `failed`.
    status TEXT NOT NULL,
    total_rows INTEGER NOT NULL DEFAULT 0,
    next_row INTEGER NOT NULL DEFAULT 0,
    imported INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    locked_until INTEGER,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX imports_company ON imports (company_id, id);
CREATE INDEX imports_due ON imports (status, id);

CREATE TABLE import_rejections (
    import_id INTEGER NOT NULL REFERENCES imports (id),
    row_number INTEGER NOT NULL,
    column_name TEXT NOT NULL,
    reason TEXT NOT NULL,
    -- JSON array of the row's cells, for the downloadable report.
    cells TEXT NOT NULL,
    PRIMARY KEY (import_id, row_number)
);
