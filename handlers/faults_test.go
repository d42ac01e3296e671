package handlers_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// signupFormOf is a valid signup form for a person of their own.
func signupFormOf(name, email string) url.Values {
	f := validSignup()
	f.Set("name", name)
	f.Set("email", email)
	f.Set("seats", "1")
	return f
}

// assertKept checks a refused signup: the status, a Retry-After, the
// reason at the top of the form, and what was typed still in its fields.
func assertKept(t *testing.T, r response, status int, reason string, form url.Values) {
	t.Helper()
	assertStatus(t, r, status)
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	assertContains(t, r, `id="error-summary-title">`+reason)
	for _, field := range []string{"name", "email"} {
		assertContains(t, r, `name="`+field+`" type="`)
		assertContains(t, r, `value="`+form.Get(field)+`"`)
	}
}

// assertNotStored checks that nobody with email is signed up.
func assertNotStored(t *testing.T, h *testHub, email string) {
	t.Helper()
	a, err := h.Store.Attendees(context.Background(), h.Event.Slug)
	if err != nil {
		t.Fatal(err)
	}
	for _, su := range append(a.Confirmed, a.Waiting...) {
		if su.Email == email {
			t.Errorf("%s was stored after a 503", email)
		}
	}
}

// waitHealthz polls /healthz until it answers want (the probe runs every
// 20 ms in these tests), and returns the last answer.
func waitHealthz(t *testing.T, h *testHub, want int) response {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := h.get(t, "/healthz")
		if r.StatusCode == want || time.Now().After(deadline) {
			assertStatus(t, r, want)
			return r
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestUnavailableDatabase: a signup the database cannot take (disk full,
// read-only, the write lock held by another process) answers 503 within
// the store's bound, with the reason in the reader's language and the
// form as typed; nothing is stored; /healthz says so and answers 200 again
// by itself once the cause is gone.
func TestUnavailableDatabase(t *testing.T) {
	ctx := context.Background()
	post := func(h *testHub, form url.Values, lang string) response {
		return h.do(t, http.MethodPost, "/events/"+h.Event.Slug+"/signups?lang="+lang, form, nil)
	}
	t.Run("DiskFull", func(t *testing.T) {
		h := newTestHub(t)
		h.Store.ProbeInterval = 20 * time.Millisecond
		assertStatus(t, h.get(t, "/healthz"), http.StatusOK)
		if err := h.Store.SimulateFault(ctx, db.FaultDiskFull); err != nil {
			t.Fatal(err)
		}
		// The rows fit the file's free room for a while; then it is full.
		var r response
		var form url.Values
		for i := 0; ; i++ {
			form = signupFormOf(fmt.Sprintf("Person %d", i), fmt.Sprintf("p%d@example.no", i))
			if r = post(h, form, "nb"); r.StatusCode != http.StatusSeeOther || i == 300 {
				break
			}
		}
		assertKept(t, r, http.StatusServiceUnavailable, "Vi fikk ikke lagret dette: serveren er tom for lagringsplass.", form)
		assertContains(t, r, "Ingenting er lagret, men det du skrev, er tatt vare på.")
		assertNotStored(t, h, form.Get("email"))
		en := signupFormOf("Kari Nordmann", "kari@example.no")
		assertKept(t, post(h, en, "en"), http.StatusServiceUnavailable, "We could not save this: the server has run out of storage space.", en)
		assertContains(t, h.get(t, "/healthz"), "database cannot write: disk full")
		if err := h.Store.SimulateFault(ctx, db.NoFault); err != nil {
			t.Fatal(err)
		}
		waitHealthz(t, h, http.StatusOK)
		assertStatus(t, post(h, en, "en"), http.StatusSeeOther)
	})
	t.Run("ReadOnly", func(t *testing.T) {
		h := newTestHub(t)
		h.Store.ProbeInterval = 20 * time.Millisecond
		if err := h.Store.SimulateFault(ctx, db.FaultReadOnly); err != nil {
			t.Fatal(err)
		}
		form := signupFormOf("Kari Nordmann", "kari@example.no")
		assertKept(t, post(h, form, "nb"), http.StatusServiceUnavailable, "Vi fikk ikke lagret dette: databasen tar ikke imot endringer akkurat nå.", form)
		assertKept(t, post(h, form, "en"), http.StatusServiceUnavailable, "We could not save this: the database is not accepting changes right now.", form)
		assertNotStored(t, h, "kari@example.no")
		assertContains(t, waitHealthz(t, h, http.StatusServiceUnavailable), "database cannot write: database is read-only")
		if err := h.Store.SimulateFault(ctx, db.NoFault); err != nil {
			t.Fatal(err)
		}
		waitHealthz(t, h, http.StatusOK)
	})
	// The write lock held by another process: 503 within the store's
	// 5 s bound (checked at twice that, to fail the old 10–20 s).
	t.Run("LockedElsewhere", func(t *testing.T) {
		h := newTestHub(t)
		h.Store.ProbeInterval = 20 * time.Millisecond
		other, err := sql.Open("sqlite3", "file:"+h.DBPath)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		conn, err := other.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `BEGIN EXCLUSIVE`); err != nil {
			t.Fatal(err)
		}
		form := signupFormOf("Kari Nordmann", "kari@example.no")
		start := time.Now()
		r := post(h, form, "nb")
		if took := time.Since(start); took >= 10*time.Second {
			t.Errorf("answered after %v; want within the 5 s bound", took)
		}
		assertKept(t, r, http.StatusServiceUnavailable, "Vi fikk ikke lagret dette: systemet er opptatt med noe annet akkurat nå.", form)
		if got := r.Header.Get("Retry-After"); got != "5" {
			t.Errorf("Retry-After = %q, want 5 for a lock", got)
		}
		assertContains(t, h.get(t, "/healthz"), "database cannot write: write lock held too long")
		if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil {
			t.Fatal(err)
		}
		waitHealthz(t, h, http.StatusOK)
		assertNotStored(t, h, "kari@example.no")
	})
}

// TestKeptFormOn429: a refusal raised before the handler, as the rate
// limiter raises it, brings each form back as typed with the reason on
// top and the limiter's Retry-After.
func TestKeptFormOn429(t *testing.T) {
	h := newTestHub(t)
	if missing := h.Srv.UnroutedKeptForms(); len(missing) > 0 {
		t.Fatalf("keptForms names routes the router lacks: %v", missing)
	}
	h.Srv.RefuseEveryRequest(http.StatusTooManyRequests, "error.429.text", "17")
	for _, tc := range []struct {
		path  string
		form  url.Values
		typed []string
	}{
		{"/events/" + h.Event.Slug + "/signups", signupFormOf("Kari Nordmann", "kari@example.no"), []string{`value="Kari Nordmann"`, `value="kari@example.no"`}},
		{"/ideas", url.Values{"title": {"Felles lager på Grundset"}, "contact_name": {"Ola Hansen"}}, []string{`value="Felles lager på Grundset"`, `value="Ola Hansen"`}},
		{"/login", url.Values{"email": {"admin@example.no"}, "password": {"hemmelig passord"}}, []string{`value="admin@example.no"`}},
	} {
		r := h.post(t, tc.path, tc.form)
		assertStatus(t, r, http.StatusTooManyRequests)
		if got := r.Header.Get("Retry-After"); got != "17" {
			t.Errorf("%s: Retry-After = %q, want the limiter's 17", tc.path, got)
		}
		assertContains(t, r, append(tc.typed, `id="error-summary-title">Vent litt og prøv igjen.`)...)
		if strings.Contains(r.Body, "hemmelig passord") {
			t.Errorf("%s: the password came back", tc.path)
		}
	}
}

// TestClientGoneIsNoError: a request whose client went away is logged as
// that, not as an internal error, and gets no error page.
func TestClientGoneIsNoError(t *testing.T) {
	var log syncBuffer
	h := newTestHubLogging(t, &log)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, path := range []string{"/calendar.ics", "/events/" + h.Event.Slug + "/calendar.ics", "/events"} {
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, path, nil)
		rec := httptest.NewRecorder()
		h.Srv.ServeHTTP(rec, req)
		if strings.Contains(rec.Body.String(), "<html") {
			t.Errorf("%s: an error page for a client that went away", path)
		}
	}
	if strings.Contains(log.String(), "level=ERROR") {
		t.Errorf("logged as an error:\n%s", log.String())
	}
	if !strings.Contains(log.String(), `msg="client went away" path=/calendar.ics`) {
		t.Errorf("log does not say the client went away:\n%s", log.String())
	}
}

// keptPages are the pages a refused form comes back as (503 on a
// read-only database), for the HTML check.
func keptPages(t *testing.T) map[string]response {
	h := newTestHub(t)
	ctx := context.Background()
	su, err := h.Store.CreateSignup(ctx, h.Event.Slug, db.NewSignup{Name: "Ola", Email: "ola@example.no", Seats: 1, ShowName: db.ShowNone})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Store.SimulateFault(ctx, db.FaultReadOnly); err != nil {
		t.Fatal(err)
	}
	pages := map[string]response{
		"kept-signup":  h.post(t, "/events/"+h.Event.Slug+"/signups", signupFormOf("Kari Nordmann", "kari@example.no")),
		"kept-idea-en": h.post(t, "/ideas?lang=en", url.Values{"title": {"Felles lager"}, "consent": {"yes"}}),
		"kept-cancel":  h.post(t, "/signups/"+su.Token+"/cancel", url.Values{"confirm": {"yes"}}),
		"kept-erase":   h.post(t, "/signups/"+su.Token+"/delete", url.Values{"confirm": {"yes"}}),
		"kept-login":   h.post(t, "/login", url.Values{"email": {"a@example.no"}, "password": {"x"}}),
	}
	// The cancel's question and the erase come back with the reason on
	// top, the signup untouched.
	for _, name := range []string{"kept-signup", "kept-cancel", "kept-erase"} {
		assertStatus(t, pages[name], http.StatusServiceUnavailable)
		assertContains(t, pages[name], "Vi fikk ikke lagret dette: databasen tar ikke imot endringer")
	}
	assertContains(t, pages["kept-cancel"], `name="confirm" value="yes"`)
	return pages
}
