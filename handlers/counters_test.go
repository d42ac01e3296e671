package handlers_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// TestSignedUpCountedOneWay: the home page and the live screen show the
// same number of people signed up: confirmed seats of published events
// that have not ended. A cancelled event and a past one count nothing; an
// event under way counts though it is no longer listed as upcoming.
func TestSignedUpCountedOneWay(t *testing.T) {
	h := newTestHub(t)
	ctx := context.Background()
	now := time.Now()
	person := func(email string, seats int) db.NewSignup {
		return db.NewSignup{Name: "Kari Nordmann", Email: email, Seats: seats, ShowName: db.ShowFirst}
	}
	mustSignup := func(s *db.Store, slug string, in db.NewSignup) {
		t.Helper()
		if _, err := s.CreateSignup(ctx, slug, in); err != nil {
			t.Fatal(err)
		}
	}

	// Counted: 2 seats for the upcoming breakfast meeting.
	mustSignup(h.Store, h.Event.Slug, person("kari@example.no", 2))

	// Not counted: 3 seats for an upcoming event that was called off.
	cancelled, err := h.Store.CreateEvent(ctx, db.NewEvent{Title: "Avlyst seminar", StartsAt: now.Add(96 * time.Hour), Capacity: 10})
	if err != nil {
		t.Fatal(err)
	}
	mustSignup(h.Store, cancelled.Slug, person("ola@example.no", 3))
	if err := h.Store.SetEventStatus(ctx, cancelled.Slug, db.EventCancelled); err != nil {
		t.Fatal(err)
	}

	// Signups made back when these events were still open, by a store
	// whose clock is set back.
	earlier, err := db.Open(ctx, h.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	defer earlier.Close()
	earlier.Now = func() time.Time { return now.Add(-72 * time.Hour) }
	// Counted: 1 seat for an event under way.
	ongoing, err := earlier.CreateEvent(ctx, db.NewEvent{Title: "Nettverksmøte", StartsAt: now.Add(-30 * time.Minute), EndsAt: now.Add(time.Hour), Capacity: 10})
	if err != nil {
		t.Fatal(err)
	}
	mustSignup(earlier, ongoing.Slug, person("per@example.no", 1))
	// Not counted: 4 seats for an event that is over.
	past, err := earlier.CreateEvent(ctx, db.NewEvent{Title: "Årsmøte", StartsAt: now.Add(-48 * time.Hour), Capacity: 10})
	if err != nil {
		t.Fatal(err)
	}
	mustSignup(earlier, past.Slug, person("liv@example.no", 4))
	if _, err := h.Store.Refresh(ctx); err != nil {
		t.Fatal(err)
	}

	signedUp := regexp.MustCompile(`<dt>Påmeldte</dt><dd>([^<]*)</dd>`)
	for _, path := range []string{"/", "/screen", "/screen?view=list"} {
		m := signedUp.FindStringSubmatch(h.get(t, path).Body)
		if m == nil {
			t.Fatalf("GET %s shows no number signed up", path)
		}
		if got, want := m[1], "3"; got != want {
			t.Errorf("GET %s: %s signed up, want %s", path, got, want)
		}
	}
}
