-- Issue 10: e-mail that arrives. Every message is first a row here,
-- written in the same transaction as what it reports (a signup, a
-- promotion, a cancelled event, an idea's new status ...), so a message is
-- queued exactly when its cause is committed and never otherwise. A
-- background sender (package mail) claims due rows, renders and sends them.
--
-- A row holds references and the facts of the moment (data: the place in
-- line, the old time and place of a moved event), not the rendered text:
-- the message is rendered when it is sent, from the rows it refers to.
-- Personal data in a row is the recipient's address alone; erasing a
-- signup blanks it (db/mail.go eraseMail).
CREATE TABLE mail_outbox (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,             -- what the message says (db/mail.go Mail* constants)
    recipient   TEXT    NOT NULL,             -- the address; '' once erased
    lang        TEXT    NOT NULL DEFAULT 'nb',
    event_id    INTEGER REFERENCES events (id) ON DELETE SET NULL,
    signup_id   INTEGER REFERENCES signups (id) ON DELETE SET NULL,
    idea_id     INTEGER REFERENCES ideas (id) ON DELETE SET NULL,
    interest_id INTEGER REFERENCES idea_interests (id) ON DELETE SET NULL,
    data        TEXT    NOT NULL DEFAULT '{}', -- JSON: facts as they were when queued
    -- The random left part of the Message-ID, fixed when queued, so a
    -- message sent twice (sent, then a crash before it was marked) is one
    -- message to the receiving side.
    message_key TEXT    NOT NULL UNIQUE,
    status      TEXT    NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'erased')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     INTEGER NOT NULL,             -- not to be sent before (backoff)
    lease_until INTEGER,                      -- while 'sending': a sender's claim
    last_error  TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    sent_at     INTEGER
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_at);
CREATE INDEX mail_outbox_signup ON mail_outbox (signup_id);
CREATE INDEX mail_outbox_idea ON mail_outbox (idea_id);
CREATE INDEX mail_outbox_interest ON mail_outbox (interest_id);
-- One reminder per signup, however often the job runs.
CREATE UNIQUE INDEX mail_outbox_reminder ON mail_outbox (signup_id) WHERE kind = 'signup.reminder';

-- How many hours before an event its people get a reminder; 0: none.
ALTER TABLE events ADD COLUMN remind_hours INTEGER NOT NULL DEFAULT 24 CHECK (remind_hours >= 0);
