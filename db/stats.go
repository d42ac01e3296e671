package db

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// The numbers the initiative reports upward (the dashboard, issue 9).
// People are counted in seats throughout, as the screen's counters do: a
// signup for three is three people. "The programme" is the published
// events: drafts have no signups, and a cancelled event was not held.
// An event has been held once it has ended; only then are its no-shows
// known.
//
// Most figures are sums SQLite makes in one statement. Two are grouped in
// Go on purpose: ISO weeks in Europe/Oslo (SQLite knows no time zones, and
// Oslo's offset changes twice a year), and organisations spelt in different
// case or spacing (SQLite's lower() folds only ASCII, so "ÆRLIGE" and
// "ærlige" would be two firms).

// StatsWeeks is how many ISO weeks the signups-per-week series covers,
// the current one last.
const StatsWeeks = 12

// StatsPastEvents is how many of the latest held events the per-event
// figures include (every event not yet ended is included too).
const StatsPastEvents = 12

// StatsOrganisations is how many organisations the attendance list keeps.
const StatsOrganisations = 10

// Stats are the programme's figures as of one moment, read in one
// transaction so that they agree with each other.
type Stats struct {
	Now time.Time

	Weeks  []WeekSignups   // StatsWeeks weeks, oldest first, empty weeks included
	Events []EventFigures  // held (the latest StatsPastEvents) and not yet ended, by start
	Kinds  []KindFigures   // every kind, in Kinds order
	Ideas  []IdeaStatusSum // every idea status, in IdeaStatuses order

	// Organisations are the organisations that came to the most held
	// events, StatsOrganisations at most (Totals.Organisations counts
	// them all).
	Organisations []OrganisationFigures

	Alerts []CapacityAlert // upcoming events at least half full, soonest first
	Totals StatsTotals
	KPIs   []KPI // the initiative's own figures (SetKPI)
}

// StatsTotals are the programme's headline figures.
type StatsTotals struct {
	// EventsHeld counts the published events that have ended.
	EventsHeld int
	// ConfirmedSeats and CheckedInSeats are those of the events held;
	// Turnout is the one over the other (see Turnout).
	ConfirmedSeats int
	CheckedInSeats int
	// NoShows counts the confirmed signups of events held of which not
	// one seat was checked in; NoShowSeats their seats.
	NoShows     int
	NoShowSeats int
	WalkIns     int // walk-ins checked in at events held
	// Organisations counts the organisations that came to an event held
	// (checked in, as a signup or a walk-in); ComeBack those that came
	// to two or more.
	Organisations int
	ComeBack      int
	// Connections counts the accepted requests to be connected, on ideas
	// not withdrawn; BusinessesConnected the companies on either side
	// (the screen's figure).
	Connections         int
	BusinessesConnected int
}

// Turnout is the share of the confirmed seats of events held that were
// checked in, in whole percent rounded down; ok is false while no seat
// was confirmed.
func (t StatsTotals) Turnout() (percent int, ok bool) {
	return Percent(t.CheckedInSeats, t.ConfirmedSeats)
}

// Percent is part of whole in whole percent, rounded down, so that 79.9 %
// never reads as 80 %; ok is false when whole is 0.
func Percent(part, whole int) (percent int, ok bool) {
	if whole <= 0 {
		return 0, false
	}
	return part * 100 / whole, true
}

// WeekSignups are the signups made in one ISO week, Monday to Sunday in
// Europe/Oslo: every signup made, whatever became of it (confirmed,
// waiting, cancelled later), so that a week's figure does not change
// afterwards. An erased signup is gone from every count.
type WeekSignups struct {
	Year, Week int       // ISO 8601: week 1 holds the year's first Thursday
	Start      time.Time // Monday 00:00 in Oslo
	Signups    int
	Seats      int
}

// EventFigures are one published event's figures.
type EventFigures struct {
	Slug     string
	Title    string
	Kind     string
	StartsAt time.Time
	EndsAt   time.Time
	Ended    bool
	Capacity int

	ConfirmedSeats   int // seats taken
	ConfirmedSignups int
	Waiting          int // signups on the waiting list
	CheckedInSeats   int // confirmed seats checked in
	// NoShows: confirmed signups with no seat checked in, and their seats.
	// Counted once the event has ended; 0 before.
	NoShows     int
	NoShowSeats int
	WalkIns     int // walk-ins checked in (an undone one is not)
}

// Turnout is the event's checked-in seats over its confirmed seats; see
// Percent. Walk-ins are not in it: they took no confirmed seat.
func (f EventFigures) Turnout() (int, bool) { return Percent(f.CheckedInSeats, f.ConfirmedSeats) }

// Alert is the capacity alert level of an event not yet ended (see
// CapacityLevel); 0 once it has ended, when seats no longer matter.
func (f EventFigures) Alert() int {
	if f.Ended {
		return 0
	}
	return CapacityLevel(f.ConfirmedSeats, f.Capacity)
}

// KindFigures are the programme's figures for one kind of event.
type KindFigures struct {
	Kind           string
	Events         int // published events, held or not
	ConfirmedSeats int // their seats taken
	// HeldSeats and CheckedInSeats are those of the events held: the
	// kind's turnout (Turnout).
	HeldSeats      int
	CheckedInSeats int
}

// Turnout is the kind's checked-in seats over the confirmed seats of its
// events held.
func (k KindFigures) Turnout() (int, bool) { return Percent(k.CheckedInSeats, k.HeldSeats) }

// IdeaStatuses lists the idea statuses in the order the back office shows
// them: the queue first, then the board, then the ideas gone from it.
var IdeaStatuses = []string{IdeaPending, IdeaPublished, IdeaConnected, IdeaRealised, IdeaRejected, IdeaWithdrawn}

// IdeaStatusSum is how many ideas have one status.
type IdeaStatusSum struct {
	Status string
	Ideas  int
}

// OrganisationFigures is one organisation's attendance history over the
// events held. Spellings that differ only in case or spacing are one
// organisation (as the diet notes are); Name is its latest spelling.
type OrganisationFigures struct {
	Name string
	// SignedUp counts the events held it had a confirmed signup for;
	// Attended those it came to: a seat of a signup checked in, or a
	// walk-in naming it. A walk-in can make Attended exceed SignedUp.
	SignedUp int
	Attended int
}

// Capacity alert levels: the share of an upcoming event's seats taken.
const (
	CapacityHalf = 50
	CapacityMost = 80
	CapacityFull = 100
)

// CapacityLevel is the alert level of taken seats of capacity: 100 when
// full (a room of 0 seats is full), 80 or 50 from those shares, else 0.
// Exact shares, not rounded: 39 of 49 is 79.6 %, under 80.
func CapacityLevel(taken, capacity int) int {
	switch {
	case taken >= capacity:
		return CapacityFull
	case taken*100 >= capacity*CapacityMost:
		return CapacityMost
	case taken*100 >= capacity*CapacityHalf:
		return CapacityHalf
	}
	return 0
}

// CapacityAlert is an upcoming event whose seats are at least half taken.
type CapacityAlert struct {
	Slug     string
	Title    string
	StartsAt time.Time
	Capacity int
	Taken    int
	Waiting  int
	Level    int // CapacityHalf, CapacityMost or CapacityFull
}

// Percent is the share of the seats taken; see Percent.
// A room of 0 seats is full.
func (a CapacityAlert) Percent() int {
	p, ok := Percent(a.Taken, a.Capacity)
	if !ok {
		return 100
	}
	return min(p, 100)
}

// Stats computes the programme's figures as of s.Now().
func (s *Store) Stats(ctx context.Context) (*Stats, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, Internal(err)
	}
	defer tx.Rollback()
	st := &Stats{Now: s.Now()}
	for _, step := range []func(context.Context, *sql.Tx, *Stats) error{
		s.statsWeeks, s.statsEvents, s.statsTotals, s.statsKinds, s.statsOrganisations, s.statsIdeas, s.statsAlerts,
	} {
		if err := step(ctx, tx, st); err != nil {
			return nil, err
		}
	}
	if st.KPIs, err = s.listKPIs(ctx, tx); err != nil {
		return nil, err
	}
	return st, nil
}

// weekStart is the Monday 00:00 in Oslo of t's ISO week.
func weekStart(t time.Time) time.Time {
	t = t.In(Oslo)
	back := (int(t.Weekday()) + 6) % 7 // Monday 0 … Sunday 6
	return time.Date(t.Year(), t.Month(), t.Day()-back, 0, 0, 0, 0, Oslo)
}

func (s *Store) statsWeeks(ctx context.Context, tx *sql.Tx, st *Stats) error {
	// Calendar days, not 7×24 hours: a week with the clock change has 167
	// or 169 hours.
	this := weekStart(st.Now)
	st.Weeks = make([]WeekSignups, StatsWeeks)
	for i := range st.Weeks {
		start := this.AddDate(0, 0, -7*(StatsWeeks-1-i))
		w := &st.Weeks[i]
		w.Start = start
		w.Year, w.Week = start.ISOWeek()
	}
	rows, err := tx.QueryContext(ctx, `SELECT created_at, seats FROM signups WHERE created_at >= ? AND created_at < ?`,
		st.Weeks[0].Start.Unix(), this.AddDate(0, 0, 7).Unix())
	if err != nil {
		return Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var at int64
		var seats int
		if err := rows.Scan(&at, &seats); err != nil {
			return Internal(err)
		}
		i, _ := slices.BinarySearchFunc(st.Weeks, at, func(w WeekSignups, at int64) int {
			return cmp.Compare(w.Start.Unix(), at)
		})
		// BinarySearch finds the first week starting at or after at: the
		// signup belongs to that week if it starts exactly then, else to
		// the one before.
		if i == len(st.Weeks) || st.Weeks[i].Start.Unix() != at {
			i--
		}
		st.Weeks[i].Signups++
		st.Weeks[i].Seats += seats
	}
	if err := rows.Err(); err != nil {
		return Internal(err)
	}
	return nil
}

// eventFigures is the per-event figures' select list; the one argument is
// now, for the no-shows, which are known only once an event has ended.
const eventFigures = `SELECT e.slug, e.title, e.kind, e.starts_at, e.ends_at, e.capacity, e.seats_taken, e.waiting,
	count(s.id), coalesce(sum(s.checked_in_seats), 0),
	CASE WHEN e.ends_at <= ?1 THEN count(CASE WHEN s.checked_in_seats = 0 THEN 1 END) ELSE 0 END,
	CASE WHEN e.ends_at <= ?1 THEN coalesce(sum(CASE WHEN s.checked_in_seats = 0 THEN s.seats END), 0) ELSE 0 END,
	(SELECT count(*) FROM walkins w WHERE w.event_id = e.id AND w.checked_in_seats > 0)
	FROM events e LEFT JOIN signups s ON s.event_id = e.id AND s.status = 'confirmed'
	WHERE e.status = 'published' AND `

func (s *Store) statsEvents(ctx context.Context, tx *sql.Tx, st *Stats) error {
	now := st.Now.Unix()
	// The latest events held, then every one not yet ended; each part in
	// its own query so each LIMIT and order is plain.
	var held, coming []EventFigures
	for _, part := range []struct {
		where string
		into  *[]EventFigures
	}{
		{`e.ends_at <= ?1 GROUP BY e.id ORDER BY e.ends_at DESC, e.id DESC LIMIT ` + itoa(StatsPastEvents), &held},
		{`e.ends_at > ?1 GROUP BY e.id ORDER BY e.starts_at, e.id`, &coming},
	} {
		rows, err := tx.QueryContext(ctx, eventFigures+part.where, now)
		if err != nil {
			return Internal(err)
		}
		for rows.Next() {
			var f EventFigures
			var starts, ends int64
			if err := rows.Scan(&f.Slug, &f.Title, &f.Kind, &starts, &ends, &f.Capacity, &f.ConfirmedSeats, &f.Waiting,
				&f.ConfirmedSignups, &f.CheckedInSeats, &f.NoShows, &f.NoShowSeats, &f.WalkIns); err != nil {
				rows.Close()
				return Internal(err)
			}
			f.StartsAt, f.EndsAt, f.Ended = time.Unix(starts, 0), time.Unix(ends, 0), ends <= now
			*part.into = append(*part.into, f)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return Internal(err)
		}
	}
	slices.Reverse(held)
	st.Events = append(held, coming...)
	return nil
}

func (s *Store) statsTotals(ctx context.Context, tx *sql.Tx, st *Stats) error {
	now := st.Now.Unix()
	t := &st.Totals
	err := tx.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM events WHERE status = 'published' AND ends_at <= ?1),
		coalesce(sum(s.seats), 0), coalesce(sum(s.checked_in_seats), 0),
		count(CASE WHEN s.checked_in_seats = 0 THEN 1 END),
		coalesce(sum(CASE WHEN s.checked_in_seats = 0 THEN s.seats END), 0),
		(SELECT count(*) FROM walkins w JOIN events e ON e.id = w.event_id
			WHERE e.status = 'published' AND e.ends_at <= ?1 AND w.checked_in_seats > 0),
		(SELECT count(*) FROM idea_interests r JOIN ideas i ON i.id = r.idea_id
			WHERE r.status = 'accepted' AND i.status <> 'withdrawn')
		FROM signups s JOIN events e ON e.id = s.event_id
		WHERE e.status = 'published' AND e.ends_at <= ?1 AND s.status = 'confirmed'`, now).
		Scan(&t.EventsHeld, &t.ConfirmedSeats, &t.CheckedInSeats, &t.NoShows, &t.NoShowSeats, &t.WalkIns, &t.Connections)
	if err != nil {
		return Internal(err)
	}
	t.BusinessesConnected, err = businessesConnected(ctx, tx)
	return err
}

func (s *Store) statsKinds(ctx context.Context, tx *sql.Tx, st *Stats) error {
	rows, err := tx.QueryContext(ctx, `SELECT e.kind, count(*), sum(e.seats_taken),
		coalesce(sum(CASE WHEN e.ends_at <= ?1 THEN e.seats_taken END), 0),
		coalesce(sum(CASE WHEN e.ends_at <= ?1 THEN
			(SELECT coalesce(sum(s.checked_in_seats), 0) FROM signups s WHERE s.event_id = e.id AND s.status = 'confirmed') END), 0)
		FROM events e WHERE e.status = 'published' GROUP BY e.kind`, st.Now.Unix())
	if err != nil {
		return Internal(err)
	}
	defer rows.Close()
	byKind := map[string]KindFigures{}
	for rows.Next() {
		var k KindFigures
		if err := rows.Scan(&k.Kind, &k.Events, &k.ConfirmedSeats, &k.HeldSeats, &k.CheckedInSeats); err != nil {
			return Internal(err)
		}
		byKind[k.Kind] = k
	}
	if err := rows.Err(); err != nil {
		return Internal(err)
	}
	for _, kind := range Kinds {
		k := byKind[kind]
		k.Kind = kind
		st.Kinds = append(st.Kinds, k)
	}
	return nil
}

func (s *Store) statsIdeas(ctx context.Context, tx *sql.Tx, st *Stats) error {
	rows, err := tx.QueryContext(ctx, `SELECT status, count(*) FROM ideas GROUP BY status`)
	if err != nil {
		return Internal(err)
	}
	defer rows.Close()
	n := map[string]int{}
	for rows.Next() {
		var status string
		var count int
		if err := rows.Scan(&status, &count); err != nil {
			return Internal(err)
		}
		n[status] = count
	}
	if err := rows.Err(); err != nil {
		return Internal(err)
	}
	for _, status := range IdeaStatuses {
		st.Ideas = append(st.Ideas, IdeaStatusSum{Status: status, Ideas: n[status]})
	}
	return nil
}

func (s *Store) statsAlerts(ctx context.Context, tx *sql.Tx, st *Stats) error {
	// At least half full: taken*2 >= capacity; CapacityLevel says how full.
	rows, err := tx.QueryContext(ctx, `SELECT slug, title, starts_at, capacity, seats_taken, waiting FROM events
		WHERE status = 'published' AND starts_at > ? AND seats_taken * 2 >= capacity ORDER BY starts_at, id`, st.Now.Unix())
	if err != nil {
		return Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var a CapacityAlert
		var starts int64
		if err := rows.Scan(&a.Slug, &a.Title, &starts, &a.Capacity, &a.Taken, &a.Waiting); err != nil {
			return Internal(err)
		}
		a.StartsAt = time.Unix(starts, 0)
		a.Level = CapacityLevel(a.Taken, a.Capacity)
		st.Alerts = append(st.Alerts, a)
	}
	if err := rows.Err(); err != nil {
		return Internal(err)
	}
	return nil
}

func (s *Store) statsOrganisations(ctx context.Context, tx *sql.Tx, st *Stats) error {
	// One row per organisation as spelt and event held: signed up (a
	// confirmed signup), attended (a seat checked in, or a walk-in).
	rows, err := tx.QueryContext(ctx, `SELECT org, event_id, max(signed_up), max(attended) FROM (
			SELECT s.organization AS org, s.event_id, 1 AS signed_up, s.checked_in_seats > 0 AS attended, e.ends_at
			FROM signups s JOIN events e ON e.id = s.event_id
			WHERE e.status = 'published' AND e.ends_at <= ?1 AND s.status = 'confirmed' AND s.organization <> ''
			UNION ALL
			SELECT w.organization, w.event_id, 0, 1, e.ends_at
			FROM walkins w JOIN events e ON e.id = w.event_id
			WHERE e.status = 'published' AND e.ends_at <= ?1 AND w.checked_in_seats > 0 AND w.organization <> ''
			UNION ALL
			-- what purged signups and walk-ins said (retention.go)
			SELECT v.organization, v.event_id, v.signed_up, v.attended, e.ends_at
			FROM organisation_visits v JOIN events e ON e.id = v.event_id
			WHERE e.status = 'published' AND e.ends_at <= ?1)
		GROUP BY org, event_id ORDER BY max(ends_at), event_id, org`, st.Now.Unix())
	if err != nil {
		return Internal(err)
	}
	defer rows.Close()
	type history struct {
		name               string
		signedUp, attended map[int64]bool
	}
	var orgs []*history
	index := map[string]*history{}
	for rows.Next() {
		var org string
		var eventID int64
		var signedUp, attended bool
		if err := rows.Scan(&org, &eventID, &signedUp, &attended); err != nil {
			return Internal(err)
		}
		name, key := groupKey(org)
		if key == "" {
			continue // only spaces
		}
		h := index[key]
		if h == nil {
			h = &history{signedUp: map[int64]bool{}, attended: map[int64]bool{}}
			index[key] = h
			orgs = append(orgs, h)
		}
		h.name = name // rows come in event order: the latest spelling wins
		if signedUp {
			h.signedUp[eventID] = true
		}
		if attended {
			h.attended[eventID] = true
		}
	}
	if err := rows.Err(); err != nil {
		return Internal(err)
	}
	var all []OrganisationFigures
	for _, h := range orgs {
		f := OrganisationFigures{Name: h.name, SignedUp: len(h.signedUp), Attended: len(h.attended)}
		if f.Attended > 0 {
			st.Totals.Organisations++
		}
		if f.Attended >= 2 {
			st.Totals.ComeBack++
		}
		all = append(all, f)
	}
	order := collate.New(language.MustParse("nn"), collate.IgnoreCase) // æ, ø, å after z (see DoorList)
	slices.SortFunc(all, func(a, b OrganisationFigures) int {
		return cmp.Or(cmp.Compare(b.Attended, a.Attended), cmp.Compare(b.SignedUp, a.SignedUp), order.CompareString(a.Name, b.Name))
	})
	st.Organisations = all[:min(len(all), StatsOrganisations)]
	return nil
}

// groupKey tidies a name typed by people (an organisation, a diet note)
// and returns the key that groups its spellings: the same words in any
// case, spacing or composition of letters are one.
func groupKey(s string) (tidy, key string) {
	tidy = strings.Join(strings.Fields(s), " ")
	return tidy, fold(tidy)
}

// SignupRecord is one signup as the period's export lists it.
type SignupRecord struct {
	EventSlug      string
	EventTitle     string
	EventStartsAt  time.Time
	Name           string
	Organization   string
	Seats          int
	Status         string // confirmed, waiting or cancelled
	CheckedInSeats int
	CreatedAt      time.Time
}

// SignupRecords returns every signup, in any status, of the published
// events that start between the days from and to (written 2026-12-03,
// Europe/Oslo, both included), by the events' start and then in order of
// signup. A period is about the events held in it: a signup made in June
// for a September breakfast is September's. Refusals (EINVALID):
// date.invalid (field "from" or "to"), export.period_order (field "to",
// before from).
func (s *Store) SignupRecords(ctx context.Context, from, to string) ([]SignupRecord, error) {
	start, err := ParseOsloDate("from", from)
	if err != nil {
		return nil, err
	}
	last, err := ParseOsloDate("to", to)
	if err != nil {
		return nil, err
	}
	if last.Before(start) {
		return nil, invalidField("to", "export.period_order", "the period ends (%s) before it starts (%s)", to, from)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT e.slug, e.title, e.starts_at, s.name, s.organization, s.seats, s.status,
			s.checked_in_seats, s.created_at
		FROM signups s JOIN events e ON e.id = s.event_id
		WHERE e.status = 'published' AND e.starts_at >= ? AND e.starts_at < ?
		ORDER BY e.starts_at, e.id, s.id`, start.Unix(), last.AddDate(0, 0, 1).Unix())
	if err != nil {
		return nil, Internal(err)
	}
	defer rows.Close()
	var out []SignupRecord
	for rows.Next() {
		var r SignupRecord
		var starts, created int64
		if err := rows.Scan(&r.EventSlug, &r.EventTitle, &starts, &r.Name, &r.Organization, &r.Seats, &r.Status,
			&r.CheckedInSeats, &created); err != nil {
			return nil, Internal(err)
		}
		r.EventStartsAt, r.CreatedAt = time.Unix(starts, 0), time.Unix(created, 0)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, Internal(err)
	}
	return out, nil
}
