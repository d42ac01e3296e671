package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// TestCachedPagesSeeAnotherProcess: writes by the command line, a second
// process on the same database file, reach the cached home and event pages
// within two seconds while no screen is connected, so nothing but the
// store's own watch can have noticed them.
func TestCachedPagesSeeAnotherProcess(t *testing.T) {
	dbPath := newDB(t)
	slug := strings.TrimSpace(cliProcess(t, dbPath, "event", "add", "--title", "Frokostmøte", "--starts", "2030-12-03T07:30", "--capacity", "10"))
	m := &Main{Config: Config{Addr: "127.0.0.1:0", DB: dbPath}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	get := func(path string) string {
		t.Helper()
		resp, err := http.Get(m.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d\n%s", path, resp.StatusCode, body)
		}
		return string(body)
	}
	// within polls path until its body contains want, for at most two
	// seconds after the write that should change it.
	within := func(path, want string) {
		t.Helper()
		start := time.Now()
		for deadline := start.Add(2 * time.Second); ; {
			body := get(path)
			if strings.Contains(body, want) {
				t.Logf("GET %s showed %s %v after the command ended", path, want, time.Since(start).Round(time.Millisecond))
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s still lacks %s two seconds after the write:\n%s", path, want, body)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// Render and cache both pages first.
	const kpi = "<dt>Rørløft</dt><dd>145</dd>"
	if home := get("/"); strings.Contains(home, kpi) {
		t.Fatalf("the home page shows %s before it was set", kpi)
	}
	if page := get("/events/" + slug); !strings.Contains(page, `data-seats-left="10"`) {
		t.Fatalf("the event page lacks data-seats-left=\"10\":\n%s", page)
	}

	cliProcess(t, dbPath, "kpi", "set", "calls", "145", "--label", "Rørløft")
	within("/", kpi)

	// The site's settings are kept per revision too.
	cliProcess(t, dbPath, "site", "set", db.SettingSiteName, "Hamar+")
	within("/", `<h1 id="hero-title">Hamar&#43;</h1>`)

	// Cache the event page again under the revision the server now knows,
	// so the next write must move it for the page to change.
	if page := get("/events/" + slug); !strings.Contains(page, `data-seats-left="10"`) {
		t.Fatalf("the event page lacks data-seats-left=\"10\":\n%s", page)
	}
	cliProcess(t, dbPath, "event", "capacity", slug, "12")
	within("/events/"+slug, `data-seats-left="12"`)
}
