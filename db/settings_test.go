package db_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/torghub/torg/db"
)

func mustSetting(tb testing.TB, s *db.Store, key, want string) {
	tb.Helper()
	settings, err := s.Settings(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	if got := settings[key]; got != want {
		tb.Fatalf("Settings()[%s]: got %q, want %q", key, got, want)
	}
	if got, err := s.Setting(context.Background(), key); err != nil || got != want {
		tb.Fatalf("Setting(%s): got %q (%v), want %q", key, got, err, want)
	}
}

func TestSettings(t *testing.T) {
	ctx := context.Background()

	t.Run("SetSettingIsSeen", func(t *testing.T) {
		s := MustOpenDB(t)
		mustSetting(t, s, db.SettingSiteName, "")
		for _, name := range []string{"Elverum+", "Hamar+"} {
			if err := s.SetSetting(ctx, db.SettingSiteName, name); err != nil {
				t.Fatal(err)
			}
			mustSetting(t, s, db.SettingSiteName, name)
		}
	})

	t.Run("AnotherProcessAfterRefresh", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "torg.db")
		s, err := db.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.SetSetting(ctx, db.SettingOwner, "Elverum kommune"); err != nil {
			t.Fatal(err)
		}
		mustSetting(t, s, db.SettingOwner, "Elverum kommune")

		other, err := db.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		if err := other.SetSetting(ctx, db.SettingOwner, "Hamar kommune"); err != nil {
			t.Fatal(err)
		}
		// Until this store learns that the file moved on, it keeps what it
		// read under its revision: that is what spares a read per page.
		mustSetting(t, s, db.SettingOwner, "Elverum kommune")
		if moved, err := s.Refresh(ctx); err != nil || !moved {
			t.Fatalf("Refresh: moved %v, %v; want the other store's write noticed", moved, err)
		}
		mustSetting(t, s, db.SettingOwner, "Hamar kommune")
	})

	t.Run("TheCopyIsTheCallers", func(t *testing.T) {
		s := MustOpenDB(t)
		if err := s.SetSetting(ctx, db.SettingSiteName, "Elverum+"); err != nil {
			t.Fatal(err)
		}
		settings, err := s.Settings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		settings[db.SettingSiteName] = "changed by a caller"
		mustSetting(t, s, db.SettingSiteName, "Elverum+")
	})

	t.Run("ConcurrentReadersAndWriter", func(t *testing.T) {
		s := MustOpenDB(t)
		const writes = 20
		var wg sync.WaitGroup
		done := make(chan struct{})
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-done:
						return
					default:
					}
					settings, err := s.Settings(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					settings[db.SettingTaglineNB] = "a caller's own copy"
				}
			}()
		}
		for i := range writes {
			if err := s.SetSetting(ctx, db.SettingTaglineNB, fmt.Sprint(i)); err != nil {
				t.Fatal(err)
			}
		}
		close(done)
		wg.Wait()
		mustSetting(t, s, db.SettingTaglineNB, fmt.Sprint(writes-1))
	})
}
