package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// fillUntilFull signs people up until the store refuses; with the disk
// "full" (no page to grow by) that comes as soon as the rows no longer fit
// the pages the file has.
func fillUntilFull(t *testing.T, s *db.Store, slug string) error {
	t.Helper()
	for i := range 500 {
		if _, err := s.CreateSignup(context.Background(), slug, signup(fmt.Sprintf("p%d@example.no", i), 1)); err != nil {
			return err
		}
	}
	t.Fatal("500 signups fitted a database that may not grow")
	return nil
}

// waitHealthy waits for WriteHealth to clear, as the probe notices the
// database writable again.
func waitHealthy(t *testing.T, s *db.Store) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.WriteHealth() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("WriteHealth still %+v after the cause went", s.WriteHealth())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWriteFaults(t *testing.T) {
	ctx := context.Background()
	t.Run("DiskFull", func(t *testing.T) {
		s := MustOpenDB(t)
		s.ProbeInterval = 20 * time.Millisecond
		e := MustCreateEvent(t, s, "Frokostmøte", 1000)
		if err := s.SimulateFault(ctx, db.FaultDiskFull); err != nil {
			t.Fatal(err)
		}
		err := fillUntilFull(t, s, e.Slug)
		if got, want := db.ErrorCode(err), db.EUNAVAILABLE; got != want {
			t.Fatalf("code = %q (%v), want %q", got, err, want)
		}
		if got, want := db.ErrorKey(err), "unavailable.full"; got != want {
			t.Errorf("key = %q, want %q", got, want)
		}
		f := s.WriteHealth()
		if f == nil || f.Reason != "disk full" {
			t.Fatalf("WriteHealth = %+v, want disk full", f)
		}
		// Still full: the probe keeps the fault.
		time.Sleep(100 * time.Millisecond)
		if s.WriteHealth() == nil {
			t.Fatal("the probe cleared the fault while the disk was still full")
		}
		if err := s.SimulateFault(ctx, db.NoFault); err != nil {
			t.Fatal(err)
		}
		waitHealthy(t, s)
		if _, err := s.CreateSignup(ctx, e.Slug, signup("after@example.no", 1)); err != nil {
			t.Fatalf("signup after space returned: %v", err)
		}
	})
	t.Run("ReadOnly", func(t *testing.T) {
		s := MustOpenDB(t)
		s.ProbeInterval = 20 * time.Millisecond
		e := MustCreateEvent(t, s, "Frokostmøte", 10)
		if err := s.SimulateFault(ctx, db.FaultReadOnly); err != nil {
			t.Fatal(err)
		}
		_, err := s.CreateSignup(ctx, e.Slug, signup("kari@example.no", 1))
		if got, want := db.ErrorKey(err), "unavailable.readonly"; db.ErrorCode(err) != db.EUNAVAILABLE || got != want {
			t.Fatalf("err = %v (%q %q), want %s %s", err, db.ErrorCode(err), got, db.EUNAVAILABLE, want)
		}
		if f := s.WriteHealth(); f == nil || !strings.Contains(f.Reason, "read-only") {
			t.Fatalf("WriteHealth = %+v, want read-only", f)
		}
		if err := s.SimulateFault(ctx, db.NoFault); err != nil {
			t.Fatal(err)
		}
		waitHealthy(t, s)
	})
	// A lock held by another process: the write gives up within the
	// store's bound (writeWait, 5 s) instead of SQLite's old 10 s busy
	// timeout plus the queue before it. The bound checked is twice that,
	// loose enough for a busy machine, tight enough to fail the old way.
	t.Run("LockedElsewhere", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "torg.db")
		s, err := db.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		s.ProbeInterval = 20 * time.Millisecond
		e := MustCreateEvent(t, s, "Frokostmøte", 10)
		other, err := sql.Open("sqlite3", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		conn, err := other.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `BEGIN EXCLUSIVE`); err != nil {
			t.Fatal(err)
		}
		// Two writes at once: the second waits in the queue behind the
		// first, and both must still answer within the bound.
		start := time.Now()
		errs := make(chan error, 2)
		for _, email := range []string{"kari@example.no", "ola@example.no"} {
			go func() {
				_, err := s.CreateSignup(ctx, e.Slug, signup(email, 1))
				errs <- err
			}()
		}
		for range 2 {
			err := <-errs
			if got := db.ErrorKey(err); db.ErrorCode(err) != db.EUNAVAILABLE || got != "unavailable.busy" {
				t.Errorf("err = %v (%q %q), want unavailable.busy", err, db.ErrorCode(err), got)
			}
		}
		if took := time.Since(start); took >= 10*time.Second {
			t.Errorf("the writes gave up after %v; want within the 5 s bound", took)
		}
		if f := s.WriteHealth(); f == nil || f.Reason != "write lock held too long" {
			t.Fatalf("WriteHealth = %+v, want the lock", f)
		}
		if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil {
			t.Fatal(err)
		}
		waitHealthy(t, s)
		if _, err := s.CreateSignup(ctx, e.Slug, signup("kari@example.no", 1)); err != nil {
			t.Fatalf("signup after the lock went: %v", err)
		}
	})
	t.Run("CallerGone", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 10)
		gone, cancel := context.WithCancel(ctx)
		cancel()
		_, err := s.CreateSignup(gone, e.Slug, signup("kari@example.no", 1))
		if got, want := db.ErrorCode(err), db.ECANCELED; got != want {
			t.Fatalf("code = %q (%v), want %q", got, err, want)
		}
		if s.WriteHealth() != nil {
			t.Error("a caller going away counted as a database fault")
		}
	})
}
