package db_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/torghub/torg/db"
)

// feedItems returns the visible feed's items and the ids the outbox told
// screens to hide since afterID.
func feedItems(tb testing.TB, s *db.Store, afterID int64) (visible map[int64]string, hidden map[int64]bool) {
	tb.Helper()
	ctx := context.Background()
	items, err := s.LatestActivity(ctx, 0, 1<<62, 100)
	if err != nil {
		tb.Fatal(err)
	}
	visible = map[int64]string{}
	for _, a := range items {
		visible[a.ID] = a.ActorName + a.Text
	}
	rows, err := s.ActivitySince(ctx, afterID, 1000)
	if err != nil {
		tb.Fatal(err)
	}
	hidden = map[int64]bool{}
	for _, a := range rows {
		if a.Kind == db.ActivityHide {
			id, _ := strconv.ParseInt(a.Text, 10, 64)
			hidden[id] = true
		}
	}
	return visible, hidden
}

// TestCancelledLeavesTheFeed: cancelling a signup, by the person or with
// its event, takes its items off the feed and tells every screen so.
func TestCancelledLeavesTheFeed(t *testing.T) {
	ctx := context.Background()
	t.Run("Signup", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 10)
		kari, _ := s.CreateSignup(ctx, e.Slug, db.NewSignup{Name: "Kari Nordmann", Email: "kari@example.no", Seats: 1, ShowName: db.ShowFull})
		if _, err := s.CreateSignup(ctx, e.Slug, db.NewSignup{Name: "Ola Nordmann", Email: "ola@example.no", Seats: 1, ShowName: db.ShowFull}); err != nil {
			t.Fatal(err)
		}
		last, _ := s.LastActivityID(ctx)
		if _, err := s.CancelSignup(ctx, kari.Token, db.ActorResident); err != nil {
			t.Fatal(err)
		}
		visible, hidden := feedItems(t, s, last)
		if len(visible) != 1 || len(hidden) != 1 {
			t.Fatalf("visible %v, hidden %v; want Ola visible and Kari hidden", visible, hidden)
		}
		for id := range hidden {
			if _, ok := visible[id]; ok {
				t.Fatalf("item %d hidden but still visible", id)
			}
		}
		// Cancelling again writes nothing more for the screens.
		last, _ = s.LastActivityID(ctx)
		if _, err := s.CancelSignup(ctx, kari.Token, db.ActorResident); err != nil {
			t.Fatal(err)
		}
		if _, hidden := feedItems(t, s, last); len(hidden) != 0 {
			t.Fatalf("a second cancel hid %v again", hidden)
		}
	})

	t.Run("Event", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 1)
		other := MustCreateEvent(t, s, "Seminar", 10)
		for _, email := range []string{"a@example.no", "b@example.no"} { // one confirmed, one waiting
			if _, err := s.CreateSignup(ctx, e.Slug, signup(email, 1)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.CreateSignup(ctx, other.Slug, signup("c@example.no", 1)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Announce(ctx, "Kaffen er klar"); err != nil {
			t.Fatal(err)
		}
		last, _ := s.LastActivityID(ctx)
		if err := s.SetEventStatus(ctx, e.Slug, db.EventCancelled); err != nil {
			t.Fatal(err)
		}
		visible, hidden := feedItems(t, s, last)
		if len(hidden) != 2 || len(visible) != 2 {
			t.Fatalf("visible %v, hidden %v; want the other event's signup and the announcement left", visible, hidden)
		}
	})
}

func TestHideActivity(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	id, err := s.Announce(ctx, "Kaffen er klar")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // hiding twice is harmless
		if err := s.HideActivity(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if visible, hidden := feedItems(t, s, 0); len(visible) != 0 || !hidden[id] || len(hidden) != 1 {
		t.Fatalf("visible %v, hidden %v", visible, hidden)
	}
	if err := s.HideActivity(ctx, id+100); db.ErrorCode(err) != db.ENOTFOUND {
		t.Fatalf("hiding an unknown item: %v, want ENOTFOUND", err)
	}
}
