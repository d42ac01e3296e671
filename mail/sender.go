package mail

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"regexp"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/torghub/torg/db"
)

// Content is one rendered message.
type Content struct {
	Subject     string
	Text        string // the plain-text part
	HTML        string // the HTML part
	Attachments []Attachment
}

// Attachment is a file sent with a message (the event's .ics).
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Renderer turns a queued message into its content, in the recipient's
// language, from the rows it refers to as they are now. An error that
// db.ErrorCode calls ENOTFOUND means those rows are gone (erased,
// withdrawn): the message is not sent.
type Renderer func(ctx context.Context, m *db.OutboxMail) (*Content, error)

// Sender delivers the outbox. Several may run on one database (two
// processes, a restart): each message is claimed with a lease before it is
// sent and marked after, so none is sent by two at once and none is lost.
// A sender that dies between sending and marking leaves the message to be
// sent again after the lease: delivery is at least once, with the same
// Message-ID.
type Sender struct {
	Store     *db.Store
	Render    Renderer
	Transport Transport
	From      *netmail.Address // TORG_MAIL_FROM
	Log       *slog.Logger

	// Lease is how long a claimed message is the claimer's; it must
	// outlast a send (smtpTimeout). Poll is how often the outbox is read.
	Lease, Poll time.Duration
	// Backoff is how long to wait after the attempt'th temporary failure.
	Backoff func(attempt int) time.Duration
	// MaxAttempts: after this many temporary failures the message is
	// marked failed.
	MaxAttempts int
	// ReminderEvery is how often due reminders are queued.
	ReminderEvery time.Duration
	// Busy reports whether people's writes are being made now (NewSender:
	// the store's WritesInFlight); nil: never. While it does, a due
	// message is held back, for at most GiveWay after it fell due.
	// Someone who just pressed "send" waits for the answer on their
	// screen, and the sender's rendering and writing take the same cores
	// and the same write connection; the e-mail about a signup can come
	// a few seconds later. Bounded, so that in a long rush the mail
	// still goes out, later.
	Busy    func() bool
	GiveWay time.Duration
}

// giveWayPause is how often a held message looks again whether the
// writes have stopped.
const giveWayPause = 10 * time.Millisecond

// NewSender makes a sender with the usual timings.
func NewSender(store *db.Store, render Renderer, t Transport, from *netmail.Address, log *slog.Logger) *Sender {
	return &Sender{Store: store, Render: render, Transport: t, From: from, Log: log,
		Lease: 2 * time.Minute, Poll: time.Second, Backoff: Backoff, MaxAttempts: 15, ReminderEvery: time.Minute,
		Busy: func() bool { return store.WritesInFlight() > 0 }, GiveWay: 15 * time.Second}
}

// Backoff doubles from a minute up to an hour: 1, 2, 4 … 32, 60, 60 …
// minutes; fifteen attempts span about nine hours.
func Backoff(attempt int) time.Duration {
	d := time.Minute << min(max(attempt-1, 0), 6)
	return min(d, time.Hour)
}

// ParseFrom reads TORG_MAIL_FROM ("Torg Elverum <torg@elverum.example.no>"
// or a bare address).
func ParseFrom(s string) (*netmail.Address, error) {
	a, err := netmail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("TORG_MAIL_FROM %q: %w", s, err)
	}
	return a, nil
}

// Run sends due messages and queues due reminders until ctx ends.
func (s *Sender) Run(ctx context.Context) {
	s.Log.Info("mail sender started", "to", s.Transport.String())
	poll := time.NewTicker(s.Poll)
	defer poll.Stop()
	var lastReminders time.Time
	for {
		if time.Since(lastReminders) >= s.ReminderEvery {
			lastReminders = time.Now()
			if n, err := s.Store.EnqueueReminders(ctx); err != nil {
				if ctx.Err() == nil {
					s.Log.Warn("queue reminders", "err", err)
				}
			} else if n > 0 {
				s.Log.Info("reminders queued", "count", n)
			}
		}
		if _, err := s.SendDue(ctx); err != nil && ctx.Err() == nil {
			s.Log.Warn("mail outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		}
	}
}

// batchSize is how many messages a sender claims at once (ClaimMailBatch)
// and records at once: two writes a batch instead of two a message. With
// a working server a message takes well under a second, so a batch fits
// in its lease (NewSender: two minutes); when the server stalls, the
// later messages of a batch outlast their lease, and a sender started
// meanwhile (a restart) may send them too: at least once, with the same
// Message-ID, as always.
const batchSize = 25

// SendDue sends every message that is due now, a batch at a time, and
// returns how many it handled.
func (s *Sender) SendDue(ctx context.Context) (int, error) {
	n := 0
	for ctx.Err() == nil {
		batch, err := s.Store.ClaimMailBatch(ctx, s.Lease, batchSize)
		if err != nil || len(batch) == 0 {
			return n, err
		}
		outcomes := make([]db.MailOutcome, 0, len(batch))
		for _, m := range batch {
			s.giveWay(ctx, m)
			if ctx.Err() != nil {
				// Shutting down: what was not tried is due again at once,
				// for the next sender, rather than after its lease.
				outcomes = append(outcomes, db.MailOutcome{ID: m.ID, Reason: "not tried: the server stopped", Next: s.Store.Now()})
				continue
			}
			outcomes = append(outcomes, s.deliver(ctx, m))
			n++
		}
		// What happened is recorded even when a shutdown began meanwhile:
		// a message sent and not recorded would go out again after its
		// lease.
		rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err = s.Store.RecordMail(rec, outcomes...)
		cancel()
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// giveWay holds m back while Busy, until it has been due for GiveWay
// (see there). Its lease (two minutes) outlasts that.
func (s *Sender) giveWay(ctx context.Context, m *db.OutboxMail) {
	if s.Busy == nil {
		return
	}
	due := m.CreatedAt
	if m.NextAt.After(due) {
		due = m.NextAt // a retry is due from its next attempt
	}
	// How long it may still be held, by the store's clock (which tests
	// set), waited out by the real one.
	until := time.Now().Add(s.GiveWay - s.Store.Now().Sub(due))
	for time.Now().Before(until) && s.Busy() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(giveWayPause):
		}
	}
}

// deliver renders, builds and sends one claimed message and says what
// became of it.
func (s *Sender) deliver(ctx context.Context, m *db.OutboxMail) db.MailOutcome {
	log := s.Log.With("mail", m.ID, "kind", m.Kind, "attempt", m.Attempts)
	failed := func(reason string) db.MailOutcome { return db.MailOutcome{ID: m.ID, Failed: true, Reason: reason} }
	content, err := s.Render(ctx, m)
	if err != nil {
		reason := "render: " + err.Error()
		if db.ErrorCode(err) == db.ENOTFOUND {
			reason = "nothing to send: what it is about is gone (" + err.Error() + ")"
		}
		log.Warn("mail not sent", "reason", reason)
		return failed(reason)
	}
	msg, err := s.Build(m, content)
	if err != nil {
		reason := oneLine(withoutAddress(err.Error(), m.To))
		log.Warn("mail not sent", "reason", reason)
		return failed(reason)
	}
	err = s.Transport.Send(ctx, fmt.Sprintf("%d-%s", m.ID, m.Kind), msg)
	if err == nil {
		log.Info("mail handed over", "via", s.Transport.String())
		return db.MailOutcome{ID: m.ID, Sent: true}
	}
	reason := oneLine(withoutAddress(err.Error(), m.To))
	switch {
	case IsPermanent(err):
		log.Warn("mail refused", "reason", reason)
		return failed(reason)
	case ctx.Err() != nil:
		// Cut off by a shutdown: due again at once, for the next sender.
		return db.MailOutcome{ID: m.ID, Reason: reason, Next: s.Store.Now()}
	case m.Attempts >= s.MaxAttempts:
		log.Warn("mail given up", "reason", reason)
		return failed(fmt.Sprintf("gave up after %d attempts: %s", m.Attempts, reason))
	default:
		next := s.Store.Now().Add(s.Backoff(m.Attempts))
		log.Info("mail put off", "reason", reason, "next", next)
		return db.MailOutcome{ID: m.ID, Reason: reason, Next: next}
	}
}

// withoutAddress takes the recipient's address out of a server's answer
// (go-mail and most servers name it), so that neither the log nor
// /admin/mail shows whom a message was for.
func withoutAddress(reason, addr string) string {
	if addr == "" {
		return reason
	}
	return regexp.MustCompile(`(?i)`+regexp.QuoteMeta(addr)).ReplaceAllString(reason, "(recipient)")
}

// Build makes the message: headers through go-mail (addresses parsed,
// the subject encoded, so no text can add a header), the plain-text part,
// the HTML part as its alternative, and the attachments.
func (s *Sender) Build(m *db.OutboxMail, c *Content) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.FromFormat(s.From.Name, s.From.Address); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, &Permanent{Err: fmt.Errorf("to: %w", err)}
	}
	msg.Subject(oneLine(c.Subject))
	msg.SetMessageIDWithValue(m.MessageKey + "@" + domainOf(s.From.Address))
	msg.SetDateWithValue(s.Store.Now())
	// Replies and vacation notices to a hub's message have nowhere to go.
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, c.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, c.HTML)
	for _, a := range c.Attachments {
		if err := msg.AttachReader(a.Name, bytes.NewReader(a.Data), gomail.WithFileContentType(gomail.ContentType(a.ContentType))); err != nil {
			return nil, fmt.Errorf("attach %s: %w", a.Name, err)
		}
	}
	return msg, nil
}

// oneLine folds every line break and control character to a space: a
// subject or a reason stays one line, whatever a title held.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f || r == '\u2028' || r == '\u2029' }), " ")
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i < len(addr)-1 {
		return addr[i+1:]
	}
	return "torg.invalid"
}
