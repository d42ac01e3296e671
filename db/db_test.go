package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// MustOpenDB opens a fresh database file in a temporary folder.
func MustOpenDB(tb testing.TB) *db.Store {
	tb.Helper()
	s, err := db.Open(context.Background(), filepath.Join(tb.TempDir(), "torg.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// MustCreateEvent creates a published event a week from now.
func MustCreateEvent(tb testing.TB, s *db.Store, title string, capacity int) *db.Event {
	tb.Helper()
	e, err := s.CreateEvent(context.Background(), db.NewEvent{
		Title: title, Kind: db.KindBreakfast, Place: "Terningen Arena",
		StartsAt: time.Now().Add(7 * 24 * time.Hour).Truncate(time.Minute), Capacity: capacity,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func signup(email string, seats int) db.NewSignup {
	return db.NewSignup{Name: "Kari Nordmann", Email: email, Seats: seats, ShowName: db.ShowFirst}
}

func TestOpen(t *testing.T) {
	t.Run("MigrationsTwiceAreANoOp", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "torg.db")
		s, err := db.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		MustCreateEvent(t, s, "Frokostmøte", 10)
		s.Close()
		s, err = db.Open(context.Background(), path)
		if err != nil {
			t.Fatalf("second open: %v", err)
		}
		defer s.Close()
		events, err := s.ListEvents(context.Background(), db.EventFilter{Upcoming: true})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(events), 1; got != want {
			t.Fatalf("events after reopening: got %d, want %d", got, want)
		}
	})
	t.Run("Pragmas", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "torg.db")
		s, err := db.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		mode, sync, fk, err := s.Pragmas(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if mode != "wal" || sync != 2 || fk != 1 {
			t.Fatalf("journal_mode=%s synchronous=%d foreign_keys=%d, want wal 2 (FULL) 1", mode, sync, fk)
		}
	})
}

func TestSlugify(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Frokostmøte", "frokostmote"},
		{"Blålys & beredskap: Ærlig talt!", "blalys-beredskap-aerlig-talt"},
		{"  Café Élan  ", "cafe-elan"},
		{"Åpent møte 2027", "apent-mote-2027"},
		{"???", "arrangement"},
	} {
		if got := db.Slugify(tc.in); got != tc.want {
			t.Errorf("Slugify(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCreateEvent(t *testing.T) {
	s := MustOpenDB(t)
	starts := time.Date(2026, 12, 3, 7, 30, 0, 0, db.Oslo)
	s.Now = func() time.Time { return starts.Add(-48 * time.Hour) }
	a, err := s.CreateEvent(context.Background(), db.NewEvent{Title: "Frokostmøte", StartsAt: starts, Capacity: 5})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateEvent(context.Background(), db.NewEvent{Title: "Frokostmøte", StartsAt: starts, Capacity: 5})
	if err != nil {
		t.Fatal(err)
	}
	if a.Slug != "frokostmote-2026-12-03" || b.Slug != "frokostmote-2026-12-03-2" {
		t.Fatalf("slugs: got %q and %q, want frokostmote-2026-12-03 and frokostmote-2026-12-03-2", a.Slug, b.Slug)
	}
	if got, want := a.EndsAt.Sub(a.StartsAt), 2*time.Hour; got != want {
		t.Fatalf("default length: got %v, want %v", got, want)
	}
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, in := range []db.NewEvent{
			{Title: "", StartsAt: starts},
			{Title: "X", StartsAt: starts, Kind: "party"},
			{Title: "X", StartsAt: starts, EndsAt: starts.Add(-time.Hour)},
			{Title: "X"},
			{Title: "X", StartsAt: starts, Capacity: -1},
		} {
			if _, err := s.CreateEvent(context.Background(), in); db.ErrorCode(err) != db.EINVALID {
				t.Errorf("CreateEvent(%+v): got %v, want EINVALID", in, err)
			}
		}
	})
}

func TestCreateSignup(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 2)
		su, err := s.CreateSignup(ctx, e.Slug, signup("Kari@Example.no", 2))
		if err != nil {
			t.Fatal(err)
		}
		if su.Status != db.StatusConfirmed || su.Email != "kari@example.no" || len(su.Token) < 22 {
			t.Fatalf("got status %s, email %s, token %q", su.Status, su.Email, su.Token)
		}
		got, err := s.SignupByToken(ctx, su.Token)
		if err != nil || got.ID != su.ID {
			t.Fatalf("SignupByToken: got %v, %v", got, err)
		}
		hist, err := s.SignupHistory(ctx, su.ID)
		if err != nil || len(hist) != 1 || hist[0].ToStatus != db.StatusConfirmed || hist[0].Reason != db.ReasonSignup {
			t.Fatalf("history: got %+v, %v", hist, err)
		}
	})
	t.Run("ErrSeatsAndShowName", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 20)
		for _, seats := range []int{db.MinSeats - 1, db.MaxSeats + 1} {
			_, err := s.CreateSignup(ctx, e.Slug, signup("a@example.no", seats))
			if db.ErrorKey(err) != "signup.seats_range" || db.ErrorField(err) != "seats" {
				t.Errorf("%d seats: got %v, want signup.seats_range on seats", seats, err)
			}
		}
		in := signup("a@example.no", 1)
		in.ShowName = "everything"
		if _, err := s.CreateSignup(ctx, e.Slug, in); db.ErrorKey(err) != "signup.show_name_unknown" || db.ErrorField(err) != "show_name" {
			t.Errorf("show_name %q: got %v, want signup.show_name_unknown on show_name", in.ShowName, err)
		}
		for i, seats := range []int{db.MinSeats, db.MaxSeats} {
			if _, err := s.CreateSignup(ctx, e.Slug, signup(fmt.Sprintf("%d@example.no", i), seats)); err != nil {
				t.Errorf("%d seats: %v", seats, err)
			}
		}
	})
	t.Run("ErrConflictOnDuplicateEmail", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 10)
		first, err := s.CreateSignup(ctx, e.Slug, signup("kari@example.no", 1))
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.CreateSignup(ctx, e.Slug, signup(" KARI@example.NO ", 1))
		if db.ErrorCode(err) != db.ECONFLICT || db.ErrorKey(err) != "signup.duplicate" {
			t.Fatalf("second signup: got %v, want ECONFLICT signup.duplicate", err)
		}
		// Once cancelled, the address may sign up again.
		if _, err := s.CancelSignup(ctx, first.Token, db.ActorResident); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateSignup(ctx, e.Slug, signup("kari@example.no", 1)); err != nil {
			t.Fatalf("signup after cancelling: %v", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := MustOpenDB(t)
		if _, err := s.CreateSignup(ctx, "nope", signup("a@example.no", 1)); db.ErrorCode(err) != db.ENOTFOUND {
			t.Fatalf("got %v, want ENOTFOUND", err)
		}
		if _, err := s.SignupByToken(ctx, "nope"); db.ErrorCode(err) != db.ENOTFOUND {
			t.Fatalf("got %v, want ENOTFOUND", err)
		}
	})
	t.Run("ErrClosed", func(t *testing.T) {
		s := MustOpenDB(t)
		draft, err := s.CreateEvent(ctx, db.NewEvent{Title: "Utkast", StartsAt: time.Now().Add(time.Hour), Capacity: 5, Status: db.EventDraft})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateSignup(ctx, draft.Slug, signup("a@example.no", 1)); db.ErrorCode(err) != db.ENOTFOUND {
			t.Fatalf("draft: got %v, want ENOTFOUND", err)
		}
		cancelled := MustCreateEvent(t, s, "Avlyst", 5)
		if err := s.SetEventStatus(ctx, cancelled.Slug, db.EventCancelled); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateSignup(ctx, cancelled.Slug, signup("a@example.no", 1)); db.ErrorKey(err) != "signup.closed" {
			t.Fatalf("cancelled: got %v, want signup.closed", err)
		}
		past, err := s.CreateEvent(ctx, db.NewEvent{Title: "Før", StartsAt: time.Now().Add(-time.Hour), Capacity: 5})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateSignup(ctx, past.Slug, signup("a@example.no", 1)); db.ErrorKey(err) != "signup.closed" {
			t.Fatalf("past: got %v, want signup.closed", err)
		}
	})
}

// TestSignupRace: 200 people racing for 20 seats give exactly 20 confirmed
// and 180 waiting, in the order their signups were stored.
func TestSignupRace(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	e := MustCreateEvent(t, s, "Frokostmøte", 20)
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.CreateSignup(ctx, e.Slug, signup(fmt.Sprintf("p%d@example.no", i), 1)); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	list, err := s.ListSignups(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	confirmed, waiting := 0, 0
	for i, su := range list {
		switch su.Status {
		case db.StatusConfirmed:
			confirmed++
			if i >= 20 {
				t.Errorf("signup %d in creation order is confirmed, but only the first 20 fit", i+1)
			}
		case db.StatusWaiting:
			waiting++
			if su.WaitingPosition != waiting {
				t.Errorf("signup %d: waiting position %d, want %d", i+1, su.WaitingPosition, waiting)
			}
		}
	}
	if confirmed != 20 || waiting != 180 {
		t.Fatalf("got %d confirmed and %d waiting, want 20 and 180", confirmed, waiting)
	}
	got, err := s.EventBySlug(ctx, e.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if got.SeatsLeft() != 0 || got.Waiting != 180 {
		t.Fatalf("event: seats left %d, waiting %d; want 0 and 180", got.SeatsLeft(), got.Waiting)
	}
}

// TestGroupSeats: groups racing for seats never overbook the room.
func TestGroupSeats(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	e := MustCreateEvent(t, s, "Seminar", 23)
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.CreateSignup(ctx, e.Slug, signup(fmt.Sprintf("g%d@example.no", i), 1+i%5)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := s.EventBySlug(ctx, e.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if got.SeatsTaken > 23 {
		t.Fatalf("confirmed %d seats of 23", got.SeatsTaken)
	}
	if got.Waiting == 0 {
		t.Fatalf("no one waiting: the room cannot hold %d seats", 60*3)
	}
}

func TestCancelPromotesInOrder(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	e := MustCreateEvent(t, s, "Frokostmøte", 3)
	a, _ := s.CreateSignup(ctx, e.Slug, signup("a@example.no", 3))
	b, _ := s.CreateSignup(ctx, e.Slug, signup("b@example.no", 2)) // waiting 1
	c, _ := s.CreateSignup(ctx, e.Slug, signup("c@example.no", 2)) // waiting 2
	d, _ := s.CreateSignup(ctx, e.Slug, signup("d@example.no", 1)) // waiting 3
	for _, su := range []*db.Signup{b, c, d} {
		if su.Status != db.StatusWaiting {
			t.Fatalf("%s: got %s, want waiting", su.Email, su.Status)
		}
	}
	if d.WaitingPosition != 3 {
		t.Fatalf("d: position %d, want 3", d.WaitingPosition)
	}
	if _, err := s.CancelSignup(ctx, a.Token, db.ActorResident); err != nil {
		t.Fatal(err)
	}
	// 3 seats free: b (2) moves up, c (2) does not fit, d (1) does.
	want := map[string]string{b.Token: db.StatusConfirmed, c.Token: db.StatusWaiting, d.Token: db.StatusConfirmed, a.Token: db.StatusCancelled}
	for token, status := range want {
		su, err := s.SignupByToken(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if su.Status != status {
			t.Errorf("%s: got %s, want %s", su.Email, su.Status, status)
		}
	}
	hist, _ := s.SignupHistory(ctx, b.ID)
	if last := hist[len(hist)-1]; last.Reason != db.ReasonFreed || last.ToStatus != db.StatusConfirmed || last.Actor != db.ActorSystem {
		t.Fatalf("b's history: got %+v, want a promotion because seats were freed", last)
	}
	c2, _ := s.SignupByToken(ctx, c.Token)
	if c2.WaitingPosition != 1 {
		t.Fatalf("c: position %d, want 1", c2.WaitingPosition)
	}
	// Leaving the waiting list works the same way, and twice is harmless.
	for range 2 {
		if su, err := s.CancelSignup(ctx, c.Token, db.ActorResident); err != nil || su.Status != db.StatusCancelled {
			t.Fatalf("cancel waiting: got %v, %v", su, err)
		}
	}
}

func TestSetCapacityPromotes(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	e := MustCreateEvent(t, s, "Nettverksmøte", 1)
	s.CreateSignup(ctx, e.Slug, signup("a@example.no", 1))
	// A group of two waits: taken while the event had two seats (a group
	// larger than the event is refused), then the event had one again.
	mustSetCapacity(t, s, e.Slug, 2)
	b, _ := s.CreateSignup(ctx, e.Slug, signup("b@example.no", 2))
	mustSetCapacity(t, s, e.Slug, 1)
	c, _ := s.CreateSignup(ctx, e.Slug, signup("c@example.no", 1))
	got, err := s.SetCapacity(ctx, e.Slug, 3, "cli")
	if err != nil {
		t.Fatal(err)
	}
	if got.SeatsTaken != 3 || got.Waiting != 1 {
		t.Fatalf("after raising to 3: %d taken, %d waiting; want 3 and 1", got.SeatsTaken, got.Waiting)
	}
	if su, _ := s.SignupByToken(ctx, b.Token); su.Status != db.StatusConfirmed {
		t.Fatalf("b: got %s, want confirmed", su.Status)
	}
	if su, _ := s.SignupByToken(ctx, c.Token); su.Status != db.StatusWaiting {
		t.Fatalf("c: got %s, want waiting", su.Status)
	}
	hist, _ := s.SignupHistory(ctx, b.ID)
	if last := hist[len(hist)-1]; last.Reason != db.ReasonCapacity || last.Actor != "cli" {
		t.Fatalf("b's history: got %+v", last)
	}
	if _, err := s.SetCapacity(ctx, e.Slug, 2, "cli"); db.ErrorKey(err) != "event.capacity_below_taken" {
		t.Fatalf("lowering below confirmed: got %v", err)
	}
}

func TestShownAs(t *testing.T) {
	for _, tc := range []struct{ show, name, org, wantName, wantOrg string }{
		{db.ShowFull, "Kari Nordmann", "Sykehuset Innlandet", "Kari Nordmann", "Sykehuset Innlandet"},
		{db.ShowFirst, "Kari Nordmann", "Sykehuset Innlandet", "Kari", "Sykehuset Innlandet"},
		{db.ShowFirst, "  Kari   Nordmann ", " Sykehuset Innlandet ", "Kari", "Sykehuset Innlandet"},
		{db.ShowFirst, "Kari", "", "Kari", ""},
		{db.ShowFirst, "Kari-Anne Nordmann", "", "Kari-Anne", ""},
		// Any Unicode space ends the first name, not only U+0020.
		{db.ShowFirst, "Kari\u00a0Nordmann", "", "Kari", ""}, // no-break space
		{db.ShowFirst, "Kari\u2007Nordmann", "", "Kari", ""}, // figure space
		{db.ShowFirst, "Kari\u202fNordmann", "", "Kari", ""}, // narrow no-break space
		{db.ShowFirst, "Kari\u2002Nordmann", "", "Kari", ""}, // en space
		{db.ShowFirst, "Kari\u3000Nordmann", "", "Kari", ""}, // ideographic space
		{db.ShowFirst, "Kari\tNordmann", "", "Kari", ""},
		{db.ShowFirst, "\u00a0Kari\u00a0Nordmann\u00a0", "", "Kari", ""},
		{db.ShowFull, "\u00a0Kari\u00a0Nordmann\u00a0", "", "Kari\u00a0Nordmann", ""},
		{db.ShowNone, "Kari Nordmann", "Sykehuset Innlandet", "", ""},
		{"", "Kari Nordmann", "Sykehuset Innlandet", "", ""},
	} {
		name, org := db.ShownAs(tc.show, tc.name, tc.org)
		if name != tc.wantName || org != tc.wantOrg {
			t.Errorf("ShownAs(%q, %q, %q): got %q/%q, want %q/%q", tc.show, tc.name, tc.org, name, org, tc.wantName, tc.wantOrg)
		}
	}
}

func TestRevisionMovesWithEveryWrite(t *testing.T) {
	s := MustOpenDB(t)
	before := s.Revision()
	e := MustCreateEvent(t, s, "Frokostmøte", 1)
	if s.Revision() <= before {
		t.Fatalf("revision did not move on CreateEvent")
	}
	select {
	case <-s.Committed():
	default:
		t.Fatal("no commit signal")
	}
	before = s.Revision()
	if _, err := s.CreateSignup(context.Background(), e.Slug, signup("a@example.no", 1)); err != nil {
		t.Fatal(err)
	}
	if s.Revision() <= before {
		t.Fatalf("revision did not move on CreateSignup")
	}
}

func TestEraseSignup(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "torg.db")
	s, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e := MustCreateEvent(t, s, "Frokostmøte", 1)
	a, _ := s.CreateSignup(ctx, e.Slug, db.NewSignup{Name: "Kari Nordmann", Email: "kari@example.no", Seats: 1, ShowName: db.ShowFull, Organization: "Sykehuset"})
	b, _ := s.CreateSignup(ctx, e.Slug, signup("b@example.no", 1))
	data, err := s.SignupDataByToken(ctx, a.Token)
	if err != nil {
		t.Fatal(err)
	}
	if data.Signup.Email != "kari@example.no" || len(data.History) != 1 || len(data.ShownOnScreen) != 1 {
		t.Fatalf("data: %+v", data)
	}
	slug, err := s.EraseSignup(ctx, a.Token)
	if err != nil || slug != e.Slug {
		t.Fatalf("erase: %q, %v", slug, err)
	}
	if _, err := s.SignupByToken(ctx, a.Token); db.ErrorCode(err) != db.ENOTFOUND {
		t.Fatalf("after erasing: %v, want ENOTFOUND", err)
	}
	items, err := s.LatestActivity(ctx, 0, 1<<62, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.ActorName == "Kari Nordmann" {
			t.Fatal("the erased name is still in the feed")
		}
	}
	raw, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var left int
	if err := raw.QueryRow(`SELECT count(*) FROM activity WHERE actor_name = 'Kari Nordmann' OR actor_org = 'Sykehuset'`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Fatalf("%d activity rows still name the person", left)
	}
	if su, _ := s.SignupByToken(ctx, b.Token); su.Status != db.StatusConfirmed {
		t.Fatalf("the seat was not passed on: %s", su.Status)
	}
}

// TestSeatCountsFollowEveryChange: the counts kept in the event row agree
// with the signups after signups, cancellations, promotions and erasure.
func TestSeatCountsFollowEveryChange(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	e := MustCreateEvent(t, s, "Seminar", 6)
	var tokens []string
	for i := range 8 {
		su, err := s.CreateSignup(ctx, e.Slug, signup(fmt.Sprintf("c%d@example.no", i), 1+i%3))
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, su.Token)
	}
	s.CancelSignup(ctx, tokens[0], db.ActorResident)
	s.CancelSignup(ctx, tokens[5], db.ActorResident)
	s.EraseSignup(ctx, tokens[1])
	s.SetCapacity(ctx, e.Slug, 9, "cli")
	got, err := s.EventBySlug(ctx, e.Slug)
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.ListSignups(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	taken, waiting := 0, 0
	for _, su := range list {
		switch su.Status {
		case db.StatusConfirmed:
			taken += su.Seats
		case db.StatusWaiting:
			waiting++
		}
	}
	if got.SeatsTaken != taken || got.Waiting != waiting {
		t.Fatalf("event row: %d taken, %d waiting; signups: %d taken, %d waiting", got.SeatsTaken, got.Waiting, taken, waiting)
	}
	if taken > 9 {
		t.Fatalf("overbooked: %d of 9", taken)
	}
}

// TestOpenPathWithURICharacters: a '#' or '?' in the path neither moves the
// database elsewhere nor drops its pragmas.
func TestOpenPathWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Møte #2?x=1")
	path := filepath.Join(dir, "torg.db")
	s, err := db.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	MustCreateEvent(t, s, "Frokostmøte", 1)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database is not where it was asked to be: %v", err)
	}
	mode, sync, _, err := s.Pragmas(context.Background())
	if err != nil || mode != "wal" || sync != 2 {
		t.Fatalf("pragmas lost: %s %d %v", mode, sync, err)
	}
}

// mustSetCapacity sets an event's seats, as the command line does.
func mustSetCapacity(t *testing.T, s *db.Store, slug string, n int) {
	t.Helper()
	if _, err := s.SetCapacity(context.Background(), slug, n, "cli"); err != nil {
		t.Fatal(err)
	}
}
