package db

import (
	"context"
	"database/sql"
	"time"
)

// SignupData is everything stored about one signup, for the person's own
// copy (GDPR article 15).
type SignupData struct {
	Signup     *Signup        `json:"signup"`
	EventTitle string         `json:"event_title"`
	EventSlug  string         `json:"event_slug"`
	EventStart time.Time      `json:"event_starts_at"`
	History    []HistoryEntry `json:"history"`
	// ShownOnScreen is how the live screen named the person, if at all.
	ShownOnScreen []string `json:"shown_on_screen"`
}

// SignupDataByToken gathers everything stored about a signup.
func (s *Store) SignupDataByToken(ctx context.Context, token string) (*SignupData, error) {
	su, err := s.SignupByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	e, err := s.EventByID(ctx, su.EventID)
	if err != nil {
		return nil, err
	}
	hist, err := s.SignupHistory(ctx, su.ID)
	if err != nil {
		return nil, err
	}
	d := &SignupData{Signup: su, EventTitle: e.Title, EventSlug: e.Slug, EventStart: e.StartsAt, History: hist, ShownOnScreen: []string{}}
	rows, err := s.read.QueryContext(ctx, `SELECT actor_name, actor_org FROM activity WHERE signup_id = ? AND visible = 1`, su.ID)
	if err != nil {
		return nil, Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, org string
		if err := rows.Scan(&name, &org); err != nil {
			return nil, Internal(err)
		}
		if name != "" {
			d.ShownOnScreen = append(d.ShownOnScreen, name+" "+org)
		}
	}
	return d, rows.Err()
}

// EraseSignup deletes a signup and everything stored about it (GDPR article
// 17): the row, its history, and its name on the live feed, which is taken
// off every screen. Seats it held go to the waiting list. It returns the
// event's slug.
func (s *Store) EraseSignup(ctx context.Context, token string) (string, error) {
	var slug string
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		su, err := s.signupBy(ctx, tx, token)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT slug FROM events WHERE id = ?`, su.EventID).Scan(&slug); err != nil {
			return Internal(err)
		}
		// Take its feed items off every screen, then forget who they named.
		if _, err := s.hideItems(ctx, tx, `signup_id = ?`, su.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE activity SET visible = 0, actor_name = '', actor_org = '', signup_id = NULL
			WHERE signup_id = ?`, su.ID); err != nil {
			return Internal(err)
		}
		// Its messages, sent or not, keep no address (db/mail.go).
		if err := s.eraseMail(ctx, tx, `signup_id = ?`, su.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM signups WHERE id = ?`, su.ID); err != nil {
			return Internal(err)
		}
		if su.Status == StatusConfirmed {
			return s.promoteWaiting(ctx, tx, su.EventID, ReasonFreed, ActorSystem)
		}
		return nil
	})
	return slug, err
}
