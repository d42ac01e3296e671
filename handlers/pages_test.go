package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

func TestPages(t *testing.T) {
	h := newTestHub(t)
	ctx := context.Background()
	past, err := h.Store.CreateEvent(ctx, db.NewEvent{Title: "Årsmøte", StartsAt: time.Now().Add(-48 * time.Hour), Capacity: 5})
	if err != nil {
		t.Fatal(err)
	}
	draft, err := h.Store.CreateEvent(ctx, db.NewEvent{Title: "Hemmelig utkast", StartsAt: time.Now().Add(48 * time.Hour), Capacity: 5, Status: db.EventDraft})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("Home", func(t *testing.T) {
		r := h.get(t, "/")
		assertStatus(t, r, http.StatusOK)
		assertContains(t, r, "<h1", "Elverum&#43;", "Frokostmøte", `lang="nb"`, `href="/?lang=en"`)
	})
	t.Run("EventList", func(t *testing.T) {
		r := h.get(t, "/events")
		assertStatus(t, r, http.StatusOK)
		assertContains(t, r, "Frokostmøte", "Terningen Arena", "10 ledige plasser", "Tidligere arrangementer", past.Title)
		if strings.Contains(r.Body, draft.Title) {
			t.Fatal("a draft is listed")
		}
		upcoming := r.Body[:strings.Index(r.Body, "Tidligere arrangementer")]
		if strings.Contains(upcoming, past.Title) {
			t.Fatal("a past event is listed as upcoming")
		}
	})
	t.Run("EventPage", func(t *testing.T) {
		r := h.get(t, "/events/"+h.Event.Slug)
		assertStatus(t, r, http.StatusOK)
		assertContains(t, r, `data-seats-left="10"`, `<form id="signup-form"`, `name="consent"`, "kl. ")
		if d := h.get(t, "/events/"+draft.Slug); d.StatusCode != http.StatusNotFound {
			t.Fatalf("draft page: got %d, want 404", d.StatusCode)
		}
		p := h.get(t, "/events/"+past.Slug)
		assertContains(t, p, "Påmeldingen er stengt.")
	})
	t.Run("SeatChoices", func(t *testing.T) {
		// The form offers exactly db.MinSeats to db.MaxSeats, and says so.
		r := h.get(t, "/events/"+h.Event.Slug)
		var want []string
		for n := db.MinSeats; n <= db.MaxSeats; n++ {
			want = append(want, strconv.Itoa(n))
		}
		var got []string
		for _, m := range regexp.MustCompile(`<option value="([^"]*)"`).FindAllStringSubmatch(r.Body, -1) {
			got = append(got, m[1])
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("seat choices: got %v, want %v", got, want)
		}
		assertContains(t, r, fmt.Sprintf("Du kan melde på opptil %d.", db.MaxSeats))
		if strings.Contains(r.Body, "%!") {
			t.Error("a message lacks its number")
		}
	})
	t.Run("English", func(t *testing.T) {
		r := h.get(t, "/events?lang=en")
		assertContains(t, r, `<html lang="en">`, "Upcoming", "10 seats left", `href="/events?lang=nb"`)
		if ck := r.Header.Get("Set-Cookie"); !strings.HasPrefix(ck, "lang=en") {
			t.Fatalf("the choice is not remembered: Set-Cookie %q", ck)
		}
		// The cookie keeps English on the next page.
		r = h.do(t, http.MethodGet, "/events/"+h.Event.Slug, nil, map[string]string{"Cookie": "lang=en"})
		assertContains(t, r, "Sign up", "Name")
		// Accept-Language picks English for a first visit, Norwegian wins over it.
		r = h.do(t, http.MethodGet, "/", nil, map[string]string{"Accept-Language": "en-US,en;q=0.8"})
		assertContains(t, r, `<html lang="en">`)
		r = h.do(t, http.MethodGet, "/", nil, map[string]string{"Accept-Language": "no,en;q=0.8"})
		assertContains(t, r, `<html lang="nb">`)
	})
	t.Run("Privacy", func(t *testing.T) {
		assertContains(t, h.get(t, "/privacy"), "Personvernerklæring", "storskjermen")
	})
	t.Run("Healthz", func(t *testing.T) {
		assertStatus(t, h.get(t, "/healthz"), http.StatusOK)
	})
	t.Run("NothingFromOtherHosts", func(t *testing.T) {
		for _, path := range []string{"/", "/events", "/events/" + h.Event.Slug, "/privacy"} {
			r := h.get(t, path)
			for _, m := range regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(r.Body, -1) {
				if strings.HasPrefix(m[1], "http") || strings.HasPrefix(m[1], "//") {
					t.Errorf("%s loads %s from another host", path, m[1])
				}
			}
			if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("%s: CSP %q", path, csp)
			}
		}
	})
}

func TestPageCache(t *testing.T) {
	h := newTestHub(t)
	path := "/events/" + h.Event.Slug
	first := h.get(t, path)
	etag := first.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	again := h.do(t, http.MethodGet, path, nil, map[string]string{"If-None-Match": etag})
	assertStatus(t, again, http.StatusNotModified)

	// A write moves the revision: the page is rendered anew with the new count.
	f := validSignup()
	assertStatus(t, h.post(t, "/events/"+h.Event.Slug+"/signups", f), http.StatusSeeOther)
	after := h.do(t, http.MethodGet, path, nil, map[string]string{"If-None-Match": etag})
	assertStatus(t, after, http.StatusOK)
	assertContains(t, after, `data-seats-left="8"`)
	if after.Header.Get("ETag") == etag {
		t.Fatal("the ETag did not change with the page")
	}
	// English is cached apart from Bokmål.
	en := h.get(t, path+"?lang=en")
	assertContains(t, en, `lang="en"`)
	nb := h.get(t, path)
	assertContains(t, nb, `lang="nb"`)
}

func TestStatic(t *testing.T) {
	h := newTestHub(t)
	page := h.get(t, "/")
	for _, re := range []string{`/static/css/torg\.[0-9a-f]{12}\.css`, `/static/vendor/htmx/htmx\.min\.[0-9a-f]{12}\.js`} {
		url := regexp.MustCompile(re).FindString(page.Body)
		if url == "" {
			t.Fatalf("no hashed URL matching %s on the page", re)
		}
		r := h.get(t, url)
		assertStatus(t, r, http.StatusOK)
		if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("%s: Cache-Control %q", url, cc)
		}
	}
	assertStatus(t, h.get(t, "/static/css/nope.css"), http.StatusNotFound)
}
