package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestSignupDataAndErase(t *testing.T) {
	h := newTestHub(t)
	r := h.post(t, "/events/"+h.Event.Slug+"/signups", validSignup())
	assertStatus(t, r, http.StatusSeeOther)
	page := r.Header.Get("Location")

	t.Run("DataJSON", func(t *testing.T) {
		d := h.get(t, page+"/data.json")
		assertStatus(t, d, http.StatusOK)
		if cc := d.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q", cc)
		}
		var got struct {
			Signup struct {
				Name, Email, Phone, Organization, Diet, Status string
				Seats                                          int
				ShowName                                       string `json:"show_name"`
			}
			EventSlug string `json:"event_slug"`
			History   []struct {
				ToStatus string `json:"to_status"`
				Reason   string
			}
			ShownOnScreen []string `json:"shown_on_screen"`
		}
		if err := json.Unmarshal([]byte(d.Body), &got); err != nil {
			t.Fatalf("%v\n%s", err, d.Body)
		}
		if got.Signup.Name != "Kari Nordmann" || got.Signup.Email != "kari@example.no" || got.Signup.Diet != "Nøtteallergi" ||
			got.Signup.Seats != 2 || got.Signup.ShowName != "first" || got.EventSlug != h.Event.Slug ||
			len(got.History) != 1 || got.History[0].ToStatus != "confirmed" || len(got.ShownOnScreen) != 1 {
			t.Fatalf("data.json: %+v", got)
		}
	})

	t.Run("ErrEraseUnconfirmed", func(t *testing.T) {
		e := h.post(t, page+"/delete", url.Values{})
		assertStatus(t, e, http.StatusUnprocessableEntity)
		assertContains(t, e, "Kryss av for å bekrefte", `aria-invalid="true"`, `aria-describedby="confirm-error"`)
		assertStatus(t, h.get(t, page), http.StatusOK) // nothing was erased
	})

	t.Run("Erase", func(t *testing.T) {
		e := h.post(t, page+"/delete", url.Values{"confirm": {"yes"}})
		assertStatus(t, e, http.StatusSeeOther)
		if loc := e.Header.Get("Location"); loc != "/erased" {
			t.Fatalf("Location %q", loc)
		}
		assertContains(t, h.get(t, "/erased"), "Opplysningene er slettet")
		assertStatus(t, h.get(t, page), http.StatusNotFound)
		assertStatus(t, h.get(t, page+"/data.json"), http.StatusNotFound)
		if n := mustCount(t, h); n != 0 {
			t.Fatalf("%d signups left", n)
		}
		if s := h.get(t, "/screen"); strings.Contains(s.Body, "Kari") {
			t.Fatal("the erased person is still on the screen")
		}
		assertContains(t, h.get(t, "/events/"+h.Event.Slug), `data-seats-left="10"`)
	})
}
