package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/torghub/torg/db"
)

// honeypotInput is the honeypot as every public form carries it: inside
// a wrapper hidden from assistive technology, out of the tab order, not
// autofilled.
var honeypotInput = regexp.MustCompile(`<div class="trap" aria-hidden="true"><label>[^<]+<input type="text" name="website" value="" tabindex="-1" autocomplete="off"></label></div>`)

// withHoneypot is form with the honeypot filled in, as a script fills it.
func withHoneypot(form url.Values) url.Values {
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("website", "https://spam.example")
	return f
}

// Every public form has the honeypot, once per form.
func TestHoneypotOnEveryForm(t *testing.T) {
	h := newTestHub(t)
	ctx := context.Background()
	idea := publishIdea(t, h, anIdea("Felles lager"))
	su := signUpWith(t, h, validSignup())
	// A request to decide on, for the proposer's page: its accept and
	// decline, beside the withdraw form.
	if _, err := h.Store.AskToConnect(ctx, idea.ID, db.NewInterest{Company: "Bedrift AS", ContactName: "Per", Email: "per@example.no", Message: "Hei", Lang: "nb"}); err != nil {
		t.Fatal(err)
	}
	pages := map[string]int{
		"/events/" + h.Event.Slug:     1, // signup
		"/ideas/new":                  1, // idea
		"/ideas/" + itoa(idea.ID):     2, // support, interest
		"/signups/" + su:              2, // cancel, erase
		"/login":                      1,
		"/ideas/manage/" + idea.Token: 3, // withdraw, accept, decline
	}
	for path, want := range pages {
		r := h.get(t, path)
		assertStatus(t, r, http.StatusOK)
		forms := strings.Count(r.Body, `<form method="post"`) + len(regexp.MustCompile(`<form id="[^"]+" method="post"`).FindAllString(r.Body, -1))
		if got := len(honeypotInput.FindAllString(r.Body, -1)); got != want || got != forms {
			t.Errorf("%s: %d honeypots in %d POST forms, want %d", path, got, forms, want)
		}
	}
}

// signUp signs up through the form and returns the signup's token.
func signUpWith(t *testing.T, h *testHub, form url.Values) string {
	t.Helper()
	r := h.post(t, "/events/"+h.Event.Slug+"/signups", form)
	assertStatus(t, r, http.StatusSeeOther)
	return strings.TrimPrefix(r.Header.Get("Location"), "/signups/")
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// A form with the honeypot filled is answered as a success (303 to the
// form's page) and leaves no trace: nothing stored, nothing on a screen.
func TestHoneypotStoresNothing(t *testing.T) {
	h := newTestHub(t)
	ctx := context.Background()
	idea := publishIdea(t, h, anIdea("Felles lager"))
	ideaPath := "/ideas/" + itoa(idea.ID)
	before, err := h.Store.LastActivityID(ctx)
	if err != nil {
		t.Fatal(err)
	}

	trapped := func(path string, form url.Values, wantLocation string) {
		t.Helper()
		r := h.post(t, path, withHoneypot(form))
		assertStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != wantLocation {
			t.Errorf("POST %s: Location %q, want %q", path, loc, wantLocation)
		}
	}

	trapped("/events/"+h.Event.Slug+"/signups", validSignup(), "/events/"+h.Event.Slug)
	if n := mustCount(t, h); n != 0 {
		t.Errorf("a trapped signup stored %d rows", n)
	}
	trapped("/ideas", validProposal(), "/ideas")
	if n := ideaCount(t, h); n != 1 {
		t.Errorf("%d ideas, want the published one only", n)
	}
	trapped(ideaPath+"/interest", validInterest(), ideaPath)
	trapped(ideaPath+"/support", url.Values{}, ideaPath)
	if i, err := h.Store.PublicIdea(ctx, idea.ID); err != nil || i.Supports != 0 {
		t.Errorf("supports after a trapped one: %v %v, want 0", i.Supports, err)
	}
	trapped("/login", url.Values{"email": {"admin@example.no"}, "password": {"secret"}}, "/login")
	if after, err := h.Store.LastActivityID(ctx); err != nil || after != before {
		t.Errorf("the feed moved from %d to %d (%v): a trapped form reached the screens", before, after, err)
	}

	// The same people, without the honeypot, go through: no trace of the
	// trapped ones stood in their way (no "already signed up").
	signUpWith(t, h, validSignup())
	assertStatus(t, h.post(t, ideaPath+"/interest", validInterest()), http.StatusSeeOther)

	// A signup's own forms: cancelling and erasing, trapped, change nothing.
	token := signUpWith(t, h, func() url.Values { f := validSignup(); f.Set("email", "ola@example.no"); return f }())
	trapped("/signups/"+token+"/cancel", url.Values{"confirm": {"yes"}}, "/signups/"+token)
	trapped("/signups/"+token+"/delete", url.Values{"confirm": {"yes"}}, "/signups/"+token)
	su, err := h.Store.SignupByToken(ctx, token)
	if err != nil || su.Status != db.StatusConfirmed {
		t.Errorf("the signup after a trapped cancel and erase: %v %v, want confirmed", su, err)
	}

	// A field left empty is no trap: the field is sent empty by every
	// browser.
	f := validSignup()
	f.Set("email", "tom@example.no")
	f.Set("website", "")
	signUpWith(t, h, f)
	// The honeypot is read from the body only.
	r := h.post(t, "/events/"+h.Event.Slug+"/signups?website=x", func() url.Values { f := validSignup(); f.Set("email", "q@example.no"); return f }())
	if !strings.HasPrefix(r.Header.Get("Location"), "/signups/") {
		t.Errorf("?website= in the address trapped a form: Location %q", r.Header.Get("Location"))
	}
}
