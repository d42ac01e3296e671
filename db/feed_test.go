package db_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// shownIDs is what a screen of eventID shows: its pinned items, then its
// feed, as ids.
func shownIDs(tb testing.TB, s *db.Store, eventID int64) (pinned, feed []int64) {
	tb.Helper()
	ctx := context.Background()
	p, err := s.PinnedActivity(ctx, eventID)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := s.LatestActivity(ctx, eventID, 1<<62, 100)
	if err != nil {
		tb.Fatal(err)
	}
	for _, a := range p {
		pinned = append(pinned, a.ID)
	}
	for _, a := range f {
		feed = append(feed, a.ID)
	}
	return pinned, feed
}

// lastItem is the id of the newest feed item, in whatever state.
func lastItem(tb testing.TB, s *db.Store) db.Activity {
	tb.Helper()
	items, err := s.ListFeed(context.Background(), db.FeedFilter{Limit: 1})
	if err != nil || len(items) != 1 {
		tb.Fatalf("ListFeed: %v, %v", items, err)
	}
	return items[0]
}

func auditActions(tb testing.TB, s *db.Store, prefix string) []string {
	tb.Helper()
	entries, err := s.ListAudit(context.Background(), db.AuditFilter{Action: prefix})
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Actor+" "+e.Action+" "+e.Subject+" "+e.Before+" → "+e.After)
	}
	slices.Reverse(out)
	return out
}

func TestPinActivity(t *testing.T) {
	ctx := db.WithActor(context.Background(), "kari@example.no")
	t.Run("OK", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 10)
		other := MustCreateEvent(t, s, "Seminar", 10)
		coffee, _ := s.Announce(ctx, "Kaffen er klar")
		if _, err := s.CreateSignup(ctx, e.Slug, signup("a@example.no", 1)); err != nil {
			t.Fatal(err)
		}
		kari := lastItem(t, s).ID
		if _, err := s.Announce(ctx, "Velkommen"); err != nil {
			t.Fatal(err)
		}
		welcome := lastItem(t, s).ID

		for range 2 { // pinning twice is harmless
			if err := s.PinActivity(ctx, kari); err != nil {
				t.Fatal(err)
			}
		}
		// The signup's event's screen and the screen of every event show
		// it on top, and not again in the feed; another event's does not.
		for _, id := range []int64{0, e.ID} {
			if pinned, feed := shownIDs(t, s, id); !slices.Equal(pinned, []int64{kari}) || !slices.Equal(feed, []int64{welcome, coffee}) {
				t.Errorf("screen %d: pinned %v, feed %v", id, pinned, feed)
			}
		}
		if pinned, _ := shownIDs(t, s, other.ID); len(pinned) != 0 {
			t.Errorf("another event's screen shows pins %v", pinned)
		}
		if err := s.PinActivity(ctx, coffee); err != nil {
			t.Fatal(err)
		}
		if pinned, _ := shownIDs(t, s, other.ID); !slices.Equal(pinned, []int64{coffee}) {
			t.Errorf("an announcement is pinned on every screen: got %v", pinned)
		}
		if got := lastItem(t, s); got.State() != db.FeedShown {
			t.Errorf("an item not pinned is %s", got.State())
		}
		if items, _ := s.ListFeed(ctx, db.FeedFilter{State: db.FeedPinned}); len(items) != 2 || items[0].State() != db.FeedPinned {
			t.Errorf("pinned items: %+v", items)
		}

		// Unpinned, it is back in its place.
		if err := s.UnpinActivity(ctx, kari); err != nil {
			t.Fatal(err)
		}
		if err := s.UnpinActivity(ctx, kari); err != nil { // harmless
			t.Fatal(err)
		}
		if pinned, feed := shownIDs(t, s, 0); !slices.Equal(pinned, []int64{coffee}) || !slices.Equal(feed, []int64{welcome, kari}) {
			t.Errorf("after unpinning: pinned %v, feed %v", pinned, feed)
		}
		// Hidden, a pinned item leaves the top and no longer counts as a pin.
		if err := s.HideActivity(ctx, coffee); err != nil {
			t.Fatal(err)
		}
		if pinned, feed := shownIDs(t, s, 0); len(pinned) != 0 || !slices.Equal(feed, []int64{welcome, kari}) {
			t.Errorf("after hiding the pin: pinned %v, feed %v", pinned, feed)
		}
		want := []string{
			fmt.Sprintf(`kari@example.no feed.pin %d {"pinned":false} → {"pinned":true}`, kari),
			fmt.Sprintf(`kari@example.no feed.pin %d {"pinned":false} → {"pinned":true}`, coffee),
			fmt.Sprintf(`kari@example.no feed.unpin %d {"pinned":true} → {"pinned":false}`, kari),
			fmt.Sprintf(`kari@example.no feed.hide %d {"pinned":true,"visible":true} → {"visible":false}`, coffee),
		}
		if got := auditActions(t, s, "feed."); !slices.Equal(got[2:], want) { // after the two announcements
			t.Errorf("audit:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})

	t.Run("ErrLimit", func(t *testing.T) {
		s := MustOpenDB(t)
		var ids []int64
		for i := range db.MaxPinned + 1 {
			id, err := s.Announce(ctx, fmt.Sprint("Kunngjøring ", i))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		for _, id := range ids[:db.MaxPinned] {
			if err := s.PinActivity(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.PinActivity(ctx, ids[db.MaxPinned]); db.ErrorKey(err) != "feed.pin_limit" {
			t.Fatalf("pin %d: %v, want feed.pin_limit", db.MaxPinned+1, err)
		}
		if err := s.UnpinActivity(ctx, ids[0]); err != nil {
			t.Fatal(err)
		}
		if err := s.PinActivity(ctx, ids[db.MaxPinned]); err != nil {
			t.Fatalf("after an unpin: %v", err)
		}
	})

	t.Run("ErrNotShown", func(t *testing.T) {
		s := MustOpenDB(t)
		id, _ := s.Announce(ctx, "Kaffen er klar")
		if err := s.HideActivity(ctx, id); err != nil {
			t.Fatal(err)
		}
		if err := s.PinActivity(ctx, id); db.ErrorKey(err) != "feed.pin_not_shown" {
			t.Fatalf("pinning a hidden item: %v", err)
		}
		if err := s.PinActivity(ctx, id+100); db.ErrorCode(err) != db.ENOTFOUND {
			t.Fatalf("pinning an unknown item: %v", err)
		}
		if err := s.UnpinActivity(ctx, id+100); db.ErrorCode(err) != db.ENOTFOUND {
			t.Fatalf("unpinning an unknown item: %v", err)
		}
		if pinned, _ := shownIDs(t, s, 0); len(pinned) != 0 {
			t.Fatalf("pinned: %v", pinned)
		}
	})
}

func TestFeedHold(t *testing.T) {
	ctx := db.WithActor(context.Background(), "kari@example.no")
	t.Run("AllScreens", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 10)
		if err := s.SetFeedHold(ctx, "", true); err != nil {
			t.Fatal(err)
		}
		su, err := s.CreateSignup(ctx, e.Slug, signup("a@example.no", 2))
		if err != nil {
			t.Fatal(err)
		}
		held := lastItem(t, s)
		if held.State() != db.FeedHeld || held.SignupID != su.ID {
			t.Fatalf("a new signup's item is %s: %+v", held.State(), held)
		}
		announced, _ := s.Announce(ctx, "Kaffen er klar") // never held
		i := MustCreateIdea(t, s, "Beredskapslager")
		if _, err := s.SetIdeaStatus(ctx, i.ID, db.IdeaPublished, ""); err != nil {
			t.Fatal(err)
		}
		idea := lastItem(t, s)
		if idea.Kind != db.ActivityIdea || idea.State() != db.FeedHeld {
			t.Fatalf("a published idea's item: %+v", idea)
		}
		for _, id := range []int64{0, e.ID} {
			if _, feed := shownIDs(t, s, id); !slices.Equal(feed, []int64{announced}) {
				t.Fatalf("screen %d shows %v, want the announcement only", id, feed)
			}
		}
		// Figures are not items: they keep counting.
		if c, err := s.Counters(ctx, 0); err != nil || c.Signups != 2 || c.Ideas != 1 {
			t.Fatalf("counters %+v, %v", c, err)
		}
		if items, _ := s.ListFeed(ctx, db.FeedFilter{State: db.FeedHeld}); len(items) != 2 {
			t.Fatalf("held items: %+v", items)
		}

		// Approved, it joins the feed on top, as a new item.
		shown, err := s.ApproveActivity(ctx, held.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, feed := shownIDs(t, s, e.ID); !slices.Equal(feed, []int64{shown, announced}) || shown <= idea.ID {
			t.Fatalf("after approval the event's screen shows %v; the approved item is %d", feed, shown)
		}
		// The held id leads to it: approving again, pinning, hiding.
		if again, err := s.ApproveActivity(ctx, held.ID); err != nil || again != shown {
			t.Fatalf("approving again: %d, %v; want %d", again, err, shown)
		}
		if err := s.PinActivity(ctx, held.ID); err != nil {
			t.Fatal(err)
		}
		if pinned, _ := shownIDs(t, s, 0); !slices.Equal(pinned, []int64{shown}) {
			t.Fatalf("pinned by its held id: %v", pinned)
		}
		if items, _ := s.ListFeed(ctx, db.FeedFilter{}); len(items) != 3 {
			t.Fatalf("ListFeed lists the held row after approval too: %+v", items)
		}

		// Rejecting is hiding: the idea never shows and cannot be approved.
		if err := s.HideActivity(ctx, idea.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ApproveActivity(ctx, idea.ID); db.ErrorKey(err) != "feed.not_held" {
			t.Fatalf("approving a rejected item: %v", err)
		}
		if _, err := s.ApproveActivity(ctx, 999); db.ErrorCode(err) != db.ENOTFOUND {
			t.Fatalf("approving an unknown item: %v", err)
		}
		if items, _ := s.ListFeed(ctx, db.FeedFilter{State: db.FeedHidden}); len(items) != 1 || items[0].ID != idea.ID {
			t.Fatalf("hidden items: %+v", items)
		}

		// Off: new items show at once; held ones wait still.
		if err := s.SetFeedHold(ctx, "", false); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateSignup(ctx, e.Slug, signup("b@example.no", 1)); err != nil {
			t.Fatal(err)
		}
		if got := lastItem(t, s); got.State() != db.FeedShown {
			t.Fatalf("with the hold off a signup is %s", got.State())
		}
		want := []string{
			`kari@example.no feed.hold all {"hold":false} → {"hold":true}`,
			fmt.Sprintf(`kari@example.no feed.announce %d  → {"text":"Kaffen er klar"}`, announced),
			fmt.Sprintf(`kari@example.no feed.approve %d {"held":true} → {"held":false,"id":%d}`, held.ID, shown),
			fmt.Sprintf(`kari@example.no feed.pin %d {"pinned":false} → {"pinned":true}`, shown),
			fmt.Sprintf(`kari@example.no feed.hide %d {"held":true} → {"held":false}`, idea.ID),
			`kari@example.no feed.hold all {"hold":true} → {"hold":false}`,
		}
		if got := auditActions(t, s, "feed."); !slices.Equal(got, want) {
			t.Errorf("audit:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})

	t.Run("OneEvent", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 10)
		other := MustCreateEvent(t, s, "Seminar", 10)
		for range 2 { // setting it as it is is harmless
			if err := s.SetFeedHold(ctx, e.Slug, true); err != nil {
				t.Fatal(err)
			}
		}
		if h, err := s.FeedHolds(ctx); err != nil || h.All || len(h.Events) != 1 || h.Events[0].Slug != e.Slug {
			t.Fatalf("holds %+v, %v", h, err)
		}
		if _, err := s.CreateSignup(ctx, e.Slug, signup("a@example.no", 1)); err != nil {
			t.Fatal(err)
		}
		if got := lastItem(t, s); got.State() != db.FeedHeld {
			t.Fatalf("the held event's signup is %s", got.State())
		}
		if _, err := s.CreateSignup(ctx, other.Slug, signup("b@example.no", 1)); err != nil {
			t.Fatal(err)
		}
		if got := lastItem(t, s); got.State() != db.FeedShown {
			t.Fatalf("another event's signup is %s", got.State())
		}
		// An idea reaches the held event's screen too: held while the
		// event has not ended.
		i := MustCreateIdea(t, s, "Beredskapslager")
		if _, err := s.SetIdeaStatus(ctx, i.ID, db.IdeaPublished, ""); err != nil {
			t.Fatal(err)
		}
		if got := lastItem(t, s); got.State() != db.FeedHeld {
			t.Fatalf("an idea under an event's hold is %s", got.State())
		}
		s.Now = func() time.Time { return e.EndsAt.Add(time.Minute) }
		j := MustCreateIdea(t, s, "Testarena")
		if _, err := s.SetIdeaStatus(ctx, j.ID, db.IdeaPublished, ""); err != nil {
			t.Fatal(err)
		}
		if got := lastItem(t, s); got.State() != db.FeedShown {
			t.Fatalf("an idea after the held event ended is %s", got.State())
		}
		if err := s.SetFeedHold(ctx, "nope", true); db.ErrorCode(err) != db.ENOTFOUND {
			t.Fatalf("holding an unknown event: %v", err)
		}
		if err := s.SetFeedHold(ctx, e.Slug, false); err != nil {
			t.Fatal(err)
		}
		if h, _ := s.FeedHolds(ctx); len(h.Events) != 0 {
			t.Fatalf("holds after turning it off: %+v", h)
		}
		if got := auditActions(t, s, "feed.hold"); len(got) != 2 {
			t.Fatalf("audit: %v", got)
		}
	})

	t.Run("CancelledWhileHeld", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 10)
		if err := s.SetFeedHold(ctx, "", true); err != nil {
			t.Fatal(err)
		}
		su, _ := s.CreateSignup(ctx, e.Slug, signup("a@example.no", 1))
		held := lastItem(t, s)
		if _, err := s.CancelSignup(ctx, su.Token, db.ActorResident); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ApproveActivity(ctx, held.ID); db.ErrorKey(err) != "feed.not_held" {
			t.Fatalf("approving a cancelled signup's item: %v", err)
		}
		if _, feed := shownIDs(t, s, 0); len(feed) != 0 {
			t.Fatalf("feed %v", feed)
		}
	})

	t.Run("ErasedAfterApproval", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 10)
		if err := s.SetFeedHold(ctx, "", true); err != nil {
			t.Fatal(err)
		}
		su, _ := s.CreateSignup(ctx, e.Slug, db.NewSignup{Name: "Kari Nordmann", Email: "k@example.no", Seats: 1, ShowName: db.ShowFull})
		held := lastItem(t, s)
		if _, err := s.ApproveActivity(ctx, held.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.EraseSignup(ctx, su.Token); err != nil {
			t.Fatal(err)
		}
		all, _ := s.ListFeed(ctx, db.FeedFilter{})
		for _, a := range all {
			if strings.Contains(a.ActorName, "Kari") || a.Visible {
				t.Fatalf("after erasure: %+v", a)
			}
		}
	})
}

func TestListFeed(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	e := MustCreateEvent(t, s, "Frokostmøte", 10)
	other := MustCreateEvent(t, s, "Seminar", 10)
	a, _ := s.Announce(ctx, "Kaffen er klar")
	s.CreateSignup(ctx, e.Slug, signup("a@example.no", 1))
	s.CreateSignup(ctx, other.Slug, signup("b@example.no", 1))
	if err := s.HideActivity(ctx, a); err != nil {
		t.Fatal(err)
	}
	all, err := s.ListFeed(ctx, db.FeedFilter{})
	if err != nil || len(all) != 3 || all[0].EventSlug != other.Slug || all[2].ID != a || all[2].State() != db.FeedHidden {
		t.Fatalf("all: %+v, %v", all, err)
	}
	for _, tc := range []struct {
		f    db.FeedFilter
		want int
	}{
		{db.FeedFilter{Event: e.Slug}, 1},
		{db.FeedFilter{State: db.FeedShown}, 2},
		{db.FeedFilter{State: db.FeedHidden}, 1},
		{db.FeedFilter{State: db.FeedHeld}, 0},
		{db.FeedFilter{BeforeID: all[0].ID}, 2},
		{db.FeedFilter{Limit: 1}, 1},
	} {
		if got, err := s.ListFeed(ctx, tc.f); err != nil || len(got) != tc.want {
			t.Errorf("%+v: %d items (%v), want %d", tc.f, len(got), err, tc.want)
		}
	}
	if _, err := s.ListFeed(ctx, db.FeedFilter{State: "gone"}); db.ErrorCode(err) != db.EINVALID {
		t.Errorf("unknown state: %v", err)
	}
	if _, err := s.ListFeed(ctx, db.FeedFilter{Event: "nope"}); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("unknown event: %v", err)
	}
}
