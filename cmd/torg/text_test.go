package main

import (
	"context"
	"strings"
	"testing"

	"github.com/torghub/torg/db"
)

// TestBadTextRefused: text with invalid UTF-8 or control characters from
// the shell is refused with a message that names the field and the
// character, exit code 1, and nothing is stored (it would otherwise reach
// the live screen as an invalid websocket frame, or a calendar as a broken
// line).
func TestBadTextRefused(t *testing.T) {
	dbPath := newDB(t)
	if code, _, errOut := torg(t, dbPath, "site", "set", "site_name", "Elverum+"); code != 0 {
		t.Fatalf("site set: %s", errOut)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"feed", "announce", "Kaffe\xff"}, "torg feed announce: text is not valid UTF-8 (byte 6 is 0xff)"},
		{[]string{"feed", "announce", "Kaffen er\rklar"}, "torg feed announce: text must be one line, but character 10 is a line break (U+000D)"},
		{[]string{"feed", "announce", "\x1b[2JKaffe"}, "torg feed announce: text: character 1 is a control character (U+001B)"},
		{[]string{"event", "add", "--title", "a\rb", "--starts", "2030-12-03T07:30"}, "torg event add: title must be one line, but character 2 is a line break (U+000D)"},
		{[]string{"event", "add", "--title", "Frokostmøte", "--place", "Terningen\nArena", "--starts", "2030-12-03T07:30"}, "torg event add: place must be one line"},
		{[]string{"event", "add", "--title", "Frokostmøte", "--description", "Kaffe\x00", "--starts", "2030-12-03T07:30"}, "torg event add: description: character 6 is a control character (U+0000)"},
		{[]string{"kpi", "set", "calls", "145", "--label", "Rør\tløft"}, "torg kpi set: label must be one line, but character 4 is a tab (U+0009)"},
		{[]string{"site", "set", "site_name", "Elverum\u202E+"}, "torg site set: site_name: character 8 is a bidirectional control (U+202E)"},
	} {
		code, out, errOut := torg(t, dbPath, tc.args...)
		if code != 1 || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: code %d, stdout %q, stderr %q; want code 1, nothing printed, and %q", tc.args, code, out, errOut, tc.want)
		}
	}

	store, err := db.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	if id, err := store.LastActivityID(ctx); err != nil || id != 0 {
		t.Errorf("the feed holds activity up to %d (%v), want none", id, err)
	}
	if events, err := store.ListEvents(ctx, db.EventFilter{Upcoming: true}); err != nil || len(events) != 0 {
		t.Errorf("stored %d events (%v), want none", len(events), err)
	}
	if kpis, err := store.ListKPIs(ctx); err != nil || len(kpis) != 0 {
		t.Errorf("stored %+v (%v), want no figures", kpis, err)
	}
	if name, err := store.Setting(ctx, "site_name"); err != nil || name != "Elverum+" {
		t.Errorf("site_name: got %q (%v), want it unchanged", name, err)
	}
}
