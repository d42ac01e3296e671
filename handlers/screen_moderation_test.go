package handlers_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// same fails unless screens all show the same pinned items and feed.
func same(tb testing.TB, screens ...*watchedScreen) {
	tb.Helper()
	for _, s := range screens[1:] {
		if !slices.Equal(s.feed.ids, screens[0].feed.ids) || !slices.Equal(s.feed.pinned, screens[0].feed.pinned) {
			tb.Fatalf("screens disagree: pinned %v, feed %v against pinned %v, feed %v",
				s.feed.pinned, s.feed.ids, screens[0].feed.pinned, screens[0].feed.ids)
		}
	}
}

// TestScreenPin: a pinned item is at the top of every screen that shows
// it at once, and of one that connects later, and not in the feed as
// well; unpinned, it returns to its place; hidden, it leaves the top.
func TestScreenPin(t *testing.T) {
	ctx := db.WithActor(context.Background(), "kari@example.no")
	h := newTestHub(t)
	other, err := h.Store.CreateEvent(ctx, db.NewEvent{Title: "Seminar", StartsAt: time.Now().Add(96 * time.Hour), Capacity: 5})
	if err != nil {
		t.Fatal(err)
	}
	all := openFeed(t, h.URL, "")
	event := openFeed(t, h.URL, "?event="+h.Event.Slug)
	elsewhere := openFeed(t, h.URL, "?event="+other.Slug)
	for i := range 5 {
		signupAs(t, h, fmt.Sprintf("Person %d", i), "", db.ShowFull)
	}
	coffee, err := h.Store.Announce(ctx, "Kaffen er klar")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*watchedScreen{all, event} {
		s.until("five signups and an announcement", func(m *feedModel) bool { return len(m.ids) == 6 })
	}
	elsewhere.until("the announcement", func(m *feedModel) bool { return m.shows("Kaffen er klar") })
	before := slices.Clone(all.feed.ids)

	// A signup in the middle of the feed goes to the top, in one message.
	middle := all.feed.idOf(t, "Person 2")
	if err := h.Store.PinActivity(ctx, middle); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*watchedScreen{all, event} {
		s.feed.apply(s.nextItem())
		if !slices.Equal(s.feed.pinned, []string{fmt.Sprint(middle)}) || s.feed.shows("Person 2") || len(s.feed.ids) != 5 {
			t.Fatalf("after the pin: pinned %v, feed %v", s.feed.pinned, s.feed.ids)
		}
		if !s.feed.pinnedShows("Person 2 meldte seg på") {
			t.Fatalf("the pinned item says %q", s.feed.texts["pinned-"+s.feed.pinned[0]])
		}
	}
	late := openFeed(t, h.URL, "")
	same(t, all, late)
	// A screen in another language has a channel of its own, made now.
	if english := openFeed(t, h.URL, "?lang=en"); !slices.Equal(english.feed.pinned, all.feed.pinned) ||
		!slices.Equal(english.feed.ids, all.feed.ids) || !english.feed.pinnedShows("Person 2 signed up") {
		t.Fatalf("a late screen in English: pinned %v, feed %v", english.feed.pinned, english.feed.ids)
	}
	if page := h.get(t, "/screen"); !strings.Contains(page.Body, fmt.Sprintf(`<li id="pinned-%d" class="item item--signup item--pinned">`, middle)) {
		t.Fatalf("the screen page lacks the pinned item:\n%s", page.Body)
	}

	// An announcement is pinned on every screen, the latest on top; the
	// signup only where its event is shown.
	if err := h.Store.PinActivity(ctx, coffee); err != nil {
		t.Fatal(err)
	}
	want := []string{fmt.Sprint(coffee), fmt.Sprint(middle)}
	for _, s := range []*watchedScreen{all, event, late} {
		s.until("two pinned", func(m *feedModel) bool { return slices.Equal(m.pinned, want) })
	}
	elsewhere.until("the pinned announcement", func(m *feedModel) bool {
		return slices.Equal(m.pinned, []string{fmt.Sprint(coffee)}) && len(m.ids) == 0
	})

	// Unpinned, the signup is back where it was.
	if err := h.Store.UnpinActivity(ctx, middle); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*watchedScreen{all, late} {
		s.until("the unpin", func(m *feedModel) bool { return m.shows("Person 2") })
		if want := slices.DeleteFunc(slices.Clone(before), func(id string) bool { return id == fmt.Sprint(coffee) }); !slices.Equal(s.feed.ids, want) {
			t.Fatalf("after the unpin the feed is %v, want %v", s.feed.ids, want)
		}
	}
	same(t, all, late, openFeed(t, h.URL, ""))

	// Hidden, the pinned announcement leaves the top of every screen.
	if err := h.Store.HideActivity(ctx, coffee); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*watchedScreen{all, event, elsewhere, late} {
		s.until("the hide", func(m *feedModel) bool { return len(m.pinned) == 0 })
	}
	same(t, all, late, openFeed(t, h.URL, ""))
	same(t, event, openFeed(t, h.URL, "?event="+h.Event.Slug))
}

// TestScreenPinFullFeed: pinning an item of a full feed fills the feed
// up from below; unpinning it puts it back and lets the oldest go, so
// every screen always shows the feed's ten.
func TestScreenPinFullFeed(t *testing.T) {
	ctx := context.Background()
	h := newTestHub(t)
	s := openFeed(t, h.URL, "")
	for i := range 12 {
		if _, err := h.Store.Announce(ctx, fmt.Sprintf("Melding %02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	s.until("twelve announcements", func(m *feedModel) bool { return m.shows("Melding 11") })
	full := slices.Clone(s.feed.ids)
	pin := s.feed.idOf(t, "Melding 06")
	if err := h.Store.PinActivity(ctx, pin); err != nil {
		t.Fatal(err)
	}
	s.until("the pin", func(m *feedModel) bool { return len(m.pinned) == 1 })
	if len(s.feed.ids) != 10 || !s.feed.shows("Melding 01") || s.feed.shows("Melding 06") {
		t.Fatalf("after the pin the feed is %v", s.feed.ids)
	}
	same(t, s, openFeed(t, h.URL, ""))
	if err := h.Store.UnpinActivity(ctx, pin); err != nil {
		t.Fatal(err)
	}
	s.until("the unpin", func(m *feedModel) bool { return len(m.pinned) == 0 })
	if !slices.Equal(s.feed.ids, full) {
		t.Fatalf("after the unpin the feed is %v, want %v", s.feed.ids, full)
	}
	same(t, s, openFeed(t, h.URL, ""))
}

// TestScreenHold: under a hold, a new item reaches no screen, open or
// late, nor the screen page, until a moderator approves it; then it
// appears on top like a new item. The counters keep counting meanwhile.
func TestScreenHold(t *testing.T) {
	ctx := db.WithActor(context.Background(), "kari@example.no")
	h := newTestHub(t)
	if err := h.Store.SetFeedHold(ctx, "", true); err != nil {
		t.Fatal(err)
	}
	all := openFeed(t, h.URL, "")
	event := openFeed(t, h.URL, "?event="+h.Event.Slug)
	if _, err := h.Store.Announce(ctx, "Kaffen er klar"); err != nil { // never held
		t.Fatal(err)
	}
	all.until("the announcement", func(m *feedModel) bool { return m.shows("Kaffen er klar") })
	event.until("the announcement", func(m *feedModel) bool { return m.shows("Kaffen er klar") })

	signupAs(t, h, "Holdt Tilbake", "", db.ShowFull)
	// The counters move at once; no feed item comes: the next one is an
	// announcement made after the signup. (A read that times out ends a
	// gorilla connection, so the test waits for something that does come.)
	if msg := all.next(); !strings.HasPrefix(msg, `<dl id="counters"`) || !strings.Contains(msg, `id="counter-signups" class="counter counter--changed"`) {
		t.Fatalf("want the counters to move, got %s", msg)
	}
	if _, err := h.Store.Announce(ctx, "Etter påmeldingen"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*watchedScreen{all, event} {
		msg := s.nextItem()
		if !strings.Contains(msg, "Etter påmeldingen") {
			t.Fatalf("want the announcement, got %s", msg)
		}
		s.feed.apply(msg)
	}
	late := openFeed(t, h.URL, "?event="+h.Event.Slug)
	for _, s := range []*watchedScreen{all, event, late} {
		if s.feed.shows("Holdt Tilbake") {
			t.Fatal("a held item is on a screen")
		}
	}
	for _, path := range []string{"/screen", "/screen?view=list", "/screen?event=" + h.Event.Slug} {
		if page := h.get(t, path); strings.Contains(page.Body, "Holdt Tilbake") {
			t.Fatalf("a held item is on %s", path)
		}
	}

	held, err := h.Store.ListFeed(ctx, db.FeedFilter{State: db.FeedHeld})
	if err != nil || len(held) != 1 {
		t.Fatalf("held: %v, %v", held, err)
	}
	shown, err := h.Store.ApproveActivity(ctx, held[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*watchedScreen{all, event, late} {
		msg := s.nextItem()
		if !strings.Contains(msg, `data-hx-swap-oob="afterbegin:#feed"`) || !strings.Contains(msg, fmt.Sprintf(`id="activity-%d"`, shown)) ||
			!strings.Contains(msg, "Holdt Tilbake") {
			t.Fatalf("the approved item: %s", msg)
		}
		s.feed.apply(msg)
		if s.feed.ids[0] != fmt.Sprint(shown) {
			t.Fatalf("the approved item is not on top: %v", s.feed.ids)
		}
	}
	same(t, all, openFeed(t, h.URL, ""))
	same(t, late, event, openFeed(t, h.URL, "?event="+h.Event.Slug))
}

// TestScreenHoldOneEvent: holding one event's screen holds that event's
// items on every screen (the screen of every event too: a public wall
// must never show it unreviewed), and items of no event while the event
// is on, as they reach its screen too; another event's items show at once.
func TestScreenHoldOneEvent(t *testing.T) {
	ctx := db.WithActor(context.Background(), "kari@example.no")
	h := newTestHub(t)
	other, err := h.Store.CreateEvent(ctx, db.NewEvent{Title: "Seminar", StartsAt: time.Now().Add(96 * time.Hour), Capacity: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Store.SetFeedHold(ctx, h.Event.Slug, true); err != nil {
		t.Fatal(err)
	}
	all := openFeed(t, h.URL, "")
	held := openFeed(t, h.URL, "?event="+h.Event.Slug)
	open := openFeed(t, h.URL, "?event="+other.Slug)

	signupAs(t, h, "Holdt Tilbake", "", db.ShowFull)
	idea, err := h.Store.CreateIdea(ctx, db.NewIdea{Title: "Beredskapslager", Summary: "Et felles lager.", Company: "Elverum Rør AS",
		OrgNumber: "974 760 673", ContactName: "Kari Nordmann", Email: "kari@example.no", Sector: "preparedness", Seeking: []string{"partner"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.SetIdeaStatus(ctx, idea.ID, db.IdeaPublished, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.CreateSignup(ctx, other.Slug, db.NewSignup{Name: "Vises Straks", Email: "v@example.no", Seats: 1, ShowName: db.ShowFull}); err != nil {
		t.Fatal(err)
	}
	all.until("the other event's signup", func(m *feedModel) bool { return m.shows("Vises Straks") })
	open.until("its own signup", func(m *feedModel) bool { return m.shows("Vises Straks") })
	if _, err := h.Store.Announce(ctx, "Etter påmeldingene"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*watchedScreen{all, held, open} {
		s.until("the announcement", func(m *feedModel) bool { return m.shows("Etter påmeldingene") })
	}
	for _, s := range []*watchedScreen{all, held, open, openFeed(t, h.URL, "")} {
		if s.feed.shows("Holdt Tilbake") || s.feed.shows("Beredskapslager") {
			t.Fatalf("a held item is on a screen: %v", s.feed.texts)
		}
	}
	if len(all.feed.ids) != 2 || len(held.feed.ids) != 1 {
		t.Fatalf("the screen of every event shows %v, the held event's %v", all.feed.ids, held.feed.ids)
	}

	items, err := h.Store.ListFeed(ctx, db.FeedFilter{State: db.FeedHeld, Event: h.Event.Slug})
	if err != nil || len(items) != 1 {
		t.Fatalf("held items of the event: %v, %v", items, err)
	}
	if _, err := h.Store.ApproveActivity(ctx, items[0].ID); err != nil {
		t.Fatal(err)
	}
	all.until("the approved signup", func(m *feedModel) bool { return m.shows("Holdt Tilbake") })
	held.until("the approved signup", func(m *feedModel) bool { return m.shows("Holdt Tilbake") })
	open.quiet(300 * time.Millisecond)
	if open.feed.shows("Holdt Tilbake") {
		t.Fatal("another event's screen shows the approved signup")
	}
}

// TestScreenHideHeld: rejecting a held item (hiding it) sends nothing to
// any screen, and it can no longer be approved.
func TestScreenHideHeld(t *testing.T) {
	ctx := context.Background()
	h := newTestHub(t)
	if err := h.Store.SetFeedHold(ctx, "", true); err != nil {
		t.Fatal(err)
	}
	s := openFeed(t, h.URL, "")
	signupAs(t, h, "Avvist Innslag", "", db.ShowFull)
	items, _ := h.Store.ListFeed(ctx, db.FeedFilter{State: db.FeedHeld})
	if len(items) != 1 {
		t.Fatalf("held: %v", items)
	}
	if err := h.Store.HideActivity(ctx, items[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.ApproveActivity(ctx, items[0].ID); db.ErrorCode(err) != db.ECONFLICT {
		t.Fatalf("approving a rejected item: %v", err)
	}
	s.quiet(1200 * time.Millisecond)
	if s.feed.shows("Avvist Innslag") {
		t.Fatal("a rejected item is on the screen")
	}
}

// TestFeedModerationMessagesInCatalogs: the store's refusals of feed
// moderation read as sentences in every language.
func TestFeedModerationMessagesInCatalogs(t *testing.T) {
	ctx := context.Background()
	h := newTestHub(t)
	var errs []error
	id, _ := h.Store.Announce(ctx, "Skjult")
	h.Store.HideActivity(ctx, id)
	errs = append(errs, h.Store.PinActivity(ctx, id))
	_, err := h.Store.ApproveActivity(ctx, id)
	errs = append(errs, err)
	for i := range db.MaxPinned + 1 {
		id, _ := h.Store.Announce(ctx, fmt.Sprint("Festet ", i))
		err = h.Store.PinActivity(ctx, id)
	}
	errs = append(errs, err)
	_, err = h.Store.ListFeed(ctx, db.FeedFilter{State: "gone"})
	errs = append(errs, err, h.Store.PinActivity(ctx, 9999))
	assertInCatalogs(t, errs)
}
