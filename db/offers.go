package db

import (
	"context"
	"database/sql"
	"time"
)

// Waiting-list offers (issue 10). An event may offer freed seats instead
// of confirming them at once (events.offer_hours > 0): the first in line
// whose seats fit is offered them, the seats are held (events.seats_held)
// so that nobody else takes them, and the person has OfferHours to accept
// or decline, through their signup page. An offer is a waiting signup with
// offer_expires_at set; each step goes to signup_history:
//
//	waiting → waiting    offered    the seats are held until the expiry
//	waiting → confirmed  accepted   the confirmation mail follows
//	waiting → cancelled  declined   "I can't come": off the list
//	waiting → cancelled  expired    no answer in time: off the list
//	waiting → waiting    withdrawn  the event was cancelled
//
// A declined or expired offer passes the seats on at once, in the same
// transaction, to the next in line who fits.
//
// An offer left to expire takes its person off the waiting list rather
// than back to their place. An offer unanswered for the whole time most
// often means that plans changed or the address is not read; kept first
// in line, the same person would hold every freed seat for another
// OfferHours, again and again, while everyone behind them waits. The
// expiry mail says so and how to sign up again.

// The range of an offer's validity, in hours. Less than two hours is
// too short to read an e-mail and answer it; the schema's CHECK on
// events.offer_hours repeats the range.
const (
	MinOfferHours     = 2
	MaxOfferHours     = 24 * 14
	DefaultOfferHours = 24 // what the back office's form suggests
)

// More kinds of mail (db/mail.go has the rest).
const (
	MailSignupOffered      = "signup.offered"       // data: expires (Unix seconds)
	MailSignupOfferExpired = "signup.offer_expired" // off the list, and why
)

// offerSeat offers waiting signup id of event e the seats it asks for:
// they are held until the offer expires, OfferHours from now, or at the
// event's start if that comes first (a seat at an event that has begun is
// no use to accept). The person is told by e-mail.
func (s *Store) offerSeat(ctx context.Context, tx *sql.Tx, e *Event, id int64, actor string) error {
	now := s.Now()
	expires := now.Add(time.Duration(e.OfferHours) * time.Hour)
	if e.StartsAt.Before(expires) {
		expires = e.StartsAt
	}
	if _, err := tx.ExecContext(ctx, `UPDATE signups SET offer_expires_at = ?, updated_at = ? WHERE id = ?`,
		expires.Unix(), now.Unix(), id); err != nil {
		return Internal(err)
	}
	if err := s.recordHistory(ctx, tx, id, StatusWaiting, StatusWaiting, ReasonOffered, actor); err != nil {
		return err
	}
	offered, err := s.querySignups(ctx, tx, `s.id = ?`, id)
	if err != nil {
		return err
	}
	return s.mailSignup(ctx, tx, MailSignupOffered, offered[0], map[string]string{"expires": itoa(expires.Unix())})
}

// OfferOpen reports whether su holds an offer that may still be accepted
// at now. The one test of an offer's time: the page, the answer and the
// expiry job all ask it.
func (su *Signup) OfferOpen(now time.Time) bool {
	return su.Status == StatusWaiting && su.OfferExpiresAt != nil && now.Before(*su.OfferExpiresAt)
}

// AcceptOffer confirms the signup the token belongs to, which holds an
// offer of seats: its seats are confirmed and the confirmation mail (with
// the check-in code and the calendar file) is queued. An offer whose time
// has run out is refused with offer.expired, even if the expiry job has
// not yet run: it is expired here and now, and passed on. A signup without
// an open offer (never offered, already answered, withdrawn) is refused
// with offer.not_open. Either refusal leaves the signup as it then is.
func (s *Store) AcceptOffer(ctx context.Context, token string) (*Signup, error) {
	return s.answerOffer(ctx, token, func(tx *sql.Tx, su *Signup) error {
		if _, err := tx.ExecContext(ctx, `UPDATE signups SET status = 'confirmed', offer_expires_at = NULL, updated_at = ? WHERE id = ?`,
			s.Now().Unix(), su.ID); err != nil {
			return Internal(err)
		}
		if err := s.recordHistory(ctx, tx, su.ID, StatusWaiting, StatusConfirmed, ReasonAccepted, ActorResident); err != nil {
			return err
		}
		_, err := s.mailNewSignup(ctx, tx, su.Token)
		return err
	})
}

// DeclineOffer answers an offer with "I can't come": the signup is
// cancelled (it leaves the waiting list too; someone who cannot use a
// seat now is not helped by the next one either, and may sign up again),
// and the seats go to the next in line who fits. Refused as AcceptOffer
// refuses.
func (s *Store) DeclineOffer(ctx context.Context, token string) (*Signup, error) {
	return s.answerOffer(ctx, token, func(tx *sql.Tx, su *Signup) error {
		return s.cancelSignup(ctx, tx, su, ReasonDeclined, "", ActorResident)
	})
}

// answerOffer runs answer on the token's signup if its offer is open. An
// offer found expired is expired in a transaction of its own, which
// commits, and then refused.
func (s *Store) answerOffer(ctx context.Context, token string, answer func(*sql.Tx, *Signup) error) (*Signup, error) {
	expired := false
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		su, err := s.signupBy(ctx, tx, token)
		if err != nil {
			return err
		}
		switch {
		case su.OfferOpen(s.Now()):
			return answer(tx, su)
		case su.Status == StatusWaiting && su.OfferExpiresAt != nil:
			expired = true
			return s.expireOffer(ctx, tx, su)
		default:
			return Conflictf("offer.not_open", "signup %d holds no offer (%s)", su.ID, su.Status)
		}
	})
	if err != nil {
		return nil, err
	}
	if expired {
		return nil, Conflictf("offer.expired", "the offer has expired")
	}
	return s.signupBy(ctx, s.write, token)
}

// expireOffer ends an offer left unanswered: the signup leaves the
// waiting list (see the top of this file for why), is told so, and the
// seats pass to the next in line who fits.
func (s *Store) expireOffer(ctx context.Context, tx *sql.Tx, su *Signup) error {
	if err := s.mailSignup(ctx, tx, MailSignupOfferExpired, su, nil); err != nil {
		return err
	}
	return s.cancelSignup(ctx, tx, su, ReasonExpired, "", ActorSystem)
}

// ExpireOffers ends every offer whose time has run out, each in its own
// transaction (the job's unit of work), and returns how many. The job
// runs every minute (handlers/jobs.go); an answer that comes first is
// refused by its own test (AcceptOffer), so the minute's delay never lets
// an expired offer be accepted.
func (s *Store) ExpireOffers(ctx context.Context) (int, error) {
	// Read first, outside a write: on nearly every run there is nothing
	// due, and the job then takes no write lock and moves no revision.
	rows, err := s.read.QueryContext(ctx, `SELECT id FROM signups
		WHERE offer_expires_at IS NOT NULL AND offer_expires_at <= ? ORDER BY offer_expires_at, id`, s.Now().Unix())
	if err != nil {
		return 0, Internal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, Internal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, Internal(err)
	}
	n := 0
	for _, id := range ids {
		err := s.inWrite(ctx, func(tx *sql.Tx) error {
			list, err := s.querySignups(ctx, tx, `s.id = ?`, id)
			if err != nil {
				return err
			}
			// Answered (or erased) since it was read: nothing to do.
			if len(list) == 0 || list[0].OfferExpiresAt == nil || list[0].OfferOpen(s.Now()) {
				return nil
			}
			n++
			return s.expireOffer(ctx, tx, list[0])
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// withdrawOffers takes back the open offers of an event being cancelled:
// there is no seat to offer at an event that will not take place. The
// signups stay on the waiting list (the cancellation mail tells them), so
// that publishing the event again offers the seats anew.
func (s *Store) withdrawOffers(ctx context.Context, tx *sql.Tx, eventID int64) error {
	ids, err := idsOf(ctx, tx, `SELECT id FROM signups WHERE event_id = ? AND offer_expires_at IS NOT NULL ORDER BY id`, eventID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE signups SET offer_expires_at = NULL, updated_at = ? WHERE id = ?`, s.Now().Unix(), id); err != nil {
			return Internal(err)
		}
		if err := s.recordHistory(ctx, tx, id, StatusWaiting, StatusWaiting, ReasonWithdrawn, ActorFrom(ctx)); err != nil {
			return err
		}
	}
	return nil
}
