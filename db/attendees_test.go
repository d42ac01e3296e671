package db_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/torghub/torg/db"
)

// organiser is the context an organiser's page gives the store.
func organiser() context.Context {
	return db.WithActor(context.Background(), "kari@example.no")
}

// auditTrail returns the audit log, oldest first, one line an entry.
func auditTrail(tb testing.TB, s *db.Store) []string {
	tb.Helper()
	entries, err := s.ListAudit(context.Background(), db.AuditFilter{Limit: 1000})
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for i := len(entries) - 1; i >= 0; i-- {
		a := entries[i]
		out = append(out, a.Actor+" "+a.Action+" "+a.Subject+" "+a.Before+" → "+a.After)
	}
	return out
}

// snapshot is everything a refused change must leave as it was: the
// event's fields and counters, its signups and the audit log.
func snapshot(tb testing.TB, s *db.Store, slug string) string {
	tb.Helper()
	a, err := s.Attendees(context.Background(), slug)
	if err != nil {
		tb.Fatal(err)
	}
	e := *a.Event
	var b strings.Builder
	fmt.Fprintf(&b, "%+v\n", e)
	for _, su := range append(a.Confirmed, a.Waiting...) {
		fmt.Fprintf(&b, "%d %s %d %s\n", su.ID, su.Status, su.WaitingPosition, su.UpdatedAt)
	}
	b.WriteString(strings.Join(auditTrail(tb, s), "\n"))
	return b.String()
}

// assertRefused checks that err is the refusal want (code, key, field) and
// that nothing changed.
func assertRefused(tb testing.TB, s *db.Store, slug, before string, err error, code db.Code, key, field string) {
	tb.Helper()
	if db.ErrorCode(err) != code || db.ErrorKey(err) != key || db.ErrorField(err) != field {
		tb.Errorf("got %v (code %q, key %q, field %q), want code %q, key %q, field %q",
			err, db.ErrorCode(err), db.ErrorKey(err), db.ErrorField(err), code, key, field)
	}
	if after := snapshot(tb, s, slug); after != before {
		tb.Errorf("a refused change changed something:\nbefore\n%s\nafter\n%s", before, after)
	}
}

// waitingEmails returns the waiting list's addresses in line order, and
// checks that each one's WaitingPosition is its place.
func waitingEmails(tb testing.TB, s *db.Store, slug string) []string {
	tb.Helper()
	a, err := s.Attendees(context.Background(), slug)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for i, su := range a.Waiting {
		if su.WaitingPosition != i+1 {
			tb.Errorf("%s is number %d in the list but has position %d", su.Email, i+1, su.WaitingPosition)
		}
		if got, err := s.SignupByToken(context.Background(), su.Token); err != nil || got.WaitingPosition != i+1 {
			tb.Errorf("%s: the signup page would say position %d, want %d (%v)", su.Email, got.WaitingPosition, i+1, err)
		}
		out = append(out, su.Email)
	}
	return out
}

func mustSignup(tb testing.TB, s *db.Store, slug, email string, seats int) *db.Signup {
	tb.Helper()
	su, err := s.CreateSignup(context.Background(), slug, signup(email, seats))
	if err != nil {
		tb.Fatal(err)
	}
	return su
}

func TestAttendees(t *testing.T) {
	s := MustOpenDB(t)
	ctx := context.Background()
	e := MustCreateEvent(t, s, "Frokostmøte", 8)
	other := MustCreateEvent(t, s, "Seminar", 8)
	for _, in := range []struct {
		email, diet string
		seats       int
	}{
		{"a@example.no", "Vegetar", 2},
		{"b@example.no", "", 1},
		{"c@example.no", "  vegetar ", 1},
		{"d@example.no", "Glutenfri", 1},
		{"e@example.no", "Laktosefri,\nnøtteallergi", 1},
		{"f@example.no", "VEGETAR", 1}, // confirmed: 7 of 8 seats
		{"g@example.no", "Halal", 2},   // waiting 1
		{"h@example.no", "", 1},        // confirmed: 8 of 8 (fits)
		{"i@example.no", "Vegetar", 1}, // waiting 2
		{"j@example.no", "Kosher", 1},  // cancelled below
		{"k@example.no", "ignored", 3}, // waiting 3
		{"l@example.no", "vegan", 1},   // another event
	} {
		slug := e.Slug
		if in.email == "l@example.no" {
			slug = other.Slug
		}
		su, err := s.CreateSignup(ctx, slug, db.NewSignup{Name: "Kari Nordmann", Email: in.email, Phone: "+47 912 34 567",
			Organization: "Sykehuset Innlandet", Diet: in.diet, Seats: in.seats, ShowName: db.ShowFull})
		if err != nil {
			t.Fatal(err)
		}
		if in.email == "j@example.no" {
			if _, err := s.CancelSignup(ctx, su.Token, db.ActorResident); err != nil {
				t.Fatal(err)
			}
		}
	}
	a, err := s.Attendees(ctx, e.Slug)
	if err != nil {
		t.Fatal(err)
	}
	var confirmed, waiting []string
	for _, su := range a.Confirmed {
		confirmed = append(confirmed, su.Email[:1])
	}
	for _, su := range a.Waiting {
		waiting = append(waiting, fmt.Sprintf("%s%d", su.Email[:1], su.WaitingPosition))
	}
	if got, want := strings.Join(confirmed, " "), "a b c d e f h"; got != want {
		t.Errorf("confirmed %s, want %s", got, want)
	}
	if got, want := strings.Join(waiting, " "), "g1 i2 k3"; got != want {
		t.Errorf("waiting %s, want %s", got, want)
	}
	if a.ConfirmedSeats != 8 || a.WaitingSeats != 6 || a.Capacity != 8 {
		t.Errorf("totals: confirmed %d, waiting %d, capacity %d; want 8, 6, 8", a.ConfirmedSeats, a.WaitingSeats, a.Capacity)
	}
	first := a.Confirmed[0]
	if first.Name != "Kari Nordmann" || first.Organization != "Sykehuset Innlandet" || first.Phone != "+4791234567" ||
		first.ShowName != db.ShowFull || first.Seats != 2 || first.CreatedAt.IsZero() {
		t.Errorf("an attendee lacks what the list shows: %+v", first)
	}
	var diets []string
	for _, d := range a.Diets {
		diets = append(diets, fmt.Sprintf("%s — %d", d.Note, d.Seats))
	}
	// The caterer cooks for the confirmed seats: the waiting list's and the
	// cancelled signup's notes are left out.
	if got, want := strings.Join(diets, "; "), "Vegetar — 4; Glutenfri — 1; Laktosefri, nøtteallergi — 1"; got != want {
		t.Errorf("diets\n got %s\nwant %s", got, want)
	}
	if a.NoDietSeats != 2 {
		t.Errorf("seats without a note: %d, want 2", a.NoDietSeats)
	}
	if _, err := s.Attendees(ctx, "no-such-event"); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("unknown event: %v", err)
	}
}

// waitingEvent makes an event of 2 seats, all taken by one signup of 2, and
// the waiting list b, c, d, e (one seat each); it returns the event and
// the signups by their letter.
func waitingEvent(t *testing.T, s *db.Store) (*db.Event, map[string]*db.Signup) {
	t.Helper()
	e := MustCreateEvent(t, s, "Frokostmøte", 2)
	su := map[string]*db.Signup{"a": mustSignup(t, s, e.Slug, "a@example.no", 2)}
	for _, l := range []string{"b", "c", "d", "e"} {
		su[l] = mustSignup(t, s, e.Slug, l+"@example.no", 1)
	}
	return e, su
}

func letters(emails []string) string {
	var out []string
	for _, e := range emails {
		out = append(out, e[:1])
	}
	return strings.Join(out, " ")
}

func TestMoveWaiting(t *testing.T) {
	ctx := organiser()
	t.Run("OK", func(t *testing.T) {
		s := MustOpenDB(t)
		e, su := waitingEvent(t, s)
		for _, step := range []struct {
			who  string
			to   int
			want string
		}{
			{"e", 1, "e b c d"}, // to the front
			{"b", 3, "e c b d"}, // down
			{"d", 3, "e c d b"}, // up one
			{"c", 4, "e d b c"}, // to the end
			{"c", 4, "e d b c"}, // where it is: nothing moves
		} {
			moved, err := s.MoveWaiting(ctx, e.Slug, su[step.who].ID, step.to)
			if err != nil {
				t.Fatalf("move %s to %d: %v", step.who, step.to, err)
			}
			if moved.WaitingPosition != step.to {
				t.Errorf("move %s to %d: now at %d", step.who, step.to, moved.WaitingPosition)
			}
			if got := letters(waitingEmails(t, s, e.Slug)); got != step.want {
				t.Errorf("after moving %s to %d: %s, want %s", step.who, step.to, got, step.want)
			}
		}
		// A new signup joins the end of the line, moves or not.
		mustSignup(t, s, e.Slug, "f@example.no", 1)
		if got := letters(waitingEmails(t, s, e.Slug)); got != "e d b c f" {
			t.Errorf("after a new signup: %s, want e d b c f", got)
		}
		// The history and the audit log have the moves the organiser made,
		// and nothing for the one that moved nothing.
		hist, _ := s.SignupHistory(context.Background(), su["c"].ID)
		if len(hist) != 2 || hist[1].Reason != db.ReasonMoved || hist[1].Note != "2 → 4" || hist[1].Actor != "kari@example.no" ||
			hist[1].FromStatus != db.StatusWaiting || hist[1].ToStatus != db.StatusWaiting {
			t.Errorf("c's history: %+v", hist)
		}
		moves, _ := s.ListAudit(context.Background(), db.AuditFilter{Action: "signup.move"})
		if len(moves) != 4 {
			t.Fatalf("%d moves in the audit log, want 4", len(moves))
		}
		if got, want := moves[0].Subject+" "+moves[0].Before+" → "+moves[0].After, fmt.Sprintf(`%s/%d {"position":2} → {"position":4}`, e.Slug, su["c"].ID); got != want {
			t.Errorf("audit entry\n got %s\nwant %s", got, want)
		}
	})

	t.Run("TheWaitingListMovesUpInTheNewOrder", func(t *testing.T) {
		s := MustOpenDB(t)
		e, su := waitingEvent(t, s)
		if _, err := s.MoveWaiting(ctx, e.Slug, su["d"].ID, 1); err != nil {
			t.Fatal(err)
		}
		// a's two seats free up: d and b, the first two in line, move up.
		if _, err := s.CancelSignup(context.Background(), su["a"].Token, db.ActorResident); err != nil {
			t.Fatal(err)
		}
		if got := letters(waitingEmails(t, s, e.Slug)); got != "c e" {
			t.Errorf("waiting after a cancel: %s, want c e", got)
		}
		for _, l := range []string{"d", "b"} {
			if got, _ := s.SignupByToken(context.Background(), su[l].Token); got.Status != db.StatusConfirmed {
				t.Errorf("%s is %s, want confirmed", l, got.Status)
			}
		}
	})

	t.Run("Refused", func(t *testing.T) {
		s := MustOpenDB(t)
		e, su := waitingEvent(t, s)
		other := MustCreateEvent(t, s, "Seminar", 1)
		mustSignup(t, s, other.Slug, "y@example.no", 1)
		stranger := mustSignup(t, s, other.Slug, "x@example.no", 1) // waiting at the other event
		for _, tc := range []struct {
			name  string
			slug  string
			id    int64
			to    int
			code  db.Code
			key   string
			field string
		}{
			{"ErrPositionZero", e.Slug, su["c"].ID, 0, db.EINVALID, "signup.position_range", "position"},
			{"ErrPositionPastTheEnd", e.Slug, su["c"].ID, 5, db.EINVALID, "signup.position_range", "position"},
			{"ErrNotWaiting", e.Slug, su["a"].ID, 1, db.ECONFLICT, "signup.not_waiting", ""},
			{"ErrOtherEventsSignup", e.Slug, stranger.ID, 1, db.ENOTFOUND, "signup.not_found", ""},
			{"ErrNoSuchSignup", e.Slug, 9999, 1, db.ENOTFOUND, "signup.not_found", ""},
			{"ErrNoSuchEvent", "no-such-event", su["c"].ID, 1, db.ENOTFOUND, "event.not_found", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := snapshot(t, s, e.Slug)
				_, err := s.MoveWaiting(ctx, tc.slug, tc.id, tc.to)
				assertRefused(t, s, e.Slug, before, err, tc.code, tc.key, tc.field)
			})
		}
		if got := letters(waitingEmails(t, s, e.Slug)); got != "b c d e" {
			t.Errorf("after refused moves: %s, want b c d e", got)
		}
	})
}

func TestCancelSignupByOrganiser(t *testing.T) {
	ctx := organiser()
	t.Run("OK", func(t *testing.T) {
		s := MustOpenDB(t)
		e, su := waitingEvent(t, s)
		if _, err := s.MoveWaiting(ctx, e.Slug, su["c"].ID, 1); err != nil {
			t.Fatal(err)
		}
		last, _ := s.LastActivityID(context.Background())
		got, err := s.CancelSignupByOrganiser(ctx, e.Slug, su["a"].ID, "  Meldte forfall på telefon.\r\nRing tilbake. ")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != db.StatusCancelled {
			t.Fatalf("status %s, want cancelled", got.Status)
		}
		// The history has the reason, the organiser as the actor.
		hist, _ := s.SignupHistory(context.Background(), su["a"].ID)
		if h := hist[len(hist)-1]; h.Reason != db.ReasonOrganiser || h.Note != "Meldte forfall på telefon.\nRing tilbake." ||
			h.Actor != "kari@example.no" || h.FromStatus != db.StatusConfirmed || h.ToStatus != db.StatusCancelled {
			t.Errorf("history: %+v", h)
		}
		// The waiting list moved up in its order: c (moved first), then b.
		if w := letters(waitingEmails(t, s, e.Slug)); w != "d e" {
			t.Errorf("waiting %s, want d e", w)
		}
		// Her feed item left every screen.
		visible, hidden := feedItems(t, s, last)
		if len(hidden) != 1 {
			t.Errorf("hidden %v, want a's item", hidden)
		}
		for id := range hidden {
			if _, ok := visible[id]; ok {
				t.Errorf("item %d hidden but still visible", id)
			}
		}
		trail := auditTrail(t, s)
		if got, want := trail[len(trail)-1], fmt.Sprintf(`kari@example.no signup.cancel %s/%d {"status":"confirmed"} → {"reason":"Meldte forfall på telefon.\nRing tilbake.","status":"cancelled"}`, e.Slug, su["a"].ID); got != want {
			t.Errorf("audit entry\n got %s\nwant %s", got, want)
		}
		// Cancelling again changes nothing.
		before := snapshot(t, s, e.Slug)
		if _, err := s.CancelSignupByOrganiser(ctx, e.Slug, su["a"].ID, "Igjen"); err != nil {
			t.Fatal(err)
		}
		if after := snapshot(t, s, e.Slug); after != before {
			t.Errorf("a second cancel wrote:\n%s", after)
		}
	})

	t.Run("AWaitingSignup", func(t *testing.T) {
		s := MustOpenDB(t)
		e, su := waitingEvent(t, s)
		if _, err := s.CancelSignupByOrganiser(ctx, e.Slug, su["c"].ID, "Dobbeltpåmeldt"); err != nil {
			t.Fatal(err)
		}
		if w := letters(waitingEmails(t, s, e.Slug)); w != "b d e" {
			t.Errorf("waiting %s, want b d e", w)
		}
	})

	t.Run("Refused", func(t *testing.T) {
		s := MustOpenDB(t)
		e, su := waitingEvent(t, s)
		other := MustCreateEvent(t, s, "Seminar", 5)
		stranger := mustSignup(t, s, other.Slug, "x@example.no", 1)
		for _, tc := range []struct {
			name   string
			slug   string
			id     int64
			reason string
			code   db.Code
			key    string
			field  string
		}{
			{"ErrNoReason", e.Slug, su["a"].ID, " \n ", db.EINVALID, "signup.cancel_reason_required", "reason"},
			{"ErrReasonControl", e.Slug, su["a"].ID, "Nei\x07", db.EINVALID, "text.invalid", "reason"},
			{"ErrOtherEventsSignup", e.Slug, stranger.ID, "Feil", db.ENOTFOUND, "signup.not_found", ""},
			{"ErrNoSuchEvent", "no-such-event", su["a"].ID, "Feil", db.ENOTFOUND, "event.not_found", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := snapshot(t, s, e.Slug)
				_, err := s.CancelSignupByOrganiser(ctx, tc.slug, tc.id, tc.reason)
				assertRefused(t, s, e.Slug, before, err, tc.code, tc.key, tc.field)
			})
		}
		if got, _ := s.SignupByToken(context.Background(), stranger.Token); got.Status != db.StatusConfirmed {
			t.Errorf("the other event's signup is %s", got.Status)
		}
	})
}
