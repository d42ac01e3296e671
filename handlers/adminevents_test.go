package handlers_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// inOslo writes t as a datetime-local field holds it.
func inOslo(t time.Time) string { return t.In(db.Oslo).Format("2006-01-02T15:04") }

// skippedHour is 02:30 on the next spring night the clocks skip, a time
// that does not exist in Oslo.
func skippedHour() string {
	d := time.Date(time.Now().Year()+1, time.March, 31, 0, 0, 0, 0, db.Oslo)
	for d.Weekday() != time.Sunday {
		d = d.AddDate(0, 0, -1)
	}
	return d.Format("2006-01-02") + "T02:30"
}

// validEvent is an event form that passes every check.
func validEvent(title string) url.Values {
	starts := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Hour)
	return url.Values{
		"title": {title}, "starts": {inOslo(starts)}, "ends": {inOslo(starts.Add(90 * time.Minute))},
		"place": {"Terningen Arena"}, "capacity": {"40"}, "kind": {"seminar"},
		"description": {"Kaffe og beredskap.\r\n\r\nVelkommen!"},
	}
}

// slugFrom reads the event slug from an edit page's address.
func slugFrom(t *testing.T, r response) string {
	t.Helper()
	m := regexp.MustCompile(`^/admin/events/([^/?]+)\?done=`).FindStringSubmatch(r.Header.Get("Location"))
	if r.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("%s %s: status %d, Location %q; want 303 to an event's edit page\n%s",
			r.Request.Method, r.Request.URL.Path, r.StatusCode, r.Header.Get("Location"), r.Body)
	}
	return m[1]
}

func countEvents(t *testing.T, h *testHub) int {
	t.Helper()
	n := 0
	for _, upcoming := range []bool{true, false} {
		events, err := h.Store.ListEvents(context.Background(), db.EventFilter{Upcoming: upcoming, Drafts: true})
		if err != nil {
			t.Fatal(err)
		}
		n += len(events)
	}
	return n
}

// lastAudit is the newest audit entry of action about subject.
func lastAudit(t *testing.T, h *testHub, action, subject string) db.AuditEntry {
	t.Helper()
	entries, err := h.Store.ListAudit(context.Background(), db.AuditFilter{Action: action, Subject: subject})
	if err != nil || len(entries) == 0 {
		t.Fatalf("no %s of %s in the audit log (%v)", action, subject, err)
	}
	return entries[0]
}

// TestAdminCreateEvent: a published event is on the public list at once
// (the page cache sees the write), a draft is not until published, and
// the audit log has both.
func TestAdminCreateEvent(t *testing.T) {
	h := newAdminHub(t)
	admin := signedIn(t, h, db.RoleAdmin)
	form := admin.get(t, "/admin/events/new")
	assertStatus(t, form, http.StatusOK)
	assertContains(t, form, `id="event-form"`, `type="datetime-local"`, `name="publish"`, `name="csrf"`)

	// Cache the public list first, so a stale cache would show.
	assertStatus(t, h.get(t, "/events"), http.StatusOK)
	f := validEvent("Beredskapsfrokost <b>")
	f.Set("publish", "yes")
	r := admin.post(t, "/admin/events", f)
	slug := slugFrom(t, r)
	e, err := h.Store.EventBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	if e.Title != "Beredskapsfrokost <b>" || e.Capacity != 40 || e.Kind != db.KindSeminar || e.Place != "Terningen Arena" ||
		e.Description != "Kaffe og beredskap.\n\nVelkommen!" || e.EndsAt.Sub(e.StartsAt) != 90*time.Minute ||
		inOslo(e.StartsAt) != f.Get("starts") || e.Status != db.EventPublished {
		t.Errorf("stored %+v", e)
	}
	public := h.get(t, "/events")
	assertContains(t, public, "Beredskapsfrokost &lt;b&gt;", "/events/"+slug)
	page := admin.get(t, r.Header.Get("Location"))
	assertContains(t, page, "Arrangementet er lagret.", `value="Beredskapsfrokost &lt;b&gt;"`, `data-event-status="published"`)
	if a := lastAudit(t, h, "event.create", slug); a.Actor != "admin@example.no" || !strings.Contains(a.After, `"status":"published"`) {
		t.Errorf("audit %+v", a)
	}

	// A draft: on the back office's list, marked, and not public until
	// published.
	r = admin.post(t, "/admin/events", validEvent("Utkast til seminar"))
	draft := slugFrom(t, r)
	if strings.Contains(h.get(t, "/events").Body, "Utkast til seminar") {
		t.Error("a draft is on the public list")
	}
	list := admin.get(t, "/admin/events")
	assertContains(t, list, `id="event-`+draft+`" data-event-status="draft"`, "Utkast til seminar", "Utkast</span>")
	r = admin.post(t, "/admin/events/"+draft+"/publish", url.Values{})
	assertStatus(t, r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != "/admin/events/"+draft+"?done=published" {
		t.Errorf("publish led to %s", loc)
	}
	assertContains(t, h.get(t, "/events"), "Utkast til seminar")
	if a := lastAudit(t, h, "event.status", draft); a.Before != `{"status":"draft"}` || a.After != `{"status":"published"}` {
		t.Errorf("audit of publishing: %s → %s", a.Before, a.After)
	}
}

// TestAdminCreateEventInvalid: each bad field is marked, what was typed is
// kept, and nothing is stored.
func TestAdminCreateEventInvalid(t *testing.T) {
	h := newAdminHub(t)
	admin := signedIn(t, h, db.RoleAdmin)
	before := countEvents(t, h)
	past := inOslo(time.Now().Add(-48 * time.Hour))
	for _, c := range []struct {
		name, field, value, want string
		kept                     bool // the value is shown back
	}{
		{"no title", "title", "", "Gi arrangementet en tittel.", false},
		{"long title", "title", strings.Repeat("x", 151), "Tittelen kan ha høyst 150 tegn.", true},
		{"title with a line break", "title", "To\nlinjer", "Teksten må stå på én linje", false},
		{"no start", "starts", "", "Skriv når arrangementet starter.", false},
		{"not a time", "starts", "3. desember", "Skriv en gyldig dato og et gyldig klokkeslett.", false},
		{"skipped spring hour", "starts", skippedHour(), "klokken stilles en time fram til sommertid", true},
		{"start passed", "starts", past, "Det tidspunktet er passert.", true},
		{"ends before start", "ends", inOslo(time.Now().Add(24 * time.Hour)), "Arrangementet kan ikke slutte før det starter.", true},
		{"no capacity", "capacity", "", "Skriv hvor mange plasser det er.", false},
		{"negative capacity", "capacity", "-5", "Skriv antall plasser som et helt tall", true},
		{"capacity not a number", "capacity", "førti", "Skriv antall plasser som et helt tall", true},
		{"huge capacity", "capacity", "99999999999999999999", "Skriv et tall på høyst 10 000.", true},
		{"unknown kind", "kind", "party", "Velg hva slags arrangement det er.", false},
		{"long place", "place", strings.Repeat("y", 151), "Stedet kan ha høyst 150 tegn.", true},
		{"long description", "description", strings.Repeat("z", 5001), "Beskrivelsen kan ha høyst 5000 tegn.", false},
		{"control character", "description", "Hei\x07", "Teksten inneholder tegn som ikke kan lagres", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := validEvent("Frokost på Terningen")
			f.Set(c.field, c.value)
			r := admin.post(t, "/admin/events", f)
			assertStatus(t, r, http.StatusUnprocessableEntity)
			assertContains(t, r, c.want, `id="error-summary"`, `href="#`+c.field+`"`)
			// The other fields are kept as typed.
			if c.field != "title" {
				assertContains(t, r, `value="Frokost på Terningen"`)
			}
			if c.field != "place" {
				assertContains(t, r, `value="Terningen Arena"`)
			}
			if !regexp.MustCompile(`id="` + c.field + `"[^>]*aria-invalid="true"[^>]*aria-describedby="` + c.field + `-error`).MatchString(r.Body) {
				t.Errorf("the %s field is not marked invalid and tied to its message", c.field)
			}
			if c.kept && !strings.Contains(r.Body, c.value) {
				t.Errorf("the typed %s %q is not shown back", c.field, c.value)
			}
			if n := countEvents(t, h); n != before {
				t.Fatalf("%d events after a refused form, want %d", n, before)
			}
		})
	}
}

// TestAdminEditEvent: the form holds the event's values; raising the
// capacity moves the waiting list up; a refused edit changes nothing;
// the audit log has what changed, before and after.
func TestAdminEditEvent(t *testing.T) {
	h := newAdminHub(t)
	admin := signedIn(t, h, db.RoleAdmin)
	ctx := context.Background()
	slug := h.Event.Slug
	for i, seats := range []int{5, 5, 2, 3} { // 10 seats: the last two wait
		mustSignupAs(t, h, slug, fmt.Sprintf("p%d@example.no", i), fmt.Sprintf("Person %d", i), seats, "")
	}
	page := admin.get(t, "/admin/events/"+slug)
	assertStatus(t, page, http.StatusOK)
	assertContains(t, page, `value="Frokostmøte"`, `value="`+inOslo(h.Event.StartsAt)+`"`, `value="10"`,
		`<option value="breakfast" selected>`, `id="copy-form"`, "/admin/events/"+slug+"/cancel")

	f := url.Values{"title": {"Frokostmøte om beredskap"}, "starts": {inOslo(h.Event.StartsAt)}, "ends": {inOslo(h.Event.EndsAt)},
		"place": {"Terningen Arena"}, "capacity": {"13"}, "kind": {"breakfast"}, "description": {""}}
	r := admin.post(t, "/admin/events/"+slug, f)
	assertStatus(t, r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != "/admin/events/"+slug+"?done=saved" {
		t.Errorf("saved, then to %s", loc)
	}
	a, err := h.Store.Attendees(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	if a.Event.Title != "Frokostmøte om beredskap" || a.Capacity != 13 || a.ConfirmedSeats != 12 || len(a.Waiting) != 1 || a.Waiting[0].Name != "Person 3" {
		t.Errorf("after raising to 13: %q, %d seats, %d confirmed, waiting %d", a.Event.Title, a.Capacity, a.ConfirmedSeats, len(a.Waiting))
	}
	if e := lastAudit(t, h, "event.update", slug); e.Before != `{"capacity":10,"title":"Frokostmøte"}` ||
		e.After != `{"capacity":13,"title":"Frokostmøte om beredskap"}` || e.Actor != "admin@example.no" {
		t.Errorf("audit: %s → %s by %s", e.Before, e.After, e.Actor)
	}

	// Below the confirmed seats: refused on the field, nothing changed.
	f.Set("capacity", "5")
	f.Set("place", "Rådhuset")
	r = admin.post(t, "/admin/events/"+slug, f)
	assertStatus(t, r, http.StatusUnprocessableEntity)
	assertContains(t, r, "Antall plasser kan ikke være lavere enn antall bekreftede plasser.", `value="Rådhuset"`, `value="5"`)
	if e, _ := h.Store.EventBySlug(ctx, slug); e.Capacity != 13 || e.Place != "Terningen Arena" {
		t.Errorf("a refused edit changed the event: %d seats at %s", e.Capacity, e.Place)
	}

	// Moving only the start keeps the length.
	moved := h.Event.StartsAt.Add(7 * 24 * time.Hour)
	f.Set("capacity", "13")
	f.Set("place", "Terningen Arena")
	f.Set("starts", inOslo(moved))
	assertStatus(t, admin.post(t, "/admin/events/"+slug, f), http.StatusSeeOther)
	if e, _ := h.Store.EventBySlug(ctx, slug); !e.StartsAt.Equal(moved) || e.EndsAt.Sub(e.StartsAt) != h.Event.EndsAt.Sub(h.Event.StartsAt) {
		t.Errorf("moved to %v–%v", e.StartsAt, e.EndsAt)
	}
	assertStatus(t, admin.get(t, "/admin/events/no-such-event"), http.StatusNotFound)
}

// mustSignupAs signs someone up through the store.
func mustSignupAs(t *testing.T, h *testHub, slug, email, name string, seats int, diet string) *db.Signup {
	t.Helper()
	su, err := h.Store.CreateSignup(context.Background(), slug, db.NewSignup{Name: name, Email: email, Seats: seats,
		Diet: diet, Organization: "Sykehuset Innlandet", ShowName: db.ShowNone})
	if err != nil {
		t.Fatal(err)
	}
	return su
}

// TestAdminDuplicateEvent: the copy keeps everything but the date, is a
// draft, and its edit page comes next.
func TestAdminDuplicateEvent(t *testing.T) {
	h := newAdminHub(t)
	admin := signedIn(t, h, db.RoleAdmin)
	ctx := context.Background()
	f := validEvent("Frokost i mars")
	f.Set("publish", "yes")
	orig, err := h.Store.EventBySlug(ctx, slugFrom(t, admin.post(t, "/admin/events", f)))
	if err != nil {
		t.Fatal(err)
	}
	mustSignupAs(t, h, orig.Slug, "kari@example.no", "Kari", 2, "")

	next := orig.StartsAt.AddDate(0, 1, 0)
	r := admin.post(t, "/admin/events/"+orig.Slug+"/duplicate", url.Values{"starts": {inOslo(next)}})
	copySlug := slugFrom(t, r)
	if copySlug == orig.Slug || !strings.HasSuffix(r.Header.Get("Location"), "?done=duplicated") {
		t.Fatalf("duplicate led to %s", r.Header.Get("Location"))
	}
	cp, err := h.Store.AnyEventBySlug(ctx, copySlug)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Title != orig.Title || cp.Description != orig.Description || cp.Kind != orig.Kind || cp.Place != orig.Place ||
		cp.Capacity != orig.Capacity || cp.EndsAt.Sub(cp.StartsAt) != orig.EndsAt.Sub(orig.StartsAt) {
		t.Errorf("the copy %+v\ndiffers from %+v", cp, orig)
	}
	if !cp.StartsAt.Equal(next) || cp.Status != db.EventDraft || cp.SeatsTaken != 0 {
		t.Errorf("the copy starts %v, is %s with %d seats taken; want %v, a draft, none", cp.StartsAt, cp.Status, cp.SeatsTaken, next)
	}
	assertContains(t, admin.get(t, r.Header.Get("Location")), "Kopien er lagret som utkast.", `data-event-status="draft"`)
	if a := lastAudit(t, h, "event.duplicate", copySlug); !strings.Contains(a.After, `"from":"`+orig.Slug+`"`) {
		t.Errorf("audit after: %s", a.After)
	}

	before := countEvents(t, h)
	for value, want := range map[string]string{
		"":                                 "Skriv når arrangementet starter.",
		inOslo(time.Now().Add(-time.Hour)): "Det tidspunktet er passert.",
		skippedHour():                      "sommertid",
		"neste måned":                      "Skriv en gyldig dato",
	} {
		r := admin.post(t, "/admin/events/"+orig.Slug+"/duplicate", url.Values{"starts": {value}})
		assertStatus(t, r, http.StatusUnprocessableEntity)
		assertContains(t, r, want, `id="copy-starts"`, `aria-invalid="true"`, `href="#copy-starts"`)
	}
	if n := countEvents(t, h); n != before {
		t.Errorf("%d events after refused copies, want %d", n, before)
	}
}

// TestAdminCancelAndDeleteEvent: both ask first (without JavaScript: a
// page, then the confirmed POST); only a draft can be deleted.
func TestAdminCancelAndDeleteEvent(t *testing.T) {
	h := newAdminHub(t)
	admin := signedIn(t, h, db.RoleAdmin)
	ctx := context.Background()
	slug := h.Event.Slug

	ask := admin.get(t, "/admin/events/"+slug+"/cancel")
	assertStatus(t, ask, http.StatusOK)
	assertContains(t, ask, "Avlyse «Frokostmøte»?", `name="confirm" value="yes"`)
	r := admin.post(t, "/admin/events/"+slug+"/cancel", url.Values{})
	assertStatus(t, r, http.StatusUnprocessableEntity)
	if e, _ := h.Store.EventBySlug(ctx, slug); e.Status != db.EventPublished {
		t.Fatal("cancelled without confirm=yes")
	}
	r = admin.post(t, "/admin/events/"+slug+"/cancel", url.Values{"confirm": {"yes"}})
	assertStatus(t, r, http.StatusSeeOther)
	if e, _ := h.Store.EventBySlug(ctx, slug); e.Status != db.EventCancelled {
		t.Fatalf("status %s after cancelling", e.Status)
	}
	assertContains(t, h.get(t, "/events/"+slug), `data-event-status="cancelled"`)
	if a := lastAudit(t, h, "event.status", slug); a.After != `{"status":"cancelled"}` {
		t.Errorf("audit after %s", a.After)
	}

	// A published (here: cancelled) event cannot be deleted.
	r = admin.post(t, "/admin/events/"+slug+"/delete", url.Values{"confirm": {"yes"}})
	assertStatus(t, r, http.StatusConflict)
	assertContains(t, r, "Bare utkast kan slettes.")
	if _, err := h.Store.AnyEventBySlug(ctx, slug); err != nil {
		t.Fatal("the event was deleted")
	}

	draft := slugFrom(t, admin.post(t, "/admin/events", validEvent("Et utkast")))
	assertContains(t, admin.get(t, "/admin/events/"+draft), "/admin/events/"+draft+"/delete")
	assertContains(t, admin.get(t, "/admin/events/"+draft+"/delete"), "Slette «Et utkast»?")
	assertStatus(t, admin.post(t, "/admin/events/"+draft+"/delete", url.Values{}), http.StatusUnprocessableEntity)
	r = admin.post(t, "/admin/events/"+draft+"/delete", url.Values{"confirm": {"yes"}})
	assertStatus(t, r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != "/admin/events?done=deleted" {
		t.Errorf("deleted, then to %s", loc)
	}
	if _, err := h.Store.AnyEventBySlug(ctx, draft); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("the draft is still there: %v", err)
	}
	if a := lastAudit(t, h, "event.delete", draft); !strings.Contains(a.Before, `"title":"Et utkast"`) || a.After != "" {
		t.Errorf("audit %s → %s", a.Before, a.After)
	}
	assertContains(t, admin.get(t, "/admin/events?done=deleted"), "Utkastet er slettet.")
}

// TestAdminAttendees: the list shows the diets summed for the kitchen and
// the waiting list in order; hosts read it but change nothing.
func TestAdminAttendees(t *testing.T) {
	h := newAdminHub(t)
	admin := signedIn(t, h, db.RoleAdmin)
	host := signedIn(t, h, db.RoleHost)
	slug := h.Event.Slug
	mustSignupAs(t, h, slug, "a@example.no", "Anne", 3, "Vegetar")
	mustSignupAs(t, h, slug, "b@example.no", "Bjørn <script>", 2, " vegetar ")
	mustSignupAs(t, h, slug, "c@example.no", "Cecilie", 4, "Glutenfri")
	w1 := mustSignupAs(t, h, slug, "d@example.no", "Dag", 2, "Laktosefri")
	w2 := mustSignupAs(t, h, slug, "e@example.no", "Eva", 2, "")

	r := admin.get(t, "/admin/events/"+slug+"/attendees")
	assertStatus(t, r, http.StatusOK)
	assertContains(t, r, `data-confirmed-seats="9"`, `data-waiting-seats="4"`,
		`<tr data-diet-seats="5"><td>Vegetar</td><td class="num">5</td></tr>`,
		`<tr data-diet-seats="4"><td>Glutenfri</td><td class="num">4</td></tr>`,
		"Bjørn &lt;script&gt;", "/attendees.csv", fmt.Sprintf("/attendees/%d/move", w1.ID))
	if strings.Contains(r.Body, "Laktosefri</td>") {
		t.Error("the waiting list's diet is summed for the kitchen")
	}
	if strings.Index(r.Body, `data-waiting-position="1"`) > strings.Index(r.Body, `data-waiting-position="2"`) ||
		!regexp.MustCompile(`id="signup-`+fmt.Sprint(w1.ID)+`"[^>]*data-waiting-position="1"`).MatchString(r.Body) {
		t.Error("the waiting list is not in its order")
	}

	hr := host.get(t, "/admin/events/"+slug+"/attendees")
	assertStatus(t, hr, http.StatusOK)
	assertContains(t, hr, "Dag", "Vegetar")
	if strings.Contains(hr.Body, "/move") || strings.Contains(hr.Body, "Meld av") || strings.Contains(hr.Body, `href="/admin/events/`+slug+`"`) {
		t.Error("a host is offered changes")
	}
	assertContains(t, host.get(t, "/admin/events"), "/admin/events/"+slug+"/attendees")
	for _, path := range []string{"/admin/events/" + slug, "/admin/events/new"} {
		assertStatus(t, host.get(t, path), http.StatusForbidden)
	}
	for _, path := range []string{"/admin/events/" + slug, "/admin/events", "/admin/events/" + slug + "/cancel",
		fmt.Sprintf("/admin/events/%s/attendees/%d/move", slug, w2.ID)} {
		assertStatus(t, host.post(t, path, url.Values{"confirm": {"yes"}, "position": {"1"}, "title": {"x"}}), http.StatusForbidden)
	}
	if a, _ := h.Store.Attendees(context.Background(), slug); a.Event.Status != db.EventPublished || a.Waiting[0].ID != w1.ID {
		t.Error("a host's refused request changed something")
	}
}

// TestAdminMoveAndCancelSignup: moving on the waiting list (with and
// without htmx) and cancelling with a reason go to the history and the
// audit log; the waiting list moves up into freed seats.
func TestAdminMoveAndCancelSignup(t *testing.T) {
	h := newAdminHub(t)
	admin := signedIn(t, h, db.RoleAdmin)
	ctx := context.Background()
	slug := h.Event.Slug
	confirmed := mustSignupAs(t, h, slug, "a@example.no", "Anne", 5, "")
	mustSignupAs(t, h, slug, "b@example.no", "Bjørn", 5, "")
	w1 := mustSignupAs(t, h, slug, "c@example.no", "Cecilie", 5, "")
	w2 := mustSignupAs(t, h, slug, "d@example.no", "Dag", 1, "")
	movePath := fmt.Sprintf("/admin/events/%s/attendees/%d/move", slug, w2.ID)

	r := admin.post(t, movePath, url.Values{"position": {"1"}})
	assertStatus(t, r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != "/admin/events/"+slug+"/attendees?done=moved#waiting-title" {
		t.Errorf("moved, then to %s", loc)
	}
	a, _ := h.Store.Attendees(ctx, slug)
	if a.Waiting[0].ID != w2.ID || a.Waiting[1].ID != w1.ID {
		t.Fatalf("waiting list %d, %d after moving Dag up", a.Waiting[0].ID, a.Waiting[1].ID)
	}
	history, _ := h.Store.SignupHistory(ctx, w2.ID)
	if last := history[len(history)-1]; last.Reason != db.ReasonMoved || last.Note != "2 → 1" || last.Actor != "admin@example.no" {
		t.Errorf("history %+v", last)
	}
	if e := lastAudit(t, h, "signup.move", fmt.Sprintf("%s/%d", slug, w2.ID)); e.Before != `{"position":2}` || e.After != `{"position":1}` {
		t.Errorf("audit %s → %s", e.Before, e.After)
	}

	// htmx: the waiting list alone, in its new order, the pressed button's
	// id kept.
	dash := admin.get(t, "/admin")
	hx := map[string]string{"HX-Request": "true", "X-CSRF-Token": token(t, dash)}
	r = admin.do(t, http.MethodPost, movePath, url.Values{"position": {"2"}}, hx)
	assertStatus(t, r, http.StatusOK)
	if strings.Contains(r.Body, "<!DOCTYPE") || !strings.HasPrefix(strings.TrimSpace(r.Body), `<section aria-labelledby="waiting-title" id="waiting">`) {
		t.Fatalf("htmx got more than the waiting list:\n%s", r.Body)
	}
	assertContains(t, r, "Ventelisten er endret.", fmt.Sprintf(`id="up-%d"`, w2.ID))
	if strings.Index(r.Body, "Cecilie") > strings.Index(r.Body, "Dag") {
		t.Error("the fragment is not in the new order")
	}
	// Refused moves: outside the line, and someone confirmed.
	r = admin.do(t, http.MethodPost, movePath, url.Values{"position": {"9"}}, hx)
	assertStatus(t, r, http.StatusUnprocessableEntity)
	assertContains(t, r, "Velg et nummer som finnes på ventelisten.")
	r = admin.post(t, fmt.Sprintf("/admin/events/%s/attendees/%d/move", slug, confirmed.ID), url.Values{"position": {"1"}})
	assertStatus(t, r, http.StatusConflict)
	assertContains(t, r, "Påmeldingen står ikke lenger på ventelisten.", "<!DOCTYPE html>")
	assertStatus(t, admin.post(t, fmt.Sprintf("/admin/events/%s/attendees/abc/move", slug), url.Values{"position": {"1"}}), http.StatusNotFound)

	// Cancel Anne with a reason: Cecilie (first in line, 5 seats) moves up.
	cancelPath := fmt.Sprintf("/admin/events/%s/attendees/%d/cancel", slug, confirmed.ID)
	page := admin.get(t, cancelPath)
	assertStatus(t, page, http.StatusOK)
	assertContains(t, page, "Melde av Anne?", `name="reason"`)
	r = admin.post(t, cancelPath, url.Values{"reason": {"  "}})
	assertStatus(t, r, http.StatusUnprocessableEntity)
	assertContains(t, r, "Skriv hvorfor du melder av deltakeren.", `aria-invalid="true"`, `id="error-summary"`)
	r = admin.post(t, cancelPath, url.Values{"reason": {"Ringte og meldte forfall."}})
	assertStatus(t, r, http.StatusSeeOther)
	a, _ = h.Store.Attendees(ctx, slug)
	if len(a.Confirmed) != 2 || a.Confirmed[1].ID != w1.ID || len(a.Waiting) != 1 {
		t.Errorf("after cancelling Anne: %d confirmed, %d waiting; want Cecilie confirmed", len(a.Confirmed), len(a.Waiting))
	}
	history, _ = h.Store.SignupHistory(ctx, confirmed.ID)
	if last := history[len(history)-1]; last.ToStatus != db.StatusCancelled || last.Note != "Ringte og meldte forfall." || last.Actor != "admin@example.no" {
		t.Errorf("history %+v", last)
	}
	if e := lastAudit(t, h, "signup.cancel", fmt.Sprintf("%s/%d", slug, confirmed.ID)); !strings.Contains(e.After, `"reason":"Ringte og meldte forfall."`) {
		t.Errorf("audit after %s", e.After)
	}
	// Cancelled: no longer on the list, so not found there.
	assertStatus(t, admin.get(t, cancelPath), http.StatusNotFound)
	assertContains(t, admin.get(t, "/admin/events/"+slug+"/attendees?done=signup_cancelled"), "Personen er avmeldt.")
}

// TestAdminAttendeesCSV: UTF-8 with a byte-order mark, the reader's
// separator, quoted, and formulas neutralised.
func TestAdminAttendeesCSV(t *testing.T) {
	h := newAdminHub(t)
	host := signedIn(t, h, db.RoleHost)
	slug := h.Event.Slug
	mustSignupAs(t, h, slug, "a@example.no", "=HYPERLINK(\"http://x\";\"klikk\")", 2, "Vegetar; ingen nøtter\nog melk")
	mustSignupAs(t, h, slug, "b@example.no", "Ærlige Øystein Åsen", 5, "@SUM(1)")
	mustSignupAs(t, h, slug, "c@example.no", "-Per", 5, "")

	r := host.get(t, "/admin/events/"+slug+"/attendees.csv")
	assertStatus(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename=deltakere-`+slug+`.csv` {
		t.Errorf("Content-Disposition %q", cd)
	}
	if !strings.HasPrefix(r.Body, "\ufeff") {
		t.Fatal("no byte-order mark")
	}
	cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.Body, "\ufeff")))
	cr.Comma = ';'
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("%v\n%s", err, r.Body)
	}
	want := [][]string{
		{"Status", "Nummer på ventelisten", "Navn", "Virksomhet", "Plasser", "Allergier og kosthold"},
		{"bekreftet", "", `'=HYPERLINK("http://x";"klikk")`, "Sykehuset Innlandet", "2", "Vegetar; ingen nøtter\nog melk"},
		{"bekreftet", "", "Ærlige Øystein Åsen", "Sykehuset Innlandet", "5", "'@SUM(1)"},
		{"venteliste", "1", "'-Per", "Sykehuset Innlandet", "5", ""},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("rows\n got %q\nwant %q", rows, want)
	}
	if !strings.Contains(r.Body, "\r\n") || strings.Contains(r.Body, "a@example.no") {
		t.Error("not CRLF, or contact details in the file")
	}
	// In English: English headings, still semicolons (the spreadsheet is
	// Norwegian whatever language the back office is read in).
	en := host.get(t, "/admin/events/"+slug+"/attendees.csv?lang=en")
	if !strings.Contains(en.Body, "Status;Place in line;Name") {
		t.Errorf("English header: %q", strings.SplitN(en.Body, "\n", 2)[0])
	}
}

// TestAdminEventsCSRF: an event form without its token is refused and
// stores nothing.
func TestAdminEventsCSRF(t *testing.T) {
	h := newAdminHub(t)
	admin := signedIn(t, h, db.RoleAdmin)
	before := countEvents(t, h)
	for _, path := range []string{"/admin/events", "/admin/events/" + h.Event.Slug + "/cancel"} {
		f := validEvent("Uten token")
		f.Set("confirm", "yes")
		r := admin.do(t, http.MethodPost, path, f, nil)
		assertStatus(t, r, http.StatusForbidden)
		assertContains(t, r, "Skjemaet kunne ikke sendes")
	}
	if n := countEvents(t, h); n != before {
		t.Error("an event was stored without a CSRF token")
	}
	if e, _ := h.Store.EventBySlug(context.Background(), h.Event.Slug); e.Status != db.EventPublished {
		t.Error("cancelled without a CSRF token")
	}
}

// eventAdminPages are the event pages of the back office in their states,
// for the HTML checker (TestValidHTML).
func eventAdminPages(t *testing.T, h *testHub) map[string]response {
	t.Helper()
	admin := signedIn(t, h, db.RoleAdmin)
	host := signedIn(t, h, db.RoleHost)
	slug := h.Event.Slug
	mustSignupAs(t, h, slug, "v1@example.no", "Vera", 5, "Vegetar")
	mustSignupAs(t, h, slug, "v2@example.no", "Viggo", 4, "Glutenfri\nog laktosefri")
	w := mustSignupAs(t, h, slug, "v3@example.no", "Vilde", 3, "")
	mustSignupAs(t, h, slug, "v4@example.no", "Vidar", 2, "")
	draft := slugFrom(t, admin.post(t, "/admin/events", validEvent("Utkast")))
	bad := validEvent("")
	bad.Set("starts", skippedHour())
	bad.Set("capacity", "mange")
	return map[string]response{
		"admin-events":          admin.get(t, "/admin/events"),
		"admin-events-host":     host.get(t, "/admin/events?lang=en"),
		"admin-event-new":       admin.get(t, "/admin/events/new"),
		"admin-event-new-bad":   admin.post(t, "/admin/events", bad),
		"admin-event":           admin.get(t, "/admin/events/"+slug+"?done=saved"),
		"admin-event-draft":     admin.get(t, "/admin/events/"+draft+"?lang=en"),
		"admin-event-copy-bad":  admin.post(t, "/admin/events/"+slug+"/duplicate", url.Values{"starts": {"x"}}),
		"admin-event-cancel":    admin.post(t, "/admin/events/"+slug+"/cancel", url.Values{}),
		"admin-event-delete":    admin.get(t, "/admin/events/"+draft+"/delete"),
		"admin-attendees":       admin.get(t, "/admin/events/"+slug+"/attendees?done=moved"),
		"admin-attendees-host":  host.get(t, "/admin/events/"+slug+"/attendees"),
		"admin-attendee-cancel": admin.post(t, fmt.Sprintf("/admin/events/%s/attendees/%d/cancel", slug, w.ID), url.Values{"reason": {""}}),
	}
}
