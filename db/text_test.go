package db_test

import (
	"context"
	"database/sql"
	"path/filepath"
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
			{"مريم\u200F", db.Line, "مريم\u200F"}, // a right-to-left mark is harmless
			{"Kari Nordmann", db.Name, "Kari Nordmann"},
			{"李 小龍", db.Name, "李 小龍"},
			{"Pål", db.Line, "Pål"},                                           // composed (NFC) ...
			{"Pa\u030Al", db.Line, "Pål"},                                     // ... as a decomposed "å" becomes (ø has no decomposition)
			{"Zoe\u0308", db.Name, "Zoë"},                                     // a combining diaeresis composed
			{"\u200BKari\uFEFF", db.Name, "Kari"},                             // pasted invisibles dropped ...
			{"Ka\u2060ri \u200B", db.Line, "Kari"},                            // ... and the spaces they hid trimmed
			{"\u200B", db.Name, ""},                                           // nothing left: the caller's "required"
			{"Ali\u200Dce", db.Line, "Ali\u200Dce"},                           // a joiner stays (emoji, Indic scripts)
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
			{"Kari \u202Eusnaf", db.Line, "hygiene.text.bidi", "a bidirectional control (U+202E)"},
			{"\u202A", db.Line, "hygiene.text.bidi", "(U+202A)"},
			{"\uFFFE", db.Line, "text.invalid", "a noncharacter (U+FFFE)"},
			{"\uFDD0", db.Line, "text.invalid", "a noncharacter (U+FDD0)"},
			{"\U0010FFFF", db.Line, "text.invalid", "a noncharacter (U+10FFFF)"},
			{"\U0001FFFE", db.Lines, "text.invalid", "a noncharacter (U+1FFFE)"},
			{"Linje\n\x00", db.Lines, "text.invalid", "character 7 is a control character (U+0000)"},
			{"a\vb", db.Lines, "text.invalid", "(U+000B)"},
			{"a\fb", db.Lines, "text.invalid", "(U+000C)"},
			{"a\x85b", db.Lines, "text.invalid", "not valid UTF-8"},
			{"a\u202Db", db.Lines, "hygiene.text.bidi", "(U+202D)"},
			{"\u2068Ola\u2069", db.Line, "hygiene.text.bidi", "character 1 is a bidirectional control (U+2068)"}, // an isolate reorders words
			{"Ola \u2067Nordmann", db.Line, "hygiene.text.bidi", "(U+2067)"},
			{"a\u2066b", db.Line, "hygiene.text.bidi", "(U+2066)"},
			{"\u2069", db.Line, "hygiene.text.bidi", "(U+2069)"},
			{"...", db.Name, "hygiene.text.no_letter", `title "..." holds no letter`},
			{"\u200D\u200C", db.Name, "hygiene.text.no_letter", "holds no letter"}, // joiners only
			{"12 34", db.Name, "hygiene.text.no_letter", "holds no letter"},
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

// TestSignupEmailNormalised: an address typed with a decomposed "å" or in
// other capitals is the address already signed up, and a name that only
// looks like one is refused by the store, whichever door it came through.
func TestSignupEmailNormalised(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	e := MustCreateEvent(t, s, "Frokostmøte", 20)
	first, err := s.CreateSignup(ctx, e.Slug, signup("pål@example.no", 1))
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"pa\u030Al@example.no", "PA\u030AL@Example.no", "PÅL@example.no"} {
		if _, err := s.CreateSignup(ctx, e.Slug, signup(email, 1)); db.ErrorKey(err) != "signup.duplicate" {
			t.Errorf("%q: got %v, want signup.duplicate", email, err)
		}
	}
	if err := s.MailManageLink(ctx, e.Slug, "PA\u030AL@example.no"); err != nil {
		t.Fatal(err)
	}
	var mails int
	if err := s.QueryRowForTest(`SELECT count(*) FROM mail_outbox WHERE signup_id = ?`, first.ID).Scan(&mails); err != nil || mails < 2 {
		t.Errorf("the manage link for a decomposed address: %d mails for the signup (%v), want the signup's own and the link", mails, err)
	}
	for name, key := range map[string]string{
		"\u200B\u200B":           "", // nothing left: the name is missing
		"Kari \u202Eusnaf":       "hygiene.text.bidi",
		"\u2067Kari\u2069":       "hygiene.text.bidi",
		"!!!":                    "hygiene.text.no_letter",
		"\u200D\u200D\u200D 123": "hygiene.text.no_letter",
	} {
		in := signup("other@example.no", 1)
		in.Name = name
		_, err := s.CreateSignup(ctx, e.Slug, in)
		if db.ErrorCode(err) != db.EINVALID || key != "" && db.ErrorKey(err) != key {
			t.Errorf("name %q: got %v (key %q), want EINVALID %s", name, err, db.ErrorKey(err), key)
		}
	}
	if _, err := s.AddWalkIn(ctx, e.Slug, db.NewWalkIn{Name: "---"}); db.ErrorKey(err) != "hygiene.text.no_letter" || db.ErrorField(err) != "name" {
		t.Errorf("walk-in without a letter: got %v, want hygiene.text.no_letter on name", err)
	}
}

// TestMigrationNormalisesEmails: addresses stored before 0012_text are
// composed, except where that would make two live signups one.
func TestMigrationNormalisesEmails(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "torg.db")
	s, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	e := MustCreateEvent(t, s, "Frokostmøte", 20)
	var ids []int64
	for _, email := range []string{"ola@example.no", "kåre@example.no", "åse@example.no"} {
		su, err := s.CreateSignup(ctx, e.Slug, signup(email, 1))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, su.ID)
	}
	s.Close()

	// The file as an older torg left it: decomposed addresses, 0012 not run.
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		query string
		args  []any
	}{
		{`UPDATE signups SET email = ? WHERE id = ?`, []any{"ka\u030Are@example.no", ids[1]}},
		{`UPDATE signups SET email = ? WHERE id = ?`, []any{"ola\u0301@example.no", ids[0]}},
		// a second signup of åse's, decomposed: composing it would make two live signups one
		{`INSERT INTO signups (event_id, token, name, email, seats, show_name, status, lang, consent_at, privacy_version, created_at, updated_at, checkin_code)
		  SELECT event_id, 'tok2', name, ?, seats, show_name, status, lang, consent_at, privacy_version, created_at, updated_at, 'code2' FROM signups WHERE id = ?`,
			[]any{"a\u030Ase@example.no", ids[2]}},
		{`DELETE FROM schema_migrations WHERE version = '0012_text'`, nil},
	} {
		if _, err := raw.Exec(q.query, q.args...); err != nil {
			t.Fatal(q.query, err)
		}
	}
	raw.Close()

	s, err = db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for id, want := range map[int64]string{ids[0]: "ol\u00E1@example.no", ids[1]: "kåre@example.no", ids[2]: "åse@example.no"} {
		var got string
		if err := s.QueryRowForTest(`SELECT email FROM signups WHERE id = ?`, id).Scan(&got); err != nil || got != want {
			t.Errorf("signup %d: e-mail %q (%v), want %q", id, got, err, want)
		}
	}
	var kept string
	if err := s.QueryRowForTest(`SELECT email FROM signups WHERE token = 'tok2'`).Scan(&kept); err != nil || kept != "a\u030Ase@example.no" {
		t.Errorf("the colliding signup: e-mail %q (%v), want it kept as it was", kept, err)
	}
	if _, err := s.CreateSignup(ctx, e.Slug, signup("kåre@example.no", 1)); db.ErrorKey(err) != "signup.duplicate" {
		t.Errorf("after the migration, kåre again: got %v, want signup.duplicate", err)
	}
}
