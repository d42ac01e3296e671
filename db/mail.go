package db

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// What a queued message says. The sender renders each kind from the rows
// it refers to (handlers/mail.go); a new kind needs a case there and its
// texts in the catalog.
const (
	MailSignupConfirmed = "signup.confirmed" // with the manage link, the .ics and the check-in code
	MailSignupWaiting   = "signup.waiting"   // data: place
	MailSignupPromoted  = "signup.promoted"  // moved up from the waiting list
	MailSignupLink      = "signup.link"      // the manage link again, after a duplicate attempt
	MailSignupReminder  = "signup.reminder"
	MailEventChanged    = "event.changed"   // data: old_starts, old_place
	MailEventCancelled  = "event.cancelled" //
	MailIdeaReceived    = "idea.received"   // with the private link
	MailIdeaPublished   = "idea.published"
	MailIdeaRejected    = "idea.rejected"        // data: reason
	MailInterestAsked   = "interest.asked"       // to the idea's owner
	MailInterestOwner   = "interest.accepted"    // to the owner: the requester's contact details
	MailInterestAsker   = "interest.accepted_to" // to the requester: the owner's contact details
)

// Outbox statuses.
const (
	MailPending = "pending"
	MailSending = "sending" // claimed by a sender until lease_until
	MailSent    = "sent"
	MailFailed  = "failed" // refused for good (5xx) or given up on; last_error says why
	MailErased  = "erased" // its person was erased before it went out
)

// OutboxMail is one queued message: whom it is for, what it is about, and
// how its delivery goes.
type OutboxMail struct {
	ID         int64
	Kind       string
	To         string
	Lang       string
	EventID    int64
	SignupID   int64
	IdeaID     int64
	InterestID int64
	// Data holds the facts of the moment the message reports that the
	// rows may no longer hold when it is sent (the old time of a moved
	// event, the place in line).
	Data map[string]string
	// MessageKey is the Message-ID's left part, fixed when queued.
	MessageKey string
	Status     string
	Attempts   int
	NextAt     time.Time
	LastError  string
	CreatedAt  time.Time
	SentAt     *time.Time
}

// enqueueMail queues m in tx, the transaction that makes what it reports
// true: it is sent if and only if that commits. Only Kind, To, Lang, the
// ids and Data are read. This is the one way a message is queued; the
// waiting-list offers call it like the rest:
//
//	s.enqueueMail(ctx, tx, OutboxMail{Kind: MailOffer, To: su.Email, Lang: su.Lang,
//		EventID: su.EventID, SignupID: su.ID, Data: map[string]string{"expires": "..."}})
func (s *Store) enqueueMail(ctx context.Context, tx *sql.Tx, m OutboxMail) error {
	if m.To == "" {
		return nil // nobody to write to (an erased person)
	}
	if m.Lang == "" {
		m.Lang = "nb"
	}
	data, err := json.Marshal(m.Data)
	if err != nil {
		return Internal(err)
	}
	if m.Data == nil {
		data = []byte("{}")
	}
	now := s.Now().Unix()
	_, err = tx.ExecContext(ctx, `INSERT INTO mail_outbox (kind, recipient, lang, event_id, signup_id, idea_id,
		interest_id, data, message_key, status, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
		m.Kind, m.To, m.Lang, nullID(m.EventID), nullID(m.SignupID), nullID(m.IdeaID), nullID(m.InterestID),
		string(data), NewToken(), now, now)
	if err != nil {
		return Internal(fmt.Errorf("queue %s mail: %w", m.Kind, err))
	}
	return nil
}

// mailSignup queues a message of kind about su to su.
func (s *Store) mailSignup(ctx context.Context, tx *sql.Tx, kind string, su *Signup, data map[string]string) error {
	return s.enqueueMail(ctx, tx, OutboxMail{Kind: kind, To: su.Email, Lang: su.Lang, EventID: su.EventID, SignupID: su.ID, Data: data})
}

// mailSignupsOf queues a message of kind to every live signup (confirmed
// or waiting) of an event: it changed or was cancelled.
func (s *Store) mailSignupsOf(ctx context.Context, tx *sql.Tx, kind string, eventID int64, data map[string]string) error {
	signups, err := s.querySignups(ctx, tx, `s.event_id = ? AND s.status <> 'cancelled' ORDER BY s.id`, eventID)
	if err != nil {
		return err
	}
	for _, su := range signups {
		if err := s.mailSignup(ctx, tx, kind, su, data); err != nil {
			return err
		}
	}
	return nil
}

// Erasing a person, or purging their data after its time (privacy.go's
// hooks), blanks their messages too: sent or not, none keeps an address.
func init() {
	EraseSignupHooks = append(EraseSignupHooks, func(ctx context.Context, tx *sql.Tx, id int64) error {
		return eraseMail(ctx, tx, `signup_id = ?`, id)
	})
	EraseIdeaContactHooks = append(EraseIdeaContactHooks, func(ctx context.Context, tx *sql.Tx, id int64) error {
		return eraseMail(ctx, tx, `idea_id = ?`, id)
	})
	EraseInterestContactHooks = append(EraseInterestContactHooks, func(ctx context.Context, tx *sql.Tx, id int64) error {
		return eraseMail(ctx, tx, `interest_id = ?`, id)
	})
}

// eraseMail forgets the personal data in the messages for the rows where
// (a condition on mail_outbox, e.g. "signup_id = ?") holds: the address
// and the facts are blanked, and a message not yet sent never will be. The
// row stays, without a person, so the outbox's counts stay true.
func eraseMail(ctx context.Context, tx *sql.Tx, where string, args ...any) error {
	_, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET recipient = '', data = '{}',
		status = CASE WHEN status IN ('pending', 'sending') THEN 'erased' ELSE status END,
		signup_id = NULL, interest_id = NULL, lease_until = NULL
		WHERE `+where, args...)
	if err != nil {
		return Internal(fmt.Errorf("erase mail: %w", err))
	}
	return nil
}

const outboxColumns = `id, kind, recipient, lang, coalesce(event_id, 0), coalesce(signup_id, 0), coalesce(idea_id, 0),
	coalesce(interest_id, 0), data, message_key, status, attempts, next_at, last_error, created_at, sent_at`

func scanOutbox(row interface{ Scan(...any) error }) (*OutboxMail, error) {
	var m OutboxMail
	var data string
	var next, created int64
	var sent sql.NullInt64
	if err := row.Scan(&m.ID, &m.Kind, &m.To, &m.Lang, &m.EventID, &m.SignupID, &m.IdeaID, &m.InterestID,
		&data, &m.MessageKey, &m.Status, &m.Attempts, &next, &m.LastError, &created, &sent); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(data), &m.Data); err != nil {
		return nil, err
	}
	m.NextAt, m.CreatedAt = time.Unix(next, 0), time.Unix(created, 0)
	if sent.Valid {
		t := time.Unix(sent.Int64, 0)
		m.SentAt = &t
	}
	return &m, nil
}

// ClaimMail takes the next message due for sending and leases it to the
// caller until now+lease: no other sender takes it meanwhile. A message
// whose lease ran out (its sender died) is due again. Each claim counts as
// an attempt. It returns nil when nothing is due.
//
// A sender that sent a message and died before recording it (RecordMail)
// sends it again once the lease runs out: delivery is at least once, never
// at most once, and the message keeps its Message-ID (MessageKey), so the
// recipient's mail program can tell the copy.
func (s *Store) ClaimMail(ctx context.Context, lease time.Duration) (*OutboxMail, error) {
	batch, err := s.ClaimMailBatch(ctx, lease, 1)
	if err != nil || len(batch) == 0 {
		return nil, err
	}
	return batch[0], nil
}

// ClaimMailBatch is ClaimMail for up to max messages at once, oldest due
// first, in one transaction. A sender works through a batch and records
// the outcomes in one more (RecordMail): two writes per batch instead of
// two per message, which under a room's burst of signups kept the write
// lock from the signups themselves.
func (s *Store) ClaimMailBatch(ctx context.Context, lease time.Duration, max int) ([]*OutboxMail, error) {
	var batch []*OutboxMail
	err := s.inPrivateWrite(ctx, func(tx *sql.Tx) error {
		batch = batch[:0]
		now := s.Now()
		rows, err := tx.QueryContext(ctx, `UPDATE mail_outbox SET status = 'sending', attempts = attempts + 1, lease_until = ?
			WHERE id IN (SELECT id FROM mail_outbox
				WHERE (status = 'pending' AND next_at <= ?) OR (status = 'sending' AND lease_until <= ?)
				ORDER BY next_at, id LIMIT ?)
			RETURNING `+outboxColumns, now.Add(lease).Unix(), now.Unix(), now.Unix(), max)
		if err != nil {
			return Internal(err)
		}
		defer rows.Close()
		for rows.Next() {
			m, err := scanOutbox(rows)
			if err != nil {
				return Internal(err)
			}
			batch = append(batch, m)
		}
		return rows.Err()
	})
	// RETURNING gives the rows in no promised order: oldest due first.
	slices.SortFunc(batch, func(a, b *OutboxMail) int {
		return cmp.Or(a.NextAt.Compare(b.NextAt), cmp.Compare(a.ID, b.ID))
	})
	return batch, err
}

// MailOutcome is what became of one claimed message: sent, failed for
// good (Failed, with the Reason), or to be tried again at Next (Reason).
type MailOutcome struct {
	ID     int64
	Sent   bool
	Failed bool
	Reason string
	Next   time.Time
}

// MarkMailSent records that message id was accepted by the mail server.
func (s *Store) MarkMailSent(ctx context.Context, id int64) error {
	return s.RecordMail(ctx, MailOutcome{ID: id, Sent: true})
}

// RetryMail records a temporary failure: the message is due again at next.
func (s *Store) RetryMail(ctx context.Context, id int64, reason string, next time.Time) error {
	return s.RecordMail(ctx, MailOutcome{ID: id, Reason: reason, Next: next})
}

// FailMail records that message id will not be delivered, and why (the
// server's answer), for organisers to read at /admin/mail.
func (s *Store) FailMail(ctx context.Context, id int64, reason string) error {
	return s.RecordMail(ctx, MailOutcome{ID: id, Failed: true, Reason: reason})
}

// RecordMail records what became of claimed messages, in one transaction.
// A message erased while it was being sent stays erased.
func (s *Store) RecordMail(ctx context.Context, outcomes ...MailOutcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	return s.inPrivateWrite(ctx, func(tx *sql.Tx) error {
		for _, o := range outcomes {
			var err error
			switch {
			case o.Sent:
				_, err = tx.ExecContext(ctx, `UPDATE mail_outbox SET status = 'sent', sent_at = ?, lease_until = NULL, last_error = ''
					WHERE id = ? AND status = 'sending'`, s.Now().Unix(), o.ID)
			case o.Failed:
				_, err = tx.ExecContext(ctx, `UPDATE mail_outbox SET status = 'failed', lease_until = NULL, last_error = ?
					WHERE id = ? AND status = 'sending'`, o.Reason, o.ID)
			default:
				_, err = tx.ExecContext(ctx, `UPDATE mail_outbox SET status = 'pending', next_at = ?, lease_until = NULL, last_error = ?
					WHERE id = ? AND status = 'sending'`, o.Next.Unix(), o.Reason, o.ID)
			}
			if err != nil {
				return Internal(err)
			}
		}
		return nil
	})
}

// MailWithRecipient returns which of the messages ids still hold their
// recipient: not erased with the person (by their own wish or by the
// retention job) and not gone. Copies of a message kept outside the
// database (the mail folder's .eml files) must follow it.
func (s *Store) MailWithRecipient(ctx context.Context, ids []int64) (map[int64]bool, error) {
	keep := make(map[int64]bool, len(ids))
	for len(ids) > 0 {
		batch := ids[:min(len(ids), 500)] // under SQLite's limit on parameters
		ids = ids[len(batch):]
		args := make([]any, len(batch))
		for i, id := range batch {
			args[i] = id
		}
		rows, err := s.read.QueryContext(ctx, `SELECT id FROM mail_outbox WHERE recipient != '' AND id IN (?`+
			strings.Repeat(", ?", len(batch)-1)+`)`, args...)
		if err != nil {
			return nil, Internal(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, Internal(err)
			}
			keep[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, Internal(err)
		}
	}
	return keep, nil
}

// MailFilter picks messages for the organisers' list.
type MailFilter struct {
	Status string // "": any
	Limit  int    // 0: 200
}

// ListMail returns queued and sent messages, newest first.
func (s *Store) ListMail(ctx context.Context, f MailFilter) ([]*OutboxMail, error) {
	if f.Limit <= 0 {
		f.Limit = 200
	}
	q := `SELECT ` + outboxColumns + ` FROM mail_outbox`
	args := []any{}
	if f.Status != "" {
		q += ` WHERE status = ?`
		args = append(args, f.Status)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, Internal(err)
	}
	defer rows.Close()
	var out []*OutboxMail
	for rows.Next() {
		m, err := scanOutbox(rows)
		if err != nil {
			return nil, Internal(err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// MailCounts counts the outbox's messages by status.
func (s *Store) MailCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT status, count(*) FROM mail_outbox GROUP BY status`)
	if err != nil {
		return nil, Internal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, Internal(err)
		}
		out[st] = n
	}
	return out, rows.Err()
}

// MailOutboxState is the outbox as the metrics report it.
type MailOutboxState struct {
	Waiting  int // pending or being sent: not yet delivered
	Retrying int // of those, the ones whose last attempt failed for now (a 4xx, no connection)
	Failed   int // refused for good or given up on
}

// MailOutboxState counts the messages not delivered. The index on
// (status, next_at) takes the query past the sent messages, which are
// nearly all of them; it runs at each scrape of the metrics.
func (s *Store) MailOutboxState(ctx context.Context) (MailOutboxState, error) {
	var st MailOutboxState
	err := s.read.QueryRowContext(ctx, `SELECT
			count(*) FILTER (WHERE status IN ('pending', 'sending')),
			count(*) FILTER (WHERE status IN ('pending', 'sending') AND last_error <> ''),
			count(*) FILTER (WHERE status = 'failed')
		FROM mail_outbox WHERE status IN ('pending', 'sending', 'failed')`).Scan(&st.Waiting, &st.Retrying, &st.Failed)
	if err != nil {
		return st, Internal(err)
	}
	return st, nil
}

// DefaultRemindHours is how long before an event its people are reminded,
// unless the event says otherwise (events.remind_hours; 0: no reminder).
const DefaultRemindHours = 24

// EnqueueReminders queues the reminder of every confirmed signup whose
// event starts within its reminder time, once per signup (a unique index
// holds it to one, however often this runs, and from however many
// processes). A signup made within that time gets none: its confirmation
// came moments ago. It returns how many it queued.
func (s *Store) EnqueueReminders(ctx context.Context) (int, error) {
	n := 0
	err := s.inPrivateWrite(ctx, func(tx *sql.Tx) error {
		now := s.Now().Unix()
		signups, err := s.querySignups(ctx, tx, `s.status = 'confirmed' AND s.event_id IN (
				SELECT e.id FROM events e WHERE e.status = 'published' AND e.remind_hours > 0
				AND e.starts_at > ? AND e.starts_at - e.remind_hours * 3600 <= ?)
			AND s.created_at < (SELECT e.starts_at - e.remind_hours * 3600 FROM events e WHERE e.id = s.event_id)
			AND NOT EXISTS (SELECT 1 FROM mail_outbox m WHERE m.signup_id = s.id AND m.kind = 'signup.reminder')
			ORDER BY s.id`, now, now)
		if err != nil {
			return err
		}
		for _, su := range signups {
			if err := s.mailSignup(ctx, tx, MailSignupReminder, su, nil); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// MailManageLink sends the manage link of the live signup that address has
// for an event to that address again: someone tried to sign it up twice,
// and the owner of the address may have lost the link. Whoever typed the
// address learns nothing from it, and the owner gets at most one such
// message in linkMailInterval, however often it is tried. No live signup:
// nothing happens.
func (s *Store) MailManageLink(ctx context.Context, slug, email string) error {
	return s.inPrivateWrite(ctx, func(tx *sql.Tx) error {
		e, err := s.eventBy(ctx, tx, "e.slug = ?", slug)
		if err != nil {
			return err
		}
		signups, err := s.querySignups(ctx, tx, liveAtAddress, e.ID, NormalizeEmail(email))
		if err != nil || len(signups) == 0 {
			return err
		}
		su := signups[0]
		var recent int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM mail_outbox WHERE signup_id = ? AND kind = ? AND created_at > ?`,
			su.ID, MailSignupLink, s.Now().Add(-linkMailInterval).Unix()).Scan(&recent); err != nil {
			return Internal(err)
		}
		if recent > 0 {
			return nil
		}
		return s.mailSignup(ctx, tx, MailSignupLink, su, nil)
	})
}

// linkMailInterval: a form submitted again and again mails the link at
// most this often, so the form cannot be used to flood someone's inbox.
const linkMailInterval = 15 * time.Minute

// SignupByID returns a signup by its id (for the mail sender).
func (s *Store) SignupByID(ctx context.Context, id int64) (*Signup, error) {
	list, err := s.querySignups(ctx, s.read, `s.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, NotFoundf("signup.not_found", "no signup %d", id)
	}
	return list[0], nil
}

// InterestByID returns a request to be connected by its id (for the mail
// sender).
func (s *Store) InterestByID(ctx context.Context, id int64) (*Interest, error) {
	return s.interestBy(ctx, s.read, "id = ?", id)
}
