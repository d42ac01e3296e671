-- Organisers' accounts, their sessions and failed sign-ins.
CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    email               TEXT    NOT NULL UNIQUE CHECK (email = lower(email)),
    role                TEXT    NOT NULL CHECK (role IN ('admin', 'moderator', 'host')),
    password_hash       TEXT    NOT NULL, -- argon2id in the PHC string form, with its parameters
    disabled            INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    password_changed_at INTEGER NOT NULL
);

-- A session is known by the SHA-256 of the random id in its cookie: a copy
-- of the database gives no session that works.
CREATE TABLE sessions (
    id_hash      BLOB    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL -- the absolute end; the idle end is last_seen_at + the idle limit
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed sign-ins, for throttling. key is a keyed hash (HMAC with the
-- hub's secret) of the account's e-mail address or of the client's
-- address, prefixed "account:" or "address:": no address is stored.
CREATE TABLE login_failures (
    key TEXT    NOT NULL,
    at  INTEGER NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);
