-- Checking in at the door (db/checkins.go): each signup's check-in code,
-- how many of its seats have arrived, walk-ins, and the keys that make a
-- door's late or repeated check-ins count once.

-- checkin_code: what the signup's QR code holds and what a host may type.
-- Eight characters from db.CheckInAlphabet (no 0/O, 1/I/L look-alikes),
-- random, never personal data, and not the manage token: a code shown at a
-- door checks a person in, it cannot cancel or erase anything. NULL only
-- for rows written around the store (a benchmark's); CreateSignup always
-- sets one.
ALTER TABLE signups ADD COLUMN checkin_code TEXT;
-- checked_in_seats: how many of the group's seats have arrived;
-- checked_in_at (0001) is when the first of them did.
ALTER TABLE signups ADD COLUMN checked_in_seats INTEGER NOT NULL DEFAULT 0
    CHECK (checked_in_seats >= 0 AND checked_in_seats <= seats);
UPDATE signups SET checked_in_seats = seats WHERE checked_in_at IS NOT NULL;

-- Existing signups get their code here, so that showing a signup's page
-- never writes. Same alphabet as db.CheckInAlphabet; SQLite's random() is
-- seeded from the system's randomness. The two passes after the first
-- give any duplicate a fresh code before the unique index is made.
UPDATE signups SET checkin_code =
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1) ||
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1) ||
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1) ||
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1) ||
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1) ||
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1) ||
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1) ||
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1);
UPDATE signups SET checkin_code =
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1) ||
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1) ||
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1) ||
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1) ||
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1) ||
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1) ||
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1) ||
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1)
WHERE id IN (SELECT s.id FROM signups s JOIN signups t ON t.checkin_code = s.checkin_code AND t.id < s.id);
UPDATE signups SET checkin_code =
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1) ||
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1) ||
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1) ||
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1) ||
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1) ||
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1) ||
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1) ||
    substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', abs(random() % 31) + 1, 1)
WHERE id IN (SELECT s.id FROM signups s JOIN signups t ON t.checkin_code = s.checkin_code AND t.id < s.id);
CREATE UNIQUE INDEX signups_checkin_code ON signups (checkin_code);

-- Walk-ins: people who came without signing up, added by a host at the
-- door. A table of their own rather than signups with a flag: they gave
-- no consent, took no seat from the capacity or the waiting list, and
-- have no token, page or e-mail. They count in "here now" while checked
-- in (an undo sets checked_in_seats to 0 and keeps the row, so a
-- mistaken undo is undone by checking in again). The screen never names
-- them: they made no show_name choice.
CREATE TABLE walkins (
    id               INTEGER PRIMARY KEY,
    event_id         INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    name             TEXT    NOT NULL,
    organization     TEXT    NOT NULL DEFAULT '',
    email            TEXT    NOT NULL DEFAULT '',
    checked_in_seats INTEGER NOT NULL DEFAULT 1 CHECK (checked_in_seats IN (0, 1)),
    checked_in_at    INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX walkins_event ON walkins (event_id, id);

-- A walk-in's feed item ("A new participant has arrived"), so that an
-- undo can take it off the screens.
ALTER TABLE activity ADD COLUMN walkin_id INTEGER REFERENCES walkins (id) ON DELETE SET NULL;

-- The keys of check-ins, undos and walk-ins already taken: a door that
-- sends one again (its queue replayed after the wi-fi came back, a
-- double tap) changes nothing the second time.
CREATE TABLE checkin_keys (
    event_id   INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    key        TEXT    NOT NULL,
    -- what the key checked in, undid or added: a replay answers with it
    signup_id  INTEGER REFERENCES signups (id) ON DELETE CASCADE,
    walkin_id  INTEGER REFERENCES walkins (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (event_id, key)
) WITHOUT ROWID;
