package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// CheckInAlphabet is what a check-in code is made of: digits and capital
// letters without the look-alikes 0/O, 1/I/L, so that a host can type a
// code read off a phone. migrations/0008_checkins.sql spells it out too.
const CheckInAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// checkInCodeLength: 31^8 ≈ 2^39 codes. A code only checks a person in,
// through a host's signed-in door page, so guessing one gains nothing.
const checkInCodeLength = 8

// NewCheckInCode returns a fresh random check-in code.
func NewCheckInCode() string {
	const n = len(CheckInAlphabet)
	limit := byte(256 - 256%n) // draw again above the last whole multiple: every character equally likely
	code := make([]byte, 0, checkInCodeLength)
	buf := make([]byte, 16)
	for len(code) < checkInCodeLength {
		if _, err := rand.Read(buf); err != nil {
			panic(err) // crypto/rand never fails on a supported platform
		}
		for _, b := range buf {
			if b < limit && len(code) < checkInCodeLength {
				code = append(code, CheckInAlphabet[int(b)%n])
			}
		}
	}
	return string(code)
}

// NormalizeCheckInCode is a code as stored, from what a host typed or a
// scanner read: capitals, without spaces and dashes.
func NormalizeCheckInCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' || r == '\u00a0' || r == '\t' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(code)))
}

// CheckInWindow is how far back a door may date a check-in it sends late
// (CheckInRequest.At): a phone offline for a morning, not a mistyped day.
const CheckInWindow = 24 * time.Hour

// arrivalTime is when someone arrived, as stored (whole seconds): at, as
// a door sent it, unless it is zero, in the future (a phone's clock runs
// ahead) or older than CheckInWindow; then now.
func arrivalTime(at, now time.Time) time.Time {
	if at.IsZero() || at.After(now) || at.Before(now.Add(-CheckInWindow)) {
		at = now
	}
	return time.Unix(at.Unix(), 0)
}

// CheckInRequest says whom a host checks in (or undoes): by the code off
// their QR code, by signup id (a tap on the door list), or a walk-in by
// id. Exactly one of Code, SignupID and WalkInID is set.
type CheckInRequest struct {
	Code     string
	SignupID int64
	WalkInID int64
	// Seats: how many of the group's seats arrive now (CheckIn) or are
	// taken back (UndoCheckIn); 0 for all of them. More than are left
	// counts as all that are left, so two hosts at two doors never count
	// one seat twice.
	Seats int
	// At: when the person arrived, for a door that sends check-ins it made
	// offline. Zero is now; a time in the future or older than
	// CheckInWindow is taken as now.
	At time.Time
	// Key, when set, makes the request idempotent: a second request with
	// the same key for the same event changes nothing and answers with
	// the state as it is (Replayed). One key per tap: an undo needs a key
	// of its own. Up to 100 characters; the door page makes one (a UUID)
	// when the host taps, and keeps it with the queued request.
	Key string
}

// DoorEntry is one person on an event's door list: a confirmed signup or
// a walk-in.
type DoorEntry struct {
	SignupID     int64 // 0 for a walk-in
	WalkInID     int64 // 0 for a signup
	Name         string
	Organization string
	Email        string // a walk-in's, if given; a signup's is not needed at the door
	Code         string // the check-in code; "" for a walk-in
	Seats        int    // 1 for a walk-in
	// CheckedInSeats is how many of Seats have arrived; CheckedInAt when
	// the first of them did (nil while none has).
	CheckedInSeats int
	CheckedInAt    *time.Time
}

// WalkIn reports whether the entry is a walk-in.
func (d DoorEntry) WalkIn() bool { return d.WalkInID != 0 }

// CheckedIn reports whether every seat has arrived.
func (d DoorEntry) CheckedIn() bool { return d.CheckedInSeats >= d.Seats }

// CheckInResult is what a check-in or an undo did, for the door to show.
type CheckInResult struct {
	DoorEntry
	// EventSlug and EventTitle name the event the code belongs to: another
	// event's when the error is checkin.other_event.
	EventSlug  string
	EventTitle string
	Status     string // the signup's status (StatusConfirmed for a walk-in)
	// Already: nothing changed, because every seat had already arrived
	// (CheckIn), none had (UndoCheckIn), or the request's Key was used
	// before (then Replayed is set too).
	Already  bool
	Replayed bool
}

// doorRow is a door entry as read for a change: with its event, status
// and show_name choice.
type doorRow struct {
	DoorEntry
	eventID  int64
	status   string
	showName string
}

const doorSignupColumns = `s.id, 0, s.name, s.organization, '', coalesce(s.checkin_code, ''), s.seats,
	s.checked_in_seats, s.checked_in_at, s.event_id, s.status, s.show_name`

// A walk-in made no show_name choice: none, so the screen never names them.
const doorWalkInColumns = `0, w.id, w.name, w.organization, w.email, '', 1,
	w.checked_in_seats, w.checked_in_at, w.event_id, 'confirmed', 'none'`

func scanDoorRow(row interface{ Scan(...any) error }) (*doorRow, error) {
	var d doorRow
	var at sql.NullInt64
	if err := row.Scan(&d.SignupID, &d.WalkInID, &d.Name, &d.Organization, &d.Email, &d.Code, &d.Seats,
		&d.CheckedInSeats, &at, &d.eventID, &d.status, &d.showName); err != nil {
		return nil, err
	}
	if at.Valid {
		t := time.Unix(at.Int64, 0)
		d.CheckedInAt = &t
	}
	return &d, nil
}

// doorRowFor finds whom req names, in any event.
func (s *Store) doorRowFor(ctx context.Context, q querier, req CheckInRequest) (*doorRow, error) {
	var row *sql.Row
	switch {
	case req.WalkInID != 0:
		row = q.QueryRowContext(ctx, `SELECT `+doorWalkInColumns+` FROM walkins w WHERE w.id = ?`, req.WalkInID)
	case req.SignupID != 0:
		row = q.QueryRowContext(ctx, `SELECT `+doorSignupColumns+` FROM signups s WHERE s.id = ?`, req.SignupID)
	default:
		code := NormalizeCheckInCode(req.Code)
		if code == "" {
			return nil, invalidField("code", "checkin.code_required", "no check-in code, signup or walk-in given")
		}
		row = q.QueryRowContext(ctx, `SELECT `+doorSignupColumns+` FROM signups s WHERE s.checkin_code = ?`, code)
	}
	d, err := scanDoorRow(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &Error{Code: ENOTFOUND, Key: "checkin.unknown_code", Field: "code", Detail: "no signup or walk-in with that code or id"}
	}
	if err != nil {
		return nil, Internal(err)
	}
	return d, nil
}

// door is the common part of CheckIn and UndoCheckIn: it finds the event
// and the person, answers a replayed key, refuses whom this event's door
// cannot take, and otherwise lets change make the change. The key is
// recorded with the change.
func (s *Store) door(ctx context.Context, slug string, req CheckInRequest,
	change func(tx *sql.Tx, e *Event, d *doorRow, res *CheckInResult) error) (*CheckInResult, error) {
	req.Key = strings.TrimSpace(req.Key)
	if utf8.RuneCountInString(req.Key) > 100 {
		return nil, invalidField("key", "checkin.key_invalid", "a check-in key is up to 100 characters")
	}
	if _, err := CheckText("key", req.Key, Line); err != nil {
		return nil, invalidField("key", "checkin.key_invalid", "%v", err)
	}
	if req.Seats < 0 {
		return nil, invalidField("seats", "checkin.seats_range", "seats is 0 (all) or more")
	}
	var res *CheckInResult
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		e, err := s.eventBy(ctx, tx, "e.slug = ?", slug)
		if err != nil {
			return err
		}
		if req.Key != "" {
			var signupID, walkInID sql.NullInt64
			err := tx.QueryRowContext(ctx, `SELECT signup_id, walkin_id FROM checkin_keys WHERE event_id = ? AND key = ?`,
				e.ID, req.Key).Scan(&signupID, &walkInID)
			if err == nil {
				d, err := s.doorRowFor(ctx, tx, CheckInRequest{SignupID: signupID.Int64, WalkInID: walkInID.Int64})
				if err != nil {
					return err
				}
				res = &CheckInResult{DoorEntry: d.DoorEntry, EventSlug: e.Slug, EventTitle: e.Title, Status: d.status,
					Already: true, Replayed: true}
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return Internal(err)
			}
		}
		d, err := s.doorRowFor(ctx, tx, req)
		if err != nil {
			return err
		}
		res = &CheckInResult{DoorEntry: d.DoorEntry, EventSlug: e.Slug, EventTitle: e.Title, Status: d.status}
		if d.eventID != e.ID {
			other, err := s.eventBy(ctx, tx, "e.id = ?", d.eventID)
			if err != nil {
				return err
			}
			res.EventSlug, res.EventTitle = other.Slug, other.Title
			return &Error{Code: EINVALID, Key: "checkin.other_event", Field: "code",
				Detail: fmt.Sprintf("the code is for %s, not %s", other.Slug, e.Slug)}
		}
		switch d.status {
		case StatusCancelled:
			return &Error{Code: EINVALID, Key: "checkin.cancelled", Field: "code", Detail: "the signup is cancelled"}
		case StatusWaiting:
			return &Error{Code: EINVALID, Key: "checkin.waiting", Field: "code", Detail: "the signup is on the waiting list"}
		}
		if err := change(tx, e, d, res); err != nil {
			return err
		}
		if req.Key != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO checkin_keys (event_id, key, signup_id, walkin_id, created_at)
				VALUES (?, ?, ?, ?, ?)`, e.ID, req.Key, nullID(d.SignupID), nullID(d.WalkInID), s.Now().Unix()); err != nil {
				return Internal(err)
			}
		}
		return nil
	})
	if err != nil {
		// A refusal still names whom the code belongs to, and the other
		// event: the door says "cancelled: Kari Nordmann".
		if res != nil && ErrorCode(err) == EINVALID && res.SignupID+res.WalkInID != 0 {
			return res, err
		}
		return nil, err
	}
	return res, nil
}

// table is the table a door row lives in, and its subject in the audit log.
// walkInSubject is a walk-in as the audit log names it.
func walkInSubject(slug string, id int64) string { return fmt.Sprintf("%s/walkin/%d", slug, id) }

func (d *doorRow) table(slug string) (table string, id int64, subject string) {
	if d.WalkIn() {
		return "walkins", d.WalkInID, walkInSubject(slug, d.WalkInID)
	}
	return "signups", d.SignupID, attendeeSubject(slug, d.SignupID)
}

// CheckIn checks a confirmed signup's seats (or a walk-in) in at the door
// of event slug. req.Seats of the group arrive now (0: all that have not).
// Checking in someone whose seats have all arrived changes nothing and
// answers Already; so does a request whose Key was used before. The first
// arrival of a signup goes to the live screen as far as its show_name
// allows ("Kari fra Elverum Rør AS har sjekket inn"); later seats of the
// group only move the counters.
//
// Refusals (EINVALID unless said; the result, when not nil, names the
// person and, for checkin.other_event, the other event):
// checkin.unknown_code (ENOTFOUND), checkin.other_event,
// checkin.cancelled, checkin.waiting (the waiting list is not let in at
// the door: a host who has room confirms them first), checkin.code_required,
// checkin.seats_range (Seats below 0), checkin.key_invalid, and
// event.not_found (ENOTFOUND) for an unknown slug.
// The host (db.WithActor) is recorded in the audit log as "checkin.add".
func (s *Store) CheckIn(ctx context.Context, slug string, req CheckInRequest) (*CheckInResult, error) {
	return s.door(ctx, slug, req, func(tx *sql.Tx, e *Event, d *doorRow, res *CheckInResult) error {
		left := d.Seats - d.CheckedInSeats
		if left <= 0 {
			res.Already = true
			return nil
		}
		n := req.Seats
		if n == 0 || n > left {
			n = left
		}
		now := s.Now()
		at := arrivalTime(req.At, now)
		first := d.CheckedInAt
		if first == nil || at.Before(*first) {
			first = &at
		}
		table, id, subject := d.table(e.Slug)
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET checked_in_seats = checked_in_seats + ?, checked_in_at = ?, updated_at = ?
			WHERE id = ?`, n, first.Unix(), now.Unix(), id); err != nil {
			return Internal(err)
		}
		if d.CheckedInSeats == 0 {
			name, org := ShownAs(d.showName, d.Name, d.Organization)
			if err := s.addActivity(ctx, tx, Activity{Kind: ActivityCheckIn, EventID: e.ID, SignupID: d.SignupID,
				WalkInID: d.WalkInID, ActorName: name, ActorOrg: org, Seats: n}); err != nil {
				return err
			}
		}
		before := map[string]any{"checked_in_seats": d.CheckedInSeats}
		res.CheckedInSeats, res.CheckedInAt = d.CheckedInSeats+n, first
		return s.audit(ctx, tx, "checkin.add", subject, before,
			map[string]any{"checked_in_seats": res.CheckedInSeats, "at": at.Unix()})
	})
}

// UndoCheckIn takes back req.Seats of a check-in (0: all of it), the last
// ones to arrive first. Once no seat is left checked in, the first
// arrival time is cleared and the arrival's feed item leaves every
// screen; the counters move back. Undoing someone not checked in changes
// nothing and answers Already. A walk-in stays on the door list, not
// checked in, so that a mistaken undo is mended by checking in again.
// Addressing, refusals and keys as for CheckIn (req.At is not used);
// audited as "checkin.undo".
func (s *Store) UndoCheckIn(ctx context.Context, slug string, req CheckInRequest) (*CheckInResult, error) {
	return s.door(ctx, slug, req, func(tx *sql.Tx, e *Event, d *doorRow, res *CheckInResult) error {
		if d.CheckedInSeats == 0 {
			res.Already = true
			return nil
		}
		n := req.Seats
		if n == 0 || n > d.CheckedInSeats {
			n = d.CheckedInSeats
		}
		left := d.CheckedInSeats - n
		var at *time.Time
		if left > 0 {
			at = d.CheckedInAt
		}
		var atUnix any
		if at != nil {
			atUnix = at.Unix()
		}
		table, id, subject := d.table(e.Slug)
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET checked_in_seats = ?, checked_in_at = ?, updated_at = ? WHERE id = ?`,
			left, atUnix, s.Now().Unix(), id); err != nil {
			return Internal(err)
		}
		if left == 0 {
			where, arg := `kind = 'checkin' AND signup_id = ?`, d.SignupID
			if d.WalkIn() {
				where, arg = `kind = 'checkin' AND walkin_id = ?`, d.WalkInID
			}
			if _, err := s.hideItems(ctx, tx, where, arg); err != nil {
				return err
			}
		}
		res.CheckedInSeats, res.CheckedInAt = left, at
		return s.audit(ctx, tx, "checkin.undo", subject,
			map[string]any{"checked_in_seats": d.CheckedInSeats}, map[string]any{"checked_in_seats": left})
	})
}

// NewWalkIn is someone who came without signing up, as a host adds them.
type NewWalkIn struct {
	Name         string // required, up to 100 characters
	Organization string // optional, up to 100
	Email        string // optional: for a follow-up, never shown
	At           time.Time
	Key          string // as CheckInRequest.Key: a replay adds nobody
}

// AddWalkIn adds a walk-in to event slug's door list, checked in (one
// seat, at in.At as CheckIn takes it). The screen counts them and shows
// an arrival without a name: a walk-in made no show_name choice. They
// take no seat from the capacity: they are already in the room.
// Refusals (EINVALID, with Field): walkin.name_required,
// walkin.name_length, walkin.organization_length, walkin.email_invalid,
// text.invalid/text.one_line, checkin.key_invalid; event.not_found.
// Audited as "walkin.add".
func (s *Store) AddWalkIn(ctx context.Context, slug string, in NewWalkIn) (*CheckInResult, error) {
	for _, f := range []struct {
		name string
		text *string
		kind TextKind
	}{{"name", &in.Name, Name}, {"organization", &in.Organization, Line}, {"email", &in.Email, Line}, {"key", &in.Key, Line}} {
		text, err := CheckText(f.name, strings.TrimSpace(*f.text), f.kind)
		if err != nil {
			return nil, err
		}
		*f.text = text
	}
	switch {
	case in.Name == "":
		return nil, invalidField("name", "walkin.name_required", "a walk-in needs a name")
	case utf8.RuneCountInString(in.Name) > 100:
		return nil, invalidField("name", "walkin.name_length", "a name is up to 100 characters")
	case utf8.RuneCountInString(in.Organization) > 100:
		return nil, invalidField("organization", "walkin.organization_length", "an organisation is up to 100 characters")
	case utf8.RuneCountInString(in.Key) > 100:
		return nil, invalidField("key", "checkin.key_invalid", "a check-in key is up to 100 characters")
	}
	if in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || a.Name != "" {
			return nil, invalidField("email", "walkin.email_invalid", "%q is not an e-mail address", in.Email)
		}
		in.Email = NormalizeEmail(in.Email)
	}
	var res *CheckInResult
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		e, err := s.eventBy(ctx, tx, "e.slug = ?", slug)
		if err != nil {
			return err
		}
		if in.Key != "" {
			var id sql.NullInt64
			err := tx.QueryRowContext(ctx, `SELECT walkin_id FROM checkin_keys WHERE event_id = ? AND key = ?`, e.ID, in.Key).Scan(&id)
			if err == nil {
				d, err := s.doorRowFor(ctx, tx, CheckInRequest{WalkInID: id.Int64})
				if err != nil {
					return err
				}
				res = &CheckInResult{DoorEntry: d.DoorEntry, EventSlug: e.Slug, EventTitle: e.Title, Status: StatusConfirmed,
					Already: true, Replayed: true}
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return Internal(err)
			}
		}
		now := s.Now()
		at := arrivalTime(in.At, now)
		r, err := tx.ExecContext(ctx, `INSERT INTO walkins (event_id, name, organization, email, checked_in_seats, checked_in_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, 1, ?, ?, ?)`, e.ID, in.Name, in.Organization, in.Email, at.Unix(), now.Unix(), now.Unix())
		if err != nil {
			return Internal(err)
		}
		id, err := r.LastInsertId()
		if err != nil {
			return Internal(err)
		}
		if err := s.addActivity(ctx, tx, Activity{Kind: ActivityCheckIn, EventID: e.ID, WalkInID: id, Seats: 1}); err != nil {
			return err
		}
		if in.Key != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO checkin_keys (event_id, key, walkin_id, created_at) VALUES (?, ?, ?, ?)`,
				e.ID, in.Key, id, now.Unix()); err != nil {
				return Internal(err)
			}
		}
		res = &CheckInResult{DoorEntry: DoorEntry{WalkInID: id, Name: in.Name, Organization: in.Organization, Email: in.Email,
			Seats: 1, CheckedInSeats: 1, CheckedInAt: &at}, EventSlug: e.Slug, EventTitle: e.Title, Status: StatusConfirmed}
		return s.audit(ctx, tx, "walkin.add", walkInSubject(e.Slug, id), nil,
			map[string]any{"name": in.Name, "organization": in.Organization, "email": in.Email, "at": at.Unix()})
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// DoorList is an event's door: everyone a host may check in, and how
// many are here.
type DoorList struct {
	Event *Event
	// Entries: the confirmed signups and the walk-ins that match the
	// query, by name in Norwegian order.
	Entries []DoorEntry
	// HereNow is the seats checked in, walk-ins included; Expected the
	// confirmed seats plus the walk-ins. Both count everyone, whatever
	// the query.
	HereNow  int
	Expected int
}

// DoorList returns event slug's door list (drafts too: a host may try the
// door before the event is published), narrowed to the entries whose
// name, organisation or check-in code holds every word of query, in any
// case and however its letters were composed (the idea board's fold).
// The event and the list are read in one transaction, so the counts
// agree with the entries.
func (s *Store) DoorList(ctx context.Context, slug, query string) (*DoorList, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, Internal(err)
	}
	defer tx.Rollback()
	e, err := s.eventBy(ctx, tx, "e.slug = ?", slug)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+doorSignupColumns+` FROM signups s WHERE s.event_id = ? AND s.status = 'confirmed'
		UNION ALL SELECT `+doorWalkInColumns+` FROM walkins w WHERE w.event_id = ?`, e.ID, e.ID)
	if err != nil {
		return nil, Internal(err)
	}
	defer rows.Close()
	list := &DoorList{Event: e}
	words := strings.Fields(fold(query))
	code := NormalizeCheckInCode(query)
	for rows.Next() {
		d, err := scanDoorRow(rows)
		if err != nil {
			return nil, Internal(err)
		}
		list.HereNow += d.CheckedInSeats
		list.Expected += d.Seats
		text := fold(d.Name + "\n" + d.Organization + "\n" + d.Code)
		matches := !slices.ContainsFunc(words, func(w string) bool { return !strings.Contains(text, w) })
		// A code typed as printed, with its dash or space: "ABCD-EFGH".
		if !matches && len(code) >= 4 && d.Code != "" && strings.Contains(d.Code, code) {
			matches = true
		}
		if matches {
			list.Entries = append(list.Entries, d.DoorEntry)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, Internal(err)
	}
	// Norwegian order: æ, ø, å after z. x/text's "nb" table sorts ø and å
	// as o and a (a test would see it); its "nn" table has the order.
	order := collate.New(language.MustParse("nn"), collate.IgnoreCase)
	slices.SortStableFunc(list.Entries, func(a, b DoorEntry) int {
		if c := order.CompareString(a.Name, b.Name); c != 0 {
			return c
		}
		return order.CompareString(a.Organization, b.Organization)
	})
	return list, nil
}
