-- Companies, departments, staff, sessions, login throttling, audit log.
-- Timestamps are Unix milliseconds (INTEGER) so both backends store them alike.

CREATE TABLE companies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE departments (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    parent_id INTEGER REFERENCES departments (id),
    name TEXT NOT NULL,
    introduction TEXT NOT NULL DEFAULT '',
    -- Materialised path of ids, e.g. '/1/4/9/': a subtree is one prefix condition.
    path TEXT NOT NULL DEFAULT '',
    default_grants TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX departments_company_path ON departments (company_id, path);
CREATE INDEX departments_parent ON departments (parent_id);
CREATE UNIQUE INDEX departments_one_root ON departments (company_id) WHERE parent_id IS NULL;

CREATE TABLE staff (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    department_id INTEGER NOT NULL REFERENCES departments (id),
    account TEXT NOT NULL,
    name TEXT NOT NULL,
    nickname TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    memo TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'enabled',
    role TEXT,
    grants TEXT NOT NULL DEFAULT '',
    creator_id INTEGER REFERENCES staff (id),
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX staff_account ON staff (account);
CREATE INDEX staff_company_department ON staff (company_id, department_id, id);

CREATE TABLE staff_avatars (
    staff_id INTEGER PRIMARY KEY REFERENCES staff (id),
    content_type TEXT NOT NULL,
    bytes BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_staff ON sessions (staff_id);

CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    first_failure_at INTEGER NOT NULL,
    locked_until INTEGER NOT NULL
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    company_id INTEGER REFERENCES companies (id),
    actor_id INTEGER REFERENCES staff (id),
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id INTEGER,
    before_json TEXT,
    after_json TEXT,
    source TEXT NOT NULL DEFAULT '',
    at INTEGER NOT NULL
);
CREATE INDEX audit_log_company ON audit_log (company_id, id);
