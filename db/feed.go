package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// Feed moderation: organisers pin an item to the top of every screen that
// shows it, and may hold new items until a moderator approves them. The
// live screen's counters are figures, not items: a hold never stops them
// counting.

// MaxPinned is how many items may be pinned at once. The screen of every
// event shows every pin, and each one takes the place of feed items at the
// top of the wall: a few pins say what matters now, more would push the
// live feed off the screen. Pinning one more is refused, not silently
// swapped for an older pin.
const MaxPinned = 3

// SettingFeedHold, "yes", holds every new feed item, on every screen,
// until a moderator approves it. One event's screen is held with
// SetFeedHold(ctx, slug, true).
const SettingFeedHold = "feed_hold"

// Outbox rows that tell the hub the pinned items changed; Text is the
// item's id, EventID its event. Never shown themselves.
const (
	ActivityPin   = "pin"
	ActivityUnpin = "unpin"
)

// A feed item's state, as ListFeed reports and filters it.
const (
	FeedShown  = "visible" // on the screens
	FeedPinned = "pinned"  // on the screens, at the top
	FeedHeld   = "held"    // waits for a moderator
	FeedHidden = "hidden"  // hidden, rejected, or gone with its signup, idea or event
)

// heldSQL decides, inside the write that adds an item, whether the item is
// held: when every screen holds, or when a screen it would reach holds.
// An event's item reaches that event's screen and the screen of every
// event; the rule for the latter is the safe one, so a held event's item
// is held everywhere (the public wall must never show it unreviewed). An
// item of no event (an idea, a milestone, a connection) reaches every
// event's screen too, so it is held while any held event has not ended.
// Arguments: the item's event id (0 for none) twice, then now.
const heldSQL = `(EXISTS (SELECT 1 FROM settings WHERE key = 'feed_hold' AND value = 'yes')
	OR EXISTS (SELECT 1 FROM feed_holds h JOIN events e ON e.id = h.event_id
		WHERE h.event_id = ? OR (? = 0 AND e.ends_at >= ?)))`

// State is the item's state: FeedPinned, FeedShown, FeedHeld or FeedHidden.
func (a Activity) State() string {
	switch {
	case a.Visible && a.Pinned:
		return FeedPinned
	case a.Visible:
		return FeedShown
	case a.Held:
		return FeedHeld
	}
	return FeedHidden
}

// feedItem reads feed item id. A held item that was approved is found
// under the id it had while held too: it leads to the item it became.
func (s *Store) feedItem(ctx context.Context, q querier, id int64) (*Activity, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+activityColumns+` FROM activity a LEFT JOIN events e ON e.id = a.event_id
		WHERE a.id = coalesce((SELECT approved_as FROM activity WHERE id = ?), ?) AND a.kind IN `+feedKinds, id, id)
	if err != nil {
		return nil, Internal(err)
	}
	items, err := scanActivities(rows)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, NotFoundf("feed.not_found", "no feed item %d", id)
	}
	return &items[0], nil
}

// FeedItem returns feed item id as ListFeed reports it, for an organiser's
// page to show one item after acting on it; the id of a held item that
// was approved leads to the item it became.
func (s *Store) FeedItem(ctx context.Context, id int64) (*Activity, error) {
	return s.feedItem(ctx, s.read, id)
}

// PinnedActivity returns the pinned items a screen shows (every screen
// when eventID is 0, else that event's screen), the latest pinned first.
func (s *Store) PinnedActivity(ctx context.Context, eventID int64) ([]Activity, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+activityColumns+` FROM activity a LEFT JOIN events e ON e.id = a.event_id
		WHERE a.pinned_at IS NOT NULL AND a.visible = 1 AND (? = 0 OR a.event_id = ? OR a.event_id IS NULL)
		ORDER BY a.pinned_at DESC, a.id DESC`, eventID, eventID)
	if err != nil {
		return nil, Internal(err)
	}
	return scanActivities(rows)
}

// PinActivity pins a feed item on the screens to the top of every screen
// that shows it. Pinning a pinned item is harmless. Refused: an item not
// on the screens (held, hidden), and a pin beyond MaxPinned.
func (s *Store) PinActivity(ctx context.Context, id int64) error {
	return s.inWrite(ctx, func(tx *sql.Tx) error {
		a, err := s.feedItem(ctx, tx, id)
		if err != nil {
			return err
		}
		switch {
		case a.Pinned && a.Visible:
			return nil
		case !a.Visible:
			return Conflictf("feed.pin_not_shown", "feed item %d is %s, not on the screens", a.ID, a.State())
		}
		var pinned int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM activity WHERE pinned_at IS NOT NULL AND visible = 1`).Scan(&pinned); err != nil {
			return Internal(err)
		}
		if pinned >= MaxPinned {
			return Conflictf("feed.pin_limit", "%d items are pinned already; unpin one first", pinned)
		}
		if err := s.setPinned(ctx, tx, a, true); err != nil {
			return err
		}
		return s.audit(ctx, tx, "feed.pin", itoa(a.ID), map[string]bool{"pinned": false}, map[string]bool{"pinned": true})
	})
}

// UnpinActivity returns a pinned item to its place in the feed (or lets it
// go, if newer items have filled the feed since). Unpinning an item that
// is not pinned is harmless.
func (s *Store) UnpinActivity(ctx context.Context, id int64) error {
	return s.inWrite(ctx, func(tx *sql.Tx) error {
		a, err := s.feedItem(ctx, tx, id)
		if err != nil {
			return err
		}
		if !a.Pinned {
			return nil
		}
		if err := s.setPinned(ctx, tx, a, false); err != nil {
			return err
		}
		return s.audit(ctx, tx, "feed.unpin", itoa(a.ID), map[string]bool{"pinned": true}, map[string]bool{"pinned": false})
	})
}

// setPinned pins or unpins a, and tells the hub in the outbox.
func (s *Store) setPinned(ctx context.Context, tx *sql.Tx, a *Activity, pin bool) error {
	now := s.Now().Unix()
	at, kind := any(now), ActivityPin
	if !pin {
		at, kind = nil, ActivityUnpin
	}
	if _, err := tx.ExecContext(ctx, `UPDATE activity SET pinned_at = ? WHERE id = ?`, at, a.ID); err != nil {
		return Internal(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO activity (kind, event_id, text, visible, created_at) VALUES (?, ?, ?, 0, ?)`,
		kind, nullID(a.EventID), itoa(a.ID), now); err != nil {
		return Internal(err)
	}
	return nil
}

// ApproveActivity puts a held item on the screens. It joins the feed as
// a new item, at the top of every screen, so it gets a new id, which it
// returns; the held id leads to it from then on (HideActivity, PinActivity
// and approving again accept either). Approving an item that is on the
// screens already is harmless. Refused: an item that is hidden (rejected,
// or gone with its signup, idea or event).
func (s *Store) ApproveActivity(ctx context.Context, id int64) (int64, error) {
	var shown int64
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		a, err := s.feedItem(ctx, tx, id)
		if err != nil {
			return err
		}
		switch {
		case a.Visible:
			shown = a.ID
			return nil
		case !a.Held:
			return Conflictf("feed.not_held", "feed item %d is hidden, not held", a.ID)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO activity (kind, event_id, signup_id, idea_id, actor_name, actor_org, text, seats, created_at)
			SELECT kind, event_id, signup_id, idea_id, actor_name, actor_org, text, seats, created_at FROM activity WHERE id = ?`, a.ID)
		if err != nil {
			return Internal(err)
		}
		if shown, err = res.LastInsertId(); err != nil {
			return Internal(err)
		}
		// The held row keeps only the way to its successor: what it
		// showed of a person now lives in one place, which erasure finds.
		if _, err := tx.ExecContext(ctx, `UPDATE activity SET held = 0, approved_as = ?, actor_name = '', actor_org = '' WHERE id = ?`,
			shown, a.ID); err != nil {
			return Internal(err)
		}
		return s.audit(ctx, tx, "feed.approve", itoa(a.ID), map[string]bool{"held": true}, map[string]any{"held": false, "id": shown})
	})
	return shown, err
}

// FeedFilter picks feed items for ListFeed, newest first.
type FeedFilter struct {
	State    string // FeedShown (pinned ones too), FeedPinned, FeedHeld, FeedHidden; "" any
	Event    string // an event's slug: its items only; "" any
	BeforeID int64  // only items older than this id (the next page); 0 from the newest
	Limit    int    // 0: 100
}

// ListFeed returns the feed items that match f, newest first, whatever
// their state (Activity.State): what an organiser moderates. Outbox rows
// that only tell screens what to do are not items and are left out.
func (s *Store) ListFeed(ctx context.Context, f FeedFilter) ([]Activity, error) {
	where := []string{`a.kind IN ` + feedKinds, `a.approved_as IS NULL`}
	var args []any
	switch f.State {
	case "":
	case FeedShown:
		where = append(where, `a.visible = 1`)
	case FeedPinned:
		where = append(where, `a.visible = 1 AND a.pinned_at IS NOT NULL`)
	case FeedHeld:
		where = append(where, `a.held = 1`)
	case FeedHidden:
		where = append(where, `a.visible = 0 AND a.held = 0`)
	default:
		return nil, Invalidf("feed.state_unknown", "unknown feed state %q (visible, pinned, held or hidden)", f.State)
	}
	if f.Event != "" {
		e, err := s.EventBySlug(ctx, f.Event)
		if err != nil {
			return nil, err
		}
		where, args = append(where, `a.event_id = ?`), append(args, e.ID)
	}
	if f.BeforeID > 0 {
		where, args = append(where, `a.id < ?`), append(args, f.BeforeID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+activityColumns+` FROM activity a LEFT JOIN events e ON e.id = a.event_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY a.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, Internal(err)
	}
	return scanActivities(rows)
}

// FeedHold says which screens hold new feed items for approval.
type FeedHold struct {
	All    bool         // every screen (SettingFeedHold)
	Events []HeldScreen // the screens of these events, latest first
}

// HeldScreen is one event whose screen holds new feed items.
type HeldScreen struct {
	Slug  string
	Title string
	Since time.Time
}

// FeedHolds returns which screens hold new feed items.
func (s *Store) FeedHolds(ctx context.Context) (FeedHold, error) {
	var h FeedHold
	all, err := s.Setting(ctx, SettingFeedHold)
	if err != nil {
		return h, err
	}
	h.All = all == "yes"
	rows, err := s.read.QueryContext(ctx, `SELECT e.slug, e.title, h.since FROM feed_holds h JOIN events e ON e.id = h.event_id
		ORDER BY h.since DESC, e.id DESC`)
	if err != nil {
		return h, Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var e HeldScreen
		var since int64
		if err := rows.Scan(&e.Slug, &e.Title, &since); err != nil {
			return h, Internal(err)
		}
		e.Since = time.Unix(since, 0).In(Oslo)
		h.Events = append(h.Events, e)
	}
	if err := rows.Err(); err != nil {
		return h, Internal(err)
	}
	return h, nil
}

// SetFeedHold turns holding new feed items for approval on or off: for
// every screen when event is "", else for the screen of the event with
// that slug. Items held already stay held when it is turned off: each
// still waits for a moderator to approve or hide it. Setting it as it is
// is harmless.
func (s *Store) SetFeedHold(ctx context.Context, event string, hold bool) error {
	return s.inWrite(ctx, func(tx *sql.Tx) error {
		var was bool
		subject := "all"
		if event == "" {
			var value string
			err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, SettingFeedHold).Scan(&value)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return Internal(err)
			}
			if was = value == "yes"; was == hold {
				return nil
			}
			q := `DELETE FROM settings WHERE key = ?`
			if hold {
				q = `INSERT INTO settings (key, value) VALUES (?, 'yes') ON CONFLICT (key) DO UPDATE SET value = excluded.value`
			}
			if _, err := tx.ExecContext(ctx, q, SettingFeedHold); err != nil {
				return Internal(err)
			}
		} else {
			e, err := s.eventBy(ctx, tx, "e.slug = ?", event)
			if err != nil {
				return err
			}
			subject = e.Slug
			if err := tx.QueryRowContext(ctx, `SELECT count(*) > 0 FROM feed_holds WHERE event_id = ?`, e.ID).Scan(&was); err != nil {
				return Internal(err)
			}
			if was == hold {
				return nil
			}
			q, args := `DELETE FROM feed_holds WHERE event_id = ?`, []any{e.ID}
			if hold {
				q, args = `INSERT INTO feed_holds (event_id, since) VALUES (?, ?)`, []any{e.ID, s.Now().Unix()}
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return Internal(err)
			}
		}
		return s.audit(ctx, tx, "feed.hold", subject, map[string]bool{"hold": was}, map[string]bool{"hold": hold})
	})
}
