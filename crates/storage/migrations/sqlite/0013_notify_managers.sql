-- "Notify managers of all messages" (DIST-3), per number: managers who see a chat are told of
-- every customer message in it, not only the responsible person.
ALTER TABLE distributions ADD COLUMN notify_managers BOOLEAN NOT NULL DEFAULT FALSE;
