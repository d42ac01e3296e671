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

// seedBoard publishes three ideas for the browser tests, oldest first.
func seedBoard(t *testing.T, h *testHub) []*db.Idea {
	t.Helper()
	var out []*db.Idea
	for _, s := range []struct{ title, sector, seeking string }{
		{"Helsepilot i hjemmetjenesten", "health", "pilot_customer"},
		{"Beredskapsfond", "preparedness", "funding"},
		{"Beredskapslager", "preparedness", "premises"},
	} {
		in := anIdea(s.title)
		in.Sector, in.Seeking = s.sector, []string{s.seeking}
		out = append(out, publishIdea(t, h, in))
	}
	return out
}

// boardJS reads the board as the reader sees it: the address, the titles
// listed, the count announced, and the filter's state.
const boardJS = `(() => ({
	Search: location.search,
	Titles: [...document.querySelectorAll("#idea-results h3 a")].map(a => a.textContent),
	Count: document.getElementById("idea-count").textContent.trim(),
	Q: document.getElementById("q").value,
	Sector: (document.querySelector("input[name=sector]:checked") || {}).value,
	Marker: window.__marker || 0,
}))()`

type boardState struct {
	Search, Count, Q, Sector string
	Titles                   []string
	Marker                   int
}

// TestBrowserIdeaBoard filters the board with htmx: a choice swaps the
// list in place and puts the filter in the address bar, typing searches
// after a pause, the count is announced; the back button brings each
// earlier filter back, list and form alike.
func TestBrowserIdeaBoard(t *testing.T) {
	h := newTestHub(t)
	seedBoard(t, h)
	b := newBrowser(t)
	b.navigate(h.URL + "/ideas")
	eval[chromedp.Void](b, `window.__marker = 1`)
	read := func() boardState { t.Helper(); return eval[boardState](b, boardJS) }
	if s := read(); len(s.Titles) != 3 || s.Count != "3 ideer" {
		t.Fatalf("the board at first: %+v", s)
	}
	if role := eval[string](b, `document.getElementById("idea-count").getAttribute("role")`); role != "status" {
		t.Errorf("the count's role is %q, want status (a polite live region)", role)
	}

	// A sector: the list swaps in place, the address shows the filter.
	b.do("choose a sector", chromedp.Click(chromedp.CSS(`label[for="sector-preparedness"]`)))
	b.waitFor("the filtered address", `location.search === "?sector=preparedness"`)
	b.waitFor("the filtered list", `document.querySelectorAll("#idea-results h3").length === 2`)
	s := read()
	if s.Marker != 1 {
		t.Fatal("the page reloaded: the filter did not swap the list in place")
	}
	if strings.Join(s.Titles, "|") != "Beredskapslager|Beredskapsfond" || s.Count != "2 ideer passer" {
		t.Errorf("after choosing preparedness: %+v", s)
	}

	// Typing searches after a pause, within the sector.
	b.do("type a search", chromedp.SendKeys(chromedp.ID("q"), "lager"))
	b.waitFor("the search's address", `location.search === "?q=lager&sector=preparedness"`)
	b.waitFor("the search's list", `document.querySelectorAll("#idea-results h3").length === 1`)
	if s := read(); s.Titles[0] != "Beredskapslager" || s.Count != "1 idé passer" || s.Marker != 1 {
		t.Errorf("after searching: %+v", s)
	}
	if id := b.activeID(); id != "q" {
		t.Errorf("focus left the search box for %q", id)
	}

	// Back: the sector alone, list and form as they were.
	b.do("go back", chromedp.NavigateBack())
	b.waitFor("the sector's address", `location.search === "?sector=preparedness"`)
	b.waitFor("the sector's list", `document.querySelectorAll("#idea-results h3").length === 2`)
	if s := read(); s.Q != "" || s.Sector != "preparedness" || s.Count != "2 ideer passer" {
		t.Errorf("back to the sector: %+v", s)
	}
	// Back again: the whole board.
	b.do("go back again", chromedp.NavigateBack())
	b.waitFor("the board's address", `location.pathname === "/ideas" && location.search === ""`)
	b.waitFor("the whole list", `document.querySelectorAll("#idea-results h3").length === 3`)
	if s := read(); s.Sector != "" || s.Count != "3 ideer" {
		t.Errorf("back to the board: %+v", s)
	}
	// Forward: the filtered board again.
	b.do("go forward", chromedp.NavigateForward())
	b.waitFor("the sector's list again", `location.search === "?sector=preparedness" && document.querySelectorAll("#idea-results h3").length === 2`)
}

// TestBrowserIdeaSupport supports an idea with htmx: the button says
// "supported (N)" at once and keeps the focus, the notice is announced,
// and a second press says kindly that it counted already.
func TestBrowserIdeaSupport(t *testing.T) {
	h := newTestHub(t)
	ideas := seedBoard(t, h)
	b := newBrowser(t)
	b.navigate(fmt.Sprintf("%s/ideas/%d", h.URL, ideas[0].ID))
	eval[chromedp.Void](b, `window.__marker = 1`)
	b.do("focus the button", chromedp.Focus(chromedp.ID("support-button")))
	b.press("\r")
	// Until htmx has settled the swapped form, a second press would be an
	// ordinary submit: wait for the settle, as a person's second look does.
	b.waitFor("the supported button", `document.getElementById("support-button").textContent.trim() === "Støttet (1)" && !document.querySelector(".htmx-added, .htmx-settling, .htmx-swapping")`)
	if got := eval[string](b, `document.getElementById("support-status").textContent`); got != "Takk for støtten!" {
		t.Errorf("notice %q", got)
	}
	if got := eval[string](b, `document.getElementById("support-count").textContent`); got != "1 støttespiller" {
		t.Errorf("count %q", got)
	}
	if id := b.activeID(); id != "support-button" {
		t.Errorf("focus on %q after supporting, want the button", id)
	}
	b.press("\r")
	b.waitFor("the kind notice", `document.getElementById("support-status").textContent.includes("allerede")`)
	if eval[int](b, `window.__marker`) != 1 {
		t.Error("the page reloaded")
	}
	if n := supportCount(t, h, ideas[0].ID); n != 1 {
		t.Errorf("%d supports stored, want 1", n)
	}
}

// TestBrowserIdeasAxe checks the board (also once filtered in place), an
// idea page, its request form with errors and the requester's page with
// axe-core against WCAG 2.1 A and AA, in Bokmål and English.
func TestBrowserIdeasAxe(t *testing.T) {
	source, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	h := newTestHub(t)
	ctx := context.Background()
	ideas := seedBoard(t, h)
	if _, err := h.Store.SetIdeaStatus(ctx, ideas[1].ID, db.IdeaConnected, ""); err != nil {
		t.Fatal(err)
	}
	req, err := h.Store.AskToConnect(ctx, ideas[2].ID, db.NewInterest{Company: "Sykehuset Innlandet", ContactName: "Ola Hansen",
		Email: "ola@example.no", Message: "Vi vil teste.", ShowCompany: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Store.DecideInterest(ctx, ideas[2].Token, req.ID, true); err != nil {
		t.Fatal(err)
	}
	idea := fmt.Sprintf("/ideas/%d", ideas[2].ID)
	b := newBrowser(t)
	outer := t
	for _, lang := range []string{"nb", "en"} {
		for _, p := range []struct {
			name, path string
			act        func()
		}{
			{"board", "/ideas", nil},
			{"board filtered in place", "/ideas", func() {
				b.do("choose a sector", chromedp.Click(chromedp.CSS(`label[for="sector-preparedness"]`)))
				b.waitFor("the filtered list", `document.querySelectorAll("#idea-results h3").length === 2`)
			}},
			{"board, nothing found", "/ideas?q=ingenting", nil},
			{"idea", idea, nil},
			{"idea form with errors", idea, func() {
				b.do("send the empty form", chromedp.Click(chromedp.CSS(`#interest-form button[type=submit]`)))
				b.waitFor("the error summary", `document.getElementById("error-summary") !== null`)
			}},
			{"idea supported", idea, func() {
				b.do("support", chromedp.Click(chromedp.ID("support-button")))
				b.waitFor("the supported button", `document.querySelector("#support-button.button--done") !== null`)
			}},
			{"connected idea", fmt.Sprintf("/ideas/%d", ideas[1].ID), nil},
			{"request", "/ideas/requests/" + req.Token, nil},
		} {
			t.Run(lang+"/"+p.name, func(t *testing.T) {
				b.t = t
				defer func() { b.t = outer }()
				sep := "?"
				if strings.Contains(p.path, "?") {
					sep = "&"
				}
				b.navigate(h.URL + p.path + sep + "lang=" + lang)
				if got := eval[string](b, `document.documentElement.lang`); got != lang {
					t.Errorf("html lang=%q, want %q", got, lang)
				}
				if p.act != nil {
					p.act()
				}
				reportAxe(t, b.runAxe(string(source)))
			})
		}
	}
}
