package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/torghub/torg/db"
)

func TestConnectionLimits(t *testing.T) {
	for _, c := range []struct {
		nofile                 uint64
		maxScreens             int
		wantConns, wantScreens int
	}{
		{1 << 20, 10_000, 1<<20 - 64, 10_000}, // the hard limit raised: the cap is the screens'
		{20_000, 30_000, 19_936, 19_680},      // the descriptors cap the screens, pages keep 256
		{1024, 10_000, 960, 720},              // a soft 1,024 that could not be raised: pages keep a quarter
		{100, 10_000, 36, 27},                 // tiny
		{0, 10_000, 1<<30 - 64, 10_000},       // unknown
	} {
		conns, screens := connectionLimits(c.nofile, c.maxScreens)
		if conns != c.wantConns || screens != c.wantScreens {
			t.Errorf("connectionLimits(%d, %d) = %d, %d; want %d, %d", c.nofile, c.maxScreens, conns, screens, c.wantConns, c.wantScreens)
		}
		if c.nofile > 0 && conns >= int(c.nofile) || screens >= conns {
			t.Errorf("nofile %d: %d connections, %d screens: want each below the one before", c.nofile, conns, screens)
		}
	}
}

func TestParseRateLimit(t *testing.T) {
	for _, c := range []struct {
		in    string
		scale float64
		off   bool
		err   bool
	}{
		{"", 1, false, false}, {"on", 1, false, false}, {"off", 0, true, false}, {"2", 2, false, false},
		{"0.5", 0.5, false, false}, {"0", 0, false, true}, {"-1", 0, false, true}, {"NaN", 0, false, true},
		{"fast", 0, false, true}, {"1e9", 0, false, true},
	} {
		scale, off, err := parseRateLimit(c.in)
		if (err != nil) != c.err || !c.err && (scale != c.scale || off != c.off) {
			t.Errorf("parseRateLimit(%q) = %v, %v, %v", c.in, scale, off, err)
		}
	}
	if code, _, stderr := torg(t, newDB(t), "serve", "--addr", "127.0.0.1:0", "--rate-limit", "fast"); code == 0 || !strings.Contains(stderr, "--rate-limit") {
		t.Errorf("serve --rate-limit fast: exit %d, %q", code, stderr)
	}
	if code, _, stderr := torg(t, newDB(t), "serve", "--addr", "127.0.0.1:0", "--max-screens", "0"); code == 0 || !strings.Contains(stderr, "--max-screens") {
		t.Errorf("serve --max-screens 0: exit %d, %q", code, stderr)
	}
}

// bootMain starts the real server on :0 with cfg and an event of 100 seats.
func bootMain(t *testing.T, cfg Config) (*Main, string) {
	t.Helper()
	cfg.Addr, cfg.DB = "127.0.0.1:0", filepath.Join(t.TempDir(), "torg.db")
	m := &Main{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	e, err := m.Store.CreateEvent(context.Background(), db.NewEvent{
		Title: "Frokostmøte", Kind: db.KindBreakfast, StartsAt: time.Now().Add(72 * time.Hour).Truncate(time.Minute), Capacity: 100,
	})
	if err != nil {
		t.Fatal(err)
	}
	return m, e.Slug
}

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func postSignup(t *testing.T, m *Main, slug, name string) int {
	t.Helper()
	resp, err := noFollow.PostForm(m.URL()+"/events/"+slug+"/signups", url.Values{
		"name": {name}, "email": {strings.ReplaceAll(strings.ToLower(name), " ", ".") + "@example.no"},
		"seats": {"1"}, "show_name": {"full"}, "consent": {"yes"},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A screen lives on past the HTTP write timeout, which bounds ordinary
// responses only: the hub's writer sets its own deadline for each write.
func TestScreenOutlivesWriteTimeout(t *testing.T) {
	m, slug := bootMain(t, Config{WriteTimeout: 300 * time.Millisecond})
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(m.URL(), "http")+"/screen/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	time.Sleep(time.Second) // past the write timeout set when the request came in
	if status := postSignup(t, m, slug, "Kari Nordmann"); status != http.StatusSeeOther {
		t.Fatalf("signup: status %d", status)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("the screen lost its connection after the write timeout: %v", err)
		}
		if strings.Contains(string(msg), "Kari Nordmann") {
			return
		}
	}
}

// --rate-limit off lets a load test through; on, the same run is held to
// about the signup limit's burst (40, and 2 a second while it runs).
func TestServeRateLimit(t *testing.T) {
	for _, flag := range []string{"off", "on"} {
		m, slug := bootMain(t, Config{RateLimit: flag})
		ok := 0
		for i := range 60 {
			if postSignup(t, m, slug, fmt.Sprintf("Person %d", i)) == http.StatusSeeOther {
				ok++
			}
		}
		if flag == "off" && ok != 60 || flag == "on" && (ok < 40 || ok > 50) {
			t.Errorf("--rate-limit %s: %d of 60 signups went through", flag, ok)
		}
	}
}
