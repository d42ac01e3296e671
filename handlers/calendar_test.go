package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/torghub/torg/db"
)

func TestCalendar(t *testing.T) {
	h := newTestHub(t)
	ctx := context.Background()
	starts := time.Date(2027, 6, 3, 7, 30, 0, 0, db.Oslo) // summer time: +02:00
	e, err := h.Store.CreateEvent(ctx, db.NewEvent{
		Title: "Frokost; beredskap, og \"øvelse\"", Place: "Rådhuset, 2. etg.", Kind: db.KindBreakfast,
		Description: "Linje én\nLinje to med et veldig langt avsnitt som må brettes fordi iCalendar-linjer ikke skal være lengre enn syttifem oktetter.",
		StartsAt:    starts, Capacity: 20,
	})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("OneEvent", func(t *testing.T) {
		r := h.get(t, "/events/"+e.Slug+"/calendar.ics")
		assertStatus(t, r, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
			t.Fatalf("Content-Type: %q", ct)
		}
		for _, line := range strings.Split(r.Body, "\r\n") {
			if strings.Contains(line, "\n") {
				t.Errorf("a line ends in a bare LF, not CRLF: %q", line)
			}
			if len(line) > 75 {
				t.Errorf("line longer than 75 octets: %q", line)
			}
		}
		if !strings.Contains(r.Body, `SUMMARY:Frokost\; beredskap\, og "øvelse"`) {
			t.Errorf("SUMMARY not escaped per RFC 5545:\n%s", r.Body)
		}
		cal, err := ics.ParseCalendar(strings.NewReader(r.Body))
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		events := cal.Events()
		if len(events) != 1 {
			t.Fatalf("got %d events, want 1", len(events))
		}
		ev := events[0]
		if got := ev.GetProperty(ics.ComponentPropertySummary).Value; got != e.Title {
			t.Errorf("SUMMARY parsed back: got %q, want %q", got, e.Title)
		}
		if got := ev.GetProperty(ics.ComponentPropertyLocation).Value; got != e.Place {
			t.Errorf("LOCATION: got %q, want %q", got, e.Place)
		}
		dt := ev.GetProperty(ics.ComponentPropertyDtStart)
		if dt.Value != "20270603T073000" || dt.ICalParameters["TZID"][0] != "Europe/Oslo" {
			t.Errorf("DTSTART: got %v %v", dt.Value, dt.ICalParameters)
		}
		start, err := ev.GetStartAt()
		if err != nil {
			t.Fatal(err)
		}
		if !start.Equal(starts) {
			t.Errorf("start parsed back: got %v, want %v", start, starts)
		}
		if ev.GetProperty(ics.ComponentPropertyDtstamp) == nil || ev.GetProperty(ics.ComponentPropertyUrl) == nil {
			t.Error("DTSTAMP or URL missing")
		}
		uid := ev.Id()
		if !strings.HasSuffix(uid, "@torg.example.no") {
			t.Errorf("UID %q", uid)
		}
		again := h.get(t, "/events/"+e.Slug+"/calendar.ics")
		cal2, _ := ics.ParseCalendar(strings.NewReader(again.Body))
		if cal2.Events()[0].Id() != uid {
			t.Error("UID is not stable")
		}
		if len(cal.Timezones()) != 1 {
			t.Error("no VTIMEZONE for Europe/Oslo")
		}
	})

	t.Run("Upcoming", func(t *testing.T) {
		if _, err := h.Store.CreateEvent(ctx, db.NewEvent{Title: "Utkast", StartsAt: starts, Capacity: 1, Status: db.EventDraft}); err != nil {
			t.Fatal(err)
		}
		r := h.get(t, "/calendar.ics")
		assertStatus(t, r, http.StatusOK)
		cal, err := ics.ParseCalendar(strings.NewReader(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		if got := len(cal.Events()); got != 2 {
			t.Fatalf("got %d events, want 2 (the hub's event and this one, no draft)", got)
		}
	})

	t.Run("Cancelled", func(t *testing.T) {
		if err := h.Store.SetEventStatus(ctx, e.Slug, db.EventCancelled); err != nil {
			t.Fatal(err)
		}
		r := h.get(t, "/events/"+e.Slug+"/calendar.ics")
		assertContains(t, r, "STATUS:CANCELLED")
	})
}
