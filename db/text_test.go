package db_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

func TestCheckText(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		for _, tc := range []struct {
			in   string
			kind db.TextKind
			want string
		}{
			{"", db.Line, ""},
			{"Kari Nordmann", db.Line, "Kari Nordmann"},
			{"Rørløft – «Blålys» & beredskap", db.Line, "Rørløft – «Blålys» & beredskap"},
			{"Kari\u00a0Nordmann", db.Line, "Kari\u00a0Nordmann"}, // a no-break space is a space
			{"\U0001F469\u200D\u2695\uFE0F 🇳🇴", db.Line, "\U0001F469\u200D\u2695\uFE0F 🇳🇴"},
			{"مريم\u200F", db.Line, "مريم\u200F"},                             // a right-to-left mark is harmless
			{"\u2068Ola\u2069", db.Line, "\u2068Ola\u2069"},                   // so is an isolate, which apps insert
			{"\uFFFD \uE000 \U000E0067", db.Line, "\uFFFD \uE000 \U000E0067"}, // replacement, private use, tag
			{"Linje 1\nLinje 2", db.Lines, "Linje 1\nLinje 2"},
			{"Linje 1\r\nLinje 2\r\n\r\nAvsnitt 2", db.Lines, "Linje 1\nLinje 2\n\nAvsnitt 2"},
			{"Linje 1\rLinje 2", db.Lines, "Linje 1\nLinje 2"},
			{"Linje 1\u2028Linje 2\u2029Avsnitt 2", db.Lines, "Linje 1\nLinje 2\n\nAvsnitt 2"},
			{"Glutenfri\tlaktosefri", db.Lines, "Glutenfri\tlaktosefri"},
		} {
			got, err := db.CheckText("field", tc.in, tc.kind)
			if err != nil || got != tc.want {
				t.Errorf("CheckText(%q, %v): got %q, %v; want %q, nil", tc.in, tc.kind, got, err, tc.want)
			}
		}
	})
	t.Run("Err", func(t *testing.T) {
		for _, tc := range []struct {
			in     string
			kind   db.TextKind
			key    string
			detail string // part of what the command line prints
		}{
			{"Kari\xff", db.Line, "text.invalid", "title is not valid UTF-8 (byte 5 is 0xff)"},
			{"\xc3", db.Lines, "text.invalid", "not valid UTF-8 (byte 1"},                  // cut in the middle of "ø"
			{"a\xed\xa0\x80", db.Line, "text.invalid", "not valid UTF-8 (byte 2 is 0xed)"}, // a surrogate half
			{"\xc0\xaf", db.Line, "text.invalid", "not valid UTF-8"},                       // an overlong "/"
			{"a\rb", db.Line, "text.one_line", "title must be one line, but character 2 is a line break (U+000D)"},
			{"a\nb", db.Line, "text.one_line", "a line break (U+000A)"},
			{"a\tb", db.Line, "text.one_line", "a tab (U+0009)"},
			{"a\u2028b", db.Line, "text.one_line", "a line break (U+2028)"},
			{"a\u2029b", db.Line, "text.one_line", "a line break (U+2029)"},
			{"Kari\x00", db.Line, "text.invalid", "character 5 is a control character (U+0000)"},
			{"\x1b[2J", db.Line, "text.invalid", "a control character (U+001B)"},
			{"\x7f", db.Line, "text.invalid", "a control character (U+007F)"},
			{"a\u0085b", db.Line, "text.invalid", "a control character (U+0085)"}, // NEL, a C1 line break
			{"\u009b31m", db.Line, "text.invalid", "a control character (U+009B)"},
			{"Kari \u202Eusnaf", db.Line, "text.invalid", "a bidirectional override (U+202E)"},
			{"\u202A", db.Line, "text.invalid", "(U+202A)"},
			{"\uFFFE", db.Line, "text.invalid", "a noncharacter (U+FFFE)"},
			{"\uFDD0", db.Line, "text.invalid", "a noncharacter (U+FDD0)"},
			{"\U0010FFFF", db.Line, "text.invalid", "a noncharacter (U+10FFFF)"},
			{"\U0001FFFE", db.Lines, "text.invalid", "a noncharacter (U+1FFFE)"},
			{"Linje\n\x00", db.Lines, "text.invalid", "character 7 is a control character (U+0000)"},
			{"a\vb", db.Lines, "text.invalid", "(U+000B)"},
			{"a\fb", db.Lines, "text.invalid", "(U+000C)"},
			{"a\x85b", db.Lines, "text.invalid", "not valid UTF-8"},
			{"a\u202Db", db.Lines, "text.invalid", "(U+202D)"},
		} {
			got, err := db.CheckText("title", tc.in, tc.kind)
			if db.ErrorCode(err) != db.EINVALID || db.ErrorKey(err) != tc.key || db.ErrorField(err) != "title" {
				t.Errorf("CheckText(%q, %v): got %q, %v; want EINVALID %s on title", tc.in, tc.kind, got, err, tc.key)
				continue
			}
			if !strings.Contains(err.Error(), tc.detail) {
				t.Errorf("CheckText(%q, %v): message %q lacks %q", tc.in, tc.kind, err, tc.detail)
			}
		}
	})
}

// TestStoreRefusesBadText: every store method that writes people's text
// refuses a bad one with the field named, and stores nothing.
func TestStoreRefusesBadText(t *testing.T) {
	ctx := context.Background()
	starts := time.Now().Add(7 * 24 * time.Hour).Truncate(time.Minute)

	t.Run("CreateEvent", func(t *testing.T) {
		s := MustOpenDB(t)
		for field, in := range map[string]db.NewEvent{
			"title":       {Title: "Frokost\rmøte", StartsAt: starts},
			"place":       {Title: "Frokostmøte", Place: "Terningen\nArena", StartsAt: starts},
			"description": {Title: "Frokostmøte", Description: "Kaffe\x00", StartsAt: starts},
		} {
			_, err := s.CreateEvent(ctx, in)
			if db.ErrorCode(err) != db.EINVALID || db.ErrorField(err) != field {
				t.Errorf("%s: got %v (field %q), want EINVALID on %s", field, err, db.ErrorField(err), field)
			}
		}
		if got := mustListEvents(t, s); len(got) != 0 {
			t.Fatalf("stored %d events", len(got))
		}
		e, err := s.CreateEvent(ctx, db.NewEvent{Title: "Frokostmøte", Description: "Kaffe\r\n\r\nRundstykker\r\n", StartsAt: starts})
		if err != nil {
			t.Fatal(err)
		}
		if e.Description != "Kaffe\n\nRundstykker" {
			t.Fatalf("description: got %q, want CR LF as LF", e.Description)
		}
	})

	t.Run("SetSetting", func(t *testing.T) {
		s := MustOpenDB(t)
		if err := s.SetSetting(ctx, "site_name", "Elverum+"); err != nil {
			t.Fatal(err)
		}
		err := s.SetSetting(ctx, "site_name", "Elverum\r+")
		if db.ErrorCode(err) != db.EINVALID || db.ErrorField(err) != "site_name" {
			t.Fatalf("got %v, want EINVALID on site_name", err)
		}
		if v, _ := s.Setting(ctx, "site_name"); v != "Elverum+" {
			t.Fatalf("site_name: got %q, want it unchanged", v)
		}
	})

	t.Run("SetKPI", func(t *testing.T) {
		s := MustOpenDB(t)
		err := s.SetKPI(ctx, "calls", 145, "Rør\x1bløft")
		if db.ErrorCode(err) != db.EINVALID || db.ErrorField(err) != "label" {
			t.Fatalf("got %v, want EINVALID on label", err)
		}
		if kpis, _ := s.ListKPIs(ctx); len(kpis) != 0 {
			t.Fatalf("stored %+v", kpis)
		}
	})

	t.Run("Announce", func(t *testing.T) {
		s := MustOpenDB(t)
		for _, text := range []string{"Kaffe\xff", "Kaffe\rer klar", "Kaffe \u2028er klar"} {
			_, err := s.Announce(ctx, text)
			if db.ErrorCode(err) != db.EINVALID || db.ErrorField(err) != "text" {
				t.Errorf("Announce(%q): got %v, want EINVALID on text", text, err)
			}
		}
		if id, _ := s.LastActivityID(ctx); id != 0 {
			t.Fatalf("stored activity up to %d", id)
		}
	})

	t.Run("CreateSignup", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 10)
		for field, edit := range map[string]func(*db.NewSignup){
			"name":         func(in *db.NewSignup) { in.Name = "Kari\u202ENordmann" },
			"email":        func(in *db.NewSignup) { in.Email = "kari@example.no\x00" },
			"phone":        func(in *db.NewSignup) { in.Phone = "912\t34567" },
			"organization": func(in *db.NewSignup) { in.Organization = "Sykehuset\nInnlandet" },
			"diet":         func(in *db.NewSignup) { in.Diet = "Nøtter\x7f" },
			"show_name":    func(in *db.NewSignup) { in.ShowName = "fi\rrst" },
			"lang":         func(in *db.NewSignup) { in.Lang = "nb\xff" },
		} {
			in := signup("kari@example.no", 1)
			edit(&in)
			_, err := s.CreateSignup(ctx, e.Slug, in)
			if db.ErrorCode(err) != db.EINVALID || db.ErrorField(err) != field {
				t.Errorf("%s: got %v (field %q), want EINVALID on %s", field, err, db.ErrorField(err), field)
			}
		}
		if list, _ := s.ListSignups(ctx, e.ID); len(list) != 0 {
			t.Fatalf("stored %d signups", len(list))
		}
		if id, _ := s.LastActivityID(ctx); id != 0 {
			t.Fatalf("the feed got activity %d", id)
		}
		in := signup("kari@example.no", 1)
		in.Diet = "Nøtter\r\nSkalldyr"
		su, err := s.CreateSignup(ctx, e.Slug, in)
		if err != nil {
			t.Fatal(err)
		}
		if su.Diet != "Nøtter\nSkalldyr" {
			t.Fatalf("diet: got %q, want CR LF as LF", su.Diet)
		}
	})
}

func mustListEvents(tb testing.TB, s *db.Store) []*db.Event {
	tb.Helper()
	var all []*db.Event
	for _, upcoming := range []bool{true, false} {
		list, err := s.ListEvents(context.Background(), db.EventFilter{Upcoming: upcoming})
		if err != nil {
			tb.Fatal(err)
		}
		all = append(all, list...)
	}
	return all
}
