package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/torghub/torg/db"
)

// TestRevisionOnlyMovesForward: pages are cached under the revision, so a
// revision that went back would serve a page rendered before a write as if
// it were fresh.
func TestRevisionOnlyMovesForward(t *testing.T) {
	ctx := context.Background()

	t.Run("StaleReadCannotLowerIt", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "torg.db")
		s, err := db.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		MustCreateEvent(t, s, "Frokostmøte", 10)
		rev := s.Revision()

		// A Refresh whose read began before that commit sees the value
		// before it. Make the file say so for a moment.
		raw, err := sql.Open("sqlite3", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if _, err := raw.Exec(`UPDATE revision SET value = value - 1`); err != nil {
			t.Fatal(err)
		}
		moved, err := s.Refresh(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if moved || s.Revision() != rev {
			t.Fatalf("after a Refresh that read an older value: moved %v, revision %d, want false and %d", moved, s.Revision(), rev)
		}
		if _, err := raw.Exec(`UPDATE revision SET value = value + 1`); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ConcurrentWritersAndRefresh", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "torg.db")
		s, err := db.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		other, err := db.Open(ctx, path) // another process on the same file
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		start := s.Revision()

		const writers, writes = 3, 20
		var (
			wg       sync.WaitGroup
			refresh  sync.WaitGroup
			done     = make(chan struct{})
			mu       sync.Mutex
			problems []string
		)
		report := func(format string, args ...any) {
			mu.Lock()
			problems = append(problems, fmt.Sprintf(format, args...))
			mu.Unlock()
		}
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				store := s
				if w == 0 {
					store = other
				}
				for i := range writes {
					before := s.Revision()
					if err := store.SetKPI(ctx, fmt.Sprintf("w%d", w), i, ""); err != nil {
						report("writer %d: %v", w, err)
						return
					}
					if store == s && s.Revision() <= before {
						report("writer %d: revision %d after its own commit, %d before it", w, s.Revision(), before)
					}
				}
			}()
		}
		// Refreshers and an observer run until the writers are done.
		for range 2 {
			refresh.Add(1)
			go func() {
				defer refresh.Done()
				for {
					select {
					case <-done:
						return
					default:
					}
					before := s.Revision()
					if _, err := s.Refresh(ctx); err != nil {
						report("refresh: %v", err)
						return
					}
					if after := s.Revision(); after < before {
						report("Refresh moved the revision back from %d to %d", before, after)
					}
				}
			}()
		}
		refresh.Add(1)
		go func() {
			defer refresh.Done()
			last := s.Revision()
			for {
				select {
				case <-done:
					return
				default:
				}
				rev := s.Revision()
				if rev < last {
					report("observed the revision go back from %d to %d", last, rev)
				}
				last = rev
			}
		}()
		wg.Wait()
		close(done)
		refresh.Wait()
		for _, p := range problems {
			t.Error(p)
		}

		if _, err := s.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if got, want := s.Revision(), start+writers*writes; got != want {
			t.Fatalf("revision after %d writes: got %d, want %d", writers*writes, got, want)
		}
	})
}
