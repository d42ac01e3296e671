package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// recorder is a screen client that keeps every message it reads, for
// checks over all of them.
type recorder struct {
	*screenClient
	all  []string
	last int // the message until last found; one message may carry several changes
}

func record(tb testing.TB, baseURL, query string) *recorder {
	tb.Helper()
	r := &recorder{screenClient: dialScreen(tb, baseURL, query)}
	r.all = append(r.all, r.next()) // the snapshot
	return r
}

// until reads messages until one contains want, starting with the one
// the last call found (a new item and the counters it moved come as one).
func (r *recorder) until(want string) string {
	r.tb.Helper()
	for n := r.last; n < len(r.all); n++ {
		if strings.Contains(r.all[n], want) {
			r.last = n
			return r.all[n]
		}
	}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		msg := r.next()
		r.all = append(r.all, msg)
		if strings.Contains(msg, want) {
			r.last = len(r.all) - 1
			return msg
		}
	}
	r.tb.Fatalf("no message with %q in %d messages", want, len(r.all))
	return ""
}

// ever reads messages until one contains want, looking first at every
// message read so far: the counters a change moved may come before the
// item it made, when the hub reads the counters between two commits.
func (r *recorder) ever(want string) {
	r.tb.Helper()
	for _, msg := range r.all {
		if strings.Contains(msg, want) {
			return
		}
	}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		msg := r.next()
		r.all = append(r.all, msg)
		if strings.Contains(msg, want) {
			return
		}
	}
	r.tb.Fatalf("no message with %q in %d messages", want, len(r.all))
}

// TestIdeaFeed: an idea published appears on every connected screen, in
// each screen's language, with the counter of ideas; withdrawn, it leaves
// every screen, and a screen that connects later does not show it.
func TestIdeaFeed(t *testing.T) {
	for _, tc := range []struct {
		lang, item, counter string
	}{
		{"nb", "Ny idé: «Beredskapslager» fra Elverum Rør AS", "<dt>Publiserte ideer</dt><dd>1</dd>"},
		{"en", "New idea: “Beredskapslager” from Elverum Rør AS", "<dt>Ideas published</dt><dd>1</dd>"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			h := newTestHub(t)
			all := openFeed(t, h.URL, "?lang="+tc.lang)
			event := openFeed(t, h.URL, "?lang="+tc.lang+"&event="+h.Event.Slug) // ideas belong to every screen
			counters := record(t, h.URL, "?lang="+tc.lang)
			i := publishIdea(t, h, anIdea("Beredskapslager"))
			for _, s := range []*watchedScreen{all, event} {
				s.until("the new idea", func(m *feedModel) bool { return m.shows(tc.item) })
			}
			if msg := counters.until(tc.counter); !strings.Contains(msg, `<div id="counter-ideas" class="counter counter--changed">`) {
				t.Error("the ideas counter is not marked as changed")
			}
			if late := openFeed(t, h.URL, "?lang="+tc.lang); !late.feed.shows(tc.item) {
				t.Error("a screen that connects later does not show the idea")
			}

			if _, err := h.Store.WithdrawIdea(context.Background(), i.Token); err != nil {
				t.Fatal(err)
			}
			for _, s := range []*watchedScreen{all, event} {
				s.until("the withdrawal", func(m *feedModel) bool { return !m.shows("Beredskapslager") })
			}
			counters.until(strings.Replace(tc.counter, "1", "0", 1))
			if late := openFeed(t, h.URL, "?lang="+tc.lang); late.feed.shows("Beredskapslager") {
				t.Error("a screen that connects after the withdrawal shows the idea")
			}
			if page := h.get(t, "/screen?view=list&lang="+tc.lang); strings.Contains(page.Body, "Beredskapslager") {
				t.Error("the screen page shows a withdrawn idea")
			}
		})
	}
}

// TestIdeaFeedConsent: a company whose proposer (or requester) said no is
// never named on a screen, in any fragment or language; one that said yes
// is. A support milestone and a connection are reported in natural words.
func TestIdeaFeedConsent(t *testing.T) {
	h := newTestHub(t)
	ctx := context.Background()
	nb, en := record(t, h.URL, ""), record(t, h.URL, "?lang=en")
	event := record(t, h.URL, "?event="+h.Event.Slug)

	hidden := anIdea("Sensorer i omsorgsboliger")
	hidden.Company, hidden.ShowCompany = "Hemmelig Firma AS", false
	i := publishIdea(t, h, hidden)
	nb.until("Ny idé: «Sensorer i omsorgsboliger»<")
	en.until("New idea: “Sensorer i omsorgsboliger”<")

	for n := range 5 {
		r := h.do(t, http.MethodPost, fmt.Sprintf("/ideas/%d/support", i.ID), url.Values{}, map[string]string{"User-Agent": fmt.Sprint("Browser ", n)})
		assertStatus(t, r, http.StatusSeeOther)
	}
	nb.until("«Sensorer i omsorgsboliger» har fått 5 støttespillere")
	en.until("“Sensorer i omsorgsboliger” now has 5 supporters")

	ask := func(idea *db.Idea, company, email string, show bool) {
		t.Helper()
		req, err := h.Store.AskToConnect(ctx, idea.ID, db.NewInterest{Company: company, ContactName: "Ola Hansen", Email: email, ShowCompany: show})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Store.DecideInterest(ctx, idea.Token, req.ID, true); err != nil {
			t.Fatal(err)
		}
	}
	ask(i, "Anonym Partner AS", "a@example.no", false)
	nb.until("To bedrifter har funnet hverandre: «Sensorer i omsorgsboliger»")
	en.until("Two businesses have found each other: “Sensorer i omsorgsboliger”")
	ask(i, "Sykehuset Innlandet", "b@example.no", true)
	nb.until("Sykehuset Innlandet har funnet en samarbeidspartner: «Sensorer i omsorgsboliger»")
	en.until("Sykehuset Innlandet has found a partner: “Sensorer i omsorgsboliger”")
	nb.ever("<dt>Bedrifter koblet sammen</dt><dd>3</dd>")

	open := publishIdea(t, h, anIdea("Beredskapslager"))
	ask(open, "Sykehuset Innlandet", "c@example.no", true)
	nb.until("Elverum Rør AS og Sykehuset Innlandet har funnet hverandre: «Beredskapslager»")
	en.until("Elverum Rør AS and Sykehuset Innlandet have found each other: “Beredskapslager”")
	ask(open, "Anonym Partner AS", "d@example.no", false)
	nb.until("Elverum Rør AS har funnet en samarbeidspartner: «Beredskapslager»")
	event.until("Elverum Rør AS har funnet en samarbeidspartner")

	pages := []string{"/screen", "/screen?view=list", "/screen?lang=en", "/screen?event=" + h.Event.Slug, "/", "/ideas",
		fmt.Sprintf("/ideas/%d", i.ID), "/ideas?q=sensorer"}
	var bodies []string
	for _, p := range pages {
		bodies = append(bodies, h.get(t, p).Body)
	}
	late := record(t, h.URL, "")
	for _, msg := range append(append(append(append(nb.all, en.all...), event.all...), late.all...), bodies...) {
		for _, secret := range []string{"Hemmelig Firma", "Anonym Partner"} {
			if strings.Contains(msg, secret) {
				t.Fatalf("%q, who did not allow it, is named:\n%s", secret, msg)
			}
		}
	}
}

// nasty is user text that would be markup if it were not escaped.
const nasty = `<script>alert("x")</script>`

// TestIdeasEscaped: every field a user typed is escaped on the board, the
// idea page, the requester's page, the home page and the live feed.
func TestIdeasEscaped(t *testing.T) {
	h := newTestHub(t)
	ctx := context.Background()
	feed := record(t, h.URL, "")
	in := db.NewIdea{
		Title: "T" + nasty, Summary: "S" + nasty, Description: "D" + nasty + "\n\nP<b>bold</b>",
		Company: "C" + nasty, OrgNumber: "974760673", ContactName: "N" + nasty, Email: "kari@example.no",
		Phone: "912 34 567", Sector: "health", Seeking: []string{"partner"}, ShowCompany: true,
	}
	i := publishIdea(t, h, in)
	feed.until("Ny idé")
	for n := range 5 {
		h.do(t, http.MethodPost, fmt.Sprintf("/ideas/%d/support", i.ID), url.Values{}, map[string]string{"User-Agent": fmt.Sprint("B", n)})
	}
	feed.until("støttespillere")
	f := url.Values{
		"company": {"R" + nasty}, "contact_name": {"K" + nasty}, "email": {"ola@example.no"},
		"message": {"M" + nasty}, "show_company": {"yes"},
	}
	r := h.post(t, fmt.Sprintf("/ideas/%d/interest", i.ID), f)
	assertStatus(t, r, http.StatusSeeOther)
	token := strings.TrimPrefix(r.Header.Get("Location"), "/ideas/requests/")
	view, err := h.Store.InterestByToken(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Store.DecideInterest(ctx, i.Token, view.Interest.ID, true); err != nil {
		t.Fatal(err)
	}
	feed.until("har funnet hverandre")
	invalid := f
	invalid.Set("email", "not-an-address")
	bodies := map[string]string{
		"board":            h.get(t, "/ideas").Body,
		"board search":     h.get(t, "/ideas?q="+url.QueryEscape(`"><script>alert(1)</script>`)).Body,
		"board fragment":   h.do(t, http.MethodGet, "/ideas?q=T", nil, map[string]string{"HX-Request": "true"}).Body,
		"idea":             h.get(t, fmt.Sprintf("/ideas/%d", i.ID)).Body,
		"idea form errors": h.post(t, fmt.Sprintf("/ideas/%d/interest", i.ID), invalid).Body,
		"request":          h.get(t, "/ideas/requests/"+token).Body,
		"home":             h.get(t, "/").Body,
		"screen":           h.get(t, "/screen?view=list").Body,
		"feed":             strings.Join(feed.all, "\n"),
	}
	for name, body := range bodies {
		for _, raw := range []string{"<script>alert", "<b>bold</b>", "<i>900</i>", `"><script>`} {
			if strings.Contains(body, raw) {
				t.Errorf("%s: %q is not escaped", name, raw)
			}
		}
		if !strings.Contains(body, "&lt;script&gt;") {
			t.Errorf("%s: no escaped text at all; did the page show the fields?", name)
		}
	}
	for name, want := range map[string][]string{
		"idea":             {"T&lt;script&gt;", "S&lt;script&gt;", "D&lt;script&gt;", "P&lt;b&gt;bold&lt;/b&gt;", "C&lt;script&gt;"},
		"request":          {"T&lt;script&gt;", "R&lt;script&gt;", "K&lt;script&gt;", "M&lt;script&gt;", "N&lt;script&gt;"},
		"feed":             {"T&lt;script&gt;", "C&lt;script&gt;", "R&lt;script&gt;"},
		"idea form errors": {`value="R&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"`, "M&lt;script&gt;"},
	} {
		for _, w := range want {
			if !strings.Contains(bodies[name], w) {
				t.Errorf("%s lacks %q", name, w)
			}
		}
	}
}
