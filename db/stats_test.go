package db_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// oslo is a wall-clock time in Europe/Oslo.
func oslo(year int, month time.Month, day, hour, minute int) time.Time {
	return time.Date(year, month, day, hour, minute, 0, 0, db.Oslo)
}

// statsProgramme is a small programme whose figures are worked out by hand
// in TestStats. "Now" is Wednesday 1 April 2026 12:00 in Oslo, ISO week 14;
// summer time began on Sunday 29 March at 02:00, in week 13.
//
//	A  breakfast, 19 March, 10 seats, held:
//	   Kari   Elverum Rør AS     2 seats, both checked in
//	   Ola    "elverum  rør as"  1 seat, not checked in (a no-show)
//	   Per    Sykehuset Innlandet 3 seats, 1 checked in
//	   Anne   –                  1 seat, cancelled
//	   walk-in Jon, Ærlige Østlendinger (checked in)
//	   walk-in Undo, Elverum Rør AS (checked in, then undone)
//	B  seminar, 26 March, 20 seats, held:
//	   Kari2  ELVERUM RØR AS     1 seat, checked in
//	   Liv    Sykehuset Innlandet 2 seats, not checked in (a no-show)
//	   Siri   Ærlige Østlendinger 1 seat, checked in
//	   Tor    –                  1 seat, checked in
//	E  breakfast, 12 March, cancelled after a signup that was checked in
//	C  breakfast, 9 April, 10 seats: 2 seats (Sunday 29 March 23:30) and
//	   3 seats (Monday 30 March 00:30)              → 5 of 10: 50 %
//	G  meeting, 16 April, 5 seats: 4 seats          → 80 %
//	D  network, 7 May, 4 seats: 4 seats and 1 on the waiting list → full
//	F  a draft meeting
func statsProgramme(t *testing.T) *db.Store {
	t.Helper()
	ctx := context.Background()
	s := MustOpenDB(t)
	at := func(when time.Time) { s.Now = func() time.Time { return when } }
	event := func(title, kind string, starts time.Time, capacity int, status string) *db.Event {
		t.Helper()
		e, err := s.CreateEvent(ctx, db.NewEvent{Title: title, Kind: kind, StartsAt: starts, EndsAt: starts.Add(90 * time.Minute),
			Capacity: capacity, Status: status})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	checkIn := func(e *db.Event, su *db.Signup, seats int) {
		t.Helper()
		if _, err := s.CheckIn(ctx, e.Slug, db.CheckInRequest{SignupID: su.ID, Seats: seats}); err != nil {
			t.Fatal(err)
		}
	}
	walkIn := func(e *db.Event, name, org string) *db.CheckInResult {
		t.Helper()
		r, err := s.AddWalkIn(ctx, e.Slug, db.NewWalkIn{Name: name, Organization: org})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	at(oslo(2026, 3, 1, 12, 0))
	a := event("Frokostmøte mars", db.KindBreakfast, oslo(2026, 3, 19, 7, 30), 10, "")
	b := event("Seminar om beredskap", db.KindSeminar, oslo(2026, 3, 26, 18, 0), 20, "")
	e := event("Avlyst frokost", db.KindBreakfast, oslo(2026, 3, 12, 7, 30), 10, "")
	c := event("Frokostmøte april", db.KindBreakfast, oslo(2026, 4, 9, 7, 30), 10, "")
	g := event("Møte i Terningen", db.KindMeeting, oslo(2026, 4, 16, 9, 0), 5, "")
	d := event("Nettverk i mai", db.KindNetwork, oslo(2026, 5, 7, 17, 0), 4, "")
	event("Utkast", db.KindMeeting, oslo(2026, 5, 20, 9, 0), 5, db.EventDraft)

	at(oslo(2026, 3, 10, 9, 0)) // week 11
	e1 := signupFor(t, s, e, "Eva", "Elverum Rør AS", db.ShowNone, 1)

	at(oslo(2026, 3, 16, 10, 0)) // week 12
	a1 := signupFor(t, s, a, "Kari", "Elverum Rør AS", db.ShowNone, 2)
	signupFor(t, s, a, "Ola", "elverum  rør as", db.ShowNone, 1)
	a3 := signupFor(t, s, a, "Per", "Sykehuset Innlandet", db.ShowNone, 3)
	a4 := signupFor(t, s, a, "Anne", "", db.ShowNone, 1)
	if _, err := s.CancelSignup(ctx, a4.Token, "resident"); err != nil {
		t.Fatal(err)
	}

	at(oslo(2026, 3, 23, 9, 0)) // week 13
	b1 := signupFor(t, s, b, "Kari To", "ELVERUM RØR AS", db.ShowNone, 1)
	signupFor(t, s, b, "Liv", "Sykehuset Innlandet", db.ShowNone, 2)
	b3 := signupFor(t, s, b, "Siri", "Ærlige Østlendinger", db.ShowNone, 1)
	b4 := signupFor(t, s, b, "Tor", "", db.ShowNone, 1)

	at(oslo(2026, 3, 29, 23, 30)) // week 13 still: Sunday night, in summer time
	signupFor(t, s, c, "Cecilie", "", db.ShowNone, 2)
	at(oslo(2026, 3, 30, 0, 30)) // week 14: 22:30 UTC on Sunday
	signupFor(t, s, c, "Carl", "", db.ShowNone, 3)
	at(oslo(2026, 3, 31, 8, 0))
	signupFor(t, s, d, "Dag", "", db.ShowNone, 4)
	signupFor(t, s, d, "Dina", "", db.ShowNone, 1) // waiting
	at(oslo(2026, 4, 1, 10, 0))
	signupFor(t, s, g, "Gro", "", db.ShowNone, 4)

	// The doors.
	at(oslo(2026, 3, 12, 7, 40))
	checkIn(e, e1, 0)
	if err := s.SetEventStatus(ctx, e.Slug, db.EventCancelled); err != nil {
		t.Fatal(err)
	}
	at(oslo(2026, 3, 19, 7, 35))
	checkIn(a, a1, 0)
	checkIn(a, a3, 1)
	walkIn(a, "Jon", "Ærlige Østlendinger")
	undo := walkIn(a, "Undo", "Elverum Rør AS")
	if _, err := s.UndoCheckIn(ctx, a.Slug, db.CheckInRequest{WalkInID: undo.WalkInID}); err != nil {
		t.Fatal(err)
	}
	at(oslo(2026, 3, 26, 17, 55))
	checkIn(b, b1, 0)
	checkIn(b, b3, 0)
	checkIn(b, b4, 0)

	// Ideas: two pending, one published with a request accepted and one
	// waiting, one rejected, one withdrawn after a request was accepted
	// (not a connection any more, as on the screen).
	at(oslo(2026, 3, 20, 12, 0))
	MustCreateIdea(t, s, "Venter 1")
	MustCreateIdea(t, s, "Venter 2")
	publish := func(title string) *db.Idea {
		t.Helper()
		i := MustCreateIdea(t, s, title)
		if _, err := s.SetIdeaStatus(ctx, i.ID, db.IdeaPublished, ""); err != nil {
			t.Fatal(err)
		}
		return i
	}
	connect := func(i *db.Idea, company string, accept bool) {
		t.Helper()
		r, err := s.AskToConnect(ctx, i.ID, db.NewInterest{Company: company, ContactName: "Ola",
			Email: fmt.Sprintf("ola@%d.example", len(company)), ShowCompany: true})
		if err != nil {
			t.Fatal(err)
		}
		if accept {
			if err := s.DecideInterest(ctx, i.Token, r.ID, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	p := publish("Helsehus")
	connect(p, "Hedmark Helse AS", true)
	connect(p, "Terningen Lager", false)
	w := publish("Trukket")
	connect(w, "Glomma Data AS", true)
	if _, err := s.WithdrawIdea(ctx, w.Token); err != nil {
		t.Fatal(err)
	}
	r := MustCreateIdea(t, s, "Avvist")
	if _, err := s.SetIdeaStatus(ctx, r.ID, db.IdeaRejected, "Ikke i år."); err != nil {
		t.Fatal(err)
	}
	if err := s.SetKPI(ctx, "calls", 145, "Rørløft"); err != nil {
		t.Fatal(err)
	}

	at(oslo(2026, 4, 1, 12, 0))
	return s
}

func TestStats(t *testing.T) {
	s := statsProgramme(t)
	st, err := s.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	t.Run("Weeks", func(t *testing.T) {
		if len(st.Weeks) != db.StatsWeeks {
			t.Fatalf("%d weeks, want %d", len(st.Weeks), db.StatsWeeks)
		}
		want := map[int][2]int{11: {1, 1}, 12: {4, 7}, 13: {5, 7}, 14: {4, 12}} // week: signups, seats
		for i, w := range st.Weeks {
			if wantWeek := 3 + i; w.Year != 2026 || w.Week != wantWeek {
				t.Errorf("week %d: %d-W%d, want 2026-W%d", i, w.Year, w.Week, wantWeek)
			}
			if w.Start.In(db.Oslo).Weekday() != time.Monday || w.Start.In(db.Oslo).Hour() != 0 {
				t.Errorf("week %d starts %v, want a Monday at 00:00 in Oslo", w.Week, w.Start.In(db.Oslo))
			}
			if got := [2]int{w.Signups, w.Seats}; got != want[w.Week] {
				t.Errorf("week %d: %d signups, %d seats; want %v", w.Week, w.Signups, w.Seats, want[w.Week])
			}
		}
	})

	t.Run("Events", func(t *testing.T) {
		type row struct {
			title                                  string
			ended                                  bool
			confirmed, signups, waiting, checkedIn int
			noShows, noShowSeats, walkIns, alert   int
			turnout                                int
		}
		want := []row{
			{"Frokostmøte mars", true, 6, 3, 0, 3, 1, 1, 1, 0, 50},
			{"Seminar om beredskap", true, 5, 4, 0, 3, 1, 2, 0, 0, 60},
			{"Frokostmøte april", false, 5, 2, 0, 0, 0, 0, 0, db.CapacityHalf, 0},
			{"Møte i Terningen", false, 4, 1, 0, 0, 0, 0, 0, db.CapacityMost, 0},
			{"Nettverk i mai", false, 4, 1, 1, 0, 0, 0, 0, db.CapacityFull, 0},
		}
		if len(st.Events) != len(want) {
			t.Fatalf("%d events, want %d (not the cancelled one, not the draft): %+v", len(st.Events), len(want), st.Events)
		}
		for i, f := range st.Events {
			turnout, _ := f.Turnout()
			got := row{f.Title, f.Ended, f.ConfirmedSeats, f.ConfirmedSignups, f.Waiting, f.CheckedInSeats,
				f.NoShows, f.NoShowSeats, f.WalkIns, f.Alert(), turnout}
			if got != want[i] {
				t.Errorf("event %d\n got %+v\nwant %+v", i, got, want[i])
			}
		}
	})

	t.Run("Totals", func(t *testing.T) {
		got := st.Totals
		want := db.StatsTotals{EventsHeld: 2, ConfirmedSeats: 11, CheckedInSeats: 6, NoShows: 2, NoShowSeats: 3, WalkIns: 1,
			Organisations: 3, ComeBack: 2, Connections: 1, BusinessesConnected: 2}
		if got != want {
			t.Errorf("totals\n got %+v\nwant %+v", got, want)
		}
		// 6 of 11 is 54.5 %: rounded down.
		if p, ok := got.Turnout(); p != 54 || !ok {
			t.Errorf("turnout %d %v, want 54", p, ok)
		}
	})

	t.Run("Kinds", func(t *testing.T) {
		want := []db.KindFigures{
			{Kind: db.KindBreakfast, Events: 2, ConfirmedSeats: 11, HeldSeats: 6, CheckedInSeats: 3},
			{Kind: db.KindSeminar, Events: 1, ConfirmedSeats: 5, HeldSeats: 5, CheckedInSeats: 3},
			{Kind: db.KindNetwork, Events: 1, ConfirmedSeats: 4},
			{Kind: db.KindMeeting, Events: 1, ConfirmedSeats: 4},
		}
		if fmt.Sprint(st.Kinds) != fmt.Sprint(want) {
			t.Errorf("kinds\n got %+v\nwant %+v", st.Kinds, want)
		}
	})

	t.Run("Organisations", func(t *testing.T) {
		want := []db.OrganisationFigures{
			{Name: "ELVERUM RØR AS", SignedUp: 2, Attended: 2},
			{Name: "Ærlige Østlendinger", SignedUp: 1, Attended: 2},
			{Name: "Sykehuset Innlandet", SignedUp: 2, Attended: 1},
		}
		if fmt.Sprint(st.Organisations) != fmt.Sprint(want) {
			t.Errorf("organisations\n got %+v\nwant %+v", st.Organisations, want)
		}
	})

	t.Run("Ideas", func(t *testing.T) {
		want := []db.IdeaStatusSum{{db.IdeaPending, 2}, {db.IdeaPublished, 1}, {db.IdeaConnected, 0},
			{db.IdeaRealised, 0}, {db.IdeaRejected, 1}, {db.IdeaWithdrawn, 1}}
		if fmt.Sprint(st.Ideas) != fmt.Sprint(want) {
			t.Errorf("ideas\n got %v\nwant %v", st.Ideas, want)
		}
	})

	t.Run("Alerts", func(t *testing.T) {
		var got []string
		for _, a := range st.Alerts {
			got = append(got, fmt.Sprintf("%s %d/%d %d%% level %d waiting %d", a.Title, a.Taken, a.Capacity, a.Percent(), a.Level, a.Waiting))
		}
		want := []string{"Frokostmøte april 5/10 50% level 50 waiting 0", "Møte i Terningen 4/5 80% level 80 waiting 0",
			"Nettverk i mai 4/4 100% level 100 waiting 1"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("alerts\n got %q\nwant %q", got, want)
		}
	})

	t.Run("KPIs", func(t *testing.T) {
		if len(st.KPIs) != 1 || st.KPIs[0].Label != "Rørløft" || st.KPIs[0].Value != 145 {
			t.Errorf("KPIs %+v", st.KPIs)
		}
	})
}

func TestCapacityLevel(t *testing.T) {
	for _, c := range []struct{ taken, capacity, want int }{
		{0, 10, 0}, {4, 10, 0}, {5, 10, 50}, {7, 9, 50}, {39, 49, 50}, // 79.6 %: not 80
		{4, 5, 80}, {8, 10, 80}, {9, 10, 80}, {10, 10, 100}, {12, 10, 100}, {0, 0, 100},
	} {
		if got := db.CapacityLevel(c.taken, c.capacity); got != c.want {
			t.Errorf("CapacityLevel(%d, %d) = %d, want %d", c.taken, c.capacity, got, c.want)
		}
	}
}

// TestStatsEmpty: a new hub has every week, kind and idea status, at 0,
// and no turnout to show.
func TestStatsEmpty(t *testing.T) {
	s := MustOpenDB(t)
	st, err := s.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Weeks) != db.StatsWeeks || len(st.Kinds) != len(db.Kinds) || len(st.Ideas) != len(db.IdeaStatuses) {
		t.Errorf("weeks %d, kinds %d, ideas %d", len(st.Weeks), len(st.Kinds), len(st.Ideas))
	}
	if _, ok := st.Totals.Turnout(); ok || len(st.Events) != 0 || len(st.Organisations) != 0 || len(st.Alerts) != 0 {
		t.Errorf("an empty hub has figures: %+v", st)
	}
}

func TestSignupRecords(t *testing.T) {
	s := statsProgramme(t)
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		for _, c := range []struct {
			from, to string
			want     []string
		}{
			// The cancelled breakfast of 12 March is not the programme's.
			{"2026-03-01", "2026-03-31", []string{
				"Frokostmøte mars Kari 2 confirmed 2", "Frokostmøte mars Ola 1 confirmed 0", "Frokostmøte mars Per 3 confirmed 1",
				"Frokostmøte mars Anne 1 cancelled 0", "Seminar om beredskap Kari To 1 confirmed 1",
				"Seminar om beredskap Liv 2 confirmed 0", "Seminar om beredskap Siri 1 confirmed 1", "Seminar om beredskap Tor 1 confirmed 1"}},
			// One day, both ends included: the seminar at 18:00.
			{"2026-03-26", "2026-03-26", []string{"Seminar om beredskap Kari To 1 confirmed 1",
				"Seminar om beredskap Liv 2 confirmed 0", "Seminar om beredskap Siri 1 confirmed 1", "Seminar om beredskap Tor 1 confirmed 1"}},
			{"2026-03-20", "2026-03-25", nil},
			{"2026-05-07", "2026-05-07", []string{"Nettverk i mai Dag 4 confirmed 0", "Nettverk i mai Dina 1 waiting 0"}},
		} {
			records, err := s.SignupRecords(ctx, c.from, c.to)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range records {
				got = append(got, fmt.Sprintf("%s %s %d %s %d", r.EventTitle, r.Name, r.Seats, r.Status, r.CheckedInSeats))
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("%s to %s\n got %q\nwant %q", c.from, c.to, got, c.want)
			}
		}
	})
	for _, c := range []struct{ name, from, to, key, field string }{
		{"ErrFrom", "2026-13-01", "2026-12-31", "date.invalid", "from"},
		{"ErrTo", "2026-01-01", "31.12.2026", "date.invalid", "to"},
		{"ErrEmpty", "", "2026-12-31", "date.invalid", "from"},
		{"ErrOrder", "2026-04-01", "2026-03-31", "export.period_order", "to"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.SignupRecords(ctx, c.from, c.to)
			if db.ErrorCode(err) != db.EINVALID || db.ErrorKey(err) != c.key || db.ErrorField(err) != c.field {
				t.Errorf("got %v (key %q, field %q), want %s on %s", err, db.ErrorKey(err), db.ErrorField(err), c.key, c.field)
			}
		})
	}
}
