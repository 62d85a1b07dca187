-- Messages are indexed for search just after they are stored, in batches, by a background
-- indexer, instead of by a trigger inside the webhook's transaction: the acknowledgement
-- does not wait for trigram indexing. Message text never changes once stored (edits and
-- deletions are messages of their own), so only new rows need indexing.
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_update;
DROP TRIGGER messages_fts_delete;
-- Diacritics count, as in PostgreSQL's index, so both backends find (and highlight) the same.
DROP TABLE messages_fts;
CREATE VIRTUAL TABLE messages_fts USING fts5(text, content = 'messages', content_rowid = 'id', tokenize = 'trigram');
CREATE TABLE search_watermark (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    -- Every message with an id up to this one is in `messages_fts`.
    indexed_up_to INTEGER NOT NULL
);
-- The indexer fills the new index from the first message on.
INSERT INTO search_watermark (id, indexed_up_to) VALUES (1, 0);
