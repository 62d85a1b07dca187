-- Welcome and away messages per number (AUTO-4).
CREATE TABLE number_greetings (
    number_id BIGINT PRIMARY KEY REFERENCES numbers (id),
    company_id BIGINT NOT NULL REFERENCES companies (id),
    welcome_enabled BOOLEAN NOT NULL,
    welcome_text TEXT NOT NULL,
    away_enabled BOOLEAN NOT NULL,
    away_text TEXT NOT NULL,
    -- An IANA time zone name, e.g. Europe/Bucharest: working hours are in its local time.
    time_zone TEXT NOT NULL,
    -- [["mon", ["09:00-18:00", ...]], ...] and ["2026-12-25", ...].
    hours_json TEXT NOT NULL,
    holidays_json TEXT NOT NULL,
    -- Each greeting reaches one customer at most once in this many minutes.
    period_minutes BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- When a number last greeted a customer, per kind ('welcome' or 'away').
CREATE TABLE greeting_answers (
    number_id BIGINT NOT NULL REFERENCES numbers (id),
    contact_id BIGINT NOT NULL REFERENCES contacts (id),
    kind TEXT NOT NULL,
    answered_at BIGINT NOT NULL,
    PRIMARY KEY (number_id, contact_id, kind)
);
