-- Group chats (Cloud API groups): a conversation is with one contact or with one group, and
-- every message names the contact who wrote it.
ALTER TABLE conversations ALTER COLUMN contact_id DROP NOT NULL;
ALTER TABLE conversations ADD COLUMN group_id TEXT;
ALTER TABLE conversations ADD COLUMN group_name TEXT;
ALTER TABLE conversations ADD CONSTRAINT conversations_one_party CHECK ((contact_id IS NULL) <> (group_id IS NULL));
CREATE UNIQUE INDEX conversations_number_group ON conversations (number_id, group_id);

-- Who wrote a customer message (in a group: the participant).
ALTER TABLE messages ADD COLUMN sender_contact_id BIGINT REFERENCES contacts (id);
UPDATE messages SET sender_contact_id = conversations.contact_id
FROM conversations WHERE conversations.id = messages.conversation_id AND messages.direction = 'in';
