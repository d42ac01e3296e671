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

// The door page through the router, as a signed-in host uses it: with
// and without JavaScript (door.js sends the same forms with HX-Request).

// doorPost sends a door form as the host: with htmx=true as door.js
// does (HX-Request, the token in the header), else as a plain form.
func doorPost(t *testing.T, oc *organiserClient, path string, form url.Values, htmx bool) response {
	t.Helper()
	if !htmx {
		return oc.post(t, path, form)
	}
	tok := token(t, oc.get(t, "/admin"))
	return oc.do(t, http.MethodPost, path, form, map[string]string{"HX-Request": "true", "X-CSRF-Token": tok})
}

// doorEntryOf is the store's door entry of a signup (or walk-in) id.
func doorEntryOf(t *testing.T, h *testHub, signup, walkin int64) db.DoorEntry {
	t.Helper()
	list, err := h.Store.DoorList(context.Background(), h.Event.Slug, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range list.Entries {
		if signup != 0 && d.SignupID == signup || walkin != 0 && d.WalkInID == walkin {
			return d
		}
	}
	t.Fatalf("signup %d / walk-in %d is not on the door list", signup, walkin)
	return db.DoorEntry{}
}

// countAudit is how many audit entries of action there are.
func countAudit(t *testing.T, h *testHub, action string) int {
	t.Helper()
	entries, err := h.Store.ListAudit(context.Background(), db.AuditFilter{Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// TestDoorPage: a host sees everyone confirmed, here now / expected, and
// a link to the door from the events list and the attendee list; the
// search narrows the list (a whole page, or the list alone for htmx);
// showing it writes nothing.
func TestDoorPage(t *testing.T) {
	h := newAdminHub(t)
	host := signedIn(t, h, db.RoleHost)
	slug := h.Event.Slug
	kari := mustSignupAs(t, h, slug, "kari@example.no", "Kari Nordmann", 1, "")
	mustSignupAs(t, h, slug, "per@example.no", "Per Hansen", 3, "")
	door := "/admin/events/" + slug + "/door"

	rev := h.Store.Revision()
	r := host.get(t, door)
	assertStatus(t, r, http.StatusOK)
	if h.Store.Revision() != rev {
		t.Error("showing the door page wrote to the database")
	}
	assertContains(t, r, "<h1>Innsjekking: Frokostmøte</h1>", `data-here-now="0" data-expected="4"`, "Her nå: 0 av 4 som er ventet",
		`id="door-signup-`+fmt.Sprint(kari.ID)+`"`, `data-code="`+kari.CheckInCode+`"`, "Kari Nordmann", "Per Hansen",
		"Gruppe på 3", "Sjekk inn alle 3", "Sjekk inn én", `<script src="/static/js/door.`, `role="search"`,
		`name="q"`, `data-hx-get="`+door+`"`, `<form id="walkin-form"`)
	if strings.Contains(r.Body, "Angre") {
		t.Error("an undo button with nobody checked in")
	}
	for _, page := range []string{"/admin/events", "/admin/events/" + slug + "/attendees"} {
		assertContains(t, host.get(t, page), `href="`+door+`"`)
	}

	// By name, organisation or code; a whole page without htmx.
	for _, q := range []string{"kari", "sykehuset innlandet kari", strings.ToLower(kari.CheckInCode[:4] + "-" + kari.CheckInCode[4:])} {
		r := host.get(t, door+"?q="+url.QueryEscape(q))
		assertStatus(t, r, http.StatusOK)
		assertContains(t, r, "Kari Nordmann", "<!DOCTYPE html>", `value="`+q+`"`)
		if strings.Contains(r.Body, "Per Hansen") {
			t.Errorf("q=%s: Per is on the list", q)
		}
		if !strings.Contains(r.Body, "Her nå: 0 av 4 som er ventet") {
			t.Errorf("q=%s: the count is not of everyone", q)
		}
	}
	// With htmx: the list alone, the count out of band.
	r = host.do(t, http.MethodGet, door+"?q=per", nil, map[string]string{"HX-Request": "true"})
	assertStatus(t, r, http.StatusOK)
	if strings.Contains(r.Body, "<html") || !strings.HasPrefix(r.Body, `<section id="door-list"`) {
		t.Errorf("the search's fragment is not the list alone:\n%s", r.Body)
	}
	assertContains(t, r, "Per Hansen", `<p id="door-count" class="door-count" data-here-now="0" data-expected="4" data-hx-swap-oob="true">`)
	if strings.Contains(r.Body, "Kari") {
		t.Error("the fragment for q=per lists Kari")
	}
	assertContains(t, host.get(t, door+"?q=ingen+slik"), "Ingen treff.")

	assertStatus(t, host.get(t, "/admin/events/no-such-event/door"), http.StatusNotFound)

	// An address that says more than is so (Kari is not in), or names
	// nobody, or something unknown: the page as it is, never a 500.
	for _, q := range []string{"?done=already&signup=" + fmt.Sprint(kari.ID), "?done=in&signup=999999", "?done=evil&signup=1",
		"?done=in&signup=x&walkin=-1", "?done=undone"} {
		r := host.get(t, door+q)
		assertStatus(t, r, http.StatusOK)
		if strings.Contains(q, "already") {
			assertContains(t, r, `data-result="already"`, "Ikke sjekket inn")
		} else if strings.Contains(r.Body, "data-result=") {
			t.Errorf("%s: a result for nobody", q)
		}
	}
}

// TestDoorCheckIn: by code and by id, twice is one, undo, and a group's
// seats one by one — without JavaScript (303 back, the result on the
// page) and with it (the result fragment); a key sent twice is one.
func TestDoorCheckIn(t *testing.T) {
	h := newAdminHub(t)
	host := signedIn(t, h, db.RoleHost)
	slug := h.Event.Slug
	kari := mustSignupAs(t, h, slug, "kari@example.no", "Kari Nordmann", 1, "")
	group := mustSignupAs(t, h, slug, "per@example.no", "Per Hansen", 3, "")
	checkins := "/admin/events/" + slug + "/checkins"

	t.Run("ByCodeWithoutJavaScript", func(t *testing.T) {
		r := doorPost(t, host, checkins, url.Values{"code": {" " + strings.ToLower(kari.CheckInCode) + " "}, "q": {"kari"}}, false)
		assertStatus(t, r, http.StatusSeeOther)
		want := fmt.Sprintf("/admin/events/%s/door?done=in&q=kari&signup=%d#door-result", slug, kari.ID)
		if loc := r.Header.Get("Location"); loc != want {
			t.Fatalf("Location %q, want %q", loc, want)
		}
		page := host.get(t, strings.TrimSuffix(want, "#door-result"))
		assertContains(t, page, `data-result="in"`, `<p class="door-result-name">Kari Nordmann`, "Sjekket inn.",
			"Her nå: 1 av 4 som er ventet", `id="undo-signup-`+fmt.Sprint(kari.ID)+`"`)
		if d := doorEntryOf(t, h, kari.ID, 0); d.CheckedInSeats != 1 {
			t.Fatalf("Kari: %d seats in, want 1", d.CheckedInSeats)
		}
	})

	t.Run("TwiceIsOne", func(t *testing.T) {
		before := countAudit(t, h, "checkin.add")
		r := doorPost(t, host, checkins, url.Values{"signup": {fmt.Sprint(kari.ID)}}, true)
		assertStatus(t, r, http.StatusOK)
		at := doorEntryOf(t, h, kari.ID, 0).CheckedInAt.In(db.Oslo).Format("15:04")
		assertContains(t, r, `data-result="already"`, "Allerede sjekket inn kl. "+at+".",
			`data-here-now="1"`, `id="door-signup-`+fmt.Sprint(kari.ID)+`"`)
		if strings.Contains(r.Body, "<html") {
			t.Error("htmx got a whole page, want the result fragment")
		}
		r = doorPost(t, host, checkins, url.Values{"signup": {fmt.Sprint(kari.ID)}}, false)
		assertStatus(t, r, http.StatusSeeOther)
		if !strings.Contains(r.Header.Get("Location"), "done=already") {
			t.Errorf("the second check-in without JavaScript: Location %q, want done=already", r.Header.Get("Location"))
		}
		if d := doorEntryOf(t, h, kari.ID, 0); d.CheckedInSeats != 1 {
			t.Fatalf("Kari: %d seats in after checking in three times, want 1", d.CheckedInSeats)
		}
		if n := countAudit(t, h, "checkin.add"); n != before {
			t.Errorf("%d check-ins in the audit log after checking in again, want %d", n, before)
		}
	})

	t.Run("Undo", func(t *testing.T) {
		r := doorPost(t, host, checkins+"/undo", url.Values{"signup": {fmt.Sprint(kari.ID)}}, true)
		assertStatus(t, r, http.StatusOK)
		assertContains(t, r, `data-result="undone"`, "Innsjekkingen er angret.", `data-here-now="0"`, `id="in-signup-`+fmt.Sprint(kari.ID)+`"`)
		if d := doorEntryOf(t, h, kari.ID, 0); d.CheckedInSeats != 0 || d.CheckedInAt != nil {
			t.Fatalf("Kari after undo: %d seats in at %v, want none", d.CheckedInSeats, d.CheckedInAt)
		}
		r = doorPost(t, host, checkins+"/undo", url.Values{"code": {kari.CheckInCode}}, false)
		assertStatus(t, r, http.StatusSeeOther)
		page := host.get(t, r.Header.Get("Location"))
		assertContains(t, page, `data-result="not_in"`, "Var ikke sjekket inn.")
	})

	t.Run("GroupOneByOne", func(t *testing.T) {
		id := fmt.Sprint(group.ID)
		for i, want := range []string{"1 av 3 i gruppen er her", "2 av 3 i gruppen er her", "3 av 3 i gruppen er her"} {
			r := doorPost(t, host, checkins, url.Values{"signup": {id}, "seats": {"1"}}, true)
			assertStatus(t, r, http.StatusOK)
			assertContains(t, r, want, fmt.Sprintf(`data-here-now="%d"`, i+1))
		}
		r := doorPost(t, host, checkins, url.Values{"signup": {id}, "seats": {"1"}}, true)
		assertContains(t, r, `data-result="already"`)
		if d := doorEntryOf(t, h, group.ID, 0); d.CheckedInSeats != 3 {
			t.Fatalf("the group: %d seats in, want 3", d.CheckedInSeats)
		}
		r = doorPost(t, host, checkins+"/undo", url.Values{"signup": {id}, "seats": {"1"}}, true)
		assertContains(t, r, "Angret. 2 av 3 er fortsatt sjekket inn.", `id="in-signup-`+id+`"`, "Sjekk inn den siste")
		// The page offers the rest of a group, and one at a time.
		r = doorPost(t, host, checkins+"/undo", url.Values{"signup": {id}, "seats": {"1"}}, true)
		assertContains(t, r, "1 av 3 sjekket inn, den første kl.", "Sjekk inn de siste 2", "Sjekk inn én")
		r = doorPost(t, host, checkins, url.Values{"signup": {id}}, true)
		assertContains(t, r, "3 av 3 i gruppen er her")
	})

	t.Run("KeyAndArrivalTime", func(t *testing.T) {
		other := mustSignupAs(t, h, slug, "lise@example.no", "Lise Berg", 2, "")
		arrived := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
		form := url.Values{"signup": {fmt.Sprint(other.ID)}, "seats": {"1"}, "key": {"tap-1"}, "at": {arrived.UTC().Format(time.RFC3339Nano)}}
		for range 3 { // a queued check-in sent again after a lost answer
			r := doorPost(t, host, checkins, form, true)
			assertStatus(t, r, http.StatusOK)
			assertContains(t, r, `data-result="in"`, "1 av 2 i gruppen er her")
		}
		d := doorEntryOf(t, h, other.ID, 0)
		if d.CheckedInSeats != 1 {
			t.Fatalf("one key sent three times: %d seats in, want 1", d.CheckedInSeats)
		}
		if !d.CheckedInAt.Equal(arrived) {
			t.Errorf("arrived at %v, want %v as the door said", d.CheckedInAt, arrived)
		}
	})
}

// TestDoorRefusals: what cannot be checked in here answers 422 with its
// message, never a 500 — with JavaScript and without, in both languages.
func TestDoorRefusals(t *testing.T) {
	h := newAdminHub(t)
	host := signedIn(t, h, db.RoleHost)
	slug := h.Event.Slug
	ctx := context.Background()
	seminar, err := h.Store.CreateEvent(ctx, db.NewEvent{Title: "Seminar om beredskap", Kind: db.KindSeminar,
		StartsAt: time.Now().Add(48 * time.Hour).Truncate(time.Minute), Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := mustSignupAs(t, h, seminar.Slug, "ola@example.no", "Ola Annensted", 1, "")
	waiting := mustSignupAs(t, h, seminar.Slug, "vera@example.no", "Vera Venter", 1, "")
	cancelled := mustSignupAs(t, h, slug, "lise@example.no", "Lise Avmeldt", 1, "")
	if _, err := h.Store.CancelSignup(ctx, cancelled.Token, db.ActorResident); err != nil {
		t.Fatal(err)
	}
	kari := mustSignupAs(t, h, slug, "kari@example.no", "Kari Nordmann", 1, "")
	checkins := "/admin/events/" + slug + "/checkins"
	rev := h.Store.Revision()

	for _, tc := range []struct {
		name, path string
		form       url.Values
		want       []string
	}{
		{"AnotherEvent", checkins, url.Values{"code": {elsewhere.CheckInCode}}, []string{"Ola Annensted", "Koden gjelder et annet arrangement: Seminar om beredskap."}},
		{"Cancelled", checkins, url.Values{"code": {cancelled.CheckInCode}}, []string{"Lise Avmeldt", "Personen er avmeldt."}},
		{"Waiting", "/admin/events/" + seminar.Slug + "/checkins", url.Values{"signup": {fmt.Sprint(waiting.ID)}}, []string{"Vera Venter", "Personen står på ventelisten"}},
		{"UnknownCode", checkins, url.Values{"code": {"2222-zzzz"}}, []string{"Finner ingen påmelding med den koden.", "Kode: 2222ZZZZ"}},
		{"UnknownID", checkins, url.Values{"signup": {"999999"}}, []string{"Finner ingen påmelding med den koden."}},
		{"NotAnID", checkins, url.Values{"signup": {"12abc"}}, []string{"Finner ingen påmelding med den koden."}},
		{"Nobody", checkins, url.Values{}, []string{"Skriv inn koden eller velg en person."}},
		{"SeatsNotANumber", checkins, url.Values{"signup": {fmt.Sprint(kari.ID)}, "seats": {"alle"}}, []string{"Antall plasser må være et helt tall."}},
		{"SeatsBelowZero", checkins, url.Values{"signup": {fmt.Sprint(kari.ID)}, "seats": {"-1"}}, []string{"Antall plasser kan ikke være mindre enn null."}},
		{"BadTime", checkins, url.Values{"signup": {fmt.Sprint(kari.ID)}, "at": {"i morges"}}, []string{"Tidspunktet for innsjekkingen er ugyldig."}},
		{"UndoAnotherEvent", checkins + "/undo", url.Values{"code": {elsewhere.CheckInCode}}, []string{"Koden gjelder et annet arrangement: Seminar om beredskap."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, htmx := range []bool{true, false} {
				r := doorPost(t, host, tc.path, tc.form, htmx)
				assertStatus(t, r, http.StatusUnprocessableEntity)
				assertContains(t, r, append([]string{`data-result="refused"`}, tc.want...)...)
				if htmx == strings.Contains(r.Body, "<!DOCTYPE html>") {
					t.Errorf("htmx=%v: whole page %v", htmx, !htmx)
				}
			}
		})
	}
	r := doorPost(t, host, checkins+"?lang=en", url.Values{"code": {elsewhere.CheckInCode}}, true)
	assertStatus(t, r, http.StatusUnprocessableEntity)
	assertContains(t, r, "This code is for another event: Seminar om beredskap.")
	if h.Store.Revision() != rev {
		t.Error("a refused check-in wrote to the database")
	}
	assertStatus(t, doorPost(t, host, "/admin/events/no-such-event/checkins", url.Values{"code": {kari.CheckInCode}}, true), http.StatusNotFound)
}

// TestDoorWalkIn: a walk-in is added checked in and listed as one; bad
// fields come back with their messages, what was typed kept.
func TestDoorWalkIn(t *testing.T) {
	h := newAdminHub(t)
	host := signedIn(t, h, db.RoleHost)
	slug := h.Event.Slug
	mustSignupAs(t, h, slug, "kari@example.no", "Kari Nordmann", 1, "")
	walkins := "/admin/events/" + slug + "/walkins"

	r := doorPost(t, host, walkins, url.Values{"name": {" Åse Uanmeldt "}, "organization": {"Gjest AS"}, "email": {"ase@example.no"}}, false)
	assertStatus(t, r, http.StatusSeeOther)
	page := host.get(t, r.Header.Get("Location"))
	assertContains(t, page, `data-result="walkin"`, "Åse Uanmeldt", "Lagt til uten påmelding og sjekket inn.",
		`<span class="badge badge--walkin">Uten påmelding</span>`, "Her nå: 1 av 2 som er ventet")
	list, err := h.Store.DoorList(context.Background(), slug, "åse")
	if err != nil || len(list.Entries) != 1 || !list.Entries[0].WalkIn() || list.Entries[0].Organization != "Gjest AS" {
		t.Fatalf("the walk-in in the store: %+v (%v)", list, err)
	}

	// With JavaScript: the row to add, the form emptied; a key sent twice
	// adds one.
	form := url.Values{"name": {"Bjørn Brå"}, "key": {"walkin-tap-1"}}
	for i := range 2 {
		r = doorPost(t, host, walkins, form, true)
		assertStatus(t, r, http.StatusOK)
		assertContains(t, r, `data-result="walkin"`, "Bjørn Brå", `<form id="walkin-form"`, `data-here-now="2"`)
		// The first answer's row is new to the page; the replay's is on it.
		if isNew := strings.Contains(r.Body, "data-door-new"); isNew != (i == 0) {
			t.Errorf("answer %d: data-door-new %v", i+1, isNew)
		}
	}
	if list, _ := h.Store.DoorList(context.Background(), slug, "bjørn"); len(list.Entries) != 1 {
		t.Fatalf("one key sent twice added %d walk-ins, want 1", len(list.Entries))
	}

	for _, tc := range []struct {
		name  string
		form  url.Values
		field string
		msg   string
	}{
		{"NoName", url.Values{"name": {"  "}, "organization": {"Gjest AS"}}, "name", "Skriv inn navnet."},
		{"LongName", url.Values{"name": {strings.Repeat("x", 101)}}, "name", "Navnet kan ha høyst 100 tegn."},
		{"LongOrganization", url.Values{"name": {"Ola"}, "organization": {strings.Repeat("x", 101)}}, "organization", "Navnet på virksomheten kan ha høyst 100 tegn."},
		{"BadEmail", url.Values{"name": {"Ola"}, "email": {"ola(at)example"}}, "email", "Skriv inn en gyldig e-postadresse, eller la feltet stå tomt."},
		{"ControlCharacter", url.Values{"name": {"Ola\x00"}}, "name", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rev := h.Store.Revision()
			for _, htmx := range []bool{false, true} {
				r := doorPost(t, host, walkins, tc.form, htmx)
				assertStatus(t, r, http.StatusUnprocessableEntity)
				assertContains(t, r, `data-result="refused"`, "Deltakeren ble ikke lagt til.",
					`id="`+tc.field+`" name="`+tc.field+`"`, `aria-invalid="true"`, `aria-describedby="`+tc.field+`-error`,
					`id="error-summary"`, tc.msg)
				if v := tc.form.Get("organization"); v != "" {
					assertContains(t, r, `value="`+v+`"`)
				}
				if !htmx {
					assertContains(t, r, `<details class="door-walkin" id="walkin" open>`)
				}
			}
			if h.Store.Revision() != rev {
				t.Error("a refused walk-in wrote to the database")
			}
		})
	}
}

// TestDoorAccess: a moderator may not use the door, anonymous requests
// are sent to sign in or refused, and every action needs the CSRF token.
func TestDoorAccess(t *testing.T) {
	h := newAdminHub(t)
	slug := h.Event.Slug
	kari := mustSignupAs(t, h, slug, "kari@example.no", "Kari Nordmann", 1, "")
	door := "/admin/events/" + slug + "/door"
	actions := map[string]url.Values{
		"/admin/events/" + slug + "/checkins":      {"code": {kari.CheckInCode}},
		"/admin/events/" + slug + "/checkins/undo": {"code": {kari.CheckInCode}},
		"/admin/events/" + slug + "/walkins":       {"name": {"Åse"}},
	}
	moderator := signedIn(t, h, db.RoleModerator)
	anonymous := newOrganiserClient(h)
	host := signedIn(t, h, db.RoleHost)

	assertStatus(t, moderator.get(t, door), http.StatusForbidden)
	r := anonymous.get(t, door)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login?next="+url.QueryEscape(door) {
		t.Errorf("anonymous: status %d to %q, want 303 to the login page", r.StatusCode, r.Header.Get("Location"))
	}
	assertStatus(t, signedIn(t, h, db.RoleAdmin).get(t, door), http.StatusOK)
	rev := h.Store.Revision()
	for path, form := range actions {
		assertStatus(t, moderator.post(t, path, form), http.StatusForbidden)
		assertStatus(t, anonymous.do(t, http.MethodPost, path, form, nil), http.StatusForbidden)
		r := host.do(t, http.MethodPost, path, form, map[string]string{"HX-Request": "true"}) // no token
		assertStatus(t, r, http.StatusForbidden)
		assertContains(t, r, "Skjemaet kunne ikke sendes")
	}
	if h.Store.Revision() != rev {
		t.Error("a refused request wrote to the database")
	}
}

// TestDoorReachesScreen: a check-in through the route moves the counter
// of a screen open on the event (a websocket on loopback) within a
// second, and an undo moves it back.
func TestDoorReachesScreen(t *testing.T) {
	h := newAdminHub(t)
	host := signedIn(t, h, db.RoleHost)
	slug := h.Event.Slug
	kari := signupAs(t, h, "Kari Nordmann", "Elverum Rør AS", db.ShowFirst)
	c := dialScreen(t, h.URL, "?event="+slug)
	if snap := c.next(); !strings.Contains(snap, checkedInCounter("Her nå", 0)) {
		t.Fatalf("snapshot: want nobody here:\n%s", snap)
	}
	assertStatus(t, doorPost(t, host, "/admin/events/"+slug+"/checkins", url.Values{"code": {kari.CheckInCode}}, true), http.StatusOK)
	c.waitFor(time.Second, checkedInCounter("Her nå", 1), "Kari fra Elverum Rør AS har kommet til Frokostmøte")
	assertStatus(t, doorPost(t, host, "/admin/events/"+slug+"/walkins", url.Values{"name": {"Åse"}}, false), http.StatusSeeOther)
	c.waitFor(time.Second, checkedInCounter("Her nå", 2))
	assertStatus(t, doorPost(t, host, "/admin/events/"+slug+"/checkins/undo", url.Values{"signup": {fmt.Sprint(kari.ID)}}, false), http.StatusSeeOther)
	c.waitFor(time.Second, checkedInCounter("Her nå", 1))
}

// doorPages are the door page in its states, for the HTML checker
// (TestValidHTML): a group partly in, a walk-in, a result, a refusal
// without JavaScript, the walk-in form with errors, a search with no
// match.
func doorPages(t *testing.T, h *testHub) map[string]response {
	t.Helper()
	e, err := h.Store.CreateEvent(context.Background(), db.NewEvent{Title: "Frokost ved døra", Kind: db.KindBreakfast,
		StartsAt: h.Event.StartsAt.Add(24 * time.Hour), Capacity: 20})
	if err != nil {
		t.Fatal(err)
	}
	slug := e.Slug
	host := signedIn(t, h, db.RoleHost)
	group := mustSignupAs(t, h, slug, "gruppe@example.no", "Gro Gruppe", 3, "")
	if _, err := h.Store.CheckIn(context.Background(), slug, db.CheckInRequest{SignupID: group.ID, Seats: 1}); err != nil {
		t.Fatal(err)
	}
	checkins := "/admin/events/" + slug + "/checkins"
	in := doorPost(t, host, checkins, url.Values{"signup": {fmt.Sprint(group.ID)}, "seats": {"1"}, "q": {"gro"}}, false)
	walkin := doorPost(t, host, "/admin/events/"+slug+"/walkins", url.Values{"name": {"Åse Uanmeldt"}, "organization": {"Gjest AS"}}, false)
	return map[string]response{
		"admin-door":            host.get(t, "/admin/events/"+slug+"/door"),
		"admin-door-checked-in": host.get(t, in.Header.Get("Location")),
		"admin-door-walkin-en":  host.get(t, walkin.Header.Get("Location")+"&lang=en"),
		"admin-door-refused":    doorPost(t, host, checkins, url.Values{"code": {"2222ZZZZ"}}, false),
		"admin-door-walkin-bad": doorPost(t, host, "/admin/events/"+slug+"/walkins", url.Values{"name": {""}, "email": {"x"}}, false),
		"admin-door-no-match":   host.get(t, "/admin/events/"+slug+"/door?q=ingen"),
	}
}
