-- Ideas and partner matching: businesses propose collaboration ideas,
-- others support them and ask to be connected; organisers moderate.

CREATE TABLE ideas (
    id            INTEGER PRIMARY KEY,
    token         TEXT    NOT NULL UNIQUE, -- the proposer's private link
    title         TEXT    NOT NULL,
    summary       TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    company       TEXT    NOT NULL,
    org_number    TEXT    NOT NULL,        -- nine digits, spaces removed
    contact_name  TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    phone         TEXT    NOT NULL DEFAULT '',
    sector        TEXT    NOT NULL CHECK (sector IN ('health', 'preparedness', 'both', 'other')),
    show_company  INTEGER NOT NULL DEFAULT 0,
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'published', 'rejected', 'connected', 'realised', 'withdrawn')),
    reason        TEXT    NOT NULL DEFAULT '', -- the organiser's, when rejected
    lang          TEXT    NOT NULL DEFAULT 'nb',
    supports      INTEGER NOT NULL DEFAULT 0,
    -- title, summary, description and company, folded (lower case, NFC) so
    -- that LIKE finds a word as typed, also inside a compound
    search_text   TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    published_at  INTEGER
);
CREATE INDEX ideas_status ON ideas (status, published_at);

-- What an idea seeks (partner, pilot_customer, funding, ...), one row each.
CREATE TABLE idea_seeking (
    idea_id INTEGER NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
    what    TEXT    NOT NULL CHECK (what IN ('partner', 'pilot_customer', 'funding', 'premises', 'competence', 'test_arena')),
    PRIMARY KEY (idea_id, what)
) WITHOUT ROWID;
CREATE INDEX idea_seeking_what ON idea_seeking (what, idea_id);

-- One support per person and idea. A person is known by several keyed
-- hashes (of a cookie, of the connection), never by a clear address; a
-- support counts once whichever of them it carries.
CREATE TABLE idea_supports (
    idea_id    INTEGER NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
    supporter  TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (idea_id, supporter)
) WITHOUT ROWID;

-- Requests to be connected, and the answer. Contact details of either side
-- are shown to the other only once the idea's owner has accepted.
CREATE TABLE idea_interests (
    id           INTEGER PRIMARY KEY,
    idea_id      INTEGER NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
    token        TEXT    NOT NULL UNIQUE, -- the requester's private link
    company      TEXT    NOT NULL,
    contact_name TEXT    NOT NULL,
    email        TEXT    NOT NULL,
    message      TEXT    NOT NULL DEFAULT '',
    show_company INTEGER NOT NULL DEFAULT 0, -- may the feed name the requester's company
    lang         TEXT    NOT NULL DEFAULT 'nb',
    status       TEXT    NOT NULL CHECK (status IN ('pending', 'accepted', 'declined')),
    created_at   INTEGER NOT NULL,
    decided_at   INTEGER
);
CREATE INDEX idea_interests_idea ON idea_interests (idea_id, id);

-- Feed items about an idea point to it, so withdrawing it takes them off
-- every screen.
ALTER TABLE activity ADD COLUMN idea_id INTEGER REFERENCES ideas (id) ON DELETE SET NULL;

-- The hub's own random secrets (the key of the supporters' hashes), made
-- on first use.
CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- ideas_revision moves with every change to an idea or what it seeks,
-- whichever process makes it, so the board's search index in memory knows
-- when to read the ideas again (db/ideaindex.go).
CREATE TABLE ideas_revision (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO ideas_revision (id, value) VALUES (1, 0);
CREATE TRIGGER ideas_changed_insert AFTER INSERT ON ideas BEGIN UPDATE ideas_revision SET value = value + 1; END;
CREATE TRIGGER ideas_changed_update AFTER UPDATE ON ideas BEGIN UPDATE ideas_revision SET value = value + 1; END;
CREATE TRIGGER ideas_changed_delete AFTER DELETE ON ideas BEGIN UPDATE ideas_revision SET value = value + 1; END;
CREATE TRIGGER idea_seeking_changed_insert AFTER INSERT ON idea_seeking BEGIN UPDATE ideas_revision SET value = value + 1; END;
CREATE TRIGGER idea_seeking_changed_delete AFTER DELETE ON idea_seeking BEGIN UPDATE ideas_revision SET value = value + 1; END;
