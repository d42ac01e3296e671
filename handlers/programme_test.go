package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// TestEventPageShowsTheEditedDescription: an organiser's edit of an
// event's description reaches its public page at once (the page cache
// sees the write), in paragraphs, escaped.
func TestEventPageShowsTheEditedDescription(t *testing.T) {
	h := newTestHub(t)
	ctx := db.WithActor(context.Background(), "kari@example.no")
	page := "/events/" + h.Event.Slug
	if r := h.get(t, page); strings.Contains(r.Body, `class="description"`) {
		t.Fatal("the event has no description yet, but its page shows one")
	}
	description := "Kaffe fra 07.30.\n\nVi snakker om <b>beredskap</b> & lager."
	if _, err := h.Store.UpdateEvent(ctx, h.Event.Slug, db.EventChanges{Description: &description}); err != nil {
		t.Fatal(err)
	}
	assertContains(t, h.get(t, page), `<div class="description"><p>Kaffe fra 07.30.</p><p>Vi snakker om &lt;b&gt;beredskap&lt;/b&gt; &amp; lager.</p></div>`)
}

// TestProgrammeStoreMessagesInCatalogs: every refusal of the store's
// methods for running the programme has a message in every language, so
// the back office's pages say a sentence, not a key.
func TestProgrammeStoreMessagesInCatalogs(t *testing.T) {
	h := newTestHub(t)
	ctx := db.WithActor(context.Background(), "kari@example.no")
	var errs []error
	add := func(_ any, err error) { errs = append(errs, err) }
	str := func(s string) *string { return &s }
	num := func(n int) *int { return &n }
	at := func(t time.Time) *time.Time { return &t }

	e := h.Event
	confirmed, err := h.Store.CreateSignup(ctx, e.Slug, db.NewSignup{Name: "Kari", Email: "k@example.no", Seats: 2, ShowName: db.ShowNone})
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range []db.EventChanges{
		{Title: str(" ")},
		{Kind: str("party")},
		{StartsAt: &time.Time{}},
		{StartsAt: at(time.Now().Add(-time.Hour))},
		{EndsAt: at(e.StartsAt.Add(-time.Hour))},
		{Capacity: num(-1)},
		{Capacity: num(1)},
	} {
		add(h.Store.UpdateEvent(ctx, e.Slug, ch))
	}
	add(h.Store.UpdateEvent(ctx, "no-such-event", db.EventChanges{}))
	add(nil, h.Store.SetEventStatus(ctx, e.Slug, "postponed"))
	add(nil, h.Store.SetEventStatus(ctx, e.Slug, db.EventDraft))
	add(nil, h.Store.DeleteEvent(ctx, e.Slug))
	add(h.Store.DuplicateEvent(ctx, e.Slug, time.Time{}))
	add(h.Store.DuplicateEvent(ctx, e.Slug, time.Now().Add(-time.Hour)))
	add(h.Store.MoveWaiting(ctx, e.Slug, confirmed.ID, 0))
	add(h.Store.MoveWaiting(ctx, e.Slug, confirmed.ID, 1))
	add(h.Store.MoveWaiting(ctx, e.Slug, confirmed.ID+1, 1))
	add(h.Store.CancelSignupByOrganiser(ctx, e.Slug, confirmed.ID, ""))

	cancelled, err := h.Store.CreateEvent(ctx, db.NewEvent{Title: "Avlyst", StartsAt: e.StartsAt, Capacity: 5, Status: db.EventCancelled})
	if err != nil {
		t.Fatal(err)
	}
	add(h.Store.UpdateEvent(ctx, cancelled.Slug, db.EventChanges{Capacity: num(6)}))
	draft, err := h.Store.CreateEvent(ctx, db.NewEvent{Title: "Utkast", StartsAt: e.StartsAt, Capacity: 5})
	if err != nil {
		t.Fatal(err)
	}
	su, err := h.Store.CreateSignup(ctx, draft.Slug, db.NewSignup{Name: "Ola", Email: "o@example.no", Seats: 1, ShowName: db.ShowNone})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.CancelSignup(ctx, su.Token, db.ActorResident); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.SetEventStatus(ctx, draft.Slug, db.EventDraft); err != nil {
		t.Fatal(err)
	}
	add(nil, h.Store.DeleteEvent(ctx, draft.Slug))

	assertInCatalogs(t, errs)
	if want := 19; len(errs) != want {
		t.Fatalf("checked %d refusals, want %d", len(errs), want)
	}
}
