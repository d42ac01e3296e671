package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/torghub/torg/db"
)

// anIdea is an idea that passes every check; change what a test needs.
func anIdea(title string) db.NewIdea {
	return db.NewIdea{
		Title: title, Summary: "Et samarbeid mellom bedrifter i Elverum.", Description: "Mer om ideen.\n\nOg litt til.",
		Company: "Elverum Rør AS", OrgNumber: "974 760 673", ContactName: "Kari Nordmann", Email: "kari@example.no",
		Phone: "+47 900 00 000", Sector: "preparedness", Seeking: []string{"partner"}, ShowCompany: true,
	}
}

// publishIdea stores an idea and publishes it, as an organiser does.
func publishIdea(tb testing.TB, h *testHub, in db.NewIdea) *db.Idea {
	tb.Helper()
	ctx := context.Background()
	i, err := h.Store.CreateIdea(ctx, in)
	if err != nil {
		tb.Fatal(err)
	}
	if i, err = h.Store.SetIdeaStatus(ctx, i.ID, db.IdeaPublished, ""); err != nil {
		tb.Fatal(err)
	}
	return i
}

// boardTitles are the titles of the ideas a board page lists, in order.
func boardTitles(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<h3><a href="/ideas/\d+">([^<]*)</a></h3>`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func assertTitles(tb testing.TB, r response, want ...string) {
	tb.Helper()
	assertStatus(tb, r, http.StatusOK)
	if got := boardTitles(r.Body); strings.Join(got, "|") != strings.Join(want, "|") {
		tb.Errorf("GET %s: ideas %q, want %q", r.Request.URL, got, want)
	}
}

// TestBoardSearch: the board's search works as people search in
// Norwegian: letters as typed in any case, and words inside compounds.
func TestBoardSearch(t *testing.T) {
	h := newTestHub(t)
	ovelse := anIdea("Øvelse for hjemmetjenesten")
	ovelse.Summary, ovelse.Sector = "Trening i hjemmet, åpen for alle.", "health"
	publishIdea(t, h, ovelse)
	lager := anIdea("Beredskapslager")
	lager.Summary = "Et felles lager for kriser."
	publishIdea(t, h, lager)
	other := anIdea("Sensorer i omsorgsboliger")
	other.Summary, other.Description, other.Company = "Varsling ved fall.", "Ingenting mer.", "Hemmelig Firma AS"
	other.ShowCompany = false
	publishIdea(t, h, other)
	pending := anIdea("Beredskapsøvelse som venter")
	if _, err := h.Store.CreateIdea(context.Background(), pending); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"øvelse", []string{"Øvelse for hjemmetjenesten"}},
		{"ØVELSE", []string{"Øvelse for hjemmetjenesten"}},
		{"Øvelse", []string{"Øvelse for hjemmetjenesten"}},
		{"A\u030apen", []string{"Øvelse for hjemmetjenesten"}}, // "Åpen" decomposed, as some keyboards send it
		{"lager", []string{"Beredskapslager"}},
		{"beredskap", []string{"Beredskapslager"}},
		{"BEREDSKAPSLAGER", []string{"Beredskapslager"}},
		{"felles kriser", []string{"Beredskapslager"}}, // every word, anywhere
		{"rør", []string{"Beredskapslager", "Øvelse for hjemmetjenesten"}},
		{"hemmelig", nil}, // a company kept off the board is not searched
		{"100%", nil},
		{"venter", nil}, // pending: not on the board
	} {
		t.Run(tc.q, func(t *testing.T) {
			r := h.get(t, "/ideas?q="+urlQuery(tc.q))
			assertTitles(t, r, tc.want...)
			assertContains(t, r, fmt.Sprintf(`value="%s"`, tc.q)) // the search box keeps what was typed
		})
	}
}

// urlQuery escapes a query value.
func urlQuery(s string) string {
	return strings.NewReplacer("%", "%25", " ", "+", "&", "%26", "#", "%23").Replace(s)
}

// TestBoardFilters: sector and what is sought narrow the board together,
// with the search; unknown values are left out, never an error.
func TestBoardFilters(t *testing.T) {
	h := newTestHub(t)
	mk := func(title, sector string, seeking ...string) {
		in := anIdea(title)
		in.Sector, in.Seeking = sector, seeking
		publishIdea(t, h, in)
	}
	mk("Helsepilot", "health", "pilot_customer")
	mk("Beredskapsfond", "preparedness", "funding")
	mk("Felles testarena", "both", "test_arena", "funding")
	mk("Annet lokale", "other", "premises")
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{"Annet lokale", "Felles testarena", "Beredskapsfond", "Helsepilot"}},
		{"sector=health", []string{"Felles testarena", "Helsepilot"}}, // both sectors count for each
		{"sector=both", []string{"Felles testarena"}},
		{"sector=other", []string{"Annet lokale"}},
		{"seeking=funding", []string{"Felles testarena", "Beredskapsfond"}},
		{"seeking=funding&seeking=premises", []string{"Annet lokale", "Felles testarena", "Beredskapsfond"}},
		{"sector=preparedness&seeking=funding", []string{"Felles testarena", "Beredskapsfond"}},
		{"sector=health&seeking=funding", []string{"Felles testarena"}},
		{"sector=health&seeking=premises", nil},
		{"sector=preparedness&seeking=funding&q=fond", []string{"Beredskapsfond"}},
		{"sector=mining&seeking=love&sort=random&page=x&junk=1", []string{"Annet lokale", "Felles testarena", "Beredskapsfond", "Helsepilot"}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			assertTitles(t, h.get(t, "/ideas?"+tc.query), tc.want...)
		})
	}
	t.Run("FormShowsTheFilter", func(t *testing.T) {
		r := h.get(t, "/ideas?sector=health&seeking=funding&sort=supported")
		assertContains(t, r, `id="sector-health" value="health" checked`, `id="seeking-funding" value="funding" checked`,
			`<option value="supported" selected>`, "1 idé passer", `href="/ideas"`)
		if strings.Contains(r.Body, `id="seeking-partner" value="partner" checked`) {
			t.Error("a choice not asked for is ticked")
		}
		// The language switch keeps the filter.
		assertContains(t, r, `href="/ideas?lang=en&amp;sector=health&amp;seeking=funding&amp;sort=supported"`)
	})
}

// TestBoardPaging: twenty ideas a page, newest first or most supported
// first, with links to the pages before and after.
func TestBoardPaging(t *testing.T) {
	h := newTestHub(t)
	ctx := context.Background()
	var ideas []*db.Idea
	for n := range 45 {
		ideas = append(ideas, publishIdea(t, h, anIdea(fmt.Sprintf("Idé %02d", n))))
	}
	newest := func(from, to int) (out []string) {
		for n := from; n >= to; n-- {
			out = append(out, fmt.Sprintf("Idé %02d", n))
		}
		return out
	}
	first := h.get(t, "/ideas")
	assertTitles(t, first, newest(44, 25)...)
	assertContains(t, first, "45 ideer (side 1 av 3)", `<a href="/ideas?page=2" rel="next">`)
	if strings.Contains(first.Body, `rel="prev"`) {
		t.Error("the first page links to a page before it")
	}
	second := h.get(t, "/ideas?page=2")
	assertTitles(t, second, newest(24, 5)...)
	assertContains(t, second, `<a href="/ideas" rel="prev">`, `<a href="/ideas?page=3" rel="next">`, "<title>Idétavla – side 2 – Elverum&#43;</title>")
	last := h.get(t, "/ideas?page=3")
	assertTitles(t, last, newest(4, 0)...)
	assertContains(t, last, `<a href="/ideas?page=2" rel="prev">`)
	if strings.Contains(last.Body, `rel="next"`) {
		t.Error("the last page links to a page after it")
	}
	beyond := h.get(t, "/ideas?page=9")
	assertTitles(t, beyond)
	assertContains(t, beyond, `<a href="/ideas?page=3" rel="prev">`, "Til første side")
	huge := h.get(t, "/ideas?page=461168601842738790") // times twenty overflows
	assertTitles(t, huge)
	assertContains(t, huge, `<a href="/ideas?page=3" rel="prev">`)
	assertTitles(t, h.get(t, "/ideas?page=0"), newest(44, 25)...)
	assertTitles(t, h.get(t, "/ideas?page=-3"), newest(44, 25)...)

	// Most supported first: two supports for idea 3, one for idea 30.
	for _, s := range []struct {
		idea *db.Idea
		who  string
	}{{ideas[3], "a"}, {ideas[3], "b"}, {ideas[30], "a"}} {
		if _, _, err := h.Store.SupportIdea(ctx, s.idea.ID, s.who); err != nil {
			t.Fatal(err)
		}
	}
	r := h.get(t, "/ideas?sort=supported")
	got := boardTitles(r.Body)
	if len(got) != 20 || got[0] != "Idé 03" || got[1] != "Idé 30" || got[2] != "Idé 44" {
		t.Errorf("most supported first: %q", got)
	}
	assertContains(t, r, `<a href="/ideas?page=2&amp;sort=supported" rel="next">`)
}

// TestBoardFragment: an htmx request gets the results alone (the count
// out of band) and the filter's canonical address to show; a history
// restore and a plain request get the whole page; the cache keeps each
// filter apart and answers a conditional request with 304.
func TestBoardFragment(t *testing.T) {
	h := newTestHub(t)
	health := anIdea("Helsepilot")
	health.Sector = "health"
	publishIdea(t, h, health)
	publishIdea(t, h, anIdea("Beredskapsfond"))

	for _, query := range []string{"sector=health&seeking=&sort=newest&q=", "sector=health&q=pilot"} {
		query := query
		t.Run(query, func(t *testing.T) {
			htmx := map[string]string{"HX-Request": "true"}
			frag := h.do(t, http.MethodGet, "/ideas?"+query, nil, htmx)
			assertTitles(t, frag, "Helsepilot")
			if strings.Contains(frag.Body, "<!DOCTYPE html>") || strings.Contains(frag.Body, `id="idea-filter"`) {
				t.Fatalf("an htmx request got more than the results:\n%s", frag.Body)
			}
			assertContains(t, frag, `<div id="idea-results">`, `<p id="idea-count" class="result-count" role="status" aria-live="polite" data-hx-swap-oob="innerHTML">1 idé passer</p>`)
			want := "/ideas?sector=health"
			if strings.Contains(query, "pilot") {
				want = "/ideas?q=pilot&sector=health"
			}
			if got := frag.Header.Get("HX-Push-Url"); got != want {
				t.Errorf("HX-Push-Url %q, want %q", got, want)
			}
			if v := strings.Join(frag.Header.Values("Vary"), ", "); !strings.Contains(v, "HX-Request") || !strings.Contains(v, "HX-History-Restore-Request") {
				t.Errorf("Vary: %q", v)
			}

			restore := h.do(t, http.MethodGet, "/ideas?"+query, nil, map[string]string{"HX-Request": "true", "HX-History-Restore-Request": "true"})
			page := h.get(t, "/ideas?"+query)
			for _, r := range []response{restore, page} {
				assertTitles(t, r, "Helsepilot")
				assertContains(t, r, "<!DOCTYPE html>", `id="idea-filter"`, `<p id="idea-count" class="result-count" role="status" aria-live="polite">1 idé passer</p>`)
				if r.Header.Get("HX-Push-Url") != "" {
					t.Error("a whole page pushes an address")
				}
			}
		})
	}

	t.Run("CacheKeepsFiltersApart", func(t *testing.T) {
		assertTitles(t, h.get(t, "/ideas?sector=health"), "Helsepilot")
		all := h.get(t, "/ideas")
		assertTitles(t, all, "Beredskapsfond", "Helsepilot")
		assertTitles(t, h.get(t, "/ideas?seeking=partner&sector=health"), "Helsepilot")
		assertTitles(t, h.get(t, "/ideas?sector=health&seeking=partner&utm=x"), "Helsepilot")
		assertTitles(t, h.get(t, "/ideas?lang=en"), "Beredskapsfond", "Helsepilot")
		assertContains(t, h.get(t, "/ideas?lang=en"), "2 ideas")
		etag := all.Header.Get("ETag")
		if etag == "" {
			t.Fatal("the board has no ETag")
		}
		assertStatus(t, h.do(t, http.MethodGet, "/ideas", nil, map[string]string{"If-None-Match": etag, "Cookie": "lang=nb"}), http.StatusNotModified)
		// A new idea moves the revision: the board shows it.
		publishIdea(t, h, anIdea("Ny idé"))
		assertTitles(t, h.get(t, "/ideas"), "Ny idé", "Beredskapsfond", "Helsepilot")
	})
}

// TestIdeaPage: a published idea is shown; any other, and an address that
// is not an idea's id, is 404.
func TestIdeaPage(t *testing.T) {
	h := newTestHub(t)
	ctx := context.Background()
	in := anIdea("Beredskapslager")
	in.Seeking = []string{"partner", "funding"}
	in.Sector = "both"
	i := publishIdea(t, h, in)
	r := h.get(t, fmt.Sprintf("/ideas/%d", i.ID))
	assertStatus(t, r, http.StatusOK)
	assertContains(t, r, `data-idea-status="published"`, "<h1>Beredskapslager</h1>", "Elverum Rør AS", "Både helse og beredskap",
		"Samarbeidspartner, Finansiering", "0 støttespillere", "<p>Mer om ideen.</p><p>Og litt til.</p>",
		`<form id="support" method="post" action="/ideas/`, `<form id="interest-form" method="post"`, `name="show_company"`)
	for _, secret := range []string{"kari@example.no", "900 00 000", "974760673", "Kari Nordmann"} {
		if strings.Contains(r.Body, secret) {
			t.Errorf("the idea page shows %q", secret)
		}
	}

	hidden := anIdea("Uten bedriftsnavn")
	hidden.Company, hidden.ShowCompany = "Hemmelig Firma AS", false
	hi := publishIdea(t, h, hidden)
	for _, path := range []string{fmt.Sprintf("/ideas/%d", hi.ID), "/ideas", "/"} {
		if r := h.get(t, path); strings.Contains(r.Body, "Hemmelig Firma") {
			t.Errorf("GET %s names a company its proposer kept off the board", path)
		}
	}

	pending, err := h.Store.CreateIdea(ctx, anIdea("Venter"))
	if err != nil {
		t.Fatal(err)
	}
	rejected, _ := h.Store.CreateIdea(ctx, anIdea("Avvist"))
	if _, err := h.Store.SetIdeaStatus(ctx, rejected.ID, db.IdeaRejected, "Passer ikke"); err != nil {
		t.Fatal(err)
	}
	withdrawn := publishIdea(t, h, anIdea("Trukket"))
	if _, err := h.Store.WithdrawIdea(ctx, withdrawn.Token); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		fmt.Sprintf("/ideas/%d", pending.ID), fmt.Sprintf("/ideas/%d", rejected.ID), fmt.Sprintf("/ideas/%d", withdrawn.ID),
		"/ideas/abc", "/ideas/0", "/ideas/-1", fmt.Sprintf("/ideas/0%d", i.ID), fmt.Sprintf("/ideas/+%d", i.ID),
		"/ideas/1.0", "/ideas/99999999999999999999", "/ideas/9999",
	} {
		r := h.get(t, path)
		assertStatus(t, r, http.StatusNotFound)
		if strings.Contains(r.Body, "Venter") || strings.Contains(r.Body, "Avvist") || strings.Contains(r.Body, "Trukket") {
			t.Errorf("GET %s shows an idea that is not public", path)
		}
	}
	for _, title := range []string{"Venter", "Avvist", "Trukket"} {
		if strings.Contains(h.get(t, "/ideas").Body, title) {
			t.Errorf("the board lists %q", title)
		}
	}

	t.Run("ConnectedAndRealised", func(t *testing.T) {
		if _, err := h.Store.SetIdeaStatus(ctx, i.ID, db.IdeaConnected, ""); err != nil {
			t.Fatal(err)
		}
		r := h.get(t, fmt.Sprintf("/ideas/%d", i.ID))
		assertContains(t, r, `<span class="badge badge--connected">Partnere funnet</span>`, `<form id="support"`)
		assertContains(t, h.get(t, "/ideas"), `<span class="badge badge--connected">Partnere funnet</span>`)
		if _, err := h.Store.SetIdeaStatus(ctx, i.ID, db.IdeaRealised, ""); err != nil {
			t.Fatal(err)
		}
		r = h.get(t, fmt.Sprintf("/ideas/%d?lang=en", i.ID))
		assertContains(t, r, `<span class="badge badge--realised">Realised</span>`, "no longer open to support")
		if strings.Contains(r.Body, `<form id="support"`) || strings.Contains(r.Body, `<form id="interest-form"`) {
			t.Error("a realised idea offers support or requests")
		}
	})
}

// TestHomeIdeas: the home page shows the three newest ideas and the
// counters of ideas and businesses connected.
func TestHomeIdeas(t *testing.T) {
	h := newTestHub(t)
	ctx := context.Background()
	r := h.get(t, "/")
	assertContains(t, r, "Nyeste ideer", "Har bedriften din en idé?", `href="/ideas/new"`,
		"<dt>Publiserte ideer</dt><dd>0</dd>", "<dt>Bedrifter koblet sammen</dt><dd>0</dd>")
	var last *db.Idea
	for n := range 4 {
		last = publishIdea(t, h, anIdea(fmt.Sprintf("Idé nummer %d", n)))
	}
	req, err := h.Store.AskToConnect(ctx, last.ID, db.NewInterest{Company: "Sykehuset Innlandet", ContactName: "Ola", Email: "ola@example.no"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Store.DecideInterest(ctx, last.Token, req.ID, true); err != nil {
		t.Fatal(err)
	}
	r = h.get(t, "/")
	assertTitles(t, r, "Idé nummer 3", "Idé nummer 2", "Idé nummer 1")
	assertContains(t, r, "<dt>Publiserte ideer</dt><dd>4</dd>", "<dt>Bedrifter koblet sammen</dt><dd>2</dd>", `href="/ideas"`)
}

// TestBoardCardsFollowChanges: a card is rendered once and kept, so a
// search must still show what the idea is now: its supports, its badge,
// its leaving the board; each language keeps its own card, and the
// filter's kept choices mark what each address asks for.
func TestBoardCardsFollowChanges(t *testing.T) {
	h := newTestHub(t)
	ctx := context.Background()
	idea := publishIdea(t, h, anIdea("Beredskapslager i Elverum"))
	search := "/ideas?q=lager"
	assertContains(t, h.get(t, search), "0 støttespillere")
	assertContains(t, h.get(t, search+"&lang=en"), "0 supporters")

	if _, _, err := h.Store.SupportIdea(ctx, idea.ID, "a"); err != nil {
		t.Fatal(err)
	}
	assertContains(t, h.get(t, search+"&lang=nb"), "1 støttespiller")
	assertContains(t, h.get(t, search+"&lang=en"), "1 supporter")

	if _, err := h.Store.SetIdeaStatus(ctx, idea.ID, db.IdeaConnected, ""); err != nil {
		t.Fatal(err)
	}
	assertContains(t, h.get(t, search+"&lang=nb"), `<span class="badge badge--connected">`)

	// The filter's choices are kept too: each address gets its own marks.
	for _, tc := range []struct {
		query  string
		marked []string
	}{
		{search + "&sector=health", []string{`value="health" checked`}},
		{search + "&sector=preparedness&seeking=partner", []string{`value="preparedness" checked`, `value="partner" checked`}},
		{search, []string{`id="sector" value="" checked`}},
	} {
		r := h.get(t, tc.query)
		assertContains(t, r, tc.marked...)
		if n := strings.Count(r.Body, " checked"); n != len(tc.marked) {
			t.Errorf("%s: %d choices marked, want %d", tc.query, n, len(tc.marked))
		}
	}

	if _, err := h.Store.WithdrawIdea(ctx, idea.Token); err != nil {
		t.Fatal(err)
	}
	r := h.get(t, search)
	assertTitles(t, r)
	if strings.Contains(r.Body, "Beredskapslager i Elverum") {
		t.Error("a withdrawn idea's kept card is still on the board")
	}
}
