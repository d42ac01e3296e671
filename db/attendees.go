package db

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Attendees is an event's attendee list as organisers and hosts read it:
// who has a seat, who waits and in which order, and what the caterer needs
// to know.
type Attendees struct {
	Event     *Event
	Confirmed []*Signup // in order of signup
	Waiting   []*Signup // in line order; each one's WaitingPosition is its place

	ConfirmedSeats int
	WaitingSeats   int
	Capacity       int

	// Diets sums up the confirmed signups' diet notes for the caterer,
	// most seats first; NoDietSeats counts the confirmed seats without a
	// note. The waiting list is left out: nobody cooks for it.
	Diets       []DietNote
	NoDietSeats int

	// History holds each listed signup's changes, oldest first, by its
	// id: how it came to be where it is (offered, moved, …).
	History map[int64][]HistoryEntry
}

// DietNote is one diet note and the seats it covers: the seats of every
// confirmed signup that wrote it, however they spelt its case and spaces.
type DietNote struct {
	Note  string // as the first of them wrote it, its spaces tidied
	Seats int
}

// Attendees returns the attendee list of any event, drafts included. The
// event and its signups are read in one transaction, so the totals agree
// with the lists.
func (s *Store) Attendees(ctx context.Context, slug string) (*Attendees, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, Internal(err)
	}
	defer tx.Rollback()
	e, err := s.eventBy(ctx, tx, "e.slug = ?", slug)
	if err != nil {
		return nil, err
	}
	a := &Attendees{Event: e, Capacity: e.Capacity}
	for _, part := range []struct {
		status string
		order  string
		into   *[]*Signup
	}{
		{StatusConfirmed, "s.id", &a.Confirmed},
		{StatusWaiting, lineOf("s"), &a.Waiting},
	} {
		if *part.into, err = s.querySignups(ctx, tx, `s.event_id = ? AND s.status = ? ORDER BY `+part.order, e.ID, part.status); err != nil {
			return nil, err
		}
	}
	for _, su := range a.Waiting {
		a.WaitingSeats += su.Seats
	}
	if a.History, err = eventHistory(ctx, tx, e.ID); err != nil {
		return nil, err
	}
	a.Diets, a.NoDietSeats = sumDiets(a.Confirmed)
	for _, su := range a.Confirmed {
		a.ConfirmedSeats += su.Seats
	}
	return a, nil
}

// sumDiets groups the signups' diet notes for the caterer: notes that
// differ only in case or spacing ("Vegetar", " vegetar ") are one note.
func sumDiets(signups []*Signup) (notes []DietNote, none int) {
	index := map[string]int{}
	for _, su := range signups {
		note, key := groupKey(su.Diet)
		if note == "" {
			none += su.Seats
			continue
		}
		i, ok := index[key]
		if !ok {
			i = len(notes)
			index[key] = i
			notes = append(notes, DietNote{Note: note})
		}
		notes[i].Seats += su.Seats
	}
	slices.SortStableFunc(notes, func(a, b DietNote) int {
		return cmp.Or(cmp.Compare(b.Seats, a.Seats), strings.Compare(strings.ToLower(a.Note), strings.ToLower(b.Note)))
	})
	return notes, none
}

func (s *Store) querySignups(ctx context.Context, q querier, where string, args ...any) ([]*Signup, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+signupColumns+` FROM signups s WHERE `+where, args...)
	if err != nil {
		return nil, Internal(err)
	}
	defer rows.Close()
	var out []*Signup
	for rows.Next() {
		su, err := scanSignup(rows)
		if err != nil {
			return nil, Internal(err)
		}
		out = append(out, su)
	}
	if err := rows.Err(); err != nil {
		return nil, Internal(err)
	}
	return out, nil
}

// attendee returns the signup id of the event, or ENOTFOUND: an organiser's
// page names a signup by its event and id, and a signup of another event is
// not found there.
func (s *Store) attendee(ctx context.Context, q querier, eventID, id int64) (*Signup, error) {
	su, err := scanSignup(q.QueryRowContext(ctx, `SELECT `+signupColumns+` FROM signups s WHERE s.id = ? AND s.event_id = ?`, id, eventID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, NotFoundf("signup.not_found", "no signup %d at event %d", id, eventID)
	}
	if err != nil {
		return nil, Internal(err)
	}
	return su, nil
}

// eventAttendee reads the event of slug and its signup id in tx.
func (s *Store) eventAttendee(ctx context.Context, tx *sql.Tx, slug string, signupID int64) (*Event, *Signup, error) {
	e, err := s.eventBy(ctx, tx, "e.slug = ?", slug)
	if err != nil {
		return nil, nil, err
	}
	su, err := s.attendee(ctx, tx, e.ID, signupID)
	return e, su, err
}

// attendeeSubject is how the audit log names a signup: by its event, so a
// reader knows where, and its id, never the person's name, which the
// person may erase.
func attendeeSubject(slug string, id int64) string { return fmt.Sprintf("%s/%d", slug, id) }

// MoveWaiting moves a signup on an event's waiting list to position (1 is
// next in line); the others keep their order around it. Moving up or down
// one place is a move to WaitingPosition-1 or +1. Nobody is confirmed by a
// move: it changes neither the seats free nor any signup's seats, and
// every waiting signup already needs more seats than are free. The move
// goes to the signup's history and the audit log. A position outside the
// list is refused (field "position"), and so is a signup not waiting.
func (s *Store) MoveWaiting(ctx context.Context, slug string, signupID int64, position int) (*Signup, error) {
	if position < 1 {
		return nil, invalidField("position", "signup.position_range", "position %d: the line starts at 1", position)
	}
	var eventID int64
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		e, su, err := s.eventAttendee(ctx, tx, slug, signupID)
		if err != nil {
			return err
		}
		eventID = e.ID
		if su.Status != StatusWaiting {
			return Conflictf("signup.not_waiting", "signup %d is %s, not waiting", signupID, su.Status)
		}
		ids, keys, err := waitingLine(ctx, tx, e.ID)
		if err != nil {
			return err
		}
		if position > len(ids) {
			return invalidField("position", "signup.position_range", "position %d: the line has %d places", position, len(ids))
		}
		from := slices.Index(ids, signupID) + 1
		if from == position {
			return nil
		}
		// Hand the line's keys, in order, to the signups in their new order.
		ids = slices.Insert(slices.Delete(ids, from-1, from), position-1, signupID)
		now := s.Now().Unix()
		for i, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE signups SET queue_line = ?,
				updated_at = CASE WHEN id = ? THEN ? ELSE updated_at END WHERE id = ?`, keys[i], signupID, now, id); err != nil {
				return Internal(err)
			}
		}
		if err := s.recordHistoryNote(ctx, tx, signupID, StatusWaiting, StatusWaiting, ReasonMoved,
			fmt.Sprintf("%d → %d", from, position), ActorFrom(ctx)); err != nil {
			return err
		}
		return s.audit(ctx, tx, "signup.move", attendeeSubject(slug, signupID),
			map[string]int{"position": from}, map[string]int{"position": position})
	})
	if err != nil {
		return nil, err
	}
	return s.attendee(ctx, s.write, eventID, signupID)
}

// waitingLine returns the ids of an event's waiting signups in line order,
// and their keys in the line, ascending.
func waitingLine(ctx context.Context, tx *sql.Tx, eventID int64) (ids, keys []int64, err error) {
	rows, err := tx.QueryContext(ctx, `SELECT s.id, `+lineOf("s")+` AS line FROM signups s
		WHERE s.event_id = ? AND s.status = 'waiting' ORDER BY line`, eventID)
	if err != nil {
		return nil, nil, Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, key int64
		if err := rows.Scan(&id, &key); err != nil {
			return nil, nil, Internal(err)
		}
		ids, keys = append(ids, id), append(keys, key)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, Internal(err)
	}
	return ids, keys, nil
}

// CancelSignupByOrganiser cancels someone's signup for them, with the
// reason the organiser gives (required, field "reason"), which goes to the
// signup's history. It is the resident's own cancel otherwise: the feed
// items naming them leave every screen and the waiting list moves up into
// the seats freed. Cancelling a cancelled signup changes nothing.
func (s *Store) CancelSignupByOrganiser(ctx context.Context, slug string, signupID int64, reason string) (*Signup, error) {
	reason, err := CheckText("reason", strings.TrimSpace(reason), Lines)
	if err != nil {
		return nil, err
	}
	if reason == "" {
		return nil, invalidField("reason", "signup.cancel_reason_required", "cancelling someone needs a reason")
	}
	var eventID int64
	err = s.inWrite(ctx, func(tx *sql.Tx) error {
		e, su, err := s.eventAttendee(ctx, tx, slug, signupID)
		if err != nil {
			return err
		}
		eventID = e.ID
		if su.Status == StatusCancelled {
			return nil
		}
		if err := s.cancelSignup(ctx, tx, su, ReasonOrganiser, reason, ActorFrom(ctx)); err != nil {
			return err
		}
		return s.audit(ctx, tx, "signup.cancel", attendeeSubject(slug, signupID),
			map[string]string{"status": su.Status}, map[string]string{"status": StatusCancelled, "reason": reason})
	})
	if err != nil {
		return nil, err
	}
	return s.attendee(ctx, s.write, eventID, signupID)
}

// eventHistory reads the history of every signup of an event in one
// query, by signup id.
func eventHistory(ctx context.Context, q querier, eventID int64) (map[int64][]HistoryEntry, error) {
	rows, err := q.QueryContext(ctx, `SELECT h.signup_id, h.at, h.from_status, h.to_status, h.reason, h.note, h.actor
		FROM signup_history h JOIN signups s ON s.id = h.signup_id WHERE s.event_id = ? ORDER BY h.id`, eventID)
	if err != nil {
		return nil, Internal(err)
	}
	defer rows.Close()
	out := map[int64][]HistoryEntry{}
	for rows.Next() {
		var id, at int64
		var h HistoryEntry
		if err := rows.Scan(&id, &at, &h.FromStatus, &h.ToStatus, &h.Reason, &h.Note, &h.Actor); err != nil {
			return nil, Internal(err)
		}
		h.At = time.Unix(at, 0)
		out[id] = append(out[id], h)
	}
	if err := rows.Err(); err != nil {
		return nil, Internal(err)
	}
	return out, nil
}
