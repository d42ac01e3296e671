package main

import (
	"context"
	"strings"
	"testing"

	"github.com/torghub/torg/db"
)

// TestEventWaitlist: the command line sets how freed seats go to the
// waiting list, refuses an offer shorter than two hours, and the audit
// log names the command line.
func TestEventWaitlist(t *testing.T) {
	dbPath := newDB(t)
	slug := strings.TrimSpace(mustTorg(t, dbPath, "event", "add", "--title", "Frokostmøte", "--starts", "2030-12-03T07:30", "--capacity", "10"))

	if out := mustTorg(t, dbPath, "event", "waitlist", slug, "offer", "--hours", "12"); out != slug+" offers freed seats to the waiting list, each offer valid 12 hours\n" {
		t.Errorf("offer: %q", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"event", "waitlist", slug, "offer", "--hours", "1"}, "torg event waitlist: an offer is valid 2 to 336 hours (got 1)\n"},
		{[]string{"event", "waitlist", slug, "sometimes"}, "torg event waitlist: \"sometimes\": the waiting list is auto or offer\n"},
	} {
		code, out, errOut := torg(t, dbPath, tc.args...)
		if code != 1 || out != "" || errOut != tc.want {
			t.Errorf("torg %s: code %d, stdout %q, stderr %q; want 1 and %q", strings.Join(tc.args, " "), code, out, errOut, tc.want)
		}
	}
	store, err := db.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	e, err := store.EventBySlug(context.Background(), slug)
	if err != nil || e.OfferHours != 12 {
		t.Fatalf("after a refused change: %v hours (%v), want 12", e, err)
	}
	entries, err := store.ListAudit(context.Background(), db.AuditFilter{Action: "event.update"})
	if err != nil || len(entries) != 1 || entries[0].Actor != db.ActorCLI || entries[0].After != `{"offer_hours":12}` {
		t.Fatalf("audit: %+v %v", entries, err)
	}
	store.Close()
	if out := mustTorg(t, dbPath, "event", "waitlist", slug, "auto"); out != slug+" gives freed seats to the waiting list at once\n" {
		t.Errorf("auto: %q", out)
	}
}
