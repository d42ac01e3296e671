package handlers_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/torghub/torg/db"
)

// TestBrowserAdminCreateEvent: an organiser creates and publishes an event
// in the back office, and it is on the public list; then moves someone on
// the waiting list with htmx, the focus staying on the button pressed.
func TestBrowserAdminCreateEvent(t *testing.T) {
	h := newAdminHub(t)
	b := newBrowser(t)
	mustOrganiser(t, h, "kari@example.no", db.RoleAdmin)
	signInBrowser(b, h, "kari@example.no")

	b.navigate(h.URL + "/admin/events/new")
	starts := inOslo(time.Now().Add(20 * 24 * time.Hour).Truncate(time.Hour))
	b.do("fill in the event",
		chromedp.SendKeys(chromedp.ID("title"), "Frokost om beredskap"),
		chromedp.SendKeys(chromedp.ID("place"), "Rådhuset"),
		chromedp.SetValue(chromedp.ID("starts"), starts),
		chromedp.SetValue(chromedp.ID("capacity"), "30"),
		chromedp.Click(chromedp.ID("publish")),
	)
	resp := b.load("save it", chromedp.Click(chromedp.CSS(`#event-form button[type=submit]`)))
	if resp.Status != 200 || !strings.Contains(resp.URL, "?done=created") {
		t.Fatalf("after saving: %s (status %d)", resp.URL, resp.Status)
	}
	if st := eval[string](b, `document.querySelector("[data-event-status]").dataset.eventStatus`); st != "published" {
		t.Errorf("the new event is %s, want published", st)
	}
	b.navigate(h.URL + "/events")
	if !eval[bool](b, `document.querySelector("main").textContent.includes("Frokost om beredskap")`) {
		t.Fatal("the published event is not on the public list")
	}

	// The waiting list, reordered in place.
	slug := h.Event.Slug
	for i, seats := range []int{5, 5, 3, 3, 3} { // three waiting
		mustSignupAs(t, h, slug, fmt.Sprintf("p%d@example.no", i), fmt.Sprintf("Person %d", i), seats, "")
	}
	b.navigate(h.URL + "/admin/events/" + slug + "/attendees")
	first := eval[string](b, `document.querySelector(".waiting li").id`)
	down := eval[string](b, `document.querySelector(".waiting li button[id^=down-]").id`)
	b.do("focus and press Flytt ned", chromedp.Focus(chromedp.ID(down)), chromedp.Click(chromedp.ID(down)))
	b.waitFor("the list in its new order", `document.querySelector(".waiting li").id !== "`+first+`"`)
	if loc := b.location(); strings.Contains(loc, "done=moved") {
		t.Errorf("the page reloaded (%s); htmx should have swapped the list", loc)
	}
	if got := eval[string](b, `document.querySelectorAll(".waiting li")[1].id`); got != first {
		t.Errorf("second in line is %s, want %s", got, first)
	}
	// Still in the middle of the line, its button still there: a keyboard
	// user can press it again without looking for it.
	if got := b.activeID(); got != down {
		t.Errorf("focus after the move is on %q, want %s", got, down)
	}
	if st := eval[string](b, `document.getElementById("waiting-status").textContent`); !strings.Contains(st, "Ventelisten er endret.") {
		t.Errorf("status after the move %q", st)
	}
}

// TestBrowserAxeAdminEvents checks the event form with errors and the
// attendee list with axe-core (WCAG 2.1 A and AA) on a phone and a
// desktop, and that neither scrolls sideways on the phone.
func TestBrowserAxeAdminEvents(t *testing.T) {
	source, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	h := newAdminHub(t)
	slug := h.Event.Slug
	for i, c := range []struct {
		name, org, diet string
		seats           int
	}{
		{"Kari Nordmann", "Sykehuset Innlandet", "Vegetar", 5},
		{"Ola Hansen", "Elverum kommune", "Glutenfri og laktosefri, gjerne uten nøtter", 4},
		{"Per Ås", "", "", 3},
		{"Anne-Lise Strømsæther-Bjørnstad", "Norsk senter for beredskapsleveranser AS", "vegetar", 2},
	} {
		if _, err := h.Store.CreateSignup(t.Context(), slug, db.NewSignup{Name: c.name, Email: fmt.Sprintf("p%d@example.no", i),
			Organization: c.org, Diet: c.diet, Seats: c.seats, ShowName: db.ShowNone, Phone: "+47 912 34 567"}); err != nil {
			t.Fatal(err)
		}
	}
	b := newBrowser(t)
	mustOrganiser(t, h, "kari@example.no", db.RoleAdmin)
	signInBrowser(b, h, "kari@example.no")
	sizes := []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"phone", 390, 844, true}, {"desktop", 1280, 900, false}}
	for _, sz := range sizes {
		opts := []chromedp.EmulateViewportOption{}
		if sz.mobile {
			opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateScale(2))
		}
		b.do("viewport", chromedp.EmulateViewport(sz.width, sz.height, opts...))
		for name, open := range map[string]func(){
			"event-form-errors": func() {
				b.navigate(h.URL + "/admin/events/new")
				b.do("a skipped hour and no title", chromedp.SetValue(chromedp.ID("starts"), skippedHour()),
					chromedp.SetValue(chromedp.ID("capacity"), "mange"))
				b.load("send it", chromedp.Click(chromedp.CSS(`#event-form button[type=submit]`)))
				b.waitFor("the error summary", `document.activeElement && document.activeElement.id === "error-summary"`)
			},
			"event-edit":  func() { b.navigate(h.URL + "/admin/events/" + slug) },
			"attendees":   func() { b.navigate(h.URL + "/admin/events/" + slug + "/attendees") },
			"events-list": func() { b.navigate(h.URL + "/admin/events") },
		} {
			t.Run(sz.name+"/"+name, func(t *testing.T) {
				outer := b.t
				b.t = t
				defer func() { b.t = outer }()
				open()
				reportAxe(t, b.runAxe(string(source)))
				if w := eval[int](b, `document.documentElement.scrollWidth`); w > int(sz.width) {
					t.Errorf("at %d px wide the page is %d px wide: it scrolls sideways", sz.width, w)
				}
			})
		}
	}
}
