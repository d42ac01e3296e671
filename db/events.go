package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Event kinds.
const (
	KindBreakfast = "breakfast"
	KindSeminar   = "seminar"
	KindNetwork   = "network"
	KindMeeting   = "meeting"
)

// Kinds lists the event kinds in the order forms offer them.
var Kinds = []string{KindBreakfast, KindSeminar, KindNetwork, KindMeeting}

// Event statuses: a draft is invisible to residents; a cancelled event is
// shown as cancelled and closed for signup.
const (
	EventDraft     = "draft"
	EventPublished = "published"
	EventCancelled = "cancelled"
)

// Event is a breakfast meeting, seminar or network gathering.
type Event struct {
	ID          int64
	Slug        string
	Title       string
	Description string
	Kind        string
	Place       string
	StartsAt    time.Time
	EndsAt      time.Time
	Capacity    int
	Status      string
	CreatedAt   time.Time
	UpdatedAt   time.Time

	// SeatsTaken counts confirmed seats; Waiting counts signups in line.
	SeatsTaken int
	Waiting    int
}

// SeatsLeft is how many seats can still be confirmed.
func (e *Event) SeatsLeft() int { return max(e.Capacity-e.SeatsTaken, 0) }

// Cancelled reports whether the event was called off.
func (e *Event) Cancelled() bool { return e.Status == EventCancelled }

// Started reports whether the event has started by now.
func (e *Event) Started(now time.Time) bool { return !now.Before(e.StartsAt) }

// Open reports whether a signup is taken now (it may still land on the
// waiting list).
func (e *Event) Open(now time.Time) bool { return e.Status == EventPublished && !e.Started(now) }

// NewEvent is what an organiser gives to create an event.
type NewEvent struct {
	Title       string
	Description string
	Kind        string
	Place       string
	StartsAt    time.Time
	EndsAt      time.Time // zero: two hours after the start
	Capacity    int
	Status      string // zero: published
}

// DefaultCapacity is the size of the room when the organiser names none.
const DefaultCapacity = 50

// CreateEvent stores a new event under a readable, unique slug.
func (s *Store) CreateEvent(ctx context.Context, in NewEvent) (*Event, error) {
	var err error
	if in.Title, err = CheckText("title", strings.TrimSpace(in.Title), Line); err != nil {
		return nil, err
	}
	if in.Title == "" {
		return nil, Invalidf("event.title_required", "an event needs a title")
	}
	if in.Place, err = CheckText("place", strings.TrimSpace(in.Place), Line); err != nil {
		return nil, err
	}
	if in.Description, err = CheckText("description", strings.TrimSpace(in.Description), Lines); err != nil {
		return nil, err
	}
	if in.Kind == "" {
		in.Kind = KindMeeting
	}
	if !contains(Kinds, in.Kind) {
		return nil, Invalidf("event.kind_unknown", "unknown kind %q (one of %s)", in.Kind, strings.Join(Kinds, ", "))
	}
	if in.Status == "" {
		in.Status = EventPublished
	}
	if !contains([]string{EventDraft, EventPublished, EventCancelled}, in.Status) {
		return nil, Invalidf("event.status_unknown", "unknown status %q", in.Status)
	}
	if in.StartsAt.IsZero() {
		return nil, Invalidf("event.starts_required", "an event needs a start time")
	}
	if in.EndsAt.IsZero() {
		in.EndsAt = in.StartsAt.Add(2 * time.Hour)
	}
	if in.EndsAt.Before(in.StartsAt) {
		return nil, Invalidf("event.ends_before_start", "the event ends before it starts")
	}
	if in.Capacity < 0 {
		return nil, Invalidf("event.capacity_negative", "capacity is a number of seats, 0 or more (got %d)", in.Capacity)
	}
	now := s.Now().Unix()
	var id int64
	err = s.inWrite(ctx, func(tx *sql.Tx) error {
		slug, err := uniqueSlug(ctx, tx, Slugify(in.Title)+"-"+in.StartsAt.In(Oslo).Format("2006-01-02"))
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO events
			(slug, title, description, kind, place, starts_at, ends_at, capacity, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			slug, in.Title, in.Description, in.Kind, in.Place,
			in.StartsAt.Unix(), in.EndsAt.Unix(), in.Capacity, in.Status, now, now)
		if err != nil {
			return Internal(err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return Internal(err)
		}
		return s.audit(ctx, tx, "event.create", slug, nil, in)
	})
	if err != nil {
		return nil, err
	}
	return s.eventBy(ctx, s.write, "e.id = ?", id)
}

func uniqueSlug(ctx context.Context, tx *sql.Tx, base string) (string, error) {
	slug := base
	for n := 2; ; n++ {
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE slug = ?`, slug).Scan(&exists); err != nil {
			return "", Internal(err)
		}
		if exists == 0 {
			return slug, nil
		}
		slug = fmt.Sprintf("%s-%d", base, n)
	}
}

// slugLetters spells the Nordic letters the way Norwegians do in addresses.
var slugLetters = map[rune]string{'æ': "ae", 'ø': "o", 'å': "a", 'ß': "ss", 'þ': "th", 'ð': "d"}

// Slugify makes a readable, URL-safe slug: lower case, æ→ae, ø→o, å→a,
// accents dropped, anything else a single dash.
func Slugify(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFD.String(strings.ToLower(title)) {
		switch {
		case unicode.Is(unicode.Mn, r): // an accent split off by NFD
			continue
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
			dash = false
		case slugLetters[r] != "":
			b.WriteString(slugLetters[r])
			dash = false
		case b.Len() > 0 && !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	slug := strings.TrimSuffix(b.String(), "-")
	if len(slug) > 60 {
		slug = strings.TrimSuffix(slug[:60], "-")
	}
	if slug == "" {
		slug = "arrangement"
	}
	return slug
}

const eventColumns = `e.id, e.slug, e.title, e.description, e.kind, e.place, e.starts_at, e.ends_at,
	e.capacity, e.status, e.created_at, e.updated_at, e.seats_taken, e.waiting`

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func scanEvent(row interface{ Scan(...any) error }) (*Event, error) {
	var e Event
	var starts, ends, created, updated int64
	if err := row.Scan(&e.ID, &e.Slug, &e.Title, &e.Description, &e.Kind, &e.Place, &starts, &ends,
		&e.Capacity, &e.Status, &created, &updated, &e.SeatsTaken, &e.Waiting); err != nil {
		return nil, err
	}
	e.StartsAt, e.EndsAt = time.Unix(starts, 0), time.Unix(ends, 0)
	e.CreatedAt, e.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
	return &e, nil
}

func (s *Store) eventBy(ctx context.Context, q querier, where string, arg any) (*Event, error) {
	e, err := scanEvent(q.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events e WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, NotFoundf("event.not_found", "no event %v", arg)
	}
	if err != nil {
		return nil, Internal(err)
	}
	return e, nil
}

// EventBySlug returns a published or cancelled event; drafts are not found.
func (s *Store) EventBySlug(ctx context.Context, slug string) (*Event, error) {
	e, err := s.eventBy(ctx, s.read, "e.slug = ?", slug)
	if err != nil {
		return nil, err
	}
	if e.Status == EventDraft {
		return nil, NotFoundf("event.not_found", "event %s is a draft", slug)
	}
	return e, nil
}

// EventByID returns any event, drafts included (for organisers).
func (s *Store) EventByID(ctx context.Context, id int64) (*Event, error) {
	return s.eventBy(ctx, s.read, "e.id = ?", id)
}

// EventFilter picks which events ListEvents returns.
type EventFilter struct {
	Upcoming bool // started at or after now; otherwise those before now
	Limit    int  // 0: no limit
}

// ListEvents returns the events residents may see: upcoming ones soonest
// first, past ones latest first. Drafts are never listed.
func (s *Store) ListEvents(ctx context.Context, f EventFilter) ([]*Event, error) {
	q := `SELECT ` + eventColumns + ` FROM events e WHERE e.status <> 'draft' AND `
	if f.Upcoming {
		q += `e.starts_at > ? ORDER BY e.starts_at, e.id`
	} else {
		q += `e.starts_at <= ? ORDER BY e.starts_at DESC, e.id DESC`
	}
	if f.Limit > 0 {
		q += ` LIMIT ` + itoa(int64(f.Limit))
	}
	rows, err := s.read.QueryContext(ctx, q, s.Now().Unix())
	if err != nil {
		return nil, Internal(err)
	}
	defer rows.Close()
	var out []*Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, Internal(err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, Internal(err)
	}
	return out, nil
}

// SetCapacity changes an event's capacity. Raising it moves the first
// waiting signups that now fit up, in order. Lowering it below the seats
// already confirmed is refused: nobody loses a seat they were promised.
func (s *Store) SetCapacity(ctx context.Context, slug string, capacity int, actor string) (*Event, error) {
	if capacity < 0 {
		return nil, Invalidf("event.capacity_negative", "capacity is a number of seats, 0 or more (got %d)", capacity)
	}
	var id int64
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		e, err := s.eventBy(ctx, tx, "e.slug = ?", slug)
		if err != nil {
			return err
		}
		if capacity < e.SeatsTaken {
			return Invalidf("event.capacity_below_taken", "capacity %d is below the %d seats already confirmed", capacity, e.SeatsTaken)
		}
		id = e.ID
		if _, err := tx.ExecContext(ctx, `UPDATE events SET capacity = ?, updated_at = ? WHERE id = ?`,
			capacity, s.Now().Unix(), e.ID); err != nil {
			return Internal(err)
		}
		if err := s.audit(ctx, tx, "event.capacity", slug, map[string]int{"capacity": e.Capacity}, map[string]int{"capacity": capacity}); err != nil {
			return err
		}
		return s.promoteWaiting(ctx, tx, e.ID, ReasonCapacity, actor)
	})
	if err != nil {
		return nil, err
	}
	return s.eventBy(ctx, s.write, "e.id = ?", id)
}

// SetEventStatus publishes, cancels or hides an event. A cancelled event's
// signups leave the live screen: nobody is announced for an event that
// will not take place (publishing it again does not bring them back).
func (s *Store) SetEventStatus(ctx context.Context, slug, status string) error {
	if !contains([]string{EventDraft, EventPublished, EventCancelled}, status) {
		return Invalidf("event.status_unknown", "unknown status %q", status)
	}
	return s.inWrite(ctx, func(tx *sql.Tx) error {
		e, err := s.eventBy(ctx, tx, "e.slug = ?", slug)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE events SET status = ?, updated_at = ? WHERE id = ?`, status, s.Now().Unix(), e.ID); err != nil {
			return Internal(err)
		}
		if status == EventCancelled {
			if _, err := s.hideItems(ctx, tx, `kind = 'signup' AND event_id = ?`, e.ID); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, "event.status", slug, map[string]string{"status": e.Status}, map[string]string{"status": status})
	})
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
