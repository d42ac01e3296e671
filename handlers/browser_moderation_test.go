package handlers_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/torghub/torg/db"
)

// signInBrowser signs the tab in as email through the login form.
func signInBrowser(b *browser, h *testHub, email string) {
	b.t.Helper()
	b.navigate(h.URL + "/login")
	b.do("fill in the login form",
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), organiserPassword),
	)
	if resp := b.load("sign in", chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`))); resp.Status != 200 {
		b.t.Fatalf("sign in as %s: status %d", email, resp.Status)
	}
}

// rowStateJS is the state of a feed item's row on the feed page.
func rowStateJS(id int64) string {
	return fmt.Sprintf(`(document.getElementById("feed-item-%d") || {dataset: {}}).dataset.state`, id)
}

// TestBrowserModerateFeed: a moderator in Chromium hides an item on
// /admin/feed and it leaves an open /screen; pins an announcement, which
// goes to the top of the screen; approves a held signup, which appears.
// Each action swaps its row in place (htmx), no page load.
func TestBrowserModerateFeed(t *testing.T) {
	h := newAdminHub(t)
	mustOrganiser(t, h, "moderator@example.no", db.RoleModerator)
	ctx := context.Background()
	signupAs(t, h, "Kari Nordmann", "Sykehuset Innlandet", db.ShowFull)
	signupAs(t, h, "Ola Hansen", "", db.ShowFull)
	coffee, err := h.Store.Announce(ctx, "Kaffen står klar i foajeen")
	if err != nil {
		t.Fatal(err)
	}
	items, err := h.Store.ListFeed(ctx, db.FeedFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var kari int64
	for _, a := range items {
		if a.ActorName == "Kari Nordmann" {
			kari = a.ID
		}
	}

	b := newBrowser(t)
	screen := b.newTab()
	watchScreen(screen)
	openScreen(screen, h.URL+"/screen")
	screen.waitFor("Kari on the screen", fmt.Sprintf(`!!document.getElementById("activity-%d")`, kari))

	signInBrowser(b, h, "moderator@example.no")
	b.navigate(h.URL + "/admin/feed")
	b.do("hide Kari", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#feed-item-%d form[action$="/hide"] button`, kari))))
	b.waitFor("Kari's row hidden", rowStateJS(kari)+` === "hidden"`)
	screen.waitFor("Kari gone from the screen", fmt.Sprintf(`!document.getElementById("activity-%d")`, kari))
	if txt := eval[string](b, fmt.Sprintf(`document.getElementById("feed-item-%d").textContent`, kari)); !strings.Contains(txt, fmt.Sprintf("Innslag %d er skjult.", kari)) {
		t.Errorf("the row does not say it was hidden: %q", txt)
	}
	if !strings.HasSuffix(b.location(), "/admin/feed") {
		t.Errorf("hiding loaded another page: %s", b.location())
	}

	b.do("pin the coffee", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#feed-item-%d form[action$="/pin"] button`, coffee))))
	b.waitFor("the coffee's row pinned", rowStateJS(coffee)+` === "pinned"`)
	screen.waitFor("the coffee pinned on the screen", fmt.Sprintf(`!!document.getElementById("pinned-%d")`, coffee))

	// Hold every screen from the page (an ordinary form), then approve a
	// signup that came in meanwhile.
	b.load("hold every screen", chromedp.Click(chromedp.CSS(`form[action="/admin/feed/hold"] input[name="event"][value=""] ~ button`)))
	signupAs(t, h, "Per Venter", "", db.ShowFull)
	held, err := h.Store.ListFeed(ctx, db.FeedFilter{State: db.FeedHeld})
	if err != nil || len(held) != 1 {
		t.Fatalf("held %d (%v), want 1", len(held), err)
	}
	per := held[0].ID
	b.navigate(h.URL + "/admin/feed?state=held")
	if eval[bool](screen, `document.body.textContent.includes("Per Venter")`) {
		t.Fatal("the held signup is on the screen before approval")
	}
	b.do("approve Per", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#feed-item-%d form[action$="/approve"] button`, per))))
	b.waitFor("Per's row approved", `!!document.querySelector('[data-state="visible"] .item-says') && document.querySelector('[data-state="visible"] .item-says').textContent.includes("Per Venter")`)
	screen.waitFor("Per on the screen", `document.getElementById("feed").textContent.includes("Per Venter")`)
}

// TestBrowserAxeModeration checks the ideas and feed pages (with a
// pending idea, a held item, a pinned one and a form with errors) with
// axe-core against WCAG 2.1 A and AA on a phone and a desktop, and that
// nothing scrolls sideways on the phone.
func TestBrowserAxeModeration(t *testing.T) {
	source, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	h := newAdminHub(t)
	mustOrganiser(t, h, "moderator@example.no", db.RoleModerator)
	ctx := context.Background()
	storeIdea(t, h, "Felles beredskapslager")
	published := storeIdea(t, h, "Helsehus")
	setIdeaStatus(t, h, published, db.IdeaPublished, "")
	coffee, err := h.Store.Announce(ctx, "Kaffen står klar i foajeen")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Store.PinActivity(ctx, coffee); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.SetFeedHold(ctx, h.Event.Slug, true); err != nil {
		t.Fatal(err)
	}
	signupAs(t, h, "Kari Nordmann", "Sykehuset Innlandet", db.ShowFull)
	if err := h.Store.SetKPI(ctx, "calls", 145, "Rørløft"); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t)
	signInBrowser(b, h, "moderator@example.no")
	if err := os.MkdirAll(shotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	outer := t
	for _, sz := range []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"phone", 390, 844, true}, {"desktop", 1280, 900, false}} {
		opts := []chromedp.EmulateViewportOption{}
		if sz.mobile {
			opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateScale(2))
		}
		b.do("viewport", chromedp.EmulateViewport(sz.width, sz.height, opts...))
		for _, page := range []struct{ name, open string }{
			{"ideas", "/admin/ideas"},
			{"ideas-published", "/admin/ideas?status=published&lang=en"},
			{"feed", "/admin/feed?lang=nb"},
			{"kpis", "/admin/kpis"},
		} {
			t.Run(sz.name+"/"+page.name, func(t *testing.T) {
				b.t = t
				defer func() { b.t = outer }()
				b.navigate(h.URL + page.open)
				check := func(name string) {
					reportAxe(t, b.runAxe(string(source)))
					if w := eval[int](b, `document.documentElement.scrollWidth`); w > int(sz.width) {
						t.Errorf("%s at %d px wide is %d px wide: it scrolls sideways", name, sz.width, w)
					}
					sctx, cancel := b.step()
					defer cancel()
					if png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100)); err == nil {
						file := filepath.Join(shotDir, "moderation-"+sz.name+"-"+name+".png")
						if os.WriteFile(file, png, 0o644) == nil {
							t.Logf("screenshot: %s", file)
						}
					}
				}
				check(page.name)
				if page.name == "ideas" { // a rejection without a reason
					b.load("reject without a reason", chromedp.Click(chromedp.CSS(`form.reject button[type=submit]`)))
					b.waitFor("the error summary focused", `document.activeElement && document.activeElement.id === "error-summary"`)
					check("ideas-error")
				}
				if page.name == "feed" { // an announcement without text
					b.load("announce nothing", chromedp.Click(chromedp.CSS(`#announce-form button[type=submit]`)))
					b.waitFor("the error summary focused", `document.activeElement && document.activeElement.id === "error-summary"`)
					check("feed-error")
				}
			})
		}
	}
}
