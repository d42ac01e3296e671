package db

// Replicas: torg on a LiteFS mount (docs/scaling.md). LiteFS replicates
// the database from one primary to read-only replicas and keeps, in the
// mount's folder and on replicas only, a file ".primary" that names the
// primary. So the database's own folder tells a node what it is: no such
// file, and it is the primary (as is a single machine without LiteFS);
// the file, and it is a replica of the node the file names. A replica
// answers reads; a change must be made on the primary.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// PrimaryFile is the name of LiteFS's file in the database's folder on a
// replica; its content is the primary's host name and a newline.
const PrimaryFile = ".primary"

// primaryCheckEvery is how long what the folder said is believed: LiteFS
// moves the primary in seconds (a lease lost, a node stopped), and one
// stat a second costs nothing next to the requests in between.
const primaryCheckEvery = time.Second

// primaryState is what the folder said, and when it was read.
type primaryState struct {
	replicaOf string // "": this node is the primary
	read      time.Time
}

// ErrReplica is the cause of the error every write returns on a replica:
// the change was not tried, since only the primary can make it.
var ErrReplica = errors.New("this node is a read-only replica")

// ReplicaOf names the primary this node is a replica of, or "" when it
// is the primary. It reads the folder at most once a second (the file's
// own clock, not Now: tests move that).
func (s *Store) ReplicaOf() string {
	now := time.Now()
	if st := s.primary.Load(); st != nil && now.Sub(st.read) < primaryCheckEvery {
		return st.replicaOf
	}
	st := &primaryState{replicaOf: readPrimaryFile(filepath.Dir(s.path)), read: now}
	s.primary.Store(st)
	return st.replicaOf
}

// IsPrimary reports whether this node can make changes (ReplicaOf "").
func (s *Store) IsPrimary() bool { return s.ReplicaOf() == "" }

// readPrimaryFile reads the primary's name from the .primary file in dir.
// No file: "" (the primary). A file that cannot be read, or is empty, is
// still a replica's: "?" names a primary nobody knows, and writes are
// refused rather than tried on a file LiteFS will not let change.
func readPrimaryFile(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, PrimaryFile))
	if errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	if name := strings.TrimSpace(string(b)); err == nil && name != "" {
		return name
	}
	return UnknownPrimary
}

// UnknownPrimary is ReplicaOf on a replica whose .primary file says no
// name (or cannot be read).
const UnknownPrimary = "?"

// replicaRefusal is the error of a write on a replica: EUNAVAILABLE (the
// same request works on the primary, or here after a failover), never a
// "read-only database" from SQLite, and not a fault of the database
// (WriteHealth).
func replicaRefusal(primary string) error {
	return &Error{Code: EUNAVAILABLE, Key: "replica.unavailable", Err: fmt.Errorf("%w of %s", ErrReplica, primary)}
}

// refuseOnReplica is the check every write makes first.
func (s *Store) refuseOnReplica() error {
	if primary := s.ReplicaOf(); primary != "" {
		return replicaRefusal(primary)
	}
	return nil
}

// waitForSchema is how a replica opens: it never migrates (it cannot
// write, and the primary does), but waits until the replicated schema
// has every migration this binary knows, so that no query meets a column
// that is not there yet. During a rolling deploy a new replica thus
// waits for the new primary; an older replica reads a newer schema,
// which migrations keep possible (they only add). It checks every
// primaryCheckEvery, and gives up when ctx ends or the node becomes
// the primary (then Open migrates).
func (s *Store) waitForSchema(ctx context.Context) error {
	want, err := migrationVersions()
	if err != nil {
		return err
	}
	for {
		missing, err := s.missingMigrations(ctx, want)
		if err == nil && len(missing) == 0 {
			return nil
		}
		if s.IsPrimary() {
			return nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("migrations %s not yet applied by the primary %s", strings.Join(missing, ", "), s.ReplicaOf())
			}
			return fmt.Errorf("replica waiting for the primary's schema: %w", err)
		case <-time.After(primaryCheckEvery):
		}
	}
}

// missingMigrations lists the versions in want that the database has not
// recorded, reading only.
func (s *Store) missingMigrations(ctx context.Context, want []string) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, err // no table yet: the primary has not made the database
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		have[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var missing []string
	for _, v := range want {
		if !have[v] {
			missing = append(missing, v)
		}
	}
	return missing, nil
}
