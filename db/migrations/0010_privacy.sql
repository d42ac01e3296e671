-- Privacy that holds (issue 10): retention, the versioned notice.

-- privacy_version: the version of the privacy notice (db.PrivacyVersion)
-- the person consented to; '' for signups made before notices had one.
ALTER TABLE signups ADD COLUMN privacy_version TEXT NOT NULL DEFAULT '';
-- purged_at: when the retention job (db.Purge) erased the personal data
-- and kept the row for the counts; NULL while it holds them.
ALTER TABLE signups ADD COLUMN purged_at INTEGER;
ALTER TABLE walkins ADD COLUMN purged_at INTEGER;
ALTER TABLE ideas ADD COLUMN purged_at INTEGER;
ALTER TABLE idea_interests ADD COLUMN purged_at INTEGER;

-- A purged signup's e-mail is '', and many of an event's are: the one
-- live signup per address holds for addresses, not for the erased.
DROP INDEX signups_event_email;
CREATE UNIQUE INDEX signups_event_email ON signups (event_id, email) WHERE status <> 'cancelled' AND email <> '';

-- Which organisations came to which event, kept when the signups and
-- walk-ins that said so are purged, so that the dashboard's organisation
-- figures (db.Stats) do not change: an organisation and an event, no
-- person. signed_up and attended as statsOrganisations counts them.
CREATE TABLE organisation_visits (
    event_id     INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    organization TEXT    NOT NULL,
    signed_up    INTEGER NOT NULL CHECK (signed_up IN (0, 1)),
    attended     INTEGER NOT NULL CHECK (attended IN (0, 1)),
    PRIMARY KEY (event_id, organization, signed_up, attended)
) WITHOUT ROWID;
