package handlers_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/torghub/torg/db"
)

// pinnedStateJS reads where an item is on the screen: in the pinned list
// (and whether that list is drawn above every feed item, wholly in view),
// or in the feed.
const pinnedStateJS = `((id) => {
	const pinned = document.getElementById("pinned-" + id), r = pinned && pinned.getBoundingClientRect();
	const feed = [...document.querySelectorAll("#feed li")].map(li => li.getBoundingClientRect().top);
	return {
		pinned: !!pinned,
		inFeed: !!document.getElementById("activity-" + id),
		text: pinned ? pinned.textContent.replace(/\s+/g, " ").trim() : "",
		onTop: !!r && r.height > 0 && r.top >= 0 && r.bottom <= innerHeight && feed.every(top => r.bottom <= top),
		listShown: getComputedStyle(document.getElementById("pinned")).display !== "none", // an empty list is no list to a screen reader either
	};
})`

type pinnedState struct {
	Pinned    bool   `json:"pinned"`
	InFeed    bool   `json:"inFeed"`
	Text      string `json:"text"`
	OnTop     bool   `json:"onTop"`
	ListShown bool   `json:"listShown"`
}

// TestBrowserScreenPinned: an announcement pinned while a screen is open
// appears at once above every feed item, wholly in view, and leaves the
// feed; unpinned, it is back in the feed and the pinned list takes no
// room. The screen with a pinned item passes axe.
func TestBrowserScreenPinned(t *testing.T) {
	source, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	h := newTestHub(t)
	ctx := context.Background()
	coffee, err := h.Store.Announce(ctx, "Kaffen står klar i foajeen")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		signupAs(t, h, fmt.Sprintf("Deltaker %d", i), "Elverum kommune", db.ShowFull)
	}
	b := newBrowser(t)
	watchScreen(b)
	openScreen(b, h.URL+"/screen")
	read := func() pinnedState { return eval[pinnedState](b, fmt.Sprintf("%s(%d)", pinnedStateJS, coffee)) }
	if s := read(); s.Pinned || !s.InFeed || s.ListShown {
		t.Fatalf("before pinning: %+v", s)
	}

	if err := h.Store.PinActivity(ctx, coffee); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the pinned announcement", fmt.Sprintf(`!!document.getElementById("pinned-%d")`, coffee))
	settle(b)
	if s := read(); !s.Pinned || s.InFeed || !s.OnTop || s.Text == "" {
		t.Fatalf("after pinning: %+v", s)
	}
	if n := eval[int](b, `document.querySelectorAll("#feed li").length`); n != 4 {
		t.Errorf("the feed has %d items under the pin, want the 4 signups", n)
	}
	reportAxe(t, b.runAxe(string(source)))

	if err := h.Store.UnpinActivity(ctx, coffee); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the announcement back in the feed", fmt.Sprintf(`!!document.getElementById("activity-%d")`, coffee))
	if s := read(); s.Pinned || !s.InFeed || s.ListShown {
		t.Fatalf("after unpinning: %+v", s)
	}
	if last := eval[string](b, `document.querySelector("#feed li:last-child").id`); last != fmt.Sprint("activity-", coffee) {
		t.Errorf("the unpinned announcement is not back in its place (the oldest, last): the last item is %s", last)
	}
}
