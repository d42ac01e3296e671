package db

// Restore: a backup (Backup, "torg backup") put back in place of the
// database, for "torg restore". What it guards against: a file that is
// damaged or is not torg's, a database a running server holds, and a
// half-written file where the database was.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// RestoreReport is what a restore put in place.
type RestoreReport struct {
	Schema   string // the last migration the backup has
	Events   int
	Signups  int
	Ideas    int
	Accounts int
}

// Restore checks the backup at from — SQLite's integrity check passes,
// it is a torg database (schema_migrations) of a schema this binary
// knows — and puts a copy of it at to, atomically: written beside it,
// synced, renamed over it, so that the path holds the old database or
// the whole new one, never part of one. An existing database is
// replaced only with force; one another process has open (a server
// running on it) never; and its -wal and -shm, which would otherwise be
// applied to the restored file, are removed first.
func Restore(ctx context.Context, from, to string, force bool) (*RestoreReport, error) {
	report, err := checkBackup(ctx, from)
	if err != nil {
		return nil, err
	}
	if err := checkRestoreTarget(to, force); err != nil {
		return nil, err
	}
	if err := copyAtomically(from, to); err != nil {
		return nil, Internal(fmt.Errorf("restore: %w", err))
	}
	return report, nil
}

// checkBackup opens the backup read-only and immutable — nothing is
// created beside it (no -shm), nothing in it changes — and checks it.
func checkBackup(ctx context.Context, from string) (*RestoreReport, error) {
	info, err := os.Stat(from)
	if err != nil || !info.Mode().IsRegular() {
		return nil, Invalidf("restore.no_file", "there is no file %s to restore", from)
	}
	// A -wal beside it: the file is a live database's, and what its last
	// transactions wrote is not in it. A backup never has one.
	if wal, err := os.Stat(from + "-wal"); err == nil && wal.Size() > 0 {
		return nil, Invalidf("restore.live_source", "%s has a -wal beside it: it is a database in use, not a backup; make one with \"torg backup\"", from)
	}
	src, err := sql.Open("sqlite3", fileURI(from)+"?mode=ro&immutable=1")
	if err != nil {
		return nil, Internal(err)
	}
	defer src.Close()
	src.SetMaxOpenConns(1)
	rows, err := src.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return nil, Invalidf("restore.damaged", "%s is not an SQLite database, or is damaged: %v", from, err)
	}
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return nil, Internal(err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, Invalidf("restore.damaged", "%s is not an SQLite database, or is damaged: %v", from, err)
	}
	if len(problems) > 0 {
		return nil, Invalidf("restore.damaged", "%s fails SQLite's integrity check: %s", from, problems[0])
	}
	have := map[string]bool{}
	var r RestoreReport
	vrows, err := src.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, Invalidf("restore.not_torg", "%s is an SQLite database, but not torg's (it has no schema_migrations)", from)
	}
	for vrows.Next() {
		if err := vrows.Scan(&r.Schema); err != nil {
			vrows.Close()
			return nil, Internal(err)
		}
		have[r.Schema] = true
	}
	if err := errors.Join(vrows.Err(), vrows.Close()); err != nil {
		return nil, Internal(err)
	}
	known, err := migrationVersions()
	if err != nil {
		return nil, Internal(err)
	}
	for _, v := range known {
		delete(have, v)
	}
	for v := range have {
		return nil, Invalidf("restore.newer", "%s comes from a newer torg (its schema has %s, which this one does not know): restore it with that version", from, v)
	}
	for _, c := range []struct {
		n     *int
		table string
	}{{&r.Events, "events"}, {&r.Signups, "signups"}, {&r.Ideas, "ideas"}, {&r.Accounts, "users"}} {
		if err := src.QueryRowContext(ctx, `SELECT count(*) FROM `+c.table).Scan(c.n); err != nil {
			return nil, Invalidf("restore.not_torg", "%s lacks torg's table %s: %v", from, c.table, err)
		}
	}
	return &r, nil
}

// checkRestoreTarget refuses to replace a database in use, or one that
// exists without force.
func checkRestoreTarget(to string, force bool) error {
	dir := filepath.Dir(to)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return Invalidf("restore.folder_missing", "there is no folder %s to restore into", dir)
	}
	if heldByAnotherProcess(to) {
		return Conflictf("restore.in_use", "%s is open in another process (a running server?): stop it, then restore", to)
	}
	var live []string
	for _, p := range []string{to + "-wal", to + "-shm"} {
		if _, err := os.Stat(p); err == nil {
			live = append(live, filepath.Base(p))
		}
	}
	_, err := os.Stat(to)
	exists := err == nil
	switch {
	case force:
		return nil
	case len(live) > 0:
		return Conflictf("restore.live", "%s looks in use (it has %v beside it): stop the server on it; if none runs (it stopped uncleanly), --force replaces it", to, live)
	case exists:
		return Conflictf("restore.exists", "%s exists: --force replaces it with the backup", to)
	}
	return nil
}

// heldByAnotherProcess reports whether another process holds an SQLite
// lock on the database or its -shm: a server has it open. It asks the
// kernel (F_GETLK) without taking or creating anything. SQLite's locks
// are POSIX byte-range locks: on the database file in the range at
// 1 GiB (PENDING_BYTE) and, in WAL mode, on the -shm's lock bytes, which
// every open connection holds a share of for as long as it is open.
// Only for a process that does not have the database open itself (the
// command line): closing the descriptor it opens here drops every POSIX
// lock this process held on the file.
func heldByAnotherProcess(path string) bool {
	const pendingByte = 0x40000000
	for _, probe := range []struct {
		path       string
		start, len int64
	}{{path, pendingByte, 2 + 510}, {path + "-shm", 120, 16}} {
		f, err := os.OpenFile(probe.path, os.O_RDWR, 0)
		if err != nil {
			continue // not there (or not ours to open): nobody holds it through us
		}
		lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart, Start: probe.start, Len: probe.len}
		err = syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk)
		f.Close()
		if err == nil && lk.Type != syscall.F_UNLCK {
			return true
		}
	}
	return false
}

// copyAtomically writes from's bytes to a new file beside to, syncs it,
// removes to's -wal and -shm and renames the copy over to, then syncs
// the folder so that the rename itself survives a power cut.
func copyAtomically(from, to string) (err error) {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dir := filepath.Dir(to)
	tmp, err := os.CreateTemp(dir, filepath.Base(to)+".restore-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = io.Copy(tmp, src); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	// The old database's log would be replayed onto the restored file by
	// the next open: gone first.
	for _, p := range []string{to + "-wal", to + "-shm"} {
		if err = os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err = os.Rename(tmp.Name(), to); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
