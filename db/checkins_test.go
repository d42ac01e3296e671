package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// signupFor signs a named person up for e.
func signupFor(tb testing.TB, s *db.Store, e *db.Event, name, org, show string, seats int) *db.Signup {
	tb.Helper()
	email := strings.ToLower(strings.Join(strings.Fields(name), ".")) + "@example.no"
	su, err := s.CreateSignup(context.Background(), e.Slug, db.NewSignup{Name: name, Email: email, Organization: org, Seats: seats, ShowName: show})
	if err != nil {
		tb.Fatal(err)
	}
	return su
}

// checkInItems returns the feed's check-in items for e that are on the screens.
func checkInItems(tb testing.TB, s *db.Store, e *db.Event) []db.Activity {
	tb.Helper()
	items, err := s.LatestActivity(context.Background(), e.ID, 1<<62, 100)
	if err != nil {
		tb.Fatal(err)
	}
	var out []db.Activity
	for _, a := range items {
		if a.Kind == db.ActivityCheckIn {
			out = append(out, a)
		}
	}
	return out
}

func checkedIn(tb testing.TB, s *db.Store, eventID int64) int {
	tb.Helper()
	c, err := s.Counters(context.Background(), eventID)
	if err != nil {
		tb.Fatal(err)
	}
	return c.CheckedIn
}

func TestCheckInCode(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 100)
		seen := map[string]bool{}
		for i := range 40 {
			su := signupFor(t, s, e, fmt.Sprintf("Person %d", i), "", db.ShowNone, 1)
			if len(su.CheckInCode) != 8 || strings.Trim(su.CheckInCode, db.CheckInAlphabet) != "" {
				t.Fatalf("code %q: want 8 characters of %s", su.CheckInCode, db.CheckInAlphabet)
			}
			if seen[su.CheckInCode] {
				t.Fatalf("code %q given twice", su.CheckInCode)
			}
			seen[su.CheckInCode] = true
			if strings.Contains(su.Token, su.CheckInCode) {
				t.Fatalf("the code %q is part of the manage token %q", su.CheckInCode, su.Token)
			}
		}
	})

	// Signups made before the migration get a code from it, so that a
	// GET of their page never writes.
	t.Run("MigrationGivesExistingSignupsOne", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "torg.db")
		raw, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=on")
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if _, err := raw.Exec(`CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob("migrations/*.sql")
		sort.Strings(files)
		for _, f := range files {
			version := strings.TrimSuffix(filepath.Base(f), ".sql")
			if version >= "0008" {
				break
			}
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := raw.Exec(string(body)); err != nil {
				t.Fatalf("%s: %v", version, err)
			}
			if _, err := raw.Exec(`INSERT INTO schema_migrations VALUES (?, 0)`, version); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := raw.Exec(`INSERT INTO events (id, slug, title, kind, starts_at, ends_at, capacity, status, created_at, updated_at)
			VALUES (1, 'frokost', 'Frokost', 'breakfast', 0, 0, 500, 'published', 0, 0)`); err != nil {
			t.Fatal(err)
		}
		for i := range 300 {
			checked := any(nil)
			if i == 0 {
				checked = 100
			}
			if _, err := raw.Exec(`INSERT INTO signups (event_id, token, name, email, seats, show_name, status, consent_at, checked_in_at, created_at, updated_at)
				VALUES (1, ?, 'Kari', ?, 2, 'none', 'confirmed', 0, ?, 0, 0)`, fmt.Sprint("t", i), fmt.Sprint(i, "@example.no"), checked); err != nil {
				t.Fatal(err)
			}
		}
		raw.Close()
		s, err := db.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		signups, err := s.ListSignups(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, su := range signups {
			if len(su.CheckInCode) != 8 || strings.Trim(su.CheckInCode, db.CheckInAlphabet) != "" || seen[su.CheckInCode] {
				t.Fatalf("signup %d: code %q, want 8 characters of the alphabet, unique", su.ID, su.CheckInCode)
			}
			seen[su.CheckInCode] = true
		}
		if got := signups[0].CheckedInSeats; got != 2 {
			t.Errorf("a signup checked in before the migration: %d seats in, want all 2", got)
		}
		if got := signups[1].CheckedInSeats; got != 0 {
			t.Errorf("a signup not checked in: %d seats in, want 0", got)
		}
	})
}

func TestCheckIn(t *testing.T) {
	ctx := db.WithActor(context.Background(), "vert@example.no")

	t.Run("OK", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 10)
		su := signupFor(t, s, e, "Kari Nordmann", "Elverum Rør AS", db.ShowFirst, 1)
		res, err := s.CheckIn(ctx, e.Slug, db.CheckInRequest{Code: strings.ToLower(su.CheckInCode[:4]) + "-" + su.CheckInCode[4:]})
		if err != nil {
			t.Fatal(err)
		}
		if res.Name != "Kari Nordmann" || res.Organization != "Elverum Rør AS" || res.Seats != 1 || res.CheckedInSeats != 1 ||
			res.CheckedInAt == nil || res.Already || res.SignupID != su.ID {
			t.Fatalf("got %+v, want Kari checked in with her one seat", res)
		}
		if got := checkedIn(t, s, e.ID); got != 1 {
			t.Errorf("checked in: got %d, want 1", got)
		}
		items := checkInItems(t, s, e)
		if len(items) != 1 || items[0].ActorName != "Kari" || items[0].ActorOrg != "Elverum Rør AS" || items[0].SignupID != su.ID {
			t.Fatalf("feed: got %+v, want one arrival of Kari (first name only) from Elverum Rør AS", items)
		}
		audit, err := s.ListAudit(ctx, db.AuditFilter{Action: "checkin.add"})
		if err != nil {
			t.Fatal(err)
		}
		if len(audit) != 1 || audit[0].Actor != "vert@example.no" || audit[0].Subject != fmt.Sprintf("%s/%d", e.Slug, su.ID) {
			t.Fatalf("audit: got %+v, want one checkin.add by the host", audit)
		}

		// The same check-in again is the same check-in.
		again, err := s.CheckIn(ctx, e.Slug, db.CheckInRequest{SignupID: su.ID})
		if err != nil {
			t.Fatal(err)
		}
		if !again.Already || again.CheckedInSeats != 1 || !again.CheckedInAt.Equal(*res.CheckedInAt) {
			t.Errorf("again: got %+v, want already checked in at the first time", again)
		}
		if got := checkedIn(t, s, e.ID); got != 1 {
			t.Errorf("checked in after the second: got %d, want 1", got)
		}
		if n := len(checkInItems(t, s, e)); n != 1 {
			t.Errorf("feed items after the second: got %d, want 1", n)
		}
	})

	t.Run("GroupSeatBySeat", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 10)
		su := signupFor(t, s, e, "Ola Nordmann", "Rør AS", db.ShowFull, 3)
		for i, want := range []int{1, 3, 3} {
			res, err := s.CheckIn(ctx, e.Slug, db.CheckInRequest{Code: su.CheckInCode, Seats: []int{1, 5, 1}[i]})
			if err != nil {
				t.Fatal(err)
			}
			if res.CheckedInSeats != want || res.Already != (i == 2) {
				t.Fatalf("check-in %d: got %d seats in (already %v), want %d", i+1, res.CheckedInSeats, res.Already, want)
			}
		}
		if got := checkedIn(t, s, e.ID); got != 3 {
			t.Errorf("checked in: got %d, want the group's 3", got)
		}
		if items := checkInItems(t, s, e); len(items) != 1 || items[0].Seats != 1 {
			t.Errorf("feed: got %+v, want one arrival (the first seat)", items)
		}
	})

	t.Run("ErrRefused", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 1)
		other := MustCreateEvent(t, s, "Seminar om vann", 10)
		confirmed := signupFor(t, s, e, "Kari Nordmann", "", db.ShowFull, 1)
		waiting := signupFor(t, s, e, "Ola Nordmann", "", db.ShowFull, 1)
		elsewhere := signupFor(t, s, other, "Per Hansen", "", db.ShowFull, 1)
		cancelled := signupFor(t, s, other, "Lise Berg", "", db.ShowFull, 1)
		if _, err := s.CancelSignup(ctx, cancelled.Token, db.ActorResident); err != nil {
			t.Fatal(err)
		}
		if waiting.Status != db.StatusWaiting {
			t.Fatalf("Ola is %s, want waiting", waiting.Status)
		}
		for _, tc := range []struct {
			name string
			slug string
			req  db.CheckInRequest
			key  string
			who  string
		}{
			{"OtherEvent", e.Slug, db.CheckInRequest{Code: elsewhere.CheckInCode}, "checkin.other_event", "Per Hansen"},
			{"Cancelled", other.Slug, db.CheckInRequest{Code: cancelled.CheckInCode}, "checkin.cancelled", "Lise Berg"},
			{"Waiting", e.Slug, db.CheckInRequest{SignupID: waiting.ID}, "checkin.waiting", "Ola Nordmann"},
			{"UnknownCode", e.Slug, db.CheckInRequest{Code: "ZZZZ2222"}, "checkin.unknown_code", ""},
			{"NoCode", e.Slug, db.CheckInRequest{Code: " - "}, "checkin.code_required", ""},
			{"NegativeSeats", e.Slug, db.CheckInRequest{Code: confirmed.CheckInCode, Seats: -1}, "checkin.seats_range", ""},
			{"UnknownEvent", "finnes-ikke", db.CheckInRequest{Code: confirmed.CheckInCode}, "event.not_found", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res, err := s.CheckIn(ctx, tc.slug, tc.req)
				if got := db.ErrorKey(err); got != tc.key {
					t.Fatalf("got %v (%s), want %s", err, got, tc.key)
				}
				if tc.who != "" && (res == nil || res.Name != tc.who) {
					t.Errorf("result %+v, want it to name %s", res, tc.who)
				}
				if tc.key == "checkin.other_event" && (res == nil || res.EventTitle != "Seminar om vann") {
					t.Errorf("result %+v, want it to name the other event", res)
				}
				if _, err := s.UndoCheckIn(ctx, tc.slug, tc.req); db.ErrorKey(err) != tc.key {
					t.Errorf("undo: got %v, want %s", err, tc.key)
				}
			})
		}
		if got := checkedIn(t, s, 0); got != 0 {
			t.Errorf("checked in after refusals: %d, want 0", got)
		}
	})

	// An offline door sends check-ins late: the record keeps when they
	// arrived, within bounds.
	t.Run("LateFromAnOfflineDoor", func(t *testing.T) {
		s := MustOpenDB(t)
		now := time.Now().Truncate(time.Second)
		s.Now = func() time.Time { return now }
		e := MustCreateEvent(t, s, "Frokostmøte", 10)
		for _, tc := range []struct {
			at, want time.Time
		}{
			{now.Add(-20 * time.Minute), now.Add(-20 * time.Minute)},
			{now.Add(time.Hour), now},       // the phone's clock runs ahead
			{now.Add(-72 * time.Hour), now}, // not a plausible morning
			{time.Time{}, now},              // not given
		} {
			su := signupFor(t, s, e, "Person "+db.NewCheckInCode(), "", db.ShowNone, 1)
			res, err := s.CheckIn(ctx, e.Slug, db.CheckInRequest{SignupID: su.ID, At: tc.at})
			if err != nil {
				t.Fatal(err)
			}
			if !res.CheckedInAt.Equal(tc.want) {
				t.Errorf("at %v: recorded %v, want %v", tc.at, res.CheckedInAt, tc.want)
			}
		}
	})

	t.Run("KeyReplayed", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 10)
		su := signupFor(t, s, e, "Kari Nordmann", "", db.ShowFull, 4)
		for i := range 3 {
			res, err := s.CheckIn(ctx, e.Slug, db.CheckInRequest{Code: su.CheckInCode, Seats: 1, Key: "tap-1"})
			if err != nil {
				t.Fatal(err)
			}
			if res.CheckedInSeats != 1 || res.Replayed != (i > 0) {
				t.Fatalf("send %d: %+v, want 1 seat in, replayed after the first", i+1, res)
			}
		}
		res, err := s.CheckIn(ctx, e.Slug, db.CheckInRequest{Code: su.CheckInCode, Seats: 1, Key: "tap-2"})
		if err != nil {
			t.Fatal(err)
		}
		if res.CheckedInSeats != 2 {
			t.Errorf("another tap: %d seats in, want 2", res.CheckedInSeats)
		}
	})
}

// Two hosts at two doors, and a door that sends its queue twice: one
// person is checked in once, a group's seats are never counted twice.
func TestCheckInConcurrent(t *testing.T) {
	ctx := db.WithActor(context.Background(), "vert@example.no")
	s := MustOpenDB(t)
	e := MustCreateEvent(t, s, "Frokostmøte", 20)
	kari := signupFor(t, s, e, "Kari Nordmann", "Elverum Rør AS", db.ShowFull, 1)
	group := signupFor(t, s, e, "Ola Nordmann", "Rør AS", db.ShowFull, 5)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 40 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := s.CheckIn(ctx, e.Slug, db.CheckInRequest{Code: kari.CheckInCode})
			errs <- err
		}()
		go func() {
			defer wg.Done()
			// Eight taps, each sent five times.
			_, err := s.CheckIn(ctx, e.Slug, db.CheckInRequest{SignupID: group.ID, Seats: 1, Key: fmt.Sprint("tap-", i%8)})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := checkedIn(t, s, e.ID); got != 1+5 {
		t.Errorf("checked in: got %d, want 6 (Kari once, the group's 5 seats)", got)
	}
	if n := len(checkInItems(t, s, e)); n != 2 {
		t.Errorf("arrivals on the feed: got %d, want 2", n)
	}
	audit, err := s.ListAudit(ctx, db.AuditFilter{Action: "checkin.add"})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 1+5 {
		t.Errorf("audit: %d check-ins recorded, want 6 (one per change)", len(audit))
	}
}

func TestUndoCheckIn(t *testing.T) {
	ctx := db.WithActor(context.Background(), "vert@example.no")
	s := MustOpenDB(t)
	e := MustCreateEvent(t, s, "Frokostmøte", 10)
	su := signupFor(t, s, e, "Kari Nordmann", "Elverum Rør AS", db.ShowFull, 3)
	if _, err := s.CheckIn(ctx, e.Slug, db.CheckInRequest{Code: su.CheckInCode}); err != nil {
		t.Fatal(err)
	}
	item := checkInItems(t, s, e)[0]

	res, err := s.UndoCheckIn(ctx, e.Slug, db.CheckInRequest{Code: su.CheckInCode, Seats: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.CheckedInSeats != 2 || res.CheckedInAt == nil {
		t.Fatalf("undo one seat: %+v, want 2 seats left in", res)
	}
	if got := checkedIn(t, s, e.ID); got != 2 {
		t.Errorf("checked in: got %d, want 2", got)
	}
	if n := len(checkInItems(t, s, e)); n != 1 {
		t.Errorf("the arrival left the feed with seats still in")
	}
	last, err := s.LastActivityID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res, err = s.UndoCheckIn(ctx, e.Slug, db.CheckInRequest{SignupID: su.ID}); err != nil {
		t.Fatal(err)
	}
	if res.CheckedInSeats != 0 || res.CheckedInAt != nil || res.Already {
		t.Fatalf("undo all: %+v, want nobody in", res)
	}
	if got := checkedIn(t, s, e.ID); got != 0 {
		t.Errorf("checked in: got %d, want 0", got)
	}
	if n := len(checkInItems(t, s, e)); n != 0 {
		t.Errorf("the arrival is still on the feed")
	}
	rows, err := s.ActivitySince(ctx, last, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Kind != db.ActivityHide || rows[0].Text != fmt.Sprint(item.ID) {
		t.Errorf("outbox after the undo: %+v, want one hide of item %d", rows, item.ID)
	}
	if res, err = s.UndoCheckIn(ctx, e.Slug, db.CheckInRequest{SignupID: su.ID}); err != nil || !res.Already {
		t.Errorf("undo again: %+v, %v; want already (nothing to undo)", res, err)
	}
	audit, err := s.ListAudit(ctx, db.AuditFilter{Action: "checkin.undo"})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 2 || audit[0].Actor != "vert@example.no" {
		t.Errorf("audit: %+v, want two undos by the host", audit)
	}
	// Checked in again: a new arrival.
	if _, err := s.CheckIn(ctx, e.Slug, db.CheckInRequest{SignupID: su.ID}); err != nil {
		t.Fatal(err)
	}
	if items := checkInItems(t, s, e); len(items) != 1 || items[0].ID == item.ID {
		t.Errorf("feed after checking in again: %+v, want one new arrival", items)
	}
}

func TestWalkIn(t *testing.T) {
	ctx := db.WithActor(context.Background(), "vert@example.no")
	s := MustOpenDB(t)
	e := MustCreateEvent(t, s, "Frokostmøte", 10)
	signupFor(t, s, e, "Kari Nordmann", "", db.ShowFull, 2)

	t.Run("OK", func(t *testing.T) {
		res, err := s.AddWalkIn(ctx, e.Slug, db.NewWalkIn{Name: "  Åse Ødegård ", Organization: "Ærlige Østlendinger", Email: "Ase@Example.no", Key: "w1"})
		if err != nil {
			t.Fatal(err)
		}
		if !res.WalkIn() || res.Name != "Åse Ødegård" || res.Email != "ase@example.no" || res.CheckedInSeats != 1 {
			t.Fatalf("got %+v, want Åse checked in as a walk-in", res)
		}
		again, err := s.AddWalkIn(ctx, e.Slug, db.NewWalkIn{Name: "Åse Ødegård", Key: "w1"})
		if err != nil {
			t.Fatal(err)
		}
		if !again.Replayed || again.WalkInID != res.WalkInID {
			t.Errorf("the same key again: %+v, want the same walk-in, replayed", again)
		}
		if got := checkedIn(t, s, e.ID); got != 1 {
			t.Errorf("checked in: got %d, want 1", got)
		}
		items := checkInItems(t, s, e)
		if len(items) != 1 || items[0].ActorName != "" || items[0].ActorOrg != "" {
			t.Errorf("feed: %+v, want one arrival without a name", items)
		}
		if _, err := s.UndoCheckIn(ctx, e.Slug, db.CheckInRequest{WalkInID: res.WalkInID}); err != nil {
			t.Fatal(err)
		}
		if got := checkedIn(t, s, e.ID); got != 0 {
			t.Errorf("checked in after the undo: got %d, want 0", got)
		}
		if n := len(checkInItems(t, s, e)); n != 0 {
			t.Errorf("the walk-in's arrival is still on the feed")
		}
		if r, err := s.CheckIn(ctx, e.Slug, db.CheckInRequest{WalkInID: res.WalkInID}); err != nil || r.CheckedInSeats != 1 {
			t.Errorf("checked in again: %+v, %v", r, err)
		}
		list, err := s.DoorList(ctx, e.Slug, "")
		if err != nil {
			t.Fatal(err)
		}
		if list.HereNow != 1 || list.Expected != 3 || len(list.Entries) != 2 {
			t.Errorf("door: here %d of %d, %d entries; want 1 of 3, 2 entries", list.HereNow, list.Expected, len(list.Entries))
		}
		audit, err := s.ListAudit(ctx, db.AuditFilter{Action: "walkin.add"})
		if err != nil || len(audit) != 1 {
			t.Errorf("audit: %+v, %v; want one walkin.add", audit, err)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		for _, tc := range []struct {
			in  db.NewWalkIn
			key string
		}{
			{db.NewWalkIn{Name: " "}, "walkin.name_required"},
			{db.NewWalkIn{Name: strings.Repeat("å", 101)}, "walkin.name_length"},
			{db.NewWalkIn{Name: "Kari", Organization: strings.Repeat("ø", 101)}, "walkin.organization_length"},
			{db.NewWalkIn{Name: "Kari", Email: "kari"}, "walkin.email_invalid"},
			{db.NewWalkIn{Name: "Kari", Email: "Kari <kari@example.no>"}, "walkin.email_invalid"},
			{db.NewWalkIn{Name: "Kari\nNordmann"}, "text.one_line"},
		} {
			if _, err := s.AddWalkIn(ctx, e.Slug, tc.in); db.ErrorKey(err) != tc.key {
				t.Errorf("%+v: got %v, want %s", tc.in, err, tc.key)
			}
		}
	})
}

func TestDoorList(t *testing.T) {
	ctx := db.WithActor(context.Background(), "vert@example.no")
	s := MustOpenDB(t)
	e := MustCreateEvent(t, s, "Frokostmøte", 6)
	other := MustCreateEvent(t, s, "Seminar", 6)
	oystein := signupFor(t, s, e, "Øystein Ås", "Elverum Rør AS", db.ShowNone, 2)
	signupFor(t, s, e, "Anne Berg", "Sykehuset Innlandet", db.ShowNone, 1)
	signupFor(t, s, e, "Zara Li", "", db.ShowNone, 3)
	signupFor(t, s, e, "Ventende Person", "", db.ShowNone, 1) // waiting: not at the door
	signupFor(t, s, other, "Annen Person", "", db.ShowNone, 1)
	if _, err := s.AddWalkIn(ctx, e.Slug, db.NewWalkIn{Name: "Åse Ødegård", Organization: "Ærlige Østlendinger"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CheckIn(ctx, e.Slug, db.CheckInRequest{SignupID: oystein.ID}); err != nil {
		t.Fatal(err)
	}
	names := func(q string) string {
		t.Helper()
		list, err := s.DoorList(ctx, e.Slug, q)
		if err != nil {
			t.Fatal(err)
		}
		if list.HereNow != 3 || list.Expected != 7 {
			t.Errorf("%q: here %d of %d, want 3 of 7", q, list.HereNow, list.Expected)
		}
		var out []string
		for _, d := range list.Entries {
			out = append(out, d.Name)
		}
		return strings.Join(out, ", ")
	}
	for _, tc := range []struct{ q, want string }{
		{"", "Anne Berg, Zara Li, Øystein Ås, Åse Ødegård"}, // Norwegian order: Z Ø Å
		{"ØYSTEIN", "Øystein Ås"},
		{"rør", "Øystein Ås"},
		{"A\u030ASE", "Åse Ødegård"}, // Å typed as A and a ring, in capitals
		{"innlandet anne", "Anne Berg"},
		{"ærlige", "Åse Ødegård"},
		{strings.ToLower(oystein.CheckInCode), "Øystein Ås"},
		{oystein.CheckInCode[:4] + "-" + oystein.CheckInCode[4:], "Øystein Ås"},
		{"ventende", ""},
		{"annen", ""},
	} {
		if got := names(tc.q); got != tc.want {
			t.Errorf("search %q: got %q, want %q", tc.q, got, tc.want)
		}
	}
}
