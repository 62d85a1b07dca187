-- Chat history search (INBOX-4): a trigram index over lower-cased message text, so a
-- substring search (any script: Chinese has no spaces between words) of three or more
-- characters uses the index. The extension lives in `public`, whatever schema Rapport uses.
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
CREATE INDEX messages_text_trgm ON messages USING gin (lower(text) public.gin_trgm_ops);
