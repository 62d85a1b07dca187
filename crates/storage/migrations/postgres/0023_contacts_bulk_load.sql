-- An import COPYs contacts by the ten thousand (PERF-5: a million rows in 30 s). Two costs it
-- paid on every row are settled here.

-- Text compares byte by byte, as SQLite's does (the list's sort and filters were written for
-- that order already). Under the database's locale — even C.UTF-8 before PostgreSQL 17 — every
-- comparison in the phone, WhatsApp id and name indexes went through strcoll.
ALTER TABLE contacts
    ALTER COLUMN name TYPE TEXT COLLATE "C",
    ALTER COLUMN phone TYPE TEXT COLLATE "C",
    ALTER COLUMN wa_id TYPE TEXT COLLATE "C",
    ALTER COLUMN user_id TYPE TEXT COLLATE "C",
    ALTER COLUMN email TYPE TEXT COLLATE "C",
    ALTER COLUMN address TYPE TEXT COLLATE "C",
    ALTER COLUMN source TYPE TEXT COLLATE "C";

-- A contact's company, department and responsible staff member are checked once per statement
-- instead of once per row: a foreign key runs a query per row and key (four seconds in ten of a
-- COPY), where this checks each distinct place a batch names, once. Like a foreign key, it locks
-- what it checked until the transaction ends, and a department, staff member or company is not
-- deleted while a contact names it (`contacts_keep_referenced`).
ALTER TABLE contacts
    DROP CONSTRAINT contacts_company_id_fkey,
    DROP CONSTRAINT contacts_department_id_fkey,
    DROP CONSTRAINT contacts_responsible_staff_id_fkey;

-- Locks a contact's company, department and responsible staff member, as a foreign key does,
-- and refuses one that does not exist.
CREATE FUNCTION contacts_check_named(company BIGINT, department BIGINT, responsible BIGINT)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM companies WHERE id = company FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE foreign_key_violation USING MESSAGE = format('a contact names company %s, which does not exist', company);
    END IF;
    PERFORM 1 FROM departments WHERE id = department FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE foreign_key_violation USING MESSAGE = format('a contact names department %s, which does not exist', department);
    END IF;
    IF responsible IS NOT NULL THEN
        PERFORM 1 FROM staff WHERE id = responsible FOR KEY SHARE;
        IF NOT FOUND THEN
            RAISE foreign_key_violation USING MESSAGE = format('a contact names staff member %s, who does not exist', responsible);
        END IF;
    END IF;
END $$;

-- A batch names a few dozen distinct places (one scan of the inserted rows); each is checked once.
CREATE FUNCTION contacts_check_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM contacts_check_named(company_id, department_id, responsible_staff_id)
    FROM (SELECT DISTINCT company_id, department_id, responsible_staff_id FROM new_contacts) named;
    RETURN NULL;
END $$;

-- Transition tables cannot go with a column list, so an update is checked only when it changes
-- the references (the inbox updates contacts all the time), row by row like a foreign key.
CREATE FUNCTION contacts_check_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM contacts_check_named(NEW.company_id, NEW.department_id, NEW.responsible_staff_id);
    RETURN NULL;
END $$;

CREATE TRIGGER contacts_inserted AFTER INSERT ON contacts
    REFERENCING NEW TABLE AS new_contacts
    FOR EACH STATEMENT EXECUTE FUNCTION contacts_check_inserted();

CREATE TRIGGER contacts_moved AFTER UPDATE OF company_id, department_id, responsible_staff_id ON contacts
    FOR EACH ROW
    WHEN (OLD.company_id IS DISTINCT FROM NEW.company_id
          OR OLD.department_id IS DISTINCT FROM NEW.department_id
          OR OLD.responsible_staff_id IS DISTINCT FROM NEW.responsible_staff_id)
    EXECUTE FUNCTION contacts_check_moved();

-- The other half of a foreign key: what contacts name stays. The row being deleted is locked
-- before this runs, so an import holding it (FOR KEY SHARE above) has committed and is seen.
-- The argument is the contacts column that names the deleted row (looked up within the
-- company, where the indexes are).
CREATE FUNCTION contacts_keep_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    named BOOLEAN;
BEGIN
    IF TG_TABLE_NAME = 'companies' THEN
        named := EXISTS (SELECT 1 FROM contacts WHERE company_id = OLD.id);
    ELSE
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM contacts WHERE company_id = $1 AND %I = $2)', TG_ARGV[0])
            INTO named USING OLD.company_id, OLD.id;
    END IF;
    IF named THEN
        RAISE foreign_key_violation USING MESSAGE = format('contacts name %s %s', TG_TABLE_NAME, OLD.id);
    END IF;
    RETURN OLD;
END $$;

CREATE TRIGGER contacts_keep_company BEFORE DELETE ON companies
    FOR EACH ROW EXECUTE FUNCTION contacts_keep_referenced('company_id');
CREATE TRIGGER contacts_keep_department BEFORE DELETE ON departments
    FOR EACH ROW EXECUTE FUNCTION contacts_keep_referenced('department_id');
CREATE TRIGGER contacts_keep_staff BEFORE DELETE ON staff
    FOR EACH ROW EXECUTE FUNCTION contacts_keep_referenced('responsible_staff_id');
