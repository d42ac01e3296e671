package db

// Faults: what the store does when the database cannot take a change —
// the disk is full, the file read-only, the write lock held by another
// process for too long — and how it notices that it can again. Such a
// failure is EUNAVAILABLE with a catalog key per cause, not EINTERNAL:
// nothing is wrong with the request or the code, nothing was stored, and
// the same request can work later.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/mattn/go-sqlite3"
)

// writeWait bounds how long a write waits for the write lock: in this
// process's queue for the one write connection and in SQLite's busy
// handler together. Five seconds: a person who pressed "send" waits that
// long without giving up, and a lock held longer than that (a backup made
// with the sqlite3 shell, a stuck command-line process) is not let go in
// the next second either. A clear "try again", with what they typed still
// in the form, serves them better than a spinner for 10–20 s. The DSN's
// busy_timeout is this number.
const writeWait = 5 * time.Second

// DefaultProbeInterval is how often, while writes fail, the store tries a
// write it throws away, to notice that the database can take changes
// again (Store.ProbeInterval). probeWait is how long such a try waits for
// the lock: briefly, so that it never keeps a person's write waiting
// behind it for long.
const (
	DefaultProbeInterval = 5 * time.Second
	probeWait            = time.Second
)

// DefaultFreeSpaceFloor is the free space on the database's file system
// under which WriteHealth reports the disk as full: room for the -wal to
// grow to its checkpoint size (1,000 pages, 4 MB) several times over.
const DefaultFreeSpaceFloor = 16 << 20

// WriteFault is why the database cannot take changes now.
type WriteFault struct {
	Key    string    // the catalog key of the message people get (unavailable.…)
	Reason string    // the cause in a few words, for the log and /healthz
	Since  time.Time // the first failure of this kind in a row
	Err    string    // what SQLite or the file system said, last time
}

// faultReasons are the causes a WriteFault names, by catalog key.
var faultReasons = map[string]string{
	"unavailable.full":     "disk full",
	"unavailable.readonly": "database is read-only",
	"unavailable.busy":     "write lock held too long",
	"unavailable.io":       "disk input/output error",
}

// classify gives the failures that are nobody's bug a code of their own:
// SQLite's full disk, read-only file, lock held past the busy timeout and
// I/O errors are EUNAVAILABLE; a caller that went away (its context
// cancelled; the driver turns an interrupted statement into ctx.Err()) is
// ECANCELED. Anything else: nil, an internal error.
func classify(err error) *Error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return &Error{Code: ECANCELED, Err: err}
	}
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return nil
	}
	key := ""
	switch se.Code {
	case sqlite3.ErrFull:
		key = "unavailable.full"
	case sqlite3.ErrReadonly:
		key = "unavailable.readonly"
	case sqlite3.ErrBusy, sqlite3.ErrLocked:
		key = "unavailable.busy"
	case sqlite3.ErrIoErr, sqlite3.ErrCantOpen:
		key = "unavailable.io"
	default:
		return nil
	}
	return &Error{Code: EUNAVAILABLE, Key: key, Err: err}
}

// lockWaitedOut is a write that waited writeWait for this process's write
// connection without getting it: another write holds it, itself waiting
// for a lock held elsewhere.
func lockWaitedOut(wait time.Duration) error {
	return &Error{Code: EUNAVAILABLE, Key: "unavailable.busy", Detail: "waited " + wait.String() + " for the write connection"}
}

// noteWrite remembers a write's outcome for WriteHealth: a failure of the
// unavailable kind is kept (and a probe started that notices recovery);
// a write that went through clears it.
func (s *Store) noteWrite(err error) {
	// A replica's refusal says nothing about the database: on a replica
	// there is no write fault to report (and a probe left from when this
	// node was the primary stops).
	if err == nil || errors.Is(err, ErrReplica) {
		if s.fault.Load() != nil {
			s.fault.Store(nil)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != EUNAVAILABLE || errors.Is(err, errBatchLost) {
		return
	}
	f := &WriteFault{Key: e.Key, Reason: faultReasons[e.Key], Since: time.Now(), Err: err.Error()}
	if old := s.fault.Load(); old != nil && old.Key == f.Key {
		f.Since = old.Since
	}
	s.fault.Store(f)
	if s.probing.CompareAndSwap(false, true) {
		go s.probe()
	}
}

// probe tries a throw-away write every ProbeInterval while the last write
// failed, so the store (and /healthz) notices recovery even when nobody
// writes: space freed, the file writable again, the lock let go. It stops
// when a write goes through or the store closes.
func (s *Store) probe() {
	for {
		s.probeUntilWritable()
		s.probing.Store(false)
		// A failure noted while this probe was stopping found it still
		// running and started none: carry on for it.
		if s.fault.Load() == nil || !s.probing.CompareAndSwap(false, true) {
			return
		}
	}
}

func (s *Store) probeUntilWritable() {
	tick := time.NewTicker(s.ProbeInterval)
	defer tick.Stop()
	for s.fault.Load() != nil {
		select {
		case <-s.closed:
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), probeWait+time.Second)
		s.noteWrite(s.probeWrite(ctx))
		cancel()
	}
}

// errThrowAway rolls back the probe's transaction.
var errThrowAway = errors.New("probe: roll back")

// probeWrite makes the database grow by 64 KB in a transaction it rolls
// back: it needs the write lock (a lock held elsewhere), a writable file
// (read-only) and room to grow (SQLite's max_page_count). Rolled back, it
// leaves nothing behind and never touches the -wal, so it cannot tell a
// file system that is full; WriteHealth looks at the free space for that.
func (s *Store) probeWrite(ctx context.Context) error {
	err := s.withWriteTx(ctx, probeWait, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE write_probe AS SELECT zeroblob(65536) AS room`); err != nil {
			return Internal(fmt.Errorf("write probe: %w", err))
		}
		return errThrowAway
	})
	if errors.Is(err, errThrowAway) {
		return nil
	}
	return err
}

// WriteHealth reports why the database cannot take changes now, or nil,
// without writing anything (a GET never writes; replicas are read-only):
// on a replica nil, else the last write's failure of the unavailable kind while it lasts, else
// what the file system says — the file and its folder (where the -wal
// and -shm live) writable, free space above FreeSpaceFloor.
func (s *Store) WriteHealth() *WriteFault {
	// A replica cannot write by design, and its files are LiteFS's to
	// keep: healthy (the primary's /healthz speaks for the writes).
	if !s.IsPrimary() {
		return nil
	}
	if f := s.fault.Load(); f != nil {
		return f
	}
	for _, p := range []string{s.path, filepath.Dir(s.path)} {
		if err := syscall.Access(p, 2 /* W_OK */); err != nil {
			return &WriteFault{Key: "unavailable.readonly", Reason: faultReasons["unavailable.readonly"], Since: time.Now(), Err: p + ": " + err.Error()}
		}
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(s.path), &st); err == nil {
		if free := int64(st.Bavail) * int64(st.Bsize); free < s.FreeSpaceFloor {
			return &WriteFault{Key: "unavailable.full", Reason: faultReasons["unavailable.full"], Since: time.Now(),
				Err: fmt.Sprintf("%d bytes free, under the floor of %d", free, s.FreeSpaceFloor)}
		}
	}
	return nil
}

// Fault is a fault SimulateFault makes.
type Fault int

// The faults SimulateFault makes.
const (
	NoFault       Fault = iota // as normal
	FaultDiskFull              // the database may not grow by a single page
	FaultReadOnly              // every change refused, as on a read-only file
)

// SimulateFault makes the write connection fail as on a full disk or a
// read-only file (or, NoFault, work again), with SQLite's own errors
// (SQLITE_FULL through max_page_count, SQLITE_READONLY through
// query_only), so that tests and fire drills go through the real paths.
// It lasts until the connection closes.
func (s *Store) SimulateFault(ctx context.Context, f Fault) error {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var stmts []string
	switch f {
	case NoFault:
		stmts = []string{`PRAGMA max_page_count = 4294967294`, `PRAGMA query_only = 0`}
	case FaultDiskFull:
		var pages int64
		if err := conn.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
			return err
		}
		stmts = []string{`PRAGMA max_page_count = ` + strconv.FormatInt(pages, 10)}
	case FaultReadOnly:
		stmts = []string{`PRAGMA query_only = 1`}
	}
	for _, stmt := range stmts {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}
