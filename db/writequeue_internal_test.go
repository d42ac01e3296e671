package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// queueStore is a store with a table the tests write to, the WAL
// checkpointed away and not checkpointed by itself, so that walFrames
// counts the pages the tests' commits wrote.
func queueStore(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "torg.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, stmt := range []string{`CREATE TABLE queued (name TEXT NOT NULL)`, `PRAGMA wal_autocheckpoint = 0`, `PRAGMA wal_checkpoint(TRUNCATE)`} {
		if _, err := s.write.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func walFrames(t *testing.T, s *Store) int {
	t.Helper()
	var busy, frames, done int
	if err := s.write.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &done); err != nil {
		t.Fatal(err)
	}
	return frames
}

func insertQueued(name string) func(tx *sql.Tx) error {
	return func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO queued (name) VALUES (?)`, name)
		return err
	}
}

func storedNames(t *testing.T, s *Store) map[string]bool {
	t.Helper()
	rows, err := s.read.Query(`SELECT name FROM queued`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	names := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names[n] = true
	}
	return names
}

// holdBatch starts a write (the leader) that keeps its batch open until
// release is called; writes made meanwhile queue behind it and are run in
// the same transaction. The leader's own error is sent on leaderErr.
func holdBatch(t *testing.T, s *Store, ctx context.Context) (release func(), leaderErr <-chan error) {
	t.Helper()
	entered, gate := make(chan struct{}), make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- s.withWriteTx(ctx, writeWait, func(tx *sql.Tx) error {
			if err := insertQueued("leader")(tx); err != nil {
				return err
			}
			close(entered)
			<-gate
			return nil
		})
	}()
	<-entered
	return func() { close(gate) }, errc
}

// queueWrites starts one write per fn, each once the one before it is
// waiting in the queue, so that they queue in order; wait then gives each
// one's answer, in order.
func queueWrites(t *testing.T, s *Store, fns ...func(tx *sql.Tx) error) (wait func() []error) {
	t.Helper()
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	queued := len(s.writeQueue)
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.withWriteTx(context.Background(), writeWait, fn)
		}()
		queued++
		deadline := time.Now().Add(5 * time.Second)
		for len(s.writeQueue) < queued {
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d writes queued", len(s.writeQueue), queued)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	return func() []error { wg.Wait(); return errs }
}

// Writes that wait while another is written are committed together: the
// pages they share reach the -wal once, not once per write.
func TestQueuedWritesShareOneCommit(t *testing.T) {
	s := queueStore(t)
	const n = 30
	release, leaderErr := holdBatch(t, s, context.Background())
	var fns []func(tx *sql.Tx) error
	for i := range n {
		fns = append(fns, insertQueued(fmt.Sprint("w", i)))
	}
	wait := queueWrites(t, s, fns...)
	release()
	for i, err := range wait() {
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if err := <-leaderErr; err != nil {
		t.Fatal(err)
	}
	if got := len(storedNames(t, s)); got != n+1 {
		t.Fatalf("%d rows stored, want %d", got, n+1)
	}
	// One commit of one table page is a frame or two; a commit each
	// would be at least n.
	if frames := walFrames(t, s); frames > 4 {
		t.Errorf("the -wal holds %d frames for %d writes: they were not committed together", frames, n+1)
	}
}

// A write that fails in a batch is rolled back alone: the writes before
// and after it in the same transaction are stored, and each caller gets
// its own answer.
func TestFailedWriteInBatchLeavesOthersStored(t *testing.T) {
	s := queueStore(t)
	refused := Conflictf("test.refused", "refused after writing")
	release, leaderErr := holdBatch(t, s, context.Background())
	wait := queueWrites(t, s,
		insertQueued("before"),
		func(tx *sql.Tx) error {
			if err := insertQueued("refused")(tx); err != nil {
				return err
			}
			return refused
		},
		insertQueued("after"),
	)
	release()
	errs := wait()
	if errs[0] != nil || errs[2] != nil {
		t.Fatalf("the writes beside the failed one: %v, %v", errs[0], errs[2])
	}
	if !errors.Is(errs[1], refused) {
		t.Fatalf("the failed write's caller got %v, want its own error", errs[1])
	}
	if err := <-leaderErr; err != nil {
		t.Fatal(err)
	}
	names := storedNames(t, s)
	if !names["before"] || !names["after"] || !names["leader"] || names["refused"] {
		t.Fatalf("stored %v: want leader, before and after, not refused", names)
	}
}

// A write that panics is re-raised on its caller's goroutine (where
// Echo's recover answers it) and takes nothing else down.
func TestPanicInBatchReachesItsCaller(t *testing.T) {
	s := queueStore(t)
	release, leaderErr := holdBatch(t, s, context.Background())
	panicked := make(chan any, 1)
	go func() {
		defer func() { panicked <- recover() }()
		s.withWriteTx(context.Background(), writeWait, func(tx *sql.Tx) error {
			insertQueued("panicked")(tx)
			panic("boom")
		})
	}()
	for len(s.writeQueue) < 1 {
		time.Sleep(time.Millisecond)
	}
	wait := queueWrites(t, s, insertQueued("after"))
	release()
	if v := <-panicked; v != "boom" {
		t.Fatalf("the caller recovered %v, want the panic", v)
	}
	if errs := wait(); errs[0] != nil {
		t.Fatal(errs[0])
	}
	if err := <-leaderErr; err != nil {
		t.Fatal(err)
	}
	if names := storedNames(t, s); !names["after"] || names["panicked"] {
		t.Fatalf("stored %v", names)
	}
}

// When a write breaks the shared transaction (SQLite rolls it all back,
// as when a statement is interrupted), the writes that had gone through
// in it are told "not stored, send again" (unavailable), none is half
// kept, the database is not reported faulty, and the next write works.
func TestBrokenBatchAnswersEveryWriteNotStored(t *testing.T) {
	s := queueStore(t)
	release, leaderErr := holdBatch(t, s, context.Background())
	wait := queueWrites(t, s,
		insertQueued("before"),
		func(tx *sql.Tx) error {
			_, err := tx.Exec(`ROLLBACK`) // the whole transaction, as an interrupt does
			if err == nil {
				err = Internal(errors.New("rolled back"))
			}
			return err
		},
	)
	release()
	errs := wait()
	for _, err := range []error{<-leaderErr, errs[0]} {
		if ErrorCode(err) != EUNAVAILABLE || ErrorKey(err) != "unavailable.busy" {
			t.Fatalf("a write lost with the batch got %v, want unavailable.busy", err)
		}
		s.noteWrite(err)
	}
	if f := s.WriteHealth(); f != nil {
		t.Fatalf("a lost batch reported as a write fault: %+v", f)
	}
	if names := storedNames(t, s); len(names) != 0 {
		t.Fatalf("stored %v from a batch that did not commit", names)
	}
	if err := s.withWriteTx(context.Background(), writeWait, insertQueued("next")); err != nil {
		t.Fatal(err)
	}
	if names := storedNames(t, s); !names["next"] {
		t.Fatalf("the next write: stored %v", names)
	}
}

// A write whose caller stopped waiting (its wait ran out, or it went
// away) is never run afterwards: the person was told it was not stored.
func TestAbandonedWriteIsNeverRun(t *testing.T) {
	s := queueStore(t)
	release, leaderErr := holdBatch(t, s, context.Background())
	err := s.withWriteTx(context.Background(), 50*time.Millisecond, insertQueued("abandoned"))
	if ErrorCode(err) != EUNAVAILABLE || ErrorKey(err) != "unavailable.busy" {
		t.Fatalf("a write that waited out got %v, want unavailable.busy", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	gone := make(chan error, 1)
	go func() { gone <- s.withWriteTx(ctx, writeWait, insertQueued("gone")) }()
	for len(s.writeQueue) < 2 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-gone; ErrorCode(err) != ECANCELED {
		t.Fatalf("a write whose caller went away got %v, want ECANCELED", err)
	}
	wait := queueWrites(t, s, insertQueued("after"))
	release()
	if errs := wait(); errs[0] != nil {
		t.Fatal(errs[0])
	}
	if err := <-leaderErr; err != nil {
		t.Fatal(err)
	}
	if names := storedNames(t, s); names["abandoned"] || names["gone"] || !names["after"] {
		t.Fatalf("stored %v: an abandoned write ran", names)
	}
}

// The leader's own caller going away rolls back the leader's write only
// if its statements fail; the transaction is the batch's, so the others'
// writes are committed.
func TestLeaderGoingAwayKeepsTheBatch(t *testing.T) {
	s := queueStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	release, leaderErr := holdBatch(t, s, ctx)
	wait := queueWrites(t, s, insertQueued("queued"))
	cancel()
	release()
	if errs := wait(); errs[0] != nil {
		t.Fatal(errs[0])
	}
	if err := <-leaderErr; err != nil {
		t.Fatal(err)
	}
	if names := storedNames(t, s); !names["queued"] || !names["leader"] {
		t.Fatalf("stored %v: the batch was rolled back with its leader's request", names)
	}
}

// WritesInFlight counts the writes waiting for or in a transaction (the
// mail sender gives way to them), and none once they are answered.
func TestWritesInFlight(t *testing.T) {
	s := queueStore(t)
	if n := s.WritesInFlight(); n != 0 {
		t.Fatalf("%d writes in flight on an idle store", n)
	}
	release, leaderErr := holdBatch(t, s, context.Background())
	wait := queueWrites(t, s, insertQueued("a"), insertQueued("b"))
	if n := s.WritesInFlight(); n != 3 {
		t.Fatalf("%d writes in flight, want 3 (one running, two queued)", n)
	}
	release()
	wait()
	<-leaderErr
	if n := s.WritesInFlight(); n != 0 {
		t.Fatalf("%d writes in flight once all are answered", n)
	}
}

// A write whose caller goes away just before a leader takes it is not
// run, and the writes beside it in the batch are committed: it had no
// savepoint to roll back to, and that must not count as a broken batch.
func TestWriteCancelledWhenTakenLeavesTheBatch(t *testing.T) {
	s := queueStore(t)
	release, leaderErr := holdBatch(t, s, context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	wait := queueWrites(t, s, func(tx *sql.Tx) error {
		if err := insertQueued("before")(tx); err != nil {
			return err
		}
		cancel() // the next write's caller goes away now
		return nil
	})
	gone := make(chan error, 1)
	go func() { gone <- s.withWriteTx(ctx, writeWait, insertQueued("gone")) }()
	for len(s.writeQueue) < 2 {
		time.Sleep(100 * time.Microsecond)
	}
	release()
	if errs := wait(); errs[0] != nil {
		t.Fatalf("the write before it: %v", errs[0])
	}
	if err := <-leaderErr; err != nil {
		t.Fatalf("the leader: %v", err)
	}
	if err := <-gone; ErrorCode(err) != ECANCELED {
		t.Fatalf("the write whose caller went away got %v, want ECANCELED", err)
	}
	if names := storedNames(t, s); !names["leader"] || !names["before"] || names["gone"] {
		t.Fatalf("stored %v: want leader and before, not gone", names)
	}
}

func cpuUsed() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// A caller that goes away while its write is in a batch waits for the
// answer without spinning on its closed context.
func TestCancelledCallerWaitsQuietly(t *testing.T) {
	s := queueStore(t)
	release, leaderErr := holdBatch(t, s, context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.withWriteTx(ctx, writeWait, insertQueued("taken")) }()
	for len(s.writeQueue) < 1 {
		time.Sleep(100 * time.Microsecond)
	}
	entered, gate := make(chan struct{}), make(chan struct{})
	wait := queueWrites(t, s, func(tx *sql.Tx) error { close(entered); <-gate; return nil })
	release()
	<-entered // "taken" has run in the batch, which the next write holds open
	cancel()
	before := cpuUsed()
	time.Sleep(300 * time.Millisecond)
	if used := cpuUsed() - before; used > 150*time.Millisecond {
		t.Errorf("%v of CPU in 300 ms while a cancelled caller waited for its batch: it spins", used)
	}
	close(gate)
	wait()
	if err := <-leaderErr; err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the cancelled caller's write, taken and committed: %v", err)
	}
}

// Should the queue fill with the writes of callers that gave up (the lock
// held elsewhere while thousands came), the next writes still go through
// once the lock is free: someone must lead to empty it.
func TestQueueFullOfAbandonedWritesEmpties(t *testing.T) {
	s := queueStore(t)
	conn, err := s.write.Conn(context.Background()) // held, as a backup's VACUUM INTO holds it
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range cap(s.writeQueue) + 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.withWriteTx(context.Background(), 300*time.Millisecond, insertQueued("gave up"))
		}()
	}
	wg.Wait()
	conn.Close()
	if err := s.withWriteTx(context.Background(), time.Second, insertQueued("after")); err != nil {
		t.Fatalf("a write on an idle database after the queue filled: %v", err)
	}
	if names := storedNames(t, s); !names["after"] || names["gave up"] {
		t.Fatalf("stored %v", names)
	}
}
