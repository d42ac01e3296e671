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
	// RemindHours is how long before the start its people get a reminder
	// by e-mail; 0: none.
	RemindHours int
	// OfferHours is how freed seats go to the waiting list: 0, confirmed
	// at once; otherwise offered, each offer valid this many hours
	// (offers.go).
	OfferHours int
	CreatedAt  time.Time
	UpdatedAt  time.Time

	// SeatsTaken counts confirmed seats; Waiting counts signups in line;
	// SeatsHeld counts the seats of open offers, which nobody else may
	// take.
	SeatsTaken int
	Waiting    int
	SeatsHeld  int
}

// SeatsLeft is how many seats can still be confirmed: those neither
// taken nor held for an offer.
func (e *Event) SeatsLeft() int { return max(e.Capacity-e.SeatsTaken-e.SeatsHeld, 0) }

// Offers reports whether freed seats are offered to the waiting list
// rather than confirmed at once.
func (e *Event) Offers() bool { return e.OfferHours > 0 }

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
	// RemindHours: how long before the start people are reminded; set by
	// UpdateEvent only (a new event has DefaultRemindHours).
	RemindHours int
	// OfferHours: 0, or how long a waiting-list offer is valid; set by
	// UpdateEvent only (a new event moves its list up automatically).
	OfferHours int
}

// DefaultCapacity is the size of the room when the organiser names none.
const DefaultCapacity = 50

// CreateEvent stores a new event under a readable, unique slug.
func (s *Store) CreateEvent(ctx context.Context, in NewEvent) (*Event, error) {
	in, err := checkEvent(in)
	if err != nil {
		return nil, err
	}
	var id int64
	err = s.inWrite(ctx, func(tx *sql.Tx) error {
		var slug string
		if id, slug, err = s.insertEvent(ctx, tx, in); err != nil {
			return err
		}
		return s.audit(ctx, tx, "event.create", slug, nil, eventRecord(in))
	})
	if err != nil {
		return nil, err
	}
	return s.eventBy(ctx, s.write, "e.id = ?", id)
}

// checkEvent is the one check of an event's fields, for a new event, an
// edited one and a copy alike. It returns them as they are to be stored
// (trimmed, defaults filled in); each refusal names the field it is about.
func checkEvent(in NewEvent) (NewEvent, error) {
	var err error
	if in.Title, err = CheckText("title", strings.TrimSpace(in.Title), Line); err != nil {
		return in, err
	}
	if in.Title == "" {
		return in, invalidField("title", "event.title_required", "an event needs a title")
	}
	if in.Place, err = CheckText("place", strings.TrimSpace(in.Place), Line); err != nil {
		return in, err
	}
	if in.Description, err = CheckText("description", strings.TrimSpace(in.Description), Lines); err != nil {
		return in, err
	}
	if in.Kind == "" {
		in.Kind = KindMeeting
	}
	if !contains(Kinds, in.Kind) {
		return in, invalidField("kind", "event.kind_unknown", "unknown kind %q (one of %s)", in.Kind, strings.Join(Kinds, ", "))
	}
	if in.Status == "" {
		in.Status = EventPublished
	}
	if !contains([]string{EventDraft, EventPublished, EventCancelled}, in.Status) {
		return in, invalidField("status", "event.status_unknown", "unknown status %q", in.Status)
	}
	if in.StartsAt.IsZero() {
		return in, invalidField("starts", "event.starts_required", "an event needs a start time")
	}
	if in.EndsAt.IsZero() {
		in.EndsAt = in.StartsAt.Add(2 * time.Hour)
	}
	if in.EndsAt.Before(in.StartsAt) {
		return in, invalidField("ends", "event.ends_before_start", "the event ends before it starts")
	}
	if in.RemindHours < 0 || in.RemindHours > 24*14 {
		return in, invalidField("remind_hours", "event.remind_hours_range", "a reminder goes 0 to %d hours before (got %d)", 24*14, in.RemindHours)
	}
	if in.Capacity < 0 {
		return in, invalidField("capacity", "event.capacity_negative", "capacity is a number of seats, 0 or more (got %d)", in.Capacity)
	}
	if in.OfferHours != 0 && (in.OfferHours < MinOfferHours || in.OfferHours > MaxOfferHours) {
		return in, invalidField("offer_hours", "offer.hours_range", "an offer is valid %d to %d hours (got %d)", MinOfferHours, MaxOfferHours, in.OfferHours)
	}
	return in, nil
}

// insertEvent stores a checked event in tx under a slug made from its
// title and date, and returns its id and slug.
func (s *Store) insertEvent(ctx context.Context, tx *sql.Tx, in NewEvent) (int64, string, error) {
	slug, err := uniqueSlug(ctx, tx, Slugify(in.Title)+"-"+in.StartsAt.In(Oslo).Format("2006-01-02"))
	if err != nil {
		return 0, "", err
	}
	now := s.Now().Unix()
	res, err := tx.ExecContext(ctx, `INSERT INTO events
		(slug, title, description, kind, place, starts_at, ends_at, capacity, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		slug, in.Title, in.Description, in.Kind, in.Place,
		in.StartsAt.Unix(), in.EndsAt.Unix(), in.Capacity, in.Status, now, now)
	if err != nil {
		return 0, "", Internal(err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, "", Internal(err)
	}
	return id, slug, nil
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
	e.capacity, e.status, e.created_at, e.updated_at, e.seats_taken, e.waiting, e.remind_hours,
	e.offer_hours, e.seats_held`

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func scanEvent(row interface{ Scan(...any) error }) (*Event, error) {
	var e Event
	var starts, ends, created, updated int64
	if err := row.Scan(&e.ID, &e.Slug, &e.Title, &e.Description, &e.Kind, &e.Place, &starts, &ends,
		&e.Capacity, &e.Status, &created, &updated, &e.SeatsTaken, &e.Waiting, &e.RemindHours,
		&e.OfferHours, &e.SeatsHeld); err != nil {
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

// AnyEventBySlug returns an event whatever its status, drafts included
// (for organisers).
func (s *Store) AnyEventBySlug(ctx context.Context, slug string) (*Event, error) {
	return s.eventBy(ctx, s.read, "e.slug = ?", slug)
}

// EventFilter picks which events ListEvents returns.
type EventFilter struct {
	Upcoming bool // started at or after now; otherwise those before now
	Limit    int  // 0: no limit
	// Drafts lists drafts too, for organisers; residents never see one.
	Drafts bool
}

// ListEvents returns the events residents may see: upcoming ones soonest
// first, past ones latest first. Drafts are listed only when the filter
// asks for them (the back office).
func (s *Store) ListEvents(ctx context.Context, f EventFilter) ([]*Event, error) {
	q := `SELECT ` + eventColumns + ` FROM events e WHERE `
	if !f.Drafts {
		q += `e.status <> 'draft' AND `
	}
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
		return nil, invalidField("capacity", "event.capacity_negative", "capacity is a number of seats, 0 or more (got %d)", capacity)
	}
	var id int64
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		e, err := s.eventBy(ctx, tx, "e.slug = ?", slug)
		if err != nil {
			return err
		}
		if err := checkCapacity(e, capacity); err != nil {
			return err
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

// checkCapacity is the foundation's rule for a new capacity of e: nobody
// loses a seat they were promised, so it may not go below the confirmed
// seats, nor below those and the seats held for open offers; and a cancelled event's capacity stays as it is, since raising it
// would give people seats at an event that will not take place.
func checkCapacity(e *Event, capacity int) error {
	switch {
	case capacity == e.Capacity:
		return nil
	case capacity < 0:
		return invalidField("capacity", "event.capacity_negative", "capacity is a number of seats, 0 or more (got %d)", capacity)
	case capacity < e.SeatsTaken:
		return invalidField("capacity", "event.capacity_below_taken", "capacity %d is below the %d seats already confirmed", capacity, e.SeatsTaken)
	case capacity < e.SeatsTaken+e.SeatsHeld:
		return invalidField("capacity", "offer.capacity_below_held", "capacity %d is below the %d seats confirmed and the %d held for offers",
			capacity, e.SeatsTaken, e.SeatsHeld)
	case e.Cancelled():
		return invalidField("capacity", "event.capacity_cancelled", "event %s is cancelled", e.Slug)
	}
	return nil
}

// EventChanges is what an organiser changes in an event; a nil field is
// left as it is. The slug never changes: it is in links people keep.
type EventChanges struct {
	Title       *string
	Description *string
	Kind        *string
	Place       *string
	StartsAt    *time.Time
	EndsAt      *time.Time // nil with a new StartsAt: the event keeps its length
	Capacity    *int
	// RemindHours: how long before the start people are reminded by
	// e-mail; 0: no reminder.
	RemindHours *int
	// OfferHours: 0, the waiting list moves up at once; otherwise freed
	// seats are offered, each offer valid this many hours.
	OfferHours *int
}

// UpdateEvent changes an event's fields. The rules are those of a new
// event (checkEvent) and of SetCapacity: raising the capacity moves the
// waiting list up in order, lowering it below the confirmed seats is
// refused. A start moved into the past is refused; an event already past
// keeps its time unless a new one is given. Changing the time or place of
// a published event that people signed up for is allowed. Only what
// changed is written and audited; a change to nothing writes nothing.
func (s *Store) UpdateEvent(ctx context.Context, slug string, ch EventChanges) (*Event, error) {
	var id int64
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		e, err := s.eventBy(ctx, tx, "e.slug = ?", slug)
		if err != nil {
			return err
		}
		id = e.ID
		in := NewEvent{Title: e.Title, Description: e.Description, Kind: e.Kind, Place: e.Place,
			StartsAt: e.StartsAt, EndsAt: e.EndsAt, Capacity: e.Capacity, Status: e.Status, RemindHours: e.RemindHours,
			OfferHours: e.OfferHours}
		set := func(field *string, v *string) {
			if v != nil {
				*field = *v
			}
		}
		set(&in.Title, ch.Title)
		set(&in.Description, ch.Description)
		set(&in.Kind, ch.Kind)
		set(&in.Place, ch.Place)
		if ch.StartsAt != nil {
			in.StartsAt = *ch.StartsAt
			if ch.EndsAt == nil && !in.StartsAt.IsZero() {
				in.EndsAt = in.StartsAt.Add(e.EndsAt.Sub(e.StartsAt))
			}
		}
		if ch.EndsAt != nil {
			in.EndsAt = *ch.EndsAt
		}
		if ch.Capacity != nil {
			in.Capacity = *ch.Capacity
		}
		if ch.RemindHours != nil {
			in.RemindHours = *ch.RemindHours
		}
		if ch.OfferHours != nil {
			in.OfferHours = *ch.OfferHours
		}
		if in, err = checkEvent(in); err != nil {
			return err
		}
		if in.StartsAt.Unix() != e.StartsAt.Unix() && in.StartsAt.Before(s.Now()) {
			return invalidField("starts", "event.starts_past", "the new start %s has passed", in.StartsAt.In(Oslo).Format("2006-01-02 15:04"))
		}
		if err := checkCapacity(e, in.Capacity); err != nil {
			return err
		}
		before, after := eventChanges(e, in)
		if len(after) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE events SET title = ?, description = ?, kind = ?, place = ?,
			starts_at = ?, ends_at = ?, capacity = ?, updated_at = ? WHERE id = ?`,
			in.Title, in.Description, in.Kind, in.Place, in.StartsAt.Unix(), in.EndsAt.Unix(), in.Capacity,
			s.Now().Unix(), e.ID); err != nil {
			return Internal(err)
		}
		if err := s.audit(ctx, tx, "event.update", slug, before, after); err != nil {
			return err
		}
		// The people signed up to a published event are told when its time
		// or place changes, by mail queued in this transaction: it goes out
		// exactly when the change is committed. The old time and place go
		// with it, for the message to say what changed.
		moved := in.StartsAt.Unix() != e.StartsAt.Unix() || in.EndsAt.Unix() != e.EndsAt.Unix() || in.Place != e.Place
		if moved && e.Status == EventPublished {
			if err := s.mailSignupsOf(ctx, tx, MailEventChanged, e.ID, map[string]string{
				"old_starts": itoa(e.StartsAt.Unix()), "old_ends": itoa(e.EndsAt.Unix()), "old_place": e.Place,
			}); err != nil {
				return err
			}
		}
		if in.RemindHours != e.RemindHours {
			if _, err := tx.ExecContext(ctx, `UPDATE events SET remind_hours = ? WHERE id = ?`, in.RemindHours, e.ID); err != nil {
				return Internal(err)
			}
		}
		// Offers already made keep their time when the setting changes:
		// they were promised. The next freed seats follow the new setting.
		if in.OfferHours != e.OfferHours {
			if _, err := tx.ExecContext(ctx, `UPDATE events SET offer_hours = ? WHERE id = ?`, in.OfferHours, e.ID); err != nil {
				return Internal(err)
			}
		}
		if in.Capacity > e.Capacity {
			return s.promoteWaiting(ctx, tx, e.ID, ReasonCapacity, ActorFrom(ctx))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.eventBy(ctx, s.write, "e.id = ?", id)
}

// eventChanges returns, for the audit log, the fields in which in differs
// from e: their old values and their new ones.
func eventChanges(e *Event, in NewEvent) (before, after map[string]any) {
	before, after = map[string]any{}, map[string]any{}
	diff := func(name string, was, is any) {
		if was != is {
			before[name], after[name] = was, is
		}
	}
	diff("title", e.Title, in.Title)
	diff("description", e.Description, in.Description)
	diff("kind", e.Kind, in.Kind)
	diff("place", e.Place, in.Place)
	diff("starts", auditTime(e.StartsAt), auditTime(in.StartsAt))
	diff("ends", auditTime(e.EndsAt), auditTime(in.EndsAt))
	diff("capacity", e.Capacity, in.Capacity)
	diff("remind_hours", e.RemindHours, in.RemindHours)
	diff("offer_hours", e.OfferHours, in.OfferHours)
	return before, after
}

// auditTime writes a time as an organiser reads it: in Oslo, to the
// second, with its offset.
func auditTime(t time.Time) string { return t.In(Oslo).Format(time.RFC3339) }

// eventRecord is an event's fields as the audit log keeps them.
func eventRecord(in NewEvent) map[string]any {
	return map[string]any{
		"title": in.Title, "description": in.Description, "kind": in.Kind, "place": in.Place,
		"starts": auditTime(in.StartsAt), "ends": auditTime(in.EndsAt), "capacity": in.Capacity, "status": in.Status,
	}
}

// DuplicateEvent copies an event to a new start: "the same breakfast next
// month". The copy keeps the title, description, kind, place, length and
// capacity, and is a draft with its own slug, to be checked and published;
// it has none of the original's signups. The new start may not be in the
// past.
func (s *Store) DuplicateEvent(ctx context.Context, slug string, startsAt time.Time) (*Event, error) {
	if startsAt.IsZero() {
		return nil, invalidField("starts", "event.starts_required", "the copy needs a start time")
	}
	if startsAt.Before(s.Now()) {
		return nil, invalidField("starts", "event.starts_past", "the start %s has passed", startsAt.In(Oslo).Format("2006-01-02 15:04"))
	}
	var id int64
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		e, err := s.eventBy(ctx, tx, "e.slug = ?", slug)
		if err != nil {
			return err
		}
		in, err := checkEvent(NewEvent{Title: e.Title, Description: e.Description, Kind: e.Kind, Place: e.Place,
			StartsAt: startsAt, EndsAt: startsAt.Add(e.EndsAt.Sub(e.StartsAt)), Capacity: e.Capacity, Status: EventDraft})
		if err != nil {
			return err
		}
		var copySlug string
		if id, copySlug, err = s.insertEvent(ctx, tx, in); err != nil {
			return err
		}
		// The copy reminds its people, and treats its waiting list, as the
		// original does.
		if _, err := tx.ExecContext(ctx, `UPDATE events SET remind_hours = ?, offer_hours = ? WHERE id = ?`,
			e.RemindHours, e.OfferHours, id); err != nil {
			return Internal(err)
		}
		after := eventRecord(in)
		after["from"] = slug
		return s.audit(ctx, tx, "event.duplicate", copySlug, nil, after)
	})
	if err != nil {
		return nil, err
	}
	return s.eventBy(ctx, s.write, "e.id = ?", id)
}

// DeleteEvent deletes a draft nobody has signed up for. Anything else is
// refused: a published or cancelled event has been seen and is cancelled
// instead, and signups are people's own records.
func (s *Store) DeleteEvent(ctx context.Context, slug string) error {
	return s.inWrite(ctx, func(tx *sql.Tx) error {
		e, err := s.eventBy(ctx, tx, "e.slug = ?", slug)
		if err != nil {
			return err
		}
		if e.Status != EventDraft {
			return Conflictf("event.delete_not_draft", "event %s is %s; only a draft can be deleted", slug, e.Status)
		}
		var signups int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM signups WHERE event_id = ?`, e.ID).Scan(&signups); err != nil {
			return Internal(err)
		}
		if signups > 0 {
			return Conflictf("event.delete_has_signups", "event %s has %d signups", slug, signups)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM events WHERE id = ?`, e.ID); err != nil {
			return Internal(err)
		}
		return s.audit(ctx, tx, "event.delete", slug, eventRecord(NewEvent{Title: e.Title, Description: e.Description,
			Kind: e.Kind, Place: e.Place, StartsAt: e.StartsAt, EndsAt: e.EndsAt, Capacity: e.Capacity, Status: e.Status}), nil)
	})
}

// SetEventStatus publishes, cancels or hides an event. A cancelled event's
// signups leave the live screen: nobody is announced for an event that
// will not take place (publishing it again does not bring them back). An
// event people are signed up for cannot go back to being a draft, which
// would hide it from them. Setting the status it has changes nothing.
func (s *Store) SetEventStatus(ctx context.Context, slug, status string) error {
	if !contains([]string{EventDraft, EventPublished, EventCancelled}, status) {
		return invalidField("status", "event.status_unknown", "unknown status %q", status)
	}
	return s.inWrite(ctx, func(tx *sql.Tx) error {
		e, err := s.eventBy(ctx, tx, "e.slug = ?", slug)
		if err != nil {
			return err
		}
		if e.Status == status {
			return nil
		}
		if status == EventDraft && e.SeatsTaken+e.Waiting > 0 {
			return Conflictf("event.draft_has_signups", "event %s has signups", slug)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE events SET status = ?, updated_at = ? WHERE id = ?`, status, s.Now().Unix(), e.ID); err != nil {
			return Internal(err)
		}
		if status == EventCancelled {
			if _, err := s.hideItems(ctx, tx, `kind = 'signup' AND event_id = ?`, e.ID); err != nil {
				return err
			}
			if err := s.withdrawOffers(ctx, tx, e.ID); err != nil {
				return err
			}
			if err := s.mailSignupsOf(ctx, tx, MailEventCancelled, e.ID, nil); err != nil {
				return err
			}
		}
		if err := s.audit(ctx, tx, "event.status", slug, map[string]string{"status": e.Status}, map[string]string{"status": status}); err != nil {
			return err
		}
		// Published again after a cancellation: the offers withdrawn then
		// are made again to whoever is first in line now.
		if status == EventPublished {
			return s.promoteWaiting(ctx, tx, e.ID, ReasonFreed, ActorFrom(ctx))
		}
		return nil
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
