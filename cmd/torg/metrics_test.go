package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestMainServesMetricsApart: torg serve answers /metrics on the metrics
// address only — with a signup made on the public one counted — and the
// public address answers 404; off, there is no metrics address at all.
func TestMainServesMetricsApart(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "torg.db")
	m := &Main{Config: Config{Addr: "127.0.0.1:0", DB: dbPath, Demo: true, MetricsAddr: "127.0.0.1:0"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.MetricsURL() == "" || m.MetricsURL() == m.URL() {
		t.Fatalf("metrics at %q, public at %q", m.MetricsURL(), m.URL())
	}
	if code, _ := get(t, m.URL()+"/metrics"); code != http.StatusNotFound {
		t.Errorf("GET /metrics on the public address: %d, want 404", code)
	}
	// Someone signs up for the demo's first event through the form.
	code, body := get(t, m.URL()+"/events")
	slug := strings.TrimPrefix(regexpFind(body, `href="/events/[a-z0-9-]+"`), `href="/events/`)
	slug = strings.TrimSuffix(slug, `"`)
	if code != http.StatusOK || slug == "" {
		t.Fatalf("GET /events: %d, no event link", code)
	}
	form := url.Values{"name": {"Kari Nordmann"}, "email": {"kari@example.no"}, "seats": {"1"}, "show_name": {"first"}, "consent": {"yes"}}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.PostForm(m.URL()+"/events/"+slug+"/signups", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("signup: %d", resp.StatusCode)
	}

	code, body = get(t, m.MetricsURL()+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics on the metrics address: %d", code)
	}
	signups := regexpFind(body, `torg_signups_total\{status="(confirmed|waiting)"\} 1`)
	route := regexpFind(body, `torg_http_request_duration_seconds_count\{code="303",method="POST",route="/events/:slug/signups"\} 1`)
	if signups == "" || route == "" || !strings.Contains(body, "go_goroutines") {
		t.Errorf("the scrape lacks the signup, its request or the Go collector:\n%s", body)
	}
	if code, _ := get(t, m.MetricsURL()+"/"); code != http.StatusNotFound {
		t.Errorf("the metrics address answers / with %d: it serves /metrics only", code)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(m.MetricsURL() + "/metrics"); err == nil {
		t.Error("the metrics address still answers after Close")
	}

	// Off: no listener, nothing collected.
	for _, off := range []string{"off", ""} {
		m := &Main{Config: Config{Addr: "127.0.0.1:0", DB: dbPath, MetricsAddr: off}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		if err := m.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if m.MetricsURL() != "" || m.Server.MetricsHandler() != nil {
			t.Errorf("--metrics-addr %q: metrics at %q", off, m.MetricsURL())
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMetricsAddressTaken: a metrics address that cannot be had stops
// the start with a message that names the setting, and frees the public
// address it had taken.
func TestMetricsAddressTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	public, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := public.Addr().String()
	public.Close()
	m := &Main{Config: Config{Addr: addr, DB: filepath.Join(t.TempDir(), "torg.db"), MetricsAddr: taken.Addr().String()},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	err = m.Run(context.Background())
	m.Close()
	if err == nil || !strings.Contains(err.Error(), "--metrics-addr") {
		t.Fatalf("Run: %v, want a refusal naming --metrics-addr", err)
	}
	again, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the public address is still held: %v", err)
	}
	again.Close()
}

// regexpFind is the first match of expr in s, "" if none.
func regexpFind(s, expr string) string { return regexp.MustCompile(expr).FindString(s) }
