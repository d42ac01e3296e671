package handlers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/torghub/torg/db"
)

func TestCreateSignup(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		h := newTestHub(t)
		r := h.post(t, "/events/"+h.Event.Slug+"/signups", validSignup())
		assertStatus(t, r, http.StatusSeeOther)
		loc := r.Header.Get("Location")
		if !regexp.MustCompile(`^/signups/[A-Za-z0-9_-]{22,}$`).MatchString(loc) {
			t.Fatalf("Location: got %q, want /signups/{token of at least 128 bits}", loc)
		}
		page := h.get(t, loc)
		assertStatus(t, page, http.StatusOK)
		assertContains(t, page, `data-signup-status="confirmed"`, "Kari Nordmann", "Frokostmøte")
		if cc := page.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("signup page Cache-Control: got %q, want no-store", cc)
		}
		ev := h.get(t, "/events/"+h.Event.Slug)
		assertContains(t, ev, `data-seats-left="8"`)
	})

	t.Run("WaitingList", func(t *testing.T) {
		h := newTestHub(t)
		for i, seats := range []string{"5", "5"} {
			f := validSignup()
			f.Set("email", "p"+string(rune('a'+i))+"@example.no")
			f.Set("seats", seats)
			assertStatus(t, h.post(t, "/events/"+h.Event.Slug+"/signups", f), http.StatusSeeOther)
		}
		ev := h.get(t, "/events/"+h.Event.Slug)
		assertContains(t, ev, `data-seats-left="0"`, "Sett meg på venteliste")
		f := validSignup()
		f.Set("email", "late@example.no")
		r := h.post(t, "/events/"+h.Event.Slug+"/signups", f)
		assertStatus(t, r, http.StatusSeeOther)
		page := h.get(t, r.Header.Get("Location"))
		assertContains(t, page, `data-signup-status="waiting"`, `data-waiting-position="1"`, "nummer 1 i køen")

		// Cancelling a confirmed signup moves the waiting one up.
		first, err := h.Store.ListSignups(context.Background(), h.Event.ID)
		if err != nil {
			t.Fatal(err)
		}
		c := h.post(t, "/signups/"+first[0].Token+"/cancel", url.Values{"confirm": {"yes"}})
		assertStatus(t, c, http.StatusSeeOther)
		assertContains(t, h.get(t, "/signups/"+first[0].Token), `data-signup-status="cancelled"`)
		assertContains(t, h.get(t, r.Header.Get("Location")), `data-signup-status="confirmed"`)
	})

	t.Run("HTMXRedirect", func(t *testing.T) {
		h := newTestHub(t)
		r := h.do(t, http.MethodPost, "/events/"+h.Event.Slug+"/signups", validSignup(), map[string]string{"HX-Request": "true"})
		assertStatus(t, r, http.StatusOK)
		if !strings.HasPrefix(r.Header.Get("HX-Redirect"), "/signups/") {
			t.Fatalf("HX-Redirect: got %q", r.Header.Get("HX-Redirect"))
		}
	})

	t.Run("ErrInvalidFields", func(t *testing.T) {
		seatsMessage := fmt.Sprintf("Velg mellom %d og %d plasser.", db.MinSeats, db.MaxSeats)
		for _, tc := range []struct {
			field, value, message string
		}{
			{"name", "", "Skriv navnet ditt."},
			{"name", strings.Repeat("n", 101), "Navnet kan ha høyst 100 tegn."},
			{"email", "", "Skriv e-postadressen din."},
			{"email", "kari@", "Skriv en gyldig e-postadresse"},
			{"phone", "1234", "Skriv et gyldig telefonnummer"},
			{"phone", "ring meg", "Skriv et gyldig telefonnummer"},
			{"phone", "+46 12", "Skriv et gyldig telefonnummer"},
			{"organization", strings.Repeat("o", 151), "Navnet på virksomheten kan ha høyst 150 tegn."},
			{"diet", strings.Repeat("d", 501), "Skriv høyst 500 tegn"},
			{"seats", strconv.Itoa(db.MinSeats - 1), seatsMessage},
			{"seats", strconv.Itoa(db.MaxSeats + 1), seatsMessage},
			{"seats", "many", seatsMessage},
			{"show_name", "everything", "Velg hvordan du vil vises"},
			{"consent", "", "Du må bekrefte"},
		} {
			t.Run(tc.field, func(t *testing.T) {
				h := newTestHub(t)
				f := validSignup()
				f.Set(tc.field, tc.value)
				r := h.post(t, "/events/"+h.Event.Slug+"/signups", f)
				assertStatus(t, r, http.StatusUnprocessableEntity)
				assertContains(t, r, tc.message, `id="error-summary"`, `href="#`+tc.field+`"`)
				assertInvalid(t, r.Body, tc.field)
				// What was typed is kept.
				if tc.field != "name" {
					assertContains(t, r, `value="Kari Nordmann"`)
				}
				if n := mustCount(t, h); n != 0 {
					t.Fatalf("invalid form stored %d signups", n)
				}
			})
		}
	})

	t.Run("ErrEnglish", func(t *testing.T) {
		h := newTestHub(t)
		f := validSignup()
		f.Set("email", "nope")
		r := h.do(t, http.MethodPost, "/events/"+h.Event.Slug+"/signups", f, map[string]string{"Accept-Language": "en-GB,en;q=0.9"})
		assertStatus(t, r, http.StatusUnprocessableEntity)
		assertContains(t, r, "Enter a valid email address", `<html lang="en">`)
	})

	t.Run("ErrDuplicate", func(t *testing.T) {
		h := newTestHub(t)
		first := h.post(t, "/events/"+h.Event.Slug+"/signups", validSignup())
		assertStatus(t, first, http.StatusSeeOther)
		f := validSignup()
		f.Set("email", "KARI@Example.NO")
		r := h.post(t, "/events/"+h.Event.Slug+"/signups", f)
		assertStatus(t, r, http.StatusConflict)
		assertContains(t, r, "allerede påmeldt")
		assertInvalid(t, r.Body, "email")
		token := strings.TrimPrefix(first.Header.Get("Location"), "/signups/")
		if strings.Contains(r.Body, token) {
			t.Fatal("the duplicate answer shows the other signup's link")
		}
		if n := mustCount(t, h); n != 1 {
			t.Fatalf("got %d signups, want 1", n)
		}
	})

	t.Run("HTMXFragment", func(t *testing.T) {
		h := newTestHub(t)
		f := validSignup()
		f.Set("email", "x")
		r := h.do(t, http.MethodPost, "/events/"+h.Event.Slug+"/signups", f, map[string]string{"HX-Request": "true"})
		assertStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.HasPrefix(strings.TrimSpace(r.Body), `<form id="signup-form"`) || strings.Contains(r.Body, "<html") {
			t.Fatalf("htmx got more than the form:\n%s", r.Body)
		}
		if vary := strings.Join(r.Header.Values("Vary"), ", "); !strings.Contains(vary, "HX-Request") {
			t.Fatalf("Vary: got %q, want HX-Request in it", vary)
		}
		full := h.post(t, "/events/"+h.Event.Slug+"/signups", f)
		assertContains(t, full, "<!DOCTYPE html>", `<form id="signup-form"`)
		if vary := strings.Join(full.Header.Values("Vary"), ", "); !strings.Contains(vary, "HX-Request") {
			t.Fatalf("Vary on the whole page: got %q", vary)
		}
	})

	t.Run("ValidateOneField", func(t *testing.T) {
		h := newTestHub(t)
		f := url.Values{"email": {"kari@"}}
		r := h.do(t, http.MethodPost, "/events/"+h.Event.Slug+"/signups/validate", f,
			map[string]string{"HX-Request": "true", "HX-Trigger-Name": "email"})
		assertStatus(t, r, http.StatusOK)
		assertInvalid(t, r.Body, "email")
		if strings.Contains(r.Body, "Skriv navnet ditt.") {
			t.Fatal("validating the email field also reported the empty name")
		}
		if n := mustCount(t, h); n != 0 {
			t.Fatalf("validation stored %d signups", n)
		}
	})

	t.Run("Escaped", func(t *testing.T) {
		h := newTestHub(t)
		const evil = `<script>alert(1)</script>" onmouseover="x`
		f := validSignup()
		for _, field := range []string{"name", "organization", "diet"} {
			f.Set(field, evil)
		}
		f.Set("email", "bad") // keep it invalid so every field is echoed back
		f.Set("phone", evil)
		r := h.post(t, "/events/"+h.Event.Slug+"/signups", f)
		assertStatus(t, r, http.StatusUnprocessableEntity)
		if strings.Contains(r.Body, "<script>alert") || strings.Contains(r.Body, `" onmouseover="x`) {
			t.Fatal("user text came back unescaped in the form")
		}
		assertContains(t, r, "&lt;script&gt;alert(1)&lt;/script&gt;")

		f.Set("email", "evil@example.no")
		f.Set("phone", "")
		ok := h.post(t, "/events/"+h.Event.Slug+"/signups", f)
		assertStatus(t, ok, http.StatusSeeOther)
		page := h.get(t, ok.Header.Get("Location"))
		if strings.Contains(page.Body, "<script>alert") {
			t.Fatal("user text came back unescaped on the signup page")
		}
	})

	t.Run("ErrBodyTooLarge", func(t *testing.T) {
		h := newTestHub(t)
		f := validSignup()
		f.Set("diet", strings.Repeat("x", 1<<20))
		r := h.post(t, "/events/"+h.Event.Slug+"/signups", f)
		assertStatus(t, r, http.StatusRequestEntityTooLarge)
		assertContains(t, r, "For mye data", `<html lang="nb">`)
		if n := mustCount(t, h); n != 0 {
			t.Fatalf("stored %d signups", n)
		}
	})

	t.Run("ErrInvalidUTF8", func(t *testing.T) {
		h := newTestHub(t)
		body := "name=Kari%ff%fe&email=kari%40example.no&seats=1&show_name=none&consent=yes"
		req, _ := http.NewRequest(http.MethodPost, h.URL+"/events/"+h.Event.Slug+"/signups", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("invalid UTF-8: got %d, want 422", resp.StatusCode)
		}
		assertInvalid(t, string(b), "name")
		if !strings.Contains(string(b), "Teksten inneholder tegn som ikke kan lagres") {
			t.Errorf("the name's message is missing:\n%s", b)
		}
		if !utf8.Valid(b) {
			t.Error("the page itself is not valid UTF-8")
		}
		if n := mustCount(t, h); n != 0 {
			t.Fatalf("stored %d signups", n)
		}
	})

	// ErrBadText: whatever the store's text check refuses, the form refuses
	// on the field it came in, with the store's message, and stores nothing.
	t.Run("ErrBadText", func(t *testing.T) {
		const (
			invalid = "Teksten inneholder tegn som ikke kan lagres"
			oneLine = "Teksten må stå på én linje"
			bidi    = "Teksten inneholder usynlige tegn som snur skriveretningen"
		)
		for _, tc := range []struct {
			name, field, value, message string
		}{
			{"NUL", "name", "Kari\x00Nordmann", invalid},
			{"Escape", "name", "Kari\x1b[2JNordmann", invalid},
			{"C1", "organization", "Sykehuset\u009bInnlandet", invalid},
			{"Override", "name", "Kari \u202Ennamdro", bidi},
			{"CR", "name", "Kari\rNordmann", oneLine},
			{"LF", "organization", "Sykehuset\nInnlandet", oneLine},
			{"Tab", "email", "kari\t@example.no", oneLine},
			{"LineSeparator", "phone", "912\u202834567", oneLine},
			{"InvalidUTF8", "diet", "Nøtter\xff", invalid},
			{"ControlInMultiLine", "diet", "Nøtter\n\x07", invalid},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h := newTestHub(t)
				f := validSignup()
				f.Set(tc.field, tc.value)
				r := h.post(t, "/events/"+h.Event.Slug+"/signups", f)
				assertStatus(t, r, http.StatusUnprocessableEntity)
				assertInvalid(t, r.Body, tc.field)
				assertContains(t, r, tc.message, `href="#`+tc.field+`"`)
				if !utf8.ValidString(r.Body) || strings.ContainsAny(r.Body, "\x00\x07\x1b\u009b\u202e\u2028") {
					t.Error("the refused characters came back in the page")
				}
				if n := mustCount(t, h); n != 0 {
					t.Fatalf("stored %d signups", n)
				}
			})
		}
		t.Run("English", func(t *testing.T) {
			h := newTestHub(t)
			f := validSignup()
			f.Set("name", "Kari\rNordmann")
			r := h.do(t, http.MethodPost, "/events/"+h.Event.Slug+"/signups", f, map[string]string{"Accept-Language": "en"})
			assertStatus(t, r, http.StatusUnprocessableEntity)
			assertInvalid(t, r.Body, "name")
			assertContains(t, r, "The text must be on one line", `value="Kari Nordmann"`)
		})
		t.Run("ValidateOneField", func(t *testing.T) {
			h := newTestHub(t)
			r := h.do(t, http.MethodPost, "/events/"+h.Event.Slug+"/signups/validate", url.Values{"name": {"Kari\x00"}},
				map[string]string{"HX-Request": "true", "HX-Trigger-Name": "name"})
			assertStatus(t, r, http.StatusOK)
			assertInvalid(t, r.Body, "name")
			assertContains(t, r, invalid)
		})
	})

	// OKLineBreaks: a textarea's CR LF (as browsers send it) is stored as LF.
	t.Run("OKLineBreaks", func(t *testing.T) {
		h := newTestHub(t)
		f := validSignup()
		f.Set("diet", "Nøtteallergi\r\nGlutenfri")
		assertStatus(t, h.post(t, "/events/"+h.Event.Slug+"/signups", f), http.StatusSeeOther)
		list, err := h.Store.ListSignups(context.Background(), h.Event.ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("got %d signups, %v", len(list), err)
		}
		if got := list[0].Diet; got != "Nøtteallergi\nGlutenfri" {
			t.Fatalf("diet: got %q, want the line break as LF", got)
		}
	})

	t.Run("ErrClosed", func(t *testing.T) {
		h := newTestHub(t)
		if err := h.Store.SetEventStatus(context.Background(), h.Event.Slug, db.EventCancelled); err != nil {
			t.Fatal(err)
		}
		page := h.get(t, "/events/"+h.Event.Slug)
		assertStatus(t, page, http.StatusOK)
		assertContains(t, page, "Avlyst", `data-event-status="cancelled"`)
		if strings.Contains(page.Body, `<form id="signup-form"`) {
			t.Fatal("a cancelled event offers the signup form")
		}
		r := h.post(t, "/events/"+h.Event.Slug+"/signups", validSignup())
		assertStatus(t, r, http.StatusUnprocessableEntity)
		assertContains(t, r, "Arrangementet er avlyst, og påmeldingen er stengt.")
		if n := mustCount(t, h); n != 0 {
			t.Fatalf("stored %d signups for a cancelled event", n)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		h := newTestHub(t)
		for _, path := range []string{"/events/no-such-event", "/signups/no-such-token", "/nowhere"} {
			r := h.get(t, path)
			assertStatus(t, r, http.StatusNotFound)
			assertContains(t, r, "<!DOCTYPE html>", "Fant ikke siden", `href="/events"`)
		}
		r := h.post(t, "/events/no-such-event/signups", validSignup())
		assertStatus(t, r, http.StatusNotFound)
		r = h.post(t, "/signups/no-such-token/cancel", url.Values{})
		assertStatus(t, r, http.StatusNotFound)
	})
}

// assertInvalid checks that field is marked invalid and its message is tied
// to it with aria-describedby.
func assertInvalid(tb testing.TB, body, field string) {
	tb.Helper()
	id := field
	re := regexp.MustCompile(`<(input|select|textarea)[^>]*\bid="` + regexp.QuoteMeta(id) + `"[^>]*>`)
	if field == "show_name" {
		re = regexp.MustCompile(`<fieldset[^>]*\bid="field-show_name"[^>]*>`)
	}
	tag := re.FindString(body)
	if tag == "" {
		tb.Fatalf("no element for field %s", field)
	}
	if field != "show_name" && !strings.Contains(tag, `aria-invalid="true"`) {
		tb.Errorf("field %s lacks aria-invalid: %s", field, tag)
	}
	if !strings.Contains(tag, `aria-describedby="`+field+`-error`) {
		tb.Errorf("field %s is not described by its message: %s", field, tag)
	}
	if !strings.Contains(body, `id="`+field+`-error"`) {
		tb.Errorf("field %s has no message element", field)
	}
}

func mustCount(tb testing.TB, h *testHub) int {
	tb.Helper()
	list, err := h.Store.ListSignups(context.Background(), h.Event.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return len(list)
}
