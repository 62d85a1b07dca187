-- DIST-4: the number each staff member writes to customers first from.
ALTER TABLE staff ADD COLUMN first_number_id BIGINT REFERENCES numbers (id);
