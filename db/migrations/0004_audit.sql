-- The audit log: every organiser action (from a back-office page or the
-- command line), who did it, when, and what it changed, written in the
-- same transaction as the change so that nothing is done unrecorded.
CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    actor   TEXT    NOT NULL, -- an organiser's e-mail address, or "cli"
    action  TEXT    NOT NULL, -- e.g. "event.capacity", "idea.status"
    subject TEXT    NOT NULL, -- what it was done to: an event's slug, an idea's id …
    before  TEXT    NOT NULL DEFAULT '', -- JSON, '' when there was nothing before
    after   TEXT    NOT NULL DEFAULT ''  -- JSON, '' when nothing is left after
);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
