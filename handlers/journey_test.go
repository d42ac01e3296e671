package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/torghub/torg/db"
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

// signUp signs a person up through the form and returns the signup's path.
func signUp(t *testing.T, h *testHub, slug, email string, seats int) string {
	t.Helper()
	f := validSignup()
	f.Set("email", email)
	f.Set("seats", strconv.Itoa(seats))
	r := h.post(t, "/events/"+slug+"/signups", f)
	assertStatus(t, r, http.StatusSeeOther)
	return r.Header.Get("Location")
}

// TestSignupPageLeadsWithWhatIsTrue: a cancelled event's signup page says
// the event is cancelled, not "Du er påmeldt … Velkommen!", and offers
// neither cancelling, the calendar nor the check-in code; a cancelled
// signup's page offers neither cancelling nor the calendar.
func TestSignupPageLeadsWithWhatIsTrue(t *testing.T) {
	t.Run("EventCancelled", func(t *testing.T) {
		h := newTestHub(t)
		path := signUp(t, h, h.Event.Slug, "kari@example.no", 1)
		if err := h.Store.SetEventStatus(context.Background(), h.Event.Slug, db.EventCancelled); err != nil {
			t.Fatal(err)
		}
		r := h.get(t, path)
		assertStatus(t, r, http.StatusOK)
		assertContains(t, r, `data-signup-status="confirmed"`, `data-event-status="cancelled"`,
			"<h1>Arrangementet er avlyst</h1>", `class="status status--cancelled"`)
		for _, wrong := range []string{"Du er påmeldt", "Velkommen", "her kan du melde deg av", h.Event.Slug + "/calendar.ics", "/cancel", "checkin-qr"} {
			if strings.Contains(r.Body, wrong) {
				t.Errorf("a cancelled event's signup page shows %q", wrong)
			}
		}
		en := h.get(t, path+"?lang=en")
		assertContains(t, en, "<h1>The event is cancelled</h1>")
	})
	t.Run("SignupCancelled", func(t *testing.T) {
		h := newTestHub(t)
		path := signUp(t, h, h.Event.Slug, "kari@example.no", 1)
		assertStatus(t, h.post(t, path+"/cancel", url.Values{"confirm": {"yes"}}), http.StatusSeeOther)
		r := h.get(t, path)
		assertContains(t, r, `data-signup-status="cancelled"`, "<h1>Du er avmeldt</h1>")
		for _, wrong := range []string{"her kan du melde deg av", h.Event.Slug + "/calendar.ics", "/cancel", "Meld meg av"} {
			if strings.Contains(r.Body, wrong) {
				t.Errorf("a cancelled signup's page shows %q", wrong)
			}
		}
	})
	t.Run("Confirmed", func(t *testing.T) {
		h := newTestHub(t)
		r := h.get(t, signUp(t, h, h.Event.Slug, "kari@example.no", 1))
		assertContains(t, r, `data-signup-status="confirmed"`, `data-event-status="published"`, "<h1>Du er påmeldt</h1>",
			"Velkommen!", "her kan du melde deg av", h.Event.Slug+"/calendar.ics", "/cancel", "checkin-qr")
	})
}

// TestCancelAsksFirst: "Meld meg av" asks once. Without confirm=yes the
// page asks (without JavaScript the whole page, with htmx the question
// alone) and nothing changes; with it, the signup is cancelled.
func TestCancelAsksFirst(t *testing.T) {
	h := newTestHub(t)
	path := signUp(t, h, h.Event.Slug, "kari@example.no", 1)
	token := strings.TrimPrefix(path, "/signups/")
	status := func() string {
		su, err := h.Store.SignupByToken(context.Background(), token)
		if err != nil {
			t.Fatal(err)
		}
		return su.Status
	}

	r := h.post(t, path+"/cancel", url.Values{})
	assertStatus(t, r, http.StatusOK)
	assertContains(t, r, "<html", `<h2 id="cancel-question" tabindex="-1" autofocus>Vil du melde deg av?</h2>`,
		`name="confirm" value="yes"`, "Ja, meld meg av", `href="`+path+`">Nei, gå tilbake</a>`)
	if s := status(); s != db.StatusConfirmed {
		t.Fatalf("asking cancelled the signup: %s", s)
	}

	frag := h.do(t, http.MethodPost, path+"/cancel", url.Values{}, map[string]string{"HX-Request": "true"})
	assertStatus(t, frag, http.StatusOK)
	if !strings.HasPrefix(strings.TrimSpace(frag.Body), `<form id="signup-cancel"`) || strings.Contains(frag.Body, "<html") {
		t.Fatalf("htmx got more than the question:\n%s", frag.Body)
	}
	assertContains(t, frag, "Vil du melde deg av?", `data-hx-post="`+path+`/cancel"`)
	if s := status(); s != db.StatusConfirmed {
		t.Fatalf("asking (htmx) cancelled the signup: %s", s)
	}

	yes := h.do(t, http.MethodPost, path+"/cancel", url.Values{"confirm": {"yes"}}, map[string]string{"HX-Request": "true"})
	assertStatus(t, yes, http.StatusOK)
	if got := yes.Header.Get("HX-Redirect"); got != path {
		t.Errorf("HX-Redirect %q, want %q", got, path)
	}
	if s := status(); s != db.StatusCancelled {
		t.Fatalf("confirm=yes left the signup %s", s)
	}
	// Asked again once cancelled: back to the page, which says so.
	assertContains(t, h.post(t, path+"/cancel", url.Values{}), "<h1>Du er avmeldt</h1>")

	t.Run("Waiting", func(t *testing.T) {
		h := newTestHub(t)
		signUp(t, h, h.Event.Slug, "a@example.no", 5)
		signUp(t, h, h.Event.Slug, "b@example.no", 5)
		path := signUp(t, h, h.Event.Slug, "c@example.no", 1)
		r := h.post(t, path+"/cancel", url.Values{})
		assertContains(t, r, `data-signup-status="waiting"`, "Vil du gå ut av ventelisten?", "Ja, ta meg av ventelisten")
	})
}

// TestBokmaal: the wording a native writer corrected (issue 10) stays
// corrected on the pages residents see.
func TestBokmaal(t *testing.T) {
	h := newTestHub(t)
	ctx := context.Background()
	if err := h.Store.SetKPI(ctx, "calls", 145, "Bedrifter vi har ringt"); err != nil {
		t.Fatal(err)
	}
	home := h.get(t, "/")
	events := h.get(t, "/events")
	screen := h.get(t, "/screen")
	event := h.get(t, "/events/"+h.Event.Slug)
	signedUp := signUp(t, h, h.Event.Slug, "kari@example.no", 1)
	assertStatus(t, h.post(t, signedUp+"/cancel", url.Values{"confirm": {"yes"}}), http.StatusSeeOther)
	cancelled := h.get(t, signedUp)
	assertContains(t, home, ">Nøkkeltall<", "Bedrifter vi har ringt")
	assertContains(t, events, "i kalenderen din")
	assertContains(t, screen, `aria-label="Nøkkeltall"`, "Bedrifter som er med")
	assertContains(t, event, "Vi bruker den bare til å kontakte deg om dette arrangementet.", "Slik vil du vises på storskjermen",
		"Uten navn («en ny deltaker»)")
	assertContains(t, cancelled, "<h1>Du er avmeldt</h1>")
	for _, r := range []response{home, events, screen, event, cancelled} {
		for _, old := range []string{">Tall<", `"Tall"`, "Bedrifter med<", "i din kalender", "bare om dette arrangementet", "Slik kan du vises",
			"Ikke med navn", "Påmeldingen er avmeldt"} {
			if strings.Contains(r.Body, old) {
				t.Errorf("%s still says %q", r.Request.URL.Path, old)
			}
		}
	}
	// A full event says "venteliste" once in the notice, not twice in one breath.
	full, err := h.Store.CreateEvent(ctx, db.NewEvent{Title: "Nettverksmøte", Kind: db.KindNetwork,
		StartsAt: h.Event.StartsAt, Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	signUp(t, h, full.Slug, "ola@example.no", 1)
	signUp(t, h, full.Slug, "per@example.no", 1) // waiting
	r := h.get(t, "/events/"+full.Slug)
	assertContains(t, r, "Fullt – du kan sette deg på venteliste. 1 står allerede i kø.")
	i := strings.Index(r.Body, `class="notice"`)
	if i < 0 {
		t.Fatal("a full event has no notice")
	}
	notice := r.Body[i : i+strings.Index(r.Body[i:], "</p>")]
	if n := strings.Count(notice, "venteliste"); n > 1 {
		t.Errorf("the full notice says venteliste %d times: %s", n, notice)
	}
	// Too large a form: "Kort ned teksten", the imperative.
	big := url.Values{"name": {strings.Repeat("x", 3<<20)}}
	assertContains(t, h.post(t, "/events/"+h.Event.Slug+"/signups", big), "Kort ned teksten")
}

// TestSeatsSayWhatWillHappen: the seats list offers no more than the event
// holds, says before sending that a larger signup than the seats left goes
// on the waiting list, and a group larger than the event is refused, by
// the form and by the store.
func TestSeatsSayWhatWillHappen(t *testing.T) {
	h := newTestHub(t) // 10 seats
	ctx := context.Background()
	small, err := h.Store.CreateEvent(ctx, db.NewEvent{Title: "Lite møte", Kind: db.KindMeeting,
		StartsAt: h.Event.StartsAt, Capacity: 3})
	if err != nil {
		t.Fatal(err)
	}
	path := "/events/" + small.Slug
	page := h.get(t, path)
	assertContains(t, page, `<option value="3">3</option>`, "Du kan melde på opptil 3.")
	if strings.Contains(page.Body, `<option value="4"`) {
		t.Error("a 3-seat event offers 4 seats")
	}
	if strings.Contains(page.Body, "venteliste") {
		t.Error("an empty event speaks of the waiting list")
	}

	signUp(t, h, small.Slug, "a@example.no", 2)
	page = h.get(t, path)
	assertContains(t, page, "Det er bare 1 ledig plass igjen. Melder du på flere, havner dere på ventelisten.",
		`<option value="1" selected>1</option>`, `<option value="2">2 (venteliste)</option>`, `<option value="3">3 (venteliste)</option>`)
	en := h.get(t, path+"?lang=en")
	assertContains(t, en, "Only 1 seat is left.", `<option value="2">2 (waiting list)</option>`)

	// Larger than the event: refused by the form, with how many it has.
	f := validSignup()
	f.Set("email", "b@example.no")
	f.Set("seats", "4")
	r := h.post(t, path+"/signups", f)
	assertStatus(t, r, http.StatusUnprocessableEntity)
	assertContains(t, r, "Arrangementet har bare 3 plasser. Velg færre plasser.", `href="#seats"`)
	assertInvalid(t, r.Body, "seats")
	// … and by the store, whoever calls it.
	_, err = h.Store.CreateSignup(ctx, small.Slug, db.NewSignup{Name: "C", Email: "c@example.no", Seats: 4})
	if db.ErrorCode(err) != db.EINVALID || db.ErrorKey(err) != "signup.seats_over_capacity" || db.ErrorField(err) != "seats" {
		t.Fatalf("store took a group larger than the event: %v", err)
	}
	// Two seats when one is left: on the waiting list, as the form said.
	waiting := signUp(t, h, small.Slug, "d@example.no", 2)
	assertContains(t, h.get(t, waiting), `data-signup-status="waiting"`)
}

// journeyPages are the resident's pages this issue added or changed, in
// their states, for the HTML checker (html_test.go).
func journeyPages(t *testing.T) map[string]response {
	h := newTestHub(t)
	ctx := context.Background()
	small, err := h.Store.CreateEvent(ctx, db.NewEvent{Title: "Lite møte", Kind: db.KindMeeting,
		StartsAt: h.Event.StartsAt, Capacity: 3})
	if err != nil {
		t.Fatal(err)
	}
	signUp(t, h, small.Slug, "a@example.no", 2)
	tooMany := validSignup()
	tooMany.Set("seats", "4")
	confirmed := signUp(t, h, h.Event.Slug, "kari@example.no", 1)
	waiting := signUp(t, h, small.Slug, "b@example.no", 2)
	cancelled := signUp(t, h, h.Event.Slug, "ola@example.no", 1)
	if _, err := h.Store.CancelSignup(ctx, strings.TrimPrefix(cancelled, "/signups/"), db.ActorResident); err != nil {
		t.Fatal(err)
	}
	pages := map[string]response{
		"journey-event-few-left":         h.get(t, "/events/"+small.Slug),
		"journey-event-too-many-en":      h.post(t, "/events/"+small.Slug+"/signups?lang=en", tooMany),
		"journey-signup-cancel-ask":      h.post(t, confirmed+"/cancel", url.Values{}),
		"journey-signup-cancel-ask-wait": h.post(t, waiting+"/cancel?lang=en", url.Values{}),
		"journey-signup-cancelled":       h.get(t, cancelled),
		"journey-signup-event-cancelled": func() response {
			if err := h.Store.SetEventStatus(ctx, h.Event.Slug, db.EventCancelled); err != nil {
				t.Fatal(err)
			}
			return h.get(t, confirmed)
		}(),
	}
	return pages
}
