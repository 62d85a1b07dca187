-- One table-backed queue for every background job (sends, media downloads ...), told apart by kind.
ALTER TABLE send_jobs RENAME TO jobs;
ALTER TABLE jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'send';
DROP INDEX send_jobs_due;
CREATE INDEX jobs_due ON jobs (kind, state, next_attempt_at);

-- Inbound media kept in the media store (WA-5): where, how big, or why not.
ALTER TABLE messages ADD COLUMN media_path TEXT;
ALTER TABLE messages ADD COLUMN media_size BIGINT;
ALTER TABLE messages ADD COLUMN media_error TEXT;
