-- Per-number sync filter (WA-6): all | existing_contacts | all_except, and the except list.
ALTER TABLE numbers ADD COLUMN sync_filter TEXT NOT NULL DEFAULT 'all';
ALTER TABLE numbers ADD COLUMN sync_except TEXT NOT NULL DEFAULT '';
