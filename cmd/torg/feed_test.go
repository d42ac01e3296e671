package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestMain lets a test run this binary as the torg command line in a
// second process: TORG_TEST_CLI=1 makes it run the arguments and exit.
func TestMain(m *testing.M) {
	if os.Getenv("TORG_TEST_CLI") == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// cliProcess runs "torg ARGS" as a separate process against dbPath.
func cliProcess(t *testing.T, dbPath string, args ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], append(args, "--db", dbPath)...)
	cmd.Env = append(os.Environ(), "TORG_TEST_CLI=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("torg %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestFeedFromAnotherProcess: an announcement written by the command line,
// a second process on the same database file, reaches a connected screen
// within two seconds; hiding it from the shell removes it.
func TestFeedFromAnotherProcess(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "torg.db")
	m := &Main{Config: Config{Addr: "127.0.0.1:0", DB: dbPath}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(m.URL(), "http")+"/screen/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	read := func() string {
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if !strings.HasPrefix(string(msg), `<dl id="counters"`) {
				return string(msg)
			}
		}
	}
	if snap := read(); !strings.Contains(snap, `id="feed"`) {
		t.Fatalf("no snapshot: %s", snap)
	}

	start := time.Now()
	id := strings.TrimPrefix(strings.TrimSpace(cliProcess(t, dbPath, "feed", "announce", "Kaffe og rundstykker står klare i foajeen")), "announced on every screen as feed item ")
	msg := read() // fails after two seconds
	if !strings.Contains(msg, "Kaffe og rundstykker står klare i foajeen") || !strings.Contains(msg, `id="activity-`+id+`"`) {
		t.Fatalf("got %s", msg)
	}
	t.Logf("reached the screen %v after the command started", time.Since(start))

	cliProcess(t, dbPath, "feed", "hide", id)
	if msg := read(); !strings.Contains(msg, `<li id="activity-`+id+`" data-hx-swap-oob="delete">`) {
		t.Fatalf("hide: got %s", msg)
	}

	// Shutdown closes the screen with 1001 (going away).
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
				t.Fatalf("on shutdown: %v, want close 1001", err)
			}
			break
		}
	}
}

func TestFeedCommandsErr(t *testing.T) {
	dbPath := newDB(t)
	for _, args := range [][]string{
		{"feed", "announce", ""},
		{"feed", "announce", strings.Repeat("x", 281)},
		{"feed", "hide", "abc"},
		{"feed", "hide", "999"},
	} {
		if code, _, errOut := torg(t, dbPath, args...); code == 0 || errOut == "" {
			t.Errorf("%v: code %d, stderr %q; want a failure that says why", args, code, errOut)
		}
	}
}
