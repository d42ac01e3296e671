package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// Signup statuses.
const (
	StatusConfirmed = "confirmed"
	StatusWaiting   = "waiting"
	StatusCancelled = "cancelled"
)

// How a person may be shown on the live screen.
const (
	ShowFull  = "full"  // "Kari Nordmann from Sykehuset Innlandet"
	ShowFirst = "first" // "Kari from Sykehuset Innlandet"
	ShowNone  = "none"  // "A new participant"
)

// Why a signup's status changed, as written to its history.
const (
	ReasonSignup   = "signup"
	ReasonCancel   = "cancel"
	ReasonCapacity = "capacity" // seats freed by an organiser raising capacity
	ReasonFreed    = "freed"    // seats freed by a cancellation
	// ReasonOrganiser: an organiser cancelled the signup; the history's
	// note holds the reason they gave.
	ReasonOrganiser = "organiser"
	// ReasonMoved: an organiser moved the signup in the waiting line; the
	// note says from which place to which ("3 → 1").
	ReasonMoved = "moved"
	// The steps of a waiting-list offer (offers.go): made, accepted,
	// declined, left unanswered until it expired, or withdrawn because
	// the event was cancelled.
	ReasonOffered   = "offered"
	ReasonAccepted  = "accepted"
	ReasonDeclined  = "declined"
	ReasonExpired   = "expired"
	ReasonWithdrawn = "withdrawn"
)

// Who changed a signup, as written to its history.
const (
	ActorResident = "resident"
	ActorSystem   = "system"
)

// Signup is one person's (or group's) place at an event.
type Signup struct {
	ID           int64     `json:"id"`
	EventID      int64     `json:"event_id"`
	Token        string    `json:"token"`
	Name         string    `json:"name"`
	Email        string    `json:"email"`
	Phone        string    `json:"phone"`
	Organization string    `json:"organization"`
	Diet         string    `json:"diet"`
	Seats        int       `json:"seats"`
	ShowName     string    `json:"show_name"`
	Status       string    `json:"status"`
	Lang         string    `json:"lang"`
	ConsentAt    time.Time `json:"consent_at"`
	// PrivacyVersion is the version of the privacy notice consented to
	// (PrivacyNoticeVersion when the signup was made).
	PrivacyVersion string     `json:"privacy_version"`
	CheckedInAt    *time.Time `json:"checked_in_at"` // when the first of its seats arrived
	// CheckInCode is what the signup's QR code holds (checkins.go); not
	// the token, which is the key to cancel and erase.
	CheckInCode    string    `json:"checkin_code"`
	CheckedInSeats int       `json:"checked_in_seats"` // how many of Seats have arrived
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`

	// WaitingPosition is the place in line (1 is next), 0 unless waiting.
	WaitingPosition int `json:"waiting_position"`
	// OfferExpiresAt: while waiting with an offer of a seat, until when
	// it may be accepted (offers.go); nil otherwise.
	OfferExpiresAt *time.Time `json:"offer_expires_at,omitempty"`
}

// The seats one signup may take: a person alone or with a few colleagues.
// The signup form offers this range and checks it; the schema's CHECK on
// signups.seats (migrations/0001_init.sql) repeats it.
const (
	MinSeats = 1
	MaxSeats = 5
)

// NewSignup is what a resident submits; the handler has validated it.
type NewSignup struct {
	Name         string
	Email        string
	Phone        string
	Organization string
	Diet         string
	Seats        int
	ShowName     string
	Lang         string
}

// NewToken returns a fresh URL-safe secret of 144 random bits.
func NewToken() string {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on a supported platform
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// CreateSignup signs a person up for an event. Capacity is decided inside the
// write transaction: the signup is confirmed if its seats fit, otherwise it
// joins the end of the waiting list. A second live signup for the same
// address fails with ECONFLICT.
func (s *Store) CreateSignup(ctx context.Context, slug string, in NewSignup) (*Signup, error) {
	for _, f := range []struct {
		name string
		text *string
		kind TextKind
	}{
		{"name", &in.Name, Name}, {"email", &in.Email, Line}, {"phone", &in.Phone, Line},
		{"organization", &in.Organization, Line}, {"diet", &in.Diet, Lines},
		{"show_name", &in.ShowName, Line}, {"lang", &in.Lang, Line},
	} {
		text, err := CheckText(f.name, strings.TrimSpace(*f.text), f.kind)
		if err != nil {
			return nil, err
		}
		*f.text = text
	}
	if in.Name == "" {
		// The form asks for it; here it also stops a name that was only
		// invisible characters (CheckText drops them) reaching the wall.
		return nil, invalidField("name", "validation.name.required", "a signup needs a name")
	}
	in.Email = NormalizeEmail(in.Email)
	var err error
	if in.Phone, err = cleanPhone(in.Phone); err != nil {
		return nil, err
	}
	if in.Seats < MinSeats || in.Seats > MaxSeats {
		return nil, &Error{Code: EINVALID, Key: "signup.seats_range", Field: "seats",
			Detail: fmt.Sprintf("seats must be %d to %d", MinSeats, MaxSeats)}
	}
	if in.ShowName == "" {
		in.ShowName = ShowNone
	}
	if !contains([]string{ShowFull, ShowFirst, ShowNone}, in.ShowName) {
		// The schema's CHECK would refuse it too, but as a failed write (500).
		return nil, &Error{Code: EINVALID, Key: "signup.show_name_unknown", Field: "show_name",
			Detail: fmt.Sprintf("show_name is %s, %s or %s (got %q)", ShowFull, ShowFirst, ShowNone, in.ShowName)}
	}
	if in.Lang == "" {
		in.Lang = "nb"
	}
	token := NewToken()
	now := s.Now()
	var created *Signup
	err = s.inWrite(ctx, func(tx *sql.Tx) error {
		e, err := s.eventBy(ctx, tx, "e.slug = ?", slug)
		if err != nil {
			return err
		}
		if e.Status == EventDraft {
			return NotFoundf("event.not_found", "event %s is a draft", slug)
		}
		if !e.Open(now) {
			return Invalidf("signup.closed", "event %s takes no signups", slug)
		}
		var existing int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM signups WHERE `+liveAtAddress, e.ID, in.Email).Scan(&existing); err != nil {
			return Internal(err)
		}
		if existing > 0 {
			return Conflictf("signup.duplicate", "%s is already signed up", in.Email)
		}
		// A group larger than the whole event could never be confirmed:
		// it would wait for ever. Refused here, in the transaction, where
		// the capacity is the one in force.
		if in.Seats > e.Capacity {
			return &Error{Code: EINVALID, Key: "signup.seats_over_capacity", Field: "seats",
				Detail: fmt.Sprintf("%d seats asked, event %s has %d", in.Seats, slug, e.Capacity)}
		}
		// Someone already waiting blocks nobody who fits: promoteWaiting
		// has given (or offered) every waiting signup that fits its seats,
		// so those in line need more seats than are free. Seats held for
		// an offer are not free.
		status := StatusWaiting
		if e.SeatsTaken+e.SeatsHeld+in.Seats <= e.Capacity {
			status = StatusConfirmed
		}
		var res sql.Result
		for attempt := 0; ; attempt++ {
			res, err = tx.ExecContext(ctx, `INSERT INTO signups
				(event_id, token, name, email, phone, organization, diet, seats, show_name, status, lang, consent_at, privacy_version,
				created_at, updated_at, checkin_code)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				e.ID, token, in.Name, in.Email, in.Phone, in.Organization, in.Diet, in.Seats, in.ShowName, status,
				in.Lang, now.Unix(), PrivacyNoticeVersion, now.Unix(), now.Unix(), NewCheckInCode())
			// A check-in code drawn twice (one in 2^39 per pair) is drawn
			// again; a failed statement leaves the transaction usable.
			if err != nil && strings.Contains(err.Error(), "signups.checkin_code") && attempt < 3 {
				continue
			}
			break
		}
		if err != nil {
			if isUniqueViolation(err) {
				return Conflictf("signup.duplicate", "%s is already signed up", in.Email)
			}
			return Internal(err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return Internal(err)
		}
		if err := s.recordHistory(ctx, tx, id, "", status, ReasonSignup, ActorResident); err != nil {
			return err
		}
		// Read back here, in the transaction, rather than after it on the
		// write connection, which the next batch of writes needs.
		if created, err = s.mailNewSignup(ctx, tx, token); err != nil {
			return err
		}
		name, org := ShownAs(in.ShowName, in.Name, in.Organization)
		return s.addActivity(ctx, tx, Activity{
			Kind: ActivitySignup, EventID: e.ID, SignupID: id, ActorName: name, ActorOrg: org,
			Seats: in.Seats, Text: status,
		})
	})
	if err != nil {
		return nil, err
	}
	return created, nil
}

// ShownAs reduces a person to what their show_name choice allows on the
// live screen: the full name, the first name, or nothing at all. The
// organisation is shown with a name, never without one.
func ShownAs(showName, name, organization string) (shownName, shownOrg string) {
	name = strings.TrimSpace(name)
	switch showName {
	case ShowFull:
		return name, strings.TrimSpace(organization)
	case ShowFirst:
		// Any Unicode space ends the first name: a no-break space typed
		// on a phone or pasted from a document would otherwise show the
		// surname. unicode.IsSpace covers U+00A0, U+2007 and U+202F too.
		if i := strings.IndexFunc(name, unicode.IsSpace); i >= 0 {
			name = name[:i]
		}
		return name, strings.TrimSpace(organization)
	default:
		return "", ""
	}
}

// liveAtAddress picks an event's live signup for an address (event id,
// address). It repeats the unique index's own condition (email <> ”:
// erased signups keep no address), so that SQLite looks the address up
// in signups_event_email instead of reading every signup of the event: a
// signup's cost must not grow with the event (TestLiveAtAddressUsesIndex).
const liveAtAddress = `event_id = ? AND email = ? AND status <> 'cancelled' AND email <> ''`

func isUniqueViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// lineOf is the SQL for a signup's key in its event's waiting line, the
// signups table being under alias t: the key an organiser's move gave it,
// or else its id, so that the line is the order of signup until someone
// is moved (migrations/0006_programme.sql). The waiting list is always
// read in this order.
func lineOf(t string) string { return "coalesce(" + t + ".queue_line, " + t + ".id)" }

var signupColumns = `s.id, s.event_id, s.token, s.name, s.email, s.phone, s.organization, s.diet, s.seats,
	s.show_name, s.status, s.lang, s.consent_at, s.privacy_version, s.checked_in_at, s.created_at, s.updated_at,
	coalesce(s.checkin_code, ''), s.checked_in_seats, s.offer_expires_at,
	CASE WHEN s.status = 'waiting' THEN
		(SELECT count(*) FROM signups w WHERE w.event_id = s.event_id AND w.status = 'waiting' AND ` + lineOf("w") + ` <= ` + lineOf("s") + `)
	ELSE 0 END`

func scanSignup(row interface{ Scan(...any) error }) (*Signup, error) {
	var su Signup
	var consent, created, updated int64
	var checkedIn, offerExpires sql.NullInt64
	if err := row.Scan(&su.ID, &su.EventID, &su.Token, &su.Name, &su.Email, &su.Phone, &su.Organization,
		&su.Diet, &su.Seats, &su.ShowName, &su.Status, &su.Lang, &consent, &su.PrivacyVersion, &checkedIn, &created, &updated,
		&su.CheckInCode, &su.CheckedInSeats, &offerExpires, &su.WaitingPosition); err != nil {
		return nil, err
	}
	su.ConsentAt, su.CreatedAt, su.UpdatedAt = time.Unix(consent, 0), time.Unix(created, 0), time.Unix(updated, 0)
	if checkedIn.Valid {
		t := time.Unix(checkedIn.Int64, 0)
		su.CheckedInAt = &t
	}
	if offerExpires.Valid {
		t := time.Unix(offerExpires.Int64, 0)
		su.OfferExpiresAt = &t
	}
	return &su, nil
}

func (s *Store) signupBy(ctx context.Context, q querier, token string) (*Signup, error) {
	su, err := scanSignup(q.QueryRowContext(ctx, `SELECT `+signupColumns+` FROM signups s WHERE s.token = ?`, token))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, NotFoundf("signup.not_found", "no signup with that token")
	}
	if err != nil {
		return nil, Internal(err)
	}
	return su, nil
}

// SignupByToken returns the signup the secret token belongs to.
func (s *Store) SignupByToken(ctx context.Context, token string) (*Signup, error) {
	return s.signupBy(ctx, s.read, token)
}

// ListSignups returns an event's signups in creation order.
func (s *Store) ListSignups(ctx context.Context, eventID int64) ([]*Signup, error) {
	return s.querySignups(ctx, s.read, `s.event_id = ? ORDER BY s.id`, eventID)
}

// CancelSignup cancels a confirmed signup or takes a waiting one off the
// list, then moves the first waiting signups that now fit up, in order.
// The live screen stops announcing the person: their feed items are taken
// off every screen. Cancelling twice is harmless.
func (s *Store) CancelSignup(ctx context.Context, token, actor string) (*Signup, error) {
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		su, err := s.signupBy(ctx, tx, token)
		if err != nil {
			return err
		}
		if su.Status == StatusCancelled {
			return nil
		}
		return s.cancelSignup(ctx, tx, su, ReasonCancel, "", actor)
	})
	if err != nil {
		return nil, err
	}
	return s.signupBy(ctx, s.write, token)
}

// cancelSignup cancels a live signup in tx, whoever asks: the change goes
// to its history, its feed items leave every screen, and the waiting list
// moves up into the seats it freed (or held for its offer).
func (s *Store) cancelSignup(ctx context.Context, tx *sql.Tx, su *Signup, reason, note, actor string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE signups SET status = 'cancelled', offer_expires_at = NULL, updated_at = ? WHERE id = ?`,
		s.Now().Unix(), su.ID); err != nil {
		return Internal(err)
	}
	if err := s.recordHistoryNote(ctx, tx, su.ID, su.Status, StatusCancelled, reason, note, actor); err != nil {
		return err
	}
	if _, err := s.hideItems(ctx, tx, `signup_id = ?`, su.ID); err != nil {
		return err
	}
	return s.promoteWaiting(ctx, tx, su.EventID, ReasonFreed, ActorSystem)
}

// promoteWaiting gives the seats that are free (neither taken nor held
// for an offer) to the waiting list, in line order: each waiting signup
// whose seats fit is confirmed, or, where the event offers its seats
// (Event.Offers), offered them (offerSeat). A group too big for the seats
// left keeps its place and the next in line that fits moves up; the group
// moves up as soon as enough seats are free. Those who hold an offer are
// passed over: their seats are already held.
func (s *Store) promoteWaiting(ctx context.Context, tx *sql.Tx, eventID int64, reason, actor string) error {
	e, err := s.eventBy(ctx, tx, "e.id = ?", eventID)
	if err != nil {
		return err
	}
	free := e.SeatsLeft()
	if free <= 0 {
		return nil
	}
	now := s.Now()
	// An offer is a question with time to answer it: none is made for an
	// event that is cancelled or has started, where the answer could not
	// be used. The seats stay free.
	if e.Offers() && !e.Open(now) {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT s.id, s.seats FROM signups s
		WHERE s.event_id = ? AND s.status = 'waiting' AND s.offer_expires_at IS NULL
		ORDER BY `+lineOf("s"), eventID)
	if err != nil {
		return Internal(err)
	}
	type waiting struct {
		id    int64
		seats int
	}
	var promote []waiting
	for rows.Next() {
		var w waiting
		if err := rows.Scan(&w.id, &w.seats); err != nil {
			rows.Close()
			return Internal(err)
		}
		if w.seats <= free {
			promote = append(promote, w)
			free -= w.seats
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Internal(err)
	}
	for _, w := range promote {
		if e.Offers() {
			if err := s.offerSeat(ctx, tx, e, w.id, actor); err != nil {
				return err
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE signups SET status = 'confirmed', updated_at = ? WHERE id = ?`, now.Unix(), w.id); err != nil {
			return Internal(err)
		}
		if err := s.recordHistory(ctx, tx, w.id, StatusWaiting, StatusConfirmed, reason, actor); err != nil {
			return err
		}
		promoted, err := s.querySignups(ctx, tx, `s.id = ?`, w.id)
		if err != nil {
			return err
		}
		if err := s.mailSignup(ctx, tx, MailSignupPromoted, promoted[0], nil); err != nil {
			return err
		}
	}
	return nil
}

// mailNewSignup queues the answer to a new signup: confirmed, or on the
// waiting list with its place in line as it is now. It returns the signup
// as stored.
func (s *Store) mailNewSignup(ctx context.Context, tx *sql.Tx, token string) (*Signup, error) {
	su, err := s.signupBy(ctx, tx, token)
	if err != nil {
		return nil, err
	}
	if su.Status == StatusWaiting {
		return su, s.mailSignup(ctx, tx, MailSignupWaiting, su, map[string]string{"place": itoa(int64(su.WaitingPosition))})
	}
	return su, s.mailSignup(ctx, tx, MailSignupConfirmed, su, nil)
}

// HistoryEntry is one recorded change of a signup's status.
type HistoryEntry struct {
	At         time.Time `json:"at"`
	FromStatus string    `json:"from_status"`
	ToStatus   string    `json:"to_status"`
	Reason     string    `json:"reason"`
	Note       string    `json:"note"` // what an organiser wrote about it
	Actor      string    `json:"actor"`
}

func (s *Store) recordHistory(ctx context.Context, tx *sql.Tx, signupID int64, from, to, reason, actor string) error {
	return s.recordHistoryNote(ctx, tx, signupID, from, to, reason, "", actor)
}

// recordHistoryNote records a change with what the organiser wrote about it.
func (s *Store) recordHistoryNote(ctx context.Context, tx *sql.Tx, signupID int64, from, to, reason, note, actor string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO signup_history (signup_id, at, from_status, to_status, reason, note, actor)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, signupID, s.Now().Unix(), from, to, reason, note, actor)
	if err != nil {
		return Internal(err)
	}
	return nil
}

// SignupHistory returns a signup's changes, oldest first.
func (s *Store) SignupHistory(ctx context.Context, signupID int64) ([]HistoryEntry, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT at, from_status, to_status, reason, note, actor
		FROM signup_history WHERE signup_id = ? ORDER BY id`, signupID)
	if err != nil {
		return nil, Internal(err)
	}
	defer rows.Close()
	var out []HistoryEntry
	for rows.Next() {
		var h HistoryEntry
		var at int64
		if err := rows.Scan(&at, &h.FromStatus, &h.ToStatus, &h.Reason, &h.Note, &h.Actor); err != nil {
			return nil, Internal(err)
		}
		h.At = time.Unix(at, 0)
		out = append(out, h)
	}
	return out, rows.Err()
}
