package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestPhoneAnyValidNumber: the phone fields take any valid number, mobile
// or landline, Norwegian by default or with a country code, and keep it in
// E.164 (issue 10).
func TestPhoneAnyValidNumber(t *testing.T) {
	for typed, stored := range map[string]string{
		"912 34 567":        "+4791234567",
		"62 41 00 00":       "+4762410000", // a landline
		"+46 70 123 45 67":  "+46701234567",
		"0046 8 123 456 78": "+46812345678",
	} {
		t.Run("Signup/"+typed, func(t *testing.T) {
			h := newTestHub(t)
			f := validSignup()
			f.Set("phone", typed)
			r := h.post(t, "/events/"+h.Event.Slug+"/signups", f)
			assertStatus(t, r, http.StatusSeeOther)
			su, err := h.Store.SignupByToken(context.Background(), strings.TrimPrefix(r.Header.Get("Location"), "/signups/"))
			if err != nil {
				t.Fatal(err)
			}
			if su.Phone != stored {
				t.Fatalf("stored phone %q, want %q", su.Phone, stored)
			}
		})
		t.Run("Idea/"+typed, func(t *testing.T) {
			h := newTestHub(t)
			f := validProposal()
			f.Set("phone", typed)
			r := h.post(t, "/ideas", f)
			assertStatus(t, r, http.StatusSeeOther)
			idea, err := h.Store.IdeaByToken(context.Background(), strings.TrimPrefix(r.Header.Get("Location"), "/ideas/manage/"))
			if err != nil {
				t.Fatal(err)
			}
			if idea.Phone != stored {
				t.Fatalf("stored phone %q, want %q", idea.Phone, stored)
			}
		})
	}
	t.Run("Label", func(t *testing.T) {
		h := newTestHub(t)
		r := h.get(t, "/events/"+h.Event.Slug)
		assertContains(t, r, `<label for="phone">Telefon`)
		if strings.Contains(r.Body, "Mobilnummer") {
			t.Error("the phone field is labelled for mobiles only, yet takes a landline")
		}
	})
}

// TestGETAtFormAddresses: without JavaScript a form with a mistake leaves
// the browser at the form's address; the language link or a reload asks
// for it with a GET, which leads back to the form's page (303, query
// kept) instead of 405 — for every address that only takes a POST.
func TestGETAtFormAddresses(t *testing.T) {
	h := newTestHub(t)
	slug := h.Event.Slug
	// After a form error: the address, then the language link on it.
	f := validSignup()
	f.Set("email", "nope")
	r := h.post(t, "/events/"+slug+"/signups", f)
	assertStatus(t, r, http.StatusUnprocessableEntity)
	for path, want := range map[string]string{
		"/events/" + slug + "/signups?lang=en":         "/events/" + slug + "?lang=en",
		"/events/" + slug + "/signups":                 "/events/" + slug,
		"/events/" + slug + "/signups/validate":        "/events/" + slug,
		"/ideas/validate":                              "/ideas",
		"/ideas/7/interest":                            "/ideas/7",
		"/ideas/7/interest/validate":                   "/ideas/7",
		"/ideas/7/support":                             "/ideas/7",
		"/ideas/manage/tok/withdraw":                   "/ideas/manage/tok",
		"/ideas/manage/tok/requests/3/accept":          "/ideas/manage/tok",
		"/ideas/manage/tok/requests/3/decline?lang=en": "/ideas/manage/tok?lang=en",
		"/signups/tok/cancel":                          "/signups/tok",
		"/signups/tok/delete":                          "/signups/tok",
		"/logout":                                      "/",
		"/admin/users/4/disable":                       "/admin/users",
		"/admin/users/4/password":                      "/admin/users",
		"/admin/feed/announce":                         "/admin/feed",
		"/admin/feed/9/hide":                           "/admin/feed",
		"/admin/kpis/calls/delete":                     "/admin/kpis",
		"/admin/account/sessions/end":                  "/admin",
		"/admin/events/" + slug + "/publish":           "/admin/events/" + slug,
		"/admin/ideas/5/status":                        "/admin/ideas",
	} {
		r := h.get(t, path)
		assertStatus(t, r, http.StatusSeeOther)
		if got := r.Header.Get("Location"); got != want {
			t.Errorf("GET %s: Location %q, want %q", path, got, want)
		}
	}
	// Addresses that have a page of their own keep it.
	assertStatus(t, h.get(t, "/ideas"), http.StatusOK)
	assertStatus(t, h.get(t, "/events/"+slug), http.StatusOK)
}
