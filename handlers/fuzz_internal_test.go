package handlers

// Fuzz targets for the web layer's own encoders: the calendar file, the
// CSV cell guard and the log masker. `go test` runs their seeds; CI fuzzes
// each for a few seconds (.ci/run). The form decoders are fuzzed through
// the router in fuzz_test.go.

import (
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	ics "github.com/arran4/golang-ical"
	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// hostileSeeds are the inputs every encoder's fuzzing starts from (the
// whole corpus, sent through every form, is in hostile_test.go).
var hostileSeeds = []string{
	"", "Frokostmøte", "Frokost; beredskap, og \"øvelse\"", "back\\slash", "o\u0308yvind",
	"<script>alert(1)</script>", `"><img src=x onerror=alert(1)>`, "javascript:alert(1)",
	"'); DROP TABLE signups;--", "{{.}}", `=HYPERLINK("http://x","y")`, "+1", "-1", "@SUM(A1)",
	"x\r\nBcc: a@b.c", "x\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:injected", "a\nb", "a\rb", "a\tb", "a\x00b",
	"\u202Eevil", "\u200B", "\xff\xfe", strings.Repeat("æøå", 40), strings.Repeat("x", 74) + "ø",
}

// FuzzCalendar: whatever an event's title, place, description and the
// site's name hold, the .ics file has CRLF line endings, no line over 75
// octets, no line cut inside a character, no bare CR or LF in a value,
// the event's properties and no others, and reads back to the same texts.
func FuzzCalendar(f *testing.F) {
	for i, s := range hostileSeeds {
		f.Add(s, hostileSeeds[(i+1)%len(hostileSeeds)], hostileSeeds[(i+2)%len(hostileSeeds)], "Elverum+")
	}
	f.Add("Frokost", "Rådhuset", "", "Elverum+ //x\r\nX-EVIL:1")
	renderer, err := views.New(func(name string) string { return "/static/" + name }, db.Oslo)
	if err != nil {
		f.Fatal(err)
	}
	s := &Server{cfg: Config{BaseURL: "https://torg.example.no"}}
	l := renderer.Catalog.Localizer("nb")
	f.Fuzz(func(t *testing.T, title, place, description, siteName string) {
		// The store keeps only checked text (db.CheckText): that is what
		// reaches a calendar.
		var ok bool
		if title, ok = checked(title, db.Line); !ok {
			return
		}
		if place, ok = checked(place, db.Line); !ok {
			return
		}
		if description, ok = checked(description, db.Lines); !ok {
			return
		}
		if siteName, ok = checked(siteName, db.Line); !ok {
			return
		}
		start := time.Date(2027, 3, 28, 1, 30, 0, 0, db.Oslo)
		e := &db.Event{ID: 7, Slug: db.Slugify(title), Title: title, Place: place, Description: description,
			StartsAt: start, EndsAt: start.Add(2 * time.Hour), CreatedAt: start, UpdatedAt: start, Status: db.EventPublished}
		cal := s.newCalendarIn(l, views.Site{Name: siteName})
		s.addCalendarEventIn(l, "https://torg.example.no", cal, e)
		out := cal.Serialize(ics.WithNewLine("\r\n"))

		props := checkICS(t, out)
		want := map[string]string{"SUMMARY": title, "URL": "https://torg.example.no/events/" + e.Slug}
		if place != "" {
			want["LOCATION"] = place
		}
		for name, value := range want {
			if got := props[name]; len(got) != 1 || got[0] != value {
				t.Fatalf("%s read back as %q, want %q\n%s", name, got, value, out)
			}
		}
		if got := props["DESCRIPTION"]; len(got) != 1 || !strings.HasPrefix(got[0], description) {
			t.Fatalf("DESCRIPTION read back as %q, want it to start with %q\n%s", got, description, out)
		}
		for name := range props {
			if !calendarProperties[name] {
				t.Fatalf("a property no calendar of ours has: %s\n%s", name, out)
			}
		}
		if got := props["BEGIN"]; len(got) != 5 { // VCALENDAR, VTIMEZONE, DAYLIGHT, STANDARD, VEVENT
			t.Fatalf("BEGIN %q: a component was added or lost\n%s", got, out)
		}
	})
}

// calendarProperties are every property our calendars write.
var calendarProperties = map[string]bool{
	"BEGIN": true, "END": true, "VERSION": true, "PRODID": true, "METHOD": true, "X-WR-CALNAME": true,
	"X-WR-TIMEZONE": true, "X-PUBLISHED-TTL": true, "REFRESH-INTERVAL": true, "TZID": true, "X-LIC-LOCATION": true,
	"TZOFFSETFROM": true, "TZOFFSETTO": true, "TZNAME": true, "DTSTART": true, "RRULE": true, "UID": true,
	"DTSTAMP": true, "DTEND": true, "SUMMARY": true, "LOCATION": true, "URL": true, "DESCRIPTION": true,
	"LAST-MODIFIED": true, "STATUS": true,
}

func checked(s string, kind db.TextKind) (string, bool) {
	out, err := db.CheckText("f", strings.TrimSpace(s), kind)
	return out, err == nil
}

// checkICS checks an iCalendar file's lines (RFC 5545 §3.1: CRLF, folded
// at 75 octets, never inside a character; TEXT values escape \ ; , and
// line breaks) and returns each property's values, unescaped.
func checkICS(t *testing.T, out string) map[string][]string {
	t.Helper()
	if !strings.HasSuffix(out, "\r\n") {
		t.Fatalf("the file does not end in CRLF:\n%q", out)
	}
	var lines []string
	for _, line := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
		if strings.ContainsAny(line, "\r\n") {
			t.Fatalf("a bare CR or LF: %q", line)
		}
		if len(line) > 75 {
			t.Fatalf("a line of %d octets: %q", len(line), line)
		}
		if !utf8.ValidString(line) {
			t.Fatalf("a line cut inside a character: %q", line)
		}
		if strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
			if len(lines) == 0 {
				t.Fatalf("the file starts with a continuation")
			}
			lines[len(lines)-1] += line[1:]
			continue
		}
		lines = append(lines, line)
	}
	props := map[string][]string{}
	for _, line := range lines {
		name, value, ok := splitContentLine(line)
		if !ok {
			t.Fatalf("not a content line: %q", line)
		}
		if textProperties[name] {
			v, ok := unescapeText(value)
			if !ok {
				t.Fatalf("%s is not escaped as TEXT: %q", name, value)
			}
			value = v
		}
		props[name] = append(props[name], value)
	}
	return props
}

// textProperties are the properties of TEXT values that hold user text.
var textProperties = map[string]bool{"SUMMARY": true, "LOCATION": true, "DESCRIPTION": true, "X-WR-CALNAME": true}

// splitContentLine splits "NAME;PARAM=x:value" into its name and value (a
// parameter value may be quoted and hold a colon).
func splitContentLine(line string) (name, value string, ok bool) {
	i := strings.IndexAny(line, ";:")
	if i <= 0 {
		return "", "", false
	}
	name = line[:i]
	for _, r := range name {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return "", "", false
		}
	}
	quoted := false
	for j := i; j < len(line); j++ {
		switch {
		case line[j] == '"':
			quoted = !quoted
		case line[j] == ':' && !quoted:
			return name, line[j+1:], true
		}
	}
	return "", "", false
}

// unescapeText undoes RFC 5545 TEXT escaping, and reports false on a
// character that should have been escaped and was not.
func unescapeText(v string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			if i+1 == len(v) {
				return "", false
			}
			i++
			switch v[i] {
			case '\\', ';', ',':
				b.WriteByte(v[i])
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				return "", false
			}
		case ';', ',':
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// FuzzCSV: after the guard, no cell a spreadsheet reads starts with a
// formula's first character, and every cell reads back as written,
// apostrophe aside.
func FuzzCSV(f *testing.F) {
	for i, s := range hostileSeeds {
		f.Add(s, hostileSeeds[(i+3)%len(hostileSeeds)])
	}
	f.Add("\t=1", "\r=1")
	f.Add(" =1", "'=1")
	f.Fuzz(func(t *testing.T, a, b string) {
		rec := httptest.NewRecorder()
		c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/x.csv", nil), rec)
		if err := writeCSV(c, views.Localizer{}, "x.csv", [][]string{{"name", "org"}, {a, b}}); err != nil {
			return // encoding/csv refuses some input (invalid UTF-8 is kept, so nothing today)
		}
		body := rec.Body.String()
		if !strings.HasPrefix(body, csvBOM) {
			t.Fatalf("no byte-order mark: %q", body)
		}
		r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, csvBOM)))
		r.Comma = ';'
		r.LazyQuotes = false
		rows, err := r.ReadAll()
		if err != nil {
			t.Fatalf("the file does not read back: %v\n%q", err, body)
		}
		if len(rows) != 2 || len(rows[1]) != 2 {
			t.Fatalf("rows %q: a cell made a row or a column", rows)
		}
		for i, in := range []string{a, b} {
			cell := rows[1][i]
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Fatalf("cell %q starts a formula", cell)
			}
			// encoding/csv reads CRLF inside a quoted cell as LF and drops
			// a lone CR (which no stored text holds: db.CheckText).
			if want := strings.ReplaceAll(strings.ReplaceAll(in, "\r\n", "\n"), "\r", ""); cell != want && cell != "'"+want {
				t.Fatalf("cell %q read back as %q", in, cell)
			}
		}
	})
}

// FuzzTokenMasker: whatever surrounds a private link in a log line, its
// token never survives the masker, and a line without one is unchanged.
func FuzzTokenMasker(f *testing.F) {
	for _, s := range hostileSeeds {
		f.Add(s, "SECRETtokenAbcdefghijk", s)
	}
	f.Add("GET ", "abcDEF123_-%41", " 200")
	f.Add("https://torg.example.no", "Zz9-Zz9-Zz9-Zz9", "?lang=en")
	m := newTokenMasker([]*echo.Route{{Path: "/signups/:token"}, {Path: "/signups/:token/cancel"},
		{Path: "/ideas/manage/:token"}, {Path: "/ideas/requests/:token"}})
	f.Fuzz(func(t *testing.T, before, token, after string) {
		if m.mask(before) != before && !containsLinkStart(before) {
			t.Fatalf("a line without a private link changed: %q → %q", before, m.mask(before))
		}
		// A token as the server makes them: URL-safe characters, long.
		if len(token) < 12 || strings.Contains(before+after, token) || strings.Trim(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
			return
		}
		for _, prefix := range []string{"/signups/", "/ideas/manage/", "/ideas/requests/"} {
			line := before + " " + prefix + token + "/cancel " + after
			if got := m.mask(line); strings.Contains(got, token) {
				t.Fatalf("the token survived: %q → %q", line, got)
			}
		}
	})
}

func containsLinkStart(s string) bool {
	return strings.Contains(s, "/signups/") || strings.Contains(s, "/ideas/manage/") || strings.Contains(s, "/ideas/requests/")
}

// CheckICS is checkICS for the tests outside the package (the hostile
// corpus reads every calendar the site serves).
func CheckICS(t *testing.T, out string) map[string][]string { return checkICS(t, out) }
