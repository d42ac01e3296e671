package handlers_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	qr "github.com/piglig/go-qr"

	"github.com/torghub/torg/db"
)

// host is a context in which a host at the door acts.
var host = db.WithActor(context.Background(), "vert@example.no")

// waitFor reads messages until one holds every want, failing if none has
// within d. It returns that message.
func (c *screenClient) waitFor(d time.Duration, want ...string) string {
	c.tb.Helper()
	deadline := time.Now().Add(d)
	var seen []string
	for {
		c.conn.SetReadDeadline(deadline)
		_, msg, err := c.conn.ReadMessage()
		if err != nil {
			c.tb.Fatalf("no message with %q within %v (%v); got:\n%s", want, d, err, strings.Join(seen, "\n---\n"))
		}
		all := true
		for _, w := range want {
			all = all && strings.Contains(string(msg), w)
		}
		if all {
			return string(msg)
		}
		seen = append(seen, string(msg))
	}
}

// nextWith reads the next message and fails unless it holds every want.
func (c *screenClient) nextWith(want ...string) string {
	c.tb.Helper()
	msg := c.next()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			c.tb.Fatalf("the next message lacks %q:\n%s", w, msg)
		}
	}
	return msg
}

// checkedInCounter is the checked-in counter as a screen shows it.
func checkedInCounter(label string, n int) string {
	return fmt.Sprintf(`<dt>%s</dt><dd>%d</dd>`, label, n)
}

// The screen's checked-in counter moves within a second of a check-in,
// the arrival goes on the feed as far as show_name allows, and an undo
// takes both back.
func TestScreenCheckIn(t *testing.T) {
	t.Run("CounterAndFeed", func(t *testing.T) {
		h := newTestHub(t)
		kari := signupAs(t, h, "Kari Nordmann", "Elverum Rør AS", db.ShowFirst)
		c := dialScreen(t, h.URL, "")
		if snap := c.next(); !strings.Contains(snap, checkedInCounter("Sjekket inn", 0)) {
			t.Fatalf("snapshot: want nobody checked in:\n%s", snap)
		}
		start := time.Now()
		if _, err := h.Store.CheckIn(host, h.Event.Slug, db.CheckInRequest{Code: kari.CheckInCode}); err != nil {
			t.Fatal(err)
		}
		msg := c.waitFor(time.Second, "Kari fra Elverum Rør AS har kommet til Frokostmøte", checkedInCounter("Sjekket inn", 1))
		t.Logf("on the screen after %v", time.Since(start))
		if strings.Contains(msg, "Nordmann") {
			t.Errorf("show_name=first shows the surname: %s", msg)
		}
		m := activityID.FindStringSubmatch(msg)
		if m == nil {
			t.Fatalf("no item id: %s", msg)
		}

		// The same check-in from a second door sends nothing: the next
		// message is the undo's.
		if _, err := h.Store.CheckIn(host, h.Event.Slug, db.CheckInRequest{SignupID: kari.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Store.UndoCheckIn(host, h.Event.Slug, db.CheckInRequest{SignupID: kari.ID}); err != nil {
			t.Fatal(err)
		}
		c.nextWith(fmt.Sprintf(`<li id="activity-%s" data-hx-swap-oob="delete">`, m[1]), checkedInCounter("Sjekket inn", 0))
	})

	t.Run("Anonymous", func(t *testing.T) {
		h := newTestHub(t)
		ola := signupAs(t, h, "Ola Nordmann", "Hemmelig AS", db.ShowNone)
		c := dialScreen(t, h.URL, "?lang=en")
		c.next()
		if _, err := h.Store.CheckIn(host, h.Event.Slug, db.CheckInRequest{Code: ola.CheckInCode}); err != nil {
			t.Fatal(err)
		}
		msg := c.waitFor(time.Second, "A new participant has arrived at Frokostmøte", checkedInCounter("Checked in", 1))
		if strings.Contains(msg, "Ola") || strings.Contains(msg, "Hemmelig") {
			t.Errorf("show_name=none shows the person: %s", msg)
		}
		if _, err := h.Store.AddWalkIn(host, h.Event.Slug, db.NewWalkIn{Name: "Per Walk", Organization: "Gjest AS"}); err != nil {
			t.Fatal(err)
		}
		msg = c.waitFor(time.Second, "A new participant has arrived at Frokostmøte", checkedInCounter("Checked in", 2))
		if strings.Contains(msg, "Per Walk") || strings.Contains(msg, "Gjest") {
			t.Errorf("a walk-in is named on the screen: %s", msg)
		}
	})

	// A screen of one event shows "here now": the seats checked in there,
	// walk-ins included, and nothing of another event; a screen that
	// connects late gets it all in its snapshot.
	t.Run("HereNowOnAnEventScreen", func(t *testing.T) {
		h := newTestHub(t)
		other, err := h.Store.CreateEvent(host, db.NewEvent{Title: "Seminar", Kind: db.KindSeminar,
			StartsAt: time.Now().Add(48 * time.Hour).Truncate(time.Minute), Capacity: 10})
		if err != nil {
			t.Fatal(err)
		}
		group, err := h.Store.CreateSignup(host, h.Event.Slug, db.NewSignup{Name: "Kari Nordmann", Email: "kari@example.no",
			Organization: "Elverum Rør AS", Seats: 3, ShowName: db.ShowFull})
		if err != nil {
			t.Fatal(err)
		}
		elsewhere, err := h.Store.CreateSignup(host, other.Slug, db.NewSignup{Name: "Per Hansen", Email: "per@example.no", Seats: 2, ShowName: db.ShowFull})
		if err != nil {
			t.Fatal(err)
		}
		c := dialScreen(t, h.URL, "?event="+h.Event.Slug)
		if snap := c.next(); !strings.Contains(snap, checkedInCounter("Her nå", 0)) {
			t.Fatalf("an event's screen lacks here now:\n%s", snap)
		}
		if _, err := h.Store.CheckIn(host, h.Event.Slug, db.CheckInRequest{Code: group.CheckInCode, Seats: 2}); err != nil {
			t.Fatal(err)
		}
		c.waitFor(time.Second, "Kari Nordmann fra Elverum Rør AS har kommet til Frokostmøte (2 personer)", checkedInCounter("Her nå", 2))
		if _, err := h.Store.CheckIn(host, other.Slug, db.CheckInRequest{Code: elsewhere.CheckInCode}); err != nil {
			t.Fatal(err)
		}
		// Another event's arrival and count are not this screen's: the
		// next message is the walk-in's.
		if _, err := h.Store.AddWalkIn(host, h.Event.Slug, db.NewWalkIn{Name: "Åse"}); err != nil {
			t.Fatal(err)
		}
		c.nextWith("En ny deltaker har kommet til Frokostmøte", checkedInCounter("Her nå", 3))

		late := dialScreen(t, h.URL, "?event="+h.Event.Slug).next()
		for _, want := range []string{checkedInCounter("Her nå", 3), "Kari Nordmann fra Elverum Rør AS har kommet til Frokostmøte"} {
			if !strings.Contains(late, want) {
				t.Errorf("a late screen's snapshot lacks %q:\n%s", want, late)
			}
		}
		if strings.Contains(late, "Per Hansen") {
			t.Errorf("a late screen shows another event's arrival:\n%s", late)
		}
		// The screen of every event counts both events.
		if all := dialScreen(t, h.URL, "").next(); !strings.Contains(all, checkedInCounter("Sjekket inn", 5)) {
			t.Errorf("the screen of every event: want 5 checked in:\n%s", all)
		}
		page := h.get(t, "/screen?event="+h.Event.Slug)
		assertContains(t, page, checkedInCounter("Her nå", 3))
	})
}

var qrPath = regexp.MustCompile(`<svg class="qr-code"[^>]*aria-label="([^"]*)"[^>]*>.*?<path fill="#000" d="([^"]*)"/></svg>`)
var qrRun = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-\d+z`)

// qrModules reads the dark modules of a QR code drawn by the server.
func qrModules(tb testing.TB, d string) map[[2]int]bool {
	tb.Helper()
	dark := map[[2]int]bool{}
	for _, m := range qrRun.FindAllStringSubmatch(d, -1) {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		n, _ := strconv.Atoi(m[3])
		for i := range n {
			dark[[2]int{x + i, y}] = true
		}
	}
	return dark
}

// A confirmed signup's page shows a QR code that holds its check-in code
// and nothing else, and the code under it; a waiting or cancelled one
// shows none.
func TestSignupCheckInCode(t *testing.T) {
	h := newTestHub(t)
	su := signupAs(t, h, "Kari Nordmann", "Elverum Rør AS", db.ShowFull)
	rev := h.Store.Revision()
	r := h.get(t, "/signups/"+su.Token)
	assertStatus(t, r, 200)
	if h.Store.Revision() != rev {
		t.Error("showing a signup's page wrote to the database")
	}
	assertContains(t, r, `data-checkin-code="`+su.CheckInCode+`"`, `<strong class="checkin-code">`+su.CheckInCode+`</strong>`,
		"Innsjekking", "Koden din:")
	m := qrPath.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no QR code on the page:\n%s", r.Body)
	}
	if want := "QR-kode for innsjekking: " + su.CheckInCode; m[1] != want {
		t.Errorf("QR code's label: got %q, want %q", m[1], want)
	}
	code, err := qr.EncodeText(su.CheckInCode, qr.Medium)
	if err != nil {
		t.Fatal(err)
	}
	dark := qrModules(t, m[2])
	for y := range code.Size() {
		for x := range code.Size() {
			if code.Module(x, y) != dark[[2]int{x, y}] {
				t.Fatalf("the QR code is not the check-in code's (module %d,%d differs)", x, y)
			}
		}
	}
	if strings.Contains(m[0], su.Token) {
		t.Error("the QR code's markup holds the manage token")
	}

	if _, err := h.Store.CheckIn(host, h.Event.Slug, db.CheckInRequest{Code: su.CheckInCode}); err != nil {
		t.Fatal(err)
	}
	en := h.get(t, "/signups/"+su.Token+"?lang=en")
	assertContains(t, en, "Check-in", "Your code:", "You were checked in at ", "QR code for check-in: "+su.CheckInCode)

	// Fill the event (10 seats) so the next one waits.
	for i := range 9 {
		signupAs(t, h, fmt.Sprintf("Person %d", i), "", db.ShowNone)
	}
	waiting := signupAs(t, h, "Ola Venter", "", db.ShowNone)
	if waiting.Status != db.StatusWaiting {
		t.Fatalf("Ola is %s, want waiting", waiting.Status)
	}
	cancelled := signupAs(t, h, "Lise Berg", "", db.ShowNone)
	if _, err := h.Store.CancelSignup(context.Background(), cancelled.Token, db.ActorResident); err != nil {
		t.Fatal(err)
	}
	for _, token := range []string{waiting.Token, cancelled.Token} {
		r := h.get(t, "/signups/"+token)
		assertStatus(t, r, 200)
		if strings.Contains(r.Body, "data-checkin-code") || strings.Contains(r.Body, `class="qr-code"`) || strings.Contains(r.Body, "Innsjekking") {
			t.Errorf("a %s signup's page shows a check-in code", r.Body[strings.Index(r.Body, "data-signup-status"):][:40])
		}
	}
}

// The check-in refusals and the walk-in form's messages are sentences in
// both languages, not keys.
func TestCheckInStoreMessagesInCatalogs(t *testing.T) {
	h := newTestHub(t)
	other, err := h.Store.CreateEvent(host, db.NewEvent{Title: "Seminar", Kind: db.KindSeminar,
		StartsAt: time.Now().Add(48 * time.Hour).Truncate(time.Minute), Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	mine := signupAs(t, h, "Kari Nordmann", "", db.ShowNone)
	first, err := h.Store.CreateSignup(host, other.Slug, db.NewSignup{Name: "Per", Email: "per@example.no", Seats: 1})
	if err != nil {
		t.Fatal(err)
	}
	waiting, err := h.Store.CreateSignup(host, other.Slug, db.NewSignup{Name: "Ola", Email: "ola@example.no", Seats: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.CancelSignup(host, mine.Token, db.ActorResident); err != nil {
		t.Fatal(err)
	}
	var errs []error
	for _, tc := range []struct {
		slug string
		req  db.CheckInRequest
	}{
		{h.Event.Slug, db.CheckInRequest{Code: first.CheckInCode}},
		{h.Event.Slug, db.CheckInRequest{Code: mine.CheckInCode}},
		{other.Slug, db.CheckInRequest{SignupID: waiting.ID}},
		{h.Event.Slug, db.CheckInRequest{Code: "2222ZZZZ"}},
		{h.Event.Slug, db.CheckInRequest{}},
		{h.Event.Slug, db.CheckInRequest{SignupID: first.ID, Seats: -1}},
		{h.Event.Slug, db.CheckInRequest{SignupID: first.ID, Key: strings.Repeat("k", 101)}},
	} {
		_, err := h.Store.CheckIn(host, tc.slug, tc.req)
		errs = append(errs, err)
	}
	for _, in := range []db.NewWalkIn{{}, {Name: strings.Repeat("x", 101)}, {Name: "x", Organization: strings.Repeat("x", 101)}, {Name: "x", Email: "x"}} {
		_, err := h.Store.AddWalkIn(host, h.Event.Slug, in)
		errs = append(errs, err)
	}
	var keys []string
	for _, err := range errs {
		keys = append(keys, db.ErrorKey(err))
	}
	if got, want := strings.Join(keys, " "), "checkin.other_event checkin.cancelled checkin.waiting checkin.unknown_code "+
		"checkin.code_required checkin.seats_range checkin.key_invalid walkin.name_required walkin.name_length "+
		"walkin.organization_length walkin.email_invalid"; got != want {
		t.Fatalf("keys: got %s, want %s", got, want)
	}
	assertInCatalogs(t, errs)
}
