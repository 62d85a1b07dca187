-- The conversation list is ordered by COALESCE(last_message_at, 0) then id; indexes on that very
-- expression let the database read the first page (and any page, by a row-value cursor) in order
-- instead of sorting every visible chat. The second serves a sales rep's own chats.
CREATE INDEX conversations_activity_order ON conversations (company_id, (COALESCE(last_message_at, 0)), id);
CREATE INDEX conversations_responsible_activity ON conversations (company_id, responsible_staff_id, (COALESCE(last_message_at, 0)), id);
DROP INDEX conversations_activity;
DROP INDEX conversations_responsible;
