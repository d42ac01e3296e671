package db

import (
	"context"
	"database/sql"
	"time"
)

// Activity kinds shown on the live screen.
const (
	ActivitySignup       = "signup"
	ActivityAnnouncement = "announcement"
)

// Activity is one item of the live feed, written in the same transaction as
// what it reports.
type Activity struct {
	ID        int64
	Kind      string
	EventID   int64
	SignupID  int64
	ActorName string // already reduced to what the person allowed
	ActorOrg  string
	Text      string
	Seats     int
	Visible   bool
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

func (s *Store) addActivity(ctx context.Context, tx *sql.Tx, a Activity) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO activity (kind, event_id, signup_id, actor_name, actor_org, text, seats, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		a.Kind, nullID(a.EventID), nullID(a.SignupID), a.ActorName, a.ActorOrg, a.Text, a.Seats, s.Now().Unix())
	if err != nil {
		return Internal(err)
	}
	return nil
}
