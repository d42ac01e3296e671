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
