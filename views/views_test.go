package views_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Oslo on machines without zoneinfo

	"github.com/torghub/torg/views"
)

func mustRenderer(t *testing.T) *views.Renderer {
	t.Helper()
	return mustRendererIn(t, mustOslo(t))
}

func mustRendererIn(t *testing.T, loc *time.Location) *views.Renderer {
	t.Helper()
	r, err := views.New(func(name string) string { return "/static/" + name }, loc)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustOslo(t *testing.T) *time.Location {
	t.Helper()
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	return oslo
}

// TestCatalogsAgree: both languages have the same keys, and every literal
// key a template asks for exists.
func TestCatalogsAgree(t *testing.T) {
	r := mustRenderer(t)
	nb, en := r.Catalog.Keys("nb"), r.Catalog.Keys("en")
	sort.Strings(nb)
	sort.Strings(en)
	inNB := map[string]bool{}
	for _, k := range nb {
		inNB[k] = true
	}
	inEN := map[string]bool{}
	for _, k := range en {
		inEN[k] = true
		if !inNB[k] {
			t.Errorf("key %q is in en but not in nb", k)
		}
	}
	for _, k := range nb {
		if !inEN[k] {
			t.Errorf("key %q is in nb but not in en", k)
		}
	}
	files, _ := filepath.Glob("templates/*/*.html")
	top, _ := filepath.Glob("templates/*.html")
	used := regexp.MustCompile(`\.(?:L\.)?(?:T|N) "([a-z_.]+)"`)
	for _, f := range append(files, top...) {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllSubmatch(body, -1) {
			key := string(m[1])
			if inNB[key] || inNB[key+".one"] {
				continue
			}
			t.Errorf("%s uses %q, which the catalog lacks", f, key)
		}
	}
}

func TestLocalizer(t *testing.T) {
	r := mustRenderer(t)
	at := time.Date(2026, 12, 3, 7, 30, 0, 0, mustOslo(t))
	for _, tc := range []struct{ lang, got, want string }{
		{"nb", r.Catalog.Localizer("nb").DateTime(at), "torsdag 3. desember 2026 kl. 07:30"},
		{"en", r.Catalog.Localizer("en").DateTime(at), "Thursday 3 December 2026, 07:30"},
		{"nb", r.Catalog.Localizer("nb").Span(at, at.Add(90*time.Minute)), "torsdag 3. desember 2026 kl. 07:30–09:00"},
		{"nb", r.Catalog.Localizer("nb").Number(12345), "12 345"},
		{"en", r.Catalog.Localizer("en").Number(12345), "12,345"},
		{"nb", r.Catalog.Localizer("nb").N("event.seats_left", 1), "1 ledig plass"},
		{"en", r.Catalog.Localizer("en").N("event.seats_left", 3), "3 seats left"},
		{"xx", r.Catalog.Localizer("xx").Lang, "nb"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.lang, tc.got, tc.want)
		}
	}
}

// TestTimeZone: times are shown in the zone the views were given (the
// store's), and the views keep no zone of their own.
func TestTimeZone(t *testing.T) {
	at := time.Date(2026, 12, 3, 7, 30, 0, 0, mustOslo(t))
	if got := mustRenderer(t).Catalog.Localizer("nb").Clock(at); got != "07:30" {
		t.Errorf("in Europe/Oslo: got %s, want 07:30", got)
	}
	utc := mustRendererIn(t, time.UTC).Catalog.Localizer("en")
	if got := utc.Clock(at); got != "06:30" {
		t.Errorf("in UTC: got %s, want 06:30", got)
	}
	// Late on New Year's Eve in UTC is already the next year in Oslo.
	eve := time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC)
	oslo := mustRenderer(t).Catalog.Localizer("nb")
	if got, want := oslo.Span(eve, eve.Add(time.Hour)), "fredag 1. januar 2027 kl. 00:30–01:30"; got != want {
		t.Errorf("span over midnight UTC: got %q, want %q", got, want)
	}
	if _, err := views.New(func(string) string { return "" }, nil); err == nil {
		t.Error("New without a time zone succeeded")
	}
	sources, _ := filepath.Glob("*.go")
	for _, f := range sources {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(body), "LoadLocation") {
			t.Errorf("%s loads a time zone of its own; use the one New is given", f)
		}
	}
}

func TestMatchLanguage(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"", "nb"}, {"en-GB,en;q=0.9", "en"}, {"nb-NO,nb;q=0.9,en;q=0.8", "nb"}, {"no", "nb"}, {"nn", "nb"},
		{"de-DE", "nb"}, {"garbage;;;", "nb"}, {"sv,en;q=0.5", "en"}, {"en;q=0.5,no", "nb"}, {"en,nn;q=0.9", "en"},
	} {
		if got := views.MatchLanguage(tc.header); got != tc.want {
			t.Errorf("MatchLanguage(%q): got %q, want %q", tc.header, got, tc.want)
		}
	}
}

func TestUnknownPage(t *testing.T) {
	r := mustRenderer(t)
	var buf bytes.Buffer
	if err := r.Page(&buf, "no-such-page", nil); err == nil {
		t.Fatal("rendering an unknown page did not fail")
	}
}
