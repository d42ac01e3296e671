package handlers_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// numbersHub is a hub with figures to show, worked out by hand:
//
//   - a breakfast held a week ago (10 seats): `=HYPERLINK("http://x")` of
//     "+47 912 34 567", 2 seats, checked in; "Ærlige Østlendinger" of the
//     same name, 1 seat, not checked in (a no-show); a walk-in "-Walker"
//     of "@Firma". Turnout 2 of 3 seats: 66 % (rounded down).
//   - the hub's own breakfast in three days (10 seats), 8 taken: 80 %.
//
// It returns the hub and the slug of the breakfast held.
func numbersHub(t *testing.T) (*testHub, string) {
	t.Helper()
	h := newAdminHub(t)
	ctx := context.Background()
	now := time.Now()
	// The signups were made while the breakfast was still ahead, by a
	// store whose clock is set back (the hub's own keeps running).
	earlier, err := db.Open(ctx, h.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	defer earlier.Close()
	earlier.Now = func() time.Time { return now.Add(-10 * 24 * time.Hour) }
	held, err := earlier.CreateEvent(ctx, db.NewEvent{Title: "Frokost for Ærlige", Kind: db.KindBreakfast,
		StartsAt: now.Add(-7 * 24 * time.Hour).Truncate(time.Minute), Capacity: 10})
	if err != nil {
		t.Fatal(err)
	}
	formula, err := earlier.CreateSignup(ctx, held.Slug, db.NewSignup{Name: `=HYPERLINK("http://x")`, Email: "x@example.no",
		Phone: "91234567", Organization: "+47 912 34 567", Seats: 2, ShowName: db.ShowNone})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := earlier.CreateSignup(ctx, held.Slug, db.NewSignup{Name: "Ærlige Østlendinger", Email: "aerlig@example.no",
		Organization: "Ærlige Østlendinger", Seats: 1, ShowName: db.ShowNone}); err != nil {
		t.Fatal(err)
	}
	earlier.Now = func() time.Time { return held.StartsAt.Add(5 * time.Minute) }
	if _, err := earlier.CheckIn(ctx, held.Slug, db.CheckInRequest{SignupID: formula.ID}); err != nil {
		t.Fatal(err)
	}
	earlier.Now = func() time.Time { return held.StartsAt.Add(12 * time.Minute) }
	if _, err := earlier.AddWalkIn(ctx, held.Slug, db.NewWalkIn{Name: "-Walker", Organization: "@Firma", Email: "walker@example.no"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	for i, seats := range []int{5, 3} {
		mustSignupAs(t, h, h.Event.Slug, fmt.Sprintf("p%d@example.no", i), fmt.Sprintf("Person %d", i), seats, "")
	}
	return h, held.Slug
}

// TestAdminDashboardNumbers: the figures, the charts and their tables, and
// the capacity alert reach every organiser, in both languages; what each
// role may follow from them differs.
func TestAdminDashboardNumbers(t *testing.T) {
	h, held := numbersHub(t)
	slug := h.Event.Slug

	admin := signedIn(t, h, db.RoleAdmin)
	r := admin.get(t, "/admin")
	assertStatus(t, r, http.StatusOK)
	assertContains(t, r,
		`data-events-held="1"`, `data-no-shows="1"`, `data-walk-ins="1"`,
		"66\u00a0%", "2 av 3 bekreftede plasser sjekket inn",
		`data-capacity-alert="80"`, "Nesten fullt", `<a href="/admin/events/`+slug+`">Frokostmøte</a>`, "8 av 10 plasser tatt (80\u00a0%)",
		`<tr data-event="`+held+`" data-turnout="66"`, "1 (1 plass)",
		`<th scope="row">&#43;47 912 34 567</th>`, `<th scope="row">Ærlige Østlendinger</th>`,
		`<th scope="row">Frokostmøte</th>`, // upcoming, in the per-event table
		"Påmeldinger per uke", "Oppmøte per arrangement", "Ideer per status", "Virksomhetene som kommer oftest",
		`href="/admin/events/`+held+`/checkins.csv"`, `id="export-form"`, `action="/admin/export/signups.csv"`,
	)
	// The charts are pictures of the tables: hidden from assistive
	// technology, one table per chart, and no style attribute (the CSP).
	if n, tables := strings.Count(r.Body, `<svg class="chart`), strings.Count(r.Body, `<table class="figures">`); n != 5 || tables != 6 {
		t.Errorf("%d charts and %d tables, want 5 charts and 6 tables (one per chart, and the organisations)", n, tables)
	}
	if strings.Count(r.Body, `aria-hidden="true">`) < 5 || strings.Contains(r.Body, "style=") {
		t.Error("a chart is not aria-hidden, or the page has a style attribute")
	}
	// Names are not on the dashboard: only organisations.
	if strings.Contains(r.Body, "HYPERLINK") {
		t.Error("a person's name is on the dashboard")
	}

	en := admin.get(t, "/admin?lang=en")
	assertContains(t, en, "66%", "2 of 3 confirmed seats checked in", "Nearly full", "8 of 10 seats taken (80%)",
		"Signups per week", "Turnout per event", "Ideas by status", "The businesses that come most often", "Download signups")

	// A host sees the numbers, follows an alert to the attendee list and
	// may take an event's check-in record, not the period's signups.
	host := signedIn(t, h, db.RoleHost).get(t, "/admin")
	assertStatus(t, host, http.StatusOK)
	assertContains(t, host, `data-turnout="66"`, `<a href="/admin/events/`+slug+`/attendees">Frokostmøte</a>`,
		`href="/admin/events/`+held+`/checkins.csv"`)
	if strings.Contains(host.Body, "export-form") {
		t.Error("a host is offered the period's signups")
	}
	// A moderator sees them too, and is sent to the public page.
	mod := signedIn(t, h, db.RoleModerator).get(t, "/admin?lang=en")
	assertStatus(t, mod, http.StatusOK)
	assertContains(t, mod, `data-turnout="66"`, `<a href="/events/`+slug+`">Frokostmøte</a>`)
	if strings.Contains(mod.Body, "checkins.csv") || strings.Contains(mod.Body, "export-form") {
		t.Error("a moderator is offered an export")
	}
}

// readCSV checks a CSV answer's form (a byte-order mark, CRLF, the
// filename) and reads it with ';' between cells, as a Norwegian
// spreadsheet does.
func readCSV(t *testing.T, r response, filename string) [][]string {
	t.Helper()
	assertStatus(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); cd != "attachment; filename="+filename {
		t.Errorf("Content-Disposition %q, want the file %s", cd, filename)
	}
	if !strings.HasPrefix(r.Body, "\ufeff") || !strings.Contains(r.Body, "\r\n") {
		t.Fatal("no byte-order mark, or not CRLF")
	}
	cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.Body, "\ufeff")))
	cr.Comma = ';'
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("%v\n%s", err, r.Body)
	}
	return rows
}

// TestAdminExportSignups: the period's signups round-trip through
// encoding/csv with formulas neutralised and Norwegian letters kept, and
// without contact details; a period it cannot read is 422 with the form.
func TestAdminExportSignups(t *testing.T) {
	h, _ := numbersHub(t)
	admin := signedIn(t, h, db.RoleAdmin)
	day := func(d time.Duration) string { return time.Now().Add(d).In(db.Oslo).Format(time.DateOnly) }
	from, to := day(-8*24*time.Hour), day(-6*24*time.Hour)
	r := admin.get(t, "/admin/export/signups.csv?from="+from+"&to="+to)
	rows := readCSV(t, r, "pameldinger-"+from+"-til-"+to+".csv")
	heldDay := day(-7 * 24 * time.Hour)
	for i := range rows[1:] {
		rows[i+1][7] = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d$`).ReplaceAllString(rows[i+1][7], "(time)")
	}
	want := [][]string{
		{"Arrangement", "Dato", "Navn", "Virksomhet", "Plasser", "Status", "Sjekket inn", "Meldte seg på"},
		{"Frokost for Ærlige", heldDay, `'=HYPERLINK("http://x")`, "'+47 912 34 567", "2", "bekreftet", "2", "(time)"},
		{"Frokost for Ærlige", heldDay, "Ærlige Østlendinger", "Ærlige Østlendinger", "1", "bekreftet", "0", "(time)"},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("rows\n got %q\nwant %q", rows, want)
	}
	for _, secret := range []string{"x@example.no", "aerlig@example.no", "91234567", "912 34 567\";"} {
		if strings.Contains(r.Body, secret) {
			t.Errorf("the export carries contact details: %q", secret)
		}
	}
	// The upcoming breakfast is not in that period; this year's is the default.
	if strings.Contains(r.Body, "Person 0") {
		t.Error("an event outside the period is in the file")
	}
	assertStatus(t, admin.get(t, "/admin/export/signups.csv"), http.StatusOK)

	for _, c := range []struct{ query, message string }{
		{"from=2026-02-30&to=2026-03-01", "Skriv datoen som år-måned-dag, for eksempel 2026-03-31."},
		{"from=01.03.2026&to=", "Skriv datoen som år-måned-dag, for eksempel 2026-03-31."},
		{"from=2026-04-01&to=2026-03-31", "Perioden kan ikke slutte før den begynner."},
	} {
		r := admin.get(t, "/admin/export/signups.csv?"+c.query)
		assertStatus(t, r, http.StatusUnprocessableEntity)
		assertContains(t, r, c.message, `id="error-summary"`, `aria-invalid="true"`, `id="export-form"`, `data-turnout="66"`)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("%s: Content-Type %q, want the dashboard", c.query, ct)
		}
	}
	// What was typed is kept, as far as a date field can hold it.
	assertContains(t, admin.get(t, "/admin/export/signups.csv?from=2026-04-01&to=2026-03-31"), `value="2026-04-01"`, `value="2026-03-31"`)
	assertContains(t, admin.get(t, "/admin/export/signups.csv?from=01.03.2026&to=2026-03-31"), `id="from" name="from" type="date" value=""`, `value="2026-03-31"`)
	en := admin.get(t, "/admin/export/signups.csv?from=x&to=2026-03-31&lang=en")
	assertStatus(t, en, http.StatusUnprocessableEntity)
	assertContains(t, en, "Write the date as year-month-day")

	// Only admins: a host's work is one event's door.
	assertStatus(t, signedIn(t, h, db.RoleHost).get(t, "/admin/export/signups.csv?from="+from+"&to="+to), http.StatusForbidden)
}

// TestAdminExportCheckIns: an event's check-in record, in order of
// arrival, walk-ins included, neutralised, for hosts too.
func TestAdminExportCheckIns(t *testing.T) {
	h, held := numbersHub(t)
	host := signedIn(t, h, db.RoleHost)
	r := host.get(t, "/admin/events/"+held+"/checkins.csv")
	rows := readCSV(t, r, "innsjekking-"+held+".csv")
	e, err := h.Store.EventBySlug(context.Background(), held)
	if err != nil {
		t.Fatal(err)
	}
	at := func(d time.Duration) string { return e.StartsAt.Add(d).In(db.Oslo).Format("2006-01-02 15:04") }
	want := [][]string{
		{"Ankomst", "Navn", "Virksomhet", "Påmelding", "Sjekket inn", "Plasser"},
		{at(5 * time.Minute), `'=HYPERLINK("http://x")`, "'+47 912 34 567", "påmeldt", "2", "2"},
		{at(12 * time.Minute), "'-Walker", "'@Firma", "uten påmelding", "1", "1"},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("rows\n got %q\nwant %q", rows, want)
	}
	if strings.Contains(r.Body, "walker@example.no") || strings.Contains(r.Body, "Ærlige") {
		t.Error("a walk-in's e-mail, or someone who did not come, is in the record")
	}
	// The attendee list links to it.
	assertContains(t, host.get(t, "/admin/events/"+held+"/attendees"), `href="/admin/events/`+held+`/checkins.csv"`)
	assertStatus(t, host.get(t, "/admin/events/no-such-event/checkins.csv"), http.StatusNotFound)
	assertStatus(t, signedIn(t, h, db.RoleModerator).get(t, "/admin/events/"+held+"/checkins.csv"), http.StatusForbidden)
}

// dashboardPages are the dashboard with figures, for the HTML checker
// (TestValidHTML).
func dashboardPages(t *testing.T) map[string]response {
	t.Helper()
	h, _ := numbersHub(t)
	admin := signedIn(t, h, db.RoleAdmin)
	return map[string]response{
		"admin-dashboard-numbers":    admin.get(t, "/admin"),
		"admin-dashboard-numbers-en": signedIn(t, h, db.RoleHost).get(t, "/admin?lang=en"),
		"admin-dashboard-export-bad": admin.get(t, "/admin/export/signups.csv?from=x&to=2026-03-31"),
	}
}
