-- A customer's conversations, looked up by contact: the customer card's timeline, whether a
-- contact has chats (before its WhatsApp id changes, on merge), and a sales rep's contacts list,
-- which shows unclaimed customers whose chat is offered to the rep. Without this index SQLite
-- scanned every conversation once per unclaimed contact it looked at.
CREATE INDEX conversations_contact ON conversations (contact_id);
