-- A delivery report is kept once: Meta may deliver the same webhook again, and a replayed
-- signed body must not add rows (the report's effect was idempotent already).
DELETE FROM message_statuses WHERE id NOT IN (
    SELECT MIN(id) FROM message_statuses GROUP BY company_id, wamid, status, reported_at
);
CREATE UNIQUE INDEX message_statuses_report ON message_statuses (company_id, wamid, status, reported_at);
