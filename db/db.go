// Package db is torg's storage: SQLite through database/sql, the embedded
// schema migrations, and the domain rules that must hold inside one write
// transaction (capacity, the waiting list, the activity outbox).
package db

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/mattn/go-sqlite3" // the SQLite driver, registered as "sqlite3"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is the database. It keeps two pools: one connection for writes, so
// write transactions queue in Go instead of spinning on SQLITE_BUSY, and a
// few for reads, which WAL lets run beside the writer.
type Store struct {
	write *sql.DB
	read  *sql.DB

	revision       atomic.Int64
	ideaIndex      atomic.Pointer[ideaIndex] // the board's search index (ideaindex.go)
	ideaIndexMu    sync.Mutex                // one rebuild of it at a time
	committed      chan struct{}
	settings       atomic.Pointer[settingsSnapshot] // Settings as of one revision
	writeTimes     atomic.Pointer[WriteObserver]    // nil: nobody measures the write lock
	writeQueue     chan *queuedWrite                // writes waiting for a leader (writequeue.go)
	writeLeader    chan struct{}                    // held by the one running the queue's writes
	writesInFlight atomic.Int32                     // writes queued or running (WritesInFlight)

	path      string                       // the database file, for WriteHealth
	primary   atomic.Pointer[primaryState] // whether this node is LiteFS's primary (primary.go)
	fault     atomic.Pointer[WriteFault]   // the last write's failure, while it lasts (faults.go)
	probing   atomic.Bool                  // a probe for recovery is running
	closed    chan struct{}                // closed by Close; stops the probe
	closeOnce sync.Once
	// FreeSpaceFloor is the free space under which WriteHealth reports
	// the disk as full (DefaultFreeSpaceFloor).
	FreeSpaceFloor int64
	// ProbeInterval is how often a failing database is tried again
	// (DefaultProbeInterval); tests shorten it.
	ProbeInterval time.Duration

	// Now is the clock; tests replace it.
	Now func() time.Time
	// Argon2 is the cost of hashing a new password (DefaultArgon2); tests
	// lower it. Each hash keeps its own, so a change affects new ones only.
	Argon2 Argon2Params
}

// Open opens (creating if needed) the database file at path, sets the
// pragmas torg relies on and brings the schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	// synchronous=FULL: a signup answered with success survives a crash or a
	// power cut the next instant. _txlock=immediate: a write transaction
	// takes the write lock at BEGIN, so it never fails half-way on upgrade.
	params := url.Values{}
	params.Set("_journal_mode", "WAL")
	params.Set("_synchronous", "FULL")
	params.Set("_foreign_keys", "on")
	params.Set("_busy_timeout", strconv.FormatInt(writeWait.Milliseconds(), 10)) // see writeWait
	params.Set("_txlock", "immediate")
	// secure_delete=on: SQLite overwrites deleted content with zeros, in
	// table and index pages and on pages it frees. Without it an erased
	// person's name, e-mail and token stay readable in the file (and are
	// copied into the -wal on every rewrite of the page) until the space
	// happens to be reused. Erasure also checkpoints the WAL (privacy.go).
	params.Set("_secure_delete", "on")
	// Keep prepared statements per connection: the same few run all day,
	// and preparing them again cost a fifth of a signup's CPU.
	params.Set("_stmt_cache_size", "64")
	dsn := fileURI(path) + "?" + params.Encode()

	write, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)

	params.Set("_txlock", "deferred")
	params.Set("mode", "ro")
	// Reads may scan (the idea board's search reads every public idea's
	// text): 16 MB of page cache per read connection instead of SQLite's
	// 2 MB keeps a town's data in memory rather than in read(2) calls.
	params.Set("_cache_size", "-16000")
	read, err := sql.Open("sqlite3", fileURI(path)+"?"+params.Encode())
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)

	s := &Store{write: write, read: read, committed: make(chan struct{}, 1), Now: time.Now,
		writeQueue: make(chan *queuedWrite, 4096), writeLeader: make(chan struct{}, 1), Argon2: DefaultArgon2,
		path: path, closed: make(chan struct{}), FreeSpaceFloor: DefaultFreeSpaceFloor,
		ProbeInterval: DefaultProbeInterval}
	// Only the primary migrates: a replica cannot write, and waits for
	// the primary's migrations to reach it (primary.go).
	if !s.IsPrimary() {
		if err := s.waitForSchema(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	if s.IsPrimary() {
		if err := s.migrate(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	if _, err := s.Refresh(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// fileURI makes an SQLite URI of a file path. A '#' or '?' in the path
// (a folder named "Møte #2") would otherwise end the path and silently
// drop the parameters after it, pragmas included.
func fileURI(path string) string {
	return "file:" + strings.NewReplacer("%", "%25", "#", "%23", "?", "%3f").Replace(path)
}

// Close closes both pools.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	rerr := s.read.Close()
	if err := s.write.Close(); err != nil {
		return err
	}
	return rerr
}

// migrate applies, in file-name order, every embedded migration that is not
// yet recorded in schema_migrations, each in its own transaction. We use this
// short runner instead of goose: migrations only ever go forward, are
// embedded in the binary, and need nothing goose's command line offers.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    TEXT PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	names, err := migrationNames()
	if err != nil {
		return err
	}
	for _, name := range names {
		version := migrationVersion(name)
		if err := s.applyMigration(ctx, name, version); err != nil {
			return fmt.Errorf("migration %s: %w", version, err)
		}
	}
	return nil
}

// migrationNames are the embedded migrations' files and the data
// migrations' names, in the order they apply.
func migrationNames() ([]string, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	for version := range dataMigrations {
		names = append(names, version)
	}
	sort.Slice(names, func(i, j int) bool { return filepath.Base(names[i]) < filepath.Base(names[j]) })
	return names, nil
}

// migrationVersion is the version schema_migrations records for a name.
func migrationVersion(name string) string { return strings.TrimSuffix(filepath.Base(name), ".sql") }

// migrationVersions are the versions this binary knows, in order.
func migrationVersions() ([]string, error) {
	names, err := migrationNames()
	if err != nil {
		return nil, err
	}
	versions := make([]string, len(names))
	for i, name := range names {
		versions[i] = migrationVersion(name)
	}
	return versions, nil
}

func (s *Store) applyMigration(ctx context.Context, name, version string) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if migrate, ok := dataMigrations[name]; ok {
		if err := migrate(ctx, tx); err != nil {
			return err
		}
	} else {
		body, err := migrationFiles.ReadFile(name)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, time.Now().Unix()); err != nil {
		return err
	}
	return tx.Commit()
}

// Revision is a number that moves with every committed write. Pages cached
// under one revision are stale under the next.
func (s *Store) Revision() int64 { return s.revision.Load() }

// Committed delivers a signal after a write commits in this process (at most
// one pending). The live-feed hub waits on it.
func (s *Store) Committed() <-chan struct{} { return s.committed }

// Refresh reads the revision from the file, so writes made by another process
// (the command line, a replica's primary) are noticed. It reports whether
// the revision moved. The revision only ever moves forward: a read that
// started before a commit in this process may return an older value, and
// pages cached under the newer one must not be served as fresh again.
func (s *Store) Refresh(ctx context.Context) (bool, error) {
	var rev int64
	if err := s.read.QueryRowContext(ctx, `SELECT value FROM revision WHERE id = 1`).Scan(&rev); err != nil {
		return false, fmt.Errorf("read revision: %w", err)
	}
	return s.advanceRevision(rev), nil
}

// advanceRevision moves the revision to rev unless it is already there or
// beyond, and reports whether it moved.
func (s *Store) advanceRevision(rev int64) bool {
	for {
		cur := s.revision.Load()
		if rev <= cur {
			return false
		}
		if s.revision.CompareAndSwap(cur, rev) {
			return true
		}
	}
}

// notifyCommitted wakes whoever waits on Committed, without blocking.
func (s *Store) notifyCommitted() {
	select {
	case s.committed <- struct{}{}:
	default:
	}
}

// Watch polls the file's revision every interval until ctx ends, so that
// writes by another process reach cached pages and the live screen as if
// they were made here: the revision moves and Committed is signalled.
func (s *Store) Watch(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			moved, err := s.Refresh(ctx)
			if err != nil {
				continue // the next tick tries again; the database may be busy or closing
			}
			if moved {
				s.notifyCommitted()
			}
		}
	}
}

// inWrite runs fn in one immediate write transaction, moves the revision and
// commits. Only after the commit is the hub woken: nothing is announced that
// could still roll back.
func (s *Store) inWrite(ctx context.Context, fn func(tx *sql.Tx) error) error {
	var rev int64
	err := s.inPrivateWrite(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `UPDATE revision SET value = value + 1 WHERE id = 1 RETURNING value`).Scan(&rev); err != nil {
			return Internal(fmt.Errorf("move revision: %w", err))
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.advanceRevision(rev)
	s.notifyCommitted()
	return nil
}

// WriteObserver is told, after each write transaction, how long it waited
// for the write lock and how long it then held it. It runs on the writer's
// goroutine, after the lock is released: it must be quick and must not
// write to the store.
type WriteObserver func(waited, held time.Duration)

// ObserveWrites sets the observer of every later write transaction (the
// metrics, handlers/metrics.go); nil stops it. The store itself knows
// nothing of how the figures are kept.
func (s *Store) ObserveWrites(f WriteObserver) {
	if f == nil {
		s.writeTimes.Store(nil)
		return
	}
	s.writeTimes.Store(&f)
}

// inPrivateWrite runs fn in one write transaction without moving the
// revision: for writes no page shows and the live feed never reads
// (sessions, failed sign-ins), which must not empty the public page cache.
// It waits at most writeWait for the write lock, and remembers whether
// the database took the change (WriteHealth).
func (s *Store) inPrivateWrite(ctx context.Context, fn func(tx *sql.Tx) error) error {
	err := s.withWriteTx(ctx, writeWait, fn)
	s.noteWrite(err)
	return err
}

// Backup writes an online, consistent copy of the database to path. The
// folder must exist: a mistyped folder is refused rather than created, so a
// backup does not land somewhere nobody looks.
func (s *Store) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return Invalidf("backup.exists", "%s exists already; a backup never overwrites a file", path)
	}
	dir := filepath.Dir(path)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return Invalidf("backup.folder_missing", "there is no folder %s to write %s in", dir, filepath.Base(path))
	}
	_, err := s.write.ExecContext(ctx, `VACUUM INTO ?`, path)
	if err != nil {
		return Internal(fmt.Errorf("backup: %w", err))
	}
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Pragmas reports the journal mode, synchronous level and foreign-key setting
// of the write connection, for tests and the health check.
func (s *Store) Pragmas(ctx context.Context) (journalMode string, synchronous, foreignKeys int, err error) {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return "", 0, 0, err
	}
	defer conn.Close()
	if err = conn.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&journalMode); err != nil {
		return
	}
	if err = conn.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&synchronous); err != nil {
		return
	}
	err = conn.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&foreignKeys)
	return
}
