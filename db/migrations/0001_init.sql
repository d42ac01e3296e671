-- The first schema: events, signups with their history, the activity outbox
-- that feeds the live screen, organisers' counters and the site's settings.
-- Times are Unix seconds in UTC; the views turn them into Europe/Oslo.

-- revision moves with every write transaction. Cached pages are keyed on it,
-- and the hub polls it to notice writes made by another process.
CREATE TABLE revision (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO revision (id, value) VALUES (1, 0);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    title       TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    kind        TEXT    NOT NULL CHECK (kind IN ('breakfast', 'seminar', 'network', 'meeting')),
    place       TEXT    NOT NULL DEFAULT '',
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL CHECK (ends_at >= starts_at),
    capacity    INTEGER NOT NULL CHECK (capacity >= 0),
    status      TEXT    NOT NULL CHECK (status IN ('draft', 'published', 'cancelled')),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX events_starts_at ON events (starts_at);

CREATE TABLE signups (
    id            INTEGER PRIMARY KEY,
    event_id      INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    token         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    email         TEXT    NOT NULL, -- stored lower-cased: the duplicate check is case-insensitive
    phone         TEXT    NOT NULL DEFAULT '',
    organization  TEXT    NOT NULL DEFAULT '',
    diet          TEXT    NOT NULL DEFAULT '',
    seats         INTEGER NOT NULL CHECK (seats BETWEEN 1 AND 5), -- db.MinSeats to db.MaxSeats; a new range needs a new migration
    show_name     TEXT    NOT NULL CHECK (show_name IN ('full', 'first', 'none')),
    status        TEXT    NOT NULL CHECK (status IN ('confirmed', 'waiting', 'cancelled')),
    lang          TEXT    NOT NULL DEFAULT 'nb',
    consent_at    INTEGER NOT NULL,
    checked_in_at INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
-- One live signup per address and event; a cancelled one does not block a new one.
CREATE UNIQUE INDEX signups_event_email ON signups (event_id, email) WHERE status <> 'cancelled';
CREATE INDEX signups_event_status ON signups (event_id, status, id);

-- Every change of a signup's status: who, when and why.
CREATE TABLE signup_history (
    id          INTEGER PRIMARY KEY,
    signup_id   INTEGER NOT NULL REFERENCES signups (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    from_status TEXT    NOT NULL DEFAULT '',
    to_status   TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    actor       TEXT    NOT NULL
);
CREATE INDEX signup_history_signup ON signup_history (signup_id, id);

-- The live feed's source of truth (a transactional outbox): written in the
-- same transaction as what it reports. AUTOINCREMENT so an id is never reused
-- and "everything after id N" is always well defined.
CREATE TABLE activity (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT    NOT NULL,
    event_id   INTEGER REFERENCES events (id) ON DELETE SET NULL,
    signup_id  INTEGER REFERENCES signups (id) ON DELETE SET NULL,
    -- who may be shown, already reduced to what show_name allows
    actor_name TEXT    NOT NULL DEFAULT '',
    actor_org  TEXT    NOT NULL DEFAULT '',
    text       TEXT    NOT NULL DEFAULT '',
    seats      INTEGER NOT NULL DEFAULT 0,
    visible    INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);
CREATE INDEX activity_event ON activity (event_id, id);

-- The initiative's own figures, set by organisers.
CREATE TABLE kpis (
    key        TEXT PRIMARY KEY,
    label      TEXT    NOT NULL DEFAULT '',
    value      INTEGER NOT NULL,
    position   INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
);
