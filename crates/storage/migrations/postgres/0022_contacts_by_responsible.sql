-- A sales rep's contacts newest first straight from the index, so a list page stops after a
-- page's worth of matches (SQLite's index ends in the rowid already).
DROP INDEX contacts_responsible;
CREATE INDEX contacts_responsible ON contacts (company_id, responsible_staff_id, id);
