package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// TestCountersSignedUp: people signed up are the confirmed seats of
// published events that have not ended.
func TestCountersSignedUp(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	now := time.Now()
	s.Now = func() time.Time { return now.Add(-72 * time.Hour) } // while every event below took signups
	create := func(title string, starts, ends time.Time, capacity int) *db.Event {
		t.Helper()
		e, err := s.CreateEvent(ctx, db.NewEvent{Title: title, StartsAt: starts, EndsAt: ends, Capacity: capacity})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	sign := func(e *db.Event, email string, seats int) {
		t.Helper()
		if _, err := s.CreateSignup(ctx, e.Slug, signup(email, seats)); err != nil {
			t.Fatal(err)
		}
	}
	full := create("Frokostmøte", now.Add(48*time.Hour), time.Time{}, 2)
	sign(full, "a@example.no", 2)
	sign(full, "b@example.no", 1) // waiting
	ongoing := create("Nettverksmøte", now.Add(-time.Hour), now.Add(time.Hour), 10)
	sign(ongoing, "c@example.no", 3)
	cancelled := create("Avlyst seminar", now.Add(48*time.Hour), time.Time{}, 10)
	sign(cancelled, "d@example.no", 4)
	if err := s.SetEventStatus(ctx, cancelled.Slug, db.EventCancelled); err != nil {
		t.Fatal(err)
	}
	past := create("Årsmøte", now.Add(-48*time.Hour), time.Time{}, 10)
	sign(past, "e@example.no", 5)
	s.Now = func() time.Time { return now }

	c, err := s.Counters(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Signups, 2+3; got != want {
		t.Errorf("signed up: got %d, want %d (not the waiting list, the cancelled or the past event)", got, want)
	}
	c, err = s.Counters(ctx, full.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Signups, 2; got != want {
		t.Errorf("signed up for %s: got %d, want %d", full.Slug, got, want)
	}
}

// TestCountersIdeas: every screen counts the ideas on the board and the
// businesses connected through them, whatever event it shows.
func TestCountersIdeas(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	e, err := s.CreateEvent(ctx, db.NewEvent{Title: "Frokostmøte", StartsAt: time.Now().Add(48 * time.Hour), Capacity: 10})
	if err != nil {
		t.Fatal(err)
	}
	published := MustCreateIdea(t, s, "Beredskapslager")
	MustCreateIdea(t, s, "Venter") // pending: not counted
	withdrawn := MustCreateIdea(t, s, "Trekkes")
	for _, i := range []*db.Idea{published, withdrawn} {
		if _, err := s.SetIdeaStatus(ctx, i.ID, db.IdeaPublished, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.WithdrawIdea(ctx, withdrawn.Token); err != nil {
		t.Fatal(err)
	}
	req, err := s.AskToConnect(ctx, published.ID, db.NewInterest{Company: "Sykehuset Innlandet", ContactName: "Ola", Email: "ola@example.no"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DecideInterest(ctx, published.Token, req.ID, true); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{0, e.ID} {
		c, err := s.Counters(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if c.Ideas != 1 || c.Connected != 2 {
			t.Errorf("screen of event %d: %d ideas, %d businesses connected; want 1 and 2", id, c.Ideas, c.Connected)
		}
	}
}
