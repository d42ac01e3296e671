package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// Without TORG_SMTP_URL, the server writes each message as an .eml file
// in "mail" beside the database; the demo's made-up people get none.
func TestServeWritesMailBesideTheDatabase(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "torg.db")
	m := &Main{Config: Config{Addr: "127.0.0.1:0", DB: dbPath, Demo: true}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	if list, _ := m.Store.ListMail(ctx, db.MailFilter{}); len(list) != 0 {
		t.Fatalf("the demo queued %d messages", len(list))
	}
	events, err := m.Store.ListEvents(ctx, db.EventFilter{Upcoming: true})
	if err != nil || len(events) == 0 {
		t.Fatal(events, err)
	}
	var open *db.Event
	for _, e := range events {
		if e.SeatsLeft() > 0 {
			open = e
			break
		}
	}
	if _, err := m.Store.CreateSignup(ctx, open.Slug, db.NewSignup{Name: "Kari", Email: "kari@example.no", Seats: 1}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "mail", "*.eml"))
		if len(files) == 1 {
			b, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), "kari@example.no") || !strings.Contains(string(b), "http://localhost:8080/signups/") {
				t.Errorf("the .eml:\n%s", b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no .eml after 10 s: %v", files)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
