package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// TestObserveWrites: every write transaction reports how long it waited
// for the write lock and how long it held it; a write that waits behind
// another process's lock reports that wait; nil stops the reports.
func TestObserveWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "torg.db")
	s, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e := MustCreateEvent(t, s, "Frokostmøte", 5)
	var mu sync.Mutex
	var waits, holds []time.Duration
	s.ObserveWrites(func(waited, held time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		waits, holds = append(waits, waited), append(holds, held)
	})
	if _, err := s.CreateSignup(ctx, e.Slug, signup("kari@example.no", 1)); err != nil {
		t.Fatal(err)
	}
	// A refused write is still a transaction that held the lock.
	if _, err := s.CreateSignup(ctx, e.Slug, signup("kari@example.no", 1)); db.ErrorCode(err) != db.ECONFLICT {
		t.Fatalf("second signup: %v", err)
	}
	mu.Lock()
	if len(holds) != 2 || holds[0] <= 0 || holds[1] <= 0 {
		t.Fatalf("held %v, want two positive durations", holds)
	}
	mu.Unlock()

	// Another connection holds the write lock for a while, as another
	// process (the command line) would: the next write waits that long.
	other, err := sql.Open("sqlite3", fmt.Sprintf("file:%s?_txlock=immediate", path))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	const blocked = 300 * time.Millisecond
	go func() { time.Sleep(blocked); tx.Rollback() }()
	if _, err := s.CreateSignup(ctx, e.Slug, signup("per@example.no", 1)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(waits) != 3 || waits[2] < blocked/2 {
		t.Fatalf("waits %v: the last one waited behind another connection's lock for %v", waits, blocked)
	}
	mu.Unlock()

	s.ObserveWrites(nil)
	if _, err := s.CreateSignup(ctx, e.Slug, signup("ola@example.no", 1)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(holds) != 3 {
		t.Fatalf("%d reports after ObserveWrites(nil), want 3", len(holds))
	}
}

// TestMailOutboxState counts what is waiting, what waits to be tried
// again and what failed for good; sent messages are none of them.
func TestMailOutboxState(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	e := MustCreateEvent(t, s, "Frokostmøte", 5)
	for i := range 4 {
		if _, err := s.CreateSignup(ctx, e.Slug, signup(fmt.Sprintf("p%d@example.no", i), 1)); err != nil {
			t.Fatal(err)
		}
	}
	want := func(w db.MailOutboxState) {
		t.Helper()
		got, err := s.MailOutboxState(ctx)
		if err != nil || got != w {
			t.Fatalf("outbox %+v (%v), want %+v", got, err, w)
		}
	}
	want(db.MailOutboxState{Waiting: 4})
	sent, _ := s.ClaimMail(ctx, time.Minute)
	retried, _ := s.ClaimMail(ctx, time.Minute)
	failed, _ := s.ClaimMail(ctx, time.Minute)
	want(db.MailOutboxState{Waiting: 4}) // being sent is not yet delivered
	if err := s.MarkMailSent(ctx, sent.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RetryMail(ctx, retried.ID, "451 try later", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.FailMail(ctx, failed.ID, "550 no such user"); err != nil {
		t.Fatal(err)
	}
	want(db.MailOutboxState{Waiting: 2, Retrying: 1, Failed: 1})
}
