package db_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// replicaPaths makes one database file seen from two folders, as LiteFS
// shows one database on two nodes: the primary's (the file itself) and a
// replica's (a link to it in a folder with LiteFS's .primary file naming
// the primary). The stores opened on them share the file, its -wal and
// its locks, as a primary's writes reach a replica's copy.
func replicaPaths(t *testing.T) (primary, replica string) {
	t.Helper()
	primary = filepath.Join(t.TempDir(), "torg.db")
	dir := t.TempDir()
	replica = filepath.Join(dir, "torg.db")
	if err := os.Symlink(primary, replica); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, db.PrimaryFile), []byte("primary-host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return primary, replica
}

// TestReplicaOpensWithoutMigrating: a replica never migrates (it cannot
// write); it waits until the primary's migrations have reached it, and
// gives up when its context ends.
func TestReplicaOpensWithoutMigrating(t *testing.T) {
	primaryPath, replicaPath := replicaPaths(t)

	// No database yet: the replica waits, and creates nothing.
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	if s, err := db.Open(ctx, replicaPath); err == nil {
		s.Close()
		t.Fatal("a replica opened a database the primary has not made")
	} else if !strings.Contains(err.Error(), "waiting for the primary") {
		t.Errorf("error %q does not say it waits for the primary", err)
	}
	if _, err := os.Stat(primaryPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the replica created the database file (%v)", err)
	}

	// The replica waits; the primary migrates; the replica opens.
	opened := make(chan error, 1)
	var replica *db.Store
	go func() {
		var err error
		replica, err = db.Open(context.Background(), replicaPath)
		opened <- err
	}()
	select {
	case err := <-opened:
		t.Fatalf("the replica opened before the primary migrated: %v", err)
	case <-time.After(1500 * time.Millisecond):
	}
	primary, err := db.Open(context.Background(), primaryPath)
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Close()
	select {
	case err := <-opened:
		if err != nil {
			t.Fatal(err)
		}
		defer replica.Close()
	case <-time.After(10 * time.Second):
		t.Fatal("the replica still waits after the primary migrated")
	}
	if got := replica.ReplicaOf(); got != "primary-host" {
		t.Errorf("ReplicaOf = %q, want primary-host", got)
	}
	if !primary.IsPrimary() {
		t.Error("the primary thinks it is a replica")
	}
}

// TestReplicaRefusesWrites: on a replica every write fails at once with
// EUNAVAILABLE (ErrReplica), not SQLite's read-only error, is no fault
// of the database (WriteHealth), and works once the node is the primary.
func TestReplicaRefusesWrites(t *testing.T) {
	primaryPath, replicaPath := replicaPaths(t)
	ctx := context.Background()
	primary, err := db.Open(ctx, primaryPath)
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Close()
	e := MustCreateEvent(t, primary, "Frokostmøte", 10)
	replica, err := db.Open(ctx, replicaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer replica.Close()

	_, err = replica.CreateSignup(ctx, e.Slug, signup("kari@example.no", 1))
	if db.ErrorCode(err) != db.EUNAVAILABLE || !errors.Is(err, db.ErrReplica) || db.ErrorKey(err) != "replica.unavailable" {
		t.Fatalf("a signup on a replica: %v (code %s, key %s); want EUNAVAILABLE replica.unavailable", err, db.ErrorCode(err), db.ErrorKey(err))
	}
	if f := replica.WriteHealth(); f != nil {
		t.Errorf("a replica reports a write fault: %+v", f)
	}
	var n int
	if err := readOnly(t, primary, `SELECT count(*) FROM signups`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("signups after the refusal: %d, %v", n, err)
	}

	// A failover: the replica's node becomes the primary.
	if err := os.Remove(filepath.Join(filepath.Dir(replicaPath), db.PrimaryFile)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for !replica.IsPrimary() {
		if time.Now().After(deadline) {
			t.Fatal("the node still thinks it is a replica with no .primary file")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := replica.CreateSignup(ctx, e.Slug, signup("kari@example.no", 1)); err != nil {
		t.Fatalf("a signup on the new primary: %v", err)
	}
}
