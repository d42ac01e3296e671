package db

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"
)

// Numbers stored before the store kept E.164 are rewritten in it when the
// database is opened, once; a number the library cannot read is left as
// it was written.
func TestPhonesToE164Migration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "torg.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.CreateEvent(ctx, NewEvent{Title: "Frokostmøte", Kind: KindBreakfast, Place: "Terningen Arena",
		StartsAt: time.Now().Add(72 * time.Hour), Capacity: 10})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, email := range []string{"a@example.no", "b@example.no", "c@example.no", "d@example.no"} {
		su, err := s.CreateSignup(ctx, e.Slug, NewSignup{Name: "Kari", Email: email, Seats: 1})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, su.ID)
	}
	s.Close()

	// As an older torg stored them, and as if this migration had not run.
	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	old := []string{"900 00 000", "+47 62 41 00 00", "ring meg", ""}
	for i, phone := range old {
		if _, err := raw.Exec(`UPDATE signups SET phone = ? WHERE id = ?`, phone, ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := raw.Exec(`DELETE FROM schema_migrations WHERE version = '0013_phones_e164'`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := []string{"+4790000000", "+4762410000", "ring meg", ""}
	for i, id := range ids {
		var phone string
		if err := s.read.QueryRowContext(ctx, `SELECT phone FROM signups WHERE id = ?`, id).Scan(&phone); err != nil {
			t.Fatal(err)
		}
		if phone != want[i] {
			t.Errorf("%q became %q, want %q", old[i], phone, want[i])
		}
	}
}
