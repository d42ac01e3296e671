package db

import (
	"context"
	"database/sql"
	"encoding/json"
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
// 17): the row, its history, its name on the live feed, which is taken
// off every screen, and what the audit log copied of it (an organiser's
// cancel reason). Seats it held go to the waiting list. Once committed,
// the WAL is checkpointed so that the old pages leave the -wal too
// (forgetFreedPages). It returns the event's slug.
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
		if err := scrubAudit(ctx, tx, attendeeSubject(slug, su.ID)); err != nil {
			return err
		}
		if err := runErasers(ctx, tx, EraseSignupHooks, su.ID); err != nil {
			return err
		}
		// The history (and its notes) goes with the row: ON DELETE CASCADE.
		if _, err := tx.ExecContext(ctx, `DELETE FROM signups WHERE id = ?`, su.ID); err != nil {
			return Internal(err)
		}
		// Its seats, confirmed or held for its offer, go to the waiting
		// list; the offer goes with the row.
		if su.Status == StatusConfirmed || su.OfferExpiresAt != nil {
			return s.promoteWaiting(ctx, tx, su.EventID, ReasonFreed, ActorSystem)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	s.forgetFreedPages(ctx)
	return slug, nil
}

// Eraser removes, in the erasing transaction, what another part of torg
// holds about one signup, idea or request (its id): the mail outbox's
// messages to the person, say. Registered in the hook lists below from
// the file that owns the table (in an init function), so that erasure
// (EraseSignup) and retention (Purge) clear it too. It runs before the
// row is deleted or blanked: it may still read the row (its e-mail
// address) in tx. An error rolls the whole erasure back. It must change
// nothing outside tx (no files): a dry run (Purge) runs it and rolls
// back.
type Eraser func(ctx context.Context, tx *sql.Tx, id int64) error

// The hooks erasure and retention run, each with the id of what goes:
// EraseSignupHooks for a signup erased by its owner or purged after its
// event; EraseIdeaContactHooks for an idea whose contact data is purged;
// EraseInterestContactHooks for a request to be connected whose
// requester's data is purged.
var (
	EraseSignupHooks          []Eraser
	EraseIdeaContactHooks     []Eraser
	EraseInterestContactHooks []Eraser
)

func runErasers(ctx context.Context, tx *sql.Tx, hooks []Eraser, id int64) error {
	for _, erase := range hooks {
		if err := erase(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}

// personalAuditKeys are the keys of an audit entry's before/after that
// may hold what a person typed or what an organiser wrote about them: a
// walk-in's name, an organiser's cancel reason. Erasure and retention
// drop them; the entry itself (who did what, when) stays.
var personalAuditKeys = []string{"name", "organization", "email", "phone", "diet", "reason", "note", "contact_name", "message"}

// scrubAudit drops personalAuditKeys from the audit entries about subject.
func scrubAudit(ctx context.Context, tx *sql.Tx, subject string) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, before, after FROM audit_log WHERE subject = ?`, subject)
	if err != nil {
		return Internal(err)
	}
	type entry struct {
		id            int64
		before, after string
	}
	var changed []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.id, &e.before, &e.after); err != nil {
			rows.Close()
			return Internal(err)
		}
		b, bc := withoutPersonalKeys(e.before)
		a, ac := withoutPersonalKeys(e.after)
		if bc || ac {
			changed = append(changed, entry{e.id, b, a})
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return Internal(err)
	}
	for _, e := range changed {
		if _, err := tx.ExecContext(ctx, `UPDATE audit_log SET before = ?, after = ? WHERE id = ?`, e.before, e.after, e.id); err != nil {
			return Internal(err)
		}
	}
	return nil
}

// withoutPersonalKeys returns the JSON object js without personalAuditKeys,
// and whether it had any. What is not an object is left as it is.
func withoutPersonalKeys(js string) (string, bool) {
	var m map[string]any
	if js == "" || json.Unmarshal([]byte(js), &m) != nil {
		return js, false
	}
	found := false
	for _, k := range personalAuditKeys {
		if _, ok := m[k]; ok {
			delete(m, k)
			found = true
		}
	}
	if !found {
		return js, false
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "{}", true
	}
	return string(b), true
}

// forgetFreedPages checkpoints the WAL into the database file and
// truncates the -wal to nothing. With secure_delete the erasing
// transaction wrote zeroed pages, but the -wal still holds the earlier
// versions of those pages, name and token included, until a checkpoint
// copies the new ones over and the log is reset. TRUNCATE rather than
// RESTART: RESTART only makes the next writer start again at the top of
// the -wal, and the old frames beyond what it writes stay readable;
// TRUNCATE cuts the file to zero bytes. A reader holding an old snapshot
// makes the checkpoint wait (busy_timeout) or stop short; the erasure
// has committed by then, so it is tried a few times and then left to the
// next erasure, the daily retention job or SQLite's own checkpoints.
func (s *Store) forgetFreedPages(ctx context.Context) bool {
	for attempt := 0; attempt < 3; attempt++ {
		var busy, logFrames, checkpointed int
		err := s.write.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &checkpointed)
		if err == nil && busy == 0 {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
	return false
}

// PrivacyNoticeVersion is the version of the privacy notice (/privacy):
// the date its text last changed in substance. The page shows it and
// each signup records the one its consent was given to. Change it with
// the notice's text (views/i18n, privacy.*).
const PrivacyNoticeVersion = "2026-11-28"
