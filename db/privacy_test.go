package db_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// TestEraseLeavesNoTrace erases a person with distinctive strings and
// reads the raw bytes of torg.db and torg.db-wal: neither secure_delete
// nor the checkpoint after erasing may be left out.
func TestEraseLeavesNoTrace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "torg.db")
	ctx := db.WithActor(context.Background(), "kari@example.no")
	s, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e := MustCreateEvent(t, s, "Frokostmøte", 20)
	// Neighbours before and after, so the person's row shares its pages.
	for _, email := range []string{"a@example.no", "b@example.no"} {
		mustSignup(t, s, e.Slug, email, 1)
	}
	secret := db.NewSignup{Name: "Zebulon Quixotesen", Email: "zebulon.quixotesen@example.no", Phone: "+4799887766",
		Organization: "Quixotesen Rørleggerservice", Diet: "Quixotesk diett", Seats: 2, ShowName: db.ShowFull}
	su, err := s.CreateSignup(ctx, e.Slug, secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"c@example.no", "d@example.no"} {
		mustSignup(t, s, e.Slug, email, 1)
	}
	// An organiser's reason names the person: the history and the audit
	// log keep it until the erasure.
	if _, err := s.CancelSignupByOrganiser(ctx, e.Slug, su.ID, "Zebulon Quixotesen ba om det på telefon"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EraseSignup(ctx, su.Token); err != nil {
		t.Fatal(err)
	}
	audit, err := s.ListAudit(ctx, db.AuditFilter{Action: "signup.cancel"})
	if err != nil || len(audit) != 1 {
		t.Fatalf("the cancel's audit entry: %v %v", audit, err)
	}
	if strings.Contains(audit[0].After, "Zebulon") {
		t.Errorf("the audit log keeps the reason: %s", audit[0].After)
	}
	// While the server runs (a copy of the files taken now, a backup
	// of the disk), and after it has stopped: closing checkpoints too,
	// so only the first look catches a missing checkpoint.
	noTrace(t, "while open", path, su.Token)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	noTrace(t, "after closing", path, su.Token)
}

func noTrace(t *testing.T, when, path, token string) {
	t.Helper()
	for _, file := range []string{path, path + "-wal"} {
		raw, err := os.ReadFile(file)
		if os.IsNotExist(err) {
			continue // closing the last connection removes the -wal
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, needle := range []string{"Zebulon", "Quixotesen", "zebulon.quixotesen@example.no", "99887766", token} {
			if bytes.Contains(raw, []byte(needle)) {
				t.Errorf("%s: %s still holds %q", when, filepath.Base(file), needle)
			}
		}
	}
}

// TestEraseHooks: what registers in EraseSignupHooks (the mail outbox)
// runs in the erasing transaction, for an erasure and for a purge, while
// the signup's row still holds the address; a failing hook erases nothing.
func TestEraseHooks(t *testing.T) {
	s := MustOpenDB(t)
	ctx := context.Background()
	saved := db.EraseSignupHooks
	t.Cleanup(func() { db.EraseSignupHooks = saved })
	var seen []string
	var fail error
	db.EraseSignupHooks = append(slices.Clone(saved), func(ctx context.Context, tx *sql.Tx, id int64) error {
		var email string
		if err := tx.QueryRowContext(ctx, `SELECT email FROM signups WHERE id = ?`, id).Scan(&email); err != nil {
			return err
		}
		seen = append(seen, email)
		return fail
	})
	then := time.Now().AddDate(0, 0, -200)
	s.Now = func() time.Time { return then }
	old, err := s.CreateEvent(ctx, db.NewEvent{Title: "Gammelt", Kind: db.KindBreakfast, StartsAt: then.Add(time.Hour), Capacity: 5})
	if err != nil {
		t.Fatal(err)
	}
	mustSignup(t, s, old.Slug, "old@example.no", 1)
	s.Now = time.Now
	e := MustCreateEvent(t, s, "Frokostmøte", 5)
	su := mustSignup(t, s, e.Slug, "kari@example.no", 1)

	fail = errors.New("the outbox is locked")
	if _, err := s.EraseSignup(ctx, su.Token); err == nil {
		t.Fatal("a failing hook did not stop the erasure")
	}
	if _, err := s.SignupByToken(ctx, su.Token); err != nil {
		t.Fatalf("a failed erasure erased: %v", err)
	}
	fail = nil
	seen = nil
	if _, err := s.EraseSignup(ctx, su.Token); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Purge(ctx, false); err != nil || n.Signups != 1 {
		t.Fatalf("purge: %+v %v", n, err)
	}
	if want := []string{"kari@example.no", "old@example.no"}; !slices.Equal(seen, want) {
		t.Fatalf("the hook saw %v, want %v", seen, want)
	}
}
