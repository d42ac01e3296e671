package handlers_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/torghub/torg/db"
)

// supportAs posts a support from one browser: its cookie header (none:
// a first visit) and User-Agent, with htmx or without.
func (h *testHub) supportAs(tb testing.TB, id int64, cookie, userAgent string, htmx bool) response {
	tb.Helper()
	header := map[string]string{"User-Agent": userAgent}
	if cookie != "" {
		header["Cookie"] = cookie
	}
	if htmx {
		header["HX-Request"] = "true"
	}
	return h.do(tb, http.MethodPost, fmt.Sprintf("/ideas/%d/support", id), url.Values{}, header)
}

func supportCount(tb testing.TB, h *testHub, id int64) int {
	tb.Helper()
	i, err := h.Store.IdeaByID(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return i.Supports
}

// TestSupportIdea: one support per person without a login: the same
// browser, or the same browser on the same connection with its cookies
// cleared, counts once; another device counts. Without JavaScript the
// answer is 303 back to the idea, which says what happened; with htmx the
// button says "supported (N)" at once.
func TestSupportIdea(t *testing.T) {
	h := newTestHub(t)
	i := publishIdea(t, h, anIdea("Beredskapslager"))
	const phone = "Mozilla/5.0 (iPhone) Safari"

	first := h.supportAs(t, i.ID, "", phone, false)
	assertStatus(t, first, http.StatusSeeOther)
	if loc := first.Header.Get("Location"); loc != fmt.Sprintf("/ideas/%d?support=thanks#support", i.ID) {
		t.Fatalf("Location %q", loc)
	}
	var cookie *http.Cookie
	for _, c := range first.Cookies() {
		if c.Name == "supporter" {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatalf("no supporter cookie: %v", first.Header.Values("Set-Cookie"))
	}
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure || cookie.Path != "/ideas" ||
		cookie.MaxAge < 365*24*3600 || len(cookie.Value) < 43 {
		t.Errorf("supporter cookie %+v: want HttpOnly, SameSite=Lax, Path=/ideas, a year or more, 256 random bits; Secure only behind HTTPS", cookie)
	}
	page := h.get(t, first.Header.Get("Location"))
	assertContains(t, page, "Takk for støtten!", "Støttet (1)", "1 støttespiller<")

	// The same browser again: counted once, said kindly.
	again := h.supportAs(t, i.ID, "supporter="+cookie.Value, phone, false)
	if loc := again.Header.Get("Location"); loc != fmt.Sprintf("/ideas/%d?support=already#support", i.ID) {
		t.Fatalf("second support: Location %q", loc)
	}
	assertContains(t, h.get(t, again.Header.Get("Location")), "Du har allerede støttet denne ideen")
	// Cookies cleared, same connection and browser: still once.
	h.supportAs(t, i.ID, "", phone, false)
	// A forged cookie is replaced, and counts nothing either.
	h.supportAs(t, i.ID, "supporter=forged", phone, false)
	if n := supportCount(t, h, i.ID); n != 1 {
		t.Fatalf("%d supports from one browser, want 1", n)
	}

	// Another device (another browser) counts, with htmx: the button
	// changes in place, the count and the notice out of band.
	r := h.supportAs(t, i.ID, "", "Mozilla/5.0 (Windows) Firefox", true)
	assertStatus(t, r, http.StatusOK)
	if strings.Contains(r.Body, "<!DOCTYPE html>") {
		t.Fatal("htmx got a whole page")
	}
	assertContains(t, r, `<form id="support"`, `<button type="submit" id="support-button" class="button button--done">Støttet (2)</button>`,
		`<p id="support-status" data-hx-swap-oob="innerHTML">Takk for støtten!</p>`,
		`<p id="support-count" data-hx-swap-oob="innerHTML">2 støttespillere</p>`)
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	var second string
	for _, c := range r.Cookies() {
		if c.Name == "supporter" {
			second = c.Value
		}
	}
	r = h.supportAs(t, i.ID, "supporter="+second, "Mozilla/5.0 (Windows) Firefox", true)
	assertContains(t, r, "Støttet (2)", "Du har allerede støttet denne ideen – takk!")
	// The same cookie from another connection is the same browser.
	r = h.do(t, http.MethodPost, fmt.Sprintf("/ideas/%d/support", i.ID), url.Values{},
		map[string]string{"Cookie": "supporter=" + second, "X-Forwarded-For": "203.0.113.9", "User-Agent": "curl", "HX-Request": "true"})
	assertContains(t, r, "Du har allerede støttet")
	if n := supportCount(t, h, i.ID); n != 2 {
		t.Fatalf("%d supports, want 2", n)
	}
	// An idea published since in English says so in English.
	en := h.do(t, http.MethodPost, fmt.Sprintf("/ideas/%d/support", i.ID), url.Values{},
		map[string]string{"Cookie": "lang=en; supporter=" + second, "HX-Request": "true"})
	assertContains(t, en, "Supported (2)", "You have already supported this idea")

	t.Run("ErrOtherSite", func(t *testing.T) {
		before := supportCount(t, h, i.ID)
		r := h.do(t, http.MethodPost, fmt.Sprintf("/ideas/%d/support", i.ID), url.Values{},
			map[string]string{"Origin": "https://evil.example", "User-Agent": "A visitor of another site"})
		assertStatus(t, r, http.StatusForbidden)
		assertContains(t, r, "kom fra et annet nettsted")
		if n := supportCount(t, h, i.ID); n != before {
			t.Fatalf("a form on another site counted a support: %d, was %d", n, before)
		}
		r = h.do(t, http.MethodPost, fmt.Sprintf("/ideas/%d/support", i.ID), url.Values{},
			map[string]string{"Origin": h.URL, "User-Agent": "A visitor of this site"})
		assertStatus(t, r, http.StatusSeeOther)
	})

	// Secure behind a trusted HTTPS proxy: TestTrustedProxyThroughTheRouter.
	t.Run("ProxyHeaderNeedsTrust", func(t *testing.T) {
		r := h.do(t, http.MethodPost, fmt.Sprintf("/ideas/%d/support", i.ID), url.Values{},
			map[string]string{"X-Forwarded-Proto": "https", "User-Agent": "Secure browser"})
		if ck := strings.Join(r.Header.Values("Set-Cookie"), "\n"); strings.Contains(ck, "; Secure") {
			t.Errorf("X-Forwarded-Proto from a client no setting trusts made the cookie Secure: %s", ck)
		}
	})

	t.Run("NothingInTheClear", func(t *testing.T) {
		raw, err := sql.Open("sqlite3", "file:"+h.DBPath+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		rows, err := raw.Query(`SELECT supporter FROM idea_supports`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				t.Fatal(err)
			}
			n++
			for _, clear := range []string{"127.0.0.1", "203.0.113.9", "iPhone", "Firefox", cookie.Value, second} {
				if strings.Contains(k, clear) {
					t.Errorf("a supporter key holds %q in the clear: %s", clear, k)
				}
			}
			if !regexp.MustCompile(`^(cookie|net):[A-Za-z0-9_-]{43}$`).MatchString(k) {
				t.Errorf("supporter key %q is not a keyed hash", k)
			}
		}
		if n == 0 {
			t.Fatal("no supporter keys stored")
		}
	})

	t.Run("ErrClosed", func(t *testing.T) {
		ctx := context.Background()
		done := publishIdea(t, h, anIdea("Realisert"))
		if _, err := h.Store.SetIdeaStatus(ctx, done.ID, db.IdeaRealised, ""); err != nil {
			t.Fatal(err)
		}
		r := h.supportAs(t, done.ID, "", "Closed browser", true)
		assertStatus(t, r, http.StatusConflict)
		assertContains(t, r, `<div id="support"></div>`, "Ideen tar ikke lenger imot støtte.")
		r = h.supportAs(t, done.ID, "", "Closed browser", false)
		assertStatus(t, r, http.StatusSeeOther)
		assertContains(t, h.get(t, r.Header.Get("Location")), "Ideen er realisert og tar ikke lenger imot støtte")

		gone := publishIdea(t, h, anIdea("Trukket"))
		if _, err := h.Store.WithdrawIdea(ctx, gone.Token); err != nil {
			t.Fatal(err)
		}
		r = h.supportAs(t, gone.ID, "", "Gone browser", true)
		assertStatus(t, r, http.StatusConflict)
		assertContains(t, r, "Ideen er ikke lenger på idétavla.")
		r = h.supportAs(t, gone.ID, "", "Gone browser", false)
		assertStatus(t, r, http.StatusNotFound)
		assertContains(t, r, "Ideen finnes ikke, eller lenken er ikke lenger gyldig.")
		pending, err := h.Store.CreateIdea(ctx, anIdea("Venter"))
		if err != nil {
			t.Fatal(err)
		}
		assertStatus(t, h.supportAs(t, pending.ID, "", "Pending browser", false), http.StatusNotFound)
		assertStatus(t, h.do(t, http.MethodPost, "/ideas/abc/support", url.Values{}, nil), http.StatusNotFound)
		if n := supportCount(t, h, pending.ID); n != 0 {
			t.Fatalf("a pending idea has %d supports", n)
		}
	})
}

// validInterest is a request to be connected that passes every check.
func validInterest() url.Values {
	return url.Values{
		"company": {"Sykehuset Innlandet"}, "contact_name": {"Ola Hansen"}, "email": {"Ola@Sykehuset.example"},
		"message": {"Vi vil gjerne teste dette.\nNår passer det?"}, "show_company": {"yes"},
	}
}

// TestAskToConnect: the request form behaves as the signup form does, and
// the requester's own page shows the owner's contact details only once
// the owner has accepted.
func TestAskToConnect(t *testing.T) {
	h := newTestHub(t)
	ctx := context.Background()
	i := publishIdea(t, h, anIdea("Beredskapslager"))
	action := fmt.Sprintf("/ideas/%d/interest", i.ID)

	t.Run("ErrInvalid", func(t *testing.T) {
		for field, value := range map[string]string{
			"company": "", "contact_name": "  ", "email": "ikke-en-adresse", "message": "",
			"show_company": "maybe",
		} {
			f := validInterest()
			f.Set(field, value)
			r := h.post(t, action, f)
			assertStatus(t, r, http.StatusUnprocessableEntity)
			if field == "show_company" {
				assertContains(t, r, `<fieldset class="field field--invalid" id="field-show_company" aria-describedby="show_company-error">`, `id="show_company-error"`)
			} else {
				assertInvalid(t, r.Body, field)
			}
			assertContains(t, r, `id="error-summary"`, `href="#`+field+`"`)
			if field != "company" {
				assertContains(t, r, `value="Sykehuset Innlandet"`) // what was typed is kept
			}
		}
		f := validInterest()
		f.Set("company", strings.Repeat("x", 151))
		f.Set("message", "a\x00b")
		r := h.post(t, action, f)
		assertStatus(t, r, http.StatusUnprocessableEntity)
		assertContains(t, r, "Bedriftsnavnet kan ha høyst 150 tegn.", "Teksten inneholder tegn som ikke kan lagres")
		en := h.do(t, http.MethodPost, action, url.Values{}, map[string]string{"Cookie": "lang=en", "Content-Type": "application/x-www-form-urlencoded"})
		assertContains(t, en, "Enter your company&#39;s name.", "Enter the contact person&#39;s name.", "Write a few words")
		if list, _ := h.Store.Interests(ctx, i.Token); len(list) != 0 {
			t.Fatalf("%d requests stored from invalid forms", len(list))
		}
	})

	t.Run("Validate", func(t *testing.T) {
		f := validInterest()
		f.Set("email", "x")
		f.Set("company", "")
		v := h.do(t, http.MethodPost, action+"/validate", f, map[string]string{"HX-Request": "true", "HX-Trigger-Name": "email"})
		assertStatus(t, v, http.StatusOK)
		assertContains(t, v, `id="email-error"`)
		if strings.Contains(v.Body, `id="company-error"`) || strings.Contains(v.Body, "<!DOCTYPE html>") {
			t.Error("the check of one field marks another, or answers with a page")
		}
		if list, _ := h.Store.Interests(ctx, i.Token); len(list) != 0 {
			t.Fatal("the check stored a request")
		}
	})

	var token string
	t.Run("OK", func(t *testing.T) {
		r := h.post(t, action, validInterest())
		assertStatus(t, r, http.StatusSeeOther)
		loc := r.Header.Get("Location")
		if !regexp.MustCompile(`^/ideas/requests/[A-Za-z0-9_-]{22,}$`).MatchString(loc) {
			t.Fatalf("Location %q", loc)
		}
		token = strings.TrimPrefix(loc, "/ideas/requests/")
		page := h.get(t, loc)
		assertStatus(t, page, http.StatusOK)
		assertContains(t, page, `data-interest-status="pending"`, "Forespørselen er sendt", "Beredskapslager", "Elverum Rør AS",
			"Sykehuset Innlandet", "ola@sykehuset.example", "Ja, vis navnet", "Ta vare på lenken")
		for h, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"} {
			if got := page.Header.Get(h); got != want {
				t.Errorf("request page %s: %q, want %q", h, got, want)
			}
		}
		for _, secret := range []string{"kari@example.no", "900 00 000", "4790000000", "Kari Nordmann"} {
			if strings.Contains(page.Body, secret) {
				t.Errorf("before acceptance the requester's page shows the owner's %q", secret)
			}
		}
	})

	t.Run("ErrDuplicate", func(t *testing.T) {
		f := validInterest()
		f.Set("email", "OLA@sykehuset.example")
		r := h.post(t, action, f)
		assertStatus(t, r, http.StatusConflict)
		assertContains(t, r, "Det er allerede sendt en forespørsel om denne ideen")
		assertInvalid(t, r.Body, "email")
		if strings.Contains(r.Body, token) {
			t.Error("the answer shows the first request's link")
		}
	})

	t.Run("HTMX", func(t *testing.T) {
		f := validInterest()
		f.Set("email", "per@example.no")
		r := h.do(t, http.MethodPost, action, f, map[string]string{"HX-Request": "true"})
		assertStatus(t, r, http.StatusOK)
		if !strings.HasPrefix(r.Header.Get("HX-Redirect"), "/ideas/requests/") {
			t.Fatalf("HX-Redirect %q", r.Header.Get("HX-Redirect"))
		}
		f.Set("email", "")
		r = h.do(t, http.MethodPost, action, f, map[string]string{"HX-Request": "true"})
		assertStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.HasPrefix(strings.TrimSpace(r.Body), `<form id="interest-form"`) {
			t.Fatalf("htmx got more than the form:\n%.300s", r.Body)
		}
	})

	t.Run("Accepted", func(t *testing.T) {
		view, err := h.Store.InterestByToken(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Store.DecideInterest(ctx, i.Token, view.Interest.ID, true); err != nil {
			t.Fatal(err)
		}
		page := h.get(t, "/ideas/requests/"+token+"?lang=en")
		assertContains(t, page, `data-interest-status="accepted"`, "You are connected", "Kari Nordmann", `href="mailto:kari@example.no"`, "&#43;47 90 00 00 00")
	})

	t.Run("Declined", func(t *testing.T) {
		f := validInterest()
		f.Set("email", "liv@example.no")
		r := h.post(t, action, f)
		tok := strings.TrimPrefix(r.Header.Get("Location"), "/ideas/requests/")
		view, _ := h.Store.InterestByToken(ctx, tok)
		if err := h.Store.DecideInterest(ctx, i.Token, view.Interest.ID, false); err != nil {
			t.Fatal(err)
		}
		page := h.get(t, "/ideas/requests/"+tok)
		assertContains(t, page, `data-interest-status="declined"`, "Bedriften takket nei")
		if strings.Contains(page.Body, "kari@example.no") {
			t.Error("a declined request shows the owner's e-mail")
		}
	})

	t.Run("ErrClosed", func(t *testing.T) {
		done := publishIdea(t, h, anIdea("Snart realisert"))
		page := h.get(t, fmt.Sprintf("/ideas/%d", done.ID)) // the form is shown ...
		assertContains(t, page, `<form id="interest-form"`)
		if _, err := h.Store.SetIdeaStatus(ctx, done.ID, db.IdeaRealised, ""); err != nil { // ... then the idea closes
			t.Fatal(err)
		}
		r := h.post(t, fmt.Sprintf("/ideas/%d/interest", done.ID), validInterest())
		assertStatus(t, r, http.StatusConflict)
		assertContains(t, r, "Ideen er realisert og tar ikke lenger imot støtte eller forespørsler om kontakt.")
		f := validInterest()
		f.Set("email", "sen@example.no")
		r = h.do(t, http.MethodPost, fmt.Sprintf("/ideas/%d/interest", done.ID), f, map[string]string{"HX-Request": "true"})
		assertStatus(t, r, http.StatusConflict)
		assertContains(t, r, `<p id="interest-form" class="notice" role="status">Ideen tar ikke lenger imot støtte eller forespørsler om kontakt.</p>`)

		gone := publishIdea(t, h, anIdea("Trukket"))
		if _, err := h.Store.WithdrawIdea(ctx, gone.Token); err != nil {
			t.Fatal(err)
		}
		r = h.post(t, fmt.Sprintf("/ideas/%d/interest", gone.ID), validInterest())
		assertStatus(t, r, http.StatusNotFound)
		r = h.do(t, http.MethodPost, fmt.Sprintf("/ideas/%d/interest", gone.ID), validInterest(), map[string]string{"HX-Request": "true"})
		if got := r.Header.Get("HX-Redirect"); got != fmt.Sprintf("/ideas/%d", gone.ID) {
			t.Errorf("htmx request for a withdrawn idea: HX-Redirect %q", got)
		}
		page = h.get(t, "/ideas/requests/"+token)
		assertStatus(t, page, http.StatusOK)
		assertStatus(t, h.get(t, "/ideas/requests/no-such-token"), http.StatusNotFound)
	})
}
