package db

import (
	"context"
	"database/sql"
	"strings"
	"time"
	"unicode/utf8"
)

// Activity kinds shown on the live screen.
const (
	ActivitySignup       = "signup"
	ActivityAnnouncement = "announcement"
	ActivityIdea         = "idea"         // an idea published; Text is its title
	ActivityIdeaSupport  = "idea_support" // an idea reached a milestone; Seats is the count
	ActivityConnection   = "connection"   // two businesses connected; ActorOrg and Text name them where both allowed
	ActivityCheckIn      = "checkin"      // a signup's first seats, or a walk-in, arrived; Seats is how many
)

// Activity is one item of the live feed, written in the same transaction as
// what it reports.
type Activity struct {
	ID        int64
	Kind      string
	EventID   int64
	SignupID  int64
	IdeaID    int64
	WalkInID  int64  // a walk-in's arrival (checkins.go)
	ActorName string // already reduced to what the person allowed
	ActorOrg  string
	Text      string
	Seats     int
	Visible   bool // on the screens now (a held item is not, until approved)
	Held      bool // waits for a moderator's approval (feed.go)
	Pinned    bool // at the top of every screen that shows it (feed.go)
	CreatedAt time.Time

	// EventTitle and EventSlug name the event the item belongs to, if any.
	EventTitle string
	EventSlug  string
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// addActivity writes a new feed item, held for a moderator's approval
// when a screen it would reach holds new items (heldSQL). In one
// statement: a signup pays for the hold with no extra round trip.
func (s *Store) addActivity(ctx context.Context, tx *sql.Tx, a Activity) error {
	now := s.Now().Unix()
	_, err := tx.ExecContext(ctx, `INSERT INTO activity (kind, event_id, signup_id, idea_id, walkin_id, actor_name, actor_org, text, seats, visible, held, created_at)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, NOT h, h, ? FROM (SELECT `+heldSQL+` AS h)`,
		a.Kind, nullID(a.EventID), nullID(a.SignupID), nullID(a.IdeaID), nullID(a.WalkInID), a.ActorName, a.ActorOrg, a.Text, a.Seats, now,
		a.EventID, a.EventID, now)
	if err != nil {
		return Internal(err)
	}
	return nil
}

// ActivityHide is an outbox row that tells every screen to remove item
// Text (its id); it is never shown itself.
const ActivityHide = "hide"

// feedKinds are the kinds a screen shows, as an SQL list; IsFeedKind says
// the same in Go.
const feedKinds = `('signup', 'announcement', 'idea', 'idea_support', 'connection', 'checkin')`

// IsFeedKind reports whether a screen shows items of this kind.
func IsFeedKind(kind string) bool {
	switch kind {
	case ActivitySignup, ActivityAnnouncement, ActivityIdea, ActivityIdeaSupport, ActivityConnection, ActivityCheckIn:
		return true
	}
	return false
}

const activityColumns = `a.id, a.kind, coalesce(a.event_id, 0), coalesce(a.signup_id, 0), coalesce(a.idea_id, 0), a.actor_name, a.actor_org,
	a.text, a.seats, a.visible, a.held, a.pinned_at IS NOT NULL, a.created_at, coalesce(e.title, ''), coalesce(e.slug, '')`

func scanActivities(rows *sql.Rows) ([]Activity, error) {
	defer rows.Close()
	var out []Activity
	for rows.Next() {
		var a Activity
		var created int64
		if err := rows.Scan(&a.ID, &a.Kind, &a.EventID, &a.SignupID, &a.IdeaID, &a.ActorName, &a.ActorOrg, &a.Text, &a.Seats,
			&a.Visible, &a.Held, &a.Pinned, &created, &a.EventTitle, &a.EventSlug); err != nil {
			return nil, Internal(err)
		}
		a.CreatedAt = time.Unix(created, 0)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, Internal(err)
	}
	return out, nil
}

// ActivitySince returns every outbox row after id afterID, oldest first, up
// to limit: what the hub has not yet sent.
func (s *Store) ActivitySince(ctx context.Context, afterID int64, limit int) ([]Activity, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+activityColumns+` FROM activity a LEFT JOIN events e ON e.id = a.event_id
		WHERE a.id > ? ORDER BY a.id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, Internal(err)
	}
	return scanActivities(rows)
}

// LastActivityID is the newest outbox row's id, 0 when there is none.
func (s *Store) LastActivityID(ctx context.Context) (int64, error) {
	var id int64
	err := s.read.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM activity`).Scan(&id)
	if err != nil {
		return 0, Internal(err)
	}
	return id, nil
}

// LatestActivity returns the newest visible feed items that are not
// pinned (PinnedActivity has those), newest first; for one event only when
// eventID is not 0 (items of no event, announcements and ideas, belong to
// every screen). upTo bounds the ids, so a snapshot matches what was sent.
func (s *Store) LatestActivity(ctx context.Context, eventID, upTo int64, limit int) ([]Activity, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+activityColumns+` FROM activity a LEFT JOIN events e ON e.id = a.event_id
		WHERE a.visible = 1 AND a.kind IN `+feedKinds+` AND a.id <= ? AND a.pinned_at IS NULL
		AND (? = 0 OR a.event_id = ? OR a.event_id IS NULL)
		ORDER BY a.id DESC LIMIT ?`, upTo, eventID, eventID, limit)
	if err != nil {
		return nil, Internal(err)
	}
	return scanActivities(rows)
}

// Announce puts an organiser's announcement on every screen.
func (s *Store) Announce(ctx context.Context, text string) (int64, error) {
	text, err := CheckText("text", strings.TrimSpace(text), Line)
	if err != nil {
		return 0, err
	}
	if text == "" || utf8.RuneCountInString(text) > 280 {
		return 0, Invalidf("feed.announcement_length", "an announcement is 1 to 280 characters")
	}
	var id int64
	err = s.inWrite(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO activity (kind, text, created_at) VALUES ('announcement', ?, ?)`, text, s.Now().Unix())
		if err != nil {
			return Internal(err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return Internal(err)
		}
		return s.audit(ctx, tx, "feed.announce", itoa(id), nil, map[string]string{"text": text})
	})
	return id, err
}

// HideActivity takes a feed item off every screen; it unpins a pinned
// one, and rejects a held one (it will never be shown). Hiding it again is
// harmless. The id of a held item that was approved leads to the item it
// became.
func (s *Store) HideActivity(ctx context.Context, id int64) error {
	return s.inWrite(ctx, func(tx *sql.Tx) error {
		a, err := s.feedItem(ctx, tx, id)
		if err != nil {
			return err
		}
		if !a.Visible && !a.Held {
			return nil
		}
		if _, err := s.hideItems(ctx, tx, `id = ?`, a.ID); err != nil {
			return err
		}
		before, after := map[string]bool{"visible": true}, map[string]bool{"visible": false}
		if a.Held {
			before, after = map[string]bool{"held": true}, map[string]bool{"held": false}
		}
		if a.Pinned {
			before["pinned"] = true
		}
		return s.audit(ctx, tx, "feed.hide", itoa(a.ID), before, after)
	})
}

// hideItems takes the feed items that match where (a condition on the
// activity table) off every screen: each visible one is marked invisible
// and unpinned, and a hide row in the outbox tells the hub to remove it; a
// held one is rejected, so that no moderator can approve it later (it was
// never on a screen: no hide row). Hiding, cancelling and erasing a
// signup, withdrawing an idea and cancelling an event all come through
// here. It returns how many items it hid or rejected.
func (s *Store) hideItems(ctx context.Context, tx *sql.Tx, where string, args ...any) (int64, error) {
	visible := `visible = 1 AND kind IN ` + feedKinds + ` AND ` + where
	res, err := tx.ExecContext(ctx, `INSERT INTO activity (kind, text, visible, created_at)
		SELECT 'hide', CAST(id AS TEXT), 0, ? FROM activity WHERE `+visible+` ORDER BY id`,
		append([]any{s.Now().Unix()}, args...)...)
	if err != nil {
		return 0, Internal(err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE activity SET visible = 0, pinned_at = NULL WHERE `+visible, args...); err != nil {
		return 0, Internal(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, Internal(err)
	}
	res, err = tx.ExecContext(ctx, `UPDATE activity SET held = 0 WHERE held = 1 AND `+where, args...)
	if err != nil {
		return 0, Internal(err)
	}
	held, err := res.RowsAffected()
	if err != nil {
		return 0, Internal(err)
	}
	return n + held, nil
}

// ScreenCounters are the figures a screen shows; the home page shows
// Signups and KPIs from them too, so the two never disagree.
type ScreenCounters struct {
	// Signups is the people signed up: confirmed seats of published events
	// that have not ended (or of the one event). A cancelled event, a
	// draft, a past event and the waiting list count nothing.
	Signups    int
	Businesses int // distinct organisations among live signups
	CheckedIn  int // seats here now: checked-in seats of confirmed signups, and walk-ins
	SeatsLeft  int // for one event only
	Ideas      int // ideas on the board (PublishedIdeas), on every screen
	Connected  int // businesses connected through ideas (BusinessesConnected), on every screen
	KPIs       []KPI
}

// Counters computes a screen's figures, for every event not yet ended or,
// when eventID is not 0, for that event.
func (s *Store) Counters(ctx context.Context, eventID int64) (ScreenCounters, error) {
	var c ScreenCounters
	now := s.Now().Unix()
	scope := `event_id IN (SELECT id FROM events WHERE status = 'published' AND ends_at >= ?)`
	arg := any(now)
	if eventID != 0 {
		scope, arg = `event_id = ?`, eventID
	}
	// CheckedIn is the seats here now: those of confirmed signups that
	// arrived, and the walk-ins (checkins.go).
	err := s.read.QueryRowContext(ctx, `SELECT
		coalesce(sum(CASE WHEN status = 'confirmed' THEN seats END), 0),
		count(DISTINCT CASE WHEN status <> 'cancelled' AND organization <> '' THEN lower(organization) END),
		coalesce(sum(CASE WHEN status = 'confirmed' THEN checked_in_seats END), 0)
			+ (SELECT coalesce(sum(checked_in_seats), 0) FROM walkins WHERE `+scope+`)
		FROM signups WHERE `+scope, arg, arg).Scan(&c.Signups, &c.Businesses, &c.CheckedIn)
	if err != nil {
		return c, Internal(err)
	}
	if eventID != 0 {
		e, err := s.EventByID(ctx, eventID)
		if err != nil {
			return c, err
		}
		c.SeatsLeft = e.SeatsLeft()
	}
	if c.Ideas, err = s.PublishedIdeas(ctx); err != nil {
		return c, err
	}
	if c.Connected, err = s.BusinessesConnected(ctx); err != nil {
		return c, err
	}
	c.KPIs, err = s.ListKPIs(ctx)
	return c, err
}
