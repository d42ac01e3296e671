-- Feed moderation: organisers pin items to the top of every screen, and may
-- hold new items until a moderator approves them (db/feed.go).

-- held: 1 while the item waits for a moderator; visible is 0 meanwhile.
-- A rejected item is simply hidden (held 0, visible 0).
ALTER TABLE activity ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
-- pinned_at: when an organiser pinned the item to the top of every screen
-- that shows it; NULL when it is not pinned.
ALTER TABLE activity ADD COLUMN pinned_at INTEGER;
-- approved_as: a held item, once approved, joins the feed as a new item at
-- the top (a new, higher id, so every screen and the feed's order agree on
-- its place); the held row keeps that id here so the id a moderator saw
-- still leads to the item.
ALTER TABLE activity ADD COLUMN approved_as INTEGER;
CREATE INDEX activity_pinned ON activity (pinned_at) WHERE pinned_at IS NOT NULL;
CREATE INDEX activity_held ON activity (id) WHERE held = 1;

-- Events whose screen holds new feed items for approval. Holding every
-- screen is the setting feed_hold ("yes").
CREATE TABLE feed_holds (
    event_id INTEGER PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    since    INTEGER NOT NULL
);
