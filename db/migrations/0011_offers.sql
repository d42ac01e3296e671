-- Waiting-list offers (issue 10): per event, freed seats either go to the
-- waiting list at once (offer_hours = 0, as before) or are offered, in
-- line order, to those who fit, each offer valid for offer_hours (at
-- least 2; db/offers.go).
ALTER TABLE events ADD COLUMN offer_hours INTEGER NOT NULL DEFAULT 0
    CHECK (offer_hours = 0 OR offer_hours BETWEEN 2 AND 336);

-- A waiting signup with an offer: until when it may accept. NULL without
-- one; set only while the signup is waiting (every change of status
-- clears it). The offer's steps go to signup_history.
ALTER TABLE signups ADD COLUMN offer_expires_at INTEGER;
CREATE INDEX signups_offer_expiry ON signups (offer_expires_at) WHERE offer_expires_at IS NOT NULL;

-- The seats held for open offers, kept in the event's row by the same
-- triggers as seats_taken (0002_event_counts.sql): nobody else may take
-- them, and "seats left" does not promise them to others.
ALTER TABLE events ADD COLUMN seats_held INTEGER NOT NULL DEFAULT 0;

DROP TRIGGER signups_count_insert;
DROP TRIGGER signups_count_delete;
DROP TRIGGER signups_count_update;

CREATE TRIGGER signups_count_insert AFTER INSERT ON signups BEGIN
    UPDATE events SET
        seats_taken = seats_taken + CASE WHEN NEW.status = 'confirmed' THEN NEW.seats ELSE 0 END,
        waiting     = waiting + CASE WHEN NEW.status = 'waiting' THEN 1 ELSE 0 END,
        seats_held  = seats_held + CASE WHEN NEW.status = 'waiting' AND NEW.offer_expires_at IS NOT NULL THEN NEW.seats ELSE 0 END
    WHERE id = NEW.event_id;
END;

CREATE TRIGGER signups_count_delete AFTER DELETE ON signups BEGIN
    UPDATE events SET
        seats_taken = seats_taken - CASE WHEN OLD.status = 'confirmed' THEN OLD.seats ELSE 0 END,
        waiting     = waiting - CASE WHEN OLD.status = 'waiting' THEN 1 ELSE 0 END,
        seats_held  = seats_held - CASE WHEN OLD.status = 'waiting' AND OLD.offer_expires_at IS NOT NULL THEN OLD.seats ELSE 0 END
    WHERE id = OLD.event_id;
END;

CREATE TRIGGER signups_count_update AFTER UPDATE OF status, seats, event_id, offer_expires_at ON signups BEGIN
    UPDATE events SET
        seats_taken = seats_taken - CASE WHEN OLD.status = 'confirmed' THEN OLD.seats ELSE 0 END,
        waiting     = waiting - CASE WHEN OLD.status = 'waiting' THEN 1 ELSE 0 END,
        seats_held  = seats_held - CASE WHEN OLD.status = 'waiting' AND OLD.offer_expires_at IS NOT NULL THEN OLD.seats ELSE 0 END
    WHERE id = OLD.event_id;
    UPDATE events SET
        seats_taken = seats_taken + CASE WHEN NEW.status = 'confirmed' THEN NEW.seats ELSE 0 END,
        waiting     = waiting + CASE WHEN NEW.status = 'waiting' THEN 1 ELSE 0 END,
        seats_held  = seats_held + CASE WHEN NEW.status = 'waiting' AND NEW.offer_expires_at IS NOT NULL THEN NEW.seats ELSE 0 END
    WHERE id = NEW.event_id;
END;
